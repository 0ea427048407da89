/*
 * textclean.h — a citizen's plain text or CSV made clean UTF-8.
 *
 * The output is strict UTF-8 with no BOM, no control character but TAB, LF and CR,
 * no bidirectional override or isolate ("Trojan Source") and no U+FEFF; and, when
 * the text is comma- or tab-separated, no cell that a spreadsheet would run as a
 * formula (a leading "'" neutralises it; plain numbers are left as they are). It is
 * a fixed point: cleaning the output again gives the same bytes, which is how the
 * pipeline's parent checks what its sandboxed child made.
 */
#ifndef SEKISHO_TEXTCLEAN_H
#define SEKISHO_TEXTCLEAN_H

#include <iconv.h>
#include <stddef.h>
#include <stdint.h>

/* Input and output alike, so that an output can always be cleaned again. The
 * pipeline's input is already within DETECT_TEXT_MAX (32 MiB); CP932 Japanese grows
 * by half as UTF-8, and a neutralised cell by a byte. */
#define TEXTCLEAN_MAX		(64u * 1024 * 1024)
#define TEXTCLEAN_CSV_MIN_RECORDS 2			/* non-empty records to be a CSV */

enum textclean_encoding {
	TEXTCLEAN_UTF8,
	TEXTCLEAN_CP932,	/* Shift_JIS as Windows writes it */
};

enum textclean_kind {
	TEXTCLEAN_TXT,
	TEXTCLEAN_CSV,		/* comma- or tab-separated (textclean.c: the rule) */
};

/* Return codes. */
#define TEXTCLEAN_OK		0
#define TEXTCLEAN_EENCODING	1	/* not valid in the encoding it was said to be */
#define TEXTCLEAN_ELIMITS	2	/* input or output past its bound */
#define TEXTCLEAN_ENOMEM	3
#define TEXTCLEAN_EICONV	4	/* no CP932 converter could be opened */
#define TEXTCLEAN_EUNCLEAN	5	/* textclean_check: cleaning would change it */

/* What was removed or changed; every count is of characters (cells for csv_cells). */
struct textclean_report {
	uint64_t bom;		/* a BOM at the very start */
	uint64_t c0;		/* C0 controls other than TAB, LF, CR */
	uint64_t del;		/* U+007F */
	uint64_t c1;		/* U+0080..U+009F */
	uint64_t bidi;		/* U+202A..U+202E, U+2066..U+2069 */
	uint64_t feff;		/* U+FEFF after the start */
	uint64_t csv_cells;	/* cells given a leading "'" */
	uint32_t kind;		/* enum textclean_kind */
	uint32_t separator;	/* ',' or '\t' for a CSV, else 0 */
};

/* Clean len bytes of text in encoding enc into *out (malloc'd, *out_len bytes; the
 * caller frees it; NULL when empty) and fill *rep. For TEXTCLEAN_CP932, cd is an open
 * iconv descriptor from CP932 to UTF-8 (it is reset here), or (iconv_t)-1 to open one
 * (which a seccomp-confined child cannot: it loads a module). Returns TEXTCLEAN_*. */
int textclean_run(const uint8_t *in, size_t len, enum textclean_encoding enc, iconv_t cd,
    uint8_t **out, size_t *out_len, struct textclean_report *rep);

/* Whether p[0..len), UTF-8, is already clean — a fixed point of textclean_run, as
 * everything it outputs is: TEXTCLEAN_OK with *rep filled (its kind and separator),
 * TEXTCLEAN_EUNCLEAN if cleaning would change a byte, or another TEXTCLEAN_* code. */
int textclean_check(const uint8_t *p, size_t len, struct textclean_report *rep);

/* Whether p[0..len) is strict UTF-8 (no overlongs, surrogates or past U+10FFFF). */
int textclean_utf8_valid(const uint8_t *p, size_t len);

/* "csv" or "txt": the output type of a kind. */
const char *textclean_kind_name(uint32_t kind);

/* A static description of a TEXTCLEAN_* code. */
const char *textclean_strerror(int rc);

/* "textclean N": named in attestations, bumped when the rules change. */
const char *textclean_engine_version(void);

#endif
