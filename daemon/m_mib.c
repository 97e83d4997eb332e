/*
 * m_mib.c - the methods that need MIB knowledge (doc/protocol.md):
 * mib.translate (names to OIDs and back, with what the MIB says of the
 * object) and snmp.table (a table walked by columns, rows keyed by
 * decoded index).
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/oid.h"

#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "methods.h"
#include "mib.h"

/* Set key to a string value when s is not NULL; -1 on failure. */
static int
set_str(json_t *o, const char *key, const char *s)
{
	if (s == NULL)
		return 0;
	return json_object_set_new(o, key, json_string(s));
}

/* One decoded index value: a number, text, or "0x" and hex. */
static json_t *
index_json(const struct mib_index_item *it)
{
	json_t	*j;

	if (it->numeric)
		return json_integer((json_int_t)it->num);
	if ((j = json_stringn(it->text, it->len)) != NULL)
		return j;
	return config_hex_json((const uint8_t *)it->text, it->len);
}

/* The object for one translated OID (o), named or not. */
static json_t *
translate_one(const struct mib *m, const char *input, const struct oid *o)
{
	struct mib_index_item	 items[16];
	const struct mib_node	*n;
	struct mib_info		 in;
	json_t			*res, *a, *idx;
	char			 buf[SNMPMGR_MAX_OID_STR + 512];
	size_t			 plen, i;
	int64_t			 v;
	int			 ni, rc = 0;

	if ((res = json_object()) == NULL)
		return NULL;
	oid_format(o, buf, sizeof(buf));
	rc |= set_str(res, "input", input);
	rc |= set_str(res, "oid", buf);
	if ((n = mib_lookup(m, o, &plen)) == NULL) {
		rc |= json_object_set_new(res, "name", json_null());
		goto out;
	}
	if (mib_format_name(m, o, buf, sizeof(buf)) < sizeof(buf))
		rc |= set_str(res, "name", buf);
	mib_node_info(n, &in);
	rc |= set_str(res, "module", in.module);
	rc |= set_str(res, "label", in.label);
	rc |= set_str(res, "kind", in.kind);
	rc |= set_str(res, "access", in.access);
	rc |= set_str(res, "type", in.type);
	rc |= set_str(res, "type_module", in.type_module);
	rc |= set_str(res, "base", in.base);
	rc |= set_str(res, "hint", in.hint);
	rc |= set_str(res, "units", in.units);
	if (in.nenums > 0) {
		a = json_array();
		for (i = 0; a != NULL && i < in.nenums; i++) {
			const char *l = mib_node_enum(n, i, &v);

			rc |= json_array_append_new(a, json_pack("{s:s,s:I}",
			    "label", l, "value", (json_int_t)v));
		}
		rc |= json_object_set_new(res, "enums", a);
	}
	if (in.nindex > 0) {
		a = json_array();
		for (i = 0; a != NULL && i < in.nindex; i++)
			rc |= json_array_append_new(a, json_string(
			    mib_node_label(mib_node_index(n, i))));
		rc |= json_object_set_new(res, "index", a);
		if (in.implied)
			rc |= json_object_set_new(res, "implied", json_true());
	}
	if (plen < o->len && (ni = mib_index_decode(n, o, plen, items,
	    sizeof(items) / sizeof(items[0]))) > 0) {
		idx = json_object();
		for (i = 0; idx != NULL && i < (size_t)ni; i++)
			rc |= json_object_set_new(idx, items[i].name,
			    index_json(&items[i]));
		rc |= json_object_set_new(res, "index_values", idx);
	}
	rc |= set_str(res, "description", in.descr);
 out:
	if (rc != 0) {
		json_decref(res);
		return NULL;
	}
	return res;
}

int
m_mib_translate(struct mcall *c)
{
	const struct mib	*m = mib_current();
	struct ctl_req		*r = c->r;
	json_t			*in = mcall_json(c, "names"), *objs, *v, *one;
	struct oid		 o;
	char			 err[400];
	size_t			 i;

	if (json_is_string(in)) {
		in = json_pack("[O]", in);
	} else if (json_is_array(in) && json_array_size(in) > 0 &&
	    json_array_size(in) <= 256) {
		json_incref(in);
	} else {
		ctl_req_error(r, CTL_ERR_PARAMS, "names: expected a name or "
		    "an OID, or a list of 1 to 256", NULL);
		return CTL_DONE;
	}
	if (in == NULL || (objs = json_array()) == NULL) {
		json_decref(in);
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return CTL_DONE;
	}
	json_array_foreach(in, i, v) {
		if (!json_is_string(v)) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "names[%zu]: expected "
			    "a string", i);
			goto fail;
		}
		if (mib_parse_oid(m, &o, json_string_value(v),
		    json_string_length(v), err, sizeof(err)) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "names[%zu]: %s", i,
			    err);
			goto fail;
		}
		if ((one = translate_one(m, json_string_value(v), &o)) ==
		    NULL || json_array_append_new(objs, one) == -1) {
			ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory",
			    NULL);
			goto fail;
		}
	}
	json_decref(in);
	ctl_req_result(r, json_pack("{s:o}", "objects", objs));
	return CTL_DONE;
 fail:
	json_decref(in);
	json_decref(objs);
	return CTL_DONE;
}
