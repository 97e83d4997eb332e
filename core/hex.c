/*
 * hex.c - the hex <-> octets codec (hex.h).
 */
#include <stdint.h>
#include <string.h>

#include "hex.h"

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, size_t n, int flags, uint8_t *out, size_t max,
    size_t *outlen)
{
	size_t	 i = 0, count = 0;
	int	 hi = -1, x;

	if ((flags & HEX_PREFIX) && n >= 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	for (; i < n; i++) {
		if ((flags & HEX_SPACES) && (s[i] == ' ' || s[i] == '\t'))
			continue;
		if ((flags & HEX_COLONS) && s[i] == ':') {
			/* Only between two complete octets. */
			if (hi != -1 || count == 0 || i + 1 == n ||
			    s[i + 1] == ':')
				return -1;
			continue;
		}
		if ((x = hex_digit(s[i])) < 0)
			return -1;
		if (hi == -1) {
			hi = x;
			continue;
		}
		if (count == max)
			return -1;
		out[count++] = (uint8_t)(hi << 4 | x);
		hi = -1;
	}
	if (hi != -1)
		return -1;
	*outlen = count;
	return 0;
}

int
hex_decode_str(const char *s, int flags, uint8_t *out, size_t max,
    size_t *outlen)
{
	return hex_decode(s, strlen(s), flags, out, max, outlen);
}

size_t
hex_encode(const uint8_t *p, size_t n, char *out, size_t size)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	if (size == 0)
		return 0;
	if (n > (size - 1) / 2)
		n = (size - 1) / 2;
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
	return 2 * n;
}
