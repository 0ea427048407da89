/*
 * jsonio.h — JSON in and out of Sekisho, over jansson.
 *
 * Everything that parses JSON from outside goes through jsonio_parse, which bounds
 * size and nesting depth before jansson sees the bytes and refuses duplicate keys
 * (two readers must never disagree on which value of a duplicated key counts).
 * jsonio_dump_canonical gives the byte form that signatures are made over.
 */
#ifndef SEKISHO_JSONIO_H
#define SEKISHO_JSONIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSONIO_MAX_DEPTH 32	/* forms nest a few levels; 32 is generous, not unbounded */

/* Parse len bytes (no NUL needed). Refuses more than max_bytes, nesting deeper than
 * max_depth, duplicate keys, invalid UTF-8 and trailing garbage. Returns a new
 * reference, or NULL with a message (position included) in err. */
json_t *jsonio_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
		     char *err, size_t errlen);

/* Read and parse a small JSON file (results, attestations): at most max_bytes, with
 * jsonio_parse's checks. NULL with "PATH: why" in err if it is missing, larger, or
 * malformed. */
json_t *jsonio_load_file(const char *path, size_t max_bytes, char *err, size_t errlen);

/* Compact UTF-8 text, keys in insertion order; caller frees with free(). */
char *jsonio_dump(const json_t *v);

/* Canonical text for signing and hashing: compact, keys sorted, UTF-8 as is.
 * Caller frees with free(); *len gets the length. */
char *jsonio_dump_canonical(const json_t *v, size_t *len);

/* Typed getters on an object member. A missing member or a member of another type
 * gives def (strings), or returns -1 (ints, bools); they never abort. */
const char *jsonio_str(const json_t *obj, const char *key, const char *def);
int jsonio_int(const json_t *obj, const char *key, long long min, long long max, long long *out);
int jsonio_bool(const json_t *obj, const char *key, bool *out);

#endif
