/*
 * render.h - varbinds to JSON text, the one rendering snmpmgrd uses for
 * every value it sends to a client (doc/protocol.md "Values", SPEC.md 8).
 *
 * This is the hot path of a streamed walk, so it formats by hand into a
 * growing byte buffer instead of building jansson objects: a whole agent
 * response becomes one buffer that is queued with one copy.
 */
#ifndef SNMPMGRD_RENDER_H
#define SNMPMGRD_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The significant digits of every real snmpmgrd writes, by hand
 * (render_double) or by jansson (RENDER_JSON_DUMP): DBL_DIG, the most a
 * double keeps of any decimal, so a value in ms with microseconds (up to
 * 10^12 ms) prints as that decimal, without the 17-digit noise of an
 * exact round trip ("0.39900000000000002"), and a rate keeps 15 digits.
 */
#define RENDER_REAL_DIGITS	15
/* The flags of every json_dumps of what snmpmgrd sends or publishes
 * (control replies, events, cluster records); used where <jansson.h> is
 * included. */
#define RENDER_JSON_DUMP	(JSON_COMPACT | \
				 JSON_REAL_PRECISION(RENDER_REAL_DIGITS))

struct oid;
struct snmp_value;
struct snmp_varbind;
struct snmp_vbraw;

/*
 * A growing buffer.  After an allocation failure failed is set and further
 * appends do nothing; check it once before using the text.  The text is not
 * NUL-terminated.
 */
struct render_buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	bool		 failed;
};

void	 render_buf_init(struct render_buf *b);
/* Frees the memory; b can be reused after render_buf_init. */
void	 render_buf_free(struct render_buf *b);
/* Empty the buffer, keeping its memory. */
void	 render_buf_reset(struct render_buf *b);
/* Make room for n more bytes.  0 or -1 (and failed set).  Inline: it
 * runs for every varbind; render_reserve_grow when it must grow. */
int	 render_reserve_grow(struct render_buf *b, size_t n);
static inline int
render_reserve(struct render_buf *b, size_t n)
{
	if (!b->failed && b->cap - b->len >= n)
		return 0;
	return render_reserve_grow(b, n);
}

/* render_add's way when the buffer must grow (or failed). */
void	 render_add_grow(struct render_buf *b, const void *p, size_t n);

/* Inline: a record is dozens of small appends, most of them literals
 * whose length the compiler knows. */
static inline void
render_add(struct render_buf *b, const void *p, size_t n)
{
	if (!b->failed && b->cap - b->len >= n) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	} else
		render_add_grow(b, p, n);
}

static inline void
render_adds(struct render_buf *b, const char *s)
{
	render_add(b, s, strlen(s));
}
void	 render_u64(struct render_buf *b, uint64_t v);

struct timespec;
/*
 * A CLOCK_REALTIME time as the journal's records and the events give it
 * (YYYY-MM-DDTHH:MM:SS.ffffffZ, UTC, always 27 characters) into buf of at
 * least 32 octets; the date part is made once a second per thread.
 */
void	 render_time_utc(const struct timespec *ts, char *buf);
void	 render_i64(struct render_buf *b, int64_t v);
/* v / 10^dec written with dec decimals (at most 19), as printf's "%.*f"
 * writes that exact quotient: v counts units of 10^-dec. */
void	 render_fixed(struct render_buf *b, uint64_t v, unsigned dec);
/* A finite double to RENDER_REAL_DIGITS significant digits, as jansson
 * writes it with RENDER_JSON_DUMP (null when not finite). */
void	 render_double(struct render_buf *b, double v);
/* A JSON string (quotes included) of n bytes of UTF-8, escaped. */
void	 render_json_str(struct render_buf *b, const char *s, size_t n);
/* n octets as the JSON string "0x" and lowercase hex. */
void	 render_hex_str(struct render_buf *b, const uint8_t *p, size_t n);
/* The OID as a quoted dotted string. */
void	 render_oid(struct render_buf *b, const struct oid *o);

/* True if p is valid UTF-8 with no control characters but tab, CR, LF. */
bool	 render_is_text(const uint8_t *p, size_t n);

/* One varbind object: {"oid": ..., "type": ..., "value"|"hex": ...}. */
void	 render_varbind(struct render_buf *b, const struct snmp_varbind *vb);
/* A JSON array of n varbinds. */
void	 render_varbinds(struct render_buf *b, const struct snmp_varbind *vb,
	    size_t n);

/*
 * The dotted text of OIDs rendered lately, for output whose OIDs repeat
 * (notifications: sysUpTime.0, snmpTrapOID.0, the trap's OID and the
 * sender's own objects come again in every one).  Direct-mapped by the
 * arcs; an OID looked up is compared arc by arc, so a collision only
 * costs a formatting.  Not for walks, whose names never repeat.  The
 * owner zeroes it (calloc) and keeps it to itself (one thread).
 */
#define RENDER_OIDCACHE_SLOTS	64
#define RENDER_OIDCACHE_ARCS	24	/* longer OIDs are not kept */
/* A head's room: `{"oid":"`, the OID, `","type":"`, the longest type
 * name ("OBJECT IDENTIFIER"), `"`. */
#define RENDER_HEAD_TEXT	(RENDER_OIDCACHE_ARCS * 11 + 40)
struct render_oidcache {
	struct {
		uint32_t len;		/* 0: empty */
		uint32_t textlen;
		uint32_t arcs[RENDER_OIDCACHE_ARCS];
		char	 text[RENDER_OIDCACHE_ARCS * 11];
	} slot[RENDER_OIDCACHE_SLOTS];
	/*
	 * A varbind's whole head without MIB names, `{"oid":"1.3...",
	 * "type":"Counter32"`, by OID and type: a poll's objects come
	 * again with the same types in every result, so all that is
	 * written per object is then its value.
	 */
	struct {
		uint32_t len;		/* 0: empty */
		uint32_t type;
		uint32_t textlen;
		uint32_t arcs[RENDER_OIDCACHE_ARCS];
		char	 text[RENDER_HEAD_TEXT];
	} head[RENDER_OIDCACHE_SLOTS];
};

/* render_varbind() of a name and a value held apart (a poll's stored
 * set), OID text through c (NULL: none). */
void	 render_object(struct render_buf *b, struct render_oidcache *c,
	    const struct oid *name, const struct snmp_value *v);
/*
 * render_varbinds_cached() of n objects held as value words and types
 * (a compact named set, state.h: values without bytes), names[i] of
 * type types[i] and value words[i]; for when no MIB names are on
 * (render_names_on() false).  A poll's result: the objects' heads come
 * from c, only their values are written.
 */
void	 render_words_cached(struct render_buf *b, struct render_oidcache *c,
	    const struct oid *names, const uint64_t *words,
	    const uint8_t *types, size_t n);
/* render_oid() and render_varbinds() taking OID text from c. */
void	 render_oid_cached(struct render_buf *b, struct render_oidcache *c,
	    const struct oid *o);
void	 render_varbinds_cached(struct render_buf *b,
	    struct render_oidcache *c, const struct snmp_varbind *vb,
	    size_t n);

/*
 * The same for OIDs held as BER content octets (struct snmp_vbraw):
 * keyed by the octets, so a name is neither decoded nor formatted again
 * once seen.  Direct-mapped; the owner zeroes it and keeps it to itself.
 */
#define RENDER_BERCACHE_SLOTS	64
#define RENDER_BERCACHE_OCTETS	48	/* longer names are not kept */
struct render_bercache {
	struct {
		uint16_t len;		/* 0: empty */
		uint16_t textlen;
		uint8_t	 ber[RENDER_BERCACHE_OCTETS];
		char	 text[4 * RENDER_BERCACHE_OCTETS + 8];
	} slot[RENDER_BERCACHE_SLOTS];
};

/* Whether varbinds get MIB names (a MIB set is loaded): if not, raw
 * varbinds render as render_varbinds() renders decoded ones. */
bool	 render_names_on(void);
/* An OID from its checked content octets (oid_ber_check), quoted. */
void	 render_oid_ber(struct render_buf *b, struct render_bercache *c,
	    const uint8_t *p, size_t n);
/* render_varbinds_cached() of varbinds a *_raw decoder left, without
 * MIB names (see render_names_on). */
void	 render_varbinds_raw(struct render_buf *b, struct render_bercache *c,
	    const struct snmp_vbraw *vb, size_t n);

#endif /* SNMPMGRD_RENDER_H */
