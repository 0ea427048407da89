/*
 * officed_main.c — sekisho-officed, the LGWAN zone's application server.
 *
 * Process layout: one process. The main thread takes signals and, every
 * status_batch_s, sends the status events of applications down the downlink in
 * one bundle per tenant (status_out.h), and now and then purges expired sessions;
 * libmicrohttpd's worker threads run the staff and counter API handlers; the
 * importer's thread takes bundles from the inbox.
 *
 * Trust boundary: requests come from LGWAN terminals through the LGWAN-zone lighttpd.
 * What came from the internet reaches officed only as bundles in spool/inbox, which
 * bridge-rx has already verified and which officed verifies again (with the
 * sanitizer's *public* key) before importing. officed holds the office signing key
 * (every downlink message) and the counter's QR private key; nothing in the internet
 * zone can read either.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "audit_search.h"
#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "importer.h"
#include "log.h"
#include "mail_sender.h"
#include "office.h"
#include "office_api.h"
#include "office_applications.h"
#include "office_auth.h"
#include "office_db.h"
#include "office_documents.h"
#include "office_export.h"
#include "office_procedures.h"
#include "office_proctest.h"
#include "office_procfiles.h"
#include "office_staff.h"
#include "office_stats.h"
#include "pades.h"
#include "spool.h"
#include "status_out.h"
#include "tenant.h"
#include "throttle.h"

#define COMPONENT "sekisho-officed"

static const struct config_key officed_schema[] = {
	DAEMON_CONFIG_KEYS,
	{ "db_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "upload_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "inbox_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "downlink_out_spool", CONFIG_PATH, NULL, true, 0, 0 },
	{ "office_signing_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "sanitizer_public_key", CONFIG_PATH, NULL, true, 0, 0 },
	{ "counter_qr_private_key", CONFIG_PATH, NULL, true, 0, 0 },
	/* The staff document-signing certificate (PAdES) of issued documents; without
	 * it officed runs and refuses to issue (503). */
	{ "document_signing_key", CONFIG_PATH, NULL, false, 0, 0 },
	{ "document_signing_cert", CONFIG_PATH, NULL, false, 0, 0 },
	{ "bundles_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "quarantine_dir", CONFIG_PATH, NULL, true, 0, 0 },
	{ "receipt_interval_s", CONFIG_INT, "60", false, 1, 3600 },
	{ "receipt_window_s", CONFIG_INT, "86400", false, 60, 2592000 },
	/* Staff sign-in (see office_auth.h and docs/operator-guide.md). */
	{ "cookie_secure", CONFIG_BOOL, "false", false, 0, 0 },
	{ "staff_idle_timeout_s", CONFIG_INT, "1800", false, 2, 86400 },
	{ "staff_absolute_timeout_s", CONFIG_INT, "43200", false, 60, 604800 },
	{ "login_max_failures", CONFIG_INT, "5", false, 1, 100 },
	{ "login_window_s", CONFIG_INT, "900", false, 1, 86400 },
	{ "login_lockout_s", CONFIG_INT, "900", false, 1, 86400 },
	{ "login_ip_max_failures", CONFIG_INT, "100", false, 1, 1000000 },
	{ "login_rate_per_min", CONFIG_INT, "120", false, 1, 100000 },
	{ "admin_password_max_age_days", CONFIG_INT, "180", false, 1, 3650 },
	{ "password_reminder_days", CONFIG_INT, "14", false, 0, 365 },
	{ "setup_code_ttl_days", CONFIG_INT, "14", false, 1, 90 },
	/* Status events wait this long to travel together in one bundle. */
	{ "status_batch_s", CONFIG_INT, "2", false, 1, 3600 },
	/* Email to staff (staff_notify.h) through the LGWAN mail relay. Without
	 * smtp_url it is queued and not sent. */
	{ "smtp_url", CONFIG_STRING, NULL, false, 0, 0 },
	{ "smtp_username", CONFIG_STRING, NULL, false, 0, 0 },
	{ "smtp_password_file", CONFIG_PATH, NULL, false, 0, 0 },
	{ "smtp_starttls", CONFIG_BOOL, "false", false, 0, 0 },
	{ "mail_from", CONFIG_STRING, "noreply@sekisho.invalid", false, 0, 0 },
	{ "mail_from_name", CONFIG_STRING, "電子申請（職員向け通知）", false, 0, 0 },
	{ "mail_domain", CONFIG_STRING, "sekisho.invalid", false, 0, 0 },
	/* Where staff open the staff screens, for links in their email; "" for none. */
	{ "staff_base_url", CONFIG_STRING, "", false, 0, 0 },
	{ NULL },
};

#define LOGIN_RATE_KEYS  4096	/* client addresses remembered by the login limiter */
#define LOGIN_RATE_BURST 20.0
#define PURGE_EVERY_S    600
#define MAIL_INTERVAL_MS   2000
#define MAIL_PRUNE_AFTER_S (90L * 24 * 3600)	/* sent/failed rows kept for audit */

static void
handle_healthz(struct http_request *req, void *app)
{
	struct officed *o = app;
	json_t *h = daemon_health_new(COMPONENT);

	tenant_set_health(&o->tenants, h);
	daemon_health_spool(h, "spool.inbox", &o->inbox);
	daemon_health_spool(h, "spool.downlink-out", &o->downlink_out);
	daemon_health_check(h, "key.office-signing", true, "loaded at start");
	daemon_health_check(h, "key.sanitizer-public", true, "loaded at start");
	daemon_health_check(h, "key.counter-qr-private", true, "loaded at start");
	daemon_health_check(h, "key.document-signing", true, o->doc_signer ? "loaded at start"
			    : "not configured: documents cannot be issued");
	json_t *m = importer_metrics(o->importer);
	char detail[200];
	snprintf(detail, sizeof detail, "%lld imported, %lld replies, %lld deferred, "
		 "%lld duplicates, %lld quarantined, %lld receipts written, %lld errors",
		 (long long)json_integer_value(json_object_get(m, "imported")),
		 (long long)json_integer_value(json_object_get(m, "replies")),
		 (long long)json_integer_value(json_object_get(m, "deferred")),
		 (long long)json_integer_value(json_object_get(m, "duplicates")),
		 (long long)json_integer_value(json_object_get(m, "quarantined")),
		 (long long)json_integer_value(json_object_get(m, "receipts_written")),
		 (long long)json_integer_value(json_object_get(m, "errors")));
	daemon_health_check(h, "import", true, detail);
	json_decref(m);
	daemon_health_reply(req, h);
}

/* Staff API: everything under /api/v1/{tenant}/staff/ passes office_authz_begin,
 * except login and setup, which are how a session starts. The data-linking API
 * (/api/v1/{tenant}/applications...) takes API keys, not sessions: office_api.h. */
static const struct http_route officed_routes[] = {
	{ "GET", "/api/healthz", handle_healthz, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/login", office_handle_login, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/logout", office_handle_logout, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/me", office_handle_me, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/password", office_handle_password, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/setup", office_handle_setup, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/departments", office_handle_departments_list, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/departments", office_handle_departments_create, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/staff/accounts", office_handle_accounts_list, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/accounts", office_handle_accounts_create, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/staff/accounts/{login}/departments",
	  office_handle_account_departments, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/staff/accounts/{login}/role", office_handle_account_role, 0,
	  NULL },
	{ "POST", "/api/v1/{tenant}/staff/import", office_handle_import, HTTP_ROUTE_UPLOAD,
	  office_import_limits },
	{ "GET", "/api/v1/{tenant}/staff/export", office_handle_export, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/procedures", office_handle_procedures_list, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/procedures", office_handle_procedures_create, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/procedures/import", office_handle_procedures_import, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}",
	  office_handle_procedure_get, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}",
	  office_handle_procedure_update, 0, NULL },
	/* Files for procedures (office_procfiles.h): the documents' upload limits (one
	 * file of at most 10 MiB, session and CSRF checked before the body) fit. */
	{ "POST", "/api/v1/{tenant}/staff/procedure-files", office_handle_procedure_file_upload,
	  HTTP_ROUTE_UPLOAD, office_documents_upload_limits },
	{ "DELETE", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}",
	  office_handle_procedure_delete, 0, NULL },
	/* Test versions (office_proctest.h). */
	{ "POST", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}/test",
	  office_handle_procedure_test_publish, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}/test",
	  office_handle_procedure_test_get, 0, NULL },
	{ "DELETE", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}/test/applications",
	  office_handle_procedure_test_delete_apps, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}/publish",
	  office_handle_procedure_publish, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}/copy",
	  office_handle_procedure_copy, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/procedures/{id}/versions/{version}/export",
	  office_handle_procedure_export, 0, NULL },
	/* Literal paths before "{receipt}": the first route that matches serves. */
	{ "GET", "/api/v1/{tenant}/staff/applications", office_handle_applications_list, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/applications/export.csv", office_handle_applications_csv,
	  0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/applications/bulk", office_handle_applications_bulk, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/staff/applications/{receipt}", office_handle_application_get, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/staff/applications/{receipt}/files/{n}",
	  office_handle_application_file, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/applications/{receipt}/comments",
	  office_handle_application_comment, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/staff/applications/{receipt}/assignee",
	  office_handle_application_assignee, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/applications/{receipt}/transitions",
	  office_handle_application_transition, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/applications/{receipt}/messages",
	  office_handle_application_message, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/applications/{receipt}/replies/{reply}/files/{n}",
	  office_handle_application_reply_file, 0, NULL },
	/* Issued documents (交付文書, office_documents.h). */
	{ "GET", "/api/v1/{tenant}/staff/documents/settings",
	  office_handle_documents_settings_get, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/staff/documents/settings",
	  office_handle_documents_settings_put, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/documents/seal", office_handle_documents_seal,
	  HTTP_ROUTE_UPLOAD, office_documents_upload_limits },
	{ "GET", "/api/v1/{tenant}/staff/documents/templates",
	  office_handle_document_templates_list, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/documents/templates",
	  office_handle_document_templates_create, 0, NULL },
	{ "PUT", "/api/v1/{tenant}/staff/documents/templates/{id}",
	  office_handle_document_template_update, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/documents/bulk", office_handle_documents_bulk,
	  HTTP_ROUTE_UPLOAD, office_documents_upload_limits },
	{ "GET", "/api/v1/{tenant}/staff/applications/{receipt}/documents",
	  office_handle_application_documents_list, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/applications/{receipt}/documents",
	  office_handle_application_document_issue, 0, NULL },
	{ "POST", "/api/v1/{tenant}/staff/applications/{receipt}/documents/upload",
	  office_handle_application_document_upload, HTTP_ROUTE_UPLOAD,
	  office_documents_upload_limits },
	{ "GET", "/api/v1/{tenant}/staff/applications/{receipt}/documents/{n}",
	  office_handle_application_document_get, 0, NULL },
	/* Exports, statistics and the audit log's search (staff sessions). */
	{ "GET", "/api/v1/{tenant}/staff/exports/columns", office_handle_export_columns, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/exports/applications.csv", office_handle_export_csv, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/staff/exports/attachments.zip", office_handle_export_zip, 0,
	  NULL },
	{ "GET", "/api/v1/{tenant}/staff/stats", office_handle_stats, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/stats.csv", office_handle_stats_csv, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/audit", office_handle_audit_search, 0, NULL },
	{ "GET", "/api/v1/{tenant}/staff/audit.csv", office_handle_audit_csv, 0, NULL },
	/* The data-linking API: API keys (office_api.h), no session. */
	{ "GET", "/api/v1/{tenant}/applications", office_api_list, 0, NULL },
	{ "GET", "/api/v1/{tenant}/applications/{receipt}", office_api_get, 0, NULL },
	{ "GET", "/api/v1/{tenant}/applications/{receipt}/attachments/{n}", office_api_attachment,
	  0, NULL },
	{ "GET", "/api/v1/{tenant}/applications/{receipt}/attachments/{n}/attestation",
	  office_api_attestation, 0, NULL },
	{ "POST", "/api/v1/{tenant}/applications/{receipt}/links", office_api_link, 0, NULL },
};

static void
read_settings(struct officed *o)
{
	const struct config *c = o->cfg;
	struct office_settings *s = &o->set;

	s->idle_s = (unsigned)config_int(c, "staff_idle_timeout_s");
	s->absolute_s = (unsigned)config_int(c, "staff_absolute_timeout_s");
	s->cookie_secure = config_bool(c, "cookie_secure");
	s->login = (struct throttle_policy){ (unsigned)config_int(c, "login_max_failures"),
					     (unsigned)config_int(c, "login_window_s"),
					     (unsigned)config_int(c, "login_lockout_s") };
	s->ip = (struct throttle_policy){ (unsigned)config_int(c, "login_ip_max_failures"),
					  (unsigned)config_int(c, "login_window_s"),
					  (unsigned)config_int(c, "login_lockout_s") };
	s->admin_password_max_age_s = (unsigned)config_int(c, "admin_password_max_age_days") * 86400u;
	s->password_reminder_s = (unsigned)config_int(c, "password_reminder_days") * 86400u;
	s->setup_ttl_s = (unsigned)config_int(c, "setup_code_ttl_days") * 86400u;
}

/* Timed-out sessions and spent lockout rows are only ever refused when seen; this
 * removes the ones never seen again, so the tables stay the size of what is live. */
static void
purge_expired(struct officed *o)
{
	for (size_t i = 0; i < o->tenants.n; i++) {
		struct tenant *t = &o->tenants.t[i];
		struct session_config sc = { .idle_s = o->set.idle_s, .absolute_s = o->set.absolute_s };
		time_t now = time(NULL);

		pthread_mutex_lock(&t->lock);
		if (session_purge(t->db, &sc, now) < 0 || throttle_purge(t->db, &o->set.login, now) < 0)
			log_warn("tenant %s: purge of sessions and lockouts: %s", t->name,
				 db_errmsg(t->db));
		pthread_mutex_unlock(&t->lock);
	}
}

/* Each tenant's waiting status events as one bundle (or more, past 1,000), and its
 * issued documents not yet sent, one bundle each. */
static void
send_status(struct officed *o)
{
	char err[512];

	for (size_t i = 0; i < o->tenants.n; i++) {
		if (status_out_flush(&o->tenants.t[i], &o->downlink_out, o->office_key, time(NULL),
				     err, sizeof err) < 0)
			log_err("tenant %s: status events: %s", o->tenants.t[i].name, err);
		if (documents_out_flush(&o->tenants.t[i], &o->downlink_out, o->office_key,
					time(NULL), err, sizeof err) < 0)
			log_err("tenant %s: issued documents: %s", o->tenants.t[i].name, err);
	}
}

/* The hash verified when a login names no account: of a random password nobody
 * knows, made at start so that it has the current parameters. */
static int
make_dummy_hash(struct officed *o, char *err, size_t errlen)
{
	char pw[33];

	if (password_generate(pw, sizeof pw, 32) != 0 || password_hash(pw, o->dummy_hash) != 0) {
		snprintf(err, errlen, "cannot make the dummy password hash");
		return -1;
	}
	explicit_bzero(pw, sizeof pw);
	return 0;
}

static int
load_key(int rc, const char *path, char *err, size_t errlen)
{
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
	return rc;
}

static int
officed_open(struct officed *o, char *err, size_t errlen)
{
	const struct config *c = o->cfg;
	const char *path;

	read_settings(o);
	if (make_dummy_hash(o, err, errlen) != 0)
		return -1;
	o->login_rl = ratelimit_new(LOGIN_RATE_KEYS, (double)config_int(c, "login_rate_per_min") / 60.0,
				    LOGIN_RATE_BURST);
	if (o->login_rl == NULL) {
		snprintf(err, errlen, "cannot make the login rate limiter");
		return -1;
	}
	if (tenant_set_open(&o->tenants, config_str(c, "db_dir"), office_db_migrations,
			    office_db_nmigrations, err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&o->inbox, c, "inbox_spool", err, errlen) != 0)
		return -1;
	if (daemon_open_spool(&o->downlink_out, c, "downlink_out_spool", err, errlen) != 0)
		return -1;
	path = config_str(c, "office_signing_key");
	if (load_key(crypto_key_load_private(path, CRYPTO_KEY_ED25519, o->office_key),
		     path, err, errlen))
		return -1;
	/* Bundles sanitized before a rotation still import during its overlap. */
	if (keyring_load(&o->sanitizer_ring, KEYRING_ED25519,
			 config_str(c, "sanitizer_public_key"), NULL, err, errlen) != 0)
		return -1;
	log_info("officed: sanitizer key %s (%zu retired)", o->sanitizer_ring.k[0].id,
		 o->sanitizer_ring.n - 1);
	path = config_str(c, "counter_qr_private_key");
	if (load_key(crypto_key_load_private(path, CRYPTO_KEY_X25519, o->counter_qr_key),
		     path, err, errlen))
		return -1;
	if (config_str(c, "document_signing_key") != NULL &&
	    config_str(c, "document_signing_cert") != NULL &&
	    pades_signer_load(&o->doc_signer, config_str(c, "document_signing_key"),
			      config_str(c, "document_signing_cert"), err, errlen) != 0)
		return -1;
	if (o->doc_signer == NULL)
		log_warn("no document_signing_key/document_signing_cert: documents cannot be issued");
	struct importer_config ic = {
		.tenants = &o->tenants,
		.inbox = &o->inbox,
		.downlink_out = &o->downlink_out,
		.bundles_dir = config_str(c, "bundles_dir"),
		.quarantine_dir = config_str(c, "quarantine_dir"),
		.sanitizer_ring = &o->sanitizer_ring,
		.office_key = o->office_key,
		.receipt_interval_s = (unsigned)config_int(c, "receipt_interval_s"),
		.receipt_window_s = (unsigned)config_int(c, "receipt_window_s"),
		.staff_base_url = config_str(c, "staff_base_url"),
	};
	return importer_start(&o->importer, &ic, err, errlen);
}

/* The sender of staff email, with its own connection to each tenant's database. */
static int
start_mail(struct officed *o, struct mail_sender **out, const char ***names, char *err,
	   size_t errlen)
{
	struct mail_smtp_config smtp = {
		.url = config_str(o->cfg, "smtp_url"),
		.from_addr = config_str(o->cfg, "mail_from"),
		.from_name = config_str(o->cfg, "mail_from_name"),
		.helo_domain = config_str(o->cfg, "mail_domain"),
		.username = config_str(o->cfg, "smtp_username"),
		.password_file = config_str(o->cfg, "smtp_password_file"),
		.starttls = config_bool(o->cfg, "smtp_starttls"),
	};
	size_t n = smtp.url ? o->tenants.n : 0, i;
	struct db **dbs = calloc(n ? n : 1, sizeof *dbs);
	char path[PATH_MAX];

	*names = calloc(n ? n : 1, sizeof **names);
	if (dbs == NULL || *names == NULL) {
		snprintf(err, errlen, "mail: out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		(*names)[i] = o->tenants.t[i].name;
		if (tenant_db_path(config_str(o->cfg, "db_dir"), o->tenants.t[i].name, path,
				   sizeof path) != 0 ||
		    db_open(&dbs[i], path, 0, office_db_migrations, office_db_nmigrations, err,
			    errlen) != 0)
			goto fail;
	}
	return mail_sender_start(out, &smtp, dbs, *names, n, MAIL_INTERVAL_MS, MAIL_PRUNE_AFTER_S,
				 err, errlen);
fail:
	for (i = 0; dbs && i < n; i++)
		db_close(dbs[i]);
	free(dbs);
	return -1;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	struct officed o = { 0 };
	struct mail_sender *mail = NULL;
	const char **mail_names = NULL;
	struct http_config hc;
	struct http_server *srv = NULL;
	char err[1024];
	int rc;

	if ((rc = daemon_parse_args(argc, argv, COMPONENT,
				    "LGWAN-zone application server of Sekisho.", &args)) != 0)
		return rc > 0 ? 0 : 2;
	daemon_block_signals();
	if (daemon_load_config(COMPONENT, officed_schema, args.config_path, &o.cfg) != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (officed_open(&o, err, sizeof err) != 0 ||
	    start_mail(&o, &mail, &mail_names, err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	daemon_http_config(o.cfg, COMPONENT, &hc);
	hc.upload_dir = config_str(o.cfg, "upload_dir");
	if (http_server_start(&srv, &hc, officed_routes,
			      sizeof officed_routes / sizeof officed_routes[0], &o,
			      err, sizeof err) != 0) {
		log_err("cannot start: %s", err);
		return 1;
	}
	log_info("started: %zu tenants, listening on %s", o.tenants.n, hc.unix_path);
	daemon_notify_ready("serving");

	unsigned batch = (unsigned)config_int(o.cfg, "status_batch_s");

	for (unsigned tick = 1; daemon_wait(1000) != DAEMON_STOP; tick++) {
		if (tick % batch == 0)
			send_status(&o);
		if (tick % PURGE_EVERY_S == 0)
			purge_expired(&o);
	}
	send_status(&o);

	daemon_notify_stopping();
	log_info("stopping");
	http_server_stop(srv);
	importer_stop(o.importer);
	mail_sender_stop(mail);
	free(mail_names);
	spool_close(&o.inbox);
	spool_close(&o.downlink_out);
	tenant_set_close(&o.tenants);
	ratelimit_free(o.login_rl);
	pades_signer_free(o.doc_signer);
	explicit_bzero(o.office_key, sizeof o.office_key);
	explicit_bzero(o.counter_qr_key, sizeof o.counter_qr_key);
	config_free(o.cfg);
	curl_global_cleanup();
	return 0;
}
