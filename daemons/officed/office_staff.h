/*
 * office_staff.h — the administrator's staff and department endpoints, and staff
 * CSV import/export over HTTP. Every handler passes office_authz_begin first.
 */
#ifndef SEKISHO_OFFICE_STAFF_H
#define SEKISHO_OFFICE_STAFF_H

#include "http.h"

void office_handle_departments_list(struct http_request *req, void *app);
void office_handle_departments_create(struct http_request *req, void *app);
void office_handle_accounts_list(struct http_request *req, void *app);
void office_handle_accounts_create(struct http_request *req, void *app);
void office_handle_account_departments(struct http_request *req, void *app);
void office_handle_account_role(struct http_request *req, void *app);
void office_handle_import(struct http_request *req, void *app);
void office_handle_export(struct http_request *req, void *app);

/* Upload route check, before any body byte: only a request with a session cookie
 * and its CSRF token may stream a file to disk (the handler checks the rest). */
int office_import_limits(struct http_request *req, struct http_limits *lim, void *app);

#endif
