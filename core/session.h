/*
 * session.h - the per-agent request engine.
 *
 * A sess_mgr holds every session, the table of outstanding requests (keyed
 * by request ID, unique and increasing across the manager, so many sessions
 * can share one UDP socket per address family) and their retransmit
 * deadlines.  It does not own an event loop or sockets: it is driven by
 * sess_mgr_input() ("a datagram arrived"), sess_mgr_timer() ("a deadline
 * passed") and the clock in struct sess_io, and it reaches the world only
 * through sess_io.  daemon/sess_event.c binds it to libevent; tests drive
 * it with a fake clock and fake send.
 */
#ifndef SNMPMGR_SESSION_H
#define SNMPMGR_SESSION_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "pdu.h"

struct sess_mgr;
struct sess;
struct sess_req;
struct usm_cred;

enum sess_transport {
	SESS_TRANSPORT_UDP	= 0,
	SESS_TRANSPORT_UDP6	= 1,
	SESS_TRANSPORT_DTLS	= 2,
	SESS_TRANSPORT_TCP	= 3,	/* RFC 3430, either family */
	SESS_TRANSPORT_TCP6	= 4,	/* RFC 3430, IPv6 only */
};

/* A transport on a stream (TCP): one connection per session. */
#define SESS_TRANSPORT_IS_STREAM(t) \
	((t) == SESS_TRANSPORT_TCP || (t) == SESS_TRANSPORT_TCP6)

/* SNMPv3 security levels (RFC 3411 5 SnmpSecurityLevel). */
enum sess_level {
	SESS_LEVEL_DEFAULT	= 0,	/* the highest the credential allows */
	SESS_LEVEL_NOAUTH	= 1,	/* noAuthNoPriv */
	SESS_LEVEL_AUTH		= 2,	/* authNoPriv */
	SESS_LEVEL_PRIV		= 3,	/* authPriv */
};

/*
 * The SNMPv3 options of SPEC.md section 2 (used when version is SNMP_V3).
 * Secrets are not here: they live in the credential, which keeps keys
 * only (passwords are hashed when it is made, usm.h).
 */
struct sess_v3opts {
	/*
	 * User name, protocols and keys.  A struct sess_opts that holds a
	 * credential owns one reference to it: sess_opts_release() drops it;
	 * copying the struct copies the pointer, not the reference.
	 * sess_new() and sess_set_opts() take references of their own, so
	 * the caller may release its own right after.  NULL: no user (only
	 * engine discovery works).
	 */
	struct usm_cred	*cred;
	enum sess_level	 level;
	/* The agent's engine, preset to skip discovery (RFC 3414 4). */
	uint8_t		 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 engine_id_len;		/* 0: discover it */
	uint32_t	 engine_boots;
	uint32_t	 engine_time;
	bool		 engine_time_set;	/* boots/time preset too */
	/* ScopedPDU context (RFC 3411 3.3); engine ID 0 octets = engine_id. */
	uint8_t		 context_engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 context_engine_id_len;
	char		 context_name[SNMPMGR_MAX_CONTEXT_LEN + 1];
	uint32_t	 msg_max_size;		/* default 65507 */
	bool		 single_step_discovery;	/* default false */
	/* Our engine ID for what the session sends as the authoritative
	 * engine (SNMPv3 traps); 0 octets: the daemon's.  The engine does
	 * not use it. */
	uint8_t		 local_engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 local_engine_id_len;
};

/* Every option of SPEC.md section 2 that the engine acts on. */
struct sess_opts {
	char		 host[256];
	uint16_t	 port;			/* default 161 */
	enum sess_transport transport;
	int32_t		 version;		/* SNMP_V1, SNMP_V2C, SNMP_V3 */
	char		 community[SNMPMGR_MAX_COMMUNITY_LEN + 1];

	uint32_t	 timeout_ms;		/* per try; default 5000 */
	uint32_t	 retries;		/* default 2 */
	uint32_t	 max_repetitions;	/* default 25 */
	uint32_t	 non_repeaters;		/* default 0 */
	uint32_t	 walk_limit;		/* 0 = none */
	bool		 walk_inside_range;	/* default true */

	bool		 check_message_origin;	/* default true */
	bool		 ignore_port_mismatch;	/* default false */
	bool		 check_version;		/* default true */
	bool		 ignore_duplicate_response; /* default true */

	char		 local_host[256];	/* "" = any */
	uint16_t	 local_port;		/* 0 = shared socket */
	bool		 force_local_port;
	bool		 share_local_port;
	bool		 use_connection;
	bool		 dont_fragment;
	bool		 broadcast;		/* host is a broadcast address
						 * (SO_BROADCAST): collect every
						 * answer until the timeout */
	int		 dscp;			/* -1 = OS default */
	int		 in_buffer_size;	/* 0 = OS default */
	int		 out_buffer_size;	/* 0 = OS default */
	uint32_t	 max_packet_size;	/* default 65535 */

	uint32_t	 resolve_interval_ms;	/* look a host name up again
						 * this often; default 300000,
						 * 0 = never (the binding's) */

	bool		 enabled;		/* default true */
	bool		 accept_data;		/* default true */

	struct sess_v3opts v3;
};

/* Fill o with the defaults of SPEC.md section 2. */
void	 sess_opts_default(struct sess_opts *o);
/* Drop the credential reference o holds (v3.cred), if any. */
void	 sess_opts_release(struct sess_opts *o);

/*
 * Shared option blocks (sess_opts.c): sess_opts_intern() gives a
 * reference to the immutable block holding o's options with its host
 * left out ("") -- the one block every caller with equal options gets --
 * or NULL with lasterr when memory runs out.  The block owns a reference
 * to the credential of its own.  sess_opts_hold() takes one more
 * reference, sess_opts_drop() gives one back (NULL is fine).
 * sess_opts_compose() fills out with a block's options and host (the
 * credential pointer copied, not referenced).  Not thread-safe: one
 * thread makes and drops blocks.
 */
const struct sess_opts *sess_opts_intern(const struct sess_opts *o);
const struct sess_opts *sess_opts_hold(const struct sess_opts *blk);
void	 sess_opts_drop(const struct sess_opts *blk);
void	 sess_opts_compose(struct sess_opts *out, const struct sess_opts *blk,
	    const char *host);
/* How many blocks exist (for tests). */
size_t	 sess_opts_blocks(void);

/*
 * SNMPv3 counters of a session.  rpt_*: Report PDUs the agent sent us, by
 * the usmStats counter they carry (RFC 3414 5); the rest: what we found
 * wrong in the agent's messages (each one dropped and passed to the
 * bad-packet hook), and discovery runs.
 */
struct sess_usm_stats {
	uint64_t	 rpt_unsupported_sec_levels;	/* 327 */
	uint64_t	 rpt_not_in_time_windows;	/* 325 */
	uint64_t	 rpt_unknown_user_names;	/* 326 */
	uint64_t	 rpt_unknown_engine_ids;	/* 324 */
	uint64_t	 rpt_wrong_digests;		/* 308 */
	uint64_t	 rpt_decryption_errors;		/* 313 */
	uint64_t	 rpt_other;			/* other report OIDs */
	uint64_t	 wrong_digests;		/* digest did not verify */
	uint64_t	 not_in_time_windows;	/* outside the window */
	uint64_t	 unknown_engine_ids;	/* not the agent's engine */
	uint64_t	 unknown_user_names;	/* not our user */
	uint64_t	 decryption_errors;	/* did not decrypt */
	uint64_t	 unauthenticated;	/* below the request's level */
	uint64_t	 discoveries;		/* successful discovery runs */
	uint64_t	 recoveries;		/* reboots, clock jumps */
};

struct sess_stats {
	uint64_t	 requests;	/* first transmissions */
	uint64_t	 retries;	/* retransmissions */
	uint64_t	 responses;	/* matched responses */
	uint64_t	 timeouts;	/* requests that ran out of retries */
	uint64_t	 bad_packets;	/* undecodable or rejected datagrams */
	uint64_t	 origin_mismatch; /* error 318 */
	uint64_t	 version_mismatch;
	uint64_t	 duplicates;	/* responses to requests already done */
	uint64_t	 send_errors;	/* sends the system failed, lost
					 * (full buffers) or refused (397) */
	uint32_t	 last_rtt_us;	/* of the last matched response */
	uint64_t	 dropped;	/* responses dropped while accept_data
					 * is off */
};

/*
 * How the engine reaches the world.  All callbacks get arg.
 *   now_us   monotonic clock, microseconds
 *   wake     ask for sess_mgr_timer() at when_us (monotonic); replaces any
 *            earlier ask; 0 means no deadline is pending.  A deadline
 *            later than the one asked for is not asked for: the timer
 *            may come before anything is due (sess_mgr_timer asks anew)
 *   attach   a session was created or its socket options changed: set up
 *            (or reuse) the socket it sends from.  0 or -1 with lasterr.
 *   detach   a session is going away: drop its socket if it had its own
 *   send     send one datagram for s to its agent.  0 or -1 (errno set)
 *   resolve  s's host is not a numeric address: 1 with the address in
 *            *ss and *sslen (its port is set by the engine) when it is
 *            known now; 0 when a lookup started, whose outcome comes back
 *            through sess_resolved(); -1 with lasterr.  family is
 *            AF_INET6 (udp6) or AF_UNSPEC (either, IPv4 preferred).
 *            NULL: only numeric hosts are accepted.
 *   unresolve  s is freed or its host changed: drop what the binding
 *            holds to look its name up (called whether or not a lookup
 *            is out); sess_resolved() must not be called for it after
 *   drop     a request of stream session s ran out of tries on the
 *            connection it was written on: close that connection (the
 *            agent may be gone without a word, and TCP would notice only
 *            after many minutes), so the next request connects anew.
 *            NULL: connections stay.
 */
struct sess_io {
	uint64_t	(*now_us)(void *arg);
	void		(*wake)(void *arg, uint64_t when_us);
	int		(*attach)(void *arg, struct sess *s);
	void		(*detach)(void *arg, struct sess *s);
	int		(*send)(void *arg, struct sess *s, const uint8_t *buf,
			    size_t len);
	int		(*resolve)(void *arg, struct sess *s, const char *host,
			    int family, struct sockaddr_storage *ss,
			    socklen_t *sslen);
	void		(*unresolve)(void *arg, struct sess *s);
	void		(*drop)(void *arg, struct sess *s);
	void		*arg;
};

struct sess_mgr	*sess_mgr_new(const struct sess_io *io);
/* Frees every session left (their requests end without callbacks). */
void		 sess_mgr_free(struct sess_mgr *m);

/*
 * A datagram arrived.  owner is the session whose own socket it came in on,
 * or NULL for a shared socket.  Responses are matched by request ID (v1,
 * v2c) or msgID (v3: any msgID the request was sent with) and checked
 * against the session's origin/version/duplicate options, and for v3 by
 * USM (engine ID, user, digest, time window, privacy); anything else is
 * counted as a bad packet (and reported through the bad-packet hook when
 * one is set).
 */
void		 sess_mgr_input(struct sess_mgr *m, struct sess *owner,
		    const struct sockaddr *from, socklen_t fromlen,
		    const uint8_t *buf, size_t len);
/* A deadline asked for with wake() has passed: retransmit or time out. */
void		 sess_mgr_timer(struct sess_mgr *m);

/*
 * Datagrams the engine could not give to a session.  error is the numbered
 * reason (317 defective, or an answer past a bound of the engine, whose
 * request then ends with 317 too; 318 origin, 305 version, 320 unknown
 * request ID;
 * for SNMPv3: 308 wrong digest, 313 decryption failed, 316 security model,
 * 321 not authenticated, 324 engine ID, 325 time window, 326 user name);
 * s is the session it was matched to, if any.
 */
typedef void	 sess_badpkt_cb(struct sess_mgr *m, struct sess *s, int error,
		    const char *detail, const struct sockaddr *from,
		    const uint8_t *buf, size_t len, void *arg);
void		 sess_mgr_set_badpkt_cb(struct sess_mgr *m, sess_badpkt_cb *cb,
		    void *arg);

/*
 * Packet traces (SPEC.md 4 on_packet_trace).  While hooks are set, the
 * engine asks wanted() once per session (again after each
 * sess_mgr_set_trace() call, which is how the owner says its answer may
 * have changed) and, for the sessions it said yes to, passes trace()
 * every datagram sent for the session and every datagram received and
 * matched to it, accepted or dropped.  With no hooks (NULL) a datagram
 * costs one pointer test.  All pointers are valid during the call only.
 */
struct sess_trace {
	bool			 out;	/* sent (true) or received */
	const struct sockaddr	*peer;	/* the agent, or the sender */
	socklen_t		 peerlen;
	const uint8_t		*buf;	/* the whole datagram */
	size_t			 len;
	/* Received and dropped: the numbered reason and its detail (as the
	 * bad-packet hook gets them); 0 when taken.  A datagram ignored
	 * without a bad packet (a duplicate, accept_data off) has error 0
	 * and a detail saying so. */
	int			 error;
	const char		*detail;
	/* Received and taken: the decoded message; for SNMPv3 its
	 * ScopedPDU decrypted when it was encrypted.  NULL otherwise. */
	const struct snmp_msg	*msg;
	/* Sent, SNMPv3: the PDU element in clear, before it was wrapped
	 * (and encrypted).  NULL otherwise. */
	const uint8_t		*pdu;
	size_t			 pdu_len;
};

struct sess_trace_hooks {
	bool	(*wanted)(struct sess *s, void *arg);	/* NULL: all */
	void	(*trace)(struct sess *s, const struct sess_trace *t,
		    void *arg);
	void	 *arg;
};
/* Set (h copied) or clear (NULL) the trace hooks. */
void		 sess_mgr_set_trace(struct sess_mgr *m,
		    const struct sess_trace_hooks *h);

/*
 * Create a session: copies opts, takes a numeric host at once and asks
 * io->resolve for a name, then calls io->attach once the address is
 * known.  A session whose name is being looked up takes requests: they
 * wait (their timeouts running) and are sent when sess_resolved() brings
 * the address, or fail with SNMPMGR_ERR_NOT_IP_ADDRESS and the lookup's
 * reason when it fails or is still unanswered when they time out.  NULL
 * with lasterr on failure (SNMPMGR_ERR_NOT_IP_ADDRESS for a host that is
 * no address and cannot be looked up, SNMPMGR_ERR_VERSION,
 * SNMPMGR_ERR_NOT_SUPPORTED for transports or versions this build lacks).
 */
struct sess	*sess_new(struct sess_mgr *m, const struct sess_opts *opts);
/* The same from an interned block (sess_opts_intern) and a host: the
 * session takes a reference of its own to blk.  What sess_new() does
 * without interning the options again (a config's 100,000 sessions). */
struct sess	*sess_new_blk(struct sess_mgr *m, const struct sess_opts *blk,
		    const char *host);
/* Ends the session's requests, each callback called with
 * SNMPMGR_ERR_INTERRUPTED, then frees it.  NULL is fine. */
void		 sess_free(struct sess *s);
/* Change options at run time (re-resolving and re-attaching as needed). */
int		 sess_set_opts(struct sess *s, const struct sess_opts *opts);
/*
 * The outcome of a lookup io->resolve started for s (also of a later one
 * the binding runs to follow a name whose address changes): error 0 with
 * the address (its port is set here), which requests waiting for it are
 * then sent to; or error SNMPMGR_ERR_NOT_IP_ADDRESS with why, which every
 * request of s waiting for the address ends with (the next request asks
 * io->resolve again).  A failed re-lookup of a session that has an
 * address keeps that address.  0, or -1 with lasterr when the socket for
 * the new address cannot be set up (the waiting requests end with that).
 */
int		 sess_resolved(struct sess *s, int error, const char *why,
		    const struct sockaddr *sa, socklen_t salen);
/*
 * The binding's connection of a stream session (TCP) closed: the agent
 * closed it or reset it, it could not be made, a send failed, or its
 * framing failed.  error 0 for a plain close; else the numbered reason
 * (118 message too long, 317 malformed), counted and reported as a bad
 * packet with detail and the octets buf/len that showed it.  On a stream
 * a request is written once per connection (RFC 3430 says a reliable
 * transport should not retransmit): when its try's timeout passes it is
 * sent again only if the connection it was written on is gone, so
 * requests in flight when a connection drops go out on the next one
 * (the binding connects anew on the next send) when their retry comes,
 * or end with their timeout.
 */
void		 sess_stream_lost(struct sess *s, int error, const char *detail,
		    const uint8_t *buf, size_t len);
/*
 * The binding's connection of s could not be made (why: the address and
 * the errno text, transport_connect_failed()): every retry would meet the
 * same refusal, so s's requests end now with 397, as a send the system
 * refuses does, counted in send_errors.  Call after sess_stream_lost().
 */
void		 sess_stream_refused(struct sess *s, const char *why);
/*
 * The binding could not carry s's requests (a DTLS handshake failed):
 * every request outstanding ends now with error, lasterr's detail set to
 * detail.  Requests the callbacks make meanwhile stay.  How many ended.
 */
size_t		 sess_fail_requests(struct sess *s, int error,
		    const char *detail);
/* Whether s waits for the address of its host name. */
bool		 sess_resolving(const struct sess *s);
/*
 * The session's options: its shared block, whose host is "" (the host
 * is sess_get_host's); sess_copy_opts() fills out with the whole of them,
 * host included, e.g. to change some and call sess_set_opts().
 */
const struct sess_opts	*sess_get_opts(const struct sess *s);
const char	*sess_get_host(const struct sess *s);
void		 sess_copy_opts(const struct sess *s, struct sess_opts *out);
/* What walks learnt of the agent: the max-repetitions their last
 * adaptive walk ended with (walk.c); 0 = nothing yet. */
uint32_t	 sess_walk_hint(const struct sess *s);
void		 sess_set_walk_hint(struct sess *s, uint32_t rep);
/*
 * The most max-repetitions an adaptive walk may grow to, set when a
 * GetBulk of more timed out and one of that many was answered in time
 * (walk.c); 0 = no bound.  sess_walk_ceil() is asked once per walk
 * start: the bound holds for SNMPMGR_WALK_CEIL_WALKS walks, after which
 * one is let grow again to see whether the agent got faster.
 */
uint32_t	 sess_walk_ceil(struct sess *s);
void		 sess_set_walk_ceil(struct sess *s, uint32_t rep);
/*
 * The most columns a table walk asks for in one request, set when a
 * request of more columns at one repetition each timed out and one of
 * that many was answered in time (walk.c); 0 = no bound.  Asked once per
 * table walk start, it holds for SNMPMGR_WALK_CEIL_WALKS table walks.
 */
uint32_t	 sess_walk_cols(struct sess *s);
void		 sess_set_walk_cols(struct sess *s, uint32_t cols);
/* What the session's walks learnt, as it stands (for session.show). */
struct sess_walk_info {
	uint32_t	 hint;		/* sess_walk_hint() */
	uint32_t	 ceil;		/* repetitions bound, 0 none */
	uint32_t	 ceil_walks;	/* walks it still holds for */
	uint32_t	 cols;		/* columns bound, 0 none */
	uint32_t	 cols_walks;	/* table walks it still holds for */
};
void		 sess_walk_info(const struct sess *s,
		    struct sess_walk_info *out);
const struct sess_stats	*sess_get_stats(const struct sess *s);
/* Its SNMPv3 counters (kept apart: only SNMPv3 sessions have them; all
 * zero for a session that never was one). */
const struct sess_usm_stats *sess_get_usm_stats(const struct sess *s);
/* The resolved agent address. */
const struct sockaddr	*sess_addr(const struct sess *s, socklen_t *len);
/*
 * Send one message that wants no answer (a trap) to s's agent on s's own
 * transport: its socket, its TCP connection or its DTLS association (made
 * first when there is none; the message waits for it).  0, or -1 with the
 * error set (no address yet, or the send failed).
 */
int		 sess_send_oneway(struct sess *s, const uint8_t *buf,
		    size_t len);
/* Opaque pointers for the loop binding (socket, name lookup) and the
 * owner (daemon). */
void		 sess_set_lookup(struct sess *s, void *lookup);
void		*sess_get_lookup(const struct sess *s);
void		 sess_set_sock(struct sess *s, void *sock);
void		*sess_get_sock(const struct sess *s);
void		 sess_set_udata(struct sess *s, void *udata);
void		*sess_get_udata(const struct sess *s);
struct sess_mgr	*sess_get_mgr(const struct sess *s);
/* Requests outstanding on this session. */
size_t		 sess_pending(const struct sess *s);

struct sess_result {
	int			 error;	/* 0 or a numbered error */
	const struct snmp_pdu	*pdu;	/* the response when error == 0;
					 * valid during the callback only */
	uint32_t		 rtt_us;
	/* How many times the request was sent (a stream holds one try
	 * without sending again): with error 201, the tries that went
	 * unanswered.  0 when it never left (or is not known). */
	uint32_t		 tries;
	/*
	 * A broadcast session's request (sess_opts.broadcast, SNMPv1 and
	 * v2c) is called back for each answer, with more set, from the
	 * address from; it ends at its deadline with error 0, pdu NULL
	 * and answers the count (201 when none came).  Once an answer
	 * came, nothing is sent again.
	 */
	bool			 more;
	const struct sockaddr	*from;
	socklen_t		 fromlen;
	uint32_t		 answers;
	/*
	 * With error 201: the request asked for it
	 * (sess_req_resend_on_timeout) and its own last try timed out,
	 * counted in stats.retries, not in timeouts.  The caller is to send
	 * its own retransmission, e.g. asking for less.
	 */
	bool			 resend;
};

typedef void	 sess_cb(struct sess_req *req, const struct sess_result *res,
		    void *arg);

/*
 * Send a request.  pdu gives type, varbinds and, for GetBulk, non-repeaters
 * and max-repetitions (in error_status/error_index); its request_id is
 * ignored (the engine assigns one).  The varbinds are encoded at once, so
 * the caller's arrays may go right after the call.  cb is called exactly
 * once (unless the request is cancelled), never from inside
 * sess_request(): with the response, or with an error (201 timeout after
 * retries, 398 when the session is freed, 317 when the answer holds more
 * varbinds than the engine takes, SNMPMGR_MAX_VARBINDS, with the count in
 * the detail; 397 when a retransmission is refused by the system).
 *
 * What is asked never exceeds what is taken: NULL with lasterr 302 when
 * the answer could hold more than SNMPMGR_MAX_VARBINDS varbinds (more
 * varbinds than that, or a GetBulk whose N + M * R of RFC 3416 4.2.3 is
 * more).  NULL with lasterr as well when the request cannot be sent at
 * all: 307 busy when SNMPMGR_MAX_SESSION_PENDING are outstanding, 118
 * longer than max_packet_size or, on SNMPv3, than the agent's msgMaxSize,
 * 109 disabled, 305 for GetBulk on v1, and 397 (118 for EMSGSIZE) with
 * the errno text when io->send fails for good (EACCES to a broadcast
 * address, ENETUNREACH, ...).  Each send that fails counts in
 * send_errors; one that may pass (ENOBUFS, EAGAIN) is a lost datagram
 * and the retries run.  On SNMPv3 the request may first wait for engine
 * discovery (sess_discover); its failure (201, 308, 326, 327, 328, 397
 * ...), the agent's reports (308, 313, 324-327) and a send refused after
 * the wait (118, 397) come to cb as the request's error.
 */
struct sess_req	*sess_request(struct sess *s, const struct snmp_pdu *pdu,
		    sess_cb *cb, void *arg);
/*
 * The same, with pdu's varbinds already encoded as vbl (snmp_vbl_encode
 * of pdu->vb and pdu->nvb, which still say how many there are): the
 * request is encoded around a copy of it.  NULL: as sess_request().
 * On v1 and v2c the answer's varbinds then come to cb raw (pdu->raw, as
 * snmp_msg_decode_expect leaves them: a name that is the one asked for
 * at its place is marked asked), unless the session's datagrams are
 * traced; on SNMPv3 decoded in pdu->vb as usual.
 */
struct sess_req	*sess_request_vbl(struct sess *s, const struct snmp_pdu *pdu,
		    const struct snmp_vbl *vbl, sess_cb *cb, void *arg);
/* Forget a request; its callback is not called. */
void		 sess_req_cancel(struct sess_req *req);
/*
 * End a request now, as interrupted: its callback is called from inside
 * this call with SNMPMGR_ERR_INTERRUPTED (lasterr 398 with why as its
 * detail).  A no-op inside the request's own callback.
 */
void		 sess_req_interrupt(struct sess_req *req, const char *why);
/*
 * End every operation in flight on s now (SPEC.md 3 "interrupt"): each
 * outstanding request (discovery probes too) ends through its callback
 * with 398 (lasterr 398, why as detail), then each watcher registered
 * with an intr callback (sess_watch_intr: a walk paused between
 * requests) is told.  Requests made by those callbacks are left alone.
 * Returns how many requests and watchers ended (probes not counted).
 * The callbacks must not free s.
 */
size_t		 sess_interrupt(struct sess *s, const char *why);
/*
 * Wait timeout_ms per try and retransmit at most retries times for this
 * request instead of the session's timeout and retries (a poll's own);
 * call right after sess_request().
 */
void		 sess_req_set_timing(struct sess_req *req, uint32_t timeout_ms,
		    uint32_t retries);
/*
 * The caller retransmits req itself, changed (a walk asks for fewer
 * repetitions): the engine sends it once, and when that try times out
 * the callback gets 201 with resend set; that timeout counts as a
 * retransmission, not as a timeout, and keeps a DTLS association.  A
 * timeout of the engine discovery it waited for, or of a name lookup,
 * ends it as usual.  Ignored on stream transports (no retransmission
 * there, RFC 3430).  Call right after sess_request() and after
 * sess_req_set_timing(), if any.
 */
void		 sess_req_resend_on_timeout(struct sess_req *req);
struct sess	*sess_req_sess(const struct sess_req *req);
/* The request ID the engine gave it (for traces). */
int32_t		 sess_req_id(const struct sess_req *req);

/*
 * Datagrams that matched no session (undecodable, unknown request ID on a
 * shared socket) are counted here, in bad_packets.
 */
const struct sess_stats	*sess_mgr_get_stats(const struct sess_mgr *m);

/*
 * Users of a session that outlive one request (a paused walk) register to
 * learn that the session is being freed.  gone is called once from
 * sess_free(), after the outstanding requests were interrupted; the
 * registration is dropped before the call.  sess_unwatch() drops it early
 * (harmless when it is gone already).  sess_watch: 0 or -1 (ENOMEM).
 */
typedef void	 sess_gone_cb(struct sess *s, void *arg);
int		 sess_watch(struct sess *s, sess_gone_cb *gone, void *arg);
void		 sess_unwatch(struct sess *s, sess_gone_cb *gone, void *arg);
/*
 * The same, and intr is called by sess_interrupt() (the registration
 * stays); it returns 1 when it ended an operation, else 0.  Watchers
 * registered while sess_interrupt() runs are not told by that run.
 */
typedef int	 sess_intr_cb(struct sess *s, void *arg);
int		 sess_watch_intr(struct sess *s, sess_gone_cb *gone,
		    sess_intr_cb *intr, void *arg);

/* ------------------------------------------------------------ SNMPv3 */

/*
 * Where engine discovery of a v3 session stands (RFC 3414 4): nothing
 * known, the engine ID probe or the boots/time probe in flight, or ready.
 */
enum sess_disc {
	SESS_DISC_NONE		= 0,
	SESS_DISC_ENGINE	= 1,
	SESS_DISC_TIME		= 2,
	SESS_DISC_DONE		= 3,
	/* TSM (DTLS): the RFC 5343 contextEngineID probe in flight. */
	SESS_DISC_CONTEXT	= 4,
};

struct sess_v3_info {
	enum sess_disc	 disc;
	enum sess_level	 level;		/* the level requests use */
	uint8_t		 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 engine_id_len;	/* 0: not known */
	bool		 time_known;
	uint32_t	 boots;		/* snmpEngineBoots */
	uint32_t	 time;		/* snmpEngineTime, estimated for now */
	int32_t		 agent_max_size; /* msgMaxSize of its last
					 * authenticated message (any, when
					 * the session does not authenticate);
					 * 0 = not known.  Larger requests
					 * are refused (118). */
	uint64_t	 discovered_us;	/* monotonic time of the last success,
					 * 0 = never */
	int		 last_error;	/* of the last discovery, 0 if none */
	bool		 fallback;	/* the last discovery took boots/time
					 * from the unauthenticated engine ID
					 * report: the authenticated probe
					 * drew no authenticated answer */
	char		 fallback_why[160]; /* why, when fallback */
};

/* The v3 state of s.  0, or -1 when s is not an SNMPv3 session. */
int		 sess_v3_info(const struct sess *s, struct sess_v3_info *info);
/* "none", "discovering engine ID", ... for sess_v3_info.disc. */
const char	*sess_disc_name(enum sess_disc d);
/* "noAuthNoPriv", "authNoPriv", "authPriv". */
const char	*sess_level_name(enum sess_level l);

/*
 * Run engine discovery on s now (again, when it was done already): the
 * engine ID probe, then the boots/time probe unless single_step_discovery
 * or noAuthNoPriv.  cb is called once, never from inside this call, with
 * res->error 0 (res->pdu NULL; read the outcome with sess_v3_info()) or
 * the error (201 no answer, 328 unusable answer, 326, 308, 327 ...).
 * Requests sent meanwhile wait for it.  The handle may be cancelled with
 * sess_req_cancel().  NULL with lasterr (305 not v3, 307, 109).
 */
struct sess_req	*sess_discover(struct sess *s, sess_cb *cb, void *arg);

/*
 * Hooks for the daemon's "report" and "discovery" events.  report: a
 * Report PDU answered a request or probe of s; error is its usmStats
 * counter's number (0 for other report OIDs), name that OID, value the
 * counter, authenticated whether the report carried a valid digest.
 * discovery: discovery of s ended with error (0: read sess_v3_info()).
 */
struct sess_v3_hooks {
	void	(*report)(struct sess *s, int error, const struct oid *name,
		    uint64_t value, bool authenticated, void *arg);
	void	(*discovery)(struct sess *s, int error, void *arg);
	void	 *arg;
};
void		 sess_mgr_set_v3_hooks(struct sess_mgr *m,
		    const struct sess_v3_hooks *h);

#endif /* SNMPMGR_SESSION_H */
