/*
 * worker.c — the pool of sanitizer threads.
 *
 * Each thread owns nothing but the upload it claimed; the scanner is shared
 * (scan_fd is thread-safe) and the pipeline forks its own sandboxed child per file,
 * so one slow PDF occupies one thread while small files keep flowing on the others.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#define _GNU_SOURCE
#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "fsio.h"
#include "jsonio.h"
#include "log.h"
#include "quarantine.h"

struct worker_pool {
	struct worker_config cfg;
	pthread_t threads[WORKER_MAX_THREADS];
	unsigned nthreads;
	volatile int stopping;
	pthread_mutex_t lock;
	uint64_t processed, clean, rejected, errors;
	unsigned busy;
};

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

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* A result directory holds only what process() wrote (plain files, and an
 * archive's members/<n>/ directories), perhaps with the temporary file of a write
 * a crash interrupted: remove it all, never following a link. */
static void
remove_result_dir(const char *dir)
{
	(void)nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
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

static json_t *
result_json(const char *id, const struct pipeline_result *r)
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

int
worker_item_policy(const char *item_id, char *upload, size_t uploadlen,
		   struct pipeline_config *pc)
{
	/* The suffix is the last ".p…": an id of other dots keeps them. */
	const char *sep = strrchr(item_id, '.'), *f;
	size_t len;
	int archives = 0, ooxml = 0;

	if (sep != NULL && strncmp(sep, WORKER_POLICY_SEP, strlen(WORKER_POLICY_SEP)) != 0)
		sep = NULL;
	len = sep ? (size_t)(sep - item_id) : strlen(item_id);

	if (len == 0 || len >= uploadlen)
		return -1;
	memcpy(upload, item_id, len);
	upload[len] = '\0';
	if (sep == NULL)
		return 0;
	f = sep + strlen(WORKER_POLICY_SEP);
	if (strcmp(f, "-") != 0) {
		for (; *f; f++) {
			if (*f == 'a' && !archives)
				archives = 1;
			else if (*f == 'o' && !ooxml)
				ooxml = 1;
			else
				return -1;
		}
		if (!archives && !ooxml)
			return -1;
	}
	pc->allow_archives = archives;
	pc->keep_ooxml = ooxml;
	return 0;
}

/* results/<id>/ is rebuilt whole: a new directory filled and fsync'd, then renamed
 * over any older one (from a run interrupted by a crash). */
static int
process(struct worker_pool *p, const struct spool_item *item)
{
	char dir[PATH_MAX], tmpdir[PATH_MAX], out[PATH_MAX + 16], id[SPOOL_ID_MAX + 1];
	struct pipeline_config pc = p->cfg.pipeline;
	struct pipeline_result res;
	int in_fd = -1, out_fd = -1, rc = -1;
	json_t *j;

	/* A name we did not make sanitizes nothing: finished, with no result, so the
	 * portal shows the upload as pending until it expires. */
	if (worker_item_policy(item->id, id, sizeof id, &pc) != 0) {
		log_warn("sanitized: intake item %s: malformed name, not sanitized", item->id);
		return 0;
	}
	snprintf(dir, sizeof dir, "%s/%s", p->cfg.results_dir, id);
	snprintf(tmpdir, sizeof tmpdir, "%s/.%s.tmp", p->cfg.results_dir, id);
	snprintf(out, sizeof out, "%s/output", tmpdir);
	if (mkdir(tmpdir, 0750) != 0 && errno != EEXIST)
		return -1;
	if ((in_fd = open(item->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out_fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		goto done;
	if ((rc = pipeline_run(&pc, in_fd, out_fd, &res)) != 0) {
		log_err("sanitized: upload %s: internal error: %s", item->id, strerror(-rc));
		goto done;
	}
	if (res.clean) {
		char pv[PATH_MAX + 16];

		if (res.nmembers > 0) {
			unlink(out);	/* an archive's outputs are its members' */
			if (write_members(tmpdir, &res) != 0)
				rc = -1;
		} else if (fsync(out_fd) != 0 || write_json_file(tmpdir, "attestation.json",
							  res.attestation) != 0) {
			rc = -1;
		}
		/* The preview is a convenience for the citizen's form: without one the
		 * portal shows the name and page count. */
		snprintf(pv, sizeof pv, "%s/preview.png", tmpdir);
		if (rc == 0 && res.preview.len > 0 &&
		    fsio_write_atomic(pv, res.preview.p, res.preview.len, 0640) != 0)
			log_warn("sanitized: upload %s: preview not written: %s", item->id,
				 strerror(errno));
	} else {
		char q[PATH_MAX];

		unlink(out);
		/* The reason is in result.json; the original alone is kept here. */
		if (quarantine_keep(p->cfg.quarantine_dir, item->id, item->path,
				    QUARANTINE_LINK, NULL, q, sizeof q) != 0)
			log_warn("sanitized: upload %s: cannot quarantine: %s", item->id,
				 strerror(errno));
	}
	j = result_json(id, &res);
	/* Written last, with an fsync of the directory: everything before it is durable. */
	if (rc == 0 && write_json_file(tmpdir, "result.json", j) != 0)
		rc = -1;
	json_decref(j);
	if (rc == 0) {
		char old[PATH_MAX + 16];

		/* Replace an older result whole; a rename cannot replace a non-empty
		 * directory, so the old one is moved aside and removed. */
		snprintf(old, sizeof old, "%s.old", tmpdir);
		if (rename(dir, old) == 0)
			remove_result_dir(old);
		/* The intake item is finished right after we return: the rename must be
		 * durable first, or a crash could lose the result of a finished upload. */
		if ((rc = rename(tmpdir, dir)) == 0)
			rc = fsio_fsync_dir(p->cfg.results_dir);
	}
	pthread_mutex_lock(&p->lock);
	p->processed++;
	if (rc == 0)
		res.clean ? p->clean++ : p->rejected++;
	pthread_mutex_unlock(&p->lock);
	{
		struct log_field f[] = { { "UPLOAD", item->id }, { "VERDICT", res.clean ? "clean" : "rejected" },
					 { "REASON", res.reason }, { "TYPE", res.type ? res.type : "" } };
		log_fields(LOG_LEVEL_INFO, f, 4, "sanitized: upload %s %s (%s, %u pages, %.2f s)%s%s",
			   item->id, res.clean ? "clean" : "rejected", res.reason, res.pages,
			   res.seconds, res.detail[0] ? ": " : "", res.detail);
	}
	pipeline_result_free(&res);
done:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	return rc;
}

static void *
run(void *arg)
{
	struct worker_pool *p = arg;

	while (!p->stopping) {
		struct spool_item item;

		if (spool_claim(p->cfg.intake, &item) != SPOOL_OK) {
			struct timespec ts = { 0, 100 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		pthread_mutex_lock(&p->lock);
		p->busy++;
		pthread_mutex_unlock(&p->lock);
		if (process(p, &item) == 0) {
			spool_commit(p->cfg.intake, &item);
		} else {
			/* Our failure, not the file's: give it back for another try. */
			pthread_mutex_lock(&p->lock);
			p->errors++;
			pthread_mutex_unlock(&p->lock);
			spool_return(p->cfg.intake, &item);
			sleep(1);
		}
		pthread_mutex_lock(&p->lock);
		p->busy--;
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int
worker_start(struct worker_pool **out, const struct worker_config *cfg, char *err,
	     size_t errlen)
{
	struct worker_pool *p = calloc(1, sizeof *p);
	int rc;

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->cfg = *cfg;
	if (mkdir(cfg->results_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", cfg->results_dir, strerror(errno));
		free(p);
		return -1;
	}
	if ((rc = spool_recover(cfg->intake)) < 0) {
		snprintf(err, errlen, "%s: cannot recover: %s", cfg->intake->root, strerror(-rc));
		free(p);
		return -1;
	}
	if (rc > 0)
		log_info("sanitized: %d uploads in progress at the last stop will be redone", rc);
	pthread_mutex_init(&p->lock, NULL);
	for (unsigned i = 0; i < cfg->threads && i < WORKER_MAX_THREADS; i++) {
		if (pthread_create(&p->threads[i], NULL, run, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		snprintf(err, errlen, "cannot start worker threads");
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
worker_stop(struct worker_pool *p)
{
	if (p == NULL)
		return;
	p->stopping = 1;
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

json_t *
worker_metrics(struct worker_pool *p)
{
	json_t *m;

	pthread_mutex_lock(&p->lock);
	m = json_pack("{s:I,s:I,s:I,s:I,s:i,s:i}", "processed", (json_int_t)p->processed,
		      "clean", (json_int_t)p->clean, "rejected", (json_int_t)p->rejected,
		      "errors", (json_int_t)p->errors, "busy", (int)p->busy,
		      "threads", (int)p->nthreads);
	pthread_mutex_unlock(&p->lock);
	return m;
}

json_t *
worker_status(struct worker_pool *p, const char *id)
{
	static const char *const suffixes[] = { "", WORKER_POLICY_SEP "-", WORKER_POLICY_SEP "a",
						WORKER_POLICY_SEP "o", WORKER_POLICY_SEP "ao" };
	char path[PATH_MAX], err[PATH_MAX + 64], up[SPOOL_ID_MAX + 1];
	struct pipeline_config pc;

	/* An upload id, never an item name with a policy in it. */
	if (!spool_valid_id(id) || worker_item_policy(id, up, sizeof up, &pc) != 0 ||
	    strcmp(up, id) != 0)
		return NULL;
	snprintf(path, sizeof path, "%s/%s/result.json", p->cfg.results_dir, id);
	if (access(path, F_OK) == 0)
		return jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err);
	/* The item may carry the procedure's policy in its name (WORKER_POLICY_SEP). */
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s/work/%s%s", p->cfg.intake->root, id, suffixes[i]);
		if (access(path, F_OK) == 0)
			return json_pack("{s:s,s:s}", "id", id, "status", "processing");
	}
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s/new/%s%s", p->cfg.intake->root, id, suffixes[i]);
		if (access(path, F_OK) == 0)
			return json_pack("{s:s,s:s}", "id", id, "status", "queued");
	}
	return NULL;
}
