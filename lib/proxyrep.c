/*
 * proxyrep.c — the representative's fixed form (see proxyrep.h).
 *
 * The schema is JSON text compiled by the same parser as the office's definitions,
 * so its limits and messages are the form validator's and cannot drift from it.
 */
#include <stdio.h>
#include <string.h>

#include "jsonio.h"
#include "proxyrep.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char proxy_schema_text[] =
	"{\"fields\": ["
	"{\"name\": \"name\", \"type\": \"text\", \"label\": \"代理人の氏名\", \"required\": true,"
	" \"max_length\": " STR(PROXYREP_NAME_MAX) "},"
	"{\"name\": \"kana\", \"type\": \"kana\", \"label\": \"代理人の氏名 (フリガナ)\","
	" \"required\": true, \"max_length\": " STR(PROXYREP_NAME_MAX) "},"
	"{\"name\": \"relationship\", \"type\": \"text\", \"label\": \"申請者との関係\","
	" \"required\": true, \"max_length\": " STR(PROXYREP_RELATIONSHIP_MAX) "},"
	"{\"name\": \"tel\", \"type\": \"tel\", \"label\": \"代理人の電話番号\", \"required\": true},"
	"{\"name\": \"email\", \"type\": \"email\", \"label\": \"代理人のメールアドレス\"},"
	"{\"name\": \"attorney\", \"type\": \"file\", \"label\": \"委任状\", \"required\": %s,"
	" \"accept\": [\"pdf\", \"image\"], \"max_files\": " STR(PROXYREP_ATTORNEY_FILES) ","
	" \"max_file_bytes\": " STR(PROXYREP_ATTORNEY_BYTES) "}"
	"]}";

int
proxyrep_schema(bool attorney_required, struct form_schema **out, char *err, size_t errlen)
{
	char text[sizeof proxy_schema_text + 8];
	json_t *j;
	int rc;

	*out = NULL;
	snprintf(text, sizeof text, proxy_schema_text, attorney_required ? "true" : "false");
	if ((j = jsonio_parse(text, strlen(text), sizeof text, JSONIO_MAX_DEPTH, err,
			      errlen)) == NULL)
		return -1;
	rc = form_schema_parse(j, out, err, errlen);
	json_decref(j);
	return rc;
}

static int
refuse(json_t **errors, const char *path, const char *message)
{
	*errors = json_pack("{s:s}", path, message);
	return *errors ? 1 : -1;
}

int
proxyrep_check(const json_t *policy, const json_t *proxy, json_t **normalised,
	       json_t **errors, char *err, size_t errlen)
{
	struct form_schema *s = NULL;
	struct form_context ctx = { 0 };
	json_t *errs = NULL, *v;
	const char *k;
	int rc;

	*normalised = NULL;
	*errors = NULL;
	if (proxy == NULL || json_is_null(proxy))
		return 0;
	if (!json_is_true(json_object_get(policy, "allowed")))
		return refuse(errors, "proxy", "この手続は代理申請を受け付けていません。");
	if (!json_is_object(proxy))
		return refuse(errors, "proxy", "代理人の情報の形式が正しくありません。");
	if (proxyrep_schema(json_is_true(json_object_get(policy, "attorney_required")), &s, err,
			    errlen) != 0)
		return -1;
	rc = form_validate(s, proxy, &ctx, normalised, &errs);
	form_schema_free(s);
	if (rc < 0) {
		snprintf(err, errlen, "proxy: the form validator failed");
		return -1;
	}
	if (rc == 0)
		return 0;
	/* The form's paths are its own ("name"); the caller's are "proxy.name". */
	if ((*errors = json_object()) == NULL) {
		json_decref(errs);
		return -1;
	}
	json_object_foreach(errs, k, v) {
		char path[FORM_PATH_MAX + 8];

		snprintf(path, sizeof path, "proxy.%s", k);
		json_object_set(*errors, path, v);
	}
	json_decref(errs);
	return 1;
}
