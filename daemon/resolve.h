/*
 * resolve.h - host names to addresses without stalling the loop.
 *
 * A resolver answers numeric addresses, names from its hosts file and
 * names it has cached at once (resolve_now), and everything else through
 * libevent's evdns, asynchronously, with one overall deadline per lookup
 * (resolve_start).  Answers are cached for their DNS TTL, clamped to
 * [min_ttl, max_ttl]; failures are cached for neg_ttl so a dead resolver
 * is not asked again for every request.  Lookups of one name share one
 * query.  Which name servers it asks comes from a resolv.conf (the
 * system's, or a private path) or from an explicit list, so tests can
 * point it at a server on loopback without touching the machine.
 */
#ifndef SNMPMGR_RESOLVE_H
#define SNMPMGR_RESOLVE_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct resolver;
struct resolve_req;

struct resolver_opts {
	const char		*resolv_conf;	/* NULL: /etc/resolv.conf */
	const char		*hosts;		/* NULL: /etc/hosts; "": none */
	const char *const	*nameservers;	/* "IP" or "IP:PORT"; overrides */
	size_t			 nnameservers;
	uint32_t		 timeout_ms;	/* whole lookup; 0: 5000 */
	uint32_t		 min_ttl_s;	/* 0: 5 */
	uint32_t		 max_ttl_s;	/* 0: 3600 */
	uint32_t		 neg_ttl_s;	/* 0: 5 */
};

/* What a lookup found: the first address of the family asked for. */
struct resolve_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;		/* 0: none */
};

/*
 * err 0 with the address, or an errno-like code (ETIMEDOUT: no answer in
 * time; ENOENT: the name does not exist or has no address of the family;
 * EAGAIN: the server failed) with a text in detail.  Called from the loop,
 * never from inside resolve_start().
 */
typedef void (*resolve_cb)(int err, const char *detail,
    const struct resolve_addr *addr, void *arg);

/* NULL with errno on failure (e.g. an unreadable resolv_conf: EINVAL). */
struct resolver	*resolver_new(struct event_base *base,
		    const struct resolver_opts *opts);
/* Cancels every lookup in progress (their callbacks are not called). */
void		 resolver_free(struct resolver *r);

/*
 * family AF_INET6: IPv6 only; AF_UNSPEC: either, IPv4 preferred (as the
 * session engine has always picked).  1 and *out filled when the answer
 * is known now (numeric, hosts file, fresh cache entry), 0 when a lookup
 * is needed, -1 with errno ENOENT (and *detail) when a cached failure says
 * the name does not resolve.
 */
int		 resolve_now(struct resolver *r, const char *host, int family,
		    struct resolve_addr *out, const char **detail);
/*
 * Start (or join) a lookup; cb is called once unless cancelled.  NULL
 * with errno on failure.
 */
struct resolve_req *resolve_start(struct resolver *r, const char *host,
		    int family, resolve_cb cb, void *arg);
void		 resolve_cancel(struct resolve_req *q);

/* Counters for daemon.status. */
struct resolver_stats {
	uint64_t	 lookups;	/* sent to DNS */
	uint64_t	 cache_hits;
	uint64_t	 failures;
	uint64_t	 timeouts;
	uint32_t	 in_progress;
	uint32_t	 cached;
};
void		 resolver_stats(const struct resolver *r,
		    struct resolver_stats *st);

#endif /* SNMPMGR_RESOLVE_H */
