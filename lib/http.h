/*
 * http.h — the HTTP layer every Sekisho daemon serves its API with, over libmicrohttpd.
 *
 * Daemons sit behind lighttpd and listen on a unix socket (TCP is for tests and
 * benchmarks). Everything a client sends is hostile, so this layer bounds it before a
 * handler runs: header bytes (connection memory limit), body bytes (checked against
 * Content-Length up front and against what actually arrives), upload file count and
 * size, form field count and size, connection count and idle time. A request over a
 * limit gets 413 with a Japanese message at once, without the rest being read.
 *
 * Routes are a table of method + path pattern. A pattern segment "{name}" matches one
 * non-empty path segment, read back with http_req_param. Routes flagged
 * HTTP_ROUTE_UPLOAD receive multipart/form-data: each file part is streamed to a new
 * file under the server's upload directory (never held in memory) and hashed on the
 * way; small non-file fields are kept in memory. Uploaded files not taken by the
 * handler (renamed away) are deleted when the request ends.
 *
 * Every request gets a request id (X-Request-Id, echoed in the response and in the
 * access log) and one access-log event when it completes.
 *
 * Handlers run on the server's worker threads (several at once) and must reply with
 * exactly one http_reply_* call; a handler that returns without replying makes the
 * layer answer 500.
 */
#ifndef SEKISHO_HTTP_H
#define SEKISHO_HTTP_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_PARAMS        8
#define HTTP_MAX_FIELD_NAME    64
#define HTTP_MAX_FILENAME      255
#define HTTP_REQUEST_ID_LEN    32

struct http_limits {
	size_t max_header_bytes;	/* MHD connection memory: request line + headers */
	size_t max_body_bytes;		/* non-upload requests (JSON bodies) */
	size_t max_upload_bytes;	/* upload routes: whole request */
	size_t max_file_bytes;		/* upload routes: one file part */
	unsigned max_files;		/* upload routes: file parts per request */
	unsigned max_fields;		/* non-file form fields per request */
	size_t max_field_bytes;		/* one non-file form field */
	unsigned max_connections;
	unsigned idle_timeout_s;
	unsigned threads;		/* worker thread pool size */
};

/* Defaults sized for an API behind a proxy: 16 KiB headers, 1 MiB JSON body,
 * 50 MiB per upload request, 20 MiB per file, 10 files, 64 fields of 64 KiB,
 * 256 connections, 30 s idle, 4 threads. */
void http_limits_default(struct http_limits *lim);

struct http_config {
	const char *component;		/* e.g. "sekisho-portald", for the access log */
	const char *unix_path;		/* listen here (socket replaced, mode 0660) ... */
	const char *bind_addr;		/* ... or here with port (port 0: any free port) */
	unsigned short port;
	const char *upload_dir;		/* where upload parts are streamed; NULL: no uploads */
	struct http_limits limits;
};

struct http_request;
struct http_server;

typedef void (*http_handler_fn)(struct http_request *req, void *app);

/* Called for upload routes once headers are in and before any body byte is read, so a
 * handler can set limits that depend on the request (e.g. the procedure's attachment
 * rules) or refuse it by replying. Return 0 to go on; after a reply, return -1. */
typedef int (*http_upload_limits_fn)(struct http_request *req, struct http_limits *lim,
				     void *app);

enum http_route_flags {
	HTTP_ROUTE_UPLOAD = 1 << 0,	/* multipart/form-data body streamed to files */
};

struct http_route {
	const char *method;		/* "GET", "POST", ... */
	const char *pattern;		/* "/api/healthz", "/api/files/{id}" */
	http_handler_fn handler;
	unsigned flags;
	http_upload_limits_fn upload_limits;	/* optional, upload routes only */
};

/* One uploaded file part, as streamed. filename and content_type are what the client
 * claimed: untrusted, for display only (filename has path components and control
 * characters removed). */
struct http_upload {
	char field[HTTP_MAX_FIELD_NAME + 1];
	char filename[HTTP_MAX_FILENAME + 1];
	char content_type[128];
	char path[PATH_MAX];		/* the streamed file; rename it away to keep it */
	uint64_t size;
	uint8_t sha256[32];
};

/* Start serving routes (nroutes entries; the table must outlive the server) with app
 * passed to every handler. Returns 0, or -1 with "what failed: why" in err. */
int http_server_start(struct http_server **out, const struct http_config *cfg,
		      const struct http_route *routes, size_t nroutes, void *app,
		      char *err, size_t errlen);

/* The TCP port actually bound (useful with port 0), or 0 for a unix socket. */
unsigned short http_server_port(const struct http_server *srv);

/* Stop accepting, finish or abort requests in flight, free everything, and remove the
 * unix socket file. */
void http_server_stop(struct http_server *srv);

/* Request accessors. Strings are valid until the handler returns. */
const char *http_req_method(const struct http_request *req);
const char *http_req_path(const struct http_request *req);
const char *http_req_id(const struct http_request *req);
const char *http_req_header(const struct http_request *req, const char *name);
const char *http_req_query(const struct http_request *req, const char *name);
const char *http_req_param(const struct http_request *req, const char *name);
/* Client address: X-Forwarded-For's last hop when the peer is the local proxy on the
 * unix socket, else the TCP peer. */
const char *http_req_remote(const struct http_request *req);

/* The raw body of a non-upload request (NUL-terminated for convenience; *len excludes
 * the NUL). NULL when there is none. */
const char *http_req_body(const struct http_request *req, size_t *len);

/* The body parsed as JSON with jsonio_parse limits; NULL and a 400 reply already sent
 * when it is missing or malformed (the handler then just returns). Borrowed
 * reference, freed with the request. */
json_t *http_req_json(struct http_request *req);

/* Upload routes: file parts and form fields. */
size_t http_req_upload_count(const struct http_request *req);
const struct http_upload *http_req_upload(const struct http_request *req, size_t i);
const char *http_req_field(const struct http_request *req, const char *name);

/* Replies. Exactly one per request. body is stolen (decref'd by the layer). */
void http_reply_json(struct http_request *req, unsigned status, json_t *body);
/* {"error":{"code":code,"message":message},"request_id":...} — message is the
 * Japanese text shown to the user; code is a stable English identifier. */
void http_reply_error(struct http_request *req, unsigned status, const char *code,
		      const char *message);
void http_reply_bytes(struct http_request *req, unsigned status, const char *content_type,
		      const void *data, size_t len);
/* Reply with the len bytes of the open file fd (from offset 0), streamed as the client
 * reads them; fd is taken over and closed by the layer, in every case. */
void http_reply_fd(struct http_request *req, unsigned status, const char *content_type, int fd,
		   uint64_t len);
/* Add a response header to the reply that follows (e.g. Cache-Control). Up to 8. */
void http_reply_header(struct http_request *req, const char *name, const char *value);

bool http_req_replied(const struct http_request *req);

#endif
