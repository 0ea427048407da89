/*
 * notify.c — applicant email: templates, enqueueing, the sender thread.
 *
 * The templates are fixed text in polite Japanese with the procedure's title, the
 * 到達番号 and the status page's address filled in; nothing a citizen typed is put
 * into a message except their own address as its recipient (so the portal cannot be
 * made to send chosen text to a chosen address).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "portal_db.h"
#include "tenant.h"
#include "timefmt.h"

struct template {
	const char *status;		/* application status */
	const char *event;		/* its name in a procedure's notify.events */
	const char *subject;
	const char *lead;		/* the first paragraph */
};

static const struct template templates[] = {
	{ "arrived", "arrival", "【到達のお知らせ】{{title}}",
	  "「{{title}}」の申請が到達しましたので、お知らせします。" },
	{ "accepted", "accepted", "【受付のお知らせ】{{title}}",
	  "「{{title}}」の申請を受け付けました。" },
	{ "review", "review", "【審査開始のお知らせ】{{title}}",
	  "「{{title}}」の申請の審査を始めました。" },
	{ "correction", "correction", "【補正のお願い】{{title}}",
	  "「{{title}}」の申請について、内容の補正をお願いします。状況確認のページからご確認ください。" },
	{ "result", "result", "【結果のお知らせ】{{title}}",
	  "「{{title}}」の申請の結果を通知しました。状況確認のページからご確認ください。" },
	{ "completed", "completed", "【手続完了のお知らせ】{{title}}",
	  "「{{title}}」の手続が完了しました。" },
	{ "document", "document", "【交付文書のお知らせ】{{title}}",
	  "「{{title}}」の申請について、交付文書が届きました。状況確認のページからダウンロード"
	  "できます。" },
};

static const char body_template[] =
	"{{lead}}\n"
	"\n"
	"到達番号: {{receipt_no}}\n"
	"日時: {{at}}\n"
	"\n"
	"申請の状況は、次のページで到達番号と照会用パスワードを入力して確認できます。\n"
	"{{status_url}}\n"
	"\n"
	"このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできません。\n"
	"お心当たりのない場合は、このメールを破棄してください。\n";

static const struct template *
find_template(const json_t *def, const char *status)
{
	const json_t *events = json_object_get(json_object_get(def, "notify"), "events"), *e;
	size_t i, k;

	for (k = 0; k < sizeof templates / sizeof templates[0]; k++) {
		if (strcmp(templates[k].status, status) != 0)
			continue;
		json_array_foreach(events, i, e)
			if (json_is_string(e) && strcmp(json_string_value(e), templates[k].event) == 0)
				return &templates[k];
	}
	return NULL;
}

int
notify_enqueue(struct db *db, const struct portald *p, const json_t *def,
	       const json_t *answers, const struct notify_event *ev)
{
	const struct template *t = find_template(def, ev->status);
	const char *field = jsonio_str(json_object_get(def, "notify"), "email_field", NULL);
	const char *to = field ? jsonio_str(answers, field, NULL) : NULL;
	char when[TIMEFMT_LEN], url[512], *lead = NULL, *subject = NULL, *body = NULL;
	struct mail_message m;
	json_t *vars;
	int rc = 0;

	if (t == NULL || to == NULL || !mail_address_valid(to))
		return 0;	/* nothing to send: not an error */
	timefmt_jst_text(ev->at, when);
	snprintf(url, sizeof url, "%s/%s/status", p->public_base_url, ev->tenant);
	vars = json_pack("{s:s,s:s,s:s,s:s}", "title", jsonio_str(def, "title", ""),
			 "receipt_no", ev->receipt_no, "at", when, "status_url", url);
	if (mail_render(t->lead, vars, &lead) != MAIL_OK ||
	    json_object_set_new(vars, "lead", json_string(lead)) != 0 ||
	    mail_render(t->subject, vars, &subject) != MAIL_OK ||
	    mail_render(body_template, vars, &body) != MAIL_OK) {
		log_err("application %s: cannot render the %s email", ev->receipt_no, t->event);
		goto out;	/* a template bug must not refuse the submission */
	}
	m.to = to;
	m.subject = subject;
	m.body = body;
	if (mail_outbox_enqueue(db, &m, time(NULL), NULL) == MAIL_EDB)
		rc = -1;
out:
	free(lead);
	free(subject);
	free(body);
	json_decref(vars);
	return rc;
}

/* --- the sender ------------------------------------------------------------------ */

struct mailer {
	struct portald *p;
	struct mail_smtp_config smtp;
	struct db **dbs;		/* one connection per tenant, the mailer's own */
	size_t n;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started;
};

static void *
run(void *arg)
{
	struct mailer *m = arg;
	time_t last_prune = 0;
	struct timespec until;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		pthread_mutex_unlock(&m->mu);
		for (size_t i = 0; i < m->n; i++) {
			struct mail_outbox_stats st = { 0 };
			char err[256];
			time_t now = time(NULL);

			if (mail_outbox_deliver(m->dbs[i], &m->smtp, now, MAIL_OUTBOX_BATCH_MAX,
						&st, err, sizeof err) < 0)
				log_err("mail to applicants of %s: %s", m->p->tenants.t[i].name, err);
			if (now - last_prune > 24 * 3600)
				mail_outbox_prune(m->dbs[i], now - NOTIFY_PRUNE_AFTER);
		}
		if (time(NULL) - last_prune > 24 * 3600)
			last_prune = time(NULL);
		pthread_mutex_lock(&m->mu);
		if (m->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += NOTIFY_INTERVAL_MS / 1000;
		pthread_cond_timedwait(&m->cv, &m->mu, &until);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int
mailer_start(struct mailer **out, struct portald *p, const struct mail_smtp_config *smtp,
	     char *err, size_t errlen)
{
	struct mailer *m = calloc(1, sizeof *m);
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if (m == NULL) {
		snprintf(err, errlen, "mailer: out of memory");
		return -1;
	}
	m->p = p;
	m->smtp = *smtp;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (smtp->url == NULL) {
		log_warn("no smtp_url configured: applicant email is queued, not sent");
		*out = m;
		return 0;
	}
	m->n = p->tenants.n;
	if ((m->dbs = calloc(m->n ? m->n : 1, sizeof *m->dbs)) == NULL)
		goto nomem;
	for (size_t i = 0; i < m->n; i++) {
		if (tenant_db_path(p->db_dir, p->tenants.t[i].name, path, sizeof path) != 0 ||
		    db_open(&m->dbs[i], path, 0, portal_db_migrations, portal_db_nmigrations,
			    err, errlen) != 0)
			goto fail;
	}
	if ((rc = pthread_create(&m->thread, NULL, run, m)) != 0) {
		snprintf(err, errlen, "mailer: thread: %s", strerror(rc));
		goto fail;
	}
	m->started = true;
	*out = m;
	return 0;
nomem:
	snprintf(err, errlen, "mailer: out of memory");
fail:
	mailer_stop(m);
	return -1;
}

void
mailer_stop(struct mailer *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	if (m->started)
		pthread_join(m->thread, NULL);
	for (size_t i = 0; m->dbs && i < m->n; i++)
		db_close(m->dbs[i]);
	free(m->dbs);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
