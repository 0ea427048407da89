/*
 * sanclient.c — HTTP over the sanitizer's unix socket with libcurl.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "sanclient.h"

struct buffer {
	char *data;
	size_t len, max;
	int overflow;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buffer *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (b->len + n > b->max) {
		b->overflow = 1;
		return 0;	/* curl aborts the transfer */
	}
	if ((p = realloc(b->data, b->len + n + 1)) == NULL)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* One request; the reply body in *b. Returns the status, or -1 with err. */
static int
request(const char *sock, const char *path, const char *post, struct buffer *b,
	char *ctype, size_t ctypelen, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	char url[512];
	long status = 0;
	char *ct = NULL;
	CURL *c;
	CURLcode rc;

	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "sanitizer %s: cannot make a request", path);
		return -1;
	}
	snprintf(url, sizeof url, "http://sanitizer%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SANCLIENT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (post != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (ctype != NULL) {
			curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
			snprintf(ctype, ctypelen, "%s", ct ? ct : "application/octet-stream");
		}
	} else {
		snprintf(err, errlen, "sanitizer %s: %s", path,
			 b->overflow ? "reply too large" : curl_easy_strerror(rc));
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? (int)status : -1;
}

static int
json_request(const char *sock, const char *path, const char *post, json_t **body,
	     char *err, size_t errlen)
{
	struct buffer b = { NULL, 0, SANCLIENT_JSON_MAX, 0 };
	char perr[128];
	int status = request(sock, path, post, &b, NULL, 0, err, errlen);

	*body = NULL;
	if (status > 0 && b.len > 0)
		*body = jsonio_parse(b.data, b.len, SANCLIENT_JSON_MAX, JSONIO_MAX_DEPTH, perr,
				     sizeof perr);
	free(b.data);
	return status;
}

int
sanclient_get_json(const char *sock, const char *path, json_t **body, char *err,
		   size_t errlen)
{
	return json_request(sock, path, NULL, body, err, errlen);
}

int
sanclient_post_json(const char *sock, const char *path, const json_t *req, json_t **body,
		    char *err, size_t errlen)
{
	char *text = jsonio_dump(req);
	int status;

	if (text == NULL) {
		snprintf(err, errlen, "sanitizer %s: cannot encode the request", path);
		return -1;
	}
	status = json_request(sock, path, text, body, err, errlen);
	free(text);
	return status;
}

int
sanclient_get_bytes(const char *sock, const char *path, char **data, size_t *len,
		    char *ctype, size_t ctypelen, char *err, size_t errlen)
{
	struct buffer b = { NULL, 0, SANCLIENT_BYTES_MAX, 0 };
	int status = request(sock, path, NULL, &b, ctype, ctypelen, err, errlen);

	if (status < 0) {
		free(b.data);
		return -1;
	}
	*data = b.data;
	*len = b.len;
	return status;
}

int
sanclient_retry_after(int status, const json_t *resp, int attempts, bool *waiting)
{
	/* 2^9 is past the cap already; a negative count is the first attempt. */
	int backoff = attempts >= 9 ? SANCLIENT_RETRY_MAX : 1 << (attempts > 0 ? attempts : 0);

	*waiting = status == 503 &&
	    strcmp(jsonio_str(json_object_get(resp, "error"), "code", ""), "ocr_pending") == 0;
	if (*waiting)
		return SANCLIENT_OCR_WAIT;
	return backoff > SANCLIENT_RETRY_MAX ? SANCLIENT_RETRY_MAX : backoff;
}
