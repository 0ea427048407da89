/*
 * keys.c — making an instance's keys, and giving each to its one holder.
 */
#include "keys.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "certs.h"
#include "crypto.h"

/* Every file keys_create_all writes. Service users are those of provisioning's
 * sysusers.d; lighttpd reads its TLS key as root before dropping privileges. */
const struct key_holder keys_table[] = {
	/* internet zone (DMZ) */
	{ "dmz/keys/sanitizer-signing.key", "sekisho-sanitized", true },
	{ "dmz/keys/sanitizer-signing.pub", "root", false },
	{ "dmz/keys/office-signing.pub", "root", false },
	{ "dmz/keys/uplink.key", "sekisho-bridge", true },
	{ "dmz/keys/downlink.key", "sekisho-bridge", true },
	{ "dmz/keys/counter-qr.pub", "root", false },
	{ "dmz/keys/dmz-receipt.key", "sekisho-bridge", true },
	{ "dmz/keys/tls.key", "root", true },
	{ "dmz/keys/tls.crt", "root", false },
	/* LGWAN zone */
	{ "lgwan/keys/office-signing.key", "sekisho-officed", true },
	{ "lgwan/keys/office-signing.pub", "root", false },
	{ "lgwan/keys/sanitizer-signing.pub", "root", false },
	{ "lgwan/keys/uplink.key", "sekisho-bridge", true },
	{ "lgwan/keys/downlink.key", "sekisho-bridge", true },
	{ "lgwan/keys/counter-qr.key", "sekisho-officed", true },
	{ "lgwan/keys/counter-qr.pub", "root", false },
	{ "lgwan/keys/dmz-receipt.pub", "root", false },
	{ "lgwan/keys/docsign.key", "sekisho-officed", true },
	{ "lgwan/keys/docsign.crt", "root", false },
	{ "lgwan/keys/tls.key", "root", true },
	{ "lgwan/keys/tls.crt", "root", false },
	{ NULL, NULL, false },
};

static int
path_of(const struct instance *in, const char *rel, char *out, size_t outlen,
	char *err, size_t errlen)
{
	if (instance_path(in, rel, out, outlen) != 0) {
		snprintf(err, errlen, "%s/%s: path too long", in->root, rel);
		return -1;
	}
	if (access(out, F_OK) == 0) {
		snprintf(err, errlen, "%s: exists; keys are never overwritten", out);
		return -1;
	}
	return 0;
}

static int
save_pair(const struct instance *in, enum crypto_key_kind kind, const char *priv_rel,
	  const char *const pub_rels[], char *err, size_t errlen)
{
	uint8_t pub[32], priv[32];
	char path[PATH_MAX];
	int rc;

	rc = kind == CRYPTO_KEY_ED25519 ? crypto_ed25519_keygen(pub, priv)
					: crypto_x25519_keygen(pub, priv);
	if (rc != 0) {
		snprintf(err, errlen, "%s: key generation failed: %s", priv_rel,
			 crypto_strerror(rc));
		return -1;
	}
	if (path_of(in, priv_rel, path, sizeof path, err, errlen) != 0)
		goto fail;
	if ((rc = crypto_key_save_private(path, kind, priv)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		goto fail;
	}
	for (size_t i = 0; pub_rels[i]; i++) {
		if (path_of(in, pub_rels[i], path, sizeof path, err, errlen) != 0)
			goto fail;
		if ((rc = crypto_key_save_public(path, kind, pub)) != 0) {
			snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
			goto fail;
		}
	}
	explicit_bzero(priv, sizeof priv);
	return 0;
fail:
	explicit_bzero(priv, sizeof priv);
	return -1;
}

/* One link key, the same bytes on both ends of its direction. */
static int
save_link_key(const struct instance *in, const char *name, char *err, size_t errlen)
{
	uint8_t key[CRYPTO_AEAD_KEY_LEN];
	char rel[64], path[PATH_MAX];
	const char *zones[] = { "dmz", "lgwan" };
	int rc = 0;

	if (crypto_random(key, sizeof key) != 0) {
		snprintf(err, errlen, "%s link key: no randomness", name);
		return -1;
	}
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		snprintf(rel, sizeof rel, "%s/keys/%s.key", zones[i], name);
		if ((rc = path_of(in, rel, path, sizeof path, err, errlen)) != 0)
			break;
		if ((rc = crypto_secret_save(path, key, sizeof key)) != 0)
			snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
	}
	explicit_bzero(key, sizeof key);
	return rc == 0 ? 0 : -1;
}

/* Checked before any key is made, so a host without its service users is refused
 * cleanly instead of being left half-provisioned. */
static int
holders_exist(char *err, size_t errlen)
{
	for (const struct key_holder *k = keys_table; k->path; k++)
		if (getpwnam(k->owner) == NULL) {
			snprintf(err, errlen, "%s: service user '%s' does not exist "
				 "(install the sysusers.d file first)", k->path, k->owner);
			return -1;
		}
	return 0;
}

static int
give_to_holders(const struct instance *in, char *err, size_t errlen)
{
	for (const struct key_holder *k = keys_table; k->path; k++) {
		struct passwd *pw = getpwnam(k->owner);
		char path[PATH_MAX];

		if (pw == NULL)
			return holders_exist(err, errlen);
		instance_path(in, k->path, path, sizeof path);
		if (chown(path, pw->pw_uid, pw->pw_gid) != 0) {
			snprintf(err, errlen, "%s: chown %s: %s", path, k->owner, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
keys_create_all(const struct instance *in, bool dev, char *err, size_t errlen)
{
	static const char *const sanitizer_pubs[] = {
		"dmz/keys/sanitizer-signing.pub", "lgwan/keys/sanitizer-signing.pub", NULL };
	static const char *const office_pubs[] = {
		"lgwan/keys/office-signing.pub", "dmz/keys/office-signing.pub", NULL };
	static const char *const counter_pubs[] = {
		"dmz/keys/counter-qr.pub", "lgwan/keys/counter-qr.pub", NULL };
	/* The downlink's receipts: signed by bridge-rx on the internet side, checked by
	 * bridge-rx on LGWAN. It can sign nothing LGWAN would store (bridge/acks.h). */
	static const char *const receipt_pubs[] = { "lgwan/keys/dmz-receipt.pub", NULL };
	static const struct { enum cert_kind kind; const char *cn, *key, *crt; int days; } certs[] = {
		{ CERT_TLS_SERVER, "localhost", "dmz/keys/tls.key", "dmz/keys/tls.crt", 397 },
		{ CERT_TLS_SERVER, "localhost", "lgwan/keys/tls.key", "lgwan/keys/tls.crt", 397 },
		{ CERT_DOC_SIGNING, "Sekisho document signing (development)",
		  "lgwan/keys/docsign.key", "lgwan/keys/docsign.crt", 825 },
	};

	if (!dev && holders_exist(err, errlen) != 0)
		return -1;
	if (save_pair(in, CRYPTO_KEY_ED25519, "dmz/keys/sanitizer-signing.key",
		      sanitizer_pubs, err, errlen) != 0 ||
	    save_pair(in, CRYPTO_KEY_ED25519, "lgwan/keys/office-signing.key",
		      office_pubs, err, errlen) != 0 ||
	    save_pair(in, CRYPTO_KEY_X25519, "lgwan/keys/counter-qr.key",
		      counter_pubs, err, errlen) != 0 ||
	    save_pair(in, CRYPTO_KEY_ED25519, "dmz/keys/dmz-receipt.key", receipt_pubs,
		      err, errlen) != 0 ||
	    save_link_key(in, "uplink", err, errlen) != 0 ||
	    save_link_key(in, "downlink", err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) {
		char key[PATH_MAX], crt[PATH_MAX];

		if (path_of(in, certs[i].key, key, sizeof key, err, errlen) != 0 ||
		    path_of(in, certs[i].crt, crt, sizeof crt, err, errlen) != 0)
			return -1;
		if (certs_make_self_signed(certs[i].kind, certs[i].cn, certs[i].days, key, crt,
					   err, errlen) != 0)
			return -1;
	}
	return dev ? 0 : give_to_holders(in, err, errlen);
}
