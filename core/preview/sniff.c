/*
 * sniff.c: what the head of an object is, for pail_preview(): magic bytes
 * (images, archives), text or not, then JSON, NDJSON, CSV/TSV (delimiter
 * and header sniffed) or plain text, and the fields docs/preview.md gives
 * each format. Works on the bytes it is given only; the head may end in
 * the middle of a line, a record or a UTF-8 sequence when the object is
 * larger (length < size), and that is never an error.
 */
#include "preview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIFF_ROWS 20       /* rows read to choose a CSV delimiter */
#define CELL_MAX 1024       /* bytes of a CSV cell shown */
#define LINE_MAX_SHOWN 4096 /* bytes of a text line shown */

json_t *preview_text_json(const uint8_t *p, size_t n, size_t max) {
  char *text = text_escape(p, n, max, TEXT_KEEP_TAB);
  json_t *j = text ? json_string(text) : NULL;
  free(text);
  return j;
}

/* ---------------------------------------------------------- magic bytes */

static bool starts(const uint8_t *p, size_t n, const char *magic,
                   size_t magic_length) {
  return n >= magic_length && memcmp(p, magic, magic_length) == 0;
}

bool preview_is_parquet(const uint8_t *head, size_t length) {
  return starts(head, length, "PAR1", 4);
}

static uint32_t be16(const uint8_t *p) {
  return (uint32_t)p[0] << 8 | p[1];
}
static uint32_t le16(const uint8_t *p) {
  return (uint32_t)p[1] << 8 | p[0];
}
static uint32_t le24(const uint8_t *p) {
  return (uint32_t)p[2] << 16 | le16(p);
}
static uint32_t be32(const uint8_t *p) {
  return be16(p) << 16 | be16(p + 2);
}

/* The JPEG frame header's size: the first SOFn segment among those the
 * head holds. */
static bool jpeg_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h) {
  size_t i = 2;
  while (i + 4 <= n) {
    if (p[i] != 0xFF)
      return false;
    uint8_t marker = p[i + 1];
    if (marker == 0xFF) { /* fill byte */
      i++;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 ||
        (marker >= 0xD0 && marker <= 0xD7)) {
      i += 2;
      continue;
    }
    uint32_t segment = be16(p + i + 2);
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
        marker != 0xCC) {
      if (i + 9 > n || segment < 7)
        return false;
      *h = be16(p + i + 5);
      *w = be16(p + i + 7);
      return true;
    }
    if (segment < 2)
      return false;
    i += 2 + segment;
  }
  return false;
}

/* An image's type and, when the head shows them, its dimensions. */
static const char *image_type(const uint8_t *p, size_t n, uint32_t *w,
                              uint32_t *h, bool *sized) {
  *sized = false;
  if (starts(p, n, "\x89PNG\r\n\x1a\n", 8)) {
    if (n >= 24 && memcmp(p + 12, "IHDR", 4) == 0)
      *w = be32(p + 16), *h = be32(p + 20), *sized = true;
    return "png";
  }
  if (starts(p, n, "GIF87a", 6) || starts(p, n, "GIF89a", 6)) {
    if (n >= 10)
      *w = le16(p + 6), *h = le16(p + 8), *sized = true;
    return "gif";
  }
  if (starts(p, n, "\xFF\xD8\xFF", 3)) {
    *sized = jpeg_size(p, n, w, h);
    return "jpeg";
  }
  if (n >= 16 && starts(p, n, "RIFF", 4) && memcmp(p + 8, "WEBP", 4) == 0) {
    if (n >= 30 && memcmp(p + 12, "VP8 ", 4) == 0 &&
        memcmp(p + 23, "\x9d\x01\x2a", 3) == 0) {
      *w = le16(p + 26) & 0x3FFF, *h = le16(p + 28) & 0x3FFF, *sized = true;
    } else if (n >= 25 && memcmp(p + 12, "VP8L", 4) == 0 && p[20] == 0x2F) {
      uint32_t bits = le24(p + 21) | (uint32_t)p[24] << 24;
      *w = (bits & 0x3FFF) + 1, *h = ((bits >> 14) & 0x3FFF) + 1;
      *sized = true;
    } else if (n >= 30 && memcmp(p + 12, "VP8X", 4) == 0) {
      *w = le24(p + 24) + 1, *h = le24(p + 27) + 1, *sized = true;
    }
    return "webp";
  }
  return NULL;
}

static const char *binary_type(const uint8_t *p, size_t n) {
  static const struct {
    const char *magic;
    size_t length;
    const char *name;
  } magics[] = {
      {"\x1f\x8b", 2, "gzip"},
      {"PK\x03\x04", 4, "zip"},
      {"PK\x05\x06", 4, "zip"},
      {"\x28\xb5\x2f\xfd", 4, "zstd"},
      {"BZh", 3, "bzip2"},
      {"\xfd"
       "7zXZ\x00",
       6, "xz"},
      {"7z\xbc\xaf\x27\x1c", 6, "7z"},
      {"%PDF-", 5, "pdf"},
      {"\x7f"
       "ELF",
       4, "elf"},
  };
  for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
    if (starts(p, n, magics[i].magic, magics[i].length))
      return magics[i].name;
  return NULL;
}

/* Text is what has no NUL and few bytes that are neither UTF-8 nor the
 * usual control characters (so Latin-1 text still shows, escaped). */
static bool looks_like_text(const uint8_t *p, size_t n, bool complete) {
  size_t odd = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    bool incomplete;
    size_t len = utf8_sequence(p + i, n - i, &cp, &incomplete);
    if (len == 0) {
      if (incomplete && !complete)
        break; /* the head cut a character */
      odd++;
      i++;
      continue;
    }
    if (cp == 0)
      return false;
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r' && cp != '\f' &&
         cp != '\v' && cp != 0x1B) ||
        cp == 0x7F)
      odd++;
    i += len;
  }
  return odd * 10 <= n;
}

/* --------------------------------------------------------------- lines */

/* The lines of the head: complete ones, and the last one only when the
 * object ends there (or it is the only line). */
typedef struct line {
  const uint8_t *p;
  size_t n;
} line;

/* The next line from *at; false at the end. A line the head cuts is not
 * returned unless it is the first. */
static bool next_line(const uint8_t *p, size_t n, size_t *at, bool complete,
                      line *out) {
  if (*at >= n)
    return false;
  const uint8_t *nl = memchr(p + *at, '\n', n - *at);
  size_t end = nl ? (size_t)(nl - p) : n;
  if (nl == NULL && !complete && *at > 0)
    return false;
  out->p = p + *at;
  out->n = end - *at;
  if (out->n > 0 && out->p[out->n - 1] == '\r')
    out->n--;
  *at = nl ? end + 1 : n;
  return true;
}

static bool blank(line l) {
  for (size_t i = 0; i < l.n; i++)
    if (l.p[i] != ' ' && l.p[i] != '\t')
      return false;
  return true;
}

/* ---------------------------------------------------------------- JSON */

/* The first byte that is not whitespace or a byte order mark. */
static size_t skip_space(const uint8_t *p, size_t n) {
  size_t i = starts(p, n, "\xEF\xBB\xBF", 3) ? 3 : 0;
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
    i++;
  return i;
}

static json_t *parse_json(const uint8_t *p, size_t n, json_error_t *error) {
  return json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                    error);
}

/* Re-indents JSON text that may be incomplete (a cut head) or invalid, two
 * spaces a level, at most max bytes out. Strings are copied as they are. */
static char *reindent(const uint8_t *p, size_t n, size_t max, bool *cut) {
  size_t cap = max + 64;
  char *out = malloc(cap);
  if (out == NULL)
    return NULL;
  size_t o = 0;
  int depth = 0;
  bool in_string = false, escaped = false;
  *cut = false;
#define EMIT(c)                                                                \
  do {                                                                         \
    if (o >= max) {                                                            \
      *cut = true;                                                             \
      goto done;                                                               \
    }                                                                          \
    out[o++] = (char)(c);                                                      \
  } while (0)
#define NEWLINE()                                                              \
  do {                                                                         \
    EMIT('\n');                                                                \
    for (int k = 0; k < depth * 2 && k < 200; k++)                             \
      EMIT(' ');                                                               \
  } while (0)
  for (size_t i = skip_space(p, n); i < n; i++) {
    uint8_t c = p[i];
    if (in_string) {
      EMIT(c);
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    if (c == '"') {
      in_string = true;
      EMIT(c);
    } else if (c == '{' || c == '[') {
      EMIT(c);
      size_t j = i + 1 + skip_space(p + i + 1, n - i - 1);
      if (j < n && (p[j] == '}' || p[j] == ']')) {
        EMIT(p[j]);
        i = j;
        continue;
      }
      depth++;
      NEWLINE();
    } else if (c == '}' || c == ']') {
      if (depth > 0)
        depth--;
      NEWLINE();
      EMIT(c);
    } else if (c == ',') {
      EMIT(c);
      NEWLINE();
    } else if (c == ':') {
      EMIT(c);
      EMIT(' ');
    } else {
      EMIT(c);
    }
  }
#undef NEWLINE
#undef EMIT
done:
  out[o] = '\0';
  return out;
}

/* Whether the complete lines of the head are JSON values, two at least
 * (one suffices when it is cut after). */
static bool looks_like_ndjson(const uint8_t *p, size_t n, bool complete) {
  size_t at = 0, values = 0;
  line l;
  while (values < SNIFF_ROWS && next_line(p, n, &at, complete, &l)) {
    if (blank(l))
      continue;
    if (!complete && at >= n && l.p + l.n == p + n)
      break; /* a last line the head may have cut */
    json_error_t error;
    json_t *v = parse_json(l.p, l.n, &error);
    if (v == NULL)
      return false;
    json_decref(v);
    values++;
  }
  return values >= 2 || (values == 1 && at < n);
}

/* json_dumps escapes the C0 controls but leaves DEL and the C1 controls
 * (U+0080 to U+009F) raw, and a terminal acts on them (U+009B starts an
 * escape sequence as ESC [ does). In a JSON text they can only stand
 * inside strings, where a \u escape means the same. Returns text, or a new
 * string with them escaped (text freed), or NULL without memory. */
static char *escape_raw_controls(char *text) {
  size_t count = 0;
  for (const unsigned char *s = (const unsigned char *)text; *s; s++)
    count += *s == 0x7F || (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F);
  if (count == 0)
    return text;
  char *out = malloc(strlen(text) + 5 * count + 1);
  if (out != NULL) {
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
      if (*s == 0x7F || (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)) {
        unsigned code = *s == 0x7F ? 0x7F : *++s;
        o += (size_t)snprintf(out + o, 7, "\\u%04x", code);
      } else {
        out[o++] = (char)*s;
      }
    }
    out[o] = '\0';
  }
  free(text);
  return out;
}

/* v as JSON text that is safe to print; NULL without memory. */
static char *dump_printable(const json_t *v, size_t flags) {
  char *text = json_dumps(v, flags | JSON_ENCODE_ANY);
  return text != NULL ? escape_raw_controls(text) : NULL;
}

static pail_status describe_json(const uint8_t *p, size_t n, bool complete,
                                 size_t max_bytes, json_t *value,
                                 const json_error_t *error, json_t *doc) {
  char *text = NULL;
  bool cut = false;
  if (value != NULL) {
    text = dump_printable(value, JSON_INDENT(2));
    if (text != NULL && strlen(text) > max_bytes) {
      size_t end = max_bytes;
      while (end > 0 && ((uint8_t)text[end] & 0xC0) == 0x80)
        end--; /* at a character's start */
      text[end] = '\0';
      cut = true;
    }
  } else {
    char *raw = reindent(p, n, max_bytes, &cut);
    if (raw != NULL)
      text = text_escape(raw, strlen(raw), max_bytes,
                         TEXT_KEEP_TAB | TEXT_KEEP_NEWLINE);
    free(raw);
  }
  if (text == NULL) {
    json_decref(value);
    return PAIL_ERR_INTERNAL;
  }
  json_object_set_new(doc, "format", json_string("json"));
  json_object_set_new(doc, "text", json_string(text));
  free(text);
  if (value != NULL)
    json_object_set_new(doc, "value", value);
  json_object_set_new(doc, "truncated", json_boolean(!complete || cut));
  if (complete && value == NULL && error != NULL) {
    char *message = str_printf("%s at line %d, column %d", error->text,
                               error->line, error->column);
    if (message != NULL)
      json_object_set_new(
          doc, "error",
          preview_text_json((const uint8_t *)message, strlen(message), 512));
    free(message);
  }
  return PAIL_OK;
}

static void describe_ndjson(const uint8_t *p, size_t n, bool complete,
                            size_t max_rows, json_t *doc) {
  json_t *records = json_array(), *texts = json_array(),
         *invalid = json_array();
  size_t at = 0, line_number = 0, shown = 0;
  bool more = false;
  line l;
  while (next_line(p, n, &at, complete, &l)) {
    line_number++;
    if (blank(l))
      continue;
    if (shown == max_rows) {
      more = true;
      break;
    }
    json_error_t error;
    json_t *v = parse_json(l.p, l.n, &error);
    if (v != NULL) {
      char *text = dump_printable(v, JSON_COMPACT);
      json_array_append_new(texts, json_string(text ? text : ""));
      free(text);
      json_array_append_new(records, v);
      shown++;
    } else {
      json_array_append_new(invalid, json_integer((json_int_t)line_number));
    }
  }
  json_object_set_new(doc, "format", json_string("ndjson"));
  json_object_set_new(doc, "records", records);
  json_object_set_new(doc, "lines", texts);
  json_object_set_new(doc, "invalid_lines", invalid);
  json_object_set_new(doc, "truncated", json_boolean(more || !complete));
}

/* ----------------------------------------------------------------- CSV */

typedef struct csv_cell {
  char *data;
  size_t length, capacity;
} csv_cell;

static bool cell_add(csv_cell *c, uint8_t byte) {
  if (c->length == CELL_MAX)
    return true; /* shown cut; the rest is dropped */
  if (c->length + 1 >= c->capacity) {
    size_t capacity = c->capacity ? c->capacity * 2 : 64;
    char *grown = realloc(c->data, capacity);
    if (grown == NULL)
      return false;
    c->data = grown;
    c->capacity = capacity;
  }
  c->data[c->length++] = (char)byte;
  return true;
}

/* Parses up to limit rows (RFC 4180: quoted fields, "" inside quotes,
 * newlines in quotes) from the head. A row the head cuts is dropped unless
 * the object ends there. Each row's field count goes to counts (may be
 * NULL); with rows not NULL, each row is appended as an array of cleaned
 * strings. Returns the rows parsed, *more when data is left after them, or
 * SIZE_MAX when out of memory. */
static size_t csv_parse(const uint8_t *p, size_t n, bool complete, char delim,
                        size_t limit, size_t *counts, json_t *rows,
                        bool *more) {
  size_t i = 0, parsed = 0;
  csv_cell cell = {0};
  *more = false;
  while (i < n) {
    if (parsed == limit) {
      *more = true;
      break;
    }
    json_t *row = rows ? json_array() : NULL;
    size_t fields = 0;
    bool row_done = false, out_of_memory = false;
    while (!row_done) {
      cell.length = 0;
      bool quoted = i < n && p[i] == '"';
      if (quoted)
        i++;
      bool field_done = false;
      while (!field_done && i < n) {
        uint8_t c = p[i];
        if (quoted) {
          if (c == '"' && i + 1 < n && p[i + 1] == '"') {
            out_of_memory |= !cell_add(&cell, '"');
            i += 2;
          } else if (c == '"') {
            quoted = false;
            i++;
          } else {
            out_of_memory |= !cell_add(&cell, c);
            i++;
          }
        } else if (c == (uint8_t)delim) {
          field_done = true;
          i++;
        } else if (c == '\n') {
          field_done = row_done = true;
          i++;
        } else {
          out_of_memory |= !cell_add(&cell, c);
          i++;
        }
      }
      if (!field_done) { /* the end of the head */
        if (!complete || quoted) {
          json_decref(row);
          free(cell.data);
          *more = !complete || *more;
          return parsed;
        }
        row_done = true;
      }
      if (row_done && cell.length > 0 && cell.data[cell.length - 1] == '\r')
        cell.length--;
      fields++;
      if (row != NULL)
        out_of_memory |=
            json_array_append_new(
                row, preview_text_json((const uint8_t *)cell.data, cell.length,
                                       CELL_MAX)) != 0;
      if (out_of_memory) {
        json_decref(row);
        free(cell.data);
        return SIZE_MAX;
      }
    }
    if (counts != NULL)
      counts[parsed] = fields;
    if (row != NULL)
      json_array_append_new(rows, row);
    parsed++;
  }
  free(cell.data);
  if (!complete && i >= n)
    *more = true;
  return parsed;
}

/* The delimiter the first rows split on most consistently into two or
 * more fields, or 0. prefer comes first on ties. */
static char sniff_delimiter(const uint8_t *p, size_t n, bool complete,
                            char prefer, bool one_row_is_enough) {
  const char candidates[] = {prefer ? prefer : ',', ',', '\t', ';', '|'};
  char best = 0;
  size_t best_fields = 0;
  for (size_t c = 0; c < sizeof candidates; c++) {
    size_t counts[SNIFF_ROWS];
    bool more;
    size_t rows = csv_parse(p, n, complete, candidates[c], SNIFF_ROWS, counts,
                            NULL, &more);
    if (rows == SIZE_MAX || rows == 0 || (rows < 2 && !one_row_is_enough))
      continue;
    bool consistent = counts[0] >= 2;
    for (size_t r = 1; r < rows && consistent; r++)
      consistent = counts[r] == counts[0];
    if (consistent && counts[0] > best_fields) {
      best = candidates[c];
      best_fields = counts[0];
    }
  }
  return best;
}

static bool numeric(const char *s) {
  while (*s == ' ')
    s++;
  if (*s == '-' || *s == '+')
    s++;
  bool digits = false;
  while (*s >= '0' && *s <= '9')
    s++, digits = true;
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++)
      digits = true;
  if (digits && (*s == 'e' || *s == 'E')) {
    s++;
    if (*s == '-' || *s == '+')
      s++;
    if (!(*s >= '0' && *s <= '9'))
      return false;
    while (*s >= '0' && *s <= '9')
      s++;
  }
  while (*s == ' ')
    s++;
  return digits && *s == '\0';
}

/* A first row is a header when its cells are distinct non-empty names,
 * none a number, and either a column below holds numbers or no name of it
 * comes again in its column. */
static bool sniff_header(json_t *rows) {
  json_t *first = json_array_get(rows, 0);
  size_t columns = json_array_size(first);
  if (columns == 0)
    return false;
  for (size_t j = 0; j < columns; j++) {
    const char *name = json_string_value(json_array_get(first, j));
    if (name == NULL || *name == '\0' || numeric(name))
      return false;
    for (size_t k = 0; k < j; k++)
      if (strcmp(name, json_string_value(json_array_get(first, k))) == 0)
        return false;
  }
  bool numbers_below = false, repeated = false;
  for (size_t j = 0; j < columns; j++) {
    const char *name = json_string_value(json_array_get(first, j));
    bool all_numbers = json_array_size(rows) > 1;
    for (size_t r = 1; r < json_array_size(rows); r++) {
      const char *v =
          json_string_value(json_array_get(json_array_get(rows, r), j));
      if (v == NULL || *v == '\0')
        continue;
      all_numbers &= numeric(v);
      repeated |= strcmp(v, name) == 0;
    }
    numbers_below |= all_numbers;
  }
  return numbers_below || !repeated;
}

static pail_status describe_csv(const uint8_t *p, size_t n, bool complete,
                                char delim, size_t max_rows, json_t *doc) {
  json_t *rows = json_array();
  bool more;
  /* One row more than shown, for a header. */
  size_t parsed =
      csv_parse(p, n, complete, delim, max_rows + 1, NULL, rows, &more);
  if (parsed == SIZE_MAX || rows == NULL) {
    json_decref(rows);
    return PAIL_ERR_INTERNAL;
  }
  bool header = sniff_header(rows);
  json_t *columns;
  if (header) {
    columns = json_incref(json_array_get(rows, 0));
    json_array_remove(rows, 0);
  } else {
    columns = json_array();
    size_t widest = 0;
    for (size_t r = 0; r < json_array_size(rows); r++)
      if (json_array_size(json_array_get(rows, r)) > widest)
        widest = json_array_size(json_array_get(rows, r));
    for (size_t j = 0; j < widest; j++) {
      char name[32];
      snprintf(name, sizeof name, "column_%zu", j + 1);
      json_array_append_new(columns, json_string(name));
    }
  }
  if (json_array_size(rows) > max_rows) {
    json_array_remove(rows, max_rows);
    more = true;
  }
  char delimiter[2] = {delim, '\0'};
  json_object_set_new(doc, "format",
                      json_string(delim == '\t' ? "tsv" : "csv"));
  json_object_set_new(doc, "delimiter", json_string(delimiter));
  json_object_set_new(doc, "header", json_boolean(header));
  json_object_set_new(doc, "columns", columns);
  json_object_set_new(doc, "rows", rows);
  json_object_set_new(doc, "truncated", json_boolean(more));
  return PAIL_OK;
}

/* ---------------------------------------------------------------- text */

static void describe_text(const uint8_t *p, size_t n, bool complete,
                          size_t max_rows, json_t *doc) {
  json_t *lines = json_array();
  size_t at = 0;
  line l;
  bool more = false;
  while (next_line(p, n, &at, complete, &l)) {
    if (json_array_size(lines) == max_rows) {
      more = true;
      break;
    }
    json_array_append_new(lines, preview_text_json(l.p, l.n, LINE_MAX_SHOWN));
  }
  json_object_set_new(doc, "format", json_string("text"));
  json_object_set_new(doc, "lines", lines);
  json_object_set_new(doc, "truncated",
                      json_boolean(more || at < n || !complete));
}

/* ------------------------------------------------------------ dispatch */

static const char *extension(const char *name) {
  const char *base = name ? strrchr(name, '/') : NULL;
  base = base ? base + 1 : name;
  const char *dot = base ? strrchr(base, '.') : NULL;
  return dot && dot != base ? dot + 1 : "";
}

static bool is_ext(const char *ext, const char *const *list) {
  for (; *list != NULL; list++)
    if (strcasecmp(ext, *list) == 0)
      return true;
  return false;
}

pail_status preview_describe_head(const uint8_t *p, size_t n, uint64_t size,
                                  const char *name, size_t max_rows,
                                  size_t max_bytes, json_t *doc,
                                  pail_error **err) {
  static const char *const json_ext[] = {"json", NULL};
  static const char *const ndjson_ext[] = {"ndjson", "jsonl", NULL};
  static const char *const csv_ext[] = {"csv", NULL};
  static const char *const tsv_ext[] = {"tsv", "tab", NULL};
  static const char *const text_ext[] = {"txt", "md", "log", NULL};
  bool complete = (uint64_t)n >= size;
  const char *ext = extension(name);
  pail_status status = PAIL_OK;
  uint32_t w = 0, h = 0;
  bool sized;
  const char *kind;

  if (size == 0) {
    json_object_set_new(doc, "format", json_string("unknown"));
    json_object_set_new(doc, "reason", json_string("empty object"));
  } else if ((kind = image_type(p, n, &w, &h, &sized)) != NULL) {
    json_object_set_new(doc, "format", json_string("image"));
    json_object_set_new(doc, "image_type", json_string(kind));
    if (sized) {
      json_object_set_new(doc, "width", json_integer(w));
      json_object_set_new(doc, "height", json_integer(h));
    }
  } else if ((kind = binary_type(p, n)) != NULL ||
             !looks_like_text(p, n, complete)) {
    json_object_set_new(doc, "format", json_string("binary"));
    if (kind != NULL)
      json_object_set_new(doc, "binary_type", json_string(kind));
  } else {
    size_t start = skip_space(p, n);
    bool bracket = start < n && (p[start] == '{' || p[start] == '[');
    bool json_named = is_ext(ext, json_ext);
    json_t *value = NULL;
    json_error_t error;
    if (complete && (json_named || bracket))
      value = parse_json(p, n, &error);
    if (is_ext(ext, ndjson_ext)) {
      json_decref(value);
      describe_ndjson(p, n, complete, max_rows, doc);
    } else if (value != NULL) {
      status = describe_json(p, n, complete, max_bytes, value, NULL, doc);
    } else if ((json_named || bracket) && looks_like_ndjson(p, n, complete)) {
      describe_ndjson(p, n, complete, max_rows, doc);
    } else if (json_named || (bracket && !complete)) {
      status = describe_json(p, n, complete, max_bytes, NULL,
                             complete ? &error : NULL, doc);
    } else {
      bool csv_named = is_ext(ext, csv_ext), tsv_named = is_ext(ext, tsv_ext);
      char delim = 0;
      if (!is_ext(ext, text_ext))
        delim = sniff_delimiter(p, n, complete,
                                tsv_named   ? '\t'
                                : csv_named ? ','
                                            : 0,
                                csv_named || tsv_named);
      if (delim == 0 && (csv_named || tsv_named))
        delim = tsv_named ? '\t' : ',';
      if (delim != 0)
        status = describe_csv(p, n, complete, delim, max_rows, doc);
      else
        describe_text(p, n, complete, max_rows, doc);
    }
  }
  if (status != PAIL_OK)
    return error_no_memory(err);
  return PAIL_OK;
}
