/*
 * crypto.h — the primitives Sekisho uses, over OpenSSL 3, and nothing else.
 *
 * Ed25519 signs attestations, bundles and downlink messages; X25519 is the counter's
 * QR key; AES-256-GCM protects every bridge datagram; SHA-256 names content; HMAC
 * keys tokens. Keys live in files made by provisioning: private keys are refused
 * when their file is readable by group or others. Asymmetric keys are PEM (PKCS#8 /
 * SubjectPublicKeyInfo) so that an auditor can check a signature with the openssl
 * command; symmetric keys are raw bytes. Key files are written with
 * fsio_write_atomic (lib/fsio.h).
 *
 * All functions return 0 on success or a negative CRYPTO_E* code.
 */
#ifndef SEKISHO_CRYPTO_H
#define SEKISHO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CRYPTO_SHA256_LEN   32
#define CRYPTO_ED25519_LEN  32	/* public and private (seed) key length */
#define CRYPTO_SIG_LEN      64
#define CRYPTO_X25519_LEN   32
#define CRYPTO_AEAD_KEY_LEN 32
#define CRYPTO_AEAD_NONCE_LEN 12
#define CRYPTO_AEAD_TAG_LEN 16

enum {
	CRYPTO_OK = 0,
	CRYPTO_EFAIL = -1,	/* OpenSSL failed (out of memory, ...) */
	CRYPTO_EBADSIG = -2,	/* signature does not verify */
	CRYPTO_EBADTAG = -3,	/* AEAD authentication failed */
	CRYPTO_EIO = -4,	/* key file missing or unreadable (errno kept) */
	CRYPTO_EPERM = -5,	/* private key file readable by group or others */
	CRYPTO_EFORMAT = -6,	/* key file is not the expected kind or size */
};

const char *crypto_strerror(int rc);

int crypto_random(void *buf, size_t len);

/* Constant-time comparison: 1 if equal, 0 otherwise. */
int crypto_memeq(const void *a, const void *b, size_t len);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void crypto_hex(const uint8_t *in, size_t len, char *out);
/* Parse exactly 2*len hex digits; 0 or CRYPTO_EFORMAT. */
int crypto_unhex(const char *hex, uint8_t *out, size_t len);

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* Incremental SHA-256 for streamed content (uploads, files). */
struct crypto_sha256_ctx;
struct crypto_sha256_ctx *crypto_sha256_begin(void);
int crypto_sha256_update(struct crypto_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and frees c. */
int crypto_sha256_end(struct crypto_sha256_ctx *c, uint8_t out[CRYPTO_SHA256_LEN]);
/* Hash a whole file by descriptor or path, streaming. */
int crypto_sha256_fd(int fd, uint8_t out[CRYPTO_SHA256_LEN]);
int crypto_sha256_file(const char *path, uint8_t out[CRYPTO_SHA256_LEN]);

void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
			uint8_t out[CRYPTO_SHA256_LEN]);

/* Ed25519. priv is the 32-byte seed. */
int crypto_ed25519_keygen(uint8_t pub[CRYPTO_ED25519_LEN], uint8_t priv[CRYPTO_ED25519_LEN]);
/* The public key of a private seed (to show which key a daemon holds). */
int crypto_ed25519_public(const uint8_t priv[CRYPTO_ED25519_LEN], uint8_t pub[CRYPTO_ED25519_LEN]);
int crypto_ed25519_sign(const uint8_t priv[CRYPTO_ED25519_LEN], const void *msg, size_t len,
			uint8_t sig[CRYPTO_SIG_LEN]);
int crypto_ed25519_verify(const uint8_t pub[CRYPTO_ED25519_LEN], const void *msg, size_t len,
			  const uint8_t sig[CRYPTO_SIG_LEN]);

int crypto_x25519_keygen(uint8_t pub[CRYPTO_X25519_LEN], uint8_t priv[CRYPTO_X25519_LEN]);

/* AES-256-GCM. ct has room for len bytes. A nonce must never repeat under one key:
 * the bridge derives it from a persisted counter and a boot id. */
int crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		     const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
		     const void *aad, size_t aadlen, const void *pt, size_t len,
		     uint8_t *ct, uint8_t tag[CRYPTO_AEAD_TAG_LEN]);
int crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		     const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
		     const void *aad, size_t aadlen, const void *ct, size_t len,
		     const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint8_t *pt);

/* A keyed AES-256-GCM context for many messages under one key (the bridge seals and
 * opens every datagram with one): the cipher is fetched and the key schedule set
 * once, so a message costs only its IV, AAD, data and tag. Same results and nonce
 * rule as crypto_aead_seal/open. A context is for one thread at a time: it holds
 * OpenSSL cipher state that concurrent calls would corrupt. NULL if OpenSSL fails.
 * crypto_aead_free cleanses the key schedule; NULL is a no-op. */
struct crypto_aead;
struct crypto_aead *crypto_aead_new(const uint8_t key[CRYPTO_AEAD_KEY_LEN]);
void crypto_aead_free(struct crypto_aead *a);
int crypto_aead_seal_with(struct crypto_aead *a, const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
			  const void *aad, size_t aadlen, const void *pt, size_t len,
			  uint8_t *ct, uint8_t tag[CRYPTO_AEAD_TAG_LEN]);
/* CRYPTO_OK, CRYPTO_EBADTAG (pt cleansed) or CRYPTO_EFAIL. */
int crypto_aead_open_with(struct crypto_aead *a, const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
			  const void *aad, size_t aadlen, const void *ct, size_t len,
			  const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint8_t *pt);

enum crypto_key_kind { CRYPTO_KEY_ED25519, CRYPTO_KEY_X25519 };

/* Write a private key (PKCS#8 PEM, mode 0600) or a public key (SPKI PEM, mode 0644)
 * atomically: temporary file, fsync, rename, fsync of the directory. */
int crypto_key_save_private(const char *path, enum crypto_key_kind kind,
			    const uint8_t priv[32]);
int crypto_key_save_public(const char *path, enum crypto_key_kind kind,
			   const uint8_t pub[32]);
/* Read them back; a private key file with any group/other permission bit gives
 * CRYPTO_EPERM, a key of another kind CRYPTO_EFORMAT. */
int crypto_key_load_private(const char *path, enum crypto_key_kind kind, uint8_t priv[32]);
int crypto_key_load_public(const char *path, enum crypto_key_kind kind, uint8_t pub[32]);

/* Raw symmetric key files (link keys, token keys): exactly len bytes, mode 0600. */
int crypto_secret_save(const char *path, const void *key, size_t len);
int crypto_secret_load(const char *path, void *key, size_t len);

#endif
