/*
 * doc_render.h — issued documents (交付文書) made from a template: merge, then draw.
 *
 * A template is plain text with fields {{name}}: an answer of the application by its
 * field name, or one of the fields officed supplies (receipt_no, date_wareki, date,
 * municipality, procedure_title). The merge is text only — a value is never read as
 * a template again — and the result is laid out by Pango on A4 in a mincho font
 * (IPAmj明朝, which has the 人名用 variants of a citizen's name; IPAex明朝 if it is
 * absent), with the municipality's name and seal image at the foot, into a PDF by
 * cairo. The PDF is signed afterwards (pades.h).
 */
#ifndef SEKISHO_DOC_RENDER_H
#define SEKISHO_DOC_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DOC_TEMPLATE_MAX   (32 * 1024)	/* bytes of a template's text */
#define DOC_TITLE_MAX      200		/* bytes of a document title */
#define DOC_VALUE_MAX      4000		/* bytes of one merged value */
#define DOC_FIELDS_MAX     200		/* fields in one template */
#define DOC_MERGED_MAX     (128 * 1024)	/* bytes of a merged text */
#define DOC_PAGES_MAX      20		/* pages of one document */
#define DOC_SEAL_MAX       (512 * 1024)	/* bytes of a seal PNG */
#define DOC_SEAL_PX_MAX    2000		/* width and height of a seal image */
#define DOC_FONT           "IPAmjMincho, IPAexMincho, serif"

/* Merge values (a JSON object: strings, numbers, arrays of strings) into tmpl. An
 * unknown field is an error naming it, so a clerk never issues a document with a
 * hole in it. *out is malloc'd. 0, or -1 with err (Japanese). */
int doc_render_merge(const char *tmpl, const json_t *values, char **out, char *err,
		     size_t errlen);

/* 0 if tmpl is a well-formed template (fields closed, names [A-Za-z0-9_], within the
 * bounds), else -1 with err (Japanese). */
int doc_render_check(const char *tmpl, char *err, size_t errlen);

struct doc_render_input {
	const char *title;		/* drawn large at the top */
	const char *body;		/* merged text; newlines kept */
	const char *municipality;	/* at the foot, beside the seal */
	const uint8_t *seal_png;	/* NULL: no seal */
	size_t seal_len;
};

/* Draw in as a PDF; *pdf is malloc'd (*len bytes). 0, or -1 with err. */
int doc_render_pdf(const struct doc_render_input *in, uint8_t **pdf, size_t *len, char *err,
		   size_t errlen);

/* 0 if png is a PNG that doc_render_pdf can draw as a seal, else -1 with err. */
int doc_render_seal_check(const uint8_t *png, size_t len, char *err, size_t errlen);

/* Release the fonts Pango, cairo and fontconfig keep cached (the calling thread's),
 * so that a leak checker at exit sees only real leaks. Tests call it once, at the end. */
void doc_render_release(void);

#endif
