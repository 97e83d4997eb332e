/*
 * ber.h - bounded BER reader and backwards BER writer (X.690 8.1-8.19),
 * the subset SNMP uses.
 *
 * Reader: a struct ber is a cursor over one buffer.  Every element read is
 * checked against what remains: one-octet tags only (a multi-byte tag,
 * 0x1f in the low bits, is refused), definite lengths only (0x80 is
 * refused), at most SNMPMGR_MAX_BER_LEN_OCTETS length octets, nesting
 * capped at SNMPMGR_MAX_BER_DEPTH.  A long-form length with leading zero
 * octets (e.g. 82 00 05) is accepted: X.690 8.1.3.5 permits it in BER, it
 * is still bounded by the length-octet cap and checked against the buffer,
 * and some agents send it.  For the same reason INTEGER contents need not be
 * minimal (X.690 8.3.2): redundant leading octets are skipped (see below).
 * Nothing is copied: element contents point into the caller's buffer.
 * Failures return -1 with SNMPMGR_ERR_DEFECTIVE and a detail giving the
 * offset from the start of the buffer given to ber_init().
 *
 * Writer: a struct ber_wr fills a caller buffer from its end towards its
 * start, so a constructed element is closed after its contents are written
 * and no length needs moving.  Write elements last first.  Anything already
 * written never moves, so pointers to written contents (for example a
 * zeroed HMAC field that is filled in once the whole message exists) stay
 * valid.  Overflow fails with SNMPMGR_ERR_MSG_TOO_LONG.
 */
#ifndef SNMPMGR_BER_H
#define SNMPMGR_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "limits.h"

struct oid;

/* Universal tags (X.690 8.1.2, X.680 8.4). */
#define BER_TAG_INTEGER		0x02
#define BER_TAG_OCTETS		0x04
#define BER_TAG_NULL		0x05
#define BER_TAG_OID		0x06
#define BER_TAG_SEQUENCE	0x30
/* Tag bits (X.690 8.1.2.2, 8.1.2.5). */
#define BER_CONSTRUCTED		0x20
#define BER_TAG_MULTI		0x1f

/* A read cursor. */
struct ber {
	const uint8_t	*p;	/* next octet */
	const uint8_t	*end;	/* one past the last octet */
	const uint8_t	*base;	/* start of the outermost buffer (offsets) */
	unsigned	 depth;	/* constructed elements entered */
};

/* One element: tag, content octets, and where the tag octet is. */
struct ber_tlv {
	uint8_t		 tag;
	const uint8_t	*data;
	size_t		 len;
	const uint8_t	*start;
};

void	 ber_init(struct ber *b, const uint8_t *buf, size_t len);
/* Octets left to read; true when none are. */
size_t	 ber_left(const struct ber *b);
bool	 ber_at_end(const struct ber *b);
/* Offset of the cursor from the outermost buffer's start. */
size_t	 ber_offset(const struct ber *b);
/* The next tag without consuming it; -1 when nothing is left. */
int	 ber_peek_tag(const struct ber *b, uint8_t *tag);

/* Read the next element, any tag. */
int	 ber_read_tlv(struct ber *b, struct ber_tlv *t);
/* Read the next element and require tag. */
int	 ber_read_tag(struct ber *b, uint8_t tag, struct ber_tlv *t);
/* Skip the next element. */
int	 ber_skip(struct ber *b);

/*
 * Read a constructed element with tag and point sub at its contents, one
 * level deeper.  Fails past SNMPMGR_MAX_BER_DEPTH.
 */
int	 ber_enter(struct ber *b, uint8_t tag, struct ber *sub);
/* The same for an element already read (its tag is not checked). */
int	 ber_enter_tlv(const struct ber *b, const struct ber_tlv *t,
	    struct ber *sub);
/* Require that sub has been read to its end; what names it in the error. */
int	 ber_expect_end(const struct ber *sub, const char *what);

/*
 * INTEGER-like content (X.690 8.3): 1..SNMPMGR_MAX_BER_INT_OCTETS octets of
 * two's complement.  Like Net-SNMP's asn_parse_int and
 * asn_parse_unsigned_int, these take non-minimal forms (02 03 00 00 05 is
 * 5, a Counter32 in 5+ octets with leading 0x00s is read): redundant
 * leading 0x00 or 0xff octets are skipped.  Whatever does not fit the type
 * is rejected (Net-SNMP would truncate it).
 *
 * ber_decode_int: signed, any int64_t.
 * ber_decode_uint: unsigned 64-bit (Counter64).  A leading 0x00 carries a
 *   value with the top bit set (2^64-1 is 00 ff*8); when an agent leaves it
 *   out, the octets are still read as an unsigned number (ff ff is 65535),
 *   as Net-SNMP's asn_parse_unsigned_int64 does.
 * ber_decode_uint32: Counter32, Gauge32, TimeTicks, UInteger32.  A
 *   negative encoding (the top bit set, no leading 0x00) is read as Net-SNMP's
 *   asn_parse_unsigned_int reads it: sign-extended, then modulo 2^32, so
 *   ff ff ff fe is 4294967294 and ff is 4294967295.  Only -2^31..-1 can be
 *   meant that way; anything more negative is rejected.
 */
int	 ber_decode_int(const uint8_t *p, size_t n, int64_t *v);
int	 ber_decode_uint(const uint8_t *p, size_t n, uint64_t *v);
int	 ber_decode_uint32(const uint8_t *p, size_t n, uint32_t *v);

/* Read an INTEGER-like element with tag and check its range. */
int	 ber_read_int32(struct ber *b, uint8_t tag, int32_t *v);
int	 ber_read_int64(struct ber *b, uint8_t tag, int64_t *v);
int	 ber_read_uint32(struct ber *b, uint8_t tag, uint32_t *v);
int	 ber_read_uint64(struct ber *b, uint8_t tag, uint64_t *v);
/* Read a primitive element with tag; *p and *n get its contents (no copy). */
int	 ber_read_octets(struct ber *b, uint8_t tag, const uint8_t **p,
	    size_t *n);
/* Read an element with tag and empty contents (NULL and the like). */
int	 ber_read_null(struct ber *b, uint8_t tag);
/* Read an OBJECT IDENTIFIER (tag 0x06) into o. */
int	 ber_read_oid(struct ber *b, struct oid *o);
/* The same checks, the content octets left as they are in *p, *n. */
int	 ber_read_oid_raw(struct ber *b, const uint8_t **p, size_t *n);
/*
 * The same, the name compared first with the an octets at ap (content
 * octets encoded here, so known good: NULL for none): *same when equal,
 * and then not checked again.
 */
int	 ber_read_oid_asked(struct ber *b, const uint8_t *ap, size_t an,
	    const uint8_t **p, size_t *n, bool *same);

/* A write cursor over buf[0 .. size): p moves down from buf + size. */
struct ber_wr {
	uint8_t		*buf;
	uint8_t		*p;	/* first written octet */
	uint8_t		*end;
};

void	 ber_wr_init(struct ber_wr *w, uint8_t *buf, size_t size);
/* Octets written so far; use it as the mark for ber_wr_close(). */
size_t	 ber_wr_len(const struct ber_wr *w);
/* Where the written octets start (they run to the end of buf). */
uint8_t	*ber_wr_data(const struct ber_wr *w);

/* Prepend n raw octets (already-encoded elements). */
int	 ber_wr_raw(struct ber_wr *w, const void *p, size_t n);
/* Prepend a tag and a minimal definite length. */
int	 ber_wr_hdr(struct ber_wr *w, uint8_t tag, size_t len);
/*
 * Wrap everything written since mark (a ber_wr_len() value taken before
 * the contents were written) into a constructed element with tag.
 */
int	 ber_wr_close(struct ber_wr *w, uint8_t tag, size_t mark);
/* Minimal signed / unsigned INTEGER-like elements. */
int	 ber_wr_int(struct ber_wr *w, uint8_t tag, int64_t v);
int	 ber_wr_uint(struct ber_wr *w, uint8_t tag, uint64_t v);
/*
 * A primitive element with n content octets from p, or n zero octets when
 * p is NULL.  If content is not NULL it gets where the contents were
 * written; they stay there as the rest of the message is prepended.
 */
int	 ber_wr_octets(struct ber_wr *w, uint8_t tag, const void *p, size_t n,
	    uint8_t **content);
int	 ber_wr_null(struct ber_wr *w, uint8_t tag);
/* An OBJECT IDENTIFIER element (tag 0x06). */
int	 ber_wr_oid(struct ber_wr *w, const struct oid *o);

#endif /* SNMPMGR_BER_H */
