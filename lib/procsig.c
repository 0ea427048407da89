/*
 * procsig.c — signing and verifying procedure definitions (Ed25519 over canonical JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jsonio.h"
#include "procsig.h"

static char *
signed_text(const char *tenant, const json_t *def, size_t *len)
{
	json_t *doc;
	char *text;

	if (tenant == NULL || !json_is_object(def))
		return NULL;
	doc = json_pack("{s:s,s:s,s:O}", "format", PROCSIG_FORMAT, "tenant", tenant,
			"procedure", def);
	text = doc ? jsonio_dump_canonical(doc, len) : NULL;
	json_decref(doc);
	return text;
}

int
procsig_sign(const uint8_t priv[32], const char *tenant, const json_t *def,
	     char hex[PROCSIG_HEX_LEN + 1])
{
	uint8_t sig[CRYPTO_SIG_LEN];
	size_t len;
	char *text = signed_text(tenant, def, &len);
	int rc = -1;

	if (text != NULL && crypto_ed25519_sign(priv, text, len, sig) == 0) {
		crypto_hex(sig, sizeof sig, hex);
		rc = 0;
	}
	free(text);
	return rc;
}

int
procsig_verify(const uint8_t pub[32], const char *tenant, const json_t *def, const char *hex)
{
	uint8_t sig[CRYPTO_SIG_LEN];
	size_t len;
	char *text;
	int ok = 0;

	if (hex == NULL || strlen(hex) != PROCSIG_HEX_LEN ||
	    crypto_unhex(hex, sig, sizeof sig) != 0)
		return 0;
	if ((text = signed_text(tenant, def, &len)) != NULL)
		ok = crypto_ed25519_verify(pub, text, len, sig) == 0;
	free(text);
	return ok;
}

int
procsig_verify_ring(const struct keyring *ring, time_t now, const char *tenant,
		    const json_t *def, const char *hex)
{
	for (size_t i = 0; i < ring->n; i++)
		if (keyring_usable(&ring->k[i], now) &&
		    procsig_verify(ring->k[i].key, tenant, def, hex))
			return 1;
	return 0;
}

int
procsig_key(const json_t *def, char *out, size_t outlen)
{
	const char *id = jsonio_str(def, "id", NULL);
	long long version;

	if (id == NULL || jsonio_int(def, "version", 1, 1000000000, &version) != 0)
		return -1;
	return snprintf(out, outlen, "%s/%lld", id, version) < (int)outlen ? 0 : -1;
}
