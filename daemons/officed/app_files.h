/*
 * app_files.h — an application's attachments as stored at import: the manifest's
 * "files" list (numbered from 1) and the bytes in the stored bundle, served only
 * if they still hash to what the import-verified manifest says.
 */
#ifndef SEKISHO_OFFICE_APP_FILES_H
#define SEKISHO_OFFICE_APP_FILES_H

#include <jansson.h>
#include <stddef.h>

#define APP_FILES_MEMBER_MAX (100LL * 1024 * 1024)	/* a bundle member (bundle.h) */

struct app_file {
	long n;				/* 1.. in the manifest's order */
	const char *member;		/* "files/1.pdf"; borrowed from the manifest */
	const char *display_name;	/* what the applicant called it ("" if nothing) */
	const char *field;
	const char *type;		/* the member's extension: "pdf", "png" */
	const char *sha256;		/* hex, as the verified manifest lists it */
	long long size;
	long long pages;		/* -1 if the bundle does not say */
};

/* Entry n (from 1) of the manifest's files with its member's hash and size. 0, or
 * -1 if there is no such file. */
int app_files_entry(const json_t *manifest, long n, struct app_file *f);

/* The number of files the manifest lists. */
size_t app_files_count(const json_t *manifest);

/* Read f's member of the stored tar at bundle_path into *buf (*len; free()d by the
 * caller), checking its size and SHA-256. 0; 1 if absent or not what the manifest
 * says (the store was changed); -1 on I/O. Takes no lock: call without one. */
int app_files_read(const char *bundle_path, const struct app_file *f, char **buf,
		   size_t *len);

/* "application/pdf", "image/png", "image/jpeg", "text/plain; charset=utf-8" (txt) and
 * "text/csv; charset=utf-8" for the types the sanitizer makes, else NULL (served as a
 * download). */
const char *app_files_content_type(const char *type);

#endif
