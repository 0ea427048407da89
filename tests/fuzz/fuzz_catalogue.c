/*
 * fuzz_catalogue.c — a procedure definition as the downlink delivers it, through the
 * checker every definition passes before portald stores it (catalogue_check_procedure:
 * every member, the form schema, the email templates, the fee). The bundle around it
 * is signed, but a checker must not trust its input to be sane because the office
 * signed it.
 *
 * Beyond "no crash, no leak": a refusal names the member, and an accepted fee adds up
 * to a total within the bounds fee.h promises, whatever the answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fee.h"
#include "jsonio.h"

#define DEF_MAX (1024 * 1024)	/* a catalogue member is at most BUNDLE_JSON_MAX; one procedure less */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char answers_text[] =
		"{\"copies\":3,\"n\":-5,\"big\":1e300,\"name\":\"x\",\"area\":\"north\"}";
	char err[512] = "";
	json_t *proc, *answers, *fee;

	if (size > DEF_MAX)
		return 0;
	proc = jsonio_parse((const char *)data, size, DEF_MAX, JSONIO_MAX_DEPTH, err,
			    sizeof err);
	if (proc == NULL)
		return 0;
	if (catalogue_check_procedure(proc, err, sizeof err) != 0) {
		if (err[0] == '\0')
			abort();	/* a refusal must say why */
		json_decref(proc);
		return 0;
	}
	answers = json_loads(answers_text, 0, NULL);
	fee = fee_compute(json_object_get(proc, "fee"), answers);
	if (fee != NULL) {
		json_int_t total = json_integer_value(json_object_get(fee, "total"));

		if (total < 0 || total > (json_int_t)FEE_ITEMS_MAX * FEE_AMOUNT_MAX * FEE_QUANTITY_MAX)
			abort();
	}
	json_decref(fee);
	json_decref(answers);
	json_decref(proc);
	return 0;
}
