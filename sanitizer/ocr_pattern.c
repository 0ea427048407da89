/*
 * ocr_pattern.c — a security paper's pattern (地紋): light grey away from the print,
 * all over the page.
 *
 * Print is what is darker than INK_MAX. A pixel is the pattern's when it is clearly
 * darker than the paper (by PAPER_MARGIN) and lighter than print, no print lies
 * within NEAR pixels of it (at 150 dpi a letter's smoothed edge is one or two pixels
 * wide and always beside its stroke) and paper does (a pattern is lines with paper
 * between them; a shaded box is solid). The page has a pattern when such pixels
 * are found in nearly every half-inch tile (MIN_TILES_PCT, at least
 * TILE_PATTERN_PCT of the tile each), and when it has print to keep
 * (MIN_INK_PERMIL). Measured at 150 dpi: a drawn form and the
 * benchmark's Japanese page on patterns of lines of grey 185, 200 and 225 have one
 * (cut at 177, 192, 217); 60 other pages do not: rendered, scanned and
 * photographed pages, forms, shaded forms, slides, pages with photos, faint print,
 * vertical and turned pages.
 *
 * The cut lies below the pattern's greys — from its commonest grey down to where
 * they become CUT_PEAK_DIV times rarer, less CUT_BELOW: the edges of a shaded box
 * next to the paper count as pattern too, but are few — and above print. What is
 * lighter is pattern, paper, or the outer edge of a letter, which Tesseract's
 * recogniser does without. Looking costs 2 ms a page where there is little light
 * grey, 12-22 ms where there is (dense print's letter edges, or a pattern).
 */
#include "ocr_pattern.h"

#include <stdlib.h>
#include <string.h>

#define INK_MAX			96	/* darker than this is print */
#define NEAR			2	/* pixels: a letter's edge, a line's gap */
#define NEAR_PRINT		1
#define NEAR_PAPER		2
#define PAPER_MARGIN		16	/* lighter than paper - this is paper */
#define MIN_INK_PERMIL		3	/* of the page print, at least */
#define MIN_PATTERN_PERMIL	20	/* of the page light grey, at least */
#define TILE_PATTERN_PCT	3	/* of a tile pattern: the tile has it */
#define MIN_TILES_PCT		80	/* of the tiles having it: all over */
#define CUT_PEAK_DIV		16	/* the pattern's greys end where they are
					 * this much rarer than its commonest, */
#define CUT_BELOW		8	/* and the cut is this below */

/* Mark in near[] (the page's size) every pixel with print (NEAR_PRINT) or paper
 * (NEAR_PAPER) within NEAR pixels of it, across then down. */
static void
near_print_and_paper(const struct ocr_pixmap *pg, uint8_t paper, uint8_t *near, uint8_t *across)
{
	uint32_t w = pg->width, h = pg->height, x, y;

	for (y = 0; y < h; y++) {
		uint8_t *row = across + (size_t)y * w;
		unsigned prints = 0, papers = 0;

		/* Counts of each in [x - NEAR, x + NEAR] as x moves on. */
		for (x = 0; x < w + NEAR; x++) {
			if (x < w) {
				uint8_t g = ocr_pixmap_grey(pg, x, y);

				prints += g <= INK_MAX;
				papers += g >= paper - PAPER_MARGIN;
			}
			if (x >= 2 * NEAR + 1) {
				uint8_t g = ocr_pixmap_grey(pg, x - 2 * NEAR - 1, y);

				prints -= g <= INK_MAX;
				papers -= g >= paper - PAPER_MARGIN;
			}
			if (x >= NEAR)
				row[x - NEAR] = (uint8_t)((prints > 0 ? NEAR_PRINT : 0) |
							  (papers > 0 ? NEAR_PAPER : 0));
		}
	}
	for (y = 0; y < h; y++) {
		uint32_t y0 = y >= NEAR ? y - NEAR : 0;
		uint32_t y1 = y + NEAR < h ? y + NEAR : h - 1;
		uint8_t *row = near + (size_t)y * w;

		memset(row, 0, w);
		for (uint32_t k = y0; k <= y1; k++)
			for (x = 0; x < w; x++)
				row[x] |= across[(size_t)k * w + x];
	}
}

uint8_t
ocr_pattern_cut(const struct ocr_pixmap *pg, unsigned dpi, uint8_t paper)
{
	uint32_t t = ocr_tile_side(dpi);
	uint32_t w = pg->width, h = pg->height, tw = w / t, th = h / t, patterned = 0;
	uint64_t ink = 0, pattern = 0, hist[256] = { 0 }, size = (uint64_t)w * h;
	uint32_t *in_tile;
	uint8_t *near, *across, cut = 0;
	unsigned v, mode;

	if (tw < 2 || th < 2 || paper <= INK_MAX + PAPER_MARGIN)
		return 0;
	/* Most pages have too little light grey for a pattern (MIN_TILES_PCT of the
	 * tiles with TILE_PATTERN_PCT each is more than MIN_PATTERN_PERMIL): one look
	 * tells, and spares the rest. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t g = ocr_pixmap_grey(pg, x, y);

			pattern += g > INK_MAX && g < paper - PAPER_MARGIN;
		}
	if (pattern * 1000 < MIN_PATTERN_PERMIL * size)
		return 0;
	pattern = 0;
	near = malloc(size);
	across = malloc(size);
	in_tile = calloc((size_t)tw * th, sizeof *in_tile);
	if (near == NULL || across == NULL || in_tile == NULL)
		goto out;	/* read the page as it is */
	near_print_and_paper(pg, paper, near, across);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t g = ocr_pixmap_grey(pg, x, y);

			if (g <= INK_MAX) {
				ink++;
			} else if (g < paper - PAPER_MARGIN &&
				   near[(size_t)y * w + x] == NEAR_PAPER) {
				pattern++;
				hist[g]++;
				if (x / t < tw && y / t < th)
					in_tile[y / t * tw + x / t]++;
			}
		}
	for (uint32_t i = 0; i < tw * th; i++)
		patterned += in_tile[i] * 100 >= (uint64_t)TILE_PATTERN_PCT * t * t;
	if (ink * 1000 < MIN_INK_PERMIL * size || patterned * 100 < MIN_TILES_PCT * tw * th)
		goto out;
	for (v = mode = INK_MAX + 1; v < 256; v++)
		if (hist[v] > hist[mode])
			mode = v;
	for (v = mode; v > INK_MAX + 1 && hist[v - 1] * CUT_PEAK_DIV >= hist[mode]; v--)
		;
	cut = (uint8_t)(v > INK_MAX + CUT_BELOW ? v - CUT_BELOW : INK_MAX + 1);
out:
	free(near);
	free(across);
	free(in_tile);
	return cut;
}

void
ocr_pattern_erase(const struct ocr_pixmap *pg, uint8_t cut, uint8_t paper)
{
	for (uint32_t y = 0; y < pg->height; y++)
		for (uint32_t x = 0; x < pg->width; x++)
			if (ocr_pixmap_grey(pg, x, y) >= cut)
				memset(pg->px + (size_t)y * pg->stride + (size_t)x * pg->channels,
				       paper, pg->channels);
}
