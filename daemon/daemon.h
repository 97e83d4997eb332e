/*
 * daemon.h - the one object that holds snmpmgrd's running state: the event
 * base, the loaded config, the session engine and its libevent binding, the
 * table of configured sessions and the control socket.  It is passed
 * explicitly to every daemon/ module; nothing in daemon/ is global except
 * the log settings.
 */
#ifndef SNMPMGRD_DAEMON_H
#define SNMPMGRD_DAEMON_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct event;
struct event_base;
struct config;
struct sess;
struct sess_loop;
struct sess_mgr;
struct sessions;
struct control;
struct events;
struct traps;
struct polls;
struct packets;
struct v3cache;
struct http;
struct cluster;

struct daemon {
	struct event_base *base;
	struct config	*conf;		/* owned */
	const char	*conf_path;	/* argv, not owned */
	bool		 sock_given;	/* by -s: the config's is not used */

	struct sess_loop *loop;		/* owned; the libevent binding */
	struct sess_mgr	*mgr;		/* owned by loop */
	struct resolver	*resolver;	/* owned; host names (resolve.h) */
	struct sessions	*sessions;	/* owned */
	struct control	*control;	/* owned */
	struct events	*events;	/* owned; the event bus (events.h) */
	struct traps	*traps;		/* owned; the trap receiver (traps.h),
					 * NULL without a "traps" section */
	struct polls	*polls;		/* owned; scheduled polls (polls.h) */
	struct packets	*packets;	/* owned; trace and bad-packet events
					 * of the sessions (packets.h) */
	struct v3cache	*v3cache;	/* owned; what inline SNMPv3 targets
					 * keep between requests (v3cache.h) */
	struct http	*http;		/* owned; the Prometheus endpoint
					 * (http.h), NULL without "http" */
	struct cluster	*cluster;	/* owned; cluster mode (cluster.h),
					 * NULL without a "cluster" section */

	/*
	 * Our own SNMP engine (RFC 3411): its ID, stable across restarts
	 * (configured, or made once and kept in the state directory), and
	 * engineBoots, kept there and raised at each start.  Used when we
	 * are authoritative (informs we receive) and in our v3 requests.
	 */
	uint8_t		 engine_id[32];
	size_t		 engine_id_len;
	uint32_t	 engine_boots;
	bool		 engine_unsaved;	/* for this run only */
	/* STATE_DIR/snmpmgrd.lock, held (flock) while we run; -1: none. */
	int		 lock_fd;

	struct event	*ev_sigterm;
	struct event	*ev_sigint;
	struct event	*ev_sighup;
	struct event	*ev_reap;	/* frees temporary sessions */
	struct event	*ev_drain;	/* graceful stop: waits for replies */
	double		 stop_at;	/* uptime when it began */

	/* Temporary sessions (inline targets) waiting to be freed outside
	 * the engine's callbacks. */
	struct sess	**reap;
	size_t		 nreap;
	size_t		 reapcap;

	struct timespec	 started;	/* CLOCK_MONOTONIC */
	pid_t		 pid;
	bool		 stopping;

	/* Counters for daemon.status. */
	uint64_t	 requests_in_flight;
	uint64_t	 clients_dropped;
	uint64_t	 walks_active;
};

/* Free s (a temporary session) from the event loop, not from inside one of
 * the engine's callbacks. */
void	 daemon_defer_sess_free(struct daemon *d, struct sess *s);
/* Seconds since start-up (monotonic). */
double	 daemon_uptime(const struct daemon *d);
/* Send one sd_notify(3) state line ("READY=1") if systemd asked. */
void	 daemon_notify(const char *state);

#endif /* SNMPMGRD_DAEMON_H */
