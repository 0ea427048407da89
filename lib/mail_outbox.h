/*
 * mail_outbox.h — a durable outbox of email in the caller's SQLite database, sent over
 * SMTP (libcurl) with retries.
 *
 * A procedure enqueues its email in the same transaction as the change it announces,
 * so an accepted submission always gets its email and a rolled-back one never does.
 * Delivery runs apart: it claims due rows in a short transaction, releases the
 * database, talks SMTP, then records each outcome in its own short write. Email is
 * sent at least once: after a crash mid-send a message is sent again, with the same
 * Message-ID, so duplicates are recognisable.
 *
 * A 5xx reply to a message (e.g. unknown recipient) fails it at once; anything else
 * (4xx, connection refused, timeout, authentication refused) is retried after 1, 2,
 * 4 ... minutes, at most an hour apart, until MAIL_OUTBOX_MAX_ATTEMPTS or
 * MAIL_OUTBOX_MAX_AGE, when it is marked failed with the reason. Once a message is
 * sent or failed its body is erased; the row (recipient, subject, times, outcome) is
 * kept for audit until mail_outbox_prune.
 *
 * The program calls curl_global_init once at start, before any thread.
 */
#ifndef SEKISHO_MAIL_OUTBOX_H
#define SEKISHO_MAIL_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "mail.h"

#define MAIL_OUTBOX_BATCH_MAX    100		/* messages claimed per delivery run */
#define MAIL_OUTBOX_BACKOFF_MIN  60		/* seconds before the first retry */
#define MAIL_OUTBOX_BACKOFF_MAX  3600		/* retries at least hourly */
#define MAIL_OUTBOX_MAX_ATTEMPTS 80		/* about 3 days at the hourly cap */
#define MAIL_OUTBOX_MAX_AGE      (3 * 24 * 3600)
#define MAIL_OUTBOX_ERROR_MAX    256		/* bytes of reason kept in last_error */

/*
 * The table, for the caller's migration list (verbatim; the outbox never creates it).
 * state: 'queued' (next_attempt_at says when), 'sending' (claimed by a delivery run
 * until next_attempt_at, the claim's expiry), 'sent', 'failed'. token names the
 * message: its Message-ID is <token@helo_domain>.
 */
/* Frozen: daemons include it in a numbered migration, so a change here must be a new
 * migration of its own (ALTER TABLE ...), never an edit of this text. */
#define MAIL_OUTBOX_SQL \
	"CREATE TABLE mail_outbox (" \
	" id INTEGER PRIMARY KEY," \
	" token TEXT NOT NULL UNIQUE," \
	" recipient TEXT NOT NULL," \
	" subject TEXT NOT NULL," \
	" body TEXT," \
	" created_at INTEGER NOT NULL," \
	" state TEXT NOT NULL DEFAULT 'queued'" \
	"  CHECK (state IN ('queued', 'sending', 'sent', 'failed'))," \
	" next_attempt_at INTEGER," \
	" attempts INTEGER NOT NULL DEFAULT 0," \
	" last_attempt_at INTEGER," \
	" last_error TEXT," \
	" sent_at INTEGER);" \
	"CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)" \
	" WHERE state IN ('queued', 'sending');"

struct mail_smtp_config {
	const char *url;		/* smtp://127.0.0.1:25 or smtps://relay:465 */
	const char *from_addr;		/* envelope and header sender */
	const char *from_name;		/* display name (Japanese allowed), or NULL */
	const char *helo_domain;	/* EHLO name and Message-ID domain */
	const char *username;		/* SMTP AUTH user, or NULL for none */
	const char *password_file;	/* its password: first line, not world-readable */
	const char *ca_file;		/* CA bundle for TLS, or NULL for the system's */
	bool starttls;			/* smtp:// only: require STARTTLS */
	long timeout_s;			/* per message, connecting included; 0: 30 s */
};

/* What one delivery run did. */
struct mail_outbox_stats {
	unsigned claimed;	/* due messages taken */
	unsigned sent;
	unsigned deferred;	/* transient failure: will be retried */
	unsigned failed;	/* permanent failure or given up: will not be */
};

/* Queue m (checked with mail_message_check) to be sent from now on. Call inside the
 * caller's transaction to tie the email to its cause. MAIL_OK, a MAIL_E* code for a
 * bad message, or MAIL_EDB. *id_out (if not NULL) gets the row id. */
int mail_outbox_enqueue(struct db *db, const struct mail_message *m, time_t now,
			int64_t *id_out);

/* Send up to max (at most MAIL_OUTBOX_BATCH_MAX) messages due at now, recording each
 * outcome; st gets the counts. Must be called outside any transaction on db. MAIL_OK,
 * MAIL_ECONFIG (nothing claimed; why in err), MAIL_EDB or MAIL_ENOMEM. */
int mail_outbox_deliver(struct db *db, const struct mail_smtp_config *smtp, time_t now,
			unsigned max, struct mail_outbox_stats *st, char *err, size_t errlen);

/* The seconds to wait after the attempts-th failed attempt (attempts >= 1). */
long mail_outbox_backoff(long attempts);

/* Delete sent and failed rows whose last attempt is before cutoff; returns the number
 * deleted, or -1 (db_errmsg). */
long mail_outbox_prune(struct db *db, time_t cutoff);

/* Messages waiting (queued or being sent) and failed, for health and metrics. */
int mail_outbox_counts(struct db *db, long *waiting, long *failed);

#endif
