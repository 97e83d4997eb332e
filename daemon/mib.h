/*
 * mib.h - MIB names for snmpmgrd: load MIB modules with libsmi into a
 * compact tree of our own, then translate names to OIDs and OIDs to
 * names, enum labels, DISPLAY-HINT text and decoded table indexes.
 *
 * A struct mib is built once (mib_load, at start-up and on reload, from
 * the config's "mibs" section) and never changes after: libsmi is used
 * only while loading, and only in a child process, so lookups touch no
 * library state and cost a short descent of a tree whose children are
 * sorted by arc.  The daemon keeps
 * one current set (mib_current), replaced as a whole on reload; a config
 * holds a reference to the set its polls were resolved with.
 *
 * This header speaks plain C (no JSON): the views and the HTTP exporter
 * ask it for names and labels and format them themselves.
 */
#ifndef SNMPMGRD_MIB_H
#define SNMPMGRD_MIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oid;
struct snmp_value;

struct mib;
struct mib_node;

/* The "mibs" section of the config. */
struct mib_conf {
	char		**dirs;		/* searched in order */
	size_t		 ndirs;
	char		**modules;	/* in priority order */
	size_t		 nmodules;
	bool		 all;		/* every module file in dirs */
};

/* A problem met while loading: "FILE:LINE: message" (file may be ""). */
typedef void	 mib_warn_fn(void *arg, const char *file, int line,
		    const char *msg);

/* True when this build has libsmi (configure --with-libsmi). */
bool		 mib_supported(void);

/*
 * Load the modules mc names (with what they import) from mc's dirs, in
 * a child process, the caller waiting (SNMPMGR_MAX_MIB_PROBE_MS at
 * most).  A module that is missing, fails to parse, or crashes or hangs
 * libsmi is reported through warn and skipped; the others load.  NULL
 * when nothing can be built (no libsmi in this build, out of memory, no
 * child, over the time limit), with err set.  The new set has one
 * reference.
 */
struct mib	*mib_load(const struct mib_conf *mc, mib_warn_fn *warn,
		    void *arg, char *err, size_t errlen);
struct mib	*mib_ref(struct mib *m);
void		 mib_unref(struct mib *m);
/* How many modules and nodes a set holds, and its load time. */
void		 mib_stats(const struct mib *m, size_t *modules, size_t *nodes,
		    double *load_ms);

/*
 * The set the daemon renders and resolves names with (NULL: none).
 * mib_set_current takes a reference to m and drops the old one.  Only
 * the event loop's thread uses it.
 */
void		 mib_set_current(struct mib *m);
struct mib	*mib_current(void);

/*
 * An OID from text of n bytes: dotted numbers, or a name with an optional
 * numeric suffix ("IF-MIB::ifDescr.3", "ifDescr.3", "sysUpTime.0",
 * "IF-MIB::ifTable").  m may be NULL (numbers only).  0, or -1 with err
 * saying why: not an OID, an unknown name (with "did you mean" when one
 * is close), an ambiguous one (the modules that define it), or no MIBs.
 */
int		 mib_parse_oid(const struct mib *m, struct oid *o,
		    const char *s, size_t n, char *err, size_t errlen);

/*
 * The node naming the longest prefix of o, and that prefix's length in
 * *plen.  NULL when no node of m covers o (or m is NULL).
 */
const struct mib_node *mib_lookup(const struct mib *m, const struct oid *o,
		    size_t *plen);
const char	*mib_node_label(const struct mib_node *n);
const char	*mib_node_module(const struct mib_node *n);
/* A column, or a scalar's object: true. */
bool		 mib_node_is_object(const struct mib_node *n);
/* The node a table, row or column belongs to: its row entry, or NULL. */
const struct mib_node *mib_node_row(const struct mib_node *n);

/*
 * o as Net-SNMP prints it by default: "MODULE::label" and the rest of o,
 * a table's index decoded ("IF-MIB::ifDescr.3", "X::col.\"abc\"").  The
 * length of the text (as snprintf), 0 when m names no prefix of o.
 */
size_t		 mib_format_name(const struct mib *m, const struct oid *o,
		    char *buf, size_t size);

/*
 * The same for node n found by mib_lookup (plen its arcs), decoding the
 * index once: the items (at most max) and their count in *nitems (0 when
 * the suffix does not match the INDEX clause) are left for the caller.
 */
struct mib_index_item;
size_t		 mib_name_instance(const struct mib_node *n,
		    const struct oid *o, size_t plen,
		    struct mib_index_item *items, size_t max, int *nitems,
		    char *buf, size_t size);

/*
 * Naming instances of n without decoding them (the renderer's way for
 * walks): true when every instance of n is named "MODULE::label"
 * followed by ".ARC" for each arc of the OID past n - no enumerated,
 * string, OID or IpAddress INDEX object - and module and labels are
 * identifiers ([A-Za-z0-9_-]) that no output format quotes.  Then
 * *name (its length in *namelen) is that "MODULE::label", made at load,
 * and *nindex the INDEX objects of n's row, each one arc: the first
 * *nindex arcs past n are the index (when the OID has that many), labels
 * given by mib_node_index_label.  *nindex is 0 for a scalar, a node that
 * is no column, or a column of a row without INDEX.
 */
bool		 mib_node_plain_name(const struct mib_node *n,
		    const char **name, size_t *namelen, size_t *nindex);
/* INDEX object i's label of n's row (i < nindex) and its length. */
const char	*mib_node_index_label(const struct mib_node *n, size_t i,
		    size_t *len);

/* What mib.translate shows of a node; strings NULL when unknown. */
struct mib_info {
	const char	*module;
	const char	*label;
	const char	*kind;		/* "scalar", "table", "row", "column",
					   "notification", "node" */
	const char	*access;	/* "read-only", ... */
	const char	*type;		/* "DisplayString" */
	const char	*type_module;
	const char	*base;		/* "OCTET STRING", "INTEGER", ... */
	const char	*hint;
	const char	*units;
	const char	*descr;		/* the description's first lines */
	size_t		 nenums;
	size_t		 nindex;	/* rows and columns: INDEX objects */
	bool		 implied;
};
void		 mib_node_info(const struct mib_node *n, struct mib_info *in);
/* Enum i of n (i < nenums): its label, value in *v. */
const char	*mib_node_enum(const struct mib_node *n, size_t i,
		    int64_t *v);
/* INDEX object i of n's row (i < nindex). */
const struct mib_node *mib_node_index(const struct mib_node *n, size_t i);
/* The node's own OID. */
void		 mib_node_oid(const struct mib_node *n, struct oid *o);
/* The nodes under n, in arc order (a table's row, a row's columns). */
size_t		 mib_node_nkids(const struct mib_node *n);
const struct mib_node *mib_node_kid(const struct mib_node *n, size_t i);

/* The label of integer v in n's enumeration, or NULL. */
const char	*mib_enum_label(const struct mib_node *n, int64_t v);

/*
 * v rendered by the DISPLAY-HINT of n's type (RFC 2579 3.1), as UTF-8
 * text.  The length (as snprintf), 0 when n's type has no hint or v does
 * not fit it.
 */
size_t		 mib_display(const struct mib_node *n,
		    const struct snmp_value *v, char *buf, size_t size);

/*
 * True when n's hint shows v as v's own octets ("255a" and a value that
 * fits it): mib_display would give the value back, so callers showing
 * the value already can skip it.
 */
bool		 mib_display_is_self(const struct mib_node *n,
		    const struct snmp_value *v);

/* One decoded component of a table row's index. */
struct mib_index_item {
	const char	*name;		/* the INDEX object's label */
	bool		 numeric;	/* an integer: num holds it */
	uint64_t	 num;
	const char	*label;		/* num's enum label, or NULL */
	/* The value as text: a number, a string (its bytes, maybe not
	 * UTF-8, len given), dotted IpAddress or OID arcs. */
	char		 text[256];
	size_t		 len;
	bool		 is_string;	/* an OCTET STRING index */
};

/*
 * Decode the index part of o (an instance of column or row node n, with
 * plen arcs of name, as mib_lookup gave) into items, at most max.  The
 * number of items, or -1 when o's suffix does not match the INDEX clause.
 */
int		 mib_index_decode(const struct mib_node *n, const struct oid *o,
		    size_t plen, struct mib_index_item *items, size_t max);

/*
 * Tables (snmp.table, table polls).  The entry (row) node of a table or
 * entry OID o exactly, or NULL.  Its readable columns (not
 * not-accessible or accessible-for-notify), in arc order, at most max:
 * their OIDs in cols, their nodes in nodes (may be NULL); how many.  The
 * column node o names under row, or NULL.
 */
const struct mib_node *mib_table_entry(const struct mib *m,
		    const struct oid *o);
size_t		 mib_table_columns(const struct mib_node *row,
		    struct oid *cols, const struct mib_node **nodes,
		    size_t max);
const struct mib_node *mib_table_column(const struct mib *m,
		    const struct mib_node *row, const struct oid *o);

#endif /* SNMPMGRD_MIB_H */
