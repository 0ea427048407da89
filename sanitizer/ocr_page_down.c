/*
 * ocr_page_down.c — a page read down (ocr_page_reader.h): a page written vertically
 * or scanned on its side, and what was set aside to be read another way than the
 * page: a vertical page's rows across, a form's labels written down.
 *
 * Vertical writing (縦書き). A page set in columns, top to bottom and right to left,
 * is read by a third reader, jpn_vert, as one block of vertical lines, when its
 * geometry says so (ocr_vertical.h). Read as one block across, each line of the text
 * layer held one character of every column. Those lines run down ('D', OCR_DIR_DOWN);
 * the eng reader has no part in them. A vertical page's lines across (its title
 * over the columns, its issuer under them: ocr_vertical_across) are erased before
 * the columns are read and read across afterwards (page_read_across); a page across
 * has its short columns standing alone (a form's labels written down their cells:
 * ocr_vertical_islands) erased the same way and read down, each on its own
 * (page_read_islands).
 */
#include "ocr_page_reader.h"

#include <string.h>

const struct page_down_way page_down_ways[4] = {
	{ 1, 0, OCR_DIR_DOWN, 0 },
	{ 0, 0, OCR_DIR_DOWN, 3 },
	{ 0, 1, OCR_DIR_UP, 1 },
	{ 1, 1, OCR_DIR_UP, 2 },
};

/*
 * Read the page as pr holds it (turned or not) as one block of lines running down
 * (PSM_SINGLE_BLOCK_VERT_TEXT: Tesseract turns the block and reads its columns right
 * to left, each top to bottom), by jpn_vert or by the primary as way says, alone:
 * the other reader reads lines across only. The page does not choose the reader of
 * the next (jpn_vert is neither of the pair; a page on its side is not the rule).
 */
static void
read_down(struct page_reader *pr, struct ocr_out *o, const struct page_down_way *way)
{
	TessBaseAPI *primary = pr->primary, *other = pr->other;
	TessBaseAPI *api = way->vertical ? pr->vert : pr->primary;
	int primary_is_eng = pr->primary_is_eng;
	uint32_t chars_jpn = pr->chars_jpn, chars_eng = pr->chars_eng;

	pr->primary = api;
	pr->other = NULL;
	pr->primary_is_eng = 0;
	pr->line_dir = way->dir;
	TessBaseAPISetPageSegMode(api, PSM_SINGLE_BLOCK_VERT_TEXT);
	page_give(api, pr);
	if (TessBaseAPIRecognize(api, NULL) == 0)
		page_put(pr, o);
	TessBaseAPIClear(api);
	pr->primary = primary;
	pr->other = other;
	pr->primary_is_eng = primary_is_eng;
	pr->line_dir = OCR_DIR_ACROSS;
	pr->chars_jpn = chars_jpn;
	pr->chars_eng = chars_eng;
}

/* The box around the page's first PROBE_LINES columns, as jpn_vert lays it out;
 * 0 if it finds none. */
static int
first_columns(struct page_reader *pr, int region[4])
{
	TessPageIterator *pit;
	int box[4], n = 0;

	TessBaseAPISetPageSegMode(pr->vert, PSM_SINGLE_BLOCK_VERT_TEXT);
	page_give(pr->vert, pr);
	if ((pit = TessBaseAPIAnalyseLayout(pr->vert)) != NULL) {
		do {
			if (!TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &box[0], &box[1],
							 &box[2], &box[3]))
				continue;
			for (int i = 0; i < 4; i++)
				if (n == 0 || (i < 2 ? box[i] < region[i] : box[i] > region[i]))
					region[i] = box[i];
			n++;
		} while (n < PROBE_LINES && TessPageIteratorNext(pit, RIL_TEXTLINE));
		TessPageIteratorDelete(pit);
	}
	TessBaseAPIClear(pr->vert);
	return n > 0;
}

/* How surely api reads box of the page as pr holds it, as lines running down: the
 * mean confidence of its characters, -1 for none. */
static double
probe_down(struct page_reader *pr, TessBaseAPI *api, const int box[4])
{
	TessResultIterator *it;

	ocr_reading_reset(&pr->theirs);
	TessBaseAPISetPageSegMode(api, PSM_SINGLE_BLOCK_VERT_TEXT);
	page_give(api, pr);
	TessBaseAPISetRectangle(api, box[0], box[1], box[2] - box[0], box[3] - box[1]);
	if (TessBaseAPIRecognize(api, NULL) == 0 && (it = TessBaseAPIGetIterator(api)) != NULL) {
		do
			ocr_reading_add_word(&pr->theirs, it, pr->h);
		while (TessResultIteratorNext(it, RIL_WORD));
		TessResultIteratorDelete(it);
	}
	TessBaseAPIClear(api);
	return ocr_reading_conf(&pr->theirs);
}

/*
 * Read a page whose lines run down it (ocr_vertical_page), px as it is. Mostly it
 * is written vertically and jpn_vert reads it. But a page written across and
 * scanned on its side looks the same to ocr_vertical_page, and jpn_vert reads it,
 * or a vertical page upside down, as noise: under UPRIGHT_CONF. Then the other ways
 * (page_down_ways) read the box of the first columns, and the best, when it reads
 * TURN_GAIN better and at least UPRIGHT_CONF, reads the page again. Returns the way
 * it was read.
 */
const struct page_down_way *
page_read_vertical(struct page_reader *pr, struct ocr_out *o, uint8_t *px, size_t stride)
{
	const struct page_down_way *best = &page_down_ways[0];
	size_t page_start = o->len;
	double page, best_conf = -1;
	int region[4], turned = 0;

	read_down(pr, o, best);
	if (pr->chars < TURN_MIN_CHARS || (page = pr->conf / pr->chars) >= UPRIGHT_CONF ||
	    !first_columns(pr, region))
		return best;
	for (size_t i = 1; i < sizeof(page_down_ways) / sizeof(*page_down_ways); i++) {
		const struct page_down_way *way = &page_down_ways[i];
		int box[4] = { region[0], region[1], region[2], region[3] };
		double conf;

		if (way->half) {	/* the same columns, on the page turned */
			if (!turned && page_turn(pr, px, stride) != 0)
				continue;
			turned = 1;
			box[0] = (int)pr->h->width - region[2];
			box[1] = (int)pr->h->height - region[3];
			box[2] = (int)pr->h->width - region[0];
			box[3] = (int)pr->h->height - region[1];
		}
		page_read_turned(pr, px, stride, way->half);
		conf = probe_down(pr, way->vertical ? pr->vert : pr->primary, box);
		if (conf > best_conf) {
			best_conf = conf;
			best = way;
		}
	}
	page_read_turned(pr, px, stride, 0);
	if (best_conf < UPRIGHT_CONF || best_conf < page + TURN_GAIN)
		return &page_down_ways[0];
	page_restart(pr, o, page_start);
	page_read_turned(pr, px, stride, best->half);
	read_down(pr, o, best);
	page_read_turned(pr, px, stride, 0);
	return best;
}

/*
 * Read a vertical page's rows across, its columns read: px again as page_prepare set
 * it aside, all but those rows painted paper, read across by the pair of readers as
 * any page is. Like the columns, they do not choose the next page's reader.
 */
void
page_read_across(struct page_reader *pr, struct ocr_out *o, uint8_t *px)
{
	uint32_t chars_jpn = pr->chars_jpn, chars_eng = pr->chars_eng, y = 0;

	memcpy(px, pr->aside, pr->stride * pr->h->height);
	for (unsigned i = 0; i < pr->nacross; i++) {
		page_paint_rows(pr, px, y, pr->across[i].y0);
		y = pr->across[i].y1;
	}
	page_paint_rows(pr, px, y, pr->h->height);
	pr->other_has_page = 0;
	page_to_primary(pr);
	if (pr->other != NULL && !pr->probed)
		page_choose_primary(pr);
	if (TessBaseAPIRecognize(pr->primary, NULL) == 0)
		page_put(pr, o);
	pr->chars_jpn = chars_jpn;
	pr->chars_eng = chars_eng;
}

/*
 * Read a page's short columns standing alone (a form's labels written down their
 * cells: ocr_vertical_islands), the page across read: each on its own (read
 * together, jpn_vert took two labels one over the other for one line, and misread
 * it), px all paper but its box, copied back from the page page_prepare set aside,
 * read down by jpn_vert as a vertical page is (read_down), or on a page found upside
 * down, turned and read up (page_down_ways). A line read under SHADE_MIN_CONF is
 * dropped, as a shade's is: what passed for a column of characters and is not reads
 * as noise. In bands, the band a column begins in reads it.
 */
void
page_read_islands(struct page_reader *pr, struct ocr_out *o, uint8_t *px, size_t stride,
		  int banded, int upside_down)
{
	const struct page_down_way *way = &page_down_ways[upside_down ? 3 : 0];

	pr->min_line_conf = SHADE_MIN_CONF;
	for (unsigned i = 0; i < pr->nisland; i++) {
		const struct ocr_box *b = &pr->island[i];

		if (banded && (b->y0 < pr->band_lo || b->y0 >= pr->band_hi))
			continue;
		memset(px, pr->paper, stride * pr->h->height);
		page_paint_box(pr, px, b, pr->aside);
		if (way->half && page_turn(pr, px, stride) != 0)
			break;
		page_read_turned(pr, px, stride, way->half);
		read_down(pr, o, way);
		page_read_turned(pr, px, stride, 0);
	}
	pr->min_line_conf = -1;
}
