/*
 * pixels.c — writer and reader of the raw pixel stream (format in pixels.h).
 *
 * The reader is the side that matters: its input comes from a process that may be
 * under an attacker's control. It never allocates; it checks each frame header
 * (magic, version, channels, depth, non-zero dimensions, each side, pixels per
 * frame, frame count, and the bytes the frame adds to the stream) before returning
 * it, so a caller may allocate a row from a header it has been given. Any short
 * read is PIXELS_ETRUNCATED, and after an error every later call fails the same way.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "pixels.h"

static const uint8_t frame_magic[4] = { 'S', 'K', 'P', 'X' };
static const uint8_t end_magic[4] = { 'S', 'K', 'P', 'E' };

void
pixels_limits_default(struct pixels_limits *lim)
{
	lim->max_pixels = PIXELS_DEFAULT_MAX_PIXELS;
	lim->max_bytes = PIXELS_DEFAULT_MAX_BYTES;
	lim->max_frames = PIXELS_DEFAULT_MAX_FRAMES;
}

size_t
pixels_row_bytes(const struct pixels_header *h)
{
	return (size_t)h->width * h->channels * (h->depth / 8u);
}

const char *
pixels_strerror(int err)
{
	switch (err) {
	case 0:			return "ok";
	case PIXELS_END:	return "end of stream";
	case PIXELS_EIO:	return "read or write failed";
	case PIXELS_ETRUNCATED:	return "pixel stream truncated";
	case PIXELS_EMAGIC:	return "not a pixel stream";
	case PIXELS_EVERSION:	return "unsupported pixel stream version";
	case PIXELS_EFORMAT:	return "malformed pixel stream header";
	case PIXELS_ELIMIT:	return "image too large";
	case PIXELS_ESTATE:	return "pixel stream call out of order";
	default:		return "unknown pixel stream error";
	}
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
header_valid(const struct pixels_header *h)
{
	return (h->channels == 1 || h->channels == 3) && h->depth == 8 &&
	    h->width > 0 && h->height > 0 && h->width <= PIXELS_MAX_DIMENSION &&
	    h->height <= PIXELS_MAX_DIMENSION;
}

/* ---- writer ---- */

static int
write_all(int fd, const void *buf, size_t n)
{
	if (fsio_write_all(fd, buf, n) == 0)
		return 0;
	return errno ? -errno : PIXELS_EIO;
}

void
pixels_writer_init(struct pixels_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
}

int
pixels_writer_frame(struct pixels_writer *w, const struct pixels_header *h)
{
	uint8_t hdr[PIXELS_HEADER_LEN];

	if (w->rows_left != 0)
		return PIXELS_ESTATE;
	if (!header_valid(h))
		return PIXELS_EFORMAT;
	memcpy(hdr, frame_magic, 4);
	hdr[4] = PIXELS_VERSION;
	hdr[5] = h->channels;
	hdr[6] = h->depth;
	hdr[7] = 0;
	put_be32(hdr + 8, h->width);
	put_be32(hdr + 12, h->height);
	w->rows_left = h->height;
	w->row_bytes = pixels_row_bytes(h);
	w->frames++;
	return write_all(w->fd, hdr, sizeof(hdr));
}

int
pixels_writer_row(struct pixels_writer *w, const void *row)
{
	if (w->rows_left == 0)
		return PIXELS_ESTATE;
	w->rows_left--;
	return write_all(w->fd, row, w->row_bytes);
}

int
pixels_writer_finish(struct pixels_writer *w)
{
	uint8_t t[PIXELS_TRAILER_LEN];

	if (w->rows_left != 0)
		return PIXELS_ESTATE;
	memcpy(t, end_magic, 4);
	put_be32(t + 4, w->frames);
	return write_all(w->fd, t, sizeof(t));
}

/* ---- reader ---- */

void
pixels_reader_init(struct pixels_reader *r, pixels_read_fn fn, void *arg,
    const struct pixels_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->read = fn;
	r->arg = arg;
	if (lim != NULL)
		r->lim = *lim;
	else
		pixels_limits_default(&r->lim);
}

/* Exactly n bytes, or an error; a clean end of input counts as truncation here,
 * since every caller is in the middle of something. */
static int
read_exact(struct pixels_reader *r, void *buf, size_t n)
{
	uint8_t *p = buf;
	ssize_t got;

	while (n > 0) {
		got = r->read(r->arg, p, n);
		if (got < 0)
			return PIXELS_EIO;
		if (got == 0)
			return PIXELS_ETRUNCATED;
		if ((size_t)got > n)
			return PIXELS_EIO;	/* a broken callback, not the peer */
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int
fail(struct pixels_reader *r, int err)
{
	r->done = err;
	return err;
}

int
pixels_reader_next(struct pixels_reader *r, struct pixels_header *h)
{
	uint8_t b[PIXELS_HEADER_LEN];
	uint64_t pixels, frame_bytes;
	int rc;

	if (r->done != 0)
		return r->done;
	if (r->rows_left != 0)
		return fail(r, PIXELS_ESTATE);
	/* The trailer is shorter than a header: read its length first. */
	if ((rc = read_exact(r, b, PIXELS_TRAILER_LEN)) != 0)
		return fail(r, rc);
	if (memcmp(b, end_magic, 4) == 0) {
		if (get_be32(b + 4) != r->frames)
			return fail(r, PIXELS_EFORMAT);
		return fail(r, PIXELS_END);
	}
	if (memcmp(b, frame_magic, 4) != 0)
		return fail(r, PIXELS_EMAGIC);
	if (b[4] != PIXELS_VERSION)
		return fail(r, PIXELS_EVERSION);
	if ((rc = read_exact(r, b + PIXELS_TRAILER_LEN,
	    PIXELS_HEADER_LEN - PIXELS_TRAILER_LEN)) != 0)
		return fail(r, rc);
	h->channels = b[5];
	h->depth = b[6];
	h->width = get_be32(b + 8);
	h->height = get_be32(b + 12);
	if (b[7] != 0 || h->channels == 0 || h->depth == 0 || h->width == 0 ||
	    h->height == 0 || !(h->channels == 1 || h->channels == 3) || h->depth != 8)
		return fail(r, PIXELS_EFORMAT);
	/* Each side is at most 65535, so these products cannot overflow 64 bits. */
	if (h->width > PIXELS_MAX_DIMENSION || h->height > PIXELS_MAX_DIMENSION)
		return fail(r, PIXELS_ELIMIT);
	pixels = (uint64_t)h->width * h->height;
	frame_bytes = pixels * h->channels;
	if (pixels > r->lim.max_pixels || r->frames >= r->lim.max_frames ||
	    frame_bytes > r->lim.max_bytes - r->bytes)
		return fail(r, PIXELS_ELIMIT);
	r->bytes += frame_bytes;
	r->frames++;
	r->cur = *h;
	r->rows_left = h->height;
	return 0;
}

int
pixels_reader_row(struct pixels_reader *r, void *row)
{
	int rc;

	if (r->done != 0)
		return r->done;
	if (r->rows_left == 0)
		return fail(r, PIXELS_ESTATE);
	if ((rc = read_exact(r, row, pixels_row_bytes(&r->cur))) != 0)
		return fail(r, rc);
	r->rows_left--;
	return 0;
}

ssize_t
pixels_mem_read(void *arg, void *buf, size_t n)
{
	struct pixels_mem *m = arg;
	size_t left = m->len - m->off;

	if (n > left)
		n = left;
	if (n == 0)
		return 0;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

ssize_t
pixels_fd_read(void *arg, void *buf, size_t n)
{
	int fd = *(const int *)arg;
	ssize_t got;

	do
		got = read(fd, buf, n);
	while (got < 0 && errno == EINTR);
	return got;
}
