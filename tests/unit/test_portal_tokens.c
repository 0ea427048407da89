/*
 * test_portal_tokens.c — mailed tokens are exact in form and stored only hashed;
 * account addresses normalise to one key; a representative (代理申請) is checked by
 * its fixed form against the procedure's policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "jsonio.h"
#include "proxyrep.h"
#include "tokens.h"

static void
test_tokens_are_random_and_only_their_hash_is_kept(void **state)
{
	char t1[PORTAL_TOKEN_HEX + 1], h1[PORTAL_TOKEN_HEX + 1];
	char t2[PORTAL_TOKEN_HEX + 1], h2[PORTAL_TOKEN_HEX + 1], again[PORTAL_TOKEN_HEX + 1];

	(void)state;
	assert_int_equal(portal_token_new(t1, h1), 0);
	assert_int_equal(portal_token_new(t2, h2), 0);
	assert_int_equal(strlen(t1), PORTAL_TOKEN_HEX);
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(t1, h1);
	assert_int_equal(portal_token_hash(t1, again), 0);
	assert_string_equal(again, h1);
	/* SHA-256 of 64 'a's, computed elsewhere. */
	memset(t2, 'a', PORTAL_TOKEN_HEX);
	t2[PORTAL_TOKEN_HEX] = '\0';
	assert_int_equal(portal_token_hash(t2, again), 0);
	assert_string_equal(again, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void
test_malformed_tokens_are_refused_before_lookup(void **state)
{
	char h[PORTAL_TOKEN_HEX + 1], t[PORTAL_TOKEN_HEX + 2];

	(void)state;
	assert_int_equal(portal_token_hash(NULL, h), -1);
	assert_int_equal(portal_token_hash("", h), -1);
	memset(t, 'a', sizeof t);
	t[PORTAL_TOKEN_HEX + 1] = '\0';
	assert_int_equal(portal_token_hash(t, h), -1);		/* one too long */
	t[PORTAL_TOKEN_HEX - 1] = '\0';
	assert_int_equal(portal_token_hash(t, h), -1);		/* one too short */
	memset(t, 'a', PORTAL_TOKEN_HEX);
	t[PORTAL_TOKEN_HEX] = '\0';
	t[10] = 'A';
	assert_int_equal(portal_token_hash(t, h), -1);		/* upper case */
	t[10] = 'g';
	assert_int_equal(portal_token_hash(t, h), -1);
	t[10] = '\0';
	assert_int_equal(portal_token_hash(t, h), -1);
}

static void
test_random_ids(void **state)
{
	char a[33], b[33];

	(void)state;
	assert_int_equal(portal_random_id(a), 0);
	assert_int_equal(portal_random_id(b), 0);
	assert_string_not_equal(a, b);
	assert_true(portal_random_id_valid(a));
	assert_false(portal_random_id_valid("../../etc/passwd"));
	assert_false(portal_random_id_valid(NULL));
	a[31] = 'Z';
	assert_false(portal_random_id_valid(a));
}

static void
test_addresses_normalise_to_one_key(void **state)
{
	char e1[MAIL_ADDR_MAX + 1], e2[MAIL_ADDR_MAX + 1];
	char k1[PORTAL_EMAIL_KEY_MAX + 1], k2[PORTAL_EMAIL_KEY_MAX + 1];
	char huge[400];

	(void)state;
	assert_int_equal(portal_email_normalize("Taro.Yamada@Example.JP", e1), 0);
	assert_string_equal(e1, "taro.yamada@example.jp");
	assert_int_equal(portal_email_normalize("taro.yamada@example.jp", e2), 0);
	portal_email_key(e1, k1);
	portal_email_key(e2, k2);
	assert_string_equal(k1, k2);
	assert_int_equal(strlen(k1), PORTAL_EMAIL_KEY_MAX);
	assert_int_equal(strncmp(k1, "acct:", 5), 0);
	assert_int_equal(portal_email_normalize("taro@example.jp\r\nBcc: x@y.jp", e1), -1);
	assert_int_equal(portal_email_normalize("taro, jiro@example.jp", e1), -1);
	assert_int_equal(portal_email_normalize(NULL, e1), -1);
	memset(huge, 'a', sizeof huge);
	memcpy(huge + 380, "@example.jp", 12);
	assert_int_equal(portal_email_normalize(huge, e1), -1);
}

static json_t *
policy(bool allowed, bool attorney)
{
	return json_pack("{s:b,s:b}", "allowed", allowed, "attorney_required", attorney);
}

static void
test_representative_is_checked_against_the_policy(void **state)
{
	json_t *pol, *in, *norm, *errs;
	char err[256];

	(void)state;
	in = json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "name", "山田 花子", "kana", "ﾔﾏﾀﾞ ﾊﾅｺ",
		       "relationship", "母", "tel", "03-1234-5678", "attorney", "u-1");
	/* Normalised: half-width kana becomes full-width. */
	pol = policy(true, true);
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 0);
	assert_null(errs);
	assert_string_equal(jsonio_str(norm, "kana", ""), "ヤマダ\u3000ハナコ");
	assert_string_equal(json_string_value(json_array_get(json_object_get(norm, "attorney"), 0)),
			    "u-1");
	json_decref(norm);
	json_decref(pol);
	/* No proxy is no proxy, whatever the policy. */
	pol = policy(false, false);
	assert_int_equal(proxyrep_check(pol, NULL, &norm, &errs, err, sizeof err), 0);
	assert_null(norm);
	/* A procedure that allows none refuses one. */
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 1);
	assert_non_null(json_object_get(errs, "proxy"));
	json_decref(errs);
	json_decref(pol);
	/* The 委任状 required and missing; unknown members refused; lengths bounded. */
	json_object_del(in, "attorney");
	pol = policy(true, true);
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 1);
	assert_non_null(json_object_get(errs, "proxy.attorney"));
	json_decref(errs);
	json_decref(pol);
	pol = policy(true, false);
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 0);
	json_decref(norm);
	json_object_set_new(in, "salary", json_string("x"));
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 1);
	json_decref(errs);
	json_object_del(in, "salary");
	{
		char long_name[PROXYREP_NAME_MAX * 3 + 8];

		memset(long_name, 'a', PROXYREP_NAME_MAX + 1);
		long_name[PROXYREP_NAME_MAX + 1] = '\0';
		json_object_set_new(in, "name", json_string(long_name));
	}
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 1);
	assert_non_null(json_object_get(errs, "proxy.name"));
	json_decref(errs);
	json_object_del(in, "relationship");
	json_object_set_new(in, "name", json_string("山田 花子"));
	assert_int_equal(proxyrep_check(pol, in, &norm, &errs, err, sizeof err), 1);
	assert_non_null(json_object_get(errs, "proxy.relationship"));
	json_decref(errs);
	json_decref(pol);
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_are_random_and_only_their_hash_is_kept),
		cmocka_unit_test(test_malformed_tokens_are_refused_before_lookup),
		cmocka_unit_test(test_random_ids),
		cmocka_unit_test(test_addresses_normalise_to_one_key),
		cmocka_unit_test(test_representative_is_checked_against_the_policy),
	};
	return cmocka_run_group_tests_name("portal_tokens", tests, NULL, NULL);
}
