/*
 * proxyrep.h — the representative of a proxy application (代理申請), checked alike by
 * portald (before it accepts a submission) and the sanitizer (before it signs one).
 *
 * The answers stay the applicant's own form, validated against the office-signed
 * schema; the representative travels beside them as application.proxy, a fixed
 * little form of its own: name, kana, relationship, tel, optional email, and the
 * power of attorney (委任状) as upload ids in "attorney". Both sides validate it with
 * the one form validator (lib/form.h) against the schema built here, so what portald
 * stores is exactly the normal form the sanitizer recomputes.
 */
#ifndef SEKISHO_PROXYREP_H
#define SEKISHO_PROXYREP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "form.h"

#define PROXYREP_NAME_MAX         100	/* code points, name and kana */
#define PROXYREP_RELATIONSHIP_MAX 50	/* 「長男」「成年後見人」... */
#define PROXYREP_ATTORNEY_FILES   3	/* pages of a 委任状 photographed one by one */
#define PROXYREP_ATTORNEY_BYTES   10485760	/* 10 MiB; a literal: it is put in JSON text */

/* The representative's schema; with attorney_required the attorney file is required.
 * 0, or -1 with err. Free with form_schema_free. */
int proxyrep_schema(bool attorney_required, struct form_schema **out, char *err,
		    size_t errlen);

/* Check a submission's proxy (NULL or JSON null: none) against the procedure's
 * "proxy" policy (its definition member, may be NULL). 0: valid, *normalised is the
 * normal form (NULL when there is no proxy). 1: refused, *errors is {path: message}
 * with paths "proxy" or "proxy.<field>". -1: internal failure (err). */
int proxyrep_check(const json_t *policy, const json_t *proxy, json_t **normalised,
		   json_t **errors, char *err, size_t errlen);

#endif
