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
 * option changes do not survive a reload unless they were persisted, in
 * files of snmpmgrd's own that the config loader reads after the config
 * (conf.h: STATE_DIR/sessions/NAME.json, STATE_DIR/overrides.json).  Those
 * are written 0600, through a new temporary file renamed into place, with
 * SNMPv3 keys where the client gave passwords.
 */
#ifndef SNMPMGRD_RELOAD_H
#define SNMPMGRD_RELOAD_H

#include <stdbool.h>

typedef struct json_t json_t;

struct config_err;
struct daemon;
struct dsess;

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
 * "sessions") against the running config (its template, credentials and
 * polls must be defined there; config_load_running: the files on disk are
 * not read, so a config being edited, or broken, does not matter), and
 * add it as session name.  With persist, also write it to
 * STATE_DIR/sessions/NAME.json.  0, or -1 with err (nothing added).
 */
int	 reload_add_session(struct daemon *d, const char *name,
	    const json_t *obj, bool persist, struct config_err *err);

/*
 * session.remove: remove it (requests and polls in flight are
 * cancelled); the file STATE_DIR/sessions/NAME.json that session.add
 * persisted it in is deleted (if it holds that one session only; nothing
 * else ever is), with its persisted options.  *unpersisted says whether
 * there was one.  0 or -1 (err).
 */
int	 reload_remove_session(struct daemon *d, const char *name,
	    bool *unpersisted, struct config_err *err);

/*
 * Persist opts (as given to sessions_set_opts, which applied them to ds)
 * for ds: merged into its entry of STATE_DIR/overrides.json, which the
 * config loader applies after the config files.  0, or -1 with err.
 */
int	 reload_persist_opts(struct daemon *d, struct dsess *ds,
	    const json_t *opts, struct config_err *err);

/*
 * Can opts (session options) be persisted?  Not with key_password: a pass
 * phrase is a secret, written to no file, and without it the encrypted
 * key could not be read at the next start.  0, or -1 with err.
 */
int	 reload_persist_check(const json_t *opts, struct config_err *err);

/* Where session.add --persist writes name's file (malloc'ed). */
char	*reload_persist_path(const struct daemon *d, const char *name);

#endif /* SNMPMGRD_RELOAD_H */
