/*
 * test_doc_render.c — templates of issued documents: the merge, and the PDF it draws
 * read back by another program (poppler's pdftotext).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc_render.h"
#include "testutil.h"

static json_t *
values(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:[s,s]}", "name", "髙橋 𠮷太郎",
			 "receipt_no", "R2026-000123", "date_wareki", "令和8年11月22日",
			 "municipality", "関所市", "age", 42, "kinds", "転入", "転居");
}

static void
test_merge_fills_every_field(void **state)
{
	json_t *v = values();
	char *out, err[256];

	(void)state;
	assert_int_equal(doc_render_merge("{{name}} 様\n到達番号 {{ receipt_no }}（{{age}}歳）"
					  "\n{{kinds}}\n{{date_wareki}} {{municipality}}長", v,
					  &out, err, sizeof err), 0);
	assert_string_equal(out, "髙橋 𠮷太郎 様\n到達番号 R2026-000123（42歳）\n転入、転居\n"
				 "令和8年11月22日 関所市長");
	free(out);
	/* A value is text, never a template again. */
	json_object_set_new(v, "name", json_string("{{receipt_no}}"));
	assert_int_equal(doc_render_merge("[{{name}}]", v, &out, err, sizeof err), 0);
	assert_string_equal(out, "[{{receipt_no}}]");
	free(out);
	json_decref(v);
}

static void
test_merge_refuses_unknown_and_malformed_fields(void **state)
{
	json_t *v = values();
	char *out = (char *)1, err[256], *big;

	(void)state;
	assert_int_equal(doc_render_merge("{{address}} 様", v, &out, err, sizeof err), -1);
	assert_null(out);
	assert_non_null(strstr(err, "{{address}}"));
	assert_int_equal(doc_render_merge("{{na-me}}", v, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "書き方が正しくありません"));
	assert_int_equal(doc_render_merge("{{name", v, &out, err, sizeof err), -1);
	assert_int_equal(doc_render_merge("{{}}", v, &out, err, sizeof err), -1);
	assert_int_equal(doc_render_check("ok {{name}} and {{x_1}}", err, sizeof err), 0);
	assert_int_equal(doc_render_check("{{a b}}", err, sizeof err), -1);
	/* Bounds: the template's size, and a value too long to print. */
	big = malloc(DOC_TEMPLATE_MAX + 2);
	memset(big, 'a', DOC_TEMPLATE_MAX + 1);
	big[DOC_TEMPLATE_MAX + 1] = '\0';
	assert_int_equal(doc_render_check(big, err, sizeof err), -1);
	memset(big, 'b', DOC_VALUE_MAX + 1);
	big[DOC_VALUE_MAX + 1] = '\0';
	json_object_set_new(v, "name", json_string(big));
	assert_int_equal(doc_render_merge("{{name}}", v, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "長すぎます"));
	free(big);
	json_decref(v);
}

static cairo_status_t
append(void *closure, const unsigned char *data, unsigned int length)
{
	FILE *f = closure;

	return fwrite(data, 1, length, f) == length ? CAIRO_STATUS_SUCCESS
						    : CAIRO_STATUS_WRITE_ERROR;
}

/* A red round seal, w x w pixels, as PNG bytes. */
static uint8_t *
seal_png(int w, size_t *len)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, w);
	cairo_t *cr = cairo_create(s);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	cairo_set_source_rgb(cr, 0.8, 0, 0);
	cairo_arc(cr, w / 2.0, w / 2.0, w / 2.2, 0, 6.2832);
	cairo_stroke(cr);
	cairo_destroy(cr);
	assert_int_equal(cairo_surface_write_to_png_stream(s, append, f), CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(s);
	fclose(f);
	return (uint8_t *)buf;
}

/* pdftotext of pdf, as text. */
static char *
pdftotext(const uint8_t *pdf, size_t len)
{
	char path[] = "/tmp/test_doc_render.XXXXXX", cmd[128];
	static char out[65536];
	int fd = mkstemp(path);
	size_t n;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, pdf, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' - 2>&1", path);
	assert_non_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	unlink(path);
	return out;
}

static void
test_pdf_has_the_merged_text_and_the_seal(void **state)
{
	json_t *v = values();
	struct doc_render_input in = { "受理証明書", NULL, "関所市長", NULL, 0 };
	char *body, err[256], *text;
	uint8_t *pdf;
	size_t len;

	(void)state;
	assert_int_equal(doc_render_merge("{{name}} 様\n\nあなたの届出（到達番号 {{receipt_no}}）を"
					  "受理したことを証明します。\n\n{{date_wareki}}", v,
					  &body, err, sizeof err), 0);
	in.body = body;
	in.seal_png = seal_png(200, &in.seal_len);
	assert_int_equal(doc_render_pdf(&in, &pdf, &len, err, sizeof err), 0);
	assert_memory_equal(pdf, "%PDF-", 5);
	text = pdftotext(pdf, len);
	assert_non_null(strstr(text, "受理証明書"));
	/* 髙 and 𠮷 (outside the BMP) survive: the font has them. */
	assert_non_null(strstr(text, "髙橋 𠮷太郎 様"));
	assert_non_null(strstr(text, "到達番号 R2026-000123"));
	assert_non_null(strstr(text, "令和8年11月22日"));
	assert_non_null(strstr(text, "関所市長"));
	/* The seal is an image in the PDF. */
	assert_non_null(memmem(pdf, len, "/Subtype /Image", 15));
	free(pdf);
	free(body);
	free((void *)in.seal_png);
	json_decref(v);
}

static void
test_long_text_makes_pages_up_to_the_bound(void **state)
{
	struct doc_render_input in = { "長い文書", NULL, "関所市", NULL, 0 };
	char err[256], *body = malloc(DOC_MERGED_MAX);
	uint8_t *pdf;
	size_t len, n = 0;

	(void)state;
	for (int i = 0; i < 120; i++)
		n += (size_t)snprintf(body + n, DOC_MERGED_MAX - n, "第%d行\n", i + 1);
	in.body = body;
	assert_int_equal(doc_render_pdf(&in, &pdf, &len, err, sizeof err), 0);
	assert_non_null(strstr(pdftotext(pdf, len), "第120行"));
	free(pdf);
	for (int i = 0; n + 16 < DOC_MERGED_MAX && i < 4000; i++)
		n += (size_t)snprintf(body + n, DOC_MERGED_MAX - n, "行\n");
	assert_int_equal(doc_render_pdf(&in, &pdf, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "ページを超えます"));
	free(body);
}

static void
test_seal_must_be_a_bounded_png(void **state)
{
	char err[256];
	size_t len;
	uint8_t *png = seal_png(64, &len);

	(void)state;
	assert_int_equal(doc_render_seal_check(png, len, err, sizeof err), 0);
	assert_int_equal(doc_render_seal_check((const uint8_t *)"GIF89a....", 10, err,
					       sizeof err), -1);
	/* A header that claims 100000 pixels wide is refused before decoding. */
	png[16] = 0, png[17] = 1, png[18] = 0x86, png[19] = 0xA0;
	assert_int_equal(doc_render_seal_check(png, len, err, sizeof err), -1);
	assert_non_null(strstr(err, "ピクセル"));
	free(png);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_fills_every_field),
		cmocka_unit_test(test_merge_refuses_unknown_and_malformed_fields),
		cmocka_unit_test(test_pdf_has_the_merged_text_and_the_seal),
		cmocka_unit_test(test_long_text_makes_pages_up_to_the_bound),
		cmocka_unit_test(test_seal_must_be_a_bounded_png),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	doc_render_release();
	return rc;
}
