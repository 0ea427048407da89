/*
 * bridge_rx_main.c — sekisho-bridge-rx, the receiving end of one one-way link.
 *
 * Process layout: the main thread takes signals; receiver.c runs a thread that only
 * drains the socket and a worker that authenticates, reassembles, verifies and
 * stores; libmicrohttpd's threads answer health and metrics on the unix socket.
 *
 * Trust boundary: everything arriving on the link is hostile until the datagram's
 * AEAD tag, then the bundle's signature (sanitizer on the uplink, office on the
 * downlink) and on the uplink every file's attestation are verified. Only then does
 * a bundle enter the spool; anything else goes to quarantine. rx never sends on the
 * link.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "link.h"
#include "log.h"
#include "receiver.h"
#include "spool.h"

#define COMPONENT "sekisho-bridge-rx"

static const struct config_key rx_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "direction", CONFIG_STRING, NULL, true, 0, 0 },
	{ "link_id", CONFIG_INT, "1", false, 1, 65535 },
	{ "spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "receipts_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "quarantine_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "link_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "verify_key", CONFIG_PATH, NULL, true, 0, 0 },
	/* The link key's ring of retired keys; unset: beside link_key (keyring.h). */
	{ "link_key_ring", CONFIG_PATH, NULL, false, 0, 0 },
	{ "bind_host", CONFIG_STRING, NULL, true, 0, 0 },
	{ "bind_port", CONFIG_INT, NULL, true, 1, 65535 },
	{ "datagram", CONFIG_INT, "1472", false, FRAME_MIN_DATAGRAM, FRAME_MAX_DATAGRAM },
	{ "max_object_mb", CONFIG_INT, "256", false, 1, 4096 },
	{ "memory_mb", CONFIG_INT, "64", false, 1, 4096 },
	/* Take datagrams as the kernel coalesced them (UDP_GRO), cut apart here. */
	{ "receive_coalesced", CONFIG_BOOL, "yes", false, 0, 0 },
	/* Downlink receivers (internet side): sign receipts for what they stored into
	 * the uplink's outbox (acks.h). */
	{ "receipt_sign_key", CONFIG_PATH, NULL, false, 0, 0 },
	{ "receipt_out_spool", CONFIG_PATH, NULL, false, 0, 0 },
	{ "receipt_interval_s", CONFIG_INT, "10", false, 1, 3600 },
	{ "receipt_window_s", CONFIG_INT, "3600", false, 60, 7 * 86400 },
	/* Uplink receivers (LGWAN): the public half, to accept those receipts. */
	{ "receipt_verify_key", CONFIG_PATH, NULL, false, 0, 0 },
	{ NULL },
};

struct bridge_rx {
	struct config *cfg;
	enum link_direction dir;
	struct spool spool, receipts;
	struct keyring link_ring;	/* current link key, and retired ones in overlap */
	struct keyring verify_ring;	/* sanitizer (uplink) or office (downlink) keys */
	uint8_t receipt_key[CRYPTO_ED25519_LEN];	/* private (downlink) */
	struct keyring receipt_ring;	/* uplink: the DMZ receipt key, and retired ones */
	struct spool receipt_out;
	bool receipt_out_open;
	struct acks *acks;
	struct receiver *r;
};

/* Receipts, by direction: the internet side's downlink receiver signs them, LGWAN's
 * uplink receiver checks them. Neither key is required: without them the sender's
 * resends are simply not finished early. */
static int
receipts_open(struct bridge_rx *rx, struct receiver_config *rc_, char *err, size_t errlen)
{
	const char *sign = config_str(rx->cfg, "receipt_sign_key");
	const char *verify = config_str(rx->cfg, "receipt_verify_key");
	struct acks_config ac = { 0 };
	int rc;

	if (sign != NULL) {
		if (rx->dir != LINK_DOWNLINK) {
			snprintf(err, errlen, "receipt_sign_key is for a downlink receiver");
			return -1;
		}
		if ((rc = crypto_key_load_private(sign, CRYPTO_KEY_ED25519, rx->receipt_key)) != 0) {
			snprintf(err, errlen, "%s: %s", sign, crypto_strerror(rc));
			return -1;
		}
		if (daemon_open_spool(&rx->receipt_out, rx->cfg, "receipt_out_spool", err,
				      errlen) != 0)
			return -1;
		rx->receipt_out_open = true;
		ac.sign_key = rx->receipt_key;
		ac.out = &rx->receipt_out;
		ac.interval_s = (unsigned)config_int(rx->cfg, "receipt_interval_s");
		ac.window_s = (unsigned)config_int(rx->cfg, "receipt_window_s");
		if (acks_new(&rx->acks, &ac) != 0) {
			snprintf(err, errlen, "receipts: out of memory");
			return -1;
		}
		rc_->acks = rx->acks;
	} else if (verify != NULL) {
		if (rx->dir != LINK_UPLINK) {
			snprintf(err, errlen, "receipt_verify_key is for an uplink receiver");
			return -1;
		}
		/* Rotated like the other signing keys (keys rotate dmz-receipt): receipts
		 * signed before it still finish the sender's resends in the overlap. */
		if (keyring_load(&rx->receipt_ring, KEYRING_ED25519, verify, NULL, err,
				 errlen) != 0)
			return -1;
		rc_->receipt_key = rx->receipt_ring.k[0].key;
		rc_->receipt_ring = &rx->receipt_ring;
	}
	return 0;
}

static void
handle_healthz(struct http_request *req, void *app)
{
	struct bridge_rx *rx = app;
	json_t *h = daemon_health_new(COMPONENT), *m = receiver_metrics(rx->r);
	const char *q = config_str(rx->cfg, "quarantine_dir");
	json_t *b = json_object_get(m, "bundles");
	char detail[PATH_MAX + 160];

	json_object_set_new(h, "link", json_string(link_direction_name(rx->dir)));
	daemon_health_spool(h, "spool", &rx->spool);
	daemon_health_spool(h, "spool.receipts", &rx->receipts);
	daemon_health_path(h, "quarantine", q, W_OK);
	snprintf(detail, sizeof detail, "bound to %s:%ld; %lld bundles stored, %lld quarantined",
		 config_str(rx->cfg, "bind_host"), config_int(rx->cfg, "bind_port"),
		 (long long)json_integer_value(json_object_get(b, "stored")),
		 (long long)json_integer_value(json_object_get(b, "quarantined")));
	daemon_health_check(h, "link", true, detail);
	/* Key ids as sekishoctl keys list prints them, to check a rotation took. */
	snprintf(detail, sizeof detail, "loaded at start, key id %s, %zu retired",
		 rx->link_ring.k[0].id, rx->link_ring.n - 1);
	daemon_health_check(h, "key.link", true, detail);
	snprintf(detail, sizeof detail, "loaded at start, key id %s, %zu retired",
		 rx->verify_ring.k[0].id, rx->verify_ring.n - 1);
	daemon_health_check(h, rx->dir == LINK_UPLINK ? "key.sanitizer-public"
						      : "key.office-public",
			    true, detail);
	json_decref(m);
	daemon_health_reply(req, h);
}

static void
handle_metrics(struct http_request *req, void *app)
{
	struct bridge_rx *rx = app;
	json_t *m = receiver_metrics(rx->r);

	json_object_set_new(m, "link", json_string(link_direction_name(rx->dir)));
	http_reply_json(req, 200, m);
}

static const struct http_route rx_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
	{ "GET", "/api/metrics", handle_metrics, 0, NULL },
};

static int
rx_open(struct bridge_rx *rx, char *err, size_t errlen)
{
	const struct config *c = rx->cfg;
	struct receiver_config rc_ = { 0 };
	struct sockaddr_storage sa;
	socklen_t salen;
	int sock, one = 1;

	if (link_direction_parse(config_str(c, "direction"), &rx->dir) != 0) {
		snprintf(err, errlen, "direction must be uplink or downlink");
		return -1;
	}
	if (daemon_open_spool(&rx->spool, c, "spool", err, errlen) != 0 ||
	    daemon_open_spool(&rx->receipts, c, "receipts_spool", err, errlen) != 0)
		return -1;
	/* A rotation's retired keys come with their rings (lib/keyring.h); those whose
	 * overlap has ended are refused by the receiver, named in its log. */
	if (keyring_load(&rx->link_ring, KEYRING_LINK, config_str(c, "link_key"),
			 config_str(c, "link_key_ring"), err, errlen) != 0 ||
	    keyring_load(&rx->verify_ring, KEYRING_ED25519, config_str(c, "verify_key"), NULL,
			 err, errlen) != 0)
		return -1;
	log_info("bridge-rx: link key %s (%zu retired), verify key %s (%zu retired)",
		 rx->link_ring.k[0].id, rx->link_ring.n - 1, rx->verify_ring.k[0].id,
		 rx->verify_ring.n - 1);
	if (link_address(config_str(c, "bind_host"), config_int(c, "bind_port"), &sa,
			 &salen) != 0) {
		snprintf(err, errlen, "bind_host '%s' is not an IP address",
			 config_str(c, "bind_host"));
		return -1;
	}
	if ((sock = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "link socket: %s", strerror(errno));
		return -1;
	}
	/* A restarted rx must get its port back at once: the sender does not wait. */
	setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(sock, (struct sockaddr *)&sa, salen) != 0) {
		snprintf(err, errlen, "bind %s:%ld: %s", config_str(c, "bind_host"),
			 config_int(c, "bind_port"), strerror(errno));
		close(sock);
		return -1;
	}
	rc_.dir = rx->dir;
	rc_.sock = sock;
	rc_.link_id = (uint16_t)config_int(c, "link_id");
	rc_.link_key = rx->link_ring.k[0].key;
	rc_.link_ring = &rx->link_ring;
	rc_.verify_key = rx->verify_ring.k[0].key;
	rc_.verify_ring = &rx->verify_ring;
	rc_.spool = &rx->spool;
	rc_.receipts = &rx->receipts;
	rc_.quarantine_dir = config_str(c, "quarantine_dir");
	rc_.no_coalesce = !config_bool(c, "receive_coalesced");
	frame_limits_default(&rc_.limits);
	rc_.limits.max_datagram = (size_t)config_int(c, "datagram");
	rc_.limits.max_object_size = (uint64_t)config_int(c, "max_object_mb") << 20;
	rc_.memory_budget = (size_t)config_int(c, "memory_mb") << 20;
	if (receipts_open(rx, &rc_, err, errlen) != 0) {
		close(sock);
		return -1;
	}
	if (receiver_start(&rx->r, &rc_, err, errlen) != 0) {
		close(sock);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct bridge_rx rx = { 0 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "Receiving end of a Sekisho one-way link.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, rx_schema, args.config_path, &rx.cfg) != 0)
		return 1;
	if (rx_open(&rx, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(rx.cfg, COMPONENT, &hc);
	if (http_server_start(&srv, &hc, rx_routes, sizeof rx_routes / sizeof rx_routes[0],
			      &rx, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started: %s link bound to %s:%ld", link_direction_name(rx.dir),
		 config_str(rx.cfg, "bind_host"), config_int(rx.cfg, "bind_port"));
	daemon_notify_ready("receiving");

	while (daemon_wait(1000) != DAEMON_STOP)
		if (acks_flush(rx.acks, time(NULL), err, sizeof err) < 0)
			log_err("bridge-rx: receipts: %s", err);

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	receiver_stop(rx.r);
	spool_close(&rx.spool);
	spool_close(&rx.receipts);
	if (rx.receipt_out_open)
		spool_close(&rx.receipt_out);
	acks_free(rx.acks);
	explicit_bzero(rx.receipt_key, sizeof rx.receipt_key);
	keyring_clear(&rx.link_ring);
	keyring_clear(&rx.verify_ring);
	keyring_clear(&rx.receipt_ring);
	config_free(rx.cfg);
	return 0;
}
