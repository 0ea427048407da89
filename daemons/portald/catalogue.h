/*
 * catalogue.h — procedures (手続) as the office published them.
 *
 * The catalogue reaches the internet zone only through the downlink, in office-signed
 * "catalogue" bundles (docs/catalogue-format.md); there is no other way in, not even
 * for the dev instance's sample procedures. A procedure definition is checked whole
 * before anything of a message is stored, every version is kept (an application names
 * the version it was made with), and the newest version becomes current.
 *
 * Reception (受付期間) is computed at the time of asking, so a procedure opens and
 * closes itself.
 */
#ifndef SEKISHO_PORTAL_CATALOGUE_H
#define SEKISHO_PORTAL_CATALOGUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "keyring.h"

#define CATALOGUE_FORMAT         "sekisho-catalogue/1"
#define CATALOGUE_MAX_PROCEDURES 500	/* in one message */
#define CATALOGUE_ID_MAX         64
#define CATALOGUE_QUERY_MAX      100	/* bytes of a search keyword */
#define CATALOGUE_LIST_MAX       500
/* A test version (テスト版) of a draft is published under an id of its own that
 * starts with this, carries "test": true, and is always unlisted: its applications
 * get test receipt numbers (APPLICATION_TEST_PREFIX) and officed keeps them apart. */
#define CATALOGUE_TEST_PREFIX    "test--"

/* 1 if id is a valid procedure id: [a-z0-9][a-z0-9-]{0,63}. */
int catalogue_id_valid(const char *id);

/* 1 if proc is a test version (its "test" member is true). */
int catalogue_is_test(const json_t *proc);

/* Check one procedure definition (its envelope and its form schema). 0, or -1 with
 * what is wrong, naming the procedure and the member, in err. */
int catalogue_check_procedure(const json_t *proc, char *err, size_t errlen);

/* Apply a catalogue message ({"format", "procedures": [...], "signatures": {"ID/V":
 * hex}, "withdrawn": [...]}) of tenant inside the caller's transaction; every
 * definition must carry the office's signature (office_keys: the current key, or one retired
 * by a rotation and still in its overlap at now). All or nothing: 0, or
 * -1 with err and nothing changed by this call (the caller rolls back). */
int catalogue_apply(struct db *db, const json_t *msg, const char *tenant,
		    const struct keyring *office_keys, time_t now, char *err, size_t errlen);

/* The office's signature of version of procedure id, into hex. 0, or -1 if none. */
int catalogue_get_signature(struct db *db, const char *id, long long version,
			    char hex[129]);

enum catalogue_reception { CATALOGUE_OPEN, CATALOGUE_UPCOMING, CATALOGUE_CLOSED };

struct catalogue_query {
	const char *keyword;		/* searched in title, summary, keywords; may be NULL */
	const char *category;		/* exact; may be NULL */
	const char *life_event;		/* exact member of life_events; may be NULL */
};

/* Public procedures matching q, as the list API returns them ({"procedures": [...],
 * "categories": [...], "life_events": [...]}). NULL on a database error. */
json_t *catalogue_list(struct db *db, const struct catalogue_query *q, time_t now);

/* The current version of procedure id if it is public or unlisted: the definition
 * with "reception" filled in for now. NULL if there is no such procedure. */
json_t *catalogue_get(struct db *db, const char *id, time_t now);

/* The same without "reception": the definition as published (for caching). */
json_t *catalogue_get_current(struct db *db, const char *id);

/* A given version of procedure id, as published (for validating an application
 * against the version it names). NULL if unknown. */
json_t *catalogue_get_version(struct db *db, const char *id, long long version);

/* The reception state of a definition at now, with a Japanese message for the states
 * other than open (stored in msg). */
enum catalogue_reception catalogue_reception(const json_t *proc, time_t now, char *msg,
					     size_t msglen);

#endif
