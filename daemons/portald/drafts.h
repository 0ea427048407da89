/*
 * drafts.h — 一時保存: a form saved part-filled, to be finished later.
 *
 * With an account, drafts live on the server, one per procedure per account, and
 * the account lists, loads, replaces and deletes them. Without one, the citizen
 * gives an address and gets a resume link by email: the draft is stored keyed by
 * the SHA-256 of the link's single-use token; opening the link returns the draft and
 * deletes it (the token is spent; saving again mails a new link). A draft is
 * deleted when an application is submitted naming it (draft_id), when its account's
 * application to that procedure is submitted, and when it expires (drafts_purge, run
 * by the janitor). Answers are kept as the browser gave them, bounded in size and
 * depth; they are validated only when submitted.
 */
#ifndef SEKISHO_PORTAL_DRAFTS_H
#define SEKISHO_PORTAL_DRAFTS_H

#include <stdint.h>
#include <time.h>

#include "db.h"
#include "http.h"
#include "portal.h"

#define DRAFT_ANSWERS_MAX     (256 * 1024)	/* bytes of canonical JSON */
#define DRAFT_DEPTH_MAX       12		/* groups of file records, and some room */
#define DRAFTS_PER_ACCOUNT    50
#define DRAFT_ID_LEN          32		/* hex: tokens.h portal_random_id */

/* GET /api/v1/{tenant}/drafts */
void drafts_handle_list(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/drafts/{id}  ({id}: the procedure's id) */
void drafts_handle_get(struct http_request *req, void *app);
/* PUT /api/v1/{tenant}/drafts/{id} {version, answers} */
void drafts_handle_put(struct http_request *req, void *app);
/* DELETE /api/v1/{tenant}/drafts/{id} */
void drafts_handle_delete(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/drafts/resume-link {procedure, version, answers, email, draft_id?} */
void drafts_handle_resume_link(struct http_request *req, void *app);
/* POST /api/v1/{tenant}/drafts/resume {token} */
void drafts_handle_resume(struct http_request *req, void *app);

/* Inside a submission's transaction: delete the draft draft_id (NULL: none) if it is
 * account_id's or has no account, and account_id's draft of procedure (account_id 0:
 * none). 0 or -1. */
int drafts_delete_submitted(struct db *db, const char *draft_id, int64_t account_id,
			    const char *procedure);

/* Delete expired drafts. Number deleted, or -1. Tenant lock held. */
int drafts_purge(struct db *db, time_t now);

#endif
