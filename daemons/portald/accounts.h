/*
 * accounts.h — citizen accounts of the internet zone: registration with a verified
 * address, login, logout, password reset, change of address or password, deletion,
 * the profile forms are pre-filled from, and the session gate other handlers use.
 *
 * Sessions, CSRF and lockout are lib/session and lib/throttle, shared with the
 * office. What this module keeps true:
 *  - No account enumeration: registration and reset answer the same words whether or
 *    not the address has an account, and cost the same (registration always hashes
 *    the password and writes a mail; reset always writes a throttle row); a login
 *    always runs one Argon2 verification (a dummy hash for unknown addresses) and
 *    counts failures per address typed, so unknown addresses lock like known ones.
 *  - Mailed tokens are single-use, expire, and are stored hashed (tokens.h).
 *  - No Argon2 runs with the tenant's lock held.
 *  - Every state change made with a session carries X-CSRF-Token (403 otherwise).
 *  - Deleting an account deletes its sessions, tokens and drafts; its submitted
 *    applications stay (they are the municipality's records) with account_id
 *    cleared, so they no longer show in any account; their applicant key
 *    "account:<id>" stays, and ids are never reused.
 *
 * Rate limits per client address (in memory, lib/throttle): login; the requests that
 * send mail (registration, reset, resume links); and submissions, generous by
 * default (50/s, burst 200) so that the portal benchmark from 127.0.0.1 is not
 * refused: every address is limited alike, none is exempt.
 */
#ifndef SEKISHO_PORTAL_ACCOUNTS_H
#define SEKISHO_PORTAL_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "mail.h"
#include "portal.h"
#include "session.h"

#define ACCOUNT_PASSWORD_MIN   10	/* characters (bytes of UTF-8 counted as typed) */
#define ACCOUNT_PROFILE_MAX    4096	/* bytes of the stored profile JSON */
#define ACCOUNT_RATE_KEYS      4096	/* client addresses each limiter remembers */
#define ACCOUNT_MSG_RATE       "短い時間に多くの要求がありました。しばらく待ってからお試しください。"

/* Who is asking: filled by accounts_session. */
struct portal_actor {
	struct portal_tenant *pt;
	struct session_config sc;
	char cookie_name[SESSION_NAME_MAX + 1];
	char token[SESSION_TOKEN_HEX + 1];
	char csrf[SESSION_TOKEN_HEX + 1];
	int64_t account_id;		/* 0: no session */
	char email[MAIL_ADDR_MAX + 1];
	const char *remote;
};

/* The session of req on tenant pt. With required, no session is a 401 reply. A
 * session on a state-changing method without its X-CSRF-Token is a 403 reply. 1: a
 * session (a filled), 0: none (not required), -1: replied. Takes the tenant lock
 * itself. */
int accounts_session(struct portald *p, struct portal_tenant *pt, struct http_request *req,
		     bool required, struct portal_actor *a);

/* Take a token of rl for the client; false after a 429 reply (Japanese message). */
bool accounts_rate_take(struct ratelimit *rl, struct http_request *req);

/* The profile of account id (a new object; {} when none). Tenant lock held. */
json_t *accounts_profile(struct db *db, int64_t id);

/* POST /api/v1/{tenant}/account/register {email, password} */
void accounts_handle_register(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/verify {token} */
void accounts_handle_verify(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/login {email, password} */
void accounts_handle_login(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/logout */
void accounts_handle_logout(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/account */
void accounts_handle_me(struct http_request *req, void *app);
/* PUT /api/v1/{tenant}/account/profile {profile} */
void accounts_handle_profile(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/password {current_password, new_password} */
void accounts_handle_password(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/email {password, new_email} */
void accounts_handle_email(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/delete {password, confirm: true} */
void accounts_handle_delete(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/password-reset {email} */
void accounts_handle_reset_request(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/account/password-reset/confirm {token, new_password} */
void accounts_handle_reset_confirm(struct http_request *req, void *app);

/* Delete what has timed out in every tenant: sessions, lockout rows, mailed tokens,
 * drafts. Run periodically (accounts_janitor_start). */
void accounts_purge(struct portald *p, time_t now);

struct janitor;

/* A thread that calls accounts_purge every interval_s seconds. */
int accounts_janitor_start(struct janitor **out, struct portald *p, unsigned interval_s,
			   char *err, size_t errlen);
void accounts_janitor_stop(struct janitor *j);

#endif
