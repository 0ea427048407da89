/*
 * form_internal.h — the parsed schema, shared by form_schema.c (which builds and
 * checks it) and form_validate.c (which only reads it). Strings point into the
 * schema's private copy of the JSON document, so they live as long as the schema.
 */
#ifndef SEKISHO_FORM_INTERNAL_H
#define SEKISHO_FORM_INTERNAL_H

#include "form.h"

enum form_type {
	FT_TEXT, FT_TEXTAREA, FT_KANA, FT_NUMBER, FT_DATE, FT_EMAIL, FT_TEL, FT_POSTAL,
	FT_SELECT, FT_RADIO, FT_CHECKBOX, FT_GROUP, FT_FILE, FT_AGREEMENT, FT_HEADING,
};

struct fs_option {
	const char *value, *label;
	long long quota;		/* -1: no quota */
};

enum cond_op { COND_EQUALS, COND_IN, COND_CHECKED };

struct fs_field;

struct fs_cond {
	enum cond_op op;
	const char *target_name;
	const json_t *value;		/* equals: a scalar; in: an array; checked: a string */
	struct fs_field *target;	/* resolved after the whole tree is read */
	int up;				/* how many levels out the target is (0: same level) */
};

enum date_bound_kind { DB_NONE, DB_ABS, DB_TODAY };

struct fs_date_bound {
	enum date_bound_kind kind;
	int y, m, d;			/* DB_ABS */
	int years, months;		/* DB_TODAY offsets */
	long days;
};

struct fs_level {
	struct fs_field *fields;
	size_t n;
	struct fs_level *outer;		/* NULL at the top */
	int depth;			/* 0 at the top, +1 per group */
};

struct fs_field {
	const char *name, *label;
	enum form_type type;
	bool required;
	size_t index;			/* position in its level */
	struct fs_level *level;		/* the level it is in */
	char path[FORM_PATH_MAX];	/* schema path: "children.birth_date" */
	/* text, textarea, kana */
	long long min_length, max_length;
	/* number */
	bool has_min, has_max, integer;
	double min, max;
	/* date */
	struct fs_date_bound min_date, max_date;
	/* select, radio, checkbox */
	struct fs_option *options;
	size_t noptions;
	long long min_choices, max_choices;
	/* group */
	struct fs_level sub;
	long long min_items, max_items;
	/* file */
	unsigned accept;
	long long max_files, max_file_bytes;
	/* postal */
	const char *address_field;
	/* show_if */
	bool has_cond;
	struct fs_cond cond;
};

struct form_schema {
	json_t *doc;			/* private deep copy; strings above point into it */
	struct fs_level top;
	struct fs_field **all;		/* every field, in document (pre-)order */
	size_t total, reserved;
};

/* Resolve a DB_TODAY or DB_ABS bound to a date: 0, or -1 (no today given, or out of
 * range). */
int form_bound_date(const struct fs_date_bound *b, int ty, int tm, int td, int *y, int *m,
		    int *d);

#endif
