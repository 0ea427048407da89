/*
 * form.h — a procedure's form schema, and the one validator of its answers.
 *
 * The same code decides in both zones: portald validates what a citizen submits,
 * the sanitizer validates again before it signs a bundle, and officed can re-check
 * on import. Only answers that form_validate accepted, in the normalised form it
 * returns, may cross to LGWAN; the browser's own checks are a courtesy.
 *
 * The schema comes from staff (bounded all the same: every count, length and depth
 * has a named limit below, refused at parse time with a reason). The answers come
 * from the internet: unknown keys are refused, hidden fields are dropped, and the
 * work done per answer is bounded by the schema. The format is docs/form-schema.md.
 *
 * Paths name an answer: "name", "children[1].birth_date" (group items counted from
 * 0). Schema paths name a field, items left out: "children.birth_date"; quota and
 * file-limit look-ups use those.
 */
#ifndef SEKISHO_FORM_H
#define SEKISHO_FORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define FORM_NAME_MAX		64	/* [a-z][a-z0-9_]{0,63} */
#define FORM_FIELDS_PER_LEVEL_MAX 200	/* a long paper form has ~100 boxes */
#define FORM_FIELDS_TOTAL_MAX	1000
#define FORM_GROUP_DEPTH_MAX	3	/* a group in a group in a group */
#define FORM_OPTIONS_MAX	200	/* e.g. every 町名 of a town */
#define FORM_IN_VALUES_MAX	FORM_OPTIONS_MAX
#define FORM_LABEL_MAX		200	/* code points, labels of fields and options */
#define FORM_HELP_MAX		2000
#define FORM_TERMS_MAX		50000	/* a whole 利用規約 */
#define FORM_OPTION_VALUE_MAX	100
#define FORM_TEXT_LIMIT		1000	/* the largest max_length of text and kana */
#define FORM_TEXTAREA_LIMIT	20000	/* ... and of textarea */
#define FORM_ITEMS_LIMIT	100	/* the largest max_items of a group */
#define FORM_ANSWER_ITEMS_MAX	1000	/* group items in one answer, all groups together */
#define FORM_FILES_LIMIT	20	/* the largest max_files */
#define FORM_FILE_BYTES_LIMIT	(100LL * 1024 * 1024)
#define FORM_COND_CHAIN_MAX	8	/* show_if on show_if on ...: at least 3 are promised */
#define FORM_ERRORS_MAX		500	/* errors reported for one answer; more are counted only */
#define FORM_PATH_MAX		320	/* 3 levels of names and [index] fit */
#define FORM_UPLOAD_ID_MAX	64	/* [A-Za-z0-9_-]{1,64} */

/* File kinds a file field accepts (its "accept" list). */
enum {
	FORM_ACCEPT_PDF = 1 << 0,
	FORM_ACCEPT_IMAGE = 1 << 1,
	FORM_ACCEPT_OFFICE = 1 << 2,
	FORM_ACCEPT_TEXT = 1 << 3,
};

struct form_schema;

/* Parse and check a schema ({"fields": [...]}; other top-level members are ignored,
 * so a procedure document can be passed whole). 0 and *out (free with
 * form_schema_free), or -1 with "field path: why" in err. The schema keeps its own
 * copy of what it needs; the caller keeps ownership of schema. */
int form_schema_parse(const json_t *schema, struct form_schema **out, char *err, size_t errlen);
void form_schema_free(struct form_schema *s);

struct form_context {
	int today_y, today_m, today_d;	/* for "today" date bounds; required when used */
	/* true if option value of the field at schema path is full (到達制限); called
	 * only for options that have a quota. NULL: no option is full. */
	bool (*option_full)(void *arg, const char *schema_path, const char *value);
	void *arg;
};

/* Validate answers (a JSON object) against s. 0 when valid: *normalised is a new
 * object (kana converted, numbers, tel and postal normalised, hidden and empty
 * fields dropped). 1 when invalid: *errors is a new object {path: message} whose
 * members are in field order (see form_errors_list). -1 on an internal failure
 * (memory, or a "today" bound with no date in ctx). The other pointer is set NULL. */
int form_validate(const struct form_schema *s, const json_t *answers,
		  const struct form_context *ctx, json_t **normalised, json_t **errors);

/* The errors of form_validate as an array [{"path": p, "message": m}, ...] in field
 * order, for an error summary (エラーの一覧). New reference, NULL on no memory. */
json_t *form_errors_list(const json_t *errors);

/* The options that have a quota: [{"path": schema path, "value", "label", "quota"}].
 * New reference, NULL on no memory. */
json_t *form_quota_options(const struct form_schema *s);

/* The file fields and their limits: [{"path": schema path, "accept": ["pdf", ...],
 * "max_files", "max_file_bytes"}]. New reference, NULL on no memory. */
json_t *form_file_fields(const struct form_schema *s);

struct form_file_limits {
	unsigned accept;		/* FORM_ACCEPT_* bits */
	int max_files;
	long long max_file_bytes;
};

/* The limits of the file field at schema_path: 0, or -1 if there is no such field. */
int form_file_limits(const struct form_schema *s, const char *schema_path,
		     struct form_file_limits *out);

/* Call cb for every upload id in normalised answers (as form_validate returned
 * them), with the answer path ("docs", "children[0].proof") and the field's schema
 * path. Stops at the first nonzero return of cb and returns it; 0 after all. */
int form_walk_files(const struct form_schema *s, const json_t *normalised,
		    int (*cb)(void *arg, const char *path, const char *schema_path,
			      const char *upload_id),
		    void *arg);

/* Call cb for every chosen option that has a quota in normalised answers, with the
 * field's schema path and the value: what the portal counts toward 到達制限 when it
 * accepts a submission. Stops at the first nonzero return of cb and returns it. */
int form_walk_quota_choices(const struct form_schema *s, const json_t *normalised,
			    int (*cb)(void *arg, const char *schema_path, const char *value),
			    void *arg);

#endif
