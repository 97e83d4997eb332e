/*
 * m_cluster.c - the cluster.* methods: cluster.members lists the nodes
 * whose leases this node reads (cluster.h).
 */
#include <config.h>		/* autoconf's */

#include <jansson.h>

#include "core/errors.h"

#include "cluster.h"
#include "control.h"
#include "daemon.h"
#include "methods.h"

int
m_cluster_members(struct mcall *c)
{
	struct ctl_req	*r = c->r;
	json_t		*res;

	if (c->d->cluster == NULL) {
		ctl_req_error_num(r, SNMPMGR_ERR_NOT_SUPPORTED, "not in cluster "
		    "mode (no \"cluster\" section)", NULL);
		return CTL_DONE;
	}
	if ((res = cluster_members_json(c->d->cluster)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}
