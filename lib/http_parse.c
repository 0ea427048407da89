/*
 * http_parse.c — pure parsers for the hostile parts of a request that http.c
 * interprets itself (see http_parse.h).
 *
 * Each function reads its input once, front to back, and writes at most the number of
 * bytes it is given: no allocation, no recursion, no state between calls. Every
 * decision is an allow-list (these bytes, this shape) so that an input nobody thought
 * of is refused rather than passed on.
 */
#include "http_parse.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The extent of the segment starting at s: up to the next '/' or the end. */
static size_t
seg_len(const char *s)
{
	const char *e = strchr(s, '/');

	return e ? (size_t)(e - s) : strlen(s);
}

int
http_parse_match(const char *pattern, const char *path, struct http_parse_param *params,
		 size_t maxparams, size_t *nparams)
{
	const char *p, *q;
	size_t n = 0;

	*nparams = 0;
	if (pattern[0] != '/' || path[0] != '/')
		return 0;
	for (q = path; *q != '\0'; q++)
		if (is_ctl((unsigned char)*q))
			return 0;
	if (strcmp(pattern, "/") == 0 || strcmp(path, "/") == 0)
		return strcmp(pattern, path) == 0;

	p = pattern + 1;
	q = path + 1;
	for (;;) {
		size_t pl = seg_len(p), ql = seg_len(q);

		/* Empty, "." and ".." segments are how paths escape a prefix or alias
		 * each other; no route is written with them, so no request gets one. */
		if (ql == 0 || (ql == 1 && q[0] == '.') ||
		    (ql == 2 && q[0] == '.' && q[1] == '.'))
			return 0;
		if (pl >= 3 && p[0] == '{' && p[pl - 1] == '}') {
			if (n >= maxparams)
				return 0;
			params[n].name_off = (size_t)(p + 1 - pattern);
			params[n].name_len = pl - 2;
			params[n].value_off = (size_t)(q - path);
			params[n].value_len = ql;
			n++;
		} else if (pl != ql || memcmp(p, q, pl) != 0) {
			return 0;
		}
		p += pl;
		q += ql;
		if (*p == '\0' && *q == '\0')
			break;
		if (*p != '/' || *q != '/')
			return 0;
		p++;
		q++;
	}
	*nparams = n;
	return 1;
}

bool
http_parse_request_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= HTTP_PARSE_RID_MAX)
			return false;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z') || c == '-'))
			return false;
	}
	return i >= HTTP_PARSE_RID_MIN;
}

/*
 * Decode one UTF-8 character at s (strictly: no overlong forms, no surrogates, nothing
 * above U+10FFFF). Returns its length and sets *cp, or 0 for an invalid sequence.
 */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that must not reach a screen from a file name: controls, and the
 * invisible direction marks that make "txt.exe" display as "exe.txt". */
static bool
filename_drops(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* The next kept character of a file name at *sp: returns its length and sets *chp to
 * its first byte, skipping dropped bytes; 0 at the end. */
static size_t
filename_next(const unsigned char **sp, const unsigned char **chp)
{
	const unsigned char *s = *sp;

	while (*s != '\0') {
		uint32_t cp;
		size_t len = utf8_decode(s, &cp);

		if (len == 0) {
			s++;
			continue;
		}
		if (filename_drops(cp)) {
			s += len;
			continue;
		}
		*chp = s;
		*sp = s + len;
		return len;
	}
	*sp = s;
	return 0;
}

size_t
http_parse_filename(const char *in, char *out, size_t outlen)
{
	const unsigned char *start = (const unsigned char *)in, *s, *ch;
	size_t total = 0, ext_off = 0, cap, len, o = 0, stem_cap, pos;
	bool have_ext = false;
	const char *p;

	if (outlen == 0)
		return 0;
	for (p = in; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			start = (const unsigned char *)p + 1;

	/* Leading dots and spaces make hidden files and "..": never wanted. */
	s = start;
	for (;;) {
		const unsigned char *save = s;

		len = filename_next(&s, &ch);
		if (len == 0 || !(len == 1 && (*ch == '.' || *ch == ' '))) {
			s = save;
			break;
		}
	}
	start = s;

	/* Pass 1: the cleaned length and where the last extension starts. */
	while ((len = filename_next(&s, &ch)) != 0) {
		if (len == 1 && *ch == '.') {
			ext_off = total;
			have_ext = true;
		}
		total += len;
	}

	cap = outlen - 1;
	stem_cap = cap;
	if (total > cap && have_ext && total - ext_off <= HTTP_PARSE_EXT_KEEP &&
	    total - ext_off < cap)
		stem_cap = cap - (total - ext_off);
	else
		have_ext = false;

	/* Pass 2: the stem up to its budget on a character boundary, then the kept
	 * extension if the name was cut. */
	s = start;
	pos = 0;
	while ((len = filename_next(&s, &ch)) != 0) {
		bool in_ext = have_ext && pos >= ext_off;

		pos += len;
		if (!in_ext && o + len > stem_cap) {
			if (!have_ext)
				break;
			continue;
		}
		if (o + len > cap)
			break;
		memcpy(out + o, ch, len);
		o += len;
	}
	out[o] = '\0';
	return o;
}

int
http_parse_xff_last(const char *xff, char *out, size_t outlen)
{
	const char *b = strrchr(xff, ','), *e;
	char tmp[HTTP_PARSE_ADDR_MAX + 1];
	unsigned char addr[16];
	size_t len;
	int af;

	b = b ? b + 1 : xff;
	while (*b == ' ' || *b == '\t')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	len = (size_t)(e - b);
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, b, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, tmp, addr) == 1)
		af = AF_INET6;
	else
		return -1;
	if (outlen > (size_t)UINT32_MAX ||
	    inet_ntop(af, addr, out, (socklen_t)outlen) == NULL)
		return -1;
	return 0;
}

int
http_parse_content_length(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static bool
is_media_type(const char *ct, const char *type, size_t typelen)
{
	char c;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, type, typelen) != 0)
		return false;
	c = ct[typelen];
	return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

bool
http_parse_is_multipart(const char *ct)
{
	static const char mp[] = "multipart/form-data";

	return is_media_type(ct, mp, sizeof(mp) - 1);
}

bool
http_parse_is_json(const char *ct)
{
	static const char json[] = "application/json";

	return is_media_type(ct, json, sizeof(json) - 1);
}

static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool
http_parse_header_ok(const char *name, const char *value)
{
	const unsigned char *s;

	if (*name == '\0')
		return false;
	for (s = (const unsigned char *)name; *s != '\0'; s++)
		if (!is_tchar(*s))
			return false;
	for (s = (const unsigned char *)value; *s != '\0'; s++)
		if (is_ctl(*s) && *s != '\t')
			return false;
	return true;
}
