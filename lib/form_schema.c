/*
 * form_schema.c — reading a form schema into the tree the validator walks.
 *
 * Everything the validator will rely on is decided here, once: every member has the
 * type and range its field type allows (unknown members are refused, so a misspelt
 * "requierd" is an error and not a silently optional field), every show_if points at
 * a field in scope with a value the target can take, no chain of conditions loops or
 * runs deeper than FORM_COND_CHAIN_MAX, and every count and length is within its
 * FORM_* bound. A schema that parses can therefore be validated against without any
 * further checks on itself, and the validator's work is bounded by it.
 */
#include "form_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wareki.h"

#define TEXT_DEFAULT_MAX	200
#define TEXTAREA_DEFAULT_MAX	4000
#define FILE_DEFAULT_BYTES	(10LL * 1024 * 1024)
#define DATE_OFFSET_MAX		9999	/* "today-9999d" is the widest relative bound */

static const char *const type_names[] = {
	[FT_TEXT] = "text", [FT_TEXTAREA] = "textarea", [FT_KANA] = "kana",
	[FT_NUMBER] = "number", [FT_DATE] = "date", [FT_EMAIL] = "email", [FT_TEL] = "tel",
	[FT_POSTAL] = "postal", [FT_SELECT] = "select", [FT_RADIO] = "radio",
	[FT_CHECKBOX] = "checkbox", [FT_GROUP] = "group", [FT_FILE] = "file",
	[FT_AGREEMENT] = "agreement", [FT_HEADING] = "heading",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const accept_names[] = { "pdf", "image", "office", "text" };
#define NACCEPT (sizeof(accept_names) / sizeof(accept_names[0]))

/* Members every field may have; "x_" members are the builder's own and ignored. */
static const char *const common_keys[] = {
	"name", "type", "label", "help", "required", "show_if", "placeholder", NULL,
};

static const char *const *
type_keys(enum form_type t)
{
	static const char *const text[] = { "min_length", "max_length", NULL };
	static const char *const number[] = { "min", "max", "integer", NULL };
	static const char *const date[] = { "min_date", "max_date", NULL };
	static const char *const choice[] = { "options", NULL };
	static const char *const checkbox[] = { "options", "min_choices", "max_choices", NULL };
	static const char *const group[] = { "fields", "min_items", "max_items", NULL };
	static const char *const file[] = { "accept", "max_files", "max_file_bytes", NULL };
	static const char *const agreement[] = { "terms", NULL };
	static const char *const postal[] = { "address_field", NULL };
	static const char *const none[] = { NULL };

	switch (t) {
	case FT_TEXT: case FT_TEXTAREA: case FT_KANA: return text;
	case FT_NUMBER: return number;
	case FT_DATE: return date;
	case FT_SELECT: case FT_RADIO: return choice;
	case FT_CHECKBOX: return checkbox;
	case FT_GROUP: return group;
	case FT_FILE: return file;
	case FT_AGREEMENT: return agreement;
	case FT_POSTAL: return postal;
	default: return none;
	}
}

static bool
in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

static int fail(char *err, size_t errlen, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, const char *where, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", where, why);
	return -1;
}

static bool
valid_name(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i <= FORM_NAME_MAX;
}

/* Code points in a jansson string (already valid UTF-8), and whether it has a
 * control character other than the newlines that long texts may hold. */
static size_t
text_chars(const char *s, size_t len, bool newlines, bool *control)
{
	size_t n = 0;

	*control = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xC0) != 0x80)
			n++;
		if ((c < 0x20 && !(newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7F)
			*control = true;
	}
	return n;
}

/* A string member: absent is fine unless required; at most maxchars code points. */
static int
get_str(const json_t *o, const char *key, size_t maxchars, bool required, bool newlines,
	const char **out, const char *where, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	bool control;
	size_t n;

	*out = NULL;
	if (v == NULL) {
		if (required)
			return fail(err, errlen, where, "\"%s\" is missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, where, "\"%s\" must be a string", key);
	n = text_chars(json_string_value(v), json_string_length(v), newlines, &control);
	if (n > maxchars)
		return fail(err, errlen, where, "\"%s\" is longer than %zu characters", key,
			    maxchars);
	if (control)
		return fail(err, errlen, where, "\"%s\" has a control character", key);
	if (required && n == 0)
		return fail(err, errlen, where, "\"%s\" is empty", key);
	*out = json_string_value(v);
	return 0;
}

/* An integer member in [min, max]; def when absent. */
static int
get_int(const json_t *o, const char *key, long long min, long long max, long long def,
	long long *out, const char *where, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(err, errlen, where, "\"%s\" must be an integer from %lld to %lld",
			    key, min, max);
	*out = json_integer_value(v);
	return 0;
}

static int
get_bool(const json_t *o, const char *key, bool *out, const char *where, char *err,
	 size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	*out = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return fail(err, errlen, where, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int
get_number(const json_t *o, const char *key, bool *has, double *out, const char *where,
	   char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	*has = false;
	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return fail(err, errlen, where, "\"%s\" must be a number", key);
	*has = true;
	*out = json_number_value(v);
	return 0;
}

/* "YYYY-MM-DD", "today", "today-18y", "today+30d", "today-6m". */
static int
parse_date_bound(const char *s, struct fs_date_bound *b)
{
	int y, m, d, n = 0;
	char unit, sign, tail;

	memset(b, 0, sizeof(*b));
	if (strcmp(s, "today") == 0) {
		b->kind = DB_TODAY;
		return 0;
	}
	if (strncmp(s, "today", 5) == 0) {
		s += 5;
		sign = *s++;
		if ((sign != '+' && sign != '-') || *s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9' && n <= DATE_OFFSET_MAX)
			n = n * 10 + (*s++ - '0');
		/* "today+5" ends at its digits: the unit must be there before we step
		 * over it, or the check below reads past the string's end. */
		if ((unit = *s) == '\0')
			return -1;
		s++;
		if (n > DATE_OFFSET_MAX || *s != '\0')
			return -1;
		if (sign == '-')
			n = -n;
		b->kind = DB_TODAY;
		if (unit == 'y')
			b->years = n;
		else if (unit == 'm')
			b->months = n;
		else if (unit == 'd')
			b->days = n;
		else
			return -1;
		return 0;
	}
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    s[4] != '-' || s[7] != '-' || !wareki_valid_date(y, m, d))
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	b->kind = DB_ABS;
	b->y = y, b->m = m, b->d = d;
	return 0;
}

int
form_bound_date(const struct fs_date_bound *b, int ty, int tm, int td, int *y, int *m, int *d)
{
	if (b->kind == DB_ABS) {
		*y = b->y, *m = b->m, *d = b->d;
		return 0;
	}
	if (b->kind != DB_TODAY || !wareki_valid_date(ty, tm, td))
		return -1;
	*y = ty, *m = tm, *d = td;
	return wareki_add(y, m, d, b->years, b->months, b->days);
}

static int
parse_options(struct fs_field *f, const json_t *o, char *err, size_t errlen)
{
	const json_t *arr = json_object_get(o, "options"), *opt;
	const char *key;
	json_t *v;
	size_t i, j;

	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > FORM_OPTIONS_MAX)
		return fail(err, errlen, f->path, "\"options\" must be an array of 1 to %d options",
			    FORM_OPTIONS_MAX);
	f->noptions = json_array_size(arr);
	if ((f->options = calloc(f->noptions, sizeof(*f->options))) == NULL)
		return fail(err, errlen, f->path, "out of memory");
	json_array_foreach(arr, i, opt) {
		struct fs_option *op = &f->options[i];
		char where[FORM_PATH_MAX + 32];

		snprintf(where, sizeof where, "%s.options[%zu]", f->path, i);
		if (!json_is_object(opt))
			return fail(err, errlen, where, "an option must be an object");
		json_object_foreach((json_t *)opt, key, v)
			if (strcmp(key, "value") != 0 && strcmp(key, "label") != 0 &&
			    strcmp(key, "quota") != 0 && strncmp(key, "x_", 2) != 0)
				return fail(err, errlen, where, "unknown member \"%s\"", key);
		if (get_str(opt, "value", FORM_OPTION_VALUE_MAX, true, false, &op->value, where,
			    err, errlen) != 0 ||
		    get_str(opt, "label", FORM_LABEL_MAX, true, false, &op->label, where, err,
			    errlen) != 0)
			return -1;
		if (get_int(opt, "quota", 0, 1000000000LL, -1, &op->quota, where, err, errlen))
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(f->options[j].value, op->value) == 0)
				return fail(err, errlen, where, "value \"%s\" appears twice",
					    op->value);
	}
	return 0;
}

static int
parse_show_if(struct fs_field *f, const json_t *c, char *err, size_t errlen)
{
	const json_t *v;
	const char *key;
	json_t *m;
	int ops = 0;
	size_t i;

	if (!json_is_object(c))
		return fail(err, errlen, f->path, "\"show_if\" must be an object");
	json_object_foreach((json_t *)c, key, m) {
		if (strcmp(key, "field") == 0)
			continue;
		if (strcmp(key, "equals") == 0)
			f->cond.op = COND_EQUALS;
		else if (strcmp(key, "in") == 0)
			f->cond.op = COND_IN;
		else if (strcmp(key, "checked") == 0)
			f->cond.op = COND_CHECKED;
		else
			return fail(err, errlen, f->path, "show_if: unknown member \"%s\"", key);
		f->cond.value = m;
		ops++;
	}
	if (ops != 1)
		return fail(err, errlen, f->path,
			    "show_if needs exactly one of \"equals\", \"in\", \"checked\"");
	v = json_object_get(c, "field");
	if (!json_is_string(v) || !valid_name(json_string_value(v)))
		return fail(err, errlen, f->path, "show_if: \"field\" must be a field name");
	f->cond.target_name = json_string_value(v);
	v = f->cond.value;
	switch (f->cond.op) {
	case COND_EQUALS:
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
			return fail(err, errlen, f->path,
				    "show_if: \"equals\" must be a string, number or boolean");
		break;
	case COND_IN:
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > FORM_IN_VALUES_MAX)
			return fail(err, errlen, f->path,
				    "show_if: \"in\" must be an array of 1 to %d values",
				    FORM_IN_VALUES_MAX);
		json_array_foreach(v, i, m)
			if (!json_is_string(m) && !json_is_number(m) && !json_is_boolean(m))
				return fail(err, errlen, f->path,
					    "show_if: \"in\" values must be strings, numbers or booleans");
		break;
	case COND_CHECKED:
		if (!json_is_string(v))
			return fail(err, errlen, f->path, "show_if: \"checked\" must be a string");
		break;
	}
	f->has_cond = true;
	return 0;
}

static int parse_level(struct form_schema *s, struct fs_level *lv, const json_t *arr,
		       const char *prefix, char *err, size_t errlen);

static int
parse_field(struct form_schema *s, struct fs_field *f, const json_t *o, const char *prefix,
	    size_t idx, char *err, size_t errlen)
{
	char where[FORM_PATH_MAX + 32];
	const char *tname, *key, *help, *placeholder, *terms;
	const json_t *v;
	json_t *m;
	size_t t;
	long long lim;

	snprintf(where, sizeof where, "%s%sfields[%zu]", prefix, prefix[0] ? "." : "", idx);
	if (!json_is_object(o))
		return fail(err, errlen, where, "a field must be an object");
	v = json_object_get(o, "name");
	if (!json_is_string(v) || !valid_name(json_string_value(v)))
		return fail(err, errlen, where, "\"name\" must match [a-z][a-z0-9_]{0,%d}",
			    FORM_NAME_MAX - 1);
	f->name = json_string_value(v);
	snprintf(f->path, sizeof f->path, "%s%s%s", prefix, prefix[0] ? "." : "", f->name);
	if (!json_is_string(v = json_object_get(o, "type")))
		return fail(err, errlen, f->path, "\"type\" must be a string");
	tname = json_string_value(v);
	for (t = 0; t < NTYPES && strcmp(type_names[t], tname) != 0; t++)
		;
	if (t == NTYPES)
		return fail(err, errlen, f->path, "unknown type \"%s\"", tname);
	f->type = (enum form_type)t;
	json_object_foreach((json_t *)o, key, m)
		if (!in_list(common_keys, key) && !in_list(type_keys(f->type), key) &&
		    strncmp(key, "x_", 2) != 0)
			return fail(err, errlen, f->path, "\"%s\" is not a member of a %s field",
				    key, tname);
	if (get_str(o, "label", FORM_LABEL_MAX, true, false, &f->label, f->path, err, errlen) ||
	    get_str(o, "help", FORM_HELP_MAX, false, true, &help, f->path, err, errlen) ||
	    get_str(o, "placeholder", FORM_LABEL_MAX, false, false, &placeholder, f->path, err,
		    errlen) ||
	    get_bool(o, "required", &f->required, f->path, err, errlen))
		return -1;
	if (f->type == FT_HEADING && f->required)
		return fail(err, errlen, f->path, "a heading cannot be required");
	if ((v = json_object_get(o, "show_if")) != NULL && parse_show_if(f, v, err, errlen))
		return -1;

	switch (f->type) {
	case FT_TEXT: case FT_TEXTAREA: case FT_KANA:
		lim = f->type == FT_TEXTAREA ? FORM_TEXTAREA_LIMIT : FORM_TEXT_LIMIT;
		if (get_int(o, "max_length", 1, lim,
			    f->type == FT_TEXTAREA ? TEXTAREA_DEFAULT_MAX : TEXT_DEFAULT_MAX,
			    &f->max_length, f->path, err, errlen) ||
		    get_int(o, "min_length", 0, f->max_length, 0, &f->min_length, f->path, err,
			    errlen))
			return -1;
		break;
	case FT_NUMBER:
		if (get_number(o, "min", &f->has_min, &f->min, f->path, err, errlen) ||
		    get_number(o, "max", &f->has_max, &f->max, f->path, err, errlen) ||
		    get_bool(o, "integer", &f->integer, f->path, err, errlen))
			return -1;
		if (f->has_min && f->has_max && f->min > f->max)
			return fail(err, errlen, f->path, "\"min\" is greater than \"max\"");
		break;
	case FT_DATE: {
		const char *lo, *hi;

		if (get_str(o, "min_date", 20, false, false, &lo, f->path, err, errlen) ||
		    get_str(o, "max_date", 20, false, false, &hi, f->path, err, errlen))
			return -1;
		if (lo && parse_date_bound(lo, &f->min_date) != 0)
			return fail(err, errlen, f->path, "\"min_date\" \"%s\" is not YYYY-MM-DD, "
				    "today or today±N[ymd]", lo);
		if (hi && parse_date_bound(hi, &f->max_date) != 0)
			return fail(err, errlen, f->path, "\"max_date\" \"%s\" is not YYYY-MM-DD, "
				    "today or today±N[ymd]", hi);
		if (f->min_date.kind == DB_ABS && f->max_date.kind == DB_ABS &&
		    wareki_days(f->min_date.y, f->min_date.m, f->min_date.d) >
		    wareki_days(f->max_date.y, f->max_date.m, f->max_date.d))
			return fail(err, errlen, f->path, "\"min_date\" is after \"max_date\"");
		break;
	}
	case FT_SELECT: case FT_RADIO:
		if (parse_options(f, o, err, errlen))
			return -1;
		break;
	case FT_CHECKBOX:
		if (parse_options(f, o, err, errlen) ||
		    get_int(o, "max_choices", 1, (long long)f->noptions, (long long)f->noptions,
			    &f->max_choices, f->path, err, errlen) ||
		    get_int(o, "min_choices", 0, f->max_choices, f->required ? 1 : 0,
			    &f->min_choices, f->path, err, errlen))
			return -1;
		if (f->required && f->min_choices == 0)
			f->min_choices = 1;
		break;
	case FT_GROUP:
		if (f->level->depth + 1 > FORM_GROUP_DEPTH_MAX)
			return fail(err, errlen, f->path, "groups nest deeper than %d",
				    FORM_GROUP_DEPTH_MAX);
		if (get_int(o, "max_items", 1, FORM_ITEMS_LIMIT, 1, &f->max_items, f->path, err,
			    errlen) ||
		    get_int(o, "min_items", 0, f->max_items, f->required ? 1 : 0, &f->min_items,
			    f->path, err, errlen))
			return -1;
		if (f->required && f->min_items == 0)
			f->min_items = 1;
		f->sub.outer = f->level;
		f->sub.depth = f->level->depth + 1;
		if (parse_level(s, &f->sub, json_object_get(o, "fields"), f->path, err, errlen))
			return -1;
		break;
	case FT_FILE:
		if (get_int(o, "max_files", 1, FORM_FILES_LIMIT, 1, &f->max_files, f->path, err,
			    errlen) ||
		    get_int(o, "max_file_bytes", 1, FORM_FILE_BYTES_LIMIT, FILE_DEFAULT_BYTES,
			    &f->max_file_bytes, f->path, err, errlen))
			return -1;
		f->accept = FORM_ACCEPT_PDF | FORM_ACCEPT_IMAGE;
		if ((v = json_object_get(o, "accept")) != NULL) {
			size_t i, k;

			if (!json_is_array(v) || json_array_size(v) == 0 ||
			    json_array_size(v) > NACCEPT)
				return fail(err, errlen, f->path,
					    "\"accept\" must be a list of pdf, image, office, text");
			f->accept = 0;
			json_array_foreach(v, i, m) {
				for (k = 0; k < NACCEPT && !(json_is_string(m) &&
				     strcmp(json_string_value(m), accept_names[k]) == 0); k++)
					;
				if (k == NACCEPT)
					return fail(err, errlen, f->path,
						    "\"accept\" must be a list of pdf, image, office, text");
				f->accept |= 1u << k;
			}
		}
		break;
	case FT_AGREEMENT:
		if (get_str(o, "terms", FORM_TERMS_MAX, false, true, &terms, f->path, err, errlen))
			return -1;
		break;
	case FT_POSTAL:
		if ((v = json_object_get(o, "address_field")) != NULL &&
		    (!json_is_string(v) || !valid_name(json_string_value(v))))
			return fail(err, errlen, f->path, "\"address_field\" must be a field name");
		f->address_field = json_string_value(v);
		break;
	default:
		break;
	}
	return 0;
}

static int
parse_level(struct form_schema *s, struct fs_level *lv, const json_t *arr, const char *prefix,
	    char *err, size_t errlen)
{
	const char *where = prefix[0] ? prefix : "schema";
	size_t i, j;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(err, errlen, where, "\"fields\" must be a non-empty array");
	if (json_array_size(arr) > FORM_FIELDS_PER_LEVEL_MAX)
		return fail(err, errlen, where, "more than %d fields", FORM_FIELDS_PER_LEVEL_MAX);
	/* Room is reserved for the whole level before any of its groups is read, so
	 * the total cannot be passed by fields added after a nested level. */
	if (s->reserved + json_array_size(arr) > FORM_FIELDS_TOTAL_MAX)
		return fail(err, errlen, where, "more than %d fields in the form",
			    FORM_FIELDS_TOTAL_MAX);
	s->reserved += json_array_size(arr);
	lv->n = json_array_size(arr);
	if ((lv->fields = calloc(lv->n, sizeof(*lv->fields))) == NULL)
		return fail(err, errlen, where, "out of memory");
	for (i = 0; i < lv->n; i++) {
		struct fs_field *f = &lv->fields[i];

		f->index = i;
		f->level = lv;
		s->all[s->total++] = f;
		if (parse_field(s, f, json_array_get(arr, i), prefix, i, err, errlen))
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(lv->fields[j].name, f->name) == 0)
				return fail(err, errlen, f->path, "the name is used twice");
	}
	for (i = 0; i < lv->n; i++) {
		struct fs_field *f = &lv->fields[i];

		if (f->address_field == NULL)
			continue;
		for (j = 0; j < lv->n; j++)
			if (strcmp(lv->fields[j].name, f->address_field) == 0)
				break;
		if (j == lv->n || (lv->fields[j].type != FT_TEXT &&
				   lv->fields[j].type != FT_TEXTAREA))
			return fail(err, errlen, f->path,
				    "\"address_field\" \"%s\" is not a text field beside it",
				    f->address_field);
	}
	return 0;
}

static bool
is_option(const struct fs_field *t, const json_t *v)
{
	if (!json_is_string(v))
		return false;
	for (size_t i = 0; i < t->noptions; i++)
		if (strcmp(t->options[i].value, json_string_value(v)) == 0)
			return true;
	return false;
}

/* Can the target field ever have value v? Catches a condition that could never be
 * true because of a typo in the schema. */
static bool
value_fits(const struct fs_field *t, const json_t *v)
{
	switch (t->type) {
	case FT_SELECT: case FT_RADIO: case FT_CHECKBOX:
		return is_option(t, v);
	case FT_NUMBER:
		return json_is_number(v);
	case FT_AGREEMENT:
		return json_is_true(v);
	default:
		return json_is_string(v);
	}
}

static int
resolve_condition(struct fs_field *f, char *err, size_t errlen)
{
	struct fs_cond *c = &f->cond;
	const struct fs_level *lv;
	struct fs_field *t = NULL;
	const json_t *v;
	size_t i;
	int up = 0;

	for (lv = f->level; lv && t == NULL; lv = lv->outer, up++)
		for (i = 0; i < lv->n && t == NULL; i++)
			if (strcmp(lv->fields[i].name, c->target_name) == 0) {
				t = &lv->fields[i];
				c->up = up;
			}
	if (t == NULL)
		return fail(err, errlen, f->path, "show_if refers to \"%s\", which is not a "
			    "field at this level or an enclosing one", c->target_name);
	if (t->type == FT_GROUP || t->type == FT_HEADING || t->type == FT_FILE)
		return fail(err, errlen, f->path, "show_if cannot depend on the %s field \"%s\"",
			    type_names[t->type], t->name);
	c->target = t;
	switch (c->op) {
	case COND_CHECKED:
		if (t->type != FT_CHECKBOX)
			return fail(err, errlen, f->path,
				    "show_if \"checked\" needs a checkbox field, \"%s\" is %s",
				    t->name, type_names[t->type]);
		if (!is_option(t, c->value))
			return fail(err, errlen, f->path, "show_if: \"%s\" has no option \"%s\"",
				    t->name, json_string_value(c->value));
		break;
	case COND_EQUALS:
		if (!value_fits(t, c->value))
			return fail(err, errlen, f->path,
				    "show_if: \"%s\" can never equal the value given", t->name);
		break;
	case COND_IN:
		json_array_foreach(c->value, i, v)
			if (!value_fits(t, v))
				return fail(err, errlen, f->path,
					    "show_if: \"%s\" can never have in[%zu]", t->name, i);
		break;
	}
	return 0;
}

static int
check_conditions(struct form_schema *s, char *err, size_t errlen)
{
	size_t i, steps;
	const struct fs_field *cur;

	for (i = 0; i < s->total; i++)
		if (s->all[i]->has_cond && resolve_condition(s->all[i], err, errlen))
			return -1;
	/* Each field has at most one target, so a loop is found by following targets
	 * from every field for as many steps as there are fields. */
	for (i = 0; i < s->total; i++) {
		struct fs_field *f = s->all[i];

		for (cur = f, steps = 0; cur->has_cond && steps <= s->total; steps++) {
			cur = cur->cond.target;
			if (cur == f)
				return fail(err, errlen, f->path, "show_if conditions form a cycle "
					    "through \"%s\"", f->cond.target->name);
		}
	}
	for (i = 0; i < s->total; i++) {
		struct fs_field *f = s->all[i];

		/* No cycles are left, but the walk stays bounded all the same. */
		for (cur = f, steps = 0; cur->has_cond && steps <= FORM_COND_CHAIN_MAX; steps++)
			cur = cur->cond.target;
		if (steps > FORM_COND_CHAIN_MAX)
			return fail(err, errlen, f->path, "show_if conditions chain deeper than %d",
				    FORM_COND_CHAIN_MAX);
	}
	return 0;
}

static void
free_level(struct fs_level *lv)
{
	for (size_t i = 0; i < lv->n; i++) {
		free(lv->fields[i].options);
		free_level(&lv->fields[i].sub);
	}
	free(lv->fields);
}

void
form_schema_free(struct form_schema *s)
{
	if (s == NULL)
		return;
	free_level(&s->top);
	free(s->all);
	json_decref(s->doc);
	free(s);
}

int
form_schema_parse(const json_t *schema, struct form_schema **out, char *err, size_t errlen)
{
	struct form_schema *s;

	*out = NULL;
	if (!json_is_object(schema))
		return fail(err, errlen, "schema", "must be a JSON object");
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->all = calloc(FORM_FIELDS_TOTAL_MAX, sizeof(*s->all))) == NULL) {
		form_schema_free(s);
		return fail(err, errlen, "schema", "out of memory");
	}
	/* Only "fields" is copied: a procedure document passed whole keeps its other
	 * members, which may be large, to itself. */
	if ((s->doc = json_deep_copy(json_object_get(schema, "fields"))) == NULL &&
	    json_object_get(schema, "fields") != NULL) {
		form_schema_free(s);
		return fail(err, errlen, "schema", "out of memory");
	}
	if (parse_level(s, &s->top, s->doc, "", err, errlen) || check_conditions(s, err, errlen)) {
		form_schema_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

json_t *
form_quota_options(const struct form_schema *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->total; i++) {
		const struct fs_field *f = s->all[i];

		for (size_t k = 0; k < f->noptions; k++) {
			if (f->options[k].quota < 0)
				continue;
			if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I}",
				"path", f->path, "value", f->options[k].value,
				"label", f->options[k].label,
				"quota", (json_int_t)f->options[k].quota)) != 0) {
				json_decref(arr);
				return NULL;
			}
		}
	}
	return arr;
}

json_t *
form_file_fields(const struct form_schema *s)
{
	json_t *arr = json_array(), *acc;

	for (size_t i = 0; arr && i < s->total; i++) {
		const struct fs_field *f = s->all[i];

		if (f->type != FT_FILE)
			continue;
		acc = json_array();
		for (size_t k = 0; acc && k < NACCEPT; k++)
			if ((f->accept & (1u << k)) &&
			    json_array_append_new(acc, json_string(accept_names[k])) != 0) {
				json_decref(acc);
				acc = NULL;
			}
		if (acc == NULL || json_array_append_new(arr, json_pack("{s:s, s:o, s:I, s:I}",
				"path", f->path, "accept", acc,
				"max_files", (json_int_t)f->max_files,
				"max_file_bytes", (json_int_t)f->max_file_bytes)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int
form_file_limits(const struct form_schema *s, const char *schema_path,
		 struct form_file_limits *out)
{
	for (size_t i = 0; i < s->total; i++) {
		const struct fs_field *f = s->all[i];

		if (f->type == FT_FILE && strcmp(f->path, schema_path) == 0) {
			out->accept = f->accept;
			out->max_files = (int)f->max_files;
			out->max_file_bytes = f->max_file_bytes;
			return 0;
		}
	}
	return -1;
}
