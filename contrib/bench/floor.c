/* floor: the kernel's share of `run`, for the benchmark (contrib/bench/bench.sh).
 *
 *   floor ROOTFS NAME
 *
 * Only the irreducible work of the default config (runc spec, args /bin/true):
 * a cgroup NAME in every hierarchy, joined by the process itself (a v1 `tasks`
 * write, a cgroup2 cgroup.procs) with the default device rules; new pid,
 * network, ipc, uts and mount namespaces; the config's mounts (proc, /dev tmpfs
 * with its device nodes, devpts, shm, mqueue, sysfs, the cgroup hierarchies
 * read-only), masked and read-only paths, pivot_root; exec /bin/true; wait;
 * remove the cgroups.  No config parsing, no state, no error reporting beyond
 * the exit status: what no runtime can avoid.
 *
 *   floor -c ROOTFS NAME   create's share: the same up to the exec; the init
 *                          reports that it is ready and the command returns
 *                          then (the init exits on its own)
 *   floor -d NAME          after -c: remove its cgroups (untimed)
 *   floor -e PID           exec's share: join the cgroups and the namespaces
 *                          (ipc, uts, net, pid, mnt) of the running container
 *                          whose init is PID, fork, exec /bin/true, wait */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define CG "/sys/fs/cgroup"
#define MAX_H 32

static char *dirs[MAX_H];
static int v1[MAX_H], nh;

static void
die (const char *what)
{
  perror (what);
  _exit (1);
}

static void
put (const char *dir, const char *file, const char *val)
{
  char p[4096];
  int fd;

  snprintf (p, sizeof p, "%s/%s", dir, file);
  fd = open (p, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, val, strlen (val)) < 0)
    die (p);
  close (fd);
}

/* Our own cgroup in the v1 hierarchy mounted at /sys/fs/cgroup/<h> ("" for the
 * root), from /proc/self/cgroup ("N:cpu,cpuacct:/path", "N:name=systemd:/path"):
 * the container's cgroup goes beneath it, as a relative cgroupsPath puts it. */
static const char *
own_cgroup (const char *h)
{
  static char buf[8192];
  static ssize_t len = -1;
  static char path[4096];
  char *line, *save = NULL, copy[8192];

  if (len < 0)
    {
      int fd = open ("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
      if (fd < 0 || (len = read (fd, buf, sizeof buf - 1)) < 0)
        die ("/proc/self/cgroup");
      buf[len] = '\0';
      close (fd);
    }
  memcpy (copy, buf, (size_t) len + 1);
  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c = strchr (line, ':'), *p = c ? strchr (c + 1, ':') : NULL;
      if (p == NULL)
        continue;
      *p = '\0';
      c++;
      if (strncmp (c, "name=", 5) == 0)
        c += 5;
      if (strcmp (c, h) == 0)
        {
          snprintf (path, sizeof path, "%s", strcmp (p + 1, "/") == 0 ? "" : p + 1);
          return path;
        }
    }
  return "";
}

/* Every hierarchy under /sys/fs/cgroup (v1 controllers, or cgroup2 itself):
 * the cgroup NAME in each, made (make) or only named. */
static void
cgroup_dirs (const char *name, int make)
{
  struct stat sb;
  DIR *d;
  struct dirent *e;

  if (stat (CG "/cgroup.controllers", &sb) == 0)
    {
      if (asprintf (&dirs[0], CG "/%s", name) < 0 || (make && mkdir (dirs[0], 0755) < 0))
        die ("mkdir cgroup");
      nh = 1;
      return;
    }
  if ((d = opendir (CG)) == NULL)
    die (CG);
  while ((e = readdir (d)) && nh < MAX_H)
    {
      char t[4096];
      if (e->d_type != DT_DIR || e->d_name[0] == '.')
        continue;
      snprintf (t, sizeof t, CG "/%s/tasks", e->d_name);
      if (access (t, F_OK) < 0)
        continue;
      if (asprintf (&dirs[nh], CG "/%s%s/%s", e->d_name, own_cgroup (e->d_name), name) < 0
          || (make && mkdir (dirs[nh], 0755) < 0))
        die ("mkdir cgroup");
      v1[nh++] = 1;
      if (!make)
        continue;
      if (strcmp (e->d_name, "cpuset") == 0)
        for (int k = 0; k < 2; k++)
          {
            const char *f = k ? "cpuset.mems" : "cpuset.cpus";
            char v[256] = "";
            int fd;
            snprintf (t, sizeof t, CG "/cpuset/%s", f);
            fd = open (t, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || read (fd, v, sizeof v - 1) < 0)
              die (t);
            close (fd);
            put (dirs[nh - 1], f, v);
          }
      if (strcmp (e->d_name, "devices") == 0)
        {
          static const char *allow[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
                                         "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm" };
          put (dirs[nh - 1], "devices.deny", "a");
          for (size_t i = 0; i < sizeof allow / sizeof *allow; i++)
            put (dirs[nh - 1], "devices.allow", allow[i]);
        }
    }
  closedir (d);
}

static void
mnt (const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
  if (mount (src, dst, type, flags, data) < 0)
    die (dst);
}

static void
setup_rootfs (const char *rootfs)
{
  static const char *devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
  static const int minor[] = { 3, 5, 7, 8, 9, 0 }, major[] = { 1, 1, 1, 1, 1, 5 };
  static const char *masked_files[] = { "proc/kcore", "proc/keys", "proc/timer_list" };
  static const char *masked_dirs[] = { "proc/acpi", "proc/scsi", "sys/firmware" };
  static const char *ro[] = { "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger" };
  char p[4096];

  mnt (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  mnt (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
  if (chdir (rootfs) < 0)
    die ("chdir");
  mnt ("proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  mnt ("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (size_t i = 0; i < sizeof devs / sizeof *devs; i++)
    {
      snprintf (p, sizeof p, "dev/%s", devs[i]);
      if (mknod (p, S_IFCHR | 0666, makedev (major[i], minor[i])) < 0)
        die (p);
    }
  mkdir ("dev/pts", 0755);
  mnt ("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
  mkdir ("dev/shm", 01777);
  mnt ("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
  mkdir ("dev/mqueue", 0755);
  mnt ("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  mnt ("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
  mnt ("tmpfs", "sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755");
  for (int i = 0; i < nh; i++)
    {
      const char *h = dirs[i] + strlen (CG "/");
      snprintf (p, sizeof p, "sys/fs/cgroup/%.*s", (int) (strchr (h, '/') ? strchr (h, '/') - h : (int) strlen (h)), h);
      mkdir (p, 0755);
      mnt (dirs[i], p, NULL, MS_BIND, NULL);
      mnt (NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    }
  mnt (NULL, "sys/fs/cgroup", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755");
  for (size_t i = 0; i < 3; i++)
    {
      if (access (masked_files[i], F_OK) == 0)
        mnt ("/dev/null", masked_files[i], NULL, MS_BIND, NULL);
      if (access (masked_dirs[i], F_OK) == 0)
        mnt ("tmpfs", masked_dirs[i], "tmpfs", MS_RDONLY, NULL);
    }
  for (size_t i = 0; i < sizeof ro / sizeof *ro; i++)
    {
      if (access (ro[i], F_OK) < 0)
        continue;
      mnt (ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL);
      mnt (NULL, ro[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
    }
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    die ("pivot_root");
  if (umount2 (".", MNT_DETACH) < 0 || chdir ("/") < 0)
    die ("umount old root");
}

/* -e PID: into the container of PID, as exec's process gets there. */
static int
exec_in (const char *pid)
{
  static const char *ns[] = { "ipc", "uts", "net", "pid", "mnt" };
  char p[4200], buf[8192], *line, *save = NULL;
  ssize_t len;
  int fd, status;
  pid_t child;

  /* Its cgroups, from /proc/PID/cgroup ("N:cpu,cpuacct:/path"): each v1
   * hierarchy's `tasks` (this process alone), or cgroup2's cgroup.procs. */
  snprintf (p, sizeof p, "/proc/%s/cgroup", pid);
  fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (len = read (fd, buf, sizeof buf - 1)) < 0)
    die (p);
  buf[len] = '\0';
  close (fd);
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c = strchr (line, ':'), *path = c ? strchr (c + 1, ':') : NULL, dir[4096];
      const char *file;
      if (path == NULL)
        continue;
      *path++ = '\0';
      c++;
      if (strncmp (c, "name=", 5) == 0)
        c += 5;
      file = *c ? "tasks" : "cgroup.procs";
      snprintf (dir, sizeof dir, CG "%s%s%s", *c ? "/" : "", c, path);
      snprintf (p, sizeof p, "%s/%s", dir, file);
      if (access (p, F_OK) < 0)
        continue; /* a hierarchy not mounted here (the hidden unified one) */
      put (dir, file, "0");
    }
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
    {
      snprintf (p, sizeof p, "/proc/%s/ns/%s", pid, ns[i]);
      fd = open (p, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, 0) < 0)
        die (p);
      close (fd);
    }
  child = fork ();
  if (child == 0)
    {
      char *args[] = { "/bin/true", NULL };
      if (chdir ("/") < 0)
        die ("chdir");
      execv (args[0], args);
      die ("exec");
    }
  if (child < 0 || waitpid (child, &status, 0) < 0)
    die ("wait");
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}

/* -d NAME: the cgroups of a `floor -c` (its processes are going or gone). */
static int
remove_cgroups (const char *name)
{
  for (int tries = 0; tries < 100; tries++)
    {
      int left = 0;
      for (int i = 0; i < nh; i++)
        if (rmdir (dirs[i]) < 0 && errno != ENOENT)
          left++;
      if (left == 0)
        return 0;
      usleep (10000);
    }
  fprintf (stderr, "floor: cannot remove the cgroups of %s\n", name);
  return 1;
}

int
main (int argc, char **argv)
{
  pid_t stage1, init;
  int status, create = 0, ready[2] = { -1, -1 };
  char byte;

  if (argc == 3 && strcmp (argv[1], "-e") == 0)
    return exec_in (argv[2]);
  if (argc == 3 && strcmp (argv[1], "-d") == 0)
    {
      cgroup_dirs (argv[2], 0);
      return remove_cgroups (argv[2]);
    }
  if (argc == 4 && strcmp (argv[1], "-c") == 0)
    {
      create = 1;
      argv++;
      argc--;
      if (pipe2 (ready, O_CLOEXEC) < 0)
        die ("pipe");
    }
  if (argc != 3)
    {
      fprintf (stderr, "usage: floor [-c] ROOTFS NAME | floor -d NAME | floor -e PID\n");
      return 2;
    }
  cgroup_dirs (argv[2], 1);
  stage1 = fork ();
  if (stage1 == 0)
    {
      /* A fresh fork is single-threaded: `tasks` moves just us, no RCU wait. */
      for (int i = 0; i < nh; i++)
        put (dirs[i], v1[i] ? "tasks" : "cgroup.procs", "0");
      if (unshare (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
        die ("unshare");
      init = fork ();
      if (init == 0)
        {
          char *args[] = { "/bin/true", NULL };
          setup_rootfs (argv[1]);
          sethostname ("floor", 5);
          if (create)
            _exit (write (ready[1], "", 1) == 1 ? 0 : 1);
          execv (args[0], args);
          die ("exec");
        }
      if (init < 0 || waitpid (init, &status, 0) < 0)
        die ("wait init");
      _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 1);
    }
  if (stage1 < 0)
    die ("fork");
  if (create)
    {
      close (ready[1]);
      return read (ready[0], &byte, 1) == 1 ? 0 : 1;
    }
  if (waitpid (stage1, &status, 0) < 0)
    die ("wait");
  for (int i = 0; i < nh; i++)
    rmdir (dirs[i]);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}
