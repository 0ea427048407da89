/*
 * ocr_light.h — a page's paper: its grey, and whether it is lit unevenly (照明むら),
 * told before Tesseract makes the page black and white.
 *
 * Tesseract turns a page black and white with one threshold for the whole page
 * (Otsu). That suits a scan, whose paper is one grey from corner to corner. A
 * document photographed with a phone and sent as a PDF is darker on one side than
 * the other: its paper runs from near white to the grey of its print, and one
 * threshold blackens the dim side or drops the print of the bright one (the
 * benchmark's Japanese page, lit from 95 % down to 45 %: 4 of its 36 lines read).
 * Such a page is made black and white by Sauvola's local threshold instead, which
 * Tesseract has built in (ocr_page_prep.c). Only such pages: on paper lit evenly the
 * page is read as it always was.
 *
 * The paper's grey matters on evenly lit pages too. The OCR child erases parts of a
 * page before Tesseract sees it (ruled lines, shades, the rest of the page around a
 * band); painted pure white on a scan's grey paper, the erased part is a second
 * ground, and where the print is sparse (a form) Otsu's threshold falls between the
 * two grounds: the paper goes black with its print. A scanned form (paper at 232)
 * read in bands had no text layer at all. So the child paints the paper's grey.
 */
#ifndef SEKISHO_OCR_LIGHT_H
#define SEKISHO_OCR_LIGHT_H

#include "ocr.h"

#define OCR_LIGHT_MIN_DRIFT	24	/* grey levels across the paper: uneven */

struct ocr_light {
	uint8_t paper;		/* the grey of most of the page's paper (255 when
				 * there is too little paper to tell) */
	uint8_t uneven;		/* its light drifts by OCR_LIGHT_MIN_DRIFT or more */
};

/* Measure the paper of pg, a page at dpi: its grey, which is what the OCR child
 * paints where it erases (a rule, a shade, the page outside a band: pure white on
 * grey paper is a second ground to Otsu's threshold, which then splits the two
 * grounds and loses the print), and whether its light drifts gradually from one
 * part of the page to another by at least OCR_LIGHT_MIN_DRIFT. A page with too
 * little paper to tell (a photo) is even, its paper white. */
void ocr_light_measure(const struct ocr_pixmap *pg, unsigned dpi, struct ocr_light *out);

#endif
