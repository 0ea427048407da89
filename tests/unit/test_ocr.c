/*
 * test_ocr.c — the OCR text layer: what the OCR child says is read only within its
 * bounds (a truncated page is dropped, a bad record ends the parse, bad UTF-8 and
 * control characters are refused); the PDF writer's invisible text is what poppler's
 * pdftotext extracts, Japanese without spurious spaces and characters beyond the BMP
 * included; and through the whole pipeline a page drawn with a Japanese font (IPA
 * Gothic, fonts-ipafont-gothic) comes out searchable with OCR on, without text with
 * OCR off, and still clean, without text, when its OCR child times out or has no
 * model. The pipeline cases need a confined child, so they skip under valgrind (see
 * test_sandbox.c); pdftotext is poppler-utils (the case skips without it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <valgrind/valgrind.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "fsio.h"
#include "ocr.h"
#include "pipeline.h"
#include "rebuild.h"
#include "scan.h"
#include "testnotice.h"
#include "testscan.h"
#include "testtiff.h"

#define TEST_FONT	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
#define A4_W		1240	/* A4 at 150 dpi */
#define A4_H		1754

/* ---- the child's format, by hand ---- */

struct rec {
	uint8_t b[4096];
	size_t len;
};

static void
add(struct rec *r, const void *p, size_t n)
{
	assert_true(r->len + n <= sizeof r->b);
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void
add_u32(struct rec *r, char tag, uint32_t v)
{
	uint8_t b[5] = { (uint8_t)tag, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			 (uint8_t)v };

	add(r, b, 5);
}

static void
add_box(struct rec *r, char tag, unsigned x0, unsigned y0, unsigned x1, unsigned y1)
{
	uint8_t b[9] = { (uint8_t)tag, (uint8_t)(x0 >> 8), (uint8_t)x0, (uint8_t)(y0 >> 8),
			 (uint8_t)y0, (uint8_t)(x1 >> 8), (uint8_t)x1, (uint8_t)(y1 >> 8), (uint8_t)y1 };

	add(r, b, 9);
}

/* A line whose text runs the way dir (OCR_DIR_*): 'D' dir and its box. */
static void
add_line_to(struct rec *r, uint8_t dir, unsigned x0, unsigned y0, unsigned x1, unsigned y1)
{
	uint8_t b[10] = { 'D', dir, (uint8_t)(x0 >> 8), (uint8_t)x0, (uint8_t)(y0 >> 8),
			  (uint8_t)y0, (uint8_t)(x1 >> 8), (uint8_t)x1, (uint8_t)(y1 >> 8),
			  (uint8_t)y1 };

	add(r, b, 10);
}

static void
add_word(struct rec *r, unsigned x0, unsigned y0, unsigned x1, unsigned y1, const char *s)
{
	uint8_t n = (uint8_t)strlen(s);

	add_box(r, 'W', x0, y0, x1, y1);
	add(r, &n, 1);
	add(r, s, n);
}

static void
start(struct rec *r)
{
	r->len = 0;
	add(r, "SKOC", 4);
	add(r, (const uint8_t[]){ OCR_VERSION }, 1);
}

static void
test_parse_reads_whole_pages_and_drops_a_truncated_one(void **state)
{
	struct ocr_page pages[3];
	struct rec r;
	int err;

	(void)state;
	memset(pages, 0, sizeof pages);
	start(&r);
	add_u32(&r, 'P', 4);
	add_box(&r, 'L', 10, 10, 200, 40);
	add_word(&r, 10, 10, 100, 40, "住民票");
	add_word(&r, 120, 10, 200, 40, "Sekisho");
	add_u32(&r, 'E', 2);
	add_u32(&r, 'P', 5);
	add_u32(&r, 'E', 0);
	add_u32(&r, 'P', 6);
	add_box(&r, 'L', 10, 10, 200, 40);
	assert_int_equal(ocr_parse(r.b, r.len, 4, 3, pages, &err), 2);
	assert_int_equal(err, OCR_ETRUNCATED);
	assert_int_equal(pages[0].nlines, 1);
	assert_int_equal(pages[0].nwords, 2);
	assert_memory_equal(pages[0].text + pages[0].words[0].off, "住民票", strlen("住民票"));
	assert_int_equal(pages[0].words[1].len, 7);
	assert_memory_equal(pages[0].text + pages[0].words[1].off, "Sekisho", 7);
	assert_int_equal(pages[0].words[1].x0, 120);
	assert_int_equal(pages[1].nwords, 0);
	assert_null(pages[2].words);
	ocr_page_free(&pages[0]);
	ocr_page_free(&pages[1]);
}

/* One page whose only word is s (or a custom tail): the count parsed and err. */
static uint32_t
parse_one(const struct rec *r, int *err)
{
	struct ocr_page pages[2];
	uint32_t n;

	memset(pages, 0, sizeof pages);
	n = ocr_parse(r->b, r->len, 0, 2, pages, err);
	ocr_page_free(&pages[0]);
	ocr_page_free(&pages[1]);
	return n;
}

static void
one_word_page(struct rec *r, const char *s)
{
	start(r);
	add_u32(r, 'P', 0);
	add_box(r, 'L', 0, 0, 50, 20);
	add_word(r, 0, 0, 50, 20, s);
	add_u32(r, 'E', 1);
}

static void
test_parse_refuses_what_the_format_does_not_allow(void **state)
{
	struct rec r;
	int err;

	(void)state;
	one_word_page(&r, "ok");
	assert_int_equal(parse_one(&r, &err), 1);
	assert_int_equal(err, OCR_OK);
	one_word_page(&r, "\xc3\x28");			/* bad continuation */
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	one_word_page(&r, "\xc0\xaf");			/* overlong '/' */
	assert_int_equal(parse_one(&r, &err), 0);
	one_word_page(&r, "\xed\xa0\x80");		/* a surrogate */
	assert_int_equal(parse_one(&r, &err), 0);
	one_word_page(&r, "a\x1b[2J");			/* a control character */
	assert_int_equal(parse_one(&r, &err), 0);
	one_word_page(&r, "\xc2\x85");			/* C1 NEL */
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);

	/* A word before any line; an empty box; a wrong count; pages out of order. */
	start(&r);
	add_u32(&r, 'P', 0);
	add_word(&r, 0, 0, 5, 5, "x");
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);
	add_u32(&r, 'P', 0);
	add_box(&r, 'L', 10, 0, 10, 5);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	one_word_page(&r, "x");
	r.b[r.len - 1] = 2;
	assert_int_equal(parse_one(&r, &err), 0);
	start(&r);
	add_u32(&r, 'P', 1);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	/* More pages than asked for. */
	start(&r);
	add_u32(&r, 'P', 0);
	add_u32(&r, 'E', 0);
	add_u32(&r, 'P', 1);
	add_u32(&r, 'E', 0);
	add_u32(&r, 'P', 2);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 2);
	assert_int_equal(err, OCR_ELIMIT);
	/* Wrong magic. */
	one_word_page(&r, "x");
	r.b[0] = 'X';
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
}

static void
add_reader(struct rec *r, char reader, unsigned reread)
{
	uint8_t b[4] = { 'R', (uint8_t)reader, (uint8_t)(reread >> 8), (uint8_t)reread };

	add(r, b, 4);
}

/* 'R' says who read the page: once, last before 'E', one of three readers. */
static void
test_parse_takes_the_reader_record_once_before_the_end(void **state)
{
	struct ocr_page pg;
	struct rec r;
	int err;

	(void)state;
	start(&r);
	add_u32(&r, 'P', 0);
	add_box(&r, 'L', 0, 0, 50, 20);
	add_word(&r, 0, 0, 50, 20, "x");
	add_reader(&r, OCR_READER_ENG, 1);
	add_u32(&r, 'E', 1);
	memset(&pg, 0, sizeof pg);
	assert_int_equal(ocr_parse(r.b, r.len, 0, 1, &pg, &err), 1);
	assert_int_equal(err, OCR_OK);
	assert_int_equal(pg.reader, OCR_READER_ENG);
	assert_int_equal(pg.reread, 1);
	ocr_page_free(&pg);

	start(&r);				/* twice */
	add_u32(&r, 'P', 0);
	add_reader(&r, OCR_READER_JPN, 0);
	add_reader(&r, OCR_READER_JPN, 0);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* a line after it */
	add_u32(&r, 'P', 0);
	add_reader(&r, OCR_READER_JPN, 0);
	add_box(&r, 'L', 0, 0, 50, 20);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* a vertical line, read so */
	add_u32(&r, 'P', 0);
	add_line_to(&r, OCR_DIR_DOWN, 1000, 100, 1030, 400);
	add_word(&r, 1000, 100, 1030, 200, "縦");
	add_box(&r, 'L', 100, 100, 400, 130);
	add_reader(&r, OCR_READER_VERT, 0);
	add_u32(&r, 'E', 1);
	memset(&pg, 0, sizeof pg);
	assert_int_equal(ocr_parse(r.b, r.len, 0, 1, &pg, &err), 1);
	assert_int_equal(pg.reader, OCR_READER_VERT);
	assert_int_equal(pg.nlines, 2);
	assert_int_equal(pg.lines[0].dir, OCR_DIR_DOWN);
	assert_int_equal(pg.lines[1].dir, OCR_DIR_ACROSS);
	ocr_page_free(&pg);
	start(&r);				/* no such reader */
	add_u32(&r, 'P', 0);
	add_reader(&r, 'x', 0);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* more lines than a page may have */
	add_u32(&r, 'P', 0);
	add_reader(&r, OCR_READER_ONE, OCR_MAX_LINES_PER_PAGE + 1);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
}

/* A line of each direction, and the page's turns ('O', once, 0-3, after its lines
 * and before 'R'). */
static void
test_parse_takes_directions_and_turns(void **state)
{
	struct ocr_page pg;
	struct rec r;
	int err;

	(void)state;
	start(&r);
	add_u32(&r, 'P', 0);
	add_line_to(&r, OCR_DIR_BACK, 100, 100, 400, 130);
	add_word(&r, 300, 100, 400, 130, "逆");
	add_line_to(&r, OCR_DIR_UP, 100, 200, 130, 500);
	add_line_to(&r, OCR_DIR_ACROSS, 100, 600, 400, 630);
	add(&r, "O\2", 2);
	add_reader(&r, OCR_READER_JPN, 0);
	add_u32(&r, 'E', 1);
	memset(&pg, 0, sizeof pg);
	assert_int_equal(ocr_parse(r.b, r.len, 0, 1, &pg, &err), 1);
	assert_int_equal(err, OCR_OK);
	assert_int_equal(pg.nlines, 3);
	assert_int_equal(pg.lines[0].dir, OCR_DIR_BACK);
	assert_int_equal(pg.lines[1].dir, OCR_DIR_UP);
	assert_int_equal(pg.lines[2].dir, OCR_DIR_ACROSS);
	assert_int_equal(pg.turns, 2);
	ocr_page_free(&pg);

	start(&r);				/* no such direction */
	add_u32(&r, 'P', 0);
	add_line_to(&r, 4, 100, 100, 400, 130);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* no such turn */
	add_u32(&r, 'P', 0);
	add(&r, "O\4", 2);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* twice */
	add_u32(&r, 'P', 0);
	add(&r, "O\1O\1", 4);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* a line after it */
	add_u32(&r, 'P', 0);
	add(&r, "O\1", 2);
	add_box(&r, 'L', 0, 0, 50, 20);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
	start(&r);				/* after the reader */
	add_u32(&r, 'P', 0);
	add_reader(&r, OCR_READER_JPN, 0);
	add(&r, "O\1", 2);
	add_u32(&r, 'E', 0);
	assert_int_equal(parse_one(&r, &err), 0);
	assert_int_equal(err, OCR_EFORMAT);
}

/* A page made black and white locally ('T', once, after its lines and before 'O'
 * and 'R'). */
static void
test_parse_takes_the_threshold_once_after_the_lines(void **state)
{
	static const struct { const char *b; size_t n; } bad[] = {
		{ "T\0", 2 },		/* the page's own threshold is not said */
		{ "T\2", 2 },		/* no such threshold */
		{ "T\1T\1", 4 },	/* twice */
		{ "O\1T\1", 4 },	/* after the turns */
		{ "Rj\0\0T\1", 6 },	/* after the reader */
		{ "T\1L\0\0\0\0\0\x32\0\x14", 11 },	/* a line after it */
	};
	struct ocr_page pg;
	struct rec r;
	int err;

	(void)state;
	start(&r);
	add_u32(&r, 'P', 0);
	add_line_to(&r, OCR_DIR_ACROSS, 100, 100, 400, 130);
	add_word(&r, 100, 100, 400, 130, "照明");
	add(&r, "T\1O\2", 4);
	add_reader(&r, OCR_READER_JPN, 0);
	add_u32(&r, 'E', 1);
	memset(&pg, 0, sizeof pg);
	assert_int_equal(ocr_parse(r.b, r.len, 0, 1, &pg, &err), 1);
	assert_int_equal(err, OCR_OK);
	assert_int_equal(pg.threshold, OCR_THRESHOLD_LOCAL);
	assert_int_equal(pg.turns, 2);
	ocr_page_free(&pg);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		start(&r);
		add_u32(&r, 'P', 0);
		add(&r, bad[i].b, bad[i].n);
		add_u32(&r, 'E', 0);
		assert_int_equal(parse_one(&r, &err), 0);
		assert_int_equal(err, OCR_EFORMAT);
	}
}

static void
test_parse_stops_past_the_word_limit(void **state)
{
	size_t cap = 64 + (size_t)(OCR_MAX_WORDS_PER_PAGE + 1) * 11, len = 0, i;
	uint8_t *b = malloc(cap);
	static const uint8_t word[] = { 'W', 0, 0, 0, 0, 0, 1, 0, 1, 1, 'a' };
	static const uint8_t line[] = { 'L', 0, 0, 0, 0, 0, 1, 0, 1 };
	struct ocr_page pg = { 0 };
	int err;

	(void)state;
	assert_non_null(b);
	memcpy(b, "SKOC\0P\0\0\0\0", 10);
	b[4] = OCR_VERSION;
	len = 10;
	memcpy(b + len, line, sizeof line);
	len += sizeof line;
	for (i = 0; i <= OCR_MAX_WORDS_PER_PAGE; i++, len += sizeof word)
		memcpy(b + len, word, sizeof word);
	assert_int_equal(ocr_parse(b, len, 0, 1, &pg, &err), 0);
	assert_int_equal(err, OCR_ELIMIT);
	assert_null(pg.words);
	free(b);
}

/* jpn_vert read a page written vertically, or lines down (or up) of a page upright
 * or upside down: a form's labels; lines down a page on its side were read by the
 * pair's primary, and lines across or back by either of the pair. */
static void
test_page_read_vertical_tells_jpn_vert_s_lines(void **state)
{
	struct ocr_line lines[2] = { { 10, 10, 50, 30, OCR_DIR_ACROSS },
				     { 10, 40, 30, 100, OCR_DIR_DOWN } };
	struct ocr_page pg = { .lines = lines, .nlines = 1, .reader = OCR_READER_JPN };

	(void)state;
	assert_false(ocr_page_read_vertical(&pg));
	pg.reader = OCR_READER_VERT;
	assert_true(ocr_page_read_vertical(&pg));
	pg.reader = OCR_READER_JPN;
	pg.nlines = 2;
	assert_true(ocr_page_read_vertical(&pg));
	pg.turns = 2;			/* upside down, its label read up */
	lines[1].dir = OCR_DIR_UP;
	assert_true(ocr_page_read_vertical(&pg));
	lines[1].dir = OCR_DIR_BACK;
	assert_false(ocr_page_read_vertical(&pg));
	lines[1].dir = OCR_DIR_DOWN;
	for (pg.turns = 1; pg.turns <= 3; pg.turns += 2)	/* on its side */
		assert_false(ocr_page_read_vertical(&pg));
}

static void
test_utf8_takes_shortest_form_scalars_only(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(ocr_utf8_next((const uint8_t *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(ocr_utf8_next((const uint8_t *)"住", 3, &cp), 3);
	assert_int_equal(cp, 0x4f4f);
	assert_int_equal(ocr_utf8_next((const uint8_t *)"\xf0\xa0\xae\xb7", 4, &cp), 4);
	assert_int_equal(cp, 0x20bb7);
	assert_int_equal(ocr_utf8_next((const uint8_t *)"\xf0\xa0\xae", 3, &cp), 0);
	assert_int_equal(ocr_utf8_next((const uint8_t *)"\xe0\x80\xaf", 3, &cp), 0);
	assert_int_equal(ocr_utf8_next((const uint8_t *)"\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(ocr_utf8_next((const uint8_t *)"\x7f", 1, &cp), 0);
	assert_int_equal(ocr_utf8_next((const uint8_t *)"\xff", 1, &cp), 0);
	assert_true(ocr_langs_valid("jpn+eng"));
	assert_false(ocr_langs_valid("../etc"));
	assert_false(ocr_langs_valid("jpn++eng"));
	assert_false(ocr_langs_valid(""));
}

/* ---- the text layer, read back by poppler ---- */

static int
have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* What the command "before PATH after" prints on its standard output, PATH a file
 * holding pdf (malloc'd, NUL-terminated). The command must succeed. */
static char *
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
static char *
pdftotext_with(const uint8_t *pdf, size_t len, const char *opts)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s", opts);
	return output_of(cmd, "- 2>/dev/null", pdf, len);
}

static char *
pdftotext(const uint8_t *pdf, size_t len)
{
	return pdftotext_with(pdf, len, "");
}

/* A white A4 page (as many pixels as at 150 dpi) drawn at dpi, as a PDF with the
 * words of rec as its text layer. */
static void
pdf_with_text_at(const struct rec *r, unsigned dpi, struct rebuild_buf *out, int *set_rc)
{
	struct pixels_header h = { .width = A4_W, .height = A4_H, .channels = 1, .depth = 8 };
	uint8_t *px = malloc((size_t)A4_W * A4_H);
	struct rebuild_pdf *pdf = rebuild_pdf_new(dpi);
	struct ocr_page pg = { 0 };
	int err;

	assert_non_null(px);
	assert_non_null(pdf);
	memset(px, 255, (size_t)A4_W * A4_H);
	assert_int_equal(rebuild_pdf_add_page(pdf, &h, px, NULL), REBUILD_OK);
	assert_int_equal(ocr_parse(r->b, r->len, 0, 1, &pg, &err), 1);
	*set_rc = rebuild_pdf_set_text(pdf, 0, &pg);
	assert_null(pg.words);		/* taken either way */
	assert_int_equal(rebuild_pdf_finish(pdf, out), REBUILD_OK);
	free(px);
}

static void
pdf_with_text(const struct rec *r, struct rebuild_buf *out, int *set_rc)
{
	pdf_with_text_at(r, 150, out, set_rc);
}

/* A page of two lines in r, as Tesseract gives them: a Japanese one of words that
 * overlap and leave gaps, and a Latin one ending in a CJK word beyond the BMP. */
static void
two_lines(struct rec *r)
{
	start(r);
	add_u32(r, 'P', 0);
	add_box(r, 'L', 100, 118, 500, 166);
	add_word(r, 101, 123, 258, 152, "住民");
	add_word(r, 189, 118, 221, 166, "票");
	add_word(r, 233, 118, 262, 166, "の");
	add_word(r, 280, 123, 340, 152, "写し");
	add_box(r, 'L', 100, 206, 600, 233);
	add_word(r, 101, 206, 210, 228, "Sekisho");
	add_word(r, 230, 206, 369, 228, "sanitizer");
	add_word(r, 391, 206, 470, 228, "\xf0\xa0\xae\xb7野家");	/* U+20BB7 */
	add_u32(r, 'E', 7);
}

static void
test_text_layer_is_what_pdftotext_reads(void **state)
{
	struct rebuild_buf out = { 0 };
	struct rec r;
	char *text;
	int rc;

	(void)state;
	if (!have("pdftotext")) {
		skip();
		return;
	}
	two_lines(&r);
	pdf_with_text(&r, &out, &rc);
	assert_int_equal(rc, REBUILD_OK);
	text = pdftotext(out.p, out.len);
	assert_non_null(strstr(text, "住民票の写し"));
	assert_non_null(strstr(text, "Sekisho sanitizer"));
	assert_non_null(strstr(text, "\xf0\xa0\xae\xb7野家"));
	free(text);
	if (have("qpdf"))
		free(output_of("qpdf --check", "2>&1", out.p, out.len));
	rebuild_buf_free(&out);
}

/* The box pdftotext gives word in html (pdftotext -bbox), in points; 0 if absent. */
static int
word_box(const char *html, const char *word, double box[4])
{
	char tail[128];
	const char *p;

	snprintf(tail, sizeof tail, "\">%s</word>", word);
	if ((p = strstr(html, tail)) == NULL)
		return 0;
	while (p > html && strncmp(p, "<word ", 6) != 0)
		p--;
	return sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
		      &box[0], &box[1], &box[2], &box[3]) == 4;
}

/* two_lines' words as pdftotext finds them: its left and right in pixels as
 * written, its line's top. */
static const struct { const char *text; unsigned x0, x1, y0; } two_lines_words[] = {
	{ "住民票の写し", 101, 340, 118 },	/* one word to pdftotext */
	{ "Sekisho", 101, 210, 206 },
	{ "sanitizer", 230, 369, 206 },
	{ "\xf0\xa0\xae\xb7野家", 391, 470, 206 },
};

/* Whether html (pdftotext -bbox of a page at 150 dpi) has two_lines' words where
 * they are drawn; fails the test if not. */
static void
check_two_lines_words(const char *html, unsigned dpi)
{
	double pt = 72.0 / dpi, box[4];

	for (size_t i = 0; i < sizeof two_lines_words / sizeof *two_lines_words; i++) {
		if (!word_box(html, two_lines_words[i].text, box))
			fail_msg("%u dpi: no word %s in\n%s", dpi, two_lines_words[i].text, html);
		assert_float_equal(box[0], two_lines_words[i].x0 * pt, 0.01);
		assert_float_equal(box[2], two_lines_words[i].x1 * pt, 0.01);
		/* The font is the line's height, its baseline the line's bottom. */
		assert_float_equal(box[1], two_lines_words[i].y0 * pt, 0.01);
	}
}

/*
 * Each word lies on its box: from its left to the next word's left (Japanese, whose
 * boxes overlap and gap) or its own right, from its line's top, at the page's dpi.
 * The layer is written in pixels under one scale; poppler must read the same points.
 */
static void
test_text_layer_words_lie_on_their_boxes(void **state)
{
	static const unsigned dpis[] = { 150, 200, 96 };

	(void)state;
	if (!have("pdftotext")) {
		skip();
		return;
	}
	for (size_t d = 0; d < sizeof dpis / sizeof *dpis; d++) {
		struct rebuild_buf out = { 0 };
		struct rec r;
		char *html;
		int rc;

		two_lines(&r);
		pdf_with_text_at(&r, dpis[d], &out, &rc);
		assert_int_equal(rc, REBUILD_OK);
		html = pdftotext_with(out.p, out.len, "-bbox");
		check_two_lines_words(html, dpis[d]);
		free(html);
		rebuild_buf_free(&out);
	}
}

/*
 * An upside-down page (a sheet scanned the wrong way round): its lines run back,
 * right to left, each word's box a half turn from two_lines' own, and the page is
 * shown turned (/Rotate 180). A reader then finds the words of two_lines exactly
 * where they are on the upright page.
 */
static void
test_text_layer_of_an_upside_down_page_reads_upright(void **state)
{
	struct rebuild_buf out = { 0 };
	struct ocr_page pg = { 0 };
	struct rec r, turned;
	char *html;
	int err, rc;

	(void)state;
	if (!have("pdftotext")) {
		skip();
		return;
	}
	two_lines(&r);
	assert_int_equal(ocr_parse(r.b, r.len, 0, 1, &pg, &err), 1);
	start(&turned);
	add_u32(&turned, 'P', 0);
	for (uint32_t i = 0, l = UINT32_MAX; i < pg.nwords; i++) {
		const struct ocr_word *w = &pg.words[i];
		char text[OCR_MAX_WORD_BYTES + 1];

		if (w->line != l) {
			const struct ocr_line *ln = &pg.lines[w->line];

			add_line_to(&turned, OCR_DIR_BACK, A4_W - ln->x1, A4_H - ln->y1,
				    A4_W - ln->x0, A4_H - ln->y0);
			l = w->line;
		}
		memcpy(text, pg.text + w->off, w->len);
		text[w->len] = '\0';
		add_word(&turned, A4_W - w->x1, A4_H - w->y1, A4_W - w->x0, A4_H - w->y0, text);
	}
	add(&turned, "O\2", 2);
	add_u32(&turned, 'E', pg.nwords);
	ocr_page_free(&pg);
	pdf_with_text(&turned, &out, &rc);
	assert_int_equal(rc, REBUILD_OK);
	assert_non_null(memmem(out.p, out.len, "/Rotate 180 ", 12));
	html = pdftotext_with(out.p, out.len, "-bbox");
	check_two_lines_words(html, 150);
	free(html);
	html = pdftotext(out.p, out.len);
	assert_non_null(strstr(html, "住民票の写し"));
	assert_non_null(strstr(html, "Sekisho sanitizer"));
	free(html);
	rebuild_buf_free(&out);
}

/* A line of the layer that runs down or up, as pdftotext finds it: its text as one
 * word, and where it is drawn in pixels (across, the column; along, from its
 * first word's start to its last word's end). */
struct column_want {
	const char *text;
	unsigned x0, x1, y0, y1;
};

/*
 * Write r's layer and check it (the test skips without pdftotext): pdftotext reads
 * text (its lines in order), and finds each of want[0..n) where it is drawn. The
 * font is the column's width and poppler adds a descent of its own beyond the
 * baseline: on the left of a line running down (its characters' tops to the
 * right), on the right of one running up.
 */
static void
check_columns(const struct rec *r, const char *text, const struct column_want *want,
    size_t n, int down)
{
	struct rebuild_buf out = { 0 };
	double pt = 72.0 / 150, box[4];
	char *got;
	int rc;

	if (!have("pdftotext"))
		skip();		/* does not return */
	pdf_with_text(r, &out, &rc);
	assert_int_equal(rc, REBUILD_OK);
	got = pdftotext(out.p, out.len);
	if (strstr(got, text) == NULL)
		fail_msg("not read as \"%s\":\n%s", text, got);
	free(got);
	got = pdftotext_with(out.p, out.len, "-bbox");
	for (size_t i = 0; i < n; i++) {
		if (!word_box(got, want[i].text, box))
			fail_msg("no word %s in\n%s", want[i].text, got);
		if (down) {
			assert_in_range(box[0] / pt, want[i].x0 - 15, want[i].x0);
			assert_float_equal(box[2], want[i].x1 * pt, 0.01);
		} else {
			assert_float_equal(box[0], want[i].x0 * pt, 0.01);
			assert_in_range(box[2] / pt, want[i].x1, want[i].x1 + 15);
		}
		assert_float_equal(box[1], want[i].y0 * pt, 0.01);
		assert_float_equal(box[3], want[i].y1 * pt, 0.01);
	}
	free(got);
	rebuild_buf_free(&out);
}

/* Vertical lines (縦書き) are written turned: pdftotext reads each column as a line
 * of its own, top to bottom, the right one first, its words where they are drawn
 * (Tesseract's boxes overlap and gap along a column as along a line). */
static void
test_text_layer_reads_vertical_lines_down_their_columns(void **state)
{
	static const struct column_want want[] = {
		{ "住民票写し", 1000, 1030, 161, 358 },
		{ "転出届提出", 940, 970, 160, 400 },
	};
	struct rec r;

	(void)state;
	start(&r);
	add_u32(&r, 'P', 0);
	add_line_to(&r, OCR_DIR_DOWN, 1000, 160, 1030, 520);
	add_word(&r, 1001, 161, 1029, 240, "住民");
	add_word(&r, 1002, 236, 1028, 265, "票");
	add_word(&r, 1001, 280, 1029, 358, "写し");
	add_line_to(&r, OCR_DIR_DOWN, 940, 160, 970, 400);
	add_word(&r, 941, 160, 969, 280, "転出届");
	add_word(&r, 941, 290, 969, 400, "提出");
	add_u32(&r, 'E', 5);
	check_columns(&r, "住民票写し\n転出届提出", want, 2, 1);
}

/* A line running up the page (a sheet scanned turned a quarter anticlockwise), its
 * words from the bottom: read as one line, in their order. */
static void
test_text_layer_reads_a_line_running_up(void **state)
{
	static const struct column_want want[] = { { "転出届の提出", 200, 230, 300, 699 } };
	struct rec r;

	(void)state;
	start(&r);
	add_u32(&r, 'P', 0);
	add_line_to(&r, OCR_DIR_UP, 200, 300, 230, 700);
	add_word(&r, 201, 560, 229, 699, "転出");
	add_word(&r, 201, 430, 229, 545, "届の");
	add_word(&r, 201, 300, 229, 420, "提出");
	add_u32(&r, 'E', 3);
	check_columns(&r, "転出届の提出", want, 1, 0);
}

static void
test_text_layer_off_its_page_is_refused(void **state)
{
	struct rebuild_buf out = { 0 };
	struct rec r;
	int rc;

	(void)state;
	start(&r);
	add_u32(&r, 'P', 0);
	add_box(&r, 'L', 100, 100, A4_W + 1, 130);
	add_word(&r, 100, 100, 200, 130, "x");
	add_u32(&r, 'E', 1);
	pdf_with_text(&r, &out, &rc);
	assert_int_equal(rc, REBUILD_ETEXT);
	/* The document is still written, without any font. */
	assert_null(memmem(out.p, out.len, "/Font", 5));
	rebuild_buf_free(&out);
}

/* ---- the whole pipeline ---- */

static unsigned
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
static void
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
static void
face_open(FT_Library *lib, FT_Face *face, unsigned px_size)
{
	assert_int_equal(FT_Init_FreeType(lib), 0);
	assert_int_equal(FT_New_Face(*lib, TEST_FONT, 0, face), 0);
	assert_int_equal(FT_Set_Pixel_Sizes(*face, 0, px_size), 0);
}

static void
face_close(FT_Library lib, FT_Face face)
{
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
}

/* Draw s down onto px, an A4 page at 150 dpi, in face: each character from (x, y)
 * down, pitch pixels apart (its size, set solid). */
static void
draw_down(uint8_t *px, FT_Face face, const char *s, unsigned pitch, int x, int y)
{
	int baseline = (int)(face->size->metrics.ascender >> 6);

	for (; *s; y += (int)pitch) {
		char one[8] = { 0 };
		const char *c = s;

		(void)utf8_dec(&s);
		memcpy(one, c, (size_t)(s - c));
		draw_across(px, face, one, x, y + baseline);
	}
}

/* An A4 page at 150 dpi with lines of text drawn in IPA Gothic at px_size pixels,
 * one every pitch pixels. */
static uint8_t *
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

/* Onto px, an A4 page at 150 dpi, s drawn across in IPA Gothic at px_size pixels,
 * from x along the baseline y. */
static void
draw_line_onto(uint8_t *px, const char *s, unsigned px_size, int x, int y)
{
	FT_Library lib;
	FT_Face face;

	face_open(&lib, &face, px_size);
	draw_across(px, face, s, x, y);
	face_close(lib, face);
}

/* An A4 page at 150 dpi written vertically (縦書き) in IPA Gothic at px_size
 * pixels: each line a column, top to bottom from y = 160 (every second column
 * half a character lower: their characters do not line up across), the first at
 * the right (its left edge at x = 1000), one every pitch pixels leftwards; every
 * character in a square of px_size. */
static uint8_t *
draw_columns(const char *const *lines, unsigned px_size, unsigned pitch)
{
	uint8_t *px = malloc((size_t)A4_W * A4_H);
	FT_Library lib;
	FT_Face face;
	int x = 1000, l;

	assert_non_null(px);
	memset(px, 255, (size_t)A4_W * A4_H);
	face_open(&lib, &face, px_size);
	for (l = 0; lines[l] != NULL; l++, x -= (int)pitch)
		draw_down(px, face, lines[l], px_size, x, 160 + l % 2 * (int)px_size / 2);
	face_close(lib, face);
	return px;
}

/* Onto px, an A4 page at 150 dpi, s drawn down in IPA Gothic at px_size pixels,
 * each character in a square of px_size from (x, y) down. */
static void
draw_column_onto(uint8_t *px, const char *s, unsigned px_size, unsigned pitch, int x, int y)
{
	FT_Library lib;
	FT_Face face;

	face_open(&lib, &face, px_size);
	draw_down(px, face, s, pitch, x, y);
	face_close(lib, face);
}

/* Turn px, a grey A4 page at 150 dpi, a half turn in place: upside down. */
static void
half_turn(uint8_t *px)
{
	size_t n = (size_t)A4_W * A4_H;

	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = px[i];

		px[i] = px[n - 1 - i];
		px[n - 1 - i] = t;
	}
}

/* Lines set wide apart, as a form's headings are. */
static uint8_t *
draw_page(const char *const *lines, unsigned px_size)
{
	return draw_lines(lines, px_size, px_size * 2);
}

/* A memfd holding a PDF of the pages px[0..n) of w x h pixels at 150 dpi, grey
 * (channels 1) or RGB (3), in order (our own writer: an image-only PDF, as a
 * scanner makes). */
static int
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
static int
sized_pages_pdf(uint8_t *const *px, unsigned n, uint32_t w, uint32_t h_px)
{
	return channel_pages_pdf(px, n, w, h_px, 1);
}

/* The A4 pages px[0..n). */
static int
pages_pdf(uint8_t *const *px, unsigned n)
{
	return sized_pages_pdf(px, n, A4_W, A4_H);
}

/* A memfd holding a PDF of n copies of the page px. Frees px. */
static int
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

static int
japanese_pdf(unsigned n)
{
	static const char *const lines[] = {
		"住民票の写しの交付申請書", "Sekisho sanitizer test page",
		"氏名 山田太郎 住所 東京都千代田区", NULL,
	};

	return image_pdf(draw_page(lines, 32), n);
}

/* A notice of 36 lines of 40 characters of 10.5 pt (22 px at 150 dpi), one every
 * pitch pixels: 22 sets them solid (ベタ組み: no space between the lines), as
 * tables, lists and squeezed forms are. Set so, Japanese is a grid of equal squares,
 * which reads as well down as across. 36 is a word processor's 40 x 36 page. */
static int
japanese_notice_pdf(unsigned pitch, unsigned pages)
{
	static char line[36][40 * 4 + 1];
	const char *lines[37], *s = testnotice_text;
	unsigned l, k;

	for (l = 0; l < 36; l++) {
		char *d = line[l];

		for (k = 0; k < 40; k++) {	/* 40 characters, the text over and over */
			const char *c = s;

			(void)utf8_dec(&s);
			memcpy(d, c, (size_t)(s - c));
			d += s - c;
			if (*s == '\0')
				s = testnotice_text;
		}
		*d = '\0';
		lines[l] = line[l];
	}
	lines[36] = NULL;
	return image_pdf(draw_lines(lines, 22, pitch), pages);
}

/* The key every run here signs its attestation with (any will do). */
static const uint8_t sign_key[32] = { 1 };

/* The last of "bands off, bands on" a test tries: under ASan the pipeline has one
 * lane (pipeline.h), so nothing would read a second band. */
#define BANDS_LAST (PIPELINE_ASAN ? 0 : 1)

/* c as pipeline_config_default makes it, with OCR on (jpn+eng) and a one-page
 * document read in bands (bands 1) or by one child (0). */
static void
ocr_config(struct pipeline_config *c, int bands)
{
	pipeline_config_default(c);
	c->ocr = OCR_DEFAULT_LANGS;
	c->ocr_bands = bands;
}

/* Run the pipeline on in_fd; the output's bytes in *out (malloc'd). */
static void
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

/* Run the pipeline with OCR (ocr_config, bands as given) on in, signed: the result
 * in *res, which must be clean, and the output's bytes in *out (malloc'd). */
static void
ocr_run(int in, int bands, struct pipeline_result *res, uint8_t **out, size_t *out_len)
{
	struct pipeline_config c;

	ocr_config(&c, bands);
	c.sign_key = sign_key;
	run(&c, in, res, out, out_len);
	assert_true(res->clean);
}

/* Run the pipeline, configured by c (OCR on, say), on in: the result in *res, which
 * must be clean, and its text layer as pdftotext reads it (malloc'd). */
static char *
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

static json_t *
engines_of(const struct pipeline_result *res)
{
	return json_object_get(json_object_get(res->attestation, "attestation"), "engines");
}

static int
pipeline_skip(void)
{
	if (RUNNING_ON_VALGRIND || !have("pdftotext") || access(TEST_FONT, R_OK) != 0) {
		skip();
		return 1;
	}
	return 0;
}

/* A scanner's two-page TIFF of the Japanese page: a PDF of both pages, each with
 * its text layer, and Tesseract named in the attestation. */
static void
test_pipeline_with_ocr_makes_a_multi_page_tiff_searchable(void **state)
{
	static const char *const lines[] = {
		"住民票の写しの交付申請書", "Sekisho sanitizer test page",
		"氏名 山田太郎 住所 東京都千代田区", NULL,
	};
	struct testtiff_page pages[2] = {
		{ A4_W, A4_H, 150, 150, 0, NULL }, { A4_W, A4_H, 150, 150, 0, NULL },
	};
	struct testtiff_buf tif;
	struct pipeline_config c;
	struct pipeline_result res;
	uint8_t *px;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	pages[0].px = pages[1].px = px = draw_page(lines, 32);
	tif = testtiff_of(pages, 2, 0);
	free(px);
	in = memfd_create("in", 0);
	assert_int_equal(pwrite(in, tif.p, tif.len, 0), (ssize_t)tif.len);
	free(tif.p);
	ocr_config(&c, 1);
	text = text_layer_of(&c, in, &res);
	assert_string_equal(res.method, "tiff-pages-render");
	assert_int_equal(res.pages, 2);
	assert_int_equal(res.ocr_pages, 2);
	assert_true(json_is_string(json_object_get(engines_of(&res), "tesseract")));
	assert_non_null(strstr(text, "東京都"));
	assert_non_null(strstr(strstr(text, "住民票") + 1, "住民票"));
	free(text);
	pipeline_result_free(&res);
	close(in);
}

static void
test_pipeline_with_ocr_makes_the_japanese_page_searchable(void **state)
{
	struct pipeline_config c;
	struct pipeline_result res;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	in = japanese_pdf(2);
	ocr_config(&c, 1);
	text = text_layer_of(&c, in, &res);
	assert_int_equal(res.pages, 2);
	assert_int_equal(res.ocr_pages, 2);
	assert_int_equal(res.ocr_failed, 0);
	assert_int_equal(res.ocr_pages_vertical, 0);
	assert_string_equal(json_string_value(json_object_get(engines_of(&res), "tesseract")) +
			    strlen(ocr_engine_version()), " jpn+eng");
	assert_non_null(strstr(text, "住民票"));
	assert_non_null(strstr(text, "Sekisho"));
	assert_non_null(strstr(text, "東京都"));
	/* Both pages carry it. */
	assert_non_null(strstr(strstr(text, "住民票") + 1, "住民票"));
	free(text);
	pipeline_result_free(&res);
	close(in);
}

/* Who read a page, as the pipeline counts it. */
struct readers {
	uint32_t eng_led, reread, vertical;
};

/* Run the pipeline with OCR in langs on the one-page PDF in; its text, as pdftotext
 * reads it (malloc'd), and who read it into *who unless NULL. */
static char *
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

/* Tesseract's page layout analysis took such a page for vertical writing (縦書き)
 * or for no text: a text layer of gibberish (with 1 px more between the lines it
 * read them right). Read as one block of lines, it is read as it is printed. */
static void
test_pipeline_with_ocr_reads_a_dense_japanese_notice_across(void **state)
{
	struct readers who;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	in = japanese_notice_pdf(22, 1);
	text = ocr_text_of(in, OCR_DEFAULT_LANGS, &who);
	assert_int_equal(who.vertical, 0);	/* as close down as across: not vertical */
	assert_non_null(strstr(text, "住民票の写し"));
	assert_non_null(strstr(text, "マイナンバーカード"));
	assert_non_null(strstr(text, "委任状が必要です"));
	free(text);
	close(in);
}

/* The non-empty lines of text (NUL-terminated), each one's length in code points
 * into len[] (at most max); the count. */
static unsigned
text_lines(const char *text, unsigned *len, unsigned max)
{
	unsigned n = 0, chars = 0;
	const char *s = text;

	while (*s != '\0') {
		if (*s == '\n' || *s == '\f') {
			if (chars > 0 && n < max)
				len[n++] = chars;
			chars = 0;
			s++;
			continue;
		}
		(void)utf8_dec(&s);
		chars++;
	}
	if (chars > 0 && n < max)
		len[n++] = chars;
	return n;
}

/* Run the pipeline with OCR on in, bands on or off; its text layer's lines, and
 * each one's length into len[] (at most max). */
static unsigned
ocr_lines_of(int in, int bands, uint32_t pages, uint32_t banded, unsigned *len, unsigned max)
{
	struct pipeline_config c;
	struct pipeline_result res;
	char *text;
	unsigned n;

	ocr_config(&c, bands);
	text = text_layer_of(&c, in, &res);
	assert_int_equal(res.pages, pages);
	assert_int_equal(res.ocr_pages, pages);
	assert_int_equal(res.ocr_failed, 0);
	assert_int_equal(res.ocr_pages_banded, banded);
	n = text_lines(text, len, max);
	if (n != 36 * pages)
		print_message("bands %d: %u lines:\n%s\n", bands, n, text);
	assert_non_null(strstr(text, "住民票の写し"));
	assert_non_null(strstr(text, "委任状が必要です"));
	free(text);
	pipeline_result_free(&res);
	return n;
}

/* A one-page document's page, read in bands by the two lanes' OCR children
 * (ocr_bands): every one of its 36 lines is in the text layer whole (a band cut
 * across a line would leave two pieces of it, each read as a few strokes), as when
 * one child reads it all. Three pages on two lanes: the third, lane 0's second, is
 * the odd one out and is read in bands once the first two are read. */
static void
test_pipeline_reads_the_odd_page_out_in_bands_line_by_whole_line(void **state)
{
	unsigned len[128], n, i;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	if (PIPELINE_ASAN) {	/* one lane there: nothing to read the other band */
		skip();
		return;
	}
	in = japanese_notice_pdf(37, 1);
	for (int bands = 0; bands <= 1; bands++) {
		n = ocr_lines_of(in, bands, 1, (uint32_t)bands, len, 128);
		assert_int_equal(n, 36);
		for (i = 0; i < n; i++)
			assert_in_range(len[i], 36, 44);
	}
	close(in);
	in = japanese_notice_pdf(37, 3);
	n = ocr_lines_of(in, 1, 3, 1, len, 128);
	assert_int_equal(n, 3 * 36);
	for (i = 0; i < n; i++)
		assert_in_range(len[i], 36, 44);
	close(in);
	/* Two pages: one each, nothing left over. */
	in = japanese_notice_pdf(37, 2);
	assert_int_equal(ocr_lines_of(in, 1, 2, 0, len, 128), 2 * 36);
	close(in);
}

/* A Japanese form with English lines and a Latin line holding a Japanese word:
 * the Latin lines read as eng reads them (the telephone number, whose 0 jpn reads
 * as 9), the Japanese lines and the word 電話 as jpn reads them. */
static int
mixed_pdf(void)
{
	static const char *const lines[] = {
		"住民票の写しの交付申請書",
		"The applicant confirms that the information is true.",
		"Residents must notify the Citizens Division.",
		"E-mail: info@example.lg.jp 電話 03-1234-5678",
		"手数料は一通につき三百円です。",
		NULL,
	};

	return image_pdf(draw_page(lines, 28), 1);
}

static void
test_pipeline_with_ocr_reads_english_lines_in_english_and_keeps_their_kanji(void **state)
{
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	in = mixed_pdf();
	text = ocr_text_of(in, OCR_DEFAULT_LANGS, NULL);
	assert_non_null(strstr(text, "住民票の写し"));
	assert_non_null(strstr(text, "confirms"));
	assert_non_null(strstr(text, "notify"));
	assert_non_null(strstr(text, "03-1234-5678"));	/* eng's reading of the line */
	assert_non_null(strstr(text, "電話"));		/* jpn's word in it */
	assert_non_null(strstr(text, "手数料"));
	free(text);
	/* The same lines led by eng: Japanese lines are read again in jpn. */
	text = ocr_text_of(in, "eng+jpn", NULL);
	assert_non_null(strstr(text, "住民票の写し"));
	assert_non_null(strstr(text, "confirms"));
	assert_non_null(strstr(text, "03-1234-5678"));
	assert_non_null(strstr(text, "電話"));
	assert_non_null(strstr(text, "手数料"));
	free(text);
	close(in);
}

/* The first page of a document in English is read by eng from the start: jpn does
 * not read it whole first (the probe of its first lines chose), while a Japanese
 * page is read by jpn alone. */
static void
test_pipeline_with_ocr_reads_an_english_first_page_in_english_from_the_start(void **state)
{
	static const char *const english[] = {
		"Certificate of Residence",
		"The applicant confirms that the information is true.",
		"Residents must notify the Citizens Division.",
		"Please bring a photo identity document.",
		"The fee is three hundred yen per copy.",
		NULL,
	};
	struct readers who;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	in = image_pdf(draw_page(english, 28), 1);
	free(ocr_text_of(in, OCR_DEFAULT_LANGS, &who));
	assert_int_equal(who.eng_led, 1);
	assert_int_equal(who.reread, 0);
	close(in);
	in = japanese_notice_pdf(22, 1);
	free(ocr_text_of(in, OCR_DEFAULT_LANGS, &who));
	assert_int_equal(who.eng_led, 0);
	assert_int_equal(who.reread, 0);
	close(in);
}

/* How many times needle is in text. */
static int
count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *at = text; (at = strstr(at, needle)) != NULL; at++)
		n++;
	return n;
}

/* A spreadsheet's rows: a name column of kanji and a digit, a number column. eng
 * reads such a row as a letter or two and digits ("氏名 3  300" as "R43 300" or
 * "BA 3 300") with confidence 60-84, which passed the first page's probe for
 * English: eng led, and a row it read so stayed so. Now the letters must be most of
 * what eng read: on a page of such rows jpn leads, and where eng leads (the page
 * after an English one, in the same OCR child) such a row is read again in jpn.
 * Either way every row keeps its kanji. */
static void
test_pipeline_with_ocr_reads_spreadsheet_rows_of_kanji_and_digits_in_jpn(void **state)
{
	static const char *const rows[] = {
		"申請", "氏名 1        100", "氏名 2        200", "氏名 3        300",
		"氏名 4        400", "氏名 5        500", NULL,
	};
	static const char *const english[] = {
		"Certificate of Residence",
		"The applicant confirms that the information is true.",
		"Residents must notify the Citizens Division.",
		"Please bring a photo identity document.",
		NULL,
	};
	struct pipeline_config c;
	struct pipeline_result res;
	struct readers who;
	uint8_t *two[2];
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	in = image_pdf(draw_lines(rows, 20, 27), 1);
	text = ocr_text_of(in, OCR_DEFAULT_LANGS, &who);
	if (count_of(text, "氏名") != 5)
		print_message("%s\n", text);
	assert_int_equal(count_of(text, "氏名"), 5);
	assert_non_null(strstr(text, "申請"));
	assert_non_null(strstr(text, "500"));
	assert_int_equal(who.eng_led, 0);
	free(text);
	close(in);

	/* An English page, then the rows, read by one child: eng leads on the rows. */
	two[0] = draw_page(english, 28);
	two[1] = draw_lines(rows, 20, 27);
	in = pages_pdf(two, 2);
	free(two[0]);
	free(two[1]);
	ocr_config(&c, 1);
	c.lanes = 1;
	text = text_layer_of(&c, in, &res);
	assert_int_equal(res.ocr_pages, 2);
	assert_int_equal(res.ocr_pages_eng, 2);
	assert_true(res.ocr_lines_reread >= 5);
	if (count_of(text, "氏名") != 5)
		print_message("%s\n", text);
	assert_int_equal(count_of(text, "氏名"), 5);
	assert_non_null(strstr(text, "confirms"));
	free(text);
	pipeline_result_free(&res);
	close(in);
}

/* Rows y0 to y1 of px, text drawn dark on white, made a box of ground behind text
 * of grey text: white becomes ground, black becomes text, the smoothed edges
 * between in proportion. */
static void
shade_box(uint8_t *px, unsigned y0, unsigned y1, uint8_t ground, uint8_t text)
{
	for (unsigned y = y0; y < y1; y++)
		for (unsigned x = 100; x < 900; x++) {
			uint8_t *p = &px[(size_t)y * A4_W + x];

			*p = (uint8_t)(text + ((int)ground - text) * *p / 255);
		}
}

/* A slide's title in a mid-tone box and a heading in white on a dark bar (網掛け):
 * Tesseract's black and white for the whole page turns either box black, text and
 * all, and they were not read. Now each is read on its own ground (ocr_shade.h),
 * in one OCR child and in bands, and the lines on white around them as before. */
static void
test_pipeline_with_ocr_reads_text_on_shaded_ground(void **state)
{
	static const char *const lines[] = {
		"住民票の写しの交付申請書", "転出届を提出してください",
		"印鑑登録証明書の請求", "マイナンバーカードの受取", NULL,
	};
	struct pipeline_config c;
	struct pipeline_result res;
	uint8_t *px;
	char *text;
	int in, bands;

	(void)state;
	if (pipeline_skip())	/* before anything is allocated: skip() does not return */
		return;
	px = draw_lines(lines, 28, 90);
	/* draw_lines' baselines are at 200 + 90 n. */
	shade_box(px, 256, 306, 148, 0);	/* black on mid-tone grey */
	shade_box(px, 346, 396, 40, 255);	/* white on a dark bar */
	in = image_pdf(px, 1);
	for (bands = 0; bands <= BANDS_LAST; bands++) {
		ocr_config(&c, bands);
		text = text_layer_of(&c, in, &res);
		assert_int_equal(res.ocr_pages, 1);
		assert_int_equal(res.ocr_pages_banded, (uint32_t)bands);
		if (strstr(text, "提出してください") == NULL || strstr(text, "証明書の請求") == NULL)
			print_message("bands %d:\n%s\n", bands, text);
		assert_non_null(strstr(text, "提出してください"));
		assert_non_null(strstr(text, "証明書の請求"));
		assert_non_null(strstr(text, "交付申請書"));
		assert_non_null(strstr(text, "マイナンバーカード"));
		free(text);
		pipeline_result_free(&res);
	}
	close(in);
}

/* How many lines of the text layer of pdf start with the text matrix turn (its
 * first four operands, "0 -1 1 0" for a vertical line, "1 0 0 1" across): its
 * content streams uncompressed by qpdf. */
static unsigned
lines_in(const uint8_t *pdf, size_t len, const char *turn)
{
	char *qdf = output_of("qpdf --qdf --object-streams=disable", "- 2>/dev/null", pdf, len);
	char op[32];
	unsigned n = 0;

	snprintf(op, sizeof(op), " Tz %s ", turn);
	for (const char *at = qdf; (at = strstr(at, op)) != NULL; at++)
		n++;
	free(qdf);
	return n;
}

static unsigned
vertical_lines_in(const uint8_t *pdf, size_t len)
{
	return lines_in(pdf, len, "0 -1 1 0");
}

/* The columns of the vertical notices below, right to left. */
static const char *const vertical_columns[] = {
	"住民票の写しの交付を請求される方は本人確認書類をお持ちください",
	"代理人が請求する場合は委任状が必要です",
	"転出届は引越しの前後十四日以内に届け出てください",
	"窓口の受付時間は平日の午前八時三十分から午後五時十五分までです",
	"印鑑登録証明書の交付には印鑑登録証が必要です",
	"手数料は一通につき三百円です", NULL,
};

/* Each of the n phrases is in text, after the one before it (read in bands or not). */
static void
assert_phrases_in_order(const char *text, const char *const *phrases, size_t n, int bands)
{
	const char *at = text;

	for (size_t i = 0; i < n; i++) {
		const char *found = strstr(at, phrases[i]);

		if (found == NULL)
			print_message("bands %d, no %s after:\n%s\n", bands, phrases[i], at);
		assert_non_null(found);
		at = found;
	}
}

/*
 * A notice written vertically (縦書き), columns right to left: read by jpn_vert, one
 * line of the text layer per column, in their order, in one child and in bands
 * (strips of whole columns: cut across, every column would be two lines). Read
 * across as before, each line held one character of every column and no phrase was
 * found.
 */
static void
test_pipeline_with_ocr_reads_a_vertical_page_down_its_columns(void **state)
{
	static const char *const phrases[] = {
		"本人確認書類", "委任状が必要", "十四日以内", "午後五時", "印鑑登録証", "三百円",
	};
	struct pipeline_result res;
	uint8_t *out;
	size_t len;
	char *text;
	int in, bands;

	(void)state;
	if (pipeline_skip())
		return;
	if (!have("qpdf")) {
		skip();
		return;
	}
	in = image_pdf(draw_columns(vertical_columns, 24, 40), 1);
	for (bands = 0; bands <= BANDS_LAST; bands++) {
		ocr_run(in, bands, &res, &out, &len);
		assert_int_equal(vertical_lines_in(out, len), 6);
		text = pdftotext(out, len);
		free(out);
		assert_int_equal(res.ocr_pages, 1);
		assert_int_equal(res.ocr_pages_vertical, 1);
		/* The attestation names the model that read it. */
		assert_string_equal(json_string_value(json_object_get(engines_of(&res),
					"tesseract")) + strlen(ocr_engine_version()),
				    " jpn+eng+jpn_vert");
		assert_int_equal(res.ocr_pages_banded, (uint32_t)bands);
		assert_phrases_in_order(text, phrases, sizeof(phrases) / sizeof(*phrases), bands);
		free(text);
		pipeline_result_free(&res);
	}
	close(in);
}

/*
 * A notice written vertically (縦書き) under a heading written across, with its
 * issuer's line across under the columns, as notices and letters are set: the
 * heading and that line read across, before and after the columns, which are the
 * page's only vertical lines, in one child and in bands. Read down, the heading and
 * the line were columns of one or two characters of noise.
 */
static void
test_pipeline_with_ocr_reads_a_heading_across_over_vertical_columns(void **state)
{
	static const char *const phrases[] = {
		"窓口でのお手続きについて", "本人確認書類", "委任状が必要", "十四日以内",
		"午後五時", "印鑑登録証", "三百円", "関所市役所市民課",
	};
	struct pipeline_result res;
	uint8_t *out, *px;
	size_t len;
	char *text;
	int in, bands;

	(void)state;
	if (pipeline_skip())
		return;
	if (!have("qpdf")) {
		skip();
		return;
	}
	px = draw_columns(vertical_columns, 24, 40);
	draw_line_onto(px, "窓口でのお手続きについて", 36, 300, 110);
	draw_line_onto(px, "関所市役所 市民課", 24, 600, 1100);
	in = image_pdf(px, 1);
	for (bands = 0; bands <= BANDS_LAST; bands++) {
		ocr_run(in, bands, &res, &out, &len);
		assert_int_equal(vertical_lines_in(out, len), 6);
		/* Read once: by the child of the first band, not by every band's. */
		assert_int_equal(lines_in(out, len, "1 0 0 1"), 2);
		text = pdftotext(out, len);
		free(out);
		assert_int_equal(res.ocr_pages_vertical, 1);
		assert_int_equal(res.ocr_pages_banded, (uint32_t)bands);
		assert_phrases_in_order(text, phrases, sizeof(phrases) / sizeof(*phrases), bands);
		free(text);
		pipeline_result_free(&res);
	}
	close(in);
}

/*
 * A page scanned upside down (the sheet put in the wrong way round): read turned, in
 * one child and in bands, its text in order, and shown upright (/Rotate 180); the
 * same page upright is not turned, nor the page mirrored, which reads as badly
 * turned as not. Read as it was, its text layer was noise.
 */
static void
test_pipeline_with_ocr_reads_an_upside_down_page_turned(void **state)
{
	static const char *const lines[] = {
		"住民票の写しの交付を請求される方は", "本人確認書類をお持ちください",
		"代理人が請求する場合は委任状が必要です", "転出届は引越しの前後十四日以内に",
		"届け出てください", "手数料は一通につき三百円です", NULL,
	};
	struct pipeline_result res;
	uint8_t *px, *mirror, *out;
	size_t len, n = (size_t)A4_W * A4_H;
	int in[2], turned, bands;
	char *text;

	(void)state;
	if (pipeline_skip())	/* before anything is allocated: skip() does not return */
		return;
	px = draw_lines(lines, 28, 56);
	assert_non_null(mirror = malloc(n));
	for (size_t y = 0; y < A4_H; y++)
		for (size_t x = 0; x < A4_W; x++)
			mirror[y * A4_W + x] = px[y * A4_W + A4_W - 1 - x];
	in[0] = image_pdf(mirror, 1);
	ocr_run(in[0], 1, &res, &out, &len);
	assert_int_equal(res.ocr_pages, 1);
	assert_null(memmem(out, len, "/Rotate", 7));
	free(out);
	pipeline_result_free(&res);
	close(in[0]);
	in[0] = pages_pdf(&px, 1);
	half_turn(px);
	in[1] = image_pdf(px, 1);
	for (turned = 0; turned <= 1; turned++)
		for (bands = 0; bands <= BANDS_LAST; bands++) {
			ocr_run(in[turned], bands, &res, &out, &len);
			assert_int_equal(res.ocr_pages, 1);
			assert_int_equal(res.ocr_pages_banded, (uint32_t)bands);
			assert_int_equal(res.ocr_pages_turned, (uint32_t)turned);
			if (turned)
				assert_non_null(memmem(out, len, "/Rotate 180 ", 12));
			else
				assert_null(memmem(out, len, "/Rotate", 7));
			text = pdftotext(out, len);
			free(out);
			if (strstr(text, "委任状が必要") == NULL)
				print_message("turned %d, bands %d:\n%s\n", turned, bands, text);
			assert_non_null(strstr(text, "住民票の写し"));
			assert_non_null(strstr(text, "委任状が必要"));
			assert_non_null(strstr(text, "三百円"));
			assert_true(strstr(text, "住民票の写し") < strstr(text, "三百円"));
			free(text);
			pipeline_result_free(&res);
		}
	close(in[0]);
	close(in[1]);
}

/* The A4 page px turned a quarter, clockwise or not: a landscape page (A4_H wide),
 * malloc'd. */
static uint8_t *
quarter_turn(const uint8_t *px, int clockwise)
{
	uint8_t *t = malloc((size_t)A4_W * A4_H);

	assert_non_null(t);
	for (size_t y = 0; y < A4_H; y++)
		for (size_t x = 0; x < A4_W; x++) {
			size_t tx = clockwise ? A4_H - 1 - y : y, ty = clockwise ? x : A4_W - 1 - x;

			t[ty * A4_H + tx] = px[y * A4_W + x];
		}
	return t;
}

/*
 * Pages scanned on their side: a notice across turned a quarter clockwise or
 * anticlockwise (its lines then run down or up the landscape page, as a vertical
 * page's columns do), and a vertical notice upside down. Each is read the way it is
 * set, by the reader for it (jpn_vert only for the vertical one), its text in
 * order, and shown upright (/Rotate 270, 90, 180), in one child and in bands.
 */
static void
test_pipeline_with_ocr_reads_pages_on_their_side(void **state)
{
	static const char *const lines[] = {
		"住民票の写しの交付を請求される方は", "本人確認書類をお持ちください",
		"代理人が請求する場合は委任状が必要です", "転出届は引越しの前後十四日以内に",
		"届け出てください", "手数料は一通につき三百円です", NULL,
	};
	static const char *const rotate[] = { "/Rotate 270 ", "/Rotate 90 ", "/Rotate 180 " };
	size_t len;
	struct pipeline_result res;
	uint8_t *across, *down, *page[3], *out;
	int in[3];
	char *text;

	(void)state;
	if (pipeline_skip())	/* before anything is allocated: skip() does not return */
		return;
	across = draw_lines(lines, 28, 56);
	down = draw_columns(lines, 28, 56);
	page[0] = quarter_turn(across, 1);
	page[1] = quarter_turn(across, 0);
	page[2] = down;
	half_turn(down);			/* the vertical page upside down */
	free(across);
	in[0] = sized_pages_pdf(&page[0], 1, A4_H, A4_W);
	in[1] = sized_pages_pdf(&page[1], 1, A4_H, A4_W);
	in[2] = pages_pdf(&page[2], 1);
	for (int k = 0; k < 3; k++)
		for (int bands = 0; bands <= BANDS_LAST; bands++) {
			ocr_run(in[k], bands, &res, &out, &len);
			assert_int_equal(res.ocr_pages, 1);
			assert_int_equal(res.ocr_pages_vertical, k == 2 ? 1 : 0);
			assert_int_equal(res.ocr_pages_turned, 1);
			assert_non_null(memmem(out, len, rotate[k], strlen(rotate[k])));
			text = pdftotext(out, len);
			free(out);
			if (strstr(text, "委任状が必要") == NULL)
				print_message("page %d, bands %d:\n%s\n", k, bands, text);
			assert_non_null(strstr(text, "住民票の写し"));
			assert_non_null(strstr(text, "委任状が必要"));
			assert_non_null(strstr(text, "三百円"));
			assert_true(strstr(text, "住民票の写し") < strstr(text, "三百円"));
			free(text);
			pipeline_result_free(&res);
		}
	for (int k = 0; k < 3; k++) {
		free(page[k]);
		close(in[k]);
	}
}

/*
 * A page written across, its lines numbered in the margin, scanned on its side: the
 * numbers, turned, are a row across the page's lines running down, like a heading
 * over vertical columns (ocr_vertical_across). The page reads clearly only turned
 * (read_vertical): then nothing of it is across after all, and it is read again
 * with its numbers, in one child and in bands (each band its own strip again).
 * Without that, the numbers were erased and read by no one.
 */
static void
test_pipeline_with_ocr_reads_a_numbered_page_on_its_side_whole(void **state)
{
	static const char *const lines[] = {
		"住民票の写しの交付を請求される方は", "本人確認書類をお持ちください",
		"代理人が請求する場合は委任状が必要です", "転出届は引越しの前後十四日以内に",
		"届け出てください", "手数料は一通につき三百円です", NULL,
	};
	static const char *const numbers[] = { "1", "2", "3", "4", "5", "6" };
	struct pipeline_result res;
	uint8_t *across, *page, *out;
	size_t len;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	across = draw_lines(lines, 28, 56);
	for (unsigned i = 0; i < 6; i++)
		draw_line_onto(across, numbers[i], 28, 40, 200 + 56 * (int)i);
	page = quarter_turn(across, 1);
	free(across);
	in = sized_pages_pdf(&page, 1, A4_H, A4_W);
	for (int bands = 0; bands <= BANDS_LAST; bands++) {
		ocr_run(in, bands, &res, &out, &len);
		assert_int_equal(res.ocr_pages_vertical, 0);
		assert_int_equal(res.ocr_pages_turned, 1);
		/* Its lines run down, read by the pair's primary: no jpn_vert. */
		assert_int_equal(res.ocr_pages_vert_model, 0);
		assert_string_equal(json_string_value(json_object_get(engines_of(&res),
					"tesseract")) + strlen(ocr_engine_version()), " jpn+eng");
		text = pdftotext(out, len);
		free(out);
		for (unsigned i = 0; i < 6; i++) {
			if (strstr(text, numbers[i]) == NULL)
				print_message("bands %d, no %s in:\n%s\n", bands, numbers[i], text);
			assert_non_null(strstr(text, numbers[i]));
		}
		assert_non_null(strstr(text, "委任状が必要"));
		assert_non_null(strstr(text, "三百円"));
		free(text);
		pipeline_result_free(&res);
	}
	free(page);
	close(in);
}

/* Read a form's table of label and value rows (罫線 of 2 pixels, as a word
 * processor draws them), its rules between the rows solid or dotted (dashes of 4, 4
 * apart): every row is read. */
static uint8_t *
draw_ruled_table(int dotted)
{
	static const char *const rows[] = {
		"氏名　　　山田太郎", "住所　　　東京都千代田区霞が関",
		"電話番号　03-1234-5678", "生年月日　昭和60年4月1日",
		"届出日　　令和8年11月24日", "本籍　　　東京都千代田区", "", "", NULL,
	};
	uint8_t *px = draw_lines(rows, 22, 48);

	/* Baselines at 200 + 48 n: rules between the rows, and down the sides and
	 * between the labels (at most 4 characters of 22 pixels from 120) and values. */
	for (unsigned k = 0; k <= 8; k++)
		for (unsigned y = 166 + 48 * k; y < 168 + 48 * k; y++)
			for (unsigned x = 100; x < 700; x++)
				if (!dotted || k == 0 || k == 8 || x % 8 < 4)
					px[(size_t)y * A4_W + x] = 0;
	for (unsigned y = 166; y < 168 + 48 * 8; y++)
		for (unsigned x = 0; x < 2; x++) {
			px[(size_t)y * A4_W + 100 + x] = 0;
			px[(size_t)y * A4_W + 218 + x] = 0;
			px[(size_t)y * A4_W + 698 + x] = 0;
		}
	return px;
}

/* The words of draw_ruled_table's rows in text, the text layer of its page. */
static void
check_ruled_table_words(const char *text)
{
	assert_non_null(strstr(text, "氏名山田"));
	assert_non_null(strstr(text, "住所東京都千代田区霞が関"));
	assert_non_null(strstr(text, "1234-5678"));
	assert_non_null(strstr(text, "生年月日昭和"));
	assert_non_null(strstr(text, "届出日令和"));
	assert_non_null(strstr(text, "本籍東京都"));
}

/* draw_ruled_table with a column of labels on its left, each written down its cell
 * of three rows (縦書きの項目名): 届出人 and 世帯主, ruled like the rest, their
 * characters of px_size pixels, pitch apart. */
static uint8_t *
draw_labelled_table(unsigned px_size, unsigned pitch)
{
	uint8_t *px = draw_ruled_table(0);

	for (unsigned k = 0; k <= 8; k += k == 6 ? 2 : 3)	/* rules 0, 3, 6 and 8 */
		for (unsigned y = 166 + 48 * k; y < 168 + 48 * k; y++)
			for (unsigned x = 40; x < 100; x++)
				px[(size_t)y * A4_W + x] = 0;
	for (unsigned y = 166; y < 168 + 48 * 8; y++)
		for (unsigned x = 0; x < 2; x++)
			px[(size_t)y * A4_W + 40 + x] = 0;
	draw_column_onto(px, "届出人", px_size, pitch, 70 - (int)px_size / 2, 200);
	draw_column_onto(px, "世帯主", px_size, pitch, 70 - (int)px_size / 2, 200 + 48 * 3);
	return px;
}

/*
 * A form's labels written down their cells (縦書きの項目名) beside rows written across:
 * each label one vertical line of the text layer, and every row read as in the
 * table without them, in one child and in bands; upside down, the same, the labels
 * read turned; set larger than the rows and spaced (28 pixels, 32 apart, beside rows
 * of 22), the same. Read across with the rows, the labels were lost and spoilt the
 * rows beside them (氏名 gone, 上住所, 24晶); spaced, they were not told apart until
 * a column's characters could be 3/4 of one apart.
 */
static void
test_pipeline_with_ocr_reads_a_form_s_labels_written_down(void **state)
{
	size_t len;
	struct pipeline_result res;
	uint8_t *page[3], *out;
	char *text;
	int in[3];

	(void)state;
	if (pipeline_skip())
		return;
	if (!have("qpdf")) {
		skip();
		return;
	}
	page[0] = draw_labelled_table(22, 22);
	page[1] = draw_labelled_table(22, 22);
	half_turn(page[1]);			/* the second upside down */
	page[2] = draw_labelled_table(28, 32);
	for (int k = 0; k < 3; k++)
		in[k] = pages_pdf(&page[k], 1);
	for (int k = 0; k < 3; k++)
		for (int bands = 0; bands <= BANDS_LAST; bands++) {
			ocr_run(in[k], bands, &res, &out, &len);
			assert_int_equal(res.ocr_pages_vertical, 0);
			assert_int_equal(res.ocr_pages_turned, k == 1 ? 1 : 0);
			/* jpn_vert read the labels: the attestation names it. */
			assert_int_equal(res.ocr_pages_vert_model, 1);
			assert_string_equal(json_string_value(json_object_get(engines_of(&res),
						"tesseract")) + strlen(ocr_engine_version()),
					    " jpn+eng+jpn_vert");
			/* Two lines down: up, on the page upside down. */
			assert_int_equal(lines_in(out, len, k == 1 ? "0 1 -1 0" : "0 -1 1 0"), 2);
			text = pdftotext(out, len);
			free(out);
			if (strstr(text, "届出人") == NULL || strstr(text, "世帯主") == NULL)
				print_message("page %d, bands %d:\n%s\n", k, bands, text);
			assert_non_null(strstr(text, "届出人"));
			assert_non_null(strstr(text, "世帯主"));
			check_ruled_table_words(text);
			free(text);
			pipeline_result_free(&res);
		}
	for (int k = 0; k < 3; k++) {
		free(page[k]);
		close(in[k]);
	}
}

static void
check_ruled_table(int dotted)
{
	char *text;
	int in;

	in = image_pdf(draw_ruled_table(dotted), 1);
	text = ocr_text_of(in, OCR_DEFAULT_LANGS, NULL);
	if (strstr(text, "氏名山田") == NULL || strstr(text, "霞が関") == NULL)
		print_message("dotted %d:\n%s\n", dotted, text);
	check_ruled_table_words(text);
	free(text);
	close(in);
}

/* Read as one block with its rules, Tesseract took them for text and lost the rows
 * between them. The rules are erased before the page is read (ocr_rules.h), solid
 * or dotted (点線). */
static void
test_pipeline_with_ocr_reads_the_rows_of_a_ruled_table(void **state)
{
	(void)state;
	if (pipeline_skip())
		return;
	check_ruled_table(0);
	check_ruled_table(1);
}

/*
 * The ruled form on paper that is not white. Scanned, its paper grey (232) with
 * grain: the page is erased around each band in that grey, not white (a white
 * ground beside the grey one split Otsu's threshold between the two, and the band's
 * paper went black with its print: no text at all). Photographed, lit from 95 %
 * at the left to 55 % at the right: read by Sauvola's local threshold ('T'), where
 * Otsu's one threshold lost the dim side. Printed on security paper, pale lines
 * (地紋, grey 200) all over it: the lines are whitened first (ocr_pattern.h);
 * read with them, the form gave noise and none of its words. The same page on white
 * paper is read as before, by Otsu.
 */
static void
test_pipeline_with_ocr_reads_forms_on_grey_and_unevenly_lit_paper(void **state)
{
	enum { WHITE, SCANNED, LIT, PATTERNED, KINDS };
	struct pipeline_config c;
	struct pipeline_result res;
	uint32_t seed = 7;
	char *text;
	int in[KINDS];

	(void)state;
	if (pipeline_skip())
		return;
	for (int kind = 0; kind < KINDS; kind++) {
		uint8_t *px = draw_ruled_table(0);

		for (size_t y = 0; y < A4_H; y++)
			for (size_t x = 0; x < A4_W; x++) {
				uint8_t *p = &px[y * A4_W + x];
				int grain, light;

				seed = seed * 1103515245u + 12345u;
				grain = (int)(seed >> 16) % 9 - 4;
				light = kind == LIT ? 95 - (int)(40 * x / A4_W) : 91;
				if (kind == PATTERNED && *p == 255 &&
				    ((x + y) % 7 == 0 || (x + 2 * A4_W - y) % 11 == 0))
					*p = 200;
				else if (kind == SCANNED || kind == LIT)
					*p = (uint8_t)(*p * light / 100 + 4 + grain);
			}
		in[kind] = image_pdf(px, 1);
	}
	for (int kind = 0; kind < KINDS; kind++)
		for (int bands = 0; bands <= BANDS_LAST; bands++) {
			ocr_config(&c, bands);
			text = text_layer_of(&c, in[kind], &res);
			assert_int_equal(res.ocr_pages, 1);
			assert_int_equal(res.ocr_pages_banded, (uint32_t)bands);
			assert_int_equal(res.ocr_pages_uneven, kind == LIT ? 1 : 0);
			if (strstr(text, "本籍東京都") == NULL)
				print_message("paper %d, bands %d:\n%s\n", kind, bands, text);
			check_ruled_table_words(text);
			free(text);
			pipeline_result_free(&res);
		}
	for (int kind = 0; kind < KINDS; kind++)
		close(in[kind]);
}

/* Ink a round seal (認印) of radius r at (cx, cy) over rgb, an A4 RGB page: a ring
 * 3 pixels wide and the two characters of two down it, in IPA Gothic, in
 * vermilion multiplied into what lies under them, as ink is. */
static void
draw_seal(uint8_t *rgb, int cx, int cy, int r, const char *two)
{
	static const unsigned pass[3] = { 88, 20, 24 };	/* in 1/100ths */
	uint8_t *cover = calloc((size_t)A4_W * A4_H, 1);
	FT_Library lib;
	FT_Face face;

	assert_non_null(cover);
	for (int y = -r; y <= r; y++)
		for (int x = -r; x <= r; x++)
			if (x * x + y * y <= r * r && x * x + y * y > (r - 3) * (r - 3))
				cover[(size_t)(cy + y) * A4_W + (size_t)(cx + x)] = 255;
	assert_int_equal(FT_Init_FreeType(&lib), 0);
	assert_int_equal(FT_New_Face(lib, TEST_FONT, 0, &face), 0);
	assert_int_equal(FT_Set_Pixel_Sizes(face, 0, (FT_UInt)(r * 4 / 5)), 0);
	for (int k = 0; k < 2; k++) {
		FT_GlyphSlot g;

		assert_int_equal(FT_Load_Char(face, utf8_dec(&two), FT_LOAD_RENDER), 0);
		g = face->glyph;
		for (unsigned row = 0; row < g->bitmap.rows; row++)
			for (unsigned q = 0; q < g->bitmap.width; q++) {
				int X = cx - r * 2 / 5 + g->bitmap_left + (int)q;
				int Y = cy - r / 8 + k * r * 4 / 5 - g->bitmap_top + (int)row;

				cover[(size_t)Y * A4_W + (size_t)X] |= g->bitmap.buffer[row * g->bitmap.pitch + q];
			}
	}
	for (size_t i = 0; i < (size_t)A4_W * A4_H; i++)
		for (unsigned c = 0; c < 3; c++)
			rgb[3 * i + c] = (uint8_t)(rgb[3 * i + c] * (255u * 100 - cover[i] * (100 - pass[c])) /
						   (255u * 100));
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
	free(cover);
}

/* An RGB copy of the grey A4 page grey (freed here). */
static uint8_t *
rgb_of(uint8_t *grey)
{
	uint8_t *rgb = malloc((size_t)A4_W * A4_H * 3);

	assert_non_null(rgb);
	for (size_t i = 0; i < (size_t)A4_W * A4_H; i++)
		memset(rgb + 3 * i, grey[i], 3);
	free(grey);
	return rgb;
}

/*
 * The ruled form on a colour page, with seals (印影) over its print: a 認印 over
 * the name and a larger seal over the address. In grey a seal's red is as dark as
 * print, and the rows under them read as noise; their red is lifted first
 * (ocr_seal.h) and they read, in one child and in bands.
 */
static void
test_pipeline_with_ocr_reads_the_print_under_red_seals(void **state)
{
	struct pipeline_config c;
	struct pipeline_result res;
	uint8_t *rgb;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	rgb = rgb_of(draw_ruled_table(0));
	draw_seal(rgb, 275, 190, 32, "山田");	/* over 山田太郎, 10.5 mm (its 郎 reads 朗 without it too) */
	draw_seal(rgb, 380, 238, 40, "千代");	/* over 千代田区 */
	in = channel_pages_pdf(&rgb, 1, A4_W, A4_H, 3);
	free(rgb);
	for (int bands = 0; bands <= BANDS_LAST; bands++) {
		ocr_config(&c, bands);
		text = text_layer_of(&c, in, &res);
		if (strstr(text, "氏名山田太") == NULL || strstr(text, "千代田区霞が関") == NULL)
			print_message("bands %d:\n%s\n", bands, text);
		assert_non_null(strstr(text, "氏名山田太"));
		check_ruled_table_words(text);
		free(text);
		pipeline_result_free(&res);
	}
	close(in);
}

/* Print in a light colour (gold, 255/192/0: as light as 189 in grey) among black
 * lines, as a form's printed labels or a flyer's headings are. Tesseract's own
 * per-channel thresholds find it; grey Otsu, set between the black and the paper,
 * makes it paper. The page is given in colour (ocr_colour.h). */
static void
test_pipeline_with_ocr_reads_light_coloured_print(void **state)
{
	static const char *const lines[] = {
		"住民票の写しの交付について", "転出届は転出予定日の十四日前から", "窓口の受付時間は午前八時半から",
		"本人確認書類をお持ちください", "代理人は委任状が必要です", "手数料は一通三百円です",
		"郵送の場合は定額小為替を同封", "マイナンバーカードで証明書を取得", NULL,
	};
	static const char *const words[] = {	/* a word of each line, read right */
		"住民票の写し", "十四日前", "窓口の受付", "本人確認書類", "委任状", "三百円",
		"定額小為替", "マイナンバーカード",
	};
	static const uint8_t gold[3] = { 255, 192, 0 };
	const unsigned size = 28, pitch = 56, gold_lines = 1u << 1 | 1u << 5;
	struct pipeline_config c;
	struct pipeline_result res;
	uint8_t *rgb;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	rgb = rgb_of(draw_lines(lines, size, pitch));
	for (size_t i = 0; i < (size_t)A4_W * A4_H; i++) {
		/* Line l's baseline is at 200 + l * pitch; its glyphs lie within size
		 * above and below it. */
		unsigned y = (unsigned)(i / A4_W), ink = 255u - rgb[3 * i];
		unsigned line = y + size >= 200 ? (y + size - 200) / pitch : 32;

		for (unsigned ch = 0; ch < 3 && line < 32 && (gold_lines >> line & 1); ch++)
			rgb[3 * i + ch] = (uint8_t)(255u - ink * (255u - gold[ch]) / 255u);
	}
	in = channel_pages_pdf(&rgb, 1, A4_W, A4_H, 3);
	free(rgb);
	ocr_config(&c, 1);
	text = text_layer_of(&c, in, &res);
	for (unsigned l = 0; l < sizeof words / sizeof words[0]; l++) {
		if (strstr(text, words[l]) == NULL)
			print_message("line %u (%s) not in:\n%s\n", l,
				      gold_lines >> l & 1 ? "gold" : "black", text);
		assert_non_null(strstr(text, words[l]));
	}
	free(text);
	pipeline_result_free(&res);
	close(in);
}

static void
test_pipeline_without_ocr_has_no_text(void **state)
{
	struct pipeline_config c;
	struct pipeline_result res;
	uint8_t *out;
	size_t len, i;
	char *text;
	int in;

	(void)state;
	if (pipeline_skip())
		return;
	in = japanese_pdf(1);
	pipeline_config_default(&c);
	c.sign_key = sign_key;
	run(&c, in, &res, &out, &len);
	assert_true(res.clean);
	assert_int_equal(res.ocr_pages, 0);
	assert_non_null(json_object_get(engines_of(&res), "mupdf"));
	assert_null(json_object_get(engines_of(&res), "tesseract"));
	assert_null(memmem(out, len, "/Font", 5));
	text = pdftotext(out, len);
	for (i = 0; text[i] != '\0'; i++)
		assert_true(text[i] == '\n' || text[i] == '\f' || text[i] == ' ');
	free(text);
	free(out);
	pipeline_result_free(&res);
	close(in);
}

/* An OCR child that runs out of time, or has no model, costs the page its text:
 * the file is still rebuilt and clean. */
static void
check_ocr_failure_fails_safe(const char *langs, unsigned page_ms)
{
	struct pipeline_config c;
	struct pipeline_result res;
	uint8_t *out;
	size_t len;
	int in;

	in = japanese_pdf(1);
	pipeline_config_default(&c);
	c.ocr = langs;
	c.ocr_page_ms = page_ms;
	run(&c, in, &res, &out, &len);
	assert_true(res.clean);
	assert_int_equal(res.pages, 1);
	assert_int_equal(res.ocr_pages, 0);
	assert_int_equal(res.ocr_failed, 1);
	assert_non_null(strstr(res.detail, "ocr: page 1"));
	assert_null(memmem(out, len, "/Font", 5));
	free(out);
	pipeline_result_free(&res);
	close(in);
}

static void
test_pipeline_ocr_timeout_leaves_the_page_without_text(void **state)
{
	(void)state;
	if (pipeline_skip())
		return;
	check_ocr_failure_fails_safe(OCR_DEFAULT_LANGS, 50);
}

static void
test_pipeline_ocr_without_its_model_leaves_the_page_without_text(void **state)
{
	(void)state;
	if (pipeline_skip())
		return;
	check_ocr_failure_fails_safe("xxx", PIPELINE_OCR_PAGE_MS);
}

/* ---- models loaded once (ocr_models) ---- */

#define DEBIAN_TESSDATA	"/usr/share/tesseract-ocr/5/tessdata"

/* A directory of its own holding copies of Debian's jpn and eng models. */
static void
tessdata_copy(char dir[64])
{
	static const char *const names[] = { "jpn.traineddata", "eng.traineddata" };
	char src[256], dst[128];
	unsigned i;

	snprintf(dir, 64, "/tmp/test_ocr.XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++) {
		int in, out;

		snprintf(src, sizeof src, "%s/%s", DEBIAN_TESSDATA, names[i]);
		snprintf(dst, sizeof dst, "%s/%s", dir, names[i]);
		assert_true((in = open(src, O_RDONLY | O_CLOEXEC)) >= 0);
		assert_true((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0);
		assert_int_equal(fsio_copy_fd(out, in), 0);
		close(in);
		close(out);
	}
}

static void
test_models_that_do_not_load_are_refused(void **state)
{
	struct ocr_models *m = (struct ocr_models *)&m;
	char dir[64];

	(void)state;
	if (pipeline_skip())	/* Tesseract under valgrind: minutes */
		return;
	assert_int_equal(ocr_models_load(NULL, "jpn++eng", &m), -EINVAL);
	assert_null(m);
	snprintf(dir, sizeof dir, "/tmp/test_ocr.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ocr_models_load(dir, OCR_DEFAULT_LANGS, &m), -ENOENT);
	assert_null(m);
	assert_int_equal(ocr_models_load(NULL, "xxx", &m), -ENOENT);
	assert_null(m);
	ocr_models_free(NULL);
	rmdir(dir);
}

/* Run the pipeline with OCR on the one-page Japanese PDF in, reading models from
 * tessdata and given models (or NULL); the result in *res. */
static void
read_with_models(int in, const char *tessdata, const struct ocr_models *m, int bands,
    struct pipeline_result *res)
{
	struct pipeline_config c;
	char *text;

	ocr_config(&c, 1);
	c.ocr_tessdata = tessdata;
	c.ocr_models = m;
	c.ocr_bands = bands;
	text = text_layer_of(&c, in, res);
	assert_int_equal(res->pages, 1);
	if (res->ocr_pages == 1) {
		assert_non_null(strstr(text, "住民票の写し"));
		assert_non_null(strstr(text, "委任状が必要です"));
	}
	free(text);
}

/* The OCR children read with the readers loaded before they were forked, not with
 * models of their own: with the model files gone after ocr_models_load, the page is
 * still read, in bands as whole, and it is not when the children must load (no
 * models given, or models of other languages). */
static void
test_pipeline_ocr_children_read_with_the_models_loaded_once(void **state)
{
	struct ocr_models *both, *jpn;
	struct pipeline_result res;
	char dir[64], path[128];
	int in, bands;

	(void)state;
	if (pipeline_skip())
		return;
	tessdata_copy(dir);
	assert_int_equal(ocr_models_load(dir, OCR_DEFAULT_LANGS, &both), 0);
	assert_int_equal(ocr_models_load(dir, "jpn", &jpn), 0);
	snprintf(path, sizeof path, "%s/jpn.traineddata", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof path, "%s/eng.traineddata", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);

	in = japanese_notice_pdf(37, 1);
	for (bands = 0; bands <= 1; bands++) {
		read_with_models(in, dir, both, bands, &res);
		assert_int_equal(res.ocr_pages, 1);
		assert_int_equal(res.ocr_failed, 0);
		assert_int_equal(res.ocr_pages_banded, PIPELINE_ASAN ? 0 : (uint32_t)bands);
		pipeline_result_free(&res);
	}
	read_with_models(in, dir, NULL, 0, &res);
	assert_int_equal(res.ocr_pages, 0);
	assert_int_equal(res.ocr_failed, 1);
	pipeline_result_free(&res);
	read_with_models(in, dir, jpn, 0, &res);
	assert_int_equal(res.ocr_pages, 0);
	assert_int_equal(res.ocr_failed, 1);
	pipeline_result_free(&res);
	/* The same languages from another directory are other models too. */
	read_with_models(in, DEBIAN_TESSDATA, both, 0, &res);
	assert_int_equal(res.ocr_pages, 1);
	pipeline_result_free(&res);
	close(in);
	ocr_models_free(both);
	ocr_models_free(jpn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_whole_pages_and_drops_a_truncated_one),
		cmocka_unit_test(test_parse_refuses_what_the_format_does_not_allow),
		cmocka_unit_test(test_parse_takes_the_reader_record_once_before_the_end),
		cmocka_unit_test(test_parse_takes_directions_and_turns),
		cmocka_unit_test(test_parse_takes_the_threshold_once_after_the_lines),
		cmocka_unit_test(test_parse_stops_past_the_word_limit),
		cmocka_unit_test(test_page_read_vertical_tells_jpn_vert_s_lines),
		cmocka_unit_test(test_utf8_takes_shortest_form_scalars_only),
		cmocka_unit_test(test_text_layer_is_what_pdftotext_reads),
		cmocka_unit_test(test_text_layer_words_lie_on_their_boxes),
		cmocka_unit_test(test_text_layer_reads_vertical_lines_down_their_columns),
		cmocka_unit_test(test_text_layer_of_an_upside_down_page_reads_upright),
		cmocka_unit_test(test_text_layer_reads_a_line_running_up),
		cmocka_unit_test(test_text_layer_off_its_page_is_refused),
		cmocka_unit_test(test_pipeline_with_ocr_makes_the_japanese_page_searchable),
		cmocka_unit_test(test_pipeline_with_ocr_makes_a_multi_page_tiff_searchable),
		cmocka_unit_test(test_pipeline_with_ocr_reads_a_dense_japanese_notice_across),
		cmocka_unit_test(test_pipeline_reads_the_odd_page_out_in_bands_line_by_whole_line),
		cmocka_unit_test(test_pipeline_with_ocr_reads_english_lines_in_english_and_keeps_their_kanji),
		cmocka_unit_test(test_pipeline_with_ocr_reads_an_english_first_page_in_english_from_the_start),
		cmocka_unit_test(test_pipeline_with_ocr_reads_spreadsheet_rows_of_kanji_and_digits_in_jpn),
		cmocka_unit_test(test_pipeline_with_ocr_reads_text_on_shaded_ground),
		cmocka_unit_test(test_pipeline_with_ocr_reads_a_vertical_page_down_its_columns),
		cmocka_unit_test(test_pipeline_with_ocr_reads_a_heading_across_over_vertical_columns),
		cmocka_unit_test(test_pipeline_with_ocr_reads_an_upside_down_page_turned),
		cmocka_unit_test(test_pipeline_with_ocr_reads_pages_on_their_side),
		cmocka_unit_test(test_pipeline_with_ocr_reads_a_form_s_labels_written_down),
		cmocka_unit_test(test_pipeline_with_ocr_reads_a_numbered_page_on_its_side_whole),
		cmocka_unit_test(test_pipeline_with_ocr_reads_the_rows_of_a_ruled_table),
		cmocka_unit_test(test_pipeline_with_ocr_reads_forms_on_grey_and_unevenly_lit_paper),
		cmocka_unit_test(test_pipeline_with_ocr_reads_the_print_under_red_seals),
		cmocka_unit_test(test_pipeline_with_ocr_reads_light_coloured_print),
		cmocka_unit_test(test_pipeline_without_ocr_has_no_text),
		cmocka_unit_test(test_pipeline_ocr_timeout_leaves_the_page_without_text),
		cmocka_unit_test(test_pipeline_ocr_without_its_model_leaves_the_page_without_text),
		cmocka_unit_test(test_models_that_do_not_load_are_refused),
		cmocka_unit_test(test_pipeline_ocr_children_read_with_the_models_loaded_once),
	};

	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
