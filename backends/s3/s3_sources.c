/*
 * s3_sources.c: the credential sources an S3 storage signs with, each behind
 * the core's credentials cache (ABI 1.19): fixed keys, STS roles
 * (AssumeRoleWithWebIdentity with a token file read again at each refresh,
 * AssumeRole signed with another source's credentials, chained) and a
 * profile's credential_process. s3_credentials.c decides which applies.
 */
#include "s3.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

extern char **environ;

/* STS answers are small. */
#define STS_MAX_BODY ((size_t)1 << 20)
/* What a credential_process may print. */
#define PROCESS_MAX_OUTPUT ((size_t)1 << 20)

struct s3_source {
  s3_source_kind kind;
  const pail_config *cfg;
  char *describe;
  pail_backend_credentials fixed; /* S3_SOURCE_FIXED */
  char *role_arn, *session_name, *external_id;
  char *token_file; /* S3_SOURCE_WEB_IDENTITY */
  char *sts_url;    /* "https://sts.REGION.amazonaws.com/" */
  char *sts_region;
  int64_t duration; /* DurationSeconds; 0: STS's default */
  s3_source *base;  /* S3_SOURCE_ASSUME_ROLE: whose keys sign */
  char *command;    /* S3_SOURCE_PROCESS */
  char *url;        /* S3_SOURCE_CONTAINER, S3_SOURCE_IMDS */
  char *authorization, *authorization_file; /* S3_SOURCE_CONTAINER */
  char *unfound;                            /* S3_SOURCE_IMDS */
  pail_credentials_cache *cache;
};

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

void s3_source_free(s3_source *s) {
  if (s == NULL)
    return;
  s3_core->credentials_cache_free(s->cache);
  s3_core->credentials_clear(&s->fixed);
  s3_source_free(s->base);
  free(s->describe);
  free(s->role_arn);
  free(s->session_name);
  free(s->external_id);
  free(s->token_file);
  free(s->sts_url);
  free(s->sts_region);
  free(s->command);
  free(s->url);
  if (s->authorization != NULL) {
    memset(s->authorization, 0, strlen(s->authorization));
    free(s->authorization);
  }
  free(s->authorization_file);
  free(s->unfound);
  free(s);
}

const char *s3_source_describe(const s3_source *s) {
  return s->describe;
}

s3_source_kind s3_source_kind_of(const s3_source *s) {
  return s->kind;
}

pail_status s3_source_get(s3_source *s, pail_backend_credentials *out,
                          pail_error **err) {
  return s3_core->credentials_get(s->cache, out, err);
}

void s3_source_invalidate(s3_source *s, const pail_backend_credentials *c) {
  s3_core->credentials_invalidate(s->cache, c);
}

/* --------------------------------------------------------------- STS */

/* STS's error codes by category; others go by the HTTP status. */
static pail_status sts_category(const char *code, int status) {
  static const struct {
    const char *code;
    pail_status category;
  } codes[] = {
      {"AccessDenied", PAIL_ERR_ACCESS_DENIED},
      {"ExpiredTokenException", PAIL_ERR_ACCESS_DENIED},
      {"InvalidIdentityToken", PAIL_ERR_ACCESS_DENIED},
      {"InvalidClientTokenId", PAIL_ERR_ACCESS_DENIED},
      {"SignatureDoesNotMatch", PAIL_ERR_ACCESS_DENIED},
      {"RegionDisabledException", PAIL_ERR_ACCESS_DENIED},
      {"IDPRejectedClaim", PAIL_ERR_ACCESS_DENIED},
      {"IDPCommunicationError", PAIL_ERR_UNAVAILABLE},
      {"Throttling", PAIL_ERR_THROTTLED},
      {"MalformedPolicyDocument", PAIL_ERR_INVALID_ARGUMENT},
      {"ValidationError", PAIL_ERR_INVALID_ARGUMENT},
  };
  for (size_t i = 0; code != NULL && i < sizeof codes / sizeof *codes; i++)
    if (strcmp(code, codes[i].code) == 0)
      return codes[i].category;
  return s3_core->status_category(status);
}

/* The refusal in an STS answer: <ErrorResponse><Error><Code>... */
static pail_status sts_error(const s3_source *s, const char *action,
                             const pail_http_response *response,
                             pail_error **err) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  xmlNodePtr error = root ? backend_xml_child(root, "Error") : NULL;
  char *code = error ? backend_xml_child_text(error, "Code") : NULL;
  char *message = error ? backend_xml_child_text(error, "Message") : NULL;
  char *request_id = root ? backend_xml_child_text(root, "RequestId") : NULL;
  if (doc != NULL)
    xmlFreeDoc(doc);
  const char *header_id = s3_core->http_header(response, "x-amzn-requestid");
  pail_status status = s3_core->error_set(
      err, sts_category(code, response->status), response->status, code,
      request_id ? request_id : header_id,
      "s3: %s: STS %s refused (HTTP %d): %s", s->describe, action,
      response->status,
      message && *message ? message
      : code              ? code
                          : "no message");
  free(code);
  free(message);
  free(request_id);
  return status;
}

/* The <Credentials> of a successful answer, whose root holds
 * <ACTIONResult>. */
static pail_status sts_credentials(const s3_source *s, const char *action,
                                   const pail_http_response *response,
                                   pail_backend_credentials *out,
                                   pail_error **err) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  char result_name[64];
  snprintf(result_name, sizeof result_name, "%sResult", action);
  xmlNodePtr result = root ? backend_xml_child(root, result_name) : NULL;
  xmlNodePtr c = result ? backend_xml_child(result, "Credentials") : NULL;
  char *expiration = NULL;
  if (c != NULL) {
    out->access_key_id = backend_xml_child_text(c, "AccessKeyId");
    out->secret_access_key = backend_xml_child_text(c, "SecretAccessKey");
    out->token = backend_xml_child_text(c, "SessionToken");
    expiration = backend_xml_child_text(c, "Expiration");
  }
  if (doc != NULL)
    xmlFreeDoc(doc);
  pail_status status = PAIL_OK;
  if (out->access_key_id == NULL || !*out->access_key_id ||
      out->secret_access_key == NULL || !*out->secret_access_key ||
      out->token == NULL || !*out->token || expiration == NULL ||
      s3_core->time_parse(expiration, &out->expires, NULL) != PAIL_OK)
    status = s3_core->error_set(
        err, PAIL_ERR_IO, response->status, NULL,
        s3_core->http_header(response, "x-amzn-requestid"),
        "s3: %s: STS %s answered without credentials (AccessKeyId, "
        "SecretAccessKey, SessionToken and an Expiration time)",
        s->describe, action);
  free(expiration);
  if (status == PAIL_OK && (out->source = strdup(s->describe)) == NULL)
    status = s3_no_memory(err);
  if (status != PAIL_OK)
    s3_core->credentials_clear(out);
  return status;
}

/* POSTs query (Action=...&...) to STS, signed with signer unless NULL. */
static pail_status sts_call(const s3_source *s, const char *action,
                            const char *query,
                            const pail_backend_credentials *signer,
                            pail_backend_credentials *out, pail_error **err) {
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "POST", strdup(s->sts_url), err);
  if (status == PAIL_OK)
    status = s3_core->request_header(
        &r, err, "Content-Type: application/x-www-form-urlencoded");
  if (status == PAIL_OK) {
    r.http.body = query;
    r.http.body_length = strlen(query);
  }
  if (status == PAIL_OK && signer != NULL) {
    pail_sigv4_key key = {.access_key_id = signer->access_key_id,
                          .secret_access_key = signer->secret_access_key,
                          .session_token = signer->token,
                          .region = s->sts_region,
                          .service = "sts",
                          .normalize_path = 1};
    unsigned char digest[32];
    char hash[65];
    s3_core->sha256(query, strlen(query), digest);
    s3_core->hex_encode(digest, sizeof digest, hash);
    char **added = NULL;
    size_t added_count = 0;
    status = s3_core->sigv4_sign(
        &key, "POST", r.url, (const char *const *)r.headers, r.header_count,
        hash, s3_core->now(NULL), &added, &added_count, err);
    for (size_t i = 0; i < added_count && status == PAIL_OK; i++)
      status = s3_core->request_header(&r, err, "%s", added[i]);
    s3_core->strings_free(added, added_count);
  }
  if (status == PAIL_OK)
    status =
        s3_core->http_exchange(s->cfg, &r.http, STS_MAX_BODY, &response, err);
  if (status == PAIL_OK && (response.status < 200 || response.status > 299))
    status = sts_error(s, action, &response, err);
  else if (status == PAIL_OK)
    status = sts_credentials(s, action, &response, out, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return status;
}

/* The role parameters every Assume* call takes. */
static char *role_query(const s3_source *s, const char *action) {
  char *query = NULL;
  if (asprintf(&query, "Action=%s&Version=2011-06-15", action) < 0)
    return NULL;
  char duration[24];
  snprintf(duration, sizeof duration, "%lld", (long long)s->duration);
  if (!backend_query_add(s3_core, &query, "RoleArn", s->role_arn) ||
      !backend_query_add(s3_core, &query, "RoleSessionName", s->session_name) ||
      (s->duration > 0 &&
       !backend_query_add(s3_core, &query, "DurationSeconds", duration)) ||
      (s->external_id != NULL &&
       !backend_query_add(s3_core, &query, "ExternalId", s->external_id)))
    return NULL;
  return query;
}

static pail_status web_identity_fetch(s3_source *s,
                                      pail_backend_credentials *out,
                                      pail_error **err) {
  char *token = NULL;
  pail_status status = backend_token_file(
      s3_core, "s3", "the web identity token file", s->token_file, &token, err);
  if (status != PAIL_OK)
    return status;
  size_t length = strlen(token);
  char *query = role_query(s, "AssumeRoleWithWebIdentity");
  if (query == NULL ||
      !backend_query_add(s3_core, &query, "WebIdentityToken", token))
    status = s3_no_memory(err);
  if (status == PAIL_OK)
    status = sts_call(s, "AssumeRoleWithWebIdentity", query, NULL, out, err);
  /* The token is a secret: never in a message. */
  if (status != PAIL_OK && err != NULL && *err != NULL)
    s3_core->error_redact_document(*err, token, length);
  memset(token, 0, length);
  free(token);
  free(query);
  return status;
}

static pail_status assume_role_fetch(s3_source *s,
                                     pail_backend_credentials *out,
                                     pail_error **err) {
  pail_backend_credentials signer = {0};
  pail_status status = s3_source_get(s->base, &signer, err);
  if (status != PAIL_OK)
    return status;
  char *query = role_query(s, "AssumeRole");
  status = query ? sts_call(s, "AssumeRole", query, &signer, out, err)
                 : s3_no_memory(err);
  free(query);
  s3_core->credentials_clear(&signer);
  return status;
}

/* ------------------------------------------------- credential_process */

/* Splits a command line as the AWS CLI does (shlex, POSIX mode): words
 * separated by blanks, single quotes literal, double quotes with \" and
 * \\, a backslash outside quotes escaping the next character. No shell. */
static char **split_command(const char *line, size_t *count) {
  size_t n = strlen(line);
  char **words = calloc(n / 2 + 2, sizeof *words);
  char *word = malloc(n + 1);
  *count = 0;
  if (words == NULL || word == NULL) {
    free(words);
    free(word);
    return NULL;
  }
  size_t length = 0;
  bool in_word = false;
  for (const char *p = line; *p; p++) {
    if (*p == '\'') {
      const char *end = strchr(p + 1, '\'');
      if (end == NULL)
        goto broken;
      memcpy(word + length, p + 1, (size_t)(end - p - 1));
      length += (size_t)(end - p - 1);
      p = end;
      in_word = true;
    } else if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' &&
            (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
          p++;
        word[length++] = *p;
      }
      if (*p != '"')
        goto broken;
      in_word = true;
    } else if (*p == '\\' && p[1] != '\0') {
      word[length++] = *++p;
      in_word = true;
    } else if (*p == ' ' || *p == '\t' || *p == '\n') {
      if (in_word) {
        if ((words[(*count)++] = strndup(word, length)) == NULL)
          goto broken;
        length = 0;
        in_word = false;
      }
    } else {
      word[length++] = *p;
      in_word = true;
    }
  }
  if (in_word && (words[(*count)++] = strndup(word, length)) == NULL)
    goto broken;
  free(word);
  if (*count == 0) {
    free(words);
    return NULL;
  }
  return words;
broken:
  free(word);
  s3_core->strings_free(words, *count);
  *count = 0;
  return NULL;
}

/* Runs the command (no shell), its stdout read up to the limit, its stderr
 * left to the caller's. */
static pail_status process_run(const s3_source *s, char **output,
                               pail_error **err) {
  size_t argc = 0;
  char **argv = split_command(s->command, &argc);
  if (argv == NULL)
    return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "s3: %s: credential_process is empty or its "
                              "quotes do not close",
                              s->describe);
  char **args = realloc(argv, (argc + 1) * sizeof *argv);
  if (args == NULL) {
    s3_core->strings_free(argv, argc);
    return s3_no_memory(err);
  }
  args[argc] = NULL;
  int pipe_fds[2];
  pail_status status = PAIL_OK;
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    s3_core->strings_free(args, argc);
    return s3_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                              "s3: %s: pipe: %s", s->describe, strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  pid_t pid = 0;
  int e = posix_spawnp(&pid, args[0], &actions, NULL, args, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (e != 0) {
    close(pipe_fds[0]);
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: %s: cannot run credential_process "
                                "\"%s\": %s",
                                s->describe, args[0], strerror(e));
    s3_core->strings_free(args, argc);
    return status;
  }
  char *buffer = malloc(PROCESS_MAX_OUTPUT + 1);
  size_t length = 0;
  bool too_long = false;
  for (;;) {
    if (buffer == NULL)
      break;
    if (length == PROCESS_MAX_OUTPUT) {
      char sink[4096];
      ssize_t n = read(pipe_fds[0], sink, sizeof sink);
      if (n > 0) {
        too_long = true;
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      break;
    }
    ssize_t n = read(pipe_fds[0], buffer + length, PROCESS_MAX_OUTPUT - length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    length += (size_t)n;
  }
  close(pipe_fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
    ;
  if (buffer == NULL) {
    status = s3_no_memory(err);
  } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    status = s3_core->error_set(
        err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
        "s3: %s: credential_process \"%s\" %s %d", s->describe, args[0],
        WIFEXITED(wstatus) ? "exited with status" : "was killed by signal",
        WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
  } else if (too_long) {
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: %s: credential_process \"%s\" printed "
                                "more than 1 MiB",
                                s->describe, args[0]);
  }
  s3_core->strings_free(args, argc);
  if (status != PAIL_OK) {
    free(buffer);
    return status;
  }
  buffer[length] = '\0';
  *output = buffer;
  return PAIL_OK;
}

static char *json_member(json_t *o, const char *name) {
  json_t *v = json_object_get(o, name);
  return json_is_string(v) && *json_string_value(v)
             ? strdup(json_string_value(v))
             : NULL;
}

/* {"Version": 1, "AccessKeyId", "SecretAccessKey"[, "SessionToken",
 * "Expiration"]}: without Expiration the keys never expire. */
static pail_status process_fetch(s3_source *s, pail_backend_credentials *out,
                                 pail_error **err) {
  char *output = NULL;
  pail_status status = process_run(s, &output, err);
  if (status != PAIL_OK)
    return status;
  json_t *root = json_loads(output, 0, NULL);
  json_t *version = json_object_get(root, "Version");
  const char *why = NULL;
  if (!json_is_object(root))
    why = "is not a JSON object";
  else if (!json_is_integer(version) || json_integer_value(version) != 1)
    why = "has no \"Version\": 1";
  if (why == NULL) {
    out->access_key_id = json_member(root, "AccessKeyId");
    out->secret_access_key = json_member(root, "SecretAccessKey");
    out->token = json_member(root, "SessionToken");
    if (out->access_key_id == NULL || out->secret_access_key == NULL)
      why = "has no AccessKeyId and SecretAccessKey";
    json_t *expiration = json_object_get(root, "Expiration");
    if (why == NULL && expiration != NULL &&
        (!json_is_string(expiration) ||
         s3_core->time_parse(json_string_value(expiration), &out->expires,
                             NULL) != PAIL_OK))
      why = "has an Expiration that is not an ISO 8601 time";
  }
  if (why != NULL) {
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: %s: what credential_process printed %s",
                                s->describe, why);
    s3_core->credentials_clear(out);
  } else if ((out->source = strdup(s->describe)) == NULL) {
    status = s3_no_memory(err);
    s3_core->credentials_clear(out);
  }
  json_decref(root);
  memset(output, 0, strlen(output));
  free(output);
  return status;
}

/* ------------------------------------------ container and instance */

/* {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, as the
 * container endpoints and IMDS answer (IMDS adds "Code": "Success"). */
static pail_status metadata_credentials(const s3_source *s, const char *what,
                                        const pail_http_response *response,
                                        pail_backend_credentials *out,
                                        pail_error **err) {
  json_t *root = response->body ? json_loadb(response->body,
                                             response->body_length, 0, NULL)
                                : NULL;
  json_t *code = json_object_get(root, "Code");
  json_t *expiration = json_object_get(root, "Expiration");
  const char *why = NULL;
  if (!json_is_object(root))
    why = "is not a JSON object";
  else if (code != NULL && !(json_is_string(code) &&
                             strcmp(json_string_value(code), "Success") == 0))
    why = "has a Code other than Success";
  if (why == NULL) {
    out->access_key_id = json_member(root, "AccessKeyId");
    out->secret_access_key = json_member(root, "SecretAccessKey");
    out->token = json_member(root, "Token");
    if (!out->access_key_id || !out->secret_access_key || !out->token)
      why = "lacks AccessKeyId, SecretAccessKey or Token";
    else if (!json_is_string(expiration) ||
             s3_core->time_parse(json_string_value(expiration), &out->expires,
                                 NULL) != PAIL_OK)
      why = "has no Expiration time";
  }
  json_decref(root);
  pail_status status = PAIL_OK;
  if (why != NULL)
    status =
        s3_core->error_set(err, PAIL_ERR_IO, response->status, NULL, NULL,
                           "s3: %s: the %s answer %s", s->describe, what, why);
  else if ((out->source = strdup(s->describe)) == NULL)
    status = s3_no_memory(err);
  if (status != PAIL_OK)
    s3_core->credentials_clear(out);
  return status;
}

/* One GET or PUT to a metadata or container endpoint; a status other than
 * 200 is an error naming what was asked. */
static pail_status metadata_call(const s3_source *s, const char *method,
                                 const char *path, const char *header,
                                 uint32_t flags, const char *what,
                                 pail_http_response *response,
                                 pail_error **err) {
  char *url = NULL;
  if (asprintf(&url, "%s%s", s->url, path) < 0)
    url = NULL;
  memset(response, 0, sizeof *response);
  pail_status status =
      url ? backend_form_exchange(s3_core, s->cfg, method, url, header, NULL,
                                  flags, STS_MAX_BODY, response, err)
          : s3_no_memory(err);
  if (status == PAIL_OK && response->status != 200) {
    status = s3_core->error_set(
        err,
        response->status == 404 ? PAIL_ERR_NOT_FOUND
                                : s3_core->status_category(response->status),
        response->status, NULL, NULL, "s3: %s: %s: HTTP %d", s->describe, what,
        response->status);
    s3_core->http_response_clear(response);
  } else if (status != PAIL_OK && s->unfound != NULL) {
    /* No metadata answered at all: the chain found nothing anywhere. */
    status = backend_error_wrap(s3_core, err, PAIL_ERR_ACCESS_DENIED,
                                "s3: %s, and no EC2 instance metadata "
                                "answered at %s",
                                s->unfound, s->url);
  } else if (status != PAIL_OK) {
    status = backend_error_wrap(s3_core, err, PAIL_OK, "s3: %s: %s",
                                s->describe, what);
  }
  free(url);
  return status;
}

static pail_status container_fetch(s3_source *s, pail_backend_credentials *out,
                                   pail_error **err) {
  char *token = NULL;
  pail_status status = PAIL_OK;
  if (s->authorization_file != NULL) {
    status = backend_token_file(s3_core, "s3", "the authorization token file",
                                s->authorization_file, &token, err);
  } else if (s->authorization != NULL &&
             (token = strdup(s->authorization)) == NULL) {
    status = s3_no_memory(err);
  }
  if (status == PAIL_OK && token != NULL && strpbrk(token, "\r\n") != NULL)
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: %s: the authorization token holds a line "
                                "break",
                                s->describe);
  char *header = NULL;
  if (status == PAIL_OK && token != NULL &&
      asprintf(&header, "Authorization: %s", token) < 0)
    status = s3_no_memory(err);
  pail_http_response response = {0};
  if (status == PAIL_OK)
    status = metadata_call(s, "GET", "", header, 0, "the credentials request",
                           &response, err);
  if (status == PAIL_OK)
    status =
        metadata_credentials(s, "container credentials", &response, out, err);
  s3_core->http_response_clear(&response);
  if (header != NULL) {
    memset(header, 0, strlen(header));
    free(header);
  }
  if (token != NULL) {
    memset(token, 0, strlen(token));
    free(token);
  }
  return status;
}

/* IMDSv2: a session token (PUT), the instance's role, its credentials.
 * Never IMDSv1: a refused token is an error. */
static pail_status imds_fetch(s3_source *s, pail_backend_credentials *out,
                              pail_error **err) {
  pail_http_response response = {0};
  pail_status status = metadata_call(
      s, "PUT", "/latest/api/token",
      "X-aws-ec2-metadata-token-ttl-seconds: 21600", PAIL_HTTP_METADATA,
      "the IMDSv2 session token (IMDSv1 is never used)", &response, err);
  char *header = NULL;
  if (status == PAIL_OK &&
      (response.body_length == 0 || response.body_length > 4096 ||
       memchr(response.body, '\n', response.body_length) != NULL ||
       asprintf(&header, "X-aws-ec2-metadata-token: %.*s",
                (int)response.body_length, (const char *)response.body) < 0))
    status = s3_core->error_set(err, PAIL_ERR_IO, 200, NULL, NULL,
                                "s3: %s: the IMDSv2 session token is not one "
                                "line",
                                s->describe);
  s3_core->http_response_clear(&response);
  char *role = NULL;
  if (status == PAIL_OK)
    status = metadata_call(
        s, "GET", "/latest/meta-data/iam/security-credentials/", header,
        PAIL_HTTP_METADATA, "the instance's IAM role (is one attached?)",
        &response, err);
  if (status == PAIL_OK) {
    size_t n = strcspn(response.body ? response.body : "", "\r\n");
    if (n > response.body_length)
      n = response.body_length;
    role = n > 0 && n < 256 ? strndup(response.body, n) : NULL;
    if (role == NULL || strchr(role, '/') != NULL || strchr(role, '?'))
      status = s3_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 200, NULL, NULL,
                                  "s3: %s: no IAM role is attached to this "
                                  "instance",
                                  s->describe);
  }
  s3_core->http_response_clear(&response);
  char *path = NULL;
  if (status == PAIL_OK &&
      asprintf(&path, "/latest/meta-data/iam/security-credentials/%s", role) <
          0)
    status = s3_no_memory(err);
  if (status == PAIL_OK)
    status = metadata_call(s, "GET", path, header, PAIL_HTTP_METADATA,
                           "the role's credentials", &response, err);
  if (status == PAIL_OK)
    status = metadata_credentials(s, "instance metadata", &response, out, err);
  s3_core->http_response_clear(&response);
  free(path);
  free(role);
  if (header != NULL) {
    memset(header, 0, strlen(header));
    free(header);
  }
  return status;
}

/* ------------------------------------------------------------ sources */

static pail_status fixed_fetch(s3_source *s, pail_backend_credentials *out,
                               pail_error **err) {
  out->access_key_id = dup_or_null(s->fixed.access_key_id);
  out->secret_access_key = dup_or_null(s->fixed.secret_access_key);
  out->token = dup_or_null(s->fixed.token);
  out->source = strdup(s->describe);
  out->expires = 0;
  if (out->access_key_id && out->secret_access_key && out->source &&
      (out->token || !s->fixed.token))
    return PAIL_OK;
  s3_core->credentials_clear(out);
  return s3_no_memory(err);
}

static pail_status source_fetch(void *context, pail_backend_credentials *out,
                                pail_error **err) {
  s3_source *s = context;
  switch (s->kind) {
  case S3_SOURCE_FIXED:
    return fixed_fetch(s, out, err);
  case S3_SOURCE_WEB_IDENTITY:
    return web_identity_fetch(s, out, err);
  case S3_SOURCE_ASSUME_ROLE:
    return assume_role_fetch(s, out, err);
  case S3_SOURCE_PROCESS:
    return process_fetch(s, out, err);
  case S3_SOURCE_CONTAINER:
    return container_fetch(s, out, err);
  case S3_SOURCE_IMDS:
    return imds_fetch(s, out, err);
  }
  return s3_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "s3: unknown credential source");
}

/* The STS endpoint: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else the
 * region's own (sts.REGION.amazonaws.com, .com.cn in China). */
static pail_status sts_endpoint(s3_source *s, const char *region,
                                pail_error **err) {
  const char *variable = "AWS_ENDPOINT_URL_STS";
  const char *url = getenv(variable);
  if (url == NULL || *url == '\0') {
    variable = "AWS_ENDPOINT_URL";
    url = getenv(variable);
  }
  s->sts_region = strdup(region && *region ? region : "us-east-1");
  if (s->sts_region == NULL)
    return s3_no_memory(err);
  if (url != NULL && *url != '\0') {
    const char *rest = strncmp(url, "https://", 8) == 0  ? url + 8
                       : strncmp(url, "http://", 7) == 0 ? url + 7
                                                         : NULL;
    if (rest == NULL || *rest == '\0' || *rest == '/')
      return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: %s must be an http:// or https:// URL",
                                variable);
    size_t n = strlen(url);
    return asprintf(&s->sts_url, "%.*s/", (int)(url[n - 1] == '/' ? n - 1 : n),
                    url) < 0
               ? s3_no_memory(err)
               : PAIL_OK;
  }
  bool china = strncmp(s->sts_region, "cn-", 3) == 0;
  return asprintf(&s->sts_url, "https://sts.%s.amazonaws.com%s/", s->sts_region,
                  china ? ".cn" : "") < 0
             ? s3_no_memory(err)
             : PAIL_OK;
}

pail_status s3_source_new(const pail_config *cfg,
                          const s3_source_options *options, s3_source **out,
                          pail_error **err) {
  *out = NULL;
  s3_source *s = calloc(1, sizeof *s);
  if (s == NULL)
    return s3_no_memory(err);
  s->kind = options->kind;
  s->cfg = cfg;
  s->describe = strdup(options->describe);
  s->duration = options->duration;
  bool ok = s->describe != NULL;
  pail_status status = PAIL_OK;
  switch (options->kind) {
  case S3_SOURCE_FIXED:
    s->fixed.access_key_id = dup_or_null(options->access_key_id);
    s->fixed.secret_access_key = dup_or_null(options->secret_access_key);
    s->fixed.token = dup_or_null(options->session_token);
    ok = ok && s->fixed.access_key_id && s->fixed.secret_access_key &&
         (s->fixed.token || !options->session_token);
    break;
  case S3_SOURCE_WEB_IDENTITY:
  case S3_SOURCE_ASSUME_ROLE:
    s->role_arn = dup_or_null(options->role_arn);
    s->external_id = dup_or_null(options->external_id);
    s->token_file = dup_or_null(options->token_file);
    /* The SDKs name a session themselves when none is given. */
    if (options->session_name != NULL && *options->session_name)
      s->session_name = strdup(options->session_name);
    else if (asprintf(&s->session_name, "pail-%lld",
                      (long long)s3_core->now(NULL)) < 0)
      s->session_name = NULL;
    ok = ok && s->role_arn && s->session_name &&
         (s->token_file || !options->token_file) &&
         (s->external_id || !options->external_id);
    if (ok)
      status = sts_endpoint(s, options->region, err);
    break;
  case S3_SOURCE_PROCESS:
    s->command = dup_or_null(options->command);
    ok = ok && s->command;
    break;
  case S3_SOURCE_CONTAINER:
  case S3_SOURCE_IMDS:
    s->url = dup_or_null(options->url);
    s->authorization = dup_or_null(options->authorization);
    s->authorization_file = dup_or_null(options->authorization_file);
    s->unfound = dup_or_null(options->unfound);
    ok = ok && s->url && (s->authorization || !options->authorization) &&
         (s->authorization_file || !options->authorization_file) &&
         (s->unfound || !options->unfound);
    break;
  }
  if (status == PAIL_OK && !ok)
    status = s3_no_memory(err);
  if (status == PAIL_OK)
    status =
        s3_core->credentials_cache_new(cfg, source_fetch, s, &s->cache, err);
  if (status != PAIL_OK) {
    s3_source_free(s);
    return status;
  }
  /* The base is taken over only once nothing can fail. */
  s->base = options->base;
  *out = s;
  return PAIL_OK;
}
