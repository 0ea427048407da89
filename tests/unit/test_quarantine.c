/*
 * test_quarantine.c — a refused file is kept with its reason, moved or linked.
 */
#define _GNU_SOURCE	/* testmount.h: unshare */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "quarantine.h"
#include "testmount.h"
#include "testutil.h"

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The first line of the file at path is want. */
static void
assert_file_says(const char *path, const char *want)
{
	char line[64];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, want);
}

static void
test_move_and_link_keep_the_file_with_its_reason(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-q-XXXXXX", src[128], dst[PATH_MAX], buf[64];

	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/incoming", dir);
	put(src, "hostile");
	assert_int_equal(quarantine_keep(dir, "b1.bundle", src, QUARANTINE_LINK,
					 "bad signature", dst, sizeof dst), 0);
	assert_int_equal(access(src, F_OK), 0);	/* linked: the original stays */
	/* Linking again (a retry after a crash) is not an error. */
	assert_int_equal(quarantine_keep(dir, "b1.bundle", src, QUARANTINE_LINK, NULL, dst,
					 sizeof dst), 0);
	assert_int_equal(quarantine_keep(dir, "b2.bundle", src, QUARANTINE_MOVE, "hash", dst,
					 sizeof dst), 0);
	assert_int_equal(access(src, F_OK), -1);	/* moved */
	assert_non_null(strstr(dst, "/b2.bundle"));
	snprintf(buf, sizeof buf, "%s.reason", dst);
	assert_file_says(buf, "hash\n");
	assert_int_equal(testutil_rmtree(dir), 0);
}

/* The reason is written before the file is placed, so that the file is never seen
 * without it; a file that could not be placed leaves no reason behind, and a move
 * onto a quarantined file's name keeps that file and its reason. */
static void
test_no_reason_without_its_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-q-XXXXXX", src[128], dst[PATH_MAX], note[PATH_MAX + 16];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(quarantine_keep(dir, "gone.bundle", "/nonexistent/sekisho",
					 QUARANTINE_MOVE, "why", dst, sizeof dst), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(note, sizeof note, "%s/gone.bundle.reason", dir);
	assert_int_equal(access(note, F_OK), -1);
	snprintf(src, sizeof src, "%s/incoming", dir);
	put(src, "first");
	assert_int_equal(quarantine_keep(dir, "b.bundle", src, QUARANTINE_MOVE, "signature",
					 dst, sizeof dst), 0);
	put(src, "second");
	assert_int_equal(quarantine_keep(dir, "b.bundle", src, QUARANTINE_MOVE, "hash", dst,
					 sizeof dst), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(src, F_OK), 0);		/* not moved */
	snprintf(note, sizeof note, "%s/b.bundle.reason", dir);
	assert_file_says(note, "signature\n");
	assert_int_equal(testutil_rmtree(dir), 0);
}

static void
test_missing_source_and_overlong_name_fail(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-q-XXXXXX", dst[48];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(quarantine_keep(dir, "x", "/nonexistent/sekisho", QUARANTINE_MOVE,
					 NULL, dst, sizeof dst), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(quarantine_keep(dir, "a-name-much-too-long-for-the-buffer", "/x",
					 QUARANTINE_LINK, NULL, dst, sizeof dst), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(testutil_rmtree(dir), 0);
}


/* quarantine/ is a mount of its own under systemd: the refused file must land there
 * all the same, moved (bridge-rx) or linked (sanitized, officed, portald). */
static void
test_move_and_link_into_another_mount(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-q-XXXXXX", q[64], src[128], dst[PATH_MAX];

	assert_non_null(mkdtemp(dir));
	snprintf(q, sizeof q, "%s/quarantine", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	if (testmount_apart(q, false) != 0) {
		assert_int_equal(testutil_rmtree(dir), 0);
		skip();
	}
	snprintf(src, sizeof src, "%s/incoming", dir);
	put(src, "hostile");
	snprintf(dst, sizeof dst, "%s/probe", q);
	errno = 0;
	assert_int_equal(link(src, dst), -1);	/* the case under test is real */
	assert_int_equal(errno, EXDEV);
	assert_int_equal(quarantine_keep(q, "l.bundle", src, QUARANTINE_LINK, "bad", dst,
					 sizeof dst), 0);
	assert_int_equal(access(src, F_OK), 0);
	assert_int_equal(quarantine_keep(q, "l.bundle", src, QUARANTINE_LINK, NULL, dst,
					 sizeof dst), 0);	/* a retry */
	assert_int_equal(quarantine_keep(q, "m.bundle", src, QUARANTINE_MOVE, "hash", dst,
					 sizeof dst), 0);
	assert_int_equal(access(src, F_OK), -1);
	assert_file_says(dst, "hostile");
	assert_int_equal(testmount_undo(q), 0);
	assert_int_equal(testutil_rmtree(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_move_and_link_keep_the_file_with_its_reason),
		cmocka_unit_test(test_no_reason_without_its_file),
		cmocka_unit_test(test_missing_source_and_overlong_name_fail),
		cmocka_unit_test(test_move_and_link_into_another_mount),
	};
	return cmocka_run_group_tests_name("quarantine", tests, NULL, NULL);
}
