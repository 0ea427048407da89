/*
 * fsio.h — whole-buffer reads and writes, and durable replacement of a file.
 *
 * Short transfers and EINTR are handled here once, for every module. Durability
 * follows one rule everywhere: the data is fsync'd before the rename that publishes
 * it, and the directory is fsync'd after, so after a crash a path holds either its
 * old content or its new content, never a mixture or nothing.
 *
 * All functions return 0, or -1 with errno set (EIO for a file that ended early).
 */
#ifndef SEKISHO_FSIO_H
#define SEKISHO_FSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int fsio_write_all(int fd, const void *buf, size_t len);
int fsio_pwrite_all(int fd, const void *buf, size_t len, off_t off);
int fsio_pread_all(int fd, void *buf, size_t len, off_t off);

/* The size bytes of the file at path (as a caller already knows them, e.g. an upload
 * the HTTP layer stored), read whole into a malloc'd buffer with a NUL after them;
 * NULL with errno (EFBIG when size is over max). */
char *fsio_read_bounded(const char *path, uint64_t size, size_t max);

/* fsync a directory (so creates and renames in it are durable), or the directory
 * holding path. */
int fsio_fsync_dir(const char *dir);
int fsio_fsync_parent(const char *path);

/* Replace path with len bytes of data and the given mode: a temporary file beside it
 * (created 0600, so a secret is never exposed while written), fsync, chmod, rename,
 * fsync of the directory. On failure the temporary file is removed. */
int fsio_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Copy the whole of src_fd (from its start) to dst_fd at its position, then fsync
 * dst_fd. copy_file_range(2) where the kernel can, read and write where it cannot. */
int fsio_copy_fd(int dst_fd, int src_fd);

/* Give the file at src the new name dst, as link(2) does (EEXIST when dst exists),
 * also across mounts: on EXDEV the bytes go to a temporary file beside dst (src's
 * mode), fsync'd, and linked in. dst's directory is fsync'd either way. EXDEV is the
 * rule in the image, not an exception: systemd gives every ReadWritePaths entry of
 * a unit its own bind mount, and an operator may put a directory on its own disk. */
int fsio_link(const char *src, const char *dst);

/* rename(2) that never replaces dst (EEXIST), also across mounts: on EXDEV, fsio_link
 * and then the unlink of src. Both directories are fsync'd. */
int fsio_move(const char *src, const char *dst);

/* Remove dir and everything under it, best effort: no link is followed (a link is
 * removed, not its target) and no other file system is entered. For our own
 * scratch and result directories, which a sandboxed child may have filled. */
void fsio_remove_tree(const char *dir);

/* Open (read-only, close-on-exec) the helper program name that ships beside the
 * running executable, or in its ../bin (tests and benchmarks in the build tree).
 * Returns the descriptor, or a negative errno with what was looked for in err. */
int fsio_open_program(const char *name, char *err, size_t errlen);

#endif
