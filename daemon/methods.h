/*
 * methods.h - the JSON-RPC method table of the control socket.
 *
 * Each entry names a method and its handler.  A handler reads params
 * (always an object), then fills in a result or an error on r and returns
 * CTL_DONE, or starts an SNMP operation and returns CTL_PENDING (see
 * control.h).  Handlers never write replies themselves.
 */
#ifndef SNMPMGRD_METHODS_H
#define SNMPMGRD_METHODS_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

struct daemon;
struct ctl_req;

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

/* Handlers in methods_poll.c. */
method_fn	 m_events_subscribe;
method_fn	 m_events_unsubscribe;
method_fn	 m_poll_run;
method_fn	 m_poll_results;
method_fn	 m_poll_value;
method_fn	 m_poll_reset;
method_fn	 m_session_add;
method_fn	 m_session_remove;
method_fn	 m_session_enable;
method_fn	 m_session_disable;
method_fn	 m_session_config;
method_fn	 m_daemon_reload;
method_fn	 m_daemon_stats;

/* Handlers in methods_traps.c. */
method_fn	 m_snmp_inform;
method_fn	 m_snmp_trap;
method_fn	 m_trap_list;
method_fn	 m_trap_stats;

/*
 * Helpers of methods.c for handlers elsewhere.  methods_target resolves
 * "session" or "target" in params: 0 for a configured session (*ds set),
 * 1 for a temporary one the caller frees with daemon_defer_sess_free(),
 * -1 with the error set on r.  methods_parse_varbind reads one
 * {"oid", "type", "value"} of snmp.set into vb (octets in *mem, the
 * caller frees them); 0, or -1 with the error set on r.
 */
struct dsess;
struct sess;
struct snmp_varbind;
int		 methods_target(struct daemon *d, struct ctl_req *r,
		    json_t *params, struct sess **s, struct dsess **ds);
int		 methods_parse_varbind(struct ctl_req *r, size_t i,
		    json_t *jv, struct snmp_varbind *vb, uint8_t **mem);

/* Handlers and helpers in methods_v3.c. */
method_fn	 m_snmp_discover;
method_fn	 m_usm_hash;
/*
 * Handlers and helpers in methods_intr.c: request.cancel and
 * session.interrupt (SPEC.md 3 "interrupt"), and the "error" event of
 * an operation a control request started (SPEC.md 4 on_error): r's
 * method, the numbered error and its detail, the session's name (none
 * for an inline target) and the agent's address; extra (stolen, may be
 * NULL) adds members such as a walk's count and last_oid.
 */
method_fn	 m_request_cancel;
method_fn	 m_session_interrupt;
void		 methods_error_event(struct daemon *d, struct ctl_req *r,
		    struct sess *s, int code, const char *detail,
		    json_t *extra);

/* Hook the session engine's v3 reports and discoveries to events. */
void		 methods_v3_init(struct daemon *d);
/* {"engine": {...}, "usm": {...}} for session.show; NULL unless v3. */
json_t		*methods_v3_show(const struct sess *s);

#endif /* SNMPMGRD_METHODS_H */
