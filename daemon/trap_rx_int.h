/*
 * trap_rx_int.h - what the two files of the trap receiver's datagram
 * module share (trap_rx.c: communities and USM; trap_tsm.c: messages
 * that arrived over DTLS under the Transport Security Model): the state
 * of a struct trapproc and the journal record builder.  Not for use
 * outside daemon/trap_rx.c and daemon/trap_tsm.c.
 */
#ifndef SNMPMGRD_TRAP_RX_INT_H
#define SNMPMGRD_TRAP_RX_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/tsm.h"
#include "core/usm.h"

#include "render.h"
#include "trap_rx.h"

/* A token bucket: up to `burst` tokens, refilled at `rate` a second. */
struct tp_bucket {
	uint32_t	 tokens;
	int64_t		 last;		/* the second of the last refill */
};

struct tp_user {
	char		 name[SNMPMGR_MAX_USER_LEN + 1];
	size_t		 namelen;
	enum usm_auth	 auth;
	enum usm_priv	 priv;
	struct usm_cred	*cred;
	uint8_t		(*engines)[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		*englens;
	size_t		 nengines;
	size_t		 order;		/* as added, for a stable sort */
	struct tp_bucket learn;		/* new sender engines it may teach */
};

struct tp_engine {
	struct tp_engine	*hnext;
	TAILQ_ENTRY(tp_engine)	 lru;
	uint32_t		 hash;
	size_t			 len;
	uint8_t			 id[SNMPMGR_MAX_ENGINE_ID_LEN];
	int64_t			 seen;	/* last authenticated message */
	struct usm_timeliness	 t;
	/* The keys its last authenticated message was checked with
	 * (a reference), and their credential's usm_cred_id: the next
	 * one from that user needs no lookup in the key cache. */
	struct usm_user		*user;
	uint64_t		 cred_id;
};

/* A source prefix's Reports: family (4, 6 or 0 for others) and the /24
 * or /64. */
#define TP_PREFIX_KEY		9
#define TP_PREFIX_WAYS		4	/* a prefix may sit in 4 slots */

struct tp_prefix {
	uint8_t			 key[TP_PREFIX_KEY];
	bool			 used;
	struct tp_bucket	 reports;
};

struct trapproc {
	char			**communities;
	size_t			*commlens;
	size_t			 ncommunities;

	struct tp_user		*users;
	size_t			 nusers;
	bool			 sorted;
	struct usm_cache	*keys;

	struct tp_engine	**ehash;
	size_t			 ehsize;	/* power of two */
	TAILQ_HEAD(, tp_engine)	 elru;		/* least recent first */
	size_t			 nengines;
	size_t			 maxengines;

	struct tp_prefix	*prefixes;	/* sets of TP_PREFIX_WAYS */
	size_t			 nprefixsets;	/* power of two */
	const struct sockaddr	*from;		/* of the datagram at hand */
	const char		*transport;	/* its stream's, or NULL */

	uint8_t			 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t			 engine_id_len;
	uint32_t		 boots;
	int64_t			 boot_now;
	bool			 auto_ack;
	bool			 ack_room;	/* trapproc_set_ack_room */

	struct snmp_varbind	*vb;
	struct snmp_vbraw	*raw;		/* the same, undecoded names */
	uint8_t			*dec;		/* a decrypted ScopedPDU */
	uint8_t			*enc;		/* encoding scratch */
	uint8_t			*enc2;
	uint8_t			*reply;
	struct render_buf	 rec;
	struct render_oidcache	*oids;		/* the record's OID texts */
	struct render_bercache	*bers;		/* the same by BER octets */
	/* The last listener spec seen and its JSON string, rendered once. */
	struct render_buf	 lis_raw;
	struct render_buf	 lis_json;
	struct trapproc_stats	 st;
	uint64_t		 engine_key_hits;	/* keys from tp_engine */
	struct tsm_stats	 tsm;		/* SNMP-TSM-MIB snmpTsmStats */
};

/* Count a rejection and fill out with its reason and detail. */
void	 tp_reject(struct trapproc *tp, struct trapproc_out *out,
	    enum trapproc_reason r, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* An inform (auto_ack on) that no acknowledgement could be queued for
 * now: refused (TRAPPROC_ACK_QUEUE_FULL) and true; else false. */
bool	 tp_inform_no_room(struct trapproc *tp, struct trapproc_out *out);
/* The octets as a quoted string of lowercase hex digits. */
void	 tp_hex(struct render_buf *b, const uint8_t *p, size_t n);
/* An octet string field: text when it is, else "KEY_hex". */
void	 tp_text_field(struct render_buf *b, const char *key,
	    const uint8_t *p, size_t n);
/* {"time":..,"type":..,"source":..,"port":..,"listener":..,"version":.. */
void	 tp_rec_begin(struct trapproc *tp, const char *timestr, bool inform,
	    const struct sockaddr *from, const char *listener,
	    const char *version);
/*
 * What a record says of a notification besides its varbinds: uptime (-1:
 * none) and the trap OID, decoded (oid) or, for varbinds a *_raw decoder
 * left, as its checked content octets in the message (ber, berlen).
 */
struct tp_notif {
	int64_t		 uptime;
	const uint8_t	*ber;		/* NULL: oid */
	size_t		 berlen;
	struct oid	 oid;
	uint64_t	 who;		/* tp_key_hash of the names it came
					 * under: version and community, or
					 * user, level and context */
};

/* h and the n octets at p, mixed (a retransmission's key, traps.c). */
uint64_t tp_key_hash(uint64_t h, const uint8_t *p, size_t n);

/* RFC 3416 4.2.6: uptime and snmpTrapOID.0 of an SNMPv2-Trap or inform,
 * either kind of varbinds.  0 or -1 (no snmpTrapOID.0). */
int	 tp_notif_v2(const struct snmp_pdu *pdu, struct tp_notif *n);
/* ,"request_id":..,"uptime":..,"trap_oid":..,"varbinds":[..]}: out filled
 * for an accepted record.  0 or -1. */
int	 tp_rec_end(struct trapproc *tp, struct trapproc_out *out,
	    bool have_reqid, int32_t reqid, const struct tp_notif *n,
	    const struct snmp_pdu *pdu);

#endif /* SNMPMGRD_TRAP_RX_INT_H */
