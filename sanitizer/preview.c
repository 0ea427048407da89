/*
 * preview.c — first frame, box filter, PNG.
 *
 * The scale factor is a whole number (every output pixel averages an s x s block of
 * the source, the edges a smaller one), so one pass over the rows with one row of
 * accumulators is enough and memory stays at a few kilobytes whatever the page size.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "preview.h"

int
preview_from_stream(const uint8_t *stream, size_t len, const struct pixels_limits *lim,
		    struct rebuild_buf *out)
{
	struct pixels_mem mem = { .p = stream, .len = len };
	struct pixels_reader r;
	struct pixels_header h, ph;
	uint8_t *row = NULL, *small = NULL;
	uint32_t *acc = NULL, s, ow, oh, y, x, ch, in_block = 0, oy = 0;
	int rc;

	pixels_reader_init(&r, pixels_mem_read, &mem, lim);
	if ((rc = pixels_reader_next(&r, &h)) != 0)
		return rc == PIXELS_END ? REBUILD_EFRAMES : rc;
	s = (h.width > h.height ? h.width : h.height) / PREVIEW_MAX_SIDE;
	if ((h.width > h.height ? h.width : h.height) % PREVIEW_MAX_SIDE != 0)
		s++;
	if (s == 0)
		s = 1;
	ow = (h.width + s - 1) / s;
	oh = (h.height + s - 1) / s;
	ch = h.channels;
	row = malloc(pixels_row_bytes(&h));
	acc = calloc((size_t)ow * ch, sizeof *acc);
	small = malloc((size_t)ow * oh * ch);
	if (row == NULL || acc == NULL || small == NULL) {
		rc = REBUILD_ENOMEM;
		goto out;
	}
	for (y = 0; y < h.height; y++) {
		if ((rc = pixels_reader_row(&r, row)) != 0)
			goto out;
		/* Block by block, not a division per pixel: that division was a third of
		 * the preview's time. */
		for (x = 0; x < h.width; x += s) {
			const uint8_t *src = row + (size_t)x * ch;
			uint32_t *dst = acc + (size_t)(x / s) * ch;
			uint32_t bw = h.width - x < s ? h.width - x : s;

			for (uint32_t k = 0; k < bw; k++, src += ch)
				for (uint32_t c = 0; c < ch; c++)
					dst[c] += src[c];
		}
		if (++in_block == s || y + 1 == h.height) {
			for (x = 0; x < ow; x++) {
				uint32_t bw = (x + 1) * s <= h.width ? s : h.width - x * s;

				for (uint32_t c = 0; c < ch; c++)
					small[((size_t)oy * ow + x) * ch + c] =
						(uint8_t)(acc[x * ch + c] / (bw * in_block));
			}
			memset(acc, 0, (size_t)ow * ch * sizeof *acc);
			in_block = 0;
			oy++;
		}
	}
	ph = (struct pixels_header){ .width = ow, .height = oh, .channels = h.channels,
				     .depth = 8 };
	/* Fastest deflate: a thumbnail shown once to the citizen is no archive. At the
	 * default level a photo's thumbnail cost more than the photo's own rebuild; at
	 * level 1 it is a fifth of that, and a fifth larger. */
	rc = rebuild_png_encode_level(&ph, small, Z_BEST_SPEED, out);
out:
	free(row);
	free(acc);
	free(small);
	return rc;
}
