/*
 * textclean.c — plain text and CSV made clean UTF-8, as a fixed point.
 *
 * Three passes over bounded buffers: decode (CP932 through iconv, UTF-8 validated
 * strictly), filter (drop the characters textclean.h names, counting each kind),
 * and, only for text that is a CSV by the rule below, neutralise formula cells.
 * Every pass only removes characters or adds a "'" in front of a cell that starts
 * with one of = + - @ TAB CR, and none of them can make a character or a cell that a
 * pass would treat differently the second time: so the output, cleaned again,
 * comes back byte for byte. The pipeline relies on that to check its child.
 *
 * The CSV rule (bounded: one linear pass per separator, over at most TEXTCLEAN_MAX
 * bytes): records are split at LF outside double quotes (RFC 4180: a quoted cell may
 * hold line breaks; a CR before the LF belongs to the line break); a record is empty
 * when it holds nothing else. The text is a CSV with separator ',' — else TAB — when
 * it has at least TEXTCLEAN_CSV_MIN_RECORDS non-empty records, every one of them has
 * the same non-zero number of separators outside quotes, and no quote is left open
 * at the end. Prose with a comma here and there fails the "same number" test.
 */
#include "textclean.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TEXTCLEAN_ENGINE "textclean 1"

static const char *const kind_names[] = { [TEXTCLEAN_TXT] = "txt", [TEXTCLEAN_CSV] = "csv" };

const char *
textclean_kind_name(uint32_t kind)
{
	return kind == TEXTCLEAN_CSV ? kind_names[TEXTCLEAN_CSV] : kind_names[TEXTCLEAN_TXT];
}

const char *
textclean_strerror(int rc)
{
	switch (rc) {
	case TEXTCLEAN_OK:		return "ok";
	case TEXTCLEAN_EENCODING:	return "not valid in its encoding";
	case TEXTCLEAN_ELIMITS:		return "longer than the text bound";
	case TEXTCLEAN_ENOMEM:		return "out of memory";
	case TEXTCLEAN_EICONV:		return "no CP932 converter";
	case TEXTCLEAN_EUNCLEAN:	return "cleaning would change it";
	}
	return "unknown error";
}

const char *
textclean_engine_version(void)
{
	return TEXTCLEAN_ENGINE;
}

/* The length of the strict UTF-8 sequence at p[0..n), or 0 if there is none. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c == 0xe0)
		need = 2, lo = 0xa0;
	else if (c == 0xed)
		need = 2, hi = 0x9f;	/* no surrogates */
	else if (c >= 0xe1 && c <= 0xef)
		need = 2;
	else if (c == 0xf0)
		need = 3, lo = 0x90;
	else if (c >= 0xf1 && c <= 0xf3)
		need = 3;
	else if (c == 0xf4)
		need = 3, hi = 0x8f;	/* nothing past U+10FFFF */
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

int
textclean_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static uint32_t
utf8_cp(const uint8_t *p, size_t k)
{
	switch (k) {
	case 1:	return p[0];
	case 2:	return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	case 3:	return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	default: return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	}
}

/* CP932 to UTF-8 into a new buffer. Every CP932 character is one or two bytes and
 * one BMP code point, so three bytes of UTF-8 per input byte always suffice. */
static int
decode_cp932(iconv_t cd, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	size_t cap = len > TEXTCLEAN_MAX / 3 ? TEXTCLEAN_MAX : len * 3;
	char *ip = (char *)(uintptr_t)in, *op;
	size_t il = len, ol = cap;
	uint8_t *buf;

	if ((buf = malloc(cap + 1)) == NULL)
		return TEXTCLEAN_ENOMEM;
	op = (char *)buf;
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		int e = errno;

		free(buf);
		return e == E2BIG ? TEXTCLEAN_ELIMITS : TEXTCLEAN_EENCODING;
	}
	*out = buf;
	*out_len = cap - ol;
	/* What glibc made is UTF-8; checked all the same, the filter decodes it. */
	return textclean_utf8_valid(buf, *out_len) ? TEXTCLEAN_OK : TEXTCLEAN_EENCODING;
}

/* Copy the characters of p[0..n) that stay into out (which has n bytes); counts in
 * rep. p is valid UTF-8. Returns the bytes kept. */
static size_t
filter(const uint8_t *p, size_t n, uint8_t *out, struct textclean_report *rep)
{
	size_t i = 0, o = 0, k;

	while (i < n) {
		uint32_t cp;

		k = utf8_seq(p + i, n - i);
		cp = utf8_cp(p + i, k);
		if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
			rep->c0++;
		else if (cp == 0x7f)
			rep->del++;
		else if (cp >= 0x80 && cp <= 0x9f)
			rep->c1++;
		else if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			rep->bidi++;
		else if (cp == 0xfeff && i == 0)
			rep->bom++;
		else if (cp == 0xfeff)
			rep->feff++;
		else {
			memcpy(out + o, p + i, k);
			o += k;
		}
		i += k;
	}
	return o;
}

/* Whether p[0..n) is a CSV with separator sep, by the rule at the top. */
static bool
is_csv(const uint8_t *p, size_t n, uint8_t sep)
{
	size_t i, len = 0, records = 0;
	uint64_t count = 0, want = 0;
	bool quoted = false, start = true, last_cr = false;

	for (i = 0; i <= n; i++) {
		if (i < n && quoted) {
			if (p[i] == '"' && i + 1 < n && p[i + 1] == '"')
				i++, len++;
			else if (p[i] == '"')
				quoted = false;
			len++;
			last_cr = false;
			continue;
		}
		if (i == n || p[i] == '\n') {
			if (i == n && quoted)
				return false;
			if (len - (last_cr ? 1 : 0) > 0) {
				if (records++ == 0)
					want = count;
				else if (count != want)
					return false;
			}
			len = 0;
			count = 0;
			start = true;
			last_cr = false;
			continue;
		}
		len++;
		last_cr = p[i] == '\r';
		if (p[i] == sep) {
			count++;
			start = true;
			continue;
		}
		if (p[i] == '"' && start)
			quoted = true;
		start = false;
	}
	return records >= TEXTCLEAN_CSV_MIN_RECORDS && want > 0;
}

/* An optional sign, digits, and an optional point with digits: a figure, which a
 * spreadsheet reads as a number and never as a formula. */
static bool
plain_number(const uint8_t *p, size_t n)
{
	size_t i = 0, d;

	if (i < n && (p[i] == '+' || p[i] == '-'))
		i++;
	for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i == d)
		return false;
	if (i < n && p[i] == '.') {
		for (d = ++i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	return i == n;
}

static bool
formula_start(uint8_t c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* The end of the line break at p[i] == '\n' or at n, counting a CR before it. */
static bool
at_break(const uint8_t *p, size_t n, size_t i)
{
	return i >= n || p[i] == '\n' || (p[i] == '\r' && (i + 1 >= n || p[i + 1] == '\n'));
}

/*
 * Copy p[0..n) to out, a "'" put in front of each cell that a spreadsheet would run
 * (inside the quotes of a quoted cell). out has room for n plus one byte per
 * separator and line. Returns the bytes written; *cells counts the neutralised.
 */
static size_t
neutralise(const uint8_t *p, size_t n, uint8_t sep, uint8_t *out, uint64_t *cells)
{
	size_t i = 0, o = 0, j, end;

	while (i <= n) {
		/* i is at the start of a cell. */
		if (i < n && p[i] == '"') {
			/* Quoted: the content runs to the closing quote ("" is a quote). */
			for (j = i + 1; j < n; j++) {
				if (p[j] == '"' && j + 1 < n && p[j + 1] == '"')
					j++;
				else if (p[j] == '"')
					break;
			}
			out[o++] = '"';
			if (i + 1 < n && formula_start(p[i + 1]) &&
			    !(j < n && (j + 1 >= n || p[j + 1] == sep || at_break(p, n, j + 1)) &&
			      plain_number(p + i + 1, j - i - 1))) {
				out[o++] = '\'';
				(*cells)++;
			}
			if (j < n)
				j++;
			memcpy(out + o, p + i + 1, j - i - 1);
			o += j - i - 1;
			i = j;
			/* Anything after the closing quote belongs to the cell, to the
			 * separator or line break: copied as it is. */
			while (i < n && p[i] != sep && p[i] != '\n')
				out[o++] = p[i++];
		} else {
			for (end = i; end < n && p[end] != sep && !at_break(p, n, end); end++)
				;
			if (end > i && formula_start(p[i]) && !plain_number(p + i, end - i)) {
				out[o++] = '\'';
				(*cells)++;
			}
			for (; i < n && p[i] != sep && p[i] != '\n'; i++)
				out[o++] = p[i];
		}
		if (i >= n)
			break;
		out[o++] = p[i++];	/* the separator or the LF */
	}
	return o;
}

static size_t
count_byte(const uint8_t *p, size_t n, uint8_t c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i] == c;
	return k;
}

int
textclean_run(const uint8_t *in, size_t len, enum textclean_encoding enc, iconv_t cd,
    uint8_t **out, size_t *out_len, struct textclean_report *rep)
{
	uint8_t *dec = NULL, *mid = NULL, *res;
	const uint8_t *text = in;
	size_t n = len, m, room;
	iconv_t own = (iconv_t)-1;
	int rc;

	memset(rep, 0, sizeof(*rep));
	*out = NULL;
	*out_len = 0;
	if (len > TEXTCLEAN_MAX)
		return TEXTCLEAN_ELIMITS;
	if (enc == TEXTCLEAN_CP932) {
		if (cd == (iconv_t)-1 && (cd = own = iconv_open("UTF-8", "CP932")) == (iconv_t)-1)
			return TEXTCLEAN_EICONV;
		rc = decode_cp932(cd, in, len, &dec, &n);
		if (own != (iconv_t)-1)
			iconv_close(own);
		if (rc != TEXTCLEAN_OK) {
			free(dec);
			return rc;
		}
		text = dec;
	} else if (!textclean_utf8_valid(in, len)) {
		return TEXTCLEAN_EENCODING;
	}
	if ((mid = malloc(n + 1)) == NULL) {
		free(dec);
		return TEXTCLEAN_ENOMEM;
	}
	m = filter(text, n, mid, rep);
	free(dec);
	if (is_csv(mid, m, ','))
		rep->separator = ',';
	else if (is_csv(mid, m, '\t'))
		rep->separator = '\t';
	if (rep->separator == 0) {
		rep->kind = TEXTCLEAN_TXT;
		res = mid;
	} else {
		rep->kind = TEXTCLEAN_CSV;
		/* At most one "'" per cell: a cell ends at a separator, a line or the end. */
		room = m + count_byte(mid, m, (uint8_t)rep->separator) + count_byte(mid, m, '\n') + 1;
		if ((res = malloc(room)) == NULL) {
			free(mid);
			return TEXTCLEAN_ENOMEM;
		}
		m = neutralise(mid, m, (uint8_t)rep->separator, res, &rep->csv_cells);
		free(mid);
	}
	if (m > TEXTCLEAN_MAX) {
		free(res);
		return TEXTCLEAN_ELIMITS;
	}
	if (m == 0) {
		free(res);
		res = NULL;
	}
	*out = res;
	*out_len = m;
	return TEXTCLEAN_OK;
}

int
textclean_check(const uint8_t *p, size_t len, struct textclean_report *rep)
{
	uint8_t *again = NULL;
	size_t n = 0;
	int rc;

	if ((rc = textclean_run(p, len, TEXTCLEAN_UTF8, (iconv_t)-1, &again, &n, rep)) != TEXTCLEAN_OK)
		return rc;
	if (n != len || (len > 0 && memcmp(again, p, len) != 0))
		rc = TEXTCLEAN_EUNCLEAN;
	free(again);
	return rc;
}
