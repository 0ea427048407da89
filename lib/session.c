/*
 * session.c — server-side sessions (see session.h).
 *
 * What this file keeps true:
 *  - The token leaves this module only in session_create's output; what is stored,
 *    looked up and deleted is its SHA-256. A token of the wrong form is "no such
 *    session" before any query runs.
 *  - A session past its idle or absolute limit is deleted the moment it is seen,
 *    so "expired" is reported once and the token never works again.
 *  - Everything from the browser (Cookie header, CSRF header) is bounded and parsed
 *    by hand; no value is used unless it has exactly a token's form.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"

#define CSRF_LABEL "sekisho-csrf-v1"

/* SHA-256 of the token's bytes as hex. 0, or -1 if token is not 64 hex digits. */
static int
token_hash(const char *token, char out[2 * CRYPTO_SHA256_LEN + 1])
{
	uint8_t raw[SESSION_TOKEN_BYTES], h[CRYPTO_SHA256_LEN];
	size_t i;

	if (token == NULL || strnlen(token, SESSION_TOKEN_HEX + 1) != SESSION_TOKEN_HEX)
		return -1;
	/* Lower-case only: one token has one spelling, so one hash. */
	for (i = 0; i < SESSION_TOKEN_HEX; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return -1;
	if (crypto_unhex(token, raw, sizeof raw) != 0)
		return -1;
	crypto_sha256(raw, sizeof raw, h);
	crypto_hex(h, sizeof h, out);
	explicit_bzero(raw, sizeof raw);
	return 0;
}

static int
step_done(struct db *db, sqlite3_stmt *st, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if (err)
			snprintf(err, errlen, "session %s: %s", what, db_errmsg(db));
		return -1;
	}
	return 0;
}

int
session_create(struct db *db, int64_t subject, const char *remote, const char *old_token,
	       time_t now, struct session *out, char *err, size_t errlen)
{
	uint8_t raw[SESSION_TOKEN_BYTES];
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	sqlite3_stmt *st;

	memset(out, 0, sizeof *out);
	if (old_token != NULL && session_delete(db, old_token) != 0) {
		snprintf(err, errlen, "session rotate: %s", db_errmsg(db));
		return -1;
	}
	if (crypto_random(raw, sizeof raw) != CRYPTO_OK) {
		snprintf(err, errlen, "session create: no randomness");
		return -1;
	}
	crypto_hex(raw, sizeof raw, out->token);
	explicit_bzero(raw, sizeof raw);
	token_hash(out->token, hash);
	st = db_stmt(db, "INSERT INTO sessions (token_hash, subject, created_at, last_seen,"
			 " remote) VALUES (?1, ?2, ?3, ?3, ?4)");
	if (st == NULL) {
		snprintf(err, errlen, "session create: %s", db_errmsg(db));
		explicit_bzero(out, sizeof *out);
		return -1;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, subject);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_text(st, 4, remote ? remote : "unknown", -1, SQLITE_TRANSIENT);
	if (step_done(db, st, err, errlen, "create") != 0) {
		explicit_bzero(out, sizeof *out);
		return -1;
	}
	out->subject = subject;
	out->created_at = out->last_seen = now;
	session_csrf_token(out->token, out->csrf);
	return 0;
}

int
session_lookup(struct db *db, const struct session_config *c, const char *token,
	       time_t now, struct session *out, char *err, size_t errlen)
{
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if (token_hash(token, hash) != 0)
		return SESSION_NONE;
	st = db_stmt(db, "SELECT subject, created_at, last_seen FROM sessions"
			 " WHERE token_hash = ?1");
	if (st == NULL) {
		snprintf(err, errlen, "session lookup: %s", db_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return SESSION_NONE;
	}
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "session lookup: %s", db_errmsg(db));
		sqlite3_reset(st);
		return -1;
	}
	out->subject = sqlite3_column_int64(st, 0);
	out->created_at = (time_t)sqlite3_column_int64(st, 1);
	out->last_seen = (time_t)sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	/* A clock that went backwards counts as expired too: better one more login
	 * than a session whose age cannot be known. */
	if (now < out->last_seen || now - out->last_seen >= (time_t)c->idle_s ||
	    now - out->created_at >= (time_t)c->absolute_s) {
		st = db_stmt(db, "DELETE FROM sessions WHERE token_hash = ?1");
		if (st == NULL) {
			snprintf(err, errlen, "session expire: %s", db_errmsg(db));
			return -1;
		}
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
		if (step_done(db, st, err, errlen, "expire") != 0)
			return -1;
		memset(out, 0, sizeof *out);
		return SESSION_EXPIRED;
	}
	/* One write per second at most: idle time is counted in seconds anyway. */
	if (now != out->last_seen) {
		st = db_stmt(db, "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1");
		if (st == NULL) {
			snprintf(err, errlen, "session touch: %s", db_errmsg(db));
			return -1;
		}
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		if (step_done(db, st, err, errlen, "touch") != 0)
			return -1;
		out->last_seen = now;
	}
	session_csrf_token(token, out->csrf);
	return SESSION_OK;
}

int
session_delete(struct db *db, const char *token)
{
	char hash[2 * CRYPTO_SHA256_LEN + 1];
	sqlite3_stmt *st;

	if (token_hash(token, hash) != 0)
		return 0;	/* never a session */
	if ((st = db_stmt(db, "DELETE FROM sessions WHERE token_hash = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	return step_done(db, st, NULL, 0, "delete");
}

int
session_delete_subject(struct db *db, int64_t subject, const char *keep_token)
{
	char hash[2 * CRYPTO_SHA256_LEN + 1] = "";
	sqlite3_stmt *st;

	if (keep_token != NULL && token_hash(keep_token, hash) != 0)
		hash[0] = '\0';
	st = db_stmt(db, "DELETE FROM sessions WHERE subject = ?1 AND token_hash <> ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, subject);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	if (step_done(db, st, NULL, 0, "delete subject") != 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

int
session_purge(struct db *db, const struct session_config *c, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM sessions WHERE last_seen <= ?1"
				       " OR created_at <= ?2 OR last_seen > ?3");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - (time_t)c->idle_s));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(now - (time_t)c->absolute_s));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if (step_done(db, st, NULL, 0, "purge") != 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}

void
session_csrf_token(const char *token, char out[SESSION_TOKEN_HEX + 1])
{
	uint8_t mac[CRYPTO_SHA256_LEN];

	crypto_hmac_sha256(token, strnlen(token, SESSION_TOKEN_HEX), CSRF_LABEL,
			   sizeof CSRF_LABEL - 1, mac);
	crypto_hex(mac, sizeof mac, out);
}

int
session_csrf_check(const char *token, const char *header)
{
	char want[SESSION_TOKEN_HEX + 1];
	int ok;

	if (token == NULL || header == NULL ||
	    strnlen(header, SESSION_TOKEN_HEX + 1) != SESSION_TOKEN_HEX)
		return 0;
	session_csrf_token(token, want);
	ok = crypto_memeq(want, header, SESSION_TOKEN_HEX);
	explicit_bzero(want, sizeof want);
	return ok;
}

static int
name_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return 0;
	for (n = 0; name[n]; n++) {
		char ch = name[n];

		if (n >= SESSION_NAME_MAX ||
		    !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return n > 0;
}

int
session_cookie_name(const struct session_config *c, char *out, size_t outlen)
{
	int w;

	if (!name_valid(c->name))
		return -1;
	w = snprintf(out, outlen, "%s%s", c->secure ? "__Host-" : "", c->name);
	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}

int
session_cookie_parse(const struct session_config *c, const char *header,
		     char out[SESSION_TOKEN_HEX + 1])
{
	char name[SESSION_NAME_MAX + 8];
	size_t len, pairs = 0, nlen;
	const char *p, *end;
	int found = 0;

	out[0] = '\0';
	if (header == NULL || session_cookie_name(c, name, sizeof name) != 0)
		return SESSION_NONE;
	len = strnlen(header, SESSION_COOKIE_MAX + 1);
	if (len > SESSION_COOKIE_MAX)
		return SESSION_NONE;
	nlen = strlen(name);
	p = header;
	end = header + len;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *pe = semi ? semi : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));

		if (++pairs > SESSION_COOKIE_PAIRS)
			return SESSION_NONE;
		if (eq != NULL && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
			size_t vlen = (size_t)(pe - eq - 1);

			/* Two cookies of our name (one set by a sibling host without the
			 * prefix, say) is an attack or a mess: neither is trusted. */
			if (found || vlen != SESSION_TOKEN_HEX)
				return SESSION_NONE;
			memcpy(out, eq + 1, vlen);
			out[vlen] = '\0';
			found = 1;
		}
		if (semi == NULL)
			break;
		p = semi + 1;
		while (p < end && *p == ' ')
			p++;
	}
	if (!found)
		return SESSION_NONE;
	{
		char h[2 * CRYPTO_SHA256_LEN + 1];

		if (token_hash(out, h) != 0) {
			out[0] = '\0';
			return SESSION_NONE;
		}
	}
	return 0;
}

int
session_set_cookie(const struct session_config *c, const char *token, char *out,
		   size_t outlen)
{
	char name[SESSION_NAME_MAX + 8];
	int w;

	if (session_cookie_name(c, name, sizeof name) != 0)
		return -1;
	if (token != NULL && strnlen(token, SESSION_TOKEN_HEX + 1) != SESSION_TOKEN_HEX)
		return -1;
	w = snprintf(out, outlen, "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s",
		     name, token ? token : "", token ? c->absolute_s : 0u,
		     c->secure ? "; Secure" : "");
	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}
