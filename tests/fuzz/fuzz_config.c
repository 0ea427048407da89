/*
 * fuzz_config.c — config_load_buffer on hostile bytes.
 *
 * The input is a config file; if it holds a NUL byte, what follows the first NUL is
 * also passed as one environment entry, "SEKISHO_" + those bytes, so overrides are
 * fuzzed too. Besides memory errors, a loaded config must keep the promises of
 * config.h: every value text without control characters, every path absolute,
 * every integer in its range, every refusal explained. A broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct config_key schema[] = {
	{ "name",        CONFIG_STRING, "sekisho", false, 0, 0 },
	{ "server.port", CONFIG_INT,    "8080",    false, 1, 65535 },
	{ "server.tls",  CONFIG_BOOL,   "false",   false, 0, 0 },
	{ "db.path",     CONFIG_PATH,   NULL,      true,  0, 0 },
	{ "spool.dir",   CONFIG_PATH,   "spool",   false, 0, 0 },
	{ "log.level",   CONFIG_INT,    "6",       false, -1, 7 },
	{ NULL },
};

static void
check_text(const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char err[256];
	char *env = NULL;
	char *envp[2] = { NULL, NULL };
	const uint8_t *nul;
	size_t flen = size;
	long l;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		flen = (size_t)(nul - data);
		if ((env = malloc(8 + size - flen)) == NULL)
			return 0;
		memcpy(env, "SEKISHO_", 8);
		memcpy(env + 8, nul + 1, size - flen - 1);
		env[8 + size - flen - 1] = '\0';
		envp[0] = env;
	}
	memset(err, 0x7f, sizeof(err));	/* so a failure without a message shows */
	if (config_load_buffer(&c, schema, (const char *)data, flen, "fuzz.conf",
	    "/etc/sekisho", envp, err, sizeof(err)) == 0) {
		check_text(config_str(c, "name"));
		if (config_str(c, "db.path")[0] != '/' ||
		    config_str(c, "spool.dir")[0] != '/')
			abort();
		l = config_int(c, "server.port");
		if (l < 1 || l > 65535)
			abort();
		l = config_int(c, "log.level");
		if (l < -1 || l > 7)
			abort();
		(void)config_bool(c, "server.tls");
		check_text(config_origin(c, "name"));
		config_free(c);
	} else if (err[0] == 0x7f || memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	free(env);
	return 0;
}
