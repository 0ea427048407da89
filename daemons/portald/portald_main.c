/*
 * portald_main.c — sekisho-portald, the internet zone's application server.
 *
 * Process layout: one process, three kinds of thread.
 *   main          takes signals and nothing else;
 *   http workers  (libmicrohttpd) run the API handlers: catalogue, uploads,
 *                 submissions, status;
 *   downlink      applies office-signed bundles from spool/downlink-in (catalogue,
 *                 status events);
 *   forwarder     asks the sanitizer to sign each committed application into an
 *                 uplink bundle.
 *
 * Trust boundary: every request comes from the internet, through the internet-zone
 * lighttpd, and is hostile. portald may touch only the internet zone: its tenant
 * databases (dmz/db), the intake spool where uploads wait for the sanitizer, the
 * downlink-in spool where LGWAN's signed messages arrive, and public keys (the
 * office's, to verify the downlink; the counter's QR key). It never holds the
 * sanitizer's signing key, so nothing it writes can pass for sanitized: files and
 * applications reach LGWAN only through sekisho-sanitized.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "addresses.h"
#include "applications.h"
#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "documents.h"
#include "downlink.h"
#include "drafts.h"
#include "forwarder.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "password.h"
#include "portal.h"
#include "portal_db.h"
#include "postal.h"
#include "procedures.h"
#include "spool.h"
#include "tenant.h"
#include "throttle.h"
#include "replies.h"
#include "uploads.h"

#define COMPONENT "sekisho-portald"

static const struct config_key portald_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "db_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "upload_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "intake_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "downlink_in_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "quarantine_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "sanitizer_socket", CONFIG_PATH, NULL, true, 0, 0 },
	{ "office_public_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "counter_qr_public_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "public_base_url", CONFIG_STRING, "http://localhost:8080", false, 0, 0 },
	{ "postal_db", CONFIG_PATH, NULL, false, 0, 0 },
	/* Applicant email. Without smtp_url it is queued and not sent. */
	{ "smtp_url", CONFIG_STRING, NULL, false, 0, 0 },
	{ "smtp_username", CONFIG_STRING, NULL, false, 0, 0 },
	{ "smtp_password_file", CONFIG_PATH, NULL, false, 0, 0 },
	{ "smtp_starttls", CONFIG_BOOL, "false", false, 0, 0 },
	{ "mail_from", CONFIG_STRING, "noreply@sekisho.invalid", false, 0, 0 },
	{ "mail_from_name", CONFIG_STRING, "電子申請サービス", false, 0, 0 },
	{ "mail_domain", CONFIG_STRING, "sekisho.invalid", false, 0, 0 },
	/* Citizen accounts (accounts.h, docs/operator-guide.md). */
	{ "cookie_secure", CONFIG_BOOL, "false", false, 0, 0 },
	{ "session_idle_timeout_s", CONFIG_INT, "1800", false, 2, 86400 },
	{ "session_absolute_timeout_s", CONFIG_INT, "86400", false, 60, 2592000 },
	{ "login_max_failures", CONFIG_INT, "5", false, 1, 100 },
	{ "login_window_s", CONFIG_INT, "900", false, 1, 86400 },
	{ "login_lockout_s", CONFIG_INT, "900", false, 1, 86400 },
	{ "login_ip_max_failures", CONFIG_INT, "100", false, 1, 1000000 },
	{ "login_rate_per_min", CONFIG_INT, "60", false, 1, 100000 },
	{ "login_rate_burst", CONFIG_INT, "20", false, 1, 100000 },
	/* Requests that send mail: registration, password reset, resume links. */
	{ "mail_rate_per_min", CONFIG_INT, "10", false, 1, 100000 },
	{ "mail_rate_burst", CONFIG_INT, "10", false, 1, 100000 },
	/* Submissions per client address: generous, see accounts.h. */
	{ "submit_rate_per_s", CONFIG_INT, "50", false, 1, 1000000 },
	{ "submit_rate_burst", CONFIG_INT, "200", false, 1, 1000000 },
	{ "verify_token_ttl_s", CONFIG_INT, "86400", false, 60, 2592000 },
	{ "reset_token_ttl_s", CONFIG_INT, "3600", false, 60, 604800 },
	{ "resume_link_ttl_days", CONFIG_INT, "7", false, 1, 90 },
	{ "draft_ttl_days", CONFIG_INT, "30", false, 1, 365 },
	/* How long an upload may wait for its submission: longer than a draft lives, so
	 * a resumed draft keeps its files; the sanitizer's results live a few days more
	 * (sekisho.tmpfiles) so that forwarding never finds them gone. */
	{ "upload_ttl_days", CONFIG_INT, "31", false, 1, 366 },
	{ "purge_interval_s", CONFIG_INT, "300", false, 1, 86400 },
	{ NULL },
};

struct portal_tenant *
portal_tenant(struct portald *p, const char *name)
{
	struct tenant *t;

	if (name == NULL || !tenant_name_valid(name) || (t = tenant_find(&p->tenants, name)) == NULL)
		return NULL;
	return &p->pt[t - p->tenants.t];
}

void
portal_kick_forwarder(struct portald *p)
{
	pthread_mutex_lock(&p->forward_mu);
	p->forward_kick = true;
	pthread_cond_signal(&p->forward_cv);
	pthread_mutex_unlock(&p->forward_mu);
}

static void
handle_healthz(struct http_request *req, void *app)
{
	struct portald *p = app;
	json_t *h = daemon_health_new(COMPONENT);

	tenant_set_health(&p->tenants, h);
	daemon_health_spool(h, "spool.intake", &p->intake);
	daemon_health_spool(h, "spool.downlink-in", &p->downlink_in);
	daemon_health_socket(h, "sanitizer", p->sanitizer_socket);
	daemon_health_path(h, "quarantine", config_str(p->cfg, "quarantine_dir"), W_OK);
	daemon_health_check(h, "key.office-public", true, "loaded at start");
	daemon_health_check(h, "key.counter-qr-public", true, "loaded at start");
	daemon_health_reply(req, h);
}

static void
handle_metrics(struct http_request *req, void *app)
{
	struct portald *p = app;
	json_t *m = json_object(), *gc = json_object();
	size_t i;

	if (p->downlink)
		json_object_set_new(m, "downlink", downlink_metrics(p->downlink));
	for (i = 0; i < p->tenants.n; i++) {
		struct groupcommit *g = &p->pt[i].gc;

		pthread_mutex_lock(&g->mu);
		json_object_set_new(gc, p->tenants.t[i].name,
				    json_pack("{s:I,s:I}", "batches", (json_int_t)g->batches,
					      "jobs", (json_int_t)g->jobs));
		pthread_mutex_unlock(&g->mu);
	}
	json_object_set_new(m, "group_commit", gc);
	http_reply_json(req, 200, m);
}

static const struct http_route portald_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
	{ "GET", "/api/metrics", handle_metrics, 0, NULL },
	{ "GET", "/api/v1/{tenant}/procedures", procedures_handle_list, 0, NULL },
	{ "GET", "/api/v1/{tenant}/procedures/{id}", procedures_handle_get, 0, NULL },
	{ "GET", "/api/v1/{tenant}/procedures/{id}/qr.png", procedures_handle_qr_png, 0, NULL },
	{ "GET", "/api/v1/{tenant}/procedures/{id}/files/{n}", procedures_handle_file, 0, NULL },
	{ "GET", "/api/v1/{tenant}/procedures/{id}/qr.svg", procedures_handle_qr_svg, 0, NULL },
	{ "GET", "/api/v1/{tenant}/postal-codes/{code}", addresses_handle_lookup, 0, NULL },
	{ "POST", "/api/v1/{tenant}/procedures/{id}/applications",
	  applications_handle_submit, 0, NULL },
	{ "GET", "/api/v1/{tenant}/applications/{receipt_no}", applications_handle_status, 0,
	  NULL },
	{ "POST", "/api/v1/{tenant}/applications/{receipt_no}/replies", replies_handle_post, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/applications/{receipt_no}/documents", documents_handle_list, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/applications/{receipt_no}/documents/{n}", documents_handle_get,
	  0, NULL },
	{ "POST", "/api/v1/{tenant}/uploads", uploads_handle_post, HTTP_ROUTE_UPLOAD,
	  uploads_limits },
	{ "GET", "/api/v1/{tenant}/uploads/{upload_id}", uploads_handle_get, 0, NULL },
	{ "GET", "/api/v1/{tenant}/uploads/{upload_id}/preview", uploads_handle_preview, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/uploads/{upload_id}/members/{n}/preview",
	  uploads_handle_member_preview, 0, NULL },
	{ "GET", "/api/v1/{tenant}/procedures/{id}/prefill", applications_handle_prefill, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/register", accounts_handle_register, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/verify", accounts_handle_verify, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/login", accounts_handle_login, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/logout", accounts_handle_logout, 0, NULL },
	{ "GET", "/api/v1/{tenant}/account", accounts_handle_me, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/account/profile", accounts_handle_profile, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/password", accounts_handle_password, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/email", accounts_handle_email, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/delete", accounts_handle_delete, 0, NULL },
	{ "POST", "/api/v1/{tenant}/account/password-reset", accounts_handle_reset_request, 0,
	  NULL },
	{ "POST", "/api/v1/{tenant}/account/password-reset/confirm", accounts_handle_reset_confirm,
	  0, NULL },
	{ "GET", "/api/v1/{tenant}/account/applications", applications_handle_mine, 0, NULL },
	{ "GET", "/api/v1/{tenant}/drafts", drafts_handle_list, 0, NULL },
	{ "POST", "/api/v1/{tenant}/drafts/resume-link", drafts_handle_resume_link, 0, NULL },
	{ "POST", "/api/v1/{tenant}/drafts/resume", drafts_handle_resume, 0, NULL },
	{ "GET", "/api/v1/{tenant}/drafts/{id}", drafts_handle_get, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/drafts/{id}", drafts_handle_put, 0, NULL },
	{ "DELETE", "/api/v1/{tenant}/drafts/{id}", drafts_handle_delete, 0, NULL },
};

#define RATE_KEYS ACCOUNT_RATE_KEYS

static void
read_settings(struct portald *p)
{
	const struct config *c = p->cfg;
	struct portal_settings *s = &p->set;

	s->cookie_secure = config_bool(c, "cookie_secure");
	s->idle_s = (unsigned)config_int(c, "session_idle_timeout_s");
	s->absolute_s = (unsigned)config_int(c, "session_absolute_timeout_s");
	s->login = (struct throttle_policy){ (unsigned)config_int(c, "login_max_failures"),
					     (unsigned)config_int(c, "login_window_s"),
					     (unsigned)config_int(c, "login_lockout_s") };
	s->ip = (struct throttle_policy){ (unsigned)config_int(c, "login_ip_max_failures"),
					  (unsigned)config_int(c, "login_window_s"),
					  (unsigned)config_int(c, "login_lockout_s") };
	s->verify_ttl_s = (unsigned)config_int(c, "verify_token_ttl_s");
	s->reset_ttl_s = (unsigned)config_int(c, "reset_token_ttl_s");
	s->resume_ttl_s = (unsigned)config_int(c, "resume_link_ttl_days") * 86400u;
	s->draft_ttl_s = (unsigned)config_int(c, "draft_ttl_days") * 86400u;
	s->upload_ttl_s = (unsigned)config_int(c, "upload_ttl_days") * 86400u;
}

static int
start_limiters(struct portald *p, char *err, size_t errlen)
{
	const struct config *c = p->cfg;

	p->login_rl = ratelimit_new(RATE_KEYS, config_int(c, "login_rate_per_min") / 60.0,
				    (double)config_int(c, "login_rate_burst"));
	p->mail_rl = ratelimit_new(RATE_KEYS, config_int(c, "mail_rate_per_min") / 60.0,
				   (double)config_int(c, "mail_rate_burst"));
	p->submit_rl = ratelimit_new(RATE_KEYS, (double)config_int(c, "submit_rate_per_s"),
				     (double)config_int(c, "submit_rate_burst"));
	if (p->login_rl == NULL || p->mail_rl == NULL || p->submit_rl == NULL) {
		snprintf(err, errlen, "rate limiters: out of memory");
		return -1;
	}
	return 0;
}

static int
load_key(const struct config *cfg, const char *key, enum crypto_key_kind kind,
	 uint8_t out[32], char *err, size_t errlen)
{
	const char *path = config_str(cfg, key);
	int rc;

	if ((rc = crypto_key_load_public(path, kind, out)) != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	return 0;
}

static int
portald_open(struct portald *p, char *err, size_t errlen)
{
	const char *path;
	size_t i;

	if (tenant_set_open(&p->tenants, config_str(p->cfg, "db_dir"), portal_db_migrations,
			    portal_db_nmigrations, err, errlen) != 0)
		return -1;
	if ((p->pt = calloc(p->tenants.n ? p->tenants.n : 1, sizeof *p->pt)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < p->tenants.n; i++) {
		p->pt[i].t = &p->tenants.t[i];
		if (groupcommit_init(&p->pt[i].gc, p->tenants.t[i].db, &p->tenants.t[i].lock) != 0 ||
		    proccache_init(&p->pt[i].procs) != 0) {
			snprintf(err, errlen, "tenant %s: group commit: %s", p->tenants.t[i].name,
				 strerror(errno));
			return -1;
		}
	}
	if (daemon_open_spool(&p->intake, p->cfg, "intake_spool", err, errlen) != 0 ||
	    daemon_open_spool(&p->downlink_in, p->cfg, "downlink_in_spool", err, errlen) != 0)
		return -1;
	if (load_key(p->cfg, "counter_qr_public_key", CRYPTO_KEY_X25519, p->counter_qr_pub, err,
		     errlen) != 0 ||
	    keyring_load(&p->office_keys, KEYRING_ED25519, config_str(p->cfg, "office_public_key"),
			 NULL, err, errlen) != 0)
		return -1;
	/* The postal database is optional: without it citizens type their address. */
	path = config_str(p->cfg, "postal_db");
	if (path != NULL && *path != '\0' && access(path, F_OK) == 0 &&
	    postal_open(&p->postal, path, err, errlen) != 0)
		return -1;
	if (p->postal == NULL)
		log_warn("no postal database%s%s: postal-code look-up is off",
			 path && *path ? " at " : "", path ? path : "");
	p->db_dir = config_str(p->cfg, "db_dir");
	p->sanitizer_socket = config_str(p->cfg, "sanitizer_socket");
	p->public_base_url = config_str(p->cfg, "public_base_url");
	read_settings(p);
	if (start_limiters(p, err, errlen) != 0)
		return -1;
	pthread_mutex_init(&p->forward_mu, NULL);
	pthread_cond_init(&p->forward_cv, NULL);
	/* Against this, a status look-up for an unknown 到達番号 costs what a known one
	 * does. The password is random and thrown away. */
	{
		char pw[33];

		if (password_generate(pw, sizeof pw, 32) != 0 ||
		    password_hash(pw, p->dummy_password_hash) != 0) {
			snprintf(err, errlen, "cannot prepare password hashing");
			return -1;
		}
	}
	return 0;
}

static void
portald_close(struct portald *p)
{
	size_t i;

	for (i = 0; p->pt && i < p->tenants.n; i++) {
		groupcommit_destroy(&p->pt[i].gc);
		proccache_destroy(&p->pt[i].procs);
	}
	free(p->pt);
	ratelimit_free(p->login_rl);
	ratelimit_free(p->mail_rl);
	ratelimit_free(p->submit_rl);
	postal_close(p->postal);
	spool_close(&p->intake);
	spool_close(&p->downlink_in);
	tenant_set_close(&p->tenants);
	pthread_cond_destroy(&p->forward_cv);
	pthread_mutex_destroy(&p->forward_mu);
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct portald p = { 0 };
	struct forwarder *forwarder = NULL;
	struct mailer *mailer = NULL;
	struct janitor *janitor = NULL;
	struct mail_smtp_config smtp = { 0 };
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "Internet-zone application server of Sekisho.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, portald_schema, args.config_path, &p.cfg) != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (portald_open(&p, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	if (downlink_start(&p.downlink, &p, config_str(p.cfg, "quarantine_dir"), err,
			   sizeof err) != 0 ||
	    forwarder_start(&forwarder, &p, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	smtp.url = config_str(p.cfg, "smtp_url");
	smtp.from_addr = config_str(p.cfg, "mail_from");
	smtp.from_name = config_str(p.cfg, "mail_from_name");
	smtp.helo_domain = config_str(p.cfg, "mail_domain");
	smtp.username = config_str(p.cfg, "smtp_username");
	smtp.password_file = config_str(p.cfg, "smtp_password_file");
	smtp.starttls = config_bool(p.cfg, "smtp_starttls");
	if (mailer_start(&mailer, &p, &smtp, err, sizeof err) != 0 ||
	    accounts_janitor_start(&janitor, &p, (unsigned)config_int(p.cfg, "purge_interval_s"),
				   err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(p.cfg, COMPONENT, &hc);
	hc.upload_dir = config_str(p.cfg, "upload_dir");
	if (http_server_start(&srv, &hc, portald_routes,
			      sizeof portald_routes / sizeof portald_routes[0], &p,
			      err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started: %zu tenants, listening on %s", p.tenants.n, hc.unix_path);
	daemon_notify_ready("serving");

	while (daemon_wait(1000) != DAEMON_STOP)
		;

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	mailer_stop(mailer);
	accounts_janitor_stop(janitor);
	forwarder_stop(forwarder);
	downlink_stop(p.downlink);
	p.downlink = NULL;
	portald_close(&p);
	config_free(p.cfg);
	curl_global_cleanup();
	return 0;
}
