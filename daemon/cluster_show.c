/*
 * cluster_show.c - what the control socket shows of cluster mode: the
 * members of cluster.members (cluster.h) and the "cluster" object of
 * daemon.status, read from the module's state on the loop (what the
 * threads write, under mu).
 */
#include <config.h>		/* autoconf's */

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "cluster_int.h"
#include "daemon.h"
#include "sessions.h"

static const char *
state_name(enum nats_state s)
{
	switch (s) {
	case NS_CONNECTED:	return "connected";
	case NS_DISCONNECTED:	return "disconnected";
	default:		return "connecting";
	}
}

json_t *
cluster_members_json(struct cluster *cl)
{
	json_t		*res, *arr, *o;
	struct dsess	*ds;
	struct member	*m;
	size_t		 i, k, owned;
	int64_t		 now = cl_now_ms();
	enum nats_state	 st;

	pthread_mutex_lock(&cl->mu);
	st = cl->state;
	pthread_mutex_unlock(&cl->mu);
	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < cl->nmembers; i++) {
		m = &cl->members[i];
		owned = 0;
		for (k = 0; k < sessions_count(cl->d->sessions); k++) {
			ds = sessions_at(cl->d->sessions, k);
			if (!ds->runtime && strcmp(cluster_owner(cl, ds),
			    m->node) == 0)
				owned++;
		}
		o = json_pack("{s:s,s:f,s:b,s:I,s:s,s:s,s:b,s:I,s:b}",
		    "node", m->node,
		    "lease_age", (double)(now - m->put_ms) / 1000.0,
		    "live", now - m->put_ms < 3 * (int64_t)cl->hb_ms,
		    "sessions", (json_int_t)owned,
		    "config_hash", m->hash,
		    "version", m->version,
		    "mismatch", strcmp(m->hash, cl->hash) != 0,
		    "load", (json_int_t)m->load,
		    "self", strcmp(m->node, cl->node) == 0);
		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	res = json_pack("{s:s,s:s,s:s,s:s,s:b,s:o}", "cluster", cl->name,
	    "node", cl->node, "config_hash", cl->hash, "nats",
	    state_name(st), "standalone", cl->standalone, "members", arr);
	return res;
}

void
cluster_status_json(struct cluster *cl, json_t *res)
{
	json_t	*o;
	uint64_t lqbytes = 0;
	size_t	 i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->nlq; i++)
		lqbytes += cl->lq[i]->len;
	pthread_mutex_lock(&cl->mu);
	o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:I}",
	    "name", cl->name, "node", cl->node,
	    "nats", state_name(cl->state), "last_error", cl->lasterr,
	    "standalone", cl->standalone,
	    "members", (json_int_t)cl->nmembers,
	    "sessions_owned", (json_int_t)cl->owned,
	    "leases_put", (json_int_t)cl->leases_put,
	    "lease_errors", (json_int_t)cl->lease_errors,
	    "spool_depth", (json_int_t)(cl->nlq + cl->qlen + cl->nflight +
	    cl->sst.records),
	    "spool_bytes", (json_int_t)(lqbytes + cl->qbytes +
	    cl->flight_bytes + cl->sst.bytes),
	    "published", (json_int_t)cl->pub_acked,
	    "publish_errors", (json_int_t)cl->pub_errors,
	    "queued", (json_int_t)(cl->pub_queued + cl->nlq),
	    "dropped", (json_int_t)(cl->pub_dropped + cl->sst.dropped),
	    "spool", "disk", cl->spool != NULL && !cl->spool_failed,
	    "memory_records", (json_int_t)(cl->nlq + cl->qlen + cl->nflight),
	    "memory_bytes", (json_int_t)(lqbytes + cl->qbytes +
	    cl->flight_bytes),
	    "disk_records", (json_int_t)cl->sst.records,
	    "disk_bytes", (json_int_t)cl->sst.bytes,
	    "segments", (json_int_t)cl->sst.segments,
	    "written", (json_int_t)cl->sst.written,
	    "replayed", (json_int_t)cl->sst.replayed,
	    "dropped", (json_int_t)(cl->pub_dropped + cl->sst.dropped),
	    "corrupt", (json_int_t)cl->sst.corrupt,
	    "write_errors", (json_int_t)cl->sst.write_errors,
	    "informs_confirmed", (json_int_t)cl->informs_confirmed);
	pthread_mutex_unlock(&cl->mu);
	if (o != NULL) {
#ifdef HAVE_NATS
		cluster_fwd_status(cl->fwd, o);
		pthread_mutex_lock(&cl->mu);
		json_object_set_new(o, "servers", cl_addr_json(cl));
		pthread_mutex_unlock(&cl->mu);
#endif
		json_object_set_new(res, "cluster", o);
	}
}
