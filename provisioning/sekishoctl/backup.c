/*
 * backup.c — generations of tenant databases.
 *
 * A generation is complete or absent: it is written under a ".partial" name and
 * renamed when every database is in it, so pruning and restore never see half a
 * backup. Names are UTC times (sortable as text), so "the newest keep" is a sort.
 */
#define _GNU_SOURCE	/* scandir, alphasort */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fsio.h"
#include "office_db.h"
#include "portal_db.h"
#include "tenant.h"

#define GEN_NAME_LEN 32
#define PARTIAL_SUFFIX ".partial"

struct zone_db {
	const char *zone;
	const struct db_migration *migs;
	const size_t *n;
};

static const struct zone_db zone_dbs[] = {
	{ "dmz", portal_db_migrations, &portal_db_nmigrations },
	{ "lgwan", office_db_migrations, &office_db_nmigrations },
};

static const struct zone_db *
zone_of(const char *zone)
{
	for (size_t i = 0; i < sizeof zone_dbs / sizeof zone_dbs[0]; i++)
		if (strcmp(zone_dbs[i].zone, zone) == 0)
			return &zone_dbs[i];
	return NULL;
}

/* "NAME.sqlite" with a valid tenant NAME: the tenant, else NULL. */
static bool
tenant_file(const char *file, char *tenant, size_t len)
{
	size_t n = strlen(file);

	if (n <= 7 || n - 7 >= len || strcmp(file + n - 7, ".sqlite") != 0)
		return false;
	memcpy(tenant, file, n - 7);
	tenant[n - 7] = '\0';
	return tenant_name_valid(tenant);
}

static int
rmtree_gen(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

static int
is_generation(const struct dirent *e)
{
	return e->d_name[0] != '.' && strlen(e->d_name) < GEN_NAME_LEN &&
	       strstr(e->d_name, PARTIAL_SUFFIX) == NULL;
}

static int
prune(const char *backups, int keep, char *err, size_t errlen)
{
	struct dirent **list;
	int n = scandir(backups, &list, is_generation, alphasort), rc = 0;

	if (n < 0) {
		snprintf(err, errlen, "%s: %s", backups, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (i < n - keep && i < BACKUP_MAX_GENERATIONS) {
			snprintf(path, sizeof path, "%s/%s", backups, list[i]->d_name);
			if (rmtree_gen(path) != 0 && rc == 0) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				rc = -1;
			}
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

void
backup_generation_name(char *gen, size_t genlen)
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	/* Milliseconds, so two runs in one second are two generations. */
	snprintf(gen, genlen, "%04d%02d%02dT%02d%02d%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000000);
}

int
backup_zone(const struct instance *in, const char *zone, int keep, const char *gen,
	    char *err, size_t errlen)
{
	const struct zone_db *z = zone_of(zone);
	char rel[64], dbdir[PATH_MAX], backups[PATH_MAX], partial[PATH_MAX + 64];
	char final[PATH_MAX + 64];
	struct dirent *e;
	DIR *d;
	int count = 0;

	if (z == NULL || keep < 1 || keep > BACKUP_KEEP_MAX) {
		snprintf(err, errlen, "zone %s, keep %d: zone is dmz or lgwan, keep 1..%d",
			 zone, keep, BACKUP_KEEP_MAX);
		return -1;
	}
	snprintf(rel, sizeof rel, "%s/db", zone);
	instance_path(in, rel, dbdir, sizeof dbdir);
	snprintf(rel, sizeof rel, "%s/backup", zone);
	instance_path(in, rel, backups, sizeof backups);
	if (mkdir(backups, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", backups, strerror(errno));
		return -1;
	}
	if (strchr(gen, '/') != NULL || gen[0] == '.' || strlen(gen) >= GEN_NAME_LEN) {
		snprintf(err, errlen, "%s: not a generation name", gen);
		return -1;
	}
	snprintf(partial, sizeof partial, "%s/%s%s", backups, gen, PARTIAL_SUFFIX);
	snprintf(final, sizeof final, "%s/%s", backups, gen);
	if (mkdir(partial, 0700) != 0) {
		snprintf(err, errlen, "%s: %s", partial, strerror(errno));
		return -1;
	}
	if ((d = opendir(dbdir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dbdir, strerror(errno));
		goto fail;
	}
	while ((e = readdir(d)) != NULL) {
		char tenant[64], src[PATH_MAX], dst[PATH_MAX + 128];
		struct db *db;
		int rc;

		if (!tenant_file(e->d_name, tenant, sizeof tenant))
			continue;
		if (count == BACKUP_MAX_TENANTS) {
			snprintf(err, errlen, "%s: more than %d databases", dbdir,
				 BACKUP_MAX_TENANTS);
			closedir(d);
			goto fail;
		}
		tenant_db_path(dbdir, tenant, src, sizeof src);
		snprintf(dst, sizeof dst, "%s/%s", partial, e->d_name);
		if (db_open(&db, src, 0, z->migs, *z->n, err, errlen) != 0) {
			closedir(d);
			goto fail;
		}
		rc = db_backup(db, dst, err, errlen);
		db_close(db);
		if (rc != 0) {
			closedir(d);
			goto fail;
		}
		count++;
	}
	closedir(d);
	if (fsio_fsync_dir(partial) != 0 || rename(partial, final) != 0 ||
	    fsio_fsync_dir(backups) != 0) {
		snprintf(err, errlen, "%s: %s", final, strerror(errno));
		goto fail;
	}
	if (prune(backups, keep, err, errlen) != 0)
		return -1;
	return count;
fail:
	rmtree_gen(partial);
	return -1;
}

int
backup_restore(const struct instance *in, const char *zone, const char *gen,
	       char *err, size_t errlen)
{
	const struct zone_db *z = zone_of(zone);
	char rel[64], dbdir[PATH_MAX], src_dir[PATH_MAX + 64];
	struct dirent *e;
	DIR *d;
	int count = 0;

	if (z == NULL || strchr(gen, '/') != NULL || gen[0] == '.' ||
	    strlen(gen) >= GEN_NAME_LEN) {
		snprintf(err, errlen, "zone %s, generation %s: not a zone or a generation", zone,
			 gen);
		return -1;
	}
	snprintf(rel, sizeof rel, "%s/db", zone);
	instance_path(in, rel, dbdir, sizeof dbdir);
	snprintf(rel, sizeof rel, "%s/backup", zone);
	instance_path(in, rel, src_dir, sizeof src_dir);
	snprintf(src_dir + strlen(src_dir), sizeof src_dir - strlen(src_dir), "/%s", gen);
	if ((d = opendir(src_dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", src_dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char tenant[64], src[PATH_MAX + 128], dst[PATH_MAX], side[PATH_MAX + 8];
		struct db *db;
		int rc;

		if (!tenant_file(e->d_name, tenant, sizeof tenant))
			continue;
		snprintf(src, sizeof src, "%s/%s", src_dir, e->d_name);
		tenant_db_path(dbdir, tenant, dst, sizeof dst);
		/* An old WAL beside the new file would be replayed into it. */
		for (size_t i = 0; i < 2; i++) {
			snprintf(side, sizeof side, "%s%s", dst, i == 0 ? "-wal" : "-shm");
			if (unlink(side) != 0 && errno != ENOENT) {
				snprintf(err, errlen, "%s: %s", side, strerror(errno));
				closedir(d);
				return -1;
			}
		}
		if (db_open(&db, src, DB_READONLY, z->migs, *z->n, err, errlen) != 0) {
			closedir(d);
			return -1;
		}
		rc = db_backup(db, dst, err, errlen);
		db_close(db);
		if (rc != 0) {
			closedir(d);
			return -1;
		}
		count++;
	}
	closedir(d);
	return count;
}

static const char *
default_zones(const struct instance *in, const char *zone, const char **second)
{
	char p[PATH_MAX];

	*second = NULL;
	if (zone)
		return zone;
	instance_path(in, "dmz/db", p, sizeof p);
	if (access(p, F_OK) == 0) {
		instance_path(in, "lgwan/db", p, sizeof p);
		if (access(p, F_OK) == 0)
			*second = "lgwan";
		return "dmz";
	}
	return "lgwan";
}

int
backup_main(const struct instance *in, int argc, char **argv)
{
	const char *zone = NULL, *gen = NULL, *zones[2];
	char err[1024], name[GEN_NAME_LEN + 8];
	int keep = BACKUP_KEEP_DEFAULT, n;
	bool restore = strcmp(argv[0], "restore") == 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc)
			zone = argv[++i];
		else if (!restore && strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
			keep = atoi(argv[++i]);
		else if (restore && gen == NULL && argv[i][0] != '-')
			gen = argv[i];
		else {
			fprintf(stderr, "usage: sekishoctl backup [--zone dmz|lgwan] [--keep N]\n"
				"       sekishoctl restore [--zone dmz|lgwan] GENERATION\n");
			return 2;
		}
	}
	if (restore && gen == NULL) {
		fprintf(stderr, "sekishoctl restore: 世代 (GENERATION) を指定してください\n");
		return 2;
	}
	zones[0] = default_zones(in, zone, &zones[1]);
	/* One name for the zones backed up together, so one name restores them. */
	backup_generation_name(name, sizeof name);
	for (size_t i = 0; i < 2 && zones[i]; i++) {
		if (restore) {
			n = backup_restore(in, zones[i], gen, err, sizeof err);
			if (n < 0) {
				fprintf(stderr, "sekishoctl restore: %s\n", err);
				return 1;
			}
			printf("%s: 世代 %s から %d 個のデータベースを復元しました\n", zones[i],
			       gen, n);
			continue;
		}
		n = backup_zone(in, zones[i], keep, name, err, sizeof err);
		if (n < 0) {
			fprintf(stderr, "sekishoctl backup: %s: %s\n", zones[i], err);
			return 1;
		}
		printf("%s: %d 個のデータベースをバックアップしました (世代 %s、最新 %d 世代を保持)\n",
		       zones[i], n, name, keep);
	}
	return 0;
}
