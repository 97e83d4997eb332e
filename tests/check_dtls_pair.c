/*
 * check_dtls_pair.c - what check_dtls.c's tests stand on: the test
 * certificates (EC P-256, made with the OpenSSL API in a temporary
 * directory before the tests run: a CA, a second unrelated CA, an agent
 * certificate and chain, a self-signed agent, an expired agent, a manager
 * certificate with every kind of SAN, one with an IPv6 SAN, a
 * self-signed "rogue" manager, and a PKCS#12 bundle), and a client and a
 * server of our own whose datagrams are handed over in memory.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "check_dtls_pair.h"

#define DAY	(24L * 3600)

char		 dir[] = "/tmp/check_dtls.XXXXXX";

struct ent	 ca1, ca2, agent, self_agent, expired, mgr, mgr6, rogue;
char		 agent_chain[300], p12[300], missing[300], cadir[300];

/* ------------------------------------------------------ certificates */

/* Before the tests run there is no Check test to fail: exit instead. */
#define PKI_OK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "making test certificates: %s\n", #x);	\
		exit(2);						\
	}								\
} while (0)

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v;
	X509_EXTENSION	*e;

	X509V3_set_ctx_nodb(&v);
	X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	PKI_OK(e);
	PKI_OK(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
}

static void
make(struct ent *e, const char *name, const char *cn, struct ent *issuer,
    bool ca, const char *san, long from, long to)
{
	static long	 serial = 4096;
	X509_NAME	*n;
	X509		*x, *ix;
	FILE		*f;
	struct dtls_fingerprint fp;
	unsigned int	 len;

	e->k = EVP_EC_gen("P-256");
	PKI_OK(e->k);
	x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, e->k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"snmpmgrd tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	ix = issuer != NULL ? issuer->x : x;
	X509_set_issuer_name(x, X509_get_subject_name(ix));
	add_ext(x, ix, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "CA:FALSE");
	add_ext(x, ix, NID_subject_key_identifier, "hash");
	if (ca)
		add_ext(x, ix, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (issuer != NULL)
		add_ext(x, ix, NID_authority_key_identifier, "keyid");
	if (san != NULL)
		add_ext(x, ix, NID_subject_alt_name, san);
	PKI_OK(X509_sign(x, issuer != NULL ? issuer->k : e->k,
	    EVP_sha256()) > 0);
	e->x = x;
	snprintf(e->cert, sizeof(e->cert), "%s/%s.crt", dir, name);
	snprintf(e->key, sizeof(e->key), "%s/%s.key", dir, name);
	PKI_OK(f = fopen(e->cert, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	PKI_OK(f = fopen(e->key, "w"));
	PEM_write_PrivateKey(f, e->k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	fp.alg = DTLS_FP_SHA256;
	PKI_OK(X509_digest(x, EVP_sha256(), fp.md, &len) == 1);
	fp.len = len;
	dtls_fingerprint_format(&fp, e->fp, sizeof(e->fp));
}

void
make_pki(void)
{
	FILE		*f;
	PKCS12		*p;
	STACK_OF(X509)	*cas;

	PKI_OK(mkdtemp(dir));
	make(&ca1, "ca1", "Test CA", NULL, true, NULL, -DAY, 365 * DAY);
	make(&ca2, "ca2", "Other CA", NULL, true, NULL, -DAY, 365 * DAY);
	make(&agent, "agent", "agent", &ca1, false,
	    "DNS:localhost,DNS:agent.example,IP:127.0.0.1", -DAY, 30 * DAY);
	make(&self_agent, "self", "self-signed agent", NULL, false,
	    "DNS:selfagent.example", -DAY, 30 * DAY);
	make(&expired, "expired", "expired agent", &ca1, false,
	    "DNS:localhost,IP:127.0.0.1", -10 * DAY, -DAY);
	make(&mgr, "mgr", "ops-cn", &ca1, false,
	    "email:Ops@Example.COM,DNS:Mgr.Example.com,IP:192.0.2.7", -DAY,
	    30 * DAY);
	make(&mgr6, "mgr6", "v6-cn", &ca1, false,
	    "IP:2001:db8::1,DNS:v6.example", -DAY, 30 * DAY);
	make(&rogue, "rogue", "rogue", NULL, false, "DNS:rogue.example", -DAY,
	    30 * DAY);
	/* The agent's certificate followed by its CA. */
	snprintf(agent_chain, sizeof(agent_chain), "%s/agent-chain.crt", dir);
	PKI_OK(f = fopen(agent_chain, "w"));
	PEM_write_X509(f, agent.x);
	PEM_write_X509(f, ca1.x);
	fclose(f);
	/* The manager's certificate, key and CA as PKCS#12. */
	snprintf(p12, sizeof(p12), "%s/mgr.p12", dir);
	cas = sk_X509_new_null();
	sk_X509_push(cas, ca1.x);
	p = PKCS12_create("s3cret", "mgr", mgr.k, mgr.x, cas, 0, 0, 0, 0, 0);
	PKI_OK(p);
	PKI_OK(f = fopen(p12, "wb"));
	i2d_PKCS12_fp(f, p);
	fclose(f);
	PKCS12_free(p);
	sk_X509_free(cas);
	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
	/* A CA directory as c_rehash makes it: HASH.0 per certificate. */
	snprintf(cadir, sizeof(cadir), "%s/cadir", dir);
	PKI_OK(mkdir(cadir, 0700) == 0);
	{
		char	 path[400];

		snprintf(path, sizeof(path), "%s/%08lx.0", cadir,
		    X509_subject_name_hash(ca1.x));
		PKI_OK(f = fopen(path, "w"));
		PEM_write_X509(f, ca1.x);
		fclose(f);
	}
}

void
remove_pki(void)
{
	char	 cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* ------------------------------------------------------------ harness */

const char	 peer_key[sizeof(PEER_KEY)] = PEER_KEY;
const char	 other_key[sizeof(OTHER_KEY)] = OTHER_KEY;


/* The client options every test starts from. */
struct dtls_opts
client_opts(void)
{
	struct dtls_opts	 o;

	memset(&o, 0, sizeof(o));
	o.role = DTLS_CLIENT;
	o.cert = mgr.cert;
	o.key = mgr.key;
	o.ca = ca1.cert;
	return o;
}

static struct dtls_map_rule map_ca1_specified[1];

struct dtls_opts
server_opts(void)
{
	struct dtls_opts	 o;

	memset(&o, 0, sizeof(o));
	o.role = DTLS_SERVER;
	o.cert = agent.cert;
	o.key = agent.key;
	o.ca = ca1.cert;
	ck_assert_int_eq(dtls_fingerprint_parse(ca1.fp,
	    &map_ca1_specified[0].fp), 0);
	map_ca1_specified[0].kind = DTLS_MAP_SPECIFIED;
	strcpy(map_ca1_specified[0].name, "ops");
	o.map = map_ca1_specified;
	o.nmap = 1;
	return o;
}

/* Move datagrams both ways until neither side has anything to send. */
void
pump(struct pair *p)
{
	uint8_t	 buf[4096], b2[4096];
	ssize_t	 n, m;
	int	 moved, rounds = 0, r;

	do {
		moved = 0;
		while ((n = dtls_assoc_output(p->cl, buf, sizeof(buf))) > 0) {
			moved++;
			if (p->sv != NULL) {
				dtls_assoc_input(p->sv, buf, (size_t)n, 0);
				continue;
			}
			r = dtls_listen(p->lis, peer_key, sizeof(peer_key),
			    buf, (size_t)n, 0, &p->sv);
			ck_assert_int_ge(r, 0);
			while ((m = dtls_listener_output(p->lis, b2,
			    sizeof(b2))) > 0) {
				p->hvr++;
				dtls_assoc_input(p->cl, b2, (size_t)m, 0);
			}
		}
		while (p->sv != NULL &&
		    (n = dtls_assoc_output(p->sv, buf, sizeof(buf))) > 0) {
			moved++;
			if (++p->sent_server == p->drop_nth)
				continue;
			if (p->drop_server > 0) {
				p->drop_server--;
				continue;
			}
			if (p->hold_ccs && buf[0] == 20 && n > 14 &&
			    (size_t)n <= sizeof(p->held)) {
				/* The CCS record (14 octets) after the rest
				 * of its datagram (the Finished). */
				memcpy(p->held, buf, 14);
				p->nheld = 14;
				p->hold_ccs = false;
				dtls_assoc_input(p->cl, buf + 14,
				    (size_t)n - 14, 0);
				dtls_assoc_input(p->cl, p->held, p->nheld, 0);
				p->nheld = 0;
				continue;
			}
			if (p->hold_ccs && buf[0] == 20 &&
			    (size_t)n <= sizeof(p->held)) {
				memcpy(p->held, buf, (size_t)n);
				p->nheld = (size_t)n;
				p->hold_ccs = false;
				continue;
			}
			dtls_assoc_input(p->cl, buf, (size_t)n, 0);
			if (p->nheld > 0) {
				dtls_assoc_input(p->cl, p->held, p->nheld, 0);
				p->nheld = 0;
			}
		}
	} while (moved > 0 && ++rounds < 100);
	ck_assert_int_lt(rounds, 100);
}

/* Contexts from co and so, a client association to addr, started. */
void
pair_start(struct pair *p, const struct dtls_opts *co,
    const struct dtls_opts *so, const char *addr)
{
	memset(p, 0, sizeof(*p));
	p->cc = dtls_ctx_new(co);
	ck_assert_msg(p->cc != NULL, "client ctx: %d %s", snmpmgr_lasterr(),
	    snmpmgr_lasterr_detail());
	p->sc = dtls_ctx_new(so);
	ck_assert_msg(p->sc != NULL, "server ctx: %d %s", snmpmgr_lasterr(),
	    snmpmgr_lasterr_detail());
	ck_assert_ptr_nonnull(p->lis = dtls_listener_new(p->sc));
	ck_assert_ptr_nonnull(p->cl = dtls_client_new(p->cc, addr));
	ck_assert_int_eq(dtls_assoc_start(p->cl, 0), 0);
	ck_assert_int_eq(dtls_assoc_state(p->cl), DTLS_HANDSHAKE);
}

void
pair_run(struct pair *p, const struct dtls_opts *co,
    const struct dtls_opts *so, const char *addr)
{
	pair_start(p, co, so, addr);
	pump(p);
}

void
pair_free(struct pair *p)
{
	dtls_assoc_free(p->cl);
	dtls_assoc_free(p->sv);
	dtls_listener_free(p->lis);
	/* The associations held references; these are the last. */
	dtls_ctx_free(p->cc);
	dtls_ctx_free(p->sc);
}

void
assert_open(struct pair *p)
{
	const char	*d = "";

	ck_assert_msg(dtls_assoc_state(p->cl) == DTLS_OPEN,
	    "client %s: %d %s", dtls_state_name(dtls_assoc_state(p->cl)),
	    dtls_assoc_error(p->cl, &d), d);
	ck_assert_ptr_nonnull(p->sv);
	ck_assert_msg(dtls_assoc_state(p->sv) == DTLS_OPEN,
	    "server %s: %d %s", dtls_state_name(dtls_assoc_state(p->sv)),
	    dtls_assoc_error(p->sv, &d), d);
}

/* The client failed with code and a detail containing what. */
void
assert_client_fails(struct pair *p, int code, const char *what)
{
	const char	*d = "";

	ck_assert_int_eq(dtls_assoc_state(p->cl), DTLS_FAILED);
	ck_assert_int_eq(dtls_assoc_error(p->cl, &d), code);
	ck_assert_msg(strstr(d, what) != NULL, "detail \"%s\" lacks \"%s\"",
	    d, what);
	ck_assert_ptr_null(dtls_assoc_peer(p->cl));
	/* The server never opens an association the client refused. */
	if (p->sv != NULL)
		ck_assert_int_ne(dtls_assoc_state(p->sv), DTLS_OPEN);
}
