/*
 * test_scan.c — a file is clean only when libclamav saw all of it and found
 * nothing: EICAR and the project marker are caught, plain and inside a zip; a file
 * past a limit and an encrypted zip are refused with their own verdicts, never
 * clean; and a signature added to the database directory takes effect on reload.
 *
 * Every test runs twice: on a scanner in this process (scan_open) and on one in a
 * process of its own (scan_spawn, the service's): the verdicts must not depend on
 * where libclamav runs. The engine is loaded once per group (compiling is the slow
 * part, worst under valgrind), from tests/clamav/ relative to the repository root,
 * with small limits so that exceeding them costs little. EICAR is built here from
 * its published string, never stored.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "scan.h"

#define TEST_DB "tests/clamav"
#define FILESIZE_LIMIT (64u * 1024)
#define RECURSION_LIMIT 4

static const char eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

static struct scanner *group_scanner;
static int group_spawned;	/* this group's scanners are processes of their own */

/* A scanner of the group's kind. */
static int
open_scanner(struct scanner **s, const char *dir, const struct scan_limits *lim)
{
	char err[512];
	int rc;

	if (!group_spawned)
		return scan_open(s, dir, lim);
	if ((rc = scan_spawn(s, dir, lim, err, sizeof err)) != 0)
		print_message("scan_spawn %s: %s\n", dir, err);
	return rc;
}

static int
group_setup(void **state)
{
	struct scan_limits lim;

	(void)state;
	scan_limits_default(&lim);
	lim.max_filesize = FILESIZE_LIMIT;
	lim.max_scansize = 4 * FILESIZE_LIMIT;
	lim.max_recursion = RECURSION_LIMIT;
	lim.max_files = 20;
	return open_scanner(&group_scanner, TEST_DB, &lim) == 0 ? 0 : -1;
}

static int
group_setup_spawned(void **state)
{
	group_spawned = 1;
	return group_setup(state);
}

static int
group_teardown(void **state)
{
	(void)state;
	scan_close(group_scanner);
	group_scanner = NULL;
	return 0;
}

static int
memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("scan", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (n > 0)
		assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static struct scan_result
scan_bytes(struct scanner *s, const void *p, size_t n)
{
	struct scan_result r;
	int fd = memfd_with(p, n);

	assert_int_equal(scan_fd(s, fd, &r), 0);
	close(fd);
	return r;
}

/* A zip holding one member; with password, ZipCrypto-encrypted. */
static void *
make_zip(const char *member, const void *data, size_t len, const char *password,
    size_t *out_len)
{
	size_t cap = len + 4096, used = 0;
	void *buf = malloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_non_null(buf);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	if (password != NULL) {
		assert_int_equal(archive_write_set_options(a, "zip:encryption=zipcrypt"),
		    ARCHIVE_OK);
		assert_int_equal(archive_write_set_passphrase(a, password), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, member);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	*out_len = used;
	return buf;
}

static void
assert_verdict(const struct scan_result *r, enum scan_verdict want)
{
	if (r->verdict != want)
		fail_msg("verdict %s (%s), want %s", scan_verdict_name(r->verdict), r->name,
		    scan_verdict_name(want));
}

static void
test_eicar_is_infected(void **state)
{
	struct scan_result r = scan_bytes(group_scanner, eicar, strlen(eicar));

	(void)state;
	assert_int_equal(strlen(eicar), 68);
	assert_verdict(&r, SCAN_INFECTED);
	assert_true(strncmp(r.name, "Sekisho.Test.EICAR", 18) == 0);
	assert_true(r.signatures >= 3);
}

static void
test_project_marker_is_infected(void **state)
{
	static const char doc[] = "氏名,住所\n山田,SEKISHO-TEST-MALWARE-MARKER\n";
	struct scan_result r = scan_bytes(group_scanner, doc, sizeof(doc) - 1);

	(void)state;
	assert_verdict(&r, SCAN_INFECTED);
	assert_string_equal(r.name, "Sekisho.Test.Marker.UNOFFICIAL");
}

static void
test_clean_file_is_clean(void **state)
{
	static const char doc[] = "氏名,住所\n山田太郎,東京都千代田区\n";
	struct scan_result r = scan_bytes(group_scanner, doc, sizeof(doc) - 1);

	(void)state;
	assert_verdict(&r, SCAN_CLEAN);
	assert_string_equal(r.name, "");
}

static void
test_file_over_size_limit_is_refused_not_clean(void **state)
{
	size_t n = FILESIZE_LIMIT * 2;
	char *p = malloc(n);
	struct scan_result r;

	(void)state;
	assert_non_null(p);
	memset(p, 'a', n);
	r = scan_bytes(group_scanner, p, n);
	assert_verdict(&r, SCAN_LIMITS_EXCEEDED);
	assert_string_equal(r.name, "Heuristics.Limits.Exceeded.MaxFileSize");
	free(p);
}

static void
test_eicar_inside_a_zip_is_infected(void **state)
{
	size_t len;
	void *zip = make_zip("invoice.txt", eicar, strlen(eicar), NULL, &len);
	struct scan_result r = scan_bytes(group_scanner, zip, len);

	(void)state;
	assert_verdict(&r, SCAN_INFECTED);
	free(zip);
}

static void
test_zips_nested_past_the_recursion_limit_are_refused(void **state)
{
	static const char leaf[] = "nothing to see\n";
	size_t len = sizeof(leaf) - 1, next_len;
	void *cur = NULL, *next;
	struct scan_result r;
	int depth;

	(void)state;
	for (depth = 0; depth < RECURSION_LIMIT + 3; depth++) {
		next = make_zip(depth == 0 ? "leaf.txt" : "inner.zip",
		    cur != NULL ? cur : leaf, len, NULL, &next_len);
		free(cur);
		cur = next;
		len = next_len;
	}
	r = scan_bytes(group_scanner, cur, len);
	assert_verdict(&r, SCAN_LIMITS_EXCEEDED);
	assert_string_equal(r.name, "Heuristics.Limits.Exceeded.MaxRecursion");
	free(cur);
}

static void
test_encrypted_zip_is_refused_as_encrypted(void **state)
{
	static const char doc[] = "a secret\n";
	size_t len;
	void *zip = make_zip("secret.txt", doc, sizeof(doc) - 1, "secret", &len);
	struct scan_result r = scan_bytes(group_scanner, zip, len);

	(void)state;
	assert_verdict(&r, SCAN_ENCRYPTED);
	assert_string_equal(r.name, "Heuristics.Encrypted.Zip");
	free(zip);
}

static void
test_verdict_names_map_heuristics(void **state)
{
	(void)state;
	assert_int_equal(scan_verdict_for_name("Heuristics.Limits.Exceeded.MaxFileSize"),
	    SCAN_LIMITS_EXCEEDED);
	assert_int_equal(scan_verdict_for_name("Heuristics.Encrypted.Zip"), SCAN_ENCRYPTED);
	assert_int_equal(scan_verdict_for_name("Heuristics.Encrypted.PDF"), SCAN_ENCRYPTED);
	assert_int_equal(scan_verdict_for_name("Heuristics.OLE2.ContainsMacros"), SCAN_MACROS);
	assert_int_equal(scan_verdict_for_name("Heuristics.Broken.Executable"), SCAN_INFECTED);
	assert_int_equal(scan_verdict_for_name("Win.Test.EICAR_HDB-1"), SCAN_INFECTED);
	assert_string_equal(scan_verdict_name(SCAN_LIMITS_EXCEEDED), "limits-exceeded");
}

static void
test_engine_version_is_reported(void **state)
{
	unsigned sigs, dbver;

	(void)state;
	assert_true(strncmp(scan_engine_version(), "1.", 2) == 0);
	scan_db_info(group_scanner, &sigs, &dbver);
	assert_int_equal(sigs, 3);
	assert_int_equal(dbver, 0);	/* loose .hdb/.ndb files carry no version */
}

static void
copy_file(const char *from, const char *to)
{
	char buf[4096];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

struct scan_thread {
	struct scanner *s;
	int infected, clean, other;
};

static void *
scan_thread_main(void *arg)
{
	struct scan_thread *t = arg;
	struct scan_result r;
	int i, fd;

	for (i = 0; i < 5; i++) {
		fd = memfd_create("eicar", MFD_CLOEXEC);
		if (fd < 0 || write(fd, eicar, strlen(eicar)) != (ssize_t)strlen(eicar) ||
		    lseek(fd, 0, SEEK_SET) != 0 || scan_fd(t->s, fd, &r) != 0)
			t->other++;
		else if (r.verdict == SCAN_INFECTED)
			t->infected++;
		else if (r.verdict == SCAN_CLEAN)
			t->clean++;
		else
			t->other++;
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void
test_reload_picks_up_an_added_signature_file(void **state)
{
	char dir[64], path[128];
	struct scanner *s;
	struct scan_limits lim;
	struct scan_result r;
	struct scan_thread t[3];
	pthread_t tid[3];
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_scan.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sekisho-test.ndb", dir);
	copy_file(TEST_DB "/sekisho-test.ndb", path);
	scan_limits_default(&lim);
	assert_int_equal(open_scanner(&s, dir, &lim), 0);

	/* Exactly 68 bytes of EICAR is only caught by the .hdb, not yet here: which
	 * also shows that libclamav has no EICAR signature of its own. */
	r = scan_bytes(s, eicar, strlen(eicar));
	assert_verdict(&r, SCAN_INFECTED);	/* the .ndb substring signature */
	assert_string_equal(r.name, "Sekisho.Test.EICAR.NDB.UNOFFICIAL");
	r = scan_bytes(s, "SEKISHO-RELOAD-MARKER", 21);
	assert_verdict(&r, SCAN_CLEAN);
	assert_int_equal(scan_reload(s), 0);	/* nothing changed */

	snprintf(path, sizeof(path), "%s/added.ndb", dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		/* hex of "SEKISHO-RELOAD-MARKER" */
		fputs("Sekisho.Test.Reload:0:*:53454b4953484f2d52454c4f41442d4d41524b4552\n", f);
		assert_int_equal(fclose(f), 0);
	}
	/* Scans keep running while the engine is swapped under them. */
	for (i = 0; i < 3; i++) {
		t[i] = (struct scan_thread){ .s = s };
		assert_int_equal(pthread_create(&tid[i], NULL, scan_thread_main, &t[i]), 0);
	}
	assert_int_equal(scan_reload(s), 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(t[i].infected, 5);
	}
	r = scan_bytes(s, "SEKISHO-RELOAD-MARKER", 21);
	assert_verdict(&r, SCAN_INFECTED);
	assert_string_equal(r.name, "Sekisho.Test.Reload.UNOFFICIAL");
	assert_int_equal(scan_reload(s), 0);
	scan_close(s);

	unlink(path);
	snprintf(path, sizeof(path), "%s/sekisho-test.ndb", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_eicar_is_not_built_into_libclamav(void **state)
{
	char dir[64], path[128];
	struct scanner *s;
	struct scan_limits lim;
	struct scan_result r;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_scan.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/only-marker.ndb", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("Sekisho.Test.Marker:0:*:53454b4953484f2d544553542d4d414c574152452d4d41524b4552\n", f);
	assert_int_equal(fclose(f), 0);
	scan_limits_default(&lim);
	assert_int_equal(open_scanner(&s, dir, &lim), 0);
	r = scan_bytes(s, eicar, strlen(eicar));
	assert_verdict(&r, SCAN_CLEAN);
	scan_close(s);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_missing_database_directory_is_an_error(void **state)
{
	struct scanner *s = NULL;
	struct scan_limits lim;

	(void)state;
	scan_limits_default(&lim);
	assert_true(open_scanner(&s, "/nonexistent/sekisho-clamav", &lim) < 0);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eicar_is_infected),
		cmocka_unit_test(test_project_marker_is_infected),
		cmocka_unit_test(test_clean_file_is_clean),
		cmocka_unit_test(test_file_over_size_limit_is_refused_not_clean),
		cmocka_unit_test(test_eicar_inside_a_zip_is_infected),
		cmocka_unit_test(test_zips_nested_past_the_recursion_limit_are_refused),
		cmocka_unit_test(test_encrypted_zip_is_refused_as_encrypted),
		cmocka_unit_test(test_verdict_names_map_heuristics),
		cmocka_unit_test(test_engine_version_is_reported),
		cmocka_unit_test(test_reload_picks_up_an_added_signature_file),
		cmocka_unit_test(test_eicar_is_not_built_into_libclamav),
		cmocka_unit_test(test_missing_database_directory_is_an_error),
	};

	int failed = cmocka_run_group_tests_name("scanner in this process", tests, group_setup,
	    group_teardown);

	return failed + cmocka_run_group_tests_name("scanner in a process of its own", tests,
	    group_setup_spawned, group_teardown);
}
