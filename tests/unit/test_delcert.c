/*
 * test_delcert.c — the deletion certificate (削除証明書): it lists every file with the
 * hash it had, its manifest hash is that of the list, it is signed only where the
 * office key is, and any change to a signed certificate is caught. Also the signature
 * database's build time read from a container header (sigcheck).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "delcert.h"
#include "fsio.h"
#include "instance.h"
#include "sigcheck.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	struct instance in;
	uint8_t pub[32];
};

static void
put(const struct fixture *f, const char *rel, const char *data)
{
	char p[PATH_MAX];

	instance_path(&f->in, rel, p, sizeof p);
	assert_int_equal(fsio_write_atomic(p, data, strlen(data), 0600), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	static const char *const dirs[] = { "dmz", "dmz/spool", "dmz/spool/intake",
					    "dmz/spool/intake/done", "lgwan", "lgwan/keys", NULL };
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-delcert-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(instance_locate(&f->in, f->dir, err, sizeof err), 0);
	for (size_t i = 0; dirs[i]; i++) {
		char p[PATH_MAX];

		instance_path(&f->in, dirs[i], p, sizeof p);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	put(f, "dmz/spool/intake/done/u1", "upload one");
	put(f, "dmz/spool/intake/done/u2", "upload two, longer");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static void
with_key(struct fixture *f)
{
	uint8_t priv[32];
	char p[PATH_MAX];

	assert_int_equal(crypto_ed25519_keygen(f->pub, priv), 0);
	instance_path(&f->in, "lgwan/keys/office-signing.key", p, sizeof p);
	assert_int_equal(crypto_key_save_private(p, CRYPTO_KEY_ED25519, priv), 0);
}

/* Record dmz/spool (a directory: both files below it) and delete nothing; the JSON's
 * path into path. */
static void
certify(struct fixture *f, char *path, size_t len)
{
	char err[512], p[PATH_MAX], db[PATH_MAX];
	struct delcert *c;

	c = delcert_begin(&f->in, "mura", "山田 太郎", err, sizeof err);
	assert_non_null(c);
	instance_path(&f->in, "dmz/db/mura.sqlite", db, sizeof db);
	assert_int_equal(delcert_inventory(c, "dmz", db, err, sizeof err), 0);
	instance_path(&f->in, "dmz/spool", p, sizeof p);
	assert_int_equal(delcert_add(c, p, err, sizeof err), 0);
	assert_int_equal(delcert_finish(c, NULL, 0, path, len, err, sizeof err), 0);
	assert_non_null(strstr(delcert_text(c), "残存 0 件"));
	assert_non_null(strstr(delcert_text(c), "山田 太郎"));
	assert_non_null(strstr(delcert_text(c), "上書き消去は行っていません"));
	delcert_free(c);
}

static void
test_certificate_lists_each_file_with_its_hash_and_a_manifest(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], err[512], hex[65], line[256], *manifest = NULL;
	uint8_t sum[32];
	size_t mlen = 0;
	FILE *m = open_memstream(&manifest, &mlen);
	json_t *doc, *files;

	with_key(f);
	certify(f, path, sizeof path);
	assert_int_equal(delcert_verify(path, f->pub, err, sizeof err), 0);
	doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	files = json_object_get(doc, "files");
	assert_int_equal(json_array_size(files), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "path")),
			    "dmz/spool/intake/done/u1");
	crypto_sha256("upload one", 10, sum);
	crypto_hex(sum, 32, hex);
	assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0),
							       "sha256")), hex);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(files, 1), "size")),
			 18);
	/* The manifest is the hash of "SHA256  SIZE  PATH\n" lines, recomputable by anyone. */
	for (size_t i = 0; i < 2; i++) {
		json_t *e = json_array_get(files, i);

		snprintf(line, sizeof line, "%s  %lld  %s\n",
			 json_string_value(json_object_get(e, "sha256")),
			 (long long)json_integer_value(json_object_get(e, "size")),
			 json_string_value(json_object_get(e, "path")));
		fputs(line, m);
	}
	fclose(m);
	crypto_sha256(manifest, mlen, sum);
	crypto_hex(sum, 32, hex);
	assert_string_equal(json_string_value(json_object_get(doc, "manifest_sha256")), hex);
	assert_false(json_is_true(json_object_get(json_object_get(json_object_get(doc, "zones"),
								   "dmz"), "present")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "totals"),
							    "bytes")), 28);
	free(manifest);
	json_decref(doc);
}

static void
test_changed_certificate_or_other_key_is_refused(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], txt[PATH_MAX], err[512];
	uint8_t other[32], priv[32];
	char *data;
	struct stat sb;

	with_key(f);
	certify(f, path, sizeof path);
	snprintf(txt, sizeof txt, "%.*s.txt", (int)(strlen(path) - 5), path);
	assert_int_equal(delcert_verify(txt, f->pub, err, sizeof err), 0);
	/* One byte changed in the text. */
	assert_int_equal(stat(txt, &sb), 0);
	data = fsio_read_bounded(txt, (uint64_t)sb.st_size, 1 << 20);
	assert_non_null(data);
	data[0] ^= 1;
	assert_int_equal(fsio_write_atomic(txt, data, (size_t)sb.st_size, 0640), 0);
	free(data);
	assert_int_equal(delcert_verify(txt, f->pub, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not verify"));
	/* Another key. */
	assert_int_equal(crypto_ed25519_keygen(other, priv), 0);
	assert_int_equal(delcert_verify(path, other, err, sizeof err), -1);
}

static void
test_manifest_must_match_the_list_even_when_signed(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], sp[PATH_MAX], err[512], keyp[PATH_MAX];
	uint8_t priv[32], sig[64];
	json_t *doc;
	char *s;

	with_key(f);
	certify(f, path, sizeof path);
	doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	json_array_remove(json_object_get(doc, "files"), 0);
	s = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	/* Re-signed with the right key: only the manifest check can catch it. */
	instance_path(&f->in, "lgwan/keys/office-signing.key", keyp, sizeof keyp);
	assert_int_equal(crypto_key_load_private(keyp, CRYPTO_KEY_ED25519, priv), 0);
	assert_int_equal(crypto_ed25519_sign(priv, s, strlen(s), sig), 0);
	assert_int_equal(fsio_write_atomic(path, s, strlen(s), 0640), 0);
	snprintf(sp, sizeof sp, "%s.sig", path);
	assert_int_equal(fsio_write_atomic(sp, sig, sizeof sig, 0640), 0);
	free(s);
	assert_int_equal(delcert_verify(path, f->pub, err, sizeof err), -1);
	assert_non_null(strstr(err, "manifest"));
}

static void
test_without_the_office_key_the_certificate_is_unsigned(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], sp[PATH_MAX], err[512];
	json_t *doc;

	certify(f, path, sizeof path);
	snprintf(sp, sizeof sp, "%s.sig", path);
	assert_int_not_equal(access(sp, F_OK), 0);
	doc = json_load_file(path, 0, NULL);
	assert_true(json_is_null(json_object_get(json_object_get(doc, "signature"),
						 "algorithm")));
	json_decref(doc);
	memset(f->pub, 0, sizeof f->pub);
	assert_int_equal(delcert_verify(path, f->pub, err, sizeof err), -1);
	assert_non_null(strstr(err, "no signature"));
}

static void
test_unreadable_office_key_stops_before_anything(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX], err[512];

	instance_path(&f->in, "lgwan/keys/office-signing.key", p, sizeof p);
	assert_int_equal(fsio_write_atomic(p, "not a key", 9, 0600), 0);
	assert_null(delcert_begin(&f->in, "mura", NULL, err, sizeof err));
	assert_non_null(strstr(err, "office-signing.key"));
}

static void
test_signature_database_build_time_from_the_header(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], p[PATH_MAX + 16], hdr[SIGCHECK_HEADER_LEN];
	time_t built;

	instance_path(&f->in, "dmz", dir, sizeof dir);
	assert_int_equal(sigcheck_built(dir, &built), -1);	/* no container */
	static const char h[] = "ClamAV-VDB:22 Nov 2026 08-30 +0000:27100:2000000:90:"
				"0123456789abcdef:sig:builder:1795336200";

	memset(hdr, ' ', sizeof hdr);
	memcpy(hdr, h, sizeof h - 1);
	snprintf(p, sizeof p, "%s/daily.cvd", dir);
	assert_int_equal(fsio_write_atomic(p, hdr, sizeof hdr, 0644), 0);
	snprintf(p, sizeof p, "%s/main.cld", dir);
	assert_int_equal(fsio_write_atomic(p, "ClamAV-VDB:x:1:2:3:4:5:6:1000", 29, 0644), 0);
	assert_int_equal(sigcheck_built(dir, &built), 0);
	assert_int_equal((long long)built, 1795336200LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_certificate_lists_each_file_with_its_hash_and_a_manifest, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_changed_certificate_or_other_key_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_must_match_the_list_even_when_signed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_the_office_key_the_certificate_is_unsigned,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_office_key_stops_before_anything,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_database_build_time_from_the_header,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
