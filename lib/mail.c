/*
 * mail.c — email to citizens: one plain-text message, composed in memory.
 *
 * Invariant: mail_compose emits only 7-bit ASCII with CRLF line ends, every header is
 * one we wrote, and nothing from the caller reaches a header unencoded except the
 * recipient and sender addresses, which are first checked to be a single plain
 * addr-spec (no CR, LF, comma, space, angle bracket, quote or parenthesis can pass).
 * Header injection ("a@b\r\nBcc: x") therefore has nowhere to go. Text fields are
 * checked to be UTF-8 without control bytes, then carried as RFC 2047 encoded words
 * (subject, display name) or base64 (body), each bounded before any allocation.
 *
 * Header lines are folded to at most 78 characters (RFC 5322 2.1.1), except a From
 * or To line holding a long address, which cannot be folded and stays under 998.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"

#define MAIL_LINE_MAX	78	/* RFC 5322 2.1.1 SHOULD */
#define MAIL_EW_MAX	75	/* RFC 2047 2: an encoded word is at most 75 chars */
#define MAIL_EW_PREFIX	"=?UTF-8?B?"
#define MAIL_EW_OVERHEAD (sizeof(MAIL_EW_PREFIX) - 1 + 2)	/* prefix and "?=" */
#define MAIL_EW_MIN_B64	8	/* room for any UTF-8 character (4 bytes) */
#define MAIL_B64_LINE	76	/* RFC 2045 6.8: base64 lines at most 76 chars */
#define MAIL_TOKEN_MAX	64

const char *
mail_strerror(int rc)
{
	switch (rc) {
	case MAIL_OK:		return "success";
	case MAIL_EADDR:	return "not a plain email address";
	case MAIL_ETEXT:	return "text has a control character or invalid UTF-8";
	case MAIL_ETOOBIG:	return "over the size limit";
	case MAIL_ETEMPLATE:	return "template error";
	case MAIL_ENOMEM:	return "out of memory";
	case MAIL_EDB:		return "database error";
	case MAIL_ECONFIG:	return "mail configuration error";
	default:		return "unknown mail error";
	}
}

/* --- a growing buffer that remembers running out of memory ------------------ */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
buf_put(struct buf *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 1024;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* --- checks ----------------------------------------------------------------- */

/* RFC 5322 atext: what a dot-atom may hold besides dots. */
static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int
mail_domain_valid(const char *s)
{
	size_t i, label = 0, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (label == 0 && c == '-')
				return 0;
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

int
mail_address_valid(const char *addr)
{
	const char *at, *domain, *tld, *p;
	size_t n, local;

	if (addr == NULL || (n = strnlen(addr, MAIL_ADDR_MAX + 1)) > MAIL_ADDR_MAX)
		return 0;
	if ((at = strchr(addr, '@')) == NULL)
		return 0;
	local = (size_t)(at - addr);
	if (local == 0 || local > MAIL_LOCAL_MAX || addr[0] == '.')
		return 0;
	/*
	 * Dots may repeat or end the local part: old docomo and au addresses
	 * ("taro..yamada.@docomo.ne.jp") break RFC 5322 that way, are still in use, and
	 * relays accept them. Neither can smuggle a header or a recipient.
	 */
	for (p = addr; p < at; p++)
		if (!is_atext((unsigned char)*p) && *p != '.')
			return 0;
	domain = at + 1;
	if (!mail_domain_valid(domain))
		return 0;
	/* A host name, not a bare label or an IPv4 address in disguise. */
	if ((tld = strrchr(domain, '.')) == NULL)
		return 0;
	for (p = tld + 1; *p != '\0'; p++)
		if (!(*p >= '0' && *p <= '9'))
			return 1;
	return 0;
}

/* Length of the UTF-8 sequence at s (at most avail bytes), or 0 if it is invalid:
 * truncated, overlong, a surrogate or beyond U+10FFFF. */
static size_t
utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
mail_text_valid(const char *s, size_t max, int multiline)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i, k;
	uint32_t cp;

	if (s == NULL || (n = strnlen(s, max + 1)) > max)
		return 0;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq(u + i, n - i, &cp)) == 0)
			return 0;
		if (cp == '\n' || cp == '\t') {
			if (!multiline)
				return 0;
		} else if (cp == '\r') {
			/* Only as half of a CRLF: a bare CR is a line end to some readers. */
			if (!multiline || u[i + 1] != '\n')
				return 0;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			return 0;
		}
	}
	return 1;
}

/* Which check failed, for a text field that must be valid: size or content. */
static int
text_rc(const char *s, size_t max, int multiline)
{
	if (s == NULL)
		return MAIL_ETEXT;
	if (strnlen(s, max + 1) > max)
		return MAIL_ETOOBIG;
	return mail_text_valid(s, max, multiline) ? MAIL_OK : MAIL_ETEXT;
}

int
mail_message_check(const struct mail_message *m)
{
	int rc;

	if (!mail_address_valid(m->to))
		return MAIL_EADDR;
	if ((rc = text_rc(m->subject, MAIL_SUBJECT_MAX, 0)) != MAIL_OK)
		return rc;
	return text_rc(m->body, MAIL_BODY_MAX, 1);
}

int
mail_message_id(const char *token, const char *domain, char *out, size_t outlen)
{
	size_t n = token ? strnlen(token, MAIL_TOKEN_MAX + 1) : 0;

	if (n == 0 || n > MAIL_TOKEN_MAX || strspn(token, "0123456789abcdef") != n ||
	    !mail_domain_valid(domain))
		return MAIL_EADDR;
	if ((size_t)snprintf(out, outlen, "<%s@%s>", token, domain) >= outlen)
		return MAIL_ETOOBIG;
	return MAIL_OK;
}

/* A Message-ID as mail_message_id makes them: "<", printable ASCII without spaces or
 * brackets, one "@", ">". */
static bool
message_id_valid(const char *s)
{
	size_t n, i, ats = 0;

	if (s == NULL || (n = strnlen(s, MAIL_MSGID_MAX)) >= MAIL_MSGID_MAX || n < 5 ||
	    s[0] != '<' || s[n - 1] != '>')
		return false;
	for (i = 1; i < n - 1; i++) {
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '<' || s[i] == '>')
			return false;
		ats += s[i] == '@';
	}
	return ats == 1;
}

int
mail_format_date(time_t t, char *out, size_t outlen)
{
	/* Not strftime: %a and %b follow the locale, RFC 5322 wants English. */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;
	int n;

	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return MAIL_ETOOBIG;
	off = tm.tm_gmtoff / 60;
	n = snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
		     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		     labs(off) / 60, labs(off) % 60);
	return n < 0 || (size_t)n >= outlen ? MAIL_ETOOBIG : MAIL_OK;
}

/* --- encoding ----------------------------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of n bytes (no line breaks). */
static void
put_b64(struct buf *b, const unsigned char *s, size_t n)
{
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		q[0] = b64[s[i] >> 2];
		q[1] = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		q[3] = b64[s[i + 2] & 63];
		buf_put(b, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64[s[i] >> 2];
		q[1] = b64[(s[i] & 3) << 4];
		q[2] = q[3] = '=';
		buf_put(b, q, 4);
	} else if (n - i == 2) {
		q[0] = b64[s[i] >> 2];
		q[1] = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64[(s[i + 1] & 15) << 2];
		q[3] = '=';
		buf_put(b, q, 4);
	}
}

/* A header being written: *col is the column the line has reached. */
struct hdr {
	struct buf *b;
	size_t col;
};

static void
hdr_start(struct hdr *h, const char *name)
{
	buf_str(h->b, name);
	buf_put(h->b, ":", 1);
	h->col = strlen(name) + 1;
}

/* Append " word", first folding the line if the word would pass MAIL_LINE_MAX
 * (a word longer than a whole line goes alone on its line). */
static void
hdr_word(struct hdr *h, const char *w, size_t n)
{
	if (h->col + 1 + n > MAIL_LINE_MAX && h->col > 1) {
		buf_put(h->b, "\r\n", 2);
		h->col = 0;
	}
	buf_put(h->b, " ", 1);
	buf_put(h->b, w, n);
	h->col += 1 + n;
}

static void
hdr_end(struct hdr *h)
{
	buf_put(h->b, "\r\n", 2);
}

/*
 * s as RFC 2047 B encoded words, each as long as the line allows and never splitting
 * a UTF-8 character between two words (RFC 2047 5: each word must decode on its own).
 * Readers drop the folding white space between adjacent encoded words.
 */
static void
hdr_encoded(struct hdr *h, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t left = strlen(s), room, take, before;

	while (left > 0) {
		if (h->col + 1 + MAIL_EW_OVERHEAD + MAIL_EW_MIN_B64 > MAIL_LINE_MAX) {
			buf_put(h->b, "\r\n", 2);
			h->col = 0;
		}
		room = MAIL_LINE_MAX - h->col - 1;
		if (room > MAIL_EW_MAX)
			room = MAIL_EW_MAX;
		take = (room - MAIL_EW_OVERHEAD) / 4 * 3;
		if (take >= left)
			take = left;
		else
			while (take > 0 && (u[take] & 0xc0) == 0x80)
				take--;
		before = h->b->len;
		buf_str(h->b, " " MAIL_EW_PREFIX);
		put_b64(h->b, u, take);
		buf_put(h->b, "?=", 2);
		h->col += h->b->len - before;
		u += take;
		left -= take;
	}
}

/* Printable ASCII that no reader could take for an encoded word. */
static bool
plain_ascii(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return strstr(s, "=?") == NULL;
}

/* The body in canonical form (CRLF line ends), base64 in lines of 76. */
static int
put_body(struct buf *b, const char *body)
{
	struct buf crlf = { 0 };
	size_t i, n;
	int rc = MAIL_OK;

	for (i = 0; body[i] != '\0'; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			buf_put(&crlf, "\r", 1);
		buf_put(&crlf, body + i, 1);
	}
	if (crlf.oom)
		rc = MAIL_ENOMEM;
	for (i = 0; rc == MAIL_OK && i < crlf.len; i += n) {
		n = crlf.len - i < MAIL_B64_LINE / 4 * 3 ? crlf.len - i : MAIL_B64_LINE / 4 * 3;
		put_b64(b, (const unsigned char *)crlf.p + i, n);
		buf_put(b, "\r\n", 2);
	}
	free(crlf.p);
	return rc;
}

int
mail_compose(const struct mail_message *m, const struct mail_origin *o, char **out,
	     size_t *outlen)
{
	struct buf b = { 0 };
	struct hdr h = { &b, 0 };
	char date[64];
	int rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = mail_message_check(m)) != MAIL_OK)
		return rc;
	if (!mail_address_valid(o->from_addr) || !message_id_valid(o->message_id))
		return MAIL_EADDR;
	if (o->from_name != NULL && (rc = text_rc(o->from_name, MAIL_NAME_MAX, 0)) != MAIL_OK)
		return rc;
	if ((rc = mail_format_date(o->date, date, sizeof date)) != MAIL_OK)
		return rc;

	buf_str(&b, "Date: ");
	buf_str(&b, date);
	buf_str(&b, "\r\n");

	hdr_start(&h, "From");
	if (o->from_name != NULL && o->from_name[0] != '\0')
		hdr_encoded(&h, o->from_name);
	{
		char angle[MAIL_ADDR_MAX + 3];
		int n = snprintf(angle, sizeof angle, "<%s>", o->from_addr);

		hdr_word(&h, angle, (size_t)n);
	}
	hdr_end(&h);

	buf_str(&b, "To: ");
	buf_str(&b, m->to);
	buf_str(&b, "\r\n");

	hdr_start(&h, "Subject");
	if (plain_ascii(m->subject) && strlen("Subject: ") + strlen(m->subject) <= MAIL_LINE_MAX) {
		buf_put(&b, " ", 1);
		buf_str(&b, m->subject);
	} else {
		hdr_encoded(&h, m->subject);
	}
	hdr_end(&h);

	buf_str(&b, "Message-ID: ");
	buf_str(&b, o->message_id);
	buf_str(&b, "\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		/* RFC 3834: no vacation replies to a machine's letter. */
		"Auto-Submitted: auto-generated\r\n"
		"\r\n");
	if ((rc = put_body(&b, m->body)) != MAIL_OK || b.oom) {
		free(b.p);
		return rc != MAIL_OK ? rc : MAIL_ENOMEM;
	}
	*out = b.p;
	*outlen = b.len;
	return MAIL_OK;
}

/* --- templates ---------------------------------------------------------------- */

int
mail_render(const char *tmpl, const json_t *vars, char **out)
{
	struct buf b = { 0 };
	const char *p = tmpl, *open, *close, *s, *e;
	char name[MAIL_VAR_NAME_MAX + 1], num[32];
	const json_t *v;
	int rc = MAIL_OK;

	*out = NULL;
	if (tmpl == NULL || !json_is_object(vars))
		return MAIL_ETEMPLATE;
	while (rc == MAIL_OK && (open = strstr(p, "{{")) != NULL) {
		buf_put(&b, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "}}")) == NULL) {
			rc = MAIL_ETEMPLATE;
			break;
		}
		for (s = open + 2; s < close && *s == ' '; s++)
			;
		for (e = close; e > s && e[-1] == ' '; e--)
			;
		if (e == s || (size_t)(e - s) > MAIL_VAR_NAME_MAX) {
			rc = MAIL_ETEMPLATE;
			break;
		}
		memcpy(name, s, (size_t)(e - s));
		name[e - s] = '\0';
		if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_") != (size_t)(e - s)) {
			rc = MAIL_ETEMPLATE;
			break;
		}
		v = json_object_get(vars, name);
		if (json_is_string(v) &&
		    strlen(json_string_value(v)) == json_string_length(v)) {
			buf_put(&b, json_string_value(v), json_string_length(v));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			buf_str(&b, num);
		} else {
			rc = MAIL_ETEMPLATE;	/* missing, or a value with no one text form */
		}
		p = close + 2;
		if (b.len > MAIL_BODY_MAX)
			rc = MAIL_ETOOBIG;
	}
	if (rc == MAIL_OK)
		buf_str(&b, p);
	if (rc == MAIL_OK && b.len > MAIL_BODY_MAX)
		rc = MAIL_ETOOBIG;
	if (rc == MAIL_OK && b.oom)
		rc = MAIL_ENOMEM;
	if (rc != MAIL_OK) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	return MAIL_OK;
}
