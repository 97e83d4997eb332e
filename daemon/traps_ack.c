/*
 * traps_ack.c - the trap receiver's inform acknowledgements (traps.c is
 * the rest of traps.h; traps_int.h what they share).
 *
 * Acknowledgements.  An inform's Response is queued with the sequence
 * number of its journal record and sent when the journal says the record
 * is settled: written for fsync "none" and "interval", written and
 * covered by an fdatasync for "always" (one sync covers every inform
 * written before it: group commit).  If the write or the sync fails the
 * Response is dropped, so the sender retransmits: an acknowledged inform
 * is always in the journal.  The Responses one settling releases leave
 * together: one sendmmsg per UDP listener, one write per TCP connection.
 * Reports (discovery, time window) go out at once (over TCP at the end of
 * the read that asked for them); they record nothing.
 *
 * Room for acknowledgements.  At most SNMPMGR_MAX_TRAP_ACKS wait.  An
 * inform is recorded only when its Response has a place in the queue:
 * without one trap_rx.c refuses it before making a record
 * (ack_queue_full), since an inform recorded and never answered is sent
 * again by its sender (Net-SNMP retransmits the same request, request-id
 * and all, after its timeout) and would be recorded twice.  Over UDP and
 * DTLS that refusal is the answer: the sender's retransmission is taken
 * once the journal has caught up.  TCP connections are not allowed to get
 * there: from TRAPS_ACKS_HIGH waiting, every TCP listener holds its
 * connections (trap_tcp_hold(): nothing more is read from them, so TCP
 * flow control slows their senders) until the journal settles the queue
 * below TRAPS_ACKS_LOW, whichever connections' informs those were; a
 * timer gives up acknowledgements JetStream never confirmed meanwhile,
 * so the hold always ends.  The gap between the two bounds is what one
 * recv of a connection can still bring once the hold begins.
 *
 * Retransmissions.  A sender whose inform waits longer than its timeout
 * for the journal sends it again.  Waiting acks are indexed by sender
 * and request-id (`pend`, a table of slots a newer inform may take
 * over); a retransmission found there is not recorded again: its
 * Response replaces the first's in its place and goes out as many times
 * as the inform came (traps_ack_again).
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "core/limits.h"
#include "core/transport.h"

#include "daemon.h"
#include "journal.h"
#include "log.h"
#include "packets.h"
#include "trap_dtls.h"
#include "trap_rx.h"
#include "trap_tcp.h"
#include "traps.h"
#include "traps_int.h"

/* An acknowledgement waits this long (s) for JetStream, then goes. */
#define TRAPS_CLUSTER_WAIT	30
/* Acknowledgements waiting from which TCP connections are held, and
 * below which they are read again (above). */
#define TRAPS_ACKS_HIGH		(SNMPMGR_MAX_TRAP_ACKS - TRAP_TCP_READ_MSGS)
#define TRAPS_ACKS_LOW		(SNMPMGR_MAX_TRAP_ACKS / 2)
/* While held, or while acknowledgements wait for JetStream, how often (s)
 * those JetStream did not confirm in time are given up. */
#define TRAPS_HOLD_TICK		1
/* Transmissions of one inform answered at most (more folded into it
 * are answered by those). */
#define TRAPS_MAX_SENDS		1024

int64_t
traps_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* ------------------------------------------------------------ replies */

/* A reply to `to` failed with errno: counted, logged (rate-limited). */
static void
traps_send_failed(struct traps *t, const struct sockaddr *to,
    socklen_t tolen)
{
	char		 addr[TRANSPORT_HOSTSTRLEN];
	unsigned	 port;
	int		 e = errno;

	t->send_errors++;
	transport_addr_host(to, tolen, false, addr, sizeof(addr), &port);
	log_repeat(&t->rep_send, "traps: reply to %s port %u: %s", addr,
	    port, strerror(e));
}

/* Send a reply (what: "acknowledgement", "report") and trace it. */
void
traps_send(struct traps *t, int fd, const uint8_t *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen, const char *listener,
    const char *what)
{
	packets_trace_datagram(t->d->packets, true, to, tolen, buf, len,
	    listener, what);
	if (transport_send(fd, buf, len, to, tolen) == 0)
		return;
	traps_send_failed(t, to, tolen);
}

/*
 * Whether one more acknowledgement of up to SNMPMGR_MAX_DGRAM octets can
 * be queued: fewer than SNMPMGR_MAX_TRAP_ACKS wait and the memory for it
 * is there (made now), so traps_ack_queue() cannot fail after it.
 */
bool
traps_ack_room(struct traps *t)
{
	struct traps_ack	*na;
	uint8_t			*nb;
	size_t			 ncap;

	if (t->nacks >= SNMPMGR_MAX_TRAP_ACKS)
		return false;
	if (t->nacks == t->ackcap) {
		ncap = t->ackcap ? t->ackcap * 2 : 256;
		if ((na = reallocarray(t->acks, ncap, sizeof(*na))) == NULL)
			return false;
		t->acks = na;
		t->ackcap = ncap;
	}
	if (t->arenacap - t->arenalen < SNMPMGR_MAX_DGRAM) {
		ncap = t->arenacap ? t->arenacap : 65536;
		while (ncap - t->arenalen < SNMPMGR_MAX_DGRAM)
			ncap *= 2;
		if ((nb = realloc(t->arena, ncap)) == NULL)
			return false;
		t->arena = nb;
		t->arenacap = ncap;
	}
	return true;
}

static void	traps_hold_check(struct traps *);
static void	traps_tick_arm(struct traps *);

/* One 64-bit word into hash h (a multiply-xorshift mix). */
static uint64_t
traps_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ h >> 29;
}

/* The index slot of an inform from `to` (over DTLS association or TCP
 * connection assoc of listener socket fd) with request-id reqid: the
 * address and port, not the whole sockaddr (it is compared on a hit). */
size_t
traps_pend_slot(int fd, uint64_t assoc, const struct sockaddr *to,
    int32_t reqid)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	uint64_t			 h, w[2];

	h = traps_mix((uint64_t)(uint32_t)fd << 32 | (uint32_t)reqid, assoc);
	if (to->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)to;
		h = traps_mix(h, (uint64_t)s4->sin_addr.s_addr << 16 |
		    s4->sin_port);
	} else if (to->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)to;
		memcpy(w, &s6->sin6_addr, sizeof(w));
		h = traps_mix(traps_mix(h, w[0]), w[1] ^ s6->sin6_port);
	}
	return (size_t)h & (TRAPS_PEND_SLOTS - 1);
}

/* The waiting ack of record seq, or NULL. */
static struct traps_ack *
traps_ack_find(struct traps *t, uint64_t seq)
{
	size_t	 lo = 0, hi = t->nacks, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->acks[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nacks && t->acks[lo].seq == seq ? &t->acks[lo] : NULL;
}

/*
 * An inform its sender sent again (the same request-id and varbinds
 * from the same place) while the acknowledgement of the first still
 * waits for the journal: true, it is not recorded again but answered
 * with the first, every transmission with a Response (up to
 * TRAPS_MAX_SENDS), all made this one's (for SNMPv3 a retransmission
 * has a msgID of its own, the one the sender waits for now).  False
 * when there is none, when it waits for JetStream, or when the new
 * Response does not fit in its place.
 */
bool
traps_ack_again(struct traps *t, size_t slot, int fd, uint64_t assoc,
    const struct sockaddr *to, socklen_t tolen,
    const struct trapproc_out *out)
{
	struct traps_ack	*a;
	uint64_t		 seq = t->pend[slot];

	/* One waiting for JetStream may never be confirmed (spooled to
	 * disk): its retransmissions go their own way (ack_after). */
	if (seq == 0 || (a = traps_ack_find(t, seq)) == NULL || a->done ||
	    (a->need_cluster && !a->confirmed) || a->fd != fd ||
	    a->assoc != assoc || a->reqid != out->request_id ||
	    a->vb_hash != out->vb_hash || a->tolen != tolen ||
	    memcmp(&a->to, to, a->tolen) != 0 || out->replylen > a->cap)
		return false;
	memcpy(t->arena + a->off, out->reply, out->replylen);
	a->len = out->replylen;
	if (a->sends < TRAPS_MAX_SENDS)
		a->sends++;
	t->acks_again++;
	return true;
}

/* Queue an inform's Response; room was made by traps_ack_room().  0, or
 * -1 when there is none after all (counted; not expected). */
int
traps_ack_queue(struct traps *t, uint64_t seq, size_t slot, int fd,
    uint64_t assoc, const struct sockaddr *to, socklen_t tolen,
    const struct trapproc_out *out)
{
	const uint8_t		*buf = out->reply;
	size_t			 len = out->replylen;
	struct traps_ack	*a;

	if (len > SNMPMGR_MAX_DGRAM || !traps_ack_room(t)) {
		t->acks_overflow++;
		return -1;
	}
	a = &t->acks[t->nacks++];
	a->seq = seq;
	a->fd = fd;
	a->assoc = assoc;
	a->reqid = out->request_id;
	a->vb_hash = out->vb_hash;
	a->tolen = tolen <= sizeof(a->to) ? tolen : sizeof(a->to);
	memcpy(&a->to, to, a->tolen);
	a->off = t->arenalen;
	a->len = a->cap = len;
	a->sends = 1;
	a->queued = traps_mono();
	a->need_cluster = t->ack_cluster && t->d->cluster != NULL;
	a->journaled = a->confirmed = a->done = false;
	memcpy(t->arena + t->arenalen, buf, len);
	t->arenalen += len;
	t->pend[slot] = seq;
	if (t->nacks >= TRAPS_ACKS_HIGH)
		traps_hold_check(t);
	return 0;
}

/* Drop the first n queued acks (sent or abandoned). */
static void
traps_ack_shift(struct traps *t, size_t n)
{
	size_t	 i, base;

	if (n == 0)
		return;
	if (n >= t->nacks) {
		t->nacks = 0;
		t->arenalen = 0;
		return;
	}
	base = t->acks[n].off;
	memmove(t->arena, t->arena + base, t->arenalen - base);
	t->arenalen -= base;
	memmove(t->acks, t->acks + n, (t->nacks - n) * sizeof(*t->acks));
	t->nacks -= n;
	for (i = 0; i < t->nacks; i++)
		t->acks[i].off -= base;
}

/* An inform's Response over its DTLS association or TCP connection.
 * 0 or -1 (gone). */
static int
traps_conn_send(struct traps *t, const struct traps_ack *a)
{
	size_t	 i;

	for (i = 0; i < t->nls; i++) {
		if (t->ls[i].fd != a->fd)
			continue;
		if (t->ls[i].dtls != NULL)
			return trap_dtls_send(t->ls[i].dtls, a->assoc,
			    t->arena + a->off, a->len,
			    (const struct sockaddr *)&a->to);
		if (t->ls[i].tcp != NULL)
			return trap_tcp_send(t->ls[i].tcp, a->assoc,
			    t->arena + a->off, a->len);
	}
	return -1;
}

/* A UDP ack into the send queue, flushed by traps_ack_flush() when the
 * settling is done.  Without a queue (out of memory), sent at once. */
static void
traps_ack_queue_udp(struct traps *t, const struct traps_ack *a)
{
	const uint8_t	*buf = t->arena + a->off;
	const struct sockaddr *to = (const struct sockaddr *)&a->to;

	if (t->txq == NULL)
		t->txq = transport_txq_new();
	if (t->txq == NULL) {
		traps_send(t, a->fd, buf, a->len, to, a->tolen, NULL,
		    "acknowledgement");
		return;
	}
	packets_trace_datagram(t->d->packets, true, to, a->tolen, buf,
	    a->len, NULL, "acknowledgement");
	if (transport_txq_add(t->txq, a->fd, buf, a->len, to, a->tolen) ==
	    -1)
		traps_send_failed(t, to, a->tolen);
}

/* Send the acks queued: one sendmmsg per UDP listener, one write per
 * TCP connection. */
static void
traps_ack_flush(struct traps *t)
{
	size_t	 failed, i;

	for (i = 0; i < t->nls; i++)
		if (t->ls[i].tcp != NULL)
			trap_tcp_flush(t->ls[i].tcp);
	if (t->txq == NULL || (failed = transport_txq_flush(t->txq)) == 0)
		return;
	t->send_errors += failed;
	log_repeat(&t->rep_send, "traps: %zu acknowledgement%s not sent",
	    failed, failed == 1 ? "" : "s");
}

/* Send a's Response: its record is journaled (and stored by JetStream
 * when it had to be). */
static void
traps_ack_send(struct traps *t, struct traps_ack *a)
{
	uint32_t	 i;

	a->done = true;
	/* fd -1: its listener was closed by a reload. */
	if (a->fd == -1) {
		t->acks_dropped++;
		return;
	}
	/* Once for each transmission (traps_ack_again). */
	for (i = 0; i < a->sends; i++) {
		if (a->assoc != 0) {
			/* Over the association or connection it came on,
			 * if still open. */
			if (traps_conn_send(t, a) == -1) {
				t->acks_dropped++;
				return;
			}
		} else
			traps_ack_queue_udp(t, a);
		t->acks_sent++;
	}
}

/* Give up the acknowledgements JetStream did not confirm in time (the
 * senders retransmit), then drop the leading ones done with. */
static void
traps_ack_trim(struct traps *t)
{
	int64_t	 now = traps_mono();
	size_t	 i;

	for (i = 0; t->ack_cluster && i < t->nacks; i++)
		if (!t->acks[i].done && t->acks[i].need_cluster &&
		    now - t->acks[i].queued > TRAPS_CLUSTER_WAIT) {
			t->acks[i].done = true;
			t->acks_dropped++;
		}
	for (i = 0; i < t->nacks && t->acks[i].done; i++)
		;
	traps_ack_shift(t, i);
	if (t->nacks < TRAPS_ACKS_LOW)
		log_repeat_clear(&t->rep_full, "traps: informs recorded "
		    "again");
	traps_hold_check(t);
	traps_tick_arm(t);
}

/*
 * The tick trims while TCP senders are held, and while acknowledgements
 * wait for JetStream: after an outage those given up must go (and show
 * so in acks.waiting) even when no other inform comes.
 */
static void
traps_tick_arm(struct traps *t)
{
	struct timeval	 tv = { TRAPS_HOLD_TICK, 0 };
	bool		 want = t->held || (t->ack_cluster && t->nacks > 0);

	if (t->hold_tick == NULL)
		return;
	if (want && !evtimer_pending(t->hold_tick, NULL))
		evtimer_add(t->hold_tick, &tv);
	else if (!want)
		evtimer_del(t->hold_tick);
}

/* Hold or release the TCP listeners' connections as the queue says. */
static void
traps_hold_check(struct traps *t)
{
	size_t		 i;
	bool		 hold;

	if (!t->held && t->nacks >= TRAPS_ACKS_HIGH)
		hold = true;
	else if (t->held && t->nacks < TRAPS_ACKS_LOW)
		hold = false;
	else
		return;
	t->held = hold;
	if (hold) {
		t->holds++;
		log_debug("traps: %zu acknowledgements wait for the journal: "
		    "TCP senders held", t->nacks);
	} else
		log_debug("traps: %zu acknowledgements wait: TCP senders read "
		    "again", t->nacks);
	traps_tick_arm(t);
	for (i = 0; i < t->nls; i++)
		if (t->ls[i].tcp != NULL)
			trap_tcp_hold(t->ls[i].tcp, hold);
}

/*
 * ack_after went from "cluster" to "journal" (a reload): what waits only
 * for JetStream waits no more.  The journaled ones are answered now, the
 * others when the journal settles them; none would ever be given up
 * otherwise, and the queue would fill for good.
 */
void
traps_ack_uncluster(struct traps *t)
{
	struct traps_ack	*a;
	size_t			 i;

	for (i = 0; i < t->nacks; i++) {
		a = &t->acks[i];
		if (a->done || !a->need_cluster)
			continue;
		a->need_cluster = false;
		if (a->journaled)
			traps_ack_send(t, a);
	}
	traps_ack_flush(t);
	traps_ack_trim(t);
}

/* Acknowledgements JetStream never confirmed are given up even when
 * nothing else settles, so a hold ends and acks.waiting tells true. */
void
traps_hold_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	traps_ack_trim(arg);	/* which arms the next tick */
}

/*
 * The journal settled the records up to upto: acknowledge their informs,
 * except those whose records failed (their senders retransmit) and
 * those still waiting for JetStream (ack_after "cluster").
 */
void
traps_settled_cb(void *arg, uint64_t upto, const struct journal_range *failed,
    size_t nfailed)
{
	struct traps		*t = arg;
	struct traps_ack	*a;
	size_t			 i, k = 0;
	uint64_t		 seq;

	for (i = 0; i < t->nacks && (seq = t->acks[i].seq) <= upto; i++) {
		a = &t->acks[i];
		if (a->done || a->journaled)
			continue;
		while (k < nfailed && failed[k].to < seq)
			k++;
		if (k < nfailed && failed[k].from < seq) {
			a->done = true;
			t->acks_dropped++;
			continue;
		}
		a->journaled = true;
		if (!a->need_cluster || a->confirmed)
			traps_ack_send(t, a);
	}
	traps_ack_flush(t);
	traps_ack_trim(t);
}

/* JetStream stored these informs (tokens: their journal sequence
 * numbers): acknowledge those the journal settled too. */
void
traps_confirm_cb(void *arg, const uint64_t *tok, size_t n)
{
	struct traps		*t = arg;
	struct traps_ack	*a;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if ((a = traps_ack_find(t, tok[i])) == NULL || a->done)
			continue;
		a->confirmed = true;
		if (a->journaled)
			traps_ack_send(t, a);
	}
	traps_ack_flush(t);
	traps_ack_trim(t);
}
