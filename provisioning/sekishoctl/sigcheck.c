/*
 * sigcheck.c — the age of the ClamAV database, from its files' modification times
 * (freshclam rewrites a file whenever it updates it).
 */
#include "sigcheck.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* freshclam's signed containers (.cvd, .cld) and the plain databases a local or test
 * set is made of (.hdb hashes, .ndb/.ldb body signatures, ...). */
static bool
is_db_file(const char *name)
{
	static const char *const ext[] = { ".cvd", ".cld", ".cud", ".hdb", ".hsb", ".mdb",
					   ".msb", ".ndb", ".ldb", ".idb", ".cdb", ".fp",
					   ".sfp", ".ign2", ".ftm", ".yar", ".yara", NULL };
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && dot != name && ext[i]; i++)
		if (strcmp(dot, ext[i]) == 0)
			return true;
	return false;
}

static bool
is_container(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && (strcmp(name + n - 4, ".cvd") == 0 || strcmp(name + n - 4, ".cld") == 0);
}

/* The build time a container's header states: "ClamAV-VDB:date:version:sigs:level:
 * md5:dsig:builder:stime", 512 bytes padded; stime is Unix seconds. 0 if not there. */
static time_t
header_stime(const char *path)
{
	char hdr[SIGCHECK_HEADER_LEN + 1], *field, *save = NULL, *end;
	FILE *f = fopen(path, "rb");
	size_t n;
	long long v;
	int i = 0;

	if (f == NULL)
		return 0;
	n = fread(hdr, 1, SIGCHECK_HEADER_LEN, f);
	fclose(f);
	hdr[n] = '\0';
	if (strncmp(hdr, "ClamAV-VDB:", 11) != 0)
		return 0;
	for (field = strtok_r(hdr, ":", &save); field && i < 8; field = strtok_r(NULL, ":", &save))
		i++;
	if (field == NULL)
		return 0;
	v = strtoll(field, &end, 10);
	return end != field && v > 0 ? (time_t)v : 0;
}

int
sigcheck_built(const char *dir, time_t *built)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;

	*built = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && files++ < SIGCHECK_MAX_FILES) {
		char path[4096];
		time_t t;

		if (!is_container(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if ((t = header_stime(path)) > *built)
			*built = t;
	}
	closedir(d);
	return *built ? 0 : -1;
}

int
sigcheck_newest(const char *dir, time_t *newest, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int seen = 0, files = 0;

	*newest = 0;
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL && files++ < SIGCHECK_MAX_FILES) {
		char path[4096];
		struct stat st;

		if (!is_db_file(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		seen++;
		if (st.st_mtime > *newest)
			*newest = st.st_mtime;
	}
	closedir(d);
	if (seen == 0) {
		snprintf(err, errlen, "%s: no signature database (*.cvd, *.cld, *.hdb, ...)", dir);
		return -1;
	}
	return 0;
}

int
sigcheck_main(int argc, char **argv)
{
	const char *dir = SIGCHECK_DB_DEFAULT;
	long max_days = SIGCHECK_MAX_AGE_DAYS_DEFAULT;
	char err[512], *end;
	time_t newest;
	double days;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--max-age-days") == 0 && i + 1 < argc) {
			max_days = strtol(argv[++i], &end, 10);
			if (*end || max_days < 1 || max_days > 365) {
				fprintf(stderr, "sekishoctl sigcheck: --max-age-days は 1〜365 です\n");
				return 2;
			}
		} else {
			fprintf(stderr, "usage: sekishoctl sigcheck [--max-age-days N] [--db DIR]\n");
			return 2;
		}
	}
	if (sigcheck_newest(dir, &newest, err, sizeof err) != 0) {
		fprintf(stderr, "警告: ウイルス定義ファイルがありません: %s\n", err);
		return 1;
	}
	days = difftime(time(NULL), newest) / 86400.0;
	if (days > (double)max_days) {
		fprintf(stderr, "警告: ウイルス定義ファイルが %.1f 日前から更新されていません "
			"(上限 %ld 日、%s)。freshclam の状態を確認してください "
			"(journalctl -u clamav-freshclam)。\n", days, max_days, dir);
		return 1;
	}
	printf("ウイルス定義ファイルは %.1f 日前に更新されています (上限 %ld 日)。\n", days,
	       max_days);
	return 0;
}
