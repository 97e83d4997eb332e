/*
 * responder.c - a small, fast SNMP agent for the poll benchmark
 * (bench/poll.py): it answers v1/v2c Get, GetNext and GetBulk requests
 * from a computed table on many UDP ports at once, so that in a benchmark
 * the manager, not the agent, is what runs out of CPU.
 *
 * The table is 1.3.6.1.4.1.99999.2.1.COL.ROW, COL 1..10, ROW 1..ROWS:
 * Counter32 values that change with time ((COL * 1000 + ROW) plus the
 * seconds since start).  Anything else is noSuchObject (Get) or past the
 * end of the table (endOfMibView).  Any community is accepted.
 *
 * Sockets are bound to the wildcard address, one per port, so every
 * 127.x.y.z address reaches them; each answer leaves from the address the
 * request went to (IP_PKTINFO), as a real agent's would, so a manager that
 * checks the origin of responses accepts it.  Datagrams are read and
 * written in batches (recvmmsg/sendmmsg) from an epoll loop, on one
 * thread.
 *
 *   responder [-p BASEPORT] [-n NPORTS] [-r ROWS]
 *
 * Prints "ready BASEPORT NPORTS" when listening; on SIGTERM or SIGINT
 * prints "answered N dropped M cpu_s S" and exits.  Not installed.
 */
#define _GNU_SOURCE

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"

#define BATCH		64
#define MAXVB		128
#define TABLE_COLS	10

static volatile sig_atomic_t	 stop;
static const uint32_t		 table[] = { 1, 3, 6, 1, 4, 1, 99999, 2, 1 };
#define TABLE_LEN	(sizeof(table) / sizeof(table[0]))
static uint32_t			 rows = 1000;
static time_t			 started;

static void
on_signal(int sig)
{
	stop = 1;
}

/* Is o COL.ROW inside the table?  Sets col and row. */
static int
in_table(const struct oid *o, uint32_t *col, uint32_t *row)
{
	size_t	 i;

	if (o->len != TABLE_LEN + 2)
		return 0;
	for (i = 0; i < TABLE_LEN; i++)
		if (o->arcs[i] != table[i])
			return 0;
	*col = o->arcs[TABLE_LEN];
	*row = o->arcs[TABLE_LEN + 1];
	return *col >= 1 && *col <= TABLE_COLS && *row >= 1 && *row <= rows;
}

static void
set_cell(struct snmp_varbind *vb, uint32_t col, uint32_t row)
{
	size_t	 i;

	for (i = 0; i < TABLE_LEN; i++)
		vb->name.arcs[i] = table[i];
	vb->name.arcs[TABLE_LEN] = col;
	vb->name.arcs[TABLE_LEN + 1] = row;
	vb->name.len = TABLE_LEN + 2;
	vb->value.type = SNMP_T_COUNTER32;
	vb->value.u = (uint32_t)(col * 1000 + row + (time(NULL) - started));
	vb->value.data = NULL;
	vb->value.len = 0;
}

/* The cell after o in table order (columns, then rows), or 0 at the end. */
static int
next_cell(const struct oid *o, uint32_t *col, uint32_t *row)
{
	struct oid	 first;
	uint32_t	 c, r;
	size_t		 i;
	int		 cmp;

	for (i = 0; i < TABLE_LEN; i++)
		first.arcs[i] = table[i];
	first.arcs[TABLE_LEN] = 1;
	first.arcs[TABLE_LEN + 1] = 1;
	first.len = TABLE_LEN + 2;
	cmp = oid_cmp(o, &first);
	if (cmp < 0) {
		*col = 1;
		*row = 1;
		return 1;
	}
	if (in_table(o, &c, &r)) {
		if (r < rows) {
			*col = c;
			*row = r + 1;
			return 1;
		}
		if (c < TABLE_COLS) {
			*col = c + 1;
			*row = 1;
			return 1;
		}
		return 0;
	}
	/* Inside the table's subtree but not a cell: the next column. */
	if (o->len > TABLE_LEN && memcmp(o->arcs, table, sizeof(table)) == 0) {
		c = o->arcs[TABLE_LEN];
		if (c == 0) {
			*col = 1;
			*row = 1;
			return 1;
		}
		if (o->len == TABLE_LEN + 1 && c <= TABLE_COLS) {
			*col = c;
			*row = 1;
			return 1;
		}
		if (c < TABLE_COLS) {
			*col = c + 1;
			*row = 1;
			return 1;
		}
	}
	return 0;
}

/* Answer one request in place; the response's length, or 0 to drop. */
static size_t
answer(const uint8_t *in, size_t inlen, uint8_t *out, size_t outsize,
    struct snmp_varbind *req, struct snmp_varbind *resp)
{
	struct snmp_msg	 msg, rmsg;
	struct oid	 cur;
	const uint8_t	*p;
	uint32_t	 col, row;
	size_t		 i, n = 0, nr, reps, k;
	ssize_t		 len;

	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = req;
	msg.pdu.maxvb = MAXVB;
	if (snmp_msg_decode(in, inlen, &msg) == -1 || msg.version == 3)
		return 0;
	switch (msg.pdu.type) {
	case SNMP_PDU_GET:
		for (i = 0; i < msg.pdu.nvb; i++) {
			if (in_table(&req[i].name, &col, &row))
				set_cell(&resp[n], col, row);
			else {
				resp[n].name = req[i].name;
				resp[n].value.type = SNMP_T_NOSUCHOBJECT;
				resp[n].value.len = 0;
			}
			n++;
		}
		break;
	case SNMP_PDU_GETNEXT:
	case SNMP_PDU_GETBULK:
		nr = msg.pdu.type == SNMP_PDU_GETBULK ?
		    (size_t)(msg.pdu.error_status < 0 ? 0 :
		    msg.pdu.error_status) : msg.pdu.nvb;
		reps = msg.pdu.type == SNMP_PDU_GETBULK ?
		    (size_t)(msg.pdu.error_index < 0 ? 0 :
		    msg.pdu.error_index) : 0;
		if (nr > msg.pdu.nvb)
			nr = msg.pdu.nvb;
		for (i = 0; i < nr && n < MAXVB; i++, n++) {
			if (next_cell(&req[i].name, &col, &row))
				set_cell(&resp[n], col, row);
			else {
				resp[n].name = req[i].name;
				resp[n].value.type = SNMP_T_ENDOFMIBVIEW;
			}
		}
		for (i = nr; i < msg.pdu.nvb; i++) {
			cur = req[i].name;
			for (k = 0; k < reps && n < MAXVB; k++, n++) {
				if (!next_cell(&cur, &col, &row)) {
					resp[n].name = cur;
					resp[n].value.type =
					    SNMP_T_ENDOFMIBVIEW;
					n++;
					break;
				}
				set_cell(&resp[n], col, row);
				cur = resp[n].name;
			}
		}
		break;
	default:
		return 0;
	}
	memset(&rmsg, 0, sizeof(rmsg));
	rmsg.version = msg.version;
	rmsg.community = msg.community;
	rmsg.community_len = msg.community_len;
	rmsg.pdu.type = SNMP_PDU_RESPONSE;
	rmsg.pdu.request_id = msg.pdu.request_id;
	rmsg.pdu.vb = resp;
	rmsg.pdu.nvb = rmsg.pdu.maxvb = n;
	if ((len = snmp_msg_encode(&rmsg, out, outsize, &p)) == -1)
		return 0;
	memmove(out, p, (size_t)len);
	return (size_t)len;
}

int
main(int argc, char *argv[])
{
	static uint8_t		 inbuf[BATCH][2048], outbuf[BATCH][4096];
	static uint8_t		 incmsg[BATCH][64], outcmsg[BATCH][64];
	static struct snmp_varbind req[MAXVB], resp[MAXVB];
	struct mmsghdr		 in[BATCH], outm[BATCH];
	struct iovec		 iin[BATCH], iout[BATCH];
	struct sockaddr_in	 from[BATCH], sin;
	struct epoll_event	 ev, evs[64];
	struct cmsghdr		*cm;
	struct in_pktinfo	*pi;
	struct rusage		 ru;
	struct sigaction	 sa;
	unsigned long long	 answered = 0, dropped = 0;
	int			*fds, ep, one = 1, rcv = 4 * 1024 * 1024;
	int			 base = 16100, nports = 100, ch, i, k, n, m, got;
	int			 sent = 0;
	size_t			 len;

	while ((ch = getopt(argc, argv, "p:n:r:")) != -1) {
		switch (ch) {
		case 'p':
			base = atoi(optarg);
			break;
		case 'n':
			nports = atoi(optarg);
			break;
		case 'r':
			rows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: responder [-p BASEPORT] "
			    "[-n NPORTS] [-r ROWS]\n");
			return 2;
		}
	}
	if (nports < 1 || base < 1 || base + nports > 65536 || rows < 1) {
		fprintf(stderr, "responder: bad arguments\n");
		return 2;
	}
	started = time(NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (fds = calloc((size_t)nports, sizeof(*fds))) == NULL) {
		perror("responder");
		return 1;
	}
	for (i = 0; i < nports; i++) {
		if ((fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			perror("responder: socket");
			return 1;
		}
		setsockopt(fds[i], IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		if (setsockopt(fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		    sizeof(rcv)) == -1)
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv,
			    sizeof(rcv));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)(base + i));
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			fprintf(stderr, "responder: bind port %d: %s\n",
			    base + i, strerror(errno));
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == -1) {
			perror("responder: epoll_ctl");
			return 1;
		}
	}
	printf("ready %d %d\n", base, nports);
	fflush(stdout);

	while (!stop) {
		if ((n = epoll_wait(ep, evs, 64, 200)) == -1) {
			if (errno == EINTR)
				continue;
			perror("responder: epoll_wait");
			break;
		}
		for (k = 0; k < n; k++) {
			int fd = fds[evs[k].data.u32];

			for (;;) {
				for (i = 0; i < BATCH; i++) {
					iin[i].iov_base = inbuf[i];
					iin[i].iov_len = sizeof(inbuf[i]);
					memset(&in[i], 0, sizeof(in[i]));
					in[i].msg_hdr.msg_name = &from[i];
					in[i].msg_hdr.msg_namelen =
					    sizeof(from[i]);
					in[i].msg_hdr.msg_iov = &iin[i];
					in[i].msg_hdr.msg_iovlen = 1;
					in[i].msg_hdr.msg_control = incmsg[i];
					in[i].msg_hdr.msg_controllen =
					    sizeof(incmsg[i]);
				}
				got = recvmmsg(fd, in, BATCH, MSG_DONTWAIT,
				    NULL);
				if (got <= 0)
					break;
				m = 0;
				for (i = 0; i < got; i++) {
					len = answer(inbuf[i], in[i].msg_len,
					    outbuf[m], sizeof(outbuf[m]), req,
					    resp);
					if (len == 0) {
						dropped++;
						continue;
					}
					iout[m].iov_base = outbuf[m];
					iout[m].iov_len = len;
					memset(&outm[m], 0, sizeof(outm[m]));
					outm[m].msg_hdr.msg_name = &from[i];
					outm[m].msg_hdr.msg_namelen =
					    in[i].msg_hdr.msg_namelen;
					outm[m].msg_hdr.msg_iov = &iout[m];
					outm[m].msg_hdr.msg_iovlen = 1;
					/* Answer from the address asked. */
					for (cm = CMSG_FIRSTHDR(&in[i].msg_hdr);
					    cm != NULL; cm = CMSG_NXTHDR(
					    &in[i].msg_hdr, cm)) {
						if (cm->cmsg_level !=
						    IPPROTO_IP || cm->cmsg_type
						    != IP_PKTINFO)
							continue;
						pi = (struct in_pktinfo *)
						    CMSG_DATA(cm);
						memset(outcmsg[m], 0,
						    sizeof(outcmsg[m]));
						outm[m].msg_hdr.msg_control =
						    outcmsg[m];
						outm[m].msg_hdr.msg_controllen =
						    CMSG_SPACE(sizeof(*pi));
						cm = CMSG_FIRSTHDR(
						    &outm[m].msg_hdr);
						cm->cmsg_level = IPPROTO_IP;
						cm->cmsg_type = IP_PKTINFO;
						cm->cmsg_len = CMSG_LEN(
						    sizeof(*pi));
						memcpy(CMSG_DATA(cm), pi,
						    sizeof(*pi));
						((struct in_pktinfo *)
						    CMSG_DATA(cm))->ipi_ifindex =
						    0;
						break;
					}
					m++;
				}
				if (m > 0 && (sent = sendmmsg(fd, outm,
				    (unsigned)m, 0)) > 0)
					answered += (unsigned long long)sent;
				if (sent < m)
					dropped += (unsigned long long)(m -
					    (sent > 0 ? sent : 0));
				if (got < BATCH)
					break;
			}
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("answered %llu dropped %llu cpu_s %.3f\n", answered, dropped,
	    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
