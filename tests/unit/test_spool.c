/*
 * test_spool.c — the spool's promises: an item is in exactly one place, put is
 * idempotent by id, claims come oldest first, a crash loses nothing, and bad ids
 * never reach the file system.
 *
 * A crash is simulated by closing the spool without finishing (what a killed
 * process leaves behind) and opening it again as the replacement consumer would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"
#include "testmount.h"
#include "testutil.h"

struct fixture {
	char dir[64];		/* mkdtemp; the spool is dir/spool */
	char root[96];
	struct spool s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_spool.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->root, sizeof(f->root), "%s/spool", f->dir);
	if (spool_open(&f->s, f->root, true) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	spool_close(&f->s);
	chmod(f->root, 0700);
	assert_int_equal(testmount_undo(f->root), 0);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
sub_path(const struct fixture *f, const char *sub, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s/%s", f->root, sub, name);

	assert_true(n > 0 && (size_t)n < len);
}

static int
count_in(const struct fixture *f, const char *sub)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", f->root, sub);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
exists_in(const struct fixture *f, const char *sub, const char *name)
{
	char path[256];
	struct stat st;

	sub_path(f, sub, name, path, sizeof(path));
	return lstat(path, &st) == 0;
}

/* Set an entry's mtime to now - age seconds (plus nsec), to order items. */
static void
age_entry(const struct fixture *f, const char *sub, const char *name, time_t age, long nsec)
{
	char path[256];
	struct timespec ts[2];

	sub_path(f, sub, name, path, sizeof(path));
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = nsec;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void
read_item(const char *path, char *buf, size_t len, size_t *got)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len);
	assert_true(n >= 0);
	*got = (size_t)n;
	close(fd);
}

/* --- ids ---------------------------------------------------------------------- */

static void
test_bad_ids_refused(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char long_id[SPOOL_ID_MAX + 2];
	const char *bad[] = {
		"", "../x", "..", ".", ".hidden", "a/b", "/abs", "x/", "sp ace",
		"tab\t", "nl\n", "semi;colon", "star*", "q?", "back\\slash",
		"\xe9t\xe9", "\xe3\x81\x82", "\x7f", "\x01", "%2e%2e", "a:b", "~user",
	};
	size_t i;

	memset(long_id, 'a', SPOOL_ID_MAX + 1);
	long_id[SPOOL_ID_MAX + 1] = '\0';	/* 129 characters */

	assert_int_equal(spool_valid_id(NULL), 0);
	assert_int_equal(spool_valid_id(long_id), 0);
	assert_int_equal(spool_put(&f->s, long_id, "x", 1), SPOOL_EBADID);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spool_valid_id(bad[i]), 0);
		assert_int_equal(spool_put(&f->s, bad[i], "x", 1), SPOOL_EBADID);
	}
	/* Ids are checked where they are used, not only where items enter. */
	memset(&item, 0, sizeof(item));
	strcpy(item.id, "../new/x");
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_EBADID);
	assert_int_equal(spool_return(&f->s, &item), SPOOL_EBADID);
	assert_int_equal(count_in(f, "new") + count_in(f, "tmp"), 0);
}

static void
test_good_ids_accepted(void **state)
{
	char max_id[SPOOL_ID_MAX + 1];
	const char *good[] = { "a", "A", "0", "a..b", "x.json", "2024-06-01_123-abc",
		"-", "_", "a-", "ABCxyz0123456789._-" };
	size_t i;

	(void)state;
	memset(max_id, 'z', SPOOL_ID_MAX);
	max_id[SPOOL_ID_MAX] = '\0';
	assert_int_equal(spool_valid_id(max_id), 1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(spool_valid_id(good[i]), 1);
}

/* --- put, claim, commit -------------------------------------------------------- */

static void
test_open_creates_layout_and_refuses_missing(void **state)
{
	struct fixture *f = *state;
	struct spool s2;
	char path[256];

	assert_int_equal(count_in(f, "tmp") + count_in(f, "new") + count_in(f, "work") +
	    count_in(f, "done"), 0);
	snprintf(path, sizeof(path), "%s/absent", f->dir);
	assert_int_equal(spool_open(&s2, path, false), -ENOENT);
	assert_int_equal(s2.dirfd, -1);
	/* Opening an existing spool again, with or without create, works. */
	assert_int_equal(spool_open(&s2, f->root, true), 0);
	spool_close(&s2);
	assert_int_equal(spool_open(&s2, f->root, false), 0);
	spool_close(&s2);
	spool_close(&s2);	/* closing twice is harmless */
}

static void
test_open_refuses_too_long_root(void **state)
{
	struct spool s2;
	char *root = malloc(PATH_MAX);

	(void)state;
	assert_non_null(root);
	memset(root, 'a', PATH_MAX - 1);
	root[PATH_MAX - 1] = '\0';
	assert_int_equal(spool_open(&s2, root, true), -ENAMETOOLONG);
	free(root);
}

static void
test_put_claim_commit(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char buf[64], want[256];
	size_t got;

	assert_int_equal(spool_put(&f->s, "app-1", "hello", 5), SPOOL_OK);
	assert_true(exists_in(f, "new", "app-1"));
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "app-1");
	sub_path(f, "work", "app-1", want, sizeof(want));
	assert_string_equal(item.path, want);
	read_item(item.path, buf, sizeof(buf), &got);
	assert_int_equal(got, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);
	assert_true(exists_in(f, "done", "app-1"));
	assert_int_equal(count_in(f, "new") + count_in(f, "work") + count_in(f, "tmp"), 0);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_EMPTY);
}

static void
test_put_empty_item(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	assert_int_equal(spool_put(&f->s, "empty", NULL, 0), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "empty");
}

static void
test_put_is_idempotent_across_new_work_done(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char buf[16];
	size_t got;

	assert_int_equal(spool_put(&f->s, "dup", "first", 5), SPOOL_OK);
	/* in new/ */
	assert_int_equal(spool_put(&f->s, "dup", "second", 6), SPOOL_EXISTS);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	/* in work/ */
	assert_int_equal(spool_put(&f->s, "dup", "third", 5), SPOOL_EXISTS);
	assert_int_equal(count_in(f, "new"), 0);
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);
	/* in done/ */
	assert_int_equal(spool_put(&f->s, "dup", "fourth", 6), SPOOL_EXISTS);
	assert_int_equal(count_in(f, "new"), 0);
	assert_int_equal(count_in(f, "tmp"), 0);
	/* The first content is the one kept. */
	{
		char path[256];

		sub_path(f, "done", "dup", path, sizeof(path));
		read_item(path, buf, sizeof(buf), &got);
		assert_int_equal(got, 5);
		assert_memory_equal(buf, "first", 5);
	}
}

static void
test_claim_takes_oldest(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	assert_int_equal(spool_put(&f->s, "c", "c", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "a", "a", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "b", "b", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "z", "z", 1), SPOOL_OK);
	/* b is oldest; a and c share a time, so the id decides; z is newest. */
	age_entry(f, "new", "b", 300, 0);
	age_entry(f, "new", "a", 200, 500);
	age_entry(f, "new", "c", 200, 500);
	age_entry(f, "new", "z", 200, 501);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "b");
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "a");
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "c");
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "z");
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_EMPTY);
	assert_int_equal(count_in(f, "work"), 4);
}

static void
test_claim_ignores_what_is_not_an_item(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char path[256], target[256];
	int fd;

	sub_path(f, "new", ".hidden", path, sizeof(path));
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	sub_path(f, "new", "subdir", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	sub_path(f, "new", "link", path, sizeof(path));
	snprintf(target, sizeof(target), "/etc/passwd");
	assert_int_equal(symlink(target, path), 0);
	sub_path(f, "new", "bad name", path, sizeof(path));
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);

	assert_int_equal(spool_claim(&f->s, &item), SPOOL_EMPTY);
	assert_int_equal(spool_count_new(&f->s), 0);
	assert_int_equal(count_in(f, "work"), 0);
}

static void
test_return_puts_item_back(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	assert_int_equal(spool_put(&f->s, "retry-me", "x", 1), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_return(&f->s, &item), SPOOL_OK);
	assert_true(exists_in(f, "new", "retry-me"));
	assert_false(exists_in(f, "work", "retry-me"));
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "retry-me");
}

/* The watch reports an item put, and one given back, each once; nothing else. The
 * long timeouts are never waited out when the news is there. */
static void
test_watch_reports_arrivals_in_new(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	int w = spool_watch(&f->s);

	assert_true(w >= 0);
	assert_int_equal(spool_wait(w, 0), 0);		/* nothing yet */
	assert_int_equal(spool_put(&f->s, "arrives", "x", 1), SPOOL_OK);
	assert_int_equal(spool_wait(w, 10000), 1);
	assert_int_equal(spool_wait(w, 0), 0);		/* drained: the news was taken once */
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_wait(w, 0), 0);		/* a claim is no arrival */
	assert_int_equal(spool_return(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_wait(w, 10000), 1);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_wait(w, 0), 0);		/* nor is a commit */
	close(w);
}

static void
test_watch_of_a_spool_without_new_fails(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/new", f->root);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(spool_watch(&f->s), -ENOENT);
}

/* Without a watch, a consumer's wait is a sleep: its loop must not spin. */
static void
test_wait_without_a_watch_sleeps_the_timeout(void **state)
{
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(spool_wait(-1, 50), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 50);
}

static void
test_commit_never_overwrites_done(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char path[256];
	int fd;

	assert_int_equal(spool_put(&f->s, "twin", "x", 1), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	sub_path(f, "done", "twin", path, sizeof(path));
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_int_equal(spool_commit(&f->s, &item), -EEXIST);
	assert_true(exists_in(f, "work", "twin"));
}

static void
test_commit_of_unclaimed_item_fails(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	memset(&item, 0, sizeof(item));
	strcpy(item.id, "never-claimed");
	assert_int_equal(spool_commit(&f->s, &item), -ENOENT);
	assert_int_equal(spool_return(&f->s, &item), -ENOENT);
}

/* --- streamed items ---------------------------------------------------------- */

static void
test_publish_streamed_item(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char tmp[PATH_MAX], buf[8192], back[8192];
	size_t got, i;
	int fd;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 31);
	fd = spool_tmp_open(&f->s, tmp, sizeof(tmp));
	assert_true(fd >= 0);
	assert_int_equal(strncmp(tmp, f->root, strlen(f->root)), 0);
	assert_int_equal(count_in(f, "tmp"), 1);
	for (i = 0; i < sizeof(buf); i += 1024)
		assert_int_equal(write(fd, buf + i, 1024), 1024);
	/* Not visible to consumers while being written. */
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_EMPTY);
	/* A producer that made its file private (bridge-rx's reassembly does): the item
	 * is still readable by the consuming daemon's group once published. */
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(spool_publish(&f->s, fd, tmp, "upload-7"), SPOOL_OK);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "upload-7");
	{
		struct stat st;

		assert_int_equal(stat(item.path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0640);
	}
	read_item(item.path, back, sizeof(back), &got);
	assert_int_equal(got, sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
}

static void
test_publish_duplicate_or_bad_id_removes_tmp(void **state)
{
	struct fixture *f = *state;
	char tmp[PATH_MAX];
	int fd;

	assert_int_equal(spool_put(&f->s, "once", "x", 1), SPOOL_OK);
	assert_true((fd = spool_tmp_open(&f->s, tmp, sizeof(tmp))) >= 0);
	assert_int_equal(write(fd, "y", 1), 1);
	assert_int_equal(spool_publish(&f->s, fd, tmp, "once"), SPOOL_EXISTS);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_true((fd = spool_tmp_open(&f->s, tmp, sizeof(tmp))) >= 0);
	assert_int_equal(spool_publish(&f->s, fd, tmp, "../escape"), SPOOL_EBADID);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 1);
}

static void
test_publish_refuses_path_outside_tmp(void **state)
{
	struct fixture *f = *state;
	char tmp[PATH_MAX], other[PATH_MAX];
	int fd;

	assert_true((fd = spool_tmp_open(&f->s, tmp, sizeof(tmp))) >= 0);
	snprintf(other, sizeof(other), "%s/new/../tmp/x", f->root);
	assert_int_equal(spool_publish(&f->s, fd, other, "ok-id"), -EINVAL);
	assert_int_equal(count_in(f, "new"), 0);
	/* The caller still owns its tmp file and can discard it. */
	spool_tmp_discard(&f->s, -1, tmp);
	assert_int_equal(count_in(f, "tmp"), 0);
}

static void
test_tmp_discard_removes_file(void **state)
{
	struct fixture *f = *state;
	char tmp[PATH_MAX];
	int fd;

	assert_true((fd = spool_tmp_open(&f->s, tmp, sizeof(tmp))) >= 0);
	assert_int_equal(write(fd, "partial", 7), 7);
	spool_tmp_discard(&f->s, fd, tmp);
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 0);
}

/* --- crash and recovery -------------------------------------------------------- */

static void
test_recover_returns_work_items_to_new(void **state)
{
	struct fixture *f = *state;
	struct spool_item a, b;

	assert_int_equal(spool_put(&f->s, "w1", "1", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "w2", "2", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "w3", "3", 1), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &a), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &b), SPOOL_OK);
	assert_int_equal(spool_recover(&f->s), 2);
	assert_int_equal(count_in(f, "work"), 0);
	assert_int_equal(count_in(f, "new"), 3);
	assert_int_equal(spool_count_new(&f->s), 3);
	assert_int_equal(spool_recover(&f->s), 0);
}

static void
test_recover_removes_stale_tmp_only(void **state)
{
	struct fixture *f = *state;
	char stale[PATH_MAX], fresh[PATH_MAX];
	const char *name;
	int fd1, fd2;

	assert_true((fd1 = spool_tmp_open(&f->s, stale, sizeof(stale))) >= 0);
	assert_true((fd2 = spool_tmp_open(&f->s, fresh, sizeof(fresh))) >= 0);
	close(fd1);
	name = strrchr(stale, '/') + 1;
	age_entry(f, "tmp", name, 2 * 24 * 3600, 0);
	assert_int_equal(spool_recover(&f->s), 0);
	assert_false(exists_in(f, "tmp", name));
	/* A producer still writing keeps its file and can publish it. */
	assert_true(exists_in(f, "tmp", strrchr(fresh, '/') + 1));
	assert_int_equal(spool_publish(&f->s, fd2, fresh, "late"), SPOOL_OK);
}

static void
test_crash_between_claim_and_commit_loses_nothing(void **state)
{
	struct fixture *f = *state;
	struct spool_item item, seen[3];
	char buf[16];
	size_t got;
	int i, n = 0;

	assert_int_equal(spool_put(&f->s, "p1", "one", 3), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "p2", "two", 3), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "p3", "three", 5), SPOOL_OK);
	age_entry(f, "new", "p1", 30, 0);
	age_entry(f, "new", "p2", 20, 0);
	age_entry(f, "new", "p3", 10, 0);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "p1");
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);	/* p2 finished */
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);	/* p3 in flight */

	/* The consumer dies: nothing more is called on this spool. */
	spool_close(&f->s);

	/* Its replacement starts. */
	assert_int_equal(spool_open(&f->s, f->root, false), 0);
	assert_int_equal(spool_recover(&f->s), 2);
	/* Producers retrying after the crash change nothing. */
	assert_int_equal(spool_put(&f->s, "p1", "one", 3), SPOOL_EXISTS);
	assert_int_equal(spool_put(&f->s, "p2", "two", 3), SPOOL_EXISTS);
	while (spool_claim(&f->s, &seen[n]) == SPOOL_OK) {
		assert_true(n < 2);
		n++;
	}
	assert_int_equal(n, 2);
	/* Oldest first still, and the bytes intact. */
	assert_string_equal(seen[0].id, "p1");
	assert_string_equal(seen[1].id, "p3");
	read_item(seen[1].path, buf, sizeof(buf), &got);
	assert_int_equal(got, 5);
	assert_memory_equal(buf, "three", 5);
	for (i = 0; i < n; i++)
		assert_int_equal(spool_commit(&f->s, &seen[i]), SPOOL_OK);
	/* Each item in exactly one place. */
	assert_int_equal(count_in(f, "done"), 3);
	assert_int_equal(count_in(f, "new") + count_in(f, "work") + count_in(f, "tmp"), 0);
}

static void
test_crash_while_streaming_leaves_no_item(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char tmp[PATH_MAX];
	int fd;

	assert_true((fd = spool_tmp_open(&f->s, tmp, sizeof(tmp))) >= 0);
	assert_int_equal(write(fd, "half", 4), 4);
	close(fd);			/* producer dies before publishing */
	spool_close(&f->s);
	assert_int_equal(spool_open(&f->s, f->root, false), 0);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_EMPTY);
	/* The producer retries from scratch; the id is free. */
	assert_int_equal(spool_put(&f->s, "stream", "whole", 5), SPOOL_OK);
}

/* Two consumer processes drain one spool at once: every item is claimed by
 * exactly one of them, and ends in done/ exactly once. */
static int
drain(const char *root)
{
	struct spool s;
	struct spool_item item;
	int n = 0, r;

	if (spool_open(&s, root, false) != 0)
		return -1;
	while ((r = spool_claim(&s, &item)) == SPOOL_OK) {
		if (spool_commit(&s, &item) != SPOOL_OK) {
			n = -1;
			break;
		}
		n++;
	}
	if (r != SPOOL_EMPTY && r != SPOOL_OK)
		n = -1;
	spool_close(&s);
	return n;
}

static void
test_concurrent_consumers_claim_each_item_once(void **state)
{
	struct fixture *f = *state;
	char id[32];
	pid_t pid;
	int i, status, mine, theirs;

	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "c%03d", i);
		assert_int_equal(spool_put(&f->s, id, id, strlen(id)), SPOOL_OK);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int n = drain(f->root);

		_exit(n < 0 ? 255 : n);
	}
	mine = drain(f->root);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	theirs = WEXITSTATUS(status);
	assert_true(mine >= 0 && theirs != 255);
	assert_int_equal(mine + theirs, 200);
	assert_int_equal(count_in(f, "done"), 200);
	assert_int_equal(count_in(f, "new") + count_in(f, "work"), 0);
}

/* --- housekeeping ---------------------------------------------------------- */

static void
test_finish_id_moves_from_work_or_new_to_done(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	assert_int_equal(spool_put(&f->s, "sent", "a", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "waiting", "b", 1), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, "sent");
	/* The receipt for a claimed item, then for one still in new/ (after a restart). */
	assert_int_equal(spool_finish_id(&f->s, "sent"), SPOOL_OK);
	assert_int_equal(spool_finish_id(&f->s, "waiting"), SPOOL_OK);
	assert_true(exists_in(f, "done", "sent"));
	assert_true(exists_in(f, "done", "waiting"));
	assert_false(exists_in(f, "work", "sent"));
	assert_false(exists_in(f, "new", "waiting"));
	/* A receipt for something never sent, or already finished, changes nothing. */
	assert_int_equal(spool_finish_id(&f->s, "unknown"), SPOOL_EMPTY);
	assert_int_equal(spool_finish_id(&f->s, "sent"), SPOOL_EMPTY);
	assert_int_equal(spool_finish_id(&f->s, "../x"), SPOOL_EBADID);
}

/* --- attempts ----------------------------------------------------------------- */

/* A consumer that crashes on an item sees the count grow across its restarts, and
 * loses it only when the item is finished. */
static void
test_attempts_count_across_crashes_until_commit(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	int i;

	assert_false(exists_in(f, ".", "tries"));	/* made by the first count only */
	assert_int_equal(spool_put(&f->s, "poison", "p", 1), SPOOL_OK);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
		assert_int_equal(spool_attempt(&f->s, &item), i);
		/* The consumer dies on it; its replacement recovers the spool. */
		spool_close(&f->s);
		assert_int_equal(spool_open(&f->s, f->root, false), 0);
		assert_int_equal(spool_recover(&f->s), 1);
	}
	/* A transient failure's spool_return keeps the count as well. */
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_attempt(&f->s, &item), 4);
	assert_int_equal(spool_return(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_attempt(&f->s, &item), 5);
	assert_true(exists_in(f, "tries", "poison"));
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);
	assert_false(exists_in(f, "tries", "poison"));
	assert_int_equal(count_in(f, "tries"), 0);	/* no temporary file left either */

	/* The same id after pruning starts again from 1; finish_id forgets too. */
	assert_int_equal(spool_prune_done(&f->s, 0), 1);
	assert_int_equal(spool_put(&f->s, "poison", "p", 1), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_attempt(&f->s, &item), 1);
	assert_int_equal(spool_finish_id(&f->s, "poison"), SPOOL_OK);
	assert_false(exists_in(f, "tries", "poison"));
	assert_int_equal(spool_attempt(&f->s, &(struct spool_item){ .id = "../x" }), SPOOL_EBADID);
}

/* A count that is not one (a torn or foreign file) reads as none; a count whose item
 * went some other way is pruned with done/, one whose item still waits is kept. */
static void
test_attempts_garbage_reads_as_none_and_orphans_are_pruned(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char path[256];
	FILE *fp;

	assert_int_equal(spool_put(&f->s, "waiting", "w", 1), SPOOL_OK);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_attempt(&f->s, &item), 1);
	sub_path(f, "tries", "waiting", path, sizeof(path));
	assert_non_null(fp = fopen(path, "w"));
	fputs("99999999999999999999 and then some", fp);
	fclose(fp);
	assert_int_equal(spool_attempt(&f->s, &item), 1);

	sub_path(f, "tries", "gone", path, sizeof(path));
	assert_non_null(fp = fopen(path, "w"));
	fputs("2\n", fp);
	fclose(fp);
	age_entry(f, "tries", "gone", 8 * 24 * 3600, 0);
	age_entry(f, "tries", "waiting", 8 * 24 * 3600, 0);
	assert_int_equal(spool_prune_done(&f->s, 7 * 24 * 3600), 0);
	assert_false(exists_in(f, "tries", "gone"));
	assert_true(exists_in(f, "tries", "waiting"));	/* its item is in work/ */
}

static void
test_prune_done_by_age(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	assert_int_equal(spool_put(&f->s, "old", "o", 1), SPOOL_OK);
	assert_int_equal(spool_put(&f->s, "recent", "r", 1), SPOOL_OK);
	while (spool_claim(&f->s, &item) == SPOOL_OK)
		assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);
	age_entry(f, "done", "old", 8 * 24 * 3600, 0);
	assert_int_equal(spool_prune_done(&f->s, 7 * 24 * 3600), 1);
	assert_false(exists_in(f, "done", "old"));
	assert_true(exists_in(f, "done", "recent"));
	/* Idempotency lasts until pruning: after it the id may enter again. */
	assert_int_equal(spool_put(&f->s, "recent", "r", 1), SPOOL_EXISTS);
	assert_int_equal(spool_put(&f->s, "old", "o", 1), SPOOL_OK);
	assert_int_equal(spool_prune_done(&f->s, -1), -EINVAL);
	assert_int_equal(spool_prune_done(&f->s, 0), 1);
}

static void
test_commit_starts_the_done_clock(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;

	/* Written long ago, finished now: kept for the full period from now. */
	assert_int_equal(spool_put(&f->s, "slow", "s", 1), SPOOL_OK);
	age_entry(f, "new", "slow", 30 * 24 * 3600, 0);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_prune_done(&f->s, 7 * 24 * 3600), 0);
	assert_true(exists_in(f, "done", "slow"));
}

static void
test_count_new(void **state)
{
	struct fixture *f = *state;
	struct spool_item item;
	char id[32];
	int i;

	assert_int_equal(spool_count_new(&f->s), 0);
	for (i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "item-%02d", i);
		assert_int_equal(spool_put(&f->s, id, id, strlen(id)), SPOOL_OK);
	}
	assert_int_equal(spool_count_new(&f->s), 25);
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_int_equal(spool_count_new(&f->s), 24);
}

static void
test_check_writable(void **state)
{
	struct fixture *f = *state;
	char path[256];

	assert_int_equal(spool_check_writable(&f->s), 0);
	assert_int_equal(count_in(f, "tmp"), 0);
	if (geteuid() == 0)
		return;		/* root writes through any mode */
	snprintf(path, sizeof(path), "%s/tmp", f->root);
	assert_int_equal(chmod(path, 0500), 0);
	assert_int_equal(spool_check_writable(&f->s), -EACCES);
	assert_int_equal(chmod(path, 0700), 0);
}


/* An upload the HTTP layer streamed to its own directory becomes an item: a rename
 * where both are on one mount, a copy where they are not (under systemd, portald's
 * uploads/ and the intake spool are two bind mounts). */
static void
adopt_one(struct fixture *f, const char *id)
{
	struct spool_item item;
	char up[160], back[100];
	size_t got;
	FILE *fp;

	snprintf(up, sizeof up, "%s/uploads", f->dir);
	if (mkdir(up, 0700) != 0)
		assert_int_equal(errno, EEXIST);
	snprintf(up, sizeof up, "%s/uploads/part-%s", f->dir, id);
	assert_non_null(fp = fopen(up, "w"));
	fprintf(fp, "contents of %s", id);
	fclose(fp);
	assert_int_equal(spool_adopt(&f->s, up, id), SPOOL_OK);
	assert_int_equal(access(up, F_OK), -1);		/* the original is gone */
	assert_int_equal(count_in(f, "tmp"), 0);	/* and no copy is left half-way */
	assert_int_equal(spool_claim(&f->s, &item), SPOOL_OK);
	assert_string_equal(item.id, id);
	read_item(item.path, back, sizeof back, &got);
	assert_int_equal(got, strlen("contents of ") + strlen(id));
	assert_memory_equal(back + strlen("contents of "), id, strlen(id));
	assert_int_equal(spool_commit(&f->s, &item), SPOOL_OK);

	/* The same id again: refused, and the producer still has its file. */
	assert_non_null(fp = fopen(up, "w"));
	fclose(fp);
	assert_int_equal(spool_adopt(&f->s, up, id), SPOOL_EXISTS);
	assert_int_equal(access(up, F_OK), 0);
	assert_int_equal(unlink(up), 0);
}

static void
test_adopt_within_and_across_mounts(void **state)
{
	struct fixture *f = *state;
	char probe[160], into[256];
	int fd;

	adopt_one(f, "upload-same-mount");

	/* The spool on a mount of its own, opened afresh (its directory descriptors
	 * must be the new mount's), and rename(2) from uploads/ now says EXDEV. */
	spool_close(&f->s);
	if (testmount_apart(f->root, false) != 0) {
		assert_int_equal(spool_open(&f->s, f->root, false), 0);
		skip();
	}
	assert_int_equal(spool_open(&f->s, f->root, false), 0);
	snprintf(probe, sizeof probe, "%s/probe", f->dir);
	assert_true((fd = open(probe, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	sub_path(f, "new", "probe", into, sizeof into);
	errno = 0;
	assert_int_equal(rename(probe, into), -1);	/* the case under test is real */
	assert_int_equal(errno, EXDEV);
	assert_int_equal(unlink(probe), 0);
	adopt_one(f, "upload-across");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bad_ids_refused),
		T(test_good_ids_accepted),
		T(test_open_creates_layout_and_refuses_missing),
		T(test_open_refuses_too_long_root),
		T(test_put_claim_commit),
		T(test_put_empty_item),
		T(test_put_is_idempotent_across_new_work_done),
		T(test_claim_takes_oldest),
		T(test_claim_ignores_what_is_not_an_item),
		T(test_return_puts_item_back),
		T(test_watch_reports_arrivals_in_new),
		T(test_watch_of_a_spool_without_new_fails),
		T(test_wait_without_a_watch_sleeps_the_timeout),
		T(test_commit_never_overwrites_done),
		T(test_commit_of_unclaimed_item_fails),
		T(test_publish_streamed_item),
		T(test_publish_duplicate_or_bad_id_removes_tmp),
		T(test_publish_refuses_path_outside_tmp),
		T(test_tmp_discard_removes_file),
		T(test_recover_returns_work_items_to_new),
		T(test_recover_removes_stale_tmp_only),
		T(test_crash_between_claim_and_commit_loses_nothing),
		T(test_crash_while_streaming_leaves_no_item),
		T(test_concurrent_consumers_claim_each_item_once),
		T(test_attempts_count_across_crashes_until_commit),
		T(test_attempts_garbage_reads_as_none_and_orphans_are_pruned),
		T(test_prune_done_by_age),
		T(test_finish_id_moves_from_work_or_new_to_done),
		T(test_commit_starts_the_done_clock),
		T(test_count_new),
		T(test_check_writable),
		T(test_adopt_within_and_across_mounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
