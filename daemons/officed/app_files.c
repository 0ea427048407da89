/*
 * app_files.c — attachments from the stored bundle (see app_files.h).
 *
 * The manifest stored with the application was verified at import (signature and
 * every attestation); `sekishoctl audit verify` re-verifies the bundle whole. Here a
 * member is read and compared with the manifest's SHA-256 before any byte is
 * handed out, so a stored tar changed since import is refused, never served.
 */
#include "app_files.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jsonio.h"

size_t
app_files_count(const json_t *manifest)
{
	return json_array_size(json_object_get(manifest, "files"));
}

int
app_files_entry(const json_t *manifest, long n, struct app_file *f)
{
	const json_t *e, *m;
	const char *dot;
	size_t i;

	memset(f, 0, sizeof *f);
	f->size = -1;
	f->pages = -1;
	if (n < 1 || (e = json_array_get(json_object_get(manifest, "files"), (size_t)(n - 1))) == NULL ||
	    (f->member = jsonio_str(e, "file", NULL)) == NULL)
		return -1;
	f->n = n;
	f->display_name = jsonio_str(e, "display_name", "");
	f->field = jsonio_str(e, "field", "");
	dot = strrchr(f->member, '.');
	f->type = dot ? dot + 1 : "";
	jsonio_int(e, "pages", 0, 1000000, &f->pages);
	json_array_foreach(json_object_get(manifest, "members"), i, m)
		if (strcmp(jsonio_str(m, "name", ""), f->member) == 0) {
			f->sha256 = jsonio_str(m, "sha256", NULL);
			jsonio_int(m, "size", 0, APP_FILES_MEMBER_MAX, &f->size);
		}
	return f->sha256 != NULL && f->size >= 0 ? 0 : -1;
}

int
app_files_read(const char *bundle_path, const struct app_file *f, char **buf, size_t *len)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	uint8_t h[CRYPTO_SHA256_LEN];
	char hex[CRYPTO_SHA256_LEN * 2 + 1];
	int rc = 1;

	*buf = NULL;
	*len = 0;
	if (ar == NULL)
		return -1;
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, bundle_path, 64 * 1024) != ARCHIVE_OK) {
		archive_read_free(ar);
		return -1;
	}
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		la_ssize_t n;

		if (strcmp(archive_entry_pathname(e), f->member) != 0)
			continue;
		/* Sized by the verified manifest, never by the tar header alone. */
		if (archive_entry_size(e) != f->size || f->size > APP_FILES_MEMBER_MAX ||
		    (*buf = malloc((size_t)f->size + 1)) == NULL)
			break;
		n = archive_read_data(ar, *buf, (size_t)f->size);
		if (n != (la_ssize_t)f->size) {
			rc = -1;
			break;
		}
		crypto_sha256(*buf, (size_t)n, h);
		crypto_hex(h, sizeof h, hex);
		if (strcmp(hex, f->sha256) == 0) {
			*len = (size_t)n;
			rc = 0;
		}
		break;
	}
	archive_read_free(ar);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

const char *
app_files_content_type(const char *type)
{
	if (strcmp(type, "pdf") == 0)
		return "application/pdf";
	if (strcmp(type, "png") == 0)
		return "image/png";
	if (strcmp(type, "jpg") == 0 || strcmp(type, "jpeg") == 0)
		return "image/jpeg";
	/* The sanitizer's text is always UTF-8 (textclean.h): said so, never sniffed. */
	if (strcmp(type, "txt") == 0)
		return "text/plain; charset=utf-8";
	if (strcmp(type, "csv") == 0)
		return "text/csv; charset=utf-8";
	return NULL;
}
