/*
 * ocr_seal.h — red seals (印影) lifted off the print before Tesseract reads the page.
 *
 * A certificate carries its issuer's seal (公印: 市長之印) in vermilion over the
 * lines that certify it, and an application the applicant's seal (認印) over their
 * name. Tesseract reads a page's grey, in which a seal's red is as dark as print:
 * the lines under it read as noise (the benchmark's Japanese page with four seals
 * drawn over it: 92 % of its characters). On a colour page the seal is told apart
 * by its colour, as a scanner's red dropout (赤色ドロップアウト) does, and by its
 * shape: a compact mark of red from 7 to 45 mm across (a 認印 is 9-12 mm, a 公印
 * 18-30). Red print is not a seal and is kept: a line of red text is long and
 * thin, a red form's grid spans the page.
 *
 * Only the OCR child's copy of the page is changed; the sanitized output shows the
 * seal as it was.
 */
#ifndef SEKISHO_OCR_SEAL_H
#define SEKISHO_OCR_SEAL_H

#include "ocr.h"

#define OCR_SEAL_MAX	64	/* marks of a seal's size and shape looked at on a page */

/* Lift the red seals off pg, a page at dpi: every red pixel within a seal takes
 * the grey its red channel shows (print under the seal stays dark, the seal's
 * own ink becomes paper). How many seals; 0 for a grey page or one without. */
unsigned ocr_seal_lift(const struct ocr_pixmap *pg, unsigned dpi);

#endif
