/*
 * bundle.h — the unit that crosses a one-way link: a signed tar.
 *
 * A bundle is a POSIX (pax) tar, readable with the tar command, whose first member
 * is manifest.json, second manifest.sig (a raw 64-byte Ed25519 signature over the
 * exact bytes of manifest.json), then every member the manifest lists, in its order,
 * with its size and SHA-256. An uplink bundle (kind "application") is signed by the
 * sanitizer and every file in it carries a sanitizer attestation; a downlink bundle
 * is signed by the office. The format is specified in docs/bundle-format.md.
 *
 * bundle_verify_fd is the gate bridge-rx and officed both pass every bundle through:
 * it reads the tar once, as a stream, bounds every count and size before reading
 * further, checks the signature before trusting the manifest, and refuses any member
 * that is not listed, not a regular file, or not what the manifest says.
 */
#ifndef SEKISHO_BUNDLE_H
#define SEKISHO_BUNDLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyring.h"

#define BUNDLE_FORMAT         "sekisho-bundle/1"
#define BUNDLE_MANIFEST_MAX   (1024 * 1024)	/* manifest.json */
#define BUNDLE_JSON_MAX       (4 * 1024 * 1024)	/* any .json member (form data) */
#define BUNDLE_NAME_MAX       100		/* fits a ustar name without pax */
#define BUNDLE_MEMBER_READ_MAX (16 * 1024 * 1024)	/* a member read whole into memory */

struct bundle_limits {
	unsigned max_members;		/* besides manifest.json and manifest.sig */
	uint64_t max_member_bytes;
	uint64_t max_total_bytes;
};

/* 256 members, 100 MiB per member, 512 MiB per bundle. */
void bundle_limits_default(struct bundle_limits *lim);

enum {
	BUNDLE_OK = 0,
	BUNDLE_EFORMAT = -1,	/* not a well-formed bundle */
	BUNDLE_EBADSIG = -2,	/* manifest signature does not verify */
	BUNDLE_EHASH = -3,	/* a member is not what the manifest says */
	BUNDLE_EUNATTESTED = -4,	/* a file without a valid sanitizer attestation */
	BUNDLE_ELIMIT = -5,	/* over a count or size limit */
	BUNDLE_EIO = -6,
	BUNDLE_ENOMEM = -7,
	BUNDLE_EKEYRETIRED = -8,	/* signed with a retired key past its overlap */
};

const char *bundle_strerror(int rc);

/* --- writing (sanitized: uplink; officed: downlink) --- */

struct bundle_writer;

/* A new bundle with id (a spool id), tenant and kind ("application", "receipt",
 * "status", ...). NULL if an argument is invalid. */
struct bundle_writer *bundle_writer_new(const char *id, const char *tenant, const char *kind);

/* Add a JSON member (its canonical bytes). 0, or a BUNDLE_E* code. */
int bundle_writer_add_json(struct bundle_writer *w, const char *name, const json_t *v);

/* Add a file member, read from path when the bundle is written (hashed now). */
int bundle_writer_add_file(struct bundle_writer *w, const char *name, const char *path);

/* Add a member with a copy of the len bytes at data (an issued document, say). */
int bundle_writer_add_bytes(struct bundle_writer *w, const char *name, const void *data,
			    size_t len);

/* Add a sanitized file with its signed attestation: members files/N and
 * attestations/N.json, and an entry in the manifest's "files" list carrying meta
 * (e.g. {"field": "attachment", "display_name": "住民票.pdf"}; may be NULL). */
int bundle_writer_add_attested(struct bundle_writer *w, const char *file_name,
			       const char *path, const json_t *signed_attestation,
			       const json_t *meta);

/* Sign the manifest with priv and write the tar to fd. 0, or a code with err. */
int bundle_writer_write(struct bundle_writer *w, int fd, const uint8_t priv[32],
			char *err, size_t errlen);

void bundle_writer_free(struct bundle_writer *w);

/* --- verifying (bridge-rx, officed, audit) --- */

struct bundle_check {
	const uint8_t *signer_pub;	/* the key the manifest must be signed with */
	const uint8_t *attest_pub;	/* if set, every files/ member needs an attestation
					   signed with this key whose output is that member */
	/* Rings instead of single keys (after a rotation, keyring.h): when set they take
	 * the place of signer_pub / attest_pub. A retired key counts only while usable at
	 * now (0: the time of the call; KEYRING_ANY_TIME: the auditor's "ever"). */
	const struct keyring *signer_ring;
	const struct keyring *attest_ring;
	time_t now;
	struct bundle_limits limits;
};

struct bundle_info {
	json_t *manifest;		/* the verified manifest */
	json_t *application;		/* application.json when present, else NULL */
	json_t *data;			/* {"data/NAME.json": parsed, ...} for data/ JSON */
	json_t *attestations;		/* {"attestations/NAME.json": parsed, ...} */
	char id[129];
	char tenant[33];
	char kind[33];
};

/* Verify the bundle read from fd (from its current offset). On success fills info
 * (free with bundle_info_free); on failure returns a code with the reason and the
 * offending member in err. */
int bundle_verify_fd(int fd, const struct bundle_check *chk, struct bundle_info *info,
		     char *err, size_t errlen);

void bundle_info_free(struct bundle_info *info);

/* Read member name of the bundle at path (verified before, by bundle_verify_fd) into
 * *buf (malloc'd, size bytes, NUL after them), if it has exactly that size and its
 * SHA-256 is want_hex — checked again here because the file is read a second time.
 * 0, or -1 with err. */
int bundle_read_member(const char *path, const char *name, const char *want_hex,
		       long long size, char **buf, char *err, size_t errlen);

/* 1 if name is a valid member name: "application.json", or DIR/NAME with DIR one of
 * files, attestations, data and NAME of [A-Za-z0-9._-], not starting with '.'. */
int bundle_member_name_valid(const char *name);

#endif
