/*
 * office_api.h — the data-linking API (データ連携 API): what linked systems of the
 * municipality call with a per-system key (office_apikey.h), without a session,
 * cookie or CSRF token. A stable contract (docs/api/office.yaml):
 *
 *   GET  /api/v1/{tenant}/applications                      list, by cursor
 *   GET  /api/v1/{tenant}/applications/{receipt}             answers and history
 *   GET  /api/v1/{tenant}/applications/{receipt}/attachments/{n}              the file
 *   GET  /api/v1/{tenant}/applications/{receipt}/attachments/{n}/attestation  its proof
 *   POST /api/v1/{tenant}/applications/{receipt}/links       (write scope) the linked
 *                                                            system's own reference
 *
 * Every call through a key is in the audit log as "apikey:NAME", refused ones too.
 */
#ifndef SEKISHO_OFFICE_API_H
#define SEKISHO_OFFICE_API_H

#include "http.h"

#define OFFICE_API_PAGE_DEFAULT 100
#define OFFICE_API_PAGE_MAX     500
#define OFFICE_API_REF_MAX      100	/* characters of a linked system's reference */

void office_api_list(struct http_request *req, void *app);
void office_api_get(struct http_request *req, void *app);
void office_api_attachment(struct http_request *req, void *app);
void office_api_attestation(struct http_request *req, void *app);
void office_api_link(struct http_request *req, void *app);

#endif
