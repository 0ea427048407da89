/*
 * addresses.h — 郵便番号 → 住所 for the forms' postal-code fields.
 *
 * Japan Post's data, imported by provisioning into dmz/postal/postal.sqlite
 * (docs/postal.md). The look-up is a convenience: when the database is missing the
 * API says so and the citizen types the address.
 */
#ifndef SEKISHO_PORTAL_ADDRESSES_H
#define SEKISHO_PORTAL_ADDRESSES_H

#include "http.h"

/* GET /api/v1/{tenant}/postal-codes/{code} -> {"postal_code", "addresses": [...]} */
void addresses_handle_lookup(struct http_request *req, void *app);

#endif
