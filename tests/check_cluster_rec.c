/*
 * check_cluster_rec.c - the records cluster mode publishes: the event's
 * JSON dumped once with "node" and the extra member spliced in, the same
 * text as a copy of the tree with those members set, communities left
 * out, no member twice, the dump buffer grown and reused; a record
 * from event text (poll results rendered without a tree) the same as
 * from the tree, and text that is not an object refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/cluster_rec.h"
#include "check_main.h"

/* The text the tap made before: a deep copy with the members set. */
static char *
by_copy(const json_t *params, const char *node, json_int_t slot)
{
	json_t	*rec = json_deep_copy(params);
	char	*s;

	json_object_set_new(rec, "node", json_string(node));
	json_object_del(rec, "community");
	json_object_del(rec, "community_hex");
	if (slot >= 0)
		json_object_set_new(rec, "slot", json_integer(slot));
	s = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	return s;
}

START_TEST(rec_text_same_as_tree)
{
	static const char text[] = "{\"event\":\"response\",\"time\":"
	    "\"2026-12-05T12:00:00.000Z\",\"session\":\"s\\\"1\",\"poll\":"
	    "\"up\",\"varbinds\":[{\"oid\":\"1.3.6.1.2.1.1.3.0\",\"value\":"
	    "12345}],\"rate_interval_ms\":5000.0}";
	struct recbuf	 rb = { NULL, 0 };
	struct pubm	*a, *b;
	json_error_t	 je;
	json_t		*p;

	p = json_loads(text, 0, &je);
	ck_assert_ptr_nonnull(p);
	a = pubm_event(&rb, "s", "i", p, "\"mgr-a\"", ",\"slot\":7");
	b = pubm_text("s", "i", text, sizeof(text) - 1, "\"mgr-a\"",
	    ",\"slot\":7");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->data, a->data);
	ck_assert_uint_eq(b->len, a->len);
	ck_assert_str_eq(b->subj, "s");
	ck_assert_str_eq(b->id, "i");
	pubm_free(a);
	pubm_free(b);
	/* Not an object, or cut short: no record. */
	ck_assert_ptr_null(pubm_text("s", "i", "[1]", 3, "\"n\"", ""));
	ck_assert_ptr_null(pubm_text("s", "i", text, 10, "\"n\"", ""));
	ck_assert_ptr_null(pubm_text("s", "i", "{", 1, "\"n\"", ""));
	json_decref(p);
	free(rb.buf);
}
END_TEST

START_TEST(rec_same_as_a_copy)
{
	struct recbuf	 rb = { NULL, 0 };
	struct pubm	*m;
	json_t		*p;
	char		*want;

	p = json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:i}],s:f}",
	    "time", "2026-12-05T12:00:00.000Z", "session", "s1", "poll", "up",
	    "community", "secret-c", "varbinds", "oid", "1.3.6.1.2.1.1.3.0",
	    "type", "TimeTicks", "value", 12345, "rtt", 0.25);
	ck_assert_ptr_nonnull(p);
	m = pubm_event(&rb, "snmpmgrd.t.poll.s1.up", "s1/up/7", p,
	    "\"mgr-a\"", ",\"slot\":7");
	ck_assert_ptr_nonnull(m);
	want = by_copy(p, "mgr-a", 7);
	ck_assert_str_eq(m->data, want);
	ck_assert_uint_eq(m->len, strlen(want));
	ck_assert_ptr_null(strstr(m->data, "secret-c"));
	ck_assert_str_eq(m->subj, "snmpmgrd.t.poll.s1.up");
	ck_assert_str_eq(m->id, "s1/up/7");
	/* The event itself is left as it was. */
	ck_assert_str_eq(json_string_value(json_object_get(p, "community")),
	    "secret-c");
	free(want);
	pubm_free(m);

	/* No extra member: "node" only. */
	m = pubm_event(&rb, "x", "y", p, "\"mgr-a\"", "");
	want = by_copy(p, "mgr-a", -1);
	ck_assert_str_eq(m->data, want);
	free(want);
	pubm_free(m);
	json_decref(p);
	free(rb.buf);
}
END_TEST

START_TEST(rec_empty_and_escaped)
{
	struct recbuf	 rb = { NULL, 0 };
	struct pubm	*m;
	json_t		*p = json_object(), *j;
	json_error_t	 je;

	m = pubm_event(&rb, "s", "i", p, "\"a\\\"b\"", "");
	ck_assert_str_eq(m->data, "{\"node\":\"a\\\"b\"}");
	j = json_loads(m->data, JSON_REJECT_DUPLICATES, &je);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "node")),
	    "a\"b");
	json_decref(j);
	pubm_free(m);
	json_decref(p);
	free(rb.buf);
}
END_TEST

START_TEST(rec_members_not_twice)
{
	struct recbuf	 rb = { NULL, 0 };
	struct pubm	*m;
	json_t		*p, *j;
	json_error_t	 je;

	p = json_pack("{s:s,s:s,s:i,s:i,s:s}", "source", "192.0.2.1",
	    "node", "other", "seq", 99, "slot", 98, "community_hex", "0102");
	m = pubm_event(&rb, "s", "i", p, "\"mgr-b\"", ",\"seq\":5");
	j = json_loads(m->data, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(j != NULL, "%s: %s", m->data, je.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "node")),
	    "mgr-b");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "seq")), 5);
	ck_assert_ptr_null(json_object_get(j, "slot"));
	ck_assert_ptr_null(json_object_get(j, "community_hex"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "source")),
	    "192.0.2.1");
	json_decref(j);
	pubm_free(m);
	json_decref(p);
	free(rb.buf);
}
END_TEST

START_TEST(rec_buffer_grows_and_is_reused)
{
	struct recbuf	 rb = { NULL, 0 };
	struct pubm	*m;
	json_t		*big, *small;
	char		*v, *want;

	v = malloc(100001);
	memset(v, 'x', 100000);
	v[100000] = '\0';
	big = json_pack("{s:s}", "value", v);
	small = json_pack("{s:i}", "n", 1);
	m = pubm_event(&rb, "s", "i", big, "\"n\"", ",\"slot\":1");
	want = by_copy(big, "n", 1);
	ck_assert_str_eq(m->data, want);
	ck_assert_uint_ge(rb.cap, 100000);
	free(want);
	pubm_free(m);
	m = pubm_event(&rb, "s", "i", small, "\"n\"", "");
	ck_assert_str_eq(m->data, "{\"n\":1,\"node\":\"n\"}");
	pubm_free(m);
	json_decref(big);
	json_decref(small);
	free(v);
	free(rb.buf);
}
END_TEST

/*
 * Records made in spares are the records made fresh, whatever the spare
 * held before: a spare big enough is made again (the same block), one
 * too small is freed for a new one, the list keeps at most its bound.
 */
START_TEST(rec_spares_made_again)
{
	struct pubm_spares sp = { NULL, 0, 0 };
	struct pubm	*m, *f, *blk;
	char		 text[1200], subj[40], id[40];
	size_t		 i, n, blkcap;

	for (i = 0; i < 40; i++) {
		/* lengths up and down, past the rounding now and then */
		n = (i * 397) % 1100;
		memcpy(text, "{\"v\":\"", 6);
		memset(text + 6, 'x', n);
		memcpy(text + 6 + n, "\"}", 2);
		n += 8;
		snprintf(subj, sizeof(subj), "snmpmgrd.c.poll.s%zu.p", i);
		snprintf(id, sizeof(id), "s%zu/p/%zu", i, i * 7);
		blk = sp.n > 0 ? sp.v[sp.n - 1].m : NULL;
		blkcap = blk != NULL ? blk->cap : 0;
		m = pubm_text_from(&sp, subj, id, text, n, "\"mgr-a\"",
		    ",\"slot\":7");
		f = pubm_text(subj, id, text, n, "\"mgr-a\"", ",\"slot\":7");
		ck_assert_ptr_nonnull(m);
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(m->subj, f->subj);
		ck_assert_str_eq(m->id, f->id);
		ck_assert_uint_eq(m->len, f->len);
		ck_assert_mem_eq(m->data, f->data, f->len + 1);
		ck_assert(!m->failed && m->token == 0);
		ck_assert_uint_ge(m->cap, strlen(subj) + strlen(id) + m->len +
		    3);
		/* a spare big enough made again (subject, id, the text
		 * with node, extra and 8 more, NULs), else a new block */
		if (blkcap >= strlen(subj) + 1 + strlen(id) + 1 + n + 7 + 8 +
		    8 + 1)
			ck_assert_ptr_eq(m, blk);
		else
			ck_assert_uint_eq(m->cap % 256, 0);
		pubm_free(f);
		m->token = 5;
		m->failed = true;
		pubm_spare_put(&sp, m, 1);
		ck_assert_uint_eq(sp.n, 1);
	}
	/* Beyond the bound: freed, not kept. */
	m = pubm_alloc("s", "i", 10);
	pubm_spare_put(&sp, m, 1);
	ck_assert_uint_eq(sp.n, 1);
	pubm_spares_free(&sp);
	ck_assert_ptr_null(sp.v);
	ck_assert_uint_eq(sp.n, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cluster_rec");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, rec_same_as_a_copy);
	tcase_add_test(tc, rec_text_same_as_tree);
	tcase_add_test(tc, rec_empty_and_escaped);
	tcase_add_test(tc, rec_members_not_twice);
	tcase_add_test(tc, rec_buffer_grows_and_is_reused);
	tcase_add_test(tc, rec_spares_made_again);
	suite_add_tcase(s, tc);
	return check_run(s);
}
