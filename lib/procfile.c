/*
 * procfile.c — the types a procedure's files may have, and the check of the list.
 */
#include "procfile.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsonio.h"

struct ftype {
	const char *type;
	const char *content_type;
	const char *ext[2];		/* extensions, lower case */
	const char *magic;		/* the first bytes */
	size_t magic_len;
	int image;			/* may be shown on the page */
};

static const struct ftype types[] = {
	{ "pdf", "application/pdf", { "pdf" }, "%PDF-", 5, 0 },
	/* OOXML and OpenDocument are zip files: the zip signature is what the bytes can
	 * say; the sanitizer is not involved (staff made them), the label is ours. */
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	  { "docx" }, "PK\x03\x04", 4, 0 },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	  { "xlsx" }, "PK\x03\x04", 4, 0 },
	{ "odt", "application/vnd.oasis.opendocument.text", { "odt" }, "PK\x03\x04", 4, 0 },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet", { "ods" }, "PK\x03\x04", 4, 0 },
	{ "doc", "application/msword", { "doc" }, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, 0 },
	{ "xls", "application/vnd.ms-excel", { "xls" }, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, 0 },
	{ "png", "image/png", { "png" }, "\x89PNG\r\n\x1a\n", 8, 1 },
	{ "jpeg", "image/jpeg", { "jpg", "jpeg" }, "\xFF\xD8\xFF", 3, 1 },
};

static const struct ftype *
find(const char *type)
{
	for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].type, type) == 0)
			return &types[i];
	return NULL;
}

const char *
procfile_content_type(const char *type)
{
	const struct ftype *t = find(type);

	return t ? t->content_type : NULL;
}

const char *
procfile_type_of(const char *name, const uint8_t *data, size_t len)
{
	const char *dot = name ? strrchr(name, '.') : NULL;

	if (dot == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		for (size_t k = 0; k < 2 && types[i].ext[k]; k++)
			if (strcasecmp(dot + 1, types[i].ext[k]) == 0)
				return len >= types[i].magic_len &&
				       memcmp(data, types[i].magic, types[i].magic_len) == 0
					       ? types[i].type : NULL;
	return NULL;
}

static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* A file name a browser may be given: no path, no control character, no quote. */
static int
name_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[0] == '.' || chars(s) > PROCFILE_NAME_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F || *s == '/' || *s == '\\' || *s == '"')
			return 0;
	return 1;
}

static int
text_ok(const char *s, size_t max)
{
	if (s == NULL || s[0] == '\0' || chars(s) > max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return 0;
	return 1;
}

static int
hex64(const char *s)
{
	size_t i;

	for (i = 0; s && i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s && s[64] == '\0';
}

int
procfile_check(const json_t *files, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "title", "type", "size", "sha256", "use",
					    "alt", NULL };
	long long total = 0, size;
	const json_t *f;
	size_t i;

	if (files == NULL)
		return 0;
	if (!json_is_array(files) || json_array_size(files) > PROCFILE_MAX) {
		snprintf(err, errlen, "files: not a list of at most %d", PROCFILE_MAX);
		return -1;
	}
	json_array_foreach(files, i, f) {
		const char *use = jsonio_str(f, "use", "download"), *k;
		const struct ftype *t = find(jsonio_str(f, "type", NULL));
		const char *const *p;
		json_t *v;

		if (!json_is_object(f)) {
			snprintf(err, errlen, "files[%zu]: not an object", i);
			return -1;
		}
		json_object_foreach((json_t *)f, k, v) {
			for (p = keys; *p && strcmp(*p, k) != 0; p++)
				;
			if (*p == NULL) {
				snprintf(err, errlen, "files[%zu].%s: unknown member", i, k);
				return -1;
			}
		}
		if (!name_ok(jsonio_str(f, "name", NULL))) {
			snprintf(err, errlen, "files[%zu].name: missing, longer than %d or not a plain "
				 "file name", i, PROCFILE_NAME_MAX);
			return -1;
		}
		if (!text_ok(jsonio_str(f, "title", NULL), PROCFILE_TITLE_MAX)) {
			snprintf(err, errlen, "files[%zu].title: missing or longer than %d", i,
				 PROCFILE_TITLE_MAX);
			return -1;
		}
		if (t == NULL) {
			snprintf(err, errlen, "files[%zu].type: not one of pdf, docx, xlsx, doc, xls, "
				 "odt, ods, png, jpeg", i);
			return -1;
		}
		if (jsonio_int(f, "size", 1, PROCFILE_BYTES_MAX, &size) != 0) {
			snprintf(err, errlen, "files[%zu].size: not 1..%d bytes", i, PROCFILE_BYTES_MAX);
			return -1;
		}
		total += size;
		if (!hex64(jsonio_str(f, "sha256", NULL))) {
			snprintf(err, errlen, "files[%zu].sha256: not 64 lower-case hex digits", i);
			return -1;
		}
		if (strcmp(use, "download") != 0 && strcmp(use, "image") != 0) {
			snprintf(err, errlen, "files[%zu].use: not download or image", i);
			return -1;
		}
		if (strcmp(use, "image") == 0 &&
		    (!t->image || !text_ok(jsonio_str(f, "alt", NULL), PROCFILE_ALT_MAX))) {
			snprintf(err, errlen, "files[%zu]: an image is png or jpeg with its alt text "
				 "(at most %d characters)", i, PROCFILE_ALT_MAX);
			return -1;
		}
	}
	if (total > PROCFILE_TOTAL_MAX) {
		snprintf(err, errlen, "files: more than %d bytes together", PROCFILE_TOTAL_MAX);
		return -1;
	}
	return 0;
}

void
procfile_member(const char *sha256_hex, char out[72])
{
	snprintf(out, 72, "files/%.64s", sha256_hex);
}
