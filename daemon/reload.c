/*
 * reload.c - apply a new config to the running daemon, and add or remove
 * sessions at run time (reload.h).
 *
 * A reload runs in three steps.  Load: config_load() reads and validates
 * everything; nothing is touched if it fails.  Compare: each session of
 * the new config is matched by name with the running table; its options
 * (every SPEC 2 option, its SNMPv3 settings and credential) decide whether
 * it is unchanged or must be rebuilt; running sessions the new config does
 * not name go.  Apply: removed and changed sessions are freed first (their
 * requests end as interrupted, while the old config they point into still
 * exists), unchanged ones are pointed at the new config and their polls
 * re-matched (polls_sync), then new and rebuilt ones are created, and
 * only then is the old config freed.
 *
 * session.add validates a session object the only complete way there is:
 * by loading the config files as they are on disk plus, in memory, one
 * more "file" that holds just that session (config_load_extra), so
 * templates, credentials and poll names are checked exactly as at
 * start-up; nothing is written for it.
 */
#include <config.h>		/* autoconf's */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/session.h"
#include "core/usm.h"

#include "cluster.h"
#include "conf.h"
#include "daemon.h"
#include "dirs.h"
#include "engineid.h"
#include "events.h"
#include "log.h"
#include "mib.h"
#include "polls.h"
#include "http.h"
#include "reload.h"
#include "sess_event.h"
#include "sessions.h"
#include "traps.h"

/* ------------------------------------------------------------ compare */

/* The SNMPv3 credential members of a session object. */
static const char *const cred_keys[] = { "user", "auth", "auth_password",
	"auth_key", "auth_key_type", "priv", "priv_password", "priv_key",
	"priv_key_type", "priv_key_extension", NULL };

static bool
is_cred_key(const char *key)
{
	size_t	 i;

	for (i = 0; cred_keys[i] != NULL; i++)
		if (strcmp(key, cred_keys[i]) == 0)
			return true;
	return false;
}

/*
 * The same extra options, leaving out the credential's members: they
 * say how it was given (passwords, or the keys a persisted file holds
 * for them), and v3_same compares what it is.
 */
static bool
extra_same(const json_t *a, const json_t *b)
{
	const char	*key;
	json_t		*v;
	size_t		 na = 0, nb = 0;

	json_object_foreach((json_t *)a, key, v) {
		if (is_cred_key(key))
			continue;
		if (!json_equal(v, json_object_get(b, key)))
			return false;
		na++;
	}
	json_object_foreach((json_t *)b, key, v)
		if (!is_cred_key(key))
			nb++;
	return na == nb;
}

/*
 * By value: a credential made from passwords and the one its persisted
 * form (the master keys they hash to) makes are different objects that
 * act the same.
 */
static bool
v3_same(const struct sess_v3opts *a, const struct sess_v3opts *b)
{
	return usm_cred_equal(a->cred, b->cred) && a->level == b->level &&
	    a->engine_id_len == b->engine_id_len &&
	    memcmp(a->engine_id, b->engine_id, a->engine_id_len) == 0 &&
	    a->engine_boots == b->engine_boots &&
	    a->engine_time == b->engine_time &&
	    a->engine_time_set == b->engine_time_set &&
	    a->context_engine_id_len == b->context_engine_id_len &&
	    memcmp(a->context_engine_id, b->context_engine_id,
	    a->context_engine_id_len) == 0 &&
	    strcmp(a->context_name, b->context_name) == 0 &&
	    a->msg_max_size == b->msg_max_size &&
	    a->single_step_discovery == b->single_step_discovery;
}

/* The same options (not counting the poll list, which polls_sync
 * matches poll by poll)? */
static bool
opts_same(const struct sess_opts *ablk, const char *ahost,
    const json_t *aextra, const struct config_session *b)
{
	struct sess_opts a, bo;
	json_t	*ja, *jb;
	bool	 same;

	if (!v3_same(&ablk->v3, &b->opts->v3))
		return false;
	if (!extra_same(aextra, b->extra))
		return false;
	if (strcmp(ahost, b->host) != 0)
		return false;
	/* One shared block: the same options. */
	if (ablk == b->opts)
		return true;
	sess_opts_compose(&a, ablk, ahost);
	sess_opts_compose(&bo, b->opts, b->host);
	ja = config_session_opts_json(&a, false);
	jb = config_session_opts_json(&bo, false);
	same = ja != NULL && jb != NULL && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return same;
}

static bool
cs_same(const struct config_session *a, const struct config_session *b)
{
	return opts_same(a->opts, a->host, a->extra, b);
}

/*
 * Does ds run with ncs's options already (a change made at run time and
 * persisted, which the new config now has from the overrides)?
 */
static bool
runs_as(const struct dsess *ds, const struct config_session *ncs)
{
	if (ds->s == NULL || !ds->modified)
		return false;
	return opts_same(sess_get_opts(ds->s), sess_get_host(ds->s),
	    sessions_extra(ds), ncs);
}

/*
 * Will ds, kept, run over DTLS with other TLS options or another key than
 * its association was made with (a certificate renewed on disk reads as
 * another credential)?
 */
static bool
tls_renewed(const struct dsess *ds, const struct config_session *ncs)
{
	const json_t	*a = sessions_extra(ds);

	if (ncs->opts->transport != SESS_TRANSPORT_DTLS)
		return false;
	return sessions_tls_cred(ds) != ncs->tls_cred || (a == NULL) !=
	    (ncs->extra == NULL) || (a != NULL && !json_equal((json_t *)a,
	    ncs->extra));
}

static void
note(json_t *list, const char *name)
{
	if (list != NULL)
		json_array_append_new(list, json_string(name));
}

/* ------------------------------------------------- restart-only keys */

static void
reload_warn(json_t *warnings, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Log a warning of this reload and list it in its result. */
static void
reload_warn(json_t *warnings, const char *fmt, ...)
{
	char	 buf[2 * PATH_MAX + 128];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("reload: %s", buf);
	json_array_append_new(warnings, json_string(buf));
}

static bool
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
strv_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!str_same(a[i], b[i]))
			return false;
	return true;
}

static bool
resolver_same(const struct config_resolver *a,
    const struct config_resolver *b)
{
	return strv_same(a->nameservers, a->nnameservers, b->nameservers,
	    b->nnameservers) && str_same(a->resolv_conf, b->resolv_conf) &&
	    str_same(a->hosts, b->hosts) && a->timeout_ms == b->timeout_ms;
}

static bool
limits_same(const struct config_stream_limits *a,
    const struct config_stream_limits *b)
{
	return a->max_age_ms == b->max_age_ms && a->max_size == b->max_size;
}

/* Every member but the hash, which covers the whole config. */
static bool
cluster_same(const struct config_cluster *a, const struct config_cluster *b)
{
	if (a->have != b->have)
		return false;
	if (!a->have)
		return true;
	return strcmp(a->name, b->name) == 0 &&
	    strcmp(a->node, b->node) == 0 &&
	    strv_same(a->servers, a->nservers, b->servers, b->nservers) &&
	    a->resolve_interval_ms == b->resolve_interval_ms &&
	    str_same(a->user, b->user) &&
	    str_same(a->password, b->password) &&
	    str_same(a->creds, b->creds) &&
	    str_same(a->tls_ca, b->tls_ca) &&
	    str_same(a->tls_cert, b->tls_cert) &&
	    str_same(a->tls_key, b->tls_key) &&
	    a->heartbeat_ms == b->heartbeat_ms &&
	    a->forward_timeout_ms == b->forward_timeout_ms &&
	    a->replicas == b->replicas &&
	    a->publish_polls == b->publish_polls &&
	    a->publish_traps == b->publish_traps &&
	    strv_same(a->publish_events, a->npublish_events,
	    b->publish_events, b->npublish_events) &&
	    str_same(a->spool_path, b->spool_path) &&
	    a->spool_max_size == b->spool_max_size &&
	    limits_same(&a->polls, &b->polls) &&
	    limits_same(&a->traps, &b->traps) &&
	    limits_same(&a->events, &b->events);
}

/* Exchange n octets of a and b (members of two configs). */
static void
swap_mem(void *a, void *b, size_t n)
{
	uint8_t	*x = a, *y = b, t;

	for (; n > 0; n--, x++, y++) {
		t = *x;
		*x = *y;
		*y = t;
	}
}

/*
 * What only a restart changes (snmpmgrd.conf(5) RELOAD): each key whose
 * new value differs from the one in use is named in one warning, and nc
 * takes the value in use, so that the running config always says what
 * runs, and the next reload compares with that (putting the old value
 * back is no change).  The old config, freed after, gets nc's.
 */
static void
reload_keep_restart_keys(struct daemon *d, struct config *old,
    struct config *nc, json_t *warnings)
{
	char			 hash[sizeof(nc->cluster.hash)];
	char			 hex[2 * SNMPMGR_MAX_ENGINE_ID_LEN + 3];

	/* config_reload() kept it already; it says what the files want. */
	if (nc->state_dir_asked != NULL)
		reload_warn(warnings, "state_dir changed to %s: restart "
		    "snmpmgrd to use it; %s stays in use",
		    nc->state_dir_asked, nc->state_dir);
	/* A socket given by -s stays whatever the config says. */
	if (!d->sock_given && strcmp(old->control_socket,
	    nc->control_socket) != 0)
		reload_warn(warnings, "control.socket changed: restart "
		    "snmpmgrd to move the socket; %s stays in use",
		    old->control_socket);
	swap_mem(&nc->control_socket, &old->control_socket,
	    sizeof(nc->control_socket));
	if (old->control_mode != nc->control_mode) {
		reload_warn(warnings, "control.mode changed: restart snmpmgrd "
		    "to apply it; %04o stays in use",
		    (unsigned int)old->control_mode);
		nc->control_mode = old->control_mode;
	}
	/* The ID in use; none configured now: the one kept in state_dir,
	 * which is the one in use. */
	if (nc->local_engine_id_len > 0 &&
	    (nc->local_engine_id_len != d->engine_id_len ||
	    memcmp(nc->local_engine_id, d->engine_id, d->engine_id_len) !=
	    0)) {
		engineid_format(d->engine_id, d->engine_id_len, hex,
		    sizeof(hex));
		reload_warn(warnings, "local_engine_id changed: restart "
		    "snmpmgrd to use it; %s stays in use", hex);
	}
	swap_mem(nc->local_engine_id, old->local_engine_id,
	    sizeof(nc->local_engine_id));
	swap_mem(&nc->local_engine_id_len, &old->local_engine_id_len,
	    sizeof(nc->local_engine_id_len));
	if (!resolver_same(&old->resolver, &nc->resolver))
		reload_warn(warnings, "resolver changed: restart snmpmgrd to "
		    "apply it");
	swap_mem(&nc->resolver, &old->resolver, sizeof(nc->resolver));
	/* But the hash, of the files as they are now: what the node
	 * announces, so that nodes given the same files agree. */
	if (!cluster_same(&old->cluster, &nc->cluster))
		reload_warn(warnings, "cluster changed: restart snmpmgrd to "
		    "apply it");
	memcpy(hash, nc->cluster.hash, sizeof(hash));
	swap_mem(&nc->cluster, &old->cluster, sizeof(nc->cluster));
	memcpy(nc->cluster.hash, hash, sizeof(hash));
}

/* ------------------------------------------------------------ reload */

static void
reload_refused(struct daemon *d, const struct config_err *err)
{
	log_warnx("reload: refused, the running config stays: %s", err->text);
	if (events_wanted(d->events, EV_CONFIG, NULL))
		events_publish(d->events, EV_CONFIG, NULL, json_pack(
		    "{s:s,s:s,s:s}", "status", "refused", "path",
		    d->conf_path, "error", err->text));
}

int
reload_apply(struct daemon *d, struct config_err *err, json_t **summary)
{
	struct config		*nc = NULL, *old = d->conf;
	const struct config_session *ncs;
	struct sess_opts	 no;
	struct dsess		*ds;
	struct dsess		**gone = NULL, **keep = NULL;
	const struct config_session **make = NULL;
	json_t			*added, *removed, *changed, *warnings, *res;
	size_t			 i, ngone = 0, nkeep = 0, nmake = 0, n;
	size_t			 nchanged = 0;
	char			 perr[256], mono[64];
	struct timespec		 ts;
	bool			 was, renew;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(mono, sizeof(mono), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	daemon_notify(mono);
	*summary = NULL;
	memset(err, 0, sizeof(*err));
	if ((nc = config_reload(d->conf_path, old, err)) == NULL) {
		reload_refused(d, err);
		daemon_notify("READY=1");
		return -1;
	}
	added = json_array();
	removed = json_array();
	changed = json_array();
	warnings = json_array();

	n = sessions_count(d->sessions);
	if ((gone = calloc(n + 1, sizeof(*gone))) == NULL ||
	    (keep = calloc(n + 1, sizeof(*keep))) == NULL ||
	    (make = calloc(nc->nsessions + 1, sizeof(*make))) == NULL) {
		snprintf(err->text, sizeof(err->text), "reload: out of memory");
		goto fail;
	}
	/* Compare: every running session is kept or goes... */
	for (i = 0; i < n; i++) {
		ds = sessions_at(d->sessions, i);
		ncs = config_find_session(nc, ds->name);
		if (ncs == NULL) {
			gone[ngone++] = ds;
			note(removed, ds->name);
		} else if (ds->s != NULL && (cs_same(ds->cs, ncs) ||
		    runs_as(ds, ncs)))
			keep[nkeep++] = ds;
		else {
			gone[ngone++] = ds;
			make[nmake++] = ncs;
			note(changed, ds->name);
			nchanged++;
		}
	}
	/* ...and every new one is made. */
	for (i = 0; i < nc->nsessions; i++)
		if (sessions_find(d->sessions, nc->sessions[i].name) == NULL) {
			make[nmake++] = &nc->sessions[i];
			note(added, nc->sessions[i].name);
		}

	reload_keep_restart_keys(d, old, nc, warnings);

	/* Apply.  Removed and rebuilt ones first, while old exists. */
	for (i = 0; i < ngone; i++)
		sessions_destroy(d->sessions, gone[i]);
	d->conf = nc;
	mib_set_current(nc->mib);
	if (d->cluster != NULL)
		cluster_set_hash(d->cluster, nc->cluster.hash);
	if (d->http != NULL && nc->have_http)
		http_reconfigure(d->http, &nc->http);
	else if ((d->http != NULL) != nc->have_http)
		log_warnx("reload: the http section takes effect at the next "
		    "restart");
	for (i = 0; i < nc->nwarnings; i++) {
		log_warnx("reload: %s", nc->warnings[i]);
		json_array_append_new(warnings, json_string(nc->warnings[i]));
	}
	for (i = 0; i < nkeep; i++) {
		ds = keep[i];
		ncs = config_find_session(nc, ds->name);
		renew = tls_renewed(ds, ncs);
		/* The name too: the old config goes. */
		ds->cs = ncs;
		ds->name = ncs->name;
		if (ds->runtime) {
			/* A persisted addition: the config has it now. */
			sessions_cs_free(ds->own);
			ds->own = NULL;
			ds->runtime = false;
		}
		if (ds->modified) {
			/* Run-time changes end at a reload. */
			was = sess_get_opts(ds->s)->enabled;
			sess_opts_compose(&no, ncs->opts, ncs->host);
			if (sess_set_opts(ds->s, &no) == 0) {
				sessions_rt_drop(ds);
				ds->modified = false;
				if (was != ncs->opts->enabled)
					polls_enable(d->polls, ds,
					    ncs->opts->enabled);
			}
		}
		if (renew)
			sess_loop_dtls_reset(ds->s);
		if (polls_sync(d->polls, ds, perr, sizeof(perr)) == -1) {
			log_warnx("reload: %s", perr);
			json_array_append_new(warnings, json_string(perr));
		}
	}
	for (i = 0; i < nmake; i++) {
		if ((ds = sessions_create(d->sessions, make[i], false)) ==
		    NULL) {
			snprintf(perr, sizeof(perr), "session %s: cannot be "
			    "created: out of memory", make[i]->name);
			log_warnx("reload: %s", perr);
			json_array_append_new(warnings, json_string(perr));
			continue;
		}
		if (polls_attach(d->polls, ds, perr, sizeof(perr)) == -1) {
			log_warnx("reload: %s", perr);
			json_array_append_new(warnings, json_string(perr));
		}
	}
	polls_configure(d->polls, nc);
	if (old->have_traps || nc->have_traps)
		d->traps = traps_reload(d, d->traps, nc, warnings);
	log_init(nc->log_level, nc->log_syslog);
	config_free(old);

	log_info("reload: applied %s: %zu added, %zu removed, %zu changed, "
	    "%zu unchanged", d->conf_path, json_array_size(added),
	    json_array_size(removed), nchanged, nkeep);
	res = json_pack("{s:s,s:o,s:o,s:o,s:I,s:o}", "path", d->conf_path,
	    "added", added, "removed", removed, "changed", changed,
	    "unchanged", (json_int_t)nkeep, "warnings", warnings);
	if (res != NULL && events_wanted(d->events, EV_CONFIG, NULL)) {
		json_t *ev = json_deep_copy(res);

		if (ev != NULL)
			json_object_set_new(ev, "status", json_string("applied"));
		events_publish(d->events, EV_CONFIG, NULL, ev);
	}
	*summary = res;
	free(gone);
	free(keep);
	free(make);
	daemon_notify("READY=1");
	return 0;
 fail:
	json_decref(added);
	json_decref(removed);
	json_decref(changed);
	json_decref(warnings);
	free(gone);
	free(keep);
	free(make);
	config_free(nc);
	reload_refused(d, err);
	daemon_notify("READY=1");
	return -1;
}

/* ----------------------------------------------------- run-time adds */

/* Letters, digits, '.', '-', '_', not starting with '.': safe as a file
 * name. */
static bool
name_is_filename(const char *s)
{
	if (*s == '\0' || *s == '.' || strlen(s) > 200)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

char *
reload_persist_path(const struct daemon *d, const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s/%s.json", d->conf->state_dir,
	    CONFIG_OWNED_SESSIONS, name) == -1)
		return NULL;
	return p;
}

/*
 * Write doc to path as a file of our own: created 0600 under a new
 * temporary name in the same directory (O_CREAT|O_EXCL, so nothing that
 * was there is followed or reused), synced, renamed into place, and the
 * directory synced.  0, or -1 with errno.
 */
static int
write_owned(const char *path, const json_t *doc)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX], *text, *slash;
	size_t	 len, off = 0;
	ssize_t	 w;
	int	 fd, dfd, saved;

	if ((slash = strrchr(path, '/')) == NULL ||
	    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >=
	    (int)sizeof(dir) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, slash + 1,
	    (long)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL) {
		errno = ENOMEM;
		return -1;
	}
	len = strlen(text);
	(void)unlink(tmp);	/* left by an earlier crash of ours */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail;
	while (off < len) {
		if ((w = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	OPENSSL_cleanse(text, len);	/* may hold a community */
	free(text);
	return 0;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	OPENSSL_cleanse(text, len);
	free(text);
	errno = saved;
	return -1;
}

/*
 * obj (session options as a client gave them) as snmpmgrd writes it to a
 * file: when it sets any credential member, the credential o ended up with
 * replaces them all, as keys (master or localized, as o holds them), so no
 * password is written.  A community stays as given (it cannot be hashed).
 * New reference, or NULL.
 */
static json_t *
persist_form(const json_t *obj, const struct sess_opts *o)
{
	json_t	*out, *all = NULL, *v;
	size_t	 i;
	bool	 cred = false;

	if ((out = json_deep_copy(obj)) == NULL)
		return NULL;
	for (i = 0; cred_keys[i] != NULL; i++)
		if (json_object_get(out, cred_keys[i]) != NULL)
			cred = true;
	if (!cred)
		return out;
	if ((all = config_session_opts_json(o, false)) == NULL)
		goto fail;
	for (i = 0; cred_keys[i] != NULL; i++) {
		(void)json_object_del(out, cred_keys[i]);
		/* A copy: wiping all below must not reach out's. */
		if ((v = json_object_get(all, cred_keys[i])) != NULL &&
		    json_object_set_new(out, cred_keys[i],
		    json_deep_copy(v)) == -1)
			goto fail;
	}
	config_json_wipe_secrets(all);
	json_decref(all);
	return out;
 fail:
	config_json_wipe_secrets(all);
	json_decref(all);
	config_json_wipe_secrets(out);
	json_decref(out);
	return NULL;
}

/* STATE_DIR/overrides.json as it is now ({"sessions": {}} when absent),
 * or NULL with err. */
static json_t *
overrides_read(const char *path, struct config_err *err)
{
	json_t		*root;
	json_error_t	 jerr;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		if (access(path, F_OK) == 0) {
			snprintf(err->text, sizeof(err->text), "persist: %s "
			    "cannot be read: %s", path, jerr.text);
			return NULL;
		}
		root = json_object();
	}
	if (root != NULL && !json_is_object(json_object_get(root,
	    "sessions")))
		(void)json_object_set_new(root, "sessions", json_object());
	if (root == NULL || json_object_get(root, "sessions") == NULL) {
		json_decref(root);
		snprintf(err->text, sizeof(err->text), "persist: out of "
		    "memory");
		return NULL;
	}
	return root;
}

/*
 * Rewrite the overrides with name's entry updated by opts (set, or
 * dropped when opts is NULL); entries of sessions neither running nor in
 * the running config go.
 */
static int
overrides_update(struct daemon *d, const char *name, const json_t *opts,
    struct config_err *err)
{
	json_t		*root, *ss, *ent, *v;
	const char	*key;
	void		*tmp;
	char		*path;
	int		 rv = -1;

	if (asprintf(&path, "%s/%s", d->conf->state_dir, CONFIG_OVERRIDES) ==
	    -1) {
		snprintf(err->text, sizeof(err->text), "persist: out of "
		    "memory");
		return -1;
	}
	if ((root = overrides_read(path, err)) == NULL)
		goto out;
	ss = json_object_get(root, "sessions");
	json_object_foreach_safe(ss, tmp, key, v)
		if (sessions_find(d->sessions, key) == NULL &&
		    config_find_session(d->conf, key) == NULL)
			(void)json_object_del(ss, key);
	if (opts == NULL)
		(void)json_object_del(ss, name);
	else {
		if ((ent = json_object_get(ss, name)) == NULL) {
			ent = json_object();
			if (json_object_set_new(ss, name, ent) == -1)
				ent = NULL;
		}
		if (ent == NULL || json_object_update(ent, (json_t *)opts) ==
		    -1) {
			snprintf(err->text, sizeof(err->text), "persist: out "
			    "of memory");
			goto out;
		}
	}
	if (json_object_size(ss) == 0 && opts == NULL) {
		if (unlink(path) == -1 && errno != ENOENT)
			goto fail;
	} else if (write_owned(path, root) == -1)
		goto fail;
	rv = 0;
	goto out;
 fail:
	snprintf(err->text, sizeof(err->text), "persist: %s: %s", path,
	    strerror(errno));
 out:
	config_json_wipe_secrets(root);
	json_decref(root);
	free(path);
	return rv;
}

int
reload_persist_check(const json_t *opts, struct config_err *err)
{
	if (json_object_get(opts, "key_password") == NULL)
		return 0;
	snprintf(err->text, sizeof(err->text), "persist: key_password is "
	    "a secret and is written to no file: give it in the "
	    "configuration files, or use a key without a pass phrase");
	return -1;
}

int
reload_persist_opts(struct daemon *d, struct dsess *ds, const json_t *opts,
    struct config_err *err)
{
	json_t	*form;
	int	 rv;

	memset(err, 0, sizeof(*err));
	if (ds->s == NULL || (form = persist_form(opts,
	    sess_get_opts(ds->s))) == NULL) {
		snprintf(err->text, sizeof(err->text), "persist: out of "
		    "memory");
		return -1;
	}
	rv = overrides_update(d, ds->name, form, err);
	config_json_wipe_secrets(form);
	json_decref(form);
	if (rv == 0)
		log_info("session %s: run-time options persisted", ds->name);
	return rv;
}

int
reload_add_session(struct daemon *d, const char *name, const json_t *obj,
    bool persist, struct config_err *err)
{
	struct config	*c = NULL;
	const struct config_session *cs;
	struct dsess	*ds = NULL;
	json_t		*doc = NULL, *pdoc = NULL, *form = NULL;
	char		 dir[PATH_MAX], perr[256];
	char		*ppath = NULL;
	bool		 wrote = false;
	int		 rv = -1;

	memset(err, 0, sizeof(*err));
	if (sessions_find(d->sessions, name) != NULL) {
		snprintf(err->text, sizeof(err->text), "session \"%s\" exists "
		    "already", name);
		return -1;
	}
	if (persist && !name_is_filename(name)) {
		snprintf(err->text, sizeof(err->text), "persist: the name "
		    "\"%s\" cannot be a file name (letters, digits, '.', '-', "
		    "'_')", name);
		return -1;
	}
	if (persist && reload_persist_check(obj, err) == -1)
		return -1;
	if ((doc = json_pack("{s:{s:O}}", "sessions", name, obj)) == NULL) {
		snprintf(err->text, sizeof(err->text), "cannot check the "
		    "session: out of memory");
		goto out;
	}
	/* Against the running config, whatever the files say now. */
	if ((c = config_load_running(d->conf, doc, "session.add", err)) ==
	    NULL)
		goto out;
	if ((cs = config_find_session(c, name)) == NULL) {
		snprintf(err->text, sizeof(err->text), "session \"%s\" did "
		    "not load", name);
		goto out;
	}
	if (persist) {
		/* In our own directory, keys for passwords, mode 0600. */
		if ((ppath = reload_persist_path(d, name)) == NULL ||
		    (form = persist_form(obj, cs->opts)) == NULL ||
		    (pdoc = json_pack("{s:{s:O}}", "sessions", name, form)) ==
		    NULL) {
			snprintf(err->text, sizeof(err->text), "persist: out "
			    "of memory");
			goto out;
		}
		snprintf(dir, sizeof(dir), "%s/%s", d->conf->state_dir,
		    CONFIG_OWNED_SESSIONS);
		if (dirs_make(dir, 0750, 0700) == -1 ||
		    write_owned(ppath, pdoc) == -1) {
			snprintf(err->text, sizeof(err->text), "persist: %s: "
			    "%s", ppath, strerror(errno));
			goto out;
		}
		wrote = true;
	}
	if ((ds = sessions_create(d->sessions, cs, true)) == NULL) {
		snprintf(err->text, sizeof(err->text), "cannot add the session: "
		    "out of memory");
		goto out;
	}
	if (ds->s == NULL) {
		/* Its socket could not be made (a busy forced local port):
		 * refused now rather than added in state "error". */
		snprintf(err->text, sizeof(err->text), "error %d: %s: %s",
		    ds->err, snmpmgr_strerror(ds->err), ds->errdetail);
		sessions_destroy(d->sessions, ds);
		goto out;
	}
	if (polls_attach(d->polls, ds, perr, sizeof(perr)) == -1) {
		snprintf(err->text, sizeof(err->text), "%s", perr);
		sessions_destroy(d->sessions, ds);
		goto out;
	}
	log_info("session %s added at run time%s", name, persist ?
	    " and persisted" : "");
	rv = 0;
 out:
	if (rv == -1 && wrote)
		unlink(ppath);
	config_free(c);
	json_decref(doc);
	config_json_wipe_secrets(pdoc);
	json_decref(pdoc);
	config_json_wipe_secrets(form);
	json_decref(form);
	free(ppath);
	return rv;
}

/*
 * Is path a file session.add wrote for name: in our directory, holding
 * that one session and nothing else?
 */
static bool
persisted_by_us(const char *path, const char *name)
{
	json_t		*root, *ss;
	json_error_t	 jerr;
	bool		 ours;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return false;
	ss = json_object_get(root, "sessions");
	ours = json_object_size(root) == 1 && json_object_size(ss) == 1 &&
	    json_object_get(ss, name) != NULL;
	config_json_wipe_secrets(root);
	json_decref(root);
	return ours;
}

int
reload_remove_session(struct daemon *d, const char *name, bool *unpersisted,
    struct config_err *err)
{
	struct config_err oerr;
	struct dsess	*ds;
	char		*ppath;

	*unpersisted = false;
	memset(err, 0, sizeof(*err));
	if ((ds = sessions_find(d->sessions, name)) == NULL) {
		snprintf(err->text, sizeof(err->text), "unknown session \"%s\"",
		    name);
		return -1;
	}
	/* Only ever what session.add --persist wrote for it. */
	if (name_is_filename(name) &&
	    (ppath = reload_persist_path(d, name)) != NULL) {
		if (access(ppath, F_OK) == 0 && !persisted_by_us(ppath, name))
			log_warnx("session %s: %s is not as session.add wrote "
			    "it: left in place", name, ppath);
		else if (unlink(ppath) == 0)
			*unpersisted = true;
		else if (errno != ENOENT)
			log_warn("session %s: cannot remove %s", name, ppath);
		free(ppath);
	}
	sessions_destroy(d->sessions, ds);
	/* Its persisted options go with a persisted addition. */
	if (*unpersisted && overrides_update(d, name, NULL, &oerr) == -1)
		log_warnx("session %s: %s", name, oerr.text);
	log_info("session %s removed at run time%s", name, *unpersisted ?
	    " and from its persisted file" : "");
	return 0;
}
