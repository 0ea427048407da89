/*
 * http_upload.c — multipart/form-data parts as they stream in (see http.c for the
 * life of a request).
 *
 * Invariant: every byte of a part is counted against its limit before it is written
 * or kept; a file part goes straight to its own new file (O_EXCL, 0600) and is hashed
 * on the way, a field part is kept in memory up to max_field_bytes. On any refusal the
 * part is closed at once and the request parks a 413 (see "How the 413 gets out").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "http_internal.h"
#include "log.h"

/* "20" for 20 MiB, "0.5" for 512 KiB: for messages only. */
static void
fmt_mib(char *buf, size_t len, uint64_t bytes)
{
	uint64_t tenths = (bytes * 10 + 1024 * 1024 - 1) / (1024 * 1024);

	if (tenths % 10 == 0)
		snprintf(buf, len, "%" PRIu64, tenths / 10);
	else
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64, tenths / 10, tenths % 10);
}

/* Close the streaming file part, if one is open, and fix its digest. */
void
http_upload_close_part(struct http_request *req)
{
	struct upload_part *u;

	if (req->cur == PART_FILE) {
		u = &req->uploads[req->nuploads - 1];
		if (u->sha != NULL)
			crypto_sha256_end(u->sha, u->pub.sha256);
		u->sha = NULL;
		if (u->fd >= 0)
			close(u->fd);
		u->fd = -1;
	}
	req->cur = PART_NONE;
	req->cur_len = 0;
}

static enum MHD_Result
post_refuse(struct http_request *req, unsigned status, const char *code, const char *msg)
{
	req->rej_status = status;
	req->rej_code = code;
	snprintf(req->rej_msg, sizeof(req->rej_msg), "%s", msg);
	return MHD_NO;
}

static enum MHD_Result
open_file_part(struct http_request *req, const char *key, const char *filename,
	       const char *ctype)
{
	struct upload_part *u;
	uint8_t rnd[16];
	char hex[33];
	int n;

	if (req->nuploads >= req->lim.max_files) {
		char msg[256];

		snprintf(msg, sizeof(msg), MSG_FILES_MANY, req->lim.max_files);
		return post_refuse(req, 413, "too_many_files", msg);
	}
	if (req->nuploads == req->uploads_cap) {
		size_t cap = req->uploads_cap ? req->uploads_cap * 2 : 4;
		struct upload_part *p = reallocarray(req->uploads, cap, sizeof(*p));

		if (p == NULL)
			return post_refuse(req, 500, "internal", MSG_INTERNAL);
		req->uploads = p;
		req->uploads_cap = cap;
	}
	u = &req->uploads[req->nuploads];
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	snprintf(u->pub.field, sizeof(u->pub.field), "%s", key);
	http_parse_filename(filename, u->pub.filename, sizeof(u->pub.filename));
	if (ctype != NULL && http_parse_header_ok("x", ctype))
		snprintf(u->pub.content_type, sizeof(u->pub.content_type), "%s", ctype);

	/* A random name, created exclusively: the client's name never reaches the file
	 * system, and a name we did not just create is never written to. */
	if (crypto_random(rnd, sizeof(rnd)) != 0)
		return post_refuse(req, 500, "internal", MSG_INTERNAL);
	crypto_hex(rnd, sizeof(rnd), hex);
	n = snprintf(u->pub.path, sizeof(u->pub.path), "%s/upload-%s.part",
		     req->srv->upload_dir, hex);
	if (n < 0 || (size_t)n >= sizeof(u->pub.path))
		return post_refuse(req, 500, "internal", MSG_INTERNAL);
	u->fd = open(u->pub.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (u->fd < 0) {
		log_fields(LOG_LEVEL_ERR, (struct log_field[]){ { "REQUEST_ID", req->id } }, 1,
			   "http: cannot create upload file in %s: %s", req->srv->upload_dir,
			   strerror(errno));
		u->pub.path[0] = '\0';
		return post_refuse(req, 500, "internal", MSG_INTERNAL);
	}
	req->nuploads++;	/* from here on_completed owns the file */
	req->cur = PART_FILE;
	if ((u->sha = crypto_sha256_begin()) == NULL)
		return post_refuse(req, 500, "internal", MSG_INTERNAL);
	return MHD_YES;
}

static enum MHD_Result
open_field_part(struct http_request *req, const char *key)
{
	struct form_field *f;

	if (req->nfields >= req->lim.max_fields)
		return post_refuse(req, 413, "too_many_fields", MSG_FIELDS_MANY);
	if (req->nfields == req->fields_cap) {
		size_t cap = req->fields_cap ? req->fields_cap * 2 : 8;
		struct form_field *p = reallocarray(req->fields, cap, sizeof(*p));

		if (p == NULL)
			return post_refuse(req, 500, "internal", MSG_INTERNAL);
		req->fields = p;
		req->fields_cap = cap;
	}
	f = &req->fields[req->nfields];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", key);
	if ((f->value = calloc(1, 1)) == NULL)
		return post_refuse(req, 500, "internal", MSG_INTERNAL);
	req->nfields++;
	req->cur = PART_FIELD;
	return MHD_YES;
}

/*
 * libmicrohttpd's multipart parser hands us each part's data in pieces, off being the
 * offset within the part. A new part starts at off 0 — unless the previous call was
 * the empty first piece of this same part, which the parser sends for empty values.
 */
enum MHD_Result
http_upload_on_post_data(void *cls, enum MHD_ValueKind kind, const char *key,
			 const char *filename, const char *content_type,
			 const char *transfer_encoding, const char *data, uint64_t off,
			 size_t size)
{
	struct http_request *req = cls;
	enum part_kind want = filename != NULL ? PART_FILE : PART_FIELD;
	enum MHD_Result rc;

	(void)kind;
	(void)transfer_encoding;
	if (key == NULL || strlen(key) > HTTP_MAX_FIELD_NAME)
		return post_refuse(req, 400, "bad_field_name", MSG_BAD_REQUEST);
	if (off == 0 && (req->cur != want || req->cur_len > 0 ||
			 (want == PART_FILE &&
			  strcmp(req->uploads[req->nuploads - 1].pub.field, key) != 0) ||
			 (want == PART_FIELD &&
			  strcmp(req->fields[req->nfields - 1].name, key) != 0))) {
		http_upload_close_part(req);
		rc = want == PART_FILE ? open_file_part(req, key, filename, content_type)
				       : open_field_part(req, key);
		if (rc != MHD_YES)
			return rc;
	}
	if (size == 0)
		return MHD_YES;

	if (want == PART_FILE) {
		struct upload_part *u = &req->uploads[req->nuploads - 1];
		char lim[32], msg[256];

		if (size > req->lim.max_file_bytes - u->pub.size ||
		    u->pub.size > req->lim.max_file_bytes) {
			fmt_mib(lim, sizeof(lim), req->lim.max_file_bytes);
			snprintf(msg, sizeof(msg), MSG_FILE_LARGE, lim);
			return post_refuse(req, 413, "file_too_large", msg);
		}
		if (fsio_write_all(u->fd, data, size) != 0) {
			log_fields(LOG_LEVEL_ERR, (struct log_field[]){ { "REQUEST_ID", req->id } },
				   1, "http: writing upload %s: %s", u->pub.path, strerror(errno));
			return post_refuse(req, 500, "internal", MSG_INTERNAL);
		}
		if (crypto_sha256_update(u->sha, data, size) != 0)
			return post_refuse(req, 500, "internal", MSG_INTERNAL);
		u->pub.size += size;
	} else {
		struct form_field *f = &req->fields[req->nfields - 1];
		char *v;

		if (size > req->lim.max_field_bytes - f->len || f->len > req->lim.max_field_bytes)
			return post_refuse(req, 413, "field_too_large", MSG_FIELD_LARGE);
		if ((v = realloc(f->value, f->len + size + 1)) == NULL)
			return post_refuse(req, 500, "internal", MSG_INTERNAL);
		memcpy(v + f->len, data, size);
		f->len += size;
		v[f->len] = '\0';
		f->value = v;
	}
	req->cur_len += size;
	return MHD_YES;
}
