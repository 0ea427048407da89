/*
 * office_apikey.c — data-linking API keys (see office_apikey.h).
 *
 * Only SHA-256(key) is stored, not an Argon2 hash as for staff passwords: a
 * password is guessable, so its hash must make each guess expensive; a key is 256
 * random bits, so no guessing of its hash can succeed however cheap each guess is,
 * and a plain hash lets a request find its key by an index in one look-up instead
 * of an Argon2 run (tens of milliseconds and 64 MiB) on every call of a system
 * that may call thousands of times a day. A stolen database therefore yields no
 * usable key, and a key shown once is never shown again.
 */
#include "office_apikey.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "office_db.h"

static void
base64url(const uint8_t *in, size_t len, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
}

static void
key_hash(const char *key, char hex[CRYPTO_SHA256_LEN * 2 + 1])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(key, strlen(key), h);
	crypto_hex(h, sizeof h, hex);
}

static int
key_wellformed(const char *key)
{
	size_t n;

	for (n = 0; key[n]; n++)
		if (n >= OFFICE_APIKEY_CHARS ||
		    !((key[n] >= 'A' && key[n] <= 'Z') || (key[n] >= 'a' && key[n] <= 'z') ||
		      (key[n] >= '0' && key[n] <= '9') || key[n] == '-' || key[n] == '_'))
			return 0;
	return n == OFFICE_APIKEY_CHARS;
}

int
office_apikey_name_valid(const char *name)
{
	return office_login_valid(name) && strlen(name) <= OFFICE_APIKEY_NAME_MAX;
}

int
office_apikey_create(struct db *db, const char *name, const char *scope,
		     const char *department, const char *created_by,
		     char key[OFFICE_APIKEY_CHARS + 1], char *err, size_t errlen)
{
	uint8_t raw[OFFICE_APIKEY_BYTES];
	char hex[CRYPTO_SHA256_LEN * 2 + 1];
	int64_t dept = 0;
	sqlite3_stmt *st;
	int rc;

	key[0] = '\0';
	if (!office_apikey_name_valid(name)) {
		snprintf(err, errlen, "キーの名前は英数字と . _ - の %d 文字以内で指定してください",
			 OFFICE_APIKEY_NAME_MAX);
		return -1;
	}
	if (scope == NULL || (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0)) {
		snprintf(err, errlen, "スコープは read か write で指定してください");
		return -1;
	}
	if (department != NULL) {
		if ((st = db_stmt(db, "SELECT id FROM departments WHERE name = ?1")) == NULL)
			goto dberr;
		sqlite3_bind_text(st, 1, department, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			dept = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (dept == 0) {
			snprintf(err, errlen, "部署「%s」はありません", department);
			return -1;
		}
	}
	if (crypto_random(raw, sizeof raw) != 0) {
		snprintf(err, errlen, "乱数を得られません");
		return -1;
	}
	base64url(raw, sizeof raw, key);
	explicit_bzero(raw, sizeof raw);
	key_hash(key, hex);
	st = db_stmt(db, "INSERT INTO api_keys (name, key_sha256, scope, department_id, created_at,"
			 " created_by) VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
			 " ?5)");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	if (dept > 0)
		sqlite3_bind_int64(st, 4, dept);
	sqlite3_bind_text(st, 5, created_by, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (db_is_constraint(rc)) {
		/* A revoked key keeps its name: the audit log's entries name it. */
		snprintf(err, errlen, "キー「%s」は既にあります（失効したキーの名前も使えません）", name);
		explicit_bzero(key, OFFICE_APIKEY_CHARS + 1);
		return -1;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	return 0;
dberr:
	snprintf(err, errlen, "データベース: %s", db_errmsg(db));
	explicit_bzero(key, OFFICE_APIKEY_CHARS + 1);
	return -1;
}

int
office_apikey_lookup(struct db *db, const char *key, struct office_apikey *k)
{
	char hex[CRYPTO_SHA256_LEN * 2 + 1];
	sqlite3_stmt *st;
	int rc;

	memset(k, 0, sizeof *k);
	if (key == NULL || !key_wellformed(key))
		return 0;
	key_hash(key, hex);
	st = db_stmt(db, "SELECT id, name, scope, department_id FROM api_keys"
			 " WHERE key_sha256 = ?1 AND revoked_at IS NULL");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->id = sqlite3_column_int64(st, 0);
		snprintf(k->name, sizeof k->name, "%s", sqlite3_column_text(st, 1));
		k->write = strcmp((const char *)sqlite3_column_text(st, 2), "write") == 0;
		k->department_id = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

const char *
office_apikey_from_header(const char *authorization)
{
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	return *authorization ? authorization : NULL;
}

int
office_apikey_revoke(struct db *db, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE api_keys SET revoked_at ="
				       " strftime('%Y-%m-%dT%H:%M:%SZ','now')"
				       " WHERE name = ?1 AND revoked_at IS NULL");
	int rc;

	if (st == NULL) {
		snprintf(err, errlen, "データベース: %s", db_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "データベース: %s", db_errmsg(db));
		return -1;
	}
	return sqlite3_changes(db_handle(db)) == 1 ? 0 : 1;
}

json_t *
office_apikey_list(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT k.name, k.scope, d.name, k.created_at, k.created_by,"
				       " k.revoked_at, k.last_used_at FROM api_keys k"
				       " LEFT JOIN departments d ON d.id = k.department_id"
				       " ORDER BY k.id DESC");
	json_t *out;
	int rc;

	if (st == NULL)
		return NULL;
	out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s?,s:s?}",
			"name", (const char *)sqlite3_column_text(st, 0),
			"scope", (const char *)sqlite3_column_text(st, 1),
			"department", (const char *)sqlite3_column_text(st, 2),
			"created_at", (const char *)sqlite3_column_text(st, 3),
			"created_by", (const char *)sqlite3_column_text(st, 4),
			"revoked_at", (const char *)sqlite3_column_text(st, 5),
			"last_used_at", (const char *)sqlite3_column_text(st, 6)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}
