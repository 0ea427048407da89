/*
 * test_bridge_frame.c — the datagram format: what is sealed opens byte for byte,
 * and every way a datagram can be wrong is refused with its own code and counter.
 *
 * Geometry attacks are sealed with the real key, because the receiver reads the
 * geometry only after authentication: an unauthenticated header never reaches
 * those checks. The epoch tests simulate sender restarts through the state file.
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
#include <time.h>

#include "frame.h"

static const uint8_t KEY[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
#define LINK 7
#define SYM  1392

/* A data header for a 3-block object with the default geometry. */
static struct frame_hdr
data_hdr(uint32_t block, uint16_t index)
{
	struct frame_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = FRAME_DATA;
	memset(h.object_id, 0xab, sizeof(h.object_id));
	h.k = 64;
	h.m = 16;
	h.symbol_size = SYM;
	h.object_size = 2ull * 64 * SYM + 1000;	/* last block: 1 short symbol */
	h.block_count = 3;
	h.block = block;
	h.index = index;
	return h;
}

static size_t
seal(struct frame_tx *tx, struct frame_hdr *h, const void *pl, size_t len, uint8_t *out)
{
	size_t n = 0;

	assert_int_equal(frame_seal(tx, h, pl, len, out, FRAME_MAX_DATAGRAM, &n), FRAME_OK);
	return n;
}

static void
rx_default(struct frame_rx *rx)
{
	assert_int_equal(frame_rx_init(rx, KEY, LINK, NULL), FRAME_OK);
}

static void
test_default_mtu_gives_1392_byte_symbols(void **state)
{
	(void)state;
	assert_int_equal(frame_symbol_size(FRAME_DEFAULT_DATAGRAM), 1392);
	assert_int_equal(frame_symbol_size(1452), 1372);	/* IPv6 */
	assert_int_equal(frame_symbol_size(10), 0);
}

static void
test_data_frame_round_trips_every_field(void **state)
{
	(void)state;
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h = data_hdr(2, 16), g;
	static uint8_t pl[SYM], dg[FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	size_t n, plen = 0;
	unsigned i;

	for (i = 0; i < SYM; i++)
		pl[i] = (uint8_t)(i * 7);
	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 42), FRAME_OK);
	n = seal(&tx, &h, pl, SYM, dg);
	assert_int_equal(n, FRAME_DEFAULT_DATAGRAM);
	rx_default(&rx);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_OK);
	assert_int_equal(plen, SYM);
	assert_memory_equal(out, pl, SYM);
	assert_int_equal(g.type, FRAME_DATA);
	assert_int_equal(g.link_id, LINK);
	assert_int_equal(g.epoch, 42);
	assert_int_equal(g.counter, 0);
	assert_memory_equal(g.object_id, h.object_id, FRAME_ID_LEN);
	assert_int_equal(g.object_size, h.object_size);
	assert_int_equal(g.k, 64);
	assert_int_equal(g.m, 16);
	assert_int_equal(g.symbol_size, SYM);
	assert_int_equal(g.block_count, 3);
	assert_int_equal(g.block, 2);
	assert_int_equal(g.index, 16);
	assert_int_equal(frame_block_k(&g, 2), 1);	/* shortened last block */
	assert_int_equal(frame_block_k(&g, 0), 64);
	assert_int_equal(rx.accepted, 1);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

static void
test_header_is_big_endian_at_documented_offsets(void **state)
{
	(void)state;
	struct frame_hdr h = data_hdr(0x01020304 % 3, 5);
	uint8_t b[FRAME_HDR_LEN];

	h.link_id = 0x0102;
	h.epoch = 0x0a0b0c0d;
	h.counter = 0x1112131415161718ull;
	frame_hdr_encode(&h, b);
	assert_memory_equal(b, "SKBR\x01\x01\x01\x02\x0a\x0b\x0c\x0d", 12);
	assert_memory_equal(b + 12, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	assert_int_equal(b[36 + 7], (uint8_t)h.object_size);
	assert_int_equal(b[44] << 8 | b[45], 64);
	assert_int_equal(b[46] << 8 | b[47], 16);
	assert_int_equal(b[48] << 8 | b[49], SYM);
	assert_int_equal(b[50] | b[51] | b[62] | b[63], 0);
	assert_int_equal(b[55], 3);
	assert_int_equal(b[61], 5);
}

static void
test_manifest_round_trips_and_bad_names_are_refused(void **state)
{
	(void)state;
	uint8_t buf[FRAME_MANIFEST_MAX], sha[32], sha2[32];
	char name[FRAME_NAME_MAX + 1], longname[FRAME_NAME_MAX + 2];
	int n;

	memset(sha, 0x5a, sizeof(sha));
	n = frame_manifest_encode("bundle-01.tar", sha, buf);
	assert_int_equal(n, 1 + 13 + 32);
	assert_int_equal(frame_manifest_decode(buf, (size_t)n, name, sha2), FRAME_OK);
	assert_string_equal(name, "bundle-01.tar");
	assert_memory_equal(sha, sha2, 32);
	assert_int_equal(frame_manifest_encode("../etc", sha, buf), FRAME_EARG);
	assert_int_equal(frame_manifest_encode(".hidden", sha, buf), FRAME_EARG);
	assert_int_equal(frame_manifest_encode("", sha, buf), FRAME_EARG);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(frame_manifest_encode(longname, sha, buf), FRAME_EARG);
	longname[FRAME_NAME_MAX] = '\0';
	assert_true(frame_manifest_encode(longname, sha, buf) > 0);
	assert_int_equal(frame_manifest_decode(buf, (size_t)n - 1, name, sha2),
	    FRAME_EMANIFEST);
}

/* Seal one good data frame, let mutate() spoil a copy, expect code and counter. */
static void
expect_rejected(void (*mutate)(uint8_t *dg, size_t *n), int code)
{
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h = data_hdr(0, 0), g;
	static uint8_t pl[SYM], dg[FRAME_MAX_DATAGRAM + 8], out[FRAME_MAX_DATAGRAM + 8];
	size_t n, plen = 0;

	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 1), FRAME_OK);
	n = seal(&tx, &h, pl, SYM, dg);
	mutate(dg, &n);
	rx_default(&rx);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), code);
	assert_int_equal(rx.rejected[-code], 1);
	assert_int_equal(rx.accepted, 0);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

static void m_short(uint8_t *d, size_t *n) { (void)d; *n = FRAME_OVERHEAD - 1; }
static void m_long(uint8_t *d, size_t *n) { (void)d; *n = FRAME_DEFAULT_DATAGRAM + 1; }
static void m_magic(uint8_t *d, size_t *n) { (void)n; d[0] ^= 1; }
static void m_version(uint8_t *d, size_t *n) { (void)n; d[4] = 2; }
static void m_type(uint8_t *d, size_t *n) { (void)n; d[5] = 9; }
static void m_reserved(uint8_t *d, size_t *n) { (void)n; d[63] = 1; }
static void m_link(uint8_t *d, size_t *n) { (void)n; d[7] ^= 1; }
static void m_objid(uint8_t *d, size_t *n) { (void)n; d[20] ^= 0x80; }
static void m_geometry(uint8_t *d, size_t *n) { (void)n; d[45] = 1; }	/* k: 64 -> 1 */
static void m_payload(uint8_t *d, size_t *n) { (void)n; d[FRAME_HDR_LEN + 100] ^= 4; }
static void m_tag(uint8_t *d, size_t *n) { d[*n - 1] ^= 1; }
static void m_truncated(uint8_t *d, size_t *n) { (void)d; *n -= 1; }

static void
test_rx_rejects_each_malformation_with_its_code(void **state)
{
	(void)state;
	expect_rejected(m_short, FRAME_ESHORT);
	expect_rejected(m_long, FRAME_ELONG);
	expect_rejected(m_magic, FRAME_EMAGIC);
	expect_rejected(m_version, FRAME_EVERSION);
	expect_rejected(m_type, FRAME_ETYPE);
	expect_rejected(m_reserved, FRAME_ETYPE);
	expect_rejected(m_link, FRAME_ELINK);
}

static void
test_rx_drops_tampered_header_payload_and_tag_as_bad_tag(void **state)
{
	(void)state;
	expect_rejected(m_objid, FRAME_ETAG);
	expect_rejected(m_geometry, FRAME_ETAG);	/* never read before auth */
	expect_rejected(m_payload, FRAME_ETAG);
	expect_rejected(m_tag, FRAME_ETAG);
	expect_rejected(m_truncated, FRAME_ETAG);
}

static void
test_rx_with_another_key_rejects_as_bad_tag(void **state)
{
	(void)state;
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h = data_hdr(0, 0), g;
	static uint8_t pl[SYM], dg[FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	uint8_t other[32];
	size_t n, plen;

	memset(other, 0x33, sizeof(other));
	assert_int_equal(frame_tx_init(&tx, other, LINK, 1), FRAME_OK);
	n = seal(&tx, &h, pl, SYM, dg);
	rx_default(&rx);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_ETAG);
	assert_int_equal(rx.rejected[-FRAME_ETAG], 1);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

static void
test_replay_is_detected_and_reordering_is_not(void **state)
{
	(void)state;
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h, g;
	static uint8_t pl[SYM], dg[5][FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	size_t n[5], plen;
	int i;

	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 3), FRAME_OK);
	for (i = 0; i < 5; i++) {
		h = data_hdr(0, (uint16_t)i);
		n[i] = seal(&tx, &h, pl, SYM, dg[i]);
	}
	rx_default(&rx);
	/* 4, 0, 2 arrive first; 1 and 3 late: all fresh. */
	assert_int_equal(frame_open(&rx, dg[4], n[4], &g, out, sizeof(out), &plen), FRAME_OK);
	assert_int_equal(frame_open(&rx, dg[0], n[0], &g, out, sizeof(out), &plen), FRAME_OK);
	assert_int_equal(frame_open(&rx, dg[2], n[2], &g, out, sizeof(out), &plen), FRAME_OK);
	assert_int_equal(frame_open(&rx, dg[1], n[1], &g, out, sizeof(out), &plen), FRAME_OK);
	assert_int_equal(frame_open(&rx, dg[3], n[3], &g, out, sizeof(out), &plen), FRAME_OK);
	for (i = 0; i < 5; i++)
		assert_int_equal(frame_open(&rx, dg[i], n[i], &g, out, sizeof(out), &plen),
		    FRAME_EREPLAY);
	assert_int_equal(rx.rejected[-FRAME_EREPLAY], 5);
	assert_int_equal(rx.accepted, 5);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

static void
test_counter_behind_the_window_and_older_epoch_are_stale(void **state)
{
	(void)state;
	struct frame_tx tx, tx_old;
	struct frame_rx rx;
	struct frame_hdr h = data_hdr(0, 0), g;
	static uint8_t pl[SYM], first[FRAME_MAX_DATAGRAM], dg[FRAME_MAX_DATAGRAM],
	    out[FRAME_MAX_DATAGRAM];
	size_t n0, n, plen;
	int i;

	assert_int_equal(frame_tx_init(&tx_old, KEY, LINK, 4), FRAME_OK);
	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 5), FRAME_OK);
	rx_default(&rx);
	n0 = seal(&tx, &h, pl, SYM, first);	/* counter 0, held back */
	for (i = 0; i < FRAME_REPLAY_WINDOW; i++) {
		h = data_hdr(0, 0);
		n = seal(&tx, &h, pl, SYM, dg);
		assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_OK);
	}
	assert_int_equal(frame_open(&rx, first, n0, &g, out, sizeof(out), &plen), FRAME_ESTALE);
	h = data_hdr(0, 0);
	n = seal(&tx_old, &h, pl, SYM, dg);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_ESTALE);
	assert_int_equal(rx.rejected[-FRAME_ESTALE], 2);
	frame_tx_free(&tx);
	frame_tx_free(&tx_old);
	frame_rx_free(&rx);
}

static void
test_epoch_file_increments_durably_and_refuses_corruption(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_bridge_frame.XXXXXX", path[64];
	uint32_t e = 0;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/epoch", dir);
	assert_int_equal(frame_epoch_next(path, &e), FRAME_OK);
	assert_int_equal(e, 1);
	assert_int_equal(frame_epoch_next(path, &e), FRAME_OK);
	assert_int_equal(e, 2);
	/* Corrupt: never silently start over at 1, which would reuse nonces. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "2x\n", 3), 3);
	close(fd);
	assert_int_equal(frame_epoch_next(path, &e), FRAME_ESTATE);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "4294967295\n", 11), 11);
	close(fd);
	assert_int_equal(frame_epoch_next(path, &e), FRAME_ESTATE);	/* exhausted */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(frame_epoch_next(path, &e), FRAME_ESTATE);	/* empty */
	unlink(path);
	assert_int_equal(frame_epoch_next("/nonexistent-dir/epoch", &e), FRAME_EIO);
	rmdir(dir);
}

static void
test_nonces_never_repeat_across_simulated_restarts(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_bridge_frame.XXXXXX", path[64];
	enum { RUNS = 4, PER = 50 };
	uint8_t nonces[RUNS * PER][12];
	static uint8_t pl[SYM], dg[FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h, g;
	size_t n, plen;
	uint32_t e;
	int r, i, j;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/epoch", dir);
	rx_default(&rx);
	for (r = 0; r < RUNS; r++) {
		/* A restart: a fresh tx, as after SIGKILL, with the next epoch. */
		assert_int_equal(frame_epoch_next(path, &e), FRAME_OK);
		assert_int_equal(frame_tx_init(&tx, KEY, LINK, e), FRAME_OK);
		for (i = 0; i < PER; i++) {
			h = data_hdr(0, 0);
			n = seal(&tx, &h, pl, SYM, dg);
			memcpy(nonces[r * PER + i], dg + 8, 12);	/* epoch || counter */
			assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen),
			    FRAME_OK);
		}
		frame_tx_free(&tx);
	}
	frame_rx_free(&rx);
	for (i = 0; i < RUNS * PER; i++)
		for (j = i + 1; j < RUNS * PER; j++)
			assert_memory_not_equal(nonces[i], nonces[j], 12);
	unlink(path);
	rmdir(dir);
}

/* Seal h with the real key and expect the post-authentication check to refuse it. */
static void
expect_geometry_refused(struct frame_hdr h, size_t plen, int code)
{
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr g;
	static uint8_t pl[FRAME_MAX_DATAGRAM], dg[FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	struct frame_limits lim;
	size_t n, olen;

	frame_limits_default(&lim);
	lim.max_datagram = FRAME_MAX_DATAGRAM;	/* let big datagrams reach the check */
	lim.max_object_size = 1 << 20;
	assert_int_equal(frame_rx_init(&rx, KEY, LINK, &lim), FRAME_OK);
	lim.max_datagram = FRAME_DEFAULT_DATAGRAM;
	rx.lim.max_datagram = FRAME_DEFAULT_DATAGRAM + (plen > SYM ? plen - SYM : 0);
	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 1), FRAME_OK);
	n = seal(&tx, &h, pl, plen, dg);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &olen), code);
	assert_int_equal(rx.rejected[-code], 1);
	/* The datagram was authentic: it still used up its counter. */
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &olen), FRAME_EREPLAY);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

static void
test_hostile_geometry_is_refused_after_authentication(void **state)
{
	(void)state;
	struct frame_hdr h;

	h = data_hdr(0, 0); h.k = 0; h.block_count = 0;
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* k = 0 */
	h = data_hdr(0, 0); h.m = 60000;
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* m huge */
	h = data_hdr(0, 0); h.m = 256 - 64 + 1;
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* k + m > 256 */
	/* A manifest's payload is short, so only the symbol size claims > MTU. */
	h = data_hdr(0, 0); h.type = FRAME_MANIFEST; h.symbol_size = 1500;
	h.block_count = (uint32_t)frame_block_count(h.object_size, 64, 1500);
	expect_geometry_refused(h, 46, FRAME_EGEOMETRY);		/* > MTU */
	h = data_hdr(0, 0); h.symbol_size = 8;
	expect_geometry_refused(h, 8, FRAME_EGEOMETRY);		/* tiny symbols */
	h = data_hdr(0, 0); h.object_size = (1 << 20) + 1;
	h.block_count = (uint32_t)frame_block_count(h.object_size, 64, SYM);
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* > limit */
	h = data_hdr(0, 0); h.block_count = 1000;
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* count lies */
	h = data_hdr(3, 0);
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* block >= count */
	h = data_hdr(2, 17);
	expect_geometry_refused(h, SYM, FRAME_EGEOMETRY);		/* index >= kb+m */
	h = data_hdr(0, 0);
	expect_geometry_refused(h, SYM - 1, FRAME_EGEOMETRY);	/* payload != symbol */
	h = data_hdr(0, 0); h.type = FRAME_MANIFEST;
	expect_geometry_refused(h, 40, FRAME_EMANIFEST);		/* garbage manifest */
	h = data_hdr(1, 0); h.type = FRAME_MANIFEST;
	expect_geometry_refused(h, 40, FRAME_EGEOMETRY);		/* manifest at block 1 */
}

static void
test_rx_refuses_limits_outside_hard_bounds(void **state)
{
	(void)state;
	struct frame_rx rx;
	struct frame_limits lim;

	frame_limits_default(&lim);
	lim.max_symbols = 300;
	assert_int_equal(frame_rx_init(&rx, KEY, LINK, &lim), FRAME_EARG);
	frame_limits_default(&lim);
	lim.max_datagram = FRAME_MAX_DATAGRAM + 1;
	assert_int_equal(frame_rx_init(&rx, KEY, LINK, &lim), FRAME_EARG);
	frame_limits_default(&lim);
	lim.max_object_size = FRAME_MAX_OBJECT + 1;
	assert_int_equal(frame_rx_init(&rx, KEY, LINK, &lim), FRAME_EARG);
	assert_null(rx.aead);		/* a refused rx holds nothing to free */
}

static void
test_free_wipes_the_context_and_tolerates_a_second_call(void **state)
{
	(void)state;
	static const uint8_t zero[sizeof(struct frame_tx) > sizeof(struct frame_rx) ?
	    sizeof(struct frame_tx) : sizeof(struct frame_rx)];
	struct frame_tx tx;
	struct frame_rx rx;

	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 7), FRAME_OK);
	assert_non_null(tx.aead);
	frame_tx_free(&tx);
	assert_memory_equal(&tx, zero, sizeof(tx));
	frame_tx_free(&tx);
	rx_default(&rx);
	assert_non_null(rx.aead);
	frame_rx_free(&rx);
	assert_memory_equal(&rx, zero, sizeof(rx));
	frame_rx_free(&rx);
}

static void
test_many_datagrams_on_one_link_context_all_open(void **state)
{
	(void)state;
	struct frame_tx tx;
	struct frame_rx rx;
	struct frame_hdr h, g;
	static uint8_t pl[SYM], dg[FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	size_t n, plen;
	unsigned i;

	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 9), FRAME_OK);
	rx_default(&rx);
	for (i = 0; i < 2000; i++) {
		memset(pl, (int)i, sizeof(pl));
		h = data_hdr(i % 3, (uint16_t)(i % 17));
		n = seal(&tx, &h, pl, SYM, dg);
		if (i % 5 == 4) {	/* a corrupted one in between changes nothing */
			dg[FRAME_HDR_LEN + i % SYM] ^= 1;
			assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen),
			    FRAME_ETAG);
			continue;
		}
		assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_OK);
		assert_int_equal(g.counter, i);
		assert_memory_equal(out, pl, SYM);
	}
	assert_int_equal(rx.accepted, 1600);
	assert_int_equal(rx.rejected[-FRAME_ETAG], 400);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
}

/* A rotation's overlap: the receiver holds the new key and the retired one, so a
 * sender still on the old key gets through until the retired key's not_after; a
 * fourth key is refused (bounded trial decryption). */
static void
test_rx_opens_frames_under_a_retired_key_only_within_its_overlap(void **state)
{
	(void)state;
	static const uint8_t NEWKEY[32] = { 9, 9, 9 };
	struct frame_tx tx;
	struct frame_rx rx, late;
	struct frame_hdr h = data_hdr(0, 0), g;
	static uint8_t pl[SYM], dg[FRAME_MAX_DATAGRAM], out[FRAME_MAX_DATAGRAM];
	size_t n, plen = 0;

	assert_int_equal(frame_tx_init(&tx, KEY, LINK, 5), FRAME_OK);	/* the old key */
	n = seal(&tx, &h, pl, SYM, dg);
	assert_int_equal(frame_rx_init(&rx, NEWKEY, LINK, NULL), FRAME_OK);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_ETAG);
	assert_int_equal(frame_rx_add_retired_key(&rx, KEY, time(NULL) + 3600), FRAME_OK);
	assert_int_equal(frame_open(&rx, dg, n, &g, out, sizeof(out), &plen), FRAME_OK);
	assert_int_equal(rx.accepted_retired, 1);
	/* The same retired key, its overlap over. */
	h = data_hdr(0, 1);
	n = seal(&tx, &h, pl, SYM, dg);
	assert_int_equal(frame_rx_init(&late, NEWKEY, LINK, NULL), FRAME_OK);
	assert_int_equal(frame_rx_add_retired_key(&late, KEY, time(NULL) - 1), FRAME_OK);
	assert_int_equal(frame_open(&late, dg, n, &g, out, sizeof(out), &plen), FRAME_ETAG);
	assert_int_equal(late.rejected[-FRAME_ETAG], 1);
	assert_int_equal(frame_rx_add_retired_key(&late, KEY, 0), FRAME_OK);
	assert_int_equal(frame_rx_add_retired_key(&late, KEY, 0), FRAME_OK);
	assert_int_equal(frame_rx_add_retired_key(&late, KEY, 0), FRAME_EARG);
	frame_tx_free(&tx);
	frame_rx_free(&rx);
	frame_rx_free(&late);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_mtu_gives_1392_byte_symbols),
		cmocka_unit_test(test_data_frame_round_trips_every_field),
		cmocka_unit_test(test_header_is_big_endian_at_documented_offsets),
		cmocka_unit_test(test_manifest_round_trips_and_bad_names_are_refused),
		cmocka_unit_test(test_rx_rejects_each_malformation_with_its_code),
		cmocka_unit_test(test_rx_drops_tampered_header_payload_and_tag_as_bad_tag),
		cmocka_unit_test(test_rx_with_another_key_rejects_as_bad_tag),
		cmocka_unit_test(test_replay_is_detected_and_reordering_is_not),
		cmocka_unit_test(test_counter_behind_the_window_and_older_epoch_are_stale),
		cmocka_unit_test(test_epoch_file_increments_durably_and_refuses_corruption),
		cmocka_unit_test(test_nonces_never_repeat_across_simulated_restarts),
		cmocka_unit_test(test_hostile_geometry_is_refused_after_authentication),
		cmocka_unit_test(test_rx_refuses_limits_outside_hard_bounds),
		cmocka_unit_test(test_free_wipes_the_context_and_tolerates_a_second_call),
		cmocka_unit_test(test_many_datagrams_on_one_link_context_all_open),
		cmocka_unit_test(test_rx_opens_frames_under_a_retired_key_only_within_its_overlap),
	};
	return cmocka_run_group_tests_name("bridge_frame", tests, NULL, NULL);
}
