/*
 * trapblast.c - send SNMP notifications at a fixed rate, for the trap
 * receiver benchmark (bench/traps.py).
 *
 *	trapblast -t HOST:PORT -r RATE -d SECONDS -f FILE [-T] [-n N] [-a] [-V]
 *	trapblast -t HOST:PORT -r RATE -d SECONDS -3 [-T] [-n N] [-V] < USERS
 *
 * -f FILE holds one or more datagrams (up to 4096), each as a 2-octet
 * big-endian length, a 2-octet big-endian offset of a 4-octet request-id
 * to vary (0xffff: none, as for an encrypted v3 trap whose request-id
 * cannot change), and the datagram.  They are sent in turn, the
 * request-id (if any) counting up from 0x10000001.
 *
 * -3 makes SNMPv3 InformRequests here instead, the receiver being the
 * authoritative engine (RFC 3414 3.1.1): first a discovery probe (RFC
 * 3414 4: noAuthNoPriv, empty engine ID) whose Report gives the
 * receiver's engine ID, boots and time, then the keys of each user read
 * from stdin ("NAME AUTH AUTHPASSWORD PRIV PRIVPASSWORD" a line: secrets
 * never on the command line) localized for that engine, then 16 informs
 * per sender, each with its own msgID and request-id (from 0x10000001),
 * authPriv as the user says: sysUpTime.0, snmpTrapOID.0 = 1.3.6.1.4.1.
 * 99999.0.1, sysName.0 = "benchmark-host-NNNN" (N: the sender) and
 * ifIndex.7 = 7.  They are made before the clock starts and sent in
 * turn as captured traps are.
 *
 * -n N senders: N sockets (UDP, each its own source port) or N TCP
 * connections (-T, RFC 3430 framing: messages back to back); sender k
 * uses user k of the list, cyclically.  Messages go in bursts (64 with
 * one sender, else 16 a sender, one sendmmsg or write each), paced
 * against CLOCK_MONOTONIC so the average rate is RATE.
 *
 * Answers: over TCP they are always read (a receiver closes a
 * connection whose answers pile up) and counted; over UDP only with -V.
 * -a: answers are expected (informs): at the end wait up to 10 s for one
 * per message sent.  -V (implies -a): check every answer: a Response
 * (for v3: authenticated with the user's key and decrypted) to a
 * message sent, for the sender it came from, error-status 0, once.
 * Reports and anything else count as bad.  -V wants each message sent
 * once: with -3 at most 16 * N messages.
 *
 * At the end one JSON line says what was sent and answered: {"sent",
 * "seconds", "rate", "errors", "answered", "responses", "reports",
 * "bad", "last_answer" (when the last answer came, in seconds from the
 * start), "engine_id", "boots", "time"}.  Over TCP the connections'
 * kernel buffers are left as they are and at most 256 KiB wait here on
 * each, so a receiver that cannot keep up shows as "seconds" (sending
 * took longer) or "last_answer" beyond the duration.  Loss is not counted here: the
 * receiver's counters tell it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* sendmmsg, ppoll */
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/usm.h"
#include "core/v3.h"

#define BATCH		64
#define BURST		16	/* a sender's burst when there are many */
#define MAXPKT		4096
#define MAXLEN		65535
#define MAXSENDERS	4096
#define MAXUSERS	64
#define REQID_BASE	0x10000001
#define MSGID_BASE	0x20000001
#define OUT_MAX		(256 << 10)	/* TCP octets queued per connection */
#define IN_MAX		(1 << 20)	/* TCP octets of answers buffered */
#define TRAP_OID	"1.3.6.1.4.1.99999.0.1"

struct pkt {
	uint8_t		*data;
	size_t		 len;
	long		 reqid_off;	/* -1: none */
};

struct user {
	char		 name[33];
	struct usm_cred	*c;
	struct usm_user	*u;		/* localized for the receiver */
};

struct sender {
	int		 fd;
	int		 user;		/* index into users */
	uint8_t		*out, *in;	/* TCP */
	size_t		 outlen, inlen;
};

static struct pkt	 pk[MAXSENDERS * BURST > MAXPKT ? MAXSENDERS * BURST :
			    MAXPKT];
static struct sender	 snd[MAXSENDERS];
static struct user	 users[MAXUSERS];
static size_t		 npk, nsnd, nusers;
static bool		 tcp, v3, verify;
static uint8_t		 engine[32];
static size_t		 englen;
static uint32_t		 eboots, etime;
static uint8_t		*seen;		/* -V: answers by request-id */
static uint64_t		 nseen;
static uint64_t		 answered, responses, reports, bad;
static double		 t0, last_answer;	/* monotonic s */
static uint8_t		 scratch[MAXLEN];

static void
usage(void)
{
	fprintf(stderr, "usage: trapblast -t HOST:PORT -r RATE -d SECONDS "
	    "(-f FILE | -3) [-T] [-n SENDERS] [-a] [-V]\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "trapblast: %s\n", what);
	exit(2);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
load(const char *path)
{
	FILE		*fp;
	uint8_t		 hdr[4];
	size_t		 n = 0, len;
	unsigned	 off;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(2);
	}
	while (n < MAXPKT && fread(hdr, 1, 4, fp) == 4) {
		len = (size_t)hdr[0] << 8 | hdr[1];
		off = (unsigned)hdr[2] << 8 | hdr[3];
		if ((pk[n].data = malloc(len)) == NULL ||
		    fread(pk[n].data, 1, len, fp) != len) {
			fprintf(stderr, "%s: short datagram\n", path);
			exit(2);
		}
		pk[n].len = len;
		pk[n].reqid_off = off == 0xffff || off + 4 > len ? -1 :
		    (long)off;
		n++;
	}
	fclose(fp);
	if (n == 0) {
		fprintf(stderr, "%s: no datagrams\n", path);
		exit(2);
	}
	return n;
}

/* ------------------------------------------------------------ SNMPv3 */

/* Users from stdin: NAME AUTH AUTHPASS PRIV PRIVPASS a line. */
static void
read_users(void)
{
	char			 line[512], name[64], a[32], ap[200], p[32],
				 pp[200];
	struct usm_cred_params	 cp;
	enum usm_keyext		 ext;

	while (nusers < MAXUSERS && fgets(line, sizeof(line), stdin) !=
	    NULL) {
		if (sscanf(line, "%63s %31s %199s %31s %199s", name, a, ap, p,
		    pp) != 5 || strlen(name) > 32)
			die("a user line is not NAME AUTH PASS PRIV PASS");
		memset(&cp, 0, sizeof(cp));
		cp.user = name;
		cp.auth_password = ap;
		cp.priv_password = pp;
		if (usm_auth_from_name(a, &cp.auth) == -1 ||
		    usm_priv_from_name(p, &cp.priv, &ext) == -1)
			die("unknown protocol in a user line");
		cp.keyext = ext;
		snprintf(users[nusers].name, sizeof(users[nusers].name), "%s",
		    name);
		/* The credential, localized after discovery. */
		if ((users[nusers].c = usm_cred_new(&cp)) == NULL)
			die(snmpmgr_lasterr_detail());
		memset(line, 0, sizeof(line));
		memset(ap, 0, sizeof(ap));
		memset(pp, 0, sizeof(pp));
		nusers++;
	}
	if (nusers == 0)
		die("no users on stdin");
}

static void
localize(void)
{
	size_t	 i;

	for (i = 0; i < nusers; i++)
		if ((users[i].u = usm_user_new(users[i].c, engine, englen)) ==
		    NULL)
			die(snmpmgr_lasterr_detail());
}

/* A v3 message from fields; the length, its start in *out. */
static ssize_t
v3_msg(int32_t msgid, uint8_t flags, struct usm_user *u, const char *user,
    const struct snmp_pdu *pdu, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	static uint8_t	 pbuf[MAXLEN];
	struct v3_out	 o;
	const uint8_t	*pp;
	ssize_t		 plen;

	if ((plen = snmp_pdu_encode(pdu, pbuf, sizeof(pbuf), &pp)) == -1)
		return -1;
	memset(&o, 0, sizeof(o));
	o.msg_id = msgid;
	o.max_size = SNMPMGR_MAX_MSG_SIZE;
	o.flags = flags;
	o.engine_id = englen ? engine : (const uint8_t *)"";
	o.engine_id_len = englen;
	o.boots = eboots;
	o.time = etime;
	o.user = (const uint8_t *)user;
	o.user_len = strlen(user);
	o.u = u;
	o.ctx_engine_id = engine;
	o.ctx_engine_id_len = englen;
	o.pdu = pp;
	o.pdu_len = (size_t)plen;
	return v3_encode(&o, buf, size, scratch, sizeof(scratch), out);
}

/* Frame one BER SEQUENCE at the start of p: its length, 0 when more is
 * needed, -1 when it is no SEQUENCE. */
static ssize_t
frame_len(const uint8_t *p, size_t n)
{
	size_t	 k, len = 0, i;

	if (n < 2)
		return 0;
	if (p[0] != 0x30)
		return -1;
	if (p[1] < 0x80)
		return n >= 2u + p[1] ? 2 + p[1] : 0;
	k = p[1] & 0x7f;
	if (k == 0 || k > 3)
		return -1;
	if (n < 2 + k)
		return 0;
	for (i = 0; i < k; i++)
		len = len << 8 | p[2 + i];
	return n >= 2 + k + len ? (ssize_t)(2 + k + len) : 0;
}

/* Read one answer on sender 0 (for discovery), up to 5 s. */
static ssize_t
read_one(uint8_t *buf, size_t size)
{
	struct pollfd	 pfd = { snd[0].fd, POLLIN, 0 };
	double		 end = now() + 5;
	ssize_t		 n, f;
	size_t		 have = 0;

	while (now() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = recv(snd[0].fd, buf + have, size - have, 0)) <= 0) {
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			return -1;
		}
		if (!tcp)
			return n;
		have += (size_t)n;
		if ((f = frame_len(buf, have)) == -1)
			return -1;
		if (f > 0)
			return f;
	}
	return -1;
}

static void
send_all(int fd, const uint8_t *p, size_t len)
{
	struct pollfd	 pfd = { fd, POLLOUT, 0 };
	ssize_t		 n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				poll(&pfd, 1, 100);
				continue;
			}
			die("send failed");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* RFC 3414 4: the receiver's engine ID, boots and time from the Report
 * to a noAuthNoPriv probe with an empty engine ID. */
static void
discover(void)
{
	static uint8_t		 buf[MAXLEN], ans[MAXLEN];
	struct snmp_pdu		 pdu;
	struct snmp_msg		 msg;
	struct snmp_varbind	 vb[4];
	struct usm_secparams	 sp;
	const uint8_t		*p;
	ssize_t			 n;
	int			 try;

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_GET;
	pdu.request_id = 0x7ffffff0;
	for (try = 0; try < 3; try++) {
		englen = 0;
		if ((n = v3_msg(0x7ffffff0, SNMP_MSGFLAG_REPORT, NULL, "", &pdu,
		    buf, sizeof(buf), &p)) == -1)
			die(snmpmgr_lasterr_detail());
		send_all(snd[0].fd, p, (size_t)n);
		if ((n = read_one(ans, sizeof(ans))) <= 0)
			continue;
		memset(&msg, 0, sizeof(msg));
		msg.pdu.vb = vb;
		msg.pdu.maxvb = 4;
		if (snmp_msg_decode(ans, (size_t)n, &msg) == -1 ||
		    msg.version != SNMP_V3 || v3_secparams(&msg, &sp) == -1 ||
		    msg.pdu.type != SNMP_PDU_REPORT || sp.engine_id_len == 0 ||
		    sp.engine_id_len > sizeof(engine))
			die("the discovery probe's answer is no Report with "
			    "an engine ID");
		memcpy(engine, sp.engine_id, sp.engine_id_len);
		englen = sp.engine_id_len;
		eboots = sp.boots;
		etime = sp.time;
		return;
	}
	die("no answer to the discovery probe");
}

/* 16 informs for each sender, made once. */
static void
make_informs(void)
{
	static uint8_t		 buf[MAXLEN], tb[128];
	static struct oid	 trap;
	struct snmp_varbind	 vb[4];
	struct snmp_pdu		 pdu;
	char			 host[40];
	ssize_t			 tl;
	const uint8_t		*p;
	size_t			 s, b, j;
	ssize_t			 n;

	memset(vb, 0, sizeof(vb));
	if (oid_parse_str(&vb[0].name, "1.3.6.1.2.1.1.3.0") == -1 ||
	    oid_parse_str(&vb[1].name, "1.3.6.1.6.3.1.1.4.1.0") == -1 ||
	    oid_parse_str(&vb[2].name, "1.3.6.1.2.1.1.5.0") == -1 ||
	    oid_parse_str(&vb[3].name, "1.3.6.1.2.1.2.2.1.1.7") == -1)
		die("oid");
	vb[0].value.type = SNMP_T_TIMETICKS;
	vb[0].value.u = 4242;
	vb[1].value.type = SNMP_T_OID;
	if (oid_parse_str(&trap, TRAP_OID) == -1 ||
	    (tl = oid_to_ber(&trap, tb, sizeof(tb))) == -1)
		die("oid");
	vb[1].value.data = tb;
	vb[1].value.len = (size_t)tl;
	vb[2].value.type = SNMP_T_OCTETS;
	vb[2].value.data = (const uint8_t *)host;
	vb[3].value.type = SNMP_T_INTEGER;
	vb[3].value.i = 7;
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_INFORM;
	pdu.vb = vb;
	pdu.nvb = pdu.maxvb = 4;
	npk = 0;
	for (s = 0; s < nsnd; s++) {
		snprintf(host, sizeof(host), "benchmark-host-%04zu", s);
		vb[2].value.len = strlen(host);
		for (b = 0; b < BURST; b++) {
			j = s * BURST + b;
			pdu.request_id = (int32_t)(REQID_BASE + j);
			if ((n = v3_msg((int32_t)(MSGID_BASE + j),
			    SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV |
			    SNMP_MSGFLAG_REPORT, users[snd[s].user].u,
			    users[snd[s].user].name, &pdu, buf, sizeof(buf),
			    &p)) == -1)
				die(snmpmgr_lasterr_detail());
			if ((pk[j].data = malloc((size_t)n)) == NULL)
				die("out of memory");
			memcpy(pk[j].data, p, (size_t)n);
			pk[j].len = (size_t)n;
			pk[j].reqid_off = -1;
			npk++;
		}
	}
}

/* ------------------------------------------------------------ answers */

/* Index (request-id - REQID_BASE) of an answer -V accepts, else -1. */
static long
answer_index(const struct snmp_pdu *pdu)
{
	uint64_t	 i = (uint64_t)(uint32_t)pdu->request_id - REQID_BASE;

	if (pdu->request_id < REQID_BASE || i >= nseen || seen[i] ||
	    pdu->error_status != 0 || pdu->nvb == 0)
		return -1;
	return (long)i;
}

static void
answer(size_t s, const uint8_t *buf, size_t len)
{
	static uint8_t		 plain[MAXLEN];
	struct snmp_varbind	 vb[16];
	struct snmp_msg		 msg;
	struct usm_secparams	 sp;
	struct usm_user		*u;
	long			 i;

	answered++;
	last_answer = now();
	if (!verify)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = vb;
	msg.pdu.maxvb = 16;
	if (snmp_msg_decode(buf, len, &msg) == -1) {
		bad++;
		return;
	}
	if (msg.version == SNMP_V3) {
		u = users[snd[s].user].u;
		if (v3_secparams(&msg, &sp) == -1 ||
		    !(msg.msg_flags & SNMP_MSGFLAG_AUTH)) {
			/* Unauthenticated: a Report, or nothing we take. */
			if (msg.encrypted == NULL &&
			    msg.pdu.type == SNMP_PDU_REPORT)
				reports++;
			else
				bad++;
			return;
		}
		if (sp.engine_id_len != englen ||
		    memcmp(sp.engine_id, engine, englen) != 0 ||
		    sp.user_len != strlen(users[snd[s].user].name) ||
		    memcmp(sp.user, users[snd[s].user].name, sp.user_len) != 0 ||
		    v3_verify(u, buf, len, &sp) == -1 ||
		    ((msg.msg_flags & SNMP_MSGFLAG_PRIV) &&
		    v3_decrypt(u, &msg, &sp, plain, sizeof(plain)) == -1)) {
			bad++;
			return;
		}
	}
	if (msg.pdu.type == SNMP_PDU_REPORT) {
		reports++;
		return;
	}
	if (msg.pdu.type != SNMP_PDU_RESPONSE ||
	    (i = answer_index(&msg.pdu)) == -1 ||
	    (v3 && (msg.msg_id != (int32_t)(MSGID_BASE + i) ||
	    (size_t)i / BURST != s || msg.pdu.nvb != 4))) {
		bad++;
		return;
	}
	seen[i] = 1;
	responses++;
}

/* Whatever is readable on every sender, answers handed to answer(). */
static void
drain(struct pollfd *pfd)
{
	static uint8_t	 buf[MAXLEN];
	size_t		 s;
	ssize_t		 n, f;

	for (s = 0; s < nsnd; s++) {
		if (!(pfd[s].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if (!tcp) {
			while ((n = recv(snd[s].fd, buf, sizeof(buf),
			    MSG_DONTWAIT)) > 0)
				answer(s, buf, (size_t)n);
			continue;
		}
		for (;;) {
			n = recv(snd[s].fd, snd[s].in + snd[s].inlen,
			    IN_MAX - snd[s].inlen, MSG_DONTWAIT);
			if (n == 0)
				die("a TCP connection was closed by the "
				    "receiver");
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("a TCP connection broke");
			}
			snd[s].inlen += (size_t)n;
			while ((f = frame_len(snd[s].in, snd[s].inlen)) > 0) {
				answer(s, snd[s].in, (size_t)f);
				memmove(snd[s].in, snd[s].in + f,
				    snd[s].inlen - (size_t)f);
				snd[s].inlen -= (size_t)f;
			}
			if (f == -1)
				die("an answer that is no SEQUENCE");
		}
	}
}

/* Hand the kernel what sender s has queued (TCP). */
static void
tcp_push(size_t s)
{
	ssize_t	 n;

	while (snd[s].outlen > 0) {
		n = send(snd[s].fd, snd[s].out, snd[s].outlen,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("a TCP send failed");
		}
		memmove(snd[s].out, snd[s].out + n, snd[s].outlen -
		    (size_t)n);
		snd[s].outlen -= (size_t)n;
	}
}

/*
 * Wait until `until` (monotonic s) or, when block is set, until sender
 * `need` can take more (TCP), reading answers meanwhile when rd.
 */
static void
wait_io(struct pollfd *pfd, double until, bool rd, long need)
{
	struct timespec	 ts;
	double		 t;
	size_t		 s;
	int		 r;

	for (;;) {
		t = now();
		if (need < 0 && t >= until)
			return;
		if (need >= 0 && snd[need].outlen < OUT_MAX / 2)
			return;
		if (!rd && !tcp) {
			ts.tv_sec = (time_t)(until - t);
			ts.tv_nsec = (long)((until - t - (double)ts.tv_sec) *
			    1e9);
			nanosleep(&ts, NULL);
			return;
		}
		for (s = 0; s < nsnd; s++) {
			pfd[s].fd = snd[s].fd;
			pfd[s].events = (rd ? POLLIN : 0) |
			    (snd[s].outlen > 0 ? POLLOUT : 0);
			pfd[s].revents = 0;
		}
		if (need >= 0) {
			ts.tv_sec = 0;
			ts.tv_nsec = 100000000;
		} else {
			ts.tv_sec = (time_t)(until - t);
			ts.tv_nsec = (long)((until - t - (double)ts.tv_sec) *
			    1e9);
		}
		if ((r = ppoll(pfd, nsnd, &ts, NULL)) <= 0)
			continue;
		if (rd)
			drain(pfd);
		for (s = 0; s < nsnd; s++)
			if (pfd[s].revents & POLLOUT)
				tcp_push(s);
	}
}

/* ------------------------------------------------------------ main */

static void
open_senders(const char *target, size_t n)
{
	struct addrinfo	 hints, *res;
	char		 host[256], *port;
	size_t		 s;
	int		 fd, sz = 4 << 20, one = 1;

	snprintf(host, sizeof(host), "%s", target);
	if ((port = strrchr(host, ':')) == NULL)
		usage();
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		die("bad target");
	for (s = 0; s < n; s++) {
		if ((fd = socket(res->ai_family, hints.ai_socktype, 0)) ==
		    -1 || connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
			perror("socket");
			exit(2);
		}
		if (!tcp)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		else {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			if ((snd[s].out = malloc(OUT_MAX)) == NULL ||
			    (snd[s].in = malloc(IN_MAX)) == NULL)
				die("out of memory");
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		snd[s].fd = fd;
		snd[s].user = nusers ? (int)(s % nusers) : 0;
	}
	nsnd = n;
	freeaddrinfo(res);
}

int
main(int argc, char *argv[])
{
	struct mmsghdr		 mh[BATCH];
	struct iovec		 iov[BATCH];
	static uint8_t		 bufs[BATCH][MAXLEN];
	static struct pollfd	 pfd[MAXSENDERS];
	const char		*target = NULL, *file = NULL;
	double			 rate = 0, secs = 0, t, end;
	uint64_t		 sent = 0, errors = 0, total, burst = 0;
	uint32_t		 reqid = REQID_BASE - 1;
	size_t			 i, k = 0, nsenders = 1, bsize, s;
	bool			 expect = false, rd;
	int			 ch, n;
	char			 hex[65];

	while ((ch = getopt(argc, argv, "t:r:d:f:3Tn:aV")) != -1) {
		switch (ch) {
		case 't':
			target = optarg;
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'f':
			file = optarg;
			break;
		case '3':
			v3 = true;
			break;
		case 'T':
			tcp = true;
			break;
		case 'n':
			nsenders = strtoul(optarg, NULL, 10);
			break;
		case 'a':
			expect = true;
			break;
		case 'V':
			verify = expect = true;
			break;
		default:
			usage();
		}
	}
	if (target == NULL || (file == NULL) == !v3 || rate <= 0 ||
	    secs <= 0 || nsenders < 1 || nsenders > MAXSENDERS)
		usage();
	if (v3) {
		read_users();
		expect = true;
	} else
		npk = load(file);
	open_senders(target, nsenders);
	if (v3) {
		discover();
		localize();
		make_informs();
	}
	bsize = nsnd == 1 ? BATCH : BURST;
	total = (uint64_t)(rate * secs);
	if (verify) {
		if (v3 && total > npk)
			die("-V sends each inform once: at most 16 per sender");
		nseen = total;
		if ((seen = calloc(total + 1, 1)) == NULL)
			die("out of memory");
	}
	/* Read while sending: TCP always, UDP to check. */
	rd = tcp || verify;
	t0 = now();
	while (sent + errors < total) {
		/* Pace: this burst is due at t0 + sent / rate. */
		wait_io(pfd, t0 + (double)(sent + errors) / rate, rd, -1);
		s = burst++ % nsnd;
		if (v3)
			k = s * BURST;	/* the sender's own informs */
		n = 0;
		while ((size_t)n < bsize && sent + errors + (uint64_t)n <
		    total) {
			struct pkt *p = &pk[k++ % npk];

			memcpy(bufs[n], p->data, p->len);
			if (p->reqid_off >= 0) {
				uint8_t	*q = bufs[n] + p->reqid_off;

				reqid++;
				q[0] = (uint8_t)(reqid >> 24) & 0x7f;
				q[1] = (uint8_t)(reqid >> 16);
				q[2] = (uint8_t)(reqid >> 8);
				q[3] = (uint8_t)reqid;
			}
			iov[n].iov_base = bufs[n];
			iov[n].iov_len = p->len;
			memset(&mh[n], 0, sizeof(mh[n]));
			mh[n].msg_hdr.msg_iov = &iov[n];
			mh[n].msg_hdr.msg_iovlen = 1;
			n++;
		}
		if (tcp) {
			if (snd[s].outlen > OUT_MAX / 2)
				wait_io(pfd, 0, true, (long)s);
			for (i = 0; i < (size_t)n; i++) {
				if (snd[s].outlen + iov[i].iov_len > OUT_MAX)
					die("TCP queue overflow");
				memcpy(snd[s].out + snd[s].outlen,
				    iov[i].iov_base, iov[i].iov_len);
				snd[s].outlen += iov[i].iov_len;
			}
			tcp_push(s);
			sent += (uint64_t)n;
			continue;
		}
		for (i = 0; i < (size_t)n; ) {
			int	 r = sendmmsg(snd[s].fd, mh + i,
			    (unsigned)n - (unsigned)i, 0);

			if (r == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN) {
					struct pollfd	 w = { snd[s].fd,
					    POLLOUT, 0 };

					poll(&w, 1, 10);
					continue;
				}
				/* ECONNREFUSED and the like: count, go on. */
				errors++;
				i++;
				continue;
			}
			sent += (uint64_t)r;
			i += (size_t)r;
		}
	}
	/* What is queued goes out; then the answers, when expected. */
	for (s = 0; tcp && s < nsnd; s++) {
		tcp_push(s);
		while (snd[s].outlen > 0) {
			wait_io(pfd, now() + 0.01, true, -1);
			tcp_push(s);
		}
	}
	t = now() - t0;
	if (expect && rd) {
		end = now() + 10;
		while (answered < sent && now() < end)
			wait_io(pfd, now() + 0.05, true, -1);
	}
	for (i = 0; i < englen; i++)
		snprintf(hex + 2 * i, 3, "%02x", engine[i]);
	hex[2 * englen] = '\0';
	printf("{\"sent\": %llu, \"seconds\": %.3f, \"rate\": %.0f, "
	    "\"errors\": %llu, \"answered\": %llu, \"responses\": %llu, "
	    "\"reports\": %llu, \"bad\": %llu, \"last_answer\": %.3f, "
	    "\"engine_id\": \"%s\", "
	    "\"boots\": %u, \"time\": %u}\n", (unsigned long long)sent, t,
	    (double)sent / t, (unsigned long long)errors,
	    (unsigned long long)answered, (unsigned long long)responses,
	    (unsigned long long)reports, (unsigned long long)bad,
	    answered ? last_answer - t0 : 0.0, hex,
	    eboots, etime);
	return 0;
}
