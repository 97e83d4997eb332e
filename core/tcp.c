/*
 * tcp.c - RFC 3430 stream framing: reassemble BER-framed SNMP messages
 * from a TCP byte stream, within a bound.
 *
 * The framer copies octets into its buffer one message at a time.  Until
 * the outer SEQUENCE's tag and length field are complete it takes one
 * octet per step, so it never reads past a short message into the next
 * one; once the length is known it takes the rest of the message in one
 * copy and stops there.  The buffer grows to the size of the message being
 * read (never past max_msg) and a large one is given back once the message
 * is collected, so an idle connection holds almost nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ber.h"
#include "errors.h"
#include "limits.h"
#include "tcp.h"

/* Tag, first length octet and at most SNMPMGR_MAX_BER_LEN_OCTETS more. */
#define TCP_HDR_MAX	(2 + SNMPMGR_MAX_BER_LEN_OCTETS)
/* A buffer larger than this is freed once its message is collected. */
#define TCP_KEEP_CAP	4096

struct tcp_framer {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 len;		/* octets of the current message held */
	size_t		 frame;		/* its whole length; 0 until known */
	size_t		 max_msg;
	bool		 collected;	/* returned by tcp_framer_next() */
	int		 err;		/* the failure, once failed */
	char		 detail[160];
};

struct tcp_framer *
tcp_framer_new(size_t max_msg)
{
	struct tcp_framer	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if (max_msg == 0 || max_msg > SNMPMGR_MAX_TCP_MSG)
		max_msg = SNMPMGR_MAX_TCP_MSG;
	f->max_msg = max_msg;
	return f;
}

void
tcp_framer_free(struct tcp_framer *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

/* Drop the current message; give a large buffer back. */
static void
tcp_drop(struct tcp_framer *f)
{
	f->len = 0;
	f->frame = 0;
	f->collected = false;
	if (f->cap > TCP_KEEP_CAP) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
}

void
tcp_framer_reset(struct tcp_framer *f)
{
	tcp_drop(f);
	f->err = 0;
	f->detail[0] = '\0';
}

static int
tcp_fail(struct tcp_framer *f, int code, const char *detail)
{
	f->err = code;
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
	snmpmgr_seterr(code, "%s", f->detail);
	return -1;
}

static int
tcp_failed(const struct tcp_framer *f)
{
	snmpmgr_seterr(f->err, "%s", f->detail);
	return -1;
}

/*
 * X.690 8.1.2-8.1.3 on the octets held so far: set f->frame once the
 * outer SEQUENCE's header is complete.  0 (known or not yet), -1 refused.
 */
static int
tcp_header(struct tcp_framer *f)
{
	char		 d[160];
	uint64_t	 v;
	size_t		 n;

	if (f->len >= 1 && f->buf[0] != BER_TAG_SEQUENCE) {
		snprintf(d, sizeof(d), "stream octet 0x%02x where a message "
		    "(SEQUENCE, 0x30) must start", f->buf[0]);
		return tcp_fail(f, SNMPMGR_ERR_DEFECTIVE, d);
	}
	if (f->len < 2)
		return 0;
	if (f->buf[1] < 0x80) {
		f->frame = 2 + (size_t)f->buf[1];
		return 0;
	}
	n = f->buf[1] & 0x7f;
	if (n == 0)
		/* X.690 8.1.3.6: the indefinite form, never in SNMP. */
		return tcp_fail(f, SNMPMGR_ERR_DEFECTIVE,
		    "indefinite length on the stream");
	if (n > SNMPMGR_MAX_BER_LEN_OCTETS) {
		snprintf(d, sizeof(d), "length field of %zu octets", n);
		return tcp_fail(f, SNMPMGR_ERR_DEFECTIVE, d);
	}
	if (f->len < 2 + n)
		return 0;
	if (ber_decode_uint(f->buf + 2, n, &v) == -1)
		return tcp_fail(f, SNMPMGR_ERR_DEFECTIVE,
		    "unreadable length field");
	if (v > f->max_msg - 2 - n) {
		snprintf(d, sizeof(d), "message of %llu octets announced, "
		    "at most %zu taken", (unsigned long long)v + 2 + n,
		    f->max_msg);
		return tcp_fail(f, SNMPMGR_ERR_MSG_TOO_LONG, d);
	}
	f->frame = 2 + n + (size_t)v;
	return 0;
}

static int
tcp_reserve(struct tcp_framer *f, size_t need)
{
	uint8_t	*nb;

	if (need <= f->cap)
		return 0;
	if (need < TCP_HDR_MAX)
		need = TCP_HDR_MAX;
	if ((nb = realloc(f->buf, need)) == NULL)
		return -1;
	f->buf = nb;
	f->cap = need;
	return 0;
}

ssize_t
tcp_framer_push(struct tcp_framer *f, const uint8_t *p, size_t n)
{
	size_t	 took = 0, k;

	if (f->err != 0)
		return tcp_failed(f);
	if (f->collected)
		tcp_drop(f);
	while (took < n) {
		if (f->frame == 0) {
			/* One octet at a time until the header is known. */
			if (tcp_reserve(f, f->len + 1) == -1)
				return -1;
			f->buf[f->len++] = p[took++];
			if (tcp_header(f) == -1)
				return -1;
			if (f->frame == 0 || f->len < f->frame)
				continue;
		} else if (f->len < f->frame) {
			if (tcp_reserve(f, f->frame) == -1)
				return -1;
			k = f->frame - f->len;
			if (k > n - took)
				k = n - took;
			memcpy(f->buf + f->len, p + took, k);
			f->len += k;
			took += k;
		}
		if (f->len == f->frame)
			break;	/* complete: wait for tcp_framer_next() */
	}
	return (ssize_t)took;
}

int
tcp_framer_next(struct tcp_framer *f, const uint8_t **msg, size_t *len)
{
	if (f->err != 0)
		return tcp_failed(f);
	if (f->collected)
		tcp_drop(f);
	if (f->frame == 0 || f->len < f->frame)
		return 0;
	f->collected = true;
	*msg = f->buf;
	*len = f->frame;
	return 1;
}

int
tcp_framer_feed(struct tcp_framer *f, const uint8_t *p, size_t n,
    int (*cb)(const uint8_t *, size_t, void *), void *arg)
{
	const uint8_t	*m;
	size_t		 mlen;
	ssize_t		 k;
	int		 r;

	for (;;) {
		while ((r = tcp_framer_next(f, &m, &mlen)) == 1)
			if (cb(m, mlen, arg) == -1)
				return -1;
		if (r == -1)
			return -1;
		if (n == 0)
			return 0;
		if ((k = tcp_framer_push(f, p, n)) == -1)
			return -1;
		p += k;
		n -= (size_t)k;
	}
}

size_t
tcp_framer_pending(const struct tcp_framer *f)
{
	return f->collected ? 0 : f->len;
}
