/*
 * doc_render.c — merge and draw an issued document (see doc_render.h).
 *
 * The seal PNG is an administrator's upload: libpng (through cairo) reads it only
 * after its header says it is a PNG of bounded dimensions, so a decompression bomb
 * is refused before any pixel buffer is allocated.
 */
#include "doc_render.h"

#include <arpa/inet.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W    595.28	/* A4 in points */
#define PAGE_H    841.89
#define MARGIN    64.0
#define SEAL_PT   64.0		/* a seal is drawn this wide (2.26 cm) */
#define BODY_PT   11.5
#define TITLE_PT  18.0

/* ---- merge ---------------------------------------------------------------------------- */

/* At "{{": the field name and where the field ends. 1 field, 0 not a field (no
 * closing), -1 a malformed name. */
static int
field_at(const char *p, char *name, size_t namelen, const char **after)
{
	const char *q = p + 2, *close = strstr(q, "}}");
	size_t n;

	if (close == NULL)
		return 0;
	while (*q == ' ')
		q++;
	for (n = 0; q + n < close && q[n] != ' '; n++)
		if (!((q[n] >= 'a' && q[n] <= 'z') || (q[n] >= 'A' && q[n] <= 'Z') ||
		      (q[n] >= '0' && q[n] <= '9') || q[n] == '_'))
			return -1;
	for (const char *s = q + n; s < close; s++)
		if (*s != ' ')
			return -1;
	if (n == 0 || n >= namelen)
		return -1;
	memcpy(name, q, n);
	name[n] = '\0';
	*after = close + 2;
	return 1;
}

/* One value as text into f: a string, a number, or an array joined by "、". */
static int
put_value(FILE *f, const json_t *v)
{
	size_t i, before = (size_t)ftell(f);
	const json_t *e;

	if (json_is_string(v)) {
		fputs(json_string_value(v), f);
	} else if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		fprintf(f, "%g", json_real_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				continue;
			if (i > 0)
				fputs("、", f);
			fputs(json_string_value(e), f);
		}
	} else if (json_is_true(v) || json_is_false(v)) {
		fputs(json_is_true(v) ? "はい" : "いいえ", f);
	}
	return (size_t)ftell(f) - before <= DOC_VALUE_MAX ? 0 : -1;
}

static int
walk(const char *tmpl, const json_t *values, FILE *f, char *err, size_t errlen)
{
	const char *p = tmpl, *after;
	char name[64];
	int fields = 0;

	if (strlen(tmpl) > DOC_TEMPLATE_MAX) {
		snprintf(err, errlen, "文書のひな形は %d バイト以内にしてください。", DOC_TEMPLATE_MAX);
		return -1;
	}
	while (*p) {
		const char *open = strstr(p, "{{");
		int rc;

		if (open == NULL) {
			if (f)
				fputs(p, f);
			break;
		}
		if (f)
			fwrite(p, 1, (size_t)(open - p), f);
		rc = field_at(open, name, sizeof name, &after);
		if (rc <= 0) {
			snprintf(err, errlen, "ひな形の差し込み項目「%.40s」の書き方が正しくありません。"
				 "{{項目名}} の形（英数字と _）で書いてください。", open);
			return -1;
		}
		if (++fields > DOC_FIELDS_MAX) {
			snprintf(err, errlen, "差し込み項目は %d 個までにしてください。", DOC_FIELDS_MAX);
			return -1;
		}
		if (values != NULL) {
			const json_t *v = json_object_get(values, name);

			if (v == NULL) {
				snprintf(err, errlen, "差し込み項目 {{%s}} に当てはまる値が、この申請に"
					 "ありません。", name);
				return -1;
			}
			if (put_value(f, v) != 0) {
				snprintf(err, errlen, "差し込み項目 {{%s}} の値が長すぎます。", name);
				return -1;
			}
		}
		p = after;
	}
	return 0;
}

int
doc_render_check(const char *tmpl, char *err, size_t errlen)
{
	return walk(tmpl, NULL, NULL, err, errlen);
}

int
doc_render_merge(const char *tmpl, const json_t *values, char **out, char *err, size_t errlen)
{
	size_t len = 0;
	FILE *f;
	int rc;

	*out = NULL;
	if ((f = open_memstream(out, &len)) == NULL) {
		snprintf(err, errlen, "メモリが不足しています。");
		return -1;
	}
	rc = walk(tmpl, values, f, err, errlen);
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "メモリが不足しています。");
		rc = -1;
	}
	if (rc == 0 && len > DOC_MERGED_MAX) {
		snprintf(err, errlen, "差し込んだ結果の文書が長すぎます。");
		rc = -1;
	}
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- seal ----------------------------------------------------------------------------- */

int
doc_render_seal_check(const uint8_t *png, size_t len, char *err, size_t errlen)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint32_t w, h;

	/* The IHDR chunk is first, at a fixed place: width and height before libpng. */
	if (len < 33 || len > DOC_SEAL_MAX || memcmp(png, sig, 8) != 0 ||
	    memcmp(png + 12, "IHDR", 4) != 0) {
		snprintf(err, errlen, "公印の画像は %d KB 以内の PNG ファイルにしてください。",
			 DOC_SEAL_MAX / 1024);
		return -1;
	}
	memcpy(&w, png + 16, 4);
	memcpy(&h, png + 20, 4);
	w = ntohl(w);
	h = ntohl(h);
	if (w == 0 || h == 0 || w > DOC_SEAL_PX_MAX || h > DOC_SEAL_PX_MAX) {
		snprintf(err, errlen, "公印の画像は縦横 %d ピクセル以内にしてください。",
			 DOC_SEAL_PX_MAX);
		return -1;
	}
	return 0;
}

struct membuf {
	const uint8_t *p;
	size_t len, off;
};

static cairo_status_t
read_mem(void *closure, unsigned char *data, unsigned int length)
{
	struct membuf *m = closure;

	if (m->len - m->off < length)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, m->p + m->off, length);
	m->off += length;
	return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t
write_mem(void *closure, const unsigned char *data, unsigned int length)
{
	return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
							  : CAIRO_STATUS_WRITE_ERROR;
}

/* ---- drawing -------------------------------------------------------------------------- */

static PangoLayout *
layout_new(cairo_t *cr, const char *text, double pt, PangoAlignment align)
{
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_from_string(DOC_FONT);

	pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)((PAGE_W - 2 * MARGIN) * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, align);
	pango_layout_set_spacing(l, (int)(pt * 0.5 * PANGO_SCALE));
	pango_layout_set_text(l, text, -1);
	return l;
}

/* The body, line by line, onto as many pages as it needs from y. Returns the y
 * after the last line, or -1 past DOC_PAGES_MAX. */
static double
draw_body(cairo_t *cr, PangoLayout *l, double y, int *pages)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	double top = -1;

	do {
		PangoRectangle r;
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		double h, base;

		pango_layout_iter_get_line_extents(it, NULL, &r);
		h = (double)r.height / PANGO_SCALE;
		if (top < 0)
			top = (double)r.y / PANGO_SCALE;
		if (y + h > PAGE_H - MARGIN) {
			if (++*pages > DOC_PAGES_MAX) {
				pango_layout_iter_free(it);
				return -1;
			}
			cairo_show_page(cr);
			y = MARGIN;
		}
		base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE -
		       (double)r.y / PANGO_SCALE;
		cairo_move_to(cr, MARGIN + (double)r.x / PANGO_SCALE, y + base);
		pango_cairo_show_layout_line(cr, line);
		y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	return y;
}

static int
draw_seal(cairo_t *cr, const struct doc_render_input *in, double x, double y)
{
	struct membuf m = { in->seal_png, in->seal_len, 0 };
	cairo_surface_t *img = cairo_image_surface_create_from_png_stream(read_mem, &m);
	int w, ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS;

	if (ok && (w = cairo_image_surface_get_width(img)) > 0) {
		double s = SEAL_PT / w;

		cairo_save(cr);
		cairo_translate(cr, x, y);
		cairo_scale(cr, s, s);
		cairo_set_source_surface(cr, img, 0, 0);
		cairo_paint(cr);
		cairo_restore(cr);
	}
	cairo_surface_destroy(img);
	return ok ? 0 : -1;
}

int
doc_render_pdf(const struct doc_render_input *in, uint8_t **pdf, size_t *len, char *err,
	       size_t errlen)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	cairo_surface_t *s;
	cairo_t *cr;
	PangoLayout *l;
	int pages = 1, w, h, rc = 0;
	double y = MARGIN;

	*pdf = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "render: out of memory");
		return -1;
	}
	if (in->seal_png != NULL && doc_render_seal_check(in->seal_png, in->seal_len, err,
							  errlen) != 0) {
		fclose(f);
		free(buf);
		return -1;
	}
	s = cairo_pdf_surface_create_for_stream(write_mem, f, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, in->title);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Sekisho");
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0, 0, 0);

	l = layout_new(cr, in->title, TITLE_PT, PANGO_ALIGN_CENTER);
	cairo_move_to(cr, MARGIN, y);
	pango_cairo_show_layout(cr, l);
	pango_layout_get_pixel_size(l, &w, &h);
	y += h + TITLE_PT * 2;
	g_object_unref(l);

	l = layout_new(cr, in->body, BODY_PT, PANGO_ALIGN_LEFT);
	y = draw_body(cr, l, y, &pages);
	g_object_unref(l);
	if (y < 0) {
		snprintf(err, errlen, "文書が %d ページを超えます。ひな形を短くしてください。",
			 DOC_PAGES_MAX);
		rc = -1;
	}
	if (rc == 0 && in->municipality != NULL && in->municipality[0] != '\0') {
		/* The issuer at the foot, right-aligned, with the seal over its end. */
		if (y + SEAL_PT * 1.5 > PAGE_H - MARGIN) {
			cairo_show_page(cr);
			y = MARGIN;
		}
		y += BODY_PT * 2;
		l = layout_new(cr, in->municipality, BODY_PT * 1.2, PANGO_ALIGN_RIGHT);
		pango_layout_set_width(l, (int)((PAGE_W - 2 * MARGIN - SEAL_PT * 0.6) * PANGO_SCALE));
		cairo_move_to(cr, MARGIN, y + SEAL_PT / 2 - BODY_PT);
		pango_cairo_show_layout(cr, l);
		g_object_unref(l);
		if (in->seal_png != NULL &&
		    draw_seal(cr, in, PAGE_W - MARGIN - SEAL_PT, y) != 0) {
			snprintf(err, errlen, "公印の画像を読み取れません。PNG ファイルを確かめてください。");
			rc = -1;
		}
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	if (rc == 0 && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "render: %s", cairo_status_to_string(cairo_surface_status(s)));
		rc = -1;
	}
	cairo_surface_destroy(s);
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "render: out of memory");
		rc = -1;
	}
	if (rc != 0) {
		free(buf);
		return -1;
	}
	*pdf = (uint8_t *)buf;
	*len = blen;
	return 0;
}

void
doc_render_release(void)
{
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
}
