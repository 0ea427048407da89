/*
 * scanner_main.c — sekisho-scanner, libclamav in a process of its own (scanproc.h).
 *
 * Started by sanitized (or sekishoctl sanitize) with its connection on
 * SCANPROC_CONN_FD and nothing else of the parent's: exec'd afresh, it holds no
 * key and none of the parent's memory. In order, and never the other way round:
 *   1. read the hello (limits, database directory, its own temporary directory);
 *   2. load and compile the engine — trusted files only, so still unconfined;
 *   3. confine itself: no core dumps, no new privileges, Landlock to /usr (read and
 *      map: iconv modules are loaded on demand), the database (read: reloads) and
 *      its temporary directory (read and write), a seccomp denylist with no exec and
 *      no socket of any kind;
 *   4. answer the hello, and only then take files — as descriptors, one thread per
 *      request, each answering on the socket that came with it.
 * The parent closing the connection is the signal to exit. If Landlock is not there
 * (a kernel without it, a container's filter refusing it), it says so in its answer
 * (the parent logs a warning) and runs with the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "confine.h"
#include "scan.h"
#include "scanproc.h"

#define SCANNER_NOFILE	(16 + 2 * SCANPROC_MAX_INFLIGHT)

struct job {
	struct scanner *scanner;
	uint32_t op;
	int reply_fd, file_fd;
};

static atomic_int inflight;

static void
answer(int fd, int rc, const struct scan_result *res, int landlock_abi)
{
	struct scanproc_reply r;

	memset(&r, 0, sizeof r);
	r.magic = SCANPROC_MAGIC;
	r.rc = rc;
	r.landlock_abi = landlock_abi;
	if (res != NULL) {
		r.verdict = (uint32_t)res->verdict;
		r.cl_error = res->cl_error;
		r.db_version = res->db_version;
		r.signatures = res->signatures;
		memcpy(r.name, res->name, sizeof r.name);
		r.name[sizeof r.name - 1] = '\0';
	}
	(void)send(fd, &r, sizeof r, MSG_NOSIGNAL);
}

static void *
run_job(void *arg)
{
	struct job *j = arg;
	struct scan_result res;
	int rc;

	memset(&res, 0, sizeof res);
	if (j->op == SCANPROC_OP_SCAN) {
		rc = scan_fd(j->scanner, j->file_fd, &res);
	} else {
		rc = scan_reload(j->scanner);
		scan_db_info(j->scanner, &res.signatures, &res.db_version);
	}
	answer(j->reply_fd, rc, &res, 0);
	close(j->reply_fd);
	if (j->file_fd >= 0)
		close(j->file_fd);
	free(j);
	atomic_fetch_sub(&inflight, 1);
	return NULL;
}

/* Take the descriptors of one request: the reply socket, and for a scan the file.
 * Anything else in the message is closed. Returns the number taken, or -1. */
static int
take_fds(struct msghdr *msg, int *reply_fd, int *file_fd)
{
	struct cmsghdr *c;
	int got = 0;

	*reply_fd = *file_fd = -1;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		size_t i, n;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (got == 0)
				*reply_fd = fd;
			else if (got == 1)
				*file_fd = fd;
			else
				close(fd);
			got++;
		}
	}
	return (msg->msg_flags & MSG_CTRUNC) ? -1 : got;
}

static void
serve(struct scanner *s)
{
	struct scanproc_request rq;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct iovec iov = { .iov_base = &rq, .iov_len = sizeof rq };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
		int reply_fd, file_fd, nfds;
		struct job *j;
		ssize_t n;

		n = recvmsg(SCANPROC_CONN_FD, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* the parent is gone */
		nfds = take_fds(&msg, &reply_fd, &file_fd);
		if (n != (ssize_t)sizeof rq || rq.magic != SCANPROC_MAGIC || nfds < 1 ||
		    (rq.op == SCANPROC_OP_SCAN && nfds != 2) ||
		    (rq.op == SCANPROC_OP_RELOAD && nfds != 1) ||
		    (rq.op != SCANPROC_OP_SCAN && rq.op != SCANPROC_OP_RELOAD)) {
			if (reply_fd >= 0)
				close(reply_fd);
			if (file_fd >= 0)
				close(file_fd);
			return;		/* not our parent's way of speaking */
		}
		if (atomic_fetch_add(&inflight, 1) >= SCANPROC_MAX_INFLIGHT ||
		    (j = malloc(sizeof *j)) == NULL) {
			atomic_fetch_sub(&inflight, 1);
			answer(reply_fd, -EBUSY, NULL, 0);
			close(reply_fd);
			if (file_fd >= 0)
				close(file_fd);
			continue;
		}
		*j = (struct job){ .scanner = s, .op = rq.op, .reply_fd = reply_fd,
				   .file_fd = file_fd };
		if (pthread_create(&t, &attr, run_job, j) != 0) {
			answer(reply_fd, -EAGAIN, NULL, 0);
			close(reply_fd);
			if (file_fd >= 0)
				close(file_fd);
			free(j);
			atomic_fetch_sub(&inflight, 1);
		}
	}
}

/* Step 3. Returns the Landlock ABI enforced (0: the kernel has none), or -1. */
static int
confine(const struct scanproc_hello *h)
{
	const struct confine_path paths[] = {
		{ "/usr", CONFINE_READ_EXEC },
		{ h->dbdir, CONFINE_READ },
		{ h->tmpdir, CONFINE_READ_WRITE },
	};
	int abi;

	/* A temporary file past its limit fails that one scan (EFBIG), rather than
	 * killing every scan in the process with SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	if (confine_rlimit(RLIMIT_CORE, 0) != 0 ||
	    confine_rlimit(RLIMIT_NOFILE, SCANNER_NOFILE) != 0 ||
	    confine_rlimit(RLIMIT_FSIZE, h->max_scansize) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	abi = confine_landlock(paths, sizeof paths / sizeof paths[0]);
	if (abi == -EOPNOTSUPP)
		abi = 0;
	if (abi < 0 || confine_seccomp(CONFINE_NO_EXEC) != 0)
		return -1;
	return abi;
}

int
main(void)
{
	struct scanproc_hello h;
	struct scan_limits lim;
	struct scanner *s = NULL;
	ssize_t n;
	int rc, abi;

	/* Exec'd from a descriptor, it would be called by the descriptor's number. */
	(void)prctl(PR_SET_NAME, SCANPROC_PROGRAM, 0, 0, 0);
	/* Nothing of the parent's but the connection and the standard streams. */
	(void)close_range(SCANPROC_CONN_FD + 1, ~0u, 0);
	signal(SIGPIPE, SIG_IGN);
	do
		n = recv(SCANPROC_CONN_FD, &h, sizeof h, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 || scanproc_hello_check(&h, (size_t)n) != 0)
		_exit(2);
	scan_limits_default(&lim);
	lim.max_filesize = h.max_filesize;
	lim.max_scansize = h.max_scansize;
	lim.max_recursion = h.max_recursion;
	lim.max_files = h.max_files;
	lim.max_scantime_ms = h.max_scantime_ms;
	lim.tmpdir = h.tmpdir;
	if ((rc = scan_open(&s, h.dbdir, &lim)) != 0) {
		answer(SCANPROC_CONN_FD, rc, NULL, 0);
		_exit(1);
	}
	if ((abi = confine(&h)) < 0) {
		answer(SCANPROC_CONN_FD, -EPERM, NULL, 0);
		_exit(1);
	}
	struct scan_result info = { 0 };
	scan_db_info(s, &info.signatures, &info.db_version);
	answer(SCANPROC_CONN_FD, 0, &info, abi);
	serve(s);
	/* The parent is gone: scans still running end with the process. */
	_exit(0);
}
