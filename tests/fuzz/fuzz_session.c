/*
 * fuzz_session.c - libFuzzer target for what an agent sends back to the
 * session engine (core/session.c, core/walk.c, core/v3.c, core/usm.c):
 * response matching, origin/version/duplicate checks, SNMPv3 security
 * parameters, digests, time windows, privacy, reports, discovery and
 * recovery, and the walk engine on top.
 *
 * Each input is one scenario on a fresh manager with a fake clock:
 *
 *   byte 0      which session (v1, v2c, v3 at each level, with and without
 *               a preset engine) and which operation (get, getbulk, walk,
 *               discovery)
 *   then        datagrams, each [flags][len hi][len lo][bytes]: flags bit
 *               0 asks for the agent-side fix-up below, bits 1-2 pick the
 *               source (the agent, another port, another address, IPv6),
 *               bits 3-7 advance the clock (x 200 ms, timers run) first;
 *               a 1-octet record from IPv6 without fix-up is a command
 *               instead: change the session's options under what is in
 *               flight (version, level, preset engine, port, credential,
 *               accept_data), interrupt it, or send one more request
 *
 * The fix-up plays the agent's part that a fuzzer cannot guess: the
 * 6-octet INTEGERs 02 04 'R' 'I' 'D' '!' and 02 04 'M' 'I' 'D' '!' become
 * the request-id and msgID of the last datagram the engine sent, and a v3
 * message with the auth flag is encrypted (its msgData contents taken as
 * plaintext) and signed with the user's keys localized for the engine ID
 * the message names.  So mutations reach the code behind the digest.
 *
 * Packet traces and the v3 report/discovery hooks are on.  Nothing is
 * checked but the absence of crashes, leaks and undefined behaviour, and
 * that every request ends exactly once.  Build with
 * `make fuzz` (clang, libFuzzer); seeds come from tests/fuzz/seeds.py.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/usm.h"
#include "core/v3.h"
#include "core/walk.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_NSESS	8

/* -DFZ_DEBUG: say what became of each input (to check the seeds). */
#ifdef FZ_DEBUG
#include <stdio.h>
#define FZ_TRACE(...)	fprintf(stderr, __VA_ARGS__)
#else
#define FZ_TRACE(...)	do { } while (0)
#endif

/* The agent's engine, as preset in some sessions. */
static const uint8_t fz_engine[] = { 0x80, 0x00, 0x1f, 0x88, 0x80, 0x66,
	0x75, 0x7a, 0x7a, 0x21 };
/* Master keys (not localized), so localizing per engine ID is cheap. */
static const uint8_t fz_authkey[20] = "0123456789abcdefghij";
static const uint8_t fz_privkey[20] = "klmnopqrstuvwxyz!@#$";

static struct {
	uint64_t	 now;
	uint64_t	 wake;
	uint8_t		 last[SNMPMGR_MAX_DGRAM];
	size_t		 lastlen;
	int		 nsent;
	int		 pending;	/* callbacks still owed */
	struct walk	*w;
	int		 paused;
} fz;

static struct usm_cred	*fz_cred[3];	/* noauth, auth (MD5), priv (SHA/AES) */
static struct snmp_varbind fz_vb[SNMPMGR_MAX_VARBINDS];

static uint64_t
fz_now(void *arg)
{
	return fz.now;
}

static void
fz_wake(void *arg, uint64_t when)
{
	fz.wake = when;
}

static int
fz_send(void *arg, struct sess *s, const uint8_t *buf, size_t len)
{
	if (len > sizeof(fz.last))
		abort();
	memcpy(fz.last, buf, len);
	fz.lastlen = len;
	fz.nsent++;
	return 0;
}

static void
fz_badpkt(struct sess_mgr *m, struct sess *s, int error, const char *detail,
    const struct sockaddr *from, const uint8_t *buf, size_t len, void *arg)
{
	if (error == 0 || detail == NULL)
		abort();
	FZ_TRACE("bad packet: %d %s\n", error, detail);
}

static void
fz_cb(struct sess_req *req, const struct sess_result *res, void *arg)
{
	size_t	 i;
	char	 s[SNMPMGR_MAX_OID_STR];

	if (fz.pending-- <= 0)
		abort();
	FZ_TRACE("request ended: %d (%s)\n", res->error,
	    res->error ? snmpmgr_lasterr_detail() : "");
	if (res->error == 0 && res->pdu != NULL)
		for (i = 0; i < res->pdu->nvb; i++)
			oid_format(&res->pdu->vb[i].name, s, sizeof(s));
}

static int
fz_rows(struct walk *w, const struct snmp_varbind *vb, size_t n, void *arg)
{
	if (n == 0)
		abort();
	/* Pause now and then; the driver resumes. */
	if ((vb[0].name.len & 3) == 0) {
		fz.paused = 1;
		return 1;
	}
	return 0;
}

static void
fz_done(struct walk *w, const struct walk_result *res, void *arg)
{
	if (fz.pending-- <= 0 || w != fz.w)
		abort();
	FZ_TRACE("walk ended: %d, %llu rows\n", res->error,
	    (unsigned long long)res->count);
	fz.w = NULL;
	fz.paused = 0;
}

static bool
fz_trace_wanted(struct sess *s, void *arg)
{
	return true;
}

static void
fz_trace(struct sess *s, const struct sess_trace *t, void *arg)
{
	if (t->buf == NULL || (t->msg != NULL && t->out))
		abort();
}

static void
fz_report(struct sess *s, int error, const struct oid *name, uint64_t value,
    bool authenticated, void *arg)
{
	char	 buf[SNMPMGR_MAX_OID_STR];

	if (name != NULL)
		oid_format(name, buf, sizeof(buf));
}

static void
fz_discovery(struct sess *s, int error, void *arg)
{
	struct sess_v3_info	 vi;

	/* Success is only reported on an SNMPv3 session. */
	if (sess_v3_info(s, &vi) == -1 && error == 0)
		abort();
}

/* A command record: change s under what is in flight. */
static void
fz_command(struct sess *s, uint8_t c)
{
	static const uint8_t	 other[] = { 0x80, 0x00, 0x1f, 0x88, 0x80,
		0x01, 0x02, 0x03, 0x04, 0x05 };
	struct snmp_pdu		 pdu;
	struct sess_opts	 o;

	sess_copy_opts(s, &o);
	switch (c % 8) {
	case 0:
		o.version = o.version == SNMP_V3 ? SNMP_V2C : SNMP_V3;
		if (o.version == SNMP_V3 && o.v3.cred == NULL)
			o.v3.cred = fz_cred[2];
		break;
	case 1:
		o.v3.level = (enum sess_level)((c >> 3) % 4);
		break;
	case 2:
		if (c & 8) {
			o.v3.engine_id_len = 0;
			o.v3.engine_time_set = false;
		} else {
			memcpy(o.v3.engine_id, c & 16 ? other : fz_engine,
			    sizeof(fz_engine));
			o.v3.engine_id_len = sizeof(fz_engine);
			o.v3.engine_boots = c >> 5;
			o.v3.engine_time = 1000;
			o.v3.engine_time_set = (c & 32) != 0;
		}
		break;
	case 3:
		o.port = o.port == 161 ? 1161 : 161;
		break;
	case 4:
		o.v3.cred = fz_cred[(c >> 3) % 3];
		break;
	case 5:
		o.accept_data = !o.accept_data;
		break;
	case 6:
		sess_interrupt(s, "fuzz");
		return;
	case 7:
		memset(&pdu, 0, sizeof(pdu));
		pdu.type = SNMP_PDU_GETNEXT;
		pdu.vb = fz_vb;
		pdu.nvb = pdu.maxvb = 1 + (c >> 3) % 3;
		if (sess_request(s, &pdu, fz_cb, NULL) != NULL)
			fz.pending++;
		return;
	}
	(void)sess_set_opts(s, &o);
}

static void
fz_init(void)
{
	struct usm_cred_params	 p;
	int			 i;

	usm_init();
	for (i = 0; i < 3; i++) {
		memset(&p, 0, sizeof(p));
		p.user = "fuzz";
		if (i >= 1) {
			p.auth = i == 1 ? USM_AUTH_MD5 : USM_AUTH_SHA;
			p.auth_key = fz_authkey;
			p.auth_key_len = i == 1 ? 16 : 20;
		}
		if (i == 2) {
			p.priv = USM_PRIV_AES;
			p.priv_key = fz_privkey;
			p.priv_key_len = 20;
		}
		if ((fz_cred[i] = usm_cred_new(&p)) == NULL)
			abort();
	}
}

/*
 * Session kind k: 0 v1, 1 v2c; v3 to discover: 2 noAuthNoPriv, 3
 * authNoPriv, 4 authPriv in a single step; v3 with the engine preset: 5
 * authPriv, 6 noAuthNoPriv, 7 authNoPriv.
 */
static struct sess *
fz_sess(struct sess_mgr *m, int k)
{
	struct sess_opts	 o;
	struct sess		*s;

	sess_opts_default(&o);
	strcpy(o.host, "192.0.2.1");
	o.timeout_ms = 1000;
	o.retries = 2;
	o.version = k == 0 ? SNMP_V1 : k == 1 ? SNMP_V2C : SNMP_V3;
	o.max_repetitions = 5;
	if (k >= 2) {
		o.v3.cred = fz_cred[k == 2 || k == 6 ? 0 : k == 3 || k == 7 ?
		    1 : 2];
		if (k >= 5) {
			memcpy(o.v3.engine_id, fz_engine, sizeof(fz_engine));
			o.v3.engine_id_len = sizeof(fz_engine);
			o.v3.engine_boots = 3;
			o.v3.engine_time = 1000;
			o.v3.engine_time_set = true;
		}
		if (k == 4)
			o.v3.single_step_discovery = true;
	}
	if ((s = sess_new(m, &o)) == NULL)
		abort();
	return s;
}

/* Replace every 02 04 'X' 'I' 'D' '!' with the 4-octet value v. */
static void
fz_patch(uint8_t *b, size_t len, uint8_t x, int32_t v)
{
	size_t	 i;

	for (i = 0; i + 6 <= len; i++)
		if (b[i] == 0x02 && b[i + 1] == 0x04 && b[i + 2] == x &&
		    b[i + 3] == 'I' && b[i + 4] == 'D' && b[i + 5] == '!') {
			b[i + 2] = (uint8_t)((uint32_t)v >> 24);
			b[i + 3] = (uint8_t)((uint32_t)v >> 16);
			b[i + 4] = (uint8_t)((uint32_t)v >> 8);
			b[i + 5] = (uint8_t)v;
			i += 5;
		}
}

/* The agent's part: IDs from the last request, then privacy and digest. */
static void
fz_fixup(struct sess *s, uint8_t *b, size_t len)
{
	static struct snmp_varbind vb[16];
	struct snmp_msg		 m;
	struct usm_secparams	 sp;
	struct usm_user		*u;
	int32_t			 reqid = 0, msgid = 0;
	size_t			 outlen;
	uint8_t			 salt[USM_PRIV_PARAMS_LEN];
	const struct sess_opts	*so = sess_get_opts(s);

	memset(&m, 0, sizeof(m));
	m.pdu.vb = vb;
	m.pdu.maxvb = 16;
	if (fz.lastlen > 0 && snmp_msg_decode(fz.last, fz.lastlen, &m) == 0) {
		msgid = m.msg_id;
		reqid = m.encrypted != NULL ? (m.msg_id & ~31) :
		    m.pdu.request_id;
	}
	fz_patch(b, len, 'R', reqid);
	fz_patch(b, len, 'M', msgid);
	if (so->version != SNMP_V3 || so->v3.cred == NULL ||
	    usm_cred_auth(so->v3.cred) == USM_AUTH_NONE)
		return;
	memset(&m, 0, sizeof(m));
	m.pdu.vb = vb;
	m.pdu.maxvb = 16;
	if (snmp_msg_decode(b, len, &m) == -1 || m.version != SNMP_V3 ||
	    v3_secparams(&m, &sp) == -1 || !(m.msg_flags & SNMP_MSGFLAG_AUTH))
		return;
	if ((u = usm_user_new(so->v3.cred, sp.engine_id,
	    sp.engine_id_len)) == NULL)
		return;
	if ((m.msg_flags & SNMP_MSGFLAG_PRIV) && m.encrypted != NULL &&
	    usm_user_priv(u) != USM_PRIV_NONE &&
	    sp.priv_len == USM_PRIV_PARAMS_LEN &&
	    usm_encrypted_len(u, m.encrypted_len) == m.encrypted_len) {
		outlen = m.encrypted_len;
		if (usm_encrypt(u, sp.boots, sp.time, m.encrypted,
		    m.encrypted_len, (uint8_t *)m.encrypted, &outlen,
		    salt) == 0)
			memcpy((uint8_t *)sp.priv, salt, sizeof(salt));
	}
	if (sp.auth_len == usm_user_mac_len(u)) {
		memset((uint8_t *)sp.auth, 0, sp.auth_len);
		usm_auth_sign(u, b, len, (size_t)(sp.auth - b));
	}
	usm_user_free(u);
}

static void
fz_from(struct sockaddr_storage *ss, socklen_t *len, int which)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (which == 3) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(161);
		sin6->sin6_addr.s6_addr[15] = 1;
		*len = sizeof(*sin6);
		return;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(which == 1 ? 1161 : 161);
	inet_pton(AF_INET, which == 2 ? "192.0.2.2" : "192.0.2.1",
	    &sin->sin_addr);
	*len = sizeof(*sin);
}

static void
fz_run_timers(struct sess_mgr *m, uint64_t to)
{
	int	 guard = 0;

	while (fz.wake != 0 && fz.wake <= to && guard++ < 1000) {
		if (fz.wake > fz.now)
			fz.now = fz.wake;
		sess_mgr_timer(m);
	}
	if (to > fz.now)
		fz.now = to;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 dgram[SNMPMGR_MAX_DGRAM];
	struct sockaddr_storage	 from;
	struct walk_opts	 wo;
	struct snmp_pdu		 pdu;
	struct sess_io		 io;
	struct sess_trace_hooks	 trace = { fz_trace_wanted, fz_trace, NULL };
	struct sess_v3_hooks	 hooks = { fz_report, fz_discovery, NULL };
	struct sess_mgr		*m;
	struct sess		*s;
	struct sess_req		*req = NULL;
	struct oid		 root;
	socklen_t		 fromlen;
	size_t			 pos, len;
	int			 kind, op, i;
	uint8_t			 flags;

	if (fz_cred[0] == NULL)
		fz_init();
	if (size < 1)
		return 0;
	memset(&fz, 0, sizeof(fz));
	fz.now = 10000000000ULL;
	memset(&io, 0, sizeof(io));
	io.now_us = fz_now;
	io.wake = fz_wake;
	io.send = fz_send;
	if ((m = sess_mgr_new(&io)) == NULL)
		abort();
	sess_mgr_set_badpkt_cb(m, fz_badpkt, NULL);
	sess_mgr_set_trace(m, &trace);
	sess_mgr_set_v3_hooks(m, &hooks);
	kind = data[0] % FZ_NSESS;
	op = (data[0] >> 3) & 3;
	s = fz_sess(m, kind);

	memset(&pdu, 0, sizeof(pdu));
	for (i = 0; i < 3; i++) {
		if (oid_parse_str(&fz_vb[i].name, i == 0 ? "1.3.6.1.2.1.1.1.0" :
		    i == 1 ? "1.3.6.1.2.1.1.3.0" : "1.3.6.1.2.1.2.2.1") == -1)
			abort();
		fz_vb[i].value.type = SNMP_T_NULL;
	}
	pdu.vb = fz_vb;
	pdu.nvb = pdu.maxvb = 3;
	switch (op) {
	case 0:
	case 1:
		pdu.type = op == 0 || kind == 0 ? SNMP_PDU_GET :
		    SNMP_PDU_GETBULK;
		if (pdu.type == SNMP_PDU_GETBULK) {
			pdu.error_status = 1;
			pdu.error_index = 4;
		}
		if ((req = sess_request(s, &pdu, fz_cb, NULL)) != NULL)
			fz.pending++;
		break;
	case 2:
		oid_parse_str(&root, "1.3.6.1.2.1.2");
		walk_opts_from_sess(&wo, s, &root);
		wo.limit = 200;
		if ((fz.w = walk_start(s, &wo, fz_rows, fz_done, NULL)) != NULL)
			fz.pending++;
		break;
	case 3:
		if (kind >= 2 && (req = sess_discover(s, fz_cb, NULL)) != NULL)
			fz.pending++;
		break;
	}

	for (pos = 1; pos + 3 <= size; pos += 3 + len) {
		flags = data[pos];
		len = (size_t)data[pos + 1] << 8 | data[pos + 2];
		if (len > size - pos - 3)
			len = size - pos - 3;
		if (flags >> 3)
			fz_run_timers(m, fz.now + (uint64_t)(flags >> 3) *
			    200000);
		if (fz.paused && fz.w != NULL) {
			fz.paused = 0;
			walk_resume(fz.w);
		}
		if (len == 1 && (flags & 7) == 6) {
			fz_command(s, data[pos + 3]);
			continue;
		}
		memcpy(dgram, data + pos + 3, len);
		if (flags & 1)
			fz_fixup(s, dgram, len);
		fz_from(&from, &fromlen, (flags >> 1) & 3);
		sess_mgr_input(m, NULL, (struct sockaddr *)&from, fromlen,
		    dgram, len);
	}
	/* Run everything out: retries, time-outs, the walk's end. */
	for (i = 0; i < 200 && fz.pending > 0; i++) {
		if (fz.paused && fz.w != NULL) {
			fz.paused = 0;
			walk_resume(fz.w);
		}
		fz_run_timers(m, fz.now + 1000000);
	}
	/* Time-outs end everything within a few fake seconds. */
	if (fz.pending > 0)
		abort();
	(void)req;
	sess_free(s);
	sess_mgr_free(m);
	return 0;
}
