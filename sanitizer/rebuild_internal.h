/*
 * rebuild_internal.h — what the rebuild's files share, and nothing outside them uses:
 * the output buffer's append and printf, the encoders, an encoded page waiting for
 * its place in the document, and the text layer's parts.
 */
#ifndef SEKISHO_REBUILD_INTERNAL_H
#define SEKISHO_REBUILD_INTERNAL_H

#include "rebuild.h"

/* One page, encoded, waiting for its place in the document. */
struct rebuild_page {
	uint8_t *data;		/* the image stream's bytes (NULL: slot empty) */
	size_t len;
	uint32_t width, height;
	uint8_t channels, bits;
	enum rebuild_encoding enc;
	struct ocr_page *text;	/* the OCR text layer, or NULL */
};

/* Append len bytes of data to b. */
int rebuild_buf_append(struct rebuild_buf *b, const void *data, size_t len);

/* Append fmt's printf to b; REBUILD_EENCODE past 511 bytes (the writer's templates
 * are short). */
int rebuild_emit(struct rebuild_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append PDF object obj to out as a Flate stream of data, with extra entries in its
 * dictionary. */
int rebuild_emit_flate(struct rebuild_buf *out, uint32_t obj, const char *extra,
    const uint8_t *data, size_t len);

/* in deflated as one zlib stream (a PDF reader's FlateDecode) at REBUILD_FLATE_LEVEL,
 * into *out (malloc'd), *outlen bytes. */
int rebuild_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen);

/* px as a JPEG at REBUILD_JPEG_QUALITY (JFIF, no other marker), into *out (malloc'd),
 * *outlen bytes. */
int rebuild_jpeg_encode(const struct pixels_header *h, const uint8_t *px, unsigned char **out,
    unsigned long *outlen);

/* Encode px as one page into pg (zeroed first; its data is malloc'd). */
int rebuild_page_encode(const struct pixels_header *h, const uint8_t *px,
    struct rebuild_page *pg);

/* The character ids of a document: id i + 1 is code point cps[i] (sorted). */
struct rebuild_cidmap {
	uint32_t *cps;
	uint32_t n;
};

/* Every code point of every word of the count pages, sorted and unique, into m
 * (m->cps malloc'd). REBUILD_ETEXT past REBUILD_MAX_CIDS (two-byte ids under
 * Identity-H, 0 being unused). */
int rebuild_cidmap_make(const struct rebuild_page *pages, uint32_t count,
    struct rebuild_cidmap *m);

/* pg's text layer, at dpi, as content-stream operators appended to b. */
int rebuild_text_ops(const struct rebuild_page *pg, unsigned dpi, const struct rebuild_cidmap *m,
    struct rebuild_buf *b);

/* Objects f .. f + 5, appended to out with their offsets in off: the Type0 font /F1,
 * its CIDFont, descriptor, font file, ToUnicode and CIDToGIDMap (every id to glyph
 * 1, as Tesseract's). */
int rebuild_text_font(const struct rebuild_cidmap *m, uint32_t f, size_t *off,
    struct rebuild_buf *out);

#endif
