/*
 * office_proctest.c — test versions of a draft (see office_proctest.h).
 *
 * What this file keeps true:
 *  - A test version is never the draft's own (id, version) on the portal: that
 *    pair becomes immutable there once stored, and the highest version becomes
 *    current, so publishing the draft itself as a test would publish it for real.
 *    It goes under CATALOGUE_TEST_PREFIX and 96 random bits instead, the same id
 *    for every test of one draft (the URL staff were given stays good), with the
 *    catalogue version counting the test publications.
 *  - What is tested is exactly what will be published, save id, version, title
 *    mark, visibility, the test flag and the reception period (a test is open at
 *    once): the same checker, the same signed bundle.
 *  - A test application is told apart by its procedure id alone (the prefix), so
 *    one that arrives after its draft was published or deleted is still one.
 */
#include "office_proctest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_procedures.h"
#include "timefmt.h"
#include "workflow.h"

#define MSG_NO_PROC  "指定された手続は見つかりません。"
#define TITLE_MAX_CHARS 200	/* catalogue.c's limit on a title */

int
office_proctest_current(struct db *db, const char *id, long long version,
			char test_id[PROCTEST_ID_MAX + 1])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT test_id FROM procedure_tests WHERE"
				       " procedure_id = ?1 AND procedure_version = ?2 AND"
				       " withdrawn_at IS NULL ORDER BY published_at DESC LIMIT 1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(test_id, PROCTEST_ID_MAX + 1, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
office_proctest_mark_withdrawn(struct db *db, const char *test_id)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE procedure_tests SET withdrawn_at ="
				       " strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE test_id = ?1"
				       " AND withdrawn_at IS NULL");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, test_id, -1, SQLITE_STATIC);
	return db_step_done(st);
}

int
office_proctest_resolve(struct db *db, const char *app_proc_id, char *id, size_t idlen,
			long long *version)
{
	sqlite3_stmt *st;
	int rc;

	if (app_proc_id == NULL ||
	    strncmp(app_proc_id, CATALOGUE_TEST_PREFIX, strlen(CATALOGUE_TEST_PREFIX)) != 0)
		return 0;
	if ((st = db_stmt(db, "SELECT procedure_id, procedure_version FROM procedure_tests"
			      " WHERE test_id = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, app_proc_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(id, idlen, "%s", sqlite3_column_text(st, 0));
		*version = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : -1;
}

/* Delete the rows of table naming the applications selected by the bound ?1 ?2. */
static int
delete_named(struct db *db, const char *sql, const char *id, long long version)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	return db_step_done(st);
}

#define TEST_APPS "(SELECT id FROM applications WHERE procedure_id = ?1" \
		  " AND procedure_version = ?2 AND test = 1)"

int
office_proctest_delete_apps(struct db *db, const char *id, long long version, json_t *receipts)
{
	/* Every table that names an application (office_db.c), children first; the
	 * text index too, whose greatest rowid app_query_sync continues from. */
	static const char *const children[] = {
		"DELETE FROM attachments WHERE application_id IN " TEST_APPS,
		"DELETE FROM application_history WHERE application_id IN " TEST_APPS,
		"DELETE FROM application_comments WHERE application_id IN " TEST_APPS,
		"DELETE FROM application_messages WHERE application_id IN " TEST_APPS,
		"DELETE FROM application_replies WHERE application_id IN " TEST_APPS,
		"DELETE FROM issued_documents WHERE application_id IN " TEST_APPS,
		"DELETE FROM application_links WHERE application_id IN " TEST_APPS,
		"DELETE FROM applications_fts WHERE rowid IN " TEST_APPS,
	};
	sqlite3_stmt *st;
	int n = 0, rc;

	if ((st = db_stmt(db, "SELECT receipt_no FROM applications WHERE procedure_id = ?1"
			      " AND procedure_version = ?2 AND test = 1 ORDER BY id")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);

		if (receipts != NULL)
			json_array_append_new(receipts, json_string(r ? r : ""));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
		if (delete_named(db, children[i], id, version) != 0)
			return -1;
	if (delete_named(db, "DELETE FROM applications WHERE procedure_id = ?1"
			     " AND procedure_version = ?2 AND test = 1", id, version) != 0)
		return -1;
	return n;
}

/* ---- the handlers ------------------------------------------------------------------ */

struct draft {
	char id[CATALOGUE_ID_MAX + 1];
	long long version;
	json_t *definition;
	char state[16];
};

/* The version named by the path, if the actor may see its department: 1; 0 replied
 * 404; -1 replied 500. */
static int
load_draft(struct http_request *req, struct office_actor *a, struct draft *d)
{
	const char *id = http_req_param(req, "id"), *vs = http_req_param(req, "version");
	sqlite3_stmt *st;
	int64_t dept = 0;
	char *end, err[64];
	int rc, ok;

	memset(d, 0, sizeof *d);
	d->version = vs ? strtoll(vs, &end, 10) : 0;
	if (!catalogue_id_valid(id) || vs == NULL || *end != '\0' || d->version < 1) {
		office_refuse(req, a, 404, "no_such_procedure", MSG_NO_PROC);
		return 0;
	}
	st = db_stmt(a->t->db, "SELECT definition, state, department_id FROM procedures"
			       " WHERE id = ?1 AND version = ?2");
	if (st == NULL) {
		office_fail_db(req, a, "procedure test");
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d->version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);

		snprintf(d->id, sizeof d->id, "%s", id);
		d->definition = text ? jsonio_parse(text, strlen(text), PROCEDURE_DEF_MAX,
						    JSONIO_MAX_DEPTH, err, sizeof err) : NULL;
		snprintf(d->state, sizeof d->state, "%s", sqlite3_column_text(st, 1));
		dept = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		office_fail_db(req, a, "procedure test");
		return -1;
	}
	/* Another department's draft is "not found" for a clerk (office_procedures.c). */
	ok = rc == SQLITE_ROW ? office_authz_department(a, dept) : 0;
	if (ok < 0) {
		json_decref(d->definition);
		office_fail_db(req, a, "procedure test");
		return -1;
	}
	if (ok == 0 || d->definition == NULL) {
		json_decref(d->definition);
		office_refuse(req, a, 404, "no_such_procedure", MSG_NO_PROC);
		return 0;
	}
	return 1;
}

/* The title with the test mark before it, cut to the catalogue's limit. */
static json_t *
test_title(const char *title)
{
	char buf[TITLE_MAX_CHARS * 4 + sizeof PROCTEST_TITLE_MARK];
	size_t chars = 5, o, i;		/* 【テスト】 is five characters */

	o = (size_t)snprintf(buf, sizeof buf, "%s", PROCTEST_TITLE_MARK);
	for (i = 0; title[i] && o < sizeof buf - 1; i++) {
		unsigned char c = (unsigned char)title[i];

		if ((c & 0xC0) != 0x80 && ++chars > TITLE_MAX_CHARS)
			break;
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return json_string(buf);
}

/* The path a citizen opens it at: the portal's {tenant}/procedures/{id}. */
static json_t *
test_path(const char *tenant, const char *test_id)
{
	char path[256];

	snprintf(path, sizeof path, "/%s/procedures/%s", tenant, test_id);
	return json_string(path);
}

void
office_handle_procedure_test_publish(struct http_request *req, void *app)
{
	struct office_actor a;
	struct draft d;
	char test_id[PROCTEST_ID_MAX + 1], bundle[SPOOL_ID_MAX + 1], sig[PROCSIG_HEX_LEN + 1];
	char err[512], why[700], target[CATALOGUE_ID_MAX + 32];
	long long test_version = 1;
	sqlite3_stmt *st;
	json_t *def, *audit;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if (load_draft(req, &a, &d) != 1)
		return;
	if (strcmp(d.state, "draft") != 0) {
		json_decref(d.definition);
		return office_refuse(req, &a, 409, "published",
			      "公開済みの版はテスト版にできません。複製した下書きでお試しください。");
	}
	if ((rc = office_proctest_current(a.t->db, d.id, d.version, test_id)) < 0) {
		json_decref(d.definition);
		return office_fail_db(req, &a, "procedure test");
	}
	if (rc == 1) {
		st = db_stmt(a.t->db, "SELECT test_version FROM procedure_tests WHERE test_id = ?1");
		if (st == NULL) {
			json_decref(d.definition);
			return office_fail_db(req, &a, "procedure test");
		}
		sqlite3_bind_text(st, 1, test_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			test_version = sqlite3_column_int64(st, 0) + 1;
		sqlite3_reset(st);
	} else {
		uint8_t rnd[PROCTEST_TOKEN_HEX / 2];
		size_t o = (size_t)snprintf(test_id, sizeof test_id, "%s", CATALOGUE_TEST_PREFIX);

		crypto_random(rnd, sizeof rnd);
		for (size_t i = 0; i < sizeof rnd; i++)
			o += (size_t)snprintf(test_id + o, sizeof test_id - o, "%02x", rnd[i]);
	}
	def = json_deep_copy(d.definition);
	json_object_set_new(def, "id", json_string(test_id));
	json_object_set_new(def, "version", json_integer(test_version));
	json_object_set_new(def, "title", test_title(jsonio_str(d.definition, "title", "")));
	json_object_set_new(def, "visibility", json_string("unlisted"));
	json_object_set_new(def, "test", json_true());
	/* Open now, whatever the draft's 受付期間: a procedure is typically tried
	 * before its reception opens. */
	json_object_del(def, "reception");
	if (catalogue_check_procedure(def, err, sizeof err) != 0) {
		snprintf(why, sizeof why, "手続の定義に誤りがあります（%s）。", err);
		json_decref(def);
		json_decref(d.definition);
		return office_refuse(req, &a, 400, "invalid_definition", why);
	}
	if (db_begin(a.t->db) != 0) {
		json_decref(def);
		json_decref(d.definition);
		return office_fail_db(req, &a, "procedure test");
	}
	st = db_stmt(a.t->db, "INSERT INTO procedure_tests (test_id, procedure_id, procedure_version,"
			      " test_version, published_at, published_by) VALUES (?1, ?2, ?3, ?4,"
			      " strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?5) ON CONFLICT (test_id) DO"
			      " UPDATE SET test_version = ?4, published_at = excluded.published_at,"
			      " published_by = ?5");
	if (st == NULL) {
		json_decref(def);
		json_decref(d.definition);
		return office_fail_db(req, &a, "procedure test");
	}
	sqlite3_bind_text(st, 1, test_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, d.version);
	sqlite3_bind_int64(st, 4, test_version);
	sqlite3_bind_text(st, 5, a.login, -1, SQLITE_STATIC);
	/* The row first, the bundle after, the commit last: as in publishing. */
	if ((rc = db_step_done(st)) != 0)
		snprintf(err, sizeof err, "procedure_tests: %s", db_errmsg(a.t->db));
	else
		rc = office_procedure_bundle(&a, def, NULL, bundle, sig, err, sizeof err);
	json_decref(def);
	json_decref(d.definition);
	if (rc > 0)
		return office_refuse(req, &a, 400, "file_not_held", err);
	if (rc < 0) {
		log_err("tenant %s: test of %s/%lld: %s", a.t->name, d.id, d.version, err);
		return office_fail_db(req, &a, "procedure test");
	}
	snprintf(target, sizeof target, "procedure:%s/%lld", d.id, d.version);
	audit = json_pack("{s:s,s:I,s:s}", "test_id", test_id, "test_version",
			  (json_int_t)test_version, "bundle_id", bundle);
	rc = office_audit(&a, "procedure.test_publish", target, audit);
	json_decref(audit);
	if (rc != 0 || db_commit(a.t->db) != 0)
		return office_fail_db(req, &a, "procedure test");
	office_authz_end(&a);
	log_info("tenant %s: %s published as test %s/%lld in %s", a.t->name, target, test_id,
		 test_version, bundle);
	http_reply_json(req, 200, json_pack("{s:s,s:I,s:s,s:I,s:o,s:s,s:s}", "id", d.id,
					    "version", (json_int_t)d.version, "test_id", test_id,
					    "test_version", (json_int_t)test_version,
					    "path", test_path(a.t->name, test_id),
					    "bundle_id", bundle, "message",
					    "テスト版を公開しました。インターネット側に届くまで少しかかります。"
					    "表示されたアドレスから申請をお試しください。"));
}

void
office_handle_procedure_test_get(struct http_request *req, void *app)
{
	struct office_actor a;
	struct draft d;
	sqlite3_stmt *st;
	json_t *test = NULL, *apps;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_draft(req, &a, &d) != 1)
		return;
	json_decref(d.definition);
	st = db_stmt(a.t->db, "SELECT test_id, test_version, published_at, published_by,"
			      " withdrawn_at FROM procedure_tests WHERE procedure_id = ?1 AND"
			      " procedure_version = ?2 ORDER BY withdrawn_at IS NULL DESC,"
			      " published_at DESC LIMIT 1");
	if (st == NULL)
		return office_fail_db(req, &a, "procedure test");
	sqlite3_bind_text(st, 1, d.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d.version);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *tid = (const char *)sqlite3_column_text(st, 0);
		const char *wd = (const char *)sqlite3_column_text(st, 4);

		test = json_pack("{s:s,s:I,s:s,s:s,s:s?,s:o}", "test_id", tid, "test_version",
				 (json_int_t)sqlite3_column_int64(st, 1), "published_at",
				 (const char *)sqlite3_column_text(st, 2), "published_by",
				 (const char *)sqlite3_column_text(st, 3), "withdrawn_at", wd,
				 "path", test_path(a.t->name, tid));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return office_fail_db(req, &a, "procedure test");
	st = db_stmt(a.t->db, "SELECT id, receipt_no, status, received_at FROM applications"
			      " WHERE procedure_id = ?1 AND procedure_version = ?2 AND test = 1"
			      " ORDER BY id DESC LIMIT ?3");
	if (st == NULL) {
		json_decref(test);
		return office_fail_db(req, &a, "procedure test");
	}
	sqlite3_bind_text(st, 1, d.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d.version);
	sqlite3_bind_int(st, 3, PROCTEST_APPS_MAX);
	apps = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 2);
		const char *utc = (const char *)sqlite3_column_text(st, 3);
		char received[TIMEFMT_LEN];
		time_t at;
		int code = workflow_parse(status ? status : "");

		if (utc != NULL && timefmt_parse_rfc3339(utc, &at) == 0)
			timefmt_jst_rfc3339(at, received);
		else
			snprintf(received, sizeof received, "%s", utc ? utc : "");
		json_array_append_new(apps, json_pack("{s:I,s:s?,s:s,s:s,s:s}", "id",
			(json_int_t)sqlite3_column_int64(st, 0),
			"receipt_no", (const char *)sqlite3_column_text(st, 1),
			"status", status ? status : "",
			"status_label", code >= 0 ? workflow_label(code) : (status ? status : ""),
			"received_at", received));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(test);
		json_decref(apps);
		return office_fail_db(req, &a, "procedure test");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:I,s:o,s:o}", "id", d.id, "version",
					    (json_int_t)d.version, "test", test ? test : json_null(),
					    "applications", apps));
}

void
office_handle_procedure_test_delete_apps(struct http_request *req, void *app)
{
	struct office_actor a;
	struct draft d;
	char target[CATALOGUE_ID_MAX + 32];
	json_t *receipts, *audit;
	int n, rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if (load_draft(req, &a, &d) != 1)
		return;
	json_decref(d.definition);
	if (db_begin(a.t->db) != 0)
		return office_fail_db(req, &a, "test applications delete");
	receipts = json_array();
	if ((n = office_proctest_delete_apps(a.t->db, d.id, d.version, receipts)) < 0) {
		json_decref(receipts);
		return office_fail_db(req, &a, "test applications delete");
	}
	snprintf(target, sizeof target, "procedure:%s/%lld", d.id, d.version);
	audit = json_pack("{s:I,s:o}", "deleted", (json_int_t)n, "receipts", receipts);
	rc = office_audit(&a, "procedure.test_applications_delete", target, audit);
	json_decref(audit);
	if (rc != 0 || db_commit(a.t->db) != 0)
		return office_fail_db(req, &a, "test applications delete");
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:I,s:s}", "deleted", (json_int_t)n, "message",
					    n > 0 ? "テスト申請を削除しました。"
						  : "削除するテスト申請はありません。"));
}
