/*
 * mail_sender.h — the thread that empties mail outboxes (mail_outbox.h).
 *
 * Each daemon that sends email (portald to applicants, officed to staff) keeps an
 * outbox per tenant database and one sender thread over all of them. The thread has
 * its own database connections, so a slow or dead mail relay never holds the
 * connection that requests commit on; it delivers every interval and prunes old
 * rows once a day.
 */
#ifndef SEKISHO_MAIL_SENDER_H
#define SEKISHO_MAIL_SENDER_H

#include <stddef.h>

#include "db.h"
#include "mail_outbox.h"

struct mail_sender;

/* Start delivering the outboxes of dbs (n connections, which the sender now owns and
 * closes at stop; names[i] says whose for the log) every interval_ms, pruning rows
 * finished more than prune_after_s ago. When smtp->url is NULL nothing is sent (a
 * warning says so) and the connections are closed at once. 0, or -1 with err. */
int mail_sender_start(struct mail_sender **out, const struct mail_smtp_config *smtp,
		      struct db **dbs, const char *const *names, size_t n,
		      unsigned interval_ms, long prune_after_s, char *err, size_t errlen);

/* Stop the thread and close the connections. NULL is ignored. */
void mail_sender_stop(struct mail_sender *s);

#endif
