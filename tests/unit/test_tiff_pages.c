/*
 * test_tiff_pages.c — a multi-page TIFF (a scanner's or a fax machine's document)
 * is a document, not a picture: detection tells it from a one-page TIFF, the render
 * child draws every page at the pipeline's resolution by the page's own (so a 300
 * dpi scan and a 204 x 98 dpi fax page keep their paper size and come out with
 * square pixels), lanes split the pages as for a PDF, a page limit holds, and the
 * whole pipeline makes one PDF page per TIFF page, in order. Before this, only the
 * first page came out, and the rest were silently lost.
 *
 * The TIFFs are written by testtiff.h, uncompressed 8-bit grey, so every pixel is
 * known.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <valgrind/valgrind.h>

#include "detect.h"
#include "pipeline.h"
#include "pixels.h"
#include "render.h"
#include "testscan.h"
#include "testtiff.h"

static int
memfd_of(const struct testtiff_buf *b)
{
	int fd = memfd_create("in", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* A 300 dpi page of 2 x 1 inches, a fax page of 2 x 2 inches at 204 x 98 dpi, and
 * a 150 dpi page of 1 inch square, each its own grey. */
static const struct testtiff_page three[3] = {
	{ 600, 300, 300, 300, 40 }, { 408, 196, 204, 98, 120 }, { 150, 150, 150, 150, 200 },
};

static void
test_detection_tells_a_multi_page_tiff_from_a_picture(void **state)
{
	struct detect_result d;
	struct testtiff_buf one, many;
	int be, fd;

	(void)state;
	for (be = 0; be < 2; be++) {
		one = testtiff_of(three, 1, be);
		many = testtiff_of(three, 3, be);
		fd = memfd_of(&one);
		assert_int_equal(detect_fd(fd, &d), 0);
		assert_int_equal(d.type, DETECT_TIFF);
		assert_false(d.flags & DETECT_F_PAGES);
		close(fd);
		fd = memfd_of(&many);
		assert_int_equal(detect_fd(fd, &d), 0);
		assert_int_equal(d.type, DETECT_TIFF);
		assert_true(d.flags & DETECT_F_PAGES);
		close(fd);
		/* A "next IFD" past the end of the file is no second page. */
		testtiff_set32(one.p + one.len - 4, be, (uint32_t)one.len + 100);
		fd = memfd_of(&one);
		assert_int_equal(detect_fd(fd, &d), 0);
		assert_int_equal(d.type, DETECT_TIFF);
		assert_false(d.flags & DETECT_F_PAGES);
		close(fd);
		free(one.p);
		free(many.p);
	}
}

/* render_child in this process; the frames' headers in h[], and each frame's first
 * pixel in first[]. Returns the exit code; *frames the count. */
static int
render_pages(const struct testtiff_buf *b, const struct render_request *req,
    struct pixels_header *h, uint8_t *first, unsigned max, unsigned *frames)
{
	int in = memfd_of(b), o = memfd_create("out", 0), rc, fd;
	struct pixels_reader r;
	uint8_t row[4096];
	uint32_t y;

	rc = render_child(o, in, (void *)req);
	*frames = 0;
	if (rc == RENDER_EXIT_OK || rc == RENDER_EXIT_MORE) {
		lseek(o, 0, SEEK_SET);
		fd = o;
		pixels_reader_init(&r, pixels_fd_read, &fd, NULL);
		while (pixels_reader_next(&r, &h[*frames]) == 0) {
			assert_true(*frames < max);
			assert_true(pixels_row_bytes(&h[*frames]) <= sizeof row);
			for (y = 0; y < h[*frames].height; y++) {
				assert_int_equal(pixels_reader_row(&r, row), 0);
				if (y == h[*frames].height / 2)
					first[*frames] = row[h[*frames].width / 2];
			}
			(*frames)++;
		}
	}
	close(in);
	close(o);
	return rc;
}

static void
test_every_page_is_drawn_at_the_pipeline_resolution_by_its_own(void **state)
{
	struct render_request req = { .type = DETECT_TIFF, .dpi = 150, .tiff_pages = 1 };
	struct testtiff_buf b = testtiff_of(three, 3, 0);
	struct pixels_header h[4];
	uint8_t mid[4];
	unsigned n;

	(void)state;
	render_limits_default(&req.lim);
	assert_int_equal(render_pages(&b, &req, h, mid, 4, &n), RENDER_EXIT_OK);
	assert_int_equal(n, 3);
	/* 2 x 1 in, 2 x 2 in (the fax's tall pixels made square), 1 x 1 in at 150 dpi. */
	assert_int_equal(h[0].width, 300);
	assert_int_equal(h[0].height, 150);
	assert_int_equal(h[1].width, 300);
	assert_int_equal(h[1].height, 300);
	assert_int_equal(h[2].width, 150);
	assert_int_equal(h[2].height, 150);
	assert_int_equal(h[0].channels, 1);
	assert_int_equal(mid[0], 40);
	assert_int_equal(mid[1], 120);
	assert_int_equal(mid[2], 200);

	/* The second of two lanes: pages 1 only (then 3, which does not exist). */
	req.first_page = 1;
	req.page_step = 2;
	assert_int_equal(render_pages(&b, &req, h, mid, 4, &n), RENDER_EXIT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(mid[0], 120);

	/* Without tiff_pages, a TIFF is a picture: its first page at its own size. */
	req.first_page = 0;
	req.page_step = 0;
	req.tiff_pages = 0;
	assert_int_equal(render_pages(&b, &req, h, mid, 4, &n), RENDER_EXIT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].width, 600);
	assert_int_equal(h[0].height, 300);

	/* A page limit holds before any page is drawn. */
	req.tiff_pages = 1;
	req.lim.max_pages = 2;
	assert_int_equal(render_pages(&b, &req, h, mid, 4, &n), RENDER_EXIT_TOO_MANY_PAGES);
	assert_int_equal(n, 0);

	/* A batch limit of about one page: the child stops after it and says "more". */
	render_limits_default(&req.lim);
	req.lim.max_batch_pixels = 300 * 150 * 3;
	assert_int_equal(render_pages(&b, &req, h, mid, 4, &n), RENDER_EXIT_MORE);
	assert_int_equal(n, 1);
	free(b.p);
}

static void
test_a_page_over_the_pixel_limit_is_refused(void **state)
{
	/* Page 2: 300 x 300 pixels that claim 72 dpi, so 625 x 625 at 150 dpi. MuPDF
	 * takes a resolution below 72 for 72, which bounds the scale-up at 150/72. */
	static const struct testtiff_page big[2] = {
		{ 150, 150, 150, 150, 255 }, { 300, 300, 72, 72, 0 },
	};
	struct render_request req = { .type = DETECT_TIFF, .dpi = 150, .tiff_pages = 1 };
	struct testtiff_buf b = testtiff_of(big, 2, 1);
	struct pixels_header h[2];
	uint8_t mid[2];
	unsigned n;

	(void)state;
	render_limits_default(&req.lim);
	req.lim.max_page_pixels = 300 * 300;	/* its pixels pass, the page does not */
	assert_int_equal(render_pages(&b, &req, h, mid, 2, &n), RENDER_EXIT_LIMITS);
	req.lim.max_page_pixels = 100 * 100;	/* the first page's own pixels do not */
	assert_int_equal(render_pages(&b, &req, h, mid, 2, &n), RENDER_EXIT_LIMITS);
	req.lim.max_page_pixels = 625 * 625;
	assert_int_equal(render_pages(&b, &req, h, mid, 2, &n), RENDER_EXIT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(h[1].width, 625);
	free(b.p);
}

static void
test_pipeline_makes_one_pdf_page_per_tiff_page_in_order(void **state)
{
	static const uint8_t key[32] = { 7 };
	static const float w_pt[3] = { 144, 144, 72 }, h_pt[3] = { 72, 144, 72 };
	struct testtiff_buf b = testtiff_of(three, 3, 1);
	struct pipeline_result res;
	struct pipeline_config c;
	int in = memfd_of(&b), out = memfd_create("out", 0), i;
	fz_context *ctx;
	fz_buffer *buf;
	fz_stream *stm;
	pdf_document *doc;
	uint8_t *pdf;
	off_t end;

	(void)state;
	if (RUNNING_ON_VALGRIND) {	/* the sandbox cannot run under valgrind */
		free(b.p);
		close(in);
		close(out);
		skip();
	}
	pipeline_config_default(&c);
	c.scanner = group_scanner;
	c.sign_key = key;
	assert_int_equal(pipeline_run(&c, in, out, &res), 0);
	assert_true(res.clean);
	assert_string_equal(res.type, "tiff");
	assert_string_equal(res.method, "tiff-pages-render");
	assert_string_equal(res.output_type, "pdf");
	assert_int_equal(res.pages, 3);
	assert_true(res.preview.len > 0);
	assert_non_null(res.attestation);

	end = lseek(out, 0, SEEK_END);
	pdf = malloc((size_t)end);
	assert_int_equal(pread(out, pdf, (size_t)end, 0), end);
	ctx = fz_new_context(NULL, NULL, 0);
	buf = fz_new_buffer_from_shared_data(ctx, pdf, (size_t)end);
	stm = fz_open_buffer(ctx, buf);
	doc = pdf_open_document_with_stream(ctx, stm);
	assert_int_equal(fz_count_pages(ctx, &doc->super), 3);
	for (i = 0; i < 3; i++) {
		fz_page *page = fz_load_page(ctx, &doc->super, i);
		fz_rect r = fz_bound_page(ctx, page);
		fz_pixmap *pix = fz_new_pixmap_from_page(ctx, page, fz_identity, fz_device_gray(ctx),
							 0);
		int got = pix->samples[(pix->h / 2) * pix->stride + pix->w / 2];

		assert_true(r.x1 - r.x0 > w_pt[i] - 0.5f && r.x1 - r.x0 < w_pt[i] + 0.5f);
		assert_true(r.y1 - r.y0 > h_pt[i] - 0.5f && r.y1 - r.y0 < h_pt[i] + 0.5f);
		/* The page's own grey, in order (the encoding may quantise it a little). */
		assert_true(abs(got - three[i].grey) <= 24);
		fz_drop_pixmap(ctx, pix);
		fz_drop_page(ctx, page);
	}
	pdf_drop_document(ctx, doc);
	fz_drop_stream(ctx, stm);
	fz_drop_buffer(ctx, buf);
	fz_drop_context(ctx);
	free(pdf);
	pipeline_result_free(&res);
	close(in);
	close(out);
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detection_tells_a_multi_page_tiff_from_a_picture),
		cmocka_unit_test(test_every_page_is_drawn_at_the_pipeline_resolution_by_its_own),
		cmocka_unit_test(test_a_page_over_the_pixel_limit_is_refused),
		cmocka_unit_test(test_pipeline_makes_one_pdf_page_per_tiff_page_in_order),
	};
	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
