/*
 * auditreport.c — `sekishoctl audit verify --tenant T`: the report an auditor files.
 *
 * It checks, with nothing but the tenant's database, the stored bundles and the
 * sanitizer's public key, the two halves of the auditor's invariant:
 *  1. the audit log is complete and untampered (its hash chain, audit_log_verify,
 *     as `audit verify-log` checks it);
 *  2. every stored application still is the signed bundle that was imported
 *     (audit_verify_tenant_store, as `audit verify-store` checks it), and every
 *     attachment officed serves is exactly the output its attestation, as stored at
 *     import, names: the signature verifies with the sanitizer's key, and the member
 *     read from the stored bundle has the attested SHA-256 and size.
 * Each item is one line with OK or NG; the exit status is 1 if any is NG. It
 * opens the database read-only, so it can run beside officed at any time.
 */
#include "audit.h"

#include <archive.h>
#include <archive_entry.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "audit_log.h"
#include "crypto.h"
#include "db.h"
#include "jsonio.h"
#include "office_db.h"
#include "tenant.h"
#include "timefmt.h"

#define ATTACHMENTS_PER_APP_MAX 64	/* bundle.h: members of one bundle */

struct attachment {
	char member[128];
	uint8_t want[CRYPTO_SHA256_LEN];
	long long want_size;
	bool attested;			/* signature verified, want/want_size set */
	bool seen, ok;
	char why[300];
};

/* Hash the members of the stored bundle that atts name and compare. */
static void
check_members(const char *bundle_path, struct attachment *atts, size_t n)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	char buf[64 * 1024];

	if (ar == NULL)
		return;
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, bundle_path, sizeof buf) != ARCHIVE_OK) {
		archive_read_free(ar);
		return;
	}
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		struct crypto_sha256_ctx *h;
		uint8_t sum[CRYPTO_SHA256_LEN];
		long long size = 0;
		la_ssize_t got;
		size_t i;

		for (i = 0; i < n; i++)
			if (!atts[i].seen && strcmp(atts[i].member, archive_entry_pathname(e)) == 0)
				break;
		if (i == n)
			continue;
		atts[i].seen = true;
		if (!atts[i].attested || (h = crypto_sha256_begin()) == NULL)
			continue;
		while ((got = archive_read_data(ar, buf, sizeof buf)) > 0) {
			crypto_sha256_update(h, buf, (size_t)got);
			size += got;
		}
		crypto_sha256_end(h, sum);
		if (got < 0)
			snprintf(atts[i].why, sizeof atts[i].why, "保存されたバンドルから読めません");
		else if (size != atts[i].want_size || !crypto_memeq(sum, atts[i].want, sizeof sum))
			snprintf(atts[i].why, sizeof atts[i].why,
				 "保存されたファイルが無害化証明の出力と一致しません（改ざんの可能性）");
		else
			atts[i].ok = true;
	}
	archive_read_free(ar);
}

/* Every attachment of every application: one line each. */
static void
verify_attachments(struct db *db, const struct keyring *keys, unsigned *checked,
		   unsigned *bad)
{
	sqlite3_stmt *apps = db_stmt(db, "SELECT id, coalesce(receipt_no, bundle_id), bundle_path"
					 " FROM applications ORDER BY id");
	struct attachment *atts = calloc(ATTACHMENTS_PER_APP_MAX, sizeof *atts);

	while (apps && atts && sqlite3_step(apps) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(apps, 0);
		char receipt[64], path[PATH_MAX];
		sqlite3_stmt *st;
		size_t n = 0;

		snprintf(receipt, sizeof receipt, "%s", sqlite3_column_text(apps, 1));
		snprintf(path, sizeof path, "%s", sqlite3_column_text(apps, 2));
		/* A second statement while the first is stepping: db_stmt caches by text,
		 * and this one is different. */
		st = db_stmt(db, "SELECT member, attestation FROM attachments"
				 " WHERE application_id = ?1 ORDER BY id");
		if (st == NULL)
			break;
		sqlite3_bind_int64(st, 1, id);
		while (n < ATTACHMENTS_PER_APP_MAX && sqlite3_step(st) == SQLITE_ROW) {
			struct attachment *a = &atts[n++];
			const char *text = (const char *)sqlite3_column_text(st, 1);
			char err[256];
			json_t *att;

			memset(a, 0, sizeof *a);
			snprintf(a->member, sizeof a->member, "%s", sqlite3_column_text(st, 0));
			att = jsonio_parse(text, strlen(text), ATTEST_MAX_BYTES, JSONIO_MAX_DEPTH,
					   err, sizeof err);
			if (att == NULL) {
				snprintf(a->why, sizeof a->why, "保存された無害化証明を読めません");
				continue;
			}
			if (attest_verify_ring(att, keys, KEYRING_ANY_TIME, a->want, err,
					       sizeof err) != ATTEST_OK) {
				snprintf(a->why, sizeof a->why, "無害化証明の署名を確認できません (%s)",
					 err);
			} else {
				const json_t *out = json_object_get(json_object_get(att, "attestation"),
								    "output");

				a->attested = jsonio_int(out, "size", 0, 1LL << 40, &a->want_size) == 0;
				if (!a->attested)
					snprintf(a->why, sizeof a->why, "無害化証明に出力の大きさがありません");
			}
			json_decref(att);
		}
		sqlite3_reset(st);
		check_members(path, atts, n);
		for (size_t i = 0; i < n; i++) {
			(*checked)++;
			if (atts[i].ok) {
				printf("  OK %s %s: 無害化証明の署名と出力ハッシュ・大きさが一致\n", receipt,
				       atts[i].member);
				continue;
			}
			(*bad)++;
			printf("  NG %s %s: %s\n", receipt, atts[i].member,
			       atts[i].why[0] ? atts[i].why
				: !atts[i].seen ? "保存されたバンドルにファイルがありません"
				: "確認できません");
		}
	}
	if (apps)
		sqlite3_reset(apps);
	free(atts);
}

int
audit_verify_main(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "anchor", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tenant = NULL, *keypath = NULL;
	char dir[PATH_MAX], path[PATH_MAX], err[1024], now[TIMEFMT_LEN], fp[65];
	char anchor_hash[AUDIT_HASH_HEX + 1] = "";
	long long anchor_seq = 0;
	struct audit_verify_report *r;
	unsigned apps = 0, apps_bad = 0, files = 0, files_bad = 0;
	uint8_t h[32];
	struct keyring keys;
	struct db *db;
	int c, logrc, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't') {
			tenant = optarg;
		} else if (c == 'k') {
			keypath = optarg;
		} else if (c == 'a' && sscanf(optarg, "%lld:%64s", &anchor_seq, anchor_hash) == 2 &&
			   anchor_seq > 0 && strlen(anchor_hash) == AUDIT_HASH_HEX) {
			continue;
		} else {
			c = '?';
			break;
		}
	}
	if (c == '?' || optind != argc || tenant == NULL) {
		fprintf(stderr, "usage: sekishoctl audit verify --tenant T [--anchor SEQ:HASH]"
				" [--key PUB]\n");
		return 2;
	}
	if (keypath)
		snprintf(path, sizeof path, "%s", keypath);
	else
		instance_path(in, "lgwan/keys/sanitizer-signing.pub", path, sizeof path);
	/* Every key the sanitizer ever had: a years-old attachment was attested with the
	 * key of its day (keyring.h). */
	if ((rc = keyring_load(&keys, KEYRING_ED25519, path, NULL, err, sizeof err)) != 0) {
		printf("NG 無害化の公開鍵を読み込めません: %s\n", err);
		return 1;
	}
	crypto_sha256(keys.k[0].key, 32, h);
	crypto_hex(h, 32, fp);
	instance_path(in, "lgwan/db", dir, sizeof dir);
	if (tenant_db_path(dir, tenant, path, sizeof path) != 0 || access(path, F_OK) != 0 ||
	    db_open(&db, path, DB_READONLY, office_db_migrations, office_db_nmigrations, err,
		    sizeof err) != 0) {
		printf("NG 自治体 %s のデータベースを開けません\n", tenant);
		return 1;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		db_close(db);
		return 1;
	}
	timefmt_jst_text(time(NULL), now);
	printf("監査検証報告書\n");
	printf("  自治体:         %s\n", tenant);
	printf("  検証日時:       %s\n", now);
	printf("  無害化の公開鍵: %s\n", keypath ? keypath : "lgwan/keys/sanitizer-signing.pub");
	printf("  公開鍵の指紋:   SHA-256 %s\n", fp);
	printf("  鍵 ID:          %s（現行）", keys.k[0].id);
	for (size_t i = 1; i < keys.n; i++)
		printf("、%s（退役済み）", keys.k[i].id);
	printf("\n\n");

	printf("1. 監査ログ（ハッシュチェーン）\n");
	logrc = audit_log_verify(db, anchor_seq, anchor_seq ? anchor_hash : NULL, r, err,
				 sizeof err);
	printf("  記録件数: %lld 件\n", (long long)r->rows);
	if (anchor_seq)
		printf("  照合した控え: 記録 %lld  %s\n", anchor_seq, anchor_hash);
	if (logrc < 0) {
		printf("  NG 監査ログを読み取れません (%s)\n", err);
	} else if (logrc == 0) {
		printf("  OK 改ざん・削除は検出されませんでした\n");
	} else {
		printf("  NG %zu 件の問題を検出しました\n", r->nproblems);
		for (size_t i = 0; i < r->nproblems && i < AUDIT_MAX_PROBLEMS; i++)
			printf("    - 記録 %lld: %s\n", (long long)r->problems[i].seq,
			       r->problems[i].what);
	}
	printf("  最終記録: %lld  最終ハッシュ: %s\n\n", (long long)r->head_seq,
	       r->head_hash[0] ? r->head_hash : "-");

	printf("2. 保存された申請（バンドルの署名・取り込み時のハッシュ・全無害化証明）\n");
	/* verify-store's check, tenant by tenant, prints its own OK/NG lines. */
	fflush(stdout);
	audit_verify_tenant_store(in, tenant, &keys, &apps, &apps_bad);
	printf("\n3. 添付ファイル（保存時の無害化証明との照合）\n");
	verify_attachments(db, &keys, &files, &files_bad);
	db_close(db);

	printf("\n結果の要約\n");
	printf("  監査ログ:       %s（%lld 件）\n", logrc == 0 ? "OK" : "NG", (long long)r->rows);
	printf("  保存された申請: %s（%u 件中 NG %u 件）\n", apps_bad ? "NG" : "OK", apps, apps_bad);
	printf("  添付ファイル:   %s（%u 件中 NG %u 件）\n", files_bad ? "NG" : "OK", files,
	       files_bad);
	rc = logrc == 0 && apps_bad == 0 && files_bad == 0 ? 0 : 1;
	printf("  総合判定:       %s\n", rc == 0 ? "OK すべての項目を確認できました"
					       : "NG 確認できない項目があります（上記の NG の行）");
	printf("  （最終記録の番号とハッシュを控えておくと、次回 --anchor %lld:%s で末尾の削除も"
	       "検出できます。）\n", (long long)r->head_seq, r->head_hash[0] ? r->head_hash : "-");
	free(r);
	return rc;
}
