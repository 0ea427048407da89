/*
 * test_preview.c — the first page, small: the right size, the right average, PNG that
 * a decoder reads back, and a stream the reader refuses gives no preview.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pixels.h"
#include "preview.h"

/* Top half black, bottom half grey. */
static uint8_t
halves(uint32_t x, uint32_t y, uint32_t c, uint32_t h)
{
	(void)x;
	(void)c;
	return (uint8_t)(y < h / 2 ? 0 : 200);
}

/* Different in every pixel and channel. */
static uint8_t
pattern(uint32_t x, uint32_t y, uint32_t c, uint32_t h)
{
	(void)h;
	return (uint8_t)(x * (c + 1) * 37 + y * 11 + c * 80);
}

/* A stream of frames (w x h, channels), each value value(x, y, channel, h), in memory. */
static uint8_t *
make_stream_of(uint32_t w, uint32_t h, uint8_t channels, uint32_t frames,
	       uint8_t (*value)(uint32_t, uint32_t, uint32_t, uint32_t), size_t *len)
{
	int fd = memfd_create("pixels", MFD_CLOEXEC);
	struct pixels_writer wr;
	struct pixels_header hd = { w, h, channels, 8 };
	uint8_t *row = malloc((size_t)w * channels), *out;
	off_t end;

	assert_true(fd >= 0);
	pixels_writer_init(&wr, fd);
	for (uint32_t f = 0; f < frames; f++) {
		assert_int_equal(pixels_writer_frame(&wr, &hd), 0);
		for (uint32_t y = 0; y < h; y++) {
			for (uint32_t x = 0; x < w * channels; x++)
				row[x] = value(x / channels, y, x % channels, h);
			assert_int_equal(pixels_writer_row(&wr, row), 0);
		}
	}
	assert_int_equal(pixels_writer_finish(&wr), 0);
	end = lseek(fd, 0, SEEK_END);
	out = malloc((size_t)end);
	assert_int_equal(pread(fd, out, (size_t)end, 0), end);
	close(fd);
	free(row);
	*len = (size_t)end;
	return out;
}

static uint8_t *
make_stream(uint32_t w, uint32_t h, uint8_t channels, uint32_t frames, size_t *len)
{
	return make_stream_of(w, h, channels, frames, halves, len);
}

static void
decode_as(const struct rebuild_buf *b, png_image *img, uint8_t **px, png_uint_32 format)
{
	memset(img, 0, sizeof *img);
	img->version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(img, b->p, b->len));
	img->format = format;
	*px = malloc(PNG_IMAGE_SIZE(*img));
	assert_true(png_image_finish_read(img, NULL, *px, 0, NULL));
}

static void
decode(const struct rebuild_buf *b, png_image *img, uint8_t **px)
{
	decode_as(b, img, px, PNG_FORMAT_GRAY);
}

static void
test_a4_page_fits_and_keeps_its_look(void **state)
{
	struct pixels_limits lim;
	struct rebuild_buf out = { 0 };
	size_t len;
	uint8_t *stream = make_stream(1240, 1754, 1, 2, &len), *px;	/* A4 at 150 dpi */
	png_image img;

	(void)state;
	pixels_limits_default(&lim);
	assert_int_equal(preview_from_stream(stream, len, &lim, &out), 0);
	decode(&out, &img, &px);
	/* 1754 / 320 -> a factor of 6: 207 x 293, the longer side within the bound. */
	assert_int_equal(img.width, 207);
	assert_int_equal(img.height, 293);
	assert_int_equal(px[10 * img.width + 10], 0);
	assert_int_equal(px[(img.height - 10) * img.width + 10], 200);
	png_image_free(&img);
	free(px);
	rebuild_buf_free(&out);
	free(stream);
}

static void
test_small_colour_image_is_kept_at_its_size(void **state)
{
	struct pixels_limits lim;
	struct rebuild_buf out = { 0 };
	size_t len;
	uint8_t *stream = make_stream(100, 60, 3, 1, &len), *px;
	png_image img;

	(void)state;
	pixels_limits_default(&lim);
	assert_int_equal(preview_from_stream(stream, len, &lim, &out), 0);
	decode(&out, &img, &px);
	assert_int_equal(img.width, 100);
	assert_int_equal(img.height, 60);
	png_image_free(&img);
	free(px);
	rebuild_buf_free(&out);
	free(stream);
}

/* Every preview pixel is the mean of its block, per channel, the blocks at the right
 * and bottom edges being narrower: 1003 x 7 at a factor of 4 is 251 x 2, with a last
 * column of 3 pixels and a last row of 3. */
static void
test_every_pixel_is_its_block_mean(void **state)
{
	const uint32_t w = 1003, h = 7, s = 4;
	struct pixels_limits lim;
	struct rebuild_buf out = { 0 };
	size_t len;
	uint8_t *stream = make_stream_of(w, h, 3, 1, pattern, &len), *px;
	png_image img;

	(void)state;
	pixels_limits_default(&lim);
	assert_int_equal(preview_from_stream(stream, len, &lim, &out), 0);
	decode_as(&out, &img, &px, PNG_FORMAT_RGB);
	assert_int_equal(img.width, 251);
	assert_int_equal(img.height, 2);
	for (uint32_t oy = 0; oy < img.height; oy++)
		for (uint32_t ox = 0; ox < img.width; ox++)
			for (uint32_t c = 0; c < 3; c++) {
				uint32_t sum = 0, n = 0;

				for (uint32_t y = oy * s; y < h && y < (oy + 1) * s; y++)
					for (uint32_t x = ox * s; x < w && x < (ox + 1) * s; x++, n++)
						sum += pattern(x, y, c, h);
				assert_int_equal(px[(oy * img.width + ox) * 3 + c], sum / n);
			}
	png_image_free(&img);
	free(px);
	rebuild_buf_free(&out);
	free(stream);
}

static void
test_a_bad_stream_gives_no_preview(void **state)
{
	struct pixels_limits lim;
	struct rebuild_buf out = { 0 };
	size_t len;
	uint8_t *stream = make_stream(400, 400, 1, 1, &len);

	(void)state;
	pixels_limits_default(&lim);
	assert_int_not_equal(preview_from_stream(stream, len / 2, &lim, &out), 0);	/* cut */
	assert_int_not_equal(preview_from_stream(stream, 3, &lim, &out), 0);
	lim.max_pixels = 1000;	/* over the reader's limit */
	assert_int_not_equal(preview_from_stream(stream, len, &lim, &out), 0);
	assert_int_equal(out.len, 0);
	rebuild_buf_free(&out);
	free(stream);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a4_page_fits_and_keeps_its_look),
		cmocka_unit_test(test_small_colour_image_is_kept_at_its_size),
		cmocka_unit_test(test_every_pixel_is_its_block_mean),
		cmocka_unit_test(test_a_bad_stream_gives_no_preview),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
