#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "util/num.h"

static const char usage[] =
    "usage: husk events [--stats] [--interval DURATION] <container-id>\n"
    "\n"
    "Print the container's statistics as JSON lines ({\"type\":\"stats\",...}) every\n"
    "interval, and {\"type\":\"oom\",...} when the kernel OOM-kills in its cgroup,\n"
    "until the container stops.\n"
    "\n"
    "  --stats              print the statistics once and exit\n"
    "  --interval DURATION  between statistics (default 5s; 500ms, 1m30s, ...)\n";

static const struct option options[] = {
  { "stats", no_argument, NULL, 's' },
  { "interval", required_argument, NULL, 'i' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* A Go-style duration ("5s", "100ms", "1m30s") in milliseconds; -1 if invalid. */
static long long
parse_duration (const char *s)
{
  static const struct
  {
    const char *unit;
    double ms;
  } units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
  double total = 0;

  if (*s == '\0')
    return -1;
  while (*s)
    {
      char *end;
      double v = (double) husk_strtold (s, &end);
      size_t best = 0, bl = 0;
      if (end == s || v < 0)
        return -1;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t l = strlen (units[i].unit);
          if (strncmp (end, units[i].unit, l) == 0 && l > bl)
            best = i, bl = l;
        }
      if (bl == 0)
        return -1;
      total += v * units[best].ms;
      s = end + bl;
    }
  return (long long) total;
}

static int
print_line (const char *json, void *data)
{
  (void) data;
  if (printf ("%s\n", json) < 0 || fflush (stdout) != 0)
    return -1;
  return 0;
}

int
husk_cmd_events (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  bool stats = false;
  long long interval = 5000;
  const char *id;
  int c, r;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case 's':
        stats = true;
        break;
      case 'i':
        interval = parse_duration (optarg);
        if (interval <= 0)
          return husk_error_set (err, 0, "events: --interval: invalid duration `%s` (like 5s or 500ms)",
                                 optarg);
        break;
      case 'h':
        return husk_cmd_usage (usage);
      default:
        return husk_error_set (err, 0, "events: unknown option `%s`", argv[optind - 1]);
      }
  if (husk_cmd_id (argc, argv, optind, usage, &id, err) < 0)
    return -1;
  r = husk_container_events (g->root, id, stats, (unsigned) interval, print_line, NULL, err);
  return husk_cmd_result (g, id, r < 0 ? -1 : 0, err);
}
