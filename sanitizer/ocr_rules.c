/*
 * ocr_rules.c — ruled lines: Leptonica's openings on Tesseract's black and white.
 *
 * Opening by a square of the greatest thickness a rule may have keeps only the
 * thick (boxes, shades, solid blocks); what is left is thin, and opening that by a
 * long flat or tall brick keeps the long thin runs. Those count only within the
 * connected parts of the page at least an inch long, so that a large letter's
 * straight stroke (一 or 十 of a title) is not taken for a rule. Dotted rules are
 * rows of dots joined by a closing, looked for once the solid rules are out. The
 * openings use Leptonica's composite bricks (the same result, in half the time of
 * plain ones for bricks this long): about 11 ms of CPU for an A4 page at 150 dpi.
 */
#include "ocr_rules.h"

#include <string.h>

#include <leptonica/allheaders.h>

#define RULE_THICK_DIV		20	/* a rule is under dpi / this thick */
#define RULE_ACROSS_DIV		2	/* across: at least dpi / this long */
#define RULE_DOWN_DIV		3	/* down: at least dpi / this (a table row or two) */
#define RULE_DOT_DIV		10	/* a dot or dash is at most dpi / this long */
#define RULE_FLAT_DIV		50	/* and at most dpi / this thick (3 at 150 dpi) */
#define RULE_GAP_DIV		15	/* and under dpi / this from the next */

/* a | b, either of them NULL for none; b is freed. */
static PIX *
either(PIX *a, PIX *b)
{
	if (a == NULL)
		return b;
	if (b != NULL)
		pixOr(a, a, b);
	pixDestroy(&b);
	return a;
}

/* The solid rules: long thin runs within parts of the page an inch long; NULL if
 * none. */
static PIX *
solid_rules(struct Pix *binary, unsigned dpi)
{
	int thick = dpi / RULE_THICK_DIV > 2 ? (int)(dpi / RULE_THICK_DIV) : 2;
	PIX *solid = NULL, *thin = NULL, *across = NULL, *down = NULL, *long_parts = NULL;
	l_int32 empty = 1;

	if ((solid = pixOpenCompBrick(NULL, binary, thick, thick)) == NULL ||
	    (thin = pixSubtract(NULL, binary, solid)) == NULL ||
	    (across = pixOpenCompBrick(NULL, thin, (int)(dpi / RULE_ACROSS_DIV), 1)) == NULL ||
	    (down = pixOpenCompBrick(NULL, thin, 1, (int)(dpi / RULE_DOWN_DIV))) == NULL ||
	    pixOr(across, across, down) == NULL || pixZero(across, &empty) != 0 || empty ||
	    (long_parts = pixSelectBySize(binary, (l_int32)dpi, (l_int32)dpi, 8,
					  L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL)) == NULL ||
	    pixAnd(across, across, long_parts) == NULL || pixZero(across, &empty) != 0)
		empty = 1;
	pixDestroy(&solid);
	pixDestroy(&thin);
	pixDestroy(&down);
	pixDestroy(&long_parts);
	if (empty)
		pixDestroy(&across);
	return across;
}

/* The rows (across) or columns of dots, which are parts of the page no larger
 * than a rule's dash: dots under dpi/RULE_GAP_DIV apart joined, and kept where they
 * make a rule's length; NULL if none. */
static PIX *
dotted_one_way(PIX *dots, unsigned dpi, int across)
{
	int gap = (int)(dpi / RULE_GAP_DIV);
	int len = (int)(dpi / (across ? RULE_ACROSS_DIV : RULE_DOWN_DIV));
	PIX *joined, *rules = NULL;
	l_int32 empty = 1;

	if ((joined = pixCloseCompBrick(NULL, dots, across ? gap : 1, across ? 1 : gap)) != NULL &&
	    (rules = pixOpenCompBrick(NULL, joined, across ? len : 1, across ? 1 : len)) != NULL &&
	    pixAnd(rules, rules, dots) != NULL && pixZero(rules, &empty) != 0)
		empty = 1;
	pixDestroy(&joined);
	if (empty)
		pixDestroy(&rules);
	return rules;
}

/*
 * The dotted and dashed rules (点線, 破線): rows or columns of dots and dashes — parts
 * of the page at most dpi/RULE_DOT_DIV long and dpi/RULE_FLAT_DIV thick, as a rule
 * is — under dpi/RULE_GAP_DIV apart, along the lengths of a solid rule. Only such
 * flat parts are joined, so letters (whose parts are larger or thicker) are not,
 * and a row of full stops is too sparse. The parts are told by their boxes alone
 * (Leptonica's pixSelectBySize makes an image of every part, 10 ms of the page's
 * thousands): a box this small holds little of anything else. NULL if none.
 */
static PIX *
dotted_rules(struct Pix *binary, unsigned dpi)
{
	int dot = (int)(dpi / RULE_DOT_DIV), gap = (int)(dpi / RULE_GAP_DIV);
	int flat = dpi / RULE_FLAT_DIV > 2 ? (int)(dpi / RULE_FLAT_DIV) : 2;
	PIX *flat_across = NULL, *flat_down = NULL, *across = NULL, *down = NULL;
	unsigned n_across = 0, n_down = 0;
	BOXA *parts = NULL;
	int i, n;

	if (dot <= flat || gap < 2 || (parts = pixConnCompBB(binary, 8)) == NULL ||
	    (flat_across = pixCreateTemplate(binary)) == NULL ||
	    (flat_down = pixCreateTemplate(binary)) == NULL)
		goto out;
	n = boxaGetCount(parts);
	for (i = 0; i < n; i++) {
		l_int32 x, y, w, h;

		if (boxaGetBoxGeometry(parts, i, &x, &y, &w, &h) != 0 || w > dot || h > dot)
			continue;
		if (h <= flat) {
			pixRasterop(flat_across, x, y, w, h, PIX_SRC, binary, x, y);
			n_across++;
		}
		if (w <= flat) {
			pixRasterop(flat_down, x, y, w, h, PIX_SRC, binary, x, y);
			n_down++;
		}
	}
	across = n_across > 0 ? dotted_one_way(flat_across, dpi, 1) : NULL;
	down = n_down > 0 ? dotted_one_way(flat_down, dpi, 0) : NULL;
out:
	boxaDestroy(&parts);
	pixDestroy(&flat_across);
	pixDestroy(&flat_down);
	return either(across, down);
}

struct Pix *
ocr_rules_find(struct Pix *binary, unsigned dpi)
{
	PIX *rules, *rest = NULL, *mask = NULL;

	if (binary == NULL || pixGetDepth(binary) != 1 || dpi < RULE_THICK_DIV)
		return NULL;
	rules = solid_rules(binary, dpi);
	/* Without the solid rules: a dash that touches one (where a dotted row meets
	 * a table's side) is then a dash like the others. */
	if (rules == NULL || (rest = pixSubtract(NULL, binary, rules)) != NULL)
		rules = either(rules, dotted_rules(rest != NULL ? rest : binary, dpi));
	if (rules != NULL)
		mask = pixDilateBrick(NULL, rules, 3, 3);
	pixDestroy(&rest);
	pixDestroy(&rules);
	return mask;
}

void
ocr_rules_erase(struct Pix *mask, const struct ocr_pixmap *pm, uint8_t paper)
{
	l_uint32 *data;
	l_int32 wpl;

	if (mask == NULL || pixGetDepth(mask) != 1 || pixGetWidth(mask) != (l_int32)pm->width ||
	    pixGetHeight(mask) != (l_int32)pm->height)
		return;
	data = pixGetData(mask);
	wpl = pixGetWpl(mask);
	for (uint32_t y = 0; y < pm->height; y++) {
		const l_uint32 *row = data + (size_t)y * (size_t)wpl;
		uint8_t *line = pm->px + (size_t)y * pm->stride;

		for (uint32_t x = 0; x < pm->width; x++) {
			if (row[x / 32] == 0) {	/* 32 pixels of no rule */
				x |= 31;
				continue;
			}
			if (GET_DATA_BIT(row, x))
				memset(line + (size_t)x * pm->channels, paper, pm->channels);
		}
	}
}

void
ocr_rules_free(struct Pix *mask)
{
	pixDestroy(&mask);
}
