/*
 * m_v3.c - the SNMPv3 side of the control socket: snmp.discover (engine
 * discovery on a session or an inline target, SPEC.md 3 "discover"),
 * usm.hash (localized and master keys for configs, SPEC.md 3
 * "hash_passwords"), and the "report" and "discovery" events (SPEC.md 4)
 * the session engine's v3 hooks turn into.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "conf.h"

#include "core/errors.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/usm.h"

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "methods.h"
#include "op.h"
#include "sessions.h"
#include "views.h"

/* The session's name for events: configured, or its address. */
static void
v3_sess_name(struct sess *s, const char **name, char *addr, size_t size)
{
	const struct dsess *ds = sess_get_udata(s);
	const struct sockaddr *sa;
	socklen_t	 len = 0;

	sa = sess_addr(s, &len);
	transport_addr_str(sa, len, true, addr, size);
	*name = ds != NULL ? ds->name : NULL;
}

/* ------------------------------------------------------- snmp.discover */

/* snmp.discover's result: session.show's engine object and the count. */
static json_t *
v3_discover_result(struct sess *s)
{
	json_t	*eng;

	if ((eng = view_v3_engine(s)) != NULL)
		json_object_set_new(eng, "discoveries", json_integer(
		    (json_int_t)sess_get_usm_stats(s)->discoveries));
	return eng;
}

static void
v3_discover_fail(struct op *op, int error, const char *detail)
{
	ctl_req_error_num(op->r, error, detail, NULL);
	if (op->ds != NULL)
		sessions_note(op->ds, error, detail);
	op_error_event(op, error, detail, NULL);
}

static void
v3_discover_reply(struct op *op, const struct sess_result *res)
{
	json_t		*eng;
	char		 detail[300];

	if (res->error != 0) {
		snprintf(detail, sizeof(detail), "%s",
		    snmpmgr_lasterr() == res->error ?
		    snmpmgr_lasterr_detail() : snmpmgr_strerror(res->error));
		v3_discover_fail(op, res->error, detail);
	} else if ((eng = v3_discover_result(op->s)) == NULL)
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else {
		ctl_req_result(op->r, eng);
		if (op->ds != NULL)
			sessions_note(op->ds, 0, NULL);
	}
}

/* The answer to the Get that checks the user's keys. */
static void
v3_discover_checked(struct op *op, const struct sess_result *res)
{
	char	 what[200], detail[400];

	if (res->error == 0) {
		v3_discover_reply(op, res);
		return;
	}
	op_error_detail(op, res->error, res->tries, what, sizeof(what));
	snprintf(detail, sizeof(detail), "%s (the Get that checks the "
	    "user's keys, discovery having taken boots and time from the "
	    "engine ID report)", what);
	v3_discover_fail(op, res->error, detail);
}

/*
 * Discovery that fell back to the engine ID report's boots/time has not
 * seen the agent accept the user's keys (a wrong password or an unknown
 * user draws the same unauthenticated report as the agents the fallback
 * is for): one Get of snmpEngineID.0 at the session's level decides, its
 * report an error as for any request (308, 326, 327 ...).
 */
static void
v3_discover_answer(struct op *op, const struct sess_result *res)
{
	static const uint32_t	 arcs[] = { 1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0 };
	struct sess_v3_info	 vi;
	struct snmp_varbind	 vb;
	struct snmp_pdu		 pdu;
	struct sess_result	 r2;

	if (res->error != 0 || sess_v3_info(op->s, &vi) == -1 ||
	    !vi.fallback) {
		v3_discover_reply(op, res);
		return;
	}
	memset(&vb, 0, sizeof(vb));
	vb.name.len = sizeof(arcs) / sizeof(arcs[0]);
	memcpy(vb.name.arcs, arcs, sizeof(arcs));
	vb.value.type = SNMP_T_NULL;
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_GET;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	if (op_request_next(op, &pdu, v3_discover_checked) == 0)
		return;
	r2 = *res;
	r2.error = snmpmgr_lasterr();
	v3_discover_reply(op, &r2);
}

/*
 * snmp.discover {session | target, "force": true}: run engine discovery
 * and answer with what was learnt.  "force": false answers at once when
 * the engine is known already.
 */
int
m_snmp_discover(struct mcall *c)
{
	struct op	*op = c->op;
	struct sess_v3_info vi;
	json_t		*eng;

	if (sess_v3_info(op->s, &vi) == -1) {
		ctl_req_error_num(c->r, SNMPMGR_ERR_VERSION, "engine discovery "
		    "needs an SNMPv3 session (version \"3\")", NULL);
		op_free(op);
		return CTL_DONE;
	}
	/* "force": false answers at once when the engine is known. */
	if (!mcall_bool(c, "force", true) && vi.disc == SESS_DISC_DONE) {
		if ((eng = v3_discover_result(op->s)) == NULL)
			ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory",
			    NULL);
		else
			ctl_req_result(c->r, eng);
		op_free(op);
		return CTL_DONE;
	}
	return op_discover(op, v3_discover_answer);
}

/* ------------------------------------------------------------ usm.hash */

/* Hex octets ("0x..", ':' between octets): count, or 0 if not hex. */
static size_t
v3_unhex(const char *s, uint8_t *out, size_t max)
{
	size_t	 n;

	if (hex_decode_str(s, HEX_PREFIX | HEX_COLONS, out, max, &n) == -1)
		return 0;
	return n;
}

/*
 * usm.hash {"engine_id", "auth", "auth_password" | "auth_key", ["priv",
 * "priv_password" | "priv_key", "priv_key_extension"]}: the master and
 * localized keys a config can hold instead of passwords (auth_key /
 * priv_key with auth_key_type / priv_key_type).  Keys given are master
 * keys.  Nothing is kept.
 */
int
m_usm_hash(struct mcall *mc)
{
	struct ctl_req	*r = mc->r;
	struct usm_cred_params p;
	struct usm_cred	*c = NULL;
	struct usm_user	*u = NULL;
	const struct usm_key *k;
	const char	*eid, *auth, *apw, *ak, *priv, *ppw, *pk, *ext;
	uint8_t		 engine[SNMPMGR_MAX_ENGINE_ID_LEN];
	uint8_t		 akey[USM_MAX_KEY_LEN], pkey[USM_MAX_KEY_LEN];
	size_t		 elen;
	json_t		*res = NULL;

	memset(&p, 0, sizeof(p));
	eid = mcall_str(mc, "engine_id");
	auth = mcall_str(mc, "auth");
	apw = mcall_str(mc, "auth_password");
	ak = mcall_str(mc, "auth_key");
	priv = mcall_str(mc, "priv");
	ppw = mcall_str(mc, "priv_password");
	pk = mcall_str(mc, "priv_key");
	ext = mcall_str(mc, "priv_key_extension");
	p.user = mcall_str(mc, "user");
	/* RFC 3411 5: an engine ID is 5 to 32 octets. */
	if (eid == NULL || (elen = v3_unhex(eid, engine,
	    sizeof(engine))) < 5) {
		ctl_req_error_num(r, SNMPMGR_ERR_ENGINE_ID, "engine_id: "
		    "expected 5 to 32 hex octets", NULL);
		return CTL_DONE;
	}
	p.auth = USM_AUTH_MD5;		/* SPEC 2: md5 by default */
	if (auth != NULL && usm_auth_from_name(auth, &p.auth) == -1)
		goto lasterr;
	if (p.auth == USM_AUTH_NONE || (apw == NULL && ak == NULL)) {
		ctl_req_error_num(r, SNMPMGR_ERR_NO_AUTH_PASSWORD, "give auth "
		    "and auth_password (or auth_key)", NULL);
		return CTL_DONE;
	}
	p.auth_password = apw;
	if (ak != NULL && apw == NULL) {
		if ((p.auth_key_len = v3_unhex(ak, akey, sizeof(akey))) == 0) {
			ctl_req_error(r, CTL_ERR_PARAMS, "auth_key: expected "
			    "hex octets", NULL);
			return CTL_DONE;
		}
		p.auth_key = akey;
	}
	p.priv = USM_PRIV_NONE;
	if (priv != NULL || ppw != NULL || pk != NULL) {
		p.priv = USM_PRIV_DES;	/* SPEC 2: des by default */
		if (priv != NULL && usm_priv_from_name(priv, &p.priv,
		    &p.keyext) == -1)
			goto lasterr;
		p.priv_password = ppw;
		if (pk != NULL && ppw == NULL) {
			if ((p.priv_key_len = v3_unhex(pk, pkey,
			    sizeof(pkey))) == 0) {
				ctl_req_error(r, CTL_ERR_PARAMS, "priv_key: "
				    "expected hex octets", NULL);
				goto out;
			}
			p.priv_key = pkey;
		}
		if (p.priv != USM_PRIV_NONE && ppw == NULL && pk == NULL) {
			ctl_req_error_num(r, SNMPMGR_ERR_NO_PRIV_PASSWORD,
			    "give priv_password (or priv_key)", NULL);
			goto out;
		}
	}
	if (ext != NULL && usm_keyext_from_name(ext, &p.keyext) == -1)
		goto lasterr;
	if ((c = usm_cred_new(&p)) == NULL ||
	    (u = usm_user_new(c, engine, elen)) == NULL)
		goto lasterr;

	if ((res = json_object()) == NULL)
		goto nomem;
	json_object_set_new(res, "engine_id", config_hex_json(engine, elen));
	json_object_set_new(res, "auth", json_string(usm_auth_name(p.auth)));
	k = usm_cred_auth_key(c);
	json_object_set_new(res, "auth_master_key", config_hex_json(k->bytes, k->len));
	k = usm_user_auth_key(u);
	json_object_set_new(res, "auth_key", config_hex_json(k->bytes, k->len));
	if (p.priv != USM_PRIV_NONE) {
		json_object_set_new(res, "priv",
		    json_string(usm_priv_name(p.priv)));
		json_object_set_new(res, "priv_key_extension",
		    json_string(usm_keyext_name(p.keyext)));
		k = usm_cred_priv_key(c);
		json_object_set_new(res, "priv_master_key",
		    config_hex_json(k->bytes, k->len));
		k = usm_user_priv_key(u);
		json_object_set_new(res, "priv_key", config_hex_json(k->bytes, k->len));
	}
	ctl_req_result(r, res);
	goto out;
 nomem:
	ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	goto out;
 lasterr:
	ctl_req_error_num(r, snmpmgr_lasterr(), snmpmgr_lasterr_detail(),
	    NULL);
 out:
	usm_user_free(u);
	usm_cred_free(c);
	OPENSSL_cleanse(akey, sizeof(akey));
	OPENSSL_cleanse(pkey, sizeof(pkey));
	config_json_wipe_secrets(mc->params);
	return CTL_DONE;
}

/* ------------------------------------------------------------- events */

/* usmStats names of RFC 3414 5 by their numbered error. */
static const char *
v3_report_name(int error)
{
	switch (error) {
	case SNMPMGR_ERR_SEC_LEVEL:
		return "usmStatsUnsupportedSecLevels";
	case SNMPMGR_ERR_TIME_FRAME:
		return "usmStatsNotInTimeWindows";
	case SNMPMGR_ERR_USER_NAME:
		return "usmStatsUnknownUserNames";
	case SNMPMGR_ERR_ENGINE_ID:
		return "usmStatsUnknownEngineIDs";
	case SNMPMGR_ERR_AUTH_FAILED:
		return "usmStatsWrongDigests";
	case SNMPMGR_ERR_DECRYPT:
		return "usmStatsDecryptionErrors";
	default:
		return NULL;
	}
}

/* The engine's report hook: a "report" event (SPEC.md 4 on_report). */
static void
v3_report_hook(struct sess *s, int error, const struct oid *name,
    uint64_t value, bool authenticated, void *arg)
{
	struct daemon	*d = arg;
	const char	*sname, *rname;
	char		 addr[128], oid[SNMPMGR_MAX_OID_STR];
	json_t		*data;

	v3_sess_name(s, &sname, addr, sizeof(addr));
	if (d->events == NULL || !events_wanted(d->events, EV_REPORT, sname))
		return;
	oid_format(name, oid, sizeof(oid));
	rname = v3_report_name(error);
	data = json_pack("{s:s,s:s,s:s?,s:I,s:b}", "address", addr,
	    "oid", oid, "name", rname, "value", (json_int_t)value,
	    "authenticated", authenticated);
	if (data != NULL && error != 0) {
		json_object_set_new(data, "code", json_integer(error));
		json_object_set_new(data, "message",
		    json_string(snmpmgr_strerror(error)));
	}
	if (data != NULL)
		events_publish(d->events, EV_REPORT, sname, data);
}

/* The engine's discovery hook: a "discovery" event (on_discovery_response). */
static void
v3_discovery_hook(struct sess *s, int error, void *arg)
{
	struct daemon	*d = arg;
	const char	*sname;
	char		 addr[128];
	json_t		*data;

	v3_sess_name(s, &sname, addr, sizeof(addr));
	if (error != 0 && error != SNMPMGR_ERR_INTERRUPTED)
		log_debug("%s %s: engine discovery failed: %s (%d)",
		    sname != NULL ? "session" : "target",
		    sname != NULL ? sname : addr, snmpmgr_strerror(error),
		    error);
	if (d->events == NULL ||
	    !events_wanted(d->events, EV_DISCOVERY, sname))
		return;
	if (error != 0)
		data = json_pack("{s:s,s:{s:i,s:s}}", "address", addr,
		    "error", "code", error, "message",
		    snmpmgr_strerror(error));
	else if ((data = view_v3_engine(s)) != NULL)
		json_object_set_new(data, "address", json_string(addr));
	if (data != NULL)
		events_publish(d->events, EV_DISCOVERY, sname, data);
}

void
methods_v3_init(struct daemon *d)
{
	struct sess_v3_hooks	 h;

	memset(&h, 0, sizeof(h));
	h.report = v3_report_hook;
	h.discovery = v3_discovery_hook;
	h.arg = d;
	sess_mgr_set_v3_hooks(d->mgr, &h);
}
