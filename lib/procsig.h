/*
 * procsig.h — the office's signature on a published procedure definition.
 *
 * The auditor's invariant admits form data into LGWAN only if it was validated
 * against the published schema. The sanitizer validates it before it signs a bundle,
 * but it gets the definition from portald, which faces the internet; so each
 * definition carries the office's Ed25519 signature, made when it is published, over
 * the canonical JSON of {"format": "sekisho-procedure/1", "tenant": T, "procedure": D}.
 * Binding the tenant means a definition of one municipality cannot be passed off as
 * another's. portald verifies it when a catalogue arrives, the sanitizer before
 * validating answers against it.
 */
#ifndef SEKISHO_PROCSIG_H
#define SEKISHO_PROCSIG_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "keyring.h"

#define PROCSIG_FORMAT  "sekisho-procedure/1"
#define PROCSIG_HEX_LEN 128

/* Sign definition def of tenant with the office's private key into hex (129 bytes
 * with the NUL). 0 or -1. */
int procsig_sign(const uint8_t priv[32], const char *tenant, const json_t *def,
		 char hex[PROCSIG_HEX_LEN + 1]);

/* 1 if hex is the office's signature (pub) of def for tenant, else 0. */
int procsig_verify(const uint8_t pub[32], const char *tenant, const json_t *def,
		   const char *hex);

/* procsig_verify with each key of ring usable at now (keyring.h): a definition
 * published before the office key was rotated stays valid until the overlap ends, by
 * which time it must have been published again (signed with the new key). */
int procsig_verify_ring(const struct keyring *ring, time_t now, const char *tenant,
			const json_t *def, const char *hex);

/* The key of a definition in a catalogue's "signatures" map: "ID/VERSION". 0, or -1
 * if def has no valid id and version. */
int procsig_key(const json_t *def, char *out, size_t outlen);

#endif
