/*
 * trap_rx.c - one datagram to the trap receiver: decode, authenticate,
 * fold into a journal record, and make the acknowledgement or Report.
 *
 * v1/v2c (RFC 1157 4.1.6, RFC 1901, RFC 3416 4.2.6/4.2.7): the community
 * must be one of the configured ones; v1 carries a Trap-PDU, v2c an
 * SNMPv2-Trap or an InformRequest, which is answered with a Response
 * holding the same request-id and varbinds.
 *
 * v3 (RFC 3412 7.2, RFC 3414 3.2) in the order the RFC gives: security
 * model, UsmSecurityParameters, engine (discovery, ours, or a sender's),
 * user, security level, digest (step 6), time window (step 7), decryption
 * (step 8), then the PDU.  A reportable message (a confirmed-class PDU:
 * an inform or a discovery probe) that fails gets the usmStats Report of
 * RFC 3414 3.2 (noAuthNoPriv, except notInTimeWindow, which is sent
 * authNoPriv with the user's key so the sender can trust our boots/time).
 * Unreportable ones (traps) are just dropped and counted.
 *
 * Keys come from a usm_cache keyed by (credential, engine ID): localized
 * once per sender engine (traps) or for our engine (informs).  Sender
 * engines' boots/time live in a bounded table, least recently seen
 * evicted first but never one seen within the time window (forgotten, its
 * old traps could be replayed), and each user teaches us new engines
 * through a token bucket: a flood of engine IDs evicts nobody.  Reports,
 * larger than the probes asking for them, go out through a token bucket
 * per source prefix, so the receiver is no reflector.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/param.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/errors.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/transport.h"
#include "core/usm.h"

#include "render.h"
#include "trap_rx.h"
#include "trap_rx_int.h"

/* usmStats (RFC 3414 5): 1.3.6.1.6.3.15.1.1.N.0 */
enum tp_usmstat {
	TP_STAT_UNSUPPORTED_SEC_LEVELS	= 1,
	TP_STAT_NOT_IN_TIME_WINDOWS	= 2,
	TP_STAT_UNKNOWN_USER_NAMES	= 3,
	TP_STAT_UNKNOWN_ENGINE_IDS	= 4,
	TP_STAT_WRONG_DIGESTS		= 5,
	TP_STAT_DECRYPTION_ERRORS	= 6,
};


static const char *const reason_names[TRAPPROC__COUNT] = {
	[TRAPPROC_OK]			= NULL,
	[TRAPPROC_BAD_COMMUNITY]	= "bad_community",
	[TRAPPROC_UNKNOWN_USER]		= "unknown_user",
	[TRAPPROC_WRONG_DIGEST]		= "wrong_digest",
	[TRAPPROC_DECRYPTION_ERROR]	= "decryption_error",
	[TRAPPROC_NOT_IN_TIME_WINDOW]	= "not_in_time_window",
	[TRAPPROC_UNKNOWN_ENGINE]	= "unknown_engine",
	[TRAPPROC_UNSUPPORTED_SEC_LEVEL] = "unsupported_sec_level",
	[TRAPPROC_UNSUPPORTED_SEC_MODEL] = "unsupported_sec_model",
	[TRAPPROC_BAD_VERSION]		= "bad_version",
	[TRAPPROC_UNEXPECTED_PDU]	= "unexpected_pdu",
	[TRAPPROC_MALFORMED]		= "malformed",
	[TRAPPROC_BAD_ENGINE_ID]	= "bad_engine_id",
	[TRAPPROC_ENGINE_TABLE_FULL]	= "engine_table_full",
	[TRAPPROC_ENGINE_RATE_LIMITED]	= "engine_rate_limited",
	[TRAPPROC_DISCOVERY_RATE_LIMITED] = "discovery_rate_limited",
	[TRAPPROC_ACK_QUEUE_FULL]	= "ack_queue_full",
};

/* The numbered error (SPEC 5) a bad-packet event carries per reason. */
static const int reason_errors[TRAPPROC__COUNT] = {
	[TRAPPROC_OK]			= 0,
	[TRAPPROC_BAD_COMMUNITY]	= SNMPMGR_ERR_NOT_AUTHENTICATED,
	[TRAPPROC_UNKNOWN_USER]		= SNMPMGR_ERR_USER_NAME,
	[TRAPPROC_WRONG_DIGEST]		= SNMPMGR_ERR_AUTH_FAILED,
	[TRAPPROC_DECRYPTION_ERROR]	= SNMPMGR_ERR_DECRYPT,
	[TRAPPROC_NOT_IN_TIME_WINDOW]	= SNMPMGR_ERR_TIME_FRAME,
	[TRAPPROC_UNKNOWN_ENGINE]	= SNMPMGR_ERR_ENGINE_ID,
	[TRAPPROC_UNSUPPORTED_SEC_LEVEL] = SNMPMGR_ERR_SEC_LEVEL,
	[TRAPPROC_UNSUPPORTED_SEC_MODEL] = SNMPMGR_ERR_SEC_MODEL,
	[TRAPPROC_BAD_VERSION]		= SNMPMGR_ERR_VERSION,
	[TRAPPROC_UNEXPECTED_PDU]	= SNMPMGR_ERR_PDU_TYPE,
	[TRAPPROC_MALFORMED]		= SNMPMGR_ERR_DEFECTIVE,
	[TRAPPROC_BAD_ENGINE_ID]	= SNMPMGR_ERR_ENGINE_ID,
	[TRAPPROC_ENGINE_TABLE_FULL]	= SNMPMGR_ERR_BUSY,
	[TRAPPROC_ENGINE_RATE_LIMITED]	= SNMPMGR_ERR_BUSY,
	[TRAPPROC_DISCOVERY_RATE_LIMITED] = SNMPMGR_ERR_BUSY,
	[TRAPPROC_ACK_QUEUE_FULL]	= SNMPMGR_ERR_BUSY,
};

static void	tp_engines_forget(struct trapproc *, const struct usm_cred *);

const char *
trapproc_reason_name(enum trapproc_reason r)
{
	if ((unsigned)r >= TRAPPROC__COUNT)
		return NULL;
	return reason_names[r];
}

/* ------------------------------------------------------------ life */

struct trapproc *
trapproc_new(size_t max_engines, size_t max_keys)
{
	struct trapproc	*tp;

	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return NULL;
	tp->auto_ack = true;
	tp->ack_room = true;
	tp->maxengines = max_engines ? max_engines : SNMPMGR_MAX_TRAP_ENGINES;
	/* Grows with the engines (tp_engine_grow), so a few engines'
	 * buckets stay in a few cache lines. */
	tp->ehsize = 64;
	tp->nprefixsets = SNMPMGR_MAX_TRAP_REPORT_PREFIXES / TP_PREFIX_WAYS;
	TAILQ_INIT(&tp->elru);
	render_buf_init(&tp->rec);
	render_buf_init(&tp->lis_raw);
	render_buf_init(&tp->lis_json);
	if ((tp->ehash = calloc(tp->ehsize, sizeof(*tp->ehash))) == NULL ||
	    (tp->prefixes = calloc(tp->nprefixsets * TP_PREFIX_WAYS,
	    sizeof(*tp->prefixes))) == NULL ||
	    (tp->keys = usm_cache_new(max_keys ? max_keys :
	    SNMPMGR_MAX_TRAP_KEYS)) == NULL ||
	    (tp->vb = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*tp->vb))) == NULL ||
	    (tp->raw = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*tp->raw))) ==
	    NULL ||
	    (tp->oids = calloc(1, sizeof(*tp->oids))) == NULL ||
	    (tp->bers = calloc(1, sizeof(*tp->bers))) == NULL ||
	    (tp->dec = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (tp->enc = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (tp->enc2 = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (tp->reply = malloc(SNMPMGR_MAX_DGRAM)) == NULL) {
		trapproc_free(tp);
		return NULL;
	}
	return tp;
}

void
trapproc_free(struct trapproc *tp)
{
	struct tp_engine	*e;
	size_t			 i;

	if (tp == NULL)
		return;
	for (i = 0; i < tp->ncommunities; i++)
		free(tp->communities[i]);
	free(tp->communities);
	free(tp->commlens);
	for (i = 0; i < tp->nusers; i++) {
		usm_cred_free(tp->users[i].cred);
		free(tp->users[i].engines);
		free(tp->users[i].englens);
	}
	free(tp->users);
	usm_cache_free(tp->keys);
	while ((e = TAILQ_FIRST(&tp->elru)) != NULL) {
		TAILQ_REMOVE(&tp->elru, e, lru);
		usm_user_free(e->user);
		free(e);
	}
	free(tp->ehash);
	free(tp->prefixes);
	free(tp->vb);
	free(tp->raw);
	free(tp->oids);
	free(tp->bers);
	free(tp->dec);
	free(tp->enc);
	free(tp->enc2);
	free(tp->reply);
	render_buf_free(&tp->rec);
	render_buf_free(&tp->lis_raw);
	render_buf_free(&tp->lis_json);
	free(tp);
}

int
trapproc_add_community(struct trapproc *tp, const char *c)
{
	char	**nc;
	size_t	 *nl, n = tp->ncommunities + 1;

	if ((nc = reallocarray(tp->communities, n, sizeof(*nc))) == NULL)
		return -1;
	tp->communities = nc;
	if ((nl = reallocarray(tp->commlens, n, sizeof(*nl))) == NULL)
		return -1;
	tp->commlens = nl;
	if ((nc[n - 1] = strdup(c)) == NULL)
		return -1;
	nl[n - 1] = strlen(c);
	tp->ncommunities = n;
	return 0;
}

/* A user name of len octets and n engine IDs: 0, or -1 with lasterr. */
static int
tp_user_check(size_t len, const size_t *lens, size_t n)
{
	size_t	 i;

	if (len == 0 || len > SNMPMGR_MAX_USER_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME, "user name of %zu "
		    "octets", len);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (lens[i] < SNMPMGR_MIN_ENGINE_ID_LEN ||
		    lens[i] > SNMPMGR_MAX_ENGINE_ID_LEN) {
			snmpmgr_seterr(SNMPMGR_ERR_ENGINE_ID, "engine ID of "
			    "%zu octets", lens[i]);
			return -1;
		}
	return 0;
}

int
trapproc_add_user(struct trapproc *tp, const struct usm_cred_params *p,
    const uint8_t *const *engines, const size_t *lens, size_t n)
{
	struct usm_cred	*cred;
	int		 rv;

	if (tp_user_check(p->user != NULL ? strlen(p->user) : 0, lens,
	    n) == -1)
		return -1;
	/* Shared with an identical credential still alive (a reload that
	 * keeps a user keeps its keys localized per engine). */
	if ((cred = usm_cred_get(p)) == NULL)
		return -1;	/* lasterr says why (usm_cred_new) */
	rv = trapproc_add_cred(tp, cred, engines, lens, n);
	usm_cred_free(cred);
	return rv;
}

int
trapproc_add_cred(struct trapproc *tp, struct usm_cred *cred,
    const uint8_t *const *engines, const size_t *lens, size_t n)
{
	struct tp_user	*nu, *u;
	const uint8_t	*name;
	size_t		 i, len;

	name = usm_cred_user(cred, &len);
	if (tp_user_check(len, lens, n) == -1)
		return -1;
	if ((nu = reallocarray(tp->users, tp->nusers + 1,
	    sizeof(*nu))) == NULL)
		goto nomem;
	tp->users = nu;
	u = &tp->users[tp->nusers];
	memset(u, 0, sizeof(*u));
	memcpy(u->name, name, len);
	u->namelen = len;
	u->auth = usm_cred_auth(cred);
	u->priv = usm_cred_priv(cred);
	u->order = tp->nusers;
	u->learn.tokens = SNMPMGR_MAX_TRAP_ENGINE_BURST;
	if (n > 0) {
		if ((u->engines = calloc(n, sizeof(*u->engines))) == NULL ||
		    (u->englens = calloc(n, sizeof(*u->englens))) == NULL)
			goto fail;
		for (i = 0; i < n; i++) {
			memcpy(u->engines[i], engines[i], lens[i]);
			u->englens[i] = lens[i];
		}
		u->nengines = n;
	}
	u->cred = usm_cred_ref(cred);
	tp->nusers++;
	tp->sorted = false;
	return 0;
 fail:
	free(u->engines);
	free(u->englens);
 nomem:
	snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
	return -1;
}

void
trapproc_set_engine(struct trapproc *tp, const uint8_t *id, size_t len,
    uint32_t boots, int64_t now)
{
	if (len > SNMPMGR_MAX_ENGINE_ID_LEN)
		len = 0;
	memcpy(tp->engine_id, id, len);
	tp->engine_id_len = len;
	tp->boots = boots;
	tp->boot_now = now;
}

void
trapproc_set_auto_ack(struct trapproc *tp, bool on)
{
	tp->auto_ack = on;
}

void
trapproc_set_ack_room(struct trapproc *tp, bool room)
{
	tp->ack_room = room;
}

bool
tp_inform_no_room(struct trapproc *tp, struct trapproc_out *out)
{
	if (!tp->auto_ack || tp->ack_room)
		return false;
	tp_reject(tp, out, TRAPPROC_ACK_QUEUE_FULL, "InformRequest not "
	    "recorded: %u acknowledgements wait for the journal already",
	    (unsigned)SNMPMGR_MAX_TRAP_ACKS);
	return true;
}

void
trapproc_swap_access(struct trapproc *tp, struct trapproc *other)
{
	char		**comm = tp->communities;
	size_t		 *commlens = tp->commlens, ncomm = tp->ncommunities;
	struct tp_user	 *users = tp->users;
	size_t		  nusers = tp->nusers, i, k;
	bool		  sorted = tp->sorted;

	tp->communities = other->communities;
	tp->commlens = other->commlens;
	tp->ncommunities = other->ncommunities;
	tp->users = other->users;
	tp->nusers = other->nusers;
	tp->sorted = other->sorted;
	other->communities = comm;
	other->commlens = commlens;
	other->ncommunities = ncomm;
	other->users = users;
	other->nusers = nusers;
	other->sorted = sorted;
	/* Keys localized from a credential tp no longer has go now. */
	for (i = 0; i < other->nusers; i++) {
		for (k = 0; k < tp->nusers; k++)
			if (tp->users[k].cred == other->users[i].cred)
				break;
		if (k == tp->nusers) {
			usm_cache_forget(tp->keys, other->users[i].cred);
			tp_engines_forget(tp, other->users[i].cred);
		}
	}
}

void
trapproc_get_stats(const struct trapproc *tp, struct trapproc_stats *st)
{
	*st = tp->st;
	st->engines = tp->nengines;
	usm_cache_stats(tp->keys, &st->localizations, &st->key_cache_hits);
	st->key_cache_hits += tp->engine_key_hits;
}

/* ------------------------------------------------------------ tables */

static int
tp_user_cmp(const void *a, const void *b)
{
	const struct tp_user	*x = a, *y = b;
	int			 c;

	if (x->namelen != y->namelen)
		return x->namelen < y->namelen ? -1 : 1;
	if ((c = memcmp(x->name, y->name, x->namelen)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The users named name: *first and how many. */
static size_t
tp_users_find(struct trapproc *tp, const uint8_t *name, size_t len,
    size_t *first)
{
	size_t	 lo = 0, hi = tp->nusers, mid, n;
	int	 c;

	if (!tp->sorted) {
		qsort(tp->users, tp->nusers, sizeof(*tp->users), tp_user_cmp);
		tp->sorted = true;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tp->users[mid].namelen != len)
			c = tp->users[mid].namelen < len ? -1 : 1;
		else
			c = memcmp(tp->users[mid].name, name, len);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < tp->nusers && tp->users[lo + n].namelen == len &&
	    memcmp(tp->users[lo + n].name, name, len) == 0; n++)
		;
	*first = lo;
	return n;
}

static bool
tp_user_engine_ok(const struct tp_user *u, const uint8_t *id, size_t len)
{
	size_t	 i;

	if (u->nengines == 0)
		return true;
	for (i = 0; i < u->nengines; i++)
		if (u->englens[i] == len && memcmp(u->engines[i], id, len) == 0)
			return true;
	return false;
}

/* FNV-1a over the engine ID. */
static uint32_t
tp_hash(const uint8_t *p, size_t n)
{
	uint32_t	 h = 2166136261U;

	while (n-- > 0) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

static void
tp_engine_unhash(struct trapproc *tp, struct tp_engine *e)
{
	struct tp_engine	**pp;

	for (pp = &tp->ehash[e->hash & (tp->ehsize - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			return;
		}
}

/* Refill k for the seconds since it last was (none when the clock went
 * back); then, when take, take a token: whether there was one.  Without
 * take: whether k is full (forgetting it would lose nothing). */
static bool
tp_bucket(struct tp_bucket *k, int64_t now, uint32_t rate, uint32_t burst,
    bool take)
{
	if (now > k->last) {
		k->tokens = now - k->last >= burst ? burst : MIN(burst,
		    k->tokens + (uint32_t)(now - k->last) * rate);
		k->last = now;
	}
	if (!take || k->tokens == 0)
		return !take && k->tokens >= burst;
	k->tokens--;
	return true;
}

/* Twice the buckets, while fewer than the entries; -1 when out of
 * memory (the chains just grow longer). */
static int
tp_engine_grow(struct trapproc *tp)
{
	struct tp_engine	**nh, *e;
	size_t			 n = tp->ehsize * 2;

	if ((nh = calloc(n, sizeof(*nh))) == NULL)
		return -1;
	TAILQ_FOREACH(e, &tp->elru, lru) {
		e->hnext = nh[e->hash & (n - 1)];
		nh[e->hash & (n - 1)] = e;
	}
	free(tp->ehash);
	tp->ehash = nh;
	tp->ehsize = n;
	return 0;
}

/* The sender engine's entry, or NULL; nothing changes. */
static struct tp_engine *
tp_engine_find(const struct trapproc *tp, const uint8_t *id, size_t len)
{
	struct tp_engine	*e;
	uint32_t		 h = tp_hash(id, len);

	for (e = tp->ehash[h & (tp->ehsize - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->len == len &&
		    memcmp(e->id, id, len) == 0)
			return e;
	return NULL;
}

/*
 * e seen now: the LRU list is kept in the order of `seen`, which counts
 * seconds, so an entry moves to its tail only when its second changes
 * (at most once a second, not per message: at high rates from many
 * engines each move touched two cold neighbours).
 */
static struct tp_engine *
tp_engine_seen(struct trapproc *tp, struct tp_engine *e, int64_t now)
{
	if (now > e->seen) {
		TAILQ_REMOVE(&tp->elru, e, lru);
		TAILQ_INSERT_TAIL(&tp->elru, e, lru);
		e->seen = now;
	}
	return e;
}

/* Drop the keys of credential c that engine entries hold. */
static void
tp_engines_forget(struct trapproc *tp, const struct usm_cred *c)
{
	struct tp_engine	*e;
	uint64_t		 id = usm_cred_id(c);

	TAILQ_FOREACH(e, &tp->elru, lru)
		if (e->user != NULL && e->cred_id == id) {
			usm_user_free(e->user);
			e->user = NULL;
		}
}

/*
 * The sender engine's entry (found: what tp_engine_find gave, if it was
 * called), or a new one if the user's bucket `learn` has a token and the
 * table room: an entry may be evicted, but never one seen within the
 * time window (RFC 3414 3.2 step 7b: nothing else would refuse its
 * replays).  NULL with *r when not.
 */
static struct tp_engine *
tp_engine_get(struct trapproc *tp, struct tp_engine *found,
    const uint8_t *id, size_t len, int64_t now, struct tp_bucket *learn,
    enum trapproc_reason *r)
{
	struct tp_engine	*e;
	uint32_t		 h;
	size_t			 b;

	if (found != NULL || (found = tp_engine_find(tp, id, len)) != NULL)
		return tp_engine_seen(tp, found, now);
	h = tp_hash(id, len);
	*r = TRAPPROC_ENGINE_TABLE_FULL;
	e = TAILQ_FIRST(&tp->elru);
	if (tp->nengines >= tp->maxengines && (e == NULL ||
	    now - e->seen <= USM_TIME_WINDOW))
		return NULL;
	*r = TRAPPROC_ENGINE_RATE_LIMITED;
	if (!tp_bucket(learn, now, SNMPMGR_MAX_TRAP_ENGINE_RATE,
	    SNMPMGR_MAX_TRAP_ENGINE_BURST, true))
		return NULL;
	*r = TRAPPROC_MALFORMED;
	if (tp->nengines >= tp->maxengines) {
		TAILQ_REMOVE(&tp->elru, e, lru);
		tp_engine_unhash(tp, e);
		tp->nengines--;
		tp->st.engines_evicted++;
		usm_user_free(e->user);
		memset(e, 0, sizeof(*e));
	} else {
		/* Out of memory to grow: longer chains, still right. */
		if (tp->nengines >= tp->ehsize)
			(void)tp_engine_grow(tp);
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return NULL;
	}
	b = h & (tp->ehsize - 1);
	e->hash = h;
	e->len = len;
	e->seen = now;
	memcpy(e->id, id, len);
	e->hnext = tp->ehash[b];
	tp->ehash[b] = e;
	TAILQ_INSERT_TAIL(&tp->elru, e, lru);
	tp->nengines++;
	return e;
}

/*
 * Whether a Report may go to the datagram's source: a token from the
 * bucket of its prefix (key: 4 and the /24, 6 and the /64, an IPv4-mapped
 * address as IPv4).  A prefix new to the table takes a slot of its set
 * that is free or full; when all are draining the Report is not sent, so
 * cycling through prefixes resets no bucket.
 */
static bool
tp_report_allowed(struct trapproc *tp, int64_t now)
{
	const struct sockaddr_in6 *sin6 = (const void *)tp->from;
	const uint8_t		*a = NULL;
	struct tp_prefix	*set, *slot = NULL;
	uint8_t			 key[TP_PREFIX_KEY] = { 0 };
	size_t			 i;

	if (tp->from != NULL && tp->from->sa_family == AF_INET)
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)tp->from)->sin_addr;
	else if (tp->from != NULL && tp->from->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		a = sin6->sin6_addr.s6_addr + 12;
	else if (tp->from != NULL && tp->from->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, sin6->sin6_addr.s6_addr, 8);
	}
	if (a != NULL) {
		key[0] = 4;
		memcpy(key + 1, a, 3);
	}
	set = &tp->prefixes[(tp_hash(key, sizeof(key)) &
	    (tp->nprefixsets - 1)) * TP_PREFIX_WAYS];
	for (i = 0; i < TP_PREFIX_WAYS && slot == NULL; i++)
		if (set[i].used && memcmp(set[i].key, key, sizeof(key)) == 0)
			slot = &set[i];
	for (i = 0; i < TP_PREFIX_WAYS && slot == NULL; i++)
		if (!set[i].used || tp_bucket(&set[i].reports, now,
		    SNMPMGR_MAX_TRAP_REPORT_RATE,
		    SNMPMGR_MAX_TRAP_REPORT_BURST, false)) {
			slot = &set[i];
			slot->used = true;
			memcpy(slot->key, key, sizeof(key));
			slot->reports.tokens = SNMPMGR_MAX_TRAP_REPORT_BURST;
			slot->reports.last = now;
		}
	return slot != NULL && tp_bucket(&slot->reports, now,
	    SNMPMGR_MAX_TRAP_REPORT_RATE, SNMPMGR_MAX_TRAP_REPORT_BURST, true);
}

/* Our snmpEngineTime: seconds since boots last changed. */
static uint32_t
tp_our_time(const struct trapproc *tp, int64_t now)
{
	int64_t	 t = now - tp->boot_now;

	if (t < 0)
		t = 0;
	if (t > (int64_t)USM_MAX_BOOTS)
		t = USM_MAX_BOOTS;
	return (uint32_t)t;
}

/* ------------------------------------------------------------ verdicts */

void
tp_reject(struct trapproc *tp, struct trapproc_out *out,
    enum trapproc_reason r, const char *fmt, ...)
{
	va_list	 ap;

	tp->st.rejected[r]++;
	out->verdict = TRAPPROC_REJECT;
	out->reason = r;
	out->error = reason_errors[r];
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ v1, v2c */

static bool
tp_community_ok(const struct trapproc *tp, const struct snmp_msg *msg)
{
	size_t	 i;

	for (i = 0; i < tp->ncommunities; i++)
		if (tp->commlens[i] == msg->community_len &&
		    memcmp(tp->communities[i], msg->community,
		    msg->community_len) == 0)
			return true;
	return false;
}

/* RFC 3416 4.2.7: the Response to an inform; tooBig without varbinds if
 * it does not fit. */
static void
tp_v2c_ack(struct trapproc *tp, const struct snmp_msg *msg,
    struct trapproc_out *out)
{
	struct snmp_msg	 r;
	const uint8_t	*p;
	ssize_t		 n;

	r = *msg;
	r.pdu.type = SNMP_PDU_RESPONSE;
	r.pdu.error_status = SNMP_ERR_NOERROR;
	r.pdu.error_index = 0;
	/* The varbinds go back as they came, not decoded again. */
	if ((n = snmp_msg_encode_vbl(&r, &msg->pdu.vblist, tp->reply,
	    SNMPMGR_MAX_MSG_SIZE, &p)) == -1) {
		r.pdu.error_status = SNMP_ERR_TOOBIG;
		r.pdu.nvb = 0;
		if ((n = snmp_msg_encode(&r, tp->reply, SNMPMGR_MAX_MSG_SIZE,
		    &p)) == -1)
			return;
	}
	out->reply = p;
	out->replylen = (size_t)n;
}

static void
tp_community(struct trapproc *tp, struct snmp_msg *msg,
    const struct sockaddr *from, const char *timestr, const char *listener,
    struct trapproc_out *out)
{
	struct snmp_pdu	*pdu = &msg->pdu;
	struct render_buf *b = &tp->rec;
	struct tp_notif	 notif;
	bool		 v1 = msg->version == SNMP_V1, inform;

	if (!tp_community_ok(tp, msg)) {
		/* The community is a secret: say how long, not what. */
		tp_reject(tp, out, TRAPPROC_BAD_COMMUNITY, "SNMPv%s "
		    "community of %zu octets not accepted", v1 ? "1" : "2c",
		    msg->community_len);
		return;
	}
	if (v1 ? pdu->type != SNMP_PDU_TRAP_V1 : (pdu->type != SNMP_PDU_TRAP &&
	    pdu->type != SNMP_PDU_INFORM)) {
		tp_reject(tp, out, TRAPPROC_UNEXPECTED_PDU, "%s PDU on the "
		    "trap port", snmp_pdu_type_name(pdu->type) ?
		    snmp_pdu_type_name(pdu->type) : "unknown");
		return;
	}
	inform = pdu->type == SNMP_PDU_INFORM;
	if (v1) {
		notif.ber = NULL;
		if (trapproc_v1_trap_oid(pdu, &notif.oid) == -1) {
			tp_reject(tp, out, TRAPPROC_MALFORMED, "Trap-PDU with "
			    "generic-trap %d, specific-trap %d",
			    pdu->generic_trap, pdu->specific_trap);
			return;
		}
		notif.uptime = pdu->time_stamp;
	} else if (tp_notif_v2(pdu, &notif) == -1) {
		tp_reject(tp, out, TRAPPROC_MALFORMED, "%s without "
		    "snmpTrapOID.0", inform ? "InformRequest" : "SNMPv2-Trap");
		return;
	}
	if (inform && tp_inform_no_room(tp, out))
		return;
	tp_rec_begin(tp, timestr, inform, from, listener, v1 ? "1" : "2c");
	tp_text_field(b, "community", msg->community, msg->community_len);
	notif.who = tp_key_hash(v1 ? 1 : 2, msg->community,
	    msg->community_len);
	if (v1) {
		char	 addr[INET_ADDRSTRLEN];

		render_adds(b, ",\"enterprise\":");
		render_oid_cached(b, tp->oids, &pdu->enterprise);
		transport_ip_str(AF_INET, pdu->agent_addr, addr,
		    sizeof(addr));
		render_adds(b, ",\"agent_addr\":\"");
		render_adds(b, addr);
		render_adds(b, "\",\"generic_trap\":");
		render_i64(b, pdu->generic_trap);
		render_adds(b, ",\"specific_trap\":");
		render_i64(b, pdu->specific_trap);
	}
	if (tp_rec_end(tp, out, !v1, pdu->request_id, &notif, pdu) == -1)
		return;
	out->inform = inform;
	if (inform) {
		tp->st.informs++;
		if (tp->auto_ack)
			tp_v2c_ack(tp, msg, out);
	} else
		tp->st.traps++;
	if (v1)
		tp->st.v1++;
	else
		tp->st.v2c++;
}

/* ------------------------------------------------------------ v3 */

ssize_t
trapproc_v3_encode(const struct trapproc_local *me, struct usm_user *u,
    bool priv, int32_t msg_id, const uint8_t *user, size_t userlen,
    const uint8_t *cengine, size_t cenginelen, const uint8_t *cname,
    size_t cnamelen, const struct snmp_pdu *pdu, const struct snmp_vbl *vbl,
    size_t maxlen, uint8_t *s1, uint8_t *s2, uint8_t *out,
    const uint8_t **start)
{
	struct snmp_msg		 m;
	struct usm_secparams	 sp;
	struct ber_wr		 w;
	uint8_t			 spbuf[256], salt[USM_PRIV_PARAMS_LEN];
	const uint8_t		*scoped, *spp, *data;
	ssize_t			 slen, splen, mlen;
	size_t			 dlen, clen, auth_off, sec_off;

	if (priv && u == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL, "privacy without "
		    "authentication");
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.version = SNMP_V3;
	m.msg_id = msg_id;
	m.msg_max_size = SNMPMGR_MAX_MSG_SIZE;
	m.msg_flags = (u != NULL ? SNMP_MSGFLAG_AUTH : 0) |
	    (priv ? SNMP_MSGFLAG_PRIV : 0);
	/* RFC 3412 6.4: confirmed-class PDUs ask for reports. */
	if (pdu->type == SNMP_PDU_INFORM || pdu->type == SNMP_PDU_GET ||
	    pdu->type == SNMP_PDU_GETNEXT || pdu->type == SNMP_PDU_GETBULK ||
	    pdu->type == SNMP_PDU_SET)
		m.msg_flags |= SNMP_MSGFLAG_REPORT;
	m.msg_security_model = SNMP_SECMODEL_USM;
	m.context_engine_id = cengine;
	m.context_engine_id_len = cenginelen;
	m.context_name = cname;
	m.context_name_len = cnamelen;
	m.pdu = *pdu;
	if ((slen = snmp_scoped_pdu_encode_vbl(&m, vbl, s1, SNMPMGR_MAX_DGRAM,
	    &scoped)) == -1)
		return -1;
	data = scoped;
	dlen = (size_t)slen;
	if (priv) {
		/* RFC 3414 8.1.1.1 / RFC 3826 3.1.2.1 with our boots and
		 * time; the encryptedPDU is an OCTET STRING. */
		clen = SNMPMGR_MAX_DGRAM;
		if (usm_encrypt(u, me->boots, me->time, scoped, dlen, s2,
		    &clen, salt) == -1)
			return -1;
		ber_wr_init(&w, s1, SNMPMGR_MAX_DGRAM);
		if (ber_wr_octets(&w, BER_TAG_OCTETS, s2, clen, NULL) == -1)
			return -1;
		data = ber_wr_data(&w);
		dlen = ber_wr_len(&w);
	}
	memset(&sp, 0, sizeof(sp));
	sp.engine_id = me->engine_id;
	sp.engine_id_len = me->engine_id_len;
	sp.boots = me->boots;
	sp.time = me->time;
	sp.user = user;
	sp.user_len = userlen;
	sp.auth_len = u != NULL ? usm_user_mac_len(u) : 0;
	sp.priv = priv ? salt : NULL;
	sp.priv_len = priv ? sizeof(salt) : 0;
	if ((splen = usm_secparams_encode(&sp, spbuf, sizeof(spbuf), &spp,
	    &auth_off)) == -1)
		return -1;
	if ((mlen = snmp_msg_encode_v3_off(&m, spp, (size_t)splen, data, dlen,
	    out, SNMPMGR_MAX_DGRAM, start, &sec_off)) == -1)
		return -1;
	if ((size_t)mlen > maxlen) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, "message of %zd "
		    "octets, the receiver takes %zu", mlen, maxlen);
		return -1;
	}
	/* RFC 3414 6.3.1 / 7.3.1: the digest over the whole message. */
	if (u != NULL && usm_auth_sign(u, out + (*start - out), (size_t)mlen,
	    sec_off + auth_off) == -1)
		return -1;
	return mlen;
}

/* Ours, now. */
static void
tp_local(const struct trapproc *tp, int64_t now, struct trapproc_local *me)
{
	me->engine_id = tp->engine_id;
	me->engine_id_len = tp->engine_id_len;
	me->boots = tp->boots;
	me->time = tp_our_time(tp, now);
}

static ssize_t
tp_v3_encode(struct trapproc *tp, struct usm_user *u, bool priv,
    int32_t msg_id, const uint8_t *user, size_t userlen,
    const uint8_t *cengine, size_t cenginelen, const uint8_t *cname,
    size_t cnamelen, const struct snmp_pdu *pdu, const struct snmp_vbl *vbl,
    size_t maxlen, int64_t now, const uint8_t **out)
{
	struct trapproc_local	 me;

	tp_local(tp, now, &me);
	return trapproc_v3_encode(&me, u, priv, msg_id, user, userlen,
	    cengine, cenginelen, cname, cnamelen, pdu, vbl, maxlen, tp->enc,
	    tp->enc2, tp->reply, out);
}

/*
 * RFC 3412 7.1 step 3 / RFC 3414 3.2: a Report carrying one usmStats
 * counter, from our engine, in the default context.  u NULL:
 * noAuthNoPriv; else authNoPriv with u (notInTimeWindow).  Returns false
 * when the source's prefix may have no more Reports for now (counted).
 */
static bool
tp_report(struct trapproc *tp, const struct snmp_msg *msg, bool have_reqid,
    const uint8_t *user, size_t userlen, struct usm_user *u,
    enum tp_usmstat which, uint64_t value, int64_t now,
    struct trapproc_out *out)
{
	static const uint32_t	 usmstats[] = { 1, 3, 6, 1, 6, 3, 15, 1, 1 };
	struct snmp_varbind	 vb;
	struct snmp_pdu		 pdu;
	const uint8_t		*p;
	ssize_t			 n;
	size_t			 i;

	if (tp->engine_id_len == 0)
		return true;
	if (!tp_report_allowed(tp, now)) {
		tp->st.reports_rate_limited++;
		return false;
	}
	memset(&vb, 0, sizeof(vb));
	for (i = 0; i < sizeof(usmstats) / sizeof(usmstats[0]); i++)
		vb.name.arcs[i] = usmstats[i];
	vb.name.arcs[i++] = which;
	vb.name.arcs[i++] = 0;
	vb.name.len = (uint32_t)i;
	vb.value.type = SNMP_T_COUNTER32;
	vb.value.u = value & 0xffffffffU;
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_REPORT;
	pdu.request_id = have_reqid ? msg->pdu.request_id : 0;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	if (userlen > SNMPMGR_MAX_USER_LEN)
		userlen = 0;
	if ((n = tp_v3_encode(tp, u, false, msg->msg_id, user, userlen,
	    tp->engine_id, tp->engine_id_len, NULL, 0, &pdu, NULL,
	    (size_t)msg->msg_max_size, now, &p)) == -1)
		return true;
	out->reply = p;
	out->replylen = (size_t)n;
	tp->st.reports++;
	return true;
}

static const char *
tp_level_name(uint8_t flags)
{
	if (flags & SNMP_MSGFLAG_PRIV)
		return "authPriv";
	if (flags & SNMP_MSGFLAG_AUTH)
		return "authNoPriv";
	return "noAuthNoPriv";
}

/*
 * RFC 3414 3.2 step 5: whether user u supports the message's level, i.e.
 * has the protocols it needs.  A lower level is supported (a sender's
 * time synchronization probe is authNoPriv), but only traps and informs
 * at the user's own level are accepted (tp_level_full).
 */
static bool
tp_level_ok(const struct tp_user *u, uint8_t flags)
{
	if ((flags & SNMP_MSGFLAG_AUTH) && u->auth == USM_AUTH_NONE)
		return false;
	if ((flags & SNMP_MSGFLAG_PRIV) && u->priv == USM_PRIV_NONE)
		return false;
	return true;
}

static bool
tp_level_full(const struct tp_user *u, uint8_t flags)
{
	return ((flags & SNMP_MSGFLAG_AUTH) != 0) ==
	    (u->auth != USM_AUTH_NONE) &&
	    ((flags & SNMP_MSGFLAG_PRIV) != 0) == (u->priv != USM_PRIV_NONE);
}

/* A rejection that a reportable message also gets a Report for. */
static void
tp_v3_fail(struct trapproc *tp, const struct snmp_msg *msg, bool have_reqid,
    const struct usm_secparams *sp, enum trapproc_reason r, int64_t now,
    struct trapproc_out *out, const char *detail)
{
	enum tp_usmstat	 which;

	tp_reject(tp, out, r, "%s", detail);
	if ((msg->msg_flags & SNMP_MSGFLAG_REPORT) == 0)
		return;
	switch (r) {
	case TRAPPROC_UNKNOWN_USER:
		which = TP_STAT_UNKNOWN_USER_NAMES;
		break;
	case TRAPPROC_WRONG_DIGEST:
		which = TP_STAT_WRONG_DIGESTS;
		break;
	case TRAPPROC_DECRYPTION_ERROR:
		which = TP_STAT_DECRYPTION_ERRORS;
		break;
	case TRAPPROC_UNSUPPORTED_SEC_LEVEL:
		which = TP_STAT_UNSUPPORTED_SEC_LEVELS;
		break;
	case TRAPPROC_UNKNOWN_ENGINE:
		which = TP_STAT_UNKNOWN_ENGINE_IDS;
		break;
	default:
		return;
	}
	(void)tp_report(tp, msg, have_reqid, sp->user, sp->user_len, NULL,
	    which, tp->st.rejected[r] + (r == TRAPPROC_UNKNOWN_ENGINE ?
	    tp->st.discoveries : 0), now, out);
	if (out->reply != NULL)
		out->verdict = TRAPPROC_REPORT;
}

static void
tp_v3(struct trapproc *tp, const uint8_t *buf, size_t len,
    struct snmp_msg *msg, const struct sockaddr *from, const char *timestr,
    const char *listener, int64_t now, struct trapproc_out *out)
{
	struct usm_secparams	 sp;
	struct ber		 ber, seq;
	struct render_buf	*b = &tp->rec;
	struct tp_user		*tu = NULL, *cand;
	struct usm_user		*u = NULL;
	struct tp_engine	*e, *known;
	struct tp_notif		 notif;
	const uint8_t		*p, *keyeng;
	enum trapproc_reason	 why = TRAPPROC_UNKNOWN_USER;
	char			 detail[160];
	ssize_t			 n;
	size_t			 first, nu, i, keyenglen, declen = 0, englen;
	uint8_t			 flags = msg->msg_flags;
	bool			 auth = flags & SNMP_MSGFLAG_AUTH;
	bool			 priv = flags & SNMP_MSGFLAG_PRIV;
	bool			 reportable = flags & SNMP_MSGFLAG_REPORT;
	bool			 authoritative, have_reqid = !priv, inform;

	/* RFC 3412 7.2 step 4: only USM here. */
	if (msg->msg_security_model != SNMP_SECMODEL_USM) {
		tp_reject(tp, out, TRAPPROC_UNSUPPORTED_SEC_MODEL,
		    "msgSecurityModel %d", msg->msg_security_model);
		return;
	}
	/* Step 5: privacy without authentication is invalid. */
	if (priv && !auth) {
		tp_reject(tp, out, TRAPPROC_MALFORMED, "msgFlags ask for "
		    "privacy without authentication");
		return;
	}
	/* RFC 3411 5: SnmpEngineID (SIZE(5..32)), empty for discovery;
	 * looked at first, as decoding refuses some lengths as malformed. */
	ber_init(&ber, msg->sec_params, msg->sec_params_len);
	if (ber_enter(&ber, BER_TAG_SEQUENCE, &seq) == 0 &&
	    ber_read_octets(&seq, BER_TAG_OCTETS, &p, &englen) == 0 &&
	    englen != 0 && (englen < SNMPMGR_MIN_ENGINE_ID_LEN ||
	    englen > SNMPMGR_MAX_ENGINE_ID_LEN)) {
		tp_reject(tp, out, TRAPPROC_BAD_ENGINE_ID,
		    "msgAuthoritativeEngineID of %zu octets, not %d to %d",
		    englen, SNMPMGR_MIN_ENGINE_ID_LEN,
		    SNMPMGR_MAX_ENGINE_ID_LEN);
		return;
	}
	if (usm_secparams_decode(msg->sec_params, msg->sec_params_len,
	    &sp) == -1) {
		tp_reject(tp, out, TRAPPROC_MALFORMED, "%s",
		    snmpmgr_lasterr_detail());
		return;
	}
	if (priv != (msg->encrypted != NULL)) {
		tp_reject(tp, out, TRAPPROC_MALFORMED, "msgFlags %s privacy "
		    "but msgData is %s", priv ? "ask for" : "do not ask for",
		    priv ? "plaintext" : "encrypted");
		return;
	}

	/* RFC 3414 4: discovery, an empty authoritative engine ID. */
	if (sp.engine_id_len == 0) {
		if (!reportable || tp->engine_id_len == 0) {
			tp_reject(tp, out, TRAPPROC_UNKNOWN_ENGINE, "empty "
			    "engine ID%s", reportable ? " and we have none" :
			    " in an unreportable message");
			return;
		}
		if (!tp_report(tp, msg, have_reqid, sp.user, sp.user_len,
		    NULL, TP_STAT_UNKNOWN_ENGINE_IDS, tp->st.discoveries + 1 +
		    tp->st.rejected[TRAPPROC_UNKNOWN_ENGINE], now, out)) {
			tp_reject(tp, out, TRAPPROC_DISCOVERY_RATE_LIMITED,
			    "discovery probe unanswered: too many Reports "
			    "to its source prefix");
			return;
		}
		tp->st.discoveries++;
		out->verdict = TRAPPROC_REPORT;
		out->discovery = true;
		return;
	}
	authoritative = tp->engine_id_len > 0 &&
	    sp.engine_id_len == tp->engine_id_len &&
	    memcmp(sp.engine_id, tp->engine_id, tp->engine_id_len) == 0;
	/*
	 * A confirmed-class message (reportable: an inform) for an engine
	 * that is not ours: RFC 3414 3.2 step 3, tell the sender our ID.
	 */
	if (!authoritative && reportable) {
		tp_v3_fail(tp, msg, have_reqid, &sp, TRAPPROC_UNKNOWN_ENGINE,
		    now, out, "a reportable message for another engine");
		return;
	}
	keyeng = authoritative ? tp->engine_id : sp.engine_id;
	keyenglen = authoritative ? tp->engine_id_len : sp.engine_id_len;

	/* Step 4: the user; steps 5-8 for each credential of that name. */
	if ((nu = tp_users_find(tp, sp.user, sp.user_len, &first)) == 0) {
		snprintf(detail, sizeof(detail), "unknown user (%zu octets)",
		    sp.user_len);
		tp_v3_fail(tp, msg, have_reqid, &sp, TRAPPROC_UNKNOWN_USER,
		    now, out, detail);
		return;
	}
	detail[0] = '\0';		/* said once a credential fails */
	for (i = 0; i < nu && tu == NULL; i++) {
		cand = &tp->users[first + i];
		if (!tp_level_ok(cand, flags)) {
			why = TRAPPROC_UNSUPPORTED_SEC_LEVEL;
			snprintf(detail, sizeof(detail), "%s from user %s, "
			    "configured for %s", tp_level_name(flags),
			    cand->name, cand->priv != USM_PRIV_NONE ?
			    "authPriv" : cand->auth != USM_AUTH_NONE ?
			    "authNoPriv" : "noAuthNoPriv");
			continue;
		}
		if (!authoritative && !tp_user_engine_ok(cand, sp.engine_id,
		    sp.engine_id_len)) {
			why = TRAPPROC_UNKNOWN_ENGINE;
			snprintf(detail, sizeof(detail), "engine not allowed "
			    "for user %s", cand->name);
			continue;
		}
		if (!auth) {
			tu = cand;
			break;
		}
		/* A sender engine we track keeps the keys it was last
		 * checked with. */
		known = authoritative ? NULL : tp_engine_find(tp,
		    sp.engine_id, sp.engine_id_len);
		if (known != NULL && known->user != NULL &&
		    known->cred_id == usm_cred_id(cand->cred)) {
			u = usm_user_ref(known->user);
			tp->engine_key_hits++;
		} else if ((u = usm_cache_get(tp->keys, cand->cred, keyeng,
		    keyenglen)) == NULL) {
			why = TRAPPROC_UNKNOWN_ENGINE;
			snprintf(detail, sizeof(detail), "%s",
			    snmpmgr_lasterr_detail());
			continue;
		}
		/* Step 6. */
		if (sp.auth < buf || sp.auth + sp.auth_len > buf + len ||
		    usm_auth_verify(u, buf, len, (size_t)(sp.auth - buf),
		    sp.auth_len) == -1) {
			why = TRAPPROC_WRONG_DIGEST;
			snprintf(detail, sizeof(detail), "wrong digest from "
			    "user %s", cand->name);
			goto next;
		}
		/* Step 7. */
		if (authoritative) {
			if (usm_time_check_local(tp->boots, tp_our_time(tp,
			    now), sp.boots, sp.time) == -1) {
				tp_reject(tp, out, TRAPPROC_NOT_IN_TIME_WINDOW,
				    "%s", snmpmgr_lasterr_detail());
				if (reportable)
					(void)tp_report(tp, msg, have_reqid,
					    sp.user, sp.user_len, u,
					    TP_STAT_NOT_IN_TIME_WINDOWS,
					    tp->st.rejected[
					    TRAPPROC_NOT_IN_TIME_WINDOW],
					    now, out);
				if (out->reply != NULL)
					out->verdict = TRAPPROC_REPORT;
				usm_user_free(u);
				return;
			}
		} else {
			if ((e = tp_engine_get(tp, known, sp.engine_id,
			    sp.engine_id_len, now, &cand->learn,
			    &why)) == NULL) {
				usm_user_free(u);
				/* The reason says which bound. */
				tp_reject(tp, out, why, "%s", why ==
				    TRAPPROC_MALFORMED ? "out of memory" :
				    "a new sender engine, not learnt");
				return;
			}
			if (usm_time_check(&e->t, sp.boots, sp.time,
			    now) == -1) {
				usm_user_free(u);
				tp_reject(tp, out, TRAPPROC_NOT_IN_TIME_WINDOW,
				    "%s", snmpmgr_lasterr_detail());
				return;
			}
			if (e->user != u) {
				usm_user_free(e->user);
				e->user = usm_user_ref(u);
				e->cred_id = usm_cred_id(cand->cred);
			}
		}
		/* Step 8. */
		if (priv) {
			declen = SNMPMGR_MAX_DGRAM;
			if (msg->encrypted_len > SNMPMGR_MAX_DGRAM ||
			    usm_decrypt(u, sp.boots, sp.time, sp.priv,
			    sp.priv_len, msg->encrypted, msg->encrypted_len,
			    tp->dec, &declen) == -1 ||
			    snmp_scoped_pdu_decode_raw(tp->dec, declen,
			    msg, msg->pdu.raw) == -1) {
				if (snmpmgr_lasterr() ==
				    SNMPMGR_ERR_TOO_MANY_OBJECTS ||
				    snmpmgr_lasterr() == SNMPMGR_ERR_PDU_TYPE) {
					usm_user_free(u);
					tp_reject(tp, out, snmpmgr_lasterr() ==
					    SNMPMGR_ERR_PDU_TYPE ?
					    TRAPPROC_UNEXPECTED_PDU :
					    TRAPPROC_MALFORMED, "%s",
					    snmpmgr_lasterr_detail());
					return;
				}
				why = TRAPPROC_DECRYPTION_ERROR;
				snprintf(detail, sizeof(detail), "cannot "
				    "decrypt for user %s: %s", cand->name,
				    snmpmgr_lasterr_detail());
				goto next;
			}
			have_reqid = true;
		}
		tu = cand;
		break;
 next:
		usm_user_free(u);
		u = NULL;
	}
	if (tu == NULL) {
		if (detail[0] == '\0')
			snprintf(detail, sizeof(detail), "no credential of "
			    "user %.*s fits", (int)sp.user_len,
			    (const char *)sp.user);
		tp_v3_fail(tp, msg, have_reqid, &sp, why, now, out, detail);
		return;
	}

	if (!tp_level_full(tu, flags)) {
		tp_reject(tp, out, TRAPPROC_UNSUPPORTED_SEC_LEVEL, "%s from "
		    "user %s, configured for %s", tp_level_name(flags),
		    tu->name, tu->priv != USM_PRIV_NONE ? "authPriv" :
		    "authNoPriv");
		goto done;
	}
	inform = msg->pdu.type == SNMP_PDU_INFORM;
	if (msg->pdu.type != SNMP_PDU_TRAP && !inform) {
		tp_reject(tp, out, TRAPPROC_UNEXPECTED_PDU, "%s PDU on the "
		    "trap port", snmp_pdu_type_name(msg->pdu.type) ?
		    snmp_pdu_type_name(msg->pdu.type) : "unknown");
		goto done;
	}
	if (inform && !authoritative) {
		tp_reject(tp, out, TRAPPROC_UNKNOWN_ENGINE, "InformRequest "
		    "for another engine");
		goto done;
	}
	if (tp_notif_v2(&msg->pdu, &notif) == -1) {
		tp_reject(tp, out, TRAPPROC_MALFORMED, "%s without "
		    "snmpTrapOID.0", inform ? "InformRequest" : "SNMPv2-Trap");
		goto done;
	}
	if (inform && tp_inform_no_room(tp, out))
		goto done;
	tp_rec_begin(tp, timestr, inform, from, listener, "3");
	render_adds(b, ",\"user\":");
	render_json_str(b, tu->name, tu->namelen);
	render_adds(b, ",\"security_level\":\"");
	render_adds(b, tp_level_name(flags));
	render_adds(b, "\",\"engine_id\":");
	tp_hex(b, sp.engine_id, sp.engine_id_len);
	render_adds(b, ",\"engine_boots\":");
	render_u64(b, sp.boots);
	render_adds(b, ",\"engine_time\":");
	render_u64(b, sp.time);
	render_adds(b, ",\"context_engine_id\":");
	tp_hex(b, msg->context_engine_id, msg->context_engine_id_len);
	tp_text_field(b, "context_name", msg->context_name,
	    msg->context_name_len);
	render_adds(b, ",\"msg_id\":");
	render_i64(b, msg->msg_id);
	notif.who = tp_key_hash(tp_key_hash(tp_key_hash(3 + flags,
	    (const uint8_t *)tu->name, tu->namelen), msg->context_engine_id,
	    msg->context_engine_id_len), msg->context_name,
	    msg->context_name_len);
	if (tp_rec_end(tp, out, true, msg->pdu.request_id, &notif,
	    &msg->pdu) == -1)
		goto done;
	out->inform = inform;
	tp->st.v3++;
	if (!inform) {
		tp->st.traps++;
		goto done;
	}
	tp->st.informs++;
	if (!tp->auto_ack)
		goto done;
	/* RFC 3416 4.2.7 in the same context, at the same level; the
	 * varbinds go back as they came, not decoded again. */
	msg->pdu.type = SNMP_PDU_RESPONSE;
	msg->pdu.error_status = SNMP_ERR_NOERROR;
	msg->pdu.error_index = 0;
	n = tp_v3_encode(tp, u, priv, msg->msg_id, sp.user, sp.user_len,
	    msg->context_engine_id, msg->context_engine_id_len,
	    msg->context_name, msg->context_name_len, &msg->pdu,
	    &msg->pdu.vblist, (size_t)msg->msg_max_size, now, &p);
	if (n == -1) {
		msg->pdu.error_status = SNMP_ERR_TOOBIG;
		msg->pdu.nvb = 0;
		n = tp_v3_encode(tp, u, priv, msg->msg_id, sp.user,
		    sp.user_len, msg->context_engine_id,
		    msg->context_engine_id_len, msg->context_name,
		    msg->context_name_len, &msg->pdu, NULL,
		    (size_t)msg->msg_max_size, now, &p);
	}
	if (n != -1) {
		out->reply = p;
		out->replylen = (size_t)n;
	}
 done:
	usm_user_free(u);
}

/* ------------------------------------------------------------ input */

void
trapproc_input(struct trapproc *tp, const uint8_t *buf, size_t len,
    const struct sockaddr *from, const char *timestr, const char *listener,
    int64_t now, struct trapproc_out *out)
{
	struct snmp_msg	 msg;
	int		 err;

	memset(out, 0, sizeof(*out));
	tp->st.packets++;
	tp->from = from;
	msg.pdu.vb = tp->vb;
	msg.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
	/*
	 * The record prints names without decoding them (struct
	 * snmp_vbraw) unless MIB names are asked for, which need the arcs;
	 * the checks and errors are the same either way.
	 */
	if ((render_names_on() ? snmp_msg_decode(buf, len, &msg) :
	    snmp_msg_decode_raw(buf, len, &msg, tp->raw)) == -1) {
		err = snmpmgr_lasterr();
		tp_reject(tp, out, err == SNMPMGR_ERR_VERSION ?
		    TRAPPROC_BAD_VERSION : err == SNMPMGR_ERR_PDU_TYPE ?
		    TRAPPROC_UNEXPECTED_PDU : TRAPPROC_MALFORMED, "%s",
		    snmpmgr_lasterr_detail());
		return;
	}
	if (msg.version == SNMP_V3)
		tp_v3(tp, buf, len, &msg, from, timestr, listener, now, out);
	else
		tp_community(tp, &msg, from, timestr, listener, out);
	tp->from = NULL;
}

void
trapproc_input_stream(struct trapproc *tp, const char *transport,
    const uint8_t *buf, size_t len, const struct sockaddr *from,
    const char *timestr, const char *listener, int64_t now,
    struct trapproc_out *out)
{
	tp->transport = transport;
	trapproc_input(tp, buf, len, from, timestr, listener, now, out);
	tp->transport = NULL;
}
