/*
 * keys.c — making an instance's keys, and giving each to its one holder.
 *
 * A role makes only its own zone's keys. Of each private key there is one copy, in
 * the zone that signs or decrypts with it; a link key is made by its sender's zone
 * (the uplink's by the DMZ, the downlink's by LGWAN) and carried to the receiver
 * with the public keys in an export bundle (keys_export / keys_import).
 */
#include "keys.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs.h"
#include "crypto.h"

/* Every file keys_create writes. Service users are those of provisioning's
 * sysusers.d; lighttpd runs as sekisho-web from its first instruction (User= in its
 * unit), so the TLS key is that user's. */
const struct key_holder keys_table[] = {
	/* internet zone (DMZ) */
	{ "dmz/keys/sanitizer-signing.key", "sekisho-sanitized", true },
	{ "dmz/keys/sanitizer-signing.pub", "root", false },
	{ "dmz/keys/office-signing.pub", "root", false },
	{ "dmz/keys/uplink.key", "sekisho-bridge", true },
	{ "dmz/keys/downlink.key", "sekisho-bridge", true },
	{ "dmz/keys/counter-qr.pub", "root", false },
	{ "dmz/keys/dmz-receipt.key", "sekisho-bridge", true },
	{ "dmz/keys/dmz-receipt.pub", "root", false },
	{ "dmz/keys/tls.key", "sekisho-web", true },
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
	{ "lgwan/keys/tls.key", "sekisho-web", true },
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

static bool
in_zones(const char *rel, unsigned zones)
{
	return ((zones & INSTANCE_ZONE_DMZ) && strncmp(rel, "dmz/", 4) == 0) ||
	       ((zones & INSTANCE_ZONE_LGWAN) && strncmp(rel, "lgwan/", 6) == 0);
}

/* A pair whose private half belongs to a zone outside zones is not made at all; its
 * public copies for zones outside zones come with keys_import. */
static int
save_pair(const struct instance *in, unsigned zones, enum crypto_key_kind kind,
	  const char *priv_rel, const char *const pub_rels[], char *err, size_t errlen)
{
	uint8_t pub[32], priv[32];
	char path[PATH_MAX];
	int rc;

	if (!in_zones(priv_rel, zones))
		return 0;
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
		if (!in_zones(pub_rels[i], zones))
			continue;
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

/* One link key, the same bytes on both ends of its direction; made where its sender
 * (sender_zone) runs, copied to the receiver's zone too when that is on this host. */
static int
save_link_key(const struct instance *in, unsigned zones, unsigned sender_zone,
	      const char *name, char *err, size_t errlen)
{
	uint8_t key[CRYPTO_AEAD_KEY_LEN];
	char rel[64], path[PATH_MAX];
	static const struct { const char *dir; unsigned mask; } zone_dirs[] = {
		{ "dmz", INSTANCE_ZONE_DMZ }, { "lgwan", INSTANCE_ZONE_LGWAN } };
	int rc = 0;

	if (!(zones & sender_zone))
		return 0;
	if (crypto_random(key, sizeof key) != 0) {
		snprintf(err, errlen, "%s link key: no randomness", name);
		return -1;
	}
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		if (!(zones & zone_dirs[i].mask))
			continue;
		snprintf(rel, sizeof rel, "%s/keys/%s.key", zone_dirs[i].dir, name);
		if ((rc = path_of(in, rel, path, sizeof path, err, errlen)) != 0)
			break;
		if ((rc = crypto_secret_save(path, key, sizeof key)) != 0)
			snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
	}
	explicit_bzero(key, sizeof key);
	return rc == 0 ? 0 : -1;
}

int
keys_lookup_user(const char *passwd, const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = NULL;
	FILE *f;

	if (passwd == NULL) {
		if ((pw = getpwnam(name)) == NULL)
			return -1;
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	if ((f = fopen(passwd, "re")) == NULL)
		return -1;
	while ((pw = fgetpwent(f)) != NULL && strcmp(pw->pw_name, name) != 0)
		;
	if (pw != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	fclose(f);
	return pw != NULL ? 0 : -1;
}

/* Checked before any key is made, so a host without its service users is refused
 * cleanly instead of being left half-provisioned. */
static int
holders_exist(const char *passwd, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	for (const struct key_holder *k = keys_table; k->path; k++)
		if (keys_lookup_user(passwd, k->owner, &uid, &gid) != 0) {
			snprintf(err, errlen, "%s: service user '%s' does not exist "
				 "(install the sysusers.d file first)", k->path, k->owner);
			return -1;
		}
	return 0;
}

int
keys_give_to_holder(const struct instance *in, const char *rel, const char *passwd,
		    char *err, size_t errlen)
{
	for (const struct key_holder *k = keys_table; k->path; k++) {
		char path[PATH_MAX];
		uid_t uid;
		gid_t gid;

		if (strcmp(k->path, rel) != 0)
			continue;
		if (keys_lookup_user(passwd, k->owner, &uid, &gid) != 0)
			return holders_exist(passwd, err, errlen);
		instance_path(in, k->path, path, sizeof path);
		if (chown(path, uid, gid) != 0 || chmod(path, k->secret ? 0600 : 0644) != 0) {
			snprintf(err, errlen, "%s: chown %s: %s", path, k->owner, strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "%s: not a key of the key table", rel);
	return -1;
}

static int
give_to_holders(const struct instance *in, const char *passwd, char *err, size_t errlen)
{
	for (const struct key_holder *k = keys_table; k->path; k++) {
		char path[PATH_MAX];

		instance_path(in, k->path, path, sizeof path);
		if (access(path, F_OK) != 0)
			continue;	/* the other zone's, or not imported yet */
		if (keys_give_to_holder(in, k->path, passwd, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
keys_create_all(const struct instance *in, bool dev, char *err, size_t errlen)
{
	struct keys_options o = { .zones = INSTANCE_ZONE_BOTH, .dev = dev };

	return keys_create(in, &o, err, errlen);
}

/* The zone's TLS files: imported when given, else self-signed for cn. */
static int
tls_files(const struct instance *in, const struct keys_options *o, const char *zone,
	  char *err, size_t errlen)
{
	char key[PATH_MAX], crt[PATH_MAX], rel[64];

	snprintf(rel, sizeof rel, "%s/keys/tls.key", zone);
	if (path_of(in, rel, key, sizeof key, err, errlen) != 0)
		return -1;
	snprintf(rel, sizeof rel, "%s/keys/tls.crt", zone);
	if (path_of(in, rel, crt, sizeof crt, err, errlen) != 0)
		return -1;
	if (o->tls_cert && o->tls_key)
		return certs_import(o->tls_cert, o->tls_key, key, crt, err, errlen);
	return certs_make_self_signed(CERT_TLS_SERVER, o->tls_cn ? o->tls_cn : "localhost",
				      397, key, crt, err, errlen);
}

int
keys_create(const struct instance *in, const struct keys_options *o, char *err,
	    size_t errlen)
{
	static const char *const sanitizer_pubs[] = {
		"dmz/keys/sanitizer-signing.pub", "lgwan/keys/sanitizer-signing.pub", NULL };
	static const char *const office_pubs[] = {
		"lgwan/keys/office-signing.pub", "dmz/keys/office-signing.pub", NULL };
	static const char *const counter_pubs[] = {
		"dmz/keys/counter-qr.pub", "lgwan/keys/counter-qr.pub", NULL };
	/* The downlink's receipts: signed by bridge-rx on the internet side, checked by
	 * bridge-rx on LGWAN. It can sign nothing LGWAN would store (bridge/acks.h). */
	static const char *const receipt_pubs[] = {
		"dmz/keys/dmz-receipt.pub", "lgwan/keys/dmz-receipt.pub", NULL };
	unsigned z = o->zones;

	if (!o->dev && holders_exist(o->passwd, err, errlen) != 0)
		return -1;
	if (save_pair(in, z, CRYPTO_KEY_ED25519, "dmz/keys/sanitizer-signing.key",
		      sanitizer_pubs, err, errlen) != 0 ||
	    save_pair(in, z, CRYPTO_KEY_ED25519, "lgwan/keys/office-signing.key",
		      office_pubs, err, errlen) != 0 ||
	    save_pair(in, z, CRYPTO_KEY_X25519, "lgwan/keys/counter-qr.key",
		      counter_pubs, err, errlen) != 0 ||
	    save_pair(in, z, CRYPTO_KEY_ED25519, "dmz/keys/dmz-receipt.key", receipt_pubs,
		      err, errlen) != 0 ||
	    save_link_key(in, z, INSTANCE_ZONE_DMZ, "uplink", err, errlen) != 0 ||
	    save_link_key(in, z, INSTANCE_ZONE_LGWAN, "downlink", err, errlen) != 0)
		return -1;
	if ((z & INSTANCE_ZONE_DMZ) && tls_files(in, o, "dmz", err, errlen) != 0)
		return -1;
	if (z & INSTANCE_ZONE_LGWAN) {
		char key[PATH_MAX], crt[PATH_MAX];

		if (tls_files(in, o, "lgwan", err, errlen) != 0 ||
		    path_of(in, "lgwan/keys/docsign.key", key, sizeof key, err, errlen) != 0 ||
		    path_of(in, "lgwan/keys/docsign.crt", crt, sizeof crt, err, errlen) != 0 ||
		    certs_make_self_signed(CERT_DOC_SIGNING,
					   o->dev ? "Sekisho document signing (development)"
						  : "Sekisho document signing",
					   825, key, crt, err, errlen) != 0)
			return -1;
	}
	return o->dev ? 0 : give_to_holders(in, o->passwd, err, errlen);
}
