/*
 * staff_notify.h — email to staff when an application arrives (職員への新着通知).
 *
 * A procedure may name addresses (its department's shared mailbox, say) to be told
 * of each new application. Like routing, the list is office business kept in
 * officed's procedures row, never published: staff addresses have no place on the
 * internet side. The email says which procedure and which 到達番号, and where in the
 * staff screens to find it — never what the applicant wrote: personal data stays in
 * the application, behind sign-in and the audit log.
 */
#ifndef SEKISHO_OFFICE_STAFF_NOTIFY_H
#define SEKISHO_OFFICE_STAFF_NOTIFY_H

#include <jansson.h>
#include <stddef.h>

#include "db.h"

#define STAFF_NOTIFY_MAX 20	/* addresses per procedure */

/* Check addresses (a list of strings; NULL or [] is none). 0 with *out, the list as
 * stored (new reference); 1 with a message for staff in why. */
int staff_notify_check(const json_t *addresses, json_t **out, char *why, size_t whylen);

struct staff_arrival {
	const char *tenant;
	const char *receipt_no;
	const char *title;		/* the procedure's */
	const char *department;		/* where routing sent it, or NULL */
	const char *staff_base_url;	/* "https://lgwan.example.lg.jp", or "" for no link */
};

/* Enqueue one email per address (stored JSON text, NULL for none) in db's outbox,
 * inside the caller's transaction. 0, or -1 on a database error. */
int staff_notify_arrival(struct db *db, const char *addresses, const struct staff_arrival *a);

#endif
