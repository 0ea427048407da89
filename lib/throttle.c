/*
 * throttle.c — lockout counters in SQLite and token buckets in memory (throttle.h).
 *
 * What this file keeps true:
 *  - A locked key stays locked until its time is up, whatever else is counted: more
 *    failures while locked neither extend nor shorten it (a guesser cannot keep an
 *    account locked for ever by retrying faster than the lock, beyond one lockout
 *    per window).
 *  - The limiter never holds more than max_keys buckets; its hash is seeded from
 *    the random source at creation, so no client can choose keys that all land in
 *    one chain.
 */
#include "throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static int
key_ok(const char *key)
{
	size_t n = key ? strnlen(key, THROTTLE_KEY_MAX + 1) : 0;

	return n > 0 && n <= THROTTLE_KEY_MAX;
}

int
throttle_locked(struct db *db, const char *key, time_t now, time_t *until)
{
	sqlite3_stmt *st;
	int rc, locked = 0;

	if (!key_ok(key))
		return -1;
	if ((st = db_stmt(db, "SELECT locked_until FROM throttle WHERE key = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		time_t u = (time_t)sqlite3_column_int64(st, 0);

		if (u > now) {
			locked = 1;
			if (until)
				*until = u;
		}
	} else if (rc != SQLITE_DONE) {
		locked = -1;
	}
	sqlite3_reset(st);
	return locked;
}

int
throttle_fail(struct db *db, const struct throttle_policy *p, const char *key, time_t now)
{
	sqlite3_stmt *st;
	int64_t failures = 0, start = now, until = 0;
	int rc;

	if (!key_ok(key) || p->max_failures == 0)
		return -1;
	if ((st = db_stmt(db, "SELECT failures, window_start, locked_until FROM throttle"
			      " WHERE key = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		failures = sqlite3_column_int64(st, 0);
		start = sqlite3_column_int64(st, 1);
		until = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (until > now)
		return 1;	/* already locked: the lock's end does not move */
	if (now - start >= (int64_t)p->window_s || now < start) {
		failures = 0;	/* a new window */
		start = now;
	}
	failures++;
	if (failures >= (int64_t)p->max_failures) {
		until = now + (int64_t)p->lockout_s;
		/* The lock starts a fresh count: after it, max_failures more tries. */
		failures = 0;
		start = until;
	}
	st = db_stmt(db, "INSERT INTO throttle (key, failures, window_start, locked_until)"
			 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET"
			 " failures = ?2, window_start = ?3, locked_until = ?4");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, failures);
	sqlite3_bind_int64(st, 3, start);
	sqlite3_bind_int64(st, 4, until);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return until > now ? 1 : 0;
}

int
throttle_reset(struct db *db, const char *key)
{
	sqlite3_stmt *st;
	int rc;

	if (!key_ok(key))
		return -1;
	if ((st = db_stmt(db, "DELETE FROM throttle WHERE key = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
throttle_purge(struct db *db, const struct throttle_policy *p, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM throttle WHERE locked_until <= ?1"
				       " AND window_start <= ?2");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(now - (time_t)p->window_s));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db_handle(db)) : -1;
}

/* ---- in-memory rate limiter ------------------------------------------------- */

struct bucket {
	char key[RATELIMIT_KEY_MAX + 1];
	double tokens;
	uint64_t last_ms;
	struct bucket *chain;		/* hash chain */
	struct bucket *prev, *next;	/* LRU list: head most recent */
};

struct ratelimit {
	pthread_mutex_t mu;
	double rate, burst;
	size_t max_keys, n, nslots;
	uint64_t seed;
	struct bucket **slots;
	struct bucket *head, *tail;
	struct bucket *pool;		/* max_keys buckets, allocated once */
	size_t pool_used;
};

struct ratelimit *
ratelimit_new(size_t max_keys, double rate, double burst)
{
	struct ratelimit *rl;

	if (max_keys == 0 || max_keys > (1u << 24) || !(rate > 0) || !(burst >= 1))
		return NULL;
	if ((rl = calloc(1, sizeof *rl)) == NULL)
		return NULL;
	rl->max_keys = max_keys;
	rl->rate = rate;
	rl->burst = burst;
	for (rl->nslots = 16; rl->nslots < max_keys; rl->nslots <<= 1)
		;
	rl->slots = calloc(rl->nslots, sizeof *rl->slots);
	rl->pool = calloc(max_keys, sizeof *rl->pool);
	if (rl->slots == NULL || rl->pool == NULL ||
	    crypto_random(&rl->seed, sizeof rl->seed) != CRYPTO_OK) {
		ratelimit_free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->mu, NULL);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	if (rl->slots != NULL && rl->pool != NULL)
		pthread_mutex_destroy(&rl->mu);
	free(rl->slots);
	free(rl->pool);
	free(rl);
}

/* FNV-1a over the key, started from the random seed and finished with a mix. */
static size_t
slot_of(const struct ratelimit *rl, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ rl->seed;

	for (; *key; key++) {
		h ^= (uint8_t)*key;
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)(h & (rl->nslots - 1));
}

static void
lru_unlink(struct ratelimit *rl, struct bucket *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		rl->head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		rl->tail = b->prev;
	b->prev = b->next = NULL;
}

static void
lru_push(struct ratelimit *rl, struct bucket *b)
{
	b->prev = NULL;
	b->next = rl->head;
	if (rl->head)
		rl->head->prev = b;
	rl->head = b;
	if (rl->tail == NULL)
		rl->tail = b;
}

static void
chain_remove(struct ratelimit *rl, struct bucket *b)
{
	struct bucket **pp = &rl->slots[slot_of(rl, b->key)];

	for (; *pp; pp = &(*pp)->chain)
		if (*pp == b) {
			*pp = b->chain;
			return;
		}
}

bool
ratelimit_take(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	char k[RATELIMIT_KEY_MAX + 1];
	struct bucket *b;
	size_t s;
	bool ok;

	snprintf(k, sizeof k, "%s", key ? key : "");
	pthread_mutex_lock(&rl->mu);
	s = slot_of(rl, k);
	for (b = rl->slots[s]; b; b = b->chain)
		if (strcmp(b->key, k) == 0)
			break;
	if (b == NULL) {
		if (rl->pool_used < rl->max_keys) {
			b = &rl->pool[rl->pool_used++];
		} else {
			b = rl->tail;	/* forget the least recently used */
			lru_unlink(rl, b);
			chain_remove(rl, b);
			rl->n--;
		}
		memset(b, 0, sizeof *b);
		memcpy(b->key, k, strlen(k) + 1);
		b->tokens = rl->burst;
		b->last_ms = now_ms;
		b->chain = rl->slots[s];
		rl->slots[s] = b;
		rl->n++;
	} else {
		lru_unlink(rl, b);
		if (now_ms > b->last_ms) {
			b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
			if (b->tokens > rl->burst)
				b->tokens = rl->burst;
			b->last_ms = now_ms;
		}
	}
	lru_push(rl, b);
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

size_t
ratelimit_size(struct ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->mu);
	n = rl->n;
	pthread_mutex_unlock(&rl->mu);
	return n;
}
