/*
 * fuzz_csvio.c — a staff CSV (upload or file) is decoded and split by csvio. Whatever
 * the bytes: the encoding is decided or refused with a reason, the UTF-8 it returns is
 * well formed, every record has at most CSVIO_MAX_FIELDS fields each within
 * CSVIO_MAX_FIELD bytes, a refusal says why, and a field written back with the
 * spreadsheet-safe writer reads back the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum csvio_encoding enc;
	struct csvio_reader r;
	char *utf8 = NULL, *fields[CSVIO_MAX_FIELDS], err[256] = "";
	size_t len = 0, n;
	int rc, records = 0;

	if (size > 1 << 20)
		return 0;
	if (csvio_to_utf8((const char *)data, size, &utf8, &len, &enc, err, sizeof err) != 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (!csvio_utf8_valid(utf8, len))
		abort();
	csvio_reader_init(&r, utf8, len);
	while ((rc = csvio_next(&r, fields, CSVIO_MAX_FIELDS, &n, err, sizeof err)) > 0 &&
	       records++ < 100000) {
		if (n > CSVIO_MAX_FIELDS)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (strlen(fields[i]) > CSVIO_MAX_FIELD)
				abort();
			/* Written back (quoted as needed) and read again: the same text. */
			/* (A lone empty field is a blank line, which readers skip.) */
			if (i == 0 && fields[i][0] != '\0') {
				char *buf = NULL, *back[2];
				size_t blen = 0, bn;
				struct csvio_reader rr;
				FILE *f = open_memstream(&buf, &blen);

				if (f == NULL)
					abort();
				csvio_write_field(f, fields[i], true, false);
				fclose(f);
				csvio_reader_init(&rr, buf, blen);
				if (csvio_next(&rr, back, 2, &bn, err, sizeof err) <= 0 || bn != 1 ||
				    strcmp(back[0], fields[i]) != 0)
					abort();
				free(buf);
			}
		}
	}
	if (rc < 0 && err[0] == '\0')
		abort();
	free(utf8);
	return 0;
}
