/*
 * check_config.c - the configuration loader: duration and size syntax,
 * every class of error with the file, line and column it names, includes,
 * option precedence, and the inline-target entry points.
 *
 * Config texts are written to a fresh temporary directory per test.  An
 * '@' in a text marks where the expected error points; the helper strips
 * it and works out the line and column it stood at.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "core/usm.h"
#include "daemon/conf.h"
#include "daemon/conf_int.h"
#include "check_main.h"

#define TPATH	4096

static char	 tmpdir[64];
static char	*made[64];
static int	 nmade;

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	nmade = 0;
}

static void
teardown(void)
{
	while (nmade > 0) {
		nmade--;
		if (unlink(made[nmade]) == -1)
			(void)rmdir(made[nmade]);
		free(made[nmade]);
	}
	(void)rmdir(tmpdir);
}

static void
remember(const char *path)
{
	ck_assert_int_lt(nmade, 64);
	made[nmade] = strdup(path);
	ck_assert_ptr_nonnull(made[nmade]);
	nmade++;
}

static const char *
mkdir_tmp(const char *name)
{
	static char	 path[TPATH];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	remember(path);
	return path;
}

/*
 * Write text (with any '@' removed) to tmpdir/name; *line and *col get
 * where the '@' was (0 when there was none).  Returns the path.
 */
static const char *
write_marked(const char *name, const char *text, int *line, int *col)
{
	static char	 path[8][TPATH];
	static int	 turn;
	char		*p;
	FILE		*f;
	int		 l = 1, c = 1;

	turn = (turn + 1) % 8;
	p = path[turn];
	snprintf(p, TPATH, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	remember(p);
	if (line != NULL)
		*line = *col = 0;
	for (; *text != '\0'; text++) {
		if (*text == '@') {
			if (line != NULL) {
				*line = l;
				*col = c;
			}
			continue;
		}
		fputc(*text, f);
		if (*text == '\n') {
			l++;
			c = 1;
		} else if ((*text & 0xc0) != 0x80)
			c++;
	}
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

static const char *
write_file(const char *name, const char *text)
{
	return write_marked(name, text, NULL, NULL);
}

/* Loading name must fail at the '@' of its text, with msg in the error. */
static void
expect_error(const char *text, const char *msg)
{
	struct config_err	 err;
	struct config		*c;
	const char		*path;
	char			 prefix[TPATH + 64];
	int			 line, col;

	path = write_marked("t.json", text, &line, &col);
	ck_assert_int_gt(line, 0);
	c = config_load(path, &err);
	ck_assert_msg(c == NULL, "loaded a bad config: %s", text);
	snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", path, line, col);
	ck_assert_msg(strncmp(err.text, prefix, strlen(prefix)) == 0,
	    "error \"%s\" does not start with \"%s\"", err.text, prefix);
	ck_assert_msg(strstr(err.text, msg) != NULL,
	    "error \"%s\" does not say \"%s\"", err.text, msg);
}

static struct config *
load_ok(const char *text)
{
	struct config_err	 err;
	struct config		*c;

	c = config_load(write_file("ok.json", text), &err);
	ck_assert_msg(c != NULL, "good config rejected: %s", err.text);
	return c;
}

/* -------------------------------------------------------- durations */

START_TEST(config_duration_accepts_units_and_seconds)
{
	static const struct {
		const char	*s;
		uint32_t	 ms;
	} good[] = {
		{ "500ms", 500 }, { "5s", 5000 }, { "1m", 60000 },
		{ "1h", 3600000 }, { "1.5s", 1500 }, { "5", 5000 },
		{ "0.25", 250 }, { "0ms", 0 }, { "2.5m", 150000 },
	};
	uint32_t	 ms;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 12345;
		ck_assert_msg(config_parse_duration(good[i].s, &ms) == 0,
		    "rejected %s", good[i].s);
		ck_assert_uint_eq(ms, good[i].ms);
	}
}
END_TEST

START_TEST(config_duration_rejects_garbage)
{
	static const char *const bad[] = { "", "s", "5x", "-1s", "5 s",
		"5.", "1e3", "0x10", "5sec", " 5s", "99999999999999999999x" };
	uint32_t	 ms;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_duration(bad[i], &ms) == -1,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

/* Well-formed but too long, or finer than a millisecond: told apart from
 * a syntax error, so the message can say which. */
START_TEST(config_duration_range_and_precision)
{
	static const char *const big[] = { "50d", "49.8d", "4294968s",
		"71583min", "99999999999s", "99999999999999999999s",
		"4294967296ms" };
	static const char *const fine[] = { "1.0005s", "1.0001s", "1.5ms",
		"0.0001", "0.00000000000000000000001s",
		"1.00000000000000000000001s" };
	uint32_t	 ms;
	size_t		 i;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		ck_assert_msg(config_parse_duration(big[i], &ms) ==
		    CONFIG_DURATION_RANGE, "\"%s\" not out of range", big[i]);
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		ck_assert_msg(config_parse_duration(fine[i], &ms) ==
		    CONFIG_DURATION_FINE, "\"%s\" not too fine", fine[i]);
	ck_assert_int_eq(config_parse_duration("49d", &ms), 0);
	ck_assert_uint_eq(ms, 49U * 86400000U);
	ck_assert_int_eq(config_parse_duration("4294967295ms", &ms), 0);
	ck_assert_uint_eq(ms, UINT32_MAX);
	ck_assert_int_eq(config_parse_duration("0.000000000000000000000s",
	    &ms), 0);
	ck_assert_uint_eq(ms, 0);
	/* The config says so in the same words as for a number. */
	expect_error("{\"scheduler\": {\"backoff_max\": @\"50d\"}}\n",
	    "scheduler.backoff_max: must be from 10ms to 24h");
	expect_error("{\"scheduler\": {\"backoff_max\": @\"49d\"}}\n",
	    "scheduler.backoff_max: must be from 10ms to 24h");
	expect_error("{\"defaults\": {\"timeout\": @\"1.0005s\"}}\n",
	    "defaults.timeout: finer than a millisecond");
	expect_error("{\"defaults\": {\"timeout\": @1.0005}}\n",
	    "defaults.timeout: finer than a millisecond");
}
END_TEST

START_TEST(config_size_accepts_binary_and_decimal_units)
{
	static const struct {
		const char	*s;
		uint64_t	 n;
	} good[] = {
		{ "64MiB", 64ULL << 20 }, { "512KiB", 512ULL << 10 },
		{ "1GiB", 1ULL << 30 }, { "10k", 10000 }, { "10M", 10000000 },
		{ "4096", 4096 }, { "1.5KiB", 1536 }, { "2G", 2000000000ULL },
	};
	uint64_t	 n;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(config_parse_size(good[i].s, &n) == 0,
		    "rejected %s", good[i].s);
		ck_assert_uint_eq(n, good[i].n);
	}
}
END_TEST

START_TEST(config_size_rejects_garbage)
{
	static const char *const bad[] = { "", "MiB", "10 MiB", "-1",
		"1.5", "10mib", "10Q", "0.1B", "99999999999999999999" };
	uint64_t	 n;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_size(bad[i], &n) == -1,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

/* ------------------------------------------------------------ loads */

START_TEST(config_empty_object_gives_defaults)
{
	struct config	*c = load_ok("{}\n");

	ck_assert_str_eq(c->state_dir, "/var/lib/snmpmgrd");
	ck_assert_str_eq(c->control_socket, "/run/snmpmgrd/control.sock");
	ck_assert_int_eq(c->control_mode, 0660);
	ck_assert_uint_eq(c->control_idle_ms, SNMPMGR_CTL_IDLE_TIMEOUT);
	ck_assert_uint_eq(c->control_line_ms, SNMPMGR_CTL_LINE_TIMEOUT);
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert(!c->log_syslog);
	ck_assert_uint_eq(c->nsessions, 0);
	ck_assert_uint_eq(c->npolls, 0);
	ck_assert(!c->have_traps);
	config_free(c);
}
END_TEST

static const char full_config[] =
"{\n"
"  \"control\":  { \"socket\": \"ctl.sock\", \"mode\": \"0600\",\n"
"                \"idle_timeout\": 0, \"line_timeout\": \"1500ms\" },\n"
"  \"state_dir\": \"/var/tmp/snmpmgrd-test\",\n"
"  \"log\":      { \"level\": \"debug\", \"syslog\": true },\n"
"  \"defaults\": { \"timeout\": \"2s\", \"retries\": 2,\n"
"                \"community\": \"fromdefaults\" },\n"
"  \"credentials\": {\n"
"    \"ops\": { \"user\": \"ops\", \"auth\": \"sha256\",\n"
"             \"auth_password\": \"authpass1\", \"priv\": \"aes\",\n"
"             \"priv_password\": \"privpass1\" }\n"
"  },\n"
"  \"polls\": {\n"
"    \"system\": { \"get\": [\"1.3.6.1.2.1.1.3.0\", \"1.3.6.1.2.1.1.5.0\"],\n"
"                \"interval\": \"30s\" },\n"
"    \"ifaces\": { \"walk\": [\"1.3.6.1.2.1.2.2.1\"], \"interval\": 60,\n"
"                \"jitter\": \"5s\", \"max_repetitions\": 10,\n"
"                \"timeout\": 1.5, \"retries\": 1, \"use_getnext\": true }\n"
"  },\n"
"  \"templates\": {\n"
"    \"switch\": { \"version\": \"2c\", \"timeout\": \"3s\", \"retries\": 4,\n"
"                \"credentials\": \"ops\", \"polls\": [\"system\", \"ifaces\"] }\n"
"  },\n"
"  \"sessions\": {\n"
"    \"zeta\":    { \"template\": \"switch\", \"host\": \"192.0.2.10\",\n"
"                 \"retries\": 5 },\n"
"    \"printer\": { \"host\": \"192.0.2.20\", \"version\": 1,\n"
"                 \"community\": \"public\", \"polls\": [\"system\"],\n"
"                 \"dscp\": 46, \"in_buffer_size\": \"256KiB\" },\n"
"    \"alpha\":   { \"host\": \"::1\", \"transport\": \"udp6\", \"port\": 1161 }\n"
"  },\n"
"  \"traps\": {\n"
"    \"listen\": [\"udp:0.0.0.0:162\", \"udp6:[::]:1162\"],\n"
"    \"communities\": [\"public\"],\n"
"    \"users\": [\"ops\"],\n"
"    \"journal\": { \"path\": \"traps.jsonl\", \"max_size\": \"64MiB\",\n"
"                 \"keep\": 4, \"fsync\": \"always\" }\n"
"  }\n"
"}\n";

START_TEST(config_full_example_loads)
{
	struct config			*c = load_ok(full_config);
	const struct config_session	*s;
	const struct config_poll	*p;

	ck_assert_str_eq(c->control_socket, "/var/tmp/snmpmgrd-test/ctl.sock");
	ck_assert_int_eq(c->control_mode, 0600);
	ck_assert_uint_eq(c->control_idle_ms, 0);
	ck_assert_uint_eq(c->control_line_ms, 1500);
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
	ck_assert(c->log_syslog);

	ck_assert_uint_eq(c->npolls, 2);
	ck_assert_str_eq(c->polls[0].name, "ifaces");	/* sorted */
	p = config_find_poll(c, "ifaces");
	ck_assert_ptr_nonnull(p);
	ck_assert(p->is_walk);
	ck_assert_uint_eq(p->noids, 1);
	ck_assert_uint_eq(p->oids[0].len, 9);
	ck_assert_uint_eq(p->interval_ms, 60000);
	ck_assert_uint_eq(p->jitter_ms, 5000);
	ck_assert_uint_eq(p->timeout_ms, 1500);
	ck_assert_int_eq(p->retries, 1);
	ck_assert_uint_eq(p->max_repetitions, 10);
	ck_assert(p->use_getnext);
	p = config_find_poll(c, "system");
	ck_assert_ptr_nonnull(p);
	ck_assert(!p->is_walk);
	ck_assert_uint_eq(p->noids, 2);
	ck_assert_int_eq(p->retries, -1);
	ck_assert_uint_eq(p->timeout_ms, 0);
	ck_assert_ptr_null(config_find_poll(c, "nope"));

	ck_assert_uint_eq(c->nsessions, 3);
	ck_assert_str_eq(c->sessions[0].name, "alpha");
	ck_assert_str_eq(c->sessions[1].name, "printer");
	ck_assert_str_eq(c->sessions[2].name, "zeta");
	s = config_find_session(c, "alpha");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->opts->transport, SESS_TRANSPORT_UDP6);
	ck_assert_uint_eq(s->opts->port, 1161);
	ck_assert_uint_eq(s->npolls, 0);
	s = config_find_session(c, "printer");
	ck_assert_int_eq(s->opts->version, SNMP_V1);
	ck_assert_int_eq(s->opts->dscp, 46);
	ck_assert_int_eq(s->opts->in_buffer_size, 256 * 1024);
	ck_assert_uint_eq(s->npolls, 1);
	ck_assert_str_eq(s->polls[0], "system");
	ck_assert_ptr_null(s->extra);
	s = config_find_session(c, "zeta");
	ck_assert_str_eq(s->template_name, "switch");
	ck_assert_str_eq(s->credentials, "ops");
	ck_assert_uint_eq(s->npolls, 2);
	ck_assert_ptr_nonnull(s->extra);
	ck_assert_str_eq(json_string_value(json_object_get(s->extra, "user")),
	    "ops");
	ck_assert_ptr_null(config_find_session(c, "nope"));

	ck_assert(c->have_traps);
	ck_assert_uint_eq(c->traps.nlisten, 2);
	ck_assert_int_eq(c->traps.listen[1].transport, SESS_TRANSPORT_UDP6);
	ck_assert_str_eq(c->traps.listen[1].host, "::");
	ck_assert_uint_eq(c->traps.listen[1].port, 1162);
	ck_assert_uint_eq(c->traps.ncommunities, 1);
	ck_assert_uint_eq(c->traps.nusers, 1);
	ck_assert_str_eq(c->traps.journal_path,
	    "/var/tmp/snmpmgrd-test/traps.jsonl");
	ck_assert_uint_eq(c->traps.journal_max_size, 64ULL << 20);
	ck_assert_uint_eq(c->traps.journal_keep, 4);
	ck_assert_str_eq(c->traps.journal_fsync, "always");
	config_free(c);
}
END_TEST

START_TEST(config_precedence_defaults_template_session)
{
	struct config			*c = load_ok(full_config);
	const struct config_session	*s = config_find_session(c, "zeta");

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->opts->timeout_ms, 3000);	/* template */
	ck_assert_uint_eq(s->opts->retries, 5);		/* session */
	ck_assert_str_eq(s->opts->community, "fromdefaults"); /* defaults */
	ck_assert_uint_eq(s->opts->port, 161);		/* built in */
	s = config_find_session(c, "printer");
	ck_assert_uint_eq(s->opts->timeout_ms, 2000);	/* defaults */
	ck_assert_uint_eq(c->defaults.timeout_ms, 2000);
	ck_assert_str_eq(c->defaults.community, "fromdefaults");
	ck_assert_str_eq(s->opts->community, "public");	/* session */
	config_free(c);
}
END_TEST

START_TEST(config_session_polls_replace_template_polls)
{
	struct config	*c = load_ok("{\"polls\": {\"a\": {\"get\": "
	    "[\"1.3.6.1\"], \"interval\": \"1s\"}, \"b\": {\"get\": "
	    "[\"1.3.6.2\"], \"interval\": \"1s\"}},\n"
	    "\"templates\": {\"t\": {\"polls\": [\"a\", \"b\"]}},\n"
	    "\"sessions\": {\"s\": {\"host\": \"h\", \"template\": \"t\", "
	    "\"polls\": [\"b\"]}}}\n");

	ck_assert_uint_eq(c->sessions[0].npolls, 1);
	ck_assert_str_eq(c->sessions[0].polls[0], "b");
	config_free(c);
}
END_TEST

/* ----------------------------------------------------------- errors */

/*
 * text, as a config file, must fail to load with an error that starts
 * "FILE:line:" (err filled); returns that prefix's length.
 */
static size_t
expect_fail_at_line(const char *text, int line, struct config_err *err)
{
	const char		*path;
	char			 prefix[TPATH + 16];

	path = write_file("t.json", text);
	ck_assert_ptr_null(config_load(path, err));
	snprintf(prefix, sizeof(prefix), "%s:%d:", path, line);
	ck_assert_msg(strncmp(err->text, prefix, strlen(prefix)) == 0,
	    "got \"%s\"", err->text);
	return strlen(prefix);
}

/*
 * The config's own JSON parser (conf_json.c) makes what jansson makes of
 * the text it takes, keys in order, and leaves the rest to jansson, whose
 * errors the config reports.
 */
/* a and b dump the same, keys in their order. */
static void
assert_same_tree(json_t *a, json_t *b)
{
	char	*da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	char	*db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);

	ck_assert_ptr_nonnull(da);
	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
}

START_TEST(config_json_fast_matches_jansson)
{
	static const char *const taken[] = {
		"{}", " [ ] ", "{\"a\": 1, \"b\": [true, false, null]}",
		"{\"z\": {\"y\": \"x\"}, \"a\": -42, \"m\": 0}",
		"\n{\"s\": \"tab\\there \\\"q\\\" \\\\ \\/ \\n\\r\\b\\f\"}\n",
		"{\"esc\\nkey\": \"\", \"\": 123456789012345678}",
		"[\"public\", {\"host\": \"127.0.0.1\", \"port\": 161}]",
	};
	static const char *const left[] = {
		/* for jansson: it accepts these */
		"{\"r\": 1.5}", "{\"e\": 1e3}", "{\"u\": \"\\u00e9\"}",
		"{\"utf8\": \"caf\xc3\xa9\"}", "{\"big\": 1234567890123456789}",
		/* and rejects these */
		"{\"a\": 1, \"a\": 2}", "{\"a\": 01}", "{\"a\": tru}",
		"{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "\"str\"", "42",
		"{\"a\": \"ctl\x01\"}", "{} x", "{\"a\": -}", "{\"a\": \"x",
		"{\"bad\": \"\\q\"}", "{\"a\": [1, 2}",
	};
	json_error_t	 je, je2;
	json_t		*a, *b;
	size_t		 i;
	bool		 secrets;
	const char	*pw = "{\"c\": {\"x\": {\"auth_password\": \"pw\"}}}";
	const char	*natspw = "{\"cluster\": {\"nats\": {\"user\": "
	    "\"samepass1\", \"password\": \"samepass1\"}}}";
	json_t		*a_nats;
	const char	*shared = "{\"a\": {\"port\": 161, \"context_name\": "
	    "\"samepass1\"}, \"b\": {\"port\": 161, \"auth_password\": "
	    "\"samepass1\"}}";

	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		a = cfg_json_fast(taken[i], strlen(taken[i]), &secrets);
		ck_assert(!secrets);
		b = json_loadb(taken[i], strlen(taken[i]),
		    JSON_REJECT_DUPLICATES, &je);
		ck_assert_msg(a != NULL, "not taken: %s", taken[i]);
		ck_assert_msg(b != NULL, "jansson: %s", taken[i]);
		assert_same_tree(a, b);
		json_decref(a);
		json_decref(b);
	}
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		ck_assert_msg(cfg_json_fast(left[i], strlen(left[i]),
		    &secrets) == NULL, "taken: %s", left[i]);
		/* cfg_json_load() is jansson for these, errors and all. */
		a = cfg_json_load(left[i], strlen(left[i]), &je, &secrets);
		ck_assert(secrets);
		b = json_loadb(left[i], strlen(left[i]),
		    JSON_REJECT_DUPLICATES, &je2);
		ck_assert_msg((a == NULL) == (b == NULL), "%s", left[i]);
		if (a == NULL) {
			ck_assert_str_eq(je.text, je2.text);
			ck_assert_int_eq(je.line, je2.line);
			ck_assert_int_eq(je.column, je2.column);
		} else
			assert_same_tree(a, b);
		json_decref(a);
		json_decref(b);
	}
	/* A password key anywhere says the tree needs wiping. */
	a = cfg_json_fast(pw, strlen(pw), &secrets);
	ck_assert_ptr_nonnull(a);
	ck_assert(secrets);
	json_decref(a);
	a = cfg_json_fast(natspw, strlen(natspw), &secrets);
	ck_assert_ptr_nonnull(a);
	ck_assert(secrets);
	config_json_wipe_secrets(a);
	a_nats = json_object_get(json_object_get(a, "cluster"), "nats");
	ck_assert_str_eq(json_string_value(json_object_get(a_nats, "user")),
	    "samepass1");
	ck_assert_str_eq(json_string_value(json_object_get(a_nats,
	    "password")), "***");
	json_decref(a);
	/* Equal values are shared, but never one a wipe writes over. */
	a = cfg_json_fast(shared, strlen(shared), &secrets);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(json_object_get(json_object_get(a, "a"), "port"),
	    json_object_get(json_object_get(a, "b"), "port"));
	config_json_wipe_secrets(a);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(a,
	    "a"), "context_name")), "samepass1");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(a,
	    "b"), "auth_password")), "***");
	json_decref(a);
}
END_TEST

START_TEST(config_syntax_error_has_line_and_column)
{
	struct config_err	 err;
	size_t			 n;

	n = expect_fail_at_line("{\n  \"log\": { \"level\": \"info\" },\n"
	    "  \"state_dir\" \"/x\"\n}\n", 3, &err);
	/* and a column after the line */
	ck_assert_msg(strchr(err.text + n, ':') != NULL,
	    "got \"%s\"", err.text);
}
END_TEST

/*
 * A syntax error inside a password, key or community names its place and
 * key path but never quotes the text (jansson would: "near '...'"), which
 * goes to the log, the reload reply and the config event.
 */
static void
expect_hidden(const char *text, int line, const char *path_in_err,
    const char *secret)
{
	struct config_err	 err;
	char			 want[TPATH + 128];

	(void)expect_fail_at_line(text, line, &err);
	snprintf(want, sizeof(want), ": %s: invalid JSON in a secret value",
	    path_in_err);
	ck_assert_msg(strstr(err.text, want) != NULL, "got \"%s\", want "
	    "\"%s\"", err.text, want);
	ck_assert_msg(strstr(err.text, secret) == NULL, "\"%s\" shows the "
	    "secret", err.text);
}

START_TEST(config_syntax_error_hides_secrets)
{
	struct config_err	 err;
	const char		*path;

	expect_hidden("{\"credentials\": {\"ops\": {\"user\": \"ops\",\n"
	    "  \"auth_password\": \"Sup3rS3cret\n\"}}}\n", 2,
	    "credentials.ops.auth_password", "Sup3rS3cret");
	expect_hidden("{\"defaults\": {\"timeout\": \"5s\", \"community\": "
	    "pr1vate}}\n", 1, "defaults.community", "pr1vate");
	expect_hidden("{\"traps\": {\"communities\": [\"public\",\n"
	    "  \"t0ps3cret\\u00zz\"]}}\n", 2, "traps.communities[1]",
	    "t0ps3cret");
	expect_hidden("{\"credentials\": {\"x\": {\"user\": \"x\", "
	    "\"priv_key\": 0x00aa11bb22}}}\n", 1, "credentials.x.priv_key",
	    "aa11bb22");
	/* A secret's key without its ':': jansson quotes the value. */
	expect_hidden("{\"sessions\": {\"a\": {\"host\": \"h\",\n"
	    "  \"auth_password\" \"Sup3rS3cret\"}}}\n", 2, "sessions.a",
	    "Sup3rS3cret");
	expect_hidden("{\"defaults\": {\"community\"  \"pr1vate\"}}\n", 1,
	    "defaults", "pr1vate");
	/* Other syntax errors read as they always did. */
	path = write_file("t.json", "{\"log\": {\"level\": inf0}}\n");
	ck_assert_ptr_null(config_load(path, &err));
	ck_assert_msg(strstr(err.text, "invalid token near 'inf") != NULL,
	    "got \"%s\"", err.text);
	path = write_file("t.json", "{\"log\": {\"level\" \"info\"}}\n");
	ck_assert_ptr_null(config_load(path, &err));
	ck_assert_msg(strstr(err.text, "log: ':' expected near '\"info\"'") !=
	    NULL, "got \"%s\"", err.text);
}
END_TEST

START_TEST(config_duplicate_key_is_an_error)
{
	struct config_err	 err;

	(void)expect_fail_at_line("{\n\"sessions\": {\n"
	    "  \"a\": {\"host\": \"h\"},\n  \"a\": {\"host\": \"i\"}\n}}\n",
	    4, &err);
	ck_assert_msg(strstr(err.text, "duplicate") != NULL, "got \"%s\"",
	    err.text);
}
END_TEST

START_TEST(config_missing_file_names_it)
{
	struct config_err	 err;
	char			 path[TPATH];

	snprintf(path, sizeof(path), "%s/absent.json", tmpdir);
	ck_assert_ptr_null(config_load(path, &err));
	ck_assert_msg(strncmp(err.text, path, strlen(path)) == 0, "got \"%s\"",
	    err.text);
}
END_TEST

START_TEST(config_top_level_must_be_object)
{
	expect_error("@[1, 2]\n", "top level must be a JSON object");
}
END_TEST

START_TEST(config_bad_duration_points_at_value)
{
	expect_error("{\n  \"sessions\": {\n    \"core1\": {\n"
	    "      \"host\": \"192.0.2.1\",\n      \"timeout\": @\"5 seconds\"\n"
	    "    }\n  }\n}\n",
	    "sessions.core1.timeout: expected a duration such as \"5s\"");
}
END_TEST

START_TEST(config_timeout_out_of_range)
{
	expect_error("{\"defaults\": {\"timeout\": @\"2h\"}}\n",
	    "defaults.timeout: must be from 1ms to 1h");
	expect_error("{\"defaults\": {\"timeout\": @0}}\n",
	    "defaults.timeout: must be from 1ms to 1h");
}
END_TEST

START_TEST(config_resolver_section)
{
	struct config	*c;

	c = load_ok("{\"resolver\": {\"nameservers\": [\"127.0.0.1:5353\", "
	    "\"::1\", \"[::1]:53\"], \"hosts\": \"\", \"timeout\": \"2s\"},"
	    " \"defaults\": {\"resolve_interval\": \"1m\"}}\n");
	ck_assert_uint_eq(c->resolver.nnameservers, 3);
	ck_assert_str_eq(c->resolver.nameservers[0], "127.0.0.1:5353");
	ck_assert_str_eq(c->resolver.hosts, "");
	ck_assert_uint_eq(c->resolver.timeout_ms, 2000);
	ck_assert_uint_eq(c->defaults.resolve_interval_ms, 60000);
	config_free(c);
	c = load_ok("{}\n");
	ck_assert_uint_eq(c->resolver.nnameservers, 0);
	ck_assert_uint_eq(c->defaults.resolve_interval_ms, 300000);
	config_free(c);
	expect_error("{\"resolver\": {\"nameservers\": [@\"dns.example\"]}}\n",
	    "resolver.nameservers[0]: expected IP, IP:PORT or [IPv6]:PORT");
	expect_error("{\"resolver\": {\"nameservers\": [@\"1.2.3.4:0\"]}}\n",
	    "expected IP, IP:PORT");
	expect_error("{\"resolver\": {\"resolv_conf\": @\"/nonexistent/r\"}}\n",
	    "resolver.resolv_conf: cannot read /nonexistent/r");
	expect_error("{\"resolver\": {@\"timeuot\": \"1s\"}}\n",
	    "timeout");
}
END_TEST

START_TEST(config_unknown_key_suggests_closest)
{
	expect_error("{\"sessions\": {\"a\": {\"host\": \"h\",\n"
	    "  @\"tmeout\": \"1s\"}}}\n",
	    "sessions.a.tmeout: unknown session option (did you mean "
	    "\"timeout\"?)");
	expect_error("{\n  @\"sesions\": {}\n}\n",
	    "sesions: unknown top-level key (did you mean \"sessions\"?)");
	expect_error("{\"log\": {@\"zzz\": 1}}\n", "log.zzz: unknown key");
	expect_error("{\"traps\": {\"journal\": {@\"fsnyc\": \"none\"}}}\n",
	    "traps.journal.fsnyc: unknown key (did you mean \"fsync\"?)");
}
END_TEST

START_TEST(config_range_checks)
{
	expect_error("{\"sessions\": {\"a\": {\"host\": \"h\", \"port\": "
	    "@70000}}}\n", "sessions.a.port: must be from 1 to 65535");
	expect_error("{\"sessions\": {\"a\": {\"host\": \"h\", \"port\": "
	    "@0}}}\n", "must be from 1 to 65535");
	/* columns count characters, not bytes */
	expect_error("{\"sessions\": {\"a\": {\"community\": \"caf\xc3\xa9 "
	    "\xe2\x82\xac\", \"port\": @0}}}\n", "sessions.a.port: must be");
	expect_error("{\"defaults\": {\"retries\": @21}}\n",
	    "defaults.retries: must be from 0 to 20");
	expect_error("{\"defaults\": {\"max_repetitions\": @1001}}\n",
	    "must be from 1 to 1000");
	expect_error("{\"defaults\": {\"dscp\": @64}}\n",
	    "defaults.dscp: must be from 0 to 63");
	expect_error("{\"defaults\": {\"retries\": @\"2\"}}\n",
	    "expected an integer");
	expect_error("{\"defaults\": {\"enabled\": @1}}\n",
	    "expected true or false");
	expect_error("{\"defaults\": {\"in_buffer_size\": @\"big\"}}\n",
	    "expected a size");
	expect_error("{\"defaults\": {\"version\": @\"2d\"}}\n",
	    "defaults.version: expected \"1\", \"2c\" or \"3\"");
	expect_error("{\"defaults\": {\"transport\": @\"sctp\"}}\n",
	    "defaults.transport: expected");
	expect_error("{\"sessions\": {\"a\": {\"host\": @\"a b\"}}}\n",
	    "sessions.a.host: contains spaces");
}
END_TEST

START_TEST(config_bad_names_rejected)
{
	expect_error("{\"sessions\": {@\"a b\": {\"host\": \"h\"}}}\n",
	    "names may only hold");
	expect_error("{\"polls\": {@\"\": {}}}\n", "empty name");
}
END_TEST

START_TEST(config_session_needs_host)
{
	expect_error("{\"sessions\": {\n  @\"a\": {\"port\": 1161}}}\n",
	    "sessions.a: no \"host\" given");
}
END_TEST

START_TEST(config_references_must_exist)
{
	expect_error("{\"polls\": {\"system\": {\"get\": [\"1.3.6.1\"], "
	    "\"interval\": \"1s\"}},\n \"sessions\": {\"a\": {\"host\": "
	    "\"h\", \"polls\": [\"system\", @\"sytem\"]}}}\n",
	    "sessions.a.polls[1]: no poll named \"sytem\" (did you mean "
	    "\"system\"?)");
	expect_error("{\"sessions\": {\"a\": {\"host\": \"h\", "
	    "\"template\": @\"sw\"}}}\n", "no template named \"sw\"");
	expect_error("{\"sessions\": {\"a\": {\"host\": \"h\", "
	    "\"credentials\": @\"ops\"}}}\n", "no credentials named \"ops\"");
	expect_error("{\"traps\": {\"users\": [@\"ops\"]}}\n",
	    "traps.users[0]: no credentials named");
}
END_TEST

START_TEST(config_v3_session_errors_at_their_line)
{
	/* A credential from a credentials set: at the session. */
	expect_error("{\"credentials\": {\"ops\": {\"user\": \"ops\", "
	    "\"auth\": \"sha\"}},\n"
	    "\"templates\": {\"switch\": {\"version\": \"3\", "
	    "\"credentials\": \"ops\"}},\n"
	    "\"sessions\": {\n  @\"core1\": {\"template\": \"switch\", "
	    "\"host\": \"192.0.2.10\"}}}\n",
	    "sessions.core1: auth_password: auth \"sha\" needs auth_password "
	    "or auth_key");
	/* The session's own key: at its value. */
	expect_error("{\"sessions\": {\n  \"a\": {\"host\": \"h\", "
	    "\"version\": 3, \"security_level\": @\"authPriv\"}}}\n",
	    "sessions.a.security_level: authPriv needs auth and "
	    "auth_password or auth_key");
}
END_TEST

/*
 * SNMPv3 keys become typed options: a credential made once for the
 * sessions that share a credentials set, the level, the preset engine,
 * the context; secrets "***" in the options JSON, and the unmasked JSON
 * (keys, not passwords) reads back into the same credential.
 */
START_TEST(config_v3_options_typed_and_credentials_shared)
{
	struct config	*c = load_ok("{\"credentials\": {\"ops\": "
	    "{\"user\": \"ops\", \"auth\": \"sha256\", "
	    "\"auth_password\": \"authsecret\", \"priv\": \"aes256\", "
	    "\"priv_password\": \"privsecret\", "
	    "\"priv_key_extension\": \"reeder\"}},\n"
	    "\"sessions\": {\"a\": {\"host\": \"h\", \"version\": \"3\", "
	    "\"credentials\": \"ops\", \"context_name\": \"ctx\", "
	    "\"engine_id\": \"0x80001f8880aabbccdd\", \"engine_boots\": 3, "
	    "\"engine_time\": 99},\n"
	    "\"b\": {\"host\": \"h\", \"version\": \"3\", "
	    "\"credentials\": \"ops\", "
	    "\"security_level\": \"authNoPriv\"}}}\n");
	const struct sess_opts *a = c->sessions[0].opts;
	const struct sess_opts *b = c->sessions[1].opts;
	struct sess_opts o, full;
	struct config_err err;
	json_t		*js, *back;
	char		*text;

	ck_assert_ptr_nonnull(a->v3.cred);
	ck_assert_ptr_eq(a->v3.cred, b->v3.cred);	/* hashed once */
	ck_assert_int_eq(usm_cred_priv(a->v3.cred), USM_PRIV_AES256);
	ck_assert_int_eq(usm_cred_keyext(a->v3.cred), USM_KEYEXT_REEDER);
	ck_assert_int_eq(a->v3.level, SESS_LEVEL_DEFAULT);
	ck_assert_int_eq(b->v3.level, SESS_LEVEL_AUTH);
	ck_assert_uint_eq(a->v3.engine_id_len, 9);
	ck_assert(a->v3.engine_time_set);
	ck_assert_uint_eq(a->v3.engine_boots, 3);
	ck_assert_str_eq(a->v3.context_name, "ctx");

	js = config_session_opts_json(a, true);
	text = json_dumps(js, 0);
	ck_assert_ptr_null(strstr(text, "authsecret"));
	ck_assert_str_eq(json_string_value(json_object_get(js,
	    "auth_password")), "***");
	ck_assert_str_eq(json_string_value(json_object_get(js,
	    "priv_key_extension")), "reeder");
	free(text);
	json_decref(js);

	/* Unmasked: master keys, which make the same credential again. */
	sess_opts_compose(&full, a, c->sessions[0].host);
	js = config_session_opts_json(&full, false);
	ck_assert_str_eq(json_string_value(json_object_get(js,
	    "auth_key_type")), "master");
	sess_opts_default(&o);
	ck_assert_int_eq(config_apply_session_opts(js, &o, NULL, &err), 0);
	ck_assert_ptr_nonnull(o.v3.cred);
	ck_assert_mem_eq(usm_cred_auth_key(o.v3.cred)->bytes,
	    usm_cred_auth_key(a->v3.cred)->bytes, 32);
	back = config_session_opts_json(&o, false);
	ck_assert(json_equal(js, back));
	json_decref(back);
	json_decref(js);
	/* A partial change keeps the rest: a new auth password only. */
	js = json_pack("{s:s}", "auth_password", "another-secret");
	ck_assert_int_eq(config_apply_session_opts(js, &o, NULL, &err), 0);
	ck_assert_int_eq(usm_cred_priv(o.v3.cred), USM_PRIV_AES256);
	ck_assert_int_eq(usm_cred_auth_source(o.v3.cred), 'p');
	ck_assert_int_ne(memcmp(usm_cred_auth_key(o.v3.cred)->bytes,
	    usm_cred_auth_key(a->v3.cred)->bytes, 32), 0);
	json_decref(js);
	sess_opts_release(&o);
	config_free(c);
}
END_TEST

START_TEST(config_v3_keys_are_recognized)
{
	struct config	*c = load_ok("{\"defaults\": {\"user\": \"u\", "
	    "\"auth\": \"sha\", \"auth_password\": \"12345678\", "
	    "\"engine_id\": \"0x80001f8880e9630000d61ff449\", "
	    "\"context_name\": \"\", \"msg_max_size\": 1500, "
	    "\"mask_sensitive_data\": true, \"priv_key_extension\": "
	    "\"reeder\", \"server_fingerprint\": \"sha1:" "0123456789"
	    "012345678901234567890123456789\"},\n"
	    "\"sessions\": {\"a\": {\"host\": \"h\"}}}\n");
	json_t		*masked;

	ck_assert_ptr_nonnull(c->sessions[0].extra);
	/* Hashed into the credential; the password itself is not kept. */
	ck_assert_ptr_nonnull(c->sessions[0].opts->v3.cred);
	ck_assert_str_eq(json_string_value(json_object_get(
	    c->sessions[0].extra, "auth_password")), "***");
	ck_assert_str_eq(json_string_value(json_object_get(
	    c->sessions[0].extra, "priv_key_extension")), "reeder");
	masked = config_extra_json(c->sessions[0].extra, true);
	ck_assert_str_eq(json_string_value(json_object_get(masked,
	    "auth_password")), "***");
	ck_assert_str_eq(json_string_value(json_object_get(masked,
	    "user")), "u");
	json_decref(masked);
	config_free(c);

	expect_error("{\"defaults\": {\"auth\": @\"sha2\"}}\n",
	    "defaults.auth: expected");
	expect_error("{\"defaults\": {\"auth\": @\"SHA\"}}\n",
	    "(did you mean \"sha\"?)");
	expect_error("{\"defaults\": {\"auth_password\": @\"short\"}}\n",
	    "shorter than 8 bytes");
	expect_error("{\"defaults\": {\"engine_id\": @\"0x1234\"}}\n",
	    "must be 5 to 32 octets");
	expect_error("{\"defaults\": {\"priv_key\": @\"xyz\"}}\n",
	    "expected hex octets");
}
END_TEST

START_TEST(config_dtls_session_rejected)
{
	/* Checked before the refusal: our certificate is required. */
	expect_error("{\"defaults\": {\"transport\": \"dtls\"},\n"
	    "\"sessions\": {@\"a\": {\"host\": \"h\"}}}\n",
	    "error 272: no \"cert\" given");
	expect_error("{\"defaults\": {\"transport\": \"dtls\", "
	    "\"version\": \"2c\"},\n"
	    "\"sessions\": {@\"a\": {\"host\": \"h\"}}}\n",
	    "SNMPv3 only");
}
END_TEST

START_TEST(config_credentials_checked)
{
	expect_error("{\"credentials\": {@\"x\": {\"auth\": \"md5\"}}}\n",
	    "credentials.x: no \"user\" given");
	expect_error("{\"credentials\": {@\"x\": {\"user\": \"x\", "
	    "\"priv_password\": \"12345678\"}}}\n",
	    "privacy needs authentication");
	expect_error("{\"credentials\": {\"x\": {\"user\": \"x\", "
	    "@\"version\": \"3\"}}}\n", "unknown credentials key");
}
END_TEST

START_TEST(config_polls_checked)
{
	expect_error("{\"polls\": {@\"p\": {\"get\": [\"1.3.6.1\"]}}}\n",
	    "polls.p: no \"interval\" given");
	expect_error("{\"polls\": {\"p\": {\"get\": [\"1.3.6.1\"], "
	    "@\"walk\": [\"1.3\"], \"interval\": 1}}}\n", "not both");
	expect_error("{\"polls\": {\"p\": {\"get\": [\"1.3.6.1\", "
	    "@\"1.3.x\"], \"interval\": 1}}}\n", "polls.p.get[1]: not an OID");
	expect_error("{\"polls\": {\"p\": {\"get\": @[], \"interval\": 1}}}\n",
	    "empty list");
	expect_error("{\"polls\": {\"p\": {\"walk\": [\"1.3.6.1\"], "
	    "\"interval\": \"10s\", \"jitter\": @\"10s\"}}}\n",
	    "must be less than the interval");
	expect_error("{\"polls\": {\"p\": {\"get\": [\"1.3.6.1\"], "
	    "\"interval\": \"10s\", @\"use_getnext\": true}}}\n",
	    "only walk polls");
}
END_TEST

START_TEST(config_poll_rates)
{
	const struct config_poll *p;
	struct config	*c;

	c = load_ok("{\"polls\": {\"p\": {\"get\": [\"1.3.6.1.2.1.1.3.0\", "
	    "{\"oid\": \"1.3.6.1.2.1.2.2.1.10.1\", \"rate\": true}, "
	    "{\"oid\": \"1.3.6.1.2.1.2.2.1.16.1\"}], \"interval\": 1},"
	    " \"q\": {\"walk\": [{\"oid\": \"1.3.6.1.2.1.2.2\", "
	    "\"rate\": false}, \"1.3.6.1.2.1.31\"], \"rate\": true, "
	    "\"interval\": 1}, \"n\": {\"get\": [\"1.3\"], "
	    "\"interval\": 1}}}\n");
	p = config_find_poll(c, "p");
	ck_assert_uint_eq(p->noids, 3);
	ck_assert(!p->rate && p->any_rate);
	ck_assert(!config_poll_rate(p, 0));
	ck_assert(config_poll_rate(p, 1));
	ck_assert(!config_poll_rate(p, 2));	/* follows the poll */
	ck_assert_uint_eq(p->oids[1].len, 11);
	p = config_find_poll(c, "q");
	ck_assert(p->rate && p->any_rate && p->is_walk);
	ck_assert(!config_poll_rate(p, 0));
	ck_assert(config_poll_rate(p, 1));
	p = config_find_poll(c, "n");
	ck_assert(!p->any_rate && p->oid_rate == NULL);
	config_free(c);
	expect_error("{\"polls\": {\"p\": {\"get\": [@{\"rate\": true}], "
	    "\"interval\": 1}}}\n", "polls.p.get[0]: no \"oid\" given");
	expect_error("{\"polls\": {\"p\": {\"get\": [{\"oid\": \"1.3\", "
	    "@\"rates\": true}], \"interval\": 1}}}\n", "rates");
	expect_error("{\"polls\": {\"p\": {\"get\": [{\"oid\": @\"1.3.x\"}],"
	    " \"interval\": 1}}}\n", "not an OID");
	expect_error("{\"polls\": {\"p\": {\"get\": [\"1.3\"], "
	    "\"interval\": 1, \"rate\": @\"yes\"}}}\n", "polls.p.rate");
}
END_TEST

START_TEST(config_traps_checked)
{
	expect_error("{\"traps\": {\"listen\": [@\"udp:[::]:162\"]}}\n",
	    "traps.listen[0]: use \"udp6:");
	expect_error("{\"traps\": {\"listen\": [\"udp:1.2.3.4\", "
	    "@\"udp6:::1:162\"]}}\n", "traps.listen[1]: IPv6 addresses go in "
	    "brackets");
	expect_error("{\"traps\": {\"listen\": [@\"sctp:1.2.3.4:162\"]}}\n",
	    "expected \"udp:ADDR:PORT\"");
	expect_error("{\"traps\": {\"listen\": [@\"tcp:[::1]:162\"]}}\n",
	    "traps.listen[0]: use \"tcp6:");
	expect_error("{\"traps\": {\"listen\": [@\"tcp6:::1:162\"]}}\n",
	    "traps.listen[0]: IPv6 addresses go in brackets");
	expect_error("{\"traps\": {\"tcp\": {\"message_timeout\": @\"1ms\"}}}"
	    "\n", "traps.tcp.message_timeout:");
	expect_error("{\"traps\": {\"listen\": [@\"udp:1.2.3.4:0\"]}}\n",
	    "port must be from 1 to 65535");
	expect_error("{\"traps\": {\"journal\": {\"fsync\": @\"sometimes\"}}}"
	    "\n", "traps.journal.fsync: expected \"none\", \"interval\" or "
	    "\"always\"");
	expect_error("{\"traps\": {\"journal\": {\"max_size\": @\"1Q\"}}}\n",
	    "expected a size");
}
END_TEST

START_TEST(config_control_and_log_checked)
{
	expect_error("{\"control\": {\"mode\": @660}}\n", "octal string");
	expect_error("{\"control\": {\"mode\": @\"0998\"}}\n", "octal mode");
	expect_error("{\"control\": {\"line_timeout\": @\"50ms\"}}\n",
	    "control.line_timeout: must be from 100ms to 24h");
	expect_error("{\"control\": {\"idle_timeout\": @\"soon\"}}\n",
	    "control.idle_timeout: expected a duration");
	expect_error("{\"control\": {\"idle_timeout\": @-1}}\n",
	    "control.idle_timeout: must be from 0ms to 24h");
	expect_error("{\"log\": {\"level\": @\"warn\"}}\n",
	    "(did you mean \"warning\"?)");
	expect_error("{\"state_dir\": @\"var/lib\"}\n", "absolute path");
}
END_TEST

START_TEST(config_traps_defaults)
{
	struct config	*c = load_ok("{\"traps\": {}}\n");

	ck_assert(c->have_traps);
	ck_assert_uint_eq(c->traps.nlisten, 2);
	ck_assert_uint_eq(c->traps.listen[0].port, 162);
	ck_assert_str_eq(c->traps.journal_path,
	    "/var/lib/snmpmgrd/traps.jsonl");
	ck_assert_str_eq(c->traps.journal_fsync, "interval");
	config_free(c);
}
END_TEST

/* Trap users are made into credentials once, by the loader (no JSON and
 * no password is kept); "auto" makes one per key extension, and a set
 * that makes no credential is reported, not refused. */
START_TEST(config_trap_users_are_credentials)
{
	struct config			*c = load_ok("{\"credentials\": {"
	    "\"a\": {\"user\": \"alice\", \"auth\": \"sha\", "
	    "\"auth_password\": \"alicepass1\", \"priv\": \"aes\", "
	    "\"priv_password\": \"alicepriv1\", "
	    "\"priv_key_extension\": \"auto\"}, "
	    "\"b\": {\"user\": \"bob\", \"auth_key\": "
	    "\"0x00112233445566778899aabbccddeeff\"}, "
	    "\"c\": {\"security_name\": \"tls\"}}, "
	    "\"traps\": {\"users\": [\"a\", {\"credentials\": \"b\", "
	    "\"engines\": [\"80:00:1f:88:04\"]}, \"c\"]}}\n");
	const struct config_trap_user	*u = c->traps.user_info;
	size_t				 len;

	ck_assert_uint_eq(c->traps.nusers, 3);
	ck_assert_uint_eq(u[0].ncreds, 2);
	ck_assert_int_eq(usm_cred_keyext(u[0].creds[0]), USM_KEYEXT_BLUMENTHAL);
	ck_assert_int_eq(usm_cred_keyext(u[0].creds[1]), USM_KEYEXT_REEDER);
	ck_assert_int_eq(usm_cred_auth(u[0].creds[0]), USM_AUTH_SHA);
	ck_assert_int_eq(usm_cred_auth_source(u[0].creds[0]), 'p');
	ck_assert_uint_eq(u[1].ncreds, 1);
	ck_assert_int_eq(usm_cred_auth(u[1].creds[0]), USM_AUTH_MD5);
	ck_assert_int_eq(usm_cred_priv(u[1].creds[0]), USM_PRIV_NONE);
	ck_assert_mem_eq(usm_cred_user(u[1].creds[0], &len), "bob", 3);
	ck_assert_uint_eq(len, 3);
	ck_assert_uint_eq(u[1].nengines, 1);
	ck_assert_uint_eq(u[1].englens[0], 5);
	ck_assert_uint_eq(u[1].engines[0][4], 0x04);
	ck_assert_uint_eq(u[2].ncreds, 0);
	ck_assert_int_ne(u[2].err, 0);
	config_free(c);
}
END_TEST

/* --------------------------------------------------------- includes */

START_TEST(config_include_merges_entries)
{
	struct config_err	 err;
	struct config		*c;
	const char		*main;

	mkdir_tmp("conf.d");
	write_file("conf.d/a.json", "{\"sessions\": {\"b\": {\"host\": "
	    "\"h2\", \"polls\": [\"p\"]}}}\n");
	write_file("conf.d/b.json", "{\"polls\": {\"p\": {\"get\": "
	    "[\"1.3.6.1\"], \"interval\": \"1s\"}}, \"log\": "
	    "{\"level\": \"err\"}}\n");
	write_file("conf.d/c.txt", "not json\n");
	main = write_file("main.json", "{\"include\": [\"conf.d/*.json\", "
	    "\"none.d/*.json\"],\n \"sessions\": {\"a\": {\"host\": "
	    "\"h1\"}}}\n");
	c = config_load(main, &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	ck_assert_uint_eq(c->nsessions, 2);
	ck_assert_str_eq(c->sessions[1].host, "h2");
	ck_assert_uint_eq(c->npolls, 1);
	ck_assert_int_eq(c->log_level, LOG_ERR);
	config_free(c);
	/* The directory itself: its *.json files, the same. */
	main = write_file("main.json", "{\"include\": [\"conf.d/\"],\n "
	    "\"sessions\": {\"a\": {\"host\": \"h1\"}}}\n");
	c = config_load(main, &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	ck_assert_uint_eq(c->nsessions, 2);
	ck_assert_str_eq(c->sessions[1].host, "h2");
	ck_assert_uint_eq(c->npolls, 1);
	config_free(c);
	/* An empty one is no error, as a pattern that matches nothing. */
	mkdir_tmp("empty.d");
	main = write_file("main.json", "{\"include\": \"empty.d\",\n "
	    "\"sessions\": {\"a\": {\"host\": \"h1\"}}}\n");
	c = config_load(main, &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	ck_assert_uint_eq(c->nsessions, 1);
	config_free(c);
}
END_TEST

/*
 * snmpmgrd's own files in state_dir (sessions/NAME.json, overrides.json)
 * are read without an include; a session checked against the running
 * config does not read the files (issue 9 item 6).
 */
START_TEST(config_owned_files_and_running_config)
{
	struct config_err	 err;
	struct config		*c, *r;
	const struct config_session *cs;
	char			 text[512], dir[TPATH];
	const char		*main;
	json_t			*extra;

	snprintf(text, sizeof(text), "{\"state_dir\": \"%s\",\n"
	    " \"templates\": {\"t\": {\"port\": 1161}},\n"
	    " \"sessions\": {\"a\": {\"host\": \"h1\"}}}\n", tmpdir);
	main = write_file("main.json", text);
	snprintf(dir, sizeof(dir), "%s/sessions", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	remember(dir);
	write_file("sessions/p.json", "{\"sessions\": {\"p\": {\"template\": "
	    "\"t\", \"host\": \"h2\"}}}");
	write_file("overrides.json", "{\"sessions\": {\"a\": {\"timeout\": "
	    "\"777ms\", \"decrypt_trace\": true}, \"p\": {\"enabled\": "
	    "false}, \"gone\": {\"port\": 1}}}");
	c = config_load(main, &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	ck_assert_uint_eq(c->nsessions, 2);
	cs = config_find_session(c, "p");
	ck_assert_ptr_nonnull(cs);
	ck_assert_uint_eq(cs->opts->port, 1161);
	ck_assert(!cs->opts->enabled);
	cs = config_find_session(c, "a");
	ck_assert_uint_eq(cs->opts->timeout_ms, 777);
	ck_assert(json_is_true(json_object_get(cs->extra, "decrypt_trace")));

	/* The files break; the running config still checks a session. */
	write_file("main.json", "{\"sessions\": ");
	extra = json_pack("{s:{s:{s:s,s:s}}}", "sessions", "b", "template",
	    "t", "host", "h3");
	r = config_load_running(c, extra, "session.add", &err);
	ck_assert_msg(r != NULL, "%s", err.text);
	ck_assert_uint_eq(r->nsessions, 1);
	ck_assert_uint_eq(r->sessions[0].opts->port, 1161);
	config_free(r);
	json_decref(extra);
	extra = json_pack("{s:{s:{s:s}}}", "sessions", "b", "template", "u");
	ck_assert_ptr_null(config_load_running(c, extra, "session.add",
	    &err));
	ck_assert_msg(strstr(err.text, "no template named \"u\"") != NULL,
	    "%s", err.text);
	json_decref(extra);
	config_free(c);

	/* A file there holding anything but its one session is refused. */
	write_file("main.json", text);
	write_file("sessions/q.json", "{\"sessions\": {\"a2\": {\"host\": "
	    "\"h\"}}}");
	ck_assert_ptr_null(config_load(main, &err));
	ck_assert_msg(strstr(err.text, "q.json") != NULL, "%s", err.text);
}
END_TEST

/*
 * config_reload keeps the running state_dir whatever the files say: its
 * own files are read from there, relative paths resolved against it,
 * and what the files asked for is noted.
 */
START_TEST(config_reload_keeps_the_running_state_dir)
{
	struct config_err	 err;
	struct config		*c, *r;
	char			 text[512], want[TPATH];
	const char		*main;

	snprintf(text, sizeof(text), "{\"state_dir\": \"%s\",\n"
	    " \"sessions\": {\"a\": {\"host\": \"h1\"}}}\n", tmpdir);
	main = write_file("main.json", text);
	mkdir_tmp("sessions");		/* what session.add persisted */
	write_file("sessions/p.json", "{\"sessions\": {\"p\": {\"host\": "
	    "\"h2\"}}}");
	c = config_load(main, &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	ck_assert_uint_eq(c->nsessions, 2);
	ck_assert_ptr_null(c->state_dir_asked);
	/* The same state_dir: nothing asked. */
	r = config_reload(main, c, &err);
	ck_assert_msg(r != NULL, "%s", err.text);
	ck_assert_ptr_null(r->state_dir_asked);
	config_free(r);
	/* Another one, with a relative journal and socket. */
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s/other\",\n"
	    " \"control\": {\"socket\": \"ctl.sock\"},\n"
	    " \"traps\": {\"listen\": [\"udp:127.0.0.1:1162\"],"
	    " \"journal\": {\"path\": \"t.jsonl\"}},\n"
	    " \"sessions\": {\"a\": {\"host\": \"h1\"}}}\n", tmpdir);
	write_file("main.json", text);
	r = config_reload(main, c, &err);
	ck_assert_msg(r != NULL, "%s", err.text);
	ck_assert_str_eq(r->state_dir, tmpdir);
	snprintf(want, sizeof(want), "%s/other", tmpdir);
	ck_assert_str_eq(r->state_dir_asked, want);
	ck_assert_uint_eq(r->nsessions, 2);	/* p from where it is */
	ck_assert_ptr_nonnull(config_find_session(r, "p"));
	snprintf(want, sizeof(want), "%s/t.jsonl", tmpdir);
	ck_assert_str_eq(r->traps.journal_path, want);
	snprintf(want, sizeof(want), "%s/ctl.sock", tmpdir);
	ck_assert_str_eq(r->control_socket, want);
	config_free(r);
	/* A plain load takes the files' word. */
	r = config_load(main, &err);
	ck_assert_msg(r != NULL, "%s", err.text);
	ck_assert_uint_eq(r->nsessions, 1);
	ck_assert_ptr_null(r->state_dir_asked);
	config_free(r);
	config_free(c);
}
END_TEST

START_TEST(config_extra_object_is_one_more_file)
{
	struct config_err	 err;
	struct config		*c;
	const char		*main;
	json_t			*extra;

	main = write_file("main.json", "{\"templates\": {\"t\": {\"port\": "
	    "1161}},\n \"sessions\": {\"a\": {\"host\": \"h1\"}}}\n");
	/* It sees the files' templates; errors point into its own text. */
	extra = json_pack("{s:{s:{s:s,s:s}}}", "sessions", "b", "template",
	    "t", "host", "h2");
	c = config_load_extra(main, extra, "session.add", &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	ck_assert_uint_eq(c->nsessions, 2);
	ck_assert_str_eq(c->sessions[1].name, "b");
	ck_assert_uint_eq(c->sessions[1].opts->port, 1161);
	config_free(c);
	json_decref(extra);

	extra = json_pack("{s:{s:{s:s}}}", "sessions", "b", "template", "u");
	ck_assert_ptr_null(config_load_extra(main, extra, "session.add",
	    &err));
	/* The key path; no line of a text the client never saw. */
	ck_assert_str_eq(err.text, "session.add: sessions.b.template: "
	    "no template named \"u\" (did you mean \"t\"?)");
	json_decref(extra);

	/* Its names clash with the files' as an include's would. */
	extra = json_pack("{s:{s:{s:s}}}", "sessions", "a", "host", "h3");
	ck_assert_ptr_null(config_load_extra(main, extra, "session.add",
	    &err));
	ck_assert_msg(strncmp(err.text, "session.add: sessions.a: "
	    "already defined at ", 44) == 0, "%s", err.text);
	json_decref(extra);

	extra = json_pack("{s:[s]}", "include", "/etc/passwd");
	ck_assert_ptr_null(config_load_extra(main, extra, "x", &err));
	ck_assert_str_eq(err.text, "x: include: not allowed here");
	json_decref(extra);
}
END_TEST

START_TEST(config_wipe_secrets_everywhere_in_place)
{
	json_t		*j, *shared, *other;

	j = json_pack("{s:s,s:{s:s,s:s,s:[{s:s}]},s:s}", "user", "u",
	    "target", "auth_password", "authpass1", "priv_key", "00112233",
	    "list", "priv_password", "privpass1", "community", "public");
	ck_assert_ptr_nonnull(j);
	/* A second holder of the same string sees it wiped too. */
	shared = json_object_get(json_object_get(j, "target"),
	    "auth_password");
	other = json_pack("{s:O}", "copy", shared);
	config_json_wipe_secrets(j);
	ck_assert_str_eq(json_string_value(json_object_get(other, "copy")),
	    "***");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    j, "target"), "priv_key")), "***");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(j, "target"), "list"), 0),
	    "priv_password")), "***");
	ck_assert_str_eq(json_string_value(json_object_get(j, "user")), "u");
	ck_assert_str_eq(json_string_value(json_object_get(j, "community")),
	    "public");
	json_decref(j);
	/* cluster.nats.password is a secret like the SNMPv3 ones. */
	j = json_pack("{s:{s:{s:s,s:s}}}", "cluster", "nats", "user", "u",
	    "password", "natspass1");
	ck_assert_ptr_nonnull(j);
	config_json_wipe_secrets(j);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(j, "cluster"), "nats"), "password")), "***");
	json_decref(j);
	/* One string, whatever its key (the CONNECT line's "pass"). */
	j = json_string("natspass1");
	config_json_wipe_string(j);
	ck_assert_str_eq(json_string_value(j), "***");
	config_json_wipe_string(NULL);
	config_json_wipe_secrets(NULL);
	json_decref(other);
	json_decref(j);
}
END_TEST

START_TEST(config_include_duplicate_names_both_places)
{
	struct config_err	 err;
	const char		*main, *inc;
	char			 want[2 * TPATH];
	int			 l1, c1, l2, c2;

	mkdir_tmp("conf.d");
	inc = write_marked("conf.d/a.json", "{\"sessions\": {\n  @\"a\": "
	    "{\"host\": \"h2\"}}}\n", &l2, &c2);
	main = write_marked("main.json", "{\"include\": \"conf.d/*.json\",\n"
	    " \"sessions\": {@\"a\": {\"host\": \"h1\"}}}\n", &l1, &c1);
	ck_assert_ptr_null(config_load(main, &err));
	snprintf(want, sizeof(want), "%s:%d:%d: sessions.a: already defined "
	    "at %s:%d:%d", inc, l2, c2, main, l1, c1);
	ck_assert_str_eq(err.text, want);
}
END_TEST

START_TEST(config_include_cannot_redefine_scalar)
{
	struct config_err	 err;
	const char		*main, *inc;
	char			 want[2 * TPATH];
	int			 l1, c1, l2, c2;

	inc = write_marked("b.json", "{@\"log\": {\"level\": \"err\"}}\n",
	    &l2, &c2);
	main = write_marked("main.json", "{@\"log\": {}, \"include\": "
	    "[\"b.json\"]}\n", &l1, &c1);
	ck_assert_ptr_null(config_load(main, &err));
	snprintf(want, sizeof(want), "%s:%d:%d: log: already set at "
	    "%s:%d:%d", inc, l2, c2, main, l1, c1);
	ck_assert_str_eq(err.text, want);
}
END_TEST

START_TEST(config_include_bad_file_reports_its_name)
{
	struct config_err	 err;
	const char		*main, *inc;
	char			 want[TPATH + 64];
	int			 l, c;

	mkdir_tmp("conf.d");
	inc = write_marked("conf.d/bad.json", "{\"defaults\": {\n"
	    "  \"retries\": @\"many\"}}\n", &l, &c);
	main = write_file("main.json", "{\"include\": [\"conf.d/*.json\"]}\n");
	ck_assert_ptr_null(config_load(main, &err));
	snprintf(want, sizeof(want), "%s:%d:%d: defaults.retries:", inc, l, c);
	ck_assert_msg(strncmp(err.text, want, strlen(want)) == 0,
	    "got \"%s\", want \"%s\"", err.text, want);

	/* a syntax error too */
	inc = write_file("conf.d/bad.json", "{\"defaults\": \n");
	ck_assert_ptr_null(config_load(main, &err));
	snprintf(want, sizeof(want), "%s:", inc);
	ck_assert_msg(strncmp(err.text, want, strlen(want)) == 0,
	    "got \"%s\", want \"%s\"", err.text, want);
}
END_TEST

START_TEST(config_include_loop_rejected)
{
	struct config_err	 err;
	const char		*main;

	write_file("b.json", "{\"include\": [\"main.json\"]}\n");
	main = write_file("main.json", "{\"include\": [\"b.json\"]}\n");
	ck_assert_ptr_null(config_load(main, &err));
	ck_assert_msg(strstr(err.text, "already loaded") != NULL, "got \"%s\"",
	    err.text);
	ck_assert_msg(strstr(err.text, "b.json:1:") != NULL, "got \"%s\"",
	    err.text);
}
END_TEST

START_TEST(config_include_missing_plain_file_is_an_error)
{
	expect_error("{\"include\": [@\"nothere.json\"]}\n",
	    "include[0]: ");
}
END_TEST

/* ---------------------------------------------------- inline target */

START_TEST(config_inline_target_options)
{
	struct config_err	 err;
	struct sess_opts	 o;
	json_t			*t;

	sess_opts_default(&o);
	t = json_pack("{s:s, s:i, s:s, s:s, s:s}", "host", "127.0.0.1",
	    "port", 1161, "version", "2c", "community", "private",
	    "timeout", "200ms");
	ck_assert_int_eq(config_apply_session_opts(t, &o, NULL, &err), 0);
	ck_assert_str_eq(o.host, "127.0.0.1");
	ck_assert_uint_eq(o.port, 1161);
	ck_assert_int_eq(o.version, SNMP_V2C);
	ck_assert_str_eq(o.community, "private");
	ck_assert_uint_eq(o.timeout_ms, 200);
	json_decref(t);
}
END_TEST

/*
 * A run-time change goes over the session's extra options: kept, with the
 * change's over them, the credential's keys left to the credential and
 * secrets masked; leaving DTLS drops the level it implied; a pass phrase
 * masked since the files were read must be given again to read them.
 */
START_TEST(config_change_keeps_extra_options)
{
	struct config_err	 err;
	struct sess_opts	 o;
	struct dtls_cred	*tc = NULL;
	json_t			*base, *obj, *out = NULL;

	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	base = json_pack("{s:s, s:s, s:b}", "context_name", "c1", "cert",
	    "/nonexistent/mgr.crt", "decrypt_trace", 1);
	obj = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "user", "u1",
	    "auth", "sha", "auth_password", "password-123", "context_name",
	    "c2", "retries", 4, "key_password", "pass-phrase-9");
	ck_assert_int_eq(config_change_session_opts(obj, &o, base, &out, &tc,
	    &err), 0);
	ck_assert_ptr_null(json_object_get(out, "user"));
	ck_assert_ptr_null(json_object_get(out, "auth_password"));
	ck_assert_str_eq(json_string_value(json_object_get(out,
	    "context_name")), "c2");
	ck_assert_str_eq(json_string_value(json_object_get(out, "cert")),
	    "/nonexistent/mgr.crt");
	ck_assert_str_eq(json_string_value(json_object_get(out,
	    "key_password")), "***");
	ck_assert(json_is_true(json_object_get(out, "decrypt_trace")));
	ck_assert_str_eq(json_string_value(json_object_get(base,
	    "context_name")), "c1");
	ck_assert_uint_eq(o.retries, 4);
	ck_assert_ptr_nonnull(o.v3.cred);
	ck_assert_ptr_null(tc);
	json_decref(out);
	json_decref(obj);
	json_decref(base);
	sess_opts_release(&o);

	/* Over DTLS before: back to UDP, no level left that needs a key. */
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.transport = SESS_TRANSPORT_DTLS;
	o.version = SNMP_V3;
	o.v3.level = SESS_LEVEL_PRIV;
	obj = json_pack("{s:s, s:s}", "transport", "udp", "version", "2c");
	out = NULL;
	ck_assert_int_eq(config_change_session_opts(obj, &o, NULL, &out, &tc,
	    &err), 0);
	ck_assert_int_eq(o.v3.level, SESS_LEVEL_DEFAULT);
	ck_assert_ptr_null(out);
	json_decref(obj);

	/* The files must be read (no key yet), the pass phrase is gone. */
	o.transport = SESS_TRANSPORT_DTLS;
	o.version = SNMP_V3;
	base = json_pack("{s:s, s:s}", "cert", "/nonexistent/mgr.p12",
	    "key_password", "***");
	obj = json_pack("{s:i}", "retries", 1);
	ck_assert_int_eq(config_change_session_opts(obj, &o, base, &out, &tc,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.text, "key_password"));
	ck_assert_ptr_null(out);
	json_decref(obj);
	json_decref(base);
	sess_opts_release(&o);
}
END_TEST

START_TEST(config_inline_target_errors_name_the_key)
{
	struct config_err	 err;
	struct sess_opts	 o;
	json_t			*t;

	sess_opts_default(&o);
	t = json_pack("{s:s, s:s}", "host", "h", "timeout", "soon");
	ck_assert_int_eq(config_apply_session_opts(t, &o, NULL, &err), -1);
	ck_assert_str_eq(err.text, "timeout: expected a duration such as "
	    "\"5s\", \"500ms\" or a number of seconds");
	ck_assert_str_eq(o.host, "");	/* untouched on failure */
	json_decref(t);

	t = json_pack("{s:s, s:i}", "host", "h", "retrys", 1);
	ck_assert_int_eq(config_apply_session_opts(t, &o, NULL, &err), -1);
	ck_assert_str_eq(err.text, "retrys: unknown session option (did you "
	    "mean \"retries\"?)");
	json_decref(t);

	t = json_pack("{s:s, s:s, s:s, s:s}", "host", "h", "version", "3",
	    "user", "u", "auth", "sha");
	ck_assert_int_eq(config_apply_session_opts(t, &o, NULL, &err), -1);
	ck_assert_str_eq(err.text, "auth_password: auth \"sha\" needs "
	    "auth_password or auth_key");
	json_decref(t);

	t = json_pack("{s:i}", "port", 1161);
	ck_assert_int_eq(config_apply_session_opts(t, &o, NULL, &err), -1);
	ck_assert_str_eq(err.text, "host: required");
	json_decref(t);

	t = json_pack("[]");
	ck_assert_int_eq(config_apply_session_opts(t, &o, NULL, &err), -1);
	json_decref(t);
}
END_TEST

START_TEST(config_opts_json_masks_and_round_trips)
{
	struct config_err	 err;
	struct sess_opts	 o, back;
	json_t			*j, *j2;

	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	snprintf(o.community, sizeof(o.community), "s3cret");
	o.timeout_ms = 1500;
	o.dscp = 10;
	o.version = SNMP_V1;

	j = config_session_opts_json(&o, true);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "community")),
	    "***");
	ck_assert_str_eq(json_string_value(json_object_get(j, "timeout")),
	    "1500ms");
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")),
	    "1");
	ck_assert_ptr_nonnull(json_object_get(j, "accept_data"));
	json_decref(j);

	/* Unmasked output, read back, gives the same options. */
	j = config_session_opts_json(&o, false);
	ck_assert_str_eq(json_string_value(json_object_get(j, "community")),
	    "s3cret");
	sess_opts_default(&back);
	ck_assert_int_eq(config_apply_session_opts(j, &back, NULL, &err), 0);
	j2 = config_session_opts_json(&back, false);
	ck_assert(json_equal(j, j2));
	ck_assert_int_eq(back.dscp, 10);
	json_decref(j);
	json_decref(j2);

	/* dscp -1 (OS default) shows as null and reads back. */
	o.dscp = -1;
	j = config_session_opts_json(&o, false);
	ck_assert(json_is_null(json_object_get(j, "dscp")));
	back.dscp = 5;
	ck_assert_int_eq(config_apply_session_opts(j, &back, NULL, &err), 0);
	ck_assert_int_eq(back.dscp, -1);
	json_decref(j);
}
END_TEST

START_TEST(config_shipped_default_loads)
{
	struct config_err	 err;
	struct config		*c;
	const char		*top = getenv("top_srcdir");
	char			 path[TPATH];

	snprintf(path, sizeof(path), "%s/etc/snmpmgrd.json",
	    top != NULL ? top : "..");
	c = config_load(path, &err);
	ck_assert_msg(c != NULL, "%s", err.text);
	config_free(c);
}
END_TEST

/* Odd inputs: no crash, an error with a position. */
START_TEST(config_hostile_inputs_fail_cleanly)
{
	static const char *const texts[] = {
		"", "{", "\"x\"", "{\"sessions\": []}",
		"{\"sessions\": {\"a\": 5}}", "{\"include\": 5}",
		"{\"include\": [5]}", "{\"polls\": {\"p\": []}}",
		"{\"traps\": {\"listen\": \"udp:1.2.3.4\"}}",
		"{\"traps\": {\"listen\": [\"udp6:[::1\"]}}",
		"{\"sessions\": {\"\\u00e9\": {\"host\": \"h\"}}}",
		"{\"defaults\": {\"timeout\": -1}}",
		"{\"defaults\": {\"timeout\": 1e300}}",
		"{\"defaults\": {\"timeout\": 0.0001}}",
		"{\"defaults\": {\"walk_limit\": 99999999999999}}",
		"{\"templates\": {\"t\": {\"template\": \"t\"}}}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	struct config_err	 err;
	size_t			 i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_msg(config_load(write_file("h.json", texts[i]),
		    &err) == NULL, "accepted %s", texts[i]);
		ck_assert_msg(err.text[0] != '\0', "no error for %s",
		    texts[i]);
	}
}
END_TEST

/*
 * A NUL byte in the text (jansson takes it) before the value an error is
 * about: the scan that finds the error's line and column stopped on it
 * without moving, forever (fuzz_config).
 */
START_TEST(config_nul_byte_before_an_error_does_not_hang)
{
	static const char	 text[] = "{\"defaults\": {\"retries\": 1\0},\n"
	    "  \"sessions\": {\"a\": {\"host\": 5}}}\n";
	struct config_err	 err;
	char			 path[TPATH];
	FILE			*f;

	snprintf(path, sizeof(path), "%s/nul.json", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	remember(path);
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f),
	    sizeof(text) - 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_null(config_load(path, &err));
	ck_assert_msg(strstr(err.text, ":2:") != NULL &&
	    strstr(err.text, "sessions.a.host") != NULL, "got \"%s\"",
	    err.text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("syntax");
	tcase_add_test(tc, config_duration_accepts_units_and_seconds);
	tcase_add_test(tc, config_duration_rejects_garbage);
	tcase_add_test(tc, config_duration_range_and_precision);
	tcase_add_test(tc, config_size_accepts_binary_and_decimal_units);
	tcase_add_test(tc, config_size_rejects_garbage);
	tcase_add_test(tc, config_inline_target_options);
	tcase_add_test(tc, config_change_keeps_extra_options);
	tcase_add_test(tc, config_inline_target_errors_name_the_key);
	tcase_add_test(tc, config_opts_json_masks_and_round_trips);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_empty_object_gives_defaults);
	tcase_add_test(tc, config_full_example_loads);
	tcase_add_test(tc, config_precedence_defaults_template_session);
	tcase_add_test(tc, config_session_polls_replace_template_polls);
	tcase_add_test(tc, config_traps_defaults);
	tcase_add_test(tc, config_trap_users_are_credentials);
	tcase_add_test(tc, config_shipped_default_loads);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_json_fast_matches_jansson);
	tcase_add_test(tc, config_syntax_error_has_line_and_column);
	tcase_add_test(tc, config_syntax_error_hides_secrets);
	tcase_add_test(tc, config_duplicate_key_is_an_error);
	tcase_add_test(tc, config_missing_file_names_it);
	tcase_add_test(tc, config_top_level_must_be_object);
	tcase_add_test(tc, config_bad_duration_points_at_value);
	tcase_add_test(tc, config_timeout_out_of_range);
	tcase_add_test(tc, config_resolver_section);
	tcase_add_test(tc, config_unknown_key_suggests_closest);
	tcase_add_test(tc, config_range_checks);
	tcase_add_test(tc, config_bad_names_rejected);
	tcase_add_test(tc, config_session_needs_host);
	tcase_add_test(tc, config_references_must_exist);
	tcase_add_test(tc, config_v3_session_errors_at_their_line);
	tcase_add_test(tc, config_v3_keys_are_recognized);
	tcase_add_test(tc, config_v3_options_typed_and_credentials_shared);
	tcase_add_test(tc, config_dtls_session_rejected);
	tcase_add_test(tc, config_credentials_checked);
	tcase_add_test(tc, config_polls_checked);
	tcase_add_test(tc, config_traps_checked);
	tcase_add_test(tc, config_control_and_log_checked);
	tcase_add_test(tc, config_hostile_inputs_fail_cleanly);
	tcase_add_test(tc, config_nul_byte_before_an_error_does_not_hang);
	suite_add_tcase(s, tc);

	tc = tcase_create("include");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_include_merges_entries);
	tcase_add_test(tc, config_extra_object_is_one_more_file);
	tcase_add_test(tc, config_owned_files_and_running_config);
	tcase_add_test(tc, config_reload_keeps_the_running_state_dir);
	tcase_add_test(tc, config_wipe_secrets_everywhere_in_place);
	tcase_add_test(tc, config_include_duplicate_names_both_places);
	tcase_add_test(tc, config_include_cannot_redefine_scalar);
	tcase_add_test(tc, config_include_bad_file_reports_its_name);
	tcase_add_test(tc, config_include_loop_rejected);
	tcase_add_test(tc, config_poll_rates);
	tcase_add_test(tc, config_include_missing_plain_file_is_an_error);
	suite_add_tcase(s, tc);

	return check_run(s);
}
