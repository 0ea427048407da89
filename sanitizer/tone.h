/*
 * tone.h — a pixel's grey, and the median of a page's 256 tones.
 *
 * One luma for the whole sanitizer: the parent judges a page's paper by it
 * (rebuild_page.c) and the OCR child reads colour pages in it (ocr.h), with
 * ITU-R BT.601's weights in 1/256ths, as JPEG's YCbCr and Leptonica's
 * pixConvertRGBToLuminance. The page measures (the paper under a seal, a scan's
 * paper colour, a field of paper tiles) count tones into 256 bins and take the
 * median: the paper's grey whatever print, grain or ink lies on it, as long as it is
 * half of what was counted.
 */
#ifndef SEKISHO_TONE_H
#define SEKISHO_TONE_H

#include <stdint.h>

/* The grey of the RGB pixel p. */
static inline uint8_t
tone_luma(const uint8_t *p)
{
	return (uint8_t)((77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8);
}

/* The tone that half of hist's n counts are at or below (255 if none is). */
static inline unsigned
tone_median(const uint64_t hist[256], uint64_t n)
{
	uint64_t below = 0;
	unsigned v;

	for (v = 0; v < 255; v++) {
		below += hist[v];
		if (below * 2 >= n)
			break;
	}
	return v;
}

#endif
