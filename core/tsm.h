/*
 * tsm.h - the Transport Security Model for SNMP (RFC 5591).
 *
 * Under TSM the secure transport (DTLS, TLS, SSH) authenticates the peer
 * and protects every message; the SNMPv3 message itself carries
 * msgSecurityModel 4, an empty msgSecurityParameters and a plaintext
 * ScopedPDU.  What is left for the security model: the name a message is
 * sent or received under (tmSecurityName, with the transport-domain
 * prefix of RFC 5591 5.2 step 3 when snmpTsmConfigurationUsePrefix is
 * on), and the level check of RFC 5591 5.2 step 4: a message may ask for
 * at most the level the transport provides.
 *
 * Nothing here keeps state; the caller owns the counters of
 * SNMP-TSM-MIB (struct tsm_stats) and passes them in.
 */
#ifndef SNMPMGR_TSM_H
#define SNMPMGR_TSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct oid;
struct snmp_msg;
struct v3_out;

/* SnmpSecurityLevel (RFC 3411 5). */
enum tsm_level {
	TSM_LEVEL_NOAUTH	= 1,	/* noAuthNoPriv */
	TSM_LEVEL_AUTH		= 2,	/* authNoPriv */
	TSM_LEVEL_PRIV		= 3,	/* authPriv */
};

/* Secure transport domains and their prefixes (RFC 5591 5.2 step 3). */
enum tsm_domain {
	TSM_DOMAIN_NONE		= 0,	/* no prefix known */
	TSM_DOMAIN_SSH		= 1,	/* "ssh"  RFC 5592 */
	TSM_DOMAIN_TLS		= 2,	/* "tls"  RFC 6353 (TLS over TCP) */
	TSM_DOMAIN_DTLS		= 3,	/* "dtls" RFC 6353 (DTLS over UDP) */
};

/* SNMP-TSM-MIB snmpTsmStats (RFC 5591 6), 1.3.6.1.2.1.190.1.1.N. */
struct tsm_stats {
	uint64_t	 invalid_caches;	/* .1 */
	uint64_t	 inadequate_levels;	/* .2 */
	uint64_t	 unknown_prefixes;	/* .3 */
	uint64_t	 invalid_prefixes;	/* .4 */
};

/*
 * RFC 5343 contextEngineID discovery: a GET of snmpEngineID.0
 * (SNMP-FRAMEWORK-MIB) in the localEngineID context, the
 * contextEngineID 0x8000000006 that whoever receives it takes as its own.
 */
#define TSM_LOCAL_ENGINE_ID_LEN	5
extern const uint8_t	 tsm_local_engine_id[TSM_LOCAL_ENGINE_ID_LEN];
extern const struct oid	 tsm_oid_snmp_engine_id0;

/* "dtls", "tls", "ssh"; NULL for TSM_DOMAIN_NONE or anything else. */
const char	*tsm_prefix(enum tsm_domain d);
/* "noAuthNoPriv", "authNoPriv", "authPriv"; NULL for anything else. */
const char	*tsm_level_name(int level);
/* The level a message's msgFlags ask for; 0 for the invalid priv-only. */
int		 tsm_level_of_flags(uint8_t flags);
/* msgFlags for a level, with the reportable flag when asked. */
uint8_t		 tsm_flags(enum tsm_level level, bool reportable);

/*
 * RFC 5591 4.2 step 2 (outgoing, no cached state): the tmSecurityName to
 * hand the transport for securityName sn[0..n).  Without use_prefix it is
 * sn itself.  With use_prefix, sn must start with the domain's prefix and
 * ':' (else snmpTsmUnknownPrefixes when the domain has none,
 * snmpTsmInvalidPrefixes when sn's prefix is missing or another), and the
 * result is what follows it.  *tm points into sn.  0 or -1 (326).  st may
 * be NULL.
 */
int	 tsm_name_out(enum tsm_domain d, bool use_prefix, const char *sn,
	    size_t n, const char **tm, size_t *tm_len, struct tsm_stats *st);

/*
 * RFC 5591 5.2 step 3 (incoming): the securityName for tmSecurityName
 * tm[0..n), the transport's authenticated name: a copy, or with
 * use_prefix the domain's prefix, ':' and the copy
 * (snmpTsmUnknownPrefixes when the domain has none).  The result is
 * NUL-terminated in out (size octets) and at most SNMPMGR_MAX_SECNAME_LEN
 * long; an empty name, a NUL inside or a longer result is refused.
 * 0 or -1 (326).  st may be NULL.
 */
int	 tsm_name_in(enum tsm_domain d, bool use_prefix, const uint8_t *tm,
	    size_t n, char *out, size_t size, struct tsm_stats *st);

/*
 * RFC 5591 5.2 step 4: a message asking for level when the transport
 * provides transport_level.  At or below it: 0.  Above it: -1 (327),
 * snmpTsmInadequateSecurityLevels counted.  st may be NULL.
 */
int	 tsm_check_level(int level, int transport_level, struct tsm_stats *st);

/*
 * Encode an outgoing message (RFC 5591 4.2) through v3_encode_tsm():
 * o->flags carry the level (tsm_flags()); a level above transport_level
 * is refused (327), as the transport could not honour it.  Returns the
 * length with *out inside buf, or -1 (118, 327).
 */
ssize_t	 tsm_encode(const struct v3_out *o, int transport_level,
	    uint8_t *buf, size_t size, const uint8_t **out);

/*
 * Check a decoded message that arrived over a secure transport providing
 * transport_level (RFC 3412 7.2, RFC 5591 5.2): SNMPv3 with
 * msgSecurityModel 4, valid flags and a plaintext ScopedPDU, then the
 * level.  msgSecurityParameters is not used (RFC 5591 3.2).  0 or -1
 * (317 encrypted msgData or priv without auth, 305 not v3, 316 another
 * security model, 327 level above the transport's, counted in st).
 * st may be NULL.
 */
int	 tsm_check_msg(const struct snmp_msg *msg, int transport_level,
	    struct tsm_stats *st);

/*
 * Decode an incoming message into msg (msg->pdu.vb and maxvb set by the
 * caller) and check it as tsm_check_msg() does.  0 or -1 (317 malformed,
 * and tsm_check_msg()'s).
 */
int	 tsm_decode(const uint8_t *buf, size_t len, int transport_level,
	    struct snmp_msg *msg, struct tsm_stats *st);

#endif /* SNMPMGR_TSM_H */
