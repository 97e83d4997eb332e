/*
 * hex.h - the one hex <-> octets codec of snmpmgr.
 *
 * Every place that reads or writes octets as hex text (engine IDs, keys,
 * set values of type 'x', traces, journal records) goes through here, so
 * every one of them has the same rules: decoding is strict (a character
 * that is not a hex digit, an odd number of digits or more octets than the
 * caller has room for is an error, never a silent stop) and bounded by
 * the text's length, which need not be NUL-terminated.
 */
#ifndef SNMPMGR_HEX_H
#define SNMPMGR_HEX_H

#include <stddef.h>
#include <stdint.h>

/* What decoding allows besides hex digits. */
#define HEX_PREFIX	0x01	/* a leading "0x" or "0X" */
#define HEX_COLONS	0x02	/* one ':' between two octets ("80:00:1f") */
#define HEX_SPACES	0x04	/* blanks and tabs anywhere between digits */

/*
 * Decode n bytes of text at s into at most max octets at out.  0 with the
 * count in *outlen, or -1 when the text breaks the rules of flags.  Empty
 * text (or a bare prefix) decodes to zero octets; callers that need at
 * least one check *outlen.
 */
int	 hex_decode(const char *s, size_t n, int flags, uint8_t *out,
	    size_t max, size_t *outlen);
/* The same for a NUL-terminated string. */
int	 hex_decode_str(const char *s, int flags, uint8_t *out, size_t max,
	    size_t *outlen);

/*
 * Write the n octets at p as lowercase hex digits and a NUL into out,
 * which has room for size bytes (2 * n + 1 is enough).  Returns the length
 * written; output that does not fit is cut at an octet boundary.
 */
size_t	 hex_encode(const uint8_t *p, size_t n, char *out, size_t size);

#endif /* SNMPMGR_HEX_H */
