/*
 * mail_outbox.c — a durable outbox of email in the caller's SQLite database, sent over
 * SMTP (libcurl) with retries.
 *
 * Invariant: a row leaves 'queued'/'sending' only after the relay has answered for it
 * (sent, or refused with a 5xx to the message itself) or after it has been retried
 * for MAIL_OUTBOX_MAX_AGE / MAIL_OUTBOX_MAX_ATTEMPTS; so every enqueued message is
 * sent at least once or its failure is on record with the reason.
 *
 * No write transaction is held while the network is in use: the submission path
 * shares this database, and a relay that hangs must not stall citizens. Due rows are
 * claimed in one short transaction (state 'sending', next_attempt_at moved to the
 * claim's expiry, so a second delivery run skips them and a crashed one's rows come
 * back), then each outcome is recorded by its own single-statement write.
 *
 * Which SMTP command a reply answered decides whether a 5xx is the message's fault
 * (RCPT, DATA: fail it) or ours (greeting, EHLO, AUTH, MAIL FROM: a relay or
 * configuration problem that must not fail the whole queue, so it is retried). The
 * debug callback that tells us this reads only the server's replies and the verb of
 * each command we send; it never keeps what follows AUTH. The password lives in
 * memory only for one run and is wiped after it.
 *
 * Logged per message: the row id, Message-ID, outcome and curl's reason. Never the
 * recipient, subject or body (personal data), nor the password.
 */
#define _GNU_SOURCE		/* explicit_bzero */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "mail_outbox.h"

#define MAIL_TOKEN_BYTES	16	/* 128 random bits: Message-IDs never collide */
#define MAIL_URL_MAX		512
#define MAIL_PASSWORD_MAX	512
#define MAIL_TIMEOUT_DEFAULT	30
#define MAIL_TIMEOUT_MAX	600
#define MAIL_CLAIM_SLACK	60	/* seconds beyond the batch's worst case */
#define MAIL_REPLY_MAX		200	/* bytes of the server's last reply kept */

static int fail(char *, size_t, int, const char *, ...) __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int
mail_outbox_enqueue(struct db *db, const struct mail_message *m, time_t now,
		    int64_t *id_out)
{
	unsigned char raw[MAIL_TOKEN_BYTES];
	char token[2 * MAIL_TOKEN_BYTES + 1];
	sqlite3_stmt *st;
	int rc;

	if ((rc = mail_message_check(m)) != MAIL_OK)
		return rc;
	if (crypto_random(raw, sizeof raw) != 0)
		return MAIL_ENOMEM;
	crypto_hex(raw, sizeof raw, token);
	st = db_stmt(db, "INSERT INTO mail_outbox (token, recipient, subject, body,"
			 " created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
	if (st == NULL)
		return MAIL_EDB;
	if (sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, m->to, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, m->subject, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, m->body, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, (sqlite3_int64)now) != SQLITE_OK) {
		sqlite3_reset(st);
		return MAIL_EDB;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* the bindings borrowed the caller's strings */
	if (rc != SQLITE_DONE)
		return MAIL_EDB;
	if (id_out != NULL)
		*id_out = (int64_t)sqlite3_last_insert_rowid(db_handle(db));
	return MAIL_OK;
}

long
mail_outbox_backoff(long attempts)
{
	long s = MAIL_OUTBOX_BACKOFF_MIN;

	while (--attempts > 0 && s < MAIL_OUTBOX_BACKOFF_MAX)
		s *= 2;
	return s < MAIL_OUTBOX_BACKOFF_MAX ? s : MAIL_OUTBOX_BACKOFF_MAX;
}

long
mail_outbox_prune(struct db *db, time_t cutoff)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM mail_outbox WHERE state IN ('sent',"
				       " 'failed') AND last_attempt_at < ?1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)cutoff);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? (long)sqlite3_changes(db_handle(db)) : -1;
}

int
mail_outbox_counts(struct db *db, long *waiting, long *failed)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT"
		" (SELECT count(*) FROM mail_outbox WHERE state IN ('queued', 'sending')),"
		" (SELECT count(*) FROM mail_outbox WHERE state = 'failed')");
	int rc;

	if (st == NULL)
		return MAIL_EDB;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*waiting = (long)sqlite3_column_int64(st, 0);
		*failed = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? MAIL_OK : MAIL_EDB;
}

/* --- configuration -------------------------------------------------------------- */

/* The first line of a password file that only its owner and group may read. */
static int
read_password(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fail(err, errlen, MAIL_ECONFIG, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 0007) != 0) {
		close(fd);
		return fail(err, errlen, MAIL_ECONFIG,
			    "%s: not a regular file readable only by owner and group", path);
	}
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0)
		return fail(err, errlen, MAIL_ECONFIG, "%s: %s", path, strerror(errno));
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0')
		return fail(err, errlen, MAIL_ECONFIG, "%s: no password on its first line", path);
	return MAIL_OK;
}

/*
 * The URL curl is given: libcurl takes the EHLO name from the URL's path, so
 * smtp://relay:25 becomes smtp://relay:25/helo.domain.
 */
static int
build_url(const struct mail_smtp_config *c, char *out, size_t outlen, char *err,
	  size_t errlen)
{
	const char *hostpart;
	size_t n;

	if (c->url == NULL || (strncmp(c->url, "smtp://", 7) != 0 &&
			       strncmp(c->url, "smtps://", 8) != 0))
		return fail(err, errlen, MAIL_ECONFIG, "smtp url: must be smtp:// or smtps://");
	hostpart = strstr(c->url, "://") + 3;
	n = strlen(c->url);
	if (strchr(hostpart, '/') == NULL)
		n = (size_t)snprintf(out, outlen, "%s/%s", c->url, c->helo_domain);
	else if (c->url[n - 1] == '/')
		n = (size_t)snprintf(out, outlen, "%s%s", c->url, c->helo_domain);
	else
		n = (size_t)snprintf(out, outlen, "%s", c->url);
	if (n >= outlen)
		return fail(err, errlen, MAIL_ECONFIG, "smtp url: too long");
	return MAIL_OK;
}

static int
check_config(const struct mail_smtp_config *c, char *err, size_t errlen)
{
	if (!mail_address_valid(c->from_addr))
		return fail(err, errlen, MAIL_ECONFIG, "from address: %s",
			    mail_strerror(MAIL_EADDR));
	if (c->from_name != NULL && !mail_text_valid(c->from_name, MAIL_NAME_MAX, 0))
		return fail(err, errlen, MAIL_ECONFIG, "from name: %s",
			    mail_strerror(MAIL_ETEXT));
	if (!mail_domain_valid(c->helo_domain))
		return fail(err, errlen, MAIL_ECONFIG, "helo domain: not a host name");
	if (c->username != NULL && c->password_file == NULL)
		return fail(err, errlen, MAIL_ECONFIG, "smtp username without password file");
	if (c->timeout_s < 0 || c->timeout_s > MAIL_TIMEOUT_MAX)
		return fail(err, errlen, MAIL_ECONFIG, "smtp timeout: 0..%d seconds",
			    MAIL_TIMEOUT_MAX);
	return MAIL_OK;
}

/* --- claiming ------------------------------------------------------------------- */

struct outmsg {
	int64_t id;
	char *token, *recipient, *subject, *body;
	time_t created_at;
	long attempts;
};

static void
outmsg_free(struct outmsg *m)
{
	free(m->token);
	free(m->recipient);
	free(m->subject);
	free(m->body);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return strdup(s != NULL ? (const char *)s : "");
}

/* Take up to max due rows into msgs, marking them 'sending' until lease_end, in one
 * transaction. Returns the number claimed, or a negative MAIL_E* code. */
static int
claim(struct db *db, time_t now, unsigned max, long per_msg, struct outmsg *msgs)
{
	sqlite3_stmt *sel, *upd;
	unsigned n = 0, i;
	time_t lease_end;
	int rc;

	if (db_begin(db) != SQLITE_OK)
		return MAIL_EDB;
	sel = db_stmt(db, "SELECT id, token, recipient, subject, body, created_at, attempts"
			  " FROM mail_outbox WHERE state IN ('queued', 'sending')"
			  " AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2");
	if (sel == NULL)
		goto fail;
	sqlite3_bind_int64(sel, 1, (sqlite3_int64)now);
	sqlite3_bind_int(sel, 2, (int)max);
	while (n < max && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct outmsg *m = &msgs[n];

		m->id = sqlite3_column_int64(sel, 0);
		m->token = col_dup(sel, 1);
		m->recipient = col_dup(sel, 2);
		m->subject = col_dup(sel, 3);
		m->body = col_dup(sel, 4);
		m->created_at = (time_t)sqlite3_column_int64(sel, 5);
		m->attempts = (long)sqlite3_column_int64(sel, 6);
		n++;
		if (!m->token || !m->recipient || !m->subject || !m->body) {
			sqlite3_reset(sel);
			goto fail;
		}
	}
	sqlite3_reset(sel);
	/* Long enough for every claimed message to time out in turn. */
	lease_end = now + (time_t)n * per_msg + MAIL_CLAIM_SLACK;
	upd = db_stmt(db, "UPDATE mail_outbox SET state = 'sending', next_attempt_at = ?2"
			  " WHERE id = ?1");
	if (upd == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(upd, 1, msgs[i].id);
		sqlite3_bind_int64(upd, 2, (sqlite3_int64)lease_end);
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (db_commit(db) != SQLITE_OK)
		goto fail;
	return (int)n;
fail:
	db_rollback(db);
	for (i = 0; i < n; i++)
		outmsg_free(&msgs[i]);
	return MAIL_EDB;
}

/* --- recording outcomes --------------------------------------------------------- */

enum outcome { OUT_SENT, OUT_DEFERRED, OUT_FAILED };

static int
record(struct db *db, const struct outmsg *m, enum outcome o, time_t now, const char *why)
{
	sqlite3_stmt *st;
	int rc;

	if (o == OUT_SENT)
		st = db_stmt(db, "UPDATE mail_outbox SET state = 'sent', sent_at = ?2,"
				 " last_attempt_at = ?2, attempts = attempts + 1, body = NULL,"
				 " last_error = NULL, next_attempt_at = NULL WHERE id = ?1");
	else if (o == OUT_FAILED)
		st = db_stmt(db, "UPDATE mail_outbox SET state = 'failed',"
				 " last_attempt_at = ?2, attempts = attempts + 1, body = NULL,"
				 " last_error = ?3, next_attempt_at = NULL WHERE id = ?1");
	else
		st = db_stmt(db, "UPDATE mail_outbox SET state = 'queued',"
				 " last_attempt_at = ?2, attempts = attempts + 1,"
				 " last_error = ?3, next_attempt_at = ?4 WHERE id = ?1");
	if (st == NULL)
		return MAIL_EDB;
	sqlite3_bind_int64(st, 1, m->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (o != OUT_SENT)
		sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
	if (o == OUT_DEFERRED)
		sqlite3_bind_int64(st, 4,
				   (sqlite3_int64)(now + mail_outbox_backoff(m->attempts + 1)));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? MAIL_OK : MAIL_EDB;
}

/* A transient failure becomes final once the message is too old or tried too often. */
static enum outcome
deferred_or_given_up(const struct outmsg *m, time_t now, char *why, size_t whylen)
{
	char was[MAIL_OUTBOX_ERROR_MAX];

	if (m->attempts + 1 < MAIL_OUTBOX_MAX_ATTEMPTS && now - m->created_at < MAIL_OUTBOX_MAX_AGE)
		return OUT_DEFERRED;
	snprintf(was, sizeof was, "%s", why);
	snprintf(why, whylen, "gave up after %ld attempts: %s", m->attempts + 1, was);
	return OUT_FAILED;
}

/* --- SMTP ----------------------------------------------------------------------- */

struct session {
	const char *data;	/* the composed message being uploaded */
	size_t len, pos;
	char verb[5];		/* the last command we sent: "MAIL", "RCPT", "DATA" ... */
	char reply[MAIL_REPLY_MAX];	/* the server's last reply line */
	bool quitting;		/* QUIT sent: what follows is not about the message */
};

static size_t
read_cb(char *dst, size_t size, size_t nitems, void *arg)
{
	struct session *s = arg;
	size_t n = size * nitems;

	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(dst, s->data + s->pos, n);
	s->pos += n;
	return n;
}

/*
 * Keep the verb of each command we send and the server's last reply to one. A QUIT
 * and its "221 Bye" are not kept: libcurl closes with QUIT after a refusal, and the
 * refusal is what we must classify.
 */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	/* Each command as it starts on the wire; the first four letters name it. */
	static const char *const verbs[] = { "EHLO ", "HELO ", "STARTTLS\r", "AUTH ",
					     "MAIL FROM:", "RCPT TO:", "DATA\r", "RSET\r",
					     "NOOP\r" };
	struct session *s = arg;
	size_t i, n;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		if (size >= 5 && memcmp(data, "QUIT\r", 5) == 0) {
			s->quitting = true;
			return 0;
		}
		/* A known verb only, never the rest of the line: after AUTH come lines
		 * of base64 credentials, which must not be mistaken for a command. */
		for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
			if (size >= strlen(verbs[i]) && memcmp(data, verbs[i], strlen(verbs[i])) == 0) {
				memcpy(s->verb, verbs[i], 4);
				s->verb[4] = '\0';
			}
	} else if (type == CURLINFO_HEADER_IN && !s->quitting && size >= 3 &&
		   data[0] >= '1' && data[0] <= '5') {
		for (n = 0, i = 0; i < size && n < sizeof s->reply - 1; i++) {
			if (data[i] == '\r' || data[i] == '\n')
				break;
			s->reply[n++] = data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?';
		}
		s->reply[n] = '\0';
	}
	return 0;
}

/* Set the options every message shares. 0, or a CURLcode. */
static CURLcode
setup_handle(CURL *h, const struct mail_smtp_config *c, const char *url,
	     const char *password, struct session *s)
{
	char from[MAIL_ADDR_MAX + 3];
	long timeout = c->timeout_s > 0 ? c->timeout_s : MAIL_TIMEOUT_DEFAULT;
	CURLcode rc = CURLE_OK;

	snprintf(from, sizeof from, "<%s>", c->from_addr);
#define SET(opt, val) if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, timeout);
	SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_MAIL_FROM, from);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, s);
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_VERBOSE, 1L);	/* feeds debug_cb; it prints nothing */
	if (c->starttls)
		SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (c->username != NULL) {
		SET(CURLOPT_USERNAME, c->username);
		SET(CURLOPT_PASSWORD, password);
	}
#undef SET
	return rc;
}

/* Failures that say nothing about the message: the next one would fail alike. */
static bool
relay_unreachable(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SSL_CONNECT_ERROR ||
	       cc == CURLE_USE_SSL_FAILED || cc == CURLE_PEER_FAILED_VERIFICATION;
}

/* What became of one message: why (for the row) may quote the server's reply, which
 * can name the recipient; brief (for the log) is curl's reason and the reply code. */
struct result {
	enum outcome outcome;
	char why[MAIL_OUTBOX_ERROR_MAX];
	char brief[MAIL_OUTBOX_ERROR_MAX];
};

/* Send one composed message. *stop is set when the failure was the relay's or ours,
 * not the message's: the rest of the batch would fail alike. */
static void
send_one(CURL *h, struct session *s, const char *data, size_t len, struct result *r,
	 bool *stop)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode cc;

	s->data = data;
	s->len = len;
	s->pos = 0;
	s->verb[0] = '\0';
	s->reply[0] = '\0';
	s->quitting = false;
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (cc == CURLE_OK) {
		r->outcome = OUT_SENT;
		return;
	}
	/* Not CURLINFO_RESPONSE_CODE: that is the reply to the QUIT that followed. */
	if (s->reply[0] >= '4' && s->reply[0] <= '5')
		code = strtol(s->reply, NULL, 10);
	snprintf(r->brief, sizeof r->brief, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
	if (s->reply[0] != '\0')
		snprintf(r->why, sizeof r->why, "%s (%s: %s)", r->brief,
			 s->verb[0] ? s->verb : "greeting", s->reply);
	else
		snprintf(r->why, sizeof r->why, "%s", r->brief);
	r->outcome = OUT_DEFERRED;
	if (relay_unreachable(cc) || cc == CURLE_LOGIN_DENIED) {
		*stop = true;
	} else if (code >= 500 && code <= 599) {
		/* Refused at RCPT or after DATA: this message, for good. Refused at the
		 * greeting, EHLO, AUTH or MAIL FROM: the relay or our configuration. */
		if (strcmp(s->verb, "RCPT") == 0 || strcmp(s->verb, "DATA") == 0)
			r->outcome = OUT_FAILED;
		else
			*stop = true;
	}
}

/* Compose and send m; r gets the outcome. */
static void
deliver_one(CURL *h, struct session *sess, const struct mail_smtp_config *smtp,
	    const struct outmsg *m, const char *msgid, struct curl_slist **rcpt, bool *stop,
	    struct result *r)
{
	struct mail_message mm = { m->recipient, m->subject, m->body };
	struct mail_origin o = { smtp->from_addr, smtp->from_name, msgid, m->created_at };
	char rcpt_addr[MAIL_ADDR_MAX + 3];
	char *data = NULL;
	size_t len;
	int rc = MAIL_EADDR;	/* no Message-ID: the token was not ours */

	memset(r, 0, sizeof *r);
	if (msgid[0] == '\0' || (rc = mail_compose(&mm, &o, &data, &len)) != MAIL_OK) {
		/* Only if the row was altered behind our back: enqueue checked it. */
		snprintf(r->why, sizeof r->why, "compose: %s", mail_strerror(rc));
		snprintf(r->brief, sizeof r->brief, "%s", r->why);
		r->outcome = OUT_FAILED;
		return;
	}
	snprintf(rcpt_addr, sizeof rcpt_addr, "<%s>", m->recipient);
	curl_slist_free_all(*rcpt);
	if ((*rcpt = curl_slist_append(NULL, rcpt_addr)) == NULL ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, *rcpt) != CURLE_OK) {
		snprintf(r->why, sizeof r->why, "out of memory");
		snprintf(r->brief, sizeof r->brief, "out of memory");
		r->outcome = OUT_DEFERRED;
	} else {
		send_one(h, sess, data, len, r, stop);
	}
	free(data);
}

static void
log_result(const struct outmsg *m, const char *msgid, const struct result *r)
{
	char idtxt[24];
	struct log_field f[] = { { "MAIL_OUTBOX_ID", idtxt }, { "MESSAGE_ID", msgid } };

	snprintf(idtxt, sizeof idtxt, "%lld", (long long)m->id);
	if (r->outcome == OUT_SENT)
		log_fields(LOG_LEVEL_INFO, f, 2, "mail sent");
	else
		log_fields(LOG_LEVEL_WARN, f, 2, "mail %s after attempt %ld: %s",
			   r->outcome == OUT_FAILED ? "failed" : "deferred", m->attempts + 1,
			   r->brief);
}

int
mail_outbox_deliver(struct db *db, const struct mail_smtp_config *smtp, time_t now,
		    unsigned max, struct mail_outbox_stats *st, char *err, size_t errlen)
{
	struct outmsg *msgs = NULL;
	struct session sess;
	struct curl_slist *rcpt = NULL;
	struct result r, stopped;
	char url[MAIL_URL_MAX], password[MAIL_PASSWORD_MAX] = "", msgid[MAIL_MSGID_MAX];
	CURL *h = NULL;
	bool stop = false;
	long per_msg = (smtp->timeout_s > 0 ? smtp->timeout_s : MAIL_TIMEOUT_DEFAULT) + 5;
	int n = 0, i, rc;

	memset(st, 0, sizeof *st);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!sqlite3_get_autocommit(db_handle(db)))
		return fail(err, errlen, MAIL_EDB, "mail outbox: delivery inside a transaction");
	if ((rc = check_config(smtp, err, errlen)) != MAIL_OK ||
	    (rc = build_url(smtp, url, sizeof url, err, errlen)) != MAIL_OK)
		return rc;
	if (smtp->username != NULL &&
	    (rc = read_password(smtp->password_file, password, sizeof password, err,
				errlen)) != MAIL_OK)
		goto out;
	if (max > MAIL_OUTBOX_BATCH_MAX)
		max = MAIL_OUTBOX_BATCH_MAX;
	if (max == 0)
		goto out;
	memset(&sess, 0, sizeof sess);
	if ((msgs = calloc(max, sizeof *msgs)) == NULL || (h = curl_easy_init()) == NULL) {
		rc = fail(err, errlen, MAIL_ENOMEM, "mail outbox: out of memory");
		goto out;
	}
	if (setup_handle(h, smtp, url, password, &sess) != CURLE_OK) {
		rc = fail(err, errlen, MAIL_ECONFIG, "smtp: libcurl refused an option");
		goto out;
	}
	if ((n = claim(db, now, max, per_msg, msgs)) < 0) {
		rc = fail(err, errlen, n, "mail outbox: claiming due messages: %s",
			  db_errmsg(db));
		n = 0;
		goto out;
	}
	st->claimed = (unsigned)n;
	for (i = 0; i < n; i++) {
		struct outmsg *m = &msgs[i];

		if (mail_message_id(m->token, smtp->helo_domain, msgid, sizeof msgid) != MAIL_OK)
			msgid[0] = '\0';
		if (stop)
			r = stopped;	/* not tried: the relay failed the batch */
		else
			deliver_one(h, &sess, smtp, m, msgid, &rcpt, &stop, &r);
		if (stop && i + 1 < n)
			stopped = r;
		if (r.outcome == OUT_DEFERRED)
			r.outcome = deferred_or_given_up(m, now, r.why, sizeof r.why);
		if (record(db, m, r.outcome, now, r.why) != MAIL_OK && rc == MAIL_OK)
			rc = fail(err, errlen, MAIL_EDB, "mail outbox: recording row %lld: %s",
				  (long long)m->id, db_errmsg(db));
		log_result(m, msgid, &r);
		st->sent += r.outcome == OUT_SENT;
		st->deferred += r.outcome == OUT_DEFERRED;
		st->failed += r.outcome == OUT_FAILED;
	}
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	for (i = 0; i < n; i++)
		outmsg_free(&msgs[i]);
	free(msgs);
	explicit_bzero(password, sizeof password);
	return rc;
}
