/*
 * http_internal.h — what http.c and http_upload.c share: the server and request
 * structures and the messages shown to users. Not for use outside the HTTP layer.
 */
#ifndef SEKISHO_HTTP_INTERNAL_H
#define SEKISHO_HTTP_INTERNAL_H

#include <limits.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <sys/un.h>
#include <time.h>

#include "crypto.h"
#include "http.h"
#include "http_parse.h"

#define HTTP_PP_BUFFER        8192	/* multipart parser: must hold one part's headers */
#define HTTP_MAX_REPLY_HEADERS 8	/* http.h promises "up to 8" */
#define HTTP_UNIX_BACKLOG     128
#define HTTP_LOG_LINE         512	/* one libmicrohttpd message */
#define HTTP_METHOD_MAX       16	/* longer is no method we route */
#define HTTP_BODY_INITIAL     4096	/* chunked bodies start here and double */
/* Lingering close: long enough for a client to see a 413 and stop sending, short
 * enough that a client which never stops holds a slot for seconds, not minutes
 * (nginx lingers 30 s, Apache 30 s; a refused upload needs far less). */
#define HTTP_LINGER_TOTAL_MS  5000
#define HTTP_LINGER_IDLE_MS   2000

_Static_assert(HTTP_PARSE_MAX_PARAMS == HTTP_MAX_PARAMS, "param bounds agree");
_Static_assert(HTTP_REQUEST_ID_LEN <= HTTP_PARSE_RID_MAX, "request id fits");

/* Messages shown to citizens and staff: polite, and saying what to do next. */
#define MSG_NOT_FOUND   "お探しのページが見つかりませんでした。URLをご確認ください。"
#define MSG_METHOD      "この操作はこのページでは行えません。"
#define MSG_TOO_LARGE   "送信された内容が大きすぎます。内容を減らしてもう一度お試しください。"
#define MSG_FILE_LARGE  "ファイルが大きすぎます。%sMB以下のファイルを添付してください。"
#define MSG_FILES_MANY  "添付できるファイルは%u個までです。ファイルの数を減らしてもう一度お試しください。"
#define MSG_FIELDS_MANY "送信された項目が多すぎます。画面を読み込み直してもう一度お試しください。"
#define MSG_FIELD_LARGE "入力された内容が長すぎます。内容を短くしてもう一度お試しください。"
#define MSG_UPLOAD_TYPE "ファイルの送信形式が正しくありません。画面を読み込み直してもう一度お試しください。"
#define MSG_BAD_UPLOAD  "ファイルを正しく受け取れませんでした。もう一度お試しください。"
#define MSG_BAD_JSON    "送信された内容を読み取れませんでした。画面を読み込み直してもう一度お試しください。"
#define MSG_JSON_TYPE   "送信形式が正しくありません。画面を読み込み直してもう一度お試しください。"
#define MSG_NO_BODY     "送信された内容がありません。もう一度お試しください。"
#define MSG_BAD_REQUEST "リクエストの形式が正しくありません。もう一度お試しください。"
#define MSG_INTERNAL    "サーバーで問題が発生しました。しばらくしてからもう一度お試しください。"

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_linger *linger;	/* sockets answered before their body was read */
	const struct http_route *routes;
	size_t nroutes;
	void *app;
	struct http_limits limits;
	char component[64];
	bool is_unix;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char upload_dir[PATH_MAX];
	unsigned short port;
};

enum req_state {
	REQ_NEW,	/* request line read, headers not yet seen by us */
	REQ_BODY,	/* routed and accepted; body arriving */
	REQ_DRAIN,	/* refused mid-body; reply parked until the body ends */
	REQ_QUEUED,	/* reply handed to libmicrohttpd; nothing more is read */
};

struct upload_part {
	struct http_upload pub;
	int fd;				/* open while this part streams, else -1 */
	struct crypto_sha256_ctx *sha;	/* likewise */
};

struct form_field {
	char name[HTTP_MAX_FIELD_NAME + 1];
	char *value;			/* NUL-terminated; len excludes the NUL */
	size_t len;
};

enum part_kind { PART_NONE, PART_FILE, PART_FIELD };

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const struct http_route *route;
	enum req_state state;
	struct timespec start;

	char *method, *path;		/* our copies: MHD's live in its connection pool */
	char id[HTTP_PARSE_RID_MAX + 1];
	char remote[HTTP_PARSE_ADDR_MAX + 1];
	char *param_buf;
	const char *param_name[HTTP_MAX_PARAMS], *param_value[HTTP_MAX_PARAMS];
	size_t nparams;
	struct http_limits lim;		/* effective for this request */

	uint64_t bytes_in;
	char *body;
	size_t body_len, body_cap;
	json_t *json;

	struct MHD_PostProcessor *pp;
	struct upload_part *uploads;
	size_t nuploads, uploads_cap;
	struct form_field *fields;
	size_t nfields, fields_cap;
	enum part_kind cur;		/* the part on_post_data is filling */
	uint64_t cur_len;
	unsigned rej_status;		/* set by on_post_data when it refuses */
	const char *rej_code;
	char rej_msg[256];

	struct MHD_Response *resp;	/* the reply, built but not yet queued */
	unsigned status;
	uint64_t bytes_out;
	bool replied;
	bool linger;			/* answered with body still to come: lingering close */
	char *hdr_name[HTTP_MAX_REPLY_HEADERS], *hdr_value[HTTP_MAX_REPLY_HEADERS];
	size_t nhdr;
};

/* Multipart parsing (http_upload.c): libmicrohttpd's post-processor callback, and
 * closing the part being streamed. */
enum MHD_Result http_upload_on_post_data(void *cls, enum MHD_ValueKind kind, const char *key,
					 const char *filename, const char *content_type,
					 const char *transfer_encoding, const char *data,
					 uint64_t off, size_t size);
void http_upload_close_part(struct http_request *req);

#endif
