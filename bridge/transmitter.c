/*
 * transmitter.c — the send loop: receipts first, then due resends, then new bundles.
 *
 * Receipts are applied before anything is sent, so a bundle confirmed while it
 * waited is never sent again needlessly. New bundles are taken only while the
 * pending table has room: a far side that stops sending receipts slows intake
 * instead of growing memory without bound.
 */
#include "transmitter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"

struct pending {
	char id[SPOOL_ID_MAX + 1];
	uint64_t next_ms;
	unsigned tries;
};

struct transmitter {
	struct transmitter_config cfg;
	struct frame_tx ftx;
	pthread_t thread;
	volatile int stopping;
	pthread_mutex_t lock;		/* counters and pending for metrics */
	struct pending *pending;
	size_t npending;
	uint64_t bundles_sent, resends, datagrams, bytes, receipts_applied, send_errors;
	struct sender_rate rate;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

static void
apply_receipts(struct transmitter *t)
{
	struct spool_item r;

	while (!t->stopping && spool_claim(t->cfg.receipts, &r) == SPOOL_OK) {
		int rc = spool_finish_id(t->cfg.spool, r.id);

		pthread_mutex_lock(&t->lock);
		for (size_t i = 0; i < t->npending; i++)
			if (strcmp(t->pending[i].id, r.id) == 0) {
				t->pending[i] = t->pending[--t->npending];
				break;
			}
		if (rc == SPOOL_OK)
			t->receipts_applied++;
		pthread_mutex_unlock(&t->lock);
		if (rc == SPOOL_OK)
			log_info("bridge-tx: bundle %s confirmed by the far side", r.id);
		spool_commit(t->cfg.receipts, &r);
	}
}

/* Send one bundle, paced by the token bucket. 0, or -1 if it could not be read. */
static int
send_bundle(struct transmitter *t, const char *id)
{
	char path[PATH_MAX];
	uint8_t *buf = malloc(t->cfg.sender.datagram);
	struct sender *s = NULL;
	size_t len;
	int fd, rc = -1, r;

	snprintf(path, sizeof path, "%s/work/%s", t->cfg.spool->root, id);
	if (buf == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("bridge-tx: bundle %s: %s", id, strerror(errno));
		free(buf);
		return -1;
	}
	if ((r = sender_open(&s, &t->cfg.sender, &t->ftx, fd, id, NULL)) != 0) {
		log_err("bridge-tx: bundle %s: %s", id, sender_strerror(r));
		goto out;
	}
	while (!t->stopping && (r = sender_next(s, buf, t->cfg.sender.datagram, &len)) ==
	       SENDER_MORE) {
		uint64_t wait;

		while ((wait = sender_rate_wait(&t->rate, len, now_ns())) != 0)
			sleep_ns(wait);
		/* A full socket buffer (ENOBUFS/EAGAIN) is back-pressure from our own
		 * kernel: wait briefly and send the same datagram again. */
		while (send(t->cfg.sock, buf, len, 0) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				pthread_mutex_lock(&t->lock);
				t->send_errors++;
				pthread_mutex_unlock(&t->lock);
				break;
			}
			sleep_ns(200000);
		}
		pthread_mutex_lock(&t->lock);
		t->datagrams++;
		t->bytes += len;
		pthread_mutex_unlock(&t->lock);
	}
	rc = (r == SENDER_DONE || t->stopping) ? 0 : -1;
	if (r < 0)
		log_err("bridge-tx: bundle %s: %s", id, sender_strerror(r));
out:
	sender_close(s);
	close(fd);
	free(buf);
	return rc;
}

static void
schedule(struct transmitter *t, struct pending *p)
{
	uint64_t delay = (uint64_t)t->cfg.resend_after_s * 1000;

	for (unsigned i = 1; i < p->tries && delay < (uint64_t)t->cfg.resend_max_s * 1000; i++)
		delay *= 2;
	if (delay > (uint64_t)t->cfg.resend_max_s * 1000)
		delay = (uint64_t)t->cfg.resend_max_s * 1000;
	p->next_ms = now_ns() / 1000000 + delay;
}

static void *
run(void *arg)
{
	struct transmitter *t = arg;

	while (!t->stopping) {
		struct pending due = { .id = "" };
		struct spool_item item;
		uint64_t now_ms = now_ns() / 1000000;
		bool resend = false;

		apply_receipts(t);
		pthread_mutex_lock(&t->lock);
		for (size_t i = 0; i < t->npending; i++)
			if (t->pending[i].next_ms <= now_ms) {
				due = t->pending[i];
				resend = true;
				break;
			}
		pthread_mutex_unlock(&t->lock);
		if (!resend) {
			if (t->npending >= TRANSMITTER_MAX_PENDING ||
			    spool_claim(t->cfg.spool, &item) != SPOOL_OK) {
				sleep_ns(100000000);
				continue;
			}
			snprintf(due.id, sizeof due.id, "%s", item.id);
		}
		if (send_bundle(t, due.id) != 0) {
			/* Unreadable: leave it in work/ and try again on the next resend. */
			due.tries = due.tries ? due.tries : 1;
		}
		due.tries++;
		pthread_mutex_lock(&t->lock);
		schedule(t, &due);
		if (resend) {
			t->resends++;
			for (size_t i = 0; i < t->npending; i++)
				if (strcmp(t->pending[i].id, due.id) == 0)
					t->pending[i] = due;
		} else {
			t->bundles_sent++;
			t->pending[t->npending++] = due;
		}
		pthread_mutex_unlock(&t->lock);
		log_info("bridge-tx: bundle %s sent (%s %u)", due.id,
			 resend ? "resend" : "try", due.tries - 1);
	}
	return NULL;
}

int
transmitter_start(struct transmitter **out, const struct transmitter_config *cfg,
		  char *err, size_t errlen)
{
	struct transmitter *t = calloc(1, sizeof *t);
	uint32_t epoch;
	int rc;

	if (t == NULL || (t->pending = calloc(TRANSMITTER_MAX_PENDING,
					      sizeof *t->pending)) == NULL) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->cfg = *cfg;
	if ((rc = frame_epoch_next(cfg->epoch_path, &epoch)) != FRAME_OK) {
		snprintf(err, errlen, "%s: %s", cfg->epoch_path, frame_strerror(rc));
		goto fail;
	}
	frame_tx_init(&t->ftx, cfg->link_key, cfg->link_id, epoch);
	if ((rc = spool_recover(cfg->spool)) < 0) {
		snprintf(err, errlen, "%s: cannot recover: %s", cfg->spool->root, strerror(-rc));
		goto fail;
	}
	if (rc > 0)
		log_info("bridge-tx: %d bundles in flight at the last stop will be sent again", rc);
	/* A burst of 64 datagrams lets the loop send in batches without exceeding the
	 * configured rate over any longer interval. */
	sender_rate_init(&t->rate, cfg->rate_bps, 64 * cfg->sender.datagram, now_ns());
	pthread_mutex_init(&t->lock, NULL);
	if (pthread_create(&t->thread, NULL, run, t) != 0) {
		snprintf(err, errlen, "cannot start the send thread");
		pthread_mutex_destroy(&t->lock);
		goto fail;
	}
	log_info("bridge-tx: epoch %u", epoch);
	*out = t;
	return 0;
fail:
	free(t->pending);
	free(t);
	return -1;
}

void
transmitter_stop(struct transmitter *t)
{
	if (t == NULL)
		return;
	t->stopping = 1;
	pthread_join(t->thread, NULL);
	close(t->cfg.sock);
	pthread_mutex_destroy(&t->lock);
	explicit_bzero(&t->ftx, sizeof t->ftx);
	free(t->pending);
	free(t);
}

json_t *
transmitter_metrics(struct transmitter *t)
{
	json_t *m;

	pthread_mutex_lock(&t->lock);
	m = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		      "epoch", (json_int_t)t->ftx.epoch,
		      "bundles_sent", (json_int_t)t->bundles_sent,
		      "resends", (json_int_t)t->resends,
		      "awaiting_receipt", (json_int_t)t->npending,
		      "receipts_applied", (json_int_t)t->receipts_applied,
		      "datagrams_sent", (json_int_t)t->datagrams,
		      "bytes_sent", (json_int_t)t->bytes,
		      "send_errors", (json_int_t)t->send_errors);
	pthread_mutex_unlock(&t->lock);
	return m;
}
