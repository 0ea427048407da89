/*
 * office_stats.h — statistics for the staff (統計): applications per procedure per
 * day or month (Japan time), how many of them are completed, and the average time
 * from arrival (到達) to completion (完了). A clerk's figures count only their
 * departments' applications. Form downloads are not recorded anywhere (blank forms
 * are served as static files by the internet zone's lighttpd, and nothing crosses
 * back to count them), so there are no figures for them: docs/staff-guide.md.
 */
#ifndef SEKISHO_OFFICE_STATS_H
#define SEKISHO_OFFICE_STATS_H

#include "http.h"

#define STATS_DAYS_MAX   366	/* period=day: at most one year of days */
#define STATS_MONTHS_MAX 120	/* period=month: at most ten years */
#define STATS_ROWS_MAX   20000	/* (procedure, day) pairs in one answer */

/* GET .../staff/stats?period=day|month&since=&until=&procedure=  → JSON */
void office_handle_stats(struct http_request *req, void *app);
/* The same figures as CSV (encoding=utf-8|cp932). */
void office_handle_stats_csv(struct http_request *req, void *app);

#endif
