/*
 * audit_search.h — the audit log (監査ログ) read back by those who check it: 監査者
 * and 管理者 search it by period, staff member (or API key), action and object, and
 * export what they found as CSV. Reading the log is itself logged.
 */
#ifndef SEKISHO_OFFICE_AUDIT_SEARCH_H
#define SEKISHO_OFFICE_AUDIT_SEARCH_H

#include "http.h"

#define AUDIT_SEARCH_PAGE_DEFAULT 100
#define AUDIT_SEARCH_PAGE_MAX     500
#define AUDIT_SEARCH_CSV_MAX      200000	/* rows of one export */
#define AUDIT_SEARCH_TEXT_MAX     256		/* bytes of a filter value */

/* GET .../staff/audit?since=&until=&actor=&action=&target=&limit=&before=
 * → {entries: [...], next_before}, newest first. action ending in "." matches
 * every action it starts ("login."); target matches as a substring. */
void office_handle_audit_search(struct http_request *req, void *app);
/* The same filter as CSV (encoding=utf-8|cp932), oldest first. */
void office_handle_audit_csv(struct http_request *req, void *app);

#endif
