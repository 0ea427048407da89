/*
 * fee.c — checking a fee definition and adding it up.
 *
 * Amounts and quantities are bounded so that a total fits comfortably in 64 bits:
 * 20 items × ¥1,000,000 × 1,000 units is 2×10^10.
 */
#include "fee.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonio.h"

/* UTF-8 characters of s (code points; s is valid UTF-8, as jansson guarantees). */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The top-level integer number field called name, or NULL. */
static const json_t *
quantity_field(const json_t *schema, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(schema, "fields"), i, f) {
		if (strcmp(jsonio_str(f, "name", ""), name) != 0)
			continue;
		return strcmp(jsonio_str(f, "type", ""), "number") == 0 &&
		       json_is_true(json_object_get(f, "integer")) ? f : NULL;
	}
	return NULL;
}

int
fee_check(const json_t *fee, const json_t *schema, char *err, size_t errlen)
{
	const json_t *items, *it, *note;
	const char *k;
	json_t *v;
	size_t i;

	if (fee == NULL)
		return 0;
	if (!json_is_object(fee)) {
		snprintf(err, errlen, "fee: not an object");
		return -1;
	}
	json_object_foreach((json_t *)fee, k, v) {
		if (strcmp(k, "items") != 0 && strcmp(k, "note") != 0) {
			snprintf(err, errlen, "fee.%s: unknown member", k);
			return -1;
		}
	}
	note = json_object_get(fee, "note");
	if (note != NULL && (!json_is_string(note) || chars(json_string_value(note)) > FEE_NOTE_MAX)) {
		snprintf(err, errlen, "fee.note: not a string of at most %d characters", FEE_NOTE_MAX);
		return -1;
	}
	items = json_object_get(fee, "items");
	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > FEE_ITEMS_MAX) {
		snprintf(err, errlen, "fee.items: not a list of 1..%d items", FEE_ITEMS_MAX);
		return -1;
	}
	json_array_foreach(items, i, it) {
		const char *label = jsonio_str(it, "label", NULL), *qf;
		long long amount;

		if (!json_is_object(it)) {
			snprintf(err, errlen, "fee.items[%zu]: not an object", i);
			return -1;
		}
		json_object_foreach((json_t *)it, k, v) {
			if (strcmp(k, "label") != 0 && strcmp(k, "amount") != 0 &&
			    strcmp(k, "quantity_field") != 0) {
				snprintf(err, errlen, "fee.items[%zu].%s: unknown member", i, k);
				return -1;
			}
		}
		if (label == NULL || label[0] == '\0' || chars(label) > FEE_LABEL_MAX) {
			snprintf(err, errlen, "fee.items[%zu].label: missing or longer than %d",
				 i, FEE_LABEL_MAX);
			return -1;
		}
		if (jsonio_int(it, "amount", 0, FEE_AMOUNT_MAX, &amount) != 0) {
			snprintf(err, errlen, "fee.items[%zu].amount: not yen 0..%lld", i,
				 FEE_AMOUNT_MAX);
			return -1;
		}
		qf = jsonio_str(it, "quantity_field", NULL);
		if (json_object_get(it, "quantity_field") != NULL &&
		    (qf == NULL || quantity_field(schema, qf) == NULL)) {
			snprintf(err, errlen, "fee.items[%zu].quantity_field: not a top-level integer "
				 "number field of the form", i);
			return -1;
		}
	}
	return 0;
}

json_t *
fee_compute(const json_t *fee, const json_t *answers)
{
	const json_t *it;
	json_t *out, *list;
	long long total = 0;
	size_t i;

	if (fee == NULL || (list = json_array()) == NULL)
		return NULL;
	json_array_foreach(json_object_get(fee, "items"), i, it) {
		const char *qf = jsonio_str(it, "quantity_field", NULL);
		long long amount = 0, quantity = 1;

		jsonio_int(it, "amount", 0, FEE_AMOUNT_MAX, &amount);
		if (qf != NULL) {
			const json_t *q = json_object_get(answers, qf);

			/* form_validate normalised it, so this is a whole number in the
			 * field's range; anything else counts as the browser's fee.js does:
			 * not whole or not positive is zero, more than the cap is the cap. */
			if (json_is_integer(q))
				quantity = json_integer_value(q);
			else if (json_is_real(q) && json_real_value(q) == floor(json_real_value(q)))
				quantity = json_real_value(q) > (double)FEE_QUANTITY_MAX
						   ? FEE_QUANTITY_MAX : (long long)json_real_value(q);
			else
				quantity = 0;
			if (quantity < 0)
				quantity = 0;
			if (quantity > FEE_QUANTITY_MAX)
				quantity = FEE_QUANTITY_MAX;
		}
		total += amount * quantity;
		json_array_append_new(list, json_pack("{s:s,s:I,s:I,s:I}", "label",
						      jsonio_str(it, "label", ""), "amount",
						      (json_int_t)amount, "quantity",
						      (json_int_t)quantity, "subtotal",
						      (json_int_t)(amount * quantity)));
	}
	out = json_pack("{s:o,s:I}", "items", list, "total", (json_int_t)total);
	return out;
}
