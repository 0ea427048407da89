/*
 * ocr_rules.h — a page's ruled lines (罫線), found and erased before Tesseract reads it.
 *
 * The OCR child reads a page as one block of lines (PSM_SINGLE_BLOCK, ocr_page_prep.c),
 * which leaves out Tesseract's page layout analysis and with it Tesseract's own
 * removal of ruled lines. A form's table then read as almost nothing: its rules were
 * taken for text and the rows between them went with them (a drawn 住民異動届 of ten
 * ruled rows gave "la ーー" for the whole table). So the rules are found in
 * Tesseract's black and white much as its line finder finds them — thin (under
 * dpi/20), long (across at least dpi/2, down at least dpi/3) — but only in a connected
 * part of the page at least an inch long (a table's grid, a box, a rule on its own;
 * not a letter's stroke, up to letters of 72 pt); and dotted or dashed rules (点線),
 * rows of dots too small and flat to be parts of letters. They are painted white in
 * the page.
 */
#ifndef SEKISHO_OCR_RULES_H
#define SEKISHO_OCR_RULES_H

#include <stdint.h>

#include "ocr.h"

struct Pix;		/* Leptonica's image, as Tesseract gives its black and white */

/* The mask (1 bit per pixel, binary's size) of the ruled lines of binary, a page in
 * black and white at dpi, widened by a pixel for their smoothed edges; NULL when
 * there are none (or memory ran out). The caller frees it with ocr_rules_free. */
struct Pix *ocr_rules_find(struct Pix *binary, unsigned dpi);

/* Paint the pixels of pm under mask paper grey (ocr_light.h; 255 on white paper);
 * nothing unless mask is pm's size. */
void ocr_rules_erase(struct Pix *mask, const struct ocr_pixmap *pm, uint8_t paper);

void ocr_rules_free(struct Pix *mask);

#endif
