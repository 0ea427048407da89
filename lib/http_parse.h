/*
 * http_parse.h — the pure parsers behind http.c, one per kind of hostile input the HTTP
 * layer interprets itself: request paths against route patterns, client-chosen request
 * ids, client-chosen upload file names, X-Forwarded-For, Content-Length, Content-Type
 * and response header text.
 *
 * None of these allocates, touches global state or calls libmicrohttpd: each reads a
 * bounded input and writes into a caller buffer of a size it is told, so each can be
 * fuzzed alone (tests/fuzz/fuzz_http_parse.c). Anything they cannot vouch for is
 * refused (a false or negative result), never repaired into something plausible —
 * except file names, which are display text and are cleaned instead.
 */
#ifndef SEKISHO_HTTP_PARSE_H
#define SEKISHO_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_PARSE_MAX_PARAMS    8	/* = HTTP_MAX_PARAMS; a route with more is refused */
#define HTTP_PARSE_RID_MIN       8
#define HTTP_PARSE_RID_MAX       64
#define HTTP_PARSE_ADDR_MAX      46	/* INET6_ADDRSTRLEN */
#define HTTP_PARSE_EXT_KEEP      16	/* a file extension up to this many bytes survives truncation */

/* One "{name}" of a pattern and the path segment it matched: offsets into pattern
 * and path, not NUL-terminated. */
struct http_parse_param {
	size_t name_off, name_len;	/* in pattern, without the braces */
	size_t value_off, value_len;	/* in path */
};

/* Match path against pattern segment by segment: a literal segment must be equal, a
 * "{name}" segment takes one non-empty segment. A path with a control byte, an empty
 * segment ("//"), a "." or ".." segment, or more than maxparams parameters matches
 * nothing. Returns 1 and fills params and nparams on a match, else 0. */
int http_parse_match(const char *pattern, const char *path, struct http_parse_param *params,
		     size_t maxparams, size_t *nparams);

/* True if s is an acceptable client-supplied request id: [A-Za-z0-9-]{8,64}. */
bool http_parse_request_id(const char *s);

/* Clean a client-claimed file name for display: keep what follows the last '/' or
 * '\\', drop control characters (C0, DEL, C1), bidirectional overrides and invalid
 * UTF-8, drop leading dots and spaces, and truncate to outlen-1 bytes on a character
 * boundary, keeping a short extension. out is always NUL-terminated (outlen >= 1);
 * returns its length, 0 when nothing usable was left. */
size_t http_parse_filename(const char *in, char *out, size_t outlen);

/* The last hop of an X-Forwarded-For value (the address the trusted proxy appended),
 * as canonical text from inet_ntop. Returns 0, or -1 when the last element is not a
 * bare IPv4 or IPv6 address or does not fit outlen. */
int http_parse_xff_last(const char *xff, char *out, size_t outlen);

/* A Content-Length value: decimal digits only, no sign or space, no overflow.
 * Returns 0 and sets *out, or -1. */
int http_parse_content_length(const char *s, uint64_t *out);

/* True if a Content-Type value names multipart/form-data (case-insensitive, any
 * parameters). */
bool http_parse_is_multipart(const char *content_type);

/* True if a Content-Type value names application/json. JSON APIs insist on it: a
 * browser cannot send that type cross-site without a CORS preflight, so a forged
 * form post from another site never reaches a JSON handler. */
bool http_parse_is_json(const char *content_type);

/* True if name is an HTTP token and value has no control byte but HTAB, so that the
 * pair cannot split or forge a response header. */
bool http_parse_header_ok(const char *name, const char *value);

#endif
