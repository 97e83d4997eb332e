/*
 * sessions.c - configured sessions by name, and their JSON for
 * session.list and session.show.
 *
 * The config hands sessions over sorted by name, so the table is a sorted
 * array searched with bsearch(3); it is built once and never reordered.
 */
#include <config.h>		/* autoconf's */

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/errors.h"
#include "core/session.h"

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sessions.h"

struct sessions {
	struct dsess	*v;
	size_t		 n;
};

static int
sessions_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dsess *)a)->name,
	    ((const struct dsess *)b)->name);
}

struct sessions *
sessions_new(struct daemon *d, const struct config *c)
{
	struct sessions	*t;
	struct dsess	*ds;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (c->nsessions > 0 &&
	    (t->v = calloc(c->nsessions, sizeof(*t->v))) == NULL) {
		free(t);
		return NULL;
	}
	t->n = c->nsessions;
	for (i = 0; i < t->n; i++) {
		ds = &t->v[i];
		ds->cs = &c->sessions[i];
		memcpy(ds->name, c->sessions[i].name, sizeof(ds->name));
		ds->name[sizeof(ds->name) - 1] = '\0';
		if ((ds->s = sess_new(d->mgr, &ds->cs->opts)) == NULL) {
			ds->err = snmpmgr_lasterr();
			snprintf(ds->errdetail, sizeof(ds->errdetail), "%s",
			    snmpmgr_lasterr_detail());
			log_warnx("session %s: %s (%d): %s", ds->name,
			    snmpmgr_strerror(ds->err), ds->err, ds->errdetail);
			continue;
		}
		sess_set_udata(ds->s, ds);
	}
	/* The config sorts by name already; make sure of it. */
	qsort(t->v, t->n, sizeof(*t->v), sessions_cmp);
	for (i = 0; i < t->n; i++)
		if (t->v[i].s != NULL)
			sess_set_udata(t->v[i].s, &t->v[i]);
	if (c->npolls > 0)
		log_warnx("config has %zu polls: polls are not scheduled yet",
		    c->npolls);
	if (c->have_traps)
		log_warnx("config has a traps section: trap reception is not "
		    "supported yet");
	log_info("%zu sessions configured", t->n);
	return t;
}

void
sessions_free(struct sessions *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		sess_free(t->v[i].s);
	free(t->v);
	free(t);
}

struct dsess *
sessions_find(struct sessions *t, const char *name)
{
	struct dsess	 key;

	if (t == NULL || t->n == 0 || strlen(name) >= sizeof(key.name))
		return NULL;
	memcpy(key.name, name, strlen(name) + 1);
	return bsearch(&key, t->v, t->n, sizeof(*t->v), sessions_cmp);
}

size_t
sessions_count(const struct sessions *t)
{
	return t != NULL ? t->n : 0;
}

static const struct sess_opts *
dsess_opts(const struct dsess *ds)
{
	return ds->s != NULL ? sess_get_opts(ds->s) : &ds->cs->opts;
}

size_t
sessions_enabled(const struct sessions *t)
{
	size_t	 i, n = 0;

	if (t == NULL)
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->v[i].s != NULL && dsess_opts(&t->v[i])->enabled)
			n++;
	return n;
}

void
sessions_note(struct dsess *ds, int error, const char *detail)
{
	char	 what[SNMPMGR_MAX_NAME_LEN + 64];

	if (error == 0) {
		snprintf(what, sizeof(what), "session %s: agent answers again",
		    ds->name);
		log_repeat_clear(&ds->rep, what);
		return;
	}
	if (error == SNMPMGR_ERR_INTERRUPTED)
		return;
	log_repeat(&ds->rep, "session %s: %s (%d): %s", ds->name,
	    snmpmgr_strerror(error), error, detail);
}

const char *
sessions_version_name(int version)
{
	switch (version) {
	case SNMP_V1:
		return "1";
	case SNMP_V2C:
		return "2c";
	case SNMP_V3:
		return "3";
	default:
		return "?";
	}
}

const char *
sessions_transport_name(int transport)
{
	switch (transport) {
	case SESS_TRANSPORT_UDP:
		return "udp";
	case SESS_TRANSPORT_UDP6:
		return "udp6";
	case SESS_TRANSPORT_DTLS:
		return "dtls";
	default:
		return "?";
	}
}

static const struct sess_stats *
dsess_stats(const struct dsess *ds)
{
	static const struct sess_stats zero;

	return ds->s != NULL ? sess_get_stats(ds->s) : &zero;
}

json_t *
sessions_list_json(const struct sessions *t)
{
	const struct sess_opts	*o;
	const struct sess_stats	*st;
	const struct dsess	*ds;
	json_t			*rows, *row;
	size_t			 i;

	if ((rows = json_array()) == NULL)
		return NULL;
	for (i = 0; t != NULL && i < t->n; i++) {
		ds = &t->v[i];
		o = dsess_opts(ds);
		st = dsess_stats(ds);
		row = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b,s:I,s:I,s:I,s:I,"
		    "s:I,s:f}",
		    "name", ds->name,
		    "host", o->host,
		    "port", (int)o->port,
		    "version", sessions_version_name(o->version),
		    "transport", sessions_transport_name(o->transport),
		    "enabled", ds->s != NULL && o->enabled,
		    "requests", (json_int_t)st->requests,
		    "responses", (json_int_t)st->responses,
		    "timeouts", (json_int_t)st->timeouts,
		    "retries", (json_int_t)st->retries,
		    "bad_packets", (json_int_t)st->bad_packets,
		    "last_rtt_ms", st->last_rtt_us / 1000.0);
		if (row == NULL || json_array_append_new(rows, row) == -1)
			goto fail;
		if (ds->s == NULL)
			json_object_set_new(row, "error", json_pack("{s:i,s:s}",
			    "code", ds->err, "detail", ds->errdetail));
	}
	return json_pack("{s:o}", "sessions", rows);
 fail:
	json_decref(rows);
	return NULL;
}

/* "192.0.2.1:161", "[2001:db8::1]:161". */
void
sessions_format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, size, "?");
}

json_t *
sessions_show_json(const struct dsess *ds)
{
	const struct sess_stats	*st = dsess_stats(ds);
	const struct sockaddr	*sa;
	socklen_t		 salen = 0;
	json_t			*res, *opts, *stats;
	char			 addr[INET6_ADDRSTRLEN + 16];

	if ((opts = config_session_opts_json(dsess_opts(ds), true)) == NULL)
		return NULL;
	stats = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I}",
	    "requests", (json_int_t)st->requests,
	    "retries", (json_int_t)st->retries,
	    "responses", (json_int_t)st->responses,
	    "timeouts", (json_int_t)st->timeouts,
	    "bad_packets", (json_int_t)st->bad_packets,
	    "origin_mismatch", (json_int_t)st->origin_mismatch,
	    "version_mismatch", (json_int_t)st->version_mismatch,
	    "duplicates", (json_int_t)st->duplicates,
	    "send_errors", (json_int_t)st->send_errors,
	    "last_rtt_ms", st->last_rtt_us / 1000.0,
	    "pending", (json_int_t)(ds->s != NULL ? sess_pending(ds->s) : 0));
	if (stats == NULL) {
		json_decref(opts);
		return NULL;
	}
	if (ds->s != NULL) {
		sa = sess_addr(ds->s, &salen);
		sessions_format_addr(sa, salen, addr, sizeof(addr));
		res = json_pack("{s:s,s:s,s:o,s:o}", "name", ds->name,
		    "address", addr, "options", opts, "stats", stats);
	} else {
		res = json_pack("{s:s,s:n,s:o,s:o,s:{s:i,s:s,s:s}}",
		    "name", ds->name, "address", "options", opts,
		    "stats", stats, "error", "code", ds->err,
		    "message", snmpmgr_strerror(ds->err),
		    "detail", ds->errdetail);
	}
	return res;
}
