/*
 * scanproc.c — the sanitizer's side of the scanner process: start it, hand it
 * descriptors, read back fixed-size answers, and replace it when it dies.
 *
 * The invariant: the parent believes nothing from the scanner but one reply of the
 * exact size and shape per request (scanproc_reply_decode), on a socket made for
 * that request, within a deadline; it accepts no descriptor from it and shares no
 * memory with it. Anything else ends that scanner — killed, reaped, its temporary
 * directory removed — and the next request starts a new one. A verdict is still
 * only ever what libclamav said; a scanner that cannot answer makes an internal
 * error (the worker tries the upload again later), and one that hangs past
 * libclamav's own time limit makes SCAN_ERROR, a refusal, never clean.
 *
 * Requests are sent under the lock (a send on a SEQPACKET socket is one message,
 * quick); the answers are waited for without it, so scans run side by side.
 */
#define _GNU_SOURCE
#include "scanproc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "fsio.h"

#define RESTART_PAUSE_MS 1000	/* after a start that failed, before the next try */

extern char **environ;

struct scanproc {
	pthread_mutex_t lock;		/* guards the scanner and its start (seconds) */
	int exec_fd;			/* the scanner program, opened once */
	struct scanproc_hello hello;	/* limits and database; tmpdir per scanner */
	char tmp_base[PATH_MAX];
	uint64_t scan_timeout_ms;
	pid_t pid;			/* 0: no scanner running */
	int conn;			/* our end of its connection */
	unsigned gen;			/* bumped at every scanner's end */
	uint64_t failed_start_ms;	/* when a start last failed; 0: it did not */
	char start_error[256];
	/* For the health check, which must not wait for a start: its own lock. */
	pthread_mutex_t status_lock;
	struct scanproc_status status;
};

int
scanproc_hello_check(const void *buf, size_t n)
{
	const struct scanproc_hello *h = buf;

	if (n != sizeof *h || h->magic != SCANPROC_MAGIC || h->op != SCANPROC_OP_HELLO ||
	    h->max_filesize == 0 || h->max_scansize == 0 || h->max_scantime_ms == 0 ||
	    memchr(h->dbdir, '\0', sizeof h->dbdir) == NULL || h->dbdir[0] != '/' ||
	    memchr(h->tmpdir, '\0', sizeof h->tmpdir) == NULL || h->tmpdir[0] != '/')
		return -EPROTO;
	return 0;
}

int
scanproc_reply_decode(const void *buf, size_t n, struct scanproc_reply *out,
    struct scan_result *res)
{
	struct scanproc_reply r;

	if (n != sizeof r)
		return -EPROTO;
	memcpy(&r, buf, sizeof r);
	if (r.magic != SCANPROC_MAGIC || r.verdict > SCAN_ERROR || r.rc > 1 ||
	    r.rc < -4095 || r.landlock_abi < 0 || r.landlock_abi > 1000)
		return -EPROTO;
	r.name[sizeof r.name - 1] = '\0';
	memset(res, 0, sizeof *res);
	res->verdict = (enum scan_verdict)r.verdict;
	res->cl_error = r.cl_error;
	res->db_version = r.db_version;
	res->signatures = r.signatures;
	memcpy(res->name, r.name, sizeof res->name);
	*out = r;
	return 0;
}

/* One reply from fd within timeout_ms: 0, -ETIMEDOUT, -EPIPE (the scanner closed
 * it unanswered: gone) or -EPROTO. */
static int
read_reply(int fd, int timeout_ms, struct scanproc_reply *r, struct scan_result *res)
{
	uint8_t buf[sizeof *r + 1];	/* one more: a longer message is seen as such */
	ssize_t n;
	int rc;

	if ((rc = deadline_poll_in(fd, deadline_now_ms() + (uint64_t)timeout_ms)) != 0)
		return rc;
	do
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
		return -EPIPE;
	if (n < 0)
		return -errno;
	return scanproc_reply_decode(buf, (size_t)n, r, res);
}

/* The scanner of generation gen is finished with: kill it, reap it, remove its
 * directory. A later generation is left alone (another thread replaced it). */
static void
end_locked(struct scanproc *p, unsigned gen)
{
	if (gen != p->gen)
		return;
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (p->conn >= 0)
		close(p->conn);
	if (p->hello.tmpdir[0] != '\0')
		fsio_remove_tree(p->hello.tmpdir);
	p->hello.tmpdir[0] = '\0';
	p->pid = 0;
	p->conn = -1;
	p->gen++;
	pthread_mutex_lock(&p->status_lock);
	p->status.pid = 0;
	pthread_mutex_unlock(&p->status_lock);
}

static int
spawn_locked(struct scanproc *p, int child_end)
{
	static char *const argv[] = { (char *)SCANPROC_PROGRAM, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char path[64];
	sigset_t none, all;
	int rc;

	snprintf(path, sizeof path, "/proc/self/fd/%d", p->exec_fd);
	sigemptyset(&none);
	sigfillset(&all);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return -rc;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -rc;
	}
	/* The daemon blocks its signals in every thread; the scanner must not inherit
	 * that, nor any handler. */
	if ((rc = posix_spawn_file_actions_adddup2(&fa, child_end, SCANPROC_CONN_FD)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
	    (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) == 0)
		rc = posix_spawn(&p->pid, path, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		p->pid = 0;
	return -rc;
}

/* Start a scanner and wait for its engine; on failure the reason is in
 * p->start_error and nothing is left running. */
static int
start_locked(struct scanproc *p)
{
	struct scanproc_reply r;
	struct scan_result res;
	int sv[2] = { -1, -1 }, rc;
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof tmpl, "%s/sekisho-scan.XXXXXX", p->tmp_base);
	if (mkdtemp(tmpl) == NULL) {
		rc = -errno;
		snprintf(p->start_error, sizeof p->start_error, "%s: %s", tmpl, strerror(-rc));
		return rc;
	}
	snprintf(p->hello.tmpdir, sizeof p->hello.tmpdir, "%s", tmpl);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		snprintf(p->start_error, sizeof p->start_error, "socketpair: %s", strerror(-rc));
		goto fail;
	}
	p->conn = sv[0];
	rc = spawn_locked(p, sv[1]);
	close(sv[1]);
	if (rc != 0) {
		snprintf(p->start_error, sizeof p->start_error, "%s: %s", SCANPROC_PROGRAM,
			 strerror(-rc));
		goto fail;
	}
	if (send(p->conn, &p->hello, sizeof p->hello, MSG_NOSIGNAL) != (ssize_t)sizeof p->hello) {
		rc = -errno;
		snprintf(p->start_error, sizeof p->start_error, "%s: exited at start",
			 SCANPROC_PROGRAM);
		goto fail;
	}
	if ((rc = read_reply(p->conn, SCANPROC_LOAD_TIMEOUT_MS, &r, &res)) != 0 ||
	    (rc = r.rc) != 0) {
		snprintf(p->start_error, sizeof p->start_error, "%s: %s", SCANPROC_PROGRAM,
			 rc == -EPIPE ? "exited while loading the signatures" :
			 rc == -EINVAL ? "the signature database was refused" : strerror(-rc));
		goto fail;
	}
	p->failed_start_ms = 0;
	pthread_mutex_lock(&p->status_lock);
	p->status.pid = p->pid;
	p->status.starts++;
	p->status.landlock_abi = r.landlock_abi;
	p->status.signatures = r.signatures;
	p->status.db_version = r.db_version;
	pthread_mutex_unlock(&p->status_lock);
	return 0;
fail:
	end_locked(p, p->gen);
	p->failed_start_ms = deadline_now_ms();
	return rc < 0 ? rc : -EIO;
}

/* Send op (with file_fd, when >= 0) to the running scanner, starting one if there
 * is none (but for a reload: a new scanner reads the database as it is; -ESRCH),
 * and give back the socket its answer will come on and the generation of the
 * scanner that got it. */
static int
send_request(struct scanproc *p, uint32_t op, int file_fd, int *reply_fd, unsigned *gen)
{
	struct scanproc_request rq = { .magic = SCANPROC_MAGIC, .op = op };
	int fds[2] = { -1, file_fd }, sv[2], rc;
	size_t nfds = file_fd >= 0 ? 2 : 1;
	union {
		char buf[CMSG_SPACE(sizeof fds)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &rq, .iov_len = sizeof rq };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *c;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	fds[0] = sv[1];
	memset(ctl.buf, 0, sizeof ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));

	pthread_mutex_lock(&p->lock);
	if (p->pid == 0 && op == SCANPROC_OP_RELOAD) {
		rc = -ESRCH;
		goto out;
	}
	if (p->pid == 0) {
		if (p->failed_start_ms != 0 &&
		    deadline_now_ms() - p->failed_start_ms < RESTART_PAUSE_MS) {
			rc = -EAGAIN;
			goto out;
		}
		if ((rc = start_locked(p)) != 0)
			goto out;
	}
	*gen = p->gen;
	rc = sendmsg(p->conn, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof rq ? 0 : -EPIPE;
	if (rc != 0)
		end_locked(p, p->gen);
out:
	pthread_mutex_unlock(&p->lock);
	close(sv[1]);	/* the scanner has its copy, or it never will */
	if (rc != 0) {
		close(sv[0]);
		return rc;
	}
	*reply_fd = sv[0];
	return 0;
}

/* One round: send, then wait for the answer without the lock. A scanner that
 * closes the socket unanswered or answers wrongly is ended (-EPIPE, -EPROTO); one
 * that does not answer in time is ended too (-ETIMEDOUT). */
static int
round_trip(struct scanproc *p, uint32_t op, int file_fd, int timeout_ms,
    struct scanproc_reply *r, struct scan_result *res)
{
	unsigned gen = 0;
	int fd = -1, rc;

	if ((rc = send_request(p, op, file_fd, &fd, &gen)) != 0)
		return rc;
	rc = read_reply(fd, timeout_ms, r, res);
	close(fd);
	if (rc != 0) {
		pthread_mutex_lock(&p->lock);
		end_locked(p, gen);
		pthread_mutex_unlock(&p->lock);
		return rc;
	}
	pthread_mutex_lock(&p->status_lock);
	p->status.signatures = r->signatures;
	p->status.db_version = r->db_version;
	pthread_mutex_unlock(&p->status_lock);
	return 0;
}

int
scanproc_scan(struct scanproc *p, int fd, struct scan_result *res)
{
	struct scanproc_reply r;
	off_t off = lseek(fd, 0, SEEK_CUR);
	int attempt, rc = -EPIPE;

	memset(res, 0, sizeof *res);
	for (attempt = 0; attempt <= SCANPROC_RETRIES && rc == -EPIPE; attempt++) {
		if (off >= 0 && lseek(fd, off, SEEK_SET) < 0)
			return -errno;
		rc = round_trip(p, SCANPROC_OP_SCAN, fd, (int)p->scan_timeout_ms, &r, res);
	}
	if (off >= 0)
		(void)lseek(fd, off, SEEK_SET);
	if (rc == -ETIMEDOUT) {
		/* Stuck on this file past libclamav's own limit: the file's doing. */
		memset(res, 0, sizeof *res);
		res->verdict = SCAN_ERROR;
		snprintf(res->name, sizeof res->name, "scanner did not answer in time");
		return 0;
	}
	if (rc != 0)
		return rc;
	if (r.rc != 0)
		return r.rc;	/* the scanner could not read the descriptor */
	return 0;
}

int
scanproc_reload(struct scanproc *p)
{
	struct scanproc_reply r;
	struct scan_result res;
	int rc;

	rc = round_trip(p, SCANPROC_OP_RELOAD, -1, SCANPROC_LOAD_TIMEOUT_MS, &r, &res);
	if (rc == -ESRCH || rc == -EPIPE)
		return 0;	/* none running: the next one loads the database as it is */
	return rc != 0 ? rc : r.rc;
}

void
scanproc_status(struct scanproc *p, struct scanproc_status *st)
{
	pthread_mutex_lock(&p->status_lock);
	*st = p->status;
	pthread_mutex_unlock(&p->status_lock);
}

int
scanproc_start(struct scanproc **out, const char *program, const char *dbdir,
    const struct scan_limits *lim, char *err, size_t errlen)
{
	struct scanproc *p;
	const char *base;
	char abs_db[PATH_MAX];
	int rc;

	if (realpath(dbdir, abs_db) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dbdir, strerror(-rc));
		return rc;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		return -ENOMEM;
	p->conn = -1;
	base = lim->tmpdir != NULL ? lim->tmpdir : getenv("TMPDIR");
	snprintf(p->tmp_base, sizeof p->tmp_base, "%s", base != NULL && base[0] == '/' ? base : "/tmp");
	p->hello.magic = SCANPROC_MAGIC;
	p->hello.op = SCANPROC_OP_HELLO;
	p->hello.max_filesize = lim->max_filesize;
	p->hello.max_scansize = lim->max_scansize;
	p->hello.max_recursion = lim->max_recursion;
	p->hello.max_files = lim->max_files;
	p->hello.max_scantime_ms = lim->max_scantime_ms;
	snprintf(p->hello.dbdir, sizeof p->hello.dbdir, "%s", abs_db);
	p->scan_timeout_ms = 2 * (uint64_t)lim->max_scantime_ms + SCANPROC_SCAN_GRACE_MS;
	if (program != NULL) {
		if ((p->exec_fd = open(program, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", program, strerror(-rc));
			free(p);
			return rc;
		}
	} else if ((p->exec_fd = fsio_open_program(SCANPROC_PROGRAM, err, errlen)) < 0) {
		rc = p->exec_fd;
		free(p);
		return rc;
	}
	/* Above the scanner's connection, which the spawn puts on SCANPROC_CONN_FD before
	 * it execs this descriptor's program. */
	if (p->exec_fd <= SCANPROC_CONN_FD) {
		int high = fcntl(p->exec_fd, F_DUPFD_CLOEXEC, SCANPROC_CONN_FD + 1);

		close(p->exec_fd);
		if ((p->exec_fd = high) < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", SCANPROC_PROGRAM, strerror(-rc));
			free(p);
			return rc;
		}
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->status_lock, NULL);
	if ((rc = start_locked(p)) != 0) {
		snprintf(err, errlen, "%s", p->start_error);
		scanproc_stop(p);
		return rc;
	}
	*out = p;
	return 0;
}

void
scanproc_stop(struct scanproc *p)
{
	if (p == NULL)
		return;
	/* Closing the connection is the scanner's signal to exit; the kill makes sure. */
	end_locked(p, p->gen);
	close(p->exec_fd);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->status_lock);
	free(p);
}
