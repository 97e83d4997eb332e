/*
 * methods.h - the JSON-RPC method table of the control socket.
 *
 * Each entry names a method and its handler.  A handler reads params
 * (always an object), then fills in a result or an error on r and returns
 * CTL_DONE, or starts an SNMP operation and returns CTL_PENDING (see
 * control.h).  Handlers never write replies themselves.
 */
#ifndef SNMPMGRD_METHODS_H
#define SNMPMGRD_METHODS_H

typedef struct json_t json_t;

struct daemon;
struct ctl_req;

typedef int	 method_fn(struct daemon *d, struct ctl_req *r,
		    json_t *params);

/* The method takes no params; any key is an invalid-params error. */
#define METHOD_NOPARAMS		0x01

struct method {
	const char	*name;
	method_fn	*fn;
	int		 flags;
};

/* The entry for name, or NULL. */
const struct method *method_find(const char *name);

#endif /* SNMPMGRD_METHODS_H */
