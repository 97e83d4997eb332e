/*
 * cluster_addr.c - where the NATS servers of cluster mode are
 * (cluster_int.h).  The URLs of cluster.nats.servers are split once; a
 * host given as a name is looked up on the loop through the daemon's
 * resolver (resolve.h: the config's "resolver" section, one bounded
 * lookup, never the blocking system resolver), again every
 * cluster.nats.resolve_interval, and its address is handed to the two
 * threads under the cluster's mutex.  The threads connect to numeric
 * addresses only, so no lookup can hold the loop, a control reply or a
 * shutdown; the certificate of a TLS server is still checked against
 * the name in the URL.
 */
#include <config.h>		/* autoconf's */

#ifdef HAVE_NATS
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cluster_int.h"
#include "conf.h"
#include "core/transport.h"
#include "daemon.h"
#include "log.h"
#include "resolve.h"

/* The config checked the hosts against the buffers they go into. */
_Static_assert(NW_HOST_LEN == CONFIG_NATS_HOST_LEN, "NATS host buffers");

int
cl_addr_init(struct cl_nats *n, char *const *urls, size_t k)
{
	struct cl_srv	*s;
	const char	*p, *e, *at;
	struct in6_addr	 a6;
	size_t		 i;

	if ((n->srv = calloc(k, sizeof(*n->srv))) == NULL)
		return -1;
	for (i = 0; i < k; i++) {
		s = &n->srv[n->nsrv++];
		if (config_nats_url(urls[i], s->host, sizeof(s->host),
		    s->port, sizeof(s->port), &s->tls) == -1)
			return -1;	/* the config checked them */
		/* A user part goes on to libnats as it was given. */
		p = strstr(urls[i], "://") + 3;
		e = p + strcspn(p, "/");
		if ((at = memchr(p, '@', (size_t)(e - p))) != NULL &&
		    (s->userinfo = strndup(p, (size_t)(at + 1 - p))) == NULL)
			return -1;
		s->numeric = (inet_pton(AF_INET, s->host, &a6) == 1 ||
		    inet_pton(AF_INET6, s->host, &a6) == 1) &&
		    strlen(s->host) < sizeof(s->addr);
		if (s->numeric) {
			memcpy(s->addr, s->host, strlen(s->host) + 1);
			s->looked = true;
		}
	}
	return 0;
}

void
cl_addr_free(struct cl_nats *n)
{
	int	 i;

	for (i = 0; i < n->nsrv; i++)
		if (n->srv[i].userinfo != NULL) {
			OPENSSL_cleanse(n->srv[i].userinfo,
			    strlen(n->srv[i].userinfo));
			free(n->srv[i].userinfo);
		}
	free(n->srv);
	n->srv = NULL;
	n->nsrv = 0;
}

/* ------------------------------------------------------------ the loop */

static void	cl_addr_look(struct cl_srv *s);

/* The next lookup: at the resolve interval once the name has an address;
 * sooner while it has none, so the node does not wait that long. */
static void
cl_addr_again(struct cl_srv *s, bool have)
{
	uint32_t	 ms = s->cl->nats->resolve_ms;
	struct timeval	 tv;

	if (!have && (ms == 0 || ms > CL_ADDR_RETRY_MS))
		ms = CL_ADDR_RETRY_MS;
	if (ms == 0)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->again, &tv);
}

/* A lookup ended: the address (or the failure) to the threads; a
 * thread waiting for it goes now. */
static void
cl_addr_settle(struct cl_srv *s, const char *detail,
    const struct resolve_addr *a)
{
	struct cluster	*cl = s->cl;
	char		 addr[NW_ADDR_LEN] = "";
	bool		 changed, logerr, first;

	if (a != NULL && transport_addr_host((const struct sockaddr *)&a->ss,
	    a->len, false, addr, sizeof(addr), NULL) == -1)
		detail = "an address of an unknown family";
	pthread_mutex_lock(&cl->mu);
	first = !s->looked;
	s->looked = true;
	changed = addr[0] != '\0' && strcmp(addr, s->addr) != 0;
	if (changed)
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
	logerr = addr[0] == '\0' && strcmp(s->err, detail) != 0;
	if (addr[0] == '\0')
		snprintf(s->err, sizeof(s->err), "%s", detail);
	else
		s->err[0] = '\0';
	if (changed)
		cl->addr_gen++;
	if (changed || first) {
		cl->addr_news = true;
		pthread_cond_signal(&cl->lcv);
	}
	pthread_mutex_unlock(&cl->mu);
	if (changed)
		log_info("cluster %s: NATS server %s is at %s", cl->name,
		    s->host, addr);
	else if (logerr)
		log_warnx("cluster %s: NATS server name lookup failed: %s%s",
		    cl->name, detail, s->addr[0] != '\0' ? " (its last "
		    "address kept)" : "");
	cl_addr_again(s, s->addr[0] != '\0');
}

static void
cl_addr_done_cb(int err, const char *detail, const struct resolve_addr *a,
    void *arg)
{
	struct cl_srv	*s = arg;

	s->q = NULL;
	cl_addr_settle(s, err == 0 ? NULL : detail, err == 0 ? a : NULL);
}

/* Look s's name up: from what the resolver knows now, or by a lookup
 * whose answer comes to the loop. */
static void
cl_addr_look(struct cl_srv *s)
{
	struct resolver	*r = s->cl->d->resolver;
	struct resolve_addr a;
	const char	*detail = "no answer";
	char		 buf[NW_HOST_LEN + 64];
	int		 k;

	if (s->q != NULL)
		return;
	if ((k = resolve_now(r, s->host, AF_UNSPEC, &a, &detail)) == 1) {
		cl_addr_settle(s, NULL, &a);
		return;
	}
	if (k == -1) {
		cl_addr_settle(s, detail, NULL);
		return;
	}
	if ((s->q = resolve_start(r, s->host, AF_UNSPEC, cl_addr_done_cb,
	    s)) == NULL) {
		snprintf(buf, sizeof(buf), "%s: cannot start a name lookup",
		    s->host);
		cl_addr_settle(s, buf, NULL);
	}
}

static void
cl_addr_again_cb(evutil_socket_t fd, short ev, void *arg)
{
	cl_addr_look(arg);
}

int
cl_addr_start(struct cluster *cl)
{
	struct cl_nats	*n = cl->nats;
	struct cl_srv	*s;
	int		 i;

	for (i = 0; i < n->nsrv; i++) {
		s = &n->srv[i];
		s->cl = cl;
		if (s->numeric)
			continue;
		if (cl->d->resolver == NULL ||
		    (s->again = evtimer_new(cl->d->base, cl_addr_again_cb,
		    s)) == NULL)
			return -1;
		cl_addr_look(s);
	}
	return 0;
}

void
cl_addr_stop(struct cluster *cl)
{
	struct cl_nats	*n = cl->nats;
	int		 i;

	for (i = 0; n != NULL && i < n->nsrv; i++) {
		resolve_cancel(n->srv[i].q);
		n->srv[i].q = NULL;
		if (n->srv[i].again != NULL)
			event_free(n->srv[i].again);
		n->srv[i].again = NULL;
	}
}

/* Under mu: the servers, for daemon.status (no user part: a secret). */
json_t *
cl_addr_json(struct cluster *cl)
{
	struct cl_nats	*n = cl->nats;
	struct cl_srv	*s;
	json_t		*arr, *o;
	int		 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; n != NULL && i < n->nsrv; i++) {
		s = &n->srv[i];
		o = json_pack("{s:s,s:s,s:s*,s:s*}", "host", s->host, "port",
		    s->port, "address", s->addr[0] != '\0' ? s->addr : NULL,
		    "lookup_error", s->err[0] != '\0' ? s->err : NULL);
		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* ---------------------------------------------------------- a thread */

int
cl_addr_take(struct cluster *cl, struct nw_server *out, int *idx,
    bool *pending, char *why, size_t whylen, uint64_t *gen)
{
	struct cl_nats	*n = cl->nats;
	struct cl_srv	*s;
	size_t		 wl = 0;
	int		 i, k = 0;

	*pending = false;
	if (whylen > 0)
		why[0] = '\0';
	pthread_mutex_lock(&cl->mu);
	if (gen != NULL)
		*gen = cl->addr_gen;
	for (i = 0; i < n->nsrv && k < SNMPMGR_MAX_NATS_SERVERS; i++) {
		s = &n->srv[i];
		if (!s->looked)
			*pending = true;
		if (s->err[0] != '\0' && wl + 2 < whylen) {
			snprintf(why + wl, whylen - wl, "%s%s", wl > 0 ?
			    "; " : "", s->err);
			wl += strlen(why + wl);
		}
		if (s->addr[0] == '\0')
			continue;
		snprintf(out[k].addr, sizeof(out[k].addr), "%s", s->addr);
		snprintf(out[k].port, sizeof(out[k].port), "%s", s->port);
		snprintf(out[k].name, sizeof(out[k].name), "%s", s->host);
		out[k].tls = s->tls;
		idx[k++] = i;
	}
	pthread_mutex_unlock(&cl->mu);
	return k;
}
#endif /* HAVE_NATS */
