/*
 * frame.h — one datagram of the one-way link: encode, seal, open.
 *
 * A datagram is a fixed 64-byte plaintext header, the AES-256-GCM ciphertext of the
 * payload and the 16-byte tag; the header is the AEAD's associated data, so every
 * byte of it is authenticated. The nonce is epoch || counter: the epoch is persisted
 * and incremented (fsync'd) at every tx start by frame_epoch_next, the counter counts
 * datagrams within the epoch, so a nonce never repeats under one link key, also
 * across restarts. The receiver checks only lengths and constant fields before
 * authentication, and trusts the geometry fields (which size its allocations) only
 * after. The byte layout is in docs/bridge-protocol.md.
 */
#ifndef SEKISHO_BRIDGE_FRAME_H
#define SEKISHO_BRIDGE_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto.h"

#define FRAME_MAGIC         0x534b4252u	/* "SKBR" */
#define FRAME_VERSION       1
#define FRAME_HDR_LEN       64
#define FRAME_TAG_LEN       CRYPTO_AEAD_TAG_LEN
#define FRAME_OVERHEAD      (FRAME_HDR_LEN + FRAME_TAG_LEN)
#define FRAME_ID_LEN        16		/* object id */

/* Datagram sizes: a UDP payload on a 1500-byte Ethernet MTU over IPv4 is 1472 bytes
 * (20 IP + 8 UDP), over IPv6 1452. The largest accepted is the largest UDP payload. */
#define FRAME_DEFAULT_DATAGRAM 1472
#define FRAME_MIN_DATAGRAM  (FRAME_OVERHEAD + FRAME_MIN_SYMBOL)
#define FRAME_MAX_DATAGRAM  65507
#define FRAME_MIN_SYMBOL    64		/* below this the header dwarfs the payload */
#define FRAME_MAX_SYMBOL    (FRAME_MAX_DATAGRAM - FRAME_OVERHEAD)
#define FRAME_MAX_SYMBOLS   256		/* k + m: Reed-Solomon over GF(2^8) */
#define FRAME_DEFAULT_MAX_OBJECT (256ull << 20)
#define FRAME_MAX_OBJECT    (1ull << 40)	/* hard ceiling for any configuration */

/* Manifest payload: name length (1), name, SHA-256 of the whole object. */
#define FRAME_NAME_MAX      128
#define FRAME_MANIFEST_MAX  (1 + FRAME_NAME_MAX + CRYPTO_SHA256_LEN)

#define FRAME_REPLAY_WINDOW 1024	/* counters remembered behind the highest seen */

enum frame_type { FRAME_DATA = 1, FRAME_MANIFEST = 2 };

/* Results. A rejected datagram's code indexes frame_rx.rejected[-rc], so each reason
 * is counted separately; the first failing check decides the reason. */
enum {
	FRAME_OK = 0,
	FRAME_ESHORT = -1,	/* shorter than header + tag */
	FRAME_ELONG = -2,	/* longer than the configured datagram size */
	FRAME_EMAGIC = -3,	/* not our protocol */
	FRAME_EVERSION = -4,	/* another protocol version */
	FRAME_ETYPE = -5,	/* unknown type, or a reserved field not zero */
	FRAME_ELINK = -6,	/* another link's id */
	FRAME_EREPLAY = -7,	/* this epoch/counter was already accepted */
	FRAME_ESTALE = -8,	/* older epoch, or counter behind the replay window */
	FRAME_ETAG = -9,	/* authentication failed: forged or corrupted */
	FRAME_EGEOMETRY = -10,	/* authentic, but geometry outside configured limits */
	FRAME_EMANIFEST = -11,	/* authentic, but the manifest payload is malformed */
	FRAME_NREASONS = 12,	/* size of the rejection counter array */
	/* Local failures, never caused by a datagram: */
	FRAME_EARG = -100,	/* bad argument or configuration (buffer too small, ...) */
	FRAME_ECRYPTO = -101,	/* OpenSSL failed */
	FRAME_EIO = -102,	/* epoch state file unreadable or unwritable (errno kept) */
	FRAME_ESTATE = -103,	/* epoch state file corrupt, or the epoch is exhausted */
	FRAME_EEXHAUSTED = -104,/* datagram counter of this epoch used up */
};

const char *frame_strerror(int rc);

/* The header, decoded. Integers are host order here, big-endian on the wire. */
struct frame_hdr {
	uint8_t  type;			/* enum frame_type */
	uint16_t link_id;
	uint32_t epoch;			/* sender boot id */
	uint64_t counter;		/* datagram number within the epoch */
	uint8_t  object_id[FRAME_ID_LEN];
	uint64_t object_size;		/* true length in bytes (may be 0) */
	uint16_t k;			/* data symbols per full block */
	uint16_t m;			/* parity symbols per block */
	uint16_t symbol_size;		/* bytes per symbol */
	uint32_t block_count;		/* ceil(object_size / (k * symbol_size)) */
	uint32_t block;			/* DATA: block number; MANIFEST: 0 */
	uint16_t index;			/* DATA: 0..kb-1 data, kb..kb+m-1 parity; MANIFEST: 0 */
};

/* Encode/decode the 64 header bytes (no checks beyond the fixed layout). */
void frame_hdr_encode(const struct frame_hdr *h, uint8_t out[FRAME_HDR_LEN]);
void frame_hdr_decode(const uint8_t in[FRAME_HDR_LEN], struct frame_hdr *h);

/* Symbol size for a datagram size (a UDP payload): datagram - header - tag. */
size_t frame_symbol_size(size_t datagram);

/* Blocks for an object: ceil(size / (k * symbol_size)); 0 for an empty object. */
uint64_t frame_block_count(uint64_t size, unsigned k, unsigned symbol_size);
/* Data symbols in block b: k, except the last block, which is shortened to the
 * symbols its bytes need (it is never padded out to k symbols). */
unsigned frame_block_k(const struct frame_hdr *h, uint32_t b);

/* The sender's side of one link: the keyed AEAD context, link id, epoch and the next
 * counter. The key itself is not kept: only the context's key schedule. A frame_tx is
 * for one thread (its AEAD context is). */
struct frame_tx {
	struct crypto_aead *aead;	/* owned; made by frame_tx_init */
	uint16_t link_id;
	uint32_t epoch;
	uint64_t counter;
};

/* Set up tx with a key and an epoch from frame_epoch_next; counter starts at 0.
 * FRAME_OK, or FRAME_ECRYPTO (nothing to free). Release with frame_tx_free. */
int frame_tx_init(struct frame_tx *tx, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		  uint16_t link_id, uint32_t epoch);
/* Free the AEAD context (cleansing its key schedule) and wipe tx; safe on a zeroed
 * or already freed tx. */
void frame_tx_free(struct frame_tx *tx);

/* Seal one datagram: fills h->link_id, epoch and counter from tx (and advances the
 * counter), writes header, ciphertext and tag to out. Needs cap >= FRAME_OVERHEAD +
 * len; *outlen gets the datagram length. FRAME_OK, FRAME_EARG, FRAME_ECRYPTO or
 * FRAME_EEXHAUSTED. */
int frame_seal(struct frame_tx *tx, struct frame_hdr *h, const void *payload,
	       size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* Read the epoch in state_path (a missing file counts as 0), add one, and write it
 * back atomically and durably (temporary file, fsync, rename, fsync directory)
 * before returning it in *epoch. A corrupt file is an error, never a reset: a reset
 * would reuse nonces. FRAME_OK, FRAME_EIO (errno kept) or FRAME_ESTATE. */
int frame_epoch_next(const char *state_path, uint32_t *epoch);

/* Limits the receiver applies; all are checked, the geometry ones after
 * authentication. */
struct frame_limits {
	size_t   max_datagram;		/* configured UDP payload, <= FRAME_MAX_DATAGRAM */
	uint64_t max_object_size;	/* <= FRAME_MAX_OBJECT */
	unsigned max_symbols;		/* max k + m, <= FRAME_MAX_SYMBOLS */
};

/* Sliding replay window for the current epoch (as IPsec's, RFC 4303 3.4.3). */
struct frame_replay {
	int      started;
	uint32_t epoch;
	uint64_t top;			/* highest counter accepted in epoch */
	uint64_t bits[FRAME_REPLAY_WINDOW / 64];	/* bit i: counter top - i seen */
};

/* Link keys retired by a rotation that the receiver still accepts during their
 * overlap (lib/keyring.h): a datagram failing under the current key is tried under
 * each, so this bounds the decryptions a forged datagram can cost. */
#define FRAME_RX_RETIRED_KEYS 3

/* The receiver's side of one link; like frame_tx, for one thread at a time. */
struct frame_rx {
	struct crypto_aead *aead;	/* owned; made by frame_rx_init */
	struct crypto_aead *retired[FRAME_RX_RETIRED_KEYS];	/* owned */
	time_t retired_until[FRAME_RX_RETIRED_KEYS];	/* each one's overlap end */
	size_t nretired;
	uint64_t accepted_retired;	/* datagrams opened under a retired key */
	uint16_t link_id;
	struct frame_limits lim;
	struct frame_replay replay;
	uint64_t accepted;
	uint64_t rejected[FRAME_NREASONS];	/* by -rc; [0] unused */
};

/* Also accept datagrams sealed under key, a retired link key, until not_after (the
 * clock is read per datagram, so a long-running receiver stops on time). FRAME_OK,
 * FRAME_EARG when FRAME_RX_RETIRED_KEYS are already held, FRAME_ECRYPTO. */
int frame_rx_add_retired_key(struct frame_rx *rx, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
			     time_t not_after);

/* Defaults: 1472-byte datagrams, FRAME_DEFAULT_MAX_OBJECT, 256 symbols. */
void frame_limits_default(struct frame_limits *lim);

/* Set up rx; FRAME_EARG if a limit is out of its hard range, FRAME_ECRYPTO if the
 * AEAD context cannot be made (in both cases nothing is held). Release with
 * frame_rx_free. */
int frame_rx_init(struct frame_rx *rx, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
		  uint16_t link_id, const struct frame_limits *lim);
/* Free the AEAD context and wipe rx; safe on a zeroed or already freed rx. */
void frame_rx_free(struct frame_rx *rx);

/* Open one received datagram: length and constant fields, replay window, AEAD
 * verification and decryption into payload (cap >= len - FRAME_OVERHEAD), then the
 * geometry and manifest checks. On FRAME_OK fills *h and *plen and marks the
 * counter seen; otherwise returns the reason (counted in rx->rejected) and the
 * payload buffer holds nothing usable. Nothing is allocated. */
int frame_open(struct frame_rx *rx, const uint8_t *dgram, size_t len,
	       struct frame_hdr *h, uint8_t *payload, size_t cap, size_t *plen);

/* Check an authenticated header's geometry against lim (used by frame_open, and by
 * the sender to refuse a configuration the receiver would refuse). payload_len is
 * the decrypted payload length. FRAME_OK or FRAME_EGEOMETRY. */
int frame_check_geometry(const struct frame_hdr *h, size_t payload_len,
			 const struct frame_limits *lim);

/* Object names: [A-Za-z0-9._-]{1,FRAME_NAME_MAX}, not starting with '.'. 1 or 0. */
int frame_valid_name(const char *name, size_t len);

/* Manifest payload. encode: out needs FRAME_MANIFEST_MAX bytes; returns the length,
 * or FRAME_EARG for a bad name. decode: FRAME_OK or FRAME_EMANIFEST; name gets a
 * NUL-terminated copy. */
int frame_manifest_encode(const char *name, const uint8_t sha256[CRYPTO_SHA256_LEN],
			  uint8_t *out);
int frame_manifest_decode(const uint8_t *p, size_t len, char name[FRAME_NAME_MAX + 1],
			  uint8_t sha256[CRYPTO_SHA256_LEN]);

#endif
