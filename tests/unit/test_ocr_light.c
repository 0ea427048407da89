/*
 * test_ocr_light.c — a page's paper (ocr_light_measure), on grey pages of drawn
 * print: white paper, a scan's grey paper with its grain and shading, paper lit
 * from one side (uneven), and what is not light: a shaded box, a coloured band, a
 * page that is mostly a photo, a page too small to tell; RGB paper by its luma.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr_light.h"

#define W	1240	/* A4 at 150 dpi */
#define H	1754
#define DPI	150

struct page {
	struct ocr_pixmap pm;
	uint32_t seed;
};

static uint32_t
next_random(struct page *p)
{
	p->seed = p->seed * 1103515245u + 12345u;
	return p->seed >> 16;
}

static struct page *
page_new(uint32_t w, uint32_t h, unsigned channels)
{
	struct page *p = calloc(1, sizeof *p);

	assert_non_null(p);
	p->pm = (struct ocr_pixmap){ .width = w, .height = h, .stride = (size_t)w * channels,
				     .channels = channels };
	assert_non_null(p->pm.px = malloc(p->pm.stride * h));
	p->seed = 7;
	return p;
}

static void
page_free(struct page *p)
{
	free(p->pm.px);
	free(p);
}

static void
set(struct page *p, uint32_t x, uint32_t y, int v)
{
	uint8_t *px = p->pm.px + (size_t)y * p->pm.stride + (size_t)x * p->pm.channels;

	memset(px, v < 0 ? 0 : v > 255 ? 255 : v, p->pm.channels);
}

/* Paper whose grey is ground at the left edge and ground - drift at the right,
 * with grain of about +-grain levels. */
static void
paper(struct page *p, int ground, int drift, int grain)
{
	for (uint32_t y = 0; y < p->pm.height; y++)
		for (uint32_t x = 0; x < p->pm.width; x++) {
			int noise = grain ? (int)(next_random(p) % (2u * grain + 1)) - grain : 0;

			set(p, x, y, ground - (int)((int64_t)drift * x / p->pm.width) + noise);
		}
}

/* Lines of print as a notice has them: strokes of ink 20 pixels high, a tenth of
 * the page's area. */
static void
print(struct page *p, int ink)
{
	for (uint32_t top = 120; top + 20 < p->pm.height - 100; top += 36)
		for (uint32_t x = 120; x < p->pm.width - 120; x += 6)
			for (uint32_t y = top; y < top + 20; y++)
				if ((x / 6 + y / 5) % 3 == 0)
					set(p, x, y, ink);
}

/* A photo over rows y0 to y1: greys drifting across the page, each pixel some 40
 * levels off, so that no tile of it is one grey. */
static void
photo(struct page *p, uint32_t y0, uint32_t y1)
{
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = 0; x < p->pm.width; x++)
			set(p, x, y, 40 + (int)(x * 180 / p->pm.width) +
				     (int)(next_random(p) % 81) - 40);
}

static void
box(struct page *p, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, int grey)
{
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++)
			set(p, x, y, grey);
}

static struct ocr_light
measure(struct page *p)
{
	struct ocr_light l;

	ocr_light_measure(&p->pm, DPI, &l);
	page_free(p);
	return l;
}

/* Measure p (freed): white paper, lit evenly — what a page is taken for when there
 * is nothing to tell. */
static void
assert_white_and_even(struct page *p)
{
	struct ocr_light l = measure(p);

	assert_int_equal(l.paper, 255);
	assert_false(l.uneven);
}

static void
test_white_and_scanned_paper_are_even(void **state)
{
	struct page *p = page_new(W, H, 1);
	struct ocr_light l;

	(void)state;
	paper(p, 255, 0, 0);
	print(p, 20);
	assert_white_and_even(p);

	/* A scan: paper at 232 with grain and a shading of 10 levels. */
	p = page_new(W, H, 1);
	paper(p, 237, 10, 6);
	print(p, 40);
	l = measure(p);
	assert_in_range(l.paper, 229, 235);
	assert_false(l.uneven);
}

static void
test_paper_lit_from_one_side_is_uneven(void **state)
{
	static const struct { int drift, uneven; } cases[] = {
		{ 100, 1 }, { 40, 1 }, { OCR_LIGHT_MIN_DRIFT + 4, 1 },
		{ OCR_LIGHT_MIN_DRIFT - 6, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct page *p = page_new(W, H, 1);
		struct ocr_light l;

		paper(p, 240, cases[i].drift, 5);
		print(p, 30);
		l = measure(p);
		assert_int_equal(l.uneven, cases[i].uneven);
		/* The paper's grey is its middle, where the light is half way. */
		assert_in_range(l.paper, 240 - cases[i].drift / 2 - 6, 240 - cases[i].drift / 2 + 6);
	}
}

static void
test_boxes_bands_and_photos_are_not_light(void **state)
{
	struct page *p = page_new(W, H, 1);
	struct ocr_light l;

	(void)state;
	/* A shaded box and a dark bar on white paper: steps, not light. */
	paper(p, 255, 0, 0);
	print(p, 20);
	box(p, 100, 300, 1140, 700, 190);
	box(p, 100, 900, 1140, 1000, 60);
	assert_white_and_even(p);

	/* A coloured band over the lower half: the larger part is the paper. */
	p = page_new(W, H, 1);
	paper(p, 250, 0, 2);
	box(p, 0, H / 2 + 100, W, H, 200);
	print(p, 20);
	l = measure(p);
	assert_in_range(l.paper, 248, 252);
	assert_false(l.uneven);

	/* A photo over a third of the page: its greys drift, but it is not paper. */
	p = page_new(W, H, 1);
	paper(p, 255, 0, 0);
	print(p, 20);
	photo(p, 600, 1200);
	assert_white_and_even(p);
}

static void
test_too_little_paper_or_page_tells_nothing(void **state)
{
	struct page *p = page_new(W, H, 1);

	(void)state;
	/* A page that is all photo: no tile of it is paper. */
	photo(p, 0, H);
	assert_white_and_even(p);

	/* A photo with a caption strip above it: the strip, under a quarter of the
	 * page, is not enough to call it the page's paper. */
	p = page_new(W, H, 1);
	paper(p, 200, 60, 0);
	photo(p, H / 6, H);
	assert_white_and_even(p);

	/* A strip narrower than two tiles, however it is lit. */
	p = page_new(DPI / 2 + 10, H, 1);
	paper(p, 240, 100, 0);
	assert_white_and_even(p);
}

static void
test_rgb_paper_is_measured_by_its_luma(void **state)
{
	struct page *p = page_new(W, H, 3);
	struct ocr_light l;

	(void)state;
	for (uint32_t y = 0; y < H; y++)	/* cream paper: luma (77*250+150*240+29*200)>>8 */
		for (uint32_t x = 0; x < W; x++)
			memcpy(p->pm.px + (size_t)y * p->pm.stride + (size_t)x * 3,
			       (const uint8_t[]){ 250, 240, 200 }, 3);
	print(p, 30);
	l = measure(p);
	assert_int_equal(l.paper, (77 * 250 + 150 * 240 + 29 * 200) >> 8);
	assert_false(l.uneven);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_white_and_scanned_paper_are_even),
		cmocka_unit_test(test_paper_lit_from_one_side_is_uneven),
		cmocka_unit_test(test_boxes_bands_and_photos_are_not_light),
		cmocka_unit_test(test_too_little_paper_or_page_tells_nothing),
		cmocka_unit_test(test_rgb_paper_is_measured_by_its_luma),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
