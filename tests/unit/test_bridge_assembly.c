/*
 * test_bridge_assembly.c — sender -> lossy channel -> frame_open -> assembly, in one
 * process, and the receiver's bounds and bookkeeping.
 *
 * The channel is deterministic (a seeded xorshift generator): random loss, loss
 * bursts, reordering within a small queue and duplication, each alone or together.
 * An object counts as delivered only when the assembly reports COMPLETE and the
 * file it hands over is byte-identical to what was sent. Objects are kept small
 * (at most 1 MB) so that the whole file runs in seconds under valgrind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "assembly.h"
#include "crypto.h"
#include "fec.h"
#include "frame.h"
#include "sender.h"
#include "testutil.h"

static const uint8_t KEY[32] = { 0x42, 0x13, 0x37 };
#define LINK  3
#define SYM   1392
#define BLOCK (64 * SYM)	/* one full block of the default geometry */

struct fixture {
	char dir[64];		/* sender's files */
	char adir[80];		/* assembly's temporary files */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_bridge_asm.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->adir, sizeof(f->adir), "%s/rx", f->dir);
	if (mkdir(f->adir, 0700) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* --- deterministic randomness and the channel ------------------------------ */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* probability in parts per million */
static int
chance(uint64_t *s, unsigned ppm)
{
	return rnd(s) % 1000000 < ppm;
}

struct channel {
	uint64_t seed;
	unsigned loss_ppm;	/* independent loss */
	unsigned burst_ppm;	/* chance that a burst starts at a datagram */
	unsigned burst_len;	/* datagrams lost in a burst */
	unsigned dup_ppm;	/* a datagram delivered twice */
	unsigned reorder;	/* queue depth: release a random queued datagram */
	unsigned skip_first;	/* datagrams lost before the receiver starts */
};

struct rx_side {
	struct frame_rx rx;
	struct assembly *a;
	unsigned complete, failed, evicted;
	uint8_t last_path[PATH_MAX];
};

struct dgram {
	size_t len;
	uint8_t b[FRAME_DEFAULT_DATAGRAM];
};

static void
deliver(struct rx_side *r, const struct dgram *d)
{
	static uint8_t pl[FRAME_MAX_DATAGRAM];
	struct frame_hdr h;
	size_t plen;

	if (frame_open(&r->rx, d->b, d->len, &h, pl, sizeof(pl), &plen) == FRAME_OK)
		(void)assembly_feed(r->a, &h, pl, plen);
}

/* Send the file at path through the channel into r. */
static void
transmit(const char *path, const char *name, const struct sender_config *cfg,
	 struct frame_tx *tx, const struct channel *ch, struct rx_side *r)
{
	struct sender *s;
	struct dgram *q, d;
	unsigned nq = 0, burst = 0, depth = ch->reorder ? ch->reorder : 1, copies, c;
	uint64_t seed = ch->seed;
	unsigned skip = ch->skip_first;
	int fd, rc;

	q = calloc(depth, sizeof(*q));
	assert_non_null(q);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(sender_open(&s, cfg, tx, fd, name, NULL, NULL), SENDER_MORE);
	while ((rc = sender_next(s, d.b, sizeof(d.b), &d.len)) == SENDER_MORE) {
		if (skip > 0) {
			skip--;
			continue;
		}
		if (burst == 0 && ch->burst_ppm && chance(&seed, ch->burst_ppm))
			burst = ch->burst_len;
		if (burst > 0) {
			burst--;
			continue;
		}
		if (chance(&seed, ch->loss_ppm))
			continue;
		copies = ch->dup_ppm && chance(&seed, ch->dup_ppm) ? 2 : 1;
		for (c = 0; c < copies; c++) {
			if (ch->reorder == 0) {
				deliver(r, &d);
				continue;
			}
			if (nq == depth) {	/* release a random one, keep this */
				unsigned i = (unsigned)(rnd(&seed) % depth);

				deliver(r, &q[i]);
				q[i] = d;
			} else {
				q[nq++] = d;
			}
		}
	}
	assert_int_equal(rc, SENDER_DONE);
	while (nq > 0)
		deliver(r, &q[--nq]);
	sender_close(s);
	close(fd);
	free(q);
}

static void
rx_open(struct rx_side *r, const struct fixture *f, const struct assembly_config *acfg)
{
	struct assembly_config cfg;

	memset(r, 0, sizeof(*r));
	assert_int_equal(frame_rx_init(&r->rx, KEY, LINK, NULL), FRAME_OK);
	if (acfg != NULL)
		cfg = *acfg;
	else
		assembly_config_default(&cfg);
	cfg.dir = f->adir;
	assert_int_equal(assembly_new(&r->a, &cfg), ASSEMBLY_STORED);
}

static void
rx_close(struct rx_side *r)
{
	assembly_free(r->a);
	frame_rx_free(&r->rx);
}

/* Drain events; a COMPLETE file is compared with want and removed. */
static void
rx_events(struct rx_side *r, const char *want_path)
{
	struct assembly_event ev;

	while (assembly_poll(r->a, &ev)) {
		if (ev.kind == ASSEMBLY_COMPLETE) {
			FILE *a = fopen(ev.path, "rb"), *b = fopen(want_path, "rb");
			int ca, cb;

			assert_non_null(a);
			assert_int_equal(assembly_verify_fd(&ev, fileno(a)), ASSEMBLY_STORED);
			assert_non_null(b);
			do {
				ca = fgetc(a);
				cb = fgetc(b);
				assert_int_equal(ca, cb);
			} while (ca != EOF);
			fclose(a);
			fclose(b);
			unlink(ev.path);
			r->complete++;
		} else if (ev.kind == ASSEMBLY_FAILED) {
			r->failed++;
		} else {
			r->evicted++;
		}
	}
}

static void
make_file(const char *path, size_t size, uint64_t seed)
{
	FILE *fp = fopen(path, "wb");
	size_t i;

	assert_non_null(fp);
	for (i = 0; i < size; i++)
		fputc((int)(rnd(&seed) & 0xff), fp);
	fclose(fp);
}

static void
cfg_with_passes(struct sender_config *cfg, unsigned passes)
{
	sender_config_default(cfg);
	cfg->passes = passes;
}

/* Send one object of size bytes over ch with passes; check it arrives once. */
static void
send_and_expect(struct fixture *f, size_t size, unsigned passes, const struct channel *ch,
		struct rx_side *r)
{
	char path[128];
	struct sender_config cfg;
	struct frame_tx tx;

	snprintf(path, sizeof(path), "%s/obj", f->dir);
	make_file(path, size, 1000 + size);
	cfg_with_passes(&cfg, passes);
	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 1), FRAME_OK);
	transmit(path, "bundle-1", &cfg, &tx, ch, r);
	frame_tx_free(&tx);
	rx_events(r, path);
}

static void
expect_delivered(struct fixture *f, size_t size, unsigned passes, const struct channel *ch)
{
	struct rx_side r;

	rx_open(&r, f, NULL);
	send_and_expect(f, size, passes, ch, &r);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.failed, 0);
	assert_int_equal(assembly_stats(r.a)->objects_complete, 1);
	assert_int_equal(assembly_incomplete(r.a, NULL, 0), 0);
	assert_int_equal(assembly_stats(r.a)->memory, 0);	/* every buffer given back */
	rx_close(&r);
}

/* --- end to end ------------------------------------------------------------- */

static void
test_object_arrives_identical_without_loss(void **state)
{
	struct channel ch = { .seed = 1 };

	expect_delivered(*state, 300000, 1, &ch);
}

static void
test_object_arrives_identical_at_1_percent_loss_in_one_pass(void **state)
{
	struct channel ch = { .seed = 2, .loss_ppm = 10000 };

	expect_delivered(*state, 300000, 1, &ch);
}

static void
test_object_arrives_identical_at_5_percent_loss_in_one_pass(void **state)
{
	struct fixture *f = *state;
	struct channel ch = { .seed = 3, .loss_ppm = 50000 };
	struct rx_side r;

	rx_open(&r, f, NULL);
	send_and_expect(f, 1 << 20, 1, &ch, &r);	/* 1 MB: 12 blocks */
	assert_int_equal(r.complete, 1);
	/* Every block of 80 lost a few symbols: parity did the work. */
	assert_true(assembly_stats(r.a)->fec_repairs >= 10);
	assert_int_equal(assembly_stats(r.a)->blocks_unrecoverable, 0);
	rx_close(&r);
}

static void
test_loss_bursts_are_spread_by_interleaving(void **state)
{
	/* Bursts of 40 datagrams: with 4 blocks interleaved, ~10 symbols per block. */
	struct channel ch = { .seed = 4, .burst_ppm = 3000, .burst_len = 40 };

	expect_delivered(*state, 4 * BLOCK, 1, &ch);
}

static void
test_reordering_and_duplication_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct channel ch = { .seed = 5, .loss_ppm = 10000, .dup_ppm = 100000, .reorder = 16 };
	struct rx_side r;

	rx_open(&r, f, NULL);
	send_and_expect(f, 200000, 2, &ch, &r);
	assert_int_equal(r.complete, 1);
	/* Exact copies are stopped by the replay window, the second pass as known. */
	assert_true(r.rx.rejected[-FRAME_EREPLAY] > 0);
	assert_true(assembly_stats(r.a)->known > 0);
	rx_close(&r);
}

static void
test_20_percent_loss_fails_cleanly_in_one_pass_and_succeeds_in_four(void **state)
{
	struct fixture *f = *state;
	struct channel ch = { .seed = 6, .loss_ppm = 200000 };
	struct rx_side r;

	rx_open(&r, f, NULL);
	send_and_expect(f, 8 * BLOCK, 1, &ch, &r);
	assert_int_equal(r.complete, 0);
	assert_int_equal(assembly_incomplete(r.a, NULL, 0), 1);
	assembly_evict_all(r.a);
	rx_events(&r, NULL);
	assert_int_equal(r.evicted, 1);
	assert_true(assembly_stats(r.a)->blocks_unrecoverable > 0);
	assert_true(assembly_stats(r.a)->blocks_unrecoverable < 8);
	rx_close(&r);

	expect_delivered(f, 8 * BLOCK, 4, &ch);
}

static void
test_edge_sizes_arrive_identical(void **state)
{
	struct channel ch = { .seed = 7, .loss_ppm = 20000 };

	expect_delivered(*state, 0, 1, &ch);
	expect_delivered(*state, 1, 2, &ch);
	expect_delivered(*state, SYM, 2, &ch);
	expect_delivered(*state, BLOCK, 1, &ch);
	expect_delivered(*state, BLOCK + 1, 2, &ch);
}

static void
test_late_receiver_assembles_from_second_pass(void **state)
{
	struct fixture *f = *state;
	/* The receiver starts after most of the first pass (~242 datagrams) and
	 * misses its first manifest; the carousel brings the rest. */
	struct channel ch = { .seed = 8, .skip_first = 200 };

	expect_delivered(f, 3 * BLOCK, 2, &ch);
}

static void
test_completed_object_is_ignored_when_sent_again(void **state)
{
	struct fixture *f = *state;
	struct channel ch = { .seed = 9 };
	struct rx_side r;

	rx_open(&r, f, NULL);
	send_and_expect(f, 5000, 1, &ch, &r);
	send_and_expect(f, 5000, 1, &ch, &r);	/* same name and content: same id */
	assert_int_equal(r.complete, 1);
	assert_int_equal(assembly_stats(r.a)->objects_complete, 1);
	assert_true(assembly_stats(r.a)->known >= 6);
	rx_close(&r);
}

/* --- bounds ------------------------------------------------------------------ */

/* A hand-made frame for assembly (as frame_open would return it). */
static struct frame_hdr
hdr(uint8_t id, uint64_t size, uint8_t type, uint32_t block, uint16_t index)
{
	struct frame_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	memset(h.object_id, id, FRAME_ID_LEN);
	h.object_size = size;
	h.k = 64;
	h.m = 16;
	h.symbol_size = SYM;
	h.block_count = (uint32_t)frame_block_count(size, 64, SYM);
	h.block = block;
	h.index = index;
	return h;
}

static void
test_oldest_incomplete_object_is_evicted_at_the_object_limit(void **state)
{
	struct fixture *f = *state;
	struct assembly_config cfg;
	struct assembly_event ev;
	static uint8_t sym[SYM];
	uint8_t ids[4][FRAME_ID_LEN];
	struct frame_hdr h;
	struct rx_side r;

	assembly_config_default(&cfg);
	cfg.max_objects = 2;
	rx_open(&r, f, &cfg);
	h = hdr(1, 3 * BLOCK, FRAME_DATA, 0, 0);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_DUPLICATE);
	h = hdr(2, 3 * BLOCK, FRAME_DATA, 0, 0);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
	assert_int_equal(assembly_poll(r.a, &ev), 0);
	h = hdr(3, 3 * BLOCK, FRAME_DATA, 0, 0);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
	assert_int_equal(assembly_poll(r.a, &ev), 1);
	assert_int_equal(ev.kind, ASSEMBLY_EVICTED);
	assert_int_equal(ev.object_id[0], 1);
	assert_int_equal(ev.blocks_missing, 3);
	assert_int_equal(assembly_incomplete(r.a, ids, 4), 2);
	assert_int_equal(ids[0][0], 2);
	assert_int_equal(ids[1][0], 3);
	assert_int_equal(assembly_stats(r.a)->objects_evicted, 1);
	assert_int_equal(assembly_stats(r.a)->blocks_unrecoverable, 3);
	assert_int_equal(assembly_stats(r.a)->duplicates, 1);
	rx_close(&r);
}

static void
test_buffered_parity_stays_within_the_memory_budget(void **state)
{
	struct fixture *f = *state;
	struct assembly_config cfg;
	struct assembly_event ev;
	static uint8_t sym[SYM];
	struct frame_hdr h;
	struct rx_side r;
	uint16_t i;

	assembly_config_default(&cfg);
	cfg.memory_budget = 40 * 1024;
	rx_open(&r, f, &cfg);
	/* Object 1 holds 16 parity symbols (~22 KB) of an undecodable block. */
	for (i = 64; i < 80; i++) {
		h = hdr(1, BLOCK, FRAME_DATA, 0, i);
		assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
	}
	/* Object 2's parity needs room: object 1 goes. */
	for (i = 64; i < 80; i++) {
		h = hdr(2, BLOCK, FRAME_DATA, 0, i);
		assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
		assert_true(assembly_stats(r.a)->memory <= cfg.memory_budget);
	}
	assert_int_equal(assembly_poll(r.a, &ev), 1);
	assert_int_equal(ev.kind, ASSEMBLY_EVICTED);
	assert_int_equal(ev.object_id[0], 1);
	/* An object alone over the budget drops symbols instead. */
	h = hdr(2, BLOCK, FRAME_DATA, 0, 0);
	cfg.memory_budget = 0;
	rx_close(&r);
	rx_open(&r, f, &cfg);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_ETOOBIG);
	assert_int_equal(assembly_stats(r.a)->objects_refused, 1);
	rx_close(&r);
}

static void
test_object_arrives_identical_when_its_data_has_no_room_in_memory(void **state)
{
	struct fixture *f = *state;
	struct channel ch = { .seed = 9, .loss_ppm = 50000 };
	struct assembly_config cfg;
	struct rx_side r;

	/* Room for a block's parity, not for its 89 KB of data: every data symbol is
	 * written through to the file and rebuilt ones are read back from it. */
	assembly_config_default(&cfg);
	cfg.memory_budget = 60 * 1024;
	rx_open(&r, f, &cfg);
	send_and_expect(f, 1 << 20, 1, &ch, &r);
	assert_int_equal(r.complete, 1);
	assert_true(assembly_stats(r.a)->fec_repairs >= 10);
	assert_int_equal(assembly_stats(r.a)->objects_evicted, 0);
	assert_int_equal(assembly_stats(r.a)->memory, 0);
	rx_close(&r);
}

static void
test_gathered_data_goes_to_its_file_before_any_object_is_evicted(void **state)
{
	struct fixture *f = *state;
	struct assembly_config cfg;
	struct assembly_event ev;
	static uint8_t sym[SYM], want[BLOCK], got[BLOCK];
	char hex[2 * FRAME_ID_LEN + 1], path[PATH_MAX];
	struct frame_hdr h;
	struct rx_side r;
	uint16_t i;
	int fd;

	assembly_config_default(&cfg);
	cfg.memory_budget = BLOCK + 16 * 1024;
	rx_open(&r, f, &cfg);
	/* Object 1 gathers 10 of its 64 data symbols in memory (an 89 KB buffer). */
	for (i = 0; i < 10; i++) {
		memset(want + (size_t)i * SYM, i + 1, SYM);
		h = hdr(1, BLOCK, FRAME_DATA, 0, i);
		assert_int_equal(assembly_feed(r.a, &h, want + (size_t)i * SYM, SYM),
				 ASSEMBLY_STORED);
	}
	assert_true(assembly_stats(r.a)->memory > BLOCK);
	/* Object 2's parity needs that room: object 1's data goes to its file, and
	 * object 1 stays. */
	for (i = 64; i < 80; i++) {
		h = hdr(2, BLOCK, FRAME_DATA, 0, i);
		assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
		assert_true(assembly_stats(r.a)->memory <= cfg.memory_budget);
	}
	assert_int_equal(assembly_poll(r.a, &ev), 0);
	assert_int_equal(assembly_stats(r.a)->objects_evicted, 0);
	assert_int_equal(assembly_incomplete(r.a, NULL, 0), 2);
	/* The rest of object 1's block arrives; the file holds all 64 symbols. */
	for (i = 10; i < 64; i++) {
		memset(want + (size_t)i * SYM, i + 1, SYM);
		h = hdr(1, BLOCK, FRAME_DATA, 0, i);
		assert_int_equal(assembly_feed(r.a, &h, want + (size_t)i * SYM, SYM),
				 ASSEMBLY_STORED);
	}
	assert_int_equal(assembly_stats(r.a)->blocks_decoded, 1);
	memset(ev.object_id, 1, FRAME_ID_LEN);
	crypto_hex(ev.object_id, FRAME_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/%s.part", f->adir, hex);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), BLOCK);
	close(fd);
	assert_memory_equal(got, want, BLOCK);
	rx_close(&r);
}

static void
test_object_over_the_size_limit_is_refused(void **state)
{
	struct fixture *f = *state;
	struct assembly_config cfg;
	static uint8_t sym[SYM];
	struct frame_hdr h = hdr(1, 2 * BLOCK, FRAME_DATA, 0, 0);
	struct rx_side r;

	assembly_config_default(&cfg);
	cfg.max_object_size = BLOCK;
	rx_open(&r, f, &cfg);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_ETOOBIG);
	assert_int_equal(assembly_incomplete(r.a, NULL, 0), 0);
	rx_close(&r);
}

static void
test_frame_contradicting_its_object_is_a_conflict(void **state)
{
	struct fixture *f = *state;
	static uint8_t sym[SYM];
	uint8_t man[FRAME_MANIFEST_MAX], sha[32] = { 1 };
	struct frame_hdr h = hdr(1, 2 * BLOCK, FRAME_DATA, 0, 0);
	struct rx_side r;
	int n;

	rx_open(&r, f, NULL);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_STORED);
	h = hdr(1, 2 * BLOCK + 1, FRAME_DATA, 0, 1);
	assert_int_equal(assembly_feed(r.a, &h, sym, SYM), ASSEMBLY_ECONFLICT);
	n = frame_manifest_encode("a", sha, man);
	h = hdr(1, 2 * BLOCK, FRAME_MANIFEST, 0, 0);
	assert_int_equal(assembly_feed(r.a, &h, man, (size_t)n), ASSEMBLY_STORED);
	assert_int_equal(assembly_feed(r.a, &h, man, (size_t)n), ASSEMBLY_DUPLICATE);
	n = frame_manifest_encode("b", sha, man);
	assert_int_equal(assembly_feed(r.a, &h, man, (size_t)n), ASSEMBLY_ECONFLICT);
	assert_int_equal(assembly_stats(r.a)->conflicts, 2);
	rx_close(&r);
}

/* The digest is the caller's to check, off the thread that feeds frames: a file
 * that does not match is refused by assembly_verify_fd, and once rejected its id is
 * forgotten, so the sender's resend is assembled again rather than ignored. */
static void
test_digest_mismatch_is_refused_and_the_rejected_object_taken_again(void **state)
{
	struct fixture *f = *state;
	struct assembly_event ev;
	static uint8_t sym[SYM];
	uint8_t man[FRAME_MANIFEST_MAX], bad[32] = { 9 }, good[32];
	struct frame_hdr h, d;
	struct rx_side r;
	int n, fd, pass;

	rx_open(&r, f, NULL);
	n = frame_manifest_encode("x", bad, man);
	h = hdr(5, 100, FRAME_MANIFEST, 0, 0);
	d = hdr(5, 100, FRAME_DATA, 0, 0);
	for (pass = 0; pass < 2; pass++) {
		assert_int_equal(assembly_feed(r.a, &h, man, (size_t)n), ASSEMBLY_STORED);
		assert_int_equal(assembly_feed(r.a, &d, sym, SYM), ASSEMBLY_STORED);
		assert_int_equal(assembly_poll(r.a, &ev), 1);
		assert_int_equal(ev.kind, ASSEMBLY_COMPLETE);
		assert_int_equal(ev.size, 100);
		assert_true((fd = open(ev.path, O_RDONLY | O_CLOEXEC)) >= 0);
		assert_int_equal(assembly_verify_fd(&ev, fd), ASSEMBLY_EDIGEST);
		assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
		close(fd);
		if (pass == 0) {
			/* Not yet rejected: a later pass of the carousel is ignored. */
			assert_int_equal(assembly_feed(r.a, &d, sym, SYM), ASSEMBLY_KNOWN);
		}
		assembly_reject(r.a, &ev);
		assert_int_equal(unlink(ev.path), 0);
		assert_int_equal(assembly_stats(r.a)->objects_failed, pass + 1);
		assert_int_equal(assembly_stats(r.a)->objects_complete, 0);
	}

	/* The same bytes under their true digest verify. */
	crypto_sha256(sym, 100, good);
	n = frame_manifest_encode("y", good, man);
	h = hdr(6, 100, FRAME_MANIFEST, 0, 0);
	d = hdr(6, 100, FRAME_DATA, 0, 0);
	assert_int_equal(assembly_feed(r.a, &d, sym, SYM), ASSEMBLY_STORED);
	assert_int_equal(assembly_feed(r.a, &h, man, (size_t)n), ASSEMBLY_STORED);
	assert_int_equal(assembly_poll(r.a, &ev), 1);
	assert_int_equal(ev.kind, ASSEMBLY_COMPLETE);
	assert_true((fd = open(ev.path, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(assembly_verify_fd(&ev, fd), ASSEMBLY_STORED);
	/* A file of another length is refused before it is hashed. */
	ev.size = 99;
	assert_int_equal(assembly_verify_fd(&ev, fd), ASSEMBLY_EDIGEST);
	close(fd);
	assert_int_equal(unlink(ev.path), 0);
	assert_int_equal(assembly_stats(r.a)->objects_complete, 1);
	assert_int_equal(rmdir(f->adir), 0);	/* no temporary file left behind */
	assert_int_equal(mkdir(f->adir, 0700), 0);
	rx_close(&r);
}

/* --- sender ------------------------------------------------------------------- */

static void
test_sender_interleaves_blocks_and_starts_with_the_manifest(void **state)
{
	struct fixture *f = *state;
	struct sender_config cfg;
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h;
	struct sender *s;
	static uint8_t dg[FRAME_DEFAULT_DATAGRAM], pl[FRAME_MAX_DATAGRAM];
	char path[128];
	size_t len, plen;
	unsigned i, n = 0, manifests = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/obj", f->dir);
	make_file(path, 3 * BLOCK, 1);
	sender_config_default(&cfg);
	cfg.passes = 1;
	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 1), FRAME_OK);
	assert_int_equal(frame_rx_init(&rx, KEY, LINK, NULL), FRAME_OK);
	fd = open(path, O_RDONLY);
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "bundle", NULL, NULL), SENDER_MORE);
	for (i = 0; sender_next(s, dg, sizeof(dg), &len) == SENDER_MORE; i++) {
		assert_true(len <= FRAME_DEFAULT_DATAGRAM);
		assert_int_equal(frame_open(&rx, dg, len, &h, pl, sizeof(pl), &plen), FRAME_OK);
		if (h.type == FRAME_MANIFEST) {
			manifests++;
			assert_true(i == 0 || n % cfg.manifest_every == 0 || n == 240);
			continue;
		}
		/* index i of blocks 0, 1, 2 before index i + 1 */
		assert_int_equal(h.block, n % 3);
		assert_int_equal(h.index, n / 3);
		n++;
	}
	assert_int_equal(n, 3 * 80);
	assert_int_equal(i, sender_datagrams_per_pass(s) + 1);
	assert_int_equal(manifests, 1 + (240 - 1) / 256 + 1);
	assert_int_equal(sender_next(s, dg, sizeof(dg), &len), SENDER_DONE);
	sender_close(s);
	close(fd);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

static void
test_sender_refuses_bad_names_and_configurations(void **state)
{
	struct fixture *f = *state;
	struct sender_config cfg;
	struct frame_tx tx;
	struct sender *s;
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/obj", f->dir);
	make_file(path, 100, 1);
	fd = open(path, O_RDONLY);
	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 1), FRAME_OK);
	sender_config_default(&cfg);
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "../x", NULL, NULL), SENDER_EARG);
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "a b", NULL, NULL), SENDER_EARG);
	cfg.k = 0;
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "ok", NULL, NULL), SENDER_EARG);
	sender_config_default(&cfg);
	cfg.m = 250;
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "ok", NULL, NULL), SENDER_EARG);
	sender_config_default(&cfg);
	cfg.datagram = 100;
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "ok", NULL, NULL), SENDER_EARG);
	sender_config_default(&cfg);
	cfg.max_object_size = 99;
	assert_int_equal(sender_open(&s, &cfg, &tx, fd, "ok", NULL, NULL), SENDER_EARG);
	close(fd);
	frame_tx_free(&tx);
}

static void
test_rate_limiter_paces_to_the_configured_rate(void **state)
{
	(void)state;
	struct sender_rate r;
	uint64_t now = 1000, sent = 0, w;

	/* 100 Mbit/s = 12.5 bytes/ns... per microsecond; burst of 2 datagrams. */
	sender_rate_init(&r, 100000000ull, 2 * 1472, now);
	assert_int_equal(sender_rate_wait(&r, 1472, now), 0);
	assert_int_equal(sender_rate_wait(&r, 1472, now), 0);
	w = sender_rate_wait(&r, 1472, now);
	assert_true(w > 117000 && w < 118000);	/* 1472 B at 12.5 B/us = 117.76 us */
	/* Over one simulated second, at most rate + burst bytes go out. */
	while (now < 1000 + 1000000000ull) {
		w = sender_rate_wait(&r, 1472, now);
		if (w == 0)
			sent += 1472;
		else
			now += w;
	}
	assert_true(sent >= 12400000 && sent <= 12500000 + 2 * 1472);
	/* A clock that steps back does not refill; 0 bit/s means unlimited. */
	assert_true(sender_rate_wait(&r, 1472, 5) > 0);
	sender_rate_init(&r, 0, 0, 0);
	assert_int_equal(sender_rate_wait(&r, 65000, 0), 0);
}

/* Simulated bytes sent in one second at rate_bps, in batches of 32 datagrams, by a
 * thread that wakes late_ns after every time it asked for. */
static uint64_t
sent_waking_late(uint64_t rate_bps, size_t burst, uint64_t late_ns)
{
	struct sender_rate r;
	uint64_t now = 0, sent = 0, w;
	const size_t batch = 32 * 1472;

	sender_rate_init(&r, rate_bps, burst, now);
	while (now < 1000000000ull) {
		if ((w = sender_rate_wait(&r, batch, now)) == 0)
			sent += batch;
		else
			now += w + late_ns;
	}
	return sent;
}

/* A bucket of a few datagrams forgets the rate of every late wake-up; one of 2 ms
 * of the rate keeps it (the veth bridge sent 85 % of its rate, then 98 %). */
static void
test_rate_burst_of_milliseconds_keeps_the_rate_of_a_late_sender(void **state)
{
	const uint64_t rate = 3500000000ull, per_s = rate / 8;
	size_t small = 64 * 1472, burst = sender_rate_burst(rate, 1472, 2);

	(void)state;
	assert_int_equal(burst, per_s / 500);			/* 2 ms of 3500 Mbit/s */
	assert_int_equal(sender_rate_burst(100000000ull, 1472, 2), small);  /* the floor */
	assert_int_equal(sender_rate_burst(rate, 1472, 0), small);
	/* Waking 300 us late: */
	assert_true(sent_waking_late(rate, small, 300000) < per_s * 70 / 100);
	assert_true(sent_waking_late(rate, burst, 300000) >= per_s * 99 / 100);
	/* and never more than the rate, plus one burst, on time or late. */
	assert_true(sent_waking_late(rate, burst, 0) <= per_s + burst);
	assert_true(sent_waking_late(rate, burst, 300000) <= per_s + burst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_arrives_identical_without_loss),
		cmocka_unit_test(test_object_arrives_identical_at_1_percent_loss_in_one_pass),
		cmocka_unit_test(test_object_arrives_identical_at_5_percent_loss_in_one_pass),
		cmocka_unit_test(test_loss_bursts_are_spread_by_interleaving),
		cmocka_unit_test(test_reordering_and_duplication_change_nothing),
		cmocka_unit_test(test_20_percent_loss_fails_cleanly_in_one_pass_and_succeeds_in_four),
		cmocka_unit_test(test_edge_sizes_arrive_identical),
		cmocka_unit_test(test_late_receiver_assembles_from_second_pass),
		cmocka_unit_test(test_completed_object_is_ignored_when_sent_again),
		cmocka_unit_test(test_oldest_incomplete_object_is_evicted_at_the_object_limit),
		cmocka_unit_test(test_buffered_parity_stays_within_the_memory_budget),
		cmocka_unit_test(test_object_arrives_identical_when_its_data_has_no_room_in_memory),
		cmocka_unit_test(test_gathered_data_goes_to_its_file_before_any_object_is_evicted),
		cmocka_unit_test(test_object_over_the_size_limit_is_refused),
		cmocka_unit_test(test_frame_contradicting_its_object_is_a_conflict),
		cmocka_unit_test(test_digest_mismatch_is_refused_and_the_rejected_object_taken_again),
		cmocka_unit_test(test_sender_interleaves_blocks_and_starts_with_the_manifest),
		cmocka_unit_test(test_sender_refuses_bad_names_and_configurations),
		cmocka_unit_test(test_rate_limiter_paces_to_the_configured_rate),
		cmocka_unit_test(test_rate_burst_of_milliseconds_keeps_the_rate_of_a_late_sender),
	};
	return cmocka_run_group_tests_name("bridge_assembly", tests, setup, teardown);
}
