/*
 * reload.h - apply a new config to the running daemon (SIGHUP and
 * daemon.reload), and the run-time additions of session.add.
 *
 * A reload loads and validates the whole config first; if that fails
 * nothing changes.  Otherwise only the difference is applied: sessions
 * whose options are the same keep their core session (engine data,
 * requests in flight, counters) and their polls (schedule, values, runs
 * in flight; a poll whose definition changed is rescheduled); sessions
 * whose options changed are rebuilt; removed ones are cancelled and
 * freed; new ones start.  Run-time additions (session.add) and run-time
 * option changes do not survive a reload unless the addition was
 * persisted (a file in STATE_DIR/conf.d that the config includes).
 */
#ifndef SNMPMGRD_RELOAD_H
#define SNMPMGRD_RELOAD_H

#include <stdbool.h>

typedef struct json_t json_t;

struct config_err;
struct daemon;

/*
 * Reload d->conf_path.  0 with *summary (new reference: "added",
 * "removed", "changed" name lists, "unchanged" count, "warnings"), or -1
 * with err; either way a "config" event is published and the outcome
 * logged.  Tells systemd RELOADING=1 ... READY=1 around it.
 */
int	 reload_apply(struct daemon *d, struct config_err *err,
	    json_t **summary);

/*
 * session.add: check obj (a session object as in the config's
 * "sessions") against the config files as they are on disk now (its
 * template, credentials and polls must be defined there; its polls also
 * in the running config; obj is read as one more file held in memory,
 * config_load_extra), and add it as session name.  With persist, also
 * write it to STATE_DIR/conf.d/NAME.json and check that the config
 * includes that file.  0, or -1 with err (nothing added).
 */
int	 reload_add_session(struct daemon *d, const char *name,
	    const json_t *obj, bool persist, struct config_err *err);

/*
 * session.remove: remove it (requests and polls in flight are
 * cancelled); a file STATE_DIR/conf.d/NAME.json that persisted it is
 * deleted.  *unpersisted says whether there was one.  0 or -1 (err).
 */
int	 reload_remove_session(struct daemon *d, const char *name,
	    bool *unpersisted, struct config_err *err);

/* Where session.add --persist writes name's file (malloc'ed). */
char	*reload_persist_path(const struct daemon *d, const char *name);

#endif /* SNMPMGRD_RELOAD_H */
