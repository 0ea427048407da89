/*
 * scanproc.h — libclamav in a process of its own (sekisho-scanner), and the
 * sanitizer's side of talking to it.
 *
 * Why a process: libclamav parses every hostile upload (its unpackers for zip,
 * OLE2, PDF, RAR, ...), and inside sanitized it would do so in the process that holds
 * the signing key. It also holds the signature engine, about a gigabyte with a
 * production database, and every sandboxed child forked from a process that size
 * spends tens of milliseconds copying its page tables (docs/sanitizer.md). The
 * scanner is exec'd afresh, so it has none of the parent's memory; it loads the
 * engine, confines itself (Landlock to /usr, its database and its own temporary
 * directory; a seccomp denylist with no exec and no socket), and only then takes
 * work. Files reach it as descriptors, never as names.
 *
 * The protocol, on a SOCK_SEQPACKET pair (SCANPROC_CONN_FD in the scanner):
 *   parent → scanner   struct scanproc_hello, once, first;
 *   scanner → parent   struct scanproc_reply to it, once the engine is loaded;
 *   parent → scanner   struct scanproc_request, with SCM_RIGHTS: the reply socket
 *                      (every op), then the file (SCANPROC_OP_SCAN);
 *   scanner → parent   struct scanproc_reply on that request's reply socket.
 * A reply socket per request lets many worker threads scan at once without
 * matching answers to questions, and a scanner that dies closes every one of them:
 * the parent sees it at once, and retries the file on a new scanner.
 */
#ifndef SEKISHO_SCANPROC_H
#define SEKISHO_SCANPROC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scan.h"

#define SCANPROC_PROGRAM	"sekisho-scanner"
#define SCANPROC_CONN_FD	3	/* the scanner's end of its connection */
#define SCANPROC_MAGIC		0x53534331u	/* "SSC1" */
#define SCANPROC_MAX_INFLIGHT	64	/* requests the scanner serves at once */
#define SCANPROC_RETRIES	1	/* a file is tried again once on a new scanner */
#define SCANPROC_LOAD_TIMEOUT_MS (10 * 60 * 1000)	/* load or reload of a full database */
#define SCANPROC_SCAN_GRACE_MS	1000	/* past twice max_scantime_ms: the scanner is stuck
					 * (libclamav checks its time limit only now and then) */

enum scanproc_op {
	SCANPROC_OP_HELLO = 1,
	SCANPROC_OP_SCAN = 2,
	SCANPROC_OP_RELOAD = 3,
};

struct scanproc_hello {
	uint32_t magic;
	uint32_t op;			/* SCANPROC_OP_HELLO */
	uint64_t max_filesize, max_scansize;
	uint32_t max_recursion, max_files, max_scantime_ms;
	uint32_t reserved;
	char dbdir[PATH_MAX];		/* NUL-terminated */
	char tmpdir[PATH_MAX];		/* the scanner's own, made by the parent */
};

struct scanproc_request {
	uint32_t magic;
	uint32_t op;			/* SCANPROC_OP_SCAN or SCANPROC_OP_RELOAD */
};

struct scanproc_reply {
	uint32_t magic;
	int32_t rc;			/* 0, or a negative errno (reload: 1 reloaded) */
	uint32_t verdict;		/* enum scan_verdict */
	int32_t cl_error;
	uint32_t db_version, signatures;
	int32_t landlock_abi;		/* hello: the ABI enforced; 0 none */
	uint32_t reserved;
	char name[SCAN_NAME_MAX];
};

/* Check a reply of n bytes from the scanner, which parses hostile files and is
 * trusted with nothing: exact size, magic, a known verdict, rc in range. Returns 0
 * and fills *res (name NUL-terminated), or -EPROTO. */
int scanproc_reply_decode(const void *buf, size_t n, struct scanproc_reply *out,
    struct scan_result *res);

/* Check a hello the scanner received (n bytes): magic, op, limits, and paths that
 * are absolute and NUL-terminated. Returns 0 or -EPROTO. */
int scanproc_hello_check(const void *buf, size_t n);

/* ---- the parent's side ------------------------------------------------------------ */

struct scanproc;

struct scanproc_status {
	pid_t pid;		/* of the running scanner; 0: none (it is restarted on use) */
	unsigned starts;	/* scanners started, the first included */
	int landlock_abi;	/* as the running scanner reported; 0: none */
	unsigned signatures, db_version;
};

/* Start the scanner (program: a path, or NULL for SCANPROC_PROGRAM beside ours) on
 * dbdir under lim, and wait until its engine is loaded. A temporary directory of
 * its own is made under lim->tmpdir (NULL: $TMPDIR or /tmp). Returns 0 and *out, or
 * a negative errno with the reason in err. */
int scanproc_start(struct scanproc **out, const char *program, const char *dbdir,
    const struct scan_limits *lim, char *err, size_t errlen);

/* Scan the file open on fd (from its current offset, which is restored). A scanner
 * found dead is replaced and the file tried again; one that does not answer within
 * twice max_scantime_ms and a grace is killed, and the verdict is SCAN_ERROR. Returns 0
 * with *res, whatever the verdict. Thread-safe. */
int scanproc_scan(struct scanproc *p, int fd, struct scan_result *res);

/* Ask the scanner to reload a changed database: as scan_reload. */
int scanproc_reload(struct scanproc *p);

/* What the health check shows. */
void scanproc_status(struct scanproc *p, struct scanproc_status *st);

/* Stop the scanner and free p; no scan may be running. */
void scanproc_stop(struct scanproc *p);

#endif
