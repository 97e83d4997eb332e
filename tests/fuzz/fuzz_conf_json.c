/*
 * fuzz_conf_json.c - libFuzzer target for the config files' own JSON
 * parser (daemon/conf_json.c).  On any bytes, cfg_json_fast() either
 * leaves the text to jansson (NULL) or makes exactly the tree that
 * json_loadb() makes of it with the config's flags: the same values, the
 * same members in the same order; and when it says the tree holds no
 * secret, no key of it is one cfg_secret_key() names.  Build with clang
 * -fsanitize=fuzzer,address,undefined (tests/fuzz_conf_json.sh).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/conf_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* json_equal() with members in order, and whether a key is a secret. */
static bool
fuzz_same(json_t *a, json_t *b, bool *secret)
{
	void		*ia, *ib;
	size_t		 i;

	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		for (ia = json_object_iter(a), ib = json_object_iter(b);
		    ia != NULL && ib != NULL;
		    ia = json_object_iter_next(a, ia),
		    ib = json_object_iter_next(b, ib)) {
			if (strcmp(json_object_iter_key(ia),
			    json_object_iter_key(ib)) != 0 ||
			    !fuzz_same(json_object_iter_value(ia),
			    json_object_iter_value(ib), secret))
				return false;
			if (cfg_secret_key(json_object_iter_key(ib)))
				*secret = true;
		}
		return ia == NULL && ib == NULL;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!fuzz_same(json_array_get(a, i),
			    json_array_get(b, i), secret))
				return false;
		return true;
	default:
		return json_equal(a, b) == 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 err;
	json_t		*ours, *theirs;
	bool		 secrets = false, secret = false;

	ours = cfg_json_fast((const char *)data, size, &secrets);
	if (ours == NULL)
		return 0;
	theirs = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &err);
	if (theirs == NULL || !fuzz_same(ours, theirs, &secret) ||
	    (secret && !secrets))
		abort();
	json_decref(ours);
	json_decref(theirs);
	return 0;
}
