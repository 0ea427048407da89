/*
 * audit_log.h — the tenant's audit log (監査ログ): who did what to which record,
 * when, from where; hash-chained so that a changed or deleted entry is detected.
 *
 * Row n stores hash_n = SHA-256(hash_{n-1} ‖ canonical JSON of row n's fields), with
 * hash_0 = 32 zero bytes, and seq numbers 1, 2, 3... without gaps. Changing a row
 * breaks its own hash; deleting one leaves a gap in seq and a prev_hash that names
 * a row that is not there; rewriting every later row needs nothing less than
 * recomputing the chain, which the head hash an auditor noted down (printed by
 * verify) exposes. Truncating the tail is detected only against such a noted head.
 */
#ifndef SEKISHO_OFFICE_AUDIT_LOG_H
#define SEKISHO_OFFICE_AUDIT_LOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"

#define AUDIT_FIELD_MAX   256	/* actor, action, target, remote: longer is cut */
#define AUDIT_DETAIL_MAX  (16 * 1024)
#define AUDIT_HASH_HEX    64
#define AUDIT_MAX_PROBLEMS 100	/* a verify report lists at most this many */

/* Append one entry at now. detail (borrowed, may be NULL) is stored as canonical
 * JSON. Runs in the caller's transaction if one is open, else in its own. 0, or -1
 * with err. */
int audit_log_append(struct db *db, const char *actor, const char *action,
		     const char *target, const char *remote, const json_t *detail,
		     time_t now, char *err, size_t errlen);

struct audit_problem {
	int64_t seq;		/* the row at fault (or where one is missing) */
	char what[200];		/* Japanese: what is wrong */
};

struct audit_verify_report {
	int64_t rows;
	int64_t head_seq;			/* the last row */
	char head_hash[AUDIT_HASH_HEX + 1];
	size_t nproblems;			/* all found; the first AUDIT_MAX_PROBLEMS kept */
	struct audit_problem problems[AUDIT_MAX_PROBLEMS];
};

/* Walk the whole chain. When anchor_seq > 0, row anchor_seq must exist with
 * anchor_hash (a head noted earlier), which catches a truncated tail. 0 if intact,
 * 1 if not (report says where), -1 if it could not be read (err). */
int audit_log_verify(struct db *db, int64_t anchor_seq, const char *anchor_hash,
		     struct audit_verify_report *r, char *err, size_t errlen);

#endif
