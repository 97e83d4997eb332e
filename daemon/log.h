/*
 * log.h - snmpmgrd's logging: stderr (with journald priority prefixes when
 * stderr is the journal) or syslog, filtered by a level.  Core code never
 * logs; only daemon/ does.
 */
#ifndef SNMPMGRD_LOG_H
#define SNMPMGRD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Start logging to stderr at level (a syslog LOG_* priority; messages of
 * lower priority are dropped).  Call again after the config is loaded.
 */
void	 log_init(int level, bool use_syslog);
void	 log_setlevel(int level);
int	 log_getlevel(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failures only: log and exit 1. */
void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * A condition that repeats (an agent that keeps timing out): the first
 * occurrence is logged as a warning, the following ones at debug level,
 * until log_repeat_clear() says it went away.  Zero-initialise.
 */
struct log_repeat {
	uint32_t	 count;		/* stops at UINT32_MAX */
	bool		 active;	/* 8 bytes in all: one per session */
};
void	 log_repeat(struct log_repeat *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The condition cleared: logs what (at info) if it had been reported. */
void	 log_repeat_clear(struct log_repeat *r, const char *what);

#endif /* SNMPMGRD_LOG_H */
