/*
 * office_export.h — applications out of officed for the staff: a CSV of chosen
 * columns (a whitelist, answer fields included) in UTF-8 with BOM or in CP932 for
 * the spreadsheets of a Japanese office, and the attachments as a zip named by
 * receipt number. Both are written to an unlinked temporary file and streamed from
 * it, bounded in rows and bytes; both pass office_authz_begin, a clerk's are
 * limited to their departments, and each export is in the audit log.
 */
#ifndef SEKISHO_OFFICE_EXPORT_H
#define SEKISHO_OFFICE_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "http.h"

#define EXPORT_COLUMNS_MAX   64			/* columns of one CSV */
#define EXPORT_ROWS_MAX      100000		/* rows of one CSV */
#define EXPORT_ZIP_APPS_MAX  1000		/* applications in one zip */
#define EXPORT_ZIP_BYTES_MAX (4LL * 1024 * 1024 * 1024)	/* file bytes in one zip */
#define EXPORT_NAME_MAX      96			/* bytes of a file name in the zip */
#define EXPORT_REPLACED_KEEP 16			/* distinct replaced characters reported */
#define EXPORT_CP932_REPLACEMENT "\x81\xAC"	/* 〓 (geta): the customary mark */

/* What a CP932 conversion had to replace. */
struct export_replaced {
	uint64_t count;				/* characters replaced */
	size_t ndistinct;
	uint32_t distinct[EXPORT_REPLACED_KEEP];	/* code points, first seen first */
};

/* Write the UTF-8 text in (len bytes) to out in CP932, replacing each character
 * CP932 has not by 〓 and noting it in rep (which the caller zeroes once per
 * export). 0, or -1 if in is not UTF-8 or out fails. */
int export_write_cp932(FILE *out, const char *in, size_t len, struct export_replaced *rep);

/* A zip member name from what the applicant called a file: no path separators,
 * control characters or leading dots, at most EXPORT_NAME_MAX bytes of whole UTF-8
 * characters, ending in ".type". */
void export_file_name(const char *display_name, const char *type, char *out, size_t outlen);

struct officed;

/* An unlinked temporary file in officed's upload directory (the service's writable
 * disk; nothing else can open it), for a reply streamed with http_reply_fd. An open
 * descriptor, or -1. */
int office_export_spill(struct officed *o);

void office_handle_export_columns(struct http_request *req, void *app);
void office_handle_export_csv(struct http_request *req, void *app);
void office_handle_export_zip(struct http_request *req, void *app);

#endif
