/*
 * fuzz_pixels.c — the pixel stream reader on arbitrary bytes.
 *
 * The reader must refuse or accept without reading out of bounds, and a header it
 * accepts must be within the limits, so that allocating a row from it is safe. Rows
 * are read into a buffer of exactly pixels_row_bytes() so ASan sees any overrun.
 * Small limits keep each run fast. Seeds: tests/fuzz/corpus/fuzz_pixels/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pixels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pixels_mem m = { .p = data, .len = size };
	struct pixels_limits lim = { .max_pixels = 1u << 20, .max_bytes = 4u << 20,
	    .max_frames = 16 };
	struct pixels_reader r;
	struct pixels_header h;
	int rc;

	pixels_reader_init(&r, pixels_mem_read, &m, &lim);
	while ((rc = pixels_reader_next(&r, &h)) == 0) {
		uint8_t *row;
		uint32_t y;

		if ((uint64_t)h.width * h.height > lim.max_pixels ||
		    (h.channels != 1 && h.channels != 3) || h.depth != 8)
			abort();
		if ((row = malloc(pixels_row_bytes(&h))) == NULL)
			return 0;
		for (y = 0; y < h.height && rc == 0; y++)
			rc = pixels_reader_row(&r, row);
		free(row);
		if (rc != 0)
			break;
	}
	if (rc > 0 && rc != PIXELS_END)
		abort();
	return 0;
}
