/*
 * transmitter.c — the send loop: receipts first, then due resends, then new bundles.
 *
 * Receipts are applied before anything is sent, so a bundle confirmed while it
 * waited is never sent again needlessly. New bundles are taken only while the
 * pending table has room: a far side that stops sending receipts slows intake
 * instead of growing memory without bound.
 *
 * A second thread claims and hashes the next new bundle while the send loop sends
 * the current one: the manifest and the object id need the whole file's SHA-256
 * before the first datagram, and hashing 50 MB takes ~130 ms here, which used to
 * leave the link idle between bundles. The digest is kept with the pending entry,
 * so a resend does not hash again (a claimed item's file never changes).
 */
#define _GNU_SOURCE	/* sendmmsg */
#include "transmitter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "frame.h"
#include "log.h"

struct pending {
	char id[SPOOL_ID_MAX + 1];
	uint64_t next_ms;
	unsigned tries;
	bool hashed;			/* sha256 holds the file's digest */
	uint8_t sha256[CRYPTO_SHA256_LEN];
};

struct transmitter {
	struct transmitter_config cfg;
	struct frame_tx ftx;
	pthread_t thread, prep_thread;
	volatile int stopping;
	pthread_mutex_t lock;		/* counters, pending, and the prepared bundle */
	pthread_cond_t prep_cv;		/* prepared bundle made or taken */
	struct pending prep;		/* claimed and hashed, next to send */
	bool have_prep;
	struct pending *pending;
	size_t npending;
	uint64_t bundles_sent, resends, datagrams, bytes, receipts_applied, send_errors;
	struct sender_rate rate;
	bool gso;			/* UDP_SEGMENT works on this socket */
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

/* Forget a bundle that needs no receipt any more. Called with t->lock held. */
static void
pending_remove(struct transmitter *t, const char *id)
{
	for (size_t i = 0; i < t->npending; i++)
		if (strcmp(t->pending[i].id, id) == 0) {
			t->pending[i] = t->pending[--t->npending];
			return;
		}
}

static void
apply_receipts(struct transmitter *t)
{
	struct spool_item r;

	while (!t->stopping && spool_claim(t->cfg.receipts, &r) == SPOOL_OK) {
		int rc = spool_finish_id(t->cfg.spool, r.id);

		pthread_mutex_lock(&t->lock);
		pending_remove(t, r.id);
		if (rc == SPOOL_OK)
			t->receipts_applied++;
		pthread_mutex_unlock(&t->lock);
		if (rc == SPOOL_OK)
			log_info("bridge-tx: bundle %s confirmed by the far side", r.id);
		spool_commit(t->cfg.receipts, &r);
	}
}

/*
 * Datagrams are sealed TX_BATCH at a time, paced as one batch, and handed to the
 * kernel with one sendmmsg. Runs of equal-sized datagrams (every DATA datagram is
 * the full datagram size; a shorter manifest may end a run) go as one UDP GSO
 * message (UDP_SEGMENT): the kernel cuts it into the same datagrams, each with its
 * own UDP header, so the wire is unchanged and the per-datagram cost of the stack is
 * paid once per run. Where the device or kernel refuses GSO (EIO, EINVAL, ...), tx
 * falls back for good to one message per datagram.
 */
#define TX_BATCH	32		/* datagrams per sendmmsg; within the 64 of burst */
#define TX_GSO_BYTES	65000		/* a GSO message must fit one UDP length (64 KiB) */
#define TX_GSO_SEGS	64		/* UDP_MAX_SEGMENTS of older kernels */

struct tx_batch {
	uint8_t *buf;			/* TX_BATCH datagrams, one every cfg.sender.datagram */
	size_t len[TX_BATCH];
	unsigned n;
	struct iovec iov[TX_BATCH];
	struct mmsghdr msg[TX_BATCH];
	unsigned segs[TX_BATCH];	/* datagrams carried by msg[i] */
	union {				/* aligned room for one UDP_SEGMENT cmsg each */
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[TX_BATCH];
};

/* Group the batch into messages; returns how many. */
static unsigned
batch_messages(struct transmitter *t, struct tx_batch *b)
{
	size_t stride = t->cfg.sender.datagram;
	unsigned i = 0, nmsg = 0;

	memset(b->msg, 0, sizeof(b->msg));
	while (i < b->n) {
		struct msghdr *mh = &b->msg[nmsg].msg_hdr;
		size_t gso = b->len[i], total = gso;
		unsigned j = i + 1;

		b->iov[i].iov_base = b->buf + i * stride;
		b->iov[i].iov_len = b->len[i];
		/* Extend while every segment but the last is exactly gso bytes. */
		while (t->gso && j < b->n && b->len[j - 1] == gso && b->len[j] <= gso &&
		       j - i < TX_GSO_SEGS && total + b->len[j] <= TX_GSO_BYTES) {
			b->iov[j].iov_base = b->buf + j * stride;
			b->iov[j].iov_len = b->len[j];
			total += b->len[j];
			j++;
		}
		mh->msg_iov = &b->iov[i];
		mh->msg_iovlen = j - i;
		if (j - i > 1) {
			struct cmsghdr *c;
			uint16_t seg = (uint16_t)gso;

			mh->msg_control = b->ctl[nmsg].buf;
			mh->msg_controllen = sizeof(b->ctl[nmsg].buf);
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
		b->segs[nmsg++] = j - i;
		i = j;
	}
	return nmsg;
}

/* Send the batch. A full socket buffer (ENOBUFS/EAGAIN) is back-pressure from our
 * own kernel: wait briefly and send the same message again. Any other failure of a
 * message counts its datagrams as send errors and goes on with the next. */
static void
send_batch(struct transmitter *t, struct tx_batch *b)
{
	unsigned nmsg = batch_messages(t, b), done = 0, first = 0;	/* msgs, datagrams */
	uint64_t sent = 0, errors = 0, bytes = 0;

	while (done < nmsg && !t->stopping) {
		int r = sendmmsg(t->cfg.sock, b->msg + done, nmsg - done, 0);

		if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
			if (errno != EINTR)
				sleep_ns(200000);
			continue;
		}
		if (r < 0 && b->segs[done] > 1 && (errno == EIO || errno == EINVAL ||
		    errno == EOPNOTSUPP || errno == ENOPROTOOPT || errno == EMSGSIZE)) {
			/* This path cannot segment for us: regroup what is left, one
			 * message per datagram, and keep going that way. */
			log_warn("bridge-tx: UDP segmentation offload refused (%s); sending "
				 "one datagram per message", strerror(errno));
			t->gso = false;
			memmove(b->buf, b->buf + (size_t)first * t->cfg.sender.datagram,
				(size_t)(b->n - first) * t->cfg.sender.datagram);
			memmove(b->len, b->len + first, (b->n - first) * sizeof(b->len[0]));
			b->n -= first;
			first = 0;
			nmsg = batch_messages(t, b);
			done = 0;
			continue;
		}
		if (r < 0) {		/* this message is lost; count it and go on */
			r = 1;
			errors += b->segs[done];
		} else {
			for (int i = 0; i < r; i++) {
				for (unsigned k = 0; k < b->segs[done + i]; k++)
					bytes += b->len[first + k];
				sent += b->segs[done + i];
				first += b->segs[done + i];
			}
			done += (unsigned)r;
			continue;
		}
		first += b->segs[done];
		done++;
	}
	pthread_mutex_lock(&t->lock);
	t->datagrams += sent;
	t->send_errors += errors;
	t->bytes += bytes;
	pthread_mutex_unlock(&t->lock);
	b->n = 0;
}

static int
open_work(struct transmitter *t, const char *id)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/work/%s", t->cfg.spool->root, id);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Send one bundle, paced by the token bucket, under its digest when p has one.
 * 0; -1 if it could not be read; 1 if it is gone (a receipt finished it). */
static int
send_bundle(struct transmitter *t, const struct pending *p)
{
	const char *id = p->id;
	struct tx_batch *b = calloc(1, sizeof(*b));
	struct sender *s = NULL;
	int fd = -1, rc = -1, r = SENDER_MORE;

	if (b == NULL || (b->buf = malloc(TX_BATCH * t->cfg.sender.datagram)) == NULL ||
	    (fd = open_work(t, id)) < 0) {
		if (b != NULL && b->buf != NULL && errno == ENOENT)
			rc = 1;
		else
			log_err("bridge-tx: bundle %s: %s", id, strerror(errno));
		goto out;
	}
	if ((r = sender_open(&s, &t->cfg.sender, &t->ftx, fd, id, NULL,
			     p->hashed ? p->sha256 : NULL)) != 0) {
		log_err("bridge-tx: bundle %s: %s", id, sender_strerror(r));
		goto out;
	}
	while (!t->stopping && r == SENDER_MORE) {
		size_t bytes = 0;
		uint64_t wait;

		for (b->n = 0; b->n < TX_BATCH; b->n++) {
			r = sender_next(s, b->buf + b->n * t->cfg.sender.datagram,
					t->cfg.sender.datagram, &b->len[b->n]);
			if (r != SENDER_MORE)
				break;
			bytes += b->len[b->n];
		}
		if (b->n == 0)
			break;
		while (!t->stopping && (wait = sender_rate_wait(&t->rate, bytes, now_ns())) != 0)
			sleep_ns(wait);
		send_batch(t, b);
	}
	rc = (r == SENDER_DONE || t->stopping) ? 0 : -1;
	if (r < 0)
		log_err("bridge-tx: bundle %s: %s", id, sender_strerror(r));
out:
	sender_close(s);
	if (fd >= 0)
		close(fd);
	if (b != NULL)
		free(b->buf);
	free(b);
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

/* Claim the next new bundle and hash it, one ahead of the send loop. */
static void *
prepare(void *arg)
{
	struct transmitter *t = arg;
	/* A bundle is taken when it lands in the outbox, not at the next look. */
	int watch = spool_watch(t->cfg.spool);

	if (watch < 0)
		log_warn("bridge-tx: %s: cannot watch for bundles, looking every 100 ms: %s",
			 t->cfg.spool->root, strerror(-watch));
	while (!t->stopping) {
		struct pending p = { .id = "" };
		struct spool_item item;
		bool room;
		int fd;

		pthread_mutex_lock(&t->lock);
		while (!t->stopping && t->have_prep)
			pthread_cond_wait(&t->prep_cv, &t->lock);
		room = t->npending < TRANSMITTER_MAX_PENDING;
		pthread_mutex_unlock(&t->lock);
		if (t->stopping)
			break;
		if (!room) {
			sleep_ns(100000000);
			continue;
		}
		if (spool_claim(t->cfg.spool, &item) != SPOOL_OK) {
			(void)spool_wait(watch, 100);
			continue;
		}
		snprintf(p.id, sizeof p.id, "%s", item.id);
		/* Unreadable now: send_bundle will try again and say why. */
		if ((fd = open_work(t, p.id)) >= 0) {
			p.hashed = crypto_sha256_fd(fd, p.sha256) == CRYPTO_OK;
			close(fd);
		}
		pthread_mutex_lock(&t->lock);
		t->prep = p;
		t->have_prep = true;
		pthread_cond_broadcast(&t->prep_cv);
		pthread_mutex_unlock(&t->lock);
	}
	if (watch >= 0)
		close(watch);
	return NULL;
}

/* The prepared bundle, if there is one yet; waits up to 100 ms for it. */
static bool
take_prepared(struct transmitter *t, struct pending *out)
{
	struct timespec until;
	bool got;

	deadline_after_ms(&until, 100);
	pthread_mutex_lock(&t->lock);
	while (!t->stopping && !t->have_prep &&
	       pthread_cond_timedwait(&t->prep_cv, &t->lock, &until) == 0)
		;
	if ((got = t->have_prep)) {
		*out = t->prep;
		t->have_prep = false;
		pthread_cond_broadcast(&t->prep_cv);
	}
	pthread_mutex_unlock(&t->lock);
	return got;
}

static void *
run(void *arg)
{
	struct transmitter *t = arg;

	while (!t->stopping) {
		struct pending due = { .id = "" };
		uint64_t now_ms = now_ns() / 1000000;
		bool resend = false;
		int sent;

		apply_receipts(t);
		pthread_mutex_lock(&t->lock);
		for (size_t i = 0; i < t->npending; i++)
			if (t->pending[i].next_ms <= now_ms) {
				due = t->pending[i];
				resend = true;
				break;
			}
		pthread_mutex_unlock(&t->lock);
		if (!resend && !take_prepared(t, &due))
			continue;
		if ((sent = send_bundle(t, &due)) == 1) {
			/* Confirmed by a receipt after it was claimed: nothing to wait for. */
			pthread_mutex_lock(&t->lock);
			pending_remove(t, due.id);
			pthread_mutex_unlock(&t->lock);
			continue;
		}
		if (sent != 0) {
			/* Unreadable: leave it in work/ and try again on the next resend. */
			due.tries = due.tries ? due.tries : 1;
		}
		due.tries++;
		/* Receipts are cumulative and repeated by the far side's next one: they are
		 * sent (with all passes) but never wait for a receipt of their own. */
		if (!resend && strncmp(due.id, TRANSMITTER_RECEIPT_PREFIX,
				       strlen(TRANSMITTER_RECEIPT_PREFIX)) == 0) {
			spool_finish_id(t->cfg.spool, due.id);
			pthread_mutex_lock(&t->lock);
			t->bundles_sent++;
			pthread_mutex_unlock(&t->lock);
			log_info("bridge-tx: receipt %s sent", due.id);
			continue;
		}
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
	if ((rc = frame_tx_init(&t->ftx, cfg->link_key, cfg->link_id, epoch)) != FRAME_OK) {
		snprintf(err, errlen, "link key: %s", frame_strerror(rc));
		goto fail;
	}
	if ((rc = spool_recover(cfg->spool)) < 0) {
		snprintf(err, errlen, "%s: cannot recover: %s", cfg->spool->root, strerror(-rc));
		goto fail;
	}
	if (rc > 0)
		log_info("bridge-tx: %d bundles in flight at the last stop will be sent again", rc);
	sender_rate_init(&t->rate, cfg->rate_bps,
			 sender_rate_burst(cfg->rate_bps, cfg->sender.datagram, cfg->burst_ms),
			 now_ns());
	t->gso = true;		/* until the kernel says otherwise */
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->prep_cv, NULL);
	if (pthread_create(&t->prep_thread, NULL, prepare, t) != 0) {
		snprintf(err, errlen, "cannot start the hashing thread");
		goto fail_sync;
	}
	if (pthread_create(&t->thread, NULL, run, t) != 0) {
		snprintf(err, errlen, "cannot start the send thread");
		t->stopping = 1;
		pthread_mutex_lock(&t->lock);
		pthread_cond_broadcast(&t->prep_cv);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->prep_thread, NULL);
		goto fail_sync;
	}
	log_info("bridge-tx: epoch %u", epoch);
	*out = t;
	return 0;
fail_sync:
	pthread_cond_destroy(&t->prep_cv);
	pthread_mutex_destroy(&t->lock);
fail:
	frame_tx_free(&t->ftx);
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
	pthread_mutex_lock(&t->lock);
	pthread_cond_broadcast(&t->prep_cv);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_join(t->prep_thread, NULL);
	close(t->cfg.sock);
	pthread_cond_destroy(&t->prep_cv);
	pthread_mutex_destroy(&t->lock);
	frame_tx_free(&t->ftx);
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
