/*
 * audit.c — the auditor's commands.
 *
 * They trust nothing but a public key file: by default the LGWAN zone's copy of the
 * sanitizer's key (what bridge-rx and officed verify with) or the office key for the
 * downlink; --key names another, e.g. one an auditor keeps on their own medium.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "db.h"
#include "delcert.h"
#include "office_db.h"
#include "tenant.h"
#include <dirent.h>
#include "bundle.h"
#include "crypto.h"
#include "jsonio.h"
#include "keyring.h"

/* The key and every key it replaced (keys/retired/, keyring.h): the auditor verifies
 * with all of them at any time, since a retired key still proves what it signed
 * while it was current. */
static int
load_key(const struct instance *in, const char *explicit_path, const char *rel,
	 struct keyring *keys)
{
	char path[PATH_MAX], err[512];

	if (explicit_path)
		snprintf(path, sizeof path, "%s", explicit_path);
	else
		instance_path(in, rel, path, sizeof path);
	if (keyring_load(keys, KEYRING_ED25519, path, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "公開鍵を読み込めません: %s\n", err);
		return -1;
	}
	return 0;
}

static int
verify_attestation(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	const char *key = NULL;
	struct keyring keys;
	char err[512];
	json_t *att;
	int c, fd, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return 2;
		key = optarg;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: sekishoctl audit verify-attestation [--key PUB] "
			"ATTESTATION FILE\n");
		return 2;
	}
	if (load_key(in, key, "lgwan/keys/sanitizer-signing.pub", &keys) != 0)
		return 1;
	if ((att = jsonio_load_file(argv[optind], ATTEST_MAX_BYTES, err, sizeof err)) == NULL) {
		printf("NG 証明書を読み取れません: %s\n", err);
		return 1;
	}
	if ((fd = open(argv[optind + 1], O_RDONLY | O_CLOEXEC)) < 0) {
		printf("NG ファイルを開けません: %s\n", argv[optind + 1]);
		json_decref(att);
		return 1;
	}
	rc = attest_verify_fd_ring(att, &keys, KEYRING_ANY_TIME, fd, err, sizeof err);
	close(fd);
	json_decref(att);
	if (rc != ATTEST_OK) {
		printf("NG 無害化証明と一致しません: %s\n", err);
		return 1;
	}
	printf("OK %s は無害化処理の出力であることを確認しました。\n", argv[optind + 1]);
	return 0;
}

static int
verify_bundle(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' },
					      { "direction", required_argument, NULL, 'd' },
					      { NULL, 0, NULL, 0 } };
	const char *key = NULL, *direction = "uplink";
	struct bundle_check chk = { 0 };
	struct bundle_info info;
	struct keyring keys;
	char err[512];
	int c, fd, rc;
	bool uplink;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 'd')
			direction = optarg;
		else
			return 2;
	}
	uplink = strcmp(direction, "uplink") == 0;
	if (argc - optind != 1 || (!uplink && strcmp(direction, "downlink") != 0)) {
		fprintf(stderr, "usage: sekishoctl audit verify-bundle "
			"[--direction uplink|downlink] [--key PUB] BUNDLE\n");
		return 2;
	}
	if (load_key(in, key, uplink ? "lgwan/keys/sanitizer-signing.pub"
				     : "dmz/keys/office-signing.pub", &keys) != 0)
		return 1;
	chk.signer_ring = &keys;
	chk.attest_ring = uplink ? &keys : NULL;
	chk.now = KEYRING_ANY_TIME;
	bundle_limits_default(&chk.limits);
	if ((fd = open(argv[optind], O_RDONLY | O_CLOEXEC)) < 0) {
		printf("NG バンドルを開けません: %s\n", argv[optind]);
		return 1;
	}
	rc = bundle_verify_fd(fd, &chk, &info, err, sizeof err);
	close(fd);
	if (rc != BUNDLE_OK) {
		printf("NG %s: %s (%s)\n", argv[optind], bundle_strerror(rc), err);
		return 1;
	}
	printf("OK バンドル %s (自治体 %s, 種別 %s): 署名・全メンバー%s を確認しました。\n",
	       info.id, info.tenant, info.kind, uplink ? "・無害化証明" : "");
	bundle_info_free(&info);
	return 0;
}

/* One tenant's stored applications and applicants' replies (office_replies.h): each
 * bundle file exists, has the hash recorded at import, and still verifies (signature
 * and every attestation). */
void
audit_verify_tenant_store(const struct instance *in, const char *name,
			  const struct keyring *keys, unsigned *checked, unsigned *bad)
{
	char dir[PATH_MAX], path[PATH_MAX], err[512];
	struct db *db;
	sqlite3_stmt *st;

	instance_path(in, "lgwan/db", dir, sizeof dir);
	if (tenant_db_path(dir, name, path, sizeof path) != 0 ||
	    db_open(&db, path, DB_READONLY, office_db_migrations, office_db_nmigrations,
		    err, sizeof err) != 0) {
		printf("NG 自治体 %s のデータベースを開けません: %s\n", name, err);
		(*bad)++;
		return;
	}
	st = db_stmt(db, "SELECT bundle_id, bundle_path, bundle_sha256 FROM applications"
			 " UNION ALL SELECT bundle_id, bundle_path, bundle_sha256 FROM"
			 " application_replies");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *bpath = (const char *)sqlite3_column_text(st, 1);
		const char *want = (const char *)sqlite3_column_text(st, 2);
		struct bundle_check chk = { .signer_ring = keys, .attest_ring = keys,
					    .now = KEYRING_ANY_TIME };
		struct bundle_info info;
		uint8_t sha[32];
		char hex[65];
		int fd, rc;

		(*checked)++;
		bundle_limits_default(&chk.limits);
		if ((fd = open(bpath, O_RDONLY | O_CLOEXEC)) < 0 || crypto_sha256_fd(fd, sha) != 0) {
			printf("NG %s/%s: 保存されたバンドルを読めません (%s)\n", name, id, bpath);
			(*bad)++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		crypto_hex(sha, 32, hex);
		if (strcmp(hex, want) != 0) {
			printf("NG %s/%s: 取り込み時のハッシュと一致しません (改ざんの可能性)\n", name, id);
			(*bad)++;
			close(fd);
			continue;
		}
		lseek(fd, 0, SEEK_SET);
		rc = bundle_verify_fd(fd, &chk, &info, err, sizeof err);
		close(fd);
		if (rc != BUNDLE_OK) {
			printf("NG %s/%s: %s (%s)\n", name, id, bundle_strerror(rc), err);
			(*bad)++;
			continue;
		}
		printf("OK %s/%s: 署名・%zu 件の無害化証明を確認\n", name, id,
		       json_array_size(json_object_get(info.manifest, "files")));
		bundle_info_free(&info);
	}
	if (st)
		sqlite3_reset(st);
	db_close(db);
}

/* Every stored application of every tenant, re-verified: the auditor's report. */
static int
verify_store(const struct instance *in, int argc, char **argv)
{
	char dir[PATH_MAX];
	unsigned checked = 0, bad = 0;
	struct keyring keys;
	struct dirent *e;
	DIR *d;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sekishoctl audit verify-store\n");
		return 2;
	}
	if (load_key(in, NULL, "lgwan/keys/sanitizer-signing.pub", &keys) != 0)
		return 1;
	instance_path(in, "lgwan/db", dir, sizeof dir);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char name[TENANT_NAME_MAX + 8];

		if (len <= 7 || strcmp(e->d_name + len - 7, ".sqlite") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - 7), e->d_name);
		audit_verify_tenant_store(in, name, &keys, &checked, &bad);
	}
	closedir(d);
	printf("%u 件の申請を再検証しました。不一致 %u 件。\n", checked, bad);
	return bad ? 1 : 0;
}

/* verify-certificate [--key PUB] FILE: a deletion certificate (delcert.h) against its
 * .sig, by default with the office key of whichever zone this host holds. */
static int
verify_certificate(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	const char *key = NULL, *rel = "lgwan/keys/office-signing.pub";
	char path[PATH_MAX], err[1024] = "";
	struct keyring keys;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return 2;
		key = optarg;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: sekishoctl audit verify-certificate [--key PUB] FILE\n");
		return 2;
	}
	instance_path(in, rel, path, sizeof path);
	if (key == NULL && access(path, F_OK) != 0)
		rel = "dmz/keys/office-signing.pub";
	if (load_key(in, key, rel, &keys) != 0)
		return 1;
	/* A certificate made before an office-key rotation is signed by a retired
	 * key: any key of the ring that verifies it will do, the current one first. */
	for (size_t i = 0; i < keys.n; i++) {
		if (delcert_verify(argv[optind], keys.k[i].key, err, sizeof err) == 0) {
			printf("OK 削除証明書の署名を確認しました: %s (鍵 %s)\n", argv[optind],
			       keys.k[i].id);
			return 0;
		}
	}
	printf("NG 削除証明書を確認できません: %s\n", err);
	return 1;
}

int
audit_main(const struct instance *in, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify_main(in, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify-store") == 0)
		return verify_store(in, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify-attestation") == 0)
		return verify_attestation(in, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify-bundle") == 0)
		return verify_bundle(in, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify-certificate") == 0)
		return verify_certificate(in, argc - 1, argv + 1);
	fprintf(stderr, "usage: sekishoctl audit verify-attestation|verify-bundle|"
		"verify-certificate ...\n");
	return 2;
}
