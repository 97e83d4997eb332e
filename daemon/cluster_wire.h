/*
 * cluster_wire.h - the publishing thread's own NATS connection: a lean
 * client of NATS's text protocol (CONNECT with user and password, or a
 * creds file's JWT and the server's nonce signed with its seed; TLS
 * when configured or required; HPUB with a Nats-Msg-Id header, a batch
 * in one write; MSG and HMSG read back for the PubAcks).  One thread
 * uses one connection, blocking, with timeouts; nothing else of libnats
 * but nats_Sign().
 *
 * The parser and the encoder are pure (no socket), for the unit test.
 */
#ifndef SNMPMGRD_CLUSTER_WIRE_H
#define SNMPMGRD_CLUSTER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NW_ADDR_LEN	46	/* an IPv6 address as text, NUL included */
#define NW_HOST_LEN	256	/* a URL's host, NUL included (conf.h's
				 * CONFIG_NATS_HOST_LEN) */

/* What the server sent: one operation (and its payload). */
enum nw_op { NW_MSG, NW_PING, NW_PONG, NW_OK, NW_ERR, NW_INFO };

struct nw_frame {
	enum nw_op	 op;
	const char	*subj, *reply;	/* MSG/HMSG; reply "" when none */
	size_t		 subjlen, replylen;
	const char	*sid;
	size_t		 sidlen;
	const char	*hdr;		/* HMSG: "NATS/1.0 ...\r\n...\r\n\r\n" */
	size_t		 hdrlen;
	const char	*data;		/* payload; -ERR/INFO: its argument */
	size_t		 datalen;
};

/* A growing output buffer. */
struct nw_buf {
	char		*p;
	size_t		 len, cap;
};

/*
 * One operation from buf[0..len): the bytes it takes (> 0) with *f
 * pointing into buf, 0 when buf does not hold all of it yet, -1 when it
 * is not NATS protocol (or a payload is larger than max).
 */
ssize_t		 nw_parse(const char *buf, size_t len, size_t max,
		    struct nw_frame *f);

/* Append to b; -1 when out of memory.  HPUB subj reply with a
 * Nats-Msg-Id header; -2 (nothing appended) when header and payload
 * are longer than max (the server's max_payload; 0: no bound). */
int		 nw_put(struct nw_buf *b, const char *s, size_t len);
int		 nw_hpub(struct nw_buf *b, const char *subj, const char *reply,
		    const char *id, const char *data, size_t len, size_t max);
/* The same with the strings' lengths known. */
int		 nw_hpubn(struct nw_buf *b, const char *subj, size_t ls,
		    const char *reply, size_t lr, const char *id, size_t li,
		    const char *data, size_t len, size_t max);

/* Whether a PubAck (header and payload of a MSG or HMSG) says the
 * message was stored or was a duplicate: no status header, and a
 * payload nw_puback_parse() takes. */
bool		 nw_ack_ok(const struct nw_frame *f);

/*
 * A JetStream PubAck, p[0..n): one JSON object with "stream" (a
 * non-empty string) and "seq" (an unsigned decimal integer), perhaps
 * "domain" (a string) and "duplicate" (true or false), each at most
 * once, in any order, JSON white space between tokens.  Other members
 * (what a later server may add) are skipped when their values are well
 * formed (nested at most 8 deep).  An "error" member, a bad value of the
 * members read, bad JSON or trailing bytes is -1.  0 with *a set, stream
 * pointing into p (undecoded).
 */
struct nw_puback {
	const char		*stream;
	size_t			 streamlen;
	unsigned long long	 seq;
	bool			 duplicate;
};
int		 nw_puback_parse(const char *p, size_t n, struct nw_puback *a);

/* The number t[0..tl) writes in 1 to maxd (<= 19) decimal digits, or
 * false. */
bool		 nw_dec(const char *t, size_t tl, size_t maxd,
		    unsigned long long *v);
/* The decimal digits of v, at p (room for 20); their count. */
size_t		 nw_utoa(char *p, unsigned long long v);

/* A creds file's text: the user JWT and the seed (malloc'd, the caller
 * cleanses the seed), or -1. */
int		 nw_creds_parse(const char *text, char **jwt, char **seed);

/*
 * A server as the publishing thread reaches it: a numeric address,
 * never a name (names are looked up on the loop, cluster_addr.c), its
 * port, the name its certificate must carry (the URL's host) and
 * whether its URL is tls://.
 */
struct nw_server {
	char		 addr[NW_ADDR_LEN];
	char		 port[8];
	char		 name[NW_HOST_LEN];
	bool		 tls;
};

/* The connection. */
struct nw_opts {
	const struct nw_server *servers;
	int		 nservers;
	const char	*name;		/* the client's, in CONNECT */
	const char	*user, *password, *creds;
	const char	*ca, *cert, *key;
	int		 timeout_ms;
};

struct nwire;

/*
 * Connect to the next server of o (*next, advanced), authenticate and
 * read the first PONG; NULL with err set (never a secret) when none
 * took us.
 */
struct nwire	*nw_connect(const struct nw_opts *o, int *next, char *err,
		    size_t errlen);
/* SUB subj sid. 0 or -1 (connection lost). */
int		 nw_sub(struct nwire *w, const char *subj, const char *sid);
/* Write all of buf. 0 or -1 (connection lost). */
int		 nw_write(struct nwire *w, const char *buf, size_t len);
/*
 * The next MSG, HMSG or -ERR within ms (PINGs answered, PONGs, +OK
 * and INFO passed over): 1 with *f valid until the next call, 0 when
 * none came in time, -1 when the connection is lost.  ms 0: what has
 * come, without waiting; ms < 0: what was read already, with no
 * system call.
 */
int		 nw_next(struct nwire *w, struct nw_frame *f, int ms);
void		 nw_close(struct nwire *w);
/* The server's max_payload (0: no connection). */
size_t		 nw_max_payload(const struct nwire *w);

#endif /* SNMPMGRD_CLUSTER_WIRE_H */
