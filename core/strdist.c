/*
 * strdist.c - Levenshtein distance (strdist.h), one row at a time.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "strdist.h"

size_t
strdist(const char *a, const char *b, bool nocase)
{
	size_t	 la = strlen(a), lb = strlen(b), row[STRDIST_MAX + 1];
	size_t	 i, j, prev, tmp, v;
	bool	 same;

	if (la > STRDIST_MAX || lb > STRDIST_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			same = nocase ? tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) : a[i - 1] ==
			    b[j - 1];
			v = prev + (same ? 0 : 1);
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			prev = tmp;
		}
	}
	return row[lb];
}
