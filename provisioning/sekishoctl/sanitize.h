/*
 * sanitize.h — `sekishoctl sanitize`: the sanitizer's pipeline on one file, for
 * operators, auditors and tests, with the same verdicts the service gives.
 */
#ifndef SEKISHOCTL_SANITIZE_H
#define SEKISHOCTL_SANITIZE_H

#include "instance.h"

/* sekishoctl sanitize [--dpi N] [--db DIR] [--key PRIVKEY] [--policy NAME] IN OUT
 * Prints one JSON object on stdout; returns the exit status: 0 clean (OUT and
 * OUT.attestation.json written), 3 rejected (OUT not created), 1 internal error,
 * 2 usage. */
int sanitize_main(const struct instance *in, int argc, char **argv);

#endif
