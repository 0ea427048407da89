/*
 * bridge_tx_main.c — sekisho-bridge-tx, the sending end of one one-way link.
 *
 * Process layout: the main thread takes signals; one send thread (transmitter.c)
 * turns spool items into authenticated, FEC-coded datagrams; libmicrohttpd's threads
 * answer health and metrics on the unix socket.
 *
 * Trust boundary: tx only ever sends. Its socket is connected to the peer and never
 * read, so even a link that could carry replies would give tx nothing to act on;
 * receipts reach it only through the other direction's receiver, as ids in the
 * receipts spool. It holds its direction's link key and no signing key: it moves what
 * others signed and cannot make anything pass for signed.
 */
#include <errno.h>
#include <limits.h>
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
#include "transmitter.h"

#define COMPONENT "sekisho-bridge-tx"

static const struct config_key tx_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "direction", CONFIG_STRING, NULL, true, 0, 0 },
	{ "link_id", CONFIG_INT, "1", false, 1, 65535 },
	{ "spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "receipts_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "state_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "link_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "peer_host", CONFIG_STRING, NULL, true, 0, 0 },
	{ "peer_port", CONFIG_INT, NULL, true, 1, 65535 },
	{ "rate_mbit", CONFIG_INT, "100", false, 0, 100000 },
	{ "rate_burst_ms", CONFIG_INT, "2", false, 0, 100 },
	{ "datagram", CONFIG_INT, "1472", false, FRAME_MIN_DATAGRAM, FRAME_MAX_DATAGRAM },
	{ "fec_k", CONFIG_INT, "64", false, 1, 255 },
	{ "fec_m", CONFIG_INT, "16", false, 0, 255 },
	{ "passes", CONFIG_INT, "2", false, 1, 16 },
	{ "resend_after_s", CONFIG_INT, "300", false, 1, 86400 },
	{ "resend_max_s", CONFIG_INT, "3600", false, 1, 604800 },
	{ "max_object_mb", CONFIG_INT, "256", false, 1, 4096 },
	{ NULL },
};

struct bridge_tx {
	struct config *cfg;
	enum link_direction dir;
	struct spool spool, receipts;
	uint8_t link_key[CRYPTO_AEAD_KEY_LEN];
	char epoch_path[PATH_MAX];
	struct transmitter *t;
};

static void
handle_healthz(struct http_request *req, void *app)
{
	struct bridge_tx *tx = app;
	json_t *h = daemon_health_new(COMPONENT), *m = transmitter_metrics(tx->t);
	char detail[160];

	json_object_set_new(h, "link", json_string(link_direction_name(tx->dir)));
	daemon_health_spool(h, "spool", &tx->spool);
	daemon_health_spool(h, "spool.receipts", &tx->receipts);
	snprintf(detail, sizeof detail, "to %s:%ld, epoch %lld, %lld awaiting receipt",
		 config_str(tx->cfg, "peer_host"), config_int(tx->cfg, "peer_port"),
		 (long long)json_integer_value(json_object_get(m, "epoch")),
		 (long long)json_integer_value(json_object_get(m, "awaiting_receipt")));
	daemon_health_check(h, "link", true, detail);
	daemon_health_check(h, "key.link", true, "loaded at start");
	json_decref(m);
	daemon_health_reply(req, h);
}

static void
handle_metrics(struct http_request *req, void *app)
{
	struct bridge_tx *tx = app;
	json_t *m = transmitter_metrics(tx->t);

	json_object_set_new(m, "link", json_string(link_direction_name(tx->dir)));
	json_object_set_new(m, "spool_waiting", json_integer(spool_count_new(&tx->spool)));
	http_reply_json(req, 200, m);
}

static const struct http_route tx_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
	{ "GET", "/api/metrics", handle_metrics, 0, NULL },
};

static int
tx_open(struct bridge_tx *tx, char *err, size_t errlen)
{
	const struct config *c = tx->cfg;
	struct transmitter_config tc = { 0 };
	struct sockaddr_storage sa;
	socklen_t salen;
	const char *path;
	int rc, sock;

	if (link_direction_parse(config_str(c, "direction"), &tx->dir) != 0) {
		snprintf(err, errlen, "direction must be uplink or downlink");
		return -1;
	}
	if (daemon_open_spool(&tx->spool, c, "spool", err, errlen) != 0 ||
	    daemon_open_spool(&tx->receipts, c, "receipts_spool", err, errlen) != 0)
		return -1;
	path = config_str(c, "link_key");
	if ((rc = crypto_secret_load(path, tx->link_key, sizeof tx->link_key)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	if (link_address(config_str(c, "peer_host"), config_int(c, "peer_port"), &sa,
			 &salen) != 0) {
		snprintf(err, errlen, "peer_host '%s' is not an IP address",
			 config_str(c, "peer_host"));
		return -1;
	}
	sock = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, salen) != 0) {
		snprintf(err, errlen, "link socket: %s", strerror(errno));
		return -1;
	}
	snprintf(tx->epoch_path, sizeof tx->epoch_path, "%s/%s-tx.epoch",
		 config_str(c, "state_dir"), link_direction_name(tx->dir));
	tc.dir = tx->dir;
	tc.sock = sock;
	tc.link_id = (uint16_t)config_int(c, "link_id");
	tc.link_key = tx->link_key;
	tc.epoch_path = tx->epoch_path;
	tc.spool = &tx->spool;
	tc.receipts = &tx->receipts;
	sender_config_default(&tc.sender);
	tc.sender.k = (unsigned)config_int(c, "fec_k");
	tc.sender.m = (unsigned)config_int(c, "fec_m");
	tc.sender.datagram = (size_t)config_int(c, "datagram");
	tc.sender.passes = (unsigned)config_int(c, "passes");
	tc.sender.max_object_size = (uint64_t)config_int(c, "max_object_mb") << 20;
	tc.rate_bps = (uint64_t)config_int(c, "rate_mbit") * 1000000;
	tc.burst_ms = (unsigned)config_int(c, "rate_burst_ms");
	tc.resend_after_s = (unsigned)config_int(c, "resend_after_s");
	tc.resend_max_s = (unsigned)config_int(c, "resend_max_s");
	if (tc.sender.k + tc.sender.m > FRAME_MAX_SYMBOLS) {
		snprintf(err, errlen, "fec_k + fec_m must be at most %d", FRAME_MAX_SYMBOLS);
		close(sock);
		return -1;
	}
	return transmitter_start(&tx->t, &tc, err, errlen);
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct bridge_tx tx = { 0 };
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
	daemon_notify_ready("sending");

	while (daemon_wait(1000) != DAEMON_STOP)
		;

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	transmitter_stop(tx.t);
	spool_close(&tx.spool);
	spool_close(&tx.receipts);
	explicit_bzero(tx.link_key, sizeof tx.link_key);
	config_free(tx.cfg);
	return 0;
}
