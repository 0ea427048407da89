/*
 * instance.c — locating an instance and reading its options.
 */
#include "instance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

const char *const instance_dirs[] = {
	"etc", "run", "log",
	"dmz", "dmz/keys", "dmz/db", "dmz/spool", "dmz/quarantine", "dmz/uploads",
	"dmz/tmp", "dmz/state", "dmz/postal", "dmz/sanitized",
	"lgwan", "lgwan/keys", "lgwan/db", "lgwan/spool", "lgwan/quarantine",
	"lgwan/uploads", "lgwan/tmp", "lgwan/state", "lgwan/bundles",
	NULL,
};

static int
is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of this executable: build/bin in a tree, /usr/lib/sekisho installed. */
static int
exe_dir(char *out, size_t outlen)
{
	ssize_t n = readlink("/proc/self/exe", out, outlen - 1);
	char *slash;

	if (n <= 0)
		return -1;
	out[n] = '\0';
	if ((slash = strrchr(out, '/')) == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

static void
locate_share(struct instance *in)
{
	char candidate[PATH_MAX + 64];
	const char *env = getenv("SEKISHO_SHARE");

	if (env && *env) {
		snprintf(in->share, sizeof in->share, "%s", env);
		return;
	}
	/* In a source tree the programs are in build/bin (or build-asan/bin): the tree's
	 * web/ and provisioning/ are two levels up. */
	snprintf(candidate, sizeof candidate, "%s/../../provisioning/lighttpd", in->bindir);
	if (is_dir(candidate)) {
		snprintf(candidate, sizeof candidate, "%s/../..", in->bindir);
		if (realpath(candidate, in->share) != NULL)
			return;
	}
	snprintf(in->share, sizeof in->share, "%s", INSTANCE_SHARE_DEFAULT);
}

int
instance_locate(struct instance *in, const char *explicit_root, char *err, size_t errlen)
{
	const char *root = explicit_root;

	memset(in, 0, sizeof *in);
	if (root == NULL || *root == '\0')
		root = getenv("SEKISHO_INSTANCE");
	/* ./var only when it holds an instance: a command run from / (a unit's working
	 * directory, an operator's shell) must not take the system's /var for one. */
	if (root == NULL || *root == '\0')
		root = access("./var/etc/instance.conf", F_OK) == 0 ? "./var" : INSTANCE_DEFAULT_ROOT;
	if (realpath(root, in->root) == NULL) {
		/* Not there yet (init will create it): make it absolute by hand. */
		char cwd[PATH_MAX];

		if (errno != ENOENT || getcwd(cwd, sizeof cwd) == NULL) {
			snprintf(err, errlen, "%s: %s", root, strerror(errno));
			return -1;
		}
		if (root[0] == '/')
			snprintf(in->root, sizeof in->root, "%s", root);
		else if ((size_t)snprintf(in->root, sizeof in->root, "%s/%s", cwd, root) >=
			 sizeof in->root) {
			snprintf(err, errlen, "%s: path too long", root);
			return -1;
		}
	}
	if (exe_dir(in->bindir, sizeof in->bindir) != 0) {
		snprintf(err, errlen, "cannot find the program directory: %s", strerror(errno));
		return -1;
	}
	locate_share(in);
	return 0;
}

int
instance_path(const struct instance *in, const char *rel, char *out, size_t outlen)
{
	int w = snprintf(out, outlen, "%s/%s", in->root, rel);
	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}

static const struct config_key instance_schema[] = {
	{ "mode", CONFIG_STRING, NULL, true, 0, 0 },
	{ "role", CONFIG_STRING, NULL, false, 0, 0 },
	{ "tls", CONFIG_BOOL, "false", false, 0, 0 },
	{ "bind_host", CONFIG_STRING, "127.0.0.1", false, 0, 0 },
	{ "internet_port", CONFIG_INT, "8080", false, 1, 65535 },
	{ "lgwan_port", CONFIG_INT, "8090", false, 1, 65535 },
	{ "uplink_port", CONFIG_INT, "9510", false, 1, 65535 },
	{ "downlink_port", CONFIG_INT, "9511", false, 1, 65535 },
	{ NULL },
};

int
instance_read_options(const struct instance *in, struct instance_options *opt,
		      char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct config *c;

	if (instance_path(in, "etc/instance.conf", path, sizeof path) != 0) {
		snprintf(err, errlen, "%s: path too long", in->root);
		return -1;
	}
	if (access(path, F_OK) != 0) {
		snprintf(err, errlen, "%s: no Sekisho instance here (run 'sekishoctl init')",
			 in->root);
		return -1;
	}
	if (config_load(&c, instance_schema, path, NULL, err, errlen) != 0)
		return -1;
	memset(opt, 0, sizeof *opt);
	opt->dev = strcmp(config_str(c, "mode"), "dev") == 0;
	opt->tls = config_bool(c, "tls");
	snprintf(opt->bind_host, sizeof opt->bind_host, "%s", config_str(c, "bind_host"));
	opt->internet_port = config_int(c, "internet_port");
	opt->lgwan_port = config_int(c, "lgwan_port");
	opt->uplink_port = config_int(c, "uplink_port");
	opt->downlink_port = config_int(c, "downlink_port");
	if (config_str(c, "role") != NULL)
		snprintf(opt->role, sizeof opt->role, "%s", config_str(c, "role"));
	config_free(c);
	return 0;
}
