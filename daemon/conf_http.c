/*
 * conf_http.c - the "http" section (the Prometheus endpoint, daemon/http.c):
 * numeric listen addresses and the bounds that keep a slow or hostile
 * scraper from costing the pollers anything; and a poll's "labels", the
 * columns whose values label the exporter's samples.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/errors.h"

#include "conf.h"
#include "conf_int.h"
#include "http_tls.h"
#include "mib.h"

/* Listen addresses per section, and the built-in bounds. */
#define HTTP_MAX_LISTEN		16
#define HTTP_DEF_CONNECTIONS	64
#define HTTP_DEF_HEADER		8192
#define HTTP_DEF_RESPONSE	(256ULL << 20)
#define HTTP_DEF_REQUEST_MS	10000
#define HTTP_DEF_IDLE_MS	60000
#define HTTP_DEF_WRITE_MS	30000
#define HTTP_DEF_PROBES		8
#define HTTP_DEF_PROBE_MS	30000
#define HTTP_DEF_CACHE_MS	1000

/*
 * "HOST:PORT" with a numeric IPv4 address or a bracketed IPv6 one into l.
 * No names: the config is loaded before any resolver runs, and a name
 * that resolves differently later would move the endpoint.
 */
static int
http_listen(const char *s, const struct cfg_pos *at,
    struct config_http_listen *l, struct config_err *err)
{
	struct addrinfo	 hints, *res;
	const char	*colon, *host;
	size_t		 hlen;
	char		*end;
	long		 port;

	copy_str(l->spec, s, sizeof(l->spec));
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			goto bad;
		host = s + 1;
		hlen = (size_t)(colon - host);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			goto bad;
		host = s;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(l->host))
		goto bad;
	memcpy(l->host, host, hlen);
	l->host[hlen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
		return cfg_fail(err, at, AT_VALUE, "bad port in \"%s\" (1 to "
		    "65535)", s);
	l->port = (uint16_t)port;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = s[0] == '[' ? AF_INET6 : AF_INET;
	if (getaddrinfo(l->host, NULL, &hints, &res) != 0)
		return cfg_fail(err, at, AT_VALUE, "\"%s\" is not a numeric %s "
		    "address", l->host, s[0] == '[' ? "IPv6" : "IPv4");
	freeaddrinfo(res);
	return 0;
 bad:
	return cfg_fail(err, at, AT_VALUE, "expected \"ADDRESS:PORT\" such as "
	    "\"127.0.0.1:9116\" or \"[::1]:9116\"");
}

enum http_key {
	HK_LISTEN, HK_TLS, HK_MAX_CONNECTIONS, HK_MAX_HEADER_SIZE,
	HK_MAX_RESPONSE_SIZE, HK_REQUEST_TIMEOUT, HK_IDLE_TIMEOUT,
	HK_WRITE_TIMEOUT, HK_MAX_PROBES, HK_PROBE_TIMEOUT, HK_CACHE
};

static const char *const http_keys[] = { "listen", "tls",
	"max_connections", "max_header_size", "max_response_size",
	"request_timeout", "idle_timeout", "write_timeout", "max_probes",
	"probe_timeout", "cache", NULL };

/* One bound of the section into its field. */
static int
http_key(struct config_http *h, enum http_key k, const json_t *v,
    const struct cfg_pos *kat, struct config_err *err)
{
	long long	 n;

	switch (k) {
	case HK_LISTEN:
	case HK_TLS:
		break;
	case HK_MAX_CONNECTIONS:
		if (cfg_int_range(v, kat, 0, 1, 100000, &n, err) == -1)
			return -1;
		h->max_connections = (uint32_t)n;
		break;
	case HK_MAX_HEADER_SIZE:
		if (cfg_int_range(v, kat, 1, 512, 1 << 20, &n, err) == -1)
			return -1;
		h->max_header_size = (uint32_t)n;
		break;
	case HK_MAX_RESPONSE_SIZE:
		if (cfg_int_range(v, kat, 1, 4096, 1LL << 34, &n, err) == -1)
			return -1;
		h->max_response_size = (uint64_t)n;
		break;
	case HK_REQUEST_TIMEOUT:
		return cfg_duration(v, kat, 100, 3600000,
		    &h->request_timeout_ms, err);
	case HK_IDLE_TIMEOUT:
		return cfg_duration(v, kat, 100, 3600000, &h->idle_timeout_ms,
		    err);
	case HK_WRITE_TIMEOUT:
		return cfg_duration(v, kat, 100, 3600000,
		    &h->write_timeout_ms, err);
	case HK_MAX_PROBES:
		if (cfg_int_range(v, kat, 0, 1, 10000, &n, err) == -1)
			return -1;
		h->max_probes = (uint32_t)n;
		break;
	case HK_PROBE_TIMEOUT:
		return cfg_duration(v, kat, 100, 3600000,
		    &h->probe_timeout_ms, err);
	case HK_CACHE:
		return cfg_duration(v, kat, 0, 60000, &h->cache_ms, err);
	}
	return 0;
}

/* One path of http.tls into dst (made absolute). */
static int
http_tls_path(struct cfg_ctx *ctx, const json_t *obj,
    const struct cfg_pos *at, const char *key, char *dst, size_t size)
{
	struct cfg_pos	 kat = cfg_pos_key(at, key);
	const json_t	*v;
	const char	*s;
	char		*abs;

	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (cfg_str(v, &kat, 1, size - 1, 0, &s, ctx->err) == -1)
		return -1;
	if ((abs = cfg_abspath(ctx->c, s)) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	if (strlen(abs) >= size) {
		free(abs);
		return cfg_fail(ctx->err, &kat, AT_VALUE, "path too long");
	}
	copy_str(dst, abs, size);
	free(abs);
	return 0;
}

/*
 * "tls": {"cert", "key", "ca", "min_version"}: the files are opened now,
 * as the endpoint will open them, so that `snmpmgrd -t` finds them
 * missing (272), not loading or not matching (273), a CA that does not
 * load (271), or a certificate out of its dates (273).
 */
static int
http_tls(struct cfg_ctx *ctx, const json_t *obj, const struct cfg_pos *at,
    struct config_http *h)
{
	static const char *const keys[] = { "cert", "key", "ca",
		"min_version", NULL };
	static const char *const which_key[] = { "cert", "key", "ca" };
	struct http_tls_opts o;
	enum http_tls_file which;
	struct cfg_pos	 kat;
	const json_t	*v;
	const char	*s;
	char		 msg[1400], end[64];
	int		 days;
	SSL_CTX		*sc;

	if (!json_is_object(obj))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected an object "
		    "with \"cert\" and \"key\"");
	if (cfg_check_keys(obj, at, keys, ctx->err) == -1 ||
	    http_tls_path(ctx, obj, at, "cert", h->tls_cert,
	    sizeof(h->tls_cert)) == -1 ||
	    http_tls_path(ctx, obj, at, "key", h->tls_key,
	    sizeof(h->tls_key)) == -1 ||
	    http_tls_path(ctx, obj, at, "ca", h->tls_ca,
	    sizeof(h->tls_ca)) == -1)
		return -1;
	if (h->tls_cert[0] == '\0' || h->tls_key[0] == '\0')
		return cfg_fail(ctx->err, at, AT_KEY, "error %d: \"cert\" "
		    "and \"key\" are required (PEM files)",
		    SNMPMGR_ERR_TLS_CERT_NOT_FOUND);
	h->tls_min_version = TLS1_2_VERSION;
	if ((v = json_object_get(obj, "min_version")) != NULL) {
		kat = cfg_pos_key(at, "min_version");
		if (cfg_str(v, &kat, 1, 8, 0, &s, ctx->err) == -1)
			return -1;
		if (strcmp(s, "1.3") == 0)
			h->tls_min_version = TLS1_3_VERSION;
		else if (strcmp(s, "1.2") != 0)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected "
			    "\"1.2\" or \"1.3\"");
	}
	o.cert = h->tls_cert;
	o.key = h->tls_key;
	o.ca = h->tls_ca[0] != '\0' ? h->tls_ca : NULL;
	o.min_version = h->tls_min_version;
	if ((sc = http_tls_ctx_new(&o, msg, sizeof(msg), &which)) == NULL) {
		kat = cfg_pos_key(at, which_key[which]);
		return cfg_fail(ctx->err, &kat, AT_VALUE, "%s", msg);
	}
	SSL_CTX_free(sc);
	kat = cfg_pos_key(at, "cert");
	switch (cfg_tls_cert_dates(h->tls_cert, &days, end, sizeof(end))) {
	case CFG_TLS_DATES_EXPIRED:
		return cfg_fail(ctx->err, &kat, AT_VALUE, "error %d: %s: the "
		    "certificate expired (%s)", SNMPMGR_ERR_TLS_CREDENTIALS,
		    h->tls_cert, end);
	case CFG_TLS_DATES_NOT_YET:
		return cfg_fail(ctx->err, &kat, AT_VALUE, "error %d: %s: the "
		    "certificate is not valid yet",
		    SNMPMGR_ERR_TLS_CREDENTIALS, h->tls_cert);
	case CFG_TLS_DATES_SOON:
	case CFG_TLS_DATES_OK:
		break;
	}
	h->tls = true;
	return 0;
}

/* "http": { "listen": [...], bounds... }. */
int
cfg_http(struct cfg_ctx *ctx)
{
	struct config_http *h = &ctx->c->http;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_HTTP), kat, iat;
	const json_t	*obj = ctx->sect[SECT_HTTP], *v, *e;
	const char	*s;
	size_t		 i, j;
	int		 k;

	h->max_connections = HTTP_DEF_CONNECTIONS;
	h->max_header_size = HTTP_DEF_HEADER;
	h->max_response_size = HTTP_DEF_RESPONSE;
	h->request_timeout_ms = HTTP_DEF_REQUEST_MS;
	h->idle_timeout_ms = HTTP_DEF_IDLE_MS;
	h->write_timeout_ms = HTTP_DEF_WRITE_MS;
	h->max_probes = HTTP_DEF_PROBES;
	h->probe_timeout_ms = HTTP_DEF_PROBE_MS;
	h->cache_ms = HTTP_DEF_CACHE_MS;
	if (obj == NULL)
		return 0;
	ctx->c->have_http = true;
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "with \"listen\"");
	if (cfg_check_keys(obj, &at, http_keys, ctx->err) == -1)
		return -1;
	if ((v = json_object_get(obj, "tls")) != NULL) {
		kat = cfg_pos_key(&at, "tls");
		if (http_tls(ctx, v, &kat, h) == -1)
			return -1;
	}
	v = json_object_get(obj, "listen");
	kat = cfg_pos_key(&at, "listen");
	if (v == NULL)
		return cfg_fail(ctx->err, &at, AT_KEY, "no \"listen\" given");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > HTTP_MAX_LISTEN)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "expected a list of 1 "
		    "to %d addresses such as \"127.0.0.1:9116\"",
		    HTTP_MAX_LISTEN);
	if ((h->listen = calloc(json_array_size(v), sizeof(*h->listen))) ==
	    NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	json_array_foreach(v, i, e) {
		iat = cfg_pos_idx(&kat, i);
		if (cfg_str(e, &iat, 1, sizeof(h->listen[i].spec) - 1, 1, &s,
		    ctx->err) == -1 ||
		    http_listen(s, &iat, &h->listen[i], ctx->err) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(h->listen[j].host, h->listen[i].host) == 0 &&
			    h->listen[j].port == h->listen[i].port)
				return cfg_fail(ctx->err, &iat, AT_VALUE,
				    "\"%s\" is listed twice", s);
		h->nlisten++;
	}
	for (k = HK_MAX_CONNECTIONS; http_keys[k] != NULL; k++) {
		if ((v = json_object_get(obj, http_keys[k])) == NULL)
			continue;
		kat = cfg_pos_key(&at, http_keys[k]);
		if (http_key(h, (enum http_key)k, v, &kat, ctx->err) == -1)
			return -1;
	}
	return 0;
}

/*
 * A poll's "labels": names (or OIDs) of table columns.  Each becomes a
 * label named after the column's MIB label, or "oid_1_3_..." without one.
 */
int
cfg_poll_labels(struct cfg_ctx *ctx, const json_t *v,
    const struct cfg_pos *at, struct config_poll *p)
{
	const struct mib_node *node;
	struct cfg_pos	 iat;
	const char	*s;
	char		 msg[300], *name;
	size_t		 i, j, n, plen, off;

	if (!json_is_array(v) || json_array_size(v) > 16)
		return cfg_fail(ctx->err, at, AT_VALUE, "expected a list of up "
		    "to 16 column names such as \"ifName\"");
	n = json_array_size(v);
	if (n == 0)
		return 0;
	if ((p->label_oids = calloc(n, sizeof(*p->label_oids))) == NULL ||
	    (p->label_names = calloc(n, sizeof(*p->label_names))) == NULL)
		return cfg_fail(ctx->err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		iat = cfg_pos_idx(at, i);
		if (cfg_str(json_array_get(v, i), &iat, 1, SNMPMGR_MAX_OID_STR,
		    1, &s, ctx->err) == -1)
			return -1;
		if (mib_parse_oid(ctx->c->mib, &p->label_oids[i], s, strlen(s),
		    msg, sizeof(msg)) == -1)
			return cfg_fail(ctx->err, &iat, AT_VALUE, "%s", msg);
		name = p->label_names[i];
		node = mib_lookup(ctx->c->mib, &p->label_oids[i], &plen);
		if (node != NULL && plen == p->label_oids[i].len &&
		    strlen(mib_node_label(node)) < sizeof(p->label_names[i])) {
			copy_str(name, mib_node_label(node),
			    sizeof(p->label_names[i]));
			for (j = 0; name[j] != '\0'; j++)
				if (name[j] == '-')
					name[j] = '_';
		} else {
			off = (size_t)snprintf(name, sizeof(p->label_names[i]),
			    "oid");
			for (j = 0; j < p->label_oids[i].len && off + 12 <
			    sizeof(p->label_names[i]); j++)
				off += (size_t)snprintf(name + off,
				    sizeof(p->label_names[i]) - off, "_%u",
				    p->label_oids[i].arcs[j]);
		}
		p->nlabels++;
	}
	return 0;
}
