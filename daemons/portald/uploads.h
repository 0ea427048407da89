/*
 * uploads.h — citizens' files on their way to the sanitizer.
 *
 * An upload is streamed by the HTTP layer to a file in the upload directory (never
 * held in memory; limits from the procedure's file field enforced while it arrives),
 * then moved whole into the intake spool under a fresh unguessable id: from that
 * moment the sanitizer owns it and portald never opens it again. portald keeps a row
 * per upload in the tenant's database, and asks the sanitizer for the verdict until
 * it is final ("clean" or "rejected"), then keeps that too.
 */
#ifndef SEKISHO_PORTAL_UPLOADS_H
#define SEKISHO_PORTAL_UPLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "portal.h"

#define UPLOAD_ID_LEN            32	/* hex of 128 random bits */
#define UPLOAD_DEFAULT_MAX_BYTES (10 * 1024 * 1024)
#define UPLOAD_MAX_MEMBERS       100	/* a zip's members kept for the citizen (the
					 * sanitizer allows 50 by default) */

/* POST /api/v1/{tenant}/uploads?procedure=ID&field=NAME (multipart, part "file"). */
int uploads_limits(struct http_request *req, struct http_limits *lim, void *app);
void uploads_handle_post(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/uploads/{upload_id} */
void uploads_handle_get(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/uploads/{upload_id}/preview (first page, PNG) */
void uploads_handle_preview(struct http_request *req, void *app);

/* GET .../uploads/{upload_id}/members/{n}/preview: member n (from 1) of a clean zip. */
void uploads_handle_member_preview(struct http_request *req, void *app);

struct upload_verdict {
	char state[16];			/* "pending", "clean", "rejected" */
	char type[32];			/* detected type */
	char display_name[256];
	char reason[64];
	char message[512];
	long long pages, size;
};

/* The verdict on upload id of tenant pt, asking the sanitizer when not yet final and
 * checking the detected type against accept (a JSON array of "pdf", "image",
 * "office", "text"; NULL: any). 0, 1 if the upload is unknown, -1 with err. */
int uploads_verdict(struct portald *p, struct portal_tenant *pt, const char *id,
		    const json_t *accept, struct upload_verdict *v, char *err, size_t errlen);

/* 1 if id looks like an upload id (UPLOAD_ID_LEN lowercase hex), else 0. */
int uploads_id_valid(const char *id);

/* The file field named name in a form schema (searched in groups too), or NULL. */
const json_t *uploads_find_field(const json_t *schema, const char *name);

#endif
