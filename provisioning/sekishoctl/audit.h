/*
 * audit.h — what an auditor (監査) runs: re-verification of attestations and bundles
 * with nothing but the public keys, at any later time.
 */
#ifndef SEKISHOCTL_AUDIT_H
#define SEKISHOCTL_AUDIT_H

#include "instance.h"

/* sekishoctl audit verify-attestation [--key PUB] ATTESTATION FILE
 * sekishoctl audit verify-bundle [--direction uplink|downlink] [--key PUB] BUNDLE
 * Prints the verdict; returns the exit status (0 valid, 1 invalid, 2 usage). */
int audit_main(const struct instance *in, int argc, char **argv);

#endif
