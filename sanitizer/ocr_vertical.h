/*
 * ocr_vertical.h — whether a page is written vertically (縦書き), told before
 * Tesseract reads it.
 *
 * The OCR child reads a page as one block of horizontal lines (ocr_page_prep.c). A page
 * set in columns from top to bottom, right to left, was then read across its
 * columns, a character of each: every character right, no word in its place, and a
 * search for any phrase found nothing. Tesseract's own page layout analysis can
 * tell vertical text, but it also took Japanese set solid across for vertical
 * (docs/sanitizer-ocr.md, "Page layout"), so the direction is told here, from the
 * page's geometry alone: characters sit close to the next character of their line
 * and farther from the next line. Across, the gap to the right is the small one;
 * down, the gap below.
 *
 * A vertical page may still have lines across: its heading, or its issuer's name
 * under the columns. Read down, such a line came out as short columns of noise, so
 * those bands of the page are told apart (ocr_vertical_across) and read across.
 * The other way round, a page across may have a few words down: a form's label
 * written down its narrow cell. Read across, its characters were lost and spoilt
 * the rows beside them, so such columns are told apart too (ocr_vertical_islands)
 * and read down.
 */
#ifndef SEKISHO_OCR_VERTICAL_H
#define SEKISHO_OCR_VERTICAL_H

#include <stdint.h>

struct Pix;		/* Leptonica's image, as Tesseract gives its black and white */

/* Whether binary, a page in black and white (1 bit per pixel) at dpi, is set in
 * vertical lines: 0 when it is set across, or when too little of it is text to
 * tell. At most OCR_VERTICAL_MAX_PARTS of its character-sized parts are looked
 * at. */
#define OCR_VERTICAL_MAX_PARTS	8000
int ocr_vertical_page(struct Pix *binary, unsigned dpi);

/* Rows y0 to y1 (exclusive) of a page, the whole width. */
struct ocr_rows {
	uint32_t y0, y1;
};

/*
 * Of binary, a page told vertical: the bands of rows written across, as a heading
 * over the columns or a line under them is set, into rows (top to bottom, each
 * widened to halfway to its neighbour), at most OCR_VERTICAL_MAX_ACROSS; how many.
 * 0 when there is none, when there are more, or when nothing is left in columns.
 */
#define OCR_VERTICAL_MAX_ACROSS	8
unsigned ocr_vertical_across(struct Pix *binary, unsigned dpi, struct ocr_rows *rows);

/* A box of a page: x0 to x1, y0 to y1 (exclusive). */
struct ocr_box {
	uint32_t x0, y0, x1, y1;
};

/*
 * Of binary, a page told across: its short columns standing alone (a form's label
 * written down a narrow cell: 届出人; or spread over it, 均等割付, not across a rule
 * of rules, the mask of its ruled lines or NULL), into boxes (top to bottom, each
 * with a margin of a quarter character), at most OCR_VERTICAL_MAX_ISLANDS; how many.
 * 0 when there is none, or more.
 */
#define OCR_VERTICAL_MAX_ISLANDS	16
unsigned ocr_vertical_islands(struct Pix *binary, struct Pix *rules, unsigned dpi,
			      struct ocr_box *boxes);

#endif
