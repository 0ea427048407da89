/*
 * audit.h — what an auditor (監査) runs: re-verification of attestations and bundles
 * with nothing but the public keys, at any later time.
 */
#ifndef SEKISHOCTL_AUDIT_H
#define SEKISHOCTL_AUDIT_H

#include <stdint.h>

#include "instance.h"
#include "keyring.h"

/* sekishoctl audit verify-attestation [--key PUB] ATTESTATION FILE
 * sekishoctl audit verify-bundle [--direction uplink|downlink] [--key PUB] BUNDLE
 * Prints the verdict; returns the exit status (0 valid, 1 invalid, 2 usage). */
int audit_main(const struct instance *in, int argc, char **argv);

/* One tenant's stored applications (what verify-store does for each): each bundle
 * file exists, has the hash recorded at import, and still verifies (signature and
 * every attestation) with any key of keys, retired or not (KEYRING_ANY_TIME). Prints an OK/NG line per application; counts into *checked
 * and *bad. */
void audit_verify_tenant_store(const struct instance *in, const char *name,
			       const struct keyring *keys, unsigned *checked, unsigned *bad);

/* sekishoctl audit verify --tenant T [--anchor SEQ:HASH] [--key PUB]: the report an
 * auditor files (auditreport.c): the audit log's chain, every stored application's
 * bundle and every attachment against its attestation. 0 all OK, 1 any NG, 2 usage. */
int audit_verify_main(const struct instance *in, int argc, char **argv);

#endif
