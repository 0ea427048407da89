/*
 * rebuild.h — new files made from pixels alone, in the parent.
 *
 * Nothing here ever sees the original: the input is a pixel stream (pixels.h) that
 * the sandboxed renderer wrote and the reader has checked against its limits, and
 * the output is written by encoders (libpng, libjpeg, cairo's PDF surface) from
 * those pixels. So the output can carry nothing of the original but its look: no
 * metadata chunk, no script, action, annotation, form, embedded file or trailing
 * byte exists in the input to be copied.
 *
 * PDF pages are encoded one by one, choosing what keeps them small (see
 * rebuild_pdf_add_page); every page has the size of its pixels at the given dpi.
 */
#ifndef SEKISHO_REBUILD_H
#define SEKISHO_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "pixels.h"

#define REBUILD_JPEG_QUALITY	80

enum {
	REBUILD_OK = 0,
	/* -1 .. -7: a pixels_error from the stream */
	REBUILD_ENOMEM = -20,
	REBUILD_EENCODE = -21,	/* an encoder failed */
	REBUILD_EFRAMES = -22,	/* an image stream without exactly one frame */
};

const char *rebuild_strerror(int rc);

/* A growing output buffer; the caller frees p. */
struct rebuild_buf {
	uint8_t *p;
	size_t len, cap;
};

void rebuild_buf_free(struct rebuild_buf *b);

/* How a page was encoded (for logs and the benchmark). */
enum rebuild_encoding {
	REBUILD_ENC_FLATE_GREY,		/* flat grey page (text): lossless */
	REBUILD_ENC_FLATE_RGB,		/* flat colour page: lossless */
	REBUILD_ENC_JPEG_GREY,		/* photographic or scanned grey page */
	REBUILD_ENC_JPEG_RGB,		/* photographic colour page */
};

const char *rebuild_encoding_name(enum rebuild_encoding e);

/* Whether pixels (w*h*channels) look photographic: fewer than half the pixels share
 * the most common value. A rendered text or drawing page is mostly one exact
 * background value and compresses losslessly; a photo or a scan is noise to Flate
 * and many times smaller as JPEG. */
int rebuild_is_photographic(const uint8_t *px, uint32_t w, uint32_t h, unsigned channels);

/* Encode one frame as PNG: 8-bit grey or RGB, no ancillary chunk at all. */
int rebuild_png_encode(const struct pixels_header *h, const uint8_t *px, struct rebuild_buf *out);

/* Read a stream of exactly one frame and encode it as PNG. */
int rebuild_png(struct pixels_reader *r, struct rebuild_buf *out);

/* ---- PDF, page by page ---- */

struct rebuild_pdf;

/* Start a PDF whose pages are images at dpi dots per inch. NULL if out of memory. */
struct rebuild_pdf *rebuild_pdf_new(unsigned dpi);

/* Add one page of h->width x h->height pixels (rows of pixels_row_bytes(h)). Grey
 * pages are emitted as DeviceGray; photographic pages (rebuild_is_photographic) as
 * JPEG at REBUILD_JPEG_QUALITY, others losslessly with Flate. *enc, if not NULL,
 * says which. */
int rebuild_pdf_add_page(struct rebuild_pdf *pdf, const struct pixels_header *h,
    const uint8_t *px, enum rebuild_encoding *enc);

/* Add every frame of a stream, up to its trailer; *pages (if not NULL) is
 * increased by the frames added, also on error. */
int rebuild_pdf_add_stream(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t *pages);

/* Pages added so far. */
uint32_t rebuild_pdf_pages(const struct rebuild_pdf *pdf);

/* Finish the document into out (appended) and free pdf; pdf is freed also on error. */
int rebuild_pdf_finish(struct rebuild_pdf *pdf, struct rebuild_buf *out);

/* Free an unfinished document. */
void rebuild_pdf_free(struct rebuild_pdf *pdf);

/* cairo's version, for attestations. */
const char *rebuild_engine_version(void);

#endif
