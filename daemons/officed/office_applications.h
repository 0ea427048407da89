/*
 * office_applications.h — applications (申請) as staff work on them: the list and
 * its CSV export, one application with its answers and attachments, memos,
 * assignment, status changes one by one and in bulk. Every handler passes
 * office_authz_begin first; a clerk acts only on applications routed to their
 * departments (another department's is 404, as if it did not exist), an auditor
 * reads and never changes.
 */
#ifndef SEKISHO_OFFICE_APPLICATIONS_H
#define SEKISHO_OFFICE_APPLICATIONS_H

#include "http.h"

#define APPLICATIONS_LIST_DEFAULT 100
#define APPLICATIONS_LIST_MAX     500
#define APPLICATIONS_BULK_MAX     500		/* applications in one bulk request */
#define APPLICATIONS_CSV_MAX      100000	/* rows of one CSV export */
#define APPLICATIONS_COMMENT_MAX  4000		/* characters of a memo */
#define APPLICATIONS_QUERY_MAX    100		/* bytes of a search text */
#define APPLICATIONS_FILE_MAX     (100LL * 1024 * 1024)	/* a bundle member (bundle.h) */

void office_handle_applications_list(struct http_request *req, void *app);
void office_handle_applications_csv(struct http_request *req, void *app);
void office_handle_applications_bulk(struct http_request *req, void *app);
void office_handle_application_get(struct http_request *req, void *app);
void office_handle_application_file(struct http_request *req, void *app);
void office_handle_application_comment(struct http_request *req, void *app);
void office_handle_application_assignee(struct http_request *req, void *app);
void office_handle_application_transition(struct http_request *req, void *app);
/* POST .../applications/{receipt}/messages {"body", "reply_invited"}: a message to the
 * applicant (問合せ) without a status change, down the downlink. */
void office_handle_application_message(struct http_request *req, void *app);
/* GET .../applications/{receipt}/replies/{reply}/files/{n}: a reply's attachment. */
void office_handle_application_reply_file(struct http_request *req, void *app);

#endif
