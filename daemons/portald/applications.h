/*
 * applications.h — submissions (申請) and their status, on the internet side.
 *
 * A submission is validated by the one form validator against the procedure's
 * current version, its files must all have a clean verdict from the sanitizer, and it
 * is then committed through the tenant's group committer together with its 到達番号,
 * its first event (到達) and its Idempotency-Key. Only after that commit (one fsync
 * shared with the other submissions of the moment) does the citizen get 201: a crash
 * after the reply loses nothing, and a retry with the same key gets the same 到達番号
 * instead of a second application.
 *
 * The way to LGWAN is the forwarder's (forwarder.h): it asks the sanitizer to sign
 * each committed application into an uplink bundle, retrying until it has.
 */
#ifndef SEKISHO_PORTAL_APPLICATIONS_H
#define SEKISHO_PORTAL_APPLICATIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "catalogue.h"
#include "http.h"
#include "password.h"
#include "portal.h"

#define APPLICATION_RECEIPT_MAX   32
#define APPLICATION_IDEM_KEY_MAX  128
#define APPLICATION_PASSWORD_MIN  8
#define APPLICATION_ANSWERS_MAX   (512 * 1024)	/* normalised answers, as stored */

/* POST /api/v1/{tenant}/procedures/{id}/applications */
void applications_handle_submit(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/applications/{receipt_no}?status_password=... (or, without a
 * password, the session of the account that made it) */
void applications_handle_status(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/account/applications: the session's applications (マイページ) */
void applications_handle_mine(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/procedures/{id}/prefill: suggested answers from the profile and
 * the account's previous application to the procedure */
void applications_handle_prefill(struct http_request *req, void *app);

/* An application as the status API and replies (replies.h) see it. */
struct application_ref {
	char stored[PASSWORD_HASH_LEN];	/* wiped by applications_authorize */
	char proc[CATALOGUE_ID_MAX + 1];
	char status[32];
	long long version;
	time_t submitted;
	int64_t account_id;
	bool found, has_password;
};

/* May req see application receipt of pt? By its 照会用パスワード (password, when not
 * NULL) or else by the session of the account that made it; the same work and the same
 * answer for a wrong password as for an unknown 到達番号. 1 yes (r filled), 0 no (the
 * caller answers 404 MSG_STATUS_NOT_FOUND), -1 already answered (a bad session). */
int applications_authorize(struct portald *p, struct portal_tenant *pt, struct http_request *req,
			   const char *receipt, const char *password, struct application_ref *r);

#define APPLICATIONS_MSG_NOT_FOUND "到達番号または照会用パスワードが正しくありません。"

/* A test version's applications (catalogue.h) are numbered apart, on a counter of
 * their own: "T-20261122-000001" never uses up a real 到達番号. */
#define APPLICATION_TEST_PREFIX   "T-"

/* 1 if s looks like a 到達番号 ("20261122-000123", or "T-20261122-000001" for a test
 * version's application), else 0. */
int applications_receipt_valid(const char *s);

/* 1 if k is an Idempotency-Key we take: 1–128 printable ASCII characters, no space. */
int applications_idem_key_valid(const char *k);

/* Japanese label of a status ("arrived" -> "到達"); the code itself if unknown. */
const char *applications_status_label(const char *status);

#endif
