/*
 * postal.h — postal code → address (郵便番号 → 住所), from Japan Post's data.
 *
 * The database is built by provisioning/postal/import-postal.sh and only read here
 * (opened read-only, query_only). A code from outside is normalised and checked to be
 * exactly seven digits before any query: full-width digits, hyphen look-alikes, a
 * leading 〒 and surrounding spaces are accepted, anything else is refused.
 *
 * Threads: one struct postal may be shared by every HTTP worker thread. It holds one
 * SQLite connection behind a mutex, held for the whole of one lookup (an indexed
 * point query of microseconds), so lookups are serialised but never interleaved.
 */
#ifndef SEKISHO_POSTAL_H
#define SEKISHO_POSTAL_H

#include <jansson.h>
#include <stddef.h>

#define POSTAL_CODE_LEN		7	/* digits, without the hyphen */
#define POSTAL_INPUT_MAX	64	/* bytes of raw input looked at: "〒１２３－４５６７"
					   with spaces is under 40 */
#define POSTAL_MAX_RESULTS	128	/* towns under one code: the real maximum is 66 */

enum {
	POSTAL_OK = 0,
	POSTAL_EBADCODE = -1,	/* not a postal code: nothing was looked up */
	POSTAL_EDB = -2,	/* the database failed (logged by the caller) */
	POSTAL_ENOMEM = -3,
};

struct postal;

/* Open the postal database at path read-only. Returns 0, or -1 with "PATH: why" in
 * err (missing, not a postal database, or of another schema version). */
int postal_open(struct postal **out, const char *path, char *err, size_t errlen);
void postal_close(struct postal *p);

/* Normalise len bytes of in to seven ASCII digits in out (NUL-terminated). Returns 0,
 * or POSTAL_EBADCODE. Pure: no database, safe from any thread. */
int postal_normalize(const char *in, size_t len, char out[POSTAL_CODE_LEN + 1]);

/* Look code up. On POSTAL_OK *out is a new JSON array (empty for an unknown code) of
 * {"postal_code":"123-4567", "prefecture", "city", "town", "prefecture_kana",
 * "city_kana", "town_kana"} in Japan Post's order; kana is full-width katakana and
 * town may be "" (the code covers a whole municipality). Otherwise *out is NULL. */
int postal_lookup(struct postal *p, const char *code, json_t **out);

/* A message for a POSTAL_E* code, in Japanese for the citizen where it is theirs. */
const char *postal_strerror(int rc);

#endif
