/*
 * content_type.c: a content type from a file name's extension, for uploads
 * that do not name one. A short table of the formats workflow steps exchange;
 * anything else is left to the backend's default.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

static const struct {
  const char *extension;
  const char *type;
} known_types[] = {
    {"arrow", "application/vnd.apache.arrow.file"},
    {"avro", "application/avro"},
    {"bz2", "application/x-bzip2"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"jsonl", "application/x-ndjson"},
    {"md", "text/markdown"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"ndjson", "application/x-ndjson"},
    {"orc", "application/x-orc"},
    {"parquet", "application/vnd.apache.parquet"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tsv", "text/tab-separated-values"},
    {"txt", "text/plain"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webp", "image/webp"},
    {"xml", "application/xml"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

const char *pail_content_type_guess(const char *name) {
  if (name == NULL)
    return NULL;
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  const char *dot = strrchr(base, '.');
  if (dot == NULL || dot == base || dot[1] == '\0')
    return NULL;
  for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
    if (strcasecmp(dot + 1, known_types[i].extension) == 0)
      return known_types[i].type;
  return NULL;
}
