/*
 * pipeline.c — the checkpoint for one file, step by step.
 *
 * The invariant: res->clean is set in one place, at the end, after the output was
 * rebuilt from pixels, written, scanned clean and hashed; every earlier return is a
 * refusal or an internal error. The parent never parses the original: it reads
 * bytes only to detect the type (bounded magic checks), to hash, and to hand the
 * descriptor to libclamav and to the sandboxed child. What the child says back is a
 * pixel stream checked by the pixels reader and an exit code that can only select a
 * refusal.
 */
#include "pipeline.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "crypto.h"
#include "detect.h"
#include "pixels.h"
#include "rebuild.h"

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

static const struct {
	const char *reason;
	const char *message;
} messages[] = {
	{ "ok", "ファイルを無害化しました。" },
	{ "empty", "ファイルが空です。内容のあるファイルを添付してください。" },
	{ "unsupported_type",
	  "この種類のファイルは受け付けられません。PDF または画像 (JPEG・PNG・GIF・TIFF・BMP) "
	  "のファイルを添付してください。" },
	{ "unsupported_image_format",
	  "この画像形式 (WebP・HEIC) にはまだ対応していません。JPEG または PNG で保存し直して"
	  "添付してください。" },
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
	{ "scan_failed",
	  "ウイルス検査を完了できなかったため、受け付けられません。時間をおいてもう一度お試し"
	  "ください。" },
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
}

void
pipeline_result_free(struct pipeline_result *res)
{
	json_decref(res->attestation);
	res->attestation = NULL;
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
	off_t off = 0;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return ftruncate(fd, off) == 0 ? 0 : -errno;
}

/* Render in as many sandboxed children as the stream bound needs, feeding the
 * rebuild as each stream arrives. Returns 0 (refused or not: see res->reason, "ok"
 * when out holds the rebuilt file) or a negative errno. */
static int
render_and_rebuild(const struct pipeline_config *c, int in_fd, enum detect_type type,
    struct rebuild_buf *out, struct pipeline_result *res)
{
	struct render_request req = { .type = type, .dpi = c->dpi, .lim = c->render };
	struct sandbox_limits lim = c->sandbox;
	struct rebuild_pdf *pdf = NULL;
	uint64_t deadline = 0, total = 0, t;
	struct timespec ts;
	int rc = 0, done = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	    c->sandbox.timeout_ms;
	if (type == DETECT_PDF && (pdf = rebuild_pdf_new(c->dpi)) == NULL)
		return -ENOMEM;
	res->reason = "ok";
	while (!done) {
		struct sandbox_result sr;
		struct pixels_limits plim;
		struct pixels_reader r;
		struct pixels_mem mem;
		uint32_t got = 0;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (t >= deadline) {
			snprintf(res->detail, sizeof res->detail, "render: out of time");
			refuse(res, "limits_exceeded");
			break;
		}
		lim.timeout_ms = (unsigned)(deadline - t);
		if (lseek(in_fd, 0, SEEK_SET) != 0) {
			rc = -errno;
			break;
		}
		if ((rc = sandbox_run(&lim, in_fd, render_child, &req, &sr)) != 0)
			break;
		if (sr.status == SANDBOX_EXIT && sr.exit_code == SANDBOX_EXIT_SETUP) {
			/* The child could not be confined: ours to fix, not the citizen's. */
			sandbox_result_free(&sr);
			rc = -EPERM;
			break;
		}
		if (sr.status != SANDBOX_OK &&
		    !(sr.status == SANDBOX_EXIT && sr.exit_code == RENDER_EXIT_MORE)) {
			snprintf(res->detail, sizeof res->detail, "render: %s (exit %d, signal %d)",
				 sandbox_status_name(sr.status),
				 sr.status == SANDBOX_EXIT ? sr.exit_code : 0, sr.signal);
			refuse(res, sr.status == SANDBOX_EXIT ? reason_for_exit(sr.exit_code)
			    : sr.status == SANDBOX_TIMEOUT || sr.status == SANDBOX_OUTPUT_TOO_LARGE
			    || (sr.status == SANDBOX_SIGNALED && sr.signal == SIGXCPU)
			    ? "limits_exceeded" : "render_failed");
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
		if (pdf != NULL)
			rc = rebuild_pdf_add_stream(pdf, &r, &got);
		else if ((rc = rebuild_png(&r, out)) == REBUILD_OK)
			got = 1;
		sandbox_result_free(&sr);
		total += r.bytes;
		if (rc == REBUILD_ENOMEM) {
			rc = -ENOMEM;
			break;
		}
		if (rc != REBUILD_OK) {
			snprintf(res->detail, sizeof res->detail, "pixel stream: %s",
				 rebuild_strerror(rc));
			rc = 0;
			refuse(res, "render_failed");
			break;
		}
		res->pages += got;
		if (total > c->max_total_pixels * 3 || res->pages > c->render.max_pages) {
			refuse(res, total > c->max_total_pixels * 3 ? "limits_exceeded"
								    : "too_many_pages");
			break;
		}
		if (got == 0) {		/* "more", yet nothing: no progress, no loop */
			refuse(res, "render_failed");
			break;
		}
		req.first_page += got;
	}
	if (pdf != NULL) {
		if (rc == 0 && strcmp(res->reason, "ok") == 0) {
			if ((rc = rebuild_pdf_finish(pdf, out)) != REBUILD_OK)
				rc = rc == REBUILD_ENOMEM ? -ENOMEM : -EIO;
		} else {
			rebuild_pdf_free(pdf);
		}
	}
	return rc;
}

static json_t *
engines(const struct pipeline_config *c, const struct scan_result *sr)
{
	char db[32];

	snprintf(db, sizeof db, "%u/%u", sr->db_version, sr->signatures);
	(void)c;
	return json_pack("{s:s, s:s, s:s, s:s}", "clamav", scan_engine_version(),
			 "clamav_db", db, "mupdf", render_engine_version(),
			 "cairo", rebuild_engine_version());
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
	int rc;

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

	if (d.flags & DETECT_F_EMPTY)
		refuse(res, "empty");
	else if (d.type == DETECT_WEBP || d.type == DETECT_HEIC)
		refuse(res, "unsupported_image_format");
	else if (!render_supports(d.type))
		refuse(res, "unsupported_type");
	else if (d.flags & DETECT_F_ENCRYPTED)
		refuse(res, "encrypted");
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

	res->method = d.type == DETECT_PDF ? "pdf-render" : "image-reencode";
	res->output_type = d.type == DETECT_PDF ? "pdf" : "png";
	if ((rc = render_and_rebuild(c, in_fd, d.type, &out, res)) != 0) {
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
	if (c->sign_key != NULL) {
		struct attest_fields f = {
			.input_size = res->input_size, .input_type = res->type,
			.output_size = res->output_size, .output_type = res->output_type,
			.method = res->method, .policy = c->policy ? c->policy : "default",
			.scan_input = "clean", .scan_output = "clean",
		};

		memcpy(f.input_sha256, res->input_sha256, 32);
		memcpy(f.output_sha256, res->output_sha256, 32);
		if ((f.engines = engines(c, &sout)) == NULL)
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
