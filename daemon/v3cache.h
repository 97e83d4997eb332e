/*
 * v3cache.h - what ad-hoc SNMPv3 requests (the inline targets of snmp.*
 * methods) keep from one call to the next, so that a script running 100
 * `snmpmgrctl get -v 3 -H ...` neither hashes the passwords 100 times nor
 * runs engine discovery 100 times:
 *
 *   credentials  usm_cred references, least recently used dropped first.
 *                While one is held, usm_cred_get() hands it back for the
 *                same user, protocols, passwords or keys and extension
 *                (it compares them by fingerprint), and the session
 *                manager's key cache keeps it localized per engine.  A
 *                credential holds keys, never a password; dropped, it is
 *                wiped by its last holder (usm_cred_free).
 *   engines      per agent address (address family, address, port): the
 *                engine ID, boots and time a temporary session learned,
 *                for a short while (V3CACHE_ENGINE_TTL_S).  A new
 *                temporary session to that address starts with them
 *                preset, as if the target had said engine_id,
 *                engine_boots and engine_time; if the agent has moved on
 *                (rebooted, replaced) the engine's usual recovery runs
 *                discovery again.
 */
#ifndef SNMPMGRD_V3CACHE_H
#define SNMPMGRD_V3CACHE_H

#include <stddef.h>
#include <stdint.h>

struct sess;
struct usm_cred;
struct v3cache;

/* How long a learned engine is used for new sessions, in seconds. */
#define V3CACHE_ENGINE_TTL_S	120

/* Bounds of SNMPMGR_MAX_INLINE_CREDS and SNMPMGR_MAX_INLINE_ENGINES.
 * NULL on allocation failure. */
struct v3cache	*v3cache_new(void);
/* Drops every reference.  NULL is fine. */
void		 v3cache_free(struct v3cache *vc);

/* Keep a reference to c (NULL is ignored), the credential of an inline
 * target. */
void		 v3cache_hold_cred(struct v3cache *vc, struct usm_cred *c);
/*
 * s is a new temporary session: when it is SNMPv3 without a preset
 * engine ID and its address has a fresh entry, preset the engine (boots
 * and time moved on by the time elapsed).  1 preset, 0 not.
 */
int		 v3cache_preset(struct v3cache *vc, struct sess *s);
/*
 * s (a temporary session) is about to be freed: remember the engine its
 * discovery found, or forget its address's entry when discovery ended in
 * an error.
 */
void		 v3cache_learn(struct v3cache *vc, const struct sess *s);

/* Counters and sizes for daemon.stats (views.c). */
struct v3cache_info {
	size_t		 credentials;
	uint64_t	 credential_hits;
	uint64_t	 credentials_evicted;
	size_t		 engines;
	uint64_t	 engine_hits;
	uint64_t	 engines_learned;
	uint64_t	 engines_expired;
};
void		 v3cache_info(const struct v3cache *vc,
		    struct v3cache_info *vi);

#endif /* SNMPMGRD_V3CACHE_H */
