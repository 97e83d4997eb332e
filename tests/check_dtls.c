/*
 * check_dtls.c - DTLS associations (RFC 6353) between a client and a
 * server of our own, datagrams handed over in memory: the acceptance
 * rules of issue 10 with their numbered errors, the cookie exchange before
 * any per-peer state, cert-to-name mapping for each rule kind, application
 * data, a lost datagram recovered by the retransmission timer, garbage
 * and forged or altered records against an open association (ours or
 * OpenSSL's: CBC, a server before the first message, a client after a
 * reordered Finished), close_notify, and context errors.
 *
 * The certificates and the pair of associations are check_dtls_pair.c's.
 */
#include <sys/stat.h>

#include <check.h>
#include <malloc.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "check_main.h"
#include "check_dtls_pair.h"

/*
 * The first retransmission timeout of the loss tests, ms: OpenSSL's
 * timer runs on the wall clock, and a handshake pumped under the
 * sanitizers on a loaded machine took long enough that 400 ms expired
 * inside pump() (the timer then fired "early" with output to send).
 */
#define RTO_MS	2000

/* -------------------------------------------------------------- tests */

START_TEST(dtls_handshake_ok_with_ca)
{
	struct dtls_opts		 co = client_opts(), so = server_opts();
	const struct dtls_peer_info	*pi;
	struct pair			 p;

	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_int_eq(p.hvr, 1);	/* one cookie exchange first */
	pi = dtls_assoc_peer(p.cl);
	ck_assert_ptr_nonnull(pi);
	ck_assert_str_eq(pi->version, "DTLSv1.2");
	ck_assert_ptr_nonnull(strstr(pi->cipher, "ECDHE"));
	ck_assert_ptr_nonnull(strstr(pi->subject, "CN=agent"));
	ck_assert_ptr_nonnull(strstr(pi->issuer, "CN=Test CA"));
	ck_assert_str_eq(pi->sha256, agent.fp);
	ck_assert_int_eq(strncmp(pi->sha1, "sha1:", 5), 0);
	ck_assert_uint_eq(strlen(pi->sha1), 5 + 20 * 3 - 1);
	ck_assert_uint_gt(strlen(pi->serial), 0);
	ck_assert_uint_eq(strlen(pi->not_before), 20);
	ck_assert_int_eq(pi->not_after[19], 'Z');
	ck_assert_uint_eq(pi->nsan, 3);
	ck_assert_int_eq(pi->san[0].type, DTLS_SAN_DNS);
	ck_assert_str_eq(pi->san[0].value, "localhost");
	ck_assert_int_eq(pi->san[2].type, DTLS_SAN_IP);
	ck_assert_str_eq(pi->san[2].value, "127.0.0.1");
	ck_assert_uint_eq(pi->nchain, 2);
	ck_assert_str_eq(pi->chain[0].sha256, agent.fp);
	ck_assert_str_eq(pi->chain[1].sha256, ca1.fp);
	ck_assert_int_eq(pi->accepted, DTLS_ACCEPT_CA);
	ck_assert_str_eq(dtls_accept_name(pi->accepted), "ca");
	/* The server side: the manager mapped by the CA rule. */
	pi = dtls_assoc_peer(p.sv);
	ck_assert_ptr_nonnull(pi);
	ck_assert_str_eq(pi->security_name, "ops");
	ck_assert_int_eq(pi->map_rule, 0);
	ck_assert_str_eq(pi->sha256, mgr.fp);
	ck_assert_int_eq(pi->accepted, DTLS_ACCEPT_CA);
	/* Handshake over: no timer runs. */
	{
		uint64_t dl;

		ck_assert(!dtls_assoc_deadline(p.cl, 0, &dl));
	}
	pair_free(&p);
}
END_TEST

START_TEST(dtls_ok_with_fingerprint_only_self_signed)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	char			 upper[200];
	size_t			 i, j;

	co.ca = NULL;
	/* Upper case, no colons: the same pin. */
	for (i = j = 0; self_agent.fp[i] != '\0'; i++)
		if (i < 7 || self_agent.fp[i] != ':')
			upper[j++] = (char)toupper(
			    (unsigned char)self_agent.fp[i]);
	upper[j] = '\0';
	co.server_fingerprint = upper;
	so.cert = self_agent.cert;
	so.key = self_agent.key;
	/* An address the certificate does not name: the pin decides. */
	pair_run(&p, &co, &so, "192.0.2.99");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_peer(p.cl)->accepted,
	    DTLS_ACCEPT_FINGERPRINT);
	ck_assert_uint_eq(dtls_assoc_peer(p.cl)->nchain, 1);
	pair_free(&p);
}
END_TEST

START_TEST(dtls_fingerprint_pins_a_ca_in_the_chain)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	co.ca = NULL;
	co.server_fingerprint = ca1.fp;
	so.cert = agent_chain;
	pair_run(&p, &co, &so, "localhost");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_peer(p.cl)->accepted,
	    DTLS_ACCEPT_FINGERPRINT);
	pair_free(&p);

	/* ca and fingerprint together: both must hold. */
	co = client_opts();
	co.server_fingerprint = agent.fp;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_peer(p.cl)->accepted, DTLS_ACCEPT_BOTH);
	pair_free(&p);
}
END_TEST

START_TEST(dtls_fingerprint_mismatch_is_280)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	co.ca = NULL;
	co.server_fingerprint = rogue.fp;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY,
	    "fingerprint mismatch");
	{
		const char	*d;

		dtls_assoc_error(p.cl, &d);
		ck_assert_ptr_nonnull(strstr(d, agent.fp));
	}
	pair_free(&p);

	/* Pinning a CA the agent's chain does not contain. */
	co.server_fingerprint = ca2.fp;
	so.cert = agent_chain;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY,
	    "fingerprint mismatch");
	pair_free(&p);

	/* With ca set too, the chain verifies but the pin does not hold. */
	co = client_opts();
	co.server_fingerprint = rogue.fp;
	so = server_opts();
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY,
	    "fingerprint mismatch");
	pair_free(&p);
}
END_TEST

START_TEST(dtls_wrong_ca_is_275)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	/* Neither ca nor a pin: the system store, which lacks our CA. */
	co.ca = NULL;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_VERIFY_CHAIN,
	    "system trust store");
	pair_free(&p);

	co.ca = ca2.cert;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_VERIFY_CHAIN,
	    "does not verify to ca");
	pair_free(&p);
	/* The right pin does not rescue a chain that must verify too. */
	co.server_fingerprint = agent.fp;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_VERIFY_CHAIN,
	    "does not verify to ca");
	pair_free(&p);
}
END_TEST

START_TEST(dtls_name_mismatch_is_280)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	co.server_name = "other.example";
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY, "name mismatch");
	pair_free(&p);
	/* Unset: the address is checked. */
	co.server_name = NULL;
	pair_run(&p, &co, &so, "127.0.0.2");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY, "127.0.0.2");
	pair_free(&p);
	/* A name the SAN has. */
	co.server_name = "agent.example";
	pair_run(&p, &co, &so, "127.0.0.2");
	assert_open(&p);
	pair_free(&p);
	/* "" turns it off, only with a pin. */
	co.server_name = "";
	ck_assert_ptr_null(dtls_ctx_new(&co));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TLS_CERT_VERIFY);
	co.server_fingerprint = agent.fp;
	pair_run(&p, &co, &so, "127.0.0.2");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_peer(p.cl)->accepted, DTLS_ACCEPT_BOTH);
	pair_free(&p);
}
END_TEST

START_TEST(dtls_expired_is_280)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	so.cert = expired.cert;
	so.key = expired.key;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY, "expired");
	pair_free(&p);
	/* A pin does not make an expired certificate good. */
	co.ca = NULL;
	co.server_fingerprint = expired.fp;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_client_fails(&p, SNMPMGR_ERR_TLS_CERT_VERIFY, "expired");
	pair_free(&p);
}
END_TEST

START_TEST(dtls_no_client_certificate_is_281)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	const char		*d;

	co.cert = co.key = NULL;
	pair_run(&p, &co, &so, "127.0.0.1");
	ck_assert_ptr_nonnull(p.sv);
	ck_assert_int_eq(dtls_assoc_state(p.sv), DTLS_FAILED);
	ck_assert_int_eq(dtls_assoc_error(p.sv, &d),
	    SNMPMGR_ERR_TLS_NO_CLIENT_CERT);
	/* The client hears the alert: a handshake failure. */
	ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_FAILED);
	ck_assert_int_eq(dtls_assoc_error(p.cl, &d), SNMPMGR_ERR_TLS_HANDSHAKE);
	pair_free(&p);
}
END_TEST

START_TEST(dtls_cookie_exchange_before_any_state)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct dtls_assoc	*sv = NULL;
	struct pair		 p;
	uint8_t			 hello[4096], hvr[4096], hello2[4096];
	ssize_t			 n, m, n2;

	pair_start(&p, &co, &so, "127.0.0.1");
	ck_assert_int_gt(n = dtls_assoc_output(p.cl, hello, sizeof(hello)),
	    0);
	ck_assert_int_eq(dtls_assoc_output(p.cl, hvr, sizeof(hvr)), 0);
	/* A ClientHello without a cookie: a HelloVerifyRequest, no state. */
	ck_assert_int_eq(dtls_listen(p.lis, peer_key, sizeof(peer_key), hello,
	    (size_t)n, 0, &sv), 0);
	ck_assert_ptr_null(sv);
	ck_assert_int_gt(m = dtls_listener_output(p.lis, hvr, sizeof(hvr)), 13);
	ck_assert_uint_eq(hvr[0], 22);		/* handshake record */
	ck_assert_uint_eq(hvr[13], 3);		/* hello_verify_request */
	ck_assert_int_eq(dtls_listener_output(p.lis, hvr + m, 10), 0);
	/* Garbage, or the same hello again, keeps nothing either. */
	ck_assert_int_eq(dtls_listen(p.lis, peer_key, sizeof(peer_key),
	    (const uint8_t *)"garbage!", 8, 0, &sv), 0);
	ck_assert_ptr_null(sv);
	ck_assert_int_eq(dtls_listener_output(p.lis, hello2, sizeof(hello2)),
	    0);

	/* The client answers with the cookie. */
	ck_assert_int_eq(dtls_assoc_input(p.cl, hvr, (size_t)m, 0), 0);
	ck_assert_int_gt(n2 = dtls_assoc_output(p.cl, hello2, sizeof(hello2)),
	    0);
	/* From another address the cookie is wrong: asked again. */
	ck_assert_int_eq(dtls_listen(p.lis, other_key, sizeof(other_key),
	    hello2, (size_t)n2, 0, &sv), 0);
	ck_assert_ptr_null(sv);
	ck_assert_int_gt(dtls_listener_output(p.lis, hvr, sizeof(hvr)), 13);
	ck_assert_uint_eq(hvr[13], 3);
	/* One new secret: the cookie still holds (below). */
	ck_assert_int_eq(dtls_ctx_new_cookie_secret(p.sc), 0);
	ck_assert_int_eq(dtls_ctx_new_cookie_secret(p.cc), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_ROLE);
	{
		struct dtls_ctx		*sc2;
		struct dtls_listener	*l2;

		/* Another listener context never takes this cookie. */
		ck_assert_ptr_nonnull(sc2 = dtls_ctx_new(&so));
		ck_assert_ptr_nonnull(l2 = dtls_listener_new(sc2));
		ck_assert_int_eq(dtls_listen(l2, peer_key, sizeof(peer_key),
		    hello2, (size_t)n2, 0, &sv), 0);
		ck_assert_ptr_null(sv);
		dtls_listener_free(l2);
		dtls_ctx_free(sc2);
	}
	/* From its own address it opens the association. */
	ck_assert_int_eq(dtls_listen(p.lis, peer_key, sizeof(peer_key),
	    hello2, (size_t)n2, 0, &sv), 1);
	ck_assert_ptr_nonnull(sv);
	ck_assert_int_eq(dtls_assoc_state(sv), DTLS_HANDSHAKE);
	p.sv = sv;
	pump(&p);
	assert_open(&p);
	/* Two secrets later the replayed hello's cookie is stale. */
	ck_assert_int_eq(dtls_ctx_new_cookie_secret(p.sc), 0);
	ck_assert_int_eq(dtls_ctx_new_cookie_secret(p.sc), 0);
	sv = NULL;
	ck_assert_int_eq(dtls_listen(p.lis, peer_key, sizeof(peer_key),
	    hello2, (size_t)n2, 0, &sv), 0);
	ck_assert_ptr_null(sv);
	ck_assert_int_gt(dtls_listener_output(p.lis, hvr, sizeof(hvr)), 13);
	ck_assert_uint_eq(hvr[13], 3);
	pair_free(&p);
}
END_TEST

/* Map the manager certificate c with one server rule set; the name. */
static int
map_with(const struct dtls_map_rule *rules, size_t n, struct ent *c,
    char *name, int *rule)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	int			 err;
	const char		*d;

	co.cert = c->cert;
	co.key = c->key;
	so.map = rules;
	so.nmap = n;
	pair_run(&p, &co, &so, "127.0.0.1");
	ck_assert_ptr_nonnull(p.sv);
	err = dtls_assoc_error(p.sv, &d);
	if (err == 0) {
		assert_open(&p);
		strcpy(name, dtls_assoc_peer(p.sv)->security_name);
		*rule = dtls_assoc_peer(p.sv)->map_rule;
	}
	pair_free(&p);
	return err;
}

static struct dtls_map_rule
rule(const char *fp, enum dtls_map_kind kind, const char *name)
{
	struct dtls_map_rule	 r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(dtls_fingerprint_parse(fp, &r.fp), 0);
	r.kind = kind;
	if (name != NULL)
		strcpy(r.name, name);
	return r;
}

START_TEST(dtls_cert_to_name_each_kind)
{
	static const struct {
		enum dtls_map_kind	 kind;
		struct ent		*cert;
		const char		*want;
	} cases[] = {
		{ DTLS_MAP_SPECIFIED,	&mgr,	"fixed" },
		{ DTLS_MAP_SAN_RFC822,	&mgr,	"Ops@example.com" },
		{ DTLS_MAP_SAN_DNS,	&mgr,	"mgr.example.com" },
		{ DTLS_MAP_SAN_IP,	&mgr,	"192.0.2.7" },
		{ DTLS_MAP_SAN_ANY,	&mgr,	"Ops@example.com" },
		{ DTLS_MAP_CN,		&mgr,	"ops-cn" },
		{ DTLS_MAP_SAN_IP,	&mgr6,
		    "20010db8000000000000000000000001" },
		{ DTLS_MAP_SAN_ANY,	&mgr6,
		    "20010db8000000000000000000000001" },
	};
	struct dtls_map_rule	 r[1];
	char			 name[64];
	int			 ri;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r[0] = rule(ca1.fp, cases[i].kind, "fixed");
		name[0] = '\0';
		ck_assert_int_eq(map_with(r, 1, cases[i].cert, name, &ri), 0);
		ck_assert_str_eq(name, cases[i].want);
		ck_assert_int_eq(ri, 0);
	}
}
END_TEST

START_TEST(dtls_cert_to_name_first_match_wins)
{
	struct dtls_map_rule	 r[4];
	char			 name[64];
	int			 ri;

	/* Another CA's rule never matches; a rule that maps nothing (no
	 * rfc822Name on mgr6) falls through; the first good one wins. */
	r[0] = rule(ca2.fp, DTLS_MAP_SPECIFIED, "wrong");
	r[1] = rule(ca1.fp, DTLS_MAP_SAN_RFC822, NULL);
	r[2] = rule(ca1.fp, DTLS_MAP_SAN_DNS, NULL);
	r[3] = rule(ca1.fp, DTLS_MAP_CN, NULL);
	ck_assert_int_eq(map_with(r, 4, &mgr6, name, &ri), 0);
	ck_assert_str_eq(name, "v6.example");
	ck_assert_int_eq(ri, 2);
	/* The leaf's own fingerprint before the CA's. */
	r[0] = rule(mgr.fp, DTLS_MAP_SPECIFIED, "by-leaf");
	ck_assert_int_eq(map_with(r, 4, &mgr, name, &ri), 0);
	ck_assert_str_eq(name, "by-leaf");
	ck_assert_int_eq(ri, 0);
	/* No rule maps it: refused. */
	r[0] = rule(ca2.fp, DTLS_MAP_CN, NULL);
	ck_assert_int_eq(map_with(r, 1, &mgr, name, &ri),
	    SNMPMGR_ERR_TLS_CERT_VERIFY);
	ck_assert_int_eq(map_with(r, 0, &mgr, name, &ri),
	    SNMPMGR_ERR_TLS_CERT_VERIFY);
}
END_TEST

START_TEST(dtls_cert_to_name_pins_a_self_signed_client)
{
	struct dtls_map_rule	 r[2];
	char			 name[64];
	int			 ri;

	/* Not from the ca, but named by its own fingerprint: accepted. */
	r[0] = rule(ca1.fp, DTLS_MAP_CN, NULL);
	r[1] = rule(rogue.fp, DTLS_MAP_SAN_DNS, NULL);
	ck_assert_int_eq(map_with(r, 2, &rogue, name, &ri), 0);
	ck_assert_str_eq(name, "rogue.example");
	ck_assert_int_eq(ri, 1);
	/* Without that rule it is refused: its chain does not verify. */
	ck_assert_int_eq(map_with(r, 1, &rogue, name, &ri),
	    SNMPMGR_ERR_TLS_VERIFY_CHAIN);
}
END_TEST

/* Send msg from one side to the other and read it back there. */
static void
roundtrip(struct dtls_assoc *from, struct dtls_assoc *to, const char *msg)
{
	uint8_t	 buf[SNMPMGR_MAX_DTLS_MSG + 100];
	ssize_t	 n;

	ck_assert_int_eq(dtls_assoc_send(from, (const uint8_t *)msg,
	    strlen(msg)), 0);
	ck_assert_int_gt(n = dtls_assoc_output(from, buf, sizeof(buf)), 0);
	ck_assert_int_eq(dtls_assoc_output(from, buf + n, 100), 0);
	ck_assert_int_eq(dtls_assoc_input(to, buf, (size_t)n, 0), 0);
	ck_assert_int_eq(n = dtls_assoc_recv(to, buf, sizeof(buf)),
	    (ssize_t)strlen(msg));
	ck_assert_mem_eq(buf, msg, strlen(msg));
	ck_assert_int_eq(dtls_assoc_recv(to, buf, sizeof(buf)), 0);
}

START_TEST(dtls_application_data_round_trip)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	static uint8_t		 big[SNMPMGR_MAX_DTLS_MSG + 1];
	uint8_t			 out[SNMPMGR_MAX_DTLS_MSG + 200];
	ssize_t			 n;

	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	roundtrip(p.cl, p.sv, "get-request");
	roundtrip(p.sv, p.cl, "response");
	/* One message, one record: the largest fits, one more does not. */
	memset(big, 0x30, sizeof(big));
	ck_assert_int_eq(dtls_assoc_send(p.cl, big, sizeof(big)), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_OPEN);
	ck_assert_int_eq(dtls_assoc_send(p.cl, big, sizeof(big) - 1), 0);
	ck_assert_int_gt(n = dtls_assoc_output(p.cl, out, sizeof(out)), 0);
	ck_assert_int_eq(dtls_assoc_input(p.sv, out, (size_t)n, 0), 0);
	/* Too small a buffer leaves the message waiting. */
	ck_assert_int_eq(dtls_assoc_recv(p.sv, out, 100), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, out, sizeof(out)),
	    (ssize_t)sizeof(big) - 1);
	pair_free(&p);
}
END_TEST

/* Heap octets in use (glibc). */
static size_t
heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* Whether heap_in_use() sees our allocations (not under ASan). */
static bool
heap_counted(void)
{
	size_t	 before = heap_in_use();
	char	*p = malloc(50000);
	bool	 seen;

	ck_assert_ptr_nonnull(p);
	p[0] = 1;
	seen = heap_in_use() >= before + 50000;
	free(p);
	return seen;
}

/*
 * A server gives OpenSSL's state back at the client's first message (not
 * before: the client may still send its last flight again), and a record
 * forged beside that message, with a far sequence number, does not move
 * the replay window: the client's next messages still count.  After
 * that, a replay or an altered record is dropped and the association
 * stays open, both ways.
 */
START_TEST(dtls_server_records_after_the_first_message)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	uint8_t			 d[2 * (SNMPMGR_MAX_DTLS_MSG + 100)];
	uint8_t			 first[SNMPMGR_MAX_DTLS_MSG + 100];
	ssize_t			 n;
	size_t			 before, sv;

	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_send(p.cl, (const uint8_t *)"first", 5),
	    0);
	ck_assert_int_gt(n = dtls_assoc_output(p.cl, first, sizeof(first)),
	    0);
	/* The datagram: the message, then a forged record of the same
	 * epoch at sequence number 2^40. */
	memcpy(d, first, (size_t)n);
	memcpy(d + n, first, (size_t)n);
	d[n + 5] = 0x01;
	memset(d + n + 13, 0x5a, (size_t)n - 13);
	ck_assert_int_eq(dtls_assoc_input(p.sv, d, 2 * (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, d, sizeof(d)), 5);
	ck_assert_mem_eq(d, "first", 5);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, d, sizeof(d)), 0);
	roundtrip(p.cl, p.sv, "second");
	roundtrip(p.sv, p.cl, "answer");
	/* The first again: a replay. */
	ck_assert_int_eq(dtls_assoc_input(p.sv, first, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, d, sizeof(d)), 0);
	/* One octet changed: dropped, the association stays. */
	ck_assert_int_eq(dtls_assoc_send(p.cl, (const uint8_t *)"third", 5),
	    0);
	ck_assert_int_gt(n = dtls_assoc_output(p.cl, d, sizeof(d)), 0);
	d[n - 1] ^= 0x01;
	ck_assert_int_eq(dtls_assoc_input(p.sv, d, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, d, sizeof(d)), 0);
	ck_assert_int_eq(dtls_assoc_state(p.sv), DTLS_OPEN);
	roundtrip(p.cl, p.sv, "fourth");
	roundtrip(p.sv, p.cl, "answer");
	before = heap_in_use();
	dtls_assoc_free(p.sv);
	sv = before - heap_in_use();
	p.sv = NULL;
	if (heap_counted())
		ck_assert_msg(sv < 4 * 1024, "the server holds %zu octets",
		    sv);
	pair_free(&p);
}
END_TEST

/*
 * An open association gives OpenSSL's two record buffers (~17 KiB each)
 * back between datagrams, and keeps the peer's details as long as they
 * are: freeing an idle one returns less than the two buffers alone.
 */
START_TEST(dtls_idle_association_holds_no_record_buffers)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	size_t			 before, cl, sv;

	if (!dtls_gives_buffers_back())
		return;		/* OpenSSL before the CVE-2024-4741 fix */
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	roundtrip(p.cl, p.sv, "get-request");
	roundtrip(p.sv, p.cl, "response");
	before = heap_in_use();
	dtls_assoc_free(p.cl);
	cl = before - heap_in_use();
	before = heap_in_use();
	dtls_assoc_free(p.sv);
	sv = before - heap_in_use();
	p.cl = p.sv = NULL;
	/*
	 * A client's records are ours once it is open, a server's once the
	 * client's first message came: no SSL object, no 21 KiB handshake
	 * buffer, no parsed certificates are left (small blocks freed may
	 * stay in glibc's per-thread cache and not show, so this bounds the
	 * large ones).
	 */
	ck_assert_msg(cl < 4 * 1024,
	    "an idle client association holds %zu octets", cl);
	ck_assert_msg(sv < 4 * 1024,
	    "an idle server association holds %zu octets", sv);
	/* And it still works after: the buffers come back on demand. */
	pair_free(&p);
	fprintf(stderr, "idle association: client %zu, server %zu octets\n",
	    cl, sv);
}
END_TEST

/*
 * Each AEAD cipher we offer: the client's records are its own after the
 * handshake (dtls_rec.c) and interoperate with OpenSSL's both ways; a
 * record the server sends twice is taken once, one altered is dropped;
 * a cipher we do not protect ourselves (CBC) stays with OpenSSL, which
 * sees no altered record either (dtls_sieve.c).
 */
START_TEST(dtls_client_records_each_cipher)
{
	static const char *const ciphers[] = {
		"ECDHE-ECDSA-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384",
		"ECDHE-ECDSA-CHACHA20-POLY1305",
		"ECDHE-ECDSA-AES128-SHA256",
	};
	enum { AEAD_CIPHERS = 3 };
	struct dtls_opts	 co, so;
	struct pair		 p;
	uint8_t			 rec[512], bad[512];
	const char		*name;
	ssize_t			 n;
	size_t			 i, held;
	int			 k;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		co = client_opts();
		so = server_opts();
		co.tls_ciphers = so.tls_ciphers = ciphers[i];
		pair_run(&p, &co, &so, "127.0.0.1");
		assert_open(&p);
		name = dtls_assoc_peer(p.cl)->cipher;
		ck_assert_msg(strcmp(name, ciphers[i]) == 0, "%s, not %s",
		    name, ciphers[i]);
		for (k = 0; k < 3; k++) {
			roundtrip(p.cl, p.sv, "get-request");
			roundtrip(p.sv, p.cl, "response");
		}
		/* The server's record twice: taken once. */
		ck_assert_int_eq(dtls_assoc_send(p.sv, (const uint8_t *)
		    "twice", 5), 0);
		ck_assert_int_gt(n = dtls_assoc_output(p.sv, rec, sizeof(rec)),
		    0);
		memcpy(bad, rec, (size_t)n);
		bad[n - 1] ^= 0x80;
		ck_assert_msg(dtls_assoc_input(p.cl, bad, (size_t)n, 0) == 0,
		    "%s: an altered record: %d %s", name, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail());
		ck_assert_int_eq(dtls_assoc_recv(p.cl, bad, sizeof(bad)), 0);
		ck_assert_int_eq(dtls_assoc_input(p.cl, rec, (size_t)n, 0), 0);
		ck_assert_int_eq(dtls_assoc_input(p.cl, rec, (size_t)n, 0), 0);
		ck_assert_int_eq(dtls_assoc_recv(p.cl, bad, sizeof(bad)), 5);
		ck_assert_int_eq(dtls_assoc_recv(p.cl, bad, sizeof(bad)), 0);
		ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_OPEN);
		/* An older record of the server, sent late, still counts. */
		ck_assert_int_eq(dtls_assoc_send(p.sv, (const uint8_t *)"a",
		    1), 0);
		ck_assert_int_gt(n = dtls_assoc_output(p.sv, rec, sizeof(rec)),
		    0);
		roundtrip(p.sv, p.cl, "overtakes");
		ck_assert_int_eq(dtls_assoc_input(p.cl, rec, (size_t)n, 0), 0);
		ck_assert_int_eq(dtls_assoc_recv(p.cl, bad, sizeof(bad)), 1);
		/* close_notify from the server is answered, in our records. */
		ck_assert_int_eq(dtls_assoc_close(p.sv), 0);
		ck_assert_int_gt(n = dtls_assoc_output(p.sv, rec, sizeof(rec)),
		    0);
		ck_assert_int_eq(dtls_assoc_input(p.cl, rec, (size_t)n, 0), 0);
		ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_CLOSED);
		ck_assert_int_gt(dtls_assoc_output(p.cl, rec, sizeof(rec)), 0);
		ck_assert_uint_eq(rec[0], 21);
		/* OpenSSL's state (its 21 KiB handshake buffer alone) went
		 * with the handshake, or stayed for a CBC cipher. */
		held = heap_in_use();
		dtls_assoc_free(p.cl);
		p.cl = NULL;
		held -= heap_in_use();
		if (!heap_counted())
			;	/* another allocator (ASan): nothing to see */
		else if (i < AEAD_CIPHERS)
			ck_assert_msg(held < 4 * 1024, "%s: %zu octets held",
			    ciphers[i], held);
		else
			ck_assert_msg(held > 16 * 1024, "%s: %zu octets held",
			    ciphers[i], held);
		pair_free(&p);
	}
}
END_TEST

/*
 * Forged and altered records sent to `to` (in the place of a real one of
 * `from`, forged alerts, then a forgery in front of the real one in one
 * datagram): each dropped, `to` stays open and takes the real one once.
 * At least `counted` of them count as dropped (OpenSSL drops a failed
 * AEAD tag or another epoch without telling).
 */
static void
forgeries(struct dtls_assoc *from, struct dtls_assoc *to, uint64_t counted,
    const char *what)
{
	uint8_t		 rec[512], bad[1024];
	const char	*d = "";
	ssize_t		 n;
	size_t		 m;
	uint64_t	 before = dtls_assoc_dropped(to);
	int		 k;

	ck_assert_int_eq(dtls_assoc_send(from, (const uint8_t *)"real", 4),
	    0);
	ck_assert_int_gt(n = dtls_assoc_output(from, rec, sizeof(rec)), 40);
	for (k = 0; k < 7; k++) {
		memcpy(bad, rec, (size_t)n);
		m = (size_t)n;
		switch (k) {
		case 0:		/* the MAC or tag */
			bad[n - 1] ^= 0x01;
			break;
		case 1:		/* the first octets of the ciphertext */
			bad[13] ^= 0x80;
			break;
		case 2:		/* too short to hold a MAC or tag */
			bad[11] = 0;
			bad[12] = 5;
			m = 13 + 5;
			break;
		case 3:		/* one octet short: no whole blocks */
			bad[12]--;
			m--;
			break;
		case 4:		/* a fatal alert in the clear (epoch 0) */
		case 5:		/* one of the next epoch */
			bad[0] = 21;
			bad[4] = k == 4 ? 0 : 2;
			bad[11] = 0;
			bad[12] = 2;
			bad[13] = 2;		/* fatal */
			bad[14] = 20;		/* bad_record_mac */
			m = 13 + 2;
			break;
		case 6:		/* forged, then the real one */
			bad[n - 2] ^= 0x10;
			memcpy(bad + n, rec, (size_t)n);
			m = 2 * (size_t)n;
			break;
		}
		if (dtls_assoc_input(to, bad, m, 0) != 0 ||
		    dtls_assoc_state(to) != DTLS_OPEN) {
			(void)dtls_assoc_error(to, &d);
			ck_abort_msg("%s: forgery %d: %d %s", what, k,
			    dtls_assoc_error(to, NULL), d);
		}
		if (k < 6)
			ck_assert_int_eq(dtls_assoc_recv(to, bad, sizeof(bad)),
			    0);
	}
	ck_assert_int_eq(dtls_assoc_recv(to, bad, sizeof(bad)), 4);
	ck_assert_mem_eq(bad, "real", 4);
	/* Its replay: dropped too. */
	ck_assert_int_eq(dtls_assoc_input(to, rec, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_recv(to, bad, sizeof(bad)), 0);
	ck_assert_int_eq(dtls_assoc_state(to), DTLS_OPEN);
	ck_assert_msg(dtls_assoc_dropped(to) - before >= counted,
	    "%s: %llu dropped, not %llu", what, (unsigned long long)
	    (dtls_assoc_dropped(to) - before), (unsigned long long)counted);
}

/*
 * With a CBC cipher OpenSSL keeps both sides' records for good, and
 * OpenSSL 3.0 would end the association on one altered record (a failed
 * encrypt_then_mac MAC) or one too short for its MAC: each is dropped
 * before it sees them, both ways, with a SHA-1, SHA-256 and SHA-384 MAC.
 */
START_TEST(dtls_cbc_forgeries_dropped_both_ways)
{
	static const char *const ciphers[] = {
		"ECDHE-ECDSA-AES128-SHA",
		"ECDHE-ECDSA-AES128-SHA256",
		"ECDHE-ECDSA-AES256-SHA384",
	};
	struct dtls_opts	 co, so;
	struct pair		 p;
	size_t			 i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		co = client_opts();
		so = server_opts();
		co.tls_ciphers = so.tls_ciphers = ciphers[i];
		pair_run(&p, &co, &so, "127.0.0.1");
		assert_open(&p);
		ck_assert_str_eq(dtls_assoc_peer(p.cl)->cipher, ciphers[i]);
		forgeries(p.cl, p.sv, 5, ciphers[i]);
		forgeries(p.sv, p.cl, 5, ciphers[i]);
		roundtrip(p.cl, p.sv, "get-request");
		roundtrip(p.sv, p.cl, "response");
		pair_free(&p);
	}
}
END_TEST

/*
 * An AEAD server keeps OpenSSL's records until the client's first
 * message; OpenSSL 3.0 would end the association on a record too short
 * for its nonce and tag then.  Dropped, and the first message (behind a
 * forged record in its datagram) still hands the records over.
 */
START_TEST(dtls_server_drops_forgeries_before_the_first_message)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_input(p.sv, (const uint8_t *)
	    "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x09\x00\x05"
	    "\x01\x02\x03\x04\x05", 18, 0), 0);
	ck_assert_int_eq(dtls_assoc_state(p.sv), DTLS_OPEN);
	ck_assert_uint_eq(dtls_assoc_dropped(p.sv), 1);
	forgeries(p.cl, p.sv, 2, "server, first message");
	forgeries(p.cl, p.sv, 5, "server, records its own");
	roundtrip(p.sv, p.cl, "response");
	pair_free(&p);
}
END_TEST

/*
 * The server's Finished overtakes its ChangeCipherSpec: the client's
 * handshake ends on the latter, OpenSSL keeps the client's records (their
 * sequence numbers cannot be learnt from that datagram), and forgeries
 * are dropped all the same.
 */
START_TEST(dtls_client_after_a_reordered_finished_drops_forgeries)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	size_t			 held;

	pair_start(&p, &co, &so, "127.0.0.1");
	p.hold_ccs = true;
	pump(&p);
	ck_assert(!p.hold_ccs);
	assert_open(&p);
	forgeries(p.sv, p.cl, 1, "client, reordered Finished");
	roundtrip(p.cl, p.sv, "get-request");
	roundtrip(p.sv, p.cl, "response");
	/* OpenSSL's state (its 21 KiB handshake buffer alone) stayed. */
	held = heap_in_use();
	dtls_assoc_free(p.cl);
	p.cl = NULL;
	held -= heap_in_use();
	if (heap_counted())
		ck_assert_msg(held > 16 * 1024, "%zu octets held", held);
	pair_free(&p);
}
END_TEST

/*
 * A forged epoch-1 record with a huge sequence number, sent to the client
 * while it shakes hands, does not move its replay window: the server's
 * records are still taken once the client's records are its own.
 */
START_TEST(dtls_forged_record_in_the_handshake_moves_no_window)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	uint8_t			 forged[13 + 40];
	size_t			 held;

	memset(forged, 0x5a, sizeof(forged));
	forged[0] = 23;				/* application data */
	forged[1] = 0xfe;
	forged[2] = 0xfd;			/* DTLS 1.2 */
	forged[3] = 0;
	forged[4] = 1;				/* epoch 1 */
	memset(forged + 5, 0, 6);
	forged[5] = 0x7f;			/* sequence number 0x7f << 40 */
	forged[11] = 0;
	forged[12] = 40;
	pair_start(&p, &co, &so, "127.0.0.1");
	ck_assert_int_eq(dtls_assoc_input(p.cl, forged, sizeof(forged), 0), 0);
	pump(&p);
	assert_open(&p);
	roundtrip(p.sv, p.cl, "response");
	roundtrip(p.cl, p.sv, "get-request");
	roundtrip(p.sv, p.cl, "response 2");
	/* And the client's records are its own (OpenSSL's state is gone). */
	held = heap_in_use();
	dtls_assoc_free(p.cl);
	p.cl = NULL;
	held -= heap_in_use();
	if (heap_counted())
		ck_assert_msg(held < 4 * 1024, "%zu octets held", held);
	pair_free(&p);
}
END_TEST

/* Run the timer of a client stuck in its handshake until it opens. */
static void
recover(struct pair *p)
{
	uint64_t	 dl, now = 1000;
	int		 tries;

	for (tries = 0; tries < 20 &&
	    dtls_assoc_state(p->cl) == DTLS_HANDSHAKE; tries++) {
		ck_assert(dtls_assoc_deadline(p->cl, now, &dl));
		usleep((useconds_t)(dl - now) * 1000 + 5000);
		now = dl;
		ck_assert_int_eq(dtls_assoc_timer(p->cl, now), 0);
		pump(p);
	}
}

START_TEST(dtls_lost_datagram_recovered_by_the_timer)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	uint64_t		 dl;

	/* Long enough that no timer expires inside pump() on a loaded
	 * machine (OpenSSL also retransmits from its read path). */
	co.retransmit_ms = RTO_MS;
	so.retransmit_ms = RTO_MS;
	pair_start(&p, &co, &so, "127.0.0.1");
	/* The server's first flight is lost. */
	p.drop_server = 1;
	pump(&p);
	ck_assert_int_eq(p.drop_server, 0);
	ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_HANDSHAKE);
	/* The deadline is in the caller's clock, at most the first timeout. */
	ck_assert(dtls_assoc_deadline(p.cl, 5000, &dl));
	ck_assert_uint_ge(dl, 5000);
	ck_assert_uint_le(dl, 5000 + RTO_MS);
	/* Firing early does nothing. */
	ck_assert_int_eq(dtls_assoc_timer(p.cl, 5000), 0);
	{
		uint8_t	 b[4096];

		ck_assert_int_eq(dtls_assoc_output(p.cl, b, sizeof(b)), 0);
	}
	recover(&p);
	assert_open(&p);
	ck_assert(!dtls_assoc_deadline(p.cl, 0, &dl));
	roundtrip(p.cl, p.sv, "after the loss");
	pair_free(&p);
}
END_TEST

START_TEST(dtls_lost_last_flight_recovered)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	/* Long enough that no timer expires inside pump() on a loaded
	 * machine (OpenSSL also retransmits from its read path). */
	co.retransmit_ms = RTO_MS;
	so.retransmit_ms = RTO_MS;
	pair_start(&p, &co, &so, "127.0.0.1");
	/* The server's Finished flight is lost: the server is open, the
	 * client is not; its retransmission makes the server send again. */
	p.drop_nth = 2;
	pump(&p);
	ck_assert_int_ge(p.sent_server, 2);
	ck_assert_int_eq(dtls_assoc_state(p.sv), DTLS_OPEN);
	ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_HANDSHAKE);
	recover(&p);
	assert_open(&p);
	roundtrip(p.cl, p.sv, "after the lost Finished");
	roundtrip(p.sv, p.cl, "and back");
	pair_free(&p);
}
END_TEST

START_TEST(dtls_garbage_does_not_break_an_open_association)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	uint8_t			 rec[512], bad[512];
	ssize_t			 n;
	size_t			 i;

	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	/* Random octets, a record header with nothing behind it. */
	for (i = 0; i < sizeof(bad); i++)
		bad[i] = (uint8_t)(i * 37 + 11);
	ck_assert_int_eq(dtls_assoc_input(p.sv, bad, sizeof(bad), 0), 0);
	ck_assert_int_eq(dtls_assoc_input(p.sv, (const uint8_t *)
	    "\x17\xfe\xfd\x00\x01", 5, 0), 0);
	ck_assert_int_eq(dtls_assoc_input(p.cl, bad, 1, 0), 0);
	/* A real record with one bit flipped fails its MAC: dropped. */
	ck_assert_int_eq(dtls_assoc_send(p.cl, (const uint8_t *)"secret", 6),
	    0);
	ck_assert_int_gt(n = dtls_assoc_output(p.cl, rec, sizeof(rec)), 0);
	memcpy(bad, rec, (size_t)n);
	bad[n - 3] ^= 0x01;
	ck_assert_int_eq(dtls_assoc_input(p.sv, bad, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, bad, sizeof(bad)), 0);
	/* The real one arrives; its replay is dropped (RFC 6347 4.1.2.6). */
	ck_assert_int_eq(dtls_assoc_input(p.sv, rec, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_input(p.sv, rec, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, bad, sizeof(bad)), 6);
	ck_assert_int_eq(dtls_assoc_recv(p.sv, bad, sizeof(bad)), 0);
	ck_assert_int_eq(dtls_assoc_state(p.sv), DTLS_OPEN);
	ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_OPEN);
	roundtrip(p.cl, p.sv, "still fine");
	roundtrip(p.sv, p.cl, "both ways");
	pair_free(&p);
}
END_TEST

START_TEST(dtls_close_notify)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;
	uint8_t			 buf[512];
	ssize_t			 n;

	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_close(p.cl), 0);
	ck_assert_int_eq(dtls_assoc_state(p.cl), DTLS_CLOSED);
	ck_assert_int_gt(n = dtls_assoc_output(p.cl, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(buf[0], 21);		/* an alert record */
	ck_assert_int_eq(dtls_assoc_input(p.sv, buf, (size_t)n, 0), 0);
	ck_assert_int_eq(dtls_assoc_state(p.sv), DTLS_CLOSED);
	/* Sending on a closed association fails, nothing else breaks. */
	ck_assert_int_eq(dtls_assoc_send(p.cl, buf, 1), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TLS_ENCRYPT);
	ck_assert_int_eq(dtls_assoc_input(p.cl, buf, (size_t)n, 0), 0);
	pair_free(&p);
}
END_TEST

/* A context from o fails with code. */
static void
ctx_fails(const struct dtls_opts *o, int code)
{
	struct dtls_ctx	*c = dtls_ctx_new(o);

	ck_assert_msg(c == NULL, "context made");
	ck_assert_msg(snmpmgr_lasterr() == code, "error %d (%s), %d wanted",
	    snmpmgr_lasterr(), snmpmgr_lasterr_detail(), code);
}

START_TEST(dtls_context_errors)
{
	struct dtls_opts	 o;
	struct dtls_ctx		*c;

	o = client_opts();
	o.cert = missing;
	ctx_fails(&o, SNMPMGR_ERR_TLS_CERT_NOT_FOUND);
	o = client_opts();
	o.key = missing;
	ctx_fails(&o, SNMPMGR_ERR_TLS_CERT_NOT_FOUND);
	o = client_opts();
	o.ca = missing;
	ctx_fails(&o, SNMPMGR_ERR_TLS_CERT_STORE);
	o = client_opts();
	o.key = rogue.key;			/* not mgr's key */
	ctx_fails(&o, SNMPMGR_ERR_TLS_CREDENTIALS);
	o = client_opts();
	o.cert = mgr.key;			/* PEM, but no certificate */
	ctx_fails(&o, SNMPMGR_ERR_TLS_NO_CHAIN);
	o = server_opts();
	o.cert = o.key = NULL;
	ctx_fails(&o, SNMPMGR_ERR_TLS_NO_CHAIN);
	o = client_opts();
	o.tls_min_version = "1.3";
	ctx_fails(&o, SNMPMGR_ERR_TLS_LIBRARY);
	o = client_opts();
	o.tls_ciphers = "NO-SUCH-CIPHER";
	ctx_fails(&o, SNMPMGR_ERR_TLS_LIBRARY);
	o = client_opts();
	o.server_fingerprint = "md5:00";
	ctx_fails(&o, SNMPMGR_ERR_TLS_CERT_VERIFY);
	/* PKCS#12 with its password; a wrong one is 273. */
	o = client_opts();
	o.cert = p12;
	o.key = NULL;
	o.key_password = "wrong";
	ctx_fails(&o, SNMPMGR_ERR_TLS_CREDENTIALS);
	o.key_password = "s3cret";
	ck_assert_ptr_nonnull(c = dtls_ctx_new(&o));
	dtls_ctx_free(c);
	/* A directory as ca (its handshake: dtls_ca_directory). */
	o = client_opts();
	o.ca = cadir;
	ck_assert_ptr_nonnull(c = dtls_ctx_new(&o));
	/* The wrong role for each object. */
	ck_assert_ptr_null(dtls_listener_new(c));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_ROLE);
	dtls_ctx_free(c);
}
END_TEST

START_TEST(dtls_ca_directory)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	co.ca = cadir;
	so.ca = cadir;
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_int_eq(dtls_assoc_peer(p.cl)->accepted, DTLS_ACCEPT_CA);
	ck_assert_uint_eq(dtls_assoc_peer(p.cl)->nchain, 2);
	pair_free(&p);
}
END_TEST

START_TEST(dtls_pkcs12_credentials_handshake)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct pair		 p;

	co.cert = p12;
	co.key = NULL;
	co.key_password = "s3cret";
	pair_run(&p, &co, &so, "127.0.0.1");
	assert_open(&p);
	ck_assert_str_eq(dtls_assoc_peer(p.sv)->sha256, mgr.fp);
	pair_free(&p);
}
END_TEST

/* Credentials read once, shared by content and password, never prompting. */
START_TEST(dtls_credentials_read_once_and_shared)
{
	struct dtls_opts	 co = client_opts(), so = server_opts();
	struct dtls_cred	*a, *b, *c;
	struct pair		 p;

	co.cert = p12;
	co.key = NULL;
	co.key_password = "s3cret";
	ck_assert_ptr_nonnull(a = dtls_cred_get(&co));
	ck_assert_ptr_nonnull(b = dtls_cred_get(&co));
	ck_assert_ptr_eq(a, b);
	/* A wrong password is 273 even while a good read lives. */
	co.key_password = "wrong";
	ck_assert_ptr_null(dtls_cred_get(&co));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TLS_CREDENTIALS);
	co.key_password = NULL;
	ck_assert_ptr_null(dtls_cred_get(&co));
	/* PEM: another credential; a missing key file is 272. */
	ck_assert_ptr_nonnull(c = dtls_cred_get(&(struct dtls_opts){
	    .cert = mgr.cert, .key = mgr.key }));
	ck_assert_ptr_ne(a, c);
	dtls_cred_free(c);
	ck_assert_ptr_null(dtls_cred_get(&(struct dtls_opts){
	    .cert = mgr.cert, .key = missing }));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TLS_CERT_NOT_FOUND);
	/* A context from the credential alone: no file is named. */
	co = client_opts();
	co.cert = co.key = NULL;
	co.cred = a;
	dtls_cred_free(b);
	pair_run(&p, &co, &so, "127.0.0.1");
	dtls_cred_free(a);
	assert_open(&p);
	ck_assert_str_eq(dtls_assoc_peer(p.sv)->sha256, mgr.fp);
	pair_free(&p);
}
END_TEST

/* A PEM file of its certificate and n octets of text after it. */
static void
padded_copy(const char *from, const char *to, size_t n)
{
	FILE	*in, *out;
	char	 buf[4096];
	size_t	 k;

	ck_assert_ptr_nonnull(in = fopen(from, "rb"));
	ck_assert_ptr_nonnull(out = fopen(to, "wb"));
	while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, k, out), k);
	fclose(in);
	memset(buf, 'x', sizeof(buf));
	buf[sizeof(buf) - 1] = '\n';
	for (; n > 0; n -= k) {
		k = n < sizeof(buf) ? n : sizeof(buf);
		ck_assert_uint_eq(fwrite(buf, 1, k, out), k);
	}
	ck_assert_int_eq(fclose(out), 0);
}

/* Files are read whole up to 1 MiB (the buffer grows as it reads). */
START_TEST(dtls_credential_file_size_limit)
{
	char			 path[340];
	struct dtls_cred	*c;
	struct stat		 st;

	snprintf(path, sizeof(path), "%s/padded.pem", dir);
	/* Past several growths of the buffer, and to the limit exactly. */
	padded_copy(mgr.cert, path, 20000);
	ck_assert_ptr_nonnull(c = dtls_cred_get(&(struct dtls_opts){
	    .cert = path, .key = mgr.key }));
	dtls_cred_free(c);
	ck_assert_int_eq(stat(mgr.cert, &st), 0);
	padded_copy(mgr.cert, path, 1024 * 1024 - (size_t)st.st_size);
	ck_assert_ptr_nonnull(c = dtls_cred_get(&(struct dtls_opts){
	    .cert = path, .key = mgr.key }));
	dtls_cred_free(c);
	/* One octet more is not a certificate file. */
	padded_copy(mgr.cert, path, 1024 * 1024 + 1 - (size_t)st.st_size);
	ck_assert_ptr_null(dtls_cred_get(&(struct dtls_opts){
	    .cert = path, .key = mgr.key }));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TLS_CREDENTIALS);
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(),
	    "larger than 1 MiB"));
	unlink(path);
}
END_TEST

START_TEST(dtls_fingerprint_text)
{
	struct dtls_fingerprint	 fp;
	char			 out[200];
	char			 s[200];
	int			 i;

	strcpy(s, "SHA1:");
	for (i = 0; i < 20; i++)
		sprintf(s + strlen(s), "%s%02X", i ? ":" : "", i * 13);
	ck_assert_int_eq(dtls_fingerprint_parse(s, &fp), 0);
	ck_assert_int_eq(fp.alg, DTLS_FP_SHA1);
	ck_assert_uint_eq(fp.len, 20);
	dtls_fingerprint_format(&fp, out, sizeof(out));
	ck_assert_int_eq(strncmp(out, "sha1:00:0d:1a", 13), 0);
	ck_assert_int_eq(dtls_fingerprint_parse(out, &fp), 0);
	/* Lengths must fit the hash; odd digits, no hash, stray colons. */
	ck_assert_int_eq(dtls_fingerprint_parse("sha256:0011", &fp), -1);
	ck_assert_int_eq(dtls_fingerprint_parse("0011", &fp), -1);
	ck_assert_int_eq(dtls_fingerprint_parse("sha1:0", &fp), -1);
	ck_assert_int_eq(dtls_fingerprint_parse("sha1::00", &fp), -1);
	ck_assert_int_eq(dtls_fingerprint_parse(NULL, &fp), -1);
	ck_assert_int_eq(dtls_fingerprint_parse("md5:00", &fp), -1);
	ck_assert_str_eq(snmpmgr_lasterr_detail(), "fingerprint hash \"md5\": "
	    "sha1, sha256, sha384 or sha512");
	/* No hash named: by the digest's length, colons or none. */
	ck_assert_int_eq(dtls_fingerprint_parse(s + 5, &fp), 0);
	ck_assert_int_eq(fp.alg, DTLS_FP_SHA1);
	for (i = 0, s[0] = '\0'; i < 32; i++)
		sprintf(s + strlen(s), "%02x", 255 - i);
	ck_assert_int_eq(dtls_fingerprint_parse(s, &fp), 0);
	ck_assert_int_eq(fp.alg, DTLS_FP_SHA256);
	ck_assert_uint_eq(fp.len, 32);
	ck_assert_uint_eq(fp.md[31], 255 - 31);
	s[63] = '\0';
	ck_assert_int_eq(dtls_fingerprint_parse(s, &fp), -1);
	ck_assert_int_eq(dtls_fingerprint_parse(agent.fp + 7, &fp), 0);
	ck_assert_int_eq(fp.alg, DTLS_FP_SHA256);
	dtls_fingerprint_format(&fp, out, sizeof(out));
	ck_assert_str_eq(out, agent.fp);
	ck_assert_int_eq(dtls_fingerprint_parse(agent.fp, &fp), 0);
	ck_assert_int_eq(fp.alg, DTLS_FP_SHA256);
	dtls_fingerprint_format(&fp, out, sizeof(out));
	ck_assert_str_eq(out, agent.fp);
	/* Cut output stays terminated. */
	ck_assert_uint_lt(dtls_fingerprint_format(&fp, out, 12), 12);
	ck_assert_uint_eq(strlen(out), dtls_fingerprint_format(&fp, out, 12));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("dtls");
	TCase	*tc = tcase_create("dtls");
	int	 rc;

	make_pki();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, dtls_handshake_ok_with_ca);
	tcase_add_test(tc, dtls_credentials_read_once_and_shared);
	tcase_add_test(tc, dtls_credential_file_size_limit);
	tcase_add_test(tc, dtls_ok_with_fingerprint_only_self_signed);
	tcase_add_test(tc, dtls_fingerprint_pins_a_ca_in_the_chain);
	tcase_add_test(tc, dtls_fingerprint_mismatch_is_280);
	tcase_add_test(tc, dtls_wrong_ca_is_275);
	tcase_add_test(tc, dtls_name_mismatch_is_280);
	tcase_add_test(tc, dtls_expired_is_280);
	tcase_add_test(tc, dtls_no_client_certificate_is_281);
	tcase_add_test(tc, dtls_cookie_exchange_before_any_state);
	tcase_add_test(tc, dtls_cert_to_name_each_kind);
	tcase_add_test(tc, dtls_cert_to_name_first_match_wins);
	tcase_add_test(tc, dtls_cert_to_name_pins_a_self_signed_client);
	tcase_add_test(tc, dtls_application_data_round_trip);
	tcase_add_test(tc, dtls_idle_association_holds_no_record_buffers);
	tcase_add_test(tc, dtls_client_records_each_cipher);
	tcase_add_test(tc, dtls_forged_record_in_the_handshake_moves_no_window);
	tcase_add_test(tc, dtls_cbc_forgeries_dropped_both_ways);
	tcase_add_test(tc, dtls_server_drops_forgeries_before_the_first_message);
	tcase_add_test(tc, dtls_client_after_a_reordered_finished_drops_forgeries);
	tcase_add_test(tc, dtls_lost_datagram_recovered_by_the_timer);
	tcase_add_test(tc, dtls_lost_last_flight_recovered);
	tcase_add_test(tc, dtls_garbage_does_not_break_an_open_association);
	tcase_add_test(tc, dtls_close_notify);
	tcase_add_test(tc, dtls_server_records_after_the_first_message);
	tcase_add_test(tc, dtls_context_errors);
	tcase_add_test(tc, dtls_ca_directory);
	tcase_add_test(tc, dtls_pkcs12_credentials_handshake);
	tcase_add_test(tc, dtls_fingerprint_text);
	suite_add_tcase(s, tc);
	rc = check_run(s);
	remove_pki();
	return rc;
}
