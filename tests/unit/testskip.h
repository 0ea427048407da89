/*
 * testskip.h — a test that confines a child skips under valgrind (3.19), which
 * implements neither seccomp(2) nor Landlock's calls: the child could not be
 * confined, so it would never get to behave or misbehave. Include after cmocka.h.
 */
#ifndef SEKISHO_TESTSKIP_H
#define SEKISHO_TESTSKIP_H

#include <valgrind/valgrind.h>

/* Under valgrind: mark the running test skipped and return 1 (the test returns). */
static inline int
testskip_under_valgrind(void)
{
	if (RUNNING_ON_VALGRIND) {
		skip();
		return 1;
	}
	return 0;
}

#endif
