/*
 * rebuild_page.c — one PDF page's pixels encoded as what keeps them small.
 *
 * Photographic pages (photos, scans: no one tone holds half the page) become JPEG,
 * a scan's paper made white first; flat pages (text, drawings) keep 16 levels per
 * channel, or 4 grey levels when dense, under Flate (docs/sanitizer.md, "Page
 * encodings", and docs/sanitizer-performance.md have the measurements behind each
 * choice). A page's encoding keeps no state outside the
 * page, so pages are encoded on several threads at once.
 */
#include "rebuild_internal.h"

#include <stdlib.h>
#include <string.h>

#include "tone.h"

#define REBUILD_PHOTO_DOMINANT	0.5	/* the most common luma's share below which a
					 * page is photographic */

/* The histogram of n pixels' grey (their luma, for RGB). Four histograms summed at
 * the end, so that a run of one value (a white page) does not make every increment
 * wait for the one before it. */
static void
luma_histogram(const uint8_t *px, uint64_t n, unsigned channels, uint64_t hist[256])
{
	uint32_t part[4][256];
	uint64_t i;

	memset(part, 0, sizeof part);
	if (channels == 1) {
		for (i = 0; i + 4 <= n; i += 4) {
			part[0][px[i]]++;
			part[1][px[i + 1]]++;
			part[2][px[i + 2]]++;
			part[3][px[i + 3]]++;
		}
		for (; i < n; i++)
			part[0][px[i]]++;
	} else {
		for (i = 0; i < n; i++, px += 3)
			part[i & 3][tone_luma(px)]++;
	}
	for (i = 0; i < 256; i++)
		hist[i] = (uint64_t)part[0][i] + part[1][i] + part[2][i] + part[3][i];
}

/* rebuild_is_photographic, from the page's luma histogram. */
static int
photographic(const uint64_t hist[256], uint64_t n)
{
	uint64_t top = 0;
	unsigned v;

	for (v = 0; v < 256; v++)
		if (hist[v] > top)
			top = hist[v];
	return n > 0 && (double)top < REBUILD_PHOTO_DOMINANT * (double)n;
}

int
rebuild_is_photographic(const uint8_t *px, uint32_t w, uint32_t h, unsigned channels)
{
	uint64_t hist[256], n = (uint64_t)w * h;

	luma_histogram(px, n, channels, hist);
	return photographic(hist, n);
}

/* Paper, on a scanned page: see paper_levels. */
#define REBUILD_PAPER_MIN	160
#define REBUILD_PAPER_SPREAD	16
#define REBUILD_PAPER_SHARE	0.4
#define REBUILD_PAPER_MARGIN	12	/* ~3 standard deviations of a scanner's grain */
#define REBUILD_PAPER_TINT	24

/* The paper's colour on an RGB page whose paper has the luma mode: each channel's
 * median over the pixels of that luma, give or take REBUILD_PAPER_SPREAD, on every
 * fourth row: a page's paper is a million pixels, and a quarter of them has the
 * same median. None (n 0) gives black paper, which paper_levels refuses. */
static void
paper_colour(const struct pixels_header *h, const uint8_t *px, unsigned mode,
    unsigned paper[3])
{
	uint64_t chan[3][256] = { { 0 } }, n = 0;
	size_t stride = pixels_row_bytes(h);
	uint32_t x, y;
	unsigned c;

	for (y = 0; y < h->height; y += 4)
		for (x = 0; x < h->width; x++) {
			const uint8_t *p = px + (size_t)y * stride + (size_t)x * 3;
			unsigned v = tone_luma(p);

			if (v + REBUILD_PAPER_SPREAD >= mode && v <= mode + REBUILD_PAPER_SPREAD) {
				for (c = 0; c < 3; c++)
					chan[c][p[c]]++;
				n++;
			}
		}
	for (c = 0; c < 3; c++)
		paper[c] = tone_median(chan[c], n);
}

/* Whether a page has paper: one bright tone (a luma of at least REBUILD_PAPER_MIN)
 * that REBUILD_PAPER_SHARE of the pixels lie within REBUILD_PAPER_SPREAD of (hist is
 * the page's luma histogram), and on a colour page a near-neutral one (its channels'
 * medians within REBUILD_PAPER_TINT of each other: white, grey or cream paper, not a
 * coloured form or a pale sky). If so, lut[c] makes channel c white from
 * REBUILD_PAPER_MARGIN below the paper's up and stretches the darker tones to fill
 * the range. Grain on the paper is what makes a scan large as JPEG; a scanner's own
 * background removal does the same. On a colour page each channel is levelled to
 * its own paper, which takes the paper's tint away too: a colour scan of the
 * benchmark's notice (raw pixels) was 354 KB a page as is, 303 KB levelled (its
 * grey scan 290 KB). */
static int
paper_levels(const struct pixels_header *h, const uint8_t *px, const uint64_t hist[256],
    uint8_t lut[3][256])
{
	uint64_t n = (uint64_t)h->width * h->height, near = 0;
	unsigned mode = 0, v, c, paper[3], lo, hi;

	for (v = 1; v < 256; v++)
		if (hist[v] > hist[mode])
			mode = v;
	if (mode < REBUILD_PAPER_MIN || mode == 255)
		return 0;
	for (v = mode - REBUILD_PAPER_SPREAD; v <= mode + REBUILD_PAPER_SPREAD && v < 256; v++)
		near += hist[v];
	if ((double)near < REBUILD_PAPER_SHARE * (double)n)
		return 0;
	paper[0] = paper[1] = paper[2] = mode;
	if (h->channels == 3) {
		paper_colour(h, px, mode, paper);
		lo = paper[0] < paper[1] ? paper[0] : paper[1];
		lo = lo < paper[2] ? lo : paper[2];
		hi = paper[0] > paper[1] ? paper[0] : paper[1];
		hi = hi > paper[2] ? hi : paper[2];
		if (hi - lo > REBUILD_PAPER_TINT || lo <= REBUILD_PAPER_MARGIN)
			return 0;
	}
	for (c = 0; c < h->channels; c++) {
		unsigned white = paper[c] - REBUILD_PAPER_MARGIN;

		for (v = 0; v < 256; v++)
			lut[c][v] = (uint8_t)(v >= white ? 255 : v * 255 / white);
	}
	return 1;
}

/* px with its paper made white by lut (paper_levels), in a new buffer; NULL out of
 * memory. */
static uint8_t *
levelled(const struct pixels_header *h, const uint8_t *px, uint8_t lut[3][256])
{
	size_t n = (size_t)h->width * h->height, i;
	uint8_t *out = malloc(n * h->channels);

	if (out == NULL)
		return NULL;
	if (h->channels == 1) {
		for (i = 0; i < n; i++)
			out[i] = lut[0][px[i]];
	} else {
		for (i = 0; i < 3 * n; i += 3) {
			out[i] = lut[0][px[i]];
			out[i + 1] = lut[1][px[i + 1]];
			out[i + 2] = lut[2][px[i + 2]];
		}
	}
	return out;
}

static int
encode_jpeg_page(const struct pixels_header *h, const uint8_t *px, const uint64_t hist[256],
    struct rebuild_page *pg)
{
	unsigned char *jpeg = NULL;
	unsigned long jpeg_len = 0;
	uint8_t *level = NULL, lut[3][256];
	int rc;

	if (paper_levels(h, px, hist, lut)) {
		if ((level = levelled(h, px, lut)) == NULL)
			return REBUILD_ENOMEM;
		px = level;
	}
	rc = rebuild_jpeg_encode(h, px, &jpeg, &jpeg_len);
	free(level);
	if (rc != REBUILD_OK)
		return rc;
	pg->data = jpeg;
	pg->len = jpeg_len;
	pg->bits = 8;
	pg->enc = h->channels == 1 ? REBUILD_ENC_JPEG_GREY : REBUILD_ENC_JPEG_RGB;
	return REBUILD_OK;
}

/* Samples of px at bits per sample (4 or 2), each row starting on a byte as PDF
 * wants it, rounded to the nearest level; a PDF reader maps level q back to
 * q * 255 / (2^bits - 1), so 0 and 255 stay exact. */
static void
pack_samples(const struct pixels_header *h, const uint8_t *px, unsigned bits, uint8_t *out,
    size_t out_stride)
{
	size_t in_stride = pixels_row_bytes(h), x;
	unsigned levels = (1u << bits) - 1, v, per = 8 / bits;
	uint8_t lut[256];
	uint32_t y;

	for (v = 0; v < 256; v++)
		lut[v] = (uint8_t)((v * levels + 127) / 255);
	for (y = 0; y < h->height; y++) {
		const uint8_t *s = px + (size_t)y * in_stride;
		uint8_t *d = out + (size_t)y * out_stride;

		memset(d, 0, out_stride);
		if (bits == 4) {
			for (x = 0; x + 1 < in_stride; x += 2)
				d[x / 2] = (uint8_t)(lut[s[x]] << 4 | lut[s[x + 1]]);
			if (x < in_stride)
				d[x / 2] = (uint8_t)(lut[s[x]] << 4);
		} else {
			for (x = 0; x < in_stride; x++)
				d[x / per] |= (uint8_t)(lut[s[x]] << (bits * (per - 1 - x % per)));
		}
	}
}

static int
encode_flat_page(const struct pixels_header *h, const uint8_t *px, struct rebuild_page *pg)
{
	unsigned bits = 4;
	size_t stride, raw_len;
	uint8_t *raw;
	int rc;

	/* w * h * channels fits in memory already (the pixels are there), so this does
	 * not overflow; a page is far below 4 GiB. */
	stride = (pixels_row_bytes(h) * 4 + 7) / 8;
	raw_len = stride * h->height;
	if (raw_len > UINT32_MAX || (raw = malloc(raw_len)) == NULL)
		return REBUILD_ENOMEM;
	for (;;) {
		stride = (pixels_row_bytes(h) * bits + 7) / 8;
		pack_samples(h, px, bits, raw, stride);
		if ((rc = rebuild_deflate(raw, stride * h->height, &pg->data, &pg->len)) != REBUILD_OK)
			break;
		if (bits == 2 || h->channels != 1 || pg->len <= REBUILD_FLAT_BUDGET)
			break;
		free(pg->data);		/* a dense page: 4 grey levels keep it readable */
		pg->data = NULL;
		bits = 2;
	}
	free(raw);
	if (rc != REBUILD_OK)
		return rc;
	pg->bits = (uint8_t)bits;
	pg->enc = h->channels == 3 ? REBUILD_ENC_FLATE_RGB
	    : bits == 4 ? REBUILD_ENC_FLATE_GREY : REBUILD_ENC_FLATE_GREY2;
	return REBUILD_OK;
}

int
rebuild_page_encode(const struct pixels_header *h, const uint8_t *px, struct rebuild_page *pg)
{
	uint64_t hist[256];

	memset(pg, 0, sizeof(*pg));
	pg->width = h->width;
	pg->height = h->height;
	pg->channels = h->channels;
	luma_histogram(px, (uint64_t)h->width * h->height, h->channels, hist);
	if (photographic(hist, (uint64_t)h->width * h->height))
		return encode_jpeg_page(h, px, hist, pg);
	return encode_flat_page(h, px, pg);
}
