/*
 * office_stats.c — statistics (see office_stats.h).
 *
 * One grouped query answers both the JSON and the CSV, so the page and the file
 * never disagree. Days and months are those of Japan: a stored UTC time is moved
 * by nine hours before it is cut into a day. An application counts in the day it
 * arrived; its completion time is that of its history row to 'completed', which
 * change_status writes once (completed is final).
 */
#include "office_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvio.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_export.h"
#include "office_query.h"

#define MSG_DB "サーバーで問題が発生しました。時間をおいてお試しください。"

struct stats_query {
	bool monthly;
	char since[TIMEFMT_LEN], until[TIMEFMT_LEN];	/* stored UTC, [since, until) */
	char since_day[11], until_day[11];		/* as asked, Japan days */
	const char *procedure;
};

/* The query string, defaulting to the last 30 days (day) or 12 months (month). */
static const char *
read_query(struct http_request *req, struct stats_query *q)
{
	const char *period = http_req_query(req, "period");
	const char *since = http_req_query(req, "since"), *until = http_req_query(req, "until");
	char today[TIMEFMT_LEN];
	time_t now = time(NULL), s, u;


	memset(q, 0, sizeof *q);
	if (period && period[0] && strcmp(period, "day") != 0 && strcmp(period, "month") != 0)
		return "period は day か month で指定してください。";
	q->monthly = period && strcmp(period, "month") == 0;
	q->procedure = http_req_query(req, "procedure");
	if (q->procedure && !q->procedure[0])
		q->procedure = NULL;
	if (until && until[0]) {
		snprintf(q->until_day, sizeof q->until_day, "%.10s", until);
	} else {
		struct tm tm;
		time_t j = now + TIMEFMT_JST_OFFSET;

		gmtime_r(&j, &tm);
		strftime(today, sizeof today, "%Y-%m-%d", &tm);
		snprintf(q->until_day, sizeof q->until_day, "%s", today);
	}
	if (office_query_day(q->until_day, 1, q->until) != 0 || (until && strlen(until) != 10))
		return "期間は YYYY-MM-DD の形で指定してください。";
	if (since && since[0]) {
		snprintf(q->since_day, sizeof q->since_day, "%.10s", since);
		if (strlen(since) != 10 || office_query_day(q->since_day, 0, q->since) != 0)
			return "期間は YYYY-MM-DD の形で指定してください。";
	} else {
		/* The last 30 days, or the last 12 months from the first of one. */
		struct tm tm = { 0 };
		time_t t;

		sscanf(q->until_day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		if (q->monthly) {
			tm.tm_mon -= 11;
			tm.tm_mday = 1;
		} else {
			tm.tm_mday -= 29;
		}
		t = timegm(&tm);
		gmtime_r(&t, &tm);
		strftime(q->since_day, sizeof q->since_day, "%Y-%m-%d", &tm);
		office_query_day(q->since_day, 0, q->since);
	}
	if (timefmt_parse_rfc3339(q->since, &s) != 0 || timefmt_parse_rfc3339(q->until, &u) != 0 ||
	    u <= s)
		return "期間の始めは終わりより前の日にしてください。";
	if (!q->monthly && (u - s) / 86400 > STATS_DAYS_MAX)
		return "日ごとの集計は 366 日までです。月ごとにするか、期間を短くしてください。";
	if (q->monthly && (u - s) / 86400 > STATS_MONTHS_MAX * 31)
		return "月ごとの集計は 10 年までです。";
	return NULL;
}

/* The grouped figures: [{procedure_id, title, bucket, arrived, completed,
 * avg_completion_s}] in bucket order. NULL on a database error. Lock held. */
static json_t *
figures(struct office_actor *a, const struct stats_query *q)
{
	sqlite3_stmt *st = db_stmt(a->t->db,
		"SELECT a.procedure_id,"
		" (SELECT json_extract(p.definition, '$.title') FROM procedures p"
		"  WHERE p.id = a.procedure_id ORDER BY p.version DESC LIMIT 1),"
		" strftime(CASE WHEN ?5 THEN '%Y-%m' ELSE '%Y-%m-%d' END, a.received_at, '+9 hours') b,"
		" count(*), count(h.id),"
		" avg(CASE WHEN h.id IS NOT NULL THEN"
		"  (julianday(h.at) - julianday(a.received_at)) * 86400.0 END)"
		" FROM applications a LEFT JOIN application_history h"
		"  ON h.application_id = a.id AND h.to_status = 'completed'"
		" WHERE " OFFICE_AUTHZ_DEPT_FILTER("a.department_id", "?1", "?2")
		" AND a.received_at >= ?3 AND a.received_at < ?4 AND a.test = 0"
		" AND (?6 IS NULL OR a.procedure_id = ?6)"
		" GROUP BY a.procedure_id, b ORDER BY b, a.procedure_id LIMIT ?7");
	json_t *out;
	int rc;

	if (st == NULL)
		return NULL;
	sqlite3_bind_int(st, 1, office_authz_all_departments(a));
	sqlite3_bind_int64(st, 2, a->id);
	sqlite3_bind_text(st, 3, q->since, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->until, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, q->monthly);
	if (q->procedure)
		sqlite3_bind_text(st, 6, q->procedure, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, STATS_ROWS_MAX);
	out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *title = (const char *)sqlite3_column_text(st, 1);

		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:I,s:o}",
			"procedure_id", id ? id : "", "title", title ? title : (id ? id : ""),
			"bucket", (const char *)sqlite3_column_text(st, 2),
			"arrived", (json_int_t)sqlite3_column_int64(st, 3),
			"completed", (json_int_t)sqlite3_column_int64(st, 4),
			"avg_completion_s", sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null()
				: json_integer((json_int_t)(sqlite3_column_double(st, 5) + 0.5))));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Per procedure over the whole period: totals and the average weighted by count. */
static json_t *
totals(const json_t *rows)
{
	json_t *by = json_object(), *out = json_array(), *r, *t;
	const char *key;
	size_t i;

	json_array_foreach(rows, i, r) {
		const char *id = jsonio_str(r, "procedure_id", "");
		long long arrived = json_integer_value(json_object_get(r, "arrived"));
		long long done = json_integer_value(json_object_get(r, "completed"));
		const json_t *avg = json_object_get(r, "avg_completion_s");

		if ((t = json_object_get(by, id)) == NULL) {
			t = json_pack("{s:s,s:s,s:I,s:I,s:f}", "procedure_id", id,
				      "title", jsonio_str(r, "title", id), "arrived", (json_int_t)0,
				      "completed", (json_int_t)0, "sum_s", 0.0);
			json_object_set_new(by, id, t);
		}
		json_object_set_new(t, "arrived", json_integer(
			json_integer_value(json_object_get(t, "arrived")) + arrived));
		json_object_set_new(t, "completed", json_integer(
			json_integer_value(json_object_get(t, "completed")) + done));
		if (json_is_integer(avg))
			json_object_set_new(t, "sum_s", json_real(
				json_real_value(json_object_get(t, "sum_s")) +
				(double)json_integer_value(avg) * (double)done));
	}
	json_object_foreach(by, key, t) {
		long long done = json_integer_value(json_object_get(t, "completed"));
		double sum = json_real_value(json_object_get(t, "sum_s"));

		json_object_set_new(t, "avg_completion_s", done > 0
			? json_integer((json_int_t)(sum / (double)done + 0.5)) : json_null());
		json_object_del(t, "sum_s");
		json_array_append(out, t);
	}
	json_decref(by);
	return out;
}

static int
begin(struct http_request *req, void *app, struct office_actor *a, struct stats_query *q,
      json_t **rows)
{
	const char *why;

	if (office_authz_begin(app, req, OFFICE_ANY, a) != 0)
		return -1;
	if ((why = read_query(req, q)) != NULL) {
		office_authz_end(a);
		http_reply_error(req, 400, "invalid_query", why);
		return -1;
	}
	if ((*rows = figures(a, q)) == NULL) {
		log_err("tenant %s: stats: %s", a->t->name, db_errmsg(a->t->db));
		office_authz_end(a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return -1;
	}
	return 0;
}

void
office_handle_stats(struct http_request *req, void *app)
{
	struct office_actor a;
	struct stats_query q;
	json_t *rows;
	bool scoped;

	if (begin(req, app, &a, &q, &rows) != 0)
		return;
	scoped = !office_authz_all_departments(&a);
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:s,s:s,s:o,s:o,s:b,s:n,s:s}",
		"period", q.monthly ? "month" : "day", "since", q.since_day, "until", q.until_day,
		"rows", rows, "procedures", totals(rows), "department_scoped", scoped,
		"form_downloads",
		"form_downloads_note", "申請書様式のダウンロード数は記録していないため、集計できません。"));
}

void
office_handle_stats_csv(struct http_request *req, void *app)
{
	static const char *const header[] = {
		"手続ID", "手続名", "期間", "到達件数", "完了件数", "平均処理時間（時間）", NULL,
	};
	struct office_actor a;
	struct stats_query q;
	struct export_replaced rep = { 0 };
	const char *enc = http_req_query(req, "encoding");
	char *buf = NULL, *out = NULL, cd[128];
	size_t len = 0, outlen = 0;
	json_t *rows, *r, *d;
	FILE *f, *o;
	size_t i;
	bool cp932 = enc && strcmp(enc, "cp932") == 0;
	int rc;

	if (enc && enc[0] && !cp932 && strcmp(enc, "utf-8") != 0) {
		http_reply_error(req, 400, "invalid_query",
				 "encoding は utf-8 か cp932 で指定してください。");
		return;
	}
	if (begin(req, app, &a, &q, &rows) != 0)
		return;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		json_decref(rows);
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	for (i = 0; header[i]; i++)
		csvio_write_field(f, header[i], header[i + 1] == NULL, true);
	json_array_foreach(rows, i, r) {
		char n1[24], n2[24], avg[32] = "";
		const json_t *s = json_object_get(r, "avg_completion_s");

		snprintf(n1, sizeof n1, "%lld", (long long)json_integer_value(json_object_get(r, "arrived")));
		snprintf(n2, sizeof n2, "%lld", (long long)json_integer_value(json_object_get(r, "completed")));
		if (json_is_integer(s))
			snprintf(avg, sizeof avg, "%.1f", (double)json_integer_value(s) / 3600.0);
		csvio_write_field(f, jsonio_str(r, "procedure_id", ""), false, true);
		csvio_write_field(f, jsonio_str(r, "title", ""), false, true);
		csvio_write_field(f, jsonio_str(r, "bucket", ""), false, true);
		csvio_write_field(f, n1, false, true);
		csvio_write_field(f, n2, false, true);
		csvio_write_field(f, avg, true, true);
	}
	json_decref(rows);
	fclose(f);
	rc = -1;
	if ((o = open_memstream(&out, &outlen)) != NULL) {
		rc = cp932 ? export_write_cp932(o, buf, len, &rep)
			   : (fputs("\xEF\xBB\xBF", o) == EOF || fwrite(buf, 1, len, o) != len);
		fclose(o);
	}
	free(buf);
	d = json_pack("{s:s,s:s,s:s,s:s?,s:s}", "period", q.monthly ? "month" : "day",
		      "since", q.since_day, "until", q.until_day, "procedure", q.procedure,
		      "encoding", cp932 ? "cp932" : "utf-8");
	if (rc != 0 || office_audit(&a, "stats.export", "statistics", d) != 0) {
		json_decref(d);
		free(out);
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	json_decref(d);
	office_authz_end(&a);
	snprintf(cd, sizeof cd, "attachment; filename=\"statistics-%s-%s%s.csv\"", q.since_day,
		 q.until_day, cp932 ? "-sjis" : "");
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_bytes(req, 200, cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
			 out, outlen);
	free(out);
}
