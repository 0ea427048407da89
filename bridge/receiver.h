/*
 * receiver.h — the receiving end of one link as running threads: one drains the
 * socket, one decodes, verifies and stores.
 *
 * Most loss on a one-way link is the receiver's own socket buffer overflowing while
 * it does something slower than reading (decoding, hashing, fsync). So the drain
 * thread does nothing but recvmmsg into a ring of slots, the socket has a large
 * SO_RCVBUF, and the kernel's own drop count (SO_RXQ_OVFL) is reported next to
 * ours. The worker thread authenticates each datagram (frame_open), reassembles
 * (assembly), verifies each completed bundle (bundle_verify_fd: the sanitizer's
 * signature and every attestation on the uplink, the office signature on the
 * downlink) and only then publishes it into the spool by its id — once, however often
 * it arrives. A bundle that fails verification is moved to quarantine and alerted;
 * it never reaches the spool.
 */
#ifndef SEKISHO_BRIDGE_RECEIVER_H
#define SEKISHO_BRIDGE_RECEIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "acks.h"
#include "frame.h"
#include "link.h"
#include "keyring.h"
#include "spool.h"

/* Datagrams buffered between the drain and worker threads: enough for the worker's
 * longest pause (hashing a completed 50 MB object, ~0.25 s here) at 1 Gbit/s. */
#define RECEIVER_RING_SLOTS   32768
#define RECEIVER_STORE_QUEUE  256	/* completed objects waiting for verification */
#define RECEIVER_RCVBUF       (32 << 20)	/* bytes of kernel socket buffer asked for */
#define RECEIVER_QUIET_EVICT_S 600	/* incomplete objects dropped after this silence */

struct receiver_config {
	enum link_direction dir;
	int sock;			/* bound UDP socket; the receiver owns it */
	uint16_t link_id;
	const uint8_t *link_key;	/* 32 bytes */
	const uint8_t *verify_key;	/* sanitizer (uplink) or office (downlink) public key */
	const struct keyring *verify_ring;	/* if set, instead of verify_key: the
					 * current key and those retired in overlap */
	const struct keyring *link_ring;	/* if set, its retired keys (k[1..]) are
					 * tried after link_key, each until its not_after */
	struct spool *spool;		/* where verified bundles go */
	struct spool *receipts;		/* where verified receipt bundles' ids go */
	const uint8_t *receipt_key;	/* uplink only: the DMZ receipt key's public half;
					 * bundles signed with it are accepted only as
					 * receipts (acks.h). NULL: none */
	const struct keyring *receipt_ring;	/* if set, instead of receipt_key: the
					 * current key and those retired in overlap */
	struct acks *acks;		/* downlink only: receipts for what is stored, or
					 * NULL */
	const char *quarantine_dir;
	struct frame_limits limits;
	size_t memory_budget;		/* reassembly state */
	bool no_coalesce;		/* do not ask for UDP_GRO (receive_coalesced = no) */
};

struct receiver;

/* Start both threads. 0, or -1 with the reason in err. */
int receiver_start(struct receiver **out, const struct receiver_config *cfg,
		   char *err, size_t errlen);

/* Stop the threads, drop incomplete objects, close the socket, free. */
void receiver_stop(struct receiver *r);

/* Counters for the metrics endpoint and sekishoctl bridge status (new reference). */
json_t *receiver_metrics(struct receiver *r);

#endif
