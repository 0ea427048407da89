/*
 * uploads.c — upload handlers and verdicts.
 *
 * The type a citizen may attach is decided by content, by the sanitizer; the portal
 * only compares that verdict with what the procedure's field accepts. The citizen's
 * file name is kept for display (the HTTP layer has stripped path components and
 * control characters from it) and never used as a path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "crypto.h"
#include "jsonio.h"
#include "log.h"
#include "sanclient.h"
#include "uploads.h"

#define FIELD_SEARCH_DEPTH 4

int
uploads_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != UPLOAD_ID_LEN)
		return 0;
	for (i = 0; i < UPLOAD_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

static const json_t *
find_in(const json_t *fields, const char *name, int depth)
{
	const json_t *f, *hit;
	size_t i;

	if (depth > FIELD_SEARCH_DEPTH)
		return NULL;
	json_array_foreach(fields, i, f) {
		const char *type = jsonio_str(f, "type", "");

		if (strcmp(type, "file") == 0 && strcmp(jsonio_str(f, "name", ""), name) == 0)
			return f;
		if (strcmp(type, "group") == 0 &&
		    (hit = find_in(json_object_get(f, "fields"), name, depth + 1)) != NULL)
			return hit;
	}
	return NULL;
}

const json_t *
uploads_find_field(const json_t *schema, const char *name)
{
	return name ? find_in(json_object_get(schema, "fields"), name, 0) : NULL;
}

/* The procedure's file field this upload is for, if the client named one: its limits
 * apply while the body streams in. A new reference, or NULL. */
static json_t *
requested_field(struct portald *p, struct http_request *req, struct portal_tenant **ptp)
{
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *proc = http_req_query(req, "procedure");
	const json_t *f;
	json_t *def, *out = NULL;

	*ptp = pt;
	if (pt == NULL || proc == NULL)
		return NULL;
	pthread_mutex_lock(&pt->t->lock);
	def = catalogue_get(pt->t->db, proc, time(NULL));
	pthread_mutex_unlock(&pt->t->lock);
	f = uploads_find_field(json_object_get(def, "schema"), http_req_query(req, "field"));
	if (f != NULL)
		out = json_incref((json_t *)f);
	json_decref(def);
	return out;
}

int
uploads_limits(struct http_request *req, struct http_limits *lim, void *app)
{
	struct portal_tenant *pt;
	json_t *field = requested_field(app, req, &pt);
	long long max = UPLOAD_DEFAULT_MAX_BYTES;

	if (pt == NULL) {
		json_decref(field);
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return -1;
	}
	if (field != NULL)
		jsonio_int(field, "max_file_bytes", 1, 100LL << 20, &max);
	json_decref(field);
	lim->max_files = 1;
	lim->max_file_bytes = (size_t)max;
	lim->max_upload_bytes = (size_t)max + 64 * 1024;	/* the multipart framing */
	lim->max_fields = 4;
	lim->max_field_bytes = 1024;
	return 0;
}

/* The intake item's name: the upload id, and when the procedure has a sanitizer policy
 * of its own, that policy (sanitizer/worker.h: ".p" then "a", "o", both or "-"). */
static void
intake_name(struct portal_tenant *pt, const char *proc, const char *id, char *out,
	    size_t outlen)
{
	const json_t *sp;
	json_t *def = NULL;
	bool a, o;

	if (proc != NULL) {
		pthread_mutex_lock(&pt->t->lock);
		def = catalogue_get(pt->t->db, proc, time(NULL));
		pthread_mutex_unlock(&pt->t->lock);
	}
	sp = json_object_get(def, "sanitizer");
	a = json_is_true(json_object_get(sp, "allow_archives"));
	o = json_is_true(json_object_get(sp, "keep_ooxml"));
	if (!json_is_object(sp))
		snprintf(out, outlen, "%s", id);
	else
		snprintf(out, outlen, "%s.p%s%s%s", id, a ? "a" : "", o ? "o" : "",
			 a || o ? "" : "-");
	json_decref(def);
}

/* The members for the citizen: each clean one of a clean zip with its preview's
 * address (n from 1, in zip order), each refused one with its reason. */
static void
add_members(json_t *j, const char *tenant, const char *id, const char *state, json_t *members)
{
	json_t *m;
	size_t i;

	if (members == NULL)
		return;
	json_array_foreach(members, i, m) {
		char url[256];

		if (strcmp(state, "clean") == 0 && strcmp(jsonio_str(m, "status", ""), "clean") == 0) {
			snprintf(url, sizeof url, "/api/v1/%s/uploads/%s/members/%zu/preview", tenant,
				 id, i + 1);
			json_object_set_new(m, "preview_url", json_string(url));
		}
		if (strcmp(jsonio_str(m, "status", ""), "clean") == 0) {
			json_object_del(m, "reason");
			json_object_del(m, "message");
		}
	}
	json_object_set_new(j, "members", members);
}

static json_t *
verdict_json(const char *tenant, const char *id, const struct upload_verdict *v)
{
	char preview[256];
	json_t *j;

	snprintf(preview, sizeof preview, "/api/v1/%s/uploads/%s/preview", tenant, id);
	j = json_pack("{s:s,s:s,s:s,s:I}", "upload_id", id, "state", v->state,
		      "display_name", v->display_name, "size", (json_int_t)v->size);
	if (strcmp(v->state, "clean") == 0) {
		json_object_set_new(j, "type", json_string(v->type));
		json_object_set_new(j, "pages", json_integer(v->pages));
		json_object_set_new(j, "preview_url", json_string(preview));
	} else if (strcmp(v->state, "rejected") == 0) {
		json_object_set_new(j, "reason", json_string(v->reason));
		json_object_set_new(j, "message", json_string(v->message));
	} else {
		json_object_set_new(j, "message", json_string("無害化処理中です。しばらくお待ちください。"));
	}
	return j;
}

void
uploads_handle_post(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const struct http_upload *up = NULL;
	const char *proc = http_req_query(req, "procedure"), *field = http_req_query(req, "field");
	struct upload_verdict v = { .state = "pending" };
	uint8_t rnd[UPLOAD_ID_LEN / 2];
	char id[UPLOAD_ID_LEN + 1], sha[65], item[UPLOAD_ID_LEN + 8];
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	for (i = 0; i < http_req_upload_count(req); i++)
		if (strcmp(http_req_upload(req, i)->field, "file") == 0)
			up = http_req_upload(req, i);
	if (up == NULL) {
		http_reply_error(req, 400, "no_file", "添付するファイルを選んでください。");
		return;
	}
	if (up->size == 0) {
		http_reply_error(req, 422, "empty_file",
				 "ファイルが空です。内容のあるファイルを添付してください。");
		return;
	}
	if ((proc && !catalogue_id_valid(proc)) || (field && strlen(field) > 64)) {
		http_reply_error(req, 400, "bad_request", "手続または項目の指定が正しくありません。");
		return;
	}
	if (crypto_random(rnd, sizeof rnd) != 0) {
		http_reply_error(req, 500, "internal", "一時的な問題が発生しました。もう一度お試しください。");
		return;
	}
	crypto_hex(rnd, sizeof rnd, id);
	crypto_hex(up->sha256, 32, sha);

	/* The row first: an intake item without a row would be sanitized for nobody,
	 * while a row without an item only shows as pending and expires. */
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "INSERT INTO uploads (id, procedure_id, field, display_name, "
				"size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	rc = SQLITE_ERROR;
	if (st != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (proc)
			sqlite3_bind_text(st, 2, proc, -1, SQLITE_STATIC);
		if (field)
			sqlite3_bind_text(st, 3, field, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, up->filename[0] ? up->filename : "添付ファイル", -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)up->size);
		sqlite3_bind_text(st, 6, sha, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != SQLITE_DONE) {
		log_err("upload %s for tenant %s: database: %s", id, pt->t->name,
			db_errmsg(pt->t->db));
		http_reply_error(req, 503, "unavailable", "一時的な問題が発生しました。もう一度お試しください。");
		return;
	}
	intake_name(pt, proc, id, item, sizeof item);
	if ((rc = spool_adopt(&p->intake, up->path, item)) != SPOOL_OK) {
		log_err("upload %s for tenant %s: intake spool: %s", id, pt->t->name,
			rc < 0 && rc != SPOOL_EBADID ? strerror(-rc) : "refused");
		http_reply_error(req, 503, "unavailable", "一時的な問題が発生しました。もう一度お試しください。");
		return;
	}
	snprintf(v.display_name, sizeof v.display_name, "%s",
		 up->filename[0] ? up->filename : "添付ファイル");
	v.size = (long long)up->size;
	http_reply_json(req, 202, verdict_json(pt->t->name, id, &v));
}

/* "pdf" -> "pdf"; images -> "image"; Office and OpenDocument -> "office"; text/csv. */
static const char *
type_class(const char *type)
{
	static const char *const images[] = { "png", "jpeg", "gif", "tiff", "bmp", "webp",
					      "heic", "heif", NULL };
	static const char *const text[] = { "text", "csv", "txt", NULL };
	const char *const *p;

	if (strcmp(type, "pdf") == 0)
		return "pdf";
	for (p = images; *p; p++)
		if (strcmp(type, *p) == 0)
			return "image";
	for (p = text; *p; p++)
		if (strcmp(type, *p) == 0)
			return "text";
	return "office";
}

static bool
accepted(const json_t *accept, const char *type)
{
	const char *cls = type_class(type);
	const json_t *e;
	size_t i;

	if (!json_is_array(accept) || json_array_size(accept) == 0)
		return true;
	json_array_foreach(accept, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), cls) == 0)
			return true;
	return false;
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* An allowed zip's members from the sanitizer's result, trimmed to what the citizen
 * is shown ({name, status, type, pages, reason, message}); NULL for any other file. */
static json_t *
members_from_result(const json_t *res)
{
	const json_t *list = json_object_get(res, "members"), *m;
	json_t *out;
	size_t i;

	if (!json_is_array(list))
		return NULL;
	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(list, i, m) {
		long long pages = 0;

		if (i >= UPLOAD_MAX_MEMBERS)
			break;
		jsonio_int(m, "pages", 0, 1000000, &pages);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}",
			"name", jsonio_str(m, "name", ""), "status", jsonio_str(m, "status", ""),
			"type", jsonio_str(m, "type", ""), "pages", (json_int_t)pages,
			"reason", jsonio_str(m, "reason", ""), "message", jsonio_str(m, "message", "")));
	}
	return out;
}

/* The members stored for upload id (new reference), or NULL. */
static json_t *
stored_members(struct portal_tenant *pt, const char *id)
{
	sqlite3_stmt *st;
	json_t *m = NULL;
	char err[64];

	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT members FROM uploads WHERE id = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
			const char *t = (const char *)sqlite3_column_text(st, 0);

			m = jsonio_parse(t, strlen(t), SANCLIENT_JSON_MAX, JSONIO_MAX_DEPTH, err,
					 sizeof err);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	return m;
}

/* A zip is accepted by a field only if every member's type is. */
static bool
members_accepted(struct portal_tenant *pt, const char *id, const json_t *accept)
{
	json_t *m = stored_members(pt, id);
	const json_t *e;
	bool ok = json_array_size(m) > 0;
	size_t i;

	json_array_foreach(m, i, e)
		ok = ok && accepted(accept, jsonio_str(e, "type", ""));
	json_decref(m);
	return ok;
}

int
uploads_verdict(struct portald *p, struct portal_tenant *pt, const char *id,
		const json_t *accept, struct upload_verdict *v, char *err, size_t errlen)
{
	char path[128];
	sqlite3_stmt *st;
	json_t *res = NULL;
	int status, found = 0;
	time_t created = 0;

	memset(v, 0, sizeof *v);
	if (!uploads_id_valid(id))
		return 1;
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT state, type, display_name, reason, message, pages, size, "
				"created_at FROM uploads WHERE id = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			found = 1;
			copy(v->state, sizeof v->state, (const char *)sqlite3_column_text(st, 0));
			copy(v->type, sizeof v->type, (const char *)sqlite3_column_text(st, 1));
			copy(v->display_name, sizeof v->display_name,
			     (const char *)sqlite3_column_text(st, 2));
			copy(v->reason, sizeof v->reason, (const char *)sqlite3_column_text(st, 3));
			copy(v->message, sizeof v->message,
			     (const char *)sqlite3_column_text(st, 4));
			v->pages = sqlite3_column_int64(st, 5);
			v->size = sqlite3_column_int64(st, 6);
			created = (time_t)sqlite3_column_int64(st, 7);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (st == NULL) {
		snprintf(err, errlen, "upload %s: database: %s", id, db_errmsg(pt->t->db));
		return -1;
	}
	if (!found)
		return 1;
	if (strcmp(v->state, "pending") == 0) {
		snprintf(path, sizeof path, "/api/results/%s", id);
		status = sanclient_get_json(p->sanitizer_socket, path, &res, err, errlen);
		if (status < 0)
			return -1;
		if (status == 200 && res != NULL) {
			const char *s = jsonio_str(res, "status", "");
			long long pages = 0;

			jsonio_int(res, "pages", 0, 1000000, &pages);
			if (strcmp(s, "clean") == 0 || strcmp(s, "rejected") == 0) {
				json_t *mem = members_from_result(res);
				char *mtext = mem ? json_dumps(mem, JSON_COMPACT) : NULL;

				json_decref(mem);
				copy(v->state, sizeof v->state, s);
				copy(v->type, sizeof v->type, jsonio_str(res, "type", ""));
				copy(v->reason, sizeof v->reason, jsonio_str(res, "reason", ""));
				copy(v->message, sizeof v->message, jsonio_str(res, "message", ""));
				v->pages = pages;
				pthread_mutex_lock(&pt->t->lock);
				st = db_stmt(pt->t->db, "UPDATE uploads SET state = ?, type = ?, "
							"reason = ?, message = ?, pages = ?, members = ? "
							"WHERE id = ? AND state = 'pending'");
				if (st != NULL) {
					sqlite3_bind_text(st, 1, v->state, -1, SQLITE_STATIC);
					sqlite3_bind_text(st, 2, v->type, -1, SQLITE_STATIC);
					sqlite3_bind_text(st, 3, v->reason, -1, SQLITE_STATIC);
					sqlite3_bind_text(st, 4, v->message, -1, SQLITE_STATIC);
					sqlite3_bind_int64(st, 5, v->pages);
					/* A cached statement keeps its bindings. */
					if (mtext != NULL)
						sqlite3_bind_text(st, 6, mtext, -1, SQLITE_STATIC);
					else
						sqlite3_bind_null(st, 6);
					sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC);
					sqlite3_step(st);
					sqlite3_reset(st);
				}
				pthread_mutex_unlock(&pt->t->lock);
				free(mtext);
			}
		}
		json_decref(res);
	}
	/* The sanitizer keeps its results only so long (sekisho.tmpfiles ages them out
	 * a few days after this): an older upload could no longer be bundled, so it is
	 * refused here, before a submission that would fail after its 201. */
	if (strcmp(v->state, "rejected") != 0 && time(NULL) - created > (time_t)p->set.upload_ttl_s) {
		copy(v->state, sizeof v->state, "rejected");
		copy(v->reason, sizeof v->reason, "expired");
		copy(v->message, sizeof v->message,
		     "保存期間を過ぎたため、このファイルは使えなくなりました。お手数ですが、もう一度添付してください。");
	}
	/* The sanitizer passed the file; this field still may not take its type (a
	 * zip's: every member's). */
	if (strcmp(v->state, "clean") == 0 && !(strcmp(v->type, "zip") == 0
	    ? members_accepted(pt, id, accept) : accepted(accept, v->type))) {
		copy(v->state, sizeof v->state, "rejected");
		copy(v->reason, sizeof v->reason, "type_not_allowed");
		copy(v->message, sizeof v->message,
		     "この欄には、この種類のファイルは添付できません。案内に記載された形式のファイルを添付してください。");
	}
	return 0;
}

/* The accept list of the field an upload was made for, if it named one. */
static json_t *
upload_accept(struct portal_tenant *pt, const char *id)
{
	sqlite3_stmt *st;
	char proc[CATALOGUE_ID_MAX + 1] = "", field[65] = "";
	json_t *def, *accept = NULL;
	const json_t *f;

	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT procedure_id, field FROM uploads WHERE id = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			copy(proc, sizeof proc, (const char *)sqlite3_column_text(st, 0));
			copy(field, sizeof field, (const char *)sqlite3_column_text(st, 1));
		}
		sqlite3_reset(st);
	}
	def = proc[0] ? catalogue_get(pt->t->db, proc, time(NULL)) : NULL;
	pthread_mutex_unlock(&pt->t->lock);
	f = uploads_find_field(json_object_get(def, "schema"), field);
	if (f && json_object_get(f, "accept"))
		accept = json_incref(json_object_get(f, "accept"));
	json_decref(def);
	return accept;
}

void
uploads_handle_get(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *id = http_req_param(req, "upload_id");
	struct upload_verdict v;
	json_t *accept, *j;
	char err[256];
	int rc;

	if (pt == NULL || !uploads_id_valid(id)) {
		http_reply_error(req, 404, "unknown_upload",
				 "指定されたファイルは見つかりませんでした。もう一度添付してください。");
		return;
	}
	accept = upload_accept(pt, id);
	rc = uploads_verdict(p, pt, id, accept, &v, err, sizeof err);
	json_decref(accept);
	if (rc == 1) {
		http_reply_error(req, 404, "unknown_upload",
				 "指定されたファイルは見つかりませんでした。もう一度添付してください。");
		return;
	}
	if (rc < 0) {
		/* The sanitizer is busy or restarting: the file is safe in its spool. */
		log_warn("upload %s: %s", id, err);
		copy(v.state, sizeof v.state, "pending");
	}
	http_reply_header(req, "Cache-Control", "no-store");
	j = verdict_json(pt->t->name, id, &v);
	if (j != NULL && strcmp(v.state, "pending") != 0)
		add_members(j, pt->t->name, id, v.state, stored_members(pt, id));
	http_reply_json(req, 200, j);
}

/* The preview at the sanitizer's path, for a clean upload only. */
static void
proxy_preview(struct http_request *req, struct portald *p, const char *id, const char *path)
{
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	struct upload_verdict v;
	char err[256], ctype[64];
	char *data = NULL;
	size_t len = 0;
	int status;

	if (pt == NULL || uploads_verdict(p, pt, id, NULL, &v, err, sizeof err) != 0 ||
	    strcmp(v.state, "clean") != 0) {
		http_reply_error(req, 404, "no_preview", "このファイルの確認用画像はありません。");
		return;
	}
	status = sanclient_get_bytes(p->sanitizer_socket, path, &data, &len, ctype,
				     sizeof ctype, err, sizeof err);
	if (status != 200 || strcmp(ctype, "image/png") != 0) {
		free(data);
		http_reply_error(req, 404, "no_preview", "このファイルの確認用画像はありません。");
		return;
	}
	http_reply_header(req, "Cache-Control", "private, max-age=3600");
	http_reply_bytes(req, 200, "image/png", data, len);
	free(data);
}

void
uploads_handle_preview(struct http_request *req, void *app)
{
	const char *id = http_req_param(req, "upload_id");
	char path[128];

	if (!uploads_id_valid(id)) {
		http_reply_error(req, 404, "no_preview", "このファイルの確認用画像はありません。");
		return;
	}
	snprintf(path, sizeof path, "/api/results/%s/preview", id);
	proxy_preview(req, app, id, path);
}

void
uploads_handle_member_preview(struct http_request *req, void *app)
{
	const char *id = http_req_param(req, "upload_id"), *n = http_req_param(req, "n");
	char path[160], *end;
	long v;

	errno = 0;
	v = n ? strtol(n, &end, 10) : 0;
	if (!uploads_id_valid(id) || n == NULL || errno != 0 || *end != '\0' || v < 1 ||
	    v > UPLOAD_MAX_MEMBERS) {
		http_reply_error(req, 404, "no_preview", "このファイルの確認用画像はありません。");
		return;
	}
	snprintf(path, sizeof path, "/api/results/%s/members/%ld/preview", id, v);
	proxy_preview(req, app, id, path);
}
