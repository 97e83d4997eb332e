/*
 * check_sess_event.c - the libevent binding of the session engine
 * (daemon/sess_event.c): one small exchange over real sockets on a
 * libevent loop with a responder inside the test, answered and
 * unanswered, on a shared and on a connected socket.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "daemon/sess_event.h"
#include "check_main.h"

/* What the request's callback saw. */
struct cbrec {
	int		 called;
	int		 error;
	int64_t		 value;
};

struct responder {
	int			 fd;
	struct event		*ev;
	int			 answer;	/* 0: stay silent */
	int			 seen;
};

struct loopcb {
	struct event_base	*base;
	struct cbrec		 rec;
};

static void
responder_cb(evutil_socket_t fd, short what, void *arg)
{
	struct responder *r = arg;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct snmp_varbind vb[4];
	struct snmp_msg msg;
	uint8_t buf[2048], obuf[2048];
	const uint8_t *out;
	ssize_t n, len;

	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen);
	if (n <= 0)
		return;
	r->seen++;
	if (!r->answer)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = vb;
	msg.pdu.maxvb = 4;
	ck_assert_int_eq(snmp_msg_decode(buf, n, &msg), 0);
	ck_assert_int_eq(msg.pdu.type, SNMP_PDU_GET);
	msg.pdu.type = SNMP_PDU_RESPONSE;
	vb[0].value.type = SNMP_T_INTEGER;
	vb[0].value.i = 4242;
	len = snmp_msg_encode(&msg, obuf, sizeof(obuf), &out);
	ck_assert_int_gt(len, 0);
	sendto(fd, out, len, 0, (struct sockaddr *)&from, fromlen);
}

static void
loop_record_cb(struct sess_req *req, const struct sess_result *res,
    void *arg)
{
	struct loopcb *lc = arg;

	lc->rec.called++;
	lc->rec.error = res->error;
	if (res->error == 0 && res->pdu->nvb > 0)
		lc->rec.value = res->pdu->vb[0].value.i;
	event_base_loopbreak(lc->base);
}

static void
run_loop_exchange(int answer, struct cbrec *out, int *seen,
    int use_connection)
{
	struct event_base *base;
	struct sess_loop *l;
	struct responder r;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct sess_opts o;
	struct sess *s;
	struct loopcb lc;
	struct snmp_varbind vb;
	struct snmp_pdu pdu;
	struct timeval guard = { 5, 0 };

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	memset(&r, 0, sizeof(r));
	r.answer = answer;
	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(r.fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(r.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(r.fd, (struct sockaddr *)&sin, &sl), 0);
	r.ev = event_new(base, r.fd, EV_READ | EV_PERSIST, responder_cb, &r);
	event_add(r.ev, NULL);

	l = sess_loop_new(base);
	ck_assert_ptr_nonnull(l);
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "127.0.0.1");
	o.port = ntohs(sin.sin_port);
	o.timeout_ms = 100;
	o.retries = 1;
	o.use_connection = use_connection;
	memset(&lc, 0, sizeof(lc));
	lc.base = base;
	s = sess_new(sess_loop_mgr(l), &o);
	ck_assert_msg(s != NULL, "sess_new: %s", snmpmgr_lasterr_detail());
	memset(&vb, 0, sizeof(vb));
	memset(&pdu, 0, sizeof(pdu));
	oid_parse_str(&vb.name, "1.3.6.1.2.1.1.3.0");
	vb.value.type = SNMP_T_NULL;
	pdu.type = SNMP_PDU_GET;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	ck_assert_ptr_nonnull(sess_request(s, &pdu, loop_record_cb, &lc));
	event_base_loopexit(base, &guard);
	event_base_dispatch(base);
	*out = lc.rec;
	*seen = r.seen;
	sess_loop_free(l);
	event_free(r.ev);
	close(r.fd);
	event_base_free(base);
}

START_TEST(sess_event_udp_exchange)
{
	struct cbrec rec;
	int seen;

	run_loop_exchange(1, &rec, &seen, 0);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(rec.value, 4242);
	ck_assert_int_eq(seen, 1);
	run_loop_exchange(1, &rec, &seen, 1);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(rec.value, 4242);
}
END_TEST

START_TEST(sess_event_udp_timeout)
{
	struct cbrec rec;
	int seen;

	run_loop_exchange(0, &rec, &seen, 0);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_TIMEOUT);
	ck_assert_int_eq(seen, 2);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("sess_event");
	TCase *te = tcase_create("libevent");

	tcase_add_test(te, sess_event_udp_exchange);
	tcase_add_test(te, sess_event_udp_timeout);
	tcase_set_timeout(te, 20);
	suite_add_tcase(su, te);
	return check_run(su);
}
