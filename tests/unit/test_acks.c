/*
 * test_acks.c — receipts for what the downlink stored: cumulative, per tenant, signed
 * with the receipt key, only when there is news, and every id repeated for the window.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acks.h"
#include "bundle.h"
#include "crypto.h"
#include "jsonio.h"
#include "testutil.h"

struct fixture {
	char dir[PATH_MAX];
	struct spool out;
	uint8_t pub[32], priv[32];
	struct acks *a;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct acks_config c;
	char path[PATH_MAX + 16];

	snprintf(f->dir, sizeof f->dir, "/tmp/test_acks.XXXXXX");
	if (mkdtemp(f->dir) == NULL || crypto_ed25519_keygen(f->pub, f->priv) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/outbox", f->dir);
	if (spool_open(&f->out, path, true) != 0)
		return -1;
	c = (struct acks_config){ f->priv, &f->out, 10, 3600 };
	if (acks_new(&f->a, &c) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	acks_free(f->a);
	spool_close(&f->out);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* Claim every receipt in the outbox, verify each with the receipt key: {tenant: ids}. */
static json_t *
take_receipts(struct fixture *f)
{
	struct bundle_check chk = { .signer_pub = f->pub };
	struct spool_item it;
	json_t *all = json_object();

	bundle_limits_default(&chk.limits);
	while (spool_claim(&f->out, &it) == SPOOL_OK) {
		struct bundle_info info;
		char err[256];
		int fd = open(it.path, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
		close(fd);
		assert_string_equal(info.kind, "receipt");
		assert_int_equal(strncmp(info.id, "receipt-dmz-", 12), 0);
		json_object_set(all, info.tenant, json_object_get(json_object_get(info.data,
						"data/receipt.json"), "received"));
		bundle_info_free(&info);
		spool_commit(&f->out, &it);
	}
	return all;
}

static void
test_receipts_are_cumulative_per_tenant_and_only_with_news(void **state)
{
	struct fixture *f = *state;
	char err[256];
	json_t *r;

	assert_int_equal(acks_flush(f->a, 1000, err, sizeof err), 0);	/* nothing noted */
	acks_note(f->a, "catalogue-demo-1", "demo", 1000);
	acks_note(f->a, "status-demo-1", "demo", 1001);
	acks_note(f->a, "catalogue-kita-1", "kita", 1002);
	acks_note(f->a, "../evil", "demo", 1002);	/* not an id: ignored */
	acks_note(f->a, "x", "Bad Tenant", 1002);
	assert_int_equal(acks_flush(f->a, 1003, err, sizeof err), 2);
	r = take_receipts(f);
	assert_int_equal(json_array_size(json_object_get(r, "demo")), 2);
	assert_int_equal(json_array_size(json_object_get(r, "kita")), 1);
	json_decref(r);

	/* No news: nothing; news before the interval: wait. */
	assert_int_equal(acks_flush(f->a, 2000, err, sizeof err), 0);
	acks_note(f->a, "status-demo-2", "demo", 2000);
	assert_int_equal(acks_flush(f->a, 1005, err, sizeof err), 0);
	/* Then one receipt per tenant repeating everything in the window. */
	assert_int_equal(acks_flush(f->a, 2001, err, sizeof err), 2);
	r = take_receipts(f);
	assert_int_equal(json_array_size(json_object_get(r, "demo")), 3);
	json_decref(r);

	/* A duplicate arrival is news again; ids older than the window are dropped. */
	acks_note(f->a, "status-demo-2", "demo", 6000);
	assert_int_equal(acks_flush(f->a, 6001, err, sizeof err), 1);
	r = take_receipts(f);
	assert_int_equal(json_array_size(json_object_get(r, "demo")), 1);
	assert_null(json_object_get(r, "kita"));
	json_decref(r);
}

static void
test_the_ring_is_bounded(void **state)
{
	struct fixture *f = *state;
	char id[64], err[256];
	json_t *r;

	for (int i = 0; i < ACKS_MAX_IDS + 100; i++) {
		snprintf(id, sizeof id, "b-%d", i);
		acks_note(f->a, id, "demo", 100);
	}
	assert_int_equal(acks_flush(f->a, 200, err, sizeof err), 1);
	r = take_receipts(f);
	assert_int_equal(json_array_size(json_object_get(r, "demo")), ACKS_MAX_IDS);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_receipts_are_cumulative_per_tenant_and_only_with_news, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_ring_is_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
