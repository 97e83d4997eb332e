/*
 * mib_int.h - what mib.c (loading, the tree, names) and mib_hint.c
 * (enums, DISPLAY-HINTs, index decoding) share: the node and set types.
 * Private to the mib module.
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

struct mib_chunk;

struct mib {
	int		 refs;
	struct mib_node	 root;		/* depth 0, holds 0, 1, 2 */
	struct mib_name	*names;		/* sorted by label, then module */
	size_t		 nnames;
	size_t		 capnames;
	size_t		 nnodes;
	size_t		 nmodules;
	double		 load_ms;
	struct mib_chunk *chunks;	/* strings and arrays, freed at once */
	/* The last lookup's node: walks ask for the same column often. */
	const struct mib_node *last;
};

#endif /* SNMPMGRD_MIB_INT_H */
