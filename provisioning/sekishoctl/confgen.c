/*
 * confgen.c — writing an instance's configuration files.
 */
#define _GNU_SOURCE	/* open_memstream */
#include "confgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "version.h"

/* Build a file's text with fprintf into memory, then store it atomically. */
struct text {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *
text_begin(struct text *t, const char *what)
{
	t->buf = NULL;
	t->len = 0;
	if ((t->f = open_memstream(&t->buf, &t->len)) == NULL)
		return NULL;
	fprintf(t->f, "# %s — written by sekishoctl init (Sekisho %s).\n", what,
		SEKISHO_VERSION);
	return t->f;
}

static int
text_store(struct text *t, const struct instance *in, const char *rel, char *err,
	   size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	fclose(t->f);
	if (instance_path(in, rel, path, sizeof path) != 0) {
		free(t->buf);
		snprintf(err, errlen, "%s/%s: path too long", in->root, rel);
		return -1;
	}
	rc = fsio_write_atomic(path, t->buf, t->len, 0640);
	free(t->buf);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot write", path);
		return -1;
	}
	return 0;
}

static int
write_instance_conf(const struct instance *in, const struct instance_options *o,
		    char *err, size_t errlen)
{
	struct text t;
	FILE *f = text_begin(&t, "This instance's mode and ports");

	if (f == NULL)
		return -1;
	fprintf(f, "mode = %s\ntls = %s\nbind_host = %s\n", o->dev ? "dev" : "production",
		o->tls ? "true" : "false", o->bind_host);
	fprintf(f, "internet_port = %ld\nlgwan_port = %ld\n", o->internet_port, o->lgwan_port);
	fprintf(f, "uplink_port = %ld\ndownlink_port = %ld\n", o->uplink_port,
		o->downlink_port);
	if (o->role[0])
		fprintf(f, "role = %s\n", o->role);
	return text_store(&t, in, "etc/instance.conf", err, errlen);
}

static void
common_keys(FILE *f, const struct instance *in, const char *sock)
{
	/* portald's handlers wait on the group commit's fsync; libmicrohttpd serves
	 * several connections per thread, so one waiting handler holds up the others on
	 * its thread. More threads than concurrent proxy connections avoid that. */
	fprintf(f, "listen = %s/run/%s.sock\nlog_level = info\nhttp_threads = %d\n",
		in->root, sock, strcmp(sock, "portald") == 0 ? 32 : 4);
}

/* The zones to write for: a role's, or both (development). */
static unsigned
zones_of(const struct instance_options *o)
{
	return o->zones ? o->zones : INSTANCE_ZONE_BOTH;
}

static const char *
or_default(const char *s, const char *def)
{
	return s[0] ? s : def;
}

static int
write_dmz_confs(const struct instance *in, const struct instance_options *o,
		char *err, size_t errlen)
{
	const char *r = in->root;
	struct text t;
	FILE *f;

	if ((f = text_begin(&t, "sekisho-portald (internet zone)")) == NULL)
		return -1;
	common_keys(f, in, "portald");
	fprintf(f, "db_dir = %s/dmz/db\nupload_dir = %s/dmz/uploads\n", r, r);
	fprintf(f, "intake_spool = %s/dmz/spool/intake\n", r);
	fprintf(f, "downlink_in_spool = %s/dmz/spool/downlink-in\n", r);
	fprintf(f, "sanitizer_socket = %s/run/sanitized.sock\n", r);
	fprintf(f, "counter_qr_public_key = %s/dmz/keys/counter-qr.pub\n", r);
	fprintf(f, "office_public_key = %s/dmz/keys/office-signing.pub\n", r);
	fprintf(f, "quarantine_dir = %s/dmz/quarantine\n", r);
	/* Not in dmz/state: that is the bridge's, and closed to portald. */
	fprintf(f, "postal_db = %s/dmz/postal/postal.sqlite\n", r);
	{
		const char *host = or_default(o->internet_bind, o->bind_host);

		fprintf(f, "public_base_url = %s://%s:%ld\n", o->tls ? "https" : "http",
			strcmp(host, "0.0.0.0") == 0 ? "localhost" : host, o->internet_port);
	}
	/* Citizen sessions: Secure cookies (and the __Host- prefix) when the zone is HTTPS. */
	fprintf(f, "cookie_secure = %s\n", o->tls ? "true" : "false");
	/* Submissions per client address (no address is exempt): generous in production;
	 * a development instance is also the benchmark's, which drives thousands a second
	 * from 127.0.0.1 (make bench-portal). */
	fprintf(f, "submit_rate_per_s = %d\nsubmit_rate_burst = %d\n", o->dev ? 5000 : 50,
		o->dev ? 10000 : 200);
	if (text_store(&t, in, "etc/portald.conf", err, errlen) != 0)
		return -1;

	if ((f = text_begin(&t, "sekisho-sanitized (internet zone)")) == NULL)
		return -1;
	common_keys(f, in, "sanitized");
	fprintf(f, "intake_spool = %s/dmz/spool/intake\n", r);
	fprintf(f, "outbox_spool = %s/dmz/spool/outbox\n", r);
	fprintf(f, "quarantine_dir = %s/dmz/quarantine\n", r);
	fprintf(f, "signing_key = %s/dmz/keys/sanitizer-signing.key\n", r);
	fprintf(f, "office_public_key = %s/dmz/keys/office-signing.pub\n", r);
	fprintf(f, "results_dir = %s/dmz/sanitized\n", r);
	/* Development uses the small test database shipped in the tree; production
	 * points this at freshclam's directory. */
	if (o->dev)
		fprintf(f, "clamav_db = %s/tests/clamav\n", in->share);
	else
		fprintf(f, "clamav_db = /var/lib/clamav\n");
	fprintf(f, "workers = 2\ndpi = 150\npolicy = default\n");
	return text_store(&t, in, "etc/sanitized.conf", err, errlen);
}

static int
write_lgwan_confs(const struct instance *in, const struct instance_options *o,
		  char *err, size_t errlen)
{
	const char *r = in->root;
	struct text t;
	FILE *f;

	if ((f = text_begin(&t, "sekisho-officed (LGWAN zone)")) == NULL)
		return -1;
	common_keys(f, in, "officed");
	fprintf(f, "db_dir = %s/lgwan/db\nupload_dir = %s/lgwan/uploads\n", r, r);
	fprintf(f, "inbox_spool = %s/lgwan/spool/inbox\n", r);
	fprintf(f, "downlink_out_spool = %s/lgwan/spool/downlink-out\n", r);
	fprintf(f, "office_signing_key = %s/lgwan/keys/office-signing.key\n", r);
	fprintf(f, "sanitizer_public_key = %s/lgwan/keys/sanitizer-signing.pub\n", r);
	fprintf(f, "counter_qr_private_key = %s/lgwan/keys/counter-qr.key\n", r);
	fprintf(f, "document_signing_key = %s/lgwan/keys/docsign.key\n", r);
	fprintf(f, "document_signing_cert = %s/lgwan/keys/docsign.crt\n", r);
	fprintf(f, "bundles_dir = %s/lgwan/bundles\nquarantine_dir = %s/lgwan/quarantine\n", r, r);
	fprintf(f, "receipt_interval_s = %d\nreceipt_window_s = 86400\n", o->dev ? 5 : 60);
	/* Staff sessions: Secure cookies (and the __Host- prefix) when the zone is HTTPS. */
	fprintf(f, "cookie_secure = %s\n", o->tls ? "true" : "false");
	fprintf(f, "staff_idle_timeout_s = 1800\nstaff_absolute_timeout_s = 43200\n");
	fprintf(f, "login_max_failures = 5\nlogin_window_s = 900\nlogin_lockout_s = 900\n");
	fprintf(f, "admin_password_max_age_days = 180\n");
	return text_store(&t, in, "etc/officed.conf", err, errlen);
}

/* Each end of a link lives in its own zone: a role writes the ends it runs. */
static int
write_bridge_confs(const struct instance *in, const struct instance_options *o,
		   char *err, size_t errlen)
{
	const char *r = in->root;
	unsigned zones = zones_of(o);
	struct text t;
	FILE *f;

	/* The uplink runs dmz -> lgwan, the downlink lgwan -> dmz. Each side's link key
	 * is its own zone's copy. */
	static const struct {
		const char *name, *dir, *tx_zone, *rx_zone, *tx_spool, *rx_spool, *verify;
		unsigned tx_mask, rx_mask;
	} links[] = {
		{ "uplink", "uplink", "dmz", "lgwan", "dmz/spool/outbox", "lgwan/spool/inbox",
		  "lgwan/keys/sanitizer-signing.pub", INSTANCE_ZONE_DMZ, INSTANCE_ZONE_LGWAN },
		{ "downlink", "downlink", "lgwan", "dmz", "lgwan/spool/downlink-out",
		  "dmz/spool/downlink-in", "dmz/keys/office-signing.pub", INSTANCE_ZONE_LGWAN,
		  INSTANCE_ZONE_DMZ },
	};
	for (size_t i = 0; i < 2; i++) {
		long port = i == 0 ? o->uplink_port : o->downlink_port;
		const char *host = or_default(i == 0 ? o->uplink_host : o->downlink_host,
					      o->bind_host);
		char sock[64], rel[96];

		if (!(zones & links[i].tx_mask))
			goto rx;
		snprintf(sock, sizeof sock, "bridge-%s-tx", links[i].name);
		if ((f = text_begin(&t, "sekisho-bridge-tx")) == NULL)
			return -1;
		common_keys(f, in, sock);
		fprintf(f, "direction = %s\nspool = %s/%s\n", links[i].dir, r, links[i].tx_spool);
		fprintf(f, "link_id = %zu\n", i + 1);
		fprintf(f, "receipts_spool = %s/%s/spool/receipts\n", r, links[i].tx_zone);
		fprintf(f, "state_dir = %s/%s/state\n", r, links[i].tx_zone);
		fprintf(f, "link_key = %s/%s/keys/%s.key\n", r, links[i].tx_zone, links[i].name);
		fprintf(f, "peer_host = %s\npeer_port = %ld\nrate_mbit = 100\nrate_burst_ms = 2\n",
			host, port);
		fprintf(f, "datagram = 1472\nfec_k = 64\nfec_m = 16\npasses = 2\n");
		fprintf(f, "resend_after_s = 300\nresend_max_s = 3600\n");
		snprintf(rel, sizeof rel, "etc/%s.conf", sock);
		if (text_store(&t, in, rel, err, errlen) != 0)
			return -1;
rx:
		if (!(zones & links[i].rx_mask))
			continue;
		snprintf(sock, sizeof sock, "bridge-%s-rx", links[i].name);
		if ((f = text_begin(&t, "sekisho-bridge-rx")) == NULL)
			return -1;
		common_keys(f, in, sock);
		fprintf(f, "direction = %s\nspool = %s/%s\n", links[i].dir, r, links[i].rx_spool);
		fprintf(f, "link_id = %zu\n", i + 1);
		fprintf(f, "receipts_spool = %s/%s/spool/receipts\n", r, links[i].rx_zone);
		fprintf(f, "quarantine_dir = %s/%s/quarantine\n", r, links[i].rx_zone);
		fprintf(f, "link_key = %s/%s/keys/%s.key\n", r, links[i].rx_zone, links[i].name);
		/* Named here, not beside link_key: a unit hands the key over as a credential,
		 * but its retired keys are read in place (keys rotate, lib/keyring.h). */
		fprintf(f, "link_key_ring = %s/%s/keys/retired/%s.json\n", r, links[i].rx_zone,
			links[i].name);
		fprintf(f, "verify_key = %s/%s\n", r, links[i].verify);
		/* Downlink receipts: signed on the internet side into the uplink's outbox,
		 * checked on LGWAN (bridge/acks.h). */
		if (i == 1)
			fprintf(f, "receipt_sign_key = %s/dmz/keys/dmz-receipt.key\n"
				"receipt_out_spool = %s/dmz/spool/outbox\n"
				"receipt_interval_s = 10\n", r, r);
		else
			fprintf(f, "receipt_verify_key = %s/lgwan/keys/dmz-receipt.pub\n", r);
		fprintf(f, "bind_host = %s\nbind_port = %ld\n", host, port);
		fprintf(f, "datagram = 1472\nmax_object_mb = 256\nmemory_mb = 64\n"
			"receive_coalesced = yes\n");
		snprintf(rel, sizeof rel, "etc/%s.conf", sock);
		if (text_store(&t, in, rel, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
write_lighttpd_conf(const struct instance *in, const struct instance_options *o,
		    const char *zone, const char *zone_dir, long port,
		    char *err, size_t errlen)
{
	char what[64], rel[64];
	struct text t;
	FILE *f;

	snprintf(what, sizeof what, "lighttpd, %s zone", zone);
	if ((f = text_begin(&t, what)) == NULL)
		return -1;
	fprintf(f, "# The zone's rules are in the included file; only these values are local.\n");
	fprintf(f, "var.instance = \"%s\"\nvar.share = \"%s\"\n", in->root, in->share);
	fprintf(f, "var.bind = \"%s\"\nvar.port = %ld\nvar.zone_dir = \"%s\"\n",
		or_default(strcmp(zone, "internet") == 0 ? o->internet_bind : o->lgwan_bind,
			   o->bind_host), port, zone_dir);
	fprintf(f, "include \"%s/provisioning/lighttpd/%s-zone.conf\"\n", in->share, zone);
	if (o->tls)
		fprintf(f, "include \"%s/provisioning/lighttpd/tls.conf\"\n", in->share);
	snprintf(rel, sizeof rel, "etc/lighttpd-%s.conf", zone);
	return text_store(&t, in, rel, err, errlen);
}

int
confgen_write_all(const struct instance *in, const struct instance_options *opt,
		  char *err, size_t errlen)
{
	unsigned zones = zones_of(opt);

	if (write_instance_conf(in, opt, err, errlen) != 0 ||
	    ((zones & INSTANCE_ZONE_DMZ) &&
	     (write_dmz_confs(in, opt, err, errlen) != 0 ||
	      write_lighttpd_conf(in, opt, "internet", "dmz", opt->internet_port, err,
				  errlen) != 0)) ||
	    ((zones & INSTANCE_ZONE_LGWAN) &&
	     (write_lgwan_confs(in, opt, err, errlen) != 0 ||
	      write_lighttpd_conf(in, opt, "lgwan", "lgwan", opt->lgwan_port, err,
				  errlen) != 0)) ||
	    write_bridge_confs(in, opt, err, errlen) != 0) {
		if (*err == '\0')
			snprintf(err, errlen, "%s/etc: cannot write configuration", in->root);
		return -1;
	}
	return 0;
}
