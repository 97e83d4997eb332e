/*
 * packets.h - what the daemon tells about the datagrams of its manager
 * sessions: "trace" events (SPEC.md 4 on_packet_trace) for sessions a
 * subscriber asked to trace, "bad-packet" events and counters for what
 * the session engine dropped (SPEC.md 4 on_bad_packet), and how much of
 * a session's secrets traces and session.show reveal (SPEC.md 2
 * mask_sensitive_data, decrypt_trace).
 */
#ifndef SNMPMGRD_PACKETS_H
#define SNMPMGRD_PACKETS_H

#include <stdbool.h>

typedef struct json_t json_t;

struct daemon;
struct dsess;
struct packets;

/*
 * Hook the session engine's bad-packet callback, and its trace hooks
 * whenever someone subscribes to "trace".  Needs d->mgr and d->events.
 * NULL when memory runs out (logged).
 */
struct packets	*packets_new(struct daemon *d);
/* Unhook and free.  NULL is fine. */
void		 packets_free(struct packets *pk);

/*
 * The session's mask_sensitive_data (default true) and decrypt_trace
 * (default false): as changed at run time, else as configured.  ds NULL
 * (an inline target): the defaults.
 */
bool		 packets_mask(const struct dsess *ds);
bool		 packets_decrypt_trace(const struct dsess *ds);
/*
 * session.config: take mask_sensitive_data and decrypt_trace from the
 * options object obj when present (they are checked already).
 */
void		 packets_set_opts(struct dsess *ds, const json_t *obj);
/*
 * The options of ds for session.show and session.config: secrets as
 * "***" unless the session's mask_sensitive_data is false (then keys in
 * hex; passwords are never kept once hashed), with mask_sensitive_data
 * and decrypt_trace.  New reference or NULL.
 */
json_t		*packets_opts_json(const struct dsess *ds);
/* session.show: "last_bad_packet" ({"time", "code", "message"}) when
 * the session had one; adds it to res.  0 or -1. */
int		 packets_show_json(const struct dsess *ds, json_t *res);

/* {"bad_packets", "bad_packets_by_code": {CODE: n}, "traces"} for
 * daemon.stats' "engine".  New reference or NULL. */
json_t		*packets_stats_json(const struct packets *pk);

#endif /* SNMPMGRD_PACKETS_H */
