/*
 * test_attest.c — an attestation proves one output came from the sanitizer, and
 * nothing else passes for one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "crypto.h"

static uint8_t san_pub[32], san_priv[32], other_pub[32], other_priv[32];

static int
keys(void **state)
{
	(void)state;
	crypto_ed25519_keygen(san_pub, san_priv);
	crypto_ed25519_keygen(other_pub, other_priv);
	return 0;
}

static json_t *
make(const char *content, const uint8_t *priv)
{
	struct attest_fields f = {
		.input_size = 1234, .input_type = "pdf",
		.output_size = strlen(content), .output_type = "pdf",
		.method = "pdf-render", .policy = "default",
		.engines = json_pack("{s:s}", "clamav", "1.4.6"),
		.scan_input = "clean", .scan_output = "clean",
	};
	crypto_sha256("original", 8, f.input_sha256);
	crypto_sha256(content, strlen(content), f.output_sha256);
	json_t *a = attest_sign(&f, priv);
	json_decref(f.engines);
	return a;
}

static int
temp_with(const char *content)
{
	char path[] = "/tmp/sekisho-attest-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	return fd;
}

static void
test_signed_attestation_verifies_and_names_output(void **state)
{
	(void)state;
	char err[256];
	uint8_t out[32], want[32];
	json_t *a = make("rebuilt pdf bytes", san_priv);

	assert_non_null(a);
	assert_int_equal(attest_verify(a, san_pub, out, err, sizeof err), ATTEST_OK);
	crypto_sha256("rebuilt pdf bytes", 17, want);
	assert_memory_equal(out, want, 32);
	json_t *body = json_object_get(a, "attestation");
	assert_string_equal(json_string_value(json_object_get(body, "format")), ATTEST_FORMAT);
	assert_string_equal(json_string_value(json_object_get(body, "method")), "pdf-render");
	json_decref(a);
}

static void
test_other_key_does_not_verify(void **state)
{
	(void)state;
	char err[256];
	json_t *a = make("x", other_priv);

	assert_int_equal(attest_verify(a, san_pub, NULL, err, sizeof err), ATTEST_EBADSIG);
	assert_non_null(strstr(err, "sanitizer key"));
	json_decref(a);
}

static void
test_changed_field_breaks_signature(void **state)
{
	(void)state;
	char err[256];
	json_t *a = make("x", san_priv);

	json_object_set_new(json_object_get(a, "attestation"), "policy", json_string("lenient"));
	assert_int_equal(attest_verify(a, san_pub, NULL, err, sizeof err), ATTEST_EBADSIG);
	json_decref(a);
}

static void
test_wrong_shape_refused_before_signature(void **state)
{
	(void)state;
	char err[256];
	json_t *a = make("x", san_priv);

	json_object_set_new(a, "extra", json_true());
	assert_int_equal(attest_verify(a, san_pub, NULL, err, sizeof err), ATTEST_EFORMAT);
	json_object_del(a, "extra");
	json_object_del(json_object_get(json_object_get(a, "attestation"), "output"), "sha256");
	assert_int_equal(attest_verify(a, san_pub, NULL, err, sizeof err), ATTEST_EFORMAT);
	assert_non_null(strstr(err, "'output' needs sha256"));
	json_decref(a);

	json_t *junk = json_pack("{s:s,s:s}", "attestation", "x", "signature", "00");
	assert_int_equal(attest_verify(junk, san_pub, NULL, err, sizeof err), ATTEST_EFORMAT);
	json_decref(junk);
}

static void
test_file_checked_against_attested_output(void **state)
{
	(void)state;
	char err[256];
	json_t *a = make("the sanitized output", san_priv);
	int good = temp_with("the sanitized output");
	int bad = temp_with("the sanitized outpuT");

	assert_int_equal(attest_verify_fd(a, san_pub, good, err, sizeof err), ATTEST_OK);
	assert_int_equal(attest_verify_fd(a, san_pub, bad, err, sizeof err), ATTEST_EMISMATCH);
	assert_non_null(strstr(err, "is not the attested output"));
	close(good);
	close(bad);
	json_decref(a);
}

/* A zip member's output names the zip it came from and its path there. */
static void
test_archive_member_names_its_origin(void **state)
{
	(void)state;
	char err[256];
	struct attest_origin o = { .size = 4321, .member = "scans/住民票.pdf", .index = 2 };
	struct attest_fields f = {
		.input_size = 10, .input_type = "pdf", .output_size = 3, .output_type = "pdf",
		.method = "pdf-render", .policy = "default", .engines = NULL,
		.scan_input = "clean", .scan_output = "clean", .origin = &o,
	};
	char zhex[65];
	json_t *a, *arc;

	crypto_sha256("the zip", 7, o.sha256);
	crypto_hex(o.sha256, 32, zhex);
	assert_non_null(a = attest_sign(&f, san_priv));
	assert_int_equal(attest_verify(a, san_pub, NULL, err, sizeof err), ATTEST_OK);
	arc = json_object_get(json_object_get(a, "attestation"), "archive");
	assert_string_equal(json_string_value(json_object_get(arc, "sha256")), zhex);
	assert_string_equal(json_string_value(json_object_get(arc, "member")), "scans/住民票.pdf");
	assert_int_equal(json_integer_value(json_object_get(arc, "index")), 2);
	assert_int_equal(json_integer_value(json_object_get(arc, "size")), 4321);
	/* A member path that climbs is no shape of ours, signed or not. */
	json_object_set_new(arc, "member", json_string("../etc/passwd"));
	assert_int_equal(attest_verify(a, san_pub, NULL, err, sizeof err), ATTEST_EFORMAT);
	json_decref(a);
	o.member = "a/../../b";
	assert_null(attest_sign(&f, san_priv));
}

static void
test_member_path_rules(void **state)
{
	(void)state;
	assert_true(attest_member_path_valid("a.pdf"));
	assert_true(attest_member_path_valid("dir/sub/写真.jpg"));
	assert_false(attest_member_path_valid(""));
	assert_false(attest_member_path_valid("/abs.pdf"));
	assert_false(attest_member_path_valid(".."));
	assert_false(attest_member_path_valid("a\\b"));
	assert_false(attest_member_path_valid("a\nb"));
	assert_false(attest_member_path_valid("dir/../../x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_attestation_verifies_and_names_output),
		cmocka_unit_test(test_other_key_does_not_verify),
		cmocka_unit_test(test_changed_field_breaks_signature),
		cmocka_unit_test(test_wrong_shape_refused_before_signature),
		cmocka_unit_test(test_file_checked_against_attested_output),
		cmocka_unit_test(test_archive_member_names_its_origin),
		cmocka_unit_test(test_member_path_rules),
	};
	return cmocka_run_group_tests_name("attest", tests, keys, NULL);
}
