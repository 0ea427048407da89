/*
 * test_password.c — Argon2id hashing of staff passwords and generated passwords.
 *
 * Each hash costs ~19 MiB and two passes, and these tests also run under
 * valgrind, so they hash only as often as the behaviour needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "password.h"

static void
test_password_verify_accepts_right(void **state)
{
	char h[PASSWORD_HASH_LEN];

	(void)state;
	assert_int_equal(password_hash("correct horse battery staple", h), 0);
	assert_int_equal(password_verify("correct horse battery staple", h), 1);
}

static void
test_password_verify_rejects_wrong(void **state)
{
	char h[PASSWORD_HASH_LEN];

	(void)state;
	assert_int_equal(password_hash("kanri-2024", h), 0);
	assert_int_equal(password_verify("kanri-2025", h), 0);
	assert_int_equal(password_verify("Kanri-2024", h), 0);
	assert_int_equal(password_verify("kanri-2024 ", h), 0);
	assert_int_equal(password_verify("", h), 0);
}

static void
test_hash_is_argon2id_phc_with_chosen_parameters(void **state)
{
	char a[PASSWORD_HASH_LEN], b[PASSWORD_HASH_LEN];

	(void)state;
	assert_int_equal(password_hash("same", a), 0);
	assert_int_equal(password_hash("same", b), 0);
	assert_int_equal(strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	/* A fresh salt each time: equal passwords do not give equal rows. */
	assert_string_not_equal(a, b);
}

static void
test_password_verify_accepts_utf8(void **state)
{
	char h[PASSWORD_HASH_LEN];

	(void)state;
	assert_int_equal(password_hash("関所のパスワード", h), 0);
	assert_int_equal(password_verify("関所のパスワード", h), 1);
	assert_int_equal(password_verify("関所のパスワー", h), 0);
}

static void
test_too_long_or_empty_password_refused(void **state)
{
	char h[PASSWORD_HASH_LEN];
	char longpw[PASSWORD_MAX_LEN + 2];
	/* A valid hash of "x", t=1 m=8 to keep this test cheap. */
	const char *x =
	    "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "K0Mzzk7MPlx9mL+NLN6IeSoEzbBVxlvDZb7a3vuy/Gk";

	(void)state;
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	assert_int_equal(password_hash(longpw, h), -1);
	assert_int_equal(password_hash("", h), -1);
	assert_int_equal(password_hash(NULL, h), -1);
	assert_int_equal(password_verify(longpw, x), 0);
	longpw[PASSWORD_MAX_LEN] = '\0';	/* exactly the maximum is fine */
	assert_int_equal(password_verify(longpw, x), 0);
}

static void
test_password_verify_malformed_is_minus_one(void **state)
{
	char huge[PASSWORD_HASH_LEN + 10];
	const char *bad[] = {
		"",
		"plaintext",
		"$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",	/* not id */
		"$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",	/* old version */
		"$argon2id$v=19$m=19456,t=2,p=1$",
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$???",
		"$argon2id$v=19$m=,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNo",
		"$argon2id$v=19$m=99999999999,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaA",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(password_verify("pw", bad[i]), -1);
	assert_int_equal(password_verify(NULL, bad[0]), -1);
	assert_int_equal(password_verify("pw", NULL), -1);
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(password_verify("pw", huge), -1);
}

static void
test_stored_hash_demanding_too_much_work_refused(void **state)
{
	(void)state;
	/* 4 GiB of memory, or 1000 passes: refused before argon2 allocates. */
	assert_int_equal(password_verify("pw",
	    "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "K0Mzzk7MPlx9mL+NLN6IeSoEzbBVxlvDZb7a3vuy/Gk"), -1);
	assert_int_equal(password_verify("pw",
	    "$argon2id$v=19$m=19456,t=1000,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "K0Mzzk7MPlx9mL+NLN6IeSoEzbBVxlvDZb7a3vuy/Gk"), -1);
	assert_int_equal(password_verify("pw",
	    "$argon2id$v=19$m=19456,t=2,p=64$c29tZXNhbHRzb21lc2FsdA$"
	    "K0Mzzk7MPlx9mL+NLN6IeSoEzbBVxlvDZb7a3vuy/Gk"), -1);
}

static void
test_generated_password_has_no_lookalikes(void **state)
{
	char pw[33];
	int round;
	size_t i;

	(void)state;
	for (round = 0; round < 500; round++) {
		assert_int_equal(password_generate(pw, sizeof(pw), 32), 0);
		assert_int_equal(strlen(pw), 32);
		for (i = 0; i < 32; i++) {
			assert_null(strchr("0Oo1lIi", pw[i]));
			assert_true((pw[i] >= 'A' && pw[i] <= 'Z') ||
			    (pw[i] >= 'a' && pw[i] <= 'z') ||
			    (pw[i] >= '2' && pw[i] <= '9'));
		}
	}
}

static void
test_generated_passwords_cover_alphabet_evenly(void **state)
{
	/* 55 symbols; 100,000 draws gives ~1818 each. A modulo bias (256 % 55 = 36
	 * symbols drawn 5/4 as often) would push those to ~2200; allow +-15%. */
	const char *alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
	size_t n = strlen(alphabet), counts[256] = { 0 }, i, total = 0;
	char pw[101];
	int round;

	(void)state;
	for (round = 0; round < 1000; round++) {
		assert_int_equal(password_generate(pw, sizeof(pw), 100), 0);
		for (i = 0; i < 100; i++)
			counts[(unsigned char)pw[i]]++;
		total += 100;
	}
	for (i = 0; i < n; i++) {
		double expect = (double)total / (double)n;
		double got = (double)counts[(unsigned char)alphabet[i]];

		assert_true(got > expect * 0.85 && got < expect * 1.15);
	}
}

static void
test_generate_refuses_bad_lengths(void **state)
{
	char pw[16];

	(void)state;
	assert_int_equal(password_generate(pw, sizeof(pw), 16), -1);
	assert_int_equal(password_generate(pw, sizeof(pw), 0), -1);
	assert_int_equal(password_generate(NULL, 16, 8), -1);
	assert_int_equal(password_generate(pw, sizeof(pw), 15), 0);
	assert_int_equal(strlen(pw), 15);
}

static void
test_generated_passwords_differ(void **state)
{
	char a[21], b[21];

	(void)state;
	assert_int_equal(password_generate(a, sizeof(a), 20), 0);
	assert_int_equal(password_generate(b, sizeof(b), 20), 0);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_verify_accepts_right),
		cmocka_unit_test(test_password_verify_rejects_wrong),
		cmocka_unit_test(test_hash_is_argon2id_phc_with_chosen_parameters),
		cmocka_unit_test(test_password_verify_accepts_utf8),
		cmocka_unit_test(test_too_long_or_empty_password_refused),
		cmocka_unit_test(test_password_verify_malformed_is_minus_one),
		cmocka_unit_test(test_stored_hash_demanding_too_much_work_refused),
		cmocka_unit_test(test_generated_password_has_no_lookalikes),
		cmocka_unit_test(test_generated_passwords_cover_alphabet_evenly),
		cmocka_unit_test(test_generate_refuses_bad_lengths),
		cmocka_unit_test(test_generated_passwords_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
