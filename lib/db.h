/*
 * db.h — SQLite the way every Sekisho database is opened.
 *
 * One file per tenant per zone. Opening sets WAL, a busy timeout, foreign keys and
 * synchronous=FULL (a submission is only acknowledged once it is durable), then
 * applies the caller's migrations in order, each in its own transaction, recording
 * the version in PRAGMA user_version. A database newer than the code is refused,
 * never "downgraded". Queries go through prepared statements only; db_stmt caches
 * them per connection so a hot path does not re-prepare.
 *
 * A struct db is one connection and must not be used by two threads at once.
 */
#ifndef SEKISHO_DB_H
#define SEKISHO_DB_H

#include <sqlite3.h>
#include <stddef.h>

#define DB_BUSY_TIMEOUT_MS 5000
#define DB_STMT_CACHE      64

/* Migration N takes the schema from version N-1 to N. SQL is trusted text written
 * in the source, never built from input. */
struct db_migration {
	int version;
	const char *sql;
};

struct db;

enum db_open_flags {
	DB_CREATE   = 1 << 0,	/* create the file if missing (else missing is an error) */
	DB_READONLY = 1 << 1,	/* for audit and backup verification */
};

/* Open path, configure it and migrate it to the last version in migs (n entries,
 * versions 1..n in order). Returns 0, or -1 with "PATH: what failed" in err. */
int db_open(struct db **out, const char *path, unsigned flags,
	    const struct db_migration *migs, size_t n, char *err, size_t errlen);

void db_close(struct db *db);

sqlite3 *db_handle(struct db *db);

/* A prepared statement for sql, reset and with bindings cleared, owned by db (do not
 * finalize it). sql should be a string literal: the cache is keyed by its text.
 * Returns NULL on a prepare error, or if sql holds more than one statement (see
 * db_errmsg). The statement stays valid while fewer than DB_STMT_CACHE other texts
 * are fetched; one mid-step is evicted last. Reset it, or step it to SQLITE_DONE,
 * when done: a statement left mid-step holds a read snapshot that stops WAL
 * checkpoints. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/* 1 if rc (from sqlite3_step) is a constraint violation: a duplicate key, a CHECK.
 * db_open turns extended result codes on, so a duplicate is SQLITE_CONSTRAINT_UNIQUE,
 * never plain SQLITE_CONSTRAINT: compare through this. */
static inline int
db_is_constraint(int rc)
{
	return (rc & 0xff) == SQLITE_CONSTRAINT;
}

/* Step a statement that returns no rows (INSERT, UPDATE, DELETE) and reset it: 0 when
 * it ran to SQLITE_DONE, -1 otherwise (db_errmsg says why) or if st is NULL (the
 * db_stmt that made it failed). */
int db_step_done(sqlite3_stmt *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return 0 or an SQLite error code. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* The schema version recorded in the file. */
int db_schema_version(struct db *db);

/* A cheap liveness check for health endpoints: runs a trivial query. 0 if usable. */
int db_ping(struct db *db);

/* Online backup of the whole database to dest_path (written to a temporary file,
 * fsync'd and renamed into place). Returns 0, or -1 with a message in err. */
int db_backup(struct db *db, const char *dest_path, char *err, size_t errlen);

const char *db_errmsg(struct db *db);

#endif
