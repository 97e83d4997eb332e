/*
 * rpc.h - one JSON-RPC request of snmpmgrctl and its reply (rpc.c), over
 * the run's connection (opened on first use).
 */
#ifndef SNMPMGRCTL_RPC_H
#define SNMPMGRCTL_RPC_H

#include <jansson.h>

struct ctl;

/* Called with each notification that carries our request id. */
typedef void	(*ctl_notify_cb)(struct ctl *, const char *method,
		    json_t *params, void *arg);

/*
 * Send method(params) and wait for its reply, passing notifications that
 * carry our id to cb.  params is consumed.  Returns 0 with *resultp set
 * (caller's reference), 1 after an error reply (printed; its error object
 * in *errorp if errorp is not NULL), or 2 on a connection problem.  With
 * ctl->cancel_on_sigint, SIGINT asks the daemon to cancel the request.
 */
int		 ctl_rpc(struct ctl *ctl, const char *method, json_t *params,
		    ctl_notify_cb cb, void *arg, json_t **resultp,
		    json_t **errorp);
/*
 * ctl_rpc(), then print the result as JSON (--json) or as an indented
 * tree.  params is consumed.  Returns the exit status.
 */
int		 ctl_rpc_print(struct ctl *ctl, const char *method,
		    json_t *params);

#endif /* SNMPMGRCTL_RPC_H */
