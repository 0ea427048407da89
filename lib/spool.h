/*
 * spool.h — directories as durable queues.
 *
 * A spool has four subdirectories: tmp/ (being written), new/ (ready), work/ (claimed
 * by a consumer) and done/ (finished, kept for idempotency until pruned), and tries/
 * once its consumer counts attempts (spool_attempt). An item
 * moves tmp -> new -> work -> done by rename(2) only, each rename followed by fsync of
 * the directories involved, and a file's data is fsync'd before it first leaves tmp/.
 * So after a crash an item is in exactly one place: never lost, never in two.
 * Consumers must be idempotent by item id, because an item in work/ at crash time is
 * handed out again by spool_recover.
 *
 * Item ids are [A-Za-z0-9_.-]{1,128}, not starting with '.', and are checked on every
 * call: an id is often derived from outside input.
 */
#ifndef SEKISHO_SPOOL_H
#define SEKISHO_SPOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SPOOL_ID_MAX 128

enum {
	SPOOL_OK = 0,
	SPOOL_EMPTY = 1,	/* spool_claim: nothing in new/ */
	SPOOL_EXISTS = 2,	/* spool_put*: an item with this id is already in the spool */
	SPOOL_EBADID = -1000,	/* the id is not a valid item id */
	/* other failures are negative errno values */
};

struct spool {
	char root[PATH_MAX];
	int dirfd;			/* root */
	int tmpfd, newfd, workfd, donefd;
	int triesfd;			/* tries/, opened by the first spool_attempt */
};

struct spool_item {
	char id[SPOOL_ID_MAX + 1];
	char path[PATH_MAX];		/* where the claimed item is now (in work/) */
};

/* Open root, creating it and its subdirectories when create is set. */
int spool_open(struct spool *s, const char *root, bool create);
void spool_close(struct spool *s);

/* 1 if id is a valid item id, else 0. */
int spool_valid_id(const char *id);

/* Store len bytes as item id in new/ durably. SPOOL_EXISTS if id is in new/, work/
 * or done/ (the put is then a no-op: producers may retry freely). */
int spool_put(struct spool *s, const char *id, const void *data, size_t len);

/* For streamed items: open a fresh file in tmp/ (fd returned, path in tmp_path)...
 * write to it, then spool_publish it under id (fsyncs and renames; closes fd). */
int spool_tmp_open(struct spool *s, char *tmp_path, size_t pathlen);
int spool_publish(struct spool *s, int fd, const char *tmp_path, const char *id);
/* Move an existing file at path (e.g. a streamed upload) into new/ as id, durably: a
 * rename, or a copy when path is on another mount. SPOOL_EXISTS if id is already in
 * the spool. */
int spool_adopt(struct spool *s, const char *path, const char *id);
/* Abandon a tmp file (unlink, close). */
void spool_tmp_discard(struct spool *s, int fd, const char *tmp_path);

/* Claim the oldest item in new/ (by modification time, then id) and move it to work/;
 * returns SPOOL_OK and fills *item, SPOOL_EMPTY, or a negative errno. */
int spool_claim(struct spool *s, struct spool_item *item);

/* Finish a claimed item: move work/ -> done/. */
int spool_commit(struct spool *s, const struct spool_item *item);

/* Finish item id wherever it waits (work/ or new/), moving it to done/: for a sender
 * told by a receipt that the other side has it. SPOOL_OK, SPOOL_EMPTY if the id is
 * in neither, or a negative errno. */
int spool_finish_id(struct spool *s, const char *id);

/* Count one more attempt at a claimed item, durably (tries/ID), before working on it:
 * returns the attempts so far, this one included (>= 1), or a negative errno. A
 * consumer that crashes on an item, or always fails on it, sees the count grow
 * across restarts and can give the item up (a poison item) instead of looping.
 * spool_commit and spool_finish_id forget the count. */
int spool_attempt(struct spool *s, const struct spool_item *item);

/* Give a claimed item back: move work/ -> new/ (e.g. on a transient failure). */
int spool_return(struct spool *s, const struct spool_item *item);

/* At consumer start: move everything in work/ back to new/ and remove stale tmp/
 * files. Returns the number of items recovered, or a negative errno. */
int spool_recover(struct spool *s);

/* Remove done/ items older than max_age seconds, and attempt counts as old whose item
 * is no longer waiting; returns how many done/ items were removed. */
int spool_prune_done(struct spool *s, time_t max_age);

/* Count items in new/ (for health and metrics; bounded scan). */
int spool_count_new(struct spool *s);

/* 0 if a file can be created, fsync'd and removed in tmp/ (health check). */
int spool_check_writable(struct spool *s);

/* A descriptor (inotify, O_CLOEXEC) that spool_wait reads to learn of items arriving
 * in new/, by publish or return. Set it up before the spool_claim that found nothing,
 * so no arrival falls between the two. A negative errno when it cannot be had. */
int spool_watch(struct spool *s);

/* Wait on watch until an item arrives in new/ (1) or timeout_ms pass (0); drains the
 * news, since the caller claims whatever is there. Without a watch (watch < 0) or
 * when waiting fails (a negative errno), it sleeps timeout_ms instead, so a consumer
 * looping on it looks as often as it did by sleeping, and never spins. */
int spool_wait(int watch, int timeout_ms);

#endif
