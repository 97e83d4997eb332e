/*
 * dirs.c - the directories snmpmgrd makes (dirs.h).
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dirs.h"

int
dirs_make(const char *dir, mode_t parents, mode_t mode)
{
	char	 buf[PATH_MAX];
	char	*s;
	size_t	 n;

	if ((n = strlen(dir)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(buf, parents) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
dirs_make_for(const char *path, mode_t mode)
{
	char		 buf[PATH_MAX];
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, (size_t)(slash - path));
	buf[slash - path] = '\0';
	return dirs_make(buf, mode, mode);
}
