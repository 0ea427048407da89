/*
 * attest.h — the sanitizer's attestation: its signed statement that one output file
 * is what it made from one input file.
 *
 * This is what makes the auditor's invariant checkable. The attestation names the
 * input and output by SHA-256, says how the output was made (type, method, policy,
 * engine and signature-database versions) and is signed with the sanitizer's Ed25519
 * key, which only sekisho-sanitized can read. Anyone holding the public key —
 * bridge-rx, officed, an auditor with the openssl command — can check that a stored
 * file is exactly a sanitizer output.
 *
 * On disk an attestation is a JSON object {"attestation": {...}, "signature": HEX}
 * where the signature is over the canonical form (jsonio_dump_canonical) of the
 * "attestation" member. The format is described in docs/bundle-format.md.
 */
#ifndef SEKISHO_ATTEST_H
#define SEKISHO_ATTEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyring.h"

#define ATTEST_FORMAT "sekisho-attestation/1"
#define ATTEST_MAX_BYTES (64 * 1024)	/* an attestation is a page of JSON */

#define ATTEST_MEMBER_MAX 255	/* an archive member's path (unpack.h's bound) */

/* Where a file came from when it was one member of an uploaded zip: the zip (the
 * upload the citizen sent) by its SHA-256 and size, and the member by its path in
 * the zip and its place (from 1, in zip order). Recorded as "archive" in the
 * attestation, so an auditor can tie each member's output to the upload. */
struct attest_origin {
	uint8_t sha256[32];
	uint64_t size;
	const char *member;
	uint32_t index;
};

/* What the sanitizer states about one file. Strings must be non-NULL. */
struct attest_fields {
	uint8_t input_sha256[32];
	uint64_t input_size;
	const char *input_type;		/* detected by content: "pdf", "jpeg", ... */
	uint8_t output_sha256[32];
	uint64_t output_size;
	const char *output_type;	/* "pdf", "png", ... */
	const char *method;		/* "pdf-render", "image-reencode", ... */
	const char *policy;		/* the procedure's sanitizer policy name */
	json_t *engines;		/* borrowed: {"clamav": "1.4.6", "mupdf": ...} */
	const char *scan_input;		/* "clean" */
	const char *scan_output;	/* "clean" */
	const struct attest_origin *origin;	/* NULL, or the archive it was a member of */
};

enum {
	ATTEST_OK = 0,
	ATTEST_EFORMAT = -1,	/* not an attestation of this format */
	ATTEST_EBADSIG = -2,	/* the signature does not verify with the key */
	ATTEST_EMISMATCH = -3,	/* the file is not the attested output */
	ATTEST_EIO = -4,	/* the file could not be read */
	ATTEST_EKEY = -5,	/* signed by a key not in the ring, or past its overlap */
};

const char *attest_strerror(int rc);

/* Build and sign an attestation; returns the signed object (new reference) or NULL.
 * The time of signing is recorded in UTC. */
json_t *attest_sign(const struct attest_fields *f, const uint8_t priv[32]);

/* Check an attestation's form and signature with the sanitizer's public key. On
 * success, *output_sha256 (32 bytes) gets the attested output hash if not NULL. */
int attest_verify(const json_t *signed_att, const uint8_t pub[32], uint8_t *output_sha256,
		  char *err, size_t errlen);

/* attest_verify with the key of ring whose id is that of the attestation's
 * "sanitizer_key"; a retired key only while keyring_usable at now (KEYRING_ANY_TIME for
 * the auditor). A key outside the ring or past its overlap gives ATTEST_EKEY with the
 * key id in err. */
int attest_verify_ring(const json_t *signed_att, const struct keyring *ring, time_t now,
		       uint8_t *output_sha256, char *err, size_t errlen);

/* attest_verify, then check that the file at fd (read from its start) is the attested
 * output: its SHA-256 and size match. */
int attest_verify_fd(const json_t *signed_att, const uint8_t pub[32], int fd,
		     char *err, size_t errlen);

/* The same with attest_verify_ring. */
int attest_verify_fd_ring(const json_t *signed_att, const struct keyring *ring, time_t now,
			  int fd, char *err, size_t errlen);

/* 1 if member is a path an attestation may name as an archive member: 1..255 bytes,
 * relative, no ".." component, no backslash or control character (the rules
 * unpack_child applies to a zip's member names). */
int attest_member_path_valid(const char *member);

#endif
