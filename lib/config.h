/*
 * config.h — one process's configuration: a "key = value" file, then environment
 * overrides, checked against the caller's schema.
 *
 * A configuration file is operator input and is treated as hostile: its size, line
 * length and key count are bounded, every key must be in the schema, every value
 * must parse as its declared type and lie in its range. A rejected file names the
 * file, the line and the key. Environment variables override the file:
 * section.key is overridden by SEKISHO_SECTION_KEY ('.' and '-' become '_').
 */
#ifndef SEKISHO_CONFIG_H
#define SEKISHO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_FILE   (64 * 1024)	/* a config file is a page of text, not data */
#define CONFIG_MAX_LINE   1024
#define CONFIG_MAX_KEYS   256
#define CONFIG_MAX_VALUE  (CONFIG_MAX_LINE)

enum config_type {
	CONFIG_STRING,	/* any text without control characters */
	CONFIG_INT,	/* decimal long, checked against [min, max] */
	CONFIG_BOOL,	/* true/false, yes/no, on/off, 1/0 */
	CONFIG_PATH,	/* absolute path, or relative to the config file's directory */
};

/* One known key. Keys in a "[section]" are named "section.key". A key with def NULL
 * and required set must be present; otherwise def (may be NULL) is used. */
struct config_key {
	const char *name;
	enum config_type type;
	const char *def;
	bool required;
	long min, max;		/* CONFIG_INT only */
};

struct config;

/* Parse path (may be NULL: defaults and environment only) against schema, which ends
 * with a {NULL} entry; envp is the environment to take overrides from (NULL: none).
 * Returns 0 and sets *out, or -1 with a message naming file, line and key in err. */
int config_load(struct config **out, const struct config_key *schema,
		const char *path, char *const *envp, char *err, size_t errlen);

/* The parser behind config_load, for a file already in memory (and for fuzzing): buf
 * holds len bytes (not necessarily NUL-terminated, at most CONFIG_MAX_FILE); name is
 * what error messages call the file (NULL when there is no file); basedir is the
 * absolute directory relative PATH values are resolved against (NULL: a relative PATH
 * value is refused). Otherwise as config_load. */
int config_load_buffer(struct config **out, const struct config_key *schema,
		       const char *buf, size_t len, const char *name, const char *basedir,
		       char *const *envp, char *err, size_t errlen);

/* Values by key name. Asking for a key not in the schema, or with the wrong type,
 * is a programming error and aborts. A string or path key that is unset gives NULL. */
const char *config_str(const struct config *c, const char *name);
long config_int(const struct config *c, const char *name);
bool config_bool(const struct config *c, const char *name);

/* Where a value came from, for "sekishoctl config show": "default", "file:LINE" or
 * "env:NAME". */
const char *config_origin(const struct config *c, const char *name);

void config_free(struct config *c);

#endif
