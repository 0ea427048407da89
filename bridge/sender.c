/*
 * sender.c — one object (a file) as the ordered datagrams of a one-way link.
 *
 * Invariant: every datagram comes from frame_seal with the link's frame_tx, so each
 * one has a fresh counter; the sender itself never chooses a nonce. Memory is one
 * interleaving window of blocks, whatever the object's size: the window is filled
 * from the file with pread, its parity computed, its symbols sent, and the buffer
 * reused for the next window (and re-read on the next pass).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fec.h"
#include "fsio.h"
#include "sender.h"

enum state { ST_START, ST_SYMBOLS, ST_END, ST_DONE };

struct sender {
	struct sender_config cfg;
	struct frame_tx *tx;
	int       fd;
	uint8_t   id[FRAME_ID_LEN];
	uint8_t   sha256[CRYPTO_SHA256_LEN];
	uint8_t   manifest[FRAME_MANIFEST_MAX];
	size_t    manifest_len;
	struct frame_hdr geo;
	struct fec *fec;
	uint8_t  *win;			/* interleave x (k + m) x symbol */
	size_t    slot_len;		/* (k + m) x symbol */
	enum state st;
	unsigned  pass;
	uint32_t  wstart, wcount;	/* blocks in the loaded window */
	int       loaded;
	unsigned  idx, slot;		/* next symbol: index idx of block wstart+slot */
	unsigned  since_manifest;
	uint64_t  symbols_per_pass;
};

const char *
sender_strerror(int rc)
{
	switch (rc) {
	case SENDER_MORE:	return "more";
	case SENDER_DONE:	return "done";
	case SENDER_EARG:	return "invalid sender configuration or object name";
	case SENDER_EIO:	return "object file could not be read";
	case SENDER_ENOMEM:	return "out of memory";
	case SENDER_ESEAL:	return "datagram could not be sealed";
	default:		return "unknown error";
	}
}

void
sender_config_default(struct sender_config *cfg)
{
	cfg->k = FEC_DEFAULT_K;
	cfg->m = FEC_DEFAULT_M;
	cfg->datagram = FRAME_DEFAULT_DATAGRAM;
	cfg->passes = SENDER_DEFAULT_PASSES;
	cfg->manifest_every = SENDER_DEFAULT_MANIFEST;
	cfg->interleave = SENDER_DEFAULT_INTERLEAVE;
	cfg->max_object_size = FRAME_DEFAULT_MAX_OBJECT;
}

void
sender_object_id(const char *name, const uint8_t sha256[CRYPTO_SHA256_LEN],
		 uint8_t id[FRAME_ID_LEN])
{
	static const char label[] = "sekisho-bridge-object";	/* NUL included */
	struct crypto_sha256_ctx *c;
	uint8_t digest[CRYPTO_SHA256_LEN];

	if ((c = crypto_sha256_begin()) == NULL ||
	    crypto_sha256_update(c, label, sizeof(label)) != CRYPTO_OK ||
	    crypto_sha256_update(c, name, strlen(name) + 1) != CRYPTO_OK ||
	    crypto_sha256_update(c, sha256, CRYPTO_SHA256_LEN) != CRYPTO_OK ||
	    crypto_sha256_end(c, digest) != CRYPTO_OK) {
		/* Only on allocation failure; fall back to a one-shot hash of the parts. */
		uint8_t buf[sizeof(label) + FRAME_NAME_MAX + 1 + CRYPTO_SHA256_LEN];
		size_t nlen = strnlen(name, FRAME_NAME_MAX);

		memcpy(buf, label, sizeof(label));
		memcpy(buf + sizeof(label), name, nlen);
		buf[sizeof(label) + nlen] = '\0';
		memcpy(buf + sizeof(label) + nlen + 1, sha256, CRYPTO_SHA256_LEN);
		crypto_sha256(buf, sizeof(label) + nlen + 1 + CRYPTO_SHA256_LEN, digest);
	}
	memcpy(id, digest, FRAME_ID_LEN);
}

/* A short read means the file shrank while being sent: SENDER_EIO, errno kept. */
static int
pread_all(int fd, uint8_t *p, size_t len, off_t off)
{
	return fsio_pread_all(fd, p, len, off) == 0 ? SENDER_MORE : SENDER_EIO;
}

void
sender_close(struct sender *s)
{
	if (s == NULL)
		return;
	fec_free(s->fec);
	free(s->win);
	free(s);
}

int
sender_open(struct sender **out, const struct sender_config *cfg, struct frame_tx *tx,
	    int fd, const char *name, const uint8_t *id, const uint8_t *sha256)
{
	struct frame_limits lim;
	struct sender *s;
	struct stat st;
	size_t sym = frame_symbol_size(cfg->datagram);
	uint64_t nblocks, b;
	int rc;

	*out = NULL;
	if (cfg->passes < 1 || cfg->interleave < 1 || cfg->manifest_every < 1 ||
	    cfg->datagram < FRAME_MIN_DATAGRAM || cfg->datagram > FRAME_MAX_DATAGRAM ||
	    cfg->k < 1 || cfg->k + cfg->m > FRAME_MAX_SYMBOLS ||
	    cfg->max_object_size > FRAME_MAX_OBJECT)
		return SENDER_EARG;
	if (fstat(fd, &st) != 0)
		return SENDER_EIO;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > cfg->max_object_size)
		return SENDER_EARG;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SENDER_ENOMEM;
	s->cfg = *cfg;
	s->tx = tx;
	s->fd = fd;
	if (sha256 != NULL)
		memcpy(s->sha256, sha256, CRYPTO_SHA256_LEN);
	else if (lseek(fd, 0, SEEK_SET) != 0 || crypto_sha256_fd(fd, s->sha256) != CRYPTO_OK) {
		sender_close(s);
		return SENDER_EIO;
	}
	if ((rc = frame_manifest_encode(name, s->sha256, s->manifest)) < 0) {
		sender_close(s);
		return SENDER_EARG;
	}
	s->manifest_len = (size_t)rc;
	if (id != NULL)
		memcpy(s->id, id, FRAME_ID_LEN);
	else
		sender_object_id(name, s->sha256, s->id);

	nblocks = frame_block_count((uint64_t)st.st_size, cfg->k, (unsigned)sym);
	memcpy(s->geo.object_id, s->id, FRAME_ID_LEN);
	s->geo.object_size = (uint64_t)st.st_size;
	s->geo.k = (uint16_t)cfg->k;
	s->geo.m = (uint16_t)cfg->m;
	s->geo.symbol_size = (uint16_t)sym;
	s->geo.block_count = (uint32_t)nblocks;
	/* Refuse here what the receiver would refuse after decrypting. */
	lim.max_datagram = cfg->datagram;
	lim.max_object_size = cfg->max_object_size;
	lim.max_symbols = FRAME_MAX_SYMBOLS;
	s->geo.type = FRAME_MANIFEST;
	if (nblocks > UINT32_MAX ||
	    frame_check_geometry(&s->geo, s->manifest_len, &lim) != FRAME_OK) {
		sender_close(s);
		return SENDER_EARG;
	}
	for (b = 0; b < nblocks; b++)
		s->symbols_per_pass += frame_block_k(&s->geo, (uint32_t)b) + cfg->m;
	if (cfg->interleave > nblocks && nblocks > 0)
		s->cfg.interleave = (unsigned)nblocks;
	s->slot_len = (size_t)(cfg->k + cfg->m) * sym;
	if (nblocks > 0) {
		if (fec_new(&s->fec, cfg->k, cfg->m) != FEC_OK ||
		    (s->win = malloc(s->cfg.interleave * s->slot_len)) == NULL) {
			sender_close(s);
			return SENDER_ENOMEM;
		}
	}
	s->st = ST_START;
	*out = s;
	return SENDER_MORE;
}

const uint8_t *
sender_id(const struct sender *s)
{
	return s->id;
}

const uint8_t *
sender_sha256(const struct sender *s)
{
	return s->sha256;
}

uint64_t
sender_datagrams_per_pass(const struct sender *s)
{
	uint64_t n = s->symbols_per_pass;

	/* Symbols, the manifests between them, and the one that ends the pass. */
	return n + (n > 0 ? (n - 1) / s->cfg.manifest_every : 0) + 1;
}

/* Read and encode blocks wstart.. of the file into the window. */
static int
load_window(struct sender *s)
{
	size_t sym = s->geo.symbol_size;
	uint8_t *data[FRAME_MAX_SYMBOLS];
	unsigned j, i, kb;
	int rc;

	s->wcount = s->geo.block_count - s->wstart;
	if (s->wcount > s->cfg.interleave)
		s->wcount = s->cfg.interleave;
	for (j = 0; j < s->wcount; j++) {
		uint32_t b = s->wstart + j;
		uint8_t *buf = s->win + (size_t)j * s->slot_len;
		uint64_t off = (uint64_t)b * s->geo.k * sym;
		uint64_t rem = s->geo.object_size - off;
		size_t len;

		kb = frame_block_k(&s->geo, b);
		len = rem < (uint64_t)kb * sym ? (size_t)rem : (size_t)kb * sym;
		if ((rc = pread_all(s->fd, buf, len, (off_t)off)) != SENDER_MORE)
			return rc;
		memset(buf + len, 0, (size_t)kb * sym - len);	/* pad the last symbol */
		for (i = 0; i < kb + s->geo.m; i++)
			data[i] = buf + (size_t)i * sym;
		if (fec_encode(s->fec, kb, data, data + kb, sym) != FEC_OK)
			return SENDER_EARG;
	}
	s->loaded = 1;
	s->idx = 0;
	s->slot = 0;
	return SENDER_MORE;
}

/* Move to the next symbol to send, loading windows as needed: 1 if there is one,
 * 0 at the end of the pass, or an error. */
static int
next_position(struct sender *s)
{
	int rc;

	for (;;) {
		if (s->wstart >= s->geo.block_count)
			return 0;
		if (!s->loaded && (rc = load_window(s)) != SENDER_MORE)
			return rc;
		while (s->idx < (unsigned)s->geo.k + s->geo.m) {
			if (s->slot >= s->wcount) {
				s->slot = 0;
				s->idx++;
				continue;
			}
			if (s->idx < frame_block_k(&s->geo, s->wstart + s->slot) + s->geo.m)
				return 1;
			s->slot++;
		}
		s->wstart += s->wcount;
		s->loaded = 0;
	}
}

static int
emit(struct sender *s, struct frame_hdr *h, const uint8_t *payload, size_t plen,
     uint8_t *out, size_t cap, size_t *len)
{
	if (frame_seal(s->tx, h, payload, plen, out, cap, len) != FRAME_OK)
		return SENDER_ESEAL;
	return SENDER_MORE;
}

static int
emit_manifest(struct sender *s, uint8_t *out, size_t cap, size_t *len)
{
	struct frame_hdr h = s->geo;

	h.type = FRAME_MANIFEST;
	h.block = 0;
	h.index = 0;
	s->since_manifest = 0;
	return emit(s, &h, s->manifest, s->manifest_len, out, cap, len);
}

int
sender_next(struct sender *s, uint8_t *out, size_t cap, size_t *len)
{
	struct frame_hdr h;
	int rc;

	if (cap < s->cfg.datagram)
		return SENDER_EARG;
	switch (s->st) {
	case ST_START:
		s->st = ST_SYMBOLS;
		return emit_manifest(s, out, cap, len);
	case ST_SYMBOLS:
		if ((rc = next_position(s)) < 0)
			return rc;
		if (rc == 0) {
			s->st = ST_END;
			return sender_next(s, out, cap, len);
		}
		if (s->since_manifest >= s->cfg.manifest_every)
			return emit_manifest(s, out, cap, len);
		h = s->geo;
		h.type = FRAME_DATA;
		h.block = s->wstart + s->slot;
		h.index = (uint16_t)s->idx;
		rc = emit(s, &h, s->win + (size_t)s->slot * s->slot_len +
		    (size_t)s->idx * s->geo.symbol_size, s->geo.symbol_size, out, cap, len);
		s->slot++;
		s->since_manifest++;
		return rc;
	case ST_END:
		if (++s->pass < s->cfg.passes) {
			/* The next pass starts right after this manifest. */
			s->st = ST_SYMBOLS;
			s->wstart = 0;
			s->loaded = 0;
		} else {
			s->st = ST_DONE;
		}
		return emit_manifest(s, out, cap, len);
	case ST_DONE:
	default:
		return SENDER_DONE;
	}
}

/* --- rate ------------------------------------------------------------------- */

void
sender_rate_init(struct sender_rate *r, uint64_t bits_per_s, size_t burst, uint64_t now_ns)
{
	r->bytes_per_ns = (double)bits_per_s / 8.0 / 1e9;
	r->burst = burst > 0 ? (double)burst : 1.0;
	r->tokens = r->burst;	/* a full bucket: the first burst goes at once */
	r->last_ns = now_ns;
}

/*
 * Why milliseconds, not a few datagrams: the bucket forgets whatever it would hold
 * beyond its burst, so every time the sending thread wakes later than it asked (the
 * timer's slack, a busy core's run queue: hundreds of microseconds on two shared
 * cores), a small bucket loses that time's rate for good. With 64 datagrams (215 us
 * at 3500 Mbit/s) tx sent 85 % of its configured rate over veth, and the bridge
 * spent its time asleep; with 2 ms it sends 98 % (docs/bridge-protocol.md). Over any
 * interval the wire still carries at most rate x interval + burst.
 */
size_t
sender_rate_burst(uint64_t bits_per_s, size_t datagram, unsigned burst_ms)
{
	uint64_t floor = 64 * (uint64_t)datagram, b = bits_per_s / 8 * burst_ms / 1000;

	return (size_t)(b > floor ? b : floor);
}

uint64_t
sender_rate_wait(struct sender_rate *r, size_t bytes, uint64_t now_ns)
{
	double cap, need;

	if (r->bytes_per_ns <= 0)
		return 0;
	/* A datagram larger than the burst must still pass once the bucket is full. */
	cap = r->burst > (double)bytes ? r->burst : (double)bytes;
	if (now_ns > r->last_ns) {
		r->tokens += (double)(now_ns - r->last_ns) * r->bytes_per_ns;
		if (r->tokens > cap)
			r->tokens = cap;
	}
	if (now_ns > r->last_ns)
		r->last_ns = now_ns;	/* a clock that steps back never refills */
	if (r->tokens >= (double)bytes) {
		r->tokens -= (double)bytes;
		return 0;
	}
	need = ((double)bytes - r->tokens) / r->bytes_per_ns;
	return need < 1.0 ? 1 : (uint64_t)need + 1;
}
