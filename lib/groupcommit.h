/*
 * groupcommit.h — many writers, one fsync.
 *
 * A submission is acknowledged only once it is durable, and with synchronous=FULL
 * every COMMIT costs an fsync (a fraction of a millisecond on good disks, several on
 * others). Writers that arrive while a commit is in progress queue up; the first of
 * them then becomes the leader, runs every queued job in one transaction (each in its
 * own savepoint, so one job's failure undoes only that job) and commits once; every
 * writer in the batch wakes with its own result. No extra thread: the leader is
 * whichever writer is there, so an idle database costs nothing and a lone writer
 * commits at once.
 *
 * Jobs must only touch the database: they run while other writers wait.
 */
#ifndef SEKISHO_GROUPCOMMIT_H
#define SEKISHO_GROUPCOMMIT_H

#include <pthread.h>
#include <stdbool.h>

#include "db.h"

#define GROUPCOMMIT_MAX_BATCH 256	/* jobs in one transaction */

/* A job's body: runs inside the batch's transaction. Returns 0 to keep its changes,
 * anything else to have them rolled back (that value is returned to its writer). */
typedef int (*groupcommit_fn)(struct db *db, void *arg);

struct groupcommit_job;

struct groupcommit {
	pthread_mutex_t mu;
	pthread_cond_t done;
	struct groupcommit_job *head, *tail;
	bool leading;
	struct db *db;
	pthread_mutex_t *db_lock;	/* held around each batch; shared with readers */
	unsigned long batches, jobs;	/* for metrics */
};

/* Attach to db, whose other users serialise on db_lock. 0, or -1 (errno). */
int groupcommit_init(struct groupcommit *gc, struct db *db, pthread_mutex_t *db_lock);
void groupcommit_destroy(struct groupcommit *gc);

/* Run fn(db, arg) in the next batch and wait until that batch is committed. Returns
 * fn's result if it was not 0; else 0 once durable, or GROUPCOMMIT_EDB if the
 * transaction could not be begun or committed (nothing of the job remains). */
#define GROUPCOMMIT_EDB (-10000)
int groupcommit_run(struct groupcommit *gc, groupcommit_fn fn, void *arg);

#endif
