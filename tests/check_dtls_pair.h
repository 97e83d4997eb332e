/*
 * check_dtls_pair.h - the test certificates and the in-memory client and
 * server pair of check_dtls.c (check_dtls_pair.c).
 */
#ifndef CHECK_DTLS_PAIR_H
#define CHECK_DTLS_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/dtls.h"

#define DAY	(24L * 3600)

/* Paths of what make_pki() wrote. */
struct ent {
	char	 cert[300];
	char	 key[300];
	char	 fp[200];	/* sha256:... */
	X509	*x;
	EVP_PKEY *k;
};
extern struct ent	 ca1, ca2, agent, self_agent, expired, mgr, mgr6, rogue;
extern char		 dir[], agent_chain[300], p12[300], missing[300],
			 cadir[300];

/* Make them (exit 2 on failure: no test can run), remove them. */
void	make_pki(void);
void	remove_pki(void);

/* The listener's address keys of the client, and of another peer. */
#define PEER_KEY	"127.0.0.1:40000"
#define OTHER_KEY	"127.0.0.1:40001"
extern const char	 peer_key[sizeof(PEER_KEY)];
extern const char	 other_key[sizeof(OTHER_KEY)];

/* A client association and the server's, through a cookie listener. */
struct pair {
	struct dtls_ctx		*cc, *sc;
	struct dtls_assoc	*cl, *sv;
	struct dtls_listener	*lis;
	int			 hvr;		/* HelloVerifyRequests seen */
	int			 drop_server;	/* drop the next N from it */
	int			 sent_server;	/* datagrams it sent */
	int			 drop_nth;	/* drop its Nth (1-based) */
	bool			 hold_ccs;	/* its ChangeCipherSpec after
						 * the next datagram */
	uint8_t			 held[512];
	size_t			 nheld;
};

/* The options every test starts from: our manager, the agent. */
struct dtls_opts client_opts(void);
struct dtls_opts server_opts(void);
/* Move datagrams both ways until neither side has anything to send. */
void	pump(struct pair *p);
/* Contexts from co and so, a client association to addr, started; and
 * pumped (pair_run). */
void	pair_start(struct pair *p, const struct dtls_opts *co,
	    const struct dtls_opts *so, const char *addr);
void	pair_run(struct pair *p, const struct dtls_opts *co,
	    const struct dtls_opts *so, const char *addr);
void	pair_free(struct pair *p);
void	assert_open(struct pair *p);
/* The client failed with code and a detail containing what. */
void	assert_client_fails(struct pair *p, int code, const char *what);

#endif /* CHECK_DTLS_PAIR_H */
