/*
 * fuzz_ctl.c - libFuzzer target for the control socket's request path:
 * framing, JSON-RPC validation, the method table and every handler's
 * params (daemon/control.c, daemon/methods.c, daemon/m_*.c and what
 * they call).
 *
 * One daemon object is built as main.c builds it, from a small config in
 * a temporary directory: two sessions that point at the discard port of
 * 127.0.0.1 with 1 ms time-outs, a poll, a trap listener on a free port.
 * Each input is written to a fresh connection of the real control socket,
 * whose sending side is then shut down; the loop runs until the daemon
 * closes the connection (every reply written) or 100 ms pass, and the
 * client goes.  Afterwards no request may be left in flight and no client
 * connected, and sessions added at run time are removed and the config
 * reloaded, so inputs do not depend on each other much.
 *
 * Inline targets can name any host: here getaddrinfo() only resolves
 * numeric loopback addresses, so nothing leaves the machine and no name
 * is looked up.  Build with `make fuzz` (clang, libFuzzer); seeds come
 * from tests/fuzz/seeds.py.
 */
#include <config.h>

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon/conf.h"

#include "daemon/sess_event.h"
#include "core/session.h"

#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/engineid.h"
#include "daemon/events.h"
#include "daemon/log.h"
#include "daemon/methods.h"
#include "daemon/polls.h"
#include "daemon/reload.h"
#include "daemon/sessions.h"
#include "daemon/traps.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* -DFZ_DEBUG: print the replies (to check the seeds). */
#ifdef FZ_DEBUG
#define FZ_TRACE(...)	fprintf(stderr, __VA_ARGS__)
#else
#define FZ_TRACE(...)	do { } while (0)
#endif

static struct daemon	 fz_d;
static char		 fz_dir[64];
static char		 fz_conf[128];
static char		 fz_sock[128];

/*
 * Numeric loopback addresses only: the fuzzer's hosts never reach DNS or
 * the network.  Calls from this program bind here before libc.
 */
int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static int	(*real)(const char *, const char *,
			    const struct addrinfo *, struct addrinfo **);
	struct addrinfo	 h, *ai;
	int		 rc;

	if (real == NULL &&
	    (real = (int (*)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **))dlsym(RTLD_NEXT,
	    "getaddrinfo")) == NULL)
		abort();
	if (node == NULL)
		return real(node, service, hints, res);
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = real(node, service, &h, res)) != 0)
		return rc;
	for (ai = *res; ai != NULL; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET &&
		    (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr)
		    >> 24) == 127) || (ai->ai_family == AF_INET6 &&
		    IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr)))
			continue;
		freeaddrinfo(*res);
		*res = NULL;
		return EAI_NONAME;
	}
	return 0;
}

static void
fz_write_conf(void)
{
	FILE	*fp;
	int	 port;

	/* A port for the trap listener, free right now. */
	port = 20000 + (int)(getpid() % 20000);
	if ((fp = fopen(fz_conf, "w")) == NULL)
		abort();
	fprintf(fp, "{\n"
	    " \"state_dir\": \"%s\",\n"
	    " \"include\": [\"%s/conf.d/*.json\"],\n"
	    " \"defaults\": { \"timeout\": \"1ms\", \"retries\": 0 },\n"
	    " \"credentials\": { \"ops\": { \"user\": \"ops\",\n"
	    "   \"auth\": \"sha\", \"auth_key\": "
	    "\"0102030405060708090a0b0c0d0e0f1011121314\",\n"
	    "   \"priv\": \"aes\", \"priv_key\": "
	    "\"0102030405060708090a0b0c0d0e0f1011121314\" } },\n"
	    " \"polls\": { \"sys\": { \"get\": [\"1.3.6.1.2.1.1.3.0\"],\n"
	    "   \"interval\": \"1h\" } },\n"
	    " \"sessions\": {\n"
	    "   \"s1\": { \"host\": \"127.0.0.1\", \"port\": 9,"
	    " \"polls\": [\"sys\"] },\n"
	    "   \"s3\": { \"host\": \"127.0.0.1\", \"port\": 9,"
	    " \"version\": \"3\", \"credentials\": \"ops\" } },\n"
	    " \"traps\": { \"listen\": [\"udp:127.0.0.1:%d\"],\n"
	    "   \"communities\": [\"public\"], \"users\": [\"ops\"],\n"
	    "   \"journal\": { \"path\": \"traps.jsonl\","
	    " \"max_size\": \"1MiB\", \"keep\": 1 } }\n"
	    "}\n", fz_dir, fz_dir, port);
	fclose(fp);
}

static void
fz_cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_dir);
	(void)!system(cmd);
}

/* Free the temporary sessions main.c's daemon_defer_sess_free queued. */
static void
fz_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;
	size_t		 i;

	for (i = 0; i < d->nreap; i++)
		sess_free(d->reap[i]);
	d->nreap = 0;
}

static void
fz_attach_polls(struct daemon *d)
{
	char	 err[256];
	size_t	 i;

	for (i = 0; i < sessions_count(d->sessions); i++)
		if (polls_attach(d->polls, sessions_at(d->sessions, i), err,
		    sizeof(err)) == -1)
			abort();
}

static void
fz_init(void)
{
	struct daemon		*d = &fz_d;
	struct config_err	 err;
	char			 path[160];
	int			 terr;

	signal(SIGPIPE, SIG_IGN);
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/fuzz_ctl.%d", (int)getpid());
	snprintf(fz_conf, sizeof(fz_conf), "%s/snmpmgrd.json", fz_dir);
	snprintf(fz_sock, sizeof(fz_sock), "%s/ctl.sock", fz_dir);
	snprintf(path, sizeof(path), "%s/conf.d", fz_dir);
	if (mkdir(fz_dir, 0700) == -1 || mkdir(path, 0700) == -1)
		abort();
	atexit(fz_cleanup);
	fz_write_conf();
	/* Every log line is formatted, then dropped (no syslog here). */
	log_init(LOG_DEBUG, true);

	memset(d, 0, sizeof(*d));
	d->conf_path = fz_conf;
	if ((d->conf = config_load(fz_conf, &err)) == NULL) {
		fprintf(stderr, "fuzz_ctl: %s\n", err.text);
		abort();
	}
	d->sock_path = fz_sock;
	d->pid = getpid();
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	if ((d->base = event_base_new()) == NULL ||
	    (d->loop = sess_loop_new(d->base)) == NULL)
		abort();
	d->mgr = sess_loop_mgr(d->loop);
	if ((d->ev_reap = event_new(d->base, -1, 0, fz_reap_cb, d)) == NULL ||
	    (d->events = events_new(d)) == NULL)
		abort();
	engineid_start(d);
	methods_v3_init(d);
	if ((d->polls = polls_new(d)) == NULL)
		abort();
	polls_configure(d->polls, d->conf);
	if ((d->sessions = sessions_new(d, d->conf)) == NULL)
		abort();
	sessions_set_hooks(d->sessions, &(struct sessions_hooks){
	    polls_detach, polls_enable, d->polls });
	fz_attach_polls(d);
	d->traps = traps_new(d, d->conf, &terr);
	if ((d->control = control_new(d, fz_sock, 0600,
	    methods_dispatch)) == NULL)
		abort();
}

static void
fz_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
}

static double
fz_elapsed(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Undo what the input changed: run-time sessions, options, the config. */
static void
fz_restore(struct daemon *d)
{
	struct config_err	 err;
	struct dsess		*ds;
	json_t			*summary = NULL;
	bool			 unpersisted, changed = false;
	char			 name[SNMPMGR_MAX_NAME_LEN + 1];
	size_t			 i;

	for (i = sessions_count(d->sessions); i > 0; i--) {
		ds = sessions_at(d->sessions, i - 1);
		if (ds->modified || ds->runtime)
			changed = true;
		if (!ds->runtime)
			continue;
		snprintf(name, sizeof(name), "%s", ds->name);
		if (reload_remove_session(d, name, &unpersisted, &err) == -1)
			abort();
	}
	if (changed || sessions_count(d->sessions) != 2) {
		if (reload_apply(d, &err, &summary) == -1) {
			fprintf(stderr, "fuzz_ctl: reload: %s\n", err.text);
			abort();
		}
		json_decref(summary);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon		*d = &fz_d;
	struct sockaddr_un	 sun;
	struct timespec		 t0;
	struct timeval		 tick = { 0, 2000 };
	struct event		*ev;
	char			 buf[65536];
	size_t			 off = 0;
	ssize_t			 n;
	bool			 eof = false, shut = false;
	int			 c, i;

	if (d->base == NULL)
		fz_init();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fz_sock);
	if ((c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(c, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		abort();
	if ((ev = evtimer_new(d->base, fz_tick_cb, NULL)) == NULL)
		abort();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!eof && fz_elapsed(&t0) < 0.1) {
		if (off < size) {
			n = send(c, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				off = size;
		}
		if (off == size && !shut) {
			shutdown(c, SHUT_WR);
			shut = true;
		}
		evtimer_add(ev, &tick);
		event_base_loop(d->base, EVLOOP_ONCE);
		while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
			FZ_TRACE("%.*s", (int)n, buf);
		if (n == 0)
			eof = true;
	}
	close(c);
	/*
	 * Let the daemon see the close and free the connection (a stream
	 * on a half-closed connection: within a second).
	 */
	for (i = 0; i < 800 && control_nclients(d->control) > 0; i++) {
		evtimer_add(ev, &tick);
		event_base_loop(d->base, EVLOOP_ONCE);
	}
	event_free(ev);
	if (control_nclients(d->control) != 0 || d->requests_in_flight != 0) {
		fprintf(stderr, "fuzz_ctl: %zu clients, %llu requests left\n",
		    control_nclients(d->control),
		    (unsigned long long)d->requests_in_flight);
		abort();
	}
	fz_restore(d);
	return 0;
}
