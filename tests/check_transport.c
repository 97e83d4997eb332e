/*
 * check_transport.c - addresses as text (core/transport.c), the one
 * formatter of the library and the daemon: IPv4 (the dotted quad written
 * by hand, against inet_ntop), IPv6, v4-mapped IPv6, a scoped IPv6
 * address with and without its scope (against getnameinfo, which the
 * session engine's messages used), an unknown family, short lengths and
 * short buffers.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <check.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "core/transport.h"
#include "check_main.h"

static struct sockaddr_in
sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6
sin6(const char *ip, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6	 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	sin6.sin6_scope_id = scope;
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	return sin6;
}

/* "host:port" or "[host]:port" as getnameinfo writes them. */
static void
gni(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char	 host[NI_MAXHOST], port[NI_MAXSERV];

	ck_assert_int_eq(getnameinfo(sa, len, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV), 0);
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, port);
}

START_TEST(transport_addr_ipv4)
{
	struct sockaddr_in	 a = sin4("192.0.2.1", 161);
	char			 buf[TRANSPORT_ADDRSTRLEN], ref[64];
	unsigned		 port = 7;

	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&a,
	    sizeof(a), false, buf, sizeof(buf)), 13);
	ck_assert_str_eq(buf, "192.0.2.1:161");
	ck_assert_int_eq(transport_addr_host((struct sockaddr *)&a,
	    sizeof(a), true, buf, sizeof(buf), &port), 9);
	ck_assert_str_eq(buf, "192.0.2.1");
	ck_assert_uint_eq(port, 161);
	a = sin4("0.0.0.0", 0);
	transport_addr_str((struct sockaddr *)&a, sizeof(a), false, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "0.0.0.0:0");
	a = sin4("255.255.255.255", 65535);
	gni((struct sockaddr *)&a, sizeof(a), ref, sizeof(ref));
	transport_addr_str((struct sockaddr *)&a, sizeof(a), true, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, ref);
	ck_assert_str_eq(buf, "255.255.255.255:65535");
}
END_TEST

/* The dotted quad by hand is inet_ntop's, every octet value in every
 * place. */
START_TEST(transport_ipv4_by_hand_is_inet_ntop)
{
	uint8_t		 ip[4];
	char		 buf[INET_ADDRSTRLEN], ref[INET_ADDRSTRLEN];
	unsigned	 i;
	int		 n;

	for (i = 0; i < 65536; i++) {
		ip[0] = (uint8_t)(i >> 8);
		ip[1] = (uint8_t)i;
		ip[2] = (uint8_t)(i * 7);
		ip[3] = (uint8_t)(i * 13 + 5);
		n = transport_ip_str(AF_INET, ip, buf, sizeof(buf));
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, ip, ref,
		    sizeof(ref)));
		ck_assert_str_eq(buf, ref);
		ck_assert_int_eq(n, (int)strlen(ref));
	}
}
END_TEST

START_TEST(transport_addr_ipv6_and_v4_mapped)
{
	struct sockaddr_in6	 a = sin6("2001:db8::1", 162, 0);
	char			 buf[TRANSPORT_ADDRSTRLEN], ref[128];
	unsigned		 port;

	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&a,
	    sizeof(a), false, buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "[2001:db8::1]:162");
	a = sin6("::1", 162, 0);
	transport_addr_str((struct sockaddr *)&a, sizeof(a), false, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "[::1]:162");
	/* A v4-mapped address keeps its IPv6 spelling. */
	a = sin6("::ffff:192.0.2.1", 161, 0);
	transport_addr_host((struct sockaddr *)&a, sizeof(a), false, buf,
	    sizeof(buf), &port);
	ck_assert_str_eq(buf, "::ffff:192.0.2.1");
	ck_assert_uint_eq(port, 161);
	transport_addr_str((struct sockaddr *)&a, sizeof(a), true, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "[::ffff:192.0.2.1]:161");
	gni((struct sockaddr *)&a, sizeof(a), ref, sizeof(ref));
	ck_assert_str_eq(buf, ref);
	/* The longest host part there is. */
	a = sin6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535, 0);
	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&a,
	    sizeof(a), false, buf, sizeof(buf)), 47);
	ck_assert_str_eq(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}
END_TEST

/* sa as text with its scope: want, and what getnameinfo writes. */
static void
scoped_is(const struct sockaddr_in6 *a, const char *want)
{
	char	 buf[TRANSPORT_ADDRSTRLEN], ref[128];

	ck_assert_int_eq(transport_addr_str((const struct sockaddr *)a,
	    sizeof(*a), true, buf, sizeof(buf)), (int)strlen(want));
	ck_assert_str_eq(buf, want);
	gni((const struct sockaddr *)a, sizeof(*a), ref, sizeof(ref));
	ck_assert_str_eq(buf, ref);
}

START_TEST(transport_addr_scoped_ipv6)
{
	unsigned		 lo = if_nametoindex("lo");
	struct sockaddr_in6	 a;
	char			 buf[TRANSPORT_ADDRSTRLEN];
	unsigned		 port;

	ck_assert_uint_ne(lo, 0);
	a = sin6("fe80::1", 161, lo);
	/* Without the scope, as the daemon's events and views write it. */
	transport_addr_str((struct sockaddr *)&a, sizeof(a), false, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "[fe80::1]:161");
	/* With it, as the session engine's messages do (getnameinfo's). */
	ck_assert_int_eq(transport_addr_host((struct sockaddr *)&a,
	    sizeof(a), true, buf, sizeof(buf), &port), 10);
	ck_assert_str_eq(buf, "fe80::1%lo");
	ck_assert_uint_eq(port, 161);
	scoped_is(&a, "[fe80::1%lo]:161");
	a = sin6("ff02::1", 162, lo);
	scoped_is(&a, "[ff02::1%lo]:162");
	/* A scope on an address that is not link-local, and an interface
	 * that does not exist: the number, as getnameinfo writes it. */
	a = sin6("2001:db8::1", 161, 7);
	scoped_is(&a, "[2001:db8::1%7]:161");
	a = sin6("fe80::1", 161, 4000000000u);
	scoped_is(&a, "[fe80::1%4000000000]:161");
	/* Scope 0: nothing. */
	a = sin6("fe80::1", 161, 0);
	scoped_is(&a, "[fe80::1]:161");
}
END_TEST

START_TEST(transport_addr_unknown_family_null_and_short)
{
	struct sockaddr_un	 un;
	struct sockaddr_in	 a = sin4("192.0.2.1", 161);
	struct sockaddr_in6	 b = sin6("2001:db8::1", 161, 0);
	char			 buf[TRANSPORT_ADDRSTRLEN];
	unsigned		 port = 7;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "/tmp/x");
	ck_assert_int_eq(transport_addr_host((struct sockaddr *)&un,
	    sizeof(un), false, buf, sizeof(buf), &port), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&un,
	    sizeof(un), false, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "?");
	ck_assert_uint_eq(transport_addr_len((struct sockaddr *)&un), 0);
	ck_assert_int_eq(transport_ip_str(AF_UNIX, "abcd", buf, sizeof(buf)),
	    -1);
	ck_assert_str_eq(buf, "");
	/* NULL */
	port = 7;
	ck_assert_int_eq(transport_addr_host(NULL, 0, false, buf,
	    sizeof(buf), &port), -1);
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(transport_addr_str(NULL, 0, false, buf,
	    sizeof(buf)), -1);
	ck_assert_str_eq(buf, "?");
	ck_assert_uint_eq(transport_addr_len(NULL), 0);
	/* A length short of the family's sockaddr. */
	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&a,
	    sizeof(a) - 1, false, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "?");
	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&b,
	    sizeof(struct sockaddr_in), false, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "?");
	ck_assert_uint_eq(transport_addr_len((struct sockaddr *)&a),
	    sizeof(a));
	ck_assert_uint_eq(transport_addr_len((struct sockaddr *)&b),
	    sizeof(b));
}
END_TEST

START_TEST(transport_addr_short_buffers)
{
	struct sockaddr_in	 a = sin4("192.0.2.100", 161);
	uint8_t			 ip[4] = { 255, 255, 255, 255 };
	char			 buf[32];

	/* The host part fits or fails, NUL-terminated either way. */
	ck_assert_int_eq(transport_ip_str(AF_INET, ip, buf, 16), 15);
	ck_assert_str_eq(buf, "255.255.255.255");
	ck_assert_int_eq(transport_ip_str(AF_INET, ip, buf, 15), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(transport_ip_str(AF_INET, ip, buf, 0), -1);
	ck_assert_int_eq(transport_addr_host((struct sockaddr *)&a,
	    sizeof(a), false, buf, 12, NULL), 11);
	ck_assert_str_eq(buf, "192.0.2.100");
	ck_assert_int_eq(transport_addr_host((struct sockaddr *)&a,
	    sizeof(a), false, buf, 11, NULL), -1);
	ck_assert_str_eq(buf, "");
	/* The whole text is cut as snprintf cuts, and counted so. */
	ck_assert_int_eq(transport_addr_str((struct sockaddr *)&a,
	    sizeof(a), false, buf, 8), 15);
	ck_assert_str_eq(buf, "192.0.2");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("transport");
	TCase	*tc = tcase_create("address text");

	tcase_add_test(tc, transport_addr_ipv4);
	tcase_add_test(tc, transport_ipv4_by_hand_is_inet_ntop);
	tcase_add_test(tc, transport_addr_ipv6_and_v4_mapped);
	tcase_add_test(tc, transport_addr_scoped_ipv6);
	tcase_add_test(tc, transport_addr_unknown_family_null_and_short);
	tcase_add_test(tc, transport_addr_short_buffers);
	suite_add_tcase(s, tc);
	return check_run(s);
}
