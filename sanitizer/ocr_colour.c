/*
 * ocr_colour.c — a colour page folded to grey for Tesseract unless its light
 * coloured ink needs Tesseract's per-channel thresholds (ocr_colour.h).
 *
 * Light and coloured: a pixel whose channels spread OCR_COLOUR_CHROMA or more
 * (a scanner's grain and a JPEG's chroma fringes around black print stay well
 * under) with a luma of OCR_COLOUR_LIGHT or more (dark coloured ink, blue or
 * green pen, stays ink in grey). A page needs colour when such pixels are more than
 * one in OCR_COLOUR_SHARE: a line of yellow print or one highlighted line on an A4
 * page at 150 dpi is tens of times that; specks are not.
 */
#include "ocr_colour.h"

int
ocr_colour_needed(const struct ocr_pixmap *pg)
{
	uint64_t light = 0, most = (uint64_t)pg->width * pg->height / OCR_COLOUR_SHARE;
	uint32_t x, y;

	if (pg->channels != 3)
		return 0;
	for (y = 0; y < pg->height; y++) {
		const uint8_t *p = pg->px + (size_t)y * pg->stride;

		for (x = 0; x < pg->width; x++, p += 3) {
			unsigned lo = p[0], hi = p[0];

			lo = p[1] < lo ? p[1] : lo;
			lo = p[2] < lo ? p[2] : lo;
			hi = p[1] > hi ? p[1] : hi;
			hi = p[2] > hi ? p[2] : hi;
			if (hi - lo >= OCR_COLOUR_CHROMA &&
			    ocr_pixmap_grey(pg, x, y) >= OCR_COLOUR_LIGHT && ++light > most)
				return 1;
		}
	}
	return 0;
}

void
ocr_colour_fold(struct ocr_pixmap *pg)
{
	uint32_t x, y;

	if (pg->channels != 3)
		return;
	/* Row y's grey lands at y * width, never past what row y still has to read. */
	for (y = 0; y < pg->height; y++)
		for (x = 0; x < pg->width; x++)
			pg->px[(size_t)y * pg->width + x] = ocr_pixmap_grey(pg, x, y);
	pg->channels = 1;
	pg->stride = pg->width;
}
