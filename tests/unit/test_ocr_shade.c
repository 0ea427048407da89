/*
 * test_ocr_shade.c — text on shaded ground, found in a page's black and white
 * (ocr_shade_find) and redrawn dark on white (ocr_shade_draw): a mid-tone box behind
 * black text, a dark bar behind white text and a shaded cell of a table are shades;
 * text on white, a plain dark bar, a table's grid, a frame, labels too small to
 * hold a line, marks hardly darker than their ground and a speck on a dark bar are
 * not. The black and white is Otsu's over the whole page, as Tesseract makes it
 * (Leptonica's, with one tile).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <leptonica/allheaders.h>

#include "ocr_shade.h"

#define W	1240	/* A4 at 150 dpi */
#define H	1754
#define DPI	150

static void
fill(uint8_t *px, unsigned channels, unsigned x0, unsigned y0, unsigned x1, unsigned y1,
     const uint8_t ink[3])
{
	for (unsigned y = y0; y < y1; y++)
		for (unsigned x = x0; x < x1; x++)
			memcpy(px + ((size_t)y * W + x) * channels, ink, channels);
}

/* n letter-like marks (口 of 3-pixel strokes, 22 pixels square, 26 apart) from
 * (x, y), their top left, in ink. */
static void
marks(uint8_t *px, unsigned channels, unsigned x, unsigned y, unsigned n, const uint8_t ink[3])
{
	for (unsigned i = 0; i < n; i++, x += 26) {
		fill(px, channels, x, y, x + 22, y + 3, ink);
		fill(px, channels, x, y + 19, x + 22, y + 22, ink);
		fill(px, channels, x, y, x + 3, y + 22, ink);
		fill(px, channels, x + 19, y, x + 22, y + 22, ink);
	}
}

static const uint8_t black[3] = { 0, 0, 0 }, white[3] = { 255, 255, 255 };
static const uint8_t grey148[3] = { 148, 148, 148 }, grey40[3] = { 40, 40, 40 };

/* A white page: a line of marks, a grey box of black marks (100,200)-(700,250), a
 * dark bar of white marks (100,300)-(700,350), a plain dark bar, a table whose first
 * cell (100,500)-(366,540) is shaded, a frame, two dark labels too narrow or too
 * low for a line of text, a dark box of
 * marks hardly darker than it (a photo's shadows, say) and a dark bar with a speck
 * of white. */
static uint8_t *
shaded_page(unsigned channels)
{
	uint8_t *px = malloc((size_t)W * H * channels);
	const uint8_t grey120[3] = { 120, 120, 120 }, grey60[3] = { 60, 60, 60 };
	const uint8_t grey90[3] = { 90, 90, 90 };

	assert_non_null(px);
	memset(px, 255, (size_t)W * H * channels);
	marks(px, channels, 120, 100, 20, black);
	fill(px, channels, 100, 200, 700, 250, grey148);
	marks(px, channels, 120, 214, 20, black);
	fill(px, channels, 100, 300, 700, 350, grey40);
	marks(px, channels, 120, 314, 20, white);
	fill(px, channels, 100, 400, 700, 450, grey60);
	fill(px, channels, 100, 500, 366, 540, grey120);
	for (unsigned r = 0; r <= 5; r++)	/* the grid, over the shaded cell's edges */
		fill(px, channels, 100, 500 + r * 40, 900, 502 + r * 40, black);
	for (unsigned c = 0; c <= 3; c++)
		fill(px, channels, 100 + c * 266, 500, 102 + c * 266, 702, black);
	for (unsigned r = 0; r < 5; r++)
		marks(px, channels, 110, 509 + r * 40, 5, black);
	fill(px, channels, 100, 800, 700, 1000, black);	/* a frame, 8 pixels */
	fill(px, channels, 108, 808, 692, 992, white);
	marks(px, channels, 120, 880, 10, black);
	fill(px, channels, 100, 1100, 700, 1150, grey60);	/* greys too close */
	marks(px, channels, 120, 1114, 20, grey90);
	fill(px, channels, 100, 1200, 700, 1250, grey40);	/* a dark bar with a speck */
	fill(px, channels, 400, 1220, 403, 1223, white);
	fill(px, channels, 1000, 100, 1040, 140, grey40);	/* labels 40 x 40, 80 x 16 */
	fill(px, channels, 1010, 110, 1030, 113, white);
	fill(px, channels, 1000, 200, 1080, 216, grey40);
	fill(px, channels, 1010, 205, 1030, 208, white);
	return px;
}

/* The page's black and white, Otsu's threshold over the whole page. */
static PIX *
otsu_binary(const uint8_t *px, unsigned channels)
{
	PIX *grey = pixCreate(W, H, 8), *binary = NULL;

	assert_non_null(grey);
	for (unsigned y = 0; y < H; y++)
		for (unsigned x = 0; x < W; x++) {
			const uint8_t *p = px + ((size_t)y * W + x) * channels;

			pixSetPixel(grey, x, y, channels == 1 ? p[0] :
				    (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8);
		}
	assert_int_equal(pixOtsuAdaptiveThreshold(grey, W, H, 0, 0, 0.0f, NULL, &binary), 0);
	pixDestroy(&grey);
	return binary;
}

static void
assert_box(const struct ocr_shade *s, unsigned x0, unsigned y0, unsigned x1, unsigned y1,
	   unsigned slack)
{
	assert_in_range(s->x, x0 - slack, x0);
	assert_in_range(s->y, y0 - slack, y0);
	assert_in_range(s->x + s->w, x1, x1 + slack);
	assert_in_range(s->y + s->h, y1, y1 + slack);
}

static void
check_shades_of(unsigned channels)
{
	uint8_t *px = shaded_page(channels);
	struct ocr_pixmap pg = { .px = px, .width = W, .height = H,
				 .stride = (size_t)W * channels, .channels = channels };
	struct ocr_shade s[OCR_MAX_SHADES];
	PIX *binary = otsu_binary(px, channels);
	unsigned n = ocr_shade_find(binary, &pg, DPI, s, OCR_MAX_SHADES);

	pixDestroy(&binary);
	assert_int_equal(n, 3);
	assert_box(&s[0], 100, 200, 700, 250, 0);
	assert_in_range(s[0].ground, 146, 150);
	assert_in_range(s[0].text, 0, 10);
	assert_box(&s[1], 100, 300, 700, 350, 0);
	assert_in_range(s[1].ground, 38, 42);
	assert_in_range(s[1].text, 245, 255);
	/* The cell, with the grid's rules along its edges (no more of the grid). */
	assert_box(&s[2], 100, 500, 366, 540, 2);
	free(px);
}

static void
test_shades_are_boxes_of_text_on_a_ground_of_their_own(void **state)
{
	(void)state;
	check_shades_of(1);
}

/* The same page in RGB (a colour page is read in colour). */
static void
test_shades_are_found_on_a_colour_page(void **state)
{
	(void)state;
	check_shades_of(3);
}

/* Drawn dark on white: the ground white, the text black, each at its place, nothing
 * else touched, and the rules along a shaded cell's edges left white; erased, the
 * page is white there. */
static void
test_a_shade_is_drawn_dark_on_white_and_erased_white(void **state)
{
	uint8_t *px = shaded_page(1), *dst = malloc((size_t)W * H);
	struct ocr_pixmap pg = { .px = px, .width = W, .height = H, .stride = W, .channels = 1 };
	struct ocr_shade s[OCR_MAX_SHADES];
	PIX *binary = otsu_binary(px, 1);
	unsigned n = ocr_shade_find(binary, &pg, DPI, s, OCR_MAX_SHADES);

	(void)state;
	pixDestroy(&binary);
	assert_non_null(dst);
	assert_int_equal(n, 3);
	memset(dst, 0x7f, (size_t)W * H);
	ocr_shade_draw(&s[0], &pg, dst, W);
	ocr_shade_draw(&s[1], &pg, dst, W);
	assert_int_equal(dst[205 * W + 110], 255);	/* the grey box's ground */
	assert_int_equal(dst[215 * W + 121], 0);	/* one of its black marks */
	assert_int_equal(dst[305 * W + 110], 255);	/* the dark bar's ground */
	assert_int_equal(dst[315 * W + 121], 0);	/* one of its white marks */
	assert_int_equal(dst[199 * W + 110], 0x7f);	/* above the box: untouched */
	/* The shaded cell: its marks dark, the grid's rules along its edges white. */
	ocr_shade_draw(&s[2], &pg, dst, W);
	assert_int_equal(dst[510 * W + 111], 0);
	assert_int_equal(dst[500 * W + 200], 255);
	assert_int_equal(dst[541 * W + 200], 255);
	assert_int_equal(dst[520 * W + 100], 255);
	assert_int_equal(dst[520 * W + 367], 255);
	assert_int_equal(dst[101 * W + 121], 0x7f);	/* the line on white */
	ocr_shade_erase(&s[1], &pg, 0xff);
	assert_int_equal(px[315 * W + 121], 255);
	assert_int_equal(px[349 * W + 699], 255);
	assert_int_equal(px[350 * W + 699], 255);	/* below it, white as it was */
	assert_int_equal(px[401 * W + 101], 60);	/* the plain bar below stays */
	free(dst);
	free(px);
}

/* At most max, the first from the top; and none from a black and white of another
 * size than the page. */
static void
test_find_keeps_to_its_bounds(void **state)
{
	uint8_t *px = shaded_page(1);
	struct ocr_pixmap pg = { .px = px, .width = W, .height = H, .stride = W, .channels = 1 };
	struct ocr_shade s[OCR_MAX_SHADES];
	PIX *binary = otsu_binary(px, 1), *smaller;
	BOX *most = boxCreate(0, 0, W, H - 1);

	(void)state;
	assert_int_equal(ocr_shade_find(binary, &pg, DPI, s, 1), 1);
	assert_box(&s[0], 100, 200, 700, 250, 0);
	smaller = pixClipRectangle(binary, most, NULL);
	boxDestroy(&most);
	assert_non_null(smaller);
	assert_int_equal(ocr_shade_find(smaller, &pg, DPI, s, OCR_MAX_SHADES), 0);
	assert_int_equal(ocr_shade_find(NULL, &pg, DPI, s, OCR_MAX_SHADES), 0);
	pixDestroy(&smaller);
	pixDestroy(&binary);
	free(px);
}

/* Frames inside frames, every one a shade (dark, with white between): their
 * boxes overlap, each nearly the page. What find looks at, and so the shades it
 * gives, add up to at most four pages' pixels. */
static void
test_find_looks_at_no_more_than_four_pages(void **state)
{
	uint8_t *px = malloc((size_t)W * H);
	struct ocr_pixmap pg = { .px = px, .width = W, .height = H, .stride = W, .channels = 1 };
	struct ocr_shade s[OCR_MAX_SHADES];
	uint64_t area = 0;
	PIX *binary;
	unsigned n, i;

	(void)state;
	assert_non_null(px);
	memset(px, 255, (size_t)W * H);
	for (unsigned k = 0; 10 * k + 8 < H / 2 && 10 * k + 8 < W / 2; k++) {
		fill(px, 1, 10 * k, 10 * k, W - 10 * k, H - 10 * k, grey40);
		fill(px, 1, 10 * k + 8, 10 * k + 8, W - 10 * k - 8, H - 10 * k - 8, white);
	}
	binary = otsu_binary(px, 1);
	n = ocr_shade_find(binary, &pg, DPI, s, OCR_MAX_SHADES);
	pixDestroy(&binary);
	for (i = 0; i < n; i++)
		area += (uint64_t)s[i].w * s[i].h;
	assert_in_range(n, 1, 4);
	assert_true(area <= 4ull * W * H);
	free(px);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shades_are_boxes_of_text_on_a_ground_of_their_own),
		cmocka_unit_test(test_shades_are_found_on_a_colour_page),
		cmocka_unit_test(test_a_shade_is_drawn_dark_on_white_and_erased_white),
		cmocka_unit_test(test_find_keeps_to_its_bounds),
		cmocka_unit_test(test_find_looks_at_no_more_than_four_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
