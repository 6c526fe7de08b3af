/* config.json (runtime-spec 1.3, Linux) -> struct oci_config.
 *
 * The document is described by the tables below, one per JSON object; json.c
 * walks them.  Per-object checks that need only the object itself (an absolute
 * path, a known name, major/minor for a character device) run here as `check`
 * callbacks; rules that relate fields of different objects are in validate.c.
 */
#define _GNU_SOURCE
#include "oci/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/json.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

_Static_assert (sizeof (uid_t) == 4 && sizeof (gid_t) == 4 && sizeof (mode_t) == 4,
                "ids and modes are read as uint32");
_Static_assert (sizeof (unsigned) == 4, "unsigned is read as uint32");
_Static_assert (sizeof (enum oci_ns_type) == sizeof (int), "namespace type is an int");

/* --- names ---------------------------------------------------------------- */

static const char *const ns_names[OCI_NS_COUNT] = {
  [OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
  [OCI_NS_IPC] = "ipc",   [OCI_NS_UTS] = "uts",         [OCI_NS_USER] = "user",
  [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

const char *
oci_ns_type_name (enum oci_ns_type t)
{
  if ((unsigned) t >= OCI_NS_COUNT)
    return NULL;
  return ns_names[t];
}

int
oci_ns_type_from_name (const char *name)
{
  for (int i = 0; i < OCI_NS_COUNT; i++)
    if (strcmp (ns_names[i], name) == 0)
      return i;
  return -1;
}

const struct oci_namespace *
oci_config_namespace (const struct oci_config *c, enum oci_ns_type t)
{
  if (c == NULL || c->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < c->linux_->namespaces_len; i++)
    if (c->linux_->namespaces[i].type == t)
      return &c->linux_->namespaces[i];
  return NULL;
}

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static const char *const device_types[] = { "c", "b", "u", "p", NULL };
static const char *const device_cgroup_types[] = { "a", "c", "b", NULL };

/* --- string checks -------------------------------------------------------- */

/* Any name is taken: runc ignores the ones it does not know (with a warning,
 * linux/process.c), which lets one config name caps only newer kernels have.
 * Only a control character, which would forge lines in that warning, is
 * refused. */
static int
check_capability (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  for (const char *p = s; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      return json_error (ctx, "capability \"%s\" contains the control character 0x%02x", s,
                         (unsigned char) *p);
  return 0;
}

static int
check_cpu_list (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (strspn (s, "0123456789, -") != strlen (s))
    return json_error (ctx, "invalid cpu list \"%s\"", s);
  return 0;
}

static int
check_no_newline (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (strchr (s, '\n'))
    return json_error (ctx, "must not contain a newline");
  return 0;
}

/* hostname and domainname: at most the kernel's 64 bytes (sethostname() says
 * EINVAL past that), and no control character.  The kernel takes any byte, but
 * a newline in a hostname forges lines wherever it is printed or written
 * (/etc/hosts, logs, shell prompts); RFC 1123 names have none. */
static int
check_uts_name (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (strlen (s) > 64)
    return json_error (ctx, "longer than the 64 bytes the kernel takes: \"%s\"", s);
  for (const char *p = s; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      return json_error (ctx, "contains the control character 0x%02x", (unsigned char) *p);
  return 0;
}

static int
check_mem_bw_schema (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (strncmp (s, "MB:", 3) != 0)
    return json_error (ctx, "must start with \"MB:\", got \"%s\"", s);
  return check_no_newline (ctx, s, t);
}

static int
check_page_size (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  size_t digits = strspn (s, "0123456789");

  /* ^[1-9][0-9]*[KMG]B$ */
  if (digits == 0 || s[0] == '0' || strchr ("KMG", s[digits]) == NULL || s[digits] == '\0'
      || strcmp (s + digits + 1, "B") != 0)
    return json_error (ctx, "invalid page size \"%s\"", s);
  return 0;
}

static int
check_access (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  /* runc ignores letters other than r, w, m ("rwa" means "rw"); an access
   * naming none of them would read as "all" on v1 and v2, so it is refused. */
  if (*s && strpbrk (s, "rwm") == NULL)
    return json_error (ctx, "invalid access \"%s\" (expected a combination of r, w, m)", s);
  return 0;
}

/* An interface name the kernel accepts (dev_valid_name()), or a "%d" template. */
static bool
valid_ifname (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || n > 15 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return false;
  for (const char *p = s; *p; p++)
    if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n')
      return false;
  return true;
}

static int
check_ifname (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (!valid_ifname (s))
    return json_error (ctx, "invalid network interface name \"%s\"", s);
  return 0;
}

#define ENUM_TYPE(var, tbl, name)                                                         \
  static const struct json_type var = { .size = sizeof (char *), .parse = json_parse_string, \
                                        .free = json_free_string, .values = tbl, .what = name }
#define NAME_TYPE(var, tbl, name)                                                         \
  static const struct json_type var = { .size = sizeof (char *), .parse = json_parse_string, \
                                        .free = json_free_string, .names = tbl, .what = name }
#define NAMEV_TYPE(var, tbl, name)                                                        \
  static const struct json_type var = { .size = sizeof (char **), .parse = json_parse_strv, \
                                        .free = json_free_strv, .names = tbl, .what = name }
#define STR_TYPE(var, fn)                                                                 \
  static const struct json_type var = { .size = sizeof (char *), .parse = json_parse_string, \
                                        .free = json_free_string, .str_check = fn }
#define STRV_TYPE(var, fn)                                                                \
  static const struct json_type var = { .size = sizeof (char **), .parse = json_parse_strv, \
                                        .free = json_free_strv, .str_check = fn }

NAME_TYPE (t_sched_policy, oci_sched_policies, "scheduler policy");
NAMEV_TYPE (t_sched_flags, oci_sched_flags, "scheduler flag");
NAME_TYPE (t_ioprio_class, oci_ioprio_classes, "io priority class");
NAME_TYPE (t_personality_domain, oci_personality_domains, "personality domain");

/* memoryPolicy's words are runc's ("invalid memory policy mode"), which its
 * callers and tests look for. */
static int
check_in_table (struct json_ctx *ctx, const char *s, const struct oci_name *tbl, const char *what)
{
  if (oci_name_find (tbl, s))
    return 0;
  return json_error (ctx, "invalid memory policy %s \"%s\"", what, s);
}

static int
check_mpol_mode (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  return check_in_table (ctx, s, oci_mpol_modes, "mode");
}

static int
check_mpol_flag (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  return check_in_table (ctx, s, oci_mpol_flags, "flag");
}

STR_TYPE (t_mpol_mode, check_mpol_mode);
STRV_TYPE (t_mpol_flags, check_mpol_flag);
NAME_TYPE (t_seccomp_action, oci_seccomp_actions, "seccomp action");
NAMEV_TYPE (t_seccomp_archs, oci_seccomp_archs, "seccomp architecture");
NAMEV_TYPE (t_seccomp_flags, oci_seccomp_flags, "seccomp flag");
NAME_TYPE (t_seccomp_op, oci_seccomp_operators, "seccomp operator");
ENUM_TYPE (t_device_type, device_types, "device type");
ENUM_TYPE (t_device_cgroup_type, device_cgroup_types, "device type");
STRV_TYPE (t_caps, check_capability);
STR_TYPE (t_cpu_list, check_cpu_list);
STR_TYPE (t_no_newline, check_no_newline);
STRV_TYPE (t_no_newline_v, check_no_newline);
STR_TYPE (t_mem_bw_schema, check_mem_bw_schema);
STR_TYPE (t_uts_name, check_uts_name);
STR_TYPE (t_page_size, check_page_size);
STR_TYPE (t_access, check_access);
STR_TYPE (t_ifname, check_ifname);

/* Numbers with the width of the C field but the spec's range. */
static const struct json_type t_nice = { .size = 8, .parse = json_parse_int, .min = INT32_MIN,
                                         .max = INT32_MAX };
static const struct json_type t_oom_score_adj
    = { .size = sizeof (int), .parse = json_parse_int, .min = -1000, .max = 1000 };

/* --- leaves specific to config.json -------------------------------------- */

static int
parse_ns_type (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  int type;

  if (!json_is_string (v))
    return json_error (ctx, "expected a string, got %s", json_type_name (v));
  type = oci_ns_type_from_name (v->u.string);
  if (type < 0)
    return json_error (ctx, "unknown namespace \"%s\"", v->u.string);
  *(enum oci_ns_type *) dest = (enum oci_ns_type) type;
  return 0;
}

static const struct json_type t_ns_type = { .size = sizeof (enum oci_ns_type),
                                            .parse = parse_ns_type };

/* A string map entry: {"key": "value"} into struct oci_kv. */
static int
parse_kv (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  struct oci_kv *kv = dest;
  return json_parse_string (ctx, v, &kv->value, &json_string);
}

static void
free_kv (void *dest)
{
  struct oci_kv *kv = dest;
  free (kv->value);
  kv->value = NULL;
}

static const struct json_type t_kv = { .size = sizeof (struct oci_kv), .parse = parse_kv,
                                       .free = free_kv,
                                       .key_offset = offsetof (struct oci_kv, key) };

/* --- process ------------------------------------------------------------- */

#define OBJECT_TYPE(var, st, tbl, chk)                                                    \
  static const struct json_type var = { .size = sizeof (st), .fields = tbl, .check = chk }
/* The same for a struct with a `struct oci_origin origin` the parser fills. */
#define ORIGIN_TYPE(var, st, tbl, chk)                                                    \
  static const struct json_type var = { .size = sizeof (st), .fields = tbl, .check = chk, \
                                        .has_origin = true,                              \
                                        .origin_offset = offsetof (st, origin) }

/* A uid or gid: 4294967295 is (uid_t) -1, which setresuid() and setgroups()
 * read as "leave unchanged" or refuse: a process meant to run as nobody in
 * particular would keep running as root. */
static int
parse_id (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  if (json_parse_uint (ctx, v, dest, t) < 0)
    return -1;
  if (*(uint32_t *) dest == UINT32_MAX)
    return json_error (ctx, "4294967295 is not a valid %s ((%s_t) -1 means \"unchanged\" to the kernel)",
                       t->what, t->what);
  return 0;
}

static const struct json_type t_uid = { .size = 4, .parse = parse_id, .max = UINT32_MAX,
                                        .what = "uid" };
static const struct json_type t_gid = { .size = 4, .parse = parse_id, .max = UINT32_MAX,
                                        .what = "gid" };

static const struct json_field user_fields[] = {
  JSON_FIELD ("uid", t_uid, struct oci_user, uid),
  JSON_FIELD ("gid", t_gid, struct oci_user, gid),
  JSON_OPTIONAL ("umask", json_u32, struct oci_user, umask, has_umask),
  JSON_ARRAY_OF ("additionalGids", t_gid, struct oci_user, additional_gids,
                 additional_gids_len, false),
  JSON_FIELD ("username", json_string, struct oci_user, username),
  JSON_END,
};
OBJECT_TYPE (t_user, struct oci_user, user_fields, NULL);

static const struct json_field console_size_fields[] = {
  JSON_REQUIRED ("height", json_u32, struct oci_console_size, height),
  JSON_REQUIRED ("width", json_u32, struct oci_console_size, width),
  JSON_END,
};
OBJECT_TYPE (t_console_size, struct oci_console_size, console_size_fields, NULL);

static const struct json_field capabilities_fields[] = {
  JSON_FIELD ("bounding", t_caps, struct oci_capabilities, bounding),
  JSON_FIELD ("effective", t_caps, struct oci_capabilities, effective),
  JSON_FIELD ("inheritable", t_caps, struct oci_capabilities, inheritable),
  JSON_FIELD ("permitted", t_caps, struct oci_capabilities, permitted),
  JSON_FIELD ("ambient", t_caps, struct oci_capabilities, ambient),
  JSON_END,
};
OBJECT_TYPE (t_capabilities, struct oci_capabilities, capabilities_fields, NULL);

static int
check_rlimit (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_rlimit *r = dest;

  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (strcmp (rlimits[i].name, r->type) == 0)
      {
        r->resource = rlimits[i].resource;
        return 0;
      }
  return json_error_at (ctx, "type", "unknown rlimit \"%s\"", r->type);
}

static const struct json_field rlimit_fields[] = {
  JSON_REQUIRED ("type", json_string, struct oci_rlimit, type),
  JSON_REQUIRED ("hard", json_u64, struct oci_rlimit, hard),
  JSON_REQUIRED ("soft", json_u64, struct oci_rlimit, soft),
  JSON_END,
};
OBJECT_TYPE (t_rlimit, struct oci_rlimit, rlimit_fields, check_rlimit);

static const struct json_field scheduler_fields[] = {
  JSON_REQUIRED ("policy", t_sched_policy, struct oci_scheduler, policy),
  JSON_OPTIONAL ("nice", t_nice, struct oci_scheduler, nice, has_nice),
  JSON_OPTIONAL ("priority", json_i32, struct oci_scheduler, priority, has_priority),
  JSON_FIELD ("flags", t_sched_flags, struct oci_scheduler, flags),
  JSON_OPTIONAL ("runtime", json_u64, struct oci_scheduler, runtime, has_runtime),
  JSON_OPTIONAL ("deadline", json_u64, struct oci_scheduler, deadline, has_deadline),
  JSON_OPTIONAL ("period", json_u64, struct oci_scheduler, period, has_period),
  JSON_END,
};
OBJECT_TYPE (t_scheduler, struct oci_scheduler, scheduler_fields, NULL);

static const struct json_field io_priority_fields[] = {
  JSON_REQUIRED ("class", t_ioprio_class, struct oci_io_priority, klass),
  JSON_FIELD ("priority", json_int, struct oci_io_priority, priority),
  JSON_END,
};
OBJECT_TYPE (t_io_priority, struct oci_io_priority, io_priority_fields, NULL);

static const struct json_field cpu_affinity_fields[] = {
  JSON_FIELD ("initial", t_cpu_list, struct oci_exec_cpu_affinity, initial),
  JSON_FIELD ("final", t_cpu_list, struct oci_exec_cpu_affinity, final),
  JSON_END,
};
OBJECT_TYPE (t_cpu_affinity, struct oci_exec_cpu_affinity, cpu_affinity_fields, NULL);

static int
check_process (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_process *p = dest;

  if (p->args[0] == NULL)
    return json_error_at (ctx, "args", "must contain at least one entry");
  for (size_t i = 1; i < p->rlimits_len; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        {
          size_t saved = json_push_key (ctx, "rlimits");
          json_push_index (ctx, i);
          json_error (ctx, "duplicate rlimit \"%s\"", p->rlimits[i].type);
          json_pop (ctx, saved);
          return -1;
        }
  return 0;
}

static const struct json_field process_fields[] = {
  JSON_FIELD ("terminal", json_bool, struct oci_process, terminal),
  JSON_OPTIONAL ("consoleSize", t_console_size, struct oci_process, console_size,
                 has_console_size),
  JSON_FIELD ("user", t_user, struct oci_process, user),
  JSON_REQUIRED ("args", json_strv, struct oci_process, args),
  JSON_FIELD ("commandLine", json_string, struct oci_process, command_line),
  JSON_FIELD ("env", json_strv, struct oci_process, env),
  JSON_REQUIRED ("cwd", json_abspath, struct oci_process, cwd),
  JSON_OBJECT ("capabilities", t_capabilities, struct oci_process, capabilities, false),
  JSON_ARRAY_OF ("rlimits", t_rlimit, struct oci_process, rlimits, rlimits_len, false),
  JSON_FIELD ("noNewPrivileges", json_bool, struct oci_process, no_new_privileges),
  JSON_FIELD ("apparmorProfile", json_string, struct oci_process, apparmor_profile),
  JSON_OPTIONAL ("oomScoreAdj", t_oom_score_adj, struct oci_process, oom_score_adj,
                 has_oom_score_adj),
  JSON_FIELD ("selinuxLabel", json_string, struct oci_process, selinux_label),
  JSON_OBJECT ("scheduler", t_scheduler, struct oci_process, scheduler, false),
  JSON_OBJECT ("ioPriority", t_io_priority, struct oci_process, io_priority, false),
  JSON_OBJECT ("execCPUAffinity", t_cpu_affinity, struct oci_process, exec_cpu_affinity, false),
  JSON_END,
};
/* Not static: oci/process.c parses exec's standalone process.json with it. */
const struct json_type t_process
    = { .size = sizeof (struct oci_process), .fields = process_fields, .check = check_process,
        .has_origin = true, .origin_offset = offsetof (struct oci_process, origin) };

/* --- root, mounts, hooks --------------------------------------------------- */

static const struct json_field root_fields[] = {
  JSON_REQUIRED ("path", json_string, struct oci_root, path),
  JSON_FIELD ("readonly", json_bool, struct oci_root, readonly),
  JSON_END,
};
OBJECT_TYPE (t_root, struct oci_root, root_fields, NULL);

static int
check_id_mapping (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_id_mapping *m = dest;

  /* The kernel (map_write) refuses a range that reaches 4294967295, which is
   * (uid_t) -1 and no id: say so here, with the path, rather than at write time. */
  if ((uint64_t) m->container_id + m->size > (uint64_t) UINT32_MAX)
    return json_error (ctx, "containerID + size exceeds 4294967295");
  if ((uint64_t) m->host_id + m->size > (uint64_t) UINT32_MAX)
    return json_error (ctx, "hostID + size exceeds 4294967295");
  return 0;
}

static const struct json_field id_mapping_fields[] = {
  JSON_REQUIRED ("containerID", json_u32, struct oci_id_mapping, container_id),
  JSON_REQUIRED ("hostID", json_u32, struct oci_id_mapping, host_id),
  JSON_REQUIRED ("size", json_u32_positive, struct oci_id_mapping, size),
  JSON_END,
};
OBJECT_TYPE (t_id_mapping, struct oci_id_mapping, id_mapping_fields, check_id_mapping);

static const struct json_field mount_fields[] = {
  JSON_REQUIRED ("destination", json_string, struct oci_mount, destination),
  JSON_FIELD ("type", json_string, struct oci_mount, type),
  JSON_FIELD ("source", json_string, struct oci_mount, source),
  JSON_FIELD ("options", json_strv, struct oci_mount, options),
  JSON_ARRAY_OF ("uidMappings", t_id_mapping, struct oci_mount, uid_mappings, uid_mappings_len,
                 false),
  JSON_ARRAY_OF ("gidMappings", t_id_mapping, struct oci_mount, gid_mappings, gid_mappings_len,
                 false),
  JSON_END,
};
OBJECT_TYPE (t_mount, struct oci_mount, mount_fields, NULL);

static const struct json_field hook_fields[] = {
  JSON_REQUIRED ("path", json_abspath, struct oci_hook, path),
  JSON_FIELD ("args", json_strv, struct oci_hook, args),
  JSON_FIELD ("env", json_strv, struct oci_hook, env),
  JSON_OPTIONAL ("timeout", json_int_positive, struct oci_hook, timeout, has_timeout),
  JSON_END,
};
OBJECT_TYPE (t_hook, struct oci_hook, hook_fields, NULL);

#define HOOKS(key, m) JSON_ARRAY_OF (key, t_hook, struct oci_hooks, m, m##_len, false)
static const struct json_field hooks_fields[] = {
  HOOKS ("prestart", prestart),
  HOOKS ("createRuntime", create_runtime),
  HOOKS ("createContainer", create_container),
  HOOKS ("startContainer", start_container),
  HOOKS ("poststart", poststart),
  HOOKS ("poststop", poststop),
  JSON_END,
};
OBJECT_TYPE (t_hooks, struct oci_hooks, hooks_fields, NULL);

/* --- linux.resources ------------------------------------------------------ */

static const struct json_field device_cgroup_fields[] = {
  JSON_REQUIRED ("allow", json_bool, struct oci_device_cgroup, allow),
  JSON_FIELD ("type", t_device_cgroup_type, struct oci_device_cgroup, type),
  JSON_OPTIONAL ("major", json_i64, struct oci_device_cgroup, major, has_major),
  JSON_OPTIONAL ("minor", json_i64, struct oci_device_cgroup, minor, has_minor),
  JSON_FIELD ("access", t_access, struct oci_device_cgroup, access),
  JSON_END,
};
OBJECT_TYPE (t_device_cgroup, struct oci_device_cgroup, device_cgroup_fields, NULL);

#define MEM(key, m) JSON_OPTIONAL (key, json_i64, struct oci_memory, m, has_##m)
static const struct json_field memory_fields[] = {
  MEM ("limit", limit),
  MEM ("reservation", reservation),
  MEM ("swap", swap),
  MEM ("kernel", kernel),
  MEM ("kernelTCP", kernel_tcp),
  JSON_OPTIONAL ("swappiness", json_u64, struct oci_memory, swappiness, has_swappiness),
  JSON_OPTIONAL ("disableOOMKiller", json_bool, struct oci_memory, disable_oom_killer,
                 has_disable_oom_killer),
  JSON_OPTIONAL ("useHierarchy", json_bool, struct oci_memory, use_hierarchy, has_use_hierarchy),
  JSON_OPTIONAL ("checkBeforeUpdate", json_bool, struct oci_memory, check_before_update,
                 has_check_before_update),
  JSON_END,
};
OBJECT_TYPE (t_memory, struct oci_memory, memory_fields, NULL);

#define CPU(key, t, m) JSON_OPTIONAL (key, t, struct oci_cpu, m, has_##m)
static const struct json_field cpu_fields[] = {
  CPU ("shares", json_u64, shares),
  CPU ("quota", json_i64, quota),
  CPU ("burst", json_u64, burst),
  CPU ("period", json_u64, period),
  CPU ("realtimeRuntime", json_i64, realtime_runtime),
  CPU ("realtimePeriod", json_u64, realtime_period),
  CPU ("idle", json_i64, idle),
  JSON_FIELD ("cpus", json_string, struct oci_cpu, cpus),
  JSON_FIELD ("mems", json_string, struct oci_cpu, mems),
  JSON_END,
};
OBJECT_TYPE (t_cpu, struct oci_cpu, cpu_fields, NULL);

static const struct json_field weight_device_fields[] = {
  JSON_REQUIRED ("major", json_i64, struct oci_weight_device, major),
  JSON_REQUIRED ("minor", json_i64, struct oci_weight_device, minor),
  JSON_OPTIONAL ("weight", json_u16, struct oci_weight_device, weight, has_weight),
  JSON_OPTIONAL ("leafWeight", json_u16, struct oci_weight_device, leaf_weight, has_leaf_weight),
  JSON_END,
};
OBJECT_TYPE (t_weight_device, struct oci_weight_device, weight_device_fields, NULL);

static const struct json_field throttle_device_fields[] = {
  JSON_REQUIRED ("major", json_i64, struct oci_throttle_device, major),
  JSON_REQUIRED ("minor", json_i64, struct oci_throttle_device, minor),
  JSON_FIELD ("rate", json_u64, struct oci_throttle_device, rate),
  JSON_END,
};
OBJECT_TYPE (t_throttle_device, struct oci_throttle_device, throttle_device_fields, NULL);

#define THROTTLE(key, m)                                                                  \
  JSON_ARRAY_OF (key, t_throttle_device, struct oci_blkio, m, m##_len, false)
static const struct json_field blkio_fields[] = {
  JSON_OPTIONAL ("weight", json_u16, struct oci_blkio, weight, has_weight),
  JSON_OPTIONAL ("leafWeight", json_u16, struct oci_blkio, leaf_weight, has_leaf_weight),
  JSON_ARRAY_OF ("weightDevice", t_weight_device, struct oci_blkio, weight_device,
                 weight_device_len, false),
  THROTTLE ("throttleReadBpsDevice", throttle_read_bps),
  THROTTLE ("throttleWriteBpsDevice", throttle_write_bps),
  THROTTLE ("throttleReadIOPSDevice", throttle_read_iops),
  THROTTLE ("throttleWriteIOPSDevice", throttle_write_iops),
  JSON_END,
};
OBJECT_TYPE (t_blkio, struct oci_blkio, blkio_fields, NULL);

static const struct json_field hugepage_fields[] = {
  JSON_REQUIRED ("pageSize", t_page_size, struct oci_hugepage_limit, page_size),
  JSON_REQUIRED ("limit", json_u64, struct oci_hugepage_limit, limit),
  JSON_END,
};
OBJECT_TYPE (t_hugepage, struct oci_hugepage_limit, hugepage_fields, NULL);

static const struct json_field net_priority_fields[] = {
  JSON_REQUIRED ("name", json_string, struct oci_net_priority, name),
  JSON_REQUIRED ("priority", json_u32, struct oci_net_priority, priority),
  JSON_END,
};
OBJECT_TYPE (t_net_priority, struct oci_net_priority, net_priority_fields, NULL);

static const struct json_field rdma_fields[] = {
  JSON_OPTIONAL ("hcaHandles", json_u32, struct oci_rdma_limit, hca_handles, has_hca_handles),
  JSON_OPTIONAL ("hcaObjects", json_u32, struct oci_rdma_limit, hca_objects, has_hca_objects),
  JSON_END,
};
static const struct json_type t_rdma = { .size = sizeof (struct oci_rdma_limit),
                                         .fields = rdma_fields,
                                         .key_offset = offsetof (struct oci_rdma_limit, device) };

/* "pids" and "network" are objects whose members live in struct oci_resources. */
static const struct json_field pids_fields[] = {
  { "limit", &json_i64, offsetof (struct oci_resources, pids_limit),
    offsetof (struct oci_resources, has_pids_limit), JSON_INLINE, true },
  JSON_END,
};
OBJECT_TYPE (t_pids, struct oci_resources, pids_fields, NULL);

static const struct json_field network_fields[] = {
  JSON_OPTIONAL ("classID", json_u32, struct oci_resources, net_class_id, has_net_class_id),
  JSON_ARRAY_OF ("priorities", t_net_priority, struct oci_resources, net_priorities,
                 net_priorities_len, false),
  JSON_END,
};
OBJECT_TYPE (t_network, struct oci_resources, network_fields, NULL);

static const struct json_field resources_fields[] = {
  JSON_ARRAY_OF ("devices", t_device_cgroup, struct oci_resources, devices, devices_len, false),
  JSON_OBJECT ("memory", t_memory, struct oci_resources, memory, false),
  JSON_OBJECT ("cpu", t_cpu, struct oci_resources, cpu, false),
  JSON_NESTED ("pids", t_pids),
  JSON_OBJECT ("blockIO", t_blkio, struct oci_resources, block_io, false),
  JSON_ARRAY_OF ("hugepageLimits", t_hugepage, struct oci_resources, hugepage_limits,
                 hugepage_limits_len, false),
  JSON_NESTED ("network", t_network),
  JSON_MAP_OF ("rdma", t_rdma, struct oci_resources, rdma, rdma_len),
  JSON_MAP_OF ("unified", t_kv, struct oci_resources, unified, unified_len),
  JSON_END,
};
/* Not static: oci/resources.c parses update's standalone resources with it. */
const struct json_type t_resources
    = { .size = sizeof (struct oci_resources), .fields = resources_fields };

/* --- linux.seccomp -------------------------------------------------------- */

static const struct json_field seccomp_arg_fields[] = {
  JSON_REQUIRED ("index", json_u32, struct oci_seccomp_arg, index),
  JSON_REQUIRED ("value", json_u64, struct oci_seccomp_arg, value),
  JSON_FIELD ("valueTwo", json_u64, struct oci_seccomp_arg, value_two),
  JSON_REQUIRED ("op", t_seccomp_op, struct oci_seccomp_arg, op),
  JSON_END,
};
OBJECT_TYPE (t_seccomp_arg, struct oci_seccomp_arg, seccomp_arg_fields, NULL);

static int
check_syscall (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_seccomp_syscall *s = dest;

  if (s->names[0] == NULL)
    return json_error_at (ctx, "names", "must contain at least one entry");
  return 0;
}

static const struct json_field seccomp_syscall_fields[] = {
  JSON_REQUIRED ("names", json_strv, struct oci_seccomp_syscall, names),
  JSON_REQUIRED ("action", t_seccomp_action, struct oci_seccomp_syscall, action),
  JSON_OPTIONAL ("errnoRet", json_u32, struct oci_seccomp_syscall, errno_ret, has_errno_ret),
  JSON_ARRAY_OF ("args", t_seccomp_arg, struct oci_seccomp_syscall, args, args_len, false),
  JSON_END,
};
OBJECT_TYPE (t_seccomp_syscall, struct oci_seccomp_syscall, seccomp_syscall_fields,
             check_syscall);

static const struct json_field seccomp_fields[] = {
  JSON_REQUIRED ("defaultAction", t_seccomp_action, struct oci_seccomp, default_action),
  JSON_OPTIONAL ("defaultErrnoRet", json_u32, struct oci_seccomp, default_errno_ret,
                 has_default_errno_ret),
  JSON_FIELD ("architectures", t_seccomp_archs, struct oci_seccomp, architectures),
  JSON_FIELD ("flags", t_seccomp_flags, struct oci_seccomp, flags),
  JSON_FIELD ("listenerPath", json_string, struct oci_seccomp, listener_path),
  JSON_FIELD ("listenerMetadata", json_string, struct oci_seccomp, listener_metadata),
  JSON_ARRAY_OF ("syscalls", t_seccomp_syscall, struct oci_seccomp, syscalls, syscalls_len,
                 false),
  JSON_END,
};
ORIGIN_TYPE (t_seccomp, struct oci_seccomp, seccomp_fields, NULL);

/* --- the rest of linux ---------------------------------------------------- */

static int
check_namespace (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_namespace *ns = dest;

  /* An empty path means "create a new one", as in runc. */
  if (ns->path && ns->path[0] == '\0')
    {
      free (ns->path);
      ns->path = NULL;
    }
  if (ns->path && ns->path[0] != '/')
    return json_error_at (ctx, "path", "expected an absolute path, got \"%s\"", ns->path);
  return 0;
}

static const struct json_field namespace_fields[] = {
  JSON_REQUIRED ("type", t_ns_type, struct oci_namespace, type),
  JSON_FIELD ("path", json_string, struct oci_namespace, path),
  JSON_END,
};
OBJECT_TYPE (t_namespace, struct oci_namespace, namespace_fields, check_namespace);

static int
check_device (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_device *d = dest;

  if (strcmp (d->type, "p") == 0)
    return 0;
  if (json_get (v, "major") == NULL || json_is_null (json_get (v, "major")))
    return json_error_at (ctx, "major", "required for device type \"%s\"", d->type);
  if (json_get (v, "minor") == NULL || json_is_null (json_get (v, "minor")))
    return json_error_at (ctx, "minor", "required for device type \"%s\"", d->type);
  return 0;
}

static const struct json_field device_fields[] = {
  JSON_REQUIRED ("type", t_device_type, struct oci_device, type),
  JSON_REQUIRED ("path", json_abspath, struct oci_device, path),
  JSON_FIELD ("major", json_i64, struct oci_device, major),
  JSON_FIELD ("minor", json_i64, struct oci_device, minor),
  JSON_OPTIONAL ("fileMode", json_u32, struct oci_device, file_mode, has_file_mode),
  JSON_OPTIONAL ("uid", json_u32, struct oci_device, uid, has_uid),
  JSON_OPTIONAL ("gid", json_u32, struct oci_device, gid, has_gid),
  JSON_END,
};
OBJECT_TYPE (t_device, struct oci_device, device_fields, check_device);

static int
check_net_device (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_net_device *d = dest;

  if (!valid_ifname (d->host_name))
    return json_error (ctx, "invalid network interface name \"%s\"", d->host_name);
  return 0;
}

static const struct json_field net_device_fields[] = {
  JSON_FIELD ("name", t_ifname, struct oci_net_device, name),
  JSON_END,
};
static const struct json_type t_net_device
    = { .size = sizeof (struct oci_net_device), .fields = net_device_fields,
        .check = check_net_device, .key_offset = offsetof (struct oci_net_device, host_name) };

static const struct json_field intel_rdt_fields[] = {
  JSON_FIELD ("closID", json_string, struct oci_intel_rdt, clos_id),
  JSON_FIELD ("l3CacheSchema", t_no_newline, struct oci_intel_rdt, l3_cache_schema),
  JSON_FIELD ("memBwSchema", t_mem_bw_schema, struct oci_intel_rdt, mem_bw_schema),
  JSON_FIELD ("schemata", t_no_newline_v, struct oci_intel_rdt, schemata),
  JSON_FIELD ("enableCMT", json_bool, struct oci_intel_rdt, enable_cmt),
  JSON_FIELD ("enableMBM", json_bool, struct oci_intel_rdt, enable_mbm),
  JSON_FIELD ("enableMonitoring", json_bool, struct oci_intel_rdt, enable_monitoring),
  JSON_END,
};
OBJECT_TYPE (t_intel_rdt, struct oci_intel_rdt, intel_rdt_fields, NULL);

static const struct json_field personality_fields[] = {
  JSON_REQUIRED ("domain", t_personality_domain, struct oci_personality, domain),
  JSON_FIELD ("flags", json_strv, struct oci_personality, flags),
  JSON_END,
};
OBJECT_TYPE (t_personality, struct oci_personality, personality_fields, NULL);

/* mode is required: checked here, to say so in runc's words. */
static int
check_memory_policy (struct json_ctx *ctx, json_val v, void *dest)
{
  const struct oci_memory_policy *mp = dest;

  if (mp->mode == NULL)
    return json_error_at (ctx, "mode", "invalid memory policy mode \"\": required");
  return 0;
}

static const struct json_field memory_policy_fields[] = {
  JSON_FIELD ("mode", t_mpol_mode, struct oci_memory_policy, mode),
  JSON_FIELD ("nodes", json_string, struct oci_memory_policy, nodes),
  JSON_FIELD ("flags", t_mpol_flags, struct oci_memory_policy, flags),
  JSON_END,
};
OBJECT_TYPE (t_memory_policy, struct oci_memory_policy, memory_policy_fields,
             check_memory_policy);

static const struct json_field time_offset_fields[] = {
  JSON_FIELD ("secs", json_i64, struct oci_time_offset, secs),
  JSON_FIELD ("nanosecs", json_u32, struct oci_time_offset, nanosecs),
  JSON_END,
};
OBJECT_TYPE (t_time_offset, struct oci_time_offset, time_offset_fields, NULL);

static const struct json_field time_offsets_fields[] = {
  JSON_OPTIONAL ("monotonic", t_time_offset, struct oci_linux, time_offset_monotonic,
                 has_time_offsets_monotonic),
  JSON_OPTIONAL ("boottime", t_time_offset, struct oci_linux, time_offset_boottime,
                 has_time_offsets_boottime),
  JSON_END,
};
OBJECT_TYPE (t_time_offsets, struct oci_linux, time_offsets_fields, NULL);

static int
check_linux (struct json_ctx *ctx, json_val v, void *dest)
{
  struct oci_linux *l = dest;

  for (size_t i = 1; i < l->namespaces_len; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        {
          size_t saved = json_push_key (ctx, "namespaces");
          json_push_index (ctx, i);
          json_error (ctx, "duplicate namespace \"%s\"", oci_ns_type_name (l->namespaces[i].type));
          json_pop (ctx, saved);
          return -1;
        }
  return 0;
}

#define LINUX_ARRAY(key, t, m) JSON_ARRAY_OF (key, t, struct oci_linux, m, m##_len, false)
static const struct json_field linux_fields[] = {
  LINUX_ARRAY ("uidMappings", t_id_mapping, uid_mappings),
  LINUX_ARRAY ("gidMappings", t_id_mapping, gid_mappings),
  JSON_MAP_OF ("sysctl", t_kv, struct oci_linux, sysctl, sysctl_len),
  JSON_OBJECT ("resources", t_resources, struct oci_linux, resources, false),
  JSON_FIELD ("cgroupsPath", json_string, struct oci_linux, cgroups_path),
  LINUX_ARRAY ("namespaces", t_namespace, namespaces),
  LINUX_ARRAY ("devices", t_device, devices),
  JSON_MAP_OF ("netDevices", t_net_device, struct oci_linux, net_devices, net_devices_len),
  JSON_OBJECT ("seccomp", t_seccomp, struct oci_linux, seccomp, false),
  JSON_FIELD ("rootfsPropagation", json_string, struct oci_linux, rootfs_propagation),
  JSON_FIELD ("maskedPaths", json_abspath_v, struct oci_linux, masked_paths),
  JSON_FIELD ("readonlyPaths", json_abspath_v, struct oci_linux, readonly_paths),
  JSON_FIELD ("mountLabel", json_string, struct oci_linux, mount_label),
  JSON_OBJECT ("intelRdt", t_intel_rdt, struct oci_linux, intel_rdt, false),
  JSON_OBJECT ("personality", t_personality, struct oci_linux, personality, false),
  JSON_NESTED ("timeOffsets", t_time_offsets),
  JSON_OBJECT ("memoryPolicy", t_memory_policy, struct oci_linux, memory_policy, false),
  JSON_END,
};
ORIGIN_TYPE (t_linux, struct oci_linux, linux_fields, check_linux);

/* --- the document --------------------------------------------------------- */

static const struct json_field config_fields[] = {
  JSON_REQUIRED ("ociVersion", json_string, struct oci_config, oci_version),
  JSON_OBJECT ("root", t_root, struct oci_config, root, true),
  JSON_ARRAY_OF ("mounts", t_mount, struct oci_config, mounts, mounts_len, false),
  JSON_OBJECT ("process", t_process, struct oci_config, process, false),
  JSON_FIELD ("hostname", t_uts_name, struct oci_config, hostname),
  JSON_FIELD ("domainname", t_uts_name, struct oci_config, domainname),
  JSON_OBJECT ("hooks", t_hooks, struct oci_config, hooks, false),
  JSON_MAP_OF ("annotations", t_kv, struct oci_config, annotations, annotations_len),
  JSON_OBJECT ("linux", t_linux, struct oci_config, linux_, false),
  JSON_END,
};
ORIGIN_TYPE (t_config, struct oci_config, config_fields, NULL);

int
oci_json_parse_document (const char *document, const char *data, size_t len,
                         const struct json_type *t, void *dest, struct husk_error **err)
{
  struct json_ctx ctx = { .err = err, .document = document };
  json_val tree;
  int r;

  if (data == NULL)
    data = "", len = 0;
  tree = json_tree_parse (document, data, len, err);
  if (tree == NULL)
    return -1;
  if (!json_is_object (tree))
    {
      husk_error_set (err, 0, "%s: expected an object at the top level, got %s",
                      document ? document : "config.json", json_type_name (tree));
      json_tree_free (tree);
      return -1;
    }
  r = json_parse (&ctx, tree, dest, t);
  json_ctx_release (&ctx);
  json_tree_free (tree);
  return r;
}

struct oci_config *
oci_config_parse_named (const char *document, const char *data, size_t len,
                        struct husk_error **err)
{
  struct oci_config *c = xcalloc (1, sizeof *c);
  if (oci_json_parse_document (document, data, len, &t_config, c, err) < 0)
    {
      oci_config_free (c);
      return NULL;
    }
  return c;
}

struct oci_config *
oci_config_parse (const char *data, size_t len, struct husk_error **err)
{
  return oci_config_parse_named ("config.json", data, len, err);
}

static char *
read_all (int fd, size_t *len_out)
{
  struct stat st;
  size_t cap = 64 * 1024, len = 0;
  char *buf;

  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    cap = (size_t) st.st_size + 1;
  buf = xmalloc (cap);
  if (buf == NULL)
    return NULL;
  for (;;)
    {
      ssize_t n;
      if (len == cap)
        {
          char *nb = xrealloc (buf, cap * 2);
          if (nb == NULL)
            {
              free (buf);
              return NULL;
            }
          buf = nb;
          cap *= 2;
        }
      n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          free (buf);
          errno = saved;
          return NULL;
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  *len_out = len;
  return buf;
}

struct oci_config *
oci_config_load (const char *path, struct husk_error **err)
{
  cleanup_close int fd = -1;
  cleanup_free char *data = NULL;
  size_t len = 0;

  fd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set (err, errno, "open %s", path), NULL;
  data = read_all (fd, &len);
  if (data == NULL)
    return husk_error_set (err, errno, "read %s", path), NULL;
  return oci_config_parse (data, len, err);
}

void
oci_config_free (struct oci_config *c)
{
  if (c == NULL)
    return;
  json_free (c, &t_config);
  free (c);
}
