/*
 * usm.h - the User-based Security Model of SNMPv3 (RFC 3414, RFC 7860,
 * RFC 3826 and the 3DES / AES-192/256 drafts): keys, authentication,
 * privacy, timeliness and the UsmSecurityParameters codec.
 *
 * The pieces, from configuration to the packet path:
 *
 *   usm_cred    one configured credential set (user name, protocols,
 *               passwords or keys).  Passwords are turned into master keys
 *               once, when the credential is made; the password itself is
 *               not kept.
 *   usm_user    a credential localized for one authoritative engine ID:
 *               localized (and, for the privacy key, extended) keys plus the
 *               reusable OpenSSL HMAC and cipher contexts.  Reference
 *               counted; everything on the packet path takes one.
 *   usm_cache   a bounded LRU map (credential, engine ID) -> usm_user, so a
 *               key is localized once per engine and never on the packet
 *               path.
 *
 * Keys are wiped with OPENSSL_cleanse before their memory is released.  A
 * usm_user's contexts are not safe for concurrent use from two threads.
 *
 * Errors (snmpmgr_seterr, SPEC.md section 5):
 *   308 SNMPMGR_ERR_AUTH_FAILED      digest mismatch or wrong digest length
 *   309 SNMPMGR_ERR_NO_AUTH_PASSWORD auth protocol without password or key
 *   313 SNMPMGR_ERR_DECRYPT          ciphertext or cipher failure
 *   314 SNMPMGR_ERR_NO_PRIV_PASSWORD priv protocol without password or key
 *   315 SNMPMGR_ERR_NOT_ENCRYPTED    privacy operation on a user without it
 *   323 SNMPMGR_ERR_NO_PRIV_PARAM    msgPrivacyParameters not 8 octets
 *   325 SNMPMGR_ERR_TIME_FRAME       message outside the time window
 *   317 SNMPMGR_ERR_DEFECTIVE        malformed UsmSecurityParameters
 *   324 SNMPMGR_ERR_ENGINE_ID        empty or oversized engine ID
 *   326 SNMPMGR_ERR_USER_NAME        user name longer than 32 octets
 *   327 SNMPMGR_ERR_SEC_LEVEL        privacy without authentication
 *   329 SNMPMGR_ERR_KEY_LENGTH       password under 8 octets, key of the
 *                                    wrong length
 *   330 SNMPMGR_ERR_NO_AUTH_KEY      authentication on a user without it
 *   399 SNMPMGR_ERR_NOT_SUPPORTED    unknown protocol name, DES without the
 *                                    OpenSSL legacy provider
 */
#ifndef SNMPMGR_USM_H
#define SNMPMGR_USM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ber_wr;
struct oid;

/*
 * Authentication protocols.  The values are the last arc of their
 * registrations under snmpAuthProtocols 1.3.6.1.6.3.10.1.1 (RFC 3414 and
 * RFC 7860 4.1).
 */
enum usm_auth {
	USM_AUTH_NONE	= 1,	/* usmNoAuthProtocol */
	USM_AUTH_MD5	= 2,	/* usmHMACMD5AuthProtocol, HMAC-MD5-96 */
	USM_AUTH_SHA	= 3,	/* usmHMACSHAAuthProtocol, HMAC-SHA-96 */
	USM_AUTH_SHA224	= 4,	/* usmHMAC128SHA224AuthProtocol */
	USM_AUTH_SHA256	= 5,	/* usmHMAC192SHA256AuthProtocol */
	USM_AUTH_SHA384	= 6,	/* usmHMAC256SHA384AuthProtocol */
	USM_AUTH_SHA512	= 7,	/* usmHMAC384SHA512AuthProtocol */
};

/*
 * Privacy protocols.  1-4 are the last arc under snmpPrivProtocols
 * 1.3.6.1.6.3.10.1.2 (RFC 3414, draft-reeder 3DES, RFC 3826).  AES-192/256
 * were only ever registered under enterprise arcs (Blumenthal's
 * 1.3.6.1.4.1.14832.1.3/4, Cisco's 1.3.6.1.4.1.9.12.6.1.1/2), so they get
 * their key size as value; the key extension is chosen separately.
 */
enum usm_priv {
	USM_PRIV_NONE	= 1,	/* usmNoPrivProtocol */
	USM_PRIV_DES	= 2,	/* usmDESPrivProtocol, DES-CBC */
	USM_PRIV_3DES	= 3,	/* usm3DESEDEPrivProtocol, 3DES-EDE-CBC */
	USM_PRIV_AES	= 4,	/* usmAesCfb128Protocol, AES-128-CFB */
	USM_PRIV_AES192	= 192,	/* AES-192-CFB */
	USM_PRIV_AES256	= 256,	/* AES-256-CFB */
};

/*
 * How a localized privacy key shorter than the cipher needs is extended
 * (AES-192/256 only; 3DES always uses Reeder's chaining).
 *   BLUMENTHAL  draft-blumenthal-aes-usm-04 3.1.2.1: Kul = Kul || H(Kul).
 *               Net-SNMP "AES-192"/"AES-256", pysnmp usmAesBlumenthalCfb*.
 *   REEDER      draft-reeder-snmpv3-usm-3desede 2.1: Kul = Kul ||
 *               localize(password_to_key(Kul)).  Net-SNMP "AES-192-C"/
 *               "AES-256-C", pysnmp usmAesCfb192/256Protocol, Cisco.
 * The two give the same key when the hash is at least as long as the AES
 * key (no extension happens).
 */
enum usm_keyext {
	USM_KEYEXT_BLUMENTHAL	= 0,
	USM_KEYEXT_REEDER	= 1,
	/*
	 * Either: a sender uses Blumenthal; a receiver that cannot decrypt
	 * with it may localize the other way (usm_user_new_keyext) and try
	 * again.  SPEC.md 2 "priv_key_extension": "auto".
	 */
	USM_KEYEXT_AUTO		= 2,
};

/* Longest key of any kind: the SHA-512 digest. */
#define USM_MAX_KEY_LEN		64
/* Longest truncated HMAC (HMAC-384-SHA-512). */
#define USM_MAX_MAC_LEN		48
/* msgPrivacyParameters: the salt, for every privacy protocol here. */
#define USM_PRIV_PARAMS_LEN	8
/* RFC 3414 11.2: passwords shorter than this are refused. */
#define USM_MIN_PASSWORD_LEN	8
/* RFC 3414 2.2.3: the time window, in seconds. */
#define USM_TIME_WINDOW		150
/* RFC 3414 2.2.2: largest snmpEngineBoots / snmpEngineTime. */
#define USM_MAX_BOOTS		2147483647U
/* Entries in a usm_cache when usm_cache_new() is given 0. */
#define USM_CACHE_DEFAULT	4096

/*
 * A key: master (Ku) or localized (Kul), with the hash that made it.  Plain
 * data the caller owns; wipe it with usm_key_wipe() when done.
 */
struct usm_key {
	enum usm_auth	 hash;
	size_t		 len;
	uint8_t		 bytes[USM_MAX_KEY_LEN];
};

/*
 * Load the OpenSSL "default" and "legacy" providers and fetch the
 * algorithms.  Done on first use by every function below; call it at
 * start-up to pay for it early.  Never fails: a missing legacy provider
 * only makes DES unavailable.
 */
void	 usm_init(void);
/* Release what usm_init() acquired (for leak checkers at exit). */
void	 usm_shutdown(void);
/* Whether a privacy protocol can be used here: 0, or -1 (399 for DES
 * without the legacy provider). */
int	 usm_priv_available(enum usm_priv priv);

/*
 * Protocol facts.  usm_auth_key_len: the hash output, which is also the
 * length of its keys (16, 20, 28, 32, 48, 64).  usm_auth_mac_len: the
 * truncated HMAC carried in msgAuthenticationParameters (12, 12, 16, 24,
 * 32, 48; RFC 3414 6/7, RFC 7860 4.2).  usm_priv_key_len: key material a
 * cipher takes from the localized key (DES 16 = key + pre-IV, 3DES 32 =
 * key + pre-IV, AES 16/24/32).  0 for NONE or an unknown value.
 */
size_t	 usm_auth_key_len(enum usm_auth auth);
size_t	 usm_auth_mac_len(enum usm_auth auth);
size_t	 usm_priv_key_len(enum usm_priv priv);

/*
 * Names: "none", "md5", "sha", "sha224" ... and "none", "des", "3des",
 * "aes", "aes192", "aes256" (SPEC.md section 2); "blumenthal", "reeder".
 */
const char *usm_auth_name(enum usm_auth auth);
const char *usm_priv_name(enum usm_priv priv);
const char *usm_keyext_name(enum usm_keyext ext);
/*
 * Parse a protocol name, case-insensitively: SPEC.md's names and Net-SNMP's
 * ("SHA-256", "SHA1", "AES128", "AES-192", "3DESEDE").  For privacy,
 * Net-SNMP's "AES-192-C"/"AES-256-C" also set *ext to REEDER; other names
 * leave *ext alone (ext may be NULL).  0, or -1 with 399.
 */
int	 usm_auth_from_name(const char *name, enum usm_auth *auth);
int	 usm_priv_from_name(const char *name, enum usm_priv *priv,
	    enum usm_keyext *ext);
int	 usm_keyext_from_name(const char *name, enum usm_keyext *ext);

/*
 * RFC 3414 A.2: the master key Ku of a password: the hash of 1 MiB of the
 * password repeated.  The password need not be NUL-terminated.  Costs a
 * millisecond or two.  0, or -1 (329 when shorter than 8 octets, 399 for
 * USM_AUTH_NONE).
 */
int	 usm_password_to_key(enum usm_auth auth, const char *pw, size_t len,
	    struct usm_key *ku);
/*
 * RFC 3414 A.2 / 2.6: localize a master key for an engine:
 * Kul = H(Ku || engineID || Ku).  kul may be ku.  0, or -1 (324 for an
 * engine ID of 0 or more than SNMPMGR_MAX_ENGINE_ID_LEN octets).
 */
int	 usm_key_localize(const struct usm_key *ku, const uint8_t *engine_id,
	    size_t engine_id_len, struct usm_key *kul);
/*
 * Grow a localized privacy key to need octets with the given extension
 * (see enum usm_keyext); nothing to do when it is already long enough.
 * need is at most USM_MAX_KEY_LEN.  0 or -1.
 */
int	 usm_key_extend(struct usm_key *kul, size_t need, enum usm_keyext ext,
	    const uint8_t *engine_id, size_t engine_id_len);
/* Copy raw key octets in: 0, or -1 (329 if len is 0 or too long). */
int	 usm_key_set(struct usm_key *k, enum usm_auth hash, const uint8_t *p,
	    size_t len);
/* OPENSSL_cleanse the key. */
void	 usm_key_wipe(struct usm_key *k);

/*
 * What a credential is made from.  All pointers are borrowed for the call.
 * For each of auth and priv give a password, or a key: a master key (the
 * hash length) or, with *_key_localized, a key already localized for the
 * one engine this credential will talk to (the hash length, or for privacy
 * already extended to usm_priv_key_len()).
 */
struct usm_cred_params {
	const char	*user;		/* NUL-terminated, up to 32 octets */
	enum usm_auth	 auth;
	const char	*auth_password;	/* NUL-terminated, or NULL */
	const uint8_t	*auth_key;
	size_t		 auth_key_len;
	bool		 auth_key_localized;
	enum usm_priv	 priv;
	const char	*priv_password;
	const uint8_t	*priv_key;
	size_t		 priv_key_len;
	bool		 priv_key_localized;
	enum usm_keyext	 keyext;
};

struct usm_cred;
struct usm_user;
struct usm_cache;

/*
 * Make a credential; passwords are hashed here (the slow part).  A 0 auth
 * or priv means NONE.  NULL on failure (309, 314, 326, 327, 329, 399).
 */
struct usm_cred	*usm_cred_new(const struct usm_cred_params *p);
/*
 * Credentials are reference counted: usm_cred_new() and usm_cred_get()
 * give one reference, usm_cred_ref() another; usm_cred_free() drops one
 * and wipes the keys at the last.  Users already localized from it stay
 * valid.
 */
struct usm_cred	*usm_cred_ref(struct usm_cred *c);
void		 usm_cred_free(struct usm_cred *c);
/*
 * Like usm_cred_new(), but when a credential made by usm_cred_get() from
 * the same parameters is still alive, a new reference to it is returned
 * and no password is hashed again.  So the 10,000 sessions of one
 * credentials block share one credential (and one cache entry per engine),
 * and a reload that keeps the block keeps its localized keys.  Parameters
 * are compared by a SHA-256 fingerprint, wiped with the credential.
 */
struct usm_cred	*usm_cred_get(const struct usm_cred_params *p);
/* A number no other credential of this process has (the cache key). */
uint64_t	 usm_cred_id(const struct usm_cred *c);
/* Read-only views of a credential (no secrets). */
const uint8_t	*usm_cred_user(const struct usm_cred *c, size_t *len);
enum usm_auth	 usm_cred_auth(const struct usm_cred *c);
enum usm_priv	 usm_cred_priv(const struct usm_cred *c);
enum usm_keyext	 usm_cred_keyext(const struct usm_cred *c);
/*
 * Where each key came from, for masked displays: 'p' a password, 'm' a
 * master key, 'l' a localized key, 0 none.
 */
int		 usm_cred_auth_source(const struct usm_cred *c);
int		 usm_cred_priv_source(const struct usm_cred *c);
/* The kept keys (master, or localized as given); NULL when none. */
const struct usm_key *usm_cred_auth_key(const struct usm_cred *c);
const struct usm_key *usm_cred_priv_key(const struct usm_cred *c);
/*
 * Do a and b act the same: user, protocols, key extension and the kept
 * keys (of the same kind, master or localized)?  A password and the
 * master key it hashes to are the same; a credential equals itself.
 * Either may be NULL (no user).  Keys are compared in constant time.
 */
bool		 usm_cred_equal(const struct usm_cred *a,
		    const struct usm_cred *b);

/*
 * Localize c for an engine: the keys, the extension, the contexts.  The
 * result holds one reference; usm_user_free() drops one and frees (wiping
 * the keys) at the last.  NULL on failure (324, 399).
 */
struct usm_user	*usm_user_new(const struct usm_cred *c,
		    const uint8_t *engine_id, size_t engine_id_len);
/*
 * The same with the privacy key extension given instead of the
 * credential's (AUTO counts as BLUMENTHAL): for a receiver trying the other
 * extension of an "auto" credential.  Not cached.
 */
struct usm_user	*usm_user_new_keyext(const struct usm_cred *c,
		    const uint8_t *engine_id, size_t engine_id_len,
		    enum usm_keyext ext);
struct usm_user	*usm_user_ref(struct usm_user *u);
void		 usm_user_free(struct usm_user *u);

/* Read-only views.  Pointers are valid as long as the user is. */
const uint8_t	*usm_user_name(const struct usm_user *u, size_t *len);
const uint8_t	*usm_user_engine_id(const struct usm_user *u, size_t *len);
enum usm_auth	 usm_user_auth(const struct usm_user *u);
enum usm_priv	 usm_user_priv(const struct usm_user *u);
/* The localized keys ("hash" command); priv is the extended key. */
const struct usm_key *usm_user_auth_key(const struct usm_user *u);
const struct usm_key *usm_user_priv_key(const struct usm_user *u);
/* Octets of msgAuthenticationParameters this user sends (0 without auth). */
size_t		 usm_user_mac_len(const struct usm_user *u);

/*
 * A cache of at most max users (USM_CACHE_DEFAULT when 0), least recently
 * used evicted first.  usm_cache_get returns a new reference (release with
 * usm_user_free) to the user for (c, engine ID), localizing on a miss;
 * holders keep their reference valid past an eviction.  NULL on failure,
 * as usm_user_new.  usm_cache_forget drops every entry of c (on reload).
 */
struct usm_cache *usm_cache_new(size_t max);
void		 usm_cache_free(struct usm_cache *cache);
struct usm_user	*usm_cache_get(struct usm_cache *cache,
		    const struct usm_cred *c, const uint8_t *engine_id,
		    size_t engine_id_len);
void		 usm_cache_forget(struct usm_cache *cache,
		    const struct usm_cred *c);
size_t		 usm_cache_count(const struct usm_cache *cache);
/* Localizations done (misses) and lookups answered from the cache. */
void		 usm_cache_stats(const struct usm_cache *cache,
		    uint64_t *misses, uint64_t *hits);

/*
 * Authentication (RFC 3414 6.3 / 7.3, RFC 7860 4.2): HMAC over the whole
 * message msg[0 .. len) with the usm_user_mac_len() octets at off counted
 * as zeros.
 *
 * usm_auth_sign writes the digest at msg + off.  0, or -1 (330; off out of
 * bounds: 317).
 *
 * usm_auth_verify checks the field_len octets at msg + off, received in
 * msgAuthenticationParameters, in constant time; msg is not changed.  0,
 * or -1 (308 for a wrong length or a mismatch, 330).
 */
int	 usm_auth_sign(struct usm_user *u, uint8_t *msg, size_t len,
	    size_t off);
int	 usm_auth_verify(struct usm_user *u, const uint8_t *msg, size_t len,
	    size_t off, size_t field_len);

/*
 * Privacy.  usm_encrypted_len: the ciphertext length for len octets of
 * ScopedPDU (DES and 3DES pad to 8 octets, CFB does not).
 *
 * usm_encrypt (RFC 3414 8.1.1.1, draft-reeder 5.1.1.1, RFC 3826 3.1.2.1):
 * boots/etime are the authoritative engine's, as sent in the message.
 * Writes the ciphertext into out (*outlen: its size in, the length out) and
 * the salt for msgPrivacyParameters into privparams.  in and out may be the
 * same buffer.  0, or -1 (315, 118 when out is too small, 313).
 *
 * usm_decrypt (RFC 3414 8.3.2, RFC 3826 3.1.4): privparams is the received
 * msgPrivacyParameters.  The plaintext must be a ScopedPDU: *outlen is set
 * to the length of its outer SEQUENCE, so DES padding is dropped.  in and
 * out may be the same buffer; out needs inlen octets.  0, or -1 (323 when
 * privparams is not 8 octets, 313 for a ciphertext of the wrong length or
 * a plaintext that is not a SEQUENCE, i.e. most likely a wrong key, 315).
 */
size_t	 usm_encrypted_len(const struct usm_user *u, size_t len);
int	 usm_encrypt(struct usm_user *u, uint32_t boots, uint32_t etime,
	    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen,
	    uint8_t privparams[USM_PRIV_PARAMS_LEN]);
int	 usm_decrypt(struct usm_user *u, uint32_t boots, uint32_t etime,
	    const uint8_t *privparams, size_t privparams_len,
	    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen);

/*
 * Timeliness (RFC 3414 2.3, 3.2 step 7).  What a non-authoritative engine
 * (the manager) keeps per authoritative engine.  now is local monotonic
 * time in seconds.
 */
struct usm_timeliness {
	bool		 known;		/* learnt by discovery or a message */
	uint32_t	 boots;		/* snmpEngineBoots */
	uint32_t	 time;		/* snmpEngineTime at stamp */
	uint32_t	 latest;	/* latestReceivedEngineTime */
	int64_t		 stamp;		/* local time when time was set */
};

/* Take boots/time as they are (discovery, preset values). */
void	 usm_time_set(struct usm_timeliness *t, uint32_t boots, uint32_t etime,
	    int64_t now);
/* Our estimate of the engine's boots and time now, for outgoing messages. */
void	 usm_time_now(const struct usm_timeliness *t, int64_t now,
	    uint32_t *boots, uint32_t *etime);
/*
 * RFC 3414 3.2 step 7b, for an authenticated incoming message from the
 * authoritative engine: update the kept values when the message is newer,
 * then 0 when it is in the time window, -1 with 325 when not.
 */
int	 usm_time_check(struct usm_timeliness *t, uint32_t boots,
	    uint32_t etime, int64_t now);
/*
 * RFC 3414 3.2 step 7a, when we are authoritative: our own boots/time
 * against the message's.  0 or -1 with 325.
 */
int	 usm_time_check_local(uint32_t our_boots, uint32_t our_time,
	    uint32_t boots, uint32_t etime);

/*
 * RFC 3414 5: the usmStats counter a Report PDU carries as its first
 * varbind name (usmStatsUnsupportedSecLevels.0 ... usmStatsDecryptionErrors.0,
 * 1.3.6.1.6.3.15.1.1.N.0) mapped to our error: 327, 325, 326, 324, 308,
 * 313.  0 for any other OID.
 */
int	 usm_report_error(const struct oid *name);

/*
 * UsmSecurityParameters (RFC 3414 2.4), the contents of the
 * msgSecurityParameters OCTET STRING.  Decoding points into the buffer.
 */
struct usm_secparams {
	const uint8_t	*engine_id;
	size_t		 engine_id_len;
	uint32_t	 boots;
	uint32_t	 time;
	const uint8_t	*user;
	size_t		 user_len;
	const uint8_t	*auth;		/* msgAuthenticationParameters */
	size_t		 auth_len;
	const uint8_t	*priv;		/* msgPrivacyParameters */
	size_t		 priv_len;
};

/*
 * Decode: SEQUENCE of engine ID (0..32 octets), boots and time (0..2^31-1),
 * user name (0..32 octets), auth and priv parameters, nothing after.
 * 0, or -1 with 317.
 */
int	 usm_secparams_decode(const uint8_t *buf, size_t len,
	    struct usm_secparams *sp);
/*
 * Prepend the SEQUENCE to w (ber.h).  If sp->auth is NULL, sp->auth_len
 * zero octets are written (the digest placeholder); *authp (may be NULL)
 * gets where the msgAuthenticationParameters contents are.  They do not
 * move as the rest of the message is prepended, so once it is complete
 * pass (*authp - message start) to usm_auth_sign.  0 or -1 (118, 317 for
 * out-of-range fields).
 */
int	 usm_secparams_write(struct ber_wr *w, const struct usm_secparams *sp,
	    uint8_t **authp);
/*
 * The same into buf; returns the length and sets *out to its start inside
 * buf and *auth_off to the offset of the auth contents from *out.  -1 on
 * failure.
 */
ssize_t	 usm_secparams_encode(const struct usm_secparams *sp, uint8_t *buf,
	    size_t size, const uint8_t **out, size_t *auth_off);

#endif /* SNMPMGR_USM_H */
