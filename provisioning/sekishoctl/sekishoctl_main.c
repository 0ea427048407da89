/*
 * sekishoctl_main.c — the operator's and developer's command for a Sekisho instance.
 *
 *   sekishoctl [--instance DIR] init [--dev] [--tls] [options] [DIR]
 *   sekishoctl [--instance DIR] init --role dmz|lgwan|all-in-one [options] [DIR]
 *   sekishoctl [--instance DIR] keys export-for dmz|lgwan FILE | keys import FILE
 *   sekishoctl [--instance DIR] keys docsign-import CERT KEY
 *   sekishoctl [--instance DIR] run
 *   sekishoctl [--instance DIR] status [--json]
 *   sekishoctl [--instance DIR] tenant add NAME | tenant list | tenant remove NAME
 *   sekishoctl [--instance DIR] staff add TENANT LOGIN ROLE [NAME] | staff passwd TENANT LOGIN
 *   sekishoctl [--instance DIR] staff import TENANT FILE.csv --codes OUT.csv | staff export TENANT
 *   sekishoctl [--instance DIR] audit verify-log TENANT [--anchor SEQ:HASH]
 *
 * The instance is found the same way for every command (instance.h), so operators on
 * the appliance and developers in a checkout type the same thing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apikey.h"
#include "audit.h"
#include "backup.h"
#include "confgen.h"
#include "certs.h"
#include "instance.h"
#include "jsonio.h"
#include "keybundle.h"
#include "keyrotate.h"
#include "keys.h"
#include "log.h"
#include "office_db.h"
#include "officectl.h"
#include "postalctl.h"
#include "publish.h"
#include "roles.h"
#include "sanitize.h"
#include "sigcheck.h"
#include "status.h"
#include "supervise.h"
#include "tenants.h"
#include "version.h"

#define PASSWORD_BUF 64

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sekishoctl [--instance DIR] COMMAND ...\n"
		"\n"
		"  init [--dev] [--tls] [--bind HOST] [--internet-port N] [--lgwan-port N]\n"
		"       [--uplink-port N] [--downlink-port N] [DIR]\n"
		"                         create an instance: directories, keys, configuration,\n"
		"                         the 'demo' tenant and its administrator (dev)\n"
		"  init --role dmz|lgwan|all-in-one [--peer ADDR] [--tenant NAME]\n"
		"       [--tls-cert PEM --tls-key PEM] [--hostname NAME] [--internet-bind ADDR]\n"
		"       [--lgwan-bind ADDR] [--system-root DIR] [DIR]\n"
		"                         provision this host for its role (production)\n"
		"  keys export-for dmz|lgwan FILE\n"
		"                         the keys the other host needs, as a bundle (0600)\n"
		"  keys import [--expect FINGERPRINT] [--dev] FILE\n"
		"                         install the other host's bundle\n"
		"  keys rotate KEY [--overlap DAYS] [--out FILE]\n"
		"                         replace sanitizer-signing, office-signing, dmz-receipt,\n"
		"                         uplink-link or downlink-link; the old key stays\n"
		"                         accepted DAYS (14)\n"
		"  keys import-rotation [--expect FINGERPRINT] FILE\n"
		"                         apply the other host's rotation\n"
		"  keys list              key ids, kinds, retired keys and their overlap ends\n"
		"  keys docsign-import CERT.pem KEY.pem [--dev]\n"
		"                         the municipality's document-signing certificate for\n"
		"                         issued documents (LGWAN side)\n"
		"  backup [--zone dmz|lgwan] [--keep N]\n"
		"                         online backup of every tenant database (7 generations)\n"
		"  restore [--zone dmz|lgwan] GENERATION\n"
		"                         put a backup generation back (stop the zone's daemon)\n"
		"  import-postal FILE | --packaged\n"
		"                         Japan Post's KEN_ALL (CP932, UTF-8 or zip) into the\n"
		"                         portal's postal-code look-up (dmz/postal)\n"
		"  sigcheck [--max-age-days N] [--db DIR]\n"
		"                         warn when the ClamAV signatures are older than N days\n"
		"  run                    run every process in the foreground until Ctrl-C\n"
		"  status [--json] [--disk-warn-percent N] [--queue-max-age-s N]\n"
		"         [--sig-max-age-days N]\n"
		"                         daemons, links, queues, signatures, disk space;\n"
		"                         exit 0 ok, 1 warnings, 2 failures\n"
		"  tenant add NAME        add a tenant (municipality)\n"
		"  tenant list\n"
		"  tenant remove NAME [--confirm NAME [--operator PERSON]]\n"
		"                         list every file of the tenant; with --confirm, delete them\n"
		"                         and write a deletion certificate (削除証明書)\n"
		"  staff add TENANT LOGIN ROLE [DISPLAY_NAME]\n"
		"                         add a staff account (ROLE: admin, clerk, auditor)\n"
		"  staff passwd TENANT LOGIN\n"
		"                         give an account a new one-time password\n"
		"  staff import TENANT FILE.csv --codes OUT.csv\n"
		"                         import staff accounts and departments from CSV\n"
		"                         (UTF-8 or Shift_JIS); setup codes go to OUT.csv\n"
		"  staff export TENANT [OUT.csv]  every staff account as CSV\n"
		"  bridge status [--json]  counters of both links' senders and receivers\n"
		"  audit verify-attestation [--key PUB] ATTESTATION FILE\n"
		"  audit verify-bundle [--direction uplink|downlink] [--key PUB] BUNDLE\n"
		"  audit verify-store       re-verify every application stored in LGWAN\n"
		"  audit verify-log TENANT [--anchor SEQ:HASH]  check the audit log's hash chain\n"
		"                         re-verify sanitizer attestations and bundle signatures\n"
		"  audit verify --tenant T [--anchor SEQ:HASH]\n"
		"                         the auditor's report: audit log, stored applications and\n"
		"                         every attachment against its attestation (OK/NG)\n"
		"  audit verify-certificate [--key PUB] FILE\n"
		"                         check a deletion certificate's signature (OK/NG)\n"
		"  apikey create --tenant T --name NAME --scope read|write [--department D]\n"
		"                         a data-linking API key (printed once, only its hash kept)\n"
		"  apikey list --tenant T [--json] | apikey revoke --tenant T --name NAME\n"
		"  catalogue publish TENANT DEFINITION.json...\n"
		"                         sign procedure definitions onto the downlink\n"
		"  sanitize [--dpi N] [--db DIR] [--key PRIV] IN OUT  sanitize one file (JSON)\n"
		"\n"
		"The instance is --instance DIR, else $SEKISHO_INSTANCE, else ./var if it exists,\n"
		"else %s.\n", INSTANCE_DEFAULT_ROOT);
}

static int
parse_port(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

static int
make_dirs(const struct instance *in, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (mkdir(in->root, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", in->root, strerror(errno));
		return -1;
	}
	for (size_t i = 0; instance_dirs[i]; i++) {
		/* keys/ can be traversed by the services but not listed; each key file has
		 * its own owner and mode. */
		mode_t mode = strstr(instance_dirs[i], "keys") ? 0711 : 0750;

		instance_path(in, instance_dirs[i], path, sizeof path);
		if (mkdir(path, mode) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
cmd_init(struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", no_argument, NULL, 'd' },
		{ "tls", no_argument, NULL, 't' },
		{ "bind", required_argument, NULL, 'b' },
		{ "internet-port", required_argument, NULL, 'i' },
		{ "lgwan-port", required_argument, NULL, 'l' },
		{ "uplink-port", required_argument, NULL, 'u' },
		{ "downlink-port", required_argument, NULL, 'w' },
		{ "role", required_argument, NULL, 'r' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "peer", required_argument, NULL, 'p' },
		{ "tenant", required_argument, NULL, 'T' },
		{ "internet-bind", required_argument, NULL, 'I' },
		{ "lgwan-bind", required_argument, NULL, 'L' },
		{ "system-root", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct role_options ro = { .system_root = NULL };
	bool role = false;
	struct instance_options o = {
		.internet_port = 8080, .lgwan_port = 8090,
		.uplink_port = 9510, .downlink_port = 9511,
	};
	char err[1024] = "", path[PATH_MAX], password[PASSWORD_BUF];
	long *port;
	int c;

	snprintf(o.bind_host, sizeof o.bind_host, "127.0.0.1");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dev = true; break;
		case 't': o.tls = true; break;
		case 'b': snprintf(o.bind_host, sizeof o.bind_host, "%s", optarg); break;
		case 'r':
			if (roles_parse(optarg, &ro.role) != 0) {
				fprintf(stderr, "sekishoctl init: '%s' は役割ではありません "
					"(dmz, lgwan, all-in-one)\n", optarg);
				return 2;
			}
			role = true;
			break;
		case 'C': ro.tls_cert = optarg; break;
		case 'K': ro.tls_key = optarg; break;
		case 'H': ro.hostname = optarg; break;
		case 'p': ro.peer = optarg; break;
		case 'T': ro.tenant = optarg; break;
		case 'I': ro.internet_bind = optarg; break;
		case 'L': ro.lgwan_bind = optarg; break;
		case 'R': ro.system_root = optarg; break;
		case 'i': case 'l': case 'u': case 'w':
			port = c == 'i' ? &o.internet_port : c == 'l' ? &o.lgwan_port
			     : c == 'u' ? &o.uplink_port : &o.downlink_port;
			if (parse_port(optarg, port) != 0) {
				fprintf(stderr, "sekishoctl init: '%s' はポート番号ではありません "
					"(1〜65535)\n", optarg);
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && instance_locate(in, argv[optind++], err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl init: %s\n", err);
		return 1;
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (role && !o.dev) {
		if (roles_init(in, &ro, password, sizeof password, err, sizeof err) != 0) {
			fprintf(stderr, "sekishoctl init: %s\n", err);
			explicit_bzero(password, sizeof password);
			return 1;
		}
		roles_print_next_steps(stdout, in, &ro, password);
		explicit_bzero(password, sizeof password);
		return 0;
	}
	if (!o.dev) {
		fprintf(stderr, "sekishoctl init: --role dmz|lgwan|all-in-one (本番) か --dev "
			"(開発用) を指定してください (a role or --dev is required)\n");
		return 2;
	}
	instance_path(in, "etc/instance.conf", path, sizeof path);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "sekishoctl init: %s には既にインスタンスがあります "
			"(instance exists; keys are never overwritten)\n", in->root);
		return 1;
	}
	if (make_dirs(in, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl init: %s\n", err);
		return 1;
	}
	/* Now that it exists, give the root its canonical name ("./var" -> /abs/var)
	 * before it is written into every configuration file. */
	if (realpath(in->root, path) != NULL)
		snprintf(in->root, sizeof in->root, "%s", path);
	if (keys_create_all(in, o.dev, err, sizeof err) != 0 ||
	    confgen_write_all(in, &o, err, sizeof err) != 0 ||
	    tenants_create(in, "demo", err, sizeof err) != 0 ||
	    tenants_add_staff(in, "demo", "admin", OFFICE_ROLE_ADMIN, "管理者", password,
			      sizeof password, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl init: %s\n", err);
		return 1;
	}
	printf("インスタンスを作成しました: %s\n"
	       "  自治体 (テナント): demo\n"
	       "  管理者ログイン ID: admin\n"
	       "  初期パスワード:    %s\n"
	       "  (このパスワードは今回だけ表示されます。初回ログイン時に変更してください。\n"
	       "   再発行: sekishoctl staff passwd demo admin)\n",
	       in->root, password);
	explicit_bzero(password, sizeof password);
	return 0;
}

/* keys docsign-import CERT KEY [--dev]: the municipality's document-signing
 * certificate (LGPKI, say) in place of the self-signed one; officed reads it at start. */
static int
cmd_docsign_import(struct instance *in, int argc, char **argv)
{
	const char *sysroot = getenv("SEKISHO_SYSTEM_ROOT");
	char key[PATH_MAX], crt[PATH_MAX], err[1024], pw[PATH_MAX];
	const char *passwd = NULL;
	bool dev = argc == 5 && strcmp(argv[4], "--dev") == 0;

	if (argc != 4 && !dev) {
		usage(stderr);
		return 2;
	}
	if (sysroot && *sysroot && strcmp(sysroot, "/") != 0) {
		snprintf(pw, sizeof pw, "%s/etc/passwd", sysroot);
		passwd = pw;
	}
	instance_path(in, "lgwan/keys/docsign.key", key, sizeof key);
	instance_path(in, "lgwan/keys/docsign.crt", crt, sizeof crt);
	if (certs_import(argv[2], argv[3], key, crt, err, sizeof err) != 0 ||
	    (!dev && (keys_give_to_holder(in, "lgwan/keys/docsign.key", passwd, err, sizeof err) != 0 ||
		      keys_give_to_holder(in, "lgwan/keys/docsign.crt", passwd, err, sizeof err) != 0))) {
		fprintf(stderr, "sekishoctl keys docsign-import: %s\n", err);
		return 1;
	}
	printf("文書署名用の証明書と鍵を取り込みました: %s\n"
	       "sekisho-officed を再起動すると、これ以降に発行する文書の署名に使われます。\n", crt);
	return 0;
}

/* keys export-for ZONE FILE | keys import [--expect FPR] [--dev] FILE | keys
 * docsign-import CERT KEY [--dev] */
static int
cmd_keys(struct instance *in, int argc, char **argv)
{
	char err[1024], fpr[KEYBUNDLE_FPR_LEN], pw[PATH_MAX];
	const char *expect = NULL, *file = NULL, *passwd = NULL;
	const char *sysroot = getenv("SEKISHO_SYSTEM_ROOT");
	bool dev = false;

	if (argc >= 2 && strcmp(argv[1], "docsign-import") == 0)
		return cmd_docsign_import(in, argc, argv);
	if (argc >= 2 && (strcmp(argv[1], "rotate") == 0 || strcmp(argv[1], "list") == 0 ||
			  strcmp(argv[1], "import-rotation") == 0)) {
		int rc = keyrotate_main(in, argc, argv);

		if (rc == 2)
			usage(stderr);
		return rc;
	}
	if (argc == 4 && strcmp(argv[1], "export-for") == 0) {
		if (keybundle_export(in, argv[2], argv[3], fpr, err, sizeof err) != 0) {
			fprintf(stderr, "sekishoctl keys export-for: %s\n", err);
			return 1;
		}
		printf("%s 側ホスト用の鍵を書き出しました: %s\n指紋 (SHA-256): %s\n"
		       "取り込む側で、この指紋と表示が一致することを確認してください:\n"
		       "  sekishoctl keys import --expect %s FILE\n", argv[2], argv[3], fpr, fpr);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "import") != 0) {
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dev") == 0)
			dev = true;
		else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = argv[++i];
		else if (file == NULL && argv[i][0] != '-')
			file = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (file == NULL) {
		usage(stderr);
		return 2;
	}
	/* A root being built has its own users (as init --system-root). */
	if (sysroot && *sysroot && strcmp(sysroot, "/") != 0) {
		snprintf(pw, sizeof pw, "%s/etc/passwd", sysroot);
		passwd = pw;
	}
	if (keybundle_import(in, file, expect, passwd, dev, fpr, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl keys import: %s\n", err);
		return 1;
	}
	printf("鍵を取り込みました: %s\n指紋 (SHA-256): %s\n", file, fpr);
	if (expect == NULL)
		printf("書き出し側で表示された指紋と一致することを確認してください。\n");
	return 0;
}

static int
cmd_run(struct instance *in)
{
	struct instance_options o;
	char err[1024];

	if (instance_read_options(in, &o, err, sizeof err) != 0 ||
	    supervise_run(in, &o, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl run: %s\n", err);
		return 1;
	}
	return 0;
}

/* tenant remove NAME [--confirm NAME] [--operator PERSON]: the confirmation is the
 * tenant's name typed a second time. */
static int
cmd_tenant_remove(struct instance *in, int argc, char **argv)
{
	struct tenants_removal how = { .operator_name = NULL };
	const char *confirm = NULL;
	char err[1024];
	long n;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--confirm") == 0 && i + 1 < argc)
			confirm = argv[++i];
		else if (strcmp(argv[i], "--operator") == 0 && i + 1 < argc)
			how.operator_name = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (confirm == NULL || strcmp(confirm, argv[2]) != 0) {
		if ((n = tenants_remove(in, argv[2], NULL, stdout, err, sizeof err)) < 0) {
			fprintf(stderr, "sekishoctl tenant remove: %s\n", err);
			return 1;
		}
		printf("自治体 %s のファイル %ld 件（上記）を削除します。元に戻せません。"
		       "デーモンを停止してから、確認のため\n"
		       "  sekishoctl tenant remove %s --confirm %s --operator 担当者名\n"
		       "を実行してください。削除証明書が作成されます。\n",
		       argv[2], n, argv[2], argv[2]);
		return confirm != NULL ? 1 : 0;
	}
	n = tenants_remove(in, argv[2], &how, stdout, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "sekishoctl tenant remove: %s\n", err);
		if (*how.certificate)
			fprintf(stderr, "削除証明書: %s\n", how.certificate);
		return 1;
	}
	printf("\n自治体 %s のファイル %ld 件を削除しました。\n削除証明書: %s\n"
	       "  (同じ名前の .txt が本文です。自治体への提出用に保管してください。)\n",
	       argv[2], n, how.certificate);
	return 0;
}

static int
cmd_tenant(struct instance *in, int argc, char **argv)
{
	char err[1024];

	if (argc == 3 && strcmp(argv[1], "add") == 0) {
		if (tenants_create(in, argv[2], err, sizeof err) != 0) {
			fprintf(stderr, "sekishoctl tenant add: %s\n", err);
			return 1;
		}
		printf("自治体 %s を追加しました。稼働中のデーモンは再起動後に認識します。\n", argv[2]);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "remove") == 0)
		return cmd_tenant_remove(in, argc, argv);
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if (tenants_list(in, err, sizeof err) < 0) {
			fprintf(stderr, "sekishoctl tenant list: %s\n", err);
			return 1;
		}
		return 0;
	}
	usage(stderr);
	return 2;
}

static int
cmd_staff(struct instance *in, int argc, char **argv)
{
	char err[1024], password[PASSWORD_BUF];
	int rc;

	if (argc >= 2 && (strcmp(argv[1], "import") == 0 || strcmp(argv[1], "export") == 0)) {
		if ((rc = officectl_staff_main(in, argc, argv)) == 2)
			usage(stderr);
		return rc;
	}
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "add") == 0)
		rc = tenants_add_staff(in, argv[2], argv[3], argv[4],
				       argc == 6 ? argv[5] : argv[3], password,
				       sizeof password, err, sizeof err);
	else if (argc == 4 && strcmp(argv[1], "passwd") == 0)
		rc = tenants_reset_password(in, argv[2], argv[3], password, sizeof password,
					    err, sizeof err);
	else {
		usage(stderr);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "sekishoctl staff %s: %s\n", argv[1], err);
		return 1;
	}
	printf("ログイン ID: %s\n初期パスワード: %s\n"
	       "(今回だけ表示されます。初回ログイン時に変更してください。)\n", argv[3], password);
	explicit_bzero(password, sizeof password);
	return 0;
}

int
main(int argc, char **argv)
{
	struct instance in;
	const char *explicit_root = NULL;
	char err[1024];
	int i = 1;

	log_init("sekishoctl", LOG_LEVEL_INFO, LOG_SINK_STDERR);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--instance") == 0 && i + 1 < argc)
			explicit_root = argv[++i];
		else if (strncmp(argv[i], "--instance=", 11) == 0)
			explicit_root = argv[i] + 11;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("sekishoctl %s\n", SEKISHO_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (instance_locate(&in, explicit_root, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl: %s\n", err);
		return 1;
	}
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "init") == 0)
		return cmd_init(&in, argc, argv);
	if (strcmp(argv[0], "run") == 0 && argc == 1)
		return cmd_run(&in);
	if (strcmp(argv[0], "status") == 0)
		return status_main(&in, argc, argv);
	if (strcmp(argv[0], "backup") == 0 || strcmp(argv[0], "restore") == 0)
		return backup_main(&in, argc, argv);
	if (strcmp(argv[0], "import-postal") == 0)
		return postalctl_main(&in, argc, argv);
	if (strcmp(argv[0], "sigcheck") == 0)
		return sigcheck_main(argc, argv);
	if (strcmp(argv[0], "keys") == 0)
		return cmd_keys(&in, argc, argv);
	if (strcmp(argv[0], "tenant") == 0)
		return cmd_tenant(&in, argc, argv);
	if (strcmp(argv[0], "staff") == 0)
		return cmd_staff(&in, argc, argv);
	if (strcmp(argv[0], "bridge") == 0)
		return status_bridge_main(&in, argc, argv);
	if (strcmp(argv[0], "audit") == 0 && argc >= 2 && strcmp(argv[1], "verify-log") == 0)
		return officectl_verify_log_main(&in, argc - 1, argv + 1);
	if (strcmp(argv[0], "audit") == 0)
		return audit_main(&in, argc, argv);
	if (strcmp(argv[0], "apikey") == 0)
		return apikey_main(&in, argc, argv);
	if (strcmp(argv[0], "sanitize") == 0)
		return sanitize_main(&in, argc, argv);
	if (strcmp(argv[0], "catalogue") == 0)
		return publish_main(&in, argc, argv);
	usage(stderr);
	return 2;
}
