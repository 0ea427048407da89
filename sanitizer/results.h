/*
 * results.h — results/<id>/, the sanitizer's answer about one upload, for portald
 * (GET /api/results/ID, the preview) and the bundle assembler (assemble.c):
 *
 *   result.json       always: status, reason, message, type, method, pages, ...
 *   output            when clean: the rebuilt file
 *   attestation.json  when clean: its signed attestation
 *   preview.png       when clean and one could be made: the first page, small
 *   members/<n>/      for an allowed zip, the same three per clean member
 *
 * Written whole and put in place in one step (results_begin, results_commit).
 */
#ifndef SEKISHO_SANITIZER_RESULTS_H
#define SEKISHO_SANITIZER_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

#define RESULT_MAX_BYTES   (64 * 1024)	/* results/<id>/result.json: an archive's
					 * members (<= 50) make it larger; portald
					 * reads up to 64 KiB */

/* result.json's "ocr": absent when no text layer was asked for, or the output has no
 * PDF page to carry one (worker.c makes text layers after the verdict). */
#define RESULTS_OCR_PENDING	"pending"	/* the verdict is out; the text layer comes */
#define RESULTS_OCR_DONE	"done"		/* the output carries it ("ocr_pages") */
#define RESULTS_OCR_FAILED	"failed"	/* the output stands without one */

/* results_dir/.ID.tmp made empty (what a crash left there removed) for a new result;
 * its path in tmpdir. The pipeline writes the output into tmpdir/output. 0 or -1. */
int results_begin(const char *results_dir, const char *id, char *tmpdir, size_t len);

/* The rest of res into tmpdir (out_fd: tmpdir/output, fsync'd here when it stays),
 * result.json last (with "ocr": ocr unless NULL), then tmpdir in place of
 * results_dir/ID: exchanged with an older result, so that a reader never finds none.
 * 0, or -1 with errno. */
int results_commit(const char *results_dir, const char *id, const char *tmpdir, int out_fd,
    const struct pipeline_result *res, const char *ocr);

/* A tmpdir that will not be committed, removed. */
void results_abandon(const char *tmpdir);

/* The "status" ("clean" or "rejected") and "ocr" ("" when absent) of ID's published
 * result. 0, or -1 when there is none (or it cannot be read). */
int results_read_state(const char *results_dir, const char *id, char *status, size_t slen,
    char *ocr, size_t olen);

/* result.json of ID says "ocr": state, the rest unchanged (one atomic write). */
int results_set_ocr(const char *results_dir, const char *id, const char *state);

/* Whether a clean result has a PDF page for a text layer: its output, or a member's. */
int results_has_pdf(const struct pipeline_result *r);

/* Pages given a text layer: the result's own, and its members'. */
uint32_t results_ocr_pages(const struct pipeline_result *r);

#endif
