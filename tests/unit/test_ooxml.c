/*
 * test_ooxml.c — kept-editable docx/xlsx (ooxml.h): the hostile corpus (external
 * relationships, DDE fields split across runs, an OLE object with ActiveX, custom UI
 * and custom XML, a DDE formula with an external link and a connection, a docx
 * carrying vbaProject.bin) comes out with no part outside the allowed list, no
 * external or disallowed relationship and no DDE, listed back with libarchive; safe
 * fields and formulas stay; DOCTYPE, deep nesting, too many parts and a missing main
 * part are refused; through the pipeline the result is clean, attested as
 * "ooxml-rebuild", still opens in LibreOffice with its text, and macro files are
 * still refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <valgrind/valgrind.h>

#include "ooxml.h"
#include "pipeline.h"
#include "scan.h"

#define TEST_DB		"tests/clamav"
#define MAX_ENTRIES	64

struct zipfile {
	uint32_t n;
	char *name[MAX_ENTRIES];
	uint8_t *data[MAX_ENTRIES];
	size_t len[MAX_ENTRIES];
	struct ooxml_part parts[MAX_ENTRIES];
};

/* Every member of the zip in p[0..len), by libarchive. */
static void
zip_read(const void *p, size_t len, struct zipfile *z)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	memset(z, 0, sizeof(*z));
	assert_non_null(a);
	assert_int_equal(archive_read_support_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, p, len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		size_t size = (size_t)archive_entry_size(e);

		assert_true(z->n < MAX_ENTRIES);
		z->name[z->n] = strdup(archive_entry_pathname(e));
		z->data[z->n] = malloc(size + 1);
		assert_int_equal(archive_read_data(a, z->data[z->n], size), (la_ssize_t)size);
		z->data[z->n][size] = '\0';
		z->len[z->n] = size;
		z->parts[z->n] = (struct ooxml_part){ z->name[z->n], z->data[z->n], size };
		z->n++;
	}
	archive_read_free(a);
}

static void
zip_free(struct zipfile *z)
{
	uint32_t i;

	for (i = 0; i < z->n; i++) {
		free(z->name[i]);
		free(z->data[i]);
	}
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

static const char *
member(const struct zipfile *z, const char *name)
{
	uint32_t i;

	for (i = 0; i < z->n; i++)
		if (strcmp(z->name[i], name) == 0)
			return (const char *)z->data[i];
	return NULL;
}

/* The value of attr="..." after position s (static buffer per call site). */
static const char *
attr_after(const char *s, const char *attr, char *buf, size_t cap)
{
	const char *v = strstr(s, attr), *end;

	if (v == NULL)
		return NULL;
	v += strlen(attr);
	end = strchr(v, '"');
	snprintf(buf, cap, "%.*s", (int)(end - v), v);
	return buf;
}

/* The output holds only [Content_Types].xml, .rels and parts whose Override type is
 * allowed; no relationship is external or of a denied type; nothing named like the
 * parts an attack carries. */
static void
check_only_allowed(enum ooxml_kind kind, const struct zipfile *out)
{
	static const char *const banned[] = { "vbaProject", "embeddings/", "activeX",
					      "customUI", "customXml", "externalLink",
					      "connections", "oleObject", ".wav", ".mp4" };
	const char *ct = member(out, "[Content_Types].xml"), *o;
	char part[512], type[512];
	uint32_t i;
	size_t b;

	assert_non_null(ct);
	assert_string_equal(out->name[0], "[Content_Types].xml");
	for (i = 0; i < out->n; i++) {
		const char *n = out->name[i];
		size_t l = strlen(n);

		for (b = 0; b < sizeof banned / sizeof banned[0]; b++)
			if (strcasestr(n, banned[b]) != NULL)
				fail_msg("banned part in the output: %s", n);
		if (strcmp(n, "[Content_Types].xml") == 0)
			continue;
		if (l > 5 && strcmp(n + l - 5, ".rels") == 0) {
			const char *r = (const char *)out->data[i];

			assert_null(strstr(r, "External"));
			assert_null(strstr(r, "attachedTemplate"));
			assert_null(strstr(r, "/oleObject"));
			assert_null(strstr(r, "/control"));
			assert_null(strstr(r, "hyperlink"));
			assert_null(strstr(r, "extensibility"));
			assert_null(strstr(r, "/audio"));
			assert_null(strstr(r, "/video"));
			assert_null(strstr(r, "relationships/media"));
			continue;
		}
		/* An Override for it, with an allowed type. */
		snprintf(part, sizeof part, "PartName=\"/%s\"", n);
		assert_non_null(o = strstr(ct, part));
		assert_non_null(attr_after(o, "ContentType=\"", type, sizeof type));
		if (!ooxml_type_allowed(kind, type))
			fail_msg("%s kept with type %s", n, type);
	}
}

/* Rebuild a corpus file; the output listed back. */
static void
rebuild_file(const char *path, enum ooxml_kind kind, struct zipfile *out,
    struct ooxml_report *rep)
{
	struct zipfile in;
	struct rebuild_buf b;
	size_t len;
	uint8_t *p = slurp(path, &len);
	int rc;

	zip_read(p, len, &in);
	rc = ooxml_rebuild(kind, in.parts, in.n, &b, rep);
	if (rc != OOXML_OK)
		fail_msg("%s: %s", path, ooxml_strerror(rc));
	zip_read(b.p, b.len, out);
	check_only_allowed(kind, out);
	rebuild_buf_free(&b);
	zip_free(&in);
	free(p);
}

static void
test_external_relationships_are_dropped(void **state)
{
	struct zipfile out;
	struct ooxml_report rep;

	(void)state;
	rebuild_file("tests/corpus/ooxml/external-rels.docx", OOXML_DOCX, &out, &rep);
	assert_true(rep.rels_dropped >= 3);	/* template, hyperlink, remote image */
	/* The document itself is all there. */
	assert_non_null(strstr(member(&out, "word/document.xml"), "住民票の写しの交付申請書"));
	assert_non_null(member(&out, "word/styles.xml"));
	assert_non_null(member(&out, "word/settings.xml"));
	assert_non_null(strstr(member(&out, "_rels/.rels"), "/word/document.xml"));
	zip_free(&out);
}

static void
test_dde_fields_are_blanked_and_page_fields_kept(void **state)
{
	struct zipfile out;
	struct ooxml_report rep;
	const char *doc;

	(void)state;
	rebuild_file("tests/corpus/ooxml/dde-field.docx", OOXML_DOCX, &out, &rep);
	doc = member(&out, "word/document.xml");
	assert_non_null(doc);
	assert_null(strcasestr(doc, "DDE"));
	assert_null(strstr(doc, "EAUTO"));	/* the split half too */
	assert_null(strstr(doc, "cmd.exe"));
	assert_non_null(strstr(doc, " PAGE "));
	assert_int_equal(rep.fields_blanked, 2);
	/* Field results (the text shown) stay. */
	assert_non_null(strstr(doc, ">complex<"));
	zip_free(&out);
}

static void
test_ole_activex_custom_ui_and_custom_xml_are_dropped(void **state)
{
	struct zipfile out;
	struct ooxml_report rep;

	(void)state;
	rebuild_file("tests/corpus/ooxml/ole-object.docx", OOXML_DOCX, &out, &rep);
	assert_true(rep.dropped >= 5);
	assert_null(member(&out, "word/embeddings/oleObject1.bin"));
	assert_null(member(&out, "word/activeX/_rels/activeX1.xml.rels"));
	assert_non_null(member(&out, "word/document.xml"));
	zip_free(&out);
}

static void
test_vba_project_in_a_docx_is_dropped(void **state)
{
	struct zipfile out;
	struct ooxml_report rep;

	(void)state;
	rebuild_file("tests/corpus/ooxml/vba.docx", OOXML_DOCX, &out, &rep);
	assert_null(member(&out, "word/vbaProject.bin"));
	assert_null(member(&out, "word/vbaData.xml"));
	assert_null(strstr(member(&out, "word/_rels/document.xml.rels"), "vbaProject"));
	assert_int_equal(rep.dropped, 3);	/* the project, its data and its .rels */
	zip_free(&out);
}

static void
test_dde_formula_external_link_and_connection_are_removed(void **state)
{
	struct zipfile out;
	struct ooxml_report rep;
	const char *sheet;

	(void)state;
	rebuild_file("tests/corpus/ooxml/dde.xlsx", OOXML_XLSX, &out, &rep);
	sheet = member(&out, "xl/worksheets/sheet1.xml");
	assert_non_null(sheet);
	assert_null(strstr(sheet, "cmd|"));
	assert_non_null(strstr(sheet, "<f>SUM(B1:B5)</f>"));
	assert_non_null(strstr(sheet, "<v>0</v>"));	/* its cached value stays */
	assert_int_equal(rep.formulas_removed, 1);
	assert_non_null(member(&out, "xl/sharedStrings.xml"));
	zip_free(&out);
}

/* A presentation keeps its slides, layouts, masters, theme and real images, and loses
 * VBA, ActiveX, OLE, custom UI, external links, sound, video, every external
 * relationship, and an "image" that is not one. */
static void
test_pptx_keeps_slides_and_loses_active_content(void **state)
{
	struct zipfile out;
	struct ooxml_report rep;
	const char *rels;

	(void)state;
	rebuild_file("tests/corpus/ooxml/active.pptx", OOXML_PPTX, &out, &rep);
	assert_non_null(member(&out, "ppt/presentation.xml"));
	assert_non_null(member(&out, "ppt/slides/slide1.xml"));
	assert_non_null(member(&out, "ppt/slideMasters/slideMaster1.xml"));
	assert_non_null(member(&out, "ppt/slideLayouts/slideLayout2.xml"));
	assert_non_null(member(&out, "ppt/theme/theme1.xml"));
	assert_non_null(member(&out, "ppt/media/image1.png"));
	assert_null(member(&out, "ppt/media/image2.png"));	/* a script labelled PNG */
	assert_null(member(&out, "ppt/media/media1.wav"));
	assert_null(member(&out, "ppt/media/media2.mp4"));
	assert_null(member(&out, "ppt/vbaProject.bin"));
	assert_null(member(&out, "ppt/embeddings/oleObject1.bin"));
	assert_null(member(&out, "customUI/customUI14.xml"));
	rels = member(&out, "ppt/slides/_rels/slide1.xml.rels");
	assert_non_null(rels);
	assert_non_null(strstr(rels, "/ppt/media/image1.png"));
	assert_non_null(strstr(rels, "/ppt/slideLayouts/slideLayout2.xml"));
	assert_null(strstr(rels, "image2"));
	assert_null(strstr(rels, "attacker"));
	assert_non_null(strstr(member(&out, "_rels/.rels"), "/ppt/presentation.xml"));
	assert_true(rep.dropped >= 8);
	assert_true(rep.rels_dropped >= 10);
	zip_free(&out);
}

/* A macro-enabled presentation is no pptx: nothing to keep it by. */
static void
test_pptm_main_part_is_refused(void **state)
{
	struct zipfile in;
	struct rebuild_buf b;
	struct ooxml_report rep;
	size_t len;
	uint8_t *p = slurp("tests/corpus/ooxml/pptm.pptx", &len);

	(void)state;
	zip_read(p, len, &in);
	assert_int_equal(ooxml_rebuild(OOXML_PPTX, in.parts, in.n, &b, &rep), OOXML_ENOMAIN);
	/* Nor does a presentation pass for a document. */
	zip_free(&in);
	free(p);
	p = slurp("tests/corpus/office/sample.pptx", &len);
	zip_read(p, len, &in);
	assert_int_equal(ooxml_rebuild(OOXML_DOCX, in.parts, in.n, &b, &rep), OOXML_ENOMAIN);
	assert_int_equal(ooxml_rebuild(OOXML_PPTX, in.parts, in.n, &b, &rep), OOXML_OK);
	rebuild_buf_free(&b);
	zip_free(&in);
	free(p);
}

/* A minimal docx from strings: [Content_Types].xml, _rels/.rels, word/document.xml. */
static int
mini(const char *ct, const char *doc, struct rebuild_buf *b, struct ooxml_report *rep)
{
	static const char rels[] = "<Relationships><Relationship Id=\"r1\" Type=\""
	    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\""
	    " Target=\"word/document.xml\"/></Relationships>";
	struct ooxml_part p[3] = {
		{ "[Content_Types].xml", (const uint8_t *)ct, strlen(ct) },
		{ "_rels/.rels", (const uint8_t *)rels, sizeof rels - 1 },
		{ "word/document.xml", (const uint8_t *)doc, strlen(doc) },
	};

	return ooxml_rebuild(OOXML_DOCX, p, 3, b, rep);
}

#define CT_OK "<Types><Default Extension=\"rels\" ContentType=\"application/" \
	"vnd.openxmlformats-package.relationships+xml\"/><Override PartName=\"/word/" \
	"document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument." \
	"wordprocessingml.document.main+xml\"/></Types>"

static void
test_hostile_xml_is_refused(void **state)
{
	struct rebuild_buf b;
	struct ooxml_report rep;
	char *deep;
	size_t i;

	(void)state;
	assert_int_equal(mini(CT_OK, "<w:document><w:body/></w:document>", &b, &rep), OOXML_OK);
	rebuild_buf_free(&b);
	/* No entity can be declared: a DOCTYPE is refused outright. */
	assert_int_equal(mini("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>" CT_OK, "<d/>", &b, &rep),
			 OOXML_EMALFORMED);
	assert_int_equal(mini(CT_OK, "<w:document><w:instrText><![CDATA[DDE]]></w:instrText>"
			      "</w:document>", &b, &rep), OOXML_EMALFORMED);
	assert_int_equal(mini(CT_OK, "<w:document><w:p>", &b, &rep), OOXML_EMALFORMED);
	/* Only the attributes we need are decoded. */
	assert_int_equal(mini(CT_OK, "<d a=\"&bogus;\"/>", &b, &rep), OOXML_OK);
	rebuild_buf_free(&b);
	/* Nesting past OOXML_MAX_DEPTH. */
	deep = malloc((OOXML_MAX_DEPTH + 2) * 7 + 1);
	for (i = 0; i < OOXML_MAX_DEPTH + 2; i++)
		memcpy(deep + i * 7, "<w:p  >", 7);
	deep[(OOXML_MAX_DEPTH + 2) * 7] = '\0';
	assert_int_equal(mini(CT_OK, deep, &b, &rep), OOXML_EMALFORMED);
	free(deep);
	/* Nor in a part that is only passed on. */
	{
		static const char ct[] = "<Types><Default Extension=\"rels\" ContentType=\""
		    "application/vnd.openxmlformats-package.relationships+xml\"/><Override "
		    "PartName=\"/word/document.xml\" ContentType=\"application/vnd."
		    "openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
		    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd."
		    "openxmlformats-officedocument.wordprocessingml.styles+xml\"/></Types>";
		static const char rels[] = "<Relationships><Relationship Id=\"r1\" Type=\""
		    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
		    "officeDocument\" Target=\"word/document.xml\"/></Relationships>";
		static const char styles[] = "<!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/"
		    "passwd\">]><w:styles>&x;</w:styles>";
		struct ooxml_part p[4] = {
			{ "[Content_Types].xml", (const uint8_t *)ct, sizeof ct - 1 },
			{ "_rels/.rels", (const uint8_t *)rels, sizeof rels - 1 },
			{ "word/document.xml", (const uint8_t *)"<d/>", 4 },
			{ "word/styles.xml", (const uint8_t *)styles, sizeof styles - 1 },
		};

		assert_int_equal(ooxml_rebuild(OOXML_DOCX, p, 4, &b, &rep), OOXML_EMALFORMED);
		/* Without the DOCTYPE it passes: the styles are kept as they are. */
		p[3] = (struct ooxml_part){ "word/styles.xml", (const uint8_t *)"<w:styles/>", 11 };
		assert_int_equal(ooxml_rebuild(OOXML_DOCX, p, 4, &b, &rep), OOXML_OK);
		assert_int_equal(rep.kept, 3);
		rebuild_buf_free(&b);
	}
	/* The main part of the other kind (or none) is no docx. */
	assert_int_equal(mini("<Types><Override PartName=\"/word/document.xml\" ContentType=\""
			      "application/vnd.ms-word.document.macroEnabled.main+xml\"/></Types>",
			      "<d/>", &b, &rep), OOXML_ENOMAIN);
	/* A numeric entity in a field instruction is read as what it stands for. */
	assert_int_equal(mini(CT_OK, "<w:document><w:fldSimple w:instr=\"&#68;&#x44;E x\"/>"
			      "</w:document>", &b, &rep), OOXML_OK);
	assert_int_equal(rep.fields_blanked, 1);
	rebuild_buf_free(&b);
}

static void
test_too_many_parts_is_refused(void **state)
{
	struct ooxml_part *p = calloc(OOXML_MAX_PARTS + 1, sizeof(*p));
	char (*names)[16] = calloc(OOXML_MAX_PARTS + 1, 16);
	struct rebuild_buf b;
	struct ooxml_report rep;
	uint32_t i;

	(void)state;
	for (i = 0; i <= OOXML_MAX_PARTS; i++) {
		snprintf(names[i], 16, "p%u.xml", i);
		p[i] = (struct ooxml_part){ names[i], (const uint8_t *)"<a/>", 4 };
	}
	assert_int_equal(ooxml_rebuild(OOXML_DOCX, p, OOXML_MAX_PARTS + 1, &b, &rep), OOXML_ELIMITS);
	free(names);
	free(p);
}

/* Through the pipeline with keep_ooxml. */
static void
run(const char *path, int keep, struct pipeline_result *res, int *out)
{
	struct pipeline_config c;
	struct scan_limits sl;
	struct scanner *sc;
	uint8_t key[32];
	int in = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(in >= 0);
	*out = memfd_create("out", MFD_CLOEXEC);
	scan_limits_default(&sl);
	assert_int_equal(scan_open(&sc, TEST_DB, &sl), 0);
	memset(key, 9, sizeof key);
	pipeline_config_default(&c);
	c.scanner = sc;
	c.sign_key = key;
	c.keep_ooxml = keep;
	assert_int_equal(pipeline_run(&c, in, *out, res), 0);
	scan_close(sc);
	close(in);
}

static void
test_pipeline_keeps_a_docx_editable_and_attests_the_rebuild(void **state)
{
	struct pipeline_result res;
	struct officepdf_limits ol;
	struct officepdf_result or;
	struct zipfile z;
	json_t *att, *eng;
	uint8_t *p;
	off_t len;
	int out, pdf;

	(void)state;
	if (RUNNING_ON_VALGRIND) {	/* the unpack sandbox cannot run under it */
		skip();
		return;
	}
	run("tests/corpus/ooxml/dde-field.docx", 1, &res, &out);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_true(res.clean);
	assert_string_equal(res.method, "ooxml-rebuild");
	assert_string_equal(res.output_type, "docx");
	att = json_object_get(res.attestation, "attestation");
	assert_string_equal(json_string_value(json_object_get(att, "method")), "ooxml-rebuild");
	assert_string_equal(json_string_value(json_object_get(json_object_get(att, "output"),
			    "type")), "docx");
	eng = json_object_get(att, "engines");
	assert_non_null(strstr(json_string_value(json_object_get(eng, "rebuild")), "sekisho-ooxml/1"));
	assert_null(json_object_get(eng, "mupdf"));
	print_message("  %s\n", res.detail);
	if (access(OFFICEPDF_SOFFICE, X_OK) == 0)
		assert_memory_equal(res.preview.p, "\x89PNG", 4);
	len = lseek(out, 0, SEEK_END);
	assert_true(len > 0);
	p = malloc((size_t)len);
	assert_int_equal(pread(out, p, (size_t)len, 0), len);
	zip_read(p, (size_t)len, &z);
	check_only_allowed(OOXML_DOCX, &z);
	assert_null(strcasestr(member(&z, "word/document.xml"), "DDE"));
	zip_free(&z);
	free(p);
	/* Still a document: LibreOffice (in its cage) makes a PDF of it. */
	if (access(OFFICEPDF_SOFFICE, X_OK) == 0) {
		officepdf_limits_default(&ol);
		pdf = memfd_create("pdf", MFD_CLOEXEC);
		assert_int_equal(officepdf_convert(&ol, out, DETECT_DOCX, pdf, &or), 0);
		assert_int_equal(or.status, OFFICEPDF_OK);
		assert_true(or.pdf_size > 1000);
		close(pdf);
	}
	pipeline_result_free(&res);
	close(out);
	/* Without the policy, the same file becomes a PDF. */
	run("tests/corpus/ooxml/dde.xlsx", 0, &res, &out);
	assert_string_equal(res.method, "office-pdf-render");
	pipeline_result_free(&res);
	close(out);
}

static void
test_pipeline_keeps_an_xlsx_and_still_refuses_macros(void **state)
{
	struct pipeline_result res;
	int out;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	run("tests/corpus/ooxml/dde.xlsx", 1, &res, &out);
	assert_true(res.clean);
	assert_string_equal(res.output_type, "xlsx");
	assert_non_null(strstr(res.detail, "1 formulas removed"));
	pipeline_result_free(&res);
	close(out);
	run("tests/corpus/detect/sample.docm", 1, &res, &out);
	assert_false(res.clean);
	assert_string_equal(res.reason, "macros");
	pipeline_result_free(&res);
	close(out);
	run("tests/corpus/ooxml/vba.docx", 1, &res, &out);
	assert_string_equal(res.reason, "macros");
	pipeline_result_free(&res);
	close(out);
}

/* Through the pipeline: a kept pptx is attested as a pptx; one carrying a VBA
 * project is refused by detection before any rebuild (as a docx is), and so is a
 * macro-enabled one. */
static void
test_pipeline_keeps_a_pptx(void **state)
{
	struct pipeline_result res;
	int out;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	run("tests/corpus/office/sample.pptx", 1, &res, &out);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_true(res.clean);
	assert_string_equal(res.type, "pptx");
	assert_string_equal(res.method, "ooxml-rebuild");
	assert_string_equal(res.output_type, "pptx");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
	    res.attestation, "attestation"), "output"), "type")), "pptx");
	/* The citizen still sees the first slide: the kept output through LibreOffice. */
	if (access(OFFICEPDF_SOFFICE, X_OK) == 0) {
		assert_true(res.preview.len > 8);
		assert_memory_equal(res.preview.p, "\x89PNG", 4);
		print_message("  pptx kept in %.2f s, of which LibreOffice for the preview %.2f s\n",
			      res.seconds, res.office_seconds);
	}
	pipeline_result_free(&res);
	close(out);
	run("tests/corpus/ooxml/active.pptx", 1, &res, &out);
	assert_string_equal(res.reason, "macros");
	pipeline_result_free(&res);
	close(out);
	run("tests/corpus/ooxml/pptm.pptx", 1, &res, &out);
	assert_false(res.clean);
	pipeline_result_free(&res);
	close(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_external_relationships_are_dropped),
		cmocka_unit_test(test_dde_fields_are_blanked_and_page_fields_kept),
		cmocka_unit_test(test_ole_activex_custom_ui_and_custom_xml_are_dropped),
		cmocka_unit_test(test_vba_project_in_a_docx_is_dropped),
		cmocka_unit_test(test_dde_formula_external_link_and_connection_are_removed),
		cmocka_unit_test(test_hostile_xml_is_refused),
		cmocka_unit_test(test_too_many_parts_is_refused),
		cmocka_unit_test(test_pipeline_keeps_a_docx_editable_and_attests_the_rebuild),
		cmocka_unit_test(test_pipeline_keeps_an_xlsx_and_still_refuses_macros),
		cmocka_unit_test(test_pptx_keeps_slides_and_loses_active_content),
		cmocka_unit_test(test_pptm_main_part_is_refused),
		cmocka_unit_test(test_pipeline_keeps_a_pptx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
