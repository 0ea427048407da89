/*
 * ocr_seal.c — red seals: compact marks of red ink over print, their red lifted.
 *
 * A pixel is red when its red channel is RED_OVER above both others: vermilion
 * seal ink (朱肉) over paper, faint or full, and over a letter's smoothed edge. Print
 * under the ink is dark in every channel and is not red; neutral print stays well
 * under TINT_OVER, a JPEG's chroma included. Red strokes under dpi/JOIN_DIV apart
 * are joined into marks (a seal's characters touch its frame or nearly), and a mark
 * is a seal when it is from SEAL_MIN_MM to SEAL_MAX_MM across both ways and no
 * longer than SQUARE_PCT of its width (rings and squares; a line of red text,
 * joined, is several times longer than high), and has print under it to uncover
 * (MIN_PRINT_PCT of its box: a red note in a frame, white letters on a red badge
 * have none, and are read as they are).
 *
 * Red pixels then take their red channel as their grey: through red ink the red
 * channel sees the paper and the print as if the ink were not there, only a little
 * darker. That little is measured on the seal (the median red of its ink against
 * the median grey of the paper around it) and taken back, so that the ink is the
 * paper's grey to Tesseract's recogniser too, which reads greys, not black and
 * white; so are the ink's faint edges, reddish by TINT_OVER only. They are lifted
 * in the mark's box and a 1/GROW_DIV of its size around: print across a ring cuts
 * it, and a piece of it may lie outside the mark. Looking costs about 2 ms for an
 * A4 page at 150 dpi without red, 5-8 ms with seals.
 */
#include "ocr_seal.h"

#include <string.h>

#include <leptonica/allheaders.h>

#include "tone.h"

#define RED_OVER	32	/* red above green and above blue by this: red ink */
#define TINT_OVER	16	/* within a seal, by this: its ink's faint edge */
#define JOIN_DIV	15	/* strokes under dpi / this apart make one mark */
#define SEAL_MIN_MM	7	/* a seal is at least this across both ways, */
#define SEAL_MAX_MM	45	/* at most this, */
#define SQUARE_PCT	160	/* and its long side at most this % of its short */
#define GROW_DIV	4	/* lifted: its box and this part of its size around */
#define PRINT_MAX	96	/* a pixel not red and no lighter than this is print */
#define MIN_PRINT_PCT	1	/* of a seal's box print, at least: something under it */

static int
is_red(const uint8_t *p, unsigned over)
{
	return p[0] >= p[1] + over && p[0] >= p[2] + over;
}

static const uint8_t *
pixel(const struct ocr_pixmap *pg, uint32_t x, uint32_t y)
{
	return pg->px + (size_t)y * pg->stride + (size_t)x * 3;
}

/* A rectangle of the page: [x0, x1) x [y0, y1). */
struct box {
	uint32_t x0, y0, x1, y1;
};

/* Widen [*lo, *hi) by by each way, within [0, end). */
static void
widen(uint32_t *lo, uint32_t *hi, uint32_t by, uint32_t end)
{
	*lo = *lo > by ? *lo - by : 0;
	*hi = *hi + by < end ? *hi + by : end;
}

/* Lift the seal whose red mark has the box mark: give each red pixel around it
 * (its faint edges too) its red channel for grey, scaled so that the seal's ink
 * over paper is the paper's grey; unless there is no print under the mark to
 * uncover (a red mark on its own may be red print: a note in a frame, white
 * letters on a red badge). Whether lifted. */
static int
lift(const struct ocr_pixmap *pg, const struct box *mark, const struct box *around)
{
	uint64_t paper[256] = { 0 }, red[256] = { 0 };
	uint32_t x, y;
	uint64_t npaper = 0, nred = 0, print = 0;
	uint64_t area = (uint64_t)(mark->x1 - mark->x0) * (mark->y1 - mark->y0);
	unsigned ground, ink;

	for (y = mark->y0; y < mark->y1; y++)
		for (x = mark->x0; x < mark->x1; x++) {
			const uint8_t *p = pixel(pg, x, y);
			uint8_t grey = ocr_pixmap_grey(pg, x, y);

			if (is_red(p, RED_OVER)) {
				red[p[0]]++;
				nred++;
			} else if (grey <= PRINT_MAX) {
				print++;
			} else if (!is_red(p, TINT_OVER)) {
				paper[grey]++;
				npaper++;
			}
		}
	if (print * 100 < area * MIN_PRINT_PCT || npaper == 0 || nred == 0)
		return 0;
	ground = tone_median(paper, npaper);
	ink = tone_median(red, nred);
	for (y = around->y0; y < around->y1; y++)
		for (x = around->x0; x < around->x1; x++) {
			uint8_t *p = pg->px + (size_t)y * pg->stride + (size_t)x * 3;
			unsigned grey;

			if (!is_red(p, TINT_OVER))
				continue;
			grey = ink > 0 ? p[0] * ground / ink : ground;
			memset(p, grey < ground ? grey : ground, 3);
		}
	return 1;
}

/* The page's red pixels as a 1 bpp mask, and how many; NULL out of memory. */
static PIX *
red_mask(const struct ocr_pixmap *pg, uint64_t *count)
{
	PIX *mask = pixCreate((l_int32)pg->width, (l_int32)pg->height, 1);
	l_uint32 *data;
	l_int32 wpl;

	*count = 0;
	if (mask == NULL)
		return NULL;
	data = pixGetData(mask);
	wpl = pixGetWpl(mask);
	for (uint32_t y = 0; y < pg->height; y++)
		for (uint32_t x = 0; x < pg->width; x++)
			if (is_red(pixel(pg, x, y), RED_OVER)) {
				SET_DATA_BIT(data + (size_t)y * wpl, x);
				(*count)++;
			}
	return mask;
}

unsigned
ocr_seal_lift(const struct ocr_pixmap *pg, unsigned dpi)
{
	l_int32 min = (l_int32)(dpi * SEAL_MIN_MM * 10 / 254), max = (l_int32)(dpi * SEAL_MAX_MM * 10 / 254);
	l_int32 join = dpi / JOIN_DIV > 2 ? (l_int32)(dpi / JOIN_DIV) : 2;
	PIX *mask, *marks = NULL;
	BOXA *boxes = NULL;
	uint64_t reds;
	unsigned seals = 0, looked = 0;

	if (pg->channels != 3 || pg->width < (uint32_t)min || pg->height < (uint32_t)min)
		return 0;
	/* A seal's thinnest ring has more red than this; most pages have none. */
	if ((mask = red_mask(pg, &reds)) == NULL || reds * 8 < (uint64_t)min * min)
		goto out;
	if ((marks = pixCloseSafeBrick(NULL, mask, join, join)) == NULL ||
	    (boxes = pixConnCompBB(marks, 8)) == NULL)
		goto out;
	for (l_int32 i = 0; i < boxaGetCount(boxes) && looked < OCR_SEAL_MAX; i++) {
		l_int32 x, y, w, h;
		struct box mark, around;

		if (boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h) != 0 ||
		    w < min || h < min || w > max || h > max ||
		    (w > h ? w * 100 > h * SQUARE_PCT : h * 100 > w * SQUARE_PCT))
			continue;
		looked++;
		mark = (struct box){ (uint32_t)x, (uint32_t)y, (uint32_t)(x + w), (uint32_t)(y + h) };
		/* Print across a ring cuts it, and a piece may lie outside the box. */
		around = mark;
		widen(&around.x0, &around.x1, (uint32_t)w / GROW_DIV, pg->width);
		widen(&around.y0, &around.y1, (uint32_t)h / GROW_DIV, pg->height);
		seals += lift(pg, &mark, &around);
	}
out:
	boxaDestroy(&boxes);
	pixDestroy(&marks);
	pixDestroy(&mask);
	return seals;
}
