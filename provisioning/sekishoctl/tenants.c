/*
 * tenants.c — creating tenants and staff accounts from the command line.
 *
 * A running officed opens tenant databases at start, so a tenant added here is
 * served after the daemons restart.
 */
#include "tenants.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "office_db.h"
#include "password.h"
#include "portal_db.h"
#include "tenant.h"

#define GENERATED_PASSWORD_LEN 16

static int
set_meta(struct db *db, const char *name, char *err, size_t errlen)
{
	static const char *const sql[] = {
		"INSERT INTO meta (key, value) VALUES ('tenant', ?1)",
		"INSERT INTO meta (key, value) VALUES ('created_at',"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
	};
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *st = db_stmt(db, sql[i]);
		int rc;

		if (st == NULL) {
			snprintf(err, errlen, "tenant %s: %s", name, db_errmsg(db));
			return -1;
		}
		if (i == 0)
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			snprintf(err, errlen, "tenant %s: %s", name, db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

int
tenants_create(const struct instance *in, const char *name, char *err, size_t errlen)
{
	return tenants_create_in(in, name, INSTANCE_ZONE_BOTH, err, errlen);
}

int
tenants_create_in(const struct instance *in, const char *name, unsigned zone_mask,
		  char *err, size_t errlen)
{
	static const struct {
		const char *dir;
		const struct db_migration *migs;
		const size_t *n;
		unsigned mask;
	} zones[] = {
		{ "dmz/db", portal_db_migrations, &portal_db_nmigrations, INSTANCE_ZONE_DMZ },
		{ "lgwan/db", office_db_migrations, &office_db_nmigrations, INSTANCE_ZONE_LGWAN },
	};
	char dir[PATH_MAX], path[PATH_MAX];

	if (!tenant_name_valid(name)) {
		snprintf(err, errlen, "'%s' は自治体名として使えません (英小文字・数字・ハイフン、"
			 "32 文字以内): invalid tenant name", name);
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		if (!(zone_mask & zones[i].mask))
			continue;
		instance_path(in, zones[i].dir, dir, sizeof dir);
		if (tenant_db_path(dir, name, path, sizeof path) != 0 || access(path, F_OK) == 0) {
			snprintf(err, errlen, "tenant %s: %s already exists", name, path);
			return -1;
		}
	}
	for (size_t i = 0; i < 2; i++) {
		struct db *db;
		int rc;

		if (!(zone_mask & zones[i].mask))
			continue;
		instance_path(in, zones[i].dir, dir, sizeof dir);
		tenant_db_path(dir, name, path, sizeof path);
		if (db_open(&db, path, DB_CREATE, zones[i].migs, *zones[i].n, err, errlen) != 0)
			return -1;
		rc = set_meta(db, name, err, errlen);
		db_close(db);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
tenants_list(const struct instance *in, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	instance_path(in, "lgwan/db", dir, sizeof dir);
	/* A DMZ host (role dmz) has the portal's databases only. */
	if (access(dir, F_OK) != 0)
		instance_path(in, "dmz/db", dir, sizeof dir);
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %m", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 7 && strcmp(e->d_name + len - 7, ".sqlite") == 0) {
			printf("%.*s\n", (int)(len - 7), e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int
open_office(const struct instance *in, const char *tenant, struct db **db,
	    char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];

	instance_path(in, "lgwan/db", dir, sizeof dir);
	if (tenant_db_path(dir, tenant, path, sizeof path) != 0 || access(path, F_OK) != 0) {
		snprintf(err, errlen, "tenant %s: no such tenant in %s", tenant, in->root);
		return -1;
	}
	return db_open(db, path, 0, office_db_migrations, office_db_nmigrations, err, errlen);
}

int
tenants_add_staff(const struct instance *in, const char *tenant, const char *login,
		  const char *role, const char *display_name, char *password,
		  size_t outlen, char *err, size_t errlen)
{
	struct db *db;
	int rc;

	if (password_generate(password, outlen, GENERATED_PASSWORD_LEN) != 0) {
		snprintf(err, errlen, "cannot generate a password");
		return -1;
	}
	if (open_office(in, tenant, &db, err, errlen) != 0)
		return -1;
	rc = office_db_add_staff(db, login, display_name, role, password, 1, err, errlen);
	db_close(db);
	return rc;
}

int
tenants_reset_password(const struct instance *in, const char *tenant, const char *login,
		       char *password, size_t outlen, char *err, size_t errlen)
{
	struct db *db;
	int rc;

	if (password_generate(password, outlen, GENERATED_PASSWORD_LEN) != 0) {
		snprintf(err, errlen, "cannot generate a password");
		return -1;
	}
	if (open_office(in, tenant, &db, err, errlen) != 0)
		return -1;
	rc = office_db_set_password(db, login, password, 1, err, errlen);
	db_close(db);
	if (rc == 1)
		snprintf(err, errlen, "staff %s: no such account in tenant %s", login, tenant);
	return rc == 0 ? 0 : -1;
}
