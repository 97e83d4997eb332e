/*
 * dirs.h - the directories snmpmgrd makes for its files: the state
 * directory, the control socket's, the trap journal's and the cluster
 * spool's, each with the components that are missing (mkdir -p).
 */
#ifndef SNMPMGRD_DIRS_H
#define SNMPMGRD_DIRS_H

#include <sys/types.h>

/*
 * Make dir and whichever of its parents are missing: the parents with
 * mode parents, dir itself with mode (both before the umask).  What
 * exists is left as it is.  0, or -1 with errno.
 */
int	 dirs_make(const char *dir, mode_t parents, mode_t mode);
/* The same for the directory path is in (nothing for a bare name). */
int	 dirs_make_for(const char *path, mode_t mode);

#endif /* SNMPMGRD_DIRS_H */
