/*
 * fuzz_ocr_page.c — a page made ready for Tesseract on arbitrary pixels: its red
 * seals lifted (ocr_seal.h: at most OCR_SEAL_MAX, none on a grey page, every pixel
 * changed made grey), folded to grey unless it has light coloured ink
 * (ocr_colour.h: each pixel its luma), its paper measured (ocr_light.h: unevenly
 * lit 0 or 1), a background pattern (ocr_pattern.h) cut above print and whitened,
 * its shades (ocr_shade.h) found and redrawn, its ruled lines (ocr_rules.h) found
 * and erased in its paper's grey, its direction told (ocr_vertical.h: 0 or 1,
 * within its bound of parts), its rows across (at most OCR_VERTICAL_MAX_ACROSS,
 * in order, apart, within the page) and its short columns standing alone (at most
 * OCR_VERTICAL_MAX_ISLANDS boxes, each inside the page, not empty).
 *
 * The OCR child does this to pixels a hostile file chose, and to Tesseract's black
 * and white of them. Whatever the page: at most max shades, each inside the page
 * and at least the smallest size, with text and ground 80 levels apart; the rules'
 * mask is the page's size; drawing and erasing touch nothing outside the page (the
 * pages are allocated at their exact size, so ASan sees a write past one). A black
 * and white of another size finds no shade and erases no rule. Input: width and
 * height (1 byte each, 16-271 pixels), channels (1 or 3), the threshold of the black and white, the dpi
 * (bytes 4-5, 30-1053), then the pixels, repeated to fill the page.
 * Seeds: tests/fuzz/corpus/fuzz_ocr_page/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "ocr_colour.h"
#include "ocr_light.h"
#include "ocr_pattern.h"
#include "ocr_rules.h"
#include "ocr_seal.h"
#include "ocr_shade.h"
#include "ocr_vertical.h"

#define FUZZ_SHADE_HEADER	6
#define FUZZ_SHADE_MAX		4	/* fewer than OCR_MAX_SHADES: the bound is hit */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_and_draw(const struct ocr_pixmap *pg, unsigned dpi, const struct ocr_shade *s,
	       unsigned n, uint8_t paper)
{
	uint8_t *dst = malloc((size_t)pg->width * pg->height);

	if (dst == NULL)
		return;
	memset(dst, 0x7f, (size_t)pg->width * pg->height);
	for (unsigned i = 0; i < n; i++) {
		int gap = (int)s[i].ground - (int)s[i].text;

		if (s[i].w == 0 || s[i].h == 0 || s[i].x + s[i].w > pg->width ||
		    s[i].y + s[i].h > pg->height || s[i].w < dpi / 3 || s[i].h < dpi / 7 ||
		    (gap < 0 ? -gap : gap) < 80)
			abort();
		ocr_shade_draw(&s[i], pg, dst, pg->width);
	}
	for (unsigned i = 0; i < n; i++)
		ocr_shade_erase(&s[i], pg, paper);
	free(dst);
}

static void
lift_seals(const struct ocr_pixmap *pg, unsigned dpi)
{
	size_t bytes = pg->stride * pg->height;
	uint8_t *was = malloc(bytes);
	unsigned seals;

	if (was == NULL)
		return;
	memcpy(was, pg->px, bytes);
	seals = ocr_seal_lift(pg, dpi);
	if (seals > OCR_SEAL_MAX || (pg->channels == 1 && seals != 0))
		abort();
	for (size_t i = 0; pg->channels == 3 && i < bytes; i += 3)
		if (memcmp(was + i, pg->px + i, 3) != 0 &&
		    (pg->px[i] != pg->px[i + 1] || pg->px[i] != pg->px[i + 2]))
			abort();	/* a lifted pixel is grey */
	if (seals == 0 && memcmp(was, pg->px, bytes) != 0)
		abort();
	free(was);
}

/* As the child does: an RGB page without light coloured ink folded to grey, each
 * pixel its luma, rows packed. */
static void
fold_unless_needed(struct ocr_pixmap *pg)
{
	struct ocr_pixmap was = *pg;

	if (pg->channels != 3 || ocr_colour_needed(pg))
		return;
	if ((was.px = malloc(pg->stride * pg->height)) == NULL)
		return;
	memcpy(was.px, pg->px, pg->stride * pg->height);
	ocr_colour_fold(pg);
	if (pg->channels != 1 || pg->stride != pg->width)
		abort();
	for (uint32_t y = 0; y < pg->height; y++)
		for (uint32_t x = 0; x < pg->width; x++)
			if (pg->px[(size_t)y * pg->width + x] != ocr_pixmap_grey(&was, x, y))
				abort();
	free(was.px);
}

/* A page's rows across: at most the bound, each within the page, top to bottom,
 * none overlapping the next. */
static void
check_across(struct Pix *binary, unsigned dpi, uint32_t height)
{
	struct ocr_rows rows[OCR_VERTICAL_MAX_ACROSS];
	unsigned n = ocr_vertical_across(binary, dpi, rows);

	if (n > OCR_VERTICAL_MAX_ACROSS)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (rows[i].y0 >= rows[i].y1 || rows[i].y1 > height ||
		    (i > 0 && rows[i].y0 < rows[i - 1].y1))
			abort();
}

/* A page's short columns standing alone (not across its rules): at most the bound,
 * each a box inside the page, not empty, in order of their tops. */
static void
check_islands(struct Pix *binary, struct Pix *rules, unsigned dpi, uint32_t width,
	      uint32_t height)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	unsigned n = ocr_vertical_islands(binary, rules, dpi, boxes);

	if (n > OCR_VERTICAL_MAX_ISLANDS)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (boxes[i].x0 >= boxes[i].x1 || boxes[i].y0 >= boxes[i].y1 ||
		    boxes[i].x1 > width || boxes[i].y1 > height ||
		    (i > 0 && boxes[i].y0 < boxes[i - 1].y0))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocr_shade s[FUZZ_SHADE_MAX];
	struct ocr_pixmap pg;
	unsigned threshold, dpi, n;
	size_t bytes;
	PIX *binary, *rules;
	struct ocr_light light;
	uint8_t cut;

	if (size <= FUZZ_SHADE_HEADER)
		return 0;
	pg.width = 16u + data[0];
	pg.height = 16u + data[1];
	pg.channels = (data[2] & 1) ? 3 : 1;
	threshold = data[3];
	dpi = 30u + (((unsigned)data[4] << 8 | data[5]) & 0x3ff);
	pg.stride = (size_t)pg.width * pg.channels;
	bytes = pg.stride * pg.height;
	if ((pg.px = malloc(bytes)) == NULL)
		return 0;
	for (size_t i = 0; i < bytes; i++)
		pg.px[i] = data[FUZZ_SHADE_HEADER + i % (size - FUZZ_SHADE_HEADER)];
	lift_seals(&pg, dpi);
	fold_unless_needed(&pg);
	ocr_light_measure(&pg, dpi, &light);
	if (light.uneven > 1)
		abort();
	if ((cut = ocr_pattern_cut(&pg, dpi, light.paper)) != 0) {
		if (cut <= 96 || cut >= light.paper)
			abort();	/* between print and paper */
		ocr_pattern_erase(&pg, cut, light.paper);
	}
	if ((binary = pixCreate((l_int32)pg.width, (l_int32)pg.height, 1)) == NULL) {
		free(pg.px);
		return 0;
	}
	for (uint32_t y = 0; y < pg.height; y++)
		for (uint32_t x = 0; x < pg.width; x++)
			if (pg.px[(size_t)y * pg.stride + (size_t)x * pg.channels] < threshold)
				pixSetPixel(binary, (l_int32)x, (l_int32)y, 1);
	n = ocr_shade_find(binary, &pg, dpi, s, FUZZ_SHADE_MAX);
	if (n > FUZZ_SHADE_MAX)
		abort();
	check_and_draw(&pg, dpi, s, n, light.paper);
	if ((unsigned)ocr_vertical_page(binary, dpi) > 1)
		abort();
	check_across(binary, dpi, pg.height);
	rules = ocr_rules_find(binary, dpi);
	if (rules != NULL && (pixGetWidth(rules) != (l_int32)pg.width ||
			      pixGetHeight(rules) != (l_int32)pg.height))
		abort();
	check_islands(binary, rules, dpi, pg.width, pg.height);
	ocr_rules_erase(rules, &pg, light.paper);
	/* The black and white of another page: nothing. */
	pg.height--;
	if (ocr_shade_find(binary, &pg, dpi, s, FUZZ_SHADE_MAX) != 0)
		abort();
	ocr_rules_erase(rules, &pg, light.paper);
	ocr_rules_free(rules);
	pixDestroy(&binary);
	free(pg.px);
	return 0;
}
