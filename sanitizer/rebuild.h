/*
 * rebuild.h — new files made from pixels alone, in the parent.
 *
 * Nothing here ever sees the original: the input is a pixel stream (pixels.h) that
 * the sandboxed renderer wrote and the reader has checked against its limits, and
 * the output is written by encoders (libpng, libjpeg, zlib, and our own PDF writer
 * for image-only pages) from those pixels. So the output can carry nothing of the
 * original but its look: no metadata chunk, no script, action, annotation, form,
 * embedded file or trailing byte exists in the input to be copied.
 *
 * PDF pages are encoded one by one, choosing what keeps them small (see
 * rebuild_pdf_add_page); every page has the size of its pixels at the given dpi.
 * Pages may be encoded on several threads at once and in any order: each lands at
 * its own index, and the document is written in page order at the end.
 */
#ifndef SEKISHO_REBUILD_H
#define SEKISHO_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "ocr.h"
#include "pixels.h"

#define REBUILD_JPEG_QUALITY	80
#define REBUILD_FLATE_LEVEL	6	/* DEFLATE level of flat pages (libdeflate, see rebuild.c) */
#define REBUILD_FLAT_BUDGET	(96u * 1000)	/* a flat grey page over this at 4 bits... */
						/* ...is written at 2 bits */
#define REBUILD_MAX_PAGES	100000u	/* page slots a document may have */
#define REBUILD_MAX_CIDS	65534u	/* distinct characters in a document's text layer */

enum {
	REBUILD_OK = 0,
	/* -1 .. -7: a pixels_error from the stream */
	REBUILD_ENOMEM = -20,
	REBUILD_EENCODE = -21,	/* an encoder failed */
	REBUILD_EFRAMES = -22,	/* an image stream without exactly one frame; or a
				 * document with a page missing or given twice */
	REBUILD_ETEXT = -23,	/* a text layer for no page, twice, or off its page */
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
	REBUILD_ENC_FLATE_GREY,		/* flat grey page (text): 16 grey levels, Flate */
	REBUILD_ENC_FLATE_GREY2,	/* a dense flat grey page: 4 grey levels, Flate */
	REBUILD_ENC_FLATE_RGB,		/* flat colour page: 16 levels per channel, Flate */
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
/* The same at zlib level zlevel (0-9, or Z_DEFAULT_COMPRESSION, which the above uses). */
int rebuild_png_encode_level(const struct pixels_header *h, const uint8_t *px, int zlevel,
			     struct rebuild_buf *out);

/* Read a stream of exactly one frame and encode it as PNG. */
int rebuild_png(struct pixels_reader *r, struct rebuild_buf *out);

/* Read a stream of exactly one frame and encode it as PNG, or, if lossy_ok and
 * rebuild_is_photographic, as JPEG at REBUILD_JPEG_QUALITY (JFIF, no other marker):
 * a phone photo as PNG is ~5x larger and slower to make and to scan again. *jpeg
 * says which. */
int rebuild_image(struct pixels_reader *r, struct rebuild_buf *out, int lossy_ok, int *jpeg);

/* ---- PDF, page by page ---- */

struct rebuild_pdf;

/* Start a PDF whose pages are images at dpi dots per inch. NULL if out of memory. */
struct rebuild_pdf *rebuild_pdf_new(unsigned dpi);

/* Add one page of h->width x h->height pixels (rows of pixels_row_bytes(h)) after
 * the last page added. Pages are DeviceGray when h is grey. Photographic pages
 * (rebuild_is_photographic) become JPEG at REBUILD_JPEG_QUALITY (a grey one whose
 * paper is one bright tone first has its paper made white, as a scanner's background
 * removal does); flat pages (text, drawings) keep 16 levels per channel (4 bits),
 * Flate-compressed — or 4 grey levels when 16 would exceed REBUILD_FLAT_BUDGET. *enc,
 * if not NULL, says which. */
int rebuild_pdf_add_page(struct rebuild_pdf *pdf, const struct pixels_header *h,
    const uint8_t *px, enum rebuild_encoding *enc);

/* Add every frame of a stream, up to its trailer, after the last page; *pages (if
 * not NULL) is increased by the frames added, also on error. */
int rebuild_pdf_add_stream(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t *pages);

/* Add every frame of a stream as pages first, first + step, first + 2 * step, ...
 * (0-based). Several threads may call this on one document at once, for disjoint
 * pages; the encoding runs outside the document's lock. *pages as above. */
int rebuild_pdf_add_stream_at(struct rebuild_pdf *pdf, struct pixels_reader *r,
    uint32_t first, uint32_t step, uint32_t *pages);

/* Give page index (already added) an invisible text layer of the words in *text,
 * which is taken (and emptied) whatever the outcome. Each word is written in text
 * render mode 3 over its box, in a glyphless Type0 font whose ToUnicode CMap makes
 * copy, paste and search give the recognised characters. REBUILD_ETEXT if the page
 * is not there, already has text, or a box leaves it. Thread-safe like add_page. If
 * a document ends up with more than REBUILD_MAX_CIDS distinct characters, it is
 * written without any text layer. */
int rebuild_pdf_set_text(struct rebuild_pdf *pdf, uint32_t index, struct ocr_page *text);

/* Pages given a text layer so far. */
uint32_t rebuild_pdf_text_pages(struct rebuild_pdf *pdf);

/* Pages added so far. */
uint32_t rebuild_pdf_pages(struct rebuild_pdf *pdf);

/* Finish the document into out (appended) and free pdf; pdf is freed also on error.
 * REBUILD_EFRAMES if a page below the highest one added is missing. */
int rebuild_pdf_finish(struct rebuild_pdf *pdf, struct rebuild_buf *out);

/* Free an unfinished document. */
void rebuild_pdf_free(struct rebuild_pdf *pdf);

/* The writer and its encoders' versions, for attestations. */
const char *rebuild_engine_version(void);

#endif
