/*
 * strdist.h - the edit distance of two short strings, for the
 * "did you mean" suggestions of the config and of MIB names.
 */
#ifndef SNMPMGR_STRDIST_H
#define SNMPMGR_STRDIST_H

#include <stdbool.h>
#include <stddef.h>

/* Longest string strdist measures. */
#define STRDIST_MAX	64

/*
 * Insertions, deletions, substitutions and swaps of two adjacent letters
 * that turn a into b (optimal string alignment distance), letters
 * compared ignoring case when nocase; SIZE_MAX when either is longer
 * than STRDIST_MAX.
 */
size_t	 strdist(const char *a, const char *b, bool nocase);

#endif /* SNMPMGR_STRDIST_H */
