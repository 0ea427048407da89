/*
 * sandbox.c — a forked child per untrusted parse, confined before it sees a byte.
 *
 * The invariant: fn runs only after every step of confinement has succeeded; if
 * any step fails the child exits with SANDBOX_EXIT_SETUP without calling fn. The
 * order matters and is: descriptors (so nothing inherited leaks), death signal,
 * private directory, rlimits, the caller's prep (which loads trusted data, such as
 * an OCR model, under the rlimits: it may still open files), no_new_privs, then the
 * seccomp filter last, because the steps before it need system calls the filter
 * forbids.
 *
 * The filter is an allowlist of what a decoder needs to compute in memory and
 * write to a pipe. Opening any path fails with EACCES rather than killing the
 * child, because libraries probe for optional files (locale data, gconv modules)
 * and must be allowed to find nothing; ioctl likewise fails with ENOTTY (stdio asks
 * whether /dev/null is a terminal). Everything else unlisted — socket, connect,
 * execve, fork, clone, ptrace, ... — kills the whole process with SIGSYS. The
 * child runs as the sanitizer's user, so it must never be able to open anything:
 * the sanitizer's signing key is readable by that user.
 *
 * The parent never blocks on the child: it polls the pipe and the child's pidfd
 * against one wall-clock deadline, kills with SIGKILL on timeout or once output_max
 * is passed, and always reaps and removes the private directory before returning.
 * The pidfd matters for throughput, not only for tidiness: a child closes its pipe
 * a moment before it becomes a zombie, and a parent that learnt of the exit by
 * looking again every tick lost most of a tick per child. Three children a file
 * made a worker pool on a batch of small files idle a fifth of the time.
 */
#define _GNU_SOURCE		/* pipe2, F_DUPFD_CLOEXEC, close_range */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "deadline.h"
#include "fsio.h"
#include "sandbox.h"

#define SANDBOX_READ_CHUNK	(64u * 1024)
#define SANDBOX_EXIT_POLL_MS	10	/* without a pidfd: how often to look for the exit */
#define SANDBOX_CLOSE_FALLBACK_MAX 65536 /* fds to close when close_range is missing */

void
sandbox_limits_default(struct sandbox_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->as_bytes = 1ull << 30;
	lim->cpu_seconds = 30;
	lim->fsize_bytes = 64ull << 20;
	lim->nofile = 16;
	lim->timeout_ms = 60000;
	lim->output_max = 256u << 20;
	lim->tmp_base = NULL;
}

const char *
sandbox_status_name(enum sandbox_status st)
{
	switch (st) {
	case SANDBOX_OK:		return "ok";
	case SANDBOX_EXIT:		return "exit";
	case SANDBOX_SIGNALED:		return "signaled";
	case SANDBOX_SECCOMP:		return "seccomp";
	case SANDBOX_TIMEOUT:		return "timeout";
	case SANDBOX_OUTPUT_TOO_LARGE:	return "output-too-large";
	}
	return "unknown";
}

void
sandbox_result_free(struct sandbox_result *res)
{
	free(res->out);
	res->out = NULL;
	res->out_len = 0;
}

/* ---- the child ---------------------------------------------------------------- */

static int
set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	return setrlimit(resource, &rl);
}

static int
close_from(unsigned first)
{
	unsigned fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, ~0u, 0) == 0)
		return 0;
#endif
	for (fd = first; fd < SANDBOX_CLOSE_FALLBACK_MAX; fd++)
		(void)close((int)fd);
	return 0;
}

/* fds 0-2 on /dev/null, the pipe on 3, the input on 4, nothing else. Every fd is
 * first copied above 4 so that no dup2 overwrites a source not yet moved. */
static int
child_fds(int out_fd, int in_fd)
{
	int null_fd, o, i = -1, n;

	if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if ((n = fcntl(null_fd, F_DUPFD_CLOEXEC, 5)) < 0 ||
	    (o = fcntl(out_fd, F_DUPFD_CLOEXEC, 5)) < 0 ||
	    (in_fd >= 0 && (i = fcntl(in_fd, F_DUPFD_CLOEXEC, 5)) < 0))
		return -1;
	if (dup2(n, 0) < 0 || dup2(n, 1) < 0 || dup2(n, 2) < 0 ||
	    dup2(o, SANDBOX_OUT_FD) < 0)
		return -1;
	if (i >= 0) {
		if (dup2(i, SANDBOX_IN_FD) < 0)
			return -1;
		return close_from(SANDBOX_IN_FD + 1);
	}
	return close_from(SANDBOX_IN_FD);
}

/* Only the soft limit: the filter forbids setrlimit and prlimit64 with a new
 * limit, so the child can never raise it, and valgrind refuses to have the hard
 * one changed. */
static int
set_nofile(unsigned n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	rl.rlim_cur = n < rl.rlim_max ? n : rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static int
child_rlimits(const struct sandbox_limits *lim)
{
	if (lim->as_bytes > 0 &&
	    set_limit(RLIMIT_AS, (rlim_t)lim->as_bytes, (rlim_t)lim->as_bytes) != 0)
		return -1;
	if (set_limit(RLIMIT_CPU, lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1) != 0 ||
	    set_limit(RLIMIT_FSIZE, (rlim_t)lim->fsize_bytes, (rlim_t)lim->fsize_bytes) != 0 ||
	    set_limit(RLIMIT_CORE, 0, 0) != 0 ||
	    set_nofile(lim->nofile) != 0)
		return -1;
	/* RLIMIT_NPROC counts threads too, per user: a child that may start threads
	 * keeps the inherited limit, and the filter alone keeps it from forking. */
	if (!lim->threads && set_limit(RLIMIT_NPROC, 0, 0) != 0)
		return -1;
	return 0;
}

static const int allowed_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
	SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(sched_yield),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* glibc's qsort asks sysconf(_SC_PHYS_PAGES), i.e. sysinfo, before sorting a
	 * large array (MuPDF sorts while rendering); it ignores sysinfo's failure and
	 * would read an uninitialised struct, so it is allowed: it reveals only memory
	 * totals, load and uptime. */
	SCMP_SYS(sysinfo),
};

/* The flags glibc's pthread_create passes to clone: a thread of this process,
 * sharing its memory, files and filter. Any other clone (fork, vfork, a new
 * namespace) is not a thread and is killed. */
#define SANDBOX_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
	CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* Threads: clone with exactly the flags above; clone3, whose flags are in memory
 * where the filter cannot read them, fails with ENOSYS, and glibc then uses clone.
 * A new thread registers its robust futex list and rseq area; pthread_getattr_np
 * (which ASan calls for each new thread) reads the CPU affinity mask, which reveals
 * only which cores exist. */
static int
allow_threads(scmp_filter_ctx ctx)
{
	int rc;

	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)SANDBOX_THREAD_FLAGS));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(set_robust_list), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rseq), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_getaffinity), 0);
	return rc;
}

static int
child_seccomp(int threads)
{
	scmp_filter_ctx ctx;
	pid_t self = getpid();
	size_t i;
	int rc = 0;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	for (i = 0; i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
	/* abort() and raise() signal the process itself; no other target. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	/* Reading limits is harmless; changing them is not. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
		    SCMP_A2(SCMP_CMP_EQ, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrlimit), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, F_GETFD));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, F_GETFL));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
	if (rc == 0 && threads)
		rc = allow_threads(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

static void
child_main(const struct sandbox_limits *lim, const char *dir, pid_t parent, int out_fd,
    int in_fd, sandbox_prep_fn prep, sandbox_fn fn, void *arg)
{
	sigset_t all;
	int rc, sig;

	/* The parent's handlers and blocked signals are not the child's business: a
	 * handler inherited from the parent (a test harness's SIGSEGV handler, say)
	 * would run inside the sandbox and turn a crash into something else. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(SANDBOX_EXIT_SETUP);
	if (child_fds(out_fd, in_fd) != 0 || chdir(dir) != 0 || child_rlimits(lim) != 0 ||
	    (prep != NULL && prep(arg) != 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || child_seccomp(lim->threads) != 0)
		_exit(SANDBOX_EXIT_SETUP);
	rc = fn(SANDBOX_OUT_FD, in_fd >= 0 ? SANDBOX_IN_FD : -1, arg);
	_exit(rc & 0xff);
}

/* ---- the parent --------------------------------------------------------------- */

/* Append what the pipe has; returns 1 at EOF, 0 if more may come, -1 past max. */
static int
drain(int fd, struct sandbox_result *res, size_t *cap, size_t max, int *err)
{
	ssize_t n;
	uint8_t *p;

	for (;;) {
		if (*cap - res->out_len < SANDBOX_READ_CHUNK) {
			size_t ncap = *cap ? *cap * 2 : SANDBOX_READ_CHUNK;

			/* Never hold more than max + one chunk, whatever the child says. */
			if (ncap > max + SANDBOX_READ_CHUNK)
				ncap = max + SANDBOX_READ_CHUNK;
			if (ncap > *cap) {
				if ((p = realloc(res->out, ncap)) == NULL) {
					*err = -ENOMEM;
					return -1;
				}
				res->out = p;
				*cap = ncap;
			}
		}
		n = read(fd, res->out + res->out_len, *cap - res->out_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			*err = -errno;
			return -1;
		}
		if (n == 0)
			return 1;
		res->out_len += (size_t)n;
		if (res->out_len > max)
			return -1;
	}
}

int
sandbox_run(const struct sandbox_limits *lim, int in_fd, sandbox_fn fn, void *arg,
    struct sandbox_result *res)
{
	return sandbox_run_prepared(lim, in_fd, NULL, fn, arg, res);
}

int
sandbox_run_prepared(const struct sandbox_limits *lim, int in_fd, sandbox_prep_fn prep,
    sandbox_fn fn, void *arg, struct sandbox_result *res)
{
	struct rusage ru;
	char dir[PATH_MAX];
	const char *base = lim->tmp_base != NULL ? lim->tmp_base : "/tmp";
	int p[2] = { -1, -1 }, status = 0, err = 0, rc, pidfd;
	int pipe_open = 1, exited = 0;
	int killed_for = -1;	/* SANDBOX_TIMEOUT or _OUTPUT_TOO_LARGE once we kill */
	size_t cap = 0;
	uint64_t start, deadline;
	pid_t pid, parent = getpid();

	memset(res, 0, sizeof(*res));
	memset(&ru, 0, sizeof ru);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/sekisho-sandbox.XXXXXX", base) >= sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdtemp(dir) == NULL)
		return -errno;
	/* Only the parent's end is non-blocking: O_NONBLOCK on pipe2 would apply to
	 * both, and a child writing faster than the parent reads would see EAGAIN
	 * and fail for a reason that is ours, not its. */
	if (pipe2(p, O_CLOEXEC) != 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
		err = -errno;
		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		fsio_remove_tree(dir);
		return err;
	}
	start = deadline_now_ms();
	deadline = start + lim->timeout_ms;
	if ((pid = fork()) < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		fsio_remove_tree(dir);
		return err;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(lim, dir, parent, p[1], in_fd, prep, fn, arg);
	}
	close(p[1]);
	/* Readable once the child is a zombie. Without one (a kernel before 5.3, or a
	 * filter that refuses it), a child whose pipe is closed is looked at every tick. */
	pidfd = pidfd_open(pid, 0);

	while (killed_for < 0 && err == 0 && (pipe_open || !exited)) {
		struct pollfd pf[2];
		uint64_t t = deadline_now_ms();
		int wait_ms;

		if (t >= deadline) {
			killed_for = SANDBOX_TIMEOUT;
			break;
		}
		wait_ms = (int)(deadline - t);
		pf[0] = (struct pollfd){ .fd = pipe_open ? p[0] : -1, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = exited ? -1 : pidfd, .events = POLLIN };
		if (!pipe_open && pidfd < 0 && wait_ms > SANDBOX_EXIT_POLL_MS)
			wait_ms = SANDBOX_EXIT_POLL_MS;
		rc = poll(pf, 2, wait_ms);
		if (rc < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (pipe_open) {
			rc = drain(p[0], res, &cap, lim->output_max, &err);
			if (rc < 0) {
				if (err == 0)
					killed_for = SANDBOX_OUTPUT_TOO_LARGE;
				break;
			}
			if (rc == 1)
				pipe_open = 0;
		}
		if (!exited) {
			rc = wait4(pid, &status, WNOHANG, &ru);
			if (rc == pid)
				exited = 1;
			else if (rc < 0 && errno != EINTR) {
				err = -errno;
				break;
			}
		}
	}
	if (!exited) {
		/* Timed out, too much output, or we cannot watch it: it dies. */
		if (killed_for >= 0 || err != 0)
			(void)kill(pid, SIGKILL);
		while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
	}
	close(p[0]);
	if (pidfd >= 0)
		close(pidfd);
	fsio_remove_tree(dir);
	res->elapsed_ms = deadline_now_ms() - start;
	res->max_rss_kb = ru.ru_maxrss > 0 ? (uint64_t)ru.ru_maxrss : 0;

	if (err != 0 || res->out_len == 0)
		sandbox_result_free(res);
	if (err != 0)
		return err;
	if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	if (killed_for == SANDBOX_TIMEOUT || killed_for == SANDBOX_OUTPUT_TOO_LARGE) {
		res->status = (enum sandbox_status)killed_for;
		sandbox_result_free(res);
	} else if (WIFSIGNALED(status)) {
		res->status = res->signal == SIGSYS ? SANDBOX_SECCOMP : SANDBOX_SIGNALED;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		res->status = SANDBOX_EXIT;
		res->exit_code = WEXITSTATUS(status);
	} else {
		res->status = SANDBOX_OK;
	}
	return 0;
}
