/*
 * ocr_reading.h — what one Tesseract reader read on one line: its words (each a
 * record of ocr.h's format and its text) and how they score, so that two readers'
 * readings of the same line can be weighed against each other (ocr_page_across.c).
 */
#ifndef SEKISHO_OCR_READING_H
#define SEKISHO_OCR_READING_H

#include <stdint.h>

#include <tesseract/capi.h>

#include "ocr_out.h"
#include "pixels.h"

struct ocr_reading_word {
	uint8_t rec[10];		/* its 'W' record: box and length */
	uint32_t off;			/* its text in the reading's text */
	uint32_t cjk;			/* kana and kanji in it */
};

/* The words one reader read on one line, and how they score. */
struct ocr_reading {
	struct ocr_reading_word *w;
	uint32_t nwords, cap;
	struct ocr_out text;
	uint32_t chars, latin, cjk;	/* code points: all, ASCII letters, kana/kanji */
	double conf;			/* sum over words of confidence x code points */
	float min_conf;			/* the least sure word's */
	int failed;
};

/* Empty r for a new line (its memory kept); free it with ocr_reading_free. */
void ocr_reading_reset(struct ocr_reading *r);
void ocr_reading_free(struct ocr_reading *r);

/* Add the word at the iterator, on a page of h's size, to r. */
void ocr_reading_add_word(struct ocr_reading *r, TessResultIterator *it,
			  const struct pixels_header *h);

/* The mean confidence of r's characters; -1 when it has none. */
double ocr_reading_conf(const struct ocr_reading *r);

/* Into out, the eng reading e of a line with j's (jpn's) kana and kanji words in
 * their places. */
void ocr_reading_merge_cjk(const struct ocr_reading *e, const struct ocr_reading *j,
			   struct ocr_reading *out);

/* Read box (x0, y0)-(x1, y1) of the page given to api (of h's size) as one line,
 * into r. */
void ocr_reading_line(TessBaseAPI *api, const struct pixels_header *h, int x0, int y0, int x1,
		      int y1, struct ocr_reading *r);

#endif
