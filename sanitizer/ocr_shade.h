/*
 * ocr_shade.h — text on shaded ground (網掛け), found and redrawn for the OCR child.
 *
 * Tesseract makes a page black and white with one threshold for the whole page
 * (Otsu). A box of mid-tone grey behind black text — a slide's title, a shaded
 * label cell — falls on the black side with its text, and white text on a dark bar
 * is a hole in black; either way the line is not read, and the page has no text
 * layer there. A shade is such an area: solid in the black-and-white page, with two
 * clearly different greys in the page's own pixels (the ground and the text). The
 * OCR child erases each shade from the page before the page is read (a solid block
 * next to a line also spoils that line's reading) and reads the shades afterwards,
 * each redrawn with its own threshold as dark text on white, at its place on an
 * otherwise white page. These functions only look at pixels the child already
 * holds; everything they find is bounded by OCR_MAX_SHADES.
 */
#ifndef SEKISHO_OCR_SHADE_H
#define SEKISHO_OCR_SHADE_H

#include <stddef.h>
#include <stdint.h>

#include "ocr.h"

#define OCR_MAX_SHADES		32	/* per page; a form with more keeps the first */

struct Pix;		/* Leptonica's image, as Tesseract gives its black and white */

struct ocr_shade {
	uint32_t x, y, w, h;		/* the area, in page pixels */
	uint8_t text, ground;		/* mean grey of the text and of the ground */
};

/* The shades of page pg at dpi, at most max into out, top to bottom; how many.
 * binary is the page in black and white (Tesseract's, 1 bit per pixel); none are
 * found if it is not pg's size. pg is only read. The areas looked at, and so those
 * of the shades found, add up to at most four times the page's. */
unsigned ocr_shade_find(struct Pix *binary, const struct ocr_pixmap *pg, unsigned dpi,
    struct ocr_shade *out, unsigned max);

/* Paint shade s of page pg paper grey (ocr_light.h; 255 on white paper). */
void ocr_shade_erase(const struct ocr_shade *s, const struct ocr_pixmap *pg, uint8_t paper);

/* Draw shade s of page pg into the grey page dst of pg's size (rows dst_stride bytes
 * apart) at its place, its text dark on white: its ground goes to 255, its text to 0,
 * grey between in proportion, so that the letters' smoothed edges stay; ruled lines
 * through it or along its edges (a shaded cell's borders) are left white. */
void ocr_shade_draw(const struct ocr_shade *s, const struct ocr_pixmap *pg,
    uint8_t *dst, size_t dst_stride);

#endif
