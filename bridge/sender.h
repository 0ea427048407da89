/*
 * sender.h — one object (a file) as the ordered datagrams of a one-way link.
 *
 * The sequence is a carousel: the manifest (name, size, SHA-256, geometry) first,
 * again after every manifest_every symbols and at the end of each pass, so that a
 * receiver that starts late still learns what it is assembling. Symbols go out a
 * window of blocks at a time, interleaved (index i of every block in the window
 * before index i + 1), so a burst of loss costs each block only a few symbols. The
 * file is read one window at a time and never held whole: memory is
 * interleave x (k + m) x symbol size. The file must not change while it is sent
 * (the daemon sends spool items, which are immutable).
 *
 * The rate limiter is separate and pure: the send loop asks it how long to wait.
 */
#ifndef SEKISHO_BRIDGE_SENDER_H
#define SEKISHO_BRIDGE_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define SENDER_DEFAULT_PASSES     2
#define SENDER_DEFAULT_MANIFEST   256	/* symbols between manifests */
#define SENDER_DEFAULT_INTERLEAVE 16	/* blocks in one interleaving window */

enum {
	SENDER_MORE = 0,	/* a datagram was written */
	SENDER_DONE = 1,	/* the last pass is finished; nothing was written */
	SENDER_EARG = -1,	/* bad configuration, name or buffer */
	SENDER_EIO = -2,	/* the file could not be read (errno kept) */
	SENDER_ENOMEM = -3,
	SENDER_ESEAL = -4,	/* frame_seal failed (see frame_strerror) */
};

const char *sender_strerror(int rc);

struct sender_config {
	unsigned k, m;			/* FEC data and parity symbols per block */
	size_t   datagram;		/* UDP payload bytes; symbol = datagram - 80 */
	unsigned passes;		/* times the whole object is sent */
	unsigned manifest_every;	/* a manifest after this many symbols */
	unsigned interleave;		/* blocks per interleaving window */
	uint64_t max_object_size;	/* refuse larger files (the receiver would) */
};

/* FEC_DEFAULT_K/M, FRAME_DEFAULT_DATAGRAM, SENDER_DEFAULT_*, the default max. */
void sender_config_default(struct sender_config *cfg);

/* A stable object id for a named object with this content: the first 16 bytes of
 * SHA-256("sekisho-bridge-object\0" || name || "\0" || sha256). Resending the
 * same bundle gives the same id, so the receiver stores it once. */
void sender_object_id(const char *name, const uint8_t sha256[CRYPTO_SHA256_LEN],
		      uint8_t id[FRAME_ID_LEN]);

struct sender;

/* Prepare to send the file open on fd (read with pread; fd stays the caller's)
 * under name. sha256 is the file's digest when the caller already has it (tx
 * hashes the next bundle while it sends this one), else NULL and the file is hashed
 * here. If id is NULL it is derived by sender_object_id. tx seals every datagram
 * and must outlive the sender. */
int sender_open(struct sender **out, const struct sender_config *cfg, struct frame_tx *tx,
		int fd, const char *name, const uint8_t *id, const uint8_t *sha256);
void sender_close(struct sender *s);

/* Write the next datagram into out (cap >= cfg->datagram): SENDER_MORE and *len,
 * SENDER_DONE, or an error. */
int sender_next(struct sender *s, uint8_t *out, size_t cap, size_t *len);

/* The object's id, SHA-256 and the datagram count of one pass (for planning). */
const uint8_t *sender_id(const struct sender *s);
const uint8_t *sender_sha256(const struct sender *s);
uint64_t sender_datagrams_per_pass(const struct sender *s);

/* Token bucket: rate in bits per second (0: unlimited), burst in bytes. Times are
 * nanoseconds from any monotonic clock, passed in so the bucket is testable. */
struct sender_rate {
	double   bytes_per_ns;
	double   tokens;		/* bytes */
	double   burst;
	uint64_t last_ns;
};

void sender_rate_init(struct sender_rate *r, uint64_t bits_per_s, size_t burst,
		      uint64_t now_ns);
/* The burst for a rate: burst_ms of it, and never less than 64 datagrams (two of
 * the sender's batches). */
size_t sender_rate_burst(uint64_t bits_per_s, size_t datagram, unsigned burst_ms);
/* 0 if bytes may be sent now (and they are taken from the bucket), else how many
 * nanoseconds to wait before asking again. */
uint64_t sender_rate_wait(struct sender_rate *r, size_t bytes, uint64_t now_ns);

#endif
