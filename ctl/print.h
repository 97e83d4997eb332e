/*
 * print.h - how snmpmgrctl shows results to people (print.c): varbinds
 * as snmpwalk -On prints them, objects as "key: value" lines, the session
 * list as a table.
 */
#ifndef SNMPMGRCTL_PRINT_H
#define SNMPMGRCTL_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* "noError", "tooBig", ... for an SNMP error-status (RFC 3416 3), or NULL. */
const char	*ctl_error_status_name(long long status);

/*
 * One varbind of doc/protocol.md as snmpwalk -On prints it:
 * ".1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45".
 */
void		 ctl_print_varbind(FILE *, const json_t *vb);
/*
 * -On: print numeric OIDs even where the daemon sent a MIB name (the
 * default prints names, and enum labels as "up(1)", like snmpwalk).
 */
extern int	 ctl_print_numeric;
/* Every varbind of a JSON array, one line each.  Returns how many. */
size_t		 ctl_print_varbinds(FILE *, const json_t *vbs, int as_json);

/*
 * An object as indented "key: value" lines (daemon.status, session.show):
 * a nested object's members indented below its key, a list of scalars on
 * one line ("a, b"), a list of objects as "- " items, reals to at most
 * three decimals, null and empty containers as "-".
 */
void		 ctl_print_tree(FILE *, const json_t *obj, int indent);
/* The rows of session.list as an aligned table. */
void		 ctl_print_sessions(FILE *, const json_t *rows);

/* One compact JSON text and a newline. */
void		 ctl_print_json(FILE *, const json_t *);

/*
 * Print the varbinds of a walk.rows notification from its JSON text
 * [p, p + len) (the array "[...]"), as ctl_print_varbinds would print the
 * parsed array, without parsing the rows it can read directly.  0 and
 * *count set, or -1 with nothing printed when the text is not a well-formed
 * array of objects.
 */
int		 ctl_print_rows_raw(FILE *, const char *p, size_t len,
		    int as_json, size_t *count);

#endif /* SNMPMGRCTL_PRINT_H */
