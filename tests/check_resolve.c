/*
 * check_resolve.c - the asynchronous resolver against a DNS server inside
 * the test, on loopback: answers, TTL-bounded caching, shared queries,
 * NXDOMAIN cached briefly, a server that never answers (the loop keeps
 * running meanwhile), cancellation, numeric addresses and a private hosts
 * file answered without any query.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/resolve.h"
#include "check_main.h"

enum dns_mode { DNS_ANSWER, DNS_NXDOMAIN, DNS_SILENT };

struct dns_server {
	int		 fd;
	struct event	*ev;
	enum dns_mode	 mode;
	uint32_t	 ttl;
	int		 queries;
	char		 ns[32];
};

static void
dns_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_server	*d = arg;
	uint8_t			 q[512], a[600];
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	ssize_t			 n;
	size_t			 off = 12, alen;
	uint16_t		 qtype;

	(void)what;
	if ((n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&ss,
	    &sl)) < 12)
		return;
	d->queries++;
	if (d->mode == DNS_SILENT)
		return;
	while (off < (size_t)n && q[off] != 0)
		off += q[off] + 1;
	off++;				/* the root label */
	if (off + 4 > (size_t)n)
		return;
	qtype = (uint16_t)(q[off] << 8 | q[off + 1]);
	off += 4;			/* type, class */
	memcpy(a, q, off);
	a[2] = 0x81;			/* response, recursion desired */
	a[3] = d->mode == DNS_NXDOMAIN ? 0x83 : 0x80;
	a[6] = a[7] = 0;		/* answers */
	a[8] = a[9] = a[10] = a[11] = 0;
	alen = off;
	if (d->mode == DNS_ANSWER && qtype == 1) {
		a[7] = 1;
		memcpy(a + alen, "\xc0\x0c\x00\x01\x00\x01", 6);
		alen += 6;
		a[alen++] = (uint8_t)(d->ttl >> 24);
		a[alen++] = (uint8_t)(d->ttl >> 16);
		a[alen++] = (uint8_t)(d->ttl >> 8);
		a[alen++] = (uint8_t)d->ttl;
		memcpy(a + alen, "\x00\x04\x0a\x01\x02\x03", 6);
		alen += 6;
	}
	sendto(fd, a, alen, 0, (struct sockaddr *)&ss, sl);
}

static void
dns_start(struct event_base *base, struct dns_server *d, enum dns_mode mode,
    uint32_t ttl)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);

	memset(d, 0, sizeof(*d));
	d->mode = mode;
	d->ttl = ttl;
	d->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(d->fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(d->fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(d->ns, sizeof(d->ns), "127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port));
	d->ev = event_new(base, d->fd, EV_READ | EV_PERSIST, dns_read_cb, d);
	event_add(d->ev, NULL);
}

static void
dns_stop(struct dns_server *d)
{
	event_free(d->ev);
	close(d->fd);
}

struct answer {
	int			 called;
	int			 err;
	char			 detail[160];
	char			 addr[64];
	struct event_base	*base;
	int			 stop_after;
};

static void
answer_cb(int err, const char *detail, const struct resolve_addr *a,
    void *arg)
{
	struct answer	*ans = arg;

	ans->called++;
	ans->err = err;
	if (detail != NULL)
		snprintf(ans->detail, sizeof(ans->detail), "%s", detail);
	if (a != NULL && a->ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->
		    sin_addr, ans->addr, sizeof(ans->addr));
	if (ans->base != NULL && ans->called >= ans->stop_after)
		event_base_loopbreak(ans->base);
}

static struct resolver *
mkresolver(struct event_base *base, const char *ns, uint32_t timeout_ms,
    uint32_t min_ttl)
{
	struct resolver_opts	 o;
	const char		*nss[1] = { ns };
	struct resolver		*r;

	memset(&o, 0, sizeof(o));
	o.nameservers = nss;
	o.nnameservers = 1;
	o.hosts = "";
	o.timeout_ms = timeout_ms;
	o.min_ttl_s = min_ttl;
	o.neg_ttl_s = 30;
	r = resolver_new(base, &o);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void
run(struct event_base *base, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

START_TEST(resolve_numeric_and_hosts_file_need_no_query)
{
	struct event_base	*base = event_base_new();
	struct dns_server	 d;
	struct resolver_opts	 o;
	const char		*nss[1];
	struct resolver		*r;
	struct resolve_addr	 a;
	char			 path[] = "/tmp/check_resolve_hostsXXXXXX";
	int			 fd;

	dns_start(base, &d, DNS_ANSWER, 60);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(write(fd, "# test\n192.0.2.7  agent7 a7\n"
	    "::1 six\n", 36), 0);
	close(fd);
	memset(&o, 0, sizeof(o));
	nss[0] = d.ns;
	o.nameservers = nss;
	o.nnameservers = 1;
	o.hosts = path;
	r = resolver_new(base, &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(resolve_now(r, "127.0.0.9", AF_UNSPEC, &a, NULL), 1);
	ck_assert_int_eq(a.ss.ss_family, AF_INET);
	ck_assert_int_eq(resolve_now(r, "::1", AF_INET6, &a, NULL), 1);
	ck_assert_int_eq(a.ss.ss_family, AF_INET6);
	ck_assert_int_eq(resolve_now(r, "A7", AF_UNSPEC, &a, NULL), 1);
	ck_assert_int_eq(a.ss.ss_family, AF_INET);
	ck_assert_int_eq(resolve_now(r, "six", AF_INET6, &a, NULL), 1);
	ck_assert_int_eq(resolve_now(r, "agent7", AF_INET6, &a, NULL), 0);
	ck_assert_int_eq(d.queries, 0);
	resolver_free(r);
	unlink(path);
	dns_stop(&d);
	event_base_free(base);
}
END_TEST

START_TEST(resolve_answer_is_cached_and_shared)
{
	struct event_base	*base = event_base_new();
	struct dns_server	 d;
	struct resolver		*r;
	struct answer		 x, y;
	struct resolve_addr	 a;

	dns_start(base, &d, DNS_ANSWER, 300);
	r = mkresolver(base, d.ns, 2000, 1);
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	x.base = base;
	x.stop_after = 1;
	ck_assert_int_eq(resolve_now(r, "agent.test", AF_INET, &a, NULL), 0);
	ck_assert_ptr_nonnull(resolve_start(r, "agent.test", AF_INET,
	    answer_cb, &x));
	ck_assert_ptr_nonnull(resolve_start(r, "AGENT.test", AF_INET,
	    answer_cb, &y));
	ck_assert_int_eq(x.called, 0);		/* never from inside start */
	run(base, 3000);
	run(base, 50);
	ck_assert_int_eq(x.called, 1);
	ck_assert_int_eq(y.called, 1);
	ck_assert_int_eq(x.err, 0);
	ck_assert_str_eq(x.addr, "10.1.2.3");
	ck_assert_str_eq(y.addr, "10.1.2.3");
	ck_assert_int_eq(d.queries, 1);
	ck_assert_int_eq(resolve_now(r, "agent.test", AF_INET, &a, NULL), 1);
	ck_assert_int_eq(d.queries, 1);
	resolver_free(r);
	dns_stop(&d);
	event_base_free(base);
}
END_TEST

START_TEST(resolve_ttl_expiry_asks_again)
{
	struct event_base	*base = event_base_new();
	struct dns_server	 d;
	struct resolver		*r;
	struct answer		 x;
	struct resolve_addr	 a;

	dns_start(base, &d, DNS_ANSWER, 1);
	r = mkresolver(base, d.ns, 2000, 1);
	memset(&x, 0, sizeof(x));
	x.base = base;
	x.stop_after = 1;
	ck_assert_ptr_nonnull(resolve_start(r, "short.test", AF_INET,
	    answer_cb, &x));
	run(base, 3000);
	ck_assert_int_eq(x.called, 1);
	ck_assert_int_eq(resolve_now(r, "short.test", AF_INET, &a, NULL), 1);
	sleep(2);
	ck_assert_int_eq(resolve_now(r, "short.test", AF_INET, &a, NULL), 0);
	resolver_free(r);
	dns_stop(&d);
	event_base_free(base);
}
END_TEST

START_TEST(resolve_nxdomain_fails_and_is_cached)
{
	struct event_base	*base = event_base_new();
	struct dns_server	 d;
	struct resolver		*r;
	struct answer		 x;
	struct resolve_addr	 a;
	const char		*detail = NULL;

	dns_start(base, &d, DNS_NXDOMAIN, 60);
	r = mkresolver(base, d.ns, 2000, 1);
	memset(&x, 0, sizeof(x));
	x.base = base;
	x.stop_after = 1;
	ck_assert_ptr_nonnull(resolve_start(r, "nosuch.test", AF_INET,
	    answer_cb, &x));
	run(base, 3000);
	ck_assert_int_eq(x.called, 1);
	ck_assert_int_eq(x.err, ENOENT);
	ck_assert_ptr_nonnull(strstr(x.detail, "nosuch.test"));
	ck_assert_int_eq(resolve_now(r, "nosuch.test", AF_INET, &a, &detail),
	    -1);
	ck_assert_ptr_nonnull(detail);
	ck_assert_int_eq(d.queries, 1);
	resolver_free(r);
	dns_stop(&d);
	event_base_free(base);
}
END_TEST

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(*(int *)arg)++;
}

START_TEST(resolve_silent_server_times_out_without_stalling)
{
	struct event_base	*base = event_base_new();
	struct dns_server	 d;
	struct resolver		*r;
	struct answer		 x;
	struct event		*tick;
	struct timeval		 ten_ms = { 0, 10000 };
	int			 ticks = 0;

	dns_start(base, &d, DNS_SILENT, 60);
	r = mkresolver(base, d.ns, 400, 1);
	tick = event_new(base, -1, EV_PERSIST, tick_cb, &ticks);
	event_add(tick, &ten_ms);
	memset(&x, 0, sizeof(x));
	x.base = base;
	x.stop_after = 1;
	ck_assert_ptr_nonnull(resolve_start(r, "slow.example.com", AF_INET,
	    answer_cb, &x));
	run(base, 5000);
	ck_assert_int_eq(x.called, 1);
	ck_assert_int_eq(x.err, ETIMEDOUT);
	/* The loop ran its 10 ms timer all along: about 40 times. */
	ck_assert_int_ge(ticks, 20);
	ck_assert_int_le(ticks, 200);
	ck_assert_int_ge(d.queries, 1);
	event_free(tick);
	resolver_free(r);
	dns_stop(&d);
	event_base_free(base);
}
END_TEST

START_TEST(resolve_cancelled_waiter_is_not_called)
{
	struct event_base	*base = event_base_new();
	struct dns_server	 d;
	struct resolver		*r;
	struct answer		 x, y;
	struct resolve_req	*q;

	dns_start(base, &d, DNS_ANSWER, 60);
	r = mkresolver(base, d.ns, 2000, 1);
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	y.base = base;
	y.stop_after = 1;
	q = resolve_start(r, "agent.test", AF_INET, answer_cb, &x);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(resolve_start(r, "agent.test", AF_INET,
	    answer_cb, &y));
	resolve_cancel(q);
	run(base, 3000);
	ck_assert_int_eq(x.called, 0);
	ck_assert_int_eq(y.called, 1);
	/* Freeing with a lookup still out calls nobody back. */
	ck_assert_ptr_nonnull(resolve_start(r, "other.test", AF_INET,
	    answer_cb, &x));
	resolver_free(r);
	run(base, 100);
	ck_assert_int_eq(x.called, 0);
	dns_stop(&d);
	event_base_free(base);
}
END_TEST

START_TEST(resolve_private_resolv_conf_must_be_readable)
{
	struct event_base	*base = event_base_new();
	struct resolver_opts	 o;

	memset(&o, 0, sizeof(o));
	o.resolv_conf = "/nonexistent/resolv.conf";
	o.hosts = "";
	ck_assert_ptr_null(resolver_new(base, &o));
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("evdns");

	tcase_add_test(tc, resolve_numeric_and_hosts_file_need_no_query);
	tcase_add_test(tc, resolve_answer_is_cached_and_shared);
	tcase_add_test(tc, resolve_ttl_expiry_asks_again);
	tcase_add_test(tc, resolve_nxdomain_fails_and_is_cached);
	tcase_add_test(tc, resolve_silent_server_times_out_without_stalling);
	tcase_add_test(tc, resolve_cancelled_waiter_is_not_called);
	tcase_add_test(tc, resolve_private_resolv_conf_must_be_readable);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return check_run(s);
}
