/*
 * portald_main.c — sekisho-portald, the internet zone's application server.
 *
 * Process layout: one process. The main thread takes signals and nothing else;
 * libmicrohttpd's worker threads run the API handlers.
 *
 * Trust boundary: every request comes from the internet, through the internet-zone
 * lighttpd, and is hostile. portald may touch only the internet zone: its tenant
 * databases (dmz/db), the intake spool where uploads wait for the sanitizer, the
 * downlink-in spool where LGWAN's signed messages arrive, and the counter's QR
 * *public* key. It never holds the sanitizer's signing key, so nothing it writes can
 * pass for sanitized: files reach LGWAN only through sekisho-sanitized.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "portal_db.h"
#include "spool.h"
#include "tenant.h"

#define COMPONENT "sekisho-portald"

static const struct config_key portald_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "db_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "upload_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "intake_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "downlink_in_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "sanitizer_socket", CONFIG_PATH, NULL, true, 0, 0 },
	{ "counter_qr_public_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ NULL },
};

struct portald {
	struct config *cfg;
	struct tenant_set tenants;
	struct spool intake, downlink_in;
	uint8_t counter_qr_pub[CRYPTO_X25519_LEN];
};

static void
handle_healthz(struct http_request *req, void *app)
{
	struct portald *p = app;
	json_t *h = daemon_health_new(COMPONENT);

	tenant_set_health(&p->tenants, h);
	daemon_health_spool(h, "spool.intake", &p->intake);
	daemon_health_spool(h, "spool.downlink-in", &p->downlink_in);
	daemon_health_socket(h, "sanitizer", config_str(p->cfg, "sanitizer_socket"));
	daemon_health_check(h, "key.counter-qr-public", true, "loaded at start");
	daemon_health_reply(req, h);
}

static const struct http_route portald_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
};

static int
portald_open(struct portald *p, char *err, size_t errlen)
{
	const char *path;
	int rc;

	if (tenant_set_open(&p->tenants, config_str(p->cfg, "db_dir"), portal_db_migrations,
			    portal_db_nmigrations, err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&p->intake, p->cfg, "intake_spool", err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&p->downlink_in, p->cfg, "downlink_in_spool", err, errlen) != 0)
		return -1;
	path = config_str(p->cfg, "counter_qr_public_key");
	if ((rc = crypto_key_load_public(path, CRYPTO_KEY_X25519, p->counter_qr_pub)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct portald p = { 0 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "Internet-zone application server of Sekisho.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, portald_schema, args.config_path, &p.cfg) != 0)
		return 1;
	if (portald_open(&p, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(p.cfg, COMPONENT, &hc);
	hc.upload_dir = config_str(p.cfg, "upload_dir");
	if (http_server_start(&srv, &hc, portald_routes,
			      sizeof portald_routes / sizeof portald_routes[0], &p,
			      err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started: %zu tenants, listening on %s", p.tenants.n, hc.unix_path);
	daemon_notify_ready("serving");

	while (daemon_wait(1000) != DAEMON_STOP)
		;

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	spool_close(&p.intake);
	spool_close(&p.downlink_in);
	tenant_set_close(&p.tenants);
	config_free(p.cfg);
	return 0;
}
