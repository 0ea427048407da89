/*
 * office_proctest.h — test versions (テスト版) of a draft procedure.
 *
 * A draft is tried through the real path before it is published: the test version
 * is the draft's definition published down the downlink under an id of its own
 * (CATALOGUE_TEST_PREFIX and an unguessable token, so a citizen cannot come upon
 * it), unlisted, titled 【テスト】, with "test": true so that portald numbers its
 * applications apart ("T-..."). Its applications cross the sanitizer and the
 * bridge like any other; on import they are attached to the draft with test = 1
 * and left out of the list, statistics, exports and the data-linking API unless a
 * test filter asks for them. Publishing the draft for real (or deleting it)
 * withdraws the test entry from the portal; its test applications stay, kept
 * apart, until staff delete them. Every step is audited.
 */
#ifndef SEKISHO_OFFICE_PROCTEST_H
#define SEKISHO_OFFICE_PROCTEST_H

#include <jansson.h>
#include <stdint.h>

#include "catalogue.h"
#include "db.h"
#include "http.h"

#define PROCTEST_TOKEN_HEX   24	/* 96 random bits after CATALOGUE_TEST_PREFIX */
#define PROCTEST_ID_MAX      (sizeof CATALOGUE_TEST_PREFIX - 1 + PROCTEST_TOKEN_HEX)
#define PROCTEST_TITLE_MARK  "【テスト】"
#define PROCTEST_APPS_MAX    500	/* test applications listed under one draft */

struct office_actor;

/* POST .../procedures/{id}/versions/{version}/test: publish the draft as its test
 * version (admin, CSRF; again after an edit: same URL, next test version). */
void office_handle_procedure_test_publish(struct http_request *req, void *app);
/* GET .../procedures/{id}/versions/{version}/test: the test entry (or null) and the
 * draft's test applications (anyone who may see the procedure's department). */
void office_handle_procedure_test_get(struct http_request *req, void *app);
/* DELETE .../procedures/{id}/versions/{version}/test/applications: delete the
 * draft's test applications (admin, CSRF); audited with their receipt numbers. */
void office_handle_procedure_test_delete_apps(struct http_request *req, void *app);

/* The open test id of draft (id, version) into test_id: 1, 0 if none, -1 on error. */
int office_proctest_current(struct db *db, const char *id, long long version,
			    char test_id[PROCTEST_ID_MAX + 1]);

/* Mark test_id withdrawn (the catalogue bundle that withdraws it is the caller's),
 * inside the caller's transaction. 0 or -1. */
int office_proctest_mark_withdrawn(struct db *db, const char *test_id);

/* For the importer: if application names a test id, the draft it tries into id and
 * *version and 1 (0 with id and version untouched when it is no test; a test id
 * officed has no row for stays as it is and still counts as a test). -1 on error. */
int office_proctest_resolve(struct db *db, const char *app_proc_id, char *id, size_t idlen,
			    long long *version);

/* Delete the test applications of draft (id, version) and every row that names
 * them, inside the caller's transaction; their receipt numbers are appended to
 * receipts (may be NULL). The number deleted, or -1. */
int office_proctest_delete_apps(struct db *db, const char *id, long long version,
				json_t *receipts);

#endif
