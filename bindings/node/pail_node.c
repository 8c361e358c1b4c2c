/*
 * pail_node.c: the Node-API addon under the JavaScript package pail
 * (bindings/node, docs/node.md). It gives index.js libpail's workspaces,
 * reads, writes, listings, links and settings as functions returning
 * promises. Every call that reaches storage runs on libuv's thread pool
 * (napi_create_async_work), so the event loop never waits on I/O; only
 * opening a workspace (a local settings file) and parsing pointers run on
 * the JavaScript thread.
 *
 * Lifetimes: everything here is created on the JavaScript thread. A
 * workspace is freed once its handle is closed (or collected) and the last
 * call, reader and writer using it is done, so closing never pulls a
 * workspace from under a running transfer. A call on a reader or writer
 * keeps its handle and the Buffer it reads into or writes from alive until
 * the call completes. A reader or writer collected unclosed is closed (the
 * writer aborted, which on S3 is a request) on a thread of its own, not in
 * its finalizer on the JavaScript thread: that thread then releases the
 * workspace, hence the workspace's lock.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pail/pail.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ handles */

typedef struct node_workspace {
  pthread_mutex_t lock;      /* guards uses, closed, finalized, workspace */
  pail_workspace *workspace; /* NULL once closed */
  char *storage;             /* the storage of bare keys; NULL: the primary */
  unsigned uses;             /* calls, readers and writers using it */
  int closed;                /* close() was called, or the handle collected */
  int finalized;             /* the JavaScript handle was collected */
} node_workspace;

typedef struct node_reader {
  pail_reader *reader; /* NULL once closed */
  node_workspace *owner;
  pail_object_info info; /* as known when the read opened */
  int busy;              /* a call runs on it */
} node_reader;

typedef struct node_writer {
  pail_writer *writer; /* NULL once closed or aborted */
  node_workspace *owner;
  pail_pointer *pointer; /* what it writes, for close's answer */
  int busy;
} node_writer;

/* Adds uses (+1, -1 or 0) and marks the workspace closed and its handle
 * finalized as asked, under its lock. Then the C workspace is closed once
 * the handle is closed and nothing uses it; the struct is freed once,
 * besides, the handle is collected (its finalizer still reads it). Any
 * thread may release a use: the last one does the closing. */
static void workspace_update(node_workspace *nw, int uses, int close,
                             int finalize) {
  pail_workspace *to_close = NULL;
  int to_free = 0;
  pthread_mutex_lock(&nw->lock);
  nw->uses += (unsigned)uses;
  if (close)
    nw->closed = 1;
  if (finalize)
    nw->finalized = 1;
  if (nw->uses == 0) {
    if (nw->closed) {
      to_close = nw->workspace;
      nw->workspace = NULL;
    }
    to_free = nw->finalized;
  }
  pthread_mutex_unlock(&nw->lock);
  if (to_close != NULL)
    pail_workspace_close(to_close);
  if (to_free) {
    pthread_mutex_destroy(&nw->lock);
    free(nw->storage);
    free(nw);
  }
}

static void workspace_release(node_workspace *nw) {
  workspace_update(nw, -1, 0, 0);
}

/* ------------------------------------------- closing off the JS thread */

/* Readers and writers collected unclosed are closed on threads of their
 * own (background_start), counted here so that the environment's teardown
 * waits for them: an exit would otherwise cut an abort short and leave an
 * S3 multipart upload behind. Once teardown began, finalizers close inline
 * (nothing is left to block). */
static pthread_mutex_t background_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t background_idle = PTHREAD_COND_INITIALIZER;
static unsigned background_count;
static int background_closed;

typedef struct background {
  void (*run)(void *data);
  void *data;
} background;

static void *background_main(void *arg) {
  background job = *(background *)arg;
  free(arg);
  job.run(job.data);
  pthread_mutex_lock(&background_lock);
  if (--background_count == 0)
    pthread_cond_broadcast(&background_idle);
  pthread_mutex_unlock(&background_lock);
  return NULL;
}

/* Runs run(data) on a detached thread; 0 when it cannot (teardown began,
 * or no thread), and then the caller runs it itself. */
static int background_start(void (*run)(void *data), void *data) {
  pthread_attr_t attr;
  pthread_t thread;
  background *job;
  int started = 0;
  pthread_mutex_lock(&background_lock);
  if (background_closed || (job = malloc(sizeof(*job))) == NULL) {
    pthread_mutex_unlock(&background_lock);
    return 0;
  }
  job->run = run;
  job->data = data;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    started = pthread_create(&thread, &attr, background_main, job) == 0;
    pthread_attr_destroy(&attr);
  }
  if (started)
    background_count++;
  else
    free(job);
  pthread_mutex_unlock(&background_lock);
  return started;
}

/* The environment's cleanup hook: waits for the closings under way. */
static void background_drain(void *arg) {
  (void)arg;
  pthread_mutex_lock(&background_lock);
  background_closed = 1;
  while (background_count > 0)
    pthread_cond_wait(&background_idle, &background_lock);
  pthread_mutex_unlock(&background_lock);
}

/* ---------------------------------------------------------- arguments */

/* *out: a malloc'ed copy of a JavaScript string, NULL for null or
 * undefined. Throws a TypeError naming what and returns 0 otherwise. */
static int get_string(napi_env env, napi_value value, const char *what,
                      char **out) {
  napi_valuetype type;
  size_t length;
  *out = NULL;
  if (napi_typeof(env, value, &type) != napi_ok)
    return 0;
  if (type == napi_null || type == napi_undefined)
    return 1;
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok)
    return 0;
  *out = malloc(length + 1);
  if (*out == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return 0;
  }
  if (napi_get_value_string_utf8(env, value, *out, length + 1, &length) !=
      napi_ok) {
    free(*out);
    *out = NULL;
    return 0;
  }
  return 1;
}

static int get_external(napi_env env, napi_value value, const char *what,
                        void **out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, value, out) != napi_ok || *out == NULL) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  return 1;
}

static int get_number(napi_env env, napi_value value, double *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok)
    return 0;
  if (type == napi_null || type == napi_undefined) {
    *out = 0;
    return 1;
  }
  if (type != napi_number ||
      napi_get_value_double(env, value, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "a number was expected");
    return 0;
  }
  return 1;
}

/* A Buffer's or Uint8Array's bytes (index.js hands over only those). */
static int get_bytes(napi_env env, napi_value value, void **data,
                     size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type type;
  napi_value array_buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &is_typedarray) == napi_ok &&
      is_typedarray &&
      napi_get_typedarray_info(env, value, &type, length, data, &array_buffer,
                               &offset) == napi_ok &&
      type == napi_uint8_array)
    return 1;
  napi_throw_type_error(env, NULL, "a Buffer or Uint8Array was expected");
  return 0;
}

/* Parses a pointer's text against the workspace's storage of bare keys;
 * throws the library's error and returns 0 when it is not one. */
static napi_value make_error(napi_env env, const pail_error *error,
                             pail_status status);

static int parse_pointer(napi_env env, node_workspace *nw, napi_value value,
                         int prefix, pail_pointer **out) {
  char *text;
  pail_error *err = NULL;
  pail_status status;
  *out = NULL;
  if (!get_string(env, value, "a pointer must be a string", &text))
    return 0;
  if (text == NULL) {
    napi_throw_type_error(env, NULL, "a pointer is needed");
    return 0;
  }
  status = prefix ? pail_pointer_parse_prefix(text, nw->storage, out, &err)
                  : pail_pointer_parse(text, nw->storage, out, &err);
  free(text);
  if (status != PAIL_OK) {
    napi_throw(env, make_error(env, err, status));
    pail_error_free(err);
    return 0;
  }
  return 1;
}

/* ------------------------------------------------------------- values */

static napi_value string_or_null(napi_env env, const char *text) {
  napi_value value;
  if (text == NULL)
    napi_get_null(env, &value);
  else
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return value;
}

static void set(napi_env env, napi_value object, const char *name,
                napi_value value) {
  napi_set_named_property(env, object, name, value);
}

static napi_value number(napi_env env, double x) {
  napi_value value;
  napi_create_double(env, x, &value);
  return value;
}

/* Node's code for a category: errno names where Node code already tests
 * them (ENOENT, EACCES, EINVAL, EIO), ERR_PAIL_* for the others. */
static const char *error_code(pail_status status) {
  switch (status) {
  case PAIL_ERR_NOT_FOUND:
    return "ENOENT";
  case PAIL_ERR_ACCESS_DENIED:
    return "EACCES";
  case PAIL_ERR_INVALID_ARGUMENT:
    return "EINVAL";
  case PAIL_ERR_CONFLICT:
    return "ERR_PAIL_CONFLICT";
  case PAIL_ERR_THROTTLED:
    return "ERR_PAIL_THROTTLED";
  case PAIL_ERR_UNAVAILABLE:
    return "ERR_PAIL_UNAVAILABLE";
  case PAIL_ERR_IO:
    return "EIO";
  case PAIL_ERR_UNSUPPORTED:
    return "ERR_PAIL_UNSUPPORTED";
  case PAIL_ERR_CANCELLED:
    return "ERR_PAIL_CANCELLED";
  default:
    return "ERR_PAIL_INTERNAL";
  }
}

/* An Error for a libpail failure (error may be NULL: only the status is
 * known), with code, category, status, httpStatus, providerCode and
 * requestId. */
static napi_value make_error(napi_env env, const pail_error *error,
                             pail_status status) {
  napi_value message, code, value;
  int http_status = error != NULL ? pail_error_http_status(error) : 0;
  if (error != NULL)
    status = pail_error_category(error);
  napi_create_string_utf8(
      env, error != NULL ? pail_error_message(error) : pail_status_name(status),
      NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, error_code(status), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &value);
  set(env, value, "category", string_or_null(env, pail_status_name(status)));
  set(env, value, "status", number(env, status));
  if (http_status != 0)
    set(env, value, "httpStatus", number(env, http_status));
  else
    set(env, value, "httpStatus", string_or_null(env, NULL));
  set(env, value, "providerCode",
      string_or_null(env, error ? pail_error_provider_code(error) : NULL));
  set(env, value, "requestId",
      string_or_null(env, error ? pail_error_request_id(error) : NULL));
  return value;
}

/* An object's info as a plain object; lastModified in milliseconds since
 * the epoch, or null. index.js adds the Date and the pointer. */
static napi_value info_value(napi_env env, const pail_object_info *info) {
  napi_value object, metadata, flag;
  napi_create_object(env, &object);
  set(env, object, "key", string_or_null(env, info->key));
  set(env, object, "size", number(env, (double)info->size));
  if (info->last_modified == INT64_MIN)
    set(env, object, "lastModified", string_or_null(env, NULL));
  else
    set(env, object, "lastModified",
        number(env, (double)info->last_modified * 1000.0 +
                        info->last_modified_nsec / 1000000));
  set(env, object, "etag", string_or_null(env, info->etag));
  set(env, object, "contentType", string_or_null(env, info->content_type));
  set(env, object, "contentDisposition",
      string_or_null(env, info->content_disposition));
  napi_create_object(env, &metadata);
  for (size_t i = 0; i < info->metadata_count; i++)
    set(env, metadata, info->metadata[i].name,
        string_or_null(env, info->metadata[i].value));
  set(env, object, "metadata", metadata);
  napi_get_boolean(env, info->is_folder != 0, &flag);
  set(env, object, "isFolder", flag);
  return object;
}

/* A pointer's JSON text (index.js parses it). */
static napi_status pointer_value(napi_env env, const pail_pointer *pointer,
                                 napi_value *out) {
  char *text = pail_pointer_to_json(pointer);
  napi_status status;
  if (text == NULL)
    return napi_generic_failure;
  status = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, out);
  free(text);
  return status;
}

/* -------------------------------------------------- calls on the pool */

typedef struct call call;
/* Runs on a pool thread: libpail only, no napi. Sets status and error. */
typedef void (*call_execute_fn)(call *c);
/* Runs on the JavaScript thread after a success: the promise's value. */
typedef napi_status (*call_result_fn)(napi_env env, call *c, napi_value *out);

struct call {
  napi_async_work work;
  napi_deferred deferred;
  call_execute_fn execute;
  call_result_fn result;
  node_workspace *owner; /* holds a use of it, or NULL */
  node_reader *reader;   /* busy while the call runs, or NULL */
  node_writer *writer;
  napi_ref keep[2]; /* the handle and Buffer used, alive until complete */
  pail_status status;
  pail_error *error;
  /* What the operations take and give. */
  pail_pointer *pointer, *pointer2;
  pail_object_info info;
  pail_list_options list;
  char *page_token;
  pail_list_page page;
  pail_read_options read;
  pail_write_options write;
  pail_metadata_entry *metadata;
  pail_sign_options sign;
  pail_signature signature;
  char *strings[4]; /* owned strings the options point into */
  char *text;       /* a malloc'ed answer (settings) */
  void *data;       /* bytes read (malloc'ed), or bytes to write (a Buffer's) */
  size_t length;
};

static call *call_new(call_execute_fn execute, call_result_fn result) {
  call *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->execute = execute;
  c->result = result;
  c->list = (pail_list_options)PAIL_LIST_OPTIONS_INIT;
  c->read = (pail_read_options)PAIL_READ_OPTIONS_INIT;
  c->write = (pail_write_options)PAIL_WRITE_OPTIONS_INIT;
  c->sign = (pail_sign_options)PAIL_SIGN_OPTIONS_INIT;
  return c;
}

static void call_free(napi_env env, call *c) {
  for (size_t i = 0; i < 2; i++)
    if (c->keep[i] != NULL)
      napi_delete_reference(env, c->keep[i]);
  if (c->work != NULL)
    napi_delete_async_work(env, c->work);
  pail_error_free(c->error);
  pail_pointer_free(c->pointer);
  pail_pointer_free(c->pointer2);
  pail_object_info_clear(&c->info);
  free(c->page_token);
  pail_list_page_clear(&c->page);
  if (c->metadata != NULL) {
    for (size_t i = 0; i < c->write.metadata_count; i++) {
      free(c->metadata[i].name);
      free(c->metadata[i].value);
    }
    free(c->metadata);
  }
  pail_signature_clear(&c->signature);
  for (size_t i = 0; i < 4; i++)
    free(c->strings[i]);
  free(c->text);
  if (c->owner != NULL)
    workspace_release(c->owner);
  free(c);
}

static void call_execute(napi_env env, void *data) {
  call *c = data;
  c->execute(c);
}

static void call_complete(napi_env env, napi_status work_status, void *data) {
  call *c = data;
  napi_value value = NULL;
  if (c->reader != NULL)
    c->reader->busy = 0;
  if (c->writer != NULL)
    c->writer->busy = 0;
  if (work_status == napi_ok && c->status == PAIL_OK) {
    if (c->result == NULL)
      napi_get_undefined(env, &value);
    else if (c->result(env, c, &value) != napi_ok)
      value = NULL;
    if (value != NULL)
      napi_resolve_deferred(env, c->deferred, value);
    else
      napi_reject_deferred(env, c->deferred,
                           make_error(env, NULL, PAIL_ERR_INTERNAL));
  } else {
    napi_reject_deferred(
        env, c->deferred,
        make_error(env, c->error,
                   c->status != PAIL_OK ? c->status : PAIL_ERR_INTERNAL));
  }
  call_free(env, c);
}

/* Queues c with complete as its completion, returning its promise. When
 * it cannot: undo (when not NULL) releases what c holds beyond what
 * call_free frees, c is freed, and an exception is thrown. */
static napi_value call_queue(napi_env env, call *c, const char *name,
                             napi_async_complete_callback complete,
                             void (*undo)(call *c)) {
  napi_value promise, resource_name;
  if (napi_create_promise(env, &c->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) !=
          napi_ok ||
      napi_create_async_work(env, NULL, resource_name, call_execute, complete,
                             c, &c->work) != napi_ok ||
      napi_queue_async_work(env, c->work) != napi_ok) {
    if (undo != NULL)
      undo(c);
    call_free(env, c);
    napi_throw_error(env, NULL, "cannot queue the call");
    return NULL;
  }
  return promise;
}

/* A call that could not be queued leaves its reader or writer free. */
static void call_unbusy(call *c) {
  if (c->reader != NULL)
    c->reader->busy = 0;
  if (c->writer != NULL)
    c->writer->busy = 0;
}

/* Queues c, completed by call_complete (above). */
static napi_value call_start(napi_env env, call *c, const char *name) {
  return call_queue(env, c, name, call_complete, call_unbusy);
}

/* A call on the workspace in args[0]; NULL (with an exception pending)
 * when it is not an open workspace or memory runs out. */
static call *workspace_call(napi_env env, napi_value handle,
                            call_execute_fn execute, call_result_fn result) {
  node_workspace *nw;
  call *c;
  if (!get_external(env, handle, "a workspace handle was expected",
                    (void **)&nw))
    return NULL;
  if (nw->closed) {
    napi_throw_error(env, "ERR_PAIL_CLOSED", "the workspace is closed");
    return NULL;
  }
  c = call_new(execute, result);
  if (c == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->owner = nw;
  workspace_update(nw, 1, 0, 0);
  return c;
}

/* Keeps value alive until the call completes. */
static int call_keep(napi_env env, call *c, size_t slot, napi_value value) {
  return napi_create_reference(env, value, 1, &c->keep[slot]) == napi_ok;
}

#define ARGS(n)                                                                \
  size_t argc = n;                                                             \
  napi_value args[n];                                                          \
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok)         \
    return NULL;                                                               \
  for (size_t i_ = argc; i_ < n; i_++)                                         \
  napi_get_undefined(env, &args[i_])

/* ---------------------------------------------------------- workspaces */

static void workspace_finalize(napi_env env, void *data, void *hint) {
  workspace_update(data, 0, 1, 1);
}

/* open(config, isJson, user, storage): a workspace handle. config null
 * follows the CLI's settings lookup; isJson: config is the settings
 * document's text rather than a path. */
static napi_value open_workspace(napi_env env, napi_callback_info info) {
  ARGS(4);
  char *config = NULL, *user = NULL, *storage = NULL;
  bool is_json = false;
  node_workspace *nw = NULL;
  pail_error *err = NULL;
  pail_status status;
  napi_value handle = NULL;
  pail_options options = PAIL_OPTIONS_INIT;
  if (!get_string(env, args[0], "config must be a string", &config) ||
      !get_string(env, args[2], "user must be a string", &user) ||
      !get_string(env, args[3], "storage must be a string", &storage))
    goto done;
  napi_get_value_bool(env, args[1], &is_json);
  if (storage != NULL &&
      (status = pail_storage_name_check(storage, &err)) != PAIL_OK) {
    napi_throw(env, make_error(env, err, status));
    goto done;
  }
  nw = calloc(1, sizeof(*nw));
  if (nw == NULL || pthread_mutex_init(&nw->lock, NULL) != 0) {
    free(nw);
    napi_throw_error(env, NULL, "out of memory");
    goto done;
  }
  options.username = user;
  if (config == NULL)
    status = pail_workspace_open(NULL, &options, &nw->workspace, &err);
  else if (is_json)
    status = pail_workspace_open_json(config, &options, &nw->workspace, &err);
  else
    status = pail_workspace_open(config, &options, &nw->workspace, &err);
  if (status != PAIL_OK) {
    napi_throw(env, make_error(env, err, status));
    pthread_mutex_destroy(&nw->lock);
    free(nw);
    goto done;
  }
  nw->storage = storage;
  storage = NULL;
  if (napi_create_external(env, nw, workspace_finalize, NULL, &handle) !=
      napi_ok) {
    workspace_finalize(env, nw, NULL);
    handle = NULL;
  }
done:
  pail_error_free(err);
  free(config);
  free(user);
  free(storage);
  return handle;
}

/* close(handle): no new call is accepted; the workspace is freed once the
 * calls, readers and writers still using it are done. */
static napi_value close_workspace(napi_env env, napi_callback_info info) {
  ARGS(1);
  node_workspace *nw;
  if (!get_external(env, args[0], "a workspace handle was expected",
                    (void **)&nw))
    return NULL;
  workspace_update(nw, 0, 1, 0);
  return NULL;
}

static napi_value workspace_source(napi_env env, napi_callback_info info) {
  ARGS(1);
  node_workspace *nw;
  if (!get_external(env, args[0], "a workspace handle was expected",
                    (void **)&nw))
    return NULL;
  if (nw->closed) {
    napi_throw_error(env, "ERR_PAIL_CLOSED", "the workspace is closed");
    return NULL;
  }
  return string_or_null(env, pail_workspace_source(nw->workspace));
}

/* normalize(handle, pointer): the pointer's JSON text, parsed as the
 * workspace parses it. */
static napi_value normalize_pointer(napi_env env, napi_callback_info info) {
  ARGS(2);
  node_workspace *nw;
  pail_pointer *pointer;
  napi_value value = NULL;
  if (!get_external(env, args[0], "a workspace handle was expected",
                    (void **)&nw) ||
      !parse_pointer(env, nw, args[1], 0, &pointer))
    return NULL;
  if (pointer_value(env, pointer, &value) != napi_ok)
    napi_throw_error(env, NULL, "out of memory");
  pail_pointer_free(pointer);
  return value;
}

/* ------------------------------------------------------ whole objects */

static void free_data(napi_env env, void *data, void *hint) {
  free(data);
}

static void read_execute(call *c) {
  c->status = pail_read(c->owner->workspace, c->pointer, NULL, &c->data,
                        &c->length, &c->error);
}

static napi_status read_result(napi_env env, call *c, napi_value *out) {
  /* The bytes pail_read allocated become the Buffer's, without a copy,
   * where the runtime allows external buffers. */
  napi_status status = napi_create_external_buffer(env, c->length, c->data,
                                                   free_data, NULL, out);
  if (status == napi_ok) {
    c->data = NULL;
    return status;
  }
  status = napi_create_buffer_copy(env, c->length, c->data, NULL, out);
  free(c->data);
  c->data = NULL;
  return status;
}

/* A call on the workspace in args[0] about the pointer in args[1]; NULL
 * (with an exception pending) when either is not one. */
static call *pointer_call(napi_env env, napi_value *args,
                          call_execute_fn execute, call_result_fn result) {
  call *c = workspace_call(env, args[0], execute, result);
  if (c != NULL && !parse_pointer(env, c->owner, args[1], 0, &c->pointer)) {
    call_free(env, c);
    return NULL;
  }
  return c;
}

/* read(handle, pointer): a promise of the whole object as a Buffer. */
static napi_value op_read(napi_env env, napi_callback_info info) {
  ARGS(2);
  call *c = pointer_call(env, args, read_execute, read_result);
  if (c == NULL)
    return NULL;
  return call_start(env, c, "pail.read");
}

static void stat_execute(call *c) {
  c->status = pail_stat(c->owner->workspace, c->pointer, &c->info, &c->error);
}

static napi_status info_result(napi_env env, call *c, napi_value *out) {
  *out = info_value(env, &c->info);
  return napi_ok;
}

static napi_value op_stat(napi_env env, napi_callback_info info) {
  ARGS(2);
  call *c = pointer_call(env, args, stat_execute, info_result);
  if (c == NULL)
    return NULL;
  return call_start(env, c, "pail.stat");
}

static void delete_execute(call *c) {
  c->status = pail_delete(c->owner->workspace, c->pointer, &c->error);
}

static napi_value op_delete(napi_env env, napi_callback_info info) {
  ARGS(2);
  call *c = pointer_call(env, args, delete_execute, NULL);
  if (c == NULL)
    return NULL;
  return call_start(env, c, "pail.delete");
}

static void copy_execute(call *c) {
  c->status =
      pail_copy(c->owner->workspace, c->pointer, c->pointer2, NULL, &c->error);
}

static napi_status pointer2_result(napi_env env, call *c, napi_value *out) {
  return pointer_value(env, c->pointer2, out);
}

/* copy(handle, source, destination): a promise of the destination's
 * pointer (JSON text). */
static napi_value op_copy(napi_env env, napi_callback_info info) {
  ARGS(3);
  call *c = pointer_call(env, args, copy_execute, pointer2_result);
  if (c == NULL)
    return NULL;
  if (!parse_pointer(env, c->owner, args[2], 0, &c->pointer2)) {
    call_free(env, c);
    return NULL;
  }
  return call_start(env, c, "pail.copy");
}

/* Fills c->write from index.js's options object: contentType,
 * contentDisposition, metadata (a flat array of names and values),
 * noClobber and sizeHint. */
static int get_write_options(napi_env env, call *c, napi_value options) {
  napi_value value;
  napi_valuetype type;
  bool flag = false;
  double hint = 0;
  uint32_t count = 0;
  if (napi_typeof(env, options, &type) != napi_ok || type != napi_object)
    return 1;
  if (napi_get_named_property(env, options, "contentType", &value) != napi_ok ||
      !get_string(env, value, "contentType must be a string", &c->strings[0]))
    return 0;
  if (napi_get_named_property(env, options, "contentDisposition", &value) !=
          napi_ok ||
      !get_string(env, value, "contentDisposition must be a string",
                  &c->strings[1]))
    return 0;
  c->write.content_type = c->strings[0];
  c->write.content_disposition = c->strings[1];
  if (napi_get_named_property(env, options, "noClobber", &value) == napi_ok &&
      napi_get_value_bool(env, value, &flag) == napi_ok)
    c->write.if_none_match = flag ? 1 : 0;
  if (napi_get_named_property(env, options, "sizeHint", &value) != napi_ok ||
      !get_number(env, value, &hint))
    return 0;
  c->write.size_hint = hint > 0 ? (uint64_t)hint : 0;
  if (napi_get_named_property(env, options, "metadata", &value) != napi_ok ||
      napi_get_array_length(env, value, &count) != napi_ok || count < 2)
    return 1;
  c->metadata = calloc(count / 2, sizeof(*c->metadata));
  if (c->metadata == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return 0;
  }
  for (uint32_t i = 0; i + 1 < count; i += 2) {
    napi_value name, text;
    pail_metadata_entry *entry = &c->metadata[c->write.metadata_count];
    c->write.metadata_count++;
    if (napi_get_element(env, value, i, &name) != napi_ok ||
        napi_get_element(env, value, i + 1, &text) != napi_ok ||
        !get_string(env, name, "a metadata name must be a string",
                    &entry->name) ||
        !get_string(env, text, "a metadata value must be a string",
                    &entry->value))
      return 0;
  }
  c->write.metadata = c->metadata;
  return 1;
}

static void write_execute(call *c) {
  c->status = pail_write(c->owner->workspace, c->pointer, c->data, c->length,
                         &c->write, &c->error);
}

static napi_status pointer_result(napi_env env, call *c, napi_value *out) {
  return pointer_value(env, c->pointer, out);
}

/* write(handle, pointer, bytes, options): a promise of the pointer (JSON
 * text) once the whole Buffer is stored. */
static napi_value op_write(napi_env env, napi_callback_info info) {
  ARGS(4);
  call *c = pointer_call(env, args, write_execute, pointer_result);
  if (c == NULL)
    return NULL;
  if (!get_bytes(env, args[2], &c->data, &c->length) ||
      !get_write_options(env, c, args[3]) || !call_keep(env, c, 0, args[2])) {
    c->data = NULL; /* the Buffer's, not ours */
    call_free(env, c);
    return NULL;
  }
  if (c->write.size_hint == 0)
    c->write.size_hint = c->length;
  napi_value promise = call_start(env, c, "pail.write");
  return promise;
}

/* --------------------------------------------------------- local files */

static void upload_execute(call *c) {
  c->status = pail_upload(c->owner->workspace, c->pointer, c->strings[2],
                          &c->write, &c->error);
}

/* upload(handle, localPath, pointer, options): a promise of the pointer
 * (JSON text) once the local file is stored; a failure stores nothing. */
static napi_value op_upload(napi_env env, napi_callback_info info) {
  ARGS(4);
  /* pointer_call takes the pointer in args[1]: the path is args[1] here. */
  napi_value swapped[2] = {args[0], args[2]};
  call *c = pointer_call(env, swapped, upload_execute, pointer_result);
  if (c == NULL)
    return NULL;
  if (!get_string(env, args[1], "localPath must be a string", &c->strings[2]) ||
      !get_write_options(env, c, args[3])) {
    call_free(env, c);
    return NULL;
  }
  if (c->strings[2] == NULL) {
    call_free(env, c);
    napi_throw_type_error(env, NULL, "a local path is needed");
    return NULL;
  }
  return call_start(env, c, "pail.upload");
}

static void download_execute(call *c) {
  c->status = pail_download(c->owner->workspace, c->pointer, c->strings[0],
                            &c->read, &c->error);
}

/* download(handle, pointer, localPath): a promise settled once the local
 * file holds the whole object; on failure no file appears and an existing
 * one is untouched. */
static napi_value op_download(napi_env env, napi_callback_info info) {
  ARGS(3);
  call *c = pointer_call(env, args, download_execute, NULL);
  if (c == NULL)
    return NULL;
  if (!get_string(env, args[2], "localPath must be a string", &c->strings[0])) {
    call_free(env, c);
    return NULL;
  }
  if (c->strings[0] == NULL) {
    call_free(env, c);
    napi_throw_type_error(env, NULL, "a local path is needed");
    return NULL;
  }
  return call_start(env, c, "pail.download");
}

/* ------------------------------------------------------------ listings */

static void list_execute(call *c) {
  c->list.page_token = c->page_token;
  c->status =
      pail_list(c->owner->workspace, c->pointer, &c->list, &c->page, &c->error);
}

static napi_status list_result(napi_env env, call *c, napi_value *out) {
  napi_value entries;
  napi_status status;
  if ((status = napi_create_object(env, out)) != napi_ok ||
      (status = napi_create_array_with_length(env, c->page.count, &entries)) !=
          napi_ok)
    return status;
  for (size_t i = 0; i < c->page.count; i++)
    napi_set_element(env, entries, (uint32_t)i,
                     info_value(env, &c->page.entries[i]));
  set(env, *out, "entries", entries);
  set(env, *out, "next", string_or_null(env, c->page.next_page_token));
  set(env, *out, "storage", string_or_null(env, c->pointer->storage));
  return napi_ok;
}

/* list(handle, prefix, recursive, pageSize, token): a promise of one page,
 * {entries, next (the next page's token or null), storage}. */
static napi_value op_list(napi_env env, napi_callback_info info) {
  ARGS(5);
  bool recursive = false;
  double page_size = 0;
  call *c = workspace_call(env, args[0], list_execute, list_result);
  if (c == NULL)
    return NULL;
  napi_get_value_bool(env, args[2], &recursive);
  if (!parse_pointer(env, c->owner, args[1], 1, &c->pointer) ||
      !get_number(env, args[3], &page_size) ||
      !get_string(env, args[4], "a page token must be a string",
                  &c->page_token)) {
    call_free(env, c);
    return NULL;
  }
  c->list.recursive = recursive ? 1 : 0;
  c->list.max_keys = page_size > 0 ? (size_t)page_size : 0;
  return call_start(env, c, "pail.list");
}

/* -------------------------------------------------- links, settings */

static void sign_execute(call *c) {
  c->status = pail_sign(c->owner->workspace, c->pointer, &c->sign,
                        &c->signature, &c->error);
}

static napi_status sign_result(napi_env env, call *c, napi_value *out) {
  napi_value grant;
  napi_status status = napi_create_object(env, out);
  if (status != napi_ok)
    return status;
  set(env, *out, "url", string_or_null(env, c->signature.url));
  if (c->signature.grant != NULL) {
    if ((status = pointer_value(env, c->signature.grant, &grant)) != napi_ok)
      return status;
    set(env, *out, "pointer", grant);
  } else {
    set(env, *out, "pointer", string_or_null(env, NULL));
  }
  set(env, *out, "expiresAt", number(env, (double)c->signature.expires_at));
  return napi_ok;
}

/* sign(handle, pointer, expires, method): a promise of {url, pointer (a
 * grant's JSON text), expiresAt (seconds)}, one of url and pointer null. */
static napi_value op_sign(napi_env env, napi_callback_info info) {
  ARGS(4);
  double expires = 0;
  call *c = pointer_call(env, args, sign_execute, sign_result);
  if (c == NULL)
    return NULL;
  if (!get_number(env, args[2], &expires) ||
      !get_string(env, args[3], "method must be a string", &c->strings[0])) {
    call_free(env, c);
    return NULL;
  }
  c->sign.expires = (int64_t)expires;
  c->sign.method = c->strings[0];
  return call_start(env, c, "pail.sign");
}

static void settings_execute(call *c) {
  pail_settings_options options = PAIL_SETTINGS_OPTIONS_INIT;
  options.gateway = c->strings[2];
  c->status =
      pail_settings_export_with(c->owner->workspace, c->strings[0],
                                c->strings[1], &options, &c->text, &c->error);
}

static napi_status text_result(napi_env env, call *c, napi_value *out) {
  return napi_create_string_utf8(env, c->text, NAPI_AUTO_LENGTH, out);
}

/* settings(handle, storage, tool, gateway): a promise of the text
 * pail_settings_export_with gives. */
static napi_value op_settings(napi_env env, napi_callback_info info) {
  ARGS(4);
  call *c = workspace_call(env, args[0], settings_execute, text_result);
  if (c == NULL)
    return NULL;
  if (!get_string(env, args[1], "storage must be a string", &c->strings[0]) ||
      !get_string(env, args[2], "tool must be a string", &c->strings[1]) ||
      !get_string(env, args[3], "gateway must be a string", &c->strings[2])) {
    call_free(env, c);
    return NULL;
  }
  if (c->strings[1] == NULL) {
    call_free(env, c);
    napi_throw_type_error(env, NULL, "a tool is needed");
    return NULL;
  }
  return call_start(env, c, "pail.settings");
}

/* ------------------------------------------------------------ readers */

static void reader_free(void *data) {
  node_reader *nr = data;
  if (nr->reader != NULL)
    pail_reader_close(nr->reader);
  pail_object_info_clear(&nr->info);
  if (nr->owner != NULL)
    workspace_release(nr->owner);
  free(nr);
}

static void reader_finalize(napi_env env, void *data, void *hint) {
  node_reader *nr = data;
  /* Collected unclosed (a stream dropped without destroy): no call runs on
   * it (each keeps the handle alive), so it is closed here, off the
   * JavaScript thread when it is still open. */
  if (nr->reader == NULL || !background_start(reader_free, nr))
    reader_free(nr);
}

static void reader_open_execute(call *c) {
  pail_reader *reader = NULL;
  c->status = pail_reader_open(c->owner->workspace, c->pointer, &c->read,
                               &reader, &c->error);
  if (c->status != PAIL_OK)
    return;
  c->reader->reader = reader;
  c->status = pail_object_info_copy(&c->reader->info, pail_reader_info(reader));
  if (c->status != PAIL_OK)
    pail_error_set(&c->error, c->status, 0, NULL, NULL, "out of memory");
}

static napi_status reader_open_result(napi_env env, call *c, napi_value *out) {
  node_reader *nr = c->reader;
  napi_status status =
      napi_create_external(env, nr, reader_finalize, NULL, out);
  if (status != napi_ok)
    return status;
  /* The handle owns the reader and a use of the workspace now. */
  nr->owner = c->owner;
  c->owner = NULL;
  c->reader = NULL;
  return napi_ok;
}

static void reader_open_free(call *c) {
  if (c->reader == NULL)
    return;
  if (c->reader->reader != NULL)
    pail_reader_close(c->reader->reader);
  pail_object_info_clear(&c->reader->info);
  free(c->reader);
  c->reader = NULL;
}

static void reader_open_complete(napi_env env, napi_status work_status,
                                 void *data) {
  call *c = data;
  napi_value value;
  if (work_status == napi_ok && c->status == PAIL_OK &&
      reader_open_result(env, c, &value) == napi_ok) {
    napi_resolve_deferred(env, c->deferred, value);
  } else {
    napi_reject_deferred(
        env, c->deferred,
        make_error(env, c->error,
                   c->status != PAIL_OK ? c->status : PAIL_ERR_INTERNAL));
    reader_open_free(c);
  }
  call_free(env, c);
}

/* readerOpen(handle, pointer, offset, length): a promise of a reader
 * handle, once the read is open (a missing object fails here). length -1:
 * to the end. */
static napi_value op_reader_open(napi_env env, napi_callback_info info) {
  ARGS(4);
  double offset = 0, length = -1;
  call *c = pointer_call(env, args, reader_open_execute, NULL);
  if (c == NULL)
    return NULL;
  if (!get_number(env, args[2], &offset) ||
      !get_number(env, args[3], &length)) {
    call_free(env, c);
    return NULL;
  }
  c->reader = calloc(1, sizeof(*c->reader));
  if (c->reader == NULL) {
    call_free(env, c);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->read.offset = offset > 0 ? (uint64_t)offset : 0;
  c->read.length = length < 0 ? PAIL_READ_TO_END : (uint64_t)length;
  c->read.large = 1;
  return call_queue(env, c, "pail.readerOpen", reader_open_complete,
                    reader_open_free);
}

/* A call on the reader or writer handle in args[0] with the bytes of the
 * Buffer in args[1] in c->data and c->length, both kept alive until it
 * settles (the bytes are the Buffer's, read or filled on the pool); NULL,
 * with an exception pending, when args[1] holds no bytes or memory runs
 * out. */
static call *bytes_call(napi_env env, napi_value *args, call_execute_fn execute,
                        call_result_fn result) {
  void *data;
  size_t length;
  if (!get_bytes(env, args[1], &data, &length))
    return NULL;
  call *c = call_new(execute, result);
  if (c == NULL || !call_keep(env, c, 0, args[0]) ||
      !call_keep(env, c, 1, args[1])) {
    if (c != NULL)
      call_free(env, c);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->data = data;
  c->length = length;
  return c;
}

/* The reader in value, free for a call; throws otherwise. */
static node_reader *get_reader(napi_env env, napi_value value) {
  node_reader *nr;
  if (!get_external(env, value, "a reader handle was expected", (void **)&nr))
    return NULL;
  if (nr->reader == NULL) {
    napi_throw_error(env, "ERR_PAIL_CLOSED", "the read is closed");
    return NULL;
  }
  if (nr->busy) {
    napi_throw_error(env, "ERR_PAIL_BUSY", "a call runs on this read");
    return NULL;
  }
  return nr;
}

static napi_value op_reader_info(napi_env env, napi_callback_info info) {
  ARGS(1);
  node_reader *nr;
  if (!get_external(env, args[0], "a reader handle was expected", (void **)&nr))
    return NULL;
  return info_value(env, &nr->info);
}

static void reader_read_execute(call *c) {
  /* Fills the Buffer unless the data ends first: fewer trips through the
   * event loop than one read per backend block. */
  size_t got = 0;
  c->length = 0;
  do {
    c->status = pail_reader_read(c->reader->reader, (char *)c->data + c->length,
                                 c->read.length - c->length, &got, &c->error);
    c->length += got;
  } while (c->status == PAIL_OK && got > 0 && c->length < c->read.length);
}

static napi_status length_result(napi_env env, call *c, napi_value *out) {
  return napi_create_double(env, (double)c->length, out);
}

/* readerRead(reader, buffer): a promise of the count of bytes read into
 * buffer; 0 only at the end. */
static napi_value op_reader_read(napi_env env, napi_callback_info info) {
  ARGS(2);
  node_reader *nr = get_reader(env, args[0]);
  call *c =
      nr ? bytes_call(env, args, reader_read_execute, length_result) : NULL;
  if (c == NULL)
    return NULL;
  c->read.length = c->length; /* the room; length counts what came */
  c->reader = nr;
  nr->busy = 1;
  return call_start(env, c, "pail.readerRead");
}

static void reader_close_execute(call *c) {
  pail_reader_close(c->data);
}

/* readerClose(reader): a promise settled once the read is closed. */
static napi_value op_reader_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  node_reader *nr = get_reader(env, args[0]);
  call *c;
  if (nr == NULL)
    return NULL;
  c = call_new(reader_close_execute, NULL);
  if (c == NULL || !call_keep(env, c, 0, args[0])) {
    if (c != NULL)
      call_free(env, c);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->data = nr->reader;
  nr->reader = NULL;
  /* The call holds the use of the workspace the reader had. */
  c->owner = nr->owner;
  nr->owner = NULL;
  return call_start(env, c, "pail.readerClose");
}

/* ------------------------------------------------------------ writers */

static void writer_free(void *data) {
  node_writer *nw = data;
  if (nw->writer != NULL)
    pail_writer_abort(nw->writer);
  pail_pointer_free(nw->pointer);
  if (nw->owner != NULL)
    workspace_release(nw->owner);
  free(nw);
}

static void writer_finalize(napi_env env, void *data, void *hint) {
  node_writer *nw = data;
  /* Collected unclosed: what it wrote is discarded, never committed. The
   * abort (on S3, a request ending the multipart upload) runs on a thread
   * of its own: a finalizer runs on the JavaScript thread. */
  if (nw->writer == NULL || !background_start(writer_free, nw))
    writer_free(nw);
}

static void writer_open_execute(call *c) {
  pail_writer *writer = NULL;
  c->status = pail_writer_open(c->owner->workspace, c->pointer, &c->write,
                               &writer, &c->error);
  c->data = writer;
}

static void writer_open_complete(napi_env env, napi_status work_status,
                                 void *data) {
  call *c = data;
  node_writer *nw = NULL;
  napi_value value;
  if (work_status == napi_ok && c->status == PAIL_OK &&
      (nw = calloc(1, sizeof(*nw))) != NULL &&
      napi_create_external(env, nw, writer_finalize, NULL, &value) == napi_ok) {
    nw->writer = c->data;
    nw->pointer = c->pointer;
    c->pointer = NULL;
    nw->owner = c->owner;
    c->owner = NULL;
    napi_resolve_deferred(env, c->deferred, value);
  } else {
    free(nw);
    if (c->data != NULL)
      pail_writer_abort(c->data);
    napi_reject_deferred(
        env, c->deferred,
        make_error(env, c->error,
                   c->status != PAIL_OK ? c->status : PAIL_ERR_INTERNAL));
  }
  c->data = NULL;
  call_free(env, c);
}

/* writerOpen(handle, pointer, options): a promise of a writer handle.
 * Nothing is visible under the key until writerClose succeeds. */
static napi_value op_writer_open(napi_env env, napi_callback_info info) {
  ARGS(3);
  call *c = pointer_call(env, args, writer_open_execute, NULL);
  if (c == NULL)
    return NULL;
  if (!get_write_options(env, c, args[2])) {
    call_free(env, c);
    return NULL;
  }
  return call_queue(env, c, "pail.writerOpen", writer_open_complete, NULL);
}

static node_writer *get_writer(napi_env env, napi_value value) {
  node_writer *nw;
  if (!get_external(env, value, "a writer handle was expected", (void **)&nw))
    return NULL;
  if (nw->writer == NULL) {
    napi_throw_error(env, "ERR_PAIL_CLOSED", "the write is closed");
    return NULL;
  }
  if (nw->busy) {
    napi_throw_error(env, "ERR_PAIL_BUSY", "a call runs on this write");
    return NULL;
  }
  return nw;
}

static void writer_write_execute(call *c) {
  c->status =
      pail_writer_write(c->writer->writer, c->data, c->length, &c->error);
}

/* writerWrite(writer, bytes): a promise settled once the bytes are handed
 * to the writer. After a failure the writer only takes close or abort. */
static napi_value op_writer_write(napi_env env, napi_callback_info info) {
  ARGS(2);
  node_writer *nw = get_writer(env, args[0]);
  call *c = nw ? bytes_call(env, args, writer_write_execute, NULL) : NULL;
  if (c == NULL)
    return NULL;
  c->writer = nw;
  nw->busy = 1;
  return call_start(env, c, "pail.writerWrite");
}

static void writer_close_execute(call *c) {
  c->status = pail_writer_close(c->data, NULL, &c->error);
}

static void writer_abort_execute(call *c) {
  pail_writer_abort(c->data);
}

/* Ends the writer in value by close (commit) or abort; the call takes over
 * the writer, its pointer and its use of the workspace. */
static napi_value writer_end(napi_env env, napi_value value, int commit) {
  node_writer *nw = get_writer(env, value);
  call *c;
  if (nw == NULL)
    return NULL;
  c = call_new(commit ? writer_close_execute : writer_abort_execute,
               commit ? pointer_result : NULL);
  if (c == NULL || !call_keep(env, c, 0, value)) {
    if (c != NULL)
      call_free(env, c);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->data = nw->writer;
  nw->writer = NULL;
  c->pointer = nw->pointer;
  nw->pointer = NULL;
  c->owner = nw->owner;
  nw->owner = NULL;
  return call_start(env, c, commit ? "pail.writerClose" : "pail.writerAbort");
}

/* writerClose(writer): a promise of the pointer (JSON text) once the
 * object is committed; on failure the write is aborted. */
static napi_value op_writer_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  return writer_end(env, args[0], 1);
}

/* writerAbort(writer): a promise settled once the write is discarded. */
static napi_value op_writer_abort(napi_env env, napi_callback_info info) {
  ARGS(1);
  return writer_end(env, args[0], 0);
}

/* ------------------------------------------------------------- module */

static napi_value module_init(napi_env env, napi_value exports) {
  /* Registered after the runtime's own hooks, so it runs before them: the
   * finalizers the teardown runs afterwards close inline. */
  napi_add_env_cleanup_hook(env, background_drain, NULL);
  static const struct {
    const char *name;
    napi_callback function;
  } functions[] = {
      {"open", open_workspace},
      {"close", close_workspace},
      {"source", workspace_source},
      {"normalize", normalize_pointer},
      {"read", op_read},
      {"stat", op_stat},
      {"delete", op_delete},
      {"copy", op_copy},
      {"write", op_write},
      {"upload", op_upload},
      {"download", op_download},
      {"list", op_list},
      {"sign", op_sign},
      {"settings", op_settings},
      {"readerOpen", op_reader_open},
      {"readerInfo", op_reader_info},
      {"readerRead", op_reader_read},
      {"readerClose", op_reader_close},
      {"writerOpen", op_writer_open},
      {"writerWrite", op_writer_write},
      {"writerClose", op_writer_close},
      {"writerAbort", op_writer_abort},
  };
  for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
    napi_value function;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH,
                             functions[i].function, NULL,
                             &function) != napi_ok ||
        napi_set_named_property(env, exports, functions[i].name, function) !=
            napi_ok)
      return NULL;
  }
  napi_value version;
  napi_create_string_utf8(env, PAIL_VERSION_STRING, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}

/* NAPI_MODULE defines these two entry points without declaring the first,
 * which -Wmissing-prototypes refuses. */
NAPI_MODULE_EXPORT int32_t NODE_API_MODULE_GET_API_VERSION(void);
NAPI_MODULE(pail, module_init)
