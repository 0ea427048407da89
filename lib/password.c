/*
 * password.c — staff password hashing with Argon2id.
 *
 * What this file keeps true:
 *  - Only Argon2id PHC strings are produced and accepted; anything else stored in
 *    the password column is "malformed", never "matches".
 *  - The work a stored hash can demand is bounded before the hash is computed, so
 *    a tampered or corrupted row cannot make one login take gigabytes or minutes.
 *  - Passwords longer than PASSWORD_MAX_LEN are refused before hashing.
 *  - Generated passwords are uniform over their alphabet: random bytes are
 *    rejection-sampled, never reduced modulo the alphabet size.
 *
 * Parameters (PASSWORD_T, PASSWORD_M_KIB, PASSWORD_P): t=2, m=19 MiB, p=1 is the
 * OWASP Password Storage Cheat Sheet's baseline for Argon2id. On the appliance (a
 * 2-core server also running the daemons, SQLite and OCR) one login then costs
 * roughly 30-60 ms of one core and 19 MiB for that time: slow enough that an
 * offline guesser with a stolen database pays ~19 MiB and two passes per guess
 * (which is what defeats GPU farms), cheap enough that a shift starting and
 * twenty staff logging in at once needs ~400 MiB for a second, not a queue.
 * p=1 because a single login should not occupy both cores. The PHC string records
 * the parameters, so they can be raised later and old hashes still verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "crypto.h"
#include "password.h"

#define PASSWORD_T		2
#define PASSWORD_M_KIB		19456
#define PASSWORD_P		1
#define PASSWORD_SALT_LEN	16	/* 128 bits: the PHC recommendation */
#define PASSWORD_TAG_LEN	32

/* Bounds on what a stored hash may ask for at verification: well above the
 * current parameters (so they can be raised), well below harm. */
#define PASSWORD_VERIFY_MAX_T	16
#define PASSWORD_VERIFY_MAX_M	(256 * 1024)	/* KiB: 256 MiB */
#define PASSWORD_VERIFY_MAX_P	8

/* No 0/O/o, 1/l/I/i: the password is read off a screen or paper and typed. */
static const char password_alphabet[] =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
#define PASSWORD_ALPHABET_LEN	(sizeof(password_alphabet) - 1)

int
password_hash(const char *password, char out[PASSWORD_HASH_LEN])
{
	uint8_t salt[PASSWORD_SALT_LEN];
	size_t len;
	int rc;

	if (password == NULL)
		return -1;
	/* An empty password is never a staff password; a long one is refused
	 * before Argon2 spends time on it. */
	len = strnlen(password, PASSWORD_MAX_LEN + 1);
	if (len == 0 || len > PASSWORD_MAX_LEN)
		return -1;
	if (crypto_random(salt, sizeof(salt)) != CRYPTO_OK)
		return -1;
	rc = argon2id_hash_encoded(PASSWORD_T, PASSWORD_M_KIB, PASSWORD_P, password, len,
	    salt, sizeof(salt), PASSWORD_TAG_LEN, out, PASSWORD_HASH_LEN);
	return rc == ARGON2_OK ? 0 : -1;
}

/* Read a decimal number of at most 10 digits at *p, advancing it. */
static int
parse_u32(const char **p, uint32_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	while (**p >= '0' && **p <= '9') {
		if (++digits > 10)
			return -1;
		v = v * 10 + (uint64_t)(**p - '0');
		(*p)++;
	}
	if (digits == 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Check the parameter section of "$argon2id$v=19$m=M,t=T,p=P$salt$hash" against
 * the verification bounds. The rest of the string is argon2's to validate. */
static int
params_acceptable(const char *encoded)
{
	static const char prefix[] = "$argon2id$v=19$m=";
	const char *p = encoded;
	uint32_t m, t, par;

	if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	p += sizeof(prefix) - 1;
	if (parse_u32(&p, &m) != 0 || strncmp(p, ",t=", 3) != 0)
		return 0;
	p += 3;
	if (parse_u32(&p, &t) != 0 || strncmp(p, ",p=", 3) != 0)
		return 0;
	p += 3;
	if (parse_u32(&p, &par) != 0 || *p != '$')
		return 0;
	return t <= PASSWORD_VERIFY_MAX_T && m <= PASSWORD_VERIFY_MAX_M &&
	    par >= 1 && par <= PASSWORD_VERIFY_MAX_P;
}

int
password_verify(const char *password, const char *encoded)
{
	size_t len;
	int rc;

	if (password == NULL || encoded == NULL)
		return -1;
	if (strnlen(encoded, PASSWORD_HASH_LEN) >= PASSWORD_HASH_LEN ||
	    !params_acceptable(encoded))
		return -1;
	/* Such a password was never accepted by password_hash, so it cannot match. */
	len = strnlen(password, PASSWORD_MAX_LEN + 1);
	if (len == 0 || len > PASSWORD_MAX_LEN)
		return 0;
	/* argon2 compares the tags in constant time. */
	rc = argon2id_verify(encoded, password, len);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

int
password_generate(char *out, size_t outlen, size_t len)
{
	/* Bytes at or above this are rejected, so that every accepted byte maps to
	 * each alphabet position the same number of times. */
	const unsigned limit = 256 - 256 % PASSWORD_ALPHABET_LEN;
	uint8_t pool[64];
	size_t have = 0, used = 0, i = 0;
	int rc = 0;

	if (out == NULL || len == 0 || len >= outlen)
		return -1;
	while (i < len) {
		if (used == have) {
			if (crypto_random(pool, sizeof(pool)) != CRYPTO_OK) {
				rc = -1;
				break;
			}
			have = sizeof(pool);
			used = 0;
		}
		if (pool[used] < limit)
			out[i++] = password_alphabet[pool[used] % PASSWORD_ALPHABET_LEN];
		used++;
	}
	/* The pool held the password in another form; a half-made password is
	 * not left in out. */
	explicit_bzero(pool, sizeof(pool));
	if (rc != 0) {
		explicit_bzero(out, outlen);
		return -1;
	}
	out[len] = '\0';
	return 0;
}
