/*
 * procedures.h — the catalogue API: list and search, one procedure, its QR code.
 */
#ifndef SEKISHO_PORTAL_PROCEDURES_H
#define SEKISHO_PORTAL_PROCEDURES_H

#include "http.h"

/* GET /api/v1/{tenant}/procedures?q=&category=&life_event= */
void procedures_handle_list(struct http_request *req, void *app);
/* GET /api/v1/{tenant}/procedures/{id} */
void procedures_handle_get(struct http_request *req, void *app);

/* GET /api/v1/{tenant}/procedures/{id}/qr.png and .../qr.svg: its stable URL. */
void procedures_handle_qr_png(struct http_request *req, void *app);
void procedures_handle_qr_svg(struct http_request *req, void *app);

/* GET .../procedures/{id}/files/{n}: a form or image the definition lists (procfile.h). */
void procedures_handle_file(struct http_request *req, void *app);

#endif
