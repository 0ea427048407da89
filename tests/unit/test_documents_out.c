/*
 * test_documents_out.c — issued documents leave as office-signed "document" bundles
 * whose PDF is byte for byte the stored one, each sent once; and the bulk rule that
 * reads a receipt number out of a file name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "crypto.h"
#include "jsonio.h"
#include "office_db.h"
#include "office_documents.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	struct tenant t;
	struct spool out;
	uint8_t pub[32], priv[32];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-docout-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->t.db, path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	snprintf(f->t.name, sizeof f->t.name, "demo");
	pthread_mutex_init(&f->t.lock, NULL);
	snprintf(path, sizeof path, "%s/downlink-out", f->dir);
	assert_int_equal(spool_open(&f->out, path, true), 0);
	assert_int_equal(crypto_ed25519_keygen(f->pub, f->priv), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	spool_close(&f->out);
	db_close(f->t.db);
	pthread_mutex_destroy(&f->t.lock);
	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static void
exec(struct fixture *f, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_handle(f->t.db), sql, NULL, NULL, NULL), SQLITE_OK);
}

/* An issued document row with pdf as its bytes, as store_document writes it. */
static void
issue(struct fixture *f, int id, const char *pdf)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char hex[CRYPTO_SHA256_LEN * 2 + 1], bundle[64];
	sqlite3_stmt *st;

	crypto_sha256(pdf, strlen(pdf), h);
	crypto_hex(h, sizeof h, hex);
	snprintf(bundle, sizeof bundle, "document-demo-%d", id);
	st = db_stmt(f->t.db, "INSERT INTO issued_documents (id, application_id, receipt_no, n,"
			      " title, file_name, source, pdf, size, sha256, issued_at, issued_by,"
			      " bundle_id) VALUES (?1, 1, '20261122-000001', ?1, '受理証明書',"
			      " '受理証明書.pdf', 'template', ?2, ?3, ?4, '2026-11-22T06:00:00Z',"
			      " 'clerk1', ?5)");
	assert_non_null(st);
	sqlite3_bind_int(st, 1, id);
	sqlite3_bind_blob(st, 2, pdf, (int)strlen(pdf), SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)strlen(pdf));
	sqlite3_bind_text(st, 4, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, bundle, -1, SQLITE_TRANSIENT);
	assert_int_equal(db_step_done(st), 0);
}

/* The bundle id from the spool, verified; its document.json and the PDF member. */
static json_t *
take(struct fixture *f, const char *id, char *pdf, size_t cap)
{
	struct bundle_check chk = { .signer_pub = f->pub };
	struct bundle_info info;
	struct spool_item item;
	struct archive *ar;
	struct archive_entry *e;
	char err[256];
	json_t *doc;
	int fd;

	assert_int_equal(spool_claim(&f->out, &item), SPOOL_OK);
	assert_string_equal(item.id, id);
	bundle_limits_default(&chk.limits);
	assert_true((fd = open(item.path, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	assert_string_equal(info.kind, "document");
	doc = json_incref(json_object_get(info.data, "data/document.json"));
	bundle_info_free(&info);
	memset(pdf, 0, cap);
	assert_non_null(ar = archive_read_new());
	archive_read_support_format_tar(ar);
	assert_int_equal(archive_read_open_filename(ar, item.path, 10240), ARCHIVE_OK);
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK)
		if (strcmp(archive_entry_pathname(e), "files/document.pdf") == 0)
			assert_true(archive_read_data(ar, pdf, cap - 1) > 0);
	archive_read_free(ar);
	assert_int_equal(spool_commit(&f->out, &item), 0);
	return doc;
}

static void
test_documents_leave_once_each_as_signed_bundles(void **state)
{
	struct fixture *f = *state;
	char err[256], pdf[256];
	json_t *doc;

	exec(f, "INSERT INTO applications (id, bundle_id, received_at, application_json,"
		" manifest_json, bundle_path, bundle_sha256, receipt_no) VALUES (1, 'app-1',"
		" '2026-11-22T00:00:00Z', '{}', '{}', '/x', 'x', '20261122-000001')");
	issue(f, 1, "%PDF-1.7 first");
	issue(f, 2, "%PDF-1.7 second");
	assert_int_equal(documents_out_flush(&f->t, &f->out, f->priv, 1795000000, err,
					     sizeof err), 2);
	doc = take(f, "document-demo-1", pdf, sizeof pdf);
	assert_string_equal(pdf, "%PDF-1.7 first");
	assert_string_equal(jsonio_str(doc, "format", ""), "sekisho-document/1");
	assert_string_equal(jsonio_str(doc, "receipt_no", ""), "20261122-000001");
	assert_string_equal(jsonio_str(doc, "title", ""), "受理証明書");
	assert_string_equal(jsonio_str(doc, "issued_at", ""), "2026-11-22T15:00:00+09:00");
	assert_int_equal(json_integer_value(json_object_get(doc, "size")), 14);
	json_decref(doc);
	/* A crash after writing bundle 2, before recording it: the next flush writes the
	 * same bundle under the same id, and the spool holds it once. */
	exec(f, "UPDATE issued_documents SET sent_at = NULL WHERE id = 2");
	assert_int_equal(documents_out_flush(&f->t, &f->out, f->priv, 1795000001, err,
					     sizeof err), 1);
	doc = take(f, "document-demo-2", pdf, sizeof pdf);
	assert_string_equal(pdf, "%PDF-1.7 second");
	json_decref(doc);
	{
		struct spool_item item;

		assert_int_equal(spool_claim(&f->out, &item), SPOOL_EMPTY);
	}
	/* Sent: nothing more. */
	assert_int_equal(documents_out_flush(&f->t, &f->out, f->priv, 1795000002, err,
					     sizeof err), 0);
}

static void
test_bulk_file_names_give_the_receipt(void **state)
{
	char r[48];

	(void)state;
	assert_int_equal(documents_receipt_from_name("20261122-000123.pdf", r, sizeof r), 0);
	assert_string_equal(r, "20261122-000123");
	assert_int_equal(documents_receipt_from_name("20261122-000123_結果通知.PDF", r, sizeof r), 0);
	assert_string_equal(r, "20261122-000123");
	assert_int_equal(documents_receipt_from_name("20261122-000123.txt", r, sizeof r), -1);
	assert_int_equal(documents_receipt_from_name("_x.pdf", r, sizeof r), -1);
	assert_int_equal(documents_receipt_from_name(".pdf", r, sizeof r), -1);
	assert_int_equal(documents_receipt_from_name("受理_x.pdf", r, sizeof r), -1);
	assert_int_equal(documents_receipt_from_name("../20261122-000123.pdf", r, sizeof r), -1);
	assert_int_equal(documents_receipt_from_name(
		"12345678901234567890123456789012345678901.pdf", r, sizeof r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_documents_leave_once_each_as_signed_bundles,
						setup, teardown),
		cmocka_unit_test(test_bulk_file_names_give_the_receipt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
