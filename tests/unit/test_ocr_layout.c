/*
 * test_ocr_layout.c — OCR through the whole pipeline, on pages that are not lines
 * across on white: a notice written vertically (縦書き) is read down its columns,
 * and a heading across over them across; a page upside down or on its side is read
 * turned and shown upright, a page numbered in the margin with its numbers; a ruled
 * table's rows are read, and a form's labels written down their cells; the ruled
 * form on grey, unevenly lit and security paper, and under red seals; print in a
 * light colour among black. Most are read in one OCR child and in bands. Pages read
 * across are test_ocr_pipeline.c. The cases need a confined child, so they skip
 * under valgrind (see test_sandbox.c); pdftotext is poppler-utils, and the cases
 * that count the layer's lines need qpdf (they skip without them).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ocr.h"
#include "pipeline.h"
#include "testocr.h"

/* ---- drawing down, turning, running ---- */

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

/* ---- vertical writing ---- */

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

/* ---- pages upside down and on their side ---- */

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

/* ---- ruled tables and a form's labels ---- */

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
 * of three rows (縦書きの項目名), ruled like the rest: label[0] and label[1], their
 * characters of px_size pixels, pitch apart, the first top rows under the rule. */
static uint8_t *
draw_labelled_table(const char *const label[2], unsigned px_size, unsigned pitch,
		    unsigned top)
{
	uint8_t *px = draw_ruled_table(0);

	for (unsigned k = 0; k <= 8; k += k == 6 ? 2 : 3)	/* rules 0, 3, 6 and 8 */
		for (unsigned y = 166 + 48 * k; y < 168 + 48 * k; y++)
			for (unsigned x = 40; x < 100; x++)
				px[(size_t)y * A4_W + x] = 0;
	for (unsigned y = 166; y < 168 + 48 * 8; y++)
		for (unsigned x = 0; x < 2; x++)
			px[(size_t)y * A4_W + 40 + x] = 0;
	draw_column_onto(px, label[0], px_size, pitch, 70 - (int)px_size / 2, 168 + (int)top);
	draw_column_onto(px, label[1], px_size, pitch, 70 - (int)px_size / 2,
			 168 + (int)top + 48 * 3);
	return px;
}

/*
 * A form's labels written down their cells (縦書きの項目名) beside rows written across:
 * each label one vertical line of the text layer, and every row read as in the
 * table without them, in one child and in bands; upside down, the same, the labels
 * read turned; set larger than the rows and spaced (28 pixels, 32 apart, beside rows
 * of 22), the same; spread over their cells (均等割付: 22 pixels, 44 apart, a
 * character between them), the same; and two characters spread over their cells
 * (理由, 区分: 28 pixels, 96 apart, 6 under the cell's top), the same. Read across
 * with the rows, the labels were lost and spoilt the rows beside them (氏名 gone,
 * 上住所, 24晶); spaced, they were not told apart until a column's characters could
 * be 3/4 of one apart; spread, until a column could be told by its pitch, or two
 * characters by the ruled cell they fill. (Spread wider, 46 apart, they are told,
 * but jpn_vert reads 世帯主 as 世江主: docs/sanitizer-ocr.md.)
 */
static void
test_pipeline_with_ocr_reads_a_form_s_labels_written_down(void **state)
{
	size_t len;
	struct pipeline_result res;
	static const char *const three[2] = { "届出人", "世帯主" };
	static const char *const two[2] = { "理由", "区分" };
	const char *const *label;
	uint8_t *page[5], *out;
	char *text;
	int in[5];

	(void)state;
	if (pipeline_skip())
		return;
	if (!have("qpdf")) {
		skip();
		return;
	}
	page[0] = draw_labelled_table(three, 22, 22, 32);
	page[1] = draw_labelled_table(three, 22, 22, 32);
	half_turn(page[1]);			/* the second upside down */
	page[2] = draw_labelled_table(three, 28, 32, 32);
	page[3] = draw_labelled_table(three, 22, 44, 12);
	page[4] = draw_labelled_table(two, 28, 96, 6);
	for (int k = 0; k < 5; k++)
		in[k] = pages_pdf(&page[k], 1);
	for (int k = 0; k < 5; k++)
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
			label = k == 4 ? two : three;
			if (strstr(text, label[0]) == NULL || strstr(text, label[1]) == NULL)
				print_message("page %d, bands %d:\n%s\n", k, bands, text);
			assert_non_null(strstr(text, label[0]));
			assert_non_null(strstr(text, label[1]));
			check_ruled_table_words(text);
			free(text);
			pipeline_result_free(&res);
		}
	for (int k = 0; k < 5; k++) {
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

/* ---- paper, seals and colour ---- */

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
