/*
 * ocr_reading.c — one reader's reading of one line (see ocr_reading.h).
 */
#include "ocr_reading.h"

#include <stdlib.h>
#include <string.h>

#include "ocr.h"

#define REREAD_PAD	4	/* pixels around a line read again */

static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xff66 && cp <= 0xff9f);
}

static void
push_word(struct ocr_reading *lr, const struct ocr_reading_word *w, const void *text)
{
	if (lr->nwords == lr->cap) {
		uint32_t ncap = lr->cap ? 2 * lr->cap : 64;
		struct ocr_reading_word *p = realloc(lr->w, ncap * sizeof(*p));

		if (p == NULL) {
			lr->failed = 1;
			return;
		}
		lr->w = p;
		lr->cap = ncap;
	}
	lr->w[lr->nwords] = *w;
	lr->w[lr->nwords].off = (uint32_t)lr->text.len;
	ocr_out_put(&lr->text, text, w->rec[9]);
	if (lr->text.failed) {
		lr->failed = 1;
		return;
	}
	lr->nwords++;
}

/* Add the word at the iterator to lr, if it is text the parent would take. The
 * bytes kept are the longest prefix, at most OCR_MAX_WORD_BYTES, of whole valid
 * code points. */
void
ocr_reading_add_word(struct ocr_reading *lr, TessResultIterator *it, const struct pixels_header *h)
{
	const TessPageIterator *pit = TessResultIteratorGetPageIterator(it);
	char *text = TessResultIteratorGetUTF8Text(it, RIL_WORD);
	size_t len, off = 0, n;
	uint32_t cp, chars = 0, latin = 0;
	struct ocr_reading_word w = { .cjk = 0 };
	int x0, y0, x1, y1;
	float conf;

	if (text == NULL)
		return;
	len = strlen(text);
	while (off < len) {
		if ((n = ocr_utf8_next((const uint8_t *)text + off, len - off, &cp)) == 0) {
			off = 0;	/* anything the parent would refuse: not this word */
			break;
		}
		if (off + n > OCR_MAX_WORD_BYTES)
			break;
		off += n;
		chars++;
		latin += (cp < 0x80 && ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'));
		w.cjk += (uint32_t)is_cjk(cp);
	}
	if (off > 0 && TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1) &&
	    ocr_out_box(x0, y0, x1, y1, h->width, h->height, w.rec + 1)) {
		w.rec[0] = 'W';
		w.rec[9] = (uint8_t)off;
		push_word(lr, &w, text);
		lr->chars += chars;
		lr->latin += latin;
		lr->cjk += w.cjk;
		conf = TessResultIteratorConfidence(it, RIL_WORD);
		lr->conf += (double)conf * chars;
		if (conf < lr->min_conf)
			lr->min_conf = conf;
	}
	TessDeleteText(text);
}

double
ocr_reading_conf(const struct ocr_reading *lr)
{
	return lr->chars ? lr->conf / lr->chars : -1;
}

void
ocr_reading_reset(struct ocr_reading *lr)
{
	lr->nwords = 0;
	lr->text.len = 0;
	lr->text.failed = lr->failed = 0;
	lr->chars = lr->latin = lr->cjk = 0;
	lr->conf = 0;
	lr->min_conf = 100;
}

void
ocr_reading_free(struct ocr_reading *lr)
{
	free(lr->w);
	free(lr->text.p);
}

static unsigned
box_x(const struct ocr_reading_word *w, int i)
{
	return (unsigned)w->rec[1 + 4 * i] << 8 | w->rec[2 + 4 * i];
}

/*
 * The eng reading e of a line, with the kana and kanji words of its jpn reading j
 * in their places: eng has no such characters and turns them into Latin noise
 * (電話 became "#ai"), while the line as a whole, mostly Latin, read better in eng.
 * An eng word is replaced when its middle lies within a jpn word that has any.
 */
void
ocr_reading_merge_cjk(const struct ocr_reading *e, const struct ocr_reading *j,
		      struct ocr_reading *out)
{
	uint32_t ei = 0, ji;

	ocr_reading_reset(out);
	for (ji = 0; ji <= j->nwords; ji++) {
		const struct ocr_reading_word *jw = ji < j->nwords ? &j->w[ji] : NULL;
		unsigned jx0 = jw ? box_x(jw, 0) : ~0u, jx1 = jw ? box_x(jw, 1) : ~0u;

		if (jw != NULL && jw->cjk == 0)
			continue;
		/* eng words left of this jpn word stay; those inside it give way. */
		for (; ei < e->nwords; ei++) {
			unsigned mid = (box_x(&e->w[ei], 0) + box_x(&e->w[ei], 1)) / 2;

			if (mid >= jx0)
				break;
			push_word(out, &e->w[ei], e->text.p + e->w[ei].off);
		}
		while (ei < e->nwords && (box_x(&e->w[ei], 0) + box_x(&e->w[ei], 1)) / 2 <= jx1)
			ei++;
		if (jw != NULL)
			push_word(out, jw, j->text.p + jw->off);
	}
	out->chars = e->chars;
	out->conf = e->conf;
}

/* Read box (x0, y0)-(x1, y1) of the page given to api as one line, into lr. */
void
ocr_reading_line(TessBaseAPI *api, const struct pixels_header *h, int x0, int y0, int x1,
		 int y1, struct ocr_reading *lr)
{
	TessResultIterator *it;

	x0 = x0 > REREAD_PAD ? x0 - REREAD_PAD : 0;
	y0 = y0 > REREAD_PAD ? y0 - REREAD_PAD : 0;
	x1 = x1 + REREAD_PAD < (int)h->width ? x1 + REREAD_PAD : (int)h->width;
	y1 = y1 + REREAD_PAD < (int)h->height ? y1 + REREAD_PAD : (int)h->height;
	ocr_reading_reset(lr);
	TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
	TessBaseAPISetRectangle(api, x0, y0, x1 - x0, y1 - y0);
	if (TessBaseAPIRecognize(api, NULL) != 0 || (it = TessBaseAPIGetIterator(api)) == NULL)
		return;
	do
		ocr_reading_add_word(lr, it, h);
	while (TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
}
