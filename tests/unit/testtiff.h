/*
 * testtiff.h — a multi-page TIFF written by hand for the tests: uncompressed 8-bit
 * grey, one IFD per page with its own size and resolution, little- or big-endian,
 * so that every pixel and every page of a scanner's or a fax machine's file is known.
 * Include after cmocka.h: a failed allocation fails the test.
 */
#ifndef SEKISHO_TESTTIFF_H
#define SEKISHO_TESTTIFF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One page: its size in pixels, its resolution, and its pixels: px (w * h bytes)
 * or, without px, grey everywhere. */
struct testtiff_page {
	uint16_t w, h, xres, yres;
	uint8_t grey;
	const uint8_t *px;
};

struct testtiff_buf {
	uint8_t *p;
	size_t len, cap;
};

static inline void
testtiff_put(struct testtiff_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void
testtiff_put16(struct testtiff_buf *b, int be, uint32_t v)
{
	uint8_t x[2] = { be ? (uint8_t)(v >> 8) : (uint8_t)v, be ? (uint8_t)v : (uint8_t)(v >> 8) };

	testtiff_put(b, x, 2);
}

static inline void
testtiff_set32(uint8_t *p, int be, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (be ? 24 - 8 * i : 8 * i));
}

static inline void
testtiff_put32(struct testtiff_buf *b, int be, uint32_t v)
{
	uint8_t x[4];

	testtiff_set32(x, be, v);
	testtiff_put(b, x, 4);
}

struct testtiff_tag {
	uint16_t tag, type;	/* type 3 SHORT, 4 LONG, 5 RATIONAL (value: its offset) */
	uint32_t count, value;
};

/* A TIFF of n pages, big-endian if be: per page its pixels, its two resolution
 * rationals, then its IFD, chained in order. */
static inline struct testtiff_buf
testtiff_of(const struct testtiff_page *pg, unsigned n, int be)
{
	struct testtiff_buf b = { 0 };
	uint32_t next_at = 4;
	unsigned i, k;

	testtiff_put(&b, be ? "MM" : "II", 2);
	testtiff_put16(&b, be, 42);
	testtiff_put32(&b, be, 0);		/* the first IFD's offset, set below */
	for (i = 0; i < n; i++) {
		size_t npx = (size_t)pg[i].w * pg[i].h;
		uint32_t px_at = (uint32_t)b.len, res_at;
		uint8_t *px = pg[i].px != NULL ? NULL : malloc(npx);

		if (px != NULL)
			memset(px, pg[i].grey, npx);
		testtiff_put(&b, pg[i].px != NULL ? pg[i].px : px, npx);
		free(px);
		if (b.len % 2)
			testtiff_put(&b, "", 1);
		res_at = (uint32_t)b.len;
		testtiff_put32(&b, be, pg[i].xres);
		testtiff_put32(&b, be, 1);
		testtiff_put32(&b, be, pg[i].yres);
		testtiff_put32(&b, be, 1);
		{
			const struct testtiff_tag tags[] = {
				{ 256, 3, 1, pg[i].w }, { 257, 3, 1, pg[i].h },
				{ 258, 3, 1, 8 }, { 259, 3, 1, 1 }, { 262, 3, 1, 1 },
				{ 273, 4, 1, px_at }, { 277, 3, 1, 1 }, { 278, 4, 1, pg[i].h },
				{ 279, 4, 1, (uint32_t)npx }, { 282, 5, 1, res_at },
				{ 283, 5, 1, res_at + 8 }, { 296, 3, 1, 2 },
			};

			/* The previous page's "next IFD" (the header's first) is this one. */
			testtiff_set32(b.p + next_at, be, (uint32_t)b.len);
			testtiff_put16(&b, be, sizeof tags / sizeof tags[0]);
			for (k = 0; k < sizeof tags / sizeof tags[0]; k++) {
				testtiff_put16(&b, be, tags[k].tag);
				testtiff_put16(&b, be, tags[k].type);
				testtiff_put32(&b, be, tags[k].count);
				if (tags[k].type == 3) {
					testtiff_put16(&b, be, tags[k].value);
					testtiff_put16(&b, be, 0);
				} else {
					testtiff_put32(&b, be, tags[k].value);
				}
			}
		}
		next_at = (uint32_t)b.len;
		testtiff_put32(&b, be, 0);
	}
	return b;
}

#endif
