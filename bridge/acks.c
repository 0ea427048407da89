/*
 * acks.c — a bounded ring of recently stored ids, flushed as signed receipt bundles.
 *
 * Receipts are cumulative: each repeats every id seen within the window, so one lost
 * receipt is made good by the next, and ids are never waited on individually. A
 * restart forgets the ring; the sender's resend of anything still unreceipted arrives
 * as a duplicate, is noted again, and receipted then.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acks.h"
#include "bundle.h"
#include "tenant.h"

struct ack {
	char id[SPOOL_ID_MAX + 1];
	char tenant[TENANT_NAME_MAX + 1];
	time_t at;
};

struct acks {
	struct acks_config cfg;
	pthread_mutex_t mu;
	struct ack *ring;
	size_t next, n;
	time_t last_flush;
	bool news;
	unsigned long seq;
};

int
acks_new(struct acks **out, const struct acks_config *cfg)
{
	struct acks *a = calloc(1, sizeof *a);

	if (a == NULL || (a->ring = calloc(ACKS_MAX_IDS, sizeof *a->ring)) == NULL) {
		free(a);
		return -1;
	}
	a->cfg = *cfg;
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return 0;
}

void
acks_free(struct acks *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->mu);
	free(a->ring);
	free(a);
}

void
acks_note(struct acks *a, const char *id, const char *tenant, time_t now)
{
	struct ack *slot;
	size_t i;

	if (a == NULL || !spool_valid_id(id) || !tenant_name_valid(tenant))
		return;
	pthread_mutex_lock(&a->mu);
	for (i = 0; i < a->n; i++)
		if (strcmp(a->ring[i].id, id) == 0) {
			a->ring[i].at = now;	/* seen again: keep repeating it */
			a->news = true;
			pthread_mutex_unlock(&a->mu);
			return;
		}
	slot = &a->ring[a->next];
	snprintf(slot->id, sizeof slot->id, "%s", id);
	snprintf(slot->tenant, sizeof slot->tenant, "%s", tenant);
	slot->at = now;
	a->next = (a->next + 1) % ACKS_MAX_IDS;
	if (a->n < ACKS_MAX_IDS)
		a->n++;
	a->news = true;
	pthread_mutex_unlock(&a->mu);
}

static int
write_receipt(struct acks *a, const char *tenant, json_t *ids, time_t now, char *err,
	      size_t errlen)
{
	char id[SPOOL_ID_MAX + 1], tmp[PATH_MAX];
	struct bundle_writer *w;
	json_t *doc = json_pack("{s:O}", "received", ids);
	int fd, rc = -1;

	/* "receipt-" ids are fire-and-forget for bridge-tx: never receipted themselves. */
	snprintf(id, sizeof id, "receipt-dmz-%s-%lld-%lu", tenant, (long long)now, ++a->seq);
	w = bundle_writer_new(id, tenant, "receipt");
	if (w == NULL || doc == NULL || bundle_writer_add_json(w, "data/receipt.json", doc) != 0) {
		snprintf(err, errlen, "receipt %s: cannot build", id);
		goto out;
	}
	if ((fd = spool_tmp_open(a->cfg.out, tmp, sizeof tmp)) < 0) {
		snprintf(err, errlen, "receipt %s: outbox: %s", id, strerror(-fd));
		goto out;
	}
	if (bundle_writer_write(w, fd, a->cfg.sign_key, err, errlen) != 0) {
		spool_tmp_discard(a->cfg.out, fd, tmp);
		goto out;
	}
	if ((rc = spool_publish(a->cfg.out, fd, tmp, id)) != SPOOL_OK) {
		snprintf(err, errlen, "receipt %s: publish: %d", id, rc);
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	bundle_writer_free(w);
	json_decref(doc);
	return rc;
}

int
acks_flush(struct acks *a, time_t now, char *err, size_t errlen)
{
	json_t *by_tenant;
	const char *tenant;
	json_t *ids;
	int written = 0;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->mu);
	if (!a->news || now - a->last_flush < (time_t)a->cfg.interval_s) {
		pthread_mutex_unlock(&a->mu);
		return 0;
	}
	by_tenant = json_object();
	for (size_t i = 0; i < a->n; i++) {
		const struct ack *k = &a->ring[i];
		json_t *list;

		if (now - k->at > (time_t)a->cfg.window_s)
			continue;
		if ((list = json_object_get(by_tenant, k->tenant)) == NULL) {
			list = json_array();
			json_object_set_new(by_tenant, k->tenant, list);
		}
		json_array_append_new(list, json_string(k->id));
	}
	a->news = false;
	a->last_flush = now;
	pthread_mutex_unlock(&a->mu);

	json_object_foreach(by_tenant, tenant, ids) {
		if (write_receipt(a, tenant, ids, now, err, errlen) != 0) {
			written = -1;
			break;
		}
		written++;
	}
	json_decref(by_tenant);
	if (written < 0) {	/* try again at the next interval */
		pthread_mutex_lock(&a->mu);
		a->news = true;
		pthread_mutex_unlock(&a->mu);
	}
	return written;
}
