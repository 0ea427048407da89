/*
 * office_procfiles.h — the files staff give a procedure (様式 to download, images for
 * its page and form; lib/procfile.h), held by officed until they are published.
 *
 * An administrator uploads a file; officed types it by its name confirmed by its
 * bytes, stores it once under its SHA-256 and answers with the entry the builder
 * puts in the definition's "files". Publishing carries the bytes of every listed file
 * in the catalogue bundle, so a definition never names a file the internet zone
 * cannot have.
 */
#ifndef SEKISHO_OFFICE_PROCFILES_H
#define SEKISHO_OFFICE_PROCFILES_H

#include <jansson.h>
#include <stddef.h>

#include "bundle.h"
#include "db.h"
#include "http.h"

/* POST /api/v1/{tenant}/staff/procedure-files (admin, CSRF; one file, part "file"):
 * 201 {name, type, size, sha256}; 400 with the reason for a type not offered. */
void office_handle_procedure_file_upload(struct http_request *req, void *app);

/* Add the bytes of every file def lists to w as files/<sha256>. 0; 1 with a message
 * for staff in why when officed does not hold one; -1 on a database error. */
int office_procfiles_add(struct db *db, const json_t *def, struct bundle_writer *w, char *why,
			 size_t whylen);

#endif
