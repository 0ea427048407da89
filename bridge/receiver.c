/*
 * receiver.c — drain thread, worker thread, and the verify-then-store step.
 *
 * Three threads in a pipeline, so that no slow step stalls the one before it: drain
 * (socket -> ring), worker (ring -> frame_open -> assembly) and store (completed
 * object -> its manifest's SHA-256 -> bundle_verify_fd -> spool or quarantine;
 * the two hashes and the fsync of a 50 MB bundle take a third of a second, during
 * which the link keeps arriving).
 *
 * The ring is single-producer, single-consumer, and slots are never copied: slots
 * [tail, head) belong to the worker, all others to the drain thread, which
 * recvmmsg's straight into them. `lock` guards only head, tail and the counters,
 * and is taken once per batch, not per datagram. When the ring is full the drain
 * thread waits for room and the datagrams wait in the kernel's socket buffer; what
 * overflows that is lost and counted by the kernel (kernel_drops, SO_RXQ_OVFL). The worker's state (frame_rx, assembly) is under `state_lock`,
 * which the worker, metrics and the store step's assembly_reject take; lock order
 * is state_lock, then lock, and nobody waits on a condition holding state_lock.
 */
#define _GNU_SOURCE	/* recvmmsg */
#include "receiver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assembly.h"
#include "bundle.h"
#include "crypto.h"
#include "deadline.h"
#include "jsonio.h"
#include "log.h"
#include "quarantine.h"

#define BATCH 64			/* datagrams per recvmmsg */
#define RUNS 16				/* coalesced runs per recvmmsg (UDP_GRO) */
#define RUN_BYTES 65536			/* the most one run can hold */
#define SLOT_BYTES FRAME_MAX_DATAGRAM	/* a slot holds any UDP payload we accept */

struct slot {
	uint16_t len;
	uint8_t  skip;			/* oversized or truncated: counted, not opened */
	uint8_t *data;
};

struct receiver {
	struct receiver_config cfg;
	pthread_t drain_thread, work_thread, store_thread;
	volatile int stopping;

	pthread_mutex_t lock;		/* ring indices and the counters below */
	pthread_cond_t nonempty, has_room;
	struct slot *ring;
	size_t slot_bytes;
	uint64_t head, tail;

	int coalesced;			/* the socket takes UDP_GRO */

	/* counters (under lock) */
	uint64_t datagrams, ring_drops, kernel_drops, oversize, runs;
	uint64_t bundles_stored, bundles_duplicate, bundles_quarantined, receipts;
	time_t last_bundle;		/* last verified bundle (stored or duplicate) */

	/* completed objects handed from worker to store (under lock) */
	struct assembly_event *queue;
	uint64_t qhead, qtail;
	pthread_cond_t queued, dequeued;

	/* worker state, read for metrics; under state_lock */
	pthread_mutex_t state_lock;
	struct frame_rx frx;
	struct assembly *asm_;
	time_t last_frame;
	uint32_t last_frame_epoch;
};

/* ---- drain ------------------------------------------------------------------ */

#define GRO_MAX_SEGMENTS 64		/* the kernel coalesces at most this many */

/*
 * Wait until the ring has room for need slots, or we are stopping; *head is then
 * the first free slot, and the room is returned. A full ring is not emptied by
 * reading and dropping: what the worker has not taken yet waits in the kernel's
 * socket buffer (RECEIVER_RCVBUF), and only what overflows that is lost, counted
 * by the kernel. Dropping from the ring, as this did before, turned every pause of
 * the worker longer than the ring into a burst of loss too long for FEC to repair
 * (the bundle then came only by a resend) while the socket buffer stood empty.
 */
static uint64_t
wait_for_room(struct receiver *r, uint64_t need, uint64_t *head)
{
	uint64_t room;

	pthread_mutex_lock(&r->lock);
	while ((room = RECEIVER_RING_SLOTS - (r->head - r->tail)) < need && !r->stopping) {
		struct timespec ts;

		deadline_after_ms(&ts, 200);	/* how soon a stop is seen */
		pthread_cond_timedwait(&r->has_room, &r->lock, &ts);
	}
	*head = r->head;
	pthread_mutex_unlock(&r->lock);
	return room;
}

/*
 * Read up to n messages. Read first and sleep only when the socket is empty: under
 * load the queue is never empty, and a poll before every batch was a system call
 * and often a context switch per batch. Returns how many were read, 0 after a sleep
 * of at most 200 ms (how soon a stop is seen).
 */
static int
receive_or_wait(struct receiver *r, struct mmsghdr *msgs, unsigned n)
{
	int got = recvmmsg(r->cfg.sock, msgs, n, MSG_DONTWAIT, NULL);

	if (got <= 0) {
		struct pollfd pfd = { .fd = r->cfg.sock, .events = POLLIN };

		(void)poll(&pfd, 1, 200);
		return 0;
	}
	return got;
}

/* What a message's control data says: the kernel's drop count so far (SO_RXQ_OVFL:
 * *have_drops set) and the size of the datagrams a coalesced run holds (UDP_GRO:
 * *segment, left alone if absent). */
static void
read_cmsgs(struct msghdr *h, uint32_t *drops, int *have_drops, size_t *segment)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(drops, CMSG_DATA(c), sizeof *drops);
			*have_drops = 1;
		} else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int size;

			memcpy(&size, CMSG_DATA(c), sizeof size);
			if (size > 0)
				*segment = (size_t)size;
		}
	}
}

/* Datagram by datagram, straight into ring slots: where the kernel cannot coalesce. */
static void *
drain_direct(struct receiver *r)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];

	while (!r->stopping) {
		uint64_t head, room = wait_for_room(r, 1, &head), oversize = 0;
		uint32_t drops = 0;
		int n, want, have_drops = 0;

		if (r->stopping)
			break;
		/* Slots head .. head + room - 1 are ours until head moves past them. */
		want = room < BATCH ? (int)room : BATCH;
		for (int i = 0; i < want; i++) {
			iov[i].iov_base = r->ring[(head + (uint64_t)i) % RECEIVER_RING_SLOTS].data;
			/* One byte more than we accept, so an oversized datagram is seen as
			 * such instead of silently truncated into a valid-looking one. */
			iov[i].iov_len = r->slot_bytes;
			memset(&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof ctl[i];
		}
		if ((n = receive_or_wait(r, msgs, (unsigned)want)) == 0)
			continue;
		for (int i = 0; i < n; i++) {
			struct slot *s = &r->ring[(head + (uint64_t)i) % RECEIVER_RING_SLOTS];
			size_t len = msgs[i].msg_len, unused;
			int bad;

			read_cmsgs(&msgs[i].msg_hdr, &drops, &have_drops, &unused);
			bad = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len >= r->slot_bytes;
			oversize += (uint64_t)bad;
			s->len = bad ? 0 : (uint16_t)len;
			s->skip = (uint8_t)bad;
		}
		pthread_mutex_lock(&r->lock);
		if (have_drops)
			r->kernel_drops = drops;
		r->datagrams += (uint64_t)n;
		r->oversize += oversize;
		r->head += (uint64_t)n;
		pthread_cond_signal(&r->nonempty);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

/*
 * Runs of datagrams that the kernel coalesced (UDP_GRO): on veth, tx's GSO messages
 * arrive whole; on a NIC, GRO merges consecutive datagrams of the flow. A run costs
 * one pass through the network stack (netfilter, the socket queue, one copy out)
 * instead of one per datagram, and here it is cut back into its datagrams (the
 * UDP_GRO cmsg gives their size; the last may be shorter) and each copied into a
 * ring slot. A run is only ever cut at the sender's own datagram boundaries, so
 * the worker sees exactly what was sent. Where nothing coalesces (loopback, a relay,
 * an older kernel) every run is one datagram.
 */
static void *
drain_coalesced(struct receiver *r)
{
	struct mmsghdr msgs[RUNS];
	struct iovec iov[RUNS];
	union {				/* aligned room for SO_RXQ_OVFL and UDP_GRO */
		char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl[RUNS];
	uint8_t *buf = malloc((size_t)RUNS * RUN_BYTES);

	if (buf == NULL) {
		log_err("bridge-rx: out of memory for the receive buffer");
		return NULL;
	}
	while (!r->stopping) {
		uint64_t head, room, used = 0, datagrams = 0, oversize = 0, dropped = 0;
		uint64_t runs = 0;
		uint32_t drops = 0;
		int n, have_drops = 0;

		for (int i = 0; i < RUNS; i++) {
			iov[i].iov_base = buf + (size_t)i * RUN_BYTES;
			iov[i].iov_len = RUN_BYTES;
			memset(&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
		}
		/* Room for the most a read can bring, so that nothing read is dropped. */
		room = wait_for_room(r, (uint64_t)RUNS * GRO_MAX_SEGMENTS, &head);
		if (r->stopping)
			break;
		if ((n = receive_or_wait(r, msgs, RUNS)) == 0)
			continue;
		/* Slots head .. head + room - 1 are ours until head moves past them. */
		for (int i = 0; i < n; i++) {
			const uint8_t *run = iov[i].iov_base;
			size_t len = msgs[i].msg_len, seg = len;

			read_cmsgs(&msgs[i].msg_hdr, &drops, &have_drops, &seg);
			if (seg == 0 || seg > len)
				seg = len;
			runs++;
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				datagrams++;	/* one datagram longer than any run */
				oversize++;
				continue;
			}
			for (size_t off = 0; off < len; off += seg) {
				size_t piece = len - off < seg ? len - off : seg;
				struct slot *s;

				datagrams++;
				if (piece >= r->slot_bytes) {
					oversize++;
					continue;
				}
				if (used == room) {	/* more than GRO_MAX_SEGMENTS */
					dropped++;
					continue;
				}
				s = &r->ring[(head + used++) % RECEIVER_RING_SLOTS];
				memcpy(s->data, run + off, piece);
				s->len = (uint16_t)piece;
				s->skip = 0;
			}
		}
		pthread_mutex_lock(&r->lock);
		if (have_drops)
			r->kernel_drops = drops;
		r->datagrams += datagrams;
		r->oversize += oversize;
		r->ring_drops += dropped;
		r->runs += runs;
		r->head += used;
		pthread_cond_signal(&r->nonempty);
		pthread_mutex_unlock(&r->lock);
	}
	free(buf);
	return NULL;
}

static void *
drain(void *arg)
{
	struct receiver *r = arg;

	return r->coalesced ? drain_coalesced(r) : drain_direct(r);
}

/* ---- verify and store --------------------------------------------------------- */

static void
quarantine(struct receiver *r, const struct assembly_event *ev, const char *reason)
{
	char name[FRAME_NAME_MAX + 40], dst[PATH_MAX];

	snprintf(name, sizeof name, "%s-%lld.bundle", ev->name[0] ? ev->name : "unnamed",
		 (long long)time(NULL));
	if (quarantine_keep(r->cfg.quarantine_dir, name, ev->path, QUARANTINE_MOVE, reason,
			    dst, sizeof dst) != 0) {
		log_err("bridge-rx: cannot quarantine %s: %s; deleting it", ev->path,
			strerror(errno));
		unlink(ev->path);
		return;
	}
	pthread_mutex_lock(&r->lock);
	r->bundles_quarantined++;
	pthread_mutex_unlock(&r->lock);
	struct log_field fl[] = { { "BUNDLE", ev->name }, { "QUARANTINE", dst },
				  { "REASON", reason } };
	log_fields(LOG_LEVEL_ERR, fl, 3, "bridge-rx: bundle %s refused and quarantined: %s",
		   ev->name, reason);
}

static void
store_receipts(struct receiver *r, const struct bundle_info *info)
{
	const json_t *rec = json_object_get(json_object_get(info->data, "data/receipt.json"),
					    "received");
	size_t i;
	const json_t *id;

	json_array_foreach(rec, i, id) {
		const char *s = json_string_value(id);

		if (s && spool_valid_id(s) && spool_put(r->cfg.receipts, s, "", 0) >= 0) {
			pthread_mutex_lock(&r->lock);
			r->receipts++;
			pthread_mutex_unlock(&r->lock);
		}
	}
}

static void
complete(struct receiver *r, const struct assembly_event *ev)
{
	struct bundle_check chk = { .signer_pub = r->cfg.verify_key,
				    .signer_ring = r->cfg.verify_ring };
	struct bundle_info info;
	char err[512], tenant[33];
	int fd, rc;

	chk.attest_pub = r->cfg.dir == LINK_UPLINK ? r->cfg.verify_key : NULL;
	chk.attest_ring = r->cfg.dir == LINK_UPLINK ? r->cfg.verify_ring : NULL;
	bundle_limits_default(&chk.limits);
	if ((fd = open(ev->path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("bridge-rx: %s: %s", ev->path, strerror(errno));
		unlink(ev->path);
		return;
	}
	/* The link's own check first: the object is what the sender hashed. Here, not
	 * in the worker, whose frames would otherwise wait for every large object. */
	if ((rc = assembly_verify_fd(ev, fd)) != ASSEMBLY_STORED) {
		close(fd);
		unlink(ev->path);
		pthread_mutex_lock(&r->state_lock);
		assembly_reject(r->asm_, ev);
		pthread_mutex_unlock(&r->state_lock);
		log_err("bridge-rx: object %s failed: %s; the sender's resend will bring it",
			ev->name, assembly_strerror(rc));
		return;
	}
	rc = bundle_verify_fd(fd, &chk, &info, err, sizeof err);
	if (rc == BUNDLE_EBADSIG && r->cfg.receipt_key != NULL) {
		/* Perhaps a receipt from the other side's receiver: its key may sign that,
		 * and only that (acks.h). */
		struct bundle_check rchk = { .signer_pub = r->cfg.receipt_key,
					     .signer_ring = r->cfg.receipt_ring };
		char rerr[512];

		rchk.limits = chk.limits;
		rchk.limits.max_members = 1;
		if (lseek(fd, 0, SEEK_SET) == 0 &&
		    bundle_verify_fd(fd, &rchk, &info, rerr, sizeof rerr) == BUNDLE_OK) {
			if (strcmp(info.kind, "receipt") == 0 && strcmp(info.id, ev->name) == 0 &&
			    json_object_get(info.data, "data/receipt.json") != NULL &&
			    json_object_size(info.data) == 1 && info.application == NULL) {
				store_receipts(r, &info);
				close(fd);
				unlink(ev->path);
				bundle_info_free(&info);
				return;
			}
			snprintf(err, sizeof err, "signed with the receipt key but not a plain "
				 "receipt (kind %s)", info.kind);
			bundle_info_free(&info);
		}
	}
	if (rc != BUNDLE_OK) {
		close(fd);
		quarantine(r, ev, err);
		return;
	}
	/* The link's object name is the bundle id the signature covers; a mismatch
	 * would let a valid bundle be stored under another's id. */
	if (strcmp(info.id, ev->name) != 0) {
		close(fd);
		snprintf(err, sizeof err, "sent as %s but signed as bundle %s", ev->name, info.id);
		bundle_info_free(&info);
		quarantine(r, ev, err);
		return;
	}
	if (strcmp(info.kind, "receipt") == 0) {
		store_receipts(r, &info);
		close(fd);
		unlink(ev->path);
		bundle_info_free(&info);
		return;
	}
	snprintf(tenant, sizeof tenant, "%s", info.tenant);
	bundle_info_free(&info);
	rc = spool_publish(r->cfg.spool, fd, ev->path, ev->name);	/* closes fd */
	/* Stored now or before: either way the sender may stop resending it. */
	if (rc == SPOOL_OK || rc == SPOOL_EXISTS)
		acks_note(r->cfg.acks, ev->name, tenant, time(NULL));
	pthread_mutex_lock(&r->lock);
	if (rc == SPOOL_OK)
		r->bundles_stored++;
	else if (rc == SPOOL_EXISTS)
		r->bundles_duplicate++;
	if (rc == SPOOL_OK || rc == SPOOL_EXISTS)
		r->last_bundle = time(NULL);
	pthread_mutex_unlock(&r->lock);
	if (rc == SPOOL_OK)
		log_info("bridge-rx: bundle %s verified and stored", ev->name);
	else if (rc != SPOOL_EXISTS)
		log_err("bridge-rx: bundle %s: cannot store: %s", ev->name, strerror(-rc));
}

static void
handle_events(struct receiver *r)
{
	struct assembly_event ev;
	char hex[2 * FRAME_ID_LEN + 1];

	for (;;) {
		int got;

		pthread_mutex_lock(&r->state_lock);
		got = assembly_poll(r->asm_, &ev);
		pthread_mutex_unlock(&r->state_lock);
		if (!got)
			break;
		switch (ev.kind) {
		case ASSEMBLY_COMPLETE:
			pthread_mutex_lock(&r->lock);
			while (r->qhead - r->qtail == RECEIVER_STORE_QUEUE && !r->stopping)
				pthread_cond_wait(&r->dequeued, &r->lock);
			if (r->stopping) {
				pthread_mutex_unlock(&r->lock);
				unlink(ev.path);
				break;
			}
			r->queue[r->qhead++ % RECEIVER_STORE_QUEUE] = ev;
			pthread_cond_signal(&r->queued);
			pthread_mutex_unlock(&r->lock);
			break;
		case ASSEMBLY_FAILED:
			log_err("bridge-rx: object %s failed: %s", ev.name[0] ? ev.name : "?",
				assembly_strerror(ev.error));
			break;
		case ASSEMBLY_EVICTED:
			crypto_hex(ev.object_id, FRAME_ID_LEN, hex);
			log_warn("bridge-rx: object %s (%s) incomplete, dropped with %u blocks "
				 "missing; the sender's resend will bring it", hex,
				 ev.name[0] ? ev.name : "no manifest yet", ev.blocks_missing);
			break;
		}
	}
}

#define WORK_BATCH 256			/* slots opened per turn of the state lock */

static void *
work(void *arg)
{
	struct receiver *r = arg;
	uint8_t *payload = malloc(r->slot_bytes);
	struct frame_hdr h;
	time_t last_frame = time(NULL);

	while (payload) {
		uint64_t tail, avail;
		int quiet = 0;

		pthread_mutex_lock(&r->lock);
		while (r->head == r->tail && !r->stopping) {
			struct timespec ts;

			deadline_after_ms(&ts, 1000);
			pthread_cond_timedwait(&r->nonempty, &r->lock, &ts);
			/* The worker is the only writer of the assembly: reading its
			 * memory counter here needs no state lock. */
			if (r->head == r->tail && time(NULL) - last_frame > RECEIVER_QUIET_EVICT_S &&
			    assembly_stats(r->asm_)->memory > 0) {
				quiet = 1;
				break;
			}
		}
		if (r->stopping) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		tail = r->tail;
		avail = r->head - r->tail;
		pthread_mutex_unlock(&r->lock);
		if (quiet && avail == 0) {
			/* A long silence: whatever is half-assembled will be resent whole. */
			pthread_mutex_lock(&r->state_lock);
			assembly_evict_all(r->asm_);
			pthread_mutex_unlock(&r->state_lock);
			handle_events(r);
			last_frame = time(NULL);
			continue;
		}
		if (avail > WORK_BATCH)
			avail = WORK_BATCH;

		/* Slots tail .. tail + avail - 1 are the worker's until tail moves. */
		pthread_mutex_lock(&r->state_lock);
		for (uint64_t i = 0; i < avail; i++) {
			const struct slot *s = &r->ring[(tail + i) % RECEIVER_RING_SLOTS];
			size_t plen;
			int rc;

			if (s->skip)
				continue;	/* counted as oversize by drain */
			rc = frame_open(&r->frx, s->data, s->len, &h, payload, r->slot_bytes,
					&plen);
			if (rc != FRAME_OK)
				continue;	/* counted in frx.rejected by reason */
			last_frame = time(NULL);
			r->last_frame = last_frame;
			r->last_frame_epoch = h.epoch;
			rc = assembly_feed(r->asm_, &h, payload, plen);
			if (rc < 0 && rc != ASSEMBLY_ECONFLICT && rc != ASSEMBLY_ETOOBIG)
				log_warn("bridge-rx: reassembly: %s", assembly_strerror(rc));
		}
		pthread_mutex_unlock(&r->state_lock);
		pthread_mutex_lock(&r->lock);
		r->tail = tail + avail;
		pthread_cond_signal(&r->has_room);
		pthread_mutex_unlock(&r->lock);
		handle_events(r);
	}
	free(payload);
	return NULL;
}

static void *
store(void *arg)
{
	struct receiver *r = arg;

	for (;;) {
		struct assembly_event ev;

		pthread_mutex_lock(&r->lock);
		while (r->qhead == r->qtail && !r->stopping)
			pthread_cond_wait(&r->queued, &r->lock);
		if (r->qhead == r->qtail) {	/* stopping, and nothing left to store */
			pthread_mutex_unlock(&r->lock);
			break;
		}
		ev = r->queue[r->qtail++ % RECEIVER_STORE_QUEUE];
		pthread_cond_signal(&r->dequeued);
		pthread_mutex_unlock(&r->lock);
		complete(r, &ev);
	}
	return NULL;
}

/* ---- life --------------------------------------------------------------------- */

/* Stop the worker (if started) and the store thread; the store thread finishes
 * what is queued, so a completed bundle is never lost at shutdown. */
static void
stop_threads(struct receiver *r, int worker_started)
{
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_broadcast(&r->nonempty);
	pthread_cond_broadcast(&r->has_room);
	pthread_cond_broadcast(&r->dequeued);
	pthread_mutex_unlock(&r->lock);
	if (worker_started)
		pthread_join(r->work_thread, NULL);
	pthread_mutex_lock(&r->lock);
	pthread_cond_broadcast(&r->queued);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->store_thread, NULL);
}

int
receiver_start(struct receiver **out, const struct receiver_config *cfg, char *err,
	       size_t errlen)
{
	struct receiver *r = calloc(1, sizeof *r);
	struct assembly_config acfg;
	char tmpdir[PATH_MAX];
	int one = 1, size = RECEIVER_RCVBUF, rc;

	if (r == NULL)
		goto nomem;
	r->cfg = *cfg;
	r->slot_bytes = cfg->limits.max_datagram + 1;
	if ((r->ring = calloc(RECEIVER_RING_SLOTS, sizeof *r->ring)) == NULL ||
	    (r->queue = calloc(RECEIVER_STORE_QUEUE, sizeof *r->queue)) == NULL)
		goto nomem;
	for (size_t i = 0; i < RECEIVER_RING_SLOTS; i++)
		if ((r->ring[i].data = malloc(r->slot_bytes)) == NULL)
			goto nomem;
	if ((rc = frame_rx_init(&r->frx, cfg->link_key, cfg->link_id, &cfg->limits)) !=
	    FRAME_OK) {
		snprintf(err, errlen, "%s", rc == FRAME_EARG ? "link limits out of range" :
			 frame_strerror(rc));
		goto fail;
	}
	for (size_t i = 1; cfg->link_ring && i < cfg->link_ring->n; i++)
		if ((rc = frame_rx_add_retired_key(&r->frx, cfg->link_ring->k[i].key,
						   cfg->link_ring->k[i].not_after)) != FRAME_OK) {
			snprintf(err, errlen, "retired link key %s: %s", cfg->link_ring->k[i].id,
				 frame_strerror(rc));
			goto fail;
		}
	/* Reassembled objects are written in the spool's own tmp/, so a verified one is
	 * published by a rename on the same file system. */
	snprintf(tmpdir, sizeof tmpdir, "%s/tmp", cfg->spool->root);
	assembly_config_default(&acfg);
	acfg.dir = tmpdir;
	acfg.max_object_size = cfg->limits.max_object_size;
	if (cfg->memory_budget)
		acfg.memory_budget = cfg->memory_budget;
	if (assembly_new(&r->asm_, &acfg) != ASSEMBLY_STORED) {
		snprintf(err, errlen, "%s: cannot set up reassembly", tmpdir);
		goto fail;
	}
	/* SO_RCVBUFFORCE passes rmem_max when we may (CAP_NET_ADMIN); else ask within it. */
	if (setsockopt(cfg->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
		setsockopt(cfg->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	setsockopt(cfg->sock, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
	r->coalesced = !cfg->no_coalesce &&
	    setsockopt(cfg->sock, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->state_lock, NULL);
	pthread_cond_init(&r->nonempty, NULL);
	pthread_cond_init(&r->has_room, NULL);
	pthread_cond_init(&r->queued, NULL);
	pthread_cond_init(&r->dequeued, NULL);
	if (pthread_create(&r->store_thread, NULL, store, r) != 0) {
		snprintf(err, errlen, "cannot start the store thread");
		goto fail;
	}
	if (pthread_create(&r->work_thread, NULL, work, r) != 0) {
		stop_threads(r, 0);
		snprintf(err, errlen, "cannot start the worker thread");
		goto fail;
	}
	if (pthread_create(&r->drain_thread, NULL, drain, r) != 0) {
		stop_threads(r, 1);
		snprintf(err, errlen, "cannot start the receive thread");
		goto fail;
	}
	*out = r;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	if (r) {
		if (r->asm_)
			assembly_free(r->asm_);
		frame_rx_free(&r->frx);
		for (size_t i = 0; r->ring && i < RECEIVER_RING_SLOTS; i++)
			free(r->ring[i].data);
		free(r->ring);
		free(r->queue);
		free(r);
	}
	return -1;
}

void
receiver_stop(struct receiver *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->drain_thread, NULL);
	stop_threads(r, 1);
	assembly_free(r->asm_);
	frame_rx_free(&r->frx);
	close(r->cfg.sock);
	for (size_t i = 0; i < RECEIVER_RING_SLOTS; i++)
		free(r->ring[i].data);
	free(r->ring);
	free(r->queue);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->state_lock);
	pthread_cond_destroy(&r->nonempty);
	pthread_cond_destroy(&r->has_room);
	pthread_cond_destroy(&r->queued);
	pthread_cond_destroy(&r->dequeued);
	free(r);
}

json_t *
receiver_metrics(struct receiver *r)
{
	static const char *const reasons[FRAME_NREASONS] = {
		NULL, "short", "long", "magic", "version", "type", "link", "replay", "stale",
		"auth", "geometry", "manifest",
	};
	json_t *m, *rej = json_object(), *incomplete = json_array();
	uint8_t ids[16][FRAME_ID_LEN];
	char hex[2 * FRAME_ID_LEN + 1];
	size_t nin;

	pthread_mutex_lock(&r->state_lock);
	pthread_mutex_lock(&r->lock);
	const struct assembly_stats *st = assembly_stats(r->asm_);
	uint64_t rejected = 0;
	for (int i = 1; i < FRAME_NREASONS; i++) {
		rejected += r->frx.rejected[i];
		if (r->frx.rejected[i])
			json_object_set_new(rej, reasons[i], json_integer((json_int_t)r->frx.rejected[i]));
	}
	nin = assembly_incomplete(r->asm_, ids, 16);
	for (size_t i = 0; i < nin && i < 16; i++) {
		crypto_hex(ids[i], FRAME_ID_LEN, hex);
		json_array_append_new(incomplete, json_string(hex));
	}
	m = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
		      "s:{s:I,s:I,s:I,s:I},s:o,s:I,s:I,s:I}",
		      "datagrams_received", (json_int_t)r->datagrams,
		      "datagrams_accepted", (json_int_t)r->frx.accepted,
		      "datagrams_retired_key", (json_int_t)r->frx.accepted_retired,
		      "datagrams_rejected", (json_int_t)(rejected + r->oversize),
		      "ring_drops", (json_int_t)r->ring_drops,
		      "coalesced", r->coalesced ? json_true() : json_false(),
		      "receive_runs", (json_int_t)r->runs,
		      "kernel_drops", (json_int_t)r->kernel_drops,
		      "rejected_by_reason", rej,
		      "assembly",
		      "objects_complete", (json_int_t)st->objects_complete,
		      "objects_failed", (json_int_t)st->objects_failed,
		      "objects_evicted", (json_int_t)st->objects_evicted,
		      "fec_repairs", (json_int_t)st->fec_repairs,
		      "blocks_unrecoverable", (json_int_t)st->blocks_unrecoverable,
		      "duplicates", (json_int_t)st->duplicates,
		      "memory_bytes", (json_int_t)st->memory,
		      "bundles",
		      "stored", (json_int_t)r->bundles_stored,
		      "duplicate", (json_int_t)r->bundles_duplicate,
		      "quarantined", (json_int_t)r->bundles_quarantined,
		      "receipts", (json_int_t)r->receipts,
		      "incomplete_objects", incomplete,
		      "last_seen_epoch", (json_int_t)r->last_frame_epoch,
		      "last_seen_unix", (json_int_t)r->last_frame,
		      "last_bundle_unix", (json_int_t)r->last_bundle);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&r->state_lock);
	return m;
}
