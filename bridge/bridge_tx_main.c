/*
 * bridge_tx_main.c — sekisho-bridge-tx, the sending end of one one-way link.
 *
 * Process layout: one process; the main thread takes signals, libmicrohttpd's
 * threads answer health. The one-way protocol (FEC, carousel, rate limit) is the
 * bridge issue's work: until it lands this daemon opens its link and spool and says
 * so in its health report, and sends nothing.
 *
 * Trust boundary: tx only ever sends. Its socket is connected to the peer and never
 * read, so even a link that could carry replies would give tx nothing to act on.
 * It holds the link key of its direction and no signing key: it moves what others
 * signed, it cannot make anything pass for signed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "link.h"
#include "log.h"
#include "spool.h"

#define COMPONENT "sekisho-bridge-tx"

static const struct config_key tx_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "direction", CONFIG_STRING, NULL, true, 0, 0 },
	{ "spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "link_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "peer_host", CONFIG_STRING, NULL, true, 0, 0 },
	{ "peer_port", CONFIG_INT, NULL, true, 1, 65535 },
	{ "rate_mbit", CONFIG_INT, "100", false, 1, 10000 },
	{ "mtu", CONFIG_INT, "1500", false, 576, 9000 },
	{ NULL },
};

struct bridge_tx {
	struct config *cfg;
	enum link_direction dir;
	struct spool spool;
	int sock;
	uint8_t link_key[CRYPTO_AEAD_KEY_LEN];
};

static void
handle_healthz(struct http_request *req, void *app)
{
	struct bridge_tx *tx = app;
	json_t *h = daemon_health_new(COMPONENT);
	char detail[128];

	json_object_set_new(h, "link", json_string(link_direction_name(tx->dir)));
	daemon_health_spool(h, "spool", &tx->spool);
	snprintf(detail, sizeof detail, "connected to %s:%ld",
		 config_str(tx->cfg, "peer_host"), config_int(tx->cfg, "peer_port"));
	daemon_health_check(h, "link.socket", tx->sock >= 0, detail);
	daemon_health_check(h, "key.link", true, "loaded at start");
	daemon_health_check(h, "protocol", true, "not implemented yet: nothing is sent");
	daemon_health_reply(req, h);
}

static const struct http_route tx_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
};

static int
tx_open(struct bridge_tx *tx, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	const char *path;
	int rc;

	if (link_direction_parse(config_str(tx->cfg, "direction"), &tx->dir) != 0) {
		snprintf(err, errlen, "direction must be uplink or downlink");
		return -1;
	}
	if (daemon_open_spool(&tx->spool, tx->cfg, "spool", err, errlen) != 0)
		return -1;
	path = config_str(tx->cfg, "link_key");
	if ((rc = crypto_secret_load(path, tx->link_key, sizeof tx->link_key)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	if (link_address(config_str(tx->cfg, "peer_host"), config_int(tx->cfg, "peer_port"),
			 &sa, &salen) != 0) {
		snprintf(err, errlen, "peer_host '%s' is not an IP address",
			 config_str(tx->cfg, "peer_host"));
		return -1;
	}
	tx->sock = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx->sock < 0 || connect(tx->sock, (struct sockaddr *)&sa, salen) != 0) {
		snprintf(err, errlen, "link socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct bridge_tx tx = { .sock = -1 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "Sending end of a Sekisho one-way link.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, tx_schema, args.config_path, &tx.cfg) != 0)
		return 1;
	if (tx_open(&tx, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(tx.cfg, COMPONENT, &hc);
	if (http_server_start(&srv, &hc, tx_routes, sizeof tx_routes / sizeof tx_routes[0],
			      &tx, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started: %s link to %s:%ld", link_direction_name(tx.dir),
		 config_str(tx.cfg, "peer_host"), config_int(tx.cfg, "peer_port"));
	daemon_notify_ready("link open");

	while (daemon_wait(1000) != DAEMON_STOP)
		;

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	close(tx.sock);
	spool_close(&tx.spool);
	explicit_bzero(tx.link_key, sizeof tx.link_key);
	config_free(tx.cfg);
	return 0;
}
