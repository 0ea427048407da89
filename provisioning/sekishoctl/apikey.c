/*
 * apikey.c — `sekishoctl apikey`: make, list and revoke the keys linked systems call
 * the data-linking API with (see office_apikey.h for why only a SHA-256 is kept).
 *
 * The key is printed once, to stdout, and exists nowhere else afterwards: an
 * operator who loses it revokes it and makes another. Making and revoking are in
 * the tenant's audit log, as the operator, in the same transaction as the change.
 */
#include "apikey.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_log.h"
#include "db.h"
#include "jsonio.h"
#include "office_apikey.h"
#include "office_db.h"
#include "tenant.h"

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

static void
operator_actor(char *out, size_t outlen)
{
	const char *u = getenv("SUDO_USER");

	if (u == NULL || *u == '\0')
		u = getenv("USER");
	snprintf(out, outlen, "sekishoctl:%s", u && *u ? u : "operator");
}

static int
usage(void)
{
	fprintf(stderr, "usage: sekishoctl apikey create --tenant T --name NAME --scope read|write"
			" [--department NAME]\n"
			"       sekishoctl apikey list --tenant T [--json]\n"
			"       sekishoctl apikey revoke --tenant T --name NAME\n");
	return 2;
}

int
apikey_main(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ "department", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tenant = NULL, *name = NULL, *scope = NULL, *dept = NULL, *cmd;
	char err[1024], actor[128], key[OFFICE_APIKEY_CHARS + 1];
	char target[OFFICE_APIKEY_NAME_MAX + 8];
	bool as_json = false;
	struct db *db;
	json_t *d;
	int c, rc;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': tenant = optarg; break;
		case 'n': name = optarg; break;
		case 's': scope = optarg; break;
		case 'd': dept = optarg; break;
		case 'j': as_json = true; break;
		default: return usage();
		}
	}
	if (optind != argc || tenant == NULL)
		return usage();
	if (strcmp(cmd, "list") == 0) {
		json_t *keys;
		size_t i;

		if (open_office(in, tenant, DB_READONLY, &db, err, sizeof err) != 0) {
			fprintf(stderr, "sekishoctl apikey list: %s\n", err);
			return 1;
		}
		keys = office_apikey_list(db);
		db_close(db);
		if (keys == NULL) {
			fprintf(stderr, "sekishoctl apikey list: データベースを読めません\n");
			return 1;
		}
		if (as_json) {
			char *text = jsonio_dump(keys);

			printf("%s\n", text ? text : "[]");
			free(text);
		} else {
			printf("%-24s %-6s %-12s %-21s %-21s %s\n", "名前", "範囲", "部署", "作成",
			       "最終利用", "状態");
			json_array_foreach(keys, i, d)
				printf("%-24s %-6s %-12s %-21s %-21s %s\n", jsonio_str(d, "name", ""),
				       jsonio_str(d, "scope", ""), jsonio_str(d, "department", "(全部署)"),
				       jsonio_str(d, "created_at", ""), jsonio_str(d, "last_used_at", "-"),
				       json_is_string(json_object_get(d, "revoked_at")) ? "失効" : "有効");
		}
		json_decref(keys);
		return 0;
	}
	if ((strcmp(cmd, "create") != 0 && strcmp(cmd, "revoke") != 0) || name == NULL ||
	    (strcmp(cmd, "create") == 0 && scope == NULL))
		return usage();
	if (open_office(in, tenant, 0, &db, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl apikey %s: %s\n", cmd, err);
		return 1;
	}
	operator_actor(actor, sizeof actor);
	if (db_begin(db) != 0) {
		fprintf(stderr, "sekishoctl apikey %s: %s\n", cmd, db_errmsg(db));
		db_close(db);
		return 1;
	}
	if (strcmp(cmd, "create") == 0)
		rc = office_apikey_create(db, name, scope, dept, actor, key, err, sizeof err);
	else if ((rc = office_apikey_revoke(db, name, err, sizeof err)) == 1)
		snprintf(err, sizeof err, "有効なキー「%s」はありません", name);
	d = json_pack("{s:s,s:s?,s:s?}", "name", name, "scope", scope, "department", dept);
	snprintf(target, sizeof target, "apikey:%s", name);
	if (rc == 0 && audit_log_append(db, actor, strcmp(cmd, "create") == 0 ? "apikey.create"
					: "apikey.revoke", target, "-", d, time(NULL), err,
					sizeof err) != 0)
		rc = -1;
	json_decref(d);
	if (rc != 0 || db_commit(db) != 0) {
		db_rollback(db);
		db_close(db);
		explicit_bzero(key, sizeof key);
		fprintf(stderr, "sekishoctl apikey %s: %s\n", cmd, err);
		return 1;
	}
	db_close(db);
	if (strcmp(cmd, "revoke") == 0) {
		printf("API キー「%s」を失効させました。このキーでの呼び出しは、これから 401 になります。\n",
		       name);
		return 0;
	}
	printf("API キー「%s」（%s）を作成しました。\n", name,
	       strcmp(scope, "write") == 0 ? "読み取り・書き込み" : "読み取り専用");
	printf("このキーは二度と表示できません。安全な方法で連携先システムに設定してください。\n");
	printf("キー: %s\n", key);
	explicit_bzero(key, sizeof key);
	return 0;
}
