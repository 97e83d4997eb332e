/*
 * cluster_int.h - what cluster.c keeps: the members it read and struct
 * cluster (with its queue of records, cluster_rec.h), shared by the loop
 * and the cluster thread under its mutex.  Private to daemon/cluster.c.
 */
#ifndef SNMPMGRD_CLUSTER_INT_H
#define SNMPMGRD_CLUSTER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "cluster.h"
#include "conf.h"
#include "cluster_spool.h"
#include "cluster_fwd.h"
#include "cluster_rec.h"
#include "cluster_wire.h"

#ifdef HAVE_NATS
#include <nats/nats.h>
#endif

#define CL_MAX_MEMBERS	256
#define CL_NODE_LEN	65

/* One lease as read from the bucket. */
struct member {
	char		 node[CL_NODE_LEN];
	char		 version[32];
	char		 hash[65];
	uint32_t	 load;		/* sessions it owns */
	int64_t		 since_ms;	/* its first lease, unix ms */
	int64_t		 put_ms;	/* when the lease was stored */
};

enum nats_state { NS_CONNECTING, NS_CONNECTED, NS_DISCONNECTED };

#define CL_QUEUE_MAX	(1U << 20)	/* records waiting, at most */
#define CL_BATCH	256	/* records written at once, at most */
#define CL_WINDOW	(4 * CL_BATCH)	/* records in flight, at most */
#define CL_WINDOW_BYTES	(1U << 20)	/* and their octets */
#define CL_LINGER_MS	50	/* a batch gathers on the loop this long */
#define CL_ACK_DEFER_MIN 8	/* records in flight, for ... */
#define CL_ACK_DEFER_MS	(2 * CL_LINGER_MS) /* ... their PubAcks read
				 * at the next hand-over, this long at most */
#define CL_RECONNECT_MS	500	/* the publishing connection's retries */
#define CL_SPARES	(2 * CL_BATCH)	/* records kept to be made again */

struct cluster {
	struct daemon	*d;
	char		 name[33];
	char		 node[CL_NODE_LEN];
	char		 hash[65];
	uint32_t	 hb_ms;
	bool		 pub_polls, pub_traps;
	uint32_t	 pub_events;	/* 1 << event type */
	struct event	*ev_view;
	struct event	*ev_expiry;	/* a lease ends or becomes eligible */
	struct cluster_fwd *fwd;	/* requests to and from other nodes */

	struct cl_nats	*nats;		/* the threads' (below) */
	pthread_t	 thr;		/* publishes (cl_pub_thread) */
	pthread_t	 lthr;		/* the lease (cl_lease_thread) */
	bool		 thr_started, lthr_started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* for the publishing thread */
	pthread_cond_t	 lcv;		/* for the lease thread */
	/* Under mu. */
	bool		 stop;
	bool		 ready;		/* connected, bucket and streams made */
	enum nats_state	 state;
	bool		 back;		/* NATS came back: the publishing
					 * thread goes now (cl_nats_back) */
	bool		 addr_news;	/* a server's name lookup ended: the
					 * lease thread, not connected, goes
					 * now (cluster_addr.c) */
	uint64_t	 addr_gen;	/* a server's address changed */
	uint64_t	 conn_gen;	/* addr_gen of the addresses the lease
					 * connection was given: libnats
					 * reconnects to those for ever, so
					 * when they are old and it lost the
					 * connection, it is made again */
	bool		 lib_down;	/* libnats lost that connection */
	char		 lasterr[256];
	struct member	*view;		/* the thread's latest reading */
	size_t		 nview;
	bool		 view_new;
	bool		 view_valid;	/* read from NATS (not a failure) */
	int64_t		 view_ms;
	bool		 read_now;	/* the loop wants a reading at once (a
					 * lease ended after the last one) */
	uint32_t	 load;		/* sessions owned, for the lease */
	int64_t		 since_ms;
	uint64_t	 leases_put;
	uint64_t	 lease_errors;
	/* Records waiting for NATS, oldest first (a ring), and counters. */
	struct pubm	**q;
	size_t		 qcap, qhead, qlen;
	uint64_t	 qbytes, qmax_bytes;
	uint64_t	 pub_queued, pub_acked, pub_errors, pub_dropped;
	uint64_t	 trap_seq;
	int64_t		 started_ms;	/* unix ms, part of trap ids */
	/* Records the thread is done with, for the loop to make again
	 * (cluster_rec.h); the loop takes them all at a hand-over. */
	struct pubm_spares spares;
	struct pubm	**batch;	/* the thread's, in flight (CL_WINDOW) */
	/* What the thread reads of each of them while it waits for its
	 * PubAck, at the same index: kept apart from the records, whose
	 * blocks have left the caches by the time their PubAcks come. */
	struct cl_slot {
		size_t		 len, cap; /* the record's */
		int64_t		 due_ms; /* its PubAck comes by then */
		bool		 failed; /* no good PubAck (yet) */
		bool		 inform; /* a token waits on it */
	}		*slot;
	size_t		 nbatch;
	size_t		 nflight;	/* of the queue's, in that window */
	uint64_t	 flight_bytes;
	/* The disk spool (cluster_spool.h), the thread's; its figures
	 * copied under mu.  Inform tokens JetStream confirmed, for the
	 * loop (traps.ack_after "cluster"). */
	struct cspool	*spool;
	struct cspool_stats sst;
	bool		 spool_failed;
	uint64_t	*conf_tok;
	size_t		 nconf_tok, conf_cap;
	uint64_t	 informs_confirmed;
	struct event	*ev_confirm;
	void		(*confirm_cb)(void *, const uint64_t *, size_t);
	void		*confirm_arg;
	uint64_t	 inform_token;	/* the loop's: for the next inform */

	/* The loop's. */
	struct member	*members;	/* last view taken */
	size_t		 nmembers;
	int64_t		 members_ms;
	bool		 ever_viewed;
	bool		 standalone;	/* never reached NATS: own all */
	bool		 view_ok;	/* the last reading succeeded */
	int64_t		 hold_until;	/* keep ownership until (unix ms) */
	char		(*names)[CL_NODE_LEN];	/* grow-only, for cl_owner */
	size_t		 nnames;
	uint32_t	 owned;
	/* What the last assignment was made from (cluster_assign): the
	 * live members by index into names, standalone, and the sessions'
	 * change count; assigned false: made from no exact record. */
	uint64_t	 assigned_live[CL_MAX_MEMBERS / 64];
	uint64_t	 assigned_changes;
	bool		 assigned;
	bool		 assigned_standalone;
	char		 node_json[6 * CL_NODE_LEN + 3];	/* "node", quoted */
	struct recbuf	 tapbuf;	/* an event's JSON, dumped */
	/* Records the tap made, gathering for CL_LINGER_MS on the loop
	 * before they go to the thread's queue at once. */
	struct pubm	**lq;
	size_t		 nlq, lqcap;
	struct event	*ev_hand;
	struct pubm_spares lspares;	/* the loop's, taken from spares */
};

/* Unix time in ms. */
int64_t		 cl_now_ms(void);
/* Under mu: add m at the tail (or the head, for a record sent back),
 * dropping the oldest (counted) beyond the bounds. */
void		 cl_q_put(struct cluster *cl, struct pubm *m, bool front);
void		 cl_q_drop_oldest(struct cluster *cl);
/* Under mu: wait on cv until ts (absolute, CLOCK_REALTIME), or less when
 * stopping or signalled; false when ts passed.  ts = now + ms. */
bool		 cl_wait(struct cluster *cl, pthread_cond_t *cv,
		    const struct timespec *ts);
void		 cl_deadline(struct timespec *ts, uint32_t ms);

#ifdef HAVE_NATS
#define CL_ADDR_RETRY_MS 5000	/* a name never looked up: again after */

/*
 * One configured server (cluster_addr.c): its URL split, and the address
 * its host name has, looked up on the loop (resolve.h) and handed to the
 * threads under mu; a host given as an address is its own.  The threads
 * never look a name up.
 */
struct cl_srv {
	struct cluster	*cl;
	char		 host[NW_HOST_LEN];	/* as in the URL */
	char		 port[8];
	bool		 tls;			/* tls:// */
	char		*userinfo;	/* "user:password@" or NULL: secret */
	bool		 numeric;
	/* Under mu. */
	char		 addr[NW_ADDR_LEN];	/* "": none yet */
	bool		 looked;		/* a first answer (or failure) */
	char		 err[NW_HOST_LEN + 64];	/* the last lookup's failure */
	/* The loop's. */
	struct resolve_req *q;
	struct event	*again;
};

/* What the thread keeps of the config (a reload does not change it). */
struct cl_nats {
	struct cl_srv	*srv;
	int		 nsrv;
	uint32_t	 resolve_ms;	/* names looked up again after */
	int		 lnext;		/* the lease's next first server */
	uint64_t	 take_gen;	/* addr_gen of the servers it takes */
	char		*user, *password, *creds, *ca, *cert, *key;
	natsConnection	*nc;		/* the loop's: lease, KV, requests */
	jsCtx		*js;
	kvStore		*kv;
	/* The publishing thread's own connection (cluster_wire.h), its
	 * next try and the last error it logged; PubAcks come to
	 * ackpre.<gen>-<index> on it. */
	struct nwire	*w;
	int		 wnext;		/* the server to try first */
	int64_t		 wretry_ms;
	char		 werr[256];
	struct nw_buf	 out;		/* a batch, written at once */
	char		 ackpre[128];
	uint64_t	 gen;		/* windows and replay batches */
	char		 bucket[64];
	uint32_t	 replicas;
	struct config_stream_limits polls, traps, events;
	int64_t		 dup_ms;	/* the streams' duplicate window */
	char		*spool_path;
	uint64_t	 spool_max;
	bool		 logged_down;
	/* The connection's closed callback came: no more callbacks of it
	 * (libnats runs them in order on its own thread). */
	pthread_mutex_t	 cmu;
	pthread_cond_t	 ccv;
	bool		 closed;
};

/* cluster_pub.c: the publishing thread. */
void		*cl_pub_thread(void *arg);

/*
 * cluster_addr.c.  On the loop: split the URLs (-1 when one is not one),
 * look the names up and again every resolve interval; stop that.  From
 * a thread: the servers with an address, in the configured order, into
 * out (SNMPMGR_MAX_NATS_SERVERS), with their index in n->srv in idx; *pending
 * when a name has had no first answer yet; why: the lookups' failures.
 */
int		 cl_addr_init(struct cl_nats *n, char *const *urls, size_t k);
int		 cl_addr_start(struct cluster *cl);
void		 cl_addr_stop(struct cluster *cl);
void		 cl_addr_free(struct cl_nats *n);
int		 cl_addr_take(struct cluster *cl, struct nw_server *out,
		    int *idx, bool *pending, char *why, size_t whylen,
		    uint64_t *gen);
json_t		*cl_addr_json(struct cluster *cl);
#endif

#endif /* SNMPMGRD_CLUSTER_INT_H */
