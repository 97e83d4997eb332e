/*
 * oid.h - OBJECT IDENTIFIER values: parse, format, compare, BER content.
 *
 * A struct oid holds its arcs inline, so it can be copied by assignment and
 * needs no allocation.  Only the first len arcs are meaningful.
 */
#ifndef SNMPMGR_OID_H
#define SNMPMGR_OID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "limits.h"

struct oid {
	uint32_t	len;
	uint32_t	arcs[SNMPMGR_MAX_OID_LEN];
};

/*
 * Parse dotted text ("1.3.6.1.2.1", a leading dot allowed) of n bytes (not
 * NUL-terminated).  At least two arcs; the first 0..2, the second 0..39 when
 * the first is 0 or 1 (X.690 8.19.4); every arc fits 32 bits.  0 or -1
 * (SNMPMGR_ERR_NO_SUCH_OID with a detail).
 */
int	 oid_parse(struct oid *o, const char *s, size_t n);
/* The same for a NUL-terminated string. */
int	 oid_parse_str(struct oid *o, const char *s);

/*
 * Write dotted text (no leading dot) and a NUL into buf.  Returns the length
 * the text has (like snprintf); truncated if size is too small.
 * SNMPMGR_MAX_OID_STR bytes are always enough.
 */
size_t	 oid_format(const struct oid *o, char *buf, size_t size);

/* Arc-wise comparison: <0, 0, >0; a proper prefix sorts first. */
int	 oid_cmp(const struct oid *a, const struct oid *b);
/* oid_cmp() == 0, without ordering: lengths, then the arcs' memory. */
bool	 oid_eq(const struct oid *a, const struct oid *b);
/* True when prefix is a prefix of o (or equal to it). */
bool	 oid_is_prefix(const struct oid *prefix, const struct oid *o);

/*
 * Decode BER content octets (X.690 8.19, the bytes after tag and length).
 * Rejects empty content, a sub-identifier that does not fit 32 bits or has
 * a leading 0x80 octet, an unterminated last sub-identifier, and more than
 * SNMPMGR_MAX_OID_LEN arcs.  0 or -1 (SNMPMGR_ERR_DEFECTIVE).
 */
int	 oid_from_ber(struct oid *o, const uint8_t *p, size_t n);
/* The checks of oid_from_ber() alone, nothing decoded: 0 or -1. */
int	 oid_ber_check(const uint8_t *p, size_t n);
/*
 * Dotted text (as oid_format() of what oid_from_ber() gives) and a NUL
 * straight from content octets that passed oid_ber_check(); buf needs
 * OID_BER_STR(n) bytes.  Returns the text's length.
 */
#define OID_BER_STR(n)	(4 * (size_t)(n) + 8)
size_t	 oid_format_ber(const uint8_t *p, size_t n, char *buf);
/*
 * Encode content octets into buf.  Returns their length, or -1 if the OID
 * has fewer than two arcs, bad first arcs, or buf is too small.  Needs at
 * most SNMPMGR_MAX_OID_LEN * 5 bytes.
 */
ssize_t	 oid_to_ber(const struct oid *o, uint8_t *buf, size_t size);

#endif /* SNMPMGR_OID_H */
