/*
 * cluster_fwd.h - cluster mode (issue 13): requests for a session another
 * node owns, forwarded to that node over NATS request/reply, so that any
 * node's control socket serves the whole cluster.
 *
 * Each node listens on snmpmgrd.<cluster>.rpc.<node> and answers what
 * arrives there through an internal connection to its own control socket
 * (control_attach_internal), as if a local client had asked; such
 * requests are never forwarded again.  A node forwarding a request
 * publishes it with a reply subject under its own inbox and waits for the
 * answer on the loop with a timer: the NATS calls run on this module's
 * thread and the libnats delivery threads, the answers are handed back
 * to the loop.  No answer in time, nobody listening for the owner, or
 * NATS away: error 396.
 */
#ifndef SNMPMGRD_CLUSTER_FWD_H
#define SNMPMGRD_CLUSTER_FWD_H

#include <stdint.h>

typedef struct json_t json_t;

struct cluster_fwd;
struct ctl_req;
struct daemon;

/* On the loop.  subj: the subject this node serves.  NULL when out of
 * memory or the thread cannot start (logged). */
struct cluster_fwd *cluster_fwd_new(struct daemon *d, const char *subj,
		    uint32_t timeout_ms);
/* Stop the thread and unsubscribe (before the NATS connection goes);
 * requests still waiting get error 396.  NULL is fine. */
void		 cluster_fwd_free(struct cluster_fwd *f);
/* From the thread that made it: the NATS connection (a natsConnection
 * pointer) is up; subscribe.  It must outlive cluster_fwd_free, or
 * cluster_fwd_detach when the connection is made again. */
void		 cluster_fwd_attach(struct cluster_fwd *f, void *nc);
/* From the same thread, before that connection goes: stop using it
 * (once the thread's batch on it is out) and unsubscribe.  Requests
 * meanwhile get error 396; cluster_fwd_attach takes a new one. */
void		 cluster_fwd_detach(struct cluster_fwd *f);
/*
 * Forward method with params (the client's, "session" included) to
 * owner on subject.  CTL_PENDING, or CTL_DONE with error 396 on r when
 * it cannot be sent.
 */
int		 cluster_fwd_request(struct cluster_fwd *f, struct ctl_req *r,
		    const char *subj, const char *owner, const char *method,
		    const json_t *params);
/* Add "forwarded", "forward_errors", "served" to o (daemon.status). */
void		 cluster_fwd_status(struct cluster_fwd *f, json_t *o);

#endif /* SNMPMGRD_CLUSTER_FWD_H */
