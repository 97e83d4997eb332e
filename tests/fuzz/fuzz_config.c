/*
 * fuzz_config.c - libFuzzer target for the config loader (daemon/config.c):
 * any bytes as a config file through config_load(), with its line and
 * column errors, includes, durations, sizes, OIDs, credentials and
 * session options.
 *
 * A file is not as hostile as a packet, but a crash at start-up or on a
 * reload is still a crash.  The input is written to a temporary file and
 * loaded from there; an accepted config is also rendered back (every
 * session's options, secrets masked) and freed.  Build with `make fuzz`
 * (clang, libFuzzer); seeds come from tests/fuzz/seeds.py.
 */
#include <config.h>

#include <fcntl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/conf.h"
#include "daemon/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 fz_path[64];

static void
fz_unlink(void)
{
	unlink(fz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 fd = -1;
	struct config_err	 err;
	struct config		*c;
	const struct config_session *cs;
	json_t			*j;
	size_t			 i;

	if (fd == -1) {
		log_init(LOG_DEBUG, true);	/* formatted, then dropped */
		snprintf(fz_path, sizeof(fz_path), "/tmp/fuzz_config.%d.json",
		    (int)getpid());
		if ((fd = open(fz_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600)) == -1)
			abort();
		atexit(fz_unlink);
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	memset(&err, 0, sizeof(err));
	if ((c = config_load(fz_path, &err)) == NULL) {
		if (err.text[0] == '\0' ||
		    memchr(err.text, '\0', sizeof(err.text)) == NULL)
			abort();
		return 0;
	}
	for (i = 0; i < c->nsessions; i++) {
		cs = &c->sessions[i];
		if ((j = config_session_opts_json(cs->opts, true)) == NULL)
			abort();
		json_decref(j);
		if ((j = config_extra_json(cs->extra, true)) != NULL)
			json_decref(j);
	}
	config_free(c);
	return 0;
}
