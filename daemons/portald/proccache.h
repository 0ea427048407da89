/*
 * proccache.h — current procedure definitions, parsed once.
 *
 * Every submission needs its procedure's definition and parsed form schema. Reading
 * the definition from SQLite and parsing the schema cost more than validating the
 * answers, and they change only when a catalogue bundle arrives; so each tenant keeps
 * the parsed current versions here, and the downlink consumer empties the cache in
 * the same moment it commits a catalogue change. An entry is reference counted: a
 * request holds its entry while it works, even if the cache is emptied meanwhile.
 */
#ifndef SEKISHO_PORTAL_PROCCACHE_H
#define SEKISHO_PORTAL_PROCCACHE_H

#include <jansson.h>
#include <pthread.h>

#include "catalogue.h"
#include "form.h"
#include "tenant.h"

#define PROCCACHE_MAX 1024	/* procedures kept per tenant; beyond, read each time */

struct proc_entry {
	int refs;			/* atomic */
	long long version;
	json_t *def;			/* as published: no "reception" member */
	struct form_schema *schema;	/* NULL for info-only procedures */
	char id[CATALOGUE_ID_MAX + 1];
};

struct proccache {
	pthread_mutex_t mu;
	struct proc_entry **e;
	size_t n;
	unsigned long gen;		/* bumped by every clear */
};

int proccache_init(struct proccache *c);
void proccache_destroy(struct proccache *c);

/* The current public or unlisted version of procedure id of tenant t, from the cache
 * or read (under t->lock) and cached. NULL if there is none. Release with
 * proccache_put. */
struct proc_entry *proccache_get(struct proccache *c, struct tenant *t, const char *id);
void proccache_put(struct proc_entry *e);

/* Forget everything (after a catalogue change). */
void proccache_clear(struct proccache *c);

#endif
