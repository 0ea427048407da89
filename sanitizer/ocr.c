/*
 * ocr.c — the parent's reader of what the OCR child says (the child: ocr_child.c).
 *
 * The invariant: the parent accepts a page's words only from a complete page record
 * whose every count, box and byte was checked here; anything else ends the parse,
 * and the pages it did not fill simply have no text.
 */
#include "ocr.h"

#include <stdlib.h>
#include <string.h>


const char *
ocr_strerror(int err)
{
	switch (err) {
	case OCR_OK:		return "ok";
	case OCR_ETRUNCATED:	return "truncated";
	case OCR_EFORMAT:	return "malformed";
	case OCR_ELIMIT:	return "over a limit";
	case OCR_ENOMEM:	return "out of memory";
	}
	return "unknown error";
}

void
ocr_page_free(struct ocr_page *pg)
{
	free(pg->lines);
	free(pg->words);
	free(pg->text);
	memset(pg, 0, sizeof(*pg));
}

int
ocr_page_read_vertical(const struct ocr_page *pg)
{
	if (pg->reader == OCR_READER_VERT)
		return 1;
	if (pg->turns % 2 != 0)		/* on its side: the primary read it down */
		return 0;
	for (uint32_t i = 0; i < pg->nlines; i++)
		if (pg->lines[i].dir == OCR_DIR_DOWN || pg->lines[i].dir == OCR_DIR_UP)
			return 1;
	return 0;
}

/* What a line costs the LSTM: its length in units of its height (every line is
 * scaled to the model's input height). */
static uint64_t
line_weight(const struct ocr_line *l)
{
	return (uint64_t)(l->x1 - l->x0) * 16 / (l->y1 > l->y0 ? l->y1 - l->y0 : 1) + 1;
}

/* Bytes of text a parsed page holds: its words' text is laid end to end. */
static size_t
page_text_len(const struct ocr_page *pg)
{
	return pg->nwords > 0 ? pg->words[pg->nwords - 1].off + pg->words[pg->nwords - 1].len : 0;
}

int
ocr_page_append(struct ocr_page *dst, struct ocr_page *src)
{
	size_t dtext = page_text_len(dst), stext = page_text_len(src);
	struct ocr_line *lines;
	struct ocr_word *words;
	char *text;
	uint32_t i;
	int rc = OCR_OK;

	if (dst->nlines + src->nlines > OCR_MAX_LINES_PER_PAGE ||
	    dst->nwords + src->nwords > OCR_MAX_WORDS_PER_PAGE) {
		rc = OCR_ELIMIT;
		goto out;
	}
	/* Each array is grown on its own: a failure leaves dst's counts, hence dst, as
	 * they were. */
	if (src->nlines > 0) {
		if ((lines = realloc(dst->lines, (dst->nlines + src->nlines) * sizeof(*lines))) == NULL) {
			rc = OCR_ENOMEM;
			goto out;
		}
		dst->lines = lines;
	}
	if (src->nwords > 0) {
		if ((words = realloc(dst->words, (dst->nwords + src->nwords) * sizeof(*words))) == NULL ||
		    (dst->words = words, text = realloc(dst->text, dtext + stext)) == NULL) {
			rc = OCR_ENOMEM;
			goto out;
		}
		dst->text = text;
		memcpy(dst->text + dtext, src->text, stext);
		for (i = 0; i < src->nwords; i++) {
			words[dst->nwords + i] = src->words[i];
			words[dst->nwords + i].line = (uint16_t)(src->words[i].line + dst->nlines);
			words[dst->nwords + i].off = (uint32_t)(src->words[i].off + dtext);
		}
	}
	if (src->nlines > 0)
		memcpy(dst->lines + dst->nlines, src->lines, src->nlines * sizeof(*dst->lines));
	/* The page is said to be read by whoever read most of its words. */
	if (dst->reader == 0 || (src->reader != 0 && src->nwords > dst->nwords))
		dst->reader = src->reader;
	if (src->nwords > dst->nwords)
		dst->turns = src->turns;
	if (src->threshold > dst->threshold)
		dst->threshold = src->threshold;	/* every band decides alike */
	dst->reread = (uint16_t)(dst->reread + src->reread);
	dst->nlines += src->nlines;
	dst->nwords += src->nwords;
out:
	ocr_page_free(src);
	return rc;
}

static int
line_top_order(const void *a, const void *b)
{
	const struct ocr_line *x = a, *y = b;

	if (x->y0 != y->y0)
		return x->y0 < y->y0 ? -1 : 1;
	return (x->y1 > y->y1) - (x->y1 < y->y1);
}

void
ocr_band_cuts(struct ocr_line *lines, uint32_t nlines, uint32_t height, unsigned bands,
    uint32_t cuts[OCR_MAX_BANDS + 1])
{
	uint64_t total = 0, before = 0, best[OCR_MAX_BANDS] = { 0 };
	uint32_t at[OCR_MAX_BANDS] = { 0 }, bottom = 0, k;
	unsigned b;

	if (bands < 1)
		bands = 1;
	if (bands > OCR_MAX_BANDS)
		bands = OCR_MAX_BANDS;
	for (b = 0; b <= OCR_MAX_BANDS; b++)
		cuts[b] = b == 0 ? 0 : height;
	if (bands == 1)
		return;
	qsort(lines, nlines, sizeof(*lines), line_top_order);
	for (k = 0; k < nlines; k++)
		total += line_weight(&lines[k]);
	for (b = 1; b < bands; b++)
		best[b] = UINT64_MAX;
	/* Between lines k - 1 and k, when every line above ends 2 rows or more before
	 * line k begins (sorted by top, no later line begins higher). */
	for (k = 1; k < nlines; k++) {
		before += line_weight(&lines[k - 1]);
		if (lines[k - 1].y1 > bottom)
			bottom = lines[k - 1].y1;
		if (bottom + 2 > lines[k].y0)
			continue;
		for (b = 1; b < bands; b++) {
			uint64_t target = total * b / bands;
			uint64_t off = before > target ? before - target : target - before;

			/* Fair: within half a band's share of the target. */
			if (2 * bands * off <= total && off < best[b]) {
				best[b] = off;
				at[b] = (bottom + lines[k].y0 + 1) / 2;
			}
		}
	}
	/* A cut not found leaves its band empty: the next one reads its share. */
	for (b = 1; b < bands; b++) {
		cuts[b] = best[b] != UINT64_MAX ? at[b] : cuts[b - 1];
		if (cuts[b] < cuts[b - 1])
			cuts[b] = cuts[b - 1];
		if (cuts[b] > height)
			cuts[b] = height;
	}
	cuts[bands] = height;
}

int
ocr_langs_valid(const char *langs)
{
	size_t i, n = strlen(langs);

	if (n == 0 || n > OCR_MAX_LANGS_LEN || langs[0] == '+' || langs[n - 1] == '+')
		return 0;
	for (i = 0; i < n; i++)
		if (!((langs[i] >= 'a' && langs[i] <= 'z') || (langs[i] >= 'A' && langs[i] <= 'Z') ||
		      langs[i] == '_' || (langs[i] == '+' && langs[i + 1] != '+')))
			return 0;
	return 1;
}

size_t
ocr_utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		n = 1;
		min = 0;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c < 0x20 ||
	    (c >= 0x7f && c <= 0x9f))
		return 0;
	*cp = c;
	return n;
}

/* ---- the parent's reader ---- */

struct cursor {
	const uint8_t *p;
	size_t len, off;
};

static int
take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->len - c->off < n)
		return OCR_ETRUNCATED;
	*out = c->p + c->off;
	c->off += n;
	return OCR_OK;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
read_box(struct cursor *c, uint16_t box[4])
{
	const uint8_t *b;
	int i, rc;

	if ((rc = take(c, 8, &b)) != OCR_OK)
		return rc;
	for (i = 0; i < 4; i++)
		box[i] = be16(b + 2 * i);
	return box[0] < box[2] && box[1] < box[3] ? OCR_OK : OCR_EFORMAT;
}

static int
valid_text(const uint8_t *s, size_t len)
{
	size_t off = 0, n;
	uint32_t cp;

	while (off < len) {
		if ((n = ocr_utf8_next(s + off, len - off, &cp)) == 0)
			return 0;
		off += n;
	}
	return len > 0;
}

/* One page, from just after its 'P' record through its 'E' record. */
static int
parse_page(struct cursor *c, struct ocr_page *pg)
{
	size_t cap_lines = 16, cap_words = 0, text_len = 0, cap_text = 0;
	const uint8_t *b;
	uint16_t box[4];
	int rc = OCR_OK, said_turns = 0, said_threshold = 0;

	memset(pg, 0, sizeof(*pg));
	if ((pg->lines = malloc(cap_lines * sizeof(*pg->lines))) == NULL)
		return OCR_ENOMEM;
	for (;;) {
		if ((rc = take(c, 1, &b)) != OCR_OK)
			break;
		if (*b == 'E') {
			if ((rc = take(c, 4, &b)) == OCR_OK && be32(b) != pg->nwords)
				rc = OCR_EFORMAT;
			if (rc == OCR_OK)
				return OCR_OK;
			break;
		} else if (*b == 'R') {
			if ((rc = take(c, 3, &b)) != OCR_OK)
				break;
			if (pg->reader != 0 || (b[0] != OCR_READER_ONE &&
			    b[0] != OCR_READER_JPN && b[0] != OCR_READER_ENG &&
			    b[0] != OCR_READER_VERT) ||
			    be16(b + 1) > OCR_MAX_LINES_PER_PAGE) {
				rc = OCR_EFORMAT;
				break;
			}
			pg->reader = b[0];
			pg->reread = be16(b + 1);
		} else if (*b == 'O') {
			if ((rc = take(c, 1, &b)) != OCR_OK)
				break;
			if (pg->reader != 0 || said_turns || *b > 3) {
				rc = OCR_EFORMAT;
				break;
			}
			pg->turns = *b;
			said_turns = 1;
		} else if (*b == 'T') {
			if ((rc = take(c, 1, &b)) != OCR_OK)
				break;
			if (pg->reader != 0 || said_turns || said_threshold ||
			    *b != OCR_THRESHOLD_LOCAL) {
				rc = OCR_EFORMAT;
				break;
			}
			pg->threshold = *b;
			said_threshold = 1;
		} else if (pg->reader != 0 || said_turns || said_threshold) {
			/* only 'O', 'R' and 'E' follow 'T', only 'R' and 'E' 'O', only 'E' 'R' */
			rc = OCR_EFORMAT;
			break;
		} else if (*b == 'L' || *b == 'D') {
			uint8_t dir = OCR_DIR_ACROSS;

			if (*b == 'D' && ((rc = take(c, 1, &b)) != OCR_OK ||
			    (dir = *b) > OCR_DIR_UP)) {
				rc = rc != OCR_OK ? rc : OCR_EFORMAT;
				break;
			}
			if ((rc = read_box(c, box)) != OCR_OK)
				break;
			if (pg->nlines == OCR_MAX_LINES_PER_PAGE) {
				rc = OCR_ELIMIT;
				break;
			}
			if (pg->nlines == cap_lines) {
				struct ocr_line *n = realloc(pg->lines, 2 * cap_lines * sizeof(*n));

				if (n == NULL) {
					rc = OCR_ENOMEM;
					break;
				}
				pg->lines = n;
				cap_lines *= 2;
			}
			pg->lines[pg->nlines++] = (struct ocr_line){ box[0], box[1], box[2], box[3],
								     dir };
		} else if (*b == 'W') {
			struct ocr_word *w;

			if ((rc = read_box(c, box)) != OCR_OK || (rc = take(c, 1, &b)) != OCR_OK)
				break;
			if (pg->nlines == 0 || *b == 0 || *b > OCR_MAX_WORD_BYTES) {
				rc = OCR_EFORMAT;
				break;
			}
			if (pg->nwords == OCR_MAX_WORDS_PER_PAGE) {
				rc = OCR_ELIMIT;
				break;
			}
			if (pg->nwords == cap_words) {
				size_t ncap = cap_words ? 2 * cap_words : 64;
				struct ocr_word *n = realloc(pg->words, ncap * sizeof(*n));

				if (n == NULL) {
					rc = OCR_ENOMEM;
					break;
				}
				pg->words = n;
				cap_words = ncap;
			}
			w = &pg->words[pg->nwords];
			*w = (struct ocr_word){ .x0 = box[0], .y0 = box[1], .x1 = box[2], .y1 = box[3],
						.line = (uint16_t)(pg->nlines - 1), .len = *b,
						.off = (uint32_t)text_len };
			if ((rc = take(c, w->len, &b)) != OCR_OK)
				break;
			if (!valid_text(b, w->len)) {
				rc = OCR_EFORMAT;
				break;
			}
			if (text_len + w->len > cap_text) {
				size_t ncap = cap_text ? 2 * cap_text : 4096;
				char *n;

				while (ncap < text_len + w->len)
					ncap *= 2;
				if ((n = realloc(pg->text, ncap)) == NULL) {
					rc = OCR_ENOMEM;
					break;
				}
				pg->text = n;
				cap_text = ncap;
			}
			memcpy(pg->text + text_len, b, w->len);
			text_len += w->len;
			pg->nwords++;
		} else {
			rc = OCR_EFORMAT;
			break;
		}
	}
	ocr_page_free(pg);
	return rc;
}

uint32_t
ocr_parse(const uint8_t *p, size_t len, uint32_t first, uint32_t max, struct ocr_page *pages,
    int *err)
{
	struct cursor c = { .p = p, .len = len };
	const uint8_t *b;
	uint32_t n = 0;
	int rc;

	*err = OCR_OK;
	if (len == 0)
		return 0;		/* a child that failed before writing anything */
	if ((rc = take(&c, 5, &b)) != OCR_OK || memcmp(b, OCR_MAGIC, 4) != 0 ||
	    b[4] != OCR_VERSION) {
		*err = rc != OCR_OK ? rc : OCR_EFORMAT;
		return 0;
	}
	while (c.off < c.len) {
		if ((rc = take(&c, 5, &b)) != OCR_OK)
			break;
		if (b[0] != 'P' || be32(b + 1) != first + n) {
			rc = OCR_EFORMAT;
			break;
		}
		if (n == max) {
			rc = OCR_ELIMIT;
			break;
		}
		if ((rc = parse_page(&c, &pages[n])) != OCR_OK)
			break;
		n++;
	}
	*err = rc;
	return n;
}
