/*
 * testutil.h — what many unit tests need alike: removing their temporary directory.
 * Header-only (static inline), so each test binary stays one file plus the archives.
 */
#ifndef SEKISHO_TESTUTIL_H
#define SEKISHO_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Remove name (relative to dirfd) and, if it is a directory, everything under it,
 * never following a symbolic link. 0, or -1 with errno. (A test may have left a
 * directory unreadable to check a refusal: it is made accessible first.) */
static inline int
testutil_rmtree_at(int at, const char *name)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0);
	if (fchmodat(at, name, 0700, 0) != 0)
		return -1;
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    testutil_rmtree_at(dirfd(d), e->d_name) != 0)
			rc = -1;
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) != 0)
		rc = -1;
	return rc;
}

static inline int
testutil_rmtree(const char *path)
{
	return testutil_rmtree_at(AT_FDCWD, path);
}

#endif
