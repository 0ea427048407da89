/*
 * workflow.c — the transition table of workflow.h.
 *
 * Everything is computed from two lists, the main line and each side state's exits,
 * masked by the steps the procedure uses: there is no second copy of the rules to
 * drift (the staff pages ask the server for the allowed targets, never compute them).
 */
#include "workflow.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *code, *label, *action;
} table[WF_NSTATUS] = {
	[WF_ARRIVED] = { "arrived", "到達", "到達に戻す" },
	[WF_ACCEPTED] = { "accepted", "受付", "受付する" },
	[WF_REVIEW] = { "review", "審査", "審査する" },
	[WF_CORRECTION] = { "correction", "補正", "補正を依頼する" },
	[WF_HELD] = { "held", "保留", "保留にする" },
	[WF_RETURNED] = { "returned", "差戻", "差し戻す" },
	[WF_RESULT] = { "result", "結果通知発行", "結果通知を発行する" },
	[WF_COMPLETED] = { "completed", "完了", "完了にする" },
	[WF_REJECTED] = { "rejected", "却下", "却下する" },
};

static const int main_line[] = { WF_ARRIVED, WF_ACCEPTED, WF_REVIEW, WF_RESULT, WF_COMPLETED };
#define MAIN_N (sizeof main_line / sizeof main_line[0])

static int
valid(int s)
{
	return s >= 0 && s < WF_NSTATUS;
}

int
workflow_parse(const char *code)
{
	for (int i = 0; code != NULL && i < WF_NSTATUS; i++)
		if (strcmp(code, table[i].code) == 0)
			return i;
	return -1;
}

const char *
workflow_code(int status)
{
	return valid(status) ? table[status].code : "?";
}

const char *
workflow_label(int status)
{
	return valid(status) ? table[status].label : "?";
}

const char *
workflow_action_label(int status)
{
	return valid(status) ? table[status].action : "?";
}

int
workflow_final(int status)
{
	return status == WF_COMPLETED || status == WF_RETURNED || status == WF_REJECTED;
}

/* The first step after from on the main line that the procedure uses. */
static unsigned
next_main(int from, unsigned used)
{
	size_t i = 0;

	while (i < MAIN_N && main_line[i] != from)
		i++;
	for (i++; i < MAIN_N; i++)
		if (used & WF_BIT(main_line[i]))
			return WF_BIT(main_line[i]);
	return 0;
}

/* Where a side state (補正, 保留) goes back to: 審査, else 受付, else the first step. */
static unsigned
resume(unsigned used)
{
	if (used & WF_BIT(WF_REVIEW))
		return WF_BIT(WF_REVIEW);
	if (used & WF_BIT(WF_ACCEPTED))
		return WF_BIT(WF_ACCEPTED);
	return next_main(WF_ARRIVED, used);
}

unsigned
workflow_targets(int from, unsigned used)
{
	unsigned t = 0;

	used |= WF_REQUIRED;
	switch (from) {
	case WF_ARRIVED:
		t = next_main(from, used) | WF_BIT(WF_HELD) | WF_BIT(WF_RETURNED);
		break;
	case WF_ACCEPTED:
		t = next_main(from, used) | WF_BIT(WF_CORRECTION) | WF_BIT(WF_HELD) |
		    WF_BIT(WF_RETURNED) | WF_BIT(WF_REJECTED);
		break;
	case WF_REVIEW:
		t = next_main(from, used) | WF_BIT(WF_CORRECTION) | WF_BIT(WF_HELD) |
		    WF_BIT(WF_REJECTED);
		break;
	case WF_RESULT:
		t = next_main(from, used) | WF_BIT(WF_HELD);
		break;
	case WF_CORRECTION:
		t = resume(used) | WF_BIT(WF_REJECTED);
		break;
	case WF_HELD:
		/* Back to where work resumes; 受付 too, for one held before acceptance. */
		t = resume(used) | (used & WF_BIT(WF_ACCEPTED)) | next_main(WF_ARRIVED, used) |
		    WF_BIT(WF_RETURNED) | WF_BIT(WF_REJECTED);
		break;
	default:
		return 0;	/* final, or not a status */
	}
	return t & used;
}

int
workflow_allowed(int from, int to, unsigned used)
{
	return valid(to) && (workflow_targets(from, used) & WF_BIT(to)) != 0;
}

int
workflow_resume(unsigned used)
{
	unsigned t = resume(used | WF_REQUIRED);

	for (int s = 0; s < WF_NSTATUS; s++)
		if (t == WF_BIT(s))
			return s;
	return WF_COMPLETED;	/* unreachable: 完了 is always used */
}

int
workflow_needs_message(int status)
{
	return status == WF_CORRECTION || status == WF_RETURNED || status == WF_REJECTED;
}

int
workflow_parse_list(const json_t *list, unsigned *used, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	*used = WF_ALL;
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > WF_NSTATUS) {
		snprintf(err, errlen, "workflow は状態コードの配列で指定してください。");
		return -1;
	}
	*used = 0;
	json_array_foreach(list, i, v) {
		int s = workflow_parse(json_string_value(v));

		if (s < 0) {
			snprintf(err, errlen, "workflow の %zu 番目は使える状態コードではありません"
				 "（arrived, accepted, review, correction, held, returned, result,"
				 " completed, rejected）。", i + 1);
			return -1;
		}
		if (*used & WF_BIT(s)) {
			snprintf(err, errlen, "workflow に「%s」が重複しています。", table[s].label);
			return -1;
		}
		*used |= WF_BIT(s);
	}
	*used |= WF_REQUIRED;
	return 0;
}

json_t *
workflow_list_json(unsigned used)
{
	json_t *a = json_array();

	for (int i = 0; a != NULL && i < WF_NSTATUS; i++)
		if (used & WF_BIT(i))
			json_array_append_new(a, json_string(table[i].code));
	return a;
}

void
workflow_refusal(int from, int to, char *buf, size_t len)
{
	if (workflow_final(from))
		snprintf(buf, len, "この申請は「%s」で終了しているため、状態を変更できません。",
			 workflow_label(from));
	else
		snprintf(buf, len, "現在の状態（%s）から「%s」には変更できません。",
			 workflow_label(from), workflow_label(to));
}
