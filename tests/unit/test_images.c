/*
 * test_images.c — phone photos: WebP and HEIC are decoded in the render child and
 * come out as the same pixels (lossless WebP exactly, HEIC within HEVC's loss),
 * alpha over white; a size over the limits is refused before decoding; a JPEG stored
 * on its side with an EXIF Orientation tag comes out upright; and each goes through
 * the whole pipeline (sandbox and scans) to a PNG that carries no metadata.
 *
 * The test images are made here with libwebp's and libjpeg's encoders and
 * heif-enc, so every pixel is known. render_child runs in-process first (so valgrind
 * and ASan see the decoders), then in the real sandbox, which valgrind cannot
 * confine (those tests skip under it, as in test_sandbox.c).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include "detect.h"
#include "pipeline.h"
#include "pixels.h"
#include "rebuild.h"
#include "render.h"
#include "sandbox.h"
#include "scan.h"
#include "testscan.h"
#include "testskip.h"


/* ---- encoders ---- */

struct blob {
	uint8_t *p;
	size_t len;
};

/* w x h RGB: the left half red, the right half blue. */
static uint8_t *
halves(uint32_t w, uint32_t h)
{
	uint8_t *px = malloc((size_t)w * h * 3);
	uint32_t x, y;

	assert_non_null(px);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint8_t *p = px + ((size_t)y * w + x) * 3;

			p[0] = x < w / 2 ? 220 : 20;
			p[1] = 20;
			p[2] = x < w / 2 ? 20 : 220;
		}
	return px;
}

static struct blob
webp_lossless(const uint8_t *px, uint32_t w, uint32_t h, int alpha)
{
	struct blob b = { 0 };
	uint8_t *out = NULL;

	b.len = alpha ? WebPEncodeLosslessRGBA(px, (int)w, (int)h, (int)w * 4, &out)
		      : WebPEncodeLosslessRGB(px, (int)w, (int)h, (int)w * 3, &out);
	assert_true(b.len > 0);
	b.p = malloc(b.len);
	memcpy(b.p, out, b.len);
	WebPFree(out);
	return b;
}

/* An HEIC of px by heif-enc (libheif-examples, x265), run as its own process: x265's
 * assembly is not valgrind-clean, and it is not ours to check. */
static struct blob
heic_of(const uint8_t *px, uint32_t w, uint32_t h)
{
	struct pixels_header hd = { .width = w, .height = h, .channels = 3, .depth = 8 };
	struct rebuild_buf png = { 0 };
	char dir[] = "/tmp/test_images.XXXXXX", cmd[256], path[64];
	struct blob b = { 0 };
	FILE *f;
	long n;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(rebuild_png_encode(&hd, px, &png), REBUILD_OK);
	snprintf(path, sizeof path, "%s/in.png", dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(png.p, 1, png.len, f), png.len);
	fclose(f);
	rebuild_buf_free(&png);
	snprintf(cmd, sizeof cmd, "heif-enc -q 95 -o %s/out.heic %s >/dev/null 2>&1", dir, path);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof path, "%s/out.heic", dir);
	assert_non_null(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b.len = (size_t)n;
	b.p = malloc(b.len);
	assert_int_equal(fread(b.p, 1, b.len, f), b.len);
	fclose(f);
	unlink(path);
	snprintf(path, sizeof path, "%s/in.png", dir);
	unlink(path);
	rmdir(dir);
	return b;
}

/* A grey 64 x 32 JPEG whose top-left quadrant is black, with an APP1 Exif segment
 * carrying only Orientation = orient (big-endian TIFF). */
static struct blob
jpeg_oriented(unsigned orient)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr jerr;
	uint8_t exif[] = { 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
			   0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (uint8_t)orient, 0, 0,
			   0, 0, 0, 0 };
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	uint8_t row[64];
	struct blob b;
	int x, y;

	ci.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&ci);
	jpeg_mem_dest(&ci, &out, &outlen);
	ci.image_width = 64;
	ci.image_height = 32;
	ci.input_components = 1;
	ci.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 95, TRUE);
	jpeg_start_compress(&ci, TRUE);
	jpeg_write_marker(&ci, JPEG_APP0 + 1, exif, sizeof exif);
	for (y = 0; y < 32; y++) {
		JSAMPROW r = row;

		for (x = 0; x < 64; x++)
			row[x] = x < 32 && y < 16 ? 0 : 255;
		jpeg_write_scanlines(&ci, &r, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	b.p = malloc(outlen);
	memcpy(b.p, out, outlen);
	b.len = outlen;
	free(out);
	return b;
}

/* ---- running the child ---- */

static int
memfd_of(const struct blob *b)
{
	int fd = memfd_create("in", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* render_child in this process on b; its one frame in *h and *px (malloc'd). */
static int
render_here(const struct blob *b, enum detect_type type, const struct render_limits *lim,
    struct pixels_header *h, uint8_t **px)
{
	struct render_request req = { .type = type, .dpi = 150 };
	int in = memfd_of(b), o = memfd_create("out", 0), rc, fd;
	struct pixels_reader r;
	uint32_t y;

	if (lim != NULL)
		req.lim = *lim;
	else
		render_limits_default(&req.lim);
	rc = render_child(o, in, &req);
	*px = NULL;
	if (rc == RENDER_EXIT_OK) {
		lseek(o, 0, SEEK_SET);
		fd = o;
		pixels_reader_init(&r, pixels_fd_read, &fd, NULL);
		assert_int_equal(pixels_reader_next(&r, h), 0);
		*px = malloc((size_t)h->height * pixels_row_bytes(h));
		for (y = 0; y < h->height; y++)
			assert_int_equal(pixels_reader_row(&r, *px + y * pixels_row_bytes(h)), 0);
		assert_int_equal(pixels_reader_next(&r, h), PIXELS_END);
	}
	close(in);
	close(o);
	return rc;
}

static void
test_lossless_webp_comes_out_as_the_same_pixels(void **state)
{
	uint8_t *px = halves(40, 30), *got;
	struct blob b = webp_lossless(px, 40, 30, 0);
	struct pixels_header h;
	int fd = memfd_of(&b);
	struct detect_result d;

	(void)state;
	assert_int_equal(detect_fd(fd, &d), 0);
	assert_int_equal(d.type, DETECT_WEBP);
	close(fd);
	assert_true(render_supports(DETECT_WEBP));
	assert_int_equal(render_here(&b, DETECT_WEBP, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.width, 40);
	assert_int_equal(h.height, 30);
	assert_int_equal(h.channels, 3);
	assert_memory_equal(got, px, 40 * 30 * 3);
	free(got);
	free(px);
	free(b.p);
}

static void
test_webp_alpha_is_composited_over_white(void **state)
{
	uint8_t rgba[16 * 8 * 4], *got;
	struct pixels_header h;
	struct blob b;
	int i;

	(void)state;
	/* Black, half of it fully transparent: opaque black and white, so grey. */
	for (i = 0; i < 16 * 8; i++) {
		rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = 0;
		rgba[4 * i + 3] = i % 16 < 8 ? 255 : 0;
	}
	b = webp_lossless(rgba, 16, 8, 1);
	assert_int_equal(render_here(&b, DETECT_WEBP, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.channels, 1);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[15], 255);
	assert_int_equal(got[16 * 7 + 3], 0);
	assert_int_equal(got[16 * 7 + 12], 255);
	free(got);
	free(b.p);
}

static void
test_heic_comes_out_as_its_picture(void **state)
{
	uint8_t *px = halves(64, 48), *got;
	struct blob b = heic_of(px, 64, 48);
	struct pixels_header h;
	struct detect_result d;
	int fd = memfd_of(&b);

	(void)state;
	assert_int_equal(detect_fd(fd, &d), 0);
	assert_int_equal(d.type, DETECT_HEIC);
	close(fd);
	assert_int_equal(render_here(&b, DETECT_HEIC, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.width, 64);
	assert_int_equal(h.height, 48);
	assert_int_equal(h.channels, 3);
	/* HEVC is lossy and subsamples chroma: compare away from the edge. */
	assert_in_range(got[(24 * 64 + 10) * 3], 170, 255);
	assert_in_range(got[(24 * 64 + 10) * 3 + 2], 0, 80);
	assert_in_range(got[(24 * 64 + 54) * 3], 0, 80);
	assert_in_range(got[(24 * 64 + 54) * 3 + 2], 170, 255);
	free(got);
	free(px);
	free(b.p);
}

static void
test_photos_over_the_pixel_limit_are_refused(void **state)
{
	uint8_t *px = halves(64, 48), *got;
	struct blob w = webp_lossless(px, 64, 48, 0), hc = heic_of(px, 64, 48);
	struct render_limits lim;
	struct pixels_header h;

	(void)state;
	render_limits_default(&lim);
	lim.max_page_pixels = 64 * 48 - 1;
	assert_int_equal(render_here(&w, DETECT_WEBP, &lim, &h, &got), RENDER_EXIT_LIMITS);
	assert_int_equal(render_here(&hc, DETECT_HEIC, &lim, &h, &got), RENDER_EXIT_LIMITS);
	/* Cut short: broken, not a crash. */
	w.len /= 2;
	hc.len /= 2;
	assert_int_equal(render_here(&w, DETECT_WEBP, NULL, &h, &got), RENDER_EXIT_BROKEN);
	assert_int_equal(render_here(&hc, DETECT_HEIC, NULL, &h, &got), RENDER_EXIT_BROKEN);
	free(px);
	free(w.p);
	free(hc.p);
}

/* The value at (x, y) of a grey frame is dark (1), light (0) or neither (-1). */
static int
dark(const uint8_t *px, uint32_t w, uint32_t x, uint32_t y)
{
	uint8_t v = px[y * w + x];

	return v < 64 ? 1 : v > 192 ? 0 : -1;
}

static void
test_jpeg_with_exif_orientation_comes_out_upright(void **state)
{
	struct pixels_header h;
	struct blob b;
	uint8_t *got;

	(void)state;
	/* 6: stored turned a quarter anticlockwise; upright is 32 x 64 with the
	 * stored top-left quadrant at the top right. */
	b = jpeg_oriented(6);
	assert_int_equal(render_here(&b, DETECT_JPEG, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.width, 32);
	assert_int_equal(h.height, 64);
	assert_int_equal(h.channels, 1);
	assert_int_equal(dark(got, 32, 24, 16), 1);
	assert_int_equal(dark(got, 32, 8, 16), 0);
	assert_int_equal(dark(got, 32, 8, 48), 0);
	assert_int_equal(dark(got, 32, 24, 48), 0);
	free(got);
	free(b.p);

	/* 3: upside down; the quadrant ends at the bottom right. */
	b = jpeg_oriented(3);
	assert_int_equal(render_here(&b, DETECT_JPEG, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.width, 64);
	assert_int_equal(h.height, 32);
	assert_int_equal(dark(got, 64, 48, 24), 1);
	assert_int_equal(dark(got, 64, 16, 8), 0);
	assert_int_equal(dark(got, 64, 16, 24), 0);
	assert_int_equal(dark(got, 64, 48, 8), 0);
	free(got);
	free(b.p);

	/* 8: stored turned a quarter clockwise; the quadrant ends at the bottom left. */
	b = jpeg_oriented(8);
	assert_int_equal(render_here(&b, DETECT_JPEG, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.width, 32);
	assert_int_equal(h.height, 64);
	assert_int_equal(dark(got, 32, 8, 48), 1);
	assert_int_equal(dark(got, 32, 24, 48), 0);
	assert_int_equal(dark(got, 32, 8, 16), 0);
	assert_int_equal(dark(got, 32, 24, 16), 0);
	free(got);
	free(b.p);

	/* 1: as stored. */
	b = jpeg_oriented(1);
	assert_int_equal(render_here(&b, DETECT_JPEG, NULL, &h, &got), RENDER_EXIT_OK);
	assert_int_equal(h.width, 64);
	assert_int_equal(dark(got, 64, 16, 8), 1);
	assert_int_equal(dark(got, 64, 48, 24), 0);
	free(got);
	free(b.p);
}

/* ---- in the sandbox, through the pipeline ---- */


/* Run the pipeline on b; the PNG in *png. */
static void
pipeline_on(const struct blob *b, struct pipeline_result *res, struct blob *png)
{
	static const uint8_t key[32] = { 7 };
	struct pipeline_config c;
	int in = memfd_of(b), out = memfd_create("out", 0);
	off_t end;

	pipeline_config_default(&c);
	c.scanner = group_scanner;
	c.sign_key = key;
	assert_int_equal(pipeline_run(&c, in, out, res), 0);
	end = lseek(out, 0, SEEK_END);
	png->len = (size_t)end;
	png->p = malloc(png->len + 1);
	assert_int_equal(pread(out, png->p, png->len, 0), end);
	close(in);
	close(out);
}

/* Only IHDR, IDAT and IEND, nothing after IEND; width and height from IHDR. */
static void
check_bare_png(const struct blob *png, uint32_t *w, uint32_t *h)
{
	size_t off;

	assert_memory_equal(png->p, "\x89PNG\r\n\x1a\n", 8);
	*w = (uint32_t)png->p[16] << 24 | (uint32_t)png->p[17] << 16 | (uint32_t)png->p[18] << 8 |
	    png->p[19];
	*h = (uint32_t)png->p[20] << 24 | (uint32_t)png->p[21] << 16 | (uint32_t)png->p[22] << 8 |
	    png->p[23];
	for (off = 8; off + 12 <= png->len;) {
		uint32_t clen = (uint32_t)png->p[off] << 24 | (uint32_t)png->p[off + 1] << 16 |
		    (uint32_t)png->p[off + 2] << 8 | png->p[off + 3];
		const char *type = (const char *)png->p + off + 4;

		assert_true(memcmp(type, "IHDR", 4) == 0 || memcmp(type, "IDAT", 4) == 0 ||
			    memcmp(type, "IEND", 4) == 0);
		off += 12 + clen;
	}
	assert_int_equal(off, png->len);
}

static void
test_pipeline_rebuilds_webp_and_heic_as_bare_png(void **state)
{
	static const char *const types[2] = { "webp", "heic" };
	static const char *const decoders[2] = { "libwebp/", "libheif/" };
	struct pipeline_result res;
	struct blob png, in[2];
	uint32_t w, h;
	uint8_t *px;
	int i;

	(void)state;
	if (testskip_under_valgrind())	/* skip() does not return: nothing allocated yet */
		return;
	px = halves(64, 48);
	in[0] = webp_lossless(px, 64, 48, 0);
	in[1] = heic_of(px, 64, 48);
	for (i = 0; i < 2; i++) {
		json_t *eng;

		pipeline_on(&in[i], &res, &png);
		if (!res.clean)
			print_error("%s: %s (%s)\n", types[i], res.reason, res.detail);
		assert_true(res.clean);
		assert_string_equal(res.type, types[i]);
		assert_string_equal(res.method, "image-reencode");
		assert_string_equal(res.output_type, "png");
		assert_int_equal(res.pages, 1);
		check_bare_png(&png, &w, &h);
		assert_int_equal(w, 64);
		assert_int_equal(h, 48);
		eng = json_object_get(json_object_get(res.attestation, "attestation"), "engines");
		assert_non_null(strstr(json_string_value(json_object_get(eng, "decoder")),
				       decoders[i]));
		assert_true(res.preview.len > 0);
		pipeline_result_free(&res);
		free(png.p);
		free(in[i].p);
	}
	free(px);
}

static void
test_pipeline_turns_a_rotated_jpeg_upright(void **state)
{
	struct pipeline_result res;
	struct blob b, png;
	png_image img;
	uint8_t *px;
	uint32_t w, h;

	(void)state;
	if (testskip_under_valgrind())
		return;
	b = jpeg_oriented(6);
	pipeline_on(&b, &res, &png);
	assert_true(res.clean);
	assert_string_equal(res.type, "jpeg");
	check_bare_png(&png, &w, &h);	/* the Exif segment is gone with the rest */
	assert_int_equal(w, 32);
	assert_int_equal(h, 64);
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, png.p, png.len));
	img.format = PNG_FORMAT_GRAY;
	px = malloc(PNG_IMAGE_SIZE(img));
	assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
	assert_int_equal(dark(px, 32, 24, 16), 1);
	assert_int_equal(dark(px, 32, 8, 48), 0);
	free(px);
	pipeline_result_free(&res);
	free(png.p);
	free(b.p);
}

/* The 96 x 64 RGB "photo": smooth gradients and grain, no value shared by half the
 * pixels. */
static uint8_t *
photo_rgb(void)
{
	uint8_t *px = malloc(96 * 64 * 3), *row;
	uint32_t seed = 12345;
	int x, y;

	assert_non_null(px);
	for (y = 0; y < 64; y++)
		for (x = 0, row = px + (size_t)y * 96 * 3; x < 96; x++) {
			seed = seed * 1103515245u + 12345u;
			row[x * 3] = (uint8_t)(x * 2 + (seed >> 28));
			row[x * 3 + 1] = (uint8_t)(y * 3 + (seed >> 27 & 7));
			row[x * 3 + 2] = (uint8_t)(128 + (x - y) + (seed >> 29));
		}
	return px;
}

/* A 96 x 64 colour "photo" (smooth gradients and grain: no value shared by half
 * the pixels) as a JPEG carrying an Exif (GPS-like) segment, an ICC profile segment
 * and a comment. */
static struct blob
jpeg_photo(void)
{
	static const uint8_t exif[] = { 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
					0, 0, 'G', 'P', 'S' };
	static const uint8_t icc[] = "ICC_PROFILE\0\1\1not-srgb";
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	uint8_t *px = photo_rgb();
	struct blob b;
	int y;

	ci.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&ci);
	jpeg_mem_dest(&ci, &out, &outlen);
	ci.image_width = 96;
	ci.image_height = 64;
	ci.input_components = 3;
	ci.in_color_space = JCS_RGB;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 92, TRUE);
	jpeg_start_compress(&ci, TRUE);
	jpeg_write_marker(&ci, JPEG_APP0 + 1, exif, sizeof exif);
	jpeg_write_marker(&ci, JPEG_APP0 + 2, icc, sizeof icc);
	jpeg_write_marker(&ci, JPEG_COM, (const JOCTET *)"taken at home", 13);
	for (y = 0; y < 64; y++) {
		JSAMPROW r = px + (size_t)y * 96 * 3;

		jpeg_write_scanlines(&ci, &r, 1);
	}
	free(px);
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	b.p = malloc(outlen);
	memcpy(b.p, out, outlen);
	b.len = outlen;
	free(out);
	return b;
}

/* A photograph comes out as a JPEG of its own making: JFIF, its tables, one frame,
 * nothing else (no Exif, ICC, comment), nothing after the end marker, decodable at
 * its size. A phone photo as PNG was ~5x larger. */
static void
test_pipeline_rebuilds_a_photo_as_a_bare_jpeg(void **state)
{
	struct pipeline_result res;
	struct blob in, out;
	struct jpeg_decompress_struct di;
	struct jpeg_error_mgr jerr;
	json_t *att;
	size_t off = 2;

	(void)state;
	if (testskip_under_valgrind())
		return;
	in = jpeg_photo();
	pipeline_on(&in, &res, &out);
	assert_true(res.clean);
	assert_string_equal(res.type, "jpeg");
	assert_string_equal(res.method, "image-reencode");
	assert_string_equal(res.output_type, "jpeg");
	att = json_object_get(json_object_get(res.attestation, "attestation"), "output");
	assert_string_equal(json_string_value(json_object_get(att, "type")), "jpeg");
	assert_memory_equal(out.p, "\xff\xd8", 2);
	/* Markers up to the scan: only APP0 (JFIF), quantisation, frame, Huffman. */
	while (off + 4 <= out.len) {
		uint8_t m = out.p[off + 1];
		size_t len = (size_t)out.p[off + 2] << 8 | out.p[off + 3];

		assert_int_equal(out.p[off], 0xff);
		if (m == 0xda)
			break;
		assert_true(m == 0xe0 || m == 0xdb || m == 0xc0 || m == 0xc4 || m == 0xdd);
		if (m == 0xe0)
			assert_memory_equal(out.p + off + 4, "JFIF\0", 5);
		off += 2 + len;
	}
	assert_int_equal(out.p[off + 1], 0xda);
	assert_memory_equal(out.p + out.len - 2, "\xff\xd9", 2);
	assert_null(memmem(out.p, out.len, "Exif", 4));
	assert_null(memmem(out.p, out.len, "ICC_PROFILE", 11));
	assert_null(memmem(out.p, out.len, "taken at home", 13));
	di.err = jpeg_std_error(&jerr);
	jpeg_create_decompress(&di);
	jpeg_mem_src(&di, out.p, out.len);
	assert_int_equal(jpeg_read_header(&di, TRUE), JPEG_HEADER_OK);
	assert_int_equal(di.image_width, 96);
	assert_int_equal(di.image_height, 64);
	assert_int_equal(di.num_components, 3);
	jpeg_destroy_decompress(&di);
	assert_true(res.preview.len > 0);
	pipeline_result_free(&res);
	free(out.p);
	free(in.p);
}

/* A WebP photo leaves as a JPEG when it came lossy (VP8), as a PNG when it came
 * lossless (VP8L): the same pixels, told apart by the bitstream alone. A phone's
 * 12 Mpx lossy WebP as PNG was 12.2 MB. */
static void
test_pipeline_keeps_a_lossy_webp_photo_lossy_and_a_lossless_one_exact(void **state)
{
	struct pipeline_result res;
	struct blob in, out;
	uint8_t *px, *enc = NULL;
	uint32_t w, h;

	(void)state;
	if (testskip_under_valgrind())
		return;
	px = photo_rgb();
	in.len = WebPEncodeRGB(px, 96, 64, 96 * 3, 80, &enc);
	assert_true(in.len > 0);
	assert_memory_equal(enc + 12, "VP8 ", 4);
	in.p = malloc(in.len);
	memcpy(in.p, enc, in.len);
	WebPFree(enc);
	pipeline_on(&in, &res, &out);
	assert_true(res.clean);
	assert_string_equal(res.type, "webp");
	assert_string_equal(res.output_type, "jpeg");
	assert_memory_equal(out.p, "\xff\xd8", 2);
	assert_memory_equal(out.p + out.len - 2, "\xff\xd9", 2);
	pipeline_result_free(&res);
	free(out.p);
	free(in.p);

	in = webp_lossless(px, 96, 64, 0);
	pipeline_on(&in, &res, &out);
	assert_true(res.clean);
	assert_string_equal(res.type, "webp");
	assert_string_equal(res.output_type, "png");
	check_bare_png(&out, &w, &h);
	assert_int_equal(w, 96);
	assert_int_equal(h, 64);
	pipeline_result_free(&res);
	free(out.p);
	free(in.p);
	free(px);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossless_webp_comes_out_as_the_same_pixels),
		cmocka_unit_test(test_webp_alpha_is_composited_over_white),
		cmocka_unit_test(test_heic_comes_out_as_its_picture),
		cmocka_unit_test(test_photos_over_the_pixel_limit_are_refused),
		cmocka_unit_test(test_jpeg_with_exif_orientation_comes_out_upright),
		cmocka_unit_test(test_pipeline_rebuilds_webp_and_heic_as_bare_png),
		cmocka_unit_test(test_pipeline_turns_a_rotated_jpeg_upright),
		cmocka_unit_test(test_pipeline_rebuilds_a_photo_as_a_bare_jpeg),
		cmocka_unit_test(test_pipeline_keeps_a_lossy_webp_photo_lossy_and_a_lossless_one_exact),
	};
	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
