/*
 * keyring.c — loading, checking and rotating key rings.
 *
 * A ring file decides which signatures a verifier believes, so it is read as hostile
 * input would be: bounded in size and count, each id recomputed from its key, no key
 * twice, and refused outright when its permissions would let another user add a key
 * (or, for link keys, read one). A verifier that loads a ring never writes it.
 */
#define _DEFAULT_SOURCE	/* explicit_bzero */
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "jsonio.h"
#include "timefmt.h"

#define LINK_ID_DOMAIN "sekisho link key id\n"
#define RING_MAX_DEPTH 4	/* object, list, entry: nothing deeper */

const char *
keyring_strerror(int rc)
{
	switch (rc) {
	case KEYRING_OK:       return "ok";
	case KEYRING_EFORMAT:  return "not a valid key ring";
	case KEYRING_EIO:      return "key ring file could not be read";
	case KEYRING_EPERM:    return "key ring file is open to other users";
	case KEYRING_ELIMIT:   return "too many keys in the ring";
	case KEYRING_EBADSIG:  return "signature does not verify with any key of the ring";
	case KEYRING_EEXPIRED: return "signed with a retired key whose overlap has ended";
	case KEYRING_EUNKNOWN: return "signed with a key that is not in the ring";
	}
	return "unknown error";
}

static size_t
ring_max(enum keyring_kind kind)
{
	return kind == KEYRING_LINK ? KEYRING_MAX_LINK_KEYS : KEYRING_MAX_KEYS;
}

static const char *
kind_name(enum keyring_kind kind)
{
	return kind == KEYRING_LINK ? "aes-256-gcm" : "ed25519";
}

void
keyring_key_id(enum keyring_kind kind, const uint8_t key[32], char id[KEYRING_ID_LEN])
{
	uint8_t d[CRYPTO_SHA256_LEN], buf[sizeof LINK_ID_DOMAIN - 1 + 32];

	if (kind == KEYRING_LINK) {
		memcpy(buf, LINK_ID_DOMAIN, sizeof LINK_ID_DOMAIN - 1);
		memcpy(buf + sizeof LINK_ID_DOMAIN - 1, key, 32);
		crypto_sha256(buf, sizeof buf, d);
		explicit_bzero(buf, sizeof buf);
	} else {
		crypto_sha256(key, 32, d);
	}
	crypto_hex(d, 8, id);
}

int
keyring_path(const char *key_path, char *out, size_t outlen)
{
	const char *slash = strrchr(key_path, '/'), *base = slash ? slash + 1 : key_path;
	const char *dot = strrchr(base, '.');
	int dirlen = slash ? (int)(slash - key_path) + 1 : 0;
	int stemlen = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
	int n;

	n = snprintf(out, outlen, "%.*sretired/%.*s.json", dirlen, key_path, stemlen, base);
	return n < 0 || (size_t)n >= outlen || stemlen == 0 ? -1 : 0;
}

static int
add_key(struct keyring *r, const uint8_t key[32], time_t retired_at, time_t not_after,
	char *err, size_t errlen)
{
	struct keyring_key *k;
	char id[KEYRING_ID_LEN];

	keyring_key_id(r->kind, key, id);
	if (keyring_find(r, id) != NULL) {
		snprintf(err, errlen, "key %s is in the ring twice", id);
		return KEYRING_EFORMAT;
	}
	if (r->n >= ring_max(r->kind)) {
		snprintf(err, errlen, "more than %zu %s keys in one ring", ring_max(r->kind),
			 kind_name(r->kind));
		return KEYRING_ELIMIT;
	}
	k = &r->k[r->n++];
	memcpy(k->key, key, 32);
	memcpy(k->id, id, sizeof id);
	k->retired_at = retired_at;
	k->not_after = not_after;
	return KEYRING_OK;
}

static int
entry_time(const json_t *e, const char *name, time_t *out)
{
	const char *s = jsonio_str(e, name, NULL);

	return s && timefmt_parse_rfc3339(s, out) == 0 ? 0 : -1;
}

int
keyring_parse(struct keyring *r, const char *text, size_t len, char *err, size_t errlen)
{
	char jerr[160];
	json_t *v = jsonio_parse(text, len, KEYRING_FILE_MAX, RING_MAX_DEPTH, jerr, sizeof jerr);
	const json_t *list, *e;
	int rc = KEYRING_EFORMAT;
	size_t i;

	if (v == NULL) {
		snprintf(err, errlen, "key ring: %s", jerr);
		return KEYRING_EFORMAT;
	}
	list = json_object_get(v, "retired");
	if (strcmp(jsonio_str(v, "format", ""), KEYRING_FORMAT) != 0 ||
	    strcmp(jsonio_str(v, "kind", ""), kind_name(r->kind)) != 0 ||
	    !json_is_array(list) || json_object_size(v) != 3) {
		snprintf(err, errlen, "key ring: needs exactly format %s, kind %s and a "
			 "'retired' list", KEYRING_FORMAT, kind_name(r->kind));
		goto out;
	}
	if (r->n + json_array_size(list) > ring_max(r->kind)) {
		snprintf(err, errlen, "key ring: %zu retired keys, at most %zu", json_array_size(list),
			 ring_max(r->kind) - r->n);
		rc = KEYRING_ELIMIT;
		goto out;
	}
	json_array_foreach(list, i, e) {
		const char *id = jsonio_str(e, "id", NULL), *hex = jsonio_str(e, "key", NULL);
		char want[KEYRING_ID_LEN];
		time_t retired, until;
		uint8_t key[32];

		if (!json_is_object(e) || json_object_size(e) != 4 || id == NULL || hex == NULL ||
		    strlen(hex) != 64 || crypto_unhex(hex, key, sizeof key) != 0 ||
		    entry_time(e, "retired_at", &retired) != 0 ||
		    entry_time(e, "not_after", &until) != 0 || until < retired) {
			snprintf(err, errlen, "key ring: entry %zu needs id, key (64 hex digits), "
				 "retired_at and not_after (RFC 3339, not before retired_at)", i);
			goto out;
		}
		keyring_key_id(r->kind, key, want);
		if (strcmp(id, want) != 0) {
			explicit_bzero(key, sizeof key);
			snprintf(err, errlen, "key ring: entry %zu: id %.16s is not its key's (%s)",
				 i, id, want);
			goto out;
		}
		/* The current key listed as retired: a rotation stopped between writing
		 * the ring and the new key (keyrotate.c writes in that order). It is the
		 * current key still. */
		if (r->n > 0 && strcmp(id, r->k[0].id) == 0) {
			explicit_bzero(key, sizeof key);
			continue;
		}
		rc = add_key(r, key, retired, until, err, errlen);
		explicit_bzero(key, sizeof key);
		if (rc != KEYRING_OK)
			goto out;
	}
	rc = KEYRING_OK;
out:
	json_decref(v);
	return rc;
}

static int
load_ring_file(struct keyring *r, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	mode_t forbidden = r->kind == KEYRING_LINK ? 077 : 022;
	char *text = NULL;
	struct stat st;
	ssize_t got;
	int rc;

	if (fd < 0) {
		if (errno == ENOENT)
			return KEYRING_OK;	/* never rotated */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return KEYRING_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		rc = KEYRING_EIO;
	} else if (st.st_mode & forbidden) {
		snprintf(err, errlen, "%s: mode %03o; a %s ring must not be %s by group or "
			 "others", path, (unsigned)(st.st_mode & 0777), kind_name(r->kind),
			 r->kind == KEYRING_LINK ? "readable" : "writable");
		rc = KEYRING_EPERM;
	} else if (st.st_size > KEYRING_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, KEYRING_FILE_MAX);
		rc = KEYRING_ELIMIT;
	} else if ((text = malloc((size_t)st.st_size + 1)) == NULL ||
		   (got = read(fd, text, (size_t)st.st_size)) != st.st_size) {
		snprintf(err, errlen, "%s: cannot read", path);
		rc = KEYRING_EIO;
	} else {
		char perr[200];

		if ((rc = keyring_parse(r, text, (size_t)st.st_size, perr, sizeof perr)) != 0)
			snprintf(err, errlen, "%s: %s", path, perr);
	}
	if (text) {
		explicit_bzero(text, (size_t)st.st_size);
		free(text);
	}
	close(fd);
	return rc;
}

int
keyring_load(struct keyring *r, enum keyring_kind kind, const char *key_path,
	     const char *ring_path, char *err, size_t errlen)
{
	uint8_t key[32];
	char ring[4096];
	int rc;

	memset(r, 0, sizeof *r);
	r->kind = kind;
	rc = kind == KEYRING_LINK ? crypto_secret_load(key_path, key, sizeof key)
				  : crypto_key_load_public(key_path, CRYPTO_KEY_ED25519, key);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", key_path, crypto_strerror(rc));
		return rc == CRYPTO_EPERM ? KEYRING_EPERM
		       : rc == CRYPTO_EFORMAT ? KEYRING_EFORMAT : KEYRING_EIO;
	}
	rc = add_key(r, key, 0, 0, err, errlen);
	explicit_bzero(key, sizeof key);
	if (rc != KEYRING_OK)
		return rc;
	if (ring_path != NULL && *ring_path != '\0')
		snprintf(ring, sizeof ring, "%s", ring_path);
	else if (keyring_path(key_path, ring, sizeof ring) != 0) {
		snprintf(err, errlen, "%s: path too long", key_path);
		return KEYRING_EIO;
	}
	if ((rc = load_ring_file(r, ring, err, errlen)) != KEYRING_OK)
		keyring_clear(r);
	return rc;
}

char *
keyring_dump(const struct keyring *r)
{
	json_t *v, *list = json_array();
	char *text = NULL;

	v = json_pack("{s:s, s:s, s:o}", "format", KEYRING_FORMAT, "kind", kind_name(r->kind),
		      "retired", list);
	if (v == NULL)
		return NULL;
	for (size_t i = 1; i < r->n; i++) {
		char hex[65], ra[TIMEFMT_LEN], na[TIMEFMT_LEN];

		crypto_hex(r->k[i].key, 32, hex);
		timefmt_utc(r->k[i].retired_at, ra);
		timefmt_utc(r->k[i].not_after, na);
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "id",
							  r->k[i].id, "key", hex, "retired_at",
							  ra, "not_after", na)) != 0) {
			explicit_bzero(hex, sizeof hex);
			goto out;
		}
		explicit_bzero(hex, sizeof hex);
	}
	text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	/* jansson's strings held link keys in hex: there is no cleansing them in place,
	 * but they are freed at once, and the ring file itself is 0600. */
	json_decref(v);
	return text;
}

int
keyring_rotate(struct keyring *r, const uint8_t newkey[32], time_t now, time_t not_after)
{
	char id[KEYRING_ID_LEN];
	size_t keep = 1;

	keyring_key_id(r->kind, newkey, id);
	if (keyring_find(r, id) != NULL)
		return KEYRING_EFORMAT;
	if (r->kind == KEYRING_LINK) {
		for (size_t i = 1; i < r->n; i++)
			if (keyring_usable(&r->k[i], now))
				r->k[keep++] = r->k[i];
		for (size_t i = keep; i < r->n; i++)
			explicit_bzero(&r->k[i], sizeof r->k[i]);
		r->n = keep;
	}
	if (r->n >= ring_max(r->kind))
		return KEYRING_ELIMIT;
	memmove(&r->k[1], &r->k[0], r->n * sizeof r->k[0]);
	r->n++;
	r->k[1].retired_at = now;
	r->k[1].not_after = not_after;
	memcpy(r->k[0].key, newkey, 32);
	memcpy(r->k[0].id, id, sizeof id);
	r->k[0].retired_at = 0;
	r->k[0].not_after = 0;
	return KEYRING_OK;
}

const struct keyring_key *
keyring_find(const struct keyring *r, const char *id)
{
	for (size_t i = 0; id && i < r->n; i++)
		if (strcmp(r->k[i].id, id) == 0)
			return &r->k[i];
	return NULL;
}

int
keyring_usable(const struct keyring_key *k, time_t now)
{
	return now == KEYRING_ANY_TIME || k->not_after == 0 || now <= k->not_after;
}

int
keyring_verify(const struct keyring *r, time_t now, const void *msg, size_t len,
	       const uint8_t sig[64], const struct keyring_key **used, char *err,
	       size_t errlen)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct keyring_key *k = &r->k[i];
		char until[TIMEFMT_LEN];

		if (crypto_ed25519_verify(k->key, msg, len, sig) != 0)
			continue;
		if (used)
			*used = k;
		if (keyring_usable(k, now))
			return KEYRING_OK;
		timefmt_utc(k->not_after, until);
		snprintf(err, errlen, "signed with retired key %s, whose overlap ended at %s",
			 k->id, until);
		return KEYRING_EEXPIRED;
	}
	snprintf(err, errlen, "%s (current key %s, %zu retired)",
		 keyring_strerror(KEYRING_EBADSIG), r->n ? r->k[0].id : "none",
		 r->n ? r->n - 1 : 0);
	return KEYRING_EBADSIG;
}

void
keyring_clear(struct keyring *r)
{
	explicit_bzero(r->k, sizeof r->k);
	r->n = 0;
}
