/*
 * form_validate.c — the authority on a citizen's answers.
 *
 * Only what this file returns as normalised answers may cross to LGWAN, so it is
 * built, never copied: each value is re-made from a checked reading of the answer
 * (a string re-encoded code point by code point, a number from its parsed value),
 * and a key the schema does not know is an error, not something passed through.
 *
 * A level of a form is checked in three passes, because a condition may point
 * forward or outward: (A) read every non-group field to a normalised value or an
 * error, (B) decide which fields are shown from those values (a field whose target
 * is hidden is hidden too), (C) in field order, keep what is shown, report its
 * errors, and descend into the items of shown groups, whose own conditions may look
 * at this level's values. Errors of hidden fields are dropped with their values.
 * The work is bounded by the schema's limits and FORM_ANSWER_ITEMS_MAX.
 */
#include "form_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kana.h"
#include "wareki.h"

#define MSG_MAX		8192	/* a message holds up to three labels and two dates */
#define DLABEL_MAX	4096	/* "お子さま（2件目）の生年月日", three levels deep */
#define NUMBER_STR_MAX	40	/* "１２３４５．６７" and the like, before folding */
#define NUMBER_ABS_MAX	1e15	/* exact in a double, and as an integer */
#define EMAIL_MAX	254
#define EMAIL_LOCAL_MAX	64

struct vstate {
	const struct form_schema *s;
	const struct form_context *ctx;
	json_t *errors;
	size_t nerrors;
	size_t items;			/* group items read so far, all groups */
	bool failed;			/* an internal failure: memory, or no today */
};

/* One level of answers being checked: its fields' values and visibility, and the
 * enclosing level's, for conditions that look outward. */
struct scope {
	const struct fs_level *lv;
	json_t **values;		/* normalised value per field, or NULL */
	signed char *vis;		/* -1 undecided, 0 hidden, 1 shown */
	const struct scope *outer;
};

enum { V_OK = 0, V_ERR = 1, V_FAIL = -1 };

static int msgf(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
msgf(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return V_ERR;
}

static void
add_error(struct vstate *st, const char *path, const char *msg)
{
	json_t *m;

	if (json_object_get(st->errors, path) != NULL)
		return;
	if (st->nerrors++ >= FORM_ERRORS_MAX)
		return;
	if ((m = json_string(msg)) == NULL || json_object_set_new(st->errors, path, m) != 0)
		st->failed = true;
}

static bool
is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000;
}

/* Trim spaces (ASCII and U+3000) from both ends of a valid or invalid UTF-8 string;
 * invalid bytes are left for the caller's decoder to refuse. */
static void
trim(const char **s, size_t *len)
{
	uint32_t c;
	size_t k;

	while (*len > 0 && (k = kana_utf8_next(*s, *len, &c)) != 0 && is_space(c))
		*s += k, *len -= k;
	while (*len > 0) {
		size_t back = 1;

		while (back < *len && back < 4 && ((unsigned char)(*s)[*len - back] & 0xC0) == 0x80)
			back++;
		if (kana_utf8_next(*s + *len - back, back, &c) != back || !is_space(c))
			break;
		*len -= back;
	}
}

/* Characters that have no place in a form answer: controls (C0 but the newline and
 * tab a textarea may hold (CR is made LF), DEL, C1), bidirectional overrides that make text read
 * differently from how it is stored, line separators, BOM and noncharacters. */
static bool
forbidden(uint32_t c, bool multiline)
{
	if (c < 0x20)
		return !(multiline && (c == '\n' || c == '\r' || c == '\t'));
	return (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 || c == 0xFEFF ||
	       (c & 0xFFFE) == 0xFFFE || (c >= 0xFDD0 && c <= 0xFDEF);
}

static int
check_text(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	   char *msg, size_t ml)
{
	bool multi = f->type == FT_TEXTAREA;
	const char *s;
	size_t len, i = 0, o = 0, n = 0, k;
	uint32_t c;
	char *buf;

	if (!json_is_string(raw))
		return msgf(msg, ml, "%sの入力内容が正しくありません。", dl);
	s = json_string_value(raw);
	len = json_string_length(raw);
	trim(&s, &len);
	/* No code point is shorter than a byte: past 4 bytes a character, it is too long
	 * whatever it holds, and is refused before anything is copied. */
	if (len > (size_t)f->max_length * 4)
		return msgf(msg, ml, "%sは%lld文字以内で入力してください。", dl, f->max_length);
	if ((buf = malloc(len + 1)) == NULL)
		return V_FAIL;
	while (i < len) {
		if ((k = kana_utf8_next(s + i, len - i, &c)) == 0 || forbidden(c, multi)) {
			free(buf);
			return msgf(msg, ml, "%sに使用できない文字が含まれています。", dl);
		}
		i += k;
		if (c == '\r' && multi) {	/* CR LF and a lone CR are both one newline */
			if (i < len && s[i] == '\n')
				continue;
			c = '\n';
		} else if (c == '\r') {
			free(buf);
			return msgf(msg, ml, "%sに使用できない文字が含まれています。", dl);
		}
		o += kana_utf8_put(c, buf + o);
		n++;
	}
	if (n == 0) {
		free(buf);
		*val = NULL;
		return V_OK;
	}
	if ((long long)n > f->max_length || (long long)n < f->min_length) {
		free(buf);
		if ((long long)n > f->max_length)
			return msgf(msg, ml, "%sは%lld文字以内で入力してください。", dl,
				    f->max_length);
		return msgf(msg, ml, "%sは%lld文字以上で入力してください。", dl, f->min_length);
	}
	*val = json_stringn(buf, o);
	free(buf);
	return *val ? V_OK : V_FAIL;
}

static int
check_kana(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	   char *msg, size_t ml)
{
	const char *s;
	size_t len, n;
	char *buf;
	int rc;

	if (!json_is_string(raw))
		return msgf(msg, ml, "%sの入力内容が正しくありません。", dl);
	s = json_string_value(raw);
	len = json_string_length(raw);
	trim(&s, &len);
	if (len == 0) {
		*val = NULL;
		return V_OK;
	}
	if (len > (size_t)f->max_length * 4)
		return msgf(msg, ml, "%sは%lld文字以内で入力してください。", dl, f->max_length);
	if ((buf = malloc(KANA_OUT_MAX(len))) == NULL)
		return V_FAIL;
	rc = kana_normalize(s, len, buf, KANA_OUT_MAX(len), &n);
	if (rc != KANA_OK) {
		free(buf);
		if (rc == KANA_ETOOLONG)
			return V_FAIL;
		return msgf(msg, ml, "%sは全角カタカナで入力してください。", dl);
	}
	if ((long long)n > f->max_length || (long long)n < f->min_length) {
		free(buf);
		if ((long long)n > f->max_length)
			return msgf(msg, ml, "%sは%lld文字以内で入力してください。", dl,
				    f->max_length);
		return msgf(msg, ml, "%sは%lld文字以上で入力してください。", dl, f->min_length);
	}
	*val = json_string(buf);
	free(buf);
	return *val ? V_OK : V_FAIL;
}

/* A string answer folded to ASCII (全角 digits, hyphens) and trimmed, into buf.
 * 0, 1 if it is empty, -1 if it is not a string, is longer than max or not UTF-8. */
static int
folded(const json_t *raw, bool dashes, size_t max, char *buf, size_t buflen)
{
	const char *s;
	size_t len;

	if (!json_is_string(raw))
		return -1;
	s = json_string_value(raw);
	len = json_string_length(raw);
	trim(&s, &len);
	if (len == 0)
		return 1;
	if (len > max || kana_fold_ascii(s, len, dashes, buf, buflen) != KANA_OK)
		return -1;
	return 0;
}

static int
check_number(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	     char *msg, size_t ml)
{
	char buf[NUMBER_STR_MAX + 8];
	double v;
	size_t i = 0;
	int rc;

	if (json_is_integer(raw))
		v = (double)json_integer_value(raw);
	else if (json_is_real(raw))
		v = json_real_value(raw);
	else if ((rc = folded(raw, true, NUMBER_STR_MAX, buf, sizeof buf)) == 1) {
		*val = NULL;
		return V_OK;
	} else if (rc == 0) {
		/* [+-]?digits(.digits)?: no exponents, hex, "inf" or "nan" from strtod. */
		if (buf[i] == '+' || buf[i] == '-')
			i++;
		if (buf[i] < '0' || buf[i] > '9')
			return msgf(msg, ml, "%sは数値で入力してください。", dl);
		while (buf[i] >= '0' && buf[i] <= '9')
			i++;
		if (buf[i] == '.') {
			i++;
			if (buf[i] < '0' || buf[i] > '9')
				return msgf(msg, ml, "%sは数値で入力してください。", dl);
			while (buf[i] >= '0' && buf[i] <= '9')
				i++;
		}
		if (buf[i] != '\0')
			return msgf(msg, ml, "%sは数値で入力してください。", dl);
		v = strtod(buf, NULL);
	} else
		return msgf(msg, ml, "%sは数値で入力してください。", dl);
	if (!isfinite(v) || fabs(v) > NUMBER_ABS_MAX)
		return msgf(msg, ml, "%sは数値で入力してください。", dl);
	if (f->integer && v != floor(v))
		return msgf(msg, ml, "%sは整数で入力してください。", dl);
	if ((f->has_min && v < f->min) || (f->has_max && v > f->max)) {
		if (f->has_min && f->has_max)
			return msgf(msg, ml, "%sは%.15gから%.15gまでの数値で入力してください。", dl,
				    f->min, f->max);
		if (f->has_min)
			return msgf(msg, ml, "%sは%.15g以上の数値で入力してください。", dl, f->min);
		return msgf(msg, ml, "%sは%.15g以下の数値で入力してください。", dl, f->max);
	}
	if (v == 0)
		v = 0;		/* no "-0" in the output */
	*val = v == floor(v) ? json_integer((json_int_t)v) : json_real(v);
	return *val ? V_OK : V_FAIL;
}

/* "令和8年11月22日（2026年11月22日）" */
static void
date_text(int y, int m, int d, char *buf, size_t len)
{
	char w[48];

	if (wareki_format(y, m, d, w, sizeof w) == 0)
		snprintf(buf, len, "%s（%d年%d月%d日）", w, y, m, d);
	else
		snprintf(buf, len, "%d年%d月%d日", y, m, d);
}

static int
bound(struct vstate *st, const struct fs_date_bound *b, long *days, char *text, size_t len)
{
	const struct form_context *c = st->ctx;
	int y, m, d;

	if (b->kind == DB_NONE)
		return 0;
	if (b->kind == DB_TODAY && (c == NULL || !wareki_valid_date(c->today_y, c->today_m,
								     c->today_d)))
		return -1;
	if (form_bound_date(b, c ? c->today_y : 0, c ? c->today_m : 0, c ? c->today_d : 0,
			    &y, &m, &d) != 0)
		return 0;	/* "today+9999y" past year 9999: no bound at all */
	*days = wareki_days(y, m, d);
	date_text(y, m, d, text, len);
	return 1;
}

static int
check_date(struct vstate *st, const struct fs_field *f, const json_t *raw, const char *dl,
	   json_t **val, char *msg, size_t ml)
{
	char buf[32], lo_text[128], hi_text[128], out[16];
	int y, m, d, rc, has_lo, has_hi;
	long t, lo = 0, hi = 0;

	if ((rc = folded(raw, false, 30, buf, sizeof buf)) == 1) {
		*val = NULL;
		return V_OK;
	}
	if (rc != 0 || strlen(buf) != 10 || buf[4] != '-' || buf[7] != '-')
		return msgf(msg, ml, "%sは正しい日付を入力してください。", dl);
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (buf[i] < '0' || buf[i] > '9'))
			return msgf(msg, ml, "%sは正しい日付を入力してください。", dl);
	y = atoi(buf), m = atoi(buf + 5), d = atoi(buf + 8);
	/* Before 明治 there is no 和暦 to show it in, and no applicant born then. */
	if (!wareki_valid_date(y, m, d) || wareki_days(y, m, d) < wareki_days(1868, 1, 25))
		return msgf(msg, ml, "%sは正しい日付を入力してください。", dl);
	t = wareki_days(y, m, d);
	if ((has_lo = bound(st, &f->min_date, &lo, lo_text, sizeof lo_text)) < 0 ||
	    (has_hi = bound(st, &f->max_date, &hi, hi_text, sizeof hi_text)) < 0)
		return V_FAIL;
	if ((has_lo && t < lo) || (has_hi && t > hi)) {
		if (has_lo && has_hi)
			return msgf(msg, ml, "%sは%sから%sまでの日付を入力してください。", dl,
				    lo_text, hi_text);
		if (has_lo)
			return msgf(msg, ml, "%sは%s以降の日付を入力してください。", dl, lo_text);
		return msgf(msg, ml, "%sは%s以前の日付を入力してください。", dl, hi_text);
	}
	snprintf(out, sizeof out, "%04d-%02d-%02d", y, m, d);
	*val = json_string(out);
	return *val ? V_OK : V_FAIL;
}

static bool
email_local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static bool
email_domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

static int
check_email(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	    char *msg, size_t ml)
{
	char buf[EMAIL_MAX * 3 + 8];
	const char *at, *dom;
	size_t i, local;
	int rc;

	(void)f;
	if ((rc = folded(raw, false, EMAIL_MAX * 3, buf, sizeof buf)) == 1) {
		*val = NULL;
		return V_OK;
	}
	if (rc == 0 && strlen(buf) > EMAIL_MAX)
		return msgf(msg, ml, "%sは%d文字以内で入力してください。", dl, EMAIL_MAX);
	if (rc != 0 || (at = strchr(buf, '@')) == NULL || strchr(at + 1, '@') != NULL)
		goto bad;
	local = (size_t)(at - buf);
	dom = at + 1;
	if (local == 0 || local > EMAIL_LOCAL_MAX || buf[0] == '.' || at[-1] == '.' ||
	    strstr(buf, "..") != NULL)
		goto bad;
	for (i = 0; i < local; i++)
		if (!email_local_char(buf[i]))
			goto bad;
	if (dom[0] == '\0' || dom[0] == '.' || dom[0] == '-' || strchr(dom, '.') == NULL ||
	    dom[strlen(dom) - 1] == '.' || dom[strlen(dom) - 1] == '-')
		goto bad;
	for (i = 0; dom[i]; i++)
		if (!email_domain_char(dom[i]))
			goto bad;
	*val = json_string(buf);
	return *val ? V_OK : V_FAIL;
bad:
	return msgf(msg, ml, "%sはメールアドレスの形式（例：taro@example.jp）で入力してください。",
		    dl);
}

static int
check_tel(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	  char *msg, size_t ml)
{
	char buf[64];
	int rc, ndigits = 0;

	(void)f;
	if ((rc = folded(raw, true, 48, buf, sizeof buf)) == 1) {
		*val = NULL;
		return V_OK;
	}
	if (rc != 0 || buf[0] != '0')
		goto bad;
	for (size_t i = 0; buf[i]; i++) {
		if (buf[i] >= '0' && buf[i] <= '9')
			ndigits++;
		else if (buf[i] != '-' || buf[i + 1] == '-' || buf[i + 1] == '\0')
			goto bad;
	}
	if (ndigits < 10 || ndigits > 11)
		goto bad;
	*val = json_string(buf);
	return *val ? V_OK : V_FAIL;
bad:
	return msgf(msg, ml, "%sは市外局番から10桁または11桁の番号で入力してください。", dl);
}

static int
check_postal(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	     char *msg, size_t ml)
{
	char buf[64], out[9], *p = buf;
	int rc, n = 0;

	(void)f;
	if ((rc = folded(raw, true, 48, buf, sizeof buf)) == 1) {
		*val = NULL;
		return V_OK;
	}
	if (rc != 0)
		goto bad;
	if (strncmp(p, "〒", strlen("〒")) == 0)
		p += strlen("〒");
	while (*p == ' ')
		p++;
	for (; *p && n < 8; p++) {
		if (*p >= '0' && *p <= '9' && n != 3)
			out[n++] = *p;
		else if (*p >= '0' && *p <= '9' && n == 3) {
			out[n++] = '-';
			out[n++] = *p;
		} else if (*p == '-' && n == 3)
			out[n++] = '-';
		else
			goto bad;
	}
	if (*p != '\0' || n != 8)
		goto bad;
	out[8] = '\0';
	*val = json_string(out);
	return *val ? V_OK : V_FAIL;
bad:
	return msgf(msg, ml, "%sは7桁の郵便番号（例：123-4567）で入力してください。", dl);
}

static const struct fs_option *
find_option(const struct fs_field *f, const char *v)
{
	for (size_t i = 0; i < f->noptions; i++)
		if (strcmp(f->options[i].value, v) == 0)
			return &f->options[i];
	return NULL;
}

static bool
full(struct vstate *st, const struct fs_field *f, const struct fs_option *o)
{
	const struct form_context *c = st->ctx;

	return o->quota >= 0 && c && c->option_full && c->option_full(c->arg, f->path, o->value);
}

static int
check_choice(struct vstate *st, const struct fs_field *f, const json_t *raw, const char *dl,
	     json_t **val, char *msg, size_t ml)
{
	const struct fs_option *o;

	if (json_is_string(raw) && json_string_length(raw) == 0) {
		*val = NULL;
		return V_OK;
	}
	if (!json_is_string(raw) || (o = find_option(f, json_string_value(raw))) == NULL)
		return msgf(msg, ml, "%sは選択肢から選択してください。", dl);
	if (full(st, f, o))
		return msgf(msg, ml, "%sの「%s」は受付数の上限に達したため、選択できません。", dl,
			    o->label);
	*val = json_string(o->value);
	return *val ? V_OK : V_FAIL;
}

static int
check_checkbox(struct vstate *st, const struct fs_field *f, const json_t *raw, const char *dl,
	       json_t **val, char *msg, size_t ml)
{
	const struct fs_option *o;
	const json_t *v;
	size_t i, k, n = json_array_size(raw);
	bool *chosen;
	json_t *out;

	if (!json_is_array(raw) || n > f->noptions)
		return msgf(msg, ml, "%sは選択肢から選択してください。", dl);
	if (n == 0) {
		*val = NULL;
		return V_OK;
	}
	if ((chosen = calloc(f->noptions, sizeof(*chosen))) == NULL)
		return V_FAIL;
	json_array_foreach(raw, i, v) {
		if (!json_is_string(v) || (o = find_option(f, json_string_value(v))) == NULL ||
		    chosen[o - f->options]) {
			free(chosen);
			return msgf(msg, ml, "%sは選択肢から選択してください。", dl);
		}
		chosen[o - f->options] = true;
		if (full(st, f, o)) {
			free(chosen);
			return msgf(msg, ml, "%sの「%s」は受付数の上限に達したため、選択できません。",
				    dl, o->label);
		}
	}
	if ((long long)n > f->max_choices) {
		free(chosen);
		return msgf(msg, ml, "%sは%lld個以内で選択してください。", dl, f->max_choices);
	}
	if ((long long)n < f->min_choices) {
		free(chosen);
		return msgf(msg, ml, "%sは%lld個以上選択してください。", dl, f->min_choices);
	}
	/* In the schema's order, whatever order they came in. */
	if ((out = json_array()) == NULL) {
		free(chosen);
		return V_FAIL;
	}
	for (k = 0; k < f->noptions; k++)
		if (chosen[k] && json_array_append_new(out, json_string(f->options[k].value))) {
			json_decref(out);
			free(chosen);
			return V_FAIL;
		}
	free(chosen);
	*val = out;
	return V_OK;
}

static bool
valid_upload_id(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || n == 0 || n > FORM_UPLOAD_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int
check_file(const struct fs_field *f, const json_t *raw, const char *dl, json_t **val,
	   char *msg, size_t ml)
{
	const json_t *v;
	size_t i, j, n = json_array_size(raw);

	if (!json_is_array(raw))
		return msgf(msg, ml, "%sの添付ファイルが正しくありません。もう一度添付してください。",
			    dl);
	if (n == 0) {
		*val = NULL;
		return V_OK;
	}
	if ((long long)n > f->max_files)
		return msgf(msg, ml, "%sは%lld件まで添付できます。", dl, f->max_files);
	json_array_foreach(raw, i, v) {
		bool dup = false;

		for (j = 0; j < i && valid_upload_id(v); j++)
			dup |= json_equal(v, json_array_get(raw, j));
		if (!valid_upload_id(v) || dup)
			return msgf(msg, ml, "%sの添付ファイルが正しくありません。"
				    "もう一度添付してください。", dl);
	}
	*val = json_deep_copy(raw);
	return *val ? V_OK : V_FAIL;
}

/* Read one non-group field: *val gets a new normalised value or NULL (absent);
 * V_ERR with msg, or V_FAIL. */
static int
check_field(struct vstate *st, const struct fs_field *f, const json_t *raw, const char *dl,
	    json_t **val, char *msg, size_t ml)
{
	int rc;

	*val = NULL;
	if (raw == NULL || json_is_null(raw))
		rc = V_OK;
	else switch (f->type) {
	case FT_TEXT: case FT_TEXTAREA:
		rc = check_text(f, raw, dl, val, msg, ml);
		break;
	case FT_KANA:
		rc = check_kana(f, raw, dl, val, msg, ml);
		break;
	case FT_NUMBER:
		rc = check_number(f, raw, dl, val, msg, ml);
		break;
	case FT_DATE:
		rc = check_date(st, f, raw, dl, val, msg, ml);
		break;
	case FT_EMAIL:
		rc = check_email(f, raw, dl, val, msg, ml);
		break;
	case FT_TEL:
		rc = check_tel(f, raw, dl, val, msg, ml);
		break;
	case FT_POSTAL:
		rc = check_postal(f, raw, dl, val, msg, ml);
		break;
	case FT_SELECT: case FT_RADIO:
		rc = check_choice(st, f, raw, dl, val, msg, ml);
		break;
	case FT_CHECKBOX:
		rc = check_checkbox(st, f, raw, dl, val, msg, ml);
		break;
	case FT_FILE:
		rc = check_file(f, raw, dl, val, msg, ml);
		break;
	case FT_AGREEMENT:
		if (!json_is_boolean(raw))
			rc = msgf(msg, ml, "%sの入力内容が正しくありません。", dl);
		else
			rc = V_OK, *val = json_is_true(raw) ? json_true() : NULL;
		break;
	default:
		rc = V_OK;
		break;
	}
	if (rc != V_OK || *val != NULL || !f->required)
		return rc;
	switch (f->type) {
	case FT_SELECT: case FT_RADIO: case FT_CHECKBOX:
		return msgf(msg, ml, "%sを選択してください。", dl);
	case FT_FILE:
		return msgf(msg, ml, "%sを添付してください。", dl);
	case FT_AGREEMENT:
		return msgf(msg, ml, "%sに同意してください。", dl);
	default:
		return msgf(msg, ml, "%sを入力してください。", dl);
	}
}

/* Equality as a condition sees it: numbers by value (3 equals 3.0), the rest as JSON;
 * a checkbox's array equals v when v is among its choices. */
static bool
value_eq(const json_t *a, const json_t *b)
{
	const json_t *e;
	size_t i;

	if (json_is_array(a)) {
		json_array_foreach(a, i, e)
			if (value_eq(e, b))
				return true;
		return false;
	}
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

static bool
cond_true(const struct fs_cond *c, const json_t *v)
{
	const json_t *e;
	size_t i;

	if (v == NULL)
		return false;
	if (c->op == COND_IN) {
		json_array_foreach(c->value, i, e)
			if (value_eq(v, e))
				return true;
		return false;
	}
	return value_eq(v, c->value);	/* equals, and checked on a checkbox's array */
}

/* Recursion follows show_if targets, whose chains the schema bounds. */
static bool
visible(const struct scope *sc, size_t i)
{
	const struct fs_field *f = &sc->lv->fields[i];
	const struct scope *ts = sc;
	size_t ti;

	if (sc->vis[i] < 0) {
		sc->vis[i] = 1;
		if (f->has_cond) {
			for (int k = 0; k < f->cond.up && ts->outer; k++)
				ts = ts->outer;
			ti = f->cond.target->index;
			sc->vis[i] = visible(ts, ti) && cond_true(&f->cond, ts->values[ti]);
		}
	}
	return sc->vis[i] != 0;
}

static const struct fs_field *
field_named(const struct fs_level *lv, const char *name)
{
	for (size_t i = 0; i < lv->n; i++)
		if (lv->fields[i].type != FT_HEADING && strcmp(lv->fields[i].name, name) == 0)
			return &lv->fields[i];
	return NULL;
}

static bool
name_like(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i <= FORM_NAME_MAX;
}

static int check_level(struct vstate *st, const struct fs_level *lv, const json_t *obj,
		       const struct scope *outer, const char *prefix, const char *dprefix,
		       json_t *out);

static void
check_group(struct vstate *st, const struct fs_field *f, const json_t *raw,
	    const struct scope *sc, const char *prefix, const char *dprefix, json_t *out)
{
	char path[FORM_PATH_MAX], ipath[FORM_PATH_MAX], dl[DLABEL_MAX], msg[MSG_MAX];
	char *idl;
	size_t i, n = json_array_size(raw);
	const json_t *item;
	json_t *arr, *iout;

	snprintf(path, sizeof path, "%s%s", prefix, f->name);
	snprintf(dl, sizeof dl, "%s%s", dprefix, f->label);
	if (raw != NULL && !json_is_null(raw) && !json_is_array(raw)) {
		msgf(msg, sizeof msg, "%sの入力内容が正しくありません。", dl);
		add_error(st, path, msg);
		return;
	}
	if ((long long)n > f->max_items) {
		msgf(msg, sizeof msg, "%sは%lld件まで入力できます。", dl, f->max_items);
		add_error(st, path, msg);
		return;
	}
	if ((long long)n < f->min_items) {
		if (f->min_items == 1)
			msgf(msg, sizeof msg, "%sを入力してください。", dl);
		else
			msgf(msg, sizeof msg, "%sは%lld件以上入力してください。", dl, f->min_items);
		add_error(st, path, msg);
		if (n == 0)
			return;
	}
	if (n == 0)
		return;
	if ((st->items += n) > FORM_ANSWER_ITEMS_MAX) {
		msgf(msg, sizeof msg, "%sの件数が多すぎます。", dl);
		add_error(st, path, msg);
		return;
	}
	if ((arr = json_array()) == NULL || json_object_set_new(out, f->name, arr) != 0) {
		st->failed = true;
		return;
	}
	if ((idl = malloc(DLABEL_MAX)) == NULL) {
		st->failed = true;
		return;
	}
	json_array_foreach(raw, i, item) {
		snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
		snprintf(idl, DLABEL_MAX, "%s（%zu件目）の", dl, i + 1);
		if (!json_is_object(item)) {
			msgf(msg, sizeof msg, "%s（%zu件目）の入力内容が正しくありません。", dl, i + 1);
			add_error(st, ipath, msg);
			continue;
		}
		if ((iout = json_object()) == NULL || json_array_append_new(arr, iout) != 0) {
			st->failed = true;
			break;
		}
		strncat(ipath, ".", sizeof ipath - strlen(ipath) - 1);
		if (check_level(st, &f->sub, item, sc, ipath, idl, iout) != 0)
			break;
	}
	free(idl);
}

/* Check the answers of one level (the form, or one group item) into out. 0, or -1
 * on an internal failure (also recorded in st). */
static int
check_level(struct vstate *st, const struct fs_level *lv, const json_t *obj,
	    const struct scope *outer, const char *prefix, const char *dprefix, json_t *out)
{
	struct scope sc = { .lv = lv, .outer = outer };
	char **errs = NULL, *msg = NULL, *dl = NULL, path[FORM_PATH_MAX];
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	sc.values = calloc(lv->n, sizeof(*sc.values));
	sc.vis = malloc(lv->n);
	errs = calloc(lv->n, sizeof(*errs));
	msg = malloc(MSG_MAX);
	dl = malloc(DLABEL_MAX);
	if (!sc.values || !sc.vis || !errs || !msg || !dl) {
		st->failed = true;
		goto out;
	}
	memset(sc.vis, -1, lv->n);
	/* A: every value, independent of the others. */
	for (i = 0; i < lv->n && !st->failed; i++) {
		const struct fs_field *f = &lv->fields[i];

		if (f->type == FT_GROUP || f->type == FT_HEADING)
			continue;
		snprintf(dl, DLABEL_MAX, "%s%s", dprefix, f->label);
		rc = check_field(st, f, json_object_get(obj, f->name), dl, &sc.values[i], msg,
				 MSG_MAX);
		if (rc == V_FAIL)
			st->failed = true;
		else if (rc == V_ERR && (errs[i] = strdup(msg)) == NULL)
			st->failed = true;
	}
	/* B and C: what is shown, in field order. */
	for (i = 0; i < lv->n && !st->failed; i++) {
		const struct fs_field *f = &lv->fields[i];

		if (f->type == FT_HEADING || !visible(&sc, i))
			continue;
		snprintf(path, sizeof path, "%s%s", prefix, f->name);
		if (f->type == FT_GROUP)
			check_group(st, f, json_object_get(obj, f->name), &sc, prefix, dprefix, out);
		else if (errs[i])
			add_error(st, path, errs[i]);
		else if (sc.values[i] && json_object_set(out, f->name, sc.values[i]) != 0)
			st->failed = true;
	}
	/* Keys the schema does not know (headings have no answer) come last. */
	json_object_foreach((json_t *)obj, key, v) {
		if (st->failed || field_named(lv, key) != NULL)
			continue;
		snprintf(path, sizeof path, "%s%s", prefix, name_like(key) ? key : "_invalid_key");
		add_error(st, path, "この項目は受け付けられません。");
	}
out:
	for (i = 0; i < lv->n; i++) {
		if (sc.values)
			json_decref(sc.values[i]);
		if (errs)
			free(errs[i]);
	}
	free(sc.values);
	free(sc.vis);
	free(errs);
	free(msg);
	free(dl);
	return st->failed ? -1 : 0;
}

int
form_validate(const struct form_schema *s, const json_t *answers,
	      const struct form_context *ctx, json_t **normalised, json_t **errors)
{
	struct vstate st = { .s = s, .ctx = ctx };
	json_t *out = json_object();

	*normalised = NULL;
	*errors = NULL;
	if ((st.errors = json_object()) == NULL || out == NULL) {
		json_decref(st.errors);
		json_decref(out);
		return -1;
	}
	if (!json_is_object(answers))
		add_error(&st, "_form", "回答の形式が正しくありません。");
	else
		check_level(&st, &s->top, answers, NULL, "", "", out);
	if (st.failed) {
		json_decref(st.errors);
		json_decref(out);
		return -1;
	}
	if (st.nerrors > 0) {
		json_decref(out);
		*errors = st.errors;
		return 1;
	}
	json_decref(st.errors);
	*normalised = out;
	return 0;
}

json_t *
form_errors_list(const json_t *errors)
{
	json_t *arr = json_array(), *v;
	const char *key;

	/* jansson keeps an object's members in insertion order: field order here. */
	json_object_foreach((json_t *)errors, key, v)
		if (arr && json_array_append_new(arr, json_pack("{s:s, s:O}", "path", key,
								"message", v)) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

struct walk {
	int (*file_cb)(void *arg, const char *path, const char *schema_path, const char *id);
	int (*quota_cb)(void *arg, const char *schema_path, const char *value);
	void *arg;
};

static int
walk_level(const struct walk *w, const struct fs_level *lv, const json_t *obj,
	   const char *prefix)
{
	char path[FORM_PATH_MAX];
	const struct fs_option *o;
	const json_t *v, *e;
	size_t i, k;
	int rc;

	for (i = 0; i < lv->n; i++) {
		const struct fs_field *f = &lv->fields[i];

		if ((v = json_object_get(obj, f->name)) == NULL)
			continue;
		snprintf(path, sizeof path, "%s%s", prefix, f->name);
		if (f->type == FT_GROUP && json_is_array(v)) {
			json_array_foreach(v, k, e) {
				char ipath[FORM_PATH_MAX];

				snprintf(ipath, sizeof ipath, "%s[%zu].", path, k);
				if (json_is_object(e) && (rc = walk_level(w, &f->sub, e, ipath)) != 0)
					return rc;
			}
		} else if (f->type == FT_FILE && w->file_cb && json_is_array(v)) {
			json_array_foreach(v, k, e)
				if (json_is_string(e) &&
				    (rc = w->file_cb(w->arg, path, f->path, json_string_value(e))) != 0)
					return rc;
		} else if (w->quota_cb && (f->type == FT_SELECT || f->type == FT_RADIO ||
					   f->type == FT_CHECKBOX)) {
			if (json_is_string(v) && (o = find_option(f, json_string_value(v))) &&
			    o->quota >= 0 && (rc = w->quota_cb(w->arg, f->path, o->value)) != 0)
				return rc;
			json_array_foreach(v, k, e)
				if (json_is_string(e) && (o = find_option(f, json_string_value(e))) &&
				    o->quota >= 0 && (rc = w->quota_cb(w->arg, f->path, o->value)) != 0)
					return rc;
		}
	}
	return 0;
}

int
form_walk_files(const struct form_schema *s, const json_t *normalised,
		int (*cb)(void *arg, const char *path, const char *schema_path,
			  const char *upload_id),
		void *arg)
{
	struct walk w = { .file_cb = cb, .arg = arg };

	return json_is_object(normalised) ? walk_level(&w, &s->top, normalised, "") : 0;
}

int
form_walk_quota_choices(const struct form_schema *s, const json_t *normalised,
			int (*cb)(void *arg, const char *schema_path, const char *value),
			void *arg)
{
	struct walk w = { .quota_cb = cb, .arg = arg };

	return json_is_object(normalised) ? walk_level(&w, &s->top, normalised, "") : 0;
}
