/*
 * officewarm.h — Office files to PDF by a warm LibreOffice (LibreOfficeKit) kept in
 * the one-shot converter's cage and fed one file at a time.
 *
 * Why: a fresh soffice costs ~2 s per file, nearly all of it LibreOffice starting;
 * LibreOfficeKit, loaded once, converts a one-page docx in ~0.2 s.
 *
 * The invariant: the converter runs in the same cage as officepdf.h's one-shot
 * (its own user, mount, network, PID, IPC and UTS namespaces, a root of its own,
 * nobody, rlimits, no_new_privs, the seccomp denylist) and is a program of ours
 * (sekisho-officewarm) exec'd from a descriptor, so it holds nothing of the service's
 * memory (no signing key). It sees one file at a time, each in a fresh directory
 * with an unguessable name that the parent removes, following no link, before the
 * next. It is killed whole (its PID namespace) and replaced after recycle_after
 * files, after any failure, timeout or malformed answer. Its PDF is read back as the
 * one-shot's is: one regular file, no link followed, at most max_pdf bytes, and
 * then treated as hostile (rendered and rebuilt).
 *
 * What two files of one generation share is the converter itself (its memory, the
 * cage's /tmp, its profile): a document that took LibreOffice over could see the
 * files converted after it, until the recycle. recycle_after bounds that; 1 gives
 * each file a converter of its own, started (warmed) while the previous file is
 * still being rendered and while the service is idle.
 */
#ifndef SEKISHO_OFFICEWARM_H
#define SEKISHO_OFFICEWARM_H

#include <stdint.h>

#include "detect.h"
#include "officepdf.h"

#define OFFICEWARM_PROGRAM		"sekisho-officewarm"
#define OFFICEWARM_DEFAULT_RECYCLE	50	/* files per converter */
#define OFFICEWARM_INIT_TIMEOUT_MS	60000	/* for a new converter to say it is ready */
#define OFFICEWARM_CPU_SECONDS		900	/* RLIMIT_CPU of one whole generation */
#define OFFICEWARM_MAX_CONVERTERS	4
#define OFFICEWARM_JOB_MAX		32	/* bytes of a job's directory name */

/* The converter's side of the connection (SOCK_SEQPACKET, one message each). */
#define OFFICEWARM_MAGIC		0x534b5731u	/* "SKW1" */
#define OFFICEWARM_INSTALL		"/usr/lib/libreoffice/program"

struct officewarm_request {
	uint32_t magic;
	char job[OFFICEWARM_JOB_MAX];	/* /work/<job>/input.<ext> → /work/<job>/output.pdf */
	char ext[8];
};

enum officewarm_answer {
	OFFICEWARM_READY = 1,		/* LibreOfficeKit is up (the first message) */
	OFFICEWARM_DONE,		/* output.pdf written */
	OFFICEWARM_LOAD_FAILED,		/* the document could not be opened */
	OFFICEWARM_SAVE_FAILED,		/* it could not be written as PDF */
};

struct officewarm_reply {
	uint32_t magic;
	uint32_t answer;		/* enum officewarm_answer */
};

/* Calc's inputbar.ui (officewarm_ui.c): bound into the cage, see there. */
extern const char officewarm_calc_inputbar_ui[];

struct officewarm_config {
	struct officepdf_limits limits;	/* the cage; timeout_ms is per file */
	unsigned recycle_after;		/* files per converter, then a fresh one */
	unsigned init_timeout_ms;	/* for a new converter to be ready */
	unsigned converters;		/* kept at once (~250 MB each), 1..MAX */
	const char *program;		/* NULL: sekisho-officewarm beside this program
					 * or in ../bin (the build tree) */
};

/* officepdf_limits_default with OFFICEWARM_CPU_SECONDS, recycle after
 * OFFICEWARM_DEFAULT_RECYCLE files, OFFICEWARM_INIT_TIMEOUT_MS, one converter. */
void officewarm_config_default(struct officewarm_config *c);

struct officewarm;

struct officewarm_stats {
	uint64_t starts;		/* converters started */
	uint64_t files;			/* files given to a converter */
	uint64_t recycled;		/* converters replaced after recycle_after files */
	uint64_t failures;		/* replaced after a failure, timeout or bad answer */
};

/* Open the converter program and start the converters (they warm up in their
 * cages meanwhile). Returns 0, or a negative errno with err filled (no program:
 * -ENOENT). Thread-safe afterwards; free with officewarm_free. */
int officewarm_new(const struct officewarm_config *c, struct officewarm **out, char *err,
    size_t errlen);

/* Convert in_fd (from its start) of the given type into pdf_fd as officepdf_convert
 * does, waiting for a free converter; timeout_ms per file (0: the config's). A
 * negative errno means the converter could not be started or misbehaved before the
 * file was given to it (or our own I/O failed): the caller may fall back to the
 * one-shot. A file that failed, timed out or killed its converter is a status. */
int officewarm_convert(struct officewarm *w, int in_fd, enum detect_type type, int pdf_fd,
    unsigned timeout_ms, struct officepdf_result *res);

void officewarm_get_stats(struct officewarm *w, struct officewarm_stats *st);

/* Kill every converter and remove its directory. */
void officewarm_free(struct officewarm *w);

#endif
