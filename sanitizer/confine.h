/*
 * confine.h — confinement a long-lived helper applies to itself: a seccomp denylist
 * of what escapes or attacks the kernel, and a Landlock ruleset naming the only
 * directories it may touch.
 *
 * These are for helpers that run libraries too large or too varied for an
 * allowlist (LibreOffice in officepdf's cage, libclamav in the scanner process): a
 * rare document could take a path that an allowlist would kill, refusing a valid
 * file. So the filter removes only what no document needs, and Landlock keeps the
 * file system down to the directories named. Both are irreversible and inherited.
 */
#ifndef SEKISHO_CONFINE_H
#define SEKISHO_CONFINE_H

#include <stddef.h>
#include <stdint.h>

/* Set resource's soft and hard limits both to v (setrlimit). Returns 0 or -1 with
 * errno. */
int confine_rlimit(int resource, uint64_t v);

/* confine_seccomp flags */
#define CONFINE_UNIX_SOCKETS	0x1	/* socket(AF_UNIX) allowed; otherwise no socket
					 * can be made at all (passed ones still work) */
#define CONFINE_NO_EXEC		0x2	/* execve and execveat kill the process */

/* Install the denylist (ptrace, mount and namespaces, modules, BPF, perf, kexec,
 * keyrings, io_uring, userfaultfd, clock and host settings, handle opens, TIOCSTI;
 * sockets of other families refused) on the calling process. no_new_privs must be
 * set. Returns 0 or -1 with errno. */
int confine_seccomp(unsigned flags);

enum confine_access {
	CONFINE_READ,		/* read files, list directories */
	CONFINE_READ_EXEC,	/* and map or run programs and libraries */
	CONFINE_READ_WRITE,	/* and create, write, truncate, rename and remove */
};

struct confine_path {
	const char *path;	/* a directory, or a file (then only file rights apply) */
	enum confine_access access;
};

/* Restrict the calling process (and what it starts later) to the paths given, for
 * every file-system access Landlock can govern on this kernel; on ABI 4 and later
 * it may make no TCP connection either, and on ABI 6 and later it may signal no
 * process outside its domain. no_new_privs must be set. Returns the ABI enforced
 * (1 or more), -EOPNOTSUPP when Landlock is not there for us (the kernel has none, or
 * a system-call filter around us refuses it; nothing changed), or another negative
 * errno (a path that cannot be opened, a refused rule). */
int confine_landlock(const struct confine_path *paths, size_t n);

#endif
