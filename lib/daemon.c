/*
 * daemon.c — the frame every Sekisho daemon runs its work in.
 *
 * Signals are blocked in every thread and taken synchronously by daemon_wait in the
 * main thread only, so no handler ever runs in the middle of a worker's critical
 * section and shutdown happens in one readable place in each main().
 */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "http.h"
#include "jsonio.h"
#include "log.h"
#include "spool.h"
#include "version.h"

int
daemon_parse_args(int argc, char **argv, const char *name, const char *summary,
		  struct daemon_args *out)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(out, 0, sizeof *out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			out->config_path = optarg;
			break;
		case 'V':
			printf("%s %s\n", name, SEKISHO_VERSION);
			return 1;
		case 'h':
			printf("usage: %s --config FILE\n%s\n", name, summary);
			return 1;
		default:
			fprintf(stderr, "usage: %s --config FILE\n", name);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", name, argv[optind]);
		return -1;
	}
	if (out->config_path == NULL) {
		fprintf(stderr, "%s: --config FILE is required\n", name);
		return -1;
	}
	return 0;
}

int
daemon_load_config(const char *name, const struct config_key *schema, const char *path,
		   struct config **out)
{
	extern char **environ;
	char err[512];
	enum log_level level;

	if (config_load(out, schema, path, environ, err, sizeof err) != 0) {
		fprintf(stderr, "%s: configuration refused: %s\n", name, err);
		return -1;
	}
	if (log_level_parse(config_str(*out, "log_level"), &level) != 0) {
		fprintf(stderr, "%s: %s: log_level must be err, warn, info or debug\n",
			name, path);
		config_free(*out);
		*out = NULL;
		return -1;
	}
	log_init(name, level, LOG_SINK_AUTO);
	return 0;
}

int
daemon_open_spool(struct spool *s, const struct config *cfg, const char *key,
		  char *err, size_t errlen)
{
	const char *path = config_str(cfg, key);
	int rc = spool_open(s, path, true);

	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot open spool: %s", path,
			 rc == SPOOL_EBADID ? "invalid" : strerror(-rc));
		return -1;
	}
	return 0;
}

void
daemon_http_config(const struct config *cfg, const char *component, struct http_config *hc)
{
	memset(hc, 0, sizeof *hc);
	hc->component = component;
	hc->unix_path = config_str(cfg, "listen");
	http_limits_default(&hc->limits);
	hc->limits.threads = (unsigned)config_int(cfg, "http_threads");
}

static void
handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void
daemon_block_signals(void)
{
	sigset_t set;

	handled_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A peer closing a socket mid-write is an error to handle, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
}

enum daemon_event
daemon_wait(int tick_ms)
{
	sigset_t set;
	siginfo_t info;
	struct timespec ts;
	uint64_t watchdog_usec = 0;
	int sig;

	/* Ping at least twice per watchdog period, as systemd recommends. */
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
		sd_notify(0, "WATCHDOG=1");
		if ((uint64_t)tick_ms * 1000 > watchdog_usec / 2)
			tick_ms = (int)(watchdog_usec / 2000);
	}
	handled_signals(&set);
	ts.tv_sec = tick_ms / 1000;
	ts.tv_nsec = (long)(tick_ms % 1000) * 1000000L;
	sig = sigtimedwait(&set, &info, &ts);
	if (sig == SIGTERM || sig == SIGINT)
		return DAEMON_STOP;
	if (sig == SIGHUP)
		return DAEMON_RELOAD;
	return DAEMON_TICK;
}

void
daemon_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "running");
}

void
daemon_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

json_t *
daemon_health_new(const char *component)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:{}}", "component", component,
			 "version", SEKISHO_VERSION, "status", "ok",
			 "pid", (json_int_t)getpid(), "checks");
}

void
daemon_health_check(json_t *health, const char *name, bool ok, const char *detail)
{
	json_t *checks = json_object_get(health, "checks");

	json_object_set_new(checks, name, json_pack("{s:b,s:s}", "ok", ok,
						    "detail", detail ? detail : ""));
	if (!ok)
		json_object_set_new(health, "status", json_string("degraded"));
}

void
daemon_health_spool(json_t *health, const char *name, struct spool *s)
{
	char detail[PATH_MAX + 64];
	int rc = spool_check_writable(s);

	if (rc == 0)
		snprintf(detail, sizeof detail, "%s: writable, %d waiting", s->root,
			 spool_count_new(s));
	else
		snprintf(detail, sizeof detail, "%s: not writable: %s", s->root, strerror(-rc));
	daemon_health_check(health, name, rc == 0, detail);
}

void
daemon_health_socket(json_t *health, const char *name, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char detail[PATH_MAX + 64];
	int fd, ok = 0;

	if (strlen(path) >= sizeof sa.sun_path) {
		daemon_health_check(health, name, false, "socket path too long");
		return;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		ok = 1;
	snprintf(detail, sizeof detail, "%s: %s", path, ok ? "accepting" : strerror(errno));
	if (fd >= 0)
		close(fd);
	daemon_health_check(health, name, ok, detail);
}

void
daemon_health_path(json_t *health, const char *name, const char *path, int mode)
{
	char detail[PATH_MAX + 64];
	int ok = access(path, mode) == 0;

	snprintf(detail, sizeof detail, "%s: %s", path,
		 ok ? (mode & W_OK ? "writable" : "readable") : strerror(errno));
	daemon_health_check(health, name, ok, detail);
}

void
daemon_health_reply(struct http_request *req, json_t *health)
{
	bool ok = strcmp(jsonio_str(health, "status", ""), "ok") == 0;

	http_reply_json(req, ok ? 200 : 503, health);
}
