/*
 * cluster.h - cluster mode (issue 13): this node's lease in a JetStream
 * key-value bucket per cluster, the live members read back every
 * heartbeat, and the ownership of the configured sessions by rendezvous
 * hashing (rendezvous.h) over the members that have been live for a
 * heartbeat.  Sessions another node owns are kept but idle (polls.h).
 * NATS is reached through the libnats libevent adapter: socket I/O runs
 * on the loop, and the calls that wait for a reply (connect, bucket,
 * lease, key listing) run on the module's own thread, never on the loop.
 * A NATS server that is down or refuses us is logged and retried; the
 * node never exits for it: it keeps the sessions it last owned, or all
 * of them when it never reached NATS (standalone-degraded).
 */
#ifndef SNMPMGRD_CLUSTER_H
#define SNMPMGRD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct dsess;
struct cluster;
struct ctl_req;
typedef struct json_t json_t;

/* Before the event base is made, when the config has a cluster section:
 * libnats and a thread-safe libevent. */
void		 cluster_init(void);
/* Start with d->conf->cluster (d->cluster stays NULL without one).  NULL
 * when out of memory or the thread cannot start (logged). */
struct cluster	*cluster_start(struct daemon *d);
/* Stop the thread, drop the lease, close NATS.  NULL is fine. */
void		 cluster_free(struct cluster *cl);

/* Whether this node polls ds: always without a cluster (cl NULL) and for
 * sessions added at run time. */
bool		 cluster_owns(const struct cluster *cl, const struct dsess *ds);
/*
 * A request for ds that another node owns (method with the client's
 * params): forwarded to it (cluster_fwd.h), CTL_PENDING or CTL_DONE with
 * the error set on r; -1 when this node answers it itself (no cluster,
 * its own session, no owner known yet).
 */
int		 cluster_forward(struct cluster *cl, struct ctl_req *r,
		    const struct dsess *ds, const char *method,
		    const json_t *params);
/* The owner's node name, "" when none yet. */
const char	*cluster_owner(const struct cluster *cl,
		    const struct dsess *ds);
/* cluster.members: {"cluster", "node", "nats", "members": [...]}. */
json_t		*cluster_members_json(struct cluster *cl);
/*
 * traps.ack_after "cluster": the next inform the cluster publishes (an
 * "inform" event, published right after this call) carries token (the
 * journal sequence number; 0 clears it), and cb(arg, tokens, n) hears on
 * the loop the tokens of the informs JetStream stored (PubAck).  An
 * inform spooled to disk is never confirmed.
 */
void		 cluster_set_confirm(struct cluster *cl,
		    void (*cb)(void *, const uint64_t *, size_t), void *arg);
void		 cluster_inform_token(struct cluster *cl, uint64_t token);
/* After a reload: the hash of the config files as now loaded, which
 * the next lease announces (the cluster section itself stays as it
 * started). */
void		 cluster_set_hash(struct cluster *cl, const char *hash);
/* Add "cluster": {...} (NATS state, members, owned) to daemon.status. */
void		 cluster_status_json(struct cluster *cl, json_t *res);

#endif /* SNMPMGRD_CLUSTER_H */
