/*
 * op.h - an SNMP operation on behalf of a control request.
 *
 * Every method that talks to an agent (snmp.*, poll.run) goes through one
 * struct op: it holds the target (a configured session, or a temporary
 * session for an inline target, freed with the op), what is in flight
 * (one request or discovery, one walk, or one wait for scheduled polls)
 * and how the request ends.  Once started the op is the control
 * request's: it answers through the handler's callback, then finishes
 * the request and frees itself; if the client goes away first it is
 * freed with whatever runs (control.h's cancel), and request.cancel or
 * session.interrupt end it with 398 through the engine (interrupt), so a
 * walk still answers with its count and resume point.
 */
#ifndef SNMPMGRD_OP_H
#define SNMPMGRD_OP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct json_t json_t;

struct ctl_req;
struct daemon;
struct dtls_cred;
struct dsess;
struct polls_wait;
struct sess;
struct sess_req;
struct sess_result;
struct snmp_pdu;
struct snmp_varbind;
struct walk;
struct walk_opts;
struct walk_result;

struct op {
	struct daemon		*d;
	struct ctl_req		*r;
	struct dsess		*ds;	/* configured session, or NULL */
	struct sess		*s;
	bool			 temp;	/* s is ours: an inline target */

	/* In flight: at most one of these. */
	struct sess_req		*sr;
	int32_t			 req_id;	/* sr's request ID */
	struct walk		*w;
	struct polls_wait	*pw;

	/* The handler's own state, freed with the op (priv_free). */
	void			*priv;
	void			(*priv_free)(void *);

	void			(*answer_req)(struct op *,
				    const struct sess_result *);
	/* Each answer to a broadcast session's request (res->more); the
	 * end comes to answer_req.  NULL: the op refuses broadcast. */
	void			(*answer_more)(struct op *,
				    const struct sess_result *);
	void			(*answer_walk)(struct op *,
				    const struct walk_result *);
	void			(*answer_poll)(struct op *);

	/* The answer of a message waiting to leave (op_wait_sent). */
	struct json_t		*sent_res;
	/* An inline DTLS target's options (a copy of the target object). */
	struct json_t		*tls;
	struct dtls_cred	*tls_cred;	/* our key, read then */
	struct op		*tls_next;
};

/* A new op for r, without a target yet; NULL with the error set on r. */
struct op	*op_new(struct daemon *d, struct ctl_req *r);
/* Stop what still runs, drop a temporary session, free.  NULL is fine;
 * safe inside the engine's callbacks. */
void		 op_free(struct op *op);

/*
 * Resolve the target of params: "session": NAME (a configured session)
 * or "target": {...} (session options over the config's defaults, for a
 * temporary session; its passwords are wiped from the JSON once hashed).
 * 0, or -1 with the error set on op->r.
 */
int		 op_target(struct op *op, json_t *params);
/* The configured session ds (the dispatcher found it by name). */
void		 op_session(struct op *op, struct dsess *ds);

/*
 * Start the operation: answer runs when it ends and fills in r's result
 * or error; then r is finished and op freed.  CTL_PENDING, or CTL_DONE
 * with the error set on r (and the "error" event published) and op freed.
 */
int		 op_request(struct op *op, const struct snmp_pdu *pdu,
		    void (*answer)(struct op *, const struct sess_result *));
int		 op_discover(struct op *op,
		    void (*answer)(struct op *, const struct sess_result *));
/*
 * From inside a request's answer: send the op's next request instead of
 * finishing (r stays open; answer then runs for it).  0, or -1 with the
 * error set and nothing sent: the caller answers r as for any error.
 */
int		 op_request_next(struct op *op, const struct snmp_pdu *pdu,
		    void (*answer)(struct op *, const struct sess_result *));
/* rows gets op as its argument and returns as walk.h says. */
int		 op_walk(struct op *op, const struct walk_opts *wo,
		    int (*rows)(struct walk *, const struct snmp_varbind *,
		    size_t, void *),
		    void (*answer)(struct op *, const struct walk_result *));
/* Wait for poll.run's runs (pw from polls_run(), now the op's); when
 * they end answer runs.  CTL_PENDING, or CTL_DONE when they all ended
 * already (answer ran, op freed). */
int		 op_poll_wait(struct op *op, struct polls_wait *pw,
		    void (*answer)(struct op *));
/*
 * A message that wants no answer went on the inline target's own TCP
 * connection or DTLS association (a trap): answer with res (stolen) once
 * it has left, or with the error that stopped it (the connection or the
 * handshake failed, or the session's timeout times its tries passed);
 * the temporary session lives until then.  CTL_PENDING, or CTL_DONE
 * with the error set on r and op freed.
 */
int		 op_wait_sent(struct op *op, json_t *res);
/* A streaming walk's client is behind: resume the walk once it drains. */
void		 op_walk_pause(struct op *op);

/* r's error from the last numbered error (snmpmgr_lasterr). */
void		 op_error_lasterr(struct ctl_req *r);
/* The detail of an error the engine reported through a callback; for a
 * timeout, the tries sent (sess_result.tries; 0: the session's retries
 * plus one). */
void		 op_error_detail(const struct op *op, int error,
		    uint32_t tries, char *buf, size_t size);
/* The same for a walk that ended with res: the agent's error-status
 * when it answered one. */
void		 op_walk_error_detail(const struct op *op,
		    const struct walk_result *res, char *buf, size_t size);
/*
 * The "error" event of the operation (SPEC.md 4 on_error): r's method,
 * the numbered error and its detail, the session's name (none for an
 * inline target) and the agent's address; extra (stolen, may be NULL)
 * adds members such as a walk's count and last_oid.
 */
void		 op_error_event(const struct op *op, int code,
		    const char *detail, json_t *extra);
/*
 * The "response" event of an answer the operation got (SPEC.md 4
 * on_response): r's method, the session's name (none for an inline
 * target), the agent's address and vb[0..n-1]; with pdu (a request's
 * answer; NULL for a walk's rows) also its request-id, error-status and
 * index, and the round trip.  Nothing is built unless someone subscribed.
 */
void		 op_response_event(const struct op *op,
		    const struct snmp_varbind *vb, size_t n,
		    const struct snmp_pdu *pdu, uint32_t rtt_us);

/*
 * The DTLS options of an inline target's session s (sess_dtls_opts_fn);
 * -1 with lasterr when s is no such session.
 */
struct dtls_opts;
int	 op_dtls_opts(void *arg, struct sess *s, struct dtls_opts *o,
	    uint32_t *idle_ms);

#endif /* SNMPMGRD_OP_H */
