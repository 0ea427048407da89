/*
 * sanclient.h — portald's side of the sanitizer's API, over its unix socket.
 *
 * portald never reads the sanitizer's results directory or holds its key: it asks.
 * Replies are bounded (a result is small; a preview image is capped) and parsed with
 * jsonio's limits, because a confused sanitizer must not be able to make portald
 * allocate without bound either.
 */
#ifndef SEKISHO_PORTAL_SANCLIENT_H
#define SEKISHO_PORTAL_SANCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SANCLIENT_JSON_MAX   (64 * 1024)
#define SANCLIENT_BYTES_MAX  (4 * 1024 * 1024)	/* previews */
#define SANCLIENT_TIMEOUT_S  10
#define SANCLIENT_RETRY_MAX  300	/* seconds: the longest wait after a server error */
#define SANCLIENT_OCR_WAIT   5		/* seconds between asks while a text layer is made */

/* GET path from the sanitizer at sock. On a reply, returns the HTTP status and sets
 * *body to the parsed JSON (NULL if the body was not JSON). -1 with err when the
 * sanitizer cannot be reached or replied with more than SANCLIENT_JSON_MAX. */
int sanclient_get_json(const char *sock, const char *path, json_t **body,
		       char *err, size_t errlen);

/* POST body as JSON to path; as sanclient_get_json. */
int sanclient_post_json(const char *sock, const char *path, const json_t *req,
			json_t **body, char *err, size_t errlen);

/* GET path as bytes (at most SANCLIENT_BYTES_MAX): status returned, *data (free())
 * and *len set, content type copied into ctype. -1 with err on failure. */
int sanclient_get_bytes(const char *sock, const char *path, char **data, size_t *len,
			char *ctype, size_t ctypelen, char *err, size_t errlen);

/* After anything but a 2xx or 4xx from POST /api/bundles (status < 0: no answer),
 * the seconds to wait before asking again. The sanitizer's 503 "ocr_pending" says an
 * upload's text layer is being made (sanitizer/worker.c): *waiting is set and the
 * wait is SANCLIENT_OCR_WAIT. Anything else doubles with attempts (2^attempts) up to
 * SANCLIENT_RETRY_MAX. */
int sanclient_retry_after(int status, const json_t *resp, int attempts, bool *waiting);

#endif
