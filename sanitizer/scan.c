/*
 * scan.c — libclamav engines shared by worker threads, swapped on reload.
 *
 * The invariant: an engine is freed exactly once, by whoever drops its last
 * reference. The scanner holds one reference to its current engine, every scan
 * holds one for its duration, and the pointer and the counts change only under
 * s->lock. Loading and compiling a new engine (seconds with a full database) happens
 * outside the lock, so scans never wait for a reload; reloads wait for each other.
 *
 * libclamav 1.4 quirks this file exists to contain: without
 * CL_SCAN_HEURISTIC_EXCEEDS_MAX a file that hits a limit is reported CL_CLEAN; the
 * heuristics report through the virus name ("Heuristics.Limits.Exceeded.MaxFileSize",
 * "Heuristics.Encrypted.Zip", ...), which scan_verdict_for_name maps; and
 * CL_SCAN_GENERAL_HEURISTIC_PRECEDENCE is deliberately off, so that a real signature
 * found later in the same file wins over a heuristic: quarantining malware as
 * malware matters more than stopping the scan early, and either way it is refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <clamav.h>

#include "log.h"
#include "scan.h"
#include "scanproc.h"

/* libclamav reports this size alert with a NULL name through cl_scandesc (1.4.6;
 * clamd's "(null) FOUND"), so scan_fd checks the size itself and uses this name. */
#define NAME_MAX_FILESIZE "Heuristics.Limits.Exceeded.MaxFileSize"

struct engine_ref {
	struct cl_engine *engine;
	unsigned refs;
	unsigned signatures;
	unsigned db_version;
};

struct scanner {
	struct scanproc *proc;		/* scan_spawn's: everything goes through it */
	pthread_mutex_t lock;		/* guards cur and every refs */
	pthread_mutex_t reload_lock;	/* one reload at a time; guards stat */
	struct engine_ref *cur;
	struct cl_stat stat;
	struct scan_limits lim;
	char *dbdir;
	char *tmpdir;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static cl_error_t init_rc = CL_EARG;

/* libclamav prints to stderr unless told otherwise; its failures also come back
 * as return codes, so its chatter goes to the debug log only. */
static void
clamav_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *ctx)
{
	(void)fullmsg;
	(void)ctx;
	log_debug("libclamav(%d): %s", (int)severity, msg);
}

static void
do_init(void)
{
	cl_set_clcb_msg(clamav_msg);
	init_rc = cl_init(CL_INIT_DEFAULT);
}

void
scan_limits_default(struct scan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_filesize = 100ull << 20;
	lim->max_scansize = 400ull << 20;
	lim->max_recursion = 16;
	lim->max_files = 10000;
	lim->max_scantime_ms = 120000;
	lim->tmpdir = NULL;
}

const char *
scan_engine_version(void)
{
	return cl_retver();
}

const char *
scan_verdict_name(enum scan_verdict v)
{
	switch (v) {
	case SCAN_CLEAN:		return "clean";
	case SCAN_INFECTED:		return "infected";
	case SCAN_LIMITS_EXCEEDED:	return "limits-exceeded";
	case SCAN_ENCRYPTED:		return "encrypted";
	case SCAN_MACROS:		return "macros";
	case SCAN_ERROR:		return "error";
	}
	return "error";
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum scan_verdict
scan_verdict_for_name(const char *name)
{
	if (name == NULL)
		return SCAN_INFECTED;
	/* "Heuristics.Limits.Exceeded.MaxFileSize" and friends (libclamav 1.x). */
	if (has_prefix(name, "Heuristics.Limits.Exceeded"))
		return SCAN_LIMITS_EXCEEDED;
	/* "Heuristics.Encrypted.Zip", ".RAR", ".PDF", ".7Zip", ... */
	if (has_prefix(name, "Heuristics.Encrypted"))
		return SCAN_ENCRYPTED;
	if (has_prefix(name, "Heuristics.OLE2.ContainsMacros"))
		return SCAN_MACROS;
	/* Any other heuristic (broken executable, phishing...) and every signature. */
	return SCAN_INFECTED;
}

static void
engine_unref_locked(struct engine_ref *e, struct engine_ref **free_me)
{
	if (--e->refs == 0)
		*free_me = e;
}

static void
engine_free(struct engine_ref *e)
{
	if (e == NULL)
		return;
	cl_engine_free(e->engine);
	free(e);
}

static int
set_num(struct cl_engine *engine, enum cl_engine_field f, long long v)
{
	return cl_engine_set_num(engine, f, v) == CL_SUCCESS ? 0 : -EINVAL;
}

static int
engine_load(const struct scanner *s, struct engine_ref **out)
{
	struct engine_ref *e;
	unsigned sigs = 0;
	int err = 0;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	if ((e->engine = cl_engine_new()) == NULL) {
		free(e);
		return -ENOMEM;
	}
	if ((err = set_num(e->engine, CL_ENGINE_MAX_FILESIZE, (long long)s->lim.max_filesize)) ||
	    (err = set_num(e->engine, CL_ENGINE_MAX_SCANSIZE, (long long)s->lim.max_scansize)) ||
	    (err = set_num(e->engine, CL_ENGINE_MAX_RECURSION, s->lim.max_recursion)) ||
	    (err = set_num(e->engine, CL_ENGINE_MAX_FILES, s->lim.max_files)) ||
	    (err = set_num(e->engine, CL_ENGINE_MAX_SCANTIME, s->lim.max_scantime_ms)))
		goto fail;
	if (s->tmpdir != NULL &&
	    cl_engine_set_str(e->engine, CL_ENGINE_TMPDIR, s->tmpdir) != CL_SUCCESS) {
		err = -EINVAL;
		goto fail;
	}
	if (cl_load(s->dbdir, e->engine, &sigs, CL_DB_STDOPT) != CL_SUCCESS ||
	    cl_engine_compile(e->engine) != CL_SUCCESS) {
		err = -EINVAL;
		goto fail;
	}
	e->signatures = sigs;
	e->db_version = (unsigned)cl_engine_get_num(e->engine, CL_ENGINE_DB_VERSION, NULL);
	e->refs = 1;
	*out = e;
	return 0;
fail:
	engine_free(e);
	return err;
}

int
scan_open(struct scanner **out, const char *dbdir, const struct scan_limits *lim)
{
	struct scanner *s;
	int err;

	pthread_once(&init_once, do_init);
	if (init_rc != CL_SUCCESS)
		return -EIO;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->lim = *lim;
	if ((s->dbdir = strdup(dbdir)) == NULL ||
	    (lim->tmpdir != NULL && (s->tmpdir = strdup(lim->tmpdir)) == NULL)) {
		err = -ENOMEM;
		goto fail;
	}
	s->lim.tmpdir = s->tmpdir;
	/* Take the directory's fingerprint before loading, so a change made during
	 * the load is seen by the next scan_reload rather than lost. */
	if (cl_statinidir(s->dbdir, &s->stat) != CL_SUCCESS) {
		err = -ENOENT;
		goto fail;
	}
	if ((err = engine_load(s, &s->cur)) != 0) {
		cl_statfree(&s->stat);
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->reload_lock, NULL);
	*out = s;
	return 0;
fail:
	free(s->dbdir);
	free(s->tmpdir);
	free(s);
	return err;
}

int
scan_spawn(struct scanner **out, const char *dbdir, const struct scan_limits *lim,
    char *err, size_t errlen)
{
	struct scanner *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	if ((rc = scanproc_start(&s->proc, NULL, dbdir, lim, err, errlen)) != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
scan_process_info(struct scanner *s, pid_t *pid, unsigned *starts, int *landlock_abi)
{
	struct scanproc_status st;

	if (s->proc == NULL)
		return -ENOENT;
	scanproc_status(s->proc, &st);
	*pid = st.pid;
	*starts = st.starts;
	*landlock_abi = st.landlock_abi;
	return 0;
}

void
scan_close(struct scanner *s)
{
	if (s == NULL)
		return;
	if (s->proc != NULL) {
		scanproc_stop(s->proc);
		free(s);
		return;
	}
	engine_free(s->cur);
	cl_statfree(&s->stat);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->reload_lock);
	free(s->dbdir);
	free(s->tmpdir);
	free(s);
}

int
scan_reload(struct scanner *s)
{
	struct engine_ref *fresh, *old = NULL;
	int err;

	if (s->proc != NULL)
		return scanproc_reload(s->proc);
	pthread_mutex_lock(&s->reload_lock);
	if (cl_statchkdir(&s->stat) != 1) {
		pthread_mutex_unlock(&s->reload_lock);
		return 0;
	}
	cl_statfree(&s->stat);
	if (cl_statinidir(s->dbdir, &s->stat) != CL_SUCCESS) {
		pthread_mutex_unlock(&s->reload_lock);
		return -ENOENT;
	}
	if ((err = engine_load(s, &fresh)) != 0) {
		/* The old engine keeps serving; the next change will be tried again. */
		pthread_mutex_unlock(&s->reload_lock);
		return err;
	}
	pthread_mutex_lock(&s->lock);
	engine_unref_locked(s->cur, &old);
	s->cur = fresh;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->reload_lock);
	engine_free(old);	/* NULL while scans still hold it: the last one frees */
	return 1;
}

void
scan_db_info(struct scanner *s, unsigned *signatures, unsigned *db_version)
{
	if (s->proc != NULL) {
		struct scanproc_status st;

		scanproc_status(s->proc, &st);
		*signatures = st.signatures;
		*db_version = st.db_version;
		return;
	}
	pthread_mutex_lock(&s->lock);
	*signatures = s->cur->signatures;
	*db_version = s->cur->db_version;
	pthread_mutex_unlock(&s->lock);
}

static bool
limit_error(cl_error_t rc)
{
	return rc == CL_ETIMEOUT || rc == CL_EMAXREC || rc == CL_EMAXSIZE ||
	    rc == CL_EMAXFILES;
}

int
scan_fd(struct scanner *s, int fd, struct scan_result *res)
{
	struct cl_scan_options opts;
	struct engine_ref *e, *dead = NULL;
	const char *virname = NULL;
	unsigned long scanned = 0;
	struct stat st;
	cl_error_t rc;

	if (s->proc != NULL)
		return scanproc_scan(s->proc, fd, res);
	memset(res, 0, sizeof(*res));
	if (fstat(fd, &st) != 0)
		return -errno;
	memset(&opts, 0, sizeof(opts));
	opts.general = CL_SCAN_GENERAL_HEURISTICS;
	opts.parse = ~0u;
	opts.heuristic = CL_SCAN_HEURISTIC_MACROS | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
	    CL_SCAN_HEURISTIC_ENCRYPTED_DOC | CL_SCAN_HEURISTIC_EXCEEDS_MAX;

	pthread_mutex_lock(&s->lock);
	e = s->cur;
	e->refs++;
	pthread_mutex_unlock(&s->lock);

	res->db_version = e->db_version;
	res->signatures = e->signatures;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > s->lim.max_filesize) {
		res->verdict = SCAN_LIMITS_EXCEEDED;
		snprintf(res->name, sizeof(res->name), "%s", NAME_MAX_FILESIZE);
		goto done;
	}
	rc = cl_scandesc(fd, NULL, &virname, &scanned, e->engine, &opts);
	if (rc == CL_VIRUS) {
		/* virname lives in the engine: copy it before letting the engine go. An
		 * alert without a name is still an alert: infected, "(unnamed)". */
		snprintf(res->name, sizeof(res->name), "%s",
		    virname != NULL && virname[0] != '\0' ? virname : "(unnamed)");
		res->verdict = scan_verdict_for_name(virname);
	} else if (rc == CL_CLEAN) {
		res->verdict = SCAN_CLEAN;
	} else if (limit_error(rc)) {
		res->verdict = SCAN_LIMITS_EXCEEDED;
		res->cl_error = (int)rc;
		snprintf(res->name, sizeof(res->name), "%s", cl_strerror(rc));
	} else {
		res->verdict = SCAN_ERROR;
		res->cl_error = (int)rc;
		snprintf(res->name, sizeof(res->name), "%s", cl_strerror(rc));
	}
done:
	pthread_mutex_lock(&s->lock);
	engine_unref_locked(e, &dead);
	pthread_mutex_unlock(&s->lock);
	engine_free(dead);
	return 0;
}
