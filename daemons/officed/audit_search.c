/*
 * audit_search.c — searching and exporting the audit log (see audit_search.h).
 *
 * Only 監査者 and 管理者 (OFFICE_READ_ALL) read the log: it records every
 * department's work. The log is only read here; the entry that records the
 * search is appended by audit_log_append like any other, after the rows were read,
 * so a search never sees itself.
 */
#include "audit_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csvio.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_export.h"
#include "office_query.h"

#define MSG_DB "サーバーで問題が発生しました。時間をおいてお試しください。"

struct audit_filter {
	char since[TIMEFMT_LEN], until[TIMEFMT_LEN];
	const char *actor, *action, *target;
	bool has_since, has_until;
};

static const char *
read_filter(struct http_request *req, struct audit_filter *f)
{
	const char *s;

	memset(f, 0, sizeof *f);
	if ((s = http_req_query(req, "since")) && s[0]) {
		if (office_query_instant(s, f->since) != 0)
			return "期間は YYYY-MM-DD の形で指定してください。";
		f->has_since = true;
	}
	if ((s = http_req_query(req, "until")) && s[0]) {
		/* A day is up to its end; an instant is exactly that. */
		if ((strlen(s) == 10 ? office_query_day(s, 1, f->until)
				     : office_query_instant(s, f->until)) != 0)
			return "期間は YYYY-MM-DD の形で指定してください。";
		f->has_until = true;
	}
	f->actor = http_req_query(req, "actor");
	f->action = http_req_query(req, "action");
	f->target = http_req_query(req, "target");
	if (f->actor && !f->actor[0])
		f->actor = NULL;
	if (f->action && !f->action[0])
		f->action = NULL;
	if (f->target && !f->target[0])
		f->target = NULL;
	if ((f->actor && strlen(f->actor) > AUDIT_SEARCH_TEXT_MAX) ||
	    (f->action && strlen(f->action) > AUDIT_SEARCH_TEXT_MAX) ||
	    (f->target && strlen(f->target) > AUDIT_SEARCH_TEXT_MAX))
		return "検索条件は 256 バイト以内で指定してください。";
	return NULL;
}

#define AUDIT_WHERE \
	" WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)" \
	" AND (?3 IS NULL OR actor = ?3)" \
	" AND (?4 IS NULL OR action = ?4 OR (substr(?4, -1) = '.'" \
	"      AND substr(action, 1, length(?4)) = ?4))" \
	" AND (?5 IS NULL OR instr(target, ?5) > 0)"

static void
bind_filter(sqlite3_stmt *st, const struct audit_filter *f)
{
	if (f->has_since)
		sqlite3_bind_text(st, 1, f->since, -1, SQLITE_STATIC);
	if (f->has_until)
		sqlite3_bind_text(st, 2, f->until, -1, SQLITE_STATIC);
	if (f->actor)
		sqlite3_bind_text(st, 3, f->actor, -1, SQLITE_STATIC);
	if (f->action)
		sqlite3_bind_text(st, 4, f->action, -1, SQLITE_STATIC);
	if (f->target)
		sqlite3_bind_text(st, 5, f->target, -1, SQLITE_STATIC);
}

static json_t *
filter_json(const struct audit_filter *f, struct http_request *req)
{
	return json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "since", http_req_query(req, "since"),
			 "until", http_req_query(req, "until"), "actor", f->actor,
			 "action", f->action, "target", f->target);
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

void
office_handle_audit_search(struct http_request *req, void *app)
{
	struct office_actor a;
	struct audit_filter f;
	const char *why, *v;
	long long limit = AUDIT_SEARCH_PAGE_DEFAULT, before = 0, last = 0, n = 0;
	sqlite3_stmt *st;
	json_t *list, *d;
	char *end, next[24];
	bool more;
	int rc;

	if (office_authz_begin(app, req, OFFICE_READ_ALL, &a) != 0)
		return;
	why = read_filter(req, &f);
	if ((v = http_req_query(req, "limit")) && v[0] &&
	    ((limit = strtoll(v, &end, 10)) < 1 || *end || limit > AUDIT_SEARCH_PAGE_MAX))
		why = "limit は 1〜500 で指定してください。";
	if ((v = http_req_query(req, "before")) && v[0] &&
	    ((before = strtoll(v, &end, 10)) < 1 || *end))
		why = "before には前の応答の next_before をそのまま指定してください。";
	if (why != NULL) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_query", why);
		return;
	}
	st = db_stmt(a.t->db, "SELECT seq, at, actor, action, target, remote, detail FROM audit_log"
			      AUDIT_WHERE " AND (?6 = 0 OR seq < ?6) ORDER BY seq DESC LIMIT ?7");
	if (st == NULL)
		return office_fail_db(req, &a, "audit search");
	bind_filter(st, &f);
	sqlite3_bind_int64(st, 6, before);
	sqlite3_bind_int64(st, 7, limit + 1);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		char at[TIMEFMT_LEN], err[64];
		const char *detail = col(st, 6);
		json_t *dj = jsonio_parse(detail, strlen(detail), 64 * 1024, JSONIO_MAX_DEPTH, err,
					  sizeof err);

		office_query_jst(col(st, 1), at);
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o}",
			"seq", (json_int_t)last, "at", at, "actor", col(st, 2), "action", col(st, 3),
			"target", col(st, 4), "remote", col(st, 5),
			"detail", dj ? dj : json_null()));
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "audit search");
	}
	more = rc == SQLITE_ROW;
	d = filter_json(&f, req);
	json_object_set_new(d, "rows", json_integer(n));
	rc = office_audit(&a, "audit.search", "audit_log", d);
	json_decref(d);
	if (rc != 0) {
		json_decref(list);
		return office_fail_db(req, &a, "audit search");
	}
	office_authz_end(&a);
	snprintf(next, sizeof next, "%lld", last);
	http_reply_json(req, 200, json_pack("{s:o,s:s?}", "entries", list, "next_before",
					    more ? next : NULL));
}

void
office_handle_audit_csv(struct http_request *req, void *app)
{
	static const char *const header[] = {
		"記録番号", "日時", "操作者", "操作", "対象", "接続元", "詳細", "ハッシュ", NULL,
	};
	struct office_actor a;
	struct audit_filter f;
	struct export_replaced rep = { 0 };
	const char *why, *enc = http_req_query(req, "encoding");
	char *row = NULL, cd[96], day[TIMEFMT_LEN];
	size_t rowlen = 0;
	long long rows = 0;
	bool cp932 = enc && strcmp(enc, "cp932") == 0;
	sqlite3_stmt *st;
	FILE *out = NULL, *rf = NULL;
	struct stat sb;
	json_t *d;
	int fd = -1, rc;

	if (office_authz_begin(app, req, OFFICE_READ_ALL, &a) != 0)
		return;
	why = read_filter(req, &f);
	if (enc && enc[0] && !cp932 && strcmp(enc, "utf-8") != 0)
		why = "encoding は utf-8 か cp932 で指定してください。";
	if (why != NULL) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_query", why);
		return;
	}
	st = db_stmt(a.t->db, "SELECT seq, at, actor, action, target, remote, detail, hash"
			      " FROM audit_log" AUDIT_WHERE " ORDER BY seq LIMIT ?6");
	if (st == NULL || (fd = office_export_spill(a.o)) < 0 ||
	    (out = fdopen(dup(fd), "w")) == NULL || (rf = open_memstream(&row, &rowlen)) == NULL) {
		if (out)
			fclose(out);
		if (fd >= 0)
			close(fd);
		return office_fail_db(req, &a, "audit csv");
	}
	bind_filter(st, &f);
	sqlite3_bind_int64(st, 6, AUDIT_SEARCH_CSV_MAX + 1);
	if (!cp932)
		fputs("\xEF\xBB\xBF", out);
	for (size_t i = 0; header[i]; i++)
		csvio_write_field(rf, header[i], header[i + 1] == NULL, true);
	fflush(rf);
	rc = cp932 ? export_write_cp932(out, row, rowlen, &rep)
		   : (fwrite(row, 1, rowlen, out) == rowlen ? 0 : -1);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];
		long pos;

		if (++rows > AUDIT_SEARCH_CSV_MAX)
			break;
		rewind(rf);
		office_query_jst(col(st, 1), at);
		csvio_write_field(rf, col(st, 0), false, true);
		csvio_write_field(rf, at, false, true);
		for (int i = 2; i <= 7; i++)
			csvio_write_field(rf, col(st, i), i == 7, true);
		fflush(rf);
		pos = ftell(rf);
		rc = cp932 ? export_write_cp932(out, row, (size_t)pos, &rep)
			   : (fwrite(row, 1, (size_t)pos, out) == (size_t)pos ? 0 : -1);
	}
	sqlite3_reset(st);
	fclose(rf);
	free(row);
	if (fclose(out) != 0 || (rc != SQLITE_DONE && rc != SQLITE_ROW) || fstat(fd, &sb) != 0) {
		close(fd);
		return office_fail_db(req, &a, "audit csv");
	}
	if (rows > AUDIT_SEARCH_CSV_MAX) {
		close(fd);
		office_authz_end(&a);
		http_reply_error(req, 413, "too_many_rows", "出力する記録が 200,000 件を超えます。"
				 "期間を短くしてください。");
		return;
	}
	d = filter_json(&f, req);
	json_object_set_new(d, "rows", json_integer(rows));
	json_object_set_new(d, "encoding", json_string(cp932 ? "cp932" : "utf-8"));
	rc = office_audit(&a, "audit.export", "audit_log", d);
	json_decref(d);
	if (rc != 0) {
		close(fd);
		return office_fail_db(req, &a, "audit csv");
	}
	office_authz_end(&a);
	timefmt_jst_day(time(NULL), day);
	snprintf(cd, sizeof cd, "attachment; filename=\"audit-log-%s%s.csv\"", day,
		 cp932 ? "-sjis" : "");
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_fd(req, 200, cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
		      fd, (uint64_t)sb.st_size);
}
