/*
 * probe — a tiny static program the integration tests run inside containers.
 *
 * Each subcommand prints what the process sees, one fact per line, in the
 * form "key value" (or "key: value" for the /proc/self/status fields), so a
 * test can grep for exactly one line.  No dependencies beyond libc: it is
 * linked statically and copied into a busybox rootfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

static int cat_file(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "probe: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

/* Print the lines of /proc/self/status whose key is in keys[]. */
static int status_fields(const char *const *keys)
{
	char line[1024];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f) {
		fprintf(stderr, "probe: open /proc/self/status: %s\n", strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof line, f)) {
		for (const char *const *k = keys; *k; k++) {
			size_t len = strlen(*k);
			if (strncmp(line, *k, len) == 0 && line[len] == ':')
				fputs(line, stdout);
		}
	}
	fclose(f);
	return 0;
}

static int cmd_ids(void)
{
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);

	printf("uid %u\ngid %u\neuid %u\negid %u\n", (unsigned)getuid(),
	       (unsigned)getgid(), (unsigned)geteuid(), (unsigned)getegid());
	printf("groups");
	for (int i = 0; i < n; i++)
		printf(" %u", (unsigned)groups[i]);
	printf("\n");
	return 0;
}

static int cmd_caps(void)
{
	static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd",
					    "CapAmb", "NoNewPrivs", NULL };
	int r = status_fields(keys);
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

	printf("no_new_privs %d\n", nnp);
	return r;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	if (!d) {
		fprintf(stderr, "probe: opendir /proc/self/fd: %s\n", strerror(errno));
		return 1;
	}
	self = dirfd(d);
	while ((e = readdir(d))) {
		char path[PATH_MAX], target[PATH_MAX];
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == self)
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("fd %d %s\n", fd, target);
	}
	closedir(d);
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static void print_limit(rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf(" unlimited");
	else
		printf(" %llu", (unsigned long long)v);
}

static int cmd_rlimits(void)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
		struct rlimit rl;

		if (getrlimit(rlimits[i].resource, &rl) < 0)
			continue;
		printf("%s", rlimits[i].name);
		print_limit(rl.rlim_cur);
		print_limit(rl.rlim_max);
		printf("\n");
	}
	return 0;
}

static int cmd_ns(void)
{
	static const char *const types[] = { "cgroup", "ipc", "mnt", "net", "pid",
					     "pid_for_children", "time",
					     "time_for_children", "user", "uts", NULL };

	for (const char *const *t = types; *t; t++) {
		char path[64], target[256];
		ssize_t n;

		snprintf(path, sizeof path, "/proc/self/ns/%s", *t);
		n = readlink(path, target, sizeof target - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		printf("%s %s\n", *t, target);
	}
	return 0;
}

static int cmd_cwd(void)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof buf)) {
		fprintf(stderr, "probe: getcwd: %s\n", strerror(errno));
		return 1;
	}
	printf("cwd %s\n", buf);
	return 0;
}

static int cmd_env(void)
{
	for (char **e = environ; *e; e++)
		printf("%s\n", *e);
	return 0;
}

static int cmd_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	printf("umask %04o\n", (unsigned)m);
	return 0;
}

static int cmd_hostname(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return 1;
	printf("hostname %s\ndomainname %s\n", u.nodename, u.domainname);
	return 0;
}

static int cmd_tty(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		char *name = isatty(fd) ? ttyname(fd) : NULL;

		printf("isatty %d %d\n", fd, isatty(fd));
		printf("ttyname %d %s\n", fd, name ? name : "none");
	}
	return 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Catch every catchable signal, say "ready", report the first one seen. */
static int cmd_signal_wait(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!got_signal)
		pause();
	printf("signal %d\n", (int)got_signal);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: probe ids|caps|fds|rlimits|ns|mounts|cwd|env|umask|pid|"
			"hostname|tty|sleep N|exit N|signal-wait|cat FILE\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int r;

	if (!strcmp(cmd, "ids"))
		r = cmd_ids();
	else if (!strcmp(cmd, "caps"))
		r = cmd_caps();
	else if (!strcmp(cmd, "fds"))
		r = cmd_fds();
	else if (!strcmp(cmd, "rlimits"))
		r = cmd_rlimits();
	else if (!strcmp(cmd, "ns"))
		r = cmd_ns();
	else if (!strcmp(cmd, "mounts"))
		r = cat_file("/proc/self/mountinfo");
	else if (!strcmp(cmd, "cwd"))
		r = cmd_cwd();
	else if (!strcmp(cmd, "env"))
		r = cmd_env();
	else if (!strcmp(cmd, "umask"))
		r = cmd_umask();
	else if (!strcmp(cmd, "pid"))
		r = printf("pid %d\nppid %d\n", (int)getpid(), (int)getppid()) < 0;
	else if (!strcmp(cmd, "hostname"))
		r = cmd_hostname();
	else if (!strcmp(cmd, "tty"))
		r = cmd_tty();
	else if (!strcmp(cmd, "sleep") && argc > 2)
		r = sleep((unsigned)atoi(argv[2])) != 0;
	else if (!strcmp(cmd, "exit") && argc > 2)
		return atoi(argv[2]);
	else if (!strcmp(cmd, "signal-wait"))
		r = cmd_signal_wait();
	else if (!strcmp(cmd, "cat") && argc > 2)
		r = cat_file(argv[2]);
	else {
		usage();
		return 2;
	}
	fflush(stdout);
	return r;
}
