/*
 * keybundle.h — carrying keys between the two hosts of a two-host deployment.
 *
 * Each host makes its own zone's keys (keys.h); the other host needs exactly the
 * public halves it verifies with and the link key of the direction it receives. The
 * bundle is a tar of those files named by where they go ("lgwan/keys/uplink.key")
 * and a MANIFEST of their SHA-256 sums. The manifest's own SHA-256 is the bundle's
 * fingerprint: printed by export and import, and compared by the operator (or given
 * to import with --expect), since nothing can sign the first bundle.
 */
#ifndef SEKISHOCTL_KEYBUNDLE_H
#define SEKISHOCTL_KEYBUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "instance.h"

#define KEYBUNDLE_MAX_MEMBERS 8		/* files in a bundle, MANIFEST included */
#define KEYBUNDLE_MAX_FILE 4096		/* bytes of one key file */
#define KEYBUNDLE_MAX_SIZE 65536	/* bytes of a whole bundle */
#define KEYBUNDLE_FPR_LEN 65		/* hex SHA-256 and NUL */

/* Write to path (mode 0600) the files the host of zone for_zone ("dmz" or "lgwan")
 * needs from this host's other zone. fpr gets the fingerprint. 0, or -1 with err. */
int keybundle_export(const struct instance *in, const char *for_zone, const char *path,
		     char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen);

/* Check a bundle (every member expected for its zone, each sum in the manifest, the
 * fingerprint equal to expect unless NULL) and install its files with their holders
 * (keys.h; users from passwd, NULL: the system's). Files that already exist must be
 * identical: a changed key is a rotation. fpr gets the fingerprint. 0, or -1 with err. */
int keybundle_import(const struct instance *in, const char *path, const char *expect,
		     const char *passwd, bool dev, char fpr[KEYBUNDLE_FPR_LEN], char *err,
		     size_t errlen);

/* A key rotation for the host of zone for_zone (keyrotate.h): the same tar, with a
 * MANIFEST and one member, rotation.json (doc). Written 0600 to path; fpr gets the
 * fingerprint. 0, or -1 with err. */
int keybundle_write_rotation(const char *path, const char *for_zone, const char *doc,
			     size_t len, char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen);

/* Read and check a rotation bundle: the manifest, its sum of rotation.json, the
 * fingerprint equal to expect unless NULL. *doc (malloc'd, NUL-terminated, len bytes;
 * the caller cleanses and frees it) and zone get its content. 0, or -1 with err. */
int keybundle_read_rotation(const char *path, const char *expect, char zone[8], char **doc,
			    size_t *len, char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen);

#endif
