/*
 * fuzz_jsonio.c — every JSON document from outside goes through jsonio_parse. Whatever
 * the bytes, it must return a value or an error message, never crash, and a value it
 * returns must survive the canonical dump and parse back to an equal value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *v = jsonio_parse((const char *)data, size, 64 * 1024, JSONIO_MAX_DEPTH,
				 err, sizeof err);
	size_t len;
	char *canon;
	json_t *again;

	if (v == NULL) {
		if (err[0] == '\0')
			abort();	/* a refusal must say why */
		return 0;
	}
	canon = jsonio_dump_canonical(v, &len);
	if (canon == NULL)
		abort();
	again = jsonio_parse(canon, len, 1 << 20, JSONIO_MAX_DEPTH + 1, err, sizeof err);
	if (again == NULL || !json_equal(v, again))
		abort();
	json_decref(again);
	free(canon);
	json_decref(v);
	return 0;
}
