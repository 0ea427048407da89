/*
 * fuzz_spool_id.c — spool_valid_id on arbitrary bytes.
 *
 * An id is joined to a spool directory by openat/renameat, so an accepted id must
 * be one path component that is not "." or ".." and not hidden: no '/', no
 * leading '.', no NUL inside, at most SPOOL_ID_MAX bytes, only [A-Za-z0-9_.-].
 * The input is copied into an exactly-sized, NUL-terminated buffer so that ASan
 * catches any read past the id's end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *id;
	size_t len, i;

	if ((id = malloc(size + 1)) == NULL)
		return 0;
	memcpy(id, data, size);
	id[size] = '\0';
	if (spool_valid_id(id)) {
		len = strlen(id);
		if (len == 0 || len > SPOOL_ID_MAX || id[0] == '.' ||
		    strchr(id, '/') != NULL)
			abort();
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)id[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
				abort();
		}
	}
	free(id);
	return 0;
}
