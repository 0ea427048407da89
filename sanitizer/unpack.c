/*
 * unpack.c — zip members out of the sandbox child, and the parent's reader of them.
 *
 * The invariant: the child writes a member only after its header passed every check
 * (plain file, safe path, not encrypted, within the member count) and while its
 * bytes stay within every byte limit; the first violation ends the child with the
 * exit code that names it, and the parent refuses the whole archive. The parent
 * reads the stream with the same limits and the same path check, so a child that
 * lies gains nothing but a refusal.
 */
#include "unpack.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsio.h"

#define UNPACK_READ_CHUNK	(256u * 1024)

static const uint8_t unpack_magic[4] = { 'S', 'K', 'A', 'R' };

void
unpack_limits_default(struct unpack_limits *lim)
{
	lim->max_input = 100u << 20;
	lim->max_members = UNPACK_DEFAULT_MEMBERS;
	lim->max_member = UNPACK_DEFAULT_MEMBER;
	lim->max_total = UNPACK_DEFAULT_TOTAL;
	lim->max_ratio = UNPACK_DEFAULT_RATIO;
	lim->names = (locale_t)0;
}

const char *
unpack_exit_name(int code)
{
	switch (code) {
	case 0:				return "ok";
	case UNPACK_EXIT_PATH:		return "path";
	case UNPACK_EXIT_LINK:		return "link";
	case UNPACK_EXIT_RATIO:		return "ratio";
	case UNPACK_EXIT_COUNT:		return "count";
	case UNPACK_EXIT_SIZE:		return "size";
	case UNPACK_EXIT_ENCRYPTED:	return "encrypted";
	case UNPACK_EXIT_BROKEN:	return "broken";
	case UNPACK_EXIT_IO:		return "io";
	}
	return "unknown";
}

int
unpack_path_ok(const char *name, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || len > UNPACK_MAX_NAME || name[0] == '/' ||
	    (len >= 2 && name[1] == ':'))		/* C:... on Windows */
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '\\'))
			return 0;
		if (i == len || name[i] == '/') {
			if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

/* ---- the child ---- */

static int
read_all(int fd, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < UNPACK_READ_CHUNK) {
			size_t ncap = cap ? cap * 2 : UNPACK_READ_CHUNK * 4;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= len || (p = realloc(buf, ncap)) == NULL) {
				free(buf);
				return UNPACK_EXIT_SIZE;
			}
			buf = p;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return UNPACK_EXIT_IO;
		}
		if (n == 0)
			break;
		if ((len += (size_t)n) > max) {
			free(buf);
			return UNPACK_EXIT_SIZE;
		}
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* One member: its bytes into a buffer under the limits, then its record. */
static int
member(struct archive *a, int out, const char *name, const struct unpack_limits *lim,
    uint64_t in_len, uint64_t *total)
{
	uint8_t *buf = NULL, *p, hdr[3];
	size_t len = 0, cap = 0, nlen = strlen(name);
	uint8_t size[8];
	int rc = 0;

	for (;;) {
		const void *blk;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &blk, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = UNPACK_EXIT_BROKEN;
			break;
		}
		/* Sparse offsets: a hole is bytes too, and a bomb's favourite. */
		if (off < 0 || (uint64_t)off < len) {
			rc = UNPACK_EXIT_BROKEN;
			break;
		}
		if ((uint64_t)off + n > lim->max_member) {
			rc = UNPACK_EXIT_SIZE;
			break;
		}
		if (*total + ((uint64_t)off + n - len) > lim->max_total) {
			rc = UNPACK_EXIT_SIZE;
			break;
		}
		if (*total + ((uint64_t)off + n - len) > in_len * lim->max_ratio) {
			rc = UNPACK_EXIT_RATIO;
			break;
		}
		if ((size_t)off + n > cap) {
			size_t ncap = cap ? cap : 65536;

			while (ncap < (size_t)off + n)
				ncap *= 2;
			if ((p = realloc(buf, ncap)) == NULL) {
				rc = UNPACK_EXIT_SIZE;
				break;
			}
			buf = p;
			cap = ncap;
		}
		if ((size_t)off > len)
			memset(buf + len, 0, (size_t)off - len);
		if (n > 0)
			memcpy(buf + off, blk, n);
		*total += (uint64_t)off + n - len;
		len = (size_t)off + n;
	}
	if (rc == 0) {
		hdr[0] = 'M';
		put_be(hdr + 1, nlen, 2);
		put_be(size, len, 8);
		if (fsio_write_all(out, hdr, 3) != 0 || fsio_write_all(out, name, nlen) != 0 ||
		    fsio_write_all(out, size, 8) != 0 ||
		    (len > 0 && fsio_write_all(out, buf, len) != 0))
			rc = UNPACK_EXIT_IO;
	}
	free(buf);
	return rc;
}

locale_t
unpack_names_locale(void)
{
	return newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int
unpack_child(int out_fd, int in_fd, void *arg)
{
	const struct unpack_limits *lim = arg;
	struct archive *a;
	struct archive_entry *e;
	uint8_t *data, tail[5] = { 'E' }, head[5];
	size_t len;
	uint32_t count = 0;
	uint64_t total = 0;
	int rc, r;

	if ((rc = read_all(in_fd, lim->max_input, &data, &len)) != 0)
		return rc;
	/* Member names as UTF-8 (unpack.h says why); a child of its own, never reset. */
	if (lim->names != (locale_t)0)
		uselocale(lim->names);
	if ((a = archive_read_new()) == NULL) {
		free(data);
		return UNPACK_EXIT_SIZE;
	}
	/* By the central directory, as Windows and Office read a zip. */
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		rc = UNPACK_EXIT_BROKEN;
		goto out;
	}
	memcpy(head, unpack_magic, 4);
	head[4] = UNPACK_VERSION;
	if (fsio_write_all(out_fd, head, 5) != 0) {
		rc = UNPACK_EXIT_IO;
		goto out;
	}
	while (rc == 0 && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		const char *name = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			rc = UNPACK_EXIT_BROKEN;
		else if (name == NULL || !unpack_path_ok(name, strlen(name)))
			rc = UNPACK_EXIT_PATH;
		else if (archive_entry_hardlink(e) != NULL || archive_entry_symlink(e) != NULL ||
		    (type != AE_IFREG && type != AE_IFDIR))
			rc = UNPACK_EXIT_LINK;
		else if (archive_entry_is_encrypted(e))
			rc = UNPACK_EXIT_ENCRYPTED;
		else if (type == AE_IFDIR)
			continue;
		else if (++count > lim->max_members)
			rc = UNPACK_EXIT_COUNT;
		else
			rc = member(a, out_fd, name, lim, len, &total);
	}
	if (rc == 0) {
		put_be(tail + 1, count, 4);
		if (fsio_write_all(out_fd, tail, 5) != 0)
			rc = UNPACK_EXIT_IO;
	}
out:
	archive_read_free(a);
	free(data);
	return rc;
}

/* ---- the parent ---- */

static uint64_t
get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

int
unpack_parse(const uint8_t *p, size_t len, const struct unpack_limits *lim,
    struct unpack_member *members, uint32_t max, uint32_t *n)
{
	size_t off = 5;
	uint64_t total = 0;
	uint32_t count = 0;

	*n = 0;
	if (len < 5)
		return UNPACK_ETRUNCATED;
	if (memcmp(p, unpack_magic, 4) != 0 || p[4] != UNPACK_VERSION)
		return UNPACK_EFORMAT;
	for (;;) {
		uint64_t nlen, size;

		if (len - off < 1)
			return UNPACK_ETRUNCATED;
		if (p[off] == 'E') {
			if (len - off < 5)
				return UNPACK_ETRUNCATED;
			if (get_be(p + off + 1, 4) != count || len - off != 5)
				return UNPACK_EFORMAT;
			*n = count;
			return UNPACK_OK;
		}
		if (p[off] != 'M')
			return UNPACK_EFORMAT;
		if (len - off < 3)
			return UNPACK_ETRUNCATED;
		nlen = get_be(p + off + 1, 2);
		off += 3;
		if (nlen == 0 || nlen > UNPACK_MAX_NAME)
			return UNPACK_EFORMAT;
		if (len - off < nlen + 8)
			return UNPACK_ETRUNCATED;
		if (memchr(p + off, '\0', nlen) != NULL ||
		    !unpack_path_ok((const char *)p + off, nlen))
			return UNPACK_EFORMAT;
		if (count == max || count == lim->max_members)
			return UNPACK_ELIMIT;
		memcpy(members[count].name, p + off, nlen);
		members[count].name[nlen] = '\0';
		off += nlen;
		size = get_be(p + off, 8);
		off += 8;
		if (size > lim->max_member || size > lim->max_total - total)
			return UNPACK_ELIMIT;
		if (len - off < size)
			return UNPACK_ETRUNCATED;
		members[count].data = p + off;
		members[count].size = size;
		total += size;
		off += size;
		count++;
	}
}
