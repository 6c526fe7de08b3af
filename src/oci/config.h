/* The runtime-spec 1.3 config.json as plain C structs.
 *
 * oci_config_parse() fills these from the document (a tree of oci/jsontree.h), checking every
 * field's JSON type and range and naming the JSON path on error; unknown keys are
 * ignored.  Cross-field rules live in oci_config_validate().  linux/ and cgroup/
 * only read these structs.
 *
 * Conventions: strings are NULL when absent; arrays are NULL-terminated string
 * vectors (char **) or (pointer, count) pairs; an optional number has a has_X flag.
 */
#ifndef HUSK_OCI_CONFIG_H
#define HUSK_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* Where a parsed object was read: the document ("config.json", exec's --process
 * file, create's --config file) and the object's JSON path in it ("process";
 * "" for the document itself).  The parser fills it for the objects whose
 * fields the apply layer reports on; oci_error() formats it. */
struct oci_origin
{
  char *document; /* NULL: "config.json" */
  char *path; /* NULL: "" */
};

struct oci_kv
{
  char *key;
  char *value;
};

struct oci_rlimit
{
  char *type; /* "RLIMIT_NOFILE" */
  int resource; /* resolved RLIMIT_* number */
  uint64_t hard;
  uint64_t soft;
};

struct oci_capabilities
{
  /* NULL-terminated name vectors ("CAP_CHOWN"); a NULL vector means "absent". */
  char **bounding;
  char **effective;
  char **inheritable;
  char **permitted;
  char **ambient;
};

struct oci_user
{
  uid_t uid;
  gid_t gid;
  bool has_umask;
  mode_t umask;
  gid_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* windows only; parsed, ignored */
};

struct oci_console_size
{
  unsigned height;
  unsigned width;
};

struct oci_scheduler
{
  char *policy; /* SCHED_OTHER ... */
  int64_t nice;
  int32_t priority;
  char **flags;
  uint64_t runtime, deadline, period;
  bool has_nice, has_priority, has_runtime, has_deadline, has_period;
};

struct oci_io_priority
{
  char *klass; /* IOPRIO_CLASS_RT|BE|IDLE */
  int priority;
};

struct oci_exec_cpu_affinity
{
  char *initial;
  char *final;
};

struct oci_process
{
  bool terminal;
  bool has_console_size;
  struct oci_console_size console_size;
  struct oci_user user;
  char **args; /* NULL-terminated; required when starting */
  char *command_line; /* windows only */
  char **env;
  char *cwd; /* required, absolute */
  struct oci_capabilities *capabilities; /* NULL when absent */
  struct oci_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  struct oci_scheduler *scheduler;
  struct oci_io_priority *io_priority;
  struct oci_exec_cpu_affinity *exec_cpu_affinity;
  struct oci_origin origin;
};

struct oci_root
{
  char *path; /* required */
  bool readonly;
};

struct oci_mount
{
  char *destination; /* required, absolute (relative accepted with a warning, like runc) */
  char *type;
  char *source;
  char **options;
  /* idmap/ridmap mounts */
  struct oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct oci_hook
{
  char *path; /* required, absolute */
  char **args;
  char **env;
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

struct oci_hooks
{
  struct oci_hook *prestart;
  size_t prestart_len;
  struct oci_hook *create_runtime;
  size_t create_runtime_len;
  struct oci_hook *create_container;
  size_t create_container_len;
  struct oci_hook *start_container;
  size_t start_container_len;
  struct oci_hook *poststart;
  size_t poststart_len;
  struct oci_hook *poststop;
  size_t poststop_len;
};

struct oci_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

enum oci_ns_type
{
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_MOUNT,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT,
};

struct oci_namespace
{
  enum oci_ns_type type;
  char *path; /* NULL: create a new one */
};

struct oci_device
{
  char *type; /* "c", "b", "u", "p" */
  char *path; /* required, absolute */
  int64_t major, minor; /* required for c/b/u */
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid, has_gid;
  uid_t uid;
  gid_t gid;
};

struct oci_device_cgroup
{
  bool allow;
  char *type; /* "a", "c", "b" or NULL (= all) */
  bool has_major, has_minor;
  int64_t major, minor;
  char *access; /* "rwm" */
};

struct oci_weight_device
{
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
};

struct oci_throttle_device
{
  int64_t major, minor;
  uint64_t rate;
};

struct oci_hugepage_limit
{
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct oci_net_priority
{
  char *name;
  uint32_t priority;
};

struct oci_rdma_limit
{
  char *device;
  bool has_hca_handles, has_hca_objects;
  uint32_t hca_handles, hca_objects;
};

struct oci_memory
{
  bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp,
      has_swappiness, has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
  int64_t limit, reservation, swap, kernel, kernel_tcp;
  uint64_t swappiness;
  bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct oci_cpu
{
  bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime,
      has_realtime_period, has_idle;
  uint64_t shares;
  int64_t quota;
  uint64_t burst;
  uint64_t period;
  int64_t realtime_runtime;
  uint64_t realtime_period;
  int64_t idle;
  char *cpus;
  char *mems;
};

struct oci_blkio
{
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
  struct oci_weight_device *weight_device;
  size_t weight_device_len;
  struct oci_throttle_device *throttle_read_bps, *throttle_write_bps,
      *throttle_read_iops, *throttle_write_iops;
  size_t throttle_read_bps_len, throttle_write_bps_len, throttle_read_iops_len,
      throttle_write_iops_len;
};

struct oci_resources
{
  struct oci_device_cgroup *devices;
  size_t devices_len;
  struct oci_memory *memory;
  struct oci_cpu *cpu;
  bool has_pids_limit;
  int64_t pids_limit;
  struct oci_blkio *block_io;
  struct oci_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  bool has_net_class_id;
  uint32_t net_class_id;
  struct oci_net_priority *net_priorities;
  size_t net_priorities_len;
  struct oci_rdma_limit *rdma;
  size_t rdma_len;
  struct oci_kv *unified;
  size_t unified_len;
};

struct oci_seccomp_arg
{
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* SCMP_CMP_NE ... */
};

struct oci_seccomp_syscall
{
  char **names;
  char *action;
  bool has_errno_ret;
  unsigned errno_ret;
  struct oci_seccomp_arg *args;
  size_t args_len;
};

struct oci_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  unsigned default_errno_ret;
  char **architectures;
  char **flags;
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls;
  size_t syscalls_len;
  struct oci_origin origin;
};

struct oci_time_offset
{
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  char **schemata;
  bool enable_cmt, enable_mbm; /* runtime-spec 1.1/1.2 names */
  bool enable_monitoring; /* runtime-spec 1.3 */
};

struct oci_personality
{
  char *domain; /* LINUX, LINUX32 */
  char **flags;
};

struct oci_net_device
{
  char *host_name; /* the key of linux.netDevices */
  char *name; /* the name inside, or NULL to keep */
};

struct oci_memory_policy
{
  char *mode; /* MPOL_* */
  char *nodes;
  char **flags;
};

struct oci_linux
{
  struct oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct oci_kv *sysctl;
  size_t sysctl_len;
  struct oci_resources *resources;
  char *cgroups_path;
  struct oci_namespace *namespaces;
  size_t namespaces_len;
  struct oci_device *devices;
  size_t devices_len;
  struct oci_seccomp *seccomp;
  char *rootfs_propagation;
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  struct oci_intel_rdt *intel_rdt;
  struct oci_personality *personality;
  bool has_time_offsets_monotonic, has_time_offsets_boottime;
  struct oci_time_offset time_offset_monotonic, time_offset_boottime;
  struct oci_net_device *net_devices;
  size_t net_devices_len;
  struct oci_memory_policy *memory_policy;
  struct oci_origin origin;
};

struct oci_config
{
  char *oci_version; /* required */
  struct oci_root *root;
  struct oci_mount *mounts;
  size_t mounts_len;
  struct oci_process *process;
  char *hostname;
  char *domainname;
  struct oci_hooks *hooks;
  struct oci_kv *annotations;
  size_t annotations_len;
  struct oci_linux *linux_;
  struct oci_origin origin;
};

/* Parse a config document held in memory.  On error, the message has the form
 * "config.json: <json path>: <what was expected>" (or "config.json: parse error: <what> at line L, column C"). */
struct oci_config *oci_config_parse (const char *data, size_t len, struct husk_error **err);
/* The same for a document of another name (create --config FILE): FILE in
 * place of config.json, in the parser's messages and in every origin. */
struct oci_config *oci_config_parse_named (const char *document, const char *data, size_t len,
                                           struct husk_error **err);
/* Read and parse <bundle>/config.json. */
struct oci_config *oci_config_load (const char *path, struct husk_error **err);
/* Cross-field rules (e.g. sysctl net.* needs a new network ns; duplicated
 * namespaces; user mappings without a user ns).  Messages as above. */
int oci_config_validate (const struct oci_config *c, struct husk_error **err);
void oci_config_free (struct oci_config *c);

/* The one way to name a field in a message: "<document>: <path>.<fmt...>",
 * where fmt starts with the field's JSON path below o ("scheduler.policy: unknown
 * \"%s\"" under a process read from config.json gives "config.json:
 * process.scheduler.policy: unknown ...", from exec's --process F gives "F:
 * scheduler.policy: ...").  Both return -1. */
int oci_error (struct husk_error **err, int errnum, const struct oci_origin *o, const char *fmt,
               ...) __attribute__ ((format (printf, 4, 5)));
/* The same as context for the error already in *err (husk_error_wrap). */
int oci_error_wrap (struct husk_error **err, const struct oci_origin *o, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Helpers shared by linux/ and cmd/. */
const char *oci_ns_type_name (enum oci_ns_type t); /* "pid", "network", ... */
int oci_ns_type_from_name (const char *name); /* -1 when unknown */
/* The namespace entry of the given type, or NULL when the config has none. */
const struct oci_namespace *oci_config_namespace (const struct oci_config *c, enum oci_ns_type t);

#endif
