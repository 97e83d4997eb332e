/*
 * trap_tcp.h - one TCP trap listener (RFC 3430) on the event loop: it
 * accepts the senders' connections, reassembles the SNMP messages from
 * each stream with the core/tcp.h framer and hands them to the caller
 * (traps.c), which answers an inform or a probe over the same
 * connection through trap_tcp_send().
 *
 * Bounds (traps.tcp): at most max_connections open at once (a new one
 * past that closes the least recently active), per connection one
 * message of at most SNMPMGR_MAX_TCP_MSG octets being read, and no more
 * is read from one while TRAP_TCP_MAX_OUT octets of its answers wait for
 * the sender to take them (until it took half); a connection idle
 * (neither sending nor taking answers) for idle_timeout, or holding a
 * message begun message_timeout ago and still unfinished, is closed
 * (not while it is held: trap_tcp_hold()).
 * A message whose length field announces more than the bound, or a
 * stream that is no BER, closes that connection only (counted).
 */
#ifndef SNMPMGRD_TRAP_TCP_H
#define SNMPMGRD_TRAP_TCP_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_traps_tcp;
struct daemon;
struct trap_tcp;

/* Answers queued on one connection that the sender has not read, from
 * which it is not read any more (one settling may add more). */
#define TRAP_TCP_MAX_OUT	(256 * 1024)
/* Octets one recv takes from a connection, and the most messages they
 * can complete: a message has at least 2 octets, and one may have begun
 * in the read before. */
#define TRAP_TCP_READ		16384
#define TRAP_TCP_READ_MSGS	(TRAP_TCP_READ / 2 + 1)

/* The connection a message came on. */
struct trap_tcp_peer {
	uint64_t		 id;	/* for trap_tcp_send() */
	const struct sockaddr	*from;
	socklen_t		 fromlen;
};

typedef void (*trap_tcp_msg_cb)(void *arg, const struct trap_tcp_peer *p,
    const uint8_t *msg, size_t len);

struct trap_tcp_stats {
	uint64_t	 connections;	/* open now */
	uint64_t	 accepted;
	uint64_t	 evicted;	/* to stay within max_connections */
	uint64_t	 idle_closed;
	uint64_t	 timeouts;	/* a message not finished in time */
	uint64_t	 peer_closed;	/* closed or reset by the sender */
	uint64_t	 framing_errors; /* stream refused: closed */
	uint64_t	 too_long;	/* of them: length beyond the bound */
	uint64_t	 overflow;	/* answers not taken: not read */
	uint64_t	 held;		/* connections not read now */
	uint64_t	 holds;		/* times one was held */
	uint64_t	 messages;	/* SNMP messages received */
	uint64_t	 sent;		/* answers sent */
	uint64_t	 send_errors;
	uint64_t	 accept_errors;
};

/*
 * A listener on the listening TCP socket fd (the caller's; not closed
 * here), named spec in logs; it watches fd for connections itself.
 * Messages go to cb(arg, ...).  NULL when out of memory.
 */
struct trap_tcp	*trap_tcp_new(struct daemon *d, int fd, const char *spec,
		    const struct config_traps_tcp *conf, trap_tcp_msg_cb cb,
		    void *arg);
/* Closes every connection.  NULL is fine. */
void		 trap_tcp_free(struct trap_tcp *tt);
/* After a reload: the new argument of the callback, the new bounds (a
 * lower max_connections closes the least recently active at once). */
void		 trap_tcp_reconfigure(struct trap_tcp *tt,
		    const struct config_traps_tcp *conf, void *arg);

/*
 * One SNMP message to connection id, queued: 0, or -1 when it is gone.
 * It is written by trap_tcp_flush(), at the end of the read that
 * queued it, or once TT_GATHER octets wait on the connection.
 */
int		 trap_tcp_send(struct trap_tcp *tt, uint64_t id,
		    const uint8_t *msg, size_t len);
/* Write what trap_tcp_send() queued on each connection, one write each
 * (a connection whose write fails is closed). */
void		 trap_tcp_flush(struct trap_tcp *tt);

/*
 * Backpressure.  While on is true no connection is read: each one is
 * left alone (its sender's writes fill the socket buffers and TCP flow
 * control stops it) from the next recv it would have made, at most
 * TRAP_TCP_READ octets after the call.  Turned off, the connections held
 * are watched again in the order they were held, each with its idle
 * and message timers started afresh.
 */
void		 trap_tcp_hold(struct trap_tcp *tt, bool on);

void		 trap_tcp_get_stats(const struct trap_tcp *tt,
		    struct trap_tcp_stats *st);

#endif /* SNMPMGRD_TRAP_TCP_H */
