/*
 * mailtest.h — an independent reader of composed mail for the tests: base64, RFC 2047
 * encoded words, unfolded headers. Written from the RFCs, sharing no code with
 * lib/mail.c, so that a round trip checks the encoder rather than agreeing with it.
 * Header-only (static inline); include after cmocka.h and mail.h.
 */
#ifndef SEKISHO_MAILTEST_H
#define SEKISHO_MAILTEST_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static inline int
mailtest_b64val(int c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

/* Decode n chars of base64 (a multiple of 4, '=' padding) onto the end of out. */
static inline size_t
mailtest_b64dec(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	int v[4], k;

	assert_int_equal(n % 4, 0);
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' ? 0 : mailtest_b64val(s[i + k]);
		for (k = 0; k < 4; k++)
			assert_true(v[k] >= 0);
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (s[i + 2] != '=')
			out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (s[i + 3] != '=')
			out[o++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	return o;
}

/* The header section, unfolded, as separate NUL-terminated "Name: value" lines. */
struct mailtest_hdrs {
	char *lines[32];
	int n;
	const char *body;	/* after the blank line */
	char *buf;
};

static inline void
mailtest_parse(const char *msg, struct mailtest_hdrs *h)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p, *eol;
	char *w;

	assert_non_null(end);
	memset(h, 0, sizeof *h);
	h->buf = calloc(1, (size_t)(end - msg) + 64);
	h->body = end + 4;
	w = h->buf;
	for (p = msg; p <= end; p = eol + 2) {
		eol = strstr(p, "\r\n");
		if (*p == ' ' || *p == '\t') {
			assert_true(h->n > 0);	/* a continuation: unfold onto the last */
			w--;			/* over the NUL */
		} else {
			assert_true(h->n < 32);
			h->lines[h->n++] = w;
		}
		memcpy(w, p, (size_t)(eol - p));
		w += eol - p;
		*w++ = '\0';
	}
}

/* The value of the one header called name (asserting there is exactly one). */
static inline const char *
mailtest_header(const struct mailtest_hdrs *h, const char *name)
{
	const char *found = NULL;
	size_t n = strlen(name);
	int i;

	for (i = 0; i < h->n; i++)
		if (strncasecmp(h->lines[i], name, n) == 0 && h->lines[i][n] == ':') {
			assert_null(found);
			found = h->lines[i] + n + 2;
		}
	assert_non_null(found);
	return found;
}

/* Decode a run of RFC 2047 B encoded words (white space between them dropped) into
 * out; *rest points after the last one. Each word must decode to valid UTF-8 alone. */
static inline void
mailtest_decode_words(const char *s, char *out, size_t outlen, const char **rest)
{
	size_t o = 0, n, k;
	const char *e;

	for (;;) {
		while (*s == ' ')
			s++;
		if (strncmp(s, "=?UTF-8?B?", 10) != 0)
			break;
		e = strstr(s + 10, "?=");
		assert_non_null(e);
		assert_true((size_t)(e + 2 - s) <= 75);
		n = (size_t)(e - s - 10);
		assert_true(o + n < outlen);
		k = mailtest_b64dec(s + 10, n, (unsigned char *)out + o);
		out[o + k] = '\0';
		assert_true(mail_text_valid(out + o, k, 0));
		o += k;
		s = e + 2;
	}
	out[o] = '\0';
	if (rest != NULL)
		*rest = s;
}

/* Every line of msg ends in CRLF, is 7-bit and at most max long (headers) or 76 (body). */
static inline void
mailtest_assert_wire_form(const char *msg, size_t hdr_max)
{
	const char *p = msg, *eol, *body = strstr(msg, "\r\n\r\n") + 4;

	for (; *p != '\0'; p = eol + 2) {
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_null(memchr(p, '\n', (size_t)(eol - p)));
		assert_null(memchr(p, '\r', (size_t)(eol - p)));
		assert_true((size_t)(eol - p) <= (p < body ? hdr_max : 76));
	}
	for (p = msg; *p != '\0'; p++)
		assert_true((unsigned char)*p < 0x80);
}

static inline char *
mailtest_body(const struct mailtest_hdrs *h)
{
	char *joined = calloc(1, strlen(h->body) + 1), *w = joined;
	unsigned char *dec = calloc(1, strlen(h->body) + 1);
	const char *p, *eol;
	size_t n;

	for (p = h->body; *p != '\0'; p = eol + 2) {
		eol = strstr(p, "\r\n");
		memcpy(w, p, (size_t)(eol - p));
		w += eol - p;
	}
	n = mailtest_b64dec(joined, (size_t)(w - joined), dec);
	dec[n] = '\0';
	free(joined);
	return (char *)dec;
}

#endif
