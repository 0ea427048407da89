/*
 * test_confine.c — what confine.h promises, checked from inside a confined child:
 * under Landlock it reads only what it was given to read and writes only where it
 * was given to write, the rest of the file system (the keys included) is out of
 * reach, and Landlock refused by a container's filter counts as absent (nothing
 * applied, the caller warns); the seccomp denylist refuses sockets, kills exec when
 * asked to, and kills ptrace always.
 *
 * Each check runs in a forked child, which reports the number of the first check
 * that went wrong as its exit code (0: all as promised), so a failure names the
 * check. Under valgrind (3.19) nothing can be confined — it implements neither
 * seccomp(2) nor Landlock's calls — so those tests skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <seccomp.h>

#include "confine.h"
#include "fsio.h"
#include "testskip.h"

struct dirs {
	char base[64], ro[96], rw[96], other[96];
};


static int
kernel_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u);

	return abi < 0 ? 0 : (int)abi;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char p[160];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
make_dirs(struct dirs *d)
{
	snprintf(d->base, sizeof d->base, "/tmp/test_confine.XXXXXX");
	assert_non_null(mkdtemp(d->base));
	snprintf(d->ro, sizeof d->ro, "%s/db", d->base);
	snprintf(d->rw, sizeof d->rw, "%s/tmp", d->base);
	snprintf(d->other, sizeof d->other, "%s/keys", d->base);
	assert_int_equal(mkdir(d->ro, 0700), 0);
	assert_int_equal(mkdir(d->rw, 0700), 0);
	assert_int_equal(mkdir(d->other, 0700), 0);
	put(d->ro, "main.ndb", "signatures\n");
	put(d->rw, "scratch", "scratch\n");
	put(d->other, "signing.key", "secret\n");
}

/* Runs fn in a child; returns its wait status. */
static int
in_child(int (*fn)(const void *), const void *arg)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static int
open_fails_eacces(const char *dir, const char *name, int flags)
{
	char p[160];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, flags | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EACCES;
}

static int
open_works(const char *dir, const char *name, int flags)
{
	char p[160];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((fd = open(p, flags | O_CLOEXEC, 0600)) < 0)
		return 0;
	close(fd);
	return 1;
}

static int
landlocked(const void *arg)
{
	const struct dirs *d = arg;
	const struct confine_path paths[] = {
		{ d->ro, CONFINE_READ },
		{ d->rw, CONFINE_READ_WRITE },
	};
	char p[160];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    confine_landlock(paths, sizeof paths / sizeof paths[0]) < 1)
		return 1;
	if (!open_works(d->ro, "main.ndb", O_RDONLY))
		return 2;
	if (!open_fails_eacces(d->ro, "main.ndb", O_WRONLY))
		return 3;
	if (!open_fails_eacces(d->ro, "new", O_WRONLY | O_CREAT))
		return 4;
	if (!open_works(d->rw, "scratch", O_RDWR))
		return 5;
	if (!open_works(d->rw, "made", O_WRONLY | O_CREAT | O_EXCL))
		return 6;
	snprintf(p, sizeof p, "%s/made", d->rw);
	if (unlink(p) != 0)
		return 7;
	if (!open_fails_eacces(d->other, "signing.key", O_RDONLY))
		return 8;
	if (!open_fails_eacces(d->other, ".", O_RDONLY | O_DIRECTORY))
		return 9;
	if (!open_fails_eacces("/etc", "passwd", O_RDONLY))
		return 10;
	/* Nor out through a rename of what it may write. */
	snprintf(p, sizeof p, "%s/scratch", d->rw);
	char q[160];
	snprintf(q, sizeof q, "%s/scratch", d->other);
	if (rename(p, q) == 0 || (errno != EACCES && errno != EXDEV))
		return 11;
	return 0;
}

static void
test_landlock_keeps_to_the_paths_given(void **state)
{
	struct dirs d;
	int st;

	(void)state;
	if (testskip_under_valgrind())
		return;
	if (kernel_landlock_abi() < 1) {
		assert_int_equal(confine_landlock(NULL, 0), -EOPNOTSUPP);
		skip();
		return;
	}
	make_dirs(&d);
	st = in_child(landlocked, &d);
	fsio_remove_tree(d.base);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("check %d went wrong (wait status %#x)", WEXITSTATUS(st), st);
}

static void
test_landlock_refuses_a_path_that_is_not_there(void **state)
{
	static const struct confine_path missing[] = { { "/nonexistent/sekisho", CONFINE_READ } };

	(void)state;
	if (testskip_under_valgrind())
		return;
	if (kernel_landlock_abi() < 1) {
		skip();
		return;
	}
	/* In a child: had the rule been skipped, the ruleset would have been applied. */
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		      confine_landlock(missing, 1) == -ENOENT &&
		      open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* As in a container whose filter refuses Landlock (systemd-nspawn's, by default). */
static int
landlock_refused_by_a_filter(const void *arg)
{
	static const struct confine_path any[] = { { "/usr", CONFINE_READ } };
	scmp_filter_ctx ctx;

	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    (ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(landlock_create_ruleset), 0) != 0 ||
	    seccomp_load(ctx) != 0)
		return 1;
	seccomp_release(ctx);
	if (confine_landlock(any, 1) != -EOPNOTSUPP)
		return 2;
	/* Nothing was applied: the rest of the file system is as it was. */
	return open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 3;
}

static void
test_landlock_refused_by_a_filter_counts_as_absent(void **state)
{
	int st;

	(void)state;
	if (testskip_under_valgrind())
		return;
	st = in_child(landlock_refused_by_a_filter, NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("check %d went wrong (wait status %#x)", WEXITSTATUS(st), st);
}

static int
no_sockets_no_exec(const void *arg)
{
	char *const argv[] = { (char *)"true", NULL };

	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || confine_seccomp(CONFINE_NO_EXEC) != 0)
		return 1;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EAFNOSUPPORT)
		return 2;
	if (socket(AF_UNIX, SOCK_SEQPACKET, 0) >= 0 || errno != EAFNOSUPPORT)
		return 3;
	execv("/bin/true", argv);
	return 4;	/* not killed */
}

static void
test_seccomp_refuses_sockets_and_kills_exec(void **state)
{
	int st;

	(void)state;
	if (testskip_under_valgrind())
		return;
	st = in_child(no_sockets_no_exec, NULL);
	if (WIFEXITED(st))
		fail_msg("check %d went wrong", WEXITSTATUS(st));
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static int
unix_sockets_and_exec(const void *arg)
{
	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    confine_seccomp(CONFINE_UNIX_SOCKETS) != 0)
		return 1;
	if (socket(AF_INET6, SOCK_DGRAM, 0) >= 0 || errno != EAFNOSUPPORT)
		return 2;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 3;
	close(fd);
	char *const argv[] = { (char *)"true", NULL };
	execv("/bin/true", argv);	/* exits 0 */
	return 4;
}

static void
test_the_office_cage_keeps_unix_sockets_and_exec(void **state)
{
	int st;

	(void)state;
	if (testskip_under_valgrind())
		return;
	st = in_child(unix_sockets_and_exec, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int
traces(const void *arg)
{
	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || confine_seccomp(0) != 0)
		return 1;
	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return 2;
}

static void
test_ptrace_is_killed(void **state)
{
	int st;

	(void)state;
	if (testskip_under_valgrind())
		return;
	st = in_child(traces, NULL);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_landlock_keeps_to_the_paths_given),
		cmocka_unit_test(test_landlock_refuses_a_path_that_is_not_there),
		cmocka_unit_test(test_landlock_refused_by_a_filter_counts_as_absent),
		cmocka_unit_test(test_seccomp_refuses_sockets_and_kills_exec),
		cmocka_unit_test(test_the_office_cage_keeps_unix_sockets_and_exec),
		cmocka_unit_test(test_ptrace_is_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
