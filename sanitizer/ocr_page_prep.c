/*
 * ocr_page_prep.c — a page made ready to be read (ocr_page_reader.h): the readers'
 * threshold set, the page given to them, its shades and ruled lines found and
 * erased, what is to be read another way set aside, and in bands, its band kept.
 *
 * Shades (網掛け: text on a box of grey, white on a dark bar) are found in the page
 * before it is read, erased from it, and read afterwards on a white page of their
 * own, redrawn dark on white (ocr_shade.h). Ruled lines (罫線) are erased before the
 * page is read (ocr_rules.h): read as one block, a ruled table was lost whole.
 */
#include "ocr_page_reader.h"

#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "ocr_rules.h"

/*
 * Set every reader to make pages black and white as threshold (OCR_THRESHOLD_*)
 * says: Tesseract's default, Otsu's one threshold for the page, or Sauvola's local
 * one (its window a third of an inch, Tesseract's default). A variable of each
 * Tesseract, read when it next thresholds a page given to it, so it holds for every
 * reading until changed.
 */
void
page_set_threshold(struct page_reader *pr, uint8_t threshold)
{
	TessBaseAPI *api[3] = { pr->primary, pr->other, pr->vert };
	const char *method = threshold == OCR_THRESHOLD_LOCAL ? "2" : "0";

	if (threshold == pr->threshold)
		return;
	for (unsigned i = 0; i < 3; i++)
		if (api[i] != NULL)
			TessBaseAPISetVariable(api[i], "thresholding_method", method);
	pr->threshold = threshold;
}

/* Give api the whole page (a rectangle set before is gone). */
void
page_give(TessBaseAPI *api, const struct page_reader *pr)
{
	TessBaseAPISetImage(api, pr->px, (int)pr->h->width, (int)pr->h->height,
			    pr->h->channels, (int)pr->stride);
	TessBaseAPISetSourceResolution(api, (int)pr->dpi);
}

/*
 * The primary is to read the page as one block of horizontal lines, not by
 * Tesseract's page layout analysis (PSM_AUTO). Japanese set solid (lines as close
 * as their characters: tables, lists, squeezed forms) is a grid of equal squares;
 * the layout analysis took such pages for vertical writing (縦書き) or for no text
 * at all, and the text layer was gibberish. As one block they read right, and every
 * other page we measured read as well as before or better (docs/sanitizer-ocr.md,
 * "Page layout"): the text layer is for finding words, and a word is found wherever
 * its line is.
 */
void
page_to_primary(struct page_reader *pr)
{
	TessBaseAPISetPageSegMode(pr->primary, PSM_SINGLE_BLOCK);
	page_give(pr->primary, pr);
}

/* The shades' page, pr->shade_px: grey, the page's size. */
static struct ocr_pixmap
shades_page(const struct page_reader *pr)
{
	return (struct ocr_pixmap){ .px = pr->shade_px, .width = pr->h->width,
				    .height = pr->h->height, .stride = pr->h->width,
				    .channels = 1 };
}

/* Paint px's rows y0 to y1, pr's page, its paper's grey. */
void
page_paint_rows(const struct page_reader *pr, uint8_t *px, uint32_t y0, uint32_t y1)
{
	if (y1 > y0)
		memset(px + (size_t)y0 * pr->stride, pr->paper, (size_t)(y1 - y0) * pr->stride);
}

/* Paint box b of px, pr's page, its paper's grey; or, with from, copy it there
 * from from, a page of the same size. */
void
page_paint_box(const struct page_reader *pr, uint8_t *px, const struct ocr_box *b,
	       const uint8_t *from)
{
	size_t pixel = pr->h->channels, off = (size_t)b->x0 * pixel;
	size_t len = (size_t)(b->x1 - b->x0) * pixel;

	for (uint32_t y = b->y0; y < b->y1; y++)
		if (from != NULL)
			memcpy(px + (size_t)y * pr->stride + off, from + (size_t)y * pr->stride + off,
			       len);
		else
			memset(px + (size_t)y * pr->stride + off, pr->paper, len);
}

/*
 * What is read another way than the page is erased from px, the page's pixels, so
 * that the page is read without it: a vertical page's rows across (a heading over
 * its columns, a line under them: ocr_vertical_across), a page's short columns
 * standing alone (a form's label written down its cell: ocr_vertical_islands). The
 * page is first set aside, for page_read_across and page_read_islands. Whether anything was
 * erased: not when there is nothing to, nor when there is no memory to set the page
 * aside (all of it is then read one way, as it was before).
 */
static int
erase_other_ways(struct page_reader *pr, uint8_t *px)
{
	size_t size = pr->stride * pr->h->height;

	if (pr->nacross == 0 && pr->nisland == 0)
		return 0;
	if (size > pr->aside_cap) {
		free(pr->aside);
		pr->aside_cap = 0;
		if ((pr->aside = malloc(size)) == NULL) {
			pr->nacross = pr->nisland = 0;
			return 0;
		}
		pr->aside_cap = size;
	}
	memcpy(pr->aside, px, size);
	for (unsigned i = 0; i < pr->nacross; i++)
		page_paint_rows(pr, px, pr->across[i].y0, pr->across[i].y1);
	for (unsigned i = 0; i < pr->nisland; i++)
		page_paint_box(pr, px, &pr->island[i], NULL);
	return 1;
}

/*
 * Make the page given to api ready to be read, from its black and white: find its
 * shades (ocr_shade.h) and draw them dark on white into pr->shade_px, find its ruled
 * lines (ocr_rules.h), and erase both from px, the page's pixels (a shade's solid
 * block spoils the lines beside it; a rule is taken for text); the rules are erased
 * from the shades' page too. Tell whether the page is written vertically
 * (pr->vertical, when there is a reader for it), and erase what is to be read
 * another way (erase_other_ways). Whether anything was erased: the page must then
 * be given again for it to count.
 */
int
page_prepare(struct page_reader *pr, TessBaseAPI *api, uint8_t *px)
{
	struct ocr_pixmap page = { .px = px, .width = pr->h->width, .height = pr->h->height,
				   .stride = pr->stride, .channels = pr->h->channels };
	size_t size = (size_t)pr->h->width * pr->h->height;
	struct Pix *binary = TessBaseAPIGetThresholdedImage(api), *rules;
	unsigned i;

	pr->nshade = ocr_shade_find(binary, &page, pr->dpi, pr->shade, OCR_MAX_SHADES);
	rules = ocr_rules_find(binary, pr->dpi);
	pr->vertical = pr->vert != NULL && ocr_vertical_page(binary, pr->dpi);
	pr->nacross = pr->vertical ? ocr_vertical_across(binary, pr->dpi, pr->across) : 0;
	pr->nisland = !pr->vertical && pr->vert != NULL ?
	    ocr_vertical_islands(binary, rules, pr->dpi, pr->island) : 0;
	pixDestroy(&binary);
	if (pr->nshade > 0 && size > pr->shade_cap) {
		free(pr->shade_px);
		pr->shade_cap = 0;
		if ((pr->shade_px = malloc(size)) == NULL)
			pr->nshade = 0;	/* read as Tesseract sees them: not at all */
		else
			pr->shade_cap = size;
	}
	if (pr->nshade > 0) {
		struct ocr_pixmap shades = shades_page(pr);

		memset(shades.px, 0xff, size);
		for (i = 0; i < pr->nshade; i++)
			ocr_shade_draw(&pr->shade[i], &page, shades.px, shades.stride);
		ocr_rules_erase(rules, &shades, 0xff);	/* drawn on white */
	}
	ocr_rules_erase(rules, &page, pr->paper);
	for (i = 0; i < pr->nshade; i++)
		ocr_shade_erase(&pr->shade[i], &page, pr->paper);
	ocr_rules_free(rules);
	return erase_other_ways(pr, px) || pr->nshade > 0 || rules != NULL;
}

/* Where shade s begins along the bands: its top row, or on a page written
 * vertically, whose bands are strips of columns from the right, its right edge. */
static uint32_t
band_start(const struct page_reader *pr, const struct ocr_shade *s)
{
	return pr->vertical ? pr->h->width - (s->x + s->w) : s->y;
}

/* Keep the shades that begin between lo and hi along the bands: every shade is read
 * whole, by the one band it begins in. */
static void
keep_band_shades(struct page_reader *pr, uint32_t lo, uint32_t hi)
{
	struct ocr_pixmap grey = shades_page(pr);
	unsigned i, kept = 0;

	for (i = 0; i < pr->nshade; i++)
		if (band_start(pr, &pr->shade[i]) >= lo && band_start(pr, &pr->shade[i]) < hi)
			pr->shade[kept++] = pr->shade[i];
		else
			ocr_shade_erase(&pr->shade[i], &grey, 0xff);
	pr->nshade = kept;
}

/* Paint px, the page's pixels, its paper's grey but for its band (page_keep_band_only):
 * rows, or on a page written vertically, columns from the right. */
void
page_paint_other_bands(const struct page_reader *pr, uint8_t *px)
{
	uint32_t lo = pr->band_lo, hi = pr->band_hi, w = pr->h->width;
	size_t pixel = pr->h->channels;

	if (!pr->vertical) {
		page_paint_rows(pr, px, 0, lo);
		page_paint_rows(pr, px, hi, pr->h->height);
		return;
	}
	for (uint32_t y = 0; y < pr->h->height; y++) {	/* columns w - hi to w - lo stay */
		uint8_t *row = px + (size_t)y * pr->stride;

		memset(row, pr->paper, (w - hi) * pixel);
		memset(row + (w - lo) * pixel, pr->paper, lo * pixel);
	}
}

/*
 * Keep only band band of bands of the page (ocr.h, "Bands") by painting every other
 * row of px, the page's pixels, its paper's grey (ocr_light.h); 0 if the band is
 * empty. Every child reading this page must cut it at the same rows, so the cuts
 * come from the layout of the whole page by the same reader in every child (the
 * first loaded, whichever leads now: a language's settings can change the layout),
 * and ocr_band_cuts is deterministic. That layout costs about a tenth of the page's
 * time. It is made without the page's shades and rules, which every child finds and
 * erases alike first; each band keeps the shades that begin in it.
 *
 * The readers are then given the whole page, so that every box stays a page box.
 * Not a rectangle of it: TessBaseAPISetRectangle on a band of the dense Japanese
 * page made Tesseract 5.3 read the band's lower quarter as "ーー". A band is laid out
 * without the lines of the others, which moves Tesseract's estimates of line
 * spacing and height a little: measured, a few characters in ten thousand read
 * differently (docs/sanitizer-ocr.md, "A page in bands").
 *
 * A page written vertically is cut into strips of whole columns instead, from the
 * right (band 0 holds the first columns read), by the vertical reader's layout: its
 * columns are given to ocr_band_cuts turned, the distance from the page's right
 * edge for the distance from its top.
 */
int
page_keep_band_only(struct page_reader *pr, uint8_t *px, unsigned band, unsigned bands)
{
	struct ocr_line lines[OCR_MAX_LINES_PER_PAGE];
	uint32_t cuts[OCR_MAX_BANDS + 1], n = 0, lo, hi, w = pr->h->width;
	TessBaseAPI *layout = pr->layout;
	TessPageIterator *pit;
	uint8_t rec[8];
	int box[4];

	TessBaseAPISetPageSegMode(layout, PSM_SINGLE_BLOCK);
	page_give(layout, pr);
	if (page_prepare(pr, layout, px))
		page_give(layout, pr);	/* the page without its shades and rules */
	if (pr->vertical) {
		TessBaseAPIClear(layout);
		layout = pr->vert;
		TessBaseAPISetPageSegMode(layout, PSM_SINGLE_BLOCK_VERT_TEXT);
		page_give(layout, pr);
	}
	if ((pit = TessBaseAPIAnalyseLayout(layout)) != NULL) {
		do {
			struct ocr_line *ln = &lines[n];

			if (n == OCR_MAX_LINES_PER_PAGE ||
			    !TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &box[0], &box[1],
							 &box[2], &box[3]) ||
			    !ocr_out_box(box[0], box[1], box[2], box[3], w, pr->h->height, rec))
				continue;
			*ln = (struct ocr_line){ ocr_out_be16(rec), ocr_out_be16(rec + 2),
						 ocr_out_be16(rec + 4), ocr_out_be16(rec + 6),
						 0 };
			if (pr->vertical)
				*ln = (struct ocr_line){ ln->y0, (uint16_t)(w - ln->x1), ln->y1,
							 (uint16_t)(w - ln->x0), 1 };
			n++;
		} while (TessPageIteratorNext(pit, RIL_TEXTLINE));
		TessPageIteratorDelete(pit);
	}
	TessBaseAPIClear(layout);
	ocr_band_cuts(lines, n, pr->vertical ? w : pr->h->height, bands, cuts);
	lo = band < bands ? cuts[band] : 0;
	hi = band < bands ? cuts[band + 1] : 0;
	keep_band_shades(pr, lo, hi);
	if (hi <= lo)
		return 0;
	pr->band_lo = lo;
	pr->band_hi = hi;
	page_paint_other_bands(pr, px);
	return 1;
}
