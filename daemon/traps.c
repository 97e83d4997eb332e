/*
 * traps.c - the trap and inform receiver of traps.h on the event loop.
 *
 * Intake.  Each listener is a non-blocking UDP socket (core/transport.c)
 * with a large receive buffer, read with recvmmsg in batches of
 * SNMPMGR_MAX_RECV_BATCH.  Each datagram goes through
 * trapproc_input(); accepted records are appended to the journal, and
 * after the batch they are handed to the journal's writer thread, so the
 * loop never waits for the disk.  How many datagrams the kernel dropped
 * on that socket for want of buffer space (the listener's "drops") is
 * asked for when the statistics are (SO_MEMINFO), not carried with every
 * datagram as SO_RXQ_OVFL would: that control message costs the receive
 * path of each datagram.
 *
 * Acknowledgements (the queue of inform Responses waiting for the
 * journal, backpressure on TCP senders, retransmissions): traps_ack.c.
 *
 * Pacing.  While traps come in fast (a readiness event found at least
 * TRAPS_PACE_MIN datagrams), a listener stops watching its socket and
 * reads it again from a timer TRAPS_PACE_US later, so one wake-up takes
 * a full batch or several instead of a few datagrams each: at 100,000
 * traps a second that is a thousand wake-ups instead of thousands, the
 * receive buffer holding the datagrams meanwhile.  When a read finds
 * fewer, the listener watches its socket again: a lone trap is read at
 * once.
 *
 * Events are built only when someone subscribed: a trap or inform event
 * carries the journal record itself.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cluster.h"
#include "conf.h"

#include "core/errors.h"
#include "core/limits.h"
#include "core/transport.h"
#include "core/usm.h"

#include "daemon.h"
#include "events.h"
#include "journal.h"
#include "log.h"
#include "packets.h"
#include "render.h"
#include "trap_dtls.h"
#include "trap_rx.h"
#include "trap_tcp.h"
#include "traps.h"
#include "traps_int.h"

/* recvmmsg batches read per readiness event before the loop moves on. */
#define TRAPS_READ_ROUNDS	8
/* Pacing (above): datagrams one read must find to go on from a timer,
 * and that timer. */
#define TRAPS_PACE_MIN		32
#define TRAPS_PACE_US		500
/* Pending connections a TCP listener's socket holds. */
#define TRAPS_TCP_BACKLOG	128
/* Octets of a rejected datagram a bad-packet event shows. */
#define TRAPS_HEX_BYTES		64
#ifndef SO_MEMINFO
#define SO_MEMINFO		55
#endif
#define TRAPS_MEMINFO_VARS	9	/* SK_MEMINFO_VARS of Linux 4.10 */
#define TRAPS_MEMINFO_DROPS	8	/* SK_MEMINFO_DROPS */

/* ------------------------------------------------------------ events */

static void
traps_event_record(struct traps *t, bool inform, const char *rec,
    size_t len, uint64_t token)
{
	enum event_type	 type = inform ? EV_INFORM : EV_TRAP;
	json_t		*data;

	if (!events_wanted(t->d->events, type, NULL))
		return;
	if ((data = json_loadb(rec, len, 0, NULL)) == NULL)
		return;
	if (inform)
		json_object_set_new(data, "acknowledge", json_boolean(
		    t->auto_ack));
	/* The cluster's tap takes it with the record it publishes. */
	cluster_inform_token(t->d->cluster, token);
	events_publish(t->d->events, type, NULL, data);
	cluster_inform_token(t->d->cluster, 0);
}

static void
traps_event_bad(struct traps *t, const struct traps_listener *l,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len, const struct trapproc_out *out)
{
	char		 addr[TRANSPORT_HOSTSTRLEN];
	unsigned	 port;
	size_t		 n = len < TRAPS_HEX_BYTES ? len : TRAPS_HEX_BYTES;
	json_t		*data;

	if (!events_wanted(t->d->events, EV_BAD_PACKET, NULL))
		return;
	transport_addr_host(from, fromlen, false, addr, sizeof(addr),
	    &port);
	/* A rejected community is a guess at a secret, maybe a near miss
	 * of the real one: masked as in the sessions' events. */
	data = json_pack("{s:s,s:s?,s:i,s:s,s:s,s:i,s:s,s:I,s:o?}",
	    "origin", "traps",
	    "reason", trapproc_reason_name(out->reason),
	    "code", out->error,
	    "message", snmpmgr_strerror(out->error),
	    "detail", out->detail,
	    "port", (int)port,
	    "listener", l->spec,
	    "length", (json_int_t)len,
	    "hex", packets_hex(buf, n, true));
	if (data == NULL)
		return;
	json_object_set_new(data, "source", json_string(addr));
	events_publish(t->d->events, EV_BAD_PACKET, NULL, data);
}

static void
traps_event_discovery(struct traps *t, const struct traps_listener *l,
    const struct sockaddr *from, socklen_t fromlen)
{
	char		 addr[TRANSPORT_HOSTSTRLEN];
	unsigned	 port;
	json_t		*data;

	if (!events_wanted(t->d->events, EV_DISCOVERY_REQUEST, NULL))
		return;
	transport_addr_host(from, fromlen, false, addr, sizeof(addr),
	    &port);
	if ((data = json_pack("{s:s,s:s,s:i,s:s}", "origin", "traps",
	    "source", addr, "port", (int)port, "listener", l->spec)) != NULL)
		events_publish(t->d->events, EV_DISCOVERY_REQUEST, NULL,
		    data);
}

/* ------------------------------------------------------------ intake */

/* A trace of a datagram received, with what became of it. */
static void
traps_trace_in(struct traps *t, const struct traps_listener *l,
    const uint8_t *buf, size_t len, const struct sockaddr *from,
    socklen_t fromlen, const struct trapproc_out *out)
{
	const char	*reason = trapproc_reason_name(out->reason);
	char		 note[96];

	switch (out->verdict) {
	case TRAPPROC_ACCEPT:
		snprintf(note, sizeof(note), "accepted %s",
		    out->inform ? "inform" : "trap");
		break;
	case TRAPPROC_REPORT:
		snprintf(note, sizeof(note), "answered with a report%s%s",
		    out->discovery ? " (discovery)" : ": ",
		    out->discovery || reason == NULL ? "" : reason);
		break;
	default:
		snprintf(note, sizeof(note), "rejected: %s",
		    reason != NULL ? reason : "?");
		break;
	}
	packets_trace_datagram(t->d->packets, false, from, fromlen, buf, len,
	    l->spec, note);
}

/* A report back the way its message came: over DTLS association or TCP
 * connection conn of l, else as a datagram.  0 or -1 (not sent). */
static int
traps_report(struct traps *t, struct traps_listener *l, uint64_t conn,
    const struct trapproc_out *out, const struct sockaddr *to,
    socklen_t tolen)
{
	if (l->dtls != NULL)
		return trap_dtls_send(l->dtls, conn, out->reply, out->replylen,
		    to);
	if (conn != 0) {
		packets_trace_datagram(t->d->packets, true, to, tolen,
		    out->reply, out->replylen, l->spec, "report");
		return trap_tcp_send(l->tcp, conn, out->reply, out->replylen);
	}
	traps_send(t, l->fd, out->reply, out->replylen, to, tolen, l->spec,
	    "report");
	return 0;
}

/*
 * What becomes of a message of l (conn: its TCP connection or DTLS
 * association, 0 for a datagram) after the intake: journalled, its
 * acknowledgement queued, a report sent back, the events.
 */
static void
traps_verdict(struct traps *t, struct traps_listener *l,
    const struct trapproc_out *out, uint64_t conn, const uint8_t *buf,
    size_t len, const struct sockaddr *from, socklen_t fromlen)
{
	uint64_t	 seq, token;
	size_t		 slot;

	switch (out->verdict) {
	case TRAPPROC_ACCEPT:
		/* A retransmission of an inform still waiting: answered with
		 * the first, recorded once. */
		slot = 0;
		if (out->inform && out->reply != NULL) {
			slot = traps_pend_slot(l->fd, conn, from,
			    out->request_id);
			if (traps_ack_again(t, slot, l->fd, conn, from,
			    fromlen, out))
				break;
		}
		/* token: the inform whose acknowledgement waits for the
		 * cluster's PubAck too (traps.ack_after "cluster"). */
		token = 0;
		if (journal_append(t->j, out->rec, out->reclen, &seq) == 0 &&
		    out->reply != NULL && traps_ack_queue(t, seq, slot, l->fd,
		    conn, from, fromlen, out) == 0 && t->ack_cluster)
			token = seq;
		traps_event_record(t, out->inform, out->rec, out->reclen,
		    token);
		break;
	case TRAPPROC_REPORT:
		if (out->reply != NULL &&
		    traps_report(t, l, conn, out, from, fromlen) == 0)
			t->reports_sent++;
		if (out->discovery)
			traps_event_discovery(t, l, from, fromlen);
		else
			traps_event_bad(t, l, from, fromlen, buf, len, out);
		break;
	case TRAPPROC_REJECT:
		if (out->reason == TRAPPROC_ACK_QUEUE_FULL) {
			t->acks_overflow++;
			log_repeat(&t->rep_full, "traps: informs refused: "
			    "%zu acknowledgements wait for the journal (the "
			    "senders retransmit)", t->nacks);
		}
		traps_event_bad(t, l, from, fromlen, buf, len, out);
		break;
	}
}

/*
 * One message: a datagram (conn 0), or one framed out of TCP connection
 * conn of l, whose answers go back over that connection.
 */
static void
traps_one(struct traps *t, struct traps_listener *l, const uint8_t *buf,
    size_t len, const struct sockaddr *from, socklen_t fromlen,
    const char *timestr, int64_t now, uint64_t conn)
{
	struct trapproc_out	 out;

	trapproc_set_ack_room(t->tp, traps_ack_room(t));
	if (conn != 0)
		trapproc_input_stream(t->tp, "tcp", buf, len, from, timestr,
		    l->spec, now, &out);
	else
		trapproc_input(t->tp, buf, len, from, timestr, l->spec, now,
		    &out);
	if (packets_tracing(t->d->packets))
		traps_trace_in(t, l, buf, len, from, fromlen, &out);
	traps_verdict(t, l, &out, conn, buf, len, from, fromlen);
}

/*
 * One SNMP message out of a DTLS association: the same journal, events
 * and acknowledgement queue as a datagram, the Response going back over
 * the association.
 */
static void
traps_dtls_msg_cb(void *arg, const struct trap_dtls_peer *p,
    const uint8_t *msg, size_t len)
{
	struct traps_listener	*l = arg;
	struct traps		*t = l->t;
	struct trapproc_tls	 tls;
	struct trapproc_out	 out;

	tls.transport = "dtls";
	tls.tm_security_name = p->info->security_name;
	tls.fingerprint = p->info->sha256;
	tls.use_prefix = t->tls->use_prefix;
	trapproc_set_ack_room(t->tp, traps_ack_room(t));
	trapproc_input_tsm(t->tp, msg, len, p->from, &tls, t->timestr,
	    l->spec, &out);
	traps_verdict(t, l, &out, p->id, msg, len, p->from, p->fromlen);
}

/*
 * One SNMP message framed out of a TCP connection (RFC 3430): the same
 * intake, journal and events as a datagram; its answers go back over
 * the connection, an inform's once the journal settled its record.
 */
static void
traps_tcp_msg_cb(void *arg, const struct trap_tcp_peer *p,
    const uint8_t *msg, size_t len)
{
	struct traps_listener	*l = arg;
	struct traps		*t = l->t;
	struct timespec		 ts;
	char			 timestr[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	render_time_utc(&ts, timestr);
	l->received++;
	traps_one(t, l, msg, len, p->from, p->fromlen, timestr, traps_mono(),
	    p->id);
	journal_flush(t->j);
}

/* The kernel's count of datagrams socket fd dropped (SO_MEMINFO), or
 * last when it cannot tell. */
static uint32_t
traps_sock_drops(int fd, uint32_t last)
{
	uint32_t	 mem[TRAPS_MEMINFO_VARS + 8];
	socklen_t	 len = sizeof(mem);

	if (fd == -1 || getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem,
	    &len) == -1 || len < (TRAPS_MEMINFO_DROPS + 1) * sizeof(*mem))
		return last;
	return mem[TRAPS_MEMINFO_DROPS];
}

static void
traps_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct traps_listener	*l = arg;
	struct traps		*t = l->t;
	struct timespec		 ts;
	struct timeval		 tv = { 0, TRAPS_PACE_US };
	char			 timestr[32];
	int64_t			 now;
	int			 i, n, round, total = 0;

	(void)fd;
	l->reads++;
	if (ev & EV_TIMEOUT)
		l->paced_reads++;
	for (round = 0; round < TRAPS_READ_ROUNDS; round++) {
		for (i = 0; i < SNMPMGR_MAX_RECV_BATCH; i++) {
			t->mh[i].msg_hdr.msg_name = &t->from[i];
			t->mh[i].msg_hdr.msg_namelen = sizeof(t->from[i]);
			t->mh[i].msg_hdr.msg_iov = &t->iov[i];
			t->mh[i].msg_hdr.msg_iovlen = 1;
			t->mh[i].msg_hdr.msg_control = NULL;
			t->mh[i].msg_hdr.msg_controllen = 0;
			t->mh[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(l->fd, t->mh, SNMPMGR_MAX_RECV_BATCH,
		    MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_repeat(&l->rep, "traps: %s: recvmmsg: %s",
				    l->spec, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		total += n;
		clock_gettime(CLOCK_REALTIME, &ts);
		render_time_utc(&ts, timestr);
		now = traps_mono();
		memcpy(t->timestr, timestr, sizeof(t->timestr));
		for (i = 0; i < n; i++) {
			l->received++;
			if (t->mh[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;	/* over 64 KiB: not SNMP */
			if (l->dtls != NULL)
				trap_dtls_input(l->dtls, t->iov[i].iov_base,
				    t->mh[i].msg_len,
				    (struct sockaddr *)&t->from[i],
				    t->mh[i].msg_hdr.msg_namelen);
			else
				traps_one(t, l, t->iov[i].iov_base,
				    t->mh[i].msg_len,
				    (struct sockaddr *)&t->from[i],
				    t->mh[i].msg_hdr.msg_namelen, timestr,
				    now, 0);
		}
		/* One write for the whole batch, in the writer thread;
		 * acks follow when it is settled (traps_settled_cb). */
		journal_flush(t->j);
		if (n < SNMPMGR_MAX_RECV_BATCH)
			break;
	}
	/* Busy: read again from the timer; quiet: from readiness. */
	if (l->pace == NULL)
		return;
	if (total >= TRAPS_PACE_MIN) {
		/* Every round full: more is waiting, no pause. */
		if (total >= TRAPS_READ_ROUNDS * SNMPMGR_MAX_RECV_BATCH)
			tv.tv_usec = 0;
		if (!l->paced && event_del(l->ev) == 0)
			l->paced = true;
		if (l->paced && evtimer_add(l->pace, &tv) == 0)
			return;
	}
	if (l->paced && event_add(l->ev, NULL) == 0)
		l->paced = false;
}

/* ------------------------------------------------------------ set-up */

/* A tcp:/tcp6: listener: a listening socket its trap_tcp watches. */
static int
traps_listen_tcp(struct traps *t, struct traps_listener *l,
    struct transport_cfg *cfg)
{
	socklen_t	 vl = sizeof(l->rcvbuf);

	cfg->stream = true;
	cfg->listen_backlog = TRAPS_TCP_BACKLOG;
	if ((l->fd = transport_open(cfg)) == -1) {
		snprintf(l->error, sizeof(l->error), "error %d: %s",
		    snmpmgr_lasterr(), snmpmgr_lasterr_detail());
		return -1;
	}
	(void)getsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &l->rcvbuf, &vl);
	if ((l->tcp = trap_tcp_new(t->d, l->fd, l->spec, t->tcp,
	    traps_tcp_msg_cb, l)) == NULL) {
		snprintf(l->error, sizeof(l->error), "out of memory");
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	trap_tcp_hold(l->tcp, t->held);
	return 0;
}

static int
traps_listen(struct traps *t, struct traps_listener *l,
    const struct config_trap_listen *cl, uint64_t rcvbuf)
{
	struct transport_cfg	 cfg;
	int			 v;
	socklen_t		 vl = sizeof(v);

	l->conf = *cl;
	snprintf(l->spec, sizeof(l->spec), "%s", cl->spec);
	snprintf(l->addr, sizeof(l->addr), strchr(cl->host, ':') == NULL ?
	    "%s:%u" : "[%s]:%u", cl->host, (unsigned)cl->port);
	l->t = t;
	l->fd = -1;
	transport_cfg_default(&cfg, cl->transport == SESS_TRANSPORT_UDP6 ||
	    cl->transport == SESS_TRANSPORT_TCP6 ||
	    (cl->transport == SESS_TRANSPORT_DTLS &&
	    strchr(cl->host, ':') != NULL) ? AF_INET6 : AF_INET);
	cfg.local_host = cl->host;
	cfg.local_port = cl->port;
	cfg.force_local_port = true;
	if (SESS_TRANSPORT_IS_STREAM(cl->transport))
		return traps_listen_tcp(t, l, &cfg);
	cfg.rcvbuf = rcvbuf > (1U << 30) ? 1 << 30 : (int)rcvbuf;
	if ((l->fd = transport_open(&cfg)) == -1) {
		snprintf(l->error, sizeof(l->error), "error %d: %s",
		    snmpmgr_lasterr(), snmpmgr_lasterr_detail());
		return -1;
	}
	if (getsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0)
		l->rcvbuf = v;
	if (cl->transport == SESS_TRANSPORT_DTLS && (l->dtls = trap_dtls_new(
	    t->d, l->fd, l->spec, t->tls, traps_dtls_msg_cb, l)) == NULL) {
		snprintf(l->error, sizeof(l->error), "error %d: %s",
		    snmpmgr_lasterr(), snmpmgr_lasterr_detail());
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	if ((l->ev = event_new(t->d->base, l->fd, EV_READ | EV_PERSIST,
	    traps_read_cb, l)) == NULL || event_add(l->ev, NULL) == -1 ||
	    (l->pace = evtimer_new(t->d->base, traps_read_cb, l)) == NULL) {
		snprintf(l->error, sizeof(l->error), "cannot watch the socket");
		return -1;
	}
	return 0;
}

/*
 * One traps.users entry: its credentials, made and hashed by the config
 * loader, into trapproc users (two for "auto" key extension).  0, or -1
 * logged.
 */
static int
traps_add_user(struct trapproc *tp, const char *name,
    const struct config_trap_user *cu)
{
	const uint8_t		*engs[256];
	size_t			 i, n;

	if (cu->ncreds == 0) {
		log_warnx("traps: users: credentials \"%s\": error %d: %s",
		    name, cu->err, cu->err_detail);
		return -1;
	}
	n = cu->nengines < 256 ? cu->nengines : 256;
	for (i = 0; i < n; i++)
		engs[i] = cu->engines[i];
	for (i = 0; i < cu->ncreds; i++)
		if (trapproc_add_cred(tp, cu->creds[i], engs, cu->englens,
		    n) == -1) {
			log_warnx("traps: users: credentials \"%s\": error "
			    "%d: %s", name, snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail());
			return -1;
		}
	return 0;
}

/* The communities and users of ct into tp.  0, or -1 logged. */
static int
traps_access(struct trapproc *tp, const struct config_traps *ct)
{
	size_t	 i;

	for (i = 0; i < ct->ncommunities; i++)
		if (trapproc_add_community(tp, ct->communities[i]) == -1) {
			log_warnx("traps: out of memory");
			return -1;
		}
	for (i = 0; i < ct->nusers; i++)
		if (traps_add_user(tp, ct->users[i], &ct->user_info[i]) == -1)
			return -1;
	return 0;
}

/* The journal options of ct. */
static void
traps_journal_opts(const struct config_traps *ct, struct journal_opts *jo)
{
	memset(jo, 0, sizeof(*jo));
	jo->path = ct->journal_path;
	jo->max_size = ct->journal_max_size;
	jo->keep = ct->journal_keep;
	jo->interval_ms = ct->journal_interval_ms;
	if (journal_fsync_from_name(ct->journal_fsync, &jo->fsync) == -1)
		jo->fsync = JOURNAL_FSYNC_INTERVAL;
}

struct traps *
traps_new(struct daemon *d, const struct config *conf, int *err)
{
	const struct config_traps *ct = &conf->traps;
	struct journal_opts	 jo;
	struct traps		*t;
	size_t			 i, nopen = 0;

	*err = 0;
	if (!conf->have_traps)
		return NULL;
	*err = -1;
	usm_init();
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	t->d = d;
	t->auto_ack = ct->auto_ack;
	t->ack_cluster = ct->ack_after_cluster;
	cluster_set_confirm(d->cluster, traps_confirm_cb, t);
	t->max_size = ct->journal_max_size;
	t->keep = ct->journal_keep;
	t->interval_ms = ct->journal_interval_ms;
	t->receive_buffer = ct->receive_buffer;
	t->tls = &ct->tls;
	t->tcp = &ct->tcp;
	if (ct->tls.warning[0] != '\0')
		log_warnx("%s", ct->tls.warning);
	if ((t->hold_tick = evtimer_new(d->base, traps_hold_tick_cb,
	    t)) == NULL || (t->pend = calloc(TRAPS_PEND_SLOTS,
	    sizeof(*t->pend))) == NULL ||
	    (t->tp = trapproc_new(0, 0)) == NULL ||
	    (t->bufs = malloc((size_t)SNMPMGR_MAX_RECV_BATCH *
	    SNMPMGR_MAX_DGRAM)) == NULL)
		goto nomem;
	for (i = 0; i < SNMPMGR_MAX_RECV_BATCH; i++) {
		t->iov[i].iov_base = t->bufs + i * SNMPMGR_MAX_DGRAM;
		t->iov[i].iov_len = SNMPMGR_MAX_DGRAM;
	}
	trapproc_set_auto_ack(t->tp, ct->auto_ack);
	if (d->engine_id_len > 0)
		/* snmpEngineTime counts from start-up (engineid.h). */
		trapproc_set_engine(t->tp, d->engine_id, d->engine_id_len,
		    d->engine_boots, traps_mono() -
		    (int64_t)daemon_uptime(d));
	else
		log_warnx("traps: no local engine ID: SNMPv3 informs and "
		    "engine discovery are refused");
	if (traps_access(t->tp, ct) == -1)
		goto fail;

	traps_journal_opts(ct, &jo);
	if ((t->j = journal_new(d->base, &jo, traps_settled_cb, t)) == NULL) {
		log_warnx("traps: cannot open the journal %s",
		    ct->journal_path);
		goto fail;
	}

	if (ct->nlisten > 0 && (t->ls = calloc(ct->nlisten,
	    sizeof(*t->ls))) == NULL)
		goto nomem;
	for (i = 0; i < ct->nlisten; i++) {
		t->nls++;
		if (traps_listen(t, &t->ls[i], &ct->listen[i],
		    ct->receive_buffer) == -1) {
			log_warnx("traps: cannot listen on %s: %s",
			    t->ls[i].spec, t->ls[i].error);
			continue;
		}
		log_info("traps: listening on %s (receive buffer %d bytes)",
		    t->ls[i].spec, t->ls[i].rcvbuf);
		nopen++;
	}
	if (nopen == 0 && ct->nlisten > 0) {
		log_warnx("traps: no listener could be opened");
		goto fail;
	}
	log_info("traps: journal %s (fsync %s), %zu communities, %zu users",
	    ct->journal_path, ct->journal_fsync, ct->ncommunities,
	    ct->nusers);
	return t;
 nomem:
	log_warnx("traps: out of memory");
 fail:
	traps_free(t);
	return NULL;
}

void
traps_free(struct traps *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	cluster_set_confirm(t->d->cluster, NULL, NULL);
	for (i = 0; i < t->nls; i++) {
		if (t->ls[i].ev != NULL)
			event_free(t->ls[i].ev);
		if (t->ls[i].pace != NULL)
			event_free(t->ls[i].pace);
		trap_dtls_free(t->ls[i].dtls);
		trap_tcp_free(t->ls[i].tcp);
		if (t->ls[i].fd != -1)
			close(t->ls[i].fd);
	}
	free(t->ls);
	if (t->hold_tick != NULL)
		event_free(t->hold_tick);
	/* Acks still waiting for a sync are not sent: their senders
	 * retransmit to the next run, which has the records. */
	journal_free(t->j);
	trapproc_free(t->tp);
	free(t->bufs);
	free(t->acks);
	free(t->pend);
	free(t->arena);
	transport_txq_free(t->txq);
	free(t);
}

struct journal *
traps_journal(struct traps *t)
{
	return t != NULL ? t->j : NULL;
}

/* ------------------------------------------------------------ reload */

static void	traps_warn(json_t *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Log a reload problem and add it to the reload's warnings. */
static void
traps_warn(json_t *warnings, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("reload: %s", buf);
	if (warnings != NULL)
		json_array_append_new(warnings, json_string(buf));
}

/* DTLS listeners are opened anew (traps.tls may have changed). */
static bool
traps_same_listen(const struct config_trap_listen *a,
    const struct config_trap_listen *b)
{
	return a->transport == b->transport && a->port == b->port &&
	    a->transport != SESS_TRANSPORT_DTLS &&
	    strcmp(a->host, b->host) == 0;
}

/* Close a listener; acks queued for its socket will not be sent. */
static void
traps_close_listener(struct traps *t, struct traps_listener *l)
{
	size_t	 i;

	if (l->ev != NULL)
		event_free(l->ev);
	l->ev = NULL;
	if (l->pace != NULL)
		event_free(l->pace);
	l->pace = NULL;
	l->paced = false;
	trap_dtls_free(l->dtls);
	l->dtls = NULL;
	trap_tcp_free(l->tcp);
	l->tcp = NULL;
	if (l->fd == -1)
		return;
	for (i = 0; i < t->nacks; i++)
		if (t->acks[i].fd == l->fd)
			t->acks[i].fd = -1;
	l->drops = traps_sock_drops(l->fd, l->drops);
	close(l->fd);
	l->fd = -1;
}

/* A new receive buffer size on an open listener (forced when we may). */
static void
traps_set_rcvbuf(struct traps_listener *l, uint64_t bytes)
{
	int		 v = bytes > (1U << 30) ? 1 << 30 : (int)bytes;
	socklen_t	 vl = sizeof(v);

	if (v > 0 && setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v,
	    sizeof(v)) == -1 && setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &v,
	    sizeof(v)) == -1)
		log_warn("traps: %s: SO_RCVBUF", l->spec);
	if (getsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0)
		l->rcvbuf = v;
}

/*
 * The listeners of ct: a socket whose address stays is kept open (what
 * the kernel queued on it is read as usual), removed ones are closed,
 * then new ones are opened (after the closes, so one may take over a
 * port a removed one held).
 */
static void
traps_reload_listeners(struct traps *t, const struct config_traps *ct,
    json_t *warnings)
{
	struct traps_listener	*nls, *l;
	bool			*kept = NULL;
	size_t			 i, k, nopen = 0;

	if ((nls = calloc(ct->nlisten + 1, sizeof(*nls))) == NULL ||
	    (kept = calloc(t->nls + 1, sizeof(*kept))) == NULL) {
		free(nls);
		traps_warn(warnings, "traps: out of memory: the listeners stay "
		    "as they were");
		return;
	}
	for (i = 0; i < ct->nlisten; i++) {
		nls[i].fd = -1;
		for (k = 0; k < t->nls; k++)
			if (!kept[k] && t->ls[k].fd != -1 &&
			    (t->ls[k].ev != NULL || t->ls[k].tcp != NULL) &&
			    traps_same_listen(
			    &t->ls[k].conf, &ct->listen[i]))
				break;
		if (k == t->nls)
			continue;
		kept[k] = true;
		l = &nls[i];
		*l = t->ls[k];
		l->conf = ct->listen[i];
		snprintf(l->spec, sizeof(l->spec), "%s", ct->listen[i].spec);
		/* Its event's argument is the listener's new place. */
		if (l->tcp != NULL) {
			trap_tcp_reconfigure(l->tcp, &ct->tcp, l);
			continue;
		}
		event_del(l->ev);
		event_assign(l->ev, t->d->base, l->fd, EV_READ | EV_PERSIST,
		    traps_read_cb, l);
		if (l->pace != NULL) {
			event_del(l->pace);
			evtimer_assign(l->pace, t->d->base, traps_read_cb, l);
		}
		/* Watching again; a busy socket is paced again at once. */
		l->paced = false;
		event_add(l->ev, NULL);
		if (ct->receive_buffer != t->receive_buffer)
			traps_set_rcvbuf(l, ct->receive_buffer);
	}
	for (k = 0; k < t->nls; k++)
		if (!kept[k]) {
			if (t->ls[k].fd != -1)
				log_info("traps: no longer listening on %s",
				    t->ls[k].spec);
			traps_close_listener(t, &t->ls[k]);
		}
	free(kept);
	free(t->ls);
	t->ls = nls;
	t->nls = ct->nlisten;
	t->receive_buffer = ct->receive_buffer;
	for (i = 0; i < t->nls; i++) {
		if (t->ls[i].fd != -1) {
			nopen++;
			continue;
		}
		if (traps_listen(t, &t->ls[i], &ct->listen[i],
		    ct->receive_buffer) == -1) {
			traps_warn(warnings, "traps: cannot listen on %s: %s",
			    t->ls[i].spec, t->ls[i].error);
			continue;
		}
		log_info("traps: listening on %s (receive buffer %d bytes)",
		    t->ls[i].spec, t->ls[i].rcvbuf);
		nopen++;
	}
	if (nopen == 0 && t->nls > 0)
		traps_warn(warnings, "traps: no listener is open");
}

struct traps *
traps_reload(struct daemon *d, struct traps *t, const struct config *conf,
    json_t *warnings)
{
	const struct config_traps *ct = &conf->traps;
	struct journal_opts	 jo;
	struct trapproc		*scratch;
	int			 err;

	if (t == NULL) {
		if (!conf->have_traps)
			return NULL;
		if ((t = traps_new(d, conf, &err)) == NULL)
			traps_warn(warnings, "traps: the trap receiver could "
			    "not be started (the log says why)");
		return t;
	}
	if (!conf->have_traps) {
		log_info("traps: no \"traps\" section: the receiver stops");
		traps_free(t);
		return NULL;
	}

	/* Communities and users: made aside, swapped in as a whole. */
	if ((scratch = trapproc_new(1, 1)) == NULL ||
	    traps_access(scratch, ct) == -1)
		traps_warn(warnings, "traps: the communities and users stay as "
		    "they were (the log says why)");
	else
		trapproc_swap_access(t->tp, scratch);
	trapproc_free(scratch);
	t->auto_ack = ct->auto_ack;
	trapproc_set_auto_ack(t->tp, ct->auto_ack);
	if (t->ack_cluster && !ct->ack_after_cluster) {
		t->ack_cluster = false;
		traps_ack_uncluster(t);
	}
	t->ack_cluster = ct->ack_after_cluster;

	traps_journal_opts(ct, &jo);
	if (strcmp(jo.path, journal_path(t->j)) != 0 ||
	    jo.max_size != t->max_size || jo.keep != t->keep ||
	    jo.fsync != journal_policy(t->j) ||
	    jo.interval_ms != t->interval_ms) {
		if (journal_reconfigure(t->j, &jo) == -1)
			traps_warn(warnings, "traps: journal %s: %s; it stays "
			    "as it was", jo.path, strerror(errno));
		else {
			t->max_size = jo.max_size;
			t->keep = jo.keep;
			t->interval_ms = jo.interval_ms;
			log_info("traps: journal %s (fsync %s, max_size %llu, "
			    "keep %u)", jo.path, journal_fsync_name(jo.fsync),
			    (unsigned long long)jo.max_size, jo.keep);
		}
	}

	t->tls = &ct->tls;
	t->tcp = &ct->tcp;
	if (ct->tls.warning[0] != '\0')
		log_warnx("%s", ct->tls.warning);
	traps_reload_listeners(t, ct, warnings);
	log_info("traps: reloaded: %zu listeners, %zu communities, %zu users",
	    ct->nlisten, ct->ncommunities, ct->nusers);
	return t;
}

/* ------------------------------------------------------------ stats */

void
traps_info(const struct traps *t, struct traps_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	trapproc_get_stats(t->tp, &ti->proc);
	trapproc_get_tsm_stats(t->tp, &ti->tsm);
	journal_get_stats(t->j, &ti->journal);
	ti->j = t->j;
	ti->max_size = t->max_size;
	ti->keep = t->keep;
	ti->nls = t->nls;
	ti->auto_ack = t->auto_ack;
	ti->acks_sent = t->acks_sent;
	ti->acks_waiting = t->nacks;
	ti->acks_dropped = t->acks_dropped;
	ti->acks_overflow = t->acks_overflow;
	ti->acks_again = t->acks_again;
	ti->acks_held = t->held;
	ti->acks_holds = t->holds;
	ti->send_errors = t->send_errors;
	ti->reports_sent = t->reports_sent;
}

void
traps_listener_info(const struct traps *t, size_t i,
    struct traps_listener_info *li)
{
	const struct traps_listener *l = &t->ls[i];

	li->spec = l->spec;
	li->addr = l->addr;
	li->open = l->fd != -1;
	li->error = l->error;
	li->received = l->received;
	li->drops = l->tcp != NULL ? 0 : traps_sock_drops(l->fd, l->drops);
	li->reads = l->reads;
	li->paced_reads = l->paced_reads;
	li->rcvbuf = l->rcvbuf;
	li->dtls = l->dtls != NULL;
	if (l->dtls != NULL)
		trap_dtls_get_stats(l->dtls, &li->dtls_stats);
	else
		memset(&li->dtls_stats, 0, sizeof(li->dtls_stats));
	li->tcp = l->tcp != NULL;
	if (l->tcp != NULL)
		trap_tcp_get_stats(l->tcp, &li->tcp_stats);
	else
		memset(&li->tcp_stats, 0, sizeof(li->tcp_stats));
}
