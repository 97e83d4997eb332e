/*
 * trapblast.c - send captured SNMP notifications at a fixed rate, for the
 * trap receiver benchmark (bench/traps.py).
 *
 *	trapblast -t HOST:PORT -r RATE -d SECONDS -f FILE
 *
 * FILE holds one or more datagrams (up to 4096), each as a 2-octet big-endian length,
 * a 2-octet big-endian offset of a 4-octet request-id to vary (0xffff:
 * none, as for an encrypted v3 trap whose request-id cannot change), and
 * the datagram.  They are sent in turn, the request-id (if any) counting
 * up, in sendmmsg batches of 64 on a connected UDP socket, paced against
 * CLOCK_MONOTONIC so the average rate is RATE.  At the end one JSON line
 * says what was sent: {"sent": N, "seconds": S, "rate": R, "errors": E}.
 * Loss is not counted here: the receiver's kernel counters tell it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* sendmmsg */
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define MAXPKT		4096
#define MAXLEN		65535

struct pkt {
	uint8_t		*data;
	size_t		 len;
	long		 reqid_off;	/* -1: none */
};

static void
usage(void)
{
	fprintf(stderr, "usage: trapblast -t HOST:PORT -r RATE -d SECONDS "
	    "-f FILE\n");
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
load(const char *path, struct pkt *pk)
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

int
main(int argc, char *argv[])
{
	static struct pkt	 pk[MAXPKT];
	struct mmsghdr		 mh[BATCH];
	struct iovec		 iov[BATCH];
	static uint8_t		 bufs[BATCH][MAXLEN];
	struct addrinfo		 hints, *res;
	struct timespec		 ts;
	const char		*target = NULL, *file = NULL;
	char			 host[256], *port;
	double			 rate = 0, secs = 0, t0, t, due;
	uint64_t		 sent = 0, errors = 0, total;
	uint32_t		 reqid = 0x10000000;
	size_t			 npk, i, k = 0;
	int			 ch, fd, n, sz = 4 << 20;

	while ((ch = getopt(argc, argv, "t:r:d:f:")) != -1) {
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
		default:
			usage();
		}
	}
	if (target == NULL || file == NULL || rate <= 0 || secs <= 0)
		usage();
	snprintf(host, sizeof(host), "%s", target);
	if ((port = strrchr(host, ':')) == NULL)
		usage();
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	npk = load(file, pk);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		fprintf(stderr, "bad target %s\n", target);
		return 2;
	}
	if ((fd = socket(res->ai_family, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		perror("socket");
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	freeaddrinfo(res);

	total = (uint64_t)(rate * secs);
	t0 = now();
	while (sent + errors < total) {
		/* Pace: the first datagram of this batch is due at t0 +
		 * sent / rate. */
		due = t0 + (double)(sent + errors) / rate;
		t = now();
		if (due > t) {
			ts.tv_sec = (time_t)(due - t);
			ts.tv_nsec = (long)((due - t - (double)ts.tv_sec) *
			    1e9);
			nanosleep(&ts, NULL);
		}
		n = 0;
		while (n < BATCH && sent + errors + (uint64_t)n < total) {
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
		for (i = 0; i < (size_t)n; ) {
			int	 r = sendmmsg(fd, mh + i,
			    (unsigned)n - (unsigned)i, 0);

			if (r == -1) {
				if (errno == EINTR)
					continue;
				/* ECONNREFUSED and the like: count, go on. */
				errors++;
				i++;
				continue;
			}
			sent += (uint64_t)r;
			i += (size_t)r;
		}
	}
	t = now() - t0;
	printf("{\"sent\": %llu, \"seconds\": %.3f, \"rate\": %.0f, "
	    "\"errors\": %llu}\n", (unsigned long long)sent, t,
	    (double)sent / t, (unsigned long long)errors);
	return 0;
}
