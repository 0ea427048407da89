/*
 * test_mail_outbox.c — the outbox against a real SMTP server on loopback
 * (tests/tools/smtp_capture.py, over aiosmtpd): what arrives is what was enqueued,
 * a 4xx is retried after its backoff, a 5xx to the recipient fails at once, an
 * unreachable relay leaves everything queued, and no write lock is held while SMTP
 * is talking. Time is passed in, so retries are tested without waiting.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "jsonio.h"
#include "log.h"
#include "mail.h"
#include "mail_outbox.h"
#include "mailtest.h"
#include "testutil.h"

#define CAPTURE_SCRIPT	"tests/tools/smtp_capture.py"
#define PYTHON		"/usr/bin/python3"
#define T0		((time_t)1706745900)	/* 2024-02-01 09:05 JST */
#define FROM		"noreply@city.example.lg.jp"
#define HELO		"portal.city.example.lg.jp"

static const struct db_migration migs[] = { { 1, MAIL_OUTBOX_SQL } };

static char dir[PATH_MAX];
static char capdir[PATH_MAX + 16];
static char dbpath[PATH_MAX + 16];
static char url[64];
static pid_t server = -1;
static struct db *db;
static struct mail_smtp_config cfg;
static char err[512];
static FILE *logstream;		/* what the outbox logged, in memory */
static char *logbuf;
static size_t logsize;

/* --- the server ------------------------------------------------------------------ */

/* Start smtp_capture.py with extra arguments (NULL-terminated) and read its port. */
static void
start_server(const char *arg, ...)
{
	const char *argv[16] = { PYTHON, CAPTURE_SCRIPT, "--dir", capdir };
	char line[32] = "";
	struct pollfd pfd;
	size_t n = 0;
	int fds[2], argc = 4;
	va_list ap;

	if (access(CAPTURE_SCRIPT, R_OK) != 0)
		fail_msg("%s: run the test from the repository root", CAPTURE_SCRIPT);
	va_start(ap, arg);
	for (; arg != NULL && argc < 15; arg = va_arg(ap, const char *))
		argv[argc++] = arg;
	va_end(ap);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	server = fork();
	assert_true(server >= 0);
	if (server == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execv(PYTHON, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* The port, on the first line; python3-aiosmtpd missing means no line. */
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (n < sizeof line - 1 && strchr(line, '\n') == NULL) {
		ssize_t r = -1;

		if (poll(&pfd, 1, 20000) == 1)
			r = read(fds[0], line + n, sizeof line - 1 - n);
		if (r <= 0)
			fail_msg("smtp_capture.py did not report a port (python3-aiosmtpd installed?)");
		n += (size_t)r;
		line[n] = '\0';
	}
	close(fds[0]);
	assert_true(atoi(line) > 0);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", atoi(line));
	cfg.url = url;
}

static void
stop_server(void)
{
	int status;

	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, &status, 0);
		server = -1;
	}
}

/* The messages that arrived, oldest first (file names count up); returns how many. */
static int
arrived(json_t **docs, int max)
{
	struct dirent **ents;
	char path[PATH_MAX * 2];
	int n, i, k = 0;

	n = scandir(capdir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && k < max) {
			snprintf(path, sizeof path, "%s/%s", capdir, ents[i]->d_name);
			docs[k] = jsonio_load_file(path, 1 << 20, err, sizeof err);
			if (docs[k] == NULL)
				fail_msg("%s", err);
			k++;
		}
		free(ents[i]);
	}
	free(ents);
	return k;
}

static void
free_docs(json_t **docs, int n)
{
	while (n-- > 0)
		json_decref(docs[n]);
}

/* Everything logged so far in this test. */
static const char *
logged(void)
{
	fflush(logstream);
	return logbuf != NULL ? logbuf : "";
}

/* --- the database ---------------------------------------------------------------- */

static int64_t
enqueue(const char *to, const char *subject, const char *body, time_t now)
{
	struct mail_message m = { to, subject, body };
	int64_t id = 0;

	assert_int_equal(mail_outbox_enqueue(db, &m, now, &id), MAIL_OK);
	assert_true(id > 0);
	return id;
}

struct row {
	char state[16];
	char token[64];
	long attempts;
	long long next_attempt_at;	/* -1 for NULL */
	long long sent_at;		/* -1 for NULL */
	bool has_body;
	char last_error[MAIL_OUTBOX_ERROR_MAX + 64];
};

static struct row
row(int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT state, token, attempts, next_attempt_at, sent_at,"
				       " body IS NOT NULL, last_error FROM mail_outbox WHERE id = ?1");
	struct row r = { 0 };

	assert_non_null(st);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(r.state, sizeof r.state, "%s", sqlite3_column_text(st, 0));
	snprintf(r.token, sizeof r.token, "%s", sqlite3_column_text(st, 1));
	r.attempts = (long)sqlite3_column_int64(st, 2);
	r.next_attempt_at = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 :
			    sqlite3_column_int64(st, 3);
	r.sent_at = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
	r.has_body = sqlite3_column_int(st, 5) != 0;
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		snprintf(r.last_error, sizeof r.last_error, "%s", sqlite3_column_text(st, 6));
	sqlite3_reset(st);
	return r;
}

static long
count_rows(void)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM mail_outbox");
	long n;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static struct mail_outbox_stats
deliver_ok(time_t now)
{
	struct mail_outbox_stats st;

	if (mail_outbox_deliver(db, &cfg, now, MAIL_OUTBOX_BATCH_MAX, &st, err, sizeof err) !=
	    MAIL_OK)
		fail_msg("deliver: %s", err);
	return st;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_mail_outbox.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(capdir, sizeof capdir, "%s/cap", dir);
	snprintf(dbpath, sizeof dbpath, "%s/tenant.db", dir);
	if (mkdir(capdir, 0700) != 0)
		return -1;
	if (db_open(&db, dbpath, DB_CREATE, migs, 1, err, sizeof err) != 0) {
		fprintf(stderr, "db_open: %s\n", err);
		return -1;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.url = "smtp://127.0.0.1:1";
	cfg.from_addr = FROM;
	cfg.from_name = "関所市 市民課";
	cfg.helo_domain = HELO;
	cfg.timeout_s = 20;
	if ((logstream = open_memstream(&logbuf, &logsize)) == NULL)
		return -1;
	log_set_stream(logstream);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	stop_server();
	db_close(db);
	db = NULL;
	log_set_stream(NULL);
	fclose(logstream);
	free(logbuf);
	logbuf = NULL;
	return testutil_rmtree(dir);
}

/* --- tests ----------------------------------------------------------------------- */

static void
test_backoff_doubles_from_a_minute_to_an_hour(void **state)
{
	(void)state;
	assert_int_equal(mail_outbox_backoff(1), 60);
	assert_int_equal(mail_outbox_backoff(2), 120);
	assert_int_equal(mail_outbox_backoff(3), 240);
	assert_int_equal(mail_outbox_backoff(6), 1920);
	assert_int_equal(mail_outbox_backoff(7), 3600);
	assert_int_equal(mail_outbox_backoff(1000), 3600);
}

static void
test_enqueue_refuses_bad_messages(void **state)
{
	struct mail_message m = { "a@b.jp\r\nBcc: victim@example.jp", "件名", "本文" };

	(void)state;
	assert_int_equal(mail_outbox_enqueue(db, &m, T0, NULL), MAIL_EADDR);
	m.to = "taro@example.jp";
	m.subject = "件名\r\nBcc: victim@example.jp";
	assert_int_equal(mail_outbox_enqueue(db, &m, T0, NULL), MAIL_ETEXT);
	assert_int_equal(count_rows(), 0);
}

static void
test_enqueue_commits_and_rolls_back_with_the_caller(void **state)
{
	struct mail_message m = { "taro@example.jp", "件名", "本文" };
	int64_t id;
	struct row r;

	(void)state;
	assert_int_equal(db_begin(db), SQLITE_OK);
	assert_int_equal(mail_outbox_enqueue(db, &m, T0, NULL), MAIL_OK);
	assert_int_equal(db_rollback(db), SQLITE_OK);
	assert_int_equal(count_rows(), 0);

	assert_int_equal(db_begin(db), SQLITE_OK);
	assert_int_equal(mail_outbox_enqueue(db, &m, T0, &id), MAIL_OK);
	/* Delivery refuses to run inside the caller's transaction. */
	{
		struct mail_outbox_stats st;

		assert_int_equal(mail_outbox_deliver(db, &cfg, T0, 10, &st, err, sizeof err),
				 MAIL_EDB);
	}
	assert_int_equal(db_commit(db), SQLITE_OK);
	r = row(id);
	assert_string_equal(r.state, "queued");
	assert_int_equal(r.attempts, 0);
	assert_int_equal(r.next_attempt_at, T0);
	assert_int_equal(strlen(r.token), 32);
	assert_true(r.has_body);
}

static void
test_delivers_what_was_enqueued(void **state)
{
	const char *subject = "【関所市】申請を受け付けました（受付番号 A-0001）";
	const char *body = "山田 太郎 様\n\n申請を受け付けました。\n受付番号: A-0001\n";
	char want_id[MAIL_MSGID_MAX], dec[1024];
	json_t *docs[4];
	int64_t a, b;
	struct mail_outbox_stats st;
	struct mailtest_hdrs h;
	const char *data, *rest;
	char *got;
	int n;

	(void)state;
	start_server(NULL);
	a = enqueue("taro@example.jp", subject, body, T0);
	b = enqueue("hanako.sato+city@example.ne.jp", "到達確認", "届きました。", T0);
	st = deliver_ok(T0);
	assert_int_equal(st.claimed, 2);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.deferred + st.failed, 0);

	n = arrived(docs, 4);
	assert_int_equal(n, 2);
	assert_string_equal(jsonio_str(docs[0], "mail_from", ""), FROM);
	assert_string_equal(jsonio_str(docs[0], "helo", ""), HELO);
	assert_int_equal(json_array_size(json_object_get(docs[0], "rcpt_tos")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(docs[0], "rcpt_tos"), 0)),
			    "taro@example.jp");
	assert_string_equal(json_string_value(json_array_get(json_object_get(docs[1], "rcpt_tos"), 0)),
			    "hanako.sato+city@example.ne.jp");

	data = jsonio_str(docs[0], "data", "");
	mailtest_assert_wire_form(data, 78);
	mailtest_parse(data, &h);
	assert_string_equal(mailtest_header(&h, "To"), "taro@example.jp");
	mailtest_decode_words(mailtest_header(&h, "Subject"), dec, sizeof dec, NULL);
	assert_string_equal(dec, subject);
	mailtest_decode_words(mailtest_header(&h, "From"), dec, sizeof dec, &rest);
	assert_string_equal(dec, "関所市 市民課");
	assert_string_equal(rest, "<" FROM ">");
	assert_string_equal(mailtest_header(&h, "Date"), "Thu, 01 Feb 2024 09:05:00 +0900");
	snprintf(want_id, sizeof want_id, "<%s@%s>", row(a).token, HELO);
	assert_string_equal(mailtest_header(&h, "Message-ID"), want_id);
	got = mailtest_body(&h);
	assert_string_equal(got, "山田 太郎 様\r\n\r\n申請を受け付けました。\r\n受付番号: A-0001\r\n");
	free(got);
	free(h.buf);
	free_docs(docs, n);

	/* Sent: on record without the body, and not sent again. */
	assert_string_equal(row(a).state, "sent");
	assert_int_equal(row(a).sent_at, T0);
	assert_int_equal(row(a).attempts, 1);
	assert_false(row(a).has_body);
	assert_int_equal(row(a).next_attempt_at, -1);
	assert_string_equal(row(b).state, "sent");
	st = deliver_ok(T0 + 86400);
	assert_int_equal(st.claimed, 0);
	assert_int_equal(arrived(docs, 4), 2);
	free_docs(docs, 2);
}

static void
test_tempfail_is_retried_after_its_backoff(void **state)
{
	char first_id[MAIL_MSGID_MAX], dec[256];
	json_t *docs[2];
	struct mail_outbox_stats st;
	struct mailtest_hdrs h;
	struct row r;
	int64_t id;

	(void)state;
	start_server(NULL);
	id = enqueue("tempfail@example.jp", "再送の確認", "本文", T0);
	st = deliver_ok(T0);
	assert_int_equal(st.deferred, 1);
	r = row(id);
	assert_string_equal(r.state, "queued");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.next_attempt_at, T0 + 60);
	assert_non_null(strstr(r.last_error, "451"));
	assert_true(r.has_body);

	/* Not before its time. */
	assert_int_equal(deliver_ok(T0 + 59).claimed, 0);
	st = deliver_ok(T0 + 60);
	assert_int_equal(st.deferred, 1);
	r = row(id);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.next_attempt_at, T0 + 60 + 120);
	assert_int_equal(arrived(docs, 2), 0);

	/* The relay recovers (a new one, same configuration but the port): it goes out,
	 * under the Message-ID it always had. */
	stop_server();
	start_server("--tempfail", "nobody-matches-this", NULL);
	assert_int_equal(deliver_ok(T0 + 179).claimed, 0);
	st = deliver_ok(T0 + 180);
	assert_int_equal(st.sent, 1);
	r = row(id);
	assert_string_equal(r.state, "sent");
	assert_int_equal(r.attempts, 3);
	assert_string_equal(r.last_error, "");
	assert_int_equal(arrived(docs, 2), 1);
	mailtest_parse(jsonio_str(docs[0], "data", ""), &h);
	snprintf(first_id, sizeof first_id, "<%s@%s>", r.token, HELO);
	assert_string_equal(mailtest_header(&h, "Message-ID"), first_id);
	mailtest_decode_words(mailtest_header(&h, "Subject"), dec, sizeof dec, NULL);
	assert_string_equal(dec, "再送の確認");
	free(h.buf);
	free_docs(docs, 1);
}

static void
test_rejected_recipient_fails_without_retry(void **state)
{
	json_t *docs[4];
	struct mail_outbox_stats st;
	struct row r;
	int64_t bad, good;
	long waiting, failed;

	(void)state;
	start_server(NULL);
	bad = enqueue("reject@example.jp", "件名", "本文", T0);
	good = enqueue("taro@example.jp", "件名", "本文", T0);
	st = deliver_ok(T0);
	assert_int_equal(st.claimed, 2);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.sent, 1);	/* one refusal does not stop the batch */
	r = row(bad);
	assert_string_equal(r.state, "failed");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.next_attempt_at, -1);
	assert_false(r.has_body);
	assert_non_null(strstr(r.last_error, "550"));
	assert_non_null(strstr(r.last_error, "RCPT"));
	/* The server's reply (which may quote the address) stays in the row, not the log. */
	assert_non_null(strstr(logged(), "mail failed after attempt 1"));
	assert_null(strstr(logged(), "No such user"));
	assert_null(strstr(logged(), "reject@"));
	assert_string_equal(row(good).state, "sent");
	assert_int_equal(arrived(docs, 4), 1);
	free_docs(docs, 1);

	assert_int_equal(deliver_ok(T0 + 7 * 86400).claimed, 0);
	assert_int_equal(mail_outbox_counts(db, &waiting, &failed), MAIL_OK);
	assert_int_equal(waiting, 0);
	assert_int_equal(failed, 1);
	/* Pruning keeps records whose last attempt is not yet before the cutoff. */
	assert_int_equal(mail_outbox_prune(db, T0), 0);
	assert_int_equal(mail_outbox_prune(db, T0 + 1), 2);
	assert_int_equal(count_rows(), 0);
}

static void
test_unreachable_relay_leaves_messages_queued(void **state)
{
	struct mail_outbox_stats st;
	struct row r;
	int64_t ids[3];
	long waiting, failed;
	int i;

	(void)state;
	start_server(NULL);
	stop_server();		/* its port now refuses connections */
	for (i = 0; i < 3; i++)
		ids[i] = enqueue("taro@example.jp", "件名", "本文", T0);
	st = deliver_ok(T0);
	assert_int_equal(st.claimed, 3);
	assert_int_equal(st.deferred, 3);
	for (i = 0; i < 3; i++) {
		r = row(ids[i]);
		assert_string_equal(r.state, "queued");
		assert_int_equal(r.attempts, 1);
		assert_int_equal(r.next_attempt_at, T0 + 60);
		assert_true(r.has_body);
		assert_true(r.last_error[0] != '\0');
	}
	assert_int_equal(mail_outbox_counts(db, &waiting, &failed), MAIL_OK);
	assert_int_equal(waiting, 3);
	assert_int_equal(failed, 0);
}

static void
test_gives_up_after_the_maximum_age(void **state)
{
	struct mail_outbox_stats st;
	struct row r;
	int64_t id;

	(void)state;
	start_server(NULL);
	id = enqueue("tempfail@example.jp", "件名", "本文", T0);
	assert_int_equal(deliver_ok(T0 + MAIL_OUTBOX_MAX_AGE - 1).deferred, 1);
	st = deliver_ok(T0 + MAIL_OUTBOX_MAX_AGE + 3600);
	assert_int_equal(st.failed, 1);
	r = row(id);
	assert_string_equal(r.state, "failed");
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(r.last_error, "gave up after 2 attempts"));
	assert_non_null(strstr(r.last_error, "451"));
	assert_false(r.has_body);
}

static void
test_abandoned_claim_is_taken_again_after_it_expires(void **state)
{
	sqlite3_stmt *st;
	json_t *docs[2];
	int64_t id;

	(void)state;
	start_server(NULL);
	id = enqueue("taro@example.jp", "件名", "本文", T0);
	/* A delivery run that claimed the row and died before recording anything. */
	st = db_stmt(db, "UPDATE mail_outbox SET state = 'sending', next_attempt_at = ?2"
			 " WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, T0 + 100);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	assert_int_equal(deliver_ok(T0 + 99).claimed, 0);
	assert_int_equal(deliver_ok(T0 + 100).sent, 1);
	assert_int_equal(arrived(docs, 2), 1);
	free_docs(docs, 1);
}

static void
test_authenticates_with_the_password_file(void **state)
{
	char pwfile[PATH_MAX + 32];
	struct mail_outbox_stats st;
	json_t *docs[2];
	int64_t id;

	(void)state;
	start_server("--auth-user", "sekisho", "--auth-password", "s3cret pass", NULL);
	snprintf(pwfile, sizeof pwfile, "%s/smtp-password", dir);
	cfg.username = "sekisho";
	cfg.password_file = pwfile;
	id = enqueue("taro@example.jp", "件名", "本文", T0);

	/* Readable by anyone: refused before anything is claimed. */
	write_file(pwfile, "s3cret pass\n", 0644);
	assert_int_equal(mail_outbox_deliver(db, &cfg, T0, 10, &st, err, sizeof err),
			 MAIL_ECONFIG);
	assert_non_null(strstr(err, "smtp-password"));
	assert_int_equal(st.claimed, 0);
	assert_int_equal(row(id).attempts, 0);

	/* A wrong password is our configuration's fault: retried, not failed. */
	write_file(pwfile, "wrong\n", 0600);
	st = deliver_ok(T0);
	assert_int_equal(st.deferred, 1);
	assert_string_equal(row(id).state, "queued");
	assert_null(strstr(row(id).last_error, "wrong"));
	/* The stage is named; the credential lines that followed AUTH are not kept. */
	assert_non_null(strstr(row(id).last_error, "(AUTH: 535"));
	assert_non_null(strstr(logged(), "mail deferred after attempt 1"));

	write_file(pwfile, "s3cret pass\n", 0640);
	st = deliver_ok(T0 + 60);
	assert_int_equal(st.sent, 1);
	assert_int_equal(arrived(docs, 2), 1);
	free_docs(docs, 1);
	/* The log names the row and the Message-ID, never the password or recipient. */
	assert_non_null(strstr(logged(), "mail sent"));
	assert_null(strstr(logged(), "s3cret"));
	assert_null(strstr(logged(), "wrong"));
	assert_null(strstr(logged(), "taro@"));
}

static void
test_refuses_unusable_configuration(void **state)
{
	struct mail_outbox_stats st;

	(void)state;
	enqueue("taro@example.jp", "件名", "本文", T0);
	cfg.url = "http://127.0.0.1:25";
	assert_int_equal(mail_outbox_deliver(db, &cfg, T0, 10, &st, err, sizeof err),
			 MAIL_ECONFIG);
	cfg.url = "smtp://127.0.0.1:25";
	cfg.from_addr = "noreply@city.jp\r\nBcc: x@y.jp";
	assert_int_equal(mail_outbox_deliver(db, &cfg, T0, 10, &st, err, sizeof err),
			 MAIL_ECONFIG);
	cfg.from_addr = FROM;
	cfg.helo_domain = "bad domain";
	assert_int_equal(mail_outbox_deliver(db, &cfg, T0, 10, &st, err, sizeof err),
			 MAIL_ECONFIG);
	assert_int_equal(st.claimed, 0);
}

static void
test_required_starttls_is_never_skipped(void **state)
{
	json_t *docs[2];
	struct row r;
	int64_t id;

	(void)state;
	start_server(NULL);	/* offers no STARTTLS */
	cfg.starttls = true;
	id = enqueue("taro@example.jp", "件名", "本文", T0);
	assert_int_equal(deliver_ok(T0).deferred, 1);
	r = row(id);
	assert_string_equal(r.state, "queued");
	assert_true(r.last_error[0] != '\0');
	assert_int_equal(arrived(docs, 2), 0);	/* not sent in clear instead */
}

static void
test_row_altered_behind_our_back_fails_not_loops(void **state)
{
	sqlite3_stmt *st;
	struct row r;
	int64_t id;

	(void)state;
	start_server(NULL);
	id = enqueue("taro@example.jp", "件名", "本文", T0);
	st = db_stmt(db, "UPDATE mail_outbox SET recipient = 'a@b.jp' || char(13, 10) ||"
			 " 'Bcc: victim@example.jp' WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	assert_int_equal(deliver_ok(T0).failed, 1);
	r = row(id);
	assert_string_equal(r.state, "failed");
	assert_non_null(strstr(r.last_error, "compose"));
}

struct bg {
	struct mail_outbox_stats st;
	int rc;
};

static void *
deliver_in_background(void *arg)
{
	struct bg *bg = arg;

	bg->rc = mail_outbox_deliver(db, &cfg, T0, 10, &bg->st, NULL, 0);
	return NULL;
}

static void
test_no_write_lock_is_held_while_smtp_talks(void **state)
{
	char marker[PATH_MAX + 32];
	struct mail_message m = { "taro@example.jp", "別の申請", "本文" };
	struct db *other = NULL;
	struct bg bg = { .rc = -100 };
	pthread_t t;
	int i;

	(void)state;
	start_server("--slow-seconds", "5", NULL);
	enqueue("slow@example.jp", "件名", "本文", T0);
	snprintf(marker, sizeof marker, "%s/.slow-rcpt", capdir);
	assert_int_equal(pthread_create(&t, NULL, deliver_in_background, &bg), 0);
	for (i = 0; i < 200 && access(marker, F_OK) != 0; i++)
		usleep(50 * 1000);
	assert_int_equal(access(marker, F_OK), 0);

	/* Mid-RCPT: the submission path takes the write lock without waiting at all. */
	assert_int_equal(db_open(&other, dbpath, 0, migs, 1, err, sizeof err), 0);
	sqlite3_busy_timeout(db_handle(other), 0);
	assert_int_equal(db_begin(other), SQLITE_OK);
	assert_int_equal(mail_outbox_enqueue(other, &m, T0, NULL), MAIL_OK);
	assert_int_equal(db_commit(other), SQLITE_OK);
	db_close(other);

	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(bg.rc, MAIL_OK);
	assert_int_equal(bg.st.sent, 1);
	assert_int_equal(count_rows(), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_from_a_minute_to_an_hour),
		cmocka_unit_test_setup_teardown(test_enqueue_refuses_bad_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_commits_and_rolls_back_with_the_caller,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivers_what_was_enqueued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tempfail_is_retried_after_its_backoff,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_recipient_fails_without_retry,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_relay_leaves_messages_queued,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_gives_up_after_the_maximum_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abandoned_claim_is_taken_again_after_it_expires,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authenticates_with_the_password_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_unusable_configuration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_starttls_is_never_skipped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_altered_behind_our_back_fails_not_loops,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_write_lock_is_held_while_smtp_talks,
						setup, teardown),
	};
	int rc;

	setenv("TZ", "JST-9", 1);
	tzset();
	/* Tests kill the server on purpose; a write to its dead socket must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
