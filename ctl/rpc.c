/*
 * rpc.c - one JSON-RPC request of snmpmgrctl and its reply: number it,
 * send it, pass the notifications that carry its id to the command, and
 * print an error reply as "snmpmgrctl: error CODE: MESSAGE: DETAIL".  A
 * cancellable request (a walk) is cancelled in the daemon on SIGINT.
 */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conn.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

/*
 * Print a JSON-RPC error object as
 * "snmpmgrctl: error CODE: MESSAGE: DETAIL".
 */
static void
ctl_print_error(const json_t *err)
{
	const json_t	*data, *detail;
	const char	*msg;

	fflush(stdout);
	msg = json_string_value(json_object_get(err, "message"));
	fprintf(stderr, "snmpmgrctl: error %" JSON_INTEGER_FORMAT ": %s",
	    json_integer_value(json_object_get(err, "code")),
	    msg != NULL ? msg : "(no message)");
	data = json_object_get(err, "data");
	if ((detail = json_object_get(data, "detail")) != NULL) {
		if (json_is_string(detail))
			fprintf(stderr, ": %s", json_string_value(detail));
		else {
			fputs(": ", stderr);
			json_dumpf(detail, stderr, JSON_COMPACT |
			    JSON_ENCODE_ANY);
		}
	} else if (json_is_string(data))
		fprintf(stderr, ": %s", json_string_value(data));
	putc('\n', stderr);
}

/*
 * SIGINT while a cancellable request runs (a walk): the handler sends a
 * request.cancel for it, made ready beforehand, on the connection (the
 * request itself was written in full already, so nothing else is being
 * sent), and ctl_rpc goes on waiting: the daemon answers the request
 * with error 398 and how far it got.  SA_RESETHAND: a second SIGINT
 * ends snmpmgrctl at once.
 */
static volatile sig_atomic_t ctl_sigint_fd = -1;
static char		 ctl_sigint_line[160];
static size_t		 ctl_sigint_len;

static void
ctl_sigint_handler(int sig)
{
	static const char	 msg[] = "\nsnmpmgrctl: cancelling (press "
	    "again to quit at once)\n";
	int			 saved = errno;

	if (ctl_sigint_fd != -1) {
		(void)!send(ctl_sigint_fd, ctl_sigint_line, ctl_sigint_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	}
	errno = saved;
}

/* Cancel request id on SIGINT from now on. */
static void
ctl_sigint_arm(struct ctl *ctl, json_int_t id)
{
	struct sigaction sa;
	int		 n;

	n = snprintf(ctl_sigint_line, sizeof(ctl_sigint_line),
	    "{\"jsonrpc\":\"2.0\",\"id\":\"sigint\",\"method\":"
	    "\"request.cancel\",\"params\":{\"id\":%" JSON_INTEGER_FORMAT
	    "}}\n", id);
	if (n <= 0 || (size_t)n >= sizeof(ctl_sigint_line))
		return;
	ctl_sigint_len = (size_t)n;
	ctl_sigint_fd = ctl_conn_fd(ctl->conn);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_sigint_handler;
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static void
ctl_sigint_disarm(void)
{
	struct sigaction sa;

	if (ctl_sigint_fd == -1)
		return;
	ctl_sigint_fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/*
 * Send method(params) and wait for its reply, passing notifications that
 * carry our id to cb.  params is consumed.  Returns 0 with *resultp set
 * (caller's reference), 1 after an error reply (printed; its error object
 * in *errorp if errorp is not NULL), or 2 on a connection problem.
 */
int
ctl_rpc(struct ctl *ctl, const char *method, json_t *params,
    ctl_notify_cb cb, void *arg, json_t **resultp, json_t **errorp)
{
	json_t		*req = NULL, *msg = NULL, *v;
	const char	*nmethod;
	json_t		*nparams;
	int		 rv = CTL_EXIT_USAGE;

	*resultp = NULL;
	if (errorp != NULL)
		*errorp = NULL;
	if (ctl->conn == NULL &&
	    (ctl->conn = ctl_conn_new(ctl->socket)) == NULL)
		goto done;

	ctl->id++;
	ctl_conn_set_line_cb(ctl->conn, ctl->line_cb, ctl->line_arg);
	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", ctl->id,
	    "method", method);
	if (req == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		goto done;
	}
	if (params != NULL)
		json_object_set(req, "params", params);
	if (ctl_conn_send(ctl->conn, req) == -1)
		goto done;
	if (ctl->cancel_on_sigint)
		ctl_sigint_arm(ctl, ctl->id);

	while ((msg = ctl_conn_recv(ctl->conn)) != NULL) {
		if ((nmethod = json_string_value(json_object_get(msg,
		    "method"))) != NULL) {
			nparams = json_object_get(msg, "params");
			v = json_object_get(nparams, "id");
			if (cb != NULL && json_is_integer(v) &&
			    json_integer_value(v) == ctl->id)
				cb(ctl, nmethod, nparams, arg);
			json_decref(msg);
			continue;
		}
		v = json_object_get(msg, "id");
		if (!json_is_integer(v) || json_integer_value(v) != ctl->id) {
			json_decref(msg);	/* not ours */
			continue;
		}
		if ((v = json_object_get(msg, "error")) != NULL) {
			ctl_print_error(v);
			if (errorp != NULL)
				*errorp = json_incref(v);
			rv = CTL_EXIT_ERROR;
		} else if ((v = json_object_get(msg, "result")) != NULL) {
			*resultp = json_incref(v);
			rv = CTL_EXIT_OK;
		} else
			fprintf(stderr, "snmpmgrctl: malformed reply from "
			    "snmpmgrd: neither result nor error\n");
		break;
	}
done:
	ctl_sigint_disarm();
	if (ctl->conn != NULL)
		ctl_conn_set_line_cb(ctl->conn, NULL, NULL);
	json_decref(msg);
	json_decref(req);
	json_decref(params);
	return rv;
}

int
ctl_rpc_print(struct ctl *ctl, const char *method, json_t *params)
{
	json_t	*res;
	int	 rv;

	if ((rv = ctl_rpc(ctl, method, params, NULL, NULL, &res, NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else
		ctl_print_tree(stdout, res, 0);
	json_decref(res);
	return CTL_EXIT_OK;
}
