/*
 * conf_int.h - what the parts of the config module (conf*.c) share: the
 * load context, positions of values for error messages, and the helpers
 * each part offers the others.  Not for use outside conf*.c; conf.h is
 * the module's interface.
 */
#ifndef SNMPMGRD_CONF_INT_H
#define SNMPMGRD_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/session.h"

typedef struct json_t json_t;
struct config;
struct config_cluster;
struct config_err;
struct usm_cred;

#define CONFIG_DEFAULT_SOCKET	"/run/snmpmgrd/control.sock"
#define CONFIG_DEFAULT_STATEDIR	"/var/lib/snmpmgrd"
#define CONFIG_DEFAULT_MODE	0660
#define CONFIG_DEFAULT_JOURNAL	"traps.jsonl"
#define CONFIG_MAX_INCLUDE_DEPTH 8
#define CONFIG_MAX_LIST		1024	/* listen specs, communities, ... */
#define CONFIG_MAX_SECRET_LEN	1024
#define CONFIG_MAX_KEY_DEPTH	6

/* A path from a file's top-level object to one value. */
struct kpath {
	int		 n;
	struct {
		const char	*key;	/* NULL: an array index */
		size_t		 idx;
	}		 seg[CONFIG_MAX_KEY_DEPTH];
};

struct cfg_file {
	char		*path;		/* as opened */
	char		*real;		/* realpath(3), for include loops */
	char		*text;
	size_t		 len;
	json_t		*root;
	bool		 secrets;	/* root may hold some (cfg_json_load) */
	bool		 inline_doc;	/* given in memory: its text is ours,
					 * so messages name no line */
};

/* Where a value is: a file (NULL for inline targets) and a key path. */
struct cfg_pos {
	const struct cfg_file *file;
	struct kpath	 path;
};

#define AT_VALUE	0
#define AT_KEY		1

/* The nearest known name to key, for "did you mean". */
struct suggest {
	const char	*key;
	const char	*best;
	size_t		 dist;
};

/* The top-level keys, in the order they are read. */
enum sect_id {
	SECT_CONTROL,
	SECT_STATE_DIR,
	SECT_LOG,
	SECT_INCLUDE,
	SECT_DEFAULTS,
	SECT_CREDENTIALS,
	SECT_POLLS,
	SECT_TEMPLATES,
	SECT_SESSIONS,
	SECT_TRAPS,
	SECT_SCHEDULER,
	SECT_LOCAL_ENGINE_ID,
	SECT_RESOLVER,
	SECT_MIBS,
	SECT_HTTP,
	SECT_CLUSTER,
	NSECT
};

enum sect_kind {
	SECT_SCALAR,		/* given once across all files */
	SECT_COLLECTION,	/* named entries pooled across files */
	SECT_INCLUDES,
};

/* The top-level keys of a config file. */
struct cfg_sect {
	const char	*name;
	enum sect_kind	 kind;
};
extern const struct cfg_sect cfg_sections[NSECT];

/* A template, resolved: defaults + its credentials + its own keys. */
struct cfg_tmpl {
	const char	*name;
	struct sess_opts opts;
	json_t		*extra;
	const json_t	*polls;		/* its "polls" array, or NULL */
	char		**pollv;	/* the same, pooled (NULL: not yet) */
	const char	*credentials;
};

/* Everything a load works with until it hands back the config. */
struct cfg_ctx {
	struct config		*c;
	struct config_err	*err;
	struct cfg_file		**files;
	size_t			 nfiles;
	size_t			 total;		/* bytes read, all files */
	const json_t		*sect[NSECT];	/* scalar sections */
	int			 sectfile[NSECT];
	json_t			*coll[NSECT];	/* name -> entry */
	json_t			*origin[NSECT];	/* name -> file index */
	/*
	 * A collection given by one file so far is that file's object
	 * itself (a reference, coll_shared), not a copy made entry by entry:
	 * its entries, kept out of origin, come from file collfi (-1: no
	 * such file).  A second file's entries make coll a copy first.
	 */
	int			 collfi[NSECT];
	bool			 coll_shared[NSECT];
	struct sess_opts	 base;		/* with "defaults" applied */
	json_t			*base_extra;
	struct cfg_tmpl		*tmpl;
	size_t			 ntmpl;
	struct cfg_tls_memo	*tls_memo;	/* DTLS files checked */
	/* The config's pool by content ("s" + a string, "v" + poll names
	 * joined by '/'): index in c->pool. */
	json_t			*pooled;
	/* config_reload(): the running state_dir, which this config
	 * keeps whatever the files say (NULL: the files'). */
	const char		*keep_state_dir;
};

/* conf_locate.c: positions, messages, suggestions. */
struct cfg_pos	 cfg_pos_key(const struct cfg_pos *parent, const char *key);
struct cfg_pos	 cfg_pos_idx(const struct cfg_pos *parent, size_t idx);
/*
 * Fill err with "FILE:LINE:COL: path: message" (or "path: message") and
 * return -1.  at_key: point at the key rather than its value.
 */
int		 cfg_fail(struct config_err *err, const struct cfg_pos *at,
		    int at_key, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
/* "FILE:LINE:COL" of a value, for messages naming a second place. */
void		 cfg_where(const struct cfg_pos *at, char *buf, size_t size);
void		 cfg_suggest_try(struct suggest *sg, const char *name);
void		 cfg_suggest_list(struct suggest *sg,
		    const char *const *names);
const char	*cfg_suggest_result(const struct suggest *sg);
/* "unknown WHAT", with "did you mean" when sg found a near name. */
int		 cfg_unknown(struct config_err *err, const struct cfg_pos *at,
		    const struct suggest *sg, const char *what);
int		 cfg_name_in(const char *const *names, const char *key);
/* conf_opts.c: a session's host fits its transport; 0, or -1 and err. */
int		 cfg_host_check(const struct sess_opts *o,
		    const struct cfg_pos *at, struct config_err *err);
/*
 * For a syntax error at byte pos of text: the key path there into path,
 * and whether the value there is a secret's (its text must not be
 * quoted back).
 */
bool		 cfg_syntax_secret(const char *text, size_t len, size_t pos,
		    char *path, size_t size);

/* conf_units.c: typed scalar values. */
void		 cfg_format_duration(uint32_t ms, char *buf, size_t size);
int		 cfg_duration(const json_t *v, const struct cfg_pos *at,
		    uint32_t min, uint32_t max, uint32_t *ms,
		    struct config_err *err);
int		 cfg_int_range(const json_t *v, const struct cfg_pos *at,
		    int sizes, long long min, long long max, long long *out,
		    struct config_err *err);
int		 cfg_bool(const json_t *v, const struct cfg_pos *at, bool *out,
		    struct config_err *err);
int		 cfg_str(const json_t *v, const struct cfg_pos *at,
		    size_t minlen, size_t maxlen, int addr, const char **out,
		    struct config_err *err);
int		 cfg_word(const json_t *v, const struct cfg_pos *at,
		    const char *const *words, size_t *idx,
		    struct config_err *err);
int		 cfg_check_name(const char *name, const struct cfg_pos *at,
		    struct config_err *err);
int		 cfg_hex_octets(const char *s, size_t *noctets);
/* Octets of a string cfg_hex_octets() accepted, at most max: the count
 * (0 for text it would not accept). */
size_t		 cfg_hex_decode(const char *s, uint8_t *out, size_t max);

/* conf_opts.c: session option tables. */
struct v3def;
extern const char *const cfg_level_words[];
extern const char *const cfg_keytype_words[];
const struct v3def *cfg_v3def_find(const char *name);
int		 cfg_v3_check(const struct v3def *vd, const json_t *v,
		    const struct cfg_pos *at, struct config_err *err);
void		 cfg_suggest_v3_keys(struct suggest *sg);
int		 cfg_opts_apply(const json_t *obj, const struct cfg_pos *at,
		    struct sess_opts *o, json_t *extra,
		    const char *const *allowed, struct config_err *err);
void		 cfg_secrets_mask(json_t *extra);
/* A key whose value is a secret: a password, a key, a community. */
bool		 cfg_secret_name(const char *key);
/* A member config_json_wipe_secrets() wipes (a password or a key). */
bool		 cfg_secret_key(const char *key);

/* conf_v3.c: SNMPv3 options and credentials. */
int		 cfg_v3_apply(const json_t *obj, struct sess_opts *o,
		    struct usm_cred **newcred, const char **badkey, char *why,
		    size_t whylen);
int		 cfg_v3_opts_json(const struct sess_opts *o, bool mask,
		    json_t *obj);
/* A key that makes up the USM credential (user, auth, auth_password ...). */
bool		 cfg_v3_cred_key(const char *key);

/* conf_tls.c: DTLS options (sessions; the trap listeners' "tls"). */
struct dtls_opts;
/* The TLS keys of checked JSON into d (pointers into extra's strings). */
void		 cfg_tls_opts(const json_t *extra, int role,
		    struct dtls_opts *d);
/* Warn when our certificate expires within this many days. */
#define TLS_EXPIRY_WARN_DAYS	30
/* What cfg_tls_cert_dates finds. */
enum cfg_tls_dates {
	CFG_TLS_DATES_OK,	/* or no certificate found: not looked into */
	CFG_TLS_DATES_NOT_YET,	/* not valid yet */
	CFG_TLS_DATES_EXPIRED,
	CFG_TLS_DATES_SOON	/* ends within TLS_EXPIRY_WARN_DAYS */
};
/* The dates of the first certificate of the PEM file path: *days whole
 * days left, end its notAfter as text. */
enum cfg_tls_dates cfg_tls_cert_dates(const char *path, int *days, char *end,
		    size_t endlen);
/* The same for the certificate of a credential read (PEM or PKCS#12). */
struct dtls_cred;
enum cfg_tls_dates cfg_tls_cred_dates(const struct dtls_cred *c, int *days,
		    char *end, size_t endlen);
/* Our certificate and key load and match, and are within their dates
 * (a warning logged when they end within 30 days); with keep, what was
 * read goes to *keep (a reference).  -1 with err. */
int		 cfg_tls_files_check(const struct dtls_opts *d,
		    const struct cfg_pos *at, struct dtls_cred **keep,
		    struct config_err *err);
/*
 * A session with transport "dtls": SNMPv3 (a version other than "3" is
 * an error when given), port 10161 unless given, the options' rules, and
 * the files, read into *cred when cred is not NULL (an encrypted key
 * decrypted now: nothing but *cred needs its password later).  Nothing
 * for other transports.  With memo (one per load), the same files and
 * options are checked once and share the credential.  -1 with err.
 */
struct cfg_tls_memo;
int		 cfg_tls_session(const json_t *extra, struct sess_opts *o,
		    bool version_given, bool port_given,
		    const struct cfg_pos *at, struct dtls_cred **cred,
		    struct cfg_tls_memo **memo, struct config_err *err);
/* What cfg_tls_session() remembered (its password wiped). */
void		 cfg_tls_memo_free(struct cfg_tls_memo *m);
/*
 * A run-time change obj to a session (config_change_session_opts): extra
 * its options with obj's over them, o the same (checked), was_dtls whether
 * it ran over DTLS before; *cred is what was read of its files (a
 * reference; NULL: none).  Not over DTLS now: *cred dropped.  Becoming
 * DTLS: as cfg_tls_session (port 10161 and authPriv unless given).
 * Already DTLS: its port and level stay; the files are read again into
 * *cred only when obj names cert, key or key_password (a pass phrase that
 * is no longer kept must be given again), and the context is checked with
 * the key already read when obj changes another TLS option.  -1 with err,
 * *cred unchanged.
 */
int		 cfg_tls_change(const json_t *extra, const json_t *obj,
		    struct sess_opts *o, bool was_dtls,
		    const struct cfg_pos *at, struct dtls_cred **cred,
		    struct config_err *err);

/*
 * conf_json.c: a config file's text as a jansson tree, what
 * json_loadb(text, len, JSON_REJECT_DUPLICATES, err) makes of it (its
 * errors too), by a faster parser for common text.  cfg_json_fast() is
 * that parser alone: NULL where it leaves the text to jansson.  *secrets
 * false: no member of the tree is one config_json_wipe_secrets() wipes
 * (the parser saw every key), so the tree needs no wiping.
 */
typedef struct json_error_t json_error_t;
json_t		*cfg_json_load(const char *text, size_t len, json_error_t *err,
		    bool *secrets);
json_t		*cfg_json_fast(const char *text, size_t len, bool *secrets);

/* conf_file.c: files, includes, merging. */
void		 cfg_file_free(struct cfg_file *f);
struct cfg_pos	 cfg_sect_pos(const struct cfg_ctx *ctx, enum sect_id id);
struct cfg_pos	 cfg_entry_pos(const struct cfg_ctx *ctx, enum sect_id id,
		    const char *name);
/* The index of the file that gave entry name of collection id, or -1. */
int		 cfg_entry_file(const struct cfg_ctx *ctx, enum sect_id id,
		    const char *name);
char		*cfg_path_join(const char *dir, const char *name);
int		 cfg_read_file(struct cfg_ctx *ctx, const char *path,
		    const struct cfg_pos *from, int depth);
int		 cfg_read_inline(struct cfg_ctx *ctx, const json_t *obj,
		    const char *name);
/* "state_dir" into ctx->c (ctx->keep_state_dir at a reload). */
int		 cfg_state_dir(struct cfg_ctx *ctx);
/* STATE_DIR/sessions/NAME.json, each read as if included last. */
int		 cfg_read_owned(struct cfg_ctx *ctx);

/* conf_pool.c: a pooled copy of a name, or NULL (out of memory). */
char		*cfg_pool_str(struct cfg_ctx *ctx, const char *s);
/* The names of a "polls" array (checked already), as a pooled vector. */
char		**cfg_pool_polls(struct cfg_ctx *ctx, const json_t *polls);

/* conf.c: sections. */
int		 cfg_check_keys(const json_t *obj, const struct cfg_pos *at,
		    const char *const *names, struct config_err *err);
char		*cfg_abspath(const struct config *c, const char *path);

/* conf_traps.c: the traps section. */
int		 cfg_traps(struct cfg_ctx *ctx);
/* conf_trap_tls.c: traps.tls (obj NULL: the defaults only). */
int		 cfg_traps_tls(struct cfg_ctx *ctx, const json_t *obj,
		    const struct cfg_pos *at);
/* conf.c: free n strings and the array holding them. */
void		 strv_free(char **, size_t);
/* conf_mibs.c: the "mibs" section, loaded into ctx->c->mib. */
int		 cfg_mibs(struct cfg_ctx *ctx);
/* conf_http.c: the "http" section, and a poll's "labels". */
int		 cfg_http(struct cfg_ctx *ctx);
struct config_poll;
int		 cfg_poll_labels(struct cfg_ctx *ctx, const json_t *v,
		    const struct cfg_pos *at, struct config_poll *p);
/* conf_cluster.c: the "cluster" section and the config hash. */
int		 cfg_cluster(struct cfg_ctx *ctx);
void		 cfg_cluster_free(struct config_cluster *cl);

/* Copy a string known to fit (checked by the caller), or truncate. */
static inline void
copy_str(char *dst, const char *src, size_t size)
{
	(void)snprintf(dst, size, "%s", src);
}

#endif /* SNMPMGRD_CONF_INT_H */
