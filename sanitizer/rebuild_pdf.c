/*
 * rebuild_pdf.c — the PDF of image-only pages: our own writer.
 *
 * The writer emits only these objects, from fixed templates whose only variables
 * are integers: 1 the catalog (/Type /Catalog /Pages 2 0 R), 2 the page tree, and
 * for page i (from 0) object 3+3i the page (MediaBox, one image resource, contents),
 * 4+3i its contents ("q W 0 0 H 0 0 cm /Im0 Do Q", then the page's invisible text
 * if it has any), 5+3i the image XObject whose stream is encoder output of exactly
 * /Length bytes; if any page has text, six font objects after the last page (see
 * rebuild_text_font). Then a classic xref table and trailer. No name, string or
 * dictionary key is ever taken from the input, so there is no way for an action,
 * script, annotation, form or attachment to be written: there is no template for
 * any. Why our own rather than cairo's PDF surface (used before): for image-only
 * pages the writer is this file with no parser behind it, and it lets us write 4-
 * and 2-bit grey, which cairo cannot (it expands every image to 8 bits and deflates
 * it at its own level, which cost a third of the time and 2.5 times the size of a
 * text page). Pages land in their slots from several threads, under one lock.
 */
#include "rebuild_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The document: its pages in their slots, filled from several threads. */
struct rebuild_pdf {
	pthread_mutex_t lock;
	struct rebuild_page *pages;	/* slots, by page index */
	uint32_t nslots;	/* allocated */
	uint32_t count;		/* highest filled index + 1 */
	uint32_t filled;	/* slots with a page */
	uint32_t texts;		/* pages with a text layer */
	unsigned dpi;
};

struct rebuild_pdf *
rebuild_pdf_new(unsigned dpi)
{
	struct rebuild_pdf *pdf;

	if (dpi == 0 || (pdf = calloc(1, sizeof(*pdf))) == NULL)
		return NULL;
	if (pthread_mutex_init(&pdf->lock, NULL) != 0) {
		free(pdf);
		return NULL;
	}
	pdf->dpi = dpi;
	return pdf;
}

void
rebuild_pdf_free(struct rebuild_pdf *pdf)
{
	uint32_t i;

	if (pdf == NULL)
		return;
	for (i = 0; i < pdf->nslots; i++) {
		free(pdf->pages[i].data);
		if (pdf->pages[i].text != NULL) {
			ocr_page_free(pdf->pages[i].text);
			free(pdf->pages[i].text);
		}
	}
	free(pdf->pages);
	pthread_mutex_destroy(&pdf->lock);
	free(pdf);
}

uint32_t
rebuild_pdf_pages(struct rebuild_pdf *pdf)
{
	uint32_t n;

	pthread_mutex_lock(&pdf->lock);
	n = pdf->filled;
	pthread_mutex_unlock(&pdf->lock);
	return n;
}

/* Give pg (its data is taken) the slot index. */
static int
put_page(struct rebuild_pdf *pdf, uint32_t index, struct rebuild_page *pg)
{
	int rc = REBUILD_OK;

	pthread_mutex_lock(&pdf->lock);
	if (index >= REBUILD_MAX_PAGES) {
		rc = REBUILD_EFRAMES;
	} else if (index >= pdf->nslots) {
		uint32_t n = pdf->nslots ? pdf->nslots : 16;
		struct rebuild_page *p;

		while (n <= index)
			n *= 2;
		if ((p = realloc(pdf->pages, n * sizeof(*p))) == NULL) {
			rc = REBUILD_ENOMEM;
		} else {
			memset(p + pdf->nslots, 0, (n - pdf->nslots) * sizeof(*p));
			pdf->pages = p;
			pdf->nslots = n;
		}
	}
	if (rc == REBUILD_OK && pdf->pages[index].data != NULL)
		rc = REBUILD_EFRAMES;		/* the same page twice */
	if (rc == REBUILD_OK) {
		pdf->pages[index] = *pg;
		pg->data = NULL;
		pdf->filled++;
		if (index + 1 > pdf->count)
			pdf->count = index + 1;
	}
	pthread_mutex_unlock(&pdf->lock);
	free(pg->data);
	pg->data = NULL;
	return rc;
}

int
rebuild_pdf_add_page(struct rebuild_pdf *pdf, const struct pixels_header *h,
    const uint8_t *px, enum rebuild_encoding *enc)
{
	struct rebuild_page pg;
	uint32_t index;
	int rc;

	if ((rc = rebuild_page_encode(h, px, &pg)) != REBUILD_OK)
		return rc;
	if (enc != NULL)
		*enc = pg.enc;
	pthread_mutex_lock(&pdf->lock);
	index = pdf->count;
	pthread_mutex_unlock(&pdf->lock);
	return put_page(pdf, index, &pg);
}

/* True when an RGB frame has no pixel with colour: it is then made grey. */
static int
rgb_is_grey(const uint8_t *px, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, px += 3)
		if (px[0] != px[1] || px[1] != px[2])
			return 0;
	return 1;
}

int
rebuild_pdf_add_stream_at(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t first,
    uint32_t step, uint32_t *pages)
{
	struct pixels_header h;
	uint8_t *px = NULL;
	size_t cap = 0, stride, need, i;
	uint32_t index = first, y;
	struct rebuild_page pg;
	int rc;

	if (step == 0)
		return REBUILD_EFRAMES;
	for (;;) {
		if ((rc = pixels_reader_next(r, &h)) != 0) {
			rc = rc == PIXELS_END ? REBUILD_OK : rc;
			break;
		}
		/* One buffer for every frame of the stream: no fresh pages to fault in. */
		stride = pixels_row_bytes(&h);
		need = stride * h.height;
		if (need > cap) {
			free(px);
			if ((px = malloc(need)) == NULL) {
				rc = REBUILD_ENOMEM;
				break;
			}
			cap = need;
		}
		for (y = 0, rc = 0; y < h.height && rc == 0; y++)
			rc = pixels_reader_row(r, px + (size_t)y * stride);
		if (rc != 0) {
			rc = rc < 0 ? rc : PIXELS_ETRUNCATED;
			break;
		}
		if (h.channels == 3 && rgb_is_grey(px, (size_t)h.width * h.height)) {
			for (i = 0; i < (size_t)h.width * h.height; i++)
				px[i] = px[3 * i];
			h.channels = 1;
		}
		if ((rc = rebuild_page_encode(&h, px, &pg)) != REBUILD_OK ||
		    (rc = put_page(pdf, index, &pg)) != REBUILD_OK)
			break;
		if (pages != NULL)
			(*pages)++;
		if (index > UINT32_MAX - step) {
			rc = REBUILD_EFRAMES;
			break;
		}
		index += step;
	}
	free(px);
	return rc;
}

int
rebuild_pdf_add_stream(struct rebuild_pdf *pdf, struct pixels_reader *r, uint32_t *pages)
{
	uint32_t first;

	pthread_mutex_lock(&pdf->lock);
	first = pdf->count;
	pthread_mutex_unlock(&pdf->lock);
	return rebuild_pdf_add_stream_at(pdf, r, first, 1, pages);
}

/* px * 72 / dpi points as "int.fff", without printf's locale-dependent %f. */
static void
points(uint32_t px, unsigned dpi, char *out, size_t len)
{
	uint64_t milli = ((uint64_t)px * 72000 + dpi / 2) / dpi;

	snprintf(out, len, "%llu.%03llu", (unsigned long long)(milli / 1000),
		 (unsigned long long)(milli % 1000));
}

static int
box_fits(uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, const struct rebuild_page *pg)
{
	return x0 < x1 && y0 < y1 && x1 <= pg->width && y1 <= pg->height;
}

int
rebuild_pdf_set_text(struct rebuild_pdf *pdf, uint32_t index, struct ocr_page *text)
{
	struct ocr_page *t = malloc(sizeof(*t));
	struct rebuild_page *pg;
	uint32_t i;
	int rc = REBUILD_OK;

	if (t == NULL) {
		ocr_page_free(text);
		return REBUILD_ENOMEM;
	}
	*t = *text;
	memset(text, 0, sizeof(*text));
	pthread_mutex_lock(&pdf->lock);
	pg = index < pdf->nslots ? &pdf->pages[index] : NULL;
	if (pg == NULL || pg->data == NULL || pg->text != NULL || t->turns > 3)
		rc = REBUILD_ETEXT;
	for (i = 0; i < t->nlines && rc == REBUILD_OK; i++)
		if (!box_fits(t->lines[i].x0, t->lines[i].y0, t->lines[i].x1, t->lines[i].y1, pg) ||
		    t->lines[i].dir > OCR_DIR_UP)
			rc = REBUILD_ETEXT;
	for (i = 0; i < t->nwords && rc == REBUILD_OK; i++)
		if (!box_fits(t->words[i].x0, t->words[i].y0, t->words[i].x1, t->words[i].y1, pg) ||
		    t->words[i].line >= t->nlines ||
		    (i > 0 && t->words[i].line < t->words[i - 1].line))
			rc = REBUILD_ETEXT;
	if (rc == REBUILD_OK && t->nwords > 0) {
		pg->text = t;
		pdf->texts++;
		t = NULL;
	}
	pthread_mutex_unlock(&pdf->lock);
	if (t != NULL) {
		ocr_page_free(t);
		free(t);
	}
	return rc;
}

uint32_t
rebuild_pdf_text_pages(struct rebuild_pdf *pdf)
{
	uint32_t n;

	pthread_mutex_lock(&pdf->lock);
	n = pdf->texts;
	pthread_mutex_unlock(&pdf->lock);
	return n;
}

static int
write_pdf(const struct rebuild_pdf *pdf, struct rebuild_buf *out)
{
	struct rebuild_cidmap m = { 0 };
	struct rebuild_buf content = { 0 };
	uint32_t font, nobj, i;
	size_t *off, xref;
	int rc = REBUILD_OK, text = 0;

	/* Too many distinct characters to name: the pages go without their text. */
	if (pdf->texts > 0 && (rc = rebuild_cidmap_make(pdf->pages, pdf->count, &m)) == REBUILD_OK)
		text = m.n > 0;
	if (rc == REBUILD_ETEXT)
		rc = REBUILD_OK;
	if (rc != REBUILD_OK)
		return rc;
	font = 3 + 3 * pdf->count;
	nobj = 2 + 3 * pdf->count + (text ? 6 : 0);
	if ((off = calloc((size_t)nobj + 1, sizeof(*off))) == NULL) {
		free(m.cps);
		return REBUILD_ENOMEM;
	}
	rc = rebuild_emit(out, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	off[1] = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "2 0 obj\n<< /Type /Pages /Count %u /Kids [", pdf->count);
	for (i = 0; i < pdf->count && rc == REBUILD_OK; i++)
		rc = rebuild_emit(out, "%s%u 0 R", i % 16 == 15 ? "\n" : " ", 3 + 3 * i);
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, " ] >>\nendobj\n");
	for (i = 0; i < pdf->count && rc == REBUILD_OK; i++) {
		const struct rebuild_page *pg = &pdf->pages[i];
		uint32_t obj = 3 + 3 * i;
		int has_text = text && pg->text != NULL;
		char w[32], h[32], fontres[48] = "", rotate[16] = "";

		points(pg->width, pdf->dpi, w, sizeof w);
		points(pg->height, pdf->dpi, h, sizeof h);
		content.len = 0;
		rc = rebuild_emit(&content, "q %s 0 0 %s 0 0 cm /Im0 Do Q", w, h);
		if (has_text) {
			snprintf(fontres, sizeof fontres, " /Font << /F1 %u 0 R >>", font);
			/* A page OCR found turned (a scan upside down or on its side) is
			 * shown upright; its pixels stay as they were. */
			if (pg->text->turns != 0)
				snprintf(rotate, sizeof rotate, " /Rotate %u", 90u * pg->text->turns);
			if (rc == REBUILD_OK)
				rc = rebuild_emit(&content, "\n");
			if (rc == REBUILD_OK)
				rc = rebuild_text_ops(pg, pdf->dpi, &m, &content);
		}
		off[obj] = out->len;
		if (rc == REBUILD_OK)
			rc = rebuild_emit(out, "%u 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s]%s "
				  "/Resources << /XObject << /Im0 %u 0 R >>%s >> /Contents %u 0 R >>\n"
				  "endobj\n", obj, w, h, rotate, obj + 2, fontres, obj + 1);
		off[obj + 1] = out->len;
		if (rc == REBUILD_OK && has_text) {
			rc = rebuild_emit_flate(out, obj + 1, "", content.p, content.len);
		} else if (rc == REBUILD_OK) {
			rc = rebuild_emit(out, "%u 0 obj\n<< /Length %zu >>\nstream\n", obj + 1, content.len);
			if (rc == REBUILD_OK)
				rc = rebuild_buf_append(out, content.p, content.len);
			if (rc == REBUILD_OK)
				rc = rebuild_emit(out, "\nendstream\nendobj\n");
		}
		off[obj + 2] = out->len;
		if (rc == REBUILD_OK)
			rc = rebuild_emit(out, "%u 0 obj\n<< /Type /XObject /Subtype /Image /Width %u "
				  "/Height %u /ColorSpace /%s /BitsPerComponent %u /Filter /%s "
				  "/Length %zu >>\nstream\n", obj + 2, pg->width, pg->height,
				  pg->channels == 1 ? "DeviceGray" : "DeviceRGB", pg->bits,
				  pg->enc == REBUILD_ENC_JPEG_GREY || pg->enc == REBUILD_ENC_JPEG_RGB
				  ? "DCTDecode" : "FlateDecode", pg->len);
		if (rc == REBUILD_OK)
			rc = rebuild_buf_append(out, pg->data, pg->len);
		if (rc == REBUILD_OK)
			rc = rebuild_emit(out, "\nendstream\nendobj\n");
	}
	if (rc == REBUILD_OK && text)
		rc = rebuild_text_font(&m, font, off, out);
	xref = out->len;
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "xref\n0 %u\n0000000000 65535 f \n", nobj + 1);
	for (i = 1; i <= nobj && rc == REBUILD_OK; i++)
		rc = rebuild_emit(out, "%010zu 00000 n \n", off[i]);
	if (rc == REBUILD_OK)
		rc = rebuild_emit(out, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
			  nobj + 1, xref);
	rebuild_buf_free(&content);
	free(m.cps);
	free(off);
	return rc;
}

int
rebuild_pdf_finish(struct rebuild_pdf *pdf, struct rebuild_buf *out)
{
	size_t start = out->len, total = 4096;
	uint32_t i;
	int rc = REBUILD_OK;

	if (pdf->count == 0 || pdf->filled != pdf->count)
		rc = REBUILD_EFRAMES;		/* no page, or a page missing */
	for (i = 0; i < pdf->count && rc == REBUILD_OK; i++)
		total += pdf->pages[i].len + 512;
	/* Reserve the whole document at once: one allocation, no copies on growth. */
	if (rc == REBUILD_OK && total > out->cap - out->len) {
		uint8_t *p = realloc(out->p, out->len + total);

		if (p == NULL)
			rc = REBUILD_ENOMEM;
		else {
			out->p = p;
			out->cap = out->len + total;
		}
	}
	if (rc == REBUILD_OK && (rc = write_pdf(pdf, out)) != REBUILD_OK)
		out->len = start;
	rebuild_pdf_free(pdf);
	return rc;
}
