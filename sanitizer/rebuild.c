/*
 * rebuild.c — PNG and JPEG written from a checked pixel stream, and the buffer, the
 * encoders and the object printer that the PDF's files (rebuild_page.c,
 * rebuild_pdf.c, rebuild_text.c) share.
 *
 * The invariant: every byte of the output is produced by an encoder from pixel
 * values or by a fixed template with integers in it; nothing is copied from anywhere
 * else. libpng writes IHDR, IDAT and IEND only (no text, time, gamma or ICC chunk is
 * ever set); libjpeg a JFIF header, its tables and one frame. Encoders that longjmp
 * on error (libpng, libjpeg) are confined to one function each, whose locals that
 * live across the jump are volatile.
 */
#include "rebuild_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <libdeflate.h>
#include <png.h>
#include <zlib.h>

const char *
rebuild_strerror(int rc)
{
	switch (rc) {
	case REBUILD_OK:	return "ok";
	case REBUILD_ENOMEM:	return "out of memory";
	case REBUILD_EENCODE:	return "encoder failed";
	case REBUILD_EFRAMES:	return "an image stream must have exactly one frame";
	case REBUILD_ETEXT:	return "a text layer that fits no page";
	}
	return rc < 0 && rc >= PIXELS_ESTATE ? pixels_strerror(rc) : "unknown error";
}

const char *
rebuild_encoding_name(enum rebuild_encoding e)
{
	switch (e) {
	case REBUILD_ENC_FLATE_GREY:	return "flate-grey4";
	case REBUILD_ENC_FLATE_GREY2:	return "flate-grey2";
	case REBUILD_ENC_FLATE_RGB:	return "flate-rgb4";
	case REBUILD_ENC_JPEG_GREY:	return "jpeg-grey";
	case REBUILD_ENC_JPEG_RGB:	return "jpeg-rgb";
	}
	return "unknown";
}

#define REBUILD_STR2(x) #x
#define REBUILD_STR(x) REBUILD_STR2(x)

/* imagepdf/2: the OCR text layer written in the page's pixels (rebuild_text.c); the same
 * boxes as /1 wrote in points, in fewer bytes. */
const char *
rebuild_engine_version(void)
{
	return "sekisho-imagepdf/2 libdeflate/" LIBDEFLATE_VERSION_STRING " zlib/" ZLIB_VERSION
	    " libjpeg-turbo/" REBUILD_STR(LIBJPEG_TURBO_VERSION) " libpng/" PNG_LIBPNG_VER_STRING;
}

void
rebuild_buf_free(struct rebuild_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
rebuild_buf_append(struct rebuild_buf *b, const void *data, size_t len)
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

/* ---- PNG ---- */

static void
png_write_cb(png_structp png, png_bytep data, png_size_t len)
{
	struct rebuild_buf *out = png_get_io_ptr(png);

	if (rebuild_buf_append(out, data, len) != REBUILD_OK)
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
	return rebuild_png_encode_level(h, px, Z_DEFAULT_COMPRESSION, out);
}

int
rebuild_png_encode_level(const struct pixels_header *h, const uint8_t *px, int zlevel,
			 struct rebuild_buf *out)
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
	png_set_compression_level(png, zlevel);
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

/* The one frame of a stream that must hold exactly one: *px malloc'd. */
static int
only_frame(struct pixels_reader *r, struct pixels_header *h, uint8_t **px)
{
	struct pixels_header extra;
	int rc;

	if ((rc = pixels_reader_next(r, h)) != 0)
		return rc == PIXELS_END ? REBUILD_EFRAMES : rc;
	if ((rc = read_frame(r, h, px)) != REBUILD_OK)
		return rc;
	if ((rc = pixels_reader_next(r, &extra)) != PIXELS_END) {
		free(*px);
		return rc == 0 ? REBUILD_EFRAMES : rc;
	}
	return REBUILD_OK;
}

int
rebuild_png(struct pixels_reader *r, struct rebuild_buf *out)
{
	struct pixels_header h;
	uint8_t *px;
	int rc;

	if ((rc = only_frame(r, &h, &px)) != REBUILD_OK)
		return rc;
	rc = rebuild_png_encode(&h, px, out);
	free(px);
	return rc;
}

int
rebuild_image(struct pixels_reader *r, struct rebuild_buf *out, int lossy_ok, int *jpeg)
{
	struct pixels_header h;
	unsigned char *mem = NULL;
	unsigned long memlen = 0;
	uint8_t *px;
	int rc;

	*jpeg = 0;
	if ((rc = only_frame(r, &h, &px)) != REBUILD_OK)
		return rc;
	if (!lossy_ok || !rebuild_is_photographic(px, h.width, h.height, h.channels)) {
		rc = rebuild_png_encode(&h, px, out);
	} else if ((rc = rebuild_jpeg_encode(&h, px, &mem, &memlen)) == REBUILD_OK) {
		rc = rebuild_buf_append(out, mem, memlen);
		*jpeg = rc == REBUILD_OK;
		free(mem);
	}
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
int
rebuild_jpeg_encode(const struct pixels_header *h, const uint8_t *px, unsigned char **out,
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
	/* Huffman tables made for this image rather than the standard's examples: still
	 * baseline JPEG that every reader decodes, 2-3 % smaller on a scanned page and
	 * 15 % on a phone photo (1.80 -> 1.52 MB for 12 Mpx), for a second pass over the
	 * coefficients (6 ms a page). Progressive would save 8 % more on a scan, but
	 * at 20-27 ms more a page, where a scanned page's whole budget is 50 ms. */
	c.optimize_coding = TRUE;
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

/* libdeflate rather than zlib's deflate: the same zlib stream (a PDF reader's
 * FlateDecode), slightly smaller, and 2-3.5 times faster at the same level on our
 * pages (a 40 x 36 Japanese page: 9.6 ms against 32 ms at 4 bits). The compressor is
 * the page's own, so pages still encode on several threads at once. */
int
rebuild_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(REBUILD_FLATE_LEVEL);
	size_t cap, n;
	uint8_t *p;

	if (c == NULL)
		return REBUILD_ENOMEM;
	cap = libdeflate_zlib_compress_bound(c, len);
	if ((p = malloc(cap)) == NULL) {
		libdeflate_free_compressor(c);
		return REBUILD_ENOMEM;
	}
	n = libdeflate_zlib_compress(c, in, len, p, cap);
	libdeflate_free_compressor(c);
	if (n == 0) {		/* cannot happen with the bound's room */
		free(p);
		return REBUILD_EENCODE;
	}
	*out = p;
	*outlen = n;
	return REBUILD_OK;
}

int
rebuild_emit(struct rebuild_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return REBUILD_EENCODE;
	return rebuild_buf_append(b, tmp, (size_t)n);
}

/* obj as a Flate stream of data, with extra entries in its dictionary. */
int
rebuild_emit_flate(struct rebuild_buf *out, uint32_t obj, const char *extra, const uint8_t *data,
    size_t len)
{
	uint8_t *z;
	size_t zlen;
	int rc;

	if ((rc = rebuild_deflate(data, len, &z, &zlen)) != REBUILD_OK)
		return rc;
	rc = rebuild_emit(out, "%u 0 obj\n<< /Filter /FlateDecode /Length %zu%s >>\nstream\n", obj,
		  zlen, extra);
	if (rc == REBUILD_OK)
		rc = rebuild_buf_append(out, z, zlen);
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "\nendstream\nendobj\n");
	free(z);
	return rc;
}
