/*
 * deadline.h — time for waits and bounds.
 *
 * deadline_after_ms: the absolute time, ms from now, that pthread_cond_timedwait
 * wants. Condition variables here use the default clock, CLOCK_REALTIME, so the
 * deadline is read from it; tv_nsec is kept below one second, or the wait fails with
 * EINVAL. deadline_now_ms: the monotonic clock, for timeouts and durations, which a
 * change of the wall clock must neither stretch nor cut. deadline_poll_in: wait for a
 * descriptor to be readable until such a monotonic deadline, signals or not.
 */
#ifndef SEKISHO_DEADLINE_H
#define SEKISHO_DEADLINE_H

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

/* *out = now (CLOCK_REALTIME) + ms, normalised. */
static inline void
deadline_after_ms(struct timespec *out, long ms)
{
	clock_gettime(CLOCK_REALTIME, out);
	out->tv_sec += ms / 1000;
	out->tv_nsec += (ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

/* Milliseconds of CLOCK_MONOTONIC (from an unspecified start). */
static inline uint64_t
deadline_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* 0 once fd is readable (or at its end, or in error: the read tells which),
 * -ETIMEDOUT at deadline (deadline_now_ms's clock), or a negative errno from poll. */
static inline int
deadline_poll_in(int fd, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t t;
	int rc;

	for (;;) {
		if ((t = deadline_now_ms()) >= deadline)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)(deadline - t > INT_MAX ? INT_MAX : deadline - t));
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

#endif
