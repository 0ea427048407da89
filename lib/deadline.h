/*
 * deadline.h — time for waits and bounds.
 *
 * deadline_after_ms: the absolute time, ms from now, that pthread_cond_timedwait
 * wants. Condition variables here use the default clock, CLOCK_REALTIME, so the
 * deadline is read from it; tv_nsec is kept below one second, or the wait fails with
 * EINVAL. deadline_now_ms: the monotonic clock, for timeouts and durations, which a
 * change of the wall clock must neither stretch nor cut.
 */
#ifndef SEKISHO_DEADLINE_H
#define SEKISHO_DEADLINE_H

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

#endif
