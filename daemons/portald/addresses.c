/*
 * addresses.c — the postal-code look-up handler.
 */
#include <string.h>

#include "addresses.h"
#include "log.h"
#include "portal.h"
#include "postal.h"

void
addresses_handle_lookup(struct http_request *req, void *app)
{
	struct portald *p = app;
	const char *code = http_req_param(req, "code");
	char norm[POSTAL_CODE_LEN + 1], shown[POSTAL_CODE_LEN + 2];
	json_t *list = NULL;
	int rc;

	if (portal_tenant(p, http_req_param(req, "tenant")) == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (code == NULL || postal_normalize(code, strlen(code), norm) != POSTAL_OK) {
		http_reply_error(req, 400, "bad_postal_code",
				 "郵便番号は7桁の数字で入力してください (例: 100-0001)。");
		return;
	}
	if (p->postal == NULL) {
		http_reply_error(req, 503, "postal_unavailable",
				 "郵便番号からの住所検索は現在ご利用いただけません。住所を入力してください。");
		return;
	}
	if ((rc = postal_lookup(p->postal, norm, &list)) != POSTAL_OK) {
		log_err("postal lookup %s: %s", norm, postal_strerror(rc));
		http_reply_error(req, 503, "postal_unavailable",
				 "郵便番号からの住所検索は現在ご利用いただけません。住所を入力してください。");
		return;
	}
	memcpy(shown, norm, 3);
	shown[3] = '-';
	memcpy(shown + 4, norm + 3, 5);
	http_reply_header(req, "Cache-Control", "public, max-age=86400");
	http_reply_json(req, 200, json_pack("{s:s,s:o}", "postal_code", shown, "addresses", list));
}
