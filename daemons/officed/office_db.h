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

#include "db.h"

extern const struct db_migration office_db_migrations[];
extern const size_t office_db_nmigrations;

/* Staff roles (権限). */
#define OFFICE_ROLE_ADMIN   "admin"	/* 管理者 */
#define OFFICE_ROLE_CLERK   "clerk"	/* 業務担当者 */
#define OFFICE_ROLE_AUDITOR "auditor"	/* 監査 (read-only) */

/* Create a staff account with an Argon2id hash of password; must_change marks a
 * provisioning password the person has to replace at first login. 0, or -1 with the
 * reason in err (e.g. the login exists). */
int office_db_add_staff(struct db *db, const char *login, const char *display_name,
			const char *role, const char *password, int must_change,
			char *err, size_t errlen);

/* Replace a staff member's password (and set must_change). 0, 1 if no such login, -1. */
int office_db_set_password(struct db *db, const char *login, const char *password,
			   int must_change, char *err, size_t errlen);

#endif
