/*
 * timefmt.h — instants as text: RFC 3339 on the wire, Japanese for people.
 *
 * Definitions made by staff and messages on the downlink carry times as RFC 3339
 * ("2026-04-01T09:00:00+09:00" or "...Z"); the database keeps Unix seconds; citizens
 * read Japan time (日本標準時, UTC+9 all year: Japan has no daylight saving time, so no
 * time-zone database is consulted and a container without one behaves the same).
 */
#ifndef SEKISHO_TIMEFMT_H
#define SEKISHO_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TIMEFMT_JST_OFFSET (9 * 3600)
#define TIMEFMT_LEN 64	/* enough for every format below */

/* Parse "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM"/"-HH:MM" (a real calendar
 * date, year 1900..9999). 0, or -1 if s is not exactly that. */
int timefmt_parse_rfc3339(const char *s, time_t *out);

/* "2026-11-22T03:00:00Z" */
void timefmt_utc(time_t t, char out[TIMEFMT_LEN]);
/* "2026-11-22T12:00:00+09:00" */
void timefmt_jst_rfc3339(time_t t, char out[TIMEFMT_LEN]);
/* "2026年11月22日 12時00分" */
void timefmt_jst_text(time_t t, char out[TIMEFMT_LEN]);
/* "20261122": the Japan-time calendar day, for day-numbered receipt numbers. */
void timefmt_jst_day(time_t t, char out[TIMEFMT_LEN]);

#endif
