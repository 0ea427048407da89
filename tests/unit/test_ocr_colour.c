/*
 * test_ocr_colour.c — whether a colour page is read in colour (ocr_colour_needed)
 * and its folding to grey (ocr_colour_fold). A page of black print on a scanner's
 * grain, or with dark blue or green ink, is folded; light coloured ink (a line of
 * gold print, a highlighter's band) keeps the page in colour once it covers more
 * than one pixel in OCR_COLOUR_SHARE, and only colours that spread
 * OCR_COLOUR_CHROMA and are OCR_COLOUR_LIGHT or lighter count. Folding gives each
 * pixel its luma, rows packed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr_colour.h"

#define W	620	/* A5 at 100 dpi: small, the thresholds are shares */
#define H	874
#define PAD	5	/* bytes past each row, as a renderer's stride may have */

/* An RGB page of paper with a scanner's grain (±4 in each channel), rows PAD bytes
 * longer than their pixels. */
static struct ocr_pixmap
page_new(const uint8_t paper[3])
{
	struct ocr_pixmap pm = { .width = W, .height = H, .stride = (size_t)W * 3 + PAD,
				 .channels = 3 };
	uint32_t seed = 5;

	assert_non_null(pm.px = malloc(pm.stride * H));
	memset(pm.px, 0xee, pm.stride * H);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			for (unsigned c = 0; c < 3; c++) {
				seed = seed * 1103515245u + 12345u;
				pm.px[(size_t)y * pm.stride + x * 3 + c] =
				    (uint8_t)(paper[c] - 4 + (seed >> 16) % 9);
			}
	return pm;
}

/* n pixels of colour ink, the page's first n in reading order from row top. */
static void
ink(struct ocr_pixmap *pm, uint32_t top, size_t n, const uint8_t colour[3])
{
	for (size_t i = 0; i < n; i++)
		memcpy(pm->px + (size_t)(top + i / W) * pm->stride + i % W * 3, colour, 3);
}

/* Lines of black print: strokes of two pixels, every fourth column, 20 rows high,
 * a line every 40 rows. */
static void
black_print(struct ocr_pixmap *pm)
{
	static const uint8_t black[3] = { 20, 20, 20 };

	for (uint32_t top = 40; top + 20 < H; top += 40)
		for (uint32_t y = top; y < top + 20; y++)
			for (uint32_t x = 40; x + 2 < W - 40; x += 4) {
				memcpy(pm->px + (size_t)y * pm->stride + x * 3, black, 3);
				memcpy(pm->px + (size_t)y * pm->stride + (x + 1) * 3, black, 3);
			}
}

static const uint8_t WHITE[3] = { 236, 234, 230 };
static const size_t LIMIT = (size_t)W * H / OCR_COLOUR_SHARE;

static void
test_black_print_on_a_colour_scan_is_read_in_grey(void **state)
{
	struct ocr_pixmap pm = page_new(WHITE);

	(void)state;
	black_print(&pm);
	assert_int_equal(ocr_colour_needed(&pm), 0);
	free(pm.px);
}

static void
test_dark_coloured_ink_is_read_in_grey(void **state)
{
	/* A blue pen, a green stamp: coloured, but as dark as print in grey. */
	static const uint8_t blue[3] = { 30, 40, 150 }, green[3] = { 20, 110, 40 };
	struct ocr_pixmap pm = page_new(WHITE);

	(void)state;
	black_print(&pm);
	ink(&pm, 100, 20 * LIMIT, blue);
	ink(&pm, 300, 20 * LIMIT, green);
	assert_int_equal(ocr_colour_needed(&pm), 0);
	free(pm.px);
}

static void
test_light_coloured_print_keeps_the_page_in_colour(void **state)
{
	/* Gold print (luma 189), a yellow highlighter's band (232), a light blue. */
	static const uint8_t colours[][3] = { { 255, 192, 0 }, { 255, 245, 76 }, { 0, 176, 240 } };

	(void)state;
	for (size_t k = 0; k < sizeof colours / sizeof colours[0]; k++) {
		struct ocr_pixmap pm = page_new(WHITE);

		black_print(&pm);
		ink(&pm, 200, 3 * LIMIT, colours[k]);
		assert_int_equal(ocr_colour_needed(&pm), 1);
		free(pm.px);
	}
}

static void
test_specks_of_light_colour_are_not_enough(void **state)
{
	static const uint8_t gold[3] = { 255, 192, 0 };
	struct ocr_pixmap pm = page_new(WHITE);

	(void)state;
	ink(&pm, 200, LIMIT, gold);		/* one in OCR_COLOUR_SHARE: not more */
	assert_int_equal(ocr_colour_needed(&pm), 0);
	ink(&pm, 200, LIMIT + 1, gold);
	assert_int_equal(ocr_colour_needed(&pm), 1);
	free(pm.px);
}

static void
test_only_colours_spread_and_light_enough_count(void **state)
{
	/* Channels 63 apart, or a luma under OCR_COLOUR_LIGHT, do not count;
	 * 64 apart and light do. */
	static const uint8_t spread63[3] = { 240, 200, 177 }, dark[3] = { 200, 90, 60 };
	static const uint8_t spread64[3] = { 240, 200, 176 };
	struct ocr_pixmap pm = page_new(WHITE);

	(void)state;
	ink(&pm, 200, 10 * LIMIT, spread63);
	ink(&pm, 400, 10 * LIMIT, dark);
	assert_int_equal(ocr_colour_needed(&pm), 0);
	ink(&pm, 600, 10 * LIMIT, spread64);
	assert_int_equal(ocr_colour_needed(&pm), 1);
	free(pm.px);
}

static void
test_a_grey_page_is_neither_needed_nor_folded(void **state)
{
	uint8_t px[4 * 3] = { 0, 50, 100, 150, 200, 250, 1, 2, 3, 4, 5, 6 };
	uint8_t copy[sizeof px];
	struct ocr_pixmap pm = { .px = px, .width = 4, .height = 3, .stride = 4, .channels = 1 };

	(void)state;
	memcpy(copy, px, sizeof px);
	assert_int_equal(ocr_colour_needed(&pm), 0);
	ocr_colour_fold(&pm);
	assert_memory_equal(px, copy, sizeof px);
	assert_int_equal(pm.stride, 4);
	assert_int_equal(pm.channels, 1);
}

static void
test_folding_gives_each_pixel_its_luma_rows_packed(void **state)
{
	struct ocr_pixmap pm = page_new(WHITE), before;
	uint8_t *copy;

	(void)state;
	black_print(&pm);
	ink(&pm, 500, 5 * LIMIT, (const uint8_t[]){ 255, 192, 0 });
	assert_non_null(copy = malloc(pm.stride * H));
	memcpy(copy, pm.px, pm.stride * H);
	before = pm;
	before.px = copy;
	ocr_colour_fold(&pm);
	assert_int_equal(pm.channels, 1);
	assert_int_equal(pm.stride, W);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			if (pm.px[(size_t)y * W + x] != ocr_pixmap_grey(&before, x, y))
				fail_msg("pixel %u,%u: %u, its luma %u", x, y, pm.px[(size_t)y * W + x],
					 ocr_pixmap_grey(&before, x, y));
	assert_int_equal(pm.px[(size_t)500 * W], (77 * 255 + 150 * 192) >> 8);
	free(copy);
	free(pm.px);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_black_print_on_a_colour_scan_is_read_in_grey),
		cmocka_unit_test(test_dark_coloured_ink_is_read_in_grey),
		cmocka_unit_test(test_light_coloured_print_keeps_the_page_in_colour),
		cmocka_unit_test(test_specks_of_light_colour_are_not_enough),
		cmocka_unit_test(test_only_colours_spread_and_light_enough_count),
		cmocka_unit_test(test_a_grey_page_is_neither_needed_nor_folded),
		cmocka_unit_test(test_folding_gives_each_pixel_its_luma_rows_packed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
