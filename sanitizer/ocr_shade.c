/*
 * ocr_shade.c — text on shaded ground: finding it in Tesseract's black and white,
 * telling its two greys apart in the page's own pixels, redrawing it dark on white.
 *
 * A shade is found in the black-and-white page, where it is solid: opening the page
 * with a brick a little wider than a letter's stroke (dpi/30: 5 pixels at 150 dpi)
 * takes away text, rules and table borders and leaves blocks, so a shaded cell is
 * found apart from the grid it sits in. A block counts when it is at least as large
 * as a short label (a third of an inch wide, a seventh high), mostly black in the
 * unopened page (a box, not a frame or a bold glyph), and holds two greys far apart:
 * Otsu's threshold over the block's own histogram splits it into the ground (the
 * larger part) and the text. A plain dark bar, a scanner's black margin or a photo
 * of little contrast has no such second grey and is left on the page as it was.
 */
#include "ocr_shade.h"

#include <string.h>

#include <leptonica/allheaders.h>

#define SHADE_STROKE_DIV	30	/* opening brick: dpi / this, wider than a stroke */
#define SHADE_MIN_W_DIV		3	/* a shade is at least dpi / this wide */
#define SHADE_MIN_H_DIV		7	/* and high: one line of 10 pt with a margin */
#define SHADE_MIN_BLACK_PCT	70	/* of its area black in the unopened page */
#define SHADE_MIN_CONTRAST	80	/* grey levels between its text and its ground */
#define SHADE_MIN_TEXT_PERMIL	1	/* of its pixels that are text: a title in a big box */
#define SHADE_WORK_PAGES	4	/* pixels looked at per page, in pages */
#define SHADE_RULE_DOWN_PCT	90	/* of a shade's height dark: a rule down it */
#define SHADE_RULE_ACROSS_PCT	90	/* of its width dark: a rule across it */

/* Whether area s of pg holds two greys far apart; sets s->text and s->ground. */
static int
two_greys(const struct ocr_pixmap *pg, struct ocr_shade *s)
{
	uint64_t hist[256] = { 0 }, total = (uint64_t)s->w * s->h, sum = 0, below = 0, sum_below = 0;
	uint64_t n_dark = 0, sum_dark = 0, n_light;
	double best = -1, m_dark, m_light;
	unsigned v;

	for (uint32_t y = s->y; y < s->y + s->h; y++)
		for (uint32_t x = s->x; x < s->x + s->w; x++)
			hist[ocr_pixmap_grey(pg, x, y)]++;
	for (v = 0; v < 256; v++)
		sum += v * hist[v];
	/* Otsu: the threshold (dark at or below it) of largest between-class variance. */
	for (v = 0; v < 255; v++) {
		double wb, wf, d;

		below += hist[v];
		sum_below += v * hist[v];
		if (below == 0 || below == total)
			continue;
		wb = (double)below;
		wf = (double)(total - below);
		d = (double)sum_below / wb - (double)(sum - sum_below) / wf;
		if (wb * wf * d * d > best) {
			best = wb * wf * d * d;
			n_dark = below;
			sum_dark = sum_below;
		}
	}
	if (best < 0)
		return 0;	/* one grey only */
	n_light = total - n_dark;
	m_dark = (double)sum_dark / (double)n_dark;
	m_light = (double)(sum - sum_dark) / (double)n_light;
	if (m_light - m_dark < SHADE_MIN_CONTRAST)
		return 0;
	/* The text is the smaller part: dark on a mid-tone box, light on a dark bar. */
	if ((n_dark < n_light ? n_dark : n_light) * 1000 < total * SHADE_MIN_TEXT_PERMIL)
		return 0;
	s->text = (uint8_t)(n_dark < n_light ? m_dark + 0.5 : m_light + 0.5);
	s->ground = (uint8_t)(n_dark < n_light ? m_light + 0.5 : m_dark + 0.5);
	return 1;
}

unsigned
ocr_shade_find(struct Pix *binary, const struct ocr_pixmap *pg, unsigned dpi,
	       struct ocr_shade *out, unsigned max)
{
	int brick = (int)(dpi / SHADE_STROKE_DIV) > 2 ? (int)(dpi / SHADE_STROKE_DIV) : 2;
	uint32_t min_w = dpi / SHADE_MIN_W_DIV, min_h = dpi / SHADE_MIN_H_DIV;
	/* Blocks are disjoint, their boxes need not be (combs that interleave): the
	 * pixels looked at, here and by ocr_shade_draw, stay within a few pages'. */
	uint64_t budget = (uint64_t)SHADE_WORK_PAGES * pg->width * pg->height;
	unsigned found = 0;
	PIX *solid;
	BOXA *blocks;
	int i, n;

	if (binary == NULL || pixGetDepth(binary) != 1 ||
	    pixGetWidth(binary) != (l_int32)pg->width || pixGetHeight(binary) != (l_int32)pg->height)
		return 0;
	if ((solid = pixOpenBrick(NULL, binary, brick, brick)) == NULL)
		return 0;
	blocks = pixConnCompBB(solid, 8);
	pixDestroy(&solid);
	if (blocks == NULL)
		return 0;
	n = boxaGetCount(blocks);
	for (i = 0; i < n && found < max; i++) {
		l_int32 x, y, w, h, black = 0;
		struct ocr_shade s;
		BOX *b;

		if (boxaGetBoxGeometry(blocks, i, &x, &y, &w, &h) != 0 || x < 0 || y < 0 ||
		    (uint32_t)w < min_w || (uint32_t)h < min_h ||
		    (uint32_t)x + (uint32_t)w > pg->width || (uint32_t)y + (uint32_t)h > pg->height)
			continue;
		if ((uint64_t)w * (uint64_t)h > budget)
			break;
		budget -= (uint64_t)w * (uint64_t)h;
		if ((b = boxaGetBox(blocks, i, L_CLONE)) == NULL)
			continue;
		if (pixCountPixelsInRect(binary, b, &black, NULL) != 0)
			black = 0;
		boxDestroy(&b);
		if ((uint64_t)black * 100 < (uint64_t)w * (uint64_t)h * SHADE_MIN_BLACK_PCT)
			continue;
		s = (struct ocr_shade){ .x = (uint32_t)x, .y = (uint32_t)y,
					.w = (uint32_t)w, .h = (uint32_t)h };
		if (two_greys(pg, &s))
			out[found++] = s;
	}
	boxaDestroy(&blocks);
	return found;
}

void
ocr_shade_erase(const struct ocr_shade *s, const struct ocr_pixmap *pg, uint8_t paper)
{
	for (uint32_t y = s->y; y < s->y + s->h; y++)
		memset(pg->px + (size_t)y * pg->stride + (size_t)s->x * pg->channels, paper,
		       (size_t)s->w * pg->channels);
}

/*
 * Erase from the drawn shade s in dst the ruled lines that run through it or along
 * its edges: a shaded cell of a table keeps its borders, and the grid between the
 * cells of a shaded row, which the page's rules (ocr_rules.h) leave to the shade
 * as part of its block. Drawn dark on white, a rule is a column dark over
 * SHADE_RULE_DOWN_PCT of the shade's height, or a row dark over SHADE_RULE_ACROSS_PCT
 * of its width; a letter's stroke is neither, the ground being around the text.
 */
static void
erase_rules(const struct ocr_shade *s, uint8_t *dst, size_t dst_stride)
{
	uint32_t x, y, dark;

	for (y = s->y; y < s->y + s->h; y++) {
		uint8_t *row = dst + (size_t)y * dst_stride;

		for (dark = 0, x = s->x; x < s->x + s->w; x++)
			dark += row[x] < 128;
		if ((uint64_t)dark * 100 >= (uint64_t)s->w * SHADE_RULE_ACROSS_PCT)
			memset(row + s->x, 0xff, s->w);
	}
	for (x = s->x; x < s->x + s->w; x++) {
		for (dark = 0, y = s->y; y < s->y + s->h; y++)
			dark += dst[(size_t)y * dst_stride + x] < 128;
		if ((uint64_t)dark * 100 >= (uint64_t)s->h * SHADE_RULE_DOWN_PCT)
			for (y = s->y; y < s->y + s->h; y++)
				dst[(size_t)y * dst_stride + x] = 0xff;
	}
}

void
ocr_shade_draw(const struct ocr_shade *s, const struct ocr_pixmap *pg, uint8_t *dst,
	       size_t dst_stride)
{
	int span = (int)s->ground - (int)s->text;	/* negative for light text */

	for (uint32_t y = s->y; y < s->y + s->h; y++)
		for (uint32_t x = s->x; x < s->x + s->w; x++) {
			int v = ((int)ocr_pixmap_grey(pg, x, y) - (int)s->text) * 255 / span;

			dst[(size_t)y * dst_stride + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	erase_rules(s, dst, dst_stride);
}
