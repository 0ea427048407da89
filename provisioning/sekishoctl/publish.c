/*
 * publish.c — catalogue bundles signed with the office key.
 *
 * The definitions are checked with the same code portald applies them with
 * (catalogue_check_procedure, and through it the form validator's schema parser), so
 * a definition that portald would refuse is refused here, at the operator's terminal,
 * instead of being quarantined on the far side of the diode.
 *
 * A definition file may list the procedure's files (procfile.h) by "path", relative
 * to the definition: each is read here, typed by its name and first bytes, hashed,
 * and listed in the published definition by name, type, size and SHA-256, the bytes
 * travelling as the bundle member files/<sha256>.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "catalogue.h"
#include "crypto.h"
#include "jsonio.h"
#include "procfile.h"
#include "procsig.h"
#include "publish.h"
#include "spool.h"
#include "tenant.h"

/* Read a file's bytes whole (at most max). NULL with err. */
static uint8_t *
read_whole(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n;

	if (f == NULL || (buf = malloc(max + 1)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, f ? "out of memory" : strerror(errno));
		goto fail;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max || n == 0) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? strerror(errno) :
			 n == 0 ? "empty" : "larger than a procedure's file may be");
		goto fail;
	}
	fclose(f);
	*len = n;
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}

/* A file's bytes, for the bundle member that carries them. */
struct blob {
	char member[72];
	uint8_t *data;
	size_t len;
};

/* Replace each "path" entry of def's files by what is published (name, type, size,
 * sha256); the bytes are appended to *blobs (the caller frees them). 0, or -1 with
 * err. */
static int
resolve_files(json_t *def, const char *def_path, struct blob **blobs, size_t *nblobs,
	      char *err, size_t errlen)
{
	char dir[PATH_MAX], full[PATH_MAX * 2], copy[PATH_MAX], hex[65];
	json_t *f;
	size_t i;

	snprintf(copy, sizeof copy, "%s", def_path);
	snprintf(dir, sizeof dir, "%s", dirname(copy));
	json_array_foreach(json_object_get(def, "files"), i, f) {
		const char *rel = jsonio_str(f, "path", NULL), *type;
		uint8_t sha[32], *data;
		struct blob *b;
		char base[PATH_MAX];
		size_t len;

		if (rel == NULL)
			continue;	/* already in published form: checked as such */
		if (rel[0] == '/')
			snprintf(full, sizeof full, "%s", rel);
		else
			snprintf(full, sizeof full, "%s/%s", dir, rel);
		if ((data = read_whole(full, PROCFILE_BYTES_MAX, &len, err, errlen)) == NULL)
			return -1;
		snprintf(copy, sizeof copy, "%s", full);
		snprintf(base, sizeof base, "%s", basename(copy));
		if ((type = procfile_type_of(base, data, len)) == NULL) {
			snprintf(err, errlen, "%s: not a pdf, docx, xlsx, doc, xls, odt, ods, png or "
				 "jpeg file whose bytes match its name", full);
			free(data);
			return -1;
		}
		crypto_sha256(data, len, sha);
		crypto_hex(sha, sizeof sha, hex);
		if ((b = realloc(*blobs, (*nblobs + 1) * sizeof **blobs)) == NULL) {
			free(data);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		*blobs = b;
		procfile_member(hex, b[*nblobs].member);
		b[*nblobs].data = data;
		b[*nblobs].len = len;
		(*nblobs)++;
		json_object_del(f, "path");
		if (json_object_get(f, "name") == NULL)
			json_object_set_new(f, "name", json_string(base));
		json_object_set_new(f, "type", json_string(type));
		json_object_set_new(f, "size", json_integer((json_int_t)len));
		json_object_set_new(f, "sha256", json_string(hex));
	}
	return 0;
}

int
publish_catalogue(const struct instance *in, const char *tenant, char *const *files,
		  size_t nfiles, char *id_out, size_t idlen, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], id[SPOOL_ID_MAX + 1], ferr[512];
	uint8_t key[32], rnd[4];
	json_t *procs = json_array(), *msg = NULL, *sigs = NULL;
	struct bundle_writer *w = NULL;
	struct spool out = { .dirfd = -1 };
	struct blob *blobs = NULL;
	size_t nblobs = 0;
	int fd = -1, rc = -1, src;
	size_t i;

	if (!tenant_name_valid(tenant)) {
		snprintf(err, errlen, "%s: not a tenant name", tenant);
		goto done;
	}
	if (nfiles == 0 || nfiles > PUBLISH_MAX_FILES) {
		snprintf(err, errlen, "give 1 to %d definition files", PUBLISH_MAX_FILES);
		goto done;
	}
	for (i = 0; i < nfiles; i++) {
		json_t *def = jsonio_load_file(files[i], PUBLISH_FILE_MAX, ferr, sizeof ferr);

		if (def == NULL) {
			snprintf(err, errlen, "%s", ferr);
			goto done;
		}
		if (resolve_files(def, files[i], &blobs, &nblobs, ferr, sizeof ferr) != 0) {
			snprintf(err, errlen, "%s", ferr);
			json_decref(def);
			goto done;
		}
		if (catalogue_check_procedure(def, ferr, sizeof ferr) != 0) {
			snprintf(err, errlen, "%s: %s", files[i], ferr);
			json_decref(def);
			goto done;
		}
		json_array_append_new(procs, def);
	}
	instance_path(in, "lgwan/keys/office-signing.key", path, sizeof path);
	if ((src = crypto_key_load_private(path, CRYPTO_KEY_ED25519, key)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(src));
		goto done;
	}
	/* Each definition signed on its own, for the sanitizer to check answers
	 * against (procsig.h); the bundle's signature covers the message as a whole. */
	sigs = json_object();
	for (i = 0; i < nfiles; i++) {
		const json_t *def = json_array_get(procs, i);
		char k[CATALOGUE_ID_MAX + 16], hex[PROCSIG_HEX_LEN + 1];

		if (procsig_key(def, k, sizeof k) != 0 || procsig_sign(key, tenant, def, hex) != 0) {
			snprintf(err, errlen, "%s: cannot sign the definition", files[i]);
			goto done;
		}
		json_object_set_new(sigs, k, json_string(hex));
	}
	msg = json_pack("{s:s,s:O,s:O}", "format", CATALOGUE_FORMAT, "procedures", procs,
			"signatures", sigs);
	instance_path(in, "lgwan/spool/downlink-out", path, sizeof path);
	if ((src = spool_open(&out, path, true)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-src));
		goto done;
	}
	crypto_random(rnd, sizeof rnd);
	snprintf(id, sizeof id, "catalogue-%s-%lld-%02x%02x%02x%02x", tenant,
		 (long long)time(NULL), rnd[0], rnd[1], rnd[2], rnd[3]);
	if ((w = bundle_writer_new(id, tenant, "catalogue")) == NULL ||
	    bundle_writer_add_json(w, "data/catalogue.json", msg) != 0) {
		snprintf(err, errlen, "%s: cannot build the bundle", id);
		goto done;
	}
	for (i = 0; i < nblobs; i++) {
		size_t k;

		for (k = 0; k < i && strcmp(blobs[k].member, blobs[i].member) != 0; k++)
			;
		if (k < i)
			continue;	/* the same file listed twice travels once */
		if (bundle_writer_add_bytes(w, blobs[i].member, blobs[i].data, blobs[i].len) != 0) {
			snprintf(err, errlen, "%s: cannot add %s", id, blobs[i].member);
			goto done;
		}
	}
	if ((fd = spool_tmp_open(&out, tmp, sizeof tmp)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-fd));
		goto done;
	}
	if (bundle_writer_write(w, fd, key, ferr, sizeof ferr) != 0) {
		spool_tmp_discard(&out, fd, tmp);
		snprintf(err, errlen, "%s: %s", id, ferr);
		goto done;
	}
	if ((src = spool_publish(&out, fd, tmp, id)) != SPOOL_OK) {
		snprintf(err, errlen, "%s: publish: %d", id, src);
		goto done;
	}
	snprintf(id_out, idlen, "%s", id);
	rc = 0;
done:
	explicit_bzero(key, sizeof key);
	if (out.dirfd >= 0)
		spool_close(&out);
	bundle_writer_free(w);
	for (i = 0; i < nblobs; i++)
		free(blobs[i].data);
	free(blobs);
	json_decref(msg);
	json_decref(sigs);
	json_decref(procs);
	return rc;
}

int
publish_main(struct instance *in, int argc, char **argv)
{
	char id[SPOOL_ID_MAX + 1], err[1024];

	if (argc < 4 || strcmp(argv[1], "publish") != 0) {
		fprintf(stderr, "usage: sekishoctl catalogue publish TENANT DEFINITION.json...\n");
		return 2;
	}
	if (publish_catalogue(in, argv[2], argv + 3, (size_t)(argc - 3), id, sizeof id, err,
			      sizeof err) != 0) {
		fprintf(stderr, "sekishoctl catalogue publish: %s\n", err);
		return 1;
	}
	printf("手続の定義 %d 件を下り回線に送出しました (bundle %s)。\n", argc - 3, id);
	return 0;
}
