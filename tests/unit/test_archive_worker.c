/*
 * test_archive_worker.c — the service's worker pool on the new input types, end to
 * end through the intake spool: an allowed zip leaves result.json with status
 * "clean", type "zip", the members' pages and a "members" list, and for each member
 * members/<n>/output with an attestation that verifies against that file; the same
 * zip under the default policy is refused ("archive_not_allowed") and its original
 * quarantined; a WebP photo comes out as output + attestation as any image does; a
 * refused member refuses the zip, and only its clean sibling's files are written.
 *
 * The pipeline's children need seccomp, which valgrind cannot run: skipped there.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <valgrind/valgrind.h>
#include <webp/encode.h>

#include "attest.h"
#include "crypto.h"
#include "jsonio.h"
#include "pipeline.h"
#include "scan.h"
#include "spool.h"
#include "testutil.h"
#include "testworker.h"
#include "worker.h"

static const char tiny_pdf[] =
	"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R >> endobj\n"
	"4 0 obj << /Length 28 >> stream\n0 0 0 rg 10 10 50 20 re f\n\nendstream endobj\n"
	"trailer << /Root 1 0 R >>\n%%EOF\n";

/* Run a pool over the intake until result.json of id appears (or 60 s pass). */
static json_t *
sanitize(struct fixture *f, const char *id, const void *data, size_t len, int allow)
{
	struct worker_config wc = { .intake = &f->spool, .results_dir = f->results,
				    .quarantine_dir = f->quarantine, .threads = 1 };
	struct worker_pool *pool;
	char err[256], path[256];
	json_t *res = NULL;
	int i;

	pipeline_config_default(&wc.pipeline);
	wc.pipeline.scanner = f->scanner;
	wc.pipeline.sign_key = f->priv;
	wc.pipeline.allow_archives = allow;
	assert_int_equal(spool_put(&f->spool, id, data, len), SPOOL_OK);
	assert_int_equal(worker_start(&pool, &wc, err, sizeof err), 0);
	/* An item named with a policy (worker.h) has its results under the upload id. */
	snprintf(path, sizeof path, "%s/%.*s/result.json", f->results,
		 (int)strcspn(id, "."), id);
	for (i = 0; i < 600 && access(path, R_OK) != 0; i++) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
	}
	worker_stop(pool);
	res = jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err);
	assert_non_null(res);
	return res;
}

static void
zip_of(const char *const *names, const void *const *data, const size_t *lens, int n,
    uint8_t **out, size_t *outlen)
{
	size_t cap = 4u << 20, used = 0;
	uint8_t *buf = malloc(cap);
	struct archive *a = archive_write_new();
	int i;

	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)lens[i]);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data[i], lens[i]), (la_ssize_t)lens[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	*out = buf;
	*outlen = used;
}

/* members/<n>/output of id verifies against members/<n>/attestation.json. */
static void
check_member(struct fixture *f, const char *id, int n)
{
	char path[256], err[256];
	json_t *att;
	int fd;

	snprintf(path, sizeof path, "%s/%s/members/%d/attestation.json", f->results, id, n);
	assert_non_null(att = jsonio_load_file(path, ATTEST_MAX_BYTES, err, sizeof err));
	snprintf(path, sizeof path, "%s/%s/members/%d/output", f->results, id, n);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	if (attest_verify_fd(att, f->pub, fd, err, sizeof err) != 0)
		fail_msg("member %d: %s", n, err);
	close(fd);
	json_decref(att);
}

/* The policy portald names in the item's name is the procedure's: it overrides the
 * service's configuration both ways. */
static void
test_item_name_carries_the_procedures_policy(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "a.pdf" };
	const void *data[] = { tiny_pdf };
	const size_t lens[] = { sizeof tiny_pdf - 1 };
	struct pipeline_config pc = { .allow_archives = 1, .keep_ooxml = 1 };
	char up[64];
	uint8_t *zip;
	size_t len;
	json_t *res;

	assert_int_equal(worker_item_policy("abc.pa", up, sizeof up, &pc), 0);
	assert_string_equal(up, "abc");
	assert_true(pc.allow_archives && !pc.keep_ooxml);
	assert_int_equal(worker_item_policy("abc.p-", up, sizeof up, &pc), 0);
	assert_true(!pc.allow_archives && !pc.keep_ooxml);
	assert_int_equal(worker_item_policy("abc.pao", up, sizeof up, &pc), 0);
	assert_true(pc.allow_archives && pc.keep_ooxml);
	assert_int_equal(worker_item_policy("abc", up, sizeof up, &pc), 0);
	assert_true(pc.allow_archives && pc.keep_ooxml);	/* unchanged */
	assert_int_equal(worker_item_policy("abc.px", up, sizeof up, &pc), -1);
	assert_int_equal(worker_item_policy("abc.paa", up, sizeof up, &pc), -1);
	assert_int_equal(worker_item_policy("abc.p", up, sizeof up, &pc), -1);
	assert_int_equal(worker_item_policy(".pa", up, sizeof up, &pc), -1);
	/* Only the last dot can start the suffix. */
	assert_int_equal(worker_item_policy("a.pb.po", up, sizeof up, &pc), 0);
	assert_string_equal(up, "a.pb");
	assert_true(!pc.allow_archives && pc.keep_ooxml);
	assert_int_equal(worker_item_policy("a.po.x", up, sizeof up, &pc), 0);
	assert_string_equal(up, "a.po.x");
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	zip_of(names, data, lens, 1, &zip, &len);
	res = sanitize(f, "up-pol-1.pa", zip, len, 0);
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	assert_string_equal(jsonio_str(res, "id", ""), "up-pol-1");
	check_member(f, "up-pol-1", 1);
	json_decref(res);
	res = sanitize(f, "up-pol-2.p-", zip, len, 1);
	assert_string_equal(jsonio_str(res, "reason", ""), "archive_not_allowed");
	json_decref(res);
	free(zip);
}

static void
test_allowed_zip_leaves_each_member_attested(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "申請書.pdf", "添付/二枚目.pdf" };
	const void *data[] = { tiny_pdf, tiny_pdf };
	const size_t lens[] = { sizeof tiny_pdf - 1, sizeof tiny_pdf - 1 };
	char path[256];
	uint8_t *zip;
	size_t len;
	json_t *res, *m;

	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	zip_of(names, data, lens, 2, &zip, &len);
	res = sanitize(f, "up-zip-1", zip, len, 1);
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	assert_string_equal(jsonio_str(res, "type", ""), "zip");
	assert_string_equal(jsonio_str(res, "method", ""), "archive-extract");
	assert_int_equal(json_integer_value(json_object_get(res, "pages")), 2);
	m = json_object_get(res, "members");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(jsonio_str(json_array_get(m, 1), "name", ""), "添付/二枚目.pdf");
	assert_string_equal(jsonio_str(json_array_get(m, 1), "status", ""), "clean");
	check_member(f, "up-zip-1", 1);
	check_member(f, "up-zip-1", 2);
	/* Each member has its own preview for the citizen's member list. */
	snprintf(path, sizeof path, "%s/up-zip-1/members/2/preview.png", f->results);
	assert_int_equal(access(path, R_OK), 0);
	/* No output of its own, a preview for the form. */
	snprintf(path, sizeof path, "%s/up-zip-1/output", f->results);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/up-zip-1/preview.png", f->results);
	assert_int_equal(access(path, R_OK), 0);
	json_decref(res);

	/* The same zip where the policy does not allow archives. */
	res = sanitize(f, "up-zip-2", zip, len, 0);
	assert_string_equal(jsonio_str(res, "status", ""), "rejected");
	assert_string_equal(jsonio_str(res, "reason", ""), "archive_not_allowed");
	assert_null(json_object_get(res, "members"));
	snprintf(path, sizeof path, "%s/up-zip-2", f->quarantine);
	assert_int_equal(access(path, R_OK), 0);
	json_decref(res);
	free(zip);
}

static void
test_a_refused_member_leaves_only_verdicts(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "ok.pdf", "run.exe" };
	const void *data[] = { tiny_pdf, "MZ\x90\0\3\0\0\0" };
	const size_t lens[] = { sizeof tiny_pdf - 1, 8 };
	char path[256];
	uint8_t *zip;
	size_t len;
	json_t *res, *m;

	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	zip_of(names, data, lens, 2, &zip, &len);
	res = sanitize(f, "up-zip-3", zip, len, 1);
	assert_string_equal(jsonio_str(res, "status", ""), "rejected");
	assert_string_equal(jsonio_str(res, "reason", ""), "archive_member_refused");
	m = json_object_get(res, "members");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(jsonio_str(json_array_get(m, 0), "status", ""), "clean");
	assert_string_equal(jsonio_str(json_array_get(m, 1), "reason", ""), "unsupported_type");
	/* Refused: nothing of it is kept as an output. */
	snprintf(path, sizeof path, "%s/up-zip-3/members", f->results);
	assert_int_not_equal(access(path, F_OK), 0);
	json_decref(res);
	free(zip);
}

static void
test_webp_photo_is_an_attested_png(void **state)
{
	struct fixture *f = *state;
	uint8_t rgb[32 * 24 * 3], *webp = NULL;
	char path[256], err[256];
	json_t *res, *att;
	size_t len, i;
	int fd;

	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	for (i = 0; i < sizeof rgb; i++)
		rgb[i] = (uint8_t)(i * 5);
	assert_true((len = WebPEncodeLosslessRGB(rgb, 32, 24, 32 * 3, &webp)) > 0);
	res = sanitize(f, "up-webp-1", webp, len, 0);
	WebPFree(webp);
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	assert_string_equal(jsonio_str(res, "type", ""), "webp");
	assert_string_equal(jsonio_str(res, "method", ""), "image-reencode");
	snprintf(path, sizeof path, "%s/up-webp-1/attestation.json", f->results);
	assert_non_null(att = jsonio_load_file(path, ATTEST_MAX_BYTES, err, sizeof err));
	snprintf(path, sizeof path, "%s/up-webp-1/output", f->results);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(attest_verify_fd(att, f->pub, fd, err, sizeof err), 0);
	close(fd);
	json_decref(att);
	json_decref(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_item_name_carries_the_procedures_policy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowed_zip_leaves_each_member_attested,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_refused_member_leaves_only_verdicts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_webp_photo_is_an_attested_png, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
