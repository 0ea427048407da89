/*
 * office_db.c — migrations of the LGWAN zone's tenant database, and the staff
 * account writes provisioning needs.
 */
#include "office_db.h"

#include <stdio.h>
#include <string.h>

#include "csvio.h"
#include "mail_outbox.h"
#include "password.h"
#include "session.h"
#include "throttle.h"

const struct db_migration office_db_migrations[] = {
	{ 1,
	  "CREATE TABLE meta ("
	  "  key   TEXT PRIMARY KEY,"
	  "  value TEXT NOT NULL"
	  ") STRICT;"
	  /* Individual accounts only: a login is one person (no shared accounts). */
	  "CREATE TABLE staff ("
	  "  id                  INTEGER PRIMARY KEY,"
	  "  login               TEXT NOT NULL UNIQUE,"
	  "  display_name        TEXT NOT NULL,"
	  "  role                TEXT NOT NULL CHECK (role IN ('admin','clerk','auditor')),"
	  "  password_hash       TEXT NOT NULL,"
	  "  must_change_password INTEGER NOT NULL DEFAULT 1,"
	  "  password_changed_at TEXT NOT NULL,"
	  "  created_at          TEXT NOT NULL,"
	  "  disabled            INTEGER NOT NULL DEFAULT 0"
	  ") STRICT;" },
	{ 2,
	  /* An application (申請) as it arrived over the uplink: one verified bundle,
	   * stored whole under lgwan/bundles so its signature and every attestation
	   * can be checked again at any later time. bundle_id is the idempotency key. */
	  "CREATE TABLE applications ("
	  "  id               INTEGER PRIMARY KEY,"
	  "  bundle_id        TEXT NOT NULL UNIQUE,"
	  "  received_at      TEXT NOT NULL,"
	  "  status           TEXT NOT NULL DEFAULT 'arrived',"	/* 到達 */
	  "  application_json TEXT NOT NULL,"
	  "  manifest_json    TEXT NOT NULL,"
	  "  bundle_path      TEXT NOT NULL,"
	  "  bundle_sha256    TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE TABLE attachments ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  member         TEXT NOT NULL,"
	  "  attestation    TEXT NOT NULL,"
	  "  display_name   TEXT,"
	  "  field          TEXT,"
	  "  UNIQUE (application_id, member)"
	  ") STRICT;"
	  "CREATE INDEX applications_received ON applications(received_at);" },
	{ 3,
	  /* Staff sign-in and organisation. last_login_at is Unix seconds (NULL: never);
	   * previous_login_at the one before it, which is what a person is shown.
	   * An imported account has no password (password_hash '') until its owner sets
	   * one with the one-time setup code, of which only the SHA-256 is kept. */
	  "ALTER TABLE staff ADD COLUMN email TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE staff ADD COLUMN last_login_at INTEGER;"
	  "ALTER TABLE staff ADD COLUMN previous_login_at INTEGER;"
	  "ALTER TABLE staff ADD COLUMN setup_code_hash TEXT;"
	  "ALTER TABLE staff ADD COLUMN setup_expires_at INTEGER;"
	  "CREATE TABLE departments ("
	  "  id         INTEGER PRIMARY KEY,"
	  "  name       TEXT NOT NULL UNIQUE,"
	  "  created_at TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE TABLE staff_departments ("
	  "  staff_id      INTEGER NOT NULL REFERENCES staff(id),"
	  "  department_id INTEGER NOT NULL REFERENCES departments(id),"
	  "  PRIMARY KEY (staff_id, department_id)"
	  ") STRICT, WITHOUT ROWID;"
	  "CREATE INDEX staff_departments_department ON staff_departments(department_id);"
	  SESSION_SQL
	  THROTTLE_SQL
	  /* The audit log (監査ログ): append-only, each row chained to the one before by
	   * hash (audit_log.c). The triggers stop a mistaken UPDATE or DELETE; someone
	   * who drops them is caught by the chain, not by them. */
	  "CREATE TABLE audit_log ("
	  "  seq       INTEGER PRIMARY KEY,"
	  "  at        TEXT NOT NULL,"
	  "  actor     TEXT NOT NULL,"
	  "  action    TEXT NOT NULL,"
	  "  target    TEXT NOT NULL,"
	  "  remote    TEXT NOT NULL,"
	  "  detail    TEXT NOT NULL,"
	  "  prev_hash TEXT NOT NULL,"
	  "  hash      TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	  " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	  "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	  " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;" },
	{ 4,
	  /* Procedures as officed publishes them: one row per (id, version). A
	   * published version never changes (the triggers stop a mistaken UPDATE or
	   * DELETE); applications name the version they were made with. workflow is
	   * the JSON list of steps used (workflow.h): kept here, not in the published
	   * definition, which the internet zone's checker would refuse. */
	  "CREATE TABLE procedures ("
	  "  id            TEXT NOT NULL,"
	  "  version       INTEGER NOT NULL,"
	  "  definition    TEXT NOT NULL,"
	  "  department_id INTEGER REFERENCES departments(id),"
	  "  workflow      TEXT NOT NULL,"
	  "  state         TEXT NOT NULL CHECK (state IN ('draft','published')),"
	  "  created_at    TEXT NOT NULL,"
	  "  created_by    TEXT NOT NULL,"
	  "  published_at  TEXT,"
	  "  published_by  TEXT,"
	  "  bundle_id     TEXT,"
	  "  signature     TEXT,"
	  "  PRIMARY KEY (id, version)"
	  ") STRICT;"
	  "CREATE INDEX procedures_department ON procedures(department_id);"
	  "CREATE TRIGGER procedures_published_no_update BEFORE UPDATE ON procedures"
	  " WHEN OLD.state = 'published'"
	  " BEGIN SELECT RAISE(ABORT, 'a published procedure version is immutable'); END;"
	  "CREATE TRIGGER procedures_published_no_delete BEFORE DELETE ON procedures"
	  " WHEN OLD.state = 'published'"
	  " BEGIN SELECT RAISE(ABORT, 'a published procedure version is immutable'); END;"
	  /* What the workflow needs of an application, read from application.json at
	   * import (and here for those imported before). department_id is the
	   * procedure's at import time: routing, which a clerk's view is filtered by. */
	  "ALTER TABLE applications ADD COLUMN receipt_no TEXT;"
	  "ALTER TABLE applications ADD COLUMN procedure_id TEXT;"
	  "ALTER TABLE applications ADD COLUMN procedure_version INTEGER;"
	  "ALTER TABLE applications ADD COLUMN department_id INTEGER REFERENCES departments(id);"
	  "ALTER TABLE applications ADD COLUMN assignee_id INTEGER REFERENCES staff(id);"
	  "ALTER TABLE applications ADD COLUMN updated_at TEXT;"
	  "UPDATE applications SET"
	  " receipt_no = json_extract(application_json, '$.receipt_no'),"
	  " procedure_id = json_extract(application_json, '$.procedure.id'),"
	  " procedure_version = json_extract(application_json, '$.procedure.version'),"
	  " updated_at = received_at;"
	  "CREATE INDEX applications_receipt ON applications(receipt_no);"
	  "CREATE INDEX applications_department ON applications(department_id, received_at);"
	  "CREATE INDEX applications_procedure ON applications(procedure_id, status);"
	  "CREATE INDEX applications_status ON applications(status, received_at);"
	  "CREATE INDEX applications_assignee ON applications(assignee_id);"
	  /* Every status change, as the applicant and the auditor will see it. */
	  "CREATE TABLE application_history ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  at             TEXT NOT NULL,"
	  "  actor          TEXT NOT NULL,"
	  "  from_status    TEXT,"
	  "  to_status      TEXT NOT NULL,"
	  "  message        TEXT"
	  ") STRICT;"
	  "CREATE INDEX application_history_app ON application_history(application_id);"
	  /* Staff's own notes (メモ): never sent to the applicant. */
	  "CREATE TABLE application_comments ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  at             TEXT NOT NULL,"
	  "  author         TEXT NOT NULL,"
	  "  body           TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE INDEX application_comments_app ON application_comments(application_id);"
	  /* Status events waiting for, or given, a downlink bundle (status_out.c). A row
	   * is written in the transaction of its status change; bundle_id is set before
	   * the bundle is written and sent_at after, so a crash in between writes the
	   * same bundle (same id) again, which the internet zone applies once. */
	  "CREATE TABLE status_outbox ("
	  "  id         INTEGER PRIMARY KEY,"
	  "  receipt_no TEXT NOT NULL,"
	  "  status     TEXT NOT NULL,"
	  "  at         TEXT NOT NULL,"
	  "  message    TEXT,"
	  "  bundle_id  TEXT,"
	  "  sent_at    TEXT"
	  ") STRICT;"
	  "CREATE INDEX status_outbox_pending ON status_outbox(bundle_id, sent_at);" },
	{ 5,
	  /* Routing rules (routing.h): office business beside the department, never
	   * in the published definition. JSON [{field, value, department_id}]. */
	  "ALTER TABLE procedures ADD COLUMN routing TEXT;" },
	{ 6,
	  /* Email to staff (staff_notify.h): the addresses a procedure tells of new
	   * applications, office-side like routing, and the outbox they are sent from. */
	  "ALTER TABLE procedures ADD COLUMN staff_notify TEXT;"
	  MAIL_OUTBOX_SQL },
	{ 7,
	  /* Messages to the applicant (問合せ, and each 補正 request's text) and the
	   * applicant's replies from the uplink (office_replies.h). A status_outbox row
	   * is a status change ('status') or a message without one ('message');
	   * reply_invited tells the internet zone the applicant may answer it. */
	  "ALTER TABLE status_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'status'"
	  " CHECK (kind IN ('status','message'));"
	  "ALTER TABLE status_outbox ADD COLUMN reply_invited INTEGER NOT NULL DEFAULT 0;"
	  "CREATE TABLE application_messages ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  at             TEXT NOT NULL,"
	  "  author         TEXT NOT NULL,"
	  "  kind           TEXT NOT NULL CHECK (kind IN ('message','correction')),"
	  "  body           TEXT NOT NULL,"
	  "  reply_invited  INTEGER NOT NULL DEFAULT 0"
	  ") STRICT;"
	  "CREATE INDEX application_messages_app ON application_messages(application_id);"
	  /* The correction requests made before this version, from their history rows. */
	  "INSERT INTO application_messages (application_id, at, author, kind, body,"
	  " reply_invited) SELECT application_id, at, actor, 'correction', message, 1"
	  " FROM application_history WHERE to_status = 'correction' AND message IS NOT NULL"
	  " ORDER BY id;"
	  /* One verified reply bundle, stored whole like an application's; its files
	   * are served from it (and re-verified) like an application's attachments. */
	  "CREATE TABLE application_replies ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  bundle_id      TEXT NOT NULL UNIQUE,"
	  "  reply_no       INTEGER NOT NULL,"
	  "  received_at    TEXT NOT NULL,"
	  "  submitted_at   TEXT NOT NULL,"
	  "  body           TEXT NOT NULL,"
	  "  manifest_json  TEXT NOT NULL,"
	  "  bundle_path    TEXT NOT NULL,"
	  "  bundle_sha256  TEXT NOT NULL,"
	  "  from_status    TEXT NOT NULL,"
	  "  to_status      TEXT NOT NULL,"
	  "  UNIQUE (application_id, reply_no)"
	  ") STRICT;"
	  "CREATE INDEX application_replies_received ON application_replies(received_at);" },
	{ 8,
	  /* Issued documents (交付文書, office_documents.h). The issuer's name and the
	   * seal are one row; templates are plain text with {{fields}}. An issued
	   * document is stored signed, whole (at most 10 MiB), and waits for the downlink
	   * while sent_at is NULL; its bundle_id is fixed in the transaction that
	   * issues it. n numbers the documents of one application from 1. */
	  "CREATE TABLE document_settings ("
	  "  id         INTEGER PRIMARY KEY CHECK (id = 1),"
	  "  issuer     TEXT NOT NULL,"
	  "  seal_png   BLOB,"
	  "  updated_at TEXT NOT NULL,"
	  "  updated_by TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE TABLE document_templates ("
	  "  id         INTEGER PRIMARY KEY,"
	  "  name       TEXT NOT NULL UNIQUE,"
	  "  title      TEXT NOT NULL,"
	  "  body       TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL,"
	  "  created_by TEXT NOT NULL,"
	  "  updated_at TEXT NOT NULL,"
	  "  updated_by TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE TABLE issued_documents ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  receipt_no     TEXT NOT NULL,"
	  "  n              INTEGER NOT NULL,"
	  "  title          TEXT NOT NULL,"
	  "  file_name      TEXT NOT NULL,"
	  "  source         TEXT NOT NULL CHECK (source IN ('template', 'upload')),"
	  "  template_id    INTEGER REFERENCES document_templates(id),"
	  "  pdf            BLOB NOT NULL,"
	  "  size           INTEGER NOT NULL,"
	  "  sha256         TEXT NOT NULL,"
	  "  issued_at      TEXT NOT NULL,"
	  "  issued_by      TEXT NOT NULL,"
	  "  bundle_id      TEXT UNIQUE,"
	  "  sent_at        TEXT,"
	  "  UNIQUE (application_id, n)"
	  ") STRICT;"
	  "CREATE INDEX issued_documents_unsent ON issued_documents(sent_at);" },
	{ 9,
	  /* Data-linking API keys (office_apikey.h): one per linked system, made by the
	   * operator. Only the SHA-256 of a key is kept; name is who the audit log
	   * says acted. department_id, when set, limits the key to that department's
	   * applications, like a clerk. */
	  "CREATE TABLE api_keys ("
	  "  id            INTEGER PRIMARY KEY,"
	  "  name          TEXT NOT NULL UNIQUE,"
	  "  key_sha256    TEXT NOT NULL UNIQUE,"
	  "  scope         TEXT NOT NULL CHECK (scope IN ('read','write')),"
	  "  department_id INTEGER REFERENCES departments(id),"
	  "  created_at    TEXT NOT NULL,"
	  "  created_by    TEXT NOT NULL,"
	  "  revoked_at    TEXT,"
	  "  last_used_at  TEXT"
	  ") STRICT;"
	  /* What a linked system (write scope) recorded about an application: its own
	   * reference number, so staff can see the application was taken over. */
	  "CREATE TABLE application_links ("
	  "  id             INTEGER PRIMARY KEY,"
	  "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	  "  system         TEXT NOT NULL,"
	  "  reference      TEXT NOT NULL,"
	  "  at             TEXT NOT NULL"
	  ") STRICT;"
	  "CREATE INDEX application_links_app ON application_links(application_id);"
	  /* The list's filters (app_query.h), each led by what it selects, then
	   * arrival (a page in order without sorting the table), then the department
	   * a clerk's view is limited to, so that a clerk's count and page are read
	   * from the index alone (tests/bench/bench_office.py). They replace the
	   * narrower status and assignee indexes of migration 4. */
	  "CREATE INDEX applications_procedure_dept ON applications(procedure_id, received_at,"
	  " department_id);"
	  "CREATE INDEX applications_status_dept ON applications(status, received_at, department_id);"
	  "CREATE INDEX applications_assignee_dept ON applications(assignee_id, received_at,"
	  " department_id);"
	  "DROP INDEX applications_status;"
	  "DROP INDEX applications_assignee;"
	  /* Statistics: a period's applications by procedure and department, from the
	   * index alone. */
	  "CREATE INDEX applications_stats ON applications(received_at, procedure_id, department_id);"
	  /* The text search of the list (app_query.h): a trigram index of each
	   * application's answers. Not kept by triggers: with TRUSTED_SCHEMA off
	   * (db.c) a trigger may not write a virtual table; app_query_sync adds the
	   * applications imported since, before each search. */
	  "CREATE VIRTUAL TABLE applications_fts USING fts5(answers, tokenize = 'trigram');"
	  "INSERT INTO applications_fts (rowid, answers) SELECT id,"
	  " coalesce(json_extract(application_json, '$.answers'), '') FROM applications;"
	  /* Statistics (office_stats.c): completion time per application. */
	  "CREATE INDEX application_history_to ON application_history(to_status, application_id);"
	  /* The audit search (audit_search.c) by period, person, action. */
	  "CREATE INDEX audit_log_at ON audit_log(at);"
	  "CREATE INDEX audit_log_actor ON audit_log(actor, at);"
	  "CREATE INDEX audit_log_action ON audit_log(action, at);" },
	{ 10,
	  /* A procedure's files (office_procfiles.h) until and after they are published:
	   * by SHA-256, as the definition names them and the catalogue bundle carries
	   * them. */
	  "CREATE TABLE procedure_files ("
	  "  sha256      TEXT PRIMARY KEY,"
	  "  name        TEXT NOT NULL,"
	  "  type        TEXT NOT NULL,"
	  "  size        INTEGER NOT NULL,"
	  "  data        BLOB NOT NULL,"
	  "  uploaded_at TEXT NOT NULL,"
	  "  uploaded_by TEXT NOT NULL"
	  ") STRICT;" },
	{ 11,
	  /* Test versions (テスト版, office_procedures.h): a draft published under an
	   * unlisted id of its own (CATALOGUE_TEST_PREFIX and a random token) so staff
	   * can try it through the real path. test_version counts its publications
	   * (the catalogue version of the test id); withdrawn_at is set when the entry
	   * is taken off the portal (the draft published or deleted). Rows are never
	   * deleted: a test application still in flight is known as one on arrival. */
	  "CREATE TABLE procedure_tests ("
	  "  test_id           TEXT PRIMARY KEY,"
	  "  procedure_id      TEXT NOT NULL,"
	  "  procedure_version INTEGER NOT NULL,"
	  "  test_version      INTEGER NOT NULL,"
	  "  published_at      TEXT NOT NULL,"
	  "  published_by      TEXT NOT NULL,"
	  "  withdrawn_at      TEXT"
	  ") STRICT;"
	  "CREATE INDEX procedure_tests_draft ON procedure_tests(procedure_id, procedure_version);"
	  /* A test application is attached to the draft it tried (procedure_id and
	   * procedure_version are the draft's) and kept apart from real ones. */
	  "ALTER TABLE applications ADD COLUMN test INTEGER NOT NULL DEFAULT 0;"
	  "CREATE INDEX applications_test ON applications(procedure_id, procedure_version)"
	  " WHERE test = 1;" },
	{ 12,
	  /* Every list, export and statistics query now says "test = 0" (or 1), which
	   * the indexes of migration 9 cannot answer: each count read all 100,000
	   * rows to look at the column (bench_office.py: list p50 7 ms became 350 ms).
	   * The column leads each of them instead: an equality on it keeps the order
	   * by arrival (and the rowid after it) and the answer inside the index, for
	   * the real applications and for a draft's test ones alike. received_at's
	   * own index stays: the importer's receipt window asks by time alone. */
	  "CREATE INDEX applications_test_received ON applications(test, received_at);"
	  "DROP INDEX applications_department;"
	  "CREATE INDEX applications_department ON applications(test, department_id, received_at);"
	  "DROP INDEX applications_procedure_dept;"
	  "CREATE INDEX applications_procedure_dept ON applications(test, procedure_id,"
	  " received_at, department_id);"
	  "DROP INDEX applications_status_dept;"
	  "CREATE INDEX applications_status_dept ON applications(test, status, received_at,"
	  " department_id);"
	  "DROP INDEX applications_assignee_dept;"
	  "CREATE INDEX applications_assignee_dept ON applications(test, assignee_id,"
	  " received_at, department_id);"
	  "DROP INDEX applications_stats;"
	  "CREATE INDEX applications_stats ON applications(test, received_at, procedure_id,"
	  " department_id);" },
};

const size_t office_db_nmigrations =
	sizeof office_db_migrations / sizeof office_db_migrations[0];

int
office_login_valid(const char *login)
{
	size_t n;

	if (login == NULL || !((login[0] >= 'a' && login[0] <= 'z') ||
			       (login[0] >= 'A' && login[0] <= 'Z') ||
			       (login[0] >= '0' && login[0] <= '9')))
		return 0;
	for (n = 0; login[n]; n++) {
		char c = login[n];

		if (n >= OFFICE_LOGIN_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

const char *
office_role_parse(const char *text)
{
	static const struct { const char *text, *role; } map[] = {
		{ "admin", OFFICE_ROLE_ADMIN }, { "管理者", OFFICE_ROLE_ADMIN },
		{ "clerk", OFFICE_ROLE_CLERK }, { "業務担当者", OFFICE_ROLE_CLERK },
		{ "auditor", OFFICE_ROLE_AUDITOR }, { "監査", OFFICE_ROLE_AUDITOR },
		{ "監査者", OFFICE_ROLE_AUDITOR },
	};
	for (size_t i = 0; text && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(text, map[i].text) == 0)
			return map[i].role;
	return NULL;
}

const char *
office_role_label(const char *role)
{
	if (strcmp(role, OFFICE_ROLE_ADMIN) == 0)
		return "管理者";
	if (strcmp(role, OFFICE_ROLE_CLERK) == 0)
		return "業務担当者";
	if (strcmp(role, OFFICE_ROLE_AUDITOR) == 0)
		return "監査者";
	return role;
}

int
office_text_valid(const char *s, size_t max_chars, const char *forbid)
{
	size_t chars = 0;

	if (s == NULL || s[0] == '\0' || !csvio_utf8_valid(s, strlen(s)))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7F)
			return 0;
		if (forbid != NULL && *p < 0x80 && strchr(forbid, *p) != NULL)
			return 0;
		if ((*p & 0xC0) != 0x80 && ++chars > max_chars)
			return 0;
	}
	return 1;
}

int
office_db_add_staff(struct db *db, const char *login, const char *display_name,
		    const char *role, const char *password, int must_change,
		    char *err, size_t errlen)
{
	char hash[PASSWORD_HASH_LEN];
	sqlite3_stmt *st;
	int rc;

	if (password_hash(password, hash) != 0) {
		snprintf(err, errlen, "staff %s: cannot hash password", login);
		return -1;
	}
	st = db_stmt(db, "INSERT INTO staff (login, display_name, role, password_hash,"
			 " must_change_password, password_changed_at, created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5,"
			 " strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
			 " strftime('%Y-%m-%dT%H:%M:%SZ','now'))");
	if (st == NULL) {
		snprintf(err, errlen, "staff %s: %s", login, db_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, display_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, must_change ? 1 : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "staff %s: %s", login,
			 db_is_constraint(rc) ? "already exists or invalid role" : db_errmsg(db));
		return -1;
	}
	return 0;
}

int
office_db_set_password(struct db *db, const char *login, const char *password,
		       int must_change, char *err, size_t errlen)
{
	char hash[PASSWORD_HASH_LEN];
	sqlite3_stmt *st;
	int rc;

	if (password_hash(password, hash) != 0) {
		snprintf(err, errlen, "staff %s: cannot hash password", login);
		return -1;
	}
	st = db_stmt(db, "UPDATE staff SET password_hash = ?1, must_change_password = ?2,"
			 " password_changed_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
			 " WHERE login = ?3");
	if (st == NULL) {
		snprintf(err, errlen, "staff %s: %s", login, db_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, must_change ? 1 : 0);
	sqlite3_bind_text(st, 3, login, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "staff %s: %s", login, db_errmsg(db));
		return -1;
	}
	return sqlite3_changes(db_handle(db)) == 1 ? 0 : 1;
}

int
office_db_department_of(struct db *db, const json_t *obj, int64_t *id)
{
	const json_t *v = json_object_get(obj, "department_id");
	const char *name = json_string_value(json_object_get(obj, "department"));
	sqlite3_stmt *st;
	int rc;

	if (v == NULL && name == NULL)
		return 0;
	st = v ? db_stmt(db, "SELECT id FROM departments WHERE id = ?1")
	       : db_stmt(db, "SELECT id FROM departments WHERE name = ?1");
	if (st == NULL)
		return -1;
	if (v != NULL)
		sqlite3_bind_int64(st, 1, json_is_integer(v) ? json_integer_value(v) : -1);
	else
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return rc == SQLITE_ROW;
}
