/*
 * bench_bridge_codec.c — what the link's protocol core costs on one core, without
 * sockets: the sender's read + SHA-256 + FEC encode + AES-GCM seal of every datagram,
 * and the receiver's open + reassembly + FEC decode + file writes + SHA-256 check,
 * for 1 MB and 50 MB objects at 0% and 5% random loss (one pass, default geometry:
 * k = 64, m = 16, 1472-byte datagrams). Rates are of object payload; "wire" is the
 * bytes on the link per payload byte (FEC parity, manifests, headers and tags).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assembly.h"
#include "frame.h"
#include "sender.h"

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int
make_file(const char *path, size_t size)
{
	uint64_t seed = 77;
	uint8_t *buf = malloc(1 << 20);
	FILE *fp = fopen(path, "wb");
	size_t i, n;

	if (buf == NULL || fp == NULL)
		return -1;
	for (; size > 0; size -= n) {
		n = size < (1u << 20) ? size : (1u << 20);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd(&seed);
		fwrite(buf, 1, n, fp);
	}
	fclose(fp);
	free(buf);
	return 0;
}

static int
run(const char *dir, size_t size, unsigned loss_ppm)
{
	static const uint8_t key[32] = { 9 };
	char path[256], rxdir[256];
	struct sender_config cfg;
	struct assembly_config acfg;
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h;
	struct sender *s;
	struct assembly *a;
	struct assembly_event ev;
	static uint8_t pl[FRAME_MAX_DATAGRAM];
	uint8_t *wire;
	size_t *lens, n = 0, cap, plen, i, wire_bytes = 0;
	double t0, c0, tx_wall, tx_cpu, rx_wall, rx_cpu;
	uint64_t seed = 12345;
	int fd, rc, complete = 0;

	snprintf(path, sizeof(path), "%s/obj", dir);
	snprintf(rxdir, sizeof(rxdir), "%s/rx", dir);
	mkdir(rxdir, 0700);
	if (make_file(path, size) != 0 || (fd = open(path, O_RDONLY)) < 0)
		return -1;
	sender_config_default(&cfg);
	cfg.passes = 1;
	cap = size / 1000 + 1000;	/* datagrams: payload / 1392 * 1.25 plus some */
	wire = malloc(cap * FRAME_DEFAULT_DATAGRAM);
	lens = malloc(cap * sizeof(*lens));
	if (wire == NULL || lens == NULL)
		return -1;
	if (frame_tx_init(&tx, key, 1, 1) != FRAME_OK)
		return -1;

	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (sender_open(&s, &cfg, &tx, fd, "bench", NULL, NULL) != SENDER_MORE)
		return -1;
	while (n < cap && (rc = sender_next(s, wire + n * FRAME_DEFAULT_DATAGRAM,
	    FRAME_DEFAULT_DATAGRAM, &lens[n])) == SENDER_MORE)
		wire_bytes += lens[n++];
	tx_wall = clock_s(CLOCK_MONOTONIC) - t0;
	tx_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	sender_close(s);
	close(fd);
	frame_tx_free(&tx);

	if (frame_rx_init(&rx, key, 1, NULL) != FRAME_OK)
		return -1;
	assembly_config_default(&acfg);
	acfg.dir = rxdir;
	if (assembly_new(&a, &acfg) != ASSEMBLY_STORED)
		return -1;
	/* Decide losses first so the generator is not in the timing. */
	for (i = 0; i < n; i++)
		if (loss_ppm && rnd(&seed) % 1000000 < loss_ppm)
			lens[i] = 0;
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i++) {
		if (lens[i] == 0)
			continue;
		if (frame_open(&rx, wire + i * FRAME_DEFAULT_DATAGRAM, lens[i], &h, pl,
		    sizeof(pl), &plen) == FRAME_OK)
			assembly_feed(a, &h, pl, plen);
	}
	/* The digest check is part of receiving, on whichever thread does it. */
	while (assembly_poll(a, &ev)) {
		if (ev.kind == ASSEMBLY_COMPLETE) {
			int vfd = open(ev.path, O_RDONLY | O_CLOEXEC);

			complete = vfd >= 0 && assembly_verify_fd(&ev, vfd) == ASSEMBLY_STORED;
			if (vfd >= 0)
				close(vfd);
			unlink(ev.path);
		}
	}
	rx_wall = clock_s(CLOCK_MONOTONIC) - t0;
	rx_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("%5.0f MB %2u%% loss  tx %7.1f MB/s %5.2f Gbit/s %5.2f cpu-s/GB | "
	    "rx %7.1f MB/s %5.2f Gbit/s %5.2f cpu-s/GB | fec +%.1f%% wire +%.1f%% "
	    "repairs %llu %s\n",
	    size / 1e6, loss_ppm / 10000, size / tx_wall / 1e6, size * 8 / tx_wall / 1e9,
	    tx_cpu / (size / 1e9), size / rx_wall / 1e6, size * 8 / rx_wall / 1e9,
	    rx_cpu / (size / 1e9), 100.0 * cfg.m / cfg.k,
	    100.0 * ((double)wire_bytes / (double)size - 1),
	    (unsigned long long)assembly_stats(a)->fec_repairs,
	    complete ? "delivered" : "NOT DELIVERED");
	assembly_free(a);
	frame_rx_free(&rx);
	free(wire);
	free(lens);
	unlink(path);
	rmdir(rxdir);
	return complete ? 0 : 1;
}

int
main(void)
{
	char dir[] = "/tmp/bench_bridge.XXXXXX";
	static const size_t sizes[] = { 1000000, 50000000 };
	static const unsigned losses[] = { 0, 50000 };
	unsigned i, j;
	int rc = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			rc |= run(dir, sizes[i], losses[j]);
	rmdir(dir);
	return rc;
}
