/*
 * sess_trace.c - the request engine's datagram traces: every datagram a
 * traced session sends or receives (taken or dropped, and why) handed to
 * the manager's hooks (struct sess_trace_hooks), which the daemon's
 * snmp.trace and packet events install.  A session asks the hooks'
 * wanted() again only when they changed, so an untraced datagram costs
 * one pointer test.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "sess_int.h"
#include "session.h"

void
sess_mgr_set_trace(struct sess_mgr *m, const struct sess_trace_hooks *h)
{
	if (h == NULL || h->trace == NULL)
		memset(&m->trace, 0, sizeof(m->trace));
	else
		m->trace = *h;
	/* Every session asks wanted() again at its next datagram. */
	m->trace_gen++;
}

/* Are s's datagrams traced?  One pointer test when nobody traces. */
bool
sess_tracing(struct sess *s)
{
	struct sess_mgr *m = s->m;

	if (m->trace.trace == NULL)
		return false;
	if (s->trace_gen != m->trace_gen) {
		s->trace_gen = m->trace_gen;
		s->tracing = m->trace.wanted == NULL ||
		    m->trace.wanted(s, m->trace.arg);
	}
	return s->tracing;
}

/* Hand t to the hook; the engine's lasterr survives whatever it does. */
static void
sess_trace_emit(struct sess *s, struct sess_trace *t)
{
	struct sess_mgr *m = s->m;
	char detail[256];
	int error = snmpmgr_lasterr();

	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	if (t->detail != NULL && t->detail == snmpmgr_lasterr_detail())
		t->detail = detail;
	if (t->peer == NULL) {
		t->peer = (const struct sockaddr *)&s->addr;
		t->peerlen = s->addrlen;
	}
	m->trace.trace(s, t, m->trace.arg);
	if (error != 0)
		snmpmgr_seterr(error, "%s", detail);
	else
		snmpmgr_clearerr();
}

/* A datagram sent for s (pdu: the SNMPv3 PDU in clear, or NULL). */
void
sess_trace_out(struct sess *s, const uint8_t *buf, size_t len,
    const uint8_t *pdu, size_t pdu_len)
{
	struct sess_trace t;

	memset(&t, 0, sizeof(t));
	t.out = true;
	t.buf = buf;
	t.len = len;
	t.pdu = pdu;
	t.pdu_len = pdu_len;
	sess_trace_emit(s, &t);
}

/* A datagram received for s: taken (msg), or dropped (error, detail). */
void
sess_trace_in(struct sess *s, const struct sockaddr *from, socklen_t fromlen,
    const uint8_t *buf, size_t len, const struct snmp_msg *msg, int error,
    const char *detail)
{
	struct sess_trace t;

	memset(&t, 0, sizeof(t));
	t.peer = from;
	t.peerlen = fromlen;
	t.buf = buf;
	t.len = len;
	t.msg = msg;
	t.error = error;
	t.detail = detail;
	sess_trace_emit(s, &t);
}
