/* Unit tests for the config.json parser and validator (TAP output).
 *
 * Documents are written with ' for " to keep them readable; q() swaps them back.
 * Run with --dump DIR to write the good documents as DIR/<name>.json (for the
 * JSON Schema tests). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oci/config.h"
#include "util/error.h"

#include "tap.h"

/* A copy of s with every ' turned into ". */
static char *
q (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

static char *
err_text (struct husk_error *e)
{
  return e ? husk_error_text (e) : strdup ("(no error)");
}

static struct oci_config *
parse_q (const char *doc, struct husk_error **err)
{
  char *d = q (doc);
  struct oci_config *c = oci_config_parse (d, strlen (d), err);
  free (d);
  return c;
}

#define HEAD "{'ociVersion':'1.0.2','root':{'path':'rootfs'}"
#define DOC(x) HEAD "," x "}"
#define PROC(x) DOC ("'process':{'cwd':'/','args':['sh']," x "}")
#define USER(x) PROC ("'user':{" x "}")
#define LINUX(x) DOC ("'linux':{" x "}")
#define RES(x) LINUX ("'resources':{" x "}")
#define SECCOMP(x) LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'," x "}")
#define RL(t, h, s) "{'type':'" t "','hard':" h ",'soft':" s "}"

struct bad
{
  const char *doc;
  const char *err; /* exact, or a prefix when it ends with '*' */
};

static const struct bad bad_docs[] = {
  /* the document */
  { "", "config.json: parse error: premature EOF at line 1, column 1" },
  { "{", "config.json: parse error: premature EOF at line 1, column 2" },
  { "{'ociVersion':'1.0', 'root':{'path':", "config.json: parse error: premature EOF at line 1, column 37" },
  { "{'ociVersion' '1.0'}", "config.json: parse error: expected `:` after an object key, got `\"` at line 1, column 15" },
  { "{'ociVersion':'1.0'} {}", "config.json: parse error: trailing garbage after the value at line 1, column 22" },
  { "{'ociVersion':'1.0',}", "config.json: parse error: expected a string (an object key), got `}` at line 1, column 21" },
  { "{'ociVersion':\xff}", "config.json: parse error: expected a value, got byte 0xff at line 1, column 15" },
  { "{'ociVersion':'\xff\xfe'}", "config.json: ociVersion: invalid UTF-8: an invalid byte at byte 0" },
  { "[]", "config.json: expected an object at the top level, got array" },
  { "'config'", "config.json: expected an object at the top level, got string" },
  { "null", "config.json: expected an object at the top level, got null" },
  { "42", "config.json: expected an object at the top level, got number" },
  { "{}", "config.json: ociVersion: required" },
  { "{'ociVersion':1}", "config.json: ociVersion: expected a string, got number" },
  { "{'ociVersion':null,'root':{'path':'r'}}", "config.json: ociVersion: required" },
  { "{'ociVersion':'1.0'}", "config.json: root: required" },
  { "{'ociVersion':'1.0','root':'rootfs'}", "config.json: root: expected an object, got string" },
  { "{'ociVersion':'1.0','root':{}}", "config.json: root.path: required" },
  { "{'ociVersion':'1.0','root':{'path':null}}", "config.json: root.path: required" },
  { "{'ociVersion':'1.0','root':{'path':'r','readonly':'yes'}}",
    "config.json: root.readonly: expected a boolean, got string" },
  /* process */
  { DOC ("'process':[]"), "config.json: process: expected an object, got array" },
  { DOC ("'process':{'cwd':'/'}"), "config.json: process.args: required" },
  { DOC ("'process':{'cwd':'/','args':[]}"), "config.json: process.args: must contain at least one entry" },
  { DOC ("'process':{'cwd':'/','args':'sh'}"),
    "config.json: process.args: expected an array of strings, got string" },
  { DOC ("'process':{'cwd':'/','args':['sh',1]}"),
    "config.json: process.args[1]: expected a string, got number" },
  { DOC ("'process':{'args':['sh']}"), "config.json: process.cwd: required" },
  { DOC ("'process':{'cwd':'tmp','args':['sh']}"),
    "config.json: process.cwd: expected an absolute path, got 'tmp'" },
  { DOC ("'process':{'cwd':5,'args':['sh']}"), "config.json: process.cwd: expected a string, got number" },
  { PROC ("'user':'root'"), "config.json: process.user: expected an object, got string" },
  { USER ("'uid':'5'"), "config.json: process.user.uid: expected a non-negative integer, got string" },
  { USER ("'uid':-1"),
    "config.json: process.user.uid: expected a non-negative integer, got negative number -1" },
  { USER ("'uid':4294967296"), "config.json: process.user.uid: 4294967296 out of range (maximum 4294967295)" },
  { USER ("'uid':99999999999999999999999"),
    "config.json: process.user.uid: 99999999999999999999999 out of range (maximum 4294967295)" },
  { USER ("'gid':1.5"),
    "config.json: process.user.gid: expected a non-negative integer, got fractional number 1.5" },
  { USER ("'gid':1e3"),
    "config.json: process.user.gid: expected a non-negative integer, got fractional number 1e3" },
  { USER ("'gid':null,'uid':true"), "config.json: process.user.uid: expected a non-negative integer, got boolean" },
  { USER ("'additionalGids':[1,'2']"),
    "config.json: process.user.additionalGids[1]: expected a non-negative integer, got string" },
  { USER ("'additionalGids':7"), "config.json: process.user.additionalGids: expected an array, got number" },
  { USER ("'umask':{}"), "config.json: process.user.umask: expected a non-negative integer, got object" },
  { PROC ("'terminal':1"), "config.json: process.terminal: expected a boolean, got number" },
  { PROC ("'consoleSize':{'height':1}"), "config.json: process.consoleSize.width: required" },
  { PROC ("'consoleSize':{'height':1,'width':-80}"),
    "config.json: process.consoleSize.width: expected a non-negative integer, got negative number -80" },
  { PROC ("'env':['A=b',null]"), "config.json: process.env[1]: expected a string, got null" },
  { PROC ("'capabilities':{'ambient':'CAP_KILL'}"),
    "config.json: process.capabilities.ambient: expected an array of strings, got string" },
  { PROC ("'capabilities':{'inheritable':['CAP_KILL',12]}"),
    "config.json: process.capabilities.inheritable[1]: expected a string, got number" },
  { PROC ("'rlimits':{}"), "config.json: process.rlimits: expected an array, got object" },
  { PROC ("'rlimits':[" RL ("RLIMIT_FOO", "1", "1") "]"),
    "config.json: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'" },
  { PROC ("'rlimits':[{'type':'RLIMIT_NOFILE','hard':1}]"), "config.json: process.rlimits[0].soft: required" },
  { PROC ("'rlimits':[" RL ("RLIMIT_NOFILE", "-1", "1") "]"),
    "config.json: process.rlimits[0].hard: expected a non-negative integer, got negative number -1" },
  { PROC ("'rlimits':[" RL ("RLIMIT_NOFILE", "1", "18446744073709551616") "]"),
    "config.json: process.rlimits[0].soft: 18446744073709551616 out of range (maximum 18446744073709551615)" },
  { PROC ("'rlimits':[" RL ("RLIMIT_NOFILE", "1", "'1'") "]"),
    "config.json: process.rlimits[0].soft: expected a non-negative integer, got string" },
  { PROC ("'rlimits':[" RL ("RLIMIT_NOFILE", "1", "1") "," RL ("RLIMIT_CORE", "1", "1") "," RL (
        "RLIMIT_NOFILE", "2", "2") "]"),
    "config.json: process.rlimits[2]: duplicate rlimit 'RLIMIT_NOFILE'" },
  { PROC ("'rlimits':[7]"), "config.json: process.rlimits[0]: expected an object, got number" },
  { PROC ("'oomScoreAdj':1001"), "config.json: process.oomScoreAdj: 1001 out of range [-1000, 1000]" },
  { PROC ("'oomScoreAdj':'0'"), "config.json: process.oomScoreAdj: expected an integer, got string" },
  { PROC ("'noNewPrivileges':'true'"), "config.json: process.noNewPrivileges: expected a boolean, got string" },
  { PROC ("'scheduler':{}"), "config.json: process.scheduler.policy: required" },
  { PROC ("'scheduler':{'policy':'SCHED_FOO'}"),
    "config.json: process.scheduler.policy: unknown scheduler policy 'SCHED_FOO'" },
  { PROC ("'scheduler':{'policy':'SCHED_OTHER','nice':2147483648}"),
    "config.json: process.scheduler.nice: 2147483648 out of range [-2147483648, 2147483647]" },
  { PROC ("'scheduler':{'policy':'SCHED_OTHER','flags':['X']}"),
    "config.json: process.scheduler.flags[0]: unknown scheduler flag 'X'" },
  { PROC ("'scheduler':{'policy':'SCHED_DEADLINE','runtime':-1}"),
    "config.json: process.scheduler.runtime: expected a non-negative integer, got negative number -1" },
  { PROC ("'ioPriority':{'class':'RT'}"), "config.json: process.ioPriority.class: unknown io priority class 'RT'" },
  { PROC ("'ioPriority':{'priority':1}"), "config.json: process.ioPriority.class: required" },
  { PROC ("'execCPUAffinity':{'initial':'a'}"),
    "config.json: process.execCPUAffinity.initial: invalid cpu list 'a'" },
  { PROC ("'apparmorProfile':5"), "config.json: process.apparmorProfile: expected a string, got number" },
  { PROC ("'selinuxLabel':[]"), "config.json: process.selinuxLabel: expected a string, got array" },
  /* mounts */
  { DOC ("'mounts':{}"), "config.json: mounts: expected an array, got object" },
  { DOC ("'mounts':[{}]"), "config.json: mounts[0].destination: required" },
  { DOC ("'mounts':[{'destination':'/a'},{'destination':'/b','options':['ro',5]}]"),
    "config.json: mounts[1].options[1]: expected a string, got number" },
  { DOC ("'mounts':[{'destination':'/a','type':5}]"), "config.json: mounts[0].type: expected a string, got number" },
  { DOC ("'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':0,'size':0}]}]"),
    "config.json: mounts[0].uidMappings[0].size: 0 out of range [1, 4294967295]" },
  /* hooks */
  { DOC ("'hooks':[]"), "config.json: hooks: expected an object, got array" },
  { DOC ("'hooks':{'prestart':[{'path':'hook'}]}"),
    "config.json: hooks.prestart[0].path: expected an absolute path, got 'hook'" },
  { DOC ("'hooks':{'poststop':[{'path':'/a'},{}]}"), "config.json: hooks.poststop[1].path: required" },
  { DOC ("'hooks':{'createRuntime':[{'path':'/a','timeout':0}]}"),
    "config.json: hooks.createRuntime[0].timeout: 0 out of range [1, 2147483647]" },
  { DOC ("'hooks':{'createContainer':[{'path':'/a','timeout':-5}]}"),
    "config.json: hooks.createContainer[0].timeout: -5 out of range [1, 2147483647]" },
  { DOC ("'hooks':{'startContainer':[{'path':'/a','timeout':1.5}]}"),
    "config.json: hooks.startContainer[0].timeout: expected an integer, got fractional number 1.5" },
  { DOC ("'hooks':{'poststart':[{'path':'/a','args':'x'}]}"),
    "config.json: hooks.poststart[0].args: expected an array of strings, got string" },
  /* annotations, names */
  { DOC ("'annotations':{'a':1}"), "config.json: annotations.a: expected a string, got number" },
  { DOC ("'annotations':{'a b':null}"), "config.json: annotations['a b']: expected a string, got null" },
  { DOC ("'annotations':[]"), "config.json: annotations: expected an object, got array" },
  { DOC ("'annotations':{'a\\nb':1}"), "config.json: annotations['a?b']: expected a string, got number" },
  { PROC ("'capabilities':{'bounding':['CAP_\\nKILL']}"),
    "config.json: process.capabilities.bounding[0]: capability 'CAP_?KILL' contains the control character 0x0a" },
  { DOC ("'hostname':5"), "config.json: hostname: expected a string, got number" },
  { DOC ("'domainname':false"), "config.json: domainname: expected a string, got boolean" },
  /* linux */
  { DOC ("'linux':'x'"), "config.json: linux: expected an object, got string" },
  { LINUX ("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'foo'}]"),
    "config.json: linux.namespaces[2].type: unknown namespace 'foo'" },
  { LINUX ("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'uts'},{'type':'pid'}]"),
    "config.json: linux.namespaces[3]: duplicate namespace 'pid'" },
  { LINUX ("'namespaces':[{'type':'network'},{'type':'network','path':'/run/netns/x'}]"),
    "config.json: linux.namespaces[1]: duplicate namespace 'network'" },
  { LINUX ("'namespaces':[{}]"), "config.json: linux.namespaces[0].type: required" },
  { LINUX ("'namespaces':[{'type':1}]"), "config.json: linux.namespaces[0].type: expected a string, got number" },
  { LINUX ("'namespaces':[{'type':'net'}]"), "config.json: linux.namespaces[0].type: unknown namespace 'net'" },
  { LINUX ("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
    "config.json: linux.namespaces[0].path: expected an absolute path, got 'proc/1/ns/net'" },
  { LINUX ("'namespaces':{'type':'pid'}"), "config.json: linux.namespaces: expected an array, got object" },
  { LINUX ("'uidMappings':[{'containerID':0,'hostID':1000}]"), "config.json: linux.uidMappings[0].size: required" },
  { LINUX ("'uidMappings':[{'containerID':0,'hostID':4294967296,'size':1}]"),
    "config.json: linux.uidMappings[0].hostID: 4294967296 out of range (maximum 4294967295)" },
  { LINUX ("'gidMappings':[{'containerID':-1,'hostID':0,'size':1}]"),
    "config.json: linux.gidMappings[0].containerID: expected a non-negative integer, got negative number -1" },
  { LINUX ("'uidMappings':[{'containerID':4294967295,'hostID':0,'size':2}]"),
    "config.json: linux.uidMappings[0]: containerID + size exceeds 4294967295" },
  { LINUX ("'devices':[{'type':'c','path':'/dev/x','major':1}]"),
    "config.json: linux.devices[0].minor: required for device type 'c'" },
  { LINUX ("'devices':[{'type':'b','path':'/dev/x'}]"),
    "config.json: linux.devices[0].major: required for device type 'b'" },
  { LINUX ("'devices':[{'type':'c','path':'dev/null','major':1,'minor':3}]"),
    "config.json: linux.devices[0].path: expected an absolute path, got 'dev/null'" },
  { LINUX ("'devices':[{'type':'x','path':'/dev/x'}]"), "config.json: linux.devices[0].type: unknown device type 'x'" },
  { LINUX ("'devices':[{'path':'/dev/x'}]"), "config.json: linux.devices[0].type: required" },
  { LINUX ("'devices':[{'type':'c','path':'/dev/x','major':1,'minor':3,'fileMode':'0666'}]"),
    "config.json: linux.devices[0].fileMode: expected a non-negative integer, got string" },
  { LINUX ("'devices':[{'type':'c','path':'/dev/x','major':1,'minor':3,'uid':-1}]"),
    "config.json: linux.devices[0].uid: expected a non-negative integer, got negative number -1" },
  { LINUX ("'devices':[{'type':'c','path':'/dev/x','major':'1','minor':3}]"),
    "config.json: linux.devices[0].major: expected an integer, got string" },
  { LINUX ("'sysctl':{'a':true}"), "config.json: linux.sysctl.a: expected a string, got boolean" },
  { LINUX ("'sysctl':['a']"), "config.json: linux.sysctl: expected an object, got array" },
  { RES ("'devices':[{'access':'rwm'}]"), "config.json: linux.resources.devices[0].allow: required" },
  { RES ("'devices':[{'allow':true,'access':'xa'}]"),
    "config.json: linux.resources.devices[0].access: invalid access 'xa' (expected a combination of r, w, m)" },
  { RES ("'devices':[{'allow':true,'type':'z'}]"),
    "config.json: linux.resources.devices[0].type: unknown device type 'z'" },
  { RES ("'memory':{'limit':'1G'}"), "config.json: linux.resources.memory.limit: expected an integer, got string" },
  { RES ("'memory':{'limit':9223372036854775808}"),
    "config.json: linux.resources.memory.limit: 9223372036854775808 out of range [-9223372036854775808, "
    "9223372036854775807]" },
  { RES ("'memory':{'swappiness':-1}"),
    "config.json: linux.resources.memory.swappiness: expected a non-negative integer, got negative number -1" },
  { RES ("'memory':{'disableOOMKiller':0}"),
    "config.json: linux.resources.memory.disableOOMKiller: expected a boolean, got number" },
  { RES ("'cpu':{'shares':1.0}"),
    "config.json: linux.resources.cpu.shares: expected a non-negative integer, got fractional number 1.0" },
  { RES ("'cpu':{'cpus':[0,1]}"), "config.json: linux.resources.cpu.cpus: expected a string, got array" },
  { RES ("'pids':{}"), "config.json: linux.resources.pids.limit: required" },
  { RES ("'pids':{'limit':'max'}"), "config.json: linux.resources.pids.limit: expected an integer, got string" },
  { RES ("'pids':5"), "config.json: linux.resources.pids: expected an object, got number" },
  { RES ("'blockIO':{'weight':65536}"),
    "config.json: linux.resources.blockIO.weight: 65536 out of range (maximum 65535)" },
  { RES ("'blockIO':{'throttleReadBpsDevice':[{'major':8}]}"),
    "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: required" },
  { RES ("'blockIO':{'weightDevice':[{'major':8,'minor':0,'leafWeight':-1}]}"),
    "config.json: linux.resources.blockIO.weightDevice[0].leafWeight: expected a non-negative integer, got "
    "negative number -1" },
  { RES ("'hugepageLimits':[{'pageSize':'2M','limit':1}]"),
    "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size '2M'" },
  { RES ("'hugepageLimits':[{'pageSize':'02MB','limit':1}]"),
    "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size '02MB'" },
  { RES ("'hugepageLimits':[{'pageSize':'2MB'}]"), "config.json: linux.resources.hugepageLimits[0].limit: required" },
  { RES ("'network':{'classID':-1}"),
    "config.json: linux.resources.network.classID: expected a non-negative integer, got negative number -1" },
  { RES ("'network':{'priorities':[{'name':'eth0'}]}"),
    "config.json: linux.resources.network.priorities[0].priority: required" },
  { RES ("'rdma':{'mlx5_1':{'hcaHandles':'x'}}"),
    "config.json: linux.resources.rdma.mlx5_1.hcaHandles: expected a non-negative integer, got string" },
  { RES ("'unified':{'memory.max':5}"), "config.json: linux.resources.unified.memory.max: expected a string, got number" },
  { LINUX ("'seccomp':{}"), "config.json: linux.seccomp.defaultAction: required" },
  { LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_FOO'}"),
    "config.json: linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_FOO'" },
  { SECCOMP ("'architectures':['x86']"),
    "config.json: linux.seccomp.architectures[0]: unknown seccomp architecture 'x86'" },
  { SECCOMP ("'flags':['FOO']"), "config.json: linux.seccomp.flags[0]: unknown seccomp flag 'FOO'" },
  { SECCOMP ("'defaultErrnoRet':-1"),
    "config.json: linux.seccomp.defaultErrnoRet: expected a non-negative integer, got negative number -1" },
  { SECCOMP ("'syscalls':[{'names':['read']}]"), "config.json: linux.seccomp.syscalls[0].action: required" },
  { SECCOMP ("'syscalls':[{'names':[],'action':'SCMP_ACT_ALLOW'}]"),
    "config.json: linux.seccomp.syscalls[0].names: must contain at least one entry" },
  { SECCOMP ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':1,'op':'EQ'}]}]"),
    "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'EQ'" },
  { SECCOMP ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]"),
    "config.json: linux.seccomp.syscalls[0].args[0].value: required" },
  { SECCOMP ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','errnoRet':-1}]"),
    "config.json: linux.seccomp.syscalls[0].errnoRet: expected a non-negative integer, got negative number -1" },
  { LINUX ("'timeOffsets':5"), "config.json: linux.timeOffsets: expected an object, got number" },
  { LINUX ("'timeOffsets':{'monotonic':{'secs':'1'}}"),
    "config.json: linux.timeOffsets.monotonic.secs: expected an integer, got string" },
  { LINUX ("'timeOffsets':{'boottime':{'nanosecs':4294967296}}"),
    "config.json: linux.timeOffsets.boottime.nanosecs: 4294967296 out of range (maximum 4294967295)" },
  { LINUX ("'netDevices':{'eth0':{'name':23}}"), "config.json: linux.netDevices.eth0.name: expected a string, got number" },
  { LINUX ("'netDevices':{'eth0':'x'}"), "config.json: linux.netDevices.eth0: expected an object, got string" },
  { LINUX ("'netDevices':{'eth0':{'name':'a/b'}}"),
    "config.json: linux.netDevices.eth0.name: invalid network interface name 'a/b'" },
  { LINUX ("'netDevices':{'this-name-is-too-long':{}}"),
    "config.json: linux.netDevices.this-name-is-too-long: invalid network interface name 'this-name-is-too-long'" },
  { LINUX ("'netDevices':[]"), "config.json: linux.netDevices: expected an object, got array" },
  { LINUX ("'personality':{}"), "config.json: linux.personality.domain: required" },
  { LINUX ("'personality':{'domain':'LINUX64'}"),
    "config.json: linux.personality.domain: unknown personality domain 'LINUX64'" },
  { LINUX ("'memoryPolicy':{'mode':'X'}"), "config.json: linux.memoryPolicy.mode: invalid memory policy mode 'X'" },
  { LINUX ("'memoryPolicy':{'mode':'MPOL_BIND','flags':['MPOL_F_X']}"),
    "config.json: linux.memoryPolicy.flags[0]: invalid memory policy flag 'MPOL_F_X'" },
  { LINUX ("'memoryPolicy':{'nodes':'0'}"),
    "config.json: linux.memoryPolicy.mode: invalid memory policy mode '': required" },
  { LINUX ("'intelRdt':{'memBwSchema':'L3:0=ff'}"),
    "config.json: linux.intelRdt.memBwSchema: must start with 'MB:', got 'L3:0=ff'" },
  { LINUX ("'intelRdt':{'schemata':['L3:0=ff\\nMB:0=1']}"),
    "config.json: linux.intelRdt.schemata[0]: must not contain a newline" },
  { LINUX ("'intelRdt':{'enableMonitoring':'yes'}"),
    "config.json: linux.intelRdt.enableMonitoring: expected a boolean, got string" },
  { LINUX ("'maskedPaths':['proc/kcore']"),
    "config.json: linux.maskedPaths[0]: expected an absolute path, got 'proc/kcore'" },
  { LINUX ("'readonlyPaths':'/proc'"), "config.json: linux.readonlyPaths: expected an array of strings, got string" },
  { LINUX ("'cgroupsPath':5"), "config.json: linux.cgroupsPath: expected a string, got number" },
  { LINUX ("'rootfsPropagation':5"), "config.json: linux.rootfsPropagation: expected a string, got number" },
  { LINUX ("'mountLabel':[]"), "config.json: linux.mountLabel: expected a string, got array" },
  /* ids: (uid_t) -1 is no user (setresuid leaves the id unchanged: root) */
  { USER ("'uid':4294967295"),
    "config.json: process.user.uid: 4294967295 is not a valid uid ((uid_t) -1 means 'unchanged' to the kernel)" },
  { USER ("'uid':0,'gid':4294967295"),
    "config.json: process.user.gid: 4294967295 is not a valid gid ((gid_t) -1 means 'unchanged' to the kernel)" },
  { USER ("'additionalGids':[0,4294967295]"),
    "config.json: process.user.additionalGids[1]: 4294967295 is not a valid gid ((gid_t) -1 means 'unchanged' to the kernel)" },
  { LINUX ("'uidMappings':[{'containerID':4294967294,'hostID':0,'size':2}]"),
    "config.json: linux.uidMappings[0]: containerID + size exceeds 4294967295" },
  { LINUX ("'gidMappings':[{'containerID':0,'hostID':4294967295,'size':1}]"),
    "config.json: linux.gidMappings[0]: hostID + size exceeds 4294967295" },
  { DOC ("'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1,'size':4294967295}]}]"),
    "config.json: mounts[0].uidMappings[0]: hostID + size exceeds 4294967295" },
  /* no comments */
  { "{'ociVersion':'1.0', /* c */ 'root':{'path':'r'}}",
    "config.json: parse error: found a comment (comments are not enabled) at line 1, column 22" },
  { "// c\n{'ociVersion':'1.0','root':{'path':'r'}}",
    "config.json: parse error: found a comment (comments are not enabled) at line 1, column 1" },
  /* strings are C strings: no NUL */
  { DOC ("'hostname':'box\\u0000evil'"), "config.json: hostname: contains \\u0000: a NUL character cannot be passed on" },
  { PROC ("'env':['A=1','B=x\\u0000y']"), "config.json: process.env[1]: contains \\u0000: a NUL character cannot be passed on" },
  { DOC ("'mounts':[{'destination':'/a'},{'destination':'/b','options':['ro','\\u0000']}]"),
    "config.json: mounts[1].options[1]: contains \\u0000: a NUL character cannot be passed on" },
  { DOC ("'annotations':{'a':'b','k\\u0000':'v'}"),
    "config.json: annotations: a key: contains \\u0000: a NUL character cannot be passed on" },
  /* strict UTF-8 */
  { DOC ("'hostname':'\xc0\xaf'"), "config.json: hostname: invalid UTF-8: an overlong encoding at byte 0" },
  { PROC ("'args':['sh','..\xc0\xaf..']"), "config.json: process.args[1]: invalid UTF-8: an overlong encoding at byte 2" },
  { DOC ("'mounts':[{'destination':'/a\xe0\x80\xaf'}]"),
    "config.json: mounts[0].destination: invalid UTF-8: an overlong encoding at byte 2" },
  { DOC ("'annotations':{'x':'\xf0\x80\x80\xaf'}"), "config.json: annotations.x: invalid UTF-8: an overlong encoding at byte 0" },
  { DOC ("'annotations':{'x':'\xed\xa0\x80'}"), "config.json: annotations.x: invalid UTF-8: a UTF-16 surrogate at byte 0" },
  { DOC ("'annotations':{'x':'\xf4\x90\x80\x80'}"),
    "config.json: annotations.x: invalid UTF-8: a code point beyond U+10FFFF at byte 0" },
  { DOC ("'annotations':{'\xc1\xbf':'x'}"), "config.json: annotations: a key: invalid UTF-8: an overlong encoding at byte 0" },
  { DOC ("'annotations':{'x':'\\ud800'}"), "config.json: annotations.x: invalid escape \\ud800: an unpaired UTF-16 surrogate" },
  { DOC ("'annotations':{'x':'a\\uD83D\\u0041'}"),
    "config.json: annotations.x: invalid escape \\uD83D: an unpaired UTF-16 surrogate" },
  { DOC ("'annotations':{'x':'\\\\ud800','y':'\\udc33'}"),
    "config.json: annotations.y: invalid escape \\udc33: an unpaired UTF-16 surrogate" },
  /* hostname and domainname: what sethostname takes, without control characters */
  { DOC ("'hostname':'box\\n127.0.0.1 evil'"), "config.json: hostname: contains the control character 0x0a" },
  { DOC ("'hostname':'box\\r'"), "config.json: hostname: contains the control character 0x0d" },
  { DOC ("'domainname':'a\\tb'"), "config.json: domainname: contains the control character 0x09" },
  { DOC ("'domainname':'a\\u007f'"), "config.json: domainname: contains the control character 0x7f" },
  { DOC ("'hostname':'12345678901234567890123456789012345678901234567890123456789012345'"),
    "config.json: hostname: longer than the 64 bytes the kernel takes: '12345678901234567890123456789012345678901234567890123456789012345'" },
};
/* `runc spec` (runc 1.1.5), with ' for " */
static const char RUNC_SPEC_Q[] =
  "{'ociVersion':'1.0.2-dev','process':{'terminal':true,'user':{'uid':0,'gid':0},'args':['sh'"
  "],'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm']"
  ",'cwd':'/','capabilities':{'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'"
  "],'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],'permitted':['CAP_AUDI"
  "T_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],'ambient':['CAP_AUDIT_WRITE','CAP_KILL','CAP_N"
  "ET_BIND_SERVICE']},'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPriv"
  "ileges':true},'root':{'path':'rootfs','readonly':true},'hostname':'runc','mounts':[{'desti"
  "nation':'/proc','type':'proc','source':'proc'},{'destination':'/dev','type':'tmpfs','sourc"
  "e':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']},{'destination':'/d"
  "ev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmx"
  "mode=0666','mode=0620','gid=5']},{'destination':'/dev/shm','type':'tmpfs','source':'shm','"
  "options':['nosuid','noexec','nodev','mode=1777','size=65536k']},{'destination':'/dev/mqueu"
  "e','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']},{'destination'"
  ":'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']},{'dest"
  "ination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','"
  "nodev','relatime','ro']}],'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}]"
  "},'namespaces':[{'type':'pid'},{'type':'network'},{'type':'ipc'},{'type':'uts'},{'type':'m"
  "ount'}],'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/laten"
  "cy_stats','/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/sys/firmware','/pro"
  "c/scsi'],'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trig"
  "ger']}}"
  ;
/* `runc spec --rootless` (runc 1.1.5), with ' for " */
static const char RUNC_SPEC_ROOTLESS_Q[] =
  "{'ociVersion':'1.0.2-dev','process':{'terminal':true,'user':{'uid':0,'gid':0},'args':['sh'"
  "],'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm']"
  ",'cwd':'/','capabilities':{'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'"
  "],'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],'permitted':['CAP_AUDI"
  "T_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],'ambient':['CAP_AUDIT_WRITE','CAP_KILL','CAP_N"
  "ET_BIND_SERVICE']},'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPriv"
  "ileges':true},'root':{'path':'rootfs','readonly':true},'hostname':'runc','mounts':[{'desti"
  "nation':'/proc','type':'proc','source':'proc'},{'destination':'/dev','type':'tmpfs','sourc"
  "e':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']},{'destination':'/d"
  "ev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmx"
  "mode=0666','mode=0620']},{'destination':'/dev/shm','type':'tmpfs','source':'shm','options'"
  ":['nosuid','noexec','nodev','mode=1777','size=65536k']},{'destination':'/dev/mqueue','type"
  "':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']},{'destination':'/sys',"
  "'type':'none','source':'/sys','options':['rbind','nosuid','noexec','nodev','ro']},{'destin"
  "ation':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','no"
  "dev','relatime','ro']}],'linux':{'uidMappings':[{'containerID':0,'hostID':0,'size':1}],'gi"
  "dMappings':[{'containerID':0,'hostID':0,'size':1}],'namespaces':[{'type':'pid'},{'type':'i"
  "pc'},{'type':'uts'},{'type':'mount'},{'type':'user'}],'maskedPaths':['/proc/acpi','/proc/a"
  "sound','/proc/kcore','/proc/keys','/proc/latency_stats','/proc/timer_list','/proc/timer_st"
  "ats','/proc/sched_debug','/sys/firmware','/proc/scsi'],'readonlyPaths':['/proc/bus','/proc"
  "/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}}"
  ;

static char *RUNC_SPEC, *RUNC_SPEC_ROOTLESS;

/* Documents that parse but break a cross-field rule. */
#define NS(...) "'namespaces':[" __VA_ARGS__ "]"
#define MNT "{'type':'mount'}"
#define MAPS "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]"

static const struct bad invalid_docs[] = {
  { LINUX ("'sysctl':{'net.ipv4.ip_forward':'1'}"),
    "config.json: linux.sysctl: sysctl 'net.ipv4.ip_forward' not allowed in host network namespace" },
  { LINUX (NS ("{'type':'network','path':'/proc/self/ns/net'}") ",'sysctl':{'net.core.somaxconn':'1'}"),
    "config.json: linux.sysctl: sysctl 'net.core.somaxconn' not allowed in host network namespace" },
  { LINUX ("'sysctl':{'net/ipv4/ip_forward':'1'}"),
    "config.json: linux.sysctl: sysctl 'net/ipv4/ip_forward' not allowed in host network namespace" },
  { LINUX (NS ("{'type':'network'}") ",'sysctl':{'kernel.shmmax':'1'}"),
    "config.json: linux.sysctl: sysctl 'kernel.shmmax' not allowed in host ipc namespace" },
  { LINUX ("'sysctl':{'fs.mqueue.msg_max':'1'}"),
    "config.json: linux.sysctl: sysctl 'fs.mqueue.msg_max' not allowed in host ipc namespace" },
  { LINUX (NS ("{'type':'uts'}") ",'sysctl':{'kernel.hostname':'x'}"),
    "config.json: linux.sysctl: sysctl 'kernel.hostname' not allowed, set hostname instead" },
  { LINUX (NS ("{'type':'uts'}") ",'sysctl':{'kernel.domainname':'x'}"),
    "config.json: linux.sysctl: sysctl 'kernel.domainname' not allowed, set domainname instead" },
  { LINUX (NS ("{'type':'ipc'},{'type':'network'}") ",'sysctl':{'vm.swappiness':'1'}"),
    "config.json: linux.sysctl: sysctl 'vm.swappiness' is not in a separate kernel namespace" },
  { LINUX (MAPS), "config.json: linux.uidMappings: requires a user namespace" },
  { LINUX ("'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]"),
    "config.json: linux.gidMappings: requires a user namespace" },
  { LINUX (NS ("{'type':'user'}")), "config.json: linux.uidMappings: required for a new user namespace" },
  { LINUX (NS ("{'type':'user'}") ",'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]"),
    "config.json: linux.gidMappings: required for a new user namespace" },
  { DOC ("'hostname':'box'"), "config.json: hostname: requires a new uts namespace" },
  { DOC ("'hostname':'box','linux':{" NS ("{'type':'pid'}") "}"), "config.json: hostname: requires a new uts namespace" },
  { DOC ("'domainname':'example.org'"), "config.json: domainname: requires a new uts namespace" },
  { LINUX ("'timeOffsets':{'monotonic':{'secs':1}}"), "config.json: linux.timeOffsets: requires a new time namespace" },
  { LINUX (NS ("{'type':'time','path':'/proc/1/ns/time'}") ",'timeOffsets':{'boottime':{'secs':1}}"),
    "config.json: linux.timeOffsets: requires a new time namespace" },
  { LINUX ("'rootfsPropagation':'foo'"), "config.json: linux.rootfsPropagation: unknown propagation 'foo'" },
  { LINUX ("'rootfsPropagation':''"), "config.json: linux.rootfsPropagation: unknown propagation ''" },
  { LINUX ("'netDevices':{'eth0':{}}"),
    "config.json: linux.netDevices: requires a private network namespace" },
  { PROC ("'rlimits':[" RL ("RLIMIT_NOFILE", "10", "20") "]"),
    "config.json: process.rlimits[0]: soft limit exceeds hard limit" },
  { DOC ("'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':0,'size':1}]}]"),
    "config.json: mounts[0]: an idmapped mount needs both uidMappings and gidMappings" },
  { LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/s'}"),
    "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
  { SECCOMP ("'syscalls':[{'names':['mount'],'action':'SCMP_ACT_NOTIFY'}]"),
    "config.json: linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY" },
  { SECCOMP ("'listenerMetadata':'m'"), "config.json: linux.seccomp.listenerMetadata: requires listenerPath" },
  { LINUX (NS ("{'type':'pid'},{'type':'uts'}") ",'maskedPaths':['/proc/kcore']"),
    "config.json: linux.namespaces: a mount namespace is required for linux.maskedPaths (without one it could not apply)" },
  { LINUX (NS ("{'type':'pid'}") ",'readonlyPaths':['/proc/sys']"),
    "config.json: linux.namespaces: a mount namespace is required for linux.readonlyPaths (without one it could not apply)" },
};

/* Documents that parse and validate. */
static const char *const valid_docs[] = {
  LINUX (NS (MNT)),
  LINUX (NS (MNT ",{'type':'network'},{'type':'ipc'}") ",'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'1','kernel.msgmax':'1','kernel.sem':'1 2 3 4','fs.mqueue.msg_max':'10','kernel.shm_rmid_forced':'1'}"),
  LINUX (NS (MNT ",{'type':'network','path':'/run/netns/does-not-exist'}") ",'sysctl':{'net.core.somaxconn':'1'}"),
  LINUX (NS (MNT ",{'type':'user','path':'/proc/1/ns/user'}")),
  LINUX (NS (MNT ",{'type':'user','path':'/proc/1/ns/user'}") "," MAPS),
  LINUX (NS (MNT ",{'type':'user'}") "," MAPS),
  DOC ("'hostname':'box','domainname':'d','linux':{" NS (MNT ",{'type':'uts'}") "}"),
  DOC ("'hostname':'box','linux':{" NS (MNT ",{'type':'uts','path':'/proc/1/ns/uts'}") "}"),
  DOC ("'hostname':'','linux':{" NS (MNT) "}"),
  LINUX (NS (MNT ",{'type':'time'}") ",'timeOffsets':{'monotonic':{'secs':1},'boottime':{'nanosecs':5}}"),
  LINUX (NS (MNT ",{'type':'network'}") ",'netDevices':{'eth0':{'name':'c%d'}}"),
  LINUX (NS (MNT) ",'rootfsPropagation':'shared'"), LINUX (NS (MNT) ",'rootfsPropagation':'slave'"),
  LINUX (NS (MNT) ",'rootfsPropagation':'private'"), LINUX (NS (MNT) ",'rootfsPropagation':'unbindable'"),
  LINUX (NS (MNT) ",'rootfsPropagation':'rshared'"), LINUX (NS (MNT) ",'rootfsPropagation':'rslave'"),
  LINUX (NS (MNT) ",'rootfsPropagation':'rprivate'"), LINUX (NS (MNT) ",'rootfsPropagation':'runbindable'"),
  DOC ("'process':{'cwd':'/','args':['sh'],'rlimits':[" RL ("RLIMIT_NOFILE", "20", "20") "]},'linux':{" NS (MNT) "}"),
  LINUX (NS (MNT) ",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/s','listenerMetadata':'m','syscalls':[{'names':['mount'],'action':'SCMP_ACT_NOTIFY'}]}"),
};

/* --- good documents, checked field by field ------------------------------ */


#define EXPECT(cond)                                                                      \
  do                                                                                      \
    {                                                                                     \
      if (!(cond))                                                                        \
        {                                                                                 \
          printf ("# %s:%d: %s\n", __FILE__, __LINE__, #cond);                            \
          good = false;                                                                   \
        }                                                                                 \
    }                                                                                     \
  while (0)

static bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static size_t
strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static struct oci_config *
must_parse (const char *doc, size_t len, const char *what)
{
  struct husk_error *e = NULL;
  struct oci_config *c = oci_config_parse (doc, len, &e);
  if (c == NULL)
    {
      char *t = err_text (e);
      printf ("# %s: %s\n", what, t);
      free (t);
      husk_error_free (e);
    }
  return c;
}

static bool
validates (const struct oci_config *c)
{
  struct husk_error *e = NULL;
  if (oci_config_validate (c, &e) == 0)
    return true;
  char *t = err_text (e);
  printf ("# validate: %s\n", t);
  free (t);
  husk_error_free (e);
  return false;
}

static const char *
kv_get (const struct oci_kv *kv, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (streq (kv[i].key, key))
      return kv[i].value;
  return NULL;
}

static void
test_runc_spec (void)
{
  bool good = true;
  struct oci_config *c = must_parse (RUNC_SPEC, strlen (RUNC_SPEC), "runc spec");
  struct oci_process *p;
  struct oci_linux *l;

  if (c == NULL)
    return result (false, "runc spec default config parses");
  p = c->process;
  l = c->linux_;
  EXPECT (streq (c->oci_version, "1.0.2-dev"));
  EXPECT (streq (c->root->path, "rootfs") && c->root->readonly);
  EXPECT (streq (c->hostname, "runc"));
  EXPECT (p && p->terminal && p->user.uid == 0 && p->user.gid == 0);
  EXPECT (strv_len (p->args) == 1 && streq (p->args[0], "sh"));
  EXPECT (strv_len (p->env) == 2 && streq (p->env[1], "TERM=xterm"));
  EXPECT (streq (p->cwd, "/"));
  EXPECT (p->capabilities && strv_len (p->capabilities->bounding) == 3
          && streq (p->capabilities->bounding[1], "CAP_KILL"));
  EXPECT (strv_len (p->capabilities->ambient) == 3 && p->capabilities->inheritable == NULL);
  EXPECT (p->rlimits_len == 1 && streq (p->rlimits[0].type, "RLIMIT_NOFILE")
          && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].hard == 1024
          && p->rlimits[0].soft == 1024);
  EXPECT (p->no_new_privileges);
  EXPECT (c->mounts_len == 7 && streq (c->mounts[0].destination, "/proc")
          && streq (c->mounts[0].type, "proc") && streq (c->mounts[0].source, "proc")
          && c->mounts[0].options == NULL);
  EXPECT (streq (c->mounts[1].destination, "/dev") && strv_len (c->mounts[1].options) == 4
          && streq (c->mounts[1].options[3], "size=65536k"));
  EXPECT (l && l->namespaces_len == 5 && l->namespaces[0].type == OCI_NS_PID
          && l->namespaces[1].type == OCI_NS_NETWORK && l->namespaces[4].type == OCI_NS_MOUNT
          && l->namespaces[0].path == NULL);
  EXPECT (strv_len (l->masked_paths) == 10 && strv_len (l->readonly_paths) == 5);
  EXPECT (l->resources && l->resources->devices_len == 1 && !l->resources->devices[0].allow
          && streq (l->resources->devices[0].access, "rwm") && l->resources->devices[0].type == NULL);
  EXPECT (c->hooks == NULL && c->annotations_len == 0 && l->seccomp == NULL);
  EXPECT (validates (c));
  result (good, "runc spec default config: every field");
  oci_config_free (c);
}

static void
test_runc_rootless (void)
{
  bool good = true;
  struct oci_config *c
      = must_parse (RUNC_SPEC_ROOTLESS, strlen (RUNC_SPEC_ROOTLESS), "runc spec --rootless");
  struct oci_linux *l;

  if (c == NULL)
    return result (false, "runc spec --rootless parses");
  l = c->linux_;
  EXPECT (l->uid_mappings_len == 1 && l->uid_mappings[0].container_id == 0
          && l->uid_mappings[0].size == 1);
  EXPECT (l->gid_mappings_len == 1 && l->gid_mappings[0].size == 1);
  EXPECT (oci_config_namespace (c, OCI_NS_USER) != NULL
          && oci_config_namespace (c, OCI_NS_NETWORK) == NULL);
  EXPECT (l->resources == NULL);
  EXPECT (c->mounts_len == 7 && streq (c->mounts[6].destination, "/sys/fs/cgroup"));
  EXPECT (validates (c));
  result (good, "runc spec --rootless: mappings, namespaces, validates");
  oci_config_free (c);
}

static const char FULL_DOC[] = "{'ociVersion':'1.3.0',"
  "'root':{'path':'/rootfs','readonly':true},"
  "'hostname':'box','domainname':'example.org',"
  "'mounts':[{'destination':'/proc','type':'proc','source':'proc','options':['nosuid','noexec']},"
  "  {'destination':'data','type':'bind','source':'/srv','options':['rbind','idmap'],"
  "   'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
  "   'gidMappings':[{'containerID':0,'hostID':200000,'size':65536}]}],"
  "'process':{'terminal':true,'consoleSize':{'height':24,'width':80},"
  "  'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,4294967294],'username':'u'},"
  "  'args':['/bin/sh','-c','echo hi'],'commandLine':'cmd','env':['PATH=/bin','A=b'],'cwd':'/home',"
  "  'capabilities':{'bounding':['CAP_CHOWN','CAP_KILL'],'effective':['CAP_KILL','cap_future'],'inheritable':[],"
  "    'permitted':['CAP_CHOWN','CAP_KILL'],'ambient':['CAP_NET_BIND_SERVICE']},"
  "  'rlimits':[{'type':'RLIMIT_NOFILE','hard':4096,'soft':1024},"
  "    {'type':'RLIMIT_CORE','hard':18446744073709551615,'soft':0}],"
  "  'noNewPrivileges':true,'apparmorProfile':'aa','oomScoreAdj':-500,"
  "  'selinuxLabel':'system_u:system_r:container_t:s0',"
  "  'scheduler':{'policy':'SCHED_DEADLINE','nice':-5,'priority':0,'flags':['SCHED_FLAG_RESET_ON_FORK'],"
  "    'runtime':1000000,'deadline':2000000,'period':3000000},"
  "  'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':4},"
  "  'execCPUAffinity':{'initial':'0-3','final':'1,2'}},"
  "'hooks':{'prestart':[{'path':'/bin/pre','args':['pre','x'],'env':['K=V'],'timeout':5}],"
  "  'createRuntime':[{'path':'/bin/cr'}],'createContainer':[{'path':'/bin/cc'}],"
  "  'startContainer':[{'path':'/bin/sc'}],'poststart':[{'path':'/bin/ps'}],"
  "  'poststop':[{'path':'/bin/pst'},{'path':'/bin/pst2'}]},"
  "'annotations':{'org.example.key':'value','x':''},"
  "'linux':{"
  "  'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
  "  'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
  "  'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'4096','fs.mqueue.msg_max':'10'},"
  "  'resources':{"
  "    'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':1,'minor':3,'access':'rw'}],"
  "    'memory':{'limit':536870912,'reservation':268435456,'swap':-1,'kernel':0,'kernelTCP':1,"
  "      'swappiness':60,'disableOOMKiller':true,'useHierarchy':false,'checkBeforeUpdate':true},"
  "    'cpu':{'shares':1024,'quota':-1,'burst':1000,'period':100000,'realtimeRuntime':950000,"
  "      'realtimePeriod':1000000,'cpus':'0-1','mems':'0','idle':1},"
  "    'pids':{'limit':-1},"
  "    'blockIO':{'weight':500,'leafWeight':300,'weightDevice':[{'major':8,'minor':0,'weight':600},"
  "      {'major':8,'minor':16,'leafWeight':10}],"
  "      'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':104857600}],"
  "      'throttleWriteBpsDevice':[{'major':8,'minor':0,'rate':1}],"
  "      'throttleReadIOPSDevice':[{'major':8,'minor':0,'rate':2}],"
  "      'throttleWriteIOPSDevice':[{'major':8,'minor':0,'rate':3}]},"
  "    'hugepageLimits':[{'pageSize':'2MB','limit':209715200},{'pageSize':'1GB','limit':0}],"
  "    'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':500}]},"
  "    'rdma':{'mlx5_1':{'hcaHandles':3,'hcaObjects':10000},'mlx4_0':{}},"
  "    'unified':{'memory.high':'1G','io.weight':'default 100'}},"
  "  'cgroupsPath':'/husk/test',"
  "  'namespaces':[{'type':'pid'},{'type':'network'},{'type':'mount'},{'type':'ipc'},{'type':'uts'},"
  "    {'type':'user'},{'type':'cgroup'},{'type':'time'}],"
  "  'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,'fileMode':438,'uid':0,'gid':0},"
  "    {'type':'p','path':'/dev/fifo'}],"
  "  'netDevices':{'eth1':{'name':'ceth1'},'eth2':{}},"
  "  'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
  "    'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"
  "    'listenerPath':'/run/seccomp.sock','listenerMetadata':'meta',"
  "    'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
  "      {'names':['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':38,"
  "       'args':[{'index':0,'value':18446744073709551615,'valueTwo':1,'op':'SCMP_CMP_MASKED_EQ'}]},"
  "      {'names':['mount'],'action':'SCMP_ACT_NOTIFY'}]},"
  "  'rootfsPropagation':'rslave',"
  "  'maskedPaths':['/proc/kcore'],'readonlyPaths':['/proc/sys'],"
  "  'mountLabel':'system_u:object_r:container_file_t:s0',"
  "  'intelRdt':{'closID':'guaranteed','l3CacheSchema':'L3:0=7f0','memBwSchema':'MB:0=20',"
  "    'schemata':['L2:0=ff'],'enableMonitoring':true},"
  "  'personality':{'domain':'LINUX32','flags':[]},"
  "  'timeOffsets':{'monotonic':{'secs':-86400,'nanosecs':500},'boottime':{'secs':9223372036854775807}},"
  "  'memoryPolicy':{'mode':'MPOL_INTERLEAVE','nodes':'0-3','flags':['MPOL_F_STATIC_NODES']}},"
  "'unknownTopLevel':{'ignored':[1,2,3]}}";

static bool
check_full_process (const struct oci_process *p)
{
  bool good = true;

  EXPECT (p->terminal && p->has_console_size && p->console_size.height == 24
          && p->console_size.width == 80);
  EXPECT (p->user.uid == 1000 && p->user.gid == 1001 && p->user.has_umask && p->user.umask == 18);
  EXPECT (p->user.additional_gids_len == 2 && p->user.additional_gids[1] == 4294967294u);
  EXPECT (streq (p->user.username, "u") && streq (p->command_line, "cmd"));
  EXPECT (strv_len (p->args) == 3 && streq (p->args[2], "echo hi") && strv_len (p->env) == 2);
  EXPECT (streq (p->cwd, "/home"));
  /* Names runc does not know parse: the init ignores them with a warning. */
  EXPECT (strv_len (p->capabilities->bounding) == 2 && strv_len (p->capabilities->effective) == 2
          && streq (p->capabilities->effective[1], "cap_future"));
  EXPECT (p->capabilities->inheritable != NULL && p->capabilities->inheritable[0] == NULL);
  EXPECT (strv_len (p->capabilities->permitted) == 2
          && streq (p->capabilities->ambient[0], "CAP_NET_BIND_SERVICE"));
  EXPECT (p->rlimits_len == 2 && p->rlimits[0].hard == 4096 && p->rlimits[0].soft == 1024);
  EXPECT (p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX
          && p->rlimits[1].soft == 0);
  EXPECT (p->no_new_privileges && streq (p->apparmor_profile, "aa"));
  EXPECT (p->has_oom_score_adj && p->oom_score_adj == -500);
  EXPECT (streq (p->selinux_label, "system_u:system_r:container_t:s0"));
  EXPECT (streq (p->scheduler->policy, "SCHED_DEADLINE") && p->scheduler->has_nice
          && p->scheduler->nice == -5 && p->scheduler->has_priority && p->scheduler->priority == 0);
  EXPECT (strv_len (p->scheduler->flags) == 1 && p->scheduler->has_runtime
          && p->scheduler->runtime == 1000000 && p->scheduler->deadline == 2000000
          && p->scheduler->period == 3000000 && p->scheduler->has_period);
  EXPECT (streq (p->io_priority->klass, "IOPRIO_CLASS_BE") && p->io_priority->priority == 4);
  EXPECT (streq (p->exec_cpu_affinity->initial, "0-3") && streq (p->exec_cpu_affinity->final, "1,2"));
  return good;
}

static bool
check_full_resources (const struct oci_resources *r)
{
  bool good = true;

  EXPECT (r->devices_len == 2 && !r->devices[0].allow && !r->devices[0].has_major);
  EXPECT (r->devices[1].allow && streq (r->devices[1].type, "c") && r->devices[1].has_major
          && r->devices[1].major == 1 && r->devices[1].minor == 3 && streq (r->devices[1].access, "rw"));
  EXPECT (r->memory->has_limit && r->memory->limit == 536870912 && r->memory->reservation == 268435456);
  EXPECT (r->memory->has_swap && r->memory->swap == -1 && r->memory->has_kernel && r->memory->kernel == 0);
  EXPECT (r->memory->kernel_tcp == 1 && r->memory->swappiness == 60 && r->memory->has_swappiness);
  EXPECT (r->memory->has_disable_oom_killer && r->memory->disable_oom_killer);
  EXPECT (r->memory->has_use_hierarchy && !r->memory->use_hierarchy && r->memory->check_before_update);
  EXPECT (r->cpu->shares == 1024 && r->cpu->has_quota && r->cpu->quota == -1 && r->cpu->burst == 1000);
  EXPECT (r->cpu->period == 100000 && r->cpu->realtime_runtime == 950000
          && r->cpu->realtime_period == 1000000 && r->cpu->has_idle && r->cpu->idle == 1);
  EXPECT (streq (r->cpu->cpus, "0-1") && streq (r->cpu->mems, "0"));
  EXPECT (r->has_pids_limit && r->pids_limit == -1);
  EXPECT (r->block_io->has_weight && r->block_io->weight == 500 && r->block_io->leaf_weight == 300);
  EXPECT (r->block_io->weight_device_len == 2 && r->block_io->weight_device[0].has_weight
          && r->block_io->weight_device[0].weight == 600
          && !r->block_io->weight_device[0].has_leaf_weight
          && r->block_io->weight_device[1].minor == 16 && r->block_io->weight_device[1].leaf_weight == 10);
  EXPECT (r->block_io->throttle_read_bps_len == 1 && r->block_io->throttle_read_bps[0].rate == 104857600);
  EXPECT (r->block_io->throttle_write_bps[0].rate == 1 && r->block_io->throttle_read_iops[0].rate == 2
          && r->block_io->throttle_write_iops_len == 1 && r->block_io->throttle_write_iops[0].rate == 3);
  EXPECT (r->hugepage_limits_len == 2 && streq (r->hugepage_limits[1].page_size, "1GB")
          && r->hugepage_limits[0].limit == 209715200);
  EXPECT (r->has_net_class_id && r->net_class_id == 1048577 && r->net_priorities_len == 1
          && streq (r->net_priorities[0].name, "eth0") && r->net_priorities[0].priority == 500);
  EXPECT (r->rdma_len == 2 && streq (r->rdma[0].device, "mlx5_1") && r->rdma[0].has_hca_handles
          && r->rdma[0].hca_handles == 3 && r->rdma[0].hca_objects == 10000 && !r->rdma[1].has_hca_handles);
  EXPECT (r->unified_len == 2 && streq (kv_get (r->unified, r->unified_len, "io.weight"), "default 100"));
  return good;
}

static bool
check_full_linux (const struct oci_linux *l)
{
  bool good = true;

  EXPECT (l->uid_mappings_len == 1 && l->uid_mappings[0].host_id == 100000
          && l->uid_mappings[0].size == 65536 && l->gid_mappings_len == 1);
  EXPECT (l->sysctl_len == 3 && streq (kv_get (l->sysctl, l->sysctl_len, "kernel.shmmax"), "4096"));
  EXPECT (streq (l->cgroups_path, "/husk/test"));
  EXPECT (l->namespaces_len == 8 && l->namespaces[5].type == OCI_NS_USER
          && l->namespaces[7].type == OCI_NS_TIME && l->namespaces[6].type == OCI_NS_CGROUP);
  EXPECT (l->devices_len == 2 && streq (l->devices[0].type, "c") && streq (l->devices[0].path, "/dev/fuse")
          && l->devices[0].major == 10 && l->devices[0].minor == 229);
  EXPECT (l->devices[0].has_file_mode && l->devices[0].file_mode == 0666 && l->devices[0].has_uid
          && l->devices[0].has_gid && !l->devices[1].has_file_mode && streq (l->devices[1].type, "p"));
  EXPECT (l->net_devices_len == 2 && streq (l->net_devices[0].host_name, "eth1")
          && streq (l->net_devices[0].name, "ceth1") && l->net_devices[1].name == NULL);
  EXPECT (streq (l->seccomp->default_action, "SCMP_ACT_ERRNO") && l->seccomp->has_default_errno_ret
          && l->seccomp->default_errno_ret == 1 && strv_len (l->seccomp->architectures) == 2);
  EXPECT (strv_len (l->seccomp->flags) == 1 && streq (l->seccomp->listener_path, "/run/seccomp.sock")
          && streq (l->seccomp->listener_metadata, "meta") && l->seccomp->syscalls_len == 3);
  EXPECT (strv_len (l->seccomp->syscalls[0].names) == 2 && !l->seccomp->syscalls[0].has_errno_ret);
  EXPECT (l->seccomp->syscalls[1].has_errno_ret && l->seccomp->syscalls[1].errno_ret == 38
          && l->seccomp->syscalls[1].args_len == 1 && l->seccomp->syscalls[1].args[0].value == UINT64_MAX
          && l->seccomp->syscalls[1].args[0].value_two == 1
          && streq (l->seccomp->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ"));
  EXPECT (streq (l->rootfs_propagation, "rslave") && strv_len (l->masked_paths) == 1
          && streq (l->readonly_paths[0], "/proc/sys"));
  EXPECT (streq (l->mount_label, "system_u:object_r:container_file_t:s0"));
  EXPECT (streq (l->intel_rdt->clos_id, "guaranteed") && streq (l->intel_rdt->l3_cache_schema, "L3:0=7f0")
          && streq (l->intel_rdt->mem_bw_schema, "MB:0=20") && strv_len (l->intel_rdt->schemata) == 1
          && l->intel_rdt->enable_monitoring && !l->intel_rdt->enable_cmt);
  EXPECT (streq (l->personality->domain, "LINUX32") && l->personality->flags
          && l->personality->flags[0] == NULL);
  EXPECT (l->has_time_offsets_monotonic && l->time_offset_monotonic.secs == -86400
          && l->time_offset_monotonic.nanosecs == 500 && l->has_time_offsets_boottime
          && l->time_offset_boottime.secs == INT64_MAX);
  EXPECT (streq (l->memory_policy->mode, "MPOL_INTERLEAVE") && streq (l->memory_policy->nodes, "0-3")
          && strv_len (l->memory_policy->flags) == 1);
  return good;
}

static void
test_full (void)
{
  bool good = true;
  char *doc = q (FULL_DOC);
  struct oci_config *c = must_parse (doc, strlen (doc), "full document");
  struct oci_hooks *h;

  free (doc);
  if (c == NULL)
    return result (false, "a config with every field parses");
  EXPECT (streq (c->oci_version, "1.3.0") && streq (c->root->path, "/rootfs") && c->root->readonly);
  EXPECT (streq (c->hostname, "box") && streq (c->domainname, "example.org"));
  EXPECT (c->mounts_len == 2 && strv_len (c->mounts[0].options) == 2);
  EXPECT (streq (c->mounts[1].destination, "data") && c->mounts[1].uid_mappings_len == 1
          && c->mounts[1].gid_mappings[0].host_id == 200000);
  h = c->hooks;
  EXPECT (h->prestart_len == 1 && streq (h->prestart[0].path, "/bin/pre")
          && strv_len (h->prestart[0].args) == 2 && streq (h->prestart[0].env[0], "K=V")
          && h->prestart[0].has_timeout && h->prestart[0].timeout == 5);
  EXPECT (h->create_runtime_len == 1 && !h->create_runtime[0].has_timeout
          && h->create_container_len == 1 && h->start_container_len == 1 && h->poststart_len == 1
          && h->poststop_len == 2 && streq (h->poststop[1].path, "/bin/pst2"));
  EXPECT (c->annotations_len == 2 && streq (kv_get (c->annotations, 2, "x"), ""));
  EXPECT (check_full_process (c->process));
  EXPECT (check_full_resources (c->linux_->resources));
  EXPECT (check_full_linux (c->linux_));
  EXPECT (validates (c));
  result (good, "a config with every field: every value");
  oci_config_free (c);
}

static void
test_minimal (void)
{
  bool good = true;
  static const char doc[] = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\"}}";
  struct oci_config *c = must_parse (doc, strlen (doc), "minimal");
  if (c == NULL)
    return result (false, "minimal config parses");
  EXPECT (streq (c->oci_version, "1.0.0") && streq (c->root->path, "rootfs") && !c->root->readonly);
  EXPECT (c->process == NULL && c->linux_ == NULL && c->hooks == NULL && c->mounts == NULL
          && c->mounts_len == 0 && c->hostname == NULL && c->annotations == NULL);
  EXPECT (oci_config_namespace (c, OCI_NS_PID) == NULL);
  /* Without a mount namespace nothing asks for one: it runs chroot'ed (runc's). */
  EXPECT (validates (c));
  result (good, "minimal config: ociVersion and root only");
  oci_config_free (c);
}

static void
test_parse_q (const char *doc, const char *desc, bool (*check) (const struct oci_config *))
{
  struct husk_error *e = NULL;
  struct oci_config *c = parse_q (doc, &e);
  bool good = c != NULL;

  if (c == NULL)
    {
      char *t = err_text (e);
      printf ("# %s\n", t);
      free (t);
      husk_error_free (e);
    }
  else
    good = check (c);
  result (good, "%s", desc);
  oci_config_free (c);
}

/* The same for a document written with real double quotes. */
static void
test_parse_raw (const char *doc, const char *desc, bool (*check) (const struct oci_config *))
{
  struct oci_config *c = must_parse (doc, strlen (doc), desc);
  result (c != NULL && check (c), "%s", desc);
  oci_config_free (c);
}

static bool
check_rlimit_max (const struct oci_config *c)
{
  bool good = true;
  const struct oci_process *p = c->process;
  EXPECT (p->rlimits_len == 2 && p->rlimits[0].hard == 18446744073709551615ull
          && p->rlimits[0].soft == 18446744073709551615ull && p->rlimits[0].resource == RLIMIT_MEMLOCK);
  EXPECT (p->rlimits[1].hard == 9223372036854775808ull && p->rlimits[1].soft == 0
          && p->rlimits[1].resource == RLIMIT_RTTIME);
  return good;
}

static bool
check_nulls (const struct oci_config *c)
{
  bool good = true;
  const struct oci_process *p = c->process;
  EXPECT (!p->terminal && p->env == NULL && p->capabilities == NULL && p->rlimits == NULL
          && !p->has_oom_score_adj && !p->has_console_size && !p->user.has_umask);
  EXPECT (c->hooks == NULL && c->hostname == NULL && c->annotations_len == 0);
  EXPECT (c->linux_->seccomp == NULL && c->linux_->resources == NULL && c->linux_->namespaces_len == 0
          && !c->linux_->has_time_offsets_monotonic);
  return good;
}

static bool
check_unknown (const struct oci_config *c)
{
  bool good = true;
  EXPECT (streq (c->process->args[0], "sh") && c->process->user.uid == 7);
  EXPECT (c->linux_->namespaces_len == 1 && c->linux_->namespaces[0].type == OCI_NS_MOUNT);
  EXPECT (c->linux_->resources->memory->limit == 10 && c->mounts_len == 1);
  return good;
}

static bool
check_ns_paths (const struct oci_config *c)
{
  bool good = true;
  const struct oci_namespace *net = oci_config_namespace (c, OCI_NS_NETWORK);
  const struct oci_namespace *ipc = oci_config_namespace (c, OCI_NS_IPC);
  EXPECT (net && net->path == NULL);
  EXPECT (ipc && streq (ipc->path, "/proc/1/ns/ipc"));
  EXPECT (oci_config_namespace (c, OCI_NS_CGROUP) == &c->linux_->namespaces[2]);
  EXPECT (oci_config_namespace (c, OCI_NS_TIME) == NULL);
  return good;
}

static bool
check_extremes (const struct oci_config *c)
{
  bool good = true;
  const struct oci_resources *r = c->linux_->resources;
  EXPECT (r->memory->limit == INT64_MIN && r->cpu->quota == INT64_MAX);
  EXPECT (c->process->user.uid == UINT32_MAX - 1 && c->process->user.gid == 0);
  EXPECT (c->process->oom_score_adj == -1000 && c->process->scheduler->nice == INT32_MIN);
  EXPECT (c->process->scheduler->priority == INT32_MAX);
  EXPECT (r->block_io->weight == 65535 && r->block_io->leaf_weight == 0);
  EXPECT (c->linux_->devices[0].major == -1 && c->linux_->devices[0].minor == INT64_MAX);
  return good;
}

static bool
check_repeated (const struct oci_config *c)
{
  bool good = true;
  EXPECT (streq (c->oci_version, "1.0.2") && streq (c->hostname, "second"));
  return good;
}

static bool
check_unicode (const struct oci_config *c)
{
  bool good = true;
  EXPECT (streq (c->hostname, "caf\xc3\xa9"));
  EXPECT (streq (c->process->args[0], "a \"quoted\"\targ\\"));
  EXPECT (c->annotations_len == 1 && streq (c->annotations[0].key, "k\xe2\x82\xac")
          && streq (c->annotations[0].value, "\xf0\x9f\x90\xb3"));
  return good;
}

/* A document of about 10 MB: 2000 annotations of 5000 bytes each, and an env
 * list of n entries.  (A huge count rather than a huge size is what would show
 * an array that grows one element at a time.) */
static char *
big_doc (size_t *len_out, size_t n)
{
  size_t cap = 128 + 2000 * 5100 + n * 40, len = 0;
  char *buf = malloc (cap);
  char value[5001];

  if (buf == NULL)
    abort ();
  memset (value, 'v', 5000);
  value[5000] = '\0';
  len += (size_t) sprintf (buf + len, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"annotations\":{");
  for (size_t i = 0; i < 2000; i++)
    len += (size_t) sprintf (buf + len, "%s\"org.example.annotation.%zu\":\"%zu-%s\"", i ? "," : "", i, i,
                             value);
  len += (size_t) sprintf (buf + len, "},\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"env\":[");
  for (size_t i = 0; i < n; i++)
    len += (size_t) sprintf (buf + len, "%s\"VARIABLE_%zu=some-value\"", i ? "," : "", i);
  len += (size_t) sprintf (buf + len, "]}}");
  *len_out = len;
  return buf;
}

static void
test_big (void)
{
  bool good = true;
  size_t n = 20000, len;
  char *doc = big_doc (&len, n);
  struct oci_config *c = must_parse (doc, len, "10 MB document");

  free (doc);
  if (c == NULL)
    return result (false, "a 10 MB document parses");
  EXPECT (len > 10 * 1000 * 1000);
  EXPECT (c->annotations_len == 2000 && streq (c->annotations[1999].key, "org.example.annotation.1999"));
  EXPECT (strlen (c->annotations[5].value) == 5002 && strncmp (c->annotations[5].value, "5-vvv", 5) == 0);
  EXPECT (strv_len (c->process->env) == n && streq (c->process->env[n - 1], "VARIABLE_19999=some-value"));
  result (good, "a %zu-byte document (2000 annotations of 5 kB, 20000 env entries) parses", len);
  oci_config_free (c);
}

static void
expect_error (const char *doc, size_t len, const char *want, const char *desc)
{
  struct husk_error *e = NULL;
  struct oci_config *c = oci_config_parse (doc, len, &e);
  char *t = err_text (e);
  bool good = c == NULL && strcmp (t, want) == 0;

  if (!good)
    printf ("# got:  %s\n# want: %s\n", c ? "(parsed)" : t, want);
  result (good, "%s", desc);
  free (t);
  husk_error_free (e);
  oci_config_free (c);
}

static void
test_deep_and_nul (void)
{
  size_t n = 20000;
  char *doc = malloc (n * 2 + 64);
  size_t len = 0;

  if (doc == NULL)
    abort ();
  len += (size_t) sprintf (doc, "{\"ociVersion\":\"1\",\"x\":");
  memset (doc + len, '[', n);
  len += n;
  memset (doc + len, ']', n);
  len += n;
  doc[len++] = '}';
  expect_error (doc, len, "config.json: parse error: nested deeper than 256 levels at line 1, column 278",
                "20000 nested arrays are refused before building the tree");
  free (doc);

  static const char with_nul[] = "{\"ociVersion\":\"1\"}\0garbage";
  expect_error (with_nul, sizeof with_nul - 1,
                "config.json: parse error: the document contains a NUL byte at line 1, column 19",
                "a NUL byte is refused");

  /* Brackets inside strings do not count as nesting. */
  char *s = q (DOC ("'annotations':{'a':'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\'{'}"));
  struct husk_error *e = NULL;
  struct oci_config *c = oci_config_parse (s, strlen (s), &e);
  result (c != NULL && c->annotations_len == 1, "brackets inside strings are not nesting");
  husk_error_free (e);
  oci_config_free (c);
  free (s);
}

/* A huge value quoted in an error is elided in its middle: the path, the reason
 * and both ends of the value stay, and the message is never cut at the end. */
static void
test_elision (void)
{
  size_t n = 100000;
  char *big = malloc (n + 1), *doc = NULL, *t;
  struct husk_error *e = NULL;
  struct oci_config *c;
  bool good;

  if (big == NULL)
    abort ();
  memset (big, 'A', n);
  big[n] = '\0';
  big[n - 1] = 'Z';
  if (asprintf (&doc, "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\","
                      "\"args\":[\"sh\"]},\"hostname\":\"H%s\"}", big) < 0)
    abort ();
  c = oci_config_parse (doc, strlen (doc), &e);
  t = err_text (e);
  good = c == NULL && strlen (t) < 1200
         && strncmp (t, "config.json: hostname: longer than the 64 bytes the kernel takes: \"HAAA", 71) == 0
         && strstr (t, "AAA[... 99") && strstr (t, " bytes elided ...]AAA")
         && strcmp (t + strlen (t) - 5, "AAAZ\"") == 0;
  if (!good)
    printf ("# got: %.300s ... %s\n", t, strlen (t) > 300 ? t + strlen (t) - 100 : "");
  result (good, "a 100 kB value in an error is elided in the middle, the reason kept");
  free (t);
  free (doc);
  husk_error_release (&e);
  oci_config_free (c);

  /* A huge key in the path, and a reason after it. */
  static const char tail[] = "AAZ: contains \\u0000: a NUL character cannot be passed on";
  if (asprintf (&doc, "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"annotations\":{\"%s\":\"\\u0000\"}}", big) < 0)
    abort ();
  c = oci_config_parse (doc, strlen (doc), &e);
  t = err_text (e);
  good = c == NULL && strlen (t) < 1200 && strstr (t, " bytes elided ...]")
         && strncmp (t, "config.json: annotations.AAA", 28) == 0
         && strcmp (t + strlen (t) - strlen (tail), tail) == 0;
  if (!good)
    printf ("# got: %.300s ... %s\n", t, strlen (t) > 300 ? t + strlen (t) - 100 : "");
  result (good, "a 100 kB key in the path is elided, the reason kept");
  free (t);
  free (doc);
  husk_error_release (&e);
  oci_config_free (c);
  free (big);
}

static void
test_truncated_runc_spec (void)
{
  bool good = true;

  /* Every proper prefix of a valid document is an error, never a crash or a config. */
  for (size_t n = 0; n < strlen (RUNC_SPEC); n += 7)
    {
      struct husk_error *e = NULL;
      struct oci_config *c = oci_config_parse (RUNC_SPEC, n, &e);
      if (c != NULL || e == NULL || strncmp (e->msg, "config.json: parse error: ", 26) != 0
          || strchr (e->msg, '\n'))
        {
          printf ("# prefix of %zu bytes: %s\n", n, c ? "parsed" : e ? e->msg : "no error");
          good = false;
        }
      husk_error_free (e);
      oci_config_free (c);
    }
  result (good, "every truncation of the runc spec is a one-line parse error");
}

static void
test_load (void)
{
  char path[] = "/tmp/husk-test-config-XXXXXX";
  int fd = mkstemp (path);
  struct husk_error *e = NULL;
  struct oci_config *c;
  bool good;

  if (fd < 0 || write (fd, RUNC_SPEC, strlen (RUNC_SPEC)) != (ssize_t) strlen (RUNC_SPEC))
    {
      result (false, "oci_config_load: cannot write %s", path);
      return;
    }
  close (fd);
  c = oci_config_load (path, &e);
  result (c != NULL && streq (c->process->args[0], "sh") && c->mounts_len == 7,
          "oci_config_load reads a file");
  oci_config_free (c);
  unlink (path);

  c = oci_config_load ("/nonexistent/config.json", &e);
  good = c == NULL && e && e->errnum == ENOENT && streq (e->msg, "open /nonexistent/config.json");
  if (e)
    {
      char *t = husk_error_text (e);
      good = good && streq (t, "open /nonexistent/config.json: no such file or directory");
      free (t);
    }
  result (good, "oci_config_load of a missing file names the path and keeps ENOENT");
  husk_error_release (&e);

  c = oci_config_load ("/", &e);
  result (c == NULL && e && e->errnum == EISDIR && streq (e->msg, "read /"),
          "oci_config_load of a directory fails on read with EISDIR");
  husk_error_release (&e);
}

static void
test_ns_helpers (void)
{
  bool good = true;
  static const char *const names[]
      = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };

  for (int i = 0; i < OCI_NS_COUNT; i++)
    {
      EXPECT (streq (oci_ns_type_name ((enum oci_ns_type) i), names[i]));
      EXPECT (oci_ns_type_from_name (names[i]) == i);
    }
  EXPECT (oci_ns_type_from_name ("net") == -1 && oci_ns_type_from_name ("") == -1);
  EXPECT (oci_ns_type_name (OCI_NS_COUNT) == NULL);
  EXPECT (oci_config_namespace (NULL, OCI_NS_PID) == NULL);
  oci_config_free (NULL);
  result (good, "namespace name helpers round-trip");
}

static void
run_table (const struct bad *t, size_t n, bool validate, const char *what)
{
  for (size_t i = 0; i < n; i++)
    {
      char *doc = q (t[i].doc);
      char *want = q (t[i].err);
      size_t wl = strlen (want);
      bool prefix = wl && want[wl - 1] == '*';
      struct husk_error *e = NULL;
      struct oci_config *c = oci_config_parse (doc, strlen (doc), &e);
      char *got;
      bool good;

      if (validate && c && oci_config_validate (c, &e) == 0)
        husk_error_set (&e, 0, "(valid)");
      else if (validate && c == NULL)
        {
          char *pt = err_text (e);
          husk_error_set (&e, 0, "(parse failed: %s)", pt);
          free (pt);
        }
      else if (!validate && c)
        husk_error_set (&e, 0, "(parsed)");
      got = err_text (e);
      good = prefix ? strncmp (got, want, wl - 1) == 0 : strcmp (got, want) == 0;
      good = good && strchr (got, '\n') == NULL;
      if (!good)
        printf ("# doc:  %s\n# got:  %s\n# want: %s\n", doc, got, want);
      result (good, "%s: %s", what, want);
      free (got);
      free (doc);
      free (want);
      husk_error_free (e);
      oci_config_free (c);
    }
}

static void
run_valid (void)
{
  for (size_t i = 0; i < sizeof valid_docs / sizeof valid_docs[0]; i++)
    {
      struct husk_error *e = NULL;
      struct oci_config *c = parse_q (valid_docs[i], &e);
      bool good = c && oci_config_validate (c, &e) == 0;
      if (!good)
        {
          char *t = err_text (e);
          printf ("# doc: %s\n# %s\n", valid_docs[i], t);
          free (t);
        }
      result (good, "valid: %s", valid_docs[i]);
      husk_error_free (e);
      oci_config_free (c);
    }
}

static int
dump (const char *dir)
{
  const struct
  {
    const char *name;
    const char *doc;
    bool quoted;
  } docs[] = {
    { "runc-spec", RUNC_SPEC, false },
    { "runc-spec-rootless", RUNC_SPEC_ROOTLESS, false },
    { "full", FULL_DOC, true },
    { "minimal", HEAD "}", true },
  };

  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    {
      char *path = NULL, *doc = docs[i].quoted ? q (docs[i].doc) : strdup (docs[i].doc);
      FILE *f;
      if (asprintf (&path, "%s/%s.json", dir, docs[i].name) < 0 || (f = fopen (path, "w")) == NULL)
        {
          perror (path ? path : dir);
          return 1;
        }
      fputs (doc, f);
      fclose (f);
      free (path);
      free (doc);
    }
  /* The documents the parser rejects, for checking the schema against. */
  for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++)
    {
      char *path = NULL, *doc = q (bad_docs[i].doc);
      FILE *f;
      if (asprintf (&path, "%s/bad-%03zu.json", dir, i) < 0 || (f = fopen (path, "w")) == NULL)
        {
          perror (path ? path : dir);
          return 1;
        }
      fputs (doc, f);
      fclose (f);
      free (path);
      free (doc);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  int r;

  RUNC_SPEC = q (RUNC_SPEC_Q);
  RUNC_SPEC_ROOTLESS = q (RUNC_SPEC_ROOTLESS_Q);
  if (argc == 3 && strcmp (argv[1], "--dump") == 0)
    {
      r = dump (argv[2]);
      free (RUNC_SPEC);
      free (RUNC_SPEC_ROOTLESS);
      return r;
    }

  run_table (bad_docs, sizeof bad_docs / sizeof bad_docs[0], false, "bad");
  run_table (invalid_docs, sizeof invalid_docs / sizeof invalid_docs[0], true, "invalid");
  run_valid ();
  test_minimal ();
  test_runc_spec ();
  test_runc_rootless ();
  test_full ();
  test_parse_q (PROC ("'rlimits':[" RL ("RLIMIT_MEMLOCK", "18446744073709551615", "18446744073709551615") ","
                      RL ("RLIMIT_RTTIME", "9223372036854775808", "0") "]"),
                "rlimits up to 18446744073709551615", check_rlimit_max);
  test_parse_q (DOC ("'hostname':null,'hooks':null,'annotations':null,"
                     "'process':{'cwd':'/','args':['sh'],'terminal':null,'env':null,'capabilities':null,"
                     "'rlimits':null,'oomScoreAdj':null,'consoleSize':null,'user':{'umask':null}},"
                     "'linux':{'seccomp':null,'resources':null,'namespaces':null,'timeOffsets':{'monotonic':null}}"),
                "null counts as absent", check_nulls);
  test_parse_q (DOC ("'x-top':1,'process':{'cwd':'/','args':['sh'],'user':{'uid':7,'x':[]},'x':{}},"
                     "'mounts':[{'destination':'/m','x':null}],"
                     "'linux':{'x':'y','namespaces':[{'type':'mount','x':1}],'resources':{'memory':{'limit':10,'x':1},'x':2}}"),
                "unknown keys are ignored at every level", check_unknown);
  test_parse_q (LINUX (NS ("{'type':'network','path':''},{'type':'ipc','path':'/proc/1/ns/ipc'},{'type':'cgroup'}")),
                "an empty namespace path means a new namespace", check_ns_paths);
  test_parse_q (DOC ("'process':{'cwd':'/','args':['sh'],'user':{'uid':4294967294,'gid':0},'oomScoreAdj':-1000,"
                     "'scheduler':{'policy':'SCHED_OTHER','nice':-2147483648,'priority':2147483647}},"
                     "'linux':{'devices':[{'type':'c','path':'/dev/x','major':-1,'minor':9223372036854775807}],"
                     "'resources':{'memory':{'limit':-9223372036854775808},'cpu':{'quota':9223372036854775807},"
                     "'blockIO':{'weight':65535,'leafWeight':0}}}"),
                "integer extremes are accepted", check_extremes);
  test_parse_q ("{'ociVersion':'1.0.0','ociVersion':'1.0.2','root':{'path':'r'},'hostname':'first','hostname':'second'}",
                "a repeated key: the last one wins", check_repeated);
  test_parse_raw ("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"hostname\":\"caf\\u00e9\","
                  "\"process\":{\"cwd\":\"/\",\"args\":[\"a \\\"quoted\\\"\\targ\\\\\"]},"
                  "\"annotations\":{\"k\xe2\x82\xac\":\"\\ud83d\\udc33\"}}",
                  "escapes and UTF-8 are decoded", check_unicode);
  test_big ();
  test_deep_and_nul ();
  test_truncated_runc_spec ();
  test_elision ();
  test_load ();
  test_ns_helpers ();

  free (RUNC_SPEC);
  free (RUNC_SPEC_ROOTLESS);
  return tap_done ();
}
