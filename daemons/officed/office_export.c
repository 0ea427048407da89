/*
 * office_export.c — CSV of chosen columns and attachments as a zip (see
 * office_export.h).
 *
 * What this file keeps true:
 *  - Only columns of the whitelist are written: fixed ones, and answer.NAME for a
 *    field name a procedure definition can have. A column cannot reach anything
 *    of the row but its answers.
 *  - An export is written to an unlinked file in officed's upload directory and
 *    streamed from it (http_reply_fd): memory stays flat however many rows; rows,
 *    applications and bytes are bounded by the #defines of the header.
 *  - Every cell is formula-safe (csvio_write_field): answers are the citizen's words.
 *  - In CP932 a character it has not (𠮷, some 異体字) becomes 〓 and is reported in
 *    the reply's X-Export-Replaced header and the audit entry, never silently lost.
 *  - A zip member is copied from the stored bundle while hashed and checked against
 *    the import-verified manifest; one that does not match fails the whole export
 *    (nothing is sent), as app_files.h refuses it for one file.
 */
#define _GNU_SOURCE	/* O_TMPFILE, mkostemp */
#include "office_export.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app_files.h"
#include "app_query.h"
#include "app_view.h"
#include "config.h"
#include "crypto.h"
#include "csvio.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_procedures.h"
#include "office_query.h"
#include "workflow.h"

#define MSG_DB     "サーバーで問題が発生しました。時間をおいてお試しください。"
#define APP_JSON_MAX (8 * 1024 * 1024)
#define FIELD_NAME_MAX 64

/* ---- CP932 ----------------------------------------------------------------------- */

/* The code point of the UTF-8 character at s (n bytes left) and its length; 0 if
 * not a well-formed character (overlong forms, surrogates and code points past
 * U+10FFFF are not). */
static size_t
utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
		   : (s[0] & 0xF8) == 0xF0 ? 4 : 0;

	if (len == 0 || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 2 && *cp < 0x80) || (len == 3 && *cp < 0x800) || (len == 4 && *cp < 0x10000) ||
	    (*cp >= 0xD800 && *cp <= 0xDFFF) || *cp > 0x10FFFF)
		return 0;
	return len;
}

static void
note_replaced(struct export_replaced *rep, uint32_t cp)
{
	rep->count++;
	for (size_t i = 0; i < rep->ndistinct; i++)
		if (rep->distinct[i] == cp)
			return;
	if (rep->ndistinct < EXPORT_REPLACED_KEEP)
		rep->distinct[rep->ndistinct++] = cp;
}

int
export_write_cp932(FILE *out, const char *in, size_t len, struct export_replaced *rep)
{
	char buf[4096], *ip = (char *)in;
	size_t left = len;
	iconv_t cd;
	int rc = 0;

	if (!csvio_utf8_valid(in, len) || (cd = iconv_open("CP932", "UTF-8")) == (iconv_t)-1)
		return -1;
	while (left > 0 && rc == 0) {
		char *op = buf;
		size_t oleft = sizeof buf;
		size_t r = iconv(cd, &ip, &left, &op, &oleft);
		int e = errno;

		if (op > buf && fwrite(buf, 1, (size_t)(op - buf), out) != (size_t)(op - buf))
			rc = -1;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e == EILSEQ) {
			uint32_t cp;
			size_t n = utf8_char((const unsigned char *)ip, left, &cp);

			if (n == 0) {
				rc = -1;
				break;
			}
			note_replaced(rep, cp);
			if (fputs(EXPORT_CP932_REPLACEMENT, out) == EOF)
				rc = -1;
			ip += n;
			left -= n;
		} else {
			rc = -1;
		}
	}
	iconv_close(cd);
	return rc;
}

void
export_file_name(const char *display_name, const char *type, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)(display_name ? display_name : "");
	const char *dot = strrchr((const char *)s, '.');
	size_t stem = dot && dot != (const char *)s ? (size_t)(dot - (const char *)s) : strlen((const char *)s);
	size_t o = 0, limit = outlen - 1 < EXPORT_NAME_MAX ? outlen - 1 : EXPORT_NAME_MAX;
	size_t extlen = strlen(type) + 1;

	if (limit > extlen)
		limit -= extlen;
	else
		limit = 0;
	for (size_t i = 0; i < stem && s[i];) {
		uint32_t cp;
		size_t n = utf8_char(s + i, stem - i, &cp);

		if (n == 0)
			break;
		if (o + n > limit)
			break;
		/* No separators, nothing a shell or an unzip tool reads as a path. */
		if (cp < 0x20 || cp == 0x7F || cp == '/' || cp == '\\' || cp == ':' ||
		    (o == 0 && cp == '.')) {
			out[o++] = '_';
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	if (o == 0 && limit >= 4) {
		memcpy(out, "file", 4);
		o = 4;
	}
	snprintf(out + o, outlen - o, ".%s", type[0] ? type : "bin");
}

/* ---- the filter every export shares ---------------------------------------------- */

static json_t *
filter_json(const struct app_query *f, struct http_request *req)
{
	return json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "procedure", f->procedure,
			 "status", f->status, "q", f->q, "since", http_req_query(req, "since"),
			 "until", http_req_query(req, "until"),
			 "assignee", http_req_query(req, "assignee"));
}

int
office_export_spill(struct officed *o)
{
	const char *dir = config_str(o->cfg, "upload_dir");
	char path[PATH_MAX];
	int fd;

	if (dir == NULL)
		return -1;
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
	snprintf(path, sizeof path, "%s/export-XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

/* ---- columns --------------------------------------------------------------------- */

enum col_kind {
	COL_RECEIPT, COL_PROCEDURE_ID, COL_VERSION, COL_TITLE, COL_STATUS, COL_RECEIVED,
	COL_SUBMITTED, COL_DEPARTMENT, COL_ASSIGNEE, COL_ATTACHMENTS, COL_ANSWERS, COL_ANSWER,
};

static const struct {
	const char *name, *label;
	enum col_kind kind;
} fixed_columns[] = {
	{ "receipt_no", "到達番号", COL_RECEIPT },
	{ "procedure_id", "手続ID", COL_PROCEDURE_ID },
	{ "procedure_version", "版", COL_VERSION },
	{ "procedure_title", "手続名", COL_TITLE },
	{ "status", "状態", COL_STATUS },
	{ "received_at", "到達日時", COL_RECEIVED },
	{ "submitted_at", "申請日時", COL_SUBMITTED },
	{ "department", "部署", COL_DEPARTMENT },
	{ "assignee", "担当者", COL_ASSIGNEE },
	{ "attachments", "添付ファイル数", COL_ATTACHMENTS },
	{ "answers", "回答（すべて）", COL_ANSWERS },
};
#define NFIXED (sizeof fixed_columns / sizeof fixed_columns[0])
#define DEFAULT_COLUMNS "receipt_no,procedure_id,procedure_title,status,received_at,department,assignee"

struct column {
	enum col_kind kind;
	char name[FIELD_NAME_MAX + 8];		/* as requested */
	char field[FIELD_NAME_MAX + 1];		/* COL_ANSWER: the answer's name */
	char label[256];
	const json_t *def;			/* COL_ANSWER: the field's definition, if known */
};

static int
field_name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= FIELD_NAME_MAX || !((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '_' || s[n] == '-'))
			return 0;
	return n > 0;
}

/* The newest definition of procedure id (lock held): new reference or NULL. */
static json_t *
latest_definition(struct db *db, const char *id)
{
	sqlite3_stmt *st;
	json_t *def = NULL;
	char err[64];

	if (id == NULL || (st = db_stmt(db, "SELECT definition FROM procedures WHERE id = ?1"
					    " ORDER BY version DESC LIMIT 1")) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		def = jsonio_parse(t, strlen(t), 4 * 1024 * 1024, JSONIO_MAX_DEPTH, err, sizeof err);
	}
	sqlite3_reset(st);
	return def;
}

static const json_t *
def_field(const json_t *def, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(def, "schema"), "fields"), i, f)
		if (strcmp(jsonio_str(f, "name", ""), name) == 0)
			return f;
	return NULL;
}

/* Parse columns= (comma-separated names). 0, or -1 with why. */
static int
parse_columns(const char *spec, const json_t *def, struct column *cols, size_t *n,
	      char *why, size_t whylen)
{
	char buf[EXPORT_COLUMNS_MAX * (FIELD_NAME_MAX + 8)], *save = NULL, *tok;

	*n = 0;
	if (spec == NULL || spec[0] == '\0')
		spec = DEFAULT_COLUMNS;
	if (strlen(spec) >= sizeof buf) {
		snprintf(why, whylen, "列の指定が長すぎます。");
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct column *c = &cols[*n];
		size_t i;

		if (*n >= EXPORT_COLUMNS_MAX) {
			snprintf(why, whylen, "列は %d 個までです。", EXPORT_COLUMNS_MAX);
			return -1;
		}
		memset(c, 0, sizeof *c);
		for (i = 0; i < NFIXED; i++)
			if (strcmp(tok, fixed_columns[i].name) == 0)
				break;
		if (i < NFIXED) {
			c->kind = fixed_columns[i].kind;
			snprintf(c->label, sizeof c->label, "%s", fixed_columns[i].label);
		} else if (strncmp(tok, "answer.", 7) == 0 && field_name_valid(tok + 7)) {
			c->kind = COL_ANSWER;
			snprintf(c->field, sizeof c->field, "%s", tok + 7);
			c->def = def_field(def, c->field);
			snprintf(c->label, sizeof c->label, "%s",
				 jsonio_str(c->def, "label", c->field));
		} else {
			snprintf(why, whylen, "列「%.64s」は出力できません。出力できる列は"
				 " exports/columns で確かめてください。", tok);
			return -1;
		}
		snprintf(c->name, sizeof c->name, "%s", tok);
		(*n)++;
	}
	if (*n == 0) {
		snprintf(why, whylen, "列を 1 つ以上指定してください。");
		return -1;
	}
	return 0;
}

void
office_handle_export_columns(struct http_request *req, void *app)
{
	struct office_actor a;
	const char *proc;
	json_t *cols, *def, *f;
	size_t i;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	proc = http_req_query(req, "procedure");
	cols = json_array();
	for (i = 0; i < NFIXED; i++)
		json_array_append_new(cols, json_pack("{s:s,s:s,s:b}", "name", fixed_columns[i].name,
			"label", fixed_columns[i].label, "default",
			strstr(DEFAULT_COLUMNS, fixed_columns[i].name) != NULL));
	def = latest_definition(a.t->db, proc && proc[0] ? proc : NULL);
	json_array_foreach(json_object_get(json_object_get(def, "schema"), "fields"), i, f) {
		const char *name = jsonio_str(f, "name", ""), *type = jsonio_str(f, "type", "");
		char cname[FIELD_NAME_MAX + 8];

		if (!field_name_valid(name) || strcmp(type, "heading") == 0 ||
		    strcmp(type, "file") == 0)
			continue;
		snprintf(cname, sizeof cname, "answer.%s", name);
		json_array_append_new(cols, json_pack("{s:s,s:s,s:b}", "name", cname,
			"label", jsonio_str(f, "label", name), "default", 0));
	}
	json_decref(def);
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o,s:s}", "columns", cols, "default",
					    DEFAULT_COLUMNS));
}

/* The label of option value v of a select/radio/checkbox field definition. */
static const char *
option_label(const json_t *fdef, const char *v)
{
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(fdef, "options"), i, o)
		if (strcmp(jsonio_str(o, "value", ""), v) == 0)
			return jsonio_str(o, "label", v);
	return v;
}

/* The text of one answer value for a cell (new string). */
static char *
answer_text(const json_t *v, const json_t *fdef)
{
	char num[64];

	if (v == NULL || json_is_null(v))
		return strdup("");
	if (json_is_string(v))
		return strdup(option_label(fdef, json_string_value(v)));
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		return strdup(num);
	}
	if (json_is_real(v)) {
		snprintf(num, sizeof num, "%g", json_real_value(v));
		return strdup(num);
	}
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "はい" : "いいえ");
	if (json_is_array(v)) {
		const json_t *e;
		size_t i;
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		bool all_strings = true;

		if (m == NULL)
			return NULL;
		json_array_foreach(v, i, e)
			all_strings &= json_is_string(e);
		if (all_strings) {
			json_array_foreach(v, i, e)
				fprintf(m, "%s%s", i ? "、" : "", option_label(fdef, json_string_value(e)));
			fclose(m);
			return buf;
		}
		fclose(m);
		free(buf);
	}
	return jsonio_dump(v);	/* a group: its JSON, for the data to be complete */
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

/* The definition of proc/version for the whole-answers column, cached in defs. */
static const json_t *
cached_definition(struct db *db, json_t *defs, const char *proc, long long version)
{
	char key[96];
	json_t *def;

	snprintf(key, sizeof key, "%s/%lld", proc, version);
	if ((def = json_object_get(defs, key)) == NULL) {
		struct office_procedure p;

		if (office_procedure_load(db, proc[0] ? proc : NULL, version, &p) != 0)
			p.definition = NULL;
		json_object_set_new(defs, key, p.definition ? p.definition : json_null());
		def = json_object_get(defs, key);
	}
	return json_is_null(def) ? NULL : def;
}

static char *
all_answers(struct db *db, json_t *defs, const char *proc, long long version,
	    const json_t *application, const json_t *manifest)
{
	json_t *atts = json_array(), *rows, *f;
	size_t i;
	char *text;

	json_array_foreach(json_object_get(manifest, "files"), i, f)
		json_array_append_new(atts, json_pack("{s:I,s:s,s:s}", "n", (json_int_t)(i + 1),
			"field", jsonio_str(f, "field", ""),
			"display_name", jsonio_str(f, "display_name", "")));
	rows = app_view_answers(cached_definition(db, defs, proc, version),
				json_object_get(application, "answers"), atts);
	text = rows ? app_view_text(rows) : NULL;
	json_decref(rows);
	json_decref(atts);
	return text;
}

/* ---- the CSV ---------------------------------------------------------------------- */

static void
write_cell(FILE *row, const struct column *c, sqlite3_stmt *st, struct db *db, json_t *defs,
	   const json_t *application, const json_t *manifest, bool last)
{
	char buf[TIMEFMT_LEN], *text = NULL;
	const char *v = "";
	int s;

	switch (c->kind) {
	case COL_RECEIPT: v = col(st, 0); break;
	case COL_PROCEDURE_ID: v = col(st, 1); break;
	case COL_VERSION: v = col(st, 2); break;
	case COL_TITLE: v = col(st, 3); break;
	case COL_STATUS:
		s = workflow_parse(col(st, 4));
		v = s >= 0 ? workflow_label(s) : col(st, 4);
		break;
	case COL_RECEIVED:
		office_query_jst(col(st, 5), buf);
		v = buf;
		break;
	case COL_SUBMITTED: v = jsonio_str(application, "submitted_at", ""); break;
	case COL_DEPARTMENT: v = col(st, 6); break;
	case COL_ASSIGNEE: v = col(st, 7); break;
	case COL_ATTACHMENTS:
		snprintf(buf, sizeof buf, "%zu", app_files_count(manifest));
		v = buf;
		break;
	case COL_ANSWERS:
		text = all_answers(db, defs, col(st, 1), sqlite3_column_int64(st, 2), application,
				   manifest);
		break;
	case COL_ANSWER:
		text = answer_text(json_object_get(json_object_get(application, "answers"),
						   c->field), c->def);
		break;
	}
	csvio_write_field(row, text ? text : v, last, true);
	free(text);
}

static json_t *
parse_col(sqlite3_stmt *st, int i)
{
	const char *t = col(st, i);
	char err[64];

	return jsonio_parse(t, strlen(t), APP_JSON_MAX, JSONIO_MAX_DEPTH, err, sizeof err);
}

/* Append row (UTF-8, len bytes) to out in the export's encoding. */
static int
put_row(FILE *out, bool cp932, const char *row, size_t len, struct export_replaced *rep)
{
	if (cp932)
		return export_write_cp932(out, row, len, rep);
	return fwrite(row, 1, len, out) == len ? 0 : -1;
}

static void
replaced_header(const struct export_replaced *rep, char *out, size_t outlen)
{
	size_t o = (size_t)snprintf(out, outlen, "%llu", (unsigned long long)rep->count);

	for (size_t i = 0; i < rep->ndistinct && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%sU+%04X", i ? " " : "; ",
				      (unsigned)rep->distinct[i]);
}

void
office_handle_export_csv(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_query f;
	char where[APP_QUERY_SQL_MAX], sql[APP_QUERY_SQL_MAX + 1024];
	struct column *cols = NULL;
	struct export_replaced rep = { 0 };
	const char *why = NULL, *enc = http_req_query(req, "encoding");
	char whybuf[200], cd[96], day[TIMEFMT_LEN], rh[EXPORT_REPLACED_KEEP * 10 + 32], nrows[24];
	char *row = NULL;
	size_t ncols = 0, rowlen = 0;
	long long rows = 0;
	bool cp932, need_app = false, need_manifest = false;
	json_t *def = NULL, *defs = NULL, *d, *names;
	sqlite3_stmt *st;
	FILE *out = NULL, *rf;
	struct stat sb;
	int fd = -1, rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if ((rc = app_query_read(req, &a, &f, &why)) == -2)
		return office_fail_db(req, &a, "export csv");
	if (rc != 0)
		return office_refuse(req, &a, 400, "invalid_query", why);
	if (enc != NULL && enc[0] && strcmp(enc, "utf-8") != 0 && strcmp(enc, "cp932") != 0)
		return office_refuse(req, &a, 400, "invalid_query",
			      "encoding は utf-8 か cp932 で指定してください。");
	cp932 = enc != NULL && strcmp(enc, "cp932") == 0;
	def = latest_definition(a.t->db, f.procedure);
	if ((cols = calloc(EXPORT_COLUMNS_MAX, sizeof *cols)) == NULL) {
		json_decref(def);
		return office_fail_db(req, &a, "export csv");
	}
	if (parse_columns(http_req_query(req, "columns"), def, cols, &ncols, whybuf,
			  sizeof whybuf) != 0) {
		json_decref(def);
		free(cols);
		return office_refuse(req, &a, 400, "invalid_columns", whybuf);
	}
	for (size_t i = 0; i < ncols; i++) {
		need_app |= cols[i].kind == COL_ANSWER || cols[i].kind == COL_ANSWERS ||
			    cols[i].kind == COL_SUBMITTED;
		need_manifest |= cols[i].kind == COL_ATTACHMENTS || cols[i].kind == COL_ANSWERS;
	}
	if ((f.q && app_query_sync(a.t->db) != 0) ||
	    app_query_where(&f, where, sizeof where) != 0) {
		json_decref(def);
		free(cols);
		return office_fail_db(req, &a, "export csv");
	}
	snprintf(sql, sizeof sql, "SELECT a.receipt_no, a.procedure_id, a.procedure_version,"
		 " json_extract(a.application_json, '$.procedure.title'), a.status,"
		 " a.received_at, d.name, s.display_name,"
		 " CASE WHEN :need_app THEN a.application_json END,"
		 " CASE WHEN :need_manifest THEN a.manifest_json END"
		 " FROM applications a LEFT JOIN departments d ON d.id = a.department_id"
		 " LEFT JOIN staff s ON s.id = a.assignee_id%s"
		 " ORDER BY a.received_at, a.id LIMIT :limit", where);
	st = db_stmt(a.t->db, sql);
	if (st == NULL || (fd = office_export_spill(a.o)) < 0 || (out = fdopen(dup(fd), "w")) == NULL ||
	    (rf = open_memstream(&row, &rowlen)) == NULL) {
		if (out)
			fclose(out);
		if (fd >= 0)
			close(fd);
		json_decref(def);
		free(cols);
		log_err("tenant %s: export csv: no spill file: %s", a.t->name, strerror(errno));
		return office_fail_db(req, &a, "export csv");
	}
	app_query_bind(st, &f);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), EXPORT_ROWS_MAX + 1);
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":need_app"), need_app);
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":need_manifest"), need_manifest);
	defs = json_object();
	/* UTF-8 gets a BOM, which Excel in a Japanese office needs to open it as UTF-8. */
	if (!cp932)
		fputs("\xEF\xBB\xBF", out);
	for (size_t i = 0; i < ncols; i++)
		csvio_write_field(rf, cols[i].label, i + 1 == ncols, true);
	fflush(rf);
	rc = put_row(out, cp932, row, rowlen, &rep);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *application, *manifest;

		if (++rows > EXPORT_ROWS_MAX)
			break;
		application = need_app ? parse_col(st, 8) : NULL;
		manifest = need_manifest ? parse_col(st, 9) : NULL;
		rewind(rf);
		for (size_t i = 0; i < ncols; i++)
			write_cell(rf, &cols[i], st, a.t->db, defs, application, manifest,
				   i + 1 == ncols);
		fflush(rf);
		rc = put_row(out, cp932, row, (size_t)ftell(rf), &rep) == 0 ? 0 : -1;
		json_decref(application);
		json_decref(manifest);
	}
	sqlite3_reset(st);
	fclose(rf);
	free(row);
	json_decref(defs);
	json_decref(def);
	if (fclose(out) != 0 || (rc != SQLITE_DONE && rc != SQLITE_ROW) || fstat(fd, &sb) != 0) {
		close(fd);
		free(cols);
		return office_fail_db(req, &a, "export csv");
	}
	if (rows > EXPORT_ROWS_MAX) {
		close(fd);
		free(cols);
		return office_refuse(req, &a, 413, "too_many_rows", "出力する申請が 100,000 件を超えます。"
			      "期間や手続で絞り込んでください。");
	}
	names = json_array();
	for (size_t i = 0; i < ncols; i++)
		json_array_append_new(names, json_string(cols[i].name));
	free(cols);
	d = json_pack("{s:I,s:o,s:s,s:I,s:o}", "rows", (json_int_t)rows, "columns", names,
		      "encoding", cp932 ? "cp932" : "utf-8", "replaced", (json_int_t)rep.count,
		      "filter", filter_json(&f, req));
	rc = office_audit(&a, "application.export", "applications", d);
	json_decref(d);
	if (rc != 0) {
		close(fd);
		return office_fail_db(req, &a, "export csv");
	}
	office_authz_end(&a);
	timefmt_jst_day(time(NULL), day);
	snprintf(cd, sizeof cd, "attachment; filename=\"applications-%s%s.csv\"", day,
		 cp932 ? "-sjis" : "");
	replaced_header(&rep, rh, sizeof rh);
	http_reply_header(req, "Content-Disposition", cd);
	snprintf(nrows, sizeof nrows, "%lld", rows);
	http_reply_header(req, "X-Export-Rows", nrows);
	http_reply_header(req, "X-Export-Replaced", rh);
	http_reply_fd(req, 200, cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
		      fd, (uint64_t)sb.st_size);
}

/* ---- the zip --------------------------------------------------------------------- */

/* Copy the files of one application from its stored bundle into the zip, each
 * checked against the manifest. 0; 1 if the store does not match (what in err);
 * 2 if the zip would pass EXPORT_ZIP_BYTES_MAX (*bytes counts what was added);
 * -1 on I/O. */
static int
zip_application(struct archive *zip, const char *receipt, const char *bundle_path,
		const json_t *manifest, long long *bytes, long long *files, char *err,
		size_t errlen)
{
	size_t nfiles = app_files_count(manifest), found = 0;
	struct archive *tar = archive_read_new();
	struct archive_entry *e;
	char buf[64 * 1024];
	int rc = 0;

	if (tar == NULL)
		return -1;
	archive_read_support_format_tar(tar);
	if (archive_read_open_filename(tar, bundle_path, sizeof buf) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: cannot open %s", receipt, bundle_path);
		archive_read_free(tar);
		return -1;
	}
	while (rc == 0 && found < nfiles && archive_read_next_header(tar, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		struct crypto_sha256_ctx *h;
		struct archive_entry *z;
		struct app_file f;
		char fname[EXPORT_NAME_MAX + 16], path[EXPORT_NAME_MAX + 80];
		uint8_t sum[CRYPTO_SHA256_LEN];
		char hex[CRYPTO_SHA256_LEN * 2 + 1];
		long long copied = 0;
		size_t n;

		for (n = 1; n <= nfiles; n++)
			if (app_files_entry(manifest, (long)n, &f) == 0 && strcmp(f.member, name) == 0)
				break;
		if (n > nfiles)
			continue;
		found++;
		if (archive_entry_size(e) != f.size) {
			snprintf(err, errlen, "%s: %s is not the size the manifest says", receipt, name);
			rc = 1;
			break;
		}
		if (*bytes + f.size > EXPORT_ZIP_BYTES_MAX) {
			snprintf(err, errlen, "too large");
			rc = 2;
			break;
		}
		export_file_name(f.display_name, f.type, fname, sizeof fname);
		snprintf(path, sizeof path, "%s/%02zu_%s", receipt, n, fname);
		if ((z = archive_entry_new()) == NULL || (h = crypto_sha256_begin()) == NULL) {
			archive_entry_free(z);
			rc = -1;
			break;
		}
		archive_entry_set_pathname_utf8(z, path);
		archive_entry_set_filetype(z, AE_IFREG);
		archive_entry_set_perm(z, 0644);
		archive_entry_set_size(z, f.size);
		archive_entry_set_mtime(z, time(NULL), 0);
		if (archive_write_header(zip, z) != ARCHIVE_OK) {
			snprintf(err, errlen, "zip: %s", archive_error_string(zip));
			rc = -1;
		}
		archive_entry_free(z);
		while (rc == 0 && copied < f.size) {
			la_ssize_t got = archive_read_data(tar, buf, sizeof buf);

			if (got <= 0) {
				rc = -1;
				break;
			}
			crypto_sha256_update(h, buf, (size_t)got);
			if (archive_write_data(zip, buf, (size_t)got) != got) {
				snprintf(err, errlen, "zip: %s", archive_error_string(zip));
				rc = -1;
			}
			copied += got;
		}
		crypto_sha256_end(h, sum);
		crypto_hex(sum, sizeof sum, hex);
		if (rc == 0 && (copied != f.size || strcmp(hex, f.sha256) != 0)) {
			snprintf(err, errlen, "%s: %s does not match the verified manifest", receipt,
				 name);
			rc = 1;
		}
		*bytes += copied;
		(*files)++;
	}
	if (rc == 0 && found < nfiles) {
		snprintf(err, errlen, "%s: %zu of %zu files missing from %s", receipt,
			 nfiles - found, nfiles, bundle_path);
		rc = 1;
	}
	archive_read_free(tar);
	return rc;
}

void
office_handle_export_zip(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_query f;
	char where[APP_QUERY_SQL_MAX], sql[APP_QUERY_SQL_MAX + 1024];
	const char *why = NULL;
	char err[512] = "", cd[96], day[TIMEFMT_LEN];
	long long bytes = 0, files = 0;
	json_t *apps, *e, *d;
	struct archive *zip;
	sqlite3_stmt *st;
	struct stat sb;
	size_t i;
	int fd, rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if ((rc = app_query_read(req, &a, &f, &why)) == -2)
		return office_fail_db(req, &a, "export zip");
	if (rc != 0)
		return office_refuse(req, &a, 400, "invalid_query", why);
	if ((f.q && app_query_sync(a.t->db) != 0) ||
	    app_query_where(&f, where, sizeof where) != 0)
		return office_fail_db(req, &a, "export zip");
	snprintf(sql, sizeof sql, "SELECT a.receipt_no, a.bundle_path, a.manifest_json"
		 " FROM applications a%s ORDER BY a.received_at, a.id LIMIT :limit", where);
	if ((st = db_stmt(a.t->db, sql)) == NULL)
		return office_fail_db(req, &a, "export zip");
	app_query_bind(st, &f);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), EXPORT_ZIP_APPS_MAX + 1);
	apps = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(apps, json_pack("{s:s,s:s,s:o}", "receipt", col(st, 0),
			"path", col(st, 1), "manifest", parse_col(st, 2)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(apps);
		return office_fail_db(req, &a, "export zip");
	}
	if (json_array_size(apps) > EXPORT_ZIP_APPS_MAX) {
		json_decref(apps);
		return office_refuse(req, &a, 413, "too_many_applications", "一度に出力できる申請は"
			      " 1,000 件までです。期間や手続で絞り込んでください。");
	}
	/* The bundles are read without the tenant's lock: they never change. */
	office_authz_unlock(&a);
	rc = -1;
	if ((fd = office_export_spill(a.o)) >= 0 && (zip = archive_write_new()) != NULL) {
		/* Stored, not deflated: PDF and PNG are compressed already. */
		if (archive_write_set_format_zip(zip) == ARCHIVE_OK &&
		    archive_write_set_options(zip, "zip:compression=store,zip:hdrcharset=UTF-8")
		    == ARCHIVE_OK && archive_write_open_fd(zip, fd) == ARCHIVE_OK) {
			rc = 0;
			json_array_foreach(apps, i, e) {
				rc = zip_application(zip, jsonio_str(e, "receipt", ""),
						     jsonio_str(e, "path", ""),
						     json_object_get(e, "manifest"), &bytes, &files,
						     err, sizeof err);
				if (rc != 0)
					break;
			}
			if (archive_write_close(zip) != ARCHIVE_OK && rc == 0)
				rc = -1;
		}
		archive_write_free(zip);
	}
	office_authz_relock(&a);
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		json_decref(apps);
		log_err("tenant %s: export zip: %s", a.t->name, err[0] ? err : strerror(errno));
		if (rc == 2)
			return office_refuse(req, &a, 413, "too_large", "添付ファイルの合計が大きすぎます。"
				      "期間や手続で絞り込んでください。");
		return office_refuse(req, &a, 500, rc == 1 ? "integrity" : "internal",
			      rc == 1 ? "添付ファイルを確認できませんでした。システム管理者にご連絡ください。"
				      : MSG_DB);
	}
	d = json_pack("{s:I,s:I,s:I,s:o}", "applications", (json_int_t)json_array_size(apps),
		      "files", (json_int_t)files, "bytes", (json_int_t)bytes,
		      "filter", filter_json(&f, req));
	json_decref(apps);
	rc = office_audit(&a, "application.export_files", "applications", d);
	json_decref(d);
	if (rc != 0 || fstat(fd, &sb) != 0) {
		close(fd);
		return office_fail_db(req, &a, "export zip");
	}
	office_authz_end(&a);
	timefmt_jst_day(time(NULL), day);
	snprintf(cd, sizeof cd, "attachment; filename=\"attachments-%s.zip\"", day);
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_fd(req, 200, "application/zip", fd, (uint64_t)sb.st_size);
}
