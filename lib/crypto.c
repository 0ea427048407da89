/*
 * crypto.c — Sekisho's primitives over OpenSSL 3 EVP.
 *
 * What this file keeps true:
 *  - Private key material that passes through a buffer of ours (a seed, a PEM
 *    text, a raw secret) is cleansed before the buffer is released, on every
 *    path, including failures.
 *  - A private key or secret is parsed only from a regular file that no group or
 *    other permission bit exposes, checked on the open descriptor (fstat), so the
 *    file checked is the file read.
 *  - No key file is read past CRYPTO_KEYFILE_MAX bytes: a key file is small, and
 *    anything bigger is refused before it is parsed.
 *  - Files are replaced atomically: a reader sees the old file or the new one,
 *    never a torn one, and after return the new one survives a crash.
 *  - There is no mutable global state; every call is safe from any thread, except
 *    that one keyed AEAD context (struct crypto_aead) must be used by one thread at
 *    a time.
 *
 * Failures are returned as CRYPTO_E* codes; CRYPTO_EIO leaves errno as the
 * failing system call set it. OpenSSL's per-thread error queue is cleared on the
 * way out of a failure, so that later callers (TLS code) do not see stale errors.
 */
#define _GNU_SOURCE		/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "fsio.h"

/* A PEM Ed25519/X25519 key is about 120 bytes; 16 KiB leaves room for comments
 * and still refuses a file that is plainly not a key before parsing it. */
#define CRYPTO_KEYFILE_MAX	(16 * 1024)
/* Read size when hashing a stream. */
#define CRYPTO_READ_CHUNK	(64 * 1024)
/* OpenSSL's update functions take int lengths; feed them at most this much. */
#define CRYPTO_EVP_CHUNK	(1 << 30)
#define CRYPTO_RAW_KEY_LEN	32

struct crypto_sha256_ctx {
	EVP_MD_CTX *md;
};

const char *
crypto_strerror(int rc)
{
	switch (rc) {
	case CRYPTO_OK:		return "success";
	case CRYPTO_EFAIL:	return "cryptographic library failure";
	case CRYPTO_EBADSIG:	return "signature does not verify";
	case CRYPTO_EBADTAG:	return "authentication tag does not verify";
	case CRYPTO_EIO:	return "key file missing or unreadable";
	case CRYPTO_EPERM:	return "private key file readable by group or others";
	case CRYPTO_EFORMAT:	return "key file of the wrong kind or size";
	default:		return "unknown crypto error";
	}
}

/* The void-returning primitives (hash, HMAC) have no way to report failure, and
 * a wrong digest silently handed on is worse than a crash: OpenSSL only fails
 * there when memory is exhausted or the library is broken. */
static void
crypto_fatal(void)
{
	abort();
}

static int
fail(int rc)
{
	ERR_clear_error();
	return rc;
}

int
crypto_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		size_t n = len > CRYPTO_EVP_CHUNK ? CRYPTO_EVP_CHUNK : len;

		if (RAND_bytes(p, (int)n) != 1)
			return fail(CRYPTO_EFAIL);
		p += n;
		len -= n;
	}
	return CRYPTO_OK;
}

int
crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
crypto_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
crypto_unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;

	/* Walk the string rather than strlen() it, so a short string is caught at its
	 * NUL and a long one at position 2*len, without reading past either. */
	for (i = 0; i < len; i++) {
		int hi, lo;

		if ((hi = hexval(hex[2 * i])) < 0 || (lo = hexval(hex[2 * i + 1])) < 0)
			return CRYPTO_EFORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[2 * len] != '\0')
		return CRYPTO_EFORMAT;
	return CRYPTO_OK;
}

void
crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty[1];

	if (EVP_Digest(len ? data : empty, len, out, NULL, EVP_sha256(), NULL) != 1)
		crypto_fatal();
}

struct crypto_sha256_ctx *
crypto_sha256_begin(void)
{
	struct crypto_sha256_ctx *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->md);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	return c;
}

int
crypto_sha256_update(struct crypto_sha256_ctx *c, const void *data, size_t len)
{
	if (c == NULL)
		return CRYPTO_EFAIL;
	if (len == 0)
		return CRYPTO_OK;
	if (EVP_DigestUpdate(c->md, data, len) != 1)
		return fail(CRYPTO_EFAIL);
	return CRYPTO_OK;
}

int
crypto_sha256_end(struct crypto_sha256_ctx *c, uint8_t out[CRYPTO_SHA256_LEN])
{
	int rc = CRYPTO_OK;

	if (c == NULL)
		return CRYPTO_EFAIL;
	if (EVP_DigestFinal_ex(c->md, out, NULL) != 1)
		rc = fail(CRYPTO_EFAIL);
	EVP_MD_CTX_free(c->md);
	free(c);
	return rc;
}

int
crypto_sha256_fd(int fd, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256_ctx *c;
	unsigned char *buf;
	int rc = CRYPTO_OK, saved;
	ssize_t n;

	/* Heap, not stack: daemons run worker threads with small stacks. */
	if ((buf = malloc(CRYPTO_READ_CHUNK)) == NULL)
		return CRYPTO_EFAIL;
	if ((c = crypto_sha256_begin()) == NULL) {
		free(buf);
		return CRYPTO_EFAIL;
	}
	for (;;) {
		n = read(fd, buf, CRYPTO_READ_CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = CRYPTO_EIO;
			break;
		}
		if ((rc = crypto_sha256_update(c, buf, (size_t)n)) != CRYPTO_OK)
			break;
	}
	saved = errno;
	if (rc == CRYPTO_OK)
		rc = crypto_sha256_end(c, out);
	else
		(void)crypto_sha256_end(c, out);
	free(buf);
	errno = saved;
	return rc;
}

int
crypto_sha256_file(const char *path, uint8_t out[CRYPTO_SHA256_LEN])
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return CRYPTO_EIO;
	rc = crypto_sha256_fd(fd, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
		   uint8_t out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty[1];
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0;
	int ok = 0;

	/* HMAC allows an empty key and an empty message; OpenSSL wants non-NULL
	 * pointers for both, and a NULL key would mean "keep the previous key". */
	if (keylen == 0)
		key = empty;
	if ((mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1)
		goto out;
	if (len > 0 && EVP_MAC_update(ctx, msg, len) != 1)
		goto out;
	if (EVP_MAC_final(ctx, out, &outlen, CRYPTO_SHA256_LEN) != 1 ||
	    outlen != CRYPTO_SHA256_LEN)
		goto out;
	ok = 1;
out:
	/* EVP_MAC_CTX_free cleanses the keyed state. */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok)
		crypto_fatal();
}

/* --- Ed25519 and X25519 --------------------------------------------------- */

/* OpenSSL's key type for a kind; NID_undef (0) for a value outside the enum,
 * which then fails key construction and kind comparison alike. */
static int
kind_type(enum crypto_key_kind kind)
{
	switch (kind) {
	case CRYPTO_KEY_ED25519:	return EVP_PKEY_ED25519;
	case CRYPTO_KEY_X25519:		return EVP_PKEY_X25519;
	default:			return NID_undef;
	}
}

/* Make a private key object from a 32-byte seed; OpenSSL keeps its own copy. */
static EVP_PKEY *
pkey_from_private(enum crypto_key_kind kind, const uint8_t priv[CRYPTO_RAW_KEY_LEN])
{
	return EVP_PKEY_new_raw_private_key(kind_type(kind), NULL, priv,
	    CRYPTO_RAW_KEY_LEN);
}

static int
raw_public(EVP_PKEY *pkey, uint8_t pub[CRYPTO_RAW_KEY_LEN])
{
	size_t n = CRYPTO_RAW_KEY_LEN;

	if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 || n != CRYPTO_RAW_KEY_LEN)
		return CRYPTO_EFAIL;
	return CRYPTO_OK;
}

static int
raw_private(EVP_PKEY *pkey, uint8_t priv[CRYPTO_RAW_KEY_LEN])
{
	size_t n = CRYPTO_RAW_KEY_LEN;

	if (EVP_PKEY_get_raw_private_key(pkey, priv, &n) != 1 ||
	    n != CRYPTO_RAW_KEY_LEN) {
		OPENSSL_cleanse(priv, CRYPTO_RAW_KEY_LEN);
		return CRYPTO_EFAIL;
	}
	return CRYPTO_OK;
}

/* A key pair is a random seed and the public key OpenSSL derives from it (for
 * X25519 OpenSSL clamps the scalar itself, so any 32 random bytes will do). */
static int
keygen(enum crypto_key_kind kind, uint8_t pub[CRYPTO_RAW_KEY_LEN],
       uint8_t priv[CRYPTO_RAW_KEY_LEN])
{
	EVP_PKEY *pkey;
	int rc;

	if ((rc = crypto_random(priv, CRYPTO_RAW_KEY_LEN)) != CRYPTO_OK)
		goto err;
	if ((pkey = pkey_from_private(kind, priv)) == NULL) {
		rc = CRYPTO_EFAIL;
		goto err;
	}
	rc = raw_public(pkey, pub);
	EVP_PKEY_free(pkey);
	if (rc == CRYPTO_OK)
		return CRYPTO_OK;
err:
	OPENSSL_cleanse(priv, CRYPTO_RAW_KEY_LEN);
	return fail(rc);
}

int
crypto_ed25519_keygen(uint8_t pub[CRYPTO_ED25519_LEN], uint8_t priv[CRYPTO_ED25519_LEN])
{
	return keygen(CRYPTO_KEY_ED25519, pub, priv);
}

int
crypto_x25519_keygen(uint8_t pub[CRYPTO_X25519_LEN], uint8_t priv[CRYPTO_X25519_LEN])
{
	return keygen(CRYPTO_KEY_X25519, pub, priv);
}

int
crypto_ed25519_public(const uint8_t priv[CRYPTO_ED25519_LEN], uint8_t pub[CRYPTO_ED25519_LEN])
{
	EVP_PKEY *pkey = pkey_from_private(CRYPTO_KEY_ED25519, priv);
	size_t len = CRYPTO_ED25519_LEN;
	int ok;

	if (pkey == NULL)
		return fail(CRYPTO_EFAIL);
	ok = EVP_PKEY_get_raw_public_key(pkey, pub, &len) == 1 && len == CRYPTO_ED25519_LEN;
	EVP_PKEY_free(pkey);
	return ok ? CRYPTO_OK : fail(CRYPTO_EFAIL);
}

int
crypto_ed25519_sign(const uint8_t priv[CRYPTO_ED25519_LEN], const void *msg, size_t len,
		    uint8_t sig[CRYPTO_SIG_LEN])
{
	static const unsigned char empty[1];
	EVP_PKEY *pkey;
	EVP_MD_CTX *md = NULL;
	size_t siglen = CRYPTO_SIG_LEN;
	int rc = CRYPTO_EFAIL;

	if ((pkey = pkey_from_private(CRYPTO_KEY_ED25519, priv)) == NULL)
		return fail(CRYPTO_EFAIL);
	/* Ed25519 is a one-shot scheme: no digest is named, the whole message is
	 * signed at once (PureEdDSA, RFC 8032). */
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, len ? msg : empty, len) == 1 &&
	    siglen == CRYPTO_SIG_LEN)
		rc = CRYPTO_OK;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);	/* cleanses the private key it holds */
	return rc == CRYPTO_OK ? rc : fail(rc);
}

int
crypto_ed25519_verify(const uint8_t pub[CRYPTO_ED25519_LEN], const void *msg, size_t len,
		      const uint8_t sig[CRYPTO_SIG_LEN])
{
	static const unsigned char empty[1];
	EVP_PKEY *pkey;
	EVP_MD_CTX *md;
	int rc;

	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    CRYPTO_ED25519_LEN)) == NULL)
		return fail(CRYPTO_EBADSIG);	/* not a point: nothing can verify */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
		rc = CRYPTO_EFAIL;
		goto out;
	}
	/* Anything but 1 means "not shown valid": a malformed signature or public
	 * key must be refused the same way as a wrong one. */
	rc = EVP_DigestVerify(md, sig, CRYPTO_SIG_LEN, len ? msg : empty, len) == 1 ?
	    CRYPTO_OK : CRYPTO_EBADSIG;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return rc == CRYPTO_OK ? rc : fail(rc);
}

/* --- AES-256-GCM ---------------------------------------------------------- */

/* Feed len bytes through EVP_CipherUpdate in int-sized pieces. With out NULL the
 * bytes are additional authenticated data. */
static int
cipher_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
{
	while (len > 0) {
		int n = len > CRYPTO_EVP_CHUNK ? CRYPTO_EVP_CHUNK : (int)len, outl;

		if (EVP_CipherUpdate(ctx, out, &outl, in, n) != 1)
			return -1;
		/* GCM is a stream mode: it never holds bytes back. */
		if (out != NULL && outl != n)
			return -1;
		if (out != NULL)
			out += n;
		in += n;
		len -= (size_t)n;
	}
	return 0;
}

static EVP_CIPHER_CTX *
gcm_init(int enc, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
	 const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], const void *aad, size_t aadlen)
{
	EVP_CIPHER_CTX *ctx;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_AEAD_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    cipher_update(ctx, NULL, aad, aadlen) != 0) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		 const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
		 const void *aad, size_t aadlen, const void *pt, size_t len,
		 uint8_t *ct, uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	uint8_t fin[16];
	int outl, rc = CRYPTO_EFAIL;

	if ((ctx = gcm_init(1, key, nonce, aad, aadlen)) == NULL)
		return fail(CRYPTO_EFAIL);
	if (cipher_update(ctx, ct, pt, len) == 0 &&
	    EVP_EncryptFinal_ex(ctx, fin, &outl) == 1 && outl == 0 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_AEAD_TAG_LEN,
	    tag) == 1)
		rc = CRYPTO_OK;
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	return rc == CRYPTO_OK ? rc : fail(rc);
}

int
crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		 const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
		 const void *aad, size_t aadlen, const void *ct, size_t len,
		 const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t fin[16];
	int outl, rc = CRYPTO_EFAIL;

	if ((ctx = gcm_init(0, key, nonce, aad, aadlen)) == NULL)
		return fail(CRYPTO_EFAIL);
	if (cipher_update(ctx, pt, ct, len) != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_AEAD_TAG_LEN,
	    (void *)tag) != 1)
		rc = CRYPTO_EFAIL;
	else if (EVP_DecryptFinal_ex(ctx, fin, &outl) == 1 && outl == 0)
		rc = CRYPTO_OK;
	else
		rc = CRYPTO_EBADTAG;
	EVP_CIPHER_CTX_free(ctx);
	if (rc != CRYPTO_OK) {
		/* Never hand back plaintext that was not authenticated. */
		if (len > 0)
			OPENSSL_cleanse(pt, len);
		return fail(rc);
	}
	return CRYPTO_OK;
}

/* --- keyed AES-256-GCM context -------------------------------------------- */

/*
 * One cipher context per direction, keyed once. OpenSSL 3 keeps the key schedule
 * across EVP_CipherInit_ex calls that pass only an IV, which resets the GHASH state
 * and the counter block: a message then costs no allocation, no algorithm fetch and
 * no key expansion. The fetched cipher is held for the life of the context.
 */
struct crypto_aead {
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *enc, *dec;
};

static EVP_CIPHER_CTX *
aead_keyed_ctx(const EVP_CIPHER *cipher, const uint8_t key[CRYPTO_AEAD_KEY_LEN], int enc)
{
	EVP_CIPHER_CTX *ctx;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_AEAD_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct crypto_aead *
crypto_aead_new(const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	struct crypto_aead *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL ||
	    (a->enc = aead_keyed_ctx(a->cipher, key, 1)) == NULL ||
	    (a->dec = aead_keyed_ctx(a->cipher, key, 0)) == NULL) {
		crypto_aead_free(a);
		ERR_clear_error();
		return NULL;
	}
	return a;
}

void
crypto_aead_free(struct crypto_aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->enc);	/* cleanses the key schedule */
	EVP_CIPHER_CTX_free(a->dec);
	EVP_CIPHER_free(a->cipher);
	free(a);
}

int
crypto_aead_seal_with(struct crypto_aead *a, const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
		      const void *aad, size_t aadlen, const void *pt, size_t len,
		      uint8_t *ct, uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	uint8_t fin[16];
	int outl;

	if (a == NULL)
		return CRYPTO_EFAIL;
	if (EVP_CipherInit_ex(a->enc, NULL, NULL, NULL, nonce, 1) != 1 ||
	    cipher_update(a->enc, NULL, aad, aadlen) != 0 ||
	    cipher_update(a->enc, ct, pt, len) != 0 ||
	    EVP_EncryptFinal_ex(a->enc, fin, &outl) != 1 || outl != 0 ||
	    EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_GCM_GET_TAG, CRYPTO_AEAD_TAG_LEN,
	    tag) != 1)
		return fail(CRYPTO_EFAIL);
	return CRYPTO_OK;
}

int
crypto_aead_open_with(struct crypto_aead *a, const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
		      const void *aad, size_t aadlen, const void *ct, size_t len,
		      const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint8_t *pt)
{
	uint8_t fin[16];
	int outl, rc;

	if (a == NULL)
		return CRYPTO_EFAIL;
	if (EVP_CipherInit_ex(a->dec, NULL, NULL, NULL, nonce, 0) != 1 ||
	    cipher_update(a->dec, NULL, aad, aadlen) != 0 ||
	    cipher_update(a->dec, pt, ct, len) != 0 ||
	    EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_GCM_SET_TAG, CRYPTO_AEAD_TAG_LEN,
	    (void *)tag) != 1)
		rc = CRYPTO_EFAIL;
	else if (EVP_DecryptFinal_ex(a->dec, fin, &outl) == 1 && outl == 0)
		return CRYPTO_OK;
	else
		rc = CRYPTO_EBADTAG;
	/* Never hand back plaintext that was not authenticated. */
	if (len > 0)
		OPENSSL_cleanse(pt, len);
	return fail(rc);
}

/* --- files ---------------------------------------------------------------- */

/* Read up to max bytes; *got is how many. Returns 1 if the file holds more than
 * max bytes, 0 if all of it was read, -1 with errno on error. */
static int
read_bounded(int fd, void *buf, size_t max, size_t *got)
{
	unsigned char *p = buf, extra;
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (off == max)
			n = read(fd, &extra, 1);
		else
			n = read(fd, p + off, max - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (off == max) {
			*got = off;
			return 1;
		}
		off += (size_t)n;
	}
	*got = off;
	return 0;
}


/* Open a key file and check it before reading a byte of it. */
static int
open_key(const char *path, int private, struct stat *st)
{
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return CRYPTO_EIO;
	if (fstat(fd, st) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return CRYPTO_EIO;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return CRYPTO_EFORMAT;
	}
	if (private && (st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return CRYPTO_EPERM;
	}
	return fd;
}

/* Read a whole PEM key file (bounded) into a secure-cleansed buffer. */
static int
read_key_file(const char *path, int private, unsigned char *buf, size_t *len)
{
	struct stat st;
	int fd, r, saved;

	if ((fd = open_key(path, private, &st)) < 0)
		return fd;
	if (st.st_size > CRYPTO_KEYFILE_MAX) {
		close(fd);
		return CRYPTO_EFORMAT;
	}
	r = read_bounded(fd, buf, CRYPTO_KEYFILE_MAX, len);
	saved = errno;
	close(fd);
	errno = saved;
	if (r < 0)
		return CRYPTO_EIO;
	if (r > 0)
		return CRYPTO_EFORMAT;	/* grew past the bound while we read */
	return CRYPTO_OK;
}

/* Never let OpenSSL prompt on a terminal for a passphrase: Sekisho's keys are
 * not encrypted, and an encrypted one is simply the wrong format. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
pem_to_file(const char *path, BIO *bio, mode_t mode)
{
	BUF_MEM *mem = NULL;
	int rc;

	if (BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL)
		return CRYPTO_EFAIL;
	rc = fsio_write_atomic(path, mem->data, mem->length, mode);
	return rc == 0 ? CRYPTO_OK : CRYPTO_EIO;
}

int
crypto_key_save_private(const char *path, enum crypto_key_kind kind,
			const uint8_t priv[32])
{
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	int rc = CRYPTO_EFAIL;

	if ((pkey = pkey_from_private(kind, priv)) == NULL)
		return fail(CRYPTO_EFAIL);
	/* A secure-memory BIO cleanses its buffer when it grows and when freed, so
	 * the PEM text of the key does not linger on the heap. */
	if ((bio = BIO_new(BIO_s_secmem())) != NULL &&
	    PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1)
		rc = pem_to_file(path, bio, 0600);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc == CRYPTO_OK ? rc : fail(rc);
}

int
crypto_key_save_public(const char *path, enum crypto_key_kind kind,
		       const uint8_t pub[32])
{
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	int rc = CRYPTO_EFAIL;

	if ((pkey = EVP_PKEY_new_raw_public_key(kind_type(kind), NULL, pub,
	    CRYPTO_RAW_KEY_LEN)) == NULL)
		return fail(CRYPTO_EFAIL);
	if ((bio = BIO_new(BIO_s_mem())) != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1)
		rc = pem_to_file(path, bio, 0644);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc == CRYPTO_OK ? rc : fail(rc);
}

/* Parse a PEM key of the given kind from a file: private (PKCS#8) or public
 * (SPKI). On success *out is the key. */
static int
load_pkey(const char *path, enum crypto_key_kind kind, int private, EVP_PKEY **out)
{
	unsigned char *buf;
	size_t len = 0;
	EVP_PKEY *pkey = NULL;
	BIO *bio;
	int rc, saved;

	*out = NULL;
	if (kind_type(kind) == NID_undef)
		return CRYPTO_EFORMAT;
	if ((buf = OPENSSL_secure_malloc(CRYPTO_KEYFILE_MAX)) == NULL)
		return CRYPTO_EFAIL;
	if ((rc = read_key_file(path, private, buf, &len)) != CRYPTO_OK)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = CRYPTO_EFAIL;
		goto out;
	}
	if (private)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL || EVP_PKEY_get_id(pkey) != kind_type(kind)) {
		EVP_PKEY_free(pkey);
		rc = CRYPTO_EFORMAT;
		goto out;
	}
	*out = pkey;
	rc = CRYPTO_OK;
out:
	saved = errno;
	OPENSSL_secure_clear_free(buf, CRYPTO_KEYFILE_MAX);
	errno = saved;
	return rc == CRYPTO_OK ? rc : fail(rc);
}

int
crypto_key_load_private(const char *path, enum crypto_key_kind kind, uint8_t priv[32])
{
	EVP_PKEY *pkey;
	int rc;

	if ((rc = load_pkey(path, kind, 1, &pkey)) != CRYPTO_OK)
		return rc;
	rc = raw_private(pkey, priv);
	EVP_PKEY_free(pkey);
	return rc == CRYPTO_OK ? rc : fail(rc);
}

int
crypto_key_load_public(const char *path, enum crypto_key_kind kind, uint8_t pub[32])
{
	EVP_PKEY *pkey;
	int rc;

	if ((rc = load_pkey(path, kind, 0, &pkey)) != CRYPTO_OK)
		return rc;
	rc = raw_public(pkey, pub);
	EVP_PKEY_free(pkey);
	return rc == CRYPTO_OK ? rc : fail(rc);
}

int
crypto_secret_save(const char *path, const void *key, size_t len)
{
	return fsio_write_atomic(path, key, len, 0600) == 0 ? CRYPTO_OK : CRYPTO_EIO;
}

int
crypto_secret_load(const char *path, void *key, size_t len)
{
	struct stat st;
	size_t got = 0;
	int fd, r, saved;

	if ((fd = open_key(path, 1, &st)) < 0)
		return fd;
	/* Exactly len bytes: a truncated or padded key file is not this key. */
	if (st.st_size < 0 || (uintmax_t)st.st_size != (uintmax_t)len) {
		close(fd);
		return CRYPTO_EFORMAT;
	}
	r = read_bounded(fd, key, len, &got);
	saved = errno;
	close(fd);
	if (r != 0 || got != len) {
		OPENSSL_cleanse(key, len);
		errno = saved;
		return r < 0 ? CRYPTO_EIO : CRYPTO_EFORMAT;
	}
	return CRYPTO_OK;
}
