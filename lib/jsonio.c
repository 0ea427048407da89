/*
 * jsonio.c — bounded JSON parsing and canonical output over jansson.
 *
 * jansson itself limits nesting only at 2048 levels, far more than any Sekisho
 * document, and recursion that deep costs stack in every later walker. So the bytes
 * are pre-scanned for depth (outside strings) before jansson parses them, and the
 * parse refuses duplicate keys and NUL escapes.
 */
#include "jsonio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Depth of [ and { nesting outside strings; stops early once max_depth is passed. */
static int
scan_depth(const char *buf, size_t len, int max_depth, size_t *where)
{
	int depth = 0, in_string = 0, escaped = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '[' || c == '{') {
			if (++depth > max_depth) {
				*where = i;
				return depth;
			}
		} else if (c == ']' || c == '}')
			depth--;
	}
	return 0;
}

json_t *
jsonio_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
	     char *err, size_t errlen)
{
	json_error_t jerr;
	size_t where = 0;
	json_t *v;

	if (buf == NULL || len == 0) {
		snprintf(err, errlen, "empty document");
		return NULL;
	}
	if (len > max_bytes) {
		snprintf(err, errlen, "document is %zu bytes, limit %zu", len, max_bytes);
		return NULL;
	}
	if (scan_depth(buf, len, max_depth, &where) > max_depth) {
		snprintf(err, errlen, "nesting deeper than %d at byte %zu", max_depth, where);
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		snprintf(err, errlen, "%s at line %d column %d", jerr.text, jerr.line,
			 jerr.column);
	return v;
}

json_t *
jsonio_load_file(const char *path, size_t max_bytes, char *err, size_t errlen)
{
	char *buf = malloc(max_bytes + 1), perr[160];
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	json_t *v = NULL;

	/* One byte more than allowed is read, so a file over the limit is seen as such
	 * rather than cut into something that might parse. */
	while (buf && fd >= 0 && len <= max_bytes &&
	       ((n = read(fd, buf + len, max_bytes + 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	if (buf == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (fd < 0 || n < 0)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	else if (len > max_bytes)
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
	else if ((v = jsonio_parse(buf, len, max_bytes, JSONIO_MAX_DEPTH, perr, sizeof perr)) == NULL)
		snprintf(err, errlen, "%s: %s", path, perr);
	if (fd >= 0)
		close(fd);
	free(buf);
	return v;
}

char *
jsonio_dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT);
}

char *
jsonio_dump_canonical(const json_t *v, size_t *len)
{
	/* JSON_PRESERVE_ORDER off + JSON_SORT_KEYS: the same object always gives the same
	 * bytes, whatever order its members were added in. Real numbers are refused by
	 * the schemas that are signed, so float formatting never enters a signature. */
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

	if (s && len)
		*len = strlen(s);
	return s;
}

const char *
jsonio_str(const json_t *obj, const char *key, const char *def)
{
	const json_t *m = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(m) ? json_string_value(m) : def;
}

int
jsonio_int(const json_t *obj, const char *key, long long min, long long max, long long *out)
{
	const json_t *m = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	json_int_t n;

	if (!json_is_integer(m))
		return -1;
	n = json_integer_value(m);
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int
jsonio_bool(const json_t *obj, const char *key, bool *out)
{
	const json_t *m = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_boolean(m))
		return -1;
	*out = json_is_true(m);
	return 0;
}
