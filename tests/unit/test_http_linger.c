/*
 * test_http_linger.c — lingering close over real TCP connections on 127.0.0.1.
 *
 * Each test makes a connected pair: "server" is what the HTTP layer would hand over
 * after writing its reply, "client" plays the browser that is still uploading.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_linger.h"

#define REPLY "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n"
#define CHUNK (256 * 1024)

static char junk[CHUNK];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connected TCP pair on loopback; the client has sent `unread` bytes the server
 * never reads (the body of a request refused from its headers). */
static void
tcp_pair(int *server, int *client, size_t unread)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(lfd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
	*server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*server >= 0);
	close(lfd);
	if (unread > 0)
		assert_int_equal(send(*client, junk, unread, 0), (ssize_t)unread);
	assert_int_equal(send(*server, REPLY, strlen(REPLY), 0), (ssize_t)strlen(REPLY));
}

/* Read until end of stream (or error); returns bytes read, or -errno. */
static ssize_t
read_to_end(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char scratch[4096];
		ssize_t n;

		if (poll(&p, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		n = recv(fd, got < cap ? buf + got : scratch,
			 got < cap ? cap - got : sizeof(scratch), 0);
		if (n == 0)
			return (ssize_t)got;
		if (n < 0)
			return -errno;
		if (got < cap)
			got += (size_t)n;
	}
}

/* Keep sending for `seconds`; returns 0, or the errno that stopped us. */
static int
keep_sending(int fd, double seconds)
{
	double end = now_s() + seconds;

	while (now_s() < end) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, 50) == 1 && send(fd, junk, CHUNK, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN)
			return errno;
	}
	return 0;
}

static void
wait_active(struct http_linger *l, size_t want, double seconds)
{
	double end = now_s() + seconds;

	while (http_linger_active(l) != want && now_s() < end)
		usleep(10 * 1000);
	assert_int_equal(http_linger_active(l), want);
}

/* The control: without lingering, closing over unread input resets the connection,
 * and the client that is still sending gets an error instead of the reply. */
static void
test_plain_close_over_unread_input_resets_the_client(void **state)
{
	int server, client;

	(void)state;
	tcp_pair(&server, &client, CHUNK);
	close(server);
	assert_int_equal(keep_sending(client, 0.5), ECONNRESET);
	close(client);
}

static void
test_lingering_client_reads_the_reply_while_still_sending(void **state)
{
	struct http_linger *l;
	char err[128], buf[256];
	int server, client;

	(void)state;
	assert_int_equal(http_linger_start(&l, 4, 5000, 2000, err, sizeof(err)), 0);
	tcp_pair(&server, &client, CHUNK);
	http_linger_add(l, server);

	assert_int_equal(keep_sending(client, 0.5), 0);	/* no reset */
	assert_int_equal(read_to_end(client, buf, sizeof(buf), 2000), (ssize_t)strlen(REPLY));
	assert_memory_equal(buf, REPLY, strlen(REPLY));
	assert_int_equal(http_linger_active(l), 1);

	/* The client is done: the lingerer sees the end and lets go. */
	shutdown(client, SHUT_WR);
	wait_active(l, 0, 2.0);
	assert_int_equal(http_linger_total(l), 1);
	close(client);
	http_linger_stop(l);
}

static void
test_silent_client_is_let_go_after_the_idle_bound(void **state)
{
	struct http_linger *l;
	char err[128], buf[256];
	int server, client;
	double t0;

	(void)state;
	assert_int_equal(http_linger_start(&l, 4, 5000, 200, err, sizeof(err)), 0);
	tcp_pair(&server, &client, 0);
	t0 = now_s();
	http_linger_add(l, server);
	wait_active(l, 0, 2.0);
	assert_true(now_s() - t0 >= 0.15);
	assert_int_equal(read_to_end(client, buf, sizeof(buf), 1000), (ssize_t)strlen(REPLY));
	close(client);
	http_linger_stop(l);
}

static void
test_client_that_never_stops_is_cut_at_the_total_bound(void **state)
{
	struct http_linger *l;
	char err[128];
	int server, client;
	double t0;

	(void)state;
	assert_int_equal(http_linger_start(&l, 4, 300, 200, err, sizeof(err)), 0);
	tcp_pair(&server, &client, CHUNK);
	t0 = now_s();
	http_linger_add(l, server);
	/* Sending all the time keeps it from going idle; the total bound ends it. */
	assert_int_not_equal(keep_sending(client, 3.0), 0);
	assert_true(now_s() - t0 >= 0.25);
	assert_true(now_s() - t0 < 2.5);
	assert_int_equal(http_linger_active(l), 0);
	close(client);
	http_linger_stop(l);
}

static void
test_full_lingerer_closes_at_once_and_stop_closes_the_rest(void **state)
{
	struct http_linger *l;
	char err[128], buf[256];
	int s1, c1, s2, c2;

	(void)state;
	assert_int_equal(http_linger_start(&l, 1, 5000, 5000, err, sizeof(err)), 0);
	tcp_pair(&s1, &c1, 0);
	tcp_pair(&s2, &c2, 0);
	http_linger_add(l, s1);
	http_linger_add(l, s2);		/* no slot: closed, the client sees the end now */
	assert_int_equal(read_to_end(c2, buf, sizeof(buf), 1000), (ssize_t)strlen(REPLY));
	assert_int_equal(http_linger_active(l), 1);
	assert_int_equal(http_linger_total(l), 1);

	http_linger_stop(l);		/* well before its 5 s */
	assert_int_equal(read_to_end(c1, buf, sizeof(buf), 1000), (ssize_t)strlen(REPLY));
	close(c1);
	close(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_close_over_unread_input_resets_the_client),
		cmocka_unit_test(test_lingering_client_reads_the_reply_while_still_sending),
		cmocka_unit_test(test_silent_client_is_let_go_after_the_idle_bound),
		cmocka_unit_test(test_client_that_never_stops_is_cut_at_the_total_bound),
		cmocka_unit_test(test_full_lingerer_closes_at_once_and_stop_closes_the_rest),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
