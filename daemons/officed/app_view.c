/*
 * app_view.c — rendering answers with their definition (see app_view.h).
 *
 * The answers crossed the link as validated, normalised JSON; the definition is
 * staff's own. Neither is trusted to be well-formed here all the same: a member of
 * an unexpected type is shown as JSON text rather than dropped, so nothing the
 * applicant sent is hidden from the clerk.
 */
#include "app_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "wareki.h"

static json_t *
as_text(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return json_string(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
		return json_string(buf);
	}
	if (json_is_true(v))
		return json_string("はい");
	if (json_is_false(v))
		return json_string("いいえ");
	{
		char *s = jsonio_dump(v);
		json_t *r = json_string(s ? s : "");

		free(s);
		return r;
	}
}

static const char *
option_label(const json_t *field, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(field, "options"), i, o)
		if (strcmp(jsonio_str(o, "value", ""), value) == 0)
			return jsonio_str(o, "label", value);
	return value;
}

static json_t *
date_text(const char *iso)
{
	char w[40], out[96];
	int y, m, d;

	if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3 && wareki_format(y, m, d, w, sizeof w) == 0) {
		snprintf(out, sizeof out, "%s（%s）", iso, w);
		return json_string(out);
	}
	return json_string(iso);
}

static json_t *
value_text(const json_t *field, const json_t *v)
{
	const char *type = jsonio_str(field, "type", "");

	if ((strcmp(type, "select") == 0 || strcmp(type, "radio") == 0) && json_is_string(v))
		return json_string(option_label(field, json_string_value(v)));
	if (strcmp(type, "checkbox") == 0 && json_is_array(v)) {
		size_t i, len = 1;
		json_t *c;
		char *buf;

		json_array_foreach(v, i, c)
			len += (json_is_string(c) ? strlen(option_label(field, json_string_value(c)))
						  : 4) + 3;
		if ((buf = calloc(1, len)) == NULL)
			return NULL;
		json_array_foreach(v, i, c) {
			if (i > 0)
				strcat(buf, "、");
			strcat(buf, json_is_string(c) ? option_label(field, json_string_value(c)) : "?");
		}
		c = json_string(buf);
		free(buf);
		return c;
	}
	if (strcmp(type, "agreement") == 0 && json_is_true(v))
		return json_string("同意する");
	if (strcmp(type, "date") == 0 && json_is_string(v))
		return date_text(json_string_value(v));
	return as_text(v);
}

static json_t *render_fields(const json_t *fields, const json_t *answers, const char *prefix,
			     const json_t *attachments, int depth);

#define APP_VIEW_NAME_MAX 640	/* a zip's name and a member's path (<= 255 each) */

static json_t *
file_rows(const json_t *attachments, const char *path)
{
	json_t *out = json_array(), *a;
	size_t i;

	json_array_foreach(attachments, i, a) {
		const json_t *arc = json_object_get(a, "archive");
		char name[APP_VIEW_NAME_MAX];

		if (strcmp(jsonio_str(a, "field", ""), path) != 0)
			continue;
		/* A member of a zip the applicant sent: named with the zip it came in. */
		if (arc != NULL)
			snprintf(name, sizeof name, "%s 内の %s", jsonio_str(arc, "display_name", "zip"),
				 jsonio_str(arc, "member", ""));
		else
			snprintf(name, sizeof name, "%s", jsonio_str(a, "display_name", "添付ファイル"));
		json_array_append_new(out, json_pack("{s:O,s:s}", "n", json_object_get(a, "n"),
						     "display_name", name));
	}
	return out;
}

static json_t *
render_field(const json_t *f, const json_t *answers, const char *prefix,
	     const json_t *attachments, int depth)
{
	const char *name = jsonio_str(f, "name", ""), *type = jsonio_str(f, "type", "");
	const char *label = jsonio_str(f, "label", name);
	const json_t *v = json_object_get(answers, name);
	char path[512];

	snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", name);
	if (strcmp(type, "heading") == 0)
		return json_pack("{s:s}", "heading", label);
	if (strcmp(type, "file") == 0) {
		json_t *files = file_rows(attachments, path);

		if (json_array_size(files) == 0 && v == NULL) {
			json_decref(files);
			return NULL;
		}
		return json_pack("{s:s,s:o}", "label", label, "files", files);
	}
	if (v == NULL || json_is_null(v)) {
		/* Not answered: shown empty, unless the field was only shown on a
		 * condition (then the applicant most likely never saw it). */
		return json_object_get(f, "show_if") ? NULL
			: json_pack("{s:s,s:s}", "label", label, "value", "");
	}
	if (strcmp(type, "group") == 0 && json_is_array(v) && depth < APP_VIEW_DEPTH_MAX) {
		json_t *items = json_array(), *item;
		size_t i;

		json_array_foreach(v, i, item) {
			char ip[560];

			snprintf(ip, sizeof ip, "%s[%zu]", path, i);
			json_array_append_new(items, render_fields(json_object_get(f, "fields"),
								   item, ip, attachments, depth + 1));
		}
		return json_pack("{s:s,s:o}", "label", label, "items", items);
	}
	return json_pack("{s:s,s:o}", "label", label, "value", value_text(f, v));
}

static json_t *
render_fields(const json_t *fields, const json_t *answers, const char *prefix,
	      const json_t *attachments, int depth)
{
	json_t *rows = json_array(), *f, *r;
	size_t i;

	json_array_foreach(fields, i, f)
		if ((r = render_field(f, answers, prefix, attachments, depth)) != NULL)
			json_array_append_new(rows, r);
	return rows;
}

json_t *
app_view_answers(const json_t *definition, const json_t *answers, const json_t *attachments)
{
	const json_t *fields = json_object_get(json_object_get(definition, "schema"), "fields");
	const char *k;
	json_t *rows, *v;

	if (json_is_array(fields))
		return render_fields(fields, answers, "", attachments, 1);
	/* No definition here (published by hand, say): the answers under their names. */
	rows = json_array();
	json_object_foreach((json_t *)answers, k, v)
		json_array_append_new(rows, json_pack("{s:s,s:o}", "label", k, "value", as_text(v)));
	return rows;
}

json_t *
app_view_values(const json_t *definition, const json_t *answers)
{
	const json_t *fields = json_object_get(json_object_get(definition, "schema"), "fields");
	json_t *out = json_object(), *f, *v;
	size_t i;

	if (out == NULL)
		return NULL;
	json_array_foreach(fields, i, f) {
		const char *name = jsonio_str(f, "name", ""), *type = jsonio_str(f, "type", "");

		if (name[0] == '\0' || strcmp(type, "group") == 0 || strcmp(type, "file") == 0 ||
		    strcmp(type, "heading") == 0 ||
		    (v = json_object_get(answers, name)) == NULL || json_is_null(v))
			continue;
		json_object_set_new(out, name, value_text(f, v));
	}
	return out;
}

static void
text_rows(FILE *f, const json_t *rows, int *first)
{
	size_t i, j;
	json_t *r, *it;

	json_array_foreach(rows, i, r) {
		if (json_object_get(r, "heading"))
			continue;
		if (json_object_get(r, "items")) {
			json_array_foreach(json_object_get(r, "items"), j, it)
				text_rows(f, it, first);
			continue;
		}
		fprintf(f, "%s%s: ", *first ? "" : " / ", jsonio_str(r, "label", ""));
		*first = 0;
		if (json_object_get(r, "files")) {
			json_array_foreach(json_object_get(r, "files"), j, it)
				fprintf(f, "%s%s", j ? "、" : "", jsonio_str(it, "display_name", ""));
		} else {
			fputs(jsonio_str(r, "value", ""), f);
		}
	}
}

char *
app_view_text(const json_t *rows)
{
	char *buf = NULL;
	size_t len = 0;
	int first = 1;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	text_rows(f, rows, &first);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
