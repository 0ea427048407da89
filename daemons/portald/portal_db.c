/*
 * portal_db.c — migrations of the internet zone's tenant database.
 */
#include "portal_db.h"

const struct db_migration portal_db_migrations[] = {
	{ 1,
	  /* meta: facts about the tenant itself (its name, when it was provisioned). */
	  "CREATE TABLE meta ("
	  "  key   TEXT PRIMARY KEY,"
	  "  value TEXT NOT NULL"
	  ") STRICT;" },
};

const size_t portal_db_nmigrations =
	sizeof portal_db_migrations / sizeof portal_db_migrations[0];
