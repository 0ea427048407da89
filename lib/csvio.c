/*
 * csvio.c — CSV in (UTF-8 or CP932, RFC 4180) and out (see csvio.h).
 *
 * Encoding is decided in this order: a UTF-8 BOM means UTF-8 (and must then be
 * valid); bytes that are valid UTF-8 are UTF-8; otherwise they must convert cleanly
 * from CP932 with iconv. Japanese text in Shift_JIS is practically never valid
 * UTF-8 (its lead bytes 0x81-0x9F are UTF-8 continuation bytes), so the order does
 * not misread real files; pure ASCII is the same in both.
 */
#include "csvio.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *
csvio_encoding_name(enum csvio_encoding e)
{
	switch (e) {
	case CSVIO_UTF8: return "UTF-8";
	case CSVIO_UTF8_BOM: return "UTF-8 (BOM)";
	case CSVIO_CP932: return "Shift_JIS (CP932)";
	}
	return "?";
}

int
csvio_utf8_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str, *e = s + len;

	while (s < e) {
		uint32_t c = *s;
		size_t n, i;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, c &= 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, c &= 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, c &= 0x07;
		else
			return 0;
		if ((size_t)(e - s) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (s[i] & 0x3F);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10FFFF)) ||
		    (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		s += n + 1;
	}
	return 1;
}

static int
from_cp932(const char *buf, size_t len, char **out, size_t *outlen)
{
	/* CP932 -> UTF-8 grows at most 3/2 (2 bytes -> 3) and 1 -> 3 for half-width
	 * katakana: 3x is always enough. */
	size_t cap = len * 3 + 1, inleft = len, outleft = cap - 1;
	char *dst = malloc(cap), *in = (char *)buf, *o = dst;
	iconv_t cd;

	if (dst == NULL)
		return -1;
	if ((cd = iconv_open("UTF-8", "CP932")) == (iconv_t)-1) {
		free(dst);
		return -1;
	}
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
		iconv_close(cd);
		free(dst);
		return -1;
	}
	iconv_close(cd);
	*o = '\0';
	*out = dst;
	*outlen = (size_t)(o - dst);
	return 0;
}

int
csvio_to_utf8(const char *buf, size_t len, char **out, size_t *outlen,
	      enum csvio_encoding *enc, char *err, size_t errlen)
{
	*out = NULL;
	*outlen = 0;
	if (len > CSVIO_MAX_BYTES) {
		snprintf(err, errlen, "ファイルが大きすぎます (%zu バイト、上限 %d バイト)", len,
			 CSVIO_MAX_BYTES);
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "ファイルに NUL 文字が含まれています。CSV ファイルではない"
			 "ようです");
		return -1;
	}
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		if (!csvio_utf8_valid(buf + 3, len - 3)) {
			snprintf(err, errlen, "BOM 付き UTF-8 のファイルですが、UTF-8 として正しく"
				 "ない文字が含まれています");
			return -1;
		}
		*enc = CSVIO_UTF8_BOM;
		buf += 3;
		len -= 3;
	} else if (csvio_utf8_valid(buf, len)) {
		*enc = CSVIO_UTF8;
	} else {
		if (from_cp932(buf, len, out, outlen) != 0 ||
		    !csvio_utf8_valid(*out, *outlen)) {
			free(*out);
			*out = NULL;
			snprintf(err, errlen, "文字コードを判別できません。UTF-8 または Shift_JIS "
				 "(CP932) で保存してください");
			return -1;
		}
		*enc = CSVIO_CP932;
		return 0;
	}
	if ((*out = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "メモリが不足しています");
		return -1;
	}
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	*outlen = len;
	return 0;
}

void
csvio_reader_init(struct csvio_reader *r, char *buf, size_t len)
{
	r->p = buf;
	r->end = buf + len;
	r->record = 0;
}

int
csvio_next(struct csvio_reader *r, char **fields, size_t max, size_t *n, char *err,
	   size_t errlen)
{
	char *p = r->p, *w;

	*n = 0;
	/* Blank lines are rows to a spreadsheet: counted, not returned. */
	for (;;) {
		if (p >= r->end) {
			r->p = p;
			return 0;
		}
		if (*p == '\n') {
			r->record++, p++;
			continue;
		}
		if (*p == '\r' && p + 1 < r->end && p[1] == '\n') {
			r->record++, p += 2;
			continue;
		}
		break;
	}
	r->record++;
	for (;;) {	/* one field per turn */
		char *start;

		if (*n == max || *n == CSVIO_MAX_FIELDS) {
			snprintf(err, errlen, "%zu 行目: 列が多すぎます (上限 %zu 列)", r->record,
				 max < CSVIO_MAX_FIELDS ? max : (size_t)CSVIO_MAX_FIELDS);
			return -1;
		}
		start = w = p;
		if (p < r->end && *p == '"') {
			p++;
			for (;;) {
				if (p >= r->end) {
					snprintf(err, errlen, "%zu 行目: 引用符 (\") が閉じられていません",
						 r->record);
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < r->end && p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
			if (p < r->end && *p != ',' && *p != '\n' &&
			    !(*p == '\r' && p + 1 < r->end && p[1] == '\n')) {
				snprintf(err, errlen, "%zu 行目 %zu 列目: 引用符の後に余分な文字が"
					 "あります", r->record, *n + 1);
				return -1;
			}
		} else {
			while (p < r->end && *p != ',' && *p != '\n' &&
			       !(*p == '\r' && p + 1 < r->end && p[1] == '\n')) {
				if (*p == '"' || *p == '\r') {
					snprintf(err, errlen, "%zu 行目 %zu 列目: 引用符で囲まれていない"
						 "値に %s が含まれています", r->record, *n + 1,
						 *p == '"' ? "引用符 (\")" : "改行文字 (CR)");
					return -1;
				}
				p++;
			}
			w = p;
		}
		if ((size_t)(w - start) > CSVIO_MAX_FIELD) {
			snprintf(err, errlen, "%zu 行目 %zu 列目: 値が長すぎます (上限 %d バイト)",
				 r->record, *n + 1, CSVIO_MAX_FIELD);
			return -1;
		}
		fields[(*n)++] = start;
		if (p >= r->end) {
			*w = '\0';	/* w < end or w == end: the buffer has a NUL at end */
			r->p = p;
			return 1;
		}
		if (*p == ',') {
			*w = '\0';
			p++;
			continue;
		}
		/* End of record: LF or CRLF (measured before w, which may be p, is cut). */
		p += *p == '\r' ? 2 : 1;
		*w = '\0';
		r->p = p;
		return 1;
	}
}

int
csvio_write_field(FILE *f, const char *s, bool last, bool spreadsheet_safe)
{
	bool formula = spreadsheet_safe && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	int rc = 0;

	if (quote && fputc('"', f) == EOF)
		return -1;
	if (formula && fputc('\'', f) == EOF)
		return -1;
	for (; *s && rc == 0; s++) {
		if (*s == '"' && fputc('"', f) == EOF)
			rc = -1;
		if (fputc(*s, f) == EOF)
			rc = -1;
	}
	if (rc == 0 && quote && fputc('"', f) == EOF)
		rc = -1;
	if (rc == 0 && fputs(last ? "\r\n" : ",", f) == EOF)
		rc = -1;
	return rc;
}
