/* husk checkpoint and husk restore: a container's processes saved to images by
 * CRIU and brought back, as runc does it (linux/criu.h drives CRIU). */
#ifndef HUSK_CONTAINER_CHECKPOINT_H
#define HUSK_CONTAINER_CHECKPOINT_H

#include <stdbool.h>

#include "util/error.h"

/* What checkpoint and restore share (runc's option names). */
struct husk_criu_common
{
  const char *criu; /* the global --criu, or NULL */
  const char *image_path; /* NULL: ./checkpoint */
  const char *work_path; /* NULL: the image directory */
  bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup, lazy_pages;
  int manage_cgroups_mode; /* enum husk_criu_cg_mode, -1: CRIU's default */
  unsigned empty_ns; /* CLONE_NEW* (network only); CLONE_NEWNET is always added */
};

struct husk_checkpoint_opts
{
  const char *root, *id;
  struct husk_criu_common c;
  const char *parent_path; /* relative to image_path */
  const char *page_server; /* ADDRESS:PORT */
  int status_fd; /* -1: none */
  bool leave_running, tcp_skip_in_flight, link_remap, pre_dump;
};

struct husk_restore_opts
{
  const char *root, *id;
  struct husk_criu_common c;
  const char *bundle, *pid_file, *console_socket, *lsm_profile, *lsm_mount_context;
  bool detach, no_subreaper, systemd_cgroup;
};

/* Dump the container's processes into the image directory; unless
 * leave_running or pre_dump, the container is then deleted (as runc does). */
int husk_container_checkpoint (const struct husk_checkpoint_opts *o, struct husk_error **err);
/* A new container `id` from the bundle and the images: running, with state
 * like any other.  Unless detached, wait for it, forward signals, delete it
 * afterwards and put its exit status in *status. */
int husk_container_restore (const struct husk_restore_opts *o, int *status,
                            struct husk_error **err);

/* Shared by both (container/checkpoint.c). */
struct husk_criu_opts;
int husk_criu_common_opts (const struct husk_criu_common *c, bool restore,
                           struct husk_criu_opts *opts, int *images_fd, int *work_fd,
                           char **log_path, struct husk_error **err);

#endif
