/*
 * test_ocr_seal.c — red seals (印影) lifted off the print (ocr_seal_lift), on RGB
 * pages of drawn print with seals inked over it as vermilion is: multiplied into
 * what lies under it. A 認印 and a 公印 over print are lifted: their ink becomes the
 * paper, on white and on a scan's grey, and the print under and around them stays
 * as it was. Red print is kept: lines of red text, a red note in a frame with no
 * print under it, a red form's grid. Marks too small, too large or too long for a
 * seal are kept; so are grey pages and seals of another colour. At most
 * OCR_SEAL_MAX marks are looked at.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr_seal.h"

#define W	1240	/* A4 at 150 dpi */
#define H	1754
#define DPI	150
#define INK	20
#define MM(n)	((n) * DPI * 10 / 254)

/* What vermilion lets through of each channel at full cover, in 1/100ths, a
 * darker red, and inks that are not red: a blue or purple date stamp, a yellow highlighter. */
static const unsigned VERMILION[3] = { 88, 20, 24 };
static const unsigned CRIMSON[3] = { 65, 10, 15 };
static const unsigned BLUE[3] = { 20, 45, 85 };
static const unsigned PURPLE[3] = { 55, 15, 60 };
static const unsigned YELLOW[3] = { 92, 85, 15 };

static struct ocr_pixmap
page_new(unsigned channels, const uint8_t paper[3])
{
	struct ocr_pixmap pm = { .width = W, .height = H, .stride = (size_t)W * channels,
				 .channels = channels };

	assert_non_null(pm.px = malloc(pm.stride * H));
	for (size_t i = 0; i < pm.stride * H; i++)
		pm.px[i] = paper[i % channels];
	return pm;
}

static uint8_t *
px_at(const struct ocr_pixmap *pm, uint32_t x, uint32_t y)
{
	return pm->px + (size_t)y * pm->stride + (size_t)x * pm->channels;
}

/* Lines of black print from row top to row bottom, from column left to right:
 * strokes 2 pixels wide in letters of 20 x 20, a line every 36 rows. */
static void
print(const struct ocr_pixmap *pm, uint32_t top, uint32_t bottom, uint32_t left,
      uint32_t right, const uint8_t ink[3])
{
	for (uint32_t line = top; line + 20 <= bottom; line += 36)
		for (uint32_t x = left; x < right; x++)
			for (uint32_t y = line; y < line + 20; y++) {
				uint32_t in_x = (x - left) % 24, in_y = y - line;

				if (in_x < 20 && (in_x < 2 || in_x >= 18 || in_y % 9 < 2))
					memcpy(px_at(pm, x, y), ink, pm->channels);
			}
}

static const uint8_t BLACK[3] = { INK, INK, INK };
static const uint8_t RED_PRINT[3] = { 200, 30, 30 };
static const uint8_t WHITE[3] = { 255, 255, 255 };
static const uint8_t SCAN[3] = { 234, 231, 226 };	/* a scanner's paper */

/* Ink of pass[] (1/100ths let through), at cover 0-100, over pixel (x, y). */
static void
ink_over(const struct ocr_pixmap *pm, uint32_t x, uint32_t y, const unsigned pass[3],
	 unsigned cover)
{
	uint8_t *p = px_at(pm, x, y);

	for (unsigned c = 0; c < pm->channels; c++)
		p[c] = (uint8_t)(p[c] * (100 * 100 - cover * (100 - pass[c])) / (100 * 100));
}

/* A round seal (認印) of radius r centred at (cx, cy): a ring 3 pixels wide, its
 * outer edge smoothed (at 12 % of the cover, then 40 %: barely reddish, then
 * red), and a bar across each half for its two characters. */
static void
round_seal(const struct ocr_pixmap *pm, int cx, int cy, int r, const unsigned pass[3],
	   unsigned cover)
{
	for (int y = -r; y <= r; y++)
		for (int x = -r; x <= r; x++) {
			double d = sqrt((double)(x * x + y * y));
			int bar = abs(x) < r * 2 / 3 && (abs(y + r / 2) < 3 || abs(y - r / 2) < 3 ||
							  abs(x) < 2);

			if (d <= r && (d > r - 3 || bar))
				ink_over(pm, (uint32_t)(cx + x), (uint32_t)(cy + y), pass,
					 d > r - 0.5 ? cover * 12 / 100 :
					 d > r - 1.5 ? cover * 40 / 100 : cover);
		}
}

/* A square seal (公印) of side side at (x0, y0): a frame side/20 wide and a grid of
 * strokes inside for its characters. */
static void
square_seal(const struct ocr_pixmap *pm, uint32_t x0, uint32_t y0, uint32_t side,
	    const unsigned pass[3], unsigned cover)
{
	uint32_t frame = side / 20;

	for (uint32_t y = 0; y < side; y++)
		for (uint32_t x = 0; x < side; x++)
			if (x < frame || y < frame || x >= side - frame || y >= side - frame ||
			    x % (side / 5) < 3 || y % (side / 7) < 3)
				ink_over(pm, x0 + x, y0 + y, pass, cover);
}

/* A frame of w x h, 3 pixels wide, at (x0, y0), in ink of pass[]. */
static void
frame(const struct ocr_pixmap *pm, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h,
      const unsigned pass[3])
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			if (x < 3 || y < 3 || x >= w - 3 || y >= h - 3)
				ink_over(pm, x0 + x, y0 + y, pass, 100);
}

static struct ocr_pixmap
copy_of(const struct ocr_pixmap *pm)
{
	struct ocr_pixmap c = *pm;

	assert_non_null(c.px = malloc(pm->stride * pm->height));
	memcpy(c.px, pm->px, pm->stride * pm->height);
	return c;
}

/* No seal on pm: none lifted, not a pixel changed. */
static void
assert_none_lifted(const struct ocr_pixmap *pm)
{
	struct ocr_pixmap before = copy_of(pm);

	assert_int_equal(ocr_seal_lift(pm, DPI), 0);
	assert_memory_equal(pm->px, before.px, pm->stride * pm->height);
	free(before.px);
}

/* Fill [x0, x1) x [y0, y1) of pm with colour. */
static void
fill(const struct ocr_pixmap *pm, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
     const uint8_t colour[3])
{
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++)
			memcpy(px_at(pm, x, y), colour, pm->channels);
}

static unsigned
luma(const uint8_t *p)
{
	return (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8;
}

static int
grey_pixel(const uint8_t *p)
{
	return p[0] == p[1] && p[1] == p[2];
}

/* Lifted: where the page with its seals differs from the page without, print
 * under a seal is still print (no channel lighter than 3 * INK), and the seal's
 * ink on paper is the paper again (grey, within 6 levels of its red) or, where it
 * was too faint to be lifted (a smoothed edge), a tint neither reddish by 16 nor
 * 40 levels darker than the paper; elsewhere the page is as it was. */
static void
assert_lifted(const struct ocr_pixmap *lifted, const struct ocr_pixmap *unsealed)
{
	unsigned changed = 0;

	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			const uint8_t *was = px_at(unsealed, x, y), *is = px_at(lifted, x, y);

			if (memcmp(was, is, 3) == 0)
				continue;
			changed++;
			if (was[0] <= INK) {
				assert_true(is[0] <= 3 * INK && is[1] <= 3 * INK && is[2] <= 3 * INK);
			} else if (grey_pixel(is)) {
				assert_true(is[0] + 6 >= was[0] && is[0] <= was[0]);
			} else {
				assert_true(luma(is) + 40 >= luma(was));
				assert_true(is[0] < is[1] + 16 || is[0] < is[2] + 16);
			}
		}
	assert_true(changed > 0);
}

static unsigned
red_pixels(const struct ocr_pixmap *pm)
{
	unsigned n = 0;

	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			const uint8_t *p = px_at(pm, x, y);

			n += p[0] > p[1] + 32 && p[0] > p[2] + 32;
		}
	return n;
}

static void
test_seals_over_print_are_lifted_and_the_print_kept(void **state)
{
	const uint8_t *paper[] = { WHITE, SCAN };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct ocr_pixmap pm = page_new(3, paper[i]), unsealed;

		print(&pm, 150, 1600, 120, W - 120, BLACK);
		unsealed = copy_of(&pm);
		round_seal(&pm, 400, 300, MM(21) / 2, VERMILION, 100);	/* 認印, 10.5 mm */
		round_seal(&pm, 700, 700, MM(12) / 2, VERMILION, 45);	/* faint */
		round_seal(&pm, 300, 800, MM(15) / 2, CRIMSON, 100);
		square_seal(&pm, 900, 1000, MM(24), VERMILION, 90);	/* 公印 */
		/* A heavy rule through a seal parts its ring: the piece left of it is
		 * too small to be a seal of its own. */
		round_seal(&pm, 300, 1300, MM(21) / 2, VERMILION, 100);
		fill(&pm, 300 - MM(21) / 2 + 8, 1200, 300 - MM(21) / 2 + 20, 1400, BLACK);
		fill(&unsealed, 300 - MM(21) / 2 + 8, 1200, 300 - MM(21) / 2 + 20, 1400, BLACK);
		assert_int_equal(ocr_seal_lift(&pm, DPI), 5);
		assert_lifted(&pm, &unsealed);
		free(pm.px);
		free(unsealed.px);
	}
}

/* Red print is not lifted: lines of red text, long even when set solid; a note in
 * red in a red frame of a seal's size, with no print under it; white letters on a
 * red badge beside black print; a red form's grid over the whole page, black print
 * in its boxes. */
static void
test_red_print_is_kept(void **state)
{
	struct ocr_pixmap pm = page_new(3, WHITE);

	(void)state;
	print(&pm, 150, 400, 120, W - 120, RED_PRINT);
	for (uint32_t y = 450; y < 560; y += 22)	/* solid: lines touching */
		print(&pm, y, y + 22, 120, 600, RED_PRINT);
	frame(&pm, 700, 450, MM(30), MM(22), VERMILION);
	print(&pm, 460, 450 + MM(22) - 10, 710, 700 + MM(30) - 10, RED_PRINT);
	for (uint32_t y = 600; y < 600 + MM(15); y++)	/* the badge: 重要 */
		for (uint32_t x = 1000; x < 1000 + MM(20); x++)
			ink_over(&pm, x, y, VERMILION, 100);
	print(&pm, 610, 600 + MM(15) - 10, 1010, 1000 + MM(20) - 10, WHITE);
	print(&pm, 600, 600 + MM(15), 1000 + MM(20) + 4, W - 20, BLACK);
	for (uint32_t y = 800; y < 1700; y += 100)	/* the form: rows of boxes */
		frame(&pm, 100, y, W - 200, 100, VERMILION);
	for (uint32_t x = 100; x < W - 100; x += 200)
		frame(&pm, x, 800, 3, 900, VERMILION);
	print(&pm, 830, 1650, 130, 280, BLACK);
	assert_none_lifted(&pm);
	free(pm.px);
}

/* Over print, red marks that are not a seal's size or shape: a ring 5 mm across, a
 * square of 50 mm, a frame of 10 x 30 mm. */
static void
test_marks_not_a_seals_size_or_shape_are_kept(void **state)
{
	struct ocr_pixmap pm = page_new(3, WHITE);

	(void)state;
	print(&pm, 150, 1600, 120, W - 120, BLACK);
	round_seal(&pm, 300, 300, MM(5) / 2, VERMILION, 100);
	square_seal(&pm, 500, 500, MM(50), VERMILION, 100);
	frame(&pm, 200, 1000, MM(10), MM(30), VERMILION);
	assert_none_lifted(&pm);
	free(pm.px);
}

/* A grey page has no colour to tell a seal by; a blue or purple stamp and a yellow
 * highlight are not red. */
static void
test_grey_pages_and_seals_of_other_colours_are_kept(void **state)
{
	const unsigned *other[] = { BLUE, PURPLE, YELLOW };
	struct ocr_pixmap grey = page_new(1, WHITE);

	(void)state;
	print(&grey, 150, 1600, 120, W - 120, BLACK);
	round_seal(&grey, 400, 300, MM(21) / 2, VERMILION, 100);
	assert_none_lifted(&grey);
	free(grey.px);
	for (unsigned i = 0; i < 3; i++) {
		struct ocr_pixmap rgb = page_new(3, WHITE);

		print(&rgb, 150, 1600, 120, W - 120, BLACK);
		round_seal(&rgb, 400, 300, MM(21) / 2, other[i], 100);
		square_seal(&rgb, 900, 1000, MM(24), other[i], 90);
		assert_none_lifted(&rgb);
		free(rgb.px);
	}
}

/* A page of many seals (a sheet of stamps): OCR_SEAL_MAX are looked at and
 * lifted, the others left red. */
static void
test_no_more_than_the_bound_of_marks_is_looked_at(void **state)
{
	struct ocr_pixmap pm = page_new(3, WHITE);
	unsigned n = 0, red;

	(void)state;
	print(&pm, 40, H - 40, 40, W - 40, BLACK);
	for (uint32_t y = 60; y + 60 < H; y += 120)
		for (uint32_t x = 60; x + 60 < W; x += 120, n++)
			round_seal(&pm, (int)x, (int)y, MM(9) / 2, VERMILION, 100);
	assert_true(n > OCR_SEAL_MAX);
	red = red_pixels(&pm);
	assert_int_equal(ocr_seal_lift(&pm, DPI), OCR_SEAL_MAX);
	assert_in_range(red_pixels(&pm), red * (n - OCR_SEAL_MAX) / n * 9 / 10,
			red * (n - OCR_SEAL_MAX) / n * 11 / 10);
	free(pm.px);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seals_over_print_are_lifted_and_the_print_kept),
		cmocka_unit_test(test_red_print_is_kept),
		cmocka_unit_test(test_marks_not_a_seals_size_or_shape_are_kept),
		cmocka_unit_test(test_grey_pages_and_seals_of_other_colours_are_kept),
		cmocka_unit_test(test_no_more_than_the_bound_of_marks_is_looked_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
