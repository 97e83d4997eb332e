/*
 * resolve.c - asynchronous name lookups with a cache (resolve.h).
 *
 * One entry per (name, family) holds the answer or the failure and when it
 * expires, plus the lookups waiting for it.  A name not yet known is asked
 * of evdns (A first; AAAA after it when the family allows either and A
 * gave nothing), under one deadline timer of our own: when it fires the
 * waiters fail with ETIMEDOUT and the failure is cached briefly, while the
 * evdns query is left to end by itself (evdns calls back even for a
 * cancelled query, so an entry with a query out is never freed before its
 * answer; a late answer still fills the cache).
 */
#include "config.h"		/* autoconf */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "core/limits.h"
#include "resolve.h"

#define RES_BUCKETS		1024
#define RES_HOSTS_MAX		4096

enum res_state {
	RES_PENDING,
	RES_OK,
	RES_FAILED,
};

struct resolve_req {
	TAILQ_ENTRY(resolve_req) entry;
	struct res_entry	*e;
	resolve_cb		 cb;
	void			*arg;
	struct event		*now_ev;	/* answer known at start */
};
TAILQ_HEAD(res_waiters, resolve_req);

struct res_entry {
	LIST_ENTRY(res_entry)	 hash;
	TAILQ_ENTRY(res_entry)	 lru;
	struct resolver		*r;
	char			 host[SNMPMGR_MAX_HOSTNAME + 1];
	int			 family;
	enum res_state		 state;
	struct resolve_addr	 addr;
	int			 err;
	char			 detail[SNMPMGR_MAX_HOSTNAME + 64];
	time_t			 expires;	/* monotonic seconds */
	struct evdns_request	*query;		/* out at evdns */
	int			 query_type;	/* DNS_IPv4_A / DNS_IPv6_AAAA */
	struct event		*deadline;
	struct res_waiters	 waiters;
};
LIST_HEAD(res_bucket, res_entry);
TAILQ_HEAD(res_lru, res_entry);

struct res_host {
	char			*name;
	struct resolve_addr	 addr;
};

struct resolver {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct resolver_opts	 o;
	struct res_bucket	 buckets[RES_BUCKETS];
	struct res_lru		 lru;		/* oldest first */
	size_t			 nentries;
	struct res_host		*hosts;
	size_t			 nhosts;
	struct resolver_stats	 st;
};

static time_t
res_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static unsigned
res_hash(const char *host, int family)
{
	unsigned	 h = 2166136261u ^ (unsigned)family;

	for (; *host != '\0'; host++)
		h = (h ^ (unsigned char)tolower((unsigned char)*host)) *
		    16777619u;
	return h % RES_BUCKETS;
}

/* Numeric addresses only; getaddrinfo never blocks for these. */
static int
res_numeric(const char *host, int family, struct resolve_addr *out)
{
	struct addrinfo	 hints, *res = NULL, *ai, *pick = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(out->ss)) {
			pick = ai;
			break;
		}
	if (pick != NULL) {
		memset(out, 0, sizeof(*out));
		memcpy(&out->ss, pick->ai_addr, pick->ai_addrlen);
		out->len = pick->ai_addrlen;
	}
	freeaddrinfo(res);
	return pick != NULL;
}

/* ------------------------------------------------------------------ */
/* hosts file                                                          */

static void
res_hosts_load(struct resolver *r, const char *path)
{
	FILE		*fp;
	char		 line[1024], *p, *tok, *save;
	struct resolve_addr a;
	struct res_host	*h;

	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL &&
	    r->nhosts < RES_HOSTS_MAX) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if ((tok = strtok_r(line, " \t\r\n", &save)) == NULL)
			continue;
		if (!res_numeric(tok, AF_UNSPEC, &a))
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL &&
		    r->nhosts < RES_HOSTS_MAX) {
			h = realloc(r->hosts, (r->nhosts + 1) * sizeof(*h));
			if (h == NULL)
				goto done;
			r->hosts = h;
			h = &r->hosts[r->nhosts];
			if ((h->name = strdup(tok)) == NULL)
				goto done;
			h->addr = a;
			r->nhosts++;
		}
	}
done:
	fclose(fp);
}

/* The first hosts line naming host with a usable family; IPv4 preferred. */
static int
res_hosts_find(const struct resolver *r, const char *host, int family,
    struct resolve_addr *out)
{
	const struct res_host	*pick = NULL;
	size_t			 i;
	int			 f;

	for (i = 0; i < r->nhosts; i++) {
		if (strcasecmp(r->hosts[i].name, host) != 0)
			continue;
		f = r->hosts[i].addr.ss.ss_family;
		if (family != AF_UNSPEC && f != family)
			continue;
		if (pick == NULL || (f == AF_INET &&
		    pick->addr.ss.ss_family != AF_INET))
			pick = &r->hosts[i];
	}
	if (pick == NULL)
		return 0;
	*out = pick->addr;
	return 1;
}

/* ------------------------------------------------------------------ */
/* cache entries                                                       */

static struct res_entry *
res_find(struct resolver *r, const char *host, int family)
{
	struct res_entry	*e;

	LIST_FOREACH(e, &r->buckets[res_hash(host, family)], hash)
		if (e->family == family && strcasecmp(e->host, host) == 0)
			return e;
	return NULL;
}

static void
res_entry_free(struct res_entry *e)
{
	struct resolver		*r = e->r;

	LIST_REMOVE(e, hash);
	TAILQ_REMOVE(&r->lru, e, lru);
	r->nentries--;
	if (e->deadline != NULL)
		event_free(e->deadline);
	free(e);
}

/* Drop idle entries that expired, and the oldest idle ones past the bound. */
static void
res_evict(struct resolver *r, time_t now)
{
	struct res_entry	*e, *next;

	for (e = TAILQ_FIRST(&r->lru); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (e->query != NULL || !TAILQ_EMPTY(&e->waiters) ||
		    e->state == RES_PENDING)
			continue;
		if (e->expires <= now ||
		    r->nentries >= SNMPMGR_MAX_RESOLVE_CACHE)
			res_entry_free(e);
	}
}

static uint32_t
res_clamp_ttl(const struct resolver *r, int ttl)
{
	if (ttl < 0 || (uint32_t)ttl < r->o.min_ttl_s)
		return r->o.min_ttl_s;
	if ((uint32_t)ttl > r->o.max_ttl_s)
		return r->o.max_ttl_s;
	return (uint32_t)ttl;
}

/* Settle an entry and call (and free) every waiter. */
static void
res_settle(struct res_entry *e, int err, const char *detail,
    const struct resolve_addr *addr, uint32_t ttl)
{
	struct resolver		*r = e->r;
	struct resolve_req	*q;

	if (e->deadline != NULL)
		event_del(e->deadline);
	e->err = err;
	if (err == 0) {
		e->state = RES_OK;
		e->addr = *addr;
		e->detail[0] = '\0';
	} else {
		e->state = RES_FAILED;
		snprintf(e->detail, sizeof(e->detail), "%s: %s", e->host,
		    detail);
		r->st.failures++;
	}
	e->expires = res_now() + ttl;
	r->st.in_progress--;
	while ((q = TAILQ_FIRST(&e->waiters)) != NULL) {
		TAILQ_REMOVE(&e->waiters, q, entry);
		q->e = NULL;
		q->cb(err, err == 0 ? NULL : e->detail,
		    err == 0 ? &e->addr : NULL, q->arg);
		if (q->now_ev != NULL)
			event_free(q->now_ev);
		free(q);
	}
}

static void	res_dns_cb(int result, char type, int count, int ttl,
		    void *addresses, void *arg);

static int
res_query(struct res_entry *e, int type)
{
	struct resolver	*r = e->r;

	e->query_type = type;
	r->st.lookups++;
	e->query = type == DNS_IPv4_A ?
	    evdns_base_resolve_ipv4(r->dns, e->host, 0, res_dns_cb, e) :
	    evdns_base_resolve_ipv6(r->dns, e->host, 0, res_dns_cb, e);
	return e->query != NULL ? 0 : -1;
}

static void
res_dns_cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
	struct res_entry	*e = arg;
	struct resolver		*r = e->r;
	struct resolve_addr	 a;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	bool			 waiting = e->state == RES_PENDING;

	e->query = NULL;
	if (result == DNS_ERR_NONE && count > 0 &&
	    (type == DNS_IPv4_A || type == DNS_IPv6_AAAA)) {
		memset(&a, 0, sizeof(a));
		if (type == DNS_IPv4_A) {
			sin = (struct sockaddr_in *)&a.ss;
			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, addresses, 4);
			a.len = sizeof(*sin);
		} else {
			sin6 = (struct sockaddr_in6 *)&a.ss;
			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, addresses, 16);
			a.len = sizeof(*sin6);
		}
		if (waiting)
			res_settle(e, 0, NULL, &a, res_clamp_ttl(r, ttl));
		else {
			/* A late answer after our deadline: cache it. */
			e->state = RES_OK;
			e->err = 0;
			e->addr = a;
			e->expires = res_now() + res_clamp_ttl(r, ttl);
		}
		return;
	}
	if (!waiting)
		return;
	/* Nothing for A: try AAAA when either family will do. */
	if (e->family == AF_UNSPEC && e->query_type == DNS_IPv4_A &&
	    (result == DNS_ERR_NONE || result == DNS_ERR_NOTEXIST) &&
	    res_query(e, DNS_IPv6_AAAA) == 0)
		return;
	if (result == DNS_ERR_TIMEOUT)
		r->st.timeouts++;
	res_settle(e, result == DNS_ERR_NONE || result == DNS_ERR_NOTEXIST ?
	    ENOENT : result == DNS_ERR_TIMEOUT ? ETIMEDOUT : EAGAIN,
	    result == DNS_ERR_NONE ? "no address" : evdns_err_to_string(result),
	    NULL, r->o.neg_ttl_s);
}

static void
res_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct res_entry	*e = arg;

	(void)fd;
	(void)what;
	if (e->state != RES_PENDING)
		return;
	e->r->st.timeouts++;
	res_settle(e, ETIMEDOUT, "name lookup timed out", NULL,
	    e->r->o.neg_ttl_s);
}

/* ------------------------------------------------------------------ */
/* the resolver                                                        */

static int
res_set(struct evdns_base *dns, const char *opt, unsigned v)
{
	char	 buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return evdns_base_set_option(dns, opt, buf);
}

struct resolver *
resolver_new(struct event_base *base, const struct resolver_opts *opts)
{
	struct resolver	*r;
	size_t		 i;
	unsigned	 per_try;
	int		 rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->base = base;
	if (opts != NULL)
		r->o = *opts;
	if (r->o.timeout_ms == 0)
		r->o.timeout_ms = 5000;
	if (r->o.min_ttl_s == 0)
		r->o.min_ttl_s = 5;
	if (r->o.max_ttl_s == 0)
		r->o.max_ttl_s = 3600;
	if (r->o.max_ttl_s < r->o.min_ttl_s)
		r->o.max_ttl_s = r->o.min_ttl_s;
	if (r->o.neg_ttl_s == 0)
		r->o.neg_ttl_s = 5;
	for (i = 0; i < RES_BUCKETS; i++)
		LIST_INIT(&r->buckets[i]);
	TAILQ_INIT(&r->lru);
	if ((r->dns = evdns_base_new(base, 0)) == NULL)
		goto fail;
	if (r->o.nnameservers > 0) {
		for (i = 0; i < r->o.nnameservers; i++)
			if (evdns_base_nameserver_ip_add(r->dns,
			    r->o.nameservers[i]) != 0) {
				errno = EINVAL;
				goto fail;
			}
	} else {
		rc = evdns_base_resolv_conf_parse(r->dns, DNS_OPTIONS_ALL &
		    ~DNS_OPTION_HOSTSFILE, r->o.resolv_conf != NULL ?
		    r->o.resolv_conf : "/etc/resolv.conf");
		/* A private file must be readable; the system's may be absent. */
		if (rc != 0 && r->o.resolv_conf != NULL) {
			errno = EINVAL;
			goto fail;
		}
	}
	/* evdns gives up by itself a little after our own deadline. */
	per_try = (r->o.timeout_ms + 999) / 1000;
	if (per_try == 0)
		per_try = 1;
	res_set(r->dns, "timeout:", per_try);
	res_set(r->dns, "attempts:", 2);
	if (r->o.hosts == NULL)
		res_hosts_load(r, "/etc/hosts");
	else if (r->o.hosts[0] != '\0')
		res_hosts_load(r, r->o.hosts);
	return r;
fail:
	resolver_free(r);
	return NULL;
}

void
resolver_free(struct resolver *r)
{
	struct res_entry	*e;
	struct resolve_req	*q;
	size_t			 i;

	if (r == NULL)
		return;
	/* Drop every evdns query without calling back into freed entries. */
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	while ((e = TAILQ_FIRST(&r->lru)) != NULL) {
		while ((q = TAILQ_FIRST(&e->waiters)) != NULL) {
			TAILQ_REMOVE(&e->waiters, q, entry);
			if (q->now_ev != NULL)
				event_free(q->now_ev);
			free(q);
		}
		res_entry_free(e);
	}
	for (i = 0; i < r->nhosts; i++)
		free(r->hosts[i].name);
	free(r->hosts);
	free(r);
}

int
resolve_now(struct resolver *r, const char *host, int family,
    struct resolve_addr *out, const char **detail)
{
	struct res_entry	*e;

	if (res_numeric(host, family, out) || res_hosts_find(r, host, family,
	    out))
		return 1;
	if ((e = res_find(r, host, family)) == NULL ||
	    e->state == RES_PENDING || e->expires <= res_now())
		return 0;
	r->st.cache_hits++;
	TAILQ_REMOVE(&r->lru, e, lru);
	TAILQ_INSERT_TAIL(&r->lru, e, lru);
	if (e->state == RES_OK) {
		*out = e->addr;
		return 1;
	}
	if (detail != NULL)
		*detail = e->detail;
	errno = e->err;
	return -1;
}

static void
res_now_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_req	*q = arg;
	struct res_entry	*e = q->e;

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&e->waiters, q, entry);
	q->cb(e->err, e->err == 0 ? NULL : e->detail,
	    e->err == 0 ? &e->addr : NULL, q->arg);
	event_free(q->now_ev);
	free(q);
}

struct resolve_req *
resolve_start(struct resolver *r, const char *host, int family,
    resolve_cb cb, void *arg)
{
	struct res_entry	*e;
	struct resolve_req	*q;
	struct timeval		 tv;
	time_t			 now = res_now();

	if (strlen(host) > SNMPMGR_MAX_HOSTNAME) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->cb = cb;
	q->arg = arg;
	if ((e = res_find(r, host, family)) == NULL) {
		res_evict(r, now);
		if (r->nentries >= SNMPMGR_MAX_RESOLVE_CACHE) {
			errno = EBUSY;
			goto fail;
		}
		if ((e = calloc(1, sizeof(*e))) == NULL)
			goto fail;
		e->r = r;
		snprintf(e->host, sizeof(e->host), "%s", host);
		e->family = family;
		e->state = RES_FAILED;		/* until a query is out */
		TAILQ_INIT(&e->waiters);
		LIST_INSERT_HEAD(&r->buckets[res_hash(host, family)], e, hash);
		TAILQ_INSERT_TAIL(&r->lru, e, lru);
		r->nentries++;
	}
	q->e = e;
	if (e->state != RES_PENDING && e->expires > now) {
		/* Known already: answer from the loop, not from here. */
		if ((q->now_ev = evtimer_new(r->base, res_now_cb, q)) == NULL)
			goto fail;
		TAILQ_INSERT_TAIL(&e->waiters, q, entry);
		evutil_timerclear(&tv);
		evtimer_add(q->now_ev, &tv);
		return q;
	}
	TAILQ_INSERT_TAIL(&e->waiters, q, entry);
	if (e->state == RES_PENDING)
		return q;			/* joins the lookup out */
	if (e->deadline == NULL &&
	    (e->deadline = evtimer_new(r->base, res_deadline_cb, e)) == NULL)
		goto unlink;
	e->state = RES_PENDING;
	r->st.in_progress++;
	/* A query of an earlier, timed-out lookup may still be out. */
	if (e->query == NULL && res_query(e, family == AF_INET6 ?
	    DNS_IPv6_AAAA : DNS_IPv4_A) != 0) {
		e->state = RES_FAILED;
		r->st.in_progress--;
		goto unlink;
	}
	tv.tv_sec = r->o.timeout_ms / 1000;
	tv.tv_usec = (r->o.timeout_ms % 1000) * 1000;
	evtimer_add(e->deadline, &tv);
	return q;
unlink:
	TAILQ_REMOVE(&e->waiters, q, entry);
	errno = EAGAIN;
fail:
	free(q);
	return NULL;
}

void
resolve_cancel(struct resolve_req *q)
{
	if (q == NULL)
		return;
	if (q->e != NULL)
		TAILQ_REMOVE(&q->e->waiters, q, entry);
	if (q->now_ev != NULL)
		event_free(q->now_ev);
	free(q);
}

void
resolver_stats(const struct resolver *r, struct resolver_stats *st)
{
	*st = r->st;
	st->cached = (uint32_t)r->nentries;
}
