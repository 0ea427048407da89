/*
 * tokens.c — mailed single-use tokens and address keys (see tokens.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "tokens.h"

static int
lower_hex(const char *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int
portal_token_new(char token[PORTAL_TOKEN_HEX + 1], char hash[PORTAL_TOKEN_HEX + 1])
{
	uint8_t raw[PORTAL_TOKEN_BYTES];

	if (crypto_random(raw, sizeof raw) != 0)
		return -1;
	crypto_hex(raw, sizeof raw, token);
	explicit_bzero(raw, sizeof raw);
	return portal_token_hash(token, hash);
}

int
portal_token_hash(const char *token, char hash[PORTAL_TOKEN_HEX + 1])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	if (!lower_hex(token, PORTAL_TOKEN_HEX))
		return -1;
	crypto_sha256(token, PORTAL_TOKEN_HEX, h);
	crypto_hex(h, sizeof h, hash);
	return 0;
}

int
portal_random_id(char out[33])
{
	uint8_t raw[16];

	if (crypto_random(raw, sizeof raw) != 0)
		return -1;
	crypto_hex(raw, sizeof raw, out);
	return 0;
}

int
portal_random_id_valid(const char *s)
{
	return lower_hex(s, 32);
}

int
portal_email_normalize(const char *in, char out[MAIL_ADDR_MAX + 1])
{
	size_t i;

	if (in == NULL || strlen(in) > MAIL_ADDR_MAX)
		return -1;
	for (i = 0; in[i]; i++)
		out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
	out[i] = '\0';
	return mail_address_valid(out) ? 0 : -1;
}

void
portal_email_key(const char *email, char out[PORTAL_EMAIL_KEY_MAX + 1])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(email, strlen(email), h);
	memcpy(out, "acct:", 5);
	crypto_hex(h, sizeof h, out + 5);
}
