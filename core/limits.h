/*
 * limits.h - every bound snmpmgrd enforces, in one place.
 *
 * Anything read from the network, a config file or the control socket is
 * checked against one of these before it is used.  Change a bound here and
 * nowhere else.
 */
#ifndef SNMPMGR_LIMITS_H
#define SNMPMGR_LIMITS_H

/* Sub-identifiers in one OBJECT IDENTIFIER (RFC 2578 3.5 allows 128). */
#define SNMPMGR_MAX_OID_LEN		128
/* Longest dotted OID text: 128 arcs of up to 10 digits plus dots. */
#define SNMPMGR_MAX_OID_STR		(SNMPMGR_MAX_OID_LEN * 11 + 1)
/* Nesting of constructed BER elements in one SNMP message. */
#define SNMPMGR_MAX_BER_DEPTH		8
/* Octets in a BER length field (definite form, long). */
#define SNMPMGR_MAX_BER_LEN_OCTETS	4
/* Content octets of an INTEGER-like value, redundant leading ones
 * included: a 64-bit unsigned value and its 0x00 (Net-SNMP's bound). */
#define SNMPMGR_MAX_BER_INT_OCTETS	9
/* Varbinds in one PDU we decode or encode. */
#define SNMPMGR_MAX_VARBINDS		2048
/* Largest SNMP message we send or accept (UDP payload limit). */
#define SNMPMGR_MAX_MSG_SIZE		65507
/* Largest SNMP message taken from a TCP stream (RFC 3430): the same as
 * over UDP, so every message fits the session engine's buffers; a longer
 * length prefix closes the connection. */
#define SNMPMGR_MAX_TCP_MSG		SNMPMGR_MAX_MSG_SIZE
/* SNMP over DTLS (RFC 6353 5.1.2): one message per record, so at most a
 * record's plaintext; datagrams queued out of, and messages waiting in,
 * one association; octets of a peer's address key (a sockaddr). */
#define SNMPMGR_MAX_DTLS_MSG		16384
#define SNMPMGR_MAX_DTLS_QUEUE		64
#define SNMPMGR_MAX_DTLS_PEER		128
/* Receive buffer for one datagram (one more than the largest message, so
 * truncation is detectable). */
#define SNMPMGR_MAX_DGRAM		65536
/* Community string octets. */
#define SNMPMGR_MAX_COMMUNITY_LEN	255
/* snmpEngineID octets (RFC 3411: 5..32). */
#define SNMPMGR_MIN_ENGINE_ID_LEN	5
#define SNMPMGR_MAX_ENGINE_ID_LEN	32
/* USM user name octets (RFC 3414: SnmpAdminString (SIZE(1..32))). */
#define SNMPMGR_MAX_USER_LEN		32
/* securityName / tmSecurityName octets, transport prefix included
 * (RFC 3411 SnmpAdminString (SIZE(1..32)), RFC 5591 5.2, RFC 6353 7.3). */
#define SNMPMGR_MAX_SECNAME_LEN		32
/* contextName octets (RFC 3411 SnmpAdminString (SIZE(0..32))). */
#define SNMPMGR_MAX_CONTEXT_LEN		32
/* getbulk max-repetitions we accept from users. */
#define SNMPMGR_MAX_REPETITIONS		1000
/* Answers in a row that bring a walk no new object (empty, or only a
 * non-increasing OID without inside_range) before it gives up with 320:
 * enough to halve max-repetitions from 1000 down to 1 and try GetNext. */
#define SNMPMGR_MAX_WALK_FRUITLESS	16
/* A walk whose max-repetitions the caller did not fix grows it while
 * answers come back full, up to this (and to half the smaller of our
 * msg_max_size and the agent's msgMaxSize, at the sizes seen). */
#define SNMPMGR_WALK_MAX_ADAPTIVE	256
/* After an adaptive walk's GetBulk timed out and a smaller one came in
 * time, the session's next walks grow no further than that for this many
 * walks; then one may grow again (and pays one timeout if the agent is
 * still slow on large answers). */
#define SNMPMGR_WALK_CEIL_WALKS		64
/* Columns one table walk takes, and how many of them one request asks
 * for (the others wait until those end). */
#define SNMPMGR_MAX_TABLE_COLUMNS	256
#define SNMPMGR_TABLE_REQ_COLUMNS	32
/* Requests outstanding on one session at once. */
#define SNMPMGR_MAX_SESSION_PENDING	64
/* Requests outstanding in the whole manager at once. */
#define SNMPMGR_MAX_PENDING		65536
/* Retries of one request. */
#define SNMPMGR_MAX_RETRIES		20
/* Longest per-request timeout, in milliseconds (1 hour). */
#define SNMPMGR_MAX_TIMEOUT_MS		3600000
/* Datagrams read per readiness event (recvmmsg batch). */
#define SNMPMGR_MAX_RECV_BATCH		64

/* Trap receiver: sender engines tracked (boots/time), localized keys
 * cached, inform acknowledgements waiting for a journal sync. */
#define SNMPMGR_MAX_TRAP_ENGINES	16384
#define SNMPMGR_MAX_TRAP_KEYS		16384
#define SNMPMGR_MAX_TRAP_ACKS		65536
/* Sender engines a trap user may teach the receiver: a token bucket per
 * user of this many, refilled at this many a second.  Past it, traps from
 * engines not yet tracked are refused (engine_rate_limited), so a flood
 * of engine IDs cannot churn the engine table. */
#define SNMPMGR_MAX_TRAP_ENGINE_BURST	256
#define SNMPMGR_MAX_TRAP_ENGINE_RATE	32
/* Reports the trap receiver sends (discovery answers and the like): a
 * token bucket per source prefix (/24 IPv4, /64 IPv6) of this many,
 * refilled at this many a second, in a table of this many prefixes (a
 * power of two, 4 or more). */
#define SNMPMGR_MAX_TRAP_REPORT_BURST	64
#define SNMPMGR_MAX_TRAP_REPORT_RATE	16
#define SNMPMGR_MAX_TRAP_REPORT_PREFIXES	4096
/* DTLS trap listeners (RFC 6353): associations and handshakes in progress
 * each may hold at most (traps.tls max_associations / max_handshakes may
 * ask for fewer; these are the defaults' ceilings). */
#define SNMPMGR_MAX_TRAP_DTLS_ASSOCS	65536
#define SNMPMGR_MAX_TRAP_DTLS_HANDSHAKES	4096
/* TCP trap listeners (RFC 3430): connections each may hold at most
 * (traps.tcp max_connections may ask for fewer). */
#define SNMPMGR_MAX_TRAP_TCP_CONNECTIONS	65536

/* Inline SNMPv3 targets: credentials kept between requests, and agent
 * addresses whose engine (ID, boots, time) is remembered (v3cache.h). */
#define SNMPMGR_MAX_INLINE_CREDS	64
#define SNMPMGR_MAX_INLINE_ENGINES	1024

/* Host names (RFC 1035: 255 octets) and the resolver's cache of them. */
#define SNMPMGR_MAX_HOSTNAME		255
#define SNMPMGR_MAX_RESOLVE_CACHE	262144

/* Cluster mode: NATS server URLs in cluster.nats.servers. */
#define SNMPMGR_MAX_NATS_SERVERS	32

/* Control socket: one request line, and queued output per connection. */
#define SNMPMGR_MAX_CTL_LINE		(1024 * 1024)
#define SNMPMGR_MAX_CTL_OUTPUT		(16 * 1024 * 1024)
/* Output queued before a streaming walk pauses for the client to read. */
#define SNMPMGR_CTL_STREAM_HIGH		(256 * 1024)
/* Control connections at once. */
#define SNMPMGR_MAX_CTL_CLIENTS		256
/* Of those, slots only root and the daemon's own user may take, so an
 * administrator always gets in however many other users connect. */
#define SNMPMGR_CTL_RESERVED_CLIENTS	16
/* Connections of one other user (the peer's uid, SO_PEERCRED) at once. */
#define SNMPMGR_MAX_CTL_CLIENTS_PER_UID	64
/* A connection with nothing in flight, no open event stream and no
 * request for this long is closed (config control.idle_timeout; 0 is
 * never); one that started a request line and did not finish it within
 * the line timeout is closed (control.line_timeout).  Milliseconds. */
#define SNMPMGR_CTL_IDLE_TIMEOUT	(300 * 1000)
#define SNMPMGR_CTL_LINE_TIMEOUT	(30 * 1000)
#define SNMPMGR_MAX_CTL_TIMEOUT		(24 * 3600 * 1000)
/* Control requests in flight (open event streams included), per client
 * and in all; past them a request is answered 307 at once. */
#define SNMPMGR_MAX_CTL_CLIENT_REQUESTS	16384
#define SNMPMGR_MAX_CTL_REQUESTS	65536
/* Event subscriptions open at once. */
#define SNMPMGR_MAX_SUBSCRIPTIONS	1024
/* JSON nesting in a control request or config file. */
#define SNMPMGR_MAX_JSON_DEPTH		32

/* Config: file size, sessions, polls, include files. */
#define SNMPMGR_MAX_CONFIG_SIZE		(64 * 1024 * 1024)
#define SNMPMGR_MAX_SESSIONS		200000
#define SNMPMGR_MAX_INCLUDES		1024
/* Session and poll names. */
#define SNMPMGR_MAX_NAME_LEN		128

/* MIB loading (daemon/mib_probe.c): a child reads the modules first; one
 * libsmi is still reading after this long is taken as hung and skipped,
 * and a "mibs" section whose reading takes longer in all is refused.
 * The caller (start-up, reload, -t) waits that long at most.  ms. */
#define SNMPMGR_MAX_MIB_MODULE_MS	5000
#define SNMPMGR_MAX_MIB_PROBE_MS	20000
/* Address space for one loaded MIB set (daemon/mib_int.h), of which
 * only what the set uses takes memory. */
#define SNMPMGR_MAX_MIB_SET		((size_t)1 << 30)

#endif /* SNMPMGR_LIMITS_H */
