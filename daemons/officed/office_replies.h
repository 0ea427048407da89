/*
 * office_replies.h — the applicant's side of the correspondence on LGWAN: replies
 * (補正・問合せへの回答) imported from the uplink, and the messages staff sent, as the
 * detail view shows them.
 *
 * A reply bundle is verified like an application's (importer.h) and stored whole;
 * recording it is one transaction: the reply row (idempotent by bundle id), and, if
 * the application waits in 補正, its return to where work resumes
 * (workflow_resume) with its history row, its downlink status event and an audit
 * entry — so a reply is never recorded without its effect nor the other way round.
 */
#ifndef SEKISHO_OFFICE_REPLIES_H
#define SEKISHO_OFFICE_REPLIES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bundle.h"
#include "db.h"

enum {
	OFFICE_REPLY_NEW = 1,		/* recorded */
	OFFICE_REPLY_DUPLICATE = 0,	/* this bundle id was recorded before */
	OFFICE_REPLY_DBERR = -1,
	OFFICE_REPLY_MALFORMED = -2,	/* not a reply (quarantine it) */
	OFFICE_REPLY_NO_APP = -3,	/* its application is not (yet) here */
};

#define OFFICE_REPLY_ACTOR "applicant"	/* actor of the history row a reply makes */

/* Record the verified reply bundle info, stored at path (SHA-256 sha_hex), at now.
 * Lock held, no transaction open. A code above, with the reason in err. */
int office_replies_record(struct db *db, const struct bundle_info *info, const char *path,
			  const char *sha_hex, time_t now, char *err, size_t errlen);

/* The staff's messages and corrections of application app_id, oldest first:
 * [{"kind": "message"|"correction", "at" (JST), "author", "body", "reply_invited"}]. */
json_t *office_replies_messages_json(struct db *db, int64_t app_id);

/* Its replies, oldest first: [{"reply_no", "at", "submitted_at", "body",
 * "from_status", "to_status", "files": [{"n", "display_name", "type"}]}]. */
json_t *office_replies_json(struct db *db, int64_t app_id);

/* Record a message to the applicant (kind "message" or "correction") in the caller's
 * transaction. 0 or -1. */
int office_replies_add_message(struct db *db, int64_t app_id, const char *at,
			       const char *author, const char *kind, const char *body,
			       int reply_invited);

#endif
