/*
 * office_documents.h — issued documents (交付文書): templates, the seal, and issuing
 * a signed PDF for an application, one by one or in bulk from a zip.
 *
 * Every document is signed with the staff document-signing certificate (pades.h)
 * before it is stored; the stored bytes are what travels down the downlink (bundle
 * kind "document", see docs/bundle-format.md) and what the citizen downloads. Issuing
 * writes the document, its audit entry and its place in the outbox in one
 * transaction; documents_out_flush sends what waits, like status_out.h, under a bundle
 * id fixed at issue ("document-TENANT-ID"), so a crash sends the same bundle again and
 * the internet zone stores it once.
 *
 * Who may: templates, the issuer's name and the seal are the administrator's; issuing
 * needs OFFICE_WRITE and the application's department (another department's
 * application is 404, as everywhere); reading needs the department too. Every action,
 * reads included, is in the audit log.
 */
#ifndef SEKISHO_OFFICE_DOCUMENTS_H
#define SEKISHO_OFFICE_DOCUMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http.h"
#include "spool.h"
#include "tenant.h"

#define DOCUMENTS_UPLOAD_MAX      (10 * 1024 * 1024)	/* one uploaded PDF */
#define DOCUMENTS_ZIP_MAX         (60 * 1024 * 1024)	/* one bulk zip: under lighttpd's 64 MiB */
#define DOCUMENTS_ZIP_MEMBERS_MAX 200			/* members of one bulk zip */
#define DOCUMENTS_ZIP_TOTAL_MAX   (200 * 1024 * 1024)	/* its members, uncompressed */
#define DOCUMENTS_TEMPLATES_MAX   500			/* templates of one tenant */
#define DOCUMENTS_PER_APP_MAX     50			/* documents of one application */
#define DOCUMENTS_NAME_MAX        100			/* characters: template name, file name */
#define DOCUMENTS_ISSUER_MAX      100			/* characters of the issuer's name */
#define DOCUMENTS_OUT_MAX_BUNDLES 16			/* per tenant per flush */

/* Upload limits of the seal, single-PDF and bulk-zip routes (also checks the session
 * and CSRF token before the body is read). */
int office_documents_upload_limits(struct http_request *req, struct http_limits *lim,
				   void *app);

/* Settings (issuer name, seal) and templates: GET any staff, changes 管理者. */
void office_handle_documents_settings_get(struct http_request *req, void *app);
void office_handle_documents_settings_put(struct http_request *req, void *app);
void office_handle_documents_seal(struct http_request *req, void *app);
void office_handle_document_templates_list(struct http_request *req, void *app);
void office_handle_document_templates_create(struct http_request *req, void *app);
void office_handle_document_template_update(struct http_request *req, void *app);

/* One application's documents: list, issue from a template, issue an uploaded PDF,
 * download one (the signed PDF). */
void office_handle_application_documents_list(struct http_request *req, void *app);
void office_handle_application_document_issue(struct http_request *req, void *app);
void office_handle_application_document_upload(struct http_request *req, void *app);
void office_handle_application_document_get(struct http_request *req, void *app);

/* Bulk: a zip of PDFs named by receipt number; a result for every member. */
void office_handle_documents_bulk(struct http_request *req, void *app);

/* Send t's documents not yet sent as "document" bundles signed with office_key into
 * out (t's lock NOT held by the caller). The number of bundles written, or -1 with err. */
int documents_out_flush(struct tenant *t, struct spool *out, const uint8_t office_key[32],
			time_t now, char *err, size_t errlen);

/* The receipt number a bulk member's file name names: "RECEIPT.pdf" or
 * "RECEIPT_anything.pdf" (case of ".pdf" ignored). 0 with receipt, or -1. */
int documents_receipt_from_name(const char *name, char *receipt, size_t len);

#endif
