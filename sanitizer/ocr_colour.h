/*
 * ocr_colour.h — whether Tesseract must see a colour page in colour, and the page
 * folded to grey when it need not.
 *
 * Given RGB, Tesseract thresholds each channel on its own (Otsu) and calls a pixel
 * ink when any channel does, which finds print in light colours that grey loses:
 * yellow or orange lettering, a form printed in a light ink, a highlighter's band
 * (its luma is near the paper's). But it also cuts every word and line out of the
 * colour original and keeps each as a PNG before reading it in grey: a sixth of a
 * page's time (the benchmark's notice scanned in colour, in bands: 1.22 s, its grey
 * scan 1.01 s, the colour scan folded 1.04 s). Most colour scans are black print on
 * white, dark ink, and seals already lifted (ocr_seal.h): those are folded to grey,
 * and only a page with light coloured ink is given in colour.
 */
#ifndef SEKISHO_OCR_COLOUR_H
#define SEKISHO_OCR_COLOUR_H

#include "ocr.h"

/* Whether pg (RGB) has light coloured ink: more than one pixel in OCR_COLOUR_SHARE
 * of its area whose channels differ by OCR_COLOUR_CHROMA or more and whose luma is
 * OCR_COLOUR_LIGHT or more. 0 for a grey page. */
int ocr_colour_needed(const struct ocr_pixmap *pg);

#define OCR_COLOUR_CHROMA	64
#define OCR_COLOUR_LIGHT	120
#define OCR_COLOUR_SHARE	1000

/* pg (RGB) made grey in place, each pixel its luma (ocr_pixmap_grey): its rows are
 * then width bytes apart, and pg says so. */
void ocr_colour_fold(struct ocr_pixmap *pg);

#endif
