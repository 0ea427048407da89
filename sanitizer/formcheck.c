/*
 * formcheck.c — signature, identity, validation and file references of a request.
 *
 * A proxy application (代理申請) carries its representative beside the answers as
 * application.proxy: it is checked against the procedure's proxy policy with the
 * same fixed form portald used (lib/proxyrep.h), must be in its normal form, and its
 * 委任状 uploads must be the request's files of field "proxy.attorney".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "formcheck.h"
#include "jsonio.h"
#include "procsig.h"
#include "proxyrep.h"
#include "timefmt.h"

struct file_refs {
	const json_t *files;		/* the request's [{"upload", "field", ...}] */
	size_t matched;
	char *err;
	size_t errlen;
};

/* Each upload the answers reference must be in the request's files with that field. */
static int
match_file(void *arg, const char *path, const char *schema_path, const char *upload_id)
{
	struct file_refs *r = arg;
	const json_t *f;
	size_t i;

	(void)schema_path;
	json_array_foreach(r->files, i, f)
		if (strcmp(jsonio_str(f, "upload", ""), upload_id) == 0 &&
		    strcmp(jsonio_str(f, "field", ""), path) == 0) {
			r->matched++;
			return 0;
		}
	snprintf(r->err, r->errlen, "answer %s references upload %s, which is not among the "
		 "request's files for that field", path, upload_id);
	return 1;
}

static int
match_proxy_file(void *arg, const char *path, const char *schema_path, const char *upload_id)
{
	char full[FORM_PATH_MAX + 8];

	snprintf(full, sizeof full, "proxy.%s", path);
	return match_file(arg, full, schema_path, upload_id);
}

/* The representative, if any: 0 valid (its files matched into refs), -1 with err. */
static int
check_proxy(const json_t *def, const json_t *proxy, struct file_refs *refs, char *err,
	    size_t errlen)
{
	const json_t *policy = json_object_get(def, "proxy");
	struct form_schema *ps = NULL;
	json_t *norm = NULL, *errs = NULL;
	int rc = -1, prc;

	if (proxy == NULL)
		return 0;
	prc = proxyrep_check(policy, proxy, &norm, &errs, err, errlen);
	if (prc != 0 || norm == NULL) {
		const char *k = NULL;
		json_t *v;

		json_object_foreach(errs, k, v)
			break;
		if (prc >= 0)
			snprintf(err, errlen, "the representative (proxy) does not pass its form%s%s",
				 k ? ": " : "", k ? k : "");
		goto out;
	}
	if (!json_equal(norm, (json_t *)proxy)) {
		snprintf(err, errlen, "the representative (proxy) is not in the validator's normal form");
		goto out;
	}
	if (proxyrep_schema(json_is_true(json_object_get(policy, "attorney_required")), &ps, err,
			    errlen) != 0)
		goto out;
	if (form_walk_files(ps, norm, match_proxy_file, refs) != 0)
		goto out;
	rc = 0;
out:
	form_schema_free(ps);
	json_decref(norm);
	json_decref(errs);
	return rc;
}

int
formcheck_request(const json_t *req, const struct keyring *office_keys, char *err,
		  size_t errlen)
{
	const char *tenant = jsonio_str(req, "tenant", NULL);
	const json_t *proc = json_object_get(req, "procedure");
	const json_t *def = json_object_get(proc, "definition");
	const json_t *app = json_object_get(req, "application");
	const json_t *named = json_object_get(app, "procedure");
	const json_t *answers = json_object_get(app, "answers");
	struct form_schema *schema = NULL;
	struct form_context ctx = { 0 };
	struct file_refs refs = { json_object_get(req, "files"), 0, err, errlen };
	json_t *normalised = NULL, *errors = NULL;
	long long v_def = 0, v_app = 0;
	time_t submitted;
	struct tm tm;
	int rc = -1, vr;

	if (!json_is_object(def) ||
	    !procsig_verify_ring(office_keys, time(NULL), tenant, def,
				 jsonio_str(proc, "signature", NULL))) {
		snprintf(err, errlen, "the procedure definition is missing or not signed by the "
			 "office for tenant %s", tenant ? tenant : "?");
		return -1;
	}
	jsonio_int(def, "version", 1, 1000000000, &v_def);
	jsonio_int(named, "version", 1, 1000000000, &v_app);
	if (strcmp(jsonio_str(def, "id", ""), jsonio_str(named, "id", "-")) != 0 ||
	    v_def != v_app || strcmp(jsonio_str(app, "tenant", ""), tenant) != 0) {
		snprintf(err, errlen, "the application does not name this procedure version");
		return -1;
	}
	if (!json_is_object(answers) ||
	    timefmt_parse_rfc3339(jsonio_str(app, "submitted_at", ""), &submitted) != 0) {
		snprintf(err, errlen, "the application has no answers or no submission time");
		return -1;
	}
	if (form_schema_parse(json_object_get(def, "schema"), &schema, err, errlen) != 0)
		return -1;
	/* Dates relative to "today" are judged as of the day it was submitted (Japan). */
	submitted += TIMEFMT_JST_OFFSET;
	gmtime_r(&submitted, &tm);
	ctx.today_y = tm.tm_year + 1900;
	ctx.today_m = tm.tm_mon + 1;
	ctx.today_d = tm.tm_mday;
	/* Quotas are portald's to count; the sanitizer checks only the form. */
	vr = form_validate(schema, answers, &ctx, &normalised, &errors);
	if (vr != 0) {
		const char *k = NULL;
		json_t *v;

		json_object_foreach(errors, k, v)
			break;
		snprintf(err, errlen, "the answers do not pass the form validator%s%s",
			 k ? ": " : "", k ? k : "");
		goto out;
	}
	if (!json_equal(normalised, (json_t *)answers)) {
		snprintf(err, errlen, "the answers are not in the validator's normal form");
		goto out;
	}
	if (form_walk_files(schema, normalised, match_file, &refs) != 0 ||
	    check_proxy(def, json_object_get(app, "proxy"), &refs, err, errlen) != 0)
		goto out;
	if (refs.matched != json_array_size(refs.files)) {
		snprintf(err, errlen, "the request has files no answer references");
		goto out;
	}
	rc = 0;
out:
	json_decref(normalised);
	json_decref(errors);
	form_schema_free(schema);
	return rc;
}
