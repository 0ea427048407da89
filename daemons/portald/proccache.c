/*
 * proccache.c — a small array of reference-counted parsed definitions per tenant.
 *
 * A linear search over at most PROCCACHE_MAX ids is a few microseconds; a
 * municipality publishes tens to hundreds of procedures.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proccache.h"

int
proccache_init(struct proccache *c)
{
	memset(c, 0, sizeof *c);
	return pthread_mutex_init(&c->mu, NULL) == 0 ? 0 : -1;
}

void
proccache_put(struct proc_entry *e)
{
	if (e == NULL || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	json_decref(e->def);
	form_schema_free(e->schema);
	free(e);
}

void
proccache_clear(struct proccache *c)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++)
		proccache_put(c->e[i]);
	free(c->e);
	c->e = NULL;
	c->n = 0;
	c->gen++;
	pthread_mutex_unlock(&c->mu);
}

void
proccache_destroy(struct proccache *c)
{
	proccache_clear(c);
	pthread_mutex_destroy(&c->mu);
}

static struct proc_entry *
load(struct tenant *t, const char *id)
{
	struct proc_entry *e;
	json_t *def;
	char err[256];

	pthread_mutex_lock(&t->lock);
	def = catalogue_get_current(t->db, id);
	pthread_mutex_unlock(&t->lock);
	if (def == NULL || (e = calloc(1, sizeof *e)) == NULL) {
		json_decref(def);
		return NULL;
	}
	e->refs = 1;
	e->def = def;
	snprintf(e->id, sizeof e->id, "%s", id);
	{
		json_t *v = json_object_get(def, "version");

		e->version = json_is_integer(v) ? json_integer_value(v) : 0;
	}
	if (json_object_get(def, "schema") != NULL &&
	    form_schema_parse(json_object_get(def, "schema"), &e->schema, err, sizeof err) != 0) {
		/* Checked when it arrived; failing now means a bug, not bad input. */
		log_err("procedure %s of tenant %s: schema: %s", id, t->name, err);
		proccache_put(e);
		return NULL;
	}
	return e;
}

struct proc_entry *
proccache_get(struct proccache *c, struct tenant *t, const char *id)
{
	struct proc_entry *e = NULL, **grown;
	unsigned long gen;
	size_t i;

	if (!catalogue_id_valid(id))
		return NULL;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i]->id, id) == 0) {
			e = c->e[i];
			__atomic_add_fetch(&e->refs, 1, __ATOMIC_ACQ_REL);
			break;
		}
	gen = c->gen;
	pthread_mutex_unlock(&c->mu);
	if (e != NULL)
		return e;

	/* Read outside the cache lock; two requests may both read, one copy is kept. A
	 * copy read before a clear may be stale: it serves this request only. */
	if ((e = load(t, id)) == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->n && c->gen == gen; i++)
		if (strcmp(c->e[i]->id, id) == 0)
			break;
	if (c->gen == gen && i == c->n && c->n < PROCCACHE_MAX &&
	    (grown = realloc(c->e, (c->n + 1) * sizeof *c->e)) != NULL) {
		c->e = grown;
		c->e[c->n++] = e;
		__atomic_add_fetch(&e->refs, 1, __ATOMIC_ACQ_REL);	/* the cache's */
	}
	pthread_mutex_unlock(&c->mu);
	return e;
}
