/*
 * password.h — staff password hashing with Argon2id (libargon2).
 *
 * Hashes are stored in the PHC string form ($argon2id$v=19$m=...,t=...,p=...$salt$hash)
 * so parameters can be raised later without invalidating stored hashes.
 */
#ifndef SEKISHO_PASSWORD_H
#define SEKISHO_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MAX_LEN   256	/* longer input is refused before hashing */
#define PASSWORD_HASH_LEN  128	/* room for the encoded string */

/* Hash password into out (PASSWORD_HASH_LEN bytes). 0 or -1. */
int password_hash(const char *password, char out[PASSWORD_HASH_LEN]);

/* 1 if password matches encoded, 0 if not, -1 if encoded is malformed. */
int password_verify(const char *password, const char *encoded);

/* A random password for a new account: len characters from an alphabet without
 * look-alikes (no 0/O, 1/l/I), len < outlen. 0 or -1. */
int password_generate(char *out, size_t outlen, size_t len);

#endif
