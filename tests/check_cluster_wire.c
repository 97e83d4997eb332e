/*
 * check_cluster_wire.c - the lean NATS client's protocol (cluster_wire.h)
 * against the examples of NATS's protocol reference
 * (docs.nats.io, "Client Protocol"): MSG and HMSG with and without a
 * reply subject, PING, PONG, +OK, -ERR and INFO; every prefix of an
 * operation is "more to come", malformed ones are refused; HPUB as the
 * reference writes it, with our Nats-Msg-Id header; which PubAcks say
 * stored; a creds file's JWT and seed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster_wire.h"
#include "check_main.h"

#define MAXP	(1U << 20)

/* Parse all of text as one operation; every shorter prefix wants more. */
static void
parse_one(const char *text, struct nw_frame *f)
{
	size_t	 n = strlen(text), i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(nw_parse(text, i, MAXP, f), 0);
	ck_assert_int_eq(nw_parse(text, n, MAXP, f), (ssize_t)n);
}

static void
eq(const char *p, size_t len, const char *want)
{
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_int_eq(memcmp(p, want, len), 0);
}

START_TEST(wire_msg_examples)
{
	struct nw_frame	 f;

	parse_one("MSG FOO.BAR 9 11\r\nHello World\r\n", &f);
	ck_assert_int_eq(f.op, NW_MSG);
	eq(f.subj, f.subjlen, "FOO.BAR");
	eq(f.sid, f.sidlen, "9");
	eq(f.reply, f.replylen, "");
	eq(f.data, f.datalen, "Hello World");
	ck_assert_uint_eq(f.hdrlen, 0);

	parse_one("MSG FOO.BAR 9 GREETING.34 11\r\nHello World\r\n", &f);
	eq(f.reply, f.replylen, "GREETING.34");
	eq(f.data, f.datalen, "Hello World");

	parse_one("MSG FOO.BAR 9 0\r\n\r\n", &f);
	ck_assert_uint_eq(f.datalen, 0);
}
END_TEST

START_TEST(wire_hmsg_examples)
{
	struct nw_frame	 f;

	parse_one("HMSG FOO.BAR 9 34 45\r\nNATS/1.0\r\nFoodGroup: vegetable"
	    "\r\n\r\nHello World\r\n", &f);
	ck_assert_int_eq(f.op, NW_MSG);
	eq(f.subj, f.subjlen, "FOO.BAR");
	eq(f.sid, f.sidlen, "9");
	eq(f.reply, f.replylen, "");
	eq(f.hdr, f.hdrlen, "NATS/1.0\r\nFoodGroup: vegetable\r\n\r\n");
	eq(f.data, f.datalen, "Hello World");

	parse_one("HMSG FOO.BAR 9 BAZ.69 34 45\r\nNATS/1.0\r\nFoodGroup: "
	    "vegetable\r\n\r\nHello World\r\n", &f);
	eq(f.reply, f.replylen, "BAZ.69");
	eq(f.data, f.datalen, "Hello World");
}
END_TEST

START_TEST(wire_control_examples)
{
	struct nw_frame	 f;

	parse_one("PING\r\n", &f);
	ck_assert_int_eq(f.op, NW_PING);
	parse_one("PONG\r\n", &f);
	ck_assert_int_eq(f.op, NW_PONG);
	parse_one("+OK\r\n", &f);
	ck_assert_int_eq(f.op, NW_OK);
	parse_one("-ERR 'Authorization Violation'\r\n", &f);
	ck_assert_int_eq(f.op, NW_ERR);
	eq(f.data, f.datalen, "'Authorization Violation'");
	parse_one("INFO {\"server_id\":\"Zk0GQ3JBSrg3oyxCRRlE09\",\"version\":"
	    "\"2.0.0\",\"go\":\"go1.12.4\",\"host\":\"0.0.0.0\",\"port\":4222,"
	    "\"max_payload\":1048576,\"client_id\":1}\r\n", &f);
	ck_assert_int_eq(f.op, NW_INFO);
	ck_assert(f.datalen > 0 && f.data[0] == '{' &&
	    f.data[f.datalen - 1] == '}');
}
END_TEST

START_TEST(wire_two_in_one_buffer)
{
	static const char two[] = "PING\r\nMSG a.b 1 R 2\r\nhi\r\nMSG";
	struct nw_frame	 f;
	ssize_t		 k;
	size_t		 off = 0;

	k = nw_parse(two, sizeof(two) - 1, MAXP, &f);
	ck_assert_int_eq(k, 6);
	ck_assert_int_eq(f.op, NW_PING);
	off += (size_t)k;
	k = nw_parse(two + off, sizeof(two) - 1 - off, MAXP, &f);
	ck_assert_int_eq(k, 19);
	eq(f.subj, f.subjlen, "a.b");
	eq(f.reply, f.replylen, "R");
	eq(f.data, f.datalen, "hi");
	off += (size_t)k;
	ck_assert_int_eq(nw_parse(two + off, sizeof(two) - 1 - off, MAXP, &f),
	    0);
}
END_TEST

START_TEST(wire_malformed_refused)
{
	static const char *bad[] = {
		"FOO\r\n",
		"\r\n",
		"MSG FOO 9\r\n",
		"MSG FOO 9 x\r\nabc\r\n",
		"MSG FOO 9 R S 3\r\nabc\r\n",
		"MSG FOO 9 3\r\nabcXY",
		"HMSG FOO 9 10 5\r\n0123456789\r\n",
		"HMSG FOO 9 2 5\r\n01234\r\n",
		"MSG FOO 9 99999999999\r\n",
	};
	struct nw_frame	 f;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(nw_parse(bad[i], strlen(bad[i]), MAXP, &f) == -1,
		    "%s", bad[i]);
	/* Larger than max_payload. */
	ck_assert_int_eq(nw_parse("MSG FOO 9 11\r\n", 14, 10, &f), -1);
}
END_TEST

START_TEST(wire_hpub_as_the_reference)
{
	/* The reference's "HPUB FOO 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\n
	 * Hello NATS!\r\n", with our header and a reply subject. */
	static const char want[] = "HPUB snmpmgrd.c.poll.s.p _INBOX.x.1-0 "
	    "32 37\r\nNATS/1.0\r\nNats-Msg-Id: s/p/7\r\n\r\nHello\r\n";
	static const char hmsg[] = "HMSG snmpmgrd.c.poll.s.p 1 _INBOX.x.1-0 "
	    "32 37\r\nNATS/1.0\r\nNats-Msg-Id: s/p/7\r\n\r\nHello\r\n";
	struct nw_buf	 b = { NULL, 0, 0 };
	struct nw_frame	 f;
	size_t		 k;

	ck_assert_int_eq(nw_hpub(&b, "snmpmgrd.c.poll.s.p", "_INBOX.x.1-0",
	    "s/p/7", "Hello", 5, 37), 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(b.p, want, b.len), 0);
	/* The same bytes as the server delivers them (HMSG) parse back. */
	ck_assert_int_eq(nw_parse(hmsg, strlen(hmsg), MAXP, &f),
	    (ssize_t)strlen(hmsg));
	eq(f.hdr, f.hdrlen, "NATS/1.0\r\nNats-Msg-Id: s/p/7\r\n\r\n");
	eq(f.data, f.datalen, "Hello");
	/* Appended, not overwritten. */
	ck_assert_int_eq(nw_hpub(&b, "a", "r", "i", "", 0, 0), 0);
	ck_assert_uint_gt(b.len, sizeof(want) - 1);
	/* Header and payload one octet past the server's max_payload:
	 * refused, nothing appended. */
	k = b.len;
	ck_assert_int_eq(nw_hpub(&b, "snmpmgrd.c.poll.s.p", "_INBOX.x.1-0",
	    "s/p/7", "Hello", 5, 36), -2);
	ck_assert_uint_eq(b.len, k);
	free(b.p);
}
END_TEST

/* A MSG on the PubAck's subject with payload p. */
static void
ack(const char *p, struct nw_frame *f)
{
	static char	 buf[512];

	snprintf(buf, sizeof(buf), "MSG _INBOX.x.3-1 1 %zu\r\n%s\r\n",
	    strlen(p), p);
	parse_one(buf, f);
	eq(f->data, f->datalen, p);
}

START_TEST(wire_pubacks)
{
	struct nw_frame	 f;

	ack("{\"stream\":\"SNMPMGRD_c_POLLS\",\"seq\":17}", &f);
	ck_assert(nw_ack_ok(&f));
	ack("{\"stream\":\"SNMPMGRD_c_POLLS\",\"seq\":17,\"duplicate\":true}",
	    &f);
	ck_assert(nw_ack_ok(&f));
	ack("{\"error\":{\"code\":503,\"description\":\"no suitable peers\"}}",
	    &f);
	ck_assert(!nw_ack_ok(&f));
	ack("", &f);
	ck_assert(!nw_ack_ok(&f));
	/* No responders: a status header, no payload. */
	parse_one("HMSG _INBOX.x.3-1 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", &f);
	ck_assert(!nw_ack_ok(&f));
	parse_one("PONG\r\n", &f);
	ck_assert(!nw_ack_ok(&f));
	/* Not PubAcks, though they hold "seq" and no "error". */
	ack("{\"seq\":17}", &f);
	ck_assert(!nw_ack_ok(&f));
	ack("{\"stream\":\"S\",\"seq\":17", &f);
	ck_assert(!nw_ack_ok(&f));
	ack("{\"x\":{\"stream\":\"S\",\"seq\":1}}", &f);
	ck_assert(!nw_ack_ok(&f));
	/* A member we do not know, whatever it holds, is skipped. */
	ack("{\"stream\":\"S\",\"seq\":17,\"x\":{\"seq\":1}}", &f);
	ck_assert(nw_ack_ok(&f));
}
END_TEST

/* The PubAcks JetStream writes (nats-server's PubAck: stream, seq,
 * domain and duplicate, the last two left out when empty). */
START_TEST(wire_puback_forms)
{
	static const char *const good[] = {
		"{\"stream\":\"SNMPMGRD_c_POLLS\",\"seq\":17}",
		"{\"stream\":\"S\",\"seq\":17,\"duplicate\":true}",
		"{\"stream\":\"S\",\"seq\":17,\"duplicate\":false}",
		"{\"stream\":\"S\",\"domain\":\"hub\",\"seq\":17}",
		"{\"seq\":17,\"stream\":\"S\"}",
		" { \"stream\" : \"S\" ,\r\n\t\"seq\" : 17 } ",
		"{\"stream\":\"S\\u0026\\\"x\",\"seq\":17}",
		/* Members a later server may add are skipped. */
		"{\"stream\":\"S\",\"seq\":17,\"batch\":\"b1\",\"count\":3}",
		"{\"val\":\"-12\",\"stream\":\"S\",\"seq\":17,\"x\":null}",
		"{\"stream\":\"S\",\"seq\":17,\"y\":{\"a\":[1,2.5e3,{}],"
		    "\"b\":false},\"z\":[]}",
	};
	static const char max[] =
	    "{\"stream\":\"S\",\"seq\":18446744073709551615}";
	static const char zero[] = "{\"stream\":\"S\",\"seq\":0}";
	struct nw_puback a;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(nw_puback_parse(good[i], strlen(good[i]), &a) ==
		    0, "%s", good[i]);
		ck_assert_uint_eq(a.seq, 17);
		ck_assert_int_eq(a.duplicate, i == 1);
	}
	ck_assert_int_eq(nw_puback_parse(good[0], strlen(good[0]), &a), 0);
	eq(a.stream, a.streamlen, "SNMPMGRD_c_POLLS");
	ck_assert_int_eq(nw_puback_parse(good[6], strlen(good[6]), &a), 0);
	eq(a.stream, a.streamlen, "S\\u0026\\\"x");
	/* The largest sequence there is. */
	ck_assert_int_eq(nw_puback_parse(max, strlen(max), &a), 0);
	ck_assert(a.seq == 18446744073709551615ULL);
	ck_assert_int_eq(nw_puback_parse(zero, strlen(zero), &a), 0);
	ck_assert_uint_eq(a.seq, 0);
}
END_TEST

/* Anything else is refused, never half taken. */
START_TEST(wire_puback_malformed)
{
	static const char *const bad[] = {
		"", " ", "{}", "[]", "null", "17",
		"{\"stream\":\"S\"}",
		"{\"seq\":17}",
		"{\"stream\":\"\",\"seq\":17}",
		"{\"stream\":\"S\",\"seq\":-1}",
		"{\"stream\":\"S\",\"seq\":1.0}",
		"{\"stream\":\"S\",\"seq\":1e3}",
		"{\"stream\":\"S\",\"seq\":01}",
		"{\"stream\":\"S\",\"seq\":\"17\"}",
		"{\"stream\":\"S\",\"seq\":18446744073709551616}",
		"{\"stream\":\"S\",\"seq\":99999999999999999999999}",
		"{\"stream\":\"S\",\"seq\":}",
		"{\"stream\":17,\"seq\":17}",
		"{\"stream\":\"S\",\"seq\":17,\"seq\":18}",
		"{\"stream\":\"S\",\"stream\":\"T\",\"seq\":17}",
		"{\"stream\":\"S\",\"seq\":17,\"duplicate\":1}",
		"{\"stream\":\"S\", \"seq\":017}",
		"{\"stream\":\"S\", \"seq\":17 }x",
		"{\"stream\":\"S\", , \"seq\":17}",
		"{\"stream\":\"S-\"\", \"seq\":17}",
		"{\"stream\":\"S\",\"seq\":17,\"duplicate\":tru}",
		"{\"stream\":\"S\",\"seq\":17,\"duplicate\":null}",
		"{\"stream\":\"S\",\"seq\":17,\"domain\":1}",
		"{\"stream\":\"S\",\"seq\":17,\"other\":}",
		"{\"stream\":\"S\",\"seq\":17,\"other\":tru}",
		"{\"stream\":\"S\",\"seq\":17,\"other\":{\"a\":1}",
		"{\"stream\":\"S\",\"seq\":17,\"other\":[1,]}",
		"{\"stream\":\"S\",\"seq\":17,\"other\":{1:2}}",
		"{\"stream\":\"S\",\"seq\":17,\"other\":[[[[[[[[[1]]]]]]]]]}",
		"{\"stream\":\"S\",\"seq\":17,\"error\":\"x\"}",
		"{\"stream\":\"S\",\"seq\":17,\"error\":{\"code\":503}}",
		"{\"error\":{\"code\":503,\"description\":\"no suitable "
		    "peers\"}}",
		"{\"stream\":\"S\",\"seq\":17,}",
		"{\"stream\":\"S\" \"seq\":17}",
		"{\"stream\" \"S\",\"seq\":17}",
		"{\"stream\":\"S\",\"seq\":17}}",
		"{\"stream\":\"S\",\"seq\":17}x",
		"{\"stream\":\"S\",\"seq\":17}{}",
		"{\"stream\":\"S\\x\",\"seq\":17}",
		"{\"stream\":\"S\\u12\",\"seq\":17}",
		"{\"stream\":\"S\tT\",\"seq\":17}",
		"{\"stream\":\"S,\"seq\":17}",
		"{stream:\"S\",\"seq\":17}",
		"{'stream':'S','seq':17}",
	};
	static const char ok[] =
	    "{\"stream\":\"S\",\"seq\":17,\"duplicate\":true}";
	static const char nul[] = "{\"stream\":\"S\0\",\"seq\":1}";
	/* The form every PubAck has (read by a shorter path), as
	 * nats-server writes it. */
	static const char common[] =
	    "{\"stream\":\"SNMPMGRD_c-1_POLLS\", \"seq\":1234567890123456789}";
	struct nw_puback a;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(nw_puback_parse(bad[i], strlen(bad[i]), &a) ==
		    -1, "%s", bad[i]);
	/* Every prefix of a good one is cut short, and so refused; so is
	 * a NUL inside it. */
	for (i = 0; i < sizeof(ok) - 1; i++)
		ck_assert_msg(nw_puback_parse(ok, i, &a) == -1, "%zu", i);
	ck_assert_int_eq(nw_puback_parse(ok, sizeof(ok) - 1, &a), 0);
	ck_assert_int_eq(nw_puback_parse(nul, sizeof(nul) - 1, &a), -1);
	for (i = 0; i < sizeof(common) - 1; i++)
		ck_assert_msg(nw_puback_parse(common, i, &a) == -1, "%zu", i);
	ck_assert_int_eq(nw_puback_parse(common, sizeof(common) - 1, &a), 0);
	ck_assert(a.seq == 1234567890123456789ULL && !a.duplicate);
	eq(a.stream, a.streamlen, "SNMPMGRD_c-1_POLLS");
}
END_TEST

START_TEST(wire_utoa)
{
	unsigned long long p10, v;
	char		 buf[21], want[21];
	size_t		 n;
	int		 k, d;

	/* Every number below 100,000, and either side of each power of
	 * ten up to the largest there is: as printf writes them. */
	for (v = 0; v < 100000; v++) {
		n = nw_utoa(buf, v);
		snprintf(want, sizeof(want), "%llu", v);
		eq(buf, n, want);
	}
	for (k = 1, p10 = 10; k <= 19; k++, p10 *= 10)
		for (d = -1; d <= 1; d++) {
			v = d == 1 && k == 19 ? 18446744073709551615ULL :
			    p10 + (unsigned long long)(long long)d;
			n = nw_utoa(buf, v);
			snprintf(want, sizeof(want), "%llu", v);
			eq(buf, n, want);
		}
}
END_TEST

START_TEST(wire_dec)
{
	unsigned long long v;

	ck_assert(nw_dec("0", 1, 19, &v) && v == 0);
	ck_assert(nw_dec("1234567890", 10, 10, &v) && v == 1234567890ULL);
	ck_assert(nw_dec("9999999999999999999", 19, 19, &v) &&
	    v == 9999999999999999999ULL);
	ck_assert(!nw_dec("12345678901", 11, 10, &v));	/* too long */
	ck_assert(!nw_dec("", 0, 19, &v));
	ck_assert(!nw_dec("12a", 3, 19, &v));
	ck_assert(!nw_dec("-1", 2, 19, &v));
	ck_assert(!nw_dec(" 1", 2, 19, &v));
	ck_assert(!nw_dec("1", 1, 20, &v));	/* no bound that overflows */
}
END_TEST

START_TEST(wire_creds)
{
	static const char creds[] =
	    "-----BEGIN NATS USER JWT-----\n"
	    "eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5In0.eyJqdGkiOiJUVlNNTEtTWkJB"
	    "N01VWDNYQUxNUVQzTjRISUw1UkZGQU9YNUtaUFhEU0oyWlAzNkVMNVJBIn0.sig\n"
	    "------END NATS USER JWT------\n"
	    "\n"
	    "************************* IMPORTANT *************************\n"
	    "NKEY Seed printed below can be used to sign and prove identity.\n"
	    "\n"
	    "-----BEGIN USER NKEY SEED-----\n"
	    "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU\n"
	    "------END USER NKEY SEED------\n";
	char	*jwt, *seed;

	ck_assert_int_eq(nw_creds_parse(creds, &jwt, &seed), 0);
	ck_assert(strncmp(jwt, "eyJ0eXAi", 8) == 0);
	ck_assert(strcmp(jwt + strlen(jwt) - 4, ".sig") == 0);
	ck_assert_str_eq(seed,
	    "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU");
	free(jwt);
	free(seed);
	ck_assert_int_eq(nw_creds_parse("-----BEGIN NATS USER JWT-----\n"
	    "------END NATS USER JWT------\n", &jwt, &seed), -1);
	ck_assert_ptr_null(jwt);
	ck_assert_ptr_null(seed);
	ck_assert_int_eq(nw_creds_parse("", &jwt, &seed), -1);
}
END_TEST

/* URLs as NATS clients take them (nats.io "Connecting": nats://,
 * tls://, user:password@, [IPv6], 4222 when no port). */
START_TEST(wire_urls)
{
	static const char *const bad[] = { "nats://", "nats://:4222",
		"nats://h:65536", "nats://h:0", "nats://h:42x", "nats://h:",
		"nats://[::1", "nats://[::1]x", "demo.nats.io:4222",
		"nats://a b:4222" };
	char	 host[NW_HOST_LEN], port[8];
	size_t	 i;
	bool	 tls;

	ck_assert_int_eq(config_nats_url("nats://demo.nats.io:4222", host,
	    sizeof(host), port, sizeof(port), &tls), 0);
	ck_assert_str_eq(host, "demo.nats.io");
	ck_assert_str_eq(port, "4222");
	ck_assert(!tls);
	ck_assert_int_eq(config_nats_url("tls://u:p@nats-1.example.net", host,
	    sizeof(host), port, sizeof(port), &tls), 0);
	ck_assert_str_eq(host, "nats-1.example.net");
	ck_assert_str_eq(port, "4222");
	ck_assert(tls);
	ck_assert_int_eq(config_nats_url("nats://[2001:db8::1]:4223", host,
	    sizeof(host), port, sizeof(port), &tls), 0);
	ck_assert_str_eq(host, "2001:db8::1");
	ck_assert_str_eq(port, "4223");
	ck_assert_int_eq(config_nats_url("nats://192.0.2.1:1/", host, sizeof(host),
	    port, sizeof(port), &tls), 0);
	ck_assert_str_eq(host, "192.0.2.1");
	ck_assert_str_eq(port, "1");
	/* no host, a bad port, no scheme, a blank in the host */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_nats_url(bad[i], host, sizeof(host), port,
		    sizeof(port), &tls) == -1, "%s taken", bad[i]);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cluster_wire");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, wire_msg_examples);
	tcase_add_test(tc, wire_hmsg_examples);
	tcase_add_test(tc, wire_control_examples);
	tcase_add_test(tc, wire_two_in_one_buffer);
	tcase_add_test(tc, wire_malformed_refused);
	tcase_add_test(tc, wire_hpub_as_the_reference);
	tcase_add_test(tc, wire_pubacks);
	tcase_add_test(tc, wire_puback_forms);
	tcase_add_test(tc, wire_puback_malformed);
	tcase_add_test(tc, wire_utoa);
	tcase_add_test(tc, wire_dec);
	tcase_add_test(tc, wire_creds);
	tcase_add_test(tc, wire_urls);
	suite_add_tcase(s, tc);
	return check_run(s);
}
