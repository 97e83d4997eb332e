/*
 * engineid.h - snmpmgrd's own SNMP engine (RFC 3411 3.1.1, RFC 3414
 * 2.2): its snmpEngineID, stable across restarts, and snmpEngineBoots,
 * raised at each start.  They matter where we are the authoritative
 * engine: informs and v3 traps sent to us, and messages we originate.
 */
#ifndef SNMPMGRD_ENGINEID_H
#define SNMPMGRD_ENGINEID_H

#include <stddef.h>
#include <stdint.h>

struct daemon;

/*
 * Fill d->engine_id, d->engine_id_len and d->engine_boots at start-up.
 * The engine ID is the config's "local_engine_id", else the one kept in
 * STATE_DIR/engine-id (made once: enterprise 0, format 5 "octets", 12
 * random octets).  engineBoots is kept in the same file and raised by one
 * at each start (RFC 3414 2.2.2); it starts again at 1 when the engine ID
 * changes, and stays at 2147483647 once there.  Nothing is written here:
 * engineid_save() does.  0, or -1 with why (the file could not be read):
 * the engine is then usable for this run only, with a random ID if none
 * was configured and boots 1.
 */
int		 engineid_init(struct daemon *d, char *why, size_t whylen);
/* Write d's engine ID and boots to STATE_DIR/engine-id.  0, or -1 with
 * why. */
int		 engineid_save(const struct daemon *d, char *why, size_t whylen);
/* engineid_init() at start-up, with its outcome logged. */
void		 engineid_start(struct daemon *d);
/*
 * Once the start has succeeded but for the control socket, before the
 * socket shows and the loop handles any message: engineid_save() what
 * engineid_start() set (not when it could not read the file), with a
 * failure logged.  A start that fails before this has used no boots, and
 * the next start raises the same value again.
 */
void		 engineid_commit(struct daemon *d);

/* snmpEngineTime (RFC 3414 2.2.1): seconds since start-up. */
uint32_t	 engineid_time(const struct daemon *d);

/* "0x80000000050a1b..." into buf. */
void		 engineid_format(const uint8_t *id, size_t len, char *buf,
		    size_t size);

#endif /* SNMPMGRD_ENGINEID_H */
