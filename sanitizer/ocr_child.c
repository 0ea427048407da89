/*
 * ocr_child.c — Tesseract in the sandboxed OCR child: the pages of a pixel stream in,
 * the words it read out, in the format of ocr.h (whose parser, in the parent, trusts
 * none of it). The child never sees anything but that stream (already checked by
 * the parent's reader once) and the models: fork's copy of those its parent loaded
 * (ocr_models), or else the model files, which it loads before the seccomp filter
 * forbids open().
 *
 * The page reader (ocr_page_reader.h) reads each page: made ready (ocr_page_prep.c),
 * read across by a pair of readers (ocr_page_across.c), read down where it is
 * written so (ocr_page_down.c). This file loads the models and runs the pages.
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
#include "ocr_page_reader.h"
#include "ocr_pattern.h"
#include "ocr_seal.h"

/* libgomp's (the Makefile links -lgomp); declared here rather than through omp.h,
 * which clang, building the fuzz targets, does not ship. */
extern void omp_set_max_active_levels(int max_levels);

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

int
ocr_child(int out_fd, int in_fd, void *arg)
{
	struct ocr_request *req = arg;
	struct pixels_mem mem = { .p = req->stream, .len = req->stream_len };
	struct page_reader pr = { 0 };
	struct pixels_reader r;
	struct pixels_header h;
	struct ocr_out o = { 0 };
	uint8_t *px = NULL;
	size_t cap = 0, stride;
	uint32_t frame, y;
	int rc = 0, reading;
	uint8_t turns;			/* this page's, 'O' */
	const struct page_down_way *way;	/* how a page with lines down it was read */
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
		page_swap_readers(&pr);	/* api[0] is jpn, api[1] eng */
	ocr_out_put(&o, OCR_MAGIC, 4);
	ocr_out_put(&o, (const uint8_t[]){ OCR_VERSION }, 1);
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
		ocr_out_u32(&o, 'P', frame);
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
		page_restart(&pr, &o, o.len);
		turns = 0;
		ocr_light_measure(&page, pr.dpi, &light);
		pr.paper = light.paper;
		page_set_threshold(&pr, light.uneven ? OCR_THRESHOLD_LOCAL : OCR_THRESHOLD_PAGE);
		/* A security paper's pattern (地紋) goes before anything looks at the
		 * page; under uneven light there is no one paper grey to tell it by. */
		if (!light.uneven && (cut = ocr_pattern_cut(&page, pr.dpi, light.paper)) != 0)
			ocr_pattern_erase(&page, cut, light.paper);
		/* The shades and the rules are found in the whole page and erased; the
		 * shades are read after the rest (ocr_shade.h), in bands by the band each
		 * begins in. An empty band is a page without words. */
		if (req->bands < 2) {
			page_to_primary(&pr);
			if (page_prepare(&pr, pr.primary, px))
				page_to_primary(&pr);	/* without its shades and rules */
			reading = 1;
		} else if ((reading = page_keep_band_only(&pr, px, req->band, req->bands)) &&
			   !pr.vertical) {
			page_to_primary(&pr);
		}
		way = NULL;
		if (reading && pr.vertical) {
			size_t page_start = o.len;

			way = page_read_vertical(&pr, &o, px, stride);
			if (pr.nacross > 0 && way != &page_down_ways[0]) {
				/* On its side, not written vertically: what was told
				 * across is not. Read again with it, in the same band. */
				memcpy(px, pr.aside, stride * h.height);
				if (req->bands >= 2)
					page_paint_other_bands(&pr, px);
				page_restart(&pr, &o, page_start);
				pr.nacross = 0;
				way = page_read_vertical(&pr, &o, px, stride);
			}
			if (pr.nacross > 0 && req->band == 0)
				page_read_across(&pr, &o, px);
			turns = way->turns;
		} else if (reading) {
			size_t page_start = o.len;

			if (pr.other != NULL && !pr.probed)
				page_choose_primary(&pr);
			if (TessBaseAPIRecognize(pr.primary, NULL) == 0)
				page_put(&pr, &o);
			if (page_upside_down(&pr, px, stride)) {
				/* What was put is upside-down noise: read it again, turned. */
				page_restart(&pr, &o, page_start);
				pr.line_dir = OCR_DIR_BACK;
				turns = 2;
				page_to_primary(&pr);
				if (TessBaseAPIRecognize(pr.primary, NULL) == 0)
					page_put(&pr, &o);
				pr.line_dir = OCR_DIR_ACROSS;
				page_read_turned(&pr, px, stride, 0);
			}
		}
		if (reading && pr.nisland > 0 && (turns == 0 || turns == 2))
			page_read_islands(&pr, &o, px, stride, req->bands >= 2, turns == 2);
		/* A turned page's shades are not read: they would be upside down too. */
		if (reading && pr.nshade > 0 && turns == 0)
			page_read_shades(&pr, &o);
		if (pr.threshold != OCR_THRESHOLD_PAGE)
			ocr_out_put(&o, (const uint8_t[]){ 'T', pr.threshold }, 2);
		if (turns != 0)
			ocr_out_put(&o, (const uint8_t[]){ 'O', turns }, 2);
		ocr_out_put(&o, (const uint8_t[]){ 'R', way != NULL && way->vertical ? OCR_READER_VERT :
			pr.other == NULL ? OCR_READER_ONE :
			pr.primary_is_eng ? OCR_READER_ENG : OCR_READER_JPN,
			(uint8_t)(pr.reread >> 8), (uint8_t)pr.reread }, 4);
		ocr_out_u32(&o, 'E', pr.nwords);
		TessBaseAPIClear(pr.primary);
		if (pr.other != NULL)
			TessBaseAPIClear(pr.other);
		/* Most of this page's text read best in the other language: it leads next. */
		if (pr.other != NULL && (pr.primary_is_eng ? pr.chars_jpn > pr.chars_eng :
		    pr.chars_eng > pr.chars_jpn))
			page_swap_readers(&pr);
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
	ocr_reading_free(&pr.mine);
	ocr_reading_free(&pr.theirs);
	ocr_reading_free(&pr.merged);
	return rc;
}
