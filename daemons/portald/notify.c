/*
 * notify.c — applicant email: templates, enqueueing, the sender thread.
 *
 * The templates are fixed text in polite Japanese with the procedure's title, the
 * 到達番号 and the status page's address filled in; nothing a citizen typed is put
 * into a message except their own address as its recipient (so the portal cannot be
 * made to send chosen text to a chosen address). A procedure may replace the subject
 * and first paragraph of an event's email with its own (notify.templates, written by
 * staff and signed with the definition); the rest stays fixed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "jsonio.h"
#include "log.h"
#include "mail.h"
#include "mail_sender.h"
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
	/* A message from the office without a status change (問合せ): its status is
	 * "message" here, whatever the application's status is. */
	{ "message", "message", "【お問い合わせ】{{title}}",
	  "「{{title}}」の申請について、担当者からお問い合わせがあります。状況確認のページからご確認ください。" },
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

	const json_t *own;

	if (t == NULL || to == NULL || !mail_address_valid(to))
		return 0;	/* nothing to send: not an error */
	own = json_object_get(json_object_get(json_object_get(def, "notify"), "templates"), t->event);
	timefmt_jst_text(ev->at, when);
	snprintf(url, sizeof url, "%s/%s/status", p->public_base_url, ev->tenant);
	vars = json_pack("{s:s,s:s,s:s,s:s}", "title", jsonio_str(def, "title", ""),
			 "receipt_no", ev->receipt_no, "at", when, "status_url", url);
	if (mail_render(jsonio_str(own, "lead", t->lead), vars, &lead) != MAIL_OK ||
	    json_object_set_new(vars, "lead", json_string(lead)) != 0 ||
	    mail_render(jsonio_str(own, "subject", t->subject), vars, &subject) != MAIL_OK ||
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

/* The email of ev for the application it names, if its procedure sends one: the
 * stored answers and the version of the definition they were made with. */
int
notify_enqueue_event(struct db *db, const struct portald *p, const struct notify_event *ev)
{
	json_t *def = NULL, *answers = NULL;
	sqlite3_stmt *st;
	char err[64];
	int rc = 0;

	st = db_stmt(db, "SELECT procedure_id, procedure_version, answers FROM applications "
			 "WHERE receipt_no = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ev->receipt_no, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char proc[CATALOGUE_ID_MAX + 1];
		long long version = sqlite3_column_int64(st, 1);

		snprintf(proc, sizeof proc, "%s", sqlite3_column_text(st, 0));
		answers = jsonio_parse((const char *)sqlite3_column_text(st, 2),
				       (size_t)sqlite3_column_bytes(st, 2), 8 << 20,
				       JSONIO_MAX_DEPTH, err, sizeof err);
		sqlite3_reset(st);
		def = catalogue_get_version(db, proc, version);
	} else {
		sqlite3_reset(st);
	}
	if (def != NULL && answers != NULL)
		rc = notify_enqueue(db, p, def, answers, ev);
	json_decref(def);
	json_decref(answers);
	return rc;
}

/* --- the sender ------------------------------------------------------------------ */

struct mailer {
	struct mail_sender *sender;
	const char **names;		/* the tenants', for the sender's log */
};

int
mailer_start(struct mailer **out, struct portald *p, const struct mail_smtp_config *smtp,
	     char *err, size_t errlen)
{
	struct mailer *m = calloc(1, sizeof *m);
	size_t n = smtp->url ? p->tenants.n : 0, i;
	struct db **dbs = calloc(n ? n : 1, sizeof *dbs);
	char path[PATH_MAX];

	*out = NULL;
	if (m == NULL || dbs == NULL || (m->names = calloc(n ? n : 1, sizeof *m->names)) == NULL) {
		snprintf(err, errlen, "mailer: out of memory");
		goto fail;
	}
	/* The sender's own connections: see notify.h. */
	for (i = 0; i < n; i++) {
		m->names[i] = p->tenants.t[i].name;
		if (tenant_db_path(p->db_dir, p->tenants.t[i].name, path, sizeof path) != 0 ||
		    db_open(&dbs[i], path, 0, portal_db_migrations, portal_db_nmigrations, err,
			    errlen) != 0)
			goto fail;
	}
	if (mail_sender_start(&m->sender, smtp, dbs, m->names, n, NOTIFY_INTERVAL_MS,
			      NOTIFY_PRUNE_AFTER, err, errlen) != 0) {
		dbs = NULL;	/* the sender closed them */
		goto fail;
	}
	*out = m;
	return 0;
fail:
	for (i = 0; dbs && i < n; i++)
		db_close(dbs[i]);
	free(dbs);
	if (m != NULL)
		free(m->names);
	free(m);
	return -1;
}

void
mailer_stop(struct mailer *m)
{
	if (m == NULL)
		return;
	mail_sender_stop(m->sender);
	free(m->names);
	free(m);
}
