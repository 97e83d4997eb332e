/*
 * methods.h - the JSON-RPC method table of the control socket.
 *
 * Each entry names a method and its handler.  A handler reads params
 * (always an object), then fills in a result or an error on r and returns
 * CTL_DONE, or starts an SNMP operation and returns CTL_PENDING (see
 * control.h).  Handlers never write replies themselves.  They live by
 * namespace: m_daemon.c, m_events.c, m_poll.c, m_request.c, m_session.c,
 * m_snmp.c, m_trap.c and m_v3.c (usm.* and snmp.discover).
 */
#ifndef SNMPMGRD_METHODS_H
#define SNMPMGRD_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

struct daemon;
struct ctl_req;
struct dsess;
struct oid;
struct sess;
struct snmp_varbind;

typedef int	 method_fn(struct daemon *d, struct ctl_req *r,
		    json_t *params);

/* The method takes no params; any key is an invalid-params error. */
#define METHOD_NOPARAMS		0x01

struct method {
	const char	*name;
	method_fn	*fn;
	int		 flags;
};

/* The entry for name, or NULL. */
const struct method *method_find(const char *name);

/* m_daemon.c */
method_fn	 m_daemon_reload;
method_fn	 m_daemon_stats;
method_fn	 m_daemon_status;
/* m_events.c */
method_fn	 m_events_subscribe;
method_fn	 m_events_unsubscribe;
/* m_poll.c */
method_fn	 m_poll_reset;
method_fn	 m_poll_results;
method_fn	 m_poll_run;
method_fn	 m_poll_value;
/* m_request.c */
method_fn	 m_request_cancel;
/* m_session.c */
method_fn	 m_session_add;
method_fn	 m_session_config;
method_fn	 m_session_disable;
method_fn	 m_session_enable;
method_fn	 m_session_interrupt;
method_fn	 m_session_list;
method_fn	 m_session_remove;
method_fn	 m_session_show;
/* m_snmp.c */
method_fn	 m_snmp_get;
method_fn	 m_snmp_getbulk;
method_fn	 m_snmp_getnext;
method_fn	 m_snmp_inform;
method_fn	 m_snmp_set;
method_fn	 m_snmp_trap;
method_fn	 m_snmp_walk;
/* m_trap.c */
method_fn	 m_trap_list;
method_fn	 m_trap_stats;
/* m_v3.c */
method_fn	 m_snmp_discover;
method_fn	 m_usm_hash;

/*
 * Reading params (methods.c).  The optional ones answer 1 when given, 0
 * when absent (or null), -1 with the error set on r.
 */
/* Every key of params must be one of keys (NULL-terminated).  0 or -1. */
int		 param_only_keys(struct ctl_req *r, json_t *params,
		    const char *const *keys);
/* A number or decimal string in 0..max. */
int		 param_uint(struct ctl_req *r, json_t *params, const char *key,
		    uint64_t max, uint64_t *out);
/* true or false; *out is left alone when absent. */
int		 param_bool(struct ctl_req *r, json_t *params, const char *key,
		    bool *out);
/* true or false; *out is false when absent. */
int		 param_flag(struct ctl_req *r, json_t *params, const char *key,
		    bool *out);
int		 param_oid(struct ctl_req *r, json_t *params, const char *key,
		    struct oid *o);
int		 param_str(struct ctl_req *r, json_t *params, const char *key,
		    const char **out);
/* params.session: a configured session.  NULL with the error set. */
struct dsess	*param_session(struct daemon *d, struct ctl_req *r,
		    json_t *params);

/*
 * methods_parse_varbind reads one {"oid", "type", "value"} of snmp.set
 * into vb (octets in *mem, the caller frees them); 0, or -1 with the
 * error set on r.
 */
int		 methods_parse_varbind(struct ctl_req *r, size_t i,
		    json_t *jv, struct snmp_varbind *vb, uint8_t **mem);

/* Hook the session engine's v3 reports and discoveries to events
 * (m_v3.c). */
void		 methods_v3_init(struct daemon *d);

#endif /* SNMPMGRD_METHODS_H */
