/*
 * procfile.h — files a procedure offers: forms to download (様式) and images shown on
 * its page (a map, where to find a number on a card).
 *
 * Staff make them on LGWAN; they travel inside the office-signed catalogue bundle as
 * members files/<sha256>, and the definition lists them (member "files") with name,
 * title, type, size and SHA-256, so the procedure's own signature covers what each
 * file is. portald serves only what a definition lists, with the content type of its
 * declared type, never guessed from the bytes. The types are the few a municipal form
 * comes in; the bytes must start as that type does, so a mislabelled file is refused
 * where it is published.
 */
#ifndef SEKISHO_PROCFILE_H
#define SEKISHO_PROCFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PROCFILE_MAX        10			/* files per procedure */
#define PROCFILE_BYTES_MAX  (10 * 1024 * 1024)	/* per file */
#define PROCFILE_TOTAL_MAX  (30 * 1024 * 1024)	/* per procedure */
#define PROCFILE_NAME_MAX   100			/* characters of a file name */
#define PROCFILE_TITLE_MAX  100
#define PROCFILE_ALT_MAX    200

/* The Content-Type of a declared type ("pdf", "docx", "xlsx", "doc", "xls", "odt",
 * "ods", "png", "jpeg"), or NULL for any other. */
const char *procfile_content_type(const char *type);

/* The type of a file called name whose bytes are data: by the name's extension,
 * confirmed by the bytes' signature. NULL when unknown or when the two disagree. */
const char *procfile_type_of(const char *name, const uint8_t *data, size_t len);

/* Check a definition's "files" (NULL is none). 0, or -1 with "files[N].member: why". */
int procfile_check(const json_t *files, char *err, size_t errlen);

/* The bundle member that carries a file: "files/" + sha256 (out: 72 bytes). */
void procfile_member(const char *sha256_hex, char out[72]);

#endif
