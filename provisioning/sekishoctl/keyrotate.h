/*
 * keyrotate.h — replacing a key while the link keeps working (docs/key-rotation.md).
 *
 * A rotation is made on the host that holds the key's private half (a signing key)
 * or sends with it (a link key): the new key becomes current there, and every
 * verifier file of the key on this host gets a ring entry retiring the old one until
 * the end of the overlap (lib/keyring.h). When the key's verifiers live on the other
 * host, a rotation bundle (keybundle.h's tar, one member rotation.json) carries the
 * new public key (or link key) there, where keys import-rotation retires that host's
 * copy of the old key with the same overlap. Files keep their holder and mode.
 *
 * Invariants kept: a private key stays in its one zone; a retired signing key's
 * public half is never deleted (the auditor needs it for as long as the records it
 * signed are kept); the link's nonces stay unique under the new key because the
 * sender's epoch file is per link, not per key, and is never reset by a rotation.
 */
#ifndef SEKISHOCTL_KEYROTATE_H
#define SEKISHOCTL_KEYROTATE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "instance.h"
#include "keybundle.h"

#define KEYROTATE_DEFAULT_OVERLAP_DAYS 14	/* longer than any resend or outage */
#define KEYROTATE_MAX_OVERLAP_DAYS 366

/* Rotate key (sanitizer-signing, office-signing, uplink-link, downlink-link) at now,
 * retired keys usable until now + overlap_days. If the key's verifiers are on another
 * host, the rotation bundle is written to out (NULL: a name in the current
 * directory), its path copied into written and its fingerprint into fpr; else
 * written is "". new_id gets the new key's id. 0, or -1 with err. */
int keyrotate_rotate(const struct instance *in, const char *key, unsigned overlap_days,
		     const char *out, time_t now, char new_id[17], char *written,
		     size_t writtenlen, char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen);

/* Apply a rotation bundle made on the other host: the key it replaces must be this
 * host's current one (or the new key already is: 1, nothing done). 0 or 1 with the
 * key's name in key and its new id in new_id; -1 with err. */
int keyrotate_import(const struct instance *in, const char *path, const char *expect,
		     char key[32], char new_id[17], char fpr[KEYBUNDLE_FPR_LEN], char *err,
		     size_t errlen);

/* Every rotatable key file of this host with its ring: id, kind, state, dates. */
int keyrotate_list(const struct instance *in, FILE *out, time_t now);

/* sekishoctl keys rotate|import-rotation|list ...: argv[0] is "keys". Exit status. */
int keyrotate_main(const struct instance *in, int argc, char **argv);

#endif
