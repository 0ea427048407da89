/*
 * documents.h — issued documents (交付文書) in the internet zone: received from the
 * downlink, kept, and downloaded by the applicant.
 *
 * A "document" bundle (docs/bundle-format.md) carries data/document.json and the
 * signed PDF as files/document.pdf. documents_apply runs inside the downlink's
 * transaction for the bundle (downlink.h): it writes the PDF to
 * DB_DIR/documents/TENANT/BUNDLE_ID.pdf (atomically, fsync'd; the same name and the
 * same bytes if the bundle comes twice), then records it and an event in the
 * application's history, and enqueues the applicant's email if the procedure asks for
 * it. Serving re-hashes the file and refuses one that is no longer what was received.
 *
 * Who may download: exactly who may see the application's status (applications.h):
 * its account's session, or its 到達番号 with its 照会用パスワード.
 */
#ifndef SEKISHO_PORTAL_DOCUMENTS_H
#define SEKISHO_PORTAL_DOCUMENTS_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "bundle.h"
#include "db.h"
#include "http.h"
#include "portal.h"

#define DOCUMENTS_MAX_BYTES   (16 * 1024 * 1024)	/* a received PDF */
#define DOCUMENTS_LIST_MAX    50			/* documents of one application */
#define DOCUMENTS_MEMBER      "files/document.pdf"

/* Apply the verified "document" bundle info, read from the tar at bundle_path, to
 * tenant's db (lock held, transaction open). 0, or -1 with err. */
int documents_apply(struct portald *p, struct db *db, const char *tenant,
		    const struct bundle_info *info, const char *bundle_path, char *err,
		    size_t errlen);

/* GET /api/v1/{tenant}/applications/{receipt_no}/documents */
void documents_handle_list(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/applications/{receipt_no}/documents/{n}: the signed PDF */
void documents_handle_get(struct http_request *req, void *app);

#endif
