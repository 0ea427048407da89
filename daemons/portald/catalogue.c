/*
 * catalogue.c — checking, storing and reading procedure definitions.
 *
 * The definitions come from LGWAN, signed by the office, so they are not hostile in
 * the way a request is; they are still bounded and checked member by member, because
 * a definition the portal misreads would show citizens the wrong form, and the form
 * schema inside it drives the validator that decides what may cross to LGWAN.
 * Unknown members are refused rather than ignored: a misspelt "closes_at" must not
 * leave a procedure open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fee.h"
#include "form.h"
#include "jsonio.h"
#include "mail.h"
#include "procfile.h"
#include "procsig.h"
#include "timefmt.h"

#define TITLE_MAX       200	/* characters */
#define SUMMARY_MAX     2000
#define TEXT_MAX        20000	/* info.description, terms */
#define SHORT_MAX       64	/* category, life event, keyword */
#define LIST_ITEMS_MAX  32
#define NOTIFY_SUBJECT_MAX 100	/* characters of a staff-written email subject */
#define NOTIFY_LEAD_MAX    2000	/* ... and of its first paragraph */

int
catalogue_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
		return 0;
	for (i = 0; id[i] != '\0'; i++) {
		char c = id[i];

		if (i >= CATALOGUE_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* Characters (code points) in a UTF-8 string; jansson has checked the encoding. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

struct checker {
	const char *id;
	char *err;
	size_t errlen;
};

static int
fail(struct checker *c, const char *member, const char *why)
{
	snprintf(c->err, c->errlen, "procedure %s: %s: %s", c->id ? c->id : "(no id)", member,
		 why);
	return -1;
}

static int
check_text(struct checker *c, const json_t *obj, const char *key, bool required,
	   size_t max_chars)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return required ? fail(c, key, "missing") : 0;
	if (!json_is_string(v))
		return fail(c, key, "not a string");
	if (required && json_string_length(v) == 0)
		return fail(c, key, "empty");
	if (utf8_chars(json_string_value(v)) > max_chars)
		return fail(c, key, "too long");
	return 0;
}

static int
check_enum(struct checker *c, const json_t *obj, const char *key, const char *const *allowed)
{
	const char *s = jsonio_str(obj, key, NULL);

	if (json_object_get(obj, key) == NULL)
		return 0;	/* every enum member has a default */
	for (; s && *allowed; allowed++)
		if (strcmp(s, *allowed) == 0)
			return 0;
	return fail(c, key, "not one of the allowed values");
}

static int
check_string_list(struct checker *c, const json_t *obj, const char *key, size_t max_chars)
{
	const json_t *v = json_object_get(obj, key), *e;
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > LIST_ITEMS_MAX)
		return fail(c, key, "not a list of at most 32 strings");
	json_array_foreach(v, i, e)
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    utf8_chars(json_string_value(e)) > max_chars)
			return fail(c, key, "an entry is not a short non-empty string");
	return 0;
}

static int
check_bool(struct checker *c, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return v == NULL || json_is_boolean(v) ? 0 : fail(c, key, "not true or false");
}

static int
check_only_keys(struct checker *c, const json_t *obj, const char *what,
		const char *const *keys)
{
	const char *k, *const *p;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		for (p = keys; *p; p++)
			if (strcmp(k, *p) == 0)
				break;
		if (*p == NULL) {
			char m[160];

			snprintf(m, sizeof m, "%s%s%s", what, *what ? "." : "", k);
			return fail(c, m, "unknown member");
		}
	}
	return 0;
}

static int
check_time(struct checker *c, const json_t *obj, const char *key, time_t *out, bool *set)
{
	const json_t *v = json_object_get(obj, key);

	*set = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || timefmt_parse_rfc3339(json_string_value(v), out) != 0)
		return fail(c, key, "not an RFC 3339 time (2026-04-01T09:00:00+09:00)");
	*set = true;
	return 0;
}

static int
check_reception(struct checker *c, const json_t *r)
{
	static const char *const keys[] = { "opens_at", "closes_at", NULL };
	time_t o = 0, cl = 0;
	bool os, cs;

	if (r == NULL)
		return 0;
	if (!json_is_object(r))
		return fail(c, "reception", "not an object");
	if (check_only_keys(c, r, "reception", keys) || check_time(c, r, "opens_at", &o, &os) ||
	    check_time(c, r, "closes_at", &cl, &cs))
		return -1;
	if (os && cs && cl <= o)
		return fail(c, "reception", "closes_at is not after opens_at");
	return 0;
}

static int
check_attachments(struct checker *c, const json_t *a)
{
	static const char *const keys[] = { "max_files", "max_total_bytes", NULL };
	long long v;

	if (a == NULL)
		return 0;
	if (!json_is_object(a) || check_only_keys(c, a, "attachments", keys))
		return a && json_is_object(a) ? -1 : fail(c, "attachments", "not an object");
	if (json_object_get(a, "max_files") &&
	    jsonio_int(a, "max_files", 0, 32, &v) != 0)
		return fail(c, "attachments.max_files", "not 0..32");
	if (json_object_get(a, "max_total_bytes") &&
	    jsonio_int(a, "max_total_bytes", 0, 200LL << 20, &v) != 0)
		return fail(c, "attachments.max_total_bytes", "not 0..200 MiB");
	return 0;
}

static int
check_info(struct checker *c, const json_t *info)
{
	static const char *const keys[] = { "description", "bring", "contact", NULL };

	if (info == NULL)
		return 0;
	if (!json_is_object(info))
		return fail(c, "info", "not an object");
	if (check_only_keys(c, info, "info", keys) ||
	    check_text(c, info, "description", false, TEXT_MAX) ||
	    check_string_list(c, info, "bring", TITLE_MAX) ||
	    check_text(c, info, "contact", false, SUMMARY_MAX))
		return -1;
	return 0;
}

static int
check_proxy(struct checker *c, const json_t *px)
{
	static const char *const keys[] = { "allowed", "attorney_required", NULL };

	if (px == NULL)
		return 0;
	if (!json_is_object(px))
		return fail(c, "proxy", "not an object");
	return check_only_keys(c, px, "proxy", keys) || check_bool(c, px, "allowed") ||
	       check_bool(c, px, "attorney_required") ? -1 : 0;
}

/* sanitizer: the procedure's own policy for its uploads (docs/sanitizer.md): zips
 * whose members are each sanitized, and docx/xlsx/pptx kept editable. Absent: the
 * sanitizer service's configured defaults. */
static int
check_sanitizer(struct checker *c, const json_t *sp)
{
	static const char *const keys[] = { "allow_archives", "keep_ooxml", NULL };

	if (sp == NULL)
		return 0;
	if (!json_is_object(sp))
		return fail(c, "sanitizer", "not an object");
	return check_only_keys(c, sp, "sanitizer", keys) || check_bool(c, sp, "allow_archives") ||
	       check_bool(c, sp, "keep_ooxml") ? -1 : 0;
}

static const char *const notify_events[] = { "arrival", "accepted", "review", "correction",
					     "message", "result", "completed", "document", NULL };

/* Whether text renders with the placeholders an applicant email has (notify.c):
 * a misspelt {{reciept_no}} is refused here, not found when a mail fails to send. */
static int
renders(const char *text)
{
	json_t *vars = json_pack("{s:s,s:s,s:s,s:s}", "title", "t", "receipt_no", "r", "at", "a",
				 "status_url", "u");
	char *out = NULL;
	int ok = vars != NULL && mail_render(text, vars, &out) == MAIL_OK;

	free(out);
	json_decref(vars);
	return ok;
}

/* notify.templates: {event: {subject, lead}}, the procedure's own words for the
 * subject and first paragraph of an applicant email; the rest (到達番号, the status
 * page, the footer) stays fixed so that no email can leave out how to check. */
static int
check_notify_templates(struct checker *c, const json_t *t)
{
	static const char *const keys[] = { "subject", "lead", NULL };
	const char *event;
	const json_t *v;

	if (t == NULL)
		return 0;
	if (!json_is_object(t))
		return fail(c, "notify.templates", "not an object");
	if (check_only_keys(c, t, "notify.templates", notify_events))
		return -1;
	json_object_foreach((json_t *)t, event, v) {
		const char *subject = jsonio_str(v, "subject", NULL), *lead = jsonio_str(v, "lead", NULL);

		if (!json_is_object(v))
			return fail(c, "notify.templates", "not an object");
		if (check_only_keys(c, v, "notify.templates", keys) ||
		    check_text(c, v, "subject", true, NOTIFY_SUBJECT_MAX) ||
		    check_text(c, v, "lead", true, NOTIFY_LEAD_MAX))
			return -1;
		if (strpbrk(subject, "\r\n\t") != NULL)
			return fail(c, "notify.templates.subject", "not one line");
		if (!renders(subject) || !renders(lead))
			return fail(c, "notify.templates", "unknown placeholder (title, receipt_no, at, "
				    "status_url)");
	}
	return 0;
}

static int
check_notify(struct checker *c, const json_t *n)
{
	static const char *const keys[] = { "email_field", "events", "templates", NULL };
	const char *const *events = notify_events;
	const json_t *ev, *e;
	const char *const *p;
	size_t i;

	if (n == NULL)
		return 0;
	if (!json_is_object(n))
		return fail(c, "notify", "not an object");
	if (check_only_keys(c, n, "notify", keys) || check_text(c, n, "email_field", false, 64) ||
	    check_notify_templates(c, json_object_get(n, "templates")))
		return -1;
	if ((ev = json_object_get(n, "events")) == NULL)
		return 0;
	if (!json_is_array(ev))
		return fail(c, "notify.events", "not a list");
	json_array_foreach(ev, i, e) {
		for (p = events; *p; p++)
			if (json_is_string(e) && strcmp(json_string_value(e), *p) == 0)
				break;
		if (*p == NULL)
			return fail(c, "notify.events", "unknown event");
	}
	return 0;
}

int
catalogue_is_test(const json_t *proc)
{
	return json_is_true(json_object_get(proc, "test"));
}

int
catalogue_check_procedure(const json_t *proc, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"id", "version", "title", "summary", "category", "life_events", "keywords",
		"visibility", "identity", "info_only", "info", "reception", "schema",
		"attachments", "duplicate_rule", "proxy", "notify", "sort_order", "fee", "files",
		"test", "sanitizer", NULL,
	};
	static const char *const visibility[] = { "public", "unlisted", "internal", NULL };
	static const char *const identity[] = { "none", "account", NULL };
	static const char *const duplicate[] = { "none", "account", "identity", NULL };
	struct checker c = { NULL, err, errlen };
	struct form_schema *fs = NULL;
	const json_t *schema;
	long long v;
	bool info_only = false;
	char ferr[256];

	if (!json_is_object(proc))
		return fail(&c, "(procedure)", "not an object");
	c.id = jsonio_str(proc, "id", NULL);
	if (!catalogue_id_valid(c.id)) {
		c.id = NULL;
		return fail(&c, "id", "missing or not [a-z0-9-]{1,64}");
	}
	if (check_only_keys(&c, proc, "", keys))
		return -1;
	if (jsonio_int(proc, "version", 1, 1000000000, &v) != 0)
		return fail(&c, "version", "missing or not 1..10^9");
	if (check_text(&c, proc, "title", true, TITLE_MAX) ||
	    check_text(&c, proc, "summary", false, SUMMARY_MAX) ||
	    check_text(&c, proc, "category", false, SHORT_MAX) ||
	    check_string_list(&c, proc, "life_events", SHORT_MAX) ||
	    check_string_list(&c, proc, "keywords", SHORT_MAX) ||
	    check_enum(&c, proc, "visibility", visibility) ||
	    check_enum(&c, proc, "identity", identity) ||
	    check_enum(&c, proc, "duplicate_rule", duplicate) ||
	    check_bool(&c, proc, "info_only") ||
	    check_bool(&c, proc, "test") ||
	    check_info(&c, json_object_get(proc, "info")) ||
	    check_reception(&c, json_object_get(proc, "reception")) ||
	    check_attachments(&c, json_object_get(proc, "attachments")) ||
	    check_proxy(&c, json_object_get(proc, "proxy")) ||
	    check_sanitizer(&c, json_object_get(proc, "sanitizer")) ||
	    check_notify(&c, json_object_get(proc, "notify")))
		return -1;
	if (procfile_check(json_object_get(proc, "files"), ferr, sizeof ferr) != 0)
		return fail(&c, "files", ferr);
	/* A test version is told apart by its id too, so that neither a real procedure
	 * can pass for a test one nor a test one be listed. */
	if (catalogue_is_test(proc) !=
	    (strncmp(c.id, CATALOGUE_TEST_PREFIX, strlen(CATALOGUE_TEST_PREFIX)) == 0))
		return fail(&c, "test", "only ids starting with " CATALOGUE_TEST_PREFIX
			    " are test versions, and they must say \"test\": true");
	if (catalogue_is_test(proc) &&
	    strcmp(jsonio_str(proc, "visibility", ""), "unlisted") != 0)
		return fail(&c, "visibility", "a test version must be unlisted");
	if (json_object_get(proc, "sort_order") &&
	    jsonio_int(proc, "sort_order", -1000000, 1000000, &v) != 0)
		return fail(&c, "sort_order", "not an integer in range");
	jsonio_bool(proc, "info_only", &info_only);
	schema = json_object_get(proc, "schema");
	if (schema == NULL && !info_only)
		return fail(&c, "schema", "missing (only info_only procedures have no form)");
	if (schema == NULL)
		return fee_check(json_object_get(proc, "fee"), NULL, ferr, sizeof ferr) == 0
			       ? 0 : fail(&c, "fee", ferr);
	if (form_schema_parse(schema, &fs, ferr, sizeof ferr) != 0)
		return fail(&c, "schema", ferr);
	form_schema_free(fs);
	if (fee_check(json_object_get(proc, "fee"), schema, ferr, sizeof ferr) != 0)
		return fail(&c, "fee", ferr);
	return 0;
}

/* The text a keyword is searched in: title, summary, category, keywords. */
static char *
search_text(const json_t *proc)
{
	json_t *parts = json_array();
	const json_t *kw = json_object_get(proc, "keywords"), *e;
	char *s;
	size_t i, len = 0;

	json_array_append_new(parts, json_string(jsonio_str(proc, "title", "")));
	json_array_append_new(parts, json_string(jsonio_str(proc, "summary", "")));
	json_array_append_new(parts, json_string(jsonio_str(proc, "category", "")));
	json_array_foreach(kw, i, e)
		json_array_append(parts, (json_t *)e);
	json_array_foreach(parts, i, e)
		len += json_string_length(e) + 1;
	if ((s = malloc(len + 1)) != NULL) {
		s[0] = '\0';
		json_array_foreach(parts, i, e) {
			strcat(s, json_string_value(e));
			strcat(s, "\n");
		}
	}
	json_decref(parts);
	return s;
}

static int
store_procedure(struct db *db, const json_t *proc, const char *signature, time_t now,
		char *err, size_t errlen)
{
	const char *id = jsonio_str(proc, "id", "");
	long long version = 0, sort_order = 0, cur = 0;
	char *def = jsonio_dump(proc), *text = search_text(proc), *events;
	const json_t *r = json_object_get(proc, "reception");
	time_t opens = 0, closes = 0;
	bool has_open, has_close;
	struct checker c = { id, err, errlen };
	sqlite3_stmt *st;
	int rc = -1;

	jsonio_int(proc, "version", 1, 1000000000, &version);
	jsonio_int(proc, "sort_order", -1000000, 1000000, &sort_order);
	check_time(&c, r, "opens_at", &opens, &has_open);
	check_time(&c, r, "closes_at", &closes, &has_close);
	events = json_object_get(proc, "life_events") ? jsonio_dump(json_object_get(proc,
								      "life_events"))
						      : strdup("[]");
	if (def == NULL || text == NULL || events == NULL)
		goto out;

	/* A version once published never changes: a second copy must be the same. */
	st = db_stmt(db, "SELECT definition FROM procedure_versions WHERE id = ? AND version = ?");
	if (st == NULL)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int same = strcmp((const char *)sqlite3_column_text(st, 0), def) == 0;

		sqlite3_reset(st);
		if (!same) {
			snprintf(err, errlen, "procedure %s: version %lld was already published "
				 "with another definition", id, version);
			goto out;
		}
	} else {
		sqlite3_reset(st);
		st = db_stmt(db, "INSERT INTO procedure_versions (id, version, definition, "
				 "received_at, signature) VALUES (?, ?, ?, ?, ?)");
		if (st == NULL)
			goto out;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, version);
		sqlite3_bind_text(st, 3, def, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_text(st, 5, signature, -1, SQLITE_STATIC);
		if (db_step_done(st) != 0)
			goto dberr;
	}

	st = db_stmt(db, "SELECT version FROM procedures WHERE id = ?");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		cur = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (cur > version) {
		rc = 0;	/* an older version arriving late: kept, not made current */
		goto out;
	}
	st = db_stmt(db, "INSERT INTO procedures (id, version, title, search_text, category, "
			 "life_events, visibility, opens_at, closes_at, sort_order, withdrawn) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0) "
			 "ON CONFLICT (id) DO UPDATE SET version = ?2, title = ?3, "
			 "search_text = ?4, category = ?5, life_events = ?6, visibility = ?7, "
			 "opens_at = ?8, closes_at = ?9, sort_order = ?10, withdrawn = 0");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_text(st, 3, jsonio_str(proc, "title", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, jsonio_str(proc, "category", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, events, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, jsonio_str(proc, "visibility", "public"), -1, SQLITE_STATIC);
	if (has_open)
		sqlite3_bind_int64(st, 8, (sqlite3_int64)opens);
	if (has_close)
		sqlite3_bind_int64(st, 9, (sqlite3_int64)closes);
	sqlite3_bind_int64(st, 10, sort_order);
	if (db_step_done(st) != 0)
		goto dberr;
	rc = 0;
	goto out;
dberr:
	snprintf(err, errlen, "procedure %s: database: %s", id, db_errmsg(db));
out:
	free(def);
	free(text);
	free(events);
	return rc;
}

int
catalogue_apply(struct db *db, const json_t *msg, const char *tenant,
		const struct keyring *office_keys, time_t now, char *err, size_t errlen)
{
	const json_t *procs, *withdrawn, *p, *sigs;
	char key[CATALOGUE_ID_MAX + 16];
	size_t i;

	if (!json_is_object(msg) || strcmp(jsonio_str(msg, "format", ""), CATALOGUE_FORMAT)) {
		snprintf(err, errlen, "catalogue: format is not %s", CATALOGUE_FORMAT);
		return -1;
	}
	procs = json_object_get(msg, "procedures");
	withdrawn = json_object_get(msg, "withdrawn");
	if ((procs && (!json_is_array(procs) ||
		       json_array_size(procs) > CATALOGUE_MAX_PROCEDURES)) ||
	    (withdrawn && (!json_is_array(withdrawn) ||
			   json_array_size(withdrawn) > CATALOGUE_MAX_PROCEDURES))) {
		snprintf(err, errlen, "catalogue: procedures/withdrawn not lists of at most %d",
			 CATALOGUE_MAX_PROCEDURES);
		return -1;
	}
	/* Check everything before storing anything. */
	sigs = json_object_get(msg, "signatures");
	json_array_foreach(procs, i, p) {
		if (catalogue_check_procedure(p, err, errlen) != 0)
			return -1;
		if (procsig_key(p, key, sizeof key) != 0 ||
		    !procsig_verify_ring(office_keys, now, tenant, p, jsonio_str(sigs, key, NULL))) {
			snprintf(err, errlen, "procedure %s: no valid office signature for tenant %s",
				 jsonio_str(p, "id", "?"), tenant);
			return -1;
		}
	}
	json_array_foreach(withdrawn, i, p)
		if (!json_is_string(p) || !catalogue_id_valid(json_string_value(p))) {
			snprintf(err, errlen, "catalogue: withdrawn[%zu] is not a procedure id", i);
			return -1;
		}
	json_array_foreach(procs, i, p) {
		procsig_key(p, key, sizeof key);
		if (store_procedure(db, p, jsonio_str(sigs, key, NULL), now, err, errlen) != 0)
			return -1;
	}
	json_array_foreach(withdrawn, i, p) {
		sqlite3_stmt *st = db_stmt(db, "UPDATE procedures SET withdrawn = 1 WHERE id = ?");

		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, json_string_value(p), -1, SQLITE_STATIC);
		if (db_step_done(st) != 0) {
			snprintf(err, errlen, "catalogue: withdraw %s: %s", json_string_value(p),
				 db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

enum catalogue_reception
catalogue_reception(const json_t *proc, time_t now, char *msg, size_t msglen)
{
	const json_t *r = json_object_get(proc, "reception");
	struct checker c = { NULL, NULL, 0 };
	char when[TIMEFMT_LEN], e[8];
	time_t opens = 0, closes = 0;
	bool has_open = false, has_close = false;

	c.err = e;
	c.errlen = sizeof e;
	if (r != NULL) {
		check_time(&c, r, "opens_at", &opens, &has_open);
		check_time(&c, r, "closes_at", &closes, &has_close);
	}
	msg[0] = '\0';
	if (has_open && now < opens) {
		timefmt_jst_text(opens, when);
		snprintf(msg, msglen, "この手続の受付は%sに始まります。", when);
		return CATALOGUE_UPCOMING;
	}
	if (has_close && now >= closes) {
		timefmt_jst_text(closes, when);
		snprintf(msg, msglen, "この手続の受付は%sに終了しました。", when);
		return CATALOGUE_CLOSED;
	}
	return CATALOGUE_OPEN;
}

static const char *
reception_name(enum catalogue_reception r)
{
	return r == CATALOGUE_OPEN ? "open" : r == CATALOGUE_UPCOMING ? "upcoming" : "closed";
}

/* {"state", "message", "opens_at", "closes_at"} added to a definition or list item. */
static void
add_reception(json_t *out, const json_t *proc, time_t now)
{
	const json_t *r = json_object_get(proc, "reception");
	char msg[256];
	enum catalogue_reception st = catalogue_reception(proc, now, msg, sizeof msg);

	json_object_set_new(out, "reception",
			    json_pack("{s:s,s:s,s:O?,s:O?}", "state", reception_name(st),
				      "message", msg, "opens_at", json_object_get(r, "opens_at"),
				      "closes_at", json_object_get(r, "closes_at")));
}

static json_t *
load_definition(struct db *db, const char *sql, const char *id, long long version)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	json_t *def = NULL;
	char err[128];

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (version > 0)
		sqlite3_bind_int64(st, 2, version);
	if (sqlite3_step(st) == SQLITE_ROW)
		def = jsonio_parse((const char *)sqlite3_column_text(st, 0),
				   (size_t)sqlite3_column_bytes(st, 0), 8 << 20,
				   JSONIO_MAX_DEPTH, err, sizeof err);
	sqlite3_reset(st);
	return def;
}

json_t *
catalogue_get_version(struct db *db, const char *id, long long version)
{
	if (!catalogue_id_valid(id) || version < 1)
		return NULL;
	return load_definition(db, "SELECT definition FROM procedure_versions "
				   "WHERE id = ? AND version = ?", id, version);
}

json_t *
catalogue_get_current(struct db *db, const char *id)
{
	if (!catalogue_id_valid(id))
		return NULL;
	return load_definition(db, "SELECT v.definition FROM procedures p "
				   "JOIN procedure_versions v ON v.id = p.id AND v.version = p.version "
				   "WHERE p.id = ? AND p.withdrawn = 0 "
				   "AND p.visibility IN ('public', 'unlisted')", id, 0);
}

json_t *
catalogue_get(struct db *db, const char *id, time_t now)
{
	json_t *def = catalogue_get_current(db, id);

	if (def != NULL)
		add_reception(def, def, now);
	return def;
}

static void
add_unique(json_t *set, const char *s)
{
	const json_t *e;
	size_t i;

	if (s == NULL || *s == '\0')
		return;
	json_array_foreach(set, i, e)
		if (strcmp(json_string_value(e), s) == 0)
			return;
	json_array_append_new(set, json_string(s));
}

static bool
has_life_event(const json_t *events, const char *want)
{
	const json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
			return true;
	return false;
}

json_t *
catalogue_list(struct db *db, const struct catalogue_query *q, time_t now)
{
	sqlite3_stmt *st;
	json_t *out, *list, *categories, *events;
	char err[128];
	int rc;

	st = db_stmt(db, "SELECT v.definition, p.life_events, "
			 "  (?1 IS NULL OR instr(p.search_text, ?1) > 0), "
			 "  (?2 IS NULL OR p.category = ?2) "
			 "FROM procedures p "
			 "JOIN procedure_versions v ON v.id = p.id AND v.version = p.version "
			 "WHERE p.withdrawn = 0 AND p.visibility = 'public' "
			 "ORDER BY p.sort_order, p.id LIMIT ?3");
	if (st == NULL)
		return NULL;
	if (q->keyword && *q->keyword)
		sqlite3_bind_text(st, 1, q->keyword, -1, SQLITE_STATIC);
	if (q->category && *q->category)
		sqlite3_bind_text(st, 2, q->category, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, CATALOGUE_LIST_MAX);
	list = json_array();
	categories = json_array();
	events = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *def = jsonio_parse((const char *)sqlite3_column_text(st, 0),
					   (size_t)sqlite3_column_bytes(st, 0), 8 << 20,
					   JSONIO_MAX_DEPTH, err, sizeof err);
		const json_t *le, *e;
		json_t *item;
		size_t i;

		if (def == NULL)
			continue;
		le = json_object_get(def, "life_events");
		add_unique(categories, jsonio_str(def, "category", NULL));
		json_array_foreach(le, i, e)
			add_unique(events, json_string_value(e));
		if (!sqlite3_column_int(st, 2) || !sqlite3_column_int(st, 3) ||
		    (q->life_event && *q->life_event && !has_life_event(le, q->life_event))) {
			json_decref(def);
			continue;
		}
		item = json_pack("{s:O,s:O,s:s,s:s,s:o,s:s,s:b}",
				 "id", json_object_get(def, "id"),
				 "version", json_object_get(def, "version"),
				 "title", jsonio_str(def, "title", ""),
				 "summary", jsonio_str(def, "summary", ""),
				 "life_events", le ? json_incref((json_t *)le) : json_array(),
				 "category", jsonio_str(def, "category", ""),
				 "info_only", json_is_true(json_object_get(def, "info_only")));
		json_object_set_new(item, "identity",
				    json_string(jsonio_str(def, "identity", "none")));
		add_reception(item, def, now);
		json_array_append_new(list, item);
		json_decref(def);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		json_decref(categories);
		json_decref(events);
		return NULL;
	}
	out = json_pack("{s:o,s:o,s:o}", "procedures", list, "categories", categories,
			"life_events", events);
	return out;
}

int
catalogue_get_signature(struct db *db, const char *id, long long version, char hex[129])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT signature FROM procedure_versions "
				       "WHERE id = ? AND version = ? AND signature IS NOT NULL");
	int rc = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == PROCSIG_HEX_LEN) {
		memcpy(hex, sqlite3_column_text(st, 0), PROCSIG_HEX_LEN + 1);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}
