/*
 * assembly.c — the receiver's reassembly of objects from authenticated datagrams.
 *
 * Invariants: (1) every byte held in memory is counted in stats.memory, and before
 * parity is buffered the budget is made room for by writing gathered data symbols to
 * their files and then by evicting the oldest other object in progress (a block's
 * data is gathered only where there is room already), so memory never exceeds the
 * budget by more than one object's block table; (2) a block is marked done only
 * after every data byte of it is in the temporary file; (3) an object is reported COMPLETE only once every block is done
 * and its manifest known; the COMPLETE event carries the manifest's SHA-256, which
 * the caller checks (assembly_verify_fd) before using the file, and an object the
 * caller rejects is forgotten so that its resend is taken. Frames come from
 * frame_open, so their geometry is already within the link's limits; here they are
 * also checked against the object's first frame, so one object can never change
 * shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assembly.h"
#include "crypto.h"
#include "fec.h"
#include "fsio.h"

struct blk {
	uint8_t   have[FRAME_MAX_SYMBOLS / 8];	/* bit i: symbol index i held */
	uint16_t  count;
	uint8_t   done;
	uint8_t   to_file;			/* no room for data: written per symbol */
	uint8_t  *data;				/* kb data symbols, gathered (store_data) */
	uint8_t **parity;			/* m buffers, allocated on first parity */
};

struct obj {
	struct obj *next;			/* oldest first */
	uint8_t     id[FRAME_ID_LEN];
	struct frame_hdr geo;			/* size, k, m, symbol size, blocks */
	int         have_manifest;
	char        name[FRAME_NAME_MAX + 1];
	uint8_t     sha256[CRYPTO_SHA256_LEN];
	int         fd;
	char        path[PATH_MAX];
	uint32_t    blocks_done;
	struct blk *blocks;
	size_t      mem;
};

struct ev_node {
	struct ev_node *next;
	struct assembly_event ev;
};

struct assembly {
	struct assembly_config cfg;
	char        dir[PATH_MAX];
	struct obj *head;
	unsigned    nobj;
	struct obj *last;			/* last object fed: most frames hit it */
	uint8_t   (*done_ids)[FRAME_ID_LEN];	/* ring of completed ids */
	unsigned    done_n, done_pos;
	struct ev_node *evhead, *evtail;
	struct fec *fec;
	unsigned    fec_k, fec_m;
	unsigned    buffered;			/* blocks with gathered data */
	uint8_t    *scratch;			/* one block of data symbols */
	size_t      scratch_len;
	uint8_t    *dptr[FRAME_MAX_SYMBOLS];
	uint8_t     dok[FRAME_MAX_SYMBOLS], pok[FRAME_MAX_SYMBOLS];
	struct assembly_stats st;
};

const char *
assembly_strerror(int rc)
{
	switch (rc) {
	case ASSEMBLY_STORED:	 return "stored";
	case ASSEMBLY_DUPLICATE: return "duplicate";
	case ASSEMBLY_REDUNDANT: return "block already decoded";
	case ASSEMBLY_KNOWN:	 return "object already completed";
	case ASSEMBLY_ECONFLICT: return "frame contradicts its object";
	case ASSEMBLY_ETOOBIG:	 return "object exceeds receiver limits";
	case ASSEMBLY_EIO:	 return "temporary file I/O error";
	case ASSEMBLY_ENOMEM:	 return "memory budget exhausted";
	case ASSEMBLY_EARG:	 return "invalid argument";
	case ASSEMBLY_EDIGEST:	 return "object does not match its manifest's SHA-256";
	default:		 return "unknown error";
	}
}

void
assembly_config_default(struct assembly_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_objects = ASSEMBLY_DEFAULT_OBJECTS;
	cfg->max_object_size = FRAME_DEFAULT_MAX_OBJECT;
	cfg->memory_budget = ASSEMBLY_DEFAULT_MEMORY;
	cfg->remember = ASSEMBLY_DEFAULT_REMEMBER;
}

int
assembly_new(struct assembly **out, const struct assembly_config *cfg)
{
	struct assembly *a;

	*out = NULL;
	if (cfg->dir == NULL || cfg->max_objects == 0 || cfg->remember == 0 ||
	    strlen(cfg->dir) + 2 * FRAME_ID_LEN + 8 >= PATH_MAX)
		return ASSEMBLY_EARG;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ASSEMBLY_ENOMEM;
	a->cfg = *cfg;
	snprintf(a->dir, sizeof(a->dir), "%s", cfg->dir);
	a->cfg.dir = a->dir;
	if ((a->done_ids = calloc(cfg->remember, FRAME_ID_LEN)) == NULL) {
		free(a);
		return ASSEMBLY_ENOMEM;
	}
	*out = a;
	return ASSEMBLY_STORED;
}

/* --- events --------------------------------------------------------------- */

static struct assembly_event *
event_push(struct assembly *a, enum assembly_event_kind kind, const struct obj *o)
{
	struct ev_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->ev.kind = kind;
	memcpy(n->ev.object_id, o->id, FRAME_ID_LEN);
	if (o->have_manifest) {
		memcpy(n->ev.name, o->name, sizeof(n->ev.name));
		memcpy(n->ev.sha256, o->sha256, CRYPTO_SHA256_LEN);
	}
	n->ev.size = o->geo.object_size;
	n->ev.blocks_missing = o->geo.block_count - o->blocks_done;
	if (a->evtail != NULL)
		a->evtail->next = n;
	else
		a->evhead = n;
	a->evtail = n;
	return &n->ev;
}

int
assembly_poll(struct assembly *a, struct assembly_event *ev)
{
	struct ev_node *n = a->evhead;

	if (n == NULL)
		return 0;
	a->evhead = n->next;
	if (a->evhead == NULL)
		a->evtail = NULL;
	*ev = n->ev;
	free(n);
	return 1;
}

/* --- file I/O ------------------------------------------------------------- */

/* The file is ours and sized at creation: a short write or read means the disk or
 * someone else failed us, reported as ASSEMBLY_EIO with errno kept. */
static int
pwrite_all(int fd, const uint8_t *p, size_t len, off_t off)
{
	return fsio_pwrite_all(fd, p, len, off) == 0 ? ASSEMBLY_STORED : ASSEMBLY_EIO;
}

static int
pread_all(int fd, uint8_t *p, size_t len, off_t off)
{
	return fsio_pread_all(fd, p, len, off) == 0 ? ASSEMBLY_STORED : ASSEMBLY_EIO;
}

/* Where data symbol i of block b starts, and how many of its bytes are real (the
 * last symbol of an object is zero-padded on the wire, not in the file). */
static off_t
sym_offset(const struct obj *o, uint32_t b, unsigned i, size_t *len)
{
	uint64_t off = ((uint64_t)b * o->geo.k + i) * o->geo.symbol_size;
	uint64_t rem = o->geo.object_size - off;

	*len = rem < o->geo.symbol_size ? (size_t)rem : o->geo.symbol_size;
	return (off_t)off;
}

/* --- blocks --------------------------------------------------------------- */

static int
bit_get(const struct blk *b, unsigned i)
{
	return (b->have[i / 8] >> (i % 8)) & 1;
}

static void
bit_set(struct blk *b, unsigned i)
{
	b->have[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* --- objects -------------------------------------------------------------- */

/* Free block bi's buffered data and parity symbols. */
static void
blk_free(struct assembly *a, struct obj *o, uint32_t bi)
{
	struct blk *b = &o->blocks[bi];
	unsigned p;
	size_t freed = 0;

	if (b->data != NULL) {
		free(b->data);
		b->data = NULL;
		a->buffered--;
		freed += (size_t)frame_block_k(&o->geo, bi) * o->geo.symbol_size;
	}
	if (b->parity == NULL)
		goto out;
	for (p = 0; p < o->geo.m; p++) {
		if (b->parity[p] != NULL) {
			free(b->parity[p]);
			freed += o->geo.symbol_size;
		}
	}
	free(b->parity);
	b->parity = NULL;
	freed += (size_t)o->geo.m * sizeof(uint8_t *);
out:
	o->mem -= freed;
	a->st.memory -= freed;
}

/* Unlink o from the list and free it; keep_file leaves the temporary file. */
static void
obj_destroy(struct assembly *a, struct obj *o, int keep_file)
{
	struct obj **pp;
	uint32_t b;

	for (pp = &a->head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	if (a->last == o)
		a->last = NULL;
	a->nobj--;
	for (b = 0; b < o->geo.block_count; b++)
		blk_free(a, o, b);
	if (o->fd >= 0)
		close(o->fd);
	if (!keep_file)
		unlink(o->path);
	a->st.memory -= o->mem;
	free(o->blocks);
	free(o);
}

static void
obj_evict(struct assembly *a, struct obj *o)
{
	a->st.objects_evicted++;
	a->st.blocks_unrecoverable += o->geo.block_count - o->blocks_done;
	event_push(a, ASSEMBLY_EVICTED, o);
	obj_destroy(a, o, 0);
}

static void
obj_fail(struct assembly *a, struct obj *o, int error)
{
	struct assembly_event *ev;

	a->st.objects_failed++;
	a->st.blocks_unrecoverable += o->geo.block_count - o->blocks_done;
	if ((ev = event_push(a, ASSEMBLY_FAILED, o)) != NULL)
		ev->error = error;
	obj_destroy(a, o, 0);
}

/*
 * Write every gathered data symbol of o to its file and free the buffers; its blocks
 * then write through. ASSEMBLY_EIO if a write failed (the buffers are freed anyway).
 */
static int
spill(struct assembly *a, struct obj *o)
{
	size_t len, sym = o->geo.symbol_size;
	int rc = ASSEMBLY_STORED;

	for (uint32_t bi = 0; bi < o->geo.block_count; bi++) {
		struct blk *b = &o->blocks[bi];
		unsigned kb = frame_block_k(&o->geo, bi);

		if (b->data == NULL)
			continue;
		for (unsigned i = 0; i < kb && rc == ASSEMBLY_STORED; i++) {
			off_t off = sym_offset(o, bi, i, &len);

			if (bit_get(b, i))
				rc = pwrite_all(o->fd, b->data + (size_t)i * sym, len, off);
		}
		blk_free(a, o, bi);
		b->to_file = 1;
	}
	return rc;
}

/*
 * Make room for need more bytes. Gathered data symbols go to their files first
 * (oldest object first), since that loses nothing; only then are the oldest objects
 * other than keep evicted. ASSEMBLY_ENOMEM if keep alone is over the budget;
 * ASSEMBLY_EIO if keep's own data could not be written (another object that cannot
 * be written fails on its own).
 */
static int
make_room(struct assembly *a, size_t need, const struct obj *keep)
{
	struct obj *o, *next;

	for (o = a->head; o != NULL && a->buffered > 0 &&
	     a->st.memory + need > a->cfg.memory_budget; o = next) {
		next = o->next;
		if (spill(a, o) == ASSEMBLY_STORED)
			continue;
		if (o == keep)
			return ASSEMBLY_EIO;
		obj_fail(a, o, ASSEMBLY_EIO);
	}
	while (a->st.memory + need > a->cfg.memory_budget) {
		for (o = a->head; o != NULL && o == keep; o = o->next)
			;
		if (o == NULL)
			return ASSEMBLY_ENOMEM;
		obj_evict(a, o);
	}
	return ASSEMBLY_STORED;
}

static struct obj *
obj_find(struct assembly *a, const uint8_t id[FRAME_ID_LEN])
{
	struct obj *o;

	if (a->last != NULL && memcmp(a->last->id, id, FRAME_ID_LEN) == 0)
		return a->last;
	for (o = a->head; o != NULL; o = o->next)
		if (memcmp(o->id, id, FRAME_ID_LEN) == 0)
			return a->last = o;
	return NULL;
}

static int
is_done(struct assembly *a, const uint8_t id[FRAME_ID_LEN])
{
	unsigned i, n = a->done_n;

	/* Newest first: a later pass of the object just completed is the usual hit. */
	for (i = 0; i < n; i++) {
		unsigned slot = (a->done_pos + a->cfg.remember - 1 - i) % a->cfg.remember;

		if (memcmp(a->done_ids[slot], id, FRAME_ID_LEN) == 0)
			return 1;
	}
	return 0;
}

static void
remember_done(struct assembly *a, const uint8_t id[FRAME_ID_LEN])
{
	memcpy(a->done_ids[a->done_pos], id, FRAME_ID_LEN);
	a->done_pos = (a->done_pos + 1) % a->cfg.remember;
	if (a->done_n < a->cfg.remember)
		a->done_n++;
}

/* Drop id from the ring: the newest entry takes its slot, and the ring is one
 * shorter. The order of the rest only decides which id is forgotten first. */
static void
forget_done(struct assembly *a, const uint8_t id[FRAME_ID_LEN])
{
	unsigned i, slot, newest;

	for (i = 0; i < a->done_n; i++) {
		slot = (a->done_pos + a->cfg.remember - 1 - i) % a->cfg.remember;
		if (memcmp(a->done_ids[slot], id, FRAME_ID_LEN) != 0)
			continue;
		newest = (a->done_pos + a->cfg.remember - 1) % a->cfg.remember;
		memcpy(a->done_ids[slot], a->done_ids[newest], FRAME_ID_LEN);
		memset(a->done_ids[newest], 0, FRAME_ID_LEN);
		a->done_pos = newest;
		a->done_n--;
		return;
	}
}

int
assembly_verify_fd(const struct assembly_event *ev, int fd)
{
	uint8_t digest[CRYPTO_SHA256_LEN];
	struct stat st;
	int rc = ASSEMBLY_STORED;

	if (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return ASSEMBLY_EIO;
	if ((uint64_t)st.st_size != ev->size)
		return ASSEMBLY_EDIGEST;
	if (crypto_sha256_fd(fd, digest) != CRYPTO_OK)
		rc = ASSEMBLY_EIO;
	else if (!crypto_memeq(digest, ev->sha256, CRYPTO_SHA256_LEN))
		rc = ASSEMBLY_EDIGEST;
	if (lseek(fd, 0, SEEK_SET) != 0)
		rc = ASSEMBLY_EIO;
	return rc;
}

void
assembly_reject(struct assembly *a, const struct assembly_event *ev)
{
	forget_done(a, ev->object_id);
	if (a->st.objects_complete > 0)
		a->st.objects_complete--;
	a->st.objects_failed++;
}

static int
obj_create(struct assembly *a, const struct frame_hdr *h, struct obj **out)
{
	char hex[2 * FRAME_ID_LEN + 1];
	struct obj *o, **pp;
	size_t mem;

	if (h->object_size > a->cfg.max_object_size) {
		a->st.objects_refused++;
		return ASSEMBLY_ETOOBIG;
	}
	mem = sizeof(*o) + (size_t)h->block_count * sizeof(struct blk);
	if (mem > a->cfg.memory_budget) {
		a->st.objects_refused++;
		return ASSEMBLY_ETOOBIG;
	}
	while (a->nobj >= a->cfg.max_objects)
		obj_evict(a, a->head);
	if (make_room(a, mem, NULL) != ASSEMBLY_STORED)
		return ASSEMBLY_ENOMEM;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return ASSEMBLY_ENOMEM;
	if (h->block_count > 0 &&
	    (o->blocks = calloc(h->block_count, sizeof(struct blk))) == NULL) {
		free(o);
		return ASSEMBLY_ENOMEM;
	}
	memcpy(o->id, h->object_id, FRAME_ID_LEN);
	o->geo = *h;
	crypto_hex(h->object_id, FRAME_ID_LEN, hex);
	snprintf(o->path, sizeof(o->path), "%s/%s.part", a->dir, hex);
	/* A file left by a crash under this name is stale: start it over. */
	o->fd = open(o->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (o->fd < 0 || ftruncate(o->fd, (off_t)h->object_size) != 0) {
		int e = errno;

		if (o->fd >= 0) {
			close(o->fd);
			unlink(o->path);
		}
		free(o->blocks);
		free(o);
		errno = e;
		return ASSEMBLY_EIO;
	}
	o->mem = mem;
	a->st.memory += mem;
	for (pp = &a->head; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = o;
	a->nobj++;
	a->st.objects_started++;
	*out = a->last = o;
	return ASSEMBLY_STORED;
}

static int
get_fec(struct assembly *a, unsigned k, unsigned m)
{
	if (a->fec != NULL && a->fec_k == k && a->fec_m == m)
		return ASSEMBLY_STORED;
	fec_free(a->fec);
	a->fec = NULL;
	if (fec_new(&a->fec, k, m) != FEC_OK)
		return ASSEMBLY_ENOMEM;
	a->fec_k = k;
	a->fec_m = m;
	return ASSEMBLY_STORED;
}

/* Block bi has kb symbols: rebuild missing data symbols from parity and write the
 * block's data to the file (all of it in one pwrite when it was gathered in memory,
 * else only the rebuilt symbols). */
static int
block_decode(struct assembly *a, struct obj *o, uint32_t bi, unsigned kb)
{
	struct blk *b = &o->blocks[bi];
	size_t sym = o->geo.symbol_size, need = (size_t)kb * sym, len;
	unsigned i, repaired, missing = 0;
	int rc;

	for (i = 0; i < kb; i++)
		missing += !bit_get(b, i);
	if (missing > 0) {
		if (b->data == NULL && a->scratch_len < need) {
			uint8_t *p = realloc(a->scratch, need);

			if (p == NULL)
				return ASSEMBLY_ENOMEM;
			a->scratch = p;
			a->scratch_len = need;
		}
		if ((rc = get_fec(a, o->geo.k, o->geo.m)) != ASSEMBLY_STORED)
			return rc;
		for (i = 0; i < kb; i++) {
			off_t off = sym_offset(o, bi, i, &len);

			a->dptr[i] = (b->data != NULL ? b->data : a->scratch) + (size_t)i * sym;
			a->dok[i] = (uint8_t)bit_get(b, i);
			if (!a->dok[i] || b->data != NULL)
				continue;
			if ((rc = pread_all(o->fd, a->dptr[i], len, off)) != ASSEMBLY_STORED)
				return rc;
			memset(a->dptr[i] + len, 0, sym - len);
		}
		for (i = 0; i < o->geo.m; i++)
			a->pok[i] = (uint8_t)bit_get(b, kb + i);
		if (fec_decode(a->fec, kb, a->dptr, a->dok, b->parity, a->pok, sym,
		    &repaired) != FEC_OK)
			return ASSEMBLY_EARG;	/* cannot happen: kb symbols are held */
		for (i = 0; i < kb && b->data == NULL; i++) {
			off_t off = sym_offset(o, bi, i, &len);

			if (a->dok[i])
				continue;
			if ((rc = pwrite_all(o->fd, a->dptr[i], len, off)) != ASSEMBLY_STORED)
				return rc;
		}
		a->st.fec_repairs++;
		a->st.symbols_repaired += repaired;
	}
	if (b->data != NULL) {
		off_t off = sym_offset(o, bi, 0, &len);
		uint64_t left = o->geo.object_size - (uint64_t)off;

		if ((rc = pwrite_all(o->fd, b->data, left < need ? (size_t)left : need, off)) !=
		    ASSEMBLY_STORED)
			return rc;
	}
	blk_free(a, o, bi);
	b->done = 1;
	o->blocks_done++;
	a->st.blocks_decoded++;
	return ASSEMBLY_STORED;
}

/* All blocks written and the manifest known: hand the file over. Its digest is the
 * caller's to check (assembly_verify_fd), away from the thread feeding frames. */
static void
obj_finish(struct assembly *a, struct obj *o)
{
	struct assembly_event *ev;

	remember_done(a, o->id);
	a->st.objects_complete++;
	if ((ev = event_push(a, ASSEMBLY_COMPLETE, o)) == NULL) {
		obj_destroy(a, o, 0);	/* nobody would ever own the file */
		return;
	}
	memcpy(ev->path, o->path, sizeof(ev->path));
	obj_destroy(a, o, 1);
}

/*
 * Keep data symbol i of block bi. A block's data symbols are gathered in memory and
 * written with one pwrite when the block is decoded: one system call per block, not
 * per symbol (per-symbol writes into the page cache were a third of rx's CPU time at
 * 1472-byte datagrams). The buffer is taken only where the budget has room for it
 * without evicting anything, since it only saves time; otherwise the block writes
 * each symbol through to the file as it comes, which needs no memory.
 */
static int
store_data(struct assembly *a, struct obj *o, uint32_t bi, unsigned i,
	   const uint8_t *payload)
{
	struct blk *b = &o->blocks[bi];
	size_t len, sym = o->geo.symbol_size;
	off_t off = sym_offset(o, bi, i, &len);

	if (b->data == NULL && !b->to_file) {
		size_t need = (size_t)frame_block_k(&o->geo, bi) * sym;

		if (a->st.memory + need <= a->cfg.memory_budget &&
		    (b->data = malloc(need)) != NULL) {
			a->buffered++;
			o->mem += need;
			a->st.memory += need;
		} else {
			b->to_file = 1;
		}
	}
	if (b->data == NULL)
		return pwrite_all(o->fd, payload, len, off);
	/* The last symbol's wire padding is zeroed here, as pread's would be. */
	memcpy(b->data + (size_t)i * sym, payload, len);
	memset(b->data + (size_t)i * sym + len, 0, sym - len);
	return ASSEMBLY_STORED;
}

static int
same_geometry(const struct frame_hdr *g, const struct frame_hdr *h)
{
	return g->object_size == h->object_size && g->k == h->k && g->m == h->m &&
	    g->symbol_size == h->symbol_size && g->block_count == h->block_count;
}

static int
feed_manifest(struct assembly *a, struct obj *o, const uint8_t *payload, size_t len)
{
	char name[FRAME_NAME_MAX + 1];
	uint8_t digest[CRYPTO_SHA256_LEN];

	if (frame_manifest_decode(payload, len, name, digest) != FRAME_OK) {
		a->st.conflicts++;
		return ASSEMBLY_EARG;
	}
	if (o->have_manifest) {
		if (strcmp(name, o->name) != 0 ||
		    memcmp(digest, o->sha256, CRYPTO_SHA256_LEN) != 0) {
			a->st.conflicts++;
			return ASSEMBLY_ECONFLICT;
		}
		a->st.duplicates++;
		return ASSEMBLY_DUPLICATE;
	}
	memcpy(o->name, name, sizeof(name));
	memcpy(o->sha256, digest, CRYPTO_SHA256_LEN);
	o->have_manifest = 1;
	if (o->blocks_done == o->geo.block_count)
		obj_finish(a, o);
	return ASSEMBLY_STORED;
}

static int
feed_symbol(struct assembly *a, struct obj *o, const struct frame_hdr *h,
	    const uint8_t *payload, size_t len)
{
	struct blk *b = &o->blocks[h->block];
	unsigned kb = frame_block_k(&o->geo, h->block), p;
	size_t sym = o->geo.symbol_size;
	int rc;

	if (len != sym || h->index >= kb + o->geo.m) {
		a->st.conflicts++;
		return ASSEMBLY_EARG;
	}
	if (b->done) {
		a->st.redundant++;
		return ASSEMBLY_REDUNDANT;
	}
	if (bit_get(b, h->index)) {
		a->st.duplicates++;
		return ASSEMBLY_DUPLICATE;
	}
	if (h->index < kb) {
		if ((rc = store_data(a, o, h->block, h->index, payload)) != ASSEMBLY_STORED) {
			obj_fail(a, o, rc);
			return rc;
		}
	} else {
		size_t need = sym + (b->parity == NULL ? o->geo.m * sizeof(uint8_t *) : 0);

		if ((rc = make_room(a, need, o)) == ASSEMBLY_EIO) {
			obj_fail(a, o, rc);
			return rc;
		}
		if (rc != ASSEMBLY_STORED)
			return ASSEMBLY_ENOMEM;	/* dropped; data symbols may still do */
		p = h->index - kb;
		if (b->parity == NULL) {
			if ((b->parity = calloc(o->geo.m, sizeof(uint8_t *))) == NULL)
				return ASSEMBLY_ENOMEM;
			o->mem += o->geo.m * sizeof(uint8_t *);
			a->st.memory += o->geo.m * sizeof(uint8_t *);
		}
		if ((b->parity[p] = malloc(sym)) == NULL)
			return ASSEMBLY_ENOMEM;
		memcpy(b->parity[p], payload, sym);
		o->mem += sym;
		a->st.memory += sym;
	}
	bit_set(b, h->index);
	b->count++;
	a->st.symbols++;
	if (b->count >= kb) {
		if ((rc = block_decode(a, o, h->block, kb)) != ASSEMBLY_STORED) {
			obj_fail(a, o, rc);
			return rc;
		}
		if (o->blocks_done == o->geo.block_count && o->have_manifest)
			obj_finish(a, o);
	}
	return ASSEMBLY_STORED;
}

int
assembly_feed(struct assembly *a, const struct frame_hdr *h, const uint8_t *payload,
	      size_t len)
{
	struct obj *o;
	int rc;

	a->st.frames++;
	if (h->type == FRAME_MANIFEST)
		a->st.manifests++;
	else if (h->type != FRAME_DATA || h->block >= h->block_count)
		return ASSEMBLY_EARG;	/* not from frame_open */
	if ((o = obj_find(a, h->object_id)) == NULL) {
		if (is_done(a, h->object_id)) {
			a->st.known++;
			return ASSEMBLY_KNOWN;
		}
		if ((rc = obj_create(a, h, &o)) != ASSEMBLY_STORED)
			return rc;
	}
	if (!same_geometry(&o->geo, h)) {
		a->st.conflicts++;
		return ASSEMBLY_ECONFLICT;
	}
	if (h->type == FRAME_MANIFEST)
		return feed_manifest(a, o, payload, len);
	return feed_symbol(a, o, h, payload, len);
}

const struct assembly_stats *
assembly_stats(const struct assembly *a)
{
	return &a->st;
}

size_t
assembly_incomplete(const struct assembly *a, uint8_t (*ids)[FRAME_ID_LEN], size_t max)
{
	const struct obj *o;
	size_t n = 0;

	for (o = a->head; o != NULL; o = o->next, n++)
		if (n < max)
			memcpy(ids[n], o->id, FRAME_ID_LEN);
	return n;
}

void
assembly_evict_all(struct assembly *a)
{
	while (a->head != NULL)
		obj_evict(a, a->head);
}

void
assembly_free(struct assembly *a)
{
	struct assembly_event ev;

	if (a == NULL)
		return;
	while (a->head != NULL)
		obj_destroy(a, a->head, 0);
	while (assembly_poll(a, &ev))
		if (ev.kind == ASSEMBLY_COMPLETE)
			unlink(ev.path);
	fec_free(a->fec);
	free(a->scratch);
	free(a->done_ids);
	free(a);
}
