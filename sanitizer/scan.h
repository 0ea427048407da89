/*
 * scan.h — virus scanning with libclamav 1.4, where every doubt is a refusal.
 *
 * A scanner owns a compiled engine loaded from one signature directory. Many
 * threads may scan at once; scan_reload swaps in a freshly compiled engine when the
 * directory changed, and the old engine is freed only when the last scan that
 * holds it has finished. A file is clean only when libclamav scanned it whole and
 * found nothing: a limit hit, an encrypted archive or document, macros, any error,
 * each has its own verdict, and none of them is clean.
 *
 * A scanner is either in this process (scan_open: the scanner program itself,
 * tests) or a process of its own (scan_spawn: the service and sekishoctl, so that
 * libclamav never parses an upload in a process that holds a key); the calls are
 * the same on both.
 */
#ifndef SEKISHO_SCAN_H
#define SEKISHO_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCAN_NAME_MAX	128	/* a signature or heuristic name, truncated */

struct scan_limits {
	uint64_t max_filesize;	/* CL_ENGINE_MAX_FILESIZE: larger files are refused */
	uint64_t max_scansize;	/* CL_ENGINE_MAX_SCANSIZE: bytes scanned per file */
	uint32_t max_recursion;	/* CL_ENGINE_MAX_RECURSION: archive nesting */
	uint32_t max_files;	/* CL_ENGINE_MAX_FILES: members per file */
	uint32_t max_scantime_ms; /* CL_ENGINE_MAX_SCANTIME */
	const char *tmpdir;	/* CL_ENGINE_TMPDIR; NULL: libclamav's default */
};

/* Defaults for citizen uploads: 100 MiB files, 400 MiB scanned, depth 16, 10000
 * members, 120 s. */
void scan_limits_default(struct scan_limits *lim);

enum scan_verdict {
	SCAN_CLEAN,
	SCAN_INFECTED,		/* a signature matched: quarantine */
	SCAN_LIMITS_EXCEEDED,	/* size, recursion, file count or time: refuse */
	SCAN_ENCRYPTED,		/* encrypted archive or document: refuse */
	SCAN_MACROS,		/* OLE2 VBA macros (heuristic): refuse or strip */
	SCAN_ERROR,		/* libclamav failed: refuse, never pass */
};

struct scan_result {
	enum scan_verdict verdict;
	char name[SCAN_NAME_MAX];	/* what matched ("" when clean) */
	int cl_error;			/* libclamav's cl_error_t for SCAN_ERROR */
	unsigned db_version;		/* of the engine that scanned (0: not a CVD) */
	unsigned signatures;		/* signature count of that engine */
};

struct scanner;

/* Load and compile the signatures in dbdir under lim (copied). Returns 0 and
 * *out, or a negative errno (-EINVAL for a database libclamav refuses). */
int scan_open(struct scanner **out, const char *dbdir, const struct scan_limits *lim);

/* As scan_open, with libclamav in a confined process of its own (sekisho-scanner,
 * scanproc.h), replaced when it dies. Returns 0 and *out, or a negative errno with
 * the reason in err. */
int scan_spawn(struct scanner **out, const char *dbdir, const struct scan_limits *lim,
    char *err, size_t errlen);

/* For a scanner from scan_spawn: its process (0 while none runs), how many were
 * started, the Landlock ABI it runs under (0: none). -ENOENT for scan_open's. */
int scan_process_info(struct scanner *s, pid_t *pid, unsigned *starts, int *landlock_abi);

/* Free the scanner; no scan may be running. */
void scan_close(struct scanner *s);

/* Scan the file open on fd (from its current offset: seek to 0 first). Returns 0
 * with *res filled, whatever the verdict, or a negative errno when no scan could be
 * made (a scanner process that died twice: try again later). Thread-safe. */
int scan_fd(struct scanner *s, int fd, struct scan_result *res);

/* If the database directory changed since the engine was loaded, load and compile
 * a new engine and swap it in without disturbing scans in flight. Returns 1 if
 * reloaded, 0 if unchanged, or a negative errno (the old engine stays). */
int scan_reload(struct scanner *s);

/* Signature count and database version of the current engine. */
void scan_db_info(struct scanner *s, unsigned *signatures, unsigned *db_version);

/* libclamav's version string, e.g. "1.4.6". */
const char *scan_engine_version(void);

/* Map a name libclamav reported to a verdict: Heuristics.Limits.Exceeded.* and
 * Heuristics.Encrypted.* and Heuristics.OLE2.ContainsMacros have their own. */
enum scan_verdict scan_verdict_for_name(const char *name);

/* A stable name for a verdict: "clean", "infected", "limits-exceeded", ... */
const char *scan_verdict_name(enum scan_verdict v);

#endif
