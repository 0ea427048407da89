/*
 * office_query.h — the pieces of a query string the staff and linking endpoints
 * share: a period given as Japan-time days, stored times shown in Japan time.
 * Stored times are UTC "YYYY-MM-DDTHH:MM:SSZ", which compare as text.
 */
#ifndef SEKISHO_OFFICE_QUERY_H
#define SEKISHO_OFFICE_QUERY_H

#include "timefmt.h"

/* "YYYY-MM-DD" (a day in Japan), plus days, as the stored UTC instant that day
 * starts. 0, or -1 if day is not a real date in that form. */
int office_query_day(const char *day, int plus, char out[TIMEFMT_LEN]);

/* A day as above, or an RFC 3339 instant ("2026-11-22T10:00:00+09:00"), as the
 * stored UTC form. 0 or -1. */
int office_query_instant(const char *s, char out[TIMEFMT_LEN]);

/* A stored UTC time in Japan time (RFC 3339, +09:00); copied as is if unparsable. */
void office_query_jst(const char *utc, char out[TIMEFMT_LEN]);

#endif
