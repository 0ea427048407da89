/*
 * office_procedures.c — procedures (手続) as officed holds and publishes them.
 *
 * What this file keeps true:
 *  - A definition is stored only after the internet zone's own checker
 *    (catalogue_check_procedure, and through it form_schema_parse) accepted it, so
 *    what is published here is never quarantined on the far side of the diode.
 *  - A published version never changes (and the database's triggers refuse it
 *    too): changes are made on a new draft version, which a copy starts.
 *  - Publishing makes exactly what `sekishoctl catalogue publish` makes: a catalogue
 *    bundle signed with the office key, each definition signed on its own
 *    (procsig.h), into downlink-out; the row says which bundle carried it.
 *  - The workflow subset, the routing rules (routing.h) and the staff addresses told
 *    of new applications (staff_notify.h) live in the row, not in the definition:
 *    portald refuses members it does not know, and they are office business.
 */
#include "office_procedures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "catalogue.h"
#include "crypto.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_procfiles.h"
#include "office_proctest.h"
#include "procsig.h"
#include "routing.h"
#include "staff_notify.h"
#include "timefmt.h"
#include "workflow.h"

#define MSG_DB         "サーバーで問題が発生しました。時間をおいてお試しください。"
#define MSG_NO_PROC    "指定された手続は見つかりません。"
#define MSG_PUBLISHED  "公開済みの版は変更できません。複製して新しい版を作成してください。"
#define VERSION_MAX    1000000000LL

void
office_procedure_free(struct office_procedure *p)
{
	json_decref(p->definition);
	p->definition = NULL;
}

static json_t *
parse_stored(const char *text)
{
	char err[64];

	return text ? jsonio_parse(text, strlen(text), PROCEDURE_DEF_MAX, JSONIO_MAX_DEPTH, err,
				   sizeof err) : NULL;
}

int
office_procedure_load(struct db *db, const char *id, long long version,
		      struct office_procedure *p)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT definition, workflow, department_id FROM"
				       " procedures WHERE id = ?1 AND version = ?2");
	char err[8];
	int rc;

	memset(p, 0, sizeof *p);
	p->used = WF_ALL;
	if (st == NULL)
		return -1;
	if (id == NULL)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		json_t *wf = parse_stored((const char *)sqlite3_column_text(st, 1));

		p->definition = parse_stored((const char *)sqlite3_column_text(st, 0));
		if (workflow_parse_list(wf, &p->used, err, sizeof err) != 0)
			p->used = WF_ALL;
		json_decref(wf);
		p->department_id = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The department named by body's "department" (a name) or "department_id". 1 and
 * *id, 0 if absent, -1 if named but unknown (or the database failed). */
static int
body_department(struct db *db, const json_t *body, int64_t *id)
{
	if (json_object_get(body, "department_id") == NULL && json_object_get(body, "department") == NULL)
		return 0;
	return office_db_department_of(db, body, id) == 1 ? 1 : -1;
}

static long long
max_version(struct db *db, const char *id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT max(version) FROM procedures WHERE id = ?1");
	long long v = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Store def (borrowed; its "version" is set here) as a new draft. want_version: the
 * definition's own version is kept when it is above every stored one (so a
 * procedure first published by hand can be continued here). 0 with *version, 1
 * with a reply-ready message in why (400), 2 if that version exists (409), -1 on a
 * database error. Lock held; runs in the caller's transaction. */
static int
insert_draft(struct office_actor *a, json_t *def, int64_t dept, unsigned used,
	     const json_t *routing, const json_t *staff, bool want_version, long long *version,
	     char *why, size_t whylen)
{
	const char *id = jsonio_str(def, "id", NULL);
	char err[512], at[TIMEFMT_LEN], *text = NULL, *wf = NULL, *rt = NULL, *sn = NULL;
	json_t *rules = NULL, *addrs = NULL;
	long long own = 0, v;
	sqlite3_stmt *st;
	json_t *wfj;
	int rc;

	if (!json_is_object(def) || !catalogue_id_valid(id)) {
		snprintf(why, whylen, "手続の定義（JSON オブジェクト）に、id（英小文字・数字・"
			 "ハイフンの 64 文字以内）を指定してください。");
		return 1;
	}
	if ((v = max_version(a->t->db, id)) < 0)
		return -1;
	if (want_version && jsonio_int(def, "version", 1, VERSION_MAX, &own) == 0 && own > v)
		v = own;
	else
		v++;
	if (v > VERSION_MAX) {
		snprintf(why, whylen, "版の番号が上限に達しました。");
		return 1;
	}
	json_object_set_new(def, "version", json_integer(v));
	if (catalogue_check_procedure(def, err, sizeof err) != 0) {
		snprintf(why, whylen, "手続の定義に誤りがあります（%s）。", err);
		return 1;
	}
	if ((rc = routing_check(a->t->db, def, routing, &rules, why, whylen)) != 0)
		return rc;
	if ((rc = staff_notify_check(staff, &addrs, why, whylen)) != 0) {
		json_decref(rules);
		return rc;
	}
	rt = jsonio_dump(rules);
	sn = jsonio_dump(addrs);
	json_decref(rules);
	json_decref(addrs);
	text = jsonio_dump(def);
	wfj = workflow_list_json(used);
	wf = jsonio_dump(wfj);
	json_decref(wfj);
	if (text == NULL || wf == NULL || rt == NULL || sn == NULL ||
	    strlen(text) > PROCEDURE_DEF_MAX) {
		free(text);
		free(wf);
		free(rt);
		free(sn);
		snprintf(why, whylen, "手続の定義が大きすぎます。");
		return 1;
	}
	timefmt_utc(time(NULL), at);
	st = db_stmt(a->t->db, "INSERT INTO procedures (id, version, definition, department_id,"
			       " workflow, state, created_at, created_by, routing, staff_notify)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?7, ?8, ?9)");
	if (st == NULL) {
		free(text);
		free(wf);
		free(rt);
		free(sn);
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	if (dept > 0)
		sqlite3_bind_int64(st, 4, dept);
	sqlite3_bind_text(st, 5, wf, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, sn, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(text);
	free(wf);
	free(rt);
	free(sn);
	if (db_is_constraint(rc))
		return 2;
	if (rc != SQLITE_DONE)
		return -1;
	*version = v;
	return 0;
}

/* The common tail of create, import and copy: department, workflow and routing
 * from body (dept_default, used_default and routing_default when absent), a new
 * draft, the audit entry, 201. */
static void
create_common(struct http_request *req, struct office_actor *a, json_t *def,
	      const json_t *body, int64_t dept_default, unsigned used_default,
	      const json_t *routing_default, const json_t *staff_default, bool want_version,
	      const char *action, const json_t *extra)
{
	const json_t *routing = json_object_get(body, "routing");
	const json_t *staff = json_object_get(body, "staff_notify");
	char why[700], target[CATALOGUE_ID_MAX + 32];
	int64_t dept = dept_default;
	unsigned used = used_default;
	long long version = 0;
	json_t *d;
	int rc;

	rc = body_department(a->t->db, body, &dept);
	if (rc < 0)
		return office_refuse(req, a, 400, "invalid_request",
			      "存在しない部署が指定されています。先に部署を作成してください。");
	if (dept <= 0)
		return office_refuse(req, a, 400, "invalid_request",
			      "手続を担当する部署（department）を指定してください。");
	if (json_object_get(body, "workflow") &&
	    workflow_parse_list(json_object_get(body, "workflow"), &used, why, sizeof why) != 0)
		return office_refuse(req, a, 400, "invalid_request", why);
	if (db_begin(a->t->db) != 0)
		return office_fail_db(req, a, "procedure create");
	rc = insert_draft(a, def, dept, used, routing ? routing : routing_default,
			  staff ? staff : staff_default, want_version, &version, why, sizeof why);
	if (rc == 1)
		return office_refuse(req, a, 400, "invalid_definition", why);
	if (rc == 2)
		return office_refuse(req, a, 409, "exists", "同じ版の手続が既にあります。");
	if (rc != 0)
		return office_fail_db(req, a, "procedure create");
	snprintf(target, sizeof target, "procedure:%s/%lld", jsonio_str(def, "id", ""), version);
	d = json_pack("{s:I,s:o}", "department_id", (json_int_t)dept, "workflow",
		      workflow_list_json(used));
	if (extra)
		json_object_update(d, (json_t *)extra);
	rc = office_audit(a, action, target, d);
	json_decref(d);
	if (rc != 0 || db_commit(a->t->db) != 0)
		return office_fail_db(req, a, "procedure create");
	office_authz_end(a);
	http_reply_json(req, 201, json_pack("{s:s,s:I,s:s,s:I,s:o}", "id",
					    jsonio_str(def, "id", ""), "version", (json_int_t)version,
					    "state", "draft", "department_id", (json_int_t)dept,
					    "workflow", workflow_list_json(used)));
}

void
office_handle_procedures_create(struct http_request *req, void *app)
{
	struct office_actor a;
	json_t *body, *def;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	def = json_deep_copy(json_object_get(body, "definition"));
	create_common(req, &a, def, body, 0, WF_ALL, NULL, NULL, true, "procedure.create", NULL);
	json_decref(def);
}

void
office_handle_procedures_import(struct http_request *req, void *app)
{
	struct office_actor a;
	json_t *body, *def, *extra;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (strcmp(jsonio_str(body, "format", ""), PROCEDURE_EXPORT_FORMAT) != 0) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_request", "手続の定義ファイル（"
				 PROCEDURE_EXPORT_FORMAT "）ではありません。");
		return;
	}
	/* Another municipality's version numbers mean nothing here: numbered anew. */
	def = json_deep_copy(json_object_get(body, "definition"));
	extra = json_pack("{s:s}", "source", "import");
	create_common(req, &a, def, body, 0, WF_ALL, NULL, NULL, false, "procedure.import", extra);
	json_decref(extra);
	json_decref(def);
}

/* ---- one version -------------------------------------------------------------------- */

struct proc_row {
	char id[CATALOGUE_ID_MAX + 1];
	long long version;
	json_t *definition;
	json_t *workflow;
	json_t *routing;		/* stored rules, [] when none */
	json_t *staff_notify;		/* addresses told of new applications */
	int64_t department_id;
	char department[OFFICE_DEPT_NAME_MAX * 4 + 1];
	char state[16];
	char created_at[32], created_by[OFFICE_LOGIN_MAX + 1];
	char published_at[32], published_by[OFFICE_LOGIN_MAX + 1], bundle_id[SPOOL_ID_MAX + 1];
};

static void
proc_row_free(struct proc_row *r)
{
	json_decref(r->definition);
	json_decref(r->workflow);
	json_decref(r->routing);
	json_decref(r->staff_notify);
}

static void
copy_col(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(out, len, "%s", s ? (const char *)s : "");
}

/* The row named by the path's {id} and {version}, if the actor may see its
 * department. 1 found, 0 replied 404 (no lock held then), -1 replied 500. */
static int
load_row(struct http_request *req, struct office_actor *a, struct proc_row *r)
{
	const char *id = http_req_param(req, "id"), *vs = http_req_param(req, "version");
	sqlite3_stmt *st;
	char *end;
	int rc, ok;

	memset(r, 0, sizeof *r);
	r->version = vs ? strtoll(vs, &end, 10) : 0;
	if (!catalogue_id_valid(id) || vs == NULL || *end != '\0' || r->version < 1) {
		office_refuse(req, a, 404, "no_such_procedure", MSG_NO_PROC);
		return 0;
	}
	st = db_stmt(a->t->db, "SELECT p.definition, p.workflow, p.department_id, d.name, p.state,"
			       " p.created_at, p.created_by, p.published_at, p.published_by,"
			       " p.bundle_id, p.routing, p.staff_notify FROM procedures p"
			       " LEFT JOIN departments d"
			       " ON d.id = p.department_id WHERE p.id = ?1 AND p.version = ?2");
	if (st == NULL) {
		office_fail_db(req, a, "procedure");
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(r->id, sizeof r->id, "%s", id);
		r->definition = parse_stored((const char *)sqlite3_column_text(st, 0));
		r->workflow = parse_stored((const char *)sqlite3_column_text(st, 1));
		r->department_id = sqlite3_column_int64(st, 2);
		copy_col(st, 3, r->department, sizeof r->department);
		copy_col(st, 4, r->state, sizeof r->state);
		copy_col(st, 5, r->created_at, sizeof r->created_at);
		copy_col(st, 6, r->created_by, sizeof r->created_by);
		copy_col(st, 7, r->published_at, sizeof r->published_at);
		copy_col(st, 8, r->published_by, sizeof r->published_by);
		copy_col(st, 9, r->bundle_id, sizeof r->bundle_id);
		r->routing = parse_stored((const char *)sqlite3_column_text(st, 10));
		r->staff_notify = parse_stored((const char *)sqlite3_column_text(st, 11));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		office_fail_db(req, a, "procedure");
		return -1;
	}
	/* Another department's procedure is "not found" for a clerk, exactly like one
	 * that does not exist: its existence is not theirs to know. */
	ok = rc == SQLITE_ROW ? office_authz_department(a, r->department_id) : 0;
	if (ok < 0) {
		proc_row_free(r);
		office_fail_db(req, a, "procedure");
		return -1;
	}
	if (ok == 0 || r->definition == NULL) {
		proc_row_free(r);
		office_refuse(req, a, 404, "no_such_procedure", MSG_NO_PROC);
		return 0;
	}
	return 1;
}

static json_t *
row_json(const struct proc_row *r, bool with_definition)
{
	json_t *j = json_pack("{s:s,s:I,s:s,s:s,s:{s:I,s:s},s:O,s:s,s:s,s:s?,s:s?,s:s?}",
			      "id", r->id, "version", (json_int_t)r->version,
			      "title", jsonio_str(r->definition, "title", ""),
			      "state", r->state,
			      "department", "id", (json_int_t)r->department_id,
			      "name", r->department,
			      "workflow", r->workflow ? r->workflow : json_null(),
			      "created_at", r->created_at, "created_by", r->created_by,
			      "published_at", r->published_at[0] ? r->published_at : NULL,
			      "published_by", r->published_by[0] ? r->published_by : NULL,
			      "bundle_id", r->bundle_id[0] ? r->bundle_id : NULL);
	if (j != NULL && with_definition)
		json_object_set(j, "definition", r->definition);
	return j;
}

void
office_handle_procedure_get(struct http_request *req, void *app)
{
	struct office_actor a;
	struct proc_row r;
	json_t *j;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_row(req, &a, &r) != 1)
		return;
	j = row_json(&r, true);
	json_object_set_new(j, "routing", routing_describe(a.t->db, r.routing));
	json_object_set(j, "staff_notify", r.staff_notify ? r.staff_notify : json_array());
	proc_row_free(&r);
	office_authz_end(&a);
	http_reply_json(req, 200, j);
}

void
office_handle_procedure_update(struct http_request *req, void *app)
{
	struct office_actor a;
	struct proc_row r;
	char err[512], why[700], target[CATALOGUE_ID_MAX + 32], *text = NULL, *wf = NULL;
	char *rt = NULL, *sn = NULL;
	const json_t *routing, *staff;
	unsigned used;
	int64_t dept;
	json_t *body, *def, *wfj, *rules = NULL, *addrs = NULL;
	sqlite3_stmt *st;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_row(req, &a, &r) != 1)
		return;
	dept = r.department_id;
	if (workflow_parse_list(r.workflow, &used, err, sizeof err) != 0)
		used = WF_ALL;
	if (strcmp(r.state, "draft") != 0) {
		proc_row_free(&r);
		return office_refuse(req, &a, 409, "published", MSG_PUBLISHED);
	}
	def = json_deep_copy(json_object_get(body, "definition"));
	if (def == NULL)
		def = json_incref(r.definition);
	rc = body_department(a.t->db, body, &dept);
	if (json_object_get(body, "workflow") &&
	    workflow_parse_list(json_object_get(body, "workflow"), &used, why, sizeof why) != 0)
		rc = -2;
	else
		snprintf(why, sizeof why, "手続の id と版は変更できません。");
	if (rc == -1)
		snprintf(why, sizeof why, "存在しない部署が指定されています。");
	if (rc < 0 || !json_is_object(def) ||
	    strcmp(jsonio_str(def, "id", ""), r.id) != 0) {
		json_decref(def);
		proc_row_free(&r);
		return office_refuse(req, &a, 400, "invalid_request", why);
	}
	json_object_set_new(def, "version", json_integer(r.version));
	if (catalogue_check_procedure(def, err, sizeof err) != 0) {
		snprintf(why, sizeof why, "手続の定義に誤りがあります（%s）。", err);
		json_decref(def);
		proc_row_free(&r);
		return office_refuse(req, &a, 400, "invalid_definition", why);
	}
	/* Kept rules are checked again: the new definition may have lost their field. */
	routing = json_object_get(body, "routing") ? json_object_get(body, "routing") : r.routing;
	if ((rc = routing_check(a.t->db, def, routing, &rules, why, sizeof why)) != 0) {
		json_decref(def);
		proc_row_free(&r);
		if (rc < 0)
			return office_fail_db(req, &a, "procedure update");
		return office_refuse(req, &a, 400, "invalid_routing", why);
	}
	staff = json_object_get(body, "staff_notify") ? json_object_get(body, "staff_notify")
						      : r.staff_notify;
	if ((rc = staff_notify_check(staff, &addrs, why, sizeof why)) != 0) {
		json_decref(rules);
		json_decref(def);
		proc_row_free(&r);
		if (rc < 0)
			return office_fail_db(req, &a, "procedure update");
		return office_refuse(req, &a, 400, "invalid_request", why);
	}
	rt = jsonio_dump(rules);
	sn = jsonio_dump(addrs);
	json_decref(rules);
	json_decref(addrs);
	text = jsonio_dump(def);
	wfj = workflow_list_json(used);
	wf = jsonio_dump(wfj);
	json_decref(wfj);
	json_decref(def);
	proc_row_free(&r);
	if (text == NULL || wf == NULL || rt == NULL || sn == NULL ||
	    strlen(text) > PROCEDURE_DEF_MAX || db_begin(a.t->db) != 0 ||
	    (st = db_stmt(a.t->db, "UPDATE procedures SET definition = ?3, workflow = ?4,"
				   " department_id = ?5, routing = ?6, staff_notify = ?7"
				   " WHERE id = ?1 AND version = ?2 AND state = 'draft'")) == NULL) {
		free(text);
		free(wf);
		free(rt);
		free(sn);
		return office_fail_db(req, &a, "procedure update");
	}
	sqlite3_bind_text(st, 1, r.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r.version);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, wf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, dept);
	sqlite3_bind_text(st, 6, rt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, sn, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(text);
	free(wf);
	free(rt);
	free(sn);
	if (rc != SQLITE_DONE)
		return office_fail_db(req, &a, "procedure update");
	snprintf(target, sizeof target, "procedure:%s/%lld", r.id, r.version);
	{
		json_t *d = json_pack("{s:I,s:o}", "department_id", (json_int_t)dept, "workflow",
				      workflow_list_json(used));

		rc = office_audit(&a, "procedure.update", target, d);
		json_decref(d);
	}
	if (rc != 0 || db_commit(a.t->db) != 0)
		return office_fail_db(req, &a, "procedure update");
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:I,s:s}", "id", r.id, "version",
					    (json_int_t)r.version, "state", "draft"));
}

int
office_procedure_bundle(struct office_actor *a, const json_t *def, const json_t *withdrawn,
			char id[SPOOL_ID_MAX + 1], char sig[PROCSIG_HEX_LEN + 1], char *err,
			size_t errlen)
{
	struct officed *o = a->o;
	char key[CATALOGUE_ID_MAX + 16], tmp[PATH_MAX];
	struct bundle_writer *w = NULL;
	json_t *msg;
	uint8_t rnd[4];
	int fd, rc = -1;

	msg = json_pack("{s:s,s:[],s:{}}", "format", CATALOGUE_FORMAT, "procedures", "signatures");
	if (msg == NULL) {
		snprintf(err, errlen, "cannot build the message");
		return -1;
	}
	if (def != NULL) {
		if (procsig_key(def, key, sizeof key) != 0 ||
		    procsig_sign(o->office_key, a->t->name, def, sig) != 0) {
			json_decref(msg);
			snprintf(err, errlen, "cannot sign the definition");
			return -1;
		}
		json_array_append(json_object_get(msg, "procedures"), (json_t *)def);
		json_object_set_new(json_object_get(msg, "signatures"), key, json_string(sig));
	}
	if (withdrawn != NULL && json_array_size(withdrawn) > 0)
		json_object_set(msg, "withdrawn", (json_t *)withdrawn);
	crypto_random(rnd, sizeof rnd);
	snprintf(id, SPOOL_ID_MAX + 1, "catalogue-%s-%lld-%02x%02x%02x%02x", a->t->name,
		 (long long)time(NULL), rnd[0], rnd[1], rnd[2], rnd[3]);
	if ((w = bundle_writer_new(id, a->t->name, "catalogue")) == NULL ||
	    bundle_writer_add_json(w, "data/catalogue.json", msg) != BUNDLE_OK) {
		snprintf(err, errlen, "%s: cannot build the bundle", id);
		goto out;
	}
	/* The listed files travel with the definition that lists them (procfile.h). */
	if (def != NULL && (rc = office_procfiles_add(a->t->db, def, w, err, errlen)) != 0) {
		rc = rc > 0 ? 1 : -1;
		if (rc < 0)
			snprintf(err, errlen, "%s: files: %s", id, db_errmsg(a->t->db));
		goto out;
	}
	rc = -1;
	if ((fd = spool_tmp_open(&o->downlink_out, tmp, sizeof tmp)) < 0) {
		snprintf(err, errlen, "downlink-out: %s", strerror(-fd));
		goto out;
	}
	if (bundle_writer_write(w, fd, o->office_key, err, errlen) != 0) {
		spool_tmp_discard(&o->downlink_out, fd, tmp);
		goto out;
	}
	if ((fd = spool_publish(&o->downlink_out, fd, tmp, id)) != SPOOL_OK) {
		snprintf(err, errlen, "%s: publish: %d", id, fd);
		goto out;
	}
	rc = 0;
out:
	bundle_writer_free(w);
	json_decref(msg);
	return rc;
}

void
office_handle_procedure_publish(struct http_request *req, void *app)
{
	struct office_actor a;
	struct proc_row r;
	char err[512], why[700], at[TIMEFMT_LEN], id[SPOOL_ID_MAX + 1], target[CATALOGUE_ID_MAX + 32];
	char sig[PROCSIG_HEX_LEN + 1], test_id[PROCTEST_ID_MAX + 1] = "";
	sqlite3_stmt *st;
	json_t *d, *withdrawn;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if (load_row(req, &a, &r) != 1)
		return;
	if (strcmp(r.state, "draft") != 0) {
		proc_row_free(&r);
		return office_refuse(req, &a, 409, "published", "この版は既に公開されています。");
	}
	if (catalogue_check_procedure(r.definition, err, sizeof err) != 0) {
		snprintf(why, sizeof why, "手続の定義に誤りがあります（%s）。", err);
		proc_row_free(&r);
		return office_refuse(req, &a, 400, "invalid_definition", why);
	}
	/* The row is updated first and committed last: a bundle that cannot be
	 * written leaves the version a draft; one written and then not recorded is
	 * harmless (the same definition under the same version, applied once). */
	timefmt_utc(time(NULL), at);
	if (db_begin(a.t->db) != 0) {
		proc_row_free(&r);
		return office_fail_db(req, &a, "procedure publish");
	}
	/* The draft's test version (office_proctest.h) leaves the portal in the same
	 * bundle that brings the real one. */
	if ((rc = office_proctest_current(a.t->db, r.id, r.version, test_id)) < 0) {
		proc_row_free(&r);
		return office_fail_db(req, &a, "procedure publish");
	}
	withdrawn = json_array();
	if (rc == 1)
		json_array_append_new(withdrawn, json_string(test_id));
	rc = office_procedure_bundle(&a, r.definition, withdrawn, id, sig, err, sizeof err);
	json_decref(withdrawn);
	if (rc != 0) {
		proc_row_free(&r);
		if (rc > 0)	/* a listed file officed does not hold: err says which */
			return office_refuse(req, &a, 400, "file_not_held", err);
		log_err("tenant %s: publish %s/%lld: %s", a.t->name, r.id, r.version, err);
		return office_fail_db(req, &a, "procedure publish");
	}
	st = db_stmt(a.t->db, "UPDATE procedures SET state = 'published', published_at = ?3,"
			      " published_by = ?4, bundle_id = ?5, signature = ?6"
			      " WHERE id = ?1 AND version = ?2 AND state = 'draft'");
	if (st == NULL) {
		proc_row_free(&r);
		return office_fail_db(req, &a, "procedure publish");
	}
	sqlite3_bind_text(st, 1, r.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r.version);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a.login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, sig, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	snprintf(target, sizeof target, "procedure:%s/%lld", r.id, r.version);
	d = json_pack("{s:s,s:s}", "bundle_id", id, "title", jsonio_str(r.definition, "title", ""));
	proc_row_free(&r);
	if (test_id[0] != '\0') {
		json_object_set_new(d, "test_withdrawn", json_string(test_id));
		if (rc == SQLITE_DONE && office_proctest_mark_withdrawn(a.t->db, test_id) != 0)
			rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_DONE || office_audit(&a, "procedure.publish", target, d) != 0 ||
	    db_commit(a.t->db) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "procedure publish");
	}
	json_decref(d);
	office_authz_end(&a);
	log_info("tenant %s: %s published in %s", a.t->name, target, id);
	http_reply_json(req, 200, json_pack("{s:s,s:I,s:s,s:s,s:s}", "id", r.id, "version",
					    (json_int_t)r.version, "state", "published",
					    "bundle_id", id, "message",
					    "公開しました。インターネット側に届くまで少しかかります。"));
}

/* A deleted draft's test version leaves the portal (a withdrawal bundle) and its
 * test applications go with it: they tried a definition that no longer exists.
 * What was done is added to audit. 0 or -1 (logged); in the caller's transaction. */
static int
delete_tests(struct office_actor *a, const char *id, long long version, json_t *audit)
{
	char test_id[PROCTEST_ID_MAX + 1], bundle[SPOOL_ID_MAX + 1], sig[PROCSIG_HEX_LEN + 1];
	char err[512];
	json_t *withdrawn, *receipts;
	int rc, n;

	if ((rc = office_proctest_current(a->t->db, id, version, test_id)) < 0)
		return -1;
	if (rc == 1) {
		withdrawn = json_pack("[s]", test_id);
		rc = office_procedure_bundle(a, NULL, withdrawn, bundle, sig, err, sizeof err);
		json_decref(withdrawn);
		if (rc != 0 || office_proctest_mark_withdrawn(a->t->db, test_id) != 0) {
			log_err("tenant %s: withdraw test %s: %s", a->t->name, test_id,
				rc != 0 ? err : db_errmsg(a->t->db));
			return -1;
		}
		json_object_set_new(audit, "test_withdrawn", json_string(test_id));
	}
	receipts = json_array();
	if ((n = office_proctest_delete_apps(a->t->db, id, version, receipts)) < 0) {
		json_decref(receipts);
		return -1;
	}
	if (n > 0)
		json_object_set_new(audit, "test_applications_deleted", receipts);
	else
		json_decref(receipts);
	return 0;
}

/* A draft nobody will publish goes away whole; a published version cannot (the
 * database's trigger refuses it too): applications name it. */
void
office_handle_procedure_delete(struct http_request *req, void *app)
{
	struct office_actor a;
	struct proc_row r;
	char target[CATALOGUE_ID_MAX + 32];
	sqlite3_stmt *st;
	json_t *d;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if (load_row(req, &a, &r) != 1)
		return;
	if (strcmp(r.state, "draft") != 0) {
		proc_row_free(&r);
		return office_refuse(req, &a, 409, "published",
			      "公開済みの版は削除できません。申請がこの版を記録しています。");
	}
	snprintf(target, sizeof target, "procedure:%s/%lld", r.id, r.version);
	d = json_pack("{s:s}", "title", jsonio_str(r.definition, "title", ""));
	proc_row_free(&r);
	if (db_begin(a.t->db) != 0 || delete_tests(&a, r.id, r.version, d) != 0 ||
	    (st = db_stmt(a.t->db, "DELETE FROM procedures WHERE id = ?1 AND version = ?2"
				   " AND state = 'draft'")) == NULL) {
		json_decref(d);
		return office_fail_db(req, &a, "procedure delete");
	}
	sqlite3_bind_text(st, 1, r.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r.version);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || office_audit(&a, "procedure.delete", target, d) != 0 ||
	    db_commit(a.t->db) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "procedure delete");
	}
	json_decref(d);
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:I,s:s}", "id", r.id, "version",
					    (json_int_t)r.version, "message", "下書きを削除しました。"));
}

void
office_handle_procedure_copy(struct http_request *req, void *app)
{
	struct office_actor a;
	struct proc_row r;
	const char *new_id;
	char err[8];
	unsigned used;
	json_t *body, *def, *extra;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_row(req, &a, &r) != 1)
		return;
	if (workflow_parse_list(r.workflow, &used, err, sizeof err) != 0)
		used = WF_ALL;
	def = json_deep_copy(r.definition);
	new_id = jsonio_str(body, "new_id", NULL);
	if (new_id != NULL) {
		if (!catalogue_id_valid(new_id)) {
			json_decref(def);
			proc_row_free(&r);
			return office_refuse(req, &a, 400, "invalid_request", "新しい手続の id は英小文字・"
				      "数字・ハイフンの 64 文字以内で指定してください。");
		}
		json_object_set_new(def, "id", json_string(new_id));
	}
	/* Same id: the next version (the way to change a published procedure). New id:
	 * a procedure of its own, from version 1. */
	extra = json_pack("{s:s,s:I}", "copied_from", r.id, "copied_version", (json_int_t)r.version);
	create_common(req, &a, def, body, r.department_id, used, r.routing, r.staff_notify, false,
		      "procedure.copy", extra);
	json_decref(extra);
	json_decref(def);
	proc_row_free(&r);
}

void
office_handle_procedure_export(struct http_request *req, void *app)
{
	struct office_actor a;
	struct proc_row r;
	char cd[CATALOGUE_ID_MAX + 64], *text;
	json_t *doc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_row(req, &a, &r) != 1)
		return;
	/* The file carries what another municipality can reuse: the definition and
	 * the steps; not our department, people or publishing record. */
	doc = json_pack("{s:s,s:O,s:O}", "format", PROCEDURE_EXPORT_FORMAT, "definition",
			r.definition, "workflow", r.workflow ? r.workflow : json_null());
	snprintf(cd, sizeof cd, "attachment; filename=\"%s-v%lld.json\"", r.id, r.version);
	proc_row_free(&r);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
	json_decref(doc);
	office_authz_end(&a);
	if (text == NULL) {
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_bytes(req, 200, "application/json", text, strlen(text));
	free(text);
}

void
office_handle_procedures_list(struct http_request *req, void *app)
{
	struct office_actor a;
	sqlite3_stmt *st;
	json_t *list;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	st = db_stmt(a.t->db, "SELECT p.id, p.version, p.definition, p.workflow, p.department_id,"
			      " d.name, p.state, p.created_at, p.created_by, p.published_at,"
			      " p.published_by, p.bundle_id FROM procedures p LEFT JOIN departments d"
			      " ON d.id = p.department_id WHERE "
			      OFFICE_AUTHZ_DEPT_FILTER("p.department_id", "?1", "?2")
			      " ORDER BY p.id, p.version DESC LIMIT 2000");
	if (st == NULL)
		return office_fail_db(req, &a, "procedures");
	sqlite3_bind_int(st, 1, office_authz_all_departments(&a));
	sqlite3_bind_int64(st, 2, a.id);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct proc_row r = { 0 };

		copy_col(st, 0, r.id, sizeof r.id);
		r.version = sqlite3_column_int64(st, 1);
		r.definition = parse_stored((const char *)sqlite3_column_text(st, 2));
		r.workflow = parse_stored((const char *)sqlite3_column_text(st, 3));
		r.department_id = sqlite3_column_int64(st, 4);
		copy_col(st, 5, r.department, sizeof r.department);
		copy_col(st, 6, r.state, sizeof r.state);
		copy_col(st, 7, r.created_at, sizeof r.created_at);
		copy_col(st, 8, r.created_by, sizeof r.created_by);
		copy_col(st, 9, r.published_at, sizeof r.published_at);
		copy_col(st, 10, r.published_by, sizeof r.published_by);
		copy_col(st, 11, r.bundle_id, sizeof r.bundle_id);
		json_array_append_new(list, row_json(&r, false));
		proc_row_free(&r);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "procedures");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o}", "procedures", list));
}
