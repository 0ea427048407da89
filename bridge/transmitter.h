/*
 * transmitter.h — the sending end of one link as a running thread.
 *
 * Delivery is guaranteed without any return path on the link: a bundle stays in the
 * spool's work/ after it is sent, is sent again after resend_after seconds (doubling
 * up to resend_max) until a receipt for its id arrives through the *other*
 * direction's receiver (which puts the id into the receipts spool), and only then is
 * finished into done/. Receipts are cumulative and repeated by the far side, so a
 * lost receipt is made good by the next one. At start, spool_recover returns what
 * was in flight to new/, so a crash costs a resend, never a bundle.
 */
#ifndef SEKISHO_BRIDGE_TRANSMITTER_H
#define SEKISHO_BRIDGE_TRANSMITTER_H

#include <jansson.h>
#include <stdint.h>

#include "link.h"
#include "sender.h"
#include "spool.h"

#define TRANSMITTER_MAX_PENDING 4096	/* bundles sent and awaiting their receipt */
#define TRANSMITTER_RECEIPT_PREFIX "receipt-"	/* ids sent once, never awaiting a receipt */

struct transmitter_config {
	enum link_direction dir;
	int sock;			/* UDP socket connected to the receiver; owned */
	uint16_t link_id;
	const uint8_t *link_key;	/* 32 bytes */
	const char *epoch_path;		/* persisted epoch: nonces never repeat */
	struct spool *spool;		/* bundles to send */
	struct spool *receipts;		/* ids the far side confirmed */
	struct sender_config sender;
	uint64_t rate_bps;		/* 0: unlimited */
	unsigned burst_ms;		/* of the rate that may go at once */
	unsigned resend_after_s;
	unsigned resend_max_s;
};

struct transmitter;

/* Take the next epoch, recover the spool and start the thread. 0, or -1 with err. */
int transmitter_start(struct transmitter **out, const struct transmitter_config *cfg,
		      char *err, size_t errlen);
void transmitter_stop(struct transmitter *t);

/* Counters for metrics and status (new reference). */
json_t *transmitter_metrics(struct transmitter *t);

#endif
