/*
 * requester.c - a raw, batched SNMP requester: the ceiling that
 * bench/poll.py measures snmpmgrd against, in the same run and against the
 * same bench/responder.
 *
 * It does the least a manager must do per poll and nothing else: encode a
 * v2c Get of NOIDS table cells (core's encoder, a fresh request-id each),
 * send it to the session's agent address, read the answer, decode it
 * (core's decoder) and match its request-id to the request in flight.
 * No timers, no scheduler, no JSON: requests go out in sendmmsg batches of
 * up to 64 and answers come back in recvmmsg batches, WINDOW requests in
 * flight, from one unconnected UDP socket.  Session i's agent is the
 * address of the same plan as poll.py: 127.A.B.C with
 * A = 1 + i / 62500, B = (i / 250) % 250 + 1, C = i % 250 + 1,
 * port BASE + i % NPORTS.
 *
 *   requester -p BASE -n NPORTS -s SESSIONS -o NOIDS -d SECONDS [-w WINDOW]
 *             [-r RATE [-t TICK_MS]] [-D PMTUDISC]
 *
 * With -r it offers RATE round trips a second instead of as many as it
 * can: every TICK_MS (default 25, about how often snmpmgrd's scheduler
 * wakes at 100,000 polls a minute) it sends what the rate allows since
 * the last tick and sleeps in between, so its CPU per round trip is the
 * kernel's at that rate (caches cold between ticks), not at full speed.
 * -D sets the socket's IP_MTU_DISCOVER to PMTUDISC (e.g. 3,
 * IP_PMTUDISC_PROBE: DF set, so the kernel gives each datagram IP ID 0
 * instead of taking one from its per-destination table).
 *
 * At the end it prints one JSON line: {"round_trips": N, "lost": L,
 * "bad": B, "cpu_s": C, "user_s": U, "sys_s": S, "wall_s": W} (CPU from
 * getrusage, user+system).
 * "bad" counts answers that failed to decode or matched no request: the
 * caller treats any as a failed correctness check.  Not installed.
 */
#define _GNU_SOURCE

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/oid.h"
#include "core/pdu.h"

#define BATCH		64
#define MAXOIDS		64
#define MAXWINDOW	65536

struct slot {
	int32_t		 reqid;		/* 0: free */
};

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
agent_addr(struct sockaddr_in *sin, long i, int base, int nports)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl((127u << 24) |
	    ((uint32_t)(1 + i / 62500) << 16) |
	    ((uint32_t)((i / 250) % 250 + 1) << 8) | (uint32_t)(i % 250 + 1));
	sin->sin_port = htons((uint16_t)(base + i % nports));
}

int
main(int argc, char *argv[])
{
	static uint8_t		 outbuf[BATCH][1500], inbuf[BATCH][4096];
	static struct snmp_varbind vb[MAXOIDS], rvb[MAXOIDS * 2];
	static struct slot	 slots[MAXWINDOW];
	static int		 freel[MAXWINDOW];
	int			 sent[BATCH], nfree;
	struct mmsghdr		 om[BATCH], im[BATCH];
	struct iovec		 oiov[BATCH], iiov[BATCH];
	struct sockaddr_in	 oaddr[BATCH], iaddr[BATCH];
	struct snmp_msg		 msg, rmsg;
	struct rusage		 ru;
	struct pollfd		 pfd;
	const uint8_t		*p;
	double			 t0, end, cpu;
	long			 sessions = 1000, next = 0, done = 0, lost = 0;
	long			 bad = 0, inflight = 0;
	int			 base = 0, nports = 1, noids = 10, window = 1000;
	int			 fd, c, i, n, k, rcv = 8 << 20, pmtu = -1;
	int32_t			 reqid = 1;
	double			 secs = 5, rate = 0, tick = 25, credit = 0;
	double			 last, wait;
	ssize_t			 len;

	while ((c = getopt(argc, argv, "p:n:s:o:d:w:r:t:D:")) != -1)
		switch (c) {
		case 'p': base = atoi(optarg); break;
		case 'n': nports = atoi(optarg); break;
		case 's': sessions = atol(optarg); break;
		case 'o': noids = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'w': window = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 't': tick = atof(optarg); break;
		case 'D': pmtu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: requester -p BASE -n NPORTS "
			    "-s SESSIONS -o NOIDS -d SECONDS [-w WINDOW] "
			    "[-r RATE [-t TICK_MS]] [-D IP_MTU_DISCOVER]\n");
			return 2;
		}
	if (base <= 0 || nports <= 0 || sessions <= 0 || noids <= 0 ||
	    noids > MAXOIDS || window <= 0 || window > MAXWINDOW ||
	    rate < 0 || tick <= 0) {
		fprintf(stderr, "requester: bad arguments\n");
		return 2;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1) {
		perror("socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (pmtu >= 0 && setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
	    sizeof(pmtu)) == -1) {
		perror("IP_MTU_DISCOVER");
		return 1;
	}
	for (i = 0; i < noids; i++) {
		char	 s[64];

		snprintf(s, sizeof(s), "1.3.6.1.4.1.99999.2.1.%d.1", i + 1);
		oid_parse_str(&vb[i].name, s);
		vb[i].value.type = SNMP_T_NULL;
	}
	memset(&msg, 0, sizeof(msg));
	msg.version = SNMP_V2C;
	msg.community = (const uint8_t *)"public";
	msg.community_len = 6;
	msg.pdu.type = SNMP_PDU_GET;
	msg.pdu.vb = vb;
	msg.pdu.nvb = msg.pdu.maxvb = (size_t)noids;

	for (nfree = 0; nfree < window; nfree++)
		freel[nfree] = window - 1 - nfree;
	pfd.fd = fd;
	pfd.events = POLLIN;
	t0 = last = now();
	end = t0 + secs;
	for (;;) {
		double	 t = now();

		/* Paced: what the rate allows since the last tick. */
		if (rate > 0 && t - last >= tick / 1000) {
			credit += (t - last) * rate;
			last = t;
		}
		/* Send: fill the window in batches. */
		while (t < end && inflight < window &&
		    (rate == 0 || credit >= 1)) {
			n = 0;
			while (n < BATCH && inflight + n < window &&
			    (rate == 0 || credit >= n + 1)) {
				int	 s = freel[--nfree];

				msg.pdu.request_id = (reqid << 16 | s) &
				    0x7fffffff;
				if (msg.pdu.request_id == 0)
					msg.pdu.request_id = s | 0x10000;
				len = snmp_msg_encode(&msg, outbuf[n],
				    sizeof(outbuf[n]), &p);
				if (len == -1)
					return 1;
				oiov[n].iov_base = (void *)p;
				oiov[n].iov_len = (size_t)len;
				agent_addr(&oaddr[n], next % sessions, base,
				    nports);
				memset(&om[n], 0, sizeof(om[n]));
				om[n].msg_hdr.msg_name = &oaddr[n];
				om[n].msg_hdr.msg_namelen = sizeof(oaddr[n]);
				om[n].msg_hdr.msg_iov = &oiov[n];
				om[n].msg_hdr.msg_iovlen = 1;
				slots[s].reqid = msg.pdu.request_id;
				sent[n] = s;
				reqid = (reqid + 1) & 0x7fff;
				next++;
				n++;
			}
			k = sendmmsg(fd, om, (unsigned)n, 0);
			if (k < 0) {
				if (errno == EAGAIN)
					k = 0;
				else {
					perror("sendmmsg");
					return 1;
				}
			}
			/* Unsent ones: free their slots again. */
			for (i = k; i < n; i++) {
				slots[sent[i]].reqid = 0;
				freel[nfree++] = sent[i];
				next--;
			}
			inflight += k;
			if (rate > 0)
				credit -= k;
			if (k < n)
				break;
		}
		if (t >= end && (inflight == 0 || t > end + 3))
			break;
		/* Paced and nothing in flight: sleep to the next tick. */
		wait = rate > 0 && inflight == 0 ? last + tick / 1000 - t : 0.1;
		if (poll(&pfd, 1, wait > 0 ? (int)(wait * 1000) + 1 : 0) <= 0)
			continue;
		for (i = 0; i < BATCH; i++) {
			iiov[i].iov_base = inbuf[i];
			iiov[i].iov_len = sizeof(inbuf[i]);
			memset(&im[i], 0, sizeof(im[i]));
			im[i].msg_hdr.msg_name = &iaddr[i];
			im[i].msg_hdr.msg_namelen = sizeof(iaddr[i]);
			im[i].msg_hdr.msg_iov = &iiov[i];
			im[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, im, BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++) {
			int	 s;

			memset(&rmsg, 0, sizeof(rmsg));
			rmsg.pdu.vb = rvb;
			rmsg.pdu.maxvb = MAXOIDS * 2;
			if (snmp_msg_decode(inbuf[i], im[i].msg_len, &rmsg) ==
			    -1 || rmsg.pdu.type != SNMP_PDU_RESPONSE ||
			    (int)rmsg.pdu.nvb != noids ||
			    rmsg.pdu.request_id <= 0) {
				bad++;
				continue;
			}
			s = (int)(rmsg.pdu.request_id & 0xffff);
			if (s >= window ||
			    slots[s].reqid != rmsg.pdu.request_id) {
				bad++;
				continue;
			}
			slots[s].reqid = 0;
			freel[nfree++] = s;
			inflight--;
			done++;
		}
	}
	lost = inflight;
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("{\"round_trips\": %ld, \"lost\": %ld, \"bad\": %ld, "
	    "\"cpu_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, "
	    "\"wall_s\": %.6f}\n", done, lost, bad, cpu,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, now() - t0);
	return 0;
}
