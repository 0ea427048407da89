/*
 * portal.h — portald's top-level context, shared by its API handlers and its two
 * background threads (downlink consumer, forwarder).
 *
 * Everything here is set up in main before the first thread starts and torn down
 * after the last one stops; afterwards only the tenants' databases change, each under
 * its tenant's lock (or through its group committer, which takes that lock).
 */
#ifndef SEKISHO_PORTAL_H
#define SEKISHO_PORTAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "groupcommit.h"
#include "keyring.h"
#include "proccache.h"
#include "spool.h"
#include "tenant.h"
#include "throttle.h"

struct config;
struct downlink;
struct postal;

struct portal_tenant {
	struct tenant *t;		/* in portald.tenants */
	struct groupcommit gc;		/* submissions: many writers, one fsync */
	struct proccache procs;		/* parsed current definitions */
};

/* Citizen accounts, sessions and limits (accounts.h), from the configuration. */
struct portal_settings {
	bool cookie_secure;		/* HTTPS: Secure cookies with the __Host- prefix */
	unsigned idle_s, absolute_s;	/* session timeouts */
	struct throttle_policy login;	/* failed logins per account address */
	struct throttle_policy ip;	/* ... and per client address */
	unsigned verify_ttl_s, reset_ttl_s, resume_ttl_s, draft_ttl_s;
	unsigned upload_ttl_s;		/* an upload older than this is refused */
};

struct portald {
	struct config *cfg;
	struct tenant_set tenants;
	struct portal_tenant *pt;	/* tenants.n entries, same order */
	struct spool intake, downlink_in;
	uint8_t counter_qr_pub[CRYPTO_X25519_LEN];
	struct keyring office_keys;	/* verify downlink bundles: the current office key,
					 * and retired ones in their overlap (keyring.h) */
	const char *db_dir;
	const char *sanitizer_socket;
	const char *public_base_url;	/* "https://apply.example.lg.jp": QR codes, emails */
	char dummy_password_hash[128];	/* verified against when a 到達番号 is unknown */

	struct portal_settings set;
	struct ratelimit *login_rl;	/* per client address: login */
	struct ratelimit *mail_rl;	/* ... registration, reset, resume links: mail sent */
	struct ratelimit *submit_rl;	/* ... submissions (generous: see accounts.h) */

	struct downlink *downlink;	/* its counters, for /api/metrics */
	struct postal *postal;		/* NULL when no postal database is installed */

	/* Wakes the forwarder when a submission was committed. */
	pthread_mutex_t forward_mu;
	pthread_cond_t forward_cv;
	bool forward_kick, stopping;
};

/* The tenant named name (from a URL segment: checked here), or NULL. */
struct portal_tenant *portal_tenant(struct portald *p, const char *name);

/* Tell the forwarder there is work. */
void portal_kick_forwarder(struct portald *p);

#endif
