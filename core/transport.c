/*
 * transport.c - UDP sockets: open with a session's socket options, read in
 * batches, send; TCP sockets opened the same way, with their connect
 * started.
 *
 * IPv6 sockets are IPV6_V6ONLY so an IPv4 agent never answers through a
 * mapped address and origin checks compare like with like.  The DSCP goes
 * into the upper six bits of the IPv4 TOS octet and the IPv6 Traffic Class
 * (RFC 2474 3).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "limits.h"
#include "transport.h"

struct transport_rx {
	int			 n;
	struct transport_dgram	 d[SNMPMGR_MAX_RECV_BATCH];
#ifdef HAVE_RECVMMSG
	struct mmsghdr		 mh[SNMPMGR_MAX_RECV_BATCH];
	struct iovec		 iov[SNMPMGR_MAX_RECV_BATCH];
#endif
	uint8_t			*mem;
};

void
transport_cfg_default(struct transport_cfg *cfg, int family)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->family = family;
	cfg->dscp = -1;
}

static int
transport_setopt(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "%s: %s", what,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Set a buffer size, beyond the sysctl cap when privileged. */
static int
transport_bufsize(int fd, int force, int plain, int size, const char *what)
{
	if (size <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)) == 0)
		return 0;
	return transport_setopt(fd, SOL_SOCKET, plain, size, what);
}

static int
transport_bind(int fd, const struct transport_cfg *cfg)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char port[8];
	int rc;

	if ((cfg->local_host == NULL || cfg->local_host[0] == '\0') &&
	    cfg->local_port == 0)
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (cfg->local_host != NULL && cfg->local_host[0] != '\0') {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = cfg->family;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%u", (unsigned)cfg->local_port);
		rc = getaddrinfo(cfg->local_host, port, &hints, &res);
		if (rc != 0 || res->ai_addrlen > sizeof(ss)) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS,
			    "local_host %s: %s", cfg->local_host,
			    rc != 0 ? gai_strerror(rc) : "bad address");
			if (res != NULL)
				freeaddrinfo(res);
			return -1;
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		sslen = res->ai_addrlen;
		freeaddrinfo(res);
	} else if (cfg->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(cfg->local_port);
		sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(cfg->local_port);
		sslen = sizeof(*sin);
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) == 0)
		return 0;
	if (errno == EADDRINUSE && cfg->local_port != 0 &&
	    !cfg->force_local_port) {
		/* Not forced: take any free port instead. */
		if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		else
			((struct sockaddr_in *)&ss)->sin_port = 0;
		if (bind(fd, (struct sockaddr *)&ss, sslen) == 0)
			return 0;
	}
	if (errno == EADDRINUSE)
		snmpmgr_seterr(SNMPMGR_ERR_ALREADY_ACTIVE,
		    "local port %u in use", (unsigned)cfg->local_port);
	else if (errno == EADDRNOTAVAIL)
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS,
		    "local_host %s: %s", cfg->local_host ? cfg->local_host :
		    "", strerror(errno));
	else
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "bind: %s",
		    strerror(errno));
	return -1;
}

int
transport_open(const struct transport_cfg *cfg)
{
	int fd, e, v6 = cfg->family == AF_INET6;

	if (cfg->family != AF_INET && cfg->family != AF_INET6) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS,
		    "address family %d", cfg->family);
		return -1;
	}
	if (cfg->stream && cfg->connect_to == NULL &&
	    cfg->listen_backlog <= 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS,
		    "a stream needs an address to connect to");
		return -1;
	}
	fd = socket(cfg->family, (cfg->stream ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (v6 && transport_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1,
	    "IPV6_V6ONLY") == -1)
		goto fail;
	if (cfg->share_local_port && transport_setopt(fd, SOL_SOCKET,
	    SO_REUSEPORT, 1, "SO_REUSEPORT") == -1)
		goto fail;
	if (transport_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF, cfg->rcvbuf,
	    "SO_RCVBUF") == -1)
		goto fail;
	if (transport_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF, cfg->sndbuf,
	    "SO_SNDBUF") == -1)
		goto fail;
	if (cfg->dont_fragment) {
		if (v6 ? transport_setopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1,
		    "IPV6_DONTFRAG") : transport_setopt(fd, IPPROTO_IP,
		    IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER"))
			goto fail;
	}
	if (cfg->broadcast && !cfg->stream && transport_setopt(fd, SOL_SOCKET,
	    SO_BROADCAST, 1, "SO_BROADCAST") == -1)
		goto fail;
	if (cfg->dscp >= 0) {
		if (cfg->dscp > 63) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
			    "dscp %d out of 0..63", cfg->dscp);
			goto fail;
		}
		if (v6 ? transport_setopt(fd, IPPROTO_IPV6, IPV6_TCLASS,
		    cfg->dscp << 2, "IPV6_TCLASS") : transport_setopt(fd,
		    IPPROTO_IP, IP_TOS, cfg->dscp << 2, "IP_TOS"))
			goto fail;
	}
	if (cfg->stream && transport_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1,
	    "TCP_NODELAY") == -1)
		goto fail;
	if (cfg->stream && cfg->connect_to == NULL &&
	    transport_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1,
	    "SO_REUSEADDR") == -1)
		goto fail;
	if (transport_bind(fd, cfg) == -1)
		goto fail;
	if (cfg->stream && cfg->connect_to == NULL) {
		if (listen(fd, cfg->listen_backlog) == -1) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
			    "listen: %s", strerror(errno));
			goto fail;
		}
		return fd;
	}
	if (cfg->stream) {
		if (connect(fd, cfg->connect_to, cfg->connect_len) == -1 &&
		    errno != EINPROGRESS) {
			e = errno;
			transport_connect_failed(cfg->connect_to,
			    cfg->connect_len, e);
			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
	if (cfg->connect_to != NULL &&
	    connect(fd, cfg->connect_to, cfg->connect_len) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "connect: %s",
		    strerror(errno));
		goto fail;
	}
	return fd;

 fail:
	close(fd);
	return -1;
}

ssize_t
transport_stream_io(int fd, bool out, void *buf, size_t len)
{
	ssize_t n;

	do {
		errno = 0;
		n = out ? send(fd, buf, len, MSG_NOSIGNAL) :
		    recv(fd, buf, len, 0);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		return n;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return -1;
}

int
transport_connected(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

void
transport_connect_failed(const struct sockaddr *sa, socklen_t len, int e)
{
	char addr[TRANSPORT_ADDRSTRLEN];

	transport_addr_str(sa, len, true, addr, sizeof(addr));
	snmpmgr_seterr(SNMPMGR_ERR_SEND, "connecting to %s: %s", addr,
	    strerror(e));
}

/* ------------------------------------------------------ address text */

/* Dotted quad by hand: glibc's inet_ntop goes through sprintf, which
 * shows in the profile at 200,000 traps a second. */
static size_t
transport_ipv4_str(const uint8_t *a, char *buf)
{
	char	*p = buf;
	int	 i, v;

	for (i = 0; i < 4; i++) {
		v = a[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return (size_t)(p - buf - 1);
}

int
transport_ip_str(int family, const void *ip, char *buf, size_t size)
{
	char	 tmp[INET_ADDRSTRLEN];
	size_t	 n;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	if (family == AF_INET) {
		if (size >= sizeof(tmp))
			return (int)transport_ipv4_str(ip, buf);
		if ((n = transport_ipv4_str(ip, tmp)) >= size)
			return -1;
		memcpy(buf, tmp, n + 1);
		return (int)n;
	}
	if (family != AF_INET6 || inet_ntop(AF_INET6, ip, buf,
	    (socklen_t)size) == NULL) {
		buf[0] = '\0';
		return -1;
	}
	return (int)strlen(buf);
}

/* "%lo" or "%3" after an IPv6 address with a scope, as glibc's
 * getnameinfo(3) writes it with NI_NUMERICHOST; "" for scope 0. */
static void
transport_scope_str(const struct sockaddr_in6 *sin6, char *buf, size_t size)
{
	char	 name[IF_NAMESIZE];

	buf[0] = '\0';
	if (sin6->sin6_scope_id == 0)
		return;
	if ((IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr)) &&
	    if_indextoname(sin6->sin6_scope_id, name) != NULL)
		snprintf(buf, size, "%%%s", name);
	else
		snprintf(buf, size, "%%%u", (unsigned)sin6->sin6_scope_id);
}

int
transport_addr_host(const struct sockaddr *sa, socklen_t len, bool scope,
    char *buf, size_t size, unsigned *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 sc[1 + IF_NAMESIZE + 12];
	int				 n = -1;
	size_t				 k;

	if (port != NULL)
		*port = 0;
	if (size > 0)
		buf[0] = '\0';
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		if ((n = transport_ip_str(AF_INET, &sin->sin_addr, buf,
		    size)) >= 0 && port != NULL)
			*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if ((n = transport_ip_str(AF_INET6, &sin6->sin6_addr, buf,
		    size)) < 0)
			return -1;
		if (scope) {
			transport_scope_str(sin6, sc, sizeof(sc));
			if ((k = strlen(sc)) >= size - (size_t)n) {
				buf[0] = '\0';
				return -1;
			}
			memcpy(buf + n, sc, k + 1);
			n += (int)k;
		}
		if (port != NULL)
			*port = ntohs(sin6->sin6_port);
	}
	return n;
}

socklen_t
transport_addr_len(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

int
transport_addr_str(const struct sockaddr *sa, socklen_t len, bool scope,
    char *buf, size_t size)
{
	char		 host[TRANSPORT_HOSTSTRLEN];
	unsigned	 port;

	if (transport_addr_host(sa, len, scope, host, sizeof(host),
	    &port) == -1) {
		snprintf(buf, size, "?");
		return -1;
	}
	return snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%u" :
	    "%s:%u", host, port);
}

int
transport_local(int fd, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(fd, (struct sockaddr *)ss, len);
}

struct transport_rx *
transport_rx_new(void)
{
	struct transport_rx *rx;
	int i;

	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return NULL;
	rx->mem = malloc((size_t)SNMPMGR_MAX_RECV_BATCH * SNMPMGR_MAX_DGRAM);
	if (rx->mem == NULL) {
		free(rx);
		return NULL;
	}
	for (i = 0; i < SNMPMGR_MAX_RECV_BATCH; i++)
		rx->d[i].buf = rx->mem + (size_t)i * SNMPMGR_MAX_DGRAM;
	return rx;
}

void
transport_rx_free(struct transport_rx *rx)
{
	if (rx == NULL)
		return;
	free(rx->mem);
	free(rx);
}

const struct transport_dgram *
transport_rx_get(const struct transport_rx *rx, int i)
{
	if (i < 0 || i >= rx->n)
		return NULL;
	return &rx->d[i];
}

#ifdef HAVE_RECVMMSG
int
transport_recv(int fd, struct transport_rx *rx)
{
	int i, n, kept = 0;

	rx->n = 0;
	for (i = 0; i < SNMPMGR_MAX_RECV_BATCH; i++) {
		rx->iov[i].iov_base = rx->d[i].buf;
		rx->iov[i].iov_len = SNMPMGR_MAX_DGRAM;
		memset(&rx->mh[i], 0, sizeof(rx->mh[i]));
		rx->mh[i].msg_hdr.msg_name = &rx->d[i].from;
		rx->mh[i].msg_hdr.msg_namelen = sizeof(rx->d[i].from);
		rx->mh[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->mh[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, rx->mh, SNMPMGR_MAX_RECV_BATCH, MSG_DONTWAIT, NULL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rx->mh[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		if (kept != i) {
			/* Close the gap left by a truncated datagram. */
			uint8_t *tmp = rx->d[kept].buf;

			rx->d[kept].buf = rx->d[i].buf;
			rx->d[i].buf = tmp;
			rx->d[kept].from = rx->d[i].from;
		}
		rx->d[kept].len = rx->mh[i].msg_len;
		rx->d[kept].fromlen = rx->mh[i].msg_hdr.msg_namelen;
		kept++;
	}
	rx->n = kept;
	return kept;
}
#else
int
transport_recv(int fd, struct transport_rx *rx)
{
	struct transport_dgram *d;
	ssize_t r;
	int flags;

	rx->n = 0;
	while (rx->n < SNMPMGR_MAX_RECV_BATCH) {
		d = &rx->d[rx->n];
		d->fromlen = sizeof(d->from);
		flags = MSG_DONTWAIT | MSG_TRUNC;
		r = recvfrom(fd, d->buf, SNMPMGR_MAX_DGRAM, flags,
		    (struct sockaddr *)&d->from, &d->fromlen);
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			if (rx->n > 0)
				break;
			return -1;
		}
		if ((size_t)r > SNMPMGR_MAX_DGRAM)
			continue;	/* truncated */
		d->len = r;
		rx->n++;
	}
	return rx->n;
}
#endif

int
transport_send(int fd, const uint8_t *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	ssize_t r;

	do {
		if (to == NULL)
			r = send(fd, buf, len, 0);
		else
			r = sendto(fd, buf, len, 0, to, tolen);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if ((size_t)r != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------ send queue */

/* Each datagram's headers are filled once, as it is queued. */
struct transport_txq {
	size_t			 n;
	size_t			 used;		/* octets of mem */
	int			 fd[TRANSPORT_TXQ_MAX];
	struct iovec		 iov[TRANSPORT_TXQ_MAX];	/* into mem */
	struct sockaddr_storage	 to[TRANSPORT_TXQ_MAX];
	socklen_t		 tolen[TRANSPORT_TXQ_MAX];	/* 0: none */
#ifdef HAVE_SENDMMSG
	struct mmsghdr		 mh[TRANSPORT_TXQ_MAX];
#endif
	uint8_t			 mem[TRANSPORT_TXQ_BYTES];
};

struct transport_txq *
transport_txq_new(void)
{
	return calloc(1, sizeof(struct transport_txq));
}

void
transport_txq_free(struct transport_txq *q)
{
	if (q == NULL)
		return;
	transport_txq_flush(q);
	free(q);
}

int
transport_txq_add(struct transport_txq *q, int fd, const uint8_t *buf,
    size_t len, const struct sockaddr *to, socklen_t tolen)
{
	if (len > TRANSPORT_TXQ_BYTES || tolen > sizeof(q->to[0]))
		return transport_send(fd, buf, len, to, tolen);
	if (q->n == TRANSPORT_TXQ_MAX || q->used + len > TRANSPORT_TXQ_BYTES)
		transport_txq_flush(q);
	memcpy(q->mem + q->used, buf, len);
	q->fd[q->n] = fd;
	q->iov[q->n].iov_base = q->mem + q->used;
	q->iov[q->n].iov_len = len;
	q->tolen[q->n] = to != NULL ? tolen : 0;
	if (to != NULL)
		memcpy(&q->to[q->n], to, tolen);
#ifdef HAVE_SENDMMSG
	memset(&q->mh[q->n], 0, sizeof(q->mh[q->n]));
	q->mh[q->n].msg_hdr.msg_iov = &q->iov[q->n];
	q->mh[q->n].msg_hdr.msg_iovlen = 1;
	if (to != NULL) {
		q->mh[q->n].msg_hdr.msg_name = &q->to[q->n];
		q->mh[q->n].msg_hdr.msg_namelen = tolen;
	}
#endif
	q->used += len;
	q->n++;
	return 0;
}

void
transport_txq_forget(struct transport_txq *q, int fd)
{
	size_t	 i;

	for (i = 0; i < q->n; i++)
		if (q->fd[i] == fd)
			q->fd[i] = -1;
}

#ifdef HAVE_SENDMMSG
/* Send datagrams [i, j) of q, all for one fd; how many failed. */
static size_t
txq_send_run(struct transport_txq *q, size_t i, size_t j)
{
	size_t	 failed = 0;
	int	 r;

	while (i < j) {
		r = sendmmsg(q->fd[i], &q->mh[i], (unsigned)(j - i), 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* The first one failed: skip it, go on. */
			failed++;
			i++;
			continue;
		}
		i += (size_t)r;
	}
	return failed;
}
#endif

size_t
transport_txq_flush(struct transport_txq *q)
{
	size_t	 i = 0, j, failed = 0;

	while (i < q->n) {
		if (q->fd[i] == -1) {
			i++;
			continue;
		}
		for (j = i + 1; j < q->n && q->fd[j] == q->fd[i]; j++)
			;
#ifdef HAVE_SENDMMSG
		failed += txq_send_run(q, i, j);
#else
		for (; i < j; i++)
			if (transport_send(q->fd[i], q->iov[i].iov_base,
			    q->iov[i].iov_len, q->tolen[i] > 0 ?
			    (struct sockaddr *)&q->to[i] : NULL,
			    q->tolen[i]) == -1)
				failed++;
#endif
		i = j;
	}
	q->n = 0;
	q->used = 0;
	return failed;
}
