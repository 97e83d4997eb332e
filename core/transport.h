/*
 * transport.h - non-blocking UDP and TCP sockets for the session engine.
 *
 * transport_open() makes a socket for one address family with the socket
 * options of a session (bind address and port, connect, don't-fragment,
 * DSCP, buffer sizes); transport_recv() reads a batch of datagrams into a
 * reusable buffer set (recvmmsg where the system has it); transport_send()
 * sends one.  A TCP socket (stream) is opened with its connect started;
 * the caller reads and writes it.  Nothing here knows about SNMP or an
 * event loop.
 */
#ifndef SNMPMGR_TRANSPORT_H
#define SNMPMGR_TRANSPORT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a socket is set up with.  Zero/empty fields leave OS defaults. */
struct transport_cfg {
	int			 family;	/* AF_INET or AF_INET6 */
	const char		*local_host;	/* NULL or "" = any */
	uint16_t		 local_port;	/* 0 = any */
	bool			 force_local_port; /* fail if it is busy */
	bool			 share_local_port; /* SO_REUSEPORT */
	const struct sockaddr	*connect_to;	/* NULL = unconnected */
	socklen_t		 connect_len;
	bool			 dont_fragment;
	bool			 broadcast;	/* SO_BROADCAST */
	int			 dscp;		/* -1 = OS default */
	int			 rcvbuf;	/* bytes; 0 = OS default */
	int			 sndbuf;
	bool			 stream;	/* TCP: connect_to required */
	/* A TCP socket without connect_to: SO_REUSEADDR, bound and
	 * listening with this backlog (stream set, backlog > 0). */
	int			 listen_backlog;
};

/* A cfg with every option at its default, for family. */
void	 transport_cfg_default(struct transport_cfg *cfg, int family);

/*
 * Open a non-blocking, close-on-exec UDP socket (IPV6_V6ONLY on IPv6) and
 * apply cfg.  With cfg->stream a TCP socket (TCP_NODELAY: requests go out
 * at once) whose connect to connect_to is started, not finished: the
 * socket turns writable when it is done (SO_ERROR says how); with
 * listen_backlog instead of connect_to, a listening TCP socket.
 * The socket or -1 with lasterr (SNMPMGR_ERR_NOT_IP_ADDRESS
 * for a bad local_host, SNMPMGR_ERR_ALREADY_ACTIVE when a forced local
 * port is in use, SNMPMGR_ERR_NOT_SUPPORTED for an option the system
 * refuses; the detail names the call and errno's text).
 */
int	 transport_open(const struct transport_cfg *cfg);

/*
 * One send (out, never raising SIGPIPE) or recv on a stream socket,
 * EINTR retried: the octets moved, 0 when the socket would block, -1
 * when the connection is gone (errno 0 when the peer closed it, else
 * why: reset, refused).
 */
ssize_t	 transport_stream_io(int fd, bool out, void *buf, size_t len);

/*
 * Addresses as text, the one formatter of the daemon and the library.
 * TRANSPORT_HOSTSTRLEN holds any host part with its NUL (an IPv6
 * address, '%' and an interface name or scope number);
 * TRANSPORT_ADDRSTRLEN any "[host]:port".
 */
#define TRANSPORT_HOSTSTRLEN	(46 + 1 + 16)
#define TRANSPORT_ADDRSTRLEN	(TRANSPORT_HOSTSTRLEN + 8)

/*
 * The IP address at ip (4 octets for AF_INET, 16 for AF_INET6) as
 * inet_ntop(3) writes it ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"
 * for a v4-mapped one), the dotted quad without sprintf (the trap
 * receiver's journal writes one per trap).  The length, or -1 with buf ""
 * for another family or a buf too short.
 */
int	 transport_ip_str(int family, const void *ip, char *buf, size_t size);

/*
 * The host part of sa (len octets): its address as transport_ip_str()
 * writes it, and with scope an IPv6 address's scope as getnameinfo(3)
 * with NI_NUMERICHOST adds it ("fe80::1%lo": the interface's name for a
 * link-local address, else the number; nothing for scope 0).  *port (if
 * port is not NULL) gets its port.  The length, or -1 with buf "" and
 * *port 0 for NULL, a len short of its family's sockaddr, a family other
 * than AF_INET and AF_INET6, or a buf too short.
 */
int	 transport_addr_host(const struct sockaddr *sa, socklen_t len,
	    bool scope, char *buf, size_t size, unsigned *port);

/* The size of a sockaddr of sa's family (AF_INET, AF_INET6), 0 for NULL
 * or another family: for an address whose length was not kept. */
socklen_t transport_addr_len(const struct sockaddr *sa);

/*
 * "192.0.2.1:161", "[2001:db8::1]:161" ("[fe80::1%lo]:161" with scope):
 * the length (cut to size as snprintf(3) does, and counted so), or -1
 * with buf "?" where transport_addr_host() fails.
 */
int	 transport_addr_str(const struct sockaddr *sa, socklen_t len,
	    bool scope, char *buf, size_t size);

/* The local address a socket is bound to, for tests and logs.  0 or -1. */
int	 transport_local(int fd, struct sockaddr_storage *ss, socklen_t *len);

/* One received datagram.  buf belongs to the transport_rx it came from. */
struct transport_dgram {
	uint8_t			*buf;
	size_t			 len;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
};

struct transport_rx;

/* Buffers for up to SNMPMGR_MAX_RECV_BATCH datagrams of SNMPMGR_MAX_DGRAM. */
struct transport_rx	*transport_rx_new(void);
void			 transport_rx_free(struct transport_rx *rx);

/*
 * Read what fd has, up to one batch.  Returns the number of datagrams
 * (0 when nothing is waiting) or -1 with errno.  Truncated datagrams are
 * skipped.  The datagrams stay valid until the next call with rx.
 */
int	 transport_recv(int fd, struct transport_rx *rx);
const struct transport_dgram *transport_rx_get(const struct transport_rx *rx,
	    int i);

/*
 * The outcome of a stream socket's connect once it is writable: 0, or -1
 * with errno (the connect's error).
 */
int	 transport_connected(int fd);
/* A stream's connect to sa failed with errno e: lasterr 397 (send
 * failed), "connecting to ADDR: " and e's text. */
void	 transport_connect_failed(const struct sockaddr *sa, socklen_t len,
	    int e);

/* Send one datagram (to == NULL on a connected socket).  0 or -1, errno. */
int	 transport_send(int fd, const uint8_t *buf, size_t len,
	    const struct sockaddr *to, socklen_t tolen);

/*
 * A send queue: datagrams held until transport_txq_flush() sends them
 * with one sendmmsg per run of one socket (sendto each where the system
 * lacks sendmmsg), so requests started together cost one system call.
 * Each datagram is copied in; a full queue (TRANSPORT_TXQ_MAX datagrams
 * or TRANSPORT_TXQ_BYTES octets) flushes itself first.  A datagram that
 * fails when flushed is counted, not reported: it is as lost as one the
 * network dropped, and the request's retries and timeout deal with it.
 */
#define TRANSPORT_TXQ_MAX	64
#define TRANSPORT_TXQ_BYTES	65536

struct transport_txq;

struct transport_txq	*transport_txq_new(void);
void			 transport_txq_free(struct transport_txq *q);
/* Queue one datagram for fd (to == NULL on a connected socket); when it
 * is larger than the queue holds it is sent at once.  0 or -1, errno. */
int	 transport_txq_add(struct transport_txq *q, int fd, const uint8_t *buf,
	    size_t len, const struct sockaddr *to, socklen_t tolen);
/* Send everything queued.  Returns how many datagrams failed. */
size_t	 transport_txq_flush(struct transport_txq *q);
/* Drop what is queued for fd (it is being closed). */
void	 transport_txq_forget(struct transport_txq *q, int fd);

#endif /* SNMPMGR_TRANSPORT_H */
