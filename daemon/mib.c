/*
 * mib.c - loading MIB modules with libsmi into a tree of our own, and
 * names to OIDs and back (mib.h).
 *
 * libsmi keeps global state, crashes on some broken modules and is
 * never used by the daemon itself: mib_load() has a forked child
 * (mib_probe.c) initialise it, tell it the directories, ask it for each
 * module and read what it made into struct mib_node's, all in a shared
 * mapping the daemon made before the fork (mib_int.h), where the daemon
 * finds the set once the child is done.  A loaded set is plain memory
 * that lookups share without locks.  When two modules name the
 * same OID the node keeps the name of the module listed first in
 * "modules", else of an SMIv2 module over an SMIv1 one, else of the
 * module whose name sorts first: the same choice on every start.  Every
 * name stays accepted as input.
 */
#include <config.h>		/* autoconf's */

#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#ifdef HAVE_LIBSMI
#include <smi.h>
#endif

#include "core/oid.h"
#include "core/strdist.h"
#include "log.h"
#include "mib.h"
#include "mib_int.h"

/* ------------------------------------------------------------ memory */

/* size bytes that live as long as m, aligned for any use. */
static void *
mib_alloc(struct mib *m, size_t size)
{
	void	*p;

	size = (size + 15) & ~(size_t)15;
	if (size > m->size - m->used)
		return NULL;
	p = (char *)m + m->used;
	m->used += size;
	return p;
}

/* An array of n elements of size bytes grown to cap: a new one, the
 * old copied (what it held stays unused in the mapping). */
static void *
mib_grow(struct mib *m, const void *old, size_t n, size_t cap, size_t size)
{
	void	*p;

	if (cap > m->size / size ||
	    (p = mib_alloc(m, cap * size)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, old, n * size);
	return p;
}

static const char *
mib_strndup(struct mib *m, const char *s, size_t n)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = mib_alloc(m, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static const char *
mib_strdup(struct mib *m, const char *s)
{
	return s == NULL ? NULL : mib_strndup(m, s, strlen(s));
}

/*
 * A mapping for a set, as large as the system grants up to
 * SNMPMGR_MAX_MIB_SET, its struct at the start.  NULL: no room.  A
 * memfd's pages are charged as they are written, whatever the host's
 * overcommit mode (a shared anonymous mapping is charged whole where
 * overcommit is strict, MAP_NORESERVE notwithstanding); a host that
 * still refuses the size gets smaller tries.
 */
static struct mib *
mib_map(void)
{
	struct mib	*m;
	size_t		 size;
	int		 fd, e;

	if ((fd = memfd_create("snmpmgrd-mibs", MFD_CLOEXEC)) == -1)
		return NULL;
	for (size = SNMPMGR_MAX_MIB_SET; size >= ((size_t)16 << 20);
	    size /= 4) {
		if (ftruncate(fd, (off_t)size) == -1)
			continue;
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
		if (m != MAP_FAILED) {
			close(fd);
			m->size = size;
			return m;
		}
	}
	e = errno;
	close(fd);
	errno = e;
	return NULL;
}

/* Start over in mapping m (a child died half way through). */
static void
mib_reset(struct mib *m)
{
	size_t	 size = m->size;

	memset(m, 0, sizeof(*m));
	m->size = size;
	m->refs = 1;
	m->used = sizeof(*m);
}

bool
mib_supported(void)
{
#ifdef HAVE_LIBSMI
	return true;
#else
	return false;
#endif
}

struct mib *
mib_ref(struct mib *m)
{
	if (m != NULL)
		m->refs++;
	return m;
}

void
mib_unref(struct mib *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	munmap(m, m->size);
}

void
mib_stats(const struct mib *m, size_t *modules, size_t *nodes,
    double *load_ms)
{
	*modules = m != NULL ? m->nmodules : 0;
	*nodes = m != NULL ? m->nnodes : 0;
	*load_ms = m != NULL ? m->load_ms : 0;
}

static struct mib *current;

void
mib_set_current(struct mib *m)
{
	struct mib	*old = current;

	if (m != NULL && m != old)
		log_info("mibs: %zu modules, %zu nodes, loaded in %.1f ms "
		    "(by a child, the event loop waiting before serving "
		    "with them)", m->nmodules, m->nnodes, m->load_ms);
	current = mib_ref(m);
	mib_unref(old);
}

struct mib *
mib_current(void)
{
	return current;
}

/* ------------------------------------------------------------ the tree */

static struct mib_node *
node_kid(const struct mib_node *n, uint32_t arc)
{
	uint32_t	 lo = 0, hi = n->nkids, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (n->kids[mid]->arc == arc)
			return n->kids[mid];
		if (n->kids[mid]->arc < arc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct mib_node *
mib_lookup(const struct mib *m, const struct oid *o, size_t *plen)
{
	const struct mib_node *n, *best = NULL, *k;
	struct mib	*mm = (struct mib *)(uintptr_t)m;
	uint32_t	 i;

	if (m == NULL || o->len == 0)
		return NULL;
	n = &m->root;
	i = 0;
	/* Start from the last node found when o lies under it. */
	if ((k = m->last) != NULL && k->depth <= o->len &&
	    memcmp(k->oid, o->arcs, k->depth * sizeof(uint32_t)) == 0) {
		n = k;
		i = k->depth;
		best = k;
	}
	for (; i < o->len; i++) {
		if ((k = node_kid(n, o->arcs[i])) == NULL)
			break;
		n = k;
		if (n->label != NULL)
			best = n;
	}
	if (best == NULL)
		return NULL;
	/* Cache only object and row nodes: where walks spend their time. */
	if (best->kind & (MIB_K_COLUMN | MIB_K_SCALAR))
		mm->last = best;
	*plen = best->depth;
	return best;
}

const char *
mib_node_label(const struct mib_node *n)
{
	return n->label;
}

const char *
mib_node_module(const struct mib_node *n)
{
	return n->module;
}

bool
mib_node_is_object(const struct mib_node *n)
{
	return (n->kind & (MIB_K_COLUMN | MIB_K_SCALAR)) != 0;
}

const struct mib_node *
mib_node_row(const struct mib_node *n)
{
	if (n->kind & MIB_K_TABLE)
		return n->nkids == 1 ? n->kids[0] : NULL;
	if (n->kind & MIB_K_ROW)
		return n;
	if ((n->kind & MIB_K_COLUMN) && n->parent != NULL &&
	    (n->parent->kind & MIB_K_ROW))
		return n->parent;
	return NULL;
}

bool
mib_node_plain_name(const struct mib_node *n, const char **name,
    size_t *namelen, size_t *nindex)
{
	if (!n->plain)
		return false;
	*name = n->fullname;
	*namelen = n->fullname_len;
	*nindex = n->plain_index;
	return true;
}

const char *
mib_node_index_label(const struct mib_node *n, size_t i, size_t *len)
{
	const struct mib_node *in = mib_node_row(n)->index[i];

	*len = in->label_len;
	return in->label;
}

/* True when s is an identifier no output format quotes. */
static bool
plain_ident(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* How mib_node_plain_name names n's instances (n labelled): the INDEX
 * objects each one plain integer arc; -1 when not plain. */
static int
plain_index(const struct mib_node *n)
{
	const struct mib_node *row = mib_node_row(n), *in;
	size_t		 i;

	if (!(n->kind & MIB_K_COLUMN) || row == NULL || row->nindex == 0)
		return 0;
	/* mib_name_instance decodes at most this many */
	if (row->nindex > SNMPMGR_MAX_OID_LEN / 2 || row->nindex > 16)
		return -1;
	for (i = 0; i < row->nindex; i++) {
		in = row->index[i];
		if (!plain_ident(in->label) || in->app_ip)
			return -1;
		switch (in->base) {
		case MIB_B_INTEGER32:
		case MIB_B_UNSIGNED32:
		case MIB_B_INTEGER64:
		case MIB_B_UNSIGNED64:
			break;
		default:		/* enum labels, strings, OIDs */
			return -1;
		}
	}
	return (int)row->nindex;
}

/* The full names and plain-name facts of n and the nodes under it. */
static int
plain_names(struct mib *m, struct mib_node *n)
{
	size_t		 ml, ll;
	uint32_t	 i;
	char		*p;
	int		 k;

	if (n->label != NULL) {
		ml = strlen(n->module);
		ll = strlen(n->label);
		if ((p = mib_alloc(m, ml + 2 + ll + 1)) == NULL)
			return -1;
		memcpy(p, n->module, ml);
		memcpy(p + ml, "::", 2);
		memcpy(p + ml + 2, n->label, ll + 1);
		n->fullname = p;
		n->fullname_len = (uint32_t)(ml + 2 + ll);
		n->label_len = (uint32_t)ll;
		n->plain = false;
		n->plain_index = 0;
		if (plain_ident(n->module) && plain_ident(n->label) &&
		    (k = plain_index(n)) >= 0) {
			n->plain = true;
			n->plain_index = (uint8_t)k;
		}
	}
	for (i = 0; i < n->nkids; i++)
		if (plain_names(m, n->kids[i]) == -1)
			return -1;
	return 0;
}

/* The node at arcs[0..len), made along the way when missing. */
static struct mib_node *
node_make(struct mib *m, const uint32_t *arcs, uint32_t len)
{
	struct mib_node	*n = &m->root, *k, **nk;
	uint32_t	 i, j, cap;

	for (i = 0; i < len; i++) {
		if ((k = node_kid(n, arcs[i])) != NULL) {
			n = k;
			continue;
		}
		if (n->nkids == n->capkids) {
			cap = n->capkids ? 2 * n->capkids : 4;
			if ((nk = mib_grow(m, n->kids, n->nkids, cap,
			    sizeof(*nk))) == NULL)
				return NULL;
			n->kids = nk;
			n->capkids = cap;
		}
		if ((k = mib_alloc(m, sizeof(*k))) == NULL)
			return NULL;
		memset(k, 0, sizeof(*k));
		k->oid = mib_alloc(m, (i + 1) * sizeof(uint32_t));
		if (k->oid == NULL)
			return NULL;
		memcpy(k->oid, arcs, (i + 1) * sizeof(uint32_t));
		k->arc = arcs[i];
		k->depth = i + 1;
		k->parent = n;
		for (j = n->nkids; j > 0 && n->kids[j - 1]->arc > arcs[i]; j--)
			n->kids[j] = n->kids[j - 1];
		n->kids[j] = k;
		n->nkids++;
		m->nnodes++;
		n = k;
	}
	return n;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct mib_name *x = a, *y = b;
	int		 c;

	if ((c = strcmp(x->label, y->label)) != 0)
		return c;
	return strcmp(x->module, y->module);
}

/* ------------------------------------------------------------ names in */

/* The closest known label to s, or NULL when none is near. */
static const struct mib_name *
suggest(const struct mib *m, const char *s)
{
	const struct mib_name *best = NULL;
	size_t		 i, d, bd = strlen(s) / 3 + 1;

	if (bd > 3)
		bd = 3;
	for (i = 0; i < m->nnames; i++) {
		if ((d = strdist(s, m->names[i].label, true)) <= bd &&
		    (best == NULL || d < bd)) {
			best = &m->names[i];
			bd = d;
		}
	}
	return best;
}

/* The first entry for label (and module when not NULL), or NULL. */
static const struct mib_name *
name_find(const struct mib *m, const char *label, const char *module,
    size_t *count)
{
	size_t		 lo = 0, hi = m->nnames, mid, k;

	*count = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(m->names[mid].label, label) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < m->nnames && strcmp(m->names[k].label, label) == 0;
	    k++) {
		if (module != NULL) {
			if (strcmp(m->names[k].module, module) == 0) {
				*count = 1;
				return &m->names[k];
			}
			continue;
		}
		(*count)++;
	}
	return module == NULL && *count > 0 ? &m->names[lo] : NULL;
}

int
mib_parse_oid(const struct mib *m, struct oid *o, const char *s, size_t n,
    char *err, size_t errlen)
{
	const struct mib_name *nm, *sg, *any;
	const struct mib_node *node;
	char		 label[128], module[128], text[SNMPMGR_MAX_OID_STR];
	const char	*p, *end = s + n, *dot, *colon;
	size_t		 count, k, len;
	uint32_t	 arc;
	struct oid	 suffix;

	if (n > 0 && (isdigit((unsigned char)s[0]) || s[0] == '.')) {
		if (oid_parse(o, s, n) == 0)
			return 0;
		snprintf(err, errlen, "not an OID: \"%.*s\"", (int)(n > 80 ? 80 :
		    n), s);
		return -1;
	}
	module[0] = '\0';
	p = s;
	for (colon = s; colon + 1 < end; colon++)
		if (colon[0] == ':' && colon[1] == ':')
			break;
	if (colon + 1 < end) {
		if ((size_t)(colon - s) >= sizeof(module) || colon == s)
			goto bad;
		memcpy(module, s, (size_t)(colon - s));
		module[colon - s] = '\0';
		p = colon + 2;
	}
	for (dot = p; dot < end && *dot != '.'; dot++)
		if (!isalnum((unsigned char)*dot) && *dot != '-' &&
		    *dot != '_')
			goto bad;
	if (dot == p || (size_t)(dot - p) >= sizeof(label))
		goto bad;
	memcpy(label, p, (size_t)(dot - p));
	label[dot - p] = '\0';
	if (!mib_supported()) {
		snprintf(err, errlen, "\"%.80s\": MIB names are not supported "
		    "by this build (configure --with-libsmi)", label);
		return -1;
	}
	if (m == NULL || m->nnames == 0) {
		snprintf(err, errlen, "\"%.80s\": no MIB modules are loaded "
		    "(config \"mibs\")", label);
		return -1;
	}
	nm = name_find(m, label, module[0] ? module : NULL, &count);
	if (nm == NULL) {
		if (module[0] != '\0' &&
		    (any = name_find(m, label, NULL, &count)) != NULL)
			snprintf(err, errlen, "unknown name \"%s::%s\" (%s "
			    "defines %s; did you mean %s::%s?)", module,
			    label, any->module, label, any->module, label);
		else if ((sg = suggest(m, label)) != NULL)
			snprintf(err, errlen, "unknown name \"%.*s\" (did you "
			    "mean %s::%s?)", (int)(dot - s), s, sg->module,
			    sg->label);
		else
			snprintf(err, errlen, "unknown name \"%.*s\"",
			    (int)(dot - s > 120 ? 120 : dot - s), s);
		return -1;
	}
	node = nm->node;
	for (k = 1; k < count; k++)
		if (nm[k].node != node) {
			len = (size_t)snprintf(err, errlen, "ambiguous name "
			    "\"%s\": defined by", label);
			for (k = 0; k < count && len < errlen; k++)
				len += (size_t)snprintf(err + len, errlen - len,
				    "%s %s::%s", k ? "," : "", nm[k].module,
				    label);
			return -1;
		}
	o->len = node->depth;
	memcpy(o->arcs, node->oid, node->depth * sizeof(uint32_t));
	if (dot == end)
		return 0;
	/* A numeric suffix: ".3", ".1.2". */
	if (dot + 1 >= end || (size_t)(end - dot) >= sizeof(text))
		goto badsuffix;
	len = (size_t)snprintf(text, sizeof(text), "0.0%.*s",
	    (int)(end - dot), dot);
	if (oid_parse(&suffix, text, len) == -1)
		goto badsuffix;
	if (o->len + suffix.len - 2 > SNMPMGR_MAX_OID_LEN)
		goto badsuffix;
	for (k = 2; k < suffix.len; k++) {
		arc = suffix.arcs[k];
		o->arcs[o->len++] = arc;
	}
	return 0;
 badsuffix:
	snprintf(err, errlen, "\"%.120s\": the part after %s is not a "
	    "dotted number", s, label);
	return -1;
 bad:
	snprintf(err, errlen, "not an OID or a MIB name: \"%.*s\"",
	    (int)(n > 80 ? 80 : n), s);
	return -1;
}

/* ------------------------------------------------------------ loading */

#ifdef HAVE_LIBSMI

struct load_ctx {
	struct mib	*m;
	const struct mib_conf *mc;
	mib_warn_fn	*warn;
	void		*arg;
	size_t		 errors;	/* errors seen, all modules */
	/* Files with a syntax error: their modules are skipped. */
	char		**broken;
	size_t		 nbroken;
};

/* libsmi's error handler has no argument: the load under way. */
static struct load_ctx *loading;

static void
smi_error_cb(char *path, int line, int severity, char *msg, char *tag)
{
	if (loading == NULL)
		return;
	char		**nb;
	size_t		 i;

	/* 0 and 1 are severe errors and errors; more are warnings, too
	 * many to report (a missing import gives one per object). */
	if (severity > 1)
		return;
	loading->errors++;
	if (loading->warn != NULL)
		loading->warn(loading->arg, path != NULL ? path : "", line,
		    msg != NULL ? msg : "error");
	if (path == NULL || (severity > 0 && (msg == NULL ||
	    strncmp(msg, "syntax error", 12) != 0)))
		return;
	for (i = 0; i < loading->nbroken; i++)
		if (strcmp(loading->broken[i], path) == 0)
			return;
	if ((nb = realloc(loading->broken, (loading->nbroken + 1) *
	    sizeof(*nb))) == NULL)
		return;
	loading->broken = nb;
	if ((nb[loading->nbroken] = strdup(path)) != NULL)
		loading->nbroken++;
}

/* True when module sm's file had a syntax error. */
static bool
module_broken_quiet(struct load_ctx *lc, SmiModule *sm)
{
	size_t	 i;

	for (i = 0; sm->path != NULL && i < lc->nbroken; i++)
		if (strcmp(lc->broken[i], sm->path) == 0)
			return true;
	return false;
}

/* The same, reported when true. */
static bool
module_broken(struct load_ctx *lc, SmiModule *sm)
{
	char	 msg[300];

	if (!module_broken_quiet(lc, sm))
		return false;
	if (lc->warn != NULL) {
		snprintf(msg, sizeof(msg), "module %s failed to parse, skipped",
		    sm->name);
		lc->warn(lc->arg, sm->path, 0, msg);
	}
	return true;
}

/* Module priority: listed position, then SMIv2 before SMIv1, then name. */
static uint32_t
module_rank(const struct load_ctx *lc, const char *name)
{
	size_t		 i;

	for (i = 0; i < lc->mc->nmodules; i++)
		if (strcmp(lc->mc->modules[i], name) == 0)
			return (uint32_t)i;
	return (uint32_t)lc->mc->nmodules;
}

static bool
rank_wins(uint32_t rank, bool v1, const char *module,
    const struct mib_node *n)
{
	if (n->label == NULL)
		return true;
	if (rank != n->rank)
		return rank < n->rank;
	if (v1 != n->smiv1)
		return !v1;
	return strcmp(module, n->module) < 0;
}

static int
name_add(struct mib *m, const char *label, const char *module,
    struct mib_node *node)
{
	struct mib_name	*nn;
	size_t		 cap;

	if (m->nnames == m->capnames) {
		cap = m->capnames ? 2 * m->capnames : 1024;
		if ((nn = mib_grow(m, m->names, m->nnames, cap,
		    sizeof(*nn))) == NULL)
			return -1;
		m->names = nn;
		m->capnames = cap;
	}
	m->names[m->nnames].label = label;
	m->names[m->nnames].module = module;
	m->names[m->nnames].node = node;
	m->nnames++;
	return 0;
}

/* The first lines of a description, at most 320 bytes, blanks folded. */
static const char *
descr_head(struct mib *m, const char *d)
{
	char		 buf[328];
	size_t		 n = 0, lines = 0;
	bool		 nl = false;

	if (d == NULL)
		return NULL;
	while (*d == ' ' || *d == '\n' || *d == '\t')
		d++;
	for (; *d != '\0' && n < 320 && lines < 4; d++) {
		if (*d == '\n') {
			lines++;
			nl = true;
			continue;
		}
		if (nl) {
			while (*d == ' ' || *d == '\t')
				d++;
			if (*d == '\0')
				break;
			buf[n++] = '\n';
			nl = false;
		}
		buf[n++] = *d;
	}
	return mib_strndup(m, buf, n);
}

/* Type facts of node n from libsmi's node sn: the chain up to a base. */
static int
node_type(struct mib *m, struct mib_node *n, SmiNode *sn)
{
	SmiType		*t = smiGetNodeType(sn), *u;
	SmiNamedNumber	*nn;
	SmiRange	*r;
	SmiModule	*tm;
	size_t		 k;

	if (t == NULL)
		return 0;
	n->base = (uint8_t)t->basetype;
	if (t->name != NULL) {
		n->type_name = mib_strdup(m, t->name);
		if ((tm = smiGetTypeModule(t)) != NULL && tm->name != NULL &&
		    tm->name[0] != '\0')
			n->type_module = mib_strdup(m, tm->name);
	}
	n->hint = sn->format != NULL ? mib_strdup(m, sn->format) : NULL;
	for (u = t; u != NULL; u = smiGetParentType(u)) {
		if (n->hint == NULL && u->format != NULL)
			n->hint = mib_strdup(m, u->format);
		if (u->name != NULL && strcmp(u->name, "IpAddress") == 0)
			n->app_ip = true;
		if (n->units == NULL && u->units != NULL)
			n->units = mib_strdup(m, u->units);
	}
	if (sn->units != NULL)
		n->units = mib_strdup(m, sn->units);
	if (t->basetype == SMI_BASETYPE_ENUM ||
	    t->basetype == SMI_BASETYPE_BITS) {
		k = 0;
		for (nn = smiGetFirstNamedNumber(t); nn != NULL;
		    nn = smiGetNextNamedNumber(nn))
			k++;
		if (k > 0 && (n->enums = mib_alloc(m, k * sizeof(*n->enums)))
		    == NULL)
			return -1;
		for (nn = smiGetFirstNamedNumber(t); nn != NULL;
		    nn = smiGetNextNamedNumber(nn)) {
			n->enums[n->nenums].label = mib_strdup(m, nn->name);
			n->enums[n->nenums].value =
			    nn->value.basetype == SMI_BASETYPE_UNSIGNED32 ?
			    (int64_t)nn->value.value.unsigned32 :
			    (int64_t)nn->value.value.integer32;
			n->nenums++;
		}
	}
	if (t->basetype == SMI_BASETYPE_OCTETSTRING) {
		n->size_min = 0;
		n->size_max = 65535;
		for (u = t; u != NULL; u = smiGetParentType(u)) {
			if ((r = smiGetFirstRange(u)) == NULL)
				continue;
			n->size_min = (uint32_t)r->minValue.value.unsigned32;
			n->size_max = (uint32_t)r->maxValue.value.unsigned32;
			/* Several ranges: take the widest span. */
			for (; r != NULL; r = smiGetNextRange(r))
				if (r->maxValue.value.unsigned32 > n->size_max)
					n->size_max = (uint32_t)
					    r->maxValue.value.unsigned32;
			break;
		}
	}
	return 0;
}

/* Every node of module sm into the tree. */
static int
load_module_nodes(struct load_ctx *lc, SmiModule *sm)
{
	struct mib	*m = lc->m;
	SmiNode		*sn;
	struct mib_node	*n;
	const char	*label, *module;
	uint32_t	 rank = module_rank(lc, sm->name);
	bool		 v1 = sm->language == SMI_LANGUAGE_SMIV1;

	if ((module = mib_strdup(m, sm->name)) == NULL)
		return -1;
	for (sn = smiGetFirstNode(sm, SMI_NODEKIND_ANY); sn != NULL;
	    sn = smiGetNextNode(sn, SMI_NODEKIND_ANY)) {
		if (sn->name == NULL || sn->oidlen == 0 ||
		    sn->oidlen > SNMPMGR_MAX_OID_LEN)
			continue;
		if ((n = node_make(m, sn->oid, sn->oidlen)) == NULL ||
		    (label = mib_strdup(m, sn->name)) == NULL ||
		    name_add(m, label, module, n) == -1)
			return -1;
		if (!rank_wins(rank, v1, module, n))
			continue;
		n->label = label;
		n->module = module;
		n->rank = rank;
		n->smiv1 = v1;
		n->kind = (uint16_t)sn->nodekind;
		n->access = (uint8_t)sn->access;
		n->descr = descr_head(m, sn->description);
		n->type_name = n->type_module = n->hint = n->units = NULL;
		n->enums = NULL;
		n->nenums = 0;
		n->app_ip = false;
		if (node_type(m, n, sn) == -1)
			return -1;
	}
	return 0;
}

/* The INDEX of every row of module sm (after all nodes exist). */
static int
load_module_indexes(struct load_ctx *lc, SmiModule *sm)
{
	struct mib	*m = lc->m;
	SmiNode		*sn, *row, *en;
	SmiElement	*e;
	struct mib_node	*n, *in;
	size_t		 k;

	for (sn = smiGetFirstNode(sm, SMI_NODEKIND_ROW); sn != NULL;
	    sn = smiGetNextNode(sn, SMI_NODEKIND_ROW)) {
		if (sn->oidlen > SNMPMGR_MAX_OID_LEN ||
		    (n = node_make(m, sn->oid, sn->oidlen)) == NULL ||
		    n->nindex > 0 || n->module == NULL ||
		    strcmp(n->module, sm->name) != 0)
			continue;
		row = sn;
		if (sn->indexkind == SMI_INDEX_AUGMENT ||
		    sn->indexkind == SMI_INDEX_SPARSE) {
			if ((row = smiGetRelatedNode(sn)) == NULL)
				continue;
		}
		k = 0;
		for (e = smiGetFirstElement(row); e != NULL;
		    e = smiGetNextElement(e))
			k++;
		if (k == 0 || (n->index = mib_alloc(m, k *
		    sizeof(*n->index))) == NULL)
			continue;
		for (e = smiGetFirstElement(row); e != NULL;
		    e = smiGetNextElement(e)) {
			if ((en = smiGetElementNode(e)) == NULL ||
			    en->oidlen > SNMPMGR_MAX_OID_LEN ||
			    (in = node_make(m, en->oid, en->oidlen)) == NULL)
				break;
			n->index[n->nindex++] = in;
		}
		if (n->nindex != k)
			n->nindex = 0;
		n->implied = row->implied != 0;
	}
	return 0;
}

/* Load one module (a name or a file path); false when it failed. */
static bool
load_one(struct load_ctx *lc, const char *name)
{
	size_t		 before = lc->errors;
	char		 msg[300];

	if (smiLoadModule(name) != NULL)
		return true;
	if (lc->warn != NULL && lc->errors == before) {
		snprintf(msg, sizeof(msg), "%s: %s", name, name[0] == '/' ?
		    "not a MIB module, skipped" : "module not found, skipped");
		lc->warn(lc->arg, "", 0, msg);
	}
	return false;
}

static void
plan_clear(struct mib_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nitems; i++)
		free(p->items[i]);
	for (i = 0; i < p->nnowalk; i++)
		free(p->nowalk[i]);
	free(p->items);
	free(p->nowalk);
	free(p->skip);
	memset(p, 0, sizeof(*p));
}

static int
plan_add(struct mib_plan *p, const char *item)
{
	char	**ni;

	if ((ni = realloc(p->items, (p->nitems + 1) * sizeof(*ni))) == NULL)
		return -1;
	p->items = ni;
	if ((ni[p->nitems] = strdup(item)) == NULL)
		return -1;
	p->nitems++;
	return 0;
}

/* The plan of mc: every regular file of the dirs for "all", then the
 * listed names.  -1: out of memory. */
static int
plan_make(struct load_ctx *lc, struct mib_plan *p)
{
	const struct mib_conf *mc = lc->mc;
	struct dirent	*de;
	struct stat	 st;
	char		 path[4096];
	DIR		*dir;
	size_t		 i;

	memset(p, 0, sizeof(*p));
	for (i = 0; mc->all && i < mc->ndirs; i++) {
		if ((dir = opendir(mc->dirs[i])) == NULL) {
			if (lc->warn != NULL)
				lc->warn(lc->arg, mc->dirs[i], 0,
				    strerror(errno));
			continue;
		}
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s",
			    mc->dirs[i], de->d_name) >= sizeof(path) ||
			    stat(path, &st) == -1 || !S_ISREG(st.st_mode))
				continue;
			if (plan_add(p, path) == -1) {
				closedir(dir);
				return -1;
			}
		}
		closedir(dir);
	}
	for (i = 0; i < mc->nmodules; i++)
		if (plan_add(p, mc->modules[i]) == -1)
			return -1;
	if ((p->skip = calloc(p->nitems + 1, sizeof(*p->skip))) == NULL)
		return -1;
	return 0;
}

static bool
plan_nowalk(const struct mib_plan *p, const char *module)
{
	size_t	 i;

	for (i = 0; i < p->nnowalk; i++)
		if (strcmp(p->nowalk[i], module) == 0)
			return true;
	return false;
}

/* smiSetPath's ':'-joined list of the dirs. */
static int
set_path(const struct mib_conf *mc)
{
	size_t		 i, len = 1;
	char		*p;
	int		 rv;

	for (i = 0; i < mc->ndirs; i++)
		len += strlen(mc->dirs[i]) + 1;
	if ((p = calloc(1, len)) == NULL)
		return -1;
	for (i = 0; i < mc->ndirs; i++) {
		if (i > 0)
			strcat(p, ":");
		strcat(p, mc->dirs[i]);
	}
	rv = smiSetPath(p);
	free(p);
	return rv;
}

/*
 * Every module's objects into the tree (with indexes, once they all
 * exist, the rows' INDEX objects), but those of p->nowalk and of files
 * with a syntax error (reported on the first pass).
 */
static int
build_objects(struct load_ctx *lc, const struct mib_plan *p,
    struct mib_probe_out *out, bool indexes)
{
	SmiModule	*sm;
	int		 rv;

	for (sm = smiGetFirstModule(); sm != NULL; sm = smiGetNextModule(sm)) {
		if (plan_nowalk(p, sm->name) || (indexes ?
		    module_broken_quiet(lc, sm) : module_broken(lc, sm)))
			continue;
		mib_probe_walk(out, sm->name);
		rv = indexes ? load_module_indexes(lc, sm) :
		    load_module_nodes(lc, sm);
		if (rv == -1)
			return -1;
		mib_probe_walk(out, NULL);
		if (!indexes)
			lc->m->nmodules++;
	}
	return 0;
}

/*
 * In the probe's child: libsmi over plan p into lc->m, the items, then
 * every module's objects (but those of p->nowalk), then the names, the
 * progress told to out.  -1: out of memory.  libsmi is left as it is:
 * the process ends.
 */
static int
build(struct load_ctx *lc, const struct mib_plan *p,
    struct mib_probe_out *out)
{
	struct mib	*m = lc->m;
	size_t		 i;

	loading = lc;
	smiInit("snmpmgrd");
	smiSetErrorLevel(1);
	smiSetErrorHandler(smi_error_cb);
	smiSetFlags(smiGetFlags() | SMI_FLAG_ERRORS);
	if (set_path(lc->mc) == -1)
		return -1;
	for (i = 0; i < p->nitems; i++) {
		if (p->skip[i])
			continue;
		mib_probe_begin(out, i);
		(void)load_one(lc, p->items[i]);
		mib_probe_end(out, i);
	}
	if (build_objects(lc, p, out, false) == -1 ||
	    build_objects(lc, p, out, true) == -1)
		return -1;
	return plain_names(m, &m->root);
}

/* The probe's child: build the set in the mapping the daemon gave it. */
static int
probe_cb(const struct mib_plan *p, struct mib_probe_out *out, void *arg)
{
	struct load_ctx	*plc = arg, lc;

	memset(&lc, 0, sizeof(lc));
	lc.mc = plc->mc;
	lc.warn = mib_probe_msg;
	lc.arg = out;
	lc.m = plc->m;
	mib_reset(lc.m);
	if (build(&lc, p, out) == -1)
		return -1;
	if (lc.m->nnames > 0)
		qsort(lc.m->names, lc.m->nnames, sizeof(*lc.m->names),
		    name_cmp);
	lc.m->magic = MIB_MAGIC;
	/* libsmi not shut down, nothing freed: the process ends */
	return 0;
}

struct mib *
mib_load(const struct mib_conf *mc, mib_warn_fn *warn, void *arg,
    char *err, size_t errlen)
{
	struct load_ctx	 lc;
	struct mib_plan	 plan;
	struct timespec	 t0, t1;
	struct mib	*m;
	size_t		 size;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((m = mib_map()) == NULL) {
		snprintf(err, errlen, "no room for a MIB set: %s",
		    strerror(errno));
		return NULL;
	}
	size = m->size;
	mib_reset(m);
	memset(&lc, 0, sizeof(lc));
	lc.m = m;
	lc.mc = mc;
	lc.warn = warn;
	lc.arg = arg;
	if (plan_make(&lc, &plan) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/*
	 * libsmi crashes on some broken modules: children read them, each
	 * without the ones those before it died in, and the last builds
	 * the set in m, shared with us.  libsmi never runs here.
	 */
	if (mib_probe(&plan, probe_cb, &lc, warn, arg, err, errlen) == -1)
		goto fail;
	if (m->magic != MIB_MAGIC || m->size != size || m->used > size) {
		snprintf(err, errlen, "the reading child left no set");
		goto fail;
	}
	m->refs = 1;
	m->last = NULL;
	/* No later child (the next reload's) shares it: whatever libsmi
	 * does there, this set stays as it is. */
	(void)madvise(m, m->size, MADV_DONTFORK);
	plan_clear(&plan);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m->load_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return m;
 fail:
	plan_clear(&plan);
	munmap(m, size);	/* not m->size: the child may have written it */
	return NULL;
}

#else /* !HAVE_LIBSMI */

struct mib *
mib_load(const struct mib_conf *mc, mib_warn_fn *warn, void *arg,
    char *err, size_t errlen)
{
	(void)mc;
	(void)warn;
	(void)arg;
	(void)node_make;
	(void)plain_names;
	(void)mib_map;
	(void)mib_reset;
	(void)mib_strdup;
	(void)name_cmp;
	snprintf(err, errlen, "MIB names are not supported by this "
	    "build (configure --with-libsmi)");
	return NULL;
}

#endif /* HAVE_LIBSMI */
