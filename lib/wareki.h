/*
 * wareki.h — the Japanese era calendar (和暦) and the Gregorian date arithmetic that
 * forms need: is a date real, how many days apart, what is "today minus 18 years".
 *
 * Era start dates are the legal ones: 明治 1868-01-25 (the 改元の詔 of 1868-10-23
 * took effect from the first day of 慶応4年, which is 1868-01-25 in the Gregorian
 * calendar), 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08, 令和 2019-05-01.
 * Month and day are shown as Gregorian month and day in every era: Japan kept the
 * lunisolar calendar until 明治5年, and no form here needs dates that old in it.
 */
#ifndef SEKISHO_WAREKI_H
#define SEKISHO_WAREKI_H

#include <stdbool.h>
#include <stddef.h>

#define WAREKI_YEAR_MIN 1	/* the calendar helpers work over years 1..9999 */
#define WAREKI_YEAR_MAX 9999

/* 1 if y-m-d is a real Gregorian date in years 1..9999 (2024-02-29 yes, 2026-02-29 no). */
bool wareki_valid_date(int y, int m, int d);

/* Days in month m of year y (0 if m is not 1..12). */
int wareki_days_in_month(int y, int m);

/* Days from 1970-01-01 to y-m-d (negative before); the date must be valid. */
long wareki_days(int y, int m, int d);

/* The date that is days after 1970-01-01. */
void wareki_from_days(long days, int *y, int *m, int *d);

/* Add years and months (day clamped to the month's end: 2024-02-29 + 1y = 2025-02-28),
 * then days. 0, or -1 if the result leaves years 1..9999. */
int wareki_add(int *y, int *m, int *d, int years, int months, long days);

/* Write "令和8年11月22日" (first year "元年") for a date on or after 1868-01-25.
 * 0, or -1 for an invalid or earlier date or a buffer too small (32 bytes suffice). */
int wareki_format(int y, int m, int d, char *buf, size_t len);

/* Parse "令和8年11月22日", "令和元年5月1日", "R8.11.22", "H31/4/30" (era letters M T S
 * H R, either case). The date must be real and inside the era it names (平成32年 is
 * refused). 0 and the Gregorian date, or -1. */
int wareki_parse(const char *s, int *y, int *m, int *d);

#endif
