/*
 * usm_int.h - what the three files of the User-based Security Model share
 * and no one else may use: the protocol tables' entries, the credential
 * and localized-user structs, and the process-wide algorithms.  usm.c
 * holds tables, credentials, timeliness and the security parameters
 * codec; usm_key.c keys, users and the key cache; usm_crypt.c digests
 * and ciphers.  The public API is usm.h.
 */
#ifndef SNMPMGR_USM_INT_H
#define SNMPMGR_USM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "limits.h"
#include "usm.h"

struct usm_authinfo {
	enum usm_auth	 auth;
	const char	*name;
	const char	*mdname;	/* OpenSSL digest name */
	size_t		 keylen;	/* digest length = key length */
	size_t		 maclen;	/* truncated HMAC on the wire */
};

struct usm_privinfo {
	enum usm_priv	 priv;
	const char	*name;
	const char	*ciphername;	/* OpenSSL cipher name */
	const char	*ecbname;	/* the same cipher in ECB mode */
	size_t		 keylen;	/* cipher key octets */
	size_t		 matlen;	/* key material used: key (+ pre-IV) */
	size_t		 block;		/* padding unit: 8 for CBC, 1 for CFB */
	size_t		 cblock;	/* the cipher's block: 8 or 16 */
};

struct usm_cred {
	unsigned int	 refs;
	uint64_t	 id;
	bool		 interned;
	struct usm_cred	*inext;		/* intern bucket chain */
	uint8_t		 fp[32];	/* SHA-256 of the parameters */
	char		 auth_src;	/* 'p', 'm', 'l' or 0 */
	char		 priv_src;
	uint8_t		 user[SNMPMGR_MAX_USER_LEN];
	size_t		 user_len;
	enum usm_auth	 auth;
	enum usm_priv	 priv;
	enum usm_keyext	 keyext;
	struct usm_key	 auth_key;
	bool		 auth_localized;
	struct usm_key	 priv_key;
	bool		 priv_localized;
};

/* Room for one digest state (usm_crypt.c checks that each fits). */
#define USM_HSTATE_SIZE		256

struct usm_user {
	unsigned int	 refs;
	uint8_t		 user[SNMPMGR_MAX_USER_LEN];
	size_t		 user_len;
	uint8_t		 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 engine_id_len;
	enum usm_auth	 auth;
	enum usm_priv	 priv;
	const struct usm_authinfo *ai;
	const struct usm_privinfo *pi;
	struct usm_key	 auth_key;	/* localized */
	struct usm_key	 priv_key;	/* localized, extended, trimmed */
	/*
	 * HMAC (RFC 2104) with the keyed halves computed once: hin has
	 * absorbed K XOR ipad, hout K XOR opad.  They are digest states of
	 * OpenSSL's one-hash functions (usm_crypt.c), which each message
	 * copies as a plain struct: EVP_MD_CTX_copy_ex() of OpenSSL 3.0
	 * allocates and frees the provider's context on every copy.
	 */
	_Alignas(16) unsigned char hin[USM_HSTATE_SIZE];
	_Alignas(16) unsigned char hout[USM_HSTATE_SIZE];
	bool		 hready;
	EVP_CIPHER_CTX	*enc;
	EVP_CIPHER_CTX	*dec;
};

static inline void
usm_put32_be(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* The table entry of a protocol, or NULL when there is none. */
const struct usm_authinfo *usm_authinfo(enum usm_auth);
const struct usm_privinfo *usm_privinfo(enum usm_priv);
/* The fetched digest / cipher of an entry, or NULL with lasterr. */
const EVP_MD	*usm_md(const struct usm_authinfo *);
const EVP_CIPHER *usm_cipher(const struct usm_privinfo *);
/* The same cipher in ECB mode (fetched when usm_cipher() succeeds). */
EVP_CIPHER	*usm_ecb(const struct usm_privinfo *);
/* Key u's HMAC (hin, hout) with u->auth_key: 0, or -1 with lasterr. */
int		 usm_hmac_init(struct usm_user *u);
/* Wipe the privacy salt counter (usm_shutdown). */
void		 usm_salt_wipe(void);

#endif /* SNMPMGR_USM_INT_H */
