/*
 * keys.h — every key in DESIGN.md's key table, made at provisioning.
 *
 * Which zone holds which key is the security design, so it is written once, here,
 * as a table: a private key appears in exactly one zone's keys/ directory, owned by
 * the one service that uses it, mode 0600; public keys are copied to where they are
 * verified. Keys are never overwritten: replacing one is a rotation, a separate act.
 */
#ifndef SEKISHOCTL_KEYS_H
#define SEKISHOCTL_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "instance.h"

/* Who may read a private key file: a service user in production, the caller in dev. */
struct key_holder {
	const char *path;	/* relative to the instance root */
	const char *owner;	/* service user that needs it */
	bool secret;		/* 0600 if set, else 0644 */
};

/* The key files an instance has, with their holders. NULL-terminated. */
extern const struct key_holder keys_table[];

/* What keys_create makes, and for whom. */
struct keys_options {
	unsigned zones;		/* INSTANCE_ZONE_*: a role's own zones only */
	bool dev;		/* files stay the caller's */
	const char *passwd;	/* service users looked up here (a root being built); NULL: the system's */
	const char *tls_cn;	/* self-signed TLS certificates' name; NULL: localhost */
	const char *tls_cert, *tls_key;	/* import these instead of self-signing (both or neither) */
};

/* Make every key and certificate of both zones (development and all-in-one). In dev
 * mode files stay owned by the caller; else each is chowned to its holder's user,
 * which must exist. 0, or -1 with err. */
int keys_create_all(const struct instance *in, bool dev, char *err, size_t errlen);

/* Make the keys of o->zones only: private keys of those zones, the link key each zone
 * sends with, the public copies that stay in those zones, TLS. 0, or -1 with err. */
int keys_create(const struct instance *in, const struct keys_options *o, char *err,
		size_t errlen);

/* uid and gid of a user, from passwd (a file in passwd(5) format) or the system's
 * user database when passwd is NULL. 0, or -1 if there is no such user. */
int keys_lookup_user(const char *passwd, const char *name, uid_t *uid, gid_t *gid);

/* Give the key file rel (a keys_table path) its holder and mode. 0, or -1 with err. */
int keys_give_to_holder(const struct instance *in, const char *rel, const char *passwd,
			char *err, size_t errlen);

#endif
