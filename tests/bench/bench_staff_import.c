/*
 * bench_staff_import.c — a city's migration: 12,000 staff accounts in 200
 * departments imported from one CSV file into a fresh tenant database, then
 * exported again. Prints rows/s for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "office_db.h"
#include "staff_csv.h"
#include "testutil.h"

#define ROWS  12000
#define DEPTS 200

static double
seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int
main(void)
{
	char dir[] = "/tmp/sekisho-bench-staff-XXXXXX", path[128], err[512];
	struct staff_csv_result res;
	struct timespec t0, t1, t2;
	char *csv = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	struct db *db;
	FILE *f;
	long n;
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/bench.sqlite", dir);
	if (db_open(&db, path, DB_CREATE, office_db_migrations, office_db_nmigrations, err,
		    sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	f = open_memstream(&csv, &len);
	fputs("\xEF\xBB\xBFlogin,display_name,role,departments,email\r\n", f);
	for (int i = 0; i < ROWS; i++)
		fprintf(f, "staff%05d,職員 %05d,%s,第%d課;共通%d係,staff%05d@city.example.lg.jp\r\n",
			i, i, i % 100 == 0 ? "admin" : i % 50 == 0 ? "auditor" : "clerk",
			i % DEPTS, i % 7, i);
	fclose(f);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = staff_csv_import(db, csv, len, time(NULL), 14 * 86400, "bench", "-", &res, err,
			      sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != 0) {
		fprintf(stderr, "import failed (%d): %s %zu errors\n", rc, err, res.nerrors);
		return 1;
	}
	printf("staff import: %zu rows (%zu KiB CSV, %zu departments) in %.3f s: %.0f rows/s "
	       "(one transaction, no Argon2: setup codes)\n", res.created, len / 1024,
	       res.departments_created, seconds(&t0, &t1), (double)res.created / seconds(&t0, &t1));
	staff_csv_result_free(&res);

	f = open_memstream(&out, &olen);
	n = staff_csv_export(db, f, err, sizeof err);
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("staff export: %ld rows in %.3f s: %.0f rows/s\n", n, seconds(&t1, &t2),
	       (double)n / seconds(&t1, &t2));
	free(csv);
	free(out);
	db_close(db);
	testutil_rmtree(dir);
	return n == ROWS ? 0 : 1;
}
