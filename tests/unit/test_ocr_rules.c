/*
 * test_ocr_rules.c — a page's ruled lines (ocr_rules_find) and their erasing
 * (ocr_rules_erase): a table's grid, a rule on its own and dotted rules are
 * rules; a large letter's straight strokes, short strokes touching the grid, a
 * solid box, a thick bar, a short stroke on its own, a row of full stops and a row
 * of thick dashes are not; erasing paints white the rules' pixels, and their smoothed edges, only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <leptonica/allheaders.h>

#include "ocr_rules.h"

#define W	1240	/* A4 at 150 dpi */
#define H	1754
#define DPI	150

static void
fill(PIX *b, int x0, int y0, int x1, int y1)
{
	pixRasterop(b, x0, y0, x1 - x0, y1 - y0, PIX_SET, NULL, 0, 0);
}

/* 十 of size px with strokes 5 thick, its top left at (x, y). */
static void
cross(PIX *b, int x, int y, int px)
{
	fill(b, x, y + px / 2 - 2, x + px, y + px / 2 + 3);
	fill(b, x + px / 2 - 2, y, x + px / 2 + 3, y + px);
}

/* A page in black and white: a table of 4 rows and 3 columns (100,200)-(1002,402),
 * rules 2 thick, touched by a stroke across of 60 and one down of 40 (a letter's,
 * say); a rule of its own (100,500)-(700,502); 十 of 60 and of 140 pixels; a solid
 * box, a bar 10 thick and a short stroke of 40 on its own. */
static PIX *
ruled_page(void)
{
	PIX *b = pixCreate(W, H, 1);

	assert_non_null(b);
	for (int r = 0; r <= 4; r++)
		fill(b, 100, 200 + r * 50, 1002, 202 + r * 50);
	for (int c = 0; c <= 3; c++)
		fill(b, 100 + c * 300, 200, 102 + c * 300, 402);
	fill(b, 1002, 320, 1062, 325);		/* strokes touching the table */
	fill(b, 500, 402, 505, 442);
	fill(b, 100, 500, 700, 502);
	cross(b, 100, 600, 60);
	cross(b, 300, 600, 140);
	fill(b, 100, 800, 700, 850);		/* a solid box */
	fill(b, 100, 900, 700, 910);		/* a bar 10 thick */
	fill(b, 800, 900, 802, 940);		/* a short stroke */
	return b;
}

/* A page of dots and dashes: a dotted rule across (dashes 4 x 2, 4 apart) from
 * (100,300) to (700,302), one down at x 900 from 200 to 500 meeting a solid rule
 * across at y 200, a row of full stops (3 x 3, 22 apart, as in text) at y 400 and a
 * row of dashes too thick for a rule (8 x 5, 12 apart) at y 450. */
static PIX *
dotted_page(void)
{
	PIX *b = pixCreate(W, H, 1);

	assert_non_null(b);
	for (int x = 100; x < 700; x += 8)
		fill(b, x, 300, x + 4, 302);
	fill(b, 700, 198, 1000, 200);
	for (int y = 200; y < 500; y += 8)
		fill(b, 900, y, 902, y + 4);
	for (int x = 100; x < 700; x += 22)
		fill(b, x, 400, x + 3, 403);
	for (int x = 100; x < 700; x += 12)
		fill(b, x, 450, x + 8, 455);
	return b;
}

static int
masked(PIX *m, int x, int y)
{
	l_uint32 v = 0;

	assert_int_equal(pixGetPixel(m, x, y, &v), 0);
	return v != 0;
}

static void
test_rules_are_long_thin_lines_of_long_parts(void **state)
{
	PIX *b = ruled_page(), *m = ocr_rules_find(b, DPI);

	(void)state;
	assert_non_null(m);
	assert_true(masked(m, 500, 200) && masked(m, 500, 401));	/* the grid across */
	assert_true(masked(m, 100, 300) && masked(m, 701, 300));	/* and down */
	assert_false(masked(m, 1030, 322) || masked(m, 502, 430));	/* too short */
	assert_true(masked(m, 400, 501));				/* the rule alone */
	assert_true(masked(m, 400, 502) && masked(m, 400, 499));	/* widened by a pixel */
	assert_false(masked(m, 400, 503) || masked(m, 400, 498));
	assert_false(masked(m, 130, 630) || masked(m, 101, 630));	/* 十 of 60 */
	assert_false(masked(m, 370, 600 + 70) || masked(m, 301, 670));	/* 十 of 140 */
	assert_false(masked(m, 400, 825));		/* the solid box */
	assert_false(masked(m, 400, 905));		/* the thick bar */
	assert_false(masked(m, 801, 920));		/* the short stroke */
	ocr_rules_free(m);
	pixDestroy(&b);
}

static void
test_dotted_rules_are_rows_of_thin_dashes(void **state)
{
	PIX *b = dotted_page(), *m = ocr_rules_find(b, DPI);

	(void)state;
	assert_non_null(m);
	assert_true(masked(m, 101, 300) && masked(m, 693, 301));	/* across */
	assert_true(masked(m, 900, 201) && masked(m, 901, 490));	/* down, */
	assert_true(masked(m, 900, 197));		/* and where it meets a rule */
	assert_false(masked(m, 101, 401));		/* full stops */
	assert_false(masked(m, 101, 452));		/* dashes too thick */
	ocr_rules_free(m);
	pixDestroy(&b);
}

/* A page without rules has no mask; nor has a page that is not black and white. */
static void
test_a_page_without_rules_has_no_mask(void **state)
{
	PIX *b = pixCreate(W, H, 1), *grey = pixCreate(W, H, 8);

	(void)state;
	assert_non_null(b);
	assert_non_null(grey);
	cross(b, 100, 600, 60);
	fill(b, 100, 800, 700, 850);
	assert_null(ocr_rules_find(b, DPI));
	assert_null(ocr_rules_find(grey, DPI));
	assert_null(ocr_rules_find(NULL, DPI));
	pixDestroy(&b);
	pixDestroy(&grey);
}

/* Erasing paints the rules' pixels white in a grey or RGB page, nothing else, and
 * nothing at all with a mask of another size. */
static void
test_erase_paints_the_rules_white_only(void **state)
{
	PIX *b = ruled_page(), *m = ocr_rules_find(b, DPI);

	(void)state;
	assert_non_null(m);
	for (unsigned channels = 1; channels <= 3; channels += 2) {
		uint8_t *px = malloc((size_t)W * H * channels);
		struct ocr_pixmap pm = { .px = px, .width = W, .height = H,
					 .stride = (size_t)W * channels, .channels = channels };

		assert_non_null(px);
		memset(px, 0, (size_t)W * H * channels);
		ocr_rules_erase(m, &pm, 0xff);
		assert_int_equal(px[(size_t)501 * pm.stride + 400 * channels], 255);
		assert_int_equal(px[(size_t)501 * pm.stride + 400 * channels + channels - 1], 255);
		assert_int_equal(px[(size_t)825 * pm.stride + 400 * channels], 0);
		assert_int_equal(px[(size_t)630 * pm.stride + 130 * channels], 0);
		pm.height--;
		memset(px, 0, (size_t)W * H * channels);
		ocr_rules_erase(m, &pm, 0xff);
		assert_int_equal(px[(size_t)501 * pm.stride + 400 * channels], 0);
		free(px);
	}
	ocr_rules_free(m);
	pixDestroy(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_are_long_thin_lines_of_long_parts),
		cmocka_unit_test(test_dotted_rules_are_rows_of_thin_dashes),
		cmocka_unit_test(test_a_page_without_rules_has_no_mask),
		cmocka_unit_test(test_erase_paints_the_rules_white_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
