/*
 * bench_spool.c — durable queue throughput: put (write + fsync + rename + dir fsync),
 * then claim + commit, for small items. fsync dominates, so the figure says how many
 * submissions per second one disk can acknowledge durably.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	enum { N = 2000 };
	char dir[] = "/tmp/sekisho-bench-spool-XXXXXX", id[32], cmd[128];
	char payload[4096];
	struct spool s;
	struct spool_item item;
	double t0, put_s, drain_s;

	if (mkdtemp(dir) == NULL || spool_open(&s, dir, true) != 0)
		return 1;
	memset(payload, 'x', sizeof payload);
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "item-%06d", i);
		if (spool_put(&s, id, payload, sizeof payload) != SPOOL_OK)
			return 1;
	}
	put_s = now_s() - t0;
	t0 = now_s();
	for (int i = 0; i < N; i++)
		if (spool_claim(&s, &item) != SPOOL_OK || spool_commit(&s, &item) != SPOOL_OK)
			return 1;
	drain_s = now_s() - t0;
	printf("spool_put_4KiB       %10.0f items/s (durable)\n", N / put_s);
	printf("spool_claim_commit   %10.0f items/s\n", N / drain_s);
	printf("ratio put:drain      %10.2f\n", (N / put_s) / (N / drain_s));
	spool_close(&s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
