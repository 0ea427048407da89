/*
 * keyring.h — a key and the keys it replaced: what every verifier holds after a
 * rotation.
 *
 * The current key stays in its file (keys/sanitizer-signing.pub, keys/uplink.key...),
 * so nothing that only signs or sends changes. The keys it replaced live in a ring
 * file beside it, keys/retired/NAME.json, each with its key id, when it was retired
 * and the end of its overlap (not_after). The rule (docs/key-rotation.md):
 *
 *   - live paths (bridge-rx, officed's import, portald, sanitized) accept a retired
 *     key only until its not_after, and refuse after that naming the key id;
 *   - the auditor (sekishoctl audit verify) passes KEYRING_ANY_TIME: a signing key
 *     that was ever the sanitizer's still proves what it signed, years later, so
 *     retired public signing keys are never deleted from a ring;
 *   - retired link keys (secrets, of no use to an auditor) are dropped at the next
 *     rotation once their overlap has ended, and their ring is bounded small because
 *     the receiver tries each of them on a datagram that fails under the current key.
 *
 * A key id is the first 8 bytes of SHA-256 of the public key, in hex (of a link key,
 * of a domain-separated hash, so the id is no plain hash of the secret).
 */
#ifndef SEKISHO_KEYRING_H
#define SEKISHO_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KEYRING_FORMAT "sekisho-keyring/1"
#define KEYRING_MAX_KEYS 32	/* current + retired signing keys: yearly for decades */
#define KEYRING_MAX_LINK_KEYS 4	/* current + retired link keys: trial decryptions per datagram */
#define KEYRING_FILE_MAX (32 * 1024)	/* a ring file: 32 entries of ~250 bytes */
#define KEYRING_ID_LEN 17	/* 16 hex digits and NUL */
#define KEYRING_ANY_TIME ((time_t)-1)	/* "now" for the auditor: no overlap end applies */

enum keyring_kind {
	KEYRING_ED25519,	/* public signing keys (SPKI PEM current file) */
	KEYRING_LINK,		/* AES-256-GCM link keys (raw 32-byte current file) */
};

struct keyring_key {
	uint8_t key[32];
	char id[KEYRING_ID_LEN];
	time_t retired_at;	/* 0 for the current key */
	time_t not_after;	/* 0 for the current key: no end */
};

/* k[0] is the current key; k[1..n-1] retired ones, most recently retired first. */
struct keyring {
	enum keyring_kind kind;
	size_t n;
	struct keyring_key k[KEYRING_MAX_KEYS];
};

enum {
	KEYRING_OK = 0,
	KEYRING_EFORMAT = -1,	/* ring file or key not of the expected form */
	KEYRING_EIO = -2,	/* a file could not be read or written */
	KEYRING_EPERM = -3,	/* a secret ring readable by others, a ring writable by others */
	KEYRING_ELIMIT = -4,	/* more keys than the ring may hold */
	KEYRING_EBADSIG = -5,	/* verifies with no key of the ring */
	KEYRING_EEXPIRED = -6,	/* verifies only with a key whose overlap has ended */
	KEYRING_EUNKNOWN = -7,	/* names a key id that is not in the ring */
};

const char *keyring_strerror(int rc);

/* The id of key (a public signing key, or a link key). */
void keyring_key_id(enum keyring_kind kind, const uint8_t key[32], char id[KEYRING_ID_LEN]);

/* The ring file of the key file at key_path: DIR/retired/STEM.json for DIR/STEM.EXT.
 * 0, or -1 if it does not fit in outlen. */
int keyring_path(const char *key_path, char *out, size_t outlen);

/* Load the current key from key_path and the retired keys of its ring file, if any:
 * ring_path, or when NULL keyring_path(key_path) (a key handed over as a systemd
 * credential is elsewhere than its ring). A ring file must be a regular file not writable by group or others, and for link
 * keys not readable by them either (KEYRING_EPERM). 0, or a code with err. */
int keyring_load(struct keyring *r, enum keyring_kind kind, const char *key_path,
		 const char *ring_path, char *err, size_t errlen);

/* Append the retired keys of ring-file text to r (r->kind set, r->n >= 1 with the
 * current key first): bounded, each id checked against its key, no duplicates. An
 * entry for the current key itself (a rotation interrupted after writing the ring)
 * is skipped. */
int keyring_parse(struct keyring *r, const char *text, size_t len, char *err, size_t errlen);

/* The ring file text for r's retired keys (malloc'd, NUL-terminated; the caller
 * cleanses a link ring's text before freeing). NULL if out of memory. */
char *keyring_dump(const struct keyring *r);

/* Make newkey current, retiring the current one at now with overlap until not_after.
 * A link ring first drops the retired keys whose overlap ended before now. 0, or
 * KEYRING_ELIMIT (a full signing ring: never pruned), KEYRING_EFORMAT (newkey is
 * already in the ring). */
int keyring_rotate(struct keyring *r, const uint8_t newkey[32], time_t now, time_t not_after);

/* The key with id, or NULL. */
const struct keyring_key *keyring_find(const struct keyring *r, const char *id);

/* 1 if k may be used at now (KEYRING_ANY_TIME: always), else 0. */
int keyring_usable(const struct keyring_key *k, time_t now);

/* Verify an Ed25519 signature with the ring's keys in order. KEYRING_OK (and *used,
 * if not NULL), KEYRING_EEXPIRED when only a key past its overlap verifies it (err
 * names that key), or KEYRING_EBADSIG. */
int keyring_verify(const struct keyring *r, time_t now, const void *msg, size_t len,
		   const uint8_t sig[64], const struct keyring_key **used, char *err,
		   size_t errlen);

/* Cleanse every key (link keys are secrets). */
void keyring_clear(struct keyring *r);

#endif
