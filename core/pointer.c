/*
 * pointer.c: the pointer forms (JSON object, s3:///key, s3://storage/key,
 * bare key; docs/architecture.md, "From a pointer to a plugin call"), their
 * printing, and the key and storage name rules. Every key reaches a backend
 * only after pail_key_check, so the rules here are what keeps "..", NUL and
 * friends away from paths and URLs. Escaping for messages is text.c's.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX_BYTES 1024
#define STORAGE_NAME_MAX_BYTES 63
/* How much of an offending input an error message shows. */
#define QUOTE_MAX_BYTES 64

static const char primary_alias[] = "_default_";

/* User input shown between quotes in a message. */
static char *quote_input(const char *text, size_t len) {
  return text_escape(text, len, QUOTE_MAX_BYTES, TEXT_QUOTED);
}

/* Sets err to `invalid <what> "<input>": <reason>`. */
static pail_status input_error(pail_error **err, const char *what,
                               const char *text, size_t len, const char *format,
                               ...) PAIL_PRINTF(5, 6);
static pail_status input_error(pail_error **err, const char *what,
                               const char *text, size_t len, const char *format,
                               ...) {
  if (err == NULL || *err != NULL)
    return PAIL_ERR_INVALID_ARGUMENT;
  char *reason = NULL;
  va_list args;
  va_start(args, format);
  int n = vasprintf(&reason, format, args);
  va_end(args);
  char *quoted = quote_input(text, len);
  if (n < 0 || quoted == NULL) {
    free(quoted);
    if (n >= 0)
      free(reason);
    return error_no_memory(err);
  }
  pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                 "invalid %s \"%s\": %s", what, quoted, reason);
  free(quoted);
  free(reason);
  return PAIL_ERR_INVALID_ARGUMENT;
}

/* The key rules (docs/architecture.md, step 1). A prefix may also be empty and
 * end with '/'. */
static pail_status check_path(const char *text, size_t len, bool prefix,
                              pail_error **err) {
  const char *what = prefix ? "prefix" : "key";
  if (text == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no %s given", what);
  if (len == 0)
    return prefix ? PAIL_OK
                  : input_error(err, what, text, len, "the key is empty");
  if (len > KEY_MAX_BYTES)
    return input_error(err, what, text, len,
                       "%zu bytes long, more than the %d allowed", len,
                       KEY_MAX_BYTES);
  const unsigned char *s = (const unsigned char *)text;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = utf8_sequence(s + i, len - i, &cp, NULL);
    if (n == 0)
      return input_error(err, what, text, len,
                         "not valid UTF-8 at byte offset %zu", i);
    if (cp == 0)
      return input_error(err, what, text, len,
                         "contains a NUL byte at offset %zu", i);
    /* C0, DEL and C1: invisible in listings, dangerous on terminals. */
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
      return input_error(err, what, text, len,
                         "contains control character U+%04X at byte offset "
                         "%zu",
                         (unsigned)cp, i);
    i += n;
  }
  if (text[0] == '/')
    return input_error(err, what, text, len, "starts with '/'");
  size_t start = 0;
  while (start <= len) {
    const char *slash = memchr(text + start, '/', len - start);
    size_t end = slash ? (size_t)(slash - text) : len;
    size_t seg = end - start;
    if (seg == 0 && end == len) {
      /* Only reachable after a '/': the input ends with one. */
      if (!prefix)
        return input_error(err, what, text, len,
                           "ends with '/' (a key names an object, not a "
                           "folder)");
    } else if (seg == 0) {
      return input_error(err, what, text, len, "empty path segment");
    } else if (seg == 1 && text[start] == '.') {
      return input_error(err, what, text, len, "\".\" path segment");
    } else if (seg == 2 && text[start] == '.' && text[start + 1] == '.') {
      return input_error(err, what, text, len, "\"..\" path segment");
    }
    if (slash == NULL)
      break;
    start = end + 1;
  }
  return PAIL_OK;
}

pail_status pail_key_check(const char *key, size_t len, pail_error **err) {
  return check_path(key, len, false, err);
}

pail_status pointer_prefix_check(const char *prefix, size_t len,
                                 pail_error **err) {
  return check_path(prefix, len, true, err);
}

pail_status pail_storage_name_check(const char *name, pail_error **err) {
  if (name == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no storage name given");
  size_t len = strlen(name);
  if (len == 0)
    return input_error(err, "storage name", name, len, "the name is empty");
  if (len > STORAGE_NAME_MAX_BYTES)
    return input_error(err, "storage name", name, len,
                       "%zu bytes long, more than the %d allowed", len,
                       STORAGE_NAME_MAX_BYTES);
  size_t bad = strspn(name, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
  if (bad < len) {
    unsigned char c = (unsigned char)name[bad];
    char shown[8];
    if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\')
      snprintf(shown, sizeof shown, "'%c'", c);
    else
      snprintf(shown, sizeof shown, "0x%02x", c);
    return input_error(err, "storage name", name, len,
                       "character %s at offset %zu is not allowed (only "
                       "letters, digits, '_', '.' and '-')",
                       shown, bad);
  }
  return PAIL_OK;
}

/* Sets p->storage from a name of len bytes: "_default_" is the primary
 * (NULL), anything else must be a valid storage name. */
static pail_status take_storage(pail_pointer *p, const char *name, size_t len,
                                pail_error **err) {
  if (len == sizeof primary_alias - 1 && memcmp(name, primary_alias, len) == 0)
    return PAIL_OK;
  char *copy = strndup(name, len);
  if (copy == NULL)
    return error_no_memory(err);
  pail_status status = pail_storage_name_check(copy, err);
  if (status != PAIL_OK) {
    free(copy);
    return status;
  }
  p->storage = copy;
  return PAIL_OK;
}

/* Sets p->key from len bytes of input after dropping one leading '/'. */
static pail_status take_key(pail_pointer *p, const char *key, size_t len,
                            bool prefix, pail_error **err) {
  if (len > 0 && key[0] == '/') {
    key++;
    len--;
  }
  pail_status status = check_path(key, len, prefix, err);
  if (status != PAIL_OK)
    return status;
  p->key = malloc(len + 1);
  if (p->key == NULL)
    return error_no_memory(err);
  memcpy(p->key, key, len);
  p->key[len] = '\0';
  return PAIL_OK;
}

static const char *json_type_name(const json_t *value) {
  switch (json_typeof(value)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "unknown";
}

static pail_status json_field_error(pail_error **err, const char *field,
                                    const char *expected, const json_t *value) {
  return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                        "invalid pointer JSON: \"%s\" must be %s, not %s",
                        field, expected, json_type_name(value));
}

/* The pointer fields pail itself reads; the rest of a JSON pointer is
 * extra. */
static bool is_pointer_field(const char *name) {
  return strcmp(name, "s3") == 0 || strcmp(name, "storage") == 0 ||
         strcmp(name, "presigned") == 0;
}

/* Sets p->extra to the compact JSON text of root's other fields, if any. */
static pail_status take_extra(pail_pointer *p, json_t *root, pail_error **err) {
  json_t *extra = NULL;
  const char *name;
  json_t *value;
  json_object_foreach(root, name, value) {
    if (is_pointer_field(name))
      continue;
    if ((extra == NULL && (extra = json_object()) == NULL) ||
        json_object_set(extra, name, value) != 0) {
      json_decref(extra);
      return error_no_memory(err);
    }
  }
  if (extra == NULL)
    return PAIL_OK;
  p->extra = json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(extra);
  return p->extra ? PAIL_OK : error_no_memory(err);
}

/* {"s3": key, "storage": name|null, "presigned": grant|null, ...}; other
 * fields (filename, ...) are kept in p->extra and otherwise ignored, as
 * docs/architecture.md says. */
static pail_status parse_json(const char *text, bool prefix, pail_pointer *p,
                              pail_error **err) {
  json_error_t jerror;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerror);
  if (root == NULL) {
    char *detail =
        text_escape(jerror.text, strlen(jerror.text), sizeof jerror.text, 0);
    char *quoted = quote_input(text, strlen(text));
    pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                   "malformed pointer JSON \"%s\": %s (line %d, column %d)",
                   quoted ? quoted : "", detail ? detail : "", jerror.line,
                   jerror.column);
    free(detail);
    free(quoted);
    return PAIL_ERR_INVALID_ARGUMENT;
  }
  pail_status status = PAIL_OK;
  json_t *key = json_object_get(root, "s3");
  json_t *storage = json_object_get(root, "storage");
  json_t *presigned = json_object_get(root, "presigned");
  if (!json_is_object(root))
    status = pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "invalid pointer JSON: expected an object, not %s",
                            json_type_name(root));
  else if (key == NULL)
    status = pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "invalid pointer JSON: no \"s3\" field (the key)");
  else if (!json_is_string(key))
    status = json_field_error(err, "s3", "a string", key);
  else if (storage != NULL && !json_is_string(storage) &&
           !json_is_null(storage))
    status = json_field_error(err, "storage", "a string or null", storage);
  else if (presigned != NULL && !json_is_string(presigned) &&
           !json_is_null(presigned))
    status = json_field_error(err, "presigned", "a string or null", presigned);
  if (status == PAIL_OK && json_is_string(storage))
    status = take_storage(p, json_string_value(storage),
                          json_string_length(storage), err);
  if (status == PAIL_OK)
    status = take_key(p, json_string_value(key), json_string_length(key),
                      prefix, err);
  if (status == PAIL_OK && json_is_string(presigned)) {
    p->presigned = str_dup(json_string_value(presigned));
    if (p->presigned == NULL)
      status = error_no_memory(err);
  }
  if (status == PAIL_OK)
    status = take_extra(p, root, err);
  json_decref(root);
  return status;
}

/* s3:///key, s3://storage/key, and for prefixes also s3:// and s3://storage.
 * The key is taken literally: no percent-decoding. */
static pail_status parse_uri(const char *text, bool prefix, pail_pointer *p,
                             pail_error **err) {
  size_t len = strlen(text);
  if (strncmp(text, "s3://", 5) != 0)
    return input_error(err, "pointer", text, len,
                       "expected s3:///key or s3://storage/key");
  const char *storage = text + 5;
  const char *slash = strchr(storage, '/');
  size_t storage_len = slash ? (size_t)(slash - storage) : strlen(storage);
  /* An empty storage part (s3:///key) names the primary storage. */
  pail_status status =
      storage_len ? take_storage(p, storage, storage_len, err) : PAIL_OK;
  if (status != PAIL_OK)
    return status;
  /* The '/' after the storage part is the leading '/' that take_key drops. */
  const char *key = slash ? slash : "";
  size_t key_len = strlen(key);
  if (!prefix && key_len <= 1)
    return input_error(err, "pointer", text, len,
                       "no key after the storage part (expected "
                       "s3:///key or s3://storage/key)");
  return take_key(p, key, key_len, prefix, err);
}

/* The length of "scheme://" at the start of text ("gs://", "S3://"), or 0.
 * No key starts so (the "//" would be an empty path segment): such a text
 * is a URI in a scheme pail does not know, not a bare key. */
static size_t uri_scheme_length(const char *text) {
  size_t n = 0;
  while ((text[n] >= 'a' && text[n] <= 'z') ||
         (text[n] >= 'A' && text[n] <= 'Z') ||
         (n > 0 && ((text[n] >= '0' && text[n] <= '9') || text[n] == '+' ||
                    text[n] == '-' || text[n] == '.')))
    n++;
  return n > 0 && strncmp(text + n, "://", 3) == 0 ? n + 3 : 0;
}

static pail_status unknown_scheme(const char *text, size_t scheme_length,
                                  pail_error **err) {
  bool s3 = scheme_length == 5 && strncasecmp(text, "s3", 2) == 0;
  return input_error(err, "pointer", text, strlen(text),
                     "\"%.*s\" is not a scheme pail knows%s; a pointer is "
                     "{\"s3\": \"key\"}, s3:///key, s3://storage/key or a "
                     "bare key",
                     (int)scheme_length, text,
                     s3 ? " (s3 is written in lowercase)" : "");
}

static pail_status parse_pointer(const char *text, const char *default_storage,
                                 bool prefix, pail_pointer **out,
                                 pail_error **err) {
  if (out == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no place for the parsed pointer");
  *out = NULL;
  if (text == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no pointer given");
  pail_pointer *p = calloc(1, sizeof *p);
  if (p == NULL)
    return error_no_memory(err);
  pail_status status;
  /* JSON may come from a file with leading whitespace; no key can start
   * with a tab or newline, and a key starting with " {" is still reachable
   * through the other forms. */
  const char *first = text + strspn(text, " \t\r\n");
  if (*first == '{')
    status = parse_json(text, prefix, p, err);
  else if (strncmp(text, "s3:", 3) == 0)
    status = parse_uri(text, prefix, p, err);
  else if (uri_scheme_length(text) > 0)
    status = unknown_scheme(text, uri_scheme_length(text), err);
  else {
    status = default_storage ? take_storage(p, default_storage,
                                            strlen(default_storage), err)
                             : PAIL_OK;
    if (status == PAIL_OK)
      status = take_key(p, text, strlen(text), prefix, err);
  }
  if (status != PAIL_OK) {
    pail_pointer_free(p);
    return status;
  }
  *out = p;
  return PAIL_OK;
}

pail_status pail_pointer_parse(const char *text, const char *default_storage,
                               pail_pointer **out, pail_error **err) {
  return parse_pointer(text, default_storage, false, out, err);
}

pail_status pail_pointer_parse_prefix(const char *text,
                                      const char *default_storage,
                                      pail_pointer **out, pail_error **err) {
  return parse_pointer(text, default_storage, true, out, err);
}

pail_status pail_pointer_new(const char *storage, const char *key,
                             pail_pointer **out, pail_error **err) {
  if (out == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no place for the new pointer");
  *out = NULL;
  /* Parts are not user input: the key must already be in its final form. */
  pail_status status = pail_key_check(key, key ? strlen(key) : 0, err);
  if (status != PAIL_OK)
    return status;
  pail_pointer *p = calloc(1, sizeof *p);
  if (p == NULL)
    return error_no_memory(err);
  if (storage != NULL)
    status = take_storage(p, storage, strlen(storage), err);
  if (status == PAIL_OK) {
    p->key = str_dup(key);
    if (p->key == NULL)
      status = error_no_memory(err);
  }
  if (status != PAIL_OK) {
    pail_pointer_free(p);
    return status;
  }
  *out = p;
  return PAIL_OK;
}

pail_pointer *pail_pointer_dup(const pail_pointer *pointer) {
  if (pointer == NULL)
    return NULL;
  pail_pointer *p = calloc(1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->storage = str_dup(pointer->storage);
  p->key = str_dup(pointer->key);
  p->presigned = str_dup(pointer->presigned);
  p->extra = str_dup(pointer->extra);
  if ((pointer->storage && !p->storage) || (pointer->key && !p->key) ||
      (pointer->presigned && !p->presigned) || (pointer->extra && !p->extra)) {
    pail_pointer_free(p);
    return NULL;
  }
  return p;
}

void pail_pointer_free(pail_pointer *pointer) {
  if (pointer == NULL)
    return;
  free(pointer->storage);
  free(pointer->key);
  free(pointer->presigned);
  free(pointer->extra);
  free(pointer);
}

char *pail_pointer_to_json(const pail_pointer *pointer) {
  if (pointer == NULL)
    return NULL;
  json_t *object = json_object();
  if (object == NULL)
    return NULL;
  /* json_string refuses invalid UTF-8, which only a hand-built pointer can
   * hold; the failed set then makes the whole print fail. */
  int failed = json_object_set_new(
      object, "s3", json_string(pointer->key ? pointer->key : ""));
  if (pointer->storage != NULL)
    failed |=
        json_object_set_new(object, "storage", json_string(pointer->storage));
  if (pointer->presigned != NULL)
    failed |= json_object_set_new(object, "presigned",
                                  json_string(pointer->presigned));
  if (!failed && pointer->extra != NULL) {
    json_t *extra = json_loads(pointer->extra, JSON_REJECT_DUPLICATES, NULL);
    const char *name;
    json_t *value;
    failed |= !json_is_object(extra);
    if (json_is_object(extra))
      json_object_foreach(extra, name, value) {
        if (!is_pointer_field(name))
          failed |= json_object_set(object, name, value);
      }
    json_decref(extra);
  }
  /* Default flags: `{"s3": "a", "storage": "b"}`, in insertion order, with
   * non-ASCII kept as raw UTF-8. */
  char *text = failed ? NULL : json_dumps(object, JSON_PRESERVE_ORDER);
  json_decref(object);
  return text;
}

char *pail_pointer_to_uri(const pail_pointer *pointer) {
  if (pointer == NULL)
    return NULL;
  const char *key = pointer->key ? pointer->key : "";
  /* The grant cannot travel in a URI; it is dropped here. */
  return pointer->storage ? str_printf("s3://%s/%s", pointer->storage, key)
                          : str_printf("s3:///%s", key);
}

/* Whether a pointer can name a listed entry under prefix. */
static bool list_entry_nameable(const pail_object_info *entry,
                                const char *prefix, size_t prefix_length) {
  if (entry->key == NULL || strncmp(entry->key, prefix, prefix_length) != 0)
    return false;
  size_t length = strlen(entry->key);
  if (entry->is_folder) {
    if (length < 2 || entry->key[length - 1] != '/')
      return false;
    length--;
  }
  return pail_key_check(entry->key, length, NULL) == PAIL_OK;
}

size_t list_page_drop_unnameable(const char *prefix, pail_list_page *page) {
  size_t kept = 0, prefix_length = strlen(prefix);
  for (size_t i = 0; i < page->count; i++) {
    pail_object_info *entry = &page->entries[i];
    if (list_entry_nameable(entry, prefix, prefix_length)) {
      if (kept != i)
        page->entries[kept] = *entry;
      kept++;
    } else {
      pail_object_info_clear(entry);
    }
  }
  size_t dropped = page->count - kept;
  page->count = kept;
  return dropped;
}

bool key_is_reserved(const char *key) {
  return key != NULL && strncmp(key, RESERVED_UPLOADS_PREFIX,
                                RESERVED_UPLOADS_PREFIX_LENGTH) == 0;
}
