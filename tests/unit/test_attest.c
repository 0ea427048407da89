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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_attestation_verifies_and_names_output),
		cmocka_unit_test(test_other_key_does_not_verify),
		cmocka_unit_test(test_changed_field_breaks_signature),
		cmocka_unit_test(test_wrong_shape_refused_before_signature),
		cmocka_unit_test(test_file_checked_against_attested_output),
	};
	return cmocka_run_group_tests_name("attest", tests, keys, NULL);
}
