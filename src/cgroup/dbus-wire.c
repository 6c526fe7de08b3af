/* The D-Bus wire format: writing bodies and messages, validating and reading
 * what the peer sends (dbus.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/dbus.h"
#include "util/xalloc.h"

/* --- validation of names ---------------------------------------------- */

bool
dbus_valid_utf8 (const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *) str;

  for (size_t i = 0; i < n;)
    {
      unsigned c = s[i], len;
      uint32_t cp;

      if (c == 0)
        return false;
      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
      else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
      else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
      else
        return false;
      if (n - i < len)
        return false;
      for (unsigned k = 1; k < len; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      /* No overlong forms, no surrogates, nothing past U+10FFFF. */
      if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
          || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += len;
    }
  return true;
}

/* "/" or "/a/b_1": elements of [A-Za-z0-9_], not empty, no trailing '/'. */
bool
dbus_valid_path (const char *s, size_t n)
{
  if (n == 0 || s[0] != '/')
    return false;
  if (n == 1)
    return true;
  if (s[n - 1] == '/')
    return false;
  for (size_t i = 1; i < n; i++)
    {
      char c = s[i];
      if (c == '/')
        {
          if (s[i - 1] == '/')
            return false;
        }
      else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                 || c == '_'))
        return false;
    }
  return true;
}

static bool
is_basic (char c)
{
  return c && strchr ("ybnqiuxtdsogh", c) != NULL;
}

/* The length of the single complete type at s (-1: malformed), with arrays
 * and structs nested at most DBUS_MAX_NESTING deep. */
static int
complete_type (const char *s, size_t n, int arrays, int structs)
{
  if (n == 0)
    return -1;
  if (is_basic (s[0]) || s[0] == 'v')
    return 1;
  if (s[0] == 'a')
    {
      int l;
      if (arrays >= DBUS_MAX_NESTING)
        return -1;
      if (n >= 2 && s[1] == '{')
        {
          int v;
          /* A dict entry: a basic key and one value, only as an array's element. */
          if (structs >= DBUS_MAX_NESTING || n < 5 || !is_basic (s[2]))
            return -1;
          v = complete_type (s + 3, n - 3, arrays + 1, structs + 1);
          if (v < 0 || (size_t) (3 + v) >= n || s[3 + v] != '}')
            return -1;
          return 3 + v + 1;
        }
      l = complete_type (s + 1, n - 1, arrays + 1, structs);
      return l < 0 ? -1 : 1 + l;
    }
  if (s[0] == '(')
    {
      size_t i = 1;
      if (structs >= DBUS_MAX_NESTING)
        return -1;
      if (n > 1 && s[1] == ')')
        return -1;
      while (i < n && s[i] != ')')
        {
          int l = complete_type (s + i, n - i, arrays, structs + 1);
          if (l < 0)
            return -1;
          i += (size_t) l;
        }
      return i < n ? (int) i + 1 : -1;
    }
  return -1;
}

bool
dbus_valid_signature (const char *s, size_t n)
{
  if (n > 255)
    return false;
  for (size_t i = 0; i < n;)
    {
      int l = complete_type (s + i, n - i, 0, 0);
      if (l < 0)
        return false;
      i += (size_t) l;
    }
  return memchr (s, 0, n) == NULL;
}

static size_t
align_of (char c)
{
  switch (c)
    {
    case 'y':
    case 'g':
    case 'v':
      return 1;
    case 'n':
    case 'q':
      return 2;
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8;
    default: /* b i u h s o a */
      return 4;
    }
}

/* --- writing ---------------------------------------------------------- */

void
dbus_buf_free (struct dbus_buf *b)
{
  free (b->p);
  *b = (struct dbus_buf){ 0 };
}

static void
put (struct dbus_buf *b, const void *p, size_t n)
{
  if (n == 0)
    return;
  if (b->cap - b->n < n)
    {
      size_t cap = b->cap ? b->cap : 256;
      while (cap - b->n < n)
        cap *= 2;
      b->p = xrealloc (b->p, cap);
      b->cap = cap;
    }
  memcpy (b->p + b->n, p, n);
  b->n += n;
}

static void
pad (struct dbus_buf *b, size_t a)
{
  static const uint8_t zero[8];
  put (b, zero, (a - b->n % a) % a);
}

void
dbus_put_y (struct dbus_buf *b, uint8_t v)
{
  put (b, &v, 1);
}

void
dbus_put_u (struct dbus_buf *b, uint32_t v)
{
  uint8_t le[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };
  pad (b, 4);
  put (b, le, 4);
}

void
dbus_put_b (struct dbus_buf *b, bool v)
{
  dbus_put_u (b, v ? 1 : 0);
}

void
dbus_put_t (struct dbus_buf *b, uint64_t v)
{
  uint8_t le[8];
  for (int i = 0; i < 8; i++)
    le[i] = (uint8_t) (v >> (8 * i));
  pad (b, 8);
  put (b, le, 8);
}

static void
put_string (struct dbus_buf *b, const char *s, bool ok)
{
  size_t n = strlen (s);
  if (!ok || n > DBUS_MAX_ARRAY)
    b->bad = true;
  dbus_put_u (b, (uint32_t) n);
  put (b, s, n + 1);
}

void
dbus_put_s (struct dbus_buf *b, const char *s)
{
  put_string (b, s, dbus_valid_utf8 (s, strlen (s)));
}

void
dbus_put_o (struct dbus_buf *b, const char *path)
{
  put_string (b, path, dbus_valid_path (path, strlen (path)));
}

void
dbus_put_g (struct dbus_buf *b, const char *sig)
{
  size_t n = strlen (sig);
  if (!dbus_valid_signature (sig, n))
    {
      b->bad = true;
      n = 0;
    }
  dbus_put_y (b, (uint8_t) n);
  put (b, sig, n);
  dbus_put_y (b, 0);
}

size_t
dbus_array_begin (struct dbus_buf *b, char elem)
{
  size_t at;
  dbus_put_u (b, 0);
  at = b->n - 4;
  /* The first element's padding is there even when the array is empty, and
   * is not counted in the length. */
  pad (b, align_of (elem));
  return at;
}

void
dbus_array_end (struct dbus_buf *b, size_t at, char elem)
{
  size_t start = at + 4, len;
  start += (align_of (elem) - start % align_of (elem)) % align_of (elem);
  len = b->n - start;
  if (len > DBUS_MAX_ARRAY)
    b->bad = true;
  for (int i = 0; i < 4; i++)
    b->p[at + (size_t) i] = (uint8_t) (len >> (8 * i));
}

void
dbus_struct_begin (struct dbus_buf *b)
{
  pad (b, 8);
}

static void
put_field (struct dbus_buf *h, uint8_t code, char type, const char *v)
{
  char sig[2] = { type, 0 };
  dbus_struct_begin (h);
  dbus_put_y (h, code);
  dbus_put_g (h, sig);
  if (type == 'o')
    dbus_put_o (h, v);
  else if (type == 'g')
    dbus_put_g (h, v);
  else
    dbus_put_s (h, v);
}

int
dbus_message_build (const struct dbus_call *c, uint32_t serial, const struct dbus_buf *body,
                    struct dbus_buf *out, struct husk_error **err)
{
  struct dbus_buf fields = { 0 };
  const char *sig = c->sig ? c->sig : "";
  size_t body_len = body ? body->n : 0;
  bool ok;

  /* The order sd-bus writes them in (sd_bus_message_new_method_call, then
   * the signature when the message is sealed). */
  if (c->path)
    put_field (&fields, 1, 'o', c->path);
  if (c->member)
    put_field (&fields, 3, 's', c->member);
  if (c->iface)
    put_field (&fields, 2, 's', c->iface);
  if (c->dest)
    put_field (&fields, 6, 's', c->dest);
  if (*sig)
    put_field (&fields, 8, 'g', sig);
  ok = !fields.bad && !(body && body->bad) && c->path && c->member && serial != 0
       && (*sig != '\0') == (body_len != 0);
  if (!ok || body_len > DBUS_MAX_MESSAGE)
    {
      dbus_buf_free (&fields);
      return husk_error_set (err, EINVAL, "d-bus: malformed call of `%s`",
                             c->member ? c->member : "?");
    }
  *out = (struct dbus_buf){ 0 };
  dbus_put_y (out, 'l');
  dbus_put_y (out, DBUS_METHOD_CALL);
  dbus_put_y (out, c->flags);
  dbus_put_y (out, 1);
  dbus_put_u (out, (uint32_t) body_len);
  dbus_put_u (out, serial);
  dbus_put_u (out, (uint32_t) fields.n);
  put (out, fields.p, fields.n);
  pad (out, 8);
  if (body_len)
    put (out, body->p, body_len);
  dbus_buf_free (&fields);
  return 0;
}

/* --- reading ---------------------------------------------------------- */

static uint32_t
get_u32 (const uint8_t *p, bool be)
{
  return be ? (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3]
            : (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

int
dbus_msg_length (const uint8_t *p, size_t *len, struct husk_error **err)
{
  bool be = p[0] == 'B';
  uint64_t fields, body, total;

  if ((p[0] != 'l' && p[0] != 'B') || p[3] != 1)
    return husk_error_set (err, EBADMSG, "d-bus: not a message of protocol version 1");
  fields = get_u32 (p + 12, be);
  body = get_u32 (p + 4, be);
  total = 16 + ((fields + 7) & ~(uint64_t) 7) + body;
  if (fields > DBUS_MAX_ARRAY || total > DBUS_MAX_MESSAGE)
    return husk_error_set (err, EMSGSIZE, "d-bus: a message of %llu bytes is too long",
                           (unsigned long long) total);
  *len = (size_t) total;
  return 0;
}

/* The validating walk over one value of a complete type. */
struct walk
{
  const uint8_t *p;
  size_t n, pos;
  bool be;
  int depth; /* containers and variants entered, at most 2 * DBUS_MAX_NESTING */
};

static bool
walk_align (struct walk *w, size_t a)
{
  size_t to = (w->pos + a - 1) / a * a;
  if (to > w->n)
    return false;
  for (; w->pos < to; w->pos++)
    if (w->p[w->pos] != 0)
      return false;
  return true;
}

static bool
walk_fixed (struct walk *w, size_t size)
{
  if (!walk_align (w, size) || w->n - w->pos < size)
    return false;
  w->pos += size;
  return true;
}

static bool walk_value (struct walk *w, const char *sig, size_t *si);

/* A string of type s, o or g at w->pos: its start and length. */
static bool
walk_string (struct walk *w, char type, size_t *start, size_t *len)
{
  size_t l;
  if (type == 'g')
    {
      if (w->n - w->pos < 1)
        return false;
      l = w->p[w->pos++];
    }
  else
    {
      if (!walk_align (w, 4) || w->n - w->pos < 4)
        return false;
      l = get_u32 (w->p + w->pos, w->be);
      w->pos += 4;
    }
  if (l >= w->n - w->pos || w->p[w->pos + l] != 0)
    return false;
  *start = w->pos;
  *len = l;
  w->pos += l + 1;
  {
    const char *s = (const char *) w->p + *start;
    if (type == 'o')
      return dbus_valid_path (s, l);
    if (type == 'g')
      return dbus_valid_signature (s, l);
    return dbus_valid_utf8 (s, l);
  }
}

static bool
walk_array (struct walk *w, const char *sig, size_t *si)
{
  size_t elem = *si, end, len, after;
  int l;

  if (!walk_align (w, 4) || w->n - w->pos < 4)
    return false;
  len = get_u32 (w->p + w->pos, w->be);
  w->pos += 4;
  if (len > DBUS_MAX_ARRAY || !walk_align (w, align_of (sig[elem])) || len > w->n - w->pos)
    return false;
  /* The element's type, measured with its 'a' (a dict entry is one only
   * there). */
  l = complete_type (sig + elem - 1, strlen (sig + elem - 1), 0, 0);
  if (l < 2)
    return false;
  after = elem + (size_t) l - 1;
  end = w->pos + len;
  while (w->pos < end)
    {
      size_t e = elem;
      if (!walk_value (w, sig, &e) || w->pos > end)
        return false;
    }
  *si = after;
  return true;
}

/* One value of the complete type at sig[*si], advancing both. */
static bool
walk_value (struct walk *w, const char *sig, size_t *si)
{
  char c = sig[(*si)++];
  size_t start, len;
  bool ok;

  switch (c)
    {
    case 'y':
      return walk_fixed (w, 1);
    case 'n':
    case 'q':
      return walk_fixed (w, 2);
    case 'i':
    case 'u':
      return walk_fixed (w, 4);
    case 'x':
    case 't':
    case 'd':
      return walk_fixed (w, 8);
    case 'b':
      if (!walk_fixed (w, 4))
        return false;
      return get_u32 (w->p + w->pos - 4, w->be) <= 1;
    case 's':
    case 'o':
    case 'g':
      return walk_string (w, c, &start, &len);
    case 'h': /* no descriptors were negotiated */
      return false;
    default:
      break;
    }
  if (++w->depth > 2 * DBUS_MAX_NESTING)
    return false;
  ok = false;
  if (c == 'a')
    ok = walk_array (w, sig, si);
  else if (c == '(' || c == '{')
    {
      ok = walk_align (w, 8);
      while (ok && sig[*si] != ')' && sig[*si] != '}')
        ok = walk_value (w, sig, si);
      (*si)++;
    }
  else if (c == 'v' && walk_string (w, 'g', &start, &len))
    {
      /* One complete type; its own nesting counts on top of ours. */
      const char *vs = (const char *) w->p + start;
      size_t vi = 0;
      ok = len > 0 && complete_type (vs, len, 0, 0) == (int) len && walk_value (w, vs, &vi);
    }
  w->depth--;
  return ok;
}

struct field_def
{
  uint8_t code;
  char type;
};

static int
parse_fields (struct dbus_msg *m, size_t fields_len, struct husk_error **err)
{
  struct walk w = { .p = m->data, .n = 16 + fields_len, .pos = 16, .be = m->be };
  static const char types[] = { 0, 'o', 's', 's', 's', 'u', 's', 's', 'g', 'u' };

  while (w.pos < w.n)
    {
      size_t start, len;
      uint8_t code;
      const char *vs;

      if (!walk_align (&w, 8) || w.pos >= w.n)
        goto bad;
      code = w.p[w.pos++];
      if (!walk_string (&w, 'g', &start, &len) || len == 0 || code == 0)
        goto bad;
      vs = (const char *) w.p + start;
      if (code >= sizeof types)
        {
          /* Unknown fields are skipped, as the specification says: any
           * single complete type. */
          size_t si = 0;
          if (complete_type (vs, len, 0, 0) != (int) len || !walk_value (&w, vs, &si))
            goto bad;
          continue;
        }
      if (len != 1 || types[code] != vs[0])
        goto bad;
      if (types[code] == 'u')
        {
          if (!walk_fixed (&w, 4))
            goto bad;
          uint32_t v = get_u32 (w.p + w.pos - 4, w.be);
          if (code == 5)
            m->reply_serial = v;
          else if (v != 0) /* UNIX_FDS: none were negotiated */
            goto bad;
          continue;
        }
      if (!walk_string (&w, types[code], &start, &len))
        goto bad;
      const char *s = (const char *) w.p + start;
      const char **slot[] = { NULL, &m->path, &m->iface, &m->member, &m->error_name, NULL,
                              &m->dest, &m->sender, &m->sig };
      *slot[code] = s;
    }
  return 0;
bad:
  return husk_error_set (err, EBADMSG, "d-bus: a message with a malformed header");
}

int
dbus_msg_parse (uint8_t *data, size_t len, struct dbus_msg *m, struct husk_error **err)
{
  size_t total, fields_len, si = 0;
  struct walk w;

  *m = (struct dbus_msg){ .data = data, .len = len };
  if (len < 16)
    {
      husk_error_set (err, EBADMSG, "d-bus: a message of %zu bytes", len);
      goto fail;
    }
  if (dbus_msg_length (data, &total, err) < 0)
    goto fail;
  if (total != len)
    {
      husk_error_set (err, EBADMSG, "d-bus: a message's length does not match its header");
      goto fail;
    }
  m->be = data[0] == 'B';
  m->type = data[1];
  m->flags = data[2];
  m->serial = get_u32 (data + 8, m->be);
  fields_len = get_u32 (data + 12, m->be);
  if (parse_fields (m, fields_len, err) < 0)
    goto fail;
  if (m->sig == NULL)
    m->sig = "";
  m->body = 16 + ((fields_len + 7) & ~(size_t) 7);
  /* The padding after the header is zero too. */
  w = (struct walk){ .p = data, .n = len, .pos = 16 + fields_len, .be = m->be };
  if (m->serial == 0 || m->type < DBUS_METHOD_CALL || m->type > DBUS_SIGNAL
      || !walk_align (&w, 8)
      || ((m->type == DBUS_METHOD_RETURN || m->type == DBUS_ERROR) && m->reply_serial == 0)
      || (m->type == DBUS_ERROR && m->error_name == NULL)
      || (m->type == DBUS_SIGNAL && (!m->path || !m->iface || !m->member))
      || (m->type == DBUS_METHOD_CALL && (!m->path || !m->member)))
    {
      husk_error_set (err, EBADMSG, "d-bus: a message with a malformed header");
      goto fail;
    }
  /* The body: exactly the values its signature names. */
  while (m->sig[si])
    if (!walk_value (&w, m->sig, &si))
      {
        husk_error_set (err, EBADMSG, "d-bus: a message whose body does not match `%s`", m->sig);
        goto fail;
      }
  if (w.pos != len)
    {
      husk_error_set (err, EBADMSG, "d-bus: a message whose body does not match `%s`", m->sig);
      goto fail;
    }
  return 0;
fail:
  dbus_msg_free (m);
  return -1;
}

void
dbus_msg_free (struct dbus_msg *m)
{
  free (m->data);
  *m = (struct dbus_msg){ 0 };
}

void
dbus_iter_init (struct dbus_iter *it, const struct dbus_msg *m)
{
  *it = (struct dbus_iter){ .m = m, .sig = m->sig, .pos = m->body, .end = m->len };
}

/* The next type is c: align for it (the body was validated, the checks are
 * a second line). */
static int
next (struct dbus_iter *it, char c, size_t size)
{
  static const char basic[] = "y\0b\0n\0q\0i\0u\0x\0t\0d\0s\0o\0g\0";
  size_t a = align_of (c);

  if (*it->sig == '\0' && it->rest)
    {
      it->sig = it->rest;
      it->rest = NULL;
    }
  else if (*it->sig == '\0' && it->elem)
    for (const char *p = basic; *p; p += 2)
      if (*p == it->elem)
        it->sig = p;
  if (*it->sig != c)
    return -1;
  it->pos = (it->pos + a - 1) / a * a;
  if (it->pos > it->end || it->end - it->pos < size)
    return -1;
  return 0;
}

int
dbus_read_u (struct dbus_iter *it, uint32_t *v)
{
  if (next (it, 'u', 4) < 0)
    return -1;
  *v = get_u32 (it->m->data + it->pos, it->m->be);
  it->pos += 4;
  it->sig++;
  return 0;
}

int
dbus_read_str (struct dbus_iter *it, char type, const char **s)
{
  struct walk w;
  size_t start, len;

  if (next (it, type, type == 'g' ? 1 : 4) < 0)
    return -1;
  w = (struct walk){ .p = it->m->data, .n = it->end, .pos = it->pos, .be = it->m->be };
  if (!walk_string (&w, type, &start, &len))
    return -1;
  *s = (const char *) it->m->data + start;
  it->pos = w.pos;
  it->sig++;
  return 0;
}

int
dbus_read_variant (struct dbus_iter *it, const char *sig)
{
  const char *outer, *vs;

  if (next (it, 'v', 1) < 0 || it->rest)
    return -1;
  outer = it->sig + 1;
  it->sig = "g";
  if (dbus_read_str (it, 'g', &vs) < 0 || strcmp (vs, sig) != 0)
    return -1;
  it->sig = vs;
  it->rest = outer;
  return 0;
}

int
dbus_read_array (struct dbus_iter *it, char elem, struct dbus_iter *sub)
{
  uint32_t len;
  size_t a = align_of (elem);

  if (!is_basic (elem) || next (it, 'a', 4) < 0 || it->sig[1] != elem)
    return -1;
  len = get_u32 (it->m->data + it->pos, it->m->be);
  it->pos += 4;
  it->pos = (it->pos + a - 1) / a * a;
  if (it->pos > it->end || len > it->end - it->pos)
    return -1;
  /* sub reads elem over and over (next() starts its signature again). */
  *sub = (struct dbus_iter){ .m = it->m, .sig = "", .elem = elem, .pos = it->pos,
                             .end = it->pos + len };
  it->pos += len;
  it->sig += 2;
  return 0;
}

bool
dbus_iter_done (const struct dbus_iter *it)
{
  return it->pos >= it->end;
}
