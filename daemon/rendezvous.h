/*
 * rendezvous.h - which member owns a key: rendezvous (highest random
 * weight) hashing.  Every member computes a weight for (member, key) and
 * the highest wins, so every node that sees the same members picks the
 * same owner, and a member joining or leaving moves only the keys it
 * wins or held (about 1/N of them).  Pure: no state, no clock.
 */
#ifndef SNMPMGRD_RENDEZVOUS_H
#define SNMPMGRD_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>

/* The weight of member for key (64 bits, well mixed). */
uint64_t	 rdv_weight(const char *member, const char *key);
/*
 * The index in members[0..n) of key's owner, or -1 when n is 0.  Equal
 * weights (practically never) go to the member whose name sorts first,
 * so the order of members does not matter.
 */
long		 rdv_owner(const char *const *members, size_t n,
		    const char *key);

#endif /* SNMPMGRD_RENDEZVOUS_H */
