/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Win a race against a program that binds a unix socket, for LD_PRELOAD:
 *
 *   LD_PRELOAD=.../tests/fakes/bind-race.so SNPCERT_BIND_RACE=/victim snp-certctl broker ...
 *
 * Right after a bind() of an AF_UNIX socket to a path succeeds, the path is
 * replaced by a symbolic link to the file SNPCERT_BIND_RACE names, as
 * anyone who may write the socket's directory can do between the bind()
 * and whatever the program does next by path (a chmod() follows the link).
 * Without SNPCERT_BIND_RACE the fake passes every call through untouched.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	const char *target = getenv("SNPCERT_BIND_RACE");
	int r;

	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	r = real(fd, sa, len);
	if (r == 0 && target && sa->sa_family == AF_UNIX &&
	    len > offsetof(struct sockaddr_un, sun_path)) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;

		if (un->sun_path[0] && unlink(un->sun_path) == 0 &&
		    symlink(target, un->sun_path) < 0)
			_exit(98);
	}
	return r;
}
