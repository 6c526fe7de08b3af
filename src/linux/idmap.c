/* Id maps: the container's user namespace maps, written by the parent (the one
 * place that chooses the writer: a direct write, or newuidmap/newgidmap), and
 * idmapped mounts: the user namespace that carries a mount's mappings, and the
 * idmapped trees the parent makes for the init (see rootfs.h): before the init
 * exists from the host's paths, or at the init's request (sync 4a) from inside
 * its mount namespace for a source inside the rootfs. */
#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/sys.h"
#include "linux/namespaces.h"
#include "linux/rootfs-internal.h"
#include "linux/sync.h"
#include "util/child.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

extern char **environ;

static char *
format_map (const struct oci_id_mapping *m, size_t n)
{
  size_t cap = n * 40 + 1;
  char *buf = xcalloc (1, cap), *p = buf;
  for (size_t i = 0; i < n; i++)
    p += snprintf (p, cap - (size_t) (p - buf), "%u %u %u\n", m[i].container_id, m[i].host_id,
                   m[i].size);
  return buf;
}

/* The kernel lets a process without CAP_SETUID in the parent namespace write
 * one map line only: its own effective id, size 1 (user_namespaces(7)). */
static bool
self_map (const struct oci_id_mapping *m, size_t n, unsigned id)
{
  return n == 1 && m[0].host_id == id && m[0].size == 1;
}

/* Run the setuid helper (newuidmap or newgidmap) "PID ID HOSTID SIZE ...":
 * it checks /etc/subuid or /etc/subgid for us.  Its message, if any, ends up
 * in our error. */
static int
run_map_helper (const char *helper, const char *key, const char *file, pid_t pid,
                const struct oci_id_mapping *m, size_t n, struct husk_error **err)
{
  char **argv = xcalloc (n * 3 + 3, sizeof *argv);
  char msg[512] = "";
  int out[2], status = 0, rc;
  size_t k = 0, len = 0;
  ssize_t r;
  pid_t child;

  if (argv == NULL || pipe2 (out, O_CLOEXEC) < 0)
    abort ();
  argv[k++] = xstrdup (helper);
  xasprintf (&argv[k++], "%d", (int) pid);
  for (size_t i = 0; i < n; i++)
    if (xasprintf (&argv[k++], "%u", m[i].container_id) < 0
        || xasprintf (&argv[k++], "%u", m[i].host_id) < 0
        || xasprintf (&argv[k++], "%u", m[i].size) < 0)
      abort ();
  rc = husk_spawnp (&child, argv, true, out[1], out[1]);
  close (out[1]);
  while (rc == 0 && (r = read (out[0], msg + len, sizeof msg - 1 - len)) != 0)
    if (r > 0)
      len += (size_t) r;
    else if (errno != EINTR)
      break;
  close (out[0]);
  msg[len] = '\0';
  msg[strcspn (msg, "\n")] = '\0';
  while (rc == 0 && waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  for (size_t i = 0; i < k; i++)
    free (argv[i]);
  free (argv);
  if (rc == ENOENT)
    return husk_error_set (err, rc,
                           "linux.%s: mapping more than our own id needs %s (Debian package "
                           "uidmap), not found in PATH",
                           key, helper);
  if (rc != 0)
    return husk_error_set (err, rc, "linux.%s: run %s", key, helper);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return husk_error_set (err, 0,
                           "linux.%s: %s refused the mapping (are the ranges in %s for this "
                           "user?): %s",
                           key, helper, file, msg[0] ? msg : "no message");
  return 0;
}

/* Who writes the maps: we do when we may (root in our user namespace, or only
 * our own id mapped); else the setuid helpers, for the ranges of /etc/subuid
 * and /etc/subgid.  An unprivileged direct gid_map needs "setgroups deny"
 * first (since Linux 3.19: otherwise the container's root could drop a group
 * that denies it access); as root setgroups stays allowed, so a container can
 * still set its supplementary groups. */
int
husk_write_id_maps (pid_t pid, const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;
  cleanup_free char *uid_map = format_map (l->uid_mappings, l->uid_mappings_len);
  cleanup_free char *gid_map = format_map (l->gid_mappings, l->gid_mappings_len);
  bool privileged = geteuid () == 0;
  char path[64];

  if (*gid_map && !privileged && !self_map (l->gid_mappings, l->gid_mappings_len, getegid ()))
    {
      if (run_map_helper ("newgidmap", "gidMappings", "/etc/subgid", pid, l->gid_mappings,
                          l->gid_mappings_len, err) < 0)
        return -1;
    }
  else if (*gid_map)
    {
      if (!privileged)
        {
          snprintf (path, sizeof path, "/proc/%d/setgroups", (int) pid);
          if (husk_write_file (path, "deny", 4, err) < 0)
            return husk_error_wrap (err, "write gid mappings");
        }
      snprintf (path, sizeof path, "/proc/%d/gid_map", (int) pid);
      if (husk_write_file (path, gid_map, strlen (gid_map), err) < 0)
        return husk_error_wrap (err, "write gid mappings");
    }
  if (*uid_map && !privileged && !self_map (l->uid_mappings, l->uid_mappings_len, geteuid ()))
    return run_map_helper ("newuidmap", "uidMappings", "/etc/subuid", pid, l->uid_mappings,
                           l->uid_mappings_len, err);
  if (*uid_map)
    {
      snprintf (path, sizeof path, "/proc/%d/uid_map", (int) pid);
      if (husk_write_file (path, uid_map, strlen (uid_map), err) < 0)
        return husk_error_wrap (err, "write uid mappings");
    }
  return 0;
}

static void
default_map (struct oci_id_mapping **m, size_t *n, unsigned id)
{
  if (*n)
    return;
  *m = xcalloc (1, sizeof **m);
  (*m)[0] = (struct oci_id_mapping){ .container_id = 0, .host_id = id, .size = 1 };
  *n = 1;
}

void
husk_id_maps_default (struct oci_config *c)
{
  const struct oci_namespace *ns = oci_config_namespace (c, OCI_NS_USER);

  if (ns == NULL || ns->path != NULL)
    return;
  default_map (&c->linux_->uid_mappings, &c->linux_->uid_mappings_len, geteuid ());
  default_map (&c->linux_->gid_mappings, &c->linux_->gid_mappings_len, getegid ());
}

static int
write_map (const char *procdir, const char *file, const struct oci_id_mapping *maps,
           size_t n, struct husk_error **err)
{
  cleanup_free char *path = NULL, *buf = NULL;
  size_t len = 0;
  cleanup_close int fd = -1;

  xasprintf (&path, "/proc/%s/%s", procdir, file);
  for (size_t i = 0; i < n; i++)
    {
      char line[64];
      int l = snprintf (line, sizeof line, "%u %u %u\n", maps[i].container_id,
                        maps[i].host_id, maps[i].size);
      char *b = xrealloc (buf, len + (size_t) l + 1);
      buf = b;
      memcpy (buf + len, line, (size_t) l + 1);
      len += (size_t) l;
    }
  if (len == 0)
    return 0;
  fd = openat (AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
  /* One write: the kernel takes the whole map at once or not at all. */
  if (fd < 0 || write (fd, buf, len) != (ssize_t) len)
    return husk_error_set (err, errno, "write `%s`", path);
  return 0;
}

/* A user namespace carrying these mappings.  A child creates it and waits; we
 * (still privileged in the parent namespace) write its maps, keep a handle of
 * the namespace and let the child go.  The child names itself by its pid as the
 * mounted /proc sees it, which is not getpid() once we are in a new pid ns. */
static int
userns_with_maps (const struct oci_id_mapping *uids, size_t n_uids,
                  const struct oci_id_mapping *gids, size_t n_gids, struct husk_error **err)
{
  int up[2], down[2];
  char name[32] = "";
  ssize_t n;
  pid_t pid;
  int nsfd = -1;

  if (pipe2 (up, O_CLOEXEC) < 0)
    return husk_error_set (err, errno, "pipe");
  if (pipe2 (down, O_CLOEXEC) < 0)
    {
      close (up[0]);
      close (up[1]);
      return husk_error_set (err, errno, "pipe");
    }
  pid = fork ();
  if (pid == 0)
    {
      char self[32] = "!";
      close (up[0]);
      close (down[1]);
      if (unshare (CLONE_NEWUSER) == 0)
        {
          ssize_t l = readlink ("/proc/self", self, sizeof self - 1);
          self[l > 0 ? l : 0] = '\0';
        }
      if (write (up[1], self, strlen (self)) < 0 || read (down[0], self, 1) < 0)
        _exit (1);
      _exit (0);
    }
  close (up[1]);
  close (down[0]);
  n = pid < 0 ? -1 : read (up[0], name, sizeof name - 1);
  close (up[0]);
  if (n > 0 && name[0] != '!')
    {
      name[n] = '\0';
      if (write_map (name, "uid_map", uids, n_uids, err) == 0
          && write_map (name, "gid_map", gids, n_gids, err) == 0)
        {
          char path[64];
          snprintf (path, sizeof path, "/proc/%s/ns/user", name);
          nsfd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
          if (nsfd < 0)
            husk_error_set (err, errno, "open `%s`", path);
        }
    }
  else
    husk_error_set (err, pid < 0 ? errno : EPERM, "create a user namespace for the mappings");
  close (down[1]); /* lets the child exit */
  if (pid > 0)
    waitpid (pid, NULL, 0);
  return nsfd;
}

/* The user namespace whose mappings an idmapped mount takes: its own
 * uidMappings/gidMappings, else (a bare idmap/ridmap option) the container's, as
 * a new user namespace would have them or as the one it joins has them. */
static int
mount_userns (const struct oci_config *c, const struct oci_mount *m, struct husk_error **err)
{
  const struct oci_namespace *ns = oci_config_namespace (c, OCI_NS_USER);
  int fd;

  if (m->uid_mappings_len || m->gid_mappings_len)
    return userns_with_maps (m->uid_mappings, m->uid_mappings_len, m->gid_mappings,
                             m->gid_mappings_len, err);
  if (ns == NULL)
    return husk_error_set (err, EINVAL, "idmap mount `%s` without uidMappings needs a user "
                           "namespace to take them from", m->destination);
  if (ns->path == NULL)
    return userns_with_maps (c->linux_->uid_mappings, c->linux_->uid_mappings_len,
                             c->linux_->gid_mappings, c->linux_->gid_mappings_len, err);
  fd = openat (AT_FDCWD, ns->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set (err, errno, "open user namespace `%s`", ns->path);
  return fd;
}

/* The bind options that shape its tree: rbind clones the submounts too, ridmap
 * idmaps them as well. */
static int
tree_options (const struct oci_mount *m, bool *rec, bool *ridmap, struct husk_error **err)
{
  struct husk_mount_opts o = { 0 };

  if (husk_mount_opts_parse (m->options, &o, err) < 0)
    return -1;
  *rec = (o.flags & MS_REC) != 0;
  *ridmap = o.ridmap;
  husk_mount_opts_free (&o);
  if (m->source == NULL)
    return husk_error_set (err, EINVAL, "bind mount `%s` has no source", m->destination);
  return 0;
}

/* Idmap the detached tree (closed on failure): the kernel wants CAP_SYS_ADMIN
 * over the source's filesystem, which we hold here as root on the host. */
static int
idmap_tree (const struct oci_config *c, const struct oci_mount *m, int tree, bool ridmap,
            const char *src, struct husk_error **err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
  cleanup_close int nsfd = mount_userns (c, m, err);

  attr.userns_fd = (uint64_t) nsfd;
  if (nsfd < 0
      || mount_setattr (tree, "", AT_EMPTY_PATH | (ridmap ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    {
      if (nsfd >= 0)
        husk_error_set (err, errno, "mount_setattr idmap `%s`", src);
      close (tree);
      return -1;
    }
  return tree;
}

/* In the parent: a detached copy of the mount's source (open_tree clone: the
 * only kind of mount the kernel lets us idmap, and one move_mount() can attach
 * in another mount namespace), idmapped when the mount asks for it. */
static int
source_tree (const struct oci_config *c, const struct oci_mount *m, const char *bundle,
             bool idmap, struct husk_error **err)
{
  cleanup_free char *src = NULL;
  bool rec, ridmap;
  int tree;

  if (tree_options (m, &rec, &ridmap, err) < 0)
    return -1;
  src = husk_path_at (bundle, m->source);
  tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
  if (tree < 0)
    return husk_error_set (err, errno, "open_tree `%s`", src);
  return idmap ? idmap_tree (c, m, tree, ridmap, src, err) : tree;
}


/* The path below the root, cleaned, when `path` (absolute) names a place inside
 * `root` (absolute, clean); else NULL.  Caller frees. */
static char *
below (const char *path, const char *root)
{
  size_t n = strlen (root);

  while (n > 0 && root[n - 1] == '/')
    n--;
  if (strncmp (path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
    return NULL;
  return xstrdup (path[n] ? path + n : "/");
}

/* When the bind's source lies inside the container's rootfs: its path there
 * ("/mnt/x"), else NULL.  Lexical, on the source as the config writes it, against
 * the rootfs both as the config names it and as realpath() resolved it (runc's
 * tests write "$PWD/rootfs/..."). */
static char *
source_in_rootfs (const struct oci_config *c, const struct oci_mount *m, const char *bundle,
                  const char *rootfs)
{
  cleanup_free char *src = NULL, *root = NULL, *clean = NULL, *clean_root = NULL;
  char *in;

  if (m->source == NULL)
    return NULL;
  src = husk_path_at (bundle, m->source);
  clean = husk_path_clean (src);
  if ((in = below (clean, rootfs)) != NULL || c->root == NULL || c->root->path == NULL)
    return in;
  root = husk_path_at (bundle, c->root->path);
  clean_root = husk_path_clean (root);
  return below (clean, clean_root);
}

int *
husk_idmap_trees_make (const struct oci_config *c, const char *bundle, const char *rootfs,
                       struct husk_error **err)
{
  int *fds = xmalloc ((c->mounts_len + 1) * sizeof (int));
  /* The sources of plain binds too, when the container's root may not reach
   * them (a directory only the host's root may enter): as root on the host we
   * still can.  Not for a rootless caller, who can reach no more than the
   * container can. */
  bool userns = oci_config_namespace (c, OCI_NS_USER) != NULL && geteuid () == 0;

  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      struct husk_error *tmp = NULL;
      bool idmap = husk_mount_is_idmapped (m);

      fds[i] = -1;
      if (!husk_mount_is_bind (m) || !(idmap || userns))
        continue;
      if (idmap)
        {
          /* A source inside the rootfs may be the work of an earlier mount of
           * the container, seen only in its mount namespace: the init asks for
           * it at its turn (husk_idmap_tree_in_container). */
          cleanup_free char *in = source_in_rootfs (c, m, bundle, rootfs);
          if (in)
            continue;
        }
      fds[i] = source_tree (c, m, bundle, idmap, idmap ? err : &tmp);
      /* A plain bind's source may appear only inside the container (an earlier
       * mount): the init then mounts it by its path and reports what fails. */
      husk_error_release (&tmp);
      if (fds[i] < 0 && idmap)
        {
          husk_error_wrap (err, "mounts[%zu]", i);
          husk_idmap_trees_free (fds, i);
          return NULL;
        }
    }
  return fds;
}

/* In a child of ours that joined the init's mount namespace: clone the tree at
 * `in` (a path inside the rootfs), resolved inside the rootfs as the init sees it
 * now (RESOLVE_IN_ROOT: a symlink of the image's cannot lead to the host), and
 * send it over `sock`.  The rootfs is, until pivot_root, bound onto itself at
 * the host's path, with the container's mounts below it. */
static __attribute__ ((noreturn)) void
clone_in_container (int sock, int mntns, const char *rootfs, const char *in, bool rec)
{
  struct husk_error *err = NULL;
  cleanup_close int rootfd = -1, at = -1;
  int tree;

  if (setns (mntns, CLONE_NEWNS) < 0)
    {
      husk_error_set (&err, errno, "join the container's mount namespace");
      husk_sync_fail (sock, err);
    }
  rootfd = openat (AT_FDCWD, rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    {
      husk_error_set (&err, errno, "open the rootfs `%s` in the container's mount namespace",
                      rootfs);
      husk_sync_fail (sock, err);
    }
  at = husk_open_in_root (rootfd, in, O_PATH, 0, &err);
  if (at < 0)
    husk_sync_fail (sock, err);
  tree = open_tree (at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH
                               | (rec ? AT_RECURSIVE : 0));
  if (tree < 0)
    {
      husk_error_set (&err, errno, "open_tree `%s` inside the rootfs", in);
      husk_sync_fail (sock, err);
    }
  if (husk_sync_send_fd (sock, HUSK_SYNC_MOUNT_FD, tree, &err) < 0)
    _exit (1);
  _exit (0);
}

int
husk_idmap_tree_in_container (const struct oci_config *c, const char *bundle,
                              const char *rootfs, pid_t init, int64_t n,
                              struct husk_error **err)
{
  const struct oci_mount *m = n >= 0 && (uint64_t) n < c->mounts_len ? &c->mounts[n] : NULL;
  cleanup_free char *in = m ? source_in_rootfs (c, m, bundle, rootfs) : NULL;
  cleanup_close int mntns = -1;
  struct husk_sync_msg msg;
  bool rec, ridmap;
  char path[64];
  int sv[2], r;
  pid_t pid;

  /* Only what husk_idmap_trees_make() left to the init: it asks for nothing else. */
  if (m == NULL || !husk_mount_is_bind (m) || !husk_mount_is_idmapped (m) || in == NULL)
    return husk_error_set (err, EPROTO, "sync: no idmapped mount to make for mounts[%lld]",
                           (long long) n);
  if (tree_options (m, &rec, &ridmap, err) < 0)
    return husk_error_wrap (err, "mounts[%lld]", (long long) n);
  snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int) init);
  mntns = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (mntns < 0)
    return husk_error_set (err, errno, "open `%s`", path);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error_set (err, errno, "socketpair");
  /* A process of its own, not a thread: setns(CLONE_NEWNS) needs a filesystem
   * context (root, cwd) no other task shares, and a child leaves ours as it was. */
  pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      clone_in_container (sv[1], mntns, rootfs, in, rec);
    }
  close (sv[1]);
  if (pid < 0)
    {
      close (sv[0]);
      return husk_error_set (err, errno, "fork");
    }
  r = husk_sync_expect (sv[0], HUSK_SYNC_MOUNT_FD, &msg, "the idmapped mount's source", err);
  close (sv[0]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return husk_error_wrap (err, "mounts[%lld]: `%s`", (long long) n, m->source);
  free (msg.text);
  r = idmap_tree (c, m, msg.fd, ridmap, m->source, err);
  if (r < 0)
    husk_error_wrap (err, "mounts[%lld]", (long long) n);
  return r;
}

void
husk_idmap_trees_free (int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}

