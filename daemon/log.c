/*
 * log.c - write log lines to stderr or syslog.
 *
 * When stderr is connected to the systemd journal (JOURNAL_STREAM names its
 * device and inode), each line starts with a "<N>" priority prefix that
 * journald turns into the entry's priority; on a terminal or a file the
 * level is spelled out instead.  Messages never carry secrets: callers pass
 * masked values.
 */
#include <config.h>		/* autoconf's */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int	 log_level = LOG_INFO;
static bool	 log_syslog;
static bool	 log_journal;

static bool
log_stderr_is_journal(void)
{
	const char		*js;
	unsigned long long	 dev, ino;
	struct stat		 st;

	if ((js = getenv("JOURNAL_STREAM")) == NULL)
		return false;
	if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int level, bool use_syslog)
{
	log_level = level;
	if (use_syslog && !log_syslog)
		openlog("snmpmgrd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
	log_journal = log_stderr_is_journal();
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

static const char *
log_prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "fatal";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void
log_vwrite(int prio, const char *err, const char *fmt, va_list ap)
{
	char	 msg[2048];

	if (prio > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (err != NULL)
			syslog(prio, "%s: %s", msg, err);
		else
			syslog(prio, "%s", msg);
		return;
	}
	if (log_journal)
		fprintf(stderr, "<%d>%s%s%s\n", prio, msg,
		    err != NULL ? ": " : "", err != NULL ? err : "");
	else
		fprintf(stderr, "snmpmgrd: %s: %s%s%s\n", log_prio_name(prio),
		    msg, err != NULL ? ": " : "", err != NULL ? err : "");
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[256];
	int	 saved = errno;

	snprintf(err, sizeof(err), "%s", strerror(saved));
	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, err, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[256];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_repeat(struct log_repeat *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (!r->active) {
		log_vwrite(LOG_WARNING, NULL, fmt, ap);
		r->active = true;
	} else if (log_level >= LOG_DEBUG)
		log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
	if (r->count < UINT32_MAX)
		r->count++;
}

void
log_repeat_clear(struct log_repeat *r, const char *what)
{
	if (r->active)
		log_info("%s (after %lu failures)", what,
		    (unsigned long)r->count);
	r->active = false;
	r->count = 0;
}
