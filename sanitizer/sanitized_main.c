/*
 * sanitized_main.c — sekisho-sanitized, the checkpoint (無害化) of the internet zone.
 *
 * Process layout: one process now; the sanitizer issue adds a sandboxed child per
 * file (fork, rlimits, seccomp, no network) that alone parses hostile bytes.
 *
 * Trust boundary: sanitized is the only holder of the sanitizer signing key. Whatever
 * it signs is what LGWAN will accept, so it takes input only from the intake spool
 * and its own unix socket (portald), and writes signed bundles only to the outbox.
 * In production its unit has PrivateNetwork=yes: it cannot reach any network.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "spool.h"

#define COMPONENT "sekisho-sanitized"

static const struct config_key sanitized_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "intake_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "outbox_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "quarantine_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "signing_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ NULL },
};

struct sanitized {
	struct config *cfg;
	struct spool intake, outbox;
	uint8_t signing_key[CRYPTO_ED25519_LEN];
	uint8_t signing_pub[CRYPTO_ED25519_LEN];
};

static void
handle_healthz(struct http_request *req, void *app)
{
	struct sanitized *s = app;
	json_t *h = daemon_health_new(COMPONENT);
	const char *q = config_str(s->cfg, "quarantine_dir");
	char detail[PATH_MAX + 32], fp[17];

	daemon_health_spool(h, "spool.intake", &s->intake);
	daemon_health_spool(h, "spool.outbox", &s->outbox);
	snprintf(detail, sizeof detail, "%s: %s", q,
		 access(q, W_OK) == 0 ? "writable" : strerror(errno));
	daemon_health_check(h, "quarantine", access(q, W_OK) == 0, detail);
	/* The public key's first 8 bytes let an operator match this daemon to the key
	 * LGWAN verifies against, without revealing anything secret. */
	crypto_hex(s->signing_pub, 8, fp);
	snprintf(detail, sizeof detail, "loaded at start, public key %s…", fp);
	daemon_health_check(h, "key.sanitizer-signing", true, detail);
	daemon_health_reply(req, h);
}

static const struct http_route sanitized_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
};

static int
sanitized_open(struct sanitized *s, char *err, size_t errlen)
{
	const char *path;
	int rc;

	if (daemon_open_spool(&s->intake, s->cfg, "intake_spool", err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&s->outbox, s->cfg, "outbox_spool", err, errlen) != 0)
		return -1;
	path = config_str(s->cfg, "signing_key");
	if ((rc = crypto_key_load_private(path, CRYPTO_KEY_ED25519, s->signing_key)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	if ((rc = crypto_ed25519_public(s->signing_key, s->signing_pub)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct sanitized s = { 0 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "File sanitizer (無害化) of Sekisho.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, sanitized_schema, args.config_path, &s.cfg) != 0)
		return 1;
	if (sanitized_open(&s, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(s.cfg, COMPONENT, &hc);
	if (http_server_start(&srv, &hc, sanitized_routes,
			      sizeof sanitized_routes / sizeof sanitized_routes[0], &s,
			      err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started, listening on %s", hc.unix_path);
	daemon_notify_ready("serving");

	while (daemon_wait(1000) != DAEMON_STOP)
		;

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	spool_close(&s.intake);
	spool_close(&s.outbox);
	explicit_bzero(s.signing_key, sizeof s.signing_key);
	config_free(s.cfg);
	return 0;
}
