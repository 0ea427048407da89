/*
 * rebuild.c — PNG and PDF written from a checked pixel stream.
 *
 * The invariant: every byte of the output is produced by an encoder from pixel
 * values; nothing is copied from anywhere else. libpng writes IHDR, IDAT and IEND
 * only (no text, time, gamma or ICC chunk is ever set). The PDF is cairo's: one
 * image XObject per page, painted to cover the page — cairo writes no action, no
 * annotation, no form, no outline, no JavaScript, and it chooses DeviceGray on its
 * own for an image with no colour. Why cairo rather than MuPDF's writer in the
 * parent: its PDF surface is a writer only (there is no PDF parser behind it), it
 * is a small, widely used API, and it embeds a JPEG we give it as /DCTDecode
 * without recompressing (CAIRO_MIME_TYPE_JPEG), so choosing the encoding per page
 * is ours. Encoders that longjmp on error (libpng, libjpeg) are confined to one
 * function each, whose locals that live across the jump are volatile.
 */
#include "rebuild.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <jpeglib.h>
#include <png.h>

#define REBUILD_PHOTO_DOMINANT 0.5	/* the most common value's share below which... */

const char *
rebuild_strerror(int rc)
{
	switch (rc) {
	case REBUILD_OK:	return "ok";
	case REBUILD_ENOMEM:	return "out of memory";
	case REBUILD_EENCODE:	return "encoder failed";
	case REBUILD_EFRAMES:	return "an image stream must have exactly one frame";
	}
	return rc < 0 && rc >= PIXELS_ESTATE ? pixels_strerror(rc) : "unknown error";
}

const char *
rebuild_encoding_name(enum rebuild_encoding e)
{
	switch (e) {
	case REBUILD_ENC_FLATE_GREY:	return "flate-grey";
	case REBUILD_ENC_FLATE_RGB:	return "flate-rgb";
	case REBUILD_ENC_JPEG_GREY:	return "jpeg-grey";
	case REBUILD_ENC_JPEG_RGB:	return "jpeg-rgb";
	}
	return "unknown";
}

const char *
rebuild_engine_version(void)
{
	return cairo_version_string();
}

void
rebuild_buf_free(struct rebuild_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
buf_append(struct rebuild_buf *b, const void *data, size_t len)
{
	if (len > b->cap - b->len) {
		size_t ncap = b->cap ? b->cap : 64 * 1024;
		uint8_t *p;

		while (ncap - b->len < len) {
			if (ncap > SIZE_MAX / 2)
				return REBUILD_ENOMEM;
			ncap *= 2;
		}
		if ((p = realloc(b->p, ncap)) == NULL)
			return REBUILD_ENOMEM;
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return REBUILD_OK;
}

int
rebuild_is_photographic(const uint8_t *px, uint32_t w, uint32_t h, unsigned channels)
{
	uint64_t hist[256] = { 0 }, n = (uint64_t)w * h, top = 0;
	size_t i;

	if (n == 0)
		return 0;
	if (channels == 1) {
		for (i = 0; i < n; i++)
			hist[px[i]]++;
	} else {
		for (i = 0; i < n; i++, px += 3)
			hist[(77u * px[0] + 150u * px[1] + 29u * px[2]) >> 8]++;
	}
	for (i = 0; i < 256; i++)
		if (hist[i] > top)
			top = hist[i];
	return (double)top < REBUILD_PHOTO_DOMINANT * (double)n;
}

/* ---- PNG ---- */

static void
png_write_cb(png_structp png, png_bytep data, png_size_t len)
{
	struct rebuild_buf *out = png_get_io_ptr(png);

	if (buf_append(out, data, len) != REBUILD_OK)
		png_error(png, "out of memory");
}

static void
png_flush_cb(png_structp png)
{
	(void)png;
}

static void
png_warn_cb(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

int
rebuild_png_encode(const struct pixels_header *h, const uint8_t *px, struct rebuild_buf *out)
{
	png_structp png;
	png_infop info = NULL;
	size_t stride = pixels_row_bytes(h);
	volatile size_t start = out->len;
	uint32_t y;

	if ((png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, png_warn_cb)) == NULL)
		return REBUILD_ENOMEM;
	if ((info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return REBUILD_ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		out->len = start;
		return REBUILD_EENCODE;
	}
	png_set_write_fn(png, out, png_write_cb, png_flush_cb);
	png_set_IHDR(png, info, h->width, h->height, 8,
		     h->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h->height; y++)
		png_write_row(png, px + (size_t)y * stride);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return REBUILD_OK;
}

/* The next frame's pixels, read whole (limits were checked by the reader). */
static int
read_frame(struct pixels_reader *r, const struct pixels_header *h, uint8_t **out)
{
	size_t stride = pixels_row_bytes(h);
	uint8_t *px = malloc(stride * h->height);
	uint32_t y;
	int rc;

	if (px == NULL)
		return REBUILD_ENOMEM;
	for (y = 0; y < h->height; y++) {
		if ((rc = pixels_reader_row(r, px + (size_t)y * stride)) != 0) {
			free(px);
			return rc < 0 ? rc : PIXELS_ETRUNCATED;
		}
	}
	*out = px;
	return REBUILD_OK;
}

int
rebuild_png(struct pixels_reader *r, struct rebuild_buf *out)
{
	struct pixels_header h, extra;
	uint8_t *px;
	int rc;

	if ((rc = pixels_reader_next(r, &h)) != 0)
		return rc == PIXELS_END ? REBUILD_EFRAMES : rc;
	if ((rc = read_frame(r, &h, &px)) != REBUILD_OK)
		return rc;
	if ((rc = pixels_reader_next(r, &extra)) != PIXELS_END) {
		free(px);
		return rc == 0 ? REBUILD_EFRAMES : rc;
	}
	rc = rebuild_png_encode(&h, px, out);
	free(px);
	return rc;
}

/* ---- JPEG (for photographic PDF pages) ---- */

struct jpeg_err {
	struct jpeg_error_mgr mgr;
	jmp_buf jmp;
};

static void
jpeg_fail(j_common_ptr cinfo)
{
	longjmp(((struct jpeg_err *)cinfo->err)->jmp, 1);
}

static void
jpeg_quiet(j_common_ptr cinfo, int level)
{
	(void)cinfo;
	(void)level;
}

/* JPEG of the pixels in a malloc'd buffer (libjpeg-turbo's jpeg_mem_dest). */
static int
jpeg_encode(const struct pixels_header *h, const uint8_t *px, unsigned char **out,
    unsigned long *outlen)
{
	struct jpeg_compress_struct c;
	struct jpeg_err err;
	unsigned char *volatile mem = NULL;
	unsigned long memlen = 0;
	size_t stride = pixels_row_bytes(h);
	JSAMPROW row;

	c.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jpeg_fail;
	err.mgr.emit_message = jpeg_quiet;
	if (setjmp(err.jmp)) {
		jpeg_destroy_compress(&c);
		free(mem);
		return REBUILD_EENCODE;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, (unsigned char **)&mem, &memlen);
	c.image_width = h->width;
	c.image_height = h->height;
	c.input_components = h->channels;
	c.in_color_space = h->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, REBUILD_JPEG_QUALITY, TRUE);
	c.write_JFIF_header = TRUE;
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		row = (JSAMPROW)(px + (size_t)c.next_scanline * stride);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*out = mem;
	*outlen = memlen;
	return REBUILD_OK;
}

/* ---- PDF ---- */

struct rebuild_pdf {
	cairo_surface_t *surface;
	cairo_t *cr;
	struct rebuild_buf out;
	unsigned dpi;
	uint32_t pages;
	int failed;		/* the write callback ran out of memory */
};

static cairo_status_t
pdf_write_cb(void *closure, const unsigned char *data, unsigned int len)
{
	struct rebuild_pdf *pdf = closure;

	if (buf_append(&pdf->out, data, len) != REBUILD_OK) {
		pdf->failed = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

struct rebuild_pdf *
rebuild_pdf_new(unsigned dpi)
{
	struct rebuild_pdf *pdf = calloc(1, sizeof(*pdf));

	if (pdf == NULL || dpi == 0) {
		free(pdf);
		return NULL;
	}
	pdf->dpi = dpi;
	/* A4 until the first page says otherwise. */
	pdf->surface = cairo_pdf_surface_create_for_stream(pdf_write_cb, pdf, 595.0, 842.0);
	if (cairo_surface_status(pdf->surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(pdf->surface);
		free(pdf);
		return NULL;
	}
	cairo_pdf_surface_restrict_to_version(pdf->surface, CAIRO_PDF_VERSION_1_5);
	/* Fixed values rather than cairo's defaults (which include the time). */
	cairo_pdf_surface_set_metadata(pdf->surface, CAIRO_PDF_METADATA_CREATOR,
				       "Sekisho sanitizer");
	pdf->cr = cairo_create(pdf->surface);
	if (cairo_status(pdf->cr) != CAIRO_STATUS_SUCCESS) {
		rebuild_pdf_free(pdf);
		return NULL;
	}
	return pdf;
}

void
rebuild_pdf_free(struct rebuild_pdf *pdf)
{
	if (pdf == NULL)
		return;
	cairo_destroy(pdf->cr);
	cairo_surface_destroy(pdf->surface);
	rebuild_buf_free(&pdf->out);
	free(pdf);
}

uint32_t
rebuild_pdf_pages(const struct rebuild_pdf *pdf)
{
	return pdf->pages;
}

/* The pixels in a cairo RGB24 image (cairo has no 8-bit grey format; its PDF
 * surface writes grey images as DeviceGray all the same). */
static cairo_surface_t *
image_surface(const struct pixels_header *h, const uint8_t *px)
{
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)h->width,
							  (int)h->height);
	size_t stride_in = pixels_row_bytes(h);
	unsigned char *data;
	int stride;
	uint32_t x, y;

	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		return NULL;
	}
	cairo_surface_flush(img);
	data = cairo_image_surface_get_data(img);
	stride = cairo_image_surface_get_stride(img);
	for (y = 0; y < h->height; y++) {
		const uint8_t *s = px + (size_t)y * stride_in;
		uint32_t *d = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);

		if (h->channels == 1)
			for (x = 0; x < h->width; x++)
				d[x] = (uint32_t)s[x] << 16 | (uint32_t)s[x] << 8 | s[x];
		else
			for (x = 0; x < h->width; x++, s += 3)
				d[x] = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
	}
	cairo_surface_mark_dirty(img);
	return img;
}

int
rebuild_pdf_add_page(struct rebuild_pdf *pdf, const struct pixels_header *h,
    const uint8_t *px, enum rebuild_encoding *enc)
{
	double scale = 72.0 / pdf->dpi;
	cairo_surface_t *img;
	unsigned char *jpeg = NULL;
	unsigned long jpeg_len = 0;
	int photo = rebuild_is_photographic(px, h->width, h->height, h->channels), rc;

	if ((img = image_surface(h, px)) == NULL)
		return REBUILD_ENOMEM;
	if (photo) {
		if ((rc = jpeg_encode(h, px, &jpeg, &jpeg_len)) != REBUILD_OK) {
			cairo_surface_destroy(img);
			return rc;
		}
		/* cairo owns the JPEG from here and embeds it as /DCTDecode. */
		if (cairo_surface_set_mime_data(img, CAIRO_MIME_TYPE_JPEG, jpeg, jpeg_len,
						free, jpeg) != CAIRO_STATUS_SUCCESS) {
			free(jpeg);
			cairo_surface_destroy(img);
			return REBUILD_ENOMEM;
		}
	}
	cairo_pdf_surface_set_size(pdf->surface, h->width * scale, h->height * scale);
	cairo_save(pdf->cr);
	cairo_scale(pdf->cr, scale, scale);
	cairo_set_source_surface(pdf->cr, img, 0, 0);
	cairo_paint(pdf->cr);
	cairo_restore(pdf->cr);
	cairo_show_page(pdf->cr);
	cairo_surface_destroy(img);
	if (pdf->failed)
		return REBUILD_ENOMEM;
	if (cairo_status(pdf->cr) != CAIRO_STATUS_SUCCESS)
		return REBUILD_EENCODE;
	pdf->pages++;
	if (enc != NULL)
		*enc = photo ? (h->channels == 1 ? REBUILD_ENC_JPEG_GREY : REBUILD_ENC_JPEG_RGB)
			     : (h->channels == 1 ? REBUILD_ENC_FLATE_GREY : REBUILD_ENC_FLATE_RGB);
	return REBUILD_OK;
}

/* True when an RGB frame has no pixel with colour: it is then made grey. */
static int
rgb_is_grey(const uint8_t *px, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, px += 3)
		if (px[0] != px[1] || px[1] != px[2])
			return 0;
	return 1;
}

int
rebuild_pdf_add_stream(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t *pages)
{
	struct pixels_header h;
	uint8_t *px;
	int rc;

	for (;;) {
		if ((rc = pixels_reader_next(r, &h)) != 0)
			return rc == PIXELS_END ? REBUILD_OK : rc;
		if ((rc = read_frame(r, &h, &px)) != REBUILD_OK)
			return rc;
		if (h.channels == 3 && rgb_is_grey(px, (size_t)h.width * h.height)) {
			size_t i, n = (size_t)h.width * h.height;

			for (i = 0; i < n; i++)
				px[i] = px[3 * i];
			h.channels = 1;
		}
		rc = rebuild_pdf_add_page(pdf, &h, px, NULL);
		free(px);
		if (rc != REBUILD_OK)
			return rc;
		if (pages != NULL)
			(*pages)++;
	}
}

int
rebuild_pdf_finish(struct rebuild_pdf *pdf, struct rebuild_buf *out)
{
	int rc = REBUILD_OK;

	cairo_destroy(pdf->cr);
	pdf->cr = NULL;
	cairo_surface_finish(pdf->surface);
	if (pdf->failed)
		rc = REBUILD_ENOMEM;
	else if (cairo_surface_status(pdf->surface) != CAIRO_STATUS_SUCCESS)
		rc = REBUILD_EENCODE;
	else if (out->len == 0) {
		rebuild_buf_free(out);
		*out = pdf->out;	/* handed over, not copied */
		memset(&pdf->out, 0, sizeof(pdf->out));
	} else
		rc = buf_append(out, pdf->out.p, pdf->out.len);
	rebuild_pdf_free(pdf);
	return rc;
}
