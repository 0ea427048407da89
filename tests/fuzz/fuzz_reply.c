/*
 * fuzz_reply.c — data/reply.json is the applicant's document, checked by portald, the
 * sanitizer and officed with reply_doc_check. Whatever the bytes: a refusal says why;
 * an accepted document has a reply_no in range, a text reply_text_check accepts, and a
 * bundle id reply_bundle_id can make; and the text check itself never passes a control
 * character other than a newline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], id[129], *text;
	long long no = 0;
	json_t *v = jsonio_parse((const char *)data, size, 64 * 1024, JSONIO_MAX_DEPTH,
				 err, sizeof err);

	if (v != NULL) {
		err[0] = '\0';
		if (reply_doc_check(v, "demo", &no, err, sizeof err) == 0) {
			if (no < 1 || no > REPLY_MAX_PER_APP ||
			    reply_text_check(jsonio_str(v, "text", NULL), err, sizeof err) != 0 ||
			    reply_bundle_id("demo", jsonio_str(v, "receipt_no", ""), no, id,
					    sizeof id) != 0)
				abort();
		} else if (err[0] == '\0') {
			abort();	/* a refusal must say why */
		}
		json_decref(v);
	}
	/* The raw bytes as a text. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (reply_text_check(text, err, sizeof err) == 0)
		for (size_t i = 0; text[i]; i++)
			if (((unsigned char)text[i] < 0x20 && text[i] != '\n') || text[i] == 0x7f)
				abort();
	free(text);
	return 0;
}
