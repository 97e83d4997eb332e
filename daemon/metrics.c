/*
 * metrics.c - the Prometheus exposition of metrics.h, from plain getters.
 *
 * The text format wants every sample of a metric together under one TYPE
 * line, while the store keeps values per session and poll.  So a first
 * pass names each value (a MIB lookup) and interns its metric name in a
 * hash table of families, in order of first appearance; a counting sort
 * by family then gives the order of the second pass, which writes the
 * samples.  Nothing is allocated per value but one small entry.
 *
 * Both the values and the health figures are written family by family,
 * so one session's labels appear in many families: they are escaped once
 * per scrape (the roster below) and copied after, and the figures are
 * read from the getters once per session and poll, not once per family.
 * Numbers are formatted by hand (render_u64, render_fixed).
 *
 * A counter of a poll that asks for rates has a second sample, in the
 * gauge family NAME_rate: its increase per second over the poll's last
 * interval (state_vals_rate()), present only when there is one (not
 * after a discontinuity, nor for a first sample), so that a graph shows
 * a gap rather than a spike.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/rate.h"
#include "core/session.h"

#include "conf.h"
#include "daemon.h"
#include "events.h"
#include "journal.h"
#include "metrics.h"
#include "mib.h"
#include "polls.h"
#include "render.h"
#include "sessions.h"
#include "state.h"
#include "trap_rx.h"
#include "traps.h"

#define METRICS_NAME_MAX	128
#define METRICS_MAX_INDEX	8

enum mkind { MK_COUNTER, MK_GAUGE, MK_INFO, MK_RATE };

struct mfam {
	char		 name[METRICS_NAME_MAX];
	size_t		 namelen;
	uint32_t	 hash;
	enum mkind	 kind;
	const struct mib_node *node;	/* its object (HELP), or NULL */
	size_t		 count;		/* entries, then their start */
};

/*
 * snmpmgrd's own families (metrics.h): the one place their names, types
 * and HELP texts are written.  Samples are integers, or fixed-point
 * decimals (dec digits after the point) of an integer count of 10^-dec
 * units.
 */
struct hfig {
	const char	*name;
	bool		 counter;
	const char	*help;
	unsigned	 dec;
};

static const struct hfig mfams[MF__COUNT] = {
	[MF_UPTIME] = { "snmpmgrd_uptime_seconds", false,
	    "Seconds since the daemon started.", 3 },
	[MF_SESSIONS] = { "snmpmgrd_sessions", false,
	    "Sessions configured or added.", 0 },
	[MF_SESSIONS_DOWN] = { "snmpmgrd_sessions_down", false,
	    "Sessions whose agent does not answer their polls.", 0 },
	[MF_POLLS_SCHEDULED] = { "snmpmgrd_polls_scheduled", false,
	    "Polls on the schedule, one per session and poll.", 0 },
	[MF_POLLS_RUNNING] = { "snmpmgrd_polls_running", false,
	    "Poll runs under way.", 0 },
	[MF_POLLS_WAITING] = { "snmpmgrd_polls_waiting", false,
	    "Poll runs due but waiting for a free slot.", 0 },
	[MF_POLLS_DONE] = { "snmpmgrd_polls_done", true,
	    "Poll runs that ended with values.", 0 },
	[MF_POLLS_FAILED] = { "snmpmgrd_polls_failed", true,
	    "Poll runs that failed or went unanswered.", 0 },
	[MF_POLLS_OVERRUNS] = { "snmpmgrd_polls_overruns", true,
	    "Poll turns missed because the previous run was still going.",
	    0 },
	[MF_STORE_OBJECTS] = { "snmpmgrd_store_objects", false,
	    "Values held from the latest poll runs.", 0 },
	[MF_STORE_BYTES] = { "snmpmgrd_store_bytes", false,
	    "Memory the held values take, in bytes.", 0 },
	[MF_EVENT_SUBSCRIBERS] = { "snmpmgrd_event_subscribers", false,
	    "Control clients subscribed to events.", 0 },
	[MF_EVENTS_DELIVERED] = { "snmpmgrd_events_delivered", true,
	    "Events delivered to subscribers.", 0 },
	[MF_EVENTS_PUBLISHED] = { "snmpmgrd_events_published", true,
	    "Events published, by type.", 0 },
	[MF_EVENT_SUBSCRIPTIONS_ENDED] = {
	    "snmpmgrd_event_subscriptions_ended", true,
	    "Event subscriptions ended by the daemon or the client, by "
	    "reason.", 0 },
	[MF_SESSION_UP] = { "snmpmgrd_session_up", false,
	    "1 when the session's agent answers its polls.", 0 },
	[MF_SESSION_REQUESTS] = { "snmpmgrd_session_requests", true,
	    "SNMP requests the session sent.", 0 },
	[MF_SESSION_RESPONSES] = { "snmpmgrd_session_responses", true,
	    "SNMP responses the session received.", 0 },
	[MF_SESSION_TIMEOUTS] = { "snmpmgrd_session_timeouts", true,
	    "SNMP requests of the session that timed out.", 0 },
	[MF_SESSION_RETRIES] = { "snmpmgrd_session_retries", true,
	    "SNMP retransmissions of the session.", 0 },
	[MF_SESSION_BAD_PACKETS] = { "snmpmgrd_session_bad_packets", true,
	    "Packets for the session dropped as bad.", 0 },
	[MF_SESSION_RTT] = { "snmpmgrd_session_rtt_seconds", false,
	    "Smoothed round-trip time of the session's requests.", 6 },
	[MF_POLL_RUNS] = { "snmpmgrd_poll_runs", true,
	    "Runs of the poll started.", 0 },
	[MF_POLL_OK] = { "snmpmgrd_poll_ok", true,
	    "Runs of the poll that ended with values.", 0 },
	[MF_POLL_FAILED] = { "snmpmgrd_poll_failed", true,
	    "Runs of the poll that failed or went unanswered.", 0 },
	[MF_POLL_OVERRUNS] = { "snmpmgrd_poll_overruns", true,
	    "Turns of the poll missed: the previous run was still going.",
	    0 },
	[MF_POLL_SKIPPED_DOWN] = { "snmpmgrd_poll_skipped_down", true,
	    "Turns of the poll skipped while the agent was down.", 0 },
	[MF_POLL_DURATION] = { "snmpmgrd_poll_duration_seconds", false,
	    "How long the poll's latest successful run took.", 6 },
	[MF_POLL_LAST_SUCCESS] = {
	    "snmpmgrd_poll_last_success_timestamp_seconds", false,
	    "When the poll's latest values were taken (Unix time).", 3 },
	[MF_TRAP_PACKETS] = { "snmpmgrd_trap_packets", true,
	    "Packets received on the trap listeners.", 0 },
	[MF_TRAPS_ACCEPTED] = { "snmpmgrd_traps_accepted", true,
	    "Notifications accepted, by kind.", 0 },
	[MF_TRAPS_REJECTED] = { "snmpmgrd_traps_rejected", true,
	    "Notifications rejected, by reason.", 0 },
	[MF_TRAP_ACKS_SENT] = { "snmpmgrd_trap_acks_sent", true,
	    "Inform acknowledgements sent.", 0 },
	[MF_TRAP_ACKS_DROPPED] = { "snmpmgrd_trap_acks_dropped", true,
	    "Inform acknowledgements not sent (record or connection lost).",
	    0 },
	[MF_TRAP_ACKS_WAITING] = { "snmpmgrd_trap_acks_waiting", false,
	    "Inform acknowledgements waiting for the journal or JetStream.",
	    0 },
	[MF_TRAP_ACKS_OVERFLOW] = { "snmpmgrd_trap_acks_overflow", true,
	    "Informs refused unrecorded: no room to acknowledge them.", 0 },
	[MF_TRAP_ACKS_AGAIN] = { "snmpmgrd_trap_acks_retransmissions", true,
	    "Inform retransmissions folded into the one waiting.", 0 },
	[MF_TRAP_TCP_HOLDS] = { "snmpmgrd_trap_tcp_holds", true,
	    "Times TCP senders were held while acknowledgements waited.", 0 },
	[MF_JOURNAL_RECORDS] = { "snmpmgrd_journal_records", true,
	    "Records written to the trap journal.", 0 },
	[MF_JOURNAL_BYTES] = { "snmpmgrd_journal_bytes", true,
	    "Bytes written to the trap journal.", 0 },
	[MF_JOURNAL_FILE_SIZE] = { "snmpmgrd_journal_file_size_bytes", false,
	    "Size of the current trap journal file.", 0 },
	[MF_JOURNAL_ROTATIONS] = { "snmpmgrd_journal_rotations", true,
	    "Trap journal file rotations.", 0 },
	[MF_JOURNAL_WRITE_ERRORS] = { "snmpmgrd_journal_write_errors", true,
	    "Failed writes to the trap journal.", 0 },
	[MF_JOURNAL_RECORDS_LOST] = { "snmpmgrd_journal_records_lost", true,
	    "Trap journal records lost (write errors, full queue).", 0 },
	[MF_JOURNAL_SYNC_ERRORS] = { "snmpmgrd_journal_sync_errors", true,
	    "Failed syncs of the trap journal to disk.", 0 },
	[MF_JOURNAL_PENDING] = { "snmpmgrd_journal_pending_bytes", false,
	    "Bytes queued for the trap journal, not yet written.", 0 },
	[MF_HTTP_CONNECTIONS] = { "snmpmgrd_http_connections", false,
	    "HTTP connections open.", 0 },
	[MF_HTTP_ACCEPTED] = { "snmpmgrd_http_connections_accepted", true,
	    "HTTP connections accepted.", 0 },
	[MF_HTTP_REFUSED] = { "snmpmgrd_http_connections_refused", true,
	    "HTTP connections refused (out of memory, or at "
	    "http.max_connections with none to evict).", 0 },
	[MF_HTTP_EVICTED] = { "snmpmgrd_http_connections_evicted", true,
	    "HTTP connections closed before their request head came, to make "
	    "room for a new one at http.max_connections.", 0 },
	[MF_HTTP_REQUESTS] = { "snmpmgrd_http_requests", true,
	    "HTTP requests received.", 0 },
	[MF_HTTP_BAD_REQUESTS] = { "snmpmgrd_http_bad_requests", true,
	    "HTTP requests answered with a 4xx status.", 0 },
	[MF_HTTP_TIMEOUTS] = { "snmpmgrd_http_timeouts", true,
	    "HTTP connections that ran out of time (request, idle or "
	    "write).", 0 },
	[MF_HTTP_RENDERS] = { "snmpmgrd_http_renders", true,
	    "Renderings of /metrics (the rest came from the cache).", 0 },
	[MF_HTTP_PROBES_WAITING] = { "snmpmgrd_http_probes_waiting", false,
	    "/probe requests waiting for their polls.", 0 },
	[MF_HTTP_TLS_FAILURES] = { "snmpmgrd_http_tls_handshake_failures",
	    true, "HTTPS connections whose TLS handshake failed or did not "
	    "finish in time.", 0 },
	[MF_PROBE_SUCCESS] = { "snmpmgrd_probe_success", false,
	    "1 when every poll run of the probe succeeded.", 0 },
	[MF_PROBE_DURATION] = { "snmpmgrd_probe_duration_seconds", false,
	    "How long the probe took.", 6 },
};

enum sfig {
	SF_UP, SF_REQUESTS, SF_RESPONSES, SF_TIMEOUTS, SF_RETRIES,
	SF_BAD_PACKETS, SF_RTT, SF__COUNT
};

enum pfig {
	PF_RUNS, PF_OK, PF_FAILED, PF_OVERRUNS, PF_SKIPPED, PF_DURATION,
	PF_LAST, PF__COUNT
};

/*
 * What a scrape needs of each selected session and poll, read once: the
 * labels they give every sample, escaped once into one buffer, and their
 * figures, copied from the getters.
 */
struct mjob {
	struct state_job_info	 ji;
	const struct config_poll *cp;
	uint64_t		 fig[PF__COUNT];
	uint32_t		 pfx;	/* {session=..,host=..,poll=".." */
	uint32_t		 pfxlen;	/* in roster.pfx */
};

struct msess {
	uint64_t		 fig[SF__COUNT];
	bool			 have_rtt;
	uint32_t		 pfx;	/* {session="..",host=".." */
	uint32_t		 pfxlen;
};

struct roster {
	struct msess		*sess;
	size_t			 nsess;
	size_t			 capsess;
	struct mjob		*jobs;
	size_t			 njobs;
	size_t			 capjobs;
	struct render_buf	 pfx;
};

/*
 * One value to write.  Its number is copied here while pass one reads
 * the store in its order: pass two goes family by family, across every
 * session's store, and would miss the cache on each value.
 */
struct mentry {
	const struct mib_node	*node;	/* NULL: numeric name */
	uint64_t		 u;	/* the value (state_vb.u) */
	uint32_t		 job;	/* in roster.jobs */
	uint32_t		 vbi;
	uint32_t		 fam;
	uint16_t		 plen;	/* arcs of the name (node or poll OID) */
	uint8_t			 type;	/* SNMP_T_* */
	bool			 bare;	/* no labels but its job's: no index */
};

/*
 * The names of a get poll's values, found once per set of request OIDs
 * (a poll definition shared by many sessions) rather than per value.
 */
#define METRICS_NCACHE	64
struct ncache {
	const struct oid	*names;		/* the named set's OIDs */
	size_t			 n;
	int32_t			*fam;		/* -1: not named yet */
	struct mentry		*ent;		/* node and plen */
};

/* Memory a rendering leaves for the next (metrics.h). */
struct metrics_scratch {
	struct roster		 r;
	struct mentry		*ent;
	size_t			 entcap;
	uint32_t		*order;
	size_t			 ordercap;
};

struct mctx {
	const struct metrics_sel *sel;
	const struct roster	*r;
	struct ncache		 nc[METRICS_NCACHE];
	const struct mib	*mib;
	struct mfam		*fam;
	size_t			 nfam;
	size_t			 famcap;
	uint32_t		*tab;	/* hash slots: family + 1, 0 empty */
	size_t			 tabsize;
	struct mentry		*ent;
	size_t			 nent;
	size_t			 entcap;
	bool			 nomem;
};

/* ------------------------------------------------------------ escaping */

/* The length of the UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const uint8_t *p, size_t n)
{
	size_t	 len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void
metrics_label_value(struct render_buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0, run = 0, k;
	char		 x[5];

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '"') {
			i++;
			run++;
			continue;
		}
		k = p[i] >= 0x80 ? utf8_len(p + i, n - i) : 0;
		if (k > 0) {
			i += k;
			run += k;
			continue;
		}
		render_add(b, p + i - run, run);
		run = 0;
		if (p[i] == '\\')
			render_add(b, "\\\\", 2);
		else if (p[i] == '"')
			render_add(b, "\\\"", 2);
		else if (p[i] == '\n')
			render_add(b, "\\n", 2);
		else if (p[i] == '\t')
			render_add(b, "\t", 1);
		else {
			/* Not text: the four characters \xNN (the backslash
			 * escaped as the format wants). */
			x[0] = 'x';
			x[1] = hexd[p[i] >> 4];
			x[2] = hexd[p[i] & 15];
			render_add(b, "\\\\", 2);
			render_add(b, x, 3);
		}
		i++;
	}
	render_add(b, p + i - run, run);
}

/* A metric or label name: [a-zA-Z0-9_], not starting with a digit. */
static size_t
metrics_name(char *dst, size_t size, const char *src)
{
	size_t	 i;
	char	 c;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		c = src[i];
		dst[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (i > 0 && c >= '0' && c <= '9')) ? c : '_';
	}
	dst[i] = '\0';
	return i;
}

/* "oid_1_3_6_1..." of the first n arcs of o. */
static void
metrics_oid_name(char *dst, size_t size, const struct oid *o, size_t n)
{
	size_t	 off, i;

	off = (size_t)snprintf(dst, size, "oid");
	for (i = 0; i < n && off + 12 < size; i++)
		off += (size_t)snprintf(dst + off, size - off, "_%u",
		    o->arcs[i]);
}

/* ------------------------------------------------------------ families */

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int
fam_grow(struct mctx *m)
{
	uint32_t	*nt;
	size_t		 size, i, j;

	size = m->tabsize == 0 ? 256 : m->tabsize * 2;
	if ((nt = calloc(size, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < m->nfam; i++) {
		j = m->fam[i].hash & (size - 1);
		while (nt[j] != 0)
			j = (j + 1) & (size - 1);
		nt[j] = (uint32_t)i + 1;
	}
	free(m->tab);
	m->tab = nt;
	m->tabsize = size;
	return 0;
}

/* The family named name (made with kind and node if new), or -1. */
static ssize_t
fam_get(struct mctx *m, const char *name, enum mkind kind,
    const struct mib_node *node)
{
	struct mfam	*nf;
	uint32_t	 h = name_hash(name);
	size_t		 j;

	if ((m->nfam + 1) * 2 > m->tabsize && fam_grow(m) == -1)
		return -1;
	for (j = h & (m->tabsize - 1); m->tab[j] != 0;
	    j = (j + 1) & (m->tabsize - 1)) {
		nf = &m->fam[m->tab[j] - 1];
		if (nf->hash == h && strcmp(nf->name, name) == 0)
			return m->tab[j] - 1;
	}
	if (m->nfam == m->famcap) {
		nf = realloc(m->fam, (m->famcap * 2 + 64) * sizeof(*nf));
		if (nf == NULL)
			return -1;
		m->fam = nf;
		m->famcap = m->famcap * 2 + 64;
	}
	nf = &m->fam[m->nfam];
	snprintf(nf->name, sizeof(nf->name), "%s", name);
	nf->namelen = strlen(nf->name);
	nf->hash = h;
	nf->kind = kind;
	nf->node = node;
	nf->count = 0;
	m->tab[j] = (uint32_t)m->nfam + 1;
	return (ssize_t)m->nfam++;
}

static enum mkind
value_kind(uint8_t type, bool *skip)
{
	*skip = false;
	switch (type) {
	case SNMP_T_COUNTER32:
	case SNMP_T_COUNTER64:
		return MK_COUNTER;
	case SNMP_T_INTEGER:
	case SNMP_T_GAUGE32:
	case SNMP_T_TIMETICKS:
	case SNMP_T_UINTEGER32:
		return MK_GAUGE;
	case SNMP_T_OCTETS:
	case SNMP_T_OID:
	case SNMP_T_IPADDR:
	case SNMP_T_OPAQUE:
	case SNMP_T_NSAP:
		return MK_INFO;
	default:
		*skip = true;	/* NULL and the exceptions */
		return MK_GAUGE;
	}
}

/*
 * The metric name of vb in a poll with OIDs cp: its MIB object's label,
 * else "oid_" and the arcs of the poll OID holding it.  Fills e->node and
 * e->plen.
 */
static void
value_name(struct mctx *m, const struct snmp_varbind *vb,
    const struct config_poll *cp, struct mentry *e, char *name, size_t size)
{
	const struct mib_node *node;
	size_t		 plen = 0, i;

	node = mib_lookup(m->mib, &vb->name, &plen);
	if (node != NULL && mib_node_is_object(node)) {
		e->node = node;
		e->plen = (uint16_t)plen;
		metrics_name(name, size, mib_node_label(node));
		return;
	}
	e->node = NULL;
	plen = vb->name.len;
	for (i = 0; cp != NULL && i < cp->noids; i++)
		if (oid_is_prefix(&cp->oids[i], &vb->name)) {
			plen = cp->oids[i].len;
			break;
		}
	e->plen = (uint16_t)plen;
	metrics_oid_name(name, size, &vb->name, plen);
}

/* Room for n more entries. */
static int
ent_reserve(struct mctx *m, size_t n)
{
	struct mentry	*ne;
	size_t		 cap;

	if (m->entcap - m->nent >= n)
		return 0;
	cap = m->entcap * 2 + 1024;
	if (cap - m->nent < n)
		cap = m->nent + n;
	if ((ne = realloc(m->ent, cap * sizeof(*ne))) == NULL)
		return -1;
	m->ent = ne;
	m->entcap = cap;
	return 0;
}

static inline int
ent_add(struct mctx *m, const struct mentry *e)
{
	if (m->nent == m->entcap && ent_reserve(m, 1) == -1)
		return -1;
	m->ent[m->nent++] = *e;
	return 0;
}

static void	 label(struct render_buf *, bool *, const char *,
		    const char *, size_t);

/* The name cache of a named set (NULL: not named, or no room). */
static struct ncache *
ncache_get(struct mctx *m, const struct state_vals *v)
{
	struct ncache	*nc;
	size_t		 i, k;

	if (v->names == NULL || v->n != v->nnames)
		return NULL;
	for (i = 0; i < METRICS_NCACHE; i++) {
		nc = &m->nc[i];
		if (nc->names == v->names && nc->n == v->n)
			return nc;
		if (nc->names != NULL)
			continue;
		if ((nc->fam = malloc(v->n * sizeof(*nc->fam))) == NULL ||
		    (nc->ent = malloc(v->n * sizeof(*nc->ent))) == NULL) {
			free(nc->fam);
			nc->fam = NULL;
			return NULL;
		}
		for (k = 0; k < v->n; k++)
			nc->fam[k] = -1;
		nc->names = v->names;
		nc->n = v->n;
		return nc;
	}
	return NULL;
}

/* The NAME_rate sample of counter entry e (family f), when its poll's
 * latest sample has a rate.  -1 when memory ran out. */
static int
rate_add(struct mctx *m, struct mentry *e, ssize_t f)
{
	char		 name[METRICS_NAME_MAX];
	struct mentry	 r;
	ssize_t		 rf;
	size_t		 n;
	double		 rate;

	if (state_vals_rate(&m->r->jobs[e->job].ji.st->vals, e->vbi,
	    &rate) != RATE_OK)
		return 0;
	n = strlen(m->fam[f].name);
	if (n + sizeof("_rate") > sizeof(name))
		n = sizeof(name) - sizeof("_rate");
	memcpy(name, m->fam[f].name, n);
	memcpy(name + n, "_rate", sizeof("_rate"));
	if ((rf = fam_get(m, name, MK_RATE, m->fam[f].node)) == -1) {
		m->nomem = true;
		return -1;
	}
	if (m->fam[rf].kind != MK_RATE)
		return 0;		/* the name is a polled object's */
	r = *e;
	r.fam = (uint32_t)rf;
	if (ent_add(m, &r) == -1) {
		m->nomem = true;
		return -1;
	}
	m->fam[rf].count++;
	return 0;
}

/* Pass one: name and group every value of the selected polls. */
static void
collect(struct mctx *m)
{
	const struct mjob	*job;
	struct snmp_varbind	 vb;
	struct mentry		 e;
	char			 name[METRICS_NAME_MAX];
	enum mkind		 kind;
	ssize_t			 f;
	size_t			 i, k;
	bool			 skip;
	struct ncache		*nc;
	const struct state_vals	*v;
	struct snmp_value	 val;
	size_t			 oidlen;

	/* One entry per value (two for counters with rates), at most. */
	for (i = 0, k = 0; i < m->r->njobs; i++)
		if (m->r->jobs[i].ji.st->have)
			k += m->r->jobs[i].ji.st->vals.n *
			    (m->r->jobs[i].ji.st->vals.rates != NULL ? 2 : 1);
	if (ent_reserve(m, k) == -1) {
		m->nomem = true;
		return;
	}
	for (i = 0; i < m->r->njobs && !m->nomem; i++) {
		job = &m->r->jobs[i];
		if (!job->ji.st->have)
			continue;
		memset(&e, 0, sizeof(e));
		e.job = (uint32_t)i;
		v = &job->ji.st->vals;
		nc = ncache_get(m, v);
		for (k = 0; k < v->n; k++) {
			state_vals_value(v, k, &val, &oidlen);
			kind = value_kind(val.type, &skip);
			if (skip)
				continue;
			if (nc != NULL && nc->fam[k] >= 0 &&
			    m->fam[nc->fam[k]].kind == kind) {
				f = nc->fam[k];
				e.node = nc->ent[k].node;
				e.plen = nc->ent[k].plen;
			} else {
				state_vals_get(&job->ji.st->vals, k, &vb);
				value_name(m, &vb, job->cp, &e, name,
				    sizeof(name));
				if ((f = fam_get(m, name, kind, e.node)) == -1) {
					m->nomem = true;
					return;
				}
				if (nc != NULL) {
					nc->fam[k] = (int32_t)f;
					nc->ent[k] = e;
				}
			}
			if (m->fam[f].kind != kind)
				continue;	/* one kind per name */
			e.vbi = (uint32_t)k;
			e.fam = (uint32_t)f;
			e.u = val.u;
			e.type = val.type;
			/* index_labels and lookup_labels add nothing */
			e.bare = e.plen >= oidlen;
			if (ent_add(m, &e) == -1) {
				m->nomem = true;
				return;
			}
			m->fam[f].count++;
			if (kind == MK_COUNTER &&
			    job->ji.st->vals.rates != NULL &&
			    rate_add(m, &e, f) == -1)
				return;
		}
	}
}

/* ------------------------------------------------------------- samples */

static void
label(struct render_buf *b, bool *first, const char *name, const char *v,
    size_t n)
{
	render_add(b, *first ? "{" : ",", 1);
	*first = false;
	render_adds(b, name);
	render_add(b, "=\"", 2);
	metrics_label_value(b, v, n);
	render_add(b, "\"", 1);
}

/* The roster of the selected sessions and polls (see struct mjob); -1
 * when memory ran out. */
/* Add ds to r, which has room for its session. */
static int
roster_add(struct roster *r, struct daemon *d, const struct metrics_sel *sel,
    const struct dsess *ds)
{
	static const struct sess_stats zero;
	const struct sess_stats	*st;
	const struct state_sess	*ss;
	struct polls_sess_info	 info;
	struct msess		*ms;
	struct mjob		*mj, *nj;
	const char		*host = sessions_host(ds);
	size_t			 j;
	bool			 first = true;

	ms = &r->sess[r->nsess++];	/* roster_gather made the room */
	st = ds->s != NULL ? sess_get_stats(ds->s) : &zero;
	ms->fig[SF_UP] = strcmp(polls_state_name(ds), "up") == 0;
	ms->fig[SF_REQUESTS] = st->requests;
	ms->fig[SF_RESPONSES] = st->responses;
	ms->fig[SF_TIMEOUTS] = st->timeouts;
	ms->fig[SF_RETRIES] = st->retries;
	ms->fig[SF_BAD_PACKETS] = st->bad_packets;
	ms->fig[SF_RTT] = 0;
	ms->pfx = (uint32_t)r->pfx.len;
	label(&r->pfx, &first, "session", ds->name, strlen(ds->name));
	label(&r->pfx, &first, "host", host, strlen(host));
	ms->pfxlen = (uint32_t)(r->pfx.len - ms->pfx);
	ms->have_rtt = false;
	if (polls_sess_info(ds, &info) == -1) {
		/* No polls: its client requests' RTT. */
		if ((ss = sessions_asked_state(ds)) != NULL) {
			ms->have_rtt = ss->have_rtt;
			ms->fig[SF_RTT] = ss->srtt_us;
		}
		return r->pfx.failed ? -1 : 0;
	}
	ms->have_rtt = info.st->have_rtt;
	ms->fig[SF_RTT] = info.st->srtt_us;		/* 10^-6 s */
	for (j = 0; j < info.njobs; j++) {
		if (r->njobs == r->capjobs) {
			if ((nj = realloc(r->jobs, (r->capjobs * 2 + 256) *
			    sizeof(*nj))) == NULL)
				return -1;
			r->jobs = nj;
			r->capjobs = r->capjobs * 2 + 256;
		}
		mj = &r->jobs[r->njobs];
		polls_job_info(ds, j, &mj->ji);
		if (sel->poll != NULL && strcmp(sel->poll, mj->ji.poll) != 0)
			continue;
		r->njobs++;
		mj->cp = config_find_poll(d->conf, mj->ji.poll);
		mj->fig[PF_RUNS] = mj->ji.runs;
		mj->fig[PF_OK] = mj->ji.ok;
		mj->fig[PF_FAILED] = mj->ji.failed;
		mj->fig[PF_OVERRUNS] = mj->ji.overruns;
		mj->fig[PF_SKIPPED] = mj->ji.skipped_down;
		mj->fig[PF_DURATION] = mj->ji.st->duration_us;	/* 10^-6 s */
		mj->fig[PF_LAST] = mj->ji.st->time_ms;		/* 10^-3 s */
		mj->pfx = (uint32_t)r->pfx.len;
		/* the session's labels again, then the poll's */
		if (render_reserve(&r->pfx, ms->pfxlen) == 0)
			render_add(&r->pfx, r->pfx.p + ms->pfx, ms->pfxlen);
		first = false;
		label(&r->pfx, &first, "poll", mj->ji.poll,
		    strlen(mj->ji.poll));
		mj->pfxlen = (uint32_t)(r->pfx.len - mj->pfx);
	}
	return r->pfx.failed || r->pfx.len > UINT32_MAX ? -1 : 0;
}

/* r is empty, with the memory of sc when given. */
static int
roster_gather(struct roster *r, struct daemon *d,
    const struct metrics_sel *sel, struct metrics_scratch *sc)
{
	struct msess	*ns;
	size_t		 i, n = sel->only != NULL ? 1 :
			    sessions_count(d->sessions);

	if (sc != NULL) {
		*r = sc->r;
		memset(&sc->r, 0, sizeof(sc->r));
	} else {
		memset(r, 0, sizeof(*r));
		render_buf_init(&r->pfx);
	}
	r->nsess = r->njobs = 0;
	render_buf_reset(&r->pfx);
	if (r->capsess < n) {
		if ((ns = reallocarray(r->sess, n, sizeof(*ns))) == NULL)
			return -1;
		r->sess = ns;
		r->capsess = n;
	}
	if (sel->only != NULL)
		return roster_add(r, d, sel, sel->only);
	for (i = 0; i < sessions_count(d->sessions); i++)
		if (roster_add(r, d, sel, sessions_at(d->sessions, i)) == -1)
			return -1;
	return 0;
}

/* r's memory back to sc when given, else freed. */
static void
roster_free(struct roster *r, struct metrics_scratch *sc)
{
	if (sc != NULL && sc->r.sess == NULL && sc->r.jobs == NULL &&
	    sc->r.pfx.p == NULL) {
		sc->r = *r;
		return;
	}
	free(r->sess);
	free(r->jobs);
	render_buf_free(&r->pfx);
}

struct metrics_scratch *
metrics_scratch_new(void)
{
	struct metrics_scratch *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	render_buf_init(&sc->r.pfx);
	return sc;
}

void
metrics_scratch_free(struct metrics_scratch *sc)
{
	if (sc == NULL)
		return;
	free(sc->r.sess);
	free(sc->r.jobs);
	render_buf_free(&sc->r.pfx);
	free(sc->ent);
	free(sc->order);
	free(sc);
}

/* The text of a string-like value: DISPLAY-HINT, dotted, or its bytes. */
static size_t
value_text(const struct mentry *e, const struct snmp_value *val,
    char *buf, size_t size, const char **out)
{
	size_t	 n;

	*out = buf;
	if (e->node != NULL && val->type == SNMP_T_OCTETS &&
	    (n = mib_display(e->node, val, buf, size)) > 0 && n < size)
		return n;
	if (val->type == SNMP_T_IPADDR && val->len == 4)
		return (size_t)snprintf(buf, size, "%u.%u.%u.%u",
		    val->data[0], val->data[1], val->data[2],
		    val->data[3]);
	if (val->type == SNMP_T_OID) {
		struct oid	 o;

		if (val->len % 4 == 0 && val->len / 4 <=
		    SNMPMGR_MAX_OID_LEN) {
			o.len = (uint32_t)(val->len / 4);
			memcpy(o.arcs, val->data, val->len);
			n = oid_format(&o, buf, size);
			return n < size ? n : size - 1;
		}
	}
	*out = (const char *)val->data;
	return val->len;
}

/* The labels of a table row's index (or index="..."). */
/* Label names a sample has so far beyond session, host and poll. */
struct lset {
	char	 names[METRICS_MAX_INDEX + 1][METRICS_NAME_MAX];
	size_t	 n;
};

static bool
lset_has(const struct lset *ls, const char *name)
{
	size_t	 i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->names[i], name) == 0)
			return true;
	return strcmp(name, "session") == 0 || strcmp(name, "host") == 0 ||
	    strcmp(name, "poll") == 0;
}

static void
index_labels(struct render_buf *b, bool *first, const struct mentry *e,
    const struct oid *on, const char *skipname, struct lset *ls)
{
	struct mib_index_item items[METRICS_MAX_INDEX];
	char		 name[METRICS_NAME_MAX], num[24], dotted[SNMPMGR_MAX_OID_STR];
	struct oid	 suffix;
	int		 n = -1, i;

	if (e->plen >= on->len)
		return;
	if (e->node != NULL && mib_node_row(e->node) == NULL &&
	    on->len == (size_t)e->plen + 1 && on->arcs[e->plen] == 0)
		return;		/* a scalar's .0 */
	if (e->node != NULL && mib_node_row(e->node) != NULL)
		n = mib_index_decode(e->node, on, e->plen, items,
		    METRICS_MAX_INDEX);
	for (i = 0; i < n; i++) {
		metrics_name(name, sizeof(name), items[i].name);
		if ((skipname != NULL && strcmp(name, skipname) == 0) ||
		    lset_has(ls, name))
			continue;
		memcpy(ls->names[ls->n++], name, sizeof(name));
		if (items[i].numeric) {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)items[i].num);
			label(b, first, name, num, strlen(num));
		} else
			label(b, first, name, items[i].text, items[i].len);
	}
	if (n >= 0)
		return;
	if (lset_has(ls, "index"))
		return;
	snprintf(ls->names[ls->n++], METRICS_NAME_MAX, "index");
	suffix.len = on->len - e->plen;
	memcpy(suffix.arcs, on->arcs + e->plen,
	    suffix.len * sizeof(suffix.arcs[0]));
	label(b, first, "index", dotted, oid_format(&suffix, dotted,
	    sizeof(dotted)));
}

/* The poll's "labels": the same row's value of each listed column. */
static void
lookup_labels(struct render_buf *b, bool *first, const struct mentry *e,
    const struct mjob *job, const struct oid *on, const struct lset *ls,
    const char *info)
{
	const struct config_poll *cp = job->cp;
	struct snmp_varbind	 lv;
	struct mentry		 le;
	struct oid		 o;
	const char		*txt;
	char			 buf[512];
	ssize_t			 k;
	size_t			 i, n, sfx;

	if (cp == NULL || cp->nlabels == 0 || e->node == NULL ||
	    mib_node_row(e->node) == NULL || e->plen >= on->len)
		return;
	sfx = on->len - e->plen;
	for (i = 0; i < cp->nlabels; i++) {
		if (cp->label_oids[i].len + sfx > SNMPMGR_MAX_OID_LEN ||
		    (cp->label_oids[i].len == e->plen &&
		    memcmp(cp->label_oids[i].arcs, on->arcs,
		    e->plen * sizeof(o.arcs[0])) == 0) ||
		    lset_has(ls, cp->label_names[i]) ||
		    (info != NULL && strcmp(info, cp->label_names[i]) == 0))
			continue;	/* the column itself, or a name taken */
		o = cp->label_oids[i];
		memcpy(o.arcs + o.len, on->arcs + e->plen,
		    sfx * sizeof(o.arcs[0]));
		o.len += (uint32_t)sfx;
		if ((k = state_vals_find(&job->ji.st->vals, &o)) < 0)
			continue;
		state_vals_get(&job->ji.st->vals, (size_t)k, &lv);
		le.node = mib_lookup(mib_current(), &lv.name, &n);
		if (lv.value.type == SNMP_T_INTEGER ||
		    lv.value.type == SNMP_T_COUNTER32 ||
		    lv.value.type == SNMP_T_GAUGE32 ||
		    lv.value.type == SNMP_T_TIMETICKS ||
		    lv.value.type == SNMP_T_COUNTER64 ||
		    lv.value.type == SNMP_T_UINTEGER32) {
			n = lv.value.type == SNMP_T_INTEGER ?
			    (size_t)snprintf(buf, sizeof(buf), "%lld",
			    (long long)lv.value.i) :
			    (size_t)snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)lv.value.u);
			txt = buf;
		} else if (lv.value.type >= SNMP_T_NOSUCHOBJECT ||
		    lv.value.type == SNMP_T_NULL)
			continue;
		else
			n = value_text(&le, &lv.value, buf, sizeof(buf), &txt);
		label(b, first, cp->label_names[i], txt, n);
	}
}

/* One sample (a counter's rate: see the top of the file). */
static void
metrics_value(struct mctx *m, struct render_buf *b, const struct mfam *f,
    const struct mentry *e)
{
	const struct mjob *job = &m->r->jobs[e->job];
	const struct state_vals *v;
	struct snmp_varbind vb;
	struct snmp_value val;
	const struct oid *on;
	const char	*txt;
	char		 buf[1024];
	size_t		 n;
	bool		 first = true;
	struct lset	 ls;
	double		 rate = 0;

	if (e->bare && (f->kind == MK_COUNTER || f->kind == MK_GAUGE)) {
		/* Most samples: from the entry, without the store. */
		render_add(b, f->name, f->namelen);
		if (f->kind == MK_COUNTER)
			render_add(b, "_total", 6);
		render_add(b, m->r->pfx.p + job->pfx, job->pfxlen);
		render_add(b, "} ", 2);
		if (e->type == SNMP_T_INTEGER)
			render_i64(b, (int64_t)e->u);
		else
			render_u64(b, e->u);
		render_add(b, "\n", 1);
		return;
	}
	v = &job->ji.st->vals;
	ls.n = 0;
	/* A named set's OID is read in place, not copied. */
	if (v->names != NULL) {
		on = &v->names[e->vbi];
		state_vals_value(v, e->vbi, &val, &n);
	} else {
		state_vals_get(v, e->vbi, &vb);
		on = &vb.name;
		val = vb.value;
	}
	render_add(b, f->name, f->namelen);
	if (f->kind == MK_COUNTER)
		render_add(b, "_total", 6);
	render_add(b, m->r->pfx.p + job->pfx, job->pfxlen);
	first = false;
	index_labels(b, &first, e, on, f->kind == MK_INFO ? f->name : NULL,
	    &ls);
	lookup_labels(b, &first, e, job, on, &ls, f->kind == MK_INFO ?
	    f->name : NULL);
	switch (f->kind) {
	case MK_INFO:
		n = value_text(e, &val, buf, sizeof(buf), &txt);
		label(b, &first, f->name, txt, n);
		render_add(b, "} 1\n", 4);
		return;
	case MK_COUNTER:
	case MK_GAUGE:
		render_add(b, "} ", 2);
		if (val.type == SNMP_T_INTEGER)
			render_i64(b, val.i);
		else
			render_u64(b, val.u);
		render_add(b, "\n", 1);
		return;
	case MK_RATE:
		render_add(b, "} ", 2);
		(void)state_vals_rate(v, e->vbi, &rate);
		render_double(b, rate);
		render_add(b, "\n", 1);
		return;
	}
}

/*
 * The HELP and TYPE lines of a family of polled values.  The help names
 * the object: its MIB module and label and its OID, or the OID the name
 * spells when no MIB knows it.  A counter's text-format TYPE names its
 * samples (NAME_total).
 */
static void
fam_head(struct render_buf *b, const struct metrics_sel *sel,
    const struct mfam *f)
{
	const char	*mod, *p, *end;
	char		 dotted[SNMPMGR_MAX_OID_STR];
	struct oid	 o;
	bool		 total = f->kind == MK_COUNTER && !sel->openmetrics;

	render_adds(b, "# HELP ");
	render_add(b, f->name, f->namelen);
	if (total)
		render_add(b, "_total", 6);
	render_adds(b, f->kind == MK_RATE ? " Increase per second, over the "
	    "poll's last interval, of SNMP object " : " SNMP object ");
	if (f->node != NULL) {
		if ((mod = mib_node_module(f->node)) != NULL) {
			render_adds(b, mod);
			render_add(b, "::", 2);
		}
		render_adds(b, mib_node_label(f->node));
		mib_node_oid(f->node, &o);
		render_add(b, " (", 2);
		render_add(b, dotted, oid_format(&o, dotted, sizeof(dotted)));
		render_add(b, ")", 1);
	} else {
		/* oid_1_3_6_1..., less "_rate" */
		end = f->name + f->namelen - (f->kind == MK_RATE ? 5 : 0);
		for (p = f->name + 4; p < end; p++)
			render_add(b, *p == '_' ? "." : p, 1);
		render_adds(b, " (no MIB loaded names it)");
	}
	if (f->kind == MK_INFO)
		render_adds(b, ", its text in the label of the same name");
	render_adds(b, ".\n# TYPE ");
	render_add(b, f->name, f->namelen);
	if (total)
		render_add(b, "_total", 6);
	render_adds(b, f->kind == MK_COUNTER ? " counter\n" : " gauge\n");
}

static void
render_values(const struct roster *r, const struct metrics_sel *sel,
    struct metrics_scratch *sc, struct render_buf *b)
{
	struct mctx	 m;
	uint32_t	*order = NULL, *no;
	size_t		 i, pos, f, ordercap = 0;

	memset(&m, 0, sizeof(m));
	m.sel = sel;
	m.r = r;
	m.mib = mib_current();
	if (sc != NULL) {
		m.ent = sc->ent;
		m.entcap = sc->entcap;
		order = sc->order;
		ordercap = sc->ordercap;
		sc->ent = NULL;
		sc->order = NULL;
	}
	collect(&m);
	if (!m.nomem && ordercap < m.nent + 1) {
		if ((no = realloc(order, (m.nent + 1) * sizeof(*no))) == NULL)
			m.nomem = true;
		else {
			order = no;
			ordercap = m.nent + 1;
		}
	}
	if (m.nomem || m.nent > UINT32_MAX) {
		b->failed = true;
		goto out;
	}
	/* Counting sort by family: each family's entries in store order
	 * (their indexes: pass two reads each family's in rising order). */
	for (pos = 0, f = 0; f < m.nfam; f++) {
		i = m.fam[f].count;
		m.fam[f].count = pos;
		pos += i;
	}
	for (i = 0; i < m.nent; i++)
		order[m.fam[m.ent[i].fam].count++] = (uint32_t)i;
	/* About what a sample takes, so the buffer grows once or twice. */
	(void)render_reserve(b, m.nent * 160);
	for (f = 0, i = 0; f < m.nfam && !b->failed; f++) {
		fam_head(b, sel, &m.fam[f]);
		for (; i < m.fam[f].count; i++)
			metrics_value(&m, b, &m.fam[f], &m.ent[order[i]]);
	}
 out:
	for (i = 0; i < METRICS_NCACHE; i++) {
		free(m.nc[i].fam);
		free(m.nc[i].ent);
	}
	free(m.fam);
	free(m.tab);
	if (sc != NULL) {
		sc->ent = m.ent;
		sc->entcap = m.entcap;
		sc->order = order;
		sc->ordercap = ordercap;
	} else {
		free(m.ent);
		free(order);
	}
}

/* --------------------------------------------------------------- health */

/* The HELP and TYPE lines of family f; a counter's text-format TYPE
 * names its samples, NAME_total. */
static void
type_line(struct render_buf *b, const struct metrics_sel *sel,
    const struct hfig *f)
{
	const char	*total = f->counter && !sel->openmetrics ? "_total" : "";

	render_adds(b, "# HELP ");
	render_adds(b, f->name);
	render_adds(b, total);
	render_add(b, " ", 1);
	render_adds(b, f->help);
	render_adds(b, "\n# TYPE ");
	render_adds(b, f->name);
	render_adds(b, total);
	render_adds(b, f->counter ? " counter\n" : " gauge\n");
}

/* NAME, NAME_total for a counter. */
static void
sample_start(struct render_buf *b, const struct hfig *f)
{
	render_adds(b, f->name);
	if (f->counter)
		render_add(b, "_total", 6);
}

static void
sample_value(struct render_buf *b, const struct hfig *f, uint64_t v)
{
	if (f->dec > 0)
		render_fixed(b, v, f->dec);
	else
		render_u64(b, v);
	render_add(b, "\n", 1);
}

void
metrics_scalar(struct render_buf *b, const struct metrics_sel *sel,
    enum metrics_fam f, uint64_t v)
{
	type_line(b, sel, &mfams[f]);
	sample_start(b, &mfams[f]);
	render_add(b, " ", 1);
	sample_value(b, &mfams[f], v);
}

/* One sample: NAME[_total], its labels' prefix, v as fig says. */
static void
health_sample(struct render_buf *b, const struct hfig *fig, size_t namelen,
    const char *pfx, size_t pfxlen, uint64_t v)
{
	render_add(b, fig->name, namelen);
	if (fig->counter)
		render_add(b, "_total", 6);
	render_add(b, pfx, pfxlen);
	render_add(b, "} ", 2);
	sample_value(b, fig, v);
}

static void
health_sessions(const struct roster *r, const struct metrics_sel *sel,
    struct render_buf *b)
{
	const struct hfig	*fig;
	const struct msess	*ms;
	size_t			 i, namelen;
	int			 f;

	for (f = 0; f < SF__COUNT; f++) {
		fig = &mfams[MF_SESSION_UP + f];
		type_line(b, sel, fig);
		namelen = strlen(fig->name);
		for (i = 0; i < r->nsess; i++) {
			ms = &r->sess[i];
			if (f == SF_RTT && !ms->have_rtt)
				continue;
			health_sample(b, fig, namelen, r->pfx.p + ms->pfx,
			    ms->pfxlen, ms->fig[f]);
		}
	}
}

static void
health_polls(const struct roster *r, const struct metrics_sel *sel,
    struct render_buf *b)
{
	const struct hfig	*fig;
	const struct mjob	*mj;
	size_t			 j, namelen;
	int			 f;

	for (f = 0; f < PF__COUNT; f++) {
		fig = &mfams[MF_POLL_RUNS + f];
		type_line(b, sel, fig);
		namelen = strlen(fig->name);
		for (j = 0; j < r->njobs; j++) {
			mj = &r->jobs[j];
			if (f >= PF_DURATION && !mj->ji.st->have)
				continue;
			health_sample(b, fig, namelen, r->pfx.p + mj->pfx,
			    mj->pfxlen, mj->fig[f]);
		}
	}
}

/* One sample of family f with one label. */
static void
labelled_sample(struct render_buf *b, const struct hfig *f,
    const char *lname, const char *lval, uint64_t v)
{
	bool	 first = true;

	sample_start(b, f);
	label(b, &first, lname, lval, strlen(lval));
	render_add(b, "} ", 2);
	sample_value(b, f, v);
}

/* A family of one sample per member of a JSON object of counts. */
static void
json_family(struct render_buf *b, const struct metrics_sel *sel,
    enum metrics_fam f, const char *lname, const json_t *obj)
{
	const char	*k;
	json_t		*v;

	type_line(b, sel, &mfams[f]);
	json_object_foreach((json_t *)obj, k, v)
		if (json_is_integer(v))
			labelled_sample(b, &mfams[f], lname, k,
			    (uint64_t)json_integer_value(v));
}

static void
health_traps(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct traps_info	 ti;
	const struct journal_stats *js = &ti.journal;
	int			 r;

	if (d->traps == NULL)
		return;
	traps_info(d->traps, &ti);
	metrics_scalar(b, sel, MF_TRAP_PACKETS, ti.proc.packets);
	type_line(b, sel, &mfams[MF_TRAPS_ACCEPTED]);
	labelled_sample(b, &mfams[MF_TRAPS_ACCEPTED], "kind", "trap",
	    ti.proc.traps);
	labelled_sample(b, &mfams[MF_TRAPS_ACCEPTED], "kind", "inform",
	    ti.proc.informs);
	type_line(b, sel, &mfams[MF_TRAPS_REJECTED]);
	for (r = 1; r < TRAPPROC__COUNT; r++)
		labelled_sample(b, &mfams[MF_TRAPS_REJECTED], "reason",
		    trapproc_reason_name(r), ti.proc.rejected[r]);
	metrics_scalar(b, sel, MF_TRAP_ACKS_SENT, ti.acks_sent);
	metrics_scalar(b, sel, MF_TRAP_ACKS_DROPPED, ti.acks_dropped);
	metrics_scalar(b, sel, MF_TRAP_ACKS_WAITING, ti.acks_waiting);
	metrics_scalar(b, sel, MF_TRAP_ACKS_OVERFLOW, ti.acks_overflow);
	metrics_scalar(b, sel, MF_TRAP_ACKS_AGAIN, ti.acks_again);
	metrics_scalar(b, sel, MF_TRAP_TCP_HOLDS, ti.acks_holds);
	metrics_scalar(b, sel, MF_JOURNAL_RECORDS, js->records);
	metrics_scalar(b, sel, MF_JOURNAL_BYTES, js->bytes);
	metrics_scalar(b, sel, MF_JOURNAL_FILE_SIZE, js->file_size);
	metrics_scalar(b, sel, MF_JOURNAL_ROTATIONS, js->rotations);
	metrics_scalar(b, sel, MF_JOURNAL_WRITE_ERRORS, js->write_errors);
	metrics_scalar(b, sel, MF_JOURNAL_RECORDS_LOST, js->records_lost);
	metrics_scalar(b, sel, MF_JOURNAL_SYNC_ERRORS, js->sync_errors);
	metrics_scalar(b, sel, MF_JOURNAL_PENDING, js->pending);
}

static void
health_daemon(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct polls_info	 pi;
	json_t			*ev;

	metrics_scalar(b, sel, MF_UPTIME,
	    (uint64_t)(daemon_uptime(d) * 1e3 + 0.5));
	metrics_scalar(b, sel, MF_SESSIONS, sessions_count(d->sessions));
	polls_info(d->polls, &pi);
	metrics_scalar(b, sel, MF_SESSIONS_DOWN, pi.sched.down);
	metrics_scalar(b, sel, MF_POLLS_SCHEDULED, pi.sched.jobs);
	metrics_scalar(b, sel, MF_POLLS_RUNNING, pi.sched.running);
	metrics_scalar(b, sel, MF_POLLS_WAITING, pi.sched.waiting);
	metrics_scalar(b, sel, MF_POLLS_DONE, pi.done);
	metrics_scalar(b, sel, MF_POLLS_FAILED, pi.failed);
	metrics_scalar(b, sel, MF_POLLS_OVERRUNS, pi.sched.overruns);
	metrics_scalar(b, sel, MF_STORE_OBJECTS, pi.objects);
	metrics_scalar(b, sel, MF_STORE_BYTES, pi.bytes);
	if ((ev = events_stats_json(d->events)) != NULL) {
		metrics_scalar(b, sel, MF_EVENT_SUBSCRIBERS,
		    (uint64_t)json_integer_value(json_object_get(ev,
		    "subscribers")));
		metrics_scalar(b, sel, MF_EVENTS_DELIVERED,
		    (uint64_t)json_integer_value(json_object_get(ev,
		    "delivered")));
		json_family(b, sel, MF_EVENTS_PUBLISHED, "type",
		    json_object_get(ev, "published"));
		json_family(b, sel, MF_EVENT_SUBSCRIPTIONS_ENDED, "reason",
		    json_object_get(ev, "ended"));
		json_decref(ev);
	}
}

void
metrics_render(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct roster	 r;

	if (roster_gather(&r, d, sel, sel->scratch) == -1) {
		b->failed = true;
		goto out;
	}
	if (sel->values)
		render_values(&r, sel, sel->scratch, b);
	if (!sel->health)
		goto out;
	if (sel->only == NULL)
		health_daemon(d, sel, b);
	health_sessions(&r, sel, b);
	health_polls(&r, sel, b);
	if (sel->only == NULL)
		health_traps(d, sel, b);
 out:
	roster_free(&r, sel->scratch);
}
