/*
 * fuzz_mail_address.c — mail_address_valid on arbitrary bytes, and what an accepted
 * address or text does to a composed message.
 *
 * The recipient is citizen input and goes into the To header and the SMTP RCPT
 * command, so an accepted address must be plain printable ASCII with one '@' and
 * none of the bytes that end a header or separate recipients, at most 254 bytes.
 * The same bytes are also tried as subject and sender name: whatever is accepted, the
 * message must have exactly our nine headers (nothing injected), be 7-bit with CRLF
 * line ends, and have the address verbatim as its To. The input is copied into an
 * exactly-sized, NUL-terminated buffer so that ASan catches any read past its end;
 * a NUL inside ends the string there, as it would for any C caller.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"

#define FUZZ_HEADERS 9	/* Date From To Subject Message-ID MIME-Version Content-Type
			 * Content-Transfer-Encoding Auto-Submitted */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_message(const char *msg, size_t len, const char *to)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p;
	size_t i, lines = 0;
	char *want;

	if (end == NULL || strlen(msg) != len)
		abort();
	for (i = 0; i < len; i++) {
		if ((unsigned char)msg[i] >= 0x80 || msg[i] == '\0')
			abort();
		if ((msg[i] == '\n') != (i > 0 && msg[i - 1] == '\r'))
			abort();	/* every LF after a CR, every CR before an LF */
		if (msg[i] == '\r' && (i + 1 >= len || msg[i + 1] != '\n'))
			abort();
	}
	/* Header lines that start a field (not a folded continuation). */
	for (p = msg; p <= end; p = strstr(p, "\r\n") + 2)
		if (*p != ' ' && *p != '\t')
			lines++;
	if (lines != FUZZ_HEADERS)
		abort();
	if ((want = malloc(strlen(to) + 9)) == NULL)
		return;
	strcpy(want, "\r\nTo: ");
	strcat(want, to);
	strcat(want, "\r\n");
	if ((p = strstr(msg, want)) == NULL || p > end)
		abort();
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_message m = { "taro@example.jp", "件名", "本文" };
	struct mail_origin o = { "noreply@city.example.lg.jp", NULL,
				 "<00ff@city.example.lg.jp>", 1706745900 };
	char *s, *msg;
	size_t len, i, at = 0;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (mail_address_valid(s)) {
		len = strlen(s);
		if (len < 5 || len > MAIL_ADDR_MAX)	/* "a@b.c" at least */
			abort();
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c <= ' ' || c >= 0x7f || strchr(",;:<>()[]\\\"@", c) != NULL) {
				if (c != '@' || at++ > 0)
					abort();
			}
		}
		if (at != 1)
			abort();
		m.to = s;
	}
	if (mail_text_valid(s, MAIL_SUBJECT_MAX, 0)) {
		m.subject = s;
		if (strlen(s) <= MAIL_NAME_MAX)
			o.from_name = s;
	}
	if (mail_compose(&m, &o, &msg, &len) != MAIL_OK)
		abort();	/* everything in it was accepted: it must compose */
	check_message(msg, len, m.to);
	free(msg);
	free(s);
	return 0;
}
