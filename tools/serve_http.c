/*
 * serve_http.c: every request to `pail serve` comes in here. The web UI's
 * files are served to anyone (they hold no data); everything under /api/
 * needs the access token, in a header or in the cookie that opening the
 * printed URL sets. Errors are JSON documents carrying libpail's category
 * and message, never a secret.
 */
#define _GNU_SOURCE
#include "serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_COOKIE "pail_token"
#define TOKEN_HEADER "X-Pail-Token"
/* Sent by the web UI with every request that changes something, so that a
 * request authorised by the cookie alone must come from script of this
 * origin (another site cannot set a custom header without a preflight that
 * this server never approves). */
#define REQUEST_HEADER "X-Pail-Request"

/* The UI may run only its own script and style; stored objects are never
 * served as pages (see serve_api.c's download). */
static const char ui_policy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

void serve_common_headers(struct MHD_Response *response) {
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(response, "X-Frame-Options", "DENY");
  MHD_add_response_header(response, "Cache-Control", "no-store");
}

/* Queues a buffer (freed by MHD when mode says so) as a JSON answer. */
static enum MHD_Result queue_json_text(struct MHD_Connection *connection,
                                       unsigned int status, char *text,
                                       size_t length,
                                       enum MHD_ResponseMemoryMode mode,
                                       const char *header, const char *value) {
  struct MHD_Response *r = MHD_create_response_from_buffer(length, text, mode);
  if (r == NULL) {
    if (mode == MHD_RESPMEM_MUST_FREE)
      free(text);
    return MHD_NO;
  }
  serve_common_headers(r);
  MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
  if (header != NULL)
    MHD_add_response_header(r, header, value);
  enum MHD_Result result = MHD_queue_response(connection, status, r);
  MHD_destroy_response(r);
  return result;
}

enum MHD_Result serve_json_with(struct MHD_Connection *connection,
                                unsigned int status, json_t *doc,
                                const char *header, const char *value) {
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  size_t n = text ? strlen(text) : 0;
  /* One line per document, for people reading it with curl. */
  char *line = text ? realloc(text, n + 2) : NULL;
  if (line == NULL) {
    free(text);
    static char oom[] = "{\"error\":{\"category\":\"internal error\","
                        "\"message\":\"out of memory\"}}\n";
    return queue_json_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, oom,
                           strlen(oom), MHD_RESPMEM_PERSISTENT, NULL, NULL);
  }
  line[n] = '\n';
  line[n + 1] = '\0';
  return queue_json_text(connection, status, line, n + 1, MHD_RESPMEM_MUST_FREE,
                         header, value);
}

enum MHD_Result serve_json(struct MHD_Connection *connection,
                           unsigned int status, json_t *doc) {
  return serve_json_with(connection, status, doc, NULL, NULL);
}

/* The HTTP status that fits a libpail error. */
static unsigned int status_for(const pail_error *err) {
  switch (pail_error_category(err)) {
  case PAIL_ERR_NOT_FOUND:
    return MHD_HTTP_NOT_FOUND;
  case PAIL_ERR_ACCESS_DENIED:
    return MHD_HTTP_FORBIDDEN;
  case PAIL_ERR_INVALID_ARGUMENT:
    /* A range that starts past the end. */
    return pail_error_http_status(err) == 416 ? MHD_HTTP_RANGE_NOT_SATISFIABLE
                                              : MHD_HTTP_BAD_REQUEST;
  case PAIL_ERR_CONFLICT:
    return MHD_HTTP_CONFLICT;
  case PAIL_ERR_THROTTLED:
    return MHD_HTTP_TOO_MANY_REQUESTS;
  case PAIL_ERR_UNAVAILABLE:
  case PAIL_ERR_IO:
    return MHD_HTTP_BAD_GATEWAY;
  case PAIL_ERR_UNSUPPORTED:
    return MHD_HTTP_NOT_IMPLEMENTED;
  default:
    return MHD_HTTP_INTERNAL_SERVER_ERROR;
  }
}

enum MHD_Result serve_pail_error(struct MHD_Connection *connection,
                                 pail_error *err) {
  if (err == NULL)
    return serve_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                       "internal error", "the operation failed");
  unsigned int status = status_for(err);
  json_t *doc = json_pack("{s:o}", "error", cli_error_json(err));
  pail_error_free(err);
  return serve_json(connection, status, doc);
}

enum MHD_Result serve_error(struct MHD_Connection *connection,
                            unsigned int status, const char *category,
                            const char *format, ...) {
  char *message = NULL;
  va_list ap;
  va_start(ap, format);
  if (vasprintf(&message, format, ap) < 0)
    message = NULL;
  va_end(ap);
  json_t *doc = json_pack("{s:{s:s, s:s}}", "error", "category", category,
                          "message", message ? message : "error");
  free(message);
  return serve_json(connection, status, doc);
}

const char *serve_arg(struct MHD_Connection *connection, const char *name,
                      size_t *len) {
  const char *value = NULL;
  size_t size = 0;
  if (MHD_lookup_connection_value_n(connection, MHD_GET_ARGUMENT_KIND, name,
                                    strlen(name), &value, &size) != MHD_YES ||
      value == NULL)
    return NULL;
  if (len != NULL)
    *len = size;
  return value;
}

/* ------------------------------------------------------------------ token */

typedef enum token_source {
  TOKEN_NONE,
  TOKEN_BY_HEADER,
  TOKEN_BY_COOKIE
} token_source;

/* Which way the request proved it has the token, if it did. A header that
 * is present but wrong fails even when the cookie is right. */
static token_source authorize(const serve_server *server,
                              struct MHD_Connection *connection,
                              const char **why) {
  const char *value = NULL;
  size_t len = 0;
  if (MHD_lookup_connection_value_n(connection, MHD_HEADER_KIND, TOKEN_HEADER,
                                    strlen(TOKEN_HEADER), &value,
                                    &len) == MHD_YES &&
      value != NULL) {
    *why = "the " TOKEN_HEADER " header does not hold the server's token";
    return serve_token_matches(server, value, len) ? TOKEN_BY_HEADER
                                                   : TOKEN_NONE;
  }
  if (MHD_lookup_connection_value_n(
          connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
          strlen(MHD_HTTP_HEADER_AUTHORIZATION), &value, &len) == MHD_YES &&
      value != NULL) {
    *why = "the Authorization header does not hold \"Bearer\" and the "
           "server's token";
    if (len > 7 && strncasecmp(value, "Bearer ", 7) == 0 &&
        serve_token_matches(server, value + 7, len - 7))
      return TOKEN_BY_HEADER;
    return TOKEN_NONE;
  }
  if (MHD_lookup_connection_value_n(connection, MHD_COOKIE_KIND, TOKEN_COOKIE,
                                    strlen(TOKEN_COOKIE), &value,
                                    &len) == MHD_YES &&
      value != NULL) {
    *why = "the " TOKEN_COOKIE " cookie does not hold the server's token "
           "(was the server restarted? open the URL it printed)";
    return serve_token_matches(server, value, len) ? TOKEN_BY_COOKIE
                                                   : TOKEN_NONE;
  }
  *why = "no access token: send it in the " TOKEN_HEADER
         " header (or Authorization: Bearer), or open the URL that pail "
         "serve printed";
  return TOKEN_NONE;
}

/* ----------------------------------------------------------------- the UI */

static const serve_asset *find_asset(const char *path) {
  for (const serve_asset *a = serve_assets; a->path != NULL; a++)
    if (strcmp(a->path, path) == 0)
      return a;
  return NULL;
}

static enum MHD_Result send_asset(struct MHD_Connection *connection,
                                  const serve_asset *asset) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      asset->size, (void *)asset->data, MHD_RESPMEM_PERSISTENT);
  if (r == NULL)
    return MHD_NO;
  serve_common_headers(r);
  MHD_add_response_header(r, "Content-Type", asset->content_type);
  MHD_add_response_header(r, "Content-Security-Policy", ui_policy);
  enum MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return result;
}

/* Appends name=value to a query string, percent-encoding the value. */
static void append_query(char *out, size_t size, const char *name,
                         const char *value, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(out);
  n += (size_t)snprintf(out + n, n < size ? size - n : 0,
                        "%s%s=", n > 2 ? "&" : "", name);
  for (size_t i = 0; i < len && n + 4 < size; i++) {
    unsigned char ch = (unsigned char)value[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9') || strchr("-_.~", ch) != NULL) {
      out[n++] = (char)ch;
    } else {
      out[n++] = '%';
      out[n++] = hex[ch >> 4];
      out[n++] = hex[ch & 15];
    }
  }
  out[n < size ? n : size - 1] = '\0';
}

/* GET /?token=T: a right token becomes an HttpOnly, same-site cookie and
 * the browser is sent on to the same page without it, so that the token
 * does not stay in the address bar or the history. */
static enum MHD_Result open_with_token(const serve_server *server,
                                       struct MHD_Connection *connection,
                                       const char *token, size_t token_len) {
  if (!serve_token_matches(server, token, token_len))
    return serve_error(connection, MHD_HTTP_FORBIDDEN, "access denied",
                       "wrong access token in the URL: open the URL that "
                       "pail serve printed");
  char location[8192] = "/?";
  static const char *const kept[] = {"pointer", "storage", "prefix"};
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
    size_t len = 0;
    const char *value = serve_arg(connection, kept[i], &len);
    if (value != NULL)
      append_query(location, sizeof location, kept[i], value, len);
  }
  if (strcmp(location, "/?") == 0)
    location[1] = '\0';
  char cookie[SERVE_TOKEN_MAX + 64];
  snprintf(cookie, sizeof cookie,
           TOKEN_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict",
           server->token);
  struct MHD_Response *r =
      MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (r == NULL)
    return MHD_NO;
  serve_common_headers(r);
  MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
  MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
  enum MHD_Result result =
      MHD_queue_response(connection, MHD_HTTP_SEE_OTHER, r);
  MHD_destroy_response(r);
  return result;
}

static enum MHD_Result serve_ui(const serve_server *server,
                                struct MHD_Connection *connection,
                                const char *url, const char *method) {
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return serve_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                       "invalid argument", "%s is not allowed on %s", method,
                       url);
  if (strcmp(url, "/") == 0) {
    size_t len = 0;
    const char *token = serve_arg(connection, "token", &len);
    if (token != NULL)
      return open_with_token(server, connection, token, len);
    url = "/index.html";
  }
  const serve_asset *asset = find_asset(url);
  if (asset == NULL)
    return serve_error(connection, MHD_HTTP_NOT_FOUND, "not found",
                       "no such page: the explorer is at /, its API under "
                       "/api/");
  return send_asset(connection, asset);
}

/* ---------------------------------------------------------------- routing */

enum MHD_Result serve_handle(void *cls, struct MHD_Connection *connection,
                             const char *url, const char *method,
                             const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls) {
  (void)version;
  serve_server *server = cls;
  serve_request *request = *con_cls;
  if (request == NULL) {
    /* First call: only the headers have arrived. */
    request = calloc(1, sizeof *request);
    if (request == NULL)
      return MHD_NO;
    request->declared = UINT64_MAX;
    *con_cls = request;
    if (strncmp(url, "/api/", 5) == 0) {
      /* Refusals go at once: libmicrohttpd then closes the connection
       * without reading a body nobody wants. */
      const char *why = NULL;
      token_source source = authorize(server, connection, &why);
      if (source == TOKEN_NONE)
        return serve_error(connection, MHD_HTTP_UNAUTHORIZED, "access denied",
                           "%s", why);
      if (source == TOKEN_BY_COOKIE &&
          strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
          strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                      REQUEST_HEADER) == NULL)
        return serve_error(connection, MHD_HTTP_FORBIDDEN, "access denied",
                           "a %s authorised by the cookie alone must carry "
                           "the " REQUEST_HEADER " header",
                           method);
      request->authorized = 1;
      if (strcmp(url, "/api/object") == 0 &&
          strcmp(method, MHD_HTTP_METHOD_PUT) == 0) {
        request->upload = 1;
        return serve_upload_start(server, connection, request);
      }
    }
    /* Anything else is answered once the request is whole: an answer
     * queued on this first call makes libmicrohttpd close the connection
     * after it, and every request would pay for a new one. */
    return MHD_YES;
  }
  if (!request->upload) {
    if (*upload_data_size != 0) {
      *upload_data_size = 0; /* a body no endpoint reads */
      return MHD_YES;
    }
    return strncmp(url, "/api/", 5) == 0
               ? serve_api(server, connection, url + 5, method, request)
               : serve_ui(server, connection, url, method);
  }
  /* Later calls of an upload. */
  if (*upload_data_size != 0) {
    serve_upload_data(server, request, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  return serve_upload_finish(server, connection, request);
}

void serve_completed(void *cls, struct MHD_Connection *connection,
                     void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)connection;
  (void)toe;
  serve_request *request = *con_cls;
  if (request == NULL)
    return;
  /* A client that went away in the middle of an upload: nothing is
   * stored. */
  pail_writer_abort(request->writer);
  pail_pointer_free(request->pointer);
  pail_error_free(request->error);
  free(request);
  *con_cls = NULL;
}
