/*
 * results.c — results/<id>/, what portald and the bundle assembler know of an
 * upload: result.json, and when clean the output, its attestation and a preview (or
 * an archive's members/<n>/ each). A result is always written whole into a
 * temporary directory and then put in place in one step, so that a reader never sees
 * half of one, and a crash leaves either the old result or the new.
 */
#define _GNU_SOURCE
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsio.h"
#include "jsonio.h"
#include "log.h"

static int
write_json_file(const char *dir, const char *name, const json_t *v)
{
	char path[PATH_MAX], *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (text)
		rc = fsio_write_atomic(path, text, strlen(text), 0640);
	free(text);
	return rc;
}

/* An archive's members in result.json: each one's verdict, in zip order; the
 * member's files are members/<n>/ (n from 1). */
static json_t *
members_json(const struct pipeline_result *r)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; a != NULL && i < r->nmembers; i++) {
		const struct pipeline_result *m = &r->members[i].res;
		char out[65];

		crypto_hex(m->output_sha256, 32, out);
		if (json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s*,s:s*,s:I,s:I}",
		    "name", r->members[i].name, "status", m->clean ? "clean" : "rejected",
		    "reason", m->reason, "message", m->message, "type", m->type ? m->type : "",
		    "method", m->method ? m->method : "", "output_sha256", m->clean ? out : NULL,
		    "output_type", m->clean ? m->output_type : NULL,
		    "output_size", (json_int_t)(m->clean ? m->output_size : 0),
		    "pages", (json_int_t)m->pages)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Pages given a text layer: the result's own, or its members'. */
uint32_t
results_ocr_pages(const struct pipeline_result *r)
{
	uint32_t i, n = r->ocr_pages;

	for (i = 0; i < r->nmembers; i++)
		n += results_ocr_pages(&r->members[i].res);
	return n;
}

/* Whether a clean result has a PDF page for a text layer: its output, or a member's. */
int
results_has_pdf(const struct pipeline_result *r)
{
	uint32_t i;

	if (!r->clean)
		return 0;
	if (r->nmembers == 0)
		return r->output_type != NULL && strcmp(r->output_type, "pdf") == 0;
	for (i = 0; i < r->nmembers; i++)
		if (results_has_pdf(&r->members[i].res))
			return 1;
	return 0;
}

static json_t *
result_json(const char *id, const struct pipeline_result *r, const char *ocr)
{
	char in[65], out[65];
	int whole = r->clean && r->nmembers == 0;	/* an archive has no output */
	json_t *j;

	crypto_hex(r->input_sha256, 32, in);
	crypto_hex(r->output_sha256, 32, out);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s*,s:s*,s:I,s:I,s:f}",
			 "id", id, "status", r->clean ? "clean" : "rejected",
			 "reason", r->reason, "message", r->message,
			 "type", r->type ? r->type : "", "method", r->method ? r->method : "",
			 "input_sha256", in, "output_sha256", whole ? out : NULL,
			 "output_type", whole ? r->output_type : NULL,
			 "output_size", (json_int_t)(whole ? r->output_size : 0),
			 "pages", (json_int_t)r->pages, "seconds", r->seconds);
	if (j != NULL && r->nmembers > 0 &&
	    json_object_set_new(j, "members", members_json(r)) != 0) {
		json_decref(j);
		return NULL;
	}
	if (j != NULL && ocr != NULL && (json_object_set_new(j, "ocr", json_string(ocr)) != 0 ||
	    (strcmp(ocr, RESULTS_OCR_DONE) == 0 &&
	     json_object_set_new(j, "ocr_pages", json_integer(results_ocr_pages(r))) != 0))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* members/<n>/output, attestation.json and preview.png for each clean member of an
 * archive. */
static int
write_members(const char *tmpdir, const struct pipeline_result *r)
{
	char d[PATH_MAX], f[PATH_MAX + 16];
	uint32_t i;

	snprintf(d, sizeof d, "%s/members", tmpdir);
	if (mkdir(d, 0750) != 0 && errno != EEXIST)
		return -1;
	for (i = 0; i < r->nmembers; i++) {
		const struct pipeline_member *m = &r->members[i];

		if (!m->res.clean)
			continue;
		snprintf(d, sizeof d, "%s/members/%u", tmpdir, i + 1);
		snprintf(f, sizeof f, "%s/output", d);
		if ((mkdir(d, 0750) != 0 && errno != EEXIST) ||
		    fsio_write_atomic(f, m->output.p, m->output.len, 0640) != 0 ||
		    (m->res.attestation != NULL &&
		     write_json_file(d, "attestation.json", m->res.attestation) != 0))
			return -1;
		/* Each member's first page for the citizen's form; a convenience only. */
		snprintf(f, sizeof f, "%s/preview.png", d);
		if (m->res.preview.len > 0 &&
		    fsio_write_atomic(f, m->res.preview.p, m->res.preview.len, 0640) != 0)
			log_warn("sanitized: member %u: preview not written: %s", i + 1,
				 strerror(errno));
	}
	return fsio_fsync_dir(tmpdir);
}

/* tmpdir, filled and fsync'd, takes the place of dir in one step: exchanged with an
 * older result (the portal never finds the upload without one), or renamed in when
 * there is none; then the old one, now under tmpdir's name, is removed. */
static int
replace_result_dir(const char *tmpdir, const char *dir, const char *results_dir)
{
	char old[PATH_MAX + 16];

	if (renameat2(AT_FDCWD, tmpdir, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		fsio_remove_tree(tmpdir);
	} else if (errno == ENOENT) {
		if (rename(tmpdir, dir) != 0)
			return -1;
	} else {
		/* A file system without the exchange: move the old one aside first (a
		 * rename cannot replace a non-empty directory). */
		snprintf(old, sizeof old, "%s.old", tmpdir);
		if (rename(dir, old) == 0)
			fsio_remove_tree(old);
		if (rename(tmpdir, dir) != 0)
			return -1;
	}
	/* The intake item is finished right after we return: the rename must be durable
	 * first, or a crash could lose the result of a finished upload. */
	return fsio_fsync_dir(results_dir);
}

int
results_begin(const char *results_dir, const char *id, char *tmpdir, size_t len)
{
	snprintf(tmpdir, len, "%s/.%s.tmp", results_dir, id);
	/* A directory left by a crash holds another run's files: none may leak into ours. */
	fsio_remove_tree(tmpdir);
	return mkdir(tmpdir, 0750);
}

void
results_abandon(const char *tmpdir)
{
	fsio_remove_tree(tmpdir);
}

int
results_commit(const char *results_dir, const char *id, const char *tmpdir, int out_fd,
    const struct pipeline_result *res, const char *ocr)
{
	char dir[PATH_MAX], f[PATH_MAX + 16];
	json_t *j;
	int rc = 0;

	snprintf(dir, sizeof dir, "%s/%s", results_dir, id);
	snprintf(f, sizeof f, "%s/output", tmpdir);
	if (!res->clean || res->nmembers > 0)
		unlink(f);	/* refused: nothing; an archive: its members' outputs */
	if (res->clean && res->nmembers > 0)
		rc = write_members(tmpdir, res);
	else if (res->clean && (fsync(out_fd) != 0 ||
		 write_json_file(tmpdir, "attestation.json", res->attestation) != 0))
		rc = -1;
	/* The preview is a convenience for the citizen's form: without one the portal
	 * shows the name and page count. */
	snprintf(f, sizeof f, "%s/preview.png", tmpdir);
	if (rc == 0 && res->clean && res->preview.len > 0 &&
	    fsio_write_atomic(f, res->preview.p, res->preview.len, 0640) != 0)
		log_warn("sanitized: upload %s: preview not written: %s", id, strerror(errno));
	/* Written last, with an fsync of the directory: everything before it is durable. */
	if (rc == 0) {
		j = result_json(id, res, ocr);
		if (j == NULL || write_json_file(tmpdir, "result.json", j) != 0)
			rc = -1;
		json_decref(j);
	}
	return rc == 0 ? replace_result_dir(tmpdir, dir, results_dir) : -1;
}

int
results_read_state(const char *results_dir, const char *id, char *status, size_t slen,
    char *ocr, size_t olen)
{
	char path[PATH_MAX], err[256];
	json_t *j;

	snprintf(path, sizeof path, "%s/%s/result.json", results_dir, id);
	if ((j = jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err)) == NULL)
		return -1;
	snprintf(status, slen, "%s", jsonio_str(j, "status", ""));
	snprintf(ocr, olen, "%s", jsonio_str(j, "ocr", ""));
	json_decref(j);
	return 0;
}

int
results_set_ocr(const char *results_dir, const char *id, const char *state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], err[256];
	json_t *j;
	int rc;

	snprintf(dir, sizeof dir, "%s/%s", results_dir, id);
	snprintf(path, sizeof path, "%s/result.json", dir);
	if ((j = jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err)) == NULL)
		return -1;
	rc = json_object_set_new(j, "ocr", json_string(state)) == 0 &&
	    write_json_file(dir, "result.json", j) == 0 ? 0 : -1;
	json_decref(j);
	return rc == 0 ? fsio_fsync_dir(dir) : -1;
}
