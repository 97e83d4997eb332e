/*
 * conn.h - snmpmgrctl's connection to the control socket (conn.c): one
 * JSON object per line in each direction, blocking.
 */
#ifndef SNMPMGRCTL_CONN_H
#define SNMPMGRCTL_CONN_H

#include <jansson.h>

struct ctl_conn;

/*
 * Connect to the control socket at path.  NULL (reason on stderr) if the
 * path is too long for a sockaddr_un or nobody listens there.
 */
struct ctl_conn	*ctl_conn_new(const char *path);
void		 ctl_conn_free(struct ctl_conn *);
/* The connection's socket. */
int		 ctl_conn_fd(const struct ctl_conn *);

/* Send msg as one compact JSON line.  0, or -1 (reason on stderr). */
int		 ctl_conn_send(struct ctl_conn *, const json_t *msg);

/*
 * Wait for the next complete line from the daemon and parse it.  Returns a
 * new reference owned by the caller, or NULL (reason on stderr) when the
 * daemon closed the connection, the line is not a JSON object or exceeds
 * SNMPMGR_MAX_CTL_OUTPUT bytes, or reading failed.
 */
json_t		*ctl_conn_recv(struct ctl_conn *);

/*
 * A reader of raw lines, tried by ctl_conn_recv before parsing each line:
 * when it returns 1 it has dealt with the line, which is then skipped; 0
 * leaves the line to the parser.  NULL: none.
 */
typedef int	(*ctl_conn_line_cb)(const char *line, size_t len, void *arg);
void		 ctl_conn_set_line_cb(struct ctl_conn *, ctl_conn_line_cb,
		    void *arg);

#endif /* SNMPMGRCTL_CONN_H */
