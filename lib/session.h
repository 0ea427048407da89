/*
 * session.h — server-side login sessions for both zones (staff in LGWAN, citizen
 * accounts in the internet zone).
 *
 * A session is a random 256-bit token that lives in the browser's cookie only; the
 * database keeps its SHA-256, so a copy of the database (a backup, an auditor's
 * extract) does not let anyone act as a logged-in person. A session ends at the
 * first of: logout, idle timeout, absolute timeout. Logging in always makes a new
 * token and deletes the old one, so a token planted before login (fixation) is
 * worth nothing after it.
 *
 * CSRF: every state-changing request must carry X-CSRF-Token. The token is
 * HMAC-SHA256 keyed by the session token over a fixed label: the server can
 * recompute it from the cookie without storing anything, a page script that was
 * told it can send it, and a cross-site page can neither read the HttpOnly cookie
 * nor derive the token from anything it can see. Compared in constant time.
 *
 * The table lives in the caller's database: each daemon's migrations include
 * SESSION_SQL. Subjects are the caller's account ids; this module does not know
 * what an account is.
 */
#ifndef SEKISHO_SESSION_H
#define SEKISHO_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"

#define SESSION_TOKEN_BYTES   32			/* 256 bits */
#define SESSION_TOKEN_HEX     (2 * SESSION_TOKEN_BYTES)	/* cookie value: lower-case hex */
#define SESSION_COOKIE_MAX    4096	/* a Cookie header longer than this is refused */
#define SESSION_COOKIE_PAIRS  64	/* and so is one with more pairs */
#define SESSION_NAME_MAX      64
#define SESSION_SET_COOKIE_MAX 256	/* room for a Set-Cookie value */
#define SESSION_CSRF_HEADER   "X-CSRF-Token"

/* The table each daemon's migrations create (one statement list, STRICT). Times are
 * Unix seconds. */
#define SESSION_SQL \
	"CREATE TABLE sessions (" \
	"  token_hash TEXT PRIMARY KEY," \
	"  subject    INTEGER NOT NULL," \
	"  created_at INTEGER NOT NULL," \
	"  last_seen  INTEGER NOT NULL," \
	"  remote     TEXT NOT NULL" \
	") STRICT;" \
	"CREATE INDEX sessions_subject ON sessions(subject);"

struct session_config {
	unsigned idle_s;	/* no request for this long ends the session */
	unsigned absolute_s;	/* a session never lives longer than this */
	bool secure;		/* HTTPS: Secure attribute and the __Host- prefix */
	const char *name;	/* cookie base name, [A-Za-z0-9_-], e.g. "sekisho-staff-demo" */
};

/* Staff defaults: idle 30 minutes, absolute 12 hours. */
#define SESSION_STAFF_IDLE_S     (30 * 60)
#define SESSION_STAFF_ABSOLUTE_S (12 * 3600)

struct session {
	int64_t subject;
	char token[SESSION_TOKEN_HEX + 1];	/* only filled by session_create */
	char csrf[SESSION_TOKEN_HEX + 1];
	time_t created_at, last_seen;
};

enum {
	SESSION_OK = 0,
	SESSION_NONE = 1,	/* no such session (never was, logged out, or malformed) */
	SESSION_EXPIRED = 2,	/* was, and timed out: now deleted */
};

/* Start a session for subject at now (remote: client address, for the record). When
 * old_token is a session token, that session is deleted in the same step (rotation
 * on login). Fills out, including the token for the cookie and the CSRF token.
 * 0, or -1 with err. Run it inside the caller's transaction or on its own. */
int session_create(struct db *db, int64_t subject, const char *remote,
		   const char *old_token, time_t now, struct session *out,
		   char *err, size_t errlen);

/* Find the session of token at now and mark it used. SESSION_OK (out filled, without
 * out->token), SESSION_NONE, SESSION_EXPIRED (deleted), or -1 with err. */
int session_lookup(struct db *db, const struct session_config *c, const char *token,
		   time_t now, struct session *out, char *err, size_t errlen);

/* End one session (logout). 0 (also when it did not exist) or -1. */
int session_delete(struct db *db, const char *token);

/* End every session of subject except keep_token's (NULL: all), e.g. after a password
 * change or when an account is disabled. Number ended, or -1. */
int session_delete_subject(struct db *db, int64_t subject, const char *keep_token);

/* Delete every timed-out session. Number deleted, or -1. */
int session_purge(struct db *db, const struct session_config *c, time_t now);

/* The CSRF token of a session token (hex, SESSION_TOKEN_HEX + 1 bytes). */
void session_csrf_token(const char *token, char out[SESSION_TOKEN_HEX + 1]);

/* 1 if header (the X-CSRF-Token value, may be NULL) is token's CSRF token. */
int session_csrf_check(const char *token, const char *header);

/* The cookie name: "__Host-" + c->name when secure, else c->name. 0 or -1. */
int session_cookie_name(const struct session_config *c, char *out, size_t outlen);

/* The session token from a Cookie header (may be NULL) into out (SESSION_TOKEN_HEX
 * + 1 bytes). Strict: bounded length and pair count, name=value pairs separated by
 * "; ", and the value must be exactly a token's form. 0, or SESSION_NONE. */
int session_cookie_parse(const struct session_config *c, const char *header,
			 char out[SESSION_TOKEN_HEX + 1]);

/* The Set-Cookie value that gives token to the browser (HttpOnly, SameSite=Strict,
 * Path=/, Max-Age the absolute timeout; Secure when c->secure), or, with token NULL,
 * the one that clears it. 0 or -1. */
int session_set_cookie(const struct session_config *c, const char *token,
		       char *out, size_t outlen);

#endif
