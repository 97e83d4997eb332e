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
#define TABLE_MAX_CELLS		100000

/* One cell: its column, its row's index arcs (in tb->arcs) and its
 * varbind's JSON (in tb->text). */
struct tcell {
	size_t		 col;
	size_t		 aoff, alen;
	size_t		 toff, tlen;
};

/* What snmp.table keeps while its walk runs (op->priv). */
struct tablest {
	const struct mib	*m;		/* referenced */
	struct oid		 row;		/* the entry's OID */
	const struct mib_node	*colnode[SNMPMGR_MAX_TABLE_COLUMNS];
	struct oid		 cols[SNMPMGR_MAX_TABLE_COLUMNS];
	size_t			 ncols;
	char			 tname[SNMPMGR_MAX_OID_STR + 64];
	struct tcell		*cells;
	size_t			 ncells, cap;
	uint32_t		*arcs;
	size_t			 narcs, arccap;
	struct render_buf	 text;
	bool			 oom;
};

static void
tablest_free(void *arg)
{
	struct tablest	*ts = arg;

	if (ts == NULL)
		return;
	mib_unref((struct mib *)ts->m);
	free(ts->cells);
	free(ts->arcs);
	render_buf_free(&ts->text);
	free(ts);
}

/* Keep one answer's cells (the walk's objects, any column). */
static int
table_rows_cb(struct walk *w, const struct snmp_varbind *vb, size_t n,
    void *arg)
{
	struct op	*op = arg;
	struct tablest	*ts = op->priv;
	struct tcell	*c;
	size_t		 i, j, k, rl = ts->row.len;
	void		*p;

	(void)w;
	for (i = 0; i < n && !ts->oom; i++) {
		if (vb[i].name.len <= rl + 1 ||
		    !oid_is_prefix(&ts->row, &vb[i].name))
			continue;
		for (j = 0; j < ts->ncols; j++)
			if (ts->cols[j].arcs[rl] == vb[i].name.arcs[rl])
				break;
		if (j == ts->ncols || ts->ncells > TABLE_MAX_CELLS)
			continue;
		k = vb[i].name.len - rl - 1;
		if (ts->ncells == ts->cap) {
			ts->cap = ts->cap ? ts->cap * 2 : 256;
			if ((p = reallocarray(ts->cells, ts->cap,
			    sizeof(*ts->cells))) == NULL) {
				ts->oom = true;
				break;
			}
			ts->cells = p;
		}
		if (ts->narcs + k > ts->arccap) {
			ts->arccap = (ts->arccap + k) * 2;
			if ((p = reallocarray(ts->arcs, ts->arccap,
			    sizeof(*ts->arcs))) == NULL) {
				ts->oom = true;
				break;
			}
			ts->arcs = p;
		}
		c = &ts->cells[ts->ncells++];
		c->col = j;
		c->aoff = ts->narcs;
		c->alen = k;
		memcpy(ts->arcs + ts->narcs, vb[i].name.arcs + rl + 1,
		    k * sizeof(uint32_t));
		ts->narcs += k;
		c->toff = ts->text.len;
		render_varbind(&ts->text, &vb[i]);
		c->tlen = ts->text.len - c->toff;
	}
	if (ts->text.failed)
		ts->oom = true;
	return 0;
}

/* Row index order (as OIDs compare), then column order. */
static const struct tablest *table_sort_ts;

static int
tcell_cmp(const void *a, const void *b)
{
	const struct tcell	*x = a, *y = b;
	const uint32_t		*ax = table_sort_ts->arcs + x->aoff;
	const uint32_t		*ay = table_sort_ts->arcs + y->aoff;
	size_t			 i;

	for (i = 0; i < x->alen && i < y->alen; i++)
		if (ax[i] != ay[i])
			return ax[i] < ay[i] ? -1 : 1;
	if (x->alen != y->alen)
		return x->alen < y->alen ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

static bool
tcell_same_row(const struct tablest *ts, const struct tcell *x,
    const struct tcell *y)
{
	return x->alen == y->alen && memcmp(ts->arcs + x->aoff,
	    ts->arcs + y->aoff, x->alen * sizeof(uint32_t)) == 0;
}

/* "index": the decoded index of the row of cell c, and "suffix". */
static void
table_row_index(struct render_buf *b, const struct tablest *ts,
    const struct tcell *c)
{
	struct mib_index_item	 items[16];
	struct oid		 o = ts->cols[c->col], sfx;
	json_t			*idx;
	char			*s, buf[SNMPMGR_MAX_OID_STR];
	int			 ni, i;

	sfx.len = c->alen;
	memcpy(sfx.arcs, ts->arcs + c->aoff, c->alen * sizeof(uint32_t));
	oid_format(&sfx, buf, sizeof(buf));
	render_adds(b, "{\"suffix\":");
	render_json_str(b, buf, strlen(buf));
	memcpy(o.arcs + o.len, sfx.arcs, c->alen * sizeof(uint32_t));
	o.len += c->alen;
	ni = mib_index_decode(ts->colnode[c->col], &o, ts->cols[c->col].len,
	    items, sizeof(items) / sizeof(items[0]));
	if (ni <= 0 || (idx = json_object()) == NULL)
		return;
	for (i = 0; i < ni; i++)
		json_object_set_new(idx, items[i].name, index_json(&items[i]));
	if ((s = json_dumps(idx, JSON_COMPACT)) != NULL) {
		render_adds(b, ",\"index\":");
		render_adds(b, s);
		free(s);
	} else
		b->failed = true;
	json_decref(idx);
}

/* The column's label, as the row objects name it. */
static const char *
table_col_label(const struct tablest *ts, size_t j)
{
	return mib_node_label(ts->colnode[j]);
}

static void
table_answer(struct op *op, const struct walk_result *res)
{
	struct tablest		*ts = op->priv;
	struct render_buf	 out;
	char			 detail[512];
	const char		*l;
	size_t			 i, j, nrows = 0;

	if (op->ds != NULL)
		sessions_note(op->ds, res->error, res->error ? "table walk "
		    "failed" : NULL);
	if (res->error != 0) {
		op_walk_error_detail(op, res, detail, sizeof(detail));
		ctl_req_error_num(op->r, res->error, detail, json_pack(
		    "{s:I}", "cells", (json_int_t)ts->ncells));
		op_error_event(op, res->error, detail, NULL);
		return;
	}
	if (ts->ncells > TABLE_MAX_CELLS) {
		ctl_req_error_num(op->r, SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "more than 100000 cells: ask for fewer columns", NULL);
		return;
	}
	if (ts->oom) {
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	table_sort_ts = ts;
	if (ts->ncells > 0)
		qsort(ts->cells, ts->ncells, sizeof(*ts->cells), tcell_cmp);
	render_buf_init(&out);
	render_adds(&out, "{\"table\":");
	render_json_str(&out, ts->tname, strlen(ts->tname));
	render_adds(&out, ",\"columns\":[");
	for (j = 0; j < ts->ncols; j++) {
		if (j > 0)
			render_adds(&out, ",");
		render_adds(&out, "{\"name\":");
		l = table_col_label(ts, j);
		render_json_str(&out, l, strlen(l));
		render_adds(&out, ",\"oid\":");
		render_oid(&out, &ts->cols[j]);
		render_adds(&out, "}");
	}
	render_adds(&out, "],\"rows\":[");
	for (i = 0; i < ts->ncells; i++) {
		const struct tcell *c = &ts->cells[i];

		if (i == 0 || !tcell_same_row(ts, c, &ts->cells[i - 1])) {
			if (i > 0)
				render_adds(&out, "}},");
			table_row_index(&out, ts, c);
			render_adds(&out, ",\"values\":{");
			nrows++;
		} else
			render_adds(&out, ",");
		l = table_col_label(ts, c->col);
		render_json_str(&out, l, strlen(l));
		render_adds(&out, ":");
		render_add(&out, ts->text.p + c->toff, c->tlen);
	}
	if (ts->ncells > 0)
		render_adds(&out, "}}");
	render_adds(&out, "],\"count\":");
	render_u64(&out, nrows);
	render_adds(&out, ",\"cells\":");
	render_u64(&out, ts->ncells);
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
	const struct mib_node	*n, *row, *k;
	const char		*s = mcall_str(c, "table");
	json_t			*cols = mcall_json(c, "columns"), *v;
	struct mib_info		 in;
	struct oid		 o;
	char			 err[400];
	size_t			 plen, i;

	if (mib_parse_oid(ts->m, &o, s, strlen(s), err, sizeof(err)) == -1) {
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "table: %s", err);
		return -1;
	}
	if ((n = mib_lookup(ts->m, &o, &plen)) == NULL || plen != o.len ||
	    (row = mib_node_row(n)) == NULL || (n != row &&
	    (mib_node_nkids(n) != 1 || mib_node_kid(n, 0) != row))) {
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "table: %s is not a "
		    "table or a table's entry in the loaded MIBs", s);
		return -1;
	}
	mib_node_oid(row, &ts->row);
	mib_node_oid(n != row ? n : row, &o);
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
		if (o.len != ts->row.len + 1 ||
		    !oid_is_prefix(&ts->row, &o) ||
		    (k = mib_lookup(ts->m, &o, &plen)) == NULL ||
		    plen != o.len) {
			ctl_req_errorf(c->r, CTL_ERR_PARAMS, "columns[%zu]: "
			    "%s is not a column of %s", i,
			    json_string_value(v), ts->tname);
			return -1;
		}
		ts->colnode[ts->ncols] = k;
		ts->cols[ts->ncols++] = o;
	}
	for (i = 0; cols == NULL && i < mib_node_nkids(row) &&
	    ts->ncols < SNMPMGR_MAX_TABLE_COLUMNS; i++) {
		k = mib_node_kid(row, i);
		mib_node_info(k, &in);
		if (in.access != NULL && (strcmp(in.access,
		    "not-accessible") == 0 || strcmp(in.access,
		    "accessible-for-notify") == 0))
			continue;
		ts->colnode[ts->ncols] = k;
		mib_node_oid(k, &ts->cols[ts->ncols++]);
	}
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
	render_buf_init(&ts->text);
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
