/*
 * ctl.h - the pieces of snmpmgrctl shared between its files: a blocking
 * connection to snmpmgrd's control socket that sends one JSON-RPC request
 * per line and reads replies and notifications line by line (conn.c), and
 * the human renderings of results (print.c).
 *
 * snmpmgrctl is a short-lived client: the functions here report problems
 * on stderr themselves and return -1 or NULL, and main() turns that into
 * exit status 2 (SPEC.md section 8).
 */
#ifndef SNMPMGRCTL_CTL_H
#define SNMPMGRCTL_CTL_H

#include <stdio.h>

#include <jansson.h>

/* Exit statuses of SPEC.md section 8. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_ERROR		1	/* an error reply or an agent error */
#define CTL_EXIT_USAGE		2	/* usage or connection problem */

/* Default socket when neither -s nor $SNMPMGRD_SOCKET is given. */
#define CTL_DEFAULT_SOCKET	"/run/snmpmgrd/control.sock"

struct ctl_conn;

/*
 * Connect to the control socket at path.  NULL (reason on stderr) if the
 * path is too long for a sockaddr_un or nobody listens there.
 */
struct ctl_conn	*ctl_conn_new(const char *path);
void		 ctl_conn_free(struct ctl_conn *);

/* Send msg as one compact JSON line.  0, or -1 (reason on stderr). */
int		 ctl_conn_send(struct ctl_conn *, const json_t *msg);

/*
 * Wait for the next complete line from the daemon and parse it.  Returns a
 * new reference owned by the caller, or NULL (reason on stderr) when the
 * daemon closed the connection, the line is not a JSON object or exceeds
 * SNMPMGR_MAX_CTL_OUTPUT bytes, or reading failed.
 */
json_t		*ctl_conn_recv(struct ctl_conn *);

/* "noError", "tooBig", ... for an SNMP error-status (RFC 3416 3), or NULL. */
const char	*ctl_error_status_name(long long status);

/*
 * One varbind of doc/protocol.md as snmpwalk -On prints it:
 * ".1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45".
 */
void		 ctl_print_varbind(FILE *, const json_t *vb);
/* Every varbind of a JSON array, one line each.  Returns how many. */
size_t		 ctl_print_varbinds(FILE *, const json_t *vbs, int as_json);

/* An object as indented "key: value" lines (daemon.status, session.show). */
void		 ctl_print_tree(FILE *, const json_t *obj, int indent);
/* The rows of session.list as an aligned table. */
void		 ctl_print_sessions(FILE *, const json_t *rows);

/* One compact JSON text and a newline. */
void		 ctl_print_json(FILE *, const json_t *);

#endif /* SNMPMGRCTL_CTL_H */
