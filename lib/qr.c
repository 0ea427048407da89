/*
 * qr.c — QR codes as PNG and SVG.
 *
 * Invariant: every size is checked before anything is allocated from it (text
 * length, module size, margin, title length), so no caller's argument can make us
 * allocate more than a version-40 symbol at QR_MODULE_PX_MAX pixels needs; and the
 * SVG is well-formed XML whatever the title, because the title is checked to be
 * UTF-8 without control characters and escaped.
 *
 * libpng reports errors by longjmp: setjmp is in a function (png_encode) whose locals
 * never change after it, and everything libpng may leave behind is reachable from
 * the caller's pointers, so the error path frees it all.
 */
#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"

struct qr_buf {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static int qr_fail(char *, size_t, const char *, ...) __attribute__((format(printf, 3, 4)));

static int
qr_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
buf_append(struct qr_buf *b, const void *data, size_t len)
{
	size_t cap;
	unsigned char *p;

	if (b->oom)
		return -1;
	if (len > b->cap - b->len) {
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < len)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static int buf_printf(struct qr_buf *, const char *, ...) __attribute__((format(printf, 2, 3)));

static int
buf_printf(struct qr_buf *b, const char *fmt, ...)
{
	char tmp[128];	/* every formatted piece is a few numbers */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;
		return -1;
	}
	return buf_append(b, tmp, (size_t)n);
}

/* Encode text at level M; NULL with a message if it is empty, too long or does not
 * fit a symbol. */
static QRcode *
encode(const char *fn, const char *text, char *err, size_t errlen)
{
	QRcode *qr;
	size_t len;

	if (text == NULL || (len = strnlen(text, QR_TEXT_MAX + 1)) == 0) {
		qr_fail(err, errlen, "%s: no text", fn);
		return NULL;
	}
	if (len > QR_TEXT_MAX) {
		qr_fail(err, errlen, "%s: text longer than %d bytes", fn, QR_TEXT_MAX);
		return NULL;
	}
	/* QR_MODE_8 as the hint: non-alphanumeric bytes (UTF-8 included) are kept as
	 * they are, never taken for Shift_JIS kanji; case-sensitive, as URLs are. */
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL) {
		qr_fail(err, errlen, "%s: encoding failed: %s", fn, strerror(errno));
		return NULL;
	}
	return qr;
}

#define DARK(qr, x, y) ((qr)->data[(size_t)(y) * (size_t)(qr)->width + (size_t)(x)] & 1)

/* ---- PNG ---- */

static void
png_write_cb(png_structp png, png_bytep data, png_size_t len)
{
	if (buf_append(png_get_io_ptr(png), data, len) != 0)
		png_error(png, "out of memory");
}

static void
png_flush_cb(png_structp png)
{
	(void)png;
}

static void
png_warn_cb(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Write every row of the image: px x px pixels, module_px per module. */
static void
png_rows(png_structp png, unsigned char *row, size_t rowbytes, const QRcode *qr,
	 unsigned module_px, unsigned margin, unsigned px)
{
	unsigned y, x, mx, my, w = (unsigned)qr->width;

	for (y = 0; y < px; y++) {
		my = y / module_px;
		memset(row, 0xff, rowbytes);
		if (my >= margin && my < margin + w)
			for (x = 0; x < px; x++) {
				mx = x / module_px;
				if (mx >= margin && mx < margin + w &&
				    DARK(qr, mx - margin, my - margin))
					row[x / 8] &= (unsigned char)~(0x80u >> (x % 8));
			}
		png_write_row(png, row);
	}
}

/* The libpng part, alone in its function so that no local changes after setjmp. */
static int
png_encode(png_structp png, png_infop info, struct qr_buf *buf, unsigned char *row,
	   size_t rowbytes, const QRcode *qr, unsigned module_px, unsigned margin,
	   unsigned px)
{
	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, buf, png_write_cb, png_flush_cb);
	/* 1-bit grey: 0 is black, 1 is white. No filter: it only costs on 1-bit rows. */
	png_set_IHDR(png, info, px, px, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_write_info(png, info);
	png_rows(png, row, rowbytes, qr, module_px, margin, px);
	png_write_end(png, NULL);
	return 0;
}

int
qr_png(const char *text, unsigned module_px, unsigned margin_modules,
       unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	png_structp png = NULL;
	png_infop info = NULL;
	struct qr_buf buf = { 0 };
	unsigned char *row = NULL;
	QRcode *qr = NULL;
	size_t rowbytes;
	unsigned px;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (module_px == 0 || module_px > QR_MODULE_PX_MAX)
		return qr_fail(err, errlen, "qr_png: module size %u is not 1..%d", module_px,
			       QR_MODULE_PX_MAX);
	if (margin_modules > QR_MARGIN_MAX)
		return qr_fail(err, errlen, "qr_png: margin %u is over %d", margin_modules,
			       QR_MARGIN_MAX);
	if ((qr = encode("qr_png", text, err, errlen)) == NULL)
		return -1;
	px = ((unsigned)qr->width + 2 * margin_modules) * module_px;	/* <= 209 * 32 */
	rowbytes = (px + 7) / 8;
	if ((row = malloc(rowbytes)) == NULL) {
		qr_fail(err, errlen, "qr_png: out of memory");
		goto done;
	}
	if ((png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL,
					   png_warn_cb)) == NULL ||
	    (info = png_create_info_struct(png)) == NULL) {
		qr_fail(err, errlen, "qr_png: libpng could not start");
		goto done;
	}
	if (png_encode(png, info, &buf, row, rowbytes, qr, module_px, margin_modules,
		       px) != 0) {
		qr_fail(err, errlen, "qr_png: libpng failed%s", buf.oom ? ": out of memory" : "");
		goto done;
	}
	*out = buf.p;
	*outlen = buf.len;
	buf.p = NULL;
	rc = 0;
done:
	if (png != NULL)
		png_destroy_write_struct(&png, &info);
	free(buf.p);
	free(row);
	QRcode_free(qr);
	return rc;
}

/* ---- SVG ---- */

/* 1 if s (len bytes) is UTF-8 with no control character XML 1.0 refuses, else 0. */
static int
xml_text_ok(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, past U+10FFFF, and U+FFFE/U+FFFF. */
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || c == 0xfffe || c == 0xffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
append_escaped(struct qr_buf *b, const char *s, size_t len)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		default: continue;
		}
		if (buf_append(b, s + start, i - start) != 0 ||
		    buf_append(b, rep, strlen(rep)) != 0)
			return -1;
		start = i + 1;
	}
	return buf_append(b, s + start, len - start);
}

int
qr_svg(const char *text, unsigned margin, const char *title, char **out,
       size_t *outlen, char *err, size_t errlen)
{
	struct qr_buf b = { 0 };
	QRcode *qr;
	size_t tlen;
	unsigned side, x, y, run;

	*out = NULL;
	*outlen = 0;
	if (margin > QR_MARGIN_MAX)
		return qr_fail(err, errlen, "qr_svg: margin %u is over %d", margin, QR_MARGIN_MAX);
	if (title == NULL || (tlen = strnlen(title, QR_TITLE_MAX + 1)) == 0)
		return qr_fail(err, errlen, "qr_svg: no title (the code's accessible name)");
	if (tlen > QR_TITLE_MAX)
		return qr_fail(err, errlen, "qr_svg: title longer than %d bytes", QR_TITLE_MAX);
	if (!xml_text_ok((const unsigned char *)title, tlen))
		return qr_fail(err, errlen, "qr_svg: title is not UTF-8 text");
	if ((qr = encode("qr_svg", text, err, errlen)) == NULL)
		return -1;
	side = (unsigned)qr->width + 2 * margin;

	buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %u %u\" "
		   "shape-rendering=\"crispEdges\" role=\"img\"><title>", side, side);
	append_escaped(&b, title, tlen);
	buf_printf(&b, "</title><rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>"
		   "<path fill=\"#000\" d=\"", side, side);
	/* One subpath per horizontal run of dark modules: a 1-module-high rectangle. */
	for (y = 0; y < (unsigned)qr->width; y++)
		for (x = 0; x < (unsigned)qr->width; x += run ? run : 1) {
			for (run = 0; x + run < (unsigned)qr->width && DARK(qr, x + run, y); run++)
				;
			if (run)
				buf_printf(&b, "M%u %uh%uv1h-%uz", x + margin, y + margin, run, run);
		}
	buf_append(&b, "\"/></svg>\n", 11);	/* with its NUL */
	QRcode_free(qr);
	if (b.oom) {
		free(b.p);
		return qr_fail(err, errlen, "qr_svg: out of memory");
	}
	*out = (char *)b.p;
	*outlen = b.len - 1;
	return 0;
}
