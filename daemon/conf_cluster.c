/*
 * conf_cluster.c - the "cluster" section (issue 13): the cluster and node
 * names, how to reach NATS (servers, user and password or a creds file,
 * TLS files), the heartbeat, the JetStream replicas, what is published,
 * the spool and the streams' limits; and the config hash that nodes
 * compare: SHA-256 of the config as parsed, keys sorted, without the keys
 * that differ between nodes by design.  Without libnats (configure
 * --with-nats) a "cluster" section is refused.
 */
#include <config.h>		/* autoconf's */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/hex.h"

#include "conf.h"
#include "conf_int.h"

#define CL_DEF_HEARTBEAT_MS	2000
#define CL_MIN_HEARTBEAT_MS	500
#define CL_MAX_HEARTBEAT_MS	60000
#define CL_DEF_FORWARD_MS	5000
#define CL_DEF_RESOLVE_MS	300000	/* as sessions' resolve_interval */
#define CL_DEF_SPOOL		"cluster-spool"
#define CL_DEF_SPOOL_MAX	(1ULL << 30)
#define CL_DAY_MS		(24U * 3600U * 1000U)

static const char *const cluster_keys[] = { "name", "node", "nats",
	"heartbeat", "replicas", "publish", "spool", "streams",
	"forward_timeout", NULL };
static const char *const nats_keys[] = { "servers", "user", "password",
	"creds", "tls", "resolve_interval", NULL };
static const char *const tls_keys[] = { "ca", "cert", "key", NULL };
static const char *const publish_keys[] = { "polls", "traps", "events",
	NULL };
static const char *const spool_keys[] = { "path", "max_size", NULL };
static const char *const streams_keys[] = { "polls", "traps", "events",
	NULL };
static const char *const limit_keys[] = { "max_age", "max_size", NULL };

/* A name for subjects, buckets and keys: letters, digits, '-', '_'. */
static int
cl_token(const json_t *v, const struct cfg_pos *at, size_t max, bool dots,
    char *out, size_t size, struct config_err *err)
{
	const char	*s, *p;

	if (cfg_str(v, at, 1, max, 0, &s, err) == -1)
		return -1;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    (dots && *p == '.')))
			return cfg_fail(err, at, AT_VALUE, "expected letters, "
			    "digits, '-' and '_'%s", dots ? " and '.'" : "");
	copy_str(out, s, size);
	return 0;
}

/* An optional string at key of obj into *out (malloc'ed), path or not. */
static int
cl_opt_str(struct config *c, const json_t *obj, const char *key,
    const struct cfg_pos *at, bool path, char **out, struct config_err *err)
{
	struct cfg_pos	 kat = cfg_pos_key(at, key);
	const json_t	*v = json_object_get(obj, key);
	const char	*s;

	if (v == NULL)
		return 0;
	if (cfg_str(v, &kat, 1, path ? PATH_MAX - 1 : CONFIG_MAX_SECRET_LEN,
	    0, &s, err) == -1)
		return -1;
	if ((*out = path ? cfg_abspath(c, s) : strdup(s)) == NULL)
		return cfg_fail(err, &kat, AT_VALUE, "out of memory");
	return 0;
}

/* A server URL split (conf.h): the one parser, the config's check and
 * cluster_addr.c's split. */
int
config_nats_url(const char *url, char *host, size_t hlen, char *port,
    size_t plen, bool *tls)
{
	const char	*p = url, *e, *c, *h, *hend;
	size_t		 i;

	*tls = false;
	if ((e = strstr(p, "://")) == NULL)
		return -1;
	*tls = (size_t)(e - p) == 3 && strncasecmp(p, "tls", 3) == 0;
	p = e + 3;
	e = p + strcspn(p, "/");
	if ((c = memchr(p, '@', (size_t)(e - p))) != NULL)
		p = c + 1;
	if (*p == '[') {
		if ((c = memchr(p, ']', (size_t)(e - p))) == NULL)
			return -1;
		h = p + 1;
		hend = c++;
	} else {
		if ((c = memchr(p, ':', (size_t)(e - p))) == NULL)
			c = e;
		h = p;
		hend = c;
	}
	if (hend <= h || (size_t)(hend - h) >= hlen)
		return -1;
	for (i = 0; h + i < hend; i++)
		if (h[i] <= ' ' || h[i] == '@' || h[i] == '/' || h[i] == '[' ||
		    h[i] == ']' || h[i] == 0x7f)
			return -1;
	snprintf(host, hlen, "%.*s", (int)(hend - h), h);
	if (c < e && *c == ':') {
		if (e - c - 1 < 1 || e - c - 1 > 5 || (size_t)(e - c) > plen)
			return -1;
		for (i = 1; c + i < e; i++)
			if (c[i] < '0' || c[i] > '9')
				return -1;
		snprintf(port, plen, "%.*s", (int)(e - c - 1), c + 1);
		if (atoi(port) < 1 || atoi(port) > 65535)
			return -1;
	} else if (c == e)
		snprintf(port, plen, "4222");
	else
		return -1;
	return 0;
}

/* Whether a server URL has a host and a good port (or none). */
static bool
cl_url_ok(const char *url)
{
#ifdef HAVE_NATS
	char	 host[CONFIG_NATS_HOST_LEN], port[8];
	bool	 tls;

	return config_nats_url(url, host, sizeof(host), port, sizeof(port),
	    &tls) == 0;
#else
	(void)url;
	return true;
#endif
}

static int
cl_nats(struct config *c, const json_t *obj, const struct cfg_pos *at,
    struct config_err *err)
{
	struct config_cluster *cl = &c->cluster;
	struct cfg_pos	 kat, iat;
	const json_t	*v, *e;
	const char	*s;
	size_t		 i;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object with "
		    "\"servers\"");
	if (cfg_check_keys(obj, at, nats_keys, err) == -1)
		return -1;
	kat = cfg_pos_key(at, "servers");
	if ((v = json_object_get(obj, "servers")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > SNMPMGR_MAX_NATS_SERVERS)
			return cfg_fail(err, &kat, AT_VALUE, "expected a list "
			    "of 1 to %d URLs such as \"nats://127.0.0.1:4222\"",
			    SNMPMGR_MAX_NATS_SERVERS);
		if ((cl->servers = calloc(json_array_size(v),
		    sizeof(char *))) == NULL)
			return cfg_fail(err, &kat, AT_VALUE, "out of memory");
		json_array_foreach(v, i, e) {
			iat = cfg_pos_idx(&kat, i);
			if (cfg_str(e, &iat, 1, 1024, 0, &s, err) == -1)
				return -1;
			if ((strncmp(s, "nats://", 7) != 0 &&
			    strncmp(s, "tls://", 6) != 0) || !cl_url_ok(s))
				return cfg_fail(err, &iat, AT_VALUE, "expected "
				    "a nats:// or tls:// URL with a host and "
				    "an optional port");
			if ((cl->servers[i] = strdup(s)) == NULL)
				return cfg_fail(err, &iat, AT_VALUE, "out of "
				    "memory");
			cl->nservers++;
		}
	}
	/* Names of servers are looked up again this often (cluster_addr.c). */
	kat = cfg_pos_key(at, "resolve_interval");
	if ((v = json_object_get(obj, "resolve_interval")) != NULL &&
	    cfg_duration(v, &kat, 0, CL_DAY_MS, &cl->resolve_interval_ms,
	    err) == -1)
		return -1;
	if (cl_opt_str(c, obj, "user", at, false, &cl->user, err) == -1 ||
	    cl_opt_str(c, obj, "password", at, false, &cl->password,
	    err) == -1 ||
	    cl_opt_str(c, obj, "creds", at, true, &cl->creds, err) == -1)
		return -1;
	if ((cl->password != NULL) != (cl->user != NULL))
		return cfg_fail(err, at, AT_KEY, "\"user\" and \"password\" "
		    "go together");
	if (cl->creds != NULL && cl->user != NULL)
		return cfg_fail(err, at, AT_KEY, "give either \"creds\" or "
		    "\"user\" and \"password\", not both");
	kat = cfg_pos_key(at, "creds");
	if (cl->creds != NULL && access(cl->creds, R_OK) == -1)
		return cfg_fail(err, &kat, AT_VALUE, "cannot read the "
		    "credentials file");
	if ((v = json_object_get(obj, "tls")) != NULL) {
		kat = cfg_pos_key(at, "tls");
		if (!json_is_object(v))
			return cfg_fail(err, &kat, AT_VALUE, "expected an "
			    "object with \"ca\", \"cert\" and \"key\"");
		if (cfg_check_keys(v, &kat, tls_keys, err) == -1 ||
		    cl_opt_str(c, v, "ca", &kat, true, &cl->tls_ca, err) ==
		    -1 ||
		    cl_opt_str(c, v, "cert", &kat, true, &cl->tls_cert, err) ==
		    -1 ||
		    cl_opt_str(c, v, "key", &kat, true, &cl->tls_key, err) ==
		    -1)
			return -1;
		if ((cl->tls_cert != NULL) != (cl->tls_key != NULL))
			return cfg_fail(err, &kat, AT_KEY, "\"cert\" and "
			    "\"key\" go together");
	}
	return 0;
}

static int
cl_publish(struct config_cluster *cl, const json_t *obj,
    const struct cfg_pos *at, struct config_err *err)
{
	struct cfg_pos	 kat, iat;
	const json_t	*v, *e;
	const char	*s;
	size_t		 i;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object with "
		    "\"polls\", \"traps\" and \"events\"");
	if (cfg_check_keys(obj, at, publish_keys, err) == -1)
		return -1;
	kat = cfg_pos_key(at, "polls");
	if ((v = json_object_get(obj, "polls")) != NULL &&
	    cfg_bool(v, &kat, &cl->publish_polls, err) == -1)
		return -1;
	kat = cfg_pos_key(at, "traps");
	if ((v = json_object_get(obj, "traps")) != NULL &&
	    cfg_bool(v, &kat, &cl->publish_traps, err) == -1)
		return -1;
	kat = cfg_pos_key(at, "events");
	if ((v = json_object_get(obj, "events")) == NULL)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > 64)
		return cfg_fail(err, &kat, AT_VALUE, "expected a list of event "
		    "types such as \"state\"");
	if ((cl->publish_events = calloc(json_array_size(v) + 1,
	    sizeof(char *))) == NULL)
		return cfg_fail(err, &kat, AT_VALUE, "out of memory");
	/* The names are checked against the event bus at start-up (main.c),
	 * which the config module does not depend on. */
	json_array_foreach(v, i, e) {
		iat = cfg_pos_idx(&kat, i);
		if (cfg_str(e, &iat, 1, 64, 0, &s, err) == -1)
			return -1;
		if ((cl->publish_events[i] = strdup(s)) == NULL)
			return cfg_fail(err, &iat, AT_VALUE, "out of memory");
		cl->npublish_events++;
	}
	return 0;
}

static int
cl_limits(const json_t *obj, const char *key, const struct cfg_pos *at,
    struct config_stream_limits *l, struct config_err *err)
{
	struct cfg_pos	 kat = cfg_pos_key(at, key), vat;
	const json_t	*o = json_object_get(obj, key), *v;
	long long	 n;

	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return cfg_fail(err, &kat, AT_VALUE, "expected an object with "
		    "\"max_age\" and \"max_size\"");
	if (cfg_check_keys(o, &kat, limit_keys, err) == -1)
		return -1;
	vat = cfg_pos_key(&kat, "max_age");
	if ((v = json_object_get(o, "max_age")) != NULL &&
	    cfg_duration(v, &vat, 60000, 45U * CL_DAY_MS, &l->max_age_ms,
	    err) == -1)
		return -1;
	vat = cfg_pos_key(&kat, "max_size");
	if ((v = json_object_get(o, "max_size")) != NULL) {
		if (cfg_int_range(v, &vat, 1, 1LL << 20, 1LL << 50, &n,
		    err) == -1)
			return -1;
		l->max_size = (uint64_t)n;
	}
	return 0;
}

static int
cl_spool(struct config *c, const json_t *obj, const struct cfg_pos *at,
    struct config_err *err)
{
	struct cfg_pos	 kat = cfg_pos_key(at, "max_size");
	const json_t	*v;
	long long	 n;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object with "
		    "\"path\" and \"max_size\"");
	if (cfg_check_keys(obj, at, spool_keys, err) == -1 ||
	    cl_opt_str(c, obj, "path", at, true, &c->cluster.spool_path,
	    err) == -1)
		return -1;
	if ((v = json_object_get(obj, "max_size")) != NULL) {
		if (cfg_int_range(v, &kat, 1, 1LL << 16, 1LL << 50, &n,
		    err) == -1)
			return -1;
		c->cluster.spool_max_size = (uint64_t)n;
	}
	return 0;
}

/* Drop key (a path of up to two names) from doc, if there. */
static void
cl_drop(json_t *doc, const char *sect, const char *key)
{
	json_t	*o;

	if (key == NULL) {
		json_object_del(doc, sect);
		return;
	}
	if ((o = json_object_get(doc, sect)) != NULL && json_is_object(o))
		json_object_del(o, key);
}

/*
 * The config hash: every section as parsed from the config files (the
 * sessions snmpmgrd keeps in state_dir are the node's own and left out),
 * deep copies with the per-node keys removed, dumped with sorted keys.
 */
static int
cl_hash(struct cfg_ctx *ctx)
{
	struct config	*c = ctx->c;
	json_t		*doc, *coll;
	const char	*name;
	const json_t	*e;
	char		*text = NULL, *owned;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 plen;
	int		 i, fi, rv = -1;

	if ((doc = json_object()) == NULL)
		return -1;
	owned = cfg_path_join(c->state_dir, CONFIG_OWNED_SESSIONS "/");
	plen = owned != NULL ? strlen(owned) : 0;
	for (i = 0; i < NSECT; i++) {
		if (cfg_sections[i].kind == SECT_SCALAR && ctx->sect[i] !=
		    NULL) {
			if (json_object_set_new(doc, cfg_sections[i].name,
			    json_deep_copy(ctx->sect[i])) == -1)
				goto out;
			continue;
		}
		if (cfg_sections[i].kind != SECT_COLLECTION ||
		    json_object_size(ctx->coll[i]) == 0)
			continue;
		if ((coll = json_object()) == NULL ||
		    json_object_set_new(doc, cfg_sections[i].name, coll) == -1)
			goto out;
		json_object_foreach(ctx->coll[i], name, e) {
			fi = cfg_entry_file(ctx, (enum sect_id)i, name);
			if (fi >= 0 && owned != NULL && strncmp(ctx->files[
			    fi]->path, owned, plen) == 0)
				continue;
			if (json_object_set_new(coll, name,
			    json_deep_copy(e)) == -1)
				goto out;
		}
	}
	cl_drop(doc, "control", NULL);
	cl_drop(doc, "state_dir", NULL);
	cl_drop(doc, "log", NULL);
	cl_drop(doc, "traps", "listen");
	cl_drop(doc, "http", "listen");
	cl_drop(doc, "cluster", "node");
	cl_drop(doc, "cluster", "spool");
	if ((text = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT |
	    JSON_ENCODE_ANY)) == NULL ||
	    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) !=
	    1)
		goto out;
	hex_encode(md, mdlen, c->cluster.hash, sizeof(c->cluster.hash));
	rv = 0;
 out:
	if (text != NULL) {
		/* It holds the config's secrets. */
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	free(owned);
	config_json_wipe_secrets(doc);
	json_decref(doc);
	return rv;
}

int
cfg_cluster(struct cfg_ctx *ctx)
{
	struct config	*c = ctx->c;
	struct config_cluster *cl = &c->cluster;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_CLUSTER), kat;
	const json_t	*obj = ctx->sect[SECT_CLUSTER], *v;
	char		 host[256];
	long long	 n;

	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "with \"name\" and \"nats\"");
	if (cfg_check_keys(obj, &at, cluster_keys, ctx->err) == -1)
		return -1;
#ifndef HAVE_NATS
	return cfg_fail(ctx->err, &at, AT_KEY, "cluster mode is not "
	    "supported by this build (configure --with-nats; Debian: "
	    "libnats-dev)");
#else
	cl->have = true;
	cl->heartbeat_ms = CL_DEF_HEARTBEAT_MS;
	cl->resolve_interval_ms = CL_DEF_RESOLVE_MS;
	cl->replicas = 1;
	cl->publish_polls = cl->publish_traps = true;
	cl->spool_max_size = CL_DEF_SPOOL_MAX;
	cl->polls.max_age_ms = 7 * CL_DAY_MS;
	cl->polls.max_size = 10ULL << 30;
	cl->traps.max_age_ms = 30 * CL_DAY_MS;
	cl->traps.max_size = 10ULL << 30;
	cl->events.max_age_ms = 7 * CL_DAY_MS;
	cl->events.max_size = 1ULL << 30;

	kat = cfg_pos_key(&at, "name");
	if ((v = json_object_get(obj, "name")) == NULL)
		return cfg_fail(ctx->err, &at, AT_KEY, "no \"name\" given (the "
		    "cluster's name, part of every subject)");
	if (cl_token(v, &kat, sizeof(cl->name) - 1, false, cl->name,
	    sizeof(cl->name), ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(&at, "node");
	if ((v = json_object_get(obj, "node")) != NULL) {
		if (cl_token(v, &kat, sizeof(cl->node) - 1, true, cl->node,
		    sizeof(cl->node), ctx->err) == -1)
			return -1;
	} else {
		if (gethostname(host, sizeof(host)) == -1)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, " \t/*>")] = '\0';
		if (host[0] == '\0' || strlen(host) >= sizeof(cl->node))
			return cfg_fail(ctx->err, &at, AT_KEY, "no \"node\" "
			    "given and the host name cannot serve as one");
		copy_str(cl->node, host, sizeof(cl->node));
	}
	kat = cfg_pos_key(&at, "nats");
	if ((v = json_object_get(obj, "nats")) != NULL &&
	    cl_nats(c, v, &kat, ctx->err) == -1)
		return -1;
	if (cl->nservers == 0) {
		if ((cl->servers = calloc(1, sizeof(char *))) == NULL ||
		    (cl->servers[0] = strdup("nats://127.0.0.1:4222")) == NULL)
			return cfg_fail(ctx->err, &at, AT_KEY, "out of memory");
		cl->nservers = 1;
	}
	kat = cfg_pos_key(&at, "heartbeat");
	if ((v = json_object_get(obj, "heartbeat")) != NULL &&
	    cfg_duration(v, &kat, CL_MIN_HEARTBEAT_MS, CL_MAX_HEARTBEAT_MS,
	    &cl->heartbeat_ms, ctx->err) == -1)
		return -1;
	/* How long a request forwarded to a session's owner is waited for. */
	cl->forward_timeout_ms = CL_DEF_FORWARD_MS;
	kat = cfg_pos_key(&at, "forward_timeout");
	if ((v = json_object_get(obj, "forward_timeout")) != NULL &&
	    cfg_duration(v, &kat, 100, 600000, &cl->forward_timeout_ms,
	    ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(&at, "replicas");
	if ((v = json_object_get(obj, "replicas")) != NULL) {
		if (cfg_int_range(v, &kat, 0, 1, 5, &n, ctx->err) == -1)
			return -1;
		cl->replicas = (uint32_t)n;
	}
	kat = cfg_pos_key(&at, "publish");
	if ((v = json_object_get(obj, "publish")) != NULL &&
	    cl_publish(cl, v, &kat, ctx->err) == -1)
		return -1;
	if (c->traps.ack_after_cluster && !cl->publish_traps)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "\"traps\": false, "
		    "but traps.ack_after is \"cluster\" (informs are "
		    "acknowledged once published)");
	kat = cfg_pos_key(&at, "spool");
	if ((v = json_object_get(obj, "spool")) != NULL &&
	    cl_spool(c, v, &kat, ctx->err) == -1)
		return -1;
	if (cl->spool_path == NULL && (cl->spool_path = cfg_abspath(c,
	    CL_DEF_SPOOL)) == NULL)
		return cfg_fail(ctx->err, &at, AT_KEY, "out of memory");
	kat = cfg_pos_key(&at, "streams");
	if ((v = json_object_get(obj, "streams")) != NULL) {
		if (!json_is_object(v))
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected an "
			    "object with \"polls\", \"traps\" and \"events\"");
		if (cfg_check_keys(v, &kat, streams_keys, ctx->err) == -1 ||
		    cl_limits(v, "polls", &kat, &cl->polls, ctx->err) == -1 ||
		    cl_limits(v, "traps", &kat, &cl->traps, ctx->err) == -1 ||
		    cl_limits(v, "events", &kat, &cl->events, ctx->err) == -1)
			return -1;
	}
	if (cl_hash(ctx) == -1)
		return cfg_fail(ctx->err, &at, AT_KEY, "out of memory");
	return 0;
#endif
}

void
cfg_cluster_free(struct config_cluster *cl)
{
	size_t	 i;

	for (i = 0; i < cl->nservers; i++)
		free(cl->servers[i]);
	free(cl->servers);
	for (i = 0; i < cl->npublish_events; i++)
		free(cl->publish_events[i]);
	free(cl->publish_events);
	if (cl->password != NULL) {
		OPENSSL_cleanse(cl->password, strlen(cl->password));
		free(cl->password);
	}
	free(cl->user);
	free(cl->creds);
	free(cl->tls_ca);
	free(cl->tls_cert);
	free(cl->tls_key);
	free(cl->spool_path);
	memset(cl, 0, sizeof(*cl));
}
