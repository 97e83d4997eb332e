/*
 * traps.h - the trap and inform receiver: UDP listeners (IPv4 and IPv6)
 * with large receive buffers and batched reads, the community and user
 * tables (trap_rx.c decides about each datagram), DTLS listeners
 * (trap_dtls.c, messages under TSM: trap_tsm.c), the journal every
 * accepted trap and inform goes to, inform acknowledgements sent only
 * once the journal holds the inform, and the trap, inform and bad-packet
 * events.
 */
#ifndef SNMPMGRD_TRAPS_H
#define SNMPMGRD_TRAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tsm.h"

#include "journal.h"
#include "trap_dtls.h"
#include "trap_rx.h"
#include "trap_tcp.h"

typedef struct json_t json_t;

struct config;
struct daemon;
struct journal;
struct traps;

/*
 * Start receiving as conf->traps says (nothing to do without a "traps"
 * section: returns NULL with *err 0).  Listeners that cannot be opened are
 * logged and shown in trap.stats; start-up fails (NULL, *err -1,
 * the reason logged) when the journal cannot be opened, a user's
 * credentials cannot be made, or no listener could be opened at all.
 */
struct traps	*traps_new(struct daemon *d, const struct config *conf,
		    int *err);
/*
 * Apply a reloaded config's "traps" section to the running receiver t
 * (NULL when none runs) and return the receiver from now on: started when
 * the section is new, freed when it is gone, else changed in place.
 * Listeners whose address stays keep their sockets (no trap queued on
 * them is lost); removed ones close, new ones open.  Communities, users
 * and auto_ack are replaced as a whole.  Journal settings apply after
 * what was appended is written under the old ones, so no record is lost
 * or written twice.  Whatever cannot be applied stays as it was and is
 * logged and appended (a string) to warnings, which may be NULL.
 */
struct traps	*traps_reload(struct daemon *d, struct traps *t,
		    const struct config *conf, json_t *warnings);
/* Flush and close the journal, close the listeners.  NULL is fine. */
void		 traps_free(struct traps *t);

/* The journal, for trap.list. */
struct journal	*traps_journal(struct traps *t);

/* What trap.stats shows (views.c), as plain numbers. */
struct traps_info {
	struct trapproc_stats	 proc;
	struct tsm_stats	 tsm;		/* messages over DTLS */
	struct journal_stats	 journal;
	const struct journal	*j;		/* path, fsync policy */
	uint64_t		 max_size;	/* of a journal file */
	uint32_t		 keep;
	size_t			 nls;		/* listeners */
	bool			 auto_ack;
	uint64_t		 acks_sent;
	size_t			 acks_waiting;
	uint64_t		 acks_dropped;
	uint64_t		 acks_overflow;	/* informs refused: no room */
	uint64_t		 acks_again;	/* retransmissions folded */
	bool			 acks_held;	/* TCP senders held now */
	uint64_t		 acks_holds;	/* times they were */
	uint64_t		 send_errors;
	uint64_t		 reports_sent;
};
struct traps_listener_info {
	const char		*spec;		/* as configured */
	const char		*addr;
	bool			 open;
	const char		*error;		/* why not open */
	uint64_t		 received;
	uint32_t		 drops;		/* the socket's, SO_MEMINFO */
	uint64_t		 reads;		/* wake-ups that read it */
	uint64_t		 paced_reads;	/* of them, from the timer */
	int			 rcvbuf;	/* as the kernel set it */
	bool			 dtls;		/* a dtls: listener, open */
	struct trap_dtls_stats	 dtls_stats;
	bool			 tcp;		/* a tcp: listener, open */
	struct trap_tcp_stats	 tcp_stats;
};
void		 traps_info(const struct traps *t, struct traps_info *ti);
/* Listener i (< ti.nls). */
void		 traps_listener_info(const struct traps *t, size_t i,
		    struct traps_listener_info *li);

#endif /* SNMPMGRD_TRAPS_H */
