/*
 * permissions.c: the workspace's advanced_permissions (Windmill's format):
 * an ordered list of {pattern, allow} rules over keys, where the first rule
 * whose glob matches decides. Parsing is strict so that a typo in a rule
 * cannot silently widen or narrow access.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
  const char *word;
  unsigned bit;
} access_words[] = {
    {"read", PAIL_ACCESS_READ},
    {"write", PAIL_ACCESS_WRITE},
    {"delete", PAIL_ACCESS_DELETE},
    {"list", PAIL_ACCESS_LIST},
};
#define ACCESS_WORD_COUNT (sizeof access_words / sizeof access_words[0])
/* How much of a username a denial shows. */
#define USERNAME_SHOWN_MAX_BYTES 128

static const char username_placeholder[] = "{username}";

/* Adds the access word text[0..len) to *allow; rule is 1-based. */
static pail_status add_access_word(const char *text, size_t len, size_t rule,
                                   unsigned *allow, pail_error **err) {
  while (len > 0 && text[0] == ' ') {
    text++;
    len--;
  }
  while (len > 0 && text[len - 1] == ' ')
    len--;
  for (size_t i = 0; i < ACCESS_WORD_COUNT; i++) {
    if (strlen(access_words[i].word) == len &&
        memcmp(access_words[i].word, text, len) == 0) {
      *allow |= access_words[i].bit;
      return PAIL_OK;
    }
  }
  return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                        "rule %zu: unknown access \"%.*s\" in \"allow\" "
                        "(expected read, write, delete or list)",
                        rule, (int)len, text);
}

/* "allow": "read, write" or ["read", "write"]; "" and [] allow nothing. */
static pail_status parse_allow(const json_t *value, size_t rule,
                               unsigned *allow, pail_error **err) {
  *allow = 0;
  if (json_is_string(value)) {
    const char *text = json_string_value(value);
    if (text[strspn(text, " ")] == '\0')
      return PAIL_OK;
    for (;;) {
      const char *comma = strchr(text, ',');
      size_t len = comma ? (size_t)(comma - text) : strlen(text);
      pail_status status = add_access_word(text, len, rule, allow, err);
      if (status != PAIL_OK || comma == NULL)
        return status;
      text = comma + 1;
    }
  }
  if (json_is_array(value)) {
    size_t i;
    const json_t *word;
    json_array_foreach(value, i, word) {
      if (!json_is_string(word))
        return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "rule %zu: \"allow\" entry %zu is not a string",
                              rule, i + 1);
      pail_status status = add_access_word(
          json_string_value(word), json_string_length(word), rule, allow, err);
      if (status != PAIL_OK)
        return status;
    }
    return PAIL_OK;
  }
  return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                        "rule %zu: \"allow\" must be a string such as "
                        "\"read,list\" or an array of such words",
                        rule);
}

static pail_status parse_rule(const json_t *object, size_t rule,
                              access_rule *out, pail_error **err) {
  if (!json_is_object(object))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "rule %zu is not an object with \"pattern\" and "
                          "\"allow\"",
                          rule);
  const char *field;
  const json_t *value;
  json_object_foreach((json_t *)object, field, value) {
    if (strcmp(field, "pattern") != 0 && strcmp(field, "allow") != 0)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "rule %zu: unknown field \"%s\" (a rule has "
                            "\"pattern\" and \"allow\")",
                            rule, field);
  }
  const json_t *pattern = json_object_get(object, "pattern");
  const json_t *allow = json_object_get(object, "allow");
  if (pattern == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "rule %zu has no \"pattern\"", rule);
  if (!json_is_string(pattern) || json_string_length(pattern) == 0 ||
      strlen(json_string_value(pattern)) != json_string_length(pattern))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "rule %zu: \"pattern\" must be a non-empty string",
                          rule);
  if (allow == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "rule %zu has no \"allow\"", rule);
  pail_status status = parse_allow(allow, rule, &out->allow, err);
  if (status != PAIL_OK)
    return status;
  out->pattern = str_dup(json_string_value(pattern));
  return out->pattern ? PAIL_OK : error_no_memory(err);
}

pail_status access_rules_parse(const json_t *array, access_rules *out,
                               pail_error **err) {
  memset(out, 0, sizeof *out);
  if (!json_is_array(array))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "must be an array of {\"pattern\", \"allow\"} "
                          "rules");
  out->present = true;
  size_t count = json_array_size(array);
  if (count == 0)
    return PAIL_OK;
  out->rules = calloc(count, sizeof *out->rules);
  if (out->rules == NULL)
    return error_no_memory(err);
  for (size_t i = 0; i < count; i++) {
    pail_status status =
        parse_rule(json_array_get(array, i), i + 1, &out->rules[i], err);
    if (status != PAIL_OK) {
      access_rules_free(out);
      return status;
    }
    out->count++;
  }
  return PAIL_OK;
}

void access_rules_free(access_rules *rules) {
  if (rules == NULL)
    return;
  for (size_t i = 0; i < rules->count; i++)
    free(rules->rules[i].pattern);
  free(rules->rules);
  memset(rules, 0, sizeof *rules);
}

/* A pattern compiled to one token per position: a literal byte, or one of
 * the wildcards. {username} becomes literal bytes, so wildcard characters in
 * a username match only themselves. */
enum glob_token { GLOB_ANY_IN_SEGMENT = 256, GLOB_ANY, GLOB_ONE };

static int *glob_compile(const char *pattern, const char *username,
                         size_t *count) {
  size_t user_len = username ? strlen(username) : 0;
  size_t capacity = 0;
  for (const char *p = pattern; *p;) {
    if (strncmp(p, username_placeholder, sizeof username_placeholder - 1) ==
        0) {
      capacity += user_len;
      p += sizeof username_placeholder - 1;
    } else {
      capacity++;
      p++;
    }
  }
  int *tokens = malloc((capacity + 1) * sizeof *tokens);
  if (tokens == NULL)
    return NULL;
  size_t n = 0;
  for (const char *p = pattern; *p;) {
    if (strncmp(p, username_placeholder, sizeof username_placeholder - 1) ==
        0) {
      for (size_t i = 0; i < user_len; i++)
        tokens[n++] = (unsigned char)username[i];
      p += sizeof username_placeholder - 1;
    } else if (p[0] == '*' && p[1] == '*') {
      tokens[n++] = GLOB_ANY;
      p += 2;
    } else if (p[0] == '*') {
      tokens[n++] = GLOB_ANY_IN_SEGMENT;
      p++;
    } else if (p[0] == '?') {
      tokens[n++] = GLOB_ONE;
      p++;
    } else {
      tokens[n++] = (unsigned char)*p++;
    }
  }
  *count = n;
  return tokens;
}

/* Dynamic programming over (token, key offset), one row at a time:
 * O(tokens * key) time whatever the pattern, where backtracking would be
 * exponential on patterns such as "*a*a*a*b". */
static bool glob_tokens_match(const int *tokens, size_t count, const char *key,
                              size_t len, bool *row, bool *next) {
  memset(row, 0, (len + 1) * sizeof *row);
  row[0] = true; /* the empty pattern matches the empty key */
  for (size_t t = 0; t < count; t++) {
    int token = tokens[t];
    bool any = false;
    next[0] = (token == GLOB_ANY || token == GLOB_ANY_IN_SEGMENT) && row[0];
    for (size_t j = 1; j <= len; j++) {
      char c = key[j - 1];
      if (token == GLOB_ANY)
        next[j] = row[j] || next[j - 1];
      else if (token == GLOB_ANY_IN_SEGMENT)
        next[j] = row[j] || (next[j - 1] && c != '/');
      else if (token == GLOB_ONE)
        next[j] = row[j - 1] && c != '/';
      else
        next[j] = row[j - 1] && (unsigned char)c == token;
      any |= next[j];
    }
    if (!any && !next[0])
      return false;
    bool *swap = row;
    row = next;
    next = swap;
  }
  return row[len];
}

bool access_glob_match(const char *pattern, const char *username,
                       const char *key) {
  if (pattern == NULL || key == NULL)
    return false;
  if (strstr(pattern, username_placeholder) != NULL &&
      (username == NULL || *username == '\0' || strchr(username, '/')))
    /* A username with '/' would reach into another user's folder: for
     * "alice/x", the rule for u/{username}/ covers part of u/alice/. */
    return false;
  size_t count;
  int *tokens = glob_compile(pattern, username, &count);
  size_t len = strlen(key);
  bool *rows = malloc(2 * (len + 1) * sizeof *rows);
  bool matched =
      tokens && rows &&
      glob_tokens_match(tokens, count, key, len, rows, rows + len + 1);
  free(tokens);
  free(rows);
  return matched; /* out of memory denies */
}

/* "read, list" for a set of access bits; buffer holds all four words. */
static const char *access_names(unsigned bits, char buffer[64]) {
  buffer[0] = '\0';
  for (size_t i = 0; i < ACCESS_WORD_COUNT; i++) {
    if (bits & access_words[i].bit) {
      if (buffer[0] != '\0')
        strcat(buffer, ", ");
      strcat(buffer, access_words[i].word);
    }
  }
  return buffer[0] ? buffer : "nothing";
}

pail_status access_rules_check(const access_rules *rules, const char *username,
                               const char *key, unsigned access,
                               pail_error **err) {
  if (rules == NULL || !rules->present)
    return PAIL_OK;
  char wanted[64], allowed[64];
  size_t i = 0;
  while (i < rules->count &&
         !access_glob_match(rules->rules[i].pattern, username, key))
    i++;
  if (i < rules->count && (rules->rules[i].allow & access) == access)
    return PAIL_OK;
  if (err == NULL || *err != NULL)
    return PAIL_ERR_ACCESS_DENIED;
  /* The username comes from the environment or the caller, unchecked: it
   * is escaped as keys are, so that no control character reaches a
   * terminal through the message. */
  const char *user = username && *username ? username : NULL;
  char *shown = user ? text_escape(user, strlen(user), USERNAME_SHOWN_MAX_BYTES,
                                   TEXT_QUOTED)
                     : NULL;
  char *who = shown ? str_printf("for user \"%s\"", shown)
                    : str_dup(user ? "for this user" : "without a username");
  free(shown);
  if (who == NULL)
    return error_no_memory(err);
  if (i < rules->count)
    pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                   "%s to \"%s\" is not allowed %s (rule %zu "
                   "\"%s\" allows %s)",
                   access_names(access, wanted), key, who, i + 1,
                   rules->rules[i].pattern,
                   access_names(rules->rules[i].allow, allowed));
  else
    pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                   "%s to \"%s\" is not allowed %s (no rule "
                   "in advanced_permissions matches)",
                   access_names(access, wanted), key ? key : "", who);
  free(who);
  return PAIL_ERR_ACCESS_DENIED;
}
