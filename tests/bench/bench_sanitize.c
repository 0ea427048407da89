/*
 * bench_sanitize.c — the sanitizer pipeline end to end, as sekishoctl sanitize runs
 * it: detection, the input scan, rendering in the sandbox, the rebuild, the output
 * scan, both hashes and the signed attestation (with a throwaway key).
 *
 * Inputs, made here or by tests/bench/make-bench-pdf.py so that every byte is known:
 *   text     10 pages of tests/corpus/make-pdf-samples.py's dense text page (A4)
 *   japanese 10 A4 pages of a Japanese notice as a word processor sets it: 40
 *            characters by 36 lines of 10.5 pt IPAex Mincho on an 18 pt pitch, written
 *            here with Pango and cairo's PDF surface (the font embedded)
 *   scanned  10 A4 pages, each one 150 dpi grey image of noisy paper with text-like
 *            marks (Flate-compressed raw pixels, as a scanner's PDF would carry)
 *            (scanned), then the notice's first page so scanned in grey (scan-jp)
 *            and in colour, on cream paper with two red seals over it, the page a
 *            JPEG of quality 85 in the PDF as colour scanners write it (scan-col)
 *   jpeg     a 12-megapixel (4000x3000) photo-like JPEG, quality 90, made with libjpeg
 *   batch    100 small files (1-page text PDFs, 1024x768 JPEGs, 800x600 PNGs) through
 *            two threads, as the service's two workers would take them
 *
 * It prints seconds per page, pages per second and output bytes per page, and the
 * ratio of each to the issue's target (<= 1.00 meets it). Run from the source tree
 * (make bench-sanitize): the signatures are tests/clamav, the text PDF comes from
 * the Python helper. An argument (text, japanese, scanned, jpeg, batch, ocr) runs one
 * case only (text: the English and the Japanese text PDFs; bands: the end of ocr).
 *
 *   ocr      the text and scanned PDFs again with Japanese and English OCR, two
 *            pages at once (two lanes, each with its OCR child) and one at a time;
 *            the Japanese PDF two at a time with jpn+eng and with jpn alone;
 *            then one-page documents (a Japanese page, a scanned one, the English
 *            text page), a 3-page one and a page of the notice written vertically
 *            (縦書き, read by jpn_vert in strips of columns), alone and under a title
 *            across over its issuer's line across (vertical-h: those two lines read
 *            across by the child of the first strip), their odd page out read in bands by
 *            both lanes (the models loaded once, as the service does), in bands
 *            with each OCR child loading its own, and by one OCR child; then
 *            Tesseract alone on the first Japanese page, drawn and scanned (jpn, one
 *            thread, outside the sandbox, in this process), against which the
 *            pipeline's s/page is put: what two cores could do at best
 *   tesseract that last measurement only
 *   photo    the 12 Mpx photo as lossy WebP (libwebp, quality 80) and a 3 Mpx HEIC
 *            (heif-enc from libheif-examples, quality 80: x265 on 12 Mpx takes
 *            minutes to make)
 *   office   tests/corpus/office/five-pages.docx through a fresh LibreOffice in its
 *            cage per file (the one-shot) and through the warm converter (officewarm.h)
 *            after its warm-up, with the ratio; then the one-page docx, xlsx and pptx
 *            warm (best of 2)
 *
 * libclamav runs as the service runs it, in the scanner process (scan_spawn); with
 * BENCH_SCANNER=inline it runs in this process instead (scan_open), as it did before
 * session 18. BENCH_SIGS=N adds N synthetic MD5 signatures (.hdb) to the test
 * signatures, in a temporary database directory: a production database's engine is
 * about a gigabyte (2 million hash signatures make ~0.5 GB), against a few kilobytes
 * for tests/clamav, and whichever process holds it, every fork of a sandboxed child
 * copies its page tables. The CPU figures include the scanner process's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <jpeglib.h>
#include <pango/pangocairo.h>
#include <png.h>
#include <tesseract/capi.h>
#include <webp/encode.h>
#include <zlib.h>

#include "crypto.h"
#include "fsio.h"
#include "pipeline.h"
#include "rebuild.h"
#include "scanproc.h"
#include "testnotice.h"

extern void omp_set_max_active_levels(int max_levels);	/* libgomp, as ocr_child.c */

#define TARGET_S_PER_PAGE	0.05		/* without OCR */
#define TARGET_OCR_S_PER_PAGE	0.6		/* with Japanese OCR on both cores */
#define TARGET_TEXT_BYTES	(100.0 * 1000)	/* per text page */
#define TARGET_SCAN_BYTES	(300.0 * 1000)	/* per scanned page */
#define SCAN_COLOUR_QUALITY	85		/* JPEG quality of the colour scanner's pages */
#define A4_W_PX			1240		/* A4 at 150 dpi, as the render child */
#define A4_H_PX			1754		/* draws it (whole pixels) */
#define BENCH_PAGES		10
#define VERTICAL_TITLE		"住民票の写し等の交付についてのお知らせ"	/* vertical-h */
#define VERTICAL_ISSUER		"令和八年十一月二十四日　関所市役所　市民課"
#define BENCH_BATCH		100
#define BENCH_RUNS		3
#define BENCH_OFFICE_RUNS	10	/* warm conversions averaged */
#define BENCH_OFFICE_FRESH	3	/* files through office_recycle = 1 */
#define BENCH_OFFICE_GAP_S	8	/* seconds between them */

struct blob {
	uint8_t *p;
	size_t len, cap;
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_sanitize: %s\n", what);
	exit(1);
}

static void
blob_add(struct blob *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap - b->len < n)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
blob_printf(struct blob *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
blob_printf(struct blob *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	blob_add(b, tmp, (size_t)n);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct scanner *scanner;

/* CPU seconds of the scanner process so far (0 when libclamav runs in ours, whose
 * time RUSAGE_SELF counts; the scanner is not reaped until the end, so
 * RUSAGE_CHILDREN does not). */
static double
scanner_cpu_s(void)
{
	unsigned long utime = 0, stime = 0;
	unsigned starts;
	char path[64], buf[1024], *p;
	int abi, n;
	pid_t pid;
	FILE *f;

	if (scan_process_info(scanner, &pid, &starts, &abi) != 0 || pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	/* After the command name, which may hold spaces: fields 14 and 15. */
	if (!n || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
		   &stime) != 2)
		return 0;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double
cpu_s(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			kids.ru_stime.tv_sec) +
	    (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
		     kids.ru_stime.tv_usec) / 1e6 + scanner_cpu_s();
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* Roughly normal noise of standard deviation ~sd (sum of four uniforms). */
static int
noise(int sd)
{
	int s = 0, i;

	for (i = 0; i < 4; i++)
		s += (int)(rng() % 256);
	return (s - 510) * sd / 148;
}

static uint8_t
clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* ---- inputs ---- */

static struct blob
read_file(const char *path)
{
	struct blob b = { 0 };
	uint8_t buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		die(path);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		blob_add(&b, buf, n);
	fclose(f);
	return b;
}

static struct blob
text_pdf(unsigned pages)
{
	char dir[] = "/tmp/sekisho-bench-XXXXXX", path[128], cmd[512];
	struct blob b;

	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(path, sizeof path, "%s/text.pdf", dir);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/bench/make-bench-pdf.py %s %u", path,
		 pages);
	if (system(cmd) != 0)
		die("tests/bench/make-bench-pdf.py failed (run from the source tree)");
	b = read_file(path);
	unlink(path);
	rmdir(dir);
	return b;
}

static cairo_status_t
blob_write(void *closure, const unsigned char *data, unsigned int n)
{
	blob_add(closure, data, n);
	return CAIRO_STATUS_SUCCESS;
}

/* End the PDF drawn with cr on pdf, whose bytes went to a blob (blob_write); what
 * names it in the message if cairo failed to write it. */
static void
pdf_done(cairo_t *cr, cairo_surface_t *pdf, const char *what)
{
	cairo_destroy(cr);
	cairo_surface_finish(pdf);
	if (cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS) {
		char msg[128];

		snprintf(msg, sizeof msg, "cairo: cannot write the %s PDF", what);
		die(msg);
	}
	cairo_surface_destroy(pdf);
}

/* A municipal notice, 40 x 36 characters a page (A4, 10.5 pt, 18 pt pitch, 25 mm
 * side margins): the grid a Japanese word processor sets by default. */
/* One page of the notice on cr (in points), 40 characters by 36 lines from *s on. */
static void
draw_notice_page(cairo_t *cr, const char **s)
{
	const double size = 10.5, pitch = 18.0;
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_from_string("IPAexMincho");
	unsigned line, k;

	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	for (line = 0; line < 36; line++) {
		char buf[40 * 4 + 1], *d = buf;

		for (k = 0; k < 40; k++) {	/* 40 characters of 3 UTF-8 bytes */
			memcpy(d, *s, 3);
			d += 3;
			*s += 3;
			if (**s == '\0')
				*s = testnotice_text;
		}
		*d = '\0';
		pango_layout_set_text(layout, buf, -1);
		cairo_move_to(cr, 71.0, 92.0 + line * pitch);
		pango_cairo_show_layout(cr, layout);
	}
	pango_font_description_free(font);
	g_object_unref(layout);
}

static struct blob
japanese_pdf(unsigned pages)
{
	const double w = 595.28, h = 841.89;
	struct blob b = { 0 };
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(blob_write, &b, w, h);
	cairo_t *cr = cairo_create(pdf);
	const char *s = testnotice_text;
	unsigned page;

	for (page = 0; page < pages; page++) {
		draw_notice_page(cr, &s);
		cairo_show_page(cr);
	}
	pdf_done(cr, pdf, "Japanese");
	return b;
}

/* Onto cr, text across in IPAexGothic of size points, its top left at (x, y). */
static void
show_across(cairo_t *cr, const char *text, double size, double x, double y)
{
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_from_string("IPAexGothic");

	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	pango_layout_set_text(layout, text, -1);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, layout);
	pango_font_description_free(font);
	g_object_unref(layout);
}

/* The notice written vertically (縦書き), one page: 26 columns of 40 characters
 * (10.5 pt on an 18 pt pitch, right to left from 71 pt off the right edge), each
 * column a Pango line turned a quarter, its glyphs upright (gravity east). With
 * heading, under a title across and over its issuer's line across, as notices are
 * set (vertical-h). */
static struct blob
vertical_pdf(int heading)
{
	const double w = 595.28, h = 841.89, size = 10.5, pitch = 18.0;
	struct blob b = { 0 };
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(blob_write, &b, w, h);
	cairo_t *cr = cairo_create(pdf);
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_from_string("IPAexMincho");
	const char *s = testnotice_text;
	unsigned column, k;

	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	pango_context_set_base_gravity(pango_layout_get_context(layout), PANGO_GRAVITY_EAST);
	pango_context_set_gravity_hint(pango_layout_get_context(layout),
				       PANGO_GRAVITY_HINT_STRONG);
	pango_layout_context_changed(layout);
	for (column = 0; column < 26; column++) {
		char buf[40 * 4 + 1], *d = buf;

		for (k = 0; k < 40; k++) {	/* 40 characters of 3 UTF-8 bytes */
			memcpy(d, s, 3);
			d += 3;
			s += 3;
			if (*s == '\0')
				s = testnotice_text;
		}
		*d = '\0';
		pango_layout_set_text(layout, buf, -1);
		cairo_save(cr);
		cairo_translate(cr, w - 71.0 - column * pitch, 92.0);
		cairo_rotate(cr, G_PI_2);
		pango_cairo_update_layout(cr, layout);
		pango_cairo_show_layout(cr, layout);
		cairo_restore(cr);
	}
	if (heading) {
		show_across(cr, VERTICAL_TITLE, 16, 160, 48);
		show_across(cr, VERTICAL_ISSUER, 10.5, 260, 540);
	}
	cairo_show_page(cr);
	pango_font_description_free(font);
	g_object_unref(layout);
	pdf_done(cr, pdf, "vertical");
	return b;
}

/* How a form's labels are set in their cells: none, set solid (13 pt characters
 * 16 pt apart), spread over the cell (均等割付: 6 pt from its top and bottom), or
 * labels of two characters so spread. */
enum form_labels { FORM_NO_LABELS, FORM_LABELS_SOLID, FORM_LABELS_SPREAD, FORM_LABELS_TWO };

/* A resident-move form's sections (住民異動届): two tables side by side, 8 sections
 * each of three ruled rows, and in each section's narrow cell at the left its label
 * written down (届出人 ...; 16 in all, ocr_vertical_islands) as labels says, or
 * those cells empty: the same page but for its labels (form-16, form-spread,
 * form-0). */
static struct blob
form_pdf(enum form_labels labels)
{
	static const char *const label[16] = {
		"届出人", "世帯主", "転入者", "転出先", "新住所", "旧住所", "本籍地", "筆頭者",
		"連絡先", "代理人", "続柄欄", "生年月", "手数料", "受付者", "確認者", "備考欄",
	};
	static const char *const two[16] = {
		"本籍", "備考", "続柄", "世帯", "年齢", "職業", "性別", "学校",
		"印鑑", "区分", "番号", "理由", "種別", "期間", "方法", "用途",
	};
	static const char *const row[3] = {
		"氏名　山田　太郎", "住所　関所市本町一丁目２番３号", "電話　０３－１２３４－５６７８",
	};
	const double w = 595.28, h = 841.89, top = 110, row_h = 26, cell_w = 26, table_w = 248;
	struct blob b = { 0 };
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(blob_write, &b, w, h);
	cairo_t *cr = cairo_create(pdf);

	show_across(cr, "住民異動届", 18, 252, 50);
	cairo_set_line_width(cr, 1.0);
	for (int t = 0; t < 2; t++) {
		double x0 = 40 + t * (table_w + 19);

		for (int sec = 0; sec < 8; sec++) {
			double y0 = top + sec * 3 * row_h;
			const char *name = (labels == FORM_LABELS_TWO ? two : label)[t * 8 + sec];
			int chars = labels == FORM_LABELS_TWO ? 2 : 3;

			cairo_rectangle(cr, x0, y0, table_w, 3 * row_h);
			cairo_move_to(cr, x0 + cell_w, y0);
			cairo_line_to(cr, x0 + cell_w, y0 + 3 * row_h);
			for (int r = 0; r < 3; r++) {
				if (r > 0) {
					cairo_move_to(cr, x0 + cell_w, y0 + r * row_h);
					cairo_line_to(cr, x0 + table_w, y0 + r * row_h);
				}
				show_across(cr, row[r], 10.5, x0 + cell_w + 12, y0 + r * row_h + 6);
			}
			/* The label's characters one under another, upright. */
			for (int k = 0; labels != FORM_NO_LABELS && k < chars; k++) {
				char ch[4] = { name[3 * k], name[3 * k + 1], name[3 * k + 2], 0 };
				double y = labels == FORM_LABELS_SOLID ? 15 + k * 16 :
				    6 + k * (3 * row_h - 2 * 6 - 13) / (chars - 1);

				show_across(cr, ch, 13, x0 + 6.5, y0 + y);
			}
		}
	}
	cairo_stroke(cr);
	cairo_show_page(cr);
	pdf_done(cr, pdf, "form");
	return b;
}

static void scan_ink(uint8_t *px, const uint8_t *ink, uint32_t w, uint32_t h, int full,
    int blur);

/* A 150 dpi A4 scan of a printed page: paper at ~232 with a slow shading and
 * sensor grain (sd 4), and 48 lines of dark words, made of a 26-glyph alphabet, whose
 * edges the scanner's optics soften (a 3x3 blur). */
static uint8_t *
scan_pixels(uint32_t w, uint32_t h)
{
	uint8_t *px = malloc((size_t)w * h), *ink = calloc((size_t)w * h, 1);
	uint8_t glyphs[26][16][9];
	uint32_t line, g, gx, gy;

	if (px == NULL || ink == NULL)
		die("out of memory");
	/* An alphabet of 26 glyphs of 9x16 strokes, as a font has: a page repeats them. */
	for (g = 0; g < 26; g++)
		for (gy = 0; gy < 16; gy++)
			for (gx = 0; gx < 9; gx++)
				glyphs[g][gy][gx] = (rng() % 3 == 0 && (gx % 3 == 0 || gy % 5 == 0));
	for (line = 0; line < 48; line++) {
		uint32_t top = 120 + line * 29, left = 116;

		while (left < w - 140) {
			uint32_t word = 2 + rng() % 9, i, c;

			for (i = 0; i < word; i++, left += 11)
				for (c = rng() % 26, gy = 0; gy < 16; gy++)
					for (gx = 0; gx < 9; gx++)
						ink[(size_t)(top + gy) * w + left + gx] = glyphs[c][gy][gx];
			left += 11;
		}
	}
	scan_ink(px, ink, w, h, 1, 1);
	free(ink);
	return px;
}

/* The grey of scanned paper at (x, y) of a w x h page: ~232, with the slow shading
 * of a scanner's light (226 at the top left, 238 at the bottom right). */
static int
scan_paper(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	return 226 + (int)(x * 6 / w) + (int)(y * 6 / h);
}

/* What the scanner makes of ink (coverage 0..full per pixel) on paper: with blur, the
 * optics soften edges over 3x3 pixels (ink drawn without anti-aliasing). */
static void
scan_ink(uint8_t *px, const uint8_t *ink, uint32_t w, uint32_t h, int full, int blur)
{
	uint32_t x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			int paper = scan_paper(x, y, w, h), cover = 0, dx, dy;

			if (!blur)
				cover = 9 * ink[(size_t)y * w + x];
			else if (y > 0 && x > 0 && y + 1 < h && x + 1 < w)
				for (dy = -1; dy <= 1; dy++)
					for (dx = -1; dx <= 1; dx++)
						cover += ink[(size_t)(y + dy) * w + x + dx];
			px[(size_t)y * w + x] =
			    clamp8(paper - (paper - 45) * cover / (9 * full) + noise(4));
		}
}

/* The notice's first page drawn at 150 dpi on a w x h A8 surface: its ink. */
static cairo_surface_t *
notice_ink(uint32_t w, uint32_t h)
{
	cairo_surface_t *page = cairo_image_surface_create(CAIRO_FORMAT_A8, (int)w, (int)h);
	cairo_t *cr = cairo_create(page);
	const char *s = testnotice_text;

	cairo_scale(cr, 150.0 / 72, 150.0 / 72);
	draw_notice_page(cr, &s);
	cairo_destroy(cr);
	cairo_surface_flush(page);
	return page;
}

/* The notice's first page as a feeder scans it: its ink (w x h, one byte a pixel),
 * set askew by 0.3 degrees as a sheet goes through a feeder. */
static uint8_t *
askew_notice_ink(uint32_t w, uint32_t h)
{
	cairo_surface_t *page = notice_ink(w, h);
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_A8, (int)w, (int)h);
	cairo_t *cr;
	uint8_t *ink = malloc((size_t)w * h);
	const uint8_t *a;
	int stride;
	uint32_t y;

	if (ink == NULL)
		die("out of memory");
	/* Turned as pixels, not as glyphs: cairo's rotated glyphs lost Mincho's thin
	 * horizontal strokes, which a scan keeps, greyer. */
	cr = cairo_create(sf);
	cairo_rotate(cr, 0.3 * 3.14159265 / 180);
	cairo_set_source_surface(cr, page, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_destroy(page);
	cairo_surface_flush(sf);
	a = cairo_image_surface_get_data(sf);
	stride = cairo_image_surface_get_stride(sf);
	for (y = 0; y < h; y++)
		memcpy(ink + (size_t)y * w, a + (size_t)y * (size_t)stride, w);
	cairo_surface_destroy(sf);
	return ink;
}

/* The first page of the Japanese notice, printed and scanned at 150 dpi in grey:
 * askew, on scan_pixels' paper with its grain (cairo's anti-aliasing stands for the
 * optics' blur). */
static uint8_t *
scan_notice_pixels(uint32_t w, uint32_t h)
{
	uint8_t *px = malloc((size_t)w * h), *ink = askew_notice_ink(w, h);

	if (px == NULL)
		die("out of memory");
	scan_ink(px, ink, w, h, 255, 0);
	free(ink);
	return px;
}

/* Seal ink (its coverage, 0..255) on a w x h A8 surface at 150 dpi: the office's
 * 公印, a square of 22 mm with its name in it, over the notice's line ends, and a
 * 認印 of 11 mm, a ring with a family name, mid-line. */
static cairo_surface_t *
seal_ink(uint32_t w, uint32_t h)
{
	static const struct { const char *text; double x, y, size; int ring; } seal[] = {
		{ "之区\n印長", 432, 115, 62, 0 }, { "山\n田", 282, 318, 31, 1 },
	};
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_A8, (int)w, (int)h);
	cairo_t *cr = cairo_create(sf);
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_from_string("IPAexMincho");
	size_t i;

	cairo_scale(cr, 150.0 / 72, 150.0 / 72);
	pango_layout_set_font_description(layout, font);
	for (i = 0; i < sizeof seal / sizeof seal[0]; i++) {
		double side = seal[i].size, line = side / 20;

		cairo_set_line_width(cr, line);
		cairo_new_path(cr);
		if (seal[i].ring)
			cairo_arc(cr, seal[i].x + side / 2, seal[i].y + side / 2, (side - line) / 2, 0,
				  2 * 3.14159265);
		else
			cairo_rectangle(cr, seal[i].x + line / 2, seal[i].y + line / 2, side - line,
					side - line);
		cairo_stroke(cr);
		pango_font_description_set_absolute_size(font,
		    side * (seal[i].ring ? 0.38 : 0.34) * PANGO_SCALE);
		pango_layout_set_font_description(layout, font);
		pango_layout_set_text(layout, seal[i].text, -1);
		cairo_move_to(cr, seal[i].x + side * (seal[i].ring ? 0.31 : 0.14), seal[i].y + line);
		pango_cairo_show_layout(cr, layout);
	}
	pango_font_description_free(font);
	g_object_unref(layout);
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	return sf;
}

/* The notice's first page as an office's scanner makes it in colour, as most
 * multifunction printers do by default: scan_notice_pixels' page on cream paper
 * (its channels 234, 231, 226 at the page's brightest, each with its own grain),
 * with two seals in vermilion (朱肉, which takes away 12 % of the red and 80 % and
 * 76 % of the green and blue) over the print. RGB, w x h. */
static uint8_t *
scan_colour_notice_pixels(uint32_t w, uint32_t h)
{
	static const int tint[3] = { 256, 253, 247 }, absorb[3] = { 12, 80, 76 };
	uint8_t *px = malloc((size_t)w * h * 3), *ink = askew_notice_ink(w, h);
	cairo_surface_t *seals = seal_ink(w, h);
	const uint8_t *red = cairo_image_surface_get_data(seals);
	int stride = cairo_image_surface_get_stride(seals);
	uint32_t x, y;

	if (px == NULL)
		die("out of memory");
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			int paper = scan_paper(x, y, w, h);
			int cover = ink[(size_t)y * w + x], seal = red[(size_t)y * (size_t)stride + x];

			for (int c = 0; c < 3; c++) {
				int v = paper * tint[c] / 256;

				v -= (v - 45) * cover / 255;
				v -= v * absorb[c] * seal / (100 * 255);
				px[((size_t)y * w + x) * 3 + c] = clamp8(v + noise(4));
			}
		}
	cairo_surface_destroy(seals);
	free(ink);
	return px;
}

/* The notice's first page drawn at 150 dpi, grey, as the render child gives it to
 * the OCR child (cairo's glyphs rather than MuPDF's: the same lines to read). */
static uint8_t *
notice_pixels(uint32_t w, uint32_t h)
{
	cairo_surface_t *sf = notice_ink(w, h);
	uint8_t *px = malloc((size_t)w * h);
	const uint8_t *a;
	int stride;

	if (px == NULL)
		die("out of memory");
	a = cairo_image_surface_get_data(sf);
	stride = cairo_image_surface_get_stride(sf);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			px[(size_t)y * w + x] = (uint8_t)(255 - a[(size_t)y * (size_t)stride + x]);
	cairo_surface_destroy(sf);
	return px;
}

/*
 * CPU seconds Tesseract takes to read the page px (w x h, 150 dpi grey) by itself:
 * jpn, one block, one thread, as the OCR child's leading reader reads a Japanese
 * page, but in this process, with no sandbox, no scan and no rebuild around it; the
 * best of BENCH_RUNS. Half of it is the best two cores can do per page, which the
 * issue's 0.6 s/page assumes is ~0.55 s (its anchor: 1.1 s a page on one core).
 */
static double
tesseract_alone_s(const uint8_t *px, uint32_t w, uint32_t h)
{
	TessBaseAPI *api = TessBaseAPICreate();
	double best = 0;

	omp_set_max_active_levels(0);	/* one thread, as in the OCR child */
	/* and, as its readers, no second reading of unsure lines inverted (ocr_child.c) */
	if (api == NULL || TessBaseAPIInit3(api, NULL, "jpn") != 0 ||
	    !TessBaseAPISetVariable(api, "tessedit_do_invert", "0"))
		die("cannot load Tesseract's jpn model (tesseract-ocr-jpn)");
	for (int i = 0; i < BENCH_RUNS; i++) {
		struct timespec a, b;
		double s;

		TessBaseAPISetPageSegMode(api, PSM_SINGLE_BLOCK);
		TessBaseAPISetImage(api, px, (int)w, (int)h, 1, (int)w);
		TessBaseAPISetSourceResolution(api, 150);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		if (TessBaseAPIRecognize(api, NULL) != 0)
			die("Tesseract could not read the page");
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		TessBaseAPIClear(api);
		s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (i == 0 || s < best)
			best = s;
	}
	TessBaseAPIEnd(api);
	TessBaseAPIDelete(api);
	return best;
}

static struct blob jpeg_of_pixels(const uint8_t *px, uint32_t w, uint32_t h, unsigned channels,
    int quality);

/* pages A4 pages, each the one 150 dpi image px (w x h, grey or with 3 channels,
 * freed here), as a scanner's PDF carries it: Flate-compressed raw pixels, or
 * (quality not 0) a JPEG of that quality, as colour scanners write. */
static struct blob
scan_pdf(uint8_t *px, uint32_t w, uint32_t h, unsigned channels, int quality,
    unsigned pages)
{
	uint8_t *z;
	uLong len = (uLong)w * h * channels;
	uLongf zlen = compressBound(len);
	struct blob b = { 0 }, jpeg = { 0 };
	size_t *off = calloc(3 + 2 * pages + 1, sizeof *off);
	unsigned i, nobj = 3 + 2 * pages;
	size_t xref;

	if (quality != 0) {
		jpeg = jpeg_of_pixels(px, w, h, channels, quality);
		z = jpeg.p;
		zlen = (uLongf)jpeg.len;
	} else if ((z = malloc(zlen)) == NULL || compress2(z, &zlen, px, len, 6) != Z_OK) {
		die("zlib");
	}
	if (off == NULL)
		die("out of memory");
	blob_printf(&b, "%%PDF-1.5\n%%\xe2\xe3\xcf\xd3\n");
	off[1] = b.len;
	blob_printf(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b.len;
	blob_printf(&b, "2 0 obj\n<< /Type /Pages /Count %u /Kids [", pages);
	for (i = 0; i < pages; i++)
		blob_printf(&b, " %u 0 R", 4 + 2 * i);
	blob_printf(&b, " ] >>\nendobj\n");
	off[3] = b.len;
	blob_printf(&b, "3 0 obj\n<< /Type /XObject /Subtype /Image /Width %u /Height %u "
		    "/ColorSpace /Device%s /BitsPerComponent 8 /Filter /%s "
		    "/Length %lu >>\nstream\n", w, h, channels == 3 ? "RGB" : "Gray",
		    quality != 0 ? "DCTDecode" : "FlateDecode", (unsigned long)zlen);
	blob_add(&b, z, zlen);
	blob_printf(&b, "\nendstream\nendobj\n");
	for (i = 0; i < pages; i++) {
		const char *content = "q 595 0 0 842 0 0 cm /Im0 Do Q";

		off[4 + 2 * i] = b.len;
		blob_printf(&b, "%u 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
			    "/Resources << /XObject << /Im0 3 0 R >> >> /Contents %u 0 R >>\n"
			    "endobj\n", 4 + 2 * i, 5 + 2 * i);
		off[5 + 2 * i] = b.len;
		blob_printf(&b, "%u 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
			    5 + 2 * i, strlen(content), content);
	}
	xref = b.len;
	blob_printf(&b, "xref\n0 %u\n0000000000 65535 f \n", nobj + 1);
	for (i = 1; i <= nobj; i++)
		blob_printf(&b, "%010zu 00000 n \n", off[i]);
	blob_printf(&b, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
		    nobj + 1, xref);
	free(z);
	free(px);
	free(off);
	return b;
}

static struct blob
scanned_pdf(unsigned pages)
{
	return scan_pdf(scan_pixels(A4_W_PX, A4_H_PX), A4_W_PX, A4_H_PX, 1, 0, pages);
}

static struct blob
scanned_notice_pdf(unsigned pages)
{
	return scan_pdf(scan_notice_pixels(A4_W_PX, A4_H_PX), A4_W_PX, A4_H_PX, 1, 0, pages);
}

static struct blob
scanned_colour_notice_pdf(unsigned pages)
{
	return scan_pdf(scan_colour_notice_pixels(A4_W_PX, A4_H_PX), A4_W_PX, A4_H_PX, 3,
			SCAN_COLOUR_QUALITY, pages);
}

/* A photo-like RGB picture: smooth colour fields with sensor noise. */
static uint8_t *
photo_pixels(uint32_t w, uint32_t h)
{
	uint8_t *px = malloc((size_t)w * h * 3);
	uint32_t x, y;

	if (px == NULL)
		die("out of memory");
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint8_t *p = px + ((size_t)y * w + x) * 3;
			int r = (int)(x * 200 / w) + 30, g = (int)(y * 180 / h) + 40,
			    bl = (int)((x + y) * 120 / (w + h)) + 60;

			if (((x / 97) ^ (y / 131)) & 1)	/* objects in the scene */
				r = 255 - r, bl = 255 - bl;
			p[0] = clamp8(r + noise(6));
			p[1] = clamp8(g + noise(6));
			p[2] = clamp8(bl + noise(6));
		}
	return px;
}

/* px (w x h, 1 or 3 channels) as a JPEG of quality, made with libjpeg. */
static struct blob
jpeg_of_pixels(const uint8_t *px, uint32_t w, uint32_t h, unsigned channels, int quality)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *mem = NULL;
	unsigned long memlen = 0;
	struct blob b = { 0 };
	JSAMPROW row;

	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &memlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = (int)channels;
	c.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		row = (JSAMPROW)(px + (size_t)c.next_scanline * w * channels);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	blob_add(&b, mem, memlen);
	free(mem);
	return b;
}

static struct blob
jpeg_of(uint32_t w, uint32_t h, int quality)
{
	uint8_t *px = photo_pixels(w, h);
	struct blob b = jpeg_of_pixels(px, w, h, 3, quality);

	free(px);
	return b;
}

static struct blob
webp_of(uint32_t w, uint32_t h, float quality)
{
	uint8_t *px = photo_pixels(w, h), *out = NULL;
	size_t n = WebPEncodeRGB(px, (int)w, (int)h, (int)w * 3, quality, &out);
	struct blob b = { 0 };

	if (n == 0)
		die("WebPEncodeRGB");
	blob_add(&b, out, n);
	WebPFree(out);
	free(px);
	return b;
}

/* A file's bytes, or an empty blob (the case is then skipped). */
static struct blob
file_of(const char *path)
{
	struct blob b = { 0 };
	uint8_t buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return b;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		blob_add(&b, buf, n);
	fclose(f);
	return b;
}

/* An HEIC of the photo pixels by heif-enc (not linked: x265 is a test tool). */
static struct blob
heic_of(uint32_t w, uint32_t h)
{
	struct pixels_header hd = { .width = w, .height = h, .channels = 3, .depth = 8 };
	struct rebuild_buf png = { 0 };
	uint8_t *px = photo_pixels(w, h);
	char dir[] = "/tmp/bench_sanitize.XXXXXX", cmd[256], in[64], out[64];
	struct blob b = { 0 };
	FILE *f;

	if (mkdtemp(dir) == NULL || rebuild_png_encode(&hd, px, &png) != REBUILD_OK)
		die("heic: png");
	snprintf(in, sizeof in, "%s/in.png", dir);
	snprintf(out, sizeof out, "%s/out.heic", dir);
	if ((f = fopen(in, "wb")) != NULL) {
		fwrite(png.p, 1, png.len, f);
		fclose(f);
	}
	snprintf(cmd, sizeof cmd, "heif-enc -q 80 -o %s %s >/dev/null 2>&1", out, in);
	if (system(cmd) == 0)
		b = file_of(out);
	unlink(in);
	unlink(out);
	rmdir(dir);
	rebuild_buf_free(&png);
	free(px);
	return b;
}

/* A screenshot-like PNG: flat panels and a few lines of dark marks. */
static struct blob
png_of(uint32_t w, uint32_t h)
{
	uint8_t *px = malloc((size_t)w * h * 3);
	png_image img;
	png_alloc_size_t len = 0;
	struct blob b = { 0 };
	uint32_t x, y;

	if (px == NULL)
		die("out of memory");
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint8_t *p = px + ((size_t)y * w + x) * 3;
			int dark = y % 24 < 12 && x % 9 < 6 && (x / 9 + y / 24) % 7 != 0;

			p[0] = dark ? 30 : y < 60 ? 40 : 250;
			p[1] = dark ? 30 : y < 60 ? 90 : 250;
			p[2] = dark ? 30 : y < 60 ? 160 : 250;
		}
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_memory(&img, NULL, &len, 0, px, 0, NULL))
		die("png");
	if ((b.p = malloc(len)) == NULL ||
	    !png_image_write_to_memory(&img, b.p, &len, 0, px, 0, NULL))
		die("png");
	b.len = b.cap = len;
	free(px);
	return b;
}

/* ---- running the pipeline ---- */

static struct pipeline_config cfg;
static struct ocr_models *models;

/* One file through pipeline_run; returns its result (the caller frees it). */
static void
run_one(const struct blob *in, struct pipeline_result *res)
{
	int in_fd = memfd_create("in", MFD_CLOEXEC), out_fd = memfd_create("out", MFD_CLOEXEC);

	if (in_fd < 0 || out_fd < 0 || write(in_fd, in->p, in->len) != (ssize_t)in->len)
		die("memfd");
	if (pipeline_run(&cfg, in_fd, out_fd, res) != 0)
		die("pipeline_run: internal error");
	if (!res->clean) {
		fprintf(stderr, "bench_sanitize: refused: %s (%s)\n", res->reason, res->detail);
		exit(1);
	}
	close(in_fd);
	close(out_fd);
}

struct figures {
	double wall, cpu;
	uint32_t pages, ocr_pages, ocr_pages_eng, ocr_lines_reread, ocr_banded, ocr_vert;
	uint64_t out_bytes, ocr_rss_kb;
};

/* The best of BENCH_RUNS runs (the machine's noise only ever adds time). */
static struct figures
measure_n(const struct blob *in, int runs)
{
	struct figures best = { 0 };
	int i;

	for (i = 0; i < runs; i++) {
		struct pipeline_result res;
		double t0 = now_s(), c0 = cpu_s();

		run_one(in, &res);
		if (i == 0 || now_s() - t0 < best.wall) {
			best.wall = now_s() - t0;
			best.cpu = cpu_s() - c0;
			best.pages = res.pages;
			best.out_bytes = res.output_size;
			best.ocr_pages = res.ocr_pages;
			best.ocr_rss_kb = res.ocr_max_rss_kb;
			best.ocr_pages_eng = res.ocr_pages_eng;
			best.ocr_lines_reread = res.ocr_lines_reread;
			best.ocr_banded = res.ocr_pages_banded;
			best.ocr_vert = res.ocr_pages_vert_model;
		}
		pipeline_result_free(&res);
	}
	return best;
}

static struct figures
measure(const struct blob *in)
{
	return measure_n(in, BENCH_RUNS);
}

/* With OCR in langs, pages in lanes OCR children at once (one run: a page takes
 * seconds). */
static double
report_ocr(const char *name, const struct blob *in, unsigned lanes, const char *langs)
{
	struct figures f, off;
	double spp;

	cfg.ocr = NULL;
	off = measure_n(in, 1);
	cfg.ocr = langs;
	cfg.lanes = lanes;
	f = measure_n(in, 1);
	cfg.ocr = NULL;
	cfg.lanes = PIPELINE_DEFAULT_LANES;
	spp = f.wall / f.pages;
	printf("%-10s %2u pages, OCR %s, %u at once: %6.3f s/page  %7.1f KB/page "
	       "(%.1f without OCR)  %u pages with text (%u led by eng, %u lines read "
	       "twice)  OCR child peak RSS %llu MB  cpu %4.2f cores | vs target 0.6 s/page: "
	       "%.2fx\n",
	       name, f.pages, langs, lanes, spp, (double)f.out_bytes / f.pages / 1000.0,
	       (double)off.out_bytes / off.pages / 1000.0, f.ocr_pages, f.ocr_pages_eng,
	       f.ocr_lines_reread,
	       (unsigned long long)(f.ocr_rss_kb / 1024), f.cpu / f.wall, spp / TARGET_OCR_S_PER_PAGE);
	return spp;
}

/* Tesseract alone on page px (an A4 page at 150 dpi; freed here), and the
 * pipeline's s/page on two cores (0: not measured) against half of it. */
static void
report_tesseract(const char *name, uint8_t *px, double pipeline_spp)
{
	double t = tesseract_alone_s(px, A4_W_PX, A4_H_PX);

	free(px);
	printf("%-10s  1 page , Tesseract alone (jpn, one thread, no sandbox): %5.2f cpu-s "
	       "(the issue's anchor: 1.1 s), so at best %5.3f s/page on 2 cores",
	       name, t, t / 2);
	if (pipeline_spp > 0)
		printf("; the pipeline's %5.3f s/page is %.0f %% of that", pipeline_spp,
		       100.0 * (t / 2) / pipeline_spp);
	printf("\n");
}

/* A document of an odd number of pages with OCR on both lanes: its last page read in
 * bands (ocr_bands, the default) by children starting from the models loaded once
 * (ocr_models, as the service and the CLI do), in bands by children that each load
 * their own, and by one OCR child while the other lane idles; best of three runs
 * each, the three alternating. */
static void
report_ocr_bands(const char *name, const struct blob *in)
{
	static const struct { int bands, models; } variant[] = { { 1, 1 }, { 1, 0 }, { 0, 1 } };
	struct figures f[3] = { { 0 } };
	int i, v;

	cfg.ocr = OCR_DEFAULT_LANGS;
	for (i = 0; i < 9; i++) {
		struct figures g;

		v = i % 3;
		cfg.ocr_bands = variant[v].bands;
		cfg.ocr_models = variant[v].models ? models : NULL;
		g = measure_n(in, 1);
		if (i < 3 || g.wall < f[v].wall)
			f[v] = g;
	}
	cfg.ocr = NULL;
	cfg.ocr_bands = 1;
	cfg.ocr_models = models;
	printf("%-10s %2u page%s, OCR %s: in bands %6.3f s (%4.2f cpu-s, %u read in bands), "
	       "each child loading %6.3f s (%4.2f cpu-s), one child %6.3f s (%4.2f cpu-s) | "
	       "ratio %.2f, vs target 0.6 s/page: %.2fx\n",
	       name, f[0].pages, f[0].pages == 1 ? " " : "s", OCR_DEFAULT_LANGS, f[0].wall,
	       f[0].cpu, f[0].ocr_banded, f[1].wall, f[1].cpu, f[2].wall, f[2].cpu,
	       f[0].wall / f[2].wall, f[0].wall / f[0].pages / TARGET_OCR_S_PER_PAGE);
}

/* What a form's labels written down cost (ocr_vertical_islands: each read on its own
 * by jpn_vert), set as how says: the form with its 16 labels against the same form
 * without, in one child and in bands; best of three runs each, alternating. */
static void
report_labels(const char *name, const char *how, const struct blob *with,
	      const struct blob *without)
{
	struct figures f[4] = { { 0 } };	/* with, without; one child, bands */

	cfg.ocr = OCR_DEFAULT_LANGS;
	for (int i = 0; i < 12; i++) {
		int v = i % 4;
		struct figures g;

		cfg.ocr_bands = v >= 2;
		g = measure_n(v % 2 == 0 ? with : without, 1);
		if (i < 4 || g.wall < f[v].wall)
			f[v] = g;
	}
	cfg.ocr = NULL;
	cfg.ocr_bands = 1;
	printf("%-11s 1 page , OCR %s, 16 labels written down %s (%s): one child %6.3f s "
	       "(%4.2f cpu-s) against %6.3f s without them, %5.1f ms a label; in bands %6.3f s "
	       "against %6.3f s | ratio %.2f, in bands %.2f\n",
	       name, OCR_DEFAULT_LANGS, how, f[0].ocr_vert ? "read by jpn_vert" : "NOT read down",
	       f[0].wall, f[0].cpu, f[1].wall, 1000.0 * (f[0].wall - f[1].wall) / 16, f[2].wall,
	       f[3].wall, f[0].wall / f[1].wall, f[2].wall / f[3].wall);
}

static void
report_pdf(const char *name, const struct blob *in, double target_bytes)
{
	struct figures f = measure(in);
	double spp = f.wall / f.pages, bpp = (double)f.out_bytes / f.pages;

	printf("%-10s %2u pages  %6.3f s/page  %6.1f pages/s  %7.1f KB/page  "
	       "cpu %4.2f cores  | vs target: time %.2fx  size %.2fx\n",
	       name, f.pages, spp, 1.0 / spp, bpp / 1000.0, f.cpu / f.wall,
	       spp / TARGET_S_PER_PAGE, bpp / target_bytes);
}

/* Office: the 5-page docx through a fresh LibreOffice per file (the one-shot) and
 * through the warm converter after its warm-up, then the one-page samples warm. */
static void
report_office(void)
{
	static const char *const docs[] = { "sample.docx", "sample.xlsx", "sample.pptx" };
	struct officewarm_config wc;
	struct officewarm *w;
	struct pipeline_result res;
	struct blob d = file_of("tests/corpus/office/five-pages.docx");
	struct figures cold, warm;
	double conv_cold = 1e9, conv_warm = 0, conv_best = 1e9, t0;
	char err[256], path[128];
	int i;

	if (d.len == 0 || access(OFFICEPDF_SOFFICE, X_OK) != 0) {
		printf("office     skipped (no five-pages.docx or no LibreOffice)\n");
		free(d.p);
		return;
	}
	for (i = 0; i < 2; i++) {
		run_one(&d, &res);
		if (res.office_seconds < conv_cold)
			conv_cold = res.office_seconds;
		pipeline_result_free(&res);
	}
	cold = measure_n(&d, 1);
	officewarm_config_default(&wc);
	if (officewarm_new(&wc, &w, err, sizeof err) != 0) {
		printf("office     warm converter unavailable: %s\n", err);
		free(d.p);
		return;
	}
	cfg.office_warm = w;
	t0 = now_s();
	run_one(&d, &res);	/* the warm-up: start, profile, first load */
	printf("office     warm converter: first file %.2f s after start (LibreOffice %.2f s)\n",
	       now_s() - t0, res.office_seconds);
	pipeline_result_free(&res);
	for (i = 0; i < BENCH_OFFICE_RUNS; i++) {
		run_one(&d, &res);
		conv_warm += res.office_seconds;
		if (res.office_seconds < conv_best)
			conv_best = res.office_seconds;
		pipeline_result_free(&res);
	}
	conv_warm /= BENCH_OFFICE_RUNS;
	warm = measure_n(&d, BENCH_RUNS);
	printf("office     five-pages.docx %u pages  one-shot: %5.2f s/document (LibreOffice "
	       "%5.2f s)  warm: %5.2f s/document (LibreOffice mean %5.2f s, best %5.2f s over "
	       "%d)  one-shot/warm %4.1fx | vs target 0.5 s (conversion after warm-up): %.2fx\n",
	       warm.pages, cold.wall, conv_cold, warm.wall, conv_warm, conv_best,
	       BENCH_OFFICE_RUNS, cold.wall / warm.wall, conv_warm / 0.5);
	cfg.office_warm = NULL;
	officewarm_free(w);
	/* office_recycle = 1: a fresh converter per file, started as the previous one is
	 * killed; with uploads BENCH_OFFICE_GAP_S apart it is warm when the next comes. */
	wc.recycle_after = 1;
	if (officewarm_new(&wc, &w, err, sizeof err) != 0) {
		printf("office     warm converter unavailable: %s\n", err);
		free(d.p);
		return;
	}
	cfg.office_warm = w;
	conv_warm = 0;
	for (i = 0; i < BENCH_OFFICE_FRESH; i++) {
		sleep(BENCH_OFFICE_GAP_S);
		t0 = now_s();
		run_one(&d, &res);
		conv_warm += now_s() - t0;
		pipeline_result_free(&res);
	}
	printf("office     five-pages.docx, a fresh converter per file (office_recycle = 1), "
	       "files %d s apart: %5.2f s/document\n", BENCH_OFFICE_GAP_S,
	       conv_warm / BENCH_OFFICE_FRESH);
	cfg.office_warm = NULL;
	officewarm_free(w);
	wc.recycle_after = OFFICEWARM_DEFAULT_RECYCLE;
	if (officewarm_new(&wc, &w, err, sizeof err) != 0) {
		free(d.p);
		return;
	}
	cfg.office_warm = w;
	for (i = 0; i < 3; i++) {
		struct blob o;
		struct figures f;

		snprintf(path, sizeof path, "tests/corpus/office/%s", docs[i]);
		if ((o = file_of(path)).len == 0)
			continue;
		f = measure_n(&o, 2);
		printf("office     %-11s %u page(s)  warm %5.2f s/document  %7.1f KB/page  "
		       "cpu %4.2f cores\n", docs[i], f.pages, f.wall,
		       (double)f.out_bytes / f.pages / 1000.0, f.cpu / f.wall);
		free(o.p);
	}
	cfg.office_warm = NULL;
	officewarm_free(w);
	free(d.p);
}

struct batch {
	struct blob *files;
	atomic_uint next;
	atomic_uint_fast64_t pages, bytes;
};

static void *
batch_worker(void *arg)
{
	struct batch *b = arg;
	unsigned i;

	while ((i = atomic_fetch_add(&b->next, 1)) < BENCH_BATCH) {
		struct pipeline_result res;

		run_one(&b->files[i], &res);
		atomic_fetch_add(&b->pages, res.pages);
		atomic_fetch_add(&b->bytes, res.output_size);
		pipeline_result_free(&res);
	}
	return NULL;
}

/* BENCH_SAVE_DIR=DIR keeps the generated PDFs, to run them through sekishoctl
 * sanitize or a profiler alone. */
struct named_blob {
	const char *name;
	const struct blob *b;
};

static void
save_inputs(const char *dir, const struct named_blob *in, size_t n)
{
	char path[4096];
	FILE *f;

	if (dir == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, in[i].name);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(in[i].b->p, 1, in[i].b->len, f) != in[i].b->len || fclose(f) != 0)
			die("cannot write the benchmark input");
	}
}

/* The signature directory: tests/clamav, or with n (a decimal string; NULL: none)
 * synthetic hash signatures added, a temporary copy in dir (removed at the end). */
static const char *
signature_dir(const char *n, char *dir, size_t len)
{
	static const char *const kept[] = { "sekisho-test.hdb", "sekisho-test.ndb" };
	unsigned long count, i;
	char path[PATH_MAX], cmd[PATH_MAX + 64];
	uint64_t x = 0x2545f4914f6cdd1dull;	/* its own sequence: the inputs stay the same */
	uint8_t md5[16];
	FILE *f;
	size_t k;

	if (n == NULL || (count = strtoul(n, NULL, 10)) == 0)
		return "tests/clamav";
	snprintf(dir, len, "%s/bench-sigs.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	for (k = 0; k < sizeof kept / sizeof kept[0]; k++) {
		snprintf(cmd, sizeof cmd, "cp tests/clamav/%s %s/", kept[k], dir);
		if (system(cmd) != 0)
			die("cannot copy tests/clamav");
	}
	snprintf(path, sizeof path, "%s/synthetic.hdb", dir);
	if ((f = fopen(path, "w")) == NULL)
		die("synthetic.hdb");
	/* MD5s of nothing anyone uploads (a counter), sizes spread as real ones are. */
	for (i = 0; i < count; i++) {
		for (k = 0; k < sizeof md5; k++)
			x ^= x << 13, x ^= x >> 7, x ^= x << 17, md5[k] = (uint8_t)(x >> 32);
		for (k = 0; k < sizeof md5; k++)
			fprintf(f, "%02x", md5[k]);
		fprintf(f, ":%lu:Sekisho.Bench.Synthetic.%lu\n", 1000 + i % 500000, i);
	}
	if (fclose(f) != 0)
		die("synthetic.hdb");
	printf("signatures %lu synthetic hash signatures added (%s)\n", count, dir);
	return dir;
}

/* VmRSS and VmPTE of /proc/PID/status (pid 0: ours), in kB. */
static void
memory_of(pid_t pid, long *rss_kb, long *pte_kb)
{
	char path[64], line[256];
	FILE *f;

	*rss_kb = *pte_kb = 0;
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/status");
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		(void)sscanf(line, "VmRSS: %ld", rss_kb);
		(void)sscanf(line, "VmPTE: %ld", pte_kb);
	}
	fclose(f);
}

/* What each fork of a sandboxed child copies: this process's page tables. */
static void
report_memory(void)
{
	long rss, pte, srss = 0, spte = 0;
	unsigned starts;
	int abi;
	pid_t pid;

	memory_of(0, &rss, &pte);
	if (scan_process_info(scanner, &pid, &starts, &abi) == 0 && pid > 0)
		memory_of(pid, &srss, &spte);
	printf("memory     sanitizer %ld MB resident, page tables %ld KB; scanner process "
	       "%ld MB, %ld KB\n", rss >> 10, pte, srss >> 10, spte);
}

int
main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;	/* one case: text, scanned, jpeg, batch,
							 * ocr, bands, tesseract, ... */
	struct scan_limits slim;
	const char *inline_scan = getenv("BENCH_SCANNER");
	char sigdir[PATH_MAX] = "", err[512];
	const char *db;
	struct blob text, japanese, scanned, scan_jp, scan_col, scan_col1, photo, small[3], japanese1, japanese3,
	    scan_jp1, vertical1, vertical_h1, form16, form_spread, form_two, form0;
	struct batch batch = { 0 };
	pthread_t th[2];
	uint8_t key[32];
	double t0, c0, wall, spp_japanese = 0, spp_scan_jp = 0;
	int i, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pipeline_config_default(&cfg);
	scan_limits_default(&slim);
	db = signature_dir(getenv("BENCH_SIGS"), sigdir, sizeof sigdir);
	if (inline_scan != NULL && strcmp(inline_scan, "inline") == 0) {
		if ((rc = scan_open(&scanner, db, &slim)) != 0)
			die("tests/clamav: cannot load the signatures (run from the source tree)");
		printf("scanner    libclamav in this process (BENCH_SCANNER=inline)\n");
	} else {
		unsigned starts;
		int abi;
		pid_t pid;

		if ((rc = scan_spawn(&scanner, db, &slim, err, sizeof err)) != 0) {
			fprintf(stderr, "%s\n", err);
			die("cannot start the scanner process (run from the source tree)");
		}
		(void)scan_process_info(scanner, &pid, &starts, &abi);
		printf("scanner    libclamav in %s, a process of its own (Landlock ABI %d)\n",
		       SCANPROC_PROGRAM, abi);
	}
	if (crypto_random(key, sizeof key) != CRYPTO_OK)
		die("random");
	cfg.scanner = scanner;
	cfg.sign_key = key;

	text = text_pdf(BENCH_PAGES);
	japanese = japanese_pdf(BENCH_PAGES);
	scanned = scanned_pdf(BENCH_PAGES);
	scan_jp = scanned_notice_pdf(BENCH_PAGES);
	scan_col = scanned_colour_notice_pdf(BENCH_PAGES);
	scan_col1 = scanned_colour_notice_pdf(1);
	japanese1 = japanese_pdf(1);
	japanese3 = japanese_pdf(3);
	scan_jp1 = scanned_notice_pdf(1);
	vertical1 = vertical_pdf(0);
	vertical_h1 = vertical_pdf(1);
	form16 = form_pdf(FORM_LABELS_SOLID);
	form_spread = form_pdf(FORM_LABELS_SPREAD);
	form_two = form_pdf(FORM_LABELS_TWO);
	form0 = form_pdf(FORM_NO_LABELS);
	photo = jpeg_of(4000, 3000, 90);
	small[0] = text_pdf(1);
	small[1] = jpeg_of(1024, 768, 85);
	small[2] = png_of(800, 600);
	{
		const struct named_blob in[] = {
			{ "text.pdf", &text }, { "japanese.pdf", &japanese },
			{ "scanned.pdf", &scanned }, { "scan-jp.pdf", &scan_jp },
			{ "scan-col.pdf", &scan_col }, { "vertical.pdf", &vertical1 },
			{ "vertical-h.pdf", &vertical_h1 }, { "form-16.pdf", &form16 },
			{ "form-spread.pdf", &form_spread }, { "form-two.pdf", &form_two },
			{ "form-0.pdf", &form0 },
		};

		save_inputs(getenv("BENCH_SAVE_DIR"), in, sizeof in / sizeof in[0]);
	}

	printf("sanitizer at %u dpi, sandbox and both scans included, best of %d runs\n",
	       cfg.dpi, BENCH_RUNS);
	if (only == NULL || strcmp(only, "text") == 0)
		report_pdf("text", &text, TARGET_TEXT_BYTES);
	if (only == NULL || strcmp(only, "text") == 0 || strcmp(only, "japanese") == 0)
		report_pdf("japanese", &japanese, TARGET_TEXT_BYTES);
	if (only == NULL || strcmp(only, "scanned") == 0) {
		report_pdf("scanned", &scanned, TARGET_SCAN_BYTES);
		report_pdf("scan-jp", &scan_jp, TARGET_SCAN_BYTES);
		report_pdf("scan-col", &scan_col, TARGET_SCAN_BYTES);
	}
	/* The models loaded once, as sanitized loads them when OCR is on, for the OCR
	 * cases only: they make every fork of this process dearer (docs/sanitizer.md). */
	if (only == NULL || strcmp(only, "ocr") == 0 || strcmp(only, "bands") == 0) {
		if (ocr_models_load(NULL, OCR_DEFAULT_LANGS, &models) != 0)
			die("cannot load the OCR models (tesseract-ocr-jpn, -eng)");
		cfg.ocr_models = models;
	}
	if (only == NULL || strcmp(only, "ocr") == 0) {
		spp_japanese = report_ocr("japanese", &japanese, 2, OCR_DEFAULT_LANGS);
		report_ocr("japanese", &japanese, 2, "jpn");
		report_ocr("text", &text, 2, OCR_DEFAULT_LANGS);
		report_ocr("text", &text, 1, OCR_DEFAULT_LANGS);
		spp_scan_jp = report_ocr("scan-jp", &scan_jp, 2, OCR_DEFAULT_LANGS);
		report_ocr("scanned", &scanned, 2, OCR_DEFAULT_LANGS);
		report_ocr("scanned", &scanned, 1, OCR_DEFAULT_LANGS);
	}
	if (only == NULL || strcmp(only, "ocr") == 0 || strcmp(only, "bands") == 0) {
		report_ocr_bands("japanese", &japanese1);
		report_ocr_bands("scan-jp", &scan_jp1);
		report_ocr_bands("scan-col", &scan_col1);
		report_ocr_bands("text", &small[0]);
		report_ocr_bands("japanese", &japanese3);
		report_ocr_bands("vertical", &vertical1);
		report_ocr_bands("vertical-h", &vertical_h1);
		report_labels("form", "set solid", &form16, &form0);
		report_labels("form-spread", "spread", &form_spread, &form0);
		report_labels("form-two", "spread, two characters", &form_two, &form0);
	}
	if (only == NULL || strcmp(only, "ocr") == 0 || strcmp(only, "tesseract") == 0) {
		report_tesseract("japanese", notice_pixels(A4_W_PX, A4_H_PX), spp_japanese);
		report_tesseract("scan-jp", scan_notice_pixels(A4_W_PX, A4_H_PX), spp_scan_jp);
	}
	cfg.ocr_models = NULL;
	ocr_models_free(models);
	models = NULL;
	malloc_trim(0);	/* or the freed heap keeps the cases below forking 1.4 ms dearer */
	if (only == NULL || strcmp(only, "jpeg") == 0) {
		struct figures f = measure(&photo);

		printf("jpeg       12 Mpx    %6.3f s       input %6.0f KB  output %7.0f KB  "
		       "cpu %4.2f cores\n", f.wall, photo.len / 1000.0, f.out_bytes / 1000.0,
		       f.cpu / f.wall);
	}

	if (only == NULL || strcmp(only, "photo") == 0) {
		struct blob w = webp_of(4000, 3000, 80), h = heic_of(2000, 1500);
		struct figures f = measure(&w);

		printf("webp       12 Mpx    %6.3f s       input %6.0f KB  output %7.0f KB  "
		       "cpu %4.2f cores\n", f.wall, w.len / 1000.0, f.out_bytes / 1000.0,
		       f.cpu / f.wall);
		if (h.len > 0) {
			f = measure(&h);
			printf("heic        3 Mpx    %6.3f s       input %6.0f KB  output %7.0f KB  "
			       "cpu %4.2f cores\n", f.wall, h.len / 1000.0, f.out_bytes / 1000.0,
			       f.cpu / f.wall);
		} else {
			printf("heic       skipped: heif-enc (libheif-examples) is not installed\n");
		}
		free(w.p);
		free(h.p);
	}
	if (only == NULL || strcmp(only, "office") == 0)
		report_office();

	if (only != NULL && strcmp(only, "batch") != 0)
		goto out;
	report_memory();
	if ((batch.files = calloc(BENCH_BATCH, sizeof *batch.files)) == NULL)
		die("out of memory");
	for (i = 0; i < BENCH_BATCH; i++)
		batch.files[i] = small[i % 3];
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, batch_worker, &batch) != 0)
			die("pthread_create");
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	wall = now_s() - t0;
	printf("batch      %d files (1-page PDF, 1024x768 JPEG, 800x600 PNG) on 2 threads: "
	       "%6.2f s  %6.1f files/s  %6.3f s/page  cpu %4.2f of 2 cores\n",
	       BENCH_BATCH, wall, BENCH_BATCH / wall,
	       wall / (double)atomic_load(&batch.pages), (cpu_s() - c0) / wall);

out:
	free(batch.files);
	for (i = 0; i < 3; i++)
		free(small[i].p);
	free(text.p);
	free(japanese.p);
	free(japanese1.p);
	free(vertical1.p);
	free(vertical_h1.p);
	free(form16.p);
	free(form_spread.p);
	free(form_two.p);
	free(form0.p);
	free(japanese3.p);
	free(scan_jp1.p);
	free(scanned.p);
	free(scan_jp.p);
	free(scan_col.p);
	free(scan_col1.p);
	free(photo.p);
	scan_close(scanner);
	if (sigdir[0] != '\0')
		fsio_remove_tree(sigdir);
	return 0;
}
