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
