/*
 * traps_int.h - what the trap receiver's two halves share: traps.c
 * (listeners, intake, set-up, reload, statistics) and traps_ack.c (the
 * queue of inform acknowledgements waiting for the journal, the hold on
 * TCP senders, retransmissions).  Not for other modules.
 */
#ifndef SNMPMGRD_TRAPS_INT_H
#define SNMPMGRD_TRAPS_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "conf.h"
#include "core/limits.h"
#include "log.h"

struct journal_range;
struct trap_dtls;
struct trap_tcp;
struct trapproc_out;
struct transport_txq;

/* Slots of the index of waiting acks by sender (a power of two). */
#define TRAPS_PEND_SLOTS	(2 * SNMPMGR_MAX_TRAP_ACKS)

struct traps_listener {
	struct traps		*t;
	struct config_trap_listen conf;		/* what it was opened as */
	char			 spec[300];
	char			 addr[INET6_ADDRSTRLEN + 8];
	int			 fd;
	struct event		*ev;
	struct event		*pace;		/* the paced read's timer */
	bool			 paced;		/* ev off, pace on */
	int			 rcvbuf;	/* as the kernel set it */
	uint64_t		 received;
	uint32_t		 drops;		/* as last asked (closed) */
	uint64_t		 reads;		/* wake-ups that read it */
	uint64_t		 paced_reads;	/* of them, from the timer */
	char			 error[200];	/* why it is not open */
	struct log_repeat	 rep;
	struct trap_dtls	*dtls;		/* a dtls: listener's */
	struct trap_tcp		*tcp;		/* a tcp: listener's */
};

/* An inform's Response waiting for its record to be durable. */
struct traps_ack {
	uint64_t		 seq;
	int			 fd;
	uint64_t		 assoc;		/* DTLS association or TCP
						 * connection, or 0 */
	int32_t			 reqid;		/* the inform's request-id */
	uint64_t		 vb_hash;	/* and varbinds' hash */
	socklen_t		 tolen;
	struct sockaddr_storage	 to;
	size_t			 off, len;	/* in the arena */
	size_t			 cap;		/* octets it has there */
	uint32_t		 sends;		/* transmissions to answer */
	int64_t			 queued;	/* monotonic s */
	bool			 need_cluster;	/* ack_after "cluster" */
	bool			 journaled, confirmed, done;
};

struct traps {
	struct daemon		*d;
	struct trapproc		*tp;
	struct journal		*j;
	struct traps_listener	*ls;
	size_t			 nls;
	bool			 auto_ack;
	bool			 ack_cluster;	/* ack_after "cluster" */
	uint64_t		 max_size;	/* of a journal file */
	uint32_t		 keep;
	uint32_t		 interval_ms;	/* as configured */
	uint64_t		 receive_buffer; /* as configured */

	/* recvmmsg set, shared by every listener (one loop, one thread). */
	struct mmsghdr		 mh[SNMPMGR_MAX_RECV_BATCH];
	struct iovec		 iov[SNMPMGR_MAX_RECV_BATCH];
	struct sockaddr_storage	 from[SNMPMGR_MAX_RECV_BATCH];
	uint8_t			*bufs;

	struct traps_ack	*acks;		/* by seq */
	size_t			 nacks;
	size_t			 ackcap;
	uint8_t			*arena;
	size_t			 arenalen;
	size_t			 arenacap;

	/* The UDP acks of one settling, sent with one sendmmsg; made at
	 * the first. */
	struct transport_txq	*txq;

	uint64_t		 acks_sent;
	uint64_t		 acks_dropped;	/* record failed */
	uint64_t		 acks_overflow;	/* queue full */
	uint64_t		 acks_again;	/* retransmissions folded */
	/* Waiting acks by sender and request-id (traps_pend_slot): the
	 * seq of the last one queued per slot, 0 for none; a slot another
	 * took over only means a retransmission is recorded again. */
	uint64_t		*pend;
	bool			 held;		/* TCP reads held */
	struct event		*hold_tick;	/* trims while held or
						 * waiting for JetStream */
	uint64_t		 holds;		/* times held */
	struct log_repeat	 rep_full;	/* informs refused */
	uint64_t		 send_errors;
	uint64_t		 reports_sent;
	struct log_repeat	 rep_send;
	/* The batch being read, for the DTLS listeners' messages. */
	char			 timestr[32];
	const struct config_traps_tls *tls;	/* of the config in use */
	const struct config_traps_tcp *tcp;	/* of the config in use */
};

/* traps_ack.c */
/* Monotonic seconds. */
int64_t		 traps_mono(void);
/* Send a reply (what: "acknowledgement", "report") and trace it. */
void		 traps_send(struct traps *t, int fd, const uint8_t *buf,
		    size_t len, const struct sockaddr *to, socklen_t tolen,
		    const char *listener, const char *what);
/* Whether one more acknowledgement can be queued (its memory made). */
bool		 traps_ack_room(struct traps *t);
/* The retransmission index slot of an inform from `to`. */
size_t		 traps_pend_slot(int fd, uint64_t assoc,
		    const struct sockaddr *to, int32_t reqid);
/* A retransmission of an inform still waiting, folded into it: true. */
bool		 traps_ack_again(struct traps *t, size_t slot, int fd,
		    uint64_t assoc, const struct sockaddr *to, socklen_t tolen,
		    const struct trapproc_out *out);
/* Queue the Response of inform out, journaled as seq.  0 or -1. */
int		 traps_ack_queue(struct traps *t, uint64_t seq, size_t slot,
		    int fd, uint64_t assoc, const struct sockaddr *to,
		    socklen_t tolen, const struct trapproc_out *out);
/* ack_after left "cluster" (a reload): nothing waits for JetStream. */
void		 traps_ack_uncluster(struct traps *t);
/* The journal's settle callback, JetStream's confirmations, the hold's
 * timer (arg: the struct traps). */
void		 traps_settled_cb(void *arg, uint64_t upto,
		    const struct journal_range *failed, size_t nfailed);
void		 traps_confirm_cb(void *arg, const uint64_t *tok, size_t n);
void		 traps_hold_tick_cb(evutil_socket_t fd, short ev, void *arg);

#endif /* SNMPMGRD_TRAPS_INT_H */
