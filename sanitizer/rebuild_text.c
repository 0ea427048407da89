/*
 * rebuild_text.c — the OCR text layer of a rebuilt PDF: invisible text over the
 * page's image, so that its words can be searched and copied.
 *
 * It keeps to the writer's rule (rebuild_pdf.c): its content stream is operators
 * from a template with numbers in it, and the text itself is written as
 * hexadecimal character ids, never as a PDF string; the one font is a fixed
 * glyphless one, and the ToUnicode CMap lists ids and code points in hex.
 */
#include "rebuild_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REBUILD_CMAP_CHUNK	100	/* bfchar entries per block, as the CMap spec caps */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
rebuild_cidmap_make(const struct rebuild_page *pages, uint32_t count, struct rebuild_cidmap *m)
{
	size_t total = 0, k = 0, off, n;
	uint32_t i, j, cp;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < count; i++)
		for (j = 0; pages[i].text != NULL && j < pages[i].text->nwords; j++)
			total += pages[i].text->words[j].len;
	if (total == 0)
		return REBUILD_OK;
	if ((m->cps = malloc(total * sizeof(*m->cps))) == NULL)
		return REBUILD_ENOMEM;
	for (i = 0; i < count; i++) {
		const struct ocr_page *t = pages[i].text;

		for (j = 0; t != NULL && j < t->nwords; j++) {
			const uint8_t *s = (const uint8_t *)t->text + t->words[j].off;

			for (off = 0; off < t->words[j].len; off += n) {
				if ((n = ocr_utf8_next(s + off, t->words[j].len - off, &cp)) == 0)
					break;	/* checked by ocr_parse: cannot happen */
				m->cps[k++] = cp;
			}
		}
	}
	qsort(m->cps, k, sizeof(*m->cps), cmp_u32);
	for (i = 0, j = 0; i < k; i++)
		if (j == 0 || m->cps[j - 1] != m->cps[i])
			m->cps[j++] = m->cps[i];
	m->n = j;
	if (m->n > REBUILD_MAX_CIDS) {
		free(m->cps);
		memset(m, 0, sizeof(*m));
		return REBUILD_ETEXT;
	}
	return REBUILD_OK;
}

static unsigned
cid_of(const struct rebuild_cidmap *m, uint32_t cp)
{
	const uint32_t *p = bsearch(&cp, m->cps, m->n, sizeof(*m->cps), cmp_u32);

	return p != NULL ? (unsigned)(p - m->cps) + 1 : 0;
}

/* Japanese is written without spaces: between two such characters a gap in the
 * boxes must not become a space for a reader that infers spaces from gaps. */
static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x2e80 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xff00 && cp <= 0xffef) || (cp >= 0x20000 && cp <= 0x3ffff);
}

static uint32_t
first_cp(const struct ocr_page *t, const struct ocr_word *w)
{
	uint32_t cp = 0;

	(void)ocr_utf8_next((const uint8_t *)t->text + w->off, w->len, &cp);
	return cp;
}

static uint32_t
last_cp(const struct ocr_page *t, const struct ocr_word *w)
{
	const uint8_t *s = (const uint8_t *)t->text + w->off;
	size_t off = 0, n;
	uint32_t cp = 0, c;

	while (off < w->len && (n = ocr_utf8_next(s + off, w->len - off, &c)) != 0) {
		cp = c;
		off += n;
	}
	return cp;
}

/* value / 10^digits in the fewest characters ("175", "132.5"), without printf's
 * locale-dependent %f. */
static void
decimal_str(uint64_t value, unsigned digits, char *out, size_t len)
{
	uint64_t unit = 1;
	unsigned d;
	int n;

	for (d = 0; d < digits; d++)
		unit *= 10;
	n = snprintf(out, len, "%llu.%0*llu", (unsigned long long)(value / unit), (int)digits,
		     (unsigned long long)(value % unit));
	if (n <= 0 || (size_t)n >= len)
		return;
	while (out[n - 1] == '0')
		out[--n] = '\0';
	if (out[n - 1] == '.')
		out[n - 1] = '\0';
}

/*
 * The layer is written in the page's pixels (one cm scales them to points), so that
 * every position is a whole number: a line is a Tm at its first word and a Td from
 * word to word, each word's characters 1000 units wide (/DW) at the line's height
 * as font size, squeezed with Tz to span the word's box, baseline on the line's
 * bottom. The layer of a dense Japanese page deflates to 5.0 KB so, against 9.2 KB
 * in points with a Tm per word, for the same boxes (docs/sanitizer.md).
 *
 * Tesseract's boxes for Japanese overlap and gap; along a line each word starts
 * where the one before ended at the earliest and ends where the next begins at the
 * latest, so that the text keeps its reading order for a reader that sorts
 * characters by position, and CJK neighbours touch.
 *
 * A line whose text runs another way (ocr.h, OCR_DIR_*) is written the same way
 * turned: down (縦書き, or a page on its side) a quarter clockwise, its text running
 * down from its first word's top, the characters' tops to the right, the baseline
 * on the column's left edge and the column's width as font size; back (upside down)
 * a half turn, from its first word's right edge, the baseline on the line's top; up
 * a quarter anticlockwise, from its first word's bottom, the baseline on the
 * column's right edge. A reader then takes each line as one, in its own direction.
 */
struct along {
	uint32_t start, end;	/* a box's extent along a line, from where it begins */
};

static struct along
along_line(const struct rebuild_page *pg, uint8_t dir, uint32_t x0, uint32_t y0, uint32_t x1,
    uint32_t y1)
{
	switch (dir) {
	case OCR_DIR_DOWN:
		return (struct along){ y0, y1 };
	case OCR_DIR_BACK:
		return (struct along){ pg->width - x1, pg->width - x0 };
	case OCR_DIR_UP:
		return (struct along){ pg->height - y1, pg->height - y0 };
	default:
		return (struct along){ x0, x1 };
	}
}

/* The text matrix that starts line ln at start along it (Tm's operands). */
static int
line_start(const struct rebuild_page *pg, const struct ocr_line *ln, uint32_t start, const char *tz,
    struct rebuild_buf *b)
{
	switch (ln->dir) {
	case OCR_DIR_DOWN:
		return rebuild_emit(b, "%s Tz 0 -1 1 0 %u %u Tm <", tz, ln->x0, pg->height - start);
	case OCR_DIR_BACK:
		return rebuild_emit(b, "%s Tz -1 0 0 -1 %u %u Tm <", tz, pg->width - start,
			    pg->height - ln->y0);
	case OCR_DIR_UP:
		return rebuild_emit(b, "%s Tz 0 1 -1 0 %u %u Tm <", tz, ln->x1, start);
	default:
		return rebuild_emit(b, "%s Tz 1 0 0 1 %u %u Tm <", tz, start, pg->height - ln->y1);
	}
}

int
rebuild_text_ops(const struct rebuild_page *pg, unsigned dpi, const struct rebuild_cidmap *m,
    struct rebuild_buf *b)
{
	const struct ocr_page *t = pg->text;
	uint32_t i = 0, j, k;
	char scale[32];
	int rc;

	decimal_str((72000000ULL + dpi / 2) / dpi, 6, scale, sizeof scale);
	rc = rebuild_emit(b, "q %s 0 0 %s 0 0 cm\nBT\n3 Tr\n", scale, scale);
	while (i < t->nwords && rc == REBUILD_OK) {
		const struct ocr_line *ln = &t->lines[t->words[i].line];
		int turned = ln->dir == OCR_DIR_DOWN || ln->dir == OCR_DIR_UP;
		uint32_t size = turned ? (uint32_t)(ln->x1 - ln->x0) : (uint32_t)(ln->y1 - ln->y0);
		uint32_t prev_end = 0, prev_x0 = 0;

		for (j = i; j < t->nwords && t->words[j].line == t->words[i].line; j++)
			;
		rc = rebuild_emit(b, "/F1 %u Tf\n", size);
		for (k = i; k < j && rc == REBUILD_OK; k++) {
			const struct ocr_word *w = &t->words[k];
			const uint8_t *s = (const uint8_t *)t->text + w->off;
			const struct ocr_word *nw = k + 1 < j ? &t->words[k + 1] : NULL;
			struct along a = along_line(pg, ln->dir, w->x0, w->y0, w->x1, w->y1);
			uint32_t x0 = a.start > prev_end ? a.start : prev_end, x1 = a.end, cp, nch = 0;
			size_t off = 0, n;
			char tz[32], hex[8];

			/* x0 and x1 are along the line, whichever way it runs. */
			if (nw != NULL) {
				uint32_t next = along_line(pg, ln->dir, nw->x0, nw->y0, nw->x1,
							   nw->y1).start;

				if (next > x0 && (next < x1 ||
				    (is_cjk(last_cp(t, w)) && is_cjk(first_cp(t, nw)))))
					x1 = next;
			}
			if (x1 <= x0)
				x1 = x0 + 1;
			prev_end = x1;
			for (off = 0; off < w->len && (n = ocr_utf8_next(s + off, w->len - off, &cp)); off += n)
				nch++;
			decimal_str((uint64_t)(x1 - x0) * 100000 / ((uint64_t)nch * size), 3, tz,
				    sizeof tz);
			/* x0 only grows along a line: prev_end > prev_x0. */
			if (k == i)
				rc = line_start(pg, ln, x0, tz, b);
			else
				rc = rebuild_emit(b, "%s Tz %u 0 Td <", tz, x0 - prev_x0);
			prev_x0 = x0;
			for (off = 0; rc == REBUILD_OK && off < w->len &&
			     (n = ocr_utf8_next(s + off, w->len - off, &cp)); off += n) {
				snprintf(hex, sizeof hex, "%04X", cid_of(m, cp));
				rc = rebuild_buf_append(b, hex, 4);
			}
			if (rc == REBUILD_OK)
				rc = rebuild_emit(b, "> Tj\n");
		}
		i = j;
	}
	return rc == REBUILD_OK ? rebuild_emit(b, "ET\nQ\n") : rc;
}

/* "Version 1.0" GlyphLessFont: a TrueType font of two empty glyphs, Tesseract's own
 * for its text layers (tessdata/pdf.ttf, Apache-2.0), written as is. */
static const uint8_t glyphless_ttf[] = {
	0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x80, 0x00, 0x03, 0x00, 0x20,
	0x4f, 0x53, 0x2f, 0x32, 0x56, 0xde, 0xc8, 0x94, 0x00, 0x00, 0x01, 0x28,
	0x00, 0x00, 0x00, 0x60, 0x63, 0x6d, 0x61, 0x70, 0x00, 0x0a, 0x00, 0x34,
	0x00, 0x00, 0x01, 0x90, 0x00, 0x00, 0x00, 0x1e, 0x67, 0x6c, 0x79, 0x66,
	0x15, 0x22, 0x41, 0x24, 0x00, 0x00, 0x01, 0xb8, 0x00, 0x00, 0x00, 0x18,
	0x68, 0x65, 0x61, 0x64, 0x0b, 0x78, 0xf1, 0x65, 0x00, 0x00, 0x00, 0xac,
	0x00, 0x00, 0x00, 0x36, 0x68, 0x68, 0x65, 0x61, 0x0c, 0x02, 0x04, 0x02,
	0x00, 0x00, 0x00, 0xe4, 0x00, 0x00, 0x00, 0x24, 0x68, 0x6d, 0x74, 0x78,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x00, 0x00, 0x08,
	0x6c, 0x6f, 0x63, 0x61, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x01, 0xb0,
	0x00, 0x00, 0x00, 0x06, 0x6d, 0x61, 0x78, 0x70, 0x00, 0x04, 0x00, 0x05,
	0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x20, 0x6e, 0x61, 0x6d, 0x65,
	0xf2, 0xeb, 0x16, 0xda, 0x00, 0x00, 0x01, 0xd0, 0x00, 0x00, 0x00, 0x4b,
	0x70, 0x6f, 0x73, 0x74, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x1c,
	0x00, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0xb0, 0x94, 0x71, 0x10, 0x5f, 0x0f, 0x3c, 0xf5, 0x04, 0x07, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xcf, 0x9a, 0xfc, 0x6e, 0x00, 0x00, 0x00, 0x00,
	0xd4, 0xc3, 0xa7, 0xf2, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x08, 0x00, 0xff, 0xff, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
	0x01, 0x90, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x47, 0x4f, 0x4f, 0x47, 0x00, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x01, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
	0x00, 0x06, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x31, 0x21,
	0x11, 0x21, 0x04, 0x00, 0xfc, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x03,
	0x00, 0x2a, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x16,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0b,
	0x00, 0x16, 0x00, 0x03, 0x00, 0x01, 0x04, 0x09, 0x00, 0x05, 0x00, 0x16,
	0x00, 0x00, 0x00, 0x56, 0x00, 0x65, 0x00, 0x72, 0x00, 0x73, 0x00, 0x69,
	0x00, 0x6f, 0x00, 0x6e, 0x00, 0x20, 0x00, 0x31, 0x00, 0x2e, 0x00, 0x30,
	0x56, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x20, 0x31, 0x2e, 0x30, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};

/* The ToUnicode CMap: each id to its code point in UTF-16BE, as a surrogate pair
 * beyond the BMP. */
static int
tounicode(const struct rebuild_cidmap *m, struct rebuild_buf *b)
{
	uint32_t i, cp;
	int rc;

	rc = rebuild_emit(b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
		  "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
		  "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
		  "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	for (i = 0; i < m->n && rc == REBUILD_OK; i++) {
		if (i % REBUILD_CMAP_CHUNK == 0)
			rc = rebuild_emit(b, "%u beginbfchar\n", m->n - i < REBUILD_CMAP_CHUNK ?
				  m->n - i : REBUILD_CMAP_CHUNK);
		cp = m->cps[i];
		if (rc == REBUILD_OK && cp < 0x10000)
			rc = rebuild_emit(b, "<%04X> <%04X>\n", i + 1, cp);
		else if (rc == REBUILD_OK)
			rc = rebuild_emit(b, "<%04X> <%04X%04X>\n", i + 1, 0xd800 + ((cp - 0x10000) >> 10),
				  0xdc00 + ((cp - 0x10000) & 0x3ff));
		if (rc == REBUILD_OK && (i % REBUILD_CMAP_CHUNK == REBUILD_CMAP_CHUNK - 1 || i + 1 == m->n))
			rc = rebuild_emit(b, "endbfchar\n");
	}
	if (rc == REBUILD_OK)
		rc = rebuild_emit(b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	return rc;
}

int
rebuild_text_font(const struct rebuild_cidmap *m, uint32_t f, size_t *off, struct rebuild_buf *out)
{
	struct rebuild_buf tmp = { 0 };
	uint32_t i;
	int rc;

	off[f] = out->len;
	rc = rebuild_emit(out, "%u 0 obj\n<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont "
		  "/Encoding /Identity-H /DescendantFonts [%u 0 R] /ToUnicode %u 0 R >>\n"
		  "endobj\n", f, f + 1, f + 4);
	off[f + 1] = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "%u 0 obj\n<< /Type /Font /Subtype /CIDFontType2 /BaseFont "
			  "/GlyphLessFont /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
			  "/Supplement 0 >> /FontDescriptor %u 0 R /DW 1000 /CIDToGIDMap %u 0 R >>\n"
			  "endobj\n", f + 1, f + 2, f + 5);
	off[f + 2] = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "%u 0 obj\n<< /Type /FontDescriptor /FontName /GlyphLessFont "
			  "/Flags 5 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 1000 "
			  "/Descent 0 /CapHeight 1000 /StemV 80 /FontFile2 %u 0 R >>\nendobj\n",
			  f + 2, f + 3);
	off[f + 3] = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "%u 0 obj\n<< /Length %zu /Length1 %zu >>\nstream\n", f + 3,
			  sizeof glyphless_ttf, sizeof glyphless_ttf);
	if (rc == REBUILD_OK)
		rc = rebuild_buf_append(out, glyphless_ttf, sizeof glyphless_ttf);
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "\nendstream\nendobj\n");
	off[f + 4] = out->len;
	if (rc == REBUILD_OK && (rc = tounicode(m, &tmp)) == REBUILD_OK)
		rc = rebuild_emit_flate(out, f + 4, "", tmp.p, tmp.len);
	tmp.len = 0;
	for (i = 0; i <= m->n && rc == REBUILD_OK; i++)
		rc = rebuild_buf_append(&tmp, i == 0 ? "\0\0" : "\0\1", 2);
	off[f + 5] = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit_flate(out, f + 5, "", tmp.p, tmp.len);
	rebuild_buf_free(&tmp);
	return rc;
}
