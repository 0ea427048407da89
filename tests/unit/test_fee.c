/*
 * test_fee.c — a procedure's fee: refused unless every item is bounded and counts a
 * real integer field; added up from the answers the same way in both zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fee.h"

static const char SCHEMA[] =
	"{\"fields\":["
	" {\"name\":\"copies\",\"type\":\"number\",\"label\":\"通数\",\"integer\":true,\"min\":1,\"max\":10},"
	" {\"name\":\"weight\",\"type\":\"number\",\"label\":\"重さ\"},"
	" {\"name\":\"g\",\"type\":\"group\",\"label\":\"G\",\"fields\":["
	"   {\"name\":\"inner\",\"type\":\"number\",\"label\":\"内\",\"integer\":true}]}]}";

static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void
refused(const char *fee, const char *why)
{
	json_t *f = parse(fee), *s = parse(SCHEMA);
	char err[256] = "";

	assert_int_equal(fee_check(f, s, err, sizeof err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("'%s' lacks '%s'", err, why);
	json_decref(f);
	json_decref(s);
}

static void
test_a_fee_is_checked(void **state)
{
	json_t *s = parse(SCHEMA), *f;
	char err[256];

	(void)state;
	f = parse("{\"items\":[{\"label\":\"住民票の写し\",\"amount\":300,\"quantity_field\":\"copies\"},"
		  "{\"label\":\"郵送料\",\"amount\":0}],\"note\":\"窓口でお支払いください。\"}");
	assert_int_equal(fee_check(f, s, err, sizeof err), 0);
	json_decref(f);
	assert_int_equal(fee_check(NULL, s, err, sizeof err), 0);
	json_decref(s);
	refused("[]", "not an object");
	refused("{\"items\":[]}", "1..20");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1}],\"currency\":\"USD\"}", "fee.currency: unknown");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":-1}]}", "amount");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1000001}]}", "amount");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1.5}]}", "amount");
	refused("{\"items\":[{\"label\":\"\",\"amount\":1}]}", "label");
	refused("{\"items\":[{\"amount\":1}]}", "label");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1,\"tax\":10}]}", "items[0].tax: unknown");
	/* A quantity must be a whole number the form asks at its top level. */
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1,\"quantity_field\":\"weight\"}]}", "quantity_field");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1,\"quantity_field\":\"inner\"}]}", "quantity_field");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1,\"quantity_field\":\"nowhere\"}]}", "quantity_field");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1,\"quantity_field\":7}]}", "quantity_field");
	refused("{\"items\":[{\"label\":\"a\",\"amount\":1}],\"note\":3}", "note");
	{
		char big[2048] = "{\"items\":[";

		for (int i = 0; i <= FEE_ITEMS_MAX; i++)
			strcat(big, i ? ",{\"label\":\"a\",\"amount\":1}" : "{\"label\":\"a\",\"amount\":1}");
		strcat(big, "]}");
		refused(big, "1..20");
	}
}

static void
test_the_total_counts_each_item_by_its_answer(void **state)
{
	json_t *f = parse("{\"items\":[{\"label\":\"住民票の写し\",\"amount\":300,\"quantity_field\":\"copies\"},"
			  "{\"label\":\"手数料\",\"amount\":200}]}");
	json_t *a, *r;

	(void)state;
	a = parse("{\"copies\":3}");
	r = fee_compute(f, a);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 1100);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "subtotal")), 900);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 1), "quantity")), 1);
	json_decref(r);
	json_decref(a);
	/* Not answered (hidden or optional): that item counts zero. */
	a = parse("{}");
	r = fee_compute(f, a);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 200);
	json_decref(r);
	json_decref(a);
	/* Whatever arrives, the count stays within bounds. */
	a = parse("{\"copies\":-4}");
	r = fee_compute(f, a);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 200);
	json_decref(r);
	json_decref(a);
	a = parse("{\"copies\":1e12}");
	r = fee_compute(f, a);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 300 * FEE_QUANTITY_MAX + 200);
	json_decref(r);
	json_decref(a);
	a = parse("{\"copies\":1.5}");
	r = fee_compute(f, a);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 200);
	json_decref(r);
	json_decref(a);
	a = parse("{\"copies\":5000}");
	r = fee_compute(f, a);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 300 * FEE_QUANTITY_MAX + 200);
	json_decref(r);
	json_decref(a);
	assert_null(fee_compute(NULL, a));
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_fee_is_checked),
		cmocka_unit_test(test_the_total_counts_each_item_by_its_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
