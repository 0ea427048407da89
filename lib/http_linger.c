/*
 * http_linger.c — lingering close (see http_linger.h).
 *
 * One thread, one epoll set, a fixed table of slots. The table is the bound: a
 * client cannot make us keep more than max_sockets, or any of them longer than
 * total_ms, and what it sends is read into one scratch buffer and dropped. Slots are
 * filled by the server's threads and emptied by the lingering thread, both under the
 * mutex; epoll itself is safe to change from any thread.
 */
#include "http_linger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"

#define LINGER_READS_PER_WAKE 16	/* then back to epoll: one client cannot hog us */
#define LINGER_EVENTS 32
#define LINGER_WAKE_UP UINT64_MAX	/* epoll data of the stop eventfd */

struct slot {
	int fd;				/* -1 when free */
	uint64_t deadline_ms;		/* total bound */
	uint64_t idle_until_ms;		/* pushed on by every read */
};

struct http_linger {
	pthread_t thread;
	pthread_mutex_t mu;
	int epfd, stopfd;
	bool stopping;
	unsigned total_ms, idle_ms;
	size_t nslots, active;
	unsigned long long total;
	struct slot *slots;
	char scratch[64 * 1024];	/* only the lingering thread reads into it */
};

/* Called with the mutex held. */
static void
slot_close(struct http_linger *l, size_t i)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->slots[i].fd, NULL);
	close(l->slots[i].fd);
	l->slots[i].fd = -1;
	l->active--;
}

/* Read and drop what has arrived. Returns false when the client is done (end of
 * stream or an error): the slot is to be closed. Called with the mutex held. */
static bool
slot_drain(struct http_linger *l, size_t i, uint64_t now)
{
	int k;

	for (k = 0; k < LINGER_READS_PER_WAKE; k++) {
		ssize_t n = recv(l->slots[i].fd, l->scratch, sizeof(l->scratch), MSG_DONTWAIT);

		if (n > 0) {
			l->slots[i].idle_until_ms = now + l->idle_ms;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return true;
		return false;
	}
	return true;
}

/* Close what has passed a bound; returns the epoll timeout until the next one. */
static int
expire(struct http_linger *l, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < l->nslots; i++) {
		struct slot *s = &l->slots[i];
		uint64_t until;

		if (s->fd < 0)
			continue;
		until = s->idle_until_ms < s->deadline_ms ? s->idle_until_ms : s->deadline_ms;
		if (now >= until)
			slot_close(l, i);
		else if (until < next)
			next = until;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static void *
linger_main(void *arg)
{
	struct http_linger *l = arg;
	struct epoll_event ev[LINGER_EVENTS];
	int timeout = -1;

	for (;;) {
		int n = epoll_wait(l->epfd, ev, LINGER_EVENTS, timeout), j;
		uint64_t now = deadline_now_ms();

		pthread_mutex_lock(&l->mu);
		if (l->stopping) {
			pthread_mutex_unlock(&l->mu);
			return NULL;
		}
		for (j = 0; j < n; j++) {
			size_t i = (size_t)ev[j].data.u64;
			uint64_t wakes;

			if (ev[j].data.u64 == LINGER_WAKE_UP) {
				(void)!read(l->stopfd, &wakes, sizeof(wakes));
				continue;
			}
			if (l->slots[i].fd < 0)
				continue;
			if (!slot_drain(l, i, now))
				slot_close(l, i);
		}
		timeout = expire(l, now);
		pthread_mutex_unlock(&l->mu);
	}
}

static void
wake(struct http_linger *l)
{
	uint64_t one = 1;

	(void)!write(l->stopfd, &one, sizeof(one));
}

int
http_linger_start(struct http_linger **out, size_t max_sockets, unsigned total_ms,
		  unsigned idle_ms, char *err, size_t errlen)
{
	struct http_linger *l;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LINGER_WAKE_UP };
	size_t i;
	int rc;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->slots = calloc(max_sockets ? max_sockets : 1, sizeof(*l->slots))) == NULL) {
		free(l);
		snprintf(err, errlen, "http: lingering close: out of memory");
		return -1;
	}
	l->nslots = max_sockets;
	l->total_ms = total_ms;
	l->idle_ms = idle_ms;
	for (i = 0; i < max_sockets; i++)
		l->slots[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stopfd < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev) != 0) {
		snprintf(err, errlen, "http: lingering close: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&l->mu, NULL);
	if ((rc = pthread_create(&l->thread, NULL, linger_main, l)) != 0) {
		snprintf(err, errlen, "http: lingering close: thread: %s", strerror(rc));
		pthread_mutex_destroy(&l->mu);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->stopfd >= 0)
		close(l->stopfd);
	free(l->slots);
	free(l);
	return -1;
}

void
http_linger_add(struct http_linger *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	uint64_t now = deadline_now_ms();
	size_t i;

	/* The reply is already in the kernel's send queue: end it with FIN now, so the
	 * client sees the whole reply however long we go on reading. */
	shutdown(fd, SHUT_WR);
	pthread_mutex_lock(&l->mu);
	for (i = 0; i < l->nslots && l->slots[i].fd >= 0; i++)
		;
	if (l->stopping || i == l->nslots) {
		pthread_mutex_unlock(&l->mu);
		close(fd);	/* full: the reset this was for is the lesser harm */
		return;
	}
	ev.data.u64 = i;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		pthread_mutex_unlock(&l->mu);
		close(fd);
		return;
	}
	l->slots[i] = (struct slot){ .fd = fd, .deadline_ms = now + l->total_ms,
				     .idle_until_ms = now + l->idle_ms };
	l->active++;
	l->total++;
	pthread_mutex_unlock(&l->mu);
	wake(l);	/* the thread's epoll timeout must take this deadline in */
}

size_t
http_linger_active(struct http_linger *l)
{
	size_t n;

	pthread_mutex_lock(&l->mu);
	n = l->active;
	pthread_mutex_unlock(&l->mu);
	return n;
}

unsigned long long
http_linger_total(struct http_linger *l)
{
	unsigned long long n;

	pthread_mutex_lock(&l->mu);
	n = l->total;
	pthread_mutex_unlock(&l->mu);
	return n;
}

void
http_linger_stop(struct http_linger *l)
{
	size_t i;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	pthread_mutex_unlock(&l->mu);
	wake(l);
	pthread_join(l->thread, NULL);
	for (i = 0; i < l->nslots; i++)
		if (l->slots[i].fd >= 0)
			slot_close(l, i);
	pthread_mutex_destroy(&l->mu);
	close(l->epfd);
	close(l->stopfd);
	free(l->slots);
	free(l);
}
