/*
 * test_ocr_bands.c — where a page is cut into bands for OCR children reading it at
 * once (ocr_band_cuts), and how the bands' words are put back together
 * (ocr_page_append). A cut must lie in a gap between lines, never across one, and
 * share the lines' length fairly; the merged page must be what the PDF writer
 * accepts (words in line order, each word's text its own).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr.h"

#define PAGE_H	1754u

/* n lines of width w, height h, the first at top, one every pitch rows. */
static uint32_t
lines_at(struct ocr_line *l, uint32_t n, uint16_t top, uint16_t pitch, uint16_t w, uint16_t h)
{
	for (uint32_t i = 0; i < n; i++)
		l[i] = (struct ocr_line){ 150, (uint16_t)(top + i * pitch), (uint16_t)(150 + w),
					  (uint16_t)(top + i * pitch + h) };
	return n;
}

/* Whether row y runs through a line (a cut there would halve its characters). */
static int
crosses_a_line(const struct ocr_line *l, uint32_t n, uint32_t y)
{
	for (uint32_t i = 0; i < n; i++)
		if (y > l[i].y0 && y < l[i].y1)
			return 1;
	return 0;
}

/* 36 equal lines, as a word processor's page: the cut falls in the gap between the
 * 18th and 19th, at its middle. */
static void
test_cut_halves_equal_lines_in_the_gap_between_them(void **state)
{
	struct ocr_line l[36];
	uint32_t cuts[OCR_MAX_BANDS + 1];

	(void)state;
	lines_at(l, 36, 192, 37, 912, 20);
	ocr_band_cuts(l, 36, PAGE_H, 2, cuts);
	assert_int_equal(cuts[0], 0);
	assert_int_equal(cuts[2], PAGE_H);
	/* Line 17 ends at 192 + 17 * 37 + 20 = 841, line 18 begins at 858. */
	assert_int_equal(cuts[1], (841 + 858 + 1) / 2);
	assert_false(crosses_a_line(l, 36, cuts[1]));
}

/* Lines given out of order (the layout's reading order need not be top to bottom)
 * are cut the same. */
static void
test_cut_does_not_depend_on_the_order_lines_come_in(void **state)
{
	struct ocr_line l[36], r[36];
	uint32_t a[OCR_MAX_BANDS + 1], b[OCR_MAX_BANDS + 1];

	(void)state;
	lines_at(l, 36, 192, 37, 912, 20);
	for (uint32_t i = 0; i < 36; i++)
		r[i] = l[35 - i];
	ocr_band_cuts(l, 36, PAGE_H, 2, a);
	ocr_band_cuts(r, 36, PAGE_H, 2, b);
	assert_memory_equal(a, b, sizeof a);
}

/* Lines set solid (no gap of 2 rows anywhere) are not cut: band 0 is empty and band
 * 1 reads the page. */
static void
test_no_gap_means_no_cut(void **state)
{
	struct ocr_line l[36];
	uint32_t cuts[OCR_MAX_BANDS + 1];

	(void)state;
	lines_at(l, 36, 200, 22, 900, 23);	/* each overlaps the next by a row */
	ocr_band_cuts(l, 36, PAGE_H, 2, cuts);
	assert_int_equal(cuts[0], 0);
	assert_int_equal(cuts[1], 0);
	assert_int_equal(cuts[2], PAGE_H);
	lines_at(l, 36, 200, 23, 900, 22);	/* a gap of one row: still none */
	ocr_band_cuts(l, 36, PAGE_H, 2, cuts);
	assert_int_equal(cuts[1], 0);
}

/* The bands share the lines, not the height: ten long lines at the top and a short
 * one at the bottom are cut after the fifth, not in the wide blank below them. */
static void
test_cut_shares_line_length_not_rows(void **state)
{
	struct ocr_line l[11];
	uint32_t cuts[OCR_MAX_BANDS + 1];

	(void)state;
	lines_at(l, 10, 200, 40, 900, 20);
	l[10] = (struct ocr_line){ 150, 1600, 200, 1620 };
	ocr_band_cuts(l, 11, PAGE_H, 2, cuts);
	assert_int_equal(cuts[1], (200 + 4 * 40 + 20 + 200 + 5 * 40 + 1) / 2);
	/* A tall box (a stamp, a photo taken for a line) costs what its length in
	 * heights costs: next to 10 lines it weighs little. */
	l[10] = (struct ocr_line){ 150, 700, 1050, 1600 };
	ocr_band_cuts(l, 11, PAGE_H, 2, cuts);
	assert_true(cuts[1] > 200 + 3 * 40 && cuts[1] < 200 + 6 * 40);
}

/* Where every gap would leave one band most of the work, there is no cut. */
static void
test_an_unfair_cut_is_no_cut(void **state)
{
	struct ocr_line l[2];
	uint32_t cuts[OCR_MAX_BANDS + 1];

	(void)state;
	l[0] = (struct ocr_line){ 150, 200, 1100, 220 };
	l[1] = (struct ocr_line){ 150, 260, 300, 280 };	/* a sixth of the first */
	ocr_band_cuts(l, 2, PAGE_H, 2, cuts);
	assert_int_equal(cuts[1], 0);
	/* No lines, or one: nothing to share. */
	ocr_band_cuts(l, 1, PAGE_H, 2, cuts);
	assert_int_equal(cuts[1], 0);
	ocr_band_cuts(l, 0, PAGE_H, 2, cuts);
	assert_int_equal(cuts[1], 0);
	assert_int_equal(cuts[2], PAGE_H);
}

/* Three and four bands: cuts in order, each in a gap, every band some lines. */
static void
test_more_bands_cut_in_order(void **state)
{
	struct ocr_line l[36];
	uint32_t cuts[OCR_MAX_BANDS + 1];

	(void)state;
	for (unsigned bands = 3; bands <= OCR_MAX_BANDS + 2; bands++) {
		unsigned b, used = bands > OCR_MAX_BANDS ? OCR_MAX_BANDS : bands;

		lines_at(l, 36, 192, 37, 912, 20);
		ocr_band_cuts(l, 36, PAGE_H, bands, cuts);
		assert_int_equal(cuts[0], 0);
		assert_int_equal(cuts[used], PAGE_H);
		for (b = 1; b < used; b++) {
			assert_true(cuts[b] > cuts[b - 1] + 37);
			assert_false(crosses_a_line(l, 36, cuts[b]));
		}
	}
}

/* A page of the ocr_parse shape: lines with words of the given texts. */
static void
page_of(struct ocr_page *pg, uint16_t top, const char *const *words, uint32_t n, uint8_t reader)
{
	size_t len = 0, off = 0;
	uint32_t i;

	memset(pg, 0, sizeof(*pg));
	for (i = 0; i < n; i++)
		len += strlen(words[i]);
	pg->lines = calloc(n, sizeof(*pg->lines));
	pg->words = calloc(n, sizeof(*pg->words));
	pg->text = malloc(len);
	assert_true(pg->lines != NULL && pg->words != NULL && pg->text != NULL);
	for (i = 0; i < n; i++) {
		uint16_t y = (uint16_t)(top + 30 * i);

		pg->lines[i] = (struct ocr_line){ 100, y, 900, (uint16_t)(y + 20) };
		pg->words[i] = (struct ocr_word){ 100, y, 400, (uint16_t)(y + 20), (uint16_t)i,
						  (uint8_t)strlen(words[i]), (uint32_t)off };
		memcpy(pg->text + off, words[i], strlen(words[i]));
		off += strlen(words[i]);
	}
	pg->nlines = pg->nwords = n;
	pg->reader = reader;
	pg->reread = (uint16_t)n;
}

static void
assert_word(const struct ocr_page *pg, uint32_t i, const char *s, uint16_t line, uint16_t y0)
{
	assert_int_equal(pg->words[i].len, strlen(s));
	assert_memory_equal(pg->text + pg->words[i].off, s, strlen(s));
	assert_int_equal(pg->words[i].line, line);
	assert_int_equal(pg->words[i].y0, y0);
}

static void
test_append_puts_the_lower_band_after_the_upper(void **state)
{
	static const char *const top[] = { "住民票", "写し" }, *const bottom[] = { "転出届", "委任状", "OK" };
	struct ocr_page a, b;

	(void)state;
	page_of(&a, 100, top, 2, OCR_READER_JPN);
	page_of(&b, 900, bottom, 3, OCR_READER_ENG);
	assert_int_equal(ocr_page_append(&a, &b), OCR_OK);
	assert_int_equal(a.nlines, 5);
	assert_int_equal(a.nwords, 5);
	assert_word(&a, 0, "住民票", 0, 100);
	assert_word(&a, 1, "写し", 1, 130);
	assert_word(&a, 2, "転出届", 2, 900);
	assert_word(&a, 3, "委任状", 3, 930);
	assert_word(&a, 4, "OK", 4, 960);
	assert_int_equal(a.lines[2].y0, 900);
	/* The reader of most of the words; the lines read again, summed. */
	assert_int_equal(a.reader, OCR_READER_ENG);
	assert_int_equal(a.reread, 5);
	/* src is emptied. */
	assert_null(b.words);
	assert_int_equal(b.nwords, 0);
	ocr_page_free(&a);
}

/* An empty band adds nothing but how the page was made black and white (each band
 * says it of the whole page); an empty upper band takes the lower one's words. */
static void
test_append_of_empty_bands(void **state)
{
	static const char *const w[] = { "窓口" };
	struct ocr_page a, b;

	(void)state;
	page_of(&a, 100, w, 1, OCR_READER_JPN);
	memset(&b, 0, sizeof b);
	b.threshold = OCR_THRESHOLD_LOCAL;
	assert_int_equal(ocr_page_append(&a, &b), OCR_OK);
	assert_int_equal(a.nwords, 1);
	assert_int_equal(a.reader, OCR_READER_JPN);
	assert_int_equal(a.threshold, OCR_THRESHOLD_LOCAL);
	memset(&b, 0, sizeof b);
	assert_int_equal(ocr_page_append(&a, &b), OCR_OK);
	assert_int_equal(a.threshold, OCR_THRESHOLD_LOCAL);
	ocr_page_free(&a);

	memset(&a, 0, sizeof a);
	page_of(&b, 500, w, 1, OCR_READER_JPN);
	assert_int_equal(ocr_page_append(&a, &b), OCR_OK);
	assert_word(&a, 0, "窓口", 0, 500);
	assert_int_equal(a.reader, OCR_READER_JPN);
	ocr_page_free(&a);
}

/* Bands that together pass the page's limits leave the upper band as it was. */
static void
test_append_keeps_to_the_page_limits(void **state)
{
	static const char *words[OCR_MAX_LINES_PER_PAGE];
	struct ocr_page a, b;

	(void)state;
	for (uint32_t i = 0; i < OCR_MAX_LINES_PER_PAGE; i++)
		words[i] = "字";
	page_of(&a, 0, words, OCR_MAX_LINES_PER_PAGE / 2 + 1, OCR_READER_JPN);
	page_of(&b, 0, words, OCR_MAX_LINES_PER_PAGE / 2, OCR_READER_JPN);
	assert_int_equal(ocr_page_append(&a, &b), OCR_ELIMIT);
	assert_int_equal(a.nlines, OCR_MAX_LINES_PER_PAGE / 2 + 1);
	assert_int_equal(a.nwords, OCR_MAX_LINES_PER_PAGE / 2 + 1);
	assert_null(b.lines);
	ocr_page_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_halves_equal_lines_in_the_gap_between_them),
		cmocka_unit_test(test_cut_does_not_depend_on_the_order_lines_come_in),
		cmocka_unit_test(test_no_gap_means_no_cut),
		cmocka_unit_test(test_cut_shares_line_length_not_rows),
		cmocka_unit_test(test_an_unfair_cut_is_no_cut),
		cmocka_unit_test(test_more_bands_cut_in_order),
		cmocka_unit_test(test_append_puts_the_lower_band_after_the_upper),
		cmocka_unit_test(test_append_of_empty_bands),
		cmocka_unit_test(test_append_keeps_to_the_page_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
