/*
 * db.c — SQLite the way every Sekisho database is opened.
 *
 * Invariant: a struct db handed to a caller is a connection to a database whose
 * PRAGMA user_version equals the number of migrations the program knows, with WAL,
 * synchronous=FULL, foreign keys and secure_delete verified on (not merely asked
 * for). A database that is newer than the program, or that cannot be brought to the
 * program's version, is never returned. Each migration and the version it records
 * commit together or not at all, so a crash mid-migration leaves the previous
 * version, intact, to be migrated again.
 *
 * Files hold personal data (個人情報): they are created 0600 by us, before SQLite
 * sees them, so no umask can widen them; SQLite gives the -wal and -shm files the
 * same mode as the database. A backup is written to a temporary 0600 file in the
 * destination directory, checked, fsync'd and renamed, so the destination path holds
 * either the previous backup or a complete new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "fsio.h"

#define DB_MSG_MAX		256
#define DB_BACKUP_RETRY_MS	50	/* between backup steps while the source is busy */

struct db_cached {
	char *sql;			/* our copy of the key */
	sqlite3_stmt *stmt;
	unsigned long long used;	/* db->tick at last use, for LRU eviction */
};

struct db {
	sqlite3 *h;
	char *path;
	unsigned flags;
	struct db_cached cache[DB_STMT_CACHE];
	size_t ncached;
	unsigned long long tick;
	char msg[DB_MSG_MAX];		/* our own error, when own_msg is set */
	bool own_msg;
};

static int fail(char *, size_t, const char *, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}


/*
 * Create path as an empty 0600 file if it does not exist (an empty file is a valid
 * empty database). O_NOFOLLOW and O_EXCL: a symlink planted at the path cannot make
 * us create, or chmod, a file elsewhere.
 */
static int
create_private(const char *path, char *err, size_t errlen)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0;
		return fail(err, errlen, "%s: creating: %s", path, strerror(errno));
	}
	/* The umask may only narrow 0600; be explicit anyway. */
	if (fchmod(fd, 0600) == -1 || fsync(fd) == -1) {
		fail(err, errlen, "%s: creating: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	if (fsio_fsync_parent(path) == -1)
		return fail(err, errlen, "%s: fsync of its directory: %s", path,
		    strerror(errno));
	return 0;
}

/* Run a one-row PRAGMA (or query) and copy column 0 as text. */
static int
query_text(sqlite3 *h, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	int rc;

	out[0] = '\0';
	if ((rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((t = sqlite3_column_text(st, 0)) != NULL)
			snprintf(out, outlen, "%s", (const char *)t);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

static int
user_version(sqlite3 *h, int *v)
{
	char buf[32];
	int rc;

	if ((rc = query_text(h, "PRAGMA user_version", buf, sizeof(buf))) != SQLITE_OK)
		return rc;
	*v = atoi(buf);
	return SQLITE_OK;
}

/* Set a pragma, then read it back: SQLite ignores some settings silently (inside a
 * transaction, on a read-only file, in a build without the feature). */
static int
pragma_verified(struct db *db, const char *set, const char *get, const char *want,
    char *err, size_t errlen)
{
	char got[32];
	int rc;

	if (set != NULL && (rc = sqlite3_exec(db->h, set, NULL, NULL, NULL)) != SQLITE_OK)
		return fail(err, errlen, "%s: %s: %s", db->path, set,
		    sqlite3_errmsg(db->h));
	if ((rc = query_text(db->h, get, got, sizeof(got))) != SQLITE_OK)
		return fail(err, errlen, "%s: %s: %s", db->path, get,
		    sqlite3_errmsg(db->h));
	if (strcmp(got, want) != 0)
		return fail(err, errlen, "%s: %s is '%s', expected '%s'", db->path, get,
		    got, want);
	return 0;
}

static int
configure(struct db *db, char *err, size_t errlen)
{
	sqlite3 *h = db->h;
	int ok = 1;

	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, DB_BUSY_TIMEOUT_MS);
	/*
	 * DEFENSIVE: no SQL can corrupt the file on purpose (writable_schema, raw shadow
	 * table writes). TRUSTED_SCHEMA off: a tampered schema cannot make triggers or
	 * views call functions with side effects. DQS off: "text" in SQL is an
	 * identifier, never silently a string, so a typo in a migration fails loudly.
	 */
	ok &= sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(h, SQLITE_DBCONFIG_DQS_DML, 0, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(h, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) == SQLITE_OK;
	if (!ok)
		return fail(err, errlen, "%s: sqlite3_db_config: %s", db->path,
		    sqlite3_errmsg(h));

	if (db->flags & DB_READONLY)
		return pragma_verified(db, "PRAGMA query_only=ON", "PRAGMA query_only",
		    "1", err, errlen);

	/* WAL: readers (health checks, CSV export, backup) never block the writer. The
	 * pragma answers with the mode it got, which on some filesystems is not WAL. */
	if (pragma_verified(db, NULL, "PRAGMA journal_mode=WAL", "wal", err,
	    errlen) != 0)
		return -1;
	/* FULL: in WAL mode NORMAL may lose the last commits on power loss, and a
	 * receipt number (到達番号) is only given for a commit that is durable. */
	if (pragma_verified(db, "PRAGMA synchronous=FULL", "PRAGMA synchronous", "2",
	    err, errlen) != 0)
		return -1;
	if (pragma_verified(db, "PRAGMA foreign_keys=ON", "PRAGMA foreign_keys", "1",
	    err, errlen) != 0)
		return -1;
	/*
	 * secure_delete: deleted rows (an application withdrawn, records past their
	 * retention period) are overwritten with zeros instead of lingering in free
	 * pages and free space inside pages, where a copy of the file would still show
	 * them. The cost is extra writes on DELETE, which is rare here. It is not
	 * forensic erasure: old frames stay in the -wal file until overwritten and the
	 * SSD may keep old blocks; protecting the medium is the encrypted volume's job.
	 */
	return pragma_verified(db, "PRAGMA secure_delete=ON", "PRAGMA secure_delete",
	    "1", err, errlen);
}

static int
migrate(struct db *db, const struct db_migration *migs, size_t n, char *err,
    size_t errlen)
{
	char sql[64];
	int rc, v;

	/* Read outside a transaction first: the usual case is "up to date", and that
	 * must not take the write lock on every open. */
	if ((rc = user_version(db->h, &v)) != SQLITE_OK)
		return fail(err, errlen, "%s: reading user_version: %s", db->path,
		    sqlite3_errmsg(db->h));
	if (v < 0 || (size_t)v > n)
		return fail(err, errlen, "%s: schema version %d is newer than this "
		    "program (%zu)", db->path, v, n);
	if ((size_t)v == n)
		return 0;
	if (db->flags & DB_READONLY)
		return fail(err, errlen, "%s: schema version %d, this program expects "
		    "%zu (opened read-only, so not migrated)", db->path, v, n);

	/* One migration per transaction, re-reading the version under the write lock:
	 * two daemons opening the same file at once each apply a step exactly once. */
	for (;;) {
		if ((rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL)) != SQLITE_OK)
			return fail(err, errlen, "%s: BEGIN IMMEDIATE: %s", db->path,
			    sqlite3_errmsg(db->h));
		if ((rc = user_version(db->h, &v)) != SQLITE_OK) {
			fail(err, errlen, "%s: reading user_version: %s", db->path,
			    sqlite3_errmsg(db->h));
			goto rollback;
		}
		if (v < 0 || (size_t)v > n) {
			fail(err, errlen, "%s: schema version %d is newer than this "
			    "program (%zu)", db->path, v, n);
			goto rollback;
		}
		if ((size_t)v == n)
			break;
		if ((rc = sqlite3_exec(db->h, migs[v].sql, NULL, NULL, NULL)) !=
		    SQLITE_OK) {
			fail(err, errlen, "%s: migration %d: %s", db->path,
			    migs[v].version, sqlite3_errmsg(db->h));
			goto rollback;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", migs[v].version);
		if ((rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) != SQLITE_OK ||
		    (rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL)) !=
		    SQLITE_OK) {
			fail(err, errlen, "%s: migration %d: %s", db->path,
			    migs[v].version, sqlite3_errmsg(db->h));
			goto rollback;
		}
	}
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	return 0;

rollback:
	/* A failed statement may already have rolled the transaction back. */
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
db_open(struct db **out, const char *path, unsigned flags,
    const struct db_migration *migs, size_t n, char *err, size_t errlen)
{
	struct db *db;
	size_t i;
	int oflags, rc;

	*out = NULL;
	if (path == NULL || (n > 0 && migs == NULL))
		return fail(err, errlen, "db_open: no path or no migrations");
	if ((flags & DB_READONLY) && (flags & DB_CREATE))
		return fail(err, errlen, "%s: DB_CREATE with DB_READONLY", path);
	/* Checked before touching the file: a broken list must not create one. */
	if (n > (size_t)INT32_MAX)
		return fail(err, errlen, "%s: too many migrations", path);
	for (i = 0; i < n; i++)
		if (migs[i].version != (int)i + 1 || migs[i].sql == NULL)
			return fail(err, errlen, "%s: migration list entry %zu has version "
			    "%d, expected %zu", path, i, migs[i].version, i + 1);
	/* NOMUTEX needs a library built thread-safe, or two connections in two
	 * threads would share unguarded globals. */
	if (!sqlite3_threadsafe())
		return fail(err, errlen, "%s: libsqlite3 is built single-threaded", path);

	if ((flags & DB_CREATE) && create_private(path, err, errlen) != 0)
		return -1;

	if ((db = calloc(1, sizeof(*db))) == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		return fail(err, errlen, "%s: out of memory", path);
	}
	db->flags = flags;

	/*
	 * NOMUTEX: a connection belongs to one thread (db.h), so SQLite's per-connection
	 * mutex would only cost a lock per call and hide misuse; FULLMUTEX would make
	 * sharing "work" while interleaving two threads' transactions. NOFOLLOW: a
	 * symlink must not redirect one tenant's file to another's. No OPEN_CREATE:
	 * create_private made the file with our mode; if it is missing now, that is an
	 * error, not a reason to create one with SQLite's default 0644.
	 */
	oflags = ((flags & DB_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE;
	if ((rc = sqlite3_open_v2(path, &db->h, oflags, NULL)) != SQLITE_OK) {
		fail(err, errlen, "%s: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return -1;
	}
	if (configure(db, err, errlen) != 0 || migrate(db, migs, n, err, errlen) != 0) {
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncached; i++) {
		sqlite3_finalize(db->cache[i].stmt);
		free(db->cache[i].sql);
	}
	/* _v2: if the caller leaked a statement of its own, the connection closes when
	 * that is finalized instead of failing here and leaking the handle. */
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

static sqlite3_stmt *
stmt_error(struct db *db, const char *msg)
{
	snprintf(db->msg, sizeof(db->msg), "%s", msg);
	db->own_msg = true;
	return NULL;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	struct db_cached *slot = NULL;
	sqlite3_stmt *st, *extra;
	const char *tail;
	char *key;
	size_t i;

	db->own_msg = false;
	for (i = 0; i < db->ncached; i++) {
		if (strcmp(db->cache[i].sql, sql) == 0) {
			st = db->cache[i].stmt;
			sqlite3_reset(st);	/* its result is the last step's, already seen */
			sqlite3_clear_bindings(st);
			db->cache[i].used = ++db->tick;
			return st;
		}
	}

	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    &tail) != SQLITE_OK)
		return NULL;
	if (st == NULL)
		return stmt_error(db, "db_stmt: empty SQL");
	/* One statement per call: anything after it (but comments) would be
	 * silently ignored by sqlite3_step. */
	if (sqlite3_prepare_v2(db->h, tail, -1, &extra, NULL) != SQLITE_OK ||
	    extra != NULL) {
		sqlite3_finalize(extra);
		sqlite3_finalize(st);
		return stmt_error(db, "db_stmt: more than one statement in the SQL");
	}

	if (db->ncached < DB_STMT_CACHE)
		slot = &db->cache[db->ncached];
	else {
		/*
		 * Evict the least recently fetched statement that is not mid-step, so a
		 * loop over rows survives the queries made inside it. If every one is
		 * mid-step (callers that read one row and never reset), take the least
		 * recently fetched anyway: failing here would turn a harmless habit
		 * into an outage, and finalizing also releases the read snapshot such a
		 * statement holds, which would otherwise stop WAL checkpoints.
		 */
		for (i = 0; i < db->ncached; i++)
			if (!sqlite3_stmt_busy(db->cache[i].stmt) &&
			    (slot == NULL || db->cache[i].used < slot->used))
				slot = &db->cache[i];
		if (slot == NULL)
			for (i = 0; i < db->ncached; i++)
				if (slot == NULL || db->cache[i].used < slot->used)
					slot = &db->cache[i];
	}
	if ((key = strdup(sql)) == NULL) {
		sqlite3_finalize(st);
		return stmt_error(db, "db_stmt: out of memory");
	}
	if (slot == &db->cache[db->ncached])
		db->ncached++;
	else {
		sqlite3_finalize(slot->stmt);
		free(slot->sql);
	}
	slot->sql = key;
	slot->stmt = st;
	slot->used = ++db->tick;
	return st;
}

/* Run one cached statement that returns no rows. */
static int
run(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql)) == NULL)
		return db->own_msg ? SQLITE_ERROR : sqlite3_errcode(db->h);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
db_begin(struct db *db)
{
	/* IMMEDIATE: take the write lock now, where the busy timeout applies, rather
	 * than at the first write, where a WAL reader-turned-writer gets SQLITE_BUSY
	 * with no retry. */
	return run(db, "BEGIN IMMEDIATE");
}

int
db_commit(struct db *db)
{
	return run(db, "COMMIT");
}

int
db_rollback(struct db *db)
{
	/* Some errors (SQLITE_FULL, SQLITE_IOERR...) roll back by themselves; an error
	 * path's rollback must not then fail with "no transaction is active". */
	if (sqlite3_get_autocommit(db->h))
		return SQLITE_OK;
	/* Not through the cache: an error path must not depend on a free slot. */
	db->own_msg = false;
	return sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if ((st = db_stmt(db, "PRAGMA user_version")) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v;
}

int
db_ping(struct db *db)
{
	sqlite3_stmt *st;
	int rc;

	/* schema_version reads the file header under a read lock, so this notices a
	 * vanished or unreadable file, unlike "SELECT 1". */
	if ((st = db_stmt(db, "PRAGMA schema_version")) == NULL)
		return db->own_msg ? SQLITE_ERROR : sqlite3_errcode(db->h);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int
db_backup(struct db *db, const char *dest_path, char *err, size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	char *tmp = NULL;
	char check[32];
	size_t tmplen = strlen(dest_path) + sizeof(".tmp-XXXXXX");
	int fd, rc, rc2, waited = 0;

	if ((tmp = malloc(tmplen)) == NULL)
		return fail(err, errlen, "%s: out of memory", dest_path);
	/* Same directory as the destination, so rename(2) is atomic. mkstemp makes it
	 * 0600; the descriptor is closed before SQLite opens the file, because closing
	 * any descriptor of a file drops SQLite's POSIX locks on it. */
	snprintf(tmp, tmplen, "%s.tmp-XXXXXX", dest_path);
	if ((fd = mkstemp(tmp)) == -1) {
		fail(err, errlen, "%s: temporary file: %s", dest_path, strerror(errno));
		free(tmp);
		return -1;
	}
	close(fd);

	if ((rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_NOFOLLOW, NULL)) != SQLITE_OK) {
		fail(err, errlen, "%s: %s", tmp, dst != NULL ? sqlite3_errmsg(dst) :
		    sqlite3_errstr(rc));
		goto fail;
	}
	/* The temporary file is worthless until renamed, and fsync'd as a whole
	 * below: no journal and no syncs while it is written. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL,
	    NULL, NULL) != SQLITE_OK) {
		fail(err, errlen, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto fail;
	}
	if ((b = sqlite3_backup_init(dst, "main", db->h, "main")) == NULL) {
		fail(err, errlen, "%s: backup: %s", dest_path, sqlite3_errmsg(dst));
		goto fail;
	}
	/* All pages in one step: one read transaction, so one consistent snapshot,
	 * which WAL lets writers go on beside. Piecewise steps would restart whenever
	 * another connection writes, and might never finish on a busy tenant. */
	for (;;) {
		rc = sqlite3_backup_step(b, -1);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
		    waited >= DB_BUSY_TIMEOUT_MS)
			break;
		sqlite3_sleep(DB_BACKUP_RETRY_MS);
		waited += DB_BACKUP_RETRY_MS;
	}
	rc2 = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || rc2 != SQLITE_OK) {
		fail(err, errlen, "%s: backup: %s", dest_path,
		    sqlite3_errstr(rc != SQLITE_DONE ? rc : rc2));
		goto fail;
	}
	/* A backup that would not restore is worse than none: it replaces a good one. */
	if (query_text(dst, "PRAGMA quick_check", check, sizeof(check)) != SQLITE_OK ||
	    strcmp(check, "ok") != 0) {
		fail(err, errlen, "%s: backup copy fails quick_check: %s", dest_path,
		    check[0] != '\0' ? check : sqlite3_errmsg(dst));
		goto fail;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		fail(err, errlen, "%s: closing: %s", tmp, sqlite3_errmsg(dst));
		goto fail;
	}
	dst = NULL;

	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) == -1 || fsync(fd) == -1) {
		fail(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		goto fail;
	}
	close(fd);
	if (rename(tmp, dest_path) == -1) {
		fail(err, errlen, "%s: rename: %s", dest_path, strerror(errno));
		goto fail;
	}
	free(tmp);
	if (fsio_fsync_parent(dest_path) == -1)
		return fail(err, errlen, "%s: fsync of its directory: %s", dest_path,
		    strerror(errno));
	return 0;

fail:
	sqlite3_close_v2(dst);
	unlink(tmp);
	free(tmp);
	return -1;
}

const char *
db_errmsg(struct db *db)
{
	return db->own_msg ? db->msg : sqlite3_errmsg(db->h);
}

int
db_step_done(sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
