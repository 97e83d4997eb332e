/*
 * check_fakeio.c - the session engine's fake clock and datagram sink for
 * the unit tests (check_fakeio.h).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "check_fakeio.h"

struct fakeio	 fk;

static uint64_t
fakeio_now(void *arg)
{
	return fk.now;
}

static void
fakeio_wake(void *arg, uint64_t when)
{
	fk.wake = when;
}

static int
fakeio_send(void *arg, struct sess *s, const uint8_t *buf, size_t len)
{
	ck_assert_int_lt(fk.nsent, FAKEIO_MAXSENT);
	ck_assert_uint_le(len, sizeof(fk.sent[0].buf));
	memcpy(fk.sent[fk.nsent].buf, buf, len);
	fk.sent[fk.nsent].len = len;
	fk.nsent++;
	return 0;
}

static void
fakeio_badpkt(struct sess_mgr *m, struct sess *s, int error,
    const char *detail, const struct sockaddr *from, const uint8_t *buf,
    size_t len, void *arg)
{
	fk.nbad++;
	fk.bad = error;
}

struct sess_mgr *
fakeio_mgr(uint64_t now)
{
	struct sess_io	 io;
	struct sess_mgr	*m;

	memset(&fk, 0, sizeof(fk));
	fk.now = now;
	memset(&io, 0, sizeof(io));
	io.now_us = fakeio_now;
	io.wake = fakeio_wake;
	io.send = fakeio_send;
	ck_assert_ptr_nonnull(m = sess_mgr_new(&io));
	sess_mgr_set_badpkt_cb(m, fakeio_badpkt, NULL);
	return m;
}

void
fakeio_record_cb(struct sess_req *req, const struct sess_result *res,
    void *arg)
{
	struct fakeio_rec *r = arg;

	r->called++;
	r->error = res->error;
	snprintf(r->detail, sizeof(r->detail), "%s",
	    snmpmgr_lasterr_detail());
	if (res->error == 0 && res->pdu != NULL) {
		r->nvb = res->pdu->nvb;
		if (res->pdu->nvb > 0)
			r->value = res->pdu->vb[0].value.i;
	}
}

struct sess_req *
fakeio_get(struct sess *s, struct fakeio_rec *rec)
{
	struct snmp_varbind vb;
	struct snmp_pdu	 pdu;

	memset(&vb, 0, sizeof(vb));
	memset(&pdu, 0, sizeof(pdu));
	ck_assert_int_eq(oid_parse_str(&vb.name, "1.3.6.1.2.1.1.3.0"), 0);
	vb.value.type = SNMP_T_NULL;
	pdu.type = SNMP_PDU_GET;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	return sess_request(s, &pdu, fakeio_record_cb, rec);
}
