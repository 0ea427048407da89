/*
 * fuzz_ocr_parse.c — the parser of an OCR child's output on arbitrary bytes.
 *
 * The OCR child is Tesseract fed with pixels a hostile file chose: what it writes is
 * as untrusted as the file. Whatever the bytes, ocr_parse must fill no more pages
 * than asked, each within the OCR_MAX_* bounds, every word inside its page's text
 * and on an existing line, with non-empty boxes, its text valid UTF-8 — the
 * invariants the PDF writer relies on; jpn_vert is never said to have read a page on
 * its side that the pair read (ocr_page_read_vertical). Pages are allocated one at a
 * time so that ASan sees a write past max. The pages parsed are then put together as
 * a page's bands are (ocr_page_append), which must keep the same invariants and the
 * words in line order, and their lines cut into bands (ocr_band_cuts), whose cuts
 * must be in order and never inside a line. Seeds: tests/fuzz/corpus/fuzz_ocr_parse/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ocr.h"

#define FUZZ_OCR_MAX_PAGES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_page(const struct ocr_page *pg)
{
	size_t text_len = 0, off;
	uint32_t i, cp;

	if (pg->nlines > OCR_MAX_LINES_PER_PAGE || pg->nwords > OCR_MAX_WORDS_PER_PAGE)
		abort();
	for (i = 0; i < pg->nlines; i++)
		if (pg->lines[i].x0 >= pg->lines[i].x1 || pg->lines[i].y0 >= pg->lines[i].y1 ||
		    pg->lines[i].dir > OCR_DIR_UP || pg->turns > 3)
			abort();
	for (i = 0; i < pg->nwords; i++) {
		const struct ocr_word *w = &pg->words[i];

		if (w->x0 >= w->x1 || w->y0 >= w->y1 || w->line >= pg->nlines ||
		    w->len == 0 || w->len > OCR_MAX_WORD_BYTES || w->off != text_len ||
		    (i > 0 && w->line < pg->words[i - 1].line))
			abort();
		for (off = 0; off < w->len; ) {
			size_t n = ocr_utf8_next((const uint8_t *)pg->text + w->off + off,
			    w->len - off, &cp);

			if (n == 0)
				abort();
			off += n;
		}
		text_len += w->len;
	}
}

/* Cut the page's lines (a copy: they are sorted in place) into bands. */
static void
check_cuts(const struct ocr_page *pg, unsigned bands)
{
	const uint32_t height = 65535;
	uint32_t cuts[OCR_MAX_BANDS + 1], i, b;
	struct ocr_line *l = malloc((pg->nlines + 1) * sizeof(*l));

	if (l == NULL)
		return;
	for (i = 0; i < pg->nlines; i++)
		l[i] = pg->lines[i];
	ocr_band_cuts(l, pg->nlines, height, bands, cuts);
	if (cuts[0] != 0)
		abort();
	for (b = 1; b <= OCR_MAX_BANDS; b++) {
		if (cuts[b] < cuts[b - 1] || cuts[b] > height)
			abort();
		for (i = 0; i < pg->nlines && cuts[b] < height; i++)
			if (cuts[b] > l[i].y0 && cuts[b] < l[i].y1)
				abort();
	}
	if (cuts[bands < 1 ? 1 : bands > OCR_MAX_BANDS ? OCR_MAX_BANDS : bands] != height)
		abort();
	free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocr_page *pages;
	uint32_t max, first, n, i;
	int err = 1;

	if (size < 2)
		return 0;
	/* The first two bytes choose the window, as the pipeline's restarts do. */
	max = (uint32_t)(data[0] % FUZZ_OCR_MAX_PAGES) + 1;
	first = data[1];
	if ((pages = calloc(max, sizeof(*pages))) == NULL)
		return 0;
	n = ocr_parse(data + 2, size - 2, first, max, pages, &err);
	if (n > max || err > 0 || err < OCR_ENOMEM)
		abort();
	for (i = 0; i < n; i++) {
		check_page(&pages[i]);
		/* jpn_vert named for a page it read, never for one on its side. */
		if ((unsigned)ocr_page_read_vertical(&pages[i]) > 1 ||
		    (pages[i].turns % 2 != 0 && pages[i].reader != OCR_READER_VERT &&
		     ocr_page_read_vertical(&pages[i])))
			abort();
	}
	/* Pages past n are not filled: still zero. */
	for (i = n; i < max; i++)
		if (pages[i].lines != NULL || pages[i].words != NULL || pages[i].text != NULL)
			abort();
	for (i = 1; i < n; i++) {
		uint32_t lines = pages[0].nlines, words = pages[0].nwords;
		int rc = ocr_page_append(&pages[0], &pages[i]);

		if ((rc != OCR_OK && (pages[0].nlines != lines || pages[0].nwords != words)) ||
		    pages[i].lines != NULL || pages[i].words != NULL)
			abort();
		check_page(&pages[0]);
	}
	if (n > 0)
		check_cuts(&pages[0], data[0] % (OCR_MAX_BANDS + 2));
	for (i = 0; i < max; i++)
		ocr_page_free(&pages[i]);
	free(pages);
	return 0;
}
