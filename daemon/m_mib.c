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

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/walk.h"

#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "methods.h"
#include "mib.h"
#include "op.h"
#include "render.h"
#include "sessions.h"
#include "state.h"

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

/* ----------------------------------------------------------- snmp.table */

/* Cells a table view collects (its walk stops one past). */
#define TABLE_MAX_CELLS		SNMPMGR_MAX_POLL_OBJECTS

/* What snmp.table keeps while its walk runs (op->priv). */
struct tablest {
	const struct mib	*m;		/* referenced */
	struct oid		 row;		/* the entry's OID */
	const struct mib_node	*colnode[SNMPMGR_MAX_TABLE_COLUMNS];
	struct oid		 cols[SNMPMGR_MAX_TABLE_COLUMNS];
	size_t			 ncols;
	char			 tname[SNMPMGR_MAX_OID_STR + 64];
	struct state_vals	 cells;
	bool			 full;
};

static void
tablest_free(void *arg)
{
	struct tablest	*ts = arg;

	if (ts == NULL)
		return;
	mib_unref((struct mib *)ts->m);
	state_vals_free(&ts->cells);
	free(ts);
}

/* Keep one answer's cells (the walk's objects, any column). */
static int
table_rows_cb(struct walk *w, const struct snmp_varbind *vb, size_t n,
    void *arg)
{
	struct op	*op = arg;
	struct tablest	*ts = op->priv;

	(void)w;
	if (!ts->full && state_vals_add(&ts->cells, vb, n) == -1)
		ts->full = true;
	return 0;
}

static void
table_answer(struct op *op, const struct walk_result *res)
{
	struct tablest		*ts = op->priv;
	struct render_buf	 out;
	char			 detail[512];
	const char		*l;
	size_t			 j;

	if (op->ds != NULL)
		sessions_note(op->ds, res->error, res->error ? "table walk "
		    "failed" : NULL);
	if (res->error != 0) {
		op_walk_error_detail(op, res, detail, sizeof(detail));
		ctl_req_error_num(op->r, res->error, detail, json_pack(
		    "{s:I}", "cells", (json_int_t)ts->cells.n));
		op_error_event(op, res->error, detail, NULL);
		return;
	}
	if (ts->full) {
		ctl_req_error_num(op->r, SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "more than 100000 cells: ask for fewer columns", NULL);
		return;
	}
	render_buf_init(&out);
	render_adds(&out, "{\"table\":");
	render_json_str(&out, ts->tname, strlen(ts->tname));
	render_adds(&out, ",\"columns\":[");
	for (j = 0; j < ts->ncols; j++) {
		if (j > 0)
			render_adds(&out, ",");
		render_adds(&out, "{\"name\":");
		l = mib_node_label(ts->colnode[j]);
		render_json_str(&out, l, strlen(l));
		render_adds(&out, ",\"oid\":");
		render_oid(&out, &ts->cols[j]);
		render_adds(&out, "}");
	}
	render_adds(&out, "],\"rows\":");
	state_vals_render_rows(&out, &ts->cells, ts->row.len, &j);
	render_adds(&out, ",\"count\":");
	render_u64(&out, j);
	render_adds(&out, ",\"cells\":");
	render_u64(&out, ts->cells.n);
	render_adds(&out, ",\"requests\":");
	render_u64(&out, res->requests);
	render_adds(&out, "}");
	if (out.failed)
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(op->r, out.p, out.len);
	render_buf_free(&out);
}

/*
 * The table's entry node and OID from "table" (a table or its entry),
 * the columns from "columns" (names or OIDs of its columns) or every
 * readable column.  0, or -1 with the error set.
 */
static int
table_resolve(struct mcall *c, struct tablest *ts)
{
	const struct mib_node	*row, *k;
	const char		*s = mcall_str(c, "table");
	json_t			*cols = mcall_json(c, "columns"), *v;
	struct oid		 o;
	char			 err[400];
	size_t			 i;

	if (mib_parse_oid(ts->m, &o, s, strlen(s), err, sizeof(err)) == -1) {
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "table: %s", err);
		return -1;
	}
	if ((row = mib_table_entry(ts->m, &o)) == NULL) {
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "table: %s is not a "
		    "table or a table's entry in the loaded MIBs", s);
		return -1;
	}
	mib_node_oid(row, &ts->row);
	if (mib_format_name(ts->m, &o, ts->tname, sizeof(ts->tname)) >=
	    sizeof(ts->tname))
		oid_format(&o, ts->tname, sizeof(ts->tname));
	if (cols != NULL && (!json_is_array(cols) ||
	    json_array_size(cols) == 0 ||
	    json_array_size(cols) > SNMPMGR_MAX_TABLE_COLUMNS)) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, "columns: expected a list "
		    "of 1 to 256 column names or OIDs", NULL);
		return -1;
	}
	json_array_foreach(cols, i, v) {
		if (!json_is_string(v) || mib_parse_oid(ts->m, &o,
		    json_string_value(v), json_string_length(v), err,
		    sizeof(err)) == -1) {
			ctl_req_errorf(c->r, CTL_ERR_PARAMS, "columns[%zu]: %s",
			    i, json_is_string(v) ? err : "expected a string");
			return -1;
		}
		if ((k = mib_table_column(ts->m, row, &o)) == NULL) {
			ctl_req_errorf(c->r, CTL_ERR_PARAMS, "columns[%zu]: "
			    "%s is not a column of %s", i,
			    json_string_value(v), ts->tname);
			return -1;
		}
		ts->colnode[ts->ncols] = k;
		ts->cols[ts->ncols++] = o;
	}
	if (cols == NULL)
		ts->ncols = mib_table_columns(row, ts->cols, ts->colnode,
		    SNMPMGR_MAX_TABLE_COLUMNS);
	if (ts->ncols == 0) {
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "table: %s has no "
		    "readable column", ts->tname);
		return -1;
	}
	return 0;
}

int
m_snmp_table(struct mcall *c)
{
	struct op		*op = c->op;
	struct walk_opts	 wo;
	struct tablest		*ts;

	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
		op_free(op);
		return CTL_DONE;
	}
	state_vals_init(&ts->cells);
	op->priv = ts;
	op->priv_free = tablest_free;
	if ((ts->m = mib_current()) == NULL) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, "table: no MIB modules are "
		    "loaded (the config's \"mibs\")", NULL);
		op_free(op);
		return CTL_DONE;
	}
	mib_ref((struct mib *)ts->m);
	if (table_resolve(c, ts) == -1) {
		op_free(op);
		return CTL_DONE;
	}
	walk_opts_from_sess(&wo, op->s, NULL);
	wo.columns = ts->cols;
	wo.ncolumns = ts->ncols;
	wo.limit = TABLE_MAX_CELLS + 1;
	wo.max_repetitions = (uint32_t)mcall_uint(c, "max_repetitions",
	    wo.max_repetitions);
	wo.fixed_repetitions = mcall_given(c, "max_repetitions");
	wo.use_getnext = mcall_bool(c, "use_getnext", wo.use_getnext);
	return op_walk(op, &wo, table_rows_cb, table_answer);
}
