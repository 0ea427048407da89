/*
 * status.c — sekishoctl status and bridge status.
 *
 * Everything is observed from outside the daemons: their health and metrics from their
 * unix sockets (lighttpd not involved), queue depths by counting spool directories,
 * signature age from the database files, disk space by statvfs. So the report still
 * says something useful when a daemon is down — that is when it is needed. Each finding
 * is ok, a warning or a failure; the worst one is the verdict and the exit status, and
 * every non-ok finding is also listed under "problems" for a monitoring system.
 * Only what this host holds is looked at (a one-zone host has one zone).
 */
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "jsonio.h"
#include "sigcheck.h"

#define STATUS_BODY_MAX		(1 << 20)	/* a health or metrics answer */
#define STATUS_CONF_LINE	4096		/* a line of sanitized.conf */

enum sev { SEV_OK, SEV_WARNING, SEV_FAILURE };

static const char *const sev_key[] = { "ok", "warning", "failure" };
static const char *const sev_ja[] = { "正常", "警告", "異常" };

struct report {
	const struct instance *in;
	bool json;
	unsigned zones;
	bool dev;
	long disk_warn, queue_max_age, sig_max_days;
	enum sev worst;
	json_t *doc, *problems;
};

/* The daemons of each zone, by socket name. */
static const struct {
	const char *name;
	unsigned zone;
} components[] = {
	{ "portald", INSTANCE_ZONE_DMZ },
	{ "sanitized", INSTANCE_ZONE_DMZ },
	{ "bridge-uplink-tx", INSTANCE_ZONE_DMZ },
	{ "bridge-downlink-rx", INSTANCE_ZONE_DMZ },
	{ "officed", INSTANCE_ZONE_LGWAN },
	{ "bridge-uplink-rx", INSTANCE_ZONE_LGWAN },
	{ "bridge-downlink-tx", INSTANCE_ZONE_LGWAN },
};

/* The spools, each with what waiting in it means. */
static const struct {
	const char *rel, *label;
	unsigned zone;
} queues[] = {
	{ "dmz/spool/intake", "無害化待ち (sanitizer queue)", INSTANCE_ZONE_DMZ },
	{ "dmz/spool/outbox", "上り送信待ち (uplink outbox)", INSTANCE_ZONE_DMZ },
	{ "dmz/spool/downlink-in", "下り受信・反映待ち (downlink in)", INSTANCE_ZONE_DMZ },
	{ "dmz/spool/receipts", "受領確認 (receipts)", INSTANCE_ZONE_DMZ },
	{ "lgwan/spool/inbox", "取り込み待ち (inbox)", INSTANCE_ZONE_LGWAN },
	{ "lgwan/spool/downlink-out", "下り送信待ち (downlink out)", INSTANCE_ZONE_LGWAN },
	{ "lgwan/spool/receipts", "受領確認 (receipts)", INSTANCE_ZONE_LGWAN },
};

static void say(const struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct report *r, enum sev s, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
say(const struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* A finding that is not ok: into the verdict and the problem list. */
static void
problem(struct report *r, enum sev s, const char *what, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (s > r->worst)
		r->worst = s;
	json_array_append_new(r->problems, json_pack("{s:s, s:s, s:s}", "severity", sev_key[s],
						     "what", what, "detail", detail));
}

static size_t
collect(char *data, size_t size, size_t nmemb, void *userp)
{
	return fwrite(data, size, nmemb, (FILE *)userp);
}

/* GET path from a daemon's unix socket; the parsed JSON body (new reference) or
 * NULL with the reason in err. *code gets the HTTP status. */
static json_t *
get_json(const char *sock, const char *path, long *code, char *err, size_t errlen)
{
	char url[256], *body = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&body, &len);
	CURL *h = curl_easy_init();
	json_t *j = NULL;
	CURLcode rc;

	*code = 0;
	if (mem == NULL || h == NULL) {
		snprintf(err, errlen, "out of memory");
		if (mem)
			fclose(mem);
		free(body);
		curl_easy_cleanup(h);
		return NULL;
	}
	snprintf(url, sizeof url, "http://localhost%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)STATUS_BODY_MAX);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, mem);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(h);
	fclose(mem);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	else
		j = jsonio_parse(body, len, STATUS_BODY_MAX, JSONIO_MAX_DEPTH, err, errlen);
	free(body);
	return j;
}

static json_t *
get_from(const struct instance *in, const char *daemon, const char *path, long *code,
	 char *err, size_t errlen)
{
	char sock[PATH_MAX], rel[96];

	snprintf(rel, sizeof rel, "run/%s.sock", daemon);
	instance_path(in, rel, sock, sizeof sock);
	return get_json(sock, path, code, err, errlen);
}

static long long
num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
components_section(struct report *r)
{
	json_t *all = json_object();

	say(r, "構成要素 (components)\n");
	for (size_t i = 0; i < sizeof components / sizeof components[0]; i++) {
		const char *name = components[i].name;
		char why[256];
		long code;
		json_t *j;

		if (!(r->zones & components[i].zone))
			continue;
		j = get_from(r->in, name, "/api/healthz", &code, why, sizeof why);
		if (j && code == 200) {
			say(r, "%-20s 正常 (ok)      pid %lld\n", name, num(j, "pid"));
		} else {
			say(r, "%-20s 異常 (%s)\n", name, j ? "degraded" : why);
			problem(r, SEV_FAILURE, name, "%s", j ? "unhealthy" : why);
			if (j) {
				const char *k;
				json_t *v;

				json_object_foreach(json_object_get(j, "checks"), k, v)
					if (!json_is_true(json_object_get(v, "ok")))
						say(r, "    %s: %s\n", k, jsonio_str(v, "detail", ""));
			}
		}
		json_object_set_new(all, name, j ? json_pack("{s:b, s:O}", "ok", j && code == 200,
							     "health", j)
						 : json_pack("{s:b, s:s}", "ok", 0, "error", why));
		json_decref(j);
	}
	json_object_set_new(r->doc, "components", all);
}

/* "N 秒前" for a Unix time, or that nothing came since the daemon started. */
static void
ago_text(long long t, char *out, size_t outlen)
{
	if (t > 0)
		snprintf(out, outlen, "%lld 秒前", (long long)time(NULL) - t);
	else
		snprintf(out, outlen, "起動後なし");
}

/* One direction of the bridge: its sender's and its receiver's counters, as far as
 * this host runs them. */
static void
link_section(struct report *r, const char *dir, const char *ja, unsigned tx_zone,
	     unsigned rx_zone)
{
	json_t *l = json_object();
	char tx[64], rx[64], why[256];
	long code;
	json_t *m;

	snprintf(tx, sizeof tx, "bridge-%s-tx", dir);
	snprintf(rx, sizeof rx, "bridge-%s-rx", dir);
	say(r, "  %s (%s)\n", ja, dir);
	if (r->zones & tx_zone) {
		m = get_from(r->in, tx, "/api/metrics", &code, why, sizeof why);
		if (m && code == 200) {
			say(r, "    送信側: 送信 %lld 件 (再送 %lld)、受領確認待ち %lld 件、受領確認 "
			    "%lld 件、送信エラー %lld\n", num(m, "bundles_sent"), num(m, "resends"),
			    num(m, "awaiting_receipt"), num(m, "receipts_applied"),
			    num(m, "send_errors"));
			if (num(m, "send_errors") > 0)
				problem(r, SEV_WARNING, tx, "%lld send errors since start",
					num(m, "send_errors"));
			json_object_set(l, "tx", m);
		} else {
			say(r, "    送信側: 応答がありません (%s)\n", m ? "error" : why);
		}
		json_decref(m);
	}
	if (r->zones & rx_zone) {
		m = get_from(r->in, rx, "/api/metrics", &code, why, sizeof why);
		if (m && code == 200) {
			json_t *b = json_object_get(m, "bundles");
			long long seen = num(m, "last_seen_unix");
			long long bundle = num(m, "last_bundle_unix");
			char ago[64], bago[64];

			ago_text(seen, ago, sizeof ago);
			ago_text(bundle, bago, sizeof bago);
			say(r, "    受信側: 最終受信 %s (バンドル %s)、受信 %lld 件 (隔離 %lld)、"
			    "データグラム拒否 %lld、カーネル破棄 %lld、未完了 %zu 件\n", ago, bago,
			    num(b, "stored"), num(b, "quarantined"), num(m, "datagrams_rejected"),
			    num(m, "kernel_drops"),
			    json_array_size(json_object_get(m, "incomplete_objects")));
			if (num(b, "quarantined") > 0)
				problem(r, SEV_WARNING, rx, "%lld bundles quarantined since start",
					num(b, "quarantined"));
			if (num(m, "kernel_drops") > 0)
				problem(r, SEV_WARNING, rx, "%lld datagrams dropped by the kernel "
					"since start", num(m, "kernel_drops"));
			json_object_set_new(m, "last_seen_age_s",
					    seen > 0 ? json_integer(time(NULL) - seen) : json_null());
			json_object_set_new(m, "last_bundle_age_s",
					    bundle > 0 ? json_integer(time(NULL) - bundle)
						       : json_null());
			json_object_set(l, "rx", m);
		} else {
			say(r, "    受信側: 応答がありません (%s)\n", m ? "error" : why);
		}
		json_decref(m);
	}
	json_object_set_new(json_object_get(r->doc, "links"), dir, l);
}

/* Entries in dir (not starting with '.'), their bytes and the oldest one's mtime. */
static int
count_dir(const char *dir, long long *n, long long *bytes, time_t *oldest, bool skip_notes)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long scanned = 0;

	*n = *bytes = 0;
	*oldest = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && scanned++ < STATUS_QUEUE_MAX_SCAN) {
		char path[PATH_MAX];
		struct stat sb;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		/* A quarantined file's note is not an item of its own. */
		if (skip_notes && len > 7 && strcmp(e->d_name + len - 7, ".reason") == 0)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
		    lstat(path, &sb) != 0)
			continue;
		(*n)++;
		*bytes += sb.st_size;
		if (*oldest == 0 || sb.st_mtime < *oldest)
			*oldest = sb.st_mtime;
	}
	closedir(d);
	return 0;
}

static void
queues_section(struct report *r)
{
	json_t *all = json_array();
	time_t now = time(NULL);

	say(r, "待ち行列 (queues)  待ち = new/、処理中 = work/ (送信側では受領確認待ち)\n");
	for (size_t i = 0; i < sizeof queues / sizeof queues[0]; i++) {
		char root[PATH_MAX], sub[PATH_MAX + 8];
		long long nnew, nwork, b;
		time_t oldest, w;
		long long age;

		if (!(r->zones & queues[i].zone))
			continue;
		instance_path(r->in, queues[i].rel, root, sizeof root);
		snprintf(sub, sizeof sub, "%s/new", root);
		if (count_dir(sub, &nnew, &b, &oldest, false) != 0) {
			say(r, "  %-26s %s: ありません (not found)\n", queues[i].rel, queues[i].label);
			continue;	/* not made yet: nothing has passed this way */
		}
		snprintf(sub, sizeof sub, "%s/work", root);
		count_dir(sub, &nwork, &b, &w, false);
		age = nnew ? (long long)(now - oldest) : 0;
		if (nnew)
			snprintf(sub, sizeof sub, "%6lld 秒", age);
		else
			snprintf(sub, sizeof sub, "%6s   ", "-");
		say(r, "  %-26s 待ち %6lld  処理中 %6lld  最古 %s  %s\n", queues[i].rel, nnew,
		    nwork, sub, queues[i].label);
		if (nnew && age > r->queue_max_age)
			problem(r, SEV_WARNING, queues[i].rel, "%lld items waiting, the oldest for "
				"%lld s (limit %ld s): is its consumer running?", nnew, age,
				r->queue_max_age);
		json_array_append_new(all, json_pack("{s:s, s:I, s:I, s:I}", "spool", queues[i].rel,
						     "new", (json_int_t)nnew, "work",
						     (json_int_t)nwork, "oldest_age_s",
						     (json_int_t)age));
	}
	json_object_set_new(r->doc, "queues", all);
	all = json_array();
	for (int z = 0; z < 2; z++) {
		const char *rel = z == 0 ? "dmz/quarantine" : "lgwan/quarantine";
		char dir[PATH_MAX];
		long long n, bytes;
		time_t oldest;

		if (!(r->zones & (z == 0 ? INSTANCE_ZONE_DMZ : INSTANCE_ZONE_LGWAN)))
			continue;
		instance_path(r->in, rel, dir, sizeof dir);
		if (count_dir(dir, &n, &bytes, &oldest, true) != 0)
			continue;
		say(r, "  %-26s 隔離 %6lld 件  %lld バイト (quarantine)\n", rel, n, bytes);
		json_array_append_new(all, json_pack("{s:s, s:I, s:I}", "dir", rel, "files",
						     (json_int_t)n, "bytes", (json_int_t)bytes));
	}
	json_object_set_new(r->doc, "quarantine", all);
}

/* clamav_db from etc/sanitized.conf into out; -1 if it is not there. */
static int
clamav_db(const struct instance *in, char *out, size_t outlen)
{
	char path[PATH_MAX], line[STATUS_CONF_LINE];
	FILE *f;
	int found = -1;

	instance_path(in, "etc/sanitized.conf", path, sizeof path);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (found != 0 && fgets(line, sizeof line, f) != NULL) {
		char *v = line + strspn(line, " \t");

		if (strncmp(v, "clamav_db", 9) != 0)
			continue;
		v += 9 + strspn(v + 9, " \t");
		if (*v++ != '=')
			continue;
		v += strspn(v, " \t\"");
		v[strcspn(v, "\"\r\n")] = '\0';
		snprintf(out, outlen, "%s", v);
		found = 0;
	}
	fclose(f);
	return found;
}

static void
signatures_section(struct report *r)
{
	char dir[PATH_MAX], err[512], why[256];
	json_t *s = json_object(), *h;
	time_t newest, built;
	long code;
	double days;

	if (!(r->zones & INSTANCE_ZONE_DMZ))
		return;
	say(r, "ウイルス定義 (signatures)\n");
	json_object_set_new(r->doc, "signatures", s);
	if (clamav_db(r->in, dir, sizeof dir) != 0) {
		say(r, "  etc/sanitized.conf に clamav_db がありません\n");
		problem(r, SEV_WARNING, "signatures", "no clamav_db in etc/sanitized.conf");
		return;
	}
	json_object_set_new(s, "dir", json_string(dir));
	/* What the running sanitizer has loaded, as its health check reports it. */
	h = get_from(r->in, "sanitized", "/api/healthz", &code, why, sizeof why);
	if (h != NULL) {
		const char *loaded = jsonio_str(json_object_get(json_object_get(h, "checks"),
								"signatures"), "detail", NULL);
		if (loaded) {
			say(r, "  読み込み済み: %s\n", loaded);
			json_object_set_new(s, "loaded", json_string(loaded));
		}
		json_decref(h);
	}
	if (sigcheck_newest(dir, &newest, err, sizeof err) != 0) {
		say(r, "  定義ファイルがありません: %s\n", err);
		problem(r, SEV_FAILURE, "signatures", "%s", err);
		return;
	}
	days = difftime(time(NULL), newest) / 86400.0;
	json_object_set_new(s, "updated_unix", json_integer(newest));
	json_object_set_new(s, "age_days", json_real(days));
	json_object_set_new(s, "max_age_days", json_integer(r->sig_max_days));
	if (sigcheck_built(dir, &built) == 0)
		json_object_set_new(s, "built_unix", json_integer(built));
	say(r, "  %s: 最終更新 %.1f 日前 (上限 %ld 日)%s\n", dir, days, r->sig_max_days,
	    r->dev ? "、開発用の試験データベース (更新されません)" : "");
	/* The development stack scans with the small test database shipped in the tree,
	 * which nobody updates: its age says nothing. */
	if (!r->dev && days > (double)r->sig_max_days)
		problem(r, SEV_WARNING, "signatures", "%.1f days old (limit %ld): is freshclam "
			"running? (journalctl -u clamav-freshclam)", days, r->sig_max_days);
}

static void
disk_section(struct report *r)
{
	static const struct { const char *rel; unsigned zone; } dirs[] = {
		{ "dmz", INSTANCE_ZONE_DMZ }, { "lgwan", INSTANCE_ZONE_LGWAN }, { "log", 0 },
	};
	json_t *all = json_array();

	say(r, "ディスク (disk)\n");
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char path[PATH_MAX];
		struct statvfs sv;
		double free_pct, inode_pct;
		enum sev s = SEV_OK;

		if (dirs[i].zone && !(r->zones & dirs[i].zone))
			continue;
		instance_path(r->in, dirs[i].rel, path, sizeof path);
		if (statvfs(path, &sv) != 0) {
			say(r, "  %-6s %s: %s\n", dirs[i].rel, path, strerror(errno));
			problem(r, SEV_FAILURE, dirs[i].rel, "%s: %s", path, strerror(errno));
			continue;
		}
		free_pct = sv.f_blocks ? 100.0 * (double)sv.f_bavail / (double)sv.f_blocks : 100.0;
		/* A file system without inode accounting reports 0 files: not "full". */
		inode_pct = sv.f_files ? 100.0 * (double)sv.f_favail / (double)sv.f_files : 100.0;
		if (free_pct < STATUS_DISK_FAIL_PERCENT || inode_pct < STATUS_DISK_FAIL_PERCENT)
			s = SEV_FAILURE;
		else if (free_pct < r->disk_warn || inode_pct < r->disk_warn)
			s = SEV_WARNING;
		say(r, "  %-6s %s  空き %.1f%% (%.1f GiB / %.1f GiB)、inode 空き %.1f%%%s\n",
		    dirs[i].rel, path, free_pct,
		    (double)sv.f_bavail * (double)sv.f_frsize / (1024.0 * 1024 * 1024),
		    (double)sv.f_blocks * (double)sv.f_frsize / (1024.0 * 1024 * 1024), inode_pct,
		    s == SEV_FAILURE ? "  異常" : s == SEV_WARNING ? "  警告" : "");
		if (s != SEV_OK)
			problem(r, s, dirs[i].rel, "%s: %.1f%% space and %.1f%% inodes free (warning "
				"under %ld%%, failure under %d%%)", path, free_pct, inode_pct,
				r->disk_warn, STATUS_DISK_FAIL_PERCENT);
		json_array_append_new(all, json_pack(
			"{s:s, s:s, s:I, s:I, s:f, s:f, s:s}", "dir", dirs[i].rel, "path", path,
			"free_bytes", (json_int_t)(sv.f_bavail * sv.f_frsize),
			"total_bytes", (json_int_t)(sv.f_blocks * sv.f_frsize),
			"free_percent", free_pct, "inodes_free_percent", inode_pct,
			"state", sev_key[s]));
	}
	json_object_set_new(r->doc, "disk", all);
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
status_main(const struct instance *in, int argc, char **argv)
{
	struct report r = {
		.in = in, .disk_warn = STATUS_DISK_WARN_PERCENT,
		.queue_max_age = STATUS_QUEUE_MAX_AGE_S,
		.sig_max_days = SIGCHECK_MAX_AGE_DAYS_DEFAULT,
	};
	struct instance_options o;
	char err[1024];
	size_t i;
	json_t *p;

	for (int a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : "";

		if (strcmp(argv[a], "--json") == 0) {
			r.json = true;
			continue;
		}
		if ((strcmp(argv[a], "--disk-warn-percent") == 0 &&
		     parse_long(v, STATUS_DISK_FAIL_PERCENT, 99, &r.disk_warn) == 0) ||
		    (strcmp(argv[a], "--queue-max-age-s") == 0 &&
		     parse_long(v, 1, 86400 * 30, &r.queue_max_age) == 0) ||
		    (strcmp(argv[a], "--sig-max-age-days") == 0 &&
		     parse_long(v, 1, 365, &r.sig_max_days) == 0)) {
			a++;
			continue;
		}
		fprintf(stderr, "usage: sekishoctl status [--json] [--disk-warn-percent N] "
			"[--queue-max-age-s N] [--sig-max-age-days N]\n");
		return STATUS_USAGE;
	}
	if (instance_read_options(in, &o, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl status: %s\n", err);
		return STATUS_FAILURE;
	}
	r.zones = o.zones ? o.zones : INSTANCE_ZONE_BOTH;
	r.dev = o.dev;
	r.doc = json_object();
	r.problems = json_array();
	json_object_set_new(r.doc, "links", json_object());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	components_section(&r);
	say(&r, "回線 (links)\n");
	link_section(&r, "uplink", "上り", INSTANCE_ZONE_DMZ, INSTANCE_ZONE_LGWAN);
	link_section(&r, "downlink", "下り", INSTANCE_ZONE_LGWAN, INSTANCE_ZONE_DMZ);
	queues_section(&r);
	signatures_section(&r);
	curl_global_cleanup();
	disk_section(&r);
	json_object_set_new(r.doc, "verdict", json_string(sev_key[r.worst]));
	json_object_set_new(r.doc, "exit_status", json_integer((int)r.worst));
	json_object_set(r.doc, "problems", r.problems);
	if (r.json) {
		char *s = json_dumps(r.doc, JSON_INDENT(2));

		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("判定 (verdict): %s (%s)\n", sev_ja[r.worst], sev_key[r.worst]);
		json_array_foreach(r.problems, i, p)
			printf("  %s %s: %s\n",
			       strcmp(jsonio_str(p, "severity", ""), "failure") == 0 ?
				       sev_ja[SEV_FAILURE] : sev_ja[SEV_WARNING],
			       jsonio_str(p, "what", ""), jsonio_str(p, "detail", ""));
	}
	json_decref(r.problems);
	json_decref(r.doc);
	return (int)r.worst;	/* STATUS_OK, STATUS_WARNING, STATUS_FAILURE */
}

int
status_bridge_main(const struct instance *in, int argc, char **argv)
{
	static const char *const socks[] = { "bridge-uplink-tx", "bridge-uplink-rx",
					     "bridge-downlink-tx", "bridge-downlink-rx", NULL };
	bool as_json = argc == 3 && strcmp(argv[2], "--json") == 0;
	json_t *all;
	int bad = 0;

	if (!(argc == 2 || as_json) || strcmp(argv[1], "status") != 0) {
		fprintf(stderr, "usage: sekishoctl bridge status [--json]\n");
		return 2;
	}
	all = json_object();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (size_t i = 0; socks[i]; i++) {
		char err[256];
		long code;
		json_t *m = get_from(in, socks[i], "/api/metrics", &code, err, sizeof err);

		if (m == NULL || code != 200) {
			bad++;
			if (!as_json)
				printf("%-20s 応答がありません (%s)\n", socks[i], m ? "error" : err);
			json_decref(m);
			continue;
		}
		if (!as_json && strstr(socks[i], "-tx")) {
			printf("%-20s 送信 %lld 件 (再送 %lld)、受領確認待ち %lld 件、"
			       "受領確認 %lld 件、データグラム %lld、エポック %lld\n", socks[i],
			       num(m, "bundles_sent"), num(m, "resends"), num(m, "awaiting_receipt"),
			       num(m, "receipts_applied"), num(m, "datagrams_sent"), num(m, "epoch"));
		} else if (!as_json) {
			json_t *b = json_object_get(m, "bundles"), *a = json_object_get(m, "assembly");
			printf("%-20s 受信 %lld 件 (重複 %lld、隔離 %lld、受領確認 %lld)、"
			       "データグラム 受理 %lld / 拒否 %lld、FEC 修復 %lld、復元不能ブロック %lld、"
			       "カーネル破棄 %lld、未完了 %zu 件\n", socks[i],
			       num(b, "stored"), num(b, "duplicate"), num(b, "quarantined"),
			       num(b, "receipts"), num(m, "datagrams_accepted"),
			       num(m, "datagrams_rejected"), num(a, "fec_repairs"),
			       num(a, "blocks_unrecoverable"), num(m, "kernel_drops"),
			       json_array_size(json_object_get(m, "incomplete_objects")));
		}
		json_object_set_new(all, socks[i], m);
	}
	curl_global_cleanup();
	if (as_json) {
		char *s = json_dumps(all, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
	}
	json_decref(all);
	return bad ? 1 : 0;
}
