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
	int rc = OCR_OK;

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
			    b[0] != OCR_READER_JPN && b[0] != OCR_READER_ENG) ||
			    be16(b + 1) > OCR_MAX_LINES_PER_PAGE) {
				rc = OCR_EFORMAT;
				break;
			}
			pg->reader = b[0];
			pg->reread = be16(b + 1);
		} else if (pg->reader != 0) {
			rc = OCR_EFORMAT;	/* only 'E' follows 'R' */
			break;
		} else if (*b == 'L') {
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
			pg->lines[pg->nlines++] = (struct ocr_line){ box[0], box[1], box[2], box[3] };
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
