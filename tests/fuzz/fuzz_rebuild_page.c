/*
 * fuzz_rebuild_page.c — a page of arbitrary pixels through the PDF rebuild.
 *
 * The pixels come from the sandboxed renderer, which drew them from a hostile file:
 * every value may be anything. The parent encodes them without judging them, and
 * every page of valid size must come out as a page: photographic or flat, grey or
 * colour, with paper or without (paper_levels, which divides by the paper's level).
 * Input: width - 1, height - 1 (one byte each, so at most 256 x 256) and a channel
 * byte (odd: RGB), then the pixels, repeated to fill the page when short. Seeds:
 * tests/fuzz/corpus/fuzz_rebuild_page/ (a scanned colour page with cream paper, a
 * grey one, a page of text). Checks: the page is accepted, its encoding has its
 * channels, and the document is a PDF that ends in %%EOF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rebuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pixels_header h = { 0 };
	struct rebuild_pdf *pdf;
	struct rebuild_buf out = { 0 };
	enum rebuild_encoding enc;
	uint8_t *px;
	size_t n, i;
	int rc, grey;

	if (size < 4)
		return 0;
	h.width = (uint32_t)data[0] + 1;
	h.height = (uint32_t)data[1] + 1;
	h.channels = data[2] & 1 ? 3 : 1;
	h.depth = 8;
	data += 3;
	size -= 3;
	n = (size_t)h.width * h.height * h.channels;
	if ((px = malloc(n)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		px[i] = data[i % size];
	if ((pdf = rebuild_pdf_new(150)) == NULL) {
		free(px);
		return 0;
	}
	rc = rebuild_pdf_add_page(pdf, &h, px, &enc);
	free(px);
	if (rc != REBUILD_OK) {
		rebuild_pdf_free(pdf);
		if (rc == REBUILD_ENOMEM)
			return 0;
		abort();
	}
	grey = enc == REBUILD_ENC_FLATE_GREY || enc == REBUILD_ENC_FLATE_GREY2 ||
	    enc == REBUILD_ENC_JPEG_GREY;
	if (grey != (h.channels == 1))
		abort();
	rc = rebuild_pdf_finish(pdf, &out);	/* frees pdf */
	if (rc != REBUILD_OK && rc != REBUILD_ENOMEM)
		abort();
	if (rc == REBUILD_OK && (out.len < 16 || memcmp(out.p, "%PDF-", 5) != 0 ||
	    memcmp(out.p + out.len - 6, "%%EOF\n", 6) != 0))
		abort();
	rebuild_buf_free(&out);
	return 0;
}
