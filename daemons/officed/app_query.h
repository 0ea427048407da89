/*
 * app_query.h — the WHERE clause of the staff's application list, its count and its
 * exports, built for the filters actually given.
 *
 * One clause with "?N IS NULL OR ..." for every filter reads well but leaves SQLite
 * one plan for all cases, and that plan scans the table: 100,000 applications took
 * 0.5 s a page (tests/bench/bench_office.py). Here each filter given adds its own
 * condition, so the planner picks the index that serves it (procedure, status,
 * period, assignee, department), and the text search goes through the trigram
 * index applications_fts. The SQL is only ever assembled from the constant
 * fragments below; every value is bound by name.
 */
#ifndef SEKISHO_OFFICE_APP_QUERY_H
#define SEKISHO_OFFICE_APP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "timefmt.h"

#define APP_QUERY_TEXT_MAX 100		/* bytes of a search text */
#define APP_QUERY_SQL_MAX  2048		/* the WHERE clause with every filter */

struct app_query {
	bool all_departments;		/* administrator, auditor: no department clause */
	int64_t staff_id;		/* else: the departments of this staff member */
	const char *procedure, *status, *q;	/* NULL: not filtered */
	bool has_since, has_until;
	char since[TIMEFMT_LEN], until[TIMEFMT_LEN];	/* stored UTC, [since, until) */
	int64_t assignee;		/* 0 any, -1 nobody, else a staff id */
	bool test;			/* test=1: only test applications (office_proctest.h);
					 * otherwise never */
};

struct http_request;
struct office_actor;

/* f from the query string (procedure, status, since, until as Japan days, assignee:
 * a login, "me" or "none", q, test=1) and the actor's departments. 0; -1 with a reply-ready
 * Japanese message in *why; -2 on a database error (lock held). */
int app_query_read(struct http_request *req, const struct office_actor *a,
		   struct app_query *f, const char **why);

/* Write " WHERE ..." for f (the applications table is aliased a) to out. 0, or -1
 * if out is too small. */
int app_query_where(const struct app_query *f, char *out, size_t outlen);

/* Bring the text index up to the applications imported since it was last
 * brought up (an application's answers never change after import). Call before a
 * query with a search text; lock held, no transaction open. 0 or -1. */
int app_query_sync(struct db *db);

/* Bind f's values to the named parameters of a statement made with app_query_where. */
void app_query_bind(sqlite3_stmt *st, const struct app_query *f);

#endif
