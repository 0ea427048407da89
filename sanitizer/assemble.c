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
#include <sys/stat.h>
#include <unistd.h>

#include "attest.h"
#include "bundle.h"
#include "formcheck.h"
#include "fsio.h"
#include "jsonio.h"
#include "reply.h"
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

/* Each request file's clean output and attestation into w, as files/N.EXT. field is the
 * files' form field when the request does not name one (a reply's). */
static int
add_files(struct bundle_writer *w, const json_t *files, const char *results_dir,
	  const char *field, char *err, size_t errlen)
{
	const json_t *f;
	size_t i;

	json_array_foreach(files, i, f) {
		const char *upload = jsonio_str(f, "upload", NULL);
		char dir[PATH_MAX], path[PATH_MAX + 32], name[64];
		json_t *res, *att, *meta;
		int r;

		if (!spool_valid_id(upload)) {
			snprintf(err, errlen, "files[%zu]: invalid upload id", i);
			return ASSEMBLE_EINVALID;
		}
		snprintf(dir, sizeof dir, "%s/%s", results_dir, upload);
		snprintf(path, sizeof path, "%s/result.json", dir);
		res = jsonio_load_file(path, RESULT_MAX_BYTES, err, errlen);
		if (res == NULL || strcmp(jsonio_str(res, "status", ""), "clean") != 0) {
			snprintf(err, errlen, "upload %s is not sanitized clean (%s)", upload,
				 res ? jsonio_str(res, "status", "?") : "unknown");
			json_decref(res);
			return ASSEMBLE_ENOTCLEAN;
		}
		/* An archive's clean members are in members/<n>/: the bundle format has no
		 * place for them yet. */
		if (json_object_get(res, "members") != NULL) {
			snprintf(err, errlen, "upload %s is an archive: its members cannot be "
				 "bundled yet", upload);
			json_decref(res);
			return ASSEMBLE_EINVALID;
		}
		snprintf(path, sizeof path, "%s/attestation.json", dir);
		att = jsonio_load_file(path, ATTEST_MAX_BYTES, err, errlen);
		snprintf(name, sizeof name, "files/%zu.%s", i + 1, extension(res));
		snprintf(path, sizeof path, "%s/output", dir);
		/* pages: what the data-linking API tells a linked system (officed). */
		meta = json_pack("{s:s,s:s,s:s,s:O?}", "upload", upload,
				 "field", jsonio_str(f, "field", field),
				 "display_name", jsonio_str(f, "display_name", ""),
				 "pages", json_object_get(res, "pages"));
		r = att ? bundle_writer_add_attested(w, name, path, att, meta) : BUNDLE_EIO;
		json_decref(meta);
		json_decref(att);
		json_decref(res);
		if (r != BUNDLE_OK) {
			snprintf(err, errlen, "upload %s: cannot add to the bundle: %s", upload,
				 bundle_strerror(r));
			return ASSEMBLE_EIO;
		}
	}
	return ASSEMBLE_OK;
}

/* Sign w into the outbox under id. */
static int
publish(struct bundle_writer *w, const char *id, struct spool *outbox,
	const uint8_t sign_key[32], char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

	if ((fd = spool_tmp_open(outbox, tmp, sizeof tmp)) < 0) {
		snprintf(err, errlen, "outbox: %s", strerror(-fd));
		return ASSEMBLE_EIO;
	}
	if (bundle_writer_write(w, fd, sign_key, err, errlen) != BUNDLE_OK) {
		spool_tmp_discard(outbox, fd, tmp);
		return ASSEMBLE_EIO;
	}
	switch (spool_publish(outbox, fd, tmp, id)) {
	case SPOOL_OK:
		return ASSEMBLE_OK;
	case SPOOL_EXISTS:
		return ASSEMBLE_EXISTS;
	default:
		snprintf(err, errlen, "bundle %s: cannot publish to the outbox", id);
		return ASSEMBLE_EIO;
	}
}

/* RESULTS/.receipts/TENANT/RECEIPT: made (mark) or looked for. 0 made or there, 1 not
 * there, -1 with err. */
static int
receipt_marker(const char *results_dir, const char *tenant, const char *receipt, bool mark,
	       char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int fd;

	snprintf(dir, sizeof dir, "%s/%s", results_dir, ASSEMBLE_RECEIPTS_DIR);
	if (mark && mkdir(dir, 0750) != 0 && errno != EEXIST)
		goto fail;
	snprintf(dir, sizeof dir, "%s/%s/%s", results_dir, ASSEMBLE_RECEIPTS_DIR, tenant);
	if (mark && mkdir(dir, 0750) != 0 && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof path, "%s/%s", dir, receipt);
	if (!mark)
		return access(path, F_OK) == 0 ? 0 : 1;
	if (access(path, F_OK) == 0)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
		goto fail;
	if (fsync(fd) != 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	if (fsio_fsync_dir(dir) == 0)
		return 0;
fail:
	snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	return -1;
}

int
assemble_bundle(const json_t *req, const char *results_dir, struct spool *outbox,
		const uint8_t sign_key[32], const struct keyring *office_keys, char *err,
		size_t errlen)
{
	const char *id = jsonio_str(req, "id", NULL), *tenant = jsonio_str(req, "tenant", NULL);
	const json_t *app = json_object_get(req, "application"), *files = json_object_get(req, "files");
	struct bundle_writer *w = NULL;
	int rc = ASSEMBLE_EINVALID;

	if (!spool_valid_id(id) || !tenant_name_valid(tenant) || !json_is_object(app) ||
	    !json_is_array(files) || json_array_size(files) > ASSEMBLE_MAX_FILES) {
		snprintf(err, errlen, "request needs a valid id, tenant, application object and "
			 "at most %d files", ASSEMBLE_MAX_FILES);
		return ASSEMBLE_EINVALID;
	}
	if (formcheck_request(req, office_keys, err, errlen) != 0)
		return ASSEMBLE_EINVALID;
	if ((w = bundle_writer_new(id, tenant, "application")) == NULL ||
	    bundle_writer_add_json(w, "application.json", app) != BUNDLE_OK) {
		snprintf(err, errlen, "cannot start bundle %s", id);
		goto out;
	}
	if ((rc = add_files(w, files, results_dir, "", err, errlen)) != ASSEMBLE_OK)
		goto out;
	/* Before the bundle exists, so a reply can never be signed for an application
	 * that is not on its way (reply.h). */
	if (reply_receipt_valid(jsonio_str(app, "receipt_no", NULL)) &&
	    receipt_marker(results_dir, tenant, jsonio_str(app, "receipt_no", NULL), true, err,
			   errlen) != 0) {
		rc = ASSEMBLE_EIO;
		goto out;
	}
	rc = publish(w, id, outbox, sign_key, err, errlen);
out:
	bundle_writer_free(w);
	return rc;
}

int
assemble_reply(const json_t *req, const char *results_dir, struct spool *outbox,
	       const uint8_t sign_key[32], char *err, size_t errlen)
{
	const char *id = jsonio_str(req, "id", NULL), *tenant = jsonio_str(req, "tenant", NULL);
	const json_t *doc = json_object_get(req, "reply"), *files = json_object_get(req, "files");
	struct bundle_writer *w = NULL;
	char want[SPOOL_ID_MAX + 1];
	long long no = 0;
	int rc;

	if (!spool_valid_id(id) || !tenant_name_valid(tenant) || !json_is_array(files) ||
	    json_array_size(files) > REPLY_MAX_FILES) {
		snprintf(err, errlen, "reply request needs a valid id, tenant and at most %d files",
			 REPLY_MAX_FILES);
		return ASSEMBLE_EINVALID;
	}
	if (reply_doc_check(doc, tenant, &no, err, errlen) != 0)
		return ASSEMBLE_EINVALID;
	/* The id is the reply's own: a reply cannot be signed under another's id (and
	 * so replace it at the receiver, which is idempotent by id). */
	if (reply_bundle_id(tenant, jsonio_str(doc, "receipt_no", ""), no, want, sizeof want) != 0 ||
	    strcmp(id, want) != 0) {
		snprintf(err, errlen, "reply id %s is not %s", id, want);
		return ASSEMBLE_EINVALID;
	}
	rc = receipt_marker(results_dir, tenant, jsonio_str(doc, "receipt_no", ""), false, err,
			    errlen);
	if (rc != 0) {
		if (rc > 0)
			snprintf(err, errlen, "reply %s: no application %s of tenant %s was signed "
				 "here", id, jsonio_str(doc, "receipt_no", ""), tenant);
		return rc > 0 ? ASSEMBLE_ENORECEIPT : ASSEMBLE_EIO;
	}
	if ((w = bundle_writer_new(id, tenant, REPLY_KIND)) == NULL ||
	    bundle_writer_add_json(w, "data/reply.json", doc) != BUNDLE_OK) {
		snprintf(err, errlen, "cannot start bundle %s", id);
		bundle_writer_free(w);
		return ASSEMBLE_EIO;
	}
	if ((rc = add_files(w, files, results_dir, "reply", err, errlen)) == ASSEMBLE_OK)
		rc = publish(w, id, outbox, sign_key, err, errlen);
	bundle_writer_free(w);
	return rc;
}
