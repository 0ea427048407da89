/*
 * http.c — the HTTP layer over libmicrohttpd (see http.h).
 *
 * Invariant: no handler runs, and no byte is kept, for a request that is over a limit;
 * and no request makes us read more than its limit (plus one socket read). Every byte
 * a client sends is counted where it enters (on_request, on_post_data) against a
 * named limit before it is stored.
 *
 * How the 413 gets out. A request refused on its headers (Content-Length over the
 * limit, wrong Content-Type, unknown route) is answered at once and its body is never
 * read. A request refused while its body arrives (a file part over max_file_bytes,
 * too many parts, a chunked body over the limit) cannot always be answered at once:
 * libmicrohttpd 0.9.75 refuses MHD_queue_response between the headers and the end of
 * the body (tested: it returns MHD_NO, and answering MHD_NO to it drops the
 * connection with no reply). So we try to queue; when that is refused the request is
 * "draining": the rest of its body is read and thrown away unparsed, still within the
 * request's limit, and the parked 413 goes out when the body ends. A body that would
 * pass the limit while draining (only possible without Content-Length) is cut off by
 * closing the connection. Behind lighttpd (server.stream-request-body = 2 streams
 * the body through), draining costs the client's upload time but stores nothing.
 * A reply sent before the body was read ends in a lingering close (http_linger.h):
 * otherwise the body still arriving makes the kernel reset the connection, and the
 * reset can overtake the 413 on its way to the client.
 *
 * Life of a request. libmicrohttpd calls us on the connection's worker thread only:
 *   on_uri        request line read: allocate the request, give it an id
 *   on_request #1 headers read: route, check Content-Length and Content-Type, ask the
 *                 route's upload_limits, open the multipart parser
 *   on_request #n each body chunk: count, bound, store (memory or upload files)
 *   on_request    last call: run the handler, queue its reply
 *   on_completed  always, however it ended: access log, delete upload files the
 *                 handler did not take, free
 * So each request is touched by one thread at a time and needs no lock; the server
 * itself is read-only once started.
 *
 * A reply (http_reply_*) only builds the response and parks it in the request; the
 * one place that hands it to libmicrohttpd is queue_reply, at a point where that is
 * allowed (the access callback, before the body is complete or after).
 */
#include "http.h"
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "http_linger.h"
#include "http_parse.h"
#include "jsonio.h"
#include "log.h"

void
http_limits_default(struct http_limits *lim)
{
	lim->max_header_bytes = 16 * 1024;
	lim->max_body_bytes = 1024 * 1024;
	lim->max_upload_bytes = 50 * 1024 * 1024;
	lim->max_file_bytes = 20 * 1024 * 1024;
	lim->max_files = 10;
	lim->max_fields = 64;
	lim->max_field_bytes = 64 * 1024;
	lim->max_connections = 256;
	lim->idle_timeout_s = 30;
	lim->threads = 4;
}

/* ---- replies ---------------------------------------------------------------- */

/* Header names the layer owns: a handler setting them would break framing or the
 * request id promise. */
static bool
header_reserved(const char *name)
{
	static const char *const reserved[] = {
		"Content-Length", "Transfer-Encoding", "Connection", "X-Request-Id",
		"Date", "Keep-Alive", "Upgrade",
	};
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return true;
	return false;
}

static bool
handler_set(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nhdr; i++)
		if (strcasecmp(req->hdr_name[i], name) == 0)
			return true;
	return false;
}

static void set_response(struct http_request *req, unsigned status, const char *ctype,
			 struct MHD_Response *r, uint64_t len);

/*
 * Make the reply from len bytes at data (taken over if must_free). The first reply
 * wins; a second is a handler bug, logged and dropped, because the first may already
 * be on the wire.
 */
static void
set_reply(struct http_request *req, unsigned status, const char *ctype, void *data,
	  size_t len, bool must_free)
{
	struct MHD_Response *r;

	if (req->replied) {
		log_fields(LOG_LEVEL_WARN, (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
			   "http: second reply (%u) to %s %s dropped", status,
			   req->method ? req->method : "-", req->path ? req->path : "-");
		if (must_free)
			free(data);
		return;
	}
	req->replied = true;
	if (status < 100 || status > 599)
		status = 500;
	r = MHD_create_response_from_buffer(len, data, must_free ? MHD_RESPMEM_MUST_FREE
								 : MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		if (must_free)
			free(data);
		return;	/* queue_reply finds no response and closes the connection */
	}
	set_response(req, status, ctype, r, len);
}

/* Add the headers every reply carries to r and make it the request's reply. */
static void
set_response(struct http_request *req, unsigned status, const char *ctype,
	     struct MHD_Response *r, uint64_t len)
{
	size_t i;
	bool ok = true;

	for (i = 0; i < req->nhdr; i++)
		ok &= MHD_add_response_header(r, req->hdr_name[i], req->hdr_value[i]) == MHD_YES;
	if (!handler_set(req, MHD_HTTP_HEADER_CONTENT_TYPE))
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES;
	if (!handler_set(req, MHD_HTTP_HEADER_CACHE_CONTROL))
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") ==
		      MHD_YES;
	if (!handler_set(req, "X-Content-Type-Options"))
		ok &= MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(r, "X-Request-Id", req->id) == MHD_YES;
	if (!ok) {
		MHD_destroy_response(r);
		return;
	}
	req->resp = r;
	req->status = status;
	req->bytes_out = len;
}

void
http_reply_json(struct http_request *req, unsigned status, json_t *body)
{
	char *text = body ? jsonio_dump(body) : NULL;

	json_decref(body);
	if (text == NULL) {
		/* Out of memory or a handler passed NULL: still one well-formed reply. */
		static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\""
					       MSG_INTERNAL "\"}}";
		set_reply(req, 500, "application/json; charset=utf-8", (void *)fallback,
			  sizeof(fallback) - 1, false);
		return;
	}
	set_reply(req, status, "application/json; charset=utf-8", text, strlen(text), true);
}

void
http_reply_error(struct http_request *req, unsigned status, const char *code,
		 const char *message)
{
	json_t *j = json_pack("{s:{s:s,s:s},s:s}", "error", "code", code, "message", message,
			      "request_id", req->id);

	if (j == NULL)	/* message not UTF-8, or no memory */
		j = json_pack("{s:{s:s,s:s},s:s}", "error", "code", "internal", "message",
			      MSG_INTERNAL, "request_id", req->id);
	http_reply_json(req, status, j);
}

void
http_reply_bytes(struct http_request *req, unsigned status, const char *content_type,
		 const void *data, size_t len)
{
	set_reply(req, status, content_type, (void *)data, len, false);
}

void
http_reply_fd(struct http_request *req, unsigned status, const char *content_type, int fd,
	      uint64_t len)
{
	struct MHD_Response *r;

	if (req->replied) {
		log_fields(LOG_LEVEL_WARN, (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
			   "http: second reply (%u) to %s %s dropped", status,
			   req->method ? req->method : "-", req->path ? req->path : "-");
		close(fd);
		return;
	}
	req->replied = true;
	if (status < 100 || status > 599)
		status = 500;
	/* libmicrohttpd reads the file as the client takes it (sendfile where it can)
	 * and closes fd when done: the reply never sits in memory whole. */
	if ((r = MHD_create_response_from_fd_at_offset64(len, fd, 0)) == NULL) {
		close(fd);
		return;
	}
	set_response(req, status, content_type, r, len);
}

void
http_reply_header(struct http_request *req, const char *name, const char *value)
{
	char *n, *v;

	if (req->replied || req->nhdr >= HTTP_MAX_REPLY_HEADERS ||
	    !http_parse_header_ok(name, value) || header_reserved(name)) {
		log_fields(LOG_LEVEL_WARN, (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
			   "http: response header refused (too many, reserved, invalid or "
			   "after the reply)");
		return;
	}
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return;
	}
	req->hdr_name[req->nhdr] = n;
	req->hdr_value[req->nhdr] = v;
	req->nhdr++;
}

bool
http_req_replied(const struct http_request *req)
{
	return req->replied;
}

/*
 * Hand the parked reply to libmicrohttpd. Without one (allocation failed) there is
 * nothing sensible to send: MHD_NO makes libmicrohttpd close the connection. In the
 * middle of a body libmicrohttpd may refuse it (see the top of this file): then the
 * reply stays parked and the request drains.
 */
static enum MHD_Result
queue_reply(struct http_request *req)
{
	bool mid_body = req->state == REQ_BODY;

	if (req->resp == NULL) {
		req->state = REQ_QUEUED;
		return MHD_NO;
	}
	if (MHD_queue_response(req->conn, req->status, req->resp) != MHD_YES) {
		if (!mid_body) {
			req->state = REQ_QUEUED;
			return MHD_NO;
		}
		req->state = REQ_DRAIN;
		return MHD_YES;
	}
	req->state = REQ_QUEUED;
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	return MHD_YES;
}


static enum MHD_Result
refuse(struct http_request *req, unsigned status, const char *code, const char *message)
{
	http_upload_close_part(req);	/* the partial file is deleted when the request ends */
	http_reply_error(req, status, code, message);
	return queue_reply(req);
}

/* The most body this request may send: what the limit checks are against. */
static uint64_t
request_limit(const struct http_request *req)
{
	return req->pp != NULL ? req->lim.max_upload_bytes : req->lim.max_body_bytes;
}

/* ---- the request's life ------------------------------------------------------ */

static void
peer_address(struct http_request *req)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(req->remote, sizeof(req->remote), "unknown");
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  req->remote, sizeof(req->remote));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  req->remote, sizeof(req->remote));
}

static void
new_request_id(struct http_request *req)
{
	uint8_t rnd[HTTP_REQUEST_ID_LEN / 2];

	if (crypto_random(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));	/* an id is for tracing, not a secret */
	crypto_hex(rnd, sizeof(rnd), req->id);
}

/* Called by libmicrohttpd as soon as the request line is read, before the headers:
 * the request exists from here on, so even one refused by libmicrohttpd itself
 * (headers over the limit) is logged. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	struct http_request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->lim = srv->limits;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	new_request_id(req);
	req->path = strndup(uri, strcspn(uri, "?"));	/* the query may hold tokens */
	if (srv->is_unix)
		snprintf(req->remote, sizeof(req->remote), "unknown");
	else
		peer_address(req);
	return req;
}

struct xff_scan {
	const char *last;
};

static enum MHD_Result
xff_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct xff_scan *x = cls;

	(void)kind;
	if (key != NULL && value != NULL && strcasecmp(key, "X-Forwarded-For") == 0)
		x->last = value;
	return MHD_YES;
}

/* The route for method + path, or NULL with the methods that path does take in allow
 * (empty: no such path); *oom when the parameters could not be copied. */
static const struct http_route *
find_route(struct http_request *req, char *allow, size_t allowlen, bool *oom)
{
	const struct http_server *srv = req->srv;
	struct http_parse_param pp[HTTP_MAX_PARAMS];
	size_t i, j, n, need = 0, o = 0;
	bool head = strcmp(req->method, "HEAD") == 0;

	allow[0] = '\0';
	for (i = 0; i < srv->nroutes; i++) {
		const struct http_route *r = &srv->routes[i];

		if (!http_parse_match(r->pattern, req->path, pp, HTTP_MAX_PARAMS, &n))
			continue;
		if (strcmp(r->method, req->method) != 0 &&
		    !(head && strcmp(r->method, "GET") == 0)) {
			int w = snprintf(allow + o, allowlen - o, "%s%s", o ? ", " : "", r->method);

			if (w > 0 && (size_t)w < allowlen - o)
				o += (size_t)w;
			continue;
		}
		/* One buffer for the names and values, each NUL-terminated. */
		for (j = 0; j < n; j++)
			need += pp[j].name_len + pp[j].value_len + 2;
		if (n > 0) {
			char *b = malloc(need);

			if (b == NULL) {
				*oom = true;
				return NULL;
			}
			req->param_buf = b;
			for (j = 0; j < n; j++) {
				memcpy(b, r->pattern + pp[j].name_off, pp[j].name_len);
				b[pp[j].name_len] = '\0';
				req->param_name[j] = b;
				b += pp[j].name_len + 1;
				memcpy(b, req->path + pp[j].value_off, pp[j].value_len);
				b[pp[j].value_len] = '\0';
				req->param_value[j] = b;
				b += pp[j].value_len + 1;
			}
		}
		req->nparams = n;
		return r;
	}
	return NULL;
}

static void
clamp_limits(struct http_limits *lim, const struct http_limits *cap)
{
#define CLAMP(f) do { if (lim->f > cap->f) lim->f = cap->f; } while (0)
	CLAMP(max_body_bytes);
	CLAMP(max_upload_bytes);
	CLAMP(max_file_bytes);
	CLAMP(max_files);
	CLAMP(max_fields);
	CLAMP(max_field_bytes);
#undef CLAMP
}

/* First call: the headers are in. Decide whether this request is served at all. */
static enum MHD_Result
begin(struct http_request *req, const char *url, const char *method)
{
	struct http_server *srv = req->srv;
	const char *rid, *cl, *ct;
	char allow[256];
	uint64_t len = 0;
	bool has_len = false, oom = false;

	free(req->path);
	req->path = strdup(url);
	req->method = strndup(method, HTTP_METHOD_MAX);
	if (req->path == NULL || req->method == NULL)
		return MHD_NO;
	req->state = REQ_BODY;

	rid = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Request-Id");
	if (rid != NULL && http_parse_request_id(rid))
		snprintf(req->id, sizeof(req->id), "%s", rid);
	if (srv->is_unix) {
		/* Only lighttpd can reach the socket; it appends the client to
		 * X-Forwarded-For, so the last hop is the one fact it vouches for. */
		struct xff_scan x = { NULL };

		MHD_get_connection_values(req->conn, MHD_HEADER_KIND, xff_iter, &x);
		if (x.last == NULL ||
		    http_parse_xff_last(x.last, req->remote, sizeof(req->remote)) != 0)
			snprintf(req->remote, sizeof(req->remote), "unknown");
	}

	req->route = find_route(req, allow, sizeof(allow), &oom);
	if (oom)
		return refuse(req, 500, "internal", MSG_INTERNAL);
	if (req->route == NULL) {
		if (allow[0] == '\0')
			return refuse(req, 404, "not_found", MSG_NOT_FOUND);
		http_reply_header(req, "Allow", allow);
		return refuse(req, 405, "method_not_allowed", MSG_METHOD);
	}

	cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		if (http_parse_content_length(cl, &len) != 0)
			return refuse(req, 400, "bad_request", MSG_BAD_REQUEST);
		has_len = true;
	}

	if (!(req->route->flags & HTTP_ROUTE_UPLOAD)) {
		if (has_len && len > req->lim.max_body_bytes)
			return refuse(req, 413, "too_large", MSG_TOO_LARGE);
		if (has_len && len > 0) {
			/* Exactly what was announced (bounded above), plus the NUL. */
			if ((req->body = malloc((size_t)len + 1)) == NULL)
				return refuse(req, 500, "internal", MSG_INTERNAL);
			req->body_cap = (size_t)len + 1;
		}
		return MHD_YES;
	}

	ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct == NULL || !http_parse_is_multipart(ct))
		return refuse(req, 415, "unsupported_media_type", MSG_UPLOAD_TYPE);
	if (req->route->upload_limits != NULL) {
		struct http_limits l = req->lim;

		if (req->route->upload_limits(req, &l, srv->app) != 0 || req->replied) {
			if (!req->replied)
				http_reply_error(req, 500, "internal", MSG_INTERNAL);
			return queue_reply(req);
		}
		/* A route narrows the server's limits, never widens them: the server's
		 * are what the machine was sized for. */
		clamp_limits(&l, &srv->limits);
		req->lim = l;
	}
	if (has_len && len > req->lim.max_upload_bytes)
		return refuse(req, 413, "too_large", MSG_TOO_LARGE);
	req->pp = MHD_create_post_processor(req->conn, HTTP_PP_BUFFER,
					    http_upload_on_post_data, req);
	if (req->pp == NULL)	/* no boundary, or no memory */
		return refuse(req, 400, "bad_upload", MSG_BAD_UPLOAD);
	return MHD_YES;
}

/* A body chunk: count it against the limit first, then keep it. */
static enum MHD_Result
take_body(struct http_request *req, const char *data, size_t n)
{
	req->bytes_in += n;
	if (req->pp != NULL) {
		if (req->bytes_in > req->lim.max_upload_bytes)
			return refuse(req, 413, "too_large", MSG_TOO_LARGE);
		if (MHD_post_process(req->pp, data, n) != MHD_YES) {
			if (req->rej_status != 0)
				return refuse(req, req->rej_status, req->rej_code, req->rej_msg);
			return refuse(req, 400, "bad_upload", MSG_BAD_UPLOAD);
		}
		return MHD_YES;
	}
	if (n > req->lim.max_body_bytes - req->body_len)
		return refuse(req, 413, "too_large", MSG_TOO_LARGE);
	if (req->body_len + n + 1 > req->body_cap) {
		/* Chunked, or more than announced: grow, never past the limit. */
		size_t cap = req->body_cap ? req->body_cap * 2 : HTTP_BODY_INITIAL;
		char *b;

		if (cap < req->body_len + n + 1)
			cap = req->body_len + n + 1;
		if (cap > req->lim.max_body_bytes + 1)
			cap = req->lim.max_body_bytes + 1;
		if ((b = realloc(req->body, cap)) == NULL)
			return refuse(req, 500, "internal", MSG_INTERNAL);
		req->body = b;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	return MHD_YES;
}

/* Last call: the whole body is in. Run the handler. */
static enum MHD_Result
finish(struct http_request *req)
{
	if (req->pp != NULL) {
		enum MHD_Result ok = MHD_destroy_post_processor(req->pp);

		req->pp = NULL;
		http_upload_close_part(req);
		if (req->rej_status != 0)
			return refuse(req, req->rej_status, req->rej_code, req->rej_msg);
		if (ok != MHD_YES)	/* truncated multipart */
			return refuse(req, 400, "bad_upload", MSG_BAD_UPLOAD);
	}
	if (req->body != NULL)
		req->body[req->body_len] = '\0';
	req->route->handler(req, req->srv->app);
	if (!req->replied) {
		log_fields(LOG_LEVEL_ERR, (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
			   "http: handler for %s %s returned without replying",
			   req->route->method, req->route->pattern);
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
	}
	return queue_reply(req);
}

/* Whether the client said a body follows the headers. */
static bool
announces_body(const struct http_request *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t len;

	if (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return true;
	return cl != NULL && http_parse_content_length(cl, &len) == 0 && len > 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size,
	   void **con_cls)
{
	struct http_request *req = *con_cls;
	enum MHD_Result r;
	size_t n;

	(void)cls;
	(void)conn;
	(void)version;
	if (req == NULL)	/* on_uri could not allocate */
		return MHD_NO;
	switch (req->state) {
	case REQ_NEW:
		r = begin(req, url, method);
		if (req->state == REQ_QUEUED && announces_body(req))
			req->linger = true;
		return r;
	case REQ_QUEUED:
		/* Replied early; libmicrohttpd may still hand over what it had read. */
		*upload_data_size = 0;
		return MHD_YES;
	case REQ_DRAIN:
		if (*upload_data_size == 0)
			return queue_reply(req);
		req->bytes_in += *upload_data_size;
		*upload_data_size = 0;
		/* Past the limit even while discarding: stop reading, drop the client. */
		return req->bytes_in > request_limit(req) ? MHD_NO : MHD_YES;
	case REQ_BODY:
		break;
	}
	if (*upload_data_size == 0)
		return finish(req);
	n = *upload_data_size;
	*upload_data_size = 0;
	r = take_body(req, upload_data, n);
	if (req->state == REQ_QUEUED)	/* a libmicrohttpd that takes early replies */
		req->linger = true;
	return r;
}

static const char *
termination_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "ok";
	case MHD_REQUEST_TERMINATED_WITH_ERROR: return "error";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR: return "read_error";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client_abort";
	}
	return "unknown";
}

static void
access_log(const struct http_request *req, enum MHD_RequestTerminationCode toe)
{
	struct timespec now;
	char status[8], in[24], out[24], ms[24];
	uint64_t dur;
	struct log_field f[9];
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dur = (uint64_t)(now.tv_sec - req->start.tv_sec) * 1000 +
	      (uint64_t)((now.tv_nsec - req->start.tv_nsec) / 1000000);
	snprintf(status, sizeof(status), "%u", req->status);
	snprintf(in, sizeof(in), "%" PRIu64, req->bytes_in);
	snprintf(out, sizeof(out), "%" PRIu64, req->status ? req->bytes_out : 0);
	snprintf(ms, sizeof(ms), "%" PRIu64, dur);
	f[n++] = (struct log_field){ "REQUEST_ID", req->id };
	f[n++] = (struct log_field){ "METHOD", req->method ? req->method : "-" };
	f[n++] = (struct log_field){ "PATH", req->path ? req->path : "-" };
	f[n++] = (struct log_field){ "STATUS", status };
	f[n++] = (struct log_field){ "BYTES_IN", in };
	f[n++] = (struct log_field){ "BYTES_OUT", out };
	f[n++] = (struct log_field){ "DURATION_MS", ms };
	f[n++] = (struct log_field){ "REMOTE", req->remote };
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		f[n++] = (struct log_field){ "TERMINATION", termination_name(toe) };
	/* STATUS 0: libmicrohttpd answered (or dropped) it before routing, e.g.
	 * headers over the limit. */
	log_fields(LOG_LEVEL_INFO, f, n, "%s %s %u", req->method ? req->method : "-",
		   req->path ? req->path : "-", req->status);
}

static void
request_free(struct http_request *req)
{
	size_t i;

	if (req->pp != NULL)
		MHD_destroy_post_processor(req->pp);
	http_upload_close_part(req);
	for (i = 0; i < req->nuploads; i++) {
		struct upload_part *u = &req->uploads[i];

		if (u->sha != NULL)
			crypto_sha256_end(u->sha, u->pub.sha256);
		if (u->fd >= 0)
			close(u->fd);
		/* Not taken (renamed away) by the handler: it goes. ENOENT means taken. */
		if (u->pub.path[0] != '\0' && unlink(u->pub.path) != 0 && errno != ENOENT)
			log_fields(LOG_LEVEL_WARN,
				   (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
				   "http: cannot remove upload %s: %s", u->pub.path,
				   strerror(errno));
	}
	free(req->uploads);
	for (i = 0; i < req->nfields; i++)
		free(req->fields[i].value);
	free(req->fields);
	for (i = 0; i < req->nhdr; i++) {
		free(req->hdr_name[i]);
		free(req->hdr_value[i]);
	}
	if (req->resp != NULL)
		MHD_destroy_response(req->resp);
	json_decref(req->json);
	free(req->body);
	free(req->param_buf);
	free(req->method);
	free(req->path);
	free(req);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_request *req = *con_cls;
	const union MHD_ConnectionInfo *ci;
	int fd;

	(void)cls;
	if (req == NULL)
		return;
	/* The reply is out; libmicrohttpd closes its descriptor next: a connection
	 * answered before its body was read is never kept alive (0.9.75 marks it
	 * discard_request, "force close, in case client still tries to upload"). A
	 * duplicate keeps the socket open for the lingerer. */
	if (req->linger && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK &&
	    (ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL &&
	    (fd = fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0)) >= 0)
		http_linger_add(req->srv->linger, fd);
	access_log(req, toe);
	request_free(req);
	*con_cls = NULL;
}

/* libmicrohttpd's own messages (MHD_USE_ERROR_LOG) go to our log, one event each. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct http_server *srv = cls;
	char line[HTTP_LOG_LINE];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_fields(LOG_LEVEL_WARN, NULL, 0, "%s: libmicrohttpd: %s", srv->component, line);
}

/* ---- accessors --------------------------------------------------------------- */

const char *
http_req_method(const struct http_request *req)
{
	return req->method;
}

const char *
http_req_path(const struct http_request *req)
{
	return req->path;
}

const char *
http_req_id(const struct http_request *req)
{
	return req->id;
}

const char *
http_req_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
http_req_query(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_req_param(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->param_name[i], name) == 0)
			return req->param_value[i];
	return NULL;
}

const char *
http_req_remote(const struct http_request *req)
{
	return req->remote;
}

const char *
http_req_body(const struct http_request *req, size_t *len)
{
	if (req->body == NULL || req->body_len == 0) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = req->body_len;
	return req->body;
}

json_t *
http_req_json(struct http_request *req)
{
	char err[256];

	if (req->json != NULL)
		return req->json;
	if (req->body == NULL || req->body_len == 0) {
		http_reply_error(req, 400, "body_required", MSG_NO_BODY);
		return NULL;
	}
	if (!http_parse_is_json(http_req_header(req, "Content-Type"))) {
		http_reply_error(req, 415, "unsupported_media_type", MSG_JSON_TYPE);
		return NULL;
	}
	req->json = jsonio_parse(req->body, req->body_len, req->lim.max_body_bytes,
				 JSONIO_MAX_DEPTH, err, sizeof(err));
	if (req->json == NULL) {
		log_fields(LOG_LEVEL_INFO, (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
			   "http: %s %s: JSON body refused: %s", req->method, req->path, err);
		http_reply_error(req, 400, "invalid_json", MSG_BAD_JSON);
	}
	return req->json;
}

size_t
http_req_upload_count(const struct http_request *req)
{
	return req->nuploads;
}

const struct http_upload *
http_req_upload(const struct http_request *req, size_t i)
{
	return i < req->nuploads ? &req->uploads[i].pub : NULL;
}

const char *
http_req_field(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nfields; i++)
		if (strcmp(req->fields[i].name, name) == 0)
			return req->fields[i].value;
	return NULL;
}

/* ---- the server ---------------------------------------------------------------- */

/*
 * Bind the unix socket, replacing a stale one. Only a socket nobody answers on is
 * replaced: a live one means another instance runs, and a file that is not a socket
 * is not ours to delete. The socket's mode before chmod is 0777 & ~umask, and its
 * directory (0750, made by provisioning) is what keeps others out in that moment.
 */
static int
unix_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "unix socket %s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "unix socket %s: exists and is not a socket", path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, errlen, "unix socket %s: another server is listening",
				 path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path) != 0) {
			snprintf(err, errlen, "unix socket %s: unlink stale: %s", path,
				 strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "unix socket %s: socket: %s", path, strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "unix socket %s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, 0660) != 0 || listen(fd, HTTP_UNIX_BACKLOG) != 0) {
		snprintf(err, errlen, "unix socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int
check_config(const struct http_config *cfg, const struct http_route *routes, size_t nroutes,
	     char *err, size_t errlen)
{
	const struct http_limits *l = &cfg->limits;
	size_t i, j, np;
	struct http_parse_param pp[HTTP_MAX_PARAMS + 1];

	if ((cfg->unix_path == NULL) == (cfg->bind_addr == NULL)) {
		snprintf(err, errlen, "http config: exactly one of unix_path, bind_addr");
		return -1;
	}
	if (l->max_header_bytes < 1024 || l->threads == 0 || l->max_connections == 0 ||
	    l->max_body_bytes == 0 || l->max_body_bytes > SIZE_MAX / 2) {
		snprintf(err, errlen, "http config: limits out of range");
		return -1;
	}
	if (cfg->upload_dir != NULL &&
	    strlen(cfg->upload_dir) + sizeof("/upload-.part") + 32 > PATH_MAX) {
		snprintf(err, errlen, "http config: upload_dir too long");
		return -1;
	}
	for (i = 0; i < nroutes; i++) {
		const struct http_route *r = &routes[i];
		size_t nbrace = 0;

		if (r->method == NULL || r->pattern == NULL || r->handler == NULL ||
		    r->pattern[0] != '/') {
			snprintf(err, errlen, "http route %zu: method, pattern and handler needed", i);
			return -1;
		}
		for (j = 0; r->pattern[j] != '\0'; j++)
			nbrace += r->pattern[j] == '{';
		if (nbrace > HTTP_MAX_PARAMS ||
		    !http_parse_match(r->pattern, r->pattern, pp, HTTP_MAX_PARAMS + 1, &np)) {
			snprintf(err, errlen, "http route %s %s: bad pattern", r->method, r->pattern);
			return -1;
		}
		if ((r->flags & HTTP_ROUTE_UPLOAD) && cfg->upload_dir == NULL) {
			snprintf(err, errlen, "http route %s %s: upload route without upload_dir",
				 r->method, r->pattern);
			return -1;
		}
	}
	return 0;
}

int
http_server_start(struct http_server **out, const struct http_config *cfg,
		  const struct http_route *routes, size_t nroutes, void *app,
		  char *err, size_t errlen)
{
	struct http_server *srv;
	struct MHD_OptionItem where[2];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
	int fd = -1;
	const union MHD_DaemonInfo *di;

	*out = NULL;
	if (check_config(cfg, routes, nroutes, err, errlen) != 0)
		return -1;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "http: out of memory");
		return -1;
	}
	srv->routes = routes;
	srv->nroutes = nroutes;
	srv->app = app;
	srv->limits = cfg->limits;
	snprintf(srv->component, sizeof(srv->component), "%s",
		 cfg->component ? cfg->component : "sekisho");
	if (cfg->upload_dir != NULL)
		snprintf(srv->upload_dir, sizeof(srv->upload_dir), "%s", cfg->upload_dir);

	if (http_linger_start(&srv->linger, cfg->limits.max_connections, HTTP_LINGER_TOTAL_MS,
			      HTTP_LINGER_IDLE_MS, err, errlen) != 0) {
		free(srv);
		return -1;
	}

	memset(where, 0, sizeof(where));
	where[1].option = MHD_OPTION_END;
	if (cfg->unix_path != NULL) {
		srv->is_unix = true;
		snprintf(srv->unix_path, sizeof(srv->unix_path), "%s", cfg->unix_path);
		if ((fd = unix_listen(cfg->unix_path, err, errlen)) < 0) {
			http_linger_stop(srv->linger);
			free(srv);
			return -1;
		}
		where[0].option = MHD_OPTION_LISTEN_SOCKET;
		where[0].value = fd;
	} else {
		memset(&sin, 0, sizeof(sin));
		memset(&sin6, 0, sizeof(sin6));
		if (inet_pton(AF_INET, cfg->bind_addr, &sin.sin_addr) == 1) {
			sin.sin_family = AF_INET;
			sin.sin_port = htons(cfg->port);
			where[0].ptr_value = &sin;
		} else if (inet_pton(AF_INET6, cfg->bind_addr, &sin6.sin6_addr) == 1) {
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = htons(cfg->port);
			where[0].ptr_value = &sin6;
			flags |= MHD_USE_IPv6;
		} else {
			snprintf(err, errlen, "http: bind address %s: not an IP address",
				 cfg->bind_addr);
			http_linger_stop(srv->linger);
			free(srv);
			return -1;
		}
		where[0].option = MHD_OPTION_SOCK_ADDR;
	}

	srv->mhd = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
		MHD_OPTION_ARRAY, where,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->limits.threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->limits.max_header_bytes,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->limits.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->limits.idle_timeout_s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_END);
	if (srv->mhd == NULL) {
		snprintf(err, errlen, "http: cannot start libmicrohttpd on %s%s%u",
			 cfg->unix_path ? cfg->unix_path : cfg->bind_addr,
			 cfg->unix_path ? "" : " port ", cfg->unix_path ? 0u : cfg->port);
		/* libmicrohttpd 0.9.75 leaves a socket it was given open when it
		 * fails (checked), and closes it in MHD_stop_daemon. */
		if (fd >= 0) {
			close(fd);
			unlink(srv->unix_path);
		}
		http_linger_stop(srv->linger);
		free(srv);
		return -1;
	}
	if (!srv->is_unix) {
		di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
		srv->port = di ? di->port : cfg->port;
	}
	*out = srv;
	return 0;
}

unsigned short
http_server_port(const struct http_server *srv)
{
	return srv->port;
}

void
http_server_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	/* Closes the listen socket (also one we passed in) and ends every connection,
	 * each through on_completed. */
	MHD_stop_daemon(srv->mhd);
	http_linger_stop(srv->linger);
	if (srv->is_unix)
		unlink(srv->unix_path);
	free(srv);
}
