/*
 * check_tcp.c - RFC 3430 stream framing: messages that arrive one octet at
 * a time, split across reads or several to a read; length prefixes beyond
 * the bound, indefinite lengths and streams that do not start a message.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/tcp.h"
#include "check_main.h"

/* A v2c get-response, 41 octets (short-form length). */
static const uint8_t msg_a[] = {
	0x30, 0x27, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c,
	0x69, 0x63, 0xa2, 0x1a, 0x02, 0x02, 0x12, 0x34, 0x02, 0x01, 0x00,
	0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06,
	0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00,
};

/* Collects what the framer yields. */
struct got {
	size_t	 n;
	size_t	 len[8];
	uint8_t	 data[8][512];
};

static int
got_cb(const uint8_t *m, size_t len, void *arg)
{
	struct got	*g = arg;

	ck_assert_uint_lt(g->n, 8);
	ck_assert_uint_le(len, sizeof(g->data[0]));
	memcpy(g->data[g->n], m, len);
	g->len[g->n++] = len;
	return 0;
}

/* A message of total length total (>= 4) with a long-form length field. */
static size_t
make_long(uint8_t *buf, size_t total, uint8_t fill)
{
	size_t	 body = total - 4;

	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	memset(buf + 4, fill, body);
	return total;
}

START_TEST(tcp_one_octet_at_a_time)
{
	struct tcp_framer	*f = tcp_framer_new(0);
	const uint8_t		*m;
	size_t			 i, len;

	for (i = 0; i < sizeof(msg_a); i++) {
		ck_assert_int_eq(tcp_framer_next(f, &m, &len), 0);
		ck_assert_int_eq(tcp_framer_push(f, msg_a + i, 1), 1);
		ck_assert_uint_eq(tcp_framer_pending(f), i + 1);
	}
	ck_assert_int_eq(tcp_framer_next(f, &m, &len), 1);
	ck_assert_uint_eq(len, sizeof(msg_a));
	ck_assert_mem_eq(m, msg_a, sizeof(msg_a));
	ck_assert_int_eq(tcp_framer_next(f, &m, &len), 0);
	ck_assert_uint_eq(tcp_framer_pending(f), 0);
	tcp_framer_free(f);
}
END_TEST

START_TEST(tcp_message_split_across_reads)
{
	struct tcp_framer	*f = tcp_framer_new(0);
	struct got		 g;
	uint8_t			 big[300];
	size_t			 cuts[] = { 1, 3, 4, 5, 150, 299 };
	size_t			 i;

	make_long(big, sizeof(big), 0x5a);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(tcp_framer_feed(f, big, cuts[i], got_cb, &g),
		    0);
		ck_assert_uint_eq(g.n, 0);
		ck_assert_int_eq(tcp_framer_feed(f, big + cuts[i],
		    sizeof(big) - cuts[i], got_cb, &g), 0);
		ck_assert_uint_eq(g.n, 1);
		ck_assert_uint_eq(g.len[0], sizeof(big));
		ck_assert_mem_eq(g.data[0], big, sizeof(big));
	}
	tcp_framer_free(f);
}
END_TEST

START_TEST(tcp_two_messages_in_one_read)
{
	struct tcp_framer	*f = tcp_framer_new(0);
	struct got		 g;
	uint8_t			 buf[sizeof(msg_a) + 200 + 10];
	size_t			 n;

	memcpy(buf, msg_a, sizeof(msg_a));
	n = sizeof(msg_a) + make_long(buf + sizeof(msg_a), 200, 0x11);
	/* And the first 10 octets of a third one. */
	memcpy(buf + n, msg_a, 10);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(tcp_framer_feed(f, buf, n + 10, got_cb, &g), 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.len[0], sizeof(msg_a));
	ck_assert_mem_eq(g.data[0], msg_a, sizeof(msg_a));
	ck_assert_uint_eq(g.len[1], 200);
	ck_assert_mem_eq(g.data[1], buf + sizeof(msg_a), 200);
	ck_assert_uint_eq(tcp_framer_pending(f), 10);
	ck_assert_int_eq(tcp_framer_feed(f, msg_a + 10, sizeof(msg_a) - 10,
	    got_cb, &g), 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_mem_eq(g.data[2], msg_a, sizeof(msg_a));
	tcp_framer_free(f);
}
END_TEST

START_TEST(tcp_push_stops_at_a_complete_message)
{
	struct tcp_framer	*f = tcp_framer_new(0);
	uint8_t			 buf[2 * sizeof(msg_a)];
	const uint8_t		*m;
	size_t			 len;

	memcpy(buf, msg_a, sizeof(msg_a));
	memcpy(buf + sizeof(msg_a), msg_a, sizeof(msg_a));
	ck_assert_int_eq(tcp_framer_push(f, buf, sizeof(buf)),
	    (ssize_t)sizeof(msg_a));
	/* Nothing more is taken until the message is collected. */
	ck_assert_int_eq(tcp_framer_push(f, buf + sizeof(msg_a), 5), 0);
	ck_assert_int_eq(tcp_framer_next(f, &m, &len), 1);
	ck_assert_int_eq(tcp_framer_push(f, buf + sizeof(msg_a),
	    sizeof(msg_a)), (ssize_t)sizeof(msg_a));
	ck_assert_int_eq(tcp_framer_next(f, &m, &len), 1);
	ck_assert_mem_eq(m, msg_a, sizeof(msg_a));
	tcp_framer_free(f);
}
END_TEST

START_TEST(tcp_refuses_a_10_mib_length_prefix)
{
	struct tcp_framer	*f = tcp_framer_new(0);
	/* SEQUENCE of 10 MiB: 30 84 00 a0 00 00, then data never sent. */
	const uint8_t		 hdr[] = { 0x30, 0x84, 0x00, 0xa0, 0x00, 0x00,
	    0x02, 0x01 };
	const uint8_t		*m;
	size_t			 len;
	struct got		 g;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(tcp_framer_feed(f, hdr, sizeof(hdr), got_cb, &g),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "10485766"));
	ck_assert_uint_eq(g.n, 0);
	/* It stays failed: the stream cannot be resynchronised. */
	snmpmgr_clearerr();
	ck_assert_int_eq(tcp_framer_push(f, msg_a, sizeof(msg_a)), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_int_eq(tcp_framer_next(f, &m, &len), -1);
	/* Nothing of the announced size was ever allocated for it. */
	ck_assert_uint_le(tcp_framer_pending(f), 6);
	/* A new connection starts afresh. */
	tcp_framer_reset(f);
	ck_assert_int_eq(tcp_framer_feed(f, msg_a, sizeof(msg_a), got_cb, &g),
	    0);
	ck_assert_uint_eq(g.n, 1);
	tcp_framer_free(f);
}
END_TEST

START_TEST(tcp_bound_is_the_whole_message)
{
	struct tcp_framer	*f = tcp_framer_new(100);
	uint8_t			 buf[101];
	struct got		 g;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(tcp_framer_feed(f, buf, make_long(buf, 100, 1),
	    got_cb, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_int_eq(tcp_framer_feed(f, buf, make_long(buf, 101, 1),
	    got_cb, &g), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	tcp_framer_free(f);
	/* The default bound is SNMPMGR_MAX_TCP_MSG. */
	f = tcp_framer_new(0);
	{
		const uint8_t ok[] = { 0x30, 0x83, 0x00, 0xff, 0xde };
		const uint8_t no[] = { 0x30, 0x83, 0x00, 0xff, 0xdf };

		ck_assert_uint_eq(5 + 0xffde, SNMPMGR_MAX_TCP_MSG);
		ck_assert_int_eq(tcp_framer_push(f, ok, sizeof(ok)), 5);
		tcp_framer_reset(f);
		ck_assert_int_eq(tcp_framer_push(f, no, sizeof(no)), -1);
	}
	tcp_framer_free(f);
}
END_TEST

START_TEST(tcp_refuses_malformed_prefixes)
{
	static const struct {
		uint8_t	 b[8];
		size_t	 n;
		int	 err;
	} bad[] = {
		{ { 0x04, 0x02, 0x00, 0x00 }, 4, SNMPMGR_ERR_DEFECTIVE },
		{ { 0xa2, 0x00 }, 2, SNMPMGR_ERR_DEFECTIVE },
		{ { 0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00 }, 7,
		    SNMPMGR_ERR_DEFECTIVE },		/* indefinite */
		{ { 0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x10 }, 7,
		    SNMPMGR_ERR_DEFECTIVE },		/* 5 length octets */
		{ { 0x30, 0xff }, 2, SNMPMGR_ERR_DEFECTIVE },
		{ { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff }, 6,
		    SNMPMGR_ERR_MSG_TOO_LONG },
	};
	struct tcp_framer	*f = tcp_framer_new(0);
	struct got		 g;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tcp_framer_reset(f);
		memset(&g, 0, sizeof(g));
		snmpmgr_clearerr();
		ck_assert_int_eq(tcp_framer_feed(f, bad[i].b, bad[i].n,
		    got_cb, &g), -1);
		ck_assert_int_eq(snmpmgr_lasterr(), bad[i].err);
		ck_assert_uint_eq(g.n, 0);
	}
	/* A long form with leading zero octets is still BER (X.690 8.1.3.5). */
	{
		uint8_t	 m[4 + 39];

		m[0] = 0x30;
		m[1] = 0x82;
		m[2] = 0x00;
		m[3] = 0x27;
		memcpy(m + 4, msg_a + 2, 39);
		tcp_framer_reset(f);
		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(tcp_framer_feed(f, m, sizeof(m), got_cb, &g),
		    0);
		ck_assert_uint_eq(g.n, 1);
		ck_assert_uint_eq(g.len[0], sizeof(m));
	}
	tcp_framer_free(f);
}
END_TEST

static int
stop_cb(const uint8_t *m, size_t len, void *arg)
{
	(void)m;
	(void)len;
	++*(int *)arg;
	return -1;
}

START_TEST(tcp_callback_failure_stops_feeding)
{
	struct tcp_framer	*f = tcp_framer_new(0);
	uint8_t			 buf[2 * sizeof(msg_a)];
	int			 calls = 0;

	memcpy(buf, msg_a, sizeof(msg_a));
	memcpy(buf + sizeof(msg_a), msg_a, sizeof(msg_a));
	ck_assert_int_eq(tcp_framer_feed(f, buf, sizeof(buf), stop_cb,
	    &calls), -1);
	ck_assert_int_eq(calls, 1);
	tcp_framer_free(f);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tcp");
	TCase	*tc = tcase_create("framing");

	tcase_add_test(tc, tcp_one_octet_at_a_time);
	tcase_add_test(tc, tcp_message_split_across_reads);
	tcase_add_test(tc, tcp_two_messages_in_one_read);
	tcase_add_test(tc, tcp_push_stops_at_a_complete_message);
	tcase_add_test(tc, tcp_refuses_a_10_mib_length_prefix);
	tcase_add_test(tc, tcp_bound_is_the_whole_message);
	tcase_add_test(tc, tcp_refuses_malformed_prefixes);
	tcase_add_test(tc, tcp_callback_failure_stops_feeding);
	suite_add_tcase(s, tc);
	return check_run(s);
}
