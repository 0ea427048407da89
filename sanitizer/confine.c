/*
 * confine.c — the seccomp denylist and the Landlock ruleset of confine.h.
 *
 * Why a denylist, not an allowlist: the helpers confined here run libraries whose
 * system calls depend on the document (LibreOffice: Java, fonts, printing, threads,
 * its own IPC; libclamav: temporary files, iconv modules loaded on demand), and an
 * allowlist that kills a rare path would refuse valid files. The namespaces or
 * Landlock already leave them no file but their own; the filter removes what could
 * break out of or reach past those: ptrace and process_vm_*, mount and namespace
 * calls, kernel module, BPF, perf, kexec, keyring, io_uring and userfaultfd (common
 * kernel exploit primitives), clock and host settings, handle-based opens.
 *
 * Landlock is versioned by ABI: each kernel governs the rights it knows, and a right
 * it does not know cannot be asked for. So the rights are masked down to the ABI the
 * kernel reports, and what is governed is exactly what is listed here for it.
 * Debian 12's kernel (6.1) has ABI 2. The structures are declared here rather than
 * taken from <linux/landlock.h>, whose Debian 12 copy lacks the later fields.
 */
#define _GNU_SOURCE
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <seccomp.h>

int
confine_rlimit(int resource, uint64_t v)
{
	struct rlimit rl = { .rlim_cur = (rlim_t)v, .rlim_max = (rlim_t)v };

	return setrlimit(resource, &rl);
}

/* ---- seccomp -------------------------------------------------------------------- */

/* Killed: what escapes or attacks the kernel. */
static const int denied_syscalls[] = {
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
	SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(open_tree), SCMP_SYS(move_mount),
	SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount), SCMP_SYS(fspick),
	SCMP_SYS(mount_setattr), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(reboot),
	SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct), SCMP_SYS(add_key),
	SCMP_SYS(request_key), SCMP_SYS(keyctl), SCMP_SYS(userfaultfd),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(syslog),
	SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime),
	SCMP_SYS(adjtimex), SCMP_SYS(quotactl), SCMP_SYS(lookup_dcookie), SCMP_SYS(vhangup),
	SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(fanotify_init), SCMP_SYS(uselib),
	SCMP_SYS(sethostname), SCMP_SYS(setdomainname), SCMP_SYS(kcmp),
	SCMP_SYS(pidfd_getfd), SCMP_SYS(memfd_secret), SCMP_SYS(personality),
};

/* A clone with any of these makes a namespace: killed. */
static const unsigned long namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
	CLONE_NEWCGROUP,
};

static int
add_socket_rules(scmp_filter_ctx ctx, unsigned flags)
{
	int rc;

	/* Refused, not killed: libraries probe for networks. */
	if (flags & CONFINE_UNIX_SOCKETS) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_NE, AF_UNIX));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
			    SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
		return rc;
	}
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair), 0);
	return rc;
}

int
confine_seccomp(unsigned flags)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc = 0;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < sizeof denied_syscalls / sizeof denied_syscalls[0] && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, denied_syscalls[i], 0);
	if (rc == 0 && (flags & CONFINE_NO_EXEC))
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execve), 0);
	if (rc == 0 && (flags & CONFINE_NO_EXEC))
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat), 0);
	if (rc == 0)
		rc = add_socket_rules(ctx, flags);
	/* Processes and threads, never namespaces; clone3's flags are out of the
	 * filter's sight, so it fails and glibc uses clone. */
	for (i = 0; i < sizeof namespace_flags / sizeof namespace_flags[0] && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, (scmp_datum_t)namespace_flags[i],
		    (scmp_datum_t)namespace_flags[i]));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* No terminal to inject into, but TIOCSTI is refused all the same. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, TIOCSTI));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0)
		errno = -rc;
	return rc == 0 ? 0 : -1;
}

/* ---- Landlock ------------------------------------------------------------------- */

#define LL_CREATE_RULESET_VERSION	(1u << 0)
#define LL_RULE_PATH_BENEATH		1

/* File-system rights, by the ABI that introduced them. */
#define LL_FS_EXECUTE		(1ull << 0)
#define LL_FS_WRITE_FILE	(1ull << 1)
#define LL_FS_READ_FILE		(1ull << 2)
#define LL_FS_READ_DIR		(1ull << 3)
#define LL_FS_REMOVE_DIR	(1ull << 4)
#define LL_FS_REMOVE_FILE	(1ull << 5)
#define LL_FS_MAKE_CHAR		(1ull << 6)
#define LL_FS_MAKE_DIR		(1ull << 7)
#define LL_FS_MAKE_REG		(1ull << 8)
#define LL_FS_MAKE_SOCK		(1ull << 9)
#define LL_FS_MAKE_FIFO		(1ull << 10)
#define LL_FS_MAKE_BLOCK	(1ull << 11)
#define LL_FS_MAKE_SYM		(1ull << 12)
#define LL_FS_ABI1		((1ull << 13) - 1)
#define LL_FS_REFER		(1ull << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ull << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ull << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ull << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ull << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ull << 1)

/* The rights that apply to a file that is not a directory. */
#define LL_FS_FILE_RIGHTS	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
				 LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* struct landlock_ruleset_attr as of ABI 6; older kernels are given a prefix. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

static uint64_t
fs_rights_for_abi(int abi)
{
	uint64_t r = LL_FS_ABI1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

static uint64_t
rights_for(enum confine_access a)
{
	const uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;

	switch (a) {
	case CONFINE_READ:
		return read;
	case CONFINE_READ_EXEC:
		return read | LL_FS_EXECUTE;
	case CONFINE_READ_WRITE:
		return read | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |
		    LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_REFER | LL_FS_TRUNCATE;
	}
	return 0;
}

static int
add_path(int ruleset, const struct confine_path *p, uint64_t handled)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd, rc = 0;

	if ((fd = open(p->path, O_PATH | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	pb.allowed_access = rights_for(p->access) & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE_RIGHTS;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
confine_landlock(const struct confine_path *paths, size_t n)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t attr_size, i;
	long abi;
	int ruleset, rc = 0;

	/* ENOSYS: a kernel without it; EOPNOTSUPP: built in but not enabled at boot;
	 * EPERM: a seccomp filter around us (a container's) refuses the call. */
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	if (abi < 1)
		return errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM ? -EOPNOTSUPP
		    : -errno;
	attr.handled_access_fs = fs_rights_for_abi((int)abi);
	attr_size = sizeof attr.handled_access_fs;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size += sizeof attr.handled_access_net;
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attr_size += sizeof attr.scoped;
	}
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0)) < 0)
		return -errno;
	for (i = 0; i < n && rc == 0; i++)
		rc = add_path(ruleset, &paths[i], attr.handled_access_fs);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = -errno;
	close(ruleset);
	return rc == 0 ? (int)abi : rc;
}
