/*
 * sess_opts.c - shared option blocks.
 *
 * A session's options but its host go into an immutable block kept in
 * one table: sessions (and config entries) made from the same template
 * or credential set hold one reference to the same block instead of a
 * copy of their own, so a hundred thousand sessions cost a few blocks,
 * not a hundred megabytes.  A block owns one reference to its credential.
 * The table serves the thread that runs the sessions (the daemon's loop):
 * it takes no lock.  Here too: the check of the options that must go
 * together, which every new session and option change passes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sess_int.h"
#include "session.h"
#include "usm.h"

struct optblk {
	struct sess_opts	 o;	/* first: a block is its options */
	uint64_t		 hash;
	size_t			 refs;
	struct optblk		*next;	/* in its bucket */
};

static struct optblk	**optblk_tab;
static size_t		  optblk_nb;	/* buckets, a power of two */
static size_t		  optblk_n;	/* blocks */
/* The block interned last: a config's sessions come in runs of the
 * same options (a template), so most lookups end here, unhashed. */
static struct optblk	 *optblk_last;

/* Zero what follows the end of a string, so equal options compare equal. */
static void
optblk_str_clean(char *s, size_t size)
{
	size_t	 len;

	s[size - 1] = '\0';
	len = strlen(s);
	memset(s + len, 0, size - len);
}

/* The host, first in the options, is not part of a block (all zero):
 * hashing and comparing start after it. */
_Static_assert(offsetof(struct sess_opts, host) == 0,
    "sess_opts: the host must come first");
#define OPTBLK_SKIP	sizeof(((struct sess_opts *)0)->host)

static uint64_t
optblk_hash(const struct sess_opts *o)
{
	const uint8_t	*p = (const uint8_t *)o;
	uint64_t	 h = 0x9e3779b97f4a7c15ULL, w, l[4];
	size_t		 i, k;

	/* Four lanes, so that the multiplications overlap. */
	for (k = 0; k < 4; k++)
		l[k] = h + k;
	for (i = OPTBLK_SKIP; i + 32 <= sizeof(*o); i += 32)
		for (k = 0; k < 4; k++) {
			memcpy(&w, p + i + 8 * k, 8);
			l[k] = (l[k] ^ w) * 0xff51afd7ed558ccdULL;
			l[k] ^= l[k] >> 32;
		}
	for (k = 0; k < 4; k++) {
		h = (h ^ l[k]) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; i + 8 <= sizeof(*o); i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; i < sizeof(*o); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static bool
optblk_same(const struct sess_opts *a, const struct sess_opts *b)
{
	return memcmp((const uint8_t *)a + OPTBLK_SKIP,
	    (const uint8_t *)b + OPTBLK_SKIP, sizeof(*a) - OPTBLK_SKIP) == 0;
}

static int
optblk_grow(void)
{
	struct optblk	**nt, *b, *next;
	size_t		  nnb = optblk_nb != 0 ? optblk_nb * 2 : 64, i;

	if ((nt = calloc(nnb, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < optblk_nb; i++)
		for (b = optblk_tab[i]; b != NULL; b = next) {
			next = b->next;
			b->next = nt[b->hash & (nnb - 1)];
			nt[b->hash & (nnb - 1)] = b;
		}
	free(optblk_tab);
	optblk_tab = nt;
	optblk_nb = nnb;
	return 0;
}

const struct sess_opts *
sess_opts_intern(const struct sess_opts *o)
{
	struct sess_opts key;
	struct optblk	*b;
	uint64_t	 h;

	key = *o;
	memset(key.host, 0, sizeof(key.host));
	optblk_str_clean(key.community, sizeof(key.community));
	optblk_str_clean(key.local_host, sizeof(key.local_host));
	optblk_str_clean(key.v3.context_name, sizeof(key.v3.context_name));
	if (optblk_last != NULL && optblk_same(&optblk_last->o, &key)) {
		optblk_last->refs++;
		return &optblk_last->o;
	}
	h = optblk_hash(&key);
	if (optblk_nb != 0)
		for (b = optblk_tab[h & (optblk_nb - 1)]; b != NULL;
		    b = b->next)
			if (b->hash == h && optblk_same(&b->o, &key)) {
				b->refs++;
				optblk_last = b;
				return &b->o;
			}
	if ((optblk_n >= optblk_nb && optblk_grow() == -1) ||
	    (b = malloc(sizeof(*b))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	b->o = key;
	if (b->o.v3.cred != NULL)
		usm_cred_ref(b->o.v3.cred);
	b->hash = h;
	b->refs = 1;
	b->next = optblk_tab[h & (optblk_nb - 1)];
	optblk_tab[h & (optblk_nb - 1)] = b;
	optblk_n++;
	optblk_last = b;
	return &b->o;
}

const struct sess_opts *
sess_opts_hold(const struct sess_opts *blk)
{
	struct optblk	*b = (struct optblk *)(uintptr_t)blk;

	if (b != NULL)
		b->refs++;
	return blk;
}

void
sess_opts_drop(const struct sess_opts *blk)
{
	struct optblk	*b = (struct optblk *)(uintptr_t)blk, **pp;

	if (b == NULL || --b->refs > 0)
		return;
	for (pp = &optblk_tab[b->hash & (optblk_nb - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	optblk_n--;
	if (optblk_last == b)
		optblk_last = NULL;
	usm_cred_free(b->o.v3.cred);
	free(b);
	if (optblk_n == 0) {
		free(optblk_tab);
		optblk_tab = NULL;
		optblk_nb = 0;
	}
}

void
sess_opts_compose(struct sess_opts *out, const struct sess_opts *blk,
    const char *host)
{
	size_t	 n;

	*out = *blk;
	if (host != NULL) {
		n = strnlen(host, sizeof(out->host) - 1);
		memcpy(out->host, host, n);
		out->host[n] = '\0';
	}
}

size_t
sess_opts_blocks(void)
{
	return optblk_n;
}

/* Options that go together (transport, version, SNMPv3, broadcast). */
int
sess_check_opts(const struct sess_opts *o)
{
	/* DTLS carries SNMPv3 under TSM only (RFC 6353, RFC 5591). */
	if (o->transport == SESS_TRANSPORT_DTLS && o->version != SNMP_V3) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "SNMP over DTLS carries SNMPv3 only");
		return -1;
	}
	if (o->transport != SESS_TRANSPORT_UDP &&
	    o->transport != SESS_TRANSPORT_DTLS &&
	    o->transport != SESS_TRANSPORT_UDP6 &&
	    !SESS_TRANSPORT_IS_STREAM(o->transport)) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown transport %d", (int)o->transport);
		return -1;
	}
	if (o->version == SNMP_V3 && sess_v3_check_opts(o) == -1)
		return -1;
	if (o->version != SNMP_V1 && o->version != SNMP_V2C &&
	    o->version != SNMP_V3) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION, "SNMP version %d",
		    (int)o->version);
		return -1;
	}
	if (o->use_connection && o->port == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_PORT_ZERO_CONNECTION, NULL);
		return -1;
	}
	if (o->broadcast && (o->version == SNMP_V3 || o->use_connection ||
	    o->transport != SESS_TRANSPORT_UDP)) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "broadcast needs "
		    "SNMPv1 or SNMPv2c over UDP on IPv4, without "
		    "use_connection");
		return -1;
	}
	return 0;
}
