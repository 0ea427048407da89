/*
 * replies.h — the applicant's replies (補正・問合せへの回答) on the internet side.
 *
 * An application may be answered while the office waits for the applicant: while it
 * is in 補正 (until the applicant has replied to that request), or after a message
 * that invites a reply (until replied to), never once it is final. A reply is its
 * text and clean uploads (sanitized like any upload, with the procedure's accept
 * rules); it is committed through the tenant's group committer with its
 * Idempotency-Key and its event in the history before the applicant gets 201, and
 * the forwarder then has the sanitizer sign it into an uplink bundle of kind "reply"
 * (reply.h) once the application itself is on its way.
 */
#ifndef SEKISHO_PORTAL_REPLIES_H
#define SEKISHO_PORTAL_REPLIES_H

#include <time.h>

#include "db.h"
#include "http.h"
#include "portal.h"

#define REPLIES_FORWARD_BATCH 32

/* 1 if application receipt, now in status, may be answered; 0 if not; -1 on a
 * database error. Tenant lock held. */
int replies_open(struct db *db, const char *receipt, const char *status);

/* POST /api/v1/{tenant}/applications/{receipt_no}/replies with Idempotency-Key:
 * {"text", "uploads": [upload ids], "status_password"} (or the account session). */
void replies_handle_post(struct http_request *req, void *app);

/* Hand the tenant's pending replies whose application is forwarded to the sanitizer;
 * returns how many were forwarded. For the forwarder thread. */
int replies_forward_tenant(struct portald *p, struct portal_tenant *pt, time_t now);

#endif
