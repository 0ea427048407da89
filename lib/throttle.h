/*
 * throttle.h — slowing down guessers: failed-attempt lockout (in the database) and a
 * request rate limiter (in memory).
 *
 * Lockout: failures are counted per key ("login:NAME", "ip:ADDR", ...) in a table of
 * the caller's database (THROTTLE_SQL in its migrations), so a lock survives a
 * restart and is shared by every process that opens the database. After
 * max_failures within window_s the key is locked for lockout_s; a success resets it.
 * Callers count failures for keys that name no account too, so an unknown login
 * locks exactly like a known one (no account enumeration by lockout behaviour), and
 * they verify a dummy hash for unknown accounts (no enumeration by timing).
 *
 * Rate limiter: a token bucket per key (client address, say) in memory, for "how
 * many requests per second" limits that need not survive a restart. The number of
 * keys is bounded; the least recently used key is forgotten first, so a flood of
 * distinct keys costs a bounded amount of memory and only forgets old buckets.
 */
#ifndef SEKISHO_THROTTLE_H
#define SEKISHO_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"

#define THROTTLE_KEY_MAX 160	/* longer keys are refused (callers bound their parts) */

#define THROTTLE_SQL \
	"CREATE TABLE throttle (" \
	"  key          TEXT PRIMARY KEY," \
	"  failures     INTEGER NOT NULL," \
	"  window_start INTEGER NOT NULL," \
	"  locked_until INTEGER NOT NULL DEFAULT 0" \
	") STRICT;"

struct throttle_policy {
	unsigned max_failures;	/* e.g. 5 ... */
	unsigned window_s;	/* ... within 15 minutes ... */
	unsigned lockout_s;	/* ... locks for 15 minutes */
};

/* 0 if key may try now, 1 if it is locked (*until, if not NULL, gets when the lock
 * ends), -1 on a database error or an over-long key. */
int throttle_locked(struct db *db, const char *key, time_t now, time_t *until);

/* Count a failure of key at now. 1 if key is now locked, 0 if not, -1 on error. */
int throttle_fail(struct db *db, const struct throttle_policy *p, const char *key,
		  time_t now);

/* Forget key's failures and lock (a success, or an administrator's unlock). 0 or -1. */
int throttle_reset(struct db *db, const char *key);

/* Delete rows whose window and lock are both over. Number deleted, or -1. */
int throttle_purge(struct db *db, const struct throttle_policy *p, time_t now);

/* ---- in-memory rate limiter ------------------------------------------------- */

#define RATELIMIT_KEY_MAX 64	/* an IPv6 address in text is at most 45 */

struct ratelimit;

/* A limiter of at most max_keys buckets, each refilled at rate tokens per second up
 * to burst. NULL on a bad argument or no memory. Safe for concurrent use. */
struct ratelimit *ratelimit_new(size_t max_keys, double rate, double burst);
void ratelimit_free(struct ratelimit *rl);

/* Take one token from key's bucket at now_ms (a monotonic clock in milliseconds).
 * true if allowed. A key longer than RATELIMIT_KEY_MAX is cut to it. */
bool ratelimit_take(struct ratelimit *rl, const char *key, uint64_t now_ms);

/* Buckets currently held (for tests and metrics). */
size_t ratelimit_size(struct ratelimit *rl);

#endif
