/*
 * pixels.h — the raw pixel stream a sandboxed decoder hands to its parent.
 *
 * The child that parses hostile bytes says nothing but this: for each page or image
 * a 16-byte frame header (magic "SKPX", version, channels 1 or 3, depth 8, zero,
 * width and height as big-endian u32) followed by height rows of width*channels
 * bytes, and at the end a trailer ("SKPE" and the frame count, big-endian u32).
 * The parent trusts none of it: the reader checks every header against limits
 * before anything sized by it is allocated, and a stream that stops anywhere but
 * after a matching trailer is truncated.
 */
#ifndef SEKISHO_PIXELS_H
#define SEKISHO_PIXELS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PIXELS_VERSION		1
#define PIXELS_HEADER_LEN	16
#define PIXELS_TRAILER_LEN	8
#define PIXELS_MAX_DIMENSION	65535u		/* per side, as PNG and JPEG readers agree */
#define PIXELS_DEFAULT_MAX_PIXELS (50u * 1000 * 1000)	/* per frame: 50 Mpx */
#define PIXELS_DEFAULT_MAX_FRAMES 2000u
#define PIXELS_DEFAULT_MAX_BYTES (4ull * 1024 * 1024 * 1024) /* whole stream */

enum pixels_error {
	PIXELS_END = 1,		/* not an error: the trailer was read */
	PIXELS_EIO = -1,	/* the read callback failed */
	PIXELS_ETRUNCATED = -2,	/* end of input before the trailer */
	PIXELS_EMAGIC = -3,
	PIXELS_EVERSION = -4,
	PIXELS_EFORMAT = -5,	/* bad channels, depth, zero dimension, bad count */
	PIXELS_ELIMIT = -6,	/* dimensions, pixels, frames or bytes over the limits */
	PIXELS_ESTATE = -7,	/* call out of order (e.g. next frame with rows left) */
};

struct pixels_header {
	uint32_t width, height;
	uint8_t channels;	/* 1 grey, 3 RGB */
	uint8_t depth;		/* bits per channel: 8 */
};

struct pixels_limits {
	uint64_t max_pixels;	/* width*height of one frame */
	uint64_t max_bytes;	/* pixel bytes of the whole stream */
	uint32_t max_frames;
};

/* Fill *lim with the defaults above. */
void pixels_limits_default(struct pixels_limits *lim);

/* Bytes in one row of h (width * channels * depth/8). */
size_t pixels_row_bytes(const struct pixels_header *h);

/* A static description of an error code. */
const char *pixels_strerror(int err);

/* ---- writer (the child) ---- */

struct pixels_writer {
	int fd;
	uint32_t frames;
	uint32_t rows_left;
	size_t row_bytes;
};

/* Start writing a stream to fd (a pipe, usually); writes nothing yet. */
void pixels_writer_init(struct pixels_writer *w, int fd);
/* Begin a frame. Returns 0, PIXELS_EFORMAT for a header the reader would refuse,
 * PIXELS_ESTATE if the previous frame has rows left, or -errno from write. */
int pixels_writer_frame(struct pixels_writer *w, const struct pixels_header *h);
/* Write one row of exactly pixels_row_bytes() bytes. */
int pixels_writer_row(struct pixels_writer *w, const void *row);
/* Write the trailer; the stream is complete only after this returns 0. */
int pixels_writer_finish(struct pixels_writer *w);

/* ---- reader (the parent) ---- */

/* Read up to n bytes into buf; return the count (0 at end of input) or -1. */
typedef ssize_t (*pixels_read_fn)(void *arg, void *buf, size_t n);

struct pixels_reader {
	pixels_read_fn read;
	void *arg;
	struct pixels_limits lim;
	struct pixels_header cur;
	uint32_t frames;
	uint32_t rows_left;
	uint64_t bytes;
	int done;		/* trailer read, or an error returned */
};

/* Read through fn/arg under lim (NULL: defaults). */
void pixels_reader_init(struct pixels_reader *r, pixels_read_fn fn, void *arg,
    const struct pixels_limits *lim);
/* Read the next frame header into *h: 0, PIXELS_END after a valid trailer, or a
 * negative pixels_error. All limits are checked here, before the caller allocates
 * pixels_row_bytes(h) or anything larger. */
int pixels_reader_next(struct pixels_reader *r, struct pixels_header *h);
/* Read the next row of the current frame into row (pixels_row_bytes bytes). */
int pixels_reader_row(struct pixels_reader *r, void *row);

/* A pixels_read_fn over a memory buffer; arg is a struct pixels_mem. */
struct pixels_mem {
	const uint8_t *p;
	size_t len, off;
};
ssize_t pixels_mem_read(void *arg, void *buf, size_t n);
/* A pixels_read_fn over a file descriptor; arg points to the int fd. */
ssize_t pixels_fd_read(void *arg, void *buf, size_t n);

#endif
