/*
 * rebuild.c — PNG and PDF written from a checked pixel stream.
 *
 * The invariant: every byte of the output is produced by an encoder from pixel
 * values or by a fixed template with integers in it; nothing is copied from anywhere
 * else. libpng writes IHDR, IDAT and IEND only (no text, time, gamma or ICC chunk is
 * ever set). The PDF is our own writer's (see "the document" below): one image
 * XObject per page, painted to cover the page, and nothing else — it can write no
 * action, annotation, form, outline, attachment or script because it has no
 * template for any. Why our own rather than cairo's PDF surface (used before): for
 * image-only pages the writer is ~150 lines with no parser behind it, and it lets
 * us write 4- and 2-bit grey, which cairo cannot (it expands every image to 8 bits
 * and deflates it at its own level, which cost a third of the time and 2.5 times
 * the size of a text page). Encoders that longjmp on error (libpng, libjpeg) are
 * confined to one function each, whose locals that live across the jump are
 * volatile. Page encoding keeps no state outside its page, so pages are encoded on
 * several threads at once.
 *
 * The OCR text layer (rebuild_pdf_set_text) keeps to the same rule: its content
 * stream is operators from a template with numbers in it, and the text itself is
 * written as hexadecimal character ids, never as a PDF string; the one font is a
 * fixed glyphless one, and the ToUnicode CMap lists ids and code points in hex.
 */
#include "rebuild.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <libdeflate.h>
#include <png.h>
#include <zlib.h>

#include "histogram.h"

#define REBUILD_PHOTO_DOMINANT	0.5	/* the most common luma's share below which a
					 * page is photographic */
#define REBUILD_CMAP_CHUNK	100	/* bfchar entries per block, as the CMap spec caps */

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

/* imagepdf/2: the OCR text layer written in the page's pixels (text_ops); the same
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

/* The luma of an RGB pixel (ITU-R BT.601's weights, as JPEG's YCbCr), in integers. */
static unsigned
luma(const uint8_t *p)
{
	return (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8;
}

/* The histogram of n pixels' grey (their luma, for RGB). Four histograms summed at
 * the end, so that a run of one value (a white page) does not make every increment
 * wait for the one before it. */
static void
luma_histogram(const uint8_t *px, uint64_t n, unsigned channels, uint64_t hist[256])
{
	uint32_t part[4][256];
	uint64_t i;

	memset(part, 0, sizeof part);
	if (channels == 1) {
		for (i = 0; i + 4 <= n; i += 4) {
			part[0][px[i]]++;
			part[1][px[i + 1]]++;
			part[2][px[i + 2]]++;
			part[3][px[i + 3]]++;
		}
		for (; i < n; i++)
			part[0][px[i]]++;
	} else {
		for (i = 0; i < n; i++, px += 3)
			part[i & 3][luma(px)]++;
	}
	for (i = 0; i < 256; i++)
		hist[i] = (uint64_t)part[0][i] + part[1][i] + part[2][i] + part[3][i];
}

/* rebuild_is_photographic, from the page's luma histogram. */
static int
photographic(const uint64_t hist[256], uint64_t n)
{
	uint64_t top = 0;
	unsigned v;

	for (v = 0; v < 256; v++)
		if (hist[v] > top)
			top = hist[v];
	return n > 0 && (double)top < REBUILD_PHOTO_DOMINANT * (double)n;
}

int
rebuild_is_photographic(const uint8_t *px, uint32_t w, uint32_t h, unsigned channels)
{
	uint64_t hist[256], n = (uint64_t)w * h;

	luma_histogram(px, n, channels, hist);
	return photographic(hist, n);
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

static int jpeg_encode(const struct pixels_header *h, const uint8_t *px, unsigned char **out,
		       unsigned long *outlen);

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
	} else if ((rc = jpeg_encode(&h, px, &mem, &memlen)) == REBUILD_OK) {
		rc = buf_append(out, mem, memlen);
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

/* ---- encoding one page (thread-safe: no shared state) ---- */

/* One page, encoded, waiting for its place in the document. */
struct page {
	uint8_t *data;		/* the image stream's bytes (NULL: slot empty) */
	size_t len;
	uint32_t width, height;
	uint8_t channels, bits;
	enum rebuild_encoding enc;
	struct ocr_page *text;	/* the OCR text layer, or NULL */
};

/* Paper, on a scanned page: see paper_levels. */
#define REBUILD_PAPER_MIN	160
#define REBUILD_PAPER_SPREAD	16
#define REBUILD_PAPER_SHARE	0.4
#define REBUILD_PAPER_MARGIN	12	/* ~3 standard deviations of a scanner's grain */
#define REBUILD_PAPER_TINT	24

/* The paper's colour on an RGB page whose paper has the luma mode: each channel's
 * median over the pixels of that luma, give or take REBUILD_PAPER_SPREAD, on every
 * fourth row: a page's paper is a million pixels, and a quarter of them has the
 * same median. None (n 0) gives black paper, which paper_levels refuses. */
static void
paper_colour(const struct pixels_header *h, const uint8_t *px, unsigned mode,
    unsigned paper[3])
{
	uint64_t chan[3][256] = { { 0 } }, n = 0;
	size_t stride = pixels_row_bytes(h);
	uint32_t x, y;
	unsigned c;

	for (y = 0; y < h->height; y += 4)
		for (x = 0; x < h->width; x++) {
			const uint8_t *p = px + (size_t)y * stride + (size_t)x * 3;
			unsigned v = luma(p);

			if (v + REBUILD_PAPER_SPREAD >= mode && v <= mode + REBUILD_PAPER_SPREAD) {
				for (c = 0; c < 3; c++)
					chan[c][p[c]]++;
				n++;
			}
		}
	for (c = 0; c < 3; c++)
		paper[c] = histogram_median(chan[c], n);
}

/* Whether a page has paper: one bright tone (a luma of at least REBUILD_PAPER_MIN)
 * that REBUILD_PAPER_SHARE of the pixels lie within REBUILD_PAPER_SPREAD of (hist is
 * the page's luma histogram), and on a colour page a near-neutral one (its channels'
 * medians within REBUILD_PAPER_TINT of each other: white, grey or cream paper, not a
 * coloured form or a pale sky). If so, lut[c] makes channel c white from
 * REBUILD_PAPER_MARGIN below the paper's up and stretches the darker tones to fill
 * the range. Grain on the paper is what makes a scan large as JPEG; a scanner's own
 * background removal does the same. On a colour page each channel is levelled to
 * its own paper, which takes the paper's tint away too: the benchmark's colour scan
 * is 354 KB a page as is, 303 KB levelled (its grey scan 290 KB). */
static int
paper_levels(const struct pixels_header *h, const uint8_t *px, const uint64_t hist[256],
    uint8_t lut[3][256])
{
	uint64_t n = (uint64_t)h->width * h->height, near = 0;
	unsigned mode = 0, v, c, paper[3], lo, hi;

	for (v = 1; v < 256; v++)
		if (hist[v] > hist[mode])
			mode = v;
	if (mode < REBUILD_PAPER_MIN || mode == 255)
		return 0;
	for (v = mode - REBUILD_PAPER_SPREAD; v <= mode + REBUILD_PAPER_SPREAD && v < 256; v++)
		near += hist[v];
	if ((double)near < REBUILD_PAPER_SHARE * (double)n)
		return 0;
	paper[0] = paper[1] = paper[2] = mode;
	if (h->channels == 3) {
		paper_colour(h, px, mode, paper);
		lo = paper[0] < paper[1] ? paper[0] : paper[1];
		lo = lo < paper[2] ? lo : paper[2];
		hi = paper[0] > paper[1] ? paper[0] : paper[1];
		hi = hi > paper[2] ? hi : paper[2];
		if (hi - lo > REBUILD_PAPER_TINT || lo <= REBUILD_PAPER_MARGIN)
			return 0;
	}
	for (c = 0; c < h->channels; c++) {
		unsigned white = paper[c] - REBUILD_PAPER_MARGIN;

		for (v = 0; v < 256; v++)
			lut[c][v] = (uint8_t)(v >= white ? 255 : v * 255 / white);
	}
	return 1;
}

/* px with its paper made white by lut (paper_levels), in a new buffer; NULL out of
 * memory. */
static uint8_t *
levelled(const struct pixels_header *h, const uint8_t *px, uint8_t lut[3][256])
{
	size_t n = (size_t)h->width * h->height, i;
	uint8_t *out = malloc(n * h->channels);

	if (out == NULL)
		return NULL;
	if (h->channels == 1) {
		for (i = 0; i < n; i++)
			out[i] = lut[0][px[i]];
	} else {
		for (i = 0; i < 3 * n; i += 3) {
			out[i] = lut[0][px[i]];
			out[i + 1] = lut[1][px[i + 1]];
			out[i + 2] = lut[2][px[i + 2]];
		}
	}
	return out;
}

static int
encode_jpeg_page(const struct pixels_header *h, const uint8_t *px, const uint64_t hist[256],
    struct page *pg)
{
	unsigned char *jpeg = NULL;
	unsigned long jpeg_len = 0;
	uint8_t *level = NULL, lut[3][256];
	int rc;

	if (paper_levels(h, px, hist, lut)) {
		if ((level = levelled(h, px, lut)) == NULL)
			return REBUILD_ENOMEM;
		px = level;
	}
	rc = jpeg_encode(h, px, &jpeg, &jpeg_len);
	free(level);
	if (rc != REBUILD_OK)
		return rc;
	pg->data = jpeg;
	pg->len = jpeg_len;
	pg->bits = 8;
	pg->enc = h->channels == 1 ? REBUILD_ENC_JPEG_GREY : REBUILD_ENC_JPEG_RGB;
	return REBUILD_OK;
}

/* Samples of px at bits per sample (4 or 2), each row starting on a byte as PDF
 * wants it, rounded to the nearest level; a PDF reader maps level q back to
 * q * 255 / (2^bits - 1), so 0 and 255 stay exact. */
static void
pack_samples(const struct pixels_header *h, const uint8_t *px, unsigned bits, uint8_t *out,
    size_t out_stride)
{
	size_t in_stride = pixels_row_bytes(h), x;
	unsigned levels = (1u << bits) - 1, v, per = 8 / bits;
	uint8_t lut[256];
	uint32_t y;

	for (v = 0; v < 256; v++)
		lut[v] = (uint8_t)((v * levels + 127) / 255);
	for (y = 0; y < h->height; y++) {
		const uint8_t *s = px + (size_t)y * in_stride;
		uint8_t *d = out + (size_t)y * out_stride;

		memset(d, 0, out_stride);
		if (bits == 4) {
			for (x = 0; x + 1 < in_stride; x += 2)
				d[x / 2] = (uint8_t)(lut[s[x]] << 4 | lut[s[x + 1]]);
			if (x < in_stride)
				d[x / 2] = (uint8_t)(lut[s[x]] << 4);
		} else {
			for (x = 0; x < in_stride; x++)
				d[x / per] |= (uint8_t)(lut[s[x]] << (bits * (per - 1 - x % per)));
		}
	}
}

/* libdeflate rather than zlib's deflate: the same zlib stream (a PDF reader's
 * FlateDecode), slightly smaller, and 2-3.5 times faster at the same level on our
 * pages (a 40 x 36 Japanese page: 9.6 ms against 32 ms at 4 bits). The compressor is
 * the page's own, so pages still encode on several threads at once. */
static int
deflate_all(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
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

static int
encode_flat_page(const struct pixels_header *h, const uint8_t *px, struct page *pg)
{
	unsigned bits = 4;
	size_t stride, raw_len;
	uint8_t *raw;
	int rc;

	/* w * h * channels fits in memory already (the pixels are there), so this does
	 * not overflow; a page is far below 4 GiB. */
	stride = (pixels_row_bytes(h) * 4 + 7) / 8;
	raw_len = stride * h->height;
	if (raw_len > UINT32_MAX || (raw = malloc(raw_len)) == NULL)
		return REBUILD_ENOMEM;
	for (;;) {
		stride = (pixels_row_bytes(h) * bits + 7) / 8;
		pack_samples(h, px, bits, raw, stride);
		if ((rc = deflate_all(raw, stride * h->height, &pg->data, &pg->len)) != REBUILD_OK)
			break;
		if (bits == 2 || h->channels != 1 || pg->len <= REBUILD_FLAT_BUDGET)
			break;
		free(pg->data);		/* a dense page: 4 grey levels keep it readable */
		pg->data = NULL;
		bits = 2;
	}
	free(raw);
	if (rc != REBUILD_OK)
		return rc;
	pg->bits = (uint8_t)bits;
	pg->enc = h->channels == 3 ? REBUILD_ENC_FLATE_RGB
	    : bits == 4 ? REBUILD_ENC_FLATE_GREY : REBUILD_ENC_FLATE_GREY2;
	return REBUILD_OK;
}

static int
encode_page(const struct pixels_header *h, const uint8_t *px, struct page *pg)
{
	uint64_t hist[256];

	memset(pg, 0, sizeof(*pg));
	pg->width = h->width;
	pg->height = h->height;
	pg->channels = h->channels;
	luma_histogram(px, (uint64_t)h->width * h->height, h->channels, hist);
	if (photographic(hist, (uint64_t)h->width * h->height))
		return encode_jpeg_page(h, px, hist, pg);
	return encode_flat_page(h, px, pg);
}

/* ---- the document ---- */

/*
 * The writer emits only these objects, from fixed templates whose only variables
 * are integers: 1 the catalog (/Type /Catalog /Pages 2 0 R), 2 the page tree, and
 * for page i (from 0) object 3+3i the page (MediaBox, one image resource, contents),
 * 4+3i its contents ("q W 0 0 H 0 0 cm /Im0 Do Q", then the page's invisible text
 * if it has any), 5+3i the image XObject whose stream is encoder output of exactly
 * /Length bytes; if any page has text, six font objects after the last page (see
 * write_font). Then a classic xref table and trailer. No name, string or dictionary key is ever taken from the input, so there
 * is no way for an action, script, annotation, form or attachment to be written.
 */
struct rebuild_pdf {
	pthread_mutex_t lock;
	struct page *pages;	/* slots, by page index */
	uint32_t nslots;	/* allocated */
	uint32_t count;		/* highest filled index + 1 */
	uint32_t filled;	/* slots with a page */
	uint32_t texts;		/* pages with a text layer */
	unsigned dpi;
};

struct rebuild_pdf *
rebuild_pdf_new(unsigned dpi)
{
	struct rebuild_pdf *pdf;

	if (dpi == 0 || (pdf = calloc(1, sizeof(*pdf))) == NULL)
		return NULL;
	if (pthread_mutex_init(&pdf->lock, NULL) != 0) {
		free(pdf);
		return NULL;
	}
	pdf->dpi = dpi;
	return pdf;
}

void
rebuild_pdf_free(struct rebuild_pdf *pdf)
{
	uint32_t i;

	if (pdf == NULL)
		return;
	for (i = 0; i < pdf->nslots; i++) {
		free(pdf->pages[i].data);
		if (pdf->pages[i].text != NULL) {
			ocr_page_free(pdf->pages[i].text);
			free(pdf->pages[i].text);
		}
	}
	free(pdf->pages);
	pthread_mutex_destroy(&pdf->lock);
	free(pdf);
}

uint32_t
rebuild_pdf_pages(struct rebuild_pdf *pdf)
{
	uint32_t n;

	pthread_mutex_lock(&pdf->lock);
	n = pdf->filled;
	pthread_mutex_unlock(&pdf->lock);
	return n;
}

/* Give pg (its data is taken) the slot index. */
static int
put_page(struct rebuild_pdf *pdf, uint32_t index, struct page *pg)
{
	int rc = REBUILD_OK;

	pthread_mutex_lock(&pdf->lock);
	if (index >= REBUILD_MAX_PAGES) {
		rc = REBUILD_EFRAMES;
	} else if (index >= pdf->nslots) {
		uint32_t n = pdf->nslots ? pdf->nslots : 16;
		struct page *p;

		while (n <= index)
			n *= 2;
		if ((p = realloc(pdf->pages, n * sizeof(*p))) == NULL) {
			rc = REBUILD_ENOMEM;
		} else {
			memset(p + pdf->nslots, 0, (n - pdf->nslots) * sizeof(*p));
			pdf->pages = p;
			pdf->nslots = n;
		}
	}
	if (rc == REBUILD_OK && pdf->pages[index].data != NULL)
		rc = REBUILD_EFRAMES;		/* the same page twice */
	if (rc == REBUILD_OK) {
		pdf->pages[index] = *pg;
		pg->data = NULL;
		pdf->filled++;
		if (index + 1 > pdf->count)
			pdf->count = index + 1;
	}
	pthread_mutex_unlock(&pdf->lock);
	free(pg->data);
	pg->data = NULL;
	return rc;
}

int
rebuild_pdf_add_page(struct rebuild_pdf *pdf, const struct pixels_header *h,
    const uint8_t *px, enum rebuild_encoding *enc)
{
	struct page pg;
	uint32_t index;
	int rc;

	if ((rc = encode_page(h, px, &pg)) != REBUILD_OK)
		return rc;
	if (enc != NULL)
		*enc = pg.enc;
	pthread_mutex_lock(&pdf->lock);
	index = pdf->count;
	pthread_mutex_unlock(&pdf->lock);
	return put_page(pdf, index, &pg);
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
rebuild_pdf_add_stream_at(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t first,
    uint32_t step, uint32_t *pages)
{
	struct pixels_header h;
	uint8_t *px = NULL;
	size_t cap = 0, stride, need, i;
	uint32_t index = first, y;
	struct page pg;
	int rc;

	if (step == 0)
		return REBUILD_EFRAMES;
	for (;;) {
		if ((rc = pixels_reader_next(r, &h)) != 0) {
			rc = rc == PIXELS_END ? REBUILD_OK : rc;
			break;
		}
		/* One buffer for every frame of the stream: no fresh pages to fault in. */
		stride = pixels_row_bytes(&h);
		need = stride * h.height;
		if (need > cap) {
			free(px);
			if ((px = malloc(need)) == NULL) {
				rc = REBUILD_ENOMEM;
				break;
			}
			cap = need;
		}
		for (y = 0, rc = 0; y < h.height && rc == 0; y++)
			rc = pixels_reader_row(r, px + (size_t)y * stride);
		if (rc != 0) {
			rc = rc < 0 ? rc : PIXELS_ETRUNCATED;
			break;
		}
		if (h.channels == 3 && rgb_is_grey(px, (size_t)h.width * h.height)) {
			for (i = 0; i < (size_t)h.width * h.height; i++)
				px[i] = px[3 * i];
			h.channels = 1;
		}
		if ((rc = encode_page(&h, px, &pg)) != REBUILD_OK ||
		    (rc = put_page(pdf, index, &pg)) != REBUILD_OK)
			break;
		if (pages != NULL)
			(*pages)++;
		if (index > UINT32_MAX - step) {
			rc = REBUILD_EFRAMES;
			break;
		}
		index += step;
	}
	free(px);
	return rc;
}

int
rebuild_pdf_add_stream(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t *pages)
{
	uint32_t first;

	pthread_mutex_lock(&pdf->lock);
	first = pdf->count;
	pthread_mutex_unlock(&pdf->lock);
	return rebuild_pdf_add_stream_at(pdf, r, first, 1, pages);
}

static int __attribute__((format(printf, 2, 3)))
emit(struct rebuild_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return REBUILD_EENCODE;
	return buf_append(b, tmp, (size_t)n);
}

/* px * 72 / dpi points as "int.fff", without printf's locale-dependent %f. */
static void
points(uint32_t px, unsigned dpi, char *out, size_t len)
{
	uint64_t milli = ((uint64_t)px * 72000 + dpi / 2) / dpi;

	snprintf(out, len, "%llu.%03llu", (unsigned long long)(milli / 1000),
		 (unsigned long long)(milli % 1000));
}

/* ---- the OCR text layer ---- */

static int
box_fits(uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, const struct page *pg)
{
	return x0 < x1 && y0 < y1 && x1 <= pg->width && y1 <= pg->height;
}

int
rebuild_pdf_set_text(struct rebuild_pdf *pdf, uint32_t index, struct ocr_page *text)
{
	struct ocr_page *t = malloc(sizeof(*t));
	struct page *pg;
	uint32_t i;
	int rc = REBUILD_OK;

	if (t == NULL) {
		ocr_page_free(text);
		return REBUILD_ENOMEM;
	}
	*t = *text;
	memset(text, 0, sizeof(*text));
	pthread_mutex_lock(&pdf->lock);
	pg = index < pdf->nslots ? &pdf->pages[index] : NULL;
	if (pg == NULL || pg->data == NULL || pg->text != NULL || t->turns > 3)
		rc = REBUILD_ETEXT;
	for (i = 0; i < t->nlines && rc == REBUILD_OK; i++)
		if (!box_fits(t->lines[i].x0, t->lines[i].y0, t->lines[i].x1, t->lines[i].y1, pg) ||
		    t->lines[i].dir > OCR_DIR_UP)
			rc = REBUILD_ETEXT;
	for (i = 0; i < t->nwords && rc == REBUILD_OK; i++)
		if (!box_fits(t->words[i].x0, t->words[i].y0, t->words[i].x1, t->words[i].y1, pg) ||
		    t->words[i].line >= t->nlines ||
		    (i > 0 && t->words[i].line < t->words[i - 1].line))
			rc = REBUILD_ETEXT;
	if (rc == REBUILD_OK && t->nwords > 0) {
		pg->text = t;
		pdf->texts++;
		t = NULL;
	}
	pthread_mutex_unlock(&pdf->lock);
	if (t != NULL) {
		ocr_page_free(t);
		free(t);
	}
	return rc;
}

uint32_t
rebuild_pdf_text_pages(struct rebuild_pdf *pdf)
{
	uint32_t n;

	pthread_mutex_lock(&pdf->lock);
	n = pdf->texts;
	pthread_mutex_unlock(&pdf->lock);
	return n;
}

/* The character ids of a document: id i + 1 is code point cps[i] (sorted). */
struct cidmap {
	uint32_t *cps;
	uint32_t n;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every code point of every word, sorted and unique. REBUILD_ETEXT past
 * REBUILD_MAX_CIDS (two-byte ids under Identity-H, 0 being unused). */
static int
cid_table(const struct rebuild_pdf *pdf, struct cidmap *m)
{
	size_t total = 0, k = 0, off, n;
	uint32_t i, j, cp;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < pdf->count; i++)
		for (j = 0; pdf->pages[i].text != NULL && j < pdf->pages[i].text->nwords; j++)
			total += pdf->pages[i].text->words[j].len;
	if (total == 0)
		return REBUILD_OK;
	if ((m->cps = malloc(total * sizeof(*m->cps))) == NULL)
		return REBUILD_ENOMEM;
	for (i = 0; i < pdf->count; i++) {
		const struct ocr_page *t = pdf->pages[i].text;

		for (j = 0; t != NULL && j < t->nwords; j++) {
			const uint8_t *s = (const uint8_t *)t->text + t->words[j].off;

			for (off = 0; off < t->words[j].len; off += n) {
				if ((n = ocr_utf8_next(s + off, t->words[j].len - off, &cp)) == 0)
					break;	/* checked by ocr_parse: cannot happen */
				m->cps[k++] = cp;
			}
		}
	}
	qsort(m->cps, k, sizeof(*m->cps), cmp_u32);
	for (i = 0, j = 0; i < k; i++)
		if (j == 0 || m->cps[j - 1] != m->cps[i])
			m->cps[j++] = m->cps[i];
	m->n = j;
	if (m->n > REBUILD_MAX_CIDS) {
		free(m->cps);
		memset(m, 0, sizeof(*m));
		return REBUILD_ETEXT;
	}
	return REBUILD_OK;
}

static unsigned
cid_of(const struct cidmap *m, uint32_t cp)
{
	const uint32_t *p = bsearch(&cp, m->cps, m->n, sizeof(*m->cps), cmp_u32);

	return p != NULL ? (unsigned)(p - m->cps) + 1 : 0;
}

/* Japanese is written without spaces: between two such characters a gap in the
 * boxes must not become a space for a reader that infers spaces from gaps. */
static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x2e80 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xff00 && cp <= 0xffef) || (cp >= 0x20000 && cp <= 0x3ffff);
}

static uint32_t
first_cp(const struct ocr_page *t, const struct ocr_word *w)
{
	uint32_t cp = 0;

	(void)ocr_utf8_next((const uint8_t *)t->text + w->off, w->len, &cp);
	return cp;
}

static uint32_t
last_cp(const struct ocr_page *t, const struct ocr_word *w)
{
	const uint8_t *s = (const uint8_t *)t->text + w->off;
	size_t off = 0, n;
	uint32_t cp = 0, c;

	while (off < w->len && (n = ocr_utf8_next(s + off, w->len - off, &c)) != 0) {
		cp = c;
		off += n;
	}
	return cp;
}

/* value / 10^digits in the fewest characters ("175", "132.5"), without printf's
 * locale-dependent %f. */
static void
decimal_str(uint64_t value, unsigned digits, char *out, size_t len)
{
	uint64_t unit = 1;
	unsigned d;
	int n;

	for (d = 0; d < digits; d++)
		unit *= 10;
	n = snprintf(out, len, "%llu.%0*llu", (unsigned long long)(value / unit), (int)digits,
		     (unsigned long long)(value % unit));
	if (n <= 0 || (size_t)n >= len)
		return;
	while (out[n - 1] == '0')
		out[--n] = '\0';
	if (out[n - 1] == '.')
		out[n - 1] = '\0';
}

/*
 * The layer is written in the page's pixels (one cm scales them to points), so that
 * every position is a whole number: a line is a Tm at its first word and a Td from
 * word to word, each word's characters 1000 units wide (/DW) at the line's height
 * as font size, squeezed with Tz to span the word's box, baseline on the line's
 * bottom. The layer of a dense Japanese page deflates to 5.0 KB so, against 9.2 KB
 * in points with a Tm per word, for the same boxes (docs/sanitizer.md).
 *
 * Tesseract's boxes for Japanese overlap and gap; along a line each word starts
 * where the one before ended at the earliest and ends where the next begins at the
 * latest, so that the text keeps its reading order for a reader that sorts
 * characters by position, and CJK neighbours touch.
 *
 * A line whose text runs another way (ocr.h, OCR_DIR_*) is written the same way
 * turned: down (縦書き, or a page on its side) a quarter clockwise, its text running
 * down from its first word's top, the characters' tops to the right, the baseline
 * on the column's left edge and the column's width as font size; back (upside down)
 * a half turn, from its first word's right edge, the baseline on the line's top; up
 * a quarter anticlockwise, from its first word's bottom, the baseline on the
 * column's right edge. A reader then takes each line as one, in its own direction.
 */
struct along {
	uint32_t start, end;	/* a box's extent along a line, from where it begins */
};

static struct along
along_line(const struct page *pg, uint8_t dir, uint32_t x0, uint32_t y0, uint32_t x1,
    uint32_t y1)
{
	switch (dir) {
	case OCR_DIR_DOWN:
		return (struct along){ y0, y1 };
	case OCR_DIR_BACK:
		return (struct along){ pg->width - x1, pg->width - x0 };
	case OCR_DIR_UP:
		return (struct along){ pg->height - y1, pg->height - y0 };
	default:
		return (struct along){ x0, x1 };
	}
}

/* The text matrix that starts line ln at start along it (Tm's operands). */
static int
line_start(const struct page *pg, const struct ocr_line *ln, uint32_t start, const char *tz,
    struct rebuild_buf *b)
{
	switch (ln->dir) {
	case OCR_DIR_DOWN:
		return emit(b, "%s Tz 0 -1 1 0 %u %u Tm <", tz, ln->x0, pg->height - start);
	case OCR_DIR_BACK:
		return emit(b, "%s Tz -1 0 0 -1 %u %u Tm <", tz, pg->width - start,
			    pg->height - ln->y0);
	case OCR_DIR_UP:
		return emit(b, "%s Tz 0 1 -1 0 %u %u Tm <", tz, ln->x1, start);
	default:
		return emit(b, "%s Tz 1 0 0 1 %u %u Tm <", tz, start, pg->height - ln->y1);
	}
}

static int
text_ops(const struct page *pg, unsigned dpi, const struct cidmap *m, struct rebuild_buf *b)
{
	const struct ocr_page *t = pg->text;
	uint32_t i = 0, j, k;
	char scale[32];
	int rc;

	decimal_str((72000000ULL + dpi / 2) / dpi, 6, scale, sizeof scale);
	rc = emit(b, "q %s 0 0 %s 0 0 cm\nBT\n3 Tr\n", scale, scale);
	while (i < t->nwords && rc == REBUILD_OK) {
		const struct ocr_line *ln = &t->lines[t->words[i].line];
		int turned = ln->dir == OCR_DIR_DOWN || ln->dir == OCR_DIR_UP;
		uint32_t size = turned ? (uint32_t)(ln->x1 - ln->x0) : (uint32_t)(ln->y1 - ln->y0);
		uint32_t prev_end = 0, prev_x0 = 0;

		for (j = i; j < t->nwords && t->words[j].line == t->words[i].line; j++)
			;
		rc = emit(b, "/F1 %u Tf\n", size);
		for (k = i; k < j && rc == REBUILD_OK; k++) {
			const struct ocr_word *w = &t->words[k];
			const uint8_t *s = (const uint8_t *)t->text + w->off;
			const struct ocr_word *nw = k + 1 < j ? &t->words[k + 1] : NULL;
			struct along a = along_line(pg, ln->dir, w->x0, w->y0, w->x1, w->y1);
			uint32_t x0 = a.start > prev_end ? a.start : prev_end, x1 = a.end, cp, nch = 0;
			size_t off = 0, n;
			char tz[32], hex[8];

			/* x0 and x1 are along the line, whichever way it runs. */
			if (nw != NULL) {
				uint32_t next = along_line(pg, ln->dir, nw->x0, nw->y0, nw->x1,
							   nw->y1).start;

				if (next > x0 && (next < x1 ||
				    (is_cjk(last_cp(t, w)) && is_cjk(first_cp(t, nw)))))
					x1 = next;
			}
			if (x1 <= x0)
				x1 = x0 + 1;
			prev_end = x1;
			for (off = 0; off < w->len && (n = ocr_utf8_next(s + off, w->len - off, &cp)); off += n)
				nch++;
			decimal_str((uint64_t)(x1 - x0) * 100000 / ((uint64_t)nch * size), 3, tz,
				    sizeof tz);
			/* x0 only grows along a line: prev_end > prev_x0. */
			if (k == i)
				rc = line_start(pg, ln, x0, tz, b);
			else
				rc = emit(b, "%s Tz %u 0 Td <", tz, x0 - prev_x0);
			prev_x0 = x0;
			for (off = 0; rc == REBUILD_OK && off < w->len &&
			     (n = ocr_utf8_next(s + off, w->len - off, &cp)); off += n) {
				snprintf(hex, sizeof hex, "%04X", cid_of(m, cp));
				rc = buf_append(b, hex, 4);
			}
			if (rc == REBUILD_OK)
				rc = emit(b, "> Tj\n");
		}
		i = j;
	}
	return rc == REBUILD_OK ? emit(b, "ET\nQ\n") : rc;
}

/* "Version 1.0" GlyphLessFont: a TrueType font of two empty glyphs, Tesseract's own
 * for its text layers (tessdata/pdf.ttf, Apache-2.0), written as is. */
static const uint8_t glyphless_ttf[] = {
	0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x80, 0x00, 0x03, 0x00, 0x20,
	0x4f, 0x53, 0x2f, 0x32, 0x56, 0xde, 0xc8, 0x94, 0x00, 0x00, 0x01, 0x28,
	0x00, 0x00, 0x00, 0x60, 0x63, 0x6d, 0x61, 0x70, 0x00, 0x0a, 0x00, 0x34,
	0x00, 0x00, 0x01, 0x90, 0x00, 0x00, 0x00, 0x1e, 0x67, 0x6c, 0x79, 0x66,
	0x15, 0x22, 0x41, 0x24, 0x00, 0x00, 0x01, 0xb8, 0x00, 0x00, 0x00, 0x18,
	0x68, 0x65, 0x61, 0x64, 0x0b, 0x78, 0xf1, 0x65, 0x00, 0x00, 0x00, 0xac,
	0x00, 0x00, 0x00, 0x36, 0x68, 0x68, 0x65, 0x61, 0x0c, 0x02, 0x04, 0x02,
	0x00, 0x00, 0x00, 0xe4, 0x00, 0x00, 0x00, 0x24, 0x68, 0x6d, 0x74, 0x78,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x00, 0x00, 0x08,
	0x6c, 0x6f, 0x63, 0x61, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x01, 0xb0,
	0x00, 0x00, 0x00, 0x06, 0x6d, 0x61, 0x78, 0x70, 0x00, 0x04, 0x00, 0x05,
	0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x20, 0x6e, 0x61, 0x6d, 0x65,
	0xf2, 0xeb, 0x16, 0xda, 0x00, 0x00, 0x01, 0xd0, 0x00, 0x00, 0x00, 0x4b,
	0x70, 0x6f, 0x73, 0x74, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x1c,
	0x00, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0xb0, 0x94, 0x71, 0x10, 0x5f, 0x0f, 0x3c, 0xf5, 0x04, 0x07, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xcf, 0x9a, 0xfc, 0x6e, 0x00, 0x00, 0x00, 0x00,
	0xd4, 0xc3, 0xa7, 0xf2, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x08, 0x00, 0xff, 0xff, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
	0x01, 0x90, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x47, 0x4f, 0x4f, 0x47, 0x00, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x01, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
	0x00, 0x06, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x31, 0x21,
	0x11, 0x21, 0x04, 0x00, 0xfc, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x03,
	0x00, 0x2a, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x16,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0b,
	0x00, 0x16, 0x00, 0x03, 0x00, 0x01, 0x04, 0x09, 0x00, 0x05, 0x00, 0x16,
	0x00, 0x00, 0x00, 0x56, 0x00, 0x65, 0x00, 0x72, 0x00, 0x73, 0x00, 0x69,
	0x00, 0x6f, 0x00, 0x6e, 0x00, 0x20, 0x00, 0x31, 0x00, 0x2e, 0x00, 0x30,
	0x56, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x20, 0x31, 0x2e, 0x30, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};

/* The ToUnicode CMap: each id to its code point in UTF-16BE, as a surrogate pair
 * beyond the BMP. */
static int
tounicode(const struct cidmap *m, struct rebuild_buf *b)
{
	uint32_t i, cp;
	int rc;

	rc = emit(b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
		  "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
		  "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
		  "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	for (i = 0; i < m->n && rc == REBUILD_OK; i++) {
		if (i % REBUILD_CMAP_CHUNK == 0)
			rc = emit(b, "%u beginbfchar\n", m->n - i < REBUILD_CMAP_CHUNK ?
				  m->n - i : REBUILD_CMAP_CHUNK);
		cp = m->cps[i];
		if (rc == REBUILD_OK && cp < 0x10000)
			rc = emit(b, "<%04X> <%04X>\n", i + 1, cp);
		else if (rc == REBUILD_OK)
			rc = emit(b, "<%04X> <%04X%04X>\n", i + 1, 0xd800 + ((cp - 0x10000) >> 10),
				  0xdc00 + ((cp - 0x10000) & 0x3ff));
		if (rc == REBUILD_OK && (i % REBUILD_CMAP_CHUNK == REBUILD_CMAP_CHUNK - 1 || i + 1 == m->n))
			rc = emit(b, "endbfchar\n");
	}
	if (rc == REBUILD_OK)
		rc = emit(b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	return rc;
}

/* obj as a Flate stream of data, with extra entries in its dictionary. */
static int
emit_flate(struct rebuild_buf *out, uint32_t obj, const char *extra, const uint8_t *data,
    size_t len)
{
	uint8_t *z;
	size_t zlen;
	int rc;

	if ((rc = deflate_all(data, len, &z, &zlen)) != REBUILD_OK)
		return rc;
	rc = emit(out, "%u 0 obj\n<< /Filter /FlateDecode /Length %zu%s >>\nstream\n", obj,
		  zlen, extra);
	if (rc == REBUILD_OK)
		rc = buf_append(out, z, zlen);
	if (rc == REBUILD_OK)
		rc = emit(out, "\nendstream\nendobj\n");
	free(z);
	return rc;
}

/* Objects f .. f + 5: the Type0 font /F1, its CIDFont, descriptor, font file,
 * ToUnicode and CIDToGIDMap (every id to glyph 1, as Tesseract's). */
static int
write_font(const struct cidmap *m, uint32_t f, size_t *off, struct rebuild_buf *out)
{
	struct rebuild_buf tmp = { 0 };
	uint32_t i;
	int rc;

	off[f] = out->len;
	rc = emit(out, "%u 0 obj\n<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont "
		  "/Encoding /Identity-H /DescendantFonts [%u 0 R] /ToUnicode %u 0 R >>\n"
		  "endobj\n", f, f + 1, f + 4);
	off[f + 1] = out->len;
	if (rc == REBUILD_OK)
		rc = emit(out, "%u 0 obj\n<< /Type /Font /Subtype /CIDFontType2 /BaseFont "
			  "/GlyphLessFont /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
			  "/Supplement 0 >> /FontDescriptor %u 0 R /DW 1000 /CIDToGIDMap %u 0 R >>\n"
			  "endobj\n", f + 1, f + 2, f + 5);
	off[f + 2] = out->len;
	if (rc == REBUILD_OK)
		rc = emit(out, "%u 0 obj\n<< /Type /FontDescriptor /FontName /GlyphLessFont "
			  "/Flags 5 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 1000 "
			  "/Descent 0 /CapHeight 1000 /StemV 80 /FontFile2 %u 0 R >>\nendobj\n",
			  f + 2, f + 3);
	off[f + 3] = out->len;
	if (rc == REBUILD_OK)
		rc = emit(out, "%u 0 obj\n<< /Length %zu /Length1 %zu >>\nstream\n", f + 3,
			  sizeof glyphless_ttf, sizeof glyphless_ttf);
	if (rc == REBUILD_OK)
		rc = buf_append(out, glyphless_ttf, sizeof glyphless_ttf);
	if (rc == REBUILD_OK)
		rc = emit(out, "\nendstream\nendobj\n");
	off[f + 4] = out->len;
	if (rc == REBUILD_OK && (rc = tounicode(m, &tmp)) == REBUILD_OK)
		rc = emit_flate(out, f + 4, "", tmp.p, tmp.len);
	tmp.len = 0;
	for (i = 0; i <= m->n && rc == REBUILD_OK; i++)
		rc = buf_append(&tmp, i == 0 ? "\0\0" : "\0\1", 2);
	off[f + 5] = out->len;
	if (rc == REBUILD_OK)
		rc = emit_flate(out, f + 5, "", tmp.p, tmp.len);
	rebuild_buf_free(&tmp);
	return rc;
}

static int
write_pdf(const struct rebuild_pdf *pdf, struct rebuild_buf *out)
{
	struct cidmap m = { 0 };
	struct rebuild_buf content = { 0 };
	uint32_t font, nobj, i;
	size_t *off, xref;
	int rc = REBUILD_OK, text = 0;

	/* Too many distinct characters to name: the pages go without their text. */
	if (pdf->texts > 0 && (rc = cid_table(pdf, &m)) == REBUILD_OK)
		text = m.n > 0;
	if (rc == REBUILD_ETEXT)
		rc = REBUILD_OK;
	if (rc != REBUILD_OK)
		return rc;
	font = 3 + 3 * pdf->count;
	nobj = 2 + 3 * pdf->count + (text ? 6 : 0);
	if ((off = calloc((size_t)nobj + 1, sizeof(*off))) == NULL) {
		free(m.cps);
		return REBUILD_ENOMEM;
	}
	rc = emit(out, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	off[1] = out->len;
	if (rc == REBUILD_OK)
		rc = emit(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = out->len;
	if (rc == REBUILD_OK)
		rc = emit(out, "2 0 obj\n<< /Type /Pages /Count %u /Kids [", pdf->count);
	for (i = 0; i < pdf->count && rc == REBUILD_OK; i++)
		rc = emit(out, "%s%u 0 R", i % 16 == 15 ? "\n" : " ", 3 + 3 * i);
	if (rc == REBUILD_OK)
		rc = emit(out, " ] >>\nendobj\n");
	for (i = 0; i < pdf->count && rc == REBUILD_OK; i++) {
		const struct page *pg = &pdf->pages[i];
		uint32_t obj = 3 + 3 * i;
		int has_text = text && pg->text != NULL;
		char w[32], h[32], fontres[48] = "", rotate[16] = "";

		points(pg->width, pdf->dpi, w, sizeof w);
		points(pg->height, pdf->dpi, h, sizeof h);
		content.len = 0;
		rc = emit(&content, "q %s 0 0 %s 0 0 cm /Im0 Do Q", w, h);
		if (has_text) {
			snprintf(fontres, sizeof fontres, " /Font << /F1 %u 0 R >>", font);
			/* A page OCR found turned (a scan upside down or on its side) is
			 * shown upright; its pixels stay as they were. */
			if (pg->text->turns != 0)
				snprintf(rotate, sizeof rotate, " /Rotate %u", 90u * pg->text->turns);
			if (rc == REBUILD_OK)
				rc = emit(&content, "\n");
			if (rc == REBUILD_OK)
				rc = text_ops(pg, pdf->dpi, &m, &content);
		}
		off[obj] = out->len;
		if (rc == REBUILD_OK)
			rc = emit(out, "%u 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s]%s "
				  "/Resources << /XObject << /Im0 %u 0 R >>%s >> /Contents %u 0 R >>\n"
				  "endobj\n", obj, w, h, rotate, obj + 2, fontres, obj + 1);
		off[obj + 1] = out->len;
		if (rc == REBUILD_OK && has_text) {
			rc = emit_flate(out, obj + 1, "", content.p, content.len);
		} else if (rc == REBUILD_OK) {
			rc = emit(out, "%u 0 obj\n<< /Length %zu >>\nstream\n", obj + 1, content.len);
			if (rc == REBUILD_OK)
				rc = buf_append(out, content.p, content.len);
			if (rc == REBUILD_OK)
				rc = emit(out, "\nendstream\nendobj\n");
		}
		off[obj + 2] = out->len;
		if (rc == REBUILD_OK)
			rc = emit(out, "%u 0 obj\n<< /Type /XObject /Subtype /Image /Width %u "
				  "/Height %u /ColorSpace /%s /BitsPerComponent %u /Filter /%s "
				  "/Length %zu >>\nstream\n", obj + 2, pg->width, pg->height,
				  pg->channels == 1 ? "DeviceGray" : "DeviceRGB", pg->bits,
				  pg->enc == REBUILD_ENC_JPEG_GREY || pg->enc == REBUILD_ENC_JPEG_RGB
				  ? "DCTDecode" : "FlateDecode", pg->len);
		if (rc == REBUILD_OK)
			rc = buf_append(out, pg->data, pg->len);
		if (rc == REBUILD_OK)
			rc = emit(out, "\nendstream\nendobj\n");
	}
	if (rc == REBUILD_OK && text)
		rc = write_font(&m, font, off, out);
	xref = out->len;
	if (rc == REBUILD_OK)
		rc = emit(out, "xref\n0 %u\n0000000000 65535 f \n", nobj + 1);
	for (i = 1; i <= nobj && rc == REBUILD_OK; i++)
		rc = emit(out, "%010zu 00000 n \n", off[i]);
	if (rc == REBUILD_OK)
		rc = emit(out, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
			  nobj + 1, xref);
	rebuild_buf_free(&content);
	free(m.cps);
	free(off);
	return rc;
}

int
rebuild_pdf_finish(struct rebuild_pdf *pdf, struct rebuild_buf *out)
{
	size_t start = out->len, total = 4096;
	uint32_t i;
	int rc = REBUILD_OK;

	if (pdf->count == 0 || pdf->filled != pdf->count)
		rc = REBUILD_EFRAMES;		/* no page, or a page missing */
	for (i = 0; i < pdf->count && rc == REBUILD_OK; i++)
		total += pdf->pages[i].len + 512;
	/* Reserve the whole document at once: one allocation, no copies on growth. */
	if (rc == REBUILD_OK && total > out->cap - out->len) {
		uint8_t *p = realloc(out->p, out->len + total);

		if (p == NULL)
			rc = REBUILD_ENOMEM;
		else {
			out->p = p;
			out->cap = out->len + total;
		}
	}
	if (rc == REBUILD_OK && (rc = write_pdf(pdf, out)) != REBUILD_OK)
		out->len = start;
	rebuild_pdf_free(pdf);
	return rc;
}
