/*
 * officewarm.c — the parent's side of the warm converter: start it in the cage, give
 * it one file at a time, take back one bounded PDF, wipe the file's directory, and
 * replace the converter after recycle_after files or at the first sign of trouble.
 *
 * The invariant: a converter is given a file only after its previous file's
 * directory is gone; anything but the exact answer expected within the deadline
 * (a timeout, a short or malformed message, a closed connection, a directory that
 * cannot be wiped) ends that converter — its whole PID namespace — before any other
 * file reaches it. The job directory is wiped through descriptors (openat with
 * O_NOFOLLOW, unlinkat) because the converter is still alive then and could swap a
 * directory for a link to make a path-based removal leave /work.
 *
 * Converters are slots: a caller takes a free one (or waits), works without the
 * lock, and gives it back; a replaced converter is started at once so that it warms
 * up while the pipeline renders the previous PDF.
 */
#define _GNU_SOURCE
#include "officewarm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "fsio.h"

#define WARM_NOBODY		65534
#define WARM_WIPE_DEPTH		16	/* directory levels wiped under a job */
#define WARM_WIPE_ENTRIES	4096	/* entries wiped under a job: more ends the converter */

struct warm_slot {
	int busy;
	pid_t pid;		/* the cage's outer process; 0: no converter */
	int conn;		/* our end of the connection */
	int status_fd;		/* the cage's setup report (officepdf_cage_start) */
	int ready;		/* it said OFFICEWARM_READY */
	unsigned files;		/* given to this converter */
	char dir[PATH_MAX];	/* its directory (officepdf_cage_dirs) */
};

struct officewarm {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct officewarm_config cfg;
	int exec_fd;		/* the converter program, opened once */
	struct officewarm_stats stats;
	unsigned nslots;
	struct warm_slot slot[OFFICEWARM_MAX_CONVERTERS];
};

void
officewarm_config_default(struct officewarm_config *c)
{
	memset(c, 0, sizeof(*c));
	officepdf_limits_default(&c->limits);
	c->limits.cpu_seconds = OFFICEWARM_CPU_SECONDS;
	c->recycle_after = OFFICEWARM_DEFAULT_RECYCLE;
	c->init_timeout_ms = OFFICEWARM_INIT_TIMEOUT_MS;
	c->converters = 1;
}

/* The converter program: the configured path, or the one beside ours. */
static int
open_program(const char *path, char *err, size_t errlen)
{
	int fd, e;

	if (path == NULL)
		return fsio_open_program(OFFICEWARM_PROGRAM, err, errlen);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
		return fd;
	e = errno;
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	return -e;
}

/* Kill the slot's converter (its whole namespace) and remove its directory. */
static void
slot_stop(struct warm_slot *s)
{
	if (s->pid > 0)
		officepdf_cage_stop(s->pid);
	if (s->conn >= 0)
		close(s->conn);
	if (s->status_fd >= 0)
		close(s->status_fd);
	if (s->dir[0] != '\0')
		fsio_remove_tree(s->dir);	/* the cage is dead */
	s->pid = 0;
	s->conn = s->status_fd = -1;
	s->ready = 0;
	s->files = 0;
	s->dir[0] = '\0';
}

static int
write_ui(const char *dir)
{
	char p[PATH_MAX + 16];
	int fd, rc;

	snprintf(p, sizeof p, "%s/ui/inputbar.ui", dir);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return -errno;
	rc = fsio_write_all(fd, officewarm_calc_inputbar_ui, strlen(officewarm_calc_inputbar_ui));
	close(fd);
	return rc == 0 ? 0 : -EIO;
}

/* A new converter in a new directory; it warms up in the background. */
static int
slot_start(struct officewarm *w, struct warm_slot *s)
{
	const char *base = w->cfg.limits.tmp_base != NULL ? w->cfg.limits.tmp_base : "/tmp";
	static char *const argv[] = { (char *)OFFICEWARM_PROGRAM, NULL };
	struct officepdf_cage cg = { .argv = argv, .exec_fd = w->exec_fd, .calc_ui = 1 };
	int sp[2], rc, was_root = geteuid() == 0;

	if ((size_t)snprintf(s->dir, sizeof s->dir, "%s/sekisho-officewarm.XXXXXX", base) >=
	    sizeof s->dir) {
		s->dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return -errno;
	}
	if ((rc = officepdf_cage_dirs(s->dir, was_root)) != 0 || (rc = write_ui(s->dir)) != 0) {
		slot_stop(s);
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
		rc = -errno;
		slot_stop(s);
		return rc;
	}
	cg.conn_fd = sp[1];
	rc = officepdf_cage_start(&w->cfg.limits, s->dir, &cg, &s->pid, &s->status_fd);
	close(sp[1]);
	s->conn = sp[0];
	if (rc != 0) {
		s->pid = 0;
		slot_stop(s);
		return rc;
	}
	pthread_mutex_lock(&w->lock);
	w->stats.starts++;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* One reply within ms: 0 with *answer, -ETIMEDOUT, or -EPIPE (closed, short or
 * malformed). */
static int
await_reply(int conn, uint64_t deadline, uint32_t *answer)
{
	struct officewarm_reply r;
	ssize_t n;
	int rc;

	if ((rc = deadline_poll_in(conn, deadline)) != 0)
		return rc;
	n = recv(conn, &r, sizeof r, MSG_DONTWAIT);
	if (n != (ssize_t)sizeof r || r.magic != OFFICEWARM_MAGIC)
		return -EPIPE;
	*answer = r.answer;
	return 0;
}

/* The converter of s up and ready, or a negative errno (-EPERM: the cage failed). */
static int
slot_ready(struct officewarm *w, struct warm_slot *s)
{
	unsigned char why;
	uint32_t a = 0;
	int rc;

	if (s->pid == 0 && (rc = slot_start(w, s)) != 0)
		return rc;
	if (s->ready)
		return 0;
	rc = await_reply(s->conn, deadline_now_ms() + w->cfg.init_timeout_ms, &a);
	if (rc == 0 && a == OFFICEWARM_READY) {
		s->ready = 1;
		return 0;
	}
	/* Dead or mute: whether the cage itself failed, its status pipe says. */
	officepdf_cage_stop(s->pid);
	s->pid = 0;
	rc = read(s->status_fd, &why, 1) == 1 ? -EPERM : rc == 0 ? -EPROTO : rc == -EPIPE ? -EIO : rc;
	slot_stop(s);
	return rc;
}

/* Remove name under dfd and all it holds, through descriptors, following no link.
 * *budget counts entries down; 0 left or too deep is a failure. */
static int
wipe_at(int dfd, const char *name, unsigned depth, unsigned *budget)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (*budget == 0)
		return -1;
	(*budget)--;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return (errno == ENOTDIR || errno == ELOOP) ? unlinkat(dfd, name, 0) : -1;
	if (depth >= WARM_WIPE_DEPTH || (d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = wipe_at(dirfd(d), e->d_name, depth + 1, budget);
	closedir(d);
	return rc == 0 ? unlinkat(dfd, name, AT_REMOVEDIR) : -1;
}

/* The job directory of one file: dir/work/job.XXXXXX with input.<ext>. */
static int
make_job(const struct warm_slot *s, int in_fd, const char *ext, char *job, size_t joblen)
{
	char p[PATH_MAX + 64];
	int was_root = geteuid() == 0, rc;

	snprintf(p, sizeof p, "%s/work/job.XXXXXX", s->dir);
	if (mkdtemp(p) == NULL)
		return -errno;
	snprintf(job, joblen, "%s", strrchr(p, '/') + 1);
	if (was_root && chown(p, WARM_NOBODY, WARM_NOBODY) != 0)
		return -errno;
	snprintf(p + strlen(p), sizeof p - strlen(p), "/input.%s", ext);
	if ((rc = officepdf_copy_in(in_fd, p, was_root)) != 0)
		return rc;
	return 0;
}

static int
wipe_job(const struct warm_slot *s, const char *job)
{
	char p[PATH_MAX + 8];
	unsigned budget = WARM_WIPE_ENTRIES;
	int dfd, rc;

	snprintf(p, sizeof p, "%s/work", s->dir);
	if ((dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	rc = wipe_at(dfd, job, 0, &budget);
	close(dfd);
	return rc;
}

int
officewarm_new(const struct officewarm_config *c, struct officewarm **out, char *err,
    size_t errlen)
{
	struct officewarm *w;
	unsigned i;
	int fd;

	*out = NULL;
	if (c->converters == 0 || c->converters > OFFICEWARM_MAX_CONVERTERS ||
	    c->recycle_after == 0) {
		snprintf(err, errlen, "officewarm: converters 1..%d and recycle_after ≥ 1",
			 OFFICEWARM_MAX_CONVERTERS);
		return -EINVAL;
	}
	if ((fd = open_program(c->program, err, errlen)) < 0)
		return fd;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		close(fd);
		snprintf(err, errlen, "officewarm: out of memory");
		return -ENOMEM;
	}
	if (pthread_mutex_init(&w->lock, NULL) != 0 || pthread_cond_init(&w->freed, NULL) != 0) {
		close(fd);
		free(w);
		snprintf(err, errlen, "officewarm: cannot make its lock");
		return -ENOMEM;
	}
	w->cfg = *c;
	w->exec_fd = fd;
	w->nslots = c->converters;
	for (i = 0; i < w->nslots; i++) {
		w->slot[i].conn = w->slot[i].status_fd = -1;
		/* Warm up now; a failure here is met again, and reported, at the first
		 * file. */
		(void)slot_start(w, &w->slot[i]);
	}
	*out = w;
	return 0;
}

static struct warm_slot *
take_slot(struct officewarm *w)
{
	unsigned i;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		for (i = 0; i < w->nslots; i++)
			if (!w->slot[i].busy) {
				w->slot[i].busy = 1;
				pthread_mutex_unlock(&w->lock);
				return &w->slot[i];
			}
		pthread_cond_wait(&w->freed, &w->lock);
	}
}

static void
give_slot(struct officewarm *w, struct warm_slot *s, int recycled, int failed)
{
	pthread_mutex_lock(&w->lock);
	s->busy = 0;
	w->stats.recycled += (uint64_t)recycled;
	w->stats.failures += (uint64_t)failed;
	pthread_cond_signal(&w->freed);
	pthread_mutex_unlock(&w->lock);
}

/* Replace the converter of s: killed now, its successor warming up. */
static void
replace(struct officewarm *w, struct warm_slot *s)
{
	slot_stop(s);
	(void)slot_start(w, s);
}

int
officewarm_convert(struct officewarm *w, int in_fd, enum detect_type type, int pdf_fd,
    unsigned timeout_ms, struct officepdf_result *res)
{
	struct officewarm_request rq = { .magic = OFFICEWARM_MAGIC };
	struct warm_slot *s;
	uint64_t start;
	uint32_t a = 0;
	int rc, failed = 0, recycled = 0;

	memset(res, 0, sizeof(*res));
	if (!officepdf_supports(type))
		return -EINVAL;
	s = take_slot(w);
	if ((rc = slot_ready(w, s)) != 0) {
		give_slot(w, s, 0, 1);
		return rc;
	}
	/* Between two files it has nothing to say: a message (an answer sent ahead
	 * of its question) or a closed connection ends it before this file is given. */
	{
		struct pollfd pfd = { .fd = s->conn, .events = POLLIN };

		if (poll(&pfd, 1, 0) != 0) {
			replace(w, s);
			give_slot(w, s, 0, 1);
			return -EIO;
		}
	}
	snprintf(rq.ext, sizeof rq.ext, "%s", detect_type_name(type));
	if ((rc = make_job(s, in_fd, rq.ext, rq.job, sizeof rq.job)) != 0) {
		/* Ours (the disk), but the directory may be half made: a fresh one. */
		replace(w, s);
		give_slot(w, s, 0, 1);
		return rc;
	}
	start = deadline_now_ms();
	if (send(s->conn, &rq, sizeof rq, MSG_NOSIGNAL) != (ssize_t)sizeof rq) {
		/* It died between two files: nothing of this one reached it. */
		rc = -EIO;
		replace(w, s);
		give_slot(w, s, 0, 1);
		return rc;
	}
	pthread_mutex_lock(&w->lock);
	w->stats.files++;
	pthread_mutex_unlock(&w->lock);
	s->files++;
	rc = await_reply(s->conn, start + (timeout_ms ? timeout_ms : w->cfg.limits.timeout_ms), &a);
	res->elapsed_ms = deadline_now_ms() - start;
	if (rc == -ETIMEDOUT) {
		res->status = OFFICEPDF_TIMEOUT;
		failed = 1;
	} else if (rc != 0) {
		/* Gone or garbled mid-file (a crash, the CPU limit, seccomp): the file
		 * reached it, so this is the file's status, not ours to retry. */
		res->status = OFFICEPDF_KILLED;
		failed = 1;
	} else if (a != OFFICEWARM_DONE) {
		/* A document LibreOffice could not open may have left it in any state. */
		res->status = OFFICEPDF_FAILED;
		res->exit_code = (int)a;
		failed = 1;
	} else if ((rc = officepdf_collect(s->dir, rq.job, "output.pdf", &w->cfg.limits, pdf_fd,
	    res)) != 0 || res->status != OFFICEPDF_OK) {
		failed = 1;
	}
	if (!failed && wipe_job(s, rq.job) != 0)
		failed = 1;
	if (failed || s->files >= w->cfg.recycle_after) {
		recycled = !failed;
		replace(w, s);
	}
	give_slot(w, s, recycled, failed);
	/* Only our own I/O while collecting is an error now; the rest are statuses. */
	return res->status == OFFICEPDF_TIMEOUT || res->status == OFFICEPDF_KILLED ? 0 : rc;
}

void
officewarm_get_stats(struct officewarm *w, struct officewarm_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void
officewarm_free(struct officewarm *w)
{
	unsigned i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nslots; i++)
		slot_stop(&w->slot[i]);
	close(w->exec_fd);
	pthread_cond_destroy(&w->freed);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
