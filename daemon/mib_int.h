/*
 * mib_int.h - what mib.c (loading, the tree, names), mib_hint.c (enums,
 * DISPLAY-HINTs, index decoding) and mib_probe.c (reading the modules in
 * a child first) share: the node and set types, the load plan.  Private
 * to the mib module.
 */
#ifndef SNMPMGRD_MIB_INT_H
#define SNMPMGRD_MIB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mib.h"

/* Node kinds, as libsmi numbers them (SMI_NODEKIND_*). */
#define MIB_K_NODE	0x0001
#define MIB_K_SCALAR	0x0002
#define MIB_K_TABLE	0x0004
#define MIB_K_ROW	0x0008
#define MIB_K_COLUMN	0x0010
#define MIB_K_NOTIF	0x0020

/* Base types, as libsmi numbers them (SMI_BASETYPE_*). */
enum mib_base {
	MIB_B_UNKNOWN = 0, MIB_B_INTEGER32 = 1, MIB_B_OCTETS = 2,
	MIB_B_OID = 3, MIB_B_UNSIGNED32 = 4, MIB_B_INTEGER64 = 5,
	MIB_B_UNSIGNED64 = 6, MIB_B_ENUM = 10, MIB_B_BITS = 11
};

struct mib_enum {
	int64_t		 value;
	const char	*label;
};

struct mib_node {
	uint32_t	 arc;
	uint32_t	 depth;		/* arcs of its OID */
	uint32_t	*oid;		/* depth arcs */
	struct mib_node	*parent;
	struct mib_node	**kids;		/* sorted by arc */
	uint32_t	 nkids;
	uint32_t	 capkids;

	/* NULL for a node no loaded module names (an arc on the way). */
	const char	*label;
	const char	*module;
	/* Who named it: lower wins (mib.c rank_cmp). */
	uint32_t	 rank;
	bool		 smiv1;

	uint16_t	 kind;		/* MIB_K_* */
	uint8_t		 access;	/* libsmi's SmiAccess */
	uint8_t		 base;		/* enum mib_base */
	const char	*type_name;	/* "DisplayString"; NULL: none */
	const char	*type_module;
	const char	*hint;		/* DISPLAY-HINT of the type chain */
	const char	*units;
	const char	*descr;		/* the first lines */
	bool		 app_ip;	/* IpAddress */
	struct mib_enum	*enums;
	size_t		 nenums;
	/* OCTET STRING sizes, for index decoding: fixed when min == max. */
	uint32_t	 size_min;
	uint32_t	 size_max;

	/* Rows: the INDEX objects (AUGMENTS followed), IMPLIED last. */
	struct mib_node	**index;
	size_t		 nindex;
	bool		 implied;

	/* Made once loading ends (mib.c plain_names), for
	 * mib_node_plain_name: "MODULE::label" and the label's length. */
	const char	*fullname;
	uint32_t	 fullname_len;
	uint32_t	 label_len;
	bool		 plain;		/* instances are fullname.ARC.ARC... */
	uint8_t		 plain_index;	/* INDEX objects, one arc each */
};

/* A name as written in a module: several may share a node. */
struct mib_name {
	const char	*label;
	const char	*module;
	struct mib_node	*node;
};

/*
 * A set and everything it points to live in one shared mapping of up to
 * SNMPMGR_MAX_MIB_SET bytes (address space: pages are used as the set
 * grows), the struct at its start: the probe's child builds the set
 * there and the daemon, which mapped it before the fork, finds it at
 * the same address.  Freeing the set unmaps it.
 */
#define MIB_MAGIC	0x736e6d70u	/* a set the child finished */

struct mib {
	uint32_t	 magic;
	int		 refs;
	size_t		 size;		/* of the mapping */
	size_t		 used;		/* of it, this struct too */
	struct mib_node	 root;		/* depth 0, holds 0, 1, 2 */
	struct mib_name	*names;		/* sorted by label, then module */
	size_t		 nnames;
	size_t		 capnames;
	size_t		 nnodes;
	size_t		 nmodules;
	double		 load_ms;
	/* The last lookup's node: walks ask for the same column often. */
	const struct mib_node *last;
};

/*
 * What one load asks libsmi for, in this order: with "all" every regular
 * file of the dirs (paths), then the listed module names.  skip[i]: left
 * out, libsmi crashed or hung on it (mib_probe).  nowalk: modules libsmi
 * read but crashed or hung on when asked for their objects, left out of
 * the tree.  mib.c frees the arrays; mib_probe adds to them.
 */
struct mib_plan {
	char		**items;
	size_t		 nitems;
	bool		*skip;
	char		**nowalk;
	size_t		 nnowalk;
};

/*
 * In the probe's child: the function that loads p (libsmi set up, the
 * items not skipped read in order, the objects of the modules not in
 * nowalk read into the shared set), calling
 * mib_probe_begin and mib_probe_end around each item, mib_probe_walk
 * (name, then NULL) around each module's objects, and passing libsmi's
 * messages to mib_probe_msg (a mib_warn_fn, arg out).  0, or -1 when
 * it could not (out of memory).
 */
struct mib_probe_out;
typedef int	 mib_probe_child_fn(const struct mib_plan *p,
		    struct mib_probe_out *out, void *arg);
void		 mib_probe_begin(struct mib_probe_out *out, size_t i);
void		 mib_probe_end(struct mib_probe_out *out, size_t i);
void		 mib_probe_walk(struct mib_probe_out *out, const char *module);
void		 mib_probe_msg(void *out, const char *file, int line,
		    const char *msg);

/*
 * Have fn read p in child processes, one after another, each time
 * skipping the item (or module's objects) the one before died or hung
 * in (reported through warn with its last messages), until one gets
 * through; then what that one's libsmi said goes to warn.  0, or -1
 * with err when the probe could not run (pipe, fork), a child died
 * outside any item or ran out of memory, or it took over
 * SNMPMGR_MAX_MIB_PROBE_MS.
 */
int		 mib_probe(struct mib_plan *p, mib_probe_child_fn *fn,
		    void *fnarg, mib_warn_fn *warn, void *arg, char *err,
		    size_t errlen);

#endif /* SNMPMGRD_MIB_INT_H */
