/*
 * config.c — one process's configuration, parsed as hostile operator input.
 *
 * Invariant: a struct config exists only if every byte of the file and every
 * SEKISHO_* override of a schema key was accepted. Nothing is "mostly loaded": a file
 * larger than CONFIG_MAX_FILE, a line longer than CONFIG_MAX_LINE, more than
 * CONFIG_MAX_KEYS keys, an unknown or repeated key, a value that does not parse as its
 * type, or a missing required key makes config_load fail with a message naming the
 * file and line (or the environment variable), and no partial result escapes.
 *
 * Every stored value is valid UTF-8 without control characters (C0, DEL, C1), so it
 * can be logged or shown by "sekishoctl config show" as it is. Every PATH value is
 * absolute, so no daemon's behaviour depends on its working directory.
 *
 * Syntax, deliberately small:
 *	# a comment, on its own line
 *	key = value
 *	[section]		(later keys are named section.key)
 *	key = "a quoted value with \" and \\"
 * An unquoted value runs to the end of the line, trailing blanks removed. A '#' after
 * a blank inside an unquoted value is refused rather than guessed at: "port = 80 #x"
 * is either a comment or part of a string, and the operator should say which.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define ENV_PREFIX	"SEKISHO_"
#define WHY_MAX		160		/* the reason part of an error message */

struct config_entry {
	char *name;			/* copied from the schema: no lifetime tie */
	char *envname;			/* SEKISHO_SECTION_KEY */
	enum config_type type;
	long min, max;
	char *value;			/* NULL: unset */
	long ival;
	bool bval;
	unsigned line;			/* line of the file that set it; 0 if none */
	char *origin;			/* "default", "file:LINE" or "env:NAME" */
};

struct config {
	size_t n;
	struct config_entry e[];
};

static int fail(char *, size_t, const char *, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static char *strfmt(const char *, ...) __attribute__((format(printf, 1, 2)));

static char *
strfmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * NULL if s is UTF-8 text a person can read, else why not. Overlong forms and
 * surrogates are refused so that one value has one spelling; C1 controls (U+0080..
 * U+009F) are refused with the C0 ones because terminals act on them too.
 */
static const char *
text_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t i, n;

	while (*p != '\0') {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return "contains a control character";
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07;
		} else
			return "is not valid UTF-8";
		/* A NUL fails the continuation test, so this never reads past it. */
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return "is not valid UTF-8";
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "is not valid UTF-8";
		if (cp <= 0x9f)
			return "contains a control character";
		p += n + 1;
	}
	return NULL;
}

/*
 * Parse raw as e's type and, only if it is valid, make it e's value. why receives the
 * reason on failure; the caller adds where the value came from.
 */
static int
set_value(struct config_entry *e, const char *raw, const char *basedir,
    char *why, size_t whylen)
{
	const char *problem;
	char *copy, *end;
	long l = 0;
	bool b = false;
	size_t blen;

	if ((problem = text_problem(raw)) != NULL)
		return fail(why, whylen, "value %s", problem);

	switch (e->type) {
	case CONFIG_STRING:
		copy = strdup(raw);
		break;
	case CONFIG_INT:
		/* strtol would skip leading blanks; a value is the whole string or nothing. */
		if (!(raw[0] == '-' || raw[0] == '+' ||
		    isdigit((unsigned char)raw[0])))
			return fail(why, whylen, "'%s' is not an integer", raw);
		errno = 0;
		l = strtol(raw, &end, 10);
		if (end == raw || *end != '\0')
			return fail(why, whylen, "'%s' is not an integer", raw);
		if (errno == ERANGE || l < e->min || l > e->max)
			return fail(why, whylen, "%s is out of range [%ld, %ld]",
			    raw, e->min, e->max);
		copy = strdup(raw);
		break;
	case CONFIG_BOOL:
		if (strcasecmp(raw, "true") == 0 || strcasecmp(raw, "yes") == 0 ||
		    strcasecmp(raw, "on") == 0 || strcmp(raw, "1") == 0)
			b = true;
		else if (strcasecmp(raw, "false") == 0 || strcasecmp(raw, "no") == 0 ||
		    strcasecmp(raw, "off") == 0 || strcmp(raw, "0") == 0)
			b = false;
		else
			return fail(why, whylen, "'%s' is not a boolean "
			    "(true/false, yes/no, on/off, 1/0)", raw);
		copy = strdup(b ? "true" : "false");
		break;
	case CONFIG_PATH:
		if (raw[0] == '\0')
			return fail(why, whylen, "empty path");
		if (raw[0] == '/') {
			if (strlen(raw) >= PATH_MAX)
				return fail(why, whylen, "path longer than %d bytes",
				    PATH_MAX - 1);
			copy = strdup(raw);
			break;
		}
		/* Relative to the file, never to the cwd: a daemon may chdir("/"). */
		if (basedir == NULL)
			return fail(why, whylen, "relative path '%s' but no config file "
			    "directory to resolve it against", raw);
		while (raw[0] == '.' && raw[1] == '/')
			for (raw += 2; *raw == '/'; raw++)
				;
		blen = strlen(basedir);
		if (blen > 0 && basedir[blen - 1] == '/')
			blen--;
		if (blen + 1 + strlen(raw) >= PATH_MAX)
			return fail(why, whylen, "path longer than %d bytes",
			    PATH_MAX - 1);
		copy = strfmt("%.*s/%s", (int)blen, basedir, raw);
		break;
	default:
		return fail(why, whylen, "unknown type %d in the schema", (int)e->type);
	}
	if (copy == NULL)
		return fail(why, whylen, "out of memory");
	free(e->value);
	e->value = copy;
	e->ival = l;
	e->bval = b;
	return 0;
}

static int
set_origin(struct config_entry *e, char *origin, char *err, size_t errlen)
{
	if (origin == NULL)
		return fail(err, errlen, "out of memory");
	free(e->origin);
	e->origin = origin;
	return 0;
}

static struct config_entry *
find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].name, name) == 0)
			return (struct config_entry *)&c->e[i];
	return NULL;
}

/* Build the config skeleton from the schema: names, environment names, defaults. */
static int
from_schema(struct config **out, const struct config_key *schema, const char *basedir,
    char *err, size_t errlen)
{
	struct config *c;
	struct config_entry *e;
	char why[WHY_MAX];
	size_t i, j, n;
	char *q;

	for (n = 0; schema[n].name != NULL; n++)
		if (schema[n].name[0] == '\0')
			return fail(err, errlen, "schema: entry %zu has an empty name", n);
	if ((c = calloc(1, sizeof(*c) + n * sizeof(c->e[0]))) == NULL)
		return fail(err, errlen, "out of memory");
	c->n = n;
	for (i = 0; i < n; i++) {
		e = &c->e[i];
		e->type = schema[i].type;
		e->min = schema[i].min;
		e->max = schema[i].max;
		if ((e->name = strdup(schema[i].name)) == NULL ||
		    (e->envname = strfmt(ENV_PREFIX "%s", schema[i].name)) == NULL ||
		    (e->origin = strdup("default")) == NULL) {
			config_free(c);
			return fail(err, errlen, "out of memory");
		}
		for (q = e->envname + strlen(ENV_PREFIX); *q != '\0'; q++)
			*q = (*q == '.' || *q == '-') ? '_' :
			    (char)toupper((unsigned char)*q);
		for (j = 0; j < i; j++) {
			/* Two keys answering to one variable would make an override
			 * silently ambiguous. */
			if (strcmp(c->e[j].envname, e->envname) == 0) {
				fail(err, errlen, "schema: keys '%s' and '%s' share "
				    "the variable %s", c->e[j].name, e->name,
				    e->envname);
				config_free(c);
				return -1;
			}
		}
		if (e->type == CONFIG_INT && e->min > e->max) {
			fail(err, errlen, "schema: key '%s' has min > max", e->name);
			config_free(c);
			return -1;
		}
		/* config_int and config_bool have no "unset" to return: decide now,
		 * on the first run, rather than when an operator leaves the key out. */
		if ((e->type == CONFIG_INT || e->type == CONFIG_BOOL) &&
		    schema[i].def == NULL && !schema[i].required) {
			fail(err, errlen, "schema: key '%s' needs a default or required",
			    e->name);
			config_free(c);
			return -1;
		}
		if (schema[i].def != NULL &&
		    set_value(e, schema[i].def, basedir, why, sizeof(why)) != 0) {
			fail(err, errlen, "schema: default of key '%s': %s", e->name, why);
			config_free(c);
			return -1;
		}
	}
	*out = c;
	return 0;
}

/* One line, NUL-terminated, without its newline; section carries across lines. */
static int
parse_line(struct config *c, char *line, unsigned lineno, char *section,
    size_t *nkeys, const char *file, const char *basedir, char *err, size_t errlen)
{
	char key[2 * CONFIG_MAX_LINE + 2];
	char value[CONFIG_MAX_VALUE + 1];
	char why[WHY_MAX];
	struct config_entry *e;
	char *p = line, *start, *v;
	size_t klen, vlen = 0, i;

	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;

	if (*p == '[') {
		for (p++; is_blank(*p); p++)
			;
		for (start = p; is_name_char(*p); p++)
			;
		klen = (size_t)(p - start);
		while (is_blank(*p))
			p++;
		if (klen == 0 || *p != ']')
			return fail(err, errlen, "%s:%u: malformed section header "
			    "(expected [name])", file, lineno);
		for (p++; is_blank(*p); p++)
			;
		if (*p != '\0' && *p != '#')
			return fail(err, errlen, "%s:%u: text after section header",
			    file, lineno);
		memcpy(section, start, klen);
		section[klen] = '\0';
		return 0;
	}

	for (start = p; is_name_char(*p) || *p == '.'; p++)
		;
	klen = (size_t)(p - start);
	while (is_blank(*p))
		p++;
	if (klen == 0 || *p != '=')
		return fail(err, errlen, "%s:%u: expected 'key = value'", file, lineno);
	if (section[0] != '\0')
		snprintf(key, sizeof(key), "%s.%.*s", section, (int)klen, start);
	else
		snprintf(key, sizeof(key), "%.*s", (int)klen, start);

	if (++*nkeys > CONFIG_MAX_KEYS)
		return fail(err, errlen, "%s:%u: more than %d keys", file, lineno,
		    CONFIG_MAX_KEYS);
	if ((e = find(c, key)) == NULL)
		return fail(err, errlen, "%s:%u: unknown key '%s'", file, lineno, key);
	if (e->line != 0)
		return fail(err, errlen, "%s:%u: duplicate key '%s' (already set on "
		    "line %u)", file, lineno, key, e->line);

	for (p++; is_blank(*p); p++)
		;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return fail(err, errlen, "%s:%u: key '%s': unterminated "
				    "quoted value", file, lineno, key);
			if (*p == '\\') {
				p++;
				if (*p != '"' && *p != '\\')
					return fail(err, errlen, "%s:%u: key '%s': unknown "
					    "escape (only \\\" and \\\\ are allowed)",
					    file, lineno, key);
			}
			/* The value is a part of a line, so it cannot overflow. */
			value[vlen++] = *p;
		}
		value[vlen] = '\0';
		for (p++; is_blank(*p); p++)
			;
		if (*p != '\0' && *p != '#')
			return fail(err, errlen, "%s:%u: key '%s': text after the "
			    "closing quote", file, lineno, key);
		v = value;
	} else {
		v = p;
		vlen = strlen(v);
		while (vlen > 0 && is_blank(v[vlen - 1]))
			v[--vlen] = '\0';
		for (i = 0; i < vlen; i++)
			if (v[i] == '#' && (i == 0 || is_blank(v[i - 1])))
				return fail(err, errlen, "%s:%u: key '%s': '#' in an "
				    "unquoted value (quote the value, or put the comment "
				    "on its own line)", file, lineno, key);
	}

	if (set_value(e, v, basedir, why, sizeof(why)) != 0)
		return fail(err, errlen, "%s:%u: key '%s': %s", file, lineno, key, why);
	e->line = lineno;
	return set_origin(e, strfmt("file:%u", lineno), err, errlen);
}

static int
parse_buffer(struct config *c, const char *buf, size_t len, const char *file,
    const char *basedir, char *err, size_t errlen)
{
	char line[CONFIG_MAX_LINE + 1];
	char section[CONFIG_MAX_LINE + 1] = "";
	const char *nl;
	size_t pos = 0, end, ll, nkeys = 0, i;
	unsigned lineno = 0;
	unsigned char ch;

	if (len > CONFIG_MAX_FILE)
		return fail(err, errlen, "%s: larger than %d bytes", file,
		    CONFIG_MAX_FILE);
	/* Editors on operators' Windows PCs add a BOM; it is not part of a key. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		lineno++;
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		ll = end - pos;
		if (ll > 0 && buf[end - 1] == '\r')
			ll--;
		if (ll > CONFIG_MAX_LINE)
			return fail(err, errlen, "%s:%u: line longer than %d bytes",
			    file, lineno, CONFIG_MAX_LINE);
		memcpy(line, buf + pos, ll);
		line[ll] = '\0';
		pos = end + 1;
		for (i = 0; i < ll; i++) {
			ch = (unsigned char)line[i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return fail(err, errlen, "%s:%u: control character "
				    "(byte 0x%02x) in line", file, lineno, ch);
		}
		if (parse_line(c, line, lineno, section, &nkeys, file, basedir,
		    err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
apply_env(struct config *c, char *const *envp, const char *basedir, char *err,
    size_t errlen)
{
	struct config_entry *e;
	char why[WHY_MAX];
	const char *v;
	size_t i, j, nlen;

	if (envp == NULL)
		return 0;
	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		nlen = strlen(e->envname);
		/* The first match wins, as with getenv(3). */
		for (j = 0; envp[j] != NULL; j++)
			if (strncmp(envp[j], e->envname, nlen) == 0 &&
			    envp[j][nlen] == '=')
				break;
		if (envp[j] == NULL)
			continue;
		v = envp[j] + nlen + 1;
		if (strnlen(v, CONFIG_MAX_VALUE + 1) > CONFIG_MAX_VALUE)
			return fail(err, errlen, "environment %s: value longer than "
			    "%d bytes", e->envname, CONFIG_MAX_VALUE);
		if (set_value(e, v, basedir, why, sizeof(why)) != 0)
			return fail(err, errlen, "environment %s (key '%s'): %s",
			    e->envname, e->name, why);
		if (set_origin(e, strfmt("env:%s", e->envname), err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
config_load_buffer(struct config **out, const struct config_key *schema,
    const char *buf, size_t len, const char *name, const char *basedir,
    char *const *envp, char *err, size_t errlen)
{
	struct config *c = NULL;
	const char *file = name != NULL ? name : "(no config file)";
	size_t i;

	*out = NULL;
	if (basedir != NULL && basedir[0] != '/')
		return fail(err, errlen, "%s: base directory '%s' is not absolute",
		    file, basedir);
	if (from_schema(&c, schema, basedir, err, errlen) != 0)
		return -1;
	if ((buf != NULL && parse_buffer(c, buf, len, file, basedir, err,
	    errlen) != 0) || apply_env(c, envp, basedir, err, errlen) != 0) {
		config_free(c);
		return -1;
	}
	for (i = 0; i < c->n; i++) {
		if (schema[i].required && c->e[i].value == NULL) {
			fail(err, errlen, "%s: required key '%s' is not set (nor %s)",
			    file, c->e[i].name, c->e[i].envname);
			config_free(c);
			return -1;
		}
	}
	*out = c;
	return 0;
}

int
config_load(struct config **out, const struct config_key *schema, const char *path,
    char *const *envp, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL, *dir = NULL, *basedir = NULL, *slash;
	size_t len = 0;
	ssize_t r;
	int fd, rc = -1;

	*out = NULL;
	if (path == NULL)
		return config_load_buffer(out, schema, NULL, 0, NULL, NULL, envp,
		    err, errlen);

	/* O_NONBLOCK: a FIFO put in the file's place must not hang the daemon in
	 * open(2) before fstat can refuse it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Anyone on the host could rewrite the paths and keys a daemon trusts. */
	if (st.st_mode & S_IWOTH) {
		fail(err, errlen, "%s: refused because it is writable by every user "
		    "(mode %04o); run chmod o-w on it", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > CONFIG_MAX_FILE) {
		fail(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_FILE);
		goto out;
	}
	/* One byte of slack: a file that grows after fstat is still caught. */
	if ((buf = malloc(CONFIG_MAX_FILE + 1)) == NULL) {
		fail(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < CONFIG_MAX_FILE + 1) {
		r = read(fd, buf + len, CONFIG_MAX_FILE + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fail(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > CONFIG_MAX_FILE) {
		fail(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_FILE);
		goto out;
	}

	if ((dir = strdup(path)) == NULL) {
		fail(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((basedir = realpath(dir, NULL)) == NULL) {
		fail(err, errlen, "%s: resolving its directory: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = config_load_buffer(out, schema, buf, len, path, basedir, envp, err,
	    errlen);
out:
	close(fd);
	free(buf);
	free(dir);
	free(basedir);
	return rc;
}

/* A name outside the schema or a getter of the wrong type is a bug in the caller,
 * found on its first run; there is no sensible value to go on with. */
static const struct config_entry *
must_find(const struct config *c, const char *name, const char *getter, bool ok_string,
    bool ok_path, bool ok_int, bool ok_bool)
{
	const struct config_entry *e;

	if (c == NULL || name == NULL || (e = find(c, name)) == NULL) {
		fprintf(stderr, "config: %s('%s'): key not in the schema\n", getter,
		    name != NULL ? name : "(null)");
		abort();
	}
	if (!((e->type == CONFIG_STRING && ok_string) ||
	    (e->type == CONFIG_PATH && ok_path) ||
	    (e->type == CONFIG_INT && ok_int) ||
	    (e->type == CONFIG_BOOL && ok_bool))) {
		fprintf(stderr, "config: %s('%s'): key has another type\n", getter, name);
		abort();
	}
	return e;
}

const char *
config_str(const struct config *c, const char *name)
{
	return must_find(c, name, "config_str", true, true, false, false)->value;
}

long
config_int(const struct config *c, const char *name)
{
	const struct config_entry *e;

	e = must_find(c, name, "config_int", false, false, true, false);
	if (e->value == NULL) {
		fprintf(stderr, "config: config_int('%s'): key has no value and no "
		    "default\n", name);
		abort();
	}
	return e->ival;
}

bool
config_bool(const struct config *c, const char *name)
{
	const struct config_entry *e;

	e = must_find(c, name, "config_bool", false, false, false, true);
	if (e->value == NULL) {
		fprintf(stderr, "config: config_bool('%s'): key has no value and no "
		    "default\n", name);
		abort();
	}
	return e->bval;
}

const char *
config_origin(const struct config *c, const char *name)
{
	return must_find(c, name, "config_origin", true, true, true, true)->origin;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->e[i].name);
		free(c->e[i].envname);
		free(c->e[i].value);
		free(c->e[i].origin);
	}
	free(c);
}
