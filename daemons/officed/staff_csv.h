/*
 * staff_csv.h — bulk import and export of staff accounts and departments as CSV.
 *
 * A city moving to Sekisho brings ~12,000 accounts. Import is all or nothing: every
 * row is checked first, and if any is wrong nothing is written and every problem is
 * reported with its row, column and reason in Japanese. Then one transaction,
 * prepared statements only.
 *
 * Passwords: none. Hashing 12,000 passwords with Argon2id (~50 ms each) would take
 * ten minutes and the passwords would then have to be distributed anyway. An
 * imported account instead gets a one-time setup code (16 characters, ~92 bits,
 * stored as SHA-256 — fast, and enough for a random code), valid for a limited
 * time; its owner sets their own password with it (POST .../staff/setup), which is
 * the one Argon2 hash that account ever needs. The codes are returned once to the
 * importing administrator (API) or written to a mode-0600 file (sekishoctl).
 *
 * Columns, by header name in any order (English or Japanese): login (ログインID),
 * display_name (氏名), role (権限), departments (所属, semicolon-separated; unknown
 * departments are created), email (メールアドレス). Only new logins are accepted.
 */
#ifndef SEKISHO_OFFICE_STAFF_CSV_H
#define SEKISHO_OFFICE_STAFF_CSV_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "csvio.h"
#include "db.h"

#define STAFF_CSV_MAX_ROWS    100000
#define STAFF_CSV_MAX_ERRORS  200	/* reported; all are counted */
#define STAFF_CSV_MAX_DEPTS   32	/* departments of one person */
#define STAFF_SETUP_CODE_LEN  16

struct staff_csv_result {
	size_t rows;			/* data rows read */
	size_t created;
	size_t departments_created;
	enum csvio_encoding encoding;
	size_t nerrors;
	json_t *errors;			/* [{row, column, reason}] (first STAFF_CSV_MAX_ERRORS) */
	json_t *accounts;		/* [{login, display_name, setup_code, setup_expires_at}] */
};

/* Import len bytes of CSV at now; setup codes expire setup_ttl_s later. actor and
 * remote go to the audit log (one entry per account and one for the import).
 * 0 imported, 1 refused (res->errors says why; nothing written), -1 on an internal
 * error (err). Free res with staff_csv_result_free in every case. */
int staff_csv_import(struct db *db, const char *buf, size_t len, time_t now,
		     unsigned setup_ttl_s, const char *actor, const char *remote,
		     struct staff_csv_result *res, char *err, size_t errlen);

void staff_csv_result_free(struct staff_csv_result *res);

/* Write every account as CSV (UTF-8 with BOM, CRLF, the import's columns plus
 * last_login_at and status) to out. Number of accounts, or -1 with err. */
long staff_csv_export(struct db *db, FILE *out, char *err, size_t errlen);

/* A new setup code into code (STAFF_SETUP_CODE_LEN + 1) and its SHA-256 hex into
 * hash (65). 0 or -1. */
int staff_setup_code(char *code, char hash[65]);

#endif
