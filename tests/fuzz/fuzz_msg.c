/*
 * fuzz_msg.c - libFuzzer target for the SNMP message decoder.
 *
 * Any input snmp_msg_decode() accepts must encode again (v1/v2c through
 * snmp_msg_encode, v3 through snmp_scoped_pdu_encode and
 * snmp_msg_encode_v3), at most FUZZ_GROWTH octets longer than it came in,
 * and the re-encoding must decode to the same encoding once more.  Every
 * OID is formatted too.
 * Build with clang -fsanitize=fuzzer,address,undefined (make fuzz).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAXVB	64

/*
 * The encoder is minimal and the decoder takes longer length fields and
 * non-minimal integers, which only shrink.  What grows: an unsigned value
 * sent with its sign bit set and no leading 0x00 (41 01 ff is read as
 * 4294967295, five octets again; 46 08 ff.. needs a ninth), at most 4
 * octets per value plus the v1 time-stamp, and the length fields around
 * them.
 */
#define FUZZ_GROWTH(nvb)	(8 * (nvb) + 32)

/* A VarBindList of 1.3.6.1.2.1.1.3.0, 1.3.6.1.2.1.1.5.0 and
 * 1.3.6.1.2.1.2.2.1.10.1, NULL values: a get's request. */
static const uint8_t	 fuzz_asked[] = {
	0x30, 0x2c,
	0x30, 0x0c, 0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 3, 0, 0x05, 0x00,
	0x30, 0x0c, 0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 5, 0, 0x05, 0x00,
	0x30, 0x0e, 0x06, 0x0a, 0x2b, 6, 1, 2, 1, 2, 2, 1, 10, 1, 0x05, 0x00,
};

static struct snmp_varbind	 fuzz_vb[FUZZ_MAXVB];
static struct snmp_vbraw	 fuzz_raw[FUZZ_MAXVB];

static ssize_t
fuzz_encode(const struct snmp_msg *m, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	uint8_t		*tmp;
	const uint8_t	*data;
	struct ber_wr	 w;
	ssize_t		 n, dn;

	if (m->version != SNMP_V3)
		return snmp_msg_encode(m, buf, size, out);
	if ((tmp = malloc(size)) == NULL)
		abort();
	if (m->encrypted != NULL) {
		ber_wr_init(&w, tmp, size);
		if (ber_wr_octets(&w, BER_TAG_OCTETS, m->encrypted,
		    m->encrypted_len, NULL) == -1)
			abort();
		data = ber_wr_data(&w);
		dn = (ssize_t)ber_wr_len(&w);
	} else if ((dn = snmp_scoped_pdu_encode(m, tmp, size, &data)) == -1)
		abort();
	n = snmp_msg_encode_v3(m, m->sec_params, m->sec_params_len, data,
	    (size_t)dn, buf, size, out);
	free(tmp);
	return n;
}

static void
fuzz_format(const struct snmp_msg *m)
{
	char		 s[SNMPMGR_MAX_OID_STR];
	struct oid	 o;
	size_t		 i;

	for (i = 0; i < m->pdu.nvb; i++) {
		if (oid_format(&m->pdu.vb[i].name, s, sizeof(s)) >= sizeof(s))
			abort();
		if (m->pdu.vb[i].value.type == SNMP_T_OID &&
		    oid_from_ber(&o, m->pdu.vb[i].value.data,
		    m->pdu.vb[i].value.len) == -1)
			abort();
	}
}

/* A decoder failed as another did, with code and detail err. */
static void
fuzz_same_error(int code, const char *err)
{
	if (snmpmgr_lasterr() != code ||
	    strcmp(snmpmgr_lasterr_detail(), err) != 0)
		abort();
}

/* The raw decoder against the decoded message m (rv: its result). */
static void
fuzz_raw_same(const uint8_t *data, size_t size, int rv,
    const struct snmp_msg *m)
{
	struct snmp_msg	 r;
	char		 err[256], t[SNMPMGR_MAX_OID_STR];
	char		 s[OID_BER_STR(5 * SNMPMGR_MAX_OID_LEN)];
	int		 code = snmpmgr_lasterr();
	size_t		 i, n;

	snprintf(err, sizeof(err), "%s", snmpmgr_lasterr_detail());
	memset(&r, 0, sizeof(r));
	r.pdu.vb = NULL;
	r.pdu.maxvb = FUZZ_MAXVB;
	if (snmp_msg_decode_raw(data, size, &r, fuzz_raw) != rv)
		abort();
	if (rv == -1) {
		fuzz_same_error(code, err);
		return;
	}
	if (r.pdu.raw != fuzz_raw || r.pdu.nvb != m->pdu.nvb)
		abort();
	for (i = 0; i < r.pdu.nvb; i++) {
		/* At most 5 octets per arc (32 bits). */
		if (fuzz_raw[i].namelen > 5 * SNMPMGR_MAX_OID_LEN)
			abort();
		n = oid_format_ber(fuzz_raw[i].name, fuzz_raw[i].namelen, s);
		if (n != oid_format(&m->pdu.vb[i].name, t, sizeof(t)) ||
		    memcmp(s, t, n) != 0 ||
		    fuzz_raw[i].value.type != m->pdu.vb[i].value.type ||
		    fuzz_raw[i].value.u != m->pdu.vb[i].value.u ||
		    fuzz_raw[i].value.len != m->pdu.vb[i].value.len)
			abort();
	}
}

/*
 * The decoder that matches an answer against the list asked
 * (snmp_msg_decode_expect) against the raw decoder: the same result,
 * error and varbinds.  When asked holds the message's own names (all),
 * every name must come out marked asked.
 */
static void
fuzz_expect_same(const uint8_t *data, size_t size,
    const struct snmp_vbl *asked, bool all)
{
	static struct snmp_vbraw ra[FUZZ_MAXVB], rb[FUZZ_MAXVB];
	struct snmp_msg	 a, b;
	char		 err[256];
	int		 rv, code;
	size_t		 i;

	memset(&a, 0, sizeof(a));
	a.pdu.maxvb = FUZZ_MAXVB;
	rv = snmp_msg_decode_raw(data, size, &a, ra);
	code = snmpmgr_lasterr();
	snprintf(err, sizeof(err), "%s", snmpmgr_lasterr_detail());
	memset(&b, 0, sizeof(b));
	b.pdu.maxvb = FUZZ_MAXVB;
	if (snmp_msg_decode_expect(data, size, &b, rb, asked) != rv)
		abort();
	if (rv == -1) {
		fuzz_same_error(code, err);
		return;
	}
	if (b.pdu.raw != rb || b.pdu.nvb != a.pdu.nvb ||
	    b.pdu.request_id != a.pdu.request_id)
		abort();
	for (i = 0; i < b.pdu.nvb; i++) {
		if (rb[i].name != ra[i].name ||
		    rb[i].namelen != ra[i].namelen ||
		    rb[i].value.type != ra[i].value.type ||
		    rb[i].value.u != ra[i].value.u ||
		    rb[i].value.data != ra[i].value.data ||
		    rb[i].value.len != ra[i].value.len ||
		    (all && b.version != SNMP_V3 && !rb[i].asked))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snmp_msg	 m;
	uint8_t		*b1, *b2;
	const uint8_t	*o1, *o2;
	struct snmp_vbl	 vbl;
	ssize_t		 n1, n2;
	size_t		 room = size + FUZZ_GROWTH(FUZZ_MAXVB);
	int		 rv;

	memset(&m, 0, sizeof(m));
	m.pdu.vb = fuzz_vb;
	m.pdu.maxvb = FUZZ_MAXVB;
	rv = snmp_msg_decode(data, size, &m);
	fuzz_raw_same(data, size, rv, &m);
	/* A list of three names asked, then the message's own. */
	vbl.p = fuzz_asked;
	vbl.len = sizeof(fuzz_asked);
	fuzz_expect_same(data, size, &vbl, false);
	if (rv == -1)
		return 0;
	fuzz_format(&m);
	if ((b1 = malloc(room)) == NULL || (b2 = malloc(room)) == NULL)
		abort();
	if ((n1 = snmp_vbl_encode(m.pdu.vb, m.pdu.nvb, b1, room, &o1)) == -1)
		abort();
	vbl.p = o1;
	vbl.len = (size_t)n1;
	fuzz_expect_same(data, size, &vbl, true);
	n1 = fuzz_encode(&m, b1, room, &o1);
	if (n1 == -1 || (size_t)n1 > size + FUZZ_GROWTH(m.pdu.nvb))
		abort();
	if (snmp_msg_decode(o1, (size_t)n1, &m) == -1)
		abort();
	n2 = fuzz_encode(&m, b2, room, &o2);
	if (n2 != n1 || memcmp(o1, o2, (size_t)n1) != 0)
		abort();
	free(b1);
	free(b2);
	return 0;
}
