/*
 * s3_credentials.c: where an S3 storage's endpoint, region and credentials
 * come from, in the order the AWS CLI uses: the settings, then the
 * environment, then the profile in the shared credentials and config files.
 * Anonymous access is used only when the settings ask for it, never as a
 * fallback: a typo in a key name must not turn into unsigned requests.
 *
 * Roles (a web identity, a profile's role_arn, the settings' roleArn),
 * credential_process, container credentials and EC2 instance metadata give
 * credentials that expire: s3_sources.c fetches and refreshes them. Not
 * (yet) supported: SSO profiles (refused, with a workaround); the error
 * when nothing is found says what was tried.
 */
#include "s3.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void s3_credentials_clear(s3_credentials *c) {
  s3_source_free(c->source);
  memset(c, 0, sizeof *c);
}

static const char *env(const char *name) {
  const char *value = getenv(name);
  return value && *value ? value : NULL;
}

/* --------------------------------------------------------- INI files */

/* The value of `name` in section `section` of an AWS INI file, malloc'ed;
 * NULL when absent (or the file is unreadable). */
static char *ini_lookup(const char *path, const char *section,
                        const char *name) {
  FILE *f = path ? fopen(path, "r") : NULL;
  if (f == NULL)
    return NULL;
  char line[4096];
  bool in_section = false;
  char *found = NULL;
  while (found == NULL && fgets(line, sizeof line, f) != NULL) {
    char *p = line;
    while (isspace((unsigned char)*p))
      p++;
    char *end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
      *--end = '\0';
    if (*p == '\0' || *p == '#' || *p == ';')
      continue;
    if (*p == '[') {
      char *close = strchr(p, ']');
      if (close == NULL)
        continue;
      *close = '\0';
      char *title = p + 1;
      while (isspace((unsigned char)*title))
        title++;
      char *tail = title + strlen(title);
      while (tail > title && isspace((unsigned char)tail[-1]))
        *--tail = '\0';
      in_section = strcmp(title, section) == 0;
      continue;
    }
    if (!in_section)
      continue;
    char *eq = strchr(p, '=');
    if (eq == NULL)
      continue;
    char *key_end = eq;
    while (key_end > p && isspace((unsigned char)key_end[-1]))
      key_end--;
    char *value = eq + 1;
    while (isspace((unsigned char)*value))
      value++;
    if ((size_t)(key_end - p) == strlen(name) &&
        strncmp(p, name, (size_t)(key_end - p)) == 0)
      found = strdup(value);
  }
  fclose(f);
  return found;
}

/* ~/.aws/<file> unless the variable names another path. Caller frees. */
static char *aws_file(const char *variable, const char *file) {
  const char *path = env(variable);
  if (path != NULL)
    return strdup(path);
  const char *home = env("HOME");
  char *out = NULL;
  if (home != NULL && asprintf(&out, "%s/.aws/%s", home, file) < 0)
    out = NULL;
  return out;
}

/* A profile's value: the credentials file's [name], then the config file's
 * [profile name] ([default] for the default profile). */
static char *profile_value(const char *profile, const char *credentials_path,
                           const char *config_path, const char *name,
                           bool credentials_first) {
  char *value = NULL;
  if (credentials_first)
    value = ini_lookup(credentials_path, profile, name);
  if (value == NULL) {
    char *section = NULL;
    if (strcmp(profile, "default") == 0)
      section = strdup("default");
    else if (asprintf(&section, "profile %s", profile) < 0)
      section = NULL;
    value = section ? ini_lookup(config_path, section, name) : NULL;
    free(section);
  }
  return value;
}

/* ----------------------------------------------------------- endpoint */

/* Checks an endPoint setting: host[:port], no scheme, no path. */
static pail_status check_endpoint(const char *endpoint, pail_error **err) {
  const char *why = s3_core->endpoint_problem(endpoint);
  if (why == NULL)
    return PAIL_OK;
  return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "s3: invalid endPoint \"%.100s\": %s", endpoint,
                            why);
}

/* Takes an endpoint URL from the environment (AWS_ENDPOINT_URL[_S3]):
 * scheme://host[:port][/]. */
static pail_status endpoint_from_url(s3_instance *s3, const char *variable,
                                     const char *url, pail_error **err) {
  const char *rest = NULL;
  if (strncmp(url, "https://", 8) == 0) {
    s3->use_ssl = true;
    rest = url + 8;
  } else if (strncmp(url, "http://", 7) == 0) {
    s3->use_ssl = false;
    rest = url + 7;
  } else {
    return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "s3: %s must be an http:// or https:// URL",
                              variable);
  }
  size_t n = strlen(rest);
  if (n > 0 && rest[n - 1] == '/')
    n--;
  s3->endpoint = strndup(rest, n);
  if (s3->endpoint == NULL)
    return s3_no_memory(err);
  if (check_endpoint(s3->endpoint, NULL) != PAIL_OK)
    return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "s3: %s is not scheme://host[:port]", variable);
  return PAIL_OK;
}

/* --------------------------------------------------------------- all */

/* Where the shared AWS files are and which profile of them applies. */
typedef struct aws_profile {
  const char *name;
  char *credentials_path; /* NULL when there is no home */
  char *config_path;
} aws_profile;

/* The endpoint and scheme: settings, then AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL; none of them means AWS itself (s3->aws). */
static pail_status resolve_endpoint(s3_instance *s3, pail_error **err) {
  const char *endpoint = s3_core->config_string(s3->cfg, "endPoint");
  s3->use_ssl = s3_core->config_bool(s3->cfg, "useSSL", 1);
  if (endpoint != NULL && *endpoint != '\0') {
    pail_status status = check_endpoint(endpoint, err);
    if (status == PAIL_OK && (s3->endpoint = strdup(endpoint)) == NULL)
      status = s3_no_memory(err);
    return status;
  }
  if (s3->default_endpoint != NULL)
    return (s3->endpoint = strdup(s3->default_endpoint)) == NULL
               ? s3_no_memory(err)
               : PAIL_OK;
  if (env("AWS_ENDPOINT_URL_S3") != NULL)
    return endpoint_from_url(s3, "AWS_ENDPOINT_URL_S3",
                             env("AWS_ENDPOINT_URL_S3"), err);
  if (env("AWS_ENDPOINT_URL") != NULL)
    return endpoint_from_url(s3, "AWS_ENDPOINT_URL", env("AWS_ENDPOINT_URL"),
                             err);
  s3->aws = true;
  return PAIL_OK;
}

/* The region: settings, environment, profile; an endpoint other than AWS
 * may do without one (us-east-1 then). */
static pail_status resolve_region(s3_instance *s3, const aws_profile *profile,
                                  pail_error **err) {
  const char *region = s3_core->config_string(s3->cfg, "region");
  if ((region == NULL || *region == '\0') && s3->default_region != NULL)
    region = s3->default_region;
  if (region == NULL || *region == '\0')
    region = env("AWS_REGION");
  if (region == NULL)
    region = env("AWS_DEFAULT_REGION");
  if (region != NULL) {
    s3->region = strdup(region);
  } else {
    s3->region = profile_value(profile->name, profile->credentials_path,
                               profile->config_path, "region", false);
    if (s3->region == NULL && !s3->aws)
      s3->region = strdup("us-east-1");
    if (s3->region == NULL && s3->aws)
      return s3_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "s3: no region for bucket \"%s\" on AWS: set \"region\" in the "
          "settings, AWS_REGION or AWS_DEFAULT_REGION, or region in profile "
          "\"%s\" of %s",
          s3->bucket, profile->name,
          profile->config_path ? profile->config_path : "~/.aws/config");
  }
  if (s3->region == NULL)
    return s3_no_memory(err);
  if (strspn(s3->region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
      strlen(s3->region))
    return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "s3: invalid region \"%.40s\"", s3->region);
  return PAIL_OK;
}

/* s3->base_url: path style (host/bucket) or virtual-hosted (bucket.host). */
static pail_status base_url_build(s3_instance *s3, pail_error **err) {
  s3->path_style = s3_core->config_bool(s3->cfg, "pathStyle", !s3->aws);
  const char *scheme = s3->use_ssl ? "https" : "http";
  char *host = NULL;
  if (s3->aws && asprintf(&host, "s3.%s.amazonaws.com", s3->region) < 0)
    host = NULL;
  const char *h = s3->aws ? host : s3->endpoint;
  int n = h == NULL ? -1
          : s3->path_style
              ? asprintf(&s3->base_url, "%s://%s/%s", scheme, h, s3->bucket)
              : asprintf(&s3->base_url, "%s://%s.%s", scheme, s3->bucket, h);
  free(host);
  if (n < 0) {
    s3->base_url = NULL;
    return s3_no_memory(err);
  }
  return PAIL_OK;
}

/* Source chains longer than this are a loop in the profiles. */
#define MAX_PROFILE_DEPTH 8

static pail_status fixed_source(const s3_instance *s3, const char *describe,
                                const char *access, const char *secret,
                                const char *token, s3_source **out,
                                pail_error **err) {
  s3_source_options o = {.kind = S3_SOURCE_FIXED,
                         .describe = describe,
                         .access_key_id = access,
                         .secret_access_key = secret,
                         .session_token = token && *token ? token : NULL};
  return s3_source_new(s3->cfg, &o, out, err);
}

/* The credentials of a profile, as the AWS CLI reads them: role_arn (with
 * web_identity_token_file, source_profile or credential_source), then its
 * keys, then credential_process. PAIL_ERR_NOT_FOUND when it has none (the
 * caller says what was tried); other errors are the profile's. With
 * top-level false (a source_profile), a role is assumed only when the
 * profile names another source than itself. */
static pail_status profile_source(const s3_instance *s3,
                                  const aws_profile *profile, const char *name,
                                  int depth, s3_source **out,
                                  pail_error **err) {
  const char *credentials_path = profile->credentials_path;
  const char *config_path = profile->config_path;
#define VALUE(field)                                                           \
  profile_value(name, credentials_path, config_path, field, true)
  char *role_arn = VALUE("role_arn");
  char *token_file = VALUE("web_identity_token_file");
  char *source_profile = VALUE("source_profile");
  char *credential_source = VALUE("credential_source");
  char *session_name = VALUE("role_session_name");
  char *external_id = VALUE("external_id");
  char *access = VALUE("aws_access_key_id");
  char *secret = VALUE("aws_secret_access_key");
  char *token = VALUE("aws_session_token");
  char *process = VALUE("credential_process");
  char *duration_text = VALUE("duration_seconds");
  char *sso = VALUE("sso_session");
  if (sso == NULL)
    sso = VALUE("sso_start_url");
#undef VALUE
  char *describe = NULL;
  pail_status status = PAIL_OK;
  bool self_source = source_profile && strcmp(source_profile, name) == 0;
  if (depth > MAX_PROFILE_DEPTH) {
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: profile \"%s\": its source_profile "
                                "chain is longer than %d profiles (a loop?)",
                                name, MAX_PROFILE_DEPTH);
  } else if (role_arn && *role_arn && !self_source) {
    s3_source_options o = {
        .role_arn = role_arn,
        .session_name = session_name,
        .external_id = external_id,
        .region = s3->region,
        .duration = duration_text ? strtoll(duration_text, NULL, 10) : 0};
    if (token_file && *token_file) {
      o.kind = S3_SOURCE_WEB_IDENTITY;
      o.token_file = token_file;
      if (asprintf(&describe, "profile \"%s\" (web identity, role_arn %s)",
                   name, role_arn) < 0)
        describe = NULL;
    } else if (source_profile && *source_profile) {
      o.kind = S3_SOURCE_ASSUME_ROLE;
      status =
          profile_source(s3, profile, source_profile, depth + 1, &o.base, err);
      if (status == PAIL_ERR_NOT_FOUND)
        status = s3_core->error_set(
            err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
            "s3: profile \"%s\": its source_profile \"%s\" has no "
            "credentials",
            name, source_profile);
      if (asprintf(&describe,
                   "profile \"%s\" (role_arn %s from profile "
                   "\"%s\")",
                   name, role_arn, source_profile) < 0)
        describe = NULL;
    } else if (credential_source &&
               strcmp(credential_source, "Environment") == 0) {
      o.kind = S3_SOURCE_ASSUME_ROLE;
      if (getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY"))
        status = fixed_source(s3, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                              getenv("AWS_ACCESS_KEY_ID"),
                              getenv("AWS_SECRET_ACCESS_KEY"),
                              getenv("AWS_SESSION_TOKEN"), &o.base, err);
      else
        status = s3_core->error_set(
            err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
            "s3: profile \"%s\": credential_source Environment, but "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            name);
      if (asprintf(&describe,
                   "profile \"%s\" (role_arn %s from the "
                   "environment)",
                   name, role_arn) < 0)
        describe = NULL;
    } else {
      status = s3_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "s3: profile \"%s\" has role_arn but %s%s%s", name,
          credential_source ? "credential_source "
                            : "no source_profile, "
                              "web_identity_token_file "
                              "or credential_source",
          credential_source ? credential_source : "",
          credential_source ? ", which pail does not take yet (Environment "
                              "only)"
                            : "");
    }
    if (status == PAIL_OK && describe == NULL)
      status = s3_no_memory(err);
    if (status == PAIL_OK) {
      o.describe = describe;
      status = s3_source_new(s3->cfg, &o, out, err);
    }
    if (status != PAIL_OK)
      s3_source_free(o.base);
  } else if (access && *access && secret && *secret) {
    if (asprintf(&describe, "profile \"%s\"", name) < 0)
      describe = NULL;
    status = describe
                 ? fixed_source(s3, describe, access, secret, token, out, err)
                 : s3_no_memory(err);
  } else if (process && *process) {
    if (asprintf(&describe, "profile \"%s\" (credential_process)", name) < 0)
      describe = NULL;
    s3_source_options o = {
        .kind = S3_SOURCE_PROCESS, .describe = describe, .command = process};
    status =
        describe ? s3_source_new(s3->cfg, &o, out, err) : s3_no_memory(err);
  } else if (sso != NULL) {
    status = s3_core->error_set(
        err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
        "s3: profile \"%s\" signs in with SSO, which pail does not read "
        "yet; give it `credential_process = aws configure "
        "export-credentials --profile %s --format process` in another "
        "profile and use that one",
        name, name);
  } else {
    status = PAIL_ERR_NOT_FOUND;
  }
  free(describe);
  free(role_arn);
  free(token_file);
  free(source_profile);
  free(credential_source);
  free(session_name);
  free(external_id);
  free(access);
  if (secret != NULL) {
    memset(secret, 0, strlen(secret));
    free(secret);
  }
  free(token);
  free(process);
  free(duration_text);
  free(sso);
  return status;
}

static bool env_true(const char *name) {
  const char *value = env(name);
  return value != NULL && strcasecmp(value, "true") == 0;
}

/* Whether a container credentials URL may be used, as the SDKs decide:
 * HTTPS anywhere; HTTP only to loopback or to the addresses ECS and EKS
 * Pod Identity serve on. */
static bool container_host_allowed(const char *url) {
  if (strncmp(url, "https://", 8) == 0)
    return true;
  if (strncmp(url, "http://", 7) != 0)
    return false;
  const char *host = url + 7;
  size_t n;
  if (*host == '[') {
    n = strcspn(host, "]");
    if (host[n] != ']')
      return false;
    n++;
  } else {
    n = strcspn(host, ":/?#");
  }
  static const char *const allowed[] = {"localhost", "[::1]", "169.254.170.2",
                                        "169.254.170.23", "[fd00:ec2::23]"};
  for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
    if (strlen(allowed[i]) == n && strncasecmp(host, allowed[i], n) == 0)
      return true;
  /* 127.0.0.0/8 */
  unsigned a, b, c, d;
  char end;
  char *text = strndup(host, n);
  bool loopback = text &&
                  sscanf(text, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) == 4 &&
                  a == 127 && b < 256 && c < 256 && d < 256;
  free(text);
  return loopback;
}

/* ECS task roles and EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 * (on 169.254.170.2) or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 * or _TOKEN. PAIL_ERR_NOT_FOUND when neither URI is set. */
static pail_status container_source(const s3_instance *s3, s3_source **out,
                                    pail_error **err) {
  const char *relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  char *url = NULL;
  const char *variable = relative ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                                  : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  if (relative != NULL) {
    if (*relative != '/' ||
        asprintf(&url, "http://169.254.170.2%s", relative) < 0)
      return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: %s must be a path starting with /",
                                variable);
  } else if (full != NULL) {
    if (!container_host_allowed(full))
      return s3_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "s3: %s must be an https:// URL, or http:// to loopback, "
          "169.254.170.2, 169.254.170.23 or [fd00:ec2::23], as the AWS SDKs "
          "require; not \"%.200s\"",
          variable, full);
    if ((url = strdup(full)) == NULL)
      return s3_no_memory(err);
  } else {
    return PAIL_ERR_NOT_FOUND;
  }
  char *describe = NULL;
  if (asprintf(&describe, "container credentials (%s)", variable) < 0)
    describe = NULL;
  s3_source_options o = {
      .kind = S3_SOURCE_CONTAINER,
      .describe = describe,
      .url = url,
      .authorization_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
      .authorization = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
                           ? NULL
                           : env("AWS_CONTAINER_AUTHORIZATION_TOKEN")};
  pail_status status =
      describe ? s3_source_new(s3->cfg, &o, out, err) : s3_no_memory(err);
  free(describe);
  free(url);
  return status;
}

/* EC2 instance metadata: AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv4
 * or (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6) IPv6 address. */
static pail_status imds_source(const s3_instance *s3, const char *unfound,
                               s3_source **out, pail_error **err) {
  const char *endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
  if (endpoint == NULL)
    endpoint = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
                                                     : "http://169.254.169.254";
  if (strncmp(endpoint, "http://", 7) != 0 &&
      strncmp(endpoint, "https://", 8) != 0)
    return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "s3: AWS_EC2_METADATA_SERVICE_ENDPOINT must be "
                              "an http:// or https:// URL");
  size_t n = strlen(endpoint);
  char *url = strndup(endpoint, endpoint[n - 1] == '/' ? n - 1 : n);
  char *describe = NULL;
  if (url != NULL &&
      asprintf(&describe,
               "the EC2 instance metadata at %s (nothing in the settings, "
               "AWS_* variables or profile files)",
               url) < 0)
    describe = NULL;
  s3_source_options o = {.kind = S3_SOURCE_IMDS,
                         .describe = describe,
                         .url = url,
                         .unfound = unfound};
  pail_status status =
      describe ? s3_source_new(s3->cfg, &o, out, err) : s3_no_memory(err);
  free(describe);
  free(url);
  return status;
}

/* The chain below the settings' own keys: the environment's keys, a
 * profile's role, a web identity from the environment, then the profile's
 * keys or credential_process, as the AWS CLI orders them. */
static pail_status chain_source(const s3_instance *s3,
                                const aws_profile *profile, s3_source **out,
                                pail_error **err) {
  if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY"))
    return fixed_source(s3, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                        env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                        env("AWS_SESSION_TOKEN"), out, err);
  char *role = profile_value(profile->name, profile->credentials_path,
                             profile->config_path, "role_arn", true);
  bool profile_role = role != NULL && *role != '\0';
  free(role);
  if (!profile_role && env("AWS_WEB_IDENTITY_TOKEN_FILE") &&
      env("AWS_ROLE_ARN")) {
    s3_source_options o = {
        .kind = S3_SOURCE_WEB_IDENTITY,
        .describe = "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)",
        .role_arn = env("AWS_ROLE_ARN"),
        .session_name = env("AWS_ROLE_SESSION_NAME"),
        .token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE"),
        .region = s3->region};
    return s3_source_new(s3->cfg, &o, out, err);
  }
  pail_status status = profile_source(s3, profile, profile->name, 0, out, err);
  if (status == PAIL_ERR_NOT_FOUND)
    status = container_source(s3, out, err);
  if (status != PAIL_ERR_NOT_FOUND)
    return status;
  char *unfound = NULL;
  if (asprintf(&unfound,
               "no credentials for bucket \"%s\"; tried: accessKey/secretKey "
               "in the settings, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
               "AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN, profile \"%s\" in "
               "%s and %s (role_arn, keys, credential_process), "
               "AWS_CONTAINER_CREDENTIALS_FULL_URI/_RELATIVE_URI, the EC2 "
               "instance metadata%s. Set one of them, or \"anonymous\": true "
               "for a public bucket",
               s3->bucket, profile->name,
               profile->credentials_path ? profile->credentials_path
                                         : "~/.aws/credentials",
               profile->config_path ? profile->config_path : "~/.aws/config",
               env_true("AWS_EC2_METADATA_DISABLED")
                   ? " (off: AWS_EC2_METADATA_DISABLED)"
                   : "") < 0)
    return s3_no_memory(err);
  if (env_true("AWS_EC2_METADATA_DISABLED"))
    status = s3_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                                "s3: %s", unfound);
  else
    status = imds_source(s3, unfound, out, err);
  free(unfound);
  return status;
}

/* The credentials: anonymous, keys from the settings, else the chain;
 * then the settings' roleArn, assumed with them. */
static pail_status resolve_credentials(s3_instance *s3,
                                       const aws_profile *profile,
                                       pail_error **err) {
  const pail_config *cfg = s3->cfg;
  pail_status status = PAIL_OK;
  s3_credentials *c = &s3->credentials;
  const char *access = s3_core->config_string(cfg, "accessKey");
  const char *secret = s3_core->config_string(cfg, "secretKey");
  const char *token = s3_core->config_string(cfg, "token");
  const char *role_arn = s3_core->config_string(cfg, "roleArn");
  if (s3_core->config_bool(cfg, "anonymous", 0)) {
    if ((access && *access) || (secret && *secret) || (role_arn && *role_arn))
      return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: \"anonymous\" is true but %s given "
                                "too: choose one",
                                role_arn && *role_arn ? "roleArn is"
                                                      : "keys are");
    c->anonymous = true;
    return PAIL_OK;
  }
  if ((access && *access) || (secret && *secret)) {
    if (!(access && *access) || !(secret && *secret))
      return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: the settings give %s without %s",
                                access && *access ? "accessKey" : "secretKey",
                                access && *access ? "secretKey" : "accessKey");
    status = fixed_source(s3, "the settings", access, secret, token, &c->source,
                          err);
  } else {
    status = chain_source(s3, profile, &c->source, err);
  }
  if (status == PAIL_OK && role_arn && *role_arn) {
    char *describe = NULL;
    if (asprintf(&describe, "roleArn %s in the settings, assumed with %s",
                 role_arn, s3_source_describe(c->source)) < 0)
      describe = NULL;
    s3_source_options o = {
        .kind = S3_SOURCE_ASSUME_ROLE,
        .describe = describe,
        .role_arn = role_arn,
        .session_name = s3_core->config_string(cfg, "roleSessionName"),
        .external_id = s3_core->config_string(cfg, "externalId"),
        .region = s3->region,
        .base = c->source};
    status =
        describe ? s3_source_new(cfg, &o, &c->source, err) : s3_no_memory(err);
    free(describe);
    if (status != PAIL_OK) {
      s3_source_free(o.base);
      c->source = NULL;
    }
  }
  return status;
}

pail_status s3_resolve(s3_instance *s3, pail_error **err) {
  aws_profile profile = {.name = s3_core->config_string(s3->cfg, "profile"),
                         .credentials_path = aws_file(
                             "AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                         .config_path = aws_file("AWS_CONFIG_FILE", "config")};
  if (profile.name == NULL)
    profile.name = env("AWS_PROFILE");
  if (profile.name == NULL)
    profile.name = "default";
  pail_status status = resolve_endpoint(s3, err);
  if (status == PAIL_OK)
    status = resolve_region(s3, &profile, err);
  if (status == PAIL_OK)
    status = base_url_build(s3, err);
  if (status == PAIL_OK)
    status = resolve_credentials(s3, &profile, err);
  free(profile.credentials_path);
  free(profile.config_path);
  return status;
}
