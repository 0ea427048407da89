/*
 * photo.h — the phone-photo formats MuPDF 1.21 cannot decode (WebP, HEIC/HEIF),
 * decoded inside the render child (render.h) into the same pixel stream.
 *
 * These run only in the sandboxed child, on a copy of the hostile file in memory:
 * libwebp and libheif (with libde265 for HEVC) are as exposed as MuPDF is, and are
 * confined the same way. Each decoder checks the declared size against the render
 * limits before it allocates a pixel, decodes on the calling thread only (the
 * seccomp filter forbids clone), composites any alpha over white and applies the
 * format's own orientation (HEIF's irot/imir boxes, which libheif applies by
 * default), so the frame is the picture as it is meant to be seen. Nothing but
 * pixels leaves: no EXIF, XMP, ICC profile or depth map.
 */
#ifndef SEKISHO_PHOTO_H
#define SEKISHO_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "pixels.h"
#include "render.h"

/* Decode the WebP in data (len bytes; a still image, the first frame of nothing
 * else) and write one frame to w. Returns RENDER_EXIT_OK, _LIMITS (size over
 * lim), _BROKEN (not decodable, animated) or _IO. */
int photo_webp(const uint8_t *data, size_t len, const struct render_limits *lim,
    struct pixels_writer *w);

/* Decode the primary image of the HEIF/HEIC in data, transformations applied, and
 * write one frame to w. Return codes as photo_webp. */
int photo_heif(const uint8_t *data, size_t len, const struct render_limits *lim,
    struct pixels_writer *w);

/* The linked libwebp's version ("libwebp/1.2.4") into buf, for attestations. */
void photo_webp_version(char *buf, size_t len);
/* "libheif/1.15.1 (libde265)", for attestations. */
const char *photo_heif_version(void);

#endif
