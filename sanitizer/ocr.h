/*
 * ocr.h — the words Tesseract reads on rendered pages, for an invisible text layer.
 *
 * Tesseract is large C++ code fed with pixels a hostile file chose, so it runs only
 * in a sandboxed child (sandbox.h): the child starts from fork's copy of the trusted
 * models its parent loaded (ocr_models), or ocr_child_prepare loads them before the
 * seccomp filter closes the file system; then ocr_child reads the pages of a
 * pixel stream (pixels.h) inherited from the parent's memory and writes what it
 * recognised in the format below. The parent trusts none of it: ocr_parse checks
 * every record against the OCR_MAX_* bounds and valid UTF-8, and the PDF writer
 * (rebuild.h) checks each box against its page. A child can make a page's text
 * wrong or absent, never make a file clean or put anything but text in the PDF.
 *
 * The child's output: "SKOC" and a version byte, then for each page in order a
 * page record 'P' u32 frame, then its lines 'L' x0 y0 x1 y1, or 'D' dir x0 y0 x1 y1
 * for a line whose text runs another way (OCR_DIR_*: down a column of 縦書き or of a
 * page turned on its side, or upside down), and words 'W' x0 y0 x1 y1 len bytes (a
 * word belongs to the last line before it; a line's words in reading order), then
 * at most one 'T' u8 threshold (OCR_THRESHOLD_LOCAL: made black and white by a
 * local threshold, its paper lit unevenly, ocr_light.h), then at most one 'O' u8
 * turns (the quarter turns clockwise that show the page upright), then at most one
 * 'R' u8 reader u16 lines (which reader led the page, how many lines the other read
 * again), then 'E' u32 words. Integers are big-endian, coordinates u16 pixels from
 * the top left (x0 < x1, y0 < y1), len one byte. A page without its 'E' (the child died) is dropped.
 */
#ifndef SEKISHO_OCR_H
#define SEKISHO_OCR_H

#include <stddef.h>
#include <stdint.h>

#include "pixels.h"
#include "tone.h"

#define OCR_DEFAULT_LANGS	"jpn+eng"
#define OCR_MAX_LANGS_LEN	63	/* "jpn+eng": letters, '_' and '+' only */
#define OCR_MAX_WORDS_PER_PAGE	3000	/* a dense A4 page of small print has ~800 */
#define OCR_MAX_LINES_PER_PAGE	1000
#define OCR_MAX_WORD_BYTES	96	/* UTF-8 bytes of one word (32 kanji) */
#define OCR_MAX_PAGE_BYTES	(16u + OCR_MAX_LINES_PER_PAGE * 9u + \
				 OCR_MAX_WORDS_PER_PAGE * (10u + OCR_MAX_WORD_BYTES))
#define OCR_VERSION		2	/* 2: lines of any direction ('D'), 'O', 'T' */
#define OCR_MAGIC		"SKOC"

/* What the child's exit code means (besides 0: every page from first on). */
enum {
	OCR_EXIT_MODEL = 20,	/* the language model did not load */
	OCR_EXIT_STREAM = 21,	/* the pixel stream was not readable */
	OCR_EXIT_IO = 22,	/* writing the output failed */
};

enum ocr_error {
	OCR_OK = 0,
	OCR_ETRUNCATED = -1,	/* ended inside a page: the pages before it stand */
	OCR_EFORMAT = -2,	/* bad magic, record, order, box or UTF-8 */
	OCR_ELIMIT = -3,	/* more words, lines, bytes or pages than allowed */
	OCR_ENOMEM = -4,
};

const char *ocr_strerror(int err);

/* Who read a page ('R'): Tesseract alone, the jpn or the eng reader of a
 * jpn/eng pair leading, or jpn_vert reading a page written vertically (縦書き,
 * ocr_vertical.h) (ocr_child.c, ocr_page_down.c). */
enum {
	OCR_READER_ONE = '1',
	OCR_READER_JPN = 'j',
	OCR_READER_ENG = 'e',
	OCR_READER_VERT = 'v',
};

/* How a page was made black and white for reading ('T'): by Tesseract's one
 * threshold for the page (Otsu; not said), or locally (Sauvola), its paper lit
 * unevenly (ocr_light.h). */
enum {
	OCR_THRESHOLD_PAGE = 0,
	OCR_THRESHOLD_LOCAL = 1,
};

/* Which way a line's text runs on the page, and so which way its characters'
 * tops point: across (upright), down (tops to the right: 縦書き, or a page turned a
 * quarter clockwise), back (right to left, upside down), up (tops to the left). */
enum {
	OCR_DIR_ACROSS = 0,
	OCR_DIR_DOWN = 1,
	OCR_DIR_BACK = 2,
	OCR_DIR_UP = 3,
};

struct ocr_line {
	uint16_t x0, y0, x1, y1;
	uint8_t dir;		/* OCR_DIR_*: 'L' across, 'D' any */
};

/* A page's pixels as the OCR child holds them, to be made ready for Tesseract
 * (ocr_shade.h, ocr_rules.h): grey (channels 1) or RGB (3), 8 bits, rows stride
 * bytes apart. */
struct ocr_pixmap {
	uint8_t *px;
	uint32_t width, height;
	size_t stride;
	unsigned channels;
};

/* The side, in pixels, of the half-inch tiles a page at dpi is looked at in for its
 * paper and light (ocr_light.h) and its background pattern (ocr_pattern.h): at
 * least 16. */
static inline uint32_t
ocr_tile_side(unsigned dpi)
{
	return dpi / 2 < 16 ? 16 : dpi / 2;
}

/* The grey of pixel (x, y) of pg: its own, or an RGB pixel's luma (tone.h). */
static inline uint8_t
ocr_pixmap_grey(const struct ocr_pixmap *pg, uint32_t x, uint32_t y)
{
	const uint8_t *p = pg->px + (size_t)y * pg->stride + (size_t)x * pg->channels;

	return pg->channels == 1 ? p[0] : tone_luma(p);
}

struct ocr_word {
	uint16_t x0, y0, x1, y1;
	uint16_t line;		/* index into the page's lines */
	uint8_t len;		/* bytes of UTF-8 at text + off */
	uint32_t off;
};

/* One page's text (all malloc'd; ocr_page_free). */
struct ocr_page {
	struct ocr_line *lines;
	struct ocr_word *words;
	char *text;
	uint32_t nlines, nwords;
	uint8_t reader;		/* OCR_READER_*, or 0: not said */
	uint8_t turns;		/* quarter turns clockwise to show it upright, 0-3 */
	uint8_t threshold;	/* OCR_THRESHOLD_*: how it was made black and white */
	uint16_t reread;	/* lines the other reader read again */
};

void ocr_page_free(struct ocr_page *pg);

/* Whether jpn_vert read any of pg, so that the attestation names it: a page written
 * vertically (its reader), or lines down a page upright or upside down (a form's
 * labels written down their cells, ocr_vertical_islands). A page on its side has
 * lines down too, read by the pair's primary. */
int ocr_page_read_vertical(const struct ocr_page *pg);

/* Move src's lines and words after dst's (src is emptied; both from ocr_parse). For
 * a page read in bands, top band first. OCR_ELIMIT leaves dst as it was if the two
 * together pass OCR_MAX_*_PER_PAGE; OCR_ENOMEM likewise. */
int ocr_page_append(struct ocr_page *dst, struct ocr_page *src);

/*
 * Bands: a page read by several OCR children at once, each the lines of one band of
 * rows, so that a one-page document uses every core (Tesseract's own threads are
 * slower, see ocr_child.c). ocr_band_cuts chooses the rows from the text lines of
 * the whole page's layout, the same in every child: a cut lies in a gap between two
 * lines (never across one) and the bands hold about the same line length, in units
 * of line height, which is what the LSTM's time follows. cuts[0] = 0 and
 * cuts[bands] = height; band b is rows cuts[b] to cuts[b + 1], possibly none. Where
 * no gap divides the page fairly, a band stays empty and the next reads its share.
 * The lines are sorted in place (by their top). A page written vertically is cut
 * into strips of columns the same way, its lines given turned (ocr_page_prep.c).
 */
#define OCR_MAX_BANDS		4
void ocr_band_cuts(struct ocr_line *lines, uint32_t nlines, uint32_t height,
    unsigned bands, uint32_t cuts[OCR_MAX_BANDS + 1]);

/* Parse a child's output about frames first, first + 1, ... into pages[0..max)
 * (zeroed by the caller). Returns the number of complete pages filled, and in *err
 * why it stopped (OCR_OK at a clean end); pages after a bad record are not filled. */
uint32_t ocr_parse(const uint8_t *p, size_t len, uint32_t first, uint32_t max,
    struct ocr_page *pages, int *err);

/* The code point at s (at most len bytes) into *cp: returns the bytes it takes, or
 * 0 for anything but shortest-form UTF-8 of a scalar value that is not a C0 or C1
 * control character. */
size_t ocr_utf8_next(const uint8_t *s, size_t len, uint32_t *cp);

/* Whether langs is a plausible Tesseract language list ("jpn+eng"). */
int ocr_langs_valid(const char *langs);

/* ---- the child ---- */

/* The readers, loaded once by a trusted process before it forks any OCR child. A
 * child given them (ocr_request.models) starts from fork's copy instead of loading
 * its own: 0.2-0.3 CPU-s and ~50 MB of private memory less per child, which a page
 * read in bands pays once per band. The parent never reads with them: each child
 * reads with its copy, so lanes may fork from them at once. */
struct ocr_models;

/* Load the readers for langs (as a child would: jpn and eng as two readers for a
 * jpn/eng pair; jpn_vert too when langs has jpn) from tessdata (NULL: Tesseract's
 * own directory). Returns 0 and *out, or -ENOENT when a model of langs does not
 * load, -EINVAL for bad langs, -ENOMEM. jpn_vert is not required: without it a
 * vertical page is read across, as any other. */
int ocr_models_load(const char *tessdata, const char *langs, struct ocr_models **out);
void ocr_models_free(struct ocr_models *m);

/* Whether m reads vertical pages (縦書き): jpn_vert loaded. */
int ocr_models_vertical(const struct ocr_models *m);

struct ocr_request {
	const char *langs;		/* OCR_DEFAULT_LANGS, say */
	const char *tessdata;		/* the models' directory; NULL: Tesseract's own */
	unsigned dpi;			/* the resolution the pages were rendered at */
	const uint8_t *stream;		/* a pixel stream in the parent's memory, */
	size_t stream_len;		/* read by the child through fork's copy of it */
	uint32_t first;			/* frames before this one are skipped, */
	uint32_t end;			/* and from this one on (0: none) */
	uint8_t band, bands;		/* read band band of bands of each page
					 * (ocr_band_cuts); bands 0 or 1: the page */
	struct pixels_limits lim;	/* for reading the stream */
	const struct ocr_models *models; /* NULL, or readers loaded before the fork:
					 * used when their langs and tessdata match */
	void *api[3];			/* the child's Tesseracts, set by the prep: one,
					 * or one per language of a jpn/eng pair; and
					 * [2] jpn_vert for vertical pages, or NULL */
};

/* The sandbox_prep_fn: arg is a struct ocr_request *. Takes req->models' readers
 * (fork's copy) when they match, or else loads the models (from files: confinement
 * is not complete yet); Tesseract's OpenMP held to one thread; jpn and eng together
 * as two readers (ocr_child.c). Always returns 0; a model that did not load makes
 * ocr_child exit OCR_EXIT_MODEL. */
int ocr_child_prepare(void *arg);

/* The sandbox_fn: recognise the frames from req->first to req->end (or the stream's
 * end) and write the format above to out_fd. Returns 0 or an OCR_EXIT_* code. */
int ocr_child(int out_fd, int in_fd, void *arg);

/* The Tesseract linked in ("5.3.0"), for attestations. */
const char *ocr_engine_version(void);

#endif
