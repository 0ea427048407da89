/*
 * test_pixels.c — the pixel stream reader believes nothing the child says: what a
 * writer wrote comes back exactly, and a header claiming too much, or a stream
 * that stops early, is refused before the parent allocates for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pixels.h"

/* Write frames of the given sizes into a pipe-free buffer via a temp file. */
struct stream {
	uint8_t *p;
	size_t len;
};

static void
pixel_at(uint32_t x, uint32_t y, uint8_t c, uint32_t frame, uint8_t *out)
{
	*out = (uint8_t)(x * 7 + y * 13 + c * 31 + frame * 101);
}

static struct stream
write_stream(const struct pixels_header *frames, size_t nframes, int finish)
{
	struct pixels_writer w;
	struct stream s = { 0 };
	FILE *f = tmpfile();
	size_t i;
	uint32_t x, y;
	uint8_t c;
	long len;

	assert_non_null(f);
	pixels_writer_init(&w, fileno(f));
	for (i = 0; i < nframes; i++) {
		size_t rb = pixels_row_bytes(&frames[i]);
		uint8_t *row = malloc(rb);

		assert_non_null(row);
		assert_int_equal(pixels_writer_frame(&w, &frames[i]), 0);
		for (y = 0; y < frames[i].height; y++) {
			for (x = 0; x < frames[i].width; x++)
				for (c = 0; c < frames[i].channels; c++)
					pixel_at(x, y, c, (uint32_t)i,
					    &row[x * frames[i].channels + c]);
			assert_int_equal(pixels_writer_row(&w, row), 0);
		}
		free(row);
	}
	if (finish)
		assert_int_equal(pixels_writer_finish(&w), 0);
	len = lseek(fileno(f), 0, SEEK_END);
	assert_true(len >= 0);
	s.len = (size_t)len;
	s.p = malloc(s.len + 1);
	assert_non_null(s.p);
	assert_int_equal(pread(fileno(f), s.p, s.len, 0), (ssize_t)s.len);
	fclose(f);
	return s;
}

static void
test_round_trip_returns_every_pixel_of_every_frame(void **state)
{
	static const struct pixels_header frames[] = {
		{ .width = 17, .height = 5, .channels = 3, .depth = 8 },
		{ .width = 1, .height = 1, .channels = 1, .depth = 8 },
		{ .width = 300, .height = 2, .channels = 1, .depth = 8 },
	};
	struct stream s = write_stream(frames, 3, 1);
	struct pixels_mem m = { .p = s.p, .len = s.len };
	struct pixels_reader r;
	struct pixels_header h;
	uint8_t row[1024], want;
	uint32_t i, x, y;
	uint8_t c;

	(void)state;
	pixels_reader_init(&r, pixels_mem_read, &m, NULL);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pixels_reader_next(&r, &h), 0);
		assert_int_equal(h.width, frames[i].width);
		assert_int_equal(h.height, frames[i].height);
		assert_int_equal(h.channels, frames[i].channels);
		for (y = 0; y < h.height; y++) {
			assert_int_equal(pixels_reader_row(&r, row), 0);
			for (x = 0; x < h.width; x++)
				for (c = 0; c < h.channels; c++) {
					pixel_at(x, y, c, i, &want);
					assert_int_equal(row[x * h.channels + c], want);
				}
		}
	}
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_END);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_END);
	free(s.p);
}

/* A read callback that fails the test if the reader asks for pixel data: the
 * point is that the refusal comes from the header alone. */
struct header_only {
	struct pixels_mem m;
	size_t header_len;
};

static ssize_t
header_only_read(void *arg, void *buf, size_t n)
{
	struct header_only *h = arg;

	if (h->m.off >= h->header_len)
		fail_msg("reader read past a header it should have refused");
	return pixels_mem_read(&h->m, buf, n);
}

static void
make_header(uint8_t *b, uint32_t w, uint32_t h, uint8_t channels)
{
	memcpy(b, "SKPX", 4);
	b[4] = PIXELS_VERSION;
	b[5] = channels;
	b[6] = 8;
	b[7] = 0;
	b[8] = (uint8_t)(w >> 24); b[9] = (uint8_t)(w >> 16);
	b[10] = (uint8_t)(w >> 8); b[11] = (uint8_t)w;
	b[12] = (uint8_t)(h >> 24); b[13] = (uint8_t)(h >> 16);
	b[14] = (uint8_t)(h >> 8); b[15] = (uint8_t)h;
}

static int
read_claim(uint32_t w, uint32_t h, uint8_t channels, const struct pixels_limits *lim)
{
	uint8_t b[PIXELS_HEADER_LEN];
	struct header_only src = { .m = { .p = b, .len = sizeof(b) },
	    .header_len = sizeof(b) };
	struct pixels_reader r;
	struct pixels_header hdr;

	make_header(b, w, h, channels);
	pixels_reader_init(&r, header_only_read, &src, lim);
	return pixels_reader_next(&r, &hdr);
}

static void
test_huge_claimed_dimensions_are_refused_before_allocation(void **state)
{
	struct pixels_limits lim;

	(void)state;
	/* 100000 x 100000: past the per-side bound. */
	assert_int_equal(read_claim(100000, 100000, 3, NULL), PIXELS_ELIMIT);
	assert_int_equal(read_claim(0xffffffffu, 1, 1, NULL), PIXELS_ELIMIT);
	/* 60000 x 60000 = 3.6 Gpx: within each side, past the 50 Mpx default. */
	assert_int_equal(read_claim(60000, 60000, 1, NULL), PIXELS_ELIMIT);
	/* 8000 x 6000 = 48 Mpx passes the default, but not a 12 Mpx policy. */
	assert_int_equal(read_claim(8000, 6000, 3, NULL), 0);
	pixels_limits_default(&lim);
	lim.max_pixels = 12000000;
	assert_int_equal(read_claim(8000, 6000, 3, &lim), PIXELS_ELIMIT);
	/* And the whole-stream byte budget applies to a single frame too. */
	pixels_limits_default(&lim);
	lim.max_bytes = 1000;
	assert_int_equal(read_claim(100, 10, 1, &lim), 0);
	assert_int_equal(read_claim(100, 11, 1, &lim), PIXELS_ELIMIT);
}

static void
test_too_many_frames_are_refused(void **state)
{
	static const struct pixels_header f = { .width = 2, .height = 2, .channels = 1, .depth = 8 };
	struct pixels_header frames[3] = { f, f, f };
	struct stream s = write_stream(frames, 3, 1);
	struct pixels_mem m = { .p = s.p, .len = s.len };
	struct pixels_limits lim;
	struct pixels_reader r;
	struct pixels_header h;
	uint8_t row[2];

	(void)state;
	pixels_limits_default(&lim);
	lim.max_frames = 2;
	pixels_reader_init(&r, pixels_mem_read, &m, &lim);
	assert_int_equal(pixels_reader_next(&r, &h), 0);
	assert_int_equal(pixels_reader_row(&r, row), 0);
	assert_int_equal(pixels_reader_row(&r, row), 0);
	assert_int_equal(pixels_reader_next(&r, &h), 0);
	assert_int_equal(pixels_reader_row(&r, row), 0);
	assert_int_equal(pixels_reader_row(&r, row), 0);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_ELIMIT);
	free(s.p);
}

static void
test_malformed_headers_are_refused(void **state)
{
	uint8_t b[PIXELS_HEADER_LEN];
	struct pixels_mem m = { .p = b, .len = sizeof(b) };
	struct pixels_reader r;
	struct pixels_header h;

	(void)state;
	assert_int_equal(read_claim(10, 10, 2, NULL), PIXELS_EFORMAT);	/* 2 channels */
	assert_int_equal(read_claim(0, 10, 1, NULL), PIXELS_EFORMAT);
	make_header(b, 1, 1, 1);
	b[4] = 2;
	pixels_reader_init(&r, pixels_mem_read, &m, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_EVERSION);
	make_header(b, 1, 1, 1);
	b[0] = 'X';
	m.off = 0;
	pixels_reader_init(&r, pixels_mem_read, &m, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_EMAGIC);
	/* An error sticks: later calls do not resynchronise on hostile bytes. */
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_EMAGIC);
}

static void
test_truncated_stream_is_refused_wherever_it_stops(void **state)
{
	static const struct pixels_header frames[] = {
		{ .width = 4, .height = 3, .channels = 3, .depth = 8 },
		{ .width = 2, .height = 2, .channels = 1, .depth = 8 },
	};
	struct stream s = write_stream(frames, 2, 1);
	uint8_t row[64];
	size_t cut;

	(void)state;
	/* Every prefix shorter than the whole stream, including the empty one and
	 * one that ends exactly between frames, must fail and never reach END. */
	for (cut = 0; cut < s.len; cut++) {
		struct pixels_mem m = { .p = s.p, .len = cut };
		struct pixels_reader r;
		struct pixels_header h;
		int rc;

		pixels_reader_init(&r, pixels_mem_read, &m, NULL);
		while ((rc = pixels_reader_next(&r, &h)) == 0) {
			uint32_t y;

			for (y = 0; y < h.height && rc == 0; y++)
				rc = pixels_reader_row(&r, row);
			if (rc != 0)
				break;
		}
		if (rc != PIXELS_ETRUNCATED)
			fail_msg("cut at %zu of %zu: %s", cut, s.len, pixels_strerror(rc));
	}
	free(s.p);
}

static void
test_trailer_with_wrong_frame_count_is_refused(void **state)
{
	static const struct pixels_header f = { .width = 1, .height = 1, .channels = 1, .depth = 8 };
	struct stream s = write_stream(&f, 1, 1);
	struct pixels_mem m = { .p = s.p, .len = s.len };
	struct pixels_reader r;
	struct pixels_header h;
	uint8_t px;

	(void)state;
	s.p[s.len - 1] = 2;	/* the trailer claims two frames */
	pixels_reader_init(&r, pixels_mem_read, &m, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), 0);
	assert_int_equal(pixels_reader_row(&r, &px), 0);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_EFORMAT);
	free(s.p);
}

static void
test_calls_out_of_order_are_refused(void **state)
{
	static const struct pixels_header f = { .width = 1, .height = 2, .channels = 1, .depth = 8 };
	struct stream s = write_stream(&f, 1, 1);
	struct pixels_mem m = { .p = s.p, .len = s.len };
	struct pixels_reader r;
	struct pixels_writer w;
	struct pixels_header h;
	uint8_t px = 0;

	(void)state;
	pixels_reader_init(&r, pixels_mem_read, &m, NULL);
	assert_int_equal(pixels_reader_next(&r, &h), 0);
	assert_int_equal(pixels_reader_row(&r, &px), 0);
	assert_int_equal(pixels_reader_next(&r, &h), PIXELS_ESTATE);	/* a row left */
	free(s.p);

	/* The writer will not start a frame with rows missing, nor write a header
	 * the reader would refuse. */
	pixels_writer_init(&w, -1);
	assert_int_equal(pixels_writer_row(&w, &px), PIXELS_ESTATE);
	h = f;
	h.channels = 4;
	assert_int_equal(pixels_writer_frame(&w, &h), PIXELS_EFORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_returns_every_pixel_of_every_frame),
		cmocka_unit_test(test_huge_claimed_dimensions_are_refused_before_allocation),
		cmocka_unit_test(test_too_many_frames_are_refused),
		cmocka_unit_test(test_malformed_headers_are_refused),
		cmocka_unit_test(test_truncated_stream_is_refused_wherever_it_stops),
		cmocka_unit_test(test_trailer_with_wrong_frame_count_is_refused),
		cmocka_unit_test(test_calls_out_of_order_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
