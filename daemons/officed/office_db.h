/*
 * office_db.h — the LGWAN zone's per-tenant database schema (officed).
 *
 * Staff, procedures, applications and their attachments, the audit log. The office
 * issue grows it; each change is a new migration appended in office_db.c, never an
 * edit of a published one.
 */
#ifndef SEKISHO_OFFICE_DB_H
#define SEKISHO_OFFICE_DB_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"

extern const struct db_migration office_db_migrations[];
extern const size_t office_db_nmigrations;

/* Staff roles (権限). */
#define OFFICE_ROLE_ADMIN   "admin"	/* 管理者 */
#define OFFICE_ROLE_CLERK   "clerk"	/* 業務担当者 */
#define OFFICE_ROLE_AUDITOR "auditor"	/* 監査 (read-only) */

#define OFFICE_LOGIN_MAX      64	/* bytes: [A-Za-z0-9._-], starting with a letter or digit */
#define OFFICE_NAME_MAX       100	/* characters of a display name */
#define OFFICE_DEPT_NAME_MAX  64	/* characters of a department name */
#define OFFICE_EMAIL_MAX      254

/* 1 if login is a valid login ID. */
int office_login_valid(const char *login);

/* The role constant for a role as written: "admin"/"管理者", "clerk"/"業務担当者",
 * "auditor"/"監査"/"監査者"; NULL if none. */
const char *office_role_parse(const char *text);

/* The Japanese name of a role constant. */
const char *office_role_label(const char *role);

/* 1 if s is UTF-8 text of 1..max_chars characters without control characters
 * (and, when forbid is not NULL, without any of its ASCII characters). */
int office_text_valid(const char *s, size_t max_chars, const char *forbid);

/* Create a staff account with an Argon2id hash of password; must_change marks a
 * provisioning password the person has to replace at first login. 0, or -1 with the
 * reason in err (e.g. the login exists). */
int office_db_add_staff(struct db *db, const char *login, const char *display_name,
			const char *role, const char *password, int must_change,
			char *err, size_t errlen);

/* Replace a staff member's password (and set must_change). 0, 1 if no such login, -1. */
int office_db_set_password(struct db *db, const char *login, const char *password,
			   int must_change, char *err, size_t errlen);

/* The department obj names by "department_id" (an integer) or "department" (a name):
 * 1 with *id, 0 if it names none or one that does not exist, -1 on a database error. */
int office_db_department_of(struct db *db, const json_t *obj, int64_t *id);

#endif
