/*
 * sanitized_main.c — sekisho-sanitized, the checkpoint (無害化) of the internet zone.
 *
 * Process layout: the main thread takes signals and asks for the signature database
 * to be reloaded when it changes; a pool of worker threads (worker.c) takes uploads
 * from the intake spool, and for each file forks a sandboxed child (rlimits,
 * seccomp, no network) that alone parses the hostile bytes; libmicrohttpd's threads
 * answer portald. libclamav runs in sekisho-scanner, a process of its own exec'd
 * before the key is read (scanproc.h): it parses every upload too, so it holds no
 * key, and is confined to its database and a temporary directory.
 *
 * Trust boundary: sanitized is the only holder of the sanitizer signing key. Whatever
 * it signs is what LGWAN will accept, so it takes input only from the intake spool
 * and its own unix socket (portald), and writes signed bundles only to the outbox.
 * In production its unit has PrivateNetwork=yes: it cannot reach any network.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "fsio.h"
#include "http.h"
#include "jsonio.h"
#include "log.h"
#include "assemble.h"
#include "pipeline.h"
#include "scan.h"
#include "scanproc.h"
#include "spool.h"
#include "worker.h"

#define COMPONENT "sekisho-sanitized"
#define RELOAD_CHECK_S 60	/* how often a changed signature database is looked for */

static const struct config_key sanitized_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "intake_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "outbox_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "quarantine_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "signing_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "office_public_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "results_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "clamav_db", CONFIG_PATH, NULL, true, 0, 0 },
	{ "workers", CONFIG_INT, "2", false, 1, WORKER_MAX_THREADS },
	{ "dpi", CONFIG_INT, "150", false, RENDER_MIN_DPI, RENDER_MAX_DPI },
	{ "policy", CONFIG_STRING, "default", false, 0, 0 },
	/* "off" or languages such as "jpn+eng". Off by default: on dense pages Tesseract
	 * takes seconds per page (docs/sanitizer-performance.md), which citizens wait for. */
	{ "ocr", CONFIG_STRING, "off", false, 0, 0 },
	/* A one-page document's page read in bands by every free lane (docs/sanitizer-ocr.md,
	 * "A page in bands"); false: by one OCR child. */
	{ "ocr_bands", CONFIG_BOOL, "true", false, 0, 0 },
	/* The directory of the *.traineddata models; unset: Tesseract's own (Debian's
	 * tesseract-ocr-jpn, -jpn-vert and -eng). Loaded once at start (ocr.h,
	 * ocr_models). */
	{ "ocr_tessdata", CONFIG_PATH, NULL, false, 0, 0 },
	/* Zips only where the procedure's policy allows them (docs/sanitizer.md). */
	{ "allow_archives", CONFIG_BOOL, "false", false, 0, 0 },
	/* docx and xlsx kept editable, rebuilt with only allowed parts (the
	 * procedure's policy; docs/sanitizer.md); false: they become PDF. */
	{ "keep_ooxml", CONFIG_BOOL, "false", false, 0, 0 },
	/* Office files through a warm LibreOfficeKit converter, replaced after
	 * office_recycle files (docs/sanitizer.md); false: a fresh LibreOffice per file. */
	{ "office_warm", CONFIG_BOOL, "true", false, 0, 0 },
	{ "office_recycle", CONFIG_INT, "50", false, 1, 100000 },
	{ "office_converters", CONFIG_INT, "1", false, 1, OFFICEWARM_MAX_CONVERTERS },
	{ NULL },
};

struct sanitized {
	struct config *cfg;
	struct spool intake, outbox;
	uint8_t signing_key[CRYPTO_ED25519_LEN];
	struct keyring office_keys;	/* check procedure definitions (keyring.h) */
	uint8_t signing_pub[CRYPTO_ED25519_LEN];
	struct scanner *scanner;
	struct officewarm *office_warm;	/* NULL: a fresh LibreOffice per file */
	struct ocr_models *ocr_models;	/* NULL: OCR off, or each OCR child loads */
	struct worker_pool *workers;
};

static void
handle_healthz(struct http_request *req, void *app)
{
	struct sanitized *s = app;
	json_t *h = daemon_health_new(COMPONENT);
	const char *q = config_str(s->cfg, "quarantine_dir");
	char detail[PATH_MAX + 32], fp[17];

	daemon_health_spool(h, "spool.intake", &s->intake);
	daemon_health_spool(h, "spool.outbox", &s->outbox);
	daemon_health_path(h, "quarantine", q, W_OK);
	/* The key id lets an operator match this daemon to the key LGWAN verifies
	 * against (sekishoctl keys list), without revealing anything secret. */
	keyring_key_id(KEYRING_ED25519, s->signing_pub, fp);
	snprintf(detail, sizeof detail, "loaded at start, key id %s", fp);
	daemon_health_check(h, "key.sanitizer-signing", true, detail);
	unsigned sigs = 0, ver = 0, starts = 0;
	int abi = 0;
	pid_t pid = 0;
	scan_db_info(s->scanner, &sigs, &ver);
	snprintf(detail, sizeof detail, "libclamav %s, %u signatures (database version %u)",
		 scan_engine_version(), sigs, ver);
	daemon_health_check(h, "signatures", sigs > 0, detail);
	/* No scanner running is not a fault: one is started for the next file. */
	(void)scan_process_info(s->scanner, &pid, &starts, &abi);
	snprintf(detail, sizeof detail, "%s %s; %u started; %s", SCANPROC_PROGRAM,
		 pid > 0 ? "running" : "to be started on the next file", starts,
		 abi > 0 ? "Landlock enforced" : "no Landlock (kernel or filter)");
	daemon_health_check(h, "scanner", true, detail);
	json_t *m = worker_metrics(s->workers);
	snprintf(detail, sizeof detail, "%lld of %lld busy; %lld clean, %lld rejected, %lld errors",
		 (long long)json_integer_value(json_object_get(m, "busy")),
		 (long long)json_integer_value(json_object_get(m, "threads")),
		 (long long)json_integer_value(json_object_get(m, "clean")),
		 (long long)json_integer_value(json_object_get(m, "rejected")),
		 (long long)json_integer_value(json_object_get(m, "errors")));
	daemon_health_check(h, "workers", true, detail);
	json_decref(m);
	daemon_health_reply(req, h);
}

/* For portald: how an upload fares — queued, processing, or its result (verdict,
 * reason, Japanese message, type, pages, hashes). */
static void
handle_result(struct http_request *req, void *app)
{
	struct sanitized *s = app;
	json_t *r = worker_status(s->workers, http_req_param(req, "id"));

	if (r == NULL) {
		http_reply_error(req, 404, "unknown_upload",
				 "指定されたファイルは見つかりませんでした。もう一度添付してください。");
		return;
	}
	http_reply_json(req, 200, r);
}

#define PREVIEW_FILE_MAX (2 * 1024 * 1024)
#define MEMBER_N_MAX	 100000		/* a member's number in a preview path */

/* A preview file under results/ID/ (rel: "preview.png" or "members/N/preview.png")
 * as the reply. */
static void
reply_preview(struct http_request *req, struct sanitized *s, const char *id, const char *rel)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	struct stat st;
	int fd = -1;

	if (!spool_valid_id(id) ||
	    snprintf(path, sizeof path, "%s/%s/%s", config_str(s->cfg, "results_dir"), id, rel) >= (int)sizeof path ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > PREVIEW_FILE_MAX ||
	    (data = malloc((size_t)st.st_size)) == NULL ||
	    fsio_pread_all(fd, data, (size_t)st.st_size, 0) != 0) {
		if (fd >= 0)
			close(fd);
		free(data);
		http_reply_error(req, 404, "no_preview", "このファイルの確認用画像はありません。");
		return;
	}
	close(fd);
	http_reply_bytes(req, 200, "image/png", data, (size_t)st.st_size);
	free(data);
}

/* The first page of a clean upload, small, for the citizen's form (portald proxies). */
static void
handle_preview(struct http_request *req, void *app)
{
	reply_preview(req, app, http_req_param(req, "id"), "preview.png");
}

/* The first page of member N (from 1) of a clean archive upload. */
static void
handle_member_preview(struct http_request *req, void *app)
{
	const char *n = http_req_param(req, "n");
	char rel[48];
	char *end;
	long v;

	errno = 0;
	v = n ? strtol(n, &end, 10) : 0;
	if (n == NULL || errno != 0 || *end != '\0' || v < 1 || v > MEMBER_N_MAX) {
		http_reply_error(req, 404, "no_preview", "このファイルの確認用画像はありません。");
		return;
	}
	snprintf(rel, sizeof rel, "members/%ld/preview.png", v);
	reply_preview(req, app, http_req_param(req, "id"), rel);
}

static void
handle_metrics(struct http_request *req, void *app)
{
	struct sanitized *s = app;

	http_reply_json(req, 200, worker_metrics(s->workers));
}

/* For portald, on submission: sign the application (or, with "kind": "reply", an
 * applicant's reply) and its clean uploads into an uplink bundle in the outbox. 201
 * when made, 200 when it already was. */
static void
handle_bundle(struct http_request *req, void *app)
{
	struct sanitized *s = app;
	json_t *body = http_req_json(req);
	char err[512];
	int rc;

	if (body == NULL)
		return;
	if (strcmp(jsonio_str(body, "kind", "application"), "reply") == 0)
		rc = assemble_reply(body, config_str(s->cfg, "results_dir"), &s->outbox,
				    s->signing_key, err, sizeof err);
	else
		rc = assemble_bundle(body, config_str(s->cfg, "results_dir"), &s->outbox,
				     s->signing_key, &s->office_keys, err, sizeof err);
	switch (rc) {
	case ASSEMBLE_OK:
	case ASSEMBLE_EXISTS:
		log_info("bundle %s %s", jsonio_str(body, "id", "?"),
			 rc == ASSEMBLE_OK ? "signed into the outbox" : "was already assembled");
		http_reply_json(req, rc == ASSEMBLE_OK ? 201 : 200,
				json_pack("{s:s,s:s}", "bundle", jsonio_str(body, "id", ""),
					  "status", "queued"));
		return;
	case ASSEMBLE_ENOTCLEAN:
		log_warn("bundle %s refused: %s", jsonio_str(body, "id", "?"), err);
		http_reply_error(req, 409, "upload_not_clean",
				 "無害化が完了していないか、受け付けられなかったファイルがあります。"
				 "添付ファイルをご確認ください。");
		return;
	case ASSEMBLE_EPENDING:
		/* Not an error: portald asks again shortly (forwarder_retry_after). */
		log_info("bundle %s waits: %s", jsonio_str(body, "id", "?"), err);
		http_reply_error(req, 503, "ocr_pending",
				 "添付ファイルの文字認識（OCR）を行っています。しばらくお待ちください。");
		return;
	case ASSEMBLE_ENORECEIPT:
		log_warn("bundle %s refused: %s", jsonio_str(body, "id", "?"), err);
		http_reply_error(req, 409, "unknown_application",
				 "回答先の申請が見つかりません。到達番号をご確認ください。");
		return;
	case ASSEMBLE_EINVALID:
		log_warn("bundle request refused: %s", err);
		http_reply_error(req, 400, "invalid_submission",
				 "申請の内容を読み取れませんでした。もう一度お試しください。");
		return;
	default:
		log_err("bundle %s: %s", jsonio_str(body, "id", "?"), err);
		http_reply_error(req, 500, "internal",
				 "サーバーで問題が発生しました。しばらくしてからもう一度お試しください。");
	}
}

static const struct http_route sanitized_routes[] = {
	{ "POST", "/api/bundles", handle_bundle, 0, NULL },
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
	{ "GET", "/api/metrics", handle_metrics, 0, NULL },
	{ "GET", "/api/results/{id}", handle_result, 0, NULL },
	{ "GET", "/api/results/{id}/preview", handle_preview, 0, NULL },
	{ "GET", "/api/results/{id}/members/{n}/preview", handle_member_preview, 0, NULL },
};

/* The scanner process first, while this process holds no key yet: exec'd, it would
 * inherit none of our memory in any case, and this way not even a descriptor of the
 * key's file left open by mistake could reach it. */
static int
scanner_open(struct sanitized *s, char *err, size_t errlen)
{
	struct scan_limits slim;
	const char *path = config_str(s->cfg, "clamav_db");
	char why[512];
	pid_t pid;
	unsigned starts;
	int rc, abi;

	scan_limits_default(&slim);
	if ((rc = scan_spawn(&s->scanner, path, &slim, why, sizeof why)) != 0) {
		snprintf(err, errlen, "%s: cannot start the scanner: %s", path, why);
		return -1;
	}
	if (scan_process_info(s->scanner, &pid, &starts, &abi) != 0)
		return 0;
	if (abi > 0)
		log_info("scanner started: %s, pid %d, Landlock ABI %d", SCANPROC_PROGRAM,
			 (int)pid, abi);
	else
		log_warn("scanner started: %s, pid %d, without Landlock (the kernel has none, "
			 "or a system-call filter refuses it): seccomp and the unit's sandbox "
			 "only", SCANPROC_PROGRAM, (int)pid);
	return 0;
}

static int
sanitized_open(struct sanitized *s, char *err, size_t errlen)
{
	const char *path;
	int rc;

	if (scanner_open(s, err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&s->intake, s->cfg, "intake_spool", err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&s->outbox, s->cfg, "outbox_spool", err, errlen) != 0)
		return -1;
	path = config_str(s->cfg, "signing_key");
	if ((rc = crypto_key_load_private(path, CRYPTO_KEY_ED25519, s->signing_key)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	if ((rc = crypto_ed25519_public(s->signing_key, s->signing_pub)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	/* Definitions published before an office key rotation stay valid during its
	 * overlap (lib/keyring.h). */
	if (keyring_load(&s->office_keys, KEYRING_ED25519, config_str(s->cfg, "office_public_key"),
			 NULL, err, errlen) != 0)
		return -1;
	struct worker_config wc = {
		.intake = &s->intake,
		.results_dir = config_str(s->cfg, "results_dir"),
		.quarantine_dir = config_str(s->cfg, "quarantine_dir"),
		.threads = (unsigned)config_int(s->cfg, "workers"),
	};
	pipeline_config_default(&wc.pipeline);
	wc.pipeline.scanner = s->scanner;
	wc.pipeline.sign_key = s->signing_key;
	wc.pipeline.dpi = (unsigned)config_int(s->cfg, "dpi");
	wc.pipeline.policy = config_str(s->cfg, "policy");
	wc.pipeline.ocr = config_str(s->cfg, "ocr");
	wc.pipeline.ocr_bands = config_bool(s->cfg, "ocr_bands");
	wc.pipeline.ocr_tessdata = config_str(s->cfg, "ocr_tessdata");
	wc.pipeline.allow_archives = config_bool(s->cfg, "allow_archives");
	wc.pipeline.keep_ooxml = config_bool(s->cfg, "keep_ooxml");
	if (config_bool(s->cfg, "office_warm")) {
		struct officewarm_config oc;
		char werr[512];

		officewarm_config_default(&oc);
		oc.recycle_after = (unsigned)config_int(s->cfg, "office_recycle");
		oc.converters = (unsigned)config_int(s->cfg, "office_converters");
		/* Without it Office files still convert, each in a fresh LibreOffice. */
		if ((rc = officewarm_new(&oc, &s->office_warm, werr, sizeof werr)) != 0)
			log_warn("office: no warm converter (%s); a fresh LibreOffice per file",
				 werr);
		wc.pipeline.office_warm = s->office_warm;
	}
	if (strcmp(wc.pipeline.ocr, "off") != 0 && !ocr_langs_valid(wc.pipeline.ocr)) {
		snprintf(err, errlen, "ocr: \"%s\" is neither \"off\" nor languages like \"%s\"",
			 wc.pipeline.ocr, OCR_DEFAULT_LANGS);
		return -1;
	}
	/* The readers once, here, before any worker forks an OCR child (ocr.h). */
	if (strcmp(wc.pipeline.ocr, "off") != 0) {
		if ((rc = ocr_models_load(wc.pipeline.ocr_tessdata, wc.pipeline.ocr,
					  &s->ocr_models)) != 0)
			log_warn("ocr: the models for %s do not load (%s); each OCR child will "
				 "try on its own", wc.pipeline.ocr, strerror(-rc));
		else if (strstr(wc.pipeline.ocr, "jpn") != NULL &&
			 !ocr_models_vertical(s->ocr_models))
			log_warn("ocr: no jpn_vert model (tesseract-ocr-jpn-vert) beside %s; "
				 "pages written vertically are read across", wc.pipeline.ocr);
		wc.pipeline.ocr_models = s->ocr_models;
	}
	return worker_start(&s->workers, &wc, err, errlen);
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct sanitized s = { 0 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "File sanitizer (無害化) of Sekisho.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, sanitized_schema, args.config_path, &s.cfg) != 0)
		return 1;
	if (sanitized_open(&s, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(s.cfg, COMPONENT, &hc);
	if (http_server_start(&srv, &hc, sanitized_routes,
			      sizeof sanitized_routes / sizeof sanitized_routes[0], &s,
			      err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started, listening on %s", hc.unix_path);
	daemon_notify_ready("serving");

	time_t last_check = time(NULL);
	enum daemon_event ev;
	while ((ev = daemon_wait(1000)) != DAEMON_STOP) {
		/* freshclam replaces the database files; SIGHUP asks for a check now. */
		if (ev == DAEMON_RELOAD || time(NULL) - last_check >= RELOAD_CHECK_S) {
			last_check = time(NULL);
			if ((rc = scan_reload(s.scanner)) == 1)
				log_info("signature database reloaded");
			else if (rc < 0)
				log_err("signature database changed but cannot be loaded (%s); "
					"the previous one stays in use", strerror(-rc));
		}
	}

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	worker_stop(s.workers);
	officewarm_free(s.office_warm);
	ocr_models_free(s.ocr_models);
	scan_close(s.scanner);
	spool_close(&s.intake);
	spool_close(&s.outbox);
	explicit_bzero(s.signing_key, sizeof s.signing_key);
	config_free(s.cfg);
	return 0;
}
