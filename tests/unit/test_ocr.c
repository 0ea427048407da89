/*
 * test_ocr.c — the OCR text layer: what the OCR child says is read only within its
 * bounds (a truncated page is dropped, a bad record ends the parse, bad UTF-8 and
 * control characters are refused); the PDF writer's invisible text is what poppler's
 * pdftotext extracts, Japanese without spurious spaces and characters beyond the BMP
 * included, each word on its box at any dpi, vertical lines down their columns, a
 * line running up and an upside-down page read upright. pdftotext is poppler-utils
 * (the case skips without it). The whole pipeline with OCR is test_ocr_pipeline.c
 * (pages read across) and test_ocr_layout.c (vertical, turned and ruled pages,
 * paper, seals and colour).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr.h"
#include "rebuild.h"
#include "testocr.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
