/*
 * portal_db.h — the internet zone's per-tenant database schema (portald).
 *
 * It holds what citizens do on the internet side: accounts, drafts, submissions
 * waiting for their receipt from LGWAN. The citizen-portal issue grows it; each
 * change is a new migration appended here, never an edit of a published one.
 */
#ifndef SEKISHO_PORTAL_DB_H
#define SEKISHO_PORTAL_DB_H

#include <stddef.h>

#include "db.h"

extern const struct db_migration portal_db_migrations[];
extern const size_t portal_db_nmigrations;

#endif
