/*
 * sessions.c - sessions by name, their run-time changes, and their JSON
 * for session.list and session.show.
 *
 * The table is an array of pointers to entries, sorted by name and
 * searched with bsearch(3).  Adding or removing an entry moves pointers,
 * never entries, so a struct dsess stays where it is for its whole life.
 * Ten thousand sessions make a 80 KiB array; adding one at run time moves
 * at most that much.
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
#include "core/hex.h"
#include "core/session.h"
#include "core/usm.h"

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "packets.h"
#include "polls.h"
#include "sessions.h"

struct sessions {
	struct daemon	*d;
	struct dsess	**v;
	size_t		 n;
	size_t		 cap;
};

/* Index of name, or of where it would go (*found false). */
static size_t
sessions_pos(const struct sessions *t, const char *name, bool *found)
{
	size_t	 lo = 0, hi = t->n, mid;
	int	 c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->v[mid]->name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ------------------------------------------------- config copies */

void
sessions_cs_free(struct config_session *cs)
{
	size_t	 i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->npolls; i++)
		free(cs->polls[i]);
	free(cs->polls);
	json_decref(cs->extra);
	sess_opts_release(&cs->opts);
	free(cs);
}

struct config_session *
sessions_cs_dup(const struct config_session *src)
{
	struct config_session	*cs;
	size_t			 i;

	if ((cs = malloc(sizeof(*cs))) == NULL)
		return NULL;
	*cs = *src;
	cs->polls = NULL;
	cs->npolls = 0;
	cs->extra = NULL;
	/* The copy owns a reference of its own (session.h). */
	if (cs->opts.v3.cred != NULL)
		cs->opts.v3.cred = usm_cred_ref(cs->opts.v3.cred);
	if (src->extra != NULL && (cs->extra = json_deep_copy(src->extra)) ==
	    NULL)
		goto fail;
	if (src->npolls > 0) {
		if ((cs->polls = calloc(src->npolls, sizeof(char *))) == NULL)
			goto fail;
		for (i = 0; i < src->npolls; i++) {
			if ((cs->polls[i] = strdup(src->polls[i])) == NULL)
				goto fail;
			cs->npolls++;
		}
	}
	return cs;
 fail:
	sessions_cs_free(cs);
	return NULL;
}

/* ------------------------------------------------------- the table */

static struct dsess *
dsess_new(struct daemon *d, const struct config_session *cs, bool own)
{
	struct dsess	*ds;

	if ((ds = calloc(1, sizeof(*ds))) == NULL)
		return NULL;
	if (own) {
		if ((ds->own = sessions_cs_dup(cs)) == NULL) {
			free(ds);
			return NULL;
		}
		ds->cs = ds->own;
		ds->runtime = true;
	} else
		ds->cs = cs;
	snprintf(ds->name, sizeof(ds->name), "%s", cs->name);
	ds->errdetail = "";
	if ((ds->s = sess_new(d->mgr, &ds->cs->opts)) == NULL) {
		ds->err = snmpmgr_lasterr();
		if ((ds->errdetail = strdup(snmpmgr_lasterr_detail())) == NULL)
			ds->errdetail = "";
		log_warnx("session %s: %s (%d): %s", ds->name,
		    snmpmgr_strerror(ds->err), ds->err, ds->errdetail);
	} else
		sess_set_udata(ds->s, ds);
	return ds;
}

static void
dsess_free(struct daemon *d, struct dsess *ds)
{
	if (d->polls != NULL)
		polls_detach(d->polls, ds);
	/* Client requests on it end here, while ds is still valid. */
	sess_free(ds->s);
	ds->s = NULL;
	sessions_cs_free(ds->own);
	if (ds->errdetail[0] != '\0')
		free((char *)ds->errdetail);
	free(ds);
}

struct sessions *
sessions_new(struct daemon *d, const struct config *c)
{
	struct sessions	*t;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->d = d;
	for (i = 0; i < c->nsessions; i++)
		if (sessions_create(t, &c->sessions[i], false) == NULL) {
			sessions_free(t);
			return NULL;
		}
	if (c->have_traps)
		log_debug("config has a traps section");
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
		dsess_free(t->d, t->v[i]);
	free(t->v);
	free(t);
}

struct dsess *
sessions_create(struct sessions *t, const struct config_session *cs,
    bool own)
{
	struct dsess	*ds, **nv;
	size_t		 pos, ncap;
	bool		 found;

	pos = sessions_pos(t, cs->name, &found);
	if (found)
		return NULL;
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 64;
		if ((nv = reallocarray(t->v, ncap, sizeof(*nv))) == NULL)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	if ((ds = dsess_new(t->d, cs, own)) == NULL)
		return NULL;
	memmove(&t->v[pos + 1], &t->v[pos], (t->n - pos) * sizeof(*t->v));
	t->v[pos] = ds;
	t->n++;
	return ds;
}

void
sessions_destroy(struct sessions *t, struct dsess *ds)
{
	size_t	 pos;
	bool	 found;

	pos = sessions_pos(t, ds->name, &found);
	if (!found || t->v[pos] != ds)
		return;
	memmove(&t->v[pos], &t->v[pos + 1], (t->n - pos - 1) * sizeof(*t->v));
	t->n--;
	dsess_free(t->d, ds);
}

struct dsess *
sessions_find(struct sessions *t, const char *name)
{
	size_t	 pos;
	bool	 found;

	if (t == NULL)
		return NULL;
	pos = sessions_pos(t, name, &found);
	return found ? t->v[pos] : NULL;
}

size_t
sessions_count(const struct sessions *t)
{
	return t != NULL ? t->n : 0;
}

struct dsess *
sessions_at(const struct sessions *t, size_t i)
{
	return i < t->n ? t->v[i] : NULL;
}

const struct sess_opts *
sessions_opts(const struct dsess *ds)
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
		if (t->v[i]->s != NULL && sessions_opts(t->v[i])->enabled)
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

int
sessions_set_opts(struct daemon *d, struct dsess *ds, const json_t *obj,
    struct config_err *err)
{
	struct sess_opts	 o;
	bool			 was;

	if (ds->s == NULL) {
		snprintf(err->text, sizeof(err->text), "the session has no "
		    "agent address (%s): remove and add it again",
		    ds->errdetail);
		return -1;
	}
	o = *sess_get_opts(ds->s);
	was = o.enabled;
	/* o owns a reference of its own while it is changed (session.h). */
	if (o.v3.cred != NULL)
		o.v3.cred = usm_cred_ref(o.v3.cred);
	if (config_apply_session_opts(obj, &o, err) == -1) {
		sess_opts_release(&o);
		return -1;
	}
	if (sess_set_opts(ds->s, &o) == -1) {
		snprintf(err->text, sizeof(err->text), "%s (%d): %s",
		    snmpmgr_strerror(snmpmgr_lasterr()), snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail());
		sess_opts_release(&o);
		return -1;
	}
	sess_opts_release(&o);
	ds->modified = true;
	packets_set_opts(ds, obj);	/* mask_sensitive_data, decrypt_trace */
	if (was != sess_get_opts(ds->s)->enabled && d->polls != NULL)
		polls_enable(d->polls, ds, !was);
	return 0;
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
sessions_list_json(struct daemon *d, const struct sessions *t,
    const char *state)
{
	const struct sess_opts	*o;
	const struct sess_stats	*st;
	const struct dsess	*ds;
	json_t			*rows, *row;
	const char		*ps;
	size_t			 i;

	if ((rows = json_array()) == NULL)
		return NULL;
	for (i = 0; t != NULL && i < t->n; i++) {
		ds = t->v[i];
		ps = polls_state_name(ds);
		if (state != NULL && strcmp(state, ps) != 0)
			continue;
		o = sessions_opts(ds);
		st = dsess_stats(ds);
		row = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b,s:s,s:I,s:I,s:I,s:I,"
		    "s:I,s:f}",
		    "name", ds->name,
		    "host", o->host,
		    "port", (int)o->port,
		    "version", sessions_version_name(o->version),
		    "transport", sessions_transport_name(o->transport),
		    "enabled", ds->s != NULL && o->enabled,
		    "state", ps,
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
		if (polls_row_json(ds, row) == -1)
			goto fail;
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
sessions_hex_json(const uint8_t *p, size_t n)
{
	char	 buf[2 + 2 * USM_MAX_KEY_LEN + 1];

	buf[0] = '0';
	buf[1] = 'x';
	hex_encode(p, n, buf + 2, sizeof(buf) - 2);
	return json_string(buf);
}

/* {"engine_id", "engine_boots", "engine_time", ...} of a v3 session. */
json_t *
sessions_v3_engine_json(const struct sess *s)
{
	struct sess_v3_info	 vi;
	json_t			*o;

	if (sess_v3_info(s, &vi) == -1)
		return NULL;
	o = json_pack("{s:s,s:s}", "discovery", sess_disc_name(vi.disc),
	    "security_level", sess_level_name(vi.level));
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "engine_id", vi.engine_id_len > 0 ?
	    sessions_hex_json(vi.engine_id, vi.engine_id_len) : json_null());
	if (vi.time_known) {
		json_object_set_new(o, "engine_boots", json_integer(vi.boots));
		json_object_set_new(o, "engine_time", json_integer(vi.time));
	} else {
		json_object_set_new(o, "engine_boots", json_null());
		json_object_set_new(o, "engine_time", json_null());
	}
	if (vi.agent_max_size > 0)
		json_object_set_new(o, "msg_max_size",
		    json_integer(vi.agent_max_size));
	if (vi.last_error != 0)
		json_object_set_new(o, "last_error", json_pack("{s:i,s:s}",
		    "code", vi.last_error, "message",
		    snmpmgr_strerror(vi.last_error)));
	return o;
}

static json_t *
sessions_v3_show_json(const struct sess *s)
{
	const struct sess_usm_stats *u;
	json_t		*eng, *res;

	if (s == NULL || (eng = sessions_v3_engine_json(s)) == NULL)
		return NULL;
	u = &sess_get_stats(s)->usm;
	res = json_pack("{s:o,s:{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "engine", eng, "usm",
	    "reports",
	    "unsupported_sec_levels", (json_int_t)u->rpt_unsupported_sec_levels,
	    "not_in_time_windows", (json_int_t)u->rpt_not_in_time_windows,
	    "unknown_user_names", (json_int_t)u->rpt_unknown_user_names,
	    "unknown_engine_ids", (json_int_t)u->rpt_unknown_engine_ids,
	    "wrong_digests", (json_int_t)u->rpt_wrong_digests,
	    "decryption_errors", (json_int_t)u->rpt_decryption_errors,
	    "other", (json_int_t)u->rpt_other,
	    "wrong_digests", (json_int_t)u->wrong_digests,
	    "not_in_time_windows", (json_int_t)u->not_in_time_windows,
	    "unknown_engine_ids", (json_int_t)u->unknown_engine_ids,
	    "unknown_user_names", (json_int_t)u->unknown_user_names,
	    "decryption_errors", (json_int_t)u->decryption_errors,
	    "unauthenticated", (json_int_t)u->unauthenticated,
	    "discoveries", (json_int_t)u->discoveries,
	    "recoveries", (json_int_t)u->recoveries);
	return res;
}

json_t *
sessions_show_json(struct daemon *d, const struct dsess *ds)
{
	const struct sess_stats	*st = dsess_stats(ds);
	const struct sockaddr	*sa;
	socklen_t		 salen = 0;
	json_t			*res, *opts, *stats, *polls, *v3;
	char			 addr[INET6_ADDRSTRLEN + 16];

	/* Secrets masked unless the session's mask_sensitive_data is off. */
	if ((opts = packets_opts_json(ds)) == NULL)
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
	if (res == NULL)
		return NULL;
	json_object_set_new(res, "origin", json_string(ds->runtime ?
	    "runtime" : "config"));
	json_object_set_new(res, "modified", json_boolean(ds->modified));
	/* SNMPv3: the agent's engine and the usmStats-style counters. */
	if ((v3 = sessions_v3_show_json(ds->s)) != NULL) {
		json_object_update(res, v3);
		json_decref(v3);
	}
	if (ds->cs->template_name[0] != '\0')
		json_object_set_new(res, "template",
		    json_string(ds->cs->template_name));
	packets_show_json(ds, res);
	if ((polls = polls_show_json(ds)) == NULL ||
	    json_object_update(res, polls) == -1) {
		json_decref(polls);
		json_decref(res);
		return NULL;
	}
	json_decref(polls);
	return res;
}
