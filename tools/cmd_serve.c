/*
 * cmd_serve.c: `pail serve`: opens the workspace, makes or takes the access
 * token, starts libmicrohttpd on the --listen address (127.0.0.1 by
 * default), and with --s3-listen the S3 gateway on its own address
 * (serve_s3.c), prints the URLs and serves until SIGINT, SIGTERM or SIGHUP.
 */
#define _GNU_SOURCE
#include "commands.h"
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pail/gateway.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_UPLOAD (5ull << 30) /* 5 GiB */
#define TOKEN_BYTES 32

enum {
  OPT_LISTEN = OPT_COMMAND_BASE,
  OPT_TOKEN,
  OPT_MAX_UPLOAD,
  OPT_S3_LISTEN,
  OPT_TLS_CERT,
  OPT_TLS_KEY
};

typedef struct serve_options {
  const char *listen;
  const char *token;
  const char *max_upload;
  const char *s3_listen;          /* NULL: no gateway */
  const char *tls_cert, *tls_key; /* the gateway's, PEM files */
} serve_options;

static int serve_option(cli *c, void *state, int option, const char *arg) {
  serve_options *o = state;
  switch (option) {
  case OPT_LISTEN:
    o->listen = arg;
    return EXIT_OK;
  case OPT_TOKEN:
    o->token = arg;
    return EXIT_OK;
  case OPT_MAX_UPLOAD:
    o->max_upload = arg;
    return EXIT_OK;
  case OPT_S3_LISTEN:
    o->s3_listen = arg;
    return EXIT_OK;
  case OPT_TLS_CERT:
    o->tls_cert = arg;
    return EXIT_OK;
  case OPT_TLS_KEY:
    o->tls_key = arg;
    return EXIT_OK;
  default:
    return EXIT_USAGE;
  }
}

/* An address to listen on: IPv4 or IPv6 literal, or "localhost". */
typedef struct listen_address {
  struct sockaddr_storage addr;
  int ipv6;
  char host[64]; /* as written in URLs: 127.0.0.1 or [::1] */
} listen_address;

/* Parses HOST:PORT ("127.0.0.1:8080", "[::1]:8080", "localhost:0"). Port 0
 * lets the system choose a free port. */
static int parse_listen(cli *c, const char *option, const char *text,
                        listen_address *out) {
  const char *colon = NULL, *host = text;
  size_t host_len;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (end == NULL || end[1] != ':')
      return cli_usage_error(c, "%s wants HOST:PORT, not \"%s\"", option, text);
    host = text + 1;
    host_len = (size_t)(end - host);
    colon = end + 1;
  } else {
    colon = strrchr(text, ':');
    if (colon == NULL)
      return cli_usage_error(c, "%s wants HOST:PORT, not \"%s\"", option, text);
    host_len = (size_t)(colon - text);
  }
  char *end = NULL;
  errno = 0;
  long port = strtol(colon + 1, &end, 10);
  if (colon[1] < '0' || colon[1] > '9' || errno != 0 || *end != '\0' ||
      port < 0 || port > 65535)
    return cli_usage_error(c, "%s: \"%s\" is not a port (0 to 65535)", option,
                           colon + 1);
  char name[64];
  if (host_len == 0 || host_len >= sizeof name)
    return cli_usage_error(c, "%s: no host in \"%s\"", option, text);
  memcpy(name, host, host_len);
  name[host_len] = '\0';
  if (strcmp(name, "localhost") == 0)
    strcpy(name, "127.0.0.1");
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
  if (inet_pton(AF_INET, name, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    snprintf(out->host, sizeof out->host, "%s", name);
  } else if (inet_pton(AF_INET6, name, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    out->ipv6 = 1;
    snprintf(out->host, sizeof out->host, "[%s]", name);
  } else {
    return cli_usage_error(c,
                           "%s: \"%s\" is not an IP address (or "
                           "localhost); names are not looked up",
                           option, name);
  }
  return EXIT_OK;
}

static int is_loopback(const listen_address *a) {
  if (!a->ipv6) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->addr;
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->addr;
  return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
}

/* Parses a byte count with an optional K, M, G or T suffix (powers of
 * 1024). */
static int parse_size(const char *text, uint64_t *out) {
  if (text == NULL || text[0] < '0' || text[0] > '9')
    return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0)
    return -1;
  unsigned shift = 0;
  switch (*end) {
  case '\0':
    break;
  case 'K':
  case 'k':
    shift = 10;
    break;
  case 'M':
  case 'm':
    shift = 20;
    break;
  case 'G':
  case 'g':
    shift = 30;
    break;
  case 'T':
  case 't':
    shift = 40;
    break;
  default:
    return -1;
  }
  if (*end != '\0' && end[1] != '\0')
    return -1;
  if (shift != 0 && v > (UINT64_MAX >> shift))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

/* A token given by the user must be something a cookie and a header can
 * carry unchanged. */
static int token_acceptable(const char *token) {
  size_t n = strlen(token);
  if (n < 8 || n > SERVE_TOKEN_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)token[i];
    if (ch <= 0x20 || ch >= 0x7F || ch == ';' || ch == ',' || ch == '"' ||
        ch == '\\')
      return 0;
  }
  return 1;
}

static int digest(const char *text, size_t len, unsigned char out[32]) {
  unsigned int out_len = 0;
  return EVP_Digest(text, len, out, &out_len, EVP_sha256(), NULL) == 1 &&
                 out_len == 32
             ? 0
             : -1;
}

static int make_token(serve_server *server, const char *given) {
  if (given != NULL) {
    snprintf(server->token, sizeof server->token, "%s", given);
  } else {
    unsigned char bytes[TOKEN_BYTES];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
      return -1;
    for (size_t i = 0; i < sizeof bytes; i++)
      snprintf(server->token + 2 * i, 3, "%02x", bytes[i]);
  }
  return digest(server->token, strlen(server->token), server->token_digest);
}

int serve_token_matches(const serve_server *server, const char *text,
                        size_t len) {
  /* Comparing digests keeps the time independent of where the texts
   * differ and of the length of the right token. */
  unsigned char given[32];
  if (text == NULL || digest(text, len, given) != 0)
    return 0;
  return CRYPTO_memcmp(given, server->token_digest, sizeof given) == 0;
}

/* libmicrohttpd's own messages (a socket error, a malformed request). */
static void log_mhd(void *cls, const char *format, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void log_mhd(void *cls, const char *format, va_list ap) {
  (void)cls;
  fputs("pail: serve: ", stderr);
  vfprintf(stderr, format, ap);
  size_t n = strlen(format);
  if (n == 0 || format[n - 1] != '\n')
    fputc('\n', stderr);
}

/* Checks the options (and $PAIL_SERVE_TOKEN) in the order a user reads
 * them: token, --max-upload, --listen. Fills o->token, the server's upload
 * limit and the address. Returns EXIT_OK or a usage error (printed). */
static int check_options(cli *c, serve_options *o, serve_server *server,
                         listen_address *address, listen_address *s3) {
  if (o->token == NULL)
    o->token = getenv("PAIL_SERVE_TOKEN");
  if (o->token != NULL && !token_acceptable(o->token))
    return cli_usage_error(c,
                           "the token must be 8 to %d printable ASCII "
                           "characters without spaces, quotes, ';', ',' "
                           "or '\\'",
                           SERVE_TOKEN_MAX);
  server->max_upload = DEFAULT_MAX_UPLOAD;
  if (o->max_upload != NULL &&
      parse_size(o->max_upload, &server->max_upload) != 0)
    return cli_usage_error(c,
                           "--max-upload wants a size in bytes (suffix K, "
                           "M, G or T allowed), not \"%s\"",
                           o->max_upload);
  int rc = parse_listen(c, "--listen", o->listen, address);
  if (rc == EXIT_OK && o->s3_listen != NULL)
    rc = parse_listen(c, "--s3-listen", o->s3_listen, s3);
  if (rc == EXIT_OK && (o->tls_cert != NULL) != (o->tls_key != NULL))
    rc = cli_usage_error(c, "--tls-cert and --tls-key go together");
  if (rc == EXIT_OK && o->tls_cert != NULL && o->s3_listen == NULL)
    rc = cli_usage_error(c, "--tls-cert and --tls-key are for the S3 "
                            "gateway: give --s3-listen too");
  return rc;
}

/* Opens the workspace, checks that --storage names one of its storages,
 * and makes (or takes) the token. Returns EXIT_OK, or EXIT_FAILED with
 * the reason on stderr. */
static int prepare_server(cli *c, const serve_options *o,
                          serve_server *server) {
  server->workspace = cli_workspace(c);
  if (server->workspace == NULL)
    return EXIT_FAILED;
  server->default_storage = c->storage;
  if (c->storage != NULL && strcmp(c->storage, "_default_") != 0) {
    size_t n = pail_workspace_storage_count(server->workspace), i = 1;
    while (i < n && strcmp(pail_workspace_storage_name(server->workspace, i),
                           c->storage) != 0)
      i++;
    if (i >= n) {
      fprintf(stderr,
              "pail: serve: no storage named \"%s\" in the workspace "
              "(%s)\n",
              c->storage, pail_workspace_source(server->workspace));
      return EXIT_FAILED;
    }
  } else {
    server->default_storage = NULL;
  }
  if (make_token(server, o->token) != 0) {
    fputs("pail: serve: cannot make a random token (OpenSSL RAND_bytes "
          "failed)\n",
          stderr);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/* Prints where the explorer is: its URL with the token (unless the user
 * chose the token), or with --json one document; then flushes stdout, as
 * a script waiting for the URL reads it while pail keeps running. */
static void print_url(cli *c, const serve_options *o,
                      const serve_server *server, const listen_address *address,
                      unsigned port, const char *s3_endpoint) {
  char url[512];
  snprintf(url, sizeof url, "http://%s:%u/", address->host, port);
  if (c->json) {
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:I}", "url", url, "host",
                            address->host, "port", (int)port, "settings",
                            pail_workspace_source(server->workspace),
                            "max_upload", (json_int_t)server->max_upload);
    if (doc != NULL && o->token == NULL)
      json_object_set_new(doc, "token", json_string(server->token));
    if (doc != NULL && s3_endpoint != NULL)
      json_object_set_new(doc, "s3_endpoint", json_string(s3_endpoint));
    json_dumpf(doc, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(doc);
  } else {
    if (!c->quiet)
      printf("pail serve: the workspace (%s), until Ctrl-C, at\n",
             pail_workspace_source(server->workspace));
    if (o->token == NULL)
      printf("%s?token=%s\n", url, server->token);
    else
      printf("%s (with the token given)\n", url);
    if (s3_endpoint != NULL)
      printf("S3 gateway (keys from `pail credentials`): %s\n", s3_endpoint);
  }
  fflush(stdout);
}

/* Starts libmicrohttpd on the address and serves until SIGINT, SIGTERM or
 * SIGHUP. Returns EXIT_OK once stopped by one, EXIT_FAILED (said on
 * stderr) when it cannot listen. server must outlive the daemon. */
static int serve_until_signal(cli *c, const serve_options *o,
                              serve_server *server, listen_address *address,
                              listen_address *s3) {
  /* The connection threads inherit this mask: the signals that stop the
   * server are taken by sigwait below, in this thread only. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
                       MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (address->ipv6)
    flags |= MHD_USE_IPv6;
  struct MHD_Daemon *daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, serve_handle, server, MHD_OPTION_EXTERNAL_LOGGER,
      log_mhd, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address->addr,
      MHD_OPTION_NOTIFY_COMPLETED, serve_completed, server,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_END);
  if (daemon == NULL) {
    fprintf(stderr,
            "pail: serve: cannot listen on %s (taken, or not an "
            "address of this machine); choose another with --listen "
            "HOST:PORT (port 0: any free port)\n",
            o->listen);
    pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
    return EXIT_FAILED;
  }
  pail_gateway *gateway = NULL;
  struct MHD_Daemon *s3_daemon = NULL;
  char s3_endpoint[128] = "";
  if (o->s3_listen != NULL) {
    pail_error *err = NULL;
    if (pail_gateway_open(server->workspace, NULL, &gateway, &err) != PAIL_OK) {
      fprintf(stderr, "pail: serve: %s\n", pail_error_message(err));
      pail_error_free(err);
    } else {
      s3_daemon = serve_s3_start(gateway, (struct sockaddr *)&s3->addr,
                                 s3->ipv6, o->tls_cert, o->tls_key, log_mhd);
    }
    if (s3_daemon == NULL) {
      if (gateway != NULL && o->tls_cert != NULL)
        fprintf(stderr,
                "pail: serve: cannot serve the S3 gateway on %s over TLS "
                "(see the message above: the address, or the certificate "
                "%s and key %s)\n",
                o->s3_listen, o->tls_cert, o->tls_key);
      else if (gateway != NULL)
        fprintf(stderr,
                "pail: serve: cannot listen on %s (taken, or not an "
                "address of this machine); choose another with "
                "--s3-listen HOST:PORT (port 0: any free port)\n",
                o->s3_listen);
      pail_gateway_close(gateway);
      MHD_stop_daemon(daemon);
      pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
      return EXIT_FAILED;
    }
    const union MHD_DaemonInfo *s3_info =
        MHD_get_daemon_info(s3_daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s3_endpoint, sizeof s3_endpoint, "%s://%s:%u",
             o->tls_cert ? "https" : "http", s3->host,
             s3_info != NULL ? s3_info->port : 0);
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  print_url(c, o, server, address, info != NULL ? info->port : 0,
            s3_daemon != NULL ? s3_endpoint : NULL);

  int caught = 0;
  while (sigwait(&stop, &caught) != 0)
    ;
  if (!c->quiet)
    fprintf(stderr, "pail: serve: stopping (%s)\n", strsignal(caught));
  if (s3_daemon != NULL)
    MHD_stop_daemon(s3_daemon);
  MHD_stop_daemon(daemon);
  pail_gateway_close(gateway);
  pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
  return EXIT_OK;
}

static int run_serve(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option long_options[] = {
      {"listen", required_argument, NULL, OPT_LISTEN},
      {"token", required_argument, NULL, OPT_TOKEN},
      {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
      {"s3-listen", required_argument, NULL, OPT_S3_LISTEN},
      {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
      {"tls-key", required_argument, NULL, OPT_TLS_KEY},
      {NULL, 0, NULL, 0},
  };
  serve_options o = {DEFAULT_LISTEN, NULL, NULL, NULL, NULL, NULL};
  int first = 0;
  int rc = cli_parse_options(c, cmd, argc, argv, "", long_options, serve_option,
                             &o, &first);
  if (rc != EXIT_OK)
    return rc;
  if (first < argc)
    return cli_usage_error(c, "too many operands");
  static serve_server server; /* read by the connection threads */
  memset(&server, 0, sizeof server);
  listen_address address, s3;
  rc = check_options(c, &o, &server, &address, &s3);
  if (rc == EXIT_OK)
    rc = prepare_server(c, &o, &server);
  if (rc != EXIT_OK)
    return rc;
  if (!is_loopback(&address))
    fprintf(stderr,
            "pail: serve: warning: listening on %s, which is not a "
            "loopback address: anyone who can reach it and has the "
            "token can use the workspace\n",
            address.host);
  if (o.s3_listen != NULL && o.tls_cert == NULL && !is_loopback(&s3))
    fprintf(stderr,
            "pail: serve: warning: the S3 gateway listens on %s, which is "
            "not a loopback address: serve it over TLS (--tls-cert, "
            "--tls-key), or keys and data travel in the clear\n",
            s3.host);
  return serve_until_signal(c, &o, &server, &address, &s3);
}

const command cli_cmd_serve = {
    "serve",
    "serve [--listen HOST:PORT] [--token T] [--s3-listen HOST:PORT "
    "[--tls-cert PEM --tls-key PEM]]",
    "browse the storages in a web page (the explorer)",
    "\nServes the explorer, a web page and a JSON API over the workspace, on\n"
    "HOST:PORT (default 127.0.0.1:8080; port 0: any free port) until\n"
    "interrupted. Prints the URL with a random access token; every API call\n"
    "needs the token. --storage picks the storage shown first.\n\n"
    "Options:\n"
    "      --listen HOST:PORT  address to listen on (an IP address or\n"
    "                          localhost; default 127.0.0.1:8080)\n"
    "      --token T           the access token (default: $PAIL_SERVE_TOKEN,\n"
    "                          else 32 random bytes in hex)\n"
    "      --max-upload SIZE   largest upload accepted (suffix K, M, G, T;\n"
    "                          default 5G)\n"
    "      --s3-listen HOST:PORT  also serve the S3 gateway there: each\n"
    "                          storage is a bucket (_default_ the primary),\n"
    "                          reached with keys from `pail credentials`\n"
    "      --tls-cert PEM, --tls-key PEM  serve the S3 gateway over HTTPS\n"
    "                          with this certificate (chain) and key\n",
    run_serve};
