/*
 * mail_sender.c — one thread, every tenant's outbox.
 */
#include "mail_sender.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deadline.h"
#include "log.h"

#define PRUNE_EVERY_S (24 * 3600)

struct mail_sender {
	struct mail_smtp_config smtp;
	struct db **dbs;
	const char *const *names;
	size_t n;
	unsigned interval_ms;
	long prune_after_s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started;
};

static void *
run(void *arg)
{
	struct mail_sender *s = arg;
	time_t last_prune = 0;
	struct timespec until;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		time_t now = time(NULL);
		bool prune = now - last_prune > PRUNE_EVERY_S;

		pthread_mutex_unlock(&s->mu);
		for (size_t i = 0; i < s->n; i++) {
			struct mail_outbox_stats st = { 0 };
			char err[256];

			if (mail_outbox_deliver(s->dbs[i], &s->smtp, now, MAIL_OUTBOX_BATCH_MAX, &st,
						err, sizeof err) < 0)
				log_err("mail of %s: %s", s->names[i], err);
			if (prune)
				mail_outbox_prune(s->dbs[i], now - s->prune_after_s);
		}
		if (prune)
			last_prune = now;
		pthread_mutex_lock(&s->mu);
		if (s->stop)
			break;
		deadline_after_ms(&until, (long)s->interval_ms);
		pthread_cond_timedwait(&s->cv, &s->mu, &until);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void
close_all(struct db **dbs, size_t n)
{
	for (size_t i = 0; dbs && i < n; i++)
		db_close(dbs[i]);
	free(dbs);
}

int
mail_sender_start(struct mail_sender **out, const struct mail_smtp_config *smtp,
		  struct db **dbs, const char *const *names, size_t n, unsigned interval_ms,
		  long prune_after_s, char *err, size_t errlen)
{
	struct mail_sender *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		close_all(dbs, n);
		snprintf(err, errlen, "mail sender: out of memory");
		return -1;
	}
	s->smtp = *smtp;
	s->names = names;
	s->interval_ms = interval_ms;
	s->prune_after_s = prune_after_s;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (smtp->url == NULL) {
		log_warn("no smtp_url configured: email is queued, not sent");
		close_all(dbs, n);
		*out = s;
		return 0;
	}
	s->dbs = dbs;
	s->n = n;
	if ((rc = pthread_create(&s->thread, NULL, run, s)) != 0) {
		snprintf(err, errlen, "mail sender: thread: %s", strerror(rc));
		mail_sender_stop(s);
		return -1;
	}
	s->started = true;
	*out = s;
	return 0;
}

void
mail_sender_stop(struct mail_sender *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	close_all(s->dbs, s->n);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
