/*
 * check_usm.c - USM keys, authentication, privacy, key cache, timeliness
 * and security parameters, against published vectors (RFC 3414 A.3,
 * draft-reeder-snmpv3-usm-3desede B, draft-blumenthal-aes-usm-04 A.1,
 * NIST SP 800-38A F.3.13) and against what a real Net-SNMP 5.9.3 snmpd
 * wrote or sent (localized keys from its persistent usmUser lines, and
 * authPriv responses captured with snmpget -d).
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/ber.h"
#include "core/errors.h"
#include "core/oid.h"
#include "core/usm.h"
#include "check_main.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* The engine ID RFC 3414 A.3 localizes for. */
static const uint8_t rfc_engine[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02
};
static const char maple[] = "maplesyrup";

/* Hex text (spaces allowed) to octets; returns the count. */
static size_t
unhex(const char *s, uint8_t *out, size_t size)
{
	size_t		n = 0;
	unsigned int	v;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		ck_assert_msg(n < size, "hex vector too long");
		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
assert_key(const struct usm_key *k, const char *hex)
{
	uint8_t	want[USM_MAX_KEY_LEN];
	size_t	n = unhex(hex, want, sizeof(want));

	ck_assert_uint_eq(k->len, n);
	ck_assert_mem_eq(k->bytes, want, n);
}

/* A password credential localized for engine: the caller frees both. */
static struct usm_user *
make_user(enum usm_auth auth, enum usm_priv priv, enum usm_keyext ext,
    const uint8_t *engine, size_t engine_len)
{
	struct usm_cred_params p;
	struct usm_cred	*c;
	struct usm_user	*u;

	memset(&p, 0, sizeof(p));
	p.user = "tester";
	p.auth = auth;
	p.auth_password = maple;
	p.priv = priv;
	p.priv_password = maple;
	p.keyext = ext;
	c = usm_cred_new(&p);
	ck_assert_msg(c != NULL, "cred: %s", snmpmgr_lasterr_detail());
	u = usm_user_new(c, engine, engine_len);
	ck_assert_msg(u != NULL, "user: %s", snmpmgr_lasterr_detail());
	usm_cred_free(c);
	return u;
}

START_TEST(usm_md5_password_to_key_rfc3414)
{
	struct usm_key	ku, kul;

	ck_assert_int_eq(usm_password_to_key(USM_AUTH_MD5, maple,
	    strlen(maple), &ku), 0);
	assert_key(&ku, "9f af 32 83 88 4e 92 83 4e bc 98 47 d8 ed d9 63");
	ck_assert_int_eq(usm_key_localize(&ku, rfc_engine, sizeof(rfc_engine),
	    &kul), 0);
	assert_key(&kul, "52 6f 5e ed 9f cc e2 6f 89 64 c2 93 07 87 d8 2b");
	/* Localizing in place gives the same. */
	ck_assert_int_eq(usm_key_localize(&ku, rfc_engine, sizeof(rfc_engine),
	    &ku), 0);
	ck_assert_mem_eq(ku.bytes, kul.bytes, kul.len);
}
END_TEST

START_TEST(usm_sha_password_to_key_rfc3414)
{
	struct usm_key	ku, kul;

	ck_assert_int_eq(usm_password_to_key(USM_AUTH_SHA, maple,
	    strlen(maple), &ku), 0);
	assert_key(&ku, "9f b5 cc 03 81 49 7b 37 93 52 89 39 ff 78 8d 5d "
	    "79 14 52 11");
	ck_assert_int_eq(usm_key_localize(&ku, rfc_engine, sizeof(rfc_engine),
	    &kul), 0);
	assert_key(&kul, "66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84 "
	    "97 b3 8f 3f");
}
END_TEST

/*
 * RFC 7860 has no sample keys.  These are the usmUser lines Net-SNMP 5.9.3
 * snmpd wrote for createUser ... maplesyrup with exactEngineID
 * 0x000000000000000000000002.
 */
START_TEST(usm_sha2_localized_keys_netsnmp)
{
	static const struct {
		enum usm_auth	 auth;
		const char	*kul;
	} v[] = {
		{ USM_AUTH_SHA224, "0bd8827c6e29f8065e08e09237f177e410f69b90"
		    "e1782be682075674" },
		{ USM_AUTH_SHA256, "8982e0e549e866db361a6b625d84cccc11162d45"
		    "3ee8ce3a6445c2d6776f0f8b" },
		{ USM_AUTH_SHA384, "3b298f16164a11184279d5432bf169e2d2a48307"
		    "de02b3d3f7e2b4f36eb6f0455a53689a3937eea0"
		    "7319a633d2ccba78" },
		{ USM_AUTH_SHA512, "22a5a36cedfcc085807a128d7bc6c2382167ad6c"
		    "0dbc5fdff856740f3d84c099ad1ea87a8db096714d9788bd544047c9"
		    "021e4229ce27e4c0a69250adfcffbb0b" },
	};
	struct usm_key	ku, kul;
	size_t		i;

	for (i = 0; i < nitems(v); i++) {
		ck_assert_int_eq(usm_password_to_key(v[i].auth, maple,
		    strlen(maple), &ku), 0);
		ck_assert_uint_eq(ku.len, usm_auth_key_len(v[i].auth));
		ck_assert_int_eq(usm_key_localize(&ku, rfc_engine,
		    sizeof(rfc_engine), &kul), 0);
		assert_key(&kul, v[i].kul);
	}
}
END_TEST

START_TEST(usm_password_shorter_than_8_refused)
{
	struct usm_key	ku;

	snmpmgr_clearerr();
	ck_assert_int_eq(usm_password_to_key(USM_AUTH_SHA, "1234567", 7,
	    &ku), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_KEY_LENGTH);
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "at least 8"));
	ck_assert_int_eq(usm_password_to_key(USM_AUTH_SHA, "12345678", 8,
	    &ku), 0);
	ck_assert_int_eq(usm_password_to_key(USM_AUTH_NONE, "12345678", 8,
	    &ku), -1);
}
END_TEST

START_TEST(usm_digest_and_mac_lengths_rfc7860)
{
	static const struct {
		enum usm_auth	 auth;
		size_t		 key, mac;
	} v[] = {
		{ USM_AUTH_MD5, 16, 12 }, { USM_AUTH_SHA, 20, 12 },
		{ USM_AUTH_SHA224, 28, 16 }, { USM_AUTH_SHA256, 32, 24 },
		{ USM_AUTH_SHA384, 48, 32 }, { USM_AUTH_SHA512, 64, 48 },
	};
	size_t	i;

	for (i = 0; i < nitems(v); i++) {
		ck_assert_uint_eq(usm_auth_key_len(v[i].auth), v[i].key);
		ck_assert_uint_eq(usm_auth_mac_len(v[i].auth), v[i].mac);
	}
	ck_assert_uint_eq(usm_auth_mac_len(USM_AUTH_NONE), 0);
	ck_assert_uint_eq(usm_priv_key_len(USM_PRIV_DES), 16);
	ck_assert_uint_eq(usm_priv_key_len(USM_PRIV_3DES), 32);
	ck_assert_uint_eq(usm_priv_key_len(USM_PRIV_AES256), 32);
}
END_TEST

/* draft-reeder-snmpv3-usm-3desede B.1 and B.2 (32 octets kept). */
START_TEST(usm_reeder_3des_key_draft_vectors)
{
	struct usm_user	*u;

	u = make_user(USM_AUTH_MD5, USM_PRIV_3DES, USM_KEYEXT_BLUMENTHAL,
	    rfc_engine, sizeof(rfc_engine));
	assert_key(usm_user_priv_key(u), "526f5eed9fcce26f8964c2930787d82b"
	    "79eff44a90650ee0a3a40abfac5acc12");
	usm_user_free(u);
	u = make_user(USM_AUTH_SHA, USM_PRIV_3DES, USM_KEYEXT_BLUMENTHAL,
	    rfc_engine, sizeof(rfc_engine));
	assert_key(usm_user_priv_key(u), "6695febc9288e36282235fc7151f1284"
	    "97b38f3f9b8b6d78936ba6e7d19dfd9c");
	usm_user_free(u);
}
END_TEST

/*
 * draft-blumenthal-aes-usm-04 A.1 (SHA-1, AES-256), and Net-SNMP's
 * "AES-256" (Blumenthal) and "AES-256-C" (Reeder) keys for MD5, which the
 * Reeder draft's B.1 vector also gives.
 */
START_TEST(usm_blumenthal_aes_key_vectors)
{
	struct usm_user	*u;

	u = make_user(USM_AUTH_SHA, USM_PRIV_AES256, USM_KEYEXT_BLUMENTHAL,
	    rfc_engine, sizeof(rfc_engine));
	assert_key(usm_user_priv_key(u), "6695febc9288e36282235fc7151f1284"
	    "97b38f3f505e07eb9af25568fa1f5dbe");
	usm_user_free(u);
	u = make_user(USM_AUTH_MD5, USM_PRIV_AES256, USM_KEYEXT_BLUMENTHAL,
	    rfc_engine, sizeof(rfc_engine));
	assert_key(usm_user_priv_key(u), "526f5eed9fcce26f8964c2930787d82b"
	    "fa24a92467426c2f4b09192be10dfaec");
	usm_user_free(u);
	u = make_user(USM_AUTH_MD5, USM_PRIV_AES256, USM_KEYEXT_REEDER,
	    rfc_engine, sizeof(rfc_engine));
	assert_key(usm_user_priv_key(u), "526f5eed9fcce26f8964c2930787d82b"
	    "79eff44a90650ee0a3a40abfac5acc12");
	usm_user_free(u);
}
END_TEST

/*
 * The two extensions agree when the hash covers the AES key and differ
 * when it does not (PEERS.md); the differing values are Net-SNMP's.
 */
START_TEST(usm_blumenthal_reeder_differ_only_for_short_hash)
{
	static const struct {
		enum usm_auth	 auth;
		enum usm_priv	 priv;
		bool		 same;
		const char	*blumenthal, *reeder;
	} v[] = {
		{ USM_AUTH_MD5, USM_PRIV_AES192, false, NULL, NULL },
		{ USM_AUTH_MD5, USM_PRIV_AES256, false, NULL, NULL },
		{ USM_AUTH_SHA, USM_PRIV_AES192, false,
		    "6695febc9288e36282235fc7151f128497b38f3f505e07eb",
		    "6695febc9288e36282235fc7151f128497b38f3f9b8b6d78" },
		{ USM_AUTH_SHA, USM_PRIV_AES256, false, NULL, NULL },
		{ USM_AUTH_SHA224, USM_PRIV_AES192, true, NULL, NULL },
		{ USM_AUTH_SHA224, USM_PRIV_AES256, false,
		    "0bd8827c6e29f8065e08e09237f177e410f69b90e1782be682075674"
		    "e82d9bf0",
		    "0bd8827c6e29f8065e08e09237f177e410f69b90e1782be682075674"
		    "22c34be4" },
		{ USM_AUTH_SHA256, USM_PRIV_AES256, true,
		    "8982e0e549e866db361a6b625d84cccc11162d453ee8ce3a6445c2d6"
		    "776f0f8b", NULL },
		{ USM_AUTH_SHA512, USM_PRIV_AES256, true, NULL, NULL },
	};
	struct usm_user	*b, *r;
	const struct usm_key *kb, *kr;
	size_t		 i;

	for (i = 0; i < nitems(v); i++) {
		b = make_user(v[i].auth, v[i].priv, USM_KEYEXT_BLUMENTHAL,
		    rfc_engine, sizeof(rfc_engine));
		r = make_user(v[i].auth, v[i].priv, USM_KEYEXT_REEDER,
		    rfc_engine, sizeof(rfc_engine));
		kb = usm_user_priv_key(b);
		kr = usm_user_priv_key(r);
		ck_assert_uint_eq(kb->len, usm_priv_key_len(v[i].priv));
		ck_assert_uint_eq(kr->len, kb->len);
		ck_assert_msg((memcmp(kb->bytes, kr->bytes, kb->len) == 0) ==
		    v[i].same, "case %zu: keys %s", i,
		    v[i].same ? "differ" : "agree");
		if (v[i].blumenthal != NULL)
			assert_key(kb, v[i].blumenthal);
		if (v[i].reeder != NULL)
			assert_key(kr, v[i].reeder);
		usm_user_free(b);
		usm_user_free(r);
	}
}
END_TEST

static const enum usm_auth all_auth[] = {
	USM_AUTH_MD5, USM_AUTH_SHA, USM_AUTH_SHA224, USM_AUTH_SHA256,
	USM_AUTH_SHA384, USM_AUTH_SHA512,
};
static const char *const all_md[] = {
	"MD5", "SHA1", "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512",
};

/* A message-like buffer with a zeroed digest field at off. */
static void
fill_msg(uint8_t *msg, size_t len, size_t off, size_t maclen)
{
	size_t	i;

	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	memset(msg + off, 0, maclen);
}

/*
 * Each protocol's digest equals OpenSSL's one-shot HMAC of the message with
 * the field zeroed, truncated; the kept context gives the same twice.
 */
START_TEST(usm_hmac_sign_verify_round_trip)
{
	uint8_t		 msg[300], zeroed[300], full[EVP_MAX_MD_SIZE];
	struct usm_user	*u;
	const struct usm_key *k;
	size_t		 i, off = 41, maclen, fulllen;
	int		 round;

	for (i = 0; i < nitems(all_auth); i++) {
		u = make_user(all_auth[i], USM_PRIV_NONE, 0, rfc_engine,
		    sizeof(rfc_engine));
		maclen = usm_user_mac_len(u);
		ck_assert_uint_eq(maclen, usm_auth_mac_len(all_auth[i]));
		k = usm_user_auth_key(u);
		fill_msg(zeroed, sizeof(zeroed), off, maclen);
		ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL,
		    all_md[i], NULL, k->bytes, k->len, zeroed, sizeof(zeroed),
		    full, sizeof(full), &fulllen));
		for (round = 0; round < 2; round++) {
			memcpy(msg, zeroed, sizeof(msg));
			ck_assert_int_eq(usm_auth_sign(u, msg, sizeof(msg),
			    off), 0);
			ck_assert_mem_eq(msg + off, full, maclen);
			ck_assert_mem_eq(msg, zeroed, off);
			ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg),
			    off, maclen), 0);
		}
		usm_user_free(u);
	}
}
END_TEST

START_TEST(usm_hmac_tamper_detected)
{
	uint8_t		 msg[120];
	struct usm_user	*u, *noauth;
	size_t		 off = 30, maclen, pos;
	struct usm_cred_params p;
	struct usm_cred	*c;

	u = make_user(USM_AUTH_SHA256, USM_PRIV_NONE, 0, rfc_engine,
	    sizeof(rfc_engine));
	maclen = usm_user_mac_len(u);
	fill_msg(msg, sizeof(msg), off, maclen);
	ck_assert_int_eq(usm_auth_sign(u, msg, sizeof(msg), off), 0);
	/* One flipped bit anywhere, digest included, fails with 308. */
	for (pos = 0; pos < sizeof(msg); pos += 13) {
		msg[pos] ^= 0x10;
		snmpmgr_clearerr();
		ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg), off,
		    maclen), -1);
		ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_AUTH_FAILED);
		msg[pos] ^= 0x10;
	}
	ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg), off, maclen), 0);
	/* A digest field of another length, a field past the end. */
	ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg), off, 12), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_AUTH_FAILED);
	/* No digest at all: 310 missing signature. */
	ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg), off, 0), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_SIGNATURE);
	ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg),
	    sizeof(msg) - 3, maclen), -1);
	ck_assert_int_eq(usm_auth_sign(u, msg, sizeof(msg), sizeof(msg)), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	/* Another key (another engine) does not verify it either. */
	usm_user_free(u);
	u = make_user(USM_AUTH_SHA256, USM_PRIV_NONE, 0,
	    (const uint8_t *)"\x80\x00\x1f\x88\x04xyz", 8);
	ck_assert_int_eq(usm_auth_verify(u, msg, sizeof(msg), off, maclen),
	    -1);
	usm_user_free(u);
	/* No auth protocol: 330. */
	memset(&p, 0, sizeof(p));
	p.user = "public";
	ck_assert_ptr_nonnull(c = usm_cred_new(&p));
	ck_assert_ptr_nonnull(noauth = usm_user_new(c, rfc_engine,
	    sizeof(rfc_engine)));
	ck_assert_uint_eq(usm_user_mac_len(noauth), 0);
	ck_assert_int_eq(usm_auth_sign(noauth, msg, sizeof(msg), off), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_AUTH_KEY);
	usm_user_free(noauth);
	usm_cred_free(c);
}
END_TEST

static const enum usm_priv all_priv[] = {
	USM_PRIV_DES, USM_PRIV_3DES, USM_PRIV_AES, USM_PRIV_AES192,
	USM_PRIV_AES256,
};

/* A plausible ScopedPDU of n octets (n >= 4, < 128 + 2). */
static void
fill_scoped_pdu(uint8_t *p, size_t n)
{
	size_t	i;

	p[0] = 0x30;
	p[1] = (uint8_t)(n - 2);
	for (i = 2; i < n; i++)
		p[i] = (uint8_t)(i * 31 + 5);
}

START_TEST(usm_privacy_round_trips)
{
	static const size_t lens[] = { 2, 9, 16, 17, 100, 129 };
	uint8_t		 plain[200], ct[216], back[216], pp[8], pp2[8];
	struct usm_user	*u;
	size_t		 i, a, l, ctlen, backlen;

	for (i = 0; i < nitems(all_priv); i++) {
		for (a = 0; a < 2; a++) {
			u = make_user(a == 0 ? USM_AUTH_MD5 : USM_AUTH_SHA256,
			    all_priv[i], USM_KEYEXT_BLUMENTHAL, rfc_engine,
			    sizeof(rfc_engine));
			for (l = 0; l < nitems(lens); l++) {
				fill_scoped_pdu(plain, lens[l]);
				ctlen = sizeof(ct);
				ck_assert_int_eq(usm_encrypt(u, 7, 1234, plain,
				    lens[l], ct, &ctlen, pp), 0);
				ck_assert_uint_eq(ctlen,
				    usm_encrypted_len(u, lens[l]));
				if (all_priv[i] == USM_PRIV_DES ||
				    all_priv[i] == USM_PRIV_3DES) {
					ck_assert_uint_eq(ctlen % 8, 0);
					ck_assert_uint_ge(ctlen, lens[l]);
					ck_assert_uint_lt(ctlen, lens[l] + 8);
				} else
					ck_assert_uint_eq(ctlen, lens[l]);
				ck_assert_msg(memcmp(ct, plain, lens[l]) != 0,
				    "ciphertext equals plaintext");
				backlen = sizeof(back);
				ck_assert_msg(usm_decrypt(u, 7, 1234, pp, 8,
				    ct, ctlen, back, &backlen) == 0,
				    "%s len %zu: %s",
				    usm_priv_name(all_priv[i]), lens[l],
				    snmpmgr_lasterr_detail());
				ck_assert_uint_eq(backlen, lens[l]);
				ck_assert_mem_eq(back, plain, lens[l]);
			}
			/* A fresh salt per message: same input, new output. */
			ctlen = sizeof(ct);
			ck_assert_int_eq(usm_encrypt(u, 7, 1234, plain, 100,
			    ct, &ctlen, pp), 0);
			memcpy(back, ct, ctlen);
			ctlen = sizeof(ct);
			ck_assert_int_eq(usm_encrypt(u, 7, 1234, plain, 100,
			    ct, &ctlen, pp2), 0);
			ck_assert_msg(memcmp(pp, pp2, 8) != 0, "salt reused");
			ck_assert_msg(memcmp(back, ct, ctlen) != 0,
			    "ciphertext repeated");
			/* In place. */
			fill_scoped_pdu(plain, 100);
			memcpy(ct, plain, 100);
			ctlen = sizeof(ct);
			ck_assert_int_eq(usm_encrypt(u, 8, 99, ct, 100, ct,
			    &ctlen, pp), 0);
			ck_assert_int_eq(usm_decrypt(u, 8, 99, pp, 8, ct,
			    ctlen, ct, &backlen), 0);
			ck_assert_mem_eq(ct, plain, 100);
			usm_user_free(u);
		}
	}
}
END_TEST

/* A ScopedPDU-shaped buffer of n octets (long-form length). */
static void
fill_long_pdu(uint8_t *p, size_t n)
{
	size_t	i;

	p[0] = 0x30;
	p[1] = 0x82;
	p[2] = (uint8_t)((n - 4) >> 8);
	p[3] = (uint8_t)(n - 4);
	for (i = 4; i < n; i++)
		p[i] = (uint8_t)(i * 31 + 5);
}

/*
 * Decryption chains the blocks itself over ECB passes of a few KiB: a
 * message of several passes (odd length for CFB), in place and not,
 * comes back whole, and one changed ciphertext octet shows where the
 * modes say it must (CFB: that octet and the next block; CBC: that block
 * and one octet of the next).
 */
START_TEST(usm_decrypt_long_messages_across_passes)
{
	static uint8_t	 plain[9000], ct[9016], back[9016];
	static const size_t lens[] = { 2047, 2048, 2049, 6001, 8999 };
	struct usm_user	*u;
	uint8_t		 pp[8];
	size_t		 i, l, ctlen, backlen, d, bad;
	bool		 cbc;

	for (i = 0; i < nitems(all_priv); i++) {
		u = make_user(USM_AUTH_SHA, all_priv[i], USM_KEYEXT_BLUMENTHAL,
		    rfc_engine, sizeof(rfc_engine));
		for (l = 0; l < nitems(lens); l++) {
			fill_long_pdu(plain, lens[l]);
			ctlen = sizeof(ct);
			ck_assert_int_eq(usm_encrypt(u, 3, 77, plain, lens[l],
			    ct, &ctlen, pp), 0);
			backlen = sizeof(back);
			ck_assert_int_eq(usm_decrypt(u, 3, 77, pp, 8, ct, ctlen,
			    back, &backlen), 0);
			ck_assert_uint_eq(backlen, lens[l]);
			ck_assert_mem_eq(back, plain, lens[l]);
			if (lens[l] > 4200) {
				/* One octet in the third pass changed. */
				ct[4100] ^= 0x01;
				ck_assert_int_eq(usm_decrypt(u, 3, 77, pp, 8,
				    ct, ctlen, back, &backlen), 0);
				cbc = all_priv[i] == USM_PRIV_DES ||
				    all_priv[i] == USM_PRIV_3DES;
				/*
				 * CBC: block 4096..4103 garbled, 4108
				 * flipped; CFB: 4100 flipped, block
				 * 4112..4127 garbled.
				 */
				ck_assert_uint_eq(back[cbc ? 4108 : 4100] ^
				    plain[cbc ? 4108 : 4100], 0x01);
				for (d = 0, bad = 0; d < lens[l]; d++) {
					if (back[d] == plain[d])
						continue;
					bad++;
					ck_assert_msg(cbc ? (d >= 4096 &&
					    d < 4104) || d == 4108 :
					    d == 4100 || (d >= 4112 &&
					    d < 4128), "octet %zu changed", d);
				}
				ck_assert_uint_ge(bad, 4);
				ct[4100] ^= 0x01;
			}
			/* In place. */
			ck_assert_int_eq(usm_decrypt(u, 3, 77, pp, 8, ct, ctlen,
			    ct, &backlen), 0);
			ck_assert_mem_eq(ct, plain, lens[l]);
		}
		usm_user_free(u);
	}
}
END_TEST

/*
 * NIST SP 800-38A F.3.13 (CFB128-AES128): the first keystream block is
 * E(K, IV) = P1 XOR C1.  Feed a ScopedPDU-shaped P' XOR that keystream to
 * usm_decrypt with the IV spelt as RFC 3826 builds it (boots || time ||
 * salt) and P' must come back.
 */
START_TEST(usm_aes_cfb_known_answer_sp800_38a)
{
	uint8_t		 key[16], p1[16], c1[16], ct[16], out[16];
	uint8_t		 want[16];
	static const uint8_t salt[8] = { 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	    0x0e, 0x0f };
	struct usm_cred_params p;
	struct usm_cred	*c;
	struct usm_user	*u;
	size_t		 i, outlen = sizeof(out);

	unhex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof(key));
	unhex("6bc1bee22e409f96e93d7e117393172a", p1, sizeof(p1));
	unhex("3b3fd92eb72dad20333449f8e83cfb4a", c1, sizeof(c1));
	fill_scoped_pdu(want, sizeof(want));
	for (i = 0; i < 16; i++)
		ct[i] = want[i] ^ p1[i] ^ c1[i];

	memset(&p, 0, sizeof(p));
	p.user = "kat";
	p.auth = USM_AUTH_MD5;
	p.auth_password = maple;
	p.priv = USM_PRIV_AES;
	p.priv_key = key;
	p.priv_key_len = sizeof(key);
	p.priv_key_localized = true;
	ck_assert_ptr_nonnull(c = usm_cred_new(&p));
	ck_assert_ptr_nonnull(u = usm_user_new(c, rfc_engine,
	    sizeof(rfc_engine)));
	/* IV 000102030405060708090a0b0c0d0e0f. */
	ck_assert_int_eq(usm_decrypt(u, 0x00010203, 0x04050607, salt, 8, ct,
	    sizeof(ct), out, &outlen), 0);
	ck_assert_uint_eq(outlen, 16);
	ck_assert_mem_eq(out, want, 16);
	usm_user_free(u);
	usm_cred_free(c);
}
END_TEST

/*
 * The IV each cipher uses, rebuilt here from the spec and run through
 * OpenSSL directly: DES and 3DES (RFC 3414 8.1.1.1, draft-reeder 5.1.1.1)
 * pre-IV XOR salt, the salt being boots || counter; AES (RFC 3826
 * 3.1.2.1) boots || time || salt.
 */
START_TEST(usm_cipher_iv_follows_the_specs)
{
	static const char *const names[] = { "DES-CBC", "DES-EDE3-CBC",
	    "AES-128-CFB", "AES-192-CFB", "AES-256-CFB" };
	uint8_t		 plain[40], ct[48], out[64], iv[16], pp[8];
	const struct usm_key *k;
	struct usm_user	*u;
	EVP_CIPHER_CTX	*ctx;
	EVP_CIPHER	*cipher;
	size_t		 i, j, ctlen, keylen;
	int		 n, fin;
	uint32_t	 boots = 0x01020304, etime = 0x0a0b0c0d;

	fill_scoped_pdu(plain, sizeof(plain));
	for (i = 0; i < nitems(all_priv); i++) {
		u = make_user(USM_AUTH_SHA, all_priv[i], USM_KEYEXT_REEDER,
		    rfc_engine, sizeof(rfc_engine));
		k = usm_user_priv_key(u);
		ctlen = sizeof(ct);
		ck_assert_int_eq(usm_encrypt(u, boots, etime, plain,
		    sizeof(plain), ct, &ctlen, pp), 0);
		if (i < 2) {
			keylen = i == 0 ? 8 : 24;
			ck_assert_int_eq(pp[0], 0x01);
			ck_assert_int_eq(pp[3], 0x04);
			for (j = 0; j < 8; j++)
				iv[j] = k->bytes[keylen + j] ^ pp[j];
		} else {
			keylen = k->len;
			memcpy(iv, "\x01\x02\x03\x04\x0a\x0b\x0c\x0d", 8);
			memcpy(iv + 8, pp, 8);
		}
		cipher = EVP_CIPHER_fetch(NULL, names[i], NULL);
		ck_assert_ptr_nonnull(cipher);
		ck_assert_uint_eq((size_t)EVP_CIPHER_get_key_length(cipher),
		    keylen);
		ck_assert_ptr_nonnull(ctx = EVP_CIPHER_CTX_new());
		ck_assert_int_eq(EVP_DecryptInit_ex2(ctx, cipher, k->bytes, iv,
		    NULL), 1);
		EVP_CIPHER_CTX_set_padding(ctx, 0);
		ck_assert_int_eq(EVP_DecryptUpdate(ctx, out, &n, ct,
		    (int)ctlen), 1);
		ck_assert_int_eq(EVP_DecryptFinal_ex(ctx, out + n, &fin), 1);
		ck_assert_mem_eq(out, plain, sizeof(plain));
		EVP_CIPHER_CTX_free(ctx);
		EVP_CIPHER_free(cipher);
		usm_user_free(u);
	}
}
END_TEST

START_TEST(usm_decrypt_rejects_bad_input)
{
	uint8_t		 plain[64], ct[64], out[64], pp[8];
	struct usm_user	*des, *aes, *other;
	size_t		 ctlen = sizeof(ct), outlen;

	des = make_user(USM_AUTH_MD5, USM_PRIV_DES, 0, rfc_engine,
	    sizeof(rfc_engine));
	aes = make_user(USM_AUTH_SHA, USM_PRIV_AES, 0, rfc_engine,
	    sizeof(rfc_engine));
	fill_scoped_pdu(plain, 60);
	ck_assert_int_eq(usm_encrypt(des, 1, 2, plain, 60, ct, &ctlen, pp), 0);
	/* msgPrivacyParameters not 8 octets: 323. */
	outlen = sizeof(out);
	ck_assert_int_eq(usm_decrypt(des, 1, 2, pp, 7, ct, ctlen, out,
	    &outlen), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_PRIV_PARAM);
	ck_assert_int_eq(usm_decrypt(aes, 1, 2, NULL, 0, ct, ctlen, out,
	    &outlen), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_PRIV_PARAM);
	/* DES ciphertext not in whole blocks, or empty: 313. */
	ck_assert_int_eq(usm_decrypt(des, 1, 2, pp, 8, ct, ctlen - 1, out,
	    &outlen), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DECRYPT);
	ck_assert_int_eq(usm_decrypt(aes, 1, 2, pp, 8, ct, 0, out,
	    &outlen), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DECRYPT);
	/* The wrong key gives no ScopedPDU: 313. */
	other = make_user(USM_AUTH_MD5, USM_PRIV_DES, 0,
	    (const uint8_t *)"\x80\x00\x1f\x88\x04other", 10);
	ck_assert_int_eq(usm_decrypt(other, 1, 2, pp, 8, ct, ctlen, out,
	    &outlen), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DECRYPT);
	/* Output buffer too small: 118. */
	ctlen = 10;
	ck_assert_int_eq(usm_encrypt(des, 1, 2, plain, 60, ct, &ctlen, pp),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	usm_user_free(other);
	usm_user_free(des);
	usm_user_free(aes);
}
END_TEST

/*
 * Responses captured from Net-SNMP 5.9.3 snmpd (exactEngineID
 * 0x80001f8880c0ffee0000000001) with snmpget -d -v3 -l authPriv, user and
 * priv passwords "maplesyrup", for GET sysName.0 = "vm".
 */
static const uint8_t cap_capsha[] = {
	0x30, 0x81, 0x84, 0x02, 0x01, 0x03, 0x30, 0x11, 0x02, 0x04, 0x77, 0x55,
	0x52, 0x71, 0x02, 0x03, 0x00, 0xff, 0xe3, 0x04, 0x01, 0x03, 0x02, 0x01,
	0x03, 0x04, 0x37, 0x30, 0x35, 0x04, 0x0d, 0x80, 0x00, 0x1f, 0x88, 0x80,
	0xc0, 0xff, 0xee, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 0x01, 0x02,
	0x01, 0x02, 0x04, 0x06, 0x63, 0x61, 0x70, 0x73, 0x68, 0x61, 0x04, 0x0c,
	0x8d, 0x26, 0xc8, 0x83, 0xea, 0x8d, 0xed, 0x6e, 0x0a, 0x05, 0xdf, 0xc3,
	0x04, 0x08, 0x6c, 0x3b, 0x68, 0xe6, 0x21, 0x0e, 0x21, 0xe0, 0x04, 0x33,
	0x21, 0x99, 0xc2, 0x86, 0x43, 0x6d, 0xf7, 0x72, 0x90, 0x87, 0x42, 0x96,
	0xae, 0x92, 0x5d, 0x23, 0x76, 0x05, 0x6d, 0x7d, 0xc5, 0xf7, 0x6f, 0xbd,
	0x73, 0x19, 0x2e, 0x5e, 0x8f, 0x47, 0x5d, 0xb5, 0x9c, 0xde, 0x9f, 0xc5,
	0x3a, 0x38, 0xf6, 0x23, 0x34, 0x22, 0xf1, 0x30, 0x87, 0xcc, 0x15, 0xac,
	0x51, 0x89, 0x5a,
};
static const uint8_t cap_capdes[] = {
	0x30, 0x81, 0x89, 0x02, 0x01, 0x03, 0x30, 0x11, 0x02, 0x04, 0x20, 0xa5,
	0x1f, 0x89, 0x02, 0x03, 0x00, 0xff, 0xe3, 0x04, 0x01, 0x03, 0x02, 0x01,
	0x03, 0x04, 0x37, 0x30, 0x35, 0x04, 0x0d, 0x80, 0x00, 0x1f, 0x88, 0x80,
	0xc0, 0xff, 0xee, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 0x01, 0x02,
	0x01, 0x02, 0x04, 0x06, 0x63, 0x61, 0x70, 0x64, 0x65, 0x73, 0x04, 0x0c,
	0xba, 0x4c, 0x5e, 0x2d, 0xa3, 0xdb, 0x7b, 0xed, 0xb0, 0x66, 0x49, 0xc6,
	0x04, 0x08, 0x00, 0x00, 0x00, 0x01, 0xc5, 0x30, 0x4a, 0xd8, 0x04, 0x38,
	0x09, 0x6e, 0x77, 0xa1, 0x3f, 0x1f, 0xde, 0xf1, 0x0f, 0x54, 0x5e, 0xf2,
	0x17, 0x55, 0x49, 0x0b, 0x4f, 0x3c, 0xd8, 0x56, 0x35, 0x27, 0x3c, 0x72,
	0x4f, 0x0e, 0xd5, 0xa9, 0x02, 0x40, 0xcd, 0x76, 0x2c, 0xbd, 0x3a, 0xc3,
	0x08, 0x63, 0x3f, 0xdb, 0x00, 0x08, 0x69, 0x49, 0xdc, 0x02, 0x28, 0xf6,
	0x2e, 0x54, 0x09, 0xfa, 0xe1, 0x8c, 0xde, 0x26,
};
static const uint8_t cap_cap512[] = {
	0x30, 0x81, 0xa8, 0x02, 0x01, 0x03, 0x30, 0x11, 0x02, 0x04, 0x2a, 0x47,
	0x17, 0x29, 0x02, 0x03, 0x00, 0xff, 0xe3, 0x04, 0x01, 0x03, 0x02, 0x01,
	0x03, 0x04, 0x5b, 0x30, 0x59, 0x04, 0x0d, 0x80, 0x00, 0x1f, 0x88, 0x80,
	0xc0, 0xff, 0xee, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 0x01, 0x02,
	0x01, 0x02, 0x04, 0x06, 0x63, 0x61, 0x70, 0x35, 0x31, 0x32, 0x04, 0x30,
	0xef, 0xa0, 0xb5, 0x26, 0x11, 0x19, 0x22, 0xfc, 0xa4, 0x14, 0x4b, 0xca,
	0xae, 0x1b, 0xdd, 0x81, 0x65, 0xaf, 0x8e, 0xd9, 0x04, 0xb2, 0x57, 0xde,
	0x54, 0x39, 0x13, 0xea, 0x1e, 0x50, 0x1a, 0x66, 0x02, 0x26, 0x04, 0x45,
	0x5a, 0x74, 0xf1, 0xbb, 0x93, 0xf2, 0xd9, 0x6c, 0x01, 0x9b, 0xb0, 0xb0,
	0x04, 0x08, 0x6c, 0x3b, 0x68, 0xe6, 0x21, 0x0e, 0x21, 0xe1, 0x04, 0x33,
	0x51, 0x2f, 0x62, 0xbe, 0x9e, 0x77, 0x1c, 0x38, 0x71, 0x0f, 0xe6, 0x48,
	0x40, 0xfe, 0x54, 0x0e, 0x77, 0xb2, 0x94, 0xf9, 0x28, 0xe4, 0x41, 0x53,
	0x76, 0xb2, 0x47, 0xa5, 0x91, 0xe5, 0x35, 0xc7, 0x6b, 0x10, 0x8c, 0xb0,
	0xa2, 0x9e, 0xe6, 0xc9, 0x69, 0x48, 0x90, 0x73, 0x72, 0xf3, 0xb7, 0xcf,
	0x4f, 0xae, 0x57,
};

static const uint8_t cap_engine[] = { 0x80, 0x00, 0x1f, 0x88, 0x80, 0xc0,
	0xff, 0xee, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* Split a v3 message into its security parameters and encryptedPDU. */
static void
split_v3(const uint8_t *msg, size_t len, struct usm_secparams *sp,
    const uint8_t **enc, size_t *enclen)
{
	struct ber	 b, m;
	const uint8_t	*secp;
	size_t		 secn;
	int32_t		 version;

	ber_init(&b, msg, len);
	ck_assert_int_eq(ber_enter(&b, BER_TAG_SEQUENCE, &m), 0);
	ck_assert_int_eq(ber_read_int32(&m, BER_TAG_INTEGER, &version), 0);
	ck_assert_int_eq(version, 3);
	ck_assert_int_eq(ber_skip(&m), 0);		/* msgGlobalData */
	ck_assert_int_eq(ber_read_octets(&m, BER_TAG_OCTETS, &secp, &secn), 0);
	ck_assert_int_eq(ber_read_octets(&m, BER_TAG_OCTETS, enc, enclen), 0);
	ck_assert_int_eq(usm_secparams_decode(secp, secn, sp), 0);
}

static void
check_capture(const uint8_t *msg, size_t len, struct usm_user *u,
    const char *name)
{
	struct usm_secparams sp;
	const uint8_t	*enc;
	size_t		 enclen, outlen;
	uint8_t		 out[256], copy[256];

	split_v3(msg, len, &sp, &enc, &enclen);
	ck_assert_uint_eq(sp.engine_id_len, sizeof(cap_engine));
	ck_assert_mem_eq(sp.engine_id, cap_engine, sizeof(cap_engine));
	ck_assert_uint_eq(sp.user_len, strlen(name));
	ck_assert_mem_eq(sp.user, name, sp.user_len);
	ck_assert_msg(usm_auth_verify(u, msg, len, (size_t)(sp.auth - msg),
	    sp.auth_len) == 0, "%s: %s", name, snmpmgr_lasterr_detail());
	/* A single changed octet of the ciphertext breaks the digest. */
	ck_assert_uint_le(len, sizeof(copy));
	memcpy(copy, msg, len);
	copy[len - 1] ^= 1;
	ck_assert_int_eq(usm_auth_verify(u, copy, len, (size_t)(sp.auth - msg),
	    sp.auth_len), -1);
	outlen = sizeof(out);
	ck_assert_msg(usm_decrypt(u, sp.boots, sp.time, sp.priv, sp.priv_len,
	    enc, enclen, out, &outlen) == 0, "%s: %s", name,
	    snmpmgr_lasterr_detail());
	/* ScopedPDU: contextEngineID is the agent's, and "vm" comes back. */
	ck_assert_uint_le(outlen, enclen);
	ck_assert_int_eq(out[0], 0x30);
	ck_assert_ptr_nonnull(memmem(out, outlen, cap_engine,
	    sizeof(cap_engine)));
	ck_assert_ptr_nonnull(memmem(out, outlen, "\x04\x02vm", 4));
}

START_TEST(usm_netsnmp_capture_verifies_and_decrypts)
{
	struct usm_user	*u;

	u = make_user(USM_AUTH_SHA, USM_PRIV_AES, 0, cap_engine,
	    sizeof(cap_engine));
	check_capture(cap_capsha, sizeof(cap_capsha), u, "capsha");
	usm_user_free(u);
	u = make_user(USM_AUTH_MD5, USM_PRIV_DES, 0, cap_engine,
	    sizeof(cap_engine));
	check_capture(cap_capdes, sizeof(cap_capdes), u, "capdes");
	usm_user_free(u);
	u = make_user(USM_AUTH_SHA512, USM_PRIV_AES256, USM_KEYEXT_REEDER,
	    cap_engine, sizeof(cap_engine));
	check_capture(cap_cap512, sizeof(cap_cap512), u, "cap512");
	usm_user_free(u);
}
END_TEST

/*
 * 3DES against pysnmp 4.4.12 (its Des3 class, "maplesyrup", SHA, the
 * capture's engine ID, boots 5): its key, and a ScopedPDU it encrypted
 * (padded with a whole extra block, which decryption drops).
 */
START_TEST(usm_3des_decrypts_pysnmp_ciphertext)
{
	uint8_t		 ct[48], plain[48], salt[8], out[48];
	size_t		 ctlen, plen, outlen = sizeof(out);
	struct usm_user	*u;

	u = make_user(USM_AUTH_SHA, USM_PRIV_3DES, USM_KEYEXT_BLUMENTHAL,
	    cap_engine, sizeof(cap_engine));
	assert_key(usm_user_priv_key(u), "b16e7db336b2d9dd864c7f0f230e4517"
	    "faf6ee41213f60a5586513695268eef5");
	ctlen = unhex("169c6e456b7b7f35e26eace825cd7b56d781b68fcecb57fa"
	    "51be336d40801156f542846587c44b94", ct, sizeof(ct));
	plen = unhex("301e040d80001f8880c0ffee00000000010400a20b020101"
	    "0201000201003000", plain, sizeof(plain));
	unhex("000000051db32109", salt, sizeof(salt));
	ck_assert_int_eq(usm_decrypt(u, 5, 1234, salt, 8, ct, ctlen, out,
	    &outlen), 0);
	ck_assert_uint_eq(outlen, plen);
	ck_assert_mem_eq(out, plain, plen);
	usm_user_free(u);
}
END_TEST

/*
 * The same capture with the localized keys snmpd stored for the user
 * (its usmUser line) given instead of passwords.
 */
START_TEST(usm_localized_keys_instead_of_passwords)
{
	uint8_t		 ak[64], pk[64];
	struct usm_cred_params p;
	struct usm_cred	*c;
	struct usm_user	*u;

	memset(&p, 0, sizeof(p));
	p.user = "cap512";
	p.auth = USM_AUTH_SHA512;
	p.auth_key = ak;
	p.auth_key_len = unhex("05e004cc5e2c807e4cca271b6eb5b09bb0f178f8"
	    "a7fbb71682ad886f1e7bf076aa8f1f407f6042ecae549b486b64080d86f4"
	    "f0caa161ac05a4052de18e038873", ak, sizeof(ak));
	p.auth_key_localized = true;
	p.priv = USM_PRIV_AES256;
	p.priv_key = pk;
	p.priv_key_len = unhex("05e004cc5e2c807e4cca271b6eb5b09bb0f178f8"
	    "a7fbb71682ad886f1e7bf076", pk, sizeof(pk));
	p.priv_key_localized = true;
	p.keyext = USM_KEYEXT_REEDER;
	ck_assert_ptr_nonnull(c = usm_cred_new(&p));
	ck_assert_ptr_nonnull(u = usm_user_new(c, cap_engine,
	    sizeof(cap_engine)));
	check_capture(cap_cap512, sizeof(cap_cap512), u, "cap512");
	usm_user_free(u);
	usm_cred_free(c);

	/* A master key of the wrong length: 329. */
	p.auth_key_localized = false;
	p.auth_key_len = 20;
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_KEY_LENGTH);
}
END_TEST

START_TEST(usm_cred_errors_are_numbered)
{
	struct usm_cred_params p;

	memset(&p, 0, sizeof(p));
	p.user = "ops";
	p.auth = USM_AUTH_SHA;
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_AUTH_PASSWORD);
	p.auth_password = "short";
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_KEY_LENGTH);
	p.auth_password = maple;
	p.priv = USM_PRIV_AES;
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_PRIV_PASSWORD);
	p.auth = USM_AUTH_NONE;
	p.priv_password = maple;
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEC_LEVEL);
	p.auth = USM_AUTH_SHA;
	p.user = "a-user-name-that-is-longer-than-32-octets";
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_USER_NAME);
	p.user = "ops";
	p.priv = (enum usm_priv)77;
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NOT_SUPPORTED);
}
END_TEST

START_TEST(usm_key_cache_localizes_once_per_engine)
{
	static const uint8_t e1[] = { 0x80, 0, 0, 0, 1 };
	static const uint8_t e2[] = { 0x80, 0, 0, 0, 2 };
	static const uint8_t e3[] = { 0x80, 0, 0, 0, 3 };
	struct usm_cred_params p;
	struct usm_cache *cache;
	struct usm_cred	*c, *c2;
	struct usm_user	*a, *b, *d;
	uint64_t	 misses, hits;
	size_t		 len;

	memset(&p, 0, sizeof(p));
	p.user = "ops";
	p.auth = USM_AUTH_SHA;
	p.auth_password = maple;
	ck_assert_ptr_nonnull(c = usm_cred_new(&p));
	ck_assert_ptr_nonnull(c2 = usm_cred_new(&p));
	ck_assert_uint_ne(usm_cred_id(c), usm_cred_id(c2));
	ck_assert_ptr_nonnull(cache = usm_cache_new(2));

	a = usm_cache_get(cache, c, e1, sizeof(e1));
	b = usm_cache_get(cache, c, e1, sizeof(e1));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, b);
	usm_cache_stats(cache, &misses, &hits);
	ck_assert_uint_eq(misses, 1);
	ck_assert_uint_eq(hits, 1);
	usm_user_free(b);
	ck_assert_mem_eq(usm_user_engine_id(a, &len), e1, sizeof(e1));

	/* Another credential with the same secrets is another entry. */
	d = usm_cache_get(cache, c2, e1, sizeof(e1));
	ck_assert_ptr_ne(d, a);
	ck_assert_mem_eq(usm_user_auth_key(d)->bytes,
	    usm_user_auth_key(a)->bytes, 20);
	usm_user_free(d);
	ck_assert_uint_eq(usm_cache_count(cache), 2);

	/* A third entry evicts the least recent (c, e1); a still works. */
	b = usm_cache_get(cache, c, e2, sizeof(e2));
	ck_assert_uint_eq(usm_cache_count(cache), 2);
	ck_assert_ptr_nonnull(usm_user_name(a, &len));
	ck_assert_uint_eq(len, 3);
	d = usm_cache_get(cache, c, e1, sizeof(e1));
	ck_assert_ptr_ne(d, a);
	usm_cache_stats(cache, &misses, &hits);
	ck_assert_uint_eq(misses, 4);
	usm_user_free(d);
	usm_user_free(b);
	usm_user_free(a);

	/* Bad engine IDs are refused, forget drops a credential's entries. */
	ck_assert_ptr_null(usm_cache_get(cache, c, e3, 0));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_ENGINE_ID);
	usm_cache_forget(cache, c);
	ck_assert_uint_eq(usm_cache_count(cache), 0);
	usm_cache_free(cache);
	usm_cred_free(c);
	usm_cred_free(c2);
}
END_TEST

/*
 * usm_cred_get: the same parameters give the same credential (one hash
 * of each password, one cache entry per engine) while it is alive;
 * others, or a new one after the last reference went, another.
 */
START_TEST(usm_cred_get_shares_identical_credentials)
{
	static const uint8_t engine[] = { 0x80, 0, 0, 0, 9 };
	struct usm_cred_params p;
	struct usm_cred	*a, *b, *c;
	struct usm_user	*u1, *u2;
	size_t		 len;

	memset(&p, 0, sizeof(p));
	p.user = "ops";
	p.auth = USM_AUTH_SHA256;
	p.auth_password = maple;
	p.priv = USM_PRIV_AES;
	p.priv_password = maple;
	ck_assert_ptr_nonnull(a = usm_cred_get(&p));
	ck_assert_ptr_nonnull(b = usm_cred_get(&p));
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(usm_cred_id(a), usm_cred_id(b));
	p.priv_password = "another-password";
	ck_assert_ptr_nonnull(c = usm_cred_get(&p));
	ck_assert_ptr_ne(a, c);
	usm_cred_free(c);
	p.priv_password = maple;
	p.user = "other";
	ck_assert_ptr_nonnull(c = usm_cred_get(&p));
	ck_assert_ptr_ne(a, c);
	usm_cred_free(c);
	/* Views. */
	ck_assert_mem_eq(usm_cred_user(a, &len), "ops", 3);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(usm_cred_auth(a), USM_AUTH_SHA256);
	ck_assert_int_eq(usm_cred_priv(a), USM_PRIV_AES);
	ck_assert_int_eq(usm_cred_auth_source(a), 'p');
	ck_assert_uint_eq(usm_cred_auth_key(a)->len, 32);
	/* One reference dropped: still shared. */
	usm_cred_free(b);
	p.user = "ops";
	ck_assert_ptr_nonnull(b = usm_cred_get(&p));
	ck_assert_ptr_eq(a, b);
	u1 = usm_user_new(a, engine, sizeof(engine));
	usm_cred_free(a);
	usm_cred_free(b);
	/* Users outlive their credential. */
	ck_assert_ptr_nonnull(u1);
	ck_assert_uint_eq(usm_user_mac_len(u1), 24);
	/* Keys given as master keys make the same localized keys. */
	memset(&p, 0, sizeof(p));
	p.user = "ops";
	p.auth = USM_AUTH_SHA256;
	p.auth_key = usm_user_auth_key(u1)->bytes;	/* localized */
	p.auth_key_len = 32;
	p.auth_key_localized = true;
	ck_assert_ptr_nonnull(c = usm_cred_get(&p));
	ck_assert_int_eq(usm_cred_auth_source(c), 'l');
	u2 = usm_user_new(c, engine, sizeof(engine));
	ck_assert_mem_eq(usm_user_auth_key(u2)->bytes,
	    usm_user_auth_key(u1)->bytes, 32);
	usm_user_free(u2);
	usm_cred_free(c);
	usm_user_free(u1);
}
END_TEST

/* Is a equal to a credential made from q? */
static bool
equal_to_new(const struct usm_cred *a, const struct usm_cred_params *q)
{
	struct usm_cred	*b;
	bool		 eq;

	ck_assert_ptr_nonnull(b = usm_cred_new(q));
	eq = usm_cred_equal(a, b);
	ck_assert(usm_cred_equal(b, a) == eq);
	usm_cred_free(b);
	return eq;
}

/*
 * usm_cred_equal: a credential made from passwords and one made from the
 * master keys they hash to (what a persisted session holds) act the same;
 * another password, user, extension, or the same octets as a localized
 * key, do not.
 */
START_TEST(usm_cred_equal_by_value)
{
	struct usm_cred_params p, q;
	struct usm_cred	*a, *b;
	uint8_t		 ak[USM_MAX_KEY_LEN], pk[USM_MAX_KEY_LEN];
	const struct usm_key *k;
	size_t		 aklen, pklen;

	memset(&p, 0, sizeof(p));
	p.user = "ops";
	p.auth = USM_AUTH_SHA;
	p.auth_password = maple;
	p.priv = USM_PRIV_AES;
	p.priv_password = "another-password";
	ck_assert_ptr_nonnull(a = usm_cred_new(&p));
	ck_assert(usm_cred_equal(a, a));
	ck_assert(usm_cred_equal(NULL, NULL));
	ck_assert(!usm_cred_equal(a, NULL));
	k = usm_cred_auth_key(a);
	memcpy(ak, k->bytes, aklen = k->len);
	k = usm_cred_priv_key(a);
	memcpy(pk, k->bytes, pklen = k->len);
	/* The master keys the passwords hash to. */
	q = p;
	q.auth_password = q.priv_password = NULL;
	q.auth_key = ak;
	q.auth_key_len = aklen;
	q.priv_key = pk;
	q.priv_key_len = pklen;
	ck_assert_ptr_nonnull(b = usm_cred_new(&q));
	ck_assert_int_eq(usm_cred_auth_source(b), 'm');
	ck_assert(usm_cred_equal(a, b));
	usm_cred_free(b);
	/* The same octets as a localized key: another credential. */
	q.auth_key_localized = true;
	ck_assert(!equal_to_new(a, &q));
	q.auth_key_localized = false;
	pk[pklen - 1] ^= 1;
	ck_assert(!equal_to_new(a, &q));
	pk[pklen - 1] ^= 1;
	q.keyext = USM_KEYEXT_REEDER;
	ck_assert(!equal_to_new(a, &q));
	q.keyext = USM_KEYEXT_BLUMENTHAL;
	q.user = "ops2";
	ck_assert(!equal_to_new(a, &q));
	q.user = "ops";
	ck_assert(equal_to_new(a, &q));
	p.auth_password = "maple-syrup-2";
	ck_assert(!equal_to_new(a, &p));
	usm_cred_free(a);
	OPENSSL_cleanse(ak, sizeof(ak));
	OPENSSL_cleanse(pk, sizeof(pk));
}
END_TEST

/*
 * priv_key_extension "auto": a sender uses Blumenthal; a receiver can
 * localize the Reeder way with usm_user_new_keyext().
 */
START_TEST(usm_keyext_auto_sends_blumenthal_tries_reeder)
{
	struct usm_cred_params p;
	struct usm_cred	*c;
	struct usm_user	*ua, *ub, *ur, *alt;
	enum usm_keyext	 ext;

	ck_assert_int_eq(usm_keyext_from_name("auto", &ext), 0);
	ck_assert_int_eq(ext, USM_KEYEXT_AUTO);
	ck_assert_str_eq(usm_keyext_name(USM_KEYEXT_AUTO), "auto");
	ua = make_user(USM_AUTH_SHA, USM_PRIV_AES256, USM_KEYEXT_AUTO,
	    rfc_engine, sizeof(rfc_engine));
	ub = make_user(USM_AUTH_SHA, USM_PRIV_AES256, USM_KEYEXT_BLUMENTHAL,
	    rfc_engine, sizeof(rfc_engine));
	ur = make_user(USM_AUTH_SHA, USM_PRIV_AES256, USM_KEYEXT_REEDER,
	    rfc_engine, sizeof(rfc_engine));
	ck_assert_mem_eq(usm_user_priv_key(ua)->bytes,
	    usm_user_priv_key(ub)->bytes, 32);
	ck_assert_int_ne(memcmp(usm_user_priv_key(ua)->bytes,
	    usm_user_priv_key(ur)->bytes, 32), 0);
	/* The receiver's second try. */
	memset(&p, 0, sizeof(p));
	p.user = "tester";
	p.auth = USM_AUTH_SHA;
	p.auth_password = maple;
	p.priv = USM_PRIV_AES256;
	p.priv_password = maple;
	p.keyext = USM_KEYEXT_AUTO;
	ck_assert_ptr_nonnull(c = usm_cred_new(&p));
	ck_assert_ptr_nonnull(alt = usm_user_new_keyext(c, rfc_engine,
	    sizeof(rfc_engine), USM_KEYEXT_REEDER));
	ck_assert_mem_eq(usm_user_priv_key(alt)->bytes,
	    usm_user_priv_key(ur)->bytes, 32);
	usm_user_free(alt);
	usm_cred_free(c);
	usm_user_free(ua);
	usm_user_free(ub);
	usm_user_free(ur);
}
END_TEST

START_TEST(usm_protocol_names_parse)
{
	enum usm_auth	 a;
	enum usm_priv	 p;
	enum usm_keyext	 e = USM_KEYEXT_BLUMENTHAL;

	ck_assert_int_eq(usm_auth_from_name("SHA-256", &a), 0);
	ck_assert_int_eq(a, USM_AUTH_SHA256);
	ck_assert_int_eq(usm_auth_from_name("sha", &a), 0);
	ck_assert_int_eq(a, USM_AUTH_SHA);
	ck_assert_int_eq(usm_auth_from_name("md4", &a), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(usm_priv_from_name("aes256", &p, &e), 0);
	ck_assert_int_eq(p, USM_PRIV_AES256);
	ck_assert_int_eq(e, USM_KEYEXT_BLUMENTHAL);
	ck_assert_int_eq(usm_priv_from_name("AES-192-C", &p, &e), 0);
	ck_assert_int_eq(p, USM_PRIV_AES192);
	ck_assert_int_eq(e, USM_KEYEXT_REEDER);
	ck_assert_int_eq(usm_priv_from_name("3DES", &p, NULL), 0);
	ck_assert_int_eq(p, USM_PRIV_3DES);
	ck_assert_int_eq(usm_priv_from_name("aes-512", &p, NULL), -1);
	ck_assert_int_eq(usm_keyext_from_name("reeder", &e), 0);
	ck_assert_int_eq(e, USM_KEYEXT_REEDER);
	ck_assert_str_eq(usm_auth_name(USM_AUTH_SHA384), "sha384");
	ck_assert_str_eq(usm_priv_name(USM_PRIV_3DES), "3des");
}
END_TEST

START_TEST(usm_report_oids_map_to_errors)
{
	static const struct {
		const char	*oid;
		int		 err;
	} v[] = {
		{ "1.3.6.1.6.3.15.1.1.1.0", SNMPMGR_ERR_SEC_LEVEL },
		{ "1.3.6.1.6.3.15.1.1.2.0", SNMPMGR_ERR_TIME_FRAME },
		{ "1.3.6.1.6.3.15.1.1.3.0", SNMPMGR_ERR_USER_NAME },
		{ "1.3.6.1.6.3.15.1.1.4.0", SNMPMGR_ERR_ENGINE_ID },
		{ "1.3.6.1.6.3.15.1.1.5.0", SNMPMGR_ERR_AUTH_FAILED },
		{ "1.3.6.1.6.3.15.1.1.6.0", SNMPMGR_ERR_DECRYPT },
		{ "1.3.6.1.6.3.15.1.1.4", SNMPMGR_ERR_ENGINE_ID },
		{ "1.3.6.1.6.3.15.1.1.7.0", 0 },
		{ "1.3.6.1.6.3.15.1.1.4.1", 0 },
		{ "1.3.6.1.6.3.11.2.1.1.0", 0 },	/* an MPD counter */
		{ "1.3.6.1.2.1.1.5.0", 0 },
	};
	struct oid	o;
	size_t		i;

	for (i = 0; i < nitems(v); i++) {
		ck_assert_int_eq(oid_parse_str(&o, v[i].oid), 0);
		ck_assert_msg(usm_report_error(&o) == v[i].err, "%s",
		    v[i].oid);
	}
}
END_TEST

/* RFC 3414 3.2 step 7b, as seen by the manager. */
START_TEST(usm_timeliness_window_non_authoritative)
{
	struct usm_timeliness t;
	uint32_t	 boots, etime;

	memset(&t, 0, sizeof(t));
	usm_time_set(&t, 5, 1000, 100);
	usm_time_now(&t, 160, &boots, &etime);
	ck_assert_uint_eq(boots, 5);
	ck_assert_uint_eq(etime, 1060);
	/* In the window, newer: adopted. */
	ck_assert_int_eq(usm_time_check(&t, 5, 1070, 160), 0);
	ck_assert_uint_eq(t.latest, 1070);
	/* Old but within 150 s of our estimate (1070): accepted, kept. */
	ck_assert_int_eq(usm_time_check(&t, 5, 921, 160), 0);
	ck_assert_uint_eq(t.latest, 1070);
	/* More than 150 s behind: 325. */
	ck_assert_int_eq(usm_time_check(&t, 5, 919, 160), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TIME_FRAME);
	/* Fewer boots: 325. */
	ck_assert_int_eq(usm_time_check(&t, 4, 1070, 160), -1);
	/* A reboot (more boots) is adopted, even with a small time. */
	ck_assert_int_eq(usm_time_check(&t, 6, 3, 170), 0);
	usm_time_now(&t, 180, &boots, &etime);
	ck_assert_uint_eq(boots, 6);
	ck_assert_uint_eq(etime, 13);
	/* The engine's boots at the maximum: never in the window. */
	ck_assert_int_eq(usm_time_check(&t, USM_MAX_BOOTS, 3, 180), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TIME_FRAME);
}
END_TEST

/* RFC 3414 3.2 step 7a, when we are authoritative (informs). */
START_TEST(usm_timeliness_window_authoritative)
{
	ck_assert_int_eq(usm_time_check_local(3, 500, 3, 650), 0);
	ck_assert_int_eq(usm_time_check_local(3, 500, 3, 350), 0);
	ck_assert_int_eq(usm_time_check_local(3, 500, 3, 651), -1);
	ck_assert_int_eq(usm_time_check_local(3, 500, 3, 349), -1);
	ck_assert_int_eq(usm_time_check_local(3, 500, 2, 500), -1);
	ck_assert_int_eq(usm_time_check_local(USM_MAX_BOOTS, 500,
	    USM_MAX_BOOTS, 500), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TIME_FRAME);
}
END_TEST

START_TEST(usm_secparams_round_trip)
{
	struct usm_secparams sp, back;
	uint8_t		 buf[200], msg[200];
	const uint8_t	*out;
	size_t		 auth_off;
	ssize_t		 n;
	struct usm_user	*u;

	memset(&sp, 0, sizeof(sp));
	sp.engine_id = cap_engine;
	sp.engine_id_len = sizeof(cap_engine);
	sp.boots = USM_MAX_BOOTS;
	sp.time = 200;
	sp.user = (const uint8_t *)"ops";
	sp.user_len = 3;
	sp.auth_len = 24;
	sp.priv = (const uint8_t *)"\1\2\3\4\5\6\7\10";
	sp.priv_len = 8;
	n = usm_secparams_encode(&sp, buf, sizeof(buf), &out, &auth_off);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(out[0], 0x30);
	ck_assert_int_eq(usm_secparams_decode(out, (size_t)n, &back), 0);
	ck_assert_uint_eq(back.engine_id_len, sizeof(cap_engine));
	ck_assert_mem_eq(back.engine_id, cap_engine, sizeof(cap_engine));
	ck_assert_uint_eq(back.boots, USM_MAX_BOOTS);
	ck_assert_uint_eq(back.time, 200);
	ck_assert_uint_eq(back.user_len, 3);
	ck_assert_mem_eq(back.user, "ops", 3);
	ck_assert_uint_eq(back.auth_len, 24);
	ck_assert_ptr_eq(back.auth, out + auth_off);
	ck_assert_uint_eq(back.priv_len, 8);
	ck_assert_mem_eq(back.priv, sp.priv, 8);

	/* The placeholder can be signed in place and verifies. */
	u = make_user(USM_AUTH_SHA256, USM_PRIV_NONE, 0, cap_engine,
	    sizeof(cap_engine));
	memcpy(msg, out, (size_t)n);
	ck_assert_int_eq(usm_auth_sign(u, msg, (size_t)n, auth_off), 0);
	ck_assert_int_eq(usm_secparams_decode(msg, (size_t)n, &back), 0);
	ck_assert_int_eq(usm_auth_verify(u, msg, (size_t)n,
	    (size_t)(back.auth - msg), back.auth_len), 0);
	usm_user_free(u);

	/* Empty everything (discovery) round-trips too. */
	memset(&sp, 0, sizeof(sp));
	n = usm_secparams_encode(&sp, buf, sizeof(buf), &out, &auth_off);
	ck_assert_int_eq(n, 16);
	ck_assert_int_eq(usm_secparams_decode(out, (size_t)n, &back), 0);
	ck_assert_uint_eq(back.engine_id_len + back.user_len + back.auth_len +
	    back.priv_len + back.boots + back.time, 0);

	/* Out-of-range fields are not encoded; a full buffer is 118. */
	sp.user_len = 33;
	sp.user = (const uint8_t *)"0123456789012345678901234567890123";
	ck_assert_int_eq(usm_secparams_encode(&sp, buf, sizeof(buf), &out,
	    &auth_off), -1);
	sp.user_len = 0;
	ck_assert_int_eq(usm_secparams_encode(&sp, buf, 10, &out, &auth_off),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
}
END_TEST

static void
expect_secparams_fail(const char *hex)
{
	uint8_t			buf[128];
	size_t			n = unhex(hex, buf, sizeof(buf));
	struct usm_secparams	sp;

	snmpmgr_clearerr();
	ck_assert_msg(usm_secparams_decode(buf, n, &sp) == -1,
	    "accepted %s", hex);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
}

START_TEST(usm_secparams_malformed_refused)
{
	/* The good one, to show the cases below differ in one thing only. */
	uint8_t			good[32];
	struct usm_secparams	sp;
	size_t			n;

	n = unhex("300e 0400 020100 020100 0400 0400 0400", good,
	    sizeof(good));
	ck_assert_int_eq(usm_secparams_decode(good, n, &sp), 0);
	/* Truncated; wrong outer tag; missing field; extra field. */
	expect_secparams_fail("300e 0400 020100 020100 0400 0400 04");
	expect_secparams_fail("310e 0400 020100 020100 0400 0400 0400");
	expect_secparams_fail("300c 0400 020100 020100 0400 0400");
	expect_secparams_fail("3010 0400 020100 020100 0400 0400 0400 0400");
	/* Octets after the SEQUENCE. */
	expect_secparams_fail("300e 0400 020100 020100 0400 0400 0400 00");
	/* Negative boots; time above 2^31-1; boots not an INTEGER. */
	expect_secparams_fail("300e 0400 0201ff 020100 0400 0400 0400");
	expect_secparams_fail("3012 0400 020100 02050080000000 0400 0400 "
	    "0400");
	expect_secparams_fail("300e 0400 040100 020100 0400 0400 0400");
	/* Engine ID of 33 octets; user name of 33 octets. */
	expect_secparams_fail("302f 0421 000000000000000000000000000000000000"
	    "000000000000000000000000000000 020100 020100 0400 0400 0400");
	expect_secparams_fail("302f 0400 020100 020100 0421 616161616161616161"
	    "616161616161616161616161616161616161616161616161 0400 0400");
	/* Inner length past the SEQUENCE. */
	expect_secparams_fail("300e 0405 020100 020100 0400 0400 0400");
}
END_TEST

/*
 * Without the legacy provider DES is a clear numbered error.  Needs a
 * process whose OpenSSL was not set up yet: Check's fork mode gives each
 * test one, as main() never touches usm.
 */
START_TEST(usm_des_without_legacy_provider_is_error_399)
{
	char			 dir[] = "/tmp/check_usm_nomodXXXXXX";
	struct usm_cred_params	 p;

	if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0) {
		fprintf(stderr, "skipped: needs CK_FORK\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("OPENSSL_MODULES", dir, 1);
	ck_assert_int_eq(usm_priv_available(USM_PRIV_DES), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NOT_SUPPORTED);
	ck_assert_str_eq(snmpmgr_lasterr_detail(),
	    "DES needs the OpenSSL legacy provider");
	memset(&p, 0, sizeof(p));
	p.user = "ops";
	p.auth = USM_AUTH_MD5;
	p.auth_password = maple;
	p.priv = USM_PRIV_DES;
	p.priv_password = maple;
	ck_assert_ptr_null(usm_cred_new(&p));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NOT_SUPPORTED);
	/* The rest still works. */
	ck_assert_int_eq(usm_priv_available(USM_PRIV_AES256), 0);
	ck_assert_int_eq(usm_priv_available(USM_PRIV_3DES), 0);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("usm");
	TCase	*keys = tcase_create("keys");
	TCase	*crypto = tcase_create("crypto");
	TCase	*misc = tcase_create("misc");

	tcase_add_test(keys, usm_md5_password_to_key_rfc3414);
	tcase_add_test(keys, usm_sha_password_to_key_rfc3414);
	tcase_add_test(keys, usm_sha2_localized_keys_netsnmp);
	tcase_add_test(keys, usm_password_shorter_than_8_refused);
	tcase_add_test(keys, usm_digest_and_mac_lengths_rfc7860);
	tcase_add_test(keys, usm_reeder_3des_key_draft_vectors);
	tcase_add_test(keys, usm_blumenthal_aes_key_vectors);
	tcase_add_test(keys, usm_blumenthal_reeder_differ_only_for_short_hash);
	tcase_add_test(keys, usm_localized_keys_instead_of_passwords);
	tcase_add_test(keys, usm_cred_errors_are_numbered);
	tcase_add_test(keys, usm_key_cache_localizes_once_per_engine);
	tcase_add_test(crypto, usm_hmac_sign_verify_round_trip);
	tcase_add_test(crypto, usm_hmac_tamper_detected);
	tcase_add_test(crypto, usm_privacy_round_trips);
	tcase_add_test(crypto, usm_decrypt_long_messages_across_passes);
	tcase_add_test(crypto, usm_cred_get_shares_identical_credentials);
	tcase_add_test(crypto, usm_cred_equal_by_value);
	tcase_add_test(crypto, usm_keyext_auto_sends_blumenthal_tries_reeder);
	tcase_add_test(crypto, usm_aes_cfb_known_answer_sp800_38a);
	tcase_add_test(crypto, usm_cipher_iv_follows_the_specs);
	tcase_add_test(crypto, usm_decrypt_rejects_bad_input);
	tcase_add_test(crypto, usm_netsnmp_capture_verifies_and_decrypts);
	tcase_add_test(crypto, usm_3des_decrypts_pysnmp_ciphertext);
	tcase_add_test(crypto, usm_des_without_legacy_provider_is_error_399);
	tcase_add_test(misc, usm_protocol_names_parse);
	tcase_add_test(misc, usm_report_oids_map_to_errors);
	tcase_add_test(misc, usm_timeliness_window_non_authoritative);
	tcase_add_test(misc, usm_timeliness_window_authoritative);
	tcase_add_test(misc, usm_secparams_round_trip);
	tcase_add_test(misc, usm_secparams_malformed_refused);
	/* Password hashing is a few ms a key; leave room on a busy box. */
	tcase_set_timeout(keys, 60);
	tcase_set_timeout(crypto, 60);
	suite_add_tcase(s, keys);
	suite_add_tcase(s, crypto);
	suite_add_tcase(s, misc);
	return check_run(s);
}
