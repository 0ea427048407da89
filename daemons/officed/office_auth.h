/*
 * office_auth.h — who is asking, and may they: staff sign-in and the one
 * authorisation gate every officed endpoint goes through.
 *
 * Every handler that touches tenant data starts with office_authz_begin, naming
 * what it needs; nothing else decides access for staff. (Linked systems use API
 * keys instead, on the data-linking API alone: office_api.h.) The gate checks, in order: the
 * tenant exists; the session cookie names a live session (idle and absolute
 * timeouts); for any method but GET/HEAD, the X-CSRF-Token header; the account is
 * enabled; a password change that is due (first login, or an administrator's
 * password older than six months) blocks everything but OFFICE_PENDING_OK
 * endpoints; and the role. Roles and departments are read from the database on
 * every request, so a change takes effect at once.
 *
 * Departments: a clerk (業務担当者) acts only on records of their departments;
 * administrators and auditors see all. Endpoints that read a department's records
 * call office_authz_department for one record, or add OFFICE_AUTHZ_DEPT_FILTER to
 * their query for lists.
 */
#ifndef SEKISHO_OFFICE_AUTH_H
#define SEKISHO_OFFICE_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "http.h"
#include "office.h"
#include "office_db.h"
#include "session.h"

enum office_need {
	OFFICE_ANY = 0,			/* any signed-in staff member */
	OFFICE_ADMIN = 1 << 0,		/* 管理者 only */
	OFFICE_READ_ALL = 1 << 1,	/* 管理者 or 監査者: every department, read */
	OFFICE_WRITE = 1 << 2,		/* 管理者 or 業務担当者: auditors are read-only */
	OFFICE_PENDING_OK = 1 << 3,	/* allowed while a password change is due */
};

struct office_actor {
	struct officed *o;
	struct tenant *t;		/* its lock is held between begin and end */
	struct session_config sc;
	char cookie_name[SESSION_NAME_MAX + 1];
	const char *remote;
	int64_t id;
	char login[OFFICE_LOGIN_MAX + 1];
	char display_name[OFFICE_NAME_MAX * 4 + 1];
	char role[16];
	char token[SESSION_TOKEN_HEX + 1];
	char csrf[SESSION_TOKEN_HEX + 1];
	bool change_required;
	const char *change_reason;	/* "initial", "expired" or NULL */
	bool locked;
};

/* SQL: true when the actor (?N = 1 for all departments, ?M = staff id) may see a
 * record of department column col. Bind office_authz_all_departments and a->id. */
#define OFFICE_AUTHZ_DEPT_FILTER(col, all, id) \
	"(" all " OR " col " IN (SELECT department_id FROM staff_departments" \
	" WHERE staff_id = " id "))"

/* The tenant's session settings for its staff cookie ("sekisho-staff-TENANT"). */
void office_session_config(struct officed *o, const char *tenant, struct session_config *sc,
			   char name[SESSION_NAME_MAX + 1]);

/* The gate (see above). On success returns 0 with a filled and the tenant's lock
 * held: call office_authz_end. Otherwise it has replied (401/403/404/500) and
 * returns -1 with no lock held. */
int office_authz_begin(struct officed *o, struct http_request *req, unsigned need,
		       struct office_actor *a);
void office_authz_end(struct office_actor *a);

/* Lock or unlock the actor's tenant again (e.g. around an Argon2 hash, which must
 * not hold up every other request of the tenant). */
void office_authz_relock(struct office_actor *a);
void office_authz_unlock(struct office_actor *a);

/* 1 if the actor may see all departments' records (administrator, auditor). */
int office_authz_all_departments(const struct office_actor *a);

/* 1 if the actor may act on a record of department_id, 0 if not, -1 on error.
 * Lock held. */
int office_authz_department(const struct office_actor *a, int64_t department_id);

/* Append to the tenant's audit log as the actor (lock held). 0 or -1 (logged). */
int office_audit(const struct office_actor *a, const char *action, const char *target,
		 const json_t *detail);

/* The sign-in endpoints: login, logout, me, password change, setup of an
 * imported account. */
void office_handle_login(struct http_request *req, void *app);
void office_handle_logout(struct http_request *req, void *app);
void office_handle_me(struct http_request *req, void *app);
void office_handle_password(struct http_request *req, void *app);
void office_handle_setup(struct http_request *req, void *app);

/* Why new_password is not acceptable for login (Japanese), or NULL if it is. */
const char *office_password_problem(const char *login, const char *new_password);

/* End a request on a database failure of what: logged with the database's reason,
 * an open transaction of this request rolled back, the actor released, and a 500
 * with a Japanese message. */
void office_fail_db(struct http_request *req, struct office_actor *a, const char *what);

/* End a request with a refusal: an open transaction of this request rolled back, the
 * actor released, then status, code and the (Japanese) message. */
void office_refuse(struct http_request *req, struct office_actor *a, unsigned status,
		   const char *code, const char *message);

/* The request's one uploaded file, read whole (at most max bytes) into a malloc'd
 * buffer with its length in *len. When there is not exactly one file, or it is too
 * large, or it cannot be read, the request is ended (400 with missing, 413 with
 * too_large, 500) and NULL returned. */
char *office_upload_read(struct http_request *req, struct office_actor *a, size_t max,
			 const char *missing, const char *too_large, size_t *len);

#endif
