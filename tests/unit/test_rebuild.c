/*
 * test_rebuild.c — files rebuilt from pixels are those pixels and nothing else: a
 * PNG decodes back to the same pixels and has no chunk but IHDR, IDAT and IEND; a
 * PDF has one page per frame at the size the pixels have at the dpi; photographic
 * pages become JPEG and flat ones stay lossless; a stream that is not one image is
 * refused. Our PDF writer's pages decode back to their pixels with an independent
 * reader (poppler's pdftoppm, when installed), pages given out of order land in page
 * order and a missing page is refused. render_child is also run here in-process (no
 * sandbox, so that valgrind and ASan see it) on a hand-written PDF and a PNG bomb
 * header.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <png.h>

#include "pixels.h"
#include "rebuild.h"
#include "render.h"

/* A stream of the given frames, through the real writer, into memory. */
static uint8_t *
make_stream(const struct pixels_header *hs, const uint8_t *const *px, int n, size_t *len)
{
	struct pixels_writer w;
	int fd = memfd_create("stream", 0), i;
	uint32_t y;
	uint8_t *buf;
	off_t end;

	assert_true(fd >= 0);
	pixels_writer_init(&w, fd);
	for (i = 0; i < n; i++) {
		assert_int_equal(pixels_writer_frame(&w, &hs[i]), 0);
		for (y = 0; y < hs[i].height; y++)
			assert_int_equal(pixels_writer_row(&w, px[i] + y * pixels_row_bytes(&hs[i])), 0);
	}
	assert_int_equal(pixels_writer_finish(&w), 0);
	end = lseek(fd, 0, SEEK_END);
	buf = malloc((size_t)end);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)end, 0), end);
	close(fd);
	*len = (size_t)end;
	return buf;
}

static uint8_t *
gradient(uint32_t w, uint32_t h, unsigned ch)
{
	uint8_t *p = malloc((size_t)w * h * ch);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < (size_t)w * h * ch; i++)
		p[i] = (uint8_t)(i * 7 + i / 13);
	return p;
}

static void
check_png_roundtrip(unsigned ch)
{
	struct pixels_header h = { .width = 37, .height = 23, .channels = (uint8_t)ch, .depth = 8 };
	uint8_t *px = gradient(h.width, h.height, ch), *back, *stream;
	const uint8_t *frames[1] = { px };
	struct rebuild_buf out = { 0 };
	struct pixels_reader r;
	struct pixels_mem mem;
	png_image img;
	size_t len, off;

	stream = make_stream(&h, frames, 1, &len);
	mem = (struct pixels_mem){ .p = stream, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_png(&r, &out), REBUILD_OK);

	/* Only IHDR, IDAT and IEND. */
	assert_memory_equal(out.p, "\x89PNG\r\n\x1a\n", 8);
	for (off = 8; off + 8 <= out.len;) {
		uint32_t clen = (uint32_t)out.p[off] << 24 | (uint32_t)out.p[off + 1] << 16 |
		    (uint32_t)out.p[off + 2] << 8 | out.p[off + 3];
		const char *type = (const char *)out.p + off + 4;

		assert_true(memcmp(type, "IHDR", 4) == 0 || memcmp(type, "IDAT", 4) == 0 ||
			    memcmp(type, "IEND", 4) == 0);
		off += 12 + clen;
	}
	assert_int_equal(off, out.len);

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, out.p, out.len));
	img.format = ch == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	assert_int_equal(img.width, h.width);
	assert_int_equal(img.height, h.height);
	back = malloc(PNG_IMAGE_SIZE(img));
	assert_true(png_image_finish_read(&img, NULL, back, 0, NULL));
	assert_memory_equal(back, px, (size_t)h.width * h.height * ch);
	free(back);
	free(px);
	free(stream);
	rebuild_buf_free(&out);
}

static void
test_png_of_grey_pixels_decodes_to_the_same_pixels(void **state)
{
	(void)state;
	check_png_roundtrip(1);
}

static void
test_png_of_rgb_pixels_decodes_to_the_same_pixels(void **state)
{
	(void)state;
	check_png_roundtrip(3);
}

static void
test_image_stream_with_two_frames_is_refused(void **state)
{
	struct pixels_header hs[2] = { { 4, 4, 1, 8 }, { 4, 4, 1, 8 } };
	uint8_t px[16] = { 0 };
	const uint8_t *frames[2] = { px, px };
	struct rebuild_buf out = { 0 };
	struct pixels_reader r;
	struct pixels_mem mem;
	size_t len;
	uint8_t *stream = make_stream(hs, frames, 2, &len);

	(void)state;
	mem = (struct pixels_mem){ .p = stream, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_png(&r, &out), REBUILD_EFRAMES);
	assert_int_equal(out.len, 0);
	free(stream);
	rebuild_buf_free(&out);
}

static void
test_truncated_stream_is_refused(void **state)
{
	struct pixels_header h = { 8, 8, 3, 8 };
	uint8_t *px = gradient(8, 8, 3), *stream;
	const uint8_t *frames[1] = { px };
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct pixels_reader r;
	struct pixels_mem mem;
	uint32_t pages = 0;
	size_t len;

	(void)state;
	stream = make_stream(&h, frames, 1, &len);
	mem = (struct pixels_mem){ .p = stream, .len = len - PIXELS_TRAILER_LEN - 5 };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_pdf_add_stream(pdf, &r, &pages), PIXELS_ETRUNCATED);
	assert_int_equal(pages, 0);
	rebuild_pdf_free(pdf);
	free(stream);
	free(px);
}

static void
test_flat_page_is_not_photographic_and_noise_is(void **state)
{
	uint8_t *flat = malloc(100 * 100), *noise = gradient(100, 100, 1);
	size_t i;

	(void)state;
	memset(flat, 255, 100 * 100);
	for (i = 0; i < 2000; i++)
		flat[i * 5] = (uint8_t)i;	/* "text" on a white page */
	assert_false(rebuild_is_photographic(flat, 100, 100, 1));
	assert_true(rebuild_is_photographic(noise, 100, 100, 1));
	free(flat);
	free(noise);
}

/* Open a PDF we made with MuPDF: page count and page sizes in points. */
static void
check_pdf(const struct rebuild_buf *out, int pages, const float *w_pt, const float *h_pt)
{
	fz_context *ctx = fz_new_context(NULL, NULL, 0);
	fz_stream *stm = fz_open_memory(ctx, out->p, out->len);
	pdf_document *doc = pdf_open_document_with_stream(ctx, stm);
	int i;

	assert_int_equal(fz_count_pages(ctx, &doc->super), pages);
	for (i = 0; i < pages; i++) {
		fz_page *page = fz_load_page(ctx, &doc->super, i);
		fz_rect b = fz_bound_page(ctx, page);

		assert_true(b.x1 - b.x0 > w_pt[i] - 0.01f && b.x1 - b.x0 < w_pt[i] + 0.01f);
		assert_true(b.y1 - b.y0 > h_pt[i] - 0.01f && b.y1 - b.y0 < h_pt[i] + 0.01f);
		fz_drop_page(ctx, page);
	}
	pdf_drop_document(ctx, doc);
	fz_drop_stream(ctx, stm);
	fz_drop_context(ctx);
}

static void
test_pdf_has_one_page_per_frame_at_the_size_of_its_pixels(void **state)
{
	struct pixels_header a = { 300, 150, 1, 8 }, b = { 150, 600, 3, 8 };
	uint8_t *pa = malloc(300 * 150), *pb = gradient(150, 600, 3);
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	enum rebuild_encoding ea, eb;
	const float w[2] = { 144.0f, 72.0f }, h[2] = { 72.0f, 288.0f };

	(void)state;
	memset(pa, 255, 300 * 150);
	memset(pa + 300 * 70, 0, 300 * 4);	/* a rule across a white page */
	assert_int_equal(rebuild_pdf_add_page(pdf, &a, pa, &ea), REBUILD_OK);
	assert_int_equal(rebuild_pdf_add_page(pdf, &b, pb, &eb), REBUILD_OK);
	assert_int_equal(ea, REBUILD_ENC_FLATE_GREY);
	assert_int_equal(eb, REBUILD_ENC_JPEG_RGB);
	assert_int_equal(rebuild_pdf_pages(pdf), 2);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	assert_memory_equal(out.p, "%PDF-", 5);
	assert_non_null(memmem(out.p, out.len, "/DCTDecode", 10));
	assert_non_null(memmem(out.p, out.len, "/DeviceGray", 11));
	assert_null(memmem(out.p, out.len, "/JavaScript", 11));
	assert_null(memmem(out.p, out.len, "/Annots", 7));
	check_pdf(&out, 2, w, h);
	rebuild_buf_free(&out);
	free(pa);
	free(pb);
}

/* ---- our PDF writer, read by an independent reader ---- */

/* A text-like grey page whose values are all multiples of 17, which 4 bits hold
 * exactly: white paper, black and mid-grey marks. */
static uint8_t *
flat_levels(uint32_t w, uint32_t h)
{
	uint8_t *p = malloc((size_t)w * h);
	uint32_t x, y;

	assert_non_null(p);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			p[(size_t)y * w + x] = (uint8_t)((x / 3 + y / 5) % 7 == 0 ? (x * 17) % 256 / 17 * 17
			    : 255);
	return p;
}

/* Page 1 of the PDF in out in pixels of channels (1: grey, 3: RGB), by poppler:
 * rendered by pdftoppm at dpi, or (dpi 0) its image decoded by pdfimages. NULL when
 * poppler-utils is not installed (the caller skips). */
static uint8_t *
pdftoppm_pixels(const struct rebuild_buf *out, unsigned dpi, unsigned channels, uint32_t *w,
    uint32_t *h)
{
	char dir[] = "/tmp/test-rebuild-XXXXXX", pdf[64], ppm[64], cmd[256];
	uint8_t *px = NULL;
	FILE *f;
	unsigned maxval, kind, c;
	size_t i;

	if (system("command -v pdftoppm >/dev/null 2>&1") != 0)
		return NULL;
	assert_non_null(mkdtemp(dir));
	snprintf(pdf, sizeof pdf, "%s/p.pdf", dir);
	snprintf(ppm, sizeof ppm, !dpi ? "%s/p-000.ppm" : channels == 1 ? "%s/p.pgm" : "%s/p.ppm",
		 dir);
	f = fopen(pdf, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(out->p, 1, out->len, f), out->len);
	fclose(f);
	if (dpi)
		snprintf(cmd, sizeof cmd, "pdftoppm %s -r %u -f 1 -l 1 -singlefile %s %s/p",
			 channels == 1 ? "-gray" : "", dpi, pdf, dir);
	else
		snprintf(cmd, sizeof cmd, "pdfimages -f 1 -l 1 %s %s/p", pdf, dir);
	assert_int_equal(system(cmd), 0);
	f = fopen(ppm, "rb");
	assert_non_null(f);
	/* pdftoppm -gray writes P5; pdfimages writes P6 (grey as three equal values). */
	assert_int_equal(fscanf(f, "P%u %u %u %u", &kind, w, h, &maxval), 4);
	assert_true(kind == 5 || kind == 6);
	assert_int_equal(maxval, 255);
	fgetc(f);
	px = malloc((size_t)*w * *h * channels);
	assert_non_null(px);
	for (i = 0; i < (size_t)*w * *h; i++) {
		uint8_t rgb[3];

		assert_int_equal(fread(rgb, 1, kind == 5 ? 1 : 3, f), kind == 5 ? 1 : 3);
		for (c = 0; c < channels; c++)
			px[i * channels + c] = rgb[kind == 5 ? 0 : c];
	}
	fclose(f);
	unlink(pdf);
	unlink(ppm);
	rmdir(dir);
	return px;
}

static uint8_t *
pdftoppm_grey(const struct rebuild_buf *out, unsigned dpi, uint32_t *w, uint32_t *h)
{
	return pdftoppm_pixels(out, dpi, 1, w, h);
}

static void
test_flat_grey_page_is_written_at_4_bits_and_decodes_to_the_same_pixels(void **state)
{
	struct pixels_header h = { 300, 150, 1, 8 };
	uint8_t *px = flat_levels(300, 150), *back;
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	enum rebuild_encoding enc;
	const float w[1] = { 144.0f }, hh[1] = { 72.0f };
	uint32_t bw, bh;

	(void)state;
	assert_false(rebuild_is_photographic(px, 300, 150, 1));
	assert_int_equal(rebuild_pdf_add_page(pdf, &h, px, &enc), REBUILD_OK);
	assert_int_equal(enc, REBUILD_ENC_FLATE_GREY);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	assert_non_null(memmem(out.p, out.len, "/BitsPerComponent 4", 19));
	check_pdf(&out, 1, w, hh);
	if ((back = pdftoppm_grey(&out, 0, &bw, &bh)) == NULL) {
		rebuild_buf_free(&out);
		free(px);
		skip();
	}
	assert_int_equal(bw, 300);
	assert_int_equal(bh, 150);
	assert_memory_equal(back, px, 300 * 150);	/* the image stream, exactly */
	free(back);
	back = pdftoppm_grey(&out, 150, &bw, &bh);	/* the page, at its size */
	assert_int_equal(bw, 300);
	assert_int_equal(bh, 150);
	free(back);
	rebuild_buf_free(&out);
	free(px);
}

static void
test_dense_flat_grey_page_falls_back_to_2_bits(void **state)
{
	/* Half white, half marks of every level: flat by the histogram, yet over the
	 * budget at 4 bits. */
	struct pixels_header h = { 1600, 1600, 1, 8 };
	uint8_t *px = malloc(1600 * 1600);
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	enum rebuild_encoding enc;
	uint32_t seed = 1;
	size_t i;

	(void)state;
	for (i = 0; i < 1600 * 1600; i++) {
		seed = seed * 1103515245u + 12345u;
		px[i] = i % 2 ? 255 : (uint8_t)(seed >> 16);
	}
	assert_int_equal(rebuild_pdf_add_page(pdf, &h, px, &enc), REBUILD_OK);
	assert_int_equal(enc, REBUILD_ENC_FLATE_GREY2);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	assert_non_null(memmem(out.p, out.len, "/BitsPerComponent 2", 19));
	free(px);
	rebuild_buf_free(&out);
}

/* A stream of one white grey frame of w x h. */
static uint8_t *
white_stream(uint32_t w, uint32_t h, size_t *len)
{
	struct pixels_header hs = { w, h, 1, 8 };
	uint8_t *px = malloc((size_t)w * h), *stream;
	const uint8_t *frames[1] = { px };

	assert_non_null(px);
	memset(px, 255, (size_t)w * h);
	stream = make_stream(&hs, frames, 1, len);
	free(px);
	return stream;
}

static void
test_pages_given_by_two_lanes_land_in_page_order(void **state)
{
	/* Lane 1 (pages 1, 3) arrives before lane 0 (pages 0, 2); page i is 150 + i
	 * pixels wide, so its place shows in its width. */
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	struct pixels_reader r;
	struct pixels_mem mem;
	uint8_t *odd, *even;
	size_t olen, elen;
	uint32_t pages = 0;
	const float w[4] = { 72.0f, 72.48f, 72.96f, 73.44f }, h[4] = { 72, 72, 72, 72 };
	struct pixels_header hs[2] = { { 151, 150, 1, 8 }, { 153, 150, 1, 8 } };
	uint8_t *p1 = malloc(153 * 150);
	const uint8_t *f1[2] = { p1, p1 };

	(void)state;
	memset(p1, 255, 153 * 150);
	odd = make_stream(hs, f1, 2, &olen);
	mem = (struct pixels_mem){ .p = odd, .len = olen };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_pdf_add_stream_at(pdf, &r, 1, 2, &pages), REBUILD_OK);
	assert_int_equal(pages, 2);
	hs[0].width = 150;
	hs[1].width = 152;
	even = make_stream(hs, f1, 2, &elen);
	mem = (struct pixels_mem){ .p = even, .len = elen };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_pdf_add_stream_at(pdf, &r, 0, 2, &pages), REBUILD_OK);
	assert_int_equal(rebuild_pdf_pages(pdf), 4);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	check_pdf(&out, 4, w, h);
	rebuild_buf_free(&out);
	free(odd);
	free(even);
	free(p1);
}

static void
test_document_with_a_missing_page_is_refused(void **state)
{
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	struct pixels_reader r;
	struct pixels_mem mem;
	size_t len;
	uint8_t *stream = white_stream(50, 50, &len);

	(void)state;
	mem = (struct pixels_mem){ .p = stream, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	/* Page 1 only: page 0 never came. */
	assert_int_equal(rebuild_pdf_add_stream_at(pdf, &r, 1, 2, NULL), REBUILD_OK);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_EFRAMES);
	assert_int_equal(out.len, 0);
	rebuild_buf_free(&out);
	free(stream);
}

static void
test_same_page_twice_is_refused(void **state)
{
	struct pixels_header h = { 20, 20, 1, 8 };
	uint8_t px[400];
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct pixels_reader r;
	struct pixels_mem mem;
	const uint8_t *frames[1] = { px };
	size_t len;
	uint8_t *stream;

	(void)state;
	memset(px, 255, sizeof px);
	stream = make_stream(&h, frames, 1, &len);
	mem = (struct pixels_mem){ .p = stream, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_pdf_add_stream_at(pdf, &r, 0, 2, NULL), REBUILD_OK);
	mem = (struct pixels_mem){ .p = stream, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(rebuild_pdf_add_stream_at(pdf, &r, 0, 2, NULL), REBUILD_EFRAMES);
	rebuild_pdf_free(pdf);
	free(stream);
}

static void
test_scanned_grey_page_has_its_paper_made_white(void **state)
{
	/* Paper at ~230 with grain, a dark band: photographic, so JPEG; the paper
	 * comes back white. */
	struct pixels_header h = { 200, 200, 1, 8 };
	uint8_t *px = malloc(200 * 200), *back;
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	enum rebuild_encoding enc;
	uint32_t seed = 7, bw, bh;
	size_t i, white = 0;

	(void)state;
	for (i = 0; i < 200 * 200; i++) {
		seed = seed * 1103515245u + 12345u;
		px[i] = (uint8_t)(i / 200 >= 90 && i / 200 < 110 ? 40 : 226 + (seed >> 16) % 9);
	}
	assert_true(rebuild_is_photographic(px, 200, 200, 1));
	assert_int_equal(rebuild_pdf_add_page(pdf, &h, px, &enc), REBUILD_OK);
	assert_int_equal(enc, REBUILD_ENC_JPEG_GREY);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	if ((back = pdftoppm_grey(&out, 150, &bw, &bh)) == NULL) {
		rebuild_buf_free(&out);
		free(px);
		skip();
	}
	assert_int_equal(bw, 200);
	for (i = 0; i < 200 * 50; i++)
		white += back[i] >= 250;
	assert_true(white > 200 * 50 * 9 / 10);
	assert_true(back[100 * 200 + 100] < 80);	/* the band stays dark */
	free(back);
	rebuild_buf_free(&out);
	free(px);
}

/* A scanned colour page of 200 x 200 on paper of the colour paper with grain: a
 * dark band across rows 90-109 and a vermilion mark (a seal's red) in rows 130-169,
 * columns 60-139. */
static uint8_t *
scanned_colour_page(const uint8_t paper[3])
{
	static const unsigned absorb[3] = { 12, 80, 76 };	/* % of each channel */
	uint8_t *px = malloc(200 * 200 * 3);
	uint32_t seed = 11, x, y, c;

	assert_non_null(px);
	for (y = 0; y < 200; y++)
		for (x = 0; x < 200; x++)
			for (c = 0; c < 3; c++) {
				unsigned v = paper[c];

				seed = seed * 1103515245u + 12345u;
				if (y >= 90 && y < 110)
					v = 40;
				else if (y >= 130 && y < 170 && x >= 60 && x < 140)
					v -= v * absorb[c] / 100;
				v = v + (seed >> 16) % 9;
				px[(y * 200 + x) * 3 + c] = (uint8_t)(v > 4 ? (v > 259 ? 255 : v - 4) : 0);
			}
	return px;
}

/* The page of scanned_colour_page on paper through the rebuild, as poppler shows it
 * (NULL: poppler-utils missing, the caller skips). */
static uint8_t *
colour_page_through(const uint8_t paper[3])
{
	struct pixels_header h = { 200, 200, 3, 8 };
	uint8_t *px = scanned_colour_page(paper), *back;
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	struct rebuild_buf out = { 0 };
	enum rebuild_encoding enc;
	uint32_t bw, bh;

	assert_true(rebuild_is_photographic(px, 200, 200, 3));
	assert_int_equal(rebuild_pdf_add_page(pdf, &h, px, &enc), REBUILD_OK);
	assert_int_equal(enc, REBUILD_ENC_JPEG_RGB);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	back = pdftoppm_pixels(&out, 150, 3, &bw, &bh);
	if (back != NULL) {
		assert_int_equal(bw, 200);
		assert_int_equal(bh, 200);
	}
	rebuild_buf_free(&out);
	free(px);
	return back;
}

/* How many of the pixels in rows [y0, y1) of a 200-wide RGB page have every channel
 * at least min. */
static size_t
count_at_least(const uint8_t *px, uint32_t y0, uint32_t y1, uint8_t min)
{
	size_t n = 0, i;

	for (i = (size_t)y0 * 200; i < (size_t)y1 * 200; i++)
		n += px[3 * i] >= min && px[3 * i + 1] >= min && px[3 * i + 2] >= min;
	return n;
}

static void
test_scanned_colour_page_has_its_cream_paper_made_white(void **state)
{
	/* A colour scanner's cream paper with grain: white in every channel, its tint
	 * gone; the band stays dark, and the seal stays red, its red as far under white
	 * as it was under the paper's red (88 %: 209 of 238 before, about 230 now). */
	static const uint8_t cream[3] = { 238, 233, 218 };
	uint8_t *back = colour_page_through(cream);
	const uint8_t *seal;

	(void)state;
	if (back == NULL)
		skip();
	assert_true(count_at_least(back, 0, 80, 250) > 200 * 80 * 9 / 10);
	assert_true(back[(100 * 200 + 100) * 3] < 80);
	seal = back + (150 * 200 + 100) * 3;
	assert_true(seal[0] >= 222 && seal[1] < 90 && seal[2] < 90);
	free(back);
}

static void
test_colour_paper_that_is_not_near_white_keeps_its_colour(void **state)
{
	/* Pale yellow paper (a coloured form, or a photo's bright sky) is no scanner's
	 * grain on white: its channels differ by more than a tint, and it stays as it
	 * is, blue channel and all. */
	static const uint8_t yellow[3] = { 246, 238, 196 };
	uint8_t *back = colour_page_through(yellow);
	size_t i, yellowish = 0;

	(void)state;
	if (back == NULL)
		skip();
	for (i = 0; i < 200 * 80; i++)
		yellowish += back[3 * i] >= 230 && back[3 * i + 2] >= 180 && back[3 * i + 2] <= 212;
	assert_true(yellowish > 200 * 80 * 9 / 10);
	assert_true(count_at_least(back, 0, 80, 250) < 200 * 80 / 100);
	free(back);
}

/* ---- render_child in-process ---- */

static const char tiny_pdf[] =
	"%PDF-1.4\n"
	"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >> endobj\n"
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R >> endobj\n"
	"4 0 obj << /Length 28 >> stream\n0 0 0 rg 10 10 50 20 re f\n\nendstream endobj\n"
	"5 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"
	"trailer << /Root 1 0 R >>\n%%EOF\n";

static int
run_render(const void *input, size_t len, enum detect_type type, uint8_t **out, size_t *outlen)
{
	struct render_request req = { .type = type, .dpi = 150 };
	int in = memfd_create("in", 0), o = memfd_create("out", 0), rc;
	off_t end;

	render_limits_default(&req.lim);
	assert_int_equal(write(in, input, len), (ssize_t)len);
	lseek(in, 0, SEEK_SET);
	rc = render_child(o, in, &req);
	end = lseek(o, 0, SEEK_END);
	*outlen = (size_t)end;
	*out = malloc((size_t)end + 1);
	assert_int_equal(pread(o, *out, (size_t)end, 0), end);
	close(in);
	close(o);
	return rc;
}

static void
test_render_child_renders_a_pdf_page_to_pixels(void **state)
{
	struct pixels_reader r;
	struct pixels_mem mem;
	struct pixels_header h;
	uint8_t *out, *row;
	size_t len;

	(void)state;
	assert_int_equal(run_render(tiny_pdf, sizeof tiny_pdf - 1, DETECT_PDF, &out, &len),
			 RENDER_EXIT_OK);
	mem = (struct pixels_mem){ .p = out, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), 0);
	assert_int_equal(h.width, 300);		/* 144 pt at 150 dpi */
	assert_int_equal(h.height, 150);
	assert_int_equal(h.channels, 1);	/* black on white: grey */
	row = malloc(pixels_row_bytes(&h));
	for (uint32_t y = 0; y < h.height; y++)
		assert_int_equal(pixels_reader_row(&r, row), 0);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_END);
	free(row);
	free(out);
}

/* A 144 x 72 pt page whose content stream is content (any bytes), with its length. */
static size_t
page_pdf(char *buf, size_t cap, const char *content, size_t clen)
{
	int n = snprintf(buf, cap,
		"%%PDF-1.4\n"
		"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R >>"
		" endobj\n4 0 obj << /Length %zu >> stream\n", clen);

	assert_true(n > 0 && (size_t)n + clen + 64 < cap);
	memcpy(buf + n, content, clen);
	n += (int)clen;
	n += snprintf(buf + n, cap - (size_t)n, "\nendstream endobj\ntrailer << /Root 1 0 R >>\n"
		      "%%%%EOF\n");
	return (size_t)n;
}

/* The first frame's header and its pixel at (x, y). */
static void
first_frame_pixel(const uint8_t *out, size_t len, uint32_t x, uint32_t y,
    struct pixels_header *h, uint8_t px[3])
{
	struct pixels_mem mem = { .p = out, .len = len };
	struct pixels_reader r;
	uint8_t *row;
	uint32_t i;

	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(pixels_reader_next(&r, h), 0);
	row = malloc(pixels_row_bytes(h));
	for (i = 0; i <= y; i++)
		assert_int_equal(pixels_reader_row(&r, row), 0);
	memcpy(px, row + (size_t)x * h->channels, h->channels);
	free(row);
}

/* A page is drawn in grey only when nothing on it has colour: red stays red; grey
 * pixels of an RGB image (MuPDF's "probably colour") are drawn in RGB, found grey
 * pixel by pixel, and leave as one channel. */
static void
test_render_child_keeps_colour_and_folds_grey(void **state)
{
	static const char red[] = "1 0 0 rg 10 10 50 20 re f";
	static const char grey_rgb_image[] =
		"q 50 0 0 20 10 10 cm BI /W 2 /H 1 /CS /RGB /BPC 8 ID "
		"\x80\x80\x80\x40\x40\x40 EI Q";
	struct pixels_header h;
	char pdf[1024];
	uint8_t *out, px[3];
	size_t len, plen;

	(void)state;
	/* The rectangle spans x 21..125 and y 87..129 of the 300 x 150 page. */
	plen = page_pdf(pdf, sizeof pdf, red, sizeof red - 1);
	assert_int_equal(run_render(pdf, plen, DETECT_PDF, &out, &len), RENDER_EXIT_OK);
	first_frame_pixel(out, len, 73, 108, &h, px);
	assert_int_equal(h.channels, 3);
	assert_true(px[0] > 200 && px[1] < 60 && px[2] < 60);
	free(out);

	plen = page_pdf(pdf, sizeof pdf, grey_rgb_image, sizeof grey_rgb_image - 1);
	assert_int_equal(run_render(pdf, plen, DETECT_PDF, &out, &len), RENDER_EXIT_OK);
	first_frame_pixel(out, len, 73, 108, &h, px);
	assert_int_equal(h.channels, 1);
	assert_true(px[0] >= 0x40 && px[0] <= 0x80);	/* between the image's two greys */
	free(out);
}

/* A scanner's PDF: one 1240 x 1754 grey image (A4 at 150 dpi) covering an A4 page of
 * 595.28 x 841.89 pt, which at 150 dpi is 1240.17 x 1753.94 pixels. The page comes out
 * at the image's own 1240 x 1754, every pixel the scan's: not 1241 wide, with each
 * pixel interpolated from its neighbours. */
static void
test_render_child_copies_a_scanned_page_pixel_for_pixel(void **state)
{
	enum { W = 1240, H = 1754 };
	static const char content[] = "q 595.28 0 0 841.89 0 0 cm /Im0 Do Q";
	size_t cap = (size_t)W * H + 4096, n, len, i;
	char *pdf = malloc(cap);
	uint8_t *scan, *out, *row;
	struct pixels_mem mem;
	struct pixels_reader r;
	struct pixels_header h;
	uint32_t seed = 1, y, differ = 0;

	(void)state;
	n = (size_t)snprintf(pdf, cap,
		"%%PDF-1.4\n"
		"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89]"
		" /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >> endobj\n"
		"4 0 obj << /Length %zu >> stream\n%s\nendstream endobj\n"
		"5 0 obj << /Type /XObject /Subtype /Image /Width %d /Height %d"
		" /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %zu >> stream\n",
		sizeof content - 1, content, W, H, (size_t)W * H);
	scan = (uint8_t *)pdf + n;
	for (i = 0; i < (size_t)W * H; i++) {	/* grain: no two neighbours alike */
		seed = seed * 1103515245u + 12345u;
		scan[i] = (uint8_t)(seed >> 16);
	}
	n += (size_t)W * H;
	n += (size_t)snprintf(pdf + n, cap - n, "\nendstream endobj\ntrailer << /Root 1 0 R >>\n"
			      "%%%%EOF\n");
	assert_int_equal(run_render(pdf, n, DETECT_PDF, &out, &len), RENDER_EXIT_OK);

	mem = (struct pixels_mem){ .p = out, .len = len };
	pixels_reader_init(&r, pixels_mem_read, &mem, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), 0);
	assert_int_equal(h.width, W);
	assert_int_equal(h.height, H);
	assert_int_equal(h.channels, 1);
	row = malloc(W);
	for (y = 0; y < H; y++) {
		assert_int_equal(pixels_reader_row(&r, row), 0);
		for (i = 0; i < W; i++)
			differ += row[i] != scan[(size_t)y * W + i];
	}
	assert_int_equal(differ, 0);
	free(row);
	free(out);
	free(pdf);
}

static void
test_render_child_lane_past_the_last_page_writes_an_empty_stream(void **state)
{
	struct render_request req = { .type = DETECT_PDF, .dpi = 150, .first_page = 1,
				      .page_step = 2 };
	int in = memfd_create("in", 0), o = memfd_create("out", 0);
	struct pixels_reader r;
	struct pixels_header h;
	int fd;

	(void)state;
	render_limits_default(&req.lim);
	assert_int_equal(write(in, tiny_pdf, sizeof tiny_pdf - 1), (ssize_t)sizeof tiny_pdf - 1);
	lseek(in, 0, SEEK_SET);
	assert_int_equal(render_child(o, in, &req), RENDER_EXIT_OK);
	lseek(o, 0, SEEK_SET);
	fd = o;
	pixels_reader_init(&r, pixels_fd_read, &fd, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_END);
	/* Past the end without being a lane's first page is still a bad request. */
	req.first_page = 3;
	lseek(in, 0, SEEK_SET);
	assert_int_equal(render_child(o, in, &req), RENDER_EXIT_BAD_REQUEST);
	close(in);
	close(o);
}

static void
test_render_child_refuses_a_png_bomb_from_its_header(void **state)
{
	/* IHDR of 100000 x 100000, grey, and nothing else. */
	static const uint8_t bomb[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
		0x00, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(run_render(bomb, sizeof bomb, DETECT_PNG, &out, &len), RENDER_EXIT_LIMITS);
	assert_int_equal(len, 0);
	free(out);
}

static void
test_render_child_calls_a_webp_header_alone_broken(void **state)
{
	uint8_t *out;
	size_t len;

	(void)state;
	assert_true(render_supports(DETECT_WEBP));
	assert_true(render_supports(DETECT_HEIC));
	assert_false(render_supports(DETECT_DOCX));
	assert_int_equal(run_render("RIFF", 4, DETECT_WEBP, &out, &len), RENDER_EXIT_BROKEN);
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(run_render("RIFF", 4, DETECT_DOCX, &out, &len), RENDER_EXIT_UNSUPPORTED);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png_of_grey_pixels_decodes_to_the_same_pixels),
		cmocka_unit_test(test_png_of_rgb_pixels_decodes_to_the_same_pixels),
		cmocka_unit_test(test_image_stream_with_two_frames_is_refused),
		cmocka_unit_test(test_truncated_stream_is_refused),
		cmocka_unit_test(test_flat_page_is_not_photographic_and_noise_is),
		cmocka_unit_test(test_pdf_has_one_page_per_frame_at_the_size_of_its_pixels),
		cmocka_unit_test(test_flat_grey_page_is_written_at_4_bits_and_decodes_to_the_same_pixels),
		cmocka_unit_test(test_dense_flat_grey_page_falls_back_to_2_bits),
		cmocka_unit_test(test_pages_given_by_two_lanes_land_in_page_order),
		cmocka_unit_test(test_document_with_a_missing_page_is_refused),
		cmocka_unit_test(test_same_page_twice_is_refused),
		cmocka_unit_test(test_scanned_grey_page_has_its_paper_made_white),
		cmocka_unit_test(test_scanned_colour_page_has_its_cream_paper_made_white),
		cmocka_unit_test(test_colour_paper_that_is_not_near_white_keeps_its_colour),
		cmocka_unit_test(test_render_child_renders_a_pdf_page_to_pixels),
		cmocka_unit_test(test_render_child_keeps_colour_and_folds_grey),
		cmocka_unit_test(test_render_child_copies_a_scanned_page_pixel_for_pixel),
		cmocka_unit_test(test_render_child_lane_past_the_last_page_writes_an_empty_stream),
		cmocka_unit_test(test_render_child_refuses_a_png_bomb_from_its_header),
		cmocka_unit_test(test_render_child_calls_a_webp_header_alone_broken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
