/*
 * delcert.c — the deletion certificate (削除証明書).
 *
 * Everything the certificate states is observed, never assumed: the counts are read
 * from the databases and the hashes from the files before anything is deleted, and the
 * "nothing remains" line is the result of a re-scan after it. The manifest hash is the
 * SHA-256 of the file list as lines "SHA256  SIZE  PATH\n" in the order the JSON gives
 * them (sorted by path), so that an auditor can recompute it with jq and sha256sum
 * without this program. The signature covers the exact bytes of each file.
 */
#include "delcert.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "fsio.h"
#include "jsonio.h"
#include "office_db.h"
#include "portal_db.h"
#include "timefmt.h"

#define DELCERT_KEY	"lgwan/keys/office-signing.key"
#define DELCERT_PUB	"lgwan/keys/office-signing.pub"

struct delcert {
	const struct instance *in;
	char tenant[128];
	time_t started;
	json_t *doc;			/* the JSON certificate being built */
	json_t *zones;			/* zone name -> its inventory */
	json_t *files;			/* [{path, size, sha256}] */
	size_t nfiles;
	int have_key;
	uint8_t priv[CRYPTO_ED25519_LEN], pub[CRYPTO_ED25519_LEN];
	char *text;
};

/* What a zone's database holds, by table, in the order the certificate lists it. */
static const struct {
	const char *zone, *table, *label;
} counted[] = {
	{ "dmz", "applications", "申請" },
	{ "dmz", "uploads", "アップロードされたファイル" },
	{ "dmz", "documents", "発行文書 (市民への交付分)" },
	{ "dmz", "accounts", "市民の利用者アカウント" },
	{ "dmz", "drafts", "一時保存された申請" },
	{ "lgwan", "applications", "申請" },
	{ "lgwan", "attachments", "添付ファイル" },
	{ "lgwan", "issued_documents", "発行文書" },
	{ "lgwan", "staff", "職員アカウント" },
	{ "lgwan", "audit_log", "監査ログの記録" },
};

static const char *
zone_label(const char *zone)
{
	return strcmp(zone, "dmz") == 0 ? "インターネット接続系 (dmz)" : "LGWAN 接続系 (lgwan)";
}

/* path relative to the instance root, as the certificate names it. */
static const char *
rel_path(const struct delcert *c, const char *path)
{
	size_t n = strlen(c->in->root);

	if (strncmp(path, c->in->root, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

struct delcert *
delcert_begin(const struct instance *in, const char *tenant, const char *operator_name,
	      char *err, size_t errlen)
{
	struct delcert *c = calloc(1, sizeof *c);
	char key[PATH_MAX], host[256] = "", when[TIMEFMT_LEN];
	struct passwd *pw = getpwuid(geteuid());
	const char *sudo = getenv("SUDO_USER");
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "deletion certificate: out of memory");
		return NULL;
	}
	c->in = in;
	snprintf(c->tenant, sizeof c->tenant, "%s", tenant);
	c->started = time(NULL);
	instance_path(in, DELCERT_KEY, key, sizeof key);
	if (access(key, F_OK) == 0) {
		if ((rc = crypto_key_load_private(key, CRYPTO_KEY_ED25519, c->priv)) != 0 ||
		    (rc = crypto_ed25519_public(c->priv, c->pub)) != 0) {
			snprintf(err, errlen, "%s: %s (the certificate must be signed on this "
				 "LGWAN host: run as a user who can read the key)", key,
				 crypto_strerror(rc));
			delcert_free(c);	/* wipes what was read of the key */
			return NULL;
		}
		c->have_key = 1;
	}
	gethostname(host, sizeof host - 1);
	timefmt_jst_rfc3339(c->started, when);
	c->zones = json_object();
	c->files = json_array();
	c->doc = json_pack("{s:s, s:i, s:{s:s, s:n}, s:s, s:s, s:{s:s, s:I, s:s*, s:s*, s:s}}",
			   "type", "sekisho-deletion-certificate", "version", 1,
			   "tenant", "name", tenant, "display_name",
			   "instance", in->root, "started_at", when,
			   "operator", "unix_user", pw ? pw->pw_name : "?",
			   "uid", (json_int_t)geteuid(), "sudo_user", sudo,
			   "name", operator_name, "host", host);
	if (c->doc == NULL || c->zones == NULL || c->files == NULL) {
		snprintf(err, errlen, "deletion certificate: the operator's name is not UTF-8, "
			 "or out of memory");
		delcert_free(c);
		return NULL;
	}
	return c;
}

static int
count_rows(struct db *db, const char *table, long long *n)
{
	char sql[128];
	sqlite3_stmt *st;

	/* table comes from counted[] above, never from input. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if ((st = db_stmt(db, sql)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
delcert_inventory(struct delcert *c, const char *zone, const char *db_path, char *err,
		  size_t errlen)
{
	int is_dmz = strcmp(zone, "dmz") == 0;
	json_t *z = json_object(), *counts = json_object();
	struct db *db;

	json_object_set_new(c->zones, zone, z);
	json_object_set_new(z, "database", json_string(rel_path(c, db_path)));
	if (access(db_path, F_OK) != 0) {
		json_object_set_new(z, "present", json_false());
		json_decref(counts);
		return 0;
	}
	json_object_set_new(z, "present", json_true());
	json_object_set_new(z, "counts", counts);
	{
		uint8_t sum[CRYPTO_SHA256_LEN];
		char hex[2 * CRYPTO_SHA256_LEN + 1];

		if (crypto_sha256_file(db_path, sum) != 0) {
			snprintf(err, errlen, "%s: cannot read to hash it: %s", db_path,
				 strerror(errno));
			return -1;
		}
		crypto_hex(sum, sizeof sum, hex);
		json_object_set_new(z, "database_sha256", json_string(hex));
	}
	if (db_open(&db, db_path, DB_READONLY,
		    is_dmz ? portal_db_migrations : office_db_migrations,
		    is_dmz ? portal_db_nmigrations : office_db_nmigrations, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++) {
		long long n;

		if (strcmp(counted[i].zone, zone) != 0)
			continue;
		if (count_rows(db, counted[i].table, &n) != 0) {
			snprintf(err, errlen, "%s: counting %s: %s", db_path, counted[i].table,
				 db_errmsg(db));
			db_close(db);
			return -1;
		}
		json_object_set_new(counts, counted[i].table, json_integer(n));
	}
	/* The municipality's own name, as its issued documents carry it. */
	if (!is_dmz) {
		sqlite3_stmt *st = db_stmt(db, "SELECT issuer FROM document_settings WHERE id = 1");

		if (st != NULL && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			json_object_set_new(json_object_get(c->doc, "tenant"), "display_name",
					    json_string((const char *)sqlite3_column_text(st, 0)));
		if (st != NULL)
			sqlite3_reset(st);
	}
	db_close(db);
	return 0;
}

static int
add_one(struct delcert *c, const char *path, int depth, char *err, size_t errlen)
{
	struct stat sb;
	json_t *f;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 0;	/* gone already (a -shm closed away): nothing to record */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		struct dirent *e;
		DIR *d;
		int rc = 0;

		if (depth > DELCERT_MAX_DEPTH) {
			snprintf(err, errlen, "%s: deeper than %d levels", path, DELCERT_MAX_DEPTH);
			return -1;
		}
		if ((d = opendir(path)) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		while (rc == 0 && (e = readdir(d)) != NULL) {
			char child[PATH_MAX];

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >=
			    (int)sizeof child) {
				snprintf(err, errlen, "%s/%s: path too long", path, e->d_name);
				rc = -1;
			} else {
				rc = add_one(c, child, depth + 1, err, errlen);
			}
		}
		closedir(d);
		return rc;
	}
	if (c->nfiles == DELCERT_MAX_FILES) {
		snprintf(err, errlen, "more than %d files for one certificate", DELCERT_MAX_FILES);
		return -1;
	}
	f = json_pack("{s:s, s:I}", "path", rel_path(c, path), "size", (json_int_t)sb.st_size);
	if (S_ISREG(sb.st_mode)) {
		uint8_t sum[CRYPTO_SHA256_LEN];
		char hex[2 * CRYPTO_SHA256_LEN + 1];

		if (crypto_sha256_file(path, sum) != 0) {
			snprintf(err, errlen, "%s: cannot read to hash it: %s", path,
				 strerror(errno));
			json_decref(f);
			return -1;
		}
		crypto_hex(sum, sizeof sum, hex);
		json_object_set_new(f, "sha256", json_string(hex));
	} else {
		/* A symbolic link or special file: deleted, nothing of it to hash. */
		json_object_set_new(f, "sha256", json_string("-"));
	}
	json_array_append_new(c->files, f);
	c->nfiles++;
	return 0;
}

int
delcert_add(struct delcert *c, const char *path, char *err, size_t errlen)
{
	return add_one(c, path, 0, err, errlen);
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "path")),
		      json_string_value(json_object_get(*(json_t *const *)b, "path")));
}

/* files sorted by path, the manifest's lines over them hashed into hex; 0 or -1 when
 * an entry is not what a certificate holds. */
static int
manifest_hash(const json_t *files, char hex[2 * CRYPTO_SHA256_LEN + 1])
{
	struct crypto_sha256_ctx *h = crypto_sha256_begin();
	uint8_t sum[CRYPTO_SHA256_LEN];
	size_t i;
	json_t *f;

	if (h == NULL)
		return -1;
	json_array_foreach(files, i, f) {
		const char *p = json_string_value(json_object_get(f, "path"));
		const char *s = json_string_value(json_object_get(f, "sha256"));
		json_t *size = json_object_get(f, "size");
		char line[PATH_MAX + 128];
		int n;

		if (p == NULL || s == NULL || !json_is_integer(size) ||
		    (n = snprintf(line, sizeof line, "%s  %lld  %s\n", s,
				  (long long)json_integer_value(size), p)) >= (int)sizeof line) {
			crypto_sha256_end(h, sum);
			return -1;
		}
		crypto_sha256_update(h, line, (size_t)n);
	}
	crypto_sha256_end(h, sum);
	crypto_hex(sum, sizeof sum, hex);
	return 0;
}

/* zone + area ("dmz", "spool/intake") of a path relative to the root. */
static void
area_of(const char *rel, char *zone, size_t zlen, char *area, size_t alen)
{
	const char *a = strchr(rel, '/'), *b, *e;

	snprintf(zone, zlen, "%.*s", a ? (int)(a - rel) : (int)strlen(rel), rel);
	if (a == NULL) {
		snprintf(area, alen, "-");
		return;
	}
	a++;
	b = strchr(a, '/');
	if (b != NULL && strncmp(a, "spool/", 6) == 0 && (e = strchr(b + 1, '/')) != NULL)
		b = e;	/* a spool is named by its queue: spool/intake */
	snprintf(area, alen, "%.*s", b ? (int)(b - a) : (int)strlen(a), a);
}

static void
text_counts(FILE *t, const json_t *zones)
{
	static const char *const order[] = { "dmz", "lgwan" };

	for (size_t i = 0; i < 2; i++) {
		json_t *z = json_object_get(zones, order[i]);

		if (z == NULL) {
			fprintf(t, "  %s: このホストにはありません。\n", zone_label(order[i]));
			continue;
		}
		fprintf(t, "  %s\n", zone_label(order[i]));
		if (!json_is_true(json_object_get(z, "present"))) {
			fprintf(t, "    データベース %s はありませんでした。\n",
				json_string_value(json_object_get(z, "database")));
			continue;
		}
		fprintf(t, "    データベース: %s\n    SHA-256 (削除前): %s\n",
			json_string_value(json_object_get(z, "database")),
			jsonio_str(z, "database_sha256", ""));
		for (size_t k = 0; k < sizeof counted / sizeof counted[0]; k++) {
			if (strcmp(counted[k].zone, order[i]) != 0)
				continue;
			/* The count first: a column after Japanese text would not align. */
			fprintf(t, "    %8lld 件  %s (%s)\n",
				(long long)json_integer_value(json_object_get(
					json_object_get(z, "counts"), counted[k].table)),
				counted[k].label, counted[k].table);
		}
	}
}

/* The summary by zone and area into doc "areas", and the text's table. */
static void
areas(struct delcert *c, FILE *t)
{
	json_t *areas = json_array(), *cur = NULL, *f;
	long long files = 0, bytes = 0;
	size_t i;

	json_array_foreach(c->files, i, f) {
		const char *p = json_string_value(json_object_get(f, "path"));
		long long size = json_integer_value(json_object_get(f, "size"));
		char zone[64], area[256];

		area_of(p, zone, sizeof zone, area, sizeof area);
		if (cur == NULL || strcmp(jsonio_str(cur, "zone", ""), zone) != 0 ||
		    strcmp(jsonio_str(cur, "area", ""), area) != 0) {
			cur = json_pack("{s:s, s:s, s:I, s:I}", "zone", zone, "area", area,
					"files", (json_int_t)0, "bytes", (json_int_t)0);
			json_array_append_new(areas, cur);
		}
		json_object_set_new(cur, "files", json_integer(
			json_integer_value(json_object_get(cur, "files")) + 1));
		json_object_set_new(cur, "bytes", json_integer(
			json_integer_value(json_object_get(cur, "bytes")) + size));
		files++;
		bytes += size;
	}
	json_array_foreach(areas, i, f)
		fprintf(t, "    %-6s %-24s %8lld 件 %14lld バイト\n",
			jsonio_str(f, "zone", ""), jsonio_str(f, "area", ""),
			(long long)json_integer_value(json_object_get(f, "files")),
			(long long)json_integer_value(json_object_get(f, "bytes")));
	fprintf(t, "    合計 %lld 件、%lld バイト\n", files, bytes);
	json_object_set_new(c->doc, "areas", areas);
	json_object_set_new(c->doc, "totals", json_pack("{s:I, s:I}", "files", (json_int_t)files,
							"bytes", (json_int_t)bytes));
}

static const char method_text[] =
	"  上記のファイルとディレクトリをファイルシステムから削除 (unlink, rmdir) しました。\n"
	"  SQLite データベースは、その付属ファイル (-wal, -shm) とバックアップを含め、\n"
	"  ファイルごと削除しました。削除前に全ファイルの SHA-256 を記録しています。\n"
	"  上書き消去は行っていません。SSD やジャーナリングファイルシステム (ext4 等) では、\n"
	"  ファイルを上書きしても元のデータが媒体から消えることは保証されないためです。\n"
	"  媒体上のデータの消去が必要な場合は、データセンター事業者に、ディスク単位の消去\n"
	"  (NIST SP 800-88 等に従う消去) または暗号化ディスクの鍵の破棄をご依頼ください。\n";

static const char scope_text[] =
	"  本書が証明するのは、このホストのインスタンス (上記) から当該自治体のファイルが\n"
	"  削除され、削除後の再走査で見つからなかったことです。次のものは対象外です:\n"
	"  媒体上に残りうる削除済みデータ (上記「削除の方法」)、このインスタンスの外に\n"
	"  複製されたバックアップや媒体、運用ログ (log/ と journald。自治体名を含みます)、\n"
	"  もう一方のゾーンのホスト (2 台構成では、各ホストで削除し、それぞれの証明書を\n"
	"  発行します)。\n";

static void
make_text(struct delcert *c, FILE *t, const char *id, char *const *remaining, size_t n)
{
	const json_t *op = json_object_get(c->doc, "operator");
	const json_t *tn = json_object_get(c->doc, "tenant");

	fprintf(t, "削除証明書 (Deletion Certificate)\n"
		"================================\n"
		"証明書番号: %s\n\n"
		"関所 (Sekisho) のインスタンスから、下記の自治体 (テナント) のデータを削除したことを\n"
		"証明します。\n\n", id);
	fprintf(t, "1. 削除の対象 (what)\n"
		"  自治体 (テナント) 名: %s\n"
		"  表示名 (発行文書の発行者名): %s\n"
		"  インスタンス: %s\n\n",
		jsonio_str(tn, "name", ""), jsonio_str(tn, "display_name", "(未設定)"),
		c->in->root);
	fprintf(t, "2. 削除前の内容 (inventory, 削除の直前に読み取った件数)\n");
	text_counts(t, c->zones);
	fprintf(t, "  削除したファイル (区分ごと):\n");
	areas(c, t);
	fprintf(t, "  マニフェストの SHA-256: %s\n"
		"  (別紙の各行「SHA-256  バイト数  パス」を順に連結したものの SHA-256 です)\n\n",
		jsonio_str(c->doc, "manifest_sha256", ""));
	fprintf(t, "3. 日時 (when, 日本標準時)\n  開始: %s\n  終了: %s\n\n",
		jsonio_str(c->doc, "started_at", ""), jsonio_str(c->doc, "finished_at", ""));
	fprintf(t, "4. 実施者 (by whom)\n  担当者: %s\n  Unix ユーザー: %s (uid %lld)%s%s\n"
		"  ホスト名: %s\n\n",
		jsonio_str(op, "name", "(未記入: --operator で指定できます)"),
		jsonio_str(op, "unix_user", ""),
		(long long)json_integer_value(json_object_get(op, "uid")),
		json_object_get(op, "sudo_user") ? "、sudo の実行者: " : "",
		jsonio_str(op, "sudo_user", ""), jsonio_str(op, "host", ""));
	fprintf(t, "5. 削除の方法 (how)\n%s\n", method_text);
	fprintf(t, "6. 削除後の確認 (verification)\n");
	if (n == 0) {
		fprintf(t, "  削除後にインスタンスの両ゾーンを再走査しました。当該自治体のファイルは\n"
			"  見つかりませんでした (残存 0 件)。\n\n");
	} else {
		fprintf(t, "  削除後の再走査で、当該自治体のファイルが %zu 件残っています。\n"
			"  削除は完了していません:\n", n);
		for (size_t i = 0; i < n; i++)
			fprintf(t, "    %s\n", rel_path(c, remaining[i]));
		fprintf(t, "\n");
	}
	fprintf(t, "7. 本書の範囲 (what this does not prove)\n%s\n", scope_text);
	fprintf(t, "8. 署名 (signature)\n");
	if (c->have_key) {
		char hex[2 * CRYPTO_ED25519_LEN + 1];

		crypto_hex(c->pub, sizeof c->pub, hex);
		fprintf(t, "  本書 (%s.txt) と JSON 版 (.json) は、それぞれ\n"
			"  LGWAN 側の署名鍵 (office-signing, Ed25519) で署名しました (.sig)。\n"
			"  公開鍵: %s\n"
			"  検証: sekishoctl audit verify-certificate %s.json\n\n", id, hex, id);
	} else {
		fprintf(t, "  このホストには LGWAN 側の署名鍵がないため、署名していません。\n\n");
	}
	fprintf(t, "別紙: 削除したファイルの一覧 (SHA-256  バイト数  パス)\n");
	{
		size_t i;
		json_t *f;

		json_array_foreach(c->files, i, f)
			fprintf(t, "%s  %lld  %s\n", jsonio_str(f, "sha256", ""),
				(long long)json_integer_value(json_object_get(f, "size")),
				jsonio_str(f, "path", ""));
	}
}

static int
write_signed(struct delcert *c, const char *path, const char *data, size_t len, char *err,
	     size_t errlen)
{
	uint8_t sig[CRYPTO_SIG_LEN];
	char sp[PATH_MAX];

	if (fsio_write_atomic(path, data, len, 0640) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!c->have_key)
		return 0;
	snprintf(sp, sizeof sp, "%s.sig", path);
	if (crypto_ed25519_sign(c->priv, data, len, sig) != 0 ||
	    fsio_write_atomic(sp, sig, sizeof sig, 0640) != 0) {
		snprintf(err, errlen, "%s: cannot sign or write: %s", sp, strerror(errno));
		return -1;
	}
	return 0;
}

int
delcert_finish(struct delcert *c, char *const *remaining, size_t n, char *path,
	       size_t pathlen, char *err, size_t errlen)
{
	char dir[PATH_MAX], id[256], when[TIMEFMT_LEN], hex[2 * CRYPTO_SHA256_LEN + 1];
	char base[PATH_MAX + 300], jp[PATH_MAX + 310];
	size_t len, nf = json_array_size(c->files), i;
	json_t **v = calloc(nf ? nf : 1, sizeof *v), *rem = json_array(), *f;
	time_t now = time(NULL), jst = c->started + TIMEFMT_JST_OFFSET;
	struct tm tm;
	char *json, *text = NULL;
	FILE *t;
	int rc;

	if (v == NULL) {
		snprintf(err, errlen, "deletion certificate: out of memory");
		json_decref(rem);
		return -1;
	}
	/* The file list sorted by path, so the manifest does not depend on walk order. */
	json_array_foreach(c->files, i, f)
		v[i] = json_incref(f);
	qsort(v, nf, sizeof *v, cmp_file);
	json_array_clear(c->files);
	for (i = 0; i < nf; i++)
		json_array_append_new(c->files, v[i]);
	free(v);
	if (manifest_hash(c->files, hex) != 0) {
		snprintf(err, errlen, "deletion certificate: a path too long for the manifest");
		json_decref(rem);
		return -1;
	}
	gmtime_r(&jst, &tm);
	strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm);
	snprintf(id, sizeof id, "deletion-%s-%s", c->tenant, when);
	timefmt_jst_rfc3339(now, when);
	for (i = 0; i < n; i++)
		json_array_append_new(rem, json_string(rel_path(c, remaining[i])));
	json_object_set_new(c->doc, "certificate_id", json_string(id));
	json_object_set_new(c->doc, "finished_at", json_string(when));
	json_object_set_new(c->doc, "zones", json_incref(c->zones));
	json_object_set_new(c->doc, "manifest_sha256", json_string(hex));
	json_object_set_new(c->doc, "method", json_pack(
		"{s:s, s:s, s:b, s:s}", "files", "unlinked",
		"databases", "deleted as files (with -wal, -shm and backups)", "overwritten", 0,
		"media_erasure", "not done by this program: ask the data centre for disk-level "
		"erasure or destruction of the disk encryption key"));
	json_object_set_new(c->doc, "verification", json_pack(
		"{s:s, s:I, s:o}", "method", "re-scan of both zones after deletion",
		"remaining_count", (json_int_t)n, "remaining", rem));
	if (c->have_key) {
		char pk[2 * CRYPTO_ED25519_LEN + 1];

		crypto_hex(c->pub, sizeof c->pub, pk);
		json_object_set_new(c->doc, "signature", json_pack(
			"{s:s, s:s, s:s, s:s}", "algorithm", "Ed25519", "key", DELCERT_PUB,
			"public_key", pk, "files", "FILE.sig beside each file (raw 64 bytes)"));
	} else {
		json_object_set_new(c->doc, "signature", json_pack(
			"{s:n, s:s}", "algorithm", "reason",
			"no office signing key on this host (not the LGWAN host)"));
	}
	json_object_set_new(c->doc, "files", json_incref(c->files));

	if ((t = open_memstream(&text, &len)) == NULL) {
		snprintf(err, errlen, "deletion certificate: out of memory");
		return -1;
	}
	make_text(c, t, id, remaining, n);
	fclose(t);
	free(c->text);
	c->text = text;

	instance_path(c->in, DELCERT_DIR, dir, sizeof dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(base, sizeof base, "%s/%s", dir, id);
	if ((json = json_dumps(c->doc, JSON_INDENT(2))) == NULL) {
		snprintf(err, errlen, "deletion certificate: out of memory");
		return -1;
	}
	snprintf(jp, sizeof jp, "%s.json", base);
	rc = write_signed(c, jp, json, strlen(json), err, errlen);
	free(json);
	if (rc != 0)
		return -1;
	snprintf(jp, sizeof jp, "%s.txt", base);
	if (write_signed(c, jp, c->text, strlen(c->text), err, errlen) != 0)
		return -1;
	snprintf(path, pathlen, "%s.json", base);
	return 0;
}

const char *
delcert_text(const struct delcert *c)
{
	return c->text ? c->text : "";
}

int
delcert_signed(const struct delcert *c)
{
	return c->have_key;
}

void
delcert_free(struct delcert *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c->priv, sizeof c->priv);
	json_decref(c->doc);
	json_decref(c->zones);
	json_decref(c->files);
	free(c->text);
	free(c);
}

int
delcert_verify(const char *path, const uint8_t pub[32], char *err, size_t errlen)
{
	char sp[PATH_MAX], hex[2 * CRYPTO_SHA256_LEN + 1];
	uint8_t sig[CRYPTO_SIG_LEN];
	struct stat sb;
	char *data, *sigdata;
	size_t len = strlen(path), dlen;
	int ok;

	if (snprintf(sp, sizeof sp, "%s.sig", path) >= (int)sizeof sp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "not a file");
		return -1;
	}
	if ((data = fsio_read_bounded(path, (uint64_t)sb.st_size, DELCERT_MAX_BYTES)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	dlen = (size_t)sb.st_size;
	/* Exactly 64 bytes, raw, as openssl pkeyutl -sigfile takes it. */
	if (stat(sp, &sb) != 0 || sb.st_size != CRYPTO_SIG_LEN ||
	    (sigdata = fsio_read_bounded(sp, CRYPTO_SIG_LEN, CRYPTO_SIG_LEN)) == NULL) {
		snprintf(err, errlen, "%s: no signature of %d bytes beside the certificate", sp,
			 CRYPTO_SIG_LEN);
		free(data);
		return -1;
	}
	memcpy(sig, sigdata, CRYPTO_SIG_LEN);
	free(sigdata);
	ok = crypto_ed25519_verify(pub, data, dlen, sig) == 0;
	if (!ok) {
		snprintf(err, errlen, "%s: the signature does not verify with this key (the "
			 "file was changed, or signed with another key)", path);
		free(data);
		return -1;
	}
	if (len > 5 && strcmp(path + len - 5, ".json") == 0) {
		json_t *doc = jsonio_parse(data, dlen, DELCERT_MAX_BYTES, JSONIO_MAX_DEPTH, err,
					   errlen);
		const char *want = doc ? jsonio_str(doc, "manifest_sha256", NULL) : NULL;

		if (doc == NULL) {
			free(data);
			return -1;
		}
		if (want == NULL ||
		    manifest_hash(json_object_get(doc, "files"), hex) != 0 ||
		    strcmp(hex, want) != 0) {
			snprintf(err, errlen, "%s: the manifest hash is not the hash of the file "
				 "list", path);
			json_decref(doc);
			free(data);
			return -1;
		}
		json_decref(doc);
	}
	free(data);
	return 0;
}
