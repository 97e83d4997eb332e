/*
 * rendezvous.c - rendezvous (highest random weight) hashing of session
 * names over the live members of a cluster (rendezvous.h).  The weight is
 * FNV-1a over key, a zero byte and member, finished with the splitmix64
 * mixer so that close names get unrelated weights.
 */
#include <config.h>		/* autoconf's */

#include <string.h>

#include "rendezvous.h"

static uint64_t
fnv1a(uint64_t h, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
rdv_weight(const char *member, const char *key)
{
	uint64_t	 h = 14695981039346656037ULL;

	h = fnv1a(h, key, strlen(key) + 1);	/* with its NUL */
	h = fnv1a(h, member, strlen(member));
	return mix64(h);
}

long
rdv_owner(const char *const *members, size_t n, const char *key)
{
	uint64_t	 best = 0, w;
	long		 bi = -1;
	size_t		 i;

	for (i = 0; i < n; i++) {
		w = rdv_weight(members[i], key);
		if (bi == -1 || w > best || (w == best &&
		    strcmp(members[i], members[bi]) < 0)) {
			best = w;
			bi = (long)i;
		}
	}
	return bi;
}
