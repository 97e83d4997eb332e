/*
 * sess_int.h - what the two halves of the session engine share, and no
 * one else may use: the structs of sessions, requests and the manager,
 * and the functions each half offers the other.  session.c holds
 * sessions, requests, retransmission, input and the v1/v2c message
 * processing; sess_v3.c holds SNMPv3 (discovery, probes, reports,
 * recovery, msgID blocks).  The public API is session.h.
 */
#ifndef SNMPMGR_SESS_INT_H
#define SNMPMGR_SESS_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "pdu.h"
#include "reqtab.h"
#include "session.h"
#include "usm.h"

/* Recently answered request IDs, to tell duplicates from strangers. */
#define SESS_RECENT		1024
/* IDs (msgIDs) in the block of one v3 request; a power of two larger
 * than 1 + SNMPMGR_MAX_RETRIES + the one resend after a recovery. */
#define SESS_V3_IDS		32

/* SNMPv3 under the Transport Security Model (RFC 5591): over DTLS. */
#define SESS_IS_TSM(s)	((s)->opts->transport == SESS_TRANSPORT_DTLS)

/* What a v3 request is. */
enum sess_kind {
	SESS_REQ_PDU = 0,	/* a caller's request */
	SESS_REQ_PROBE,		/* a discovery probe of the engine */
	SESS_REQ_DISCOVER,	/* sess_discover(): waits, is never sent */
};

struct sess_req {
	/* In the manager's table: id (the key) and deadline (in_heap). */
	struct reqtab_ent	 ent;
	struct sess		*s;
	TAILQ_ENTRY(sess_req)	 entry;		/* on s->reqs */
	uint32_t		 tries_left;
	uint32_t		 tries;		/* transmissions so far */
	uint64_t		 sent_at;	/* last transmission */
	uint8_t			*buf;		/* the encoded message */
	size_t			 len;
	size_t			 asked_len;	/* v1/v2c: the VarBindList
						 * given (sess_request_vbl),
						 * the tail of buf; 0: none */
	sess_cb			*cb;
	void			*arg;
	int			 in_cb;
	bool			 doomed;	/* sess_interrupt() ends it */
	uint32_t		 answers;	/* broadcast: so far */

	uint64_t		 tmo_us;	/* 0: the session's timeout */
	bool			 resend;	/* its caller asks again when
						 * its last try times out
						 * (sess_req_resend_on_timeout) */
	uint32_t		 conn_gen;	/* stream: the connection it was
						 * last written on */

	/* SNMPv3 */
	bool			 is_v3;
	uint8_t			*pdu;		/* the encoded PDU element */
	size_t			 pdu_len;
	enum sess_kind		 kind;
	uint8_t			 level;		/* msgFlags auth/priv bits */
	bool			 reportable;
	bool			 waiting;	/* on v3->waitq, not in heap */
	bool			 unsent;	/* held: no address yet */
	bool			 recovered;	/* the resend after a recovery
						 * is spent */
	uint8_t			 ntx;		/* msgIDs used: id + 0..ntx-1 */
	enum sess_disc		 step;		/* probes: which one */
	uint64_t		 wgen;		/* discovery run it waits for */
	TAILQ_ENTRY(sess_req)	 wentry;	/* on v3->waitq */
};

/* The request a table entry belongs to, or NULL. */
static inline struct sess_req *
sess_req_of(struct reqtab_ent *e)
{
	return e == NULL ? NULL :
	    (struct sess_req *)((char *)e - offsetof(struct sess_req, ent));
}

/* The SNMPv3 side of a session. */
struct sess_v3 {
	struct usm_cred		*cred;		/* a reference, or NULL */
	struct usm_user		*user;		/* localized for engine_id */
	uint8_t			 level;		/* msgFlags auth/priv bits */
	uint8_t			 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t			 engine_id_len;	/* 0: unknown */
	struct usm_timeliness	 tl;
	enum sess_disc		 disc;
	struct sess_req		*probe;		/* in flight */
	bool			 reprobed;	/* step 1 redone in this run */
	uint64_t		 gen;		/* discovery runs started */
	TAILQ_HEAD(, sess_req)	 waitq;		/* held for discovery */
	int32_t			 agent_max_size;
	uint64_t		 discovered_us;
	int			 last_error;
	/* The engine ID report of this run: its boots/time, the fallback
	 * when the authenticated probe gets no authenticated answer. */
	bool			 rep_known;
	uint32_t		 rep_boots, rep_time;
	int64_t			 rep_at;	/* our seconds when it came */
	bool			 fallback;	/* this run fell back to it */
	bool			 fallback_next;	/* the engine ID probe was sent
						 * again for a report to fall
						 * back to */
	char			 fallback_why[160];
};

struct sess_watcher;
struct sess_vops;

/* An agent's address: IPv4 or IPv6 only, in 28 bytes, not the 128 of a
 * sockaddr_storage. */
union sess_sockaddr {
	struct sockaddr		 sa;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
};

/* A bound walks learnt (walk.c), for so many walks more: value holds
 * while walks > 1, each asking takes one (session.c, sess_walk_ceil). */
struct sess_walk_bound {
	uint32_t		 value;		/* 0 none */
	uint32_t		 walks;
};

/* Fields ordered without holes: 100,000 sessions are 100,000 of these. */
struct sess {
	struct sess_mgr		*m;
	TAILQ_ENTRY(sess)	 entry;
	const struct sess_opts	*opts;		/* shared block (sess_opts.c) */
	char			*host;		/* not in the block */
	union sess_sockaddr	 addr;
	socklen_t		 addrlen;
	struct sess_stats	 stats;
	struct sess_usm_stats	*usm;		/* since it first was v3 */
	const struct sess_vops	*vops;
	struct sess_v3		*v3;		/* SNMPv3 sessions only */
	void			*sock;
	void			*lookup;	/* the binding's, for names */
	void			*udata;
	TAILQ_HEAD(, sess_req)	 reqs;
	size_t			 npending;
	struct sess_watcher	*watchers;
	int			 dying;
	int			 attached;
	uint32_t		 walk_hint;	/* walk.c: max-repetitions
						 * that last worked, 0 none */
	struct sess_walk_bound	 walk_ceil;	/* walk.c: repetitions, and */
	struct sess_walk_bound	 walk_cols;	/* columns, answered in time
						 * after a timeout */
	uint32_t		 conn_gen;	/* stream: connections lost */
	bool			 resolving;	/* no address yet */
	bool			 lookup_out;	/* io.resolve answers later */
	bool			 tracing;	/* trace its datagrams */
	uint64_t		 intr_gen;	/* sess_interrupt() runs */
	uint64_t		 trace_gen;	/* of the cached answer:
						 * tracing */
};

struct sess_recent {
	int32_t			 id;
	struct sess		*s;
};

struct sess_mgr {
	struct sess_io		 io;
	TAILQ_HEAD(, sess)	 sessions;

	struct reqtab		 rt;		/* outstanding requests */

	int32_t			 next_id;
	uint64_t		 wake_at;	/* last deadline asked for */

	struct sess_recent	 recent[SESS_RECENT];
	size_t			 recent_pos;

	struct snmp_varbind	*vb;		/* decode scratch */
	struct snmp_vbraw	*raw;		/* the same, raw names */
	uint8_t			*ebuf;		/* encode scratch */
	struct sess_stats	 stats;		/* unmatched datagrams */

	sess_badpkt_cb		*badpkt;
	void			*badpkt_arg;

	/* Packet traces: hooks, and a generation for sessions' answers. */
	struct sess_trace_hooks	 trace;
	uint64_t		 trace_gen;

	/* SNMPv3: localized keys, scratch buffers, event hooks. */
	struct usm_cache	*cache;
	uint8_t			*sbuf;		/* plaintext ScopedPDU */
	uint8_t			*dbuf;		/* decrypted ScopedPDU */
	struct sess_v3_hooks	 v3hooks;
};

static inline uint64_t
sess_now(struct sess_mgr *m)
{
	return m->io.now_us(m->io.arg);
}

/* ------------------------------------------- session.c, for sess_v3.c */

/* Ask the loop for a timer at the earliest deadline, if it changed. */
void	 sess_mgr_rewake(struct sess_mgr *);
/* Are s's datagrams traced?  One pointer test when nobody traces. */
bool	 sess_tracing(struct sess *);
/* A datagram sent for s (pdu: the SNMPv3 PDU in clear, or NULL). */
void	 sess_trace_out(struct sess *, const uint8_t *, size_t,
	    const uint8_t *, size_t);
/* A datagram received for s: taken (msg), or dropped (error, detail). */
void	 sess_trace_in(struct sess *, const struct sockaddr *, socklen_t,
	    const uint8_t *, size_t, const struct snmp_msg *, int,
	    const char *);
void	 sess_recent_add(struct sess_mgr *, struct sess *, int32_t);
struct sess *sess_recent_find(const struct sess_mgr *, int32_t);
/* r's wait per try: its own (sess_req_set_timing) or its session's. */
uint64_t sess_req_timeout_us(const struct sess_req *);
/* One datagram of s to io->send: 0 when sent or lost on the way (counted
 * in send_errors), -1 with lasterr 397 or 118 and the errno text when
 * the system refuses it (counted too). */
int	 sess_send(struct sess *, const uint8_t *, size_t);
/* Send r (again).  0, or -1 with lasterr when it cannot be sent. */
int	 sess_transmit(struct sess_req *, uint64_t);
/* Take r out of the table, the heap and its session's list. */
void	 sess_req_unlink(struct sess_req *);
void	 sess_req_destroy(struct sess_req *);
/* End r with an error: unlink, call back (with sess_result.resend),
 * free. */
void	 sess_req_end(struct sess_req *, int, bool);
static inline void
sess_req_fail(struct sess_req *r, int error)
{
	sess_req_end(r, error, false);
}
/* sess_addr.c: the agent's address. */
int	 sess_lookup(struct sess_mgr *, struct sess *, const struct sess_opts *,
	    const char *,
	    struct sockaddr_storage *, socklen_t *);
void	 sess_lookup_forget(struct sess *);
void	 sess_flush_unsent(struct sess *);
int	 sess_relookup(struct sess *);
/* A datagram dropped: counted, traced, handed to the bad-packet hook. */
void	 sess_badpkt(struct sess_mgr *, struct sess *, int, const char *,
	    const struct sockaddr *, const uint8_t *, size_t);
/* A response that matches no outstanding request. */
void	 sess_unmatched(struct sess_mgr *, struct sess *, struct sess *,
	    const struct sockaddr *, socklen_t, const uint8_t *, size_t,
	    const char *);
/* The checks every response passes whatever its version; false: dropped. */
bool	 sess_input_accept(struct sess_mgr *, struct sess *, struct sess *,
	    const struct sockaddr *, socklen_t, const uint8_t *, size_t);
/* r is answered by pdu: unlink it, call back, free it. */
void	 sess_req_complete(struct sess_mgr *, struct sess *,
	    struct sess_req *, const struct snmp_pdu *, uint64_t);
/* r's answer went past a bound (what: which): a bad packet, and r ends
 * with 317 and the reason. */
void	 sess_req_past_bound(struct sess_mgr *, struct sess *,
	    struct sess_req *, const char *, const struct sockaddr *,
	    const uint8_t *, size_t);

/* ------------------------------------------- sess_v3.c, for session.c */

/* SPEC.md 2: the v3 options make sense together.  0 or -1. */
int	 sess_v3_check_opts(const struct sess_opts *);
/* sess_opts.c: options that go together; 0, or -1 with lasterr. */
int	 sess_check_opts(const struct sess_opts *);
/* Give s its SNMPv3 state.  0 or -1. */
int	 sess_v3_new(struct sess *);
/* After the session's requests are gone. */
void	 sess_v3_free(struct sess *);
/* The options changed (old were in force). */
void	 sess_v3_sync(struct sess *, const struct sess_opts *, bool);
/* Encode and send r with the next msgID of its block. */
int	 sess_v3_transmit(struct sess_req *, uint64_t);
struct sess_req *sess_v3_request(struct sess *, const struct snmp_pdu *,
	    const struct snmp_vbl *, sess_cb *, void *);
/* An SNMPv3 message, decoded as far as its envelope; past: why its
 * plaintext PDU went past the decoder's bound (its varbinds unread), or
 * NULL. */
void	 sess_v3_input(struct sess_mgr *, struct sess *,
	    const struct sockaddr *, socklen_t, const uint8_t *, size_t,
	    struct snmp_msg *, const char *);

#endif /* SNMPMGR_SESS_INT_H */
