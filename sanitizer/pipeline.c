/*
 * pipeline.c — the checkpoint for one file, step by step.
 *
 * The invariant: res->clean is set in one place, at the end, after the output was
 * rebuilt from pixels, written, scanned clean and hashed; every earlier return is a
 * refusal or an internal error. The parent never parses the original: it reads
 * bytes only to detect the type (bounded magic checks), to hash, and to hand the
 * descriptor to libclamav and to the sandboxed child. What the child says back is a
 * pixel stream checked by the pixels reader and an exit code that can only select a
 * refusal. Text is the one output not rebuilt from pixels: the child decodes and
 * cleans it (textclean.h), and the parent cleans the child's UTF-8 again, which
 * must change nothing.
 */
#define _GNU_SOURCE		/* memfd_create */
#include "pipeline.h"
#include "preview.h"

#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "crypto.h"
#include "deadline.h"
#include "detect.h"
#include "fsio.h"
#include "ooxml.h"
#include "photo.h"
#include "pixels.h"
#include "rebuild.h"
#include "textclean.h"


static const struct {
	const char *reason;
	const char *message;
} messages[] = {
	{ "ok", "ファイルを無害化しました。" },
	{ "empty", "ファイルが空です。内容のあるファイルを添付してください。" },
	{ "unsupported_type",
	  "この種類のファイルは受け付けられません。PDF、画像 (JPEG・PNG・GIF・TIFF・BMP・WebP・"
	  "HEIC)、Word・Excel・PowerPoint、OpenDocument、またはテキスト・CSV (UTF-8 または "
	  "Shift_JIS) のファイルを添付してください。" },
	{ "malware",
	  "ファイルからウイルスなどの不正なプログラムが見つかったため、受け付けられません。" },
	{ "encrypted",
	  "パスワード付きのファイルは受け付けられません。パスワードを解除したファイルを添付して"
	  "ください。" },
	{ "macros", "マクロを含むファイルは受け付けられません。マクロを含まないファイルを添付してください。" },
	{ "limits_exceeded",
	  "ファイルが大きすぎるか複雑すぎるため、処理できませんでした。ファイルを小さくするか、"
	  "分けて添付してください。" },
	{ "too_many_pages",
	  "ページ数が上限を超えているため、受け付けられません。ファイルを分けて添付してください。" },
	{ "render_failed",
	  "ファイルが壊れているか、読み取れない形式のため、処理できませんでした。元のファイルを"
	  "確認して、もう一度添付してください。" },
	{ "archive_not_allowed",
	  "この手続きでは圧縮ファイル (zip) は受け付けられません。ファイルを展開して、1 つずつ"
	  "添付してください。" },
	{ "archive_nested",
	  "圧縮ファイルの中の圧縮ファイルは受け付けられません。展開してから添付してください。" },
	{ "archive_path",
	  "圧縮ファイルに不正なファイル名 (絶対パスや「..」を含むもの) があるため、受け付けられ"
	  "ません。" },
	{ "archive_link",
	  "圧縮ファイルにリンクや特殊なファイルが含まれているため、受け付けられません。通常の"
	  "ファイルだけを圧縮してください。" },
	{ "archive_bomb",
	  "圧縮ファイルを展開した大きさが異常に大きいため、受け付けられません。" },
	{ "archive_too_many",
	  "圧縮ファイルに含まれるファイルが多すぎるため、受け付けられません。ファイルを分けて"
	  "添付してください。" },
	{ "archive_member_refused",
	  "圧縮ファイルの中に受け付けられないファイルがあります。ファイルごとの結果を確認し、"
	  "そのファイルを除くか直してから、もう一度添付してください。" },
	{ "scan_failed",
	  "ウイルス検査を完了できなかったため、受け付けられません。時間をおいてもう一度お試し"
	  "ください。" },
	/* Not the file's verdict: the service failed on it again and again (worker.c). */
	{ "processing_failed",
	  "このファイルは処理を完了できませんでした。お手数ですが、別の形式 (PDF など) で保存し"
	  "直して添付してください。解決しない場合は、手続きの担当窓口にお問い合わせください。" },
};

const char *
pipeline_message(const char *reason)
{
	size_t i;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (strcmp(messages[i].reason, reason) == 0)
			return messages[i].message;
	return reason;
}

void
pipeline_config_default(struct pipeline_config *c)
{
	memset(c, 0, sizeof(*c));
	c->dpi = RENDER_DEFAULT_DPI;
	c->policy = "default";
	render_limits_default(&c->render);
	sandbox_limits_default(&c->sandbox);
	c->sandbox.as_bytes = PIPELINE_ASAN ? 0 : 1ull << 30;
	c->sandbox.cpu_seconds = 30;
	c->sandbox.timeout_ms = 30000;
	c->sandbox.output_max = 256u << 20;
	c->max_total_pixels = 1000ull * 1000 * 1000;
	c->lanes = PIPELINE_DEFAULT_LANES;
	c->ocr = NULL;
	c->ocr_page_ms = PIPELINE_OCR_PAGE_MS;
	c->ocr_bands = 1;
	sandbox_limits_default(&c->ocr_sandbox);
	c->ocr_sandbox.as_bytes = PIPELINE_ASAN ? 0 : 1ull << 30;
	officepdf_limits_default(&c->office);
	c->allow_archives = 0;
	c->kept_preview = 1;
	unpack_limits_default(&c->unpack);
	c->in_archive = 0;
}

int
pipeline_ocr_on(const struct pipeline_config *c)
{
	return c->ocr != NULL && strcmp(c->ocr, "off") != 0;
}

void
pipeline_result_free(struct pipeline_result *res)
{
	uint32_t i;

	rebuild_buf_free(&res->preview);
	json_decref(res->attestation);
	res->attestation = NULL;
	for (i = 0; i < res->nmembers; i++) {
		pipeline_result_free(&res->members[i].res);
		rebuild_buf_free(&res->members[i].output);
	}
	free(res->members);
	res->members = NULL;
	res->nmembers = 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
refuse(struct pipeline_result *res, const char *reason)
{
	res->clean = 0;
	res->reason = reason;
	res->message = pipeline_message(reason);
	return 0;
}

static const char *
reason_for_scan(enum scan_verdict v)
{
	switch (v) {
	case SCAN_CLEAN:		return "ok";
	case SCAN_INFECTED:		return "malware";
	case SCAN_LIMITS_EXCEEDED:	return "limits_exceeded";
	case SCAN_ENCRYPTED:		return "encrypted";
	case SCAN_MACROS:		return "macros";
	case SCAN_ERROR:		return "scan_failed";
	}
	return "scan_failed";
}

static const char *
reason_for_exit(int code)
{
	switch (code) {
	case RENDER_EXIT_ENCRYPTED:	return "encrypted";
	case RENDER_EXIT_TOO_MANY_PAGES: return "too_many_pages";
	case RENDER_EXIT_LIMITS:	return "limits_exceeded";
	case RENDER_EXIT_UNSUPPORTED:	return "unsupported_type";
	default:			return "render_failed";
	}
}

static int
write_all_at(int fd, const uint8_t *p, size_t len)
{
	if (fsio_pwrite_all(fd, p, len, 0) != 0)
		return -errno;
	return ftruncate(fd, (off_t)len) == 0 ? 0 : -errno;
}

/* What the lanes of one document share (under lock). */
struct render_shared {
	pthread_mutex_t lock;
	pthread_cond_t told;		/* a lane told whether it has pages */
	const struct pipeline_config *c;
	enum detect_type type;
	struct rebuild_pdf *pdf;	/* NULL for an image */
	struct rebuild_buf *out;	/* an image's PNG or JPEG */
	int jpeg;			/* 1: out is a JPEG (rebuild_image) */
	int lossy;			/* the input image was lossy (DETECT_F_LOSSY) */
	uint64_t deadline_ms;		/* for all children of the document */
	uint64_t total;			/* pixel bytes read from every child */
	uint32_t pages;
	const char *reason;		/* the first refusal; NULL: none yet */
	char detail[256];
	int rc;				/* the first internal error (negative errno) */
	unsigned lanes, lanes_told;	/* lanes running; those but lane 0 that told */
	uint32_t pages_elsewhere;	/* pages the lanes that told have */
	int more_elsewhere;		/* one of them has more than one stream */
	uint32_t ocr_pages, ocr_failed, ocr_pages_eng, ocr_lines_reread, ocr_pages_banded;
	uint32_t ocr_pages_vertical, ocr_pages_turned, ocr_pages_uneven;
	uint32_t ocr_pages_vert_model;	/* pages jpn_vert read any of */
	uint64_t ocr_max_rss_kb;
	char ocr_detail[160];		/* the first OCR failure, for operators */
	struct rebuild_buf *preview;	/* the first page, small (lane 0 writes it) */
};

struct render_lane {
	struct render_shared *sh;
	int fd;				/* the input, with its own file offset */
	uint32_t first, step;		/* pages first, first + step, ... */
	uint32_t got;			/* pages this lane added */
	int told;			/* lanes but 0: whether it has pages, said */
	pthread_t thread;
};

/* Record the first refusal or error of a document; later ones add nothing. */
static void
lane_fail(struct render_shared *sh, int rc, const char *reason, const char *detail)
{
	pthread_mutex_lock(&sh->lock);
	if (sh->rc == 0 && sh->reason == NULL) {
		sh->rc = rc;
		sh->reason = reason;
		if (detail != NULL)
			snprintf(sh->detail, sizeof sh->detail, "%s", detail);
	}
	pthread_cond_broadcast(&sh->told);	/* lane 0 may wait: it stops too */
	pthread_mutex_unlock(&sh->lock);
}

static int
lane_stopped(struct render_shared *sh)
{
	int stop;

	pthread_mutex_lock(&sh->lock);
	stop = sh->rc != 0 || sh->reason != NULL;
	pthread_mutex_unlock(&sh->lock);
	return stop;
}

/* What a lane's OCR children did. */
struct ocr_tally {
	uint32_t ok, failed;		/* pages given a text layer, or not */
	uint32_t eng, reread;		/* pages eng led; lines read again */
	uint32_t vertical;		/* pages read as vertical writing */
	uint32_t vert_model;		/* pages jpn_vert read any of */
	uint32_t turned;		/* pages found upside down or on their side */
	uint32_t uneven;		/* pages lit unevenly (ocr_light.h) */
	uint32_t banded;		/* pages read in bands */
};

/* Count OCR results of a lane; the first failure is kept for the operator. */
static void
ocr_count(struct render_shared *sh, const struct ocr_tally *t, const char *detail)
{
	pthread_mutex_lock(&sh->lock);
	sh->ocr_pages += t->ok;
	sh->ocr_failed += t->failed;
	sh->ocr_pages_eng += t->eng;
	sh->ocr_lines_reread += t->reread;
	sh->ocr_pages_vertical += t->vertical;
	sh->ocr_pages_vert_model += t->vert_model;
	sh->ocr_pages_turned += t->turned;
	sh->ocr_pages_uneven += t->uneven;
	sh->ocr_pages_banded += t->banded;
	if (detail != NULL && sh->ocr_detail[0] == '\0')
		snprintf(sh->ocr_detail, sizeof sh->ocr_detail, "%s", detail);
	pthread_mutex_unlock(&sh->lock);
}

/*
 * The words on frames from to from + frames of one pixel stream (whose frame f is
 * page first + f * step), or on band band of bands of each, read by sandboxed OCR
 * children from the stream in our memory (fork's copy) into pages[0..frames)
 * (zeroed). A child that fails —
 * crash, timeout, garbage — costs the page it was on its text and nothing else: the
 * pages it finished keep theirs, the pages after it go to a fresh child, up to
 * PIPELINE_OCR_RESTARTS times; tally->failed counts the pages lost. The file stays
 * clean either way: its pixels are what it is, the text only helps to find it.
 * Returns 0 or a negative errno (the sandbox itself failed).
 */
static int
ocr_read(struct render_shared *sh, const uint8_t *stream, size_t len, uint32_t from,
    uint32_t frames, uint32_t first, uint32_t step, unsigned band, unsigned bands,
    struct ocr_page *pages, struct ocr_tally *tally)
{
	const struct pipeline_config *c = sh->c;
	struct ocr_request req = { .langs = c->ocr, .tessdata = c->ocr_tessdata, .dpi = c->dpi,
				   .models = c->ocr_models, .stream = stream, .stream_len = len,
				   .band = (uint8_t)band, .bands = (uint8_t)bands };
	uint32_t k = 0, n, restarts = 0;
	char detail[160];
	int rc = 0, err;

	pixels_limits_default(&req.lim);
	req.lim.max_pixels = c->render.max_page_pixels;
	req.lim.max_bytes = c->sandbox.output_max;
	req.lim.max_frames = c->render.max_pages;
	while (k < frames) {
		struct sandbox_limits lim = c->ocr_sandbox;
		struct sandbox_result sr;
		uint64_t ms = (uint64_t)(frames - k) * c->ocr_page_ms;

		lim.timeout_ms = ms > UINT32_MAX ? UINT32_MAX : (unsigned)ms;
		lim.cpu_seconds = (unsigned)((lim.timeout_ms + 999) / 1000);
		lim.output_max = 16 + (size_t)(frames - k) * OCR_MAX_PAGE_BYTES;
		req.first = from + k;
		req.end = from + frames;
		if ((rc = sandbox_run_prepared(&lim, -1, ocr_child_prepare, ocr_child, &req, &sr)) != 0)
			break;
		if (sr.status == SANDBOX_EXIT && sr.exit_code == SANDBOX_EXIT_SETUP) {
			sandbox_result_free(&sr);
			rc = -EPERM;	/* not confined: ours to fix, as for the render */
			break;
		}
		pthread_mutex_lock(&sh->lock);
		if (sr.max_rss_kb > sh->ocr_max_rss_kb)
			sh->ocr_max_rss_kb = sr.max_rss_kb;
		pthread_mutex_unlock(&sh->lock);
		n = ocr_parse(sr.out, sr.out_len, from + k, frames - k, pages + k, &err);
		if (sr.status == SANDBOX_OK && err == OCR_OK && n == frames - k) {
			sandbox_result_free(&sr);
			break;
		}
		snprintf(detail, sizeof detail, "ocr: page %u: %s (exit %d, signal %d), output %s",
			 first + (from + k + n) * step + 1, sandbox_status_name(sr.status),
			 sr.status == SANDBOX_EXIT ? sr.exit_code : 0, sr.signal, ocr_strerror(err));
		ocr_count(sh, &(struct ocr_tally){ 0 }, detail);
		tally->failed++;
		k += n + 1;
		/* A model that does not load fails the same way for every page. */
		if (++restarts > PIPELINE_OCR_RESTARTS ||
		    (sr.status == SANDBOX_EXIT && sr.exit_code == OCR_EXIT_MODEL)) {
			tally->failed += k < frames ? frames - k : 0;
			k = frames;
		}
		sandbox_result_free(&sr);
	}
	return rc;
}

/* Give page index the words read on it; count who read it. */
static void
ocr_place(struct render_shared *sh, uint32_t index, struct ocr_page *pg, struct ocr_tally *tally)
{
	tally->eng += pg->reader == OCR_READER_ENG;
	tally->vertical += pg->reader == OCR_READER_VERT;
	tally->vert_model += (uint32_t)ocr_page_read_vertical(pg);
	tally->turned += pg->turns != 0;
	tally->uneven += pg->threshold == OCR_THRESHOLD_LOCAL;
	tally->reread += pg->reread;
	if (pg->nwords == 0)
		return;
	if (rebuild_pdf_set_text(sh->pdf, index, pg) == REBUILD_OK)
		tally->ok++;
	else
		tally->failed++;
}

/* The text layer for the first frames frames of one pixel stream, pages first,
 * first + step, ... (ocr_read). Returns 0 or a negative errno. */
static int
ocr_stream(struct render_shared *sh, const uint8_t *stream, size_t len, uint32_t frames,
    uint32_t first, uint32_t step)
{
	struct ocr_tally tally = { 0 };
	struct ocr_page *pages;
	uint32_t i;
	int rc;

	if (frames == 0)
		return 0;
	if ((pages = calloc(frames, sizeof(*pages))) == NULL)
		return -ENOMEM;
	rc = ocr_read(sh, stream, len, 0, frames, first, step, 0, 1, pages, &tally);
	for (i = 0; i < frames; i++) {
		ocr_place(sh, first + i * step, &pages[i], &tally);
		ocr_page_free(&pages[i]);
	}
	free(pages);
	ocr_count(sh, &tally, NULL);
	return rc;
}

/* One band of a page, read on a thread of its own. */
struct ocr_band {
	struct render_shared *sh;
	const uint8_t *stream;
	size_t len;
	uint32_t frame, page;		/* the page's frame in the stream; its index */
	unsigned band, bands;
	struct ocr_page words;
	struct ocr_tally tally;
	int rc;
	pthread_t thread;
};

static void *
ocr_band_read(void *arg)
{
	struct ocr_band *b = arg;

	b->rc = ocr_read(b->sh, b->stream, b->len, b->frame, 1, b->page, 0, b->band, b->bands,
			 &b->words, &b->tally);
	return NULL;
}

/*
 * The text layer of page index page, frame frame of the stream, read in bands
 * (ocr.h) by bands OCR children at once: the lanes with no page left would otherwise
 * idle while one child reads it. Each child lays the whole page out, reads its
 * band's lines and only those; the bands' words are put together top first. A band
 * whose child failed costs the page its words there, and the page counts as failed
 * (its other bands' words stay). Returns 0 or a negative errno.
 */
static int
ocr_page_bands(struct render_shared *sh, const uint8_t *stream, size_t len, uint32_t frame,
    uint32_t page, unsigned bands)
{
	struct ocr_band b[OCR_MAX_BANDS];
	struct ocr_tally tally = { 0 };
	int threaded[OCR_MAX_BANDS] = { 0 };
	unsigned i;
	int rc = 0, failed = 0;

	for (i = 0; i < bands; i++) {
		b[i] = (struct ocr_band){ .sh = sh, .stream = stream, .len = len, .frame = frame,
					  .page = page, .band = i, .bands = bands };
		threaded[i] = i > 0 &&
		    pthread_create(&b[i].thread, NULL, ocr_band_read, &b[i]) == 0;
	}
	/* A band without a thread of its own is read here, after band 0. */
	for (i = 0; i < bands; i++)
		if (!threaded[i])
			ocr_band_read(&b[i]);
	for (i = 0; i < bands; i++) {
		if (threaded[i])
			pthread_join(b[i].thread, NULL);
		if (rc == 0)
			rc = b[i].rc;
		failed |= b[i].tally.failed > 0;
		if (i > 0 && ocr_page_append(&b[0].words, &b[i].words) != OCR_OK)
			failed = 1;
	}
	ocr_place(sh, page, &b[0].words, &tally);
	if (failed && tally.failed == 0) {
		tally.ok = 0;
		tally.failed = 1;
	}
	ocr_page_free(&b[0].words);
	tally.banded = 1;
	ocr_count(sh, &tally, NULL);
	return rc;
}

/* A lane but lane 0 tells, once, the pages of its first stream (got) and whether
 * that stream was its last (done). */
static void
lane_tell(struct render_lane *ln, uint32_t got, int done)
{
	struct render_shared *sh = ln->sh;

	if (ln->first == 0 || ln->told)
		return;
	ln->told = 1;
	pthread_mutex_lock(&sh->lock);
	sh->lanes_told++;
	sh->pages_elsewhere += got;
	sh->more_elsewhere |= !done;
	pthread_cond_broadcast(&sh->told);
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Whether lane 0's last page is the odd one out, to be read in bands: lane 0's first
 * stream is its last and holds got pages, and the other lanes, each done in one
 * stream too, hold got - 1 each — a one-page document (got 1, the others none), or
 * 3 pages on 2 lanes, 5, ... Without bands, lane 0 would read that page alone after
 * the others had finished. Lane 0 waits for the others to tell (their first render:
 * tens of milliseconds, beside a page's second of OCR). Returns the bands, or 1.
 */
static unsigned
lane_bands(struct render_lane *ln, int done, uint32_t got, uint32_t first_page)
{
	struct render_shared *sh = ln->sh;
	int odd_one_out;

	if (!sh->c->ocr_bands || ln->first != 0 || ln->step < 2 || !done || got == 0 ||
	    first_page != 0)
		return 1;
	pthread_mutex_lock(&sh->lock);
	while (sh->lanes_told + 1 < sh->lanes && sh->rc == 0 && sh->reason == NULL)
		pthread_cond_wait(&sh->told, &sh->lock);
	odd_one_out = !sh->more_elsewhere && sh->rc == 0 && sh->reason == NULL &&
	    sh->pages_elsewhere == (uint64_t)(ln->step - 1) * (got - 1);
	pthread_mutex_unlock(&sh->lock);
	return odd_one_out ? (ln->step < OCR_MAX_BANDS ? ln->step : OCR_MAX_BANDS) : 1;
}

/* One lane: as many sandboxed children as the stream bound needs for its pages,
 * feeding the rebuild as each stream arrives. */
static void *
render_lane(void *arg)
{
	struct render_lane *ln = arg;
	struct render_shared *sh = ln->sh;
	const struct pipeline_config *c = sh->c;
	struct render_request req = { .type = sh->type, .dpi = c->dpi, .lim = c->render,
				      .first_page = ln->first, .page_step = ln->step,
				      .tiff_pages = sh->type == DETECT_TIFF && sh->pdf != NULL };
	struct sandbox_limits lim = c->sandbox;
	char detail[256];
	uint64_t ocr_ms = 0;		/* this lane's time in OCR, not the render's */
	int rc, done = 0;

	/* libheif decodes on our thread, but libde265 starts one worker of its own. */
	lim.threads = sh->type == DETECT_HEIC;
	/* The lanes' children together hold no more than one child did. */
	req.lim.max_batch_pixels /= ln->step;
	while (!done && !lane_stopped(sh)) {
		struct sandbox_result sr;
		struct pixels_limits plim;
		struct pixels_reader r;
		struct pixels_mem mem;
		uint32_t got = 0;
		uint64_t t = deadline_now_ms();

		if (t >= sh->deadline_ms + ocr_ms) {
			lane_fail(sh, 0, "limits_exceeded", "render: out of time");
			break;
		}
		lim.timeout_ms = (unsigned)(sh->deadline_ms + ocr_ms - t);
		if (lseek(ln->fd, 0, SEEK_SET) != 0) {
			lane_fail(sh, -errno, NULL, NULL);
			break;
		}
		if ((rc = sandbox_run(&lim, ln->fd, render_child, &req, &sr)) != 0) {
			lane_fail(sh, rc, NULL, NULL);
			break;
		}
		if (sr.status == SANDBOX_EXIT && sr.exit_code == SANDBOX_EXIT_SETUP) {
			/* The child could not be confined: ours to fix, not the citizen's. */
			sandbox_result_free(&sr);
			lane_fail(sh, -EPERM, NULL, NULL);
			break;
		}
		if (sr.status != SANDBOX_OK &&
		    !(sr.status == SANDBOX_EXIT && sr.exit_code == RENDER_EXIT_MORE)) {
			snprintf(detail, sizeof detail, "render: %s (exit %d, signal %d)",
				 sandbox_status_name(sr.status),
				 sr.status == SANDBOX_EXIT ? sr.exit_code : 0, sr.signal);
			lane_fail(sh, 0, sr.status == SANDBOX_EXIT ? reason_for_exit(sr.exit_code)
			    : sr.status == SANDBOX_TIMEOUT || sr.status == SANDBOX_OUTPUT_TOO_LARGE
			    || (sr.status == SANDBOX_SIGNALED && sr.signal == SIGXCPU)
			    ? "limits_exceeded" : "render_failed", detail);
			sandbox_result_free(&sr);
			break;
		}
		done = sr.status == SANDBOX_OK;
		pixels_limits_default(&plim);
		plim.max_pixels = c->render.max_page_pixels;
		plim.max_bytes = c->sandbox.output_max;
		plim.max_frames = c->render.max_pages;
		mem = (struct pixels_mem){ .p = sr.out, .len = sr.out_len };
		pixels_reader_init(&r, pixels_mem_read, &mem, &plim);
		if (sh->pdf != NULL)
			rc = rebuild_pdf_add_stream_at(sh->pdf, &r, req.first_page, ln->step, &got);
		else if ((rc = rebuild_image(&r, sh->out, sh->lossy,
					     &sh->jpeg)) == REBUILD_OK)
			got = 1;
		/* Lane 0's first batch starts with the first page. A preview that cannot be
		 * made is only a missing convenience, never a refusal. */
		if (rc == REBUILD_OK && got > 0 && req.first_page == 0 && sh->preview != NULL &&
		    sh->preview->len == 0 &&
		    preview_from_stream(sr.out, sr.out_len, &plim, sh->preview) != 0)
			rebuild_buf_free(sh->preview);
		lane_tell(ln, got, done);
		if (rc == REBUILD_OK && sh->pdf != NULL && pipeline_ocr_on(c)) {
			uint64_t t0 = deadline_now_ms();
			unsigned bands = lane_bands(ln, done, got, req.first_page);
			/* The odd page out last, in bands, when the other lanes are done. */
			int orc = ocr_stream(sh, sr.out, sr.out_len, bands > 1 ? got - 1 : got,
					     req.first_page, ln->step);

			if (orc == 0 && bands > 1)
				orc = ocr_page_bands(sh, sr.out, sr.out_len, got - 1,
						     req.first_page + (got - 1) * ln->step, bands);

			ocr_ms += deadline_now_ms() - t0;
			if (orc != 0) {
				sandbox_result_free(&sr);
				lane_fail(sh, orc, NULL, NULL);
				break;
			}
		}
		sandbox_result_free(&sr);
		if (rc == REBUILD_ENOMEM) {
			lane_fail(sh, -ENOMEM, NULL, NULL);
			break;
		}
		if (rc != REBUILD_OK) {
			snprintf(detail, sizeof detail, "pixel stream: %s", rebuild_strerror(rc));
			lane_fail(sh, 0, "render_failed", detail);
			break;
		}
		ln->got += got;
		pthread_mutex_lock(&sh->lock);
		sh->total += r.bytes;
		sh->pages += got;
		rc = sh->total > c->max_total_pixels * 3 ? 1 : sh->pages > c->render.max_pages ? 2 : 0;
		pthread_mutex_unlock(&sh->lock);
		if (rc != 0) {
			lane_fail(sh, 0, rc == 1 ? "limits_exceeded" : "too_many_pages", NULL);
			break;
		}
		if (got == 0 && !done) {	/* "more", yet nothing: no progress, no loop */
			lane_fail(sh, 0, "render_failed", "render: no progress");
			break;
		}
		req.first_page += got * ln->step;
	}
	lane_tell(ln, 0, 1);
	return NULL;
}

/* The input again, with an offset of its own (a child reads it with read(2), so two
 * children must not share one). -1 if /proc is not there: then one lane. */
static int
reopen_input(int fd)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

/* Whether the rebuild of d is a PDF of its pages: a PDF's, and a multi-page TIFF's
 * (a scan or a fax, whose pages must all arrive); any other image stays an image. */
static int
makes_pdf(const struct detect_result *d)
{
	return d->type == DETECT_PDF || (d->type == DETECT_TIFF && (d->flags & DETECT_F_PAGES));
}

/* Render in sandboxed children — for a document, c->lanes of them at once, each
 * taking every lanes-th page — feeding the rebuild as each stream arrives. Returns 0
 * (refused or not: see res->reason, "ok" when out holds the rebuilt file) or a
 * negative errno. */
static int
render_and_rebuild(const struct pipeline_config *c, int in_fd, const struct detect_result *d,
    struct rebuild_buf *out, struct pipeline_result *res)
{
	/* A photographic image that came lossy (a camera's JPEG, HEIC or lossy WebP) may
	 * leave as JPEG. A lossless one stays lossless: the citizen chose exact pixels,
	 * e.g. for a screenshot. */
	struct render_shared sh = { .c = c, .type = d->type, .out = out, .preview = &res->preview,
				    .lossy = (d->flags & DETECT_F_LOSSY) != 0 };
	struct render_lane lanes[PIPELINE_MAX_LANES];
	int document = makes_pdf(d);
	unsigned n = document && c->lanes > 1 ? c->lanes : 1, i, started;
	int rc;

	if (n > PIPELINE_MAX_LANES)
		n = PIPELINE_MAX_LANES;
	/* One lane in the AddressSanitizer build (PIPELINE_ASAN in pipeline.h). */
	if (PIPELINE_ASAN)
		n = 1;
	if (pthread_mutex_init(&sh.lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_cond_init(&sh.told, NULL) != 0) {
		pthread_mutex_destroy(&sh.lock);
		return -ENOMEM;
	}
	sh.deadline_ms = deadline_now_ms() + c->sandbox.timeout_ms;
	if (document && (sh.pdf = rebuild_pdf_new(c->dpi)) == NULL) {
		pthread_cond_destroy(&sh.told);
		pthread_mutex_destroy(&sh.lock);
		return -ENOMEM;
	}
	memset(lanes, 0, sizeof lanes);
	lanes[0].fd = in_fd;
	for (i = 1; i < n; i++)
		if ((lanes[i].fd = reopen_input(in_fd)) < 0)
			break;
	n = i;
	for (i = 0; i < n; i++) {
		lanes[i].sh = &sh;
		lanes[i].first = i;
		lanes[i].step = n;
	}
	sh.lanes = n;
	/* Lane 0 runs here; the others on threads of their own. */
	for (started = 1; started < n; started++)
		if (pthread_create(&lanes[started].thread, NULL, render_lane, &lanes[started]) != 0)
			break;
	if (started < n)
		lane_fail(&sh, -EAGAIN, NULL, NULL);
	render_lane(&lanes[0]);
	for (i = 1; i < started; i++)
		pthread_join(lanes[i].thread, NULL);
	for (i = 1; i < n; i++)
		close(lanes[i].fd);

	/* Lane i has page i, i + n, ...: lane 0 has as many pages as any other, or one
	 * more. Anything else means a child dropped pages; the rebuild checks for holes
	 * too. */
	for (i = 1; i < n && sh.reason == NULL && sh.rc == 0; i++)
		if (lanes[i].got > lanes[0].got || lanes[0].got - lanes[i].got > 1)
			lane_fail(&sh, 0, "render_failed", "render: lanes disagree on the page count");
	rc = sh.rc;
	if (sh.pdf == NULL)
		res->output_type = sh.jpeg ? "jpeg" : "png";
	res->pages = sh.pages;
	res->ocr_pages = sh.ocr_pages;
	res->ocr_failed = sh.ocr_failed;
	res->ocr_max_rss_kb = sh.ocr_max_rss_kb;
	res->ocr_pages_eng = sh.ocr_pages_eng;
	res->ocr_lines_reread = sh.ocr_lines_reread;
	res->ocr_pages_vertical = sh.ocr_pages_vertical;
	res->ocr_pages_vert_model = sh.ocr_pages_vert_model;
	res->ocr_pages_turned = sh.ocr_pages_turned;
	res->ocr_pages_uneven = sh.ocr_pages_uneven;
	res->ocr_pages_banded = sh.ocr_pages_banded;
	if (sh.ocr_detail[0] != '\0')
		snprintf(res->detail, sizeof res->detail, "%s", sh.ocr_detail);
	res->reason = "ok";
	if (rc == 0 && sh.reason != NULL) {
		if (sh.detail[0] != '\0')
			snprintf(res->detail, sizeof res->detail, "%s", sh.detail);
		refuse(res, sh.reason);
	}
	if (sh.pdf != NULL) {
		if (rc == 0 && strcmp(res->reason, "ok") == 0) {
			if ((rc = rebuild_pdf_finish(sh.pdf, out)) == REBUILD_EFRAMES) {
				rc = 0;
				snprintf(res->detail, sizeof res->detail, "render: a page is missing");
				refuse(res, "render_failed");
			} else if (rc != REBUILD_OK) {
				rc = rc == REBUILD_ENOMEM ? -ENOMEM : -EIO;
			}
		} else {
			rebuild_pdf_free(sh.pdf);
		}
	}
	pthread_cond_destroy(&sh.told);
	pthread_mutex_destroy(&sh.lock);
	return rc;
}

/*
 * The PDF LibreOffice makes of an Office file, in a memfd (its own offset per lane
 * through /proc/self/fd, as for any input). Returns the descriptor — with
 * res->reason set when the conversion failed, which is a refusal — or a negative
 * errno when the cage could not be built.
 */
static int
office_pdf(const struct pipeline_config *c, int in_fd, enum detect_type type,
    struct pipeline_result *res)
{
	struct officepdf_result or;
	int fd = memfd_create("sekisho-office-pdf", MFD_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = c->office_warm != NULL ? officewarm_convert(c->office_warm, in_fd, type, fd,
	    c->office.timeout_ms, &or) : -ENOENT;
	/* No warm converter, or one that could not start: the file never reached
	 * it, and the one-shot converts it in a cage of its own. */
	if (rc != 0 && (ftruncate(fd, 0) != 0 ||
	    (rc = officepdf_convert(&c->office, in_fd, type, fd, &or)) != 0)) {
		close(fd);
		return rc;
	}
	res->office_seconds = (double)or.elapsed_ms / 1000.0;
	if (or.status != OFFICEPDF_OK) {
		snprintf(res->detail, sizeof res->detail, "office: %s (exit %d, signal %d)",
			 officepdf_status_name(or.status), or.exit_code, or.signal);
		refuse(res, or.status == OFFICEPDF_TIMEOUT || or.status == OFFICEPDF_TOO_LARGE
		    ? "limits_exceeded" : "render_failed");
	}
	return fd;
}

/* The decoder that read the pixels: MuPDF, or libwebp/libheif for what it lacks;
 * for Office files, the LibreOffice that made the PDF MuPDF read. */
static int
decoder_engine(json_t *e, enum detect_type type)
{
	char v[48];

	if (type == DETECT_WEBP) {
		photo_webp_version(v, sizeof v);
		return json_object_set_new(e, "decoder", json_string(v));
	}
	if (type == DETECT_HEIC)
		return json_object_set_new(e, "decoder", json_string(photo_heif_version()));
	if (officepdf_supports(type)) {
		officepdf_engine_version(v, sizeof v);
		return json_object_set_new(e, "libreoffice", json_string(v));
	}
	return 0;
}

/* The engines that made the output: with ocr, Tesseract and its languages, and
 * jpn_vert after them when it read any of a page (ocr_vertical: a page written
 * vertically, or a form's labels written down, ocr_page_read_vertical). */
static json_t *
engines(const struct pipeline_config *c, const struct scan_result *sr, enum detect_type type,
    int ocr, int ocr_vertical)
{
	char db[32], tess[OCR_MAX_LANGS_LEN + 48];
	json_t *e;

	snprintf(db, sizeof db, "%u/%u", sr->db_version, sr->signatures);
	if (type == DETECT_TEXT) {	/* no pixels: textclean made the output */
		char v[48];

		snprintf(v, sizeof v, "glibc iconv %s", gnu_get_libc_version());
		return json_pack("{s:s, s:s, s:s, s:s}", "clamav", scan_engine_version(),
				 "clamav_db", db, "decoder", v,
				 "rebuild", textclean_engine_version());
	}
	if (type == DETECT_DOCX || type == DETECT_XLSX || type == DETECT_PPTX) {
		char v[64];

		if (c->keep_ooxml) {	/* no pixels: our zip writer made the output */
			ooxml_engine_version(v, sizeof v);
			return json_pack("{s:s, s:s, s:s}", "clamav", scan_engine_version(),
					 "clamav_db", db, "rebuild", v);
		}
	}
	e = json_pack("{s:s, s:s, s:s, s:s}", "clamav", scan_engine_version(),
		      "clamav_db", db, "mupdf", render_engine_version(),
		      "rebuild", rebuild_engine_version());
	if (e != NULL && decoder_engine(e, type) != 0) {
		json_decref(e);
		return NULL;
	}
	if (e != NULL && ocr) {
		snprintf(tess, sizeof tess, "%s %s%s", ocr_engine_version(), c->ocr,
			 ocr_vertical ? "+jpn_vert" : "");
		if (json_object_set_new(e, "tesseract", json_string(tess)) != 0) {
			json_decref(e);
			return NULL;
		}
	}
	return e;
}

static const char *
reason_for_unpack(int code)
{
	switch (code) {
	case UNPACK_EXIT_PATH:		return "archive_path";
	case UNPACK_EXIT_LINK:		return "archive_link";
	case UNPACK_EXIT_RATIO:		return "archive_bomb";
	case UNPACK_EXIT_COUNT:		return "archive_too_many";
	case UNPACK_EXIT_SIZE:		return "limits_exceeded";
	case UNPACK_EXIT_ENCRYPTED:	return "encrypted";
	default:			return "render_failed";
	}
}

/* The bytes of fd (a memfd the pipeline wrote) into b. */
static int
slurp(int fd, struct rebuild_buf *b)
{
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0)
		return -errno;
	if (end == 0)
		return 0;
	if ((b->p = malloc((size_t)end)) == NULL)
		return -ENOMEM;
	b->cap = b->len = (size_t)end;
	return fsio_pread_all(fd, b->p, b->len, 0) == 0 ? 0 : -EIO;
}

/* One member through the whole pipeline, from memory. */
static int
run_member(const struct pipeline_config *mc, const struct unpack_member *um,
    struct pipeline_member *m)
{
	int in = memfd_create("sekisho-member", MFD_CLOEXEC), out, rc;

	snprintf(m->name, sizeof m->name, "%s", um->name);
	if (in < 0)
		return -errno;
	if ((out = memfd_create("sekisho-member-out", MFD_CLOEXEC)) < 0) {
		close(in);
		return -errno;
	}
	if ((um->size > 0 && fsio_pwrite_all(in, um->data, (size_t)um->size, 0) != 0) ||
	    lseek(in, 0, SEEK_SET) != 0)
		rc = -errno;
	else if ((rc = pipeline_run(mc, in, out, &m->res)) == 0 && m->res.clean)
		rc = slurp(out, &m->output);
	close(in);
	close(out);
	return rc;
}

/*
 * An allowed zip: its members taken out by unpack_child in the render sandbox,
 * each sanitized on its own by pipeline_run (a nested zip is refused), and the zip
 * clean only when every member is — all or nothing, so that no part of what the
 * citizen sent is silently dropped. The zip has no output of its own: each clean
 * member has its rebuilt file and attestation (res->members). Returns 0 or a
 * negative errno.
 */
static int
run_archive(const struct pipeline_config *c, int in_fd, struct pipeline_result *res)
{
	struct pipeline_config mc = *c;
	struct sandbox_limits lim = c->sandbox;
	struct attest_origin origin = { .member = NULL };
	struct unpack_limits ul = c->unpack;
	struct unpack_member *um;
	struct sandbox_result sr;
	uint32_t n = 0, i;
	int rc;

	res->method = "archive-extract";
	lim.output_max = (size_t)(c->unpack.max_total + (uint64_t)c->unpack.max_members *
	    (UNPACK_MAX_NAME + 16) + 16);
	if (lseek(in_fd, 0, SEEK_SET) != 0)
		return -errno;
	ul.names = unpack_names_locale();
	rc = sandbox_run(&lim, in_fd, unpack_child, &ul, &sr);
	if (ul.names != (locale_t)0)
		freelocale(ul.names);
	if (rc != 0)
		return rc;
	if (sr.status == SANDBOX_EXIT && sr.exit_code == SANDBOX_EXIT_SETUP) {
		sandbox_result_free(&sr);
		return -EPERM;
	}
	if (sr.status != SANDBOX_OK) {
		snprintf(res->detail, sizeof res->detail, "unpack: %s (%s, signal %d)",
			 sandbox_status_name(sr.status),
			 sr.status == SANDBOX_EXIT ? unpack_exit_name(sr.exit_code) : "-", sr.signal);
		refuse(res, sr.status == SANDBOX_EXIT ? reason_for_unpack(sr.exit_code)
		    : sr.status == SANDBOX_TIMEOUT || sr.status == SANDBOX_OUTPUT_TOO_LARGE
		    ? "limits_exceeded" : "render_failed");
		sandbox_result_free(&sr);
		return 0;
	}
	if ((um = calloc(c->unpack.max_members + 1, sizeof(*um))) == NULL) {
		sandbox_result_free(&sr);
		return -ENOMEM;
	}
	if ((rc = unpack_parse(sr.out, sr.out_len, &c->unpack, um, c->unpack.max_members,
	    &n)) != UNPACK_OK || n == 0) {
		snprintf(res->detail, sizeof res->detail, "unpack: stream %d, %u members", rc, n);
		refuse(res, n == 0 && rc == UNPACK_OK ? "empty" : "render_failed");
		free(um);
		sandbox_result_free(&sr);
		return 0;
	}
	if ((res->members = calloc(n, sizeof(*res->members))) == NULL) {
		free(um);
		sandbox_result_free(&sr);
		return -ENOMEM;
	}
	mc.in_archive = 1;
	mc.allow_archives = 0;
	mc.origin = &origin;
	memcpy(origin.sha256, res->input_sha256, 32);
	origin.size = res->input_size;
	for (i = 0, rc = 0; i < n && rc == 0; i++) {
		origin.member = um[i].name;
		origin.index = i + 1;
		rc = run_member(&mc, &um[i], &res->members[i]);
		res->nmembers = i + 1;
		if (rc == 0 && res->members[i].res.clean)
			res->pages += res->members[i].res.pages;
		else if (rc == 0 && res->reason == NULL)
			snprintf(res->detail, sizeof res->detail, "member %u: %s", i + 1,
				 res->members[i].res.reason);
	}
	free(um);
	sandbox_result_free(&sr);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (!res->members[i].res.clean) {
			refuse(res, "archive_member_refused");
			return 0;
		}
	/* Every member clean, each with its own attestation: the zip is. Its preview
	 * is its first member's (which keeps its own, for the member list). */
	if (res->members[0].res.preview.len > 0 &&
	    (res->preview.p = malloc(res->members[0].res.preview.len)) != NULL) {
		memcpy(res->preview.p, res->members[0].res.preview.p, res->members[0].res.preview.len);
		res->preview.len = res->preview.cap = res->members[0].res.preview.len;
	}
	res->clean = 1;
	res->reason = "ok";
	res->message = pipeline_message("ok");
	return 0;
}

/*
 * A docx, xlsx or pptx kept editable (the policy's keep_ooxml): its members taken out by
 * unpack_child in the render sandbox, then only the allowed parts rebuilt into a new
 * zip by ooxml_rebuild (ooxml.h). Returns 0 — res->reason "ok" when out holds the
 * rebuilt file, else a refusal — or a negative errno.
 */
static int
run_ooxml(const struct pipeline_config *c, int in_fd, enum detect_type type,
    struct rebuild_buf *out, struct pipeline_result *res)
{
	struct unpack_limits ul = c->unpack;
	struct sandbox_limits lim = c->sandbox;
	struct unpack_member *um = NULL;
	struct ooxml_part *parts = NULL;
	struct ooxml_report rep;
	struct sandbox_result sr;
	uint32_t n = 0, i;
	int rc;

	/* An Office package has more parts than a citizen's zip has files. */
	ul.max_members = OOXML_MAX_PARTS;
	lim.output_max = (size_t)(ul.max_total + (uint64_t)ul.max_members *
	    (UNPACK_MAX_NAME + 16) + 16);
	if (lseek(in_fd, 0, SEEK_SET) != 0)
		return -errno;
	ul.names = unpack_names_locale();
	rc = sandbox_run(&lim, in_fd, unpack_child, &ul, &sr);
	if (ul.names != (locale_t)0)
		freelocale(ul.names);
	if (rc != 0)
		return rc;
	if (sr.status == SANDBOX_EXIT && sr.exit_code == SANDBOX_EXIT_SETUP) {
		sandbox_result_free(&sr);
		return -EPERM;
	}
	if (sr.status != SANDBOX_OK) {
		snprintf(res->detail, sizeof res->detail, "ooxml unpack: %s (%s, signal %d)",
			 sandbox_status_name(sr.status),
			 sr.status == SANDBOX_EXIT ? unpack_exit_name(sr.exit_code) : "-", sr.signal);
		refuse(res, sr.status == SANDBOX_EXIT ? (sr.exit_code == UNPACK_EXIT_ENCRYPTED
		    ? "encrypted" : sr.exit_code == UNPACK_EXIT_SIZE || sr.exit_code ==
		    UNPACK_EXIT_RATIO || sr.exit_code == UNPACK_EXIT_COUNT ? "limits_exceeded"
		    : "render_failed") : sr.status == SANDBOX_TIMEOUT ||
		    sr.status == SANDBOX_OUTPUT_TOO_LARGE ? "limits_exceeded" : "render_failed");
		sandbox_result_free(&sr);
		return 0;
	}
	if ((um = calloc(ul.max_members + 1, sizeof(*um))) == NULL ||
	    (parts = calloc(ul.max_members + 1, sizeof(*parts))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = unpack_parse(sr.out, sr.out_len, &ul, um, ul.max_members, &n)) != UNPACK_OK) {
		snprintf(res->detail, sizeof res->detail, "ooxml unpack: stream %d", rc);
		refuse(res, "render_failed");
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		parts[i] = (struct ooxml_part){ um[i].name, um[i].data, (size_t)um[i].size };
	rc = ooxml_rebuild(type == DETECT_DOCX ? OOXML_DOCX : type == DETECT_XLSX ? OOXML_XLSX
	    : OOXML_PPTX, parts, n, out, &rep);
	if (rc == OOXML_ENOMEM || rc == OOXML_EARCHIVE) {
		rc = rc == OOXML_ENOMEM ? -ENOMEM : -EIO;
		goto out;
	}
	if (rc != OOXML_OK) {
		snprintf(res->detail, sizeof res->detail, "ooxml: %s", ooxml_strerror(rc));
		refuse(res, rc == OOXML_ELIMITS ? "limits_exceeded" : "render_failed");
		rc = 0;
		goto out;
	}
	snprintf(res->detail, sizeof res->detail, "ooxml: %u parts kept, %u dropped%s%s%s, %u "
		 "relationships dropped, %u field instructions blanked, %u formulas removed",
		 rep.kept, rep.dropped, rep.dropped ? " (first " : "", rep.first_dropped,
		 rep.dropped ? ")" : "", rep.rels_dropped, rep.fields_blanked,
		 rep.formulas_removed);
	res->reason = "ok";
out:
	free(parts);
	free(um);
	sandbox_result_free(&sr);
	return rc;
}

/*
 * The preview of a kept-editable Office file, which has no pixels of its own: the
 * kept output (never the original) made a PDF by LibreOffice in its cage, and that
 * PDF's first page rendered in the render sandbox and made small like any preview.
 * Only the thumbnail comes of it; the output stays the kept OOXML. A failure is
 * only a missing preview, never a refusal.
 */
static void
kept_preview(const struct pipeline_config *c, int kept_fd, enum detect_type type,
    struct pipeline_result *res)
{
	/* page_step past the last page a document may have: the first page only. */
	struct render_request req = { .type = DETECT_PDF, .dpi = PREVIEW_DPI, .first_page = 0,
				      .page_step = c->render.max_pages, .lim = c->render };
	struct sandbox_limits lim = c->sandbox;
	struct pipeline_result scratch;
	struct pixels_limits plim;
	struct sandbox_result sr;
	int pdf;

	memset(&scratch, 0, sizeof scratch);
	if (lseek(kept_fd, 0, SEEK_SET) != 0 || (pdf = office_pdf(c, kept_fd, type, &scratch)) < 0)
		return;
	res->office_seconds = scratch.office_seconds;
	lim.threads = 0;
	if (scratch.reason == NULL && lseek(pdf, 0, SEEK_SET) == 0 &&
	    sandbox_run(&lim, pdf, render_child, &req, &sr) == 0) {
		if (sr.status == SANDBOX_OK) {
			pixels_limits_default(&plim);
			plim.max_pixels = c->render.max_page_pixels;
			plim.max_bytes = c->sandbox.output_max;
			plim.max_frames = 1;
			if (preview_from_stream(sr.out, sr.out_len, &plim, &res->preview) != 0)
				rebuild_buf_free(&res->preview);
		}
		sandbox_result_free(&sr);
	}
	close(pdf);
}

/* ---- text and CSV ---------------------------------------------------------------- */

struct text_request {
	enum textclean_encoding enc;
	iconv_t cd;		/* CP932: opened by text_child_prepare, before the filter */
};

/* iconv_open loads glibc's CP932 module (trusted, from /usr/lib): only possible
 * before the seccomp filter, and done before the child reads a byte of the input. */
static int
text_child_prepare(void *arg)
{
	struct text_request *req = arg;

	req->cd = (iconv_t)-1;
	if (req->enc == TEXTCLEAN_CP932 && (req->cd = iconv_open("UTF-8", "CP932")) == (iconv_t)-1)
		return -1;
	return 0;
}

/* The sandbox_fn for text: the input through textclean_run, then to the pipe its
 * report (struct textclean_report, this same binary's layout) and the clean UTF-8.
 * Returns 0 or a RENDER_EXIT_* code, which the parent maps as a render's. */
static int
text_child(int out_fd, int in_fd, void *arg)
{
	struct text_request *req = arg;
	struct textclean_report rep;
	struct stat st;
	uint8_t *in, *out = NULL;
	size_t len = 0;
	int rc;

	if (fstat(in_fd, &st) != 0)
		return RENDER_EXIT_IO;
	if (st.st_size > DETECT_TEXT_MAX)
		return RENDER_EXIT_LIMITS;
	if ((in = malloc((size_t)st.st_size + 1)) == NULL)
		return RENDER_EXIT_LIMITS;
	if (fsio_pread_all(in_fd, in, (size_t)st.st_size, 0) != 0) {
		free(in);
		return RENDER_EXIT_IO;
	}
	rc = textclean_run(in, (size_t)st.st_size, req->enc, req->cd, &out, &len, &rep);
	free(in);
	if (rc != TEXTCLEAN_OK)
		return rc == TEXTCLEAN_ELIMITS || rc == TEXTCLEAN_ENOMEM ? RENDER_EXIT_LIMITS
		    : RENDER_EXIT_BROKEN;
	rc = fsio_write_all(out_fd, &rep, sizeof rep) != 0 ||
	    (len > 0 && fsio_write_all(out_fd, out, len) != 0) ? RENDER_EXIT_IO : 0;
	free(out);
	return rc;
}

/*
 * A text or CSV file: decoded and cleaned by textclean in the render sandbox, then
 * cleaned again here from the child's UTF-8 — the parent never decodes the
 * original, and a fixed point lets it check the child: what comes back must be
 * unchanged, else the child was not what it should be and the file is refused. The
 * output type ("csv" or "txt") is the parent's own finding; the child's report only
 * feeds the operators' detail. Returns 0 (res->reason "ok" when out holds the text,
 * else a refusal) or a negative errno.
 */
static int
run_text(const struct pipeline_config *c, int in_fd, unsigned flags, struct rebuild_buf *out,
    struct pipeline_result *res)
{
	struct text_request req = { .enc = flags & DETECT_F_SJIS ? TEXTCLEAN_CP932 : TEXTCLEAN_UTF8,
				    .cd = (iconv_t)-1 };
	struct sandbox_limits lim = c->sandbox;
	struct textclean_report crep, prep;
	struct sandbox_result sr;
	const uint8_t *text;
	size_t tlen;
	int rc;

	lim.threads = 0;
	lim.output_max = sizeof crep + TEXTCLEAN_MAX;
	if (lseek(in_fd, 0, SEEK_SET) != 0)
		return -errno;
	if ((rc = sandbox_run_prepared(&lim, in_fd, text_child_prepare, text_child, &req, &sr)) != 0)
		return rc;
	if (sr.status == SANDBOX_EXIT && sr.exit_code == SANDBOX_EXIT_SETUP) {
		sandbox_result_free(&sr);
		return -EPERM;	/* not confined, or no CP932 module: ours to fix */
	}
	if (sr.status != SANDBOX_OK) {
		snprintf(res->detail, sizeof res->detail, "text: %s (exit %d, signal %d)",
			 sandbox_status_name(sr.status),
			 sr.status == SANDBOX_EXIT ? sr.exit_code : 0, sr.signal);
		refuse(res, sr.status == SANDBOX_EXIT ? reason_for_exit(sr.exit_code)
		    : sr.status == SANDBOX_TIMEOUT || sr.status == SANDBOX_OUTPUT_TOO_LARGE ||
		    (sr.status == SANDBOX_SIGNALED && sr.signal == SIGXCPU)
		    ? "limits_exceeded" : "render_failed");
		sandbox_result_free(&sr);
		return 0;
	}
	if (sr.out_len < sizeof crep) {
		snprintf(res->detail, sizeof res->detail, "text: the child wrote no report");
		refuse(res, "render_failed");
		sandbox_result_free(&sr);
		return 0;
	}
	memcpy(&crep, sr.out, sizeof crep);
	text = sr.out + sizeof crep;
	tlen = sr.out_len - sizeof crep;
	if ((rc = textclean_check(text, tlen, &prep)) == TEXTCLEAN_ENOMEM) {
		sandbox_result_free(&sr);
		return -ENOMEM;
	}
	if (rc != TEXTCLEAN_OK) {
		snprintf(res->detail, sizeof res->detail, "text: the child's output is not clean: "
			 "%s (%zu bytes)", textclean_strerror(rc), tlen);
		refuse(res, "render_failed");
		sandbox_result_free(&sr);
		return 0;
	}
	if (tlen == 0) {	/* only a BOM and controls: nothing of the citizen's is left */
		snprintf(res->detail, sizeof res->detail, "text: nothing left after cleaning");
		refuse(res, "empty");
		sandbox_result_free(&sr);
		return 0;
	}
	/* The checked bytes themselves, moved out of the child's buffer. */
	memmove(sr.out, text, tlen);
	out->p = sr.out;
	out->len = out->cap = tlen;
	sr.out = NULL;
	sandbox_result_free(&sr);
	res->output_type = textclean_kind_name(prep.kind);
	res->pages = 0;
	snprintf(res->detail, sizeof res->detail, "text: %s as %s; removed %llu BOM, %llu C0, "
		 "%llu DEL, %llu C1, %llu bidi, %llu U+FEFF; %llu CSV cells neutralised",
		 req.enc == TEXTCLEAN_CP932 ? "cp932" : "utf-8", res->output_type,
		 (unsigned long long)crep.bom, (unsigned long long)crep.c0,
		 (unsigned long long)crep.del, (unsigned long long)crep.c1,
		 (unsigned long long)crep.bidi, (unsigned long long)crep.feff,
		 (unsigned long long)crep.csv_cells);
	res->reason = "ok";
	return 0;
}

int
pipeline_run(const struct pipeline_config *c, int in_fd, int out_fd,
    struct pipeline_result *res)
{
	struct detect_result d;
	struct scan_result sin, sout;
	struct rebuild_buf out = { 0 };
	struct stat st;
	double start = now_s();
	int rc, pdf_fd;

	memset(res, 0, sizeof(*res));
	res->type = "unknown";
	res->method = "";
	res->output_type = "";
	if (fstat(in_fd, &st) != 0)
		return -errno;
	res->input_size = (uint64_t)st.st_size;
	if ((rc = detect_fd(in_fd, &d)) != 0)
		return rc;
	res->type = detect_type_name(d.type);
	if (lseek(in_fd, 0, SEEK_SET) != 0)
		return -errno;
	if (crypto_sha256_fd(in_fd, res->input_sha256) != CRYPTO_OK)
		return -EIO;

	if (pipeline_ocr_on(c) && !ocr_langs_valid(c->ocr))
		return -EINVAL;
	/* Encryption first: a password-protected OOXML file is an OLE2 wrapper that is
	 * no type we convert, and the citizen should hear why. */
	if (d.flags & DETECT_F_EMPTY)
		refuse(res, "empty");
	else if (d.flags & DETECT_F_ENCRYPTED)
		refuse(res, "encrypted");
	else if (d.flags & DETECT_F_MACRO)
		refuse(res, "macros");
	else if (d.type == DETECT_ZIP && c->in_archive)
		refuse(res, "archive_nested");
	else if (d.type == DETECT_ZIP && !c->allow_archives)
		refuse(res, "archive_not_allowed");
	else if (d.type != DETECT_ZIP && d.type != DETECT_TEXT && !render_supports(d.type) &&
	    !officepdf_supports(d.type))
		refuse(res, "unsupported_type");
	if (res->reason != NULL)
		goto done;

	/* The original is scanned before any child parses it. */
	if (lseek(in_fd, 0, SEEK_SET) != 0)
		return -errno;
	if ((rc = scan_fd(c->scanner, in_fd, &sin)) != 0)
		return rc;
	if (sin.verdict != SCAN_CLEAN) {
		snprintf(res->detail, sizeof res->detail, "input scan: %s %s",
			 scan_verdict_name(sin.verdict), sin.name);
		refuse(res, reason_for_scan(sin.verdict));
		goto done;
	}

	if (d.type == DETECT_ZIP) {
		if ((rc = run_archive(c, in_fd, res)) != 0)
			return rc;
		goto done;
	}
	if (d.type == DETECT_TEXT) {
		/* Decoded and cleaned in the sandbox, checked here: text stays text. */
		res->method = "text-reencode";
		rc = run_text(c, in_fd, d.flags, &out, res);
	} else if (c->keep_ooxml && (d.type == DETECT_DOCX || d.type == DETECT_XLSX ||
	    d.type == DETECT_PPTX)) {
		/* Kept editable: the allowed parts in a zip of ours, no pixels. */
		res->method = "ooxml-rebuild";
		res->output_type = detect_type_name(d.type);
		rc = run_ooxml(c, in_fd, d.type, &out, res);
	} else if (officepdf_supports(d.type)) {
		/* LibreOffice makes a PDF, which is then as hostile as any PDF. */
		res->method = "office-pdf-render";
		res->output_type = "pdf";
		if ((pdf_fd = office_pdf(c, in_fd, d.type, res)) < 0)
			return pdf_fd;
		if (res->reason != NULL)
			goto done;
		rc = render_and_rebuild(c, pdf_fd, &(struct detect_result){ .type = DETECT_PDF }, &out,
					 res);
		close(pdf_fd);
	} else {
		/* A multi-page TIFF leaves as a PDF of its pages: "tiff-pages-render". */
		res->method = d.type == DETECT_PDF ? "pdf-render" : makes_pdf(&d)
		    ? "tiff-pages-render" : "image-reencode";
		res->output_type = makes_pdf(&d) ? "pdf" : "png";
		rc = render_and_rebuild(c, in_fd, &d, &out, res);
	}
	if (rc != 0) {
		rebuild_buf_free(&out);
		return rc;
	}
	if (strcmp(res->reason, "ok") != 0)
		goto done;

	/* The output, as it will be passed on, is scanned again. */
	if ((rc = write_all_at(out_fd, out.p, out.len)) != 0 ||
	    (lseek(out_fd, 0, SEEK_SET) != 0 && (rc = -errno) != 0) ||
	    (rc = scan_fd(c->scanner, out_fd, &sout)) != 0) {
		rebuild_buf_free(&out);
		return rc;
	}
	crypto_sha256(out.p, out.len, res->output_sha256);
	res->output_size = out.len;
	rebuild_buf_free(&out);
	if (sout.verdict != SCAN_CLEAN) {
		snprintf(res->detail, sizeof res->detail, "output scan: %s %s",
			 scan_verdict_name(sout.verdict), sout.name);
		refuse(res, sout.verdict == SCAN_INFECTED ? "malware" : "scan_failed");
		goto done;
	}
	if (strcmp(res->method, "ooxml-rebuild") == 0 && c->kept_preview)
		kept_preview(c, out_fd, d.type, res);
	if (c->sign_key != NULL) {
		struct attest_fields f = {
			.input_size = res->input_size, .input_type = res->type,
			.output_size = res->output_size, .output_type = res->output_type,
			.method = res->method, .policy = c->policy ? c->policy : "default",
			.scan_input = "clean", .scan_output = "clean", .origin = c->origin,
		};

		memcpy(f.input_sha256, res->input_sha256, 32);
		memcpy(f.output_sha256, res->output_sha256, 32);
		/* OCR runs on every page of a PDF we render: the citizen's, the one LibreOffice
		 * made, a multi-page TIFF's. */
		if ((f.engines = engines(c, &sout, d.type, pipeline_ocr_on(c) &&
		    strcmp(res->output_type, "pdf") == 0, res->ocr_pages_vert_model > 0)) == NULL)
			return -ENOMEM;
		res->attestation = attest_sign(&f, c->sign_key);
		json_decref(f.engines);
		if (res->attestation == NULL)
			return -EIO;
	}
	res->clean = 1;
	res->reason = "ok";
	res->message = pipeline_message("ok");
done:
	res->seconds = now_s() - start;
	return 0;
}
