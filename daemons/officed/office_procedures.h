/*
 * office_procedures.h — the procedures officed publishes: drafts, publishing onto
 * the downlink, copies, and definition files for sharing between municipalities.
 * Every handler passes office_authz_begin first; creating, changing and publishing
 * are for administrators, reading for anyone who may see the procedure's department.
 */
#ifndef SEKISHO_OFFICE_PROCEDURES_H
#define SEKISHO_OFFICE_PROCEDURES_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"
#include "http.h"
#include "procsig.h"
#include "spool.h"

#define PROCEDURE_EXPORT_FORMAT "sekisho-procedure-export/1"
#define PROCEDURE_DEF_MAX       (4 * 1024 * 1024)	/* bytes of a stored definition */

void office_handle_procedures_list(struct http_request *req, void *app);
void office_handle_procedures_create(struct http_request *req, void *app);
void office_handle_procedures_import(struct http_request *req, void *app);
void office_handle_procedure_get(struct http_request *req, void *app);
void office_handle_procedure_update(struct http_request *req, void *app);
void office_handle_procedure_publish(struct http_request *req, void *app);
/* DELETE .../versions/{version}: a draft only (admin, CSRF); audited. */
void office_handle_procedure_delete(struct http_request *req, void *app);
void office_handle_procedure_copy(struct http_request *req, void *app);
void office_handle_procedure_export(struct http_request *req, void *app);

struct office_actor;

/* A catalogue bundle, signed with the office key, into downlink-out, its id in id:
 * def (may be NULL) with its signature into sig and its files, and the procedure
 * ids in withdrawn (may be NULL) taken off the portal. 0; 1 with a message for
 * staff in err when a listed file is not held; or -1 with err. */
int office_procedure_bundle(struct office_actor *a, const json_t *def, const json_t *withdrawn,
			    char id[SPOOL_ID_MAX + 1], char sig[PROCSIG_HEX_LEN + 1], char *err,
			    size_t errlen);

struct office_procedure {
	json_t *definition;	/* owned; NULL when officed holds no such version */
	unsigned used;		/* workflow steps (workflow.h) */
	int64_t department_id;	/* 0: none */
};

/* The procedure version an application names (lock held): its definition and
 * workflow; the workflow is every step when officed does not hold it. 0, -1 on a
 * database error. Free with office_procedure_free. */
int office_procedure_load(struct db *db, const char *id, long long version,
			  struct office_procedure *p);
void office_procedure_free(struct office_procedure *p);

#endif
