/*
 * test_qr.c — a procedure's QR code must read back as its URL: the PNG is decoded by
 * an independent reader (zbarimg, from zbar-tools), the SVG is parsed as XML and its
 * path redrawn as pixels for the same reader, and its size is the symbol's module
 * count plus the margin. Bad arguments are refused before anything is drawn.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "qr.h"
#include "testutil.h"

#define URL "https://sekisho.example.lg.jp/t/chiyoda/p/juminhyo-utsushi?v=3"
#define SVG_SCALE 4		/* pixels per module when the SVG is redrawn */
#define GRID_MAX (177 + 2 * QR_MARGIN_MAX)

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_qr.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* What zbarimg reads from the image at path (its one symbol), malloc'd. */
static char *
zbar_read(const char *path)
{
	char cmd[256], *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *p;

	/* stderr: zbarimg's ImageMagick complains about a missing D-Bus. */
	snprintf(cmd, sizeof(cmd), "zbarimg --quiet --raw -Sdisable -Sqrcode.enable '%s' "
		 "2>/dev/null", path);
	assert_non_null(p = popen(cmd, "r"));
	n = getdelim(&text, &cap, '\0', p);	/* the whole output */
	assert_int_equal(pclose(p), 0);
	assert_true(n > 0);
	if (text[n - 1] == '\n')		/* zbarimg ends each symbol with one */
		text[n - 1] = '\0';
	return text;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
assert_png_reads_back(struct fixture *f, const char *text, unsigned module_px,
		      unsigned margin)
{
	unsigned char *png;
	size_t len;
	char err[256], path[128], *got;
	uint32_t w;

	assert_int_equal(qr_png(text, module_px, margin, &png, &len, err, sizeof(err)), 0);
	/* Signature, then IHDR: square, 1-bit greyscale, a whole number of modules
	 * of a valid version (21 + 4k modules). */
	assert_true(len > 33);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(png + 12, "IHDR", 4);
	w = be32(png + 16);
	assert_int_equal(be32(png + 20), w);
	assert_int_equal(png[24], 1);		/* bit depth */
	assert_int_equal(png[25], 0);		/* colour type: greyscale */
	assert_int_equal(w % module_px, 0);
	assert_true(w / module_px >= 21 + 2 * margin);
	assert_int_equal((w / module_px - 2 * margin - 21) % 4, 0);

	snprintf(path, sizeof(path), "%s/qr.png", f->dir);
	write_file(path, png, len);
	free(png);
	got = zbar_read(path);
	assert_string_equal(got, text);
	free(got);
}

static void
test_png_reads_back_as_the_url(void **state)
{
	assert_png_reads_back(*state, URL, 4, QR_MARGIN_DEFAULT);
	assert_png_reads_back(*state, "HTTPS://EXAMPLE.JP/P/1", 8, 4);	/* alphanumeric mode */
	assert_png_reads_back(*state, "1234567890", 3, 2);			/* numeric mode */
	/* UTF-8 stays bytes (never taken for Shift_JIS kanji) and reads back as UTF-8. */
	assert_png_reads_back(*state, "https://example.lg.jp/手続/住民票?q=千代田", 4, 4);
}

static void
test_png_of_the_longest_text_reads_back(void **state)
{
	char text[QR_TEXT_MAX + 1];
	size_t i;

	for (i = 0; i < QR_TEXT_MAX; i++)
		text[i] = "abcdefghijklmnopqrstuvwxyz0123456789/?=&"[i % 40];
	text[QR_TEXT_MAX] = '\0';
	assert_png_reads_back(*state, text, 3, QR_MARGIN_DEFAULT);
}

/* Fill grid (side x side modules) from the SVG's path d="M x y h n v1 h-n z ...";
 * returns the number of dark modules. Fails the test on anything else in d. */
static unsigned
svg_grid(const char *svg, unsigned side, unsigned char grid[GRID_MAX][GRID_MAX])
{
	const char *d = strstr(svg, " d=\"");
	unsigned x, y, n, m, dark = 0, i;
	int used;

	assert_non_null(d);
	d += 4;
	memset(grid, 0, GRID_MAX * GRID_MAX);
	while (*d != '"') {
		assert_int_equal(sscanf(d, "M%u %uh%uv1h-%uz%n", &x, &y, &n, &m, &used), 4);
		assert_int_equal(n, m);
		assert_true(n > 0 && x + n <= side && y < side);
		for (i = 0; i < n; i++) {
			assert_int_equal(grid[y][x + i], 0);	/* runs do not overlap */
			grid[y][x + i] = 1;
			dark++;
		}
		d += used;
	}
	return dark;
}

/* The 7x7 finder pattern with its top-left module at (x, y). */
static void
assert_finder(unsigned char grid[GRID_MAX][GRID_MAX], unsigned x, unsigned y)
{
	unsigned i, j, ring;

	for (j = 0; j < 7; j++)
		for (i = 0; i < 7; i++) {
			ring = (i == 0 || i == 6 || j == 0 || j == 6);
			ring |= (i >= 2 && i <= 4 && j >= 2 && j <= 4);
			assert_int_equal(grid[y + j][x + i], ring);
		}
}

static void
test_svg_is_well_formed_and_draws_the_symbol(void **state)
{
	static unsigned char grid[GRID_MAX][GRID_MAX];
	struct fixture *f = *state;
	const unsigned margin = 4;
	char *svg, err[256], path[128], pgm[128], cmd[512], *got, *hdr;
	const char *title = "住民票の写しの請求 <QR> & \"案内\"";
	unsigned side, width, dark, x, y, i, j;
	size_t len;
	FILE *fp;

	assert_int_equal(qr_svg(URL, margin, title, &svg, &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(svg), len);
	assert_int_equal(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
				"viewBox=\"0 0 %u %u\"", &side, &width), 2);
	assert_int_equal(side, width);
	width = side - 2 * margin;
	assert_true(width >= 21 && (width - 21) % 4 == 0);	/* a real symbol size */
	assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
	assert_non_null(strstr(svg, "role=\"img\"><title>住民票の写しの請求 &lt;QR&gt; "
			       "&amp; &quot;案内&quot;</title>"));
	/* Exactly one path: the runs are not one element per module. */
	assert_non_null(hdr = strstr(svg, "<path"));
	assert_null(strstr(hdr + 1, "<path"));

	/* Well-formed XML, with the title as its text, by a parser that is not ours. */
	snprintf(path, sizeof(path), "%s/qr.svg", f->dir);
	write_file(path, svg, len);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree "
		 "as E; r = E.parse(sys.argv[1]).getroot(); "
		 "t = r.find(\"{http://www.w3.org/2000/svg}title\").text; "
		 "sys.exit(0 if t == sys.argv[2] else 1)' '%s' '%s'", path,
		 "住民票の写しの請求 <QR> & \"案内\"");
	assert_int_equal(system(cmd), 0);

	/* The path, redrawn: finder patterns in three corners inside the margin, a
	 * quiet zone, and a symbol that reads back as the URL. */
	dark = svg_grid(svg, side, grid);
	assert_true(dark > width * width / 4 && dark < width * width * 3 / 4);
	for (i = 0; i < side; i++)
		for (j = 0; j < margin; j++) {
			assert_int_equal(grid[j][i], 0);
			assert_int_equal(grid[side - 1 - j][i], 0);
			assert_int_equal(grid[i][j], 0);
			assert_int_equal(grid[i][side - 1 - j], 0);
		}
	assert_finder(grid, margin, margin);
	assert_finder(grid, margin + width - 7, margin);
	assert_finder(grid, margin, margin + width - 7);
	/* Timing patterns: alternating modules along row 6 and column 6 between the
	 * finders, which only line up if the module count is right. */
	for (i = 8; i < width - 8; i++) {
		assert_int_equal(grid[margin + 6][margin + i], i % 2 == 0);
		assert_int_equal(grid[margin + i][margin + 6], i % 2 == 0);
	}

	snprintf(pgm, sizeof(pgm), "%s/qr.pgm", f->dir);
	assert_non_null(fp = fopen(pgm, "wb"));
	fprintf(fp, "P5 %u %u 255\n", side * SVG_SCALE, side * SVG_SCALE);
	for (y = 0; y < side * SVG_SCALE; y++)
		for (x = 0; x < side * SVG_SCALE; x++)
			fputc(grid[y / SVG_SCALE][x / SVG_SCALE] ? 0 : 255, fp);
	assert_int_equal(fclose(fp), 0);
	got = zbar_read(pgm);
	assert_string_equal(got, URL);
	free(got);
	free(svg);
}

static void
test_bad_arguments_are_refused(void **state)
{
	char big[QR_TEXT_MAX + 2], longtitle[QR_TITLE_MAX + 2], err[256];
	unsigned char *png = (unsigned char *)"x";
	char *svg = "x";
	size_t len = 1;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(longtitle, 'a', sizeof(longtitle) - 1);
	longtitle[sizeof(longtitle) - 1] = '\0';

#define PNG_REFUSED(text, px, m, why) do {						\
	err[0] = '\0';									\
	assert_int_equal(qr_png(text, px, m, &png, &len, err, sizeof(err)), -1);	\
	assert_null(png);								\
	assert_int_equal(len, 0);							\
	assert_non_null(strstr(err, why));						\
} while (0)
#define SVG_REFUSED(text, m, title, why) do {						\
	err[0] = '\0';									\
	assert_int_equal(qr_svg(text, m, title, &svg, &len, err, sizeof(err)), -1);	\
	assert_null(svg);								\
	assert_int_equal(len, 0);							\
	assert_non_null(strstr(err, why));						\
} while (0)

	PNG_REFUSED("", 4, 4, "no text");
	PNG_REFUSED(NULL, 4, 4, "no text");
	PNG_REFUSED(big, 4, 4, "longer than");
	PNG_REFUSED(URL, 0, 4, "module size");
	PNG_REFUSED(URL, QR_MODULE_PX_MAX + 1, 4, "module size");
	PNG_REFUSED(URL, 4, QR_MARGIN_MAX + 1, "margin");
	SVG_REFUSED("", 4, "t", "no text");
	SVG_REFUSED(big, 4, "t", "longer than");
	SVG_REFUSED(URL, QR_MARGIN_MAX + 1, "t", "margin");
	SVG_REFUSED(URL, 4, NULL, "no title");
	SVG_REFUSED(URL, 4, "", "no title");
	SVG_REFUSED(URL, 4, longtitle, "title longer");
	SVG_REFUSED(URL, 4, "bad \xff byte", "not UTF-8");
	SVG_REFUSED(URL, 4, "cut \xe4\xbd", "not UTF-8");
	SVG_REFUSED(URL, 4, "overlong \xc0\xaf", "not UTF-8");
	SVG_REFUSED(URL, 4, "surrogate \xed\xa0\x80", "not UTF-8");
	SVG_REFUSED(URL, 4, "bell \a", "not UTF-8");
#undef PNG_REFUSED
#undef SVG_REFUSED

	/* The bounds themselves are allowed. */
	big[QR_TEXT_MAX] = '\0';
	longtitle[QR_TITLE_MAX] = '\0';
	assert_int_equal(qr_svg(big, QR_MARGIN_MAX, longtitle, &svg, &len, err, sizeof(err)), 0);
	free(svg);
	assert_int_equal(qr_png(URL, QR_MODULE_PX_MAX, QR_MARGIN_MAX, &png, &len, err,
				sizeof(err)), 0);
	free(png);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_png_reads_back_as_the_url),
		T(test_png_of_the_longest_text_reads_back),
		T(test_svg_is_well_formed_and_draws_the_symbol),
		T(test_bad_arguments_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
