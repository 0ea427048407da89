/*
 * notify.h — email to applicants about their application, and the thread that sends it.
 *
 * An email is enqueued in the same transaction as the event it tells of (the
 * submission's commit, a status bundle's application), so an accepted submission
 * always gets its 到達確認 and a rolled-back one never does. Which events send email,
 * and to which answer's address, is the procedure's choice (its "notify" member).
 * Sending is the mailer thread's: it has its own database connection per tenant, so
 * a slow mail relay never holds the connection submissions commit on.
 */
#ifndef SEKISHO_PORTAL_NOTIFY_H
#define SEKISHO_PORTAL_NOTIFY_H

#include <jansson.h>
#include <time.h>

#include "db.h"
#include "mail_outbox.h"
#include "portal.h"

#define NOTIFY_INTERVAL_MS 2000
#define NOTIFY_PRUNE_AFTER (90 * 24 * 3600)	/* sent/failed rows kept for audit */

struct notify_event {
	const char *tenant;
	const char *receipt_no;
	const char *status;		/* "arrived", "accepted", ...; "message" for a
					   message without a status change */
	const char *message;		/* staff's message, or NULL */
	time_t at;
};

/* Enqueue the email for ev if the procedure def sends one for it and the answers
 * hold a valid address in its notify.email_field. Inside the caller's transaction.
 * 0 (enqueued or nothing to send), or -1 on a database error. */
int notify_enqueue(struct db *db, const struct portald *p, const json_t *def,
		   const json_t *answers, const struct notify_event *ev);

/* notify_enqueue for the application ev names, with its stored answers and the
 * definition version they were made with. 0 (enqueued or nothing to send), or -1. */
int notify_enqueue_event(struct db *db, const struct portald *p, const struct notify_event *ev);

struct mailer;

/* Start the sender thread (idles when no smtp url is configured). */
int mailer_start(struct mailer **out, struct portald *p, const struct mail_smtp_config *smtp,
		 char *err, size_t errlen);
void mailer_stop(struct mailer *m);

#endif
