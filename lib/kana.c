/*
 * kana.c — katakana checking and conversion, and full-width folding.
 *
 * The input is hostile (a browser's form field), so UTF-8 is decoded strictly here
 * rather than trusted: overlong forms, surrogates and truncated sequences are refused,
 * because a lenient decoder is how a character that was checked becomes a different
 * character later. Conversion only ever maps one checked input character (or a base
 * and its voicing mark) to one output character from a fixed table.
 */
#include "kana.h"

#include <string.h>

/* U+FF61..U+FF9F, the half-width katakana block, to full-width. 0 = not accepted in
 * a kana field (the half-width 。「」、 punctuation). */
static const uint16_t halfwidth_to_full[] = {
	0, 0, 0, 0, 0x30FB,					/* ｡｢｣､･ */
	0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,		/* ｦｧｨｩｪｫ */
	0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,			/* ｬｭｮｯｰ */
	0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA,			/* ｱｲｳｴｵ */
	0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3,			/* ｶｷｸｹｺ */
	0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD,			/* ｻｼｽｾｿ */
	0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,			/* ﾀﾁﾂﾃﾄ */
	0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE,			/* ﾅﾆﾇﾈﾉ */
	0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB,			/* ﾊﾋﾌﾍﾎ */
	0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2,			/* ﾏﾐﾑﾒﾓ */
	0x30E4, 0x30E6, 0x30E8,					/* ﾔﾕﾖ */
	0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED,			/* ﾗﾘﾙﾚﾛ */
	0x30EF, 0x30F3,						/* ﾜﾝ */
	0, 0,							/* ﾞﾟ: marks, handled apart */
};

size_t
kana_utf8_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i;
	uint32_t c, min;

	if (n == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	} else if ((u[0] & 0xE0) == 0xC0) {
		len = 2, c = u[0] & 0x1F, min = 0x80;
	} else if ((u[0] & 0xF0) == 0xE0) {
		len = 3, c = u[0] & 0x0F, min = 0x800;
	} else if ((u[0] & 0xF8) == 0xF0) {
		len = 4, c = u[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

size_t
kana_utf8_put(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The voiced (dakuten) form of full-width katakana c, or 0 if it has none. */
static uint32_t
voiced(uint32_t c)
{
	switch (c) {
	case 0x30A6: return 0x30F4;	/* ウ -> ヴ */
	case 0x30EF: return 0x30F7;	/* ワ -> ヷ */
	case 0x30F0: return 0x30F8;
	case 0x30F1: return 0x30F9;
	case 0x30F2: return 0x30FA;	/* ヲ -> ヺ */
	case 0x30FD: return 0x30FE;	/* ヽ -> ヾ */
	}
	/* カ..ヂ: the plain forms sit on odd code points, voiced right after. */
	if (c >= 0x30AB && c <= 0x30C1 && (c & 1))
		return c + 1;
	/* ツテト: the small ッ at 30C3 shifts the parity. */
	if (c == 0x30C4 || c == 0x30C6 || c == 0x30C8)
		return c + 1;
	/* ハヒフヘホ: plain, voiced, semi-voiced in threes. */
	if (c >= 0x30CF && c <= 0x30DB && (c - 0x30CF) % 3 == 0)
		return c + 1;
	return 0;
}

/* The semi-voiced (handakuten) form: only ハ行 has one. */
static uint32_t
semivoiced(uint32_t c)
{
	if (c >= 0x30CF && c <= 0x30DB && (c - 0x30CF) % 3 == 0)
		return c + 2;
	return 0;
}

static bool
is_dakuten(uint32_t c)
{
	return c == 0xFF9E || c == 0x3099 || c == 0x309B;
}

static bool
is_handakuten(uint32_t c)
{
	return c == 0xFF9F || c == 0x309A || c == 0x309C;
}

static bool
is_katakana(uint32_t c)
{
	return (c >= 0x30A1 && c <= 0x30FA) || c == 0x30FB || c == 0x30FC ||
	       c == 0x30FD || c == 0x30FE || c == 0x3000;
}

int
kana_normalize(const char *in, size_t len, char *out, size_t outlen, size_t *nchars)
{
	size_t i = 0, o = 0, n = 0, k;
	uint32_t c, mark, composed;

	while (i < len) {
		if ((k = kana_utf8_next(in + i, len - i, &c)) == 0)
			return KANA_EUTF8;
		i += k;
		if (c == 0x20)
			c = 0x3000;
		else if (c >= 0xFF61 && c <= 0xFF9F) {
			if ((c = halfwidth_to_full[c - 0xFF61]) == 0)
				return KANA_EINVALID;	/* includes a lone ﾞ or ﾟ */
		} else if ((c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E)
			return KANA_EHIRAGANA;
		else if (!is_katakana(c))
			return KANA_EINVALID;
		/* A voicing mark after the base, as half-width input and NFD text have it. */
		if (i < len && (k = kana_utf8_next(in + i, len - i, &mark)) != 0 &&
		    (is_dakuten(mark) || is_handakuten(mark))) {
			composed = is_dakuten(mark) ? voiced(c) : semivoiced(c);
			if (composed == 0)
				return KANA_EINVALID;
			c = composed;
			i += k;
		}
		if (outlen - o < 4)
			return KANA_ETOOLONG;
		o += kana_utf8_put(c, out + o);
		n++;
	}
	if (o >= outlen)
		return KANA_ETOOLONG;
	out[o] = '\0';
	if (nchars)
		*nchars = n;
	return KANA_OK;
}

static bool
is_dash(uint32_t c)
{
	return c == 0x2010 || c == 0x2011 || c == 0x2012 || c == 0x2013 || c == 0x2014 ||
	       c == 0x2015 || c == 0x2212 || c == 0x30FC || c == 0xFF70 || c == 0x2500;
}

int
kana_fold_ascii(const char *in, size_t len, bool dashes, char *out, size_t outlen)
{
	size_t i = 0, o = 0, k;
	uint32_t c;

	while (i < len) {
		if ((k = kana_utf8_next(in + i, len - i, &c)) == 0)
			return KANA_EUTF8;
		if (c >= 0xFF01 && c <= 0xFF5E)
			c -= 0xFF01 - 0x21;
		else if (c == 0x3000)
			c = 0x20;
		else if (dashes && is_dash(c))
			c = '-';
		if (outlen - o < 5)
			return KANA_ETOOLONG;
		o += kana_utf8_put(c, out + o);
		i += k;
	}
	out[o] = '\0';
	return KANA_OK;
}
