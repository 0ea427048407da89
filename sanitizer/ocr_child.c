/*
 * ocr_child.c — Tesseract in the sandboxed OCR child: the pages of a pixel stream in,
 * the words it read out, in the format of ocr.h (whose parser, in the parent, trusts
 * none of it). The child never sees anything but that stream (already checked by
 * the parent's reader once) and the models: fork's copy of those its parent loaded
 * (ocr_models), or else the model files, which it loads before the seccomp filter
 * forbids open().
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
 * Shades (網掛け: text on a box of grey, white on a dark bar) are found in the page
 * before it is read, erased from it, and read afterwards on a white page of their
 * own, redrawn dark on white (ocr_shade.h). Ruled lines (罫線) are erased before the
 * page is read (ocr_rules.h): read as one block, a ruled table was lost whole.
 *
 * Vertical writing (縦書き). A page set in columns, top to bottom and right to left,
 * is read by a third reader, jpn_vert, as one block of vertical lines, when its
 * geometry says so (ocr_vertical.h). Read as one block across, each line of the text
 * layer held one character of every column. Those lines run down ('D', OCR_DIR_DOWN);
 * the eng reader has no part in them. A vertical page's lines across (its title
 * over the columns, its issuer under them: ocr_vertical_across) are erased before
 * the columns are read and read across afterwards (read_across); a page across has
 * its short columns standing alone (a form's labels written down their cells:
 * ocr_vertical_islands) erased the same way and read down, each on its own
 * (read_islands).
 *
 * Turned pages. A sheet scanned upside down, or on its side, reads as noise. A page
 * that reads under UPRIGHT_CONF is tried the other ways round on a few of its lines
 * (upside_down, read_vertical); when one reads clearly better, the page is read
 * again that way, its boxes turned back to the page's, its lines saying which way
 * they run, and the page how it is shown upright ('O': the PDF's /Rotate).
 *
 * Uneven light. A page whose paper is lit unevenly (a document photographed, not
 * scanned; ocr_light.h) is made black and white by Sauvola's local threshold, which
 * Tesseract has built in (thresholding_method 2), rather than by its one threshold
 * for the page; every reading of that page, turned, in bands or of its shades, uses
 * it, and the page says so ('T'). On paper lit evenly, a security paper's
 * background pattern (地紋, ocr_pattern.h) is whitened first.
 *
 * OpenMP: Tesseract's LSTM asks for 4 threads per layer, which are slower than one
 * on 2 shared cores and which the sandbox could not create anyway (clone is not
 * allowed: the child would die of SIGSYS). OMP_THREAD_LIMIT=1 in the environment
 * does not help here: libgomp reads it once, in its constructor, when the program
 * starts. omp_set_max_active_levels(0) makes every parallel region inactive, i.e.
 * run by the one calling thread, whatever num_threads it asks for.
 */
#include "ocr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "fsio.h"
#include "ocr_colour.h"
#include "ocr_light.h"
#include "ocr_pattern.h"
#include "ocr_rules.h"
#include "ocr_seal.h"
#include "ocr_shade.h"
#include "ocr_vertical.h"

/* libgomp's (the Makefile links -lgomp); declared here rather than through omp.h,
 * which clang, building the fuzz targets, does not ship. */
extern void omp_set_max_active_levels(int max_levels);

#define REREAD_BELOW_CONF	60	/* eng's line confidence that calls for jpn */
#define REREAD_WORD_CONF	40	/* or eng's confidence in one of its words */
#define REREAD_PAD		4	/* pixels around a line read again */
#define PROBE_LINES		3	/* first lines the other reader tries */
#define PROBE_SPAN		4	/* of each, at most 1/PROBE_SPAN of the page width */
#define SHADE_MIN_CONF		50	/* a shade's line read less surely is noise */
#define UPRIGHT_CONF		60	/* a page read less surely may be upside down */
#define TURN_GAIN		20	/* turned, its first lines read this much better */
#define TURN_MIN_CHARS		20	/* a page (or band) read with fewer characters:
					 * not told */

const char *
ocr_engine_version(void)
{
	return TessVersion();
}

/* ---- loading ---- */

static TessBaseAPI *
load(const char *tessdata, const char *langs)
{
	TessBaseAPI *api = TessBaseAPICreate();

	if (api == NULL)
		return NULL;
	/* Tesseract 5 reads every line it is unsure of a second time inverted, in case it
	 * is white on black; on rendered forms and certificates that never pays, and it
	 * is most of the time on a scan's noisy lines. A light-on-dark heading on its bar
	 * is read as a shade instead (ocr_shade.h), redrawn dark on white. */
	if (TessBaseAPIInit3(api, tessdata, langs) != 0 ||
	    !TessBaseAPISetVariable(api, "tessedit_do_invert", "0")) {
		TessBaseAPIDelete(api);
		return NULL;
	}
	return api;
}

enum { PAIR_NONE, PAIR_JPN_FIRST, PAIR_ENG_FIRST };

/* Whether langs is jpn and eng, and in which order. */
static int
jpn_eng_pair(const char *langs)
{
	if (strcmp(langs, "jpn+eng") == 0)
		return PAIR_JPN_FIRST;
	return strcmp(langs, "eng+jpn") == 0 ? PAIR_ENG_FIRST : PAIR_NONE;
}

/* Whether jpn is one of langs' languages. */
static int
has_jpn(const char *langs)
{
	const char *s = langs;

	for (;;) {
		size_t n = strcspn(s, "+");

		if (n == 3 && strncmp(s, "jpn", 3) == 0)
			return 1;
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

/* Whether lang's model is in the directory api loaded its own from: an optional
 * model is only tried when it is there (Tesseract reports a missing one on
 * stderr). */
static int
model_present(TessBaseAPI *api, const char *lang)
{
	const char *dir = TessBaseAPIGetDatapath(api);
	char path[4096];
	int n;

	if (dir == NULL)
		return 0;
	n = snprintf(path, sizeof path, "%s/%s.traineddata", dir, lang);
	return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

static void
free_readers(TessBaseAPI *api[3])
{
	for (int i = 0; i < 3; i++) {
		if (api[i] != NULL)
			TessBaseAPIDelete(api[i]);
		api[i] = NULL;
	}
}

/* Load langs' readers into api[0] and api[1] (NULL when one language, or when it is
 * not a jpn/eng pair), and jpn_vert into api[2] when langs has jpn and the model is
 * there (NULL otherwise: vertical pages are then read across, as before); 0, or -1
 * with all NULL. api[0] reads as jpn, api[1] as eng: pages, and the other's lines. */
static int
load_readers(const char *tessdata, const char *langs, TessBaseAPI *api[3])
{
	api[1] = api[2] = NULL;
	if (jpn_eng_pair(langs) == PAIR_NONE) {
		api[0] = load(tessdata, langs);
	} else {
		api[0] = load(tessdata, "jpn");
		api[1] = load(tessdata, "eng");
		if (api[1] == NULL)
			free_readers(api);
	}
	if (api[0] == NULL) {
		free_readers(api);
		return -1;
	}
	if (has_jpn(langs) && model_present(api[0], "jpn_vert"))
		api[2] = load(tessdata, "jpn_vert");
	return 0;
}

struct ocr_models {
	char *tessdata;		/* NULL: Tesseract's own */
	char *langs;
	TessBaseAPI *api[3];	/* as load_readers */
};

int
ocr_models_load(const char *tessdata, const char *langs, struct ocr_models **out)
{
	struct ocr_models *m;

	*out = NULL;
	if (!ocr_langs_valid(langs))
		return -EINVAL;
	if ((m = calloc(1, sizeof *m)) == NULL || (m->langs = strdup(langs)) == NULL ||
	    (tessdata != NULL && (m->tessdata = strdup(tessdata)) == NULL)) {
		ocr_models_free(m);
		return -ENOMEM;
	}
	if (load_readers(tessdata, langs, m->api) != 0) {
		ocr_models_free(m);
		return -ENOENT;
	}
	*out = m;
	return 0;
}

void
ocr_models_free(struct ocr_models *m)
{
	if (m == NULL)
		return;
	free_readers(m->api);
	free(m->tessdata);
	free(m->langs);
	free(m);
}

int
ocr_models_vertical(const struct ocr_models *m)
{
	return m != NULL && m->api[2] != NULL;
}

/* Whether m's readers are those req asks for. */
static int
models_match(const struct ocr_models *m, const struct ocr_request *req)
{
	if (m == NULL || strcmp(m->langs, req->langs) != 0)
		return 0;
	if (m->tessdata == NULL || req->tessdata == NULL)
		return m->tessdata == req->tessdata;
	return strcmp(m->tessdata, req->tessdata) == 0;
}

int
ocr_child_prepare(void *arg)
{
	struct ocr_request *req = arg;
	TessBaseAPI *api[3];

	omp_set_max_active_levels(0);
	if (models_match(req->models, req))
		/* This process's copy, fork's: the parent's own stay untouched. */
		memcpy(api, req->models->api, sizeof(api));
	else
		(void)load_readers(req->tessdata, req->langs, api);	/* NULLs if not */
	for (int i = 0; i < 3; i++)
		req->api[i] = api[i];
	return 0;
}

/* ---- output ---- */

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

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- reading a line ---- */

struct word {
	uint8_t rec[10];		/* its 'W' record: box and length */
	uint32_t off;			/* its text in the line_read's text */
	uint32_t cjk;			/* kana and kanji in it */
};

/* The words one reader read on one line, and how they score. */
struct line_read {
	struct word *w;
	uint32_t nwords, cap;
	struct outbuf text;
	uint32_t chars, latin, cjk;	/* code points: all, ASCII letters, kana/kanji */
	double conf;			/* sum over words of confidence x code points */
	float min_conf;			/* the least sure word's */
	int failed;
};

static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xff66 && cp <= 0xff9f);
}

static void
push_word(struct line_read *lr, const struct word *w, const void *text)
{
	if (lr->nwords == lr->cap) {
		uint32_t ncap = lr->cap ? 2 * lr->cap : 64;
		struct word *p = realloc(lr->w, ncap * sizeof(*p));

		if (p == NULL) {
			lr->failed = 1;
			return;
		}
		lr->w = p;
		lr->cap = ncap;
	}
	lr->w[lr->nwords] = *w;
	lr->w[lr->nwords].off = (uint32_t)lr->text.len;
	put(&lr->text, text, w->rec[9]);
	if (lr->text.failed) {
		lr->failed = 1;
		return;
	}
	lr->nwords++;
}

/* Add the word at the iterator to lr, if it is text the parent would take. The
 * bytes kept are the longest prefix, at most OCR_MAX_WORD_BYTES, of whole valid
 * code points. */
static void
add_word(struct line_read *lr, TessResultIterator *it, const struct pixels_header *h)
{
	const TessPageIterator *pit = TessResultIteratorGetPageIterator(it);
	char *text = TessResultIteratorGetUTF8Text(it, RIL_WORD);
	size_t len, off = 0, n;
	uint32_t cp, chars = 0, latin = 0;
	struct word w = { .cjk = 0 };
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
	    clamp_box(x0, y0, x1, y1, h->width, h->height, w.rec + 1)) {
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

static double
mean_conf(const struct line_read *lr)
{
	return lr->chars ? lr->conf / lr->chars : -1;
}

static void
line_reset(struct line_read *lr)
{
	lr->nwords = 0;
	lr->text.len = 0;
	lr->text.failed = lr->failed = 0;
	lr->chars = lr->latin = lr->cjk = 0;
	lr->conf = 0;
	lr->min_conf = 100;
}

static void
line_free(struct line_read *lr)
{
	free(lr->w);
	free(lr->text.p);
}

static unsigned
box_x(const struct word *w, int i)
{
	return (unsigned)w->rec[1 + 4 * i] << 8 | w->rec[2 + 4 * i];
}

/*
 * The eng reading e of a line, with the kana and kanji words of its jpn reading j
 * in their places: eng has no such characters and turns them into Latin noise
 * (電話 became "#ai"), while the line as a whole, mostly Latin, read better in eng.
 * An eng word is replaced when its middle lies within a jpn word that has any.
 */
static void
merge_cjk(const struct line_read *e, const struct line_read *j, struct line_read *out)
{
	uint32_t ei = 0, ji;

	line_reset(out);
	for (ji = 0; ji <= j->nwords; ji++) {
		const struct word *jw = ji < j->nwords ? &j->w[ji] : NULL;
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

/* Whether the primary's reading of a line calls for the other reader. */
static int
wants_other(const struct line_read *lr, int primary_is_eng)
{
	if (lr->chars == 0)
		return 0;
	/* A line of Japanese, a Japanese word in English, or a line of a letter or two
	 * among digits: eng's reading of a row of kanji and digits (suits()). */
	if (primary_is_eng)
		return mean_conf(lr) < REREAD_BELOW_CONF || lr->min_conf < REREAD_WORD_CONF ||
		    2 * lr->latin < lr->chars;
	return lr->latin > lr->cjk && lr->latin >= 3;
}

/* Read box (x0, y0)-(x1, y1) of the page given to api as one line, into lr. */
static void
read_line(TessBaseAPI *api, const struct pixels_header *h, int x0, int y0, int x1, int y1,
	  struct line_read *lr)
{
	TessResultIterator *it;

	x0 = x0 > REREAD_PAD ? x0 - REREAD_PAD : 0;
	y0 = y0 > REREAD_PAD ? y0 - REREAD_PAD : 0;
	x1 = x1 + REREAD_PAD < (int)h->width ? x1 + REREAD_PAD : (int)h->width;
	y1 = y1 + REREAD_PAD < (int)h->height ? y1 + REREAD_PAD : (int)h->height;
	line_reset(lr);
	TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
	TessBaseAPISetRectangle(api, x0, y0, x1 - x0, y1 - y0);
	if (TessBaseAPIRecognize(api, NULL) != 0 || (it = TessBaseAPIGetIterator(api)) == NULL)
		return;
	do
		add_word(lr, it, h);
	while (TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
}

/* ---- reading a page ---- */

struct page_reader {
	TessBaseAPI *primary, *other;	/* other: NULL for a single reader */
	TessBaseAPI *layout;		/* finds the lines that place a band's cuts */
	TessBaseAPI *vert;		/* jpn_vert, or NULL */
	int primary_is_eng;
	int vertical;			/* this page is written vertically */
	struct ocr_rows across[OCR_VERTICAL_MAX_ACROSS];	/* and these rows across */
	unsigned nacross;
	struct ocr_box island[OCR_VERTICAL_MAX_ISLANDS];	/* or, across, these */
	unsigned nisland;		/* short columns standing alone */
	uint8_t *aside;			/* the page before its rows across or its short
					 * columns were erased */
	size_t aside_cap;
	uint32_t band_lo, band_hi;	/* the band read, when in bands (keep_band_only) */
	uint8_t paper;			/* its paper's grey, painted where erasing */
	uint8_t threshold;		/* OCR_THRESHOLD_* the readers are set to */
	uint8_t line_dir;		/* OCR_DIR_* of the lines being put, on the page */
	int half_turned;		/* reading the page turned upside down (px is
					 * pr->turned): boxes are turned back when put */
	uint8_t *turned;		/* the page turned a half turn, when read so */
	size_t turned_cap;
	double conf;			/* sum of confidence x characters put, */
	uint32_t chars;			/* and those characters: this page's reading */
	const struct pixels_header *h;
	const uint8_t *px;
	size_t stride;
	unsigned dpi;
	int other_has_page;
	int probed;			/* a first page chose the primary */
	struct line_read mine, theirs, merged;
	uint32_t nlines, nwords, reread;
	uint32_t chars_jpn, chars_eng;	/* code points of lines read best by each */
	double min_line_conf;		/* a line read less surely is dropped; -1 none */
	struct ocr_shade shade[OCR_MAX_SHADES];	/* this page's (ocr_shade.h) */
	unsigned nshade;
	uint8_t *shade_px;		/* a grey page: the shades, dark on white */
	size_t shade_cap;
};

/*
 * Set every reader to make pages black and white as threshold (OCR_THRESHOLD_*)
 * says: Tesseract's default, Otsu's one threshold for the page, or Sauvola's local
 * one (its window a third of an inch, Tesseract's default). A variable of each
 * Tesseract, read when it next thresholds a page given to it, so it holds for every
 * reading until changed.
 */
static void
set_threshold(struct page_reader *pr, uint8_t threshold)
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
static void
give_page(TessBaseAPI *api, const struct page_reader *pr)
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
 * other page we measured read as well as before or better (docs/sanitizer.md, "Page
 * layout"): the text layer is for finding words, and a word is found wherever its
 * line is.
 */
static void
primary_takes_page(struct page_reader *pr)
{
	TessBaseAPISetPageSegMode(pr->primary, PSM_SINGLE_BLOCK);
	give_page(pr->primary, pr);
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
static void
paint_rows(const struct page_reader *pr, uint8_t *px, uint32_t y0, uint32_t y1)
{
	if (y1 > y0)
		memset(px + (size_t)y0 * pr->stride, pr->paper, (size_t)(y1 - y0) * pr->stride);
}

/* Paint box b of px, pr's page, its paper's grey; or, with from, copy it there
 * from from, a page of the same size. */
static void
paint_box(const struct page_reader *pr, uint8_t *px, const struct ocr_box *b,
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
 * page is first set aside, for read_across and read_islands. Whether anything was
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
		paint_rows(pr, px, pr->across[i].y0, pr->across[i].y1);
	for (unsigned i = 0; i < pr->nisland; i++)
		paint_box(pr, px, &pr->island[i], NULL);
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
static int
prepare_page(struct page_reader *pr, TessBaseAPI *api, uint8_t *px)
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
	    ocr_vertical_islands(binary, pr->dpi, pr->island) : 0;
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

/* Paint px, the page's pixels, its paper's grey but for its band (keep_band_only):
 * rows, or on a page written vertically, columns from the right. */
static void
paint_other_bands(const struct page_reader *pr, uint8_t *px)
{
	uint32_t lo = pr->band_lo, hi = pr->band_hi, w = pr->h->width;
	size_t pixel = pr->h->channels;

	if (!pr->vertical) {
		paint_rows(pr, px, 0, lo);
		paint_rows(pr, px, hi, pr->h->height);
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
 * and ocr_band_cuts is deterministic. That layout costs about a tenth of the page's time. It is made
 * without the page's shades and rules, which every child finds and erases alike
 * first; each band keeps the shades that begin in it.
 *
 * The readers are then given the whole page, so that every box stays a page box.
 * Not a rectangle of it: TessBaseAPISetRectangle on a band of the dense Japanese
 * page made Tesseract 5.3 read the band's lower quarter as "ーー". A band is laid out
 * without the lines of the others, which moves Tesseract's estimates of line
 * spacing and height a little: measured, a few characters in ten thousand read
 * differently (docs/sanitizer.md, "A page in bands").
 *
 * A page written vertically is cut into strips of whole columns instead, from the
 * right (band 0 holds the first columns read), by the vertical reader's layout: its
 * columns are given to ocr_band_cuts turned, the distance from the page's right
 * edge for the distance from its top.
 */
static int
keep_band_only(struct page_reader *pr, uint8_t *px, unsigned band, unsigned bands)
{
	struct ocr_line lines[OCR_MAX_LINES_PER_PAGE];
	uint32_t cuts[OCR_MAX_BANDS + 1], n = 0, lo, hi, w = pr->h->width;
	TessBaseAPI *layout = pr->layout;
	TessPageIterator *pit;
	uint8_t rec[8];
	int box[4];

	TessBaseAPISetPageSegMode(layout, PSM_SINGLE_BLOCK);
	give_page(layout, pr);
	if (prepare_page(pr, layout, px))
		give_page(layout, pr);	/* the page without its shades and rules */
	if (pr->vertical) {
		TessBaseAPIClear(layout);
		layout = pr->vert;
		TessBaseAPISetPageSegMode(layout, PSM_SINGLE_BLOCK_VERT_TEXT);
		give_page(layout, pr);
	}
	if ((pit = TessBaseAPIAnalyseLayout(layout)) != NULL) {
		do {
			struct ocr_line *ln = &lines[n];

			if (n == OCR_MAX_LINES_PER_PAGE ||
			    !TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &box[0], &box[1],
							 &box[2], &box[3]) ||
			    !clamp_box(box[0], box[1], box[2], box[3], w, pr->h->height, rec))
				continue;
			*ln = (struct ocr_line){ be16(rec), be16(rec + 2), be16(rec + 4),
						 be16(rec + 6), 0 };
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
	paint_other_bands(pr, px);
	return 1;
}

/* Give the page to the other reader, for lines it reads on its own. */
static void
other_takes_page(struct page_reader *pr)
{
	if (pr->other_has_page)
		return;
	give_page(pr->other, pr);
	pr->other_has_page = 1;
}

/* The other reader leads from now on. */
static void
swap_readers(struct page_reader *pr)
{
	TessBaseAPI *t = pr->primary;

	pr->primary = pr->other;
	pr->other = t;
	pr->primary_is_eng = !pr->primary_is_eng;
}

/* The box b (x0 y0 x1 y1, big-endian, as clamp_box writes it) of the page being
 * read, on the page: the same, or turned back a half turn. */
static const uint8_t *
turn_back(const struct page_reader *pr, uint8_t b[8])
{
	uint16_t w = (uint16_t)pr->h->width, h = (uint16_t)pr->h->height;
	uint16_t x0 = be16(b), y0 = be16(b + 2), x1 = be16(b + 4), y1 = be16(b + 6);
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
put_line(struct page_reader *pr, struct outbuf *o, const int box[4])
{
	const struct line_read *lr = &pr->mine;
	int eng_won = pr->primary_is_eng;
	uint8_t rec[10];

	if (pr->other != NULL && wants_other(&pr->mine, pr->primary_is_eng)) {
		const struct line_read *e = pr->primary_is_eng ? &pr->mine : &pr->theirs;
		const struct line_read *j = pr->primary_is_eng ? &pr->theirs : &pr->mine;

		other_takes_page(pr);
		read_line(pr->other, pr->h, box[0], box[1], box[2], box[3], &pr->theirs);
		pr->reread++;
		if (!pr->theirs.failed && mean_conf(&pr->theirs) > mean_conf(&pr->mine)) {
			lr = &pr->theirs;
			eng_won = !eng_won;
		}
		/* eng's reading kept: with jpn's kana and kanji, if it read any. */
		if (!pr->theirs.failed && eng_won && j->cjk > 0) {
			merge_cjk(e, j, &pr->merged);
			if (!pr->merged.failed)
				lr = &pr->merged;
		}
	}
	if (lr->failed || pr->nwords + lr->nwords > OCR_MAX_WORDS_PER_PAGE ||
	    (pr->min_line_conf >= 0 && mean_conf(lr) < pr->min_line_conf))
		return;
	if (eng_won)
		pr->chars_eng += lr->chars;
	else
		pr->chars_jpn += lr->chars;
	pr->conf += lr->conf;
	pr->chars += lr->chars;
	if (pr->line_dir == OCR_DIR_ACROSS) {
		put(o, "L", 1);
	} else {
		rec[0] = 'D';
		rec[1] = pr->line_dir;
		put(o, rec, 2);
	}
	clamp_box(box[0], box[1], box[2], box[3], pr->h->width, pr->h->height, rec);
	put(o, turn_back(pr, rec), 8);
	for (uint32_t i = 0; i < lr->nwords; i++) {
		memcpy(rec, lr->w[i].rec, 10);
		turn_back(pr, rec + 1);
		put(o, rec, 10);
		put(o, lr->text.p + lr->w[i].off, lr->w[i].rec[9]);
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
suits(const struct line_read *lr, int is_eng)
{
	if (is_eng)
		return lr->latin >= 3 && 2 * lr->latin >= lr->chars &&
		    mean_conf(lr) >= REREAD_BELOW_CONF;
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
    struct line_read *sum)
{
	int box[PROBE_LINES][4], n = 0, span = (int)pr->h->width / PROBE_SPAN;
	TessPageIterator *pit;

	memset(sum, 0, sizeof(*sum));
	line_reset(sum);
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
		read_line(reader, pr->h, box[i][0], box[i][1],
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
static void
choose_primary(struct page_reader *pr)
{
	struct line_read sum;

	other_takes_page(pr);
	if (probe_lines(pr, pr->primary, pr->other, &sum) == 0)
		return;		/* no text found: the next page decides */
	pr->probed = 1;
	if (suits(&sum, !pr->primary_is_eng) && !suits(&sum, pr->primary_is_eng)) {
		/* The new primary reads the whole page (read_line left a rectangle);
		 * the old one keeps the page for the lines that call for it. */
		swap_readers(pr);
		primary_takes_page(pr);
	}
}

/* The page px (rows stride bytes apart) turned a half turn into pr->turned, rows
 * width * channels bytes apart; 0, or -1 out of memory. */
static int
turn_page(struct page_reader *pr, const uint8_t *px, size_t stride)
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

/* Read from now on the page turned a half turn (turn_page), or again as it is. */
static void
read_turned(struct page_reader *pr, uint8_t *px, size_t stride, int turned)
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
 * (read_turned); otherwise it is as it was.
 */
static int
upside_down(struct page_reader *pr, uint8_t *px, size_t stride)
{
	struct line_read sum;
	double page;

	if (pr->chars < TURN_MIN_CHARS || (page = pr->conf / pr->chars) >= UPRIGHT_CONF ||
	    turn_page(pr, px, stride) != 0)
		return 0;
	read_turned(pr, px, stride, 1);
	primary_takes_page(pr);
	(void)probe_lines(pr, pr->primary, pr->primary, &sum);
	if (mean_conf(&sum) >= UPRIGHT_CONF && mean_conf(&sum) >= page + TURN_GAIN)
		return 1;
	read_turned(pr, px, stride, 0);
	return 0;
}

/* The lines and words of the page the primary has just recognised. */
static void
put_page(struct page_reader *pr, struct outbuf *o)
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
			line_reset(&pr->mine);
			have_line = pr->nlines < OCR_MAX_LINES_PER_PAGE &&
			    TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &box[0], &box[1],
							&box[2], &box[3]) &&
			    clamp_box(box[0], box[1], box[2], box[3], pr->h->width,
				      pr->h->height, dummy);
		}
		if (have_line)
			add_word(&pr->mine, it, pr->h);
	} while (TessResultIteratorNext(it, RIL_WORD));
	if (have_line)
		put_line(pr, o, box);
	TessResultIteratorDelete(it);
}

/* Forget what was put of the page from start on (o back to it) and its counts: a
 * page begins, or is to be read again. */
static void
restart_page(struct page_reader *pr, struct outbuf *o, size_t start)
{
	o->len = start;
	pr->nlines = pr->nwords = pr->reread = pr->chars_jpn = pr->chars_eng = 0;
	pr->conf = 0;
	pr->chars = 0;
}

/*
 * The ways a page whose lines run down it (ocr_vertical) may be set: written
 * vertically (縦書き), read by jpn_vert; or written across and scanned on its side,
 * read by the primary as lines running down, the page as it is (turned a quarter
 * clockwise) or turned a half turn (a quarter anticlockwise); or written vertically
 * and upside down. dir is the way its lines run on the page, turns the quarter
 * turns clockwise that show it upright.
 */
static const struct down_way {
	uint8_t vertical, half, dir, turns;
} down_ways[] = {
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
read_down(struct page_reader *pr, struct outbuf *o, const struct down_way *way)
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
	give_page(api, pr);
	if (TessBaseAPIRecognize(api, NULL) == 0)
		put_page(pr, o);
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
	give_page(pr->vert, pr);
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

	line_reset(&pr->theirs);
	TessBaseAPISetPageSegMode(api, PSM_SINGLE_BLOCK_VERT_TEXT);
	give_page(api, pr);
	TessBaseAPISetRectangle(api, box[0], box[1], box[2] - box[0], box[3] - box[1]);
	if (TessBaseAPIRecognize(api, NULL) == 0 && (it = TessBaseAPIGetIterator(api)) != NULL) {
		do
			add_word(&pr->theirs, it, pr->h);
		while (TessResultIteratorNext(it, RIL_WORD));
		TessResultIteratorDelete(it);
	}
	TessBaseAPIClear(api);
	return mean_conf(&pr->theirs);
}

/*
 * Read a page whose lines run down it (ocr_vertical_page), px as it is. Mostly it
 * is written vertically and jpn_vert reads it. But a page written across and
 * scanned on its side looks the same to ocr_vertical_page, and jpn_vert reads it,
 * or a vertical page upside down, as noise: under UPRIGHT_CONF. Then the other ways
 * (down_ways) read the box of the first columns, and the best, when it reads
 * TURN_GAIN better and at least UPRIGHT_CONF, reads the page again. Returns the way
 * it was read.
 */
static const struct down_way *
read_vertical(struct page_reader *pr, struct outbuf *o, uint8_t *px, size_t stride)
{
	const struct down_way *best = &down_ways[0];
	size_t page_start = o->len;
	double page, best_conf = -1;
	int region[4], turned = 0;

	read_down(pr, o, best);
	if (pr->chars < TURN_MIN_CHARS || (page = pr->conf / pr->chars) >= UPRIGHT_CONF ||
	    !first_columns(pr, region))
		return best;
	for (size_t i = 1; i < sizeof(down_ways) / sizeof(*down_ways); i++) {
		const struct down_way *way = &down_ways[i];
		int box[4] = { region[0], region[1], region[2], region[3] };
		double conf;

		if (way->half) {	/* the same columns, on the page turned */
			if (!turned && turn_page(pr, px, stride) != 0)
				continue;
			turned = 1;
			box[0] = (int)pr->h->width - region[2];
			box[1] = (int)pr->h->height - region[3];
			box[2] = (int)pr->h->width - region[0];
			box[3] = (int)pr->h->height - region[1];
		}
		read_turned(pr, px, stride, way->half);
		conf = probe_down(pr, way->vertical ? pr->vert : pr->primary, box);
		if (conf > best_conf) {
			best_conf = conf;
			best = way;
		}
	}
	read_turned(pr, px, stride, 0);
	if (best_conf < UPRIGHT_CONF || best_conf < page + TURN_GAIN)
		return &down_ways[0];
	restart_page(pr, o, page_start);
	read_turned(pr, px, stride, best->half);
	read_down(pr, o, best);
	read_turned(pr, px, stride, 0);
	return best;
}

/*
 * Read a vertical page's rows across, its columns read: px again as prepare_page set
 * it aside, all but those rows painted paper, read across by the pair of readers as
 * any page is. Like the columns, they do not choose the next page's reader.
 */
static void
read_across(struct page_reader *pr, struct outbuf *o, uint8_t *px)
{
	uint32_t chars_jpn = pr->chars_jpn, chars_eng = pr->chars_eng, y = 0;

	memcpy(px, pr->aside, pr->stride * pr->h->height);
	for (unsigned i = 0; i < pr->nacross; i++) {
		paint_rows(pr, px, y, pr->across[i].y0);
		y = pr->across[i].y1;
	}
	paint_rows(pr, px, y, pr->h->height);
	pr->other_has_page = 0;
	primary_takes_page(pr);
	if (pr->other != NULL && !pr->probed)
		choose_primary(pr);
	if (TessBaseAPIRecognize(pr->primary, NULL) == 0)
		put_page(pr, o);
	pr->chars_jpn = chars_jpn;
	pr->chars_eng = chars_eng;
}

/*
 * Read a page's short columns standing alone (a form's labels written down their
 * cells: ocr_vertical_islands), the page across read: each on its own (read
 * together, jpn_vert took two labels one over the other for one line, and misread
 * it), px all paper but its box, copied back from the page prepare_page set aside,
 * read down by jpn_vert as a vertical page is (read_down), or on a page found upside
 * down, turned and read up (down_ways). A line read under SHADE_MIN_CONF is
 * dropped, as a shade's is: what passed for a column of characters and is not reads
 * as noise. In bands, the band a column begins in reads it.
 */
static void
read_islands(struct page_reader *pr, struct outbuf *o, uint8_t *px, size_t stride,
	     int banded, int upside_down)
{
	const struct down_way *way = &down_ways[upside_down ? 3 : 0];

	pr->min_line_conf = SHADE_MIN_CONF;
	for (unsigned i = 0; i < pr->nisland; i++) {
		const struct ocr_box *b = &pr->island[i];

		if (banded && (b->y0 < pr->band_lo || b->y0 >= pr->band_hi))
			continue;
		memset(px, pr->paper, stride * pr->h->height);
		paint_box(pr, px, b, pr->aside);
		if (way->half && turn_page(pr, px, stride) != 0)
			break;
		read_turned(pr, px, stride, way->half);
		read_down(pr, o, way);
		read_turned(pr, px, stride, 0);
	}
	pr->min_line_conf = -1;
}

/*
 * Read the page's shades, drawn by prepare_page on a white page of their own, as one
 * more block of lines with the same readers. A line read under SHADE_MIN_CONF is
 * dropped: a photo that passed for a shade reads as noise, at 20-30.
 */
static void
read_shades(struct page_reader *pr, struct outbuf *o)
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
	primary_takes_page(pr);
	if (TessBaseAPIRecognize(pr->primary, NULL) == 0)
		put_page(pr, o);
	pr->min_line_conf = -1;
	pr->other_has_page = 0;
	pr->h = page;
	pr->px = page_px;
	pr->stride = page_stride;
}

int
ocr_child(int out_fd, int in_fd, void *arg)
{
	struct ocr_request *req = arg;
	struct pixels_mem mem = { .p = req->stream, .len = req->stream_len };
	struct page_reader pr = { 0 };
	struct pixels_reader r;
	struct pixels_header h;
	struct outbuf o = { 0 };
	uint8_t *px = NULL;
	size_t cap = 0, stride;
	uint32_t frame, y;
	int rc = 0, reading;
	uint8_t turns;			/* this page's, 'O' */
	const struct down_way *way;	/* how a page with lines down it was read */
	struct ocr_light light;		/* this page's paper */
	struct ocr_pixmap page;		/* px, as the page's pixels */
	uint8_t cut;			/* its pattern's grey (ocr_pattern.h) */

	(void)in_fd;
	if (req->api[0] == NULL)
		return OCR_EXIT_MODEL;
	pr.dpi = req->dpi;
	pr.min_line_conf = -1;
	pr.primary = pr.layout = req->api[0];
	pr.other = req->api[1];
	pr.vert = req->api[2];
	pr.line_dir = OCR_DIR_ACROSS;
	if (pr.other != NULL && jpn_eng_pair(req->langs) == PAIR_ENG_FIRST)
		swap_readers(&pr);	/* api[0] is jpn, api[1] eng */
	put(&o, OCR_MAGIC, 4);
	put(&o, (const uint8_t[]){ OCR_VERSION }, 1);
	if (o.failed || fsio_write_all(out_fd, o.p, o.len) != 0) {
		rc = OCR_EXIT_IO;
		goto out;
	}
	pixels_reader_init(&r, pixels_mem_read, &mem, &req->lim);
	for (frame = 0;; frame++) {
		int next = pixels_reader_next(&r, &h);

		if (next == PIXELS_END || (req->end != 0 && frame >= req->end))
			break;
		if (next != 0) {
			rc = OCR_EXIT_STREAM;
			goto out;
		}
		stride = pixels_row_bytes(&h);
		if (stride * h.height > cap) {
			free(px);
			cap = stride * h.height;
			if ((px = malloc(cap)) == NULL) {
				rc = OCR_EXIT_STREAM;
				goto out;
			}
		}
		for (y = 0; y < h.height; y++)
			if (pixels_reader_row(&r, px + (size_t)y * stride) != 0) {
				rc = OCR_EXIT_STREAM;
				goto out;
			}
		if (frame < req->first)
			continue;
		o.len = 0;
		put_u32(&o, 'P', frame);
		page = (struct ocr_pixmap){ .px = px, .width = h.width, .height = h.height,
					    .stride = stride, .channels = h.channels };
		/* A seal's red is as dark as print in grey: lifted first, it is paper to
		 * all that follows. */
		ocr_seal_lift(&page, pr.dpi);
		/* Black print on white scanned in colour reads as well in grey, and
		 * sooner (ocr_colour.h). */
		if (h.channels == 3 && !ocr_colour_needed(&page)) {
			ocr_colour_fold(&page);
			h.channels = 1;
			stride = page.stride;
		}
		pr.h = &h;
		pr.px = px;
		pr.stride = stride;
		pr.other_has_page = 0;
		restart_page(&pr, &o, o.len);
		turns = 0;
		ocr_light_measure(&page, pr.dpi, &light);
		pr.paper = light.paper;
		set_threshold(&pr, light.uneven ? OCR_THRESHOLD_LOCAL : OCR_THRESHOLD_PAGE);
		/* A security paper's pattern (地紋) goes before anything looks at the
		 * page; under uneven light there is no one paper grey to tell it by. */
		if (!light.uneven && (cut = ocr_pattern_cut(&page, pr.dpi, light.paper)) != 0)
			ocr_pattern_erase(&page, cut, light.paper);
		/* The shades and the rules are found in the whole page and erased; the
		 * shades are read after the rest (ocr_shade.h), in bands by the band each
		 * begins in. An empty band is a page without words. */
		if (req->bands < 2) {
			primary_takes_page(&pr);
			if (prepare_page(&pr, pr.primary, px))
				primary_takes_page(&pr);	/* without its shades and rules */
			reading = 1;
		} else if ((reading = keep_band_only(&pr, px, req->band, req->bands)) &&
			   !pr.vertical) {
			primary_takes_page(&pr);
		}
		way = NULL;
		if (reading && pr.vertical) {
			size_t page_start = o.len;

			way = read_vertical(&pr, &o, px, stride);
			if (pr.nacross > 0 && way != &down_ways[0]) {
				/* On its side, not written vertically: what was told
				 * across is not. Read again with it, in the same band. */
				memcpy(px, pr.aside, stride * h.height);
				if (req->bands >= 2)
					paint_other_bands(&pr, px);
				restart_page(&pr, &o, page_start);
				pr.nacross = 0;
				way = read_vertical(&pr, &o, px, stride);
			}
			if (pr.nacross > 0 && req->band == 0)
				read_across(&pr, &o, px);
			turns = way->turns;
		} else if (reading) {
			size_t page_start = o.len;

			if (pr.other != NULL && !pr.probed)
				choose_primary(&pr);
			if (TessBaseAPIRecognize(pr.primary, NULL) == 0)
				put_page(&pr, &o);
			if (upside_down(&pr, px, stride)) {
				/* What was put is upside-down noise: read it again, turned. */
				restart_page(&pr, &o, page_start);
				pr.line_dir = OCR_DIR_BACK;
				turns = 2;
				primary_takes_page(&pr);
				if (TessBaseAPIRecognize(pr.primary, NULL) == 0)
					put_page(&pr, &o);
				pr.line_dir = OCR_DIR_ACROSS;
				read_turned(&pr, px, stride, 0);
			}
		}
		if (reading && pr.nisland > 0 && (turns == 0 || turns == 2))
			read_islands(&pr, &o, px, stride, req->bands >= 2, turns == 2);
		/* A turned page's shades are not read: they would be upside down too. */
		if (reading && pr.nshade > 0 && turns == 0)
			read_shades(&pr, &o);
		if (pr.threshold != OCR_THRESHOLD_PAGE)
			put(&o, (const uint8_t[]){ 'T', pr.threshold }, 2);
		if (turns != 0)
			put(&o, (const uint8_t[]){ 'O', turns }, 2);
		put(&o, (const uint8_t[]){ 'R', way != NULL && way->vertical ? OCR_READER_VERT :
			pr.other == NULL ? OCR_READER_ONE :
			pr.primary_is_eng ? OCR_READER_ENG : OCR_READER_JPN,
			(uint8_t)(pr.reread >> 8), (uint8_t)pr.reread }, 4);
		put_u32(&o, 'E', pr.nwords);
		TessBaseAPIClear(pr.primary);
		if (pr.other != NULL)
			TessBaseAPIClear(pr.other);
		/* Most of this page's text read best in the other language: it leads next. */
		if (pr.other != NULL && (pr.primary_is_eng ? pr.chars_jpn > pr.chars_eng :
		    pr.chars_eng > pr.chars_jpn))
			swap_readers(&pr);
		/* Page by page, so that what was read before a crash is kept. */
		if (o.failed || fsio_write_all(out_fd, o.p, o.len) != 0) {
			rc = OCR_EXIT_IO;
			goto out;
		}
	}
out:
	free(px);
	free(o.p);
	free(pr.shade_px);
	free(pr.turned);
	free(pr.aside);
	line_free(&pr.mine);
	line_free(&pr.theirs);
	line_free(&pr.merged);
	return rc;
}
