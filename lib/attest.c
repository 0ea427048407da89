/*
 * attest.c — signing and checking sanitizer attestations.
 *
 * Verification is strict about form before it trusts anything: every field the
 * format defines must be present with its type, hashes must be 64 hex digits, and
 * the signature must verify over the canonical bytes of exactly the object that was
 * checked. A reader that accepted an unknown shape could be made to agree with a
 * signature over something else.
 */
#include "attest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "jsonio.h"
#include "timefmt.h"

const char *
attest_strerror(int rc)
{
	switch (rc) {
	case ATTEST_OK:        return "ok";
	case ATTEST_EFORMAT:   return "not a valid attestation";
	case ATTEST_EBADSIG:   return "signature does not verify with the sanitizer key";
	case ATTEST_EMISMATCH: return "file is not the attested output";
	case ATTEST_EIO:       return "file could not be read";
	case ATTEST_EKEY:      return "signed by a sanitizer key that is not (or no longer) accepted";
	}
	return "unknown error";
}

static json_t *
hex_string(const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];

	crypto_hex(b, n, hex);
	return json_string(hex);
}

json_t *
attest_sign(const struct attest_fields *f, const uint8_t priv[32])
{
	uint8_t pub[32], sig[CRYPTO_SIG_LEN];
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *att, *out = NULL, *engines;
	char *canon;
	size_t len;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (crypto_ed25519_public(priv, pub) != 0)
		return NULL;
	engines = f->engines ? json_incref(f->engines) : json_object();
	if (f->origin != NULL && !attest_member_path_valid(f->origin->member)) {
		json_decref(engines);
		return NULL;
	}
	att = json_pack("{s:s, s:{s:o, s:I, s:s}, s:{s:o, s:I, s:s}, s:s, s:s, s:o,"
			" s:{s:s, s:s}, s:s, s:o}",
			"format", ATTEST_FORMAT,
			"input", "sha256", hex_string(f->input_sha256, 32),
			"size", (json_int_t)f->input_size, "type", f->input_type,
			"output", "sha256", hex_string(f->output_sha256, 32),
			"size", (json_int_t)f->output_size, "type", f->output_type,
			"method", f->method, "policy", f->policy,
			"engines", engines,
			"scan", "input", f->scan_input, "output", f->scan_output,
			"sanitized_at", when,
			"sanitizer_key", hex_string(pub, 32));
	if (att == NULL)
		return NULL;
	if (f->origin != NULL &&
	    json_object_set_new(att, "archive", json_pack("{s:o, s:I, s:s, s:I}",
	    "sha256", hex_string(f->origin->sha256, 32), "size", (json_int_t)f->origin->size,
	    "member", f->origin->member, "index", (json_int_t)f->origin->index)) != 0) {
		json_decref(att);
		return NULL;
	}
	if ((canon = jsonio_dump_canonical(att, &len)) != NULL &&
	    crypto_ed25519_sign(priv, canon, len, sig) == 0)
		out = json_pack("{s:o, s:o}", "attestation", att,
				"signature", hex_string(sig, sizeof sig));
	else
		json_decref(att);
	free(canon);
	return out;
}

static int
get_hash(const json_t *obj, uint8_t out[32])
{
	const char *h = jsonio_str(obj, "sha256", NULL);

	return h && strlen(h) == 64 && crypto_unhex(h, out, 32) == 0 ? 0 : -1;
}

int
attest_member_path_valid(const char *member)
{
	size_t len, i, seg = 0;

	if (member == NULL || (len = strlen(member)) == 0 || len > ATTEST_MEMBER_MAX ||
	    member[0] == '/')
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)member[i];

		if (c == '/' || c == '\0') {
			/* ".." would climb out of wherever the member is shown. */
			if (i - seg == 2 && member[seg] == '.' && member[seg + 1] == '.')
				return 0;
			seg = i + 1;
		} else if (c < 0x20 || c == 0x7f || c == '\\') {
			return 0;
		}
	}
	return 1;
}

/* "archive", when present: the zip's hash and size, the member's path and place. */
static int
check_origin(const json_t *o)
{
	uint8_t h[32];
	long long v;

	return json_is_object(o) && json_object_size(o) == 4 && get_hash(o, h) == 0 &&
	       jsonio_int(o, "size", 0, INT64_MAX, &v) == 0 &&
	       jsonio_int(o, "index", 1, 100000, &v) == 0 &&
	       attest_member_path_valid(jsonio_str(o, "member", NULL)) ? 0 : -1;
}

/* The shape every attestation must have; anything else is refused. */
static int
check_form(const json_t *att, char *err, size_t errlen)
{
	static const char *const strings[] = { "format", "method", "policy", "sanitized_at",
					       "sanitizer_key", NULL };
	static const char *const sides[] = { "input", "output", NULL };
	uint8_t h[32];
	long long size;

	if (!json_is_object(att)) {
		snprintf(err, errlen, "attestation is not an object");
		return -1;
	}
	for (size_t i = 0; strings[i]; i++)
		if (jsonio_str(att, strings[i], NULL) == NULL) {
			snprintf(err, errlen, "attestation has no string '%s'", strings[i]);
			return -1;
		}
	if (strcmp(jsonio_str(att, "format", ""), ATTEST_FORMAT) != 0) {
		snprintf(err, errlen, "attestation format is '%s', expected %s",
			 jsonio_str(att, "format", ""), ATTEST_FORMAT);
		return -1;
	}
	for (size_t i = 0; sides[i]; i++) {
		const json_t *s = json_object_get(att, sides[i]);

		if (get_hash(s, h) != 0 ||
		    jsonio_int(s, "size", 0, INT64_MAX, &size) != 0 ||
		    jsonio_str(s, "type", NULL) == NULL) {
			snprintf(err, errlen, "attestation '%s' needs sha256, size and type",
				 sides[i]);
			return -1;
		}
	}
	if (!json_is_object(json_object_get(att, "engines")) ||
	    !json_is_object(json_object_get(att, "scan"))) {
		snprintf(err, errlen, "attestation needs 'engines' and 'scan' objects");
		return -1;
	}
	if (json_object_get(att, "archive") != NULL &&
	    check_origin(json_object_get(att, "archive")) != 0) {
		snprintf(err, errlen, "attestation 'archive' needs sha256, size, a relative member "
			 "path and an index");
		return -1;
	}
	return 0;
}

int
attest_verify(const json_t *signed_att, const uint8_t pub[32], uint8_t *output_sha256,
	      char *err, size_t errlen)
{
	const json_t *att = json_object_get(signed_att, "attestation");
	const char *sighex = jsonio_str(signed_att, "signature", NULL);
	uint8_t sig[CRYPTO_SIG_LEN];
	char *canon;
	size_t len;
	int rc;

	if (!json_is_object(signed_att) || json_object_size(signed_att) != 2 ||
	    sighex == NULL || strlen(sighex) != 2 * CRYPTO_SIG_LEN ||
	    crypto_unhex(sighex, sig, sizeof sig) != 0) {
		snprintf(err, errlen, "not a signed attestation "
			 "(needs exactly 'attestation' and a 128-hex-digit 'signature')");
		return ATTEST_EFORMAT;
	}
	if (check_form(att, err, errlen) != 0)
		return ATTEST_EFORMAT;
	if ((canon = jsonio_dump_canonical(att, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ATTEST_EFORMAT;
	}
	rc = crypto_ed25519_verify(pub, canon, len, sig);
	free(canon);
	if (rc != 0) {
		snprintf(err, errlen, "%s", attest_strerror(ATTEST_EBADSIG));
		return ATTEST_EBADSIG;
	}
	if (output_sha256)
		get_hash(json_object_get(att, "output"), output_sha256);
	return ATTEST_OK;
}

int
attest_verify_ring(const json_t *signed_att, const struct keyring *ring, time_t now,
		   uint8_t *output_sha256, char *err, size_t errlen)
{
	const char *hex = jsonio_str(json_object_get(signed_att, "attestation"),
				     "sanitizer_key", NULL);
	const struct keyring_key *k;
	char id[KEYRING_ID_LEN], until[TIMEFMT_LEN];
	uint8_t pub[32];
	int rc;

	if (hex == NULL || strlen(hex) != 64 || crypto_unhex(hex, pub, sizeof pub) != 0) {
		snprintf(err, errlen, "attestation has no 64-hex-digit 'sanitizer_key'");
		return ATTEST_EFORMAT;
	}
	keyring_key_id(KEYRING_ED25519, pub, id);
	if ((k = keyring_find(ring, id)) == NULL) {
		snprintf(err, errlen, "attestation is signed by key %s, which is not a sanitizer "
			 "key of this host (current %s)", id, ring->n ? ring->k[0].id : "none");
		return ATTEST_EKEY;
	}
	if ((rc = attest_verify(signed_att, k->key, output_sha256, err, errlen)) != ATTEST_OK)
		return rc;
	if (!keyring_usable(k, now)) {
		timefmt_utc(k->not_after, until);
		snprintf(err, errlen, "attestation is signed with retired sanitizer key %s, "
			 "whose overlap ended at %s", id, until);
		return ATTEST_EKEY;
	}
	return ATTEST_OK;
}

/* Is the file at fd the output a verified attestation names (want)? */
static int
check_file(const json_t *signed_att, const uint8_t want[32], int fd, char *err, size_t errlen)
{
	uint8_t got[32];
	long long size;
	struct stat st;

	jsonio_int(json_object_get(json_object_get(signed_att, "attestation"), "output"),
		   "size", 0, INT64_MAX, &size);
	if (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    crypto_sha256_fd(fd, got) != 0) {
		snprintf(err, errlen, "%s: %s", attest_strerror(ATTEST_EIO), strerror(errno));
		return ATTEST_EIO;
	}
	if ((long long)st.st_size != size || !crypto_memeq(want, got, 32)) {
		char hw[65], hg[65];

		crypto_hex(want, 32, hw);
		crypto_hex(got, 32, hg);
		snprintf(err, errlen, "file sha256 %s (%lld bytes) is not the attested output "
			 "%s (%lld bytes)", hg, (long long)st.st_size, hw, size);
		return ATTEST_EMISMATCH;
	}
	return ATTEST_OK;
}

int
attest_verify_fd(const json_t *signed_att, const uint8_t pub[32], int fd,
		 char *err, size_t errlen)
{
	uint8_t want[32];
	int rc;

	if ((rc = attest_verify(signed_att, pub, want, err, errlen)) != ATTEST_OK)
		return rc;
	return check_file(signed_att, want, fd, err, errlen);
}

int
attest_verify_fd_ring(const json_t *signed_att, const struct keyring *ring, time_t now, int fd,
		      char *err, size_t errlen)
{
	uint8_t want[32];
	int rc;

	if ((rc = attest_verify_ring(signed_att, ring, now, want, err, errlen)) != ATTEST_OK)
		return rc;
	return check_file(signed_att, want, fd, err, errlen);
}
