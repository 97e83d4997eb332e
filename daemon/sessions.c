/*
 * sessions.c - sessions by name and their run-time changes (their JSON
 * for session.list and session.show is built in views.c).
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "core/hex.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/usm.h"

#include "conf.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "sessions.h"
#include "sess_event.h"
#include "state.h"
#include "trap_dtls.h"

struct sessions {
	struct daemon	*d;
	struct sessions_hooks hooks;
	struct dsess	**v;
	size_t		 n;
	size_t		 cap;
	uint64_t	 changes;	/* entries created and destroyed */
};

/* Index of name, or of where it would go (*found false). */
static size_t
sessions_pos(const struct sessions *t, const char *name, bool *found)
{
	size_t	 lo = 0, hi = t->n, mid;
	int	 c;

	*found = false;
	/* Past the last: how a sorted config's sessions are added. */
	if (hi > 0 && strcmp(t->v[hi - 1]->name, name) < 0)
		return hi;
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
	sess_opts_drop(cs->opts);
	dtls_cred_free(cs->tls_cred);
	free(cs->host);
	free(cs->name);
	free(cs->template_name);
	free(cs->credentials);
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
	cs->pooled = false;		/* the copy owns its strings */
	cs->host_in_name = false;
	cs->polls = NULL;
	cs->npolls = 0;
	cs->extra = NULL;
	cs->name = cs->host = cs->template_name = cs->credentials = NULL;
	/* The copy holds the block too (session.h), and our DTLS key. */
	sess_opts_hold(cs->opts);
	(void)dtls_cred_ref(cs->tls_cred);
	if ((cs->host = strdup(src->host)) == NULL ||
	    (cs->name = strdup(src->name)) == NULL ||
	    (src->template_name != NULL && (cs->template_name =
	    strdup(src->template_name)) == NULL) ||
	    (src->credentials != NULL && (cs->credentials =
	    strdup(src->credentials)) == NULL))
		goto fail;
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

/* ------------------------------------------------------- DTLS */

int
sessions_dtls_opts(void *arg, struct sess *s, struct dtls_opts *o,
    uint32_t *idle_ms)
{
	const struct dsess	*ds = sess_get_udata(s);

	(void)arg;
	if (ds == NULL || ds->cs == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "SNMP over DTLS: "
		    "only configured sessions, not ad-hoc targets yet");
		return -1;
	}
	return config_tls_opts_json(sessions_extra(ds), sessions_tls_cred(ds),
	    o, idle_ms);
}

const char *
sessions_dtls_name(void *arg, const struct sess *s)
{
	const struct dsess	*ds = sess_get_udata(s);

	(void)arg;
	return ds != NULL ? ds->name : NULL;
}

/* A DTLS event of session ds, if anybody wants it: its data or NULL. */
static json_t *
sessions_dtls_ev(struct daemon *d, enum event_type type,
    const struct dsess *ds)
{
	if (d->events == NULL || !events_wanted(d->events, type, ds->name))
		return NULL;
	return json_pack("{s:s,s:s,s:s}", "origin", "session", "transport",
	    "dtls", "host", sessions_host(ds));
}

static void
sessions_dtls_pub(struct daemon *d, enum event_type type,
    const struct dsess *ds, json_t *data)
{
	if (data != NULL)
		events_publish(d->events, type, ds->name, data);
}

static void
sessions_dtls_err(json_t *data, int code, const char *key,
    const char *detail)
{
	if (data == NULL)
		return;
	json_object_set_new(data, "code", json_integer(code));
	json_object_set_new(data, "message",
	    json_string(snmpmgr_strerror(code)));
	json_object_set_new(data, key, json_string(detail != NULL ?
	    detail : ""));
}

void
sessions_dtls_event(void *arg, struct sess *s, enum sess_dtls_event ev,
    const struct dtls_peer_info *pi, int code, const char *detail)
{
	struct daemon		*d = arg;
	const struct dsess	*ds = sess_get_udata(s);
	json_t			*data;

	if (ds == NULL || ds->cs == NULL)
		return;
	switch (ev) {
	case SESS_DTLS_HANDSHAKE:
		if ((data = sessions_dtls_ev(d, EV_SSL_STATUS, ds)) != NULL)
			json_object_set_new(data, "status",
			    json_string("handshake"));
		sessions_dtls_pub(d, EV_SSL_STATUS, ds, data);
		break;
	case SESS_DTLS_OPEN:
		if ((data = sessions_dtls_ev(d, EV_SSL_SERVER_AUTH, ds)) !=
		    NULL) {
			json_object_set_new(data, "decision",
			    json_string("accept"));
			json_object_set_new(data, "reason",
			    json_string(dtls_accept_name(pi->accepted)));
			json_object_set_new(data, "version",
			    json_string(pi->version));
			json_object_set_new(data, "cipher",
			    json_string(pi->cipher));
			json_object_set_new(data, "certificate",
			    trap_dtls_cert_json(pi));
		}
		sessions_dtls_pub(d, EV_SSL_SERVER_AUTH, ds, data);
		if ((data = sessions_dtls_ev(d, EV_SSL_STATUS, ds)) != NULL)
			json_object_set_new(data, "status",
			    json_string("established"));
		sessions_dtls_pub(d, EV_SSL_STATUS, ds, data);
		if ((data = sessions_dtls_ev(d, EV_CONNECTED, ds)) != NULL)
			json_object_set_new(data, "fingerprint",
			    json_string(pi->sha256));
		sessions_dtls_pub(d, EV_CONNECTED, ds, data);
		break;
	case SESS_DTLS_FAILED:
		if (code == SNMPMGR_ERR_TLS_VERIFY_CHAIN ||
		    code == SNMPMGR_ERR_TLS_CERT_VERIFY ||
		    code == SNMPMGR_ERR_TLS_NO_SERVER_CERT) {
			if ((data = sessions_dtls_ev(d, EV_SSL_SERVER_AUTH,
			    ds)) != NULL)
				json_object_set_new(data, "decision",
				    json_string("reject"));
			sessions_dtls_err(data, code, "reason", detail);
			sessions_dtls_pub(d, EV_SSL_SERVER_AUTH, ds, data);
		}
		if ((data = sessions_dtls_ev(d, EV_SSL_STATUS, ds)) != NULL)
			json_object_set_new(data, "status",
			    json_string("failed"));
		sessions_dtls_err(data, code, "detail", detail);
		sessions_dtls_pub(d, EV_SSL_STATUS, ds, data);
		break;
	case SESS_DTLS_CLOSED:
		if ((data = sessions_dtls_ev(d, EV_DISCONNECTED, ds)) != NULL)
			json_object_set_new(data, "reason",
			    json_string(detail != NULL ? detail : ""));
		sessions_dtls_pub(d, EV_DISCONNECTED, ds, data);
		break;
	}
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
	ds->errdetail = "";
	ds->name = ds->cs->name;
	if ((ds->s = sess_new_blk(d->mgr, ds->cs->opts, ds->cs->host)) ==
	    NULL) {
		ds->err = snmpmgr_lasterr();
		if ((ds->errdetail = strdup(snmpmgr_lasterr_detail())) == NULL)
			ds->errdetail = "";
		log_warnx("session %s: %s (%d): %s", ds->name,
		    snmpmgr_strerror(ds->err), ds->err, ds->errdetail);
	} else
		sess_set_udata(ds->s, ds);
	return ds;
}

/* What clients' requests left on a session (sessions.h). */
struct sessions_asked {
	struct state_sess	 st;
	struct state_poll	*store;
};

static struct sessions_asked *
sessions_asked_make(struct dsess *ds)
{
	if (ds->asked == NULL)
		ds->asked = calloc(1, sizeof(*ds->asked));
	return ds->asked;
}

static void
sessions_asked_free(struct sessions_asked *a)
{
	if (a == NULL)
		return;
	if (a->store != NULL) {
		state_poll_free(a->store);
		free(a->store);
	}
	state_err_free(&a->st.err);
	free(a);
}

static void
dsess_free(const struct sessions *t, struct dsess *ds)
{
	if (t->hooks.detach != NULL)
		t->hooks.detach(t->hooks.polls, ds);
	/* Client requests on it end here, while ds is still valid. */
	sess_free(ds->s);
	ds->s = NULL;
	sessions_asked_free(ds->asked);
	sessions_rt_drop(ds);
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
sessions_set_hooks(struct sessions *t, const struct sessions_hooks *h)
{
	t->hooks = *h;
}

void
sessions_free(struct sessions *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		dsess_free(t, t->v[i]);
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
	t->changes++;
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
	t->changes++;
	dsess_free(t, ds);
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

uint64_t
sessions_changes(const struct sessions *t)
{
	return t != NULL ? t->changes : 0;
}

struct dsess *
sessions_at(const struct sessions *t, size_t i)
{
	return i < t->n ? t->v[i] : NULL;
}

const struct sess_opts *
sessions_opts(const struct dsess *ds)
{
	return ds->s != NULL ? sess_get_opts(ds->s) : ds->cs->opts;
}

const char *
sessions_host(const struct dsess *ds)
{
	return ds->s != NULL ? sess_get_host(ds->s) : ds->cs->host;
}

void
sessions_timeout_detail(const struct sess *s, uint32_t tries, char *buf,
    size_t size)
{
	const struct sockaddr	*sa;
	socklen_t		 salen = 0;
	char			 addr[TRANSPORT_ADDRSTRLEN];

	sa = sess_addr(s, &salen);
	transport_addr_str(sa, salen, true, addr, sizeof(addr));
	snprintf(buf, size, "no response from %s after %u %s", addr, tries,
	    tries == 1 ? "try" : "tries");
}

void
sessions_copy_opts(const struct dsess *ds, struct sess_opts *out)
{
	sess_opts_compose(out, sessions_opts(ds), sessions_host(ds));
}

const json_t *
sessions_extra(const struct dsess *ds)
{
	return ds->rt ? ds->rt_extra : ds->cs->extra;
}

struct dtls_cred *
sessions_tls_cred(const struct dsess *ds)
{
	return ds->rt ? ds->rt_cred : ds->cs->tls_cred;
}

void
sessions_rt_drop(struct dsess *ds)
{
	json_decref(ds->rt_extra);
	dtls_cred_free(ds->rt_cred);
	ds->rt_extra = NULL;
	ds->rt_cred = NULL;
	ds->rt = false;
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
		/* Every successful poll comes here: format only when there
		 * is something to clear. */
		if (!ds->rep.active && ds->rep.count == 0)
			return;
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

void
sessions_asked(struct dsess *ds, int error, const char *detail,
    uint32_t rtt_us, bool have_rtt)
{
	struct sessions_asked	*a;

	/* Polled sessions too: until a poll has run, the views show it. */
	if (error == SNMPMGR_ERR_INTERRUPTED ||
	    (a = sessions_asked_make(ds)) == NULL)
		return;
	if (error != 0) {
		state_err_set(&a->st.err, error, detail, state_now_ms());
		return;
	}
	a->st.last_ok_ms = state_now_ms();
	if (have_rtt)
		state_sess_rtt(&a->st, rtt_us);
}

const struct state_sess *
sessions_asked_state(const struct dsess *ds)
{
	return ds->asked != NULL ? &ds->asked->st : NULL;
}

struct state_poll *
sessions_store(const struct dsess *ds)
{
	return ds->asked != NULL ? ds->asked->store : NULL;
}

struct state_poll *
sessions_store_make(struct dsess *ds)
{
	struct sessions_asked	*a;

	if ((a = sessions_asked_make(ds)) == NULL)
		return NULL;
	if (a->store == NULL) {
		if ((a->store = malloc(sizeof(*a->store))) == NULL)
			return NULL;
		state_poll_init(a->store);
	}
	return a->store;
}

int
sessions_set_opts(struct daemon *d, struct dsess *ds, const json_t *obj,
    struct config_err *err)
{
	struct sess_opts	 o;
	struct dtls_cred	*tc;
	json_t			*extra = NULL;
	bool			 was, tls;

	if (ds->s == NULL) {
		snprintf(err->text, sizeof(err->text), "the session has no "
		    "agent address (%s): remove and add it again",
		    ds->errdetail);
		return -1;
	}
	sess_copy_opts(ds->s, &o);
	was = o.enabled;
	/* o owns a reference of its own while it is changed (session.h). */
	if (o.v3.cred != NULL)
		o.v3.cred = usm_cred_ref(o.v3.cred);
	/* Over the session's own extra options and DTLS key. */
	tc = dtls_cred_ref(sessions_tls_cred(ds));
	if (config_change_session_opts(obj, &o, sessions_extra(ds), &extra,
	    &tc, err) == -1) {
		dtls_cred_free(tc);
		sess_opts_release(&o);
		return -1;
	}
	tls = o.transport == SESS_TRANSPORT_DTLS && config_tls_touched(obj);
	if (sess_set_opts(ds->s, &o) == -1) {
		snprintf(err->text, sizeof(err->text), "%s (%d): %s",
		    snmpmgr_strerror(snmpmgr_lasterr()), snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail());
		sess_opts_release(&o);
		dtls_cred_free(tc);
		json_decref(extra);
		return -1;
	}
	sess_opts_release(&o);
	sessions_rt_drop(ds);
	ds->rt_extra = extra;
	ds->rt_cred = tc;
	ds->rt = true;
	ds->modified = true;
	/* The association was made with the old TLS options. */
	if (tls)
		sess_loop_dtls_reset(ds->s);
	if (was != sess_get_opts(ds->s)->enabled &&
	    d->sessions->hooks.enable != NULL)
		d->sessions->hooks.enable(d->sessions->hooks.polls, ds, !was);
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
	case SESS_TRANSPORT_TCP:
		return "tcp";
	case SESS_TRANSPORT_TCP6:
		return "tcp6";
	default:
		return "?";
	}
}

