/*
 * pdu.c - SNMP messages and PDUs to and from BER: v1 and v2c messages
 * (RFC 1157 4, RFC 3416 3 with RFC 1901), the v3 message wrapper and
 * ScopedPDU (RFC 3412 6), every PDU type and every value type of SMIv2
 * (RFC 2578 7.1) plus the v2 exception values.
 *
 * Decoding is zero-copy and strict: each element must fill its container
 * exactly, values are range-checked for their type, and a failure names
 * the part of the message that is wrong ("varbind 3: offset 61: length
 * 200 past end of message (12 left)").
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ber.h"
#include "errors.h"
#include "pdu.h"

/* Prefix the current error detail with what was being decoded. */
static int pdu_errctx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
pdu_errctx(const char *fmt, ...)
{
	char	 what[64], detail[200];
	va_list	 ap;

	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snmpmgr_seterr(snmpmgr_lasterr(), "%s: %s", what, detail);
	return -1;
}

/* RFC 2578 7.1, RFC 3416 3: a value element into v, checked for its type. */
static int
pdu_value_decode(const struct ber *b, const struct ber_tlv *t,
    struct snmp_value *v)
{
	uint64_t	 u;
	uint32_t	 u32;
	int64_t		 i;
	size_t		 off = (size_t)(t->start - b->base);

	v->type = t->tag;
	v->u = 0;
	v->data = NULL;
	v->len = 0;
	switch (t->tag) {
	case SNMP_T_INTEGER:
		if (ber_decode_int(t->data, t->len, &i) == -1)
			return pdu_errctx("offset %zu", off);
		if (i < INT32_MIN || i > INT32_MAX) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "offset %zu: Integer32 %lld out of range", off,
			    (long long)i);
			return -1;
		}
		v->i = i;
		break;
	case SNMP_T_COUNTER32:
	case SNMP_T_GAUGE32:
	case SNMP_T_TIMETICKS:
	case SNMP_T_UINTEGER32:
		/* Negative encodings are read modulo 2^32 (ber.h). */
		if (ber_decode_uint32(t->data, t->len, &u32) == -1)
			return pdu_errctx("offset %zu: %s", off,
			    snmp_type_name(t->tag));
		v->u = u32;
		break;
	case SNMP_T_COUNTER64:
		if (ber_decode_uint(t->data, t->len, &u) == -1)
			return pdu_errctx("offset %zu: Counter64", off);
		v->u = u;
		break;
	case SNMP_T_IPADDR:
		if (t->len != 4) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "offset %zu: IpAddress of %zu octets, 4 expected",
			    off, t->len);
			return -1;
		}
		/* FALLTHROUGH */
	case SNMP_T_OCTETS:
	case SNMP_T_OPAQUE:
	case SNMP_T_NSAP:
		v->data = t->data;
		v->len = t->len;
		break;
	case SNMP_T_OID:
		if (oid_ber_check(t->data, t->len) == -1)
			return pdu_errctx("offset %zu", off);
		v->data = t->data;
		v->len = t->len;
		break;
	case SNMP_T_NULL:
	case SNMP_T_NOSUCHOBJECT:
	case SNMP_T_NOSUCHINSTANCE:
	case SNMP_T_ENDOFMIBVIEW:
		if (t->len != 0) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "offset %zu: %s with %zu content octets", off,
			    snmp_type_name(t->tag), t->len);
			return -1;
		}
		break;
	default:
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: unknown value type 0x%02x", off, t->tag);
		return -1;
	}
	return 0;
}

/*
 * The varbind list holds more than max: count the rest (elements only,
 * not decoded) so the detail says how many it held.  Always -1.
 */
static int
pdu_varbinds_past(struct ber *list, size_t n, size_t max)
{
	struct ber_tlv	 t;

	while (!ber_at_end(list) && ber_read_tlv(list, &t) == 0)
		n++;
	if (ber_at_end(list))
		snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "%zu varbinds, more than %zu", n, max);
	else
		snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "more than %zu varbinds", max);
	return -1;
}

/*
 * The next name of the list asked (a cursor over a VarBindList's content,
 * encoded here) in *p, *n; NULL when it has no more.
 */
static void
pdu_asked_next(struct ber *asked, const uint8_t **p, size_t *n)
{
	const uint8_t	*q = asked->p;
	size_t		 left = (size_t)(asked->end - q);
	struct ber	 vb;
	struct ber_tlv	 t;

	*p = NULL;
	*n = 0;
	/* Short forms, as a poll's list is: SEQUENCE, then the name first. */
	if (left >= 4 && q[0] == BER_TAG_SEQUENCE && q[1] < 0x80 &&
	    (size_t)q[1] + 2 <= left && q[2] == BER_TAG_OID && q[3] < 0x80 &&
	    (size_t)q[3] + 2 <= q[1]) {
		*p = q + 4;
		*n = q[3];
		asked->p = q + 2 + q[1];
		return;
	}
	if (ber_at_end(asked) || ber_enter(asked, BER_TAG_SEQUENCE, &vb) ==
	    -1 || ber_read_tag(&vb, BER_TAG_OID, &t) == -1)
		return;
	*p = t.data;
	*n = t.len;
}

/*
 * VarBindList (RFC 3416 3): SEQUENCE OF SEQUENCE { name, value }.  asked:
 * the list of the request, for raw names (pdu_decode_expect), or NULL.
 */
static int
pdu_varbinds_decode(struct ber *b, struct snmp_pdu *pdu,
    struct ber *asked)
{
	struct ber	 list, vb;
	struct ber_tlv	 t;
	const uint8_t	*ap;
	size_t		 an;
	struct snmp_varbind *v;
	struct snmp_vbraw *r;
	struct snmp_value *val;
	size_t		 max = pdu->maxvb, n = 0;
	int		 rv;

	if (max > SNMPMGR_MAX_VARBINDS)
		max = SNMPMGR_MAX_VARBINDS;
	if (pdu->vb == NULL && pdu->raw == NULL)
		max = 0;
	pdu->vblist.p = b->p;
	if (ber_enter(b, BER_TAG_SEQUENCE, &list) == -1)
		return pdu_errctx("varbind list");
	pdu->vblist.len = (size_t)(list.end - pdu->vblist.p);
	while (!ber_at_end(&list)) {
		if (n >= max)
			return pdu_varbinds_past(&list, n, max);
		if (ber_enter(&list, BER_TAG_SEQUENCE, &vb) == -1)
			rv = -1;
		else if (pdu->raw != NULL) {
			r = &pdu->raw[n];
			val = &r->value;
			ap = NULL;
			an = 0;
			if (asked != NULL)
				pdu_asked_next(asked, &ap, &an);
			rv = ber_read_oid_asked(&vb, ap, an, &r->name,
			    &r->namelen, &r->asked);
		} else {
			v = &pdu->vb[n];
			val = &v->value;
			rv = ber_read_oid(&vb, &v->name);
		}
		if (rv == -1 ||
		    ber_read_tlv(&vb, &t) == -1 ||
		    pdu_value_decode(&vb, &t, val) == -1 ||
		    ber_expect_end(&vb, "varbind") == -1) {
			pdu->nvb = n;
			return pdu_errctx("varbind %zu", n + 1);
		}
		n++;
	}
	pdu->nvb = n;
	return 0;
}

static bool
pdu_type_known(uint8_t type)
{
	return type >= SNMP_PDU_GET && type <= SNMP_PDU_REPORT;
}

/* The PDU element t (already read from b) into pdu. */
static int
pdu_decode_tlv(const struct ber *b, const struct ber_tlv *t,
    struct snmp_pdu *pdu, struct ber *asked)
{
	struct ber	 c;
	const uint8_t	*addr;
	size_t		 addrlen;
	int32_t		 x;
	uint32_t	 ts;

	pdu->type = t->tag;
	pdu->request_id = pdu->error_status = pdu->error_index = 0;
	pdu->enterprise.len = 0;
	memset(pdu->agent_addr, 0, sizeof(pdu->agent_addr));
	pdu->generic_trap = pdu->specific_trap = 0;
	pdu->time_stamp = 0;
	pdu->nvb = 0;
	if (!pdu_type_known(t->tag)) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE,
		    "offset %zu: unknown PDU type 0x%02x",
		    (size_t)(t->start - b->base), t->tag);
		return -1;
	}
	if (ber_enter_tlv(b, t, &c) == -1)
		return pdu_errctx("PDU");
	if (t->tag == SNMP_PDU_TRAP_V1) {
		/* RFC 1157 4.1.6 */
		if (ber_read_oid(&c, &pdu->enterprise) == -1)
			return pdu_errctx("trap enterprise");
		if (ber_read_octets(&c, SNMP_T_IPADDR, &addr, &addrlen) == -1)
			return pdu_errctx("trap agent-addr");
		if (addrlen != 4) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "trap agent-addr: %zu octets, 4 expected", addrlen);
			return -1;
		}
		memcpy(pdu->agent_addr, addr, 4);
		if (ber_read_int32(&c, BER_TAG_INTEGER, &pdu->generic_trap) ==
		    -1)
			return pdu_errctx("trap generic-trap");
		if (ber_read_int32(&c, BER_TAG_INTEGER, &pdu->specific_trap) ==
		    -1)
			return pdu_errctx("trap specific-trap");
		if (ber_read_uint32(&c, SNMP_T_TIMETICKS, &ts) == -1)
			return pdu_errctx("trap time-stamp");
		pdu->time_stamp = ts;
	} else {
		if (ber_read_int32(&c, BER_TAG_INTEGER, &pdu->request_id) == -1)
			return pdu_errctx("request-id");
		if (ber_read_int32(&c, BER_TAG_INTEGER, &x) == -1)
			return pdu_errctx(t->tag == SNMP_PDU_GETBULK ?
			    "non-repeaters" : "error-status");
		pdu->error_status = x;
		if (ber_read_int32(&c, BER_TAG_INTEGER, &x) == -1)
			return pdu_errctx(t->tag == SNMP_PDU_GETBULK ?
			    "max-repetitions" : "error-index");
		pdu->error_index = x;
	}
	if (pdu_varbinds_decode(&c, pdu, asked) == -1)
		return -1;
	return ber_expect_end(&c, "PDU");
}

int
snmp_pdu_decode(const uint8_t *buf, size_t len, struct snmp_pdu *pdu)
{
	struct ber	 b;
	struct ber_tlv	 t;

	pdu->raw = NULL;
	ber_init(&b, buf, len);
	if (ber_read_tlv(&b, &t) == -1)
		return pdu_errctx("PDU");
	if (pdu_decode_tlv(&b, &t, pdu, NULL) == -1)
		return -1;
	return ber_expect_end(&b, "PDU buffer");
}

/* RFC 3412 6: ScopedPDU ::= SEQUENCE { contextEngineID, contextName, data } */
static int
pdu_scoped_decode(struct ber *b, struct snmp_msg *msg)
{
	struct ber	 s;
	struct ber_tlv	 t;

	if (ber_enter(b, BER_TAG_SEQUENCE, &s) == -1)
		return pdu_errctx("ScopedPDU");
	if (ber_read_octets(&s, BER_TAG_OCTETS, &msg->context_engine_id,
	    &msg->context_engine_id_len) == -1)
		return pdu_errctx("contextEngineID");
	if (msg->context_engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "contextEngineID of %zu octets, at most %d",
		    msg->context_engine_id_len, SNMPMGR_MAX_ENGINE_ID_LEN);
		return -1;
	}
	if (ber_read_octets(&s, BER_TAG_OCTETS, &msg->context_name,
	    &msg->context_name_len) == -1)
		return pdu_errctx("contextName");
	if (msg->context_name_len > SNMPMGR_MAX_CONTEXT_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "contextName of %zu octets, at most %d",
		    msg->context_name_len, SNMPMGR_MAX_CONTEXT_LEN);
		return -1;
	}
	if (ber_read_tlv(&s, &t) == -1)
		return pdu_errctx("PDU");
	if (t.tag == SNMP_PDU_TRAP_V1) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE,
		    "SNMPv1 Trap-PDU in an SNMPv3 message");
		return -1;
	}
	if (pdu_decode_tlv(&s, &t, &msg->pdu, NULL) == -1)
		return -1;
	return ber_expect_end(&s, "ScopedPDU");
}

int
snmp_scoped_pdu_decode(const uint8_t *buf, size_t len, struct snmp_msg *msg)
{
	return snmp_scoped_pdu_decode_raw(buf, len, msg, NULL);
}

int
snmp_scoped_pdu_decode_raw(const uint8_t *buf, size_t len,
    struct snmp_msg *msg, struct snmp_vbraw *raw)
{
	struct ber	 b;

	msg->pdu.raw = raw;
	ber_init(&b, buf, len);
	/* Trailing octets are cipher padding (RFC 3414 8.1.1.3): ignored. */
	return pdu_scoped_decode(&b, msg);
}

/* RFC 3412 6: the v3 message after msgVersion. */
static int
pdu_msg_v3_decode(struct ber *m, struct snmp_msg *msg)
{
	struct ber	 g;
	struct ber_tlv	 t;
	const uint8_t	*flags;
	size_t		 flagslen;

	if (ber_enter(m, BER_TAG_SEQUENCE, &g) == -1)
		return pdu_errctx("msgGlobalData");
	if (ber_read_int32(&g, BER_TAG_INTEGER, &msg->msg_id) == -1)
		return pdu_errctx("msgID");
	if (ber_read_int32(&g, BER_TAG_INTEGER, &msg->msg_max_size) == -1)
		return pdu_errctx("msgMaxSize");
	if (ber_read_octets(&g, BER_TAG_OCTETS, &flags, &flagslen) == -1)
		return pdu_errctx("msgFlags");
	if (ber_read_int32(&g, BER_TAG_INTEGER, &msg->msg_security_model) ==
	    -1)
		return pdu_errctx("msgSecurityModel");
	if (ber_expect_end(&g, "msgGlobalData") == -1)
		return -1;
	/* RFC 3412 6: the ranges of the header fields. */
	if (msg->msg_id < 0) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "msgID %d negative",
		    msg->msg_id);
		return -1;
	}
	if (msg->msg_max_size < 484) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgMaxSize %d below 484", msg->msg_max_size);
		return -1;
	}
	if (flagslen != 1) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgFlags of %zu octets, 1 expected", flagslen);
		return -1;
	}
	msg->msg_flags = flags[0];
	if (msg->msg_security_model < 1) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgSecurityModel %d out of range",
		    msg->msg_security_model);
		return -1;
	}
	if (ber_read_octets(m, BER_TAG_OCTETS, &msg->sec_params,
	    &msg->sec_params_len) == -1)
		return pdu_errctx("msgSecurityParameters");
	if (ber_peek_tag(m, &t.tag) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "msgData missing");
		return -1;
	}
	if (t.tag == BER_TAG_OCTETS) {
		if (ber_read_octets(m, BER_TAG_OCTETS, &msg->encrypted,
		    &msg->encrypted_len) == -1)
			return pdu_errctx("encryptedPDU");
		return 0;
	}
	if (t.tag != BER_TAG_SEQUENCE) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgData: tag 0x%02x is neither ScopedPDU nor encryptedPDU",
		    t.tag);
		return -1;
	}
	return pdu_scoped_decode(m, msg);
}

int
snmp_msg_decode(const uint8_t *buf, size_t len, struct snmp_msg *msg)
{
	return snmp_msg_decode_raw(buf, len, msg, NULL);
}

int
snmp_msg_decode_raw(const uint8_t *buf, size_t len, struct snmp_msg *msg,
    struct snmp_vbraw *raw)
{
	return snmp_msg_decode_expect(buf, len, msg, raw, NULL);
}

int
snmp_msg_decode_expect(const uint8_t *buf, size_t len, struct snmp_msg *msg,
    struct snmp_vbraw *raw, const struct snmp_vbl *asked)
{
	struct snmp_varbind *vb = msg->pdu.vb;
	size_t		 maxvb = msg->pdu.maxvb;
	struct ber	 b, m, al, *alp = NULL;
	struct ber_tlv	 t;

	memset(msg, 0, offsetof(struct snmp_msg, pdu));
	msg->pdu.vb = vb;
	msg->pdu.maxvb = maxvb;
	msg->pdu.nvb = 0;
	msg->pdu.raw = raw;

	ber_init(&b, buf, len);
	if (ber_enter(&b, BER_TAG_SEQUENCE, &m) == -1)
		return pdu_errctx("message");
	if (ber_expect_end(&b, "datagram") == -1)
		return -1;
	if (ber_read_int32(&m, BER_TAG_INTEGER, &msg->version) == -1)
		return pdu_errctx("msgVersion");
	switch (msg->version) {
	case SNMP_V1:
	case SNMP_V2C:
		break;
	case SNMP_V3:
		if (pdu_msg_v3_decode(&m, msg) == -1)
			return -1;
		return ber_expect_end(&m, "message");
	default:
		snmpmgr_seterr(SNMPMGR_ERR_VERSION, "msgVersion %d",
		    msg->version);
		return -1;
	}
	/* RFC 1157 4, RFC 1901 3: community, then the PDU. */
	if (ber_read_octets(&m, BER_TAG_OCTETS, &msg->community,
	    &msg->community_len) == -1)
		return pdu_errctx("community");
	if (msg->community_len > SNMPMGR_MAX_COMMUNITY_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "community of %zu octets, at most %d",
		    msg->community_len, SNMPMGR_MAX_COMMUNITY_LEN);
		return -1;
	}
	if (ber_read_tlv(&m, &t) == -1)
		return pdu_errctx("PDU");
	/* RFC 1157 4.1 has five PDUs; RFC 3416 3 has no Trap-PDU. */
	if (msg->version == SNMP_V1 && (t.tag == SNMP_PDU_GETBULK ||
	    t.tag == SNMP_PDU_INFORM || t.tag == SNMP_PDU_TRAP ||
	    t.tag == SNMP_PDU_REPORT)) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE, "%s in an SNMPv1 message",
		    snmp_pdu_type_name(t.tag));
		return -1;
	}
	if (msg->version == SNMP_V2C && t.tag == SNMP_PDU_TRAP_V1) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE,
		    "SNMPv1 Trap-PDU in an SNMPv2c message");
		return -1;
	}
	/* The request's list is ours: a bad one is no expectation. */
	if (asked != NULL && raw != NULL) {
		ber_init(&b, asked->p, asked->len);
		if (ber_enter(&b, BER_TAG_SEQUENCE, &al) == 0)
			alp = &al;
	}
	if (pdu_decode_tlv(&m, &t, &msg->pdu, alp) == -1)
		return -1;
	return ber_expect_end(&m, "message");
}

int
snmp_msg_peek_id(const uint8_t *buf, size_t len, int32_t *id)
{
	struct ber	 b, m, p;
	struct ber_tlv	 t;
	const uint8_t	*c;
	size_t		 clen;
	int32_t		 v;

	ber_init(&b, buf, len);
	if (ber_enter(&b, BER_TAG_SEQUENCE, &m) == -1 ||
	    ber_read_int32(&m, BER_TAG_INTEGER, &v) == -1 ||
	    (v != SNMP_V1 && v != SNMP_V2C) ||
	    ber_read_octets(&m, BER_TAG_OCTETS, &c, &clen) == -1 ||
	    ber_read_tlv(&m, &t) == -1 || ber_enter_tlv(&m, &t, &p) == -1 ||
	    ber_read_int32(&p, BER_TAG_INTEGER, id) == -1)
		return -1;
	return 0;
}

int
snmp_vbraw_decode(const struct snmp_vbraw *raw, size_t n,
    struct snmp_varbind *vb)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (oid_from_ber(&vb[i].name, raw[i].name, raw[i].namelen) ==
		    -1)
			return -1;
		vb[i].value = raw[i].value;
	}
	return 0;
}

/* Encoding.  Everything is written last element first. */

static int
pdu_value_write(struct ber_wr *w, const struct snmp_value *v)
{
	switch (v->type) {
	case SNMP_T_INTEGER:
		if (v->i < INT32_MIN || v->i > INT32_MAX) {
			snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
			    "Integer32 %lld out of range", (long long)v->i);
			return -1;
		}
		return ber_wr_int(w, v->type, v->i);
	case SNMP_T_COUNTER32:
	case SNMP_T_GAUGE32:
	case SNMP_T_TIMETICKS:
	case SNMP_T_UINTEGER32:
		if (v->u > UINT32_MAX) {
			snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
			    "%s %llu out of range", snmp_type_name(v->type),
			    (unsigned long long)v->u);
			return -1;
		}
		/* FALLTHROUGH */
	case SNMP_T_COUNTER64:
		return ber_wr_uint(w, v->type, v->u);
	case SNMP_T_IPADDR:
		if (v->len != 4) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS,
			    "IpAddress of %zu octets", v->len);
			return -1;
		}
		/* FALLTHROUGH */
	case SNMP_T_OCTETS:
	case SNMP_T_OPAQUE:
	case SNMP_T_NSAP:
	case SNMP_T_OID:
		if (v->data == NULL && v->len > 0) {
			snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
			    "%s value without data", snmp_type_name(v->type));
			return -1;
		}
		return ber_wr_octets(w, v->type, v->data, v->len, NULL);
	case SNMP_T_NULL:
	case SNMP_T_NOSUCHOBJECT:
	case SNMP_T_NOSUCHINSTANCE:
	case SNMP_T_ENDOFMIBVIEW:
		return ber_wr_null(w, v->type);
	default:
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
		    "unknown value type 0x%02x", v->type);
		return -1;
	}
}

/* The VarBindList of vb[0..nvb) (RFC 3416 3), last varbind first. */
static int
pdu_vbl_write(struct ber_wr *w, const struct snmp_varbind *vb, size_t nvb)
{
	size_t	 lmark = ber_wr_len(w), vmark, i;

	for (i = nvb; i > 0; i--) {
		const struct snmp_varbind *v = &vb[i - 1];

		vmark = ber_wr_len(w);
		if (pdu_value_write(w, &v->value) == -1 ||
		    ber_wr_oid(w, &v->name) == -1 ||
		    ber_wr_close(w, BER_TAG_SEQUENCE, vmark) == -1)
			return pdu_errctx("varbind %zu", i);
	}
	return ber_wr_close(w, BER_TAG_SEQUENCE, lmark);
}

/* pdu, its VarBindList copied from vbl when not NULL. */
static int
pdu_write(struct ber_wr *w, const struct snmp_pdu *pdu,
    const struct snmp_vbl *vbl)
{
	size_t	 mark = ber_wr_len(w);

	if (!pdu_type_known(pdu->type)) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE, "PDU type 0x%02x",
		    pdu->type);
		return -1;
	}
	if (pdu->nvb > SNMPMGR_MAX_VARBINDS ||
	    (vbl == NULL && pdu->nvb > 0 && pdu->vb == NULL)) {
		snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "%zu varbinds to encode", pdu->nvb);
		return -1;
	}
	if ((vbl != NULL ? ber_wr_raw(w, vbl->p, vbl->len) :
	    pdu_vbl_write(w, pdu->vb, pdu->nvb)) == -1)
		return -1;
	if (pdu->type == SNMP_PDU_TRAP_V1) {
		/* RFC 1157 4.1.6 */
		if (ber_wr_uint(w, SNMP_T_TIMETICKS, pdu->time_stamp) == -1 ||
		    ber_wr_int(w, BER_TAG_INTEGER, pdu->specific_trap) == -1 ||
		    ber_wr_int(w, BER_TAG_INTEGER, pdu->generic_trap) == -1 ||
		    ber_wr_octets(w, SNMP_T_IPADDR, pdu->agent_addr, 4,
		    NULL) == -1 ||
		    ber_wr_oid(w, &pdu->enterprise) == -1)
			return pdu_errctx("trap header");
	} else {
		if (ber_wr_int(w, BER_TAG_INTEGER, pdu->error_index) == -1 ||
		    ber_wr_int(w, BER_TAG_INTEGER, pdu->error_status) == -1 ||
		    ber_wr_int(w, BER_TAG_INTEGER, pdu->request_id) == -1)
			return -1;
	}
	return ber_wr_close(w, pdu->type, mark);
}

static ssize_t
pdu_wr_done(const struct ber_wr *w, const uint8_t **out)
{
	*out = ber_wr_data(w);
	return (ssize_t)ber_wr_len(w);
}

ssize_t
snmp_vbl_encode(const struct snmp_varbind *vb, size_t nvb, uint8_t *buf,
    size_t size, const uint8_t **out)
{
	struct ber_wr	 w;

	if (nvb > SNMPMGR_MAX_VARBINDS || (nvb > 0 && vb == NULL)) {
		snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "%zu varbinds to encode", nvb);
		return -1;
	}
	ber_wr_init(&w, buf, size);
	if (pdu_vbl_write(&w, vb, nvb) == -1)
		return -1;
	return pdu_wr_done(&w, out);
}

ssize_t
snmp_pdu_encode(const struct snmp_pdu *pdu, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	return snmp_pdu_encode_vbl(pdu, NULL, buf, size, out);
}

ssize_t
snmp_pdu_encode_vbl(const struct snmp_pdu *pdu, const struct snmp_vbl *vbl,
    uint8_t *buf, size_t size, const uint8_t **out)
{
	struct ber_wr	 w;

	ber_wr_init(&w, buf, size);
	if (pdu_write(&w, pdu, vbl) == -1)
		return -1;
	return pdu_wr_done(&w, out);
}

ssize_t
snmp_msg_encode(const struct snmp_msg *msg, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	return snmp_msg_encode_vbl(msg, NULL, buf, size, out);
}

ssize_t
snmp_msg_encode_vbl(const struct snmp_msg *msg, const struct snmp_vbl *vbl,
    uint8_t *buf, size_t size, const uint8_t **out)
{
	struct ber_wr	 w;
	uint8_t		 t = msg->pdu.type;

	if (msg->version != SNMP_V1 && msg->version != SNMP_V2C) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "msgVersion %d is not v1 or v2c", msg->version);
		return -1;
	}
	if (msg->version == SNMP_V1 && (t == SNMP_PDU_GETBULK ||
	    t == SNMP_PDU_INFORM || t == SNMP_PDU_TRAP ||
	    t == SNMP_PDU_REPORT)) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "%s needs SNMPv2c or SNMPv3", snmp_pdu_type_name(t));
		return -1;
	}
	if (msg->version == SNMP_V2C && t == SNMP_PDU_TRAP_V1) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE,
		    "SNMPv1 Trap-PDU in an SNMPv2c message");
		return -1;
	}
	if (msg->community_len > SNMPMGR_MAX_COMMUNITY_LEN ||
	    (msg->community == NULL && msg->community_len > 0)) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
		    "community of %zu octets", msg->community_len);
		return -1;
	}
	ber_wr_init(&w, buf, size);
	if (pdu_write(&w, &msg->pdu, vbl) == -1 ||
	    ber_wr_octets(&w, BER_TAG_OCTETS, msg->community,
	    msg->community_len, NULL) == -1 ||
	    ber_wr_int(&w, BER_TAG_INTEGER, msg->version) == -1 ||
	    ber_wr_close(&w, BER_TAG_SEQUENCE, 0) == -1)
		return -1;
	return pdu_wr_done(&w, out);
}

ssize_t
snmp_scoped_pdu_encode(const struct snmp_msg *msg, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	return snmp_scoped_pdu_encode_vbl(msg, NULL, buf, size, out);
}

ssize_t
snmp_scoped_pdu_encode_vbl(const struct snmp_msg *msg,
    const struct snmp_vbl *vbl, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	struct ber_wr	 w;

	if ((msg->context_engine_id == NULL &&
	    msg->context_engine_id_len > 0) ||
	    (msg->context_name == NULL && msg->context_name_len > 0) ||
	    msg->context_engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN ||
	    msg->context_name_len > SNMPMGR_MAX_CONTEXT_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
		    "bad contextEngineID or contextName");
		return -1;
	}
	if (msg->pdu.type == SNMP_PDU_TRAP_V1) {
		snmpmgr_seterr(SNMPMGR_ERR_PDU_TYPE,
		    "SNMPv1 Trap-PDU in an SNMPv3 message");
		return -1;
	}
	ber_wr_init(&w, buf, size);
	if (pdu_write(&w, &msg->pdu, vbl) == -1 ||
	    ber_wr_octets(&w, BER_TAG_OCTETS, msg->context_name,
	    msg->context_name_len, NULL) == -1 ||
	    ber_wr_octets(&w, BER_TAG_OCTETS, msg->context_engine_id,
	    msg->context_engine_id_len, NULL) == -1 ||
	    ber_wr_close(&w, BER_TAG_SEQUENCE, 0) == -1)
		return -1;
	return pdu_wr_done(&w, out);
}

ssize_t
snmp_msg_encode_v3_off(const struct snmp_msg *msg, const uint8_t *sec_params,
    size_t sec_params_len, const uint8_t *msg_data, size_t msg_data_len,
    uint8_t *buf, size_t size, const uint8_t **out, size_t *sec_params_off)
{
	struct ber_wr	 w;
	uint8_t		*sp;
	size_t		 gmark;

	if (msg_data == NULL || msg_data_len == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "msgData missing");
		return -1;
	}
	ber_wr_init(&w, buf, size);
	/* RFC 3412 6: SNMPv3Message, last field first. */
	if (ber_wr_raw(&w, msg_data, msg_data_len) == -1 ||
	    ber_wr_octets(&w, BER_TAG_OCTETS, sec_params, sec_params_len,
	    &sp) == -1)
		return -1;
	gmark = ber_wr_len(&w);
	if (ber_wr_int(&w, BER_TAG_INTEGER, msg->msg_security_model) == -1 ||
	    ber_wr_octets(&w, BER_TAG_OCTETS, &msg->msg_flags, 1, NULL) ==
	    -1 ||
	    ber_wr_int(&w, BER_TAG_INTEGER, msg->msg_max_size) == -1 ||
	    ber_wr_int(&w, BER_TAG_INTEGER, msg->msg_id) == -1 ||
	    ber_wr_close(&w, BER_TAG_SEQUENCE, gmark) == -1 ||
	    ber_wr_int(&w, BER_TAG_INTEGER, SNMP_V3) == -1 ||
	    ber_wr_close(&w, BER_TAG_SEQUENCE, 0) == -1)
		return -1;
	if (sec_params_off != NULL)
		*sec_params_off = (size_t)(sp - ber_wr_data(&w));
	return pdu_wr_done(&w, out);
}

ssize_t
snmp_msg_encode_v3(const struct snmp_msg *msg, const uint8_t *sec_params,
    size_t sec_params_len, const uint8_t *msg_data, size_t msg_data_len,
    uint8_t *buf, size_t size, const uint8_t **out)
{
	return snmp_msg_encode_v3_off(msg, sec_params, sec_params_len,
	    msg_data, msg_data_len, buf, size, out, NULL);
}

/* Names. */

static const char *const pdu_errnames[] = {
	"noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr",
	"noAccess", "wrongType", "wrongLength", "wrongEncoding", "wrongValue",
	"noCreation", "inconsistentValue", "resourceUnavailable",
	"commitFailed", "undoFailed", "authorizationError", "notWritable",
	"inconsistentName",
};

const char *
snmp_error_status_name(int status)
{
	if (status < 0 ||
	    (size_t)status >= sizeof(pdu_errnames) / sizeof(pdu_errnames[0]))
		return NULL;
	return pdu_errnames[status];
}

const char *
snmp_type_name(uint8_t type)
{
	switch (type) {
	case SNMP_T_INTEGER:		return "Integer32";
	case SNMP_T_OCTETS:		return "OCTET STRING";
	case SNMP_T_NULL:		return "NULL";
	case SNMP_T_OID:		return "OBJECT IDENTIFIER";
	case SNMP_T_IPADDR:		return "IpAddress";
	case SNMP_T_COUNTER32:		return "Counter32";
	case SNMP_T_GAUGE32:		return "Gauge32";
	case SNMP_T_TIMETICKS:		return "TimeTicks";
	case SNMP_T_OPAQUE:		return "Opaque";
	case SNMP_T_NSAP:		return "NsapAddress";
	case SNMP_T_COUNTER64:		return "Counter64";
	case SNMP_T_UINTEGER32:		return "UInteger32";
	case SNMP_T_NOSUCHOBJECT:	return "noSuchObject";
	case SNMP_T_NOSUCHINSTANCE:	return "noSuchInstance";
	case SNMP_T_ENDOFMIBVIEW:	return "endOfMibView";
	}
	return NULL;
}

const char *
snmp_pdu_type_name(uint8_t type)
{
	switch (type) {
	case SNMP_PDU_GET:		return "GetRequest";
	case SNMP_PDU_GETNEXT:		return "GetNextRequest";
	case SNMP_PDU_RESPONSE:		return "Response";
	case SNMP_PDU_SET:		return "SetRequest";
	case SNMP_PDU_TRAP_V1:		return "Trap";
	case SNMP_PDU_GETBULK:		return "GetBulkRequest";
	case SNMP_PDU_INFORM:		return "InformRequest";
	case SNMP_PDU_TRAP:		return "SNMPv2-Trap";
	case SNMP_PDU_REPORT:		return "Report";
	}
	return NULL;
}
