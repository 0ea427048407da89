/*
 * pipeline.h — one file through the checkpoint: detect, scan, render in a sandbox,
 * rebuild from pixels, scan the output, hash both, attest.
 *
 * The verdict is "clean" only when every step said so; any doubt is a refusal with
 * a stable reason code and a Japanese message for the citizen. An internal failure
 * (the sandbox could not be set up, memory, I/O on our own files) is not a verdict:
 * pipeline_run returns a negative errno and the caller must not pass the file.
 */
#ifndef SEKISHO_PIPELINE_H
#define SEKISHO_PIPELINE_H

#include <jansson.h>
#include <stdint.h>

#include "attest.h"
#include "ocr.h"
#include "officepdf.h"
#include "officewarm.h"
#include "rebuild.h"
#include "render.h"
#include "sandbox.h"
#include "scan.h"
#include "unpack.h"

#define PIPELINE_DEFAULT_LANES	2	/* children rendering one PDF at once: the cores */
#define PIPELINE_MAX_LANES	8
#define PIPELINE_OCR_PAGE_MS	20000	/* wall and CPU time an OCR child has per page */
#define PIPELINE_OCR_RESTARTS	3	/* fresh OCR children per stream after a failure */

/* Whether this is an AddressSanitizer build. GCC 12's ASan does not hold its
 * allocator's lock across fork: a child forked while another thread of ours is in
 * malloc waits on that lock for ever (seen as a sandbox timeout). glibc's malloc is
 * fork-safe, so only that build forks from one thread at a time: one render lane
 * (pipeline.c) and no separate OCR threads (worker.c). */
#if defined(__SANITIZE_ADDRESS__)
#define PIPELINE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PIPELINE_ASAN 1
#endif
#endif
#ifndef PIPELINE_ASAN
#define PIPELINE_ASAN 0
#endif

struct pipeline_config {
	struct scanner *scanner;	/* borrowed; required */
	unsigned dpi;			/* PDF rendering, RENDER_MIN_DPI..RENDER_MAX_DPI */
	const uint8_t *sign_key;	/* Ed25519 seed (32 bytes); NULL: no attestation */
	const char *policy;		/* named in the attestation */
	struct render_limits render;	/* what the child renders */
	struct sandbox_limits sandbox;	/* each child; timeout_ms is for all of them */
	uint64_t max_total_pixels;	/* all pages of one document */
	unsigned lanes;			/* PDF pages rendered and encoded in parallel by
					 * this many children (each every lanes-th page)
					 * and threads; 1: one child at a time */
	const char *ocr;		/* NULL or "off": no text layer; else Tesseract's
					 * languages (OCR_DEFAULT_LANGS) for PDF output */
	const char *ocr_tessdata;	/* the models' directory; NULL: Tesseract's own */
	const struct ocr_models *ocr_models; /* borrowed; NULL, or the readers for ocr
					 * and ocr_tessdata loaded once (ocr.h): each
					 * OCR child starts from fork's copy; NULL or
					 * others: each child loads its own */
	int ocr_bands;			/* 1 (default): the page left over when the
					 * lanes have read theirs (a one-page document's,
					 * the 3rd of 3 on 2 lanes) is read in bands, one
					 * per lane (ocr.h); 0: by one OCR child, the
					 * other lanes idle */
	unsigned ocr_page_ms;		/* per page, for an OCR child's wall and CPU time */
	struct sandbox_limits ocr_sandbox; /* each OCR child; its timeout, CPU and output
					 * are set from the pages it is given */
	struct officepdf_limits office;	/* LibreOffice's cage (officepdf.h), before the
					 * render of the PDF it makes */
	struct officewarm *office_warm;	/* borrowed; NULL: a fresh LibreOffice per file
					 * (officepdf_convert), which is also the fallback
					 * when no warm converter can be started */
	int allow_archives;		/* the procedure's policy: 0 (default) refuses a
					 * zip with "archive_not_allowed" */
	struct unpack_limits unpack;	/* members, sizes and ratio of an allowed zip */
	int keep_ooxml;			/* the procedure's policy: docx and xlsx stay
					 * editable, rebuilt with only allowed parts
					 * (ooxml.h, method "ooxml-rebuild"); 0 (default):
					 * they become PDF like any Office file */
	int kept_preview;		/* 1 (default): a kept-editable file gets a
					 * preview, its kept output made a PDF by
					 * LibreOffice for the thumbnail only; 0 (the
					 * CLI, which shows none): no conversion */
	int in_archive;			/* set by the pipeline for a zip's members: a
					 * nested zip is refused ("archive_nested") */
	const struct attest_origin *origin; /* set by the pipeline for a zip's members:
					 * the zip and the member's path, named in
					 * the member's attestation */
};

/* 150 dpi, policy "default", render_limits_default, a sandbox of 1 GiB address
 * space, 30 s CPU and 30 s wall for the whole render, 256 MiB per stream, at most
 * 1 Gpx for a document, and PIPELINE_DEFAULT_LANES lanes; OCR off (when on:
 * PIPELINE_OCR_PAGE_MS per page, 1 GiB address space per OCR child). (Built with AddressSanitizer, the address-space limit
 * is left unset: ASan's shadow alone exceeds it.) */
void pipeline_config_default(struct pipeline_config *c);

struct pipeline_member;

struct pipeline_result {
	int clean;			/* 1: the output was written and may be passed on */
	const char *reason;		/* "ok" or a stable code: "malware", "encrypted", ... */
	const char *message;		/* for the citizen, in Japanese (です・ます) */
	const char *type;		/* detected type: "pdf", "png", ... */
	const char *method;		/* "pdf-render", "image-reencode",
					 * "office-pdf-render", "ooxml-rebuild",
					 * "text-reencode" (textclean.h),
					 * "archive-extract" (the outputs are the
					 * members'), or "" */
	const char *output_type;	/* "pdf", "png", "jpeg" (a photographic
					 * image), "docx", "xlsx", "pptx", "csv",
					 * "txt" (UTF-8 text), or "" */

	uint8_t input_sha256[32], output_sha256[32];
	uint64_t input_size, output_size;
	uint32_t pages;			/* 0 for text: it has no pages, no preview */
	uint32_t ocr_pages;		/* pages given a text layer */
	uint32_t ocr_failed;		/* pages whose OCR child failed: no text, still
					 * clean (the text layer is an aid, not the file) */
	uint64_t ocr_max_rss_kb;	/* the largest OCR child's peak resident set */
	uint32_t ocr_pages_eng;		/* of ocr_pages, those eng led (jpn/eng pair) */
	uint32_t ocr_lines_reread;	/* lines read again by the other language */
	uint32_t ocr_pages_vertical;	/* of ocr_pages, those written vertically
					 * (縦書き), read by jpn_vert */
	uint32_t ocr_pages_vert_model;	/* pages jpn_vert read any of: those, and
					 * pages with a form's labels written down
					 * (the attestation names it) */
	uint32_t ocr_pages_turned;	/* of ocr_pages, those scanned upside down or
					 * on their side, shown upright (/Rotate) */
	uint32_t ocr_pages_uneven;	/* of ocr_pages, those whose paper was lit
					 * unevenly, read by a local threshold */
	uint32_t ocr_pages_banded;	/* pages read in bands (ocr_bands): 0 or 1 */
	double seconds;
	double office_seconds;		/* of seconds, LibreOffice's conversion */
	char detail[256];		/* for operators' logs: signature name, child fate */
	json_t *attestation;		/* signed, when clean and a key was given */
	struct rebuild_buf preview;	/* first page as a small PNG (preview.h); may be
					 * empty. Shown to the citizen only when clean. */
	struct pipeline_member *members; /* an allowed zip: each member's own result */
	uint32_t nmembers;
};

/* One member of an allowed zip, sanitized on its own: a clean member has its own
 * rebuilt output and attestation. The zip is clean only if every member is. */
struct pipeline_member {
	char name[UNPACK_MAX_NAME + 1];	/* its path in the zip, for display only */
	struct pipeline_result res;
	struct rebuild_buf output;	/* the rebuilt file, when res.clean */
};

/* Sanitize the file open on in_fd (read from its start) into out_fd (an empty
 * file, written from its start; left with undefined content unless clean). Returns
 * 0 with *res filled, clean or not, or a negative errno on an internal failure.
 * The caller frees res with pipeline_result_free. */
int pipeline_run(const struct pipeline_config *c, int in_fd, int out_fd,
    struct pipeline_result *res);

void pipeline_result_free(struct pipeline_result *res);

/* Whether c asks for a text layer (ocr set, and not "off"). */
int pipeline_ocr_on(const struct pipeline_config *c);

/* The Japanese message for a reason code (the code itself if unknown). */
const char *pipeline_message(const char *reason);

#endif
