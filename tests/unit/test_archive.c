/*
 * test_archive.c — zips, only where the procedure allows them: refused by default
 * ("archive_not_allowed"); otherwise taken apart by unpack_child under limits — a
 * bomb by ratio, too many members, a member past its size, a path that climbs out
 * or is absolute, a symbolic link, an encrypted member, each refused with its own
 * reason — and each member sanitized on its own: a zip of a PNG and a PDF is clean
 * with two attested members, a zip holding a zip or an executable is refused with
 * every member's verdict listed. unpack_parse refuses a stream a lying child wrote.
 *
 * The zips are written here with libarchive's writer. unpack_child runs in-process
 * (valgrind and ASan see it); the pipeline tests run it in the sandbox and skip
 * under valgrind, which cannot confine a child.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <valgrind/valgrind.h>

#include "crypto.h"
#include "detect.h"
#include "pipeline.h"
#include "rebuild.h"
#include "scan.h"
#include "testscan.h"
#include "unpack.h"


struct zmember {
	const char *name;
	const void *data;
	size_t len;
	mode_t type;		/* 0: AE_IFREG */
	const char *link;	/* AE_IFLNK target */
};

/* A zip of the members (deflated), in a memfd; utf8: names flagged UTF-8. */
static int
make_zip_flagged(const struct zmember *m, size_t n, int utf8)
{
	size_t cap = 64u << 20, used = 0, i;
	uint8_t *buf = malloc(cap);
	struct archive *a = archive_write_new();
	int fd = memfd_create("zip", MFD_CLOEXEC);

	assert_non_null(buf);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	/* Names flagged UTF-8 (general purpose bit 11), as Windows and macOS write them. */
	if (utf8)
		assert_int_equal(archive_write_set_options(a, "zip:hdrcharset=UTF-8"), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		if (utf8)
			archive_entry_update_pathname_utf8(e, m[i].name);
		else
			archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, m[i].type ? m[i].type : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (m[i].link != NULL)
			archive_entry_set_symlink(e, m[i].link);
		archive_entry_set_size(e, m[i].type && m[i].type != AE_IFREG ? 0 : (la_int64_t)m[i].len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].len > 0 && (!m[i].type || m[i].type == AE_IFREG))
			assert_int_equal(archive_write_data(a, m[i].data, m[i].len), (la_ssize_t)m[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, used), (ssize_t)used);
	lseek(fd, 0, SEEK_SET);
	free(buf);
	return fd;
}

static int
make_zip(const struct zmember *m, size_t n)
{
	return make_zip_flagged(m, n, 0);
}

/* unpack_child in this process; its output in *out (malloc'd). */
static int
unpack_here(int zip, const struct unpack_limits *lim, uint8_t **out, size_t *len)
{
	int o = memfd_create("out", MFD_CLOEXEC), rc;
	off_t end;

	lseek(zip, 0, SEEK_SET);
	rc = unpack_child(o, zip, (void *)lim);
	end = lseek(o, 0, SEEK_END);
	*len = (size_t)end;
	*out = malloc((size_t)end + 1);
	assert_int_equal(pread(o, *out, (size_t)end, 0), end);
	close(o);
	return rc;
}

static const char tiny_pdf[] =
	"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R >> endobj\n"
	"4 0 obj << /Length 28 >> stream\n0 0 0 rg 10 10 50 20 re f\n\nendstream endobj\n"
	"trailer << /Root 1 0 R >>\n%%EOF\n";

static void
tiny_png(struct rebuild_buf *png)
{
	static uint8_t px[16 * 8];
	struct pixels_header h = { .width = 16, .height = 8, .channels = 1, .depth = 8 };
	size_t i;

	for (i = 0; i < sizeof px; i++)
		px[i] = (uint8_t)(i * 3);
	memset(png, 0, sizeof(*png));
	assert_int_equal(rebuild_png_encode(&h, px, png), REBUILD_OK);
}

static void
test_members_come_out_and_the_parser_agrees(void **state)
{
	struct zmember m[] = {
		{ .name = "書類/", .type = AE_IFDIR },
		{ .name = "書類/申請書.pdf", .data = tiny_pdf, .len = sizeof tiny_pdf - 1 },
		{ .name = "empty.txt", .data = "", .len = 0 },
	};
	struct unpack_limits lim;
	struct unpack_member got[UNPACK_DEFAULT_MEMBERS];
	struct detect_result d;
	uint32_t n;
	uint8_t *out;
	size_t len;
	int zip = make_zip(m, 3);

	(void)state;
	assert_int_equal(detect_fd(zip, &d), 0);
	assert_int_equal(d.type, DETECT_ZIP);
	unpack_limits_default(&lim);
	assert_int_equal(unpack_here(zip, &lim, &out, &len), 0);
	assert_int_equal(unpack_parse(out, len, &lim, got, UNPACK_DEFAULT_MEMBERS, &n), UNPACK_OK);
	assert_int_equal(n, 2);		/* the directory is skipped */
	assert_string_equal(got[0].name, "書類/申請書.pdf");
	assert_int_equal(got[0].size, sizeof tiny_pdf - 1);
	assert_memory_equal(got[0].data, tiny_pdf, sizeof tiny_pdf - 1);
	assert_string_equal(got[1].name, "empty.txt");
	assert_int_equal(got[1].size, 0);
	/* A lying child: trailing bytes, a wrong count, a climbing name, truncation. */
	out = realloc(out, len + 1);
	out[len] = 'x';
	assert_int_equal(unpack_parse(out, len + 1, &lim, got, UNPACK_DEFAULT_MEMBERS, &n),
			 UNPACK_EFORMAT);
	out[len - 1] = 3;
	assert_int_equal(unpack_parse(out, len, &lim, got, UNPACK_DEFAULT_MEMBERS, &n),
			 UNPACK_EFORMAT);
	assert_int_equal(unpack_parse(out, len - 3, &lim, got, UNPACK_DEFAULT_MEMBERS, &n),
			 UNPACK_ETRUNCATED);
	memcpy(out + 8, "..", 2);	/* "書類/..." → "..類/..." is still fine; */
	memcpy(out + 8, "../", 3);	/* "../" is not */
	assert_int_equal(unpack_parse(out, len, &lim, got, UNPACK_DEFAULT_MEMBERS, &n),
			 UNPACK_EFORMAT);
	free(out);
	close(zip);
}

static void
test_paths_that_climb_or_start_at_the_root_are_refused(void **state)
{
	static const char *const bad[] = { "../../etc/passwd", "/etc/passwd", "a/../../b",
					   "C:/Windows/x", "a\\..\\b", ".." };
	struct unpack_limits lim;
	uint8_t *out;
	size_t len, i;

	(void)state;
	unpack_limits_default(&lim);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct zmember m[] = { { .name = "ok.pdf", .data = tiny_pdf, .len = 10 },
				       { .name = bad[i], .data = "x", .len = 1 } };
		int zip = make_zip(m, 2);

		assert_false(unpack_path_ok(bad[i], strlen(bad[i])));
		assert_int_equal(unpack_here(zip, &lim, &out, &len), UNPACK_EXIT_PATH);
		free(out);
		close(zip);
	}
	assert_true(unpack_path_ok("a/..b/c..", 9));
	assert_true(unpack_path_ok("住民票.pdf", strlen("住民票.pdf")));
}

static void
test_links_and_devices_are_refused(void **state)
{
	struct zmember sym[] = { { .name = "key", .type = AE_IFLNK, .link = "/etc/shadow" } };
	struct zmember dev[] = { { .name = "tty", .data = "x", .len = 1 } };
	struct unpack_limits lim;
	uint8_t *out, cd[46];
	size_t len;
	off_t off, end;
	int zip;

	(void)state;
	unpack_limits_default(&lim);
	zip = make_zip(sym, 1);
	assert_int_equal(unpack_here(zip, &lim, &out, &len), UNPACK_EXIT_LINK);
	free(out);
	close(zip);
	/* libarchive will not write a device into a zip; a hostile zip says so in its
	 * central directory: the Unix mode in the external attributes' high half. */
	zip = make_zip(dev, 1);
	end = lseek(zip, 0, SEEK_END);
	for (off = 0; off + 46 <= end; off++) {
		assert_int_equal(pread(zip, cd, 4, off), 4);
		if (memcmp(cd, "PK\1\2", 4) == 0)
			break;
	}
	assert_true(off + 46 <= end);
	assert_int_equal(pread(zip, cd, 46, off), 46);
	cd[5] = 3;			/* made by: Unix */
	cd[40] = 0xa4;			/* 020644: a character device */
	cd[41] = 0x21;
	assert_int_equal(pwrite(zip, cd, 46, off), 46);
	assert_int_equal(unpack_here(zip, &lim, &out, &len), UNPACK_EXIT_LINK);
	free(out);
	close(zip);
}

static void
test_bomb_and_counts_are_stopped(void **state)
{
	size_t big = 20u << 20, i;
	uint8_t *zeros = calloc(1, big), *out;
	struct zmember bomb[] = { { .name = "zeros.bin", .data = zeros, .len = big } };
	struct zmember many[UNPACK_DEFAULT_MEMBERS + 1];
	char names[UNPACK_DEFAULT_MEMBERS + 1][16];
	struct unpack_limits lim;
	size_t len;
	int zip;

	(void)state;
	unpack_limits_default(&lim);
	/* 20 MiB of zeros deflate to ~20 KiB: a ratio near 1000. */
	zip = make_zip(bomb, 1);
	assert_true(lseek(zip, 0, SEEK_END) < (off_t)(big / UNPACK_DEFAULT_RATIO));
	assert_int_equal(unpack_here(zip, &lim, &out, &len), UNPACK_EXIT_RATIO);
	free(out);
	/* With the ratio out of the way, the member's own size limit. */
	lim.max_ratio = 100000;
	lim.max_member = 1u << 20;
	assert_int_equal(unpack_here(zip, &lim, &out, &len), UNPACK_EXIT_SIZE);
	free(out);
	close(zip);
	unpack_limits_default(&lim);
	for (i = 0; i < UNPACK_DEFAULT_MEMBERS + 1; i++) {
		snprintf(names[i], sizeof names[i], "f%zu.txt", i);
		many[i] = (struct zmember){ .name = names[i], .data = "abc", .len = 3 };
	}
	zip = make_zip(many, UNPACK_DEFAULT_MEMBERS);
	assert_int_equal(unpack_here(zip, &lim, &out, &len), 0);
	free(out);
	close(zip);
	zip = make_zip(many, UNPACK_DEFAULT_MEMBERS + 1);
	assert_int_equal(unpack_here(zip, &lim, &out, &len), UNPACK_EXIT_COUNT);
	free(out);
	close(zip);
	free(zeros);
}

/* ---- the pipeline ---- */

static int
run(int zip, int allow, struct pipeline_result *res)
{
	static const uint8_t key[32] = { 9 };
	struct pipeline_config c;
	int out = memfd_create("out", MFD_CLOEXEC), rc;

	pipeline_config_default(&c);
	c.scanner = group_scanner;
	c.sign_key = key;
	c.allow_archives = allow;
	lseek(zip, 0, SEEK_SET);
	rc = pipeline_run(&c, zip, out, res);
	/* An archive has no output of its own. */
	assert_int_equal(lseek(out, 0, SEEK_END), 0);
	close(out);
	return rc;
}

static void
test_archives_are_refused_unless_the_policy_allows_them(void **state)
{
	struct zmember m[] = { { .name = "a.pdf", .data = tiny_pdf, .len = sizeof tiny_pdf - 1 } };
	struct pipeline_result res;
	int zip = make_zip(m, 1);

	(void)state;
	assert_int_equal(run(zip, 0, &res), 0);
	assert_false(res.clean);
	assert_string_equal(res.reason, "archive_not_allowed");
	assert_non_null(strstr(res.message, "zip"));
	pipeline_result_free(&res);
	close(zip);
}

/* A zip whose names say they are UTF-8 is read by its names in the C locale the
 * services run in (libarchive alone gives them none there). */
static void
test_utf8_flagged_names_are_read_in_the_c_locale(void **state)
{
	struct zmember m[] = { { .name = "申請/申請書.pdf", .data = tiny_pdf,
				 .len = sizeof tiny_pdf - 1 } };
	struct pipeline_result res;
	uint8_t head[8];
	int zip;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	zip = make_zip_flagged(m, 1, 1);
	assert_int_equal(pread(zip, head, sizeof head, 0), (ssize_t)sizeof head);
	assert_true(head[7] & 0x08);	/* bit 11 of the flags: the test means it */
	assert_int_equal(run(zip, 1, &res), 0);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_string_equal(res.type, "zip");
	assert_true(res.clean);
	assert_string_equal(res.members[0].name, "申請/申請書.pdf");
	pipeline_result_free(&res);
	close(zip);
}

static void
test_allowed_zip_of_a_pdf_and_a_png_has_two_attested_members(void **state)
{
	struct rebuild_buf png;
	struct pipeline_result res;
	int zip;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	tiny_png(&png);
	{
		struct zmember m[] = {
			{ .name = "申請書.pdf", .data = tiny_pdf, .len = sizeof tiny_pdf - 1 },
			{ .name = "写真/photo.png", .data = png.p, .len = png.len },
		};
		zip = make_zip(m, 2);
	}
	assert_int_equal(run(zip, 1, &res), 0);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_true(res.clean);
	assert_string_equal(res.type, "zip");
	assert_string_equal(res.method, "archive-extract");
	assert_int_equal(res.nmembers, 2);
	assert_int_equal(res.pages, 2);
	assert_null(res.attestation);		/* the members have theirs */
	assert_string_equal(res.members[0].name, "申請書.pdf");
	assert_true(res.members[0].res.clean);
	assert_string_equal(res.members[0].res.method, "pdf-render");
	assert_non_null(res.members[0].res.attestation);
	assert_memory_equal(res.members[0].output.p, "%PDF-", 5);
	assert_true(res.members[1].res.clean);
	assert_string_equal(res.members[1].res.method, "image-reencode");
	assert_memory_equal(res.members[1].output.p, "\x89PNG", 4);
	/* Each member's attestation ties it to the zip the citizen sent and its path. */
	for (uint32_t i = 0; i < 2; i++) {
		const json_t *arc = json_object_get(json_object_get(res.members[i].res.attestation,
		    "attestation"), "archive");
		char zhex[65];

		crypto_hex(res.input_sha256, 32, zhex);
		assert_non_null(arc);
		assert_string_equal(json_string_value(json_object_get(arc, "sha256")), zhex);
		assert_string_equal(json_string_value(json_object_get(arc, "member")),
				    res.members[i].name);
		assert_int_equal(json_integer_value(json_object_get(arc, "index")), i + 1);
		assert_int_equal(json_integer_value(json_object_get(arc, "size")), res.input_size);
	}
	assert_true(res.preview.len > 0);
	pipeline_result_free(&res);
	rebuild_buf_free(&png);
	close(zip);
}

static void
test_a_refused_member_refuses_the_zip_and_says_which(void **state)
{
	struct zmember inner[] = { { .name = "x.pdf", .data = tiny_pdf, .len = sizeof tiny_pdf - 1 } };
	struct pipeline_result res;
	uint8_t *nested;
	off_t nlen;
	int in, zip;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	in = make_zip(inner, 1);
	nlen = lseek(in, 0, SEEK_END);
	nested = malloc((size_t)nlen);
	assert_int_equal(pread(in, nested, (size_t)nlen, 0), nlen);
	{
		struct zmember m[] = {
			{ .name = "ok.pdf", .data = tiny_pdf, .len = sizeof tiny_pdf - 1 },
			{ .name = "inner.zip", .data = nested, .len = (size_t)nlen },
			{ .name = "run.exe", .data = "MZ\x90\0\3\0\0\0", .len = 8 },
		};
		zip = make_zip(m, 3);
	}
	assert_int_equal(run(zip, 1, &res), 0);
	assert_false(res.clean);
	assert_string_equal(res.reason, "archive_member_refused");
	assert_int_equal(res.nmembers, 3);
	assert_true(res.members[0].res.clean);
	assert_string_equal(res.members[1].res.reason, "archive_nested");
	assert_string_equal(res.members[2].res.reason, "unsupported_type");
	pipeline_result_free(&res);
	free(nested);
	close(in);
	close(zip);
}

static void
test_unsafe_zips_are_refused_through_the_sandbox(void **state)
{
	struct zmember trav[] = { { .name = "../../x.pdf", .data = tiny_pdf, .len = 10 } };
	struct zmember sym[] = { { .name = "key", .type = AE_IFLNK, .link = "/etc/shadow" } };
	struct pipeline_result res;
	int zip;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	zip = make_zip(trav, 1);
	assert_int_equal(run(zip, 1, &res), 0);
	assert_string_equal(res.reason, "archive_path");
	pipeline_result_free(&res);
	close(zip);
	zip = make_zip(sym, 1);
	assert_int_equal(run(zip, 1, &res), 0);
	assert_string_equal(res.reason, "archive_link");
	assert_int_equal(res.nmembers, 0);
	pipeline_result_free(&res);
	close(zip);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_come_out_and_the_parser_agrees),
		cmocka_unit_test(test_paths_that_climb_or_start_at_the_root_are_refused),
		cmocka_unit_test(test_links_and_devices_are_refused),
		cmocka_unit_test(test_bomb_and_counts_are_stopped),
		cmocka_unit_test(test_archives_are_refused_unless_the_policy_allows_them),
		cmocka_unit_test(test_allowed_zip_of_a_pdf_and_a_png_has_two_attested_members),
		cmocka_unit_test(test_utf8_flagged_names_are_read_in_the_c_locale),
		cmocka_unit_test(test_a_refused_member_refuses_the_zip_and_says_which),
		cmocka_unit_test(test_unsafe_zips_are_refused_through_the_sandbox),
	};
	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
