/*
 * tenant.c — open every tenant database of one zone.
 */
#include "tenant.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int
tenant_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL || name[0] == '-')
		return 0;
	for (; name[n]; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (n >= TENANT_NAME_MAX)
			return 0;
	}
	return n > 0;
}

int
tenant_db_path(const char *db_dir, const char *name, char *out, size_t outlen)
{
	int w;

	if (!tenant_name_valid(name))
		return -1;
	w = snprintf(out, outlen, "%s/%s.sqlite", db_dir, name);
	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct tenant *)a)->name, ((const struct tenant *)b)->name);
}

int
tenant_set_open(struct tenant_set *ts, const char *db_dir,
		const struct db_migration *migs, size_t nmigs, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	memset(ts, 0, sizeof *ts);
	if ((d = opendir(db_dir)) == NULL) {
		snprintf(err, errlen, "%s: cannot open tenant directory: %m", db_dir);
		return -1;
	}
	if ((ts->t = calloc(TENANT_MAX, sizeof *ts->t)) == NULL) {
		closedir(d);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct tenant *t;
		char name[TENANT_NAME_MAX + 8];

		/* WAL and shared-memory files sit beside each database. */
		if (len < 8 || strcmp(e->d_name + len - 7, ".sqlite") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - 7), e->d_name);
		if (len - 7 > TENANT_NAME_MAX || !tenant_name_valid(name)) {
			snprintf(err, errlen, "%s/%s: not a valid tenant database name",
				 db_dir, e->d_name);
			goto fail;
		}
		if (ts->n == TENANT_MAX) {
			snprintf(err, errlen, "%s: more than %d tenants", db_dir, TENANT_MAX);
			goto fail;
		}
		t = &ts->t[ts->n];
		memcpy(t->name, name, len - 7 + 1);
		tenant_db_path(db_dir, name, path, sizeof path);
		if (db_open(&t->db, path, 0, migs, nmigs, err, errlen) != 0)
			goto fail;
		pthread_mutex_init(&t->lock, NULL);
		ts->n++;
	}
	closedir(d);
	qsort(ts->t, ts->n, sizeof *ts->t, by_name);
	return 0;
fail:
	closedir(d);
	tenant_set_close(ts);
	return -1;
}

void
tenant_set_close(struct tenant_set *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		db_close(ts->t[i].db);
		pthread_mutex_destroy(&ts->t[i].lock);
	}
	free(ts->t);
	memset(ts, 0, sizeof *ts);
}

struct tenant *
tenant_find(struct tenant_set *ts, const char *name)
{
	struct tenant key;

	if (!tenant_name_valid(name))
		return NULL;
	snprintf(key.name, sizeof key.name, "%s", name);
	return bsearch(&key, ts->t, ts->n, sizeof *ts->t, by_name);
}

void
tenant_set_health(struct tenant_set *ts, json_t *health)
{
	char detail[256];
	size_t bad = 0;
	const char *first_bad = NULL;

	for (size_t i = 0; i < ts->n; i++) {
		int rc;

		pthread_mutex_lock(&ts->t[i].lock);
		rc = db_ping(ts->t[i].db);
		pthread_mutex_unlock(&ts->t[i].lock);
		if (rc != 0 && bad++ == 0)
			first_bad = ts->t[i].name;
	}
	if (bad)
		snprintf(detail, sizeof detail, "%zu of %zu tenant databases failing (first: %s)",
			 bad, ts->n, first_bad);
	else
		snprintf(detail, sizeof detail, "%zu tenant databases open", ts->n);
	daemon_health_check(health, "database", bad == 0, detail);
}
