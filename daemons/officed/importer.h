/*
 * importer.h — bundles from the uplink into the tenants' databases, and receipts back
 * down the downlink.
 *
 * The second gate of the auditor's invariant: bridge-rx already verified each bundle,
 * and the importer verifies it again with the sanitizer's public key before a single
 * row is written (a bundle could have been placed in the inbox by something other
 * than bridge-rx). A verified bundle is stored whole (lgwan/bundles/TENANT/ID.tar) and
 * recorded in one transaction, keyed by its id, so importing twice stores once. A
 * bundle that fails is moved to quarantine and never imported.
 *
 * Receipts: every receipt_interval seconds the importer writes, per tenant, one
 * office-signed receipt bundle listing every bundle id imported in the last
 * receipt_window seconds into the downlink-out spool. They are cumulative and
 * repeated, so a lost receipt is made good by the next one.
 */
#ifndef SEKISHO_OFFICE_IMPORTER_H
#define SEKISHO_OFFICE_IMPORTER_H

#include <jansson.h>
#include <stdint.h>

#include "keyring.h"
#include "spool.h"
#include "tenant.h"

struct importer_config {
	struct tenant_set *tenants;
	struct spool *inbox;
	struct spool *downlink_out;
	const char *bundles_dir;	/* lgwan/bundles */
	const char *quarantine_dir;
	const struct keyring *sanitizer_ring;	/* verifies bundles and attestations: the
					 * current key, retired ones until their overlap ends */
	const uint8_t *office_key;	/* signs receipts */
	unsigned receipt_interval_s;
	unsigned receipt_window_s;
	const char *staff_base_url;	/* links in staff email (staff_notify.h); "" for none */
};

struct importer;

int importer_start(struct importer **out, const struct importer_config *cfg,
		   char *err, size_t errlen);
void importer_stop(struct importer *im);

/* Counters: imported, duplicates, quarantined, receipts written (new reference). */
json_t *importer_metrics(struct importer *im);

#endif
