/*
 * fsio.c — see fsio.h.
 */
#define _GNU_SOURCE	/* mkostemp, renameat2, copy_file_range, nftw */
#include "fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fsio_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsio_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int
fsio_pread_all(int fd, void *buf, size_t len, off_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;	/* the file is shorter than it must be */
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int
fsio_fsync_dir(const char *dir)
{
	int fd, rc, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	while ((rc = fsync(fd)) != 0 && errno == EINTR)
		;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
fsio_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return fsio_fsync_dir(".");
	if (slash == path)
		return fsio_fsync_dir("/");
	if ((n = (size_t)(slash - path)) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return fsio_fsync_dir(dir);
}

int
fsio_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, n, saved;

	/* The temporary file sits next to the target so rename(2) stays within one
	 * file system and is atomic. */
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -1;
	if (fsio_write_all(fd, data, len) != 0 || fchmod(fd, mode & 07777) != 0 ||
	    fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	/* The file is in place; only its durability is left to make sure of. */
	return fsio_fsync_parent(path);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

char *
fsio_read_bounded(const char *path, uint64_t size, size_t max)
{
	char *buf;
	int fd, e;

	if (size > max) {
		errno = EFBIG;
		return NULL;
	}
	if ((buf = malloc((size_t)size + 1)) == NULL)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fsio_pread_all(fd, buf, (size_t)size, 0) != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		free(buf);
		errno = e;
		return NULL;
	}
	close(fd);
	buf[size] = '\0';
	return buf;
}

int
fsio_copy_fd(int dst_fd, int src_fd)
{
	char buf[64 * 1024];
	off_t off = 0;
	ssize_t n;

	/* In the kernel first: no copy through user space, and a reflink where the
	 * file system has them. It refuses some pairs of files (other file systems,
	 * old kernels); then the bytes come through buf from where it stopped. */
	for (;;) {
		n = copy_file_range(src_fd, &off, dst_fd, NULL, (size_t)1 << 30, 0);
		if (n == 0)
			return fsync(dst_fd);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
			    errno != EOPNOTSUPP)
				return -1;
			break;
		}
	}
	for (;;) {
		n = pread(src_fd, buf, sizeof buf, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return fsync(dst_fd);
		if (fsio_write_all(dst_fd, buf, (size_t)n) != 0)
			return -1;
		off += n;
	}
}

/* The EXDEV half of fsio_link: a copy beside dst, linked in so an existing dst is
 * refused as link(2) would refuse it, then the temporary name dropped. */
static int
copy_across(const char *src, const char *dst)
{
	char tmp[PATH_MAX];
	struct stat sb;
	int in, out = -1, n, saved;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dst);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(in, &sb) != 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {	/* a device or FIFO might never end */
		close(in);
		errno = EINVAL;
		return -1;
	}
	if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	if (fsio_copy_fd(out, in) != 0 || fchmod(out, sb.st_mode & 07777) != 0)
		goto fail;
	close(in);
	in = -1;
	if (close(out) != 0) {
		out = -1;
		goto fail;
	}
	out = -1;
	if (link(tmp, dst) != 0)
		goto fail;
	unlink(tmp);
	return 0;
fail:
	saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
fsio_link(const char *src, const char *dst)
{
	if (link(src, dst) != 0 && (errno != EXDEV || copy_across(src, dst) != 0))
		return -1;
	return fsio_fsync_parent(dst);
}

int
fsio_move(const char *src, const char *dst)
{
	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
		if (fsio_fsync_parent(dst) != 0)
			return -1;
		return fsio_fsync_parent(src);
	}
	/* Another mount (EXDEV), or no RENAME_NOREPLACE here (EINVAL, ENOSYS): a new
	 * name that refuses to replace, as link(2) does, then the old name dropped. */
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fsio_link(src, dst) != 0)
		return -1;
	/* dst is durable by now: a crash before this unlink leaves a second copy at
	 * src, never neither. */
	if (unlink(src) != 0)
		return -1;
	return fsio_fsync_parent(src);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void
fsio_remove_tree(const char *dir)
{
	/* FTW_DEPTH: contents before their directory; FTW_PHYS: links not followed. */
	(void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int
fsio_open_program(const char *name, char *err, size_t errlen)
{
	static const char *const rel[] = { "/", "/../bin/" };
	char self[PATH_MAX], p[PATH_MAX + NAME_MAX + 16], *dir;
	ssize_t n;
	size_t i;
	int fd;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) < 0) {
		int e = errno;

		snprintf(err, errlen, "/proc/self/exe: %s", strerror(e));
		return -e;
	}
	self[n] = '\0';
	dir = dirname(self);	/* in place: once */
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(p, sizeof p, "%s%s%s", dir, rel[i], name);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0)
			return fd;
	}
	snprintf(err, errlen, "%s: not found in %s or %s/../bin", name, dir, dir);
	return -ENOENT;
}
