/*
 * fuzz_scanproc.c — what each side of the scanner connection checks before it
 * believes the other: the parent's check of a reply (from the scanner, which parses
 * hostile files) and the scanner's check of its hello, on arbitrary bytes.
 *
 * A reply that is accepted must carry a known verdict and a terminated name; a hello
 * that is accepted must name two absolute, terminated paths. The first byte picks
 * the check. Seeds: tests/fuzz/corpus/fuzz_scanproc/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanproc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scanproc_reply r;
	struct scan_result res;
	const struct scanproc_hello *h;
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* Exact-size copies, so that ASan sees any read past the message. */
	if ((copy = malloc(size - 1 > 0 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1) {
		if (scanproc_reply_decode(copy, size - 1, &r, &res) == 0 &&
		    (res.verdict > SCAN_ERROR || strnlen(res.name, sizeof res.name) ==
		     sizeof res.name))
			abort();
	} else if (scanproc_hello_check(copy, size - 1) == 0) {
		h = (const struct scanproc_hello *)copy;
		if (h->dbdir[0] != '/' || h->tmpdir[0] != '/' ||
		    strnlen(h->dbdir, sizeof h->dbdir) == sizeof h->dbdir ||
		    strnlen(h->tmpdir, sizeof h->tmpdir) == sizeof h->tmpdir)
			abort();
	}
	free(copy);
	return 0;
}
