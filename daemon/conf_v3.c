/*
 * conf_v3.c - SNMPv3 options: from checked JSON keys to struct
 * sess_v3opts and a USM credential (passwords hashed to keys by
 * usm_cred_get, identical credentials shared), and back to JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/hex.h"
#include "core/session.h"
#include "core/usm.h"
#include "conf.h"
#include "conf_int.h"

/* ------------------------------------------------------------------ */
/* SNMPv3 options: from JSON keys to struct sess_v3opts and a usm_cred  */

/* Keys that make up the USM credential (the rest are plain options). */
static const char *const cred_keys[] = { "user", "auth", "auth_password",
	"auth_key", "auth_key_type", "priv", "priv_password", "priv_key",
	"priv_key_type", "priv_key_extension", NULL };

bool
cfg_v3_cred_key(const char *key)
{
	size_t	 i;

	for (i = 0; cred_keys[i] != NULL; i++)
		if (strcmp(cred_keys[i], key) == 0)
			return true;
	return false;
}

/* "0x80001f88..." for JSON output. */
json_t *
config_hex_json(const uint8_t *p, size_t n)
{
	char	 buf[2 + 2 * 64 + 1] = "0x";

	/* At most 64 octets: the longest key. */
	(void)hex_encode(p, n, buf + 2, sizeof(buf) - 2);
	return json_string(buf);
}

static size_t
v3_word(const json_t *v, const char *const *words)
{
	size_t	 i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(json_string_value(v), words[i]) == 0)
			return i;
	return 0;
}

/*
 * Apply the SNMPv3 keys of obj (values already checked by cfg_v3_check) on
 * top of o: the plain options into o->v3, and, when obj has any credential
 * key, a credential made from o's current one with obj's keys over it
 * (usm_cred_get: identical credentials are shared and hashed once).  The
 * new credential reference goes to *newcred (NULL when none was made); o's
 * is left alone.  -1 with *badkey and why on failure.
 */
int
cfg_v3_apply(const json_t *obj, struct sess_opts *o, struct usm_cred **newcred,
    const char **badkey, char *why, size_t whylen)
{
	struct sess_v3opts	*v = &o->v3;
	struct usm_cred_params	 p;
	const struct usm_cred	*base = v->cred;
	const struct usm_key	*bk;
	const json_t		*j, *jb, *jt;
	const uint8_t		*u;
	uint8_t			 akey[64], pkey[64];
	char			 user[SNMPMGR_MAX_USER_LEN + 1];
	size_t			 n, i;
	bool			 any = false, newauth, newpriv;
	int			 rv = -1;

	*newcred = NULL;
	memset(&p, 0, sizeof(p));
	if ((j = json_object_get(obj, "security_level")) != NULL)
		v->level = (enum sess_level)(v3_word(j, cfg_level_words) + 1);
	if ((j = json_object_get(obj, "engine_id")) != NULL)
		v->engine_id_len = cfg_hex_decode(json_string_value(j),
		    v->engine_id, sizeof(v->engine_id));
	jb = json_object_get(obj, "engine_boots");
	jt = json_object_get(obj, "engine_time");
	if ((jb != NULL) != (jt != NULL)) {
		*badkey = jb != NULL ? "engine_boots" : "engine_time";
		snprintf(why, whylen, "engine_boots and engine_time go "
		    "together");
		return -1;
	}
	if (jb != NULL) {
		v->engine_boots = (uint32_t)json_integer_value(jb);
		v->engine_time = (uint32_t)json_integer_value(jt);
		v->engine_time_set = true;
	}
	if ((j = json_object_get(obj, "context_engine_id")) != NULL)
		v->context_engine_id_len = cfg_hex_decode(json_string_value(j),
		    v->context_engine_id, sizeof(v->context_engine_id));
	if ((j = json_object_get(obj, "local_engine_id")) != NULL)
		v->local_engine_id_len = cfg_hex_decode(json_string_value(j),
		    v->local_engine_id, sizeof(v->local_engine_id));
	if ((j = json_object_get(obj, "context_name")) != NULL)
		copy_str(v->context_name, json_string_value(j),
		    sizeof(v->context_name));
	if ((j = json_object_get(obj, "msg_max_size")) != NULL)
		v->msg_max_size = (uint32_t)json_integer_value(j);
	if ((j = json_object_get(obj, "single_step_discovery")) != NULL)
		v->single_step_discovery = json_is_true(j);
	if (v->engine_time_set && v->engine_id_len == 0) {
		*badkey = "engine_boots";
		snprintf(why, whylen, "engine_boots and engine_time need "
		    "engine_id");
		return -1;
	}

	for (i = 0; cred_keys[i] != NULL; i++)
		if (json_object_get(obj, cred_keys[i]) != NULL)
			any = true;
	if (any) {
		/* Start from the credential o has. */
		user[0] = '\0';
		p.auth = USM_AUTH_NONE;
		p.priv = USM_PRIV_NONE;
		if (base != NULL) {
			u = usm_cred_user(base, &n);
			memcpy(user, u, n);
			user[n] = '\0';
			p.auth = usm_cred_auth(base);
			p.priv = usm_cred_priv(base);
			p.keyext = usm_cred_keyext(base);
			if ((bk = usm_cred_auth_key(base)) != NULL) {
				memcpy(akey, bk->bytes, bk->len);
				p.auth_key = akey;
				p.auth_key_len = bk->len;
				p.auth_key_localized =
				    usm_cred_auth_source(base) == 'l';
			}
			if ((bk = usm_cred_priv_key(base)) != NULL) {
				memcpy(pkey, bk->bytes, bk->len);
				p.priv_key = pkey;
				p.priv_key_len = bk->len;
				p.priv_key_localized =
				    usm_cred_priv_source(base) == 'l';
			}
		}
		if ((j = json_object_get(obj, "user")) != NULL)
			copy_str(user, json_string_value(j), sizeof(user));
		p.user = user;

		/* SPEC 2: md5 and des when only a password is set. */
		newauth = json_object_get(obj, "auth_password") != NULL ||
		    json_object_get(obj, "auth_key") != NULL;
		newpriv = json_object_get(obj, "priv_password") != NULL ||
		    json_object_get(obj, "priv_key") != NULL;
		if ((j = json_object_get(obj, "auth")) != NULL) {
			if (usm_auth_from_name(json_string_value(j),
			    &p.auth) == -1) {
				*badkey = "auth";
				goto cred_fail;
			}
			if (!newauth && p.auth_key != NULL &&
			    usm_auth_key_len(p.auth) != p.auth_key_len) {
				*badkey = "auth";
				snprintf(why, whylen, "another protocol needs "
				    "auth_password or auth_key as well");
				goto out;
			}
		} else if (newauth && p.auth == USM_AUTH_NONE)
			p.auth = USM_AUTH_MD5;
		if ((j = json_object_get(obj, "priv")) != NULL) {
			if (usm_priv_from_name(json_string_value(j), &p.priv,
			    NULL) == -1) {
				*badkey = "priv";
				goto cred_fail;
			}
		} else if (newpriv && p.priv == USM_PRIV_NONE)
			p.priv = USM_PRIV_DES;
		if ((j = json_object_get(obj, "priv_key_extension")) != NULL &&
		    usm_keyext_from_name(json_string_value(j), &p.keyext) ==
		    -1) {
			*badkey = "priv_key_extension";
			goto cred_fail;
		}
		if ((j = json_object_get(obj, "auth_password")) != NULL) {
			p.auth_password = json_string_value(j);
			p.auth_key = NULL;
			p.auth_key_len = 0;
		}
		if ((j = json_object_get(obj, "auth_key")) != NULL) {
			p.auth_key_len = cfg_hex_decode(json_string_value(j),
			    akey, sizeof(akey));
			p.auth_key = akey;
			p.auth_password = NULL;
			p.auth_key_localized = true;
		}
		if ((j = json_object_get(obj, "auth_key_type")) != NULL) {
			if (json_object_get(obj, "auth_key") == NULL) {
				*badkey = "auth_key_type";
				snprintf(why, whylen, "needs auth_key");
				goto out;
			}
			p.auth_key_localized =
			    v3_word(j, cfg_keytype_words) == 0;
		}
		if ((j = json_object_get(obj, "priv_password")) != NULL) {
			p.priv_password = json_string_value(j);
			p.priv_key = NULL;
			p.priv_key_len = 0;
		}
		if ((j = json_object_get(obj, "priv_key")) != NULL) {
			p.priv_key_len = cfg_hex_decode(json_string_value(j),
			    pkey, sizeof(pkey));
			p.priv_key = pkey;
			p.priv_password = NULL;
			p.priv_key_localized = true;
		}
		if ((j = json_object_get(obj, "priv_key_type")) != NULL) {
			if (json_object_get(obj, "priv_key") == NULL) {
				*badkey = "priv_key_type";
				snprintf(why, whylen, "needs priv_key");
				goto out;
			}
			p.priv_key_localized =
			    v3_word(j, cfg_keytype_words) == 0;
		}
		if (p.auth != USM_AUTH_NONE && p.auth_password == NULL &&
		    p.auth_key == NULL) {
			*badkey = "auth_password";
			snprintf(why, whylen, "auth \"%s\" needs auth_password "
			    "or auth_key", usm_auth_name(p.auth));
			goto out;
		}
		if (p.priv != USM_PRIV_NONE && p.priv_password == NULL &&
		    p.priv_key == NULL) {
			*badkey = "priv_password";
			snprintf(why, whylen, "priv \"%s\" needs priv_password "
			    "or priv_key", usm_priv_name(p.priv));
			goto out;
		}
		/* Passwords are hashed here, once per distinct credential. */
		if ((*newcred = usm_cred_get(&p)) == NULL) {
			switch (snmpmgr_lasterr()) {
			case SNMPMGR_ERR_USER_NAME:
				*badkey = "user";
				break;
			case SNMPMGR_ERR_SEC_LEVEL:
			case SNMPMGR_ERR_NOT_SUPPORTED:
				*badkey = "priv";
				break;
			case SNMPMGR_ERR_NO_PRIV_PASSWORD:
				*badkey = "priv_password";
				break;
			case SNMPMGR_ERR_KEY_LENGTH:
				*badkey = strstr(snmpmgr_lasterr_detail(),
				    "privacy") != NULL ? "priv_key" :
				    p.auth_key != NULL ? "auth_key" :
				    "auth_password";
				break;
			default:
				*badkey = "auth_password";
				break;
			}
			goto cred_fail;
		}
	}
	/* The level must be one the credential can do (SPEC 5: 309, 314). */
	p.auth = USM_AUTH_NONE;
	p.priv = USM_PRIV_NONE;
	if (*newcred != NULL || base != NULL) {
		p.auth = usm_cred_auth(*newcred != NULL ? *newcred : base);
		p.priv = usm_cred_priv(*newcred != NULL ? *newcred : base);
	}
	/* Under TSM (DTLS) the transport gives the level, not USM. */
	if (o->transport != SESS_TRANSPORT_DTLS &&
	    ((v->level >= SESS_LEVEL_AUTH && p.auth == USM_AUTH_NONE) ||
	    (v->level == SESS_LEVEL_PRIV && p.priv == USM_PRIV_NONE))) {
		*badkey = "security_level";
		snprintf(why, whylen, "%s needs %s",
		    cfg_level_words[v->level - 1], p.auth == USM_AUTH_NONE ? "auth and auth_password or "
		    "auth_key" : "priv and priv_password or priv_key");
		usm_cred_free(*newcred);
		*newcred = NULL;
		goto out;
	}
	rv = 0;
	goto out;
 cred_fail:
	snprintf(why, whylen, "%s (%d): %s",
	    snmpmgr_strerror(snmpmgr_lasterr()), snmpmgr_lasterr(),
	    snmpmgr_lasterr_detail());
 out:
	OPENSSL_cleanse(akey, sizeof(akey));
	OPENSSL_cleanse(pkey, sizeof(pkey));
	return rv;
}

/* The SNMPv3 options of o as config keys (secrets "***" when mask). */
int
cfg_v3_opts_json(const struct sess_opts *o, bool mask, json_t *obj)
{
	const struct sess_v3opts *v = &o->v3;
	const struct usm_cred	*c = v->cred;
	const struct usm_key	*k;
	const uint8_t		*u;
	size_t			 n;
	int			 rc = 0;

	if (o->version != SNMP_V3 && c == NULL)
		return 0;
	if (c != NULL) {
		u = usm_cred_user(c, &n);
		rc |= json_object_set_new(obj, "user",
		    json_stringn((const char *)u, n));
		if (usm_cred_auth(c) != USM_AUTH_NONE) {
			rc |= json_object_set_new(obj, "auth",
			    json_string(usm_auth_name(usm_cred_auth(c))));
			k = usm_cred_auth_key(c);
			if (mask)
				rc |= json_object_set_new(obj,
				    usm_cred_auth_source(c) == 'p' ?
				    "auth_password" : "auth_key",
				    json_string("***"));
			else
				rc |= json_object_set_new(obj, "auth_key",
				    config_hex_json(k->bytes, k->len));
			if (!mask || usm_cred_auth_source(c) != 'p')
				rc |= json_object_set_new(obj, "auth_key_type",
				    json_string(usm_cred_auth_source(c) ==
				    'l' ? "localized" : "master"));
		}
		if (usm_cred_priv(c) != USM_PRIV_NONE) {
			rc |= json_object_set_new(obj, "priv",
			    json_string(usm_priv_name(usm_cred_priv(c))));
			k = usm_cred_priv_key(c);
			if (mask)
				rc |= json_object_set_new(obj,
				    usm_cred_priv_source(c) == 'p' ?
				    "priv_password" : "priv_key",
				    json_string("***"));
			else
				rc |= json_object_set_new(obj, "priv_key",
				    config_hex_json(k->bytes, k->len));
			if (!mask || usm_cred_priv_source(c) != 'p')
				rc |= json_object_set_new(obj, "priv_key_type",
				    json_string(usm_cred_priv_source(c) ==
				    'l' ? "localized" : "master"));
			rc |= json_object_set_new(obj, "priv_key_extension",
			    json_string(usm_keyext_name(usm_cred_keyext(c))));
		}
	}
	if (v->level != SESS_LEVEL_DEFAULT)
		rc |= json_object_set_new(obj, "security_level",
		    json_string(cfg_level_words[v->level - 1]));
	if (v->engine_id_len > 0)
		rc |= json_object_set_new(obj, "engine_id",
		    config_hex_json(v->engine_id, v->engine_id_len));
	if (v->engine_time_set) {
		rc |= json_object_set_new(obj, "engine_boots",
		    json_integer(v->engine_boots));
		rc |= json_object_set_new(obj, "engine_time",
		    json_integer(v->engine_time));
	}
	if (v->context_engine_id_len > 0)
		rc |= json_object_set_new(obj, "context_engine_id",
		    config_hex_json(v->context_engine_id, v->context_engine_id_len));
	if (v->local_engine_id_len > 0)
		rc |= json_object_set_new(obj, "local_engine_id",
		    config_hex_json(v->local_engine_id, v->local_engine_id_len));
	rc |= json_object_set_new(obj, "context_name",
	    json_string(v->context_name));
	rc |= json_object_set_new(obj, "msg_max_size",
	    json_integer(v->msg_max_size));
	rc |= json_object_set_new(obj, "single_step_discovery",
	    json_boolean(v->single_step_discovery));
	return rc == 0 ? 0 : -1;
}

