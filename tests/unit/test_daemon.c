/*
 * test_daemon.c — the frame around every daemon: its command line and its health
 * report, which operators and monitoring read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "spool.h"
#include "testutil.h"

static int
parse(int argc, const char **argv, struct daemon_args *a)
{
	return daemon_parse_args(argc, (char **)argv, "sekisho-test", "Test daemon.", a);
}

static void
test_config_option_required_and_parsed(void **state)
{
	(void)state;
	struct daemon_args a;
	const char *ok[] = { "d", "--config", "/etc/x.conf", NULL };
	const char *short_opt[] = { "d", "-c", "/etc/y.conf", NULL };
	const char *missing[] = { "d", NULL };
	const char *extra[] = { "d", "--config", "/x", "stray", NULL };
	const char *unknown[] = { "d", "--frobnicate", NULL };

	assert_int_equal(parse(3, ok, &a), 0);
	assert_string_equal(a.config_path, "/etc/x.conf");
	assert_int_equal(parse(3, short_opt, &a), 0);
	assert_string_equal(a.config_path, "/etc/y.conf");
	assert_int_equal(parse(1, missing, &a), -1);
	assert_int_equal(parse(4, extra, &a), -1);
	assert_int_equal(parse(2, unknown, &a), -1);
}

static void
test_version_and_help_end_without_config(void **state)
{
	(void)state;
	struct daemon_args a;
	const char *version[] = { "d", "--version", NULL };
	const char *help[] = { "d", "--help", NULL };

	assert_int_equal(parse(2, version, &a), 1);
	assert_int_equal(parse(2, help, &a), 1);
}

static json_t *
check(json_t *h, const char *name)
{
	return json_object_get(json_object_get(h, "checks"), name);
}

static void
test_health_degrades_when_any_check_fails(void **state)
{
	(void)state;
	json_t *h = daemon_health_new("sekisho-test");

	assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
	assert_int_equal(json_integer_value(json_object_get(h, "pid")), getpid());
	daemon_health_check(h, "a", true, "fine");
	assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
	daemon_health_check(h, "b", false, "broken");
	daemon_health_check(h, "c", true, NULL);
	assert_string_equal(json_string_value(json_object_get(h, "status")), "degraded");
	assert_true(json_is_false(json_object_get(check(h, "b"), "ok")));
	assert_string_equal(json_string_value(json_object_get(check(h, "c"), "detail")), "");
	json_decref(h);
}

static void
test_health_spool_reports_waiting_items_and_unwritable_spool(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-daemon-XXXXXX";
	struct spool s;
	json_t *h = daemon_health_new("sekisho-test");

	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_open(&s, dir, true), 0);
	assert_int_equal(spool_put(&s, "one", "x", 1), SPOOL_OK);
	daemon_health_spool(h, "spool", &s);
	assert_true(json_is_true(json_object_get(check(h, "spool"), "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(check(h, "spool"), "detail")),
			       "writable, 1 waiting"));
	/* The spool vanishes under the daemon: the check must say so, not pass. */
	assert_int_equal(testutil_rmtree(dir), 0);
	daemon_health_spool(h, "spool.gone", &s);
	assert_true(json_is_false(json_object_get(check(h, "spool.gone"), "ok")));
	spool_close(&s);
	json_decref(h);
}

static void
test_health_socket_and_file_checks(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-daemon-XXXXXX", sock[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *h = daemon_health_new("sekisho-test");
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/s.sock", dir);
	daemon_health_socket(h, "absent", sock);
	assert_true(json_is_false(json_object_get(check(h, "absent"), "ok")));

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 1), 0);
	daemon_health_socket(h, "listening", sock);
	assert_true(json_is_true(json_object_get(check(h, "listening"), "ok")));
	close(fd);

	daemon_health_path(h, "file.absent", "/nonexistent/key.pem", R_OK);
	assert_true(json_is_false(json_object_get(check(h, "file.absent"), "ok")));
	daemon_health_path(h, "file.present", sock, R_OK);
	assert_true(json_is_true(json_object_get(check(h, "file.present"), "ok")));
	assert_int_equal(testutil_rmtree(dir), 0);
	json_decref(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_option_required_and_parsed),
		cmocka_unit_test(test_version_and_help_end_without_config),
		cmocka_unit_test(test_health_degrades_when_any_check_fails),
		cmocka_unit_test(test_health_spool_reports_waiting_items_and_unwritable_spool),
		cmocka_unit_test(test_health_socket_and_file_checks),
	};
	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
