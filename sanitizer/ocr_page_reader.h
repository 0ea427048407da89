/*
 * ocr_page_reader.h — the OCR child's page reader, shared by its parts; nothing outside
 * the child (ocr_child.c) uses it. A page is read in three steps, each a file:
 *
 *   ocr_page_prep.c    made ready: its shades and ruled lines found and erased,
 *                      what is to be read another way (rows across a vertical
 *                      page, a form's labels down) set aside, in bands its band
 *                      kept;
 *   ocr_page_across.c  read across by the pair of readers, line by line the
 *                      better reading kept; a page upside down read turned; its
 *                      shades;
 *   ocr_page_down.c    read down: a vertical page, a page on its side, and what
 *                      was set aside (page_read_across, page_read_islands).
 *
 * Whatever a page reader reads it appends to an ocr_out, in ocr.h's format.
 */
#ifndef SEKISHO_OCR_PAGE_READER_H
#define SEKISHO_OCR_PAGE_READER_H

#include <stddef.h>
#include <stdint.h>

#include <tesseract/capi.h>

#include "ocr.h"
#include "ocr_out.h"
#include "ocr_reading.h"
#include "ocr_shade.h"
#include "ocr_vertical.h"

#define PROBE_LINES		3	/* first lines the other reader tries */
#define SHADE_MIN_CONF		50	/* a shade's line read less surely is noise */
#define UPRIGHT_CONF		60	/* a page read less surely may be upside down */
#define TURN_GAIN		20	/* turned, its first lines read this much better */
#define TURN_MIN_CHARS		20	/* a page (or band) read with fewer characters:
					 * not told */

struct page_reader {
	TessBaseAPI *primary, *other;	/* other: NULL for a single reader */
	TessBaseAPI *layout;		/* finds the lines that place a band's cuts */
	TessBaseAPI *vert;		/* jpn_vert, or NULL */
	int primary_is_eng;
	int vertical;			/* this page is written vertically */
	struct ocr_rows across[OCR_VERTICAL_MAX_ACROSS];	/* and these rows across */
	unsigned nacross;
	struct ocr_box island[OCR_VERTICAL_MAX_ISLANDS];	/* or, across, these */
	unsigned nisland;		/* short columns standing alone */
	uint8_t *aside;			/* the page before its rows across or its short
					 * columns were erased */
	size_t aside_cap;
	uint32_t band_lo, band_hi;	/* the band read, when in bands (page_keep_band_only) */
	uint8_t paper;			/* its paper's grey, painted where erasing */
	uint8_t threshold;		/* OCR_THRESHOLD_* the readers are set to */
	uint8_t line_dir;		/* OCR_DIR_* of the lines being put, on the page */
	int half_turned;		/* reading the page turned upside down (px is
					 * pr->turned): boxes are turned back when put */
	uint8_t *turned;		/* the page turned a half turn, when read so */
	size_t turned_cap;
	double conf;			/* sum of confidence x characters put, */
	uint32_t chars;			/* and those characters: this page's reading */
	const struct pixels_header *h;
	const uint8_t *px;
	size_t stride;
	unsigned dpi;
	int other_has_page;
	int probed;			/* a first page chose the primary */
	struct ocr_reading mine, theirs, merged;
	uint32_t nlines, nwords, reread;
	uint32_t chars_jpn, chars_eng;	/* code points of lines read best by each */
	double min_line_conf;		/* a line read less surely is dropped; -1 none */
	struct ocr_shade shade[OCR_MAX_SHADES];	/* this page's (ocr_shade.h) */
	unsigned nshade;
	uint8_t *shade_px;		/* a grey page: the shades, dark on white */
	size_t shade_cap;
};

/*
 * The ways a page whose lines run down it (ocr_vertical) may be set: written
 * vertically (縦書き), read by jpn_vert; or written across and scanned on its side,
 * read by the primary as lines running down, the page as it is (turned a quarter
 * clockwise) or turned a half turn (a quarter anticlockwise); or written vertically
 * and upside down. dir is the way its lines run on the page, turns the quarter
 * turns clockwise that show it upright.
 */
struct page_down_way {
	uint8_t vertical, half, dir, turns;
};
extern const struct page_down_way page_down_ways[4];

/* ---- ocr_page_prep.c ---- */

/* Set every reader to make pages black and white as threshold (OCR_THRESHOLD_*). */
void page_set_threshold(struct page_reader *pr, uint8_t threshold);
/* Give api the whole page (a rectangle set before is gone). */
void page_give(TessBaseAPI *api, const struct page_reader *pr);
/* The primary is to read the page as one block of horizontal lines. */
void page_to_primary(struct page_reader *pr);
/* Paint px's rows y0 to y1, or its box b (with from: copy it there from from), its
 * paper's grey. */
void page_paint_rows(const struct page_reader *pr, uint8_t *px, uint32_t y0, uint32_t y1);
void page_paint_box(const struct page_reader *pr, uint8_t *px, const struct ocr_box *b,
		    const uint8_t *from);
/* Make the page given to api ready to be read; whether anything was erased from px. */
int page_prepare(struct page_reader *pr, TessBaseAPI *api, uint8_t *px);
/* Keep only band band of bands of the page; 0 if it is empty. */
int page_keep_band_only(struct page_reader *pr, uint8_t *px, unsigned band, unsigned bands);
/* Paint px its paper's grey but for the band kept. */
void page_paint_other_bands(const struct page_reader *pr, uint8_t *px);

/* ---- ocr_page_across.c ---- */

/* The other reader leads from now on. */
void page_swap_readers(struct page_reader *pr);
/* Before the first page a child reads: let the other reader lead if it suits. */
void page_choose_primary(struct page_reader *pr);
/* The page px turned a half turn into pr->turned; 0, or -1 out of memory. */
int page_turn(struct page_reader *pr, const uint8_t *px, size_t stride);
/* Read from now on the page turned a half turn, or again as it is. */
void page_read_turned(struct page_reader *pr, uint8_t *px, size_t stride, int turned);
/* Whether the page just read is upside down; if so, it stays turned for reading. */
int page_upside_down(struct page_reader *pr, uint8_t *px, size_t stride);
/* Put the lines and words of the page the primary has just recognised. */
void page_put(struct page_reader *pr, struct ocr_out *o);
/* Forget what was put of the page from start on, and its counts. */
void page_restart(struct page_reader *pr, struct ocr_out *o, size_t start);
/* Read the page's shades, on their own white page. */
void page_read_shades(struct page_reader *pr, struct ocr_out *o);

/* ---- ocr_page_down.c ---- */

/* Read a page whose lines run down it; the way it was read. */
const struct page_down_way *page_read_vertical(struct page_reader *pr, struct ocr_out *o,
					       uint8_t *px, size_t stride);
/* Read a vertical page's rows across, its columns read. */
void page_read_across(struct page_reader *pr, struct ocr_out *o, uint8_t *px);
/* Read a page's short columns standing alone, each on its own, the page read. */
void page_read_islands(struct page_reader *pr, struct ocr_out *o, uint8_t *px, size_t stride,
		       int banded, int upside_down);

#endif
