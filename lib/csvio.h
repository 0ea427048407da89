/*
 * csvio.h — CSV files from and for office software (Excel in Japanese offices).
 *
 * Input is operator or staff supplied and treated as hostile: size, record count,
 * field count and field length are bounded, and the bytes must be one of the two
 * encodings Japanese offices produce — UTF-8 (with or without BOM) or Shift_JIS as
 * Windows writes it (CP932) — decided by content, never by a claim. Everything
 * after csvio_to_utf8 is UTF-8 without NUL bytes. Records follow RFC 4180 (quoted
 * fields, "" for a quote, CRLF or LF); a malformed record is an error naming its
 * record number, never guessed at.
 *
 * Output quotes every field that needs it and, for text a person will open in a
 * spreadsheet, neutralises cells that would start a formula (CSV injection).
 */
#ifndef SEKISHO_CSVIO_H
#define SEKISHO_CSVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CSVIO_MAX_BYTES   (32 * 1024 * 1024)	/* 12,000 staff are ~1 MiB */
#define CSVIO_MAX_FIELDS  64
#define CSVIO_MAX_FIELD   4096			/* bytes of one field after unquoting */

enum csvio_encoding {
	CSVIO_UTF8 = 0,
	CSVIO_UTF8_BOM,
	CSVIO_CP932,
};

/* "UTF-8", "UTF-8 (BOM)", "Shift_JIS (CP932)". */
const char *csvio_encoding_name(enum csvio_encoding e);

/* Decide the encoding of len bytes at buf and return them as UTF-8 (BOM removed) in
 * a new NUL-terminated buffer (*out, free()d by the caller; *outlen excludes the
 * NUL). 0, or -1 with a Japanese reason in err (too large, NUL bytes, neither
 * UTF-8 nor CP932). */
int csvio_to_utf8(const char *buf, size_t len, char **out, size_t *outlen,
		  enum csvio_encoding *enc, char *err, size_t errlen);

/* 1 if len bytes at s are well-formed UTF-8 (no overlongs, surrogates or NUL). */
int csvio_utf8_valid(const char *s, size_t len);

/* A reader over a UTF-8 buffer it may modify (fields are unquoted in place); the
 * byte at buf[len] must exist and be NUL, as csvio_to_utf8 gives. */
struct csvio_reader {
	char *p, *end;
	size_t record;		/* number of the record last returned, 1-based */
};

void csvio_reader_init(struct csvio_reader *r, char *buf, size_t len);

/* The next record: up to max field pointers into the buffer (NUL-terminated) in
 * fields, their count in *n. Blank lines are counted but skipped. 1 for a record,
 * 0 at the end, -1 with a Japanese reason (naming the record) in err. */
int csvio_next(struct csvio_reader *r, char **fields, size_t max, size_t *n,
	       char *err, size_t errlen);

/* Write one field, quoted when needed, then "," or (last) "\r\n". With
 * spreadsheet_safe, a value starting with = + - @ TAB or CR gets a leading "'" so
 * that Excel shows it as text instead of running it. 0 or -1 (write error). */
int csvio_write_field(FILE *f, const char *s, bool last, bool spreadsheet_safe);

#endif
