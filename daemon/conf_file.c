/*
 * conf_file.c - read the config's files: the main file, every file it
 * includes (glob patterns, relative to the including file, bounded depth,
 * loops refused) and the inline extra of config_load_extra(), each parsed
 * by jansson with duplicate keys rejected.  Their top-level keys are
 * merged into the load context: named entries (sessions, polls, templates,
 * credentials) are pooled, and a scalar section may be given once.  Also
 * state_dir and the session files snmpmgrd writes itself there
 * (cfg_state_dir, cfg_read_owned).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/limits.h"
#include "conf.h"
#include "conf_int.h"

const struct cfg_sect cfg_sections[NSECT] = {
	[SECT_CONTROL] =	{ "control", SECT_SCALAR },
	[SECT_STATE_DIR] =	{ "state_dir", SECT_SCALAR },
	[SECT_LOG] =		{ "log", SECT_SCALAR },
	[SECT_INCLUDE] =	{ "include", SECT_INCLUDES },
	[SECT_DEFAULTS] =	{ "defaults", SECT_SCALAR },
	[SECT_CREDENTIALS] =	{ "credentials", SECT_COLLECTION },
	[SECT_POLLS] =		{ "polls", SECT_COLLECTION },
	[SECT_TEMPLATES] =	{ "templates", SECT_COLLECTION },
	[SECT_SESSIONS] =	{ "sessions", SECT_COLLECTION },
	[SECT_TRAPS] =		{ "traps", SECT_SCALAR },
	[SECT_SCHEDULER] =	{ "scheduler", SECT_SCALAR },
	[SECT_LOCAL_ENGINE_ID] = { "local_engine_id", SECT_SCALAR },
	[SECT_RESOLVER] =	{ "resolver", SECT_SCALAR },
	[SECT_MIBS] =		{ "mibs", SECT_SCALAR },
	[SECT_HTTP] =		{ "http", SECT_SCALAR },
	[SECT_CLUSTER] =	{ "cluster", SECT_SCALAR },
};

/* ------------------------------------------------------------------ */
/* Files and includes                                                  */

void
cfg_file_free(struct cfg_file *f)
{
	if (f == NULL)
		return;
	free(f->path);
	free(f->real);
	/* The text and the tree may hold SNMPv3 passwords. */
	if (f->text != NULL)
		OPENSSL_cleanse(f->text, f->len);
	free(f->text);
	if (f->secrets)
		config_json_wipe_secrets(f->root);
	json_decref(f->root);
	free(f);
}

struct cfg_pos
cfg_sect_pos(const struct cfg_ctx *ctx, enum sect_id id)
{
	struct cfg_pos	 p, root;

	memset(&root, 0, sizeof(root));
	root.file = ctx->sectfile[id] >= 0 ? ctx->files[ctx->sectfile[id]] :
	    NULL;
	p = cfg_pos_key(&root, cfg_sections[id].name);
	return p;
}

int
cfg_entry_file(const struct cfg_ctx *ctx, enum sect_id id, const char *name)
{
	json_t	*o;

	if ((o = json_object_get(ctx->origin[id], name)) != NULL)
		return (int)json_integer_value(o);
	if (ctx->collfi[id] >= 0 && json_object_get(ctx->coll[id],
	    name) != NULL)
		return ctx->collfi[id];
	return -1;
}

struct cfg_pos
cfg_entry_pos(const struct cfg_ctx *ctx, enum sect_id id, const char *name)
{
	struct cfg_pos	 p, root;
	int		 fi = cfg_entry_file(ctx, id, name);

	memset(&root, 0, sizeof(root));
	root.file = fi >= 0 ? ctx->files[fi] : NULL;
	p = cfg_pos_key(&root, cfg_sections[id].name);
	return cfg_pos_key(&p, name);
}

static int	 cfg_merge_file(struct cfg_ctx *, int, int);

/* Read the whole of path, bounded by SNMPMGR_MAX_CONFIG_SIZE. */
static int
cfg_slurp(struct cfg_file *f, const struct cfg_pos *from,
    struct config_err *err)
{
	struct stat	 st;
	ssize_t		 r;
	size_t		 cap;
	int		 fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		goto syserr;
	if (fstat(fd, &st) == -1)
		goto syserr;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (from != NULL)
			return cfg_fail(err, from, AT_VALUE, "%s: not a "
			    "regular file", f->path);
		(void)snprintf(err->text, sizeof(err->text), "%s: not a "
		    "regular file", f->path);
		return -1;
	}
	if (st.st_size > SNMPMGR_MAX_CONFIG_SIZE)
		goto toobig;
	cap = (size_t)st.st_size + 1;
	if ((f->text = malloc(cap)) == NULL)
		goto syserr;
	for (;;) {
		r = read(fd, f->text + f->len, cap - f->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto syserr;
		if (r == 0)
			break;
		f->len += (size_t)r;
		if (f->len == cap) {
			close(fd);
			(void)snprintf(err->text, sizeof(err->text), "%s: "
			    "changed while being read", f->path);
			return -1;
		}
	}
	close(fd);
	/* A UTF-8 byte order mark, as some editors write (RFC 8259 8.1
	 * lets a parser ignore it): blanks, so positions stay. */
	if (f->len >= 3 && memcmp(f->text, "\xef\xbb\xbf", 3) == 0)
		memset(f->text, ' ', 3);
	return 0;
 toobig:
	close(fd);
	(void)snprintf(err->text, sizeof(err->text), "%s: larger than %d "
	    "bytes", f->path, SNMPMGR_MAX_CONFIG_SIZE);
	return -1;
 syserr:
	r = errno;
	if (fd != -1)
		close(fd);
	if (from != NULL)
		return cfg_fail(err, from, AT_VALUE, "%s: %s", f->path,
		    strerror((int)r));
	(void)snprintf(err->text, sizeof(err->text), "%s: %s", f->path,
	    strerror((int)r));
	return -1;
}

/* Merge one top-level section of file fi into the pool. */
static int
cfg_merge(struct cfg_ctx *ctx, int fi, enum sect_id id, json_t *val)
{
	struct cfg_pos	 root, at, eat, prev;
	const char	*name;
	json_t		*entry, *copy;
	char		 where[300];
	size_t		 n;

	memset(&root, 0, sizeof(root));
	root.file = ctx->files[fi];
	at = cfg_pos_key(&root, cfg_sections[id].name);
	if (cfg_sections[id].kind == SECT_SCALAR) {
		if (ctx->sectfile[id] >= 0) {
			prev = cfg_sect_pos(ctx, id);
			cfg_where(&prev, where, sizeof(where));
			return cfg_fail(ctx->err, &at, AT_KEY, "already set at "
			    "%s", where);
		}
		ctx->sect[id] = val;
		ctx->sectfile[id] = fi;
		return 0;
	}
	if (!json_is_object(val))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "of named entries");
	/* The first file to give entries: its object is the pool. */
	if (ctx->collfi[id] < 0 && json_object_size(ctx->coll[id]) == 0) {
		n = 0;
		json_object_foreach(val, name, entry) {
			eat = cfg_pos_key(&at, name);
			if (cfg_check_name(name, &eat, ctx->err) == -1)
				return -1;
			if (id == SECT_SESSIONS && n++ >= SNMPMGR_MAX_SESSIONS)
				return cfg_fail(ctx->err, &eat, AT_KEY, "more "
				    "than %d sessions", SNMPMGR_MAX_SESSIONS);
		}
		json_decref(ctx->coll[id]);
		ctx->coll[id] = json_incref(val);
		ctx->collfi[id] = fi;
		ctx->coll_shared[id] = true;
		return 0;
	}
	if (ctx->coll_shared[id]) {
		if ((copy = json_object()) == NULL ||
		    json_object_update(copy, ctx->coll[id]) == -1) {
			json_decref(copy);
			return cfg_fail(ctx->err, &at, AT_KEY, "out of memory");
		}
		json_decref(ctx->coll[id]);
		ctx->coll[id] = copy;
		ctx->coll_shared[id] = false;
	}
	json_object_foreach(val, name, entry) {
		eat = cfg_pos_key(&at, name);
		if (cfg_check_name(name, &eat, ctx->err) == -1)
			return -1;
		if (json_object_get(ctx->coll[id], name) != NULL) {
			prev = cfg_entry_pos(ctx, id, name);
			cfg_where(&prev, where, sizeof(where));
			return cfg_fail(ctx->err, &eat, AT_KEY, "already "
			    "defined at %s", where);
		}
		if (id == SECT_SESSIONS && json_object_size(ctx->coll[id]) >=
		    SNMPMGR_MAX_SESSIONS)
			return cfg_fail(ctx->err, &eat, AT_KEY, "more than %d "
			    "sessions", SNMPMGR_MAX_SESSIONS);
		if (json_object_set(ctx->coll[id], name, entry) == -1 ||
		    json_object_set_new(ctx->origin[id], name,
		    json_integer(fi)) == -1)
			return cfg_fail(ctx->err, &eat, AT_KEY, "out of "
			    "memory");
	}
	return 0;
}

/* dir/name in a new string, or NULL. */
char *
cfg_path_join(const char *dir, const char *name)
{
	size_t	 n = strlen(dir) + strlen(name) + 2;
	char	*s;

	if ((s = malloc(n)) != NULL)
		(void)snprintf(s, n, "%s/%s", dir, name);
	return s;
}

static int
has_glob_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The "include" list of file fi: glob each pattern, read each match. */
static int
cfg_includes(struct cfg_ctx *ctx, int fi, json_t *val, int depth)
{
	struct cfg_pos	 root, at, eat;
	const char	*pat;
	char		*dir = NULL, *tmp = NULL, *full = NULL, *dj;
	glob_t		 g;
	size_t		 i, j, n;
	int		 r, have_glob = 0;
	json_t		*one = NULL;
	struct stat	 st;

	memset(&root, 0, sizeof(root));
	root.file = ctx->files[fi];
	at = cfg_pos_key(&root, "include");
	if (json_is_string(val)) {
		if ((one = json_array()) == NULL ||
		    json_array_append(one, val) == -1)
			goto nomem;
		val = one;
	} else if (!json_is_array(val)) {
		cfg_fail(ctx->err, &at, AT_VALUE, "expected a list of file "
		    "patterns");
		goto fail;
	}
	if ((tmp = strdup(ctx->files[fi]->path)) == NULL ||
	    (dir = strdup(dirname(tmp))) == NULL)
		goto nomem;
	n = json_array_size(val);
	for (i = 0; i < n; i++) {
		eat = one != NULL ? at : cfg_pos_idx(&at, i);
		if (cfg_str(json_array_get(val, i), &eat, 1, PATH_MAX, 0,
		    &pat, ctx->err) == -1)
			goto fail;
		free(full);
		if (pat[0] == '/')
			full = strdup(pat);
		else
			full = cfg_path_join(dir, pat);
		if (full == NULL)
			goto nomem;
		if (!has_glob_magic(full) && stat(full, &st) == -1) {
			cfg_fail(ctx->err, &eat, AT_VALUE, "%s: %s", full,
			    strerror(errno));
			goto fail;
		}
		/* A directory (conf.d): its *.json files. */
		if (!has_glob_magic(full) && S_ISDIR(st.st_mode)) {
			for (j = strlen(full); j > 1 && full[j - 1] == '/'; j--)
				full[j - 1] = '\0';
			dj = cfg_path_join(full, "*.json");
			free(full);
			if ((full = dj) == NULL)
				goto nomem;
		}
		memset(&g, 0, sizeof(g));
		r = glob(full, 0, NULL, &g);
		have_glob = 1;
		if (r == GLOB_NOMATCH) {
			globfree(&g);
			have_glob = 0;
			continue;
		}
		if (r != 0) {
			cfg_fail(ctx->err, &eat, AT_VALUE, "%s: cannot expand "
			    "the pattern", full);
			goto fail;
		}
		for (j = 0; j < g.gl_pathc; j++)
			if (cfg_read_file(ctx, g.gl_pathv[j], &eat,
			    depth + 1) == -1)
				goto fail;
		globfree(&g);
		have_glob = 0;
	}
	free(full);
	free(dir);
	free(tmp);
	json_decref(one);
	return 0;
 nomem:
	cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
 fail:
	if (have_glob)
		globfree(&g);
	free(full);
	free(dir);
	free(tmp);
	json_decref(one);
	return -1;
}

/*
 * Read, parse and merge one file; from is the include entry that named it
 * (NULL for the main file).
 */
int
cfg_read_file(struct cfg_ctx *ctx, const char *path,
    const struct cfg_pos *from, int depth)
{
	struct cfg_file	*f;
	json_error_t	 jerr;
	char		 kp[256];
	size_t		 i;
	int		 fi;

	if (from != NULL && ctx->nfiles > SNMPMGR_MAX_INCLUDES)
		return cfg_fail(ctx->err, from, AT_VALUE, "more than %d "
		    "included files", SNMPMGR_MAX_INCLUDES);
	if (from != NULL && depth > CONFIG_MAX_INCLUDE_DEPTH)
		return cfg_fail(ctx->err, from, AT_VALUE, "includes nested "
		    "deeper than %d", CONFIG_MAX_INCLUDE_DEPTH);
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL) {
		cfg_file_free(f);
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
		    "%s: out of memory", path);
		return -1;
	}
	if (cfg_slurp(f, from, ctx->err) == -1)
		goto fail;
	ctx->total += f->len;
	if (ctx->total > SNMPMGR_MAX_CONFIG_SIZE) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: the "
		    "configuration files together are larger than %d bytes",
		    path, SNMPMGR_MAX_CONFIG_SIZE);
		goto fail;
	}
	if ((f->real = realpath(path, NULL)) == NULL) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
		    "%s: %s", path, strerror(errno));
		goto fail;
	}
	for (i = 0; i < ctx->nfiles; i++)
		if (strcmp(ctx->files[i]->real, f->real) == 0) {
			cfg_fail(ctx->err, from, AT_VALUE, "%s is already "
			    "loaded (an include loop, or two patterns "
			    "matching it)", path);
			goto fail;
		}
	f->root = cfg_json_load(f->text, f->len, &jerr, &f->secrets);
	if (f->root == NULL) {
		/* jansson quotes the text near the error: not a secret's. */
		kp[0] = '\0';
		if (jerr.line > 0 && jerr.position >= 0 &&
		    cfg_syntax_secret(f->text, f->len, (size_t)jerr.position,
		    kp, sizeof(kp)))
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%s:%d:%d: %s%sinvalid JSON in a secret value (its "
			    "text is not shown)", path, jerr.line,
			    jerr.column > 0 ? jerr.column : 1, kp,
			    kp[0] != '\0' ? ": " : "");
		else if (jerr.line > 0)
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%s:%d:%d: %s%s%s", path, jerr.line,
			    jerr.column > 0 ? jerr.column : 1, kp,
			    kp[0] != '\0' ? ": " : "", jerr.text);
		else
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%s: %s", path, jerr.text);
		goto fail;
	}
	fi = (int)ctx->nfiles;
	ctx->files[ctx->nfiles++] = f;
	return cfg_merge_file(ctx, fi, depth);
 fail:
	cfg_file_free(f);
	return -1;
}

/* Merge the top-level sections of file fi, then read its includes. */
static int
cfg_merge_file(struct cfg_ctx *ctx, int fi, int depth)
{
	struct cfg_file	*f = ctx->files[fi];
	struct cfg_pos	 root, at;
	const char	*key;
	json_t		*val, *inc = NULL;
	int		 id;
	struct suggest	 sg;

	memset(&root, 0, sizeof(root));
	root.file = f;
	if (!json_is_object(f->root))
		return cfg_fail(ctx->err, &root, AT_VALUE, "the top level "
		    "must be a JSON object");
	json_object_foreach(f->root, key, val) {
		at = cfg_pos_key(&root, key);
		for (id = 0; id < NSECT; id++)
			if (strcmp(cfg_sections[id].name, key) == 0)
				break;
		if (id == NSECT) {
			sg.key = key;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			for (id = 0; id < NSECT; id++)
				cfg_suggest_try(&sg, cfg_sections[id].name);
			return cfg_unknown(ctx->err, &at, &sg, "top-level key");
		}
		if (cfg_sections[id].kind == SECT_INCLUDES)
			inc = val;
		else if (cfg_merge(ctx, fi, (enum sect_id)id, val) == -1)
			return -1;
	}
	if (inc != NULL)
		return cfg_includes(ctx, fi, inc, depth);
	return 0;
}

/*
 * An object given in memory, taken as one more included file called name
 * (error messages name it and the key path, not a line of the JSON text
 * dumped here, which the client never saw).  It may not include other
 * files.
 */
int
cfg_read_inline(struct cfg_ctx *ctx, const json_t *obj, const char *name)
{
	struct cfg_file	*f;
	struct cfg_pos	 root, at;
	json_error_t	 jerr;

	if (ctx->nfiles > SNMPMGR_MAX_INCLUDES) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: "
		    "more than %d included files", name, SNMPMGR_MAX_INCLUDES);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(name)) == NULL ||
	    (f->real = strdup(name)) == NULL ||
	    (f->text = json_dumps(obj, JSON_INDENT(2))) == NULL)
		goto nomem;
	f->inline_doc = true;
	f->len = strlen(f->text);
	ctx->total += f->len;
	if (ctx->total > SNMPMGR_MAX_CONFIG_SIZE) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: the "
		    "configuration files together are larger than %d bytes",
		    name, SNMPMGR_MAX_CONFIG_SIZE);
		cfg_file_free(f);
		return -1;
	}
	/* Parsed back from the text, so positions match what was read. */
	if ((f->root = cfg_json_load(f->text, f->len, &jerr,
	    &f->secrets)) == NULL)
		goto nomem;
	ctx->files[ctx->nfiles++] = f;
	if (json_object_get(f->root, "include") != NULL) {
		memset(&root, 0, sizeof(root));
		root.file = f;
		at = cfg_pos_key(&root, "include");
		return cfg_fail(ctx->err, &at, AT_KEY, "not allowed here");
	}
	return cfg_merge_file(ctx, (int)ctx->nfiles - 1, 0);
 nomem:
	cfg_file_free(f);
	(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: out of "
	    "memory", name);
	return -1;
}

/*
 * "state_dir": the files', or at a reload the running one (its own
 * files are read from where they are; what the files asked for is noted).
 */
int
cfg_state_dir(struct cfg_ctx *ctx)
{
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_STATE_DIR);
	const char	*s = CONFIG_DEFAULT_STATEDIR;

	if (ctx->sect[SECT_STATE_DIR] != NULL) {
		if (cfg_str(ctx->sect[SECT_STATE_DIR], &at, 1, PATH_MAX - 1,
		    0, &s, ctx->err) == -1)
			return -1;
		if (s[0] != '/')
			return cfg_fail(ctx->err, &at, AT_VALUE, "must be an "
			    "absolute path");
	}
	/* A reload: what state_dir holds is read from where it is. */
	if (ctx->keep_state_dir != NULL &&
	    strcmp(s, ctx->keep_state_dir) != 0) {
		if ((ctx->c->state_dir_asked = strdup(s)) == NULL)
			return cfg_fail(ctx->err, &at, AT_VALUE, "out of "
			    "memory");
		s = ctx->keep_state_dir;
	}
	if ((ctx->c->state_dir = strdup(s)) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	return 0;
}

/*
 * The files snmpmgrd writes itself (conf.h): every STATE_DIR/sessions/
 * NAME.json, read after the config files as if included last.  Each must
 * hold nothing but its one session.
 */
int
cfg_read_owned(struct cfg_ctx *ctx)
{
	struct cfg_pos	 root;
	const json_t	*ss;
	const char	*name;
	json_t		*v;
	char		*pat, *base;
	glob_t		 g;
	size_t		 j, len;
	int		 r, rv = 0;

	if ((pat = cfg_path_join(ctx->c->state_dir, CONFIG_OWNED_SESSIONS
	    "/*.json")) == NULL) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: "
		    "out of memory", ctx->c->state_dir);
		return -1;
	}
	memset(&g, 0, sizeof(g));
	r = glob(pat, 0, NULL, &g);
	free(pat);
	if (r == GLOB_NOMATCH)
		return 0;
	for (j = 0; r == 0 && j < g.gl_pathc && rv == 0; j++) {
		if (cfg_read_file(ctx, g.gl_pathv[j], NULL, 1) == -1) {
			rv = -1;
			break;
		}
		memset(&root, 0, sizeof(root));
		root.file = ctx->files[ctx->nfiles - 1];
		ss = json_object_get(root.file->root, "sessions");
		base = strrchr(g.gl_pathv[j], '/') + 1;
		len = strlen(base) - strlen(".json");
		name = NULL;
		if (json_object_size(ss) == 1)
			json_object_foreach((json_t *)ss, name, v)
				break;
		if (json_object_size(root.file->root) != 1 || name == NULL ||
		    strlen(name) != len || strncmp(name, base, len) != 0)
			rv = cfg_fail(ctx->err, &root, AT_VALUE, "a file of "
			    "snmpmgrd's own holds one session, named as the "
			    "file, and nothing else");
	}
	if (r != 0 && r != GLOB_NOMATCH) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s/%s: "
		    "cannot list the directory", ctx->c->state_dir,
		    CONFIG_OWNED_SESSIONS);
		rv = -1;
	}
	globfree(&g);
	return rv;
}
