/*
 * office_procfiles.c — uploads of a procedure's files, and their bytes at publishing.
 */
#include "office_procfiles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "procfile.h"
#include "timefmt.h"

void
office_handle_procedure_file_upload(struct http_request *req, void *app)
{
	const struct http_upload *u = http_req_upload(req, 0);
	char hex[CRYPTO_SHA256_LEN * 2 + 1], at[TIMEFMT_LEN], name[HTTP_MAX_FILENAME + 1];
	uint8_t sha[CRYPTO_SHA256_LEN];
	struct office_actor a;
	const char *type;
	sqlite3_stmt *st;
	json_t *d;
	char *data;
	size_t len;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((data = office_upload_read(req, &a, PROCFILE_BYTES_MAX, "登録するファイルを 1 つ指定してください。",
				       "ファイルは 10 MB までです。", &len)) == NULL)
		return;
	snprintf(name, sizeof name, "%s", u->filename[0] ? u->filename : "file");
	type = procfile_type_of(name, (const uint8_t *)data, len);
	if (type == NULL || u->size == 0) {
		free(data);
		return office_refuse(req, &a, 400, "unsupported_type",
				   "登録できるのは PDF、Word（docx・doc）、Excel（xlsx・xls）、"
				   "OpenDocument（odt・ods）と、画像（PNG・JPEG）です。ファイル名の拡張子と"
				   "中身が一致しているかもご確認ください。");
	}
	crypto_sha256(data, (size_t)u->size, sha);
	crypto_hex(sha, sizeof sha, hex);
	timefmt_utc(time(NULL), at);
	/* Stored once by hash: the same form given to two procedures is one row. */
	if (db_begin(a.t->db) != 0 ||
	    (st = db_stmt(a.t->db, "INSERT INTO procedure_files (sha256, name, type, size, data,"
				   " uploaded_at, uploaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
				   " ON CONFLICT (sha256) DO NOTHING")) == NULL) {
		free(data);
		return office_fail_db(req, &a, "procedure file");
	}
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)u->size);
	sqlite3_bind_blob(st, 5, data, (int)u->size, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a.login, -1, SQLITE_STATIC);
	rc = db_step_done(st);
	free(data);
	d = json_pack("{s:s,s:s,s:I}", "name", name, "type", type, "size", (json_int_t)u->size);
	if (rc != 0 || office_audit(&a, "procedure.file_upload", hex, d) != 0 ||
	    db_commit(a.t->db) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "procedure file");
	}
	json_decref(d);
	office_authz_end(&a);
	http_reply_json(req, 201, json_pack("{s:s,s:s,s:I,s:s}", "name", name, "type", type,
					    "size", (json_int_t)u->size, "sha256", hex));
}

int
office_procfiles_add(struct db *db, const json_t *def, struct bundle_writer *w, char *why,
		     size_t whylen)
{
	const json_t *f;
	size_t i, k;

	json_array_foreach(json_object_get(def, "files"), i, f) {
		const char *sha = jsonio_str(f, "sha256", "");
		char member[72];
		sqlite3_stmt *st;
		int rc, dup = 0;

		for (k = 0; k < i; k++)
			dup |= strcmp(jsonio_str(json_array_get(json_object_get(def, "files"), k),
						 "sha256", ""), sha) == 0;
		if (dup)
			continue;	/* listed twice, carried once */
		if ((st = db_stmt(db, "SELECT data, size FROM procedure_files WHERE sha256 = ?1")) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    sqlite3_column_int64(st, 1) == json_integer_value(json_object_get(f, "size"))) {
			procfile_member(sha, member);
			rc = bundle_writer_add_bytes(w, member, sqlite3_column_blob(st, 0),
						     (size_t)sqlite3_column_bytes(st, 0)) == BUNDLE_OK
				     ? 0 : -1;
			sqlite3_reset(st);
			if (rc != 0)
				return -1;
			continue;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
		snprintf(why, whylen, "ファイル「%s」が登録されていません。手続の編集画面でファイルを"
			 "登録し直してから公開してください。", jsonio_str(f, "name", "?"));
		return 1;
	}
	return 0;
}
