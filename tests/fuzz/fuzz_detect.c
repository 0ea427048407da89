/*
 * fuzz_detect.c — detect_fd on arbitrary bytes, through a memfd as in production.
 *
 * Whatever the bytes, detection must return 0 (a memfd never fails to read), a
 * type name that is one of the stable names, and flags only from DETECT_F_*.
 * Seeds: tests/fuzz/corpus/fuzz_detect/ (copies of tests/corpus/detect/).
 */
#define _GNU_SOURCE		/* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detect_result r;
	int fd = memfd_create("fuzz_detect", MFD_CLOEXEC);
	unsigned all = DETECT_F_ENCRYPTED | DETECT_F_MACRO | DETECT_F_TRUNCATED |
	    DETECT_F_EMPTY | DETECT_F_UTF8 | DETECT_F_SJIS | DETECT_F_MARKUP | DETECT_F_LOSSY |
	    DETECT_F_PAGES;

	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	if (detect_fd(fd, &r) != 0)
		abort();
	if ((unsigned)r.type >= DETECT_TYPE_COUNT || (r.flags & ~all) != 0 ||
	    detect_type_name(r.type) == NULL)
		abort();
	if (r.type == DETECT_TEXT && !(r.flags & (DETECT_F_UTF8 | DETECT_F_SJIS)))
		abort();
	/* Lossy is a property of a picture and of nothing else. */
	if ((r.flags & DETECT_F_LOSSY) && r.type != DETECT_JPEG && r.type != DETECT_HEIC &&
	    r.type != DETECT_WEBP)
		abort();
	if ((r.flags & DETECT_F_PAGES) && r.type != DETECT_TIFF)
		abort();
	close(fd);
	return 0;
}
