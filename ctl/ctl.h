/*
 * ctl.h - the types every file of snmpmgrctl shares: one run of the
 * program (its global options and its connection), a command of the
 * table in snmpmgrctl.c, and the exit statuses.
 *
 * snmpmgrctl is a short-lived client: its functions report problems on
 * stderr themselves and return -1 or NULL, and main() turns that into
 * exit status 2 (SPEC.md section 8).  The modules, each with its header:
 * args (options, targets, SNMPv3 flags, varbinds), conn (the socket and
 * its framing), rpc (one request and its reply), print (results for
 * people), and the commands, grouped by namespace (cmds.h).
 */
#ifndef SNMPMGRCTL_CTL_H
#define SNMPMGRCTL_CTL_H

#include <jansson.h>

/* Exit statuses of SPEC.md section 8. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_ERROR		1	/* an error reply or an agent error */
#define CTL_EXIT_USAGE		2	/* usage or connection problem */

/* Default socket when neither -s nor $SNMPMGRD_SOCKET is given. */
#define CTL_DEFAULT_SOCKET	"/run/snmpmgrd/control.sock"

struct ctl_conn;

/* One run of snmpmgrctl: its global options and its connection. */
struct ctl {
	const char	*socket;
	int		 json;
	int		 verbose;
	struct ctl_conn	*conn;
	json_int_t	 id;
	/* ctl_rpc: on SIGINT, ask the daemon to cancel the request
	 * (request.cancel) and go on waiting for its reply. */
	int		 cancel_on_sigint;
	/* ctl_rpc: raw lines go to this reader first (conn.h) */
	int		(*line_cb)(const char *, size_t, void *);
	void		*line_arg;
};

/* A command of the table in snmpmgrctl.c. */
struct ctl_cmd {
	const char	*name;
	int		(*fn)(struct ctl *, const struct ctl_cmd *, int, char **);
	unsigned int	 opts;		/* CTL_OPT_* of args.h */
	const char	*method;
	const char	*args;
	const char	*help;
};

#endif /* SNMPMGRCTL_CTL_H */
