/*
 * procedures.c — catalogue handlers. Only public procedures are listed; an unlisted
 * one is served to whoever has its URL; an internal one does not exist here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "db.h"
#include "jsonio.h"
#include "portal.h"
#include "procedures.h"
#include "qr.h"

static void
add_url(struct portald *p, const char *tenant, json_t *proc)
{
	const char *id = json_string_value(json_object_get(proc, "id"));
	char url[512];

	if (id == NULL)
		return;
	snprintf(url, sizeof url, "%s/%s/procedures/%s", p->public_base_url, tenant, id);
	json_object_set_new(proc, "url", json_string(url));
}

void
procedures_handle_list(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	struct catalogue_query q = {
		.keyword = http_req_query(req, "q"),
		.category = http_req_query(req, "category"),
		.life_event = http_req_query(req, "life_event"),
	};
	json_t *list, *e;
	size_t i;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if ((q.keyword && strlen(q.keyword) > CATALOGUE_QUERY_MAX) ||
	    (q.category && strlen(q.category) > CATALOGUE_QUERY_MAX) ||
	    (q.life_event && strlen(q.life_event) > CATALOGUE_QUERY_MAX)) {
		http_reply_error(req, 400, "query_too_long", "検索語が長すぎます。");
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	list = catalogue_list(pt->t->db, &q, time(NULL));
	pthread_mutex_unlock(&pt->t->lock);
	if (list == NULL) {
		http_reply_error(req, 503, "unavailable", "一時的な問題が発生しました。もう一度お試しください。");
		return;
	}
	json_array_foreach(json_object_get(list, "procedures"), i, e)
		add_url(p, pt->t->name, e);
	http_reply_header(req, "Cache-Control", "no-cache");
	http_reply_json(req, 200, list);
}

/* The options of id's schema whose quota (到達制限) is used up, as
 * [{"path", "value"}], so that the form hides them. The submission checks again
 * under its own lock: this list only spares the citizen a refused choice. NULL on no
 * memory or when the counts cannot be read (then the form shows every option). */
static json_t *
full_options(struct portal_tenant *pt, const char *id)
{
	struct proc_entry *e = proccache_get(&pt->procs, pt->t, id);
	json_t *options, *full = NULL, *o;
	sqlite3_stmt *st;
	size_t i;

	if (e == NULL || e->schema == NULL) {
		if (e != NULL)
			proccache_put(e);
		return json_array();
	}
	options = form_quota_options(e->schema);
	if (options == NULL || (full = json_array()) == NULL)
		goto out;
	pthread_mutex_lock(&pt->t->lock);
	json_array_foreach(options, i, o) {
		long long quota = json_integer_value(json_object_get(o, "quota")), used = 0;

		st = db_stmt(pt->t->db, "SELECT n FROM quota_counts WHERE procedure_id = ? "
					"AND field = ? AND value = ?");
		if (st == NULL) {
			json_decref(full);
			full = NULL;
			break;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, jsonio_str(o, "path", ""), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, jsonio_str(o, "value", ""), -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			used = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (used >= quota)
			json_array_append_new(full, json_pack("{s:O,s:O}",
			    "path", json_object_get(o, "path"), "value", json_object_get(o, "value")));
	}
	pthread_mutex_unlock(&pt->t->lock);
out:
	json_decref(options);
	proccache_put(e);
	return full;
}

void
procedures_handle_get(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	json_t *def = NULL, *full;

	if (pt != NULL) {
		pthread_mutex_lock(&pt->t->lock);
		def = catalogue_get(pt->t->db, http_req_param(req, "id"), time(NULL));
		pthread_mutex_unlock(&pt->t->lock);
	}
	if (def == NULL) {
		http_reply_error(req, 404, "unknown_procedure", "指定された手続は見つかりません。");
		return;
	}
	if ((full = full_options(pt, http_req_param(req, "id"))) != NULL)
		json_object_set_new(def, "full_options", full);
	add_url(p, pt->t->name, def);
	http_reply_header(req, "Cache-Control", "no-cache");
	http_reply_json(req, 200, def);
}

/* The stable URL of a procedure that exists for citizens (public or unlisted), and
 * its title; -1 after a 404 reply. */
static int
procedure_url(struct http_request *req, struct portald *p, char *url, size_t len,
	      char *title, size_t tlen)
{
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	json_t *def = NULL;

	if (pt != NULL) {
		pthread_mutex_lock(&pt->t->lock);
		def = catalogue_get(pt->t->db, http_req_param(req, "id"), time(NULL));
		pthread_mutex_unlock(&pt->t->lock);
	}
	if (def == NULL) {
		http_reply_error(req, 404, "unknown_procedure", "指定された手続は見つかりません。");
		return -1;
	}
	snprintf(url, len, "%s/%s/procedures/%s", p->public_base_url, pt->t->name,
		 json_string_value(json_object_get(def, "id")));
	snprintf(title, tlen, "%s の二次元コード",
		 json_string_value(json_object_get(def, "title")));
	json_decref(def);
	return 0;
}

void
procedures_handle_qr_png(struct http_request *req, void *app)
{
	char url[512], title[768], err[256];
	unsigned char *png = NULL;
	size_t len = 0;

	if (procedure_url(req, app, url, sizeof url, title, sizeof title) != 0)
		return;
	if (qr_png(url, 8, QR_MARGIN_DEFAULT, &png, &len, err, sizeof err) != 0) {
		http_reply_error(req, 500, "internal", "二次元コードを作成できませんでした。");
		return;
	}
	http_reply_header(req, "Cache-Control", "public, max-age=3600");
	http_reply_bytes(req, 200, "image/png", png, len);
	free(png);
}

void
procedures_handle_qr_svg(struct http_request *req, void *app)
{
	char url[512], title[768], err[256];
	char *svg = NULL;
	size_t len = 0;

	if (procedure_url(req, app, url, sizeof url, title, sizeof title) != 0)
		return;
	if (qr_svg(url, QR_MARGIN_DEFAULT, title, &svg, &len, err, sizeof err) != 0) {
		http_reply_error(req, 500, "internal", "二次元コードを作成できませんでした。");
		return;
	}
	http_reply_header(req, "Cache-Control", "public, max-age=3600");
	http_reply_bytes(req, 200, "image/svg+xml", svg, len);
	free(svg);
}
