/*
 * staff_notify.c — the new-application email to staff, enqueued with the import.
 */
#include "staff_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonio.h"
#include "log.h"
#include "mail.h"
#include "mail_outbox.h"

static const char subject_template[] = "【新着申請】{{title}}（到達番号 {{receipt_no}}）";

static const char body_template[] =
	"電子申請で、次の申請が届きました。\n"
	"\n"
	"手続: {{title}}\n"
	"到達番号: {{receipt_no}}\n"
	"担当部署: {{department}}\n"
	"\n"
	"{{where}}\n"
	"\n"
	"このメールには申請の内容を記載していません。内容は職員用画面でご確認ください。\n"
	"このメールは関所（電子申請）から自動で送信しています。\n";

int
staff_notify_check(const json_t *addresses, json_t **out, char *why, size_t whylen)
{
	const json_t *a;
	size_t i;

	*out = NULL;
	if (addresses != NULL && !json_is_null(addresses) && !json_is_array(addresses)) {
		snprintf(why, whylen, "通知先のメールアドレス（staff_notify）は一覧（配列）で指定してください。");
		return 1;
	}
	if (json_array_size(addresses) > STAFF_NOTIFY_MAX) {
		snprintf(why, whylen, "通知先のメールアドレスは %d 件までです。", STAFF_NOTIFY_MAX);
		return 1;
	}
	json_array_foreach(addresses, i, a) {
		if (!json_is_string(a) || !mail_address_valid(json_string_value(a))) {
			snprintf(why, whylen, "通知先のメールアドレスの %zu 件目が正しくありません。", i + 1);
			return 1;
		}
	}
	*out = addresses && json_is_array(addresses) ? json_deep_copy(addresses) : json_array();
	return *out == NULL ? -1 : 0;
}

int
staff_notify_arrival(struct db *db, const char *addresses, const struct staff_arrival *a)
{
	char err[64], where[512], *subject = NULL, *body = NULL;
	json_t *list, *vars;
	const json_t *to;
	size_t i;
	int rc = 0;

	if (addresses == NULL ||
	    (list = jsonio_parse(addresses, strlen(addresses), 64 * 1024, 4, err, sizeof err)) == NULL)
		return 0;
	if (json_array_size(list) == 0) {
		json_decref(list);
		return 0;
	}
	if (a->staff_base_url[0] != '\0')
		snprintf(where, sizeof where, "申請の詳細（ログインが必要です）:\n%s/application.html?t=%s&r=%s",
			 a->staff_base_url, a->tenant, a->receipt_no ? a->receipt_no : "");
	else
		snprintf(where, sizeof where, "職員用画面の「申請の一覧」でご確認ください。");
	vars = json_pack("{s:s,s:s,s:s,s:s}", "title", a->title ? a->title : "",
			 "receipt_no", a->receipt_no ? a->receipt_no : "",
			 "department", a->department && a->department[0] ? a->department : "（未設定）",
			 "where", where);
	if (vars == NULL || mail_render(subject_template, vars, &subject) != MAIL_OK ||
	    mail_render(body_template, vars, &body) != MAIL_OK) {
		/* A template bug must not stop the import: the application matters more. */
		log_err("application %s: cannot render the staff email", a->receipt_no);
		goto out;
	}
	json_array_foreach(list, i, to) {
		struct mail_message m = { .to = json_string_value(to), .subject = subject, .body = body };

		if (m.to == NULL || !mail_address_valid(m.to))
			continue;
		if (mail_outbox_enqueue(db, &m, time(NULL), NULL) == MAIL_EDB) {
			rc = -1;
			break;
		}
	}
out:
	free(subject);
	free(body);
	json_decref(vars);
	json_decref(list);
	return rc;
}
