/*
 * mail.h — email to citizens: one plain-text message, composed in memory.
 *
 * A message has one recipient, a UTF-8 subject and a UTF-8 plain-text body. The
 * recipient is citizen input, so it is checked strictly (mail_address_valid) before
 * it is put anywhere: a CR, LF or comma in it would add headers or recipients. The
 * composed message is 7-bit ASCII whatever the input (RFC 2047 encoded words for the
 * Japanese subject and sender name, base64 for the body), with CRLF line ends and no
 * line over 78 characters, so any relay passes it on unchanged.
 *
 * Templates ({{name}} replaced by values) are how procedures word their messages.
 */
#ifndef SEKISHO_MAIL_H
#define SEKISHO_MAIL_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define MAIL_ADDR_MAX     254		/* RFC 5321 4.5.3.1.3: a path is 256 with <> */
#define MAIL_LOCAL_MAX    64		/* RFC 5321 4.5.3.1.1 */
#define MAIL_SUBJECT_MAX  512		/* bytes of UTF-8; a subject is a line, not a letter */
#define MAIL_NAME_MAX     256		/* sender display name, bytes of UTF-8 */
#define MAIL_BODY_MAX     (64 * 1024)	/* bytes of UTF-8 before encoding */
#define MAIL_MSGID_MAX    320		/* "<" token "@" domain ">" and NUL */
#define MAIL_VAR_NAME_MAX 64		/* {{name}} in templates */

enum {
	MAIL_OK = 0,
	MAIL_EADDR = -1,	/* an address is not one plain addr-spec */
	MAIL_ETEXT = -2,	/* subject or name has a control byte or invalid UTF-8 */
	MAIL_ETOOBIG = -3,	/* over one of the bounds above */
	MAIL_ETEMPLATE = -4,	/* template syntax, or a variable missing or not scalar */
	MAIL_ENOMEM = -5,
	MAIL_EDB = -6,		/* SQLite failed (see db_errmsg) */
	MAIL_ECONFIG = -7,	/* SMTP configuration unusable (see the err text) */
};

const char *mail_strerror(int rc);

/* What a procedure sends: borrowed strings, none of them owned by the struct. */
struct mail_message {
	const char *to;		/* one addr-spec, e.g. taro@example.jp */
	const char *subject;	/* UTF-8, one line */
	const char *body;	/* UTF-8 plain text, LF or CRLF line ends */
};

/* Who sends it and how this copy is named: from the configuration and the outbox. */
struct mail_origin {
	const char *from_addr;	/* addr-spec */
	const char *from_name;	/* display name, may be Japanese; NULL or "" for none */
	const char *message_id;	/* "<token@domain>" (mail_message_id) */
	time_t date;
};

/* 1 if addr is one plain addr-spec we will send to (ASCII dot-atom local part of at
 * most 64 bytes, a host name with at least two labels, at most 254 bytes in all), else
 * 0. No quoted strings, address literals, comments, spaces or control bytes. */
int mail_address_valid(const char *addr);

/* 1 if s is a host name (letters, digits, hyphens, dots; labels 1..63), else 0. */
int mail_domain_valid(const char *s);

/* 1 if s is valid UTF-8 of at most max bytes with no control byte other than those
 * allowed ("\n" and "\r\n" line ends and tab when multiline is set), else 0. */
int mail_text_valid(const char *s, size_t max, int multiline);

/* Check m against every rule above. MAIL_OK or the first failure. */
int mail_message_check(const struct mail_message *m);

/* "<token@domain>" into out (MAIL_MSGID_MAX bytes). token is [0-9a-f]{1,64}. */
int mail_message_id(const char *token, const char *domain, char *out, size_t outlen);

/* Format t as an RFC 5322 date in local time, e.g. "Thu, 01 Feb 2024 09:05:00 +0900",
 * into out (at least 32 bytes). MAIL_OK or MAIL_ETOOBIG. */
int mail_format_date(time_t t, char *out, size_t outlen);

/* Compose m from o: headers and base64 body, CRLF line ends, 7-bit. On MAIL_OK *out is
 * a NUL-terminated buffer the caller frees, of *outlen bytes. */
int mail_compose(const struct mail_message *m, const struct mail_origin *o, char **out,
		 size_t *outlen);

/* Replace each {{name}} (spaces inside the braces allowed) in tmpl with vars' member
 * name: a string as is, an integer in decimal. Single pass: a value is never expanded
 * again. A missing or non-scalar member is MAIL_ETEMPLATE, as is a lone "{{"; output
 * over MAIL_BODY_MAX is MAIL_ETOOBIG. On MAIL_OK *out is the caller's to free. */
int mail_render(const char *tmpl, const json_t *vars, char **out);

#endif
