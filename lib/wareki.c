/*
 * wareki.c — era names and Gregorian day arithmetic.
 *
 * Dates are converted to a day count (days since 1970-01-01, proleptic Gregorian)
 * for every comparison and addition, so there is one place where leap years are
 * decided and no month arithmetic done by hand elsewhere. The era table is the only
 * thing to change when a new era begins.
 */
#include "wareki.h"

#include <stdio.h>
#include <string.h>

struct era {
	const char *name;	/* 令和 */
	char letter;		/* R */
	int y, m, d;		/* first day */
};

/* Newest first, so the first era whose start is on or before a date is its era. */
static const struct era eras[] = {
	{ "令和", 'R', 2019, 5, 1 },
	{ "平成", 'H', 1989, 1, 8 },
	{ "昭和", 'S', 1926, 12, 25 },
	{ "大正", 'T', 1912, 7, 30 },
	{ "明治", 'M', 1868, 1, 25 },
};
#define NERAS (sizeof(eras) / sizeof(eras[0]))

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
wareki_days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return mdays[m - 1] + (m == 2 && leap(y));
}

bool
wareki_valid_date(int y, int m, int d)
{
	return y >= WAREKI_YEAR_MIN && y <= WAREKI_YEAR_MAX && d >= 1 &&
	       d <= wareki_days_in_month(y, m);
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
long
wareki_days(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
wareki_from_days(long days, int *y, int *m, int *d)
{
	long z = days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int
wareki_add(int *y, int *m, int *d, int years, int months, long days)
{
	long total = (long)*y * 12 + (*m - 1) + (long)years * 12 + months;
	long ny = total / 12, dd;
	int nm = (int)(total % 12) + 1, nd, dim;

	if (total < 0 || ny < WAREKI_YEAR_MIN || ny > WAREKI_YEAR_MAX)
		return -1;
	dim = wareki_days_in_month((int)ny, nm);
	nd = *d > dim ? dim : *d;
	if (days < -4000000L || days > 4000000L)	/* past years 1..9999 either way */
		return -1;
	dd = wareki_days((int)ny, nm, nd) + days;
	if (dd < wareki_days(WAREKI_YEAR_MIN, 1, 1) || dd > wareki_days(WAREKI_YEAR_MAX, 12, 31))
		return -1;
	wareki_from_days(dd, y, m, d);
	return 0;
}

static const struct era *
era_of(int y, int m, int d)
{
	long t = wareki_days(y, m, d);

	for (size_t i = 0; i < NERAS; i++)
		if (t >= wareki_days(eras[i].y, eras[i].m, eras[i].d))
			return &eras[i];
	return NULL;
}

int
wareki_format(int y, int m, int d, char *buf, size_t len)
{
	const struct era *e;
	int n, ey;

	if (!wareki_valid_date(y, m, d) || (e = era_of(y, m, d)) == NULL)
		return -1;
	ey = y - e->y + 1;
	if (ey == 1)
		n = snprintf(buf, len, "%s元年%d月%d日", e->name, m, d);
	else
		n = snprintf(buf, len, "%s%d年%d月%d日", e->name, ey, m, d);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Read 1..4 ASCII digits at *p into *v. */
static int
digits(const char **p, int *v)
{
	int n = 0, x = 0;

	while (**p >= '0' && **p <= '9' && n < 4) {
		x = x * 10 + (**p - '0');
		(*p)++, n++;
	}
	if (n == 0 || (**p >= '0' && **p <= '9'))
		return -1;
	*v = x;
	return 0;
}

int
wareki_parse(const char *s, int *y, int *m, int *d)
{
	const struct era *e = NULL;
	const char *p = s;
	int ey, mm, dd, gy;
	bool kanji = false;
	size_t i;

	for (i = 0; i < NERAS && e == NULL; i++) {
		size_t nl = strlen(eras[i].name);

		if (strncmp(p, eras[i].name, nl) == 0) {
			e = &eras[i], p += nl, kanji = true;
		} else if (*p == eras[i].letter || *p == eras[i].letter + ('a' - 'A')) {
			e = &eras[i], p++;
		}
	}
	if (e == NULL)
		return -1;
	if (kanji && strncmp(p, "元", strlen("元")) == 0) {
		ey = 1;
		p += strlen("元");
	} else if (digits(&p, &ey) != 0)
		return -1;
	if (kanji) {
		if (strncmp(p, "年", strlen("年")) != 0)
			return -1;
		p += strlen("年");
	} else if (*p == '.' || *p == '/' || *p == '-')
		p++;
	else
		return -1;
	if (digits(&p, &mm) != 0)
		return -1;
	if (kanji) {
		if (strncmp(p, "月", strlen("月")) != 0)
			return -1;
		p += strlen("月");
	} else if (*p == '.' || *p == '/' || *p == '-')
		p++;
	else
		return -1;
	if (digits(&p, &dd) != 0)
		return -1;
	if (kanji) {
		if (strncmp(p, "日", strlen("日")) != 0)
			return -1;
		p += strlen("日");
	}
	if (*p != '\0' || ey < 1)
		return -1;
	gy = e->y + ey - 1;
	if (!wareki_valid_date(gy, mm, dd) || era_of(gy, mm, dd) != e)
		return -1;
	*y = gy, *m = mm, *d = dd;
	return 0;
}
