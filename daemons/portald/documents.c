/*
 * documents.c — issued documents in the internet zone (see documents.h).
 *
 * The bundle was verified with the office key before it reached here, and the PDF
 * member is hashed again as it is read out of the tar: what is stored is exactly
 * what the manifest (signed on LGWAN) and data/document.json name, or nothing. The
 * file is written before the row that points to it, inside the bundle's transaction:
 * a crash between the two leaves a file that the re-delivered bundle overwrites with
 * the same bytes, never a row without its file.
 */
#include "documents.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts.h"
#include "applications.h"
#include "catalogue.h"
#include "crypto.h"
#include "csvio.h"
#include "fsio.h"
#include "jsonio.h"
#include "log.h"
#include "notify.h"
#include "password.h"
#include "timefmt.h"

#define MSG_NOT_FOUND "到達番号または照会用パスワードが正しくありません。"
#define TITLE_MAX     400	/* bytes of a title (officed allows 100 characters) */
#define FILE_NAME_MAX 400	/* bytes of a file name */

/* ---- receiving ------------------------------------------------------------------------ */

static int
hex64(const char *s)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

static int
text_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || !csvio_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return 0;
	return 1;
}


/* DB_DIR/documents/TENANT, made 0700 if absent; the file's path in out. */
static int
document_path(const struct portald *p, const char *tenant, const char *bundle_id, char *out,
	      size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s/documents", p->db_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(dir, sizeof dir, "%s/documents/%s", p->db_dir, tenant);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (snprintf(out, len, "%s/%s.pdf", dir, bundle_id) >= (int)len)
		return -1;
	return 0;
}

/* The applicant's email for the document, if the procedure sends one. */
static int
notify_document(struct portald *p, const char *tenant, struct db *db, const char *receipt,
		time_t at)
{
	struct notify_event ev = { tenant, receipt, "document", NULL, at };

	return notify_enqueue_event(db, p, &ev);
}

int
documents_apply(struct portald *p, struct db *db, const char *tenant,
		const struct bundle_info *info, const char *bundle_path, char *err,
		size_t errlen)
{
	const json_t *doc = json_object_get(info->data, "data/document.json"), *m;
	const char *receipt = jsonio_str(doc, "receipt_no", NULL);
	const char *title = jsonio_str(doc, "title", NULL);
	const char *file_name = jsonio_str(doc, "file_name", NULL);
	const char *sha = jsonio_str(doc, "sha256", NULL), *msha = NULL;
	long long n = 0, size = -1, msize = -2;
	char path[PATH_MAX], message[TITLE_MAX + 80], *pdf = NULL;
	sqlite3_stmt *st;
	time_t at;
	size_t i;
	int known;

	if (strcmp(jsonio_str(doc, "format", ""), "sekisho-document/1") != 0 ||
	    !applications_receipt_valid(receipt) || !text_ok(title, TITLE_MAX) ||
	    !text_ok(file_name, FILE_NAME_MAX) || strchr(file_name, '/') || !hex64(sha) ||
	    jsonio_int(doc, "n", 1, DOCUMENTS_LIST_MAX, &n) != 0 ||
	    jsonio_int(doc, "size", 1, DOCUMENTS_MAX_BYTES, &size) != 0 ||
	    strcmp(jsonio_str(doc, "member", ""), DOCUMENTS_MEMBER) != 0 ||
	    timefmt_parse_rfc3339(jsonio_str(doc, "issued_at", ""), &at) != 0) {
		snprintf(err, errlen, "document: data/document.json is malformed");
		return -1;
	}
	json_array_foreach(json_object_get(info->manifest, "members"), i, m)
		if (strcmp(jsonio_str(m, "name", ""), DOCUMENTS_MEMBER) == 0) {
			msha = jsonio_str(m, "sha256", NULL);
			jsonio_int(m, "size", 0, DOCUMENTS_MAX_BYTES, &msize);
		}
	if (msha == NULL || strcmp(msha, sha) != 0 || msize != size) {
		snprintf(err, errlen, "document: the manifest does not list the announced PDF");
		return -1;
	}
	if (bundle_path == NULL) {
		snprintf(err, errlen, "document: the bundle file is needed to read the PDF");
		return -1;
	}
	st = db_stmt(db, "SELECT 1 FROM applications WHERE receipt_no = ?");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!known) {
		/* As for status events: an application this node does not hold. */
		log_warn("document for unknown application %s ignored", receipt);
		return 0;
	}
	if (bundle_read_member(bundle_path, DOCUMENTS_MEMBER, sha, size, &pdf, err, errlen) != 0)
		return -1;
	if (document_path(p, tenant, info->id, path, sizeof path) != 0 ||
	    fsio_write_atomic(path, pdf, (size_t)size, 0600) != 0) {
		snprintf(err, errlen, "document: cannot write %s: %s", path, strerror(errno));
		free(pdf);
		return -1;
	}
	free(pdf);
	st = db_stmt(db, "INSERT INTO documents (bundle_id, receipt_no, n, title, file_name, size,"
			 " sha256, issued_at, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, n);
	sqlite3_bind_text(st, 4, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, file_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, size);
	sqlite3_bind_text(st, 7, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)at);
	sqlite3_bind_text(st, 9, path, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0)
		goto dberr;
	snprintf(message, sizeof message, "交付文書「%s」が届きました。", title);
	st = db_stmt(db, "INSERT INTO application_events (receipt_no, status, message, at, source)"
			 " VALUES (?, 'document', ?, ?, 'office')");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)at);
	if (db_step_done(st) != 0 || notify_document(p, tenant, db, receipt, at) != 0)
		goto dberr;
	return 0;
dberr:
	snprintf(err, errlen, "document: database: %s", db_errmsg(db));
	return -1;
}

/* ---- serving ------------------------------------------------------------------------- */

/* May the requester see receipt's application? 1 yes, 0 no (caller replies 404),
 * -1 already replied. The same rule and the same work as the status API. */
static int
authorize(struct portald *p, struct portal_tenant *pt, struct http_request *req,
	  const char *receipt)
{
	const char *password = http_req_query(req, "status_password");
	char stored[PASSWORD_HASH_LEN] = "";
	struct portal_actor actor;
	int64_t account = 0;
	bool found = false, has_password = false;
	sqlite3_stmt *st;
	int rc = 0;

	if (password == NULL)
		password = http_req_header(req, "X-Status-Password");
	if (password != NULL && strlen(password) > 128)
		return 0;
	if (password == NULL && (rc = accounts_session(p, pt, req, false, &actor)) < 0)
		return -1;
	if (password == NULL)
		explicit_bzero(actor.token, sizeof actor.token);
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT password_hash, coalesce(account_id, 0) FROM applications"
				" WHERE receipt_no = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			found = true;
			has_password = sqlite3_column_type(st, 0) != SQLITE_NULL;
			if (has_password)
				snprintf(stored, sizeof stored, "%s", sqlite3_column_text(st, 0));
			account = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (password == NULL)
		return rc == 1 && found && account == actor.account_id;
	/* The same Argon2 whether or not the 到達番号 exists: no enumeration by timing. */
	return password_verify(password, has_password ? stored : p->dummy_password_hash) == 1 &&
	       has_password;
}

/* The tenant and receipt of the path, authorized; NULL after a reply. */
static struct portal_tenant *
begin(struct http_request *req, struct portald *p, const char **receipt)
{
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	int rc;

	*receipt = http_req_param(req, "receipt_no");
	if (pt == NULL || !applications_receipt_valid(*receipt)) {
		http_reply_error(req, 404, "not_found", MSG_NOT_FOUND);
		return NULL;
	}
	if ((rc = authorize(p, pt, req, *receipt)) < 0)
		return NULL;
	if (rc == 0) {
		http_reply_error(req, 404, "not_found", MSG_NOT_FOUND);
		return NULL;
	}
	return pt;
}

void
documents_handle_list(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt;
	const char *receipt;
	sqlite3_stmt *st;
	json_t *list;
	int rc = SQLITE_ERROR;

	if ((pt = begin(req, p, &receipt)) == NULL)
		return;
	list = json_array();
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT n, title, file_name, size, sha256, issued_at FROM"
				" documents WHERE receipt_no = ? ORDER BY n LIMIT ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, DOCUMENTS_LIST_MAX);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			char when[TIMEFMT_LEN];

			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 5), when);
			json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:I,s:s,s:s}",
				"n", (json_int_t)sqlite3_column_int64(st, 0),
				"title", (const char *)sqlite3_column_text(st, 1),
				"file_name", (const char *)sqlite3_column_text(st, 2),
				"size", (json_int_t)sqlite3_column_int64(st, 3),
				"sha256", (const char *)sqlite3_column_text(st, 4),
				"issued_at", when));
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		log_err("tenant %s: documents of %s: %s", pt->t->name, receipt,
			db_errmsg(pt->t->db));
		http_reply_error(req, 500, "internal", "サーバーで問題が発生しました。"
				 "時間をおいてお試しください。");
		return;
	}
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, json_pack("{s:s,s:o}", "receipt_no", receipt, "documents",
					    list));
}

/* filename*=UTF-8''... (RFC 6266 / 8187): every byte but unreserved ones escaped. */
static void
disposition(const char *file_name, const char *receipt, long n, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, len, "attachment; filename=\"document-%s-%ld.pdf\"; "
				    "filename*=UTF-8''", receipt, n);

	for (const unsigned char *s = (const unsigned char *)file_name; *s && o + 4 < len; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' || *s == '~') {
			out[o++] = (char)*s;
		} else {
			out[o++] = '%';
			out[o++] = hex[*s >> 4];
			out[o++] = hex[*s & 15];
		}
	}
	out[o] = '\0';
}

void
documents_handle_get(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt;
	const char *receipt, *ns = http_req_param(req, "n");
	char path[PATH_MAX] = "", sha[CRYPTO_SHA256_LEN * 2 + 1] = "", name[FILE_NAME_MAX + 1];
	char hex[CRYPTO_SHA256_LEN * 2 + 1], cd[FILE_NAME_MAX * 3 + 128], *end, *buf = NULL;
	uint8_t h[CRYPTO_SHA256_LEN];
	long long size = -1;
	sqlite3_stmt *st;
	long n;
	int fd;

	if ((pt = begin(req, p, &receipt)) == NULL)
		return;
	n = ns ? strtol(ns, &end, 10) : 0;
	if (ns == NULL || *end != '\0' || n < 1 || n > DOCUMENTS_LIST_MAX) {
		http_reply_error(req, 404, "no_such_document", "指定された文書は見つかりません。");
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT path, sha256, size, file_name FROM documents WHERE"
				" receipt_no = ? AND n = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, n);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(path, sizeof path, "%s", sqlite3_column_text(st, 0));
			snprintf(sha, sizeof sha, "%s", sqlite3_column_text(st, 1));
			size = sqlite3_column_int64(st, 2);
			snprintf(name, sizeof name, "%s", sqlite3_column_text(st, 3));
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (size < 0 || size > DOCUMENTS_MAX_BYTES) {
		http_reply_error(req, 404, "no_such_document", "指定された文書は見つかりません。");
		return;
	}
	if ((buf = malloc((size_t)size + 1)) == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		free(buf);
		buf = NULL;
	} else {
		if (fsio_pread_all(fd, buf, (size_t)size, 0) != 0) {
			free(buf);
			buf = NULL;
		}
		close(fd);
	}
	if (buf != NULL) {
		crypto_sha256(buf, (size_t)size, h);
		crypto_hex(h, sizeof h, hex);
	}
	if (buf == NULL || strcmp(hex, sha) != 0) {
		log_err("tenant %s: document %s/%ld: %s is missing or not what was received",
			pt->t->name, receipt, n, path);
		free(buf);
		http_reply_error(req, 500, "integrity", "文書を確認できませんでした。"
				 "お手数ですが、担当の窓口にお問い合わせください。");
		return;
	}
	disposition(name, receipt, n, cd, sizeof cd);
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_bytes(req, 200, "application/pdf", buf, (size_t)size);
	free(buf);
}
