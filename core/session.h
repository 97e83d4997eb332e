/*
 * session.h - the per-agent request engine.
 *
 * A sess_mgr holds every session, the table of outstanding requests (keyed
 * by request ID, unique and increasing across the manager, so many sessions
 * can share one UDP socket per address family) and their retransmit
 * deadlines.  It does not own an event loop or sockets: it is driven by
 * sess_mgr_input() ("a datagram arrived"), sess_mgr_timer() ("a deadline
 * passed") and the clock in struct sess_io, and it reaches the world only
 * through sess_io.  sess_event.c binds it to libevent; tests drive it with a
 * fake clock and fake send.
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

enum sess_transport {
	SESS_TRANSPORT_UDP	= 0,
	SESS_TRANSPORT_UDP6	= 1,
	SESS_TRANSPORT_DTLS	= 2,
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
	int		 dscp;			/* -1 = OS default */
	int		 in_buffer_size;	/* 0 = OS default */
	int		 out_buffer_size;	/* 0 = OS default */
	uint32_t	 max_packet_size;	/* default 65535 */

	bool		 enabled;		/* default true */
	bool		 accept_data;		/* default true */
};

/* Fill o with the defaults of SPEC.md section 2. */
void	 sess_opts_default(struct sess_opts *o);

struct sess_stats {
	uint64_t	 requests;	/* first transmissions */
	uint64_t	 retries;	/* retransmissions */
	uint64_t	 responses;	/* matched responses */
	uint64_t	 timeouts;	/* requests that ran out of retries */
	uint64_t	 bad_packets;	/* undecodable or rejected datagrams */
	uint64_t	 origin_mismatch; /* error 318 */
	uint64_t	 version_mismatch;
	uint64_t	 duplicates;	/* responses to requests already done */
	uint64_t	 send_errors;
	uint32_t	 last_rtt_us;	/* of the last matched response */
	uint64_t	 dropped;	/* responses dropped while accept_data
					 * is off */
};

/*
 * How the engine reaches the world.  All callbacks get arg.
 *   now_us   monotonic clock, microseconds
 *   wake     ask for sess_mgr_timer() at when_us (monotonic); replaces any
 *            earlier ask; 0 means no deadline is pending
 *   attach   a session was created or its socket options changed: set up
 *            (or reuse) the socket it sends from.  0 or -1 with lasterr.
 *   detach   a session is going away: drop its socket if it had its own
 *   send     send one datagram for s to its agent.  0 or -1 (errno set)
 */
struct sess_io {
	uint64_t	(*now_us)(void *arg);
	void		(*wake)(void *arg, uint64_t when_us);
	int		(*attach)(void *arg, struct sess *s);
	void		(*detach)(void *arg, struct sess *s);
	int		(*send)(void *arg, struct sess *s, const uint8_t *buf,
			    size_t len);
	void		*arg;
};

struct sess_mgr	*sess_mgr_new(const struct sess_io *io);
/* Frees every session left (their requests end without callbacks). */
void		 sess_mgr_free(struct sess_mgr *m);

/*
 * A datagram arrived.  owner is the session whose own socket it came in on,
 * or NULL for a shared socket.  Responses are matched by request ID and
 * checked against the session's origin/version/duplicate options; anything
 * else is counted as a bad packet (and reported through the bad-packet
 * hook when one is set).
 */
void		 sess_mgr_input(struct sess_mgr *m, struct sess *owner,
		    const struct sockaddr *from, socklen_t fromlen,
		    const uint8_t *buf, size_t len);
/* A deadline asked for with wake() has passed: retransmit or time out. */
void		 sess_mgr_timer(struct sess_mgr *m);

/*
 * Datagrams the engine could not give to a session.  error is the numbered
 * reason (317 defective, 318 origin, 305 version, 320 unknown request ID);
 * s is the session it was matched to, if any.
 */
typedef void	 sess_badpkt_cb(struct sess_mgr *m, struct sess *s, int error,
		    const char *detail, const struct sockaddr *from,
		    const uint8_t *buf, size_t len, void *arg);
void		 sess_mgr_set_badpkt_cb(struct sess_mgr *m, sess_badpkt_cb *cb,
		    void *arg);

/*
 * Create a session: copies opts, resolves host (numeric, else a blocking
 * getaddrinfo) and calls io->attach.  NULL with lasterr on failure
 * (SNMPMGR_ERR_NOT_IP_ADDRESS for a name that does not resolve,
 * SNMPMGR_ERR_VERSION, SNMPMGR_ERR_NOT_SUPPORTED for transports or
 * versions this build lacks).
 */
struct sess	*sess_new(struct sess_mgr *m, const struct sess_opts *opts);
/* Ends the session's requests, each callback called with
 * SNMPMGR_ERR_INTERRUPTED, then frees it.  NULL is fine. */
void		 sess_free(struct sess *s);
/* Change options at run time (re-resolving and re-attaching as needed). */
int		 sess_set_opts(struct sess *s, const struct sess_opts *opts);
const struct sess_opts	*sess_get_opts(const struct sess *s);
const struct sess_stats	*sess_get_stats(const struct sess *s);
/* The resolved agent address. */
const struct sockaddr	*sess_addr(const struct sess *s, socklen_t *len);
/* Opaque pointers for the loop binding (socket) and the owner (daemon). */
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
 * retries, 398 when the session is freed).  A failed send counts in
 * send_errors and is treated as a lost datagram (the retries still run).
 * NULL with lasterr when the request cannot be sent at all (307 busy when
 * SNMPMGR_MAX_SESSION_PENDING are outstanding, 118 too long, 109 disabled,
 * 305 for GetBulk on v1).
 */
struct sess_req	*sess_request(struct sess *s, const struct snmp_pdu *pdu,
		    sess_cb *cb, void *arg);
/* Forget a request; its callback is not called. */
void		 sess_req_cancel(struct sess_req *req);
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

#endif /* SNMPMGR_SESSION_H */
