/*
 * engineid.c - our own SNMP engine's identity: snmpEngineID and
 * snmpEngineBoots (RFC 3411 3.1.1 and 5, RFC 3414 2.2).
 *
 * Both live in one small JSON file in the state directory,
 *
 *     {"engine_id": "0x80000000050123456789abcdef012345", "engine_boots": 7}
 *
 * written to a temporary file, synced and renamed into place, so a crash
 * leaves either the old or the new one.  The ID is made once (or comes
 * from the config); boots go up by one at every start, so a receiver that
 * remembers our last boots/time (RFC 3414 3.2 step 7) knows a replay from
 * a restart.
 *
 * A start reads them early (others take the values while they are set
 * up) and writes the new boots once everything but the control socket
 * has started, before the socket shows and the event loop handles the
 * first message: a start that fails has shown no one its boots or time,
 * so the next start may use the same value, and every run that did goes
 * on the file first (RFC 3414 2.2.2: the value is what keeps a message
 * of an earlier run from being accepted again).  A control socket that
 * cannot be opened costs a value: a boots value skipped is harmless.
 */
#include <config.h>		/* autoconf's */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "core/limits.h"
#include "core/usm.h"

#include "conf.h"
#include "daemon.h"
#include "dirs.h"
#include "engineid.h"
#include "log.h"

#define ENGINEID_FILE		"engine-id"
/* RFC 3411 5: enterprise number with the top bit set (we have none: 0),
 * format 5, administratively assigned octets. */
#define ENGINEID_RANDOM		12

void
engineid_format(const uint8_t *id, size_t len, char *buf, size_t size)
{
	size_t	 i, off;

	if (size < 3) {
		if (size > 0)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, size, "0x");
	for (i = 0, off = 2; i < len && off + 2 < size; i++, off += 2)
		snprintf(buf + off, size - off, "%02x", id[i]);
}

/* Hex text ("0x..." or plain) into out: the octet count, or 0. */
static size_t
engineid_parse(const char *s, uint8_t *out, size_t max)
{
	size_t	 n = 0;
	int	 hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s[0] != '\0') {
		if (s[1] == '\0' || n == max)
			return 0;
		hi = s[0] >= '0' && s[0] <= '9' ? s[0] - '0' :
		    s[0] >= 'a' && s[0] <= 'f' ? s[0] - 'a' + 10 :
		    s[0] >= 'A' && s[0] <= 'F' ? s[0] - 'A' + 10 : -1;
		lo = s[1] >= '0' && s[1] <= '9' ? s[1] - '0' :
		    s[1] >= 'a' && s[1] <= 'f' ? s[1] - 'a' + 10 :
		    s[1] >= 'A' && s[1] <= 'F' ? s[1] - 'A' + 10 : -1;
		if (hi < 0 || lo < 0)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

/* A fresh engine ID (RFC 3411 5, format 5).  0 or -1. */
static int
engineid_make(uint8_t *id, size_t *len)
{
	id[0] = 0x80;
	id[1] = id[2] = id[3] = 0x00;
	id[4] = 0x05;
	if (RAND_bytes(id + 5, ENGINEID_RANDOM) != 1)
		return -1;
	*len = 5 + ENGINEID_RANDOM;
	return 0;
}

/* Read STATE_DIR/engine-id.  1 found, 0 absent, -1 unreadable. */
static int
engineid_read(const char *path, uint8_t *id, size_t *len, uint32_t *boots,
    char *why, size_t whylen)
{
	json_error_t	 jerr;
	json_t		*root, *jid, *jb;

	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		snprintf(why, whylen, "%s: %s", path, jerr.text);
		return -1;
	}
	jid = json_object_get(root, "engine_id");
	jb = json_object_get(root, "engine_boots");
	if (!json_is_string(jid) || !json_is_integer(jb) ||
	    json_integer_value(jb) < 0 ||
	    json_integer_value(jb) > (json_int_t)USM_MAX_BOOTS ||
	    (*len = engineid_parse(json_string_value(jid), id,
	    SNMPMGR_MAX_ENGINE_ID_LEN)) < 5) {
		snprintf(why, whylen, "%s: expected {\"engine_id\": HEX, "
		    "\"engine_boots\": N}", path);
		json_decref(root);
		return -1;
	}
	*boots = (uint32_t)json_integer_value(jb);
	json_decref(root);
	return 1;
}

/* Write it whole or not at all.  0 or -1. */
static int
engineid_write(const char *dir, const char *path, const uint8_t *id,
    size_t len, uint32_t boots, char *why, size_t whylen)
{
	char	 tmp[PATH_MAX], hex[2 + 2 * SNMPMGR_MAX_ENGINE_ID_LEN + 1];
	char	 text[200];
	int	 fd = -1, n;

	engineid_format(id, len, hex, sizeof(hex));
	n = snprintf(text, sizeof(text), "{\"engine_id\": \"%s\", "
	    "\"engine_boots\": %u}\n", hex, boots);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(why, whylen, "%s: path too long", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, text, (size_t)n) != n ||
	    fsync(fd) == -1 || close(fd) == -1) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename itself, on the directory. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

int
engineid_init(struct daemon *d, char *why, size_t whylen)
{
	const struct config *c = d->conf;
	uint8_t		 id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 len = 0;
	uint32_t	 boots = 0;
	char		 path[PATH_MAX];
	int		 found, rv = 0;

	why[0] = '\0';
	found = -1;
	if (c->state_dir == NULL || snprintf(path, sizeof(path), "%s/%s",
	    c->state_dir, ENGINEID_FILE) >= (int)sizeof(path))
		snprintf(why, whylen, "no usable state_dir");
	else {
		if (dirs_make(c->state_dir, 0750, 0750) == -1)
			snprintf(why, whylen, "%s: %s", c->state_dir,
			    strerror(errno));
		else
			found = engineid_read(path, id, &len, &boots, why,
			    whylen);
	}
	if (c->local_engine_id_len > 0) {
		/* Configured; boots count on only while it stays the same. */
		if (found != 1 || len != c->local_engine_id_len ||
		    memcmp(id, c->local_engine_id, len) != 0)
			boots = 0;
		len = c->local_engine_id_len;
		memcpy(id, c->local_engine_id, len);
	} else if (found != 1) {
		boots = 0;
		if (engineid_make(id, &len) == -1) {
			snprintf(why, whylen, "no random octets for an "
			    "engine ID");
			return -1;
		}
	}
	/* RFC 3414 2.2.2: one more boot, and never past the maximum. */
	if (boots < USM_MAX_BOOTS)
		boots++;
	if (found == -1)
		rv = -1;
	memcpy(d->engine_id, id, len);
	d->engine_id_len = len;
	d->engine_boots = boots;
	return rv;
}

int
engineid_save(const struct daemon *d, char *why, size_t whylen)
{
	char	 path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", d->conf->state_dir,
	    ENGINEID_FILE) >= (int)sizeof(path)) {
		snprintf(why, whylen, "no usable state_dir");
		return -1;
	}
	return engineid_write(d->conf->state_dir, path, d->engine_id,
	    d->engine_id_len, d->engine_boots, why, whylen);
}

void
engineid_start(struct daemon *d)
{
	char	 why[PATH_MAX + 100];
	char	 hex[2 + 2 * SNMPMGR_MAX_ENGINE_ID_LEN + 1];

	d->engine_unsaved = engineid_init(d, why, sizeof(why)) == -1;
	if (d->engine_unsaved)
		log_warnx("local engine: %s: engine ID and boots are kept for "
		    "this run only", why);
	engineid_format(d->engine_id, d->engine_id_len, hex, sizeof(hex));
	log_info("local engine ID %s, boots %u", hex, d->engine_boots);
}

void
engineid_commit(struct daemon *d)
{
	char	 why[PATH_MAX + 100];

	if (d->engine_unsaved)
		return;
	if (engineid_save(d, why, sizeof(why)) == -1) {
		d->engine_unsaved = true;
		log_warnx("local engine: %s: engine ID and boots are kept for "
		    "this run only", why);
	}
}

uint32_t
engineid_time(const struct daemon *d)
{
	double	 up = daemon_uptime(d);

	if (up < 0)
		return 0;
	if (up > (double)USM_MAX_BOOTS)
		return USM_MAX_BOOTS;
	return (uint32_t)up;
}
