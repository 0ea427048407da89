/*
 * fuzz_http_parse.c — libFuzzer target for the hostile-input parsers in http_parse.c.
 *
 * The input is split at the first NUL into a route pattern and the rest, which is fed
 * as a C string to every parser: as a path against that pattern (and against itself),
 * a request id, a client file name, an X-Forwarded-For value, a Content-Length, a
 * Content-Type and a header value. Beyond "no crash, no overrun" (ASan/UBSan) it
 * checks the promises the header makes: parameter offsets stay inside their strings,
 * a cleaned file name fits, is valid UTF-8 without control bytes or separators, and
 * a request id accepted is of the allowed shape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#define FUZZ_MAX_INPUT 8192	/* parsers see bounded inputs in production too */

static void
check_filename(const char *in)
{
	char out[256], tiny[9];
	size_t n, i, cap;

	for (cap = 1; cap <= sizeof(tiny); cap += 4) {
		n = http_parse_filename(in, tiny, cap);
		if (n >= cap || strlen(tiny) != n)
			abort();
	}
	n = http_parse_filename(in, out, sizeof(out));
	if (n >= sizeof(out) || strlen(out) != n)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			abort();
	}
	if (n > 0 && (out[0] == '.' || out[0] == ' '))
		abort();
	/* Valid UTF-8: every lead byte is followed by the right number of
	 * continuation bytes. */
	for (i = 0; i < n;) {
		unsigned char c = (unsigned char)out[i];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		size_t k;

		if (len == 0 || i + len > n)
			abort();
		for (k = 1; k < len; k++)
			if (((unsigned char)out[i + k] & 0xc0) != 0x80)
				abort();
		i += len;
	}
}

static void
check_match(const char *pattern, const char *path)
{
	struct http_parse_param pp[HTTP_PARSE_MAX_PARAMS];
	size_t n = 0, i, plen = strlen(pattern), qlen = strlen(path);

	if (http_parse_match(pattern, path, pp, HTTP_PARSE_MAX_PARAMS, &n) == 1) {
		if (n > HTTP_PARSE_MAX_PARAMS)
			abort();
		for (i = 0; i < n; i++) {
			if (pp[i].name_off + pp[i].name_len > plen ||
			    pp[i].value_off + pp[i].value_len > qlen || pp[i].value_len == 0)
				abort();
			if (memchr(path + pp[i].value_off, '/', pp[i].value_len) != NULL)
				abort();
		}
	} else if (n != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *rest, addr[HTTP_PARSE_ADDR_MAX + 1];
	const char *pattern;
	uint64_t v;
	size_t i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	rest = memchr(buf, '\0', size) ? buf + strlen(buf) + 1 : buf;
	if (rest > buf + size)
		rest = buf + size;
	pattern = buf;

	check_match(pattern, rest);
	check_match(rest, rest);
	check_match("/api/files/{id}/parts/{n}", rest);

	if (http_parse_request_id(rest)) {
		size_t len = strlen(rest);

		if (len < HTTP_PARSE_RID_MIN || len > HTTP_PARSE_RID_MAX)
			abort();
		for (i = 0; i < len; i++)
			if (strchr("0123456789abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ-", rest[i]) == NULL)
				abort();
	}
	check_filename(rest);
	if (http_parse_xff_last(rest, addr, sizeof(addr)) == 0 &&
	    strlen(addr) >= sizeof(addr))
		abort();
	(void)http_parse_xff_last(rest, addr, 8);
	(void)http_parse_content_length(rest, &v);
	(void)http_parse_is_multipart(rest);
	(void)http_parse_header_ok(pattern, rest);
	free(buf);
	return 0;
}
