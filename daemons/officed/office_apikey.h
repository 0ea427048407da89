/*
 * office_apikey.h — the keys linked systems (基幹系・文書管理など) call the
 * data-linking API with: one per system, made by the operator with `sekishoctl
 * apikey create`, shown once, kept only as a SHA-256.
 *
 * A key is 32 random bytes in base64url (43 characters). Its scope is "read" (the
 * four GET endpoints of docs/api/office.yaml) or "write" (also what a linked
 * system records back); a key may be limited to one department's applications.
 * Its name is who the audit log says acted.
 */
#ifndef SEKISHO_OFFICE_APIKEY_H
#define SEKISHO_OFFICE_APIKEY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define OFFICE_APIKEY_BYTES    32
#define OFFICE_APIKEY_CHARS    43	/* base64url of 32 bytes, no padding */
#define OFFICE_APIKEY_NAME_MAX 56	/* [A-Za-z0-9._-]; "apikey:NAME" fits a login */


struct office_apikey {
	int64_t id;
	char name[OFFICE_APIKEY_NAME_MAX + 1];
	bool write;			/* scope "write" */
	int64_t department_id;		/* 0: every department */
};

/* 1 if name is a valid key name. */
int office_apikey_name_valid(const char *name);

/* Make a key named name with scope "read" or "write", limited to the department
 * named department (NULL: all), recorded as made by created_by. The key itself
 * goes to key (shown once; not stored). 0, or -1 with a Japanese reason in err. */
int office_apikey_create(struct db *db, const char *name, const char *scope,
			 const char *department, const char *created_by,
			 char key[OFFICE_APIKEY_CHARS + 1], char *err, size_t errlen);

/* The active key whose text is key: 1 and k filled; 0 if malformed, unknown or
 * revoked (the caller does not tell these apart); -1 on a database error. */
int office_apikey_lookup(struct db *db, const char *key, struct office_apikey *k);

/* The key from an "Authorization: Bearer KEY" header value, or NULL. */
const char *office_apikey_from_header(const char *authorization);

/* Revoke the active key named name: 0, 1 if there is none, -1 (err). */
int office_apikey_revoke(struct db *db, const char *name, char *err, size_t errlen);

/* Every key, newest first: [{name, scope, department, created_at, created_by,
 * revoked_at, last_used_at}]. NULL on a database error. */
json_t *office_apikey_list(struct db *db);

#endif
