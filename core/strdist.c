/*
 * strdist.c - edit distance (strdist.h), a row at a time, with the two
 * rows before it for transpositions.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "strdist.h"

static bool
strdist_same(char a, char b, bool nocase)
{
	return nocase ? tolower((unsigned char)a) == tolower((unsigned char)b) :
	    a == b;
}

size_t
strdist(const char *a, const char *b, bool nocase)
{
	size_t	 la = strlen(a), lb = strlen(b);
	size_t	 rows[3][STRDIST_MAX + 1], *r2, *r1, *r, *t;
	size_t	 i, j, v;

	if (la > STRDIST_MAX || lb > STRDIST_MAX)
		return SIZE_MAX;
	r2 = rows[0];		/* row i - 2 */
	r1 = rows[1];		/* row i - 1 */
	r = rows[2];
	for (j = 0; j <= lb; j++)
		r1[j] = j;
	for (i = 1; i <= la; i++) {
		r[0] = i;
		for (j = 1; j <= lb; j++) {
			v = r1[j - 1] + (strdist_same(a[i - 1], b[j - 1],
			    nocase) ? 0 : 1);
			if (r1[j] + 1 < v)
				v = r1[j] + 1;
			if (r[j - 1] + 1 < v)
				v = r[j - 1] + 1;
			/* "prot" for "port": two letters swapped, one edit. */
			if (i > 1 && j > 1 && r2[j - 2] + 1 < v &&
			    strdist_same(a[i - 1], b[j - 2], nocase) &&
			    strdist_same(a[i - 2], b[j - 1], nocase))
				v = r2[j - 2] + 1;
			r[j] = v;
		}
		t = r2;
		r2 = r1;
		r1 = r;
		r = t;
	}
	return r1[lb];
}
