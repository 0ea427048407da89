/*
 * assemble.h — a submission becomes an uplink bundle.
 *
 * When the citizen submits, portald names the application (its id, tenant, form data)
 * and the uploads it references. Only sanitized can sign, so only here do the two
 * meet: every referenced upload must have a clean result with an attestation, and the
 * bundle carries exactly those outputs and attestations, never an original. The
 * bundle is written to the outbox atomically under the application's id; submitting
 * the same id again is a no-op, so portald may retry freely. An allowed zip upload
 * has no output of its own: each of its members is a file of the bundle, with the
 * attestation that names the zip and the member's path (attest.h).
 *
 * A reply to the office (補正・問合せへの回答, reply.h) is assembled the same way into a
 * bundle of kind "reply", and only for an application this sanitizer signed: every
 * application bundle leaves a marker RESULTS/.receipts/TENANT/RECEIPT (fsync'd before
 * the bundle is published), and a reply naming a 到達番号 without one is refused.
 */
#ifndef SEKISHO_SANITIZER_ASSEMBLE_H
#define SEKISHO_SANITIZER_ASSEMBLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring.h"

#include "spool.h"

#define ASSEMBLE_MAX_FILES 32		/* uploads a request names */
#define ASSEMBLE_MAX_BUNDLE_FILES 120	/* files in one bundle, each archive member
					 * counted: 2 members each (file, attestation)
					 * plus the form stay under bundle.h's 256 */

enum {
	ASSEMBLE_OK = 0,
	ASSEMBLE_EXISTS = 1,	/* already assembled (idempotent retry) */
	ASSEMBLE_EINVALID = -1,	/* the request is malformed */
	ASSEMBLE_ENOTCLEAN = -2,	/* an upload is unknown, pending or refused */
	ASSEMBLE_EIO = -3,
	ASSEMBLE_ENORECEIPT = -4,	/* a reply to an application never signed here */
	ASSEMBLE_EPENDING = -5,	/* an upload's text layer is still being made: retry */
};

#define ASSEMBLE_RECEIPTS_DIR ".receipts"	/* under results_dir; no upload id starts with '.' */

/* Build and sign the bundle described by req ({"id", "tenant", "application",
 * "procedure": {"definition", "signature"}, "files": [{"upload", "field",
 * "display_name"}]}) from results_dir into outbox, after formcheck_request has
 * validated its form data against the office-signed definition (office_keys: the
 * current office key, and retired ones in their overlap).
 * Returns a code above, with the reason in err (safe to show to portald). */
int assemble_bundle(const json_t *req, const char *results_dir, struct spool *outbox,
		    const uint8_t sign_key[32], const struct keyring *office_keys, char *err,
		    size_t errlen);

/* Build and sign the reply bundle described by req ({"kind": "reply", "id",
 * "tenant", "reply": data/reply.json (reply.h), "files": [{"upload", "display_name"}]})
 * from results_dir into outbox: only if the id is the reply's own, its receipt was
 * signed here as an application, and every file is a clean attested upload. */
int assemble_reply(const json_t *req, const char *results_dir, struct spool *outbox,
		   const uint8_t sign_key[32], char *err, size_t errlen);

#endif
