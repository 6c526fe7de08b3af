#ifndef HUSK_UTIL_FS_H
#define HUSK_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* mkdir -p; existing directories are fine. */
int husk_mkdir_p (const char *path, mode_t mode, struct husk_error **err);
/* Write (truncate) a file; for /proc and /sys files no O_CREAT surprises. */
int husk_write_file (const char *path, const char *data, size_t len, struct husk_error **err);
/* Write via a temp file in the same directory, fsync, rename: readers see either
 * the old or the new content, never a partial one.  Safe in a directory someone
 * else can write (a caller's --pid-file): the temp file has a random name and is
 * created O_EXCL|O_NOFOLLOW, and a symlink at path is replaced, not followed. */
int husk_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                            struct husk_error **err);
/* Read a whole file, NUL-terminated; *len excludes the NUL. */
int husk_read_file (const char *path, char **data, size_t *len, struct husk_error **err);
int husk_read_fd (int fd, char **data, size_t *len, struct husk_error **err);
/* /proc/self/mountinfo, whole, in a copy the caller frees.  The kernel writes
 * the whole table out anew for every read (show_mountinfo took 3% of `run`), so
 * the text is kept and read again only by another process, unless inherited:
 * the caller's mount table is the one the process it was forked from read (a
 * fork in a copy of its mount namespace, not one joined by path). */
int husk_read_mountinfo (char **data, bool inherited, struct husk_error **err);
/* path as it is when absolute (or dir is NULL), else dir/path; caller frees.  The
 * config's relative paths (root.path, a bind's source) are the bundle's. */
char *husk_path_at (const char *dir, const char *path);
/* Start time of a process in clock ticks (field 22 of /proc/PID/stat); 0 if gone. */
unsigned long long husk_proc_start_time (pid_t pid);
/* Process state letter from /proc/PID/stat ('R', 'S', 'Z', ...); 0 if gone. */
char husk_proc_state (pid_t pid);
/* Our pid as /proc names it ("/proc/self"), or -1: getpid() of the pid
 * namespace of the procfs mounted there, which a process born in a namespace of
 * its own still sees until it mounts its own /proc. */
pid_t husk_proc_self_pid (void);
/* Both from one read: the state letter (0 if gone) and the start time. */
char husk_proc_stat (pid_t pid, unsigned long long *start_time);
/* Field n (0 the name ... 5 the home directory) of uid's line in the current
 * root's /etc/passwd, or NULL (no such file, line or field).  Parsed by hand: the
 * NSS modules getpwuid() may load belong to the host, and musl's getpwuid (with
 * its nscd client) was 2.5 KB of the binary. */
char *husk_passwd_field (uid_t uid, int n);
/* True when this process is in a user namespace other than the initial one: there
 * the uid_map is not the identity over every id ("0 0 4294967295"). */
bool husk_running_in_userns (void);

/* Fields of the kernel's text files (mountinfo, uid_map, cgroup files), read
 * without sscanf, whose code (with strtod's, which it pulls in) was ~12 KB of
 * the binary.
 *
 * Word n (from 0) of s, words being runs of characters other than white space
 * (what sscanf's %s reads), copied NUL-terminated into out.  Returns what
 * follows the word in s, or NULL when s has fewer words or the word does not
 * fit in size. */
const char *husk_word (const char *s, unsigned n, char *out, size_t size);
/* A decimal number at *s, after white space (what sscanf's %llu reads, strtoull's
 * syntax), and *s moved past it; false when there is none. */
bool husk_scan_u64 (const char **s, unsigned long long *v);

#endif
