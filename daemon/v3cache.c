/*
 * v3cache.c - credentials and learned engines of inline SNMPv3 targets
 * (v3cache.h).
 *
 * Both tables are small arrays searched linearly (tens of credentials, a
 * thousand addresses at most): a lookup costs far less than the hashing
 * or the discovery round trips it saves.  Each entry carries the tick of
 * its last use; a full table gives up the entry used longest ago.
 */
#include <config.h>		/* autoconf's */

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/session.h"
#include "core/usm.h"

#include "v3cache.h"

/* An agent address as a key: family, port and address octets. */
struct v3c_addr {
	int		 family;
	uint16_t	 port;
	uint32_t	 scope;
	uint8_t		 addr[16];
};

struct v3c_engine {
	struct v3c_addr	 key;
	uint8_t		 id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 idlen;
	bool		 time_known;
	uint32_t	 boots;
	uint32_t	 time;		/* snmpEngineTime at `learned` */
	int64_t		 learned;	/* monotonic seconds */
	uint64_t	 used;		/* tick */
};

struct v3c_cred {
	struct usm_cred	*c;
	uint64_t	 used;
};

struct v3cache {
	struct v3c_cred		 creds[SNMPMGR_MAX_INLINE_CREDS];
	size_t			 ncreds;
	struct v3c_engine	*engines;	/* SNMPMGR_MAX_INLINE_ENGINES */
	size_t			 nengines;
	uint64_t		 tick;

	uint64_t		 cred_hits;
	uint64_t		 creds_evicted;
	uint64_t		 engine_hits;
	uint64_t		 engines_learned;
	uint64_t		 engines_expired;
};

static int64_t
v3c_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* The key of sa; -1 for a family other than IPv4 and IPv6. */
static int
v3c_key(const struct sockaddr *sa, socklen_t len, struct v3c_addr *k)
{
	memset(k, 0, sizeof(*k));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		k->family = AF_INET;
		k->port = sin->sin_port;
		memcpy(k->addr, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		k->family = AF_INET6;
		k->port = sin6->sin6_port;
		k->scope = sin6->sin6_scope_id;
		memcpy(k->addr, &sin6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static bool
v3c_key_eq(const struct v3c_addr *a, const struct v3c_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    a->scope == b->scope && memcmp(a->addr, b->addr, 16) == 0;
}

struct v3cache *
v3cache_new(void)
{
	struct v3cache	*vc;

	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return NULL;
	if ((vc->engines = calloc(SNMPMGR_MAX_INLINE_ENGINES,
	    sizeof(*vc->engines))) == NULL) {
		free(vc);
		return NULL;
	}
	return vc;
}

void
v3cache_free(struct v3cache *vc)
{
	size_t	 i;

	if (vc == NULL)
		return;
	for (i = 0; i < vc->ncreds; i++)
		usm_cred_free(vc->creds[i].c);
	free(vc->engines);
	free(vc);
}

/* ------------------------------------------------------------ credentials */

void
v3cache_hold_cred(struct v3cache *vc, struct usm_cred *c)
{
	size_t	 i, old = 0;

	if (vc == NULL || c == NULL)
		return;
	vc->tick++;
	for (i = 0; i < vc->ncreds; i++)
		if (vc->creds[i].c == c) {
			vc->creds[i].used = vc->tick;
			vc->cred_hits++;
			return;
		}
	if (vc->ncreds == SNMPMGR_MAX_INLINE_CREDS) {
		for (i = 1; i < vc->ncreds; i++)
			if (vc->creds[i].used < vc->creds[old].used)
				old = i;
		/* Its keys are wiped when nobody else holds it. */
		usm_cred_free(vc->creds[old].c);
		vc->creds_evicted++;
		vc->creds[old] = vc->creds[--vc->ncreds];
	}
	vc->creds[vc->ncreds].c = usm_cred_ref(c);
	vc->creds[vc->ncreds].used = vc->tick;
	vc->ncreds++;
}

/* ------------------------------------------------------------ engines */

static struct v3c_engine *
v3c_find(struct v3cache *vc, const struct v3c_addr *k)
{
	size_t	 i;

	for (i = 0; i < vc->nengines; i++)
		if (v3c_key_eq(&vc->engines[i].key, k))
			return &vc->engines[i];
	return NULL;
}

static void
v3c_drop(struct v3cache *vc, struct v3c_engine *e)
{
	*e = vc->engines[--vc->nengines];
}

int
v3cache_preset(struct v3cache *vc, struct sess *s)
{
	const struct sess_opts	*cur;
	const struct sockaddr	*sa;
	struct v3c_engine	*e;
	struct v3c_addr		 k;
	struct sess_opts	 o;
	socklen_t		 len = 0;
	int64_t			 now = v3c_now(), age;
	uint64_t		 t;

	if (vc == NULL)
		return 0;
	cur = sess_get_opts(s);
	if (cur->version != SNMP_V3 || cur->v3.engine_id_len != 0)
		return 0;
	sa = sess_addr(s, &len);
	if (v3c_key(sa, len, &k) == -1 || (e = v3c_find(vc, &k)) == NULL)
		return 0;
	age = now - e->learned;
	if (age < 0 || age > V3CACHE_ENGINE_TTL_S) {
		vc->engines_expired++;
		v3c_drop(vc, e);
		return 0;
	}
	/* A copy of the options shares their credential pointer; the
	 * session takes references of its own (session.h). */
	sess_copy_opts(s, &o);
	memcpy(o.v3.engine_id, e->id, e->idlen);
	o.v3.engine_id_len = e->idlen;
	if (e->time_known) {
		t = (uint64_t)e->time + (uint64_t)age;
		o.v3.engine_boots = e->boots;
		o.v3.engine_time = t > USM_MAX_BOOTS ? USM_MAX_BOOTS :
		    (uint32_t)t;
		o.v3.engine_time_set = true;
	}
	if (sess_set_opts(s, &o) == -1)
		return 0;
	e->used = ++vc->tick;
	vc->engine_hits++;
	return 1;
}

void
v3cache_learn(struct v3cache *vc, const struct sess *s)
{
	struct sess_v3_info	 vi;
	const struct sockaddr	*sa;
	struct v3c_engine	*e;
	struct v3c_addr		 k;
	socklen_t		 len = 0;
	size_t			 i, old = 0;

	if (vc == NULL || sess_v3_info(s, &vi) == -1)
		return;
	sa = sess_addr(s, &len);
	if (v3c_key(sa, len, &k) == -1)
		return;
	e = v3c_find(vc, &k);
	if (vi.disc != SESS_DISC_DONE || vi.engine_id_len == 0 ||
	    vi.engine_id_len > sizeof(e->id)) {
		/* Discovery failed or never ended: start afresh next time. */
		if (e != NULL && vi.last_error != 0)
			v3c_drop(vc, e);
		return;
	}
	if (e == NULL) {
		if (vc->nengines == SNMPMGR_MAX_INLINE_ENGINES) {
			for (i = 1; i < vc->nengines; i++)
				if (vc->engines[i].used <
				    vc->engines[old].used)
					old = i;
			v3c_drop(vc, &vc->engines[old]);
		}
		e = &vc->engines[vc->nengines++];
		memset(e, 0, sizeof(*e));
		e->key = k;
	}
	memcpy(e->id, vi.engine_id, vi.engine_id_len);
	e->idlen = vi.engine_id_len;
	e->time_known = vi.time_known;
	e->boots = vi.boots;
	e->time = vi.time;
	e->learned = v3c_now();
	e->used = ++vc->tick;
	vc->engines_learned++;
}

void
v3cache_info(const struct v3cache *vc, struct v3cache_info *vi)
{
	vi->credentials = vc->ncreds;
	vi->credential_hits = vc->cred_hits;
	vi->credentials_evicted = vc->creds_evicted;
	vi->engines = vc->nengines;
	vi->engine_hits = vc->engine_hits;
	vi->engines_learned = vc->engines_learned;
	vi->engines_expired = vc->engines_expired;
}
