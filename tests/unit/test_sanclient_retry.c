/*
 * test_sanclient_retry.c — how long portald waits before asking the sanitizer again for a
 * bundle it could not make yet: a few seconds while an upload's text layer is being
 * made (503 "ocr_pending"), and otherwise a backoff that doubles up to its cap.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sanclient.h"

static void
test_a_pending_text_layer_is_waited_for_not_backed_off(void **state)
{
	json_t *ocr = json_pack("{s:{s:s,s:s}}", "error", "code", "ocr_pending", "message", "…");
	json_t *other = json_pack("{s:{s:s,s:s}}", "error", "code", "internal", "message", "…");
	bool waiting;

	(void)state;
	assert_int_equal(sanclient_retry_after(503, ocr, 7, &waiting), SANCLIENT_OCR_WAIT);
	assert_true(waiting);
	/* Any other server error, or none at all, backs off: 2^attempts, capped. */
	assert_int_equal(sanclient_retry_after(503, other, 3, &waiting), 8);
	assert_false(waiting);
	assert_int_equal(sanclient_retry_after(500, ocr, 1, &waiting), 2);
	assert_false(waiting);
	assert_int_equal(sanclient_retry_after(-1, NULL, 0, &waiting), 1);
	assert_false(waiting);
	assert_int_equal(sanclient_retry_after(-1, NULL, 8, &waiting), 256);
	assert_int_equal(sanclient_retry_after(-1, NULL, 9, &waiting), SANCLIENT_RETRY_MAX);
	assert_int_equal(sanclient_retry_after(-1, NULL, 4000, &waiting), SANCLIENT_RETRY_MAX);
	json_decref(ocr);
	json_decref(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_pending_text_layer_is_waited_for_not_backed_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
