/*
 * roles.c — provisioning one host for its role.
 *
 * The directory tree comes from the repository's tmpfiles.d file (one source for the
 * image, the units' tests and this): the lines of the role's zones are both created
 * now, with their owners, and written to /etc/tmpfiles.d so that systemd keeps them
 * (and expires the quarantine) afterwards. A host never gets the other zone's lines.
 *
 * Units are enabled as systemctl enable would (a link in the target's .wants), which
 * works the same for a running host and for a root being built; a running systemd is
 * then told to reload.
 */
#include "roles.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confgen.h"
#include "fsio.h"
#include "keybundle.h"
#include "keys.h"
#include "office_db.h"
#include "tenant.h"
#include "tenants.h"

#define TMPFILES_REL "provisioning/systemd/sekisho.tmpfiles"
#define TMPFILES_MAX_LINES 128
#define TMPFILES_LINE 512
#define UNIT_DIR "/usr/lib/systemd/system"

static const struct role_def {
	const char *name;
	unsigned zones;
	const char *const *units;	/* multi-user.target */
	const char *const *timers;	/* timers.target */
} roles[] = {
	[ROLE_DMZ] = { "dmz", INSTANCE_ZONE_DMZ,
		(const char *const[]){ "sekisho-sanitized.service", "sekisho-portald.service",
			"sekisho-bridge-uplink-tx.service", "sekisho-bridge-downlink-rx.service",
			"sekisho-lighttpd-internet.service", "clamav-freshclam.service", NULL },
		(const char *const[]){ "sekisho-backup-dmz.timer", "sekisho-sigcheck.timer", NULL } },
	[ROLE_LGWAN] = { "lgwan", INSTANCE_ZONE_LGWAN,
		(const char *const[]){ "sekisho-officed.service", "sekisho-bridge-uplink-rx.service",
			"sekisho-bridge-downlink-tx.service", "sekisho-lighttpd-lgwan.service", NULL },
		(const char *const[]){ "sekisho-backup-lgwan.timer", NULL } },
	[ROLE_ALL_IN_ONE] = { "all-in-one", INSTANCE_ZONE_BOTH,
		(const char *const[]){ "netns-sekisho.service",
			"sekisho-sanitized.service", "sekisho-portald.service",
			"sekisho-bridge-uplink-tx.service", "sekisho-bridge-downlink-rx.service",
			"sekisho-lighttpd-internet.service", "clamav-freshclam.service",
			"sekisho-officed.service", "sekisho-bridge-uplink-rx.service",
			"sekisho-bridge-downlink-tx.service", "sekisho-lighttpd-lgwan.service", NULL },
		(const char *const[]){ "sekisho-backup-dmz.timer", "sekisho-backup-lgwan.timer",
			"sekisho-sigcheck.timer", NULL } },
};

/* all-in-one: the bridge ends that join a zone's namespace. */
static const struct {
	const char *unit, *netns;
} netns_units[] = {
	{ "sekisho-bridge-uplink-tx.service", ROLES_NETNS_DMZ },
	{ "sekisho-bridge-downlink-rx.service", ROLES_NETNS_DMZ },
	{ "sekisho-bridge-uplink-rx.service", ROLES_NETNS_LGWAN },
	{ "sekisho-bridge-downlink-tx.service", ROLES_NETNS_LGWAN },
};

int
roles_parse(const char *name, enum role_kind *out)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(roles[i].name, name) == 0) {
			*out = (enum role_kind)i;
			return 0;
		}
	return -1;
}

const char *
roles_name(enum role_kind role)
{
	return roles[role].name;
}

unsigned
roles_zones(enum role_kind role)
{
	return roles[role].zones;
}

/* mkdir -p: the directories of /etc a root being built may not have yet. */
static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, mode) != 0 && errno != EEXIST ? -1 : 0;
}

/* R + path (path absolute). */
static int
sys_path(const struct role_options *ro, const char *path, char *out, size_t outlen)
{
	const char *r = ro->system_root && strcmp(ro->system_root, "/") != 0 ? ro->system_root : "";
	int w = snprintf(out, outlen, "%s%s", r, path);

	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}

static const char *
passwd_of(const struct role_options *ro, char *buf, size_t len)
{
	if (ro->system_root == NULL || strcmp(ro->system_root, "/") == 0)
		return NULL;
	snprintf(buf, len, "%s/etc/passwd", ro->system_root);
	return buf;
}

/* gid of a group from R/etc/group (or the system's). */
static int
lookup_group(const struct role_options *ro, const char *name, gid_t *gid)
{
	char path[PATH_MAX], line[TMPFILES_LINE];
	FILE *f;
	int rc = -1;

	if (sys_path(ro, "/etc/group", path, sizeof path) != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return -1;
	while (rc != 0 && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		char *third;

		if (colon == NULL || (size_t)(colon - line) != strlen(name) ||
		    strncmp(line, name, strlen(name)) != 0)
			continue;
		if ((third = strchr(colon + 1, ':')) != NULL) {
			*gid = (gid_t)strtoul(third + 1, NULL, 10);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* Does a tmpfiles path (under INSTANCE_DEFAULT_ROOT) belong to the zones? */
static bool
line_in_zones(const char *path, unsigned zones)
{
	const char *rel = path + strlen(INSTANCE_DEFAULT_ROOT);

	if (strncmp(rel, "/dmz", 4) == 0 && (rel[4] == '\0' || rel[4] == '/'))
		return zones & INSTANCE_ZONE_DMZ;
	if (strncmp(rel, "/lgwan", 6) == 0 && (rel[6] == '\0' || rel[6] == '/'))
		return zones & INSTANCE_ZONE_LGWAN;
	return true;
}

/* Create one "d PATH MODE USER GROUP AGE" line's directory under in->root. */
static int
make_dir(const struct instance *in, const struct role_options *ro, const char *path,
	 const char *mode, const char *user, const char *group, char *err, size_t errlen)
{
	char dir[PATH_MAX], pwbuf[PATH_MAX];
	const char *rel = path + strlen(INSTANCE_DEFAULT_ROOT);
	uid_t uid;
	gid_t gid, ugid;
	mode_t m = (mode_t)strtoul(mode, NULL, 8);

	if (snprintf(dir, sizeof dir, "%s%s", in->root, rel) >= (int)sizeof dir) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (keys_lookup_user(passwd_of(ro, pwbuf, sizeof pwbuf), user, &uid, &ugid) != 0 ||
	    lookup_group(ro, group, &gid) != 0) {
		snprintf(err, errlen, "%s: user %s or group %s does not exist (install the "
			 "sysusers.d file first)", path, user, group);
		return -1;
	}
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || chown(dir, uid, gid) != 0 ||
	    chmod(dir, m) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Create the role's directories and write its tmpfiles.d file. */
static int
make_tree(const struct instance *in, const struct role_options *ro, char *err,
	  size_t errlen)
{
	char src[PATH_MAX], dst[PATH_MAX], line[TMPFILES_LINE];
	char *out = NULL;
	size_t outlen = 0, lines = 0;
	FILE *f, *o;
	int rc = -1;

	snprintf(src, sizeof src, "%s/%s", in->share, TMPFILES_REL);
	if ((f = fopen(src, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		return -1;
	}
	if ((o = open_memstream(&out, &outlen)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fprintf(o, "# sekisho.conf — the directories of role %s, written by sekishoctl init"
		" from %s.\n", roles[ro->role].name, src);
	while (fgets(line, sizeof line, f)) {
		char type[4], path[256], mode[8], user[64], group[64], age[16];
		int n;

		if (++lines > TMPFILES_MAX_LINES) {
			snprintf(err, errlen, "%s: more than %d lines", src, TMPFILES_MAX_LINES);
			goto out;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = sscanf(line, "%3s %255s %7s %63s %63s %15s", type, path, mode, user, group, age);
		if (n < 5 || strcmp(type, "d") != 0 ||
		    strncmp(path, INSTANCE_DEFAULT_ROOT, strlen(INSTANCE_DEFAULT_ROOT)) != 0) {
			snprintf(err, errlen, "%s: unexpected line: %s", src, line);
			goto out;
		}
		if (!line_in_zones(path, roles_zones(ro->role)))
			continue;
		fputs(line, o);
		if (make_dir(in, ro, path, mode, user, group, err, errlen) != 0)
			goto out;
	}
	/* Only the real instance is kept by systemd-tmpfiles; a test's tree is not. */
	if (strcmp(in->root, INSTANCE_DEFAULT_ROOT) == 0 || ro->system_root) {
		fflush(o);
		if (sys_path(ro, "/etc/tmpfiles.d", dst, sizeof dst) != 0 ||
		    (mkdir(dst, 0755) != 0 && errno != EEXIST) ||
		    sys_path(ro, "/etc/tmpfiles.d/sekisho.conf", dst, sizeof dst) != 0 ||
		    fsio_write_atomic(dst, out, outlen, 0644) != 0) {
			snprintf(err, errlen, "%s: cannot write", dst);
			goto out;
		}
	}
	rc = 0;
out:
	fclose(f);
	fclose(o);
	free(out);
	return rc;
}

/* The configuration is root's, readable by the services (group sekisho). */
static int
share_configs(const struct instance *in, const struct role_options *ro, char *err,
	      size_t errlen)
{
	static const char *const files[] = { "instance", "portald", "sanitized", "officed",
		"bridge-uplink-tx", "bridge-uplink-rx", "bridge-downlink-tx",
		"bridge-downlink-rx", "lighttpd-internet", "lighttpd-lgwan", NULL };
	char rel[64], path[PATH_MAX];
	gid_t gid;

	if (lookup_group(ro, "sekisho", &gid) != 0) {
		snprintf(err, errlen, "group sekisho does not exist (install the sysusers.d file)");
		return -1;
	}
	for (size_t i = 0; files[i]; i++) {
		snprintf(rel, sizeof rel, "etc/%s.conf", files[i]);
		instance_path(in, rel, path, sizeof path);
		if (access(path, F_OK) != 0)
			continue;
		if (chown(path, 0, gid) != 0 || chmod(path, 0640) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
write_file(const struct role_options *ro, const char *path, const char *text,
	   char *err, size_t errlen)
{
	char full[PATH_MAX], dir[PATH_MAX], *slash;

	if (sys_path(ro, path, full, sizeof full) != 0) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", full);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (mkdir_p(dir, 0755) != 0) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (fsio_write_atomic(full, text, strlen(text), 0644) != 0) {
		snprintf(err, errlen, "%s: cannot write", full);
		return -1;
	}
	return 0;
}

/* systemctl enable: a link in target.wants, whether or not systemd runs. */
static int
enable_unit(const struct role_options *ro, const char *target, const char *unit,
	    char *err, size_t errlen)
{
	char wants[PATH_MAX], link[PATH_MAX + 64], dest[PATH_MAX];

	snprintf(dest, sizeof dest, "%s/%s", UNIT_DIR, unit);
	if (strncmp(unit, "clamav", 6) == 0)
		snprintf(dest, sizeof dest, "/lib/systemd/system/%s", unit);
	snprintf(link, sizeof link, "/etc/systemd/system/%s.wants", target);
	if (sys_path(ro, link, wants, sizeof wants) != 0 || mkdir_p(wants, 0755) != 0) {
		snprintf(err, errlen, "%s: %s", wants, strerror(errno));
		return -1;
	}
	snprintf(link, sizeof link, "%s/%s", wants, unit);
	if (symlink(dest, link) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", link, strerror(errno));
		return -1;
	}
	return 0;
}

static int
enable_units(const struct instance *in, const struct role_options *ro, char *err,
	     size_t errlen)
{
	const struct role_def *d = &roles[ro->role];
	char text[1024];

	for (size_t i = 0; d->units[i]; i++)
		if (enable_unit(ro, "multi-user.target", d->units[i], err, errlen) != 0)
			return -1;
	for (size_t i = 0; d->timers[i]; i++)
		if (enable_unit(ro, "timers.target", d->timers[i], err, errlen) != 0)
			return -1;
	if (ro->role == ROLE_ALL_IN_ONE) {
		for (size_t i = 0; i < sizeof netns_units / sizeof netns_units[0]; i++) {
			char path[PATH_MAX];

			/* The namespace exists before the unit starts and lives on; the
			 * unit's own network is the zone's, with the one link in it. */
			snprintf(text, sizeof text,
				 "# Written by sekishoctl init --role all-in-one: this bridge end "
				 "runs in\n# the %s network namespace (netns-sekisho.service).\n"
				 "# No user namespace: from inside one, joining a network namespace "
				 "of the\n# host's is refused (the unit fails at step NETWORK).\n"
				 "[Unit]\nRequires=netns-sekisho.service\n"
				 "After=netns-sekisho.service\n\n[Service]\n"
				 "NetworkNamespacePath=/run/netns/%s\nPrivateUsers=no\n",
				 netns_units[i].netns, netns_units[i].netns);
			snprintf(path, sizeof path, "/etc/systemd/system/%s.d/50-sekisho-netns.conf",
				 netns_units[i].unit);
			if (write_file(ro, path, text, err, errlen) != 0)
				return -1;
		}
	}
	/* The host firewall lets in what this role serves beyond 22/80/443. */
	if (ro->role == ROLE_ALL_IN_ONE) {
		struct instance_options o;

		if (instance_read_options(in, &o, err, errlen) != 0)
			return -1;
		snprintf(text, sizeof text,
			 "# Written by sekishoctl init --role all-in-one: the LGWAN zone's web "
			 "front.\ntable inet sekisho_host {\n\tchain input {\n"
			 "\t\ttcp dport %ld ct state new accept\n\t}\n}\n", o.lgwan_port);
	} else {
		struct instance_options o;
		bool dmz = ro->role == ROLE_DMZ;

		if (instance_read_options(in, &o, err, errlen) != 0)
			return -1;
		snprintf(text, sizeof text,
			 "# Written by sekishoctl init --role %s: the bridge datagrams this host "
			 "receives,\n# from the other host only. Nothing else of the link is "
			 "accepted.\ntable inet sekisho_host {\n\tchain input {\n"
			 "\t\tip saddr %s udp dport %ld accept\n\t}\n}\n",
			 roles[ro->role].name, ro->peer, dmz ? o.downlink_port : o.uplink_port);
	}
	if (write_file(ro, "/etc/nftables.d/50-sekisho-role.nft", text, err, errlen) != 0)
		return -1;
	if ((ro->system_root == NULL || strcmp(ro->system_root, "/") == 0) &&
	    access("/run/systemd/system", F_OK) == 0) {
		int status = system("systemctl daemon-reload");

		if (status != 0) {
			snprintf(err, errlen, "systemctl daemon-reload failed (%d)", status);
			return -1;
		}
	}
	return 0;
}

static int
first_tenant(const struct instance *in, const struct role_options *ro, char *password,
	     size_t passlen, char *err, size_t errlen)
{
	static const struct { const char *dir, *owner; unsigned mask; } dbs[] = {
		{ "dmz/db", "sekisho-portald", INSTANCE_ZONE_DMZ },
		{ "lgwan/db", "sekisho-officed", INSTANCE_ZONE_LGWAN },
	};
	unsigned zones = roles_zones(ro->role);
	char pwbuf[PATH_MAX];

	if (tenants_create_in(in, ro->tenant, zones, err, errlen) != 0)
		return -1;
	if ((zones & INSTANCE_ZONE_LGWAN) &&
	    tenants_add_staff(in, ro->tenant, "admin", OFFICE_ROLE_ADMIN, "管理者", password,
			      passlen, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		char dir[PATH_MAX], path[PATH_MAX];
		uid_t uid;
		gid_t gid;

		if (!(zones & dbs[i].mask))
			continue;
		instance_path(in, dbs[i].dir, dir, sizeof dir);
		if (tenant_db_path(dir, ro->tenant, path, sizeof path) != 0 ||
		    keys_lookup_user(passwd_of(ro, pwbuf, sizeof pwbuf), dbs[i].owner, &uid,
				     &gid) != 0 ||
		    chown(path, uid, gid) != 0) {
			snprintf(err, errlen, "%s: cannot give it to %s", path, dbs[i].owner);
			return -1;
		}
	}
	return 0;
}

int
roles_init(struct instance *in, const struct role_options *ro, char *password,
	   size_t passlen, char *err, size_t errlen)
{
	struct instance_options o = {
		.tls = true, .internet_port = 443, .lgwan_port = 443,
		.uplink_port = 9510, .downlink_port = 9511, .zones = roles_zones(ro->role),
	};
	char path[PATH_MAX], pwbuf[PATH_MAX];
	struct keys_options ko = {
		.zones = roles_zones(ro->role), .passwd = passwd_of(ro, pwbuf, sizeof pwbuf),
		.tls_cn = ro->hostname, .tls_cert = ro->tls_cert, .tls_key = ro->tls_key,
	};

	password[0] = '\0';
	if ((ro->tls_cert == NULL) != (ro->tls_key == NULL)) {
		snprintf(err, errlen, "--tls-cert と --tls-key は両方指定してください "
			 "(both --tls-cert and --tls-key are needed)");
		return -1;
	}
	if (ro->role != ROLE_ALL_IN_ONE && (ro->peer == NULL || *ro->peer == '\0')) {
		snprintf(err, errlen, "--peer で相手側ホストの連携用アドレスを指定してください "
			 "(role %s needs --peer ADDRESS)", roles[ro->role].name);
		return -1;
	}
	if (ro->tenant && !tenant_name_valid(ro->tenant)) {
		snprintf(err, errlen, "'%s' は自治体名として使えません: invalid tenant name",
			 ro->tenant);
		return -1;
	}
	snprintf(o.role, sizeof o.role, "%s", roles[ro->role].name);
	snprintf(o.bind_host, sizeof o.bind_host, "0.0.0.0");
	snprintf(o.internet_bind, sizeof o.internet_bind, "%s",
		 ro->internet_bind ? ro->internet_bind : "0.0.0.0");
	snprintf(o.lgwan_bind, sizeof o.lgwan_bind, "%s",
		 ro->lgwan_bind ? ro->lgwan_bind : "0.0.0.0");
	switch (ro->role) {
	case ROLE_ALL_IN_ONE:
		/* Both web fronts on one host: the LGWAN one on its own port. */
		o.lgwan_port = 8443;
		snprintf(o.uplink_host, sizeof o.uplink_host, "%s", ROLES_UPLINK_RX_ADDR);
		snprintf(o.downlink_host, sizeof o.downlink_host, "%s", ROLES_DOWNLINK_RX_ADDR);
		break;
	case ROLE_DMZ:	/* sends the uplink to the peer, receives the downlink */
		snprintf(o.uplink_host, sizeof o.uplink_host, "%s", ro->peer);
		break;
	case ROLE_LGWAN:
		snprintf(o.downlink_host, sizeof o.downlink_host, "%s", ro->peer);
		break;
	}
	instance_path(in, "etc/instance.conf", path, sizeof path);
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s には既にインスタンスがあります (instance exists; keys "
			 "are never overwritten)", in->root);
		return -1;
	}
	if (make_tree(in, ro, err, errlen) != 0)
		return -1;
	if (realpath(in->root, path) != NULL)
		snprintf(in->root, sizeof in->root, "%s", path);
	if (keys_create(in, &ko, err, errlen) != 0 ||
	    confgen_write_all(in, &o, err, errlen) != 0 ||
	    share_configs(in, ro, err, errlen) != 0 ||
	    (ro->tenant && first_tenant(in, ro, password, passlen, err, errlen) != 0) ||
	    enable_units(in, ro, err, errlen) != 0)
		return -1;
	return 0;
}

void
roles_print_next_steps(FILE *f, const struct instance *in, const struct role_options *ro,
		       const char *password)
{
	fprintf(f, "役割 %s のインスタンスを作成しました: %s\n", roles[ro->role].name, in->root);
	if (ro->tls_cert)
		fprintf(f, "  TLS 証明書: %s を取り込みました。\n", ro->tls_cert);
	else
		fprintf(f, "  TLS 証明書: 自己署名の証明書を作成しました (%s)。本番運用の前に、\n"
			"  自治体の証明書に置き換えてください (keys/tls.crt, keys/tls.key)。\n",
			ro->hostname ? ro->hostname : "localhost");
	if (ro->tenant && password && *password)
		fprintf(f, "  自治体 (テナント): %s\n  管理者ログイン ID: admin\n"
			"  初期パスワード:    %s\n"
			"  (今回だけ表示されます。初回ログイン時に変更してください。)\n",
			ro->tenant, password);
	else if (ro->tenant)
		fprintf(f, "  自治体 (テナント): %s (管理者は LGWAN 側で作成されます)\n", ro->tenant);
	fprintf(f, "\n次の手順:\n");
	switch (ro->role) {
	case ROLE_DMZ:
		fprintf(f, "  1. LGWAN 側ホストに渡す鍵を書き出します:\n"
			"       sekishoctl keys export-for lgwan /root/sekisho-keys-for-lgwan.tar\n"
			"     表示される指紋 (SHA-256) を控えてください。\n"
			"  2. LGWAN 側ホストで書き出した鍵ファイルをこのホストに運び、取り込みます:\n"
			"       sekishoctl keys import --expect 指紋 ファイル\n"
			"  3. 署名データベースを取得します: systemctl start clamav-freshclam\n"
			"  4. サービスを起動します: systemctl start multi-user.target\n"
			"     確認: sekishoctl status\n");
		break;
	case ROLE_LGWAN:
		fprintf(f, "  1. DMZ 側ホストに渡す鍵を書き出します:\n"
			"       sekishoctl keys export-for dmz /root/sekisho-keys-for-dmz.tar\n"
			"     表示される指紋 (SHA-256) を控えてください。\n"
			"  2. DMZ 側ホストで書き出した鍵ファイルをこのホストに運び、取り込みます:\n"
			"       sekishoctl keys import --expect 指紋 ファイル\n"
			"  3. サービスを起動します: systemctl start multi-user.target\n"
			"     確認: sekishoctl status\n");
		break;
	case ROLE_ALL_IN_ONE:
		fprintf(f, "  1. 署名データベースを取得します: systemctl start clamav-freshclam\n"
			"  2. サービスを起動します: systemctl start multi-user.target\n"
			"     (両ゾーンの一方向ブリッジは、このホスト内のネットワーク名前空間\n"
			"      %s と %s の間の veth で結ばれます)\n"
			"  3. 確認: sekishoctl status\n"
			"     市民向け画面は 443 番、職員向け画面は 8443 番ポートです。\n",
			ROLES_NETNS_DMZ, ROLES_NETNS_LGWAN);
		break;
	}
	fprintf(f, "  鍵ファイルの受け渡しには、暗号化した USB メモリなど管理された媒体を"
		"使い、\n  取り込み後は媒体から削除してください。\n");
}
