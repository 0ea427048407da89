/*
 * test_detect.c — a file is identified by its bytes, never by its name.
 *
 * The samples come from tests/corpus/make-detect-samples.sh (run from the
 * repository root, as scripts/check.sh does); several are named to lie about
 * what they are. A few inputs are made here, where the point is the byte itself.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect.h"

#define CORPUS "tests/corpus/detect/"

static struct detect_result
detect_sample(const char *name)
{
	struct detect_result r;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), CORPUS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s (run tests/corpus/make-detect-samples.sh)", path,
		    strerror(errno));
	assert_int_equal(detect_fd(fd, &r), 0);
	/* Detection reads with pread: the caller's offset is still at the start. */
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);
	return r;
}

static struct detect_result
detect_bytes(const void *p, size_t n)
{
	struct detect_result r;
	int fd = memfd_create("detect", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(detect_fd(fd, &r), 0);
	close(fd);
	return r;
}

#define assert_type(r, t)	assert_string_equal(detect_type_name((r).type), (t))

static void
test_every_supported_type_is_identified_by_content(void **state)
{
	static const struct { const char *file, *type; } cases[] = {
		{ "sample.pdf", "pdf" },
		{ "junk-before-header.pdf", "pdf" },
		{ "sample.jpg", "jpeg" },
		{ "sample.png", "png" },
		{ "sample.gif", "gif" },
		{ "sample-le.tif", "tiff" },
		{ "sample-be.tif", "tiff" },
		{ "sample-pages.tif", "tiff" },
		{ "sample.bmp", "bmp" },
		{ "sample.webp", "webp" },
		{ "sample.heic", "heic" },
		{ "sample-mif1.heif", "heic" },
		{ "sample.docx", "docx" },
		{ "sample.xlsx", "xlsx" },
		{ "sample.pptx", "pptx" },
		{ "sample.odt", "odt" },
		{ "sample.ods", "ods" },
		{ "sample.odp", "odp" },
		{ "plain.zip", "zip" },
		{ "sample.doc", "doc" },
		{ "sample.xls", "xls" },
		{ "sample.ppt", "ppt" },
		{ "utf8.csv", "text" },
		{ "sjis.csv", "text" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct detect_result r = detect_sample(cases[i].file);

		if (strcmp(detect_type_name(r.type), cases[i].type) != 0)
			fail_msg("%s: got %s, want %s", cases[i].file,
			    detect_type_name(r.type), cases[i].type);
		if (r.flags & (DETECT_F_ENCRYPTED | DETECT_F_MACRO | DETECT_F_TRUNCATED))
			fail_msg("%s: unexpected flags %#x", cases[i].file, r.flags);
	}
}

static void
test_macro_enabled_ooxml_is_named_and_flagged(void **state)
{
	struct detect_result r;

	(void)state;
	r = detect_sample("sample.docm");
	assert_type(r, "docm");
	assert_true(r.flags & DETECT_F_MACRO);
	r = detect_sample("sample.xlsm");
	assert_type(r, "xlsm");
	assert_true(r.flags & DETECT_F_MACRO);
	r = detect_sample("sample.pptm");
	assert_type(r, "pptm");
	assert_true(r.flags & DETECT_F_MACRO);
}

static void
test_vba_project_in_a_docx_is_flagged_as_macro(void **state)
{
	struct detect_result r = detect_sample("docx-with-vba.docx");

	(void)state;
	assert_type(r, "docx");
	assert_true(r.flags & DETECT_F_MACRO);
}

static void
test_legacy_office_macros_are_flagged(void **state)
{
	struct detect_result r = detect_sample("macro.doc");

	(void)state;
	assert_type(r, "doc");
	assert_true(r.flags & DETECT_F_MACRO);
}

static void
test_encrypted_ooxml_in_ole_container_is_reported_encrypted(void **state)
{
	struct detect_result r = detect_sample("encrypted-ooxml.docx");

	(void)state;
	assert_type(r, "ooxml-encrypted");
	assert_true(r.flags & DETECT_F_ENCRYPTED);
}

static void
test_odf_encryption_and_scripts_are_flagged_from_the_zip(void **state)
{
	struct detect_result r = detect_sample("../office/encrypted.odt");

	(void)state;
	/* ODF encrypts members inside a plain zip: only the manifest says so. */
	assert_type(r, "odt");
	assert_true(r.flags & DETECT_F_ENCRYPTED);
	r = detect_sample("../office/macro.odt");
	assert_type(r, "odt");
	assert_true(r.flags & DETECT_F_MACRO);
	assert_false(r.flags & DETECT_F_ENCRYPTED);
	/* LibreOffice's own files without macros carry neither flag. */
	r = detect_sample("../office/sample.odt");
	assert_type(r, "odt");
	assert_int_equal(r.flags & (DETECT_F_MACRO | DETECT_F_ENCRYPTED), 0);
	r = detect_sample("../office/sample.docx");
	assert_type(r, "docx");
	assert_int_equal(r.flags & (DETECT_F_MACRO | DETECT_F_ENCRYPTED), 0);
}

static void
test_password_protected_doc_and_xls_are_flagged_encrypted(void **state)
{
	struct detect_result r;

	(void)state;
	r = detect_sample("encrypted.doc");
	assert_type(r, "doc");
	assert_true(r.flags & DETECT_F_ENCRYPTED);
	r = detect_sample("encrypted.xls");
	assert_type(r, "xls");
	assert_true(r.flags & DETECT_F_ENCRYPTED);
}

static void
test_encrypted_zip_member_is_flagged(void **state)
{
	struct detect_result r = detect_sample("encrypted.zip");

	(void)state;
	assert_type(r, "zip");
	assert_true(r.flags & DETECT_F_ENCRYPTED);
}

static void
test_ole_file_that_is_not_office_is_unknown(void **state)
{
	struct detect_result r = detect_sample("not-office.msi");

	(void)state;
	assert_type(r, "unknown");
}

/* A WebP of the given chunks (fourcc, then len bytes of 'x' and the pad byte of an
 * odd length). Detection reads chunk headers only, so the payloads can be filler. */
static struct detect_result
detect_webp(const char *const *fourcc, const uint32_t *len, size_t n)
{
	uint8_t *p = calloc(1, 1 << 16);
	size_t off = 12, i;
	struct detect_result r;

	assert_non_null(p);
	memcpy(p, "RIFF\0\0\0\0WEBP", 12);
	for (i = 0; i < n; i++) {
		memcpy(p + off, fourcc[i], 4);
		p[off + 4] = (uint8_t)len[i];
		p[off + 5] = (uint8_t)(len[i] >> 8);
		memset(p + off + 8, 'x', len[i]);
		off += 8 + len[i] + (len[i] & 1);
		assert_true(off < (1 << 16));
	}
	p[4] = (uint8_t)(off - 8);
	p[5] = (uint8_t)((off - 8) >> 8);
	r = detect_bytes(p, off);
	free(p);
	return r;
}

/* Only the output encoding hangs on this flag: a lossy photo may leave as JPEG,
 * a lossless picture stays PNG. */
static void
test_lossy_images_are_flagged_lossy(void **state)
{
	static const char *const simple[] = { "VP8 " };
	static const char *const lossless[] = { "VP8L" };
	/* An ICC profile larger than the head, an odd-sized alpha chunk, then VP8. */
	static const char *const extended[] = { "VP8X", "ICCP", "ALPH", "VP8 " };
	static const char *const extended_lossless[] = { "VP8X", "ICCP", "VP8L" };
	static const uint32_t simple_len[] = { 40 }, ext_len[] = { 10, 6000, 5, 40 },
			      ext_lossless_len[] = { 10, 300, 40 };
	const char *many[DETECT_WEBP_MAX_CHUNKS + 1];
	uint32_t many_len[DETECT_WEBP_MAX_CHUNKS + 1];
	struct detect_result r;
	size_t i;

	(void)state;
	r = detect_webp(simple, simple_len, 1);
	assert_type(r, "webp");
	assert_true(r.flags & DETECT_F_LOSSY);
	r = detect_webp(lossless, simple_len, 1);
	assert_type(r, "webp");
	assert_false(r.flags & DETECT_F_LOSSY);
	r = detect_webp(extended, ext_len, 4);
	assert_type(r, "webp");
	assert_true(r.flags & DETECT_F_LOSSY);
	r = detect_webp(extended_lossless, ext_lossless_len, 3);
	assert_false(r.flags & DETECT_F_LOSSY);
	/* The walk is bounded: a bitstream behind too many chunks counts as lossless. */
	many[0] = "VP8X";
	many_len[0] = 10;
	for (i = 1; i < DETECT_WEBP_MAX_CHUNKS; i++) {
		many[i] = "EXIF";
		many_len[i] = 2;
	}
	many[i] = "VP8 ";
	many_len[i] = 40;
	r = detect_webp(many, many_len, DETECT_WEBP_MAX_CHUNKS + 1);
	assert_type(r, "webp");
	assert_false(r.flags & DETECT_F_LOSSY);
	many[DETECT_WEBP_MAX_CHUNKS - 1] = "VP8 ";	/* the last chunk the walk reads */
	many_len[DETECT_WEBP_MAX_CHUNKS - 1] = 40;
	r = detect_webp(many, many_len, DETECT_WEBP_MAX_CHUNKS);
	assert_true(r.flags & DETECT_F_LOSSY);

	assert_true(detect_sample("sample.jpg").flags & DETECT_F_LOSSY);
	assert_true(detect_sample("sample.heic").flags & DETECT_F_LOSSY);
	assert_false(detect_sample("sample.webp").flags & DETECT_F_LOSSY);
	assert_false(detect_sample("sample.png").flags & DETECT_F_LOSSY);
}

/* A TIFF with a second IFD is a document of pages; one with a single IFD a picture
 * (test_tiff_pages.c has the byte orders and a dangling "next IFD"). */
static void
test_a_tiff_of_several_pages_is_flagged(void **state)
{
	(void)state;
	assert_true(detect_sample("sample-pages.tif").flags & DETECT_F_PAGES);
	assert_false(detect_sample("sample-le.tif").flags & DETECT_F_PAGES);
	assert_false(detect_sample("sample-be.tif").flags & DETECT_F_PAGES);
	assert_false(detect_sample("sample.png").flags & DETECT_F_PAGES);
}

static void
test_avif_is_not_taken_for_heic(void **state)
{
	struct detect_result r = detect_sample("sample.avif");

	(void)state;
	assert_type(r, "unknown");
}

static void
test_executable_named_pdf_is_unknown(void **state)
{
	struct detect_result r = detect_sample("elf.pdf");

	(void)state;
	assert_type(r, "unknown");
}

static void
test_html_named_pdf_is_unknown_markup(void **state)
{
	struct detect_result r = detect_sample("html.pdf");

	(void)state;
	assert_type(r, "unknown");
	assert_true(r.flags & DETECT_F_MARKUP);
}

static void
test_empty_file_is_unknown_and_flagged_empty(void **state)
{
	struct detect_result r = detect_sample("empty.pdf");

	(void)state;
	assert_type(r, "unknown");
	assert_int_equal(r.flags, DETECT_F_EMPTY);
}

static void
test_truncated_files_are_unknown_and_flagged(void **state)
{
	static const char *const files[] = { "truncated.png", "truncated.pdf", "truncated.zip" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct detect_result r = detect_sample(files[i]);

		if (r.type != DETECT_UNKNOWN || !(r.flags & DETECT_F_TRUNCATED))
			fail_msg("%s: %s flags %#x", files[i], detect_type_name(r.type), r.flags);
	}
}

static void
test_text_encoding_is_reported(void **state)
{
	struct detect_result r;

	(void)state;
	r = detect_sample("utf8.csv");
	assert_true(r.flags & DETECT_F_UTF8);
	r = detect_sample("sjis.csv");
	assert_true(r.flags & DETECT_F_SJIS);
}

static void
test_text_with_nul_or_bad_encoding_is_unknown(void **state)
{
	static const char nul[] = "a,b\n1,\0002\n";
	static const char esc[] = "a\033[2Jb\n";
	static const char lone_lead[] = "ab\xe6";	/* cut in UTF-8 and in CP932 */
	static const char bad_trail[] = "\x81\x20x";	/* CP932 lead, no valid trail */
	struct detect_result r;

	(void)state;
	r = detect_bytes(nul, sizeof(nul) - 1);
	assert_type(r, "unknown");
	r = detect_bytes(esc, sizeof(esc) - 1);
	assert_type(r, "unknown");
	r = detect_bytes(lone_lead, sizeof(lone_lead) - 1);
	assert_type(r, "unknown");
	r = detect_bytes(bad_trail, sizeof(bad_trail) - 1);
	assert_type(r, "unknown");
	r = detect_sample("latin1.txt");	/* "café\n" in Latin-1: é then LF */
	assert_type(r, "unknown");
}

static void
test_overlong_utf8_is_not_utf8(void **state)
{
	/* C0 AF is an overlong '/' in UTF-8, and two half-width kana in CP932: it may
	 * be text, but never with the UTF-8 flag. */
	static const char overlong[] = "a\xc0\xaf";
	struct detect_result r = detect_bytes(overlong, sizeof(overlong) - 1);

	(void)state;
	assert_false(r.flags & DETECT_F_UTF8);
}

static void
test_utf8_split_across_read_chunks_is_still_text(void **state)
{
	/* 64 KiB of 3-byte characters with one ASCII byte first: every chunk boundary
	 * falls inside a character. */
	size_t n = 3 * 30000 + 1, i;
	char *p = malloc(n);

	(void)state;
	assert_non_null(p);
	p[0] = 'x';
	for (i = 1; i + 3 <= n; i += 3)
		memcpy(p + i, "\xe6\xb0\x8f", 3);
	assert_type(detect_bytes(p, n), "text");
	free(p);
}

static void
test_pdf_header_beyond_first_kib_is_not_pdf(void **state)
{
	char buf[2048];
	struct detect_result r;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	memcpy(buf + 1100, "%PDF-1.7\n", 9);
	memcpy(buf + sizeof(buf) - 6, "%%EOF\n", 6);
	r = detect_bytes(buf, sizeof(buf));
	assert_int_not_equal(r.type, DETECT_PDF);
}

static void
test_cyclic_ole_directory_chain_ends(void **state)
{
	/* Header whose first directory sector is 0 and whose FAT says 0 -> 0. */
	uint8_t f[512 * 3];
	static const uint8_t magic[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
	struct detect_result r;

	(void)state;
	memset(f, 0, sizeof(f));
	memcpy(f, magic, 8);
	f[0x1c] = 0xfe; f[0x1d] = 0xff;		/* byte order */
	f[0x1e] = 9;				/* 512-byte sectors */
	f[0x2c] = 1;				/* one FAT sector ... */
	f[0x4c] = 1;				/* ... at sector 1 */
	memset(f + 0x50, 0xff, 512 - 0x50);
	/* sector 0 (offset 512): directory of zeros; sector 1 (offset 1024): FAT */
	f[1024 + 0] = 0;			/* FAT[0] = 0: the chain loops */
	r = detect_bytes(f, sizeof(f));
	assert_type(r, "unknown");
	assert_true(r.flags & DETECT_F_TRUNCATED);
}

static void
test_type_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(detect_type_name(DETECT_PDF), "pdf");
	assert_string_equal(detect_type_name(DETECT_OOXML_ENCRYPTED), "ooxml-encrypted");
	assert_string_equal(detect_type_name(DETECT_TYPE_COUNT), "unknown");
	assert_string_equal(detect_type_name((enum detect_type)-1), "unknown");
}

static void
test_non_regular_file_is_refused(void **state)
{
	int p[2];
	struct detect_result r;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(detect_fd(p[0], &r), -EINVAL);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_supported_type_is_identified_by_content),
		cmocka_unit_test(test_macro_enabled_ooxml_is_named_and_flagged),
		cmocka_unit_test(test_vba_project_in_a_docx_is_flagged_as_macro),
		cmocka_unit_test(test_legacy_office_macros_are_flagged),
		cmocka_unit_test(test_encrypted_ooxml_in_ole_container_is_reported_encrypted),
		cmocka_unit_test(test_odf_encryption_and_scripts_are_flagged_from_the_zip),
		cmocka_unit_test(test_password_protected_doc_and_xls_are_flagged_encrypted),
		cmocka_unit_test(test_encrypted_zip_member_is_flagged),
		cmocka_unit_test(test_ole_file_that_is_not_office_is_unknown),
		cmocka_unit_test(test_lossy_images_are_flagged_lossy),
		cmocka_unit_test(test_a_tiff_of_several_pages_is_flagged),
		cmocka_unit_test(test_avif_is_not_taken_for_heic),
		cmocka_unit_test(test_executable_named_pdf_is_unknown),
		cmocka_unit_test(test_html_named_pdf_is_unknown_markup),
		cmocka_unit_test(test_empty_file_is_unknown_and_flagged_empty),
		cmocka_unit_test(test_truncated_files_are_unknown_and_flagged),
		cmocka_unit_test(test_text_encoding_is_reported),
		cmocka_unit_test(test_text_with_nul_or_bad_encoding_is_unknown),
		cmocka_unit_test(test_overlong_utf8_is_not_utf8),
		cmocka_unit_test(test_utf8_split_across_read_chunks_is_still_text),
		cmocka_unit_test(test_pdf_header_beyond_first_kib_is_not_pdf),
		cmocka_unit_test(test_cyclic_ole_directory_chain_ends),
		cmocka_unit_test(test_type_names_are_stable),
		cmocka_unit_test(test_non_regular_file_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
