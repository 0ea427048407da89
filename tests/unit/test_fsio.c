/*
 * test_fsio.c — whole-buffer I/O and atomic replacement, the one place every module
 * gets them from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "testutil.h"

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-fsio-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
test_atomic_write_replaces_and_sets_mode(void **state)
{
	struct fixture *f = *state;
	char path[128], buf[16];
	struct stat st;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof path, "%s/cert.pem", f->dir);
	assert_int_equal(fsio_write_atomic(path, "old", 3, 0600), 0);
	assert_int_equal(fsio_write_atomic(path, "newer", 5, 0644), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_non_null(fp = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "newer", 5);
	assert_int_equal(count_entries(f->dir), 1);	/* no temporary file left */
}

static void
test_atomic_write_into_missing_dir_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof path, "%s/nodir/file", f->dir);
	errno = 0;
	assert_int_equal(fsio_write_atomic(path, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries(f->dir), 0);
}

static void
test_positioned_io_round_trips_and_short_file_is_eio(void **state)
{
	struct fixture *f = *state;
	char path[128], buf[8];
	int fd;

	snprintf(path, sizeof path, "%s/data", f->dir);
	assert_true((fd = open(path, O_RDWR | O_CREAT, 0600)) >= 0);
	assert_int_equal(fsio_write_all(fd, "abcd", 4), 0);
	assert_int_equal(fsio_pwrite_all(fd, "XY", 2, 6), 0);	/* leaves a hole at 4..5 */
	assert_int_equal(fsio_pread_all(fd, buf, 8, 0), 0);
	assert_memory_equal(buf, "abcd\0\0XY", 8);
	errno = 0;
	assert_int_equal(fsio_pread_all(fd, buf, 4, 6), -1);	/* only 2 bytes there */
	assert_int_equal(errno, EIO);
	close(fd);
}

static void
test_fsync_parent_of_relative_absolute_and_missing_paths(void **state)
{
	struct fixture *f = *state;
	char path[128];

	assert_int_equal(fsio_fsync_parent("relative-name"), 0);	/* "." */
	assert_int_equal(fsio_fsync_parent("/etc"), 0);		/* "/" */
	snprintf(path, sizeof path, "%s/x", f->dir);
	assert_int_equal(fsio_fsync_parent(path), 0);
	errno = 0;
	assert_int_equal(fsio_fsync_dir("/nonexistent/sekisho"), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_atomic_write_replaces_and_sets_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_into_missing_dir_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positioned_io_round_trips_and_short_file_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_parent_of_relative_absolute_and_missing_paths, setup, teardown),
	};
	return cmocka_run_group_tests_name("fsio", tests, NULL, NULL);
}
