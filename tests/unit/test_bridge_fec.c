/*
 * test_bridge_fec.c — the erasure code recovers any kb of kb + m symbols, and says
 * so cleanly when it has fewer.
 *
 * The small code (k = 8, m = 4) is checked against every one of the 495 ways to lose
 * 4 of 12 symbols, which is where a non-Cauchy matrix would show a singular case;
 * the default code (64 + 16) against seeded random patterns of 16 losses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fec.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

struct block {
	unsigned kb, m;
	size_t len;
	uint8_t *mem, *orig;
	uint8_t *sym[FEC_MAX_SYMBOLS];
	uint8_t ok[FEC_MAX_SYMBOLS];
};

static void
block_make(struct block *b, struct fec *f, unsigned kb, unsigned m, size_t len)
{
	unsigned i;

	b->kb = kb;
	b->m = m;
	b->len = len;
	b->mem = malloc((kb + m) * len);
	b->orig = malloc((kb + m) * len);
	assert_non_null(b->mem);
	assert_non_null(b->orig);
	for (i = 0; i < kb * len; i++)
		b->mem[i] = (uint8_t)rnd();
	for (i = 0; i < kb + m; i++)
		b->sym[i] = b->mem + i * len;
	assert_int_equal(fec_encode(f, kb, b->sym, b->sym + kb, len), FEC_OK);
	memcpy(b->orig, b->mem, (kb + m) * len);
}

static void
block_free(struct block *b)
{
	free(b->mem);
	free(b->orig);
}

/* Erase the symbols whose ok[] is 0 and decode; returns fec_decode's result. */
static int
block_lose_and_decode(struct block *b, struct fec *f, unsigned *repaired)
{
	unsigned i;

	memcpy(b->mem, b->orig, (b->kb + b->m) * b->len);
	for (i = 0; i < b->kb + b->m; i++)
		if (!b->ok[i])
			memset(b->sym[i], 0xee, b->len);
	return fec_decode(f, b->kb, b->sym, b->ok, b->sym + b->kb, b->ok + b->kb, b->len,
	    repaired);
}

static void
test_every_pattern_of_m_losses_decodes_small_code(void **state)
{
	(void)state;
	struct fec *f;
	struct block b;
	unsigned mask, i, lost, repaired, patterns = 0;

	assert_int_equal(fec_new(&f, 8, 4), FEC_OK);
	block_make(&b, f, 8, 4, 100);
	for (mask = 0; mask < (1u << 12); mask++) {
		if (__builtin_popcount(mask) != 4)
			continue;
		patterns++;
		lost = 0;
		for (i = 0; i < 12; i++) {
			b.ok[i] = !(mask & (1u << i));
			lost += i < 8 && !b.ok[i];
		}
		assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_OK);
		assert_int_equal(repaired, lost);
		assert_memory_equal(b.mem, b.orig, 8 * 100);
	}
	assert_int_equal(patterns, 495);
	block_free(&b);
	fec_free(f);
}

static void
test_random_16_losses_of_80_decode_default_code(void **state)
{
	(void)state;
	struct fec *f;
	struct block b;
	unsigned t, i, n, repaired;

	assert_int_equal(fec_new(&f, FEC_DEFAULT_K, FEC_DEFAULT_M), FEC_OK);
	block_make(&b, f, 64, 16, 1392);
	for (t = 0; t < 40; t++) {
		memset(b.ok, 1, sizeof(b.ok));
		for (n = 0; n < 16;) {
			i = (unsigned)(rnd() % 80);
			if (b.ok[i]) {
				b.ok[i] = 0;
				n++;
			}
		}
		assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_OK);
		assert_memory_equal(b.mem, b.orig, 64 * 1392);
	}
	/* All 16 data symbols at the front lost: only parity can bring them back. */
	memset(b.ok, 1, sizeof(b.ok));
	memset(b.ok, 0, 16);
	assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_OK);
	assert_int_equal(repaired, 16);
	assert_memory_equal(b.mem, b.orig, 64 * 1392);
	block_free(&b);
	fec_free(f);
}

static void
test_m_plus_one_losses_fail_cleanly_without_writing(void **state)
{
	(void)state;
	struct fec *f;
	struct block b;
	unsigned repaired = 99;

	assert_int_equal(fec_new(&f, 64, 16), FEC_OK);
	block_make(&b, f, 64, 16, 256);
	memset(b.ok, 1, sizeof(b.ok));
	memset(b.ok, 0, 10);		/* 10 data ... */
	memset(b.ok + 64, 0, 7);	/* ... and 7 parity: 17 > m */
	assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_ETOOFEW);
	assert_int_equal(repaired, 0);
	assert_int_equal(b.mem[0], 0xee);	/* missing buffers untouched */
	block_free(&b);
	fec_free(f);
}

static void
test_shortened_last_block_decodes(void **state)
{
	(void)state;
	struct fec *f;
	struct block b;
	unsigned kb, repaired;

	assert_int_equal(fec_new(&f, 64, 16), FEC_OK);
	for (kb = 1; kb <= 64; kb += 9) {
		block_make(&b, f, kb, 16, 200);
		memset(b.ok, 1, sizeof(b.ok));
		memset(b.ok, 0, kb < 16 ? kb : 16);
		assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_OK);
		assert_memory_equal(b.mem, b.orig, kb * 200);
		block_free(&b);
	}
	fec_free(f);
}

static void
test_no_loss_needs_no_repair_and_no_parity_code_works(void **state)
{
	(void)state;
	struct fec *f;
	struct block b;
	unsigned repaired = 7;

	assert_int_equal(fec_new(&f, 4, 0), FEC_OK);
	block_make(&b, f, 4, 0, 64);
	memset(b.ok, 1, sizeof(b.ok));
	assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_OK);
	assert_int_equal(repaired, 0);
	b.ok[1] = 0;
	assert_int_equal(block_lose_and_decode(&b, f, &repaired), FEC_ETOOFEW);
	block_free(&b);
	fec_free(f);
}

static void
test_hostile_parameters_are_refused(void **state)
{
	(void)state;
	struct fec *f;
	uint8_t buf[64], *p[2] = { buf, buf };

	assert_int_equal(fec_new(&f, 0, 4), FEC_EARG);
	assert_null(f);
	assert_int_equal(fec_new(&f, 200, 57), FEC_EARG);
	assert_int_equal(fec_new(&f, 1, 255), FEC_OK);
	assert_int_equal(fec_encode(f, 2, p, p, 64), FEC_EARG);	/* kb > k */
	assert_int_equal(fec_encode(f, 1, p, p, 0), FEC_EARG);
	fec_free(f);
	fec_free(NULL);
	assert_string_equal(fec_strerror(FEC_ETOOFEW), "not enough symbols to decode the block");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pattern_of_m_losses_decodes_small_code),
		cmocka_unit_test(test_random_16_losses_of_80_decode_default_code),
		cmocka_unit_test(test_m_plus_one_losses_fail_cleanly_without_writing),
		cmocka_unit_test(test_shortened_last_block_decodes),
		cmocka_unit_test(test_no_loss_needs_no_repair_and_no_parity_code_works),
		cmocka_unit_test(test_hostile_parameters_are_refused),
	};
	return cmocka_run_group_tests_name("bridge_fec", tests, NULL, NULL);
}
