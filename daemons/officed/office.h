/*
 * office.h — officed's top-level context, shared by its API handlers and its
 * importer thread.
 *
 * Everything here is set up in main before the HTTP server starts and torn down
 * after it stops; in between only the tenants' databases change, each under its
 * tenant's lock, and the login rate limiter, which has its own.
 */
#ifndef SEKISHO_OFFICE_H
#define SEKISHO_OFFICE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "keyring.h"
#include "password.h"
#include "spool.h"
#include "tenant.h"
#include "throttle.h"

struct config;
struct importer;
struct pades_signer;

struct office_settings {
	unsigned idle_s, absolute_s;		/* staff sessions */
	bool cookie_secure;			/* the instance serves HTTPS */
	struct throttle_policy login;		/* per login ID */
	struct throttle_policy ip;		/* per client address */
	unsigned admin_password_max_age_s;	/* 管理者: change every six months */
	unsigned password_reminder_s;		/* remind this long before */
	unsigned setup_ttl_s;			/* setup codes of imported accounts */
};

struct officed {
	struct config *cfg;
	struct tenant_set tenants;
	struct spool inbox, downlink_out;
	uint8_t office_key[CRYPTO_ED25519_LEN];
	struct keyring sanitizer_ring;	/* current sanitizer key, retired ones (keyring.h) */
	uint8_t counter_qr_key[CRYPTO_X25519_LEN];
	struct importer *importer;
	struct pades_signer *doc_signer;	/* issued documents; NULL: not configured */
	struct office_settings set;
	/* Verified against when a login names no account (or one without a password),
	 * so that a login costs one Argon2 whether or not the account exists. */
	char dummy_hash[PASSWORD_HASH_LEN];
	struct ratelimit *login_rl;		/* login and setup requests per client */
};

#endif
