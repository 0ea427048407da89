/*
 * bundle.c — writing and verifying signed tar bundles (libarchive).
 *
 * The verifier's order of trust: it reads manifest.json with a size bound, checks
 * manifest.sig over those exact bytes, and only then believes the manifest's member
 * list, sizes and hashes, against which every following member is checked while it
 * streams past. A member that is not next in the manifest, not a regular file, of
 * another size or hash, or beyond the limits stops the read at once. Nothing in a
 * bundle is extracted here: a verified bundle is stored whole, and readers extract
 * from a bundle that already passed this gate.
 */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "attest.h"
#include "crypto.h"
#include "jsonio.h"
#include "spool.h"
#include "tenant.h"

#define READ_CHUNK (64 * 1024)

void
bundle_limits_default(struct bundle_limits *lim)
{
	lim->max_members = 256;
	lim->max_member_bytes = 100ULL << 20;
	lim->max_total_bytes = 512ULL << 20;
}

const char *
bundle_strerror(int rc)
{
	switch (rc) {
	case BUNDLE_OK:          return "ok";
	case BUNDLE_EFORMAT:     return "not a well-formed bundle";
	case BUNDLE_EBADSIG:     return "manifest signature does not verify";
	case BUNDLE_EHASH:       return "member does not match the manifest";
	case BUNDLE_EUNATTESTED: return "file without a valid sanitizer attestation";
	case BUNDLE_ELIMIT:      return "over a bundle limit";
	case BUNDLE_EIO:         return "read or write error";
	case BUNDLE_ENOMEM:      return "out of memory";
	case BUNDLE_EKEYRETIRED: return "signed with a retired key whose overlap has ended";
	}
	return "unknown error";
}

int
bundle_member_name_valid(const char *name)
{
	static const char *const dirs[] = { "files/", "attestations/", "data/", NULL };
	const char *base = NULL;
	size_t len;

	if (name == NULL || (len = strlen(name)) == 0 || len > BUNDLE_NAME_MAX)
		return 0;
	if (strcmp(name, "application.json") == 0)
		return 1;
	for (size_t i = 0; dirs[i]; i++)
		if (strncmp(name, dirs[i], strlen(dirs[i])) == 0)
			base = name + strlen(dirs[i]);
	if (base == NULL || *base == '\0' || *base == '.')
		return 0;
	for (const char *p = base; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* ---- writing ------------------------------------------------------------------ */

struct member {
	char name[BUNDLE_NAME_MAX + 1];
	char *path;		/* file member, or */
	char *data;		/* in-memory member */
	size_t len;
	uint64_t size;
	uint8_t sha256[32];
};

struct bundle_writer {
	char id[SPOOL_ID_MAX + 1];
	char tenant[TENANT_NAME_MAX + 1];
	char kind[33];
	struct member *m;
	size_t n, cap;
	json_t *files;		/* the manifest's "files" list */
};

struct bundle_writer *
bundle_writer_new(const char *id, const char *tenant, const char *kind)
{
	struct bundle_writer *w;

	if (!spool_valid_id(id) || !tenant_name_valid(tenant) || kind == NULL ||
	    strlen(kind) == 0 || strlen(kind) > 32)
		return NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	snprintf(w->id, sizeof w->id, "%s", id);
	snprintf(w->tenant, sizeof w->tenant, "%s", tenant);
	snprintf(w->kind, sizeof w->kind, "%s", kind);
	w->files = json_array();
	return w;
}

void
bundle_writer_free(struct bundle_writer *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++) {
		free(w->m[i].path);
		free(w->m[i].data);
	}
	free(w->m);
	json_decref(w->files);
	free(w);
}

static struct member *
add_member(struct bundle_writer *w, const char *name)
{
	if (!bundle_member_name_valid(name))
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->m[i].name, name) == 0)
			return NULL;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct member *m = realloc(w->m, cap * sizeof *m);

		if (m == NULL)
			return NULL;
		w->m = m;
		w->cap = cap;
	}
	memset(&w->m[w->n], 0, sizeof w->m[w->n]);
	snprintf(w->m[w->n].name, sizeof w->m[w->n].name, "%s", name);
	return &w->m[w->n++];
}

int
bundle_writer_add_json(struct bundle_writer *w, const char *name, const json_t *v)
{
	struct member *m = add_member(w, name);

	if (m == NULL)
		return BUNDLE_EFORMAT;
	if ((m->data = jsonio_dump_canonical(v, &m->len)) == NULL) {
		w->n--;
		return BUNDLE_ENOMEM;
	}
	m->size = m->len;
	crypto_sha256(m->data, m->len, m->sha256);
	return BUNDLE_OK;
}

int
bundle_writer_add_bytes(struct bundle_writer *w, const char *name, const void *data, size_t len)
{
	struct member *m = add_member(w, name);

	if (m == NULL)
		return BUNDLE_EFORMAT;
	if ((m->data = malloc(len ? len : 1)) == NULL) {
		w->n--;
		return BUNDLE_ENOMEM;
	}
	memcpy(m->data, data, len);
	m->len = len;
	m->size = len;
	crypto_sha256(m->data, m->len, m->sha256);
	return BUNDLE_OK;
}

int
bundle_writer_add_file(struct bundle_writer *w, const char *name, const char *path)
{
	struct member *m = add_member(w, name);
	int fd;
	off_t end;

	if (m == NULL)
		return BUNDLE_EFORMAT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (end = lseek(fd, 0, SEEK_END)) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    crypto_sha256_fd(fd, m->sha256) != 0 || (m->path = strdup(path)) == NULL) {
		if (fd >= 0)
			close(fd);
		w->n--;
		return BUNDLE_EIO;
	}
	m->size = (uint64_t)end;
	close(fd);
	return BUNDLE_OK;
}

int
bundle_writer_add_attested(struct bundle_writer *w, const char *file_name, const char *path,
			   const json_t *signed_att, const json_t *meta)
{
	char att_name[BUNDLE_NAME_MAX + 16];
	const char *base;
	json_t *entry;
	int rc;

	if (strncmp(file_name, "files/", 6) != 0)
		return BUNDLE_EFORMAT;
	base = file_name + 6;
	snprintf(att_name, sizeof att_name, "attestations/%s.json", base);
	if ((rc = bundle_writer_add_file(w, file_name, path)) != BUNDLE_OK)
		return rc;
	if ((rc = bundle_writer_add_json(w, att_name, signed_att)) != BUNDLE_OK)
		return rc;
	entry = meta ? json_deep_copy(meta) : json_object();
	json_object_set_new(entry, "file", json_string(file_name));
	json_object_set_new(entry, "attestation", json_string(att_name));
	json_array_append_new(w->files, entry);
	return BUNDLE_OK;
}

static int
write_entry(struct archive *a, struct archive_entry *e, const char *name, uint64_t size,
	    time_t mtime)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	return archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1;
}

static int
write_file_member(struct archive *a, const struct member *m, char *err, size_t errlen)
{
	struct crypto_sha256_ctx *h = crypto_sha256_begin();
	char *buf = malloc(READ_CHUNK);
	uint8_t got[32];
	uint64_t total = 0;
	ssize_t r = 0;
	int fd = -1, rc = BUNDLE_EIO;

	if (h == NULL || buf == NULL || (fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	while ((r = read(fd, buf, READ_CHUNK)) > 0) {
		crypto_sha256_update(h, buf, (size_t)r);
		if (archive_write_data(a, buf, (size_t)r) != r)
			goto out;
		total += (uint64_t)r;
	}
	if (r < 0)
		goto out;
	crypto_sha256_end(h, got);
	h = NULL;
	/* The file must not change between being hashed into the manifest and being
	 * written: otherwise the signed manifest would not describe the bundle. */
	rc = total == m->size && crypto_memeq(got, m->sha256, 32) ? BUNDLE_OK : BUNDLE_EHASH;
out:
	if (rc != BUNDLE_OK)
		snprintf(err, errlen, "%s (%s): %s", m->name, m->path,
			 rc == BUNDLE_EHASH ? "changed while the bundle was written"
					    : strerror(errno));
	if (h)
		crypto_sha256_end(h, got);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int
bundle_writer_write(struct bundle_writer *w, int fd, const uint8_t priv[32],
		    char *err, size_t errlen)
{
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	json_t *manifest, *members = json_array();
	uint8_t sig[CRYPTO_SIG_LEN];
	char when[32], *text = NULL;
	size_t len = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc = BUNDLE_EIO;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < w->n; i++) {
		char hex[65];

		crypto_hex(w->m[i].sha256, 32, hex);
		json_array_append_new(members, json_pack("{s:s,s:I,s:s}", "name", w->m[i].name,
							 "size", (json_int_t)w->m[i].size,
							 "sha256", hex));
	}
	manifest = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:O}", "format", BUNDLE_FORMAT,
			     "id", w->id, "tenant", w->tenant, "kind", w->kind,
			     "created_at", when, "members", members, "files", w->files);
	if (manifest == NULL || (text = jsonio_dump_canonical(manifest, &len)) == NULL ||
	    crypto_ed25519_sign(priv, text, len, sig) != 0) {
		snprintf(err, errlen, "bundle %s: cannot build or sign the manifest", w->id);
		rc = BUNDLE_ENOMEM;
		goto out;
	}
	if ((a = archive_write_new()) == NULL || (e = archive_entry_new()) == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		snprintf(err, errlen, "bundle %s: cannot start the tar", w->id);
		goto out;
	}
	if (write_entry(a, e, "manifest.json", len, now) != 0 ||
	    archive_write_data(a, text, len) != (la_ssize_t)len ||
	    write_entry(a, e, "manifest.sig", sizeof sig, now) != 0 ||
	    archive_write_data(a, sig, sizeof sig) != (la_ssize_t)sizeof sig) {
		snprintf(err, errlen, "bundle %s: %s", w->id, archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct member *m = &w->m[i];

		if (write_entry(a, e, m->name, m->size, now) != 0) {
			snprintf(err, errlen, "bundle %s: %s: %s", w->id, m->name,
				 archive_error_string(a));
			goto out;
		}
		if (m->data) {
			if (archive_write_data(a, m->data, m->len) != (la_ssize_t)m->len) {
				snprintf(err, errlen, "bundle %s: %s: %s", w->id, m->name,
					 archive_error_string(a));
				goto out;
			}
		} else if ((rc = write_file_member(a, m, err, errlen)) != BUNDLE_OK) {
			goto out;
		}
	}
	rc = archive_write_close(a) == ARCHIVE_OK ? BUNDLE_OK : BUNDLE_EIO;
	if (rc != BUNDLE_OK)
		snprintf(err, errlen, "bundle %s: %s", w->id, archive_error_string(a));
out:
	if (a)
		archive_write_free(a);
	archive_entry_free(e);
	/* The manifest took a reference to files; w keeps its own. */
	json_decref(manifest);
	free(text);
	return rc;
}

/* ---- verifying ---------------------------------------------------------------- */

struct expected {
	const char *name;
	uint64_t size;
	uint8_t sha256[32];
	json_t *json;		/* parsed .json members */
	bool attested;		/* files/: a valid attestation names it */
};

void
bundle_info_free(struct bundle_info *info)
{
	json_decref(info->manifest);
	json_decref(info->application);
	json_decref(info->data);
	json_decref(info->attestations);
	memset(info, 0, sizeof *info);
}

/* Read a whole member of known size (bounded by the caller) into memory. */
static char *
read_small(struct archive *a, size_t size)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (buf == NULL)
		return NULL;
	while (got < size) {
		la_ssize_t r = archive_read_data(a, buf + got, size - got);

		if (r <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)r;
	}
	buf[size] = '\0';
	return buf;
}

static int
next_regular(struct archive *a, struct archive_entry **e, const char *want,
	     char *err, size_t errlen)
{
	int r = archive_read_next_header(a, e);

	if (r == ARCHIVE_EOF) {
		snprintf(err, errlen, "bundle ends before member %s", want);
		return BUNDLE_EFORMAT;
	}
	if (r != ARCHIVE_OK) {
		snprintf(err, errlen, "not a readable tar before member %s: %s", want,
			 archive_error_string(a));
		return BUNDLE_EFORMAT;
	}
	if (strcmp(archive_entry_pathname(*e) ? archive_entry_pathname(*e) : "", want) != 0) {
		snprintf(err, errlen, "member '%s' found where %s was expected",
			 archive_entry_pathname(*e) ? archive_entry_pathname(*e) : "(none)",
			 want);
		return BUNDLE_EFORMAT;
	}
	if (archive_entry_filetype(*e) != AE_IFREG || archive_entry_hardlink(*e) != NULL ||
	    archive_entry_symlink(*e) != NULL || !archive_entry_size_is_set(*e)) {
		snprintf(err, errlen, "member %s is not a regular file", want);
		return BUNDLE_EFORMAT;
	}
	return BUNDLE_OK;
}

/* The manifest's own shape and limits, checked after its signature. */
static int
check_manifest(const json_t *m, const struct bundle_limits *lim, struct expected **out,
	       size_t *nout, struct bundle_info *info, char *err, size_t errlen)
{
	const json_t *members = json_object_get(m, "members");
	const char *id = jsonio_str(m, "id", NULL), *tenant = jsonio_str(m, "tenant", NULL);
	const char *kind = jsonio_str(m, "kind", NULL);
	struct expected *x;
	uint64_t total = 0;
	size_t n;

	if (strcmp(jsonio_str(m, "format", ""), BUNDLE_FORMAT) != 0 || !spool_valid_id(id) ||
	    !tenant_name_valid(tenant) || kind == NULL || strlen(kind) == 0 ||
	    strlen(kind) >= sizeof info->kind || !json_is_array(members) ||
	    !json_is_array(json_object_get(m, "files"))) {
		snprintf(err, errlen, "manifest lacks format, id, tenant, kind, members or files");
		return BUNDLE_EFORMAT;
	}
	if ((n = json_array_size(members)) > lim->max_members) {
		snprintf(err, errlen, "manifest lists %zu members, limit %u", n, lim->max_members);
		return BUNDLE_ELIMIT;
	}
	if ((x = calloc(n ? n : 1, sizeof *x)) == NULL)
		return BUNDLE_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(members, i);
		const char *hex = jsonio_str(e, "sha256", NULL);
		long long size;

		x[i].name = jsonio_str(e, "name", NULL);
		if (!bundle_member_name_valid(x[i].name) || hex == NULL || strlen(hex) != 64 ||
		    crypto_unhex(hex, x[i].sha256, 32) != 0 ||
		    jsonio_int(e, "size", 0, INT64_MAX, &size) != 0) {
			snprintf(err, errlen, "manifest member %zu is malformed", i);
			free(x);
			return BUNDLE_EFORMAT;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(x[j].name, x[i].name) == 0) {
				snprintf(err, errlen, "manifest lists %s twice", x[i].name);
				free(x);
				return BUNDLE_EFORMAT;
			}
		x[i].size = (uint64_t)size;
		total += x[i].size;
		if (x[i].size > lim->max_member_bytes || total > lim->max_total_bytes) {
			snprintf(err, errlen, "member %s: %llu bytes is over the limit", x[i].name,
				 (unsigned long long)x[i].size);
			free(x);
			return BUNDLE_ELIMIT;
		}
	}
	snprintf(info->id, sizeof info->id, "%s", id);
	snprintf(info->tenant, sizeof info->tenant, "%s", tenant);
	snprintf(info->kind, sizeof info->kind, "%s", kind);
	*out = x;
	*nout = n;
	return BUNDLE_OK;
}

/* Stream one member, hashing it; keep .json members (bounded) for later checks. */
static int
check_member(struct archive *a, struct expected *x, char *err, size_t errlen)
{
	struct crypto_sha256_ctx *h;
	uint8_t got[32];
	char *keep = NULL, *buf;
	size_t len = strlen(x->name);
	uint64_t total = 0;
	la_ssize_t r;
	bool is_json = len > 5 && strcmp(x->name + len - 5, ".json") == 0;

	if (is_json && x->size > BUNDLE_JSON_MAX) {
		snprintf(err, errlen, "member %s: JSON of %llu bytes is over the limit", x->name,
			 (unsigned long long)x->size);
		return BUNDLE_ELIMIT;
	}
	if ((buf = malloc(READ_CHUNK)) == NULL || (h = crypto_sha256_begin()) == NULL) {
		free(buf);
		return BUNDLE_ENOMEM;
	}
	if (is_json && (keep = malloc(x->size + 1)) == NULL) {
		crypto_sha256_end(h, got);
		free(buf);
		return BUNDLE_ENOMEM;
	}
	while ((r = archive_read_data(a, buf, READ_CHUNK)) > 0) {
		if (total + (uint64_t)r > x->size)
			break;
		crypto_sha256_update(h, buf, (size_t)r);
		if (keep)
			memcpy(keep + total, buf, (size_t)r);
		total += (uint64_t)r;
	}
	crypto_sha256_end(h, got);
	free(buf);
	if (r < 0 || total != x->size || !crypto_memeq(got, x->sha256, 32)) {
		snprintf(err, errlen, "member %s is not the one the manifest lists%s", x->name,
			 r < 0 ? " (truncated)" : "");
		free(keep);
		return BUNDLE_EHASH;
	}
	if (keep) {
		char jerr[160];

		x->json = jsonio_parse(keep, x->size, BUNDLE_JSON_MAX, JSONIO_MAX_DEPTH,
				       jerr, sizeof jerr);
		free(keep);
		if (x->json == NULL) {
			snprintf(err, errlen, "member %s is not valid JSON: %s", x->name, jerr);
			return BUNDLE_EFORMAT;
		}
	}
	return BUNDLE_OK;
}

static struct expected *
find(struct expected *x, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(x[i].name, name) == 0)
			return &x[i];
	return NULL;
}

/* Every files/ member must be listed in "files" with an attestation by the sanitizer
 * whose output is exactly that member. */
static int
check_attestations(const json_t *manifest, struct expected *x, size_t n,
		   const struct bundle_check *chk, time_t now, char *err, size_t errlen)
{
	const json_t *files = json_object_get(manifest, "files");
	size_t i, covered = 0, nfiles = 0;
	const json_t *f;

	for (i = 0; i < n; i++)
		nfiles += strncmp(x[i].name, "files/", 6) == 0;
	json_array_foreach(files, i, f) {
		struct expected *file = find(x, n, jsonio_str(f, "file", NULL));
		struct expected *att = find(x, n, jsonio_str(f, "attestation", NULL));
		uint8_t out[32];
		char aerr[256];

		if (file == NULL || strncmp(file->name, "files/", 6) != 0 || att == NULL ||
		    att->json == NULL || strncmp(att->name, "attestations/", 13) != 0) {
			snprintf(err, errlen, "manifest files entry %zu names no file/attestation "
				 "pair of this bundle", i);
			return BUNDLE_EUNATTESTED;
		}
		int arc = chk->attest_ring
			  ? attest_verify_ring(att->json, chk->attest_ring, now, out, aerr,
					       sizeof aerr)
			  : attest_verify(att->json, chk->attest_pub, out, aerr, sizeof aerr);

		if (arc != ATTEST_OK) {
			snprintf(err, errlen, "%s: %s", att->name, aerr);
			return BUNDLE_EUNATTESTED;
		}
		if (!crypto_memeq(out, file->sha256, 32)) {
			snprintf(err, errlen, "%s does not attest %s (other output hash)",
				 att->name, file->name);
			return BUNDLE_EUNATTESTED;
		}
		covered += !file->attested;	/* a file listed twice counts once */
		file->attested = true;
	}
	if (covered != nfiles) {
		snprintf(err, errlen, "%zu of %zu files have no attestation", nfiles - covered,
			 nfiles);
		return BUNDLE_EUNATTESTED;
	}
	return BUNDLE_OK;
}

int
bundle_verify_fd(int fd, const struct bundle_check *chk, struct bundle_info *info,
		 char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct expected *x = NULL;
	size_t n = 0;
	char *text = NULL;
	uint8_t sig[CRYPTO_SIG_LEN];
	json_t *manifest = NULL;
	struct expected *app;
	char jerr[160];
	size_t mlen;
	time_t now = chk->now != 0 ? chk->now : time(NULL);
	int rc;

	memset(info, 0, sizeof *info);
	*err = '\0';
	if (a == NULL)
		return BUNDLE_ENOMEM;
	/* tar only, no decompression filters: a bundle cannot be a compression bomb. */
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, READ_CHUNK) != ARCHIVE_OK) {
		snprintf(err, errlen, "not a readable tar: %s", archive_error_string(a));
		rc = BUNDLE_EFORMAT;
		goto out;
	}
	if ((rc = next_regular(a, &e, "manifest.json", err, errlen)) != BUNDLE_OK)
		goto out;
	if (archive_entry_size(e) <= 0 || archive_entry_size(e) > BUNDLE_MANIFEST_MAX) {
		snprintf(err, errlen, "manifest.json is %lld bytes (limit %d)",
			 (long long)archive_entry_size(e), BUNDLE_MANIFEST_MAX);
		rc = BUNDLE_ELIMIT;
		goto out;
	}
	mlen = (size_t)archive_entry_size(e);
	if ((text = read_small(a, mlen)) == NULL) {
		snprintf(err, errlen, "manifest.json is truncated");
		rc = BUNDLE_EFORMAT;
		goto out;
	}
	if ((rc = next_regular(a, &e, "manifest.sig", err, errlen)) != BUNDLE_OK)
		goto out;
	if (archive_entry_size(e) != CRYPTO_SIG_LEN ||
	    archive_read_data(a, sig, sizeof sig) != (la_ssize_t)sizeof sig) {
		snprintf(err, errlen, "manifest.sig is not a %d-byte signature", CRYPTO_SIG_LEN);
		rc = BUNDLE_EFORMAT;
		goto out;
	}
	if (chk->signer_ring) {
		char kerr[200];
		int krc = keyring_verify(chk->signer_ring, now, text, mlen, sig, NULL, kerr,
					 sizeof kerr);

		if (krc != KEYRING_OK) {
			snprintf(err, errlen, "manifest.json: %s", kerr);
			rc = krc == KEYRING_EEXPIRED ? BUNDLE_EKEYRETIRED : BUNDLE_EBADSIG;
			goto out;
		}
	} else if (crypto_ed25519_verify(chk->signer_pub, text, mlen, sig) != 0) {
		snprintf(err, errlen, "manifest.json: %s", bundle_strerror(BUNDLE_EBADSIG));
		rc = BUNDLE_EBADSIG;
		goto out;
	}
	if ((manifest = jsonio_parse(text, mlen, BUNDLE_MANIFEST_MAX, JSONIO_MAX_DEPTH,
				     jerr, sizeof jerr)) == NULL) {
		snprintf(err, errlen, "manifest.json: %s", jerr);
		rc = BUNDLE_EFORMAT;
		goto out;
	}
	if ((rc = check_manifest(manifest, &chk->limits, &x, &n, info, err, errlen)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = next_regular(a, &e, x[i].name, err, errlen)) != BUNDLE_OK)
			goto out;
		if (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) != x[i].size) {
			snprintf(err, errlen, "member %s is %lld bytes, manifest says %llu",
				 x[i].name, (long long)archive_entry_size(e),
				 (unsigned long long)x[i].size);
			rc = BUNDLE_EHASH;
			goto out;
		}
		if ((rc = check_member(a, &x[i], err, errlen)) != BUNDLE_OK)
			goto out;
	}
	if (archive_read_next_header(a, &e) != ARCHIVE_EOF) {
		snprintf(err, errlen, "member '%s' is not in the manifest",
			 archive_entry_pathname(e) ? archive_entry_pathname(e) : "?");
		rc = BUNDLE_EFORMAT;
		goto out;
	}
	if ((chk->attest_pub || chk->attest_ring) &&
	    (rc = check_attestations(manifest, x, n, chk, now, err, errlen)) != 0)
		goto out;
	app = find(x, n, "application.json");
	if (app && !json_is_object(app->json)) {
		snprintf(err, errlen, "application.json is not a JSON object");
		rc = BUNDLE_EFORMAT;
		goto out;
	}
	info->manifest = json_incref(manifest);
	info->application = app ? json_incref(app->json) : NULL;
	info->data = json_object();
	info->attestations = json_object();
	for (size_t i = 0; i < n; i++) {
		if (x[i].json && strncmp(x[i].name, "data/", 5) == 0)
			json_object_set(info->data, x[i].name, x[i].json);
		if (x[i].json && strncmp(x[i].name, "attestations/", 13) == 0)
			json_object_set(info->attestations, x[i].name, x[i].json);
	}
	rc = BUNDLE_OK;
out:
	for (size_t i = 0; i < n; i++)
		json_decref(x[i].json);
	free(x);
	free(text);
	json_decref(manifest);
	archive_read_free(a);
	if (rc != BUNDLE_OK) {
		memset(info, 0, sizeof *info);
		if (*err == '\0')
			snprintf(err, errlen, "%s", bundle_strerror(rc));
	}
	return rc;
}

int
bundle_read_member(const char *path, const char *name, const char *want_hex, long long size,
		   char **buf, char *err, size_t errlen)
{
	struct archive *ar;
	struct archive_entry *e;
	uint8_t h[CRYPTO_SHA256_LEN];
	char hex[CRYPTO_SHA256_LEN * 2 + 1];
	int rc = -1;

	*buf = NULL;
	snprintf(err, errlen, "%s: not in the bundle", name);
	if (size < 0 || (uint64_t)size > BUNDLE_MEMBER_READ_MAX) {
		snprintf(err, errlen, "%s: larger than a member may be read", name);
		return -1;
	}
	if ((ar = archive_read_new()) == NULL)
		return -1;
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, path, 64 * 1024) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: cannot read the bundle", name);
		archive_read_free(ar);
		return -1;
	}
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(e), name) != 0)
			continue;
		if (archive_entry_size(e) != size || (*buf = malloc((size_t)size + 1)) == NULL) {
			snprintf(err, errlen, "%s: not of the size announced", name);
			break;
		}
		if (archive_read_data(ar, *buf, (size_t)size) != (la_ssize_t)size) {
			snprintf(err, errlen, "%s: cannot be read", name);
			break;
		}
		(*buf)[size] = '\0';
		crypto_sha256(*buf, (size_t)size, h);
		crypto_hex(h, sizeof h, hex);
		if (strcmp(hex, want_hex) != 0) {
			snprintf(err, errlen, "%s: not what the manifest says", name);
			break;
		}
		rc = 0;
		break;
	}
	archive_read_free(ar);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}
