/*
 * test_link.c — a link is configured with address literals and a direction only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "link.h"

static void
test_direction_parses_only_the_two_names(void **state)
{
	(void)state;
	enum link_direction d;
	assert_int_equal(link_direction_parse("uplink", &d), 0);
	assert_int_equal(d, LINK_UPLINK);
	assert_int_equal(link_direction_parse("downlink", &d), 0);
	assert_int_equal(d, LINK_DOWNLINK);
	assert_int_equal(link_direction_parse("Uplink", &d), -1);
	assert_int_equal(link_direction_parse("", &d), -1);
	assert_int_equal(link_direction_parse(NULL, &d), -1);
	assert_string_equal(link_direction_name(LINK_DOWNLINK), "downlink");
}

static void
test_address_accepts_ipv4_and_ipv6_literals(void **state)
{
	(void)state;
	struct sockaddr_storage sa;
	socklen_t len;
	assert_int_equal(link_address("127.0.0.1", 9510, &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9510);
	assert_int_equal(link_address("::1", 1, &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
}

static void
test_address_refuses_names_and_bad_ports(void **state)
{
	(void)state;
	struct sockaddr_storage sa;
	socklen_t len;
	/* No DNS: a name would make the bridge depend on a resolver. */
	assert_int_equal(link_address("localhost", 9510, &sa, &len), -1);
	assert_int_equal(link_address("127.0.0.1", 0, &sa, &len), -1);
	assert_int_equal(link_address("127.0.0.1", 65536, &sa, &len), -1);
	assert_int_equal(link_address(NULL, 1, &sa, &len), -1);
	assert_int_equal(link_address("127.0.0.1 ", 1, &sa, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction_parses_only_the_two_names),
		cmocka_unit_test(test_address_accepts_ipv4_and_ipv6_literals),
		cmocka_unit_test(test_address_refuses_names_and_bad_ports),
	};
	return cmocka_run_group_tests_name("link", tests, NULL, NULL);
}
