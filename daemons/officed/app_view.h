/*
 * app_view.h — an application's answers as the applicant saw them: labels from the
 * definition of the version it was made with, option labels instead of values, dates
 * with their 和暦, groups as numbered items, file fields as the attachments they
 * brought. Pure JSON in, JSON out: no database, no I/O.
 */
#ifndef SEKISHO_OFFICE_APP_VIEW_H
#define SEKISHO_OFFICE_APP_VIEW_H

#include <jansson.h>

#define APP_VIEW_DEPTH_MAX 4	/* groups nest 3 deep (form.h); one more is refused */

/* The answers (normalised, as application.json carries them) rendered with
 * definition (the procedure document, or NULL when officed does not hold it: then
 * each answer is shown under its own name). attachments is [{n, field,
 * display_name}] as stored. Returns a new array of rows:
 *   {"label", "value"}                      a value shown as text
 *   {"heading"}                             a heading of the form
 *   {"label", "items": [[rows], ...]}       a repeatable group
 *   {"label", "files": [{n, display_name}]} a file field
 * NULL on no memory. */
json_t *app_view_answers(const json_t *definition, const json_t *answers,
			 const json_t *attachments);

/* The top-level answers as text by field name ({"kind": "転居", "birth_date":
 * "1990-04-01（平成2年4月1日）", ...}): what a document template merges. Groups, files
 * and headings are left out. A new object; NULL on no memory. */
json_t *app_view_values(const json_t *definition, const json_t *answers);

/* A one-line text of the answers for a CSV cell or a search ("label: value / ..."),
 * new string (free()). NULL on no memory. */
char *app_view_text(const json_t *rows);

#endif
