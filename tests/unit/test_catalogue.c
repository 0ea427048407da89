/*
 * test_catalogue.c — procedure definitions are checked whole, stored per version,
 * listed and searched as citizens see them, and open and close themselves.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "crypto.h"
#include "db.h"
#include "jsonio.h"
#include "portal_db.h"
#include "procsig.h"
#include "testutil.h"

#define NOW 1795000000	/* 2026-11-18T11:06:40Z */

static uint8_t office_pub[32], office_priv[32];
static struct keyring office_keys;	/* office_pub alone */

struct fixture {
	char dir[PATH_MAX];
	struct db *db;
	json_t *inquiry, *teate;
};

static json_t *
load(const char *path)
{
	char err[256];
	json_t *j = jsonio_load_file(path, 1 << 20, err, sizeof err);

	if (j == NULL)
		fail_msg("%s", err);
	return j;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[PATH_MAX + 32], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/test_catalogue.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	if (db_open(&f->db, path, DB_CREATE, portal_db_migrations, portal_db_nmigrations, err,
		    sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	f->inquiry = load("provisioning/catalogue/demo/demo-inquiry.json");
	f->teate = load("provisioning/catalogue/demo/jidou-teate.json");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->inquiry);
	json_decref(f->teate);
	db_close(f->db);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* A catalogue message as the office publishes it: each definition signed. */
static json_t *
message(json_t *p1, json_t *p2)
{
	json_t *procs = json_array(), *sigs = json_object(), *p;
	char key[96], hex[PROCSIG_HEX_LEN + 1];
	size_t i;

	if (p1)
		json_array_append(procs, p1);
	if (p2)
		json_array_append(procs, p2);
	json_array_foreach(procs, i, p) {
		assert_int_equal(procsig_key(p, key, sizeof key), 0);
		assert_int_equal(procsig_sign(office_priv, "demo", p, hex), 0);
		json_object_set_new(sigs, key, json_string(hex));
	}
	return json_pack("{s:s,s:o,s:o}", "format", CATALOGUE_FORMAT, "procedures", procs,
			 "signatures", sigs);
}

static int
apply(struct fixture *f, json_t *msg, char *err, size_t errlen)
{
	int rc;

	assert_int_equal(db_begin(f->db), 0);
	rc = catalogue_apply(f->db, msg, "demo", &office_keys, NOW, err, errlen);
	if (rc == 0)
		assert_int_equal(db_commit(f->db), 0);
	else
		db_rollback(f->db);
	json_decref(msg);
	return rc;
}

static void
test_samples_are_valid(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	assert_int_equal(catalogue_check_procedure(f->inquiry, err, sizeof err), 0);
	assert_int_equal(catalogue_check_procedure(f->teate, err, sizeof err), 0);
}

static void
refused(json_t *proc, const char *why_contains)
{
	char err[512] = "";

	assert_int_equal(catalogue_check_procedure(proc, err, sizeof err), -1);
	if (strstr(err, why_contains) == NULL)
		fail_msg("expected '%s' in '%s'", why_contains, err);
	json_decref(proc);
}

/* The procedure's sanitizer policy: two booleans, nothing else. */
static void
test_sanitizer_policy_is_checked(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	json_t *p = json_deep_copy(f->inquiry);

	json_object_set_new(p, "sanitizer", json_pack("{s:b,s:b}", "allow_archives", 1,
						      "keep_ooxml", 0));
	assert_int_equal(catalogue_check_procedure(p, err, sizeof err), 0);
	json_object_set_new(p, "sanitizer", json_pack("{s:s}", "allow_archives", "yes"));
	assert_int_equal(catalogue_check_procedure(p, err, sizeof err), -1);
	assert_non_null(strstr(err, "allow_archives"));
	json_object_set_new(p, "sanitizer", json_pack("{s:b}", "allow_macros", 1));
	refused(p, "allow_macros");
}

static void
test_bad_definitions_are_refused_with_the_member(void **state)
{
	struct fixture *f = *state;
	json_t *p;

	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "id", json_string("Bad_ID"));
	refused(p, "id");
	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "clozes_at", json_string("2026-01-01T00:00:00Z"));
	refused(p, "clozes_at: unknown member");
	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "reception", json_pack("{s:s}", "closes_at", "2026-02-30T00:00:00Z"));
	refused(p, "closes_at");
	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "reception", json_pack("{s:s,s:s}", "opens_at",
						     "2026-05-01T00:00:00Z", "closes_at",
						     "2026-04-01T00:00:00Z"));
	refused(p, "not after");
	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "visibility", json_string("secret"));
	refused(p, "visibility");
	p = json_deep_copy(f->inquiry);
	json_object_del(p, "schema");
	refused(p, "schema");
	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "schema", json_pack("{s:[{s:s,s:s}]}", "fields", "name", "x",
						  "type", "telepathy"));
	refused(p, "schema");
	p = json_deep_copy(f->inquiry);
	json_object_set_new(p, "version", json_integer(0));
	refused(p, "version");
	/* An info-only procedure needs no form. */
	p = json_deep_copy(f->inquiry);
	json_object_del(p, "schema");
	json_object_set_new(p, "info_only", json_true());
	assert_int_equal(catalogue_check_procedure(p, (char[256]){ 0 }, 256), 0);
	json_decref(p);
}

/* inquiry with notify.templates set to t (a JSON text). */
static json_t *
with_templates(const json_t *inquiry, const char *t)
{
	json_t *p = json_deep_copy(inquiry);
	json_error_t e;

	json_object_set_new(p, "notify", json_pack("{s:s,s:[s],s:o}", "email_field", "email",
						   "events", "arrival", "templates",
						   json_loads(t, 0, &e)));
	return p;
}

static void
test_email_templates_are_checked(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	json_t *p;

	p = with_templates(f->inquiry, "{\"arrival\":{\"subject\":\"【到達】{{title}} {{receipt_no}}\","
				       "\"lead\":\"{{title}}を {{at}} に受け付けました。{{status_url}}\"}}");
	assert_int_equal(catalogue_check_procedure(p, err, sizeof err), 0);
	json_decref(p);
	refused(with_templates(f->inquiry, "{\"arrival\":{\"subject\":\"{{reciept_no}}\",\"lead\":\"x\"}}"),
		"unknown placeholder");
	refused(with_templates(f->inquiry, "{\"arrival\":{\"subject\":\"a\",\"lead\":\"{{ title\"}}"),
		"unknown placeholder");
	/* A subject is one header line: no way to add a header of one's own. */
	refused(with_templates(f->inquiry, "{\"arrival\":{\"subject\":\"a\\r\\nBcc: x@example.jp\",\"lead\":\"x\"}}"),
		"not one line");
	refused(with_templates(f->inquiry, "{\"sent\":{\"subject\":\"a\",\"lead\":\"x\"}}"),
		"notify.templates.sent: unknown member");
	refused(with_templates(f->inquiry, "{\"arrival\":{\"subject\":\"a\"}}"), "lead: missing");
	refused(with_templates(f->inquiry, "{\"arrival\":{\"subject\":\"a\",\"lead\":\"x\",\"cc\":\"y\"}}"),
		"unknown member");
	refused(with_templates(f->inquiry, "{\"arrival\":\"text\"}"), "not an object");
	p = with_templates(f->inquiry, "{}");
	json_object_set_new(json_object_get(json_object_get(p, "notify"), "templates"), "arrival",
			    json_pack("{s:s,s:s}", "subject", "a", "lead", "x"));
	assert_int_equal(catalogue_check_procedure(p, err, sizeof err), 0);
	{
		char big[3 * 101 + 1] = "";

		for (int i = 0; i < 101; i++)
			strcat(big, "あ");
		json_object_set_new(json_object_get(json_object_get(json_object_get(p, "notify"),
			"templates"), "arrival"), "subject", json_string(big));
	}
	refused(p, "too long");
}

static void
test_apply_list_search_get(void **state)
{
	struct fixture *f = *state;
	struct catalogue_query q = { 0 };
	char err[512] = "";
	json_t *list, *one;

	assert_int_equal(apply(f, message(f->inquiry, f->teate), err, sizeof err), 0);
	list = catalogue_list(f->db, &q, NOW);
	assert_non_null(list);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 2);
	/* sort_order: the inquiry (10) before 児童手当 (20). */
	assert_string_equal(jsonio_str(json_array_get(json_object_get(list, "procedures"), 0),
				       "id", ""), "demo-inquiry");
	assert_int_equal(json_array_size(json_object_get(list, "categories")), 2);
	json_decref(list);

	q.keyword = "手当";
	list = catalogue_list(f->db, &q, NOW);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 1);
	assert_string_equal(jsonio_str(json_array_get(json_object_get(list, "procedures"), 0),
				       "id", ""), "jidou-teate");
	json_decref(list);
	q.keyword = NULL;
	q.life_event = "出産";
	list = catalogue_list(f->db, &q, NOW);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 1);
	json_decref(list);
	q.life_event = NULL;
	q.keyword = "該当なし";
	list = catalogue_list(f->db, &q, NOW);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 0);
	/* The filters offered stay whole while a search narrows the list. */
	assert_int_equal(json_array_size(json_object_get(list, "life_events")), 3);
	json_decref(list);

	one = catalogue_get(f->db, "jidou-teate", NOW);
	assert_non_null(one);
	assert_non_null(json_object_get(one, "schema"));
	assert_string_equal(jsonio_str(json_object_get(one, "reception"), "state", ""), "open");
	json_decref(one);
	assert_null(catalogue_get(f->db, "no-such", NOW));
	assert_null(catalogue_get(f->db, "../etc", NOW));
}

static void
test_versions_unlisted_internal_withdrawn(void **state)
{
	struct fixture *f = *state;
	struct catalogue_query q = { 0 };
	char err[512] = "";
	json_t *v2, *one, *list, *msg;

	assert_int_equal(apply(f, message(f->inquiry, NULL), err, sizeof err), 0);
	/* Version 2 becomes current; version 1 is still there for old applications. */
	v2 = json_deep_copy(f->inquiry);
	json_object_set_new(v2, "version", json_integer(2));
	json_object_set_new(v2, "title", json_string("お問い合わせ (第2版)"));
	assert_int_equal(apply(f, message(v2, NULL), err, sizeof err), 0);
	one = catalogue_get(f->db, "demo-inquiry", NOW);
	assert_string_equal(jsonio_str(one, "title", ""), "お問い合わせ (第2版)");
	json_decref(one);
	one = catalogue_get_version(f->db, "demo-inquiry", 1);
	assert_string_equal(jsonio_str(one, "title", ""), "お問い合わせ・届出のサンプル");
	json_decref(one);
	/* A late copy of version 1 does not take version 2's place... */
	assert_int_equal(apply(f, message(f->inquiry, NULL), err, sizeof err), 0);
	one = catalogue_get(f->db, "demo-inquiry", NOW);
	assert_int_equal(json_integer_value(json_object_get(one, "version")), 2);
	json_decref(one);
	/* ...and a published version never changes. */
	json_object_set_new(v2, "title", json_string("書き換え"));
	assert_int_equal(apply(f, message(v2, NULL), err, sizeof err), -1);
	assert_non_null(strstr(err, "already published"));

	/* Unlisted: reachable by id, not listed. Internal: neither. */
	json_object_set_new(v2, "version", json_integer(3));
	json_object_set_new(v2, "visibility", json_string("unlisted"));
	assert_int_equal(apply(f, message(v2, NULL), err, sizeof err), 0);
	list = catalogue_list(f->db, &q, NOW);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 0);
	json_decref(list);
	one = catalogue_get(f->db, "demo-inquiry", NOW);
	assert_non_null(one);
	json_decref(one);
	json_object_set_new(v2, "version", json_integer(4));
	json_object_set_new(v2, "visibility", json_string("internal"));
	assert_int_equal(apply(f, message(v2, NULL), err, sizeof err), 0);
	assert_null(catalogue_get(f->db, "demo-inquiry", NOW));
	json_decref(v2);

	/* Withdrawn: gone from both. */
	assert_int_equal(apply(f, message(f->teate, NULL), err, sizeof err), 0);
	msg = json_pack("{s:s,s:[s]}", "format", CATALOGUE_FORMAT, "withdrawn", "jidou-teate");
	assert_int_equal(apply(f, msg, err, sizeof err), 0);
	assert_null(catalogue_get(f->db, "jidou-teate", NOW));
}

/* A test version (テスト版) is told apart by its id and its flag together, is always
 * unlisted, and is taken off the portal by a withdrawal like any other. */
static void
test_test_versions_are_unlisted_and_named_apart(void **state)
{
	struct fixture *f = *state;
	struct catalogue_query q = { .keyword = "お問い合わせ" };
	char err[512] = "";
	json_t *t = json_deep_copy(f->inquiry), *one, *list, *msg;

	/* The flag without the reserved prefix, the prefix without the flag, and a
	 * listed test version are each refused, naming the member. */
	json_object_set_new(t, "test", json_true());
	json_object_set_new(t, "visibility", json_string("unlisted"));
	assert_int_equal(catalogue_check_procedure(t, err, sizeof err), -1);
	assert_non_null(strstr(err, "test"));
	json_object_set_new(t, "id", json_string(CATALOGUE_TEST_PREFIX "0123456789abcdef01234567"));
	json_object_set_new(t, "test", json_false());
	assert_int_equal(catalogue_check_procedure(t, err, sizeof err), -1);
	assert_non_null(strstr(err, "test"));
	json_object_set_new(t, "test", json_true());
	json_object_set_new(t, "visibility", json_string("public"));
	assert_int_equal(catalogue_check_procedure(t, err, sizeof err), -1);
	assert_non_null(strstr(err, "visibility"));
	json_object_set_new(t, "test", json_string("yes"));
	assert_int_equal(catalogue_check_procedure(t, err, sizeof err), -1);

	json_object_set_new(t, "test", json_true());
	json_object_set_new(t, "visibility", json_string("unlisted"));
	json_object_set_new(t, "title", json_string("【テスト】お問い合わせ"));
	assert_int_equal(catalogue_check_procedure(t, err, sizeof err), 0);
	assert_true(catalogue_is_test(t));
	assert_false(catalogue_is_test(f->inquiry));
	assert_int_equal(apply(f, message(f->inquiry, t), err, sizeof err), 0);
	/* Served by its id, never listed or found; the real one is. */
	one = catalogue_get(f->db, CATALOGUE_TEST_PREFIX "0123456789abcdef01234567", NOW);
	assert_non_null(one);
	assert_true(catalogue_is_test(one));
	json_decref(one);
	list = catalogue_list(f->db, &q, NOW);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 1);
	assert_string_equal(jsonio_str(json_array_get(json_object_get(list, "procedures"), 0), "id",
				       ""), "demo-inquiry");
	json_decref(list);
	/* Withdrawn: gone, the real one stays. */
	msg = json_pack("{s:s,s:[s]}", "format", CATALOGUE_FORMAT, "withdrawn",
			CATALOGUE_TEST_PREFIX "0123456789abcdef01234567");
	assert_int_equal(apply(f, msg, err, sizeof err), 0);
	assert_null(catalogue_get(f->db, CATALOGUE_TEST_PREFIX "0123456789abcdef01234567", NOW));
	one = catalogue_get(f->db, "demo-inquiry", NOW);
	assert_non_null(one);
	json_decref(one);
	json_decref(t);
}

static void
test_a_bad_procedure_spoils_the_whole_message(void **state)
{
	struct fixture *f = *state;
	json_t *bad = json_deep_copy(f->teate);
	struct catalogue_query q = { 0 };
	char err[512] = "";
	json_t *list;

	json_object_set_new(bad, "identity", json_string("telepathy"));
	assert_int_equal(apply(f, message(f->inquiry, bad), err, sizeof err), -1);
	json_decref(bad);
	list = catalogue_list(f->db, &q, NOW);
	assert_int_equal(json_array_size(json_object_get(list, "procedures")), 0);
	json_decref(list);
	assert_int_equal(apply(f, json_pack("{s:s}", "format", "other/1"), err, sizeof err), -1);
}

static void
test_definitions_need_the_office_signature(void **state)
{
	struct fixture *f = *state;
	char err[512] = "", hex[129];
	uint8_t pub2[32], priv2[32];
	json_t *msg;

	/* Unsigned. */
	msg = message(f->inquiry, NULL);
	json_object_del(msg, "signatures");
	assert_int_equal(apply(f, msg, err, sizeof err), -1);
	assert_non_null(strstr(err, "signature"));
	/* Signed by another key. */
	assert_int_equal(crypto_ed25519_keygen(pub2, priv2), 0);
	msg = message(f->inquiry, NULL);
	assert_int_equal(procsig_sign(priv2, "demo", f->inquiry, hex), 0);
	json_object_set_new(json_object_get(msg, "signatures"), "demo-inquiry/1", json_string(hex));
	assert_int_equal(apply(f, msg, err, sizeof err), -1);
	/* Signed, then changed. */
	msg = message(f->inquiry, NULL);
	json_object_set_new(json_array_get(json_object_get(msg, "procedures"), 0), "title",
			    json_string("書き換えられた題名"));
	assert_int_equal(apply(f, msg, err, sizeof err), -1);
	assert_null(catalogue_get(f->db, "demo-inquiry", NOW));
	/* Properly signed: stored with its signature. */
	assert_int_equal(apply(f, message(f->inquiry, NULL), err, sizeof err), 0);
	assert_int_equal(catalogue_get_signature(f->db, "demo-inquiry", 1, hex), 0);
	assert_int_equal(procsig_verify(office_pub, "demo", f->inquiry, hex), 1);
	assert_int_equal(procsig_verify(office_pub, "other", f->inquiry, hex), 0);
}

static void
test_reception_opens_and_closes_itself(void **state)
{
	struct fixture *f = *state;
	json_t *p = json_deep_copy(f->inquiry);
	char msg[256];

	json_object_set_new(p, "reception", json_pack("{s:s,s:s}",
						     "opens_at", "2026-12-01T09:00:00+09:00",
						     "closes_at", "2026-12-25T17:00:00+09:00"));
	assert_int_equal(catalogue_reception(p, 1795000000, msg, sizeof msg), CATALOGUE_UPCOMING);
	assert_string_equal(msg, "この手続の受付は2026年12月1日 9時00分に始まります。");
	/* 2026-12-01T00:00:00Z is 09:00 in Japan: open from that second. */
	assert_int_equal(catalogue_reception(p, 1796083200 - 1, msg, sizeof msg),
			 CATALOGUE_UPCOMING);
	assert_int_equal(catalogue_reception(p, 1796083200, msg, sizeof msg), CATALOGUE_OPEN);
	assert_string_equal(msg, "");
	assert_int_equal(catalogue_reception(p, 1798185600, msg, sizeof msg), CATALOGUE_CLOSED);
	assert_string_equal(msg, "この手続の受付は2026年12月25日 17時00分に終了しました。");
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sanitizer_policy_is_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_samples_are_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_email_templates_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_definitions_are_refused_with_the_member,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_list_search_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_unlisted_internal_withdrawn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_test_versions_are_unlisted_and_named_apart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_bad_procedure_spoils_the_whole_message,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reception_opens_and_closes_itself, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_definitions_need_the_office_signature, setup,
						teardown),
	};

	if (crypto_ed25519_keygen(office_pub, office_priv) != 0)
		return 1;
	office_keys.kind = KEYRING_ED25519;
	office_keys.n = 1;
	memcpy(office_keys.k[0].key, office_pub, 32);
	keyring_key_id(KEYRING_ED25519, office_pub, office_keys.k[0].id);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
