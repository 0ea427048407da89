/*
 * fuzz_export.c — what an applicant wrote reaches exports: answers through the CP932
 * writer, file names through the zip's member names. Whatever the bytes: the CP932
 * writer refuses what is not UTF-8 and otherwise writes only CP932 (it decodes back
 * with iconv), with at most as many replacements as characters; a member name has
 * no '/', '\\' or control character, does not start with '.', fits its bound, is
 * UTF-8, and ends in the type given.
 */
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "office_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cp932(const char *in, size_t len)
{
	struct export_replaced rep = { 0 };
	char *buf = NULL;
	size_t blen = 0, chars = 0;
	FILE *f = open_memstream(&buf, &blen);
	int rc;

	if (f == NULL)
		return;
	rc = export_write_cp932(f, in, len, &rep);
	fclose(f);
	if (rc != 0) {
		if (csvio_utf8_valid(in, len))
			abort();	/* valid UTF-8 is always written */
		free(buf);
		return;
	}
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)in[i] & 0xC0) != 0x80;
	if (rep.count > chars || rep.ndistinct > EXPORT_REPLACED_KEEP)
		abort();
	{
		/* The output is CP932 through and through. */
		iconv_t cd = iconv_open("UTF-8", "CP932");
		char *ip = buf, out[256];
		size_t left = blen;

		while (left > 0) {
			char *op = out;
			size_t oleft = sizeof out;

			if (iconv(cd, &ip, &left, &op, &oleft) == (size_t)-1 && oleft == sizeof out)
				abort();
		}
		iconv_close(cd);
	}
	free(buf);
}

static void
check_name(const char *in, size_t len)
{
	char name[EXPORT_NAME_MAX + 16], *s = malloc(len + 1);
	size_t n;

	if (s == NULL)
		return;
	memcpy(s, in, len);
	s[len] = '\0';
	export_file_name(s, "pdf", name, sizeof name);
	n = strlen(name);
	if (n > EXPORT_NAME_MAX + 4 || n < 5 || strcmp(name + n - 4, ".pdf") != 0 ||
	    name[0] == '.' || strchr(name, '/') || strchr(name, '\\') ||
	    !csvio_utf8_valid(name, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
			abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	check_cp932((const char *)data, size);
	check_name((const char *)data, size);
	return 0;
}
