/*
 * ocr_vertical.h — whether a page is written vertically (縦書き), told before
 * Tesseract reads it.
 *
 * The OCR child reads a page as one block of horizontal lines (ocr_child.c). A page
 * set in columns from top to bottom, right to left, was then read across its
 * columns, a character of each: every character right, no word in its place, and a
 * search for any phrase found nothing. Tesseract's own page layout analysis can
 * tell vertical text, but it also took Japanese set solid across for vertical
 * (docs/sanitizer.md, "Page layout"), so the direction is told here, from the
 * page's geometry alone: characters sit close to the next character of their line
 * and farther from the next line. Across, the gap to the right is the small one;
 * down, the gap below.
 */
#ifndef SEKISHO_OCR_VERTICAL_H
#define SEKISHO_OCR_VERTICAL_H

struct Pix;		/* Leptonica's image, as Tesseract gives its black and white */

/* Whether binary, a page in black and white (1 bit per pixel) at dpi, is set in
 * vertical lines: 0 when it is set across, or when too little of it is text to
 * tell. At most OCR_VERTICAL_MAX_PARTS of its character-sized parts are looked
 * at. */
#define OCR_VERTICAL_MAX_PARTS	8000
int ocr_vertical_page(struct Pix *binary, unsigned dpi);

#endif
