/*
 * supervise.h — run a whole instance in the foreground (the dev stack, make run).
 *
 * The supervisor starts both zones' lighttpd, portald, sanitized, officed and a
 * bridge tx/rx pair for each direction; restarts any that dies (with backoff, so a
 * daemon that cannot start does not spin); and on SIGINT/SIGTERM stops them all in
 * reverse order, SIGKILLing what has not exited after a grace period, so nothing is
 * left behind. Children are also told to die with their parent (PR_SET_PDEATHSIG)
 * in case the supervisor itself is killed.
 *
 * In production systemd is the supervisor; this is the same process set for one
 * machine without it.
 */
#ifndef SEKISHOCTL_SUPERVISE_H
#define SEKISHOCTL_SUPERVISE_H

#include "instance.h"

#define SUPERVISE_STOP_GRACE_MS 10000
#define SUPERVISE_BACKOFF_MIN_MS 250
#define SUPERVISE_BACKOFF_MAX_MS 10000
#define SUPERVISE_READY_MS 10000	/* start-up waits this long for a daemon's READY=1 */
#define SUPERVISE_STABLE_MS 30000	/* up this long: the next crash restarts at once */

/* One supervised process as it is started. */
struct supervise_spec {
	const char *name;	/* "portald", "lighttpd-internet", ... */
	const char *program;	/* "sekisho-portald", or "lighttpd" */
	const char *conf;	/* relative to the instance: "etc/portald.conf" */
};

/* The instance's processes in start order (stopped in reverse). NULL-terminated. */
extern const struct supervise_spec supervise_specs[];

/* Run until SIGINT or SIGTERM; returns 0 after a clean stop, -1 if nothing could be
 * started (reason in err). Prints the URLs of both zones once started. */
int supervise_run(const struct instance *in, const struct instance_options *opt,
		  char *err, size_t errlen);

#endif
