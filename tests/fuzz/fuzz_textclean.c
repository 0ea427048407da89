/*
 * fuzz_textclean.c — a citizen's text or CSV through textclean, both encodings.
 * Whatever the bytes: a refusal says why, the output is strict UTF-8 with none of
 * the characters textclean removes, and cleaning the output again gives the same
 * bytes with nothing counted (the pipeline's parent relies on that fixed point).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textclean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *data, size_t size, enum textclean_encoding enc, iconv_t cd)
{
	struct textclean_report rep, rep2;
	uint8_t *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0, i;
	int rc;

	rc = textclean_run(data, size, enc, cd, &out, &len, &rep);
	if (rc != TEXTCLEAN_OK) {
		if (out != NULL || len != 0 || strcmp(textclean_strerror(rc), "unknown error") == 0)
			abort();
		return;
	}
	if (!textclean_utf8_valid(out, len) || (len > 0) != (out != NULL))
		abort();
	if (len >= 3 && memcmp(out, "\xef\xbb\xbf", 3) == 0)
		abort();
	for (i = 0; i < len; i++)
		if ((out[i] < 0x20 && out[i] != '\t' && out[i] != '\n' && out[i] != '\r') ||
		    out[i] == 0x7f)
			abort();
	if (textclean_run(out, len, TEXTCLEAN_UTF8, (iconv_t)-1, &out2, &len2, &rep2) != TEXTCLEAN_OK ||
	    len2 != len || (len > 0 && memcmp(out, out2, len) != 0) || rep2.kind != rep.kind ||
	    rep2.csv_cells + rep2.c0 + rep2.del + rep2.c1 + rep2.bidi + rep2.bom + rep2.feff != 0)
		abort();
	if (textclean_check(out, len, &rep2) != TEXTCLEAN_OK || rep2.kind != rep.kind)
		abort();
	free(out);
	free(out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static iconv_t cd = (iconv_t)-1;

	if (size > 1 << 20)
		return 0;
	/* One descriptor for the run, as the sandboxed child opens one before its filter. */
	if (cd == (iconv_t)-1 && (cd = iconv_open("UTF-8", "CP932")) == (iconv_t)-1)
		abort();
	check(data, size, TEXTCLEAN_UTF8, (iconv_t)-1);
	check(data, size, TEXTCLEAN_CP932, cd);
	return 0;
}
