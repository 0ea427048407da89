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

/* "pdf", "png", "jpg", "docx", "xlsx", "pptx", "csv" or "txt" from a result (or an
 * archive member's entry): the file name in the bundle says what it is. A
 * kept-editable Office file is of its input's type; a rebuilt image is PNG or,
 * photographic, JPEG (results written before output_type was recorded are PNG);
 * cleaned text is CSV or plain text, UTF-8 either way. */
static const char *
extension(const json_t *result)
{
	const char *t = jsonio_str(result, "method", ""), *in = jsonio_str(result, "type", "");

	if (strcmp(t, "ooxml-rebuild") == 0)
		return strcmp(in, "xlsx") == 0 ? "xlsx" : strcmp(in, "pptx") == 0 ? "pptx" : "docx";
	if (strcmp(t, "image-reencode") == 0)
		return strcmp(jsonio_str(result, "output_type", ""), "jpeg") == 0 ? "jpg" : "png";
	if (strcmp(t, "text-reencode") == 0)
		return strcmp(jsonio_str(result, "output_type", ""), "csv") == 0 ? "csv" : "txt";
	return "pdf";
}

/* Whether the procedure's own sanitizer policy (its signed definition's "sanitizer"
 * object) allows what made res: a zip's members need allow_archives, a kept Office
 * file keep_ooxml. A definition without one left the policy to the service's
 * configuration, under which the upload was sanitized (so no check); a reply has no
 * definition (policy NULL). This stops a portal that named the wrong policy for an
 * upload from getting its result signed into the procedure's bundle. */
static int
policy_allows(const json_t *policy, const json_t *res, const char *upload, char *err,
	      size_t errlen)
{
	const char *need = json_object_get(res, "members") != NULL ? "allow_archives"
		: strcmp(jsonio_str(res, "method", ""), "ooxml-rebuild") == 0 ? "keep_ooxml" : NULL;

	if (!json_is_object(policy) || need == NULL ||
	    json_is_true(json_object_get(policy, need)))
		return 0;
	snprintf(err, errlen, "upload %s was sanitized under %s, which this procedure's policy "
		 "does not allow", upload, need);
	return -1;
}

/* One clean output and its attestation (in dir) into w as files/N.EXT. */
static int
add_one(struct bundle_writer *w, const char *dir, const json_t *res, json_t *meta,
	size_t *n, const char *upload, char *err, size_t errlen)
{
	char path[PATH_MAX + 32], name[64];
	json_t *att;
	int r;

	if (*n >= ASSEMBLE_MAX_BUNDLE_FILES) {
		snprintf(err, errlen, "more than %d files in one bundle (archives count each "
			 "member)", ASSEMBLE_MAX_BUNDLE_FILES);
		return ASSEMBLE_EINVALID;
	}
	snprintf(path, sizeof path, "%s/attestation.json", dir);
	att = jsonio_load_file(path, ATTEST_MAX_BYTES, err, errlen);
	snprintf(name, sizeof name, "files/%zu.%s", ++*n, extension(res));
	snprintf(path, sizeof path, "%s/output", dir);
	r = att ? bundle_writer_add_attested(w, name, path, att, meta) : BUNDLE_EIO;
	json_decref(att);
	if (r != BUNDLE_OK) {
		snprintf(err, errlen, "upload %s: cannot add to the bundle: %s", upload,
			 bundle_strerror(r));
		return ASSEMBLE_EIO;
	}
	return ASSEMBLE_OK;
}

/*
 * An archive upload's clean members (results/ID/members/<j>/), each as its own file
 * with its own attestation, in zip order. display_name is the member's path in the
 * zip (relative, checked by the unpacker and again here: shown, never used as a
 * path), and "archive" groups them under the zip's name for staff.
 */
static int
add_members(struct bundle_writer *w, const char *dir, const json_t *res, const json_t *f,
	    const char *field, size_t *n, char *err, size_t errlen)
{
	const char *upload = jsonio_str(f, "upload", "");
	const json_t *m;
	size_t j;

	if (json_array_size(json_object_get(res, "members")) == 0) {
		snprintf(err, errlen, "upload %s is an archive without members", upload);
		return ASSEMBLE_ENOTCLEAN;
	}
	json_array_foreach(json_object_get(res, "members"), j, m) {
		const char *mname = jsonio_str(m, "name", NULL);
		char mdir[PATH_MAX + 32];
		json_t *meta;
		int rc;

		/* The zip is clean only if every member is; this is that promise kept. */
		if (strcmp(jsonio_str(m, "status", ""), "clean") != 0 ||
		    !attest_member_path_valid(mname)) {
			snprintf(err, errlen, "upload %s: member %zu is not clean", upload, j + 1);
			return ASSEMBLE_ENOTCLEAN;
		}
		snprintf(mdir, sizeof mdir, "%s/members/%zu", dir, j + 1);
		meta = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:I},s:O?}", "upload", upload,
				 "field", jsonio_str(f, "field", field), "display_name", mname,
				 "archive", "display_name", jsonio_str(f, "display_name", ""),
				 "member", mname, "index", (json_int_t)(j + 1),
				 "pages", json_object_get(m, "pages"));
		rc = meta ? add_one(w, mdir, m, meta, n, upload, err, errlen) : ASSEMBLE_EIO;
		json_decref(meta);
		if (rc != ASSEMBLE_OK)
			return rc;
	}
	return ASSEMBLE_OK;
}

/* Each request file's clean output and attestation into w, as files/N.EXT (an
 * archive's members each as its own). field is the files' form field when the request
 * does not name one (a reply's); policy is the procedure's sanitizer policy. */
static int
add_files(struct bundle_writer *w, const json_t *files, const char *results_dir,
	  const char *field, const json_t *policy, char *err, size_t errlen)
{
	const json_t *f;
	size_t i, n = 0;

	json_array_foreach(files, i, f) {
		const char *upload = jsonio_str(f, "upload", NULL);
		char dir[PATH_MAX], path[PATH_MAX + 32];
		json_t *res, *meta;
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
		/* Its verdict is out, its text layer not yet (worker.c): the bundle waits
		 * for the output that will stay. */
		if (strcmp(jsonio_str(res, "ocr", ""), "pending") == 0) {
			snprintf(err, errlen, "upload %s: its text layer is being made", upload);
			json_decref(res);
			return ASSEMBLE_EPENDING;
		}
		if (policy_allows(policy, res, upload, err, errlen) != 0) {
			json_decref(res);
			return ASSEMBLE_EINVALID;
		}
		if (json_object_get(res, "members") != NULL) {
			r = add_members(w, dir, res, f, field, &n, err, errlen);
			json_decref(res);
			if (r != ASSEMBLE_OK)
				return r;
			continue;
		}
		/* pages: what the data-linking API tells a linked system (officed). */
		meta = json_pack("{s:s,s:s,s:s,s:O?}", "upload", upload,
				 "field", jsonio_str(f, "field", field),
				 "display_name", jsonio_str(f, "display_name", ""),
				 "pages", json_object_get(res, "pages"));
		r = meta ? add_one(w, dir, res, meta, &n, upload, err, errlen) : ASSEMBLE_EIO;
		json_decref(meta);
		json_decref(res);
		if (r != ASSEMBLE_OK)
			return r;
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
	if ((rc = add_files(w, files, results_dir, "", json_object_get(json_object_get(
	    json_object_get(req, "procedure"), "definition"), "sanitizer"), err, errlen)) !=
	    ASSEMBLE_OK)
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
	if ((rc = add_files(w, files, results_dir, "reply", NULL, err, errlen)) == ASSEMBLE_OK)
		rc = publish(w, id, outbox, sign_key, err, errlen);
	bundle_writer_free(w);
	return rc;
}
