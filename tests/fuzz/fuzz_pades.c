/*
 * fuzz_pades.c — PDFs uploaded by the office reach pades_check and pades_sign. Whatever
 * the bytes, the check must return 0 or a reason and never read outside the buffer;
 * what it accepts must sign, and the signed file must begin with the input unchanged
 * (an incremental update never rewrites) and pass the check's refusal of a second
 * signature.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certs.h"
#include "pades.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One signer for the whole run: a key made once in a private directory. */
static struct pades_signer *
signer(void)
{
	static struct pades_signer *s;
	char dir[] = "/tmp/fuzz_pades.XXXXXX", key[64], crt[64], err[256];

	if (s != NULL)
		return s;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(key, sizeof key, "%s/k.pem", dir);
	snprintf(crt, sizeof crt, "%s/c.pem", dir);
	if (certs_make_self_signed(CERT_DOC_SIGNING, "fuzz", 1, key, crt, err, sizeof err) != 0 ||
	    pades_signer_load(&s, key, crt, err, sizeof err) != 0)
		abort();
	unlink(key);
	unlink(crt);
	rmdir(dir);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	uint8_t *out, *copy;
	size_t outlen;

	/* An exact-size copy, so that a read past the end is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (pades_check(copy, size, err, sizeof err) != 0) {
		if (err[0] == '\0')
			abort();	/* a refusal must say why */
		free(copy);
		return 0;
	}
	if (pades_sign(signer(), copy, size, 1795000000, &out, &outlen, err, sizeof err) != 0)
		abort();	/* checked, then not signable: the two disagree */
	if (outlen <= size || memcmp(out, copy, size) != 0)
		abort();
	if (pades_check(out, outlen, err, sizeof err) == 0)
		abort();	/* it has a signature field now */
	free(out);
	free(copy);
	return 0;
}
