/*
 * forwarder.h — committed applications on their way to LGWAN.
 *
 * portald cannot sign anything for the uplink; the sanitizer can. For every
 * application committed with forward_state 'pending', the forwarder asks the
 * sanitizer to assemble and sign its bundle into the outbox (POST /api/bundles, which
 * is idempotent by bundle id), then marks it 'forwarded'. A sanitizer that is down
 * only delays this (retried with backoff), and so does an upload whose text layer
 * (OCR) is still being made, which the bundle waits for; a refusal (a file no longer clean, a
 * malformed application) marks it 'failed' and is logged as an error for operators,
 * because the citizen already holds a 到達番号.
 */
#ifndef SEKISHO_PORTAL_FORWARDER_H
#define SEKISHO_PORTAL_FORWARDER_H

#include <jansson.h>

#include "portal.h"

#define FORWARDER_BATCH       32

struct forwarder;

int forwarder_start(struct forwarder **out, struct portald *p, char *err, size_t errlen);
void forwarder_stop(struct forwarder *f);

/* Forward what is due in every tenant now; returns how many were forwarded. */
int forwarder_run_once(struct portald *p, time_t now);

/* The uplink bundle id of an application: "app-TENANT-RECEIPT". */
void forwarder_bundle_id(const char *tenant, const char *receipt, char *out, size_t len);

#endif
