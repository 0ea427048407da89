/*
 * test_scanproc.c — libclamav in a process of its own: the scanner runs confined
 * and holds nothing of its parent's; a scanner that dies is replaced and the scans
 * it had in hand are answered all the same; one that hangs is killed and the file
 * refused, never passed; one that cannot start says why; and the parent believes
 * no reply that is not exactly the expected shape.
 *
 * (The verdicts themselves — EICAR, limits, encryption, reload — are test_scan.c's,
 * which runs every one of them on both kinds of scanner.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <valgrind/valgrind.h>

#include "fsio.h"
#include "scan.h"
#include "scanproc.h"

#define TEST_DB "tests/clamav"
#define MARKER "SEKISHO-TEST-MALWARE-MARKER"

static int
memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("scan", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static enum scan_verdict
verdict_of(struct scanner *s, const char *text)
{
	struct scan_result r;
	int fd = memfd_with(text, strlen(text));

	assert_int_equal(scan_fd(s, fd, &r), 0);
	close(fd);
	return r.verdict;
}

static struct scanner *
spawn(unsigned scantime_ms)
{
	struct scan_limits lim;
	struct scanner *s = NULL;
	char err[512];

	scan_limits_default(&lim);
	if (scantime_ms > 0)
		lim.max_scantime_ms = scantime_ms;
	if (scan_spawn(&s, TEST_DB, &lim, err, sizeof err) != 0)
		fail_msg("scan_spawn: %s", err);
	return s;
}

static pid_t
scanner_pid(struct scanner *s, unsigned *starts, int *abi)
{
	pid_t pid;

	assert_int_equal(scan_process_info(s, &pid, starts, abi), 0);
	return pid;
}

/* The value of field in /proc/pid/status, as a number (-1: not there). */
static long
proc_status(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* The process's name, as ps shows it. */
static const char *
proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static int
count_fds(pid_t pid)
{
	char path[64], cmd[128];
	FILE *p;
	int n = -1;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	snprintf(cmd, sizeof cmd, "ls %s | wc -l", path);
	assert_non_null(p = popen(cmd, "r"));
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void
test_the_scanner_runs_confined_with_nothing_of_ours(void **state)
{
	struct scanner *s;
	char comm[32];
	unsigned starts;
	int abi, leaked;
	long kernel_abi;
	pid_t pid;

	(void)state;
	/* A descriptor of ours that is not close-on-exec must not reach it. */
	assert_true((leaked = open("/etc/passwd", O_RDONLY)) >= 0);
	s = spawn(0);
	close(leaked);
	pid = scanner_pid(s, &starts, &abi);
	assert_true(pid > 0);
	assert_int_equal(starts, 1);
	assert_int_equal(proc_status(pid, "NoNewPrivs"), 1);
	assert_string_equal(proc_comm(pid, comm, sizeof comm), SCANPROC_PROGRAM);	/* for ps */
	assert_int_equal(proc_status(pid, "Seccomp"), 2);
	assert_int_equal(count_fds(pid), 4);	/* stdin, stdout, stderr, the connection */
	/* Valgrind knows no Landlock call, so it cannot ask the kernel for us; the
	 * scanner itself runs natively (it is exec'd) either way. */
	if (!RUNNING_ON_VALGRIND) {
		kernel_abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u);
		assert_int_equal(abi, kernel_abi > 0 ? kernel_abi : 0);
	}
	assert_int_equal(verdict_of(s, MARKER), SCAN_INFECTED);
	scan_close(s);
	/* Closed: the scanner is gone and reaped. */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void
test_a_killed_scanner_is_replaced(void **state)
{
	struct scanner *s = spawn(0);
	unsigned starts;
	int abi;
	pid_t first, second;

	(void)state;
	assert_int_equal(verdict_of(s, "住民票の写し\n"), SCAN_CLEAN);
	first = scanner_pid(s, &starts, &abi);
	assert_int_equal(kill(first, SIGKILL), 0);
	assert_int_equal(verdict_of(s, MARKER), SCAN_INFECTED);
	second = scanner_pid(s, &starts, &abi);
	assert_true(second > 0);
	assert_true(second != first);
	assert_int_equal(starts, 2);
	scan_close(s);
}

/* The main thread asks for a reload every minute: with no scanner alive that must
 * not start one (seconds of loading with a full database, on the thread that
 * keeps the watchdog); the next file's scanner reads the database as it is. */
static void
test_a_reload_starts_no_scanner(void **state)
{
	struct scanner *s = spawn(0);
	unsigned starts;
	int abi;

	(void)state;
	assert_int_equal(kill(scanner_pid(s, &starts, &abi), SIGKILL), 0);
	assert_int_equal(scan_reload(s), 0);	/* finds it gone */
	assert_int_equal(scanner_pid(s, &starts, &abi), 0);
	assert_int_equal(scan_reload(s), 0);	/* none running */
	assert_int_equal(scanner_pid(s, &starts, &abi), 0);
	assert_int_equal(starts, 1);
	assert_int_equal(verdict_of(s, MARKER), SCAN_INFECTED);
	assert_true(scanner_pid(s, &starts, &abi) > 0);
	assert_int_equal(starts, 2);
	scan_close(s);
}

struct scanning {
	struct scanner *s;
	int fd;
	int rounds, infected, other;
};

static void *
scan_repeatedly(void *arg)
{
	struct scanning *t = arg;
	struct scan_result r;
	int i;

	for (i = 0; i < t->rounds; i++) {
		if (scan_fd(t->s, t->fd, &r) == 0 && r.verdict == SCAN_INFECTED)
			t->infected++;
		else
			t->other++;
	}
	return NULL;
}

/* A 4 MiB file with the marker at its end: long enough to be in hand when the
 * scanner is killed. */
static int
big_marked_file(void)
{
	size_t n = 4u << 20;
	char *p = malloc(n);
	int fd;

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 13) % 26);
	memcpy(p + n - strlen(MARKER) - 1, MARKER "\n", strlen(MARKER) + 1);
	fd = memfd_with(p, n);
	free(p);
	return fd;
}

static void
test_scans_in_hand_when_the_scanner_dies_are_answered(void **state)
{
	struct scanner *s = spawn(0);
	struct scanning t[2];
	pthread_t tid[2];
	struct timespec pause = { 0, 30 * 1000 * 1000 };
	unsigned starts;
	int abi, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		t[i] = (struct scanning){ .s = s, .fd = big_marked_file(), .rounds = 8 };
		assert_int_equal(pthread_create(&tid[i], NULL, scan_repeatedly, &t[i]), 0);
	}
	nanosleep(&pause, NULL);
	assert_int_equal(kill(scanner_pid(s, &starts, &abi), SIGKILL), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(t[i].infected, 8);
		assert_int_equal(t[i].other, 0);
		/* The offset is where it was: the file was read whole each time. */
		assert_int_equal(lseek(t[i].fd, 0, SEEK_CUR), 0);
		close(t[i].fd);
	}
	scanner_pid(s, &starts, &abi);
	assert_int_equal(starts, 2);
	scan_close(s);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_a_hung_scanner_is_killed_and_the_file_refused(void **state)
{
	struct scanner *s = spawn(200);	/* waited for 2 x 200 ms + 1 s at most */
	struct scan_result r;
	struct timespec t0;
	unsigned starts;
	int abi, fd;
	pid_t hung;

	(void)state;
	hung = scanner_pid(s, &starts, &abi);
	assert_int_equal(kill(hung, SIGSTOP), 0);
	fd = memfd_with("住民票の写し\n", strlen("住民票の写し\n"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(scan_fd(s, fd, &r), 0);
	close(fd);
	assert_int_equal(r.verdict, SCAN_ERROR);	/* refused, never clean */
	assert_string_equal(r.name, "scanner did not answer in time");
	assert_true(seconds_since(&t0) < 10.0);
	assert_int_equal(kill(hung, 0), -1);		/* killed and reaped */
	assert_int_equal(verdict_of(s, "住民票の写し\n"), SCAN_CLEAN);
	scanner_pid(s, &starts, &abi);
	assert_int_equal(starts, 2);
	scan_close(s);
}

struct mixed {
	struct scanner *s;
	int wrong;
};

static void *
scan_mixed(void *arg)
{
	struct mixed *m = arg;
	int i;

	for (i = 0; i < 12; i++) {
		int marked = i % 2;
		enum scan_verdict v = verdict_of(m->s, marked ? "x " MARKER : "氏名,住所\n");

		if (v != (marked ? SCAN_INFECTED : SCAN_CLEAN))
			m->wrong++;
	}
	return NULL;
}

static void
test_many_threads_scan_at_once(void **state)
{
	struct scanner *s = spawn(0);
	struct mixed m[6];
	pthread_t tid[6];
	unsigned starts;
	int abi, i;

	(void)state;
	for (i = 0; i < 6; i++) {
		m[i] = (struct mixed){ .s = s };
		assert_int_equal(pthread_create(&tid[i], NULL, scan_mixed, &m[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(m[i].wrong, 0);
	}
	scanner_pid(s, &starts, &abi);
	assert_int_equal(starts, 1);
	scan_close(s);
}

static void
test_a_scanner_that_cannot_start_says_why(void **state)
{
	struct scanproc *p = NULL;
	struct scan_limits lim;
	char dir[64], path[128], err[512];
	FILE *f;

	(void)state;
	scan_limits_default(&lim);
	err[0] = '\0';
	assert_true(scanproc_start(&p, "/nonexistent/sekisho-scanner", TEST_DB, &lim, err,
	    sizeof err) < 0);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/sekisho-scanner"));

	/* A program that exits at once, as a scanner that crashes while loading. */
	assert_true(scanproc_start(&p, "/bin/true", TEST_DB, &lim, err, sizeof err) < 0);
	assert_non_null(strstr(err, "exited"));

	snprintf(dir, sizeof dir, "/tmp/test_scanproc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/broken.ndb", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("not a signature\n", f);
	assert_int_equal(fclose(f), 0);
	assert_true(scanproc_start(&p, NULL, dir, &lim, err, sizeof err) < 0);
	assert_non_null(strstr(err, "refused"));
	fsio_remove_tree(dir);
}

static void
test_replies_are_believed_only_in_their_exact_shape(void **state)
{
	struct scanproc_reply good, r;
	struct scan_result res;
	uint8_t buf[sizeof good + 1];

	(void)state;
	memset(&good, 0, sizeof good);
	good.magic = SCANPROC_MAGIC;
	good.verdict = SCAN_INFECTED;
	good.signatures = 3;
	snprintf(good.name, sizeof good.name, "Sekisho.Test.Marker.UNOFFICIAL");
	assert_int_equal(scanproc_reply_decode(&good, sizeof good, &r, &res), 0);
	assert_int_equal(res.verdict, SCAN_INFECTED);
	assert_string_equal(res.name, "Sekisho.Test.Marker.UNOFFICIAL");

	memcpy(buf, &good, sizeof good);
	assert_int_equal(scanproc_reply_decode(buf, sizeof good - 1, &r, &res), -EPROTO);
	assert_int_equal(scanproc_reply_decode(buf, sizeof good + 1, &r, &res), -EPROTO);
	r = good;
	r.magic ^= 1;
	assert_int_equal(scanproc_reply_decode(&r, sizeof r, &r, &res), -EPROTO);
	r = good;
	r.verdict = SCAN_ERROR + 1;
	assert_int_equal(scanproc_reply_decode(&r, sizeof r, &r, &res), -EPROTO);
	r = good;
	r.rc = 2;
	assert_int_equal(scanproc_reply_decode(&r, sizeof r, &r, &res), -EPROTO);
	/* A name without its terminator is cut, not read past. */
	r = good;
	memset(r.name, 'A', sizeof r.name);
	assert_int_equal(scanproc_reply_decode(&r, sizeof r, &r, &res), 0);
	assert_int_equal(strlen(res.name), SCAN_NAME_MAX - 1);
}

static void
test_a_hello_is_checked_before_anything_is_loaded(void **state)
{
	struct scanproc_hello h;

	(void)state;
	memset(&h, 0, sizeof h);
	h.magic = SCANPROC_MAGIC;
	h.op = SCANPROC_OP_HELLO;
	h.max_filesize = h.max_scansize = 1 << 20;
	h.max_scantime_ms = 1000;
	snprintf(h.dbdir, sizeof h.dbdir, "/var/lib/clamav");
	snprintf(h.tmpdir, sizeof h.tmpdir, "/tmp/sekisho-scan.x");
	assert_int_equal(scanproc_hello_check(&h, sizeof h), 0);
	assert_int_equal(scanproc_hello_check(&h, sizeof h - 1), -EPROTO);
	h.dbdir[0] = 'v';			/* relative */
	assert_int_equal(scanproc_hello_check(&h, sizeof h), -EPROTO);
	h.dbdir[0] = '/';
	memset(h.tmpdir, 'x', sizeof h.tmpdir);	/* unterminated */
	h.tmpdir[0] = '/';
	assert_int_equal(scanproc_hello_check(&h, sizeof h), -EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_scanner_runs_confined_with_nothing_of_ours),
		cmocka_unit_test(test_a_killed_scanner_is_replaced),
		cmocka_unit_test(test_a_reload_starts_no_scanner),
		cmocka_unit_test(test_scans_in_hand_when_the_scanner_dies_are_answered),
		cmocka_unit_test(test_a_hung_scanner_is_killed_and_the_file_refused),
		cmocka_unit_test(test_many_threads_scan_at_once),
		cmocka_unit_test(test_a_scanner_that_cannot_start_says_why),
		cmocka_unit_test(test_replies_are_believed_only_in_their_exact_shape),
		cmocka_unit_test(test_a_hello_is_checked_before_anything_is_loaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
