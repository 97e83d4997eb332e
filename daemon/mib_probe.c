/*
 * mib_probe.c - reading MIB modules in a child process, so that a module
 * libsmi crashes (or hangs) on costs a warning, not the daemon.
 *
 * libsmi 0.4.8 dereferences a NULL type when a TEXTUAL-CONVENTION's
 * SYNTAX names a base type it cannot find (Opaque, Counter32, ... with
 * SNMPv2-SMI missing, as with Debian's Net-SNMP MIBs alone), and it has
 * more faults of that kind; none can be told from outside before it is
 * met.  So mib_load (mib.c) has a child do all of the loading with the
 * plan's items in order, writing on a board in memory shared with the
 * daemon which item (or which module's objects) it is in and what
 * libsmi said, and building the set in memory shared too; the daemon
 * sleeps until the child ends (its end of a pipe closes) or a step
 * takes too long, and reads the board then.  When the child dies or stops answering
 * inside an item, that item is marked skipped, its last messages and
 * the cause are reported, and a new child starts over without it
 * (libsmi's state at each item is then what it would have been had the
 * item not been listed).  The child that gets through leaves the set;
 * its messages are reported then.  Everything is bounded in time
 * (core/limits.h): the caller waits, the event loop with it.
 */
#include <config.h>		/* autoconf's */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "mib.h"
#include "mib_int.h"

/* The last messages of the step under way are kept for a report of its
 * end, and the first PROBE_ALL of the whole run for the round that gets
 * through (the config keeps 200 warnings). */
#define PROBE_KEEP	8
#define PROBE_ALL	256
/* How often the daemon looks whether the child moved on, in ms. */
#define PROBE_TICK	100

struct probe_msg {
	char		 file[300];
	int		 line;
	char		 text[400];
};

/*
 * The board, in a shared mapping: written by the child only, read by
 * the daemon (steps while the child runs, the rest once it has ended).
 * The child may have scribbled anywhere on it: the daemon checks every
 * count and ends every string it reads.
 */
struct mib_probe_out {
	size_t		 steps;		/* items and walks begun */
	ssize_t		 cur;		/* item begun, not ended; -1 */
	char		 walk[300];	/* module whose objects are read */
	bool		 done;		/* the child got through */
	bool		 nomem;		/* the child could not build the set */
	struct probe_msg keep[PROBE_KEEP];
	size_t		 nkeep;		/* messages of the step, kept */
	size_t		 nmsgs;		/* of which the last is at nmsgs - 1 */
	struct probe_msg all[PROBE_ALL];
	size_t		 nall;
};

/* ------------------------------------------------------------ child */

static void
msg_set(struct probe_msg *m, const char *file, int line, const char *text)
{
	snprintf(m->file, sizeof(m->file), "%s", file != NULL ? file : "");
	snprintf(m->text, sizeof(m->text), "%s", text != NULL ? text : "");
	m->line = line > 0 ? line : 0;
}

static void
step(struct mib_probe_out *b)
{
	b->nkeep = b->nmsgs = 0;
	__atomic_add_fetch(&b->steps, 1, __ATOMIC_RELEASE);
}

void
mib_probe_begin(struct mib_probe_out *b, size_t i)
{
	b->cur = (ssize_t)i;
	step(b);
}

void
mib_probe_end(struct mib_probe_out *b, size_t i)
{
	(void)i;
	b->cur = -1;
}

void
mib_probe_walk(struct mib_probe_out *b, const char *module)
{
	if (module == NULL) {
		b->walk[0] = '\0';
		return;
	}
	snprintf(b->walk, sizeof(b->walk), "%s", module);
	step(b);
}

void
mib_probe_msg(void *arg, const char *file, int line, const char *msg)
{
	struct mib_probe_out *b = arg;

	if (b->nall < PROBE_ALL)
		msg_set(&b->all[b->nall++], file, line, msg);
	if (b->cur == -1 && b->walk[0] == '\0')
		return;
	/* a ring of the step's last PROBE_KEEP */
	msg_set(&b->keep[b->nmsgs++ % PROBE_KEEP], file, line, msg);
	if (b->nkeep < PROBE_KEEP)
		b->nkeep++;
}

/* The child's life: load, say so, leave without cleaning up. */
static void __attribute__((noreturn))
probe_child(int fd, pid_t parent, struct mib_probe_out *b,
    const struct mib_plan *p, mib_probe_child_fn *fn, void *arg)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1,
	    SIGUSR2, SIGPIPE, SIGCHLD };
	struct rlimit	 nocore = { 0, 0 };
	size_t		 i;
	int		 null;

	/* Not the daemon's handlers (libevent's would wake its loop), no
	 * core file for a crash we expect, nothing of the child's in the
	 * daemon's stderr (a sanitizer's report of that crash), and none of
	 * the daemon's sockets and files but the pipe, moved to fd 3. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	/* Not outliving a daemon killed while it waits for us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(2);
	(void)setrlimit(RLIMIT_CORE, &nocore);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
	}
	if (fd != 3 && dup2(fd, 3) == -1)
		_exit(2);
	(void)close_range(4, ~0U, 0);
	b->cur = -1;
	if (fn(p, b, arg) == -1) {
		b->nomem = true;
		_exit(1);
	}
	b->done = true;
	_exit(0);
}

/* ------------------------------------------------------------ parent */

/*
 * The pipe the child's end is seen by, both ends above stderr: a daemon
 * started with stdin or stdout closed gets 0 and 1 from pipe(), and the
 * child's /dev/null on them would end the pipe before the child.
 */
static int
probe_pipe(int fds[2])
{
	int	 i, fd, e;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fds[i] > STDERR_FILENO)
			continue;
		if ((fd = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) ==
		    -1) {
			e = errno;
			close(fds[0]);
			close(fds[1]);
			errno = e;
			return -1;
		}
		close(fds[i]);
		fds[i] = fd;
	}
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Message m of the board, its strings ended, to warn. */
static void
msg_warn(struct probe_msg *m, mib_warn_fn *warn, void *arg)
{
	m->file[sizeof(m->file) - 1] = '\0';
	m->text[sizeof(m->text) - 1] = '\0';
	warn(arg, m->file, m->line, m->text);
}

/* The step's last messages, oldest first. */
static void
keep_warn(struct mib_probe_out *b, mib_warn_fn *warn, void *arg)
{
	size_t	 k, n = b->nkeep > PROBE_KEEP ? PROBE_KEEP : b->nkeep;

	for (k = 0; k < n; k++)
		msg_warn(&b->keep[(b->nmsgs - n + k) % PROBE_KEEP], warn, arg);
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
probe_skip(struct mib_probe_out *b, const struct mib_plan *p, size_t i,
    const char *cause, mib_warn_fn *warn, void *arg)
{
	const char	*item = p->items[i];
	char		 msg[600];

	if (warn == NULL)
		return;
	keep_warn(b, warn, arg);
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
probe_nowalk(struct mib_probe_out *b, struct mib_plan *p,
    const char *cause, mib_warn_fn *warn, void *arg)
{
	char		 msg[700], **nw;

	if ((nw = realloc(p->nowalk, (p->nnowalk + 1) * sizeof(*nw))) == NULL)
		return -1;
	p->nowalk = nw;
	if ((nw[p->nnowalk] = strdup(b->walk)) == NULL)
		return -1;
	p->nnowalk++;
	if (warn == NULL)
		return 0;
	keep_warn(b, warn, arg);
	snprintf(msg, sizeof(msg), "module %s: %s its objects; skipped",
	    b->walk, cause);
	warn(arg, "", 0, msg);
	return 0;
}

/*
 * One child over the plan, with board b.  1: it got through; 0: it
 * stopped in an item or a module's objects, now skipped; -1 (err set):
 * the probe itself failed.
 */
static int
probe_once(struct mib_probe_out *b, struct mib_plan *p,
    mib_probe_child_fn *fn, void *fnarg, int64_t deadline,
    mib_warn_fn *warn, void *arg, char *err, size_t errlen)
{
	struct pollfd	 pfd;
	int64_t		 t, step_end = 0;
	size_t		 seen = 0, k, steps;
	pid_t		 pid, parent;
	bool		 hung = false, late = false;
	char		 cause[200], c;
	int		 fds[2], status, wait_ms;
	ssize_t		 n;

	memset(b, 0, sizeof(*b));
	if (probe_pipe(fds) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	parent = getpid();
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* its end of the pipe closes as it ends */
		close(fds[0]);
		probe_child(fds[1], parent, b, p, fn, fnarg);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		t = now_ms();
		/* each item and each module's objects get their own time */
		steps = __atomic_load_n(&b->steps, __ATOMIC_ACQUIRE);
		if (steps != seen) {
			seen = steps;
			step_end = t + SNMPMGR_MAX_MIB_MODULE_MS;
		}
		if (t >= deadline) {
			late = true;
			break;
		}
		if (step_end != 0 && t >= step_end) {
			hung = true;
			break;
		}
		wait_ms = (int)(deadline - t);
		if (wait_ms > PROBE_TICK)
			wait_ms = PROBE_TICK;
		pfd.revents = 0;
		if (poll(&pfd, 1, wait_ms) == -1 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s",
			    strerror(errno));
			late = true;
			break;
		}
		if (pfd.revents == 0)
			continue;
		if ((n = read(fds[0], &c, 1)) == 0)
			break;		/* the child has ended */
		if (n == -1 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, errlen, "pipe: %s",
			    strerror(errno));
			late = true;
			break;
		}
	}
	if (hung || late)
		kill(pid, SIGKILL);
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = 0;
			break;
		}
	if (late) {
		if (err[0] == '\0')
			snprintf(err, errlen, "reading the modules took "
			    "over %d s; the section is refused",
			    SNMPMGR_MAX_MIB_PROBE_MS / 1000);
		return -1;
	}
	if (!hung && b->done && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		/* what libsmi said of the set the daemon gets */
		for (k = 0; warn != NULL && k < b->nall && k < PROBE_ALL; k++)
			msg_warn(&b->all[k], warn, arg);
		return 1;
	}
	if (b->nomem) {
		snprintf(err, errlen, "out of memory building the "
		    "set (no memory, or larger than its mapping)");
		return -1;
	}
	probe_cause(status, hung, cause, sizeof(cause));
	b->walk[sizeof(b->walk) - 1] = '\0';
	if (b->cur >= 0 && (size_t)b->cur < p->nitems) {
		probe_skip(b, p, (size_t)b->cur, cause, warn, arg);
		p->skip[b->cur] = true;
		return 0;
	}
	if (b->walk[0] != '\0') {
		if (probe_nowalk(b, p, cause, warn, arg) == 0)
			return 0;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(err, errlen, "%s no module (before or after them "
	    "all); the section is refused", cause);
	return -1;
}

int
mib_probe(struct mib_plan *p, mib_probe_child_fn *fn, void *fnarg,
    mib_warn_fn *warn, void *arg, char *err, size_t errlen)
{
	int64_t		 deadline = now_ms() + SNMPMGR_MAX_MIB_PROBE_MS;
	struct mib_probe_out *b;
	int		 rv;

	err[0] = '\0';
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		return -1;
	}
	/* Each round that does not get through skips one more item. */
	while ((rv = probe_once(b, p, fn, fnarg, deadline, warn, arg, err,
	    errlen)) == 0)
		;
	munmap(b, sizeof(*b));
	return rv == 1 ? 0 : -1;
}
