/*
 * office_query.c — periods and times of the staff and linking endpoints (see
 * office_query.h). Japan has no daylight saving time, so a day in Japan is always
 * the 24 hours from 15:00 UTC the day before.
 */
#include "office_query.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wareki.h"

int
office_query_day(const char *day, int plus, char out[TIMEFMT_LEN])
{
	int y, m, d, n = 0;
	struct tm tm = { 0 };

	if (day == NULL || sscanf(day, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || day[n] != '\0' ||
	    n != 10 || !wareki_valid_date(y, m, d))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + plus;
	timefmt_utc(timegm(&tm) - TIMEFMT_JST_OFFSET, out);
	return 0;
}

int
office_query_instant(const char *s, char out[TIMEFMT_LEN])
{
	time_t t;

	if (s != NULL && strlen(s) == 10)
		return office_query_day(s, 0, out);
	if (s == NULL || strlen(s) > 40 || timefmt_parse_rfc3339(s, &t) != 0)
		return -1;
	timefmt_utc(t, out);
	return 0;
}

void
office_query_jst(const char *utc, char out[TIMEFMT_LEN])
{
	time_t t;

	if (utc != NULL && timefmt_parse_rfc3339(utc, &t) == 0)
		timefmt_jst_rfc3339(t, out);
	else
		snprintf(out, TIMEFMT_LEN, "%s", utc ? utc : "");
}
