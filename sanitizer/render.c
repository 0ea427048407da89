/*
 * render.c — MuPDF inside the sandbox: hostile bytes in, pixels out.
 *
 * The invariant: nothing this file writes to its output is anything but a pixel
 * stream, and every size it renders was checked against the limits before the
 * pixmap was allocated. The file is read whole into memory (the seccomp filter
 * forbids open(), so MuPDF works on fz_open_memory and needs no file: its base-14
 * fonts are compiled in), MuPDF's allocator is capped below the process's
 * RLIMIT_AS so that a bomb surfaces as FZ_ERROR_MEMORY rather than a crash, and
 * JavaScript is never enabled (MuPDF runs none unless pdf_enable_js is called).
 * Only the PDF handler is used for documents, opened directly with
 * pdf_open_document_with_stream: no XPS, EPUB, HTML or CBZ parser is reachable.
 */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include "photo.h"
#include "pixels.h"

#define RENDER_READ_CHUNK	(256u * 1024)
#define RENDER_ALLOC_HDR	16	/* keeps MuPDF's blocks 16-byte aligned */

void
render_limits_default(struct render_limits *lim)
{
	lim->max_input = 100u << 20;
	lim->max_pages = 300;
	lim->max_page_pixels = PIXELS_DEFAULT_MAX_PIXELS;
	lim->max_batch_pixels = 192ull << 20;
	lim->mupdf_memory = 768u << 20;
}

int
render_supports(enum detect_type type)
{
	switch (type) {
	case DETECT_PDF: case DETECT_JPEG: case DETECT_PNG: case DETECT_GIF:
	case DETECT_TIFF: case DETECT_BMP: case DETECT_WEBP: case DETECT_HEIC:
		return 1;
	default:
		return 0;
	}
}

const char *
render_exit_name(int code)
{
	switch (code) {
	case RENDER_EXIT_OK:		return "ok";
	case RENDER_EXIT_MORE:		return "more";
	case RENDER_EXIT_ENCRYPTED:	return "encrypted";
	case RENDER_EXIT_TOO_MANY_PAGES: return "too-many-pages";
	case RENDER_EXIT_LIMITS:	return "limits-exceeded";
	case RENDER_EXIT_UNSUPPORTED:	return "unsupported";
	case RENDER_EXIT_BROKEN:	return "broken";
	case RENDER_EXIT_IO:		return "io";
	case RENDER_EXIT_BAD_REQUEST:	return "bad-request";
	}
	return "unknown";
}

const char *
render_engine_version(void)
{
	return FZ_VERSION;
}

/* ---- a capped allocator for MuPDF ---- */

struct capped {
	size_t used, cap;
};

static void *
capped_malloc(void *user, size_t size)
{
	struct capped *c = user;
	uint8_t *p;

	if (size > c->cap - c->used || size > SIZE_MAX - RENDER_ALLOC_HDR)
		return NULL;
	if ((p = malloc(size + RENDER_ALLOC_HDR)) == NULL)
		return NULL;
	memcpy(p, &size, sizeof size);
	c->used += size;
	return p + RENDER_ALLOC_HDR;
}

static void
capped_free(void *user, void *ptr)
{
	struct capped *c = user;
	uint8_t *p;
	size_t size;

	if (ptr == NULL)
		return;
	p = (uint8_t *)ptr - RENDER_ALLOC_HDR;
	memcpy(&size, p, sizeof size);
	c->used -= size;
	free(p);
}

static void *
capped_realloc(void *user, void *old, size_t size)
{
	struct capped *c = user;
	uint8_t *p, *q;
	size_t was;

	if (old == NULL)
		return capped_malloc(user, size);
	if (size == 0) {
		capped_free(user, old);
		return NULL;
	}
	p = (uint8_t *)old - RENDER_ALLOC_HDR;
	memcpy(&was, p, sizeof was);
	if ((size > was && size - was > c->cap - c->used) || size > SIZE_MAX - RENDER_ALLOC_HDR)
		return NULL;
	if ((q = realloc(p, size + RENDER_ALLOC_HDR)) == NULL)
		return NULL;
	memcpy(q, &size, sizeof size);
	c->used = c->used - was + size;
	return q + RENDER_ALLOC_HDR;
}

static void
quiet(void *user, const char *message)
{
	(void)user;
	(void)message;
}

/* ---- input ---- */

/* The whole input, at most max bytes; RENDER_EXIT_LIMITS beyond. Not inlined into
 * render_child, whose fz_try would otherwise see these locals as clobberable. */
static __attribute__((noinline)) int
read_input(int fd, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < RENDER_READ_CHUNK) {
			size_t ncap = cap ? cap * 2 : RENDER_READ_CHUNK * 4;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= len) {
				free(buf);
				return RENDER_EXIT_LIMITS;
			}
			if ((p = realloc(buf, ncap)) == NULL) {
				free(buf);
				return RENDER_EXIT_LIMITS;
			}
			buf = p;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return RENDER_EXIT_IO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return RENDER_EXIT_LIMITS;
		}
	}
	*out = buf;
	*outlen = len;
	return RENDER_EXIT_OK;
}

/* A PNG's declared size is refused from its IHDR alone, before MuPDF sees it. */
static int
png_header_ok(const uint8_t *p, size_t len, const struct render_limits *lim)
{
	uint64_t w, h;

	if (len < 24)
		return 1;	/* too short for IHDR: MuPDF will call it broken */
	w = (uint64_t)p[16] << 24 | (uint64_t)p[17] << 16 | (uint64_t)p[18] << 8 | p[19];
	h = (uint64_t)p[20] << 24 | (uint64_t)p[21] << 16 | (uint64_t)p[22] << 8 | p[23];
	return w <= PIXELS_MAX_DIMENSION && h <= PIXELS_MAX_DIMENSION &&
	    w * h <= lim->max_page_pixels;
}

static int
size_ok(int64_t w, int64_t h, const struct render_limits *lim)
{
	return w > 0 && h > 0 && w <= PIXELS_MAX_DIMENSION && h <= PIXELS_MAX_DIMENSION &&
	    (uint64_t)w * (uint64_t)h <= lim->max_page_pixels;
}

/* ---- output ---- */

static int
pixmap_is_grey(const fz_pixmap *pix)
{
	int x, y;

	if (pix->n == 1)
		return 1;
	for (y = 0; y < pix->h; y++) {
		const unsigned char *s = pix->samples + (size_t)y * (size_t)pix->stride;

		for (x = 0; x < pix->w; x++, s += 3)
			if (s[0] != s[1] || s[1] != s[2])
				return 0;
	}
	return 1;
}

/* One frame from an RGB or grey pixmap without alpha; grey when no pixel has
 * colour, which makes a text page's stream a third of the size. 0 or -1. */
static int
emit_pixmap(fz_context *ctx, struct pixels_writer *w, const fz_pixmap *pix)
{
	struct pixels_header h = { .width = (uint32_t)pix->w, .height = (uint32_t)pix->h,
				   .depth = 8 };
	unsigned char *row = NULL;
	int grey = pixmap_is_grey(pix), y, x, rc;

	h.channels = grey ? 1 : 3;
	if (pix->n != 1 && pix->n != 3)
		return -1;
	if (pixels_writer_frame(w, &h) != 0)
		return -1;
	if (grey && pix->n == 3 && (row = fz_malloc_no_throw(ctx, (size_t)pix->w)) == NULL)
		return -1;
	for (y = 0, rc = 0; y < pix->h && rc == 0; y++) {
		const unsigned char *s = pix->samples + (size_t)y * (size_t)pix->stride;

		if (row != NULL) {
			for (x = 0; x < pix->w; x++)
				row[x] = s[3 * x];
			rc = pixels_writer_row(w, row);
		} else {
			rc = pixels_writer_row(w, s);
		}
	}
	fz_free(ctx, row);
	return rc == 0 ? 0 : -1;
}

/* ---- documents: PDF pages ---- */

/* One child's work: what was asked, where the pixels go, and the answer. */
struct render_job {
	const struct render_request *req;
	struct pixels_writer *w;
	int result;		/* RENDER_EXIT_* decided inside fz_try */
	int empty_ok;		/* a lane with no page: an empty stream is the answer */
	uint64_t written;	/* pixel bytes of the pages in this child's stream */
};

/* Whether a w x h page would overflow this child's batch (max_batch_pixels); then
 * the answer is "more". The first page of a batch always goes. */
static int
batch_full(struct render_job *job, int64_t w, int64_t h)
{
	uint64_t bytes = (uint64_t)w * (uint64_t)h * 3;

	if (job->written > 0 && job->written + bytes > job->req->lim.max_batch_pixels) {
		job->result = RENDER_EXIT_MORE;
		return 1;
	}
	return 0;
}

/* A rendered page into the stream, counted against the batch. 0 or -1. */
static int
emit_page(fz_context *ctx, struct render_job *job, const fz_pixmap *pix)
{
	if (emit_pixmap(ctx, job->w, pix) != 0) {
		job->result = RENDER_EXIT_IO;
		return -1;
	}
	job->written += (uint64_t)pix->w * (uint64_t)pix->h * (uint64_t)pix->n;
	return 0;
}

/* Whether a document of n pages leaves this child anything to render; if not, the
 * answer is in job->result (a lane past the end of a short document: empty, OK). */
static int
pages_to_render(struct render_job *job, int n, uint32_t step)
{
	const struct render_request *req = job->req;

	if (n <= 0)
		job->result = RENDER_EXIT_BROKEN;
	else if ((uint32_t)n > req->lim.max_pages)
		job->result = RENDER_EXIT_TOO_MANY_PAGES;
	else if (req->first_page >= (uint32_t)n) {
		job->empty_ok = step > 1 && req->first_page < step;
		job->result = job->empty_ok ? RENDER_EXIT_OK : RENDER_EXIT_BAD_REQUEST;
	} else {
		job->result = RENDER_EXIT_OK;
		return 1;
	}
	return 0;
}

/*
 * A page drawn in grey when nothing on it has colour, else in RGB. MuPDF's test
 * device watches the page as it is recorded into a display list (one pass of the
 * content stream), so the pixmap's colour space is known before a pixel is drawn: a
 * scanned grey page drawn in RGB would cost three times the pixel traffic, only for
 * emit_pixmap to fold it back. "Probably colour" (grey drawing, but images in an RGB
 * colour space) is drawn in RGB and checked pixel by pixel, as every page was.
 */
static fz_pixmap *
draw_page(fz_context *ctx, fz_page *page, fz_matrix ctm)
{
	fz_display_list *volatile list = NULL;
	fz_device *volatile rec = NULL, *volatile test = NULL;
	fz_pixmap *volatile pix = NULL;
	int is_color = 2;

	fz_try(ctx) {
		list = fz_new_display_list(ctx, fz_bound_page(ctx, page));
		rec = fz_new_list_device(ctx, list);
		test = fz_new_test_device(ctx, &is_color, 0.0f, 0, rec);
		fz_run_page(ctx, page, test, fz_identity, NULL);
		fz_close_device(ctx, test);
		fz_close_device(ctx, rec);
		pix = fz_new_pixmap_from_display_list(ctx, list, ctm, is_color == 0
		    ? fz_device_gray(ctx) : fz_device_rgb(ctx), 0);
	}
	fz_always(ctx) {
		fz_drop_device(ctx, test);
		fz_drop_device(ctx, rec);
		fz_drop_display_list(ctx, list);
	}
	fz_catch(ctx) {
		fz_rethrow(ctx);
	}
	return pix;
}

/*
 * The page at dpi, each side stretched or shrunk by less than half a pixel to a whole
 * number of pixels. A4 at 150 dpi is 1240.17 x 1753.94 pixels; drawn into 1241 x 1754
 * (MuPDF rounds outwards), a scanner's 1240 x 1754 page image is enlarged by one
 * pixel, and MuPDF then interpolates every pixel of it (its "lerp" painters: a third
 * of a scanned page's time). At 1240 x 1754 exactly it is copied pixel for pixel.
 * The page's proportions change by under a pixel in a thousand.
 */
static fz_matrix
whole_pixels(fz_rect bounds, float scale)
{
	float w = (bounds.x1 - bounds.x0) * scale, h = (bounds.y1 - bounds.y0) * scale;
	float sx = scale, sy = scale;

	if (w >= 1.0f)
		sx = scale * roundf(w) / w;
	if (h >= 1.0f)
		sy = scale * roundf(h) / h;
	return fz_scale(sx, sy);
}

static void
render_pdf(fz_context *ctx, fz_stream *stm, struct render_job *job)
{
	const struct render_request *req = job->req;
	pdf_document *volatile doc = NULL;
	fz_page *volatile page = NULL;
	fz_pixmap *volatile pix = NULL;
	uint32_t step = req->page_step > 1 ? req->page_step : 1;

	fz_try(ctx) {
		int n, i;
		float scale = (float)req->dpi / 72.0f;
		fz_matrix ctm;

		doc = pdf_open_document_with_stream(ctx, stm);
		if (pdf_needs_password(ctx, doc)) {
			job->result = RENDER_EXIT_ENCRYPTED;
			break;
		}
		n = fz_count_pages(ctx, &doc->super);
		if (!pages_to_render(job, n, step))
			break;
		for (i = (int)req->first_page; i < n; i += (int)step) {
			fz_irect box;

			page = fz_load_page(ctx, &doc->super, i);
			ctm = whole_pixels(fz_bound_page(ctx, page), scale);
			box = fz_round_rect(fz_transform_rect(fz_bound_page(ctx, page), ctm));
			if (!size_ok((int64_t)box.x1 - box.x0, (int64_t)box.y1 - box.y0, &req->lim)) {
				job->result = RENDER_EXIT_LIMITS;
				break;
			}
			if (batch_full(job, (int64_t)box.x1 - box.x0, (int64_t)box.y1 - box.y0))
				break;
			pix = draw_page(ctx, page, ctm);
			fz_drop_page(ctx, page);
			page = NULL;
			if (emit_page(ctx, job, pix) != 0)
				break;
			fz_drop_pixmap(ctx, pix);
			pix = NULL;
		}
	}
	fz_always(ctx) {
		fz_drop_pixmap(ctx, pix);
		fz_drop_page(ctx, page);
		pdf_drop_document(ctx, doc);
	}
	fz_catch(ctx) {
		job->result = fz_caught(ctx) == FZ_ERROR_MEMORY ? RENDER_EXIT_LIMITS
								 : RENDER_EXIT_BROKEN;
	}
}

/* ---- images ---- */

/* img drawn through m (unit square to the w x h output) onto white, in grey if the
 * image is grey, else RGB; the caller drops the pixmap. Throws as MuPDF does. */
static fz_pixmap *
image_on_white(fz_context *ctx, fz_image *img, int w, int h, fz_matrix m)
{
	fz_colorspace *cs = img->colorspace && fz_colorspace_is_gray(ctx, img->colorspace)
	    ? fz_device_gray(ctx) : fz_device_rgb(ctx);
	fz_pixmap *pix = fz_new_pixmap(ctx, cs, w, h, NULL, 0);
	fz_device *volatile dev = NULL;

	fz_try(ctx) {
		fz_clear_pixmap_with_value(ctx, pix, 255);
		dev = fz_new_draw_device(ctx, fz_identity, pix);
		fz_fill_image(ctx, dev, img, m, 1.0f, fz_default_color_params);
		fz_close_device(ctx, dev);
	}
	fz_always(ctx) {
		fz_drop_device(ctx, dev);
	}
	fz_catch(ctx) {
		fz_drop_pixmap(ctx, pix);
		fz_rethrow(ctx);
	}
	return pix;
}

/* The image at its own size over white, grey if it is grey, RGB otherwise, turned
 * upright: MuPDF reads a JPEG's EXIF Orientation (and a TIFF's) into the image but
 * ignores it when drawing, so a phone photo stored on its side would come out on its
 * side. Orientations 2, 4, 6 and 8 (MuPDF's numbering: a quarter turn, with or
 * without a flip) swap width and height; the orientation matrix maps the unit square
 * onto itself, so it goes before the scale to the output size. */
static void
render_image(fz_context *ctx, fz_buffer *buf, struct render_job *job)
{
	fz_image *volatile img = NULL;
	fz_pixmap *volatile pix = NULL;

	fz_try(ctx) {
		int ow, oh;
		uint8_t orient;

		img = fz_new_image_from_buffer(ctx, buf);
		if (!size_ok(img->w, img->h, &job->req->lim)) {
			job->result = RENDER_EXIT_LIMITS;
			break;
		}
		orient = fz_image_orientation(ctx, img);
		ow = orient != 0 && orient % 2 == 0 ? img->h : img->w;
		oh = orient != 0 && orient % 2 == 0 ? img->w : img->h;
		pix = image_on_white(ctx, img, ow, oh, fz_concat(fz_image_orientation_matrix(ctx, img),
				     fz_scale((float)ow, (float)oh)));
		job->result = emit_pixmap(ctx, job->w, pix) == 0 ? RENDER_EXIT_OK : RENDER_EXIT_IO;
	}
	fz_always(ctx) {
		fz_drop_pixmap(ctx, pix);
		fz_drop_image(ctx, img);
	}
	fz_catch(ctx) {
		job->result = fz_caught(ctx) == FZ_ERROR_MEMORY ? RENDER_EXIT_LIMITS
								 : RENDER_EXIT_BROKEN;
	}
}

/* ---- multi-page TIFF ---- */

/*
 * A multi-page TIFF as a document: page i is the i-th IFD, bounded as MuPDF's own
 * image document bounds it (pixels over the sanitised resolution), drawn at
 * req->dpi. So a 300 dpi A4 scan and a 204 x 98 dpi fax page (whose pixels are
 * twice as tall as wide) both come out as A4 pages of square pixels. Lanes and
 * batches as for a PDF. MuPDF 1.21's public API reads a page's size only by
 * decoding it, so the decode comes before the size check; the allocator cap
 * (mupdf_memory) is what bounds that decode.
 */
static void
render_tiff_pages(fz_context *ctx, const uint8_t *data, size_t len, struct render_job *job)
{
	const struct render_request *req = job->req;
	fz_pixmap *volatile src = NULL, *volatile pix = NULL;
	fz_image *volatile img = NULL;
	uint32_t step = req->page_step > 1 ? req->page_step : 1;

	fz_try(ctx) {
		int n, i;

		n = fz_load_tiff_subimage_count(ctx, data, len);
		if (!pages_to_render(job, n, step))
			break;
		for (i = (int)req->first_page; i < n; i += (int)step) {
			int xres, yres;
			int64_t w, h;

			src = fz_load_tiff_subimage(ctx, data, len, i);
			if (!size_ok(src->w, src->h, &req->lim)) {
				job->result = RENDER_EXIT_LIMITS;
				break;
			}
			img = fz_new_image_from_pixmap(ctx, src, NULL);
			fz_drop_pixmap(ctx, src);
			src = NULL;
			fz_image_resolution(img, &xres, &yres);
			/* At least a pixel: a thumbnail-sized page is small, not an error. */
			w = ((int64_t)img->w * req->dpi + xres / 2) / xres;
			h = ((int64_t)img->h * req->dpi + yres / 2) / yres;
			w = w > 0 ? w : 1;
			h = h > 0 ? h : 1;
			if (!size_ok(w, h, &req->lim)) {
				job->result = RENDER_EXIT_LIMITS;
				break;
			}
			if (batch_full(job, w, h))
				break;
			pix = image_on_white(ctx, img, (int)w, (int)h, fz_scale((float)w, (float)h));
			fz_drop_image(ctx, img);
			img = NULL;
			if (emit_page(ctx, job, pix) != 0)
				break;
			fz_drop_pixmap(ctx, pix);
			pix = NULL;
		}
	}
	fz_always(ctx) {
		fz_drop_pixmap(ctx, pix);
		fz_drop_image(ctx, img);
		fz_drop_pixmap(ctx, src);
	}
	fz_catch(ctx) {
		job->result = fz_caught(ctx) == FZ_ERROR_MEMORY ? RENDER_EXIT_LIMITS
								 : RENDER_EXIT_BROKEN;
	}
}

/* ---- the child's entry point ---- */

int
render_child(int out_fd, int in_fd, void *arg)
{
	const struct render_request *req = arg;
	struct capped cap = { 0, req->lim.mupdf_memory };
	fz_alloc_context alloc = { &cap, capped_malloc, capped_realloc, capped_free };
	struct pixels_writer w;
	struct render_job job = { .req = req, .w = &w, .result = RENDER_EXIT_BROKEN };
	fz_context *ctx;
	fz_stream *volatile stm = NULL;
	fz_buffer *volatile buf = NULL;
	uint8_t *data;
	size_t len;
	int rc;

	if (!render_supports(req->type) || req->dpi < RENDER_MIN_DPI || req->dpi > RENDER_MAX_DPI ||
	    req->page_step > req->lim.max_pages)
		return !render_supports(req->type) ? RENDER_EXIT_UNSUPPORTED
						   : RENDER_EXIT_BAD_REQUEST;
	if ((rc = read_input(in_fd, req->lim.max_input, &data, &len)) != RENDER_EXIT_OK)
		return rc;
	if (req->type == DETECT_PNG && !png_header_ok(data, len, &req->lim)) {
		free(data);
		return RENDER_EXIT_LIMITS;
	}
	/* WebP and HEIF: their own decoders (photo.h), MuPDF 1.21 has none. */
	if (req->type == DETECT_WEBP || req->type == DETECT_HEIC) {
		pixels_writer_init(&w, out_fd);
		rc = req->type == DETECT_WEBP ? photo_webp(data, len, &req->lim, &w)
					      : photo_heif(data, len, &req->lim, &w);
		free(data);
		if (rc == RENDER_EXIT_OK && pixels_writer_finish(&w) != 0)
			rc = RENDER_EXIT_IO;
		return rc;
	}
	/* No store: every object is dropped as soon as it is used, so the cap bounds
	 * the working set of one page. */
	if ((ctx = fz_new_context(&alloc, NULL, 0)) == NULL) {
		free(data);
		return RENDER_EXIT_LIMITS;
	}
	fz_set_error_callback(ctx, quiet, NULL);
	fz_set_warning_callback(ctx, quiet, NULL);
	pixels_writer_init(&w, out_fd);
	fz_try(ctx) {
		if (req->type == DETECT_PDF) {
			stm = fz_open_memory(ctx, data, len);
			render_pdf(ctx, stm, &job);
		} else if (req->type == DETECT_TIFF && req->tiff_pages) {
			render_tiff_pages(ctx, data, len, &job);
		} else {
			buf = fz_new_buffer_from_shared_data(ctx, data, len);
			render_image(ctx, buf, &job);
		}
	}
	fz_always(ctx) {
		fz_drop_stream(ctx, stm);
		fz_drop_buffer(ctx, buf);
	}
	fz_catch(ctx) {
		job.result = RENDER_EXIT_BROKEN;
	}
	fz_drop_context(ctx);
	free(data);
	if (job.result == RENDER_EXIT_OK || job.result == RENDER_EXIT_MORE) {
		if (w.frames == 0 && !job.empty_ok)
			return RENDER_EXIT_BROKEN;
		if (pixels_writer_finish(&w) != 0)
			return RENDER_EXIT_IO;
	}
	return job.result;
}
