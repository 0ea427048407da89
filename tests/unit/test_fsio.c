/*
 * test_fsio.c — whole-buffer I/O and atomic replacement, the one place every module
 * gets them from.
 */
#define _GNU_SOURCE	/* testmount.h: unshare */
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
#include "testmount.h"
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
	char apart[96];

	snprintf(apart, sizeof apart, "%s/apart", f->dir);
	assert_int_equal(testmount_undo(apart), 0);
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


/* f->dir/apart on a mount of its own (tmpfs: another file system, else a bind mount
 * as systemd makes), and f->dir/src holding len bytes of a pattern, mode 0640. The
 * test is skipped where this process may not mount. */
static void
set_up_apart(struct fixture *f, bool tmpfs, size_t len, char *src, char *apart)
{
	unsigned char *data = malloc(len);
	size_t i;
	int fd;

	snprintf(src, 128, "%s/src", f->dir);
	snprintf(apart, 128, "%s/apart", f->dir);
	assert_int_equal(mkdir(apart, 0700), 0);
	if (testmount_apart(apart, tmpfs) != 0) {
		free(data);
		skip();
	}
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	assert_true((fd = open(src, O_WRONLY | O_CREAT | O_EXCL, 0640)) >= 0);
	assert_int_equal(fsio_write_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, 0640), 0);
	close(fd);
	free(data);
}

static void
assert_same_file_content(const char *a, const char *b, size_t len)
{
	char *x = malloc(len + 1), *y = malloc(len + 1);
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	struct stat sa, sb;

	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(fstat(fa, &sa), 0);
	assert_int_equal(fstat(fb, &sb), 0);
	assert_int_equal(sa.st_size, len);
	assert_int_equal(sb.st_size, len);
	assert_int_equal(sa.st_mode & 07777, sb.st_mode & 07777);
	assert_int_equal(fsio_pread_all(fa, x, len, 0), 0);
	assert_int_equal(fsio_pread_all(fb, y, len, 0), 0);
	assert_memory_equal(x, y, len);
	close(fa);
	close(fb);
	free(x);
	free(y);
}

/* What the importer does with a verified bundle under systemd: the inbox and bundles/
 * are two mounts, link(2) says EXDEV, and the bundle must still arrive whole. */
static void
link_across(void **state, bool tmpfs)
{
	struct fixture *f = *state;
	char src[128], apart[128], dst[160];
	const size_t len = 3 * 65536 + 123;	/* more than one pass of the copy loop */

	set_up_apart(f, tmpfs, len, src, apart);
	snprintf(dst, sizeof dst, "%s/bundle.tar", apart);
	errno = 0;
	assert_int_equal(link(src, dst), -1);	/* the case under test is real */
	assert_int_equal(errno, EXDEV);
	assert_int_equal(fsio_link(src, dst), 0);
	assert_same_file_content(src, dst, len);
	assert_int_equal(count_entries(apart), 1);	/* no temporary file left */
	errno = 0;
	assert_int_equal(fsio_link(src, dst), -1);	/* never replaces, as link(2) */
	assert_int_equal(errno, EEXIST);
	assert_int_equal(count_entries(apart), 1);
}

static void
test_link_across_a_bind_mount_copies(void **state)
{
	link_across(state, false);
}

static void
test_link_across_file_systems_copies(void **state)
{
	link_across(state, true);
}

static void
test_move_across_mounts_and_within_one(void **state)
{
	struct fixture *f = *state;
	char src[128], apart[128], dst[160], back[160], keep[160];
	const size_t len = 70000;

	set_up_apart(f, false, len, src, apart);
	snprintf(keep, sizeof keep, "%s/keep", f->dir);
	assert_int_equal(fsio_link(src, keep), 0);	/* same mount: a real link */
	snprintf(dst, sizeof dst, "%s/moved", apart);
	assert_int_equal(fsio_move(src, dst), 0);
	assert_int_equal(access(src, F_OK), -1);
	assert_same_file_content(keep, dst, len);

	/* Within one mount it is a rename, and it never replaces either. */
	snprintf(back, sizeof back, "%s/again", apart);
	assert_int_equal(fsio_move(dst, back), 0);
	assert_int_equal(access(dst, F_OK), -1);
	assert_int_equal(fsio_link(back, dst), 0);
	errno = 0;
	assert_int_equal(fsio_move(back, dst), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(back, F_OK), 0);	/* the source stays where it was */

	/* Across mounts onto an existing name: refused, and the source is kept. */
	errno = 0;
	assert_int_equal(fsio_move(keep, dst), -1);
	assert_int_equal(errno, EEXIST);
	assert_same_file_content(keep, dst, len);
	assert_int_equal(count_entries(apart), 2);
}

static void
test_copy_fd_copies_from_the_start_and_fsyncs(void **state)
{
	struct fixture *f = *state;
	char a[128], b[128];
	int in, out;

	snprintf(a, sizeof a, "%s/a", f->dir);
	snprintf(b, sizeof b, "%s/b", f->dir);
	assert_true((in = open(a, O_RDWR | O_CREAT, 0600)) >= 0);
	assert_int_equal(fsio_write_all(in, "0123456789", 10), 0);	/* position at end */
	assert_true((out = open(b, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(fsio_write_all(out, "head:", 5), 0);
	assert_int_equal(fsio_copy_fd(out, in), 0);
	close(in);
	close(out);
	assert_true((in = open(b, O_RDONLY)) >= 0);
	char buf[16];
	assert_int_equal(read(in, buf, sizeof buf), 15);
	assert_memory_equal(buf, "head:0123456789", 15);
	close(in);
}

/* A tree with a nested directory and a link out of it goes whole; the link's target,
 * outside, stays. */
static void
test_remove_tree_removes_all_and_follows_no_link(void **state)
{
	struct fixture *f = *state;
	char tree[96], sub[128], file[160], link[160], outside[96];

	snprintf(tree, sizeof tree, "%s/tree", f->dir);
	snprintf(sub, sizeof sub, "%s/a/b", tree);
	snprintf(outside, sizeof outside, "%s/outside", f->dir);
	assert_int_equal(mkdir(tree, 0700), 0);
	snprintf(file, sizeof file, "%s/a", tree);
	assert_int_equal(mkdir(file, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof file, "%s/file", sub);
	assert_int_equal(fsio_write_atomic(file, "x", 1, 0600), 0);
	assert_int_equal(fsio_write_atomic(outside, "keep", 4, 0600), 0);
	snprintf(link, sizeof link, "%s/link", sub);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(link, sizeof link, "%s/dirlink", tree);
	assert_int_equal(symlink(f->dir, link), 0);

	fsio_remove_tree(tree);
	assert_int_equal(access(tree, F_OK), -1);
	assert_int_equal(access(outside, F_OK), 0);
	assert_int_equal(count_entries(f->dir), 1);	/* outside, and nothing else */
	fsio_remove_tree(tree);				/* gone already: nothing to do */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_atomic_write_replaces_and_sets_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_into_missing_dir_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positioned_io_round_trips_and_short_file_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_parent_of_relative_absolute_and_missing_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_across_a_bind_mount_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_across_file_systems_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_across_mounts_and_within_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_fd_copies_from_the_start_and_fsyncs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree_removes_all_and_follows_no_link, setup, teardown),
	};
	return cmocka_run_group_tests_name("fsio", tests, NULL, NULL);
}
