/*
 * test_ocr_pipeline.c — OCR through the whole pipeline, on pages set across: a page
 * drawn with a Japanese font (IPA Gothic, fonts-ipafont-gothic) comes out searchable
 * with OCR on, a scanner's two-page TIFF too, without text with OCR off, and still
 * clean, without text, when its OCR child times out or has no model. A dense notice
 * set solid is read across, and in bands line by whole line; English lines are read
 * by eng and keep their kanji, an English first page is read by eng from the start,
 * spreadsheet rows of kanji and digits by jpn; text on shaded ground is read; the
 * OCR children read with the models loaded once (ocr_models). The page's layout
 * (vertical, turned and ruled pages, paper, seals, colour) is test_ocr_layout.c.
 * The cases need a confined child, so they skip under valgrind (see
 * test_sandbox.c); pdftotext is poppler-utils (the cases skip without it).
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
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fsio.h"
#include "ocr.h"
#include "pipeline.h"
#include "testnotice.h"
#include "testocr.h"
#include "testtiff.h"

/* ---- pages read across ---- */

/* Lines set wide apart, as a form's headings are. */
static uint8_t *
draw_page(const char *const *lines, unsigned px_size)
{
	return draw_lines(lines, px_size, px_size * 2);
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

/* ---- without OCR, and OCR that fails ---- */

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
		cmocka_unit_test(test_pipeline_with_ocr_makes_the_japanese_page_searchable),
		cmocka_unit_test(test_pipeline_with_ocr_makes_a_multi_page_tiff_searchable),
		cmocka_unit_test(test_pipeline_with_ocr_reads_a_dense_japanese_notice_across),
		cmocka_unit_test(test_pipeline_reads_the_odd_page_out_in_bands_line_by_whole_line),
		cmocka_unit_test(test_pipeline_with_ocr_reads_english_lines_in_english_and_keeps_their_kanji),
		cmocka_unit_test(test_pipeline_with_ocr_reads_an_english_first_page_in_english_from_the_start),
		cmocka_unit_test(test_pipeline_with_ocr_reads_spreadsheet_rows_of_kanji_and_digits_in_jpn),
		cmocka_unit_test(test_pipeline_with_ocr_reads_text_on_shaded_ground),
		cmocka_unit_test(test_pipeline_without_ocr_has_no_text),
		cmocka_unit_test(test_pipeline_ocr_timeout_leaves_the_page_without_text),
		cmocka_unit_test(test_pipeline_ocr_without_its_model_leaves_the_page_without_text),
		cmocka_unit_test(test_models_that_do_not_load_are_refused),
		cmocka_unit_test(test_pipeline_ocr_children_read_with_the_models_loaded_once),
	};

	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
