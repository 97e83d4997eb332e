/*
 * sess_addr.c - where a session's agent is: numeric hosts taken at once,
 * names asked of the binding (sess_io.resolve) without blocking, requests
 * held while a name is looked up and sent, or ended with 303, when the
 * answer comes (sess_resolved), a changed address followed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "limits.h"
#include "sess_int.h"
#include "session.h"

/* The port of o in a numeric address. */
static void
sess_addr_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

/*
 * The agent address of o: a numeric host at once (getaddrinfo never
 * blocks for those), a name through io->resolve.  udp takes either
 * family, preferring IPv4 for names; udp6 takes IPv6 only.  1 with the
 * address, 0 when io->resolve will answer later, -1 with lasterr.
 */
int
sess_lookup(struct sess_mgr *m, struct sess *s, const struct sess_opts *o,
    const char *host, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL, *ai, *pick = NULL;
	struct sockaddr_in *sin;
	struct in_addr in4;
	int family, rc;

	if (host[0] == '\0') {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "no host given");
		return -1;
	}
	family = o->transport == SESS_TRANSPORT_UDP6 ||
	    o->transport == SESS_TRANSPORT_TCP6 ? AF_INET6 : AF_UNSPEC;
	/* Dotted IPv4, what getaddrinfo() would give, at a tenth of its
	 * cost (a config of 100,000 agents). */
	if (family == AF_UNSPEC && inet_pton(AF_INET, host, &in4) == 1) {
		memset(ss, 0, sizeof(*ss));
		sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_addr = in4;
		*sslen = sizeof(*sin);
		sess_addr_port((struct sockaddr *)ss, o->port);
		return 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		if (m->io.resolve == NULL) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: not a "
			    "numeric address, and no resolver", host);
			return -1;
		}
		memset(ss, 0, sizeof(*ss));
		rc = m->io.resolve(m->io.arg, s, host, family, ss, sslen);
		if (rc == 1)
			sess_addr_port((struct sockaddr *)ss, o->port);
		return rc;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (pick == NULL || (pick->ai_family != AF_INET &&
		    ai->ai_family == AF_INET))
			pick = ai;
	}
	if (pick == NULL || pick->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: no address",
		    host);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*sslen = pick->ai_addrlen;
	sess_addr_port((struct sockaddr *)ss, o->port);
	freeaddrinfo(res);
	return 1;
}

/* Tell the binding to drop whatever it holds to look s's name up. */
void
sess_lookup_forget(struct sess *s)
{
	struct sess_mgr *m = s->m;

	if (m->io.unresolve != NULL)
		m->io.unresolve(m->io.arg, s);
	s->lookup_out = false;
}


/* Send the requests that waited for the address, oldest first. */
void
sess_flush_unsent(struct sess *s)
{
	struct sess_req *r;

	for (;;) {
		TAILQ_FOREACH(r, &s->reqs, entry)
			if (r->unsent)
				break;
		if (r == NULL)
			break;
		if (sess_transmit(r, sess_now(s->m)) == -1)
			sess_req_fail(r, snmpmgr_lasterr());
	}
	sess_mgr_rewake(s->m);
}

/* A session whose last lookup failed asks again for its next request. */
int
sess_relookup(struct sess *s)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;

	switch (sess_lookup(s->m, s, s->opts, s->host, &ss, &sslen)) {
	case -1:
		return -1;
	case 0:
		s->lookup_out = true;
		return 0;
	}
	s->lookup_out = true;		/* sess_resolved() clears it */
	return sess_resolved(s, 0, NULL, (struct sockaddr *)&ss, sslen);
}

int
sess_resolved(struct sess *s, int error, const char *why,
    const struct sockaddr *sa, socklen_t salen)
{
	struct sess_mgr *m = s->m;
	union sess_sockaddr old;
	struct sess_req *r;
	bool refamily, restream;
	int err;

	s->lookup_out = false;
	if (error != 0 && !s->resolving)
		return 0;		/* keep the address it has */
	if (error == 0 && (salen == 0 || salen > sizeof(s->addr))) {
		error = SNMPMGR_ERR_NOT_IP_ADDRESS;
		why = "no usable address";
	}
	if (error != 0) {
		snmpmgr_seterr(error, "%s", why != NULL ? why : s->host);
		goto fail_waiting;
	}
	refamily = !s->attached || s->addr.sa.sa_family != sa->sa_family;
	old = s->addr;
	memset(&s->addr, 0, sizeof(s->addr));
	memcpy(&s->addr, sa, salen);
	s->addrlen = salen;
	sess_addr_port(&s->addr.sa, s->opts->port);
	s->resolving = false;
	/* A stream is connected to the old address: connect anew. */
	restream = SESS_TRANSPORT_IS_STREAM(s->opts->transport) &&
	    memcmp(&old, &s->addr, sizeof(old)) != 0;
	if (refamily || restream || s->opts->use_connection) {
		if (s->attached && m->io.detach != NULL)
			m->io.detach(m->io.arg, s);
		s->attached = 0;
		if (m->io.attach != NULL && m->io.attach(m->io.arg, s) == -1) {
			s->resolving = true;
			goto fail_waiting;
		}
		s->attached = 1;
	}
	sess_flush_unsent(s);
	return 0;

 fail_waiting:
	err = snmpmgr_lasterr();
	TAILQ_FOREACH(r, &s->reqs, entry)
		r->doomed = true;
	while ((r = TAILQ_FIRST(&s->reqs)) != NULL && r->doomed) {
		snmpmgr_seterr(err, "%s", why != NULL ? why :
		    snmpmgr_lasterr_detail());
		sess_req_fail(r, err);
	}
	sess_mgr_rewake(m);
	return error != 0 ? 0 : -1;
}

bool
sess_resolving(const struct sess *s)
{
	return s->resolving;
}

int
sess_send_oneway(struct sess *s, const uint8_t *buf, size_t len)
{
	if (s->addrlen == 0 || !s->attached) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: no address "
		    "yet", s->host);
		return -1;
	}
	return sess_send(s, buf, len);
}
