/*
 * sessions.h - the table of configured sessions, by name.
 *
 * Built from a struct config at start-up: one core session (struct sess)
 * per configured session.  A session whose agent address cannot be set up
 * stays in the table without a core session and answers every request with
 * the error that prevented it, so a typo in one host does not take the
 * daemon down.
 */
#ifndef SNMPMGRD_SESSIONS_H
#define SNMPMGRD_SESSIONS_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#include "core/limits.h"
#include "log.h"

typedef struct json_t json_t;

struct config;
struct config_session;
struct daemon;
struct sess;
struct sess_opts;
struct sessions;

struct dsess {
	char			 name[SNMPMGR_MAX_NAME_LEN + 1];
	const struct config_session *cs; /* in the daemon's config */
	struct sess		*s;	/* NULL if it could not be created */
	int			 err;	/* why not */
	char			 errdetail[256];
	struct log_repeat	 rep;	/* repeated request failures */
};

/* Sessions for every session of c (which must outlive the table). */
struct sessions	*sessions_new(struct daemon *d, const struct config *c);
/* Frees the core sessions; their requests end as interrupted. */
void		 sessions_free(struct sessions *t);

struct dsess	*sessions_find(struct sessions *t, const char *name);
size_t		 sessions_count(const struct sessions *t);
size_t		 sessions_enabled(const struct sessions *t);

/* Note the outcome of a request on ds for the log (0 = success). */
void		 sessions_note(struct dsess *ds, int error, const char *detail);

/* {"sessions": [ROW, ...]} for session.list.  New reference or NULL. */
json_t		*sessions_list_json(const struct sessions *t);
/* {"name", "address", "options", "stats"} for session.show. */
json_t		*sessions_show_json(const struct dsess *ds);

/* "192.0.2.1:161", "[2001:db8::1]:161"; "?" for anything else. */
void		 sessions_format_addr(const struct sockaddr *sa, socklen_t len,
		    char *buf, size_t size);

/* "1", "2c", "3". */
const char	*sessions_version_name(int version);
/* "udp", "udp6", "dtls". */
const char	*sessions_transport_name(int transport);

#endif /* SNMPMGRD_SESSIONS_H */
