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

#include "instance.h"

/* Who may read a private key file: a service user in production, the caller in dev. */
struct key_holder {
	const char *path;	/* relative to the instance root */
	const char *owner;	/* service user that needs it */
	bool secret;		/* 0600 if set, else 0644 */
};

/* The key files an instance has, with their holders. NULL-terminated. */
extern const struct key_holder keys_table[];

/* Make every key and certificate. In dev mode files stay owned by the caller; else
 * each secret is chowned to its holder's user, which must exist. 0, or -1 with err. */
int keys_create_all(const struct instance *in, bool dev, char *err, size_t errlen);

#endif
