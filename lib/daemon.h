/*
 * daemon.h — what every Sekisho daemon does the same way around its real work:
 * command line (--config FILE, --version, --help), signal handling, systemd
 * notification (READY, STOPPING, WATCHDOG) and the health report.
 *
 * A daemon's main thread blocks SIGTERM/SIGINT/SIGHUP before starting any thread,
 * so signals are taken only by daemon_wait and handled in one place, never inside an
 * arbitrary worker.
 */
#ifndef SEKISHO_DAEMON_H
#define SEKISHO_DAEMON_H

#include <jansson.h>
#include <stdbool.h>
#include <signal.h>

struct config;
struct config_key;
struct http_config;
struct http_request;
struct spool;

/* The keys every daemon's configuration has; put DAEMON_CONFIG_KEYS first in each
 * schema. listen is the unix socket the daemon's API is served on. */
#define DAEMON_CONFIG_KEYS \
	{ "listen", CONFIG_PATH, NULL, true, 0, 0 }, \
	{ "log_level", CONFIG_STRING, "info", false, 0, 0 }, \
	{ "http_threads", CONFIG_INT, "4", false, 1, 64 }

struct daemon_args {
	const char *config_path;	/* --config FILE (required) */
};

/* Parse argv. Handles --help and --version itself (prints and returns 1: the caller
 * exits 0). Returns 0 to go on, -1 on bad usage (message printed to stderr). */
int daemon_parse_args(int argc, char **argv, const char *name, const char *summary,
		      struct daemon_args *out);

/* Load the configuration at path against schema and start logging as name at its
 * log_level. 0, or -1 after printing what was wrong to stderr. */
int daemon_load_config(const char *name, const struct config_key *schema,
		       const char *path, struct config **out);

/* Open (creating if needed) the spool named by the path in configuration key key.
 * 0, or -1 with "PATH: why" in err. */
int daemon_open_spool(struct spool *s, const struct config *cfg, const char *key,
		      char *err, size_t errlen);

/* An http_config from the common keys (listen, http_threads), default limits. */
void daemon_http_config(const struct config *cfg, const char *component,
			struct http_config *hc);

/* Block the signals daemon_wait handles, in the calling thread and every thread it
 * starts afterwards. Call first in main. */
void daemon_block_signals(void);

enum daemon_event { DAEMON_STOP, DAEMON_RELOAD, DAEMON_TICK };

/* Wait up to tick_ms for a signal: DAEMON_STOP on SIGTERM/SIGINT, DAEMON_RELOAD on
 * SIGHUP, DAEMON_TICK on timeout. Pings the systemd watchdog when one is set. */
enum daemon_event daemon_wait(int tick_ms);

/* sd_notify wrappers; harmless when not under systemd. */
void daemon_notify_ready(const char *status);
void daemon_notify_stopping(void);

/* Health report building: start with daemon_health_new(component), add a check for
 * each dependency, then reply with daemon_health_reply (200 if every check is ok,
 * else 503). */
json_t *daemon_health_new(const char *component);
void daemon_health_check(json_t *health, const char *name, bool ok, const char *detail);
/* Common checks: a spool can be written; a unix socket accepts a connection; a path
 * (quarantine directory, key file) is accessible to this process with mode (R_OK,
 * W_OK, as for access(2)). */
void daemon_health_spool(json_t *health, const char *name, struct spool *s);
void daemon_health_socket(json_t *health, const char *name, const char *path);
void daemon_health_path(json_t *health, const char *name, const char *path, int mode);
void daemon_health_reply(struct http_request *req, json_t *health);

#endif
