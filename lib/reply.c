/*
 * reply.c — the reply document of reply.h.
 *
 * The text is the applicant's own words and reaches a clerk's screen: it is bounded
 * here, in characters, and refused (never cleaned) when it holds a control
 * character, so what staff read is exactly what the applicant sent.
 */
#include "reply.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "csvio.h"
#include "jsonio.h"
#include "tenant.h"
#include "timefmt.h"

int
reply_receipt_valid(const char *s)
{
	size_t n = 0;

	for (; s != NULL && s[n]; n++)
		if (n >= REPLY_RECEIPT_MAX ||
		    !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= 'a' && s[n] <= 'z') || s[n] == '-'))
			return 0;
	return n > 0;
}

int
reply_text_check(const char *text, char *err, size_t errlen)
{
	size_t chars = 0;

	if (text == NULL || text[0] == '\0') {
		snprintf(err, errlen, "回答の内容を入力してください。");
		return -1;
	}
	if (!csvio_utf8_valid(text, strlen(text))) {
		snprintf(err, errlen, "回答の内容に使えない文字が含まれています。");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7F) {
			snprintf(err, errlen, "回答の内容に使えない文字（制御文字）が含まれています。");
			return -1;
		}
		if ((*p & 0xC0) != 0x80 && ++chars > REPLY_TEXT_MAX) {
			snprintf(err, errlen, "回答の内容は %d 文字以内で入力してください。",
				 REPLY_TEXT_MAX);
			return -1;
		}
	}
	return 0;
}

int
reply_bundle_id(const char *tenant, const char *receipt, long long reply_no, char *out,
		size_t len)
{
	int n;

	if (!tenant_name_valid(tenant) || !reply_receipt_valid(receipt) || reply_no < 1 ||
	    reply_no > REPLY_MAX_PER_APP)
		return -1;
	n = snprintf(out, len, "reply-%s-%s-%lld", tenant, receipt, reply_no);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

json_t *
reply_doc_new(const char *tenant, const char *receipt, long long reply_no, const char *text,
	      const char *submitted_at)
{
	char err[128];
	time_t t;

	if (!tenant_name_valid(tenant) || !reply_receipt_valid(receipt) || reply_no < 1 ||
	    reply_no > REPLY_MAX_PER_APP || reply_text_check(text, err, sizeof err) != 0 ||
	    submitted_at == NULL || timefmt_parse_rfc3339(submitted_at, &t) != 0)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "format", REPLY_FORMAT, "tenant", tenant,
			 "receipt_no", receipt, "reply_no", (json_int_t)reply_no, "text", text,
			 "submitted_at", submitted_at);
}

int
reply_doc_check(const json_t *doc, const char *tenant, long long *reply_no, char *err,
		size_t errlen)
{
	static const char *const members[] = {
		"format", "tenant", "receipt_no", "reply_no", "text", "submitted_at", NULL,
	};
	const char *key, *const *m;
	const json_t *v;
	char why[128];
	time_t t;

	if (!json_is_object(doc)) {
		snprintf(err, errlen, "data/reply.json is not an object");
		return -1;
	}
	json_object_foreach((json_t *)doc, key, v) {
		for (m = members; *m && strcmp(*m, key) != 0; m++)
			;
		if (*m == NULL) {
			snprintf(err, errlen, "data/reply.json has an unknown member %.40s", key);
			return -1;
		}
	}
	if (strcmp(jsonio_str(doc, "format", ""), REPLY_FORMAT) != 0) {
		snprintf(err, errlen, "data/reply.json is not %s", REPLY_FORMAT);
		return -1;
	}
	if (tenant == NULL || strcmp(jsonio_str(doc, "tenant", ""), tenant) != 0) {
		snprintf(err, errlen, "data/reply.json is not for tenant %s", tenant ? tenant : "?");
		return -1;
	}
	if (!reply_receipt_valid(jsonio_str(doc, "receipt_no", NULL))) {
		snprintf(err, errlen, "data/reply.json has no valid receipt_no");
		return -1;
	}
	if (!json_is_integer(json_object_get(doc, "reply_no")) ||
	    jsonio_int(doc, "reply_no", 1, REPLY_MAX_PER_APP, reply_no) != 0) {
		snprintf(err, errlen, "data/reply.json: reply_no is not 1..%d", REPLY_MAX_PER_APP);
		return -1;
	}
	if (reply_text_check(jsonio_str(doc, "text", NULL), why, sizeof why) != 0) {
		snprintf(err, errlen, "data/reply.json: the text is refused: %s", why);
		return -1;
	}
	if (timefmt_parse_rfc3339(jsonio_str(doc, "submitted_at", ""), &t) != 0) {
		snprintf(err, errlen, "data/reply.json: submitted_at is not a time");
		return -1;
	}
	return 0;
}
