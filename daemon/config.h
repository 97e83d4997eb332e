/*
 * config.h - snmpmgrd's configuration: load a JSON file (and its includes),
 * validate all of it, and hand back a complete struct config, or an error
 * naming file, line and column.  Nothing here touches running state, so a
 * reload can build a new config and compare it with the running one.
 */
#ifndef SNMPMGRD_CONFIG_H
#define SNMPMGRD_CONFIG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "core/limits.h"
#include "core/oid.h"
#include "core/session.h"

typedef struct json_t json_t;

/* Where and why a config (or an inline target) was rejected. */
struct config_err {
	char	 text[512];	/* "FILE:LINE:COL: message" or "key: message" */
};

/* A named poll definition (SPEC 8 "polls"); scheduled by the poller. */
struct config_poll {
	char		 name[SNMPMGR_MAX_NAME_LEN + 1];
	bool		 is_walk;	/* "walk" (subtrees) or "get" (OIDs) */
	struct oid	*oids;
	size_t		 noids;
	uint32_t	 interval_ms;
	uint32_t	 jitter_ms;
	uint32_t	 timeout_ms;	/* 0 = the session's */
	int32_t		 retries;	/* -1 = the session's */
	uint32_t	 max_repetitions; /* 0 = the session's */
	bool		 use_getnext;
};

struct config_session {
	char		 name[SNMPMGR_MAX_NAME_LEN + 1];
	struct sess_opts opts;		/* defaults, then template, then own */
	char		**polls;	/* names of config_poll entries */
	size_t		 npolls;
	char		 template_name[SNMPMGR_MAX_NAME_LEN + 1]; /* "" = none */
	char		 credentials[SNMPMGR_MAX_NAME_LEN + 1];	/* "" = none */
	/*
	 * The options of SPEC 2 that struct sess_opts has no room for yet
	 * (SNMPv3 USM: user, auth, auth_password, priv, ..., DTLS: cert, key,
	 * ca, server_fingerprint, security_name, and mask_sensitive_data,
	 * decrypt_trace), syntax-checked and merged in the same order as opts
	 * (defaults, template's credentials, template, session's credentials,
	 * session).  A JSON object owned by the config; NULL when empty.
	 */
	json_t		*extra;
};

struct config_trap_listen {
	char		 spec[300];	/* as written: "udp:0.0.0.0:162" */
	enum sess_transport transport;
	char		 host[256];
	uint16_t	 port;
};

struct config_traps {
	struct config_trap_listen *listen;
	size_t		 nlisten;
	char		**communities;
	size_t		 ncommunities;
	char		**users;	/* names of credentials entries */
	size_t		 nusers;
	char		*journal_path;	/* absolute */
	uint64_t	 journal_max_size;
	uint32_t	 journal_keep;
	char		 journal_fsync[16];
};

struct config {
	char		*path;		/* the main file */
	char		*control_socket;
	mode_t		 control_mode;
	char		*state_dir;
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
};

/*
 * Load and validate path and everything it includes.  NULL on failure with
 * err filled ("FILE:LINE:COL: message").  Never exits.
 */
struct config	*config_load(const char *path, struct config_err *err);
void		 config_free(struct config *c);

const struct config_session *config_find_session(const struct config *c,
		    const char *name);
const struct config_poll *config_find_poll(const struct config *c,
		    const char *name);

/*
 * Apply the session option keys of a JSON object (SPEC 2 names: "host",
 * "port", "version", "community", "timeout", ...) on top of *o.  Used for
 * config sessions and for inline targets of control requests.  0 or -1
 * with err ("timeout: expected a duration such as \"5s\"").
 */
int		 config_apply_session_opts(const json_t *obj,
		    struct sess_opts *o, struct config_err *err);

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

/* "500ms", "5s", "1m", "1h" or a number of seconds -> milliseconds. */
int		 config_parse_duration(const char *s, uint32_t *ms);
/* "64MiB", "10k", or a number of bytes. */
int		 config_parse_size(const char *s, uint64_t *bytes);

#endif /* SNMPMGRD_CONFIG_H */
