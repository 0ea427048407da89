/*
 * status_out.h — status events of applications down the downlink, in batches.
 *
 * A status change writes its event into the tenant's status_outbox table in the
 * same transaction as the change itself (status_out_enqueue), so a change is never
 * committed without its event nor the other way round. Every few seconds
 * status_out_flush gathers the waiting events of a tenant into one office-signed
 * bundle of kind "status" (data/status.json, docs/catalogue-format.md) in the
 * downlink-out spool. The bundle id is fixed before the bundle is written
 * ("status-TENANT-FIRSTROW"), so a crash between writing and recording it writes
 * the same bundle again, which the internet zone applies once (by bundle id).
 */
#ifndef SEKISHO_OFFICE_STATUS_OUT_H
#define SEKISHO_OFFICE_STATUS_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "spool.h"
#include "tenant.h"

#define STATUS_OUT_MAX_EVENTS   1000	/* per bundle: what the internet zone accepts */
#define STATUS_OUT_MAX_BUNDLES  16	/* per tenant per flush; the rest wait their turn */

/* Record the event (status code, at, message for the applicant or NULL) of the
 * application receipt_no, inside the caller's transaction. 0 or -1 (db_errmsg). */
int status_out_enqueue(struct db *db, const char *receipt_no, const char *status, time_t at,
		       const char *message);

/* Record a message to the applicant without a status change (問合せ): status is the
 * application's current one; reply_invited says the applicant may answer it (a
 * correction request always may). Inside the caller's transaction. 0 or -1. */
int status_out_enqueue_message(struct db *db, const char *receipt_no, const char *status,
			       time_t at, const char *message, int reply_invited);

/* Write the waiting events of t (whose lock the caller does NOT hold) as status
 * bundles signed with office_key into out. Returns the number of bundles written,
 * or -1 with err. */
int status_out_flush(struct tenant *t, struct spool *out, const uint8_t office_key[32],
		     time_t now, char *err, size_t errlen);

#endif
