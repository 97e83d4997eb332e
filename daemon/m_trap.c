/*
 * m_trap.c - the trap.* methods (doc/protocol.md): trap.stats (the
 * receiver's counters) and trap.list, which runs a journal query in its
 * own thread (journal.c) and answers when it completes, so reading a
 * large journal never holds up the receiver.
 */
#include <config.h>		/* autoconf's */

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

#include "control.h"
#include "daemon.h"
#include "journal.h"
#include "methods.h"
#include "render.h"
#include "traps.h"

#define MT_DEFAULT_LIMIT	100

static int
mt_no_receiver(struct ctl_req *r)
{
	ctl_req_error_num(r, SNMPMGR_ERR_MUST_BE_ACTIVE, "the trap receiver "
	    "is off: the config has no \"traps\" section", NULL);
	return CTL_DONE;
}

/* ------------------------------------------------------------ trap.stats */

int
m_trap_stats(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t	*res;

	if (d->traps == NULL)
		return mt_no_receiver(r);
	if ((res = traps_stats_json(d->traps)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

/* ------------------------------------------------------------ trap.list */

/*
 * A time bound: ISO 8601 UTC ("2026-11-21T10:00:00Z", fraction and "Z"
 * optional, a space for the "T", or a date alone), a duration back from
 * now ("10m", "2h", "1d"), or seconds since the epoch (a number).  Into
 * the journal's time format.  1 given, 0 absent, -1 error set.
 */
static int
mt_param_time(struct ctl_req *r, json_t *params, const char *key, char *out,
    time_t *epoch)
{
	json_t		*v = json_object_get(params, key);
	struct timespec	 ts;
	struct tm	 tm;
	const char	*s, *p;
	uint32_t	 ms;
	double		 x;
	int		 n = 0, Y, M, D, h = 0, m = 0, sec = 0;
	long		 frac = 0, scale = 100000000;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		x = json_number_value(v);
		if (!(x >= 0) || x > 253402300799.0)
			goto bad;
		ts.tv_sec = (time_t)x;
		ts.tv_nsec = (long)((x - (double)ts.tv_sec) * 1e9);
		goto done;
	}
	if (!json_is_string(v))
		goto bad;
	s = json_string_value(v);
	if (config_parse_duration(s, &ms) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec -= ms / 1000;
		ts.tv_nsec -= (long)(ms % 1000) * 1000000;
		if (ts.tv_nsec < 0) {
			ts.tv_nsec += 1000000000;
			ts.tv_sec--;
		}
		goto done;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3 || n != 10)
		goto bad;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 ||
		    n != 8)
			goto bad;
		p += 1 + n;
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 ||
	    m > 59 || sec > 60 || Y < 1970)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	ts.tv_sec = timegm(&tm);
	ts.tv_nsec = frac;
 done:
	journal_format_time(&ts, out);
	*epoch = ts.tv_sec;
	return 1;
 bad:
	ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected a UTC time such as "
	    "\"2026-11-21T10:00:00Z\", a duration back from now such as "
	    "\"10m\", or seconds since 1970", key);
	return -1;
}

/* An optional string filter on a record field. */
static int
mt_param_match(struct ctl_req *r, json_t *params, const char *key,
    const char *field, enum journal_match_mode mode,
    struct journal_filter *f)
{
	json_t			*v = json_object_get(params, key);
	struct journal_match	*m;
	struct oid		 o;
	const char		*s;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= sizeof(m->value) ||
	    strchr(json_string_value(v), '"') != NULL ||
	    strchr(json_string_value(v), '\\') != NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected a non-empty "
		    "string", key);
		return -1;
	}
	s = json_string_value(v);
	m = &f->match[f->nmatch++];
	snprintf(m->key, sizeof(m->key), "%s", field);
	m->mode = mode;
	if (mode == JOURNAL_MATCH_OID) {
		/* Normalized, so ".1.3.6" finds "1.3.6". */
		if (oid_parse_str(&o, s) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: not an OID",
			    key);
			return -1;
		}
		oid_format(&o, m->value, sizeof(m->value));
	} else
		snprintf(m->value, sizeof(m->value), "%s", s);
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
m_trap_list(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "since", "until", "limit",
		"source", "trap_oid", "type", "version", "user", NULL };
	struct journal_filter	 f;
	struct journal_query	*q;
	struct journal		*j;
	const char		*key;
	json_t			*v, *lim;
	time_t			 until_epoch;
	size_t			 i;

	if (d->traps == NULL || (j = traps_journal(d->traps)) == NULL)
		return mt_no_receiver(r);
	json_object_foreach(params, key, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown parameter "
			    "\"%s\"", key);
			return CTL_DONE;
		}
	}
	memset(&f, 0, sizeof(f));
	f.limit = MT_DEFAULT_LIMIT;
	if ((lim = json_object_get(params, "limit")) != NULL &&
	    !json_is_null(lim)) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > JOURNAL_MAX_LIMIT) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "limit: expected an "
			    "integer from 1 to %d", JOURNAL_MAX_LIMIT);
			return CTL_DONE;
		}
		f.limit = (size_t)json_integer_value(lim);
	}
	if (mt_param_time(r, params, "since", f.since, &f.since_epoch) == -1 ||
	    mt_param_time(r, params, "until", f.until, &until_epoch) == -1 ||
	    mt_param_match(r, params, "source", "source", JOURNAL_MATCH_EXACT,
	    &f) == -1 ||
	    mt_param_match(r, params, "trap_oid", "trap_oid",
	    JOURNAL_MATCH_OID, &f) == -1 ||
	    mt_param_match(r, params, "type", "type", JOURNAL_MATCH_EXACT,
	    &f) == -1 ||
	    mt_param_match(r, params, "version", "version",
	    JOURNAL_MATCH_EXACT, &f) == -1 ||
	    mt_param_match(r, params, "user", "user", JOURNAL_MATCH_EXACT,
	    &f) == -1)
		return CTL_DONE;
	if ((q = journal_query(j, &f, mt_list_done_cb, r)) == NULL) {
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
