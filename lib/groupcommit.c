/*
 * groupcommit.c — leader/follower group commit over one SQLite connection.
 *
 * The queue is a list under gc->mu. A writer appends its job; if no leader is active
 * it becomes the leader, commits one batch (the queue's head, its own job among it)
 * and steps down, waking the others: one still queued becomes the next leader. Followers sleep on gc->done until their job is marked finished. A job
 * lives on its writer's stack: the leader touches it only before marking it finished,
 * and the writer returns only after seeing that mark under the mutex.
 */
#include <errno.h>
#include <string.h>

#include "groupcommit.h"

struct groupcommit_job {
	groupcommit_fn fn;
	void *arg;
	int rc;
	bool finished;
	struct groupcommit_job *next;
};

int
groupcommit_init(struct groupcommit *gc, struct db *db, pthread_mutex_t *db_lock)
{
	memset(gc, 0, sizeof *gc);
	gc->db = db;
	gc->db_lock = db_lock;
	if ((errno = pthread_mutex_init(&gc->mu, NULL)) != 0)
		return -1;
	if ((errno = pthread_cond_init(&gc->done, NULL)) != 0) {
		pthread_mutex_destroy(&gc->mu);
		return -1;
	}
	return 0;
}

void
groupcommit_destroy(struct groupcommit *gc)
{
	pthread_cond_destroy(&gc->done);
	pthread_mutex_destroy(&gc->mu);
}

static int
exec_stmt(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int rc;

	if (st == NULL)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* One transaction for the batch; each job in a savepoint so that a job that fails
 * (a duplicate, a full quota) is undone alone. */
static void
run_batch(struct groupcommit *gc, struct groupcommit_job *batch)
{
	struct groupcommit_job *j;
	int failed = 0;

	pthread_mutex_lock(gc->db_lock);
	if (db_begin(gc->db) != SQLITE_OK) {
		failed = 1;
	} else {
		for (j = batch; j != NULL; j = j->next) {
			if (exec_stmt(gc->db, "SAVEPOINT groupcommit_job") != SQLITE_OK) {
				failed = 1;
				break;
			}
			j->rc = j->fn(gc->db, j->arg);
			if (j->rc != 0 &&
			    exec_stmt(gc->db, "ROLLBACK TO groupcommit_job") != SQLITE_OK) {
				failed = 1;
				break;
			}
			if (exec_stmt(gc->db, "RELEASE groupcommit_job") != SQLITE_OK) {
				failed = 1;
				break;
			}
		}
		if (!failed && db_commit(gc->db) != SQLITE_OK)
			failed = 1;
		if (failed)
			db_rollback(gc->db);
	}
	pthread_mutex_unlock(gc->db_lock);
	if (failed)
		for (j = batch; j != NULL; j = j->next)
			j->rc = GROUPCOMMIT_EDB;
}

/* Called with gc->mu held and no leader: commit the queue's head batch as leader,
 * then step down and wake everyone (the finished, and the next leader). Stepping
 * down after one batch matters: a leader that went on while others kept arriving
 * would hold its own reply back for as long as the load lasted. */
static void
lead_one_batch(struct groupcommit *gc)
{
	struct groupcommit_job *batch, *j, *next, *last;
	unsigned n;

	gc->leading = true;
	batch = gc->head;
	for (n = 1, last = batch; n < GROUPCOMMIT_MAX_BATCH && last->next; n++)
		last = last->next;
	gc->head = last->next;
	if (gc->head == NULL)
		gc->tail = NULL;
	last->next = NULL;
	gc->batches++;
	gc->jobs += n;
	pthread_mutex_unlock(&gc->mu);

	run_batch(gc, batch);

	pthread_mutex_lock(&gc->mu);
	for (j = batch; j != NULL; j = next) {
		next = j->next;
		j->finished = true;
	}
	gc->leading = false;
	pthread_cond_broadcast(&gc->done);
}

int
groupcommit_run(struct groupcommit *gc, groupcommit_fn fn, void *arg)
{
	struct groupcommit_job self = { .fn = fn, .arg = arg };

	pthread_mutex_lock(&gc->mu);
	if (gc->tail != NULL)
		gc->tail->next = &self;
	else
		gc->head = &self;
	gc->tail = &self;
	/* Our job may be beyond the first GROUPCOMMIT_MAX_BATCH of the queue: then we
	 * lead (or wait for) more than one batch before it is ours. */
	for (;;) {
		while (gc->leading && !self.finished)
			pthread_cond_wait(&gc->done, &gc->mu);
		if (self.finished)
			break;
		lead_one_batch(gc);
	}
	pthread_mutex_unlock(&gc->mu);
	return self.rc;
}
