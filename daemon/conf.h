/*
 * conf.h - snmpmgrd's configuration: load a JSON file (and its includes),
 * validate all of it, and hand back a complete struct config, or an error
 * naming file, line and column.  Nothing here touches running state, so a
 * reload can build a new config and compare it with the running one.
 */
#ifndef SNMPMGRD_CONFIG_H
#define SNMPMGRD_CONFIG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dtls.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/session.h"

typedef struct json_t json_t;
struct mib;
struct usm_cred;

/* Where and why a config (or an inline target) was rejected. */
struct config_err {
	char	 text[512];	/* "FILE:LINE:COL: message" or "key: message" */
};

/* A named poll definition (SPEC 8 "polls"); scheduled by the poller. */
struct config_poll {
	char		 name[SNMPMGR_MAX_NAME_LEN + 1];
	bool		 is_walk;	/* "walk" (subtrees) or "get" (OIDs) */
	bool		 is_table;	/* "table": a walk of the columns in
					   oids together (is_walk too) */
	struct oid	*oids;
	size_t		 noids;
	uint32_t	 interval_ms;
	uint32_t	 jitter_ms;
	uint32_t	 timeout_ms;	/* 0 = the session's */
	int32_t		 retries;	/* -1 = the session's */
	uint32_t	 max_repetitions; /* 0 = the session's */
	bool		 use_getnext;
	/*
	 * Counter rates: "rate" of the poll, and per OID (entries written
	 * {"oid": ..., "rate": BOOL}) CONF_RATE_ON / _OFF, or 0 to follow
	 * the poll; NULL when no entry says.  Read through config_poll_rate.
	 */
	bool		 rate;
	uint8_t		*oid_rate;
	bool		 any_rate;	/* some OID of the poll asks */
	/*
	 * A get poll's request varbinds (its OIDs, NULL values), encoded
	 * once at load: every request copies them (core/pdu.h, struct
	 * snmp_vbl).  NULL for walks, or when they could not be encoded
	 * (the request then says why).
	 */
	uint8_t		*vbl;
	size_t		 vbl_len;
	/*
	 * "labels": columns whose value in the same table row becomes a
	 * label of each value the HTTP exporter shows (snmp_exporter's
	 * lookups): their OIDs and label names (the MIB label, else
	 * "oid_1_3_..."), nlabels of each.
	 */
	struct oid	*label_oids;
	char		(*label_names)[SNMPMGR_MAX_NAME_LEN + 1];
	size_t		 nlabels;
};
#define CONF_RATE_ON	1
#define CONF_RATE_OFF	2
/* Does OID i of p ask for rates? */
bool	 config_poll_rate(const struct config_poll *p, size_t i);

struct config_session {
	char		*name;
	/* Defaults, then template, then own: a shared block (core/
	 * sess_opts.c, a reference the config owns) and the host. */
	const struct sess_opts *opts;
	char		*host;
	char		**polls;	/* names of config_poll entries */
	uint32_t	 npolls;	/* <= CONFIG_MAX_LIST */
	/*
	 * polls (the vector and its names), template_name and credentials
	 * are the config's, shared by every entry with the same ones
	 * (struct config's pool), not the entry's: freed with the config.
	 * A copy (sessions_cs_dup) owns its own.
	 */
	bool		 pooled;
	/* host is in name's allocation, after it (config entries): not
	 * freed alone. */
	bool		 host_in_name;
	char		*template_name;		/* NULL = none */
	char		*credentials;		/* NULL = none */
	/*
	 * The options of SPEC 2 beyond the plain ones of struct sess_opts
	 * (SNMPv3 USM: user, auth, auth_password, priv, ..., which are also
	 * in opts.v3 typed, with the credential made from them; DTLS: cert,
	 * key, ca, server_fingerprint, security_name; mask_sensitive_data,
	 * decrypt_trace), syntax-checked and merged in the same order as opts
	 * (defaults, template's credentials, template, session's credentials,
	 * session).  A JSON object owned by the config; NULL when empty.
	 * opts->v3.cred is a reference its block owns.
	 */
	json_t		*extra;
	/*
	 * transport "dtls": our certificate, chain and key, read when the
	 * config was loaded (an encrypted key decrypted then; its password
	 * is "***" in extra).  A reference the entry owns; NULL otherwise.
	 */
	struct dtls_cred *tls_cred;
};

struct config_trap_listen {
	char		 spec[300];	/* as written: "udp:0.0.0.0:162" */
	enum sess_transport transport;
	char		 host[256];
	uint16_t	 port;
};

/*
 * One entry of traps.users beyond its name: its credentials set parsed
 * once, here, as sessions' credentials are (passwords hashed to master
 * keys; no plaintext is kept).
 */
struct config_trap_user {
	/*
	 * The credential, or two for priv_key_extension "auto" (Blumenthal,
	 * then Reeder): references the config owns.  ncreds 0 when the set
	 * makes no credential (no user name, a key that does not fit its
	 * algorithm ...): err and err_detail (SPEC 5) say why, for the trap
	 * receiver to report when it takes the users.
	 */
	struct usm_cred	*creds[2];
	size_t		 ncreds;
	int		 err;
	char		 err_detail[256];
	/* Sender engine IDs its traps may come from; none: any. */
	uint8_t		(*engines)[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		*englens;
	size_t		 nengines;
};

/*
 * traps.tls: what the DTLS listeners (RFC 6353) present and how they map
 * a sender's certificate to a tmSecurityName.  Files are checked when the
 * config is loaded (readable, key matching, dates).
 */
struct config_traps_tls {
	bool		 have;		/* a "tls" object was given */
	char		*cert;		/* absolute paths */
	char		*key;		/* NULL: in the cert file */
	/* PKCS#12 or encrypted PEM; a secret, wiped and NULL once the
	 * files are read into cred at load. */
	char		*key_password;
	struct dtls_cred *cred;		/* our certificate and key, read */
	char		*ca;		/* file or directory; NULL: none */
	struct dtls_map_rule *map;	/* cert_to_name, in order */
	size_t		 nmap;
	bool		 use_prefix;	/* tsm_use_prefix: "dtls:" names */
	uint32_t	 max_associations;	/* per listener */
	uint32_t	 max_handshakes;	/* in progress, per listener */
	uint32_t	 idle_timeout_ms;
	uint32_t	 handshake_timeout_ms;
	/* Our certificate expires within 30 days: said by -t and at
	 * start-up (empty when not). */
	char		 warning[256];
};

/*
 * A DTLS session's options from the keys of a session's extra options or
 * a target object (pointers into obj's strings), with cred (NULL: none) as
 * what was read from its files, and its dtls_idle_timeout (or the
 * default) into *idle_ms; a masked key_password without cred is refused
 * (399).  0, or -1 with lasterr.
 */
int	 config_tls_opts_json(const json_t *obj, struct dtls_cred *cred,
	    struct dtls_opts *o, uint32_t *idle_ms);

/* The listener's DTLS options from t (pointers into t). */
void	 config_traps_tls_opts(const struct config_traps_tls *t,
	    struct dtls_opts *o);
/* Free what t holds (the key password wiped first). */
void	 config_traps_tls_free(struct config_traps_tls *t);

/* traps.tcp: the bounds of the tcp:/tcp6: listeners (RFC 3430). */
struct config_traps_tcp {
	uint32_t	 max_connections;	/* per listener */
	uint32_t	 idle_timeout_ms;
	uint32_t	 message_timeout_ms;	/* to finish a message begun */
};

struct config_traps {
	struct config_trap_listen *listen;
	size_t		 nlisten;
	char		**communities;
	size_t		 ncommunities;
	char		**users;	/* names of credentials entries */
	struct config_trap_user *user_info; /* nusers of them */
	size_t		 nusers;
	bool		 auto_ack;	/* acknowledge informs; default true */
	/* ack_after "cluster": an inform's acknowledgement waits for
	 * JetStream's PubAck too (default "journal": the journal only). */
	bool		 ack_after_cluster;
	uint64_t	 receive_buffer; /* SO_RCVBUF bytes; default 8 MiB */
	char		*journal_path;	/* absolute */
	uint64_t	 journal_max_size;
	uint32_t	 journal_keep;
	char		 journal_fsync[16];
	uint32_t	 journal_interval_ms; /* fsync "interval" period */
	struct config_traps_tls tls;
	struct config_traps_tcp tcp;
};

/* "scheduler" (poll_sched.h); 0 everywhere means the built-in default. */
struct config_scheduler {
	uint32_t	 max_in_flight;		/* polls running at once */
	uint32_t	 session_in_flight;	/* per session */
	uint32_t	 down_after;		/* unanswered runs in a row */
	uint32_t	 backoff_min_ms;	/* first probe wait when down */
	uint32_t	 backoff_max_ms;	/* longest probe wait */
	uint32_t	 batch_ms;		/* turns due this close start
						 * in one wake-up */
};

/* "scheduler.batch_window" when not given, ms. */
#define CONFIG_DEF_BATCH_MS	50

/*
 * "resolver": how host names are looked up (resolve.h).  NULL and 0
 * everywhere: the system's resolv.conf and hosts file, 5 s.
 */
struct config_resolver {
	char		**nameservers;		/* "IP" or "IP:PORT" */
	size_t		 nnameservers;
	char		*resolv_conf;		/* a private resolv.conf */
	char		*hosts;			/* a private hosts file */
	uint32_t	 timeout_ms;
};

/* "http": the Prometheus endpoint (daemon/http.c); opt-in. */
struct config_http_listen {
	char		 spec[300];	/* as written: "127.0.0.1:9116" */
	char		 host[256];	/* numeric address */
	uint16_t	 port;
};

struct config_http {
	struct config_http_listen *listen;
	size_t		 nlisten;
	uint32_t	 max_connections;	/* open at once, all listeners */
	uint32_t	 max_header_size;	/* request line and headers */
	uint64_t	 max_response_size;
	uint32_t	 request_timeout_ms;	/* to receive a request's head */
	uint32_t	 idle_timeout_ms;	/* between keep-alive requests */
	uint32_t	 write_timeout_ms;	/* without sending progress */
	uint32_t	 max_probes;		/* /probe requests waiting */
	uint32_t	 probe_timeout_ms;
	uint32_t	 cache_ms;		/* reuse a /metrics rendering */
	/* "tls": HTTPS on every listen address (daemon/http_tls.h). */
	bool		 tls;
	char		 tls_cert[1024];	/* absolute paths */
	char		 tls_key[1024];
	char		 tls_ca[1024];		/* "": no client certs */
	int		 tls_min_version;	/* TLS1_2_VERSION, ... */
};

/* One stream's limits (cluster.streams.polls, .traps, .events). */
struct config_stream_limits {
	uint32_t	 max_age_ms;
	uint64_t	 max_size;
};

/*
 * A nats:// or tls:// URL of cluster.nats.servers split: its host (a name
 * or an address, without brackets, at most CONFIG_NATS_HOST_LEN octets
 * with its NUL), its port (4222 when none, else 1..65535), whether it is
 * tls://.  A user part (user:password@) is passed over.  -1 when it is
 * not such a URL.  The config's check and the cluster's split.
 */
#define CONFIG_NATS_HOST_LEN	256
int	 config_nats_url(const char *url, char *host, size_t hlen, char *port,
	    size_t plen, bool *tls);

/*
 * "cluster" (conf_cluster.c): the node's place in a cluster of snmpmgrd
 * nodes sharing the sessions over NATS JetStream.  have false: none.
 */
struct config_cluster {
	bool		 have;
	char		 name[33];	/* part of subjects and bucket names */
	char		 node[65];	/* default: the host name */
	char		**servers;	/* nats:// URLs */
	size_t		 nservers;
	uint32_t	 resolve_interval_ms;	/* their names again; 0 never */
	char		*user;
	char		*password;	/* secret: wiped by config_free */
	char		*creds;		/* absolute paths, or NULL */
	char		*tls_ca;
	char		*tls_cert;
	char		*tls_key;
	uint32_t	 heartbeat_ms;	/* >= 500 */
	uint32_t	 forward_timeout_ms;	/* a forwarded request's wait */
	uint32_t	 replicas;
	bool		 publish_polls;
	bool		 publish_traps;
	char		**publish_events; /* event type names */
	size_t		 npublish_events;
	char		*spool_path;	/* absolute */
	uint64_t	 spool_max_size;
	struct config_stream_limits polls, traps, events;
	/*
	 * SHA-256 (hex) of the config as parsed, every section but the
	 * per-node keys (control, state_dir, log, traps.listen,
	 * http.listen, cluster.node, cluster.spool), keys sorted: equal on
	 * nodes that run the same config.
	 */
	char		 hash[65];
};

struct config {
	char		*path;		/* the main file */
	char		*control_socket;
	mode_t		 control_mode;
	uint32_t	 control_idle_ms;	/* 0: never */
	uint32_t	 control_line_ms;
	char		*state_dir;
	/* config_reload(): what the files name when it is not the running
	 * state_dir, which state_dir keeps; NULL otherwise. */
	char		*state_dir_asked;
	int		 log_level;	/* syslog LOG_* priority */
	bool		 log_syslog;

	/* Built-in defaults with the "defaults" section applied: a base
	 * for inline targets of control requests. */
	struct sess_opts defaults;

	struct config_session *sessions; /* sorted by name */
	size_t		 nsessions;
	struct config_poll *polls;	/* sorted by name */
	size_t		 npolls;
	struct config_traps traps;
	bool		 have_traps;	/* a "traps" section was given */
	struct config_scheduler sched;
	struct config_resolver resolver;
	struct config_http http;
	bool		 have_http;	/* an "http" section was given */
	/* "local_engine_id": our SNMP engine ID; 0 octets = made once and
	 * kept in state_dir (daemon/engineid.c). */
	uint8_t		 local_engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 local_engine_id_len;
	/* What config_load_running() builds sessions from: state_dir,
	 * defaults, credentials, polls and templates as loaded. */
	json_t		*running;
	/* "mibs": the MIB set polls were resolved with (a reference; NULL
	 * when none is configured), and what loading it warned about. */
	struct mib	*mib;
	struct config_cluster cluster;
	char		**warnings;
	size_t		 nwarnings;
	/* What pooled entries share (see config_session): allocations
	 * freed with the config. */
	void		**pool;
	size_t		 npool;
	size_t		 poolcap;
};

/* At most this many warnings are kept per config. */
#define CONFIG_MAX_WARNINGS	200

/*
 * The files snmpmgrd writes itself, in state_dir, and reads after the
 * config files without being told to (no "include" names them):
 * CONFIG_OWNED_SESSIONS/NAME.json, one per session added at run time with
 * persist (each holding only that session), and CONFIG_OVERRIDES, the
 * session options set at run time with persist ({"sessions": {NAME:
 * {options}}}), applied over every session's options, whatever file
 * defined it.  Nothing else in state_dir is read as config, and snmpmgrd
 * writes no other config file.
 */
#define CONFIG_OWNED_SESSIONS	"sessions"
#define CONFIG_OVERRIDES	"overrides.json"

/*
 * Load and validate path and everything it includes, then snmpmgrd's own
 * files (CONFIG_OWNED_SESSIONS, CONFIG_OVERRIDES).  NULL on failure with
 * err filled ("FILE:LINE:COL: message").  Never exits.
 */
struct config	*config_load(const char *path, struct config_err *err);
/*
 * The same, with one more file that is not on disk: extra (a top-level
 * object, as a config file holds) is read after the files as if the main
 * file included it last, and errors in it are reported as
 * "EXTRA_NAME:LINE:COL: ..." over its JSON text indented by 2.  extra may
 * not have "include".  extra NULL: config_load().
 */
struct config	*config_load_extra(const char *path, const json_t *extra,
		    const char *extra_name, struct config_err *err);
/*
 * config_load() for a reload: state_dir stays run's, whatever the files
 * say (it changes at a restart only), so snmpmgrd's own files are read
 * from where they are and relative paths are resolved against it; when
 * the files name another, it is in state_dir_asked.
 */
struct config	*config_reload(const char *path, const struct config *run,
		    struct config_err *err);
/*
 * A config built from what the running config run keeps (its defaults,
 * credentials, polls and templates, as loaded) plus extra, without
 * reading any file: for checking a session added at run time while the
 * files on disk may say something else, or be broken.  Sessions and
 * traps in it are extra's only.
 */
struct config	*config_load_running(const struct config *run,
		    const json_t *extra, const char *extra_name,
		    struct config_err *err);
void		 config_free(struct config *c);

/* Octets as "0x..." JSON text, as engine IDs and keys are written and
 * shown (at most 64 octets; more are cut).  New reference or NULL. */
json_t		*config_hex_json(const uint8_t *p, size_t n);

const struct config_session *config_find_session(const struct config *c,
		    const char *name);
const struct config_poll *config_find_poll(const struct config *c,
		    const char *name);

/*
 * Apply the session option keys of a JSON object (SPEC 2 names: "host",
 * "port", "version", "community", "timeout", ...) on top of *o.  Used for
 * config sessions and for inline targets of control requests.  0 or -1
 * with err ("timeout: expected a duration such as \"5s\"").
 *
 * SNMPv3 keys change o->v3; credential keys (user, auth, auth_password,
 * auth_key ...) make a new credential from o's with them over it (passwords
 * hashed here, identical credentials shared: usm_cred_get), which replaces
 * o->v3.cred: o must own a reference to the credential it holds
 * (usm_cred_ref() after copying a sess_opts) and releases the new one with
 * sess_opts_release() when done.  With transport "dtls" our certificate
 * and key are read and checked; with tls_cred not NULL what was read goes
 * to *tls_cred (a reference), so an encrypted key needs its password no
 * more.
 */
int		 config_apply_session_opts(const json_t *obj,
		    struct sess_opts *o, struct dtls_cred **tls_cred,
		    struct config_err *err);
/*
 * The same as a change to a running session whose extra keys are extra
 * (NULL: none; not changed): *newextra gets them with obj's over them
 * (the credential's keys left out: they are in o->v3.cred; secrets "***"),
 * a new reference or NULL when empty.  *tls_cred is a reference the caller
 * owns to what was read of the session's DTLS files (NULL: none), replaced
 * on success when read again (cert, key or key_password changed, or the
 * transport became "dtls") or dropped (no longer "dtls").  A session
 * already over DTLS keeps its port and security level.
 */
int		 config_change_session_opts(const json_t *obj,
		    struct sess_opts *o, const json_t *extra,
		    json_t **newextra, struct dtls_cred **tls_cred,
		    struct config_err *err);
/* That change on a config entry: its block, host, extra and DTLS
 * credential replaced. */
int		 config_session_set_opts(struct config_session *s,
		    const json_t *obj, struct config_err *err);
/* Does obj change a DTLS option an association is built from? */
bool		 config_tls_touched(const json_t *obj);
/*
 * A DTLS session's TLS options from its extra keys, into out as
 * session.show has them: paths and names as given (null: unset),
 * key_password "***" when set (its value is never kept), defaults for
 * tls_min_version, tsm_use_prefix and dtls_idle_timeout.  -1 when out of
 * memory.
 */
int		 config_tls_view(const json_t *extra, json_t *out);

/*
 * Overwrite in place, then set to "***", every password and key member
 * (auth_password, priv_password, auth_key, priv_key, cluster.nats's
 * password) anywhere in j: for JSON that carried secrets (request params,
 * parse trees) once they have been turned into a credential.  j NULL is
 * fine.
 */
void		 config_json_wipe_secrets(json_t *j);
/* The same for one string v, whatever its key; v NULL is fine. */
void		 config_json_wipe_string(json_t *v);

/*
 * The options of s as JSON (every option of SPEC 2; secrets replaced by
 * "***" when mask is true).  New reference, or NULL on allocation failure.
 * Values are in the config syntax, so the object (unmasked) reads back
 * through config_apply_session_opts: version "2c", transport "udp",
 * timeout "5s" or "1500ms", dscp null for the OS default.
 */
json_t		*config_session_opts_json(const struct sess_opts *o, bool mask);

/*
 * A copy of a config_session's extra options with every password and key
 * replaced by "***" when mask is true.  New reference (an empty object for
 * NULL), or NULL on allocation failure.
 */
json_t		*config_extra_json(const json_t *extra, bool mask);

/*
 * "500ms", "5s", "1m", "1h", "1d" or a number of seconds -> milliseconds.
 * 0; -1 when s is none of these; CONFIG_DURATION_RANGE when it is longer
 * than 2^32-1 ms (about 49.7 days), CONFIG_DURATION_FINE when it is not a
 * whole number of milliseconds.
 */
#define CONFIG_DURATION_RANGE	-2
#define CONFIG_DURATION_FINE	-3
int		 config_parse_duration(const char *s, uint32_t *ms);
/* An SNMP version as the config writes it: "1", "2c", "3", or "2" for
 * 2c (NULL-terminated). */
extern const char *const config_version_words[];
/* words (NULL-terminated) as the text of a message: "a", "b" or "c". */
void		 config_words_list(const char *const *words, char *buf,
		    size_t size);
/* "64MiB", "10k", or a number of bytes. */
int		 config_parse_size(const char *s, uint64_t *bytes);

#endif /* SNMPMGRD_CONFIG_H */
