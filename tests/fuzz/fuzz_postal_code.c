/*
 * fuzz_postal_code.c — every postal code a citizen types goes through
 * postal_normalize before a query. Whatever the bytes, it must never crash or read
 * past them, and what it accepts must be exactly seven ASCII digits that normalise
 * to themselves, also in Japan Post's printed form "123-4567".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[POSTAL_CODE_LEN + 1], again[POSTAL_CODE_LEN + 1], shown[16];
	char *copy;
	size_t i;
	int rc;

	/* An exact-size copy, so ASan sees any read past the input. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = postal_normalize(copy, size, out);
	free(copy);
	if (rc != POSTAL_OK) {
		if (rc != POSTAL_EBADCODE || out[0] != '\0')
			abort();
		return 0;
	}
	if (size > POSTAL_INPUT_MAX || strlen(out) != POSTAL_CODE_LEN)
		abort();
	for (i = 0; i < POSTAL_CODE_LEN; i++)
		if (out[i] < '0' || out[i] > '9')
			abort();
	if (postal_normalize(out, POSTAL_CODE_LEN, again) != POSTAL_OK ||
	    strcmp(out, again) != 0)
		abort();
	snprintf(shown, sizeof(shown), "%.3s-%.4s", out, out + 3);
	if (postal_normalize(shown, strlen(shown), again) != POSTAL_OK ||
	    strcmp(out, again) != 0)
		abort();
	return 0;
}
