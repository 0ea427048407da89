/*
 * frame.c — one datagram of the one-way link: encode, seal, open.
 *
 * The receiver's invariant: no field of a datagram sizes anything until the datagram
 * has been authenticated. frame_open looks at the length and the constant fields
 * (magic, version, type, reserved, link id) and the replay window, then decrypts
 * into the caller's fixed buffer, and only then reads the geometry; it allocates
 * nothing. The sender's invariant: a (key, epoch, counter) triple is used once,
 * because the epoch is on disk before the first datagram of a run is sealed.
 */
#define _DEFAULT_SOURCE	/* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "fsio.h"

const char *
frame_strerror(int rc)
{
	switch (rc) {
	case FRAME_OK:		return "ok";
	case FRAME_ESHORT:	return "datagram too short";
	case FRAME_ELONG:	return "datagram longer than the link's datagram size";
	case FRAME_EMAGIC:	return "bad magic";
	case FRAME_EVERSION:	return "unsupported protocol version";
	case FRAME_ETYPE:	return "unknown type or reserved field set";
	case FRAME_ELINK:	return "wrong link id";
	case FRAME_EREPLAY:	return "replayed datagram";
	case FRAME_ESTALE:	return "stale epoch or counter behind the replay window";
	case FRAME_ETAG:	return "authentication failed";
	case FRAME_EGEOMETRY:	return "geometry outside limits";
	case FRAME_EMANIFEST:	return "malformed manifest";
	case FRAME_EARG:	return "invalid argument";
	case FRAME_ECRYPTO:	return "cryptographic library failure";
	case FRAME_EIO:		return "epoch state file I/O error";
	case FRAME_ESTATE:	return "epoch state file corrupt or exhausted";
	case FRAME_EEXHAUSTED:	return "datagram counter exhausted";
	default:		return "unknown error";
	}
}

/* --- big-endian fields ---------------------------------------------------- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Offsets of the header fields; docs/bridge-protocol.md has the same table. */
enum {
	OFF_MAGIC = 0, OFF_VERSION = 4, OFF_TYPE = 5, OFF_LINK = 6, OFF_EPOCH = 8,
	OFF_COUNTER = 12, OFF_OBJID = 20, OFF_SIZE = 36, OFF_K = 44, OFF_M = 46,
	OFF_SYMSIZE = 48, OFF_RSVD1 = 50, OFF_NBLOCKS = 52, OFF_BLOCK = 56,
	OFF_INDEX = 60, OFF_RSVD2 = 62,
};
_Static_assert(OFF_RSVD2 + 2 == FRAME_HDR_LEN, "header layout");
_Static_assert(FRAME_DEFAULT_DATAGRAM - FRAME_OVERHEAD == 1392, "default symbol");

void
frame_hdr_encode(const struct frame_hdr *h, uint8_t out[FRAME_HDR_LEN])
{
	put32(out + OFF_MAGIC, FRAME_MAGIC);
	out[OFF_VERSION] = FRAME_VERSION;
	out[OFF_TYPE] = h->type;
	put16(out + OFF_LINK, h->link_id);
	put32(out + OFF_EPOCH, h->epoch);
	put64(out + OFF_COUNTER, h->counter);
	memcpy(out + OFF_OBJID, h->object_id, FRAME_ID_LEN);
	put64(out + OFF_SIZE, h->object_size);
	put16(out + OFF_K, h->k);
	put16(out + OFF_M, h->m);
	put16(out + OFF_SYMSIZE, h->symbol_size);
	put16(out + OFF_RSVD1, 0);
	put32(out + OFF_NBLOCKS, h->block_count);
	put32(out + OFF_BLOCK, h->block);
	put16(out + OFF_INDEX, h->index);
	put16(out + OFF_RSVD2, 0);
}

void
frame_hdr_decode(const uint8_t in[FRAME_HDR_LEN], struct frame_hdr *h)
{
	h->type = in[OFF_TYPE];
	h->link_id = get16(in + OFF_LINK);
	h->epoch = get32(in + OFF_EPOCH);
	h->counter = get64(in + OFF_COUNTER);
	memcpy(h->object_id, in + OFF_OBJID, FRAME_ID_LEN);
	h->object_size = get64(in + OFF_SIZE);
	h->k = get16(in + OFF_K);
	h->m = get16(in + OFF_M);
	h->symbol_size = get16(in + OFF_SYMSIZE);
	h->block_count = get32(in + OFF_NBLOCKS);
	h->block = get32(in + OFF_BLOCK);
	h->index = get16(in + OFF_INDEX);
}

/* --- geometry ------------------------------------------------------------- */

size_t
frame_symbol_size(size_t datagram)
{
	if (datagram > FRAME_MAX_DATAGRAM)
		datagram = FRAME_MAX_DATAGRAM;
	return datagram > FRAME_OVERHEAD ? datagram - FRAME_OVERHEAD : 0;
}

uint64_t
frame_block_count(uint64_t size, unsigned k, unsigned symbol_size)
{
	uint64_t per = (uint64_t)k * symbol_size;

	if (per == 0)
		return 0;
	return size / per + (size % per != 0);
}

unsigned
frame_block_k(const struct frame_hdr *h, uint32_t b)
{
	uint64_t per = (uint64_t)h->k * h->symbol_size, rem;

	if (h->block_count == 0 || b >= h->block_count || h->symbol_size == 0)
		return 0;
	if (b + 1 < h->block_count)
		return h->k;
	rem = h->object_size - (uint64_t)b * per;
	return (unsigned)(rem / h->symbol_size + (rem % h->symbol_size != 0));
}

void
frame_limits_default(struct frame_limits *lim)
{
	lim->max_datagram = FRAME_DEFAULT_DATAGRAM;
	lim->max_object_size = FRAME_DEFAULT_MAX_OBJECT;
	lim->max_symbols = FRAME_MAX_SYMBOLS;
}

static int
limits_valid(const struct frame_limits *lim)
{
	return lim->max_datagram >= FRAME_MIN_DATAGRAM &&
	    lim->max_datagram <= FRAME_MAX_DATAGRAM &&
	    lim->max_object_size <= FRAME_MAX_OBJECT &&
	    lim->max_symbols >= 1 && lim->max_symbols <= FRAME_MAX_SYMBOLS;
}

int
frame_check_geometry(const struct frame_hdr *h, size_t payload_len,
		     const struct frame_limits *lim)
{
	uint64_t nblocks;

	if (h->k == 0 || (unsigned)h->k + h->m > lim->max_symbols)
		return FRAME_EGEOMETRY;
	if (h->symbol_size < FRAME_MIN_SYMBOL ||
	    h->symbol_size > lim->max_datagram - FRAME_OVERHEAD)
		return FRAME_EGEOMETRY;
	if (h->object_size > lim->max_object_size)
		return FRAME_EGEOMETRY;
	nblocks = frame_block_count(h->object_size, h->k, h->symbol_size);
	if (nblocks != h->block_count)
		return FRAME_EGEOMETRY;
	switch (h->type) {
	case FRAME_DATA:
		if (payload_len != h->symbol_size || h->block >= h->block_count)
			return FRAME_EGEOMETRY;
		if (h->index >= frame_block_k(h, h->block) + h->m)
			return FRAME_EGEOMETRY;
		return FRAME_OK;
	case FRAME_MANIFEST:
		if (h->block != 0 || h->index != 0 || payload_len > FRAME_MANIFEST_MAX)
			return FRAME_EGEOMETRY;
		return FRAME_OK;
	default:
		return FRAME_EGEOMETRY;
	}
}

/* --- manifest ------------------------------------------------------------- */

int
frame_valid_name(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > FRAME_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
frame_manifest_encode(const char *name, const uint8_t sha256[CRYPTO_SHA256_LEN],
		      uint8_t *out)
{
	size_t len = name != NULL ? strnlen(name, FRAME_NAME_MAX + 1) : 0;

	if (!frame_valid_name(name, len))
		return FRAME_EARG;
	out[0] = (uint8_t)len;
	memcpy(out + 1, name, len);
	memcpy(out + 1 + len, sha256, CRYPTO_SHA256_LEN);
	return (int)(1 + len + CRYPTO_SHA256_LEN);
}

int
frame_manifest_decode(const uint8_t *p, size_t len, char name[FRAME_NAME_MAX + 1],
		      uint8_t sha256[CRYPTO_SHA256_LEN])
{
	size_t nlen;

	if (len < 1)
		return FRAME_EMANIFEST;
	nlen = p[0];
	if (len != 1 + nlen + CRYPTO_SHA256_LEN ||
	    !frame_valid_name((const char *)p + 1, nlen))
		return FRAME_EMANIFEST;
	memcpy(name, p + 1, nlen);
	name[nlen] = '\0';
	memcpy(sha256, p + 1 + nlen, CRYPTO_SHA256_LEN);
	return FRAME_OK;
}

/* --- sender --------------------------------------------------------------- */

int
frame_tx_init(struct frame_tx *tx, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
	      uint16_t link_id, uint32_t epoch)
{
	memset(tx, 0, sizeof(*tx));
	if ((tx->aead = crypto_aead_new(key)) == NULL)
		return FRAME_ECRYPTO;
	tx->link_id = link_id;
	tx->epoch = epoch;
	tx->counter = 0;
	return FRAME_OK;
}

void
frame_tx_free(struct frame_tx *tx)
{
	if (tx == NULL)
		return;
	crypto_aead_free(tx->aead);
	explicit_bzero(tx, sizeof(*tx));
}

static void
make_nonce(uint32_t epoch, uint64_t counter, uint8_t nonce[CRYPTO_AEAD_NONCE_LEN])
{
	put32(nonce, epoch);
	put64(nonce + 4, counter);
}

int
frame_seal(struct frame_tx *tx, struct frame_hdr *h, const void *payload,
	   size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];

	if (len > FRAME_MAX_DATAGRAM - FRAME_OVERHEAD || cap < FRAME_OVERHEAD + len)
		return FRAME_EARG;
	if (tx->counter == UINT64_MAX)
		return FRAME_EEXHAUSTED;	/* the next epoch must be taken */
	h->link_id = tx->link_id;
	h->epoch = tx->epoch;
	h->counter = tx->counter++;	/* consumed even if sealing fails */
	frame_hdr_encode(h, out);
	make_nonce(h->epoch, h->counter, nonce);
	if (crypto_aead_seal_with(tx->aead, nonce, out, FRAME_HDR_LEN, payload, len,
	    out + FRAME_HDR_LEN, out + FRAME_HDR_LEN + len) != CRYPTO_OK)
		return FRAME_ECRYPTO;
	*outlen = FRAME_OVERHEAD + len;
	return FRAME_OK;
}

/* The state file holds the last epoch used, in decimal, and a newline. */
#define EPOCH_FILE_MAX 16

int
frame_epoch_next(const char *state_path, uint32_t *epoch)
{
	char buf[EPOCH_FILE_MAX + 1];
	uint64_t cur = 0;
	ssize_t n;
	size_t i, len = 0;
	int fd, rc;

	if ((fd = open(state_path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			return FRAME_EIO;
	} else {
		while (len < sizeof(buf)) {
			n = read(fd, buf + len, sizeof(buf) - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				int e = errno;

				close(fd);
				errno = e;
				return FRAME_EIO;
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
		close(fd);
		/* Exactly 1..10 digits and a newline; anything else is corruption. */
		if (len < 2 || len > 11 || buf[len - 1] != '\n')
			return FRAME_ESTATE;
		for (i = 0; i + 1 < len; i++) {
			if (buf[i] < '0' || buf[i] > '9')
				return FRAME_ESTATE;
			cur = cur * 10 + (uint64_t)(buf[i] - '0');
		}
		if (cur >= UINT32_MAX)
			return FRAME_ESTATE;	/* exhausted: provision a new link key */
	}
	cur++;
	rc = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)cur);
	if (fsio_write_atomic(state_path, buf, (size_t)rc, 0600) != 0)
		return FRAME_EIO;
	*epoch = (uint32_t)cur;
	return FRAME_OK;
}

/* --- receiver ------------------------------------------------------------- */

int
frame_rx_init(struct frame_rx *rx, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
	      uint16_t link_id, const struct frame_limits *lim)
{
	memset(rx, 0, sizeof(*rx));
	if (lim != NULL)
		rx->lim = *lim;
	else
		frame_limits_default(&rx->lim);
	if (!limits_valid(&rx->lim))
		return FRAME_EARG;
	if ((rx->aead = crypto_aead_new(key)) == NULL)
		return FRAME_ECRYPTO;
	rx->link_id = link_id;
	return FRAME_OK;
}

int
frame_rx_add_retired_key(struct frame_rx *rx, const uint8_t key[CRYPTO_AEAD_KEY_LEN],
			 time_t not_after)
{
	if (rx->nretired == FRAME_RX_RETIRED_KEYS)
		return FRAME_EARG;
	if ((rx->retired[rx->nretired] = crypto_aead_new(key)) == NULL)
		return FRAME_ECRYPTO;
	rx->retired_until[rx->nretired++] = not_after;
	return FRAME_OK;
}

void
frame_rx_free(struct frame_rx *rx)
{
	if (rx == NULL)
		return;
	crypto_aead_free(rx->aead);
	for (size_t i = 0; i < rx->nretired; i++)
		crypto_aead_free(rx->retired[i]);
	explicit_bzero(rx, sizeof(*rx));
}

#define REPLAY_WORDS (FRAME_REPLAY_WINDOW / 64)

/* Would (epoch, counter) be fresh? Changes nothing: only authenticated datagrams
 * may move the window, or a forger could push it past the real sender. */
static int
replay_check(const struct frame_replay *r, uint32_t epoch, uint64_t counter)
{
	uint64_t diff;

	if (!r->started || epoch > r->epoch)
		return FRAME_OK;
	if (epoch < r->epoch)
		return FRAME_ESTALE;
	if (counter > r->top)
		return FRAME_OK;
	diff = r->top - counter;
	if (diff >= FRAME_REPLAY_WINDOW)
		return FRAME_ESTALE;
	if (r->bits[diff / 64] & (1ull << (diff % 64)))
		return FRAME_EREPLAY;
	return FRAME_OK;
}

static void
replay_commit(struct frame_replay *r, uint32_t epoch, uint64_t counter)
{
	uint64_t shift, diff;
	int i;

	if (!r->started || epoch > r->epoch) {
		/* A new sender run: its counters start again at 0. */
		r->started = 1;
		r->epoch = epoch;
		r->top = counter;
		memset(r->bits, 0, sizeof(r->bits));
		r->bits[0] = 1;
		return;
	}
	if (counter > r->top) {
		shift = counter - r->top;
		if (shift >= FRAME_REPLAY_WINDOW) {
			memset(r->bits, 0, sizeof(r->bits));
		} else {
			unsigned ws = (unsigned)(shift / 64), bs = (unsigned)(shift % 64);

			for (i = REPLAY_WORDS - 1; i >= 0; i--) {
				uint64_t v = 0;
				int src = i - (int)ws;

				if (src >= 0) {
					v = r->bits[src] << bs;
					if (bs != 0 && src >= 1)
						v |= r->bits[src - 1] >> (64 - bs);
				}
				r->bits[i] = v;
			}
		}
		r->top = counter;
		r->bits[0] |= 1;
		return;
	}
	diff = r->top - counter;
	r->bits[diff / 64] |= 1ull << (diff % 64);
}

static int
reject(struct frame_rx *rx, int rc)
{
	if (rc < 0 && -rc < FRAME_NREASONS)
		rx->rejected[-rc]++;
	return rc;
}

int
frame_open(struct frame_rx *rx, const uint8_t *dgram, size_t len,
	   struct frame_hdr *h, uint8_t *payload, size_t cap, size_t *plen)
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];
	size_t ctlen;
	int rc;

	/* 1. Length and constant fields: cheap, and nothing here is trusted. */
	if (len < FRAME_OVERHEAD)
		return reject(rx, FRAME_ESHORT);
	if (len > rx->lim.max_datagram)
		return reject(rx, FRAME_ELONG);
	if (get32(dgram + OFF_MAGIC) != FRAME_MAGIC)
		return reject(rx, FRAME_EMAGIC);
	if (dgram[OFF_VERSION] != FRAME_VERSION)
		return reject(rx, FRAME_EVERSION);
	if ((dgram[OFF_TYPE] != FRAME_DATA && dgram[OFF_TYPE] != FRAME_MANIFEST) ||
	    get16(dgram + OFF_RSVD1) != 0 || get16(dgram + OFF_RSVD2) != 0)
		return reject(rx, FRAME_ETYPE);
	if (get16(dgram + OFF_LINK) != rx->link_id)
		return reject(rx, FRAME_ELINK);
	ctlen = len - FRAME_OVERHEAD;
	if (cap < ctlen)
		return FRAME_EARG;	/* the caller's buffer, not the datagram */
	frame_hdr_decode(dgram, h);

	/* 2. Replay window, before spending a decryption on a known datagram. */
	if ((rc = replay_check(&rx->replay, h->epoch, h->counter)) != FRAME_OK)
		return reject(rx, rc);

	/* 3. Authenticate the header and decrypt the payload. */
	make_nonce(h->epoch, h->counter, nonce);
	rc = crypto_aead_open_with(rx->aead, nonce, dgram, FRAME_HDR_LEN,
	    dgram + FRAME_HDR_LEN, ctlen, dgram + FRAME_HDR_LEN + ctlen, payload);
	/* During a rotation's overlap the sender may still seal under the old key. The
	 * nonce is fresh under every key because the epoch outlives the key (tx). */
	for (size_t i = 0; rc == CRYPTO_EBADTAG && i < rx->nretired; i++) {
		if (time(NULL) > rx->retired_until[i])
			continue;
		rc = crypto_aead_open_with(rx->retired[i], nonce, dgram, FRAME_HDR_LEN,
		    dgram + FRAME_HDR_LEN, ctlen, dgram + FRAME_HDR_LEN + ctlen, payload);
		if (rc == CRYPTO_OK)
			rx->accepted_retired++;
	}
	if (rc == CRYPTO_EBADTAG)
		return reject(rx, FRAME_ETAG);
	if (rc != CRYPTO_OK)
		return FRAME_ECRYPTO;
	/* Authentic: this counter is used, whatever the geometry says. */
	replay_commit(&rx->replay, h->epoch, h->counter);

	/* 4. Only now may the geometry be read, and it must fit our limits. */
	if ((rc = frame_check_geometry(h, ctlen, &rx->lim)) != FRAME_OK)
		return reject(rx, rc);
	if (h->type == FRAME_MANIFEST) {
		char name[FRAME_NAME_MAX + 1];
		uint8_t digest[CRYPTO_SHA256_LEN];

		if ((rc = frame_manifest_decode(payload, ctlen, name, digest)) != FRAME_OK)
			return reject(rx, rc);
	}
	rx->accepted++;
	*plen = ctlen;
	return FRAME_OK;
}
