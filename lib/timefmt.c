/*
 * timefmt.c — RFC 3339 in and out, Japan time for display.
 *
 * Parsing is by hand, digit by digit, because sscanf's %d accepts signs, spaces and
 * short fields, and strptime depends on the locale; a definition's time must be
 * exactly one spelling or be refused.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

static bool
digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

int
timefmt_parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	struct tm tm;
	size_t len;

	if (s == NULL || (len = strlen(s)) < 20)
		return -1;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		return -1;
	if (len == 20 && (s[19] == 'Z' || s[19] == 'z')) {
		sign = 0;
	} else if (len == 25 && (s[19] == '+' || s[19] == '-') && digits(s + 20, 2, &oh) &&
		   s[22] == ':' && digits(s + 23, 2, &om)) {
		sign = s[19] == '+' ? 1 : -1;
	} else {
		return -1;
	}
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

static void
split(time_t t, long offset, struct tm *tm)
{
	time_t shifted = t + offset;

	gmtime_r(&shifted, tm);
}

void
timefmt_utc(time_t t, char out[TIMEFMT_LEN])
{
	struct tm tm;

	split(t, 0, &tm);
	strftime(out, TIMEFMT_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
timefmt_jst_rfc3339(time_t t, char out[TIMEFMT_LEN])
{
	struct tm tm;

	split(t, TIMEFMT_JST_OFFSET, &tm);
	strftime(out, TIMEFMT_LEN, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
}

void
timefmt_jst_text(time_t t, char out[TIMEFMT_LEN])
{
	struct tm tm;

	split(t, TIMEFMT_JST_OFFSET, &tm);
	snprintf(out, TIMEFMT_LEN, "%d年%d月%d日 %d時%02d分", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

void
timefmt_jst_day(time_t t, char out[TIMEFMT_LEN])
{
	struct tm tm;

	split(t, TIMEFMT_JST_OFFSET, &tm);
	strftime(out, TIMEFMT_LEN, "%Y%m%d", &tm);
}
