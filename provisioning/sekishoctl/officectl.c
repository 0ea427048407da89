/*
 * officectl.c — staff CSV and audit-log commands (see officectl.h).
 *
 * They open the tenant's database directly, beside a running officed: SQLite's
 * locking serialises the writes, and the audit log's append reads the chain's end
 * inside its write transaction, so the chain stays one chain.
 */
#include "officectl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_log.h"
#include "csvio.h"
#include "db.h"
#include "fsio.h"
#include "office_db.h"
#include "staff_csv.h"
#include "tenant.h"
#include "timefmt.h"

static int
open_office(const struct instance *in, const char *tenant, unsigned flags, struct db **db,
	    char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];

	instance_path(in, "lgwan/db", dir, sizeof dir);
	if (tenant_db_path(dir, tenant, path, sizeof path) != 0 || access(path, F_OK) != 0) {
		snprintf(err, errlen, "自治体 %s はありません (no such tenant in %s)", tenant,
			 in->root);
		return -1;
	}
	return db_open(db, path, flags, office_db_migrations, office_db_nmigrations, err, errlen);
}

static char *
slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL) {
		snprintf(err, errlen, "%s を開けません: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > CSVIO_MAX_BYTES ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errlen, "%s: 読めないか、大きすぎます (上限 %d バイト)", path,
			 CSVIO_MAX_BYTES);
		return NULL;
	}
	if ((buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		snprintf(err, errlen, "%s: 読み込めません", path);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static const char *
operator_name(void)
{
	const char *u = getenv("SUDO_USER");

	if (u == NULL || *u == '\0')
		u = getenv("USER");
	return u && *u ? u : "operator";
}

/* The setup codes, once, to a new file only the operator can read. */
static int
write_codes(const char *path, const json_t *accounts, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	json_t *a;
	int rc;

	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s は既にあります。上書きしません", path);
		return -1;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	fputs("\xEF\xBB\xBF", f);
	csvio_write_field(f, "login", false, false);
	csvio_write_field(f, "display_name", false, false);
	csvio_write_field(f, "setup_code", false, false);
	csvio_write_field(f, "setup_expires_at", true, false);
	json_array_foreach(accounts, i, a) {
		csvio_write_field(f, json_string_value(json_object_get(a, "login")), false, true);
		csvio_write_field(f, json_string_value(json_object_get(a, "display_name")), false,
				  true);
		csvio_write_field(f, json_string_value(json_object_get(a, "setup_code")), false,
				  false);
		csvio_write_field(f, json_string_value(json_object_get(a, "setup_expires_at")),
				  true, false);
	}
	fclose(f);
	rc = fsio_write_atomic(path, buf, len, 0600);
	explicit_bzero(buf, len);
	free(buf);
	if (rc != 0)
		snprintf(err, errlen, "%s に書き込めません", path);
	return rc == 0 ? 0 : -1;
}

static int
staff_import(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "codes", required_argument, NULL, 'c' },
					      { NULL, 0, NULL, 0 } };
	const char *codes = NULL;
	char err[1024], actor[128];
	struct staff_csv_result res;
	struct timespec t0, t1;
	struct db *db;
	size_t len, i;
	char *buf;
	json_t *e;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'c')
			return 2;
		codes = optarg;
	}
	if (argc - optind != 2 || codes == NULL) {
		fprintf(stderr, "usage: sekishoctl staff import TENANT FILE.csv --codes OUT.csv\n");
		return 2;
	}
	if ((buf = slurp(argv[optind + 1], &len, err, sizeof err)) == NULL) {
		fprintf(stderr, "sekishoctl staff import: %s\n", err);
		return 1;
	}
	if (access(codes, F_OK) == 0) {
		fprintf(stderr, "sekishoctl staff import: %s は既にあります。設定コードの出力先には"
			"新しいファイル名を指定してください\n", codes);
		free(buf);
		return 1;
	}
	if (open_office(in, argv[optind], 0, &db, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl staff import: %s\n", err);
		free(buf);
		return 1;
	}
	snprintf(actor, sizeof actor, "sekishoctl:%s", operator_name());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = staff_csv_import(db, buf, len, time(NULL), 14 * 86400, actor, "console", &res, err,
			      sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(buf);
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "sekishoctl staff import: %s\n", err);
		staff_csv_result_free(&res);
		return 1;
	}
	if (rc == 1) {
		printf("取り込みませんでした。%zu 件の誤りがあります（文字コード: %s）。\n"
		       "誤りをすべて直してから、もう一度実行してください。\n",
		       res.nerrors, csvio_encoding_name(res.encoding));
		json_array_foreach(res.errors, i, e) {
			const char *col = json_string_value(json_object_get(e, "column"));

			printf("  %lld 行目%s%s%s: %s\n",
			       (long long)json_integer_value(json_object_get(e, "row")),
			       col[0] ? "「" : "", col, col[0] ? "」列" : "",
			       json_string_value(json_object_get(e, "reason")));
		}
		if (res.nerrors > json_array_size(res.errors))
			printf("  （ほか %zu 件）\n", res.nerrors - json_array_size(res.errors));
		staff_csv_result_free(&res);
		return 1;
	}
	if (write_codes(codes, res.accounts, err, sizeof err) != 0) {
		/* The accounts exist; without the codes they need `staff passwd`. */
		fprintf(stderr, "sekishoctl staff import: 取り込みは完了しましたが、設定コードを保存"
			"できませんでした: %s\n各職員には sekishoctl staff passwd で"
			"パスワードを発行してください\n", err);
		staff_csv_result_free(&res);
		return 1;
	}
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%zu 件の職員アカウントを取り込みました（部署の新規作成 %zu 件、文字コード %s、"
	       "%.2f 秒）。\n設定コードを %s に保存しました（このファイルは今回だけ作られます。"
	       "配布後は削除してください）。\n", res.created, res.departments_created,
	       csvio_encoding_name(res.encoding), s, codes);
	staff_csv_result_free(&res);
	return 0;
}

static int
staff_export(const struct instance *in, int argc, char **argv)
{
	char err[1024], actor[128];
	struct db *db;
	FILE *out = stdout;
	long n;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: sekishoctl staff export TENANT [OUT.csv]\n");
		return 2;
	}
	if (open_office(in, argv[2], 0, &db, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl staff export: %s\n", err);
		return 1;
	}
	if (argc == 4 && (out = fopen(argv[3], "wx")) == NULL) {
		fprintf(stderr, "sekishoctl staff export: %s: %s\n", argv[3], strerror(errno));
		db_close(db);
		return 1;
	}
	n = staff_csv_export(db, out, err, sizeof err);
	if (out != stdout && fclose(out) != 0)
		n = -1;
	if (n >= 0) {
		json_t *d = json_pack("{s:I}", "accounts", (json_int_t)n);

		snprintf(actor, sizeof actor, "sekishoctl:%s", operator_name());
		audit_log_append(db, actor, "staff.export", "staff", "console", d, time(NULL), err,
				 sizeof err);
		json_decref(d);
	}
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "sekishoctl staff export: %s\n", err);
		return 1;
	}
	if (out != stdout)
		fprintf(stderr, "%ld 件を %s に書き出しました。\n", n, argv[3]);
	return 0;
}

int
officectl_staff_main(const struct instance *in, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return staff_import(in, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return staff_export(in, argc, argv);
	return 2;
}

int
officectl_verify_log_main(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "anchor", required_argument, NULL, 'a' },
					      { NULL, 0, NULL, 0 } };
	struct audit_verify_report *r;
	long long anchor_seq = 0;
	char anchor_hash[AUDIT_HASH_HEX + 1] = "", err[1024], now[TIMEFMT_LEN];
	struct db *db;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'a' || sscanf(optarg, "%lld:%64s", &anchor_seq, anchor_hash) != 2 ||
		    anchor_seq <= 0 || strlen(anchor_hash) != AUDIT_HASH_HEX) {
			fprintf(stderr, "sekishoctl audit verify-log: --anchor は 記録番号:ハッシュ "
				"(例 1200:ab12...) で指定してください\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: sekishoctl audit verify-log TENANT [--anchor SEQ:HASH]\n");
		return 2;
	}
	if (open_office(in, argv[optind], DB_READONLY, &db, err, sizeof err) != 0) {
		printf("NG 監査ログを開けません: %s\n", err);
		return 1;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		db_close(db);
		return 1;
	}
	rc = audit_log_verify(db, anchor_seq, anchor_seq ? anchor_hash : NULL, r, err, sizeof err);
	db_close(db);
	timefmt_jst_text(time(NULL), now);
	printf("監査ログ検証報告書\n");
	printf("  自治体:       %s\n  検証日時:     %s\n  記録件数:     %lld 件\n",
	       argv[optind], now, (long long)r->rows);
	if (rc < 0) {
		printf("  結果:         NG 監査ログを読み取れません (%s)\n", err);
		free(r);
		return 1;
	}
	if (anchor_seq)
		printf("  照合した控え: 記録 %lld  %s\n", anchor_seq, anchor_hash);
	if (rc == 0) {
		printf("  結果:         OK 改ざん・削除は検出されませんでした。\n");
	} else {
		printf("  結果:         NG %zu 件の問題を検出しました。\n", r->nproblems);
		for (size_t i = 0; i < r->nproblems && i < AUDIT_MAX_PROBLEMS; i++)
			printf("    - 記録 %lld: %s\n", (long long)r->problems[i].seq,
			       r->problems[i].what);
		if (r->nproblems > AUDIT_MAX_PROBLEMS)
			printf("    （ほか %zu 件）\n", r->nproblems - AUDIT_MAX_PROBLEMS);
	}
	printf("  最終記録:     %lld\n  最終ハッシュ: %s\n", (long long)r->head_seq,
	       r->head_hash[0] ? r->head_hash : "-");
	printf("  （最終記録の番号とハッシュを控えておくと、次回 --anchor %lld:%s で"
	       "末尾の削除も検出できます。）\n", (long long)r->head_seq,
	       r->head_hash[0] ? r->head_hash : "-");
	free(r);
	return rc == 0 ? 0 : 1;
}
