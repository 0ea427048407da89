/*
 * ocr.c — Tesseract in the sandbox child, and the parent's reader of what it says.
 *
 * The invariant: the parent accepts a page's words only from a complete page record
 * whose every count, box and byte was checked here; anything else ends the parse,
 * and the pages it did not fill simply have no text. The child side never sees
 * anything but a pixel stream (already checked by the parent's reader once) and the
 * model files, which it loads before the seccomp filter forbids open().
 *
 * OpenMP: Tesseract's LSTM asks for 4 threads per layer, which are slower than one
 * on 2 shared cores and which the sandbox could not create anyway (clone is not
 * allowed: the child would die of SIGSYS). OMP_THREAD_LIMIT=1 in the environment
 * does not help here: libgomp reads it once, in its constructor, when the program
 * starts. omp_set_max_active_levels(0) makes every parallel region inactive, i.e.
 * run by the one calling thread, whatever num_threads it asks for.
 */
#include "ocr.h"

#include <stdlib.h>
#include <string.h>

#include <tesseract/capi.h>

#include "fsio.h"

/* libgomp's (the Makefile links -lgomp); declared here rather than through omp.h,
 * which clang, building the fuzz targets, does not ship. */
extern void omp_set_max_active_levels(int max_levels);

static const uint8_t ocr_magic[4] = { 'S', 'K', 'O', 'C' };

const char *
ocr_strerror(int err)
{
	switch (err) {
	case OCR_OK:		return "ok";
	case OCR_ETRUNCATED:	return "truncated";
	case OCR_EFORMAT:	return "malformed";
	case OCR_ELIMIT:	return "over a limit";
	case OCR_ENOMEM:	return "out of memory";
	}
	return "unknown error";
}

const char *
ocr_engine_version(void)
{
	return TessVersion();
}

void
ocr_page_free(struct ocr_page *pg)
{
	free(pg->lines);
	free(pg->words);
	free(pg->text);
	memset(pg, 0, sizeof(*pg));
}

int
ocr_langs_valid(const char *langs)
{
	size_t i, n = strlen(langs);

	if (n == 0 || n > OCR_MAX_LANGS_LEN || langs[0] == '+' || langs[n - 1] == '+')
		return 0;
	for (i = 0; i < n; i++)
		if (!((langs[i] >= 'a' && langs[i] <= 'z') || (langs[i] >= 'A' && langs[i] <= 'Z') ||
		      langs[i] == '_' || (langs[i] == '+' && langs[i + 1] != '+')))
			return 0;
	return 1;
}

size_t
ocr_utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		n = 1;
		min = 0;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c < 0x20 ||
	    (c >= 0x7f && c <= 0x9f))
		return 0;
	*cp = c;
	return n;
}

/* ---- the parent's reader ---- */

struct cursor {
	const uint8_t *p;
	size_t len, off;
};

static int
take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->len - c->off < n)
		return OCR_ETRUNCATED;
	*out = c->p + c->off;
	c->off += n;
	return OCR_OK;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
read_box(struct cursor *c, uint16_t box[4])
{
	const uint8_t *b;
	int i, rc;

	if ((rc = take(c, 8, &b)) != OCR_OK)
		return rc;
	for (i = 0; i < 4; i++)
		box[i] = be16(b + 2 * i);
	return box[0] < box[2] && box[1] < box[3] ? OCR_OK : OCR_EFORMAT;
}

static int
valid_text(const uint8_t *s, size_t len)
{
	size_t off = 0, n;
	uint32_t cp;

	while (off < len) {
		if ((n = ocr_utf8_next(s + off, len - off, &cp)) == 0)
			return 0;
		off += n;
	}
	return len > 0;
}

/* One page, from just after its 'P' record through its 'E' record. */
static int
parse_page(struct cursor *c, struct ocr_page *pg)
{
	size_t cap_lines = 16, cap_words = 0, text_len = 0, cap_text = 0;
	const uint8_t *b;
	uint16_t box[4];
	int rc = OCR_OK;

	memset(pg, 0, sizeof(*pg));
	if ((pg->lines = malloc(cap_lines * sizeof(*pg->lines))) == NULL)
		return OCR_ENOMEM;
	for (;;) {
		if ((rc = take(c, 1, &b)) != OCR_OK)
			break;
		if (*b == 'E') {
			if ((rc = take(c, 4, &b)) == OCR_OK && be32(b) != pg->nwords)
				rc = OCR_EFORMAT;
			if (rc == OCR_OK)
				return OCR_OK;
			break;
		} else if (*b == 'L') {
			if ((rc = read_box(c, box)) != OCR_OK)
				break;
			if (pg->nlines == OCR_MAX_LINES_PER_PAGE) {
				rc = OCR_ELIMIT;
				break;
			}
			if (pg->nlines == cap_lines) {
				struct ocr_line *n = realloc(pg->lines, 2 * cap_lines * sizeof(*n));

				if (n == NULL) {
					rc = OCR_ENOMEM;
					break;
				}
				pg->lines = n;
				cap_lines *= 2;
			}
			pg->lines[pg->nlines++] = (struct ocr_line){ box[0], box[1], box[2], box[3] };
		} else if (*b == 'W') {
			struct ocr_word *w;

			if ((rc = read_box(c, box)) != OCR_OK || (rc = take(c, 1, &b)) != OCR_OK)
				break;
			if (pg->nlines == 0 || *b == 0 || *b > OCR_MAX_WORD_BYTES) {
				rc = OCR_EFORMAT;
				break;
			}
			if (pg->nwords == OCR_MAX_WORDS_PER_PAGE) {
				rc = OCR_ELIMIT;
				break;
			}
			if (pg->nwords == cap_words) {
				size_t ncap = cap_words ? 2 * cap_words : 64;
				struct ocr_word *n = realloc(pg->words, ncap * sizeof(*n));

				if (n == NULL) {
					rc = OCR_ENOMEM;
					break;
				}
				pg->words = n;
				cap_words = ncap;
			}
			w = &pg->words[pg->nwords];
			*w = (struct ocr_word){ .x0 = box[0], .y0 = box[1], .x1 = box[2], .y1 = box[3],
						.line = (uint16_t)(pg->nlines - 1), .len = *b,
						.off = (uint32_t)text_len };
			if ((rc = take(c, w->len, &b)) != OCR_OK)
				break;
			if (!valid_text(b, w->len)) {
				rc = OCR_EFORMAT;
				break;
			}
			if (text_len + w->len > cap_text) {
				size_t ncap = cap_text ? 2 * cap_text : 4096;
				char *n;

				while (ncap < text_len + w->len)
					ncap *= 2;
				if ((n = realloc(pg->text, ncap)) == NULL) {
					rc = OCR_ENOMEM;
					break;
				}
				pg->text = n;
				cap_text = ncap;
			}
			memcpy(pg->text + text_len, b, w->len);
			text_len += w->len;
			pg->nwords++;
		} else {
			rc = OCR_EFORMAT;
			break;
		}
	}
	ocr_page_free(pg);
	return rc;
}

uint32_t
ocr_parse(const uint8_t *p, size_t len, uint32_t first, uint32_t max, struct ocr_page *pages,
    int *err)
{
	struct cursor c = { .p = p, .len = len };
	const uint8_t *b;
	uint32_t n = 0;
	int rc;

	*err = OCR_OK;
	if (len == 0)
		return 0;		/* a child that failed before writing anything */
	if ((rc = take(&c, 5, &b)) != OCR_OK || memcmp(b, ocr_magic, 4) != 0 ||
	    b[4] != OCR_VERSION) {
		*err = rc != OCR_OK ? rc : OCR_EFORMAT;
		return 0;
	}
	while (c.off < c.len) {
		if ((rc = take(&c, 5, &b)) != OCR_OK)
			break;
		if (b[0] != 'P' || be32(b + 1) != first + n) {
			rc = OCR_EFORMAT;
			break;
		}
		if (n == max) {
			rc = OCR_ELIMIT;
			break;
		}
		if ((rc = parse_page(&c, &pages[n])) != OCR_OK)
			break;
		n++;
	}
	*err = rc;
	return n;
}

/* ---- the child ---- */

int
ocr_child_prepare(void *arg)
{
	struct ocr_request *req = arg;
	TessBaseAPI *api;

	req->api = NULL;
	omp_set_max_active_levels(0);
	if ((api = TessBaseAPICreate()) == NULL)
		return 0;
	if (TessBaseAPIInit3(api, req->tessdata, req->langs) != 0) {
		TessBaseAPIDelete(api);
		return 0;
	}
	/* One block of horizontal lines, not Tesseract's page layout analysis (PSM_AUTO).
	 * Japanese set solid (lines as close as their characters: tables, lists, squeezed
	 * forms) is a grid of equal squares; the layout analysis took such pages for
	 * vertical writing (縦書き) or for no text at all, and the text layer was
	 * gibberish. As one block they read right, and every other page we measured read
	 * as well as before or better (docs/sanitizer.md, "Page layout"): the text layer
	 * is for finding words, and a word is found wherever its line is. */
	TessBaseAPISetPageSegMode(api, PSM_SINGLE_BLOCK);
	/* Tesseract 5 reads every line it is unsure of a second time inverted, in case it
	 * is white on black; on rendered forms and certificates that never pays, and it
	 * is most of the time on a scan's noisy lines. A light-on-dark heading then stays
	 * without a text layer (the page image is unchanged). */
	if (!TessBaseAPISetVariable(api, "tessedit_do_invert", "0")) {
		TessBaseAPIDelete(api);
		return 0;
	}
	req->api = api;
	return 0;
}

struct outbuf {
	uint8_t *p;
	size_t len, cap;
	int failed;
};

static void
put(struct outbuf *o, const void *data, size_t n)
{
	if (o->failed)
		return;
	if (o->cap - o->len < n) {
		size_t ncap = o->cap ? o->cap : 16384;
		uint8_t *p;

		while (ncap - o->len < n)
			ncap *= 2;
		if ((p = realloc(o->p, ncap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = p;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, data, n);
	o->len += n;
}

static void
put_u32(struct outbuf *o, uint8_t tag, uint32_t v)
{
	uint8_t b[5] = { tag, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(o, b, 5);
}

static int
clamp_box(int x0, int y0, int x1, int y1, uint32_t w, uint32_t h, uint8_t out[8])
{
	int v[4] = { x0, y0, x1, y1 }, lim[4] = { (int)w, (int)h, (int)w, (int)h }, i;

	for (i = 0; i < 4; i++) {
		if (v[i] < 0)
			v[i] = 0;
		if (v[i] > lim[i])
			v[i] = lim[i];
		out[2 * i] = (uint8_t)(v[i] >> 8);
		out[2 * i + 1] = (uint8_t)v[i];
	}
	return v[0] < v[2] && v[1] < v[3];
}

/* The longest prefix of s, at most OCR_MAX_WORD_BYTES, that is whole valid code
 * points; 0 if s has anything the parent would refuse. */
static size_t
word_bytes(const char *s)
{
	size_t len = strlen(s), off = 0, n;
	uint32_t cp;

	while (off < len) {
		if ((n = ocr_utf8_next((const uint8_t *)s + off, len - off, &cp)) == 0)
			return 0;
		if (off + n > OCR_MAX_WORD_BYTES)
			break;
		off += n;
	}
	return off;
}

/* Lines and words of the page Tesseract has just recognised. */
static void
put_words(TessBaseAPI *api, const struct pixels_header *h, struct outbuf *o, uint32_t *nwords)
{
	TessResultIterator *it = TessBaseAPIGetIterator(api);
	const TessPageIterator *pit;
	uint32_t nlines = 0;
	int x0, y0, x1, y1, have_line = 0;

	*nwords = 0;
	if (it == NULL)
		return;
	pit = TessResultIteratorGetPageIterator(it);
	do {
		uint8_t rec[10];
		char *text;
		size_t n;

		if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE)) {
			have_line = 0;
			if (nlines < OCR_MAX_LINES_PER_PAGE &&
			    TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &x0, &y0, &x1, &y1) &&
			    clamp_box(x0, y0, x1, y1, h->width, h->height, rec + 1)) {
				rec[0] = 'L';
				put(o, rec, 9);
				nlines++;
				have_line = 1;
			}
		}
		if (!have_line || *nwords == OCR_MAX_WORDS_PER_PAGE)
			continue;
		if ((text = TessResultIteratorGetUTF8Text(it, RIL_WORD)) == NULL)
			continue;
		n = word_bytes(text);
		if (n > 0 && TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1) &&
		    clamp_box(x0, y0, x1, y1, h->width, h->height, rec + 1)) {
			rec[0] = 'W';
			rec[9] = (uint8_t)n;
			put(o, rec, 10);
			put(o, text, n);
			(*nwords)++;
		}
		TessDeleteText(text);
	} while (TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
}

int
ocr_child(int out_fd, int in_fd, void *arg)
{
	struct ocr_request *req = arg;
	TessBaseAPI *api = req->api;
	struct pixels_mem mem = { .p = req->stream, .len = req->stream_len };
	struct pixels_reader r;
	struct pixels_header h;
	struct outbuf o = { 0 };
	uint8_t *px = NULL;
	size_t cap = 0, stride;
	uint32_t frame, y, nwords;
	int rc;

	(void)in_fd;
	if (api == NULL)
		return OCR_EXIT_MODEL;
	put(&o, ocr_magic, 4);
	put(&o, (const uint8_t[]){ OCR_VERSION }, 1);
	if (o.failed || fsio_write_all(out_fd, o.p, o.len) != 0)
		return OCR_EXIT_IO;
	pixels_reader_init(&r, pixels_mem_read, &mem, &req->lim);
	for (frame = 0;; frame++) {
		if ((rc = pixels_reader_next(&r, &h)) == PIXELS_END)
			break;
		if (rc != 0)
			return OCR_EXIT_STREAM;
		stride = pixels_row_bytes(&h);
		if (stride * h.height > cap) {
			free(px);
			cap = stride * h.height;
			if ((px = malloc(cap)) == NULL)
				return OCR_EXIT_STREAM;
		}
		for (y = 0; y < h.height; y++)
			if (pixels_reader_row(&r, px + (size_t)y * stride) != 0)
				return OCR_EXIT_STREAM;
		if (frame < req->first)
			continue;
		o.len = 0;
		put_u32(&o, 'P', frame);
		TessBaseAPISetImage(api, px, (int)h.width, (int)h.height, h.channels, (int)stride);
		TessBaseAPISetSourceResolution(api, (int)req->dpi);
		nwords = 0;
		if (TessBaseAPIRecognize(api, NULL) == 0)
			put_words(api, &h, &o, &nwords);
		put_u32(&o, 'E', nwords);
		TessBaseAPIClear(api);
		/* Page by page, so that what was read before a crash is kept. */
		if (o.failed || fsio_write_all(out_fd, o.p, o.len) != 0)
			return OCR_EXIT_IO;
	}
	return 0;
}
