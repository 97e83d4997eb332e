/*
 * m_daemon.c - the daemon.* methods (doc/protocol.md): daemon.status,
 * daemon.stats and daemon.reload (the work is reload.c's).
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "cluster.h"
#include "conf.h"

#include "core/session.h"

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "methods.h"
#include "packets.h"
#include "polls.h"
#include "reload.h"
#include "sessions.h"
#include "views.h"
#include "v3cache.h"

int
m_daemon_status(struct mcall *c)
{
	struct daemon	*d = c->d;
	struct ctl_req	*r = c->r;
	json_t		*res;

	res = json_pack("{s:s,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "version", PACKAGE_VERSION,
	    "pid", (json_int_t)d->pid,
	    "uptime", daemon_uptime(d),
	    "sessions", (json_int_t)sessions_count(d->sessions),
	    "sessions_enabled", (json_int_t)sessions_enabled(d->sessions),
	    "requests_in_flight", (json_int_t)d->requests_in_flight,
	    "clients", (json_int_t)control_nclients(d->control),
	    "clients_dropped", (json_int_t)d->clients_dropped,
	    "walks", (json_int_t)d->walks_active);
	if (res != NULL && d->polls != NULL)
		view_polls_status(d->polls, res);
	if (res != NULL)
		cluster_status_json(d->cluster, res);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}


/* ------------------------------------------------------------- daemon.* */

int
m_daemon_reload(struct mcall *c)
{
	struct daemon		*d = c->d;
	struct ctl_req		*r = c->r;
	struct config_err	 err;
	json_t			*summary;

	if (reload_apply(d, &err, &summary) == -1) {
		ctl_req_error(r, CTL_ERR_CONFIG, "config refused; the running "
		    "config stays", json_pack("{s:s}", "detail", err.text));
		return CTL_DONE;
	}
	ctl_req_result(r, summary);
	return CTL_DONE;
}

/* Resident set size of this process in KiB, from /proc/self/statm. */
static long
rss_kib(void)
{
	FILE		*fp;
	unsigned long	 size, res;
	long		 page = sysconf(_SC_PAGESIZE);

	if ((fp = fopen("/proc/self/statm", "re")) == NULL)
		return -1;
	if (fscanf(fp, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return (long)(res * (unsigned long)(page > 0 ? page : 4096) / 1024);
}

int
m_daemon_stats(struct mcall *c)
{
	struct daemon		*d = c->d;
	struct ctl_req		*r = c->r;
	const struct sess_stats	*ms = sess_mgr_get_stats(d->mgr);
	json_t			*res, *eng;

	res = json_pack("{s:f,s:I,s:o,s:o,s:{s:I},s:{s:I,s:I,s:I}}",
	    "uptime", daemon_uptime(d),
	    "rss_kib", (json_int_t)rss_kib(),
	    "polls", view_polls_stats(d->polls),
	    "events", events_stats_json(d->events),
	    "engine", "unmatched_bad_packets", (json_int_t)ms->bad_packets,
	    "control", "clients", (json_int_t)control_nclients(d->control),
	    "clients_dropped", (json_int_t)d->clients_dropped,
	    "requests_in_flight", (json_int_t)d->requests_in_flight);
	/* The sessions' bad packets and traces (packets.c). */
	if (res != NULL && (eng = view_packets_stats(d->packets)) != NULL) {
		json_object_update(json_object_get(res, "engine"), eng);
		json_decref(eng);
	}
	/* What inline SNMPv3 targets keep between requests. */
	if (res != NULL && (eng = view_v3cache_stats(d->v3cache)) != NULL)
		json_object_set_new(res, "v3_cache", eng);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}
