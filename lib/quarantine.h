/*
 * quarantine.h — keeping what was refused, for incident analysis, where it can
 * never be taken for something accepted.
 *
 * A quarantined file sits in its zone's quarantine/ directory under a name of its
 * own, with the reason beside it in NAME.reason. Nothing reads quarantine/ to pass
 * data on, and nothing in it ever crosses the bridge; tmpfiles.d expires it.
 */
#ifndef SEKISHO_QUARANTINE_H
#define SEKISHO_QUARANTINE_H

#include <stddef.h>

enum quarantine_how {
	QUARANTINE_MOVE,	/* the file leaves where it was (never replacing one) */
	QUARANTINE_LINK,	/* hard link: the caller still finishes its own copy */
};

/* Put src into dir as name (a link that already exists counts as done) and, when
 * reason is not NULL, write it to name.reason first, so that the file is never seen
 * without it. The placed path goes to dst. 0, or -1 with errno if the file could not
 * be placed (and then no note is left; the note itself is best effort). */
int quarantine_keep(const char *dir, const char *name, const char *src,
		    enum quarantine_how how, const char *reason, char *dst, size_t dstlen);

#endif
