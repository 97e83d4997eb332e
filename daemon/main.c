/*
 * main.c - snmpmgrd: options, start-up, signals, readiness and shutdown.
 *
 * snmpmgrd runs in the foreground on one libevent loop (SPEC.md 8): it
 * loads and validates the config, creates the configured sessions, opens
 * the control socket, tells systemd it is ready (sd_notify protocol over
 * $NOTIFY_SOCKET, spoken directly, no libsystemd), and serves until
 * SIGTERM or SIGINT.  Shutdown stops accepting, cancels what clients have
 * in flight, frees the sessions and removes the socket file.
 */
#include <config.h>		/* autoconf's: PACKAGE_VERSION */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"
#include "mib.h"

#include "core/errors.h"
#include "sess_event.h"
#include "core/session.h"

#include "control.h"
#include "daemon.h"
#include "dirs.h"
#include "engineid.h"
#include "cluster.h"
#include "events.h"
#include "log.h"
#include "methods.h"
#include "packets.h"
#include "polls.h"
#include "reload.h"
#include "http.h"
#include "resolve.h"
#include "op.h"
#include "sessions.h"
#include "traps.h"
#include "v3cache.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#define DEFAULT_CONFIG	SYSCONFDIR "/snmpmgrd/snmpmgrd.json"
#define DEFAULT_SOCKET	"/run/snmpmgrd/control.sock"
#define STATE_LOCK	"snmpmgrd.lock"		/* in state_dir */

static void
usage(void)
{
	fprintf(stderr, "usage: snmpmgrd [-dtV] [-c config] [-s socket]\n");
	exit(1);
}

/*
 * The event loop, on the precise monotonic clock: by default libevent
 * reads CLOCK_MONOTONIC_COARSE (4 ms ticks here), so a timer asked for
 * from our clock (sess_loop_timer_at) came up to a tick early by its
 * reckoning and cost a second wake-up to wait out the rest: one extra
 * epoll_wait per batch of polls.
 */
static struct event_base *
main_base_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* Send one sd_notify state line, if systemd asked for them. */
static void
main_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 len;
	size_t			 n;
	int			 s;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || path[0] == '\0')
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET: unusable address %s", path);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		return;
	}
	if (sendto(s, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_warn("NOTIFY_SOCKET: send %s", state);
	close(s);
}

void
daemon_notify(const char *state)
{
	main_notify(state);
}

double
daemon_uptime(const struct daemon *d)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - d->started.tv_sec) +
	    (now.tv_nsec - d->started.tv_nsec) / 1e9;
}

static void
daemon_reap(struct daemon *d)
{
	size_t	 i;

	for (i = 0; i < d->nreap; i++)
		sess_free(d->reap[i]);
	d->nreap = 0;
}

static void
daemon_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	daemon_reap(arg);
}

void
daemon_defer_sess_free(struct daemon *d, struct sess *s)
{
	struct sess	**nr;
	size_t		  ncap;

	/* An inline SNMPv3 target's engine serves the next request too. */
	v3cache_learn(d->v3cache, s);
	if (d->nreap == d->reapcap) {
		ncap = d->reapcap ? d->reapcap * 2 : 16;
		if ((nr = reallocarray(d->reap, ncap, sizeof(*nr))) == NULL) {
			/* Last resort; the engine allows it outside its
			 * own callbacks, and this is rare enough. */
			log_warnx("out of memory freeing a temporary session");
			sess_free(s);
			return;
		}
		d->reap = nr;
		d->reapcap = ncap;
	}
	d->reap[d->nreap++] = s;
	if (d->ev_reap != NULL)
		event_active(d->ev_reap, EV_TIMEOUT, 0);
}

/* Schedule the polls of every session. */
static void
main_attach_polls(struct daemon *d)
{
	struct dsess	*ds;
	size_t		 i, npolls = 0;
	char		 err[256];

	for (i = 0; i < sessions_count(d->sessions); i++) {
		ds = sessions_at(d->sessions, i);
		if (polls_attach(d->polls, ds, err, sizeof(err)) == -1)
			log_warnx("%s", err);
		npolls += ds->cs->npolls;
	}
	if (npolls > 0)
		log_info("%zu polls scheduled", npolls);
}

/* Longest wait for answers to requests in flight at a graceful stop. */
#define MAIN_DRAIN_SECS		5.0

/* Stop once every request in flight is answered and written, or late. */
static void
main_drain_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv = { 0, 20000 };

	if ((d->requests_in_flight == 0 && control_outq(d->control) == 0) ||
	    daemon_uptime(d) - d->stop_at > MAIN_DRAIN_SECS) {
		if (d->requests_in_flight > 0)
			log_warnx("stopping with %llu requests unanswered",
			    (unsigned long long)d->requests_in_flight);
		event_base_loopbreak(d->base);
		return;
	}
	evtimer_add(d->ev_drain, &tv);
}

/*
 * SIGTERM, SIGINT: stop polling (poll.run callers get what there is),
 * end event subscriptions, accept no more clients and remove the socket,
 * then give requests in flight up to MAIN_DRAIN_SECS to be answered.  A
 * second signal stops at once.
 */
static void
main_stop_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon	*d = arg;

	if (d->stopping) {
		event_base_loopbreak(d->base);
		return;
	}
	log_info("%s: stopping", strsignal((int)sig));
	d->stopping = true;
	d->stop_at = daemon_uptime(d);
	main_notify("STOPPING=1");
	polls_stop(d->polls);
	events_shutdown(d->events);
	control_shutdown(d->control);
	if (d->ev_drain == NULL)
		event_base_loopbreak(d->base);
	else
		main_drain_cb(-1, 0, d);
}

/* SIGHUP: reload the config (reload.c logs and publishes the outcome). */
static void
main_hup_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon		*d = arg;
	struct config_err	 err;
	json_t			*summary = NULL;

	if (d->stopping)
		return;
	log_info("%s: reloading %s", strsignal((int)sig), d->conf_path);
	if (reload_apply(d, &err, &summary) == 0)
		json_decref(summary);
}

/*
 * One snmpmgrd per state directory: two would both raise engineBoots,
 * append to one journal and rewrite each other's files.  An exclusive
 * flock(2) on STATE_DIR/snmpmgrd.lock, held until we exit (the kernel
 * drops it however we go, so a stale file means nothing), with our pid
 * written in it for the next one's message.  Held by another: we do not
 * start.  The file cannot be opened: a warning, as for the engine-id
 * file.
 */
static void
main_lock_state(struct daemon *d)
{
	const char	*dir = d->conf->state_dir;
	char		 path[PATH_MAX], buf[32];
	ssize_t		 n;
	long		 pid;
	int		 fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_LOCK) >=
	    (int)sizeof(path)) {
		log_warnx("%s: path too long: state_dir not locked", dir);
		return;
	}
	if (dirs_make(dir, 0750, 0750) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("%s: state_dir not locked", path);
		return;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			fatal("%s: cannot lock", path);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		if (sscanf(buf, "%ld", &pid) != 1 || pid <= 0)
			fatalx("state_dir %s is in use by another snmpmgrd "
			    "(%s is locked)", dir, path);
		fatalx("state_dir %s is in use by another snmpmgrd, pid %ld "
		    "(%s is locked)", dir, pid, path);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("%s: cannot write our pid", path);
	d->lock_fd = fd;
}

/*
 * The resolver of host names, from the "resolver" section (read at
 * start-up only): sessions never wait on a blocking lookup.
 */
static void
main_resolver(struct daemon *d)
{
	const struct config_resolver *rc = &d->conf->resolver;
	struct resolver_opts	 o;

	memset(&o, 0, sizeof(o));
	o.nameservers = (const char *const *)rc->nameservers;
	o.nnameservers = rc->nnameservers;
	o.resolv_conf = rc->resolv_conf;
	o.hosts = rc->hosts;
	o.timeout_ms = rc->timeout_ms;
	if ((d->resolver = resolver_new(d->base, &o)) == NULL)
		fatal("cannot set up the name resolver");
	sess_loop_set_resolver(d->loop, d->resolver);
}

/* A DTLS session's options: a configured session's, or an inline
 * target's. */
static int
main_dtls_opts(void *arg, struct sess *s, struct dtls_opts *o,
    uint32_t *idle_ms)
{
	if (sess_get_udata(s) != NULL)
		return sessions_dtls_opts(arg, s, o, idle_ms);
	return op_dtls_opts(arg, s, o, idle_ms);
}

/*
 * The "cluster" section: its event names are the bus's (checked here, as
 * the config module does not know the bus).  -t shows the node and the
 * config hash.
 */
static void
main_cluster_check(const struct config *c, bool check_only)
{
	const struct config_cluster *cl = &c->cluster;
	size_t	 i;

	if (!cl->have)
		return;
	for (i = 0; i < cl->npublish_events; i++)
		if (events_from_name(cl->publish_events[i]) == -1) {
			if (!check_only)
				fatalx("%s: cluster.publish.events: unknown "
				    "event type \"%s\"", c->path,
				    cl->publish_events[i]);
			fprintf(stderr, "%s: cluster.publish.events: unknown "
			    "event type \"%s\"\n", c->path,
			    cl->publish_events[i]);
			exit(1);
		}
	if (check_only) {
		printf("%s: cluster %s, node %s, config hash %.16s\n",
		    c->path, cl->name, cl->node, cl->hash);
		return;
	}
}

int
main(int argc, char *argv[])
{
	struct daemon		 daemon, *d = &daemon;
	struct config_err	 err;
	const char		*sock_path = NULL;
	bool			 check_only = false, debug = false;
	int			 terr;
	char			 herr[400];
	mode_t			 mode;
	int			 ch;
	size_t			 i;

	memset(d, 0, sizeof(*d));
	d->lock_fd = -1;
	d->conf_path = DEFAULT_CONFIG;
	while ((ch = getopt(argc, argv, "c:ds:tV")) != -1) {
		switch (ch) {
		case 'c':
			d->conf_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 's':
			sock_path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'V':
			printf("snmpmgrd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(debug ? LOG_DEBUG : LOG_INFO, false);
	memset(&err, 0, sizeof(err));
	if ((d->conf = config_load(d->conf_path, &err)) == NULL) {
		if (check_only) {
			fprintf(stderr, "%s\n", err.text);
			return 1;
		}
		fatalx("%s", err.text);
	}
	for (i = 0; i < d->conf->nwarnings; i++) {
		if (check_only)
			fprintf(stderr, "warning: %s\n", d->conf->warnings[i]);
		else
			log_warnx("%s", d->conf->warnings[i]);
	}
	main_cluster_check(d->conf, check_only);
	if (check_only) {
		if (d->conf->traps.tls.warning[0] != '\0')
			fprintf(stderr, "%s: warning: %s\n", d->conf_path,
			    d->conf->traps.tls.warning);
		printf("%s: configuration OK\n", d->conf_path);
		config_free(d->conf);
		return 0;
	}
	log_init(debug ? LOG_DEBUG : d->conf->log_level, d->conf->log_syslog);
	mib_set_current(d->conf->mib);

	d->sock_given = sock_path != NULL;
	if (sock_path == NULL)
		sock_path = d->conf->control_socket;
	if (sock_path == NULL || sock_path[0] == '\0')
		sock_path = DEFAULT_SOCKET;
	mode = d->conf->control_mode;

	signal(SIGPIPE, SIG_IGN);
	d->pid = getpid();
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	if (d->conf->cluster.have)
		cluster_init();		/* before the base: thread-safe */
	if ((d->base = main_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if ((d->loop = sess_loop_new(d->base)) == NULL)
		fatal("cannot start the session engine");
	d->mgr = sess_loop_mgr(d->loop);
	sess_loop_set_dtls(d->loop, &(struct sess_dtls_hooks){
	    main_dtls_opts, sessions_dtls_event, sessions_dtls_name, d });
	main_resolver(d);
	if ((d->ev_reap = event_new(d->base, -1, 0, daemon_reap_cb, d)) ==
	    NULL || (d->ev_drain = evtimer_new(d->base, main_drain_cb, d)) ==
	    NULL)
		fatalx("cannot create events");
	if ((d->events = events_new(d)) == NULL)
		fatalx("cannot create the event bus: out of memory");
	/* Before anything is written in state_dir. */
	main_lock_state(d);
	engineid_start(d);		/* our SNMP engine ID and boots */
	methods_v3_init(d);		/* "report" and "discovery" events */
	if ((d->v3cache = v3cache_new()) == NULL)
		fatalx("cannot create the SNMPv3 cache: out of memory");
	/* "trace" and "bad-packet" events of the sessions */
	if ((d->packets = packets_new(d)) == NULL)
		fatalx("cannot set up packet events: out of memory");
	if ((d->polls = polls_new(d)) == NULL)
		fatalx("cannot start the poll scheduler");
	polls_configure(d->polls, d->conf);
	if ((d->sessions = sessions_new(d, d->conf)) == NULL)
		fatalx("cannot create the session table: out of memory");
	sessions_set_hooks(d->sessions, &(struct sessions_hooks){
	    polls_detach, polls_enable, d->polls });
	/* Before the polls: another node's sessions start idle. */
	if (d->conf->cluster.have && (d->cluster = cluster_start(d)) == NULL)
		fatalx("cannot start cluster mode");
	main_attach_polls(d);
	/* Give back what parsing a large config left free (glibc). */
	malloc_trim(0);
	d->traps = traps_new(d, d->conf, &terr);
	if (d->traps == NULL && terr == -1)
		fatalx("cannot start the trap receiver");
	/* Before the control socket shows: a SIGTERM sent as soon as it
	 * exists must stop us cleanly, not kill us. */
	d->ev_sigterm = evsignal_new(d->base, SIGTERM, main_stop_cb, d);
	d->ev_sigint = evsignal_new(d->base, SIGINT, main_stop_cb, d);
	d->ev_sighup = evsignal_new(d->base, SIGHUP, main_hup_cb, d);
	if (d->ev_sigterm == NULL || d->ev_sigint == NULL ||
	    d->ev_sighup == NULL || evsignal_add(d->ev_sigterm, NULL) == -1 ||
	    evsignal_add(d->ev_sigint, NULL) == -1 ||
	    evsignal_add(d->ev_sighup, NULL) == -1)
		fatalx("cannot set up signal handling");
	if (d->conf->have_http && (d->http = http_new(d, &d->conf->http,
	    herr, sizeof(herr))) == NULL)
		fatalx("%s", herr);
	/*
	 * This run's boots are used from now on: on file before the socket
	 * shows (who sees it may read them) and the loop handles a message.
	 */
	engineid_commit(d);
	if ((d->control = control_new(d, sock_path, mode,
	    methods_dispatch)) == NULL)
		fatalx("cannot open the control socket %s", sock_path);

	log_info("snmpmgrd %s started (config %s, socket %s)",
	    PACKAGE_VERSION, d->conf_path, sock_path);
	main_notify("READY=1");

	if (event_base_dispatch(d->base) == -1)
		log_warnx("event loop failed");

	/* Subscribers hear why their stream ends; then clients go, and
	 * their walks and requests are cancelled. */
	packets_free(d->packets);
	d->packets = NULL;
	events_free(d->events);
	d->events = NULL;
	control_free(d->control);
	d->control = NULL;
	http_free(d->http);
	d->http = NULL;
	traps_free(d->traps);
	d->traps = NULL;
	daemon_reap(d);
	polls_stop(d->polls);
	cluster_free(d->cluster);
	d->cluster = NULL;
	sessions_free(d->sessions);
	d->sessions = NULL;
	polls_free(d->polls);
	d->polls = NULL;
	sess_loop_free(d->loop);
	resolver_free(d->resolver);
	v3cache_free(d->v3cache);
	d->v3cache = NULL;
	event_free(d->ev_sigterm);
	event_free(d->ev_sigint);
	event_free(d->ev_sighup);
	event_free(d->ev_reap);
	event_free(d->ev_drain);
	free(d->reap);
	mib_set_current(NULL);
	config_free(d->conf);
	event_base_free(d->base);
	if (d->lock_fd != -1)
		close(d->lock_fd);	/* the lock goes with it */
	log_info("stopped");
	return 0;
}
