/*
 * ocr_out.c — the OCR child's output buffer (see ocr_out.h).
 */
#include "ocr_out.h"

#include <stdlib.h>
#include <string.h>

void
ocr_out_put(struct ocr_out *o, const void *data, size_t n)
{
	if (o->failed)
		return;
	if (o->cap - o->len < n) {
		size_t ncap = o->cap ? o->cap : 16384;
		uint8_t *p;

		while (ncap - o->len < n)
			ncap *= 2;
		if ((p = realloc(o->p, ncap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = p;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, data, n);
	o->len += n;
}

void
ocr_out_u32(struct ocr_out *o, uint8_t tag, uint32_t v)
{
	uint8_t b[5] = { tag, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			 (uint8_t)v };

	ocr_out_put(o, b, 5);
}

int
ocr_out_box(int x0, int y0, int x1, int y1, uint32_t w, uint32_t h, uint8_t out[8])
{
	int v[4] = { x0, y0, x1, y1 }, lim[4] = { (int)w, (int)h, (int)w, (int)h }, i;

	for (i = 0; i < 4; i++) {
		if (v[i] < 0)
			v[i] = 0;
		if (v[i] > lim[i])
			v[i] = lim[i];
		out[2 * i] = (uint8_t)(v[i] >> 8);
		out[2 * i + 1] = (uint8_t)v[i];
	}
	return v[0] < v[2] && v[1] < v[3];
}

uint16_t
ocr_out_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
