/*
 * test_ocr_pattern.c — a security paper's background pattern (地紋,
 * ocr_pattern_cut, ocr_pattern_erase), on grey pages of drawn print: print on a
 * pattern of pale lines has one, cut between the two, and erasing leaves the print
 * alone on paper; the same print on plain paper, with grey headings, on shaded
 * boxes, a pattern over part of the page, a pattern without print, and pages too
 * small or too dark have none; a pattern beside shaded boxes is cut at its own
 * grey; RGB pages by their luma.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr_pattern.h"

#define W	1240	/* A4 at 150 dpi */
#define H	1754
#define DPI	150
#define INK	20
#define PAPER	255

static struct ocr_pixmap
page_new(uint32_t w, uint32_t h, unsigned channels, uint8_t paper)
{
	struct ocr_pixmap pm = { .width = w, .height = h, .stride = (size_t)w * channels,
				 .channels = channels };

	assert_non_null(pm.px = malloc(pm.stride * h));
	memset(pm.px, paper, pm.stride * h);
	return pm;
}

static uint8_t
at(const struct ocr_pixmap *pm, uint32_t x, uint32_t y)
{
	return pm->px[(size_t)y * pm->stride + (size_t)x * pm->channels];
}

static void
set(const struct ocr_pixmap *pm, uint32_t x, uint32_t y, uint8_t v)
{
	memset(pm->px + (size_t)y * pm->stride + (size_t)x * pm->channels, v, pm->channels);
}

/* Lines of print from row top to row bottom, from column margin to the width less
 * margin: strokes 2 pixels wide in letters of 20 x 20, a line every 36 rows; with
 * edges of grey fringe a pixel wide around the strokes, as anti-aliasing or a
 * scanner's optics leave them (0: none). */
static void
print_with(const struct ocr_pixmap *pm, uint32_t top, uint32_t bottom, uint32_t margin,
	   uint8_t ink, uint8_t fringe)
{
	for (uint32_t line = top; line + 20 <= bottom; line += 36)
		for (uint32_t x = margin; x + margin < pm->width; x++)
			for (uint32_t y = line; y < line + 20; y++) {
				uint32_t in_x = x % 24, in_y = y - line;

				if (in_x < 20 && (in_x < 2 || in_x >= 18 || in_y % 9 < 2))
					set(pm, x, y, ink);
				else if (fringe && in_x < 21 && (in_x == 2 || in_x == 17 ||
								 in_x == 20 || in_y % 9 == 2))
					set(pm, x, y, fringe);
			}
}

static void
print(const struct ocr_pixmap *pm, uint32_t top, uint32_t bottom, uint8_t ink)
{
	print_with(pm, top, bottom, 120, ink, 0);
}

/* Pale lines a pixel wide, two families crossing, from row top to row bottom over
 * the whole width: where the paper is (the print is drawn after, over them). */
static void
pattern(const struct ocr_pixmap *pm, uint32_t top, uint32_t bottom, uint8_t grey)
{
	for (uint32_t y = top; y < bottom; y++)
		for (uint32_t x = 0; x < pm->width; x++)
			if ((x + y) % 7 == 0 || (x + 2 * pm->width - y) % 11 == 0)
				set(pm, x, y, grey);
}

static void
box(const struct ocr_pixmap *pm, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
    uint8_t grey)
{
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++)
			set(pm, x, y, grey);
}

static uint8_t
cut_of(struct ocr_pixmap *pm)
{
	uint8_t cut = ocr_pattern_cut(pm, DPI, PAPER);

	free(pm->px);
	return cut;
}

static void
test_print_on_a_pattern_is_cut_from_it(void **state)
{
	static const uint8_t greys[] = { 185, 200, 225 };

	(void)state;
	for (size_t i = 0; i <= sizeof greys; i++) {
		struct ocr_pixmap pm = page_new(W, H, 1, PAPER);
		uint8_t cut;

		if (i < sizeof greys) {
			pattern(&pm, 0, H, greys[i]);
		} else {	/* a scanned pattern: most at 219, the rest down to 180 */
			pattern(&pm, 0, H, 1);
			for (size_t k = 0; k < pm.stride * H; k++)
				if (pm.px[k] == 1)
					pm.px[k] = (uint8_t)(180 + (k * 7919 % 50 < 39 ?
								    k * 7919 % 50 : 39));
		}
		print(&pm, 150, H - 150, INK);
		cut = ocr_pattern_cut(&pm, DPI, PAPER);
		assert_in_range(cut, 97, i < sizeof greys ? greys[i] : 180);
		ocr_pattern_erase(&pm, cut, PAPER);
		/* The pattern is gone, in the margins and between the letters; the
		 * print is as it was. */
		assert_int_equal(at(&pm, 7, 7), PAPER);
		assert_int_equal(at(&pm, 0, 0), PAPER);
		assert_int_equal(at(&pm, 120 + 24 * 3 + 21, 500), PAPER);
		assert_int_equal(at(&pm, 120, 150), INK);
		assert_int_equal(at(&pm, 125, 159), INK);
		for (size_t k = 0; k < pm.stride * H; k++)
			if (pm.px[k] != PAPER && pm.px[k] != INK)
				fail_msg("pixel %zu left at %u", k, pm.px[k]);
		free(pm.px);
	}
}

static void
test_plain_paper_grey_print_and_boxes_have_no_pattern(void **state)
{
	struct ocr_pixmap pm = page_new(W, H, 1, PAPER);

	(void)state;
	print(&pm, 150, H - 150, INK);
	assert_int_equal(cut_of(&pm), 0);

	/* Headings and footnotes in grey ink, body in black. */
	pm = page_new(W, H, 1, PAPER);
	print(&pm, 150, 600, 170);
	print(&pm, 600, 1400, INK);
	print(&pm, 1400, H - 150, 170);
	assert_int_equal(cut_of(&pm), 0);

	/* Print over the whole page, its letters' edges grey: beside the print. */
	pm = page_new(W, H, 1, PAPER);
	print_with(&pm, 20, H - 20, 20, INK, 160);
	assert_int_equal(cut_of(&pm), 0);

	/* A tinted panel over nearly all of the page: solid, not lines. */
	pm = page_new(W, H, 1, PAPER);
	box(&pm, 30, 30, W - 30, H - 30, 225);
	print(&pm, 150, H - 150, INK);
	assert_int_equal(cut_of(&pm), 0);

	/* A form's shaded label column and header rows: solid grey, print on it. */
	pm = page_new(W, H, 1, PAPER);
	box(&pm, 100, 100, 400, H - 100, 200);
	box(&pm, 100, 100, W - 100, 300, 200);
	box(&pm, 100, 900, W - 100, 1100, 200);
	print(&pm, 150, H - 150, INK);
	assert_int_equal(cut_of(&pm), 0);
}

static void
test_a_pattern_must_be_all_over_with_print_on_it(void **state)
{
	struct ocr_pixmap pm = page_new(W, H, 1, PAPER);

	(void)state;
	/* Over the upper half only: a photo's texture, a decorated heading. */
	pattern(&pm, 0, H / 2, 200);
	print(&pm, 150, H - 150, INK);
	assert_int_equal(cut_of(&pm), 0);

	/* No print darker than the pattern: nothing to keep apart from it. */
	pm = page_new(W, H, 1, PAPER);
	pattern(&pm, 0, H, 200);
	print(&pm, 150, H - 150, 150);
	assert_int_equal(cut_of(&pm), 0);
}

static void
test_a_pattern_beside_shaded_boxes_is_cut_at_its_own_grey(void **state)
{
	struct ocr_pixmap pm = page_new(W, H, 1, PAPER);
	uint8_t cut;

	(void)state;
	pattern(&pm, 0, H, 205);
	/* A box darker than the lines, and a strip of small patches of every grey
	 * between the two (a scanner's grey scale): a few pixels of each. */
	box(&pm, 100, 300, W - 100, 700, 120);
	for (uint32_t i = 0; i < 84; i++)
		box(&pm, 100 + 12 * i, 1000, 104 + 12 * i, 1004, (uint8_t)(121 + i));
	print(&pm, 150, H - 150, INK);
	cut = ocr_pattern_cut(&pm, DPI, PAPER);
	assert_in_range(cut, 180, 205);
	ocr_pattern_erase(&pm, cut, PAPER);
	assert_int_equal(at(&pm, 500, 500), 120);	/* the box stays */
	free(pm.px);
}

static void
test_small_or_dark_pages_and_rgb(void **state)
{
	struct ocr_pixmap pm = page_new(DPI / 3, DPI / 3, 1, PAPER);
	uint8_t cut;

	(void)state;
	/* A stamp-sized page, smaller than a tile: not enough to tell. */
	pattern(&pm, 0, DPI / 3, 200);
	box(&pm, 10, 10, 20, 40, INK);
	assert_int_equal(cut_of(&pm), 0);

	pm = page_new(W, H, 1, PAPER);
	pattern(&pm, 0, H, 60);
	print(&pm, 150, H - 150, 0);
	assert_int_equal(ocr_pattern_cut(&pm, DPI, 100), 0);	/* no room below paper */
	free(pm.px);

	/* Pale blue lines (luma 200) on an RGB page: every channel painted paper. */
	pm = page_new(W, H, 3, PAPER);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			if ((x + y) % 7 == 0 || (x + 2 * W - y) % 11 == 0)
				memcpy(pm.px + (size_t)y * pm.stride + (size_t)x * 3,
				       (const uint8_t[]){ 180, 200, 250 }, 3);
	print(&pm, 150, H - 150, INK);
	cut = ocr_pattern_cut(&pm, DPI, PAPER);
	assert_in_range(cut, 97, (77 * 180 + 150 * 200 + 29 * 250) >> 8);
	ocr_pattern_erase(&pm, cut, PAPER);
	for (size_t k = 0; k < (size_t)W * H; k++) {	/* each pixel grey, paper or ink */
		const uint8_t *p = pm.px + 3 * k;

		if (p[0] != p[1] || p[1] != p[2] || (p[0] != PAPER && p[0] != INK))
			fail_msg("pixel %zu left at %u %u %u", k, p[0], p[1], p[2]);
	}
	assert_int_equal(pm.px[(size_t)150 * pm.stride + 120 * 3 + 2], INK);
	free(pm.px);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_on_a_pattern_is_cut_from_it),
		cmocka_unit_test(test_plain_paper_grey_print_and_boxes_have_no_pattern),
		cmocka_unit_test(test_a_pattern_must_be_all_over_with_print_on_it),
		cmocka_unit_test(test_a_pattern_beside_shaded_boxes_is_cut_at_its_own_grey),
		cmocka_unit_test(test_small_or_dark_pages_and_rgb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
