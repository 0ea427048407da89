/*
 * keybundle.c — the key bundle as a ustar archive (libarchive), read and written in
 * memory: a bundle is a few KiB, and a bundle that fails any check installs nothing.
 */
#include "keybundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "crypto.h"
#include "fsio.h"
#include "keys.h"

#define MANIFEST_NAME "MANIFEST"
#define MANIFEST_MAGIC "sekisho-keys 1"
#define ROTATION_MAGIC "sekisho-key-rotation 1"
#define ROTATION_MEMBER "rotation.json"

/* What each zone's host receives, from where on the sending host. */
static const struct carried {
	const char *for_zone;
	const char *from;	/* on the exporting host */
	const char *to;		/* on the importing host: the member's name */
} carried[] = {
	{ "lgwan", "dmz/keys/sanitizer-signing.pub", "lgwan/keys/sanitizer-signing.pub" },
	{ "lgwan", "dmz/keys/uplink.key", "lgwan/keys/uplink.key" },
	{ "lgwan", "dmz/keys/dmz-receipt.pub", "lgwan/keys/dmz-receipt.pub" },
	{ "dmz", "lgwan/keys/office-signing.pub", "dmz/keys/office-signing.pub" },
	{ "dmz", "lgwan/keys/counter-qr.pub", "dmz/keys/counter-qr.pub" },
	{ "dmz", "lgwan/keys/downlink.key", "dmz/keys/downlink.key" },
	{ NULL, NULL, NULL },
};

struct member {
	char name[64];
	unsigned char *data;
	size_t len;
};

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int
read_small(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	*data = malloc(KEYBUNDLE_MAX_FILE + 1);
	*len = *data ? fread(*data, 1, KEYBUNDLE_MAX_FILE + 1, f) : 0;
	fclose(f);
	if (*data == NULL || *len > KEYBUNDLE_MAX_FILE) {
		free(*data);
		*data = NULL;
		return -1;
	}
	return 0;
}

static void
members_free(struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].data)
			explicit_bzero(m[i].data, m[i].len);
		free(m[i].data);
	}
}

static int
add_entry(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int ok;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	ok = archive_write_header(a, e) == ARCHIVE_OK &&
	     archive_write_data(a, data, len) == (la_ssize_t)len;
	archive_entry_free(e);
	return ok ? 0 : -1;
}

/* The bundle file: a ustar of MANIFEST (manifest) then the n members, made in memory
 * and written atomically, readable by root alone. what names it in err. */
static int
write_tar(const char *path, const char *what, const char *manifest, size_t mlen,
	  const struct member *m, size_t n, char *err, size_t errlen)
{
	unsigned char *buf = malloc(KEYBUNDLE_MAX_SIZE);
	struct archive *a = buf ? archive_write_new() : NULL;
	size_t used = 0;
	int rc = -1;

	if (a == NULL || archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_memory(a, buf, KEYBUNDLE_MAX_SIZE, &used) != ARCHIVE_OK ||
	    add_entry(a, MANIFEST_NAME, manifest, mlen) != 0) {
		snprintf(err, errlen, "%s: %s", what, a ? archive_error_string(a) : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (add_entry(a, m[i].name, m[i].data, m[i].len) != 0) {
			snprintf(err, errlen, "%s: %s", what, archive_error_string(a));
			goto out;
		}
	if (archive_write_close(a) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	if (fsio_write_atomic(path, buf, used, 0600) != 0) {
		snprintf(err, errlen, "%s: cannot write", path);
		goto out;
	}
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	if (buf)
		explicit_bzero(buf, KEYBUNDLE_MAX_SIZE);
	free(buf);
	return rc;
}

int
keybundle_export(const struct instance *in, const char *for_zone, const char *path,
		 char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen)
{
	struct member m[KEYBUNDLE_MAX_MEMBERS] = { 0 };
	char manifest[1024], sum[2 * CRYPTO_SHA256_LEN + 1];
	uint8_t digest[CRYPTO_SHA256_LEN];
	size_t n = 0, mlen;
	int rc = -1;

	if (strcmp(for_zone, "dmz") != 0 && strcmp(for_zone, "lgwan") != 0) {
		snprintf(err, errlen, "'%s': the zone is dmz or lgwan", for_zone);
		return -1;
	}
	mlen = (size_t)snprintf(manifest, sizeof manifest, "%s\nfor %s\n", MANIFEST_MAGIC,
				for_zone);
	for (const struct carried *c = carried; c->for_zone; c++) {
		char src[PATH_MAX];

		if (strcmp(c->for_zone, for_zone) != 0)
			continue;
		instance_path(in, c->from, src, sizeof src);
		if (read_small(src, &m[n].data, &m[n].len) != 0) {
			snprintf(err, errlen, "%s: cannot read (is this the %s host?)", src,
				 strcmp(for_zone, "dmz") == 0 ? "LGWAN" : "DMZ");
			goto out;
		}
		snprintf(m[n].name, sizeof m[n].name, "%s", c->to);
		crypto_sha256(m[n].data, m[n].len, digest);
		hex(digest, sizeof digest, sum);
		mlen += (size_t)snprintf(manifest + mlen, sizeof manifest - mlen, "%s  %s\n", sum,
					 c->to);
		n++;
	}
	crypto_sha256(manifest, mlen, digest);
	hex(digest, sizeof digest, fpr);
	rc = write_tar(path, "bundle", manifest, mlen, m, n, err, errlen);
out:
	members_free(m, n);
	return rc;
}

static const struct carried *
expected(const char *name)
{
	for (const struct carried *c = carried; c->for_zone; c++)
		if (strcmp(c->to, name) == 0)
			return c;
	return NULL;
}

/* Read every member into memory, refusing anything not a small regular file with an
 * expected name (so no path of the archive ever reaches the filesystem). */
static int
read_members(const char *path, bool rotation, struct member *m, size_t *n, char *err,
	     size_t errlen)
{
	unsigned char *buf;
	size_t len;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	FILE *f = fopen(path, "re");
	int rc = -1, r;

	*n = 0;
	buf = malloc(KEYBUNDLE_MAX_SIZE + 1);
	if (f == NULL || buf == NULL || a == NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto out;
	}
	len = fread(buf, 1, KEYBUNDLE_MAX_SIZE + 1, f);
	if (len > KEYBUNDLE_MAX_SIZE) {
		snprintf(err, errlen, "%s: larger than %d bytes: not a key bundle", path,
			 KEYBUNDLE_MAX_SIZE);
		goto out;
	}
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);

		if (*n == KEYBUNDLE_MAX_MEMBERS) {
			snprintf(err, errlen, "%s: more than %d files", path, KEYBUNDLE_MAX_MEMBERS);
			goto out;
		}
		if (archive_entry_filetype(e) != AE_IFREG || size < 0 ||
		    size > KEYBUNDLE_MAX_FILE ||
		    (strcmp(name, MANIFEST_NAME) != 0 &&
		     (rotation ? strcmp(name, ROTATION_MEMBER) != 0 : expected(name) == NULL)) ||
		    (*n == 0) != (strcmp(name, MANIFEST_NAME) == 0)) {
			snprintf(err, errlen, "%s: unexpected member '%.64s'", path, name);
			goto out;
		}
		snprintf(m[*n].name, sizeof m[*n].name, "%s", name);
		m[*n].len = (size_t)size;
		if ((m[*n].data = malloc(m[*n].len + 1)) == NULL ||
		    archive_read_data(a, m[*n].data, m[*n].len) != (la_ssize_t)m[*n].len) {
			snprintf(err, errlen, "%s: %s: truncated", path, name);
			(*n)++;
			goto out;
		}
		m[*n].data[m[*n].len] = '\0';
		(*n)++;
	}
	if (r != ARCHIVE_EOF || *n == 0) {
		snprintf(err, errlen, "%s: %s", path,
			 *n == 0 ? "empty: not a key bundle" : archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	archive_read_free(a);
	free(buf);
	return rc;
}

/* The manifest names the zone, then exactly the other members with their sums. */
static int
check_manifest(const struct member *m, size_t n, char *zone, size_t zonelen, char *err,
	       size_t errlen)
{
	char *text = (char *)m[0].data, *save = NULL, *line;
	size_t listed = 0;

	if (strlen(text) != m[0].len)
		goto bad;
	line = strtok_r(text, "\n", &save);
	if (line == NULL || strcmp(line, MANIFEST_MAGIC) != 0)
		goto bad;
	line = strtok_r(NULL, "\n", &save);
	if (line == NULL || strncmp(line, "for ", 4) != 0 ||
	    (strcmp(line + 4, "dmz") != 0 && strcmp(line + 4, "lgwan") != 0))
		goto bad;
	snprintf(zone, zonelen, "%s", line + 4);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		uint8_t digest[CRYPTO_SHA256_LEN];
		char sum[2 * CRYPTO_SHA256_LEN + 1];
		const struct carried *c;
		size_t i;

		if (strlen(line) < sizeof sum + 2 || line[sizeof sum - 1] != ' ' ||
		    line[sizeof sum] != ' ')
			goto bad;
		line[sizeof sum - 1] = '\0';
		c = expected(line + sizeof sum + 1);
		if (c == NULL || strcmp(c->for_zone, zone) != 0)
			goto bad;
		for (i = 1; i < n && strcmp(m[i].name, c->to) != 0; i++)
			;
		if (i == n) {
			snprintf(err, errlen, "%s: listed in the manifest but missing", c->to);
			return -1;
		}
		crypto_sha256(m[i].data, m[i].len, digest);
		hex(digest, sizeof digest, sum);
		if (strcmp(sum, line) != 0) {
			snprintf(err, errlen, "%s: SHA-256 differs from the manifest: the bundle "
				 "was altered or damaged", c->to);
			return -1;
		}
		listed++;
	}
	if (listed != n - 1) {
		snprintf(err, errlen, "a file of the bundle is not in its manifest");
		return -1;
	}
	for (const struct carried *c = carried; c->for_zone; c++)
		if (strcmp(c->for_zone, zone) == 0)
			listed--;
	if (listed != 0) {
		snprintf(err, errlen, "the bundle for %s lacks some of its keys", zone);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "MANIFEST: not a Sekisho key bundle manifest");
	return -1;
}

/* An existing file must hold the same bytes: import never replaces a key. */
static int
install(const struct instance *in, const struct member *m, const char *passwd, bool dev,
	char *err, size_t errlen)
{
	char path[PATH_MAX];
	unsigned char *old = NULL;
	size_t oldlen;
	int same;

	instance_path(in, m->name, path, sizeof path);
	if (access(path, F_OK) == 0) {
		same = read_small(path, &old, &oldlen) == 0 && oldlen == m->len &&
		       crypto_memeq(old, m->data, m->len);
		if (old)
			explicit_bzero(old, oldlen);
		free(old);
		if (!same) {
			snprintf(err, errlen, "%s: exists with other contents; a new key is a "
				 "rotation, not an import", path);
			return -1;
		}
		return 0;
	}
	if (fsio_write_atomic(path, m->data, m->len, 0600) != 0) {
		snprintf(err, errlen, "%s: cannot write", path);
		return -1;
	}
	return dev ? 0 : keys_give_to_holder(in, m->name, passwd, err, errlen);
}

int
keybundle_import(const struct instance *in, const char *path, const char *expect,
		 const char *passwd, bool dev, char fpr[KEYBUNDLE_FPR_LEN], char *err,
		 size_t errlen)
{
	struct member m[KEYBUNDLE_MAX_MEMBERS] = { 0 };
	uint8_t digest[CRYPTO_SHA256_LEN];
	char zone[8], rel[32], dir[PATH_MAX];
	size_t n = 0;
	int rc = -1;

	if (read_members(path, false, m, &n, err, errlen) != 0)
		goto out;
	crypto_sha256(m[0].data, m[0].len, digest);
	hex(digest, sizeof digest, fpr);
	if (expect && strcasecmp(expect, fpr) != 0) {
		snprintf(err, errlen, "%s: fingerprint %s is not the expected %s", path, fpr,
			 expect);
		goto out;
	}
	if (check_manifest(m, n, zone, sizeof zone, err, errlen) != 0)
		goto out;
	snprintf(rel, sizeof rel, "%s/keys", zone);
	instance_path(in, rel, dir, sizeof dir);
	if (access(dir, F_OK) != 0) {
		snprintf(err, errlen, "%s: this bundle is for the %s zone, which this host "
			 "does not have", dir, zone);
		goto out;
	}
	for (size_t i = 1; i < n; i++)
		if (install(in, &m[i], passwd, dev, err, errlen) != 0)
			goto out;
	rc = 0;
out:
	members_free(m, n);
	return rc;
}

/* --- rotation bundles: the same tar and manifest, one member ------------------- */

int
keybundle_write_rotation(const char *path, const char *for_zone, const char *doc, size_t len,
			 char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen)
{
	char manifest[256], sum[2 * CRYPTO_SHA256_LEN + 1];
	uint8_t digest[CRYPTO_SHA256_LEN];
	struct member one = { 0 };
	size_t mlen;
	int rc;

	if (len > KEYBUNDLE_MAX_FILE) {
		snprintf(err, errlen, "rotation document of %zu bytes is over %d", len,
			 KEYBUNDLE_MAX_FILE);
		return -1;
	}
	crypto_sha256(doc, len, digest);
	hex(digest, sizeof digest, sum);
	mlen = (size_t)snprintf(manifest, sizeof manifest, "%s\nfor %s\n%s  %s\n",
				ROTATION_MAGIC, for_zone, sum, ROTATION_MEMBER);
	crypto_sha256(manifest, mlen, digest);
	hex(digest, sizeof digest, fpr);
	/* A copy, wiped after: the document may carry a link key. */
	if ((one.data = malloc(len ? len : 1)) == NULL) {
		snprintf(err, errlen, "rotation bundle: out of memory");
		return -1;
	}
	memcpy(one.data, doc, len);
	one.len = len;
	snprintf(one.name, sizeof one.name, "%s", ROTATION_MEMBER);
	rc = write_tar(path, "rotation bundle", manifest, mlen, &one, 1, err, errlen);
	members_free(&one, 1);
	return rc;
}

int
keybundle_read_rotation(const char *path, const char *expect, char zone[8], char **doc,
			size_t *len, char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen)
{
	struct member m[KEYBUNDLE_MAX_MEMBERS] = { 0 };
	char want[512], sum[2 * CRYPTO_SHA256_LEN + 1];
	uint8_t digest[CRYPTO_SHA256_LEN];
	size_t n = 0;
	int rc = -1;

	*doc = NULL;
	if (read_members(path, true, m, &n, err, errlen) != 0)
		goto out;
	crypto_sha256(m[0].data, m[0].len, digest);
	hex(digest, sizeof digest, fpr);
	if (expect && strcasecmp(expect, fpr) != 0) {
		snprintf(err, errlen, "%s: fingerprint %s is not the expected %s", path, fpr,
			 expect);
		goto out;
	}
	if (n != 2) {
		snprintf(err, errlen, "%s: not a key rotation bundle", path);
		goto out;
	}
	crypto_sha256(m[1].data, m[1].len, digest);
	hex(digest, sizeof digest, sum);
	/* The manifest is one of exactly two texts: compare it whole. */
	for (int i = 0; rc != 0 && i < 2; i++) {
		const char *z = i == 0 ? "dmz" : "lgwan";

		snprintf(want, sizeof want, "%s\nfor %s\n%s  %s\n", ROTATION_MAGIC, z, sum,
			 ROTATION_MEMBER);
		if (strlen(want) == m[0].len && memcmp(want, m[0].data, m[0].len) == 0) {
			snprintf(zone, 8, "%s", z);
			rc = 0;
		}
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: MANIFEST is not a rotation manifest, or %s differs "
			 "from it: the bundle was altered or damaged", path, ROTATION_MEMBER);
		goto out;
	}
	*doc = (char *)m[1].data;	/* NUL-terminated by read_members */
	*len = m[1].len;
	m[1].data = NULL;
out:
	members_free(m, n);
	return rc;
}
