/*
 * tsm.c - the Transport Security Model (RFC 5591): security names with
 * or without the transport-domain prefix, the level check, and the
 * message with msgSecurityModel 4 built and opened through v3.c.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "errors.h"
#include "limits.h"
#include "pdu.h"
#include "tsm.h"
#include "v3.h"

const uint8_t	 tsm_local_engine_id[TSM_LOCAL_ENGINE_ID_LEN] = {
	0x80, 0x00, 0x00, 0x00, 0x06
};
const struct oid tsm_oid_snmp_engine_id0 = { 11,
	{ 1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0 } };

const char *
tsm_prefix(enum tsm_domain d)
{
	switch (d) {
	case TSM_DOMAIN_SSH:
		return "ssh";
	case TSM_DOMAIN_TLS:
		return "tls";
	case TSM_DOMAIN_DTLS:
		return "dtls";
	default:
		return NULL;
	}
}

const char *
tsm_level_name(int level)
{
	switch (level) {
	case TSM_LEVEL_NOAUTH:
		return "noAuthNoPriv";
	case TSM_LEVEL_AUTH:
		return "authNoPriv";
	case TSM_LEVEL_PRIV:
		return "authPriv";
	default:
		return NULL;
	}
}

int
tsm_level_of_flags(uint8_t flags)
{
	switch (flags & V3_LEVEL_MASK) {
	case 0:
		return TSM_LEVEL_NOAUTH;
	case SNMP_MSGFLAG_AUTH:
		return TSM_LEVEL_AUTH;
	case SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV:
		return TSM_LEVEL_PRIV;
	default:
		return 0;
	}
}

uint8_t
tsm_flags(enum tsm_level level, bool reportable)
{
	uint8_t	 f = reportable ? SNMP_MSGFLAG_REPORT : 0;

	if (level >= TSM_LEVEL_AUTH)
		f |= SNMP_MSGFLAG_AUTH;
	if (level >= TSM_LEVEL_PRIV)
		f |= SNMP_MSGFLAG_PRIV;
	return f;
}

/* RFC 5591 4.2 step 2: check and strip the securityName's prefix. */
int
tsm_name_out(enum tsm_domain d, bool use_prefix, const char *sn, size_t n,
    const char **tm, size_t *tm_len, struct tsm_stats *st)
{
	const char	*pfx;
	size_t		 pl;

	if (!use_prefix) {
		*tm = sn;
		*tm_len = n;
		return 0;
	}
	if ((pfx = tsm_prefix(d)) == NULL) {
		if (st != NULL)
			st->unknown_prefixes++;
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME,
		    "tsm_use_prefix: no prefix known for this transport");
		return -1;
	}
	pl = strlen(pfx);
	if (n <= pl + 1 || memcmp(sn, pfx, pl) != 0 || sn[pl] != ':') {
		if (st != NULL)
			st->invalid_prefixes++;
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME,
		    "tsm_use_prefix: security name must be \"%s:NAME\"",
		    pfx);
		return -1;
	}
	*tm = sn + pl + 1;
	*tm_len = n - pl - 1;
	return 0;
}

/* RFC 5591 5.2 step 3: securityName from tmSecurityName. */
int
tsm_name_in(enum tsm_domain d, bool use_prefix, const uint8_t *tm, size_t n,
    char *out, size_t size, struct tsm_stats *st)
{
	const char	*pfx = NULL;
	size_t		 pl = 0;

	if (use_prefix) {
		if ((pfx = tsm_prefix(d)) == NULL) {
			if (st != NULL)
				st->unknown_prefixes++;
			snmpmgr_seterr(SNMPMGR_ERR_USER_NAME,
			    "tsm_use_prefix: no prefix known for this "
			    "transport");
			return -1;
		}
		pl = strlen(pfx) + 1;
	}
	if (n == 0 || memchr(tm, '\0', n) != NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME,
		    "tmSecurityName empty or with a NUL octet");
		return -1;
	}
	if (pl + n > SNMPMGR_MAX_SECNAME_LEN || pl + n >= size) {
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME,
		    "securityName of %zu octets, at most %d", pl + n,
		    SNMPMGR_MAX_SECNAME_LEN);
		return -1;
	}
	if (use_prefix) {
		memcpy(out, pfx, pl - 1);
		out[pl - 1] = ':';
	}
	memcpy(out + pl, tm, n);
	out[pl + n] = '\0';
	return 0;
}

/* RFC 5591 5.2 step 4. */
int
tsm_check_level(int level, int transport_level, struct tsm_stats *st)
{
	if (level >= TSM_LEVEL_NOAUTH && level <= transport_level)
		return 0;
	if (st != NULL)
		st->inadequate_levels++;
	snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL,
	    "message asks for %s, the transport provides %s",
	    tsm_level_name(level) ? tsm_level_name(level) : "an invalid level",
	    tsm_level_name(transport_level) ? tsm_level_name(transport_level) :
	    "none");
	return -1;
}

ssize_t
tsm_encode(const struct v3_out *o, int transport_level, uint8_t *buf,
    size_t size, const uint8_t **out)
{
	int	 level = tsm_level_of_flags(o->flags);

	/* RFC 5591 4.2: the transport must honour tmRequestedSecurityLevel. */
	if (level != 0 && level > transport_level) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL,
		    "%s asked, the transport provides %s",
		    tsm_level_name(level), tsm_level_name(transport_level) ?
		    tsm_level_name(transport_level) : "none");
		return -1;
	}
	return v3_encode_tsm(o, buf, size, out);
}

int
tsm_check_msg(const struct snmp_msg *msg, int transport_level,
    struct tsm_stats *st)
{
	if (msg->version != SNMP_V3) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "SNMP version %d over a secure transport, only 3",
		    msg->version);
		return -1;
	}
	if (v3_check_header(msg, SNMP_SECMODEL_TSM) == -1)
		return -1;
	/* The transport encrypts; TSM's msgData is always a ScopedPDU. */
	if (msg->encrypted != NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "TSM message with an encryptedPDU");
		return -1;
	}
	return tsm_check_level(tsm_level_of_flags(msg->msg_flags),
	    transport_level, st);
}

int
tsm_decode(const uint8_t *buf, size_t len, int transport_level,
    struct snmp_msg *msg, struct tsm_stats *st)
{
	if (snmp_msg_decode(buf, len, msg) == -1)
		return -1;
	return tsm_check_msg(msg, transport_level, st);
}
