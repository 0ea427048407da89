/*
 * testscan.h — one ClamAV engine for a whole cmocka group. The tests that run the
 * sanitizer pipeline load the repository's test signatures (tests/clamav) once, in
 * the group setup, rather than once per test: loading is the slow part.
 */
#ifndef SEKISHO_TESTSCAN_H
#define SEKISHO_TESTSCAN_H

#include "scan.h"

static struct scanner *group_scanner;	/* the pipeline's c.scanner in every test */

static inline int
testscan_setup_group(void **state)
{
	struct scan_limits lim;

	(void)state;
	scan_limits_default(&lim);
	return scan_open(&group_scanner, "tests/clamav", &lim) == 0 ? 0 : -1;
}

static inline int
testscan_teardown_group(void **state)
{
	(void)state;
	scan_close(group_scanner);
	return 0;
}

#endif
