/*
 * histogram.h — the median of a page's 256 tones.
 *
 * The page measures (the paper under a seal, a scan's paper colour, a field of
 * paper tiles) count tones into 256 bins and take the median: the paper's grey
 * whatever print, grain or ink lies on it, as long as it is half of what was counted.
 */
#ifndef SEKISHO_HISTOGRAM_H
#define SEKISHO_HISTOGRAM_H

#include <stdint.h>

/* The tone that half of hist's n counts are at or below (255 if none is). */
static inline unsigned
histogram_median(const uint64_t hist[256], uint64_t n)
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
