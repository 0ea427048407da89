/*
 * tenant_remove.c — removing a tenant (自治体) and every file it left in the instance.
 *
 * A tenant's data is spread over both zones: its database in each (with -wal/-shm),
 * copies of them in backup/, its stored bundles (lgwan/bundles/NAME/), and spool,
 * result and quarantine items whose names do not say whose they are (an upload's id
 * is random). So the tenant's ids are first read from its own databases (uploads,
 * imported bundles), then every zone directory is walked and an entry is the tenant's
 * by name (its database files, its bundle directory), by id (spool items and their
 * done/ markers, sanitizer results, quarantined copies and their .reason notes) or by
 * content (a bundle whose manifest names the tenant). The walk is made twice: the
 * first learns the ids of the tenant's bundles found anywhere (a receipt marker may
 * be met before its bundle). The databases are deleted last, so a removal that was
 * interrupted can be run again and still finds the ids.
 *
 * A confirmed removal leaves a deletion certificate (delcert.h): the inventory and the
 * files' hashes are taken before the first unlink, and the walk is made once more
 * after the last one, its result stated in the certificate.
 */
#include "tenants.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "delcert.h"
#include "office_db.h"
#include "portal_db.h"
#include "spool.h"
#include "tenant.h"

/* Bounds on what the walk trusts the instance tree for. */
#define REMOVE_MAX_DEPTH	16		/* directory levels below a zone */
#define REMOVE_MAX_IDS		4000000		/* ids read from the tenant's databases */
#define REMOVE_MAX_PATHS	4000000		/* entries found to delete */
#define REMOVE_MANIFEST_MAX	(1 << 20)	/* a bundle's manifest.json, read to learn its tenant */
#define REMOVE_TAR_MEMBERS	4		/* manifest.json is the first member (bundle-format.md) */

struct strvec {
	char **v;
	size_t n, cap, max;
};

struct removal {
	const char *tenant;
	char dbname[64];		/* NAME.sqlite */
	struct strvec ids;		/* sorted after loading */
	struct strvec paths;		/* what goes, the databases last */
	struct strvec dbs;
	int learning;			/* first walk: only collect the bundles' ids */
	char *err;
	size_t errlen;
};

static int
strvec_add(struct strvec *s, const char *str)
{
	if (s->n == s->max)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof *v);

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if ((s->v[s->n] = strdup(str)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void
strvec_free(struct strvec *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_id(const struct removal *r, const char *id)
{
	return r->ids.n && bsearch(&id, r->ids.v, r->ids.n, sizeof *r->ids.v, cmp_str) != NULL;
}

/* The ids one query of the tenant's database yields (first column, text). */
static int
load_ids(struct removal *r, const char *db_path, const struct db_migration *migs,
	 size_t nmigs, const char *sql)
{
	struct db *db;
	sqlite3_stmt *st;
	int rc;

	if (access(db_path, F_OK) != 0)
		return 0;
	if (db_open(&db, db_path, DB_READONLY, migs, nmigs, r->err, r->errlen) != 0)
		return -1;
	if ((st = db_stmt(db, sql)) == NULL) {
		snprintf(r->err, r->errlen, "%s: %s", db_path, db_errmsg(db));
		db_close(db);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (id != NULL && *id && strvec_add(&r->ids, id) != 0) {
			snprintf(r->err, r->errlen, "%s: more than %d ids, or out of memory",
				 db_path, REMOVE_MAX_IDS);
			sqlite3_reset(st);
			db_close(db);
			return -1;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(r->err, r->errlen, "%s: %s", db_path, db_errmsg(db));
		db_close(db);
		return -1;
	}
	db_close(db);
	return 0;
}

/* 1 if the file at fd is a tar whose manifest.json names the tenant, with the
 * bundle's id in id. Anything that is not a readable bundle is someone else's: 0. */
static int
bundle_of_tenant(int fd, const char *tenant, char *id, size_t idlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int found = 0;

	if (a == NULL)
		return 0;
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 16384) != ARCHIVE_OK) {
		archive_read_free(a);
		return 0;
	}
	for (int i = 0; i < REMOVE_TAR_MEMBERS && archive_read_next_header(a, &e) == ARCHIVE_OK;
	     i++) {
		la_int64_t size = archive_entry_size(e);
		char *buf;
		json_t *m;
		la_ssize_t got = 0, n;

		if (strcmp(archive_entry_pathname(e), "manifest.json") != 0)
			continue;
		if (size <= 0 || size > REMOVE_MANIFEST_MAX || (buf = malloc((size_t)size)) == NULL)
			break;
		while (got < size && (n = archive_read_data(a, buf + got, (size_t)(size - got))) > 0)
			got += n;
		if (got == size && (m = json_loadb(buf, (size_t)size, 0, NULL)) != NULL) {
			const char *t = json_string_value(json_object_get(m, "tenant"));
			const char *bid = json_string_value(json_object_get(m, "id"));

			found = t != NULL && strcmp(t, tenant) == 0;
			snprintf(id, idlen, "%s", found && bid != NULL ? bid : "");
			json_decref(m);
		}
		free(buf);
		break;
	}
	archive_read_free(a);
	return found;
}

/* 1 if name is one of the tenant's ids, alone or with suffixes (".reason", ".json")
 * or as a hidden work copy (".ID.tmp"). */
static int
named_by_id(const struct removal *r, const char *name)
{
	char buf[NAME_MAX + 1];
	char *dot;

	snprintf(buf, sizeof buf, "%s", name[0] == '.' ? name + 1 : name);
	for (;;) {
		if (has_id(r, buf))
			return 1;
		if ((dot = strrchr(buf, '.')) == NULL || dot == buf)
			return 0;
		*dot = '\0';
	}
}

static int
is_tar(int fd)
{
	char magic[5];

	return pread(fd, magic, sizeof magic, 257) == (ssize_t)sizeof magic &&
	       memcmp(magic, "ustar", 5) == 0;
}

static int
note(struct removal *r, struct strvec *into, const char *path)
{
	if (strvec_add(into, path) != 0) {
		snprintf(r->err, r->errlen, "more than %d files to remove, or out of memory",
			 REMOVE_MAX_PATHS);
		return -1;
	}
	return 0;
}

/* Walk dir (rel: its path below the zone, "" at the top), noting what is the tenant's.
 * A matching directory is noted whole and not entered. */
static int
walk(struct removal *r, const char *dir, const char *rel, int depth)
{
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (depth > REMOVE_MAX_DEPTH) {
		snprintf(r->err, r->errlen, "%s: deeper than %d levels", dir, REMOVE_MAX_DEPTH);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(r->err, r->errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char path[PATH_MAX], sub[PATH_MAX];
		struct stat sb;
		size_t dblen = strlen(r->dbname);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
		    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
			    (int)sizeof sub) {
			snprintf(r->err, r->errlen, "%s/%s: path too long", dir, e->d_name);
			rc = -1;
			break;
		}
		if (lstat(path, &sb) != 0) {
			snprintf(r->err, r->errlen, "%s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		/* Its databases (also as backups): NAME.sqlite, NAME.sqlite-wal, ... */
		if (r->learning) {
			/* only the bundles, below */
		} else if (strncmp(e->d_name, r->dbname, dblen) == 0 &&
		    (e->d_name[dblen] == '\0' || e->d_name[dblen] == '-')) {
			rc = note(r, &r->dbs, path);
			continue;
		} else if ((strcmp(rel, "bundles") == 0 && strcmp(e->d_name, r->tenant) == 0) ||
			   /* the sanitizer's receipt markers (reply.h): .receipts/NAME/ */
			   (strcmp(rel, "sanitized/.receipts") == 0 &&
			    strcmp(e->d_name, r->tenant) == 0) ||
			   named_by_id(r, e->d_name)) {
			rc = note(r, &r->paths, path);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			rc = walk(r, path, sub, depth + 1);
		} else if (S_ISREG(sb.st_mode)) {
			int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			char bid[SPOOL_ID_MAX + 1];

			if (fd < 0)
				continue;	/* not ours to read: not a bundle we could judge */
			if (is_tar(fd) && bundle_of_tenant(fd, r->tenant, bid, sizeof bid)) {
				char reason[PATH_MAX];

				if (r->learning) {
					if (*bid && strvec_add(&r->ids, bid) != 0) {
						snprintf(r->err, r->errlen, "more than %d ids, or out "
							 "of memory", REMOVE_MAX_IDS);
						rc = -1;
					}
					close(fd);
					continue;
				}
				rc = note(r, &r->paths, path);
				/* A quarantined bundle's note beside it. */
				if (rc == 0 && snprintf(reason, sizeof reason, "%s.reason", path) <
						       (int)sizeof reason &&
				    access(reason, F_OK) == 0)
					rc = note(r, &r->paths, reason);
			}
			close(fd);
		}
	}
	closedir(d);
	return rc;
}

/* Delete path and, for a directory, everything beneath it. */
static int
remove_tree(const char *path, int depth, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path,
							  strerror(errno)), -1);
	if (S_ISDIR(sb.st_mode)) {
		struct dirent *e;
		DIR *d;

		if (depth > REMOVE_MAX_DEPTH) {
			snprintf(err, errlen, "%s: deeper than %d levels", path, REMOVE_MAX_DEPTH);
			return -1;
		}
		if ((d = opendir(path)) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		while ((e = readdir(d)) != NULL) {
			char child[PATH_MAX];

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >=
				    (int)sizeof child ||
			    remove_tree(child, depth + 1, err, errlen) != 0) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
		if (rmdir(path) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
print_all(FILE *out, const struct strvec *s)
{
	for (size_t i = 0; out != NULL && i < s->n; i++)
		fprintf(out, "%s\n", s->v[i]);
	return 0;
}

/* Every entry of the tenant still in either zone into r->paths and r->dbs. */
static int
scan(struct removal *r, const struct instance *in)
{
	char dir[PATH_MAX];

	for (int z = 0; z < 2; z++) {
		instance_path(in, z == 0 ? "dmz" : "lgwan", dir, sizeof dir);
		if (access(dir, F_OK) == 0 && walk(r, dir, "", 0) != 0)
			return -1;
	}
	return 0;
}

/* Delete what the walk found, recorded first into the certificate c; then walk again
 * and let the certificate state what remains. */
static int
remove_certified(struct removal *r, const struct instance *in,
		 struct tenants_removal *how, const char *pdb, const char *odb,
		 FILE *out, char *err, size_t errlen)
{
	struct delcert *c = delcert_begin(in, r->tenant, how->operator_name, err, errlen);
	char dir[PATH_MAX], cert[PATH_MAX];
	size_t left;
	int rc = -1;

	if (c == NULL)
		return -1;
	instance_path(in, "dmz", dir, sizeof dir);
	if (access(dir, F_OK) == 0 && delcert_inventory(c, "dmz", pdb, err, errlen) != 0)
		goto out;
	instance_path(in, "lgwan", dir, sizeof dir);
	if (access(dir, F_OK) == 0 && delcert_inventory(c, "lgwan", odb, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < r->paths.n; i++)
		if (delcert_add(c, r->paths.v[i], err, errlen) != 0)
			goto out;
	for (size_t i = 0; i < r->dbs.n; i++)
		if (delcert_add(c, r->dbs.v[i], err, errlen) != 0)
			goto out;
	for (size_t i = 0; i < r->paths.n; i++)
		if (remove_tree(r->paths.v[i], 0, err, errlen) != 0)
			goto out;
	for (size_t i = 0; i < r->dbs.n; i++)
		if (remove_tree(r->dbs.v[i], 0, err, errlen) != 0)
			goto out;
	/* The re-scan, with the ids learnt before (the databases that held them are gone). */
	strvec_free(&r->paths);
	strvec_free(&r->dbs);
	if (scan(r, in) != 0)
		goto out;
	left = r->paths.n + r->dbs.n;
	for (size_t i = 0; i < r->dbs.n; i++)
		if (note(r, &r->paths, r->dbs.v[i]) != 0)
			goto out;
	if (delcert_finish(c, r->paths.v, left, cert, sizeof cert, err, errlen) != 0)
		goto out;
	if (out != NULL)
		fputs(delcert_text(c), out);
	snprintf(how->certificate, sizeof how->certificate, "%s", cert);
	if (left != 0) {
		snprintf(err, errlen, "%zu files of tenant %s remain after removal (see %s)", left,
			 r->tenant, cert);
		goto out;
	}
	rc = 0;
out:
	delcert_free(c);
	return rc;
}

long
tenants_remove(const struct instance *in, const char *name, struct tenants_removal *how,
	       FILE *out, char *err, size_t errlen)
{
	struct removal r = {
		.tenant = name, .err = err, .errlen = errlen,
		.ids = { .max = REMOVE_MAX_IDS },
		.paths = { .max = REMOVE_MAX_PATHS },
		.dbs = { .max = REMOVE_MAX_PATHS },
	};
	char dir[PATH_MAX], pdb[PATH_MAX], odb[PATH_MAX];
	long n = -1;

	if (!tenant_name_valid(name)) {
		snprintf(err, errlen, "'%s': invalid tenant name", name);
		return -1;
	}
	snprintf(r.dbname, sizeof r.dbname, "%s.sqlite", name);
	instance_path(in, "dmz/db", dir, sizeof dir);
	tenant_db_path(dir, name, pdb, sizeof pdb);
	instance_path(in, "lgwan/db", dir, sizeof dir);
	tenant_db_path(dir, name, odb, sizeof odb);
	if (access(pdb, F_OK) != 0 && access(odb, F_OK) != 0) {
		snprintf(err, errlen, "tenant %s: no such tenant in %s", name, in->root);
		return -1;
	}
	if (load_ids(&r, pdb, portal_db_migrations, portal_db_nmigrations,
		     "SELECT id FROM uploads") != 0 ||
	    load_ids(&r, odb, office_db_migrations, office_db_nmigrations,
		     "SELECT bundle_id FROM applications") != 0)
		goto out;
	for (r.learning = 1; r.learning >= 0; r.learning--) {
		if (r.ids.n)
			qsort(r.ids.v, r.ids.n, sizeof *r.ids.v, cmp_str);
		if (scan(&r, in) != 0)
			goto out;
	}
	r.learning = 0;
	n = (long)(r.paths.n + r.dbs.n);
	if (how == NULL) {
		print_all(out, &r.paths);
		print_all(out, &r.dbs);
	} else if (remove_certified(&r, in, how, pdb, odb, out, err, errlen) != 0) {
		n = -1;
	}
out:
	strvec_free(&r.ids);
	strvec_free(&r.paths);
	strvec_free(&r.dbs);
	return n;
}
