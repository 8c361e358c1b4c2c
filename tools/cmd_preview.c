/*
 * cmd_preview.c: `pail preview PTR`: pail_preview()'s document, printed for
 * people (CSV as a table, JSON pretty, text lines, Parquet's schema and
 * columns, an image's size) or, with --json, as it is. Every string in the
 * document is already safe for a terminal (docs/preview.md).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMN_WIDTH_MAX 32 /* characters of a table cell shown */

enum { OPT_ROWS = OPT_COMMAND_BASE + 0x100, OPT_BYTES };

typedef struct preview_state {
  pail_preview_options options;
} preview_state;

static int preview_option(cli *c, void *state, int option, const char *arg) {
  preview_state *s = state;
  char *end = NULL;
  errno = 0;
  unsigned long long v =
      arg && *arg >= '0' && *arg <= '9' ? strtoull(arg, &end, 10) : 0;
  if (end == NULL || *end != '\0' || errno != 0 || v == 0)
    return cli_usage_error(c, "--%s wants a positive number, not \"%s\"",
                           option == OPT_ROWS ? "rows" : "bytes", arg);
  if (option == OPT_ROWS)
    s->options.max_rows = (size_t)v;
  else
    s->options.max_bytes = (size_t)v;
  return EXIT_OK;
}

/* Characters (code points) in UTF-8 text. */
static size_t display_width(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Prints s in width characters: cut with "~" when longer, padded. */
static void print_cell(const char *s, size_t width, bool last) {
  size_t w = display_width(s);
  if (w > width) {
    size_t chars = 0;
    const char *p = s;
    for (; *p; p++) {
      if (((unsigned char)*p & 0xC0) != 0x80 && chars++ == width - 1)
        break;
    }
    fwrite(s, 1, (size_t)(p - s), stdout);
    fputs("~", stdout);
    w = width;
  } else {
    fputs(s, stdout);
  }
  if (!last)
    printf("%*s", (int)(width - w + 2), "");
}

static const char *cell(json_t *row, size_t j) {
  const char *s = json_string_value(json_array_get(row, j));
  return s ? s : "";
}

static void print_table(json_t *columns, json_t *rows) {
  size_t n = json_array_size(columns);
  for (size_t r = 0; r < json_array_size(rows); r++)
    if (json_array_size(json_array_get(rows, r)) > n)
      n = json_array_size(json_array_get(rows, r));
  size_t *widths = calloc(n ? n : 1, sizeof *widths);
  if (widths == NULL)
    return;
  for (size_t j = 0; j < n; j++) {
    widths[j] = display_width(cell(columns, j));
    for (size_t r = 0; r < json_array_size(rows); r++) {
      size_t w = display_width(cell(json_array_get(rows, r), j));
      if (w > widths[j])
        widths[j] = w;
    }
    if (widths[j] > COLUMN_WIDTH_MAX)
      widths[j] = COLUMN_WIDTH_MAX;
    if (widths[j] == 0)
      widths[j] = 1;
  }
  for (size_t j = 0; j < n; j++)
    print_cell(cell(columns, j), widths[j], j + 1 == n);
  putchar('\n');
  for (size_t j = 0; j < n; j++) {
    for (size_t k = 0; k < widths[j]; k++)
      putchar('-');
    if (j + 1 < n)
      fputs("  ", stdout);
  }
  putchar('\n');
  for (size_t r = 0; r < json_array_size(rows); r++) {
    json_t *row = json_array_get(rows, r);
    for (size_t j = 0; j < n; j++)
      print_cell(cell(row, j), widths[j], j + 1 == n);
    putchar('\n');
  }
  free(widths);
}

/* A scalar of the document as text (numbers, strings, booleans). */
static char *scalar_text(json_t *v) {
  if (v == NULL)
    return strdup("");
  if (json_is_string(v))
    return strdup(json_string_value(v));
  return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* The names of an array of strings, comma-separated. */
static char *joined(json_t *array) {
  char *out = NULL;
  size_t length = 0;
  FILE *f = open_memstream(&out, &length);
  if (f == NULL)
    return NULL;
  for (size_t i = 0; i < json_array_size(array); i++) {
    char *t = scalar_text(json_array_get(array, i));
    fprintf(f, "%s%s", i ? "," : "", t ? t : "");
    free(t);
  }
  fclose(f);
  return out;
}

static void print_parquet(json_t *doc) {
  printf("rows: %" JSON_INTEGER_FORMAT ", row groups: %" JSON_INTEGER_FORMAT
         ", columns: %" JSON_INTEGER_FORMAT "\n",
         json_integer_value(json_object_get(doc, "num_rows")),
         json_integer_value(json_object_get(doc, "num_row_groups")),
         json_integer_value(json_object_get(doc, "num_columns")));
  const char *created_by =
      json_string_value(json_object_get(doc, "created_by"));
  if (created_by != NULL)
    printf("created by: %s\n", created_by);
  puts("\nschema:");
  json_t *e;
  size_t i;
  json_array_foreach(json_object_get(doc, "schema"), i, e) {
    int depth = (int)json_integer_value(json_object_get(e, "depth"));
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *rep = json_string_value(json_object_get(e, "repetition"));
    char *logical = scalar_text(json_object_get(e, "logical_type"));
    char *converted = scalar_text(json_object_get(e, "converted_type"));
    printf("%*s%s: %s%s%s%s%s%s%s\n", depth * 2, "",
           json_string_value(json_object_get(e, "name")), rep ? rep : "",
           rep ? " " : "", type ? type : "group",
           logical && *logical ? " " : "", logical ? logical : "",
           (!logical || !*logical) && converted && *converted ? " " : "",
           (!logical || !*logical) && converted ? converted : "");
    free(logical);
    free(converted);
  }
  json_t *header = json_pack("[s,s,s,s,s,s,s,s]", "column", "type", "codec",
                             "encodings", "compressed", "nulls", "min", "max");
  json_t *rows = json_array();
  json_array_foreach(json_object_get(doc, "columns"), i, e) {
    char *cells[8] = {scalar_text(json_object_get(e, "path")),
                      scalar_text(json_object_get(e, "type")),
                      joined(json_object_get(e, "codecs")),
                      joined(json_object_get(e, "encodings")),
                      scalar_text(json_object_get(e, "compressed_size")),
                      scalar_text(json_object_get(e, "null_count")),
                      scalar_text(json_object_get(e, "min")),
                      scalar_text(json_object_get(e, "max"))};
    json_t *row = json_array();
    for (int k = 0; k < 8; k++) {
      json_array_append_new(row, json_string(cells[k] ? cells[k] : ""));
      free(cells[k]);
    }
    json_array_append_new(rows, row);
  }
  puts("\ncolumns:");
  print_table(header, rows);
  json_decref(header);
  json_decref(rows);
}

static void print_preview(json_t *doc) {
  const char *format = json_string_value(json_object_get(doc, "format"));
  const char *type = json_string_value(json_object_get(doc, "content_type"));
  printf("%s: %s, %" JSON_INTEGER_FORMAT " bytes%s%s\n",
         json_string_value(json_object_get(doc, "key")), format,
         json_integer_value(json_object_get(doc, "size")), type ? ", " : "",
         type ? type : "");
  bool truncated = json_is_true(json_object_get(doc, "truncated"));
  json_t *v;
  size_t i;
  if (strcmp(format, "csv") == 0 || strcmp(format, "tsv") == 0) {
    const char *d = json_string_value(json_object_get(doc, "delimiter"));
    printf("delimiter %s, %s\n\n", strcmp(d, "\t") == 0 ? "tab" : d,
           json_is_true(json_object_get(doc, "header")) ? "header row"
                                                        : "no header row");
    print_table(json_object_get(doc, "columns"), json_object_get(doc, "rows"));
  } else if (strcmp(format, "json") == 0) {
    putchar('\n');
    puts(json_string_value(json_object_get(doc, "text")));
    const char *error = json_string_value(json_object_get(doc, "error"));
    if (error != NULL)
      printf("(not valid JSON: %s)\n", error);
  } else if (strcmp(format, "ndjson") == 0) {
    putchar('\n');
    json_array_foreach(json_object_get(doc, "lines"), i, v) {
      const char *line = json_string_value(v);
      puts(line ? line : "");
    }
    json_t *bad = json_object_get(doc, "invalid_lines");
    if (json_array_size(bad) > 0) {
      char *lines = joined(bad);
      printf("(lines that are not JSON: %s)\n", lines ? lines : "");
      free(lines);
    }
  } else if (strcmp(format, "text") == 0) {
    putchar('\n');
    json_array_foreach(json_object_get(doc, "lines"), i, v)
        puts(json_string_value(v));
  } else if (strcmp(format, "parquet") == 0) {
    print_parquet(doc);
  } else if (strcmp(format, "image") == 0) {
    const char *kind = json_string_value(json_object_get(doc, "image_type"));
    if (json_object_get(doc, "width") != NULL)
      printf("%s image, %" JSON_INTEGER_FORMAT " x %" JSON_INTEGER_FORMAT
             " pixels\n",
             kind, json_integer_value(json_object_get(doc, "width")),
             json_integer_value(json_object_get(doc, "height")));
    else
      printf("%s image (size not found in the first bytes)\n", kind);
  } else if (strcmp(format, "binary") == 0) {
    const char *kind = json_string_value(json_object_get(doc, "binary_type"));
    printf("binary data%s%s%s; not shown\n", kind ? " (" : "", kind ? kind : "",
           kind ? ")" : "");
  } else {
    const char *reason = json_string_value(json_object_get(doc, "reason"));
    printf("nothing to preview%s%s\n", reason ? ": " : "",
           reason ? reason : "");
  }
  if (truncated)
    puts("...");
}

static int run_preview(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"rows", required_argument, NULL, OPT_ROWS},
      {"bytes", required_argument, NULL, OPT_BYTES},
      {NULL, 0, NULL, 0},
  };
  preview_state s = {.options = PAIL_PREVIEW_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", options,
                                    preview_option, &s, &first);
  if (rc != EXIT_OK)
    return rc;
  if (argc - first != 1)
    return cli_usage_error(c, argc - first < 1 ? "missing operand"
                                               : "too many operands");
  pail_pointer *p = cli_pointer(c, argv[first], false);
  if (p == NULL)
    return EXIT_USAGE;
  char *text = pail_pointer_to_json(p); /* --storage applied, grant kept */
  pail_workspace *ws = text ? cli_workspace(c) : NULL;
  if (ws == NULL) {
    if (text == NULL)
      fputs("pail: out of memory\n", stderr);
    free(text);
    pail_pointer_free(p);
    return EXIT_FAILED;
  }
  char *json = NULL;
  pail_error *err = NULL;
  pail_status status = pail_preview(ws, text, &s.options, &json, &err);
  free(text);
  if (status != PAIL_OK) {
    rc = cli_fail(c, p->key, err);
    pail_pointer_free(p);
    return rc;
  }
  pail_pointer_free(p);
  json_t *doc = json_loads(json, 0, NULL);
  free(json);
  if (doc == NULL) {
    fputs("pail: preview: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  if (c->json)
    return cli_emit_json(doc);
  print_preview(doc);
  json_decref(doc);
  return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

const command cli_cmd_preview = {
    "preview", "preview PTR [--rows N] [--bytes N]",
    "what an object is, and the start of it",
    "\nDetects the object's format from its first bytes and its name and\n"
    "shows the start of it: CSV and TSV as a table, JSON pretty-printed,\n"
    "NDJSON records, text lines, Parquet's schema, row count, row groups and\n"
    "column statistics (read from the footer), an image's type and size.\n"
    "Binary content is described, not printed. Only ranged reads: the head\n"
    "for text, the footer for Parquet. --json prints the document of\n"
    "docs/preview.md.\n\n"
    "Options:\n"
    "      --rows N    rows, records or lines shown (default 20)\n"
    "      --bytes N   bytes read from the head (default 65536)\n",
    run_preview};
