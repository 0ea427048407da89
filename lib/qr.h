/*
 * qr.h — QR codes of a procedure's stable URL, as PNG and as SVG (libqrencode).
 *
 * Error correction level M (15 % of the symbol may be lost: a printed, folded or
 * slightly dirty code still reads). Text is bounded by QR_TEXT_MAX, module size and
 * margin by their own bounds, so the output size is bounded before anything is made.
 * Both functions are pure (no shared state): safe from any thread.
 */
#ifndef SEKISHO_QR_H
#define SEKISHO_QR_H

#include <stddef.h>

#define QR_TEXT_MAX		1024	/* bytes; a URL is under 200, level M holds ~2300 */
#define QR_MODULE_PX_MAX	32	/* pixels per module in the PNG */
#define QR_MARGIN_MAX		16	/* quiet zone in modules; the standard asks for 4 */
#define QR_TITLE_MAX		512	/* bytes of the SVG's <title> */
#define QR_MARGIN_DEFAULT	4

/* PNG (1-bit greyscale, dark modules black) of text, module_px pixels per module and
 * margin_modules of white around it. *out is malloc'd (caller frees), *outlen its
 * size. Returns 0, or -1 with "qr_png: why" in err. */
int qr_png(const char *text, unsigned module_px, unsigned margin_modules,
	   unsigned char **out, size_t *outlen, char *err, size_t errlen);

/* SVG of text: viewBox in modules (so it scales without blur), one white rect and one
 * black path of horizontal runs, shape-rendering crispEdges, and title (UTF-8,
 * escaped here) as its accessible name (role="img"). *out is a malloc'd
 * NUL-terminated string (caller frees), *outlen its length. Returns 0, or -1 with
 * "qr_svg: why" in err. */
int qr_svg(const char *text, unsigned margin, const char *title, char **out,
	   size_t *outlen, char *err, size_t errlen);

#endif
