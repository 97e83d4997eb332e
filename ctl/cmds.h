/*
 * cmds.h - snmpmgrctl's commands, the functions of the table in
 * snmpmgrctl.c, grouped by the namespace of the methods they call, one
 * file each as in the daemon.  Each turns its arguments into a request,
 * sends it (rpc.h) and prints the reply; it returns the exit status.
 */
#ifndef SNMPMGRCTL_CMDS_H
#define SNMPMGRCTL_CMDS_H

struct ctl;
struct ctl_cmd;

/* cmd_daemon.c: daemon.status, daemon.stats, trap.stats, daemon.reload. */
int		 ctl_cmd_cluster(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_status(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_stats(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_noargs(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/*
 * cmd_session.c: session.list, show, add, remove, enable, disable,
 * config, interrupt (and poll.reset, which takes one session alike).
 */
int		 ctl_cmd_sessions_state(struct ctl *, const struct ctl_cmd *,
		    int, char **);
int		 ctl_cmd_show(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_add(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_session_op(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_set_option(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* cmd_snmp.c: snmp.get, getnext, getbulk, set, walk, inform, trap. */
int		 ctl_cmd_get(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_set(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_walk(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_notify(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* cmd_v3.c: snmp.discover, usm.hash. */
int		 ctl_cmd_discover(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_hash(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* cmd_poll.c: poll.results, poll.run, poll.value. */
int		 ctl_cmd_results(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_value(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* cmd_trap.c: trap.list. */
int		 ctl_cmd_traps(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* cmd_mib.c: mib.translate, snmp.table. */
int		 ctl_cmd_table(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_translate(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* cmd_events.c: events.subscribe. */
int		 ctl_cmd_watch(struct ctl *, const struct ctl_cmd *, int,
		    char **);

#endif /* SNMPMGRCTL_CMDS_H */
