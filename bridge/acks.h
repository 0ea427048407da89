/*
 * acks.h — receipts for what this receiver stored, sent back by the other direction.
 *
 * A one-way link has no acknowledgement on the same wire, so the sender resends a
 * bundle until a receipt for its id arrives through the other direction. On the
 * uplink, officed writes those receipts after import. On the downlink nothing on the
 * internet side could sign them for LGWAN to believe until this: bridge-rx of the
 * downlink keeps its own Ed25519 key (dmz/keys/dmz-receipt.key), notes every bundle
 * it has stored (or received again: the first receipt may have been lost), and every
 * interval writes one cumulative receipt bundle per tenant into the uplink's outbox.
 * bridge-rx of the uplink accepts a bundle signed with this key only if it is a
 * receipt and carries nothing but data/receipt.json — so the key can finish LGWAN's
 * resends and do nothing else; it adds no path for internet bytes into LGWAN.
 */
#ifndef SEKISHO_BRIDGE_ACKS_H
#define SEKISHO_BRIDGE_ACKS_H

#include <stdint.h>
#include <time.h>

#include "spool.h"

#define ACKS_MAX_IDS 4096	/* ids remembered (the newest); a receipt lists at most these */

struct acks_config {
	const uint8_t *sign_key;	/* Ed25519 private seed, 32 bytes */
	struct spool *out;		/* the uplink outbox */
	unsigned interval_s;		/* a receipt at most this often, if there is news */
	unsigned window_s;		/* ids are repeated in receipts for this long */
};

struct acks;

int acks_new(struct acks **out, const struct acks_config *cfg);
void acks_free(struct acks *a);

/* Note that bundle id of tenant was stored (or arrived again). Thread safe. */
void acks_note(struct acks *a, const char *id, const char *tenant, time_t now);

/* Write the due receipt bundles (one per tenant with ids in the window) if an
 * interval has passed since the last and something was noted since. Returns how
 * many bundles were written, or -1 (logged by the caller from err). */
int acks_flush(struct acks *a, time_t now, char *err, size_t errlen);

#endif
