/*
 * preview.h — the small picture of a file's first page that the citizen sees on the
 * form after the sanitizer has passed it (確認用画像).
 *
 * Made in the parent from the first frame of the pixel stream the sandboxed renderer
 * wrote (already bounded by the stream reader's limits), box-filtered down and
 * encoded with the same PNG encoder as reconstructed images: it is as free of the
 * original's bytes as the reconstruction itself.
 */
#ifndef SEKISHO_SANITIZER_PREVIEW_H
#define SEKISHO_SANITIZER_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "pixels.h"
#include "rebuild.h"

#define PREVIEW_MAX_SIDE 320	/* px, the longer side */
#define PREVIEW_DPI	 72	/* a page rendered only for its preview: A4 is 595 px
				 * high, scaled down from there */

/* Encode the first frame of the pixel stream (len bytes at stream, read with lim)
 * scaled to fit PREVIEW_MAX_SIDE as PNG into out. 0, or a REBUILD_* / pixels error. */
int preview_from_stream(const uint8_t *stream, size_t len, const struct pixels_limits *lim,
			struct rebuild_buf *out);

#endif
