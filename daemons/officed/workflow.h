/*
 * workflow.h — the states of an application (申請) on LGWAN and which changes are
 * legal: one table, consulted by every endpoint that changes a status, so that the
 * list of buttons a clerk sees and what the server accepts cannot disagree.
 *
 * The main line is 到達 → 受付 → 審査 → 結果通知発行 → 完了. A procedure may use a
 * subset of the steps (its "workflow" list, kept in officed's procedures table);
 * going forward always goes to the next step the procedure uses, so a procedure of
 * 到達 → 受付 → 完了 goes from 受付 straight to 完了. Beside the line:
 *   補正 (correction)  from 受付/審査; back to 審査 (or 受付 if unused) when the
 *                      applicant's reply is imported (office_replies.h), or by
 *                      staff action;
 *   保留 (held)        from 到達/受付/審査/結果通知発行; back to 受付 or 審査;
 *   差戻 (returned)    from 到達/受付/保留; final (the applicant applies anew);
 *   却下 (rejected)    from 受付/審査/保留/補正; final.
 * 完了, 差戻 and 却下 are final: nothing leaves them.
 *
 * The codes are the status values of docs/catalogue-format.md ("status" bundles),
 * which the internet zone shows the applicant.
 */
#ifndef SEKISHO_OFFICE_WORKFLOW_H
#define SEKISHO_OFFICE_WORKFLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum workflow_status {
	WF_ARRIVED = 0,		/* 到達 */
	WF_ACCEPTED,		/* 受付 */
	WF_REVIEW,		/* 審査 */
	WF_CORRECTION,		/* 補正 */
	WF_HELD,		/* 保留 */
	WF_RETURNED,		/* 差戻 */
	WF_RESULT,		/* 結果通知発行 */
	WF_COMPLETED,		/* 完了 */
	WF_REJECTED,		/* 却下 */
	WF_NSTATUS,
};

#define WF_BIT(s)	(1u << (s))
/* Every step: what a procedure without its own list uses. */
#define WF_ALL		((1u << WF_NSTATUS) - 1)
/* Steps every procedure has: an application arrives and can be completed. */
#define WF_REQUIRED	(WF_BIT(WF_ARRIVED) | WF_BIT(WF_COMPLETED))
#define WF_MESSAGE_MAX	2000	/* characters of a message to the applicant */

/* The status of code ("arrived", ...), or -1. */
int workflow_parse(const char *code);

/* The code of a status ("arrived") and its Japanese name (到達); "?" if out of range. */
const char *workflow_code(int status);
const char *workflow_label(int status);

/* The label of the button that moves an application to status (「受付する」). */
const char *workflow_action_label(int status);

/* 1 if status is final (完了, 差戻, 却下). */
int workflow_final(int status);

/* The set of statuses (WF_BIT mask) an application in from may move to, given the
 * procedure's used set (WF_REQUIRED is always added). 0 for a final state. */
unsigned workflow_targets(int from, unsigned used);

/* 1 if from → to is legal for a procedure using used. */
int workflow_allowed(int from, int to, unsigned used);

/* Where an application in 補正 goes when the applicant's reply arrives: 審査, else
 * 受付, else the first step after 到達 the procedure uses (a legal target of 補正). */
int workflow_resume(unsigned used);

/* 1 if moving to status needs a message for the applicant (補正, 差戻, 却下). */
int workflow_needs_message(int status);

/* A procedure's "workflow" list (JSON array of codes; NULL: every step) as a used
 * mask. 0, or -1 with a Japanese reason in err (unknown code, duplicates). */
int workflow_parse_list(const json_t *list, unsigned *used, char *err, size_t errlen);

/* The used mask as a JSON array of codes in table order (new reference). */
json_t *workflow_list_json(unsigned used);

/* 「現在の状態（到達）から「完了」には変更できません。」 into buf. */
void workflow_refusal(int from, int to, char *buf, size_t len);

#endif
