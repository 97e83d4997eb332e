/*
 * m_trap.c - the trap.* methods (doc/protocol.md): trap.stats (the
 * receiver's counters) and trap.list, which runs a journal query in its
 * own thread (journal.c) and answers when it completes, so reading a
 * large journal never holds up the receiver.
 */
#include <config.h>		/* autoconf's */

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/oid.h"
#include "core/transport.h"

#include "control.h"
#include "daemon.h"
#include "journal.h"
#include "methods.h"
#include "render.h"
#include "traps.h"
#include "views.h"

#define MT_DEFAULT_LIMIT	100

static int
mt_no_receiver(struct ctl_req *r)
{
	ctl_req_error_num(r, SNMPMGR_ERR_MUST_BE_ACTIVE, "the trap receiver "
	    "is off: the config has no \"traps\" section", NULL);
	return -1;
}

/* trap.stats: the receiver must be on (before the params are read). */
int
m_trap_ready(struct mcall *c)
{
	return c->d->traps != NULL ? 0 : mt_no_receiver(c->r);
}

/* trap.list: and it must have a journal. */
int
m_trap_journal_ready(struct mcall *c)
{
	if (c->d->traps != NULL && traps_journal(c->d->traps) != NULL)
		return 0;
	return mt_no_receiver(c->r);
}

/* ------------------------------------------------------------ trap.stats */

int
m_trap_stats(struct mcall *c)
{
	json_t	*res;

	if ((res = view_traps_stats(c->d->traps)) == NULL)
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(c->r, res);
	return CTL_DONE;
}

/* ------------------------------------------------------------ trap.list */

/*
 * The sender's address as the records write it (transport_ip_str()):
 * "[::1]" and "0:0::1" find "::1".  0, or -1 when s is no IP address.
 */
static int
mt_source(const char *s, char *buf, size_t size)
{
	char		 host[TRANSPORT_HOSTSTRLEN];
	uint8_t		 ip[16];
	size_t		 n = strlen(s);
	int		 af = AF_INET;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, ip) != 1) {
		af = AF_INET6;
		if (inet_pton(AF_INET6, host, ip) != 1)
			return -1;
	}
	return transport_ip_str(af, ip, buf, size) == -1 ? -1 : 0;
}

/*
 * An optional filter on a record field (the table checked the string,
 * the words of "type" and "version", and resolved "trap_oid", a MIB name
 * or dotted numbers).  "user" finds a USM user or a TSM securityName
 * (with or without the "dtls:" prefix).
 */
static int
mt_match(struct mcall *c, const char *key, enum journal_match_mode mode,
    struct journal_filter *f)
{
	struct journal_match	*m;
	const struct oid	*o = NULL;
	const char		*s = NULL;

	if (mode == JOURNAL_MATCH_OID) {
		if ((o = mcall_oid(c, key)) == NULL)
			return 0;
	} else if ((s = mcall_str(c, key)) == NULL)
		return 0;
	if (f->nmatch >= JOURNAL_MAX_MATCH) {
		ctl_req_errorf(c->r, CTL_ERR_INTERNAL, "%s: more filters than "
		    "a journal query takes", key);
		return -1;
	}
	m = &f->match[f->nmatch++];
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->mode = mode;
	if (o != NULL)
		/* Normalized, so ".1.3.6" finds "1.3.6". */
		oid_format(o, m->value, sizeof(m->value));
	else if (strcmp(key, "source") == 0) {
		if (mt_source(s, m->value, sizeof(m->value)) == -1) {
			ctl_req_errorf(c->r, CTL_ERR_PARAMS, "source: not an "
			    "IP address: %s", s);
			return -1;
		}
	} else if (strcmp(key, "version") == 0 && strcmp(s, "2") == 0)
		/* "2" is 2c, as in the config. */
		snprintf(m->value, sizeof(m->value), "2c");
	else
		snprintf(m->value, sizeof(m->value), "%s", s);
	if (strcmp(key, "user") == 0) {
		snprintf(m->alt[0], sizeof(m->alt[0]), "security_name");
		snprintf(m->alt[1], sizeof(m->alt[1]), "tm_security_name");
	}
	return 1;
}

static void
mt_list_cancel_cb(void *arg)
{
	journal_query_cancel(arg);
}

static void
mt_list_done_cb(const struct journal_result *res, void *arg)
{
	struct ctl_req		*r = arg;
	struct render_buf	 b;
	size_t			 i;

	ctl_req_set_cancel(r, NULL, NULL);
	if (res->error != 0) {
		ctl_req_errorf(r, CTL_ERR_INTERNAL, "reading the journal: %s",
		    strerror(res->error));
		ctl_req_done(r);
		return;
	}
	render_buf_init(&b);
	render_adds(&b, "{\"traps\":[");
	for (i = 0; i < res->n; i++) {
		if (i > 0)
			render_add(&b, ",", 1);
		render_add(&b, res->lines[i], res->lens[i]);
	}
	render_adds(&b, "],\"count\":");
	render_u64(&b, res->n);
	render_adds(&b, ",\"matched\":");
	render_u64(&b, res->matched);
	render_adds(&b, ",\"scanned\":");
	render_u64(&b, res->scanned);
	render_adds(&b, ",\"skipped\":");
	render_u64(&b, res->skipped);
	render_adds(&b, "}");
	if (b.failed)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(r, b.p, b.len);
	render_buf_free(&b);
	ctl_req_done(r);
}

int
m_trap_list(struct mcall *c)
{
	struct ctl_req		*r = c->r;
	struct journal_filter	 f;
	struct journal_query	*q;
	const struct timespec	*since;

	memset(&f, 0, sizeof(f));
	f.limit = (size_t)mcall_int(c, "limit", MT_DEFAULT_LIMIT);
	if ((since = mcall_time(c, "since")) != NULL) {
		render_time_utc(since, f.since);
		f.since_epoch = since->tv_sec;
	}
	if (mcall_given(c, "until"))
		render_time_utc(mcall_time(c, "until"), f.until);
	if (mt_match(c, "source", JOURNAL_MATCH_EXACT, &f) == -1 ||
	    mt_match(c, "trap_oid", JOURNAL_MATCH_OID, &f) == -1 ||
	    mt_match(c, "type", JOURNAL_MATCH_EXACT, &f) == -1 ||
	    mt_match(c, "version", JOURNAL_MATCH_EXACT, &f) == -1 ||
	    mt_match(c, "user", JOURNAL_MATCH_EXACT, &f) == -1)
		return CTL_DONE;
	if ((q = journal_query(traps_journal(c->d->traps), &f,
	    mt_list_done_cb, r)) == NULL) {
		if (errno == EBUSY)
			ctl_req_error_num(r, SNMPMGR_ERR_BUSY, "too many "
			    "journal queries running; try again", NULL);
		else
			ctl_req_errorf(r, CTL_ERR_INTERNAL, "cannot read the "
			    "journal: %s", strerror(errno));
		return CTL_DONE;
	}
	ctl_req_set_cancel(r, mt_list_cancel_cb, q);
	return CTL_PENDING;
}
