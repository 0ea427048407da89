/*
 * fuzz_unpack_parse.c — the parser of the member stream a sandboxed unzip child
 * writes (unpack.h), on arbitrary bytes.
 *
 * The child runs libarchive on a hostile zip, so its output is hostile too. Whatever
 * the bytes, unpack_parse must stay in bounds and, when it accepts, give at most
 * max members, each with a name that passes unpack_path_ok, data inside the buffer
 * and sizes within the limits. Small limits keep runs fast. Seeds:
 * tests/fuzz/corpus/fuzz_unpack_parse/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unpack.h"

#define FUZZ_UNPACK_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unpack_limits lim = { .max_input = 1u << 20, .max_members = FUZZ_UNPACK_MAX,
				     .max_member = 4096, .max_total = 8192, .max_ratio = 100 };
	struct unpack_member m[FUZZ_UNPACK_MAX];
	uint64_t total = 0;
	uint32_t n = 0, i;
	int rc = unpack_parse(data, size, &lim, m, FUZZ_UNPACK_MAX, &n);

	if (rc != UNPACK_OK) {
		if (rc != UNPACK_EFORMAT && rc != UNPACK_ETRUNCATED && rc != UNPACK_ELIMIT)
			abort();
		return 0;
	}
	if (n > FUZZ_UNPACK_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (!unpack_path_ok(m[i].name, strlen(m[i].name)) || m[i].size > lim.max_member ||
		    m[i].data < data || m[i].data + m[i].size > data + size)
			abort();
		total += m[i].size;
	}
	if (total > lim.max_total)
		abort();
	/* Also the path check alone on the raw bytes. */
	(void)unpack_path_ok((const char *)data, size);
	return 0;
}
