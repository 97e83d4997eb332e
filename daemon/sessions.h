/*
 * sessions.h - the table of sessions, by name: those of the config and
 * those added at run time through the control socket.
 *
 * Each entry (struct dsess) has one core session (struct sess), its
 * scheduled polls (polls.c) and its latest results.  A session whose agent
 * address cannot be set up stays in the table without a core session and
 * answers every request with the error that prevented it, so a typo in one
 * host does not take the daemon down.  Entries do not move in memory while
 * they exist (the table is an array of pointers, sorted by name), so other
 * modules may hold a struct dsess * until the session is destroyed.
 */
#ifndef SNMPMGRD_SESSIONS_H
#define SNMPMGRD_SESSIONS_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "log.h"
#include "sess_dtls.h"

typedef struct json_t json_t;

struct config;
struct config_err;
struct config_session;
struct daemon;
struct dtls_cred;
struct polls;
struct psess;
struct sess;
struct sess_opts;
struct sessions;
struct sessions_asked;
struct state_poll;
struct state_sess;

/* Fields ordered without holes: there is one per session. */
struct dsess {
	const char		*name;	/* cs->name, re-pointed with cs */
	/*
	 * What the session was made from: an entry of the daemon's config
	 * (re-pointed to the new config by a reload), or, for a session
	 * added at run time, own (owned here, freed with the session).
	 */
	const struct config_session *cs;
	struct config_session	*own;
	struct sess		*s;	/* NULL if it could not be created */
	const char		*errdetail; /* "" or owned text */
	struct psess		*ps;	/* its polls and results (polls.c) */
	struct sessions_asked	*asked;	/* what clients' requests left,
					 * NULL until first asked */
	struct log_repeat	 rep;	/* repeated request failures */
	/*
	 * Once options were changed at run time (rt): the session's extra
	 * options (config_session.extra's with the changes over them:
	 * DTLS, mask_sensitive_data, decrypt_trace ...; NULL: none) and
	 * what was read of its DTLS files (a reference; NULL: none), in
	 * place of cs's (sessions_extra, sessions_tls_cred).  A reload
	 * that keeps the session drops them.
	 */
	json_t			*rt_extra;
	struct dtls_cred	*rt_cred;
	/* The bad packets matched to the session (log once, then debug;
	 * packets.c). */
	struct log_repeat	 rep_bad;
	uint64_t		 bad_last_ms;	/* wall clock; 0: none yet */
	int			 bad_code;
	int			 err;	/* why s is NULL */
	/* Cluster mode (cluster.c): 1 + the owner's index in the cluster's
	 * node names, 0 when none yet; cl_mine: this node owns it. */
	int			 cl_owner;
	bool			 cl_mine;
	bool			 rt;		/* rt_extra, rt_cred in force */
	bool			 runtime;	/* added through the socket */
	bool			 modified;	/* options changed at run time */
};

/* Sessions for every session of c (which must outlive the entries that
 * point into it; a reload re-points them).  Their polls are attached by
 * polls.c afterwards. */
struct sessions	*sessions_new(struct daemon *d, const struct config *c);
/* Frees every entry; requests in flight end as interrupted. */
void		 sessions_free(struct sessions *t);

/*
 * Who follows the entries' polls (polls.c; main.c sets them once the
 * table exists): detach runs before an entry's core session is freed,
 * enable when sessions_set_opts turns "enabled" on or off.  The table
 * does not include polls.h, so the two modules do not depend on each
 * other both ways.
 */
struct sessions_hooks {
	void		(*detach)(struct polls *P, struct dsess *ds);
	void		(*enable)(struct polls *P, struct dsess *ds, bool on);
	struct polls	*polls;
};
void		 sessions_set_hooks(struct sessions *t,
		    const struct sessions_hooks *h);

/*
 * A new entry for cs (copied into the entry when own is true, for
 * run-time additions) with its core session; polls are not attached.
 * NULL when the name exists already or memory runs out.
 */
struct dsess	*sessions_create(struct sessions *t,
		    const struct config_session *cs, bool own);
/* Detach its polls, free its core session (requests in flight end as
 * interrupted, their callbacks still seeing ds), remove and free it. */
void		 sessions_destroy(struct sessions *t, struct dsess *ds);

struct dsess	*sessions_find(struct sessions *t, const char *name);
size_t		 sessions_count(const struct sessions *t);
/* How many entries were created and destroyed so far: what changed
 * since a reading, when it differs. */
uint64_t	 sessions_changes(const struct sessions *t);
size_t		 sessions_enabled(const struct sessions *t);
/* Entry i in name order (i < sessions_count). */
struct dsess	*sessions_at(const struct sessions *t, size_t i);

/* The options the session runs with (its config's when it has no core
 * session). */
const struct sess_opts *sessions_opts(const struct dsess *ds);
const char	*sessions_host(const struct dsess *ds);
void		 sessions_copy_opts(const struct dsess *ds,
		    struct sess_opts *out);
/* Its extra options (config_session.extra, NULL: none) and what was
 * read of its DTLS files (NULL: none), as changed at run time. */
const json_t	*sessions_extra(const struct dsess *ds);
struct dtls_cred *sessions_tls_cred(const struct dsess *ds);
/* Drop what run-time changes left beside the options (a reload). */
void		 sessions_rt_drop(struct dsess *ds);

/* Note the outcome of a request on ds for the log (0 = success). */
void		 sessions_note(struct dsess *ds, int error, const char *detail);

/*
 * What clients' requests (not polls) left on a session: made when first
 * asked, so a session never asked costs nothing more.
 *
 * sessions_asked() records how one ended (op.c, for every request, walk
 * and discovery on a configured session): error 0 an answer (its RTT
 * folded into the smoothed RTT when have_rtt), otherwise the error and
 * detail; SNMPMGR_ERR_INTERRUPTED is neither.  The views show it for a
 * session without polls, and for one until a poll of it has run (then
 * its polls', polls.c).
 * sessions_asked_state() is NULL when nothing was recorded.
 *
 * sessions_store() is what ad-hoc operations stored ("store": true),
 * NULL when none; sessions_store_make() makes it when missing (NULL
 * when memory runs out).
 */
void		 sessions_asked(struct dsess *ds, int error, const char *detail,
		    uint32_t rtt_us, bool have_rtt);
const struct state_sess *sessions_asked_state(const struct dsess *ds);
struct state_poll *sessions_store(const struct dsess *ds);
struct state_poll *sessions_store_make(struct dsess *ds);

/*
 * Change options at run time: obj holds option names and values as in
 * the config (SPEC 2), over the session's own (a DTLS session's files
 * are read again only when cert, key or key_password change; its
 * association is closed and opened anew with the new options when a TLS
 * option changes); "enabled" also starts or stops its polls.  0, or -1
 * with err.  Runtime changes last until the next reload.
 */
int		 sessions_set_opts(struct daemon *d, struct dsess *ds,
		    const json_t *obj, struct config_err *err);

/* "1", "2c", "3". */
const char	*sessions_version_name(int version);
/* "udp", "udp6", "dtls". */
const char	*sessions_transport_name(int transport);

/*
 * The detail of a request of s that timed out after tries sent (201): "no
 * response from HOST:PORT after N tries", for control replies, events and
 * poll errors alike.
 */
void		 sessions_timeout_detail(const struct sess *s, uint32_t tries,
		    char *buf, size_t size);

/* Free what a config_session copy made for a run-time session owns. */
void		 sessions_cs_free(struct config_session *cs);
/* A deep copy (own references to the credential and extra options). */
struct config_session *sessions_cs_dup(const struct config_session *cs);

/*
 * The DTLS options of a configured session (sess_dtls.h's
 * sess_dtls_opts_fn, for sess_loop_set_dtls()).
 */
struct dtls_opts;
int	 sessions_dtls_opts(void *arg, struct sess *s, struct dtls_opts *o,
	    uint32_t *idle_ms);
/* Its events (sess_dtls_event_fn), arg the daemon: connected,
 * disconnected, ssl-status, ssl-server-authentication. */
void	 sessions_dtls_event(void *arg, struct sess *s,
	    enum sess_dtls_event ev, const struct dtls_peer_info *pi,
	    int code, const char *detail);
/* Its name for the DTLS binding's log lines (sess_dtls_name_fn): the
 * session's, NULL for an inline target's temporary session. */
const char *sessions_dtls_name(void *arg, const struct sess *s);

#endif /* SNMPMGRD_SESSIONS_H */
