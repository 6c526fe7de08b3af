#define _GNU_SOURCE
#include "container/container.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
  { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
husk_parse_signal (const char *s, struct husk_error **err)
{
  const char *name = s;
  char *end;

  if (s == NULL || *s == '\0')
    return husk_error_set (err, 0, "invalid signal: empty");
  if (isdigit ((unsigned char) *s))
    {
      long v = strtol (s, &end, 10);
      if (*end || v <= 0 || v > SIGRTMAX)
        return husk_error_set (err, 0, "invalid signal: %s", s);
      return (int) v;
    }
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (name, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      int base = strncasecmp (name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
      long off = name[5] ? strtol (name + 5, &end, 10) : 0;
      if (name[5] && *end)
        return husk_error_set (err, 0, "unknown signal \"%s\"", s);
      if (base + off >= SIGRTMIN && base + off <= SIGRTMAX)
        return (int) (base + off);
    }
  return husk_error_set (err, 0, "unknown signal \"%s\"", s);
}
