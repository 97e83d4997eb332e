/*
 * check_fakeio.h - what the session engine's unit tests share: a session
 * manager on a fake clock whose datagrams are kept instead of sent (its
 * wake-ups and bad packets noted), and a GET of sysUpTime.0 whose result
 * is recorded.
 */
#ifndef CHECK_FAKEIO_H
#define CHECK_FAKEIO_H

#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

#define FAKEIO_MAXSENT	128

struct fakeio_sent {
	uint8_t		 buf[4096];
	size_t		 len;
};

/* The one fake: reset by fakeio_mgr(). */
extern struct fakeio {
	uint64_t	 now;		/* the clock, microseconds */
	uint64_t	 wake;		/* the last wake-up asked for */
	int		 nsent;
	int		 done;		/* datagrams the agent has seen */
	struct fakeio_sent sent[FAKEIO_MAXSENT];
	int		 nbad;		/* bad packets */
	int		 bad;		/* the last one's error */
} fk;

struct fakeio_rec {
	int		 called;
	int		 error;
	size_t		 nvb;
	int64_t		 value;		/* of the first varbind */
	char		 detail[256];	/* the last error's detail */
};

/* A manager on the fake clock, which starts at now. */
struct sess_mgr	*fakeio_mgr(uint64_t now);
/* Records a request's result in the struct fakeio_rec at arg. */
void		 fakeio_record_cb(struct sess_req *req,
		    const struct sess_result *res, void *arg);
/* A GET of sysUpTime.0 on s, recorded in rec. */
struct sess_req	*fakeio_get(struct sess *s, struct fakeio_rec *rec);

#endif /* CHECK_FAKEIO_H */
