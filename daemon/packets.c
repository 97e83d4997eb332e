/*
 * packets.c - the datagrams of the manager sessions, as the daemon tells
 * about them (packets.h).
 *
 * Traces.  Nothing is traced until someone subscribes to "trace" events:
 * the event bus tells this module whenever its subscriptions change, and
 * only then are the session engine's trace hooks set.  The engine asks
 * once per session (and again after each change) whether that session's
 * datagrams are wanted, so an untraced datagram costs a flag test.  A
 * trace event describes one datagram sent or received: direction, peer,
 * length, version, request ID or msgID, PDU type, the varbinds when
 * they travel in clear (SNMPv1/v2c, or SNMPv3 without privacy) or when
 * the session has decrypt_trace, and the hex of the whole datagram.
 * Keys and passwords never appear in a datagram; communities do, so
 * with mask_sensitive_data (the default) the community is "***" in the
 * decoded fields and its octets "**" in the hex.
 *
 * Bad packets.  The engine calls back for every datagram it drops (not
 * decodable, from the wrong address, the wrong version, an unknown
 * request ID, an SNMPv3 message that fails its checks ...).  Each is
 * counted by its numbered reason, logged once at warning level per
 * session (then at debug level, until the session has had none for ten
 * minutes: STYLE.md), and published as a "bad-packet" event with the
 * first 64 octets in hex.
 */
#include <config.h>		/* autoconf's */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/usm.h"
#include "core/v3.h"

#include "daemon.h"
#include "engineid.h"
#include "events.h"
#include "log.h"
#include "packets.h"
#include "render.h"
#include "sessions.h"
#include "state.h"

/* Octets of a bad packet shown in hex (as the trap receiver does). */
#define PK_BAD_HEX		64
/* Bad packets stop being "the same problem" after this quiet spell. */
#define PK_QUIET_MS		(10 * 60 * 1000)
/* Distinct numbered reasons counted one by one; more go to "other". */
#define PK_NCODES		PACKETS_NCODES

struct pk_count {
	int		 code;
	uint64_t	 n;
};

struct packets {
	struct daemon		*d;
	struct snmp_varbind	*vb;		/* decode scratch */
	struct render_buf	 rb;
	bool			 tracing;	/* engine hooks set */

	struct log_repeat	 rep_unmatched;
	uint64_t		 unmatched_last_ms;
	uint64_t		 bad;
	struct pk_count		 by_code[PK_NCODES];
	uint64_t		 bad_other;
	uint64_t		 traces;
};

/* --------------------------------------------------------- formatting */

/* n octets as lowercase hex; those in [moff, moff + mlen) as "**". */
static json_t *
pk_hex(const uint8_t *buf, size_t n, size_t moff, size_t mlen)
{
	json_t	*j;
	char	*s;
	size_t	 i;

	if ((s = malloc(2 * n + 1)) == NULL)
		return NULL;
	hex_encode(buf, n, s, 2 * n + 1);
	for (i = moff; mlen > 0 && i < n && i - moff < mlen; i++)
		s[2 * i] = s[2 * i + 1] = '*';
	j = json_stringn(s, 2 * n);
	free(s);
	return j;
}

/* A BER length at p (avail octets): 0 with its header size and value. */
static int
pk_ber_len(const uint8_t *p, size_t avail, size_t *hdr, size_t *len)
{
	size_t	 i, k;

	if (avail < 1)
		return -1;
	if (p[0] < 0x80) {
		*hdr = 1;
		*len = p[0];
		return 0;
	}
	k = p[0] & 0x7f;
	if (k == 0 || k > 4 || avail < 1 + k)
		return -1;
	*len = 0;
	for (i = 1; i <= k; i++)
		*len = (*len << 8) | p[i];
	*hdr = 1 + k;
	return 0;
}

/*
 * Where the community of an SNMPv1/v2c message lies in buf (RFC 1157 4,
 * RFC 1901 3: SEQUENCE { INTEGER version, OCTET STRING community, ...}),
 * cut to what buf holds, so it can be masked even in a datagram that is
 * cut short or broken further on.  0 with *off and *n, or -1 when buf
 * does not begin like one.
 */
static int
pk_community_span(const uint8_t *buf, size_t len, size_t *off, size_t *n)
{
	size_t	 pos, h, l, i;

	if (len < 2 || buf[0] != 0x30 ||
	    pk_ber_len(buf + 1, len - 1, &h, &l) == -1)
		return -1;
	pos = 1 + h;
	if (pos >= len || buf[pos] != 0x02 ||
	    pk_ber_len(buf + pos + 1, len - pos - 1, &h, &l) == -1 ||
	    l == 0 || l > 4)
		return -1;
	pos += 1 + h;
	if (l > len - pos)
		return -1;
	/* version 0 (v1) or 1 (v2c), with any leading zero octets */
	for (i = 0; i + 1 < l; i++)
		if (buf[pos + i] != 0)
			return -1;
	if (buf[pos + l - 1] > 1)
		return -1;
	pos += l;
	if (pos >= len || buf[pos] != 0x04 ||
	    pk_ber_len(buf + pos + 1, len - pos - 1, &h, &l) == -1)
		return -1;
	pos += 1 + h;
	if (pos > len)
		return -1;
	*off = pos;
	*n = l < len - pos ? l : len - pos;
	return 0;
}

json_t *
packets_hex(const uint8_t *buf, size_t n, bool mask)
{
	size_t	 coff = 0, clen;

	if (!mask || pk_community_span(buf, n, &coff, &clen) == -1)
		clen = 0;
	return pk_hex(buf, n, coff, clen);
}

/* A JSON string of octets: text when printable, else {"hex"}-style. */
static void
pk_set_octets(json_t *o, const char *key, const char *hexkey,
    const uint8_t *p, size_t n)
{
	if (render_is_text(p, n))
		json_object_set_new(o, key, json_stringn((const char *)p, n));
	else
		json_object_set_new(o, hexkey, pk_hex(p, n, 0, 0));
}

/* ------------------------------------------------------------- options */

/* A boolean of the session's config extras, or def. */
static bool
pk_extra_bool(const struct dsess *ds, const char *key, bool def)
{
	json_t	*v;

	if (ds == NULL || ds->cs == NULL ||
	    (v = json_object_get(sessions_extra(ds), key)) == NULL ||
	    !json_is_boolean(v))
		return def;
	return json_is_true(v);
}

bool
packets_mask(const struct dsess *ds)
{
	return pk_extra_bool(ds, "mask_sensitive_data", true);
}

bool
packets_decrypt_trace(const struct dsess *ds)
{
	return pk_extra_bool(ds, "decrypt_trace", false);
}

/* -------------------------------------------------------------- traces */

/* The PDU's fields; its varbinds only when vbs. */
static void
pk_trace_pdu(struct packets *pk, json_t *o, const struct snmp_pdu *pdu,
    bool vbs)
{
	json_error_t	 jerr;
	const char	*name;

	name = snmp_pdu_type_name(pdu->type);
	json_object_set_new(o, "pdu_type", name != NULL ? json_string(name) :
	    json_integer(pdu->type));
	if (pdu->type == SNMP_PDU_TRAP_V1)
		return;
	json_object_set_new(o, "request_id", json_integer(pdu->request_id));
	if (!vbs)
		return;
	if (pdu->type == SNMP_PDU_GETBULK) {
		json_object_set_new(o, "non_repeaters",
		    json_integer(pdu->error_status));
		json_object_set_new(o, "max_repetitions",
		    json_integer(pdu->error_index));
	} else {
		json_object_set_new(o, "error_status",
		    json_integer(pdu->error_status));
		json_object_set_new(o, "error_index",
		    json_integer(pdu->error_index));
	}
	render_buf_reset(&pk->rb);
	render_varbinds(&pk->rb, pdu->vb, pdu->nvb);
	if (!pk->rb.failed)
		json_object_set_new(o, "varbinds", json_loadb(pk->rb.p,
		    pk->rb.len, 0, &jerr));
}

/* The SNMPv3 header: msgID, level, user, engine. */
static void
pk_trace_v3_header(json_t *o, const struct snmp_msg *msg)
{
	struct usm_secparams	 sp;
	char			 eid[2 + 2 * SNMPMGR_MAX_ENGINE_ID_LEN + 1];

	json_object_set_new(o, "msg_id", json_integer(msg->msg_id));
	json_object_set_new(o, "security_level", json_string(
	    (msg->msg_flags & SNMP_MSGFLAG_PRIV) ? "authPriv" :
	    (msg->msg_flags & SNMP_MSGFLAG_AUTH) ? "authNoPriv" :
	    "noAuthNoPriv"));
	json_object_set_new(o, "reportable",
	    json_boolean(msg->msg_flags & SNMP_MSGFLAG_REPORT));
	json_object_set_new(o, "encrypted", json_boolean(msg->encrypted !=
	    NULL));
	if (v3_secparams(msg, &sp) == -1)
		return;
	pk_set_octets(o, "user", "user_hex", sp.user, sp.user_len);
	if (sp.engine_id_len > 0) {
		engineid_format(sp.engine_id, sp.engine_id_len, eid,
		    sizeof(eid));
		json_object_set_new(o, "engine_id", json_string(eid));
	}
	json_object_set_new(o, "engine_boots", json_integer(sp.boots));
	json_object_set_new(o, "engine_time", json_integer(sp.time));
}

/* The ScopedPDU's context (shown with its PDU). */
static void
pk_trace_context(json_t *o, const struct snmp_msg *msg)
{
	char	 eid[2 + 2 * SNMPMGR_MAX_ENGINE_ID_LEN + 1];

	if (msg->context_engine_id_len > 0) {
		engineid_format(msg->context_engine_id,
		    msg->context_engine_id_len, eid, sizeof(eid));
		json_object_set_new(o, "context_engine_id", json_string(eid));
	}
	pk_set_octets(o, "context_name", "context_name_hex",
	    msg->context_name != NULL ? msg->context_name :
	    (const uint8_t *)"", msg->context_name_len);
}

static bool
pk_trace_wanted(struct sess *s, void *arg)
{
	struct packets		*pk = arg;
	const struct dsess	*ds = sess_get_udata(s);

	return events_subscribed(pk->d->events, EV_TRACE,
	    ds != NULL ? ds->name : NULL);
}

/*
 * The version, header and PDU members of a trace of the datagram buf:
 * msg when the engine decoded (and for SNMPv3 decrypted, taken) it,
 * else (NULL) decoded here; for an encrypted one sent, its clear PDU (tpdu) when
 * known.  Varbinds of an encrypted message only with dtrace.
 */
static void
pk_trace_body(struct packets *pk, json_t *o, const struct snmp_msg *msg,
    const uint8_t *buf, size_t len, bool out, const uint8_t *tpdu,
    size_t tpdu_len, bool mask, bool dtrace)
{
	const struct snmp_pdu	*pdu = NULL;
	struct snmp_msg		 m2;
	struct snmp_pdu		 p2;
	bool			 vbs = false, taken = msg != NULL;

	if (msg == NULL) {
		memset(&m2, 0, sizeof(m2));
		m2.pdu.vb = pk->vb;
		m2.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
		if (snmp_msg_decode(buf, len, &m2) == 0)
			msg = &m2;
		else
			json_object_set_new(o, "decode_error",
			    json_string(snmpmgr_lasterr_detail()));
	}
	if (msg != NULL && msg->version != SNMP_V3) {
		json_object_set_new(o, "version", json_string(
		    msg->version == SNMP_V1 ? "1" : "2c"));
		if (mask)
			json_object_set_new(o, "community", json_string("***"));
		else
			pk_set_octets(o, "community", "community_hex",
			    msg->community, msg->community_len);
		pdu = &msg->pdu;
		vbs = true;
	} else if (msg != NULL) {
		json_object_set_new(o, "version", json_string("3"));
		pk_trace_v3_header(o, msg);
		if (msg->encrypted == NULL) {
			/* In clear on the wire anyway. */
			pdu = &msg->pdu;
			vbs = true;
		} else if (taken) {
			/* Taken, so decrypted by the engine. */
			pdu = &msg->pdu;
			vbs = dtrace;
		} else if (out && tpdu != NULL) {
			memset(&p2, 0, sizeof(p2));
			p2.vb = pk->vb;
			p2.maxvb = SNMPMGR_MAX_VARBINDS;
			if (snmp_pdu_decode(tpdu, tpdu_len, &p2) == 0) {
				pdu = &p2;
				vbs = dtrace;
			}
		}
		if (vbs && (msg->encrypted == NULL || taken))
			pk_trace_context(o, msg);
		if (msg->encrypted != NULL)
			json_object_set_new(o, "decrypted", json_boolean(vbs));
	}
	if (pdu != NULL)
		pk_trace_pdu(pk, o, pdu, vbs);
	json_object_set_new(o, "hex", packets_hex(buf, len, mask));
}

/* The members every trace starts with. */
static json_t *
pk_trace_new(bool out, const char *peer, size_t len)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "direction", json_string(out ? "out" : "in"));
	json_object_set_new(o, "address", json_string(peer));
	json_object_set_new(o, "length", json_integer((json_int_t)len));
	return o;
}

/* One datagram of a traced session: a "trace" event. */
static void
pk_trace_cb(struct sess *s, const struct sess_trace *t, void *arg)
{
	struct packets		*pk = arg;
	const struct dsess	*ds = sess_get_udata(s);
	const char		*name = ds != NULL ? ds->name : NULL, *msgtext;
	char			 peer[TRANSPORT_ADDRSTRLEN];
	json_t			*o;

	transport_addr_str(t->peer, t->peerlen, true, peer, sizeof(peer));
	if ((o = pk_trace_new(t->out, peer, t->len)) == NULL)
		return;
	if (t->error != 0) {
		msgtext = snmpmgr_strerror(t->error);
		json_object_set_new(o, "error", json_pack("{s:i,s:s,s:s}",
		    "code", t->error, "message", msgtext ? msgtext : "?",
		    "detail", t->detail != NULL ? t->detail : ""));
	} else if (t->detail != NULL)
		json_object_set_new(o, "note", json_string(t->detail));
	pk_trace_body(pk, o, t->msg, t->buf, t->len, t->out, t->pdu,
	    t->pdu_len, packets_mask(ds), packets_decrypt_trace(ds));
	pk->traces++;
	events_publish(pk->d->events, EV_TRACE, name, o);
}

bool
packets_tracing(const struct packets *pk)
{
	return pk != NULL && events_subscribed(pk->d->events, EV_TRACE, NULL);
}

void
packets_trace_datagram(struct packets *pk, bool out,
    const struct sockaddr *peer, socklen_t peerlen, const uint8_t *buf,
    size_t len, const char *listener, const char *note)
{
	char	 addr[TRANSPORT_ADDRSTRLEN];
	json_t	*o;

	if (!packets_tracing(pk))
		return;
	transport_addr_str(peer, peerlen, true, addr, sizeof(addr));
	if ((o = pk_trace_new(out, addr, len)) == NULL)
		return;
	json_object_set_new(o, "origin", json_string("traps"));
	if (listener != NULL)
		json_object_set_new(o, "listener", json_string(listener));
	if (note != NULL)
		json_object_set_new(o, "note", json_string(note));
	/* Communities masked as in the receiver's bad-packet events; an
	 * encrypted PDU is not shown. */
	pk_trace_body(pk, o, NULL, buf, len, out, NULL, 0, true, false);
	pk->traces++;
	events_publish(pk->d->events, EV_TRACE, NULL, o);
}

/* The event bus's subscriptions changed: hook traces on or off. */
static void
pk_events_cb(void *arg)
{
	struct packets		*pk = arg;
	struct sess_trace_hooks	 h;
	bool			 on;

	on = events_any(pk->d->events, EV_TRACE);
	if (!on && !pk->tracing)
		return;
	if (on) {
		memset(&h, 0, sizeof(h));
		h.wanted = pk_trace_wanted;
		h.trace = pk_trace_cb;
		h.arg = pk;
		/* Also when it was on: sessions ask anew who is wanted. */
		sess_mgr_set_trace(pk->d->mgr, &h);
	} else
		sess_mgr_set_trace(pk->d->mgr, NULL);
	if (on != pk->tracing)
		log_debug("packets: traces %s", on ? "on" : "off");
	pk->tracing = on;
}

/* --------------------------------------------------------- bad packets */

static void
pk_count(struct packets *pk, int code)
{
	size_t	 i;

	pk->bad++;
	for (i = 0; i < PK_NCODES; i++) {
		if (pk->by_code[i].code == code) {
			pk->by_code[i].n++;
			return;
		}
		if (pk->by_code[i].code == 0) {
			pk->by_code[i].code = code;
			pk->by_code[i].n = 1;
			return;
		}
	}
	pk->bad_other++;
}

/* Log once per problem: again at warning level after a quiet spell. */
static void
pk_log(struct log_repeat *rep, uint64_t *last_ms, uint64_t now,
    const char *who, const char *src, int code, const char *why)
{
	char	 what[SNMPMGR_MAX_NAME_LEN + 80];

	if (rep->active && now - *last_ms > PK_QUIET_MS) {
		snprintf(what, sizeof(what), "%s: no bad packets for %d "
		    "minutes", who, PK_QUIET_MS / 60000);
		log_repeat_clear(rep, what);
	}
	*last_ms = now;
	log_repeat(rep, "%s: bad packet from %s: %s (%d): %s", who, src,
	    snmpmgr_strerror(code), code, why);
}

static void
pk_badpkt_cb(struct sess_mgr *m, struct sess *s, int error,
    const char *detail, const struct sockaddr *from, const uint8_t *buf,
    size_t len, void *arg)
{
	struct packets		*pk = arg;
	struct dsess		*ds = s != NULL ? sess_get_udata(s) : NULL;
	const struct sockaddr	*sa;
	const char		*name = ds != NULL ? ds->name : NULL, *msg;
	char			 why[300], src[TRANSPORT_HOSTSTRLEN];
	char			 peer[TRANSPORT_ADDRSTRLEN];
	char			 who[SNMPMGR_MAX_NAME_LEN + 16];
	char			 agent[TRANSPORT_ADDRSTRLEN];
	size_t			 n;
	socklen_t		 salen = 0;
	unsigned		 port;
	uint64_t		 now = state_now_ms();
	json_t			*o;

	/* detail may be the engine's lasterr text: keep a copy. */
	snprintf(why, sizeof(why), "%s", detail != NULL ? detail : "");
	pk_count(pk, error);
	salen = transport_addr_len(from);
	if (transport_addr_host(from, salen, false, src, sizeof(src),
	    &port) == -1)
		snprintf(src, sizeof(src), "?");
	transport_addr_str(from, salen, true, peer, sizeof(peer));
	agent[0] = '\0';
	if (s != NULL) {
		sa = sess_addr(s, &salen);
		transport_addr_str(sa, salen, true, agent, sizeof(agent));
	}
	if (ds != NULL) {
		ds->bad_code = error;
		snprintf(who, sizeof(who), "session %s", ds->name);
		pk_log(&ds->rep_bad, &ds->bad_last_ms, now, who, peer, error,
		    why);
	} else if (s != NULL)
		log_debug("target %s: bad packet from %s: %s (%d): %s", agent,
		    peer, snmpmgr_strerror(error), error, why);
	else
		pk_log(&pk->rep_unmatched, &pk->unmatched_last_ms, now,
		    "session engine", peer, error, why);

	if (!events_wanted(pk->d->events, EV_BAD_PACKET, name))
		return;
	n = len < PK_BAD_HEX ? len : PK_BAD_HEX;
	msg = snmpmgr_strerror(error);
	o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i,s:I}", "origin", "session",
	    "code", error, "message", msg != NULL ? msg : "?", "detail", why,
	    "source", src, "port", (int)port, "length", (json_int_t)len);
	if (o == NULL)
		return;
	if (agent[0] != '\0')
		json_object_set_new(o, "address", json_string(agent));
	json_object_set_new(o, "hex", packets_hex(buf, n, packets_mask(ds)));
	events_publish(pk->d->events, EV_BAD_PACKET, name, o);
}

/* ---------------------------------------------------------- lifetime */

struct packets *
packets_new(struct daemon *d)
{
	struct packets	*pk;

	if ((pk = calloc(1, sizeof(*pk))) == NULL ||
	    (pk->vb = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*pk->vb))) == NULL) {
		log_warnx("packets: out of memory");
		free(pk);
		return NULL;
	}
	pk->d = d;
	render_buf_init(&pk->rb);
	sess_mgr_set_badpkt_cb(d->mgr, pk_badpkt_cb, pk);
	events_set_change_cb(d->events, pk_events_cb, pk);
	pk_events_cb(pk);
	return pk;
}

void
packets_free(struct packets *pk)
{
	if (pk == NULL)
		return;
	if (pk->d->events != NULL)
		events_set_change_cb(pk->d->events, NULL, NULL);
	if (pk->d->mgr != NULL) {
		sess_mgr_set_badpkt_cb(pk->d->mgr, NULL, NULL);
		sess_mgr_set_trace(pk->d->mgr, NULL);
	}
	render_buf_free(&pk->rb);
	free(pk->vb);
	free(pk);
}

void
packets_info(const struct packets *pk, struct packets_info *pi)
{
	size_t	 i;

	memset(pi, 0, sizeof(*pi));
	for (i = 0; i < PK_NCODES && pk->by_code[i].code != 0; i++) {
		pi->by_code[i].code = pk->by_code[i].code;
		pi->by_code[i].n = pk->by_code[i].n;
	}
	pi->ncodes = i;
	pi->bad_other = pk->bad_other;
	pi->bad = pk->bad;
	pi->traces = pk->traces;
}
