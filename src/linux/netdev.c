/* linux.netDevices over rtnetlink (no `ip`): see netdev.h. */
#define _GNU_SOURCE
#include "linux/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_ADDRS 64

struct nl_msg
{
  union
  {
    struct nlmsghdr h;
    char buf[1024];
  };
};

struct addr
{
  unsigned char family, prefixlen;
  unsigned char bytes[16];
};

struct dev_addrs
{
  int index; /* the link whose addresses are collected */
  struct addr a[MAX_ADDRS];
  size_t n;
  bool truncated;
};

/* A reply handler: called for every message that is not the final ack/done. */
typedef void (*nl_cb) (const struct nlmsghdr *h, void *data);

static void *
nl_put (struct nl_msg *m, size_t len)
{
  void *p = m->buf + NLMSG_ALIGN (m->h.nlmsg_len);

  if (NLMSG_ALIGN (m->h.nlmsg_len) + NLMSG_ALIGN (len) > sizeof m->buf)
    abort (); /* our own requests are small and fixed */
  memset (p, 0, NLMSG_ALIGN (len));
  m->h.nlmsg_len = NLMSG_ALIGN (m->h.nlmsg_len) + (uint32_t) len;
  return p;
}

static void
nl_attr (struct nl_msg *m, unsigned short type, const void *data, size_t len)
{
  struct rtattr *rta = nl_put (m, RTA_LENGTH (len));

  rta->rta_type = type;
  rta->rta_len = (unsigned short) RTA_LENGTH (len);
  memcpy (RTA_DATA (rta), data, len);
}

static void
nl_init (struct nl_msg *m, unsigned short type, unsigned short flags)
{
  memset (&m->h, 0, sizeof m->h);
  m->h.nlmsg_len = NLMSG_HDRLEN;
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = NLM_F_REQUEST | flags;
}

/* Send m and read replies until its ack (or, for a dump, NLMSG_DONE).  A
 * negative ack becomes errno. */
static int
nl_talk (int fd, struct nl_msg *m, nl_cb cb, void *data)
{
  static uint32_t seq;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  char buf[32768];

  m->h.nlmsg_seq = ++seq;
  if (sendto (fd, m->buf, m->h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -1;
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK (h, (size_t) n);
           h = NLMSG_NEXT (h, n))
        {
          if (h->nlmsg_seq != m->h.nlmsg_seq)
            continue;
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              const struct nlmsgerr *e = NLMSG_DATA (h);
              errno = -e->error;
              return e->error ? -1 : 0;
            }
          if (cb)
            cb (h, data);
        }
    }
}

/* A NETLINK_ROUTE socket in the network namespace nsfd (-1: ours).  A socket
 * keeps the namespace it was created in, so we enter the namespace only for the
 * socket() call. */
static int
nl_open (int nsfd, struct husk_error **err)
{
  cleanup_close int self = -1;
  int fd, e;

  if (nsfd >= 0)
    {
      self = openat (AT_FDCWD, "/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      if (self < 0)
        return husk_error_set (err, errno, "open /proc/thread-self/ns/net");
      if (setns (nsfd, CLONE_NEWNET) < 0)
        return husk_error_set (err, errno, "enter the container's network namespace");
    }
  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  e = errno;
  /* Carrying on in the container's namespace would put every later host
   * operation of this process in it: there is no recovering from that. */
  if (nsfd >= 0 && setns (self, CLONE_NEWNET) < 0)
    abort ();
  if (fd < 0)
    return husk_error_set (err, e, "netlink socket");
  return fd;
}

static void
link_index_cb (const struct nlmsghdr *h, void *data)
{
  if (h->nlmsg_type == RTM_NEWLINK)
    *(int *) data = ((const struct ifinfomsg *) NLMSG_DATA (h))->ifi_index;
}

static int
link_index (int nl, const char *name)
{
  struct nl_msg m;
  int index = 0;

  nl_init (&m, RTM_GETLINK, NLM_F_ACK);
  nl_put (&m, sizeof (struct ifinfomsg));
  nl_attr (&m, IFLA_IFNAME, name, strlen (name) + 1);
  if (nl_talk (nl, &m, link_index_cb, &index) < 0)
    return -1;
  if (index <= 0)
    {
      errno = ENODEV;
      return -1;
    }
  return index;
}

static int
link_set_up (int nl, int index, bool up)
{
  struct nl_msg m;
  struct ifinfomsg *ifi;

  nl_init (&m, RTM_NEWLINK, NLM_F_ACK);
  ifi = nl_put (&m, sizeof *ifi);
  ifi->ifi_index = index;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  return nl_talk (nl, &m, NULL, NULL);
}

int
husk_netdev_loopback_up (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_namespace *ns = oci_config_namespace (c, OCI_NS_NETWORK);
  cleanup_close int nl = -1;
  int index;

  if (ns == NULL || ns->path)
    return 0;
  nl = nl_open (-1, err);
  if (nl < 0)
    return -1;
  /* A new network namespace's loopback is always interface 1 (the kernel's
   * LOOPBACK_IFINDEX): no lookup round trip, unless that fails. */
  if (link_set_up (nl, 1, true) == 0)
    return 0;
  index = link_index (nl, "lo");
  if (index < 0 || link_set_up (nl, index, true) < 0)
    return husk_error_set (err, errno, "bring up the loopback interface `lo`");
  return 0;
}

/* The addresses worth carrying over, as runc chooses them: permanent (configured,
 * not autoconfigured or temporary) and of global scope. */
static void
addr_cb (const struct nlmsghdr *h, void *data)
{
  struct dev_addrs *d = data;
  const struct ifaddrmsg *ifa = NLMSG_DATA (h);
  const void *local = NULL, *address = NULL;
  uint32_t flags = ifa->ifa_flags;
  int len = (int) IFA_PAYLOAD (h);

  if (h->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != d->index)
    return;
  for (const struct rtattr *rta = IFA_RTA (ifa); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    if (rta->rta_type == IFA_LOCAL)
      local = RTA_DATA (rta);
    else if (rta->rta_type == IFA_ADDRESS)
      address = RTA_DATA (rta);
    else if (rta->rta_type == IFA_FLAGS)
      flags = *(const uint32_t *) RTA_DATA (rta);
  if (!(flags & IFA_F_PERMANENT) || ifa->ifa_scope != RT_SCOPE_UNIVERSE
      || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
    return;
  if (d->n == MAX_ADDRS)
    {
      d->truncated = true;
      return;
    }
  if (local == NULL)
    local = address;
  if (local == NULL)
    return;
  d->a[d->n].family = ifa->ifa_family;
  d->a[d->n].prefixlen = ifa->ifa_prefixlen;
  memcpy (d->a[d->n].bytes, local, ifa->ifa_family == AF_INET ? 4 : 16);
  d->n++;
}

static int
addr_list (int nl, int index, struct dev_addrs *d)
{
  struct nl_msg m;
  struct ifaddrmsg *ifa;

  d->n = 0;
  d->truncated = false;
  d->index = index;
  nl_init (&m, RTM_GETADDR, NLM_F_DUMP);
  ifa = nl_put (&m, sizeof *ifa);
  ifa->ifa_family = AF_UNSPEC;
  return nl_talk (nl, &m, addr_cb, d);
}

static int
addr_add (int nl, int index, const struct addr *a)
{
  struct nl_msg m;
  struct ifaddrmsg *ifa;
  size_t len = a->family == AF_INET ? 4 : 16;

  nl_init (&m, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifa = nl_put (&m, sizeof *ifa);
  ifa->ifa_family = a->family;
  ifa->ifa_prefixlen = a->prefixlen;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned) index;
  nl_attr (&m, IFA_LOCAL, a->bytes, len);
  nl_attr (&m, IFA_ADDRESS, a->bytes, len);
  if (a->family == AF_INET && a->prefixlen < 31)
    {
      uint32_t ip, mask = a->prefixlen ? htonl (~0U << (32 - a->prefixlen)) : 0;
      memcpy (&ip, a->bytes, 4);
      ip |= ~mask;
      nl_attr (&m, IFA_BROADCAST, &ip, 4);
    }
  return nl_talk (nl, &m, NULL, NULL);
}

/* Move the link `name` from the namespace of `from` into the namespace `to_ns`
 * (whose socket is `to`), named `new_name` there. */
static int
move_link (int from, int to, int to_ns, const char *name, const char *new_name,
           struct husk_error **err)
{
  struct dev_addrs *addrs = xcalloc (1, sizeof *addrs);
  struct nl_msg m;
  struct ifinfomsg *ifi;
  uint32_t nsfd = (uint32_t) to_ns;
  int index, r = -1;

  if (addrs == NULL)
    abort ();
  index = link_index (from, name);
  if (index < 0)
    {
      husk_error_set (err, errno, "network device `%s` not found", name);
      goto out;
    }
  /* Down first: nothing on the old side keeps using it while it changes. */
  if (link_set_up (from, index, false) < 0)
    {
      husk_error_set (err, errno, "set `%s` down", name);
      goto out;
    }
  if (addr_list (from, index, addrs) < 0)
    {
      husk_error_set (err, errno, "list the addresses of `%s`", name);
      goto out;
    }
  if (addrs->truncated)
    husk_warn ("network device `%s`: only its first %d addresses are carried over", name, MAX_ADDRS);
  nl_init (&m, RTM_NEWLINK, NLM_F_ACK);
  ifi = nl_put (&m, sizeof *ifi);
  ifi->ifi_index = index;
  nl_attr (&m, IFLA_IFNAME, new_name, strlen (new_name) + 1);
  nl_attr (&m, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  if (nl_talk (from, &m, NULL, NULL) < 0)
    {
      husk_error_set (err, errno, "move `%s` to another network namespace as `%s`", name, new_name);
      goto out;
    }
  index = link_index (to, new_name);
  if (index < 0)
    {
      husk_error_set (err, errno, "network device `%s` not found after the move", new_name);
      goto out;
    }
  for (size_t i = 0; i < addrs->n; i++)
    if (addr_add (to, index, &addrs->a[i]) < 0 && errno != EEXIST)
      {
        char text[INET6_ADDRSTRLEN] = "?";
        inet_ntop (addrs->a[i].family, addrs->a[i].bytes, text, sizeof text);
        husk_error_set (err, errno, "add address %s/%u to `%s`", text, addrs->a[i].prefixlen, new_name);
        goto out;
      }
  if (link_set_up (to, index, true) < 0)
    {
      husk_error_set (err, errno, "set `%s` up", new_name);
      goto out;
    }
  r = 0;
out:
  free (addrs);
  return r;
}

static const char *
inside_name (const struct oci_net_device *d)
{
  return d->name && d->name[0] ? d->name : d->host_name;
}

int
husk_netdev_move_in (const struct oci_config *c, pid_t pid, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;
  cleanup_close int ns = -1, host = -1, ctr = -1;
  char path[64];

  if (l == NULL || l->net_devices_len == 0)
    return 0;
  /* The init has joined or created its network namespace by now. */
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  ns = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return husk_error_set (err, errno, "open `%s`", path);
  host = nl_open (-1, err);
  if (host < 0)
    return -1;
  ctr = nl_open (ns, err);
  if (ctr < 0)
    return -1;
  for (size_t i = 0; i < l->net_devices_len; i++)
    {
      const struct oci_net_device *d = &l->net_devices[i];
      husk_debug ("move network device `%s` into the container as `%s`", d->host_name, inside_name (d));
      /* Devices moved before a failure come back through husk_netdev_move_out()
       * in the caller's cleanup. */
      if (move_link (host, ctr, ns, d->host_name, inside_name (d), err) < 0)
        return husk_error_wrap (err, "linux.netDevices `%s`", d->host_name);
    }
  return 0;
}

static int
open_container_netns (const struct oci_config *c, pid_t pid)
{
  const struct oci_namespace *n = oci_config_namespace (c, OCI_NS_NETWORK);
  char path[64];

  if (pid > 0)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
      int fd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        return fd;
    }
  /* A joined namespace outlives the container. */
  if (n && n->path)
    return openat (AT_FDCWD, n->path, O_RDONLY | O_CLOEXEC);
  errno = ESRCH;
  return -1;
}

void
husk_netdev_move_out (const struct oci_config *c, pid_t pid)
{
  const struct oci_linux *l = c ? c->linux_ : NULL;
  cleanup_close int ns = -1, host_ns = -1, host = -1, ctr = -1;
  struct husk_error *err = NULL;

  if (l == NULL || l->net_devices_len == 0)
    return;
  ns = open_container_netns (c, pid);
  if (ns < 0)
    {
      husk_debug ("netDevices: the container's network namespace is gone (%s); the kernel "
                  "returned physical devices to the initial namespace", strerror (errno));
      return;
    }
  host_ns = openat (AT_FDCWD, "/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_ns < 0 || (host = nl_open (-1, &err)) < 0 || (ctr = nl_open (ns, &err)) < 0)
    goto fail;
  for (size_t i = l->net_devices_len; i-- > 0;)
    {
      const struct oci_net_device *d = &l->net_devices[i];
      if (link_index (ctr, inside_name (d)) < 0)
        {
          husk_debug ("netDevices: `%s` is not in the container", inside_name (d));
          continue;
        }
      husk_debug ("move network device `%s` back to the host as `%s`", inside_name (d), d->host_name);
      if (move_link (ctr, host, host_ns, inside_name (d), d->host_name, &err) < 0)
        {
          cleanup_free char *t = husk_error_text (err);
          husk_warn ("linux.netDevices `%s`: %s", d->host_name, t);
          husk_error_release (&err);
        }
    }
  return;
fail:
  if (err == NULL)
    husk_error_set (&err, errno, "open /proc/thread-self/ns/net");
  {
    cleanup_free char *t = husk_error_text (err);
    husk_warn ("linux.netDevices: cannot move the devices back: %s", t);
  }
  husk_error_free (err);
}
