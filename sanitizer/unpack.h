/*
 * unpack.h — the members of a zip, taken out by libarchive in the sandbox child and
 * handed to the parent as a bounded stream, each to be sanitized on its own.
 *
 * The child (unpack_child, a sandbox_fn under the render child's allowlist) reads
 * the zip into memory and walks it by its central directory; it refuses the whole
 * archive at the first member that is not a plain file (a symbolic or hard link, a
 * device, a FIFO), whose path is absolute, has a ".." component, a backslash, a
 * drive letter or a control character, that is encrypted, or that takes the
 * archive past a limit: members, bytes per member, bytes in all, or the ratio of
 * bytes out to bytes in (a zip bomb is stopped while it inflates, not after).
 * Directories are skipped. Its output:
 *
 *   "SKAR" version(1)  then per member  'M' u16 name_len name u64 size data
 *   then 'E' u32 count
 *
 * (big-endian). The parent trusts none of it: unpack_parse checks every length and
 * name against the same limits again and points the members into the buffer.
 * Member names are only ever shown, never used as paths.
 */
#ifndef SEKISHO_UNPACK_H
#define SEKISHO_UNPACK_H

#include <stddef.h>
#include <locale.h>
#include <stdint.h>

#define UNPACK_VERSION		1
#define UNPACK_MAX_NAME		255	/* bytes of a member's path */
#define UNPACK_DEFAULT_MEMBERS	50
#define UNPACK_DEFAULT_MEMBER	(50ull << 20)	/* bytes of one member */
#define UNPACK_DEFAULT_TOTAL	(200ull << 20)	/* bytes of all members */
#define UNPACK_DEFAULT_RATIO	100		/* bytes out per byte of the zip */

/* The child's exit code, besides 0. */
enum {
	UNPACK_EXIT_PATH = 30,		/* absolute, "..", backslash, drive, control */
	UNPACK_EXIT_LINK = 31,		/* symlink, hard link, device, FIFO, socket */
	UNPACK_EXIT_RATIO = 32,		/* out/in past the ratio: a bomb */
	UNPACK_EXIT_COUNT = 33,		/* too many members */
	UNPACK_EXIT_SIZE = 34,		/* a member or the whole past its byte limit */
	UNPACK_EXIT_ENCRYPTED = 35,
	UNPACK_EXIT_BROKEN = 36,	/* not a zip libarchive can read */
	UNPACK_EXIT_IO = 37,
};

struct unpack_limits {
	size_t max_input;	/* bytes of the zip read into the child */
	uint32_t max_members;
	uint64_t max_member;	/* bytes */
	uint64_t max_total;	/* bytes */
	uint32_t max_ratio;	/* total out <= ratio * zip size */
	locale_t names;		/* C.UTF-8 (unpack_names_locale), made by the parent:
				 * the sandboxed child cannot open the locale's files,
				 * and without it libarchive gives a zip's UTF-8 names
				 * (as Windows and macOS write them) no name at all in
				 * the C locale the services run in. 0: the C locale */
};

/* C.UTF-8 for unpack_limits.names and detection, or (locale_t)0 if it is not
 * installed; the caller frees it with freelocale. */
locale_t unpack_names_locale(void);

/* 100 MiB in; the UNPACK_DEFAULT_* above. */
void unpack_limits_default(struct unpack_limits *lim);

/* The sandbox_fn: arg is a const struct unpack_limits *. */
int unpack_child(int out_fd, int in_fd, void *arg);

/* A static name for an exit code ("path", "link", "ratio", ...). */
const char *unpack_exit_name(int code);

/* Whether a member path is acceptable (the child's check, for the parent too). */
int unpack_path_ok(const char *name, size_t len);

struct unpack_member {
	char name[UNPACK_MAX_NAME + 1];	/* NUL-terminated, checked by unpack_path_ok */
	const uint8_t *data;		/* inside the parsed buffer */
	uint64_t size;
};

enum {
	UNPACK_OK = 0,
	UNPACK_EFORMAT = -1,	/* magic, record, name or count wrong; trailing bytes */
	UNPACK_ETRUNCATED = -2,
	UNPACK_ELIMIT = -3,
};

/* Parse a child's output under lim into members[0..max) (max >= lim->max_members).
 * Returns UNPACK_OK and *n, or a negative UNPACK_E*. */
int unpack_parse(const uint8_t *p, size_t len, const struct unpack_limits *lim,
    struct unpack_member *members, uint32_t max, uint32_t *n);

#endif
