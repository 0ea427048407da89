/*
 * sandbox.h — run an untrusted parser in a forked child that can only compute and
 * write to one pipe.
 *
 * The child keeps stdin/stdout/stderr (on /dev/null), the output pipe as fd 3 and
 * the input as fd 4, and nothing else; it runs under rlimits, in a private empty
 * directory, with no new privileges, dying with its parent, behind a seccomp
 * allowlist with no way to open files, make sockets, fork or exec. The parent
 * bounds what it reads back and how long it waits.
 */
#ifndef SEKISHO_SANDBOX_H
#define SEKISHO_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#define SANDBOX_OUT_FD	3	/* the child's end of the output pipe */
#define SANDBOX_IN_FD	4	/* the input, when one is given */
#define SANDBOX_EXIT_SETUP 127	/* the child's exit code when confinement failed */

struct sandbox_limits {
	uint64_t as_bytes;	/* RLIMIT_AS; 0 leaves it unset (ASan/valgrind only) */
	unsigned cpu_seconds;	/* RLIMIT_CPU soft limit (SIGXCPU), hard one second on */
	uint64_t fsize_bytes;	/* RLIMIT_FSIZE */
	unsigned nofile;	/* RLIMIT_NOFILE: highest fd + 1 the child may hold */
	unsigned timeout_ms;	/* wall clock, then SIGKILL */
	size_t output_max;	/* bytes the parent accepts from the pipe */
	const char *tmp_base;	/* where the private directory is made; NULL: /tmp */
	int threads;		/* 1: the child may start threads of its own process
				 * (clone with exactly pthread_create's flags; never
				 * a process): libde265 insists on a worker thread */
};

/* Conservative defaults for a decoder: 1 GiB, 30 s CPU, 60 s wall, 256 MiB output. */
void sandbox_limits_default(struct sandbox_limits *lim);

enum sandbox_status {
	SANDBOX_OK,		/* exited 0 */
	SANDBOX_EXIT,		/* exited non-zero: exit_code */
	SANDBOX_SIGNALED,	/* killed by signal (CPU limit, SIGSEGV, abort...) */
	SANDBOX_SECCOMP,	/* killed for a forbidden system call (SIGSYS) */
	SANDBOX_TIMEOUT,	/* killed by the parent at timeout_ms */
	SANDBOX_OUTPUT_TOO_LARGE, /* killed by the parent past output_max */
};

struct sandbox_result {
	enum sandbox_status status;
	int exit_code;		/* SANDBOX_EXIT */
	int signal;		/* the signal that ended the child, if one did */
	uint8_t *out;		/* what the child wrote (malloc'd; NULL if nothing) */
	size_t out_len;
	uint64_t elapsed_ms;
	uint64_t max_rss_kb;	/* the child's peak resident set (getrusage's ru_maxrss:
				 * pages inherited from the parent and touched count) */
};

/* The code the child runs: write results to out_fd, read input from in_fd (-1 if
 * none), return an exit code. It must not return to the caller's stack frames in
 * any other way (no longjmp out). */
typedef int (*sandbox_fn)(int out_fd, int in_fd, void *arg);

/* Run fn(arg) in a sandboxed child with in_fd (or -1) as its input. Returns 0 with
 * *res filled (the child's fate is res->status) or a negative errno if the child
 * could not be started or watched. The caller frees res with sandbox_result_free.
 * fork(2) from a threaded process is safe for fn only if fn avoids locks other
 * threads may have held: glibc malloc and stdio are fine. */
int sandbox_run(const struct sandbox_limits *lim, int in_fd, sandbox_fn fn, void *arg,
    struct sandbox_result *res);

/* Code that runs in the child after its descriptors, directory and rlimits are
 * set but before no_new_privs and the seccomp filter: the one place where the child
 * may still open files. It must only load trusted data (a model from /usr/share),
 * never look at anything derived from hostile input; a non-zero return makes the
 * child exit SANDBOX_EXIT_SETUP. */
typedef int (*sandbox_prep_fn)(void *arg);

/* sandbox_run with prep(arg) run before confinement is complete (see above); prep
 * may be NULL. */
int sandbox_run_prepared(const struct sandbox_limits *lim, int in_fd, sandbox_prep_fn prep,
    sandbox_fn fn, void *arg, struct sandbox_result *res);

/* Free res->out. */
void sandbox_result_free(struct sandbox_result *res);

/* A static description of a status. */
const char *sandbox_status_name(enum sandbox_status st);

#endif
