/*
 * tenant.h — the municipalities one appliance serves, as files.
 *
 * A tenant (自治体) is its databases: one SQLite file per zone, named NAME.sqlite in
 * the zone's db directory. Tenants never share a database, so moving a tenant to
 * another node is copying its files, and nothing here keeps a tenant list apart
 * from the directory itself.
 */
#ifndef SEKISHO_TENANT_H
#define SEKISHO_TENANT_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "db.h"

#define TENANT_NAME_MAX 32
#define TENANT_MAX      512	/* tenants one node opens; far above a node's share */

struct tenant {
	char name[TENANT_NAME_MAX + 1];
	struct db *db;
	pthread_mutex_t lock;	/* one connection per tenant; held for each use */
};

struct tenant_set {
	size_t n;
	struct tenant *t;
};

/* 1 if name is a valid tenant name: [a-z0-9-]{1,32}, not starting with '-'. */
int tenant_name_valid(const char *name);

/* Path of a tenant's database in db_dir. 0, or -1 if name is invalid or too long. */
int tenant_db_path(const char *db_dir, const char *name, char *out, size_t outlen);

/* Open (and migrate) every NAME.sqlite in db_dir. A file whose name is not a valid
 * tenant name is an error, not skipped: it means someone put it there by hand. */
int tenant_set_open(struct tenant_set *ts, const char *db_dir,
		    const struct db_migration *migs, size_t nmigs, char *err, size_t errlen);
void tenant_set_close(struct tenant_set *ts);

/* The tenant named name, or NULL. */
struct tenant *tenant_find(struct tenant_set *ts, const char *name);

/* Add a "database" check to a health report: every tenant's database answers. */
void tenant_set_health(struct tenant_set *ts, json_t *health);

#endif
