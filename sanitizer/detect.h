/*
 * detect.h — what a file is, judged by its bytes alone.
 *
 * The name a citizen gave a file and the MIME type the browser declared are never
 * consulted: only magic numbers and, where a magic number is shared (zip, OLE2), the
 * container's own directory. Reading is bounded: a prefix and a suffix of the file,
 * a bounded walk of a zip's or an OLE2 file's directory, and for text a bounded
 * validation pass. Anything not recognised is DETECT_UNKNOWN and is to be refused.
 */
#ifndef SEKISHO_DETECT_H
#define SEKISHO_DETECT_H

#include <stdint.h>

enum detect_type {
	DETECT_UNKNOWN = 0,
	DETECT_PDF,
	DETECT_JPEG,
	DETECT_PNG,
	DETECT_GIF,
	DETECT_TIFF,
	DETECT_BMP,
	DETECT_WEBP,
	DETECT_HEIC,		/* ISO BMFF with a HEIF brand (heic, heix, mif1, ...) */
	DETECT_DOCX,
	DETECT_DOCM,
	DETECT_XLSX,
	DETECT_XLSM,
	DETECT_PPTX,
	DETECT_PPTM,
	DETECT_ODT,
	DETECT_ODS,
	DETECT_ODP,
	DETECT_ZIP,		/* a zip that is none of the above */
	DETECT_DOC,
	DETECT_XLS,
	DETECT_PPT,
	DETECT_OOXML_ENCRYPTED,	/* OLE2 wrapper of a password-protected OOXML file */
	DETECT_TEXT,		/* UTF-8 or Shift_JIS/CP932, no NUL or control bytes */
	DETECT_TYPE_COUNT
};

/* Flags qualify the type; several may be set. */
#define DETECT_F_ENCRYPTED	0x01	/* password protection or encrypted members */
#define DETECT_F_MACRO		0x02	/* VBA project or macro-enabled content type */
#define DETECT_F_TRUNCATED	0x04	/* magic present but the structure is cut short */
#define DETECT_F_EMPTY		0x08	/* zero bytes */
#define DETECT_F_UTF8		0x10	/* DETECT_TEXT: valid UTF-8 (plain ASCII included) */
#define DETECT_F_SJIS		0x20	/* DETECT_TEXT: not UTF-8 but valid CP932 */
#define DETECT_F_MARKUP		0x40	/* text that opens like HTML/XML/SVG: kept unknown */
#define DETECT_F_LOSSY		0x80	/* an image lossily coded: JPEG, HEIC, VP8 WebP */
#define DETECT_F_PAGES		0x100	/* a TIFF of more than one page (a second IFD) */

/* Bounds on what detection reads. */
#define DETECT_PREFIX_LEN	4096		/* the head every magic check looks at */
#define DETECT_SUFFIX_LEN	1024		/* %%EOF, IEND, EOI are looked for here */
#define DETECT_PDF_HEADER_WITHIN 1024		/* as Acrobat: "%PDF-" within 1 KiB */
#define DETECT_ZIP_MAX_MEMBERS	10000
#define DETECT_ZIP_MAX_NAME	1024		/* bytes of a member's path */
#define DETECT_ZIP_MAX_READ	(256u * 1024)	/* bytes read from [Content_Types].xml */
#define DETECT_CFB_MAX_DIR_SECTORS 512		/* directory chain length */
#define DETECT_CFB_MAX_DIFAT_SECTORS 64		/* FATs of files up to ~450 MB at 512 B */
#define DETECT_TEXT_MAX		(32u * 1024 * 1024) /* longer "text" is not text */
#define DETECT_WEBP_MAX_CHUNKS	16		/* VP8X chunks walked to the bitstream */

struct detect_result {
	enum detect_type type;
	unsigned flags;		/* DETECT_F_* */
};

/* Identify the file open on fd by content. Uses pread only, so the fd's offset is
 * untouched. Returns 0 and fills *out (DETECT_UNKNOWN included), or a negative
 * errno when the file cannot be read. */
int detect_fd(int fd, struct detect_result *out);

/* A stable lower-case name for a type: "pdf", "docx", "ooxml-encrypted", "text",
 * "unknown"... suitable for attestations and logs. */
const char *detect_type_name(enum detect_type type);

#endif
