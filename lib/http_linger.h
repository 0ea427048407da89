/*
 * http_linger.h — lingering close for connections answered before their body was read.
 *
 * Closing a TCP socket that still has unread input makes the kernel send a reset,
 * and a reset can reach the client before it has read the reply we just sent: an
 * upload refused with 413 from its headers shows up as "connection reset" instead.
 * A lingerer keeps such a socket (a duplicate of the server's descriptor) open after
 * the server has let go of it, reads and throws away what the client still sends,
 * and closes it when the client finishes or a time bound passes (RFC 9112 §9.6;
 * Apache and nginx do the same). It stores nothing and parses nothing.
 */
#ifndef SEKISHO_HTTP_LINGER_H
#define SEKISHO_HTTP_LINGER_H

#include <stddef.h>

struct http_linger;

/* Start the lingering thread: at most max_sockets at once, each kept at most total_ms
 * and at most idle_ms without input. Returns 0, or -1 with err filled. */
int http_linger_start(struct http_linger **out, size_t max_sockets, unsigned total_ms,
		      unsigned idle_ms, char *err, size_t errlen);

/* Hand over fd (a connected socket whose reply has been written): its writing side is
 * shut and its input discarded until the client closes or a bound passes. The
 * lingerer owns fd from here; when it is full, fd is closed at once. */
void http_linger_add(struct http_linger *l, int fd);

/* Sockets lingering now, and in all since start (for tests and metrics). */
size_t http_linger_active(struct http_linger *l);
unsigned long long http_linger_total(struct http_linger *l);

/* Stop the thread and close every socket still lingering. NULL is a no-op. */
void http_linger_stop(struct http_linger *l);

#endif
