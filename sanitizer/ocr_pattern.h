/*
 * ocr_pattern.h — a background pattern (地紋) under the print, found and whitened
 * before Tesseract reads the page.
 *
 * Certificates (住民票の写し, 戸籍謄本, 課税証明書) are printed on security paper:
 * fine pale lines over the whole sheet, under the print. Scanned, the lines are
 * light grey strokes everywhere, and Tesseract reads them: its black and white
 * keeps them beside the characters, and its recogniser reads the page's own greys,
 * lines and all. A drawn form on such a ground gave 566 characters of noise and
 * none of its own; the benchmark's Japanese page 3 % of its characters. Whitened
 * (every pixel lighter than the print painted the paper's grey) they read 97 %.
 *
 * A pattern is told from what else is light grey on a page by where it lies: away
 * from the print (a letter's smoothed edge is next to its stroke), and over nearly
 * the whole page, margins included (a shaded box, a photo, a grey heading or
 * footnote lie in a part of it). A page without dark print has nothing to keep
 * apart from its ground, and is left as it is.
 */
#ifndef SEKISHO_OCR_PATTERN_H
#define SEKISHO_OCR_PATTERN_H

#include <stdint.h>

#include "ocr.h"

/* The grey from which pixels of pg, a page at dpi whose paper is paper's grey
 * (ocr_light.h), are its background pattern or paper, not print; 0 when pg has no
 * such pattern. */
uint8_t ocr_pattern_cut(const struct ocr_pixmap *pg, unsigned dpi, uint8_t paper);

/* Paint every pixel of pg at least cut light the paper's grey. */
void ocr_pattern_erase(const struct ocr_pixmap *pg, uint8_t cut, uint8_t paper);

#endif
