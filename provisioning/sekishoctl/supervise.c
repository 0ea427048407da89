/*
 * supervise.c — the dev stack's process supervisor.
 *
 * All signals the supervisor cares about (SIGCHLD, SIGINT, SIGTERM) are blocked and
 * taken with sigtimedwait in one loop, so the state of every child changes in one
 * place and there is no async-signal-safety to reason about.
 */
#include "supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

const struct supervise_spec supervise_specs[] = {
	/* Receivers first, so nothing sent at start-up falls on a closed port. */
	{ "bridge-uplink-rx", "sekisho-bridge-rx", "etc/bridge-uplink-rx.conf" },
	{ "bridge-downlink-rx", "sekisho-bridge-rx", "etc/bridge-downlink-rx.conf" },
	{ "sanitized", "sekisho-sanitized", "etc/sanitized.conf" },
	{ "officed", "sekisho-officed", "etc/officed.conf" },
	{ "portald", "sekisho-portald", "etc/portald.conf" },
	{ "bridge-uplink-tx", "sekisho-bridge-tx", "etc/bridge-uplink-tx.conf" },
	{ "bridge-downlink-tx", "sekisho-bridge-tx", "etc/bridge-downlink-tx.conf" },
	/* The web fronts last: when they accept requests, their back ends are up. */
	{ "lighttpd-internet", "lighttpd", "etc/lighttpd-internet.conf" },
	{ "lighttpd-lgwan", "lighttpd", "etc/lighttpd-lgwan.conf" },
	{ NULL, NULL, NULL },
};

#define MAX_CHILDREN 16

struct child {
	const struct supervise_spec *spec;
	char exe[PATH_MAX + 64];
	char conf[PATH_MAX];
	pid_t pid;		/* 0 while down */
	long long started_ms;
	long long next_start_ms;
	long backoff_ms;
	unsigned restarts;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
find_lighttpd(char *out, size_t outlen)
{
	static const char *const candidates[] = { "/usr/sbin/lighttpd", "/usr/local/sbin/lighttpd",
						  "/sbin/lighttpd", NULL };
	for (size_t i = 0; candidates[i]; i++)
		if (access(candidates[i], X_OK) == 0) {
			snprintf(out, outlen, "%s", candidates[i]);
			return 0;
		}
	return -1;
}

static void
start_child(struct child *c, pid_t parent, const sigset_t *orig_mask)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("%s: fork failed: %s", c->spec->name, strerror(errno));
		c->next_start_ms = now_ms() + c->backoff_ms;
		return;
	}
	if (pid == 0) {
		/* Own process group: a terminal's Ctrl-C reaches the supervisor only, which
		 * then stops the children in order. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, orig_mask, NULL);
		if (strcmp(c->spec->program, "lighttpd") == 0)
			execl(c->exe, "lighttpd", "-D", "-f", c->conf, (char *)NULL);
		else
			execl(c->exe, c->spec->program, "--config", c->conf, (char *)NULL);
		fprintf(stderr, "sekishoctl: cannot run %s: %s\n", c->exe, strerror(errno));
		_exit(127);
	}
	c->pid = pid;
	c->started_ms = now_ms();
}

/* The supervisor is the children's NOTIFY_SOCKET, as systemd is in production: a
 * daemon says READY=1 once it serves (sockets bound, spools open), and start-up
 * waits for that before starting the next one. Without it a bridge transmitter
 * could send before its receiver had bound its port, and the bundle would wait for
 * its first resend, minutes later. */
static int
notify_open(const struct instance *in, char *path, size_t pathlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (instance_path(in, "run/supervisor.notify", path, pathlen) != 0 ||
	    strlen(path) >= sizeof sa.sun_path)
		return -1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what is waiting; 1 if a READY=1 was among it. */
static int
notify_drain(int fd)
{
	char buf[1024];
	ssize_t k;
	int ready = 0;

	while (fd >= 0 && (k = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
		buf[k] = '\0';
		if (strncmp(buf, "READY=1", 7) == 0 || strstr(buf, "\nREADY=1") != NULL)
			ready = 1;
	}
	return ready;
}

/* During start-up only one child is starting at a time, so a READY=1 is its. Gives
 * up after SUPERVISE_READY_MS, or when the child has exited (left for reap). */
static void
wait_ready(int fd, const struct child *c)
{
	long long end = now_ms() + SUPERVISE_READY_MS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	siginfo_t info;

	if (fd < 0 || strncmp(c->spec->program, "sekisho-", 8) != 0 || c->pid == 0)
		return;
	while (now_ms() < end) {
		if (poll(&pfd, 1, 50) > 0 && notify_drain(fd))
			return;
		memset(&info, 0, sizeof info);
		if (waitid(P_PID, c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == c->pid)
			return;
	}
	log_warn("%s (pid %d) not ready after %d ms; starting the rest anyway",
		 c->spec->name, (int)c->pid, SUPERVISE_READY_MS);
}

static void
reap(struct child *kids, size_t n, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct child *c = &kids[i];
			long long up;

			if (c->pid != pid)
				continue;
			c->pid = 0;
			if (stopping)
				break;
			up = now_ms() - c->started_ms;
			if (up >= SUPERVISE_STABLE_MS)
				c->backoff_ms = SUPERVISE_BACKOFF_MIN_MS;
			else if (c->restarts > 0)
				c->backoff_ms = c->backoff_ms * 2 > SUPERVISE_BACKOFF_MAX_MS
						? SUPERVISE_BACKOFF_MAX_MS : c->backoff_ms * 2;
			c->restarts++;
			c->next_start_ms = now_ms() + c->backoff_ms;
			if (WIFSIGNALED(status))
				log_warn("%s (pid %d) killed by signal %d after %lld ms; restarting in %ld ms",
					 c->spec->name, (int)pid, WTERMSIG(status), up, c->backoff_ms);
			else
				log_warn("%s (pid %d) exited with status %d after %lld ms; restarting in %ld ms",
					 c->spec->name, (int)pid, WEXITSTATUS(status), up, c->backoff_ms);
			break;
		}
	}
}

static void
stop_all(struct child *kids, size_t n, const sigset_t *set)
{
	long long deadline = now_ms() + SUPERVISE_STOP_GRACE_MS;
	size_t alive;

	for (size_t i = n; i-- > 0;)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGTERM);
	for (;;) {
		struct timespec ts = { 0, 100 * 1000000L };

		reap(kids, n, 1);
		alive = 0;
		for (size_t i = 0; i < n; i++)
			alive += kids[i].pid > 0;
		if (alive == 0 || now_ms() >= deadline)
			break;
		sigtimedwait(set, NULL, &ts);
	}
	for (size_t i = 0; i < n; i++)
		if (kids[i].pid > 0) {
			log_warn("%s (pid %d) did not stop in %d ms; killing it", kids[i].spec->name,
				 (int)kids[i].pid, SUPERVISE_STOP_GRACE_MS);
			kill(kids[i].pid, SIGKILL);
			waitpid(kids[i].pid, NULL, 0);
			kids[i].pid = 0;
		}
}

int
supervise_run(const struct instance *in, const struct instance_options *opt,
	      char *err, size_t errlen)
{
	struct child kids[MAX_CHILDREN];
	sigset_t set, orig;
	pid_t self = getpid();
	char notify_path[PATH_MAX];
	int notify_fd;
	size_t n = 0;
	const char *scheme = opt->tls ? "https" : "http";

	memset(kids, 0, sizeof kids);
	for (const struct supervise_spec *s = supervise_specs; s->name && n < MAX_CHILDREN; s++) {
		struct child *c = &kids[n++];

		c->spec = s;
		c->backoff_ms = SUPERVISE_BACKOFF_MIN_MS;
		if (strcmp(s->program, "lighttpd") == 0) {
			if (find_lighttpd(c->exe, sizeof c->exe) != 0) {
				snprintf(err, errlen, "lighttpd is not installed "
					 "(provisioning/install-deps.sh installs it)");
				return -1;
			}
		} else {
			snprintf(c->exe, sizeof c->exe, "%s/%s", in->bindir, s->program);
			if (access(c->exe, X_OK) != 0) {
				snprintf(err, errlen, "%s: %s (build with 'make')", c->exe,
					 strerror(errno));
				return -1;
			}
		}
		if (instance_path(in, s->conf, c->conf, sizeof c->conf) != 0 ||
		    access(c->conf, R_OK) != 0) {
			snprintf(err, errlen, "%s/%s: %s", in->root, s->conf, strerror(errno));
			return -1;
		}
	}

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &orig);

	if ((notify_fd = notify_open(in, notify_path, sizeof notify_path)) >= 0)
		setenv("NOTIFY_SOCKET", notify_path, 1);
	else
		log_warn("no notify socket (%s): starting without waiting for readiness",
			 strerror(errno));
	for (size_t i = 0; i < n; i++) {
		start_child(&kids[i], self, &orig);
		wait_ready(notify_fd, &kids[i]);
	}
	printf("\n関所 (Sekisho) を起動しました。Ctrl-C で全プロセスを停止します。\n"
	       "  インターネット側 (市民): %s://%s:%ld/\n"
	       "  LGWAN 側 (職員):         %s://%s:%ld/\n"
	       "  LGWAN 側 (窓口):         %s://%s:%ld/counter/\n"
	       "  インスタンス:            %s\n\n",
	       scheme, opt->bind_host, opt->internet_port, scheme, opt->bind_host,
	       opt->lgwan_port, scheme, opt->bind_host, opt->lgwan_port, in->root);
	fflush(stdout);

	for (;;) {
		long long now = now_ms(), wait_ms = 1000;
		struct timespec ts;
		int sig;

		for (size_t i = 0; i < n; i++)
			if (kids[i].pid == 0 && kids[i].next_start_ms - now < wait_ms)
				wait_ms = kids[i].next_start_ms - now;
		if (wait_ms < 0)
			wait_ms = 0;
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (long)(wait_ms % 1000) * 1000000L;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			log_info("signal %d: stopping every process", sig);
			break;
		}
		notify_drain(notify_fd);	/* READY of restarted children */
		reap(kids, n, 0);
		now = now_ms();
		for (size_t i = 0; i < n; i++)
			if (kids[i].pid == 0 && kids[i].next_start_ms <= now) {
				start_child(&kids[i], self, &orig);
				log_info("%s restarted (pid %d, restart %u)", kids[i].spec->name,
					 (int)kids[i].pid, kids[i].restarts);
			}
	}
	stop_all(kids, n, &set);
	if (notify_fd >= 0) {
		close(notify_fd);
		unlink(notify_path);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	log_info("every process stopped");
	return 0;
}
