/*
 * testocr.h — pages drawn and read back through the whole pipeline with OCR on, for
 * test_ocr_pipeline.c and test_ocr_layout.c: lines drawn in IPA Gothic
 * (fonts-ipafont-gothic) onto an A4 page at 150 dpi, image-only PDFs of such pages
 * (as a scanner makes), and the pipeline run on them, its text layer as poppler's
 * pdftotext reads it (test_ocr.c reads its own layers so too). The pipeline cases
 * need a confined child, so pipeline_skip skips them under valgrind (see
 * test_sandbox.c), and without pdftotext (poppler-utils) or the font. Include after
 * cmocka.h, with _GNU_SOURCE defined (memfd_create, memmem); run's scanner is the
 * group's (testscan_setup_group).
 */
#ifndef SEKISHO_TESTOCR_H
#define SEKISHO_TESTOCR_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "ocr.h"
#include "pipeline.h"
#include "rebuild.h"
#include "testscan.h"

#define TEST_FONT	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
#define A4_W		1240	/* A4 at 150 dpi */
#define A4_H		1754

/* ---- read back by poppler ---- */

static inline int
have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* What the command "before PATH after" prints on its standard output, PATH a file
 * holding pdf (malloc'd, NUL-terminated). The command must succeed. */
static inline char *
output_of(const char *before, const char *after, const uint8_t *pdf, size_t len)
{
	char path[] = "/tmp/test-ocr-XXXXXX", line[512];
	char *text = NULL;
	size_t n = 0;
	FILE *p;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, pdf, len), (ssize_t)len);
	close(fd);
	assert_true(snprintf(line, sizeof line, "%s %s %s", before, path, after) <
		    (int)sizeof line);
	assert_non_null(p = popen(line, "r"));
	for (;;) {
		char *grown = realloc(text, n + 4097);
		size_t got;

		assert_non_null(grown);
		text = grown;
		if ((got = fread(text + n, 1, 4096, p)) == 0)
			break;
		n += got;
	}
	text[n] = '\0';
	assert_int_equal(pclose(p), 0);
	unlink(path);
	return text;
}

/* pdftotext's reading of pdf with options opts ("-bbox": its words in XHTML, with
 * their boxes in points; malloc'd, NUL-terminated). */
static inline char *
pdftotext_with(const uint8_t *pdf, size_t len, const char *opts)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s", opts);
	return output_of(cmd, "- 2>/dev/null", pdf, len);
}

static inline char *
pdftotext(const uint8_t *pdf, size_t len)
{
	return pdftotext_with(pdf, len, "");
}

/* ---- pages drawn ---- */

static inline unsigned
utf8_dec(const char **s)
{
	uint32_t cp = 0;
	size_t n = ocr_utf8_next((const uint8_t *)*s, strlen(*s), &cp);

	assert_true(n > 0);
	*s += n;
	return cp;
}

/* Draw s across onto px, an A4 page at 150 dpi, in face's size from x along the
 * baseline y. */
static inline void
draw_across(uint8_t *px, FT_Face face, const char *s, int x, int y)
{
	while (*s) {
		FT_GlyphSlot g;
		unsigned r, q;

		assert_int_equal(FT_Load_Char(face, utf8_dec(&s), FT_LOAD_RENDER), 0);
		g = face->glyph;
		for (r = 0; r < g->bitmap.rows; r++)
			for (q = 0; q < g->bitmap.width; q++) {
				int X = x + g->bitmap_left + (int)q, Y = y - g->bitmap_top + (int)r;
				uint8_t v = (uint8_t)(255 - g->bitmap.buffer[r * g->bitmap.pitch + q]);

				if (X >= 0 && X < A4_W && Y >= 0 && Y < A4_H && v < px[Y * A4_W + X])
					px[Y * A4_W + X] = v;
			}
		x += (int)(g->advance.x >> 6);
	}
}

/* Open IPA Gothic at px_size pixels into *lib and *face (face_close). */
static inline void
face_open(FT_Library *lib, FT_Face *face, unsigned px_size)
{
	assert_int_equal(FT_Init_FreeType(lib), 0);
	assert_int_equal(FT_New_Face(*lib, TEST_FONT, 0, face), 0);
	assert_int_equal(FT_Set_Pixel_Sizes(*face, 0, px_size), 0);
}

static inline void
face_close(FT_Library lib, FT_Face face)
{
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
}

/* An A4 page at 150 dpi with lines of text drawn in IPA Gothic at px_size pixels,
 * one every pitch pixels. */
static inline uint8_t *
draw_lines(const char *const *lines, unsigned px_size, unsigned pitch)
{
	uint8_t *px = malloc((size_t)A4_W * A4_H);
	FT_Library lib;
	FT_Face face;
	int y = 200, l;

	assert_non_null(px);
	memset(px, 255, (size_t)A4_W * A4_H);
	face_open(&lib, &face, px_size);
	for (l = 0; lines[l] != NULL; l++, y += (int)pitch)
		draw_across(px, face, lines[l], 120, y);
	face_close(lib, face);
	return px;
}

/* ---- PDFs of them ---- */

/* A memfd holding a PDF of the pages px[0..n) of w x h pixels at 150 dpi, grey
 * (channels 1) or RGB (3), in order (our own writer: an image-only PDF, as a
 * scanner makes). */
static inline int
channel_pages_pdf(uint8_t *const *px, unsigned n, uint32_t w, uint32_t h_px, unsigned channels)
{
	struct pixels_header h = { .width = w, .height = h_px, .channels = channels, .depth = 8 };
	struct rebuild_buf out = { 0 };
	struct rebuild_pdf *pdf = rebuild_pdf_new(150);
	unsigned i;
	int fd = memfd_create("in", 0);

	assert_true(fd >= 0);
	for (i = 0; i < n; i++)
		assert_int_equal(rebuild_pdf_add_page(pdf, &h, px[i], NULL), REBUILD_OK);
	assert_int_equal(rebuild_pdf_finish(pdf, &out), REBUILD_OK);
	assert_int_equal(pwrite(fd, out.p, out.len, 0), (ssize_t)out.len);
	rebuild_buf_free(&out);
	return fd;
}

/* The grey pages px[0..n) of w x h pixels. */
static inline int
sized_pages_pdf(uint8_t *const *px, unsigned n, uint32_t w, uint32_t h_px)
{
	return channel_pages_pdf(px, n, w, h_px, 1);
}

/* The A4 pages px[0..n). */
static inline int
pages_pdf(uint8_t *const *px, unsigned n)
{
	return sized_pages_pdf(px, n, A4_W, A4_H);
}

/* A memfd holding a PDF of n copies of the page px. Frees px. */
static inline int
image_pdf(uint8_t *px, unsigned n)
{
	uint8_t **copies = calloc(n, sizeof *copies);
	unsigned i;
	int fd;

	assert_non_null(copies);
	for (i = 0; i < n; i++)
		copies[i] = px;
	fd = pages_pdf(copies, n);
	free(copies);
	free(px);
	return fd;
}

/* ---- the whole pipeline ---- */

/* The key every run here signs its attestation with (any will do). */
static const uint8_t sign_key[32] = { 1 };

/* The last of "bands off, bands on" a test tries: under ASan the pipeline has one
 * lane (pipeline.h), so nothing would read a second band. */
#define BANDS_LAST (PIPELINE_ASAN ? 0 : 1)

/* c as pipeline_config_default makes it, with OCR on (jpn+eng) and a one-page
 * document read in bands (bands 1) or by one child (0). */
static inline void
ocr_config(struct pipeline_config *c, int bands)
{
	pipeline_config_default(c);
	c->ocr = OCR_DEFAULT_LANGS;
	c->ocr_bands = bands;
}

/* Run the pipeline on in_fd; the output's bytes in *out (malloc'd). */
static inline void
run(struct pipeline_config *c, int in_fd, struct pipeline_result *res, uint8_t **out,
    size_t *out_len)
{
	int out_fd = memfd_create("out", 0);
	off_t end;

	assert_true(out_fd >= 0);
	c->scanner = group_scanner;
	assert_int_equal(pipeline_run(c, in_fd, out_fd, res), 0);
	if (!res->clean)	/* say why, so that a failure below can be read */
		print_message("pipeline: %s (%s)\n", res->reason, res->detail);
	end = lseek(out_fd, 0, SEEK_END);
	*out = malloc((size_t)end + 1);
	assert_non_null(*out);
	assert_int_equal(pread(out_fd, *out, (size_t)end, 0), end);
	*out_len = (size_t)end;
	close(out_fd);
}

/* Run the pipeline, configured by c (OCR on, say), on in: the result in *res, which
 * must be clean, and its text layer as pdftotext reads it (malloc'd). */
static inline char *
text_layer_of(struct pipeline_config *c, int in, struct pipeline_result *res)
{
	uint8_t *out;
	size_t len;
	char *text;

	c->sign_key = sign_key;
	run(c, in, res, &out, &len);
	assert_true(res->clean);
	text = pdftotext(out, len);
	free(out);
	return text;
}

static inline json_t *
engines_of(const struct pipeline_result *res)
{
	return json_object_get(json_object_get(res->attestation, "attestation"), "engines");
}

static inline int
pipeline_skip(void)
{
	if (RUNNING_ON_VALGRIND || !have("pdftotext") || access(TEST_FONT, R_OK) != 0) {
		skip();
		return 1;
	}
	return 0;
}

/* Who read a page, as the pipeline counts it. */
struct readers {
	uint32_t eng_led, reread, vertical;
};

/* Run the pipeline with OCR in langs on the one-page PDF in; its text, as pdftotext
 * reads it (malloc'd), and who read it into *who unless NULL. */
static inline char *
ocr_text_of(int in, const char *langs, struct readers *who)
{
	struct pipeline_config c;
	struct pipeline_result res;
	char *text;

	pipeline_config_default(&c);
	c.ocr = langs;
	text = text_layer_of(&c, in, &res);
	assert_int_equal(res.ocr_pages, 1);
	if (who != NULL)
		*who = (struct readers){ res.ocr_pages_eng, res.ocr_lines_reread,
					 res.ocr_pages_vertical };
	pipeline_result_free(&res);
	return text;
}

#endif
