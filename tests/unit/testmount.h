/*
 * testmount.h — a directory on a mount of its own, for the tests of what must work
 * across mounts (EXDEV). Under systemd every ReadWritePaths entry of a unit is its own
 * bind mount, so link(2) and rename(2) from one of a daemon's directories into
 * another fail there, although both sit on one disk.
 *
 * Needs _GNU_SOURCE (unshare) before the first system header. The kernel ignores the
 * "none" source and types below; they are there because valgrind checks the strings.
 */
#ifndef SEKISHO_TESTMOUNT_H
#define SEKISHO_TESTMOUNT_H

#ifndef _GNU_SOURCE
#error "testmount.h needs _GNU_SOURCE defined before the first include"
#endif

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>

/* Mount dir apart, in a mount namespace private to this process (the host never sees
 * it, and it ends with the process): a bind mount of itself (as systemd makes: one
 * file system, two mounts) or, with tmpfs, a fresh tmpfs (another file system). -1
 * where this process may not (not root): the caller skips the test. */
static inline int
testmount_apart(const char *dir, bool tmpfs)
{
	static bool unshared;

	if (!unshared) {
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
			return -1;
		unshared = true;
	}
	return tmpfs ? mount("sekisho-test", dir, "tmpfs", 0, "size=16m,mode=0700")
		     : mount(dir, dir, "none", MS_BIND, NULL);
}

/* Undo testmount_apart, so the test's temporary tree can be removed. */
static inline int
testmount_undo(const char *dir)
{
	return umount2(dir, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT ? 0 : -1;
}

#endif
