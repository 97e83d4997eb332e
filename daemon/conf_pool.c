/*
 * conf_pool.c - the config's pool (struct config, config_session): the
 * template names, credentials names and poll-name vectors of config
 * entries, one copy per distinct value, shared by every entry with it
 * and freed with the config, where 100,000 sessions of one template
 * would otherwise copy each (~100 bytes a session).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/limits.h"
#include "conf.h"
#include "conf_int.h"

/* Look key up in the pool: the shared allocation, or NULL. */
static void *
cfg_pool_find(struct cfg_ctx *ctx, const char *key)
{
	json_t	*ix;

	if (ctx->pooled == NULL ||
	    (ix = json_object_get(ctx->pooled, key)) == NULL)
		return NULL;
	return ctx->c->pool[json_integer_value(ix)];
}

/* Give p to the pool under key.  0, or -1 with p freed. */
static int
cfg_pool_add(struct cfg_ctx *ctx, const char *key, void *p)
{
	struct config	*c = ctx->c;
	void		**np;
	size_t		 ncap;

	if (c->npool == c->poolcap) {
		ncap = c->poolcap == 0 ? 16 : c->poolcap * 2;
		if ((np = reallocarray(c->pool, ncap, sizeof(*np))) == NULL) {
			free(p);
			return -1;
		}
		c->pool = np;
		c->poolcap = ncap;
	}
	if ((ctx->pooled == NULL && (ctx->pooled = json_object()) == NULL) ||
	    json_object_set_new(ctx->pooled, key,
	    json_integer((json_int_t)c->npool)) == -1) {
		free(p);
		return -1;
	}
	c->pool[c->npool++] = p;
	return 0;
}

char *
cfg_pool_str(struct cfg_ctx *ctx, const char *s)
{
	char	 buf[SNMPMGR_MAX_NAME_LEN + 2], *key = buf, *p = NULL;
	size_t	 n = strlen(s);

	if (n + 2 > sizeof(buf) && (key = malloc(n + 2)) == NULL)
		return NULL;
	key[0] = 's';
	memcpy(key + 1, s, n + 1);
	if ((p = cfg_pool_find(ctx, key)) == NULL &&
	    ((p = strdup(s)) == NULL || cfg_pool_add(ctx, key, p) == -1))
		p = NULL;
	if (key != buf)
		free(key);
	return p;
}

char **
cfg_pool_polls(struct cfg_ctx *ctx, const json_t *polls)
{
	size_t	 n = json_array_size(polls), i, len = 2;
	char	**v, *key;

	for (i = 0; i < n; i++)
		len += strlen(json_string_value(json_array_get(polls, i))) + 1;
	if ((key = malloc(len)) == NULL)
		return NULL;
	/* The names joined by '/', which no name holds (letters, digits,
	 * '_', '.', '-'): one key per list. */
	key[0] = 'v';
	key[1] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)strcat(key, "/");
		(void)strcat(key, json_string_value(json_array_get(polls, i)));
	}
	if ((v = cfg_pool_find(ctx, key)) != NULL)
		goto out;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if ((v[i] = cfg_pool_str(ctx, json_string_value(
		    json_array_get(polls, i)))) == NULL) {
			free(v);
			v = NULL;
			goto out;
		}
	if (cfg_pool_add(ctx, key, v) == -1)
		v = NULL;
 out:
	free(key);
	return v;
}
