/*
 * reply.h — an applicant's reply to the office (補正・問合せへの回答), as it crosses the
 * uplink: one bundle of kind "reply" whose data/reply.json names the application by
 * its 到達番号 and carries the reply's text; its files are sanitized uploads with
 * attestations like an application's (docs/bundle-format.md).
 *
 * portald checks a reply before it stores it, the sanitizer again before it signs,
 * and officed again before it imports: all three call these functions, so the three
 * gates cannot disagree on what a reply is.
 */
#ifndef SEKISHO_REPLY_H
#define SEKISHO_REPLY_H

#include <jansson.h>
#include <stddef.h>

#define REPLY_FORMAT       "sekisho-reply/1"
#define REPLY_KIND         "reply"
#define REPLY_TEXT_MAX     2000	/* characters, as a message from the office (workflow.h) */
#define REPLY_MAX_FILES    10	/* attachments of one reply */
#define REPLY_MAX_PER_APP  100	/* replies to one application: reply_no 1..100 */
#define REPLY_RECEIPT_MAX  32	/* bytes of a 到達番号 */

/* 1 if s may be a 到達番号: [A-Za-z0-9-], 1..REPLY_RECEIPT_MAX bytes. */
int reply_receipt_valid(const char *s);

/* 0 if text is a reply's text: UTF-8, 1..REPLY_TEXT_MAX characters, no control
 * character but newline (CR LF is not folded: the caller sends LF). Else -1 with a
 * Japanese reason for the applicant in err. */
int reply_text_check(const char *text, char *err, size_t errlen);

/* The uplink bundle id of reply reply_no: "reply-TENANT-RECEIPT-N". -1 if it does not
 * fit len or an argument is invalid. */
int reply_bundle_id(const char *tenant, const char *receipt, long long reply_no, char *out,
		    size_t len);

/* New data/reply.json ({"format", "tenant", "receipt_no", "reply_no", "text",
 * "submitted_at"}); NULL if an argument is invalid or on no memory. */
json_t *reply_doc_new(const char *tenant, const char *receipt, long long reply_no,
		      const char *text, const char *submitted_at);

/* 0 if doc is a well-formed data/reply.json of tenant (no other member, every field
 * valid), with *reply_no set; else -1 with the reason (for logs) in err. */
int reply_doc_check(const json_t *doc, const char *tenant, long long *reply_no, char *err,
		    size_t errlen);

#endif
