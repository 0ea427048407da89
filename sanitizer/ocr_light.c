/*
 * ocr_light.c — the paper of a page and the light on it, from its tiles' greys.
 *
 * The page is cut into tiles half an inch square. A tile is paper when its
 * brightest twentieth is within PAPER_SPREAD grey levels of its median: print takes
 * less than half of it, and what is not print is one grey, its median. A tile of a
 * photo or of dense print is not paper; a shaded box or a coloured slide is paper
 * of its own grey.
 *
 * Light drifts: neighbouring tiles of paper differ by a few levels, and the drift
 * adds up across the page. A shaded box, a coloured band or a photo's sky is a step
 * at its edge. So the paper tiles are joined into fields, neighbour to neighbour,
 * where they differ by at most LIGHT_STEP. The largest field, if it covers at least
 * a quarter of the page, is the page's paper: its grey is its tiles' median, and
 * the page is unevenly lit when the field spans OCR_LIGHT_MIN_DRIFT levels or more.
 * Measured at 150 dpi (the largest field's span): rendered pages, forms, slides,
 * shaded forms and pages with photos 0; the benchmark's scans 11-14; the
 * benchmark's pages photographed, lit from 95 % down to 85 %, 24-25, down to 45 %,
 * 107. Otsu's one threshold read the Japanese page lit down to 80 % (a span of 35)
 * at half its characters, and a form lit down to 85 % (24) not at all.
 */
#include "ocr_light.h"

#include <stdlib.h>

#include "tone.h"

#define PAPER_SPREAD	20	/* brightest twentieth to median, at most, in paper */
#define LIGHT_STEP	12	/* neighbouring paper differs by at most this */
#define NOT_PAPER	(-1)

/* The grey of the paper of the tile at (x0, y0), side t, or NOT_PAPER. */
static int
tile_paper(const struct ocr_pixmap *pg, uint32_t x0, uint32_t y0, uint32_t t)
{
	uint32_t hist[256] = { 0 }, n = t * t, seen = 0;
	int v, bright = -1, median = -1;

	for (uint32_t y = y0; y < y0 + t; y++)
		for (uint32_t x = x0; x < x0 + t; x++)
			hist[ocr_pixmap_grey(pg, x, y)]++;
	for (v = 255; v >= 0 && median < 0; v--) {
		seen += hist[v];
		if (bright < 0 && seen * 20 >= n)
			bright = v;
		if (seen * 2 >= n)
			median = v;
	}
	return bright - median <= PAPER_SPREAD ? median : NOT_PAPER;
}

/* Give the paper tile at start, and every tile of paper reached from it through
 * neighbours LIGHT_STEP apart, the field id in field (0: none yet); its tiles into
 * *tiles, its span of greys returned. stack has room for every tile. */
static int
join_field(const int16_t *paper, uint32_t *field, uint32_t id, uint32_t *stack,
	   uint32_t tw, uint32_t th, uint32_t start, uint32_t *tiles)
{
	uint32_t sp = 0, n = 0;
	int lo = paper[start], hi = paper[start];

	field[start] = id;
	stack[sp++] = start;
	while (sp > 0) {
		uint32_t k = stack[--sp], kx = k % tw, ky = k / tw;
		uint32_t next[4];
		unsigned m = 0;

		n++;
		if (paper[k] < lo)
			lo = paper[k];
		if (paper[k] > hi)
			hi = paper[k];
		if (kx > 0)
			next[m++] = k - 1;
		if (kx + 1 < tw)
			next[m++] = k + 1;
		if (ky > 0)
			next[m++] = k - tw;
		if (ky + 1 < th)
			next[m++] = k + tw;
		for (unsigned i = 0; i < m; i++) {
			uint32_t j = next[i];

			if (field[j] != 0 || paper[j] == NOT_PAPER ||
			    abs(paper[j] - paper[k]) > LIGHT_STEP)
				continue;
			field[j] = id;	/* each tile is pushed once: the stack holds them all */
			stack[sp++] = j;
		}
	}
	*tiles = n;
	return hi - lo;
}

/* The median grey of the tiles of field id. */
static uint8_t
field_grey(const int16_t *paper, const uint32_t *field, uint32_t ntiles, uint32_t id,
	   uint32_t tiles)
{
	uint64_t hist[256] = { 0 };
	uint32_t i;

	for (i = 0; i < ntiles; i++)
		if (field[i] == id)
			hist[paper[i]]++;
	return (uint8_t)tone_median(hist, tiles);
}

void
ocr_light_measure(const struct ocr_pixmap *pg, unsigned dpi, struct ocr_light *out)
{
	uint32_t t = ocr_tile_side(dpi);
	uint32_t tw = pg->width / t, th = pg->height / t, ntiles = tw * th;
	uint32_t best = 0, best_tiles = 0, tiles, id = 0, i;
	int16_t *paper;
	uint32_t *field, *stack;
	int best_span = 0, span;

	*out = (struct ocr_light){ .paper = 255, .uneven = 0 };
	if (tw < 2 || th < 2)
		return;		/* a strip or a stamp: nothing to compare */
	paper = malloc(ntiles * sizeof *paper);
	field = calloc(ntiles, sizeof *field);
	stack = malloc(ntiles * sizeof *stack);
	if (paper == NULL || field == NULL || stack == NULL)
		goto out;	/* the page is read as it always was */
	for (i = 0; i < ntiles; i++)
		paper[i] = (int16_t)tile_paper(pg, i % tw * t, i / tw * t, t);
	for (i = 0; i < ntiles; i++) {
		if (field[i] != 0 || paper[i] == NOT_PAPER)
			continue;
		span = join_field(paper, field, ++id, stack, tw, th, i, &tiles);
		if (tiles > best_tiles) {
			best = id;
			best_tiles = tiles;
			best_span = span;
		}
	}
	if (best_tiles * 4 >= ntiles) {
		out->paper = field_grey(paper, field, ntiles, best, best_tiles);
		out->uneven = best_span >= OCR_LIGHT_MIN_DRIFT;
	}
out:
	free(paper);
	free(field);
	free(stack);
}
