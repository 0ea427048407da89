/*
 * test_config.c — a configuration file is hostile input: every rejection names the
 * file and line (or the variable), and nothing half-parsed is returned.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

static const struct config_key schema[] = {
	{ "name",          CONFIG_STRING, "sekisho", false, 0, 0 },
	{ "server.port",   CONFIG_INT,    "8080",    false, 1, 65535 },
	{ "server.tls",    CONFIG_BOOL,   "false",   false, 0, 0 },
	{ "db.path",       CONFIG_PATH,   NULL,      true,  0, 0 },
	{ "spool.dir",     CONFIG_PATH,   NULL,      false, 0, 0 },
	{ "log.max-lines", CONFIG_INT,    "100",     false, 0, 1000 },
	{ NULL },
};

static char dir[PATH_MAX];
static char err[512];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	err[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return testutil_rmtree(dir);
}

/* Write a file under the test directory and return its path (static buffer). */
static const char *
write_file(const char *name, const char *content, size_t len, mode_t mode)
{
	static char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static const char *
write_conf(const char *content)
{
	return write_file("sekisho.conf", content, strlen(content), 0640);
}

/* Load the string as a file; returns config_load's result. */
static int
load(struct config **c, const char *content, char *const *envp)
{
	return config_load(c, schema, write_conf(content), envp, err, sizeof(err));
}

static void
test_defaults_and_file_values(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "# comment\n\n  name = 関所 test \n"
	    "[server]\nport = 443\ntls = yes\n[db]\npath = /var/lib/x.db\n", NULL), 0);
	assert_string_equal(config_str(c, "name"), "関所 test");
	assert_int_equal(config_int(c, "server.port"), 443);
	assert_true(config_bool(c, "server.tls"));
	assert_string_equal(config_str(c, "db.path"), "/var/lib/x.db");
	assert_null(config_str(c, "spool.dir"));
	assert_int_equal(config_int(c, "log.max-lines"), 100);
	assert_string_equal(config_origin(c, "server.port"), "file:5");
	assert_string_equal(config_origin(c, "log.max-lines"), "default");
	config_free(c);
}

static void
test_unknown_key_names_file_and_line(void **state)
{
	struct config *c = (struct config *)1;
	char want[PATH_MAX + 128];

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\n\n[server]\nprot = 80\n", NULL), -1);
	assert_null(c);
	snprintf(want, sizeof(want), "%s/sekisho.conf:4: unknown key 'server.prot'",
	    dir);
	assert_string_equal(err, want);
}

static void
test_int_out_of_range_refused(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\nserver.port = 65536\n", NULL), -1);
	assert_non_null(strstr(err, "sekisho.conf:2: key 'server.port': 65536 is out of "
	    "range [1, 65535]"));
	assert_int_equal(load(&c, "db.path = /x\nserver.port = 99999999999999999999\n",
	    NULL), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(load(&c, "db.path = /x\nserver.port = 80x\n", NULL), -1);
	assert_non_null(strstr(err, "'80x' is not an integer"));
	assert_int_equal(load(&c, "db.path = /x\nserver.port =\n", NULL), -1);
	assert_non_null(strstr(err, "is not an integer"));
	assert_int_equal(load(&c, "db.path = /x\nserver.port = 1\n", NULL), 0);
	assert_int_equal(config_int(c, "server.port"), 1);
	config_free(c);
}

static void
test_env_overrides_file_and_origin_reported(void **state)
{
	struct config *c;
	char *envp[] = {
		"PATH=/usr/bin",
		"SEKISHO_SERVER_PORT=9000",
		"SEKISHO_LOG_MAX_LINES=7",
		"SEKISHO_SERVER_PORT=1",	/* the first one wins, as with getenv */
		NULL,
	};

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\n[server]\nport = 80\n", envp), 0);
	assert_int_equal(config_int(c, "server.port"), 9000);
	assert_string_equal(config_origin(c, "server.port"), "env:SEKISHO_SERVER_PORT");
	assert_int_equal(config_int(c, "log.max-lines"), 7);
	assert_string_equal(config_origin(c, "log.max-lines"),
	    "env:SEKISHO_LOG_MAX_LINES");
	assert_string_equal(config_origin(c, "db.path"), "file:1");
	config_free(c);
}

static void
test_bad_env_value_names_variable(void **state)
{
	struct config *c;
	char *envp[] = { "SEKISHO_SERVER_TLS=maybe", NULL };
	char *envp2[] = { "SEKISHO_NAME=a\tb", NULL };

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\n", envp), -1);
	assert_non_null(strstr(err, "environment SEKISHO_SERVER_TLS (key 'server.tls'): "
	    "'maybe' is not a boolean"));
	assert_int_equal(load(&c, "db.path = /x\n", envp2), -1);
	assert_non_null(strstr(err, "SEKISHO_NAME"));
	assert_non_null(strstr(err, "control character"));
}

static void
test_env_alone_without_file(void **state)
{
	struct config *c;
	char *envp[] = { "SEKISHO_DB_PATH=/srv/t.db", NULL };
	char *rel[] = { "SEKISHO_DB_PATH=t.db", NULL };

	(void)state;
	assert_int_equal(config_load(&c, schema, NULL, envp, err, sizeof(err)), 0);
	assert_string_equal(config_str(c, "db.path"), "/srv/t.db");
	config_free(c);
	/* No file, no directory to be relative to; the cwd is never used. */
	assert_int_equal(config_load(&c, schema, NULL, rel, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "relative path 't.db'"));
}

static void
test_relative_path_resolved_against_config_dir(void **state)
{
	struct config *c;
	char real[PATH_MAX], want[PATH_MAX + 64], sub[PATH_MAX + 8], conf[PATH_MAX + 32];
	char cwd[PATH_MAX];
	char *envp[] = { "SEKISHO_SPOOL_DIR=spool/in", NULL };

	(void)state;
	/* The test dir may sit under a symlink (/tmp): compare against its real path. */
	snprintf(sub, sizeof(sub), "%s/etc", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/sekisho.conf", sub);
	assert_true(realpath(sub, real) != NULL);
	write_file("etc/sekisho.conf", "db.path = ./data/t.db\n", 22, 0600);

	/* Run from elsewhere: the cwd must not matter. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(config_load(&c, schema, conf, envp, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof(want), "%s/data/t.db", real);
	assert_string_equal(config_str(c, "db.path"), want);
	snprintf(want, sizeof(want), "%s/spool/in", real);
	assert_string_equal(config_str(c, "spool.dir"), want);
	config_free(c);
}

static void
test_oversized_file_refused(void **state)
{
	struct config *c;
	char *big;
	const char *path;

	(void)state;
	big = malloc(CONFIG_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '\n', CONFIG_MAX_FILE + 1);
	memcpy(big, "db.path = /x\n", 13);
	path = write_file("big.conf", big, CONFIG_MAX_FILE + 1, 0600);
	assert_int_equal(config_load(&c, schema, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "big.conf: larger than 65536 bytes"));
	/* Exactly at the bound is fine. */
	path = write_file("big.conf", big, CONFIG_MAX_FILE, 0600);
	assert_int_equal(config_load(&c, schema, path, NULL, err, sizeof(err)), 0);
	config_free(c);
	/* The buffer entry point enforces it too. */
	assert_int_equal(config_load_buffer(&c, schema, big, CONFIG_MAX_FILE + 1, "b",
	    "/", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "b: larger than 65536 bytes");
	free(big);
}

static void
test_overlong_line_refused(void **state)
{
	struct config *c;
	char buf[CONFIG_MAX_LINE + 64];
	size_t n;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "db.path = /x\nname = ");
	memset(buf + n, 'a', CONFIG_MAX_LINE - 7 + 1);	/* one byte over */
	buf[n + CONFIG_MAX_LINE - 7 + 1] = '\0';
	assert_int_equal(load(&c, buf, NULL), -1);
	assert_non_null(strstr(err, "sekisho.conf:2: line longer than 1024 bytes"));
	buf[n + CONFIG_MAX_LINE - 7] = '\0';			/* exactly the bound */
	assert_int_equal(load(&c, buf, NULL), 0);
	assert_int_equal(strlen(config_str(c, "name")), CONFIG_MAX_LINE - 7);
	config_free(c);
}

static void
test_duplicate_key_refused(void **state)
{
	struct config *c;

	(void)state;
	/* The same key spelt both ways is still the same key. */
	assert_int_equal(load(&c, "db.path = /x\nserver.port = 1\n[server]\nport = 2\n",
	    NULL), -1);
	assert_non_null(strstr(err, "sekisho.conf:4: duplicate key 'server.port' "
	    "(already set on line 2)"));
}

static void
test_required_key_missing(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "name = x\n", NULL), -1);
	assert_non_null(strstr(err, "sekisho.conf: required key 'db.path' is not set"));
	assert_non_null(strstr(err, "SEKISHO_DB_PATH"));
}

static void
test_quoted_value_with_escapes(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\n"
	    "name = \"  say \\\"hi\\\" \\\\ # not a comment \"   # a comment\n", NULL), 0);
	assert_string_equal(config_str(c, "name"), "  say \"hi\" \\ # not a comment ");
	config_free(c);

	assert_int_equal(load(&c, "db.path = /x\nname = \"open\n", NULL), -1);
	assert_non_null(strstr(err, ":2: key 'name': unterminated quoted value"));
	assert_int_equal(load(&c, "db.path = /x\nname = \"a\\n\"\n", NULL), -1);
	assert_non_null(strstr(err, "unknown escape"));
	assert_int_equal(load(&c, "db.path = /x\nname = \"a\" b\n", NULL), -1);
	assert_non_null(strstr(err, "text after the closing quote"));
}

static void
test_unquoted_hash_refused(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\nname = a # b\n", NULL), -1);
	assert_non_null(strstr(err, ":2: key 'name': '#' in an unquoted value"));
	assert_int_equal(load(&c, "db.path = /x\nname = # b\n", NULL), -1);
	assert_int_equal(load(&c, "db.path = /x\nname = a#b\n", NULL), 0);
	assert_string_equal(config_str(c, "name"), "a#b");
	config_free(c);
}

static void
test_control_and_bad_utf8_refused(void **state)
{
	struct config *c;
	static const char nul[] = "db.path = /x\nname = a\0b\n";
	const char *path;

	(void)state;
	path = write_file("nul.conf", nul, sizeof(nul) - 1, 0600);
	assert_int_equal(config_load(&c, schema, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nul.conf:2: control character (byte 0x00)"));
	assert_int_equal(load(&c, "db.path = /x\nname = \"a\x1b[2Jb\"\n", NULL), -1);
	assert_non_null(strstr(err, ":2: control character"));
	assert_int_equal(load(&c, "db.path = /x\nname = \xc0\xaf\n", NULL), -1);
	assert_non_null(strstr(err, "not valid UTF-8"));
	assert_int_equal(load(&c, "db.path = /x\nname = \xc2\x9b\n", NULL), -1);
	assert_non_null(strstr(err, "control character"));
	/* CRLF line ends and a BOM, as saved by an editor on Windows, are fine. */
	assert_int_equal(load(&c, "\xef\xbb\xbf" "db.path = /x\r\nname = y\r\n", NULL), 0);
	assert_string_equal(config_str(c, "name"), "y");
	config_free(c);
}

static void
test_bool_spellings(void **state)
{
	static const char *yes[] = { "true", "YES", "on", "1" };
	static const char *no[] = { "false", "No", "OFF", "0" };
	struct config *c;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "db.path = /x\nserver.tls = %s\n", yes[i]);
		assert_int_equal(load(&c, buf, NULL), 0);
		assert_true(config_bool(c, "server.tls"));
		config_free(c);
		snprintf(buf, sizeof(buf), "db.path = /x\nserver.tls = %s\n", no[i]);
		assert_int_equal(load(&c, buf, NULL), 0);
		assert_false(config_bool(c, "server.tls"));
		config_free(c);
	}
	assert_int_equal(load(&c, "db.path = /x\nserver.tls = 2\n", NULL), -1);
}

static void
test_malformed_lines_refused(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\njust words\n", NULL), -1);
	assert_non_null(strstr(err, ":2: expected 'key = value'"));
	assert_int_equal(load(&c, "db.path = /x\n[server\n", NULL), -1);
	assert_non_null(strstr(err, ":2: malformed section header"));
	assert_int_equal(load(&c, "db.path = /x\n[]\n", NULL), -1);
	assert_int_equal(load(&c, "db.path = /x\n= 5\n", NULL), -1);
}

static void
test_too_many_keys_refused(void **state)
{
	struct config_key big[CONFIG_MAX_KEYS + 3];
	char names[CONFIG_MAX_KEYS + 2][16];
	char *buf, *p;
	struct config *c;
	size_t i;

	(void)state;
	memset(big, 0, sizeof(big));
	for (i = 0; i < CONFIG_MAX_KEYS + 2; i++) {
		snprintf(names[i], sizeof(names[i]), "k%zu", i);
		big[i].name = names[i];
		big[i].type = CONFIG_STRING;
	}
	p = buf = malloc(CONFIG_MAX_KEYS * 16 + 64);
	assert_non_null(buf);
	for (i = 0; i < CONFIG_MAX_KEYS + 1; i++)
		p += sprintf(p, "k%zu = v\n", i);
	assert_int_equal(config_load_buffer(&c, big, buf, strlen(buf), "f", NULL, NULL,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "f:257: more than 256 keys");
	free(buf);
}

static void
test_world_writable_config_refused(void **state)
{
	struct config *c;
	const char *path;

	(void)state;
	path = write_file("ww.conf", "db.path = /x\n", 13, 0666);
	assert_int_equal(config_load(&c, schema, path, NULL, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "ww.conf: refused because it is writable by every "
	    "user (mode 0666)"));
}

static void
test_not_regular_file_refused(void **state)
{
	struct config *c;
	char fifo[PATH_MAX + 16];

	(void)state;
	assert_int_equal(config_load(&c, schema, dir, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": not a regular file"));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Must not block in open(2) waiting for a writer. */
	assert_int_equal(config_load(&c, schema, fifo, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fifo: not a regular file"));
	assert_int_equal(config_load(&c, schema, "/nonexistent/x.conf", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.conf: No such file or directory");
}

static void
test_bad_schema_refused(void **state)
{
	static const struct config_key clash[] = {
		{ "a.b", CONFIG_STRING }, { "a-b", CONFIG_STRING }, { NULL },
	};
	static const struct config_key baddef[] = {
		{ "n", CONFIG_INT, "x", false, 0, 10 }, { NULL },
	};
	static const struct config_key nodef[] = {
		{ "n", CONFIG_INT, NULL, false, 0, 10 }, { NULL },
	};
	struct config *c;

	(void)state;
	assert_int_equal(config_load_buffer(&c, clash, NULL, 0, NULL, NULL, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "share the variable SEKISHO_A_B"));
	assert_int_equal(config_load_buffer(&c, baddef, NULL, 0, NULL, NULL, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "schema: default of key 'n'"));
	assert_int_equal(config_load_buffer(&c, nodef, NULL, 0, NULL, NULL, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "needs a default or required"));
}

/* Run fn in a child and say whether it died of SIGABRT. */
static bool
aborts(void (*fn)(const struct config *), const struct config *c)
{
	int status, devnull;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_WRONLY)) >= 0)
			dup2(devnull, 2);
		fn(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void int_of_string(const struct config *c) { (void)config_int(c, "name"); }
static void str_of_int(const struct config *c) { (void)config_str(c, "server.port"); }
static void unknown_name(const struct config *c) { (void)config_bool(c, "nope"); }
static void fine(const struct config *c) { (void)config_str(c, "db.path"); }

static void
test_wrong_type_access_aborts(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(load(&c, "db.path = /x\n", NULL), 0);
	assert_true(aborts(int_of_string, c));
	assert_true(aborts(str_of_int, c));
	assert_true(aborts(unknown_name, c));
	assert_false(aborts(fine, c));
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_file_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_names_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int_out_of_range_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_overrides_file_and_origin_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_env_value_names_variable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_alone_without_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path_resolved_against_config_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_key_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quoted_value_with_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unquoted_hash_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_and_bad_utf8_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bool_spellings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_world_writable_config_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_type_access_aborts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
