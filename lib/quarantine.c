/*
 * quarantine.c — see quarantine.h.
 */
#include "quarantine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"

int
quarantine_keep(const char *dir, const char *name, const char *src,
		enum quarantine_how how, const char *reason, char *dst, size_t dstlen)
{
	char note[PATH_MAX + 16];
	int w = snprintf(dst, dstlen, "%s/%s", dir, name);

	if (w < 0 || (size_t)w >= dstlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* The reason first: whoever sees the file (an operator, a test, the expiry)
	 * finds its reason beside it, even after a crash in between. A move never
	 * replaces a file, nor then its reason. */
	if (how == QUARANTINE_MOVE && access(dst, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	snprintf(note, sizeof note, "%s.reason", dst);
	if (reason != NULL) {
		char text[1024];
		int n = snprintf(text, sizeof text, "%s\n", reason);

		(void)fsio_write_atomic(note, text, (size_t)n < sizeof text ? (size_t)n
									 : sizeof text - 1, 0640);
	}
	/* fsio's link and move: quarantine/ is another mount than the spool under
	 * systemd, so the file may have to be copied. */
	if (how == QUARANTINE_MOVE ? fsio_move(src, dst) != 0
				   : (fsio_link(src, dst) != 0 && errno != EEXIST)) {
		int saved = errno;

		if (reason != NULL)
			(void)unlink(note);	/* no reason without its file */
		errno = saved;
		return -1;
	}
	return 0;
}
