/*
 * trapsink.c - the floor of trap intake on this machine: a receiver that
 * only reads datagrams, for the trap receiver benchmark (bench/traps.py).
 *
 *	trapsink -l HOST:PORT -c COUNTFILE [-r RCVBUF] [-p PACE_US]
 *	    [-b BATCH] [-w FILE]
 *
 * Binds a UDP socket to HOST:PORT (RCVBUF bytes of receive buffer asked
 * with SO_RCVBUFFORCE, else SO_RCVBUF) and reads it as snmpmgrd's trap
 * listener does, minus everything snmpmgrd does with a datagram: on
 * readiness (poll), recvmmsg batches of BATCH (default 64, at most 1024)
 * until one comes back short, 512 datagrams at most (all 512: read on at
 * once); when a wake-up found 32 or more, it sleeps PACE_US microseconds
 * (default 500, as snmpmgrd's paced read; 0: none) and reads again
 * instead of waiting for readiness.  The datagrams are discarded, or
 * with -w appended to FILE (created, truncated) in write(2)s of 64 KiB,
 * with fdatasync(2) and the page cache of the file dropped
 * (posix_fadvise DONTNEED) once a second, as snmpmgrd's journal does
 * with fsync "interval" (here in the one thread).
 *
 * The number of datagrams read so far is kept as a native uint64_t at
 * the start of COUNTFILE (created, mapped shared), so the bench reads it
 * without a system call here.  SIGTERM or SIGINT: flush, exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* recvmmsg */
#endif

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXBATCH	1024
#define PACE_MIN	32
#define PER_WAKE	512	/* datagrams read per wake-up at most */
#define MAXLEN		4096	/* the bench's datagrams are < 256 */
#define CHUNK		(64 * 1024)

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: trapsink -l HOST:PORT -c COUNTFILE "
	    "[-r RCVBUF] [-p PACE_US] [-b BATCH] [-w FILE]\n");
	exit(2);
}

static void
put_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			perror("trapsink: write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	static struct mmsghdr	 mh[MAXBATCH];
	static struct iovec	 iov[MAXBATCH];
	static struct sockaddr_in from[MAXBATCH];
	static char		 bufs[MAXBATCH][MAXLEN];
	static char		 chunk[CHUNK];
	struct sockaddr_in	 sin;
	struct sigaction	 sa;
	struct pollfd		 pfd;
	struct timespec		 pace;
	const char		*listen = NULL, *countfile = NULL;
	const char		*wfile = NULL;
	char			*host, *colon;
	volatile uint64_t	*count;
	size_t			 fill = 0;
	time_t			 synced = 0;
	long			 pace_us = 500;
	int			 c, fd, cfd, wfd = -1, rcvbuf = 0, i, n;
	int			 batch = 64, total;

	while ((c = getopt(argc, argv, "l:c:r:p:b:w:")) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'c': countfile = optarg; break;
		case 'r': rcvbuf = atoi(optarg); break;
		case 'p': pace_us = atol(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'w': wfile = optarg; break;
		default: usage();
		}
	}
	if (listen == NULL || countfile == NULL || pace_us < 0 ||
	    pace_us >= 1000000 || batch < 1 || batch > MAXBATCH)
		usage();
	pace.tv_sec = 0;
	pace.tv_nsec = pace_us * 1000;

	if ((host = strdup(listen)) == NULL ||
	    (colon = strrchr(host, ':')) == NULL)
		usage();
	*colon = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		usage();

	if ((cfd = open(countfile, O_RDWR | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    ftruncate(cfd, sizeof(uint64_t)) == -1 ||
	    (count = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED, cfd, 0)) == MAP_FAILED) {
		perror(countfile);
		return 1;
	}
	*count = 0;
	if (wfile != NULL && (wfd = open(wfile, O_WRONLY | O_CREAT |
	    O_TRUNC | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		perror(wfile);
		return 1;
	}

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("socket");
		return 1;
	}
	if (rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1) {
		perror("SO_RCVBUF");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("bind");
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pfd.fd = fd;
	pfd.events = POLLIN;
	total = 0;
	while (!stop) {
		if (total >= PER_WAKE)
			;		/* more waiting: no pause */
		else if (total >= PACE_MIN && pace_us > 0)
			nanosleep(&pace, NULL);
		else if (total < PACE_MIN &&
		    poll(&pfd, 1, 1000) == -1 && errno != EINTR) {
			perror("poll");
			return 1;
		}
		total = 0;
		while (total < PER_WAKE) {
			for (i = 0; i < batch; i++) {
				iov[i].iov_base = bufs[i];
				iov[i].iov_len = MAXLEN;
				mh[i].msg_hdr.msg_name = &from[i];
				mh[i].msg_hdr.msg_namelen = sizeof(from[i]);
				mh[i].msg_hdr.msg_iov = &iov[i];
				mh[i].msg_hdr.msg_iovlen = 1;
				mh[i].msg_hdr.msg_control = NULL;
				mh[i].msg_hdr.msg_controllen = 0;
				mh[i].msg_hdr.msg_flags = 0;
			}
			n = recvmmsg(fd, mh, (unsigned)batch, MSG_DONTWAIT,
			    NULL);
			if (n <= 0)
				break;
			total += n;
			for (i = 0; wfd != -1 && i < n; i++) {
				if (fill + mh[i].msg_len > CHUNK) {
					put_all(wfd, chunk, fill);
					fill = 0;
				}
				memcpy(chunk + fill, bufs[i], mh[i].msg_len);
				fill += mh[i].msg_len;
			}
			*count += (uint64_t)n;
			if (n < batch)
				break;
		}
		/* Once a second (of the clock). */
		if (wfd != -1 && time(NULL) != synced) {
			if (fdatasync(wfd) == -1) {
				perror("trapsink: fdatasync");
				return 1;
			}
			(void)posix_fadvise(wfd, 0, 0, POSIX_FADV_DONTNEED);
			synced = time(NULL);
		}
	}
	if (wfd != -1) {
		put_all(wfd, chunk, fill);
		close(wfd);
	}
	return 0;
}
