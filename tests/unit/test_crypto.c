/*
 * test_crypto.c — lib/crypto.c against published vectors and its file rules.
 *
 * Known-answer tests pin the primitives to their standards (FIPS 180-2, RFC 4231,
 * RFC 8032, the GCM specification's test cases), so a wrong build of OpenSSL or a
 * wrong call into it cannot pass. The key-file tests each build the smallest file
 * that shows one rule: permissions, kind, size, atomic replacement.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "testutil.h"

struct fixture {
	char dir[64];
};

static void
unhex_or_fail(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(crypto_unhex(hex, out, len), CRYPTO_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_crypto.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
path_in(const struct fixture *f, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < outlen);
}

static void
write_raw(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* --- hex, comparison, random ------------------------------------------------ */

static void
test_hex_round_trip(void **state)
{
	const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff };
	uint8_t back[4];
	char hex[9];

	(void)state;
	crypto_hex(in, sizeof(in), hex);
	assert_string_equal(hex, "0001abff");
	assert_int_equal(crypto_unhex("0001ABff", back, sizeof(back)), CRYPTO_OK);
	assert_memory_equal(in, back, sizeof(in));
}

static void
test_unhex_rejects_wrong_length_and_non_hex(void **state)
{
	uint8_t out[2];

	(void)state;
	assert_int_equal(crypto_unhex("abc", out, 2), CRYPTO_EFORMAT);
	assert_int_equal(crypto_unhex("abcdef", out, 2), CRYPTO_EFORMAT);
	assert_int_equal(crypto_unhex("abcg", out, 2), CRYPTO_EFORMAT);
	assert_int_equal(crypto_unhex(" abc", out, 2), CRYPTO_EFORMAT);
	assert_int_equal(crypto_unhex("", out, 0), CRYPTO_OK);
	assert_int_equal(crypto_unhex("0", out, 0), CRYPTO_EFORMAT);
}

static void
test_memeq(void **state)
{
	(void)state;
	assert_int_equal(crypto_memeq("abcd", "abcd", 4), 1);
	assert_int_equal(crypto_memeq("abcd", "abce", 4), 0);
	assert_int_equal(crypto_memeq("a", "b", 0), 1);
}

static void
test_random_fills_and_differs(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), CRYPTO_OK);
	assert_int_equal(crypto_random(b, sizeof(b)), CRYPTO_OK);
	assert_false(crypto_memeq(a, b, sizeof(a)));
	assert_int_equal(crypto_random(a, 0), CRYPTO_OK);
}

static void
test_strerror_names_every_code(void **state)
{
	int rc;

	(void)state;
	for (rc = CRYPTO_EFORMAT; rc <= CRYPTO_OK; rc++)
		assert_string_not_equal(crypto_strerror(rc), "unknown crypto error");
	assert_string_equal(crypto_strerror(-99), "unknown crypto error");
}

/* --- SHA-256 and HMAC --------------------------------------------------------- */

static void
test_sha256_of_abc(void **state)
{
	uint8_t d[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];

	(void)state;
	crypto_sha256("abc", 3, d);
	crypto_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256(NULL, 0, d);
	crypto_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_sha256_streamed_equals_one_shot(void **state)
{
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct crypto_sha256_ctx *c;
	uint8_t a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
	size_t i;

	(void)state;
	crypto_sha256(msg, strlen(msg), a);
	assert_non_null(c = crypto_sha256_begin());
	for (i = 0; i < strlen(msg); i++)
		assert_int_equal(crypto_sha256_update(c, msg + i, 1), CRYPTO_OK);
	assert_int_equal(crypto_sha256_update(c, NULL, 0), CRYPTO_OK);
	assert_int_equal(crypto_sha256_end(c, b), CRYPTO_OK);
	assert_memory_equal(a, b, sizeof(a));
}

static void
test_sha256_file_matches_content(void **state)
{
	struct fixture *f = *state;
	char path[128];
	uint8_t a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
	size_t len = 200000, i;
	uint8_t *data = malloc(len);

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7);
	path_in(f, "blob", path, sizeof(path));
	write_raw(path, data, len, 0600);
	crypto_sha256(data, len, a);
	assert_int_equal(crypto_sha256_file(path, b), CRYPTO_OK);
	assert_memory_equal(a, b, sizeof(a));
	free(data);

	path_in(f, "absent", path, sizeof(path));
	assert_int_equal(crypto_sha256_file(path, b), CRYPTO_EIO);
	assert_int_equal(errno, ENOENT);
}

static void
test_hmac_sha256_rfc4231(void **state)
{
	uint8_t key[20], mac[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];

	(void)state;
	/* Test case 1 */
	memset(key, 0x0b, sizeof(key));
	crypto_hmac_sha256(key, sizeof(key), "Hi There", 8, mac);
	unhex_or_fail("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    want, sizeof(want));
	assert_memory_equal(mac, want, sizeof(want));
	/* Test case 2 */
	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	unhex_or_fail("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    want, sizeof(want));
	assert_memory_equal(mac, want, sizeof(want));
}

static void
test_hmac_sha256_empty_key_and_message(void **state)
{
	uint8_t mac[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];

	(void)state;
	crypto_hmac_sha256(NULL, 0, NULL, 0, mac);
	unhex_or_fail("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
	    want, sizeof(want));
	assert_memory_equal(mac, want, sizeof(want));
}

/* --- Ed25519 and X25519 ------------------------------------------------------- */

#define RFC8032_T1_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_T1_PUB  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC8032_T1_SIG  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" \
			"5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static void
test_ed25519_rfc8032_vector_1(void **state)
{
	struct fixture *f = *state;
	uint8_t seed[32], pub[32], want_pub[32], sig[64], want_sig[64];
	char path[128];

	unhex_or_fail(RFC8032_T1_SEED, seed, sizeof(seed));
	unhex_or_fail(RFC8032_T1_PUB, want_pub, sizeof(want_pub));
	unhex_or_fail(RFC8032_T1_SIG, want_sig, sizeof(want_sig));

	assert_int_equal(crypto_ed25519_sign(seed, "", 0, sig), CRYPTO_OK);
	assert_memory_equal(sig, want_sig, sizeof(sig));
	assert_int_equal(crypto_ed25519_verify(want_pub, "", 0, want_sig), CRYPTO_OK);

	/* seed -> public: write the private key and read the public half back via
	 * the PEM the auditor's openssl would see. */
	path_in(f, "t1.key", path, sizeof(path));
	assert_int_equal(crypto_key_save_private(path, CRYPTO_KEY_ED25519, seed), CRYPTO_OK);
	{
		FILE *fp = fopen(path, "r");
		EVP_PKEY *pk;
		size_t n = sizeof(pub);

		assert_non_null(fp);
		assert_non_null(pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL));
		fclose(fp);
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, pub, &n), 1);
		EVP_PKEY_free(pk);
	}
	assert_memory_equal(pub, want_pub, sizeof(pub));

	memset(pub, 0, sizeof(pub));
	assert_int_equal(crypto_ed25519_public(seed, pub), CRYPTO_OK);
	assert_memory_equal(pub, want_pub, sizeof(pub));
}

static void
test_ed25519_sign_verify_round_trip(void **state)
{
	uint8_t pub[32], priv[32], sig[64];
	const char *msg = "attestation: sha256 in/out";

	(void)state;
	assert_int_equal(crypto_ed25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_ed25519_sign(priv, msg, strlen(msg), sig), CRYPTO_OK);
	assert_int_equal(crypto_ed25519_verify(pub, msg, strlen(msg), sig), CRYPTO_OK);
}

static void
test_ed25519_verify_rejects_flipped_bit(void **state)
{
	uint8_t pub[32], priv[32], sig[64], bad[64];
	char msg[] = "bundle 42";
	size_t i;

	(void)state;
	assert_int_equal(crypto_ed25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_ed25519_sign(priv, msg, strlen(msg), sig), CRYPTO_OK);
	/* Every bit of the signature matters. */
	for (i = 0; i < sizeof(sig) * 8; i++) {
		memcpy(bad, sig, sizeof(sig));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(crypto_ed25519_verify(pub, msg, strlen(msg), bad),
		    CRYPTO_EBADSIG);
	}
	/* And of the message. */
	msg[0] ^= 1;
	assert_int_equal(crypto_ed25519_verify(pub, msg, strlen(msg), sig), CRYPTO_EBADSIG);
}

static void
test_ed25519_verify_rejects_other_key(void **state)
{
	uint8_t pub[32], priv[32], pub2[32], priv2[32], sig[64];

	(void)state;
	assert_int_equal(crypto_ed25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_ed25519_keygen(pub2, priv2), CRYPTO_OK);
	assert_int_equal(crypto_ed25519_sign(priv, "m", 1, sig), CRYPTO_OK);
	assert_int_equal(crypto_ed25519_verify(pub2, "m", 1, sig), CRYPTO_EBADSIG);
	memset(pub2, 0xff, sizeof(pub2));	/* not a point on the curve */
	assert_int_equal(crypto_ed25519_verify(pub2, "m", 1, sig), CRYPTO_EBADSIG);
}

static void
test_x25519_keygen_public_matches_private(void **state)
{
	uint8_t pub[32], priv[32], derived[32];
	EVP_PKEY *pk;
	size_t n = sizeof(derived);

	(void)state;
	assert_int_equal(crypto_x25519_keygen(pub, priv), CRYPTO_OK);
	assert_non_null(pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32));
	assert_int_equal(EVP_PKEY_get_raw_public_key(pk, derived, &n), 1);
	EVP_PKEY_free(pk);
	assert_memory_equal(pub, derived, sizeof(pub));
}

/* --- AES-256-GCM -------------------------------------------------------------- */

/* The GCM specification (McGrew and Viega), test case 16: 256-bit key, 96-bit
 * IV, 60-byte plaintext, 20 bytes of AAD. */
#define GCM16_KEY "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define GCM16_IV  "cafebabefacedbaddecaf888"
#define GCM16_PT  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d" \
		  "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM16_AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM16_CT  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd" \
		  "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
#define GCM16_TAG "76fc6ece0f4e1768cddf8853bb2d551b"

struct gcm_vec {
	uint8_t key[32], iv[12], pt[60], aad[20], ct[60], tag[16];
};

static void
gcm16(struct gcm_vec *v)
{
	unhex_or_fail(GCM16_KEY, v->key, sizeof(v->key));
	unhex_or_fail(GCM16_IV, v->iv, sizeof(v->iv));
	unhex_or_fail(GCM16_PT, v->pt, sizeof(v->pt));
	unhex_or_fail(GCM16_AAD, v->aad, sizeof(v->aad));
	unhex_or_fail(GCM16_CT, v->ct, sizeof(v->ct));
	unhex_or_fail(GCM16_TAG, v->tag, sizeof(v->tag));
}

static void
test_aead_gcm_known_answer(void **state)
{
	struct gcm_vec v;
	uint8_t ct[60], tag[16], pt[60];

	(void)state;
	gcm16(&v);
	assert_int_equal(crypto_aead_seal(v.key, v.iv, v.aad, sizeof(v.aad), v.pt,
	    sizeof(v.pt), ct, tag), CRYPTO_OK);
	assert_memory_equal(ct, v.ct, sizeof(ct));
	assert_memory_equal(tag, v.tag, sizeof(tag));
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_OK);
	assert_memory_equal(pt, v.pt, sizeof(pt));
}

static void
test_aead_gcm_zero_key_known_answer(void **state)
{
	/* GCM specification test cases 13 (empty) and 14 (one zero block). */
	uint8_t key[32] = { 0 }, iv[12] = { 0 }, pt[16] = { 0 }, ct[16], tag[16];
	uint8_t want[16];

	(void)state;
	assert_int_equal(crypto_aead_seal(key, iv, NULL, 0, NULL, 0, NULL, tag), CRYPTO_OK);
	unhex_or_fail("530f8afbc74536b9a963b4f1c4cb738b", want, 16);
	assert_memory_equal(tag, want, 16);
	assert_int_equal(crypto_aead_seal(key, iv, NULL, 0, pt, 16, ct, tag), CRYPTO_OK);
	unhex_or_fail("cea7403d4d606b6e074ec5d3baf39d18", want, 16);
	assert_memory_equal(ct, want, 16);
	unhex_or_fail("d0d1c8a799996bf0265b98b5d48ab919", want, 16);
	assert_memory_equal(tag, want, 16);
}

static void
test_aead_open_rejects_tampered_aad(void **state)
{
	struct gcm_vec v;
	uint8_t pt[60];

	(void)state;
	gcm16(&v);
	v.aad[0] ^= 0x01;
	memset(pt, 0xaa, sizeof(pt));
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	/* The unauthenticated plaintext is not handed back. */
	{
		uint8_t zero[60] = { 0 };
		assert_memory_equal(pt, zero, sizeof(pt));
	}
}

static void
test_aead_open_rejects_tampered_ciphertext_and_tag(void **state)
{
	struct gcm_vec v;
	uint8_t pt[60];

	(void)state;
	gcm16(&v);
	v.ct[59] ^= 0x80;
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	gcm16(&v);
	v.tag[15] ^= 0x01;
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	gcm16(&v);
	v.iv[0] ^= 0x01;
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	gcm16(&v);
	v.key[31] ^= 0x01;
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
}

static void
test_aead_seal_in_place(void **state)
{
	struct gcm_vec v;
	uint8_t buf[60], tag[16];

	(void)state;
	gcm16(&v);
	memcpy(buf, v.pt, sizeof(buf));
	assert_int_equal(crypto_aead_seal(v.key, v.iv, v.aad, sizeof(v.aad), buf,
	    sizeof(buf), buf, tag), CRYPTO_OK);
	assert_memory_equal(buf, v.ct, sizeof(buf));
	assert_int_equal(crypto_aead_open(v.key, v.iv, v.aad, sizeof(v.aad), buf,
	    sizeof(buf), tag, buf), CRYPTO_OK);
	assert_memory_equal(buf, v.pt, sizeof(buf));
}

/* --- keyed AES-256-GCM context ------------------------------------------------ */

static void
test_aead_context_gives_known_answer_and_opens_it(void **state)
{
	struct gcm_vec v;
	struct crypto_aead *a;
	uint8_t ct[60], tag[16], pt[60];

	(void)state;
	gcm16(&v);
	assert_non_null(a = crypto_aead_new(v.key));
	assert_int_equal(crypto_aead_seal_with(a, v.iv, v.aad, sizeof(v.aad), v.pt,
	    sizeof(v.pt), ct, tag), CRYPTO_OK);
	assert_memory_equal(ct, v.ct, sizeof(ct));
	assert_memory_equal(tag, v.tag, sizeof(tag));
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_OK);
	assert_memory_equal(pt, v.pt, sizeof(pt));
	/* Sealing again with the same inputs on the same context gives the same bytes:
	 * nothing of the previous message is carried over. */
	assert_int_equal(crypto_aead_seal_with(a, v.iv, v.aad, sizeof(v.aad), v.pt,
	    sizeof(v.pt), ct, tag), CRYPTO_OK);
	assert_memory_equal(ct, v.ct, sizeof(ct));
	assert_memory_equal(tag, v.tag, sizeof(tag));
	crypto_aead_free(a);
	crypto_aead_free(NULL);
}

static void
test_aead_context_zero_key_known_answer(void **state)
{
	uint8_t key[32] = { 0 }, iv[12] = { 0 }, pt[16] = { 0 }, ct[16], tag[16];
	uint8_t want[16];
	struct crypto_aead *a;

	(void)state;
	assert_non_null(a = crypto_aead_new(key));
	assert_int_equal(crypto_aead_seal_with(a, iv, NULL, 0, NULL, 0, NULL, tag), CRYPTO_OK);
	unhex_or_fail("530f8afbc74536b9a963b4f1c4cb738b", want, 16);
	assert_memory_equal(tag, want, 16);
	assert_int_equal(crypto_aead_open_with(a, iv, NULL, 0, NULL, 0, tag, NULL), CRYPTO_OK);
	assert_int_equal(crypto_aead_seal_with(a, iv, NULL, 0, pt, 16, ct, tag), CRYPTO_OK);
	unhex_or_fail("cea7403d4d606b6e074ec5d3baf39d18", want, 16);
	assert_memory_equal(ct, want, 16);
	unhex_or_fail("d0d1c8a799996bf0265b98b5d48ab919", want, 16);
	assert_memory_equal(tag, want, 16);
	crypto_aead_free(a);
}

static void
test_aead_context_rejects_tampering_then_still_opens(void **state)
{
	static const uint8_t zero[60];
	struct gcm_vec v;
	struct crypto_aead *a;
	uint8_t pt[60];

	(void)state;
	gcm16(&v);
	assert_non_null(a = crypto_aead_new(v.key));
	v.aad[0] ^= 0x01;
	memset(pt, 0xaa, sizeof(pt));
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	assert_memory_equal(pt, zero, sizeof(pt));	/* nothing unauthenticated */
	gcm16(&v);
	v.ct[59] ^= 0x80;
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	gcm16(&v);
	v.tag[15] ^= 0x01;
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	gcm16(&v);
	v.iv[0] ^= 0x01;
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	/* A failure leaves the context usable for the next, authentic message. */
	gcm16(&v);
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_OK);
	assert_memory_equal(pt, v.pt, sizeof(pt));
	crypto_aead_free(a);
}

static void
test_aead_context_under_other_key_fails(void **state)
{
	struct gcm_vec v;
	struct crypto_aead *a;
	uint8_t pt[60];

	(void)state;
	gcm16(&v);
	v.key[31] ^= 0x01;
	assert_non_null(a = crypto_aead_new(v.key));
	gcm16(&v);
	assert_int_equal(crypto_aead_open_with(a, v.iv, v.aad, sizeof(v.aad), v.ct,
	    sizeof(v.ct), v.tag, pt), CRYPTO_EBADTAG);
	crypto_aead_free(a);
}

static void
test_aead_context_matches_one_shot_over_many_nonces(void **state)
{
	uint8_t key[32], nonce[12], aad[64], pt[1392], ct1[1392], ct2[1392], back[1392];
	uint8_t tag1[16], tag2[16];
	struct crypto_aead *a;
	unsigned i;

	(void)state;
	assert_int_equal(crypto_random(key, sizeof(key)), CRYPTO_OK);
	assert_int_equal(crypto_random(aad, sizeof(aad)), CRYPTO_OK);
	assert_non_null(a = crypto_aead_new(key));
	memset(nonce, 0, sizeof(nonce));
	for (i = 0; i < 500; i++) {
		size_t len = (i * 37) % sizeof(pt), alen = i % sizeof(aad);

		nonce[4] = (uint8_t)(i >> 8);
		nonce[11] = (uint8_t)i;
		memset(pt, (int)i, len);
		assert_int_equal(crypto_aead_seal_with(a, nonce, aad, alen, pt, len, ct1,
		    tag1), CRYPTO_OK);
		assert_int_equal(crypto_aead_seal(key, nonce, aad, alen, pt, len, ct2, tag2),
		    CRYPTO_OK);
		assert_memory_equal(ct1, ct2, len);
		assert_memory_equal(tag1, tag2, sizeof(tag1));
		assert_int_equal(crypto_aead_open_with(a, nonce, aad, alen, ct1, len, tag1,
		    back), CRYPTO_OK);
		assert_memory_equal(back, pt, len);
		/* Opened in place too, as one-shot open would. */
		assert_int_equal(crypto_aead_open(key, nonce, aad, alen, ct2, len, tag2, ct2),
		    CRYPTO_OK);
		assert_memory_equal(ct2, pt, len);
	}
	crypto_aead_free(a);
}

/* --- key files ---------------------------------------------------------------- */

static void
test_private_key_round_trip_is_pkcs8_0600(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[32], priv[32], back[32], pback[32];
	char path[128], ppath[128], text[512];
	FILE *fp;
	size_t n;

	path_in(f, "sign.key", path, sizeof(path));
	path_in(f, "sign.pub", ppath, sizeof(ppath));
	assert_int_equal(crypto_ed25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_save_private(path, CRYPTO_KEY_ED25519, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_save_public(ppath, CRYPTO_KEY_ED25519, pub), CRYPTO_OK);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(ppath), 0644);

	assert_non_null(fp = fopen(path, "r"));
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(strstr(text, "-----BEGIN PRIVATE KEY-----"));
	assert_non_null(fp = fopen(ppath, "r"));
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(strstr(text, "-----BEGIN PUBLIC KEY-----"));

	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back), CRYPTO_OK);
	assert_memory_equal(priv, back, 32);
	assert_int_equal(crypto_key_load_public(ppath, CRYPTO_KEY_ED25519, pback), CRYPTO_OK);
	assert_memory_equal(pub, pback, 32);
	/* Two files and no leftover temporaries. */
	assert_int_equal(count_entries(f->dir), 2);
}

static void
test_x25519_key_files_round_trip(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[32], priv[32], back[32];
	char path[128];

	path_in(f, "qr.key", path, sizeof(path));
	assert_int_equal(crypto_x25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_save_private(path, CRYPTO_KEY_X25519, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_X25519, back), CRYPTO_OK);
	assert_memory_equal(priv, back, 32);
	path_in(f, "qr.pub", path, sizeof(path));
	assert_int_equal(crypto_key_save_public(path, CRYPTO_KEY_X25519, pub), CRYPTO_OK);
	assert_int_equal(crypto_key_load_public(path, CRYPTO_KEY_X25519, back), CRYPTO_OK);
	assert_memory_equal(pub, back, 32);
}

static void
test_private_key_with_group_read_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[32], priv[32], back[32];
	char path[128];
	mode_t bad[] = { 0640, 0604, 0610, 0601, 0620, 0602 };
	size_t i;

	path_in(f, "sign.key", path, sizeof(path));
	assert_int_equal(crypto_ed25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_save_private(path, CRYPTO_KEY_ED25519, priv), CRYPTO_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(path, bad[i]), 0);
		assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back),
		    CRYPTO_EPERM);
	}
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back), CRYPTO_OK);
}

static void
test_key_of_other_kind_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[32], priv[32], back[32];
	char kpath[128], ppath[128];

	path_in(f, "x.key", kpath, sizeof(kpath));
	path_in(f, "x.pub", ppath, sizeof(ppath));
	assert_int_equal(crypto_x25519_keygen(pub, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_save_private(kpath, CRYPTO_KEY_X25519, priv), CRYPTO_OK);
	assert_int_equal(crypto_key_save_public(ppath, CRYPTO_KEY_X25519, pub), CRYPTO_OK);
	assert_int_equal(crypto_key_load_private(kpath, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
	assert_int_equal(crypto_key_load_public(ppath, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
	/* A public key file is not a private key, nor the other way round. */
	assert_int_equal(chmod(ppath, 0600), 0);
	assert_int_equal(crypto_key_load_private(ppath, CRYPTO_KEY_X25519, back),
	    CRYPTO_EFORMAT);
	assert_int_equal(crypto_key_load_public(kpath, CRYPTO_KEY_X25519, back),
	    CRYPTO_EFORMAT);
}

static void
test_garbage_and_oversized_key_files_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t back[32];
	char path[128];
	size_t big = 16 * 1024 + 1;
	char *junk = malloc(big);

	assert_non_null(junk);
	path_in(f, "junk.key", path, sizeof(path));
	write_raw(path, "not a key\n", 10, 0600);
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
	assert_int_equal(crypto_key_load_public(path, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
	write_raw(path, "", 0, 0600);
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
	memset(junk, 'A', big);
	write_raw(path, junk, big, 0600);
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
	free(junk);
	/* A directory is not a key file. */
	assert_int_equal(crypto_key_load_public(f->dir, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
}

static void
test_missing_key_file_is_eio_with_errno(void **state)
{
	struct fixture *f = *state;
	uint8_t back[32];
	char path[128];

	path_in(f, "absent.key", path, sizeof(path));
	errno = 0;
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back), CRYPTO_EIO);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(crypto_secret_load(path, back, 32), CRYPTO_EIO);
	assert_int_equal(errno, ENOENT);
}

static void
test_encrypted_private_key_refused_without_prompt(void **state)
{
	struct fixture *f = *state;
	uint8_t seed[32], back[32];
	char path[128];
	EVP_PKEY *pk;
	FILE *fp;

	path_in(f, "enc.key", path, sizeof(path));
	unhex_or_fail(RFC8032_T1_SEED, seed, sizeof(seed));
	assert_non_null(pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32));
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PKCS8PrivateKey(fp, pk, EVP_aes_256_cbc(),
	    (char *)"secret", 6, NULL, NULL), 1);
	fclose(fp);
	EVP_PKEY_free(pk);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(crypto_key_load_private(path, CRYPTO_KEY_ED25519, back),
	    CRYPTO_EFORMAT);
}

static void
test_secret_round_trip_exact_length(void **state)
{
	struct fixture *f = *state;
	uint8_t key[32], back[32], small[16];
	char path[128];

	path_in(f, "link.key", path, sizeof(path));
	assert_int_equal(crypto_random(key, sizeof(key)), CRYPTO_OK);
	assert_int_equal(crypto_secret_save(path, key, sizeof(key)), CRYPTO_OK);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(crypto_secret_load(path, back, sizeof(back)), CRYPTO_OK);
	assert_memory_equal(key, back, sizeof(key));
	assert_int_equal(crypto_secret_load(path, small, sizeof(small)), CRYPTO_EFORMAT);
	write_raw(path, key, 31, 0600);
	assert_int_equal(crypto_secret_load(path, back, sizeof(back)), CRYPTO_EFORMAT);
}

static void
test_secret_with_other_read_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t key[32] = { 1 }, back[32];
	char path[128];

	path_in(f, "link.key", path, sizeof(path));
	assert_int_equal(crypto_secret_save(path, key, sizeof(key)), CRYPTO_OK);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(crypto_secret_load(path, back, sizeof(back)), CRYPTO_EPERM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_unhex_rejects_wrong_length_and_non_hex),
		cmocka_unit_test(test_memeq),
		cmocka_unit_test(test_random_fills_and_differs),
		cmocka_unit_test(test_strerror_names_every_code),
		cmocka_unit_test(test_sha256_of_abc),
		cmocka_unit_test(test_sha256_streamed_equals_one_shot),
		cmocka_unit_test_setup_teardown(test_sha256_file_matches_content, setup, teardown),
		cmocka_unit_test(test_hmac_sha256_rfc4231),
		cmocka_unit_test(test_hmac_sha256_empty_key_and_message),
		cmocka_unit_test_setup_teardown(test_ed25519_rfc8032_vector_1, setup, teardown),
		cmocka_unit_test(test_ed25519_sign_verify_round_trip),
		cmocka_unit_test(test_ed25519_verify_rejects_flipped_bit),
		cmocka_unit_test(test_ed25519_verify_rejects_other_key),
		cmocka_unit_test(test_x25519_keygen_public_matches_private),
		cmocka_unit_test(test_aead_gcm_known_answer),
		cmocka_unit_test(test_aead_gcm_zero_key_known_answer),
		cmocka_unit_test(test_aead_open_rejects_tampered_aad),
		cmocka_unit_test(test_aead_open_rejects_tampered_ciphertext_and_tag),
		cmocka_unit_test(test_aead_seal_in_place),
		cmocka_unit_test(test_aead_context_gives_known_answer_and_opens_it),
		cmocka_unit_test(test_aead_context_zero_key_known_answer),
		cmocka_unit_test(test_aead_context_rejects_tampering_then_still_opens),
		cmocka_unit_test(test_aead_context_under_other_key_fails),
		cmocka_unit_test(test_aead_context_matches_one_shot_over_many_nonces),
		cmocka_unit_test_setup_teardown(test_private_key_round_trip_is_pkcs8_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x25519_key_files_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_key_with_group_read_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_of_other_kind_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_oversized_key_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_key_file_is_eio_with_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encrypted_private_key_refused_without_prompt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_round_trip_exact_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_with_other_read_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
