/*
 * assemble.c — outputs and attestations of clean uploads, plus the form data, into
 * one signed bundle.
 *
 * Form data is validated against the office-signed procedure definition
 * (formcheck.h) before anything is written, so that nothing unvalidated is ever
 * signed; the files are then exactly the clean outputs the answers reference.
 */
#include "assemble.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "bundle.h"
#include "formcheck.h"
#include "jsonio.h"
#include "tenant.h"
#include "worker.h"

/* "pdf", "png", "docx" or "xlsx" from a result: the file name in the bundle says
 * what it is. A kept-editable Office file is of its input's type. */
static const char *
extension(const json_t *result)
{
	const char *t = jsonio_str(result, "method", ""), *in = jsonio_str(result, "type", "");

	if (strcmp(t, "ooxml-rebuild") == 0)
		return strcmp(in, "xlsx") == 0 ? "xlsx" : "docx";
	return strcmp(t, "image-reencode") == 0 ? "png" : "pdf";
}

int
assemble_bundle(const json_t *req, const char *results_dir, struct spool *outbox,
		const uint8_t sign_key[32], const uint8_t office_pub[32], char *err,
		size_t errlen)
{
	const char *id = jsonio_str(req, "id", NULL), *tenant = jsonio_str(req, "tenant", NULL);
	const json_t *app = json_object_get(req, "application"), *files = json_object_get(req, "files");
	struct bundle_writer *w = NULL;
	char tmp[PATH_MAX];
	const json_t *f;
	size_t i;
	int fd = -1, rc = ASSEMBLE_EINVALID;

	if (!spool_valid_id(id) || !tenant_name_valid(tenant) || !json_is_object(app) ||
	    !json_is_array(files) || json_array_size(files) > ASSEMBLE_MAX_FILES) {
		snprintf(err, errlen, "request needs a valid id, tenant, application object and "
			 "at most %d files", ASSEMBLE_MAX_FILES);
		return ASSEMBLE_EINVALID;
	}
	if (formcheck_request(req, office_pub, err, errlen) != 0)
		return ASSEMBLE_EINVALID;
	if ((w = bundle_writer_new(id, tenant, "application")) == NULL ||
	    bundle_writer_add_json(w, "application.json", app) != BUNDLE_OK) {
		snprintf(err, errlen, "cannot start bundle %s", id);
		goto out;
	}
	json_array_foreach(files, i, f) {
		const char *upload = jsonio_str(f, "upload", NULL);
		char dir[PATH_MAX], path[PATH_MAX + 32], name[64];
		json_t *res, *att, *meta;
		int r;

		if (!spool_valid_id(upload)) {
			snprintf(err, errlen, "files[%zu]: invalid upload id", i);
			goto out;
		}
		snprintf(dir, sizeof dir, "%s/%s", results_dir, upload);
		snprintf(path, sizeof path, "%s/result.json", dir);
		res = jsonio_load_file(path, RESULT_MAX_BYTES, err, errlen);
		if (res == NULL || strcmp(jsonio_str(res, "status", ""), "clean") != 0) {
			snprintf(err, errlen, "upload %s is not sanitized clean (%s)", upload,
				 res ? jsonio_str(res, "status", "?") : "unknown");
			json_decref(res);
			rc = ASSEMBLE_ENOTCLEAN;
			goto out;
		}
		/* An archive's clean members are in members/<n>/: the bundle format has no
		 * place for them yet. */
		if (json_object_get(res, "members") != NULL) {
			snprintf(err, errlen, "upload %s is an archive: its members cannot be "
				 "bundled yet", upload);
			json_decref(res);
			rc = ASSEMBLE_EINVALID;
			goto out;
		}
		snprintf(path, sizeof path, "%s/attestation.json", dir);
		att = jsonio_load_file(path, ATTEST_MAX_BYTES, err, errlen);
		snprintf(name, sizeof name, "files/%zu.%s", i + 1, extension(res));
		snprintf(path, sizeof path, "%s/output", dir);
		meta = json_pack("{s:s,s:s,s:s}", "upload", upload,
				 "field", jsonio_str(f, "field", ""),
				 "display_name", jsonio_str(f, "display_name", ""));
		r = att ? bundle_writer_add_attested(w, name, path, att, meta) : BUNDLE_EIO;
		json_decref(meta);
		json_decref(att);
		json_decref(res);
		if (r != BUNDLE_OK) {
			snprintf(err, errlen, "upload %s: cannot add to the bundle: %s", upload,
				 bundle_strerror(r));
			rc = ASSEMBLE_EIO;
			goto out;
		}
	}
	rc = ASSEMBLE_EIO;
	if ((fd = spool_tmp_open(outbox, tmp, sizeof tmp)) < 0) {
		snprintf(err, errlen, "outbox: %s", strerror(-fd));
		goto out;
	}
	if (bundle_writer_write(w, fd, sign_key, err, errlen) != BUNDLE_OK) {
		spool_tmp_discard(outbox, fd, tmp);
		goto out;
	}
	switch (spool_publish(outbox, fd, tmp, id)) {
	case SPOOL_OK:
		rc = ASSEMBLE_OK;
		break;
	case SPOOL_EXISTS:
		rc = ASSEMBLE_EXISTS;
		break;
	default:
		snprintf(err, errlen, "bundle %s: cannot publish to the outbox", id);
	}
out:
	bundle_writer_free(w);
	return rc;
}
