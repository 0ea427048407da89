/*
 * formcheck.h — the sanitizer validates form data itself before it signs.
 *
 * The auditor's invariant admits into LGWAN only form data validated against the
 * published schema. portald validates too, but portald faces the internet; the
 * sanitizer, the only holder of the bundle-signing key, must not sign what it has not
 * checked. So a bundle request carries the procedure definition with the office's
 * signature (procsig.h), and here: the signature is verified, the definition must be
 * the one the application names, the answers must pass the one form validator
 * unchanged (already normalised), and the files must be exactly those the answers
 * reference, each in the field that references it.
 */
#ifndef SEKISHO_SANITIZER_FORMCHECK_H
#define SEKISHO_SANITIZER_FORMCHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring.h"

/* Check bundle request req (assemble.h, with "procedure": {"definition",
 * "signature"}) against the office's public key. 0 if its form data may be signed,
 * else -1 with the reason (for portald's log, not the citizen) in err. */
int formcheck_request(const json_t *req, const struct keyring *office_keys, char *err,
		      size_t errlen);

#endif
