/*
 * app_query.c — the application list's WHERE clause (see app_query.h).
 *
 * The text search: a search text of three characters or more is a phrase of the
 * trigram index (FTS5, tokenize 'trigram': any substring of three characters or
 * more is found through the index, case-insensitively for Latin letters); a
 * shorter one, such as a two-character surname (佐藤), cannot be, and is looked for
 * with instr() in the index's own copy of the answers, which is far smaller to scan
 * than the applications' JSON.
 */
#include "app_query.h"

#include <stdio.h>
#include <string.h>

#include "csvio.h"
#include "office_auth.h"
#include "office_query.h"
#include "workflow.h"

int
app_query_read(struct http_request *req, const struct office_actor *a, struct app_query *f,
	       const char **why)
{
	const char *s;

	memset(f, 0, sizeof *f);
	f->all_departments = office_authz_all_departments(a);
	f->staff_id = a->id;
	f->procedure = http_req_query(req, "procedure");
	f->status = http_req_query(req, "status");
	f->q = http_req_query(req, "q");
	if (f->procedure && !f->procedure[0])
		f->procedure = NULL;
	if (f->status && !f->status[0])
		f->status = NULL;
	if (f->q && !f->q[0])
		f->q = NULL;
	f->test = (s = http_req_query(req, "test")) != NULL && strcmp(s, "1") == 0;
	if (f->status && workflow_parse(f->status) < 0) {
		*why = "status には状態コード（arrived, accepted, review など）を指定してください。";
		return -1;
	}
	if (f->q && (strlen(f->q) > APP_QUERY_TEXT_MAX || !csvio_utf8_valid(f->q, strlen(f->q)))) {
		*why = "検索する文字は 100 バイト以内で指定してください。";
		return -1;
	}
	if ((s = http_req_query(req, "since")) && s[0]) {
		if (office_query_day(s, 0, f->since) != 0) {
			*why = "期間は YYYY-MM-DD の形で指定してください。";
			return -1;
		}
		f->has_since = true;
	}
	if ((s = http_req_query(req, "until")) && s[0]) {
		if (office_query_day(s, 1, f->until) != 0) {
			*why = "期間は YYYY-MM-DD の形で指定してください。";
			return -1;
		}
		f->has_until = true;
	}
	if ((s = http_req_query(req, "assignee")) && s[0]) {
		if (strcmp(s, "none") == 0) {
			f->assignee = -1;
		} else if (strcmp(s, "me") == 0) {
			f->assignee = a->id;
		} else {
			sqlite3_stmt *st = db_stmt(a->t->db, "SELECT id FROM staff WHERE login = ?1");

			if (st == NULL)
				return -2;
			sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
			f->assignee = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
								     : INT64_MAX;
			sqlite3_reset(st);
		}
	}
	return 0;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int
app_query_where(const struct app_query *f, char *out, size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, " WHERE 1");

#define ADD(frag) \
	do { \
		if (n + sizeof(frag) > outlen) \
			return -1; \
		memcpy(out + n, frag, sizeof(frag)); \
		n += sizeof(frag) - 1; \
	} while (0)
	/* Test applications are kept apart: shown only when asked for, and then alone. */
	if (f->test)
		ADD(" AND a.test = 1");
	else
		ADD(" AND a.test = 0");
	if (!f->all_departments)
		ADD(" AND a.department_id IN (SELECT department_id FROM staff_departments"
		    " WHERE staff_id = :staff)");
	if (f->procedure)
		ADD(" AND a.procedure_id = :procedure");
	if (f->status)
		ADD(" AND a.status = :status");
	if (f->has_since)
		ADD(" AND a.received_at >= :since");
	if (f->has_until)
		ADD(" AND a.received_at < :until");
	if (f->assignee == -1)
		ADD(" AND a.assignee_id IS NULL");
	else if (f->assignee != 0)
		ADD(" AND a.assignee_id = :assignee");
	if (f->q && utf8_chars(f->q) >= 3)
		ADD(" AND a.id IN (SELECT rowid FROM applications_fts WHERE applications_fts"
		    " MATCH :phrase)");
	else if (f->q)
		ADD(" AND a.id IN (SELECT rowid FROM applications_fts WHERE instr(answers, :q) > 0)");
#undef ADD
	return 0;
}

int
app_query_sync(struct db *db)
{
	/* One statement: in its own transaction, and cheap when nothing is new (the
	 * greatest rowid of each, then an empty range of the primary key). */
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO applications_fts (rowid, answers)"
				       " SELECT id, coalesce(json_extract(application_json,"
				       " '$.answers'), '') FROM applications WHERE id >"
				       " (SELECT coalesce(max(rowid), 0) FROM applications_fts)"
				       " ORDER BY id");

	return db_step_done(st);
}

static void
bind(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

void
app_query_bind(sqlite3_stmt *st, const struct app_query *f)
{
	int i;

	if ((i = sqlite3_bind_parameter_index(st, ":staff")) > 0)
		sqlite3_bind_int64(st, i, f->staff_id);
	if ((i = sqlite3_bind_parameter_index(st, ":assignee")) > 0)
		sqlite3_bind_int64(st, i, f->assignee);
	if (f->procedure)
		bind(st, ":procedure", f->procedure);
	if (f->status)
		bind(st, ":status", f->status);
	if (f->has_since)
		bind(st, ":since", f->since);
	if (f->has_until)
		bind(st, ":until", f->until);
	if (f->q) {
		/* An FTS5 phrase: the text in double quotes, each quote doubled, so that
		 * nothing in it is read as query syntax (AND, NEAR, *, column names). */
		char phrase[APP_QUERY_TEXT_MAX * 2 + 3];
		size_t o = 0;

		phrase[o++] = '"';
		for (const char *s = f->q; *s && o + 3 < sizeof phrase; s++) {
			if (*s == '"')
				phrase[o++] = '"';
			phrase[o++] = *s;
		}
		phrase[o++] = '"';
		phrase[o] = '\0';
		bind(st, ":phrase", phrase);
		bind(st, ":q", f->q);
	}
}
