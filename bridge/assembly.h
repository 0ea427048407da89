/*
 * assembly.h — the receiver's reassembly of objects from authenticated datagrams.
 *
 * Fed frames that frame_open has already authenticated, it writes each data symbol
 * straight to the object's temporary file (pwrite at its offset), holds only parity
 * symbols of blocks that are not yet decodable, decodes a block as soon as it has kb
 * symbols, and reports an object complete once every block is written and its
 * manifest known. The whole-object SHA-256 of the manifest is checked by the caller
 * (assembly_verify_fd), on another thread than the one feeding frames: hashing a
 * 50 MB object takes ~130 ms here, during which an undrained link would overflow
 * the receive ring. What it holds is bounded:
 * objects in progress, object size, and bytes of buffered state; when a limit would
 * be passed, the oldest incomplete object is evicted and reported.
 *
 * Completed object ids are remembered (a bounded ring), so a later pass of the
 * carousel or a resend of the same object is ignored and counted, not stored twice.
 * The daemon still relies on the spool's idempotency by id across its restarts.
 */
#ifndef SEKISHO_BRIDGE_ASSEMBLY_H
#define SEKISHO_BRIDGE_ASSEMBLY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define ASSEMBLY_DEFAULT_OBJECTS   16
#define ASSEMBLY_DEFAULT_MEMORY    (64u << 20)
#define ASSEMBLY_DEFAULT_REMEMBER  4096

/* Results of assembly_feed; the non-negative ones are normal traffic. */
enum {
	ASSEMBLY_STORED = 0,	/* new symbol or manifest taken */
	ASSEMBLY_DUPLICATE = 1,	/* this symbol (or manifest) was already held */
	ASSEMBLY_REDUNDANT = 2,	/* its block was already decoded */
	ASSEMBLY_KNOWN = 3,	/* the object was already completed */
	ASSEMBLY_ECONFLICT = -1,/* geometry or manifest differs from the object's */
	ASSEMBLY_ETOOBIG = -2,	/* object larger than this receiver accepts */
	ASSEMBLY_EIO = -3,	/* temporary file could not be written (errno kept) */
	ASSEMBLY_ENOMEM = -4,
	ASSEMBLY_EARG = -5,	/* bad configuration or frame */
	ASSEMBLY_EDIGEST = -6,	/* assembly_verify_fd: not the manifest's SHA-256 */
};

const char *assembly_strerror(int rc);

struct assembly_config {
	const char *dir;		/* temporary files go here (0700, same fs as spool) */
	unsigned max_objects;		/* objects in progress at once */
	uint64_t max_object_size;	/* bytes */
	size_t   memory_budget;		/* bytes of block state, parity and gathered data */
	unsigned remember;		/* completed ids remembered for idempotency */
};

/* Defaults: ASSEMBLY_DEFAULT_*, max object FRAME_DEFAULT_MAX_OBJECT; dir unset. */
void assembly_config_default(struct assembly_config *cfg);

enum assembly_event_kind {
	ASSEMBLY_COMPLETE = 1,	/* path holds the decoded object, its digest not yet
				 * checked (assembly_verify_fd); the caller owns it */
	ASSEMBLY_FAILED,	/* I/O error; temporary file removed */
	ASSEMBLY_EVICTED,	/* incomplete, dropped to stay within limits */
};

struct assembly_event {
	enum assembly_event_kind kind;
	uint8_t  object_id[FRAME_ID_LEN];
	char     name[FRAME_NAME_MAX + 1];	/* "" if no manifest was seen */
	uint64_t size;
	uint8_t  sha256[CRYPTO_SHA256_LEN];
	char     path[PATH_MAX];		/* COMPLETE: rename or unlink it */
	int      error;			/* FAILED: ASSEMBLY_E* */
	uint32_t blocks_missing;		/* EVICTED / FAILED: blocks never decoded */
};

struct assembly_stats {
	uint64_t frames;		/* fed */
	uint64_t symbols;		/* new symbols stored */
	uint64_t manifests;		/* manifest frames fed */
	uint64_t duplicates;		/* symbol or manifest already held */
	uint64_t redundant;		/* symbol for a block already decoded */
	uint64_t known;			/* frames of already completed objects */
	uint64_t conflicts;		/* frames contradicting their object's state */
	uint64_t blocks_decoded;
	uint64_t fec_repairs;		/* blocks that needed parity to decode */
	uint64_t symbols_repaired;	/* data symbols rebuilt from parity */
	uint64_t blocks_unrecoverable;	/* blocks of evicted or failed objects */
	uint64_t objects_started;
	uint64_t objects_complete;
	uint64_t objects_failed;	/* I/O error, or rejected (assembly_reject) */
	uint64_t objects_evicted;
	uint64_t objects_refused;	/* too big for the limits */
	size_t   memory;		/* bytes held now */
};

struct assembly;

/* cfg->dir must exist. ASSEMBLY_EARG or ASSEMBLY_ENOMEM on failure. */
int assembly_new(struct assembly **out, const struct assembly_config *cfg);
/* Frees all state and removes the temporary files of incomplete objects; events
 * not yet polled are dropped (a COMPLETE event's file is removed too). */
void assembly_free(struct assembly *a);

/* Take one authenticated frame (h and payload as frame_open returned them).
 * Returns one of the codes above; events it caused are queued for assembly_poll. */
int assembly_feed(struct assembly *a, const struct frame_hdr *h, const uint8_t *payload,
		  size_t len);

/* Pop the oldest queued event: 1 and *ev filled, or 0 if none. */
int assembly_poll(struct assembly *a, struct assembly_event *ev);

/* Whether the file open on fd (a COMPLETE event's path) has the size and SHA-256
 * the event's manifest gave: ASSEMBLY_STORED, ASSEMBLY_EDIGEST or ASSEMBLY_EIO.
 * Touches no assembly state, so any thread may call it; leaves fd at offset 0. */
int assembly_verify_fd(const struct assembly_event *ev, int fd);

/* A COMPLETE object its caller refused (its digest did not verify): counted as
 * failed and its id forgotten, so that a resend of it is assembled again. The
 * caller still owns, and removes, the file. */
void assembly_reject(struct assembly *a, const struct assembly_event *ev);

const struct assembly_stats *assembly_stats(const struct assembly *a);

/* Ids of objects in progress, oldest first: writes up to max, returns how many
 * there are in all. */
size_t assembly_incomplete(const struct assembly *a, uint8_t (*ids)[FRAME_ID_LEN],
			   size_t max);

/* Evict every object in progress (e.g. at shutdown, or after a quiet period),
 * reporting each as EVICTED. */
void assembly_evict_all(struct assembly *a);

#endif
