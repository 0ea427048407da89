/*
 * routing.h — which department an application goes to (振り分け).
 *
 * A procedure has a department; its routing rules may send an application
 * elsewhere by one answer: "区域 = 北部 → 北部支所". Rules are office business, kept
 * in officed's procedures row beside the department and never published (portald
 * refuses members it does not know, and the internet has no use for our
 * organisation chart). They name a top-level choice field (select, radio or
 * checkbox) and one of its options, so that a rule can never wait for an answer
 * the form cannot give; the first rule that matches decides. Clerks see only their
 * departments' applications, so routing is also who may see an application.
 */
#ifndef SEKISHO_OFFICE_ROUTING_H
#define SEKISHO_OFFICE_ROUTING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define ROUTING_RULES_MAX 64	/* a town's 地区 fit; more would be a lookup table */

/* Check rules ([{"field", "value", "department" (name) or "department_id"}]) against
 * the procedure definition def and the departments of db. 0 with *out, a new array
 * [{"field", "value", "department_id"}] as stored; 1 with a message for staff
 * (です・ます) in why; -1 on a database error. NULL or [] is no rules. */
int routing_check(struct db *db, const json_t *def, const json_t *rules, json_t **out,
		  char *why, size_t whylen);

/* The department for answers under stored rules (as routing_check made them), or
 * fallback when none matches. */
int64_t routing_pick(const json_t *rules, const json_t *answers, int64_t fallback);

/* Stored rules with each department's name added, for the builder. New reference. */
json_t *routing_describe(struct db *db, const json_t *rules);

#endif
