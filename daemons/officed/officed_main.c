/*
 * officed_main.c — sekisho-officed, the LGWAN zone's application server.
 *
 * Process layout: one process. The main thread takes signals and nothing else;
 * libmicrohttpd's worker threads run the staff and counter API handlers.
 *
 * Trust boundary: requests come from LGWAN terminals through the LGWAN-zone lighttpd.
 * What came from the internet reaches officed only as bundles in spool/inbox, which
 * bridge-rx has already verified and which officed verifies again (with the
 * sanitizer's *public* key) before importing. officed holds the office signing key
 * (every downlink message) and the counter's QR private key; nothing in the internet
 * zone can read either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "importer.h"
#include "log.h"
#include "office_db.h"
#include "spool.h"
#include "tenant.h"

#define COMPONENT "sekisho-officed"

static const struct config_key officed_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "db_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "upload_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "inbox_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "downlink_out_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "office_signing_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "sanitizer_public_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "counter_qr_private_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "bundles_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "quarantine_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "receipt_interval_s", CONFIG_INT, "60", false, 1, 3600 },
	{ "receipt_window_s", CONFIG_INT, "86400", false, 60, 2592000 },
	{ NULL },
};

struct officed {
	struct config *cfg;
	struct tenant_set tenants;
	struct spool inbox, downlink_out;
	uint8_t office_key[CRYPTO_ED25519_LEN];
	uint8_t sanitizer_pub[CRYPTO_ED25519_LEN];
	uint8_t counter_qr_key[CRYPTO_X25519_LEN];
	struct importer *importer;
};

static void
handle_healthz(struct http_request *req, void *app)
{
	struct officed *o = app;
	json_t *h = daemon_health_new(COMPONENT);

	tenant_set_health(&o->tenants, h);
	daemon_health_spool(h, "spool.inbox", &o->inbox);
	daemon_health_spool(h, "spool.downlink-out", &o->downlink_out);
	daemon_health_check(h, "key.office-signing", true, "loaded at start");
	daemon_health_check(h, "key.sanitizer-public", true, "loaded at start");
	daemon_health_check(h, "key.counter-qr-private", true, "loaded at start");
	json_t *m = importer_metrics(o->importer);
	char detail[200];
	snprintf(detail, sizeof detail, "%lld imported, %lld duplicates, %lld quarantined, "
		 "%lld receipts written, %lld errors",
		 (long long)json_integer_value(json_object_get(m, "imported")),
		 (long long)json_integer_value(json_object_get(m, "duplicates")),
		 (long long)json_integer_value(json_object_get(m, "quarantined")),
		 (long long)json_integer_value(json_object_get(m, "receipts_written")),
		 (long long)json_integer_value(json_object_get(m, "errors")));
	daemon_health_check(h, "import", true, detail);
	json_decref(m);
	daemon_health_reply(req, h);
}

static const struct http_route officed_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
};

static int
load_key(int rc, const char *path, char *err, size_t errlen)
{
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
	return rc;
}

static int
officed_open(struct officed *o, char *err, size_t errlen)
{
	const struct config *c = o->cfg;
	const char *path;

	if (tenant_set_open(&o->tenants, config_str(c, "db_dir"), office_db_migrations,
			    office_db_nmigrations, err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&o->inbox, c, "inbox_spool", err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&o->downlink_out, c, "downlink_out_spool", err, errlen) != 0)
		return -1;
	path = config_str(c, "office_signing_key");
	if (load_key(crypto_key_load_private(path, CRYPTO_KEY_ED25519, o->office_key),
		     path, err, errlen))
		return -1;
	path = config_str(c, "sanitizer_public_key");
	if (load_key(crypto_key_load_public(path, CRYPTO_KEY_ED25519, o->sanitizer_pub),
		     path, err, errlen))
		return -1;
	path = config_str(c, "counter_qr_private_key");
	if (load_key(crypto_key_load_private(path, CRYPTO_KEY_X25519, o->counter_qr_key),
		     path, err, errlen))
		return -1;
	struct importer_config ic = {
		.tenants = &o->tenants,
		.inbox = &o->inbox,
		.downlink_out = &o->downlink_out,
		.bundles_dir = config_str(c, "bundles_dir"),
		.quarantine_dir = config_str(c, "quarantine_dir"),
		.sanitizer_pub = o->sanitizer_pub,
		.office_key = o->office_key,
		.receipt_interval_s = (unsigned)config_int(c, "receipt_interval_s"),
		.receipt_window_s = (unsigned)config_int(c, "receipt_window_s"),
	};
	return importer_start(&o->importer, &ic, err, errlen);
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct officed o = { 0 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "LGWAN-zone application server of Sekisho.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, officed_schema, args.config_path, &o.cfg) != 0)
		return 1;
	if (officed_open(&o, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(o.cfg, COMPONENT, &hc);
	hc.upload_dir = config_str(o.cfg, "upload_dir");
	if (http_server_start(&srv, &hc, officed_routes,
			      sizeof officed_routes / sizeof officed_routes[0], &o,
			      err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started: %zu tenants, listening on %s", o.tenants.n, hc.unix_path);
	daemon_notify_ready("serving");

	while (daemon_wait(1000) != DAEMON_STOP)
		;

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	importer_stop(o.importer);
	spool_close(&o.inbox);
	spool_close(&o.downlink_out);
	tenant_set_close(&o.tenants);
	explicit_bzero(o.office_key, sizeof o.office_key);
	explicit_bzero(o.counter_qr_key, sizeof o.counter_qr_key);
	config_free(o.cfg);
	return 0;
}
