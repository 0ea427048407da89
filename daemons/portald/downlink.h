/*
 * downlink.h — what LGWAN tells the internet zone: the consumer of spool/downlink-in.
 *
 * bridge-rx has already verified every bundle here with the office key; portald
 * verifies again before applying (the spool is a directory, and a file can be put in
 * a directory by other means than bridge-rx). Each bundle is applied in one
 * transaction of its tenant's database, recorded by bundle id in the same transaction,
 * so a bundle handed out twice after a crash changes nothing the second time. A
 * bundle that fails verification is quarantined and never applied.
 *
 * Kinds applied: "catalogue" (data/catalogue.json, see catalogue.h), "status"
 * (data/status.json: events of applications, see docs/catalogue-format.md) and
 * "document" (an issued document, see documents.h).
 */
#ifndef SEKISHO_PORTAL_DOWNLINK_H
#define SEKISHO_PORTAL_DOWNLINK_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "bundle.h"
#include "portal.h"

#define DOWNLINK_STATUS_MAX_EVENTS 1000

struct downlink;

/* Start the consumer thread. quarantine_dir keeps refused bundles. */
int downlink_start(struct downlink **out, struct portald *p, const char *quarantine_dir,
		   char *err, size_t errlen);
void downlink_stop(struct downlink *d);

/* Counters: applied, duplicates, refused, errors (new reference). */
json_t *downlink_metrics(struct downlink *d);

/* Process every bundle now waiting (for tests and for the thread itself). Returns the
 * number processed. */
int downlink_drain(struct downlink *d);

/* Apply one verified bundle to its tenant's database. 0 applied, 1 already applied,
 * -1 with err if it cannot be applied (unknown tenant, bad content). */
int downlink_apply(struct portald *p, const struct bundle_info *info, time_t now,
		   char *err, size_t errlen);

/* downlink_apply for a bundle whose files are read from the verified tar at path
 * ("document" bundles need it; the others are whole in info). */
int downlink_apply_bundle(struct portald *p, const struct bundle_info *info, const char *path,
			  time_t now, char *err, size_t errlen);

#endif
