/*
 * ooxml.h — a docx, xlsx or pptx rebuilt as a new zip of only the parts an editable
 * document needs, for procedures whose policy keeps Office files editable.
 *
 * The invariant: nothing of the input's package structure is copied. The output's
 * [Content_Types].xml and every .rels part are written by us from what we parsed,
 * listing only parts whose content type is on an allow-list for the kind (no
 * vbaProject, ActiveX, OLE objects or embeddings, external links, custom UI,
 * connections, custom XML, printer settings or fonts; for pptx no sound, video, OLE
 * objects, ActiveX or tags either) and only relationships of an
 * allowed type whose target is such a part inside the package (never
 * TargetMode="External"); the kept parts are copied byte for byte except that field
 * instructions other than a small set of harmless ones (DDE, DDEAUTO, INCLUDETEXT,
 * HYPERLINK, ... — everything but page numbers, dates, references and the like) are
 * blanked in Word's text parts, and formulas containing '|' (DDE) are removed from
 * Excel's sheets. The parser takes hostile XML: every count, size and depth is
 * bounded below, a DOCTYPE or CDATA section is refused, and only the five predefined
 * and numeric entities are decoded. It is fuzzed (tests/fuzz/fuzz_ooxml_filter.c).
 * The members come from unpack_child's sandbox; the result is scanned again.
 */
#ifndef SEKISHO_OOXML_H
#define SEKISHO_OOXML_H

#include <stddef.h>
#include <stdint.h>

#include "rebuild.h"

#define OOXML_MAX_PARTS		1000		/* members of the package */
#define OOXML_MAX_XML		(32u << 20)	/* bytes of one XML part we parse */
#define OOXML_MAX_DEPTH		256		/* element nesting */
#define OOXML_MAX_TOKENS	(4u << 20)	/* tags and texts in one XML part */
#define OOXML_MAX_TYPES		4000		/* Default and Override entries */
#define OOXML_MAX_RELS		10000		/* relationships in one .rels part */
#define OOXML_MAX_VALUE		2048		/* bytes of one decoded attribute */
#define OOXML_MAX_INSTR		4096		/* bytes of one field instruction */
#define OOXML_MAX_FIELD_DEPTH	16		/* nested fields */
#define OOXML_MAX_NAME		255		/* bytes of a part name */

enum ooxml_kind { OOXML_DOCX, OOXML_XLSX, OOXML_PPTX };

struct ooxml_part {
	const char *name;	/* the zip member's path, NUL-terminated */
	const uint8_t *data;
	size_t len;
};

enum ooxml_status {
	OOXML_OK = 0,
	OOXML_EMALFORMED = -1,	/* XML we refuse to read (DOCTYPE, CDATA, broken) */
	OOXML_ELIMITS = -2,	/* a bound above */
	OOXML_ENOMAIN = -3,	/* no main document part of the kind survives */
	OOXML_ENOMEM = -4,
	OOXML_EARCHIVE = -5,	/* libarchive could not write the zip */
};

struct ooxml_report {
	uint32_t kept, dropped;		/* parts */
	uint32_t rels_dropped;		/* relationships */
	uint32_t fields_blanked;	/* Word field instructions */
	uint32_t formulas_removed;	/* Excel formulas with '|' */
	char first_dropped[OOXML_MAX_NAME + 1];	/* for the operator's detail */
};

/* Rebuild the package made of parts[0..n) (names unique) as kind into out (a new
 * zip: [Content_Types].xml, _rels/.rels, then the kept parts in input order).
 * Returns OOXML_OK with *rep filled, or a negative OOXML_E*. */
int ooxml_rebuild(enum ooxml_kind kind, const struct ooxml_part *parts, uint32_t n,
    struct rebuild_buf *out, struct ooxml_report *rep);

/* Whether a part of this content type is kept in a package of this kind. */
int ooxml_type_allowed(enum ooxml_kind kind, const char *content_type);

/* A static name for a status. */
const char *ooxml_strerror(int rc);

/* "sekisho-ooxml/1 libarchive/3.6.2" into buf, for attestations. */
void ooxml_engine_version(char *buf, size_t len);

#endif
