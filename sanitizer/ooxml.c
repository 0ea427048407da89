/*
 * ooxml.c — the OOXML part filter and rebuild (see ooxml.h for what is kept).
 *
 * The invariant: a part is in the output only if [Content_Types].xml gives it an
 * allowed type for the kind; a relationship only if its type is allowed, it is
 * internal and its target resolves, inside the package, to a kept part; the
 * package's structure files are regenerated from those lists, never copied; and
 * every loop over hostile XML is bounded by a named limit. Anything the parser does
 * not understand ends the rebuild (a refusal), never a guess.
 *
 * The XML reader is deliberately small: tags, attributes and text, with comments and
 * processing instructions skipped and DOCTYPE/CDATA refused (no entity can be
 * declared, so none expands). Names are compared by their local part (after ':'),
 * since OOXML producers use varying prefixes.
 */
#define _GNU_SOURCE
#include "ooxml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#define OOXML_ZIP_TIME	315532800	/* 1980-01-01: the zip epoch; no input date kept */

/* ---- a bounded XML reader ------------------------------------------------------- */

enum xml_type { XML_START, XML_END, XML_TEXT, XML_EOF };

struct xml_cur {
	const uint8_t *p;
	size_t len, off;
	unsigned depth;
	uint32_t tokens;
};

struct xml_tok {
	enum xml_type type;
	const char *name;	/* local name (after ':'), not NUL-terminated */
	size_t name_len;
	size_t start, end;	/* the token's bytes [start, end) */
	size_t attrs, attrs_len; /* attributes of a start tag */
	size_t text, text_len;	/* a text token's bytes */
	int empty;		/* <x/> */
};

static const uint8_t *
find(const uint8_t *p, size_t len, size_t from, const char *s)
{
	size_t n = strlen(s);

	if (from > len || len - from < n)
		return NULL;
	return memmem(p + from, len - from, s, n);
}

static int
name_char(uint8_t c)
{
	return !(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>' ||
		 c == '=' || c == '<' || c == '"' || c == '\'');
}

/* The next token, or -1 (malformed or over a bound). */
static int
xml_next(struct xml_cur *c, struct xml_tok *t)
{
	const uint8_t *p = c->p, *q;
	size_t i, n, quote;

	memset(t, 0, sizeof(*t));
	for (;;) {
		if (c->off >= c->len) {
			t->type = XML_EOF;
			return c->depth == 0 ? 0 : -1;
		}
		if (++c->tokens > OOXML_MAX_TOKENS)
			return -1;
		t->start = c->off;
		if (p[c->off] != '<') {
			q = memchr(p + c->off, '<', c->len - c->off);
			n = q != NULL ? (size_t)(q - p) : c->len;
			t->type = XML_TEXT;
			t->text = c->off;
			t->text_len = n - c->off;
			t->end = c->off = n;
			return 0;
		}
		if (find(p, c->len, c->off, "<?") == p + c->off) {
			if ((q = find(p, c->len, c->off + 2, "?>")) == NULL)
				return -1;
			c->off = (size_t)(q - p) + 2;
			continue;
		}
		if (find(p, c->len, c->off, "<!--") == p + c->off) {
			if ((q = find(p, c->len, c->off + 4, "-->")) == NULL)
				return -1;
			c->off = (size_t)(q - p) + 3;
			continue;
		}
		if (c->off + 1 < c->len && p[c->off + 1] == '!')
			return -1;	/* DOCTYPE, CDATA: refused */
		break;
	}
	i = c->off + 1;
	if (i < c->len && p[i] == '/') {
		t->type = XML_END;
		i++;
	} else {
		t->type = XML_START;
	}
	n = i;
	while (i < c->len && name_char(p[i]))
		i++;
	if (i == n)
		return -1;
	t->name = (const char *)p + n;
	t->name_len = i - n;
	q = memrchr(p + n, ':', i - n);
	if (q != NULL) {
		t->name_len -= (size_t)(q + 1 - p) - n;
		t->name = (const char *)q + 1;
	}
	t->attrs = i;
	/* The end of the tag: the first '>' outside quotes. */
	for (quote = 0; i < c->len; i++) {
		if (quote) {
			if (p[i] == quote)
				quote = 0;
		} else if (p[i] == '"' || p[i] == '\'') {
			quote = p[i];
		} else if (p[i] == '<') {
			return -1;
		} else if (p[i] == '>') {
			break;
		}
	}
	if (i >= c->len)
		return -1;
	t->end = c->off = i + 1;
	if (t->type == XML_END) {
		if (c->depth == 0)
			return -1;
		c->depth--;
		return 0;
	}
	t->empty = p[i - 1] == '/';
	t->attrs_len = i - t->attrs - (t->empty ? 1 : 0);
	if (!t->empty && ++c->depth > OOXML_MAX_DEPTH)
		return -1;
	return 0;
}

static int
is(const struct xml_tok *t, const char *local)
{
	return t->name_len == strlen(local) && memcmp(t->name, local, t->name_len) == 0;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Append the decoded s[0..n) to o (of cap bytes, *olen used, NUL-terminated). */
static int
decode(const uint8_t *s, size_t n, char *o, size_t cap, size_t *olen)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	size_t i = 0, k, len = *olen;

	while (i < n) {
		char tmp[4];
		size_t w = 1;

		if (s[i] == 0)
			return -1;
		if (s[i] != '&') {
			tmp[0] = (char)s[i++];
		} else {
			for (k = 0; k < sizeof ents / sizeof ents[0]; k++)
				if (n - i - 1 >= strlen(ents[k].name) &&
				    memcmp(s + i + 1, ents[k].name, strlen(ents[k].name)) == 0)
					break;
			if (k < sizeof ents / sizeof ents[0]) {
				tmp[0] = ents[k].c;
				i += 1 + strlen(ents[k].name);
			} else if (i + 2 < n && s[i + 1] == '#') {
				uint32_t cp = 0;
				int hex = s[i + 2] == 'x', digits = 0;

				for (i += hex ? 3 : 2; i < n && s[i] != ';'; i++, digits++) {
					int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
					    : hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
					    : hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;

					if (d < 0 || digits >= 8)
						return -1;
					cp = cp * (hex ? 16 : 10) + (uint32_t)d;
				}
				if (i >= n || digits == 0 || cp == 0 || cp > 0x10ffff ||
				    (cp >= 0xd800 && cp <= 0xdfff))
					return -1;
				i++;
				w = put_utf8(tmp, cp);
			} else {
				return -1;
			}
		}
		if (len + w >= cap)
			return -1;
		memcpy(o + len, tmp, w);
		len += w;
	}
	o[len] = '\0';
	*olen = len;
	return 0;
}

/* The attribute whose local name is local: decoded into out (OOXML_MAX_VALUE + 1
 * bytes) and its raw value's place in *voff, *vlen. 1 found, 0 absent, -1 malformed. */
static int
attr_get(const uint8_t *p, size_t off, size_t len, const char *local, char *out,
    size_t *voff, size_t *vlen)
{
	size_t i = off, end = off + len, ns, ne, vs, ll = strlen(local);
	const uint8_t *colon;
	uint8_t q;

	for (;;) {
		while (i < end && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
			i++;
		if (i >= end)
			return 0;
		ns = i;
		while (i < end && name_char(p[i]))
			i++;
		ne = i;
		if (ne == ns || i >= end || p[i] != '=' || ++i >= end || (p[i] != '"' && p[i] != '\''))
			return -1;
		q = p[i++];
		vs = i;
		while (i < end && p[i] != q)
			i++;
		if (i >= end)
			return -1;
		colon = memrchr(p + ns, ':', ne - ns);
		if (colon != NULL)
			ns = (size_t)(colon - p) + 1;
		if (ne - ns == ll && memcmp(p + ns, local, ll) == 0) {
			size_t olen = 0;

			if (voff != NULL) {
				*voff = vs;
				*vlen = i - vs;
			}
			return decode(p + vs, i - vs, out, OOXML_MAX_VALUE + 1, &olen) == 0 ? 1 : -1;
		}
		i++;
	}
}

/* ---- the allow-lists ------------------------------------------------------------ */

#define OFFDOC "application/vnd.openxmlformats-officedocument."
#define WML OFFDOC "wordprocessingml."
#define SML OFFDOC "spreadsheetml."
#define PML OFFDOC "presentationml."
#define RELS_TYPE "application/vnd.openxmlformats-package.relationships+xml"

static const char *const common_types[] = {
	"application/vnd.openxmlformats-package.core-properties+xml",
	OFFDOC "extended-properties+xml", OFFDOC "theme+xml", OFFDOC "drawing+xml",
	OFFDOC "drawingml.chart+xml", "image/png", "image/jpeg", "image/gif",
};
static const char *const docx_types[] = {
	WML "document.main+xml", WML "styles+xml", WML "settings+xml", WML "webSettings+xml",
	WML "fontTable+xml", WML "numbering+xml", WML "footnotes+xml", WML "endnotes+xml",
	WML "header+xml", WML "footer+xml", WML "comments+xml",
};
static const char *const xlsx_types[] = {
	SML "sheet.main+xml", SML "worksheet+xml", SML "styles+xml", SML "sharedStrings+xml",
	SML "table+xml", SML "calcChain+xml",
};
/* Slides and what they are built on; no sound, video, OLE, ActiveX, custom UI,
 * comments (their authors' part included) or tags: those types are not here. */
static const char *const pptx_types[] = {
	PML "presentation.main+xml", PML "slideshow.main+xml", PML "template.main+xml",
	PML "slide+xml", PML "slideLayout+xml",
	PML "slideMaster+xml", PML "notesSlide+xml", PML "notesMaster+xml",
	PML "handoutMaster+xml", PML "presProps+xml", PML "viewProps+xml",
	PML "tableStyles+xml",
};
/* Relationship types by their last segment, under one of the known prefixes. */
static const char *const rel_prefixes[] = {
	"http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
	"http://purl.oclc.org/ooxml/officeDocument/relationships/",
	"http://schemas.openxmlformats.org/package/2006/relationships/metadata/",
};
static const char *const rel_types[] = {
	"officeDocument", "styles", "settings", "webSettings", "fontTable", "numbering",
	"footnotes", "endnotes", "header", "footer", "comments", "theme", "core-properties",
	"extended-properties", "image", "worksheet", "sharedStrings", "table", "calcChain",
	"drawing", "chart", "slide", "slideLayout", "slideMaster", "notesSlide", "notesMaster",
	"handoutMaster", "presProps", "viewProps", "tableStyles",
};
/* Field instructions kept: they compute from the document itself. */
static const char *const safe_fields[] = {
	"PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION", "DATE", "TIME", "CREATEDATE",
	"SAVEDATE", "PRINTDATE", "TOC", "TC", "REF", "PAGEREF", "NOTEREF", "SEQ", "STYLEREF",
	"XE", "INDEX", "AUTHOR", "TITLE", "SUBJECT", "NUMWORDS", "NUMCHARS", "FORMTEXT",
	"FORMCHECKBOX", "FORMDROPDOWN", "SYMBOL", "LISTNUM",
};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(s, list[i]) == 0)
			return 1;
	return 0;
}

int
ooxml_type_allowed(enum ooxml_kind kind, const char *t)
{
	if (in_list(t, common_types, sizeof common_types / sizeof common_types[0]))
		return 1;
	switch (kind) {
	case OOXML_DOCX:
		return in_list(t, docx_types, sizeof docx_types / sizeof docx_types[0]);
	case OOXML_XLSX:
		return in_list(t, xlsx_types, sizeof xlsx_types / sizeof xlsx_types[0]);
	case OOXML_PPTX:
		return in_list(t, pptx_types, sizeof pptx_types / sizeof pptx_types[0]);
	}
	return 0;
}

/* An image part is kept only if its bytes begin as its type says: a part labelled
 * image/png that is something else (a script, an OLE object) reaches no viewer. */
static int
image_matches(const char *t, const uint8_t *p, size_t len)
{
	if (strncasecmp(t, "image/", 6) != 0)
		return 1;
	if (strcasecmp(t, "image/png") == 0)
		return len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0;
	if (strcasecmp(t, "image/jpeg") == 0)
		return len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0;
	if (strcasecmp(t, "image/gif") == 0)
		return len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0);
	return 0;
}

static int
rel_type_allowed(const char *t)
{
	size_t i, n;

	for (i = 0; i < sizeof rel_prefixes / sizeof rel_prefixes[0]; i++) {
		n = strlen(rel_prefixes[i]);
		if (strncmp(t, rel_prefixes[i], n) == 0)
			return in_list(t + n, rel_types, sizeof rel_types / sizeof rel_types[0]);
	}
	return 0;
}

/* ---- the package ---------------------------------------------------------------- */

struct ct_entry {
	char *key;		/* extension, or part name without the '/' */
	char *type;
	int is_default;
};

struct pkg {
	enum ooxml_kind kind;
	const struct ooxml_part *parts;
	uint32_t n;
	struct ct_entry *ct;
	uint32_t nct, capct;
	const char **type;	/* per part: its content type (in ct), or NULL */
	uint8_t *keep;		/* per part: 1 kept as is, 2 a .rels we rewrite */
	uint8_t **edited;	/* per part: a copy with fields blanked, or NULL */
	size_t *edited_len;
	struct ooxml_report *rep;
};

static int
parse_content_types(struct pkg *k, const uint8_t *p, size_t len)
{
	struct xml_cur c = { .p = p, .len = len };
	struct xml_tok t;
	char a[OOXML_MAX_VALUE + 1], b[OOXML_MAX_VALUE + 1];
	int dflt;

	if (len > OOXML_MAX_XML)
		return OOXML_ELIMITS;
	for (;;) {
		struct ct_entry *e;

		if (xml_next(&c, &t) != 0)
			return OOXML_EMALFORMED;
		if (t.type == XML_EOF)
			return OOXML_OK;
		if (t.type != XML_START || (!(dflt = is(&t, "Default")) && !is(&t, "Override")))
			continue;
		if (attr_get(p, t.attrs, t.attrs_len, dflt ? "Extension" : "PartName", a, NULL,
		    NULL) != 1 ||
		    attr_get(p, t.attrs, t.attrs_len, "ContentType", b, NULL, NULL) != 1)
			return OOXML_EMALFORMED;
		if (k->nct == OOXML_MAX_TYPES)
			return OOXML_ELIMITS;
		if (k->nct == k->capct) {
			uint32_t cap = k->capct ? k->capct * 2 : 32;

			if ((e = realloc(k->ct, cap * sizeof(*e))) == NULL)
				return OOXML_ENOMEM;
			k->ct = e;
			k->capct = cap;
		}
		e = &k->ct[k->nct];
		e->key = strdup(dflt || a[0] != '/' ? a : a + 1);
		e->type = strdup(b);
		e->is_default = dflt;
		k->nct++;
		if (e->key == NULL || e->type == NULL)
			return OOXML_ENOMEM;
	}
}

static const char *
type_of(const struct pkg *k, const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	uint32_t i;

	for (i = 0; i < k->nct; i++)
		if (!k->ct[i].is_default && strcasecmp(k->ct[i].key, name) == 0)
			return k->ct[i].type;
	if (dot == NULL || (slash != NULL && dot < slash))
		return NULL;
	for (i = 0; i < k->nct; i++)
		if (k->ct[i].is_default && strcasecmp(k->ct[i].key, dot + 1) == 0)
			return k->ct[i].type;
	return NULL;
}

static int32_t
part_index(const struct pkg *k, const char *name)
{
	uint32_t i;

	for (i = 0; i < k->n; i++)
		if (strcasecmp(k->parts[i].name, name) == 0)
			return (int32_t)i;
	return -1;
}

/* The part a .rels part describes: "" for _rels/.rels, "d/x" for d/_rels/x.rels;
 * 0 if name is not a .rels part's. */
static int
rels_source(const char *name, char *src, size_t cap)
{
	const char *r = strstr(name, "_rels/"), *base;
	size_t dl, bl, nl = strlen(name);

	if (r == NULL || (r != name && r[-1] != '/') || nl < 5 ||
	    strcasecmp(name + nl - 5, ".rels") != 0 || strchr(r + 6, '/') != NULL)
		return 0;
	dl = (size_t)(r - name);
	base = r + 6;
	bl = strlen(base) - 5;
	if (dl + bl >= cap)
		return 0;
	memcpy(src, name, dl);
	memcpy(src + dl, base, bl);
	src[dl + bl] = '\0';
	return 1;
}

/* target relative to the source part's directory, as a part name; 0 if it leaves the
 * package or is no plain path. */
static int
resolve(const char *src, const char *target, char *out, size_t cap)
{
	char buf[2 * OOXML_MAX_VALUE + 4], *seg, *save = NULL;
	size_t len = 0, n;
	const char *slash = strrchr(src, '/');

	if (target[0] == '\0' || strpbrk(target, "\\:#?%") != NULL)
		return 0;
	if (target[0] == '/')
		snprintf(buf, sizeof buf, "%s", target + 1);
	else
		snprintf(buf, sizeof buf, "%.*s%s%s", slash ? (int)(slash - src) : 0, src,
			 slash ? "/" : "", target);
	out[0] = '\0';
	for (seg = strtok_r(buf, "/", &save); seg != NULL; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *up;

			if (len == 0)
				return 0;
			up = memrchr(out, '/', len);
			len = up != NULL ? (size_t)(up - out) : 0;
			out[len] = '\0';
			continue;
		}
		n = strlen(seg);
		if (len + n + 2 > cap)
			return 0;
		if (len > 0)
			out[len++] = '/';
		memcpy(out + len, seg, n + 1);
		len += n;
	}
	return len > 0;
}

/* ---- output buffers --------------------------------------------------------------- */

static int
buf_add(struct rebuild_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *q;

		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		if ((q = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int
buf_str(struct rebuild_buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* s as an XML attribute value. */
static int
buf_esc(struct rebuild_buf *b, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++)
		rc = *s == '&' ? buf_str(b, "&amp;") : *s == '<' ? buf_str(b, "&lt;")
		    : *s == '>' ? buf_str(b, "&gt;") : *s == '"' ? buf_str(b, "&quot;")
		    : buf_add(b, s, 1);
	return rc;
}

/* ---- relationships ---------------------------------------------------------------- */

/* Whether t is the content type of the kind's main part (a presentation's may be a
 * slide show's or a template's); a macro-enabled one (docm, xlsm, pptm) is another
 * type, so its package has no main part here and is refused. */
static int
is_main_type(enum ooxml_kind kind, const char *t)
{
	return kind == OOXML_DOCX ? strcasecmp(t, WML "document.main+xml") == 0
	    : kind == OOXML_XLSX ? strcasecmp(t, SML "sheet.main+xml") == 0
	    : strcasecmp(t, PML "presentation.main+xml") == 0 ||
	      strcasecmp(t, PML "slideshow.main+xml") == 0 ||
	      strcasecmp(t, PML "template.main+xml") == 0;
}

/* The .rels part i (describing src) rewritten into out with only allowed, internal
 * relationships to kept parts. *main: an officeDocument relationship to the main
 * part of the kind was kept (only asked for the package's own). */
static int
rewrite_rels(struct pkg *k, uint32_t i, const char *src, struct rebuild_buf *out, int *main)
{
	const struct ooxml_part *pt = &k->parts[i];
	struct xml_cur c = { .p = pt->data, .len = pt->len };
	struct xml_tok t;
	char id[OOXML_MAX_VALUE + 1], type[OOXML_MAX_VALUE + 1], target[OOXML_MAX_VALUE + 1];
	char mode[OOXML_MAX_VALUE + 1], res[2 * OOXML_MAX_VALUE + 4];
	uint32_t count = 0;
	int32_t j;
	int rc;

	if (pt->len > OOXML_MAX_XML)
		return OOXML_ELIMITS;
	if (buf_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	    "relationships\">") != 0)
		return OOXML_ENOMEM;
	for (;;) {
		if (xml_next(&c, &t) != 0)
			return OOXML_EMALFORMED;
		if (t.type == XML_EOF)
			break;
		if (t.type != XML_START || !is(&t, "Relationship"))
			continue;
		if (++count > OOXML_MAX_RELS)
			return OOXML_ELIMITS;
		if (attr_get(pt->data, t.attrs, t.attrs_len, "Id", id, NULL, NULL) != 1 ||
		    attr_get(pt->data, t.attrs, t.attrs_len, "Type", type, NULL, NULL) != 1 ||
		    attr_get(pt->data, t.attrs, t.attrs_len, "Target", target, NULL, NULL) != 1 ||
		    (rc = attr_get(pt->data, t.attrs, t.attrs_len, "TargetMode", mode, NULL,
		    NULL)) < 0)
			return OOXML_EMALFORMED;
		if ((rc == 1 && strcmp(mode, "Internal") != 0) || !rel_type_allowed(type) ||
		    !resolve(src, target, res, sizeof res) || (j = part_index(k, res)) < 0 ||
		    k->keep[j] != 1) {
			k->rep->rels_dropped++;
			continue;
		}
		if (main != NULL && strcmp(strrchr(type, '/') + 1, "officeDocument") == 0 &&
		    k->type[j] != NULL && is_main_type(k->kind, k->type[j]))
			*main = 1;
		/* Our own element: the target as a path from the source's directory is
		 * what it was; we write the resolved absolute form. */
		if (buf_str(out, "<Relationship Id=\"") != 0 || buf_esc(out, id) != 0 ||
		    buf_str(out, "\" Type=\"") != 0 || buf_esc(out, type) != 0 ||
		    buf_str(out, "\" Target=\"/") != 0 || buf_esc(out, k->parts[j].name) != 0 ||
		    buf_str(out, "\"/>") != 0)
			return OOXML_ENOMEM;
	}
	return buf_str(out, "</Relationships>\n") == 0 ? OOXML_OK : OOXML_ENOMEM;
}

/* ---- Word fields and Excel formulas -------------------------------------------------- */

struct span {
	size_t off, len;
};

struct edits {
	struct span *blank;	/* bytes to become spaces */
	size_t nblank, capblank;
	struct span *cut;	/* bytes to remove (sorted, not overlapping) */
	size_t ncut, capcut;
};

static int
span_add(struct span **v, size_t *n, size_t *cap, size_t off, size_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct span *q = realloc(*v, c * sizeof(**v));

		if (q == NULL)
			return -1;
		*v = q;
		*cap = c;
	}
	(*v)[(*n)++] = (struct span){ off, len };
	return 0;
}

/* Whether a decoded field instruction starts with a safe keyword. */
static int
field_safe(const char *s)
{
	char word[32];
	size_t n = 0;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	while (n + 1 < sizeof word && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		word[n++] = *s++;
	word[n] = '\0';
	if (n == 0)
		return s[0] == '\0';	/* an empty instruction is harmless */
	return in_list(word, safe_fields, sizeof safe_fields / sizeof safe_fields[0]);
}

struct field {
	size_t first;		/* its instrText spans: ed->blank[first..] */
	int decided;
};

/* Decide the field open on top: its spans stay, or are marked as blanks. */
static int
field_decide(const uint8_t *p, struct edits *ed, struct field *f, size_t *nspan,
    struct span *spans, uint32_t *blanked)
{
	char instr[OOXML_MAX_INSTR + 1];
	size_t i, len = 0;
	int safe;

	if (f->decided)
		return 0;
	f->decided = 1;
	instr[0] = '\0';
	safe = 1;
	for (i = f->first; i < *nspan && safe; i++)
		if (decode(p + spans[i].off, spans[i].len, instr, sizeof instr, &len) != 0)
			safe = 0;	/* too long or odd: not safe */
	if (safe)
		safe = field_safe(instr);
	if (!safe) {
		(*blanked)++;
		for (i = f->first; i < *nspan; i++)
			if (span_add(&ed->blank, &ed->nblank, &ed->capblank, spans[i].off,
			    spans[i].len) != 0)
				return -1;
	}
	*nspan = f->first;
	return 0;
}

/* Word: instructions of fields that are not safe (complex fields' instrText and
 * fldSimple's w:instr) are blanked. */
static int
scan_word(const struct ooxml_part *pt, struct edits *ed, uint32_t *blanked)
{
	struct xml_cur c = { .p = pt->data, .len = pt->len };
	struct field stack[OOXML_MAX_FIELD_DEPTH];
	struct span *spans = NULL;
	size_t nspan = 0, capspan = 0, voff, vlen;
	char v[OOXML_MAX_VALUE + 1];
	struct xml_tok t;
	unsigned depth = 0;
	int in_instr = 0, rc = OOXML_OK, a;

	for (;;) {
		if (xml_next(&c, &t) != 0) {
			rc = OOXML_EMALFORMED;
			break;
		}
		if (t.type == XML_EOF)
			break;
		if (t.type == XML_TEXT) {
			if (in_instr && span_add(&spans, &nspan, &capspan, t.text, t.text_len) != 0) {
				rc = OOXML_ENOMEM;
				break;
			}
			continue;
		}
		if (is(&t, "instrText") || is(&t, "delInstrText")) {
			in_instr = t.type == XML_START && !t.empty;
			continue;
		}
		if (t.type != XML_START)
			continue;
		if (is(&t, "fldSimple")) {
			if ((a = attr_get(pt->data, t.attrs, t.attrs_len, "instr", v, &voff, &vlen)) < 0) {
				rc = OOXML_EMALFORMED;
				break;
			}
			if (a == 1 && !field_safe(v)) {
				(*blanked)++;
				if (span_add(&ed->blank, &ed->nblank, &ed->capblank, voff, vlen) != 0) {
					rc = OOXML_ENOMEM;
					break;
				}
			}
			continue;
		}
		if (!is(&t, "fldChar"))
			continue;
		if ((a = attr_get(pt->data, t.attrs, t.attrs_len, "fldCharType", v, NULL, NULL)) != 1) {
			rc = OOXML_EMALFORMED;
			break;
		}
		if (strcmp(v, "begin") == 0) {
			if (depth == OOXML_MAX_FIELD_DEPTH) {
				rc = OOXML_ELIMITS;
				break;
			}
			stack[depth++] = (struct field){ .first = nspan };
		} else if ((strcmp(v, "separate") == 0 || strcmp(v, "end") == 0) && depth > 0) {
			if (field_decide(pt->data, ed, &stack[depth - 1], &nspan, spans, blanked) != 0) {
				rc = OOXML_ENOMEM;
				break;
			}
			if (strcmp(v, "end") == 0)
				depth--;
		}
	}
	/* Instructions outside any field, or of fields never closed: blanked. */
	if (rc == OOXML_OK && nspan > 0) {
		size_t i;

		(*blanked)++;
		for (i = 0; i < nspan && rc == OOXML_OK; i++)
			if (span_add(&ed->blank, &ed->nblank, &ed->capblank, spans[i].off,
			    spans[i].len) != 0)
				rc = OOXML_ENOMEM;
	}
	free(spans);
	return rc;
}

/* Excel: a formula with '|' (a DDE call: =cmd|'/c ...'!A1) is removed whole; the
 * cached value stays. */
static int
scan_sheet(const struct ooxml_part *pt, struct edits *ed, uint32_t *removed)
{
	struct xml_cur c = { .p = pt->data, .len = pt->len };
	struct xml_tok t;
	size_t fstart = 0;
	int in_f = 0, bad = 0;

	for (;;) {
		if (xml_next(&c, &t) != 0)
			return OOXML_EMALFORMED;
		if (t.type == XML_EOF)
			return OOXML_OK;
		if (t.type == XML_TEXT && in_f) {
			if (memchr(pt->data + t.text, '|', t.text_len) != NULL ||
			    memmem(pt->data + t.text, t.text_len, "&#124;", 6) != NULL ||
			    memmem(pt->data + t.text, t.text_len, "&#x7", 4) != NULL ||
			    memmem(pt->data + t.text, t.text_len, "&#X7", 4) != NULL)
				bad = 1;
			continue;
		}
		if (!(t.name_len == 1 && t.name[0] == 'f'))
			continue;
		if (t.type == XML_START && !t.empty) {
			in_f = 1;
			bad = 0;
			fstart = t.start;
		} else if (t.type == XML_END && in_f) {
			in_f = 0;
			if (bad) {
				(*removed)++;
				if (span_add(&ed->cut, &ed->ncut, &ed->capcut, fstart,
				    t.end - fstart) != 0)
					return OOXML_ENOMEM;
			}
		}
	}
}

/* A copy of the part with the edits applied. */
static int
apply_edits(const struct ooxml_part *pt, const struct edits *ed, uint8_t **out, size_t *outlen)
{
	struct rebuild_buf b = { 0 };
	uint8_t *copy;
	size_t i, at = 0;

	if ((copy = malloc(pt->len ? pt->len : 1)) == NULL)
		return OOXML_ENOMEM;
	memcpy(copy, pt->data, pt->len);
	for (i = 0; i < ed->nblank; i++)
		memset(copy + ed->blank[i].off, ' ', ed->blank[i].len);
	for (i = 0; i < ed->ncut; i++) {
		if (ed->cut[i].off < at)
			continue;
		if (buf_add(&b, copy + at, ed->cut[i].off - at) != 0) {
			free(copy);
			free(b.p);
			return OOXML_ENOMEM;
		}
		at = ed->cut[i].off + ed->cut[i].len;
	}
	if (buf_add(&b, copy + at, pt->len - at) != 0) {
		free(copy);
		free(b.p);
		return OOXML_ENOMEM;
	}
	free(copy);
	*out = b.p;
	*outlen = b.len;
	return OOXML_OK;
}

static int
word_text_part(const char *t)
{
	static const char *const parts[] = {
		WML "document.main+xml", WML "header+xml", WML "footer+xml", WML "footnotes+xml",
		WML "endnotes+xml", WML "comments+xml",
	};

	return in_list(t, parts, sizeof parts / sizeof parts[0]);
}

static int
edit_part(struct pkg *k, uint32_t i)
{
	const struct ooxml_part *pt = &k->parts[i];
	struct edits ed = { 0 };
	int rc;

	size_t tl = k->type[i] != NULL ? strlen(k->type[i]) : 0;

	if (tl < 4 || strcasecmp(k->type[i] + tl - 4, "+xml") != 0)
		return OOXML_OK;	/* an image: passed on, scanned with the whole */
	if (pt->len > OOXML_MAX_XML)
		return OOXML_ELIMITS;
	/* A presentation has no fields or formulas that reach outside: its parts are
	 * only read through. */
	if (k->kind == OOXML_PPTX || (k->kind == OOXML_DOCX && !word_text_part(k->type[i])) ||
	    (k->kind == OOXML_XLSX && strcasecmp(k->type[i], SML "worksheet+xml") != 0)) {
		/* Not edited, but read through all the same: no kept XML part carries a
		 * DOCTYPE (entities) or CDATA to staff's Office, and none is broken. */
		struct xml_cur c = { .p = pt->data, .len = pt->len };
		struct xml_tok t;

		do {
			if (xml_next(&c, &t) != 0)
				return OOXML_EMALFORMED;
		} while (t.type != XML_EOF);
		return OOXML_OK;
	}
	rc = k->kind == OOXML_DOCX ? scan_word(pt, &ed, &k->rep->fields_blanked)
	    : scan_sheet(pt, &ed, &k->rep->formulas_removed);
	if (rc == OOXML_OK && (ed.nblank > 0 || ed.ncut > 0))
		rc = apply_edits(pt, &ed, &k->edited[i], &k->edited_len[i]);
	free(ed.blank);
	free(ed.cut);
	return rc;
}

/* ---- the zip ------------------------------------------------------------------------ */

static ssize_t
zip_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	return buf_add(ctx, p, n) == 0 ? (ssize_t)n : -1;
}

static int
zip_add(struct archive *a, struct archive_entry *e, const char *name, const void *p, size_t n)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, OOXML_ZIP_TIME, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (n > 0 && archive_write_data(a, p, n) != (la_ssize_t)n))
		return OOXML_EARCHIVE;
	return OOXML_OK;
}

/* [Content_Types].xml of the kept parts: the .rels Default and an Override for every
 * other kept part, so that no type reaches a part by its extension alone. */
static int
content_types(const struct pkg *k, struct rebuild_buf *b)
{
	uint32_t i;

	if (buf_str(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	    "<Default Extension=\"rels\" ContentType=\"" RELS_TYPE "\"/>") != 0)
		return OOXML_ENOMEM;
	for (i = 0; i < k->n; i++)
		if (k->keep[i] == 1 && (buf_str(b, "<Override PartName=\"/") != 0 ||
		    buf_esc(b, k->parts[i].name) != 0 || buf_str(b, "\" ContentType=\"") != 0 ||
		    buf_esc(b, k->type[i]) != 0 || buf_str(b, "\"/>") != 0))
			return OOXML_ENOMEM;
	return buf_str(b, "</Types>\n") == 0 ? OOXML_OK : OOXML_ENOMEM;
}

static int
write_zip(struct pkg *k, struct rebuild_buf *out)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct rebuild_buf b = { 0 };
	char src[OOXML_MAX_NAME + 1];
	uint32_t i, pass;
	int rc = OOXML_EARCHIVE, main = 0;

	if (a == NULL || e == NULL)
		goto out;
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=deflate") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, zip_write, NULL) != ARCHIVE_OK)
		goto out;
	if ((rc = content_types(k, &b)) != OOXML_OK ||
	    (rc = zip_add(a, e, "[Content_Types].xml", b.p, b.len)) != OOXML_OK)
		goto out;
	/* The package's relationships first (pass 0), then every other part in order. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < k->n; i++) {
			const char *name = k->parts[i].name;
			int root = strcmp(name, "_rels/.rels") == 0;

			if (k->keep[i] == 0 || (pass == 0) != root)
				continue;
			if (k->keep[i] == 2) {
				b.len = 0;
				if (!rels_source(name, src, sizeof src)) {
					rc = OOXML_EMALFORMED;
					goto out;
				}
				if ((rc = rewrite_rels(k, i, src, &b, root ? &main : NULL)) != OOXML_OK ||
				    (rc = zip_add(a, e, name, b.p, b.len)) != OOXML_OK)
					goto out;
				if (root && !main) {
					rc = OOXML_ENOMAIN;
					goto out;
				}
			} else if ((rc = zip_add(a, e, name, k->edited[i] ? k->edited[i]
			    : k->parts[i].data, k->edited[i] ? k->edited_len[i]
			    : k->parts[i].len)) != OOXML_OK) {
				goto out;
			}
		}
	rc = archive_write_close(a) == ARCHIVE_OK ? OOXML_OK : OOXML_EARCHIVE;
out:
	free(b.p);
	if (e != NULL)
		archive_entry_free(e);
	if (a != NULL)
		archive_write_free(a);
	return rc;
}

int
ooxml_rebuild(enum ooxml_kind kind, const struct ooxml_part *parts, uint32_t n,
    struct rebuild_buf *out, struct ooxml_report *rep)
{
	struct pkg k = { .kind = kind, .parts = parts, .n = n, .rep = rep };
	char src[OOXML_MAX_NAME + 1];
	int32_t ct, j;
	uint32_t i;
	int rc, root = 0;

	memset(rep, 0, sizeof(*rep));
	memset(out, 0, sizeof(*out));
	if (n > OOXML_MAX_PARTS)
		return OOXML_ELIMITS;
	for (i = 0; i < n; i++)
		if (strlen(parts[i].name) > OOXML_MAX_NAME)
			return OOXML_ELIMITS;
	if ((ct = part_index(&k, "[Content_Types].xml")) < 0)
		return OOXML_ENOMAIN;
	k.type = calloc(n, sizeof(*k.type));
	k.keep = calloc(n, 1);
	k.edited = calloc(n, sizeof(*k.edited));
	k.edited_len = calloc(n, sizeof(*k.edited_len));
	if (k.type == NULL || k.keep == NULL || k.edited == NULL || k.edited_len == NULL) {
		rc = OOXML_ENOMEM;
		goto out;
	}
	if ((rc = parse_content_types(&k, parts[ct].data, parts[ct].len)) != OOXML_OK)
		goto out;
	/* Parts by their type; then the .rels of kept parts (and the package's). */
	for (i = 0; i < n; i++) {
		k.type[i] = type_of(&k, parts[i].name);
		if ((int32_t)i != ct && !rels_source(parts[i].name, src, sizeof src) &&
		    k.type[i] != NULL && ooxml_type_allowed(kind, k.type[i]) &&
		    image_matches(k.type[i], parts[i].data, parts[i].len))
			k.keep[i] = 1;
	}
	for (i = 0; i < n; i++) {
		if (!rels_source(parts[i].name, src, sizeof src))
			continue;
		if (src[0] == '\0')
			root = 1;
		if (src[0] == '\0' || ((j = part_index(&k, src)) >= 0 && k.keep[j] == 1))
			k.keep[i] = 2;
	}
	if (!root) {
		rc = OOXML_ENOMAIN;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (k.keep[i] == 1 && (rc = edit_part(&k, i)) != OOXML_OK)
			goto out;
		if (k.keep[i] != 0) {
			rep->kept++;
		} else if ((int32_t)i != ct) {
			if (rep->dropped++ == 0)
				snprintf(rep->first_dropped, sizeof rep->first_dropped, "%s",
					 parts[i].name);
		}
	}
	rc = write_zip(&k, out);
out:
	if (rc != OOXML_OK)
		rebuild_buf_free(out);
	for (i = 0; k.edited != NULL && i < n; i++)
		free(k.edited[i]);
	free(k.edited);
	free(k.edited_len);
	free(k.keep);
	free(k.type);
	for (i = 0; i < k.nct; i++) {
		free(k.ct[i].key);
		free(k.ct[i].type);
	}
	free(k.ct);
	return rc;
}

const char *
ooxml_strerror(int rc)
{
	switch (rc) {
	case OOXML_OK:		return "ok";
	case OOXML_EMALFORMED:	return "malformed XML";
	case OOXML_ELIMITS:	return "over a limit";
	case OOXML_ENOMAIN:	return "no main document part";
	case OOXML_ENOMEM:	return "out of memory";
	case OOXML_EARCHIVE:	return "zip writer failed";
	}
	return "unknown";
}

void
ooxml_engine_version(char *buf, size_t len)
{
	snprintf(buf, len, "sekisho-ooxml/1 libarchive/%s",
		 archive_version_string() + strlen("libarchive "));
}
