/*
 * methods.h - the JSON-RPC method table of the control socket.
 *
 * Each entry names a method, declares its params (name, type, required
 * or not, bounds, and the message a wrong value gets) and whether it
 * works on a configured session (a "session" param, resolved to the
 * session) or on a target (a session name or an inline target object,
 * resolved to an op, op.h).  The dispatcher checks all of that and
 * resolves the session or target before the handler runs, so a handler
 * reads its params only through the mcall_* getters, which cannot fail.
 * A handler fills in a result or an error and returns CTL_DONE, or hands
 * its op to the engine and returns CTL_PENDING (control.h); it never
 * writes replies itself.  Handlers live by namespace: m_daemon.c,
 * m_events.c, m_poll.c, m_request.c, m_session.c, m_snmp.c, m_trap.c and
 * m_v3.c (usm.* and snmp.discover).
 */
#ifndef SNMPMGRD_METHODS_H
#define SNMPMGRD_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

struct ctl_req;
struct daemon;
struct dsess;
struct mval;
struct op;
struct oid;
struct snmp_varbind;
struct timespec;

/* JSON-RPC 2.0 5.1: -32000..-32099 are for the server's own errors. */
#define CTL_ERR_CONFIG		-32001	/* a config was refused */

/* What a param may be; each type is read one way (methods.c). */
enum mp_type {
	MP_ANY,		/* any JSON value, for a callee that reads it */
	MP_STRING,	/* a string; max: its longest length */
	MP_BOOL,	/* true or false */
	MP_UINT,	/* an integer or a decimal string, 0..max */
	MP_INT,		/* a JSON integer, min..max */
	MP_ID,		/* a string or a number (a request's id) */
	MP_OID,		/* an OID string */
	MP_OIDS,	/* a non-empty array of OID strings, up to max */
	MP_VARBINDS,	/* an array of {oid, type, value}, up to max */
	MP_OBJECT,	/* an object */
	MP_TIME,	/* a UTC time, a duration back from now, or seconds */
	MP_SESSION,	/* the name of a configured session */
};

/* Param flags. */
#define MP_REQUIRED	0x01	/* absent (or null) is an error */
#define MP_NOTNULL	0x02	/* null is a wrong value, not absence */
#define MP_NONEMPTY	0x04	/* a string or array of at least one */
#define MP_PLAIN	0x08	/* a string without '"' or '\\' */
#define MP_LAZY		0x10	/* checked only when the handler asks
				   (mcall_read) */

struct mparam {
	const char	*name;
	enum mp_type	 type;
	int		 flags;
	int64_t		 min;
	int64_t		 max;
	/* The error of a wrong value and of a missing required one;
	 * NULL: the type's own. */
	const char	*msg;
	const char	*missing;
	/* MP_STRING: the values it may take (NULL-terminated; NULL: any);
	 * without msg, a wrong one is told them. */
	const char *const *words;
};

/* One call of a method: what its handler gets. */
struct mcall {
	struct daemon		*d;
	struct ctl_req		*r;
	const struct method	*m;
	json_t			*params;	/* an object, never NULL */
	struct dsess		*ds;		/* the MP_SESSION param's */
	struct op		*op;		/* METHOD_TARGET: the handler's */
	struct mval		*v;		/* one per declared param */
};

typedef int	 method_fn(struct mcall *c);

/* Method flags. */
#define METHOD_TARGET	0x02	/* "session" or "target": c->op */
#define METHOD_FORWARD	0x04	/* in cluster mode, asked of the session's
				   owner (cluster_fwd.h) */

struct method {
	const char		*name;
	method_fn		*fn;
	int			 flags;
	/* Ends with a NULL name; NULL: none.  A key the method does not
	 * declare (but "session" and "target" of METHOD_TARGET) is an
	 * invalid-params error, worded alike for every method. */
	const struct mparam	*params;
	/* Runs before params are read / after (and before the target is
	 * resolved); 0, or -1 with the error set on c->r. */
	int			(*ready)(struct mcall *c);
	int			(*check)(struct mcall *c);
};

/*
 * The control socket's dispatcher (control_new): run method name with
 * params (NULL when absent; anything the client sent) on r.  CTL_DONE
 * with r's answer set, or CTL_PENDING.
 */
int		 methods_dispatch(struct daemon *d, struct ctl_req *r,
		    const char *name, json_t *params);

/*
 * The values of the params, by their declared name.  Absent (or null)
 * ones read as def / NULL; mcall_given tells them apart.
 */
bool		 mcall_given(const struct mcall *c, const char *name);
json_t		*mcall_json(const struct mcall *c, const char *name);
const char	*mcall_str(const struct mcall *c, const char *name);
bool		 mcall_bool(const struct mcall *c, const char *name, bool def);
uint64_t	 mcall_uint(const struct mcall *c, const char *name,
		    uint64_t def);
int64_t		 mcall_int(const struct mcall *c, const char *name,
		    int64_t def);
const struct oid *mcall_oid(const struct mcall *c, const char *name);
const struct timespec *mcall_time(const struct mcall *c, const char *name);
/* MP_OIDS (value type NULL) and MP_VARBINDS: the varbinds and their
 * count, valid while the handler runs. */
struct snmp_varbind *mcall_varbinds(const struct mcall *c, const char *name,
		    size_t *n);
/* Read an MP_LAZY param now: 1 given, 0 absent, -1 with the error set on
 * c->r. */
int		 mcall_read(struct mcall *c, const char *name);

/* Handlers (m_*.c). */
method_fn	 m_daemon_reload;
method_fn	 m_cluster_members;
method_fn	 m_daemon_stats;
method_fn	 m_daemon_status;
method_fn	 m_events_subscribe;
method_fn	 m_events_unsubscribe;
method_fn	 m_mib_translate;
method_fn	 m_poll_reset;
method_fn	 m_poll_results;
method_fn	 m_poll_run;
method_fn	 m_poll_value;
method_fn	 m_request_cancel;
method_fn	 m_session_add;
method_fn	 m_session_config;
method_fn	 m_session_disable;
method_fn	 m_session_enable;
method_fn	 m_session_interrupt;
method_fn	 m_session_list;
method_fn	 m_session_remove;
method_fn	 m_session_show;
method_fn	 m_snmp_discover;
method_fn	 m_snmp_get;
method_fn	 m_snmp_getbulk;
method_fn	 m_snmp_getnext;
method_fn	 m_snmp_inform;
method_fn	 m_snmp_set;
method_fn	 m_snmp_trap;
method_fn	 m_snmp_table;
method_fn	 m_snmp_walk;
method_fn	 m_trap_list;
method_fn	 m_trap_stats;
method_fn	 m_usm_hash;
/* Preconditions and checks the table names (m_*.c). */
int		 m_snmp_walk_check(struct mcall *c);
int		 m_trap_journal_ready(struct mcall *c);
int		 m_trap_ready(struct mcall *c);

/* Hook the session engine's v3 reports and discoveries to events
 * (m_v3.c). */
void		 methods_v3_init(struct daemon *d);

#endif /* SNMPMGRD_METHODS_H */
