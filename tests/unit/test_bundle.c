/*
 * test_bundle.c — only a bundle that is exactly what the signed manifest says, with
 * every file attested by the sanitizer, passes the gate.
 */
#define _GNU_SOURCE	/* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "attest.h"
#include "bundle.h"
#include "crypto.h"
#include "jsonio.h"
#include "testutil.h"

static uint8_t san_pub[32], san_priv[32], office_pub[32], office_priv[32];

struct fixture {
	char dir[64];
	char pdf[96];		/* a "sanitized" file */
	char bundle[96];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	FILE *fp;

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-bundle-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->pdf, sizeof f->pdf, "%s/out.pdf", f->dir);
	snprintf(f->bundle, sizeof f->bundle, "%s/b.tar", f->dir);
	assert_non_null(fp = fopen(f->pdf, "w"));
	fputs("%PDF-1.7 rebuilt from pixels\n%%EOF\n", fp);
	fclose(fp);
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

static int
group_setup(void **state)
{
	(void)state;
	crypto_ed25519_keygen(san_pub, san_priv);
	crypto_ed25519_keygen(office_pub, office_priv);
	return 0;
}

static json_t *
attest_file(const char *path, const uint8_t *priv)
{
	struct attest_fields a = {
		.input_size = 10, .input_type = "pdf", .output_type = "pdf",
		.method = "pdf-render", .policy = "default", .engines = NULL,
		.scan_input = "clean", .scan_output = "clean",
	};
	int fd = open(path, O_RDONLY);

	crypto_sha256("input", 5, a.input_sha256);
	crypto_sha256_fd(fd, a.output_sha256);
	a.output_size = (uint64_t)lseek(fd, 0, SEEK_END);
	close(fd);
	return attest_sign(&a, priv);
}

/* Write an application bundle; which pieces are wrong is up to the caller. */
static void
write_app(struct fixture *f, const uint8_t *manifest_key, const uint8_t *attest_key,
	  bool attest)
{
	struct bundle_writer *w = bundle_writer_new("app-0001", "demo", "application");
	json_t *form = json_pack("{s:s,s:s}", "procedure", "jumin-hyo", "name", "山田 太郎");
	json_t *meta = json_pack("{s:s,s:s}", "field", "attachment", "display_name", "住民票.pdf");
	char err[256];
	int fd;

	assert_non_null(w);
	assert_int_equal(bundle_writer_add_json(w, "application.json", form), BUNDLE_OK);
	if (attest) {
		json_t *att = attest_file(f->pdf, attest_key);
		assert_int_equal(bundle_writer_add_attested(w, "files/1.pdf", f->pdf, att, meta),
				 BUNDLE_OK);
		json_decref(att);
	} else {
		assert_int_equal(bundle_writer_add_file(w, "files/1.pdf", f->pdf), BUNDLE_OK);
	}
	fd = open(f->bundle, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(bundle_writer_write(w, fd, manifest_key, err, sizeof err), BUNDLE_OK);
	close(fd);
	bundle_writer_free(w);
	json_decref(form);
	json_decref(meta);
}

static int
verify(struct fixture *f, struct bundle_check *chk, struct bundle_info *info, char *err)
{
	int fd = open(f->bundle, O_RDONLY);
	int rc = bundle_verify_fd(fd, chk, info, err, 256);
	close(fd);
	return rc;
}

static struct bundle_check
uplink_check(void)
{
	struct bundle_check c = { .signer_pub = san_pub, .attest_pub = san_pub };
	bundle_limits_default(&c.limits);
	return c;
}

static void
test_written_bundle_verifies_with_its_content(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = uplink_check();
	struct bundle_info info;
	char err[256];

	write_app(f, san_priv, san_priv, true);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_OK);
	assert_string_equal(info.id, "app-0001");
	assert_string_equal(info.tenant, "demo");
	assert_string_equal(info.kind, "application");
	assert_string_equal(jsonio_str(info.application, "name", ""), "山田 太郎");
	json_t *file = json_array_get(json_object_get(info.manifest, "files"), 0);
	assert_string_equal(jsonio_str(file, "display_name", ""), "住民票.pdf");
	bundle_info_free(&info);
}

static void
test_bundle_is_a_plain_tar_an_auditor_can_list(void **state)
{
	struct fixture *f = *state;
	char cmd[256], out[512] = "";
	FILE *p;
	size_t n;

	write_app(f, san_priv, san_priv, true);
	snprintf(cmd, sizeof cmd, "tar -tf '%s'", f->bundle);
	assert_non_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "manifest.json\nmanifest.sig\napplication.json\nfiles/1.pdf\n"
				 "attestations/1.pdf.json\n");
}

static void
test_manifest_signed_by_other_key_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = uplink_check();
	struct bundle_info info;
	char err[256];

	write_app(f, office_priv, san_priv, true);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EBADSIG);
	assert_null(info.manifest);
}

static void
test_file_without_attestation_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = uplink_check();
	struct bundle_info info;
	char err[256];

	write_app(f, san_priv, san_priv, false);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EUNATTESTED);
	assert_non_null(strstr(err, "1 of 1 files have no attestation"));
	/* The same bundle is fine where no attestation is required (downlink). */
	chk.attest_pub = NULL;
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_OK);
	bundle_info_free(&info);
}

static void
test_attestation_by_other_key_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = uplink_check();
	struct bundle_info info;
	char err[256];

	/* Signed manifest is fine, but the "attestation" is not the sanitizer's. */
	write_app(f, san_priv, office_priv, true);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EUNATTESTED);
	assert_non_null(strstr(err, "attestations/1.pdf.json"));
}

static void
test_flipped_byte_in_file_member_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = uplink_check();
	struct bundle_info info;
	char err[256], buf[8192];
	int fd;
	ssize_t n;
	char *hit;

	write_app(f, san_priv, san_priv, true);
	fd = open(f->bundle, O_RDWR);
	n = read(fd, buf, sizeof buf);
	assert_true(n > 0);
	assert_non_null(hit = memmem(buf, (size_t)n, "rebuilt", 7));
	*hit = 'R';
	assert_int_equal(pwrite(fd, buf, (size_t)n, 0), n);
	close(fd);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EHASH);
	assert_non_null(strstr(err, "files/1.pdf"));
}

/* A hand-made tar: any members, any order, any type. */
struct raw {
	const char *name;
	const void *data;
	size_t len;
	int type;		/* AE_IFREG or AE_IFLNK */
};

static void
write_raw(struct fixture *f, const struct raw *r, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, f->bundle), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, r[i].name);
		archive_entry_set_filetype(e, (unsigned)r[i].type);
		archive_entry_set_perm(e, 0644);
		if (r[i].type == AE_IFLNK) {
			archive_entry_set_symlink(e, "/etc/passwd");
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_size(e, (la_int64_t)r[i].len);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (r[i].len)
			archive_write_data(a, r[i].data, r[i].len);
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
}

/* A signed manifest listing members (name, content) pairs. */
static char *
signed_manifest(const char *const *names, const char *const *contents, size_t n,
		uint8_t sig[64], size_t *len)
{
	json_t *members = json_array();
	char hex[65];
	uint8_t h[32];

	for (size_t i = 0; i < n; i++) {
		crypto_sha256(contents[i], strlen(contents[i]), h);
		crypto_hex(h, 32, hex);
		json_array_append_new(members, json_pack("{s:s,s:I,s:s}", "name", names[i],
							 "size", (json_int_t)strlen(contents[i]),
							 "sha256", hex));
	}
	json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:o,s:[]}", "format", BUNDLE_FORMAT,
			      "id", "x1", "tenant", "demo", "kind", "status",
			      "members", members, "files");
	char *text = jsonio_dump_canonical(m, len);
	json_decref(m);
	crypto_ed25519_sign(office_priv, text, *len, sig);
	return text;
}

static struct bundle_check
downlink_check(void)
{
	struct bundle_check c = { .signer_pub = office_pub };
	bundle_limits_default(&c.limits);
	return c;
}

static void
test_member_not_in_manifest_refused(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "data/status.json" }, *contents[] = { "{\"s\":1}" };
	uint8_t sig[64];
	size_t len;
	char *m = signed_manifest(names, contents, 1, sig, &len), err[256];
	struct bundle_check chk = downlink_check();
	struct bundle_info info;
	struct raw r[] = {
		{ "manifest.json", m, len, AE_IFREG }, { "manifest.sig", sig, 64, AE_IFREG },
		{ "data/status.json", contents[0], strlen(contents[0]), AE_IFREG },
		{ "data/extra.json", "{}", 2, AE_IFREG },
	};

	write_raw(f, r, 3);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_OK);
	/* data/ JSON members are handed to the caller (receipts, status messages). */
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(info.data, "data/status.json"), "s")), 1);
	bundle_info_free(&info);
	write_raw(f, r, 4);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EFORMAT);
	assert_non_null(strstr(err, "data/extra.json' is not in the manifest"));
	free(m);
}

static void
test_symlink_member_refused(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "data/status.json" }, *contents[] = { "" };
	uint8_t sig[64];
	size_t len;
	char *m = signed_manifest(names, contents, 1, sig, &len), err[256];
	struct bundle_check chk = downlink_check();
	struct bundle_info info;
	struct raw r[] = {
		{ "manifest.json", m, len, AE_IFREG }, { "manifest.sig", sig, 64, AE_IFREG },
		{ "data/status.json", NULL, 0, AE_IFLNK },
	};

	write_raw(f, r, 3);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EFORMAT);
	assert_non_null(strstr(err, "not a regular file"));
	free(m);
}

static void
test_members_out_of_order_or_missing_signature_refused(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "data/a.json", "data/b.json" }, *contents[] = { "1", "2" };
	uint8_t sig[64];
	size_t len;
	char *m = signed_manifest(names, contents, 2, sig, &len), err[256];
	struct bundle_check chk = downlink_check();
	struct bundle_info info;
	struct raw swapped[] = {
		{ "manifest.json", m, len, AE_IFREG }, { "manifest.sig", sig, 64, AE_IFREG },
		{ "data/b.json", "2", 1, AE_IFREG }, { "data/a.json", "1", 1, AE_IFREG },
	};
	struct raw unsigned_[] = {
		{ "manifest.json", m, len, AE_IFREG }, { "data/a.json", "1", 1, AE_IFREG },
	};

	write_raw(f, swapped, 4);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EFORMAT);
	write_raw(f, unsigned_, 2);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EFORMAT);
	assert_non_null(strstr(err, "where manifest.sig was expected"));
	free(m);
}

static void
test_limits_refuse_before_reading_members(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = uplink_check();
	struct bundle_info info;
	char err[256];

	write_app(f, san_priv, san_priv, true);
	chk.limits.max_members = 2;
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_ELIMIT);
	chk.limits.max_members = 64;
	chk.limits.max_member_bytes = 10;
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_ELIMIT);
}

static void
test_not_a_tar_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_check chk = downlink_check();
	struct bundle_info info;
	char err[256];
	FILE *fp = fopen(f->bundle, "w");

	fputs("this is not a tar archive, just text that goes on for a while..........", fp);
	fclose(fp);
	assert_int_equal(verify(f, &chk, &info, err), BUNDLE_EFORMAT);
}

static void
test_member_names(void **state)
{
	(void)state;
	assert_true(bundle_member_name_valid("application.json"));
	assert_true(bundle_member_name_valid("files/1.pdf"));
	assert_true(bundle_member_name_valid("attestations/1.pdf.json"));
	assert_false(bundle_member_name_valid("files/../etc/passwd"));
	assert_false(bundle_member_name_valid("/files/1.pdf"));
	assert_false(bundle_member_name_valid("files/.hidden"));
	assert_false(bundle_member_name_valid("files/"));
	assert_false(bundle_member_name_valid("other/1.pdf"));
	assert_false(bundle_member_name_valid("files/a b.pdf"));
	assert_false(bundle_member_name_valid("manifest.json"));
	assert_false(bundle_member_name_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_written_bundle_verifies_with_its_content),
		T(test_bundle_is_a_plain_tar_an_auditor_can_list),
		T(test_manifest_signed_by_other_key_refused),
		T(test_file_without_attestation_refused),
		T(test_attestation_by_other_key_refused),
		T(test_flipped_byte_in_file_member_refused),
		T(test_member_not_in_manifest_refused),
		T(test_symlink_member_refused),
		T(test_members_out_of_order_or_missing_signature_refused),
		T(test_limits_refuse_before_reading_members),
		T(test_not_a_tar_refused),
		cmocka_unit_test(test_member_names),
#undef T
	};
	return cmocka_run_group_tests_name("bundle", tests, group_setup, NULL);
}
