/*
 * mib_probe.c - reading MIB modules in a child process first, so that a
 * module libsmi crashes (or hangs) on costs a warning, not the daemon.
 *
 * libsmi 0.4.8 dereferences a NULL type when a TEXTUAL-CONVENTION's
 * SYNTAX names a base type it cannot find (Opaque, Counter32, ... with
 * SNMPv2-SMI missing, as with Debian's Net-SNMP MIBs alone), and it has
 * more faults of that kind; none can be told from outside before it is
 * met.  So mib_load (mib.c) first has a child read the plan's items in
 * order, as the daemon would, telling through a pipe which item it
 * starts and ends.  When the child dies or stops answering inside an
 * item, that item is marked skipped, its last messages and the cause are
 * reported, and a new child reads the plan again from the start without
 * it (libsmi's state then is what the daemon's will be).  The daemon
 * reads only what a child got through.  Everything is bounded in time
 * (core/limits.h): the caller waits, the event loop with it.
 */
#include <config.h>		/* autoconf's */

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "mib.h"
#include "mib_int.h"

/* The child's end: where its lines go. */
struct mib_probe_out {
	int		 fd;
};

/* What the parent keeps of the item being read: its last messages. */
#define PROBE_KEEP	8
#define PROBE_LINE	1024

struct probe_msg {
	char		 file[300];
	int		 line;
	char		 text[400];
};

struct probe_run {
	ssize_t		 cur;		/* item begun, not ended; -1 */
	size_t		 steps;		/* items and walks begun */
	char		 walk[300];	/* module whose objects are read */
	bool		 done;		/* the child read the whole plan */
	struct probe_msg keep[PROBE_KEEP];
	size_t		 nkeep;		/* messages of cur, the last kept */
	size_t		 nmsgs;
	char		 buf[PROBE_LINE];
	size_t		 len;
	bool		 overlong;	/* dropping up to the next newline */
};

/* ------------------------------------------------------------ child */

static void
out_write(struct mib_probe_out *out, const char *s, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(out->fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(3);	/* the parent is gone */
		}
		s += w;
		n -= (size_t)w;
	}
}

static void
out_printf(struct mib_probe_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct mib_probe_out *out, const char *fmt, ...)
{
	char		 line[PROBE_LINE];
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	out_write(out, line, (size_t)n);
}

void
mib_probe_begin(struct mib_probe_out *out, size_t i)
{
	out_printf(out, "B %zu\n", i);
}

void
mib_probe_end(struct mib_probe_out *out, size_t i)
{
	out_printf(out, "E %zu\n", i);
}

void
mib_probe_walk(struct mib_probe_out *out, const char *module)
{
	if (module != NULL && strlen(module) < 256 &&
	    strpbrk(module, "\t\n\r") == NULL)
		out_printf(out, "S %s\n", module);
	else
		out_write(out, "T\n", 2);
}

/* s into buf (size bytes at most, cut), tabs and newlines as blanks. */
static void
flat(char *buf, size_t size, const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ?
		    ' ' : s[i];
	buf[i] = '\0';
}

void
mib_probe_msg(void *arg, const char *file, int line, const char *msg)
{
	struct mib_probe_out *out = arg;
	char		 f[300], m[400];

	flat(f, sizeof(f), file);
	flat(m, sizeof(m), msg);
	out_printf(out, "M %d\t%s\t%s\n", line, f, m);
}

/* The child's life: read the plan, say so, leave without cleaning up. */
static void __attribute__((noreturn))
probe_child(int fd, const struct mib_plan *p, mib_probe_child_fn *fn,
    void *arg)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1,
	    SIGUSR2, SIGPIPE, SIGCHLD };
	struct mib_probe_out out = { fd };
	struct rlimit	 nocore = { 0, 0 };
	size_t		 i;
	int		 null;

	/* Not the daemon's handlers (libevent's would wake its loop), no
	 * core file for a crash we expect, and nothing of the child's in
	 * the daemon's stderr (a sanitizer's report of that crash). */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	(void)setrlimit(RLIMIT_CORE, &nocore);
	if ((null = open("/dev/null", O_WRONLY)) != -1) {
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (fn(p, &out, arg) == -1)
		_exit(1);
	out_write(&out, "D\n", 2);
	_exit(0);
}

/* ------------------------------------------------------------ parent */

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One line from the child (NUL-terminated, no newline). */
static void
probe_line(struct probe_run *r, const struct mib_plan *p, char *s)
{
	struct probe_msg *m;
	char		*end, *file, *text;
	unsigned long long i;
	long		 line;

	switch (s[0]) {
	case 'B':
	case 'E':
		errno = 0;
		i = strtoull(s + 1, &end, 10);
		if (s[1] != ' ' || errno != 0 || *end != '\0' ||
		    i >= p->nitems)
			return;
		if (s[0] == 'B') {
			r->cur = (ssize_t)i;
			r->steps++;
			r->nkeep = r->nmsgs = 0;
		} else if (r->cur == (ssize_t)i)
			r->cur = -1;
		return;
	case 'D':
		r->done = true;
		return;
	case 'S':
		if (s[1] == ' ')
			snprintf(r->walk, sizeof(r->walk), "%s", s + 2);
		r->steps++;
		r->nkeep = r->nmsgs = 0;
		return;
	case 'T':
		r->walk[0] = '\0';
		return;
	case 'M':
		if ((r->cur == -1 && r->walk[0] == '\0') || s[1] != ' ' ||
		    (file = strchr(s + 2, '\t')) == NULL ||
		    (text = strchr(file + 1, '\t')) == NULL)
			return;
		*file++ = '\0';
		*text++ = '\0';
		line = strtol(s + 2, NULL, 10);
		/* a ring of the last PROBE_KEEP */
		m = &r->keep[r->nmsgs++ % PROBE_KEEP];
		snprintf(m->file, sizeof(m->file), "%s", file);
		snprintf(m->text, sizeof(m->text), "%s", text);
		m->line = line > 0 && line < INT32_MAX ? (int)line : 0;
		if (r->nkeep < PROBE_KEEP)
			r->nkeep++;
		return;
	}
}

/* Take what the child wrote: 1, 0 at end of file, -1 on an error. */
static int
probe_read(struct probe_run *r, const struct mib_plan *p, int fd)
{
	char		 in[4096];
	ssize_t		 n, k;

	if ((n = read(fd, in, sizeof(in))) == -1)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	for (k = 0; k < n; k++) {
		if (in[k] == '\n') {
			r->buf[r->len] = '\0';
			if (!r->overlong)
				probe_line(r, p, r->buf);
			r->len = 0;
			r->overlong = false;
		} else if (r->len + 1 < sizeof(r->buf))
			r->buf[r->len++] = in[k];
		else
			r->overlong = true;
	}
	return 1;
}

/* Why the child ended, as words: "libsmi crashed (...) while reading". */
static void
probe_cause(int status, bool hung, char *buf, size_t size)
{
	if (hung)
		snprintf(buf, size, "libsmi was still busy after %d s "
		    "reading", SNMPMGR_MAX_MIB_MODULE_MS / 1000);
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "libsmi crashed (signal %d, %s) while "
		    "reading", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "libsmi's reader exited (status %d) "
		    "while reading", WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
}

/* Report item i as skipped: its last messages, then the cause. */
static void
probe_skip(const struct probe_run *r, const struct mib_plan *p, size_t i,
    const char *cause, mib_warn_fn *warn, void *arg)
{
	const struct probe_msg *m;
	const char	*item = p->items[i];
	char		 msg[600];
	size_t		 k, first = r->nmsgs - r->nkeep;

	if (warn == NULL)
		return;
	for (k = 0; k < r->nkeep; k++) {
		m = &r->keep[(first + k) % PROBE_KEEP];
		warn(arg, m->file, m->line, m->text);
	}
	if (item[0] == '/') {
		snprintf(msg, sizeof(msg), "%s this file or a module it "
		    "imports; skipped", cause);
		warn(arg, item, 0, msg);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s this module or one it "
		    "imports; skipped", item, cause);
		warn(arg, "", 0, msg);
	}
}

/* The module whose objects the child died reading: left out of the tree. */
static int
probe_nowalk(struct probe_run *r, struct mib_plan *p, const char *cause,
    mib_warn_fn *warn, void *arg)
{
	const struct probe_msg *m;
	char		 msg[700], **nw;
	size_t		 k, first = r->nmsgs - r->nkeep;

	if ((nw = realloc(p->nowalk, (p->nnowalk + 1) * sizeof(*nw))) == NULL)
		return -1;
	p->nowalk = nw;
	if ((nw[p->nnowalk] = strdup(r->walk)) == NULL)
		return -1;
	p->nnowalk++;
	if (warn == NULL)
		return 0;
	for (k = 0; k < r->nkeep; k++) {
		m = &r->keep[(first + k) % PROBE_KEEP];
		warn(arg, m->file, m->line, m->text);
	}
	snprintf(msg, sizeof(msg), "module %s: %s its objects; skipped",
	    r->walk, cause);
	warn(arg, "", 0, msg);
	return 0;
}

/*
 * One child over the plan.  1: it did everything; 0: it stopped in an
 * item or a module's objects, now skipped; -1 (err set): the probe
 * itself failed.
 */
static int
probe_once(struct mib_plan *p, mib_probe_child_fn *fn, void *fnarg,
    int64_t deadline, mib_warn_fn *warn, void *arg, char *err,
    size_t errlen)
{
	struct probe_run *r;
	struct pollfd	 pfd;
	int64_t		 t, step_end = 0;
	size_t		 seen = 0;
	pid_t		 pid;
	bool		 hung = false, late = false, eof = false;
	char		 cause[200];
	int		 fds[2], status, rv = -1, wait_ms, k;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "mibs: out of memory");
		return -1;
	}
	r->cur = -1;
	if (pipe(fds) == -1) {
		snprintf(err, errlen, "mibs: pipe: %s", strerror(errno));
		free(r);
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "mibs: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(r);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		probe_child(fds[1], p, fn, fnarg);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		t = now_ms();
		/* each item and each module's objects get their own time */
		if (r->steps != seen) {
			seen = r->steps;
			step_end = t + SNMPMGR_MAX_MIB_MODULE_MS;
		}
		if (r->cur == -1 && r->walk[0] == '\0')
			step_end = 0;	/* between steps: the deadline */
		if (t >= deadline) {
			late = true;
			break;
		}
		if (step_end != 0 && t >= step_end) {
			hung = true;
			break;
		}
		wait_ms = (int)((step_end != 0 && step_end < deadline ?
		    step_end : deadline) - t);
		pfd.revents = 0;
		if (poll(&pfd, 1, wait_ms) == -1 && errno != EINTR) {
			snprintf(err, errlen, "mibs: poll: %s",
			    strerror(errno));
			late = true;
			break;
		}
		if (pfd.revents == 0)
			continue;
		if ((k = probe_read(r, p, fds[0])) == 0) {
			eof = true;
			break;
		}
		if (k == -1) {
			snprintf(err, errlen, "mibs: reading from the child: "
			    "%s", strerror(errno));
			late = true;
			break;
		}
	}
	/* Not at its end: the child may live on (a zombie is fine too). */
	if (!eof)
		kill(pid, SIGKILL);
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = 0;
			break;
		}
	if (late) {
		if (err[0] == '\0')
			snprintf(err, errlen, "mibs: reading the modules took "
			    "over %d s; the section is refused",
			    SNMPMGR_MAX_MIB_PROBE_MS / 1000);
		goto out;
	}
	if (!hung && r->done && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		rv = 1;
		goto out;
	}
	probe_cause(status, hung, cause, sizeof(cause));
	if (r->cur != -1) {
		probe_skip(r, p, (size_t)r->cur, cause, warn, arg);
		p->skip[r->cur] = true;
		rv = 0;
	} else if (r->walk[0] != '\0') {
		if (probe_nowalk(r, p, cause, warn, arg) == -1)
			snprintf(err, errlen, "mibs: out of memory");
		else
			rv = 0;
	} else
		snprintf(err, errlen, "mibs: %s no module (before or after "
		    "them all); the section is refused", cause);
 out:
	free(r);
	return rv;
}

int
mib_probe(struct mib_plan *p, mib_probe_child_fn *fn, void *fnarg,
    mib_warn_fn *warn, void *arg, char *err, size_t errlen)
{
	int64_t		 deadline = now_ms() + SNMPMGR_MAX_MIB_PROBE_MS;
	int		 rv;

	err[0] = '\0';
	/* Each round that does not end skips one more item. */
	while ((rv = probe_once(p, fn, fnarg, deadline, warn, arg, err,
	    errlen)) == 0)
		;
	return rv == 1 ? 0 : -1;
}
