/* Idmapped mounts: the user namespace that carries a mount's mappings, and the
 * idmapped trees the parent makes for the init (see rootfs.h). */
#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/rootfs-internal.h"
#include "util/cleanup.h"

static int
write_map (const char *procdir, const char *file, const struct oci_id_mapping *maps,
           size_t n, struct husk_error **err)
{
  cleanup_free char *path = NULL, *buf = NULL;
  size_t len = 0;
  cleanup_close int fd = -1;

  if (asprintf (&path, "/proc/%s/%s", procdir, file) < 0)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      char line[64];
      int l = snprintf (line, sizeof line, "%u %u %u\n", maps[i].container_id,
                        maps[i].host_id, maps[i].size);
      char *b = realloc (buf, len + (size_t) l + 1);
      if (b == NULL)
        abort ();
      buf = b;
      memcpy (buf + len, line, (size_t) l + 1);
      len += (size_t) l;
    }
  if (len == 0)
    return 0;
  fd = open (path, O_WRONLY | O_CLOEXEC);
  /* One write: the kernel takes the whole map at once or not at all. */
  if (fd < 0 || write (fd, buf, len) != (ssize_t) len)
    return husk_error_set (err, errno, "write `%s`", path);
  return 0;
}

/* A user namespace carrying the mount's mappings.  A child creates it and waits;
 * we (still privileged in the parent namespace) write its maps, keep a handle of
 * the namespace and let the child go.  The child names itself by its pid as the
 * mounted /proc sees it, which is not getpid() once we are in a new pid ns. */
int
husk_userns_with_maps (const struct oci_mount *m, struct husk_error **err)
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
      if (write_map (name, "uid_map", m->uid_mappings, m->uid_mappings_len, err) == 0
          && write_map (name, "gid_map", m->gid_mappings, m->gid_mappings_len, err) == 0)
        {
          char path[64];
          snprintf (path, sizeof path, "/proc/%s/ns/user", name);
          nsfd = open (path, O_RDONLY | O_CLOEXEC);
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

/* In the parent: one idmapped detached tree. */
static int
idmap_tree (const struct oci_mount *m, const char *bundle, struct husk_error **err)
{
  struct husk_mount_opts o = { 0 };
  cleanup_free char *src = NULL;
  cleanup_close int nsfd = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
  int tree;

  if (husk_mount_opts_parse (m->options, &o, err) < 0)
    return -1;
  bool rec = (o.flags & MS_REC) != 0, ridmap = o.ridmap;
  husk_mount_opts_free (&o);
  if (m->source == NULL)
    return husk_error_set (err, EINVAL, "idmap mount `%s` has no source", m->destination);
  if (m->source[0] == '/')
    src = strdup (m->source);
  else if (asprintf (&src, "%s/%s", bundle, m->source) < 0)
    abort ();
  tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
  if (tree < 0)
    return husk_error_set (err, errno, "open_tree `%s`", src);
  nsfd = husk_userns_with_maps (m, err);
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

int *
husk_idmap_trees_make (const struct oci_config *c, const char *bundle, struct husk_error **err)
{
  int *fds = malloc ((c->mounts_len + 1) * sizeof (int));

  if (fds == NULL)
    abort ();
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      bool idmap = false;
      fds[i] = -1;
      for (size_t k = 0; m->options && m->options[k]; k++)
        if (strcmp (m->options[k], "idmap") == 0 || strcmp (m->options[k], "ridmap") == 0)
          idmap = true;
      if (!idmap || !husk_mount_is_bind (m) || (!m->uid_mappings_len && !m->gid_mappings_len))
        continue;
      fds[i] = idmap_tree (m, bundle, err);
      if (fds[i] < 0)
        {
          husk_error_wrap (err, "mounts[%zu]", i);
          husk_idmap_trees_free (fds, i);
          return NULL;
        }
    }
  return fds;
}

void
husk_idmap_trees_free (int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}

