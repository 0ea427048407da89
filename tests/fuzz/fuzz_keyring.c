/*
 * fuzz_keyring.c — a ring file decides which signatures a verifier believes, so
 * keyring_parse must refuse anything malformed with a reason, never crash, never hold
 * more keys than its bound, and a ring it accepts must dump and parse back the same.
 * The first byte picks the ring's kind (signing or link).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring r = { 0 }, back = { 0 };
	char err[256], *text;
	size_t max;

	if (size < 1)
		return 0;
	r.kind = data[0] & 1 ? KEYRING_LINK : KEYRING_ED25519;
	max = r.kind == KEYRING_LINK ? KEYRING_MAX_LINK_KEYS : KEYRING_MAX_KEYS;
	memset(r.k[0].key, 0x5a, 32);
	keyring_key_id(r.kind, r.k[0].key, r.k[0].id);
	r.n = 1;
	back = r;
	err[0] = '\0';
	if (keyring_parse(&r, (const char *)data + 1, size - 1, err, sizeof err) != KEYRING_OK) {
		if (err[0] == '\0')
			abort();	/* a refusal must say why */
		return 0;
	}
	if (r.n > max)
		abort();
	for (size_t i = 0; i < r.n; i++) {
		char id[KEYRING_ID_LEN];

		keyring_key_id(r.kind, r.k[i].key, id);
		if (strcmp(id, r.k[i].id) != 0 || keyring_find(&r, id) != &r.k[i])
			abort();
	}
	if ((text = keyring_dump(&r)) == NULL)
		abort();
	if (keyring_parse(&back, text, strlen(text), err, sizeof err) != KEYRING_OK ||
	    back.n != r.n)
		abort();
	for (size_t i = 0; i < r.n; i++)
		if (memcmp(back.k[i].key, r.k[i].key, 32) != 0 ||
		    back.k[i].retired_at != r.k[i].retired_at ||
		    back.k[i].not_after != r.k[i].not_after)
			abort();
	free(text);
	return 0;
}
