/*
 * ocr_page_across.c — a page read across (ocr_page_reader.h): by the pair of
 * readers, line by line the better reading kept; a page upside down read turned;
 * its shades read on a page of their own.
 *
 * Two languages, two readers. Given "jpn+eng", Tesseract's own combination reads a
 * line again in the second language whenever any word of it falls below the first
 * language's acceptance threshold. A Japanese line is read as dozens of short
 * "words", so nearly every line of a Japanese page was read twice, and a dense page
 * cost twice its jpn time; that threshold belongs to the LSTM's own dictionary,
 * which no API variable reaches. So for a jpn/eng pair the child loads each
 * language as a reader of its own, reads the page with one of them (the primary)
 * and reads again, with the other, only the lines the first does not suit: a line
 * jpn read as mostly Latin letters, or a line eng read with low confidence (eng
 * reading Japanese scores 0-35, jpn reading English 80-92, so confidence alone
 * cannot tell that case). The better-scored reading of the line is kept. The next
 * page's primary is the language most of this page's text came from, so an English
 * document pays the second reading on its first page only. Any other list of
 * languages is read by Tesseract's combination, as before.
 *
 * Turned pages. A sheet scanned upside down, or on its side, reads as noise. A page
 * that reads under UPRIGHT_CONF is tried the other ways round on a few of its lines
 * (page_upside_down, page_read_vertical); when one reads clearly better, the page is read
 * again that way, its boxes turned back to the page's, its lines saying which way
 * they run, and the page how it is shown upright ('O': the PDF's /Rotate).
 */
#include "ocr_page_reader.h"

#include <stdlib.h>
#include <string.h>

#define REREAD_BELOW_CONF	60	/* eng's line confidence that calls for jpn */
#define REREAD_WORD_CONF	40	/* or eng's confidence in one of its words */
#define PROBE_SPAN		4	/* of each, at most 1/PROBE_SPAN of the page width */

/* Whether the primary's reading of a line calls for the other reader. */
static int
wants_other(const struct ocr_reading *lr, int primary_is_eng)
{
	if (lr->chars == 0)
		return 0;
	/* A line of Japanese, a Japanese word in English, or a line of a letter or two
	 * among digits: eng's reading of a row of kanji and digits (suits()). */
	if (primary_is_eng)
		return ocr_reading_conf(lr) < REREAD_BELOW_CONF ||
		    lr->min_conf < REREAD_WORD_CONF || 2 * lr->latin < lr->chars;
	return lr->latin > lr->cjk && lr->latin >= 3;
}

/* Give the page to the other reader, for lines it reads on its own. */
static void
other_takes_page(struct page_reader *pr)
{
	if (pr->other_has_page)
		return;
	page_give(pr->other, pr);
	pr->other_has_page = 1;
}

/* The other reader leads from now on. */
void
page_swap_readers(struct page_reader *pr)
{
	TessBaseAPI *t = pr->primary;

	pr->primary = pr->other;
	pr->other = t;
	pr->primary_is_eng = !pr->primary_is_eng;
}

/* The box b (x0 y0 x1 y1, big-endian, as ocr_out_box writes it) of the page being
 * read, on the page: the same, or turned back a half turn. */
static const uint8_t *
turn_back(const struct page_reader *pr, uint8_t b[8])
{
	uint16_t w = (uint16_t)pr->h->width, h = (uint16_t)pr->h->height;
	uint16_t x0 = ocr_out_be16(b), y0 = ocr_out_be16(b + 2);
	uint16_t x1 = ocr_out_be16(b + 4), y1 = ocr_out_be16(b + 6);
	uint16_t v[4] = { (uint16_t)(w - x1), (uint16_t)(h - y1), (uint16_t)(w - x0),
			  (uint16_t)(h - y0) };

	if (!pr->half_turned)
		return b;
	for (int i = 0; i < 4; i++) {
		b[2 * i] = (uint8_t)(v[i] >> 8);
		b[2 * i + 1] = (uint8_t)v[i];
	}
	return b;
}

/* Put one line: its box and the better reading's words. */
static void
put_line(struct page_reader *pr, struct ocr_out *o, const int box[4])
{
	const struct ocr_reading *lr = &pr->mine;
	int eng_won = pr->primary_is_eng;
	uint8_t rec[10];

	if (pr->other != NULL && wants_other(&pr->mine, pr->primary_is_eng)) {
		const struct ocr_reading *e = pr->primary_is_eng ? &pr->mine : &pr->theirs;
		const struct ocr_reading *j = pr->primary_is_eng ? &pr->theirs : &pr->mine;

		other_takes_page(pr);
		ocr_reading_line(pr->other, pr->h, box[0], box[1], box[2], box[3], &pr->theirs);
		pr->reread++;
		if (!pr->theirs.failed &&
		    ocr_reading_conf(&pr->theirs) > ocr_reading_conf(&pr->mine)) {
			lr = &pr->theirs;
			eng_won = !eng_won;
		}
		/* eng's reading kept: with jpn's kana and kanji, if it read any. */
		if (!pr->theirs.failed && eng_won && j->cjk > 0) {
			ocr_reading_merge_cjk(e, j, &pr->merged);
			if (!pr->merged.failed)
				lr = &pr->merged;
		}
	}
	if (lr->failed || pr->nwords + lr->nwords > OCR_MAX_WORDS_PER_PAGE ||
	    (pr->min_line_conf >= 0 && ocr_reading_conf(lr) < pr->min_line_conf))
		return;
	if (eng_won)
		pr->chars_eng += lr->chars;
	else
		pr->chars_jpn += lr->chars;
	pr->conf += lr->conf;
	pr->chars += lr->chars;
	if (pr->line_dir == OCR_DIR_ACROSS) {
		ocr_out_put(o, "L", 1);
	} else {
		rec[0] = 'D';
		rec[1] = pr->line_dir;
		ocr_out_put(o, rec, 2);
	}
	ocr_out_box(box[0], box[1], box[2], box[3], pr->h->width, pr->h->height, rec);
	ocr_out_put(o, turn_back(pr, rec), 8);
	for (uint32_t i = 0; i < lr->nwords; i++) {
		memcpy(rec, lr->w[i].rec, 10);
		turn_back(pr, rec + 1);
		ocr_out_put(o, rec, 10);
		ocr_out_put(o, lr->text.p + lr->w[i].off, lr->w[i].rec[9]);
	}
	pr->nlines++;
	pr->nwords += lr->nwords;
}

/* Whether a reading by the reader of that language suits it: eng read Latin letters
 * with confidence (eng reading Japanese scores 0-35), jpn read kana and kanji. The
 * letters must be at least half of what eng read: a spreadsheet's rows of a kanji
 * name and digits ("氏名 3  300") come out of eng as a letter or two among digits
 * ("R43 300"), with confidence 60-84. */
static int
suits(const struct ocr_reading *lr, int is_eng)
{
	if (is_eng)
		return lr->latin >= 3 && 2 * lr->latin >= lr->chars &&
		    ocr_reading_conf(lr) >= REREAD_BELOW_CONF;
	return lr->cjk >= 3 && lr->cjk >= lr->latin;
}

/*
 * A probe of the page given to layout and to reader: layout finds its first
 * PROBE_LINES lines at least an eighth of the page wide (narrower: a page number, a
 * stray mark), and reader reads the first 1/PROBE_SPAN of the page's width of each,
 * summed into *sum. The boxes are taken first, as reading with the layout's own
 * Tesseract ends its layout. How many lines were read.
 */
static int
probe_lines(struct page_reader *pr, TessBaseAPI *layout, TessBaseAPI *reader,
    struct ocr_reading *sum)
{
	int box[PROBE_LINES][4], n = 0, span = (int)pr->h->width / PROBE_SPAN;
	TessPageIterator *pit;

	memset(sum, 0, sizeof(*sum));
	ocr_reading_reset(sum);
	if ((pit = TessBaseAPIAnalyseLayout(layout)) != NULL) {
		do
			if (TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &box[n][0], &box[n][1],
							&box[n][2], &box[n][3]) &&
			    box[n][2] - box[n][0] >= (int)pr->h->width / 8)
				n++;
		while (n < PROBE_LINES && TessPageIteratorNext(pit, RIL_TEXTLINE));
		TessPageIteratorDelete(pit);
	}
	for (int i = 0; i < n; i++) {
		ocr_reading_line(reader, pr->h, box[i][0], box[i][1],
			  box[i][2] - box[i][0] > span ? box[i][0] + span : box[i][2], box[i][3],
			  &pr->theirs);
		sum->chars += pr->theirs.chars;
		sum->latin += pr->theirs.latin;
		sum->cjk += pr->theirs.cjk;
		sum->conf += pr->theirs.conf;
	}
	return n;
}

/*
 * Before the first page a child reads (the primary holds it, laid out but not yet
 * read): let the other reader read the page's first PROBE_LINES lines, and lead if
 * they suit it. Each child begins with the language listed first, and without this
 * an English document's first page was read whole in jpn and then, line by line,
 * again in eng (1.9 + 1.5 CPU-s for a dense page), once per lane. Of each line the
 * other reads the first quarter of the page's width, enough letters to tell the
 * script: whole, eng's three lines of a Japanese page cost 0.15 CPU-s, paid by each
 * band's child of a one-page upload. The primary's layout analysis is not lost:
 * TessBaseAPIRecognize uses the lines it found.
 */
void
page_choose_primary(struct page_reader *pr)
{
	struct ocr_reading sum;

	other_takes_page(pr);
	if (probe_lines(pr, pr->primary, pr->other, &sum) == 0)
		return;		/* no text found: the next page decides */
	pr->probed = 1;
	if (suits(&sum, !pr->primary_is_eng) && !suits(&sum, pr->primary_is_eng)) {
		/* The new primary reads the whole page (ocr_reading_line left a rectangle);
		 * the old one keeps the page for the lines that call for it. */
		page_swap_readers(pr);
		page_to_primary(pr);
	}
}

/* The page px (rows stride bytes apart) turned a half turn into pr->turned, rows
 * width * channels bytes apart; 0, or -1 out of memory. */
int
page_turn(struct page_reader *pr, const uint8_t *px, size_t stride)
{
	size_t pixel = pr->h->channels, row = (size_t)pr->h->width * pixel;
	size_t size = row * pr->h->height;

	if (size > pr->turned_cap) {
		free(pr->turned);
		pr->turned_cap = 0;
		if ((pr->turned = malloc(size)) == NULL)
			return -1;
		pr->turned_cap = size;
	}
	for (uint32_t y = 0; y < pr->h->height; y++) {
		const uint8_t *from = px + (size_t)(pr->h->height - 1 - y) * stride;
		uint8_t *to = pr->turned + (size_t)y * row;

		for (uint32_t x = 0; x < pr->h->width; x++)
			memcpy(to + (size_t)x * pixel, from + (size_t)(pr->h->width - 1 - x) * pixel,
			       pixel);
	}
	return 0;
}

/* Read from now on the page turned a half turn (page_turn), or again as it is. */
void
page_read_turned(struct page_reader *pr, uint8_t *px, size_t stride, int turned)
{
	pr->px = turned ? pr->turned : px;
	pr->stride = turned ? (size_t)pr->h->width * pr->h->channels : stride;
	pr->half_turned = turned;
	pr->other_has_page = 0;
}

/*
 * Whether the page just read (px, as it is), whose text came out at a mean
 * confidence under UPRIGHT_CONF, is upside down: a sheet put in the scanner the
 * wrong way round. Tesseract reads upside-down Japanese at 20-40 and the same page
 * upright at 90; noise, or a page of no language, reads as badly either way. So the
 * primary reads the page's first lines turned a half turn (probe_lines, as the
 * language probe does), and the page is upside down when they read TURN_GAIN
 * better and at least UPRIGHT_CONF. Then the page stays turned for reading
 * (page_read_turned); otherwise it is as it was.
 */
int
page_upside_down(struct page_reader *pr, uint8_t *px, size_t stride)
{
	struct ocr_reading sum;
	double page;

	if (pr->chars < TURN_MIN_CHARS || (page = pr->conf / pr->chars) >= UPRIGHT_CONF ||
	    page_turn(pr, px, stride) != 0)
		return 0;
	page_read_turned(pr, px, stride, 1);
	page_to_primary(pr);
	(void)probe_lines(pr, pr->primary, pr->primary, &sum);
	if (ocr_reading_conf(&sum) >= UPRIGHT_CONF && ocr_reading_conf(&sum) >= page + TURN_GAIN)
		return 1;
	page_read_turned(pr, px, stride, 0);
	return 0;
}

/* The lines and words of the page the primary has just recognised. */
void
page_put(struct page_reader *pr, struct ocr_out *o)
{
	TessResultIterator *it = TessBaseAPIGetIterator(pr->primary);
	const TessPageIterator *pit;
	int box[4], have_line = 0;
	uint8_t dummy[8];

	if (it == NULL)
		return;
	pit = TessResultIteratorGetPageIterator(it);
	do {
		if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE)) {
			if (have_line)
				put_line(pr, o, box);
			ocr_reading_reset(&pr->mine);
			have_line = pr->nlines < OCR_MAX_LINES_PER_PAGE &&
			    TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &box[0], &box[1],
							&box[2], &box[3]) &&
			    ocr_out_box(box[0], box[1], box[2], box[3], pr->h->width,
				      pr->h->height, dummy);
		}
		if (have_line)
			ocr_reading_add_word(&pr->mine, it, pr->h);
	} while (TessResultIteratorNext(it, RIL_WORD));
	if (have_line)
		put_line(pr, o, box);
	TessResultIteratorDelete(it);
}

/* Forget what was put of the page from start on (o back to it) and its counts: a
 * page begins, or is to be read again. */
void
page_restart(struct page_reader *pr, struct ocr_out *o, size_t start)
{
	o->len = start;
	pr->nlines = pr->nwords = pr->reread = pr->chars_jpn = pr->chars_eng = 0;
	pr->conf = 0;
	pr->chars = 0;
}

/*
 * Read the page's shades, drawn by page_prepare on a white page of their own, as one
 * more block of lines with the same readers. A line read under SHADE_MIN_CONF is
 * dropped: a photo that passed for a shade reads as noise, at 20-30.
 */
void
page_read_shades(struct page_reader *pr, struct ocr_out *o)
{
	const struct pixels_header *page = pr->h;
	struct pixels_header grey = *page;
	const uint8_t *page_px = pr->px;
	size_t page_stride = pr->stride;

	grey.channels = 1;
	pr->h = &grey;
	pr->px = pr->shade_px;
	pr->stride = grey.width;
	pr->other_has_page = 0;
	pr->min_line_conf = SHADE_MIN_CONF;
	page_to_primary(pr);
	if (TessBaseAPIRecognize(pr->primary, NULL) == 0)
		page_put(pr, o);
	pr->min_line_conf = -1;
	pr->other_has_page = 0;
	pr->h = page;
	pr->px = page_px;
	pr->stride = page_stride;
}
