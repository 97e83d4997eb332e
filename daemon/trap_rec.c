/*
 * trap_rec.c - what the trap receiver (trap_rx.c, trap_tsm.c) makes of
 * an accepted notification: the trap OID and uptime folded out of it
 * (RFC 3584 3.1 for SNMPv1, RFC 3416 4.2.6 for the rest) and its journal
 * record, one line of JSON whose fields and order doc/protocol.md "Trap
 * journal records and events" gives.  Varbinds left undecoded by the raw
 * decoders (struct snmp_vbraw) are printed straight from their BER
 * octets.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/transport.h"
#include "core/usm.h"

#include "render.h"
#include "trap_rx.h"
#include "trap_rx_int.h"

static const struct oid oid_sysuptime = { 9, { 1, 3, 6, 1, 2, 1, 1, 3, 0 } };
static const struct oid oid_trapoid = { 11,
	{ 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 } };
static const struct oid oid_snmptraps = { 9, { 1, 3, 6, 1, 6, 3, 1, 1, 5 } };

/* ------------------------------------------------------------ folding */

int
trapproc_v1_trap_oid(const struct snmp_pdu *pdu, struct oid *out)
{
	if (pdu->generic_trap >= 0 && pdu->generic_trap <= 5) {
		*out = oid_snmptraps;
		out->arcs[out->len++] = (uint32_t)pdu->generic_trap + 1;
		return 0;
	}
	if (pdu->generic_trap != 6 || pdu->specific_trap < 0 ||
	    pdu->enterprise.len + 2 > SNMPMGR_MAX_OID_LEN ||
	    pdu->enterprise.len < 2)
		return -1;
	*out = pdu->enterprise;
	out->arcs[out->len++] = 0;
	out->arcs[out->len++] = (uint32_t)pdu->specific_trap;
	return 0;
}

int
trapproc_v2_fields(const struct snmp_pdu *pdu, int64_t *uptime,
    struct oid *trap_oid)
{
	const struct snmp_varbind *vb = pdu->vb;
	size_t	 i = 0;

	*uptime = -1;
	if (pdu->nvb > 0 && vb[0].value.type == SNMP_T_TIMETICKS &&
	    oid_cmp(&vb[0].name, &oid_sysuptime) == 0) {
		*uptime = (int64_t)vb[0].value.u;
		i = 1;
	}
	for (; i < pdu->nvb; i++) {
		if (oid_cmp(&vb[i].name, &oid_trapoid) != 0)
			continue;
		if (vb[i].value.type != SNMP_T_OID ||
		    oid_from_ber(trap_oid, vb[i].value.data,
		    vb[i].value.len) == -1)
			return -1;
		return 0;
	}
	return -1;
}

/* sysUpTime.0 and snmpTrapOID.0 as content octets (X.690 8.19: one
 * encoding per OID, so equal octets are equal OIDs). */
static const uint8_t ber_sysuptime[] = { 0x2b, 6, 1, 2, 1, 1, 3, 0 };
static const uint8_t ber_trapoid[] = { 0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static bool
tp_raw_is(const struct snmp_vbraw *vb, const uint8_t *ber, size_t n)
{
	return vb->namelen == n && memcmp(vb->name, ber, n) == 0;
}

int
tp_notif_v2(const struct snmp_pdu *pdu, struct tp_notif *n)
{
	const struct snmp_vbraw *vb = pdu->raw;
	size_t	 i = 0;

	n->ber = NULL;
	n->berlen = 0;
	if (vb == NULL)
		return trapproc_v2_fields(pdu, &n->uptime, &n->oid);
	/* trapproc_v2_fields() on names not decoded; the raw decoder
	 * checked every OID value already. */
	n->uptime = -1;
	if (pdu->nvb > 0 && vb[0].value.type == SNMP_T_TIMETICKS &&
	    tp_raw_is(&vb[0], ber_sysuptime, sizeof(ber_sysuptime))) {
		n->uptime = (int64_t)vb[0].value.u;
		i = 1;
	}
	for (; i < pdu->nvb; i++) {
		if (!tp_raw_is(&vb[i], ber_trapoid, sizeof(ber_trapoid)))
			continue;
		if (vb[i].value.type != SNMP_T_OID)
			return -1;
		n->ber = vb[i].value.data;
		n->berlen = vb[i].value.len;
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ records */

/* The octets as a quoted string of lowercase hex digits. */
void
tp_hex(struct render_buf *b, const uint8_t *p, size_t n)
{
	/* The quotes, the digits and hex_encode's NUL. */
	if (render_reserve(b, 2 * n + 3) == -1)
		return;
	b->p[b->len++] = '"';
	b->len += hex_encode(p, n, b->p + b->len, 2 * n + 1);
	b->p[b->len++] = '"';
}

/* An octet string field: text when it is, else "KEY_hex". */
void
tp_text_field(struct render_buf *b, const char *key, const uint8_t *p,
    size_t n)
{
	render_adds(b, ",\"");
	render_adds(b, key);
	if (render_is_text(p, n)) {
		render_adds(b, "\":");
		render_json_str(b, (const char *)p, n);
	} else {
		render_adds(b, "_hex\":");
		tp_hex(b, p, n);
	}
}

/* The listener spec as a JSON string: the same few in every record, so
 * escaped once and copied after. */
static void
tp_rec_listener(struct trapproc *tp, const char *listener)
{
	size_t	 n = strlen(listener);

	if (tp->lis_raw.len != n || tp->lis_json.len == 0 ||
	    memcmp(tp->lis_raw.p, listener, n) != 0) {
		render_buf_reset(&tp->lis_raw);
		render_buf_reset(&tp->lis_json);
		render_add(&tp->lis_raw, listener, n);
		render_json_str(&tp->lis_json, listener, n);
		if (tp->lis_raw.failed || tp->lis_json.failed) {
			render_buf_reset(&tp->lis_raw);
			render_buf_reset(&tp->lis_json);
			render_json_str(&tp->rec, listener, n);
			return;
		}
	}
	render_add(&tp->rec, tp->lis_json.p, tp->lis_json.len);
}

/* {"time":..,"type":..,"source":..,"port":..,"listener":..,"version":.. */
void
tp_rec_begin(struct trapproc *tp, const char *timestr, bool inform,
    const struct sockaddr *from, const char *listener, const char *version)
{
	struct render_buf	*b = &tp->rec;
	char			 addr[TRANSPORT_HOSTSTRLEN];
	unsigned		 port;

	/* "" and 0 for an address of another family. */
	transport_addr_host(from, transport_addr_len(from), false, addr,
	    sizeof(addr), &port);
	render_buf_reset(b);
	render_adds(b, "{\"time\":\"");
	render_adds(b, timestr);
	render_adds(b, inform ? "\",\"type\":\"inform\",\"source\":\"" :
	    "\",\"type\":\"trap\",\"source\":\"");
	render_adds(b, addr);
	render_adds(b, "\",\"port\":");
	render_u64(b, port);
	render_adds(b, ",\"listener\":");
	tp_rec_listener(tp, listener);
	render_adds(b, ",\"version\":\"");
	render_adds(b, version);
	render_adds(b, "\"");
	if (tp->transport != NULL) {
		render_adds(b, ",\"transport\":");
		render_json_str(b, tp->transport, strlen(tp->transport));
	}
}

uint64_t
tp_key_hash(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t	 w;
	size_t		 i = 0;

	h ^= 0x9e3779b97f4a7c15ULL ^ n;
	if (p == NULL)
		return h;
	for (; i + sizeof(w) <= n; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));	/* one load */
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (w = 0; i < n; i++)
		w = w << 8 | p[i];
	return (h ^ w) * 0xff51afd7ed558ccdULL;
}

/* ,"request_id":..,"uptime":..,"trap_oid":..,"varbinds":[..]} */
int
tp_rec_end(struct trapproc *tp, struct trapproc_out *out, bool have_reqid,
    int32_t reqid, const struct tp_notif *n, const struct snmp_pdu *pdu)
{
	struct render_buf	*b = &tp->rec;

	if (have_reqid) {
		render_adds(b, ",\"request_id\":");
		render_i64(b, reqid);
	}
	render_adds(b, ",\"uptime\":");
	if (n->uptime >= 0)
		render_u64(b, (uint64_t)n->uptime);
	else
		render_adds(b, "null");
	render_adds(b, ",\"trap_oid\":");
	if (n->ber != NULL)
		render_oid_ber(b, tp->bers, n->ber, n->berlen);
	else
		render_oid_cached(b, tp->oids, &n->oid);
	render_adds(b, ",\"varbinds\":");
	if (pdu->raw != NULL)
		render_varbinds_raw(b, tp->bers, pdu->raw, pdu->nvb);
	else
		render_varbinds_cached(b, tp->oids, pdu->vb, pdu->nvb);
	render_add(b, "}", 1);
	if (b->failed) {
		render_buf_reset(b);
		tp_reject(tp, out, TRAPPROC_MALFORMED, "out of memory "
		    "rendering the record");
		out->error = SNMPMGR_ERR_BUSY;
		return -1;
	}
	out->verdict = TRAPPROC_ACCEPT;
	out->reason = TRAPPROC_OK;
	out->request_id = have_reqid ? reqid : 0;
	/* A retransmission has the same octets of varbinds, and the same
	 * sender's name (traps.c tells it from a new inform). */
	if (pdu->type == SNMP_PDU_INFORM)
		out->vb_hash = tp_key_hash(n->who, pdu->vblist.p,
		    pdu->vblist.len);
	out->rec = b->p;
	out->reclen = b->len;
	return 0;
}
