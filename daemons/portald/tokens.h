/*
 * tokens.h — the single-use secrets portald mails to citizens (address verification,
 * password reset, draft resume links) and the account keys derived from addresses.
 *
 * A token is 256 random bits in lower-case hex; only its SHA-256 is stored, so a copy
 * of the database cannot be used to verify, reset or resume anything. A presented
 * token is checked for its exact form before it is hashed and looked up.
 */
#ifndef SEKISHO_PORTAL_TOKENS_H
#define SEKISHO_PORTAL_TOKENS_H

#include <stddef.h>

#include "mail.h"

#define PORTAL_TOKEN_BYTES 32
#define PORTAL_TOKEN_HEX   (2 * PORTAL_TOKEN_BYTES)
#define PORTAL_EMAIL_KEY_MAX (5 + 64)	/* "acct:" + SHA-256 hex */

/* A fresh token and its stored hash (each PORTAL_TOKEN_HEX + 1 bytes). 0 or -1. */
int portal_token_new(char token[PORTAL_TOKEN_HEX + 1], char hash[PORTAL_TOKEN_HEX + 1]);

/* The stored hash of a presented token: 0, or -1 if token is not exactly 64 lower-case
 * hex digits (NULL included). */
int portal_token_hash(const char *token, char hash[PORTAL_TOKEN_HEX + 1]);

/* A random id for rows named in URLs (drafts): 128 bits, 32 hex digits. 0 or -1. */
int portal_random_id(char out[33]);

/* 1 if s is a portal_random_id, else 0. */
int portal_random_id_valid(const char *s);

/* The account's address as stored: ASCII letters lowered, then mail_address_valid.
 * 0, or -1 if it is not an address we send to. */
int portal_email_normalize(const char *in, char out[MAIL_ADDR_MAX + 1]);

/* The lockout key of an address ("acct:" + SHA-256 hex of the normalised address):
 * fixed length whatever the address, within THROTTLE_KEY_MAX. */
void portal_email_key(const char *email, char out[PORTAL_EMAIL_KEY_MAX + 1]);

#endif
