/*
 * render.h — the only code that parses a citizen's PDF or image: it runs inside the
 * sandbox child (sandbox.h) and says nothing back but pixels (pixels.h).
 *
 * render_child is a sandbox_fn. It reads the hostile file from its input fd into
 * memory (bounded), decodes it with MuPDF from memory only (the child can open no
 * file), renders PDF pages at req->dpi and images at their own size (turned upright
 * by their EXIF orientation), and writes a
 * pixel stream to its output fd. Everything it could say besides pixels is folded
 * into its exit code (RENDER_EXIT_*): the parent treats that code as a claim from a
 * hostile process, which can only choose among refusals, never make a file clean.
 *
 * A stream is bounded by req->batch_bytes: when the next page would not fit, the
 * child ends the stream after the pages written and exits RENDER_EXIT_MORE; the
 * parent starts a fresh child at first_page + frames read. So no single child, and
 * no single pipe buffer in the parent, holds a whole long document.
 *
 * A TIFF with tiff_pages set is read as a document, one page per IFD (a scanner's
 * or a fax machine's multi-page file), each page drawn at req->dpi by its own
 * resolution; without it, only its first page, as an image at its own size.
 *
 * With page_step > 1 a child renders every step-th page, so that several children
 * can render one document at once (one per core). A child whose first_page is below
 * page_step but past the last page (a lane with nothing to do: a 1-page document
 * in two lanes) writes an empty stream and exits RENDER_EXIT_OK.
 */
#ifndef SEKISHO_RENDER_H
#define SEKISHO_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define RENDER_DEFAULT_DPI	150
#define RENDER_MIN_DPI		36
#define RENDER_MAX_DPI		600

/* What the child's exit code means. */
enum {
	RENDER_EXIT_OK = 0,		/* every page from first_page on, then the trailer */
	RENDER_EXIT_MORE = 10,		/* a complete stream, but pages remain */
	RENDER_EXIT_ENCRYPTED = 11,	/* needs a password */
	RENDER_EXIT_TOO_MANY_PAGES = 12,
	RENDER_EXIT_LIMITS = 13,	/* input, page size, pixels or memory over a limit */
	RENDER_EXIT_UNSUPPORTED = 14,	/* a type this renderer does not decode */
	RENDER_EXIT_BROKEN = 15,	/* MuPDF could not open or render it */
	RENDER_EXIT_IO = 16,		/* reading the input or writing the stream failed */
	RENDER_EXIT_BAD_REQUEST = 17,	/* the parent asked for something impossible */
};

struct render_limits {
	size_t max_input;		/* bytes of the original read into memory */
	uint32_t max_pages;		/* pages in a document (checked before any render) */
	uint64_t max_page_pixels;	/* width*height of one rendered page or image */
	uint64_t max_batch_pixels;	/* pixel bytes one child may write (see above) */
	size_t mupdf_memory;		/* MuPDF's own allocator cap, below RLIMIT_AS */
};

/* 100 MiB input, 300 pages, 50 Mpx per page, 192 MiB per stream, 768 MiB for MuPDF. */
void render_limits_default(struct render_limits *lim);

struct render_request {
	enum detect_type type;		/* detected by the parent (detect.h) */
	unsigned dpi;			/* PDF pages only */
	uint32_t first_page;		/* 0-based */
	uint32_t page_step;		/* render first_page, +step, ...; 0 or 1: every page */
	int tiff_pages;			/* TIFF: every page, as a document's (see below) */
	struct render_limits lim;
};

/* Whether render_child decodes this type at all: PDF, JPEG, PNG, GIF, TIFF, BMP
 * with MuPDF; WebP and HEIC with libwebp and libheif (photo.h), which MuPDF 1.21
 * lacks. */
int render_supports(enum detect_type type);

/* The sandbox_fn: arg is a const struct render_request *. Returns RENDER_EXIT_*. */
int render_child(int out_fd, int in_fd, void *arg);

/* A static name for an exit code ("encrypted", "too-many-pages", ...). */
const char *render_exit_name(int code);

/* The version of MuPDF linked in (FZ_VERSION), for attestations. */
const char *render_engine_version(void);

#endif
