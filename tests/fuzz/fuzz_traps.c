/*
 * fuzz_traps.c - libFuzzer target for the trap receiver's datagram path,
 * trapproc_input() (daemon/trap_rx.c): v1/v2c community checks, the v3
 * USM receive path in both roles, records and replies; and the same
 * octets as a message out of a DTLS association, trapproc_input_tsm()
 * (daemon/trap_tsm.c: TSM, RFC 5343 probes).
 *
 * Whatever comes in: an accepted datagram's record must be one valid JSON
 * object, and any reply must decode as an SNMP message.  Fixed community,
 * users and engine, a clock that moves with the input so time windows are
 * exercised.  Build with `make fuzz-traps` (clang, libFuzzer).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/pdu.h"
#include "core/usm.h"
#include "daemon/mib.h"
#include "daemon/trap_rx.h"

/*
 * No MIB set is loaded here (records carry no names), so render.c's calls
 * into daemon/mib.c never happen; these stand in for them at link time.
 */
struct mib *mib_current(void) { return NULL; }
const struct mib_node *mib_lookup(const struct mib *m, const struct oid *o,
    size_t *plen) { (void)m; (void)o; (void)plen; abort(); }
bool mib_node_is_object(const struct mib_node *n) { (void)n; abort(); }
size_t mib_name_instance(const struct mib_node *n, const struct oid *o,
    size_t plen, struct mib_index_item *items, size_t max, int *nitems,
    char *buf, size_t size) { (void)n; (void)o; (void)plen; (void)items;
    (void)max; (void)nitems; (void)buf; (void)size; abort(); }
bool mib_node_plain_name(const struct mib_node *n, const char **name,
    size_t *namelen, size_t *nindex) { (void)n; (void)name; (void)namelen;
    (void)nindex; abort(); }
const char *mib_node_index_label(const struct mib_node *n, size_t i,
    size_t *len) { (void)n; (void)i; (void)len; abort(); }
const char *mib_enum_label(const struct mib_node *n, int64_t v)
    { (void)n; (void)v; abort(); }
size_t mib_display(const struct mib_node *n, const struct snmp_value *v,
    char *buf, size_t size) { (void)n; (void)v; (void)buf; (void)size;
    abort(); }
bool mib_display_is_self(const struct mib_node *n,
    const struct snmp_value *v) { (void)n; (void)v; abort(); }

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t ours[] = { 0x80, 0x00, 0x1f, 0x88, 0x04, 'f', 'u', 'z',
	'z' };
static struct trapproc		*tp;
static struct snmp_varbind	 rvb[SNMPMGR_MAX_VARBINDS];

static void
fuzz_init(void)
{
	struct usm_cred_params	 p;

	usm_init();
	if ((tp = trapproc_new(64, 64)) == NULL ||
	    trapproc_add_community(tp, "public") == -1)
		abort();
	trapproc_set_engine(tp, ours, sizeof(ours), 5, 0);
	memset(&p, 0, sizeof(p));
	p.user = "alice";
	p.auth = USM_AUTH_SHA;
	p.auth_password = "alicepass1";
	p.priv = USM_PRIV_AES;
	p.priv_password = "alicepriv1";
	if (trapproc_add_user(tp, &p, NULL, NULL, 0) == -1)
		abort();
	memset(&p, 0, sizeof(p));
	p.user = "nobody";
	if (trapproc_add_user(tp, &p, NULL, NULL, 0) == -1)
		abort();
}

/* A record must be one JSON object, a reply an SNMP message. */
static void
fuzz_check(const struct trapproc_out *out)
{
	struct snmp_msg		 m;
	json_t			*j;

	if (out->verdict == TRAPPROC_ACCEPT) {
		if ((j = json_loadb(out->rec, out->reclen, 0, NULL)) == NULL ||
		    !json_is_object(j))
			abort();
		json_decref(j);
	}
	if (out->reply != NULL) {
		m.pdu.vb = rvb;
		m.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
		if (snmp_msg_decode(out->reply, out->replylen, &m) == -1)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trapproc_tls	 tls = { "dtls", "fuzz\"name", "sha256:00",
		size > 0 && (data[0] & 1) };
	struct trapproc_out	 out;
	struct sockaddr_in	 sin;

	if (tp == NULL)
		fuzz_init();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(162);
	trapproc_input_tsm(tp, data, size, (struct sockaddr *)&sin, &tls,
	    "2026-11-21T10:00:00.000000Z", "dtls:0.0.0.0:10162", &out);
	fuzz_check(&out);
	trapproc_input(tp, data, size, (struct sockaddr *)&sin,
	    "2026-11-21T10:00:00.000000Z", "udp:0.0.0.0:162",
	    size > 0 ? data[size - 1] : 0, &out);
	fuzz_check(&out);
	return 0;
}
