/*
 * tcp.h - SNMP over TCP (RFC 3430): the stream framing.
 *
 * RFC 3430 2.1 puts SNMP messages on a TCP stream back to back with no
 * framing of their own: each message is one BER SEQUENCE whose length
 * field says where it ends.  A framer reassembles them from whatever the
 * reads return: a message may arrive one octet at a time, span many reads,
 * or share one read with the next message.
 *
 * The framer is bounded: it never holds more than one message of at most
 * max_msg octets (plus the unread rest of one read).  A length field
 * announcing more than that, an indefinite length, or anything but a
 * SEQUENCE at a message boundary is refused (118 too long, 317 malformed)
 * and the framer stays failed: the stream cannot be resynchronised, so
 * the caller closes the connection.  No sockets here: the caller reads
 * and writes; outgoing messages need no framing at all (RFC 3430 2.1).
 */
#ifndef SNMPMGR_TCP_H
#define SNMPMGR_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tcp_framer;

/* max_msg 0 means SNMPMGR_MAX_TCP_MSG; more than that is capped there. */
struct tcp_framer	*tcp_framer_new(size_t max_msg);
void			 tcp_framer_free(struct tcp_framer *f);
/* Forget any partial message and a failure (a new connection). */
void			 tcp_framer_reset(struct tcp_framer *f);

/*
 * Take up to n octets from p.  Returns how many were taken, which is less
 * than n when a whole message is waiting to be collected with
 * tcp_framer_next(): collect it, then push the rest.  -1 when the framer
 * has failed (the error as recorded then) or memory ran out (errno).
 */
ssize_t	 tcp_framer_push(struct tcp_framer *f, const uint8_t *p, size_t n);

/*
 * The next complete message: 1 with *msg and *len set (valid until the
 * next call on f), 0 when none is complete yet, -1 on a framing error
 * (118 length beyond max_msg, 317 malformed or indefinite length): close
 * the connection.
 */
int	 tcp_framer_next(struct tcp_framer *f, const uint8_t **msg,
	    size_t *len);

/*
 * Push all n octets, calling cb for each complete message in order.
 * Stops and returns -1 when framing fails or cb returns -1; else 0.
 */
int	 tcp_framer_feed(struct tcp_framer *f, const uint8_t *p, size_t n,
	    int (*cb)(const uint8_t *msg, size_t len, void *arg), void *arg);

/* Octets held: a partial message or one not yet collected. */
size_t	 tcp_framer_pending(const struct tcp_framer *f);

#endif /* SNMPMGR_TCP_H */
