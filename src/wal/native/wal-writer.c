/*
 * raftwire_wal: a writer thread per WAL file, for the WAL's write path (see README.md beside
 * this file for why it exists and what it measured).
 *
 * A Writer owns one POSIX thread that performs, one at a time, the two calls a WAL save needs:
 * a positioned write of a whole buffer (looping over short writes and EINTR) and fdatasync. The
 * JS side submits an operation and gets its result through a thread-safe function: the event
 * loop is never blocked, and a save costs one hand-off to a thread that is already parked on this
 * file instead of a trip through libuv's shared thread pool (whose four threads take turns, and
 * whose completion runs through the fs request machinery).
 *
 * The file descriptor belongs to the caller (a FileHandle): the Writer never opens or closes it.
 * At most one operation is in flight per Writer; the JS wrapper enforces it, and submit refuses a
 * second one. While an operation is in flight the thread-safe function is ref'd (it keeps the
 * event loop alive, as a pending fs request does); idle, it is not.
 *
 * It also takes etcd's segment locks (lock(), below), so that a Go etcd and raftwire cannot
 * append to one WAL at once.
 *
 * Lifetime: close() stops and joins the thread and releases the thread-safe function. A Writer
 * that is garbage collected, or still open when its environment is torn down (process exit,
 * worker_threads exit), is stopped and joined the same way by its finalizer or cleanup hook.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

enum op { OP_NONE = 0, OP_WRITE = 1, OP_DATASYNC = 2, OP_WRITE_DATASYNC = 3 };

typedef struct writer {
  int fd;
  napi_threadsafe_function tsfn;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* Guarded by mu. */
  enum op op;
  bool stop;
  /* Main thread only. */
  bool started;
  bool closed;
  bool busy;
  int owners; /* the external and the thread-safe function; freed when both are gone */
  napi_ref buffer_ref;   /* keeps the written buffer alive while the thread reads it */
  napi_ref callback_ref; /* the operation's completion callback */
  /* Set by the main thread before the op is published; read by the writer thread. */
  const uint8_t *data;
  size_t length;
  int64_t position;
  /* Set by the writer thread before it calls the thread-safe function. */
  int result_errno;
  size_t result_bytes;
  bool result_in_datasync; /* the error came from fdatasync, not from the write */
} writer;

/* Writes all of data[0, length) at position; returns 0 or an errno. */
static int write_fully(int fd, const uint8_t *data, size_t length, int64_t position, size_t *done) {
  *done = 0;
  while (*done < length) {
    ssize_t n = pwrite(fd, data + *done, length - *done, (off_t)(position + (int64_t)*done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO; /* no progress: never loop forever */
    *done += (size_t)n;
  }
  return 0;
}

static int datasync(int fd) {
  for (;;) {
#if defined(__linux__)
    if (fdatasync(fd) == 0) return 0;
#else
    if (fsync(fd) == 0) return 0;
#endif
    if (errno != EINTR) return errno;
  }
}

static void *run(void *arg) {
  writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->op == OP_NONE && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
    if (w->op == OP_NONE) break; /* stop, and nothing left to do */
    enum op op = w->op;
    pthread_mutex_unlock(&w->mu);

    size_t done = 0;
    int err = 0;
    bool in_datasync = false;
    if (op == OP_WRITE || op == OP_WRITE_DATASYNC) err = write_fully(w->fd, w->data, w->length, w->position, &done);
    if (err == 0 && (op == OP_DATASYNC || op == OP_WRITE_DATASYNC)) {
      err = datasync(w->fd);
      in_datasync = err != 0;
    }
    w->result_errno = err;
    w->result_bytes = done;
    w->result_in_datasync = in_datasync;

    /* Clear the slot before reporting: the completion may submit the next operation at once. */
    pthread_mutex_lock(&w->mu);
    w->op = OP_NONE;
    pthread_mutex_unlock(&w->mu);
    napi_call_threadsafe_function(w->tsfn, NULL, napi_tsfn_blocking);
    pthread_mutex_lock(&w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Stops and joins the thread, releases the thread-safe function. Main thread; idempotent. */
static void shutdown_writer(writer *w) {
  if (w->closed) return;
  w->closed = true;
  if (w->started) {
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_mutex_unlock(&w->mu);
    pthread_cond_signal(&w->cv);
    pthread_join(w->thread, NULL);
  }
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
}

static void drop_refs(napi_env env, writer *w) {
  if (w->buffer_ref != NULL) {
    napi_delete_reference(env, w->buffer_ref);
    w->buffer_ref = NULL;
  }
  if (w->callback_ref != NULL) {
    napi_delete_reference(env, w->callback_ref);
    w->callback_ref = NULL;
  }
}

static void cleanup_hook(void *arg) {
  writer *w = arg;
  shutdown_writer(w);
}

static void release_owner(writer *w) {
  if (--w->owners > 0) return;
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  free(w);
}

/* Runs on the main thread once the thread-safe function is gone. */
static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  writer *w = data;
  if (env != NULL) drop_refs(env, w);
  release_owner(w);
}

/* The external's finalizer: garbage collected (closed or not), or the environment's teardown. */
static void external_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  writer *w = data;
  if (!w->closed) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, w);
    shutdown_writer(w);
  }
  release_owner(w);
}

/* Delivers a completion on the main thread: callback(errno, bytesWritten, failedInDatasync). */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)data;
  writer *w = context;
  if (env == NULL) return; /* the environment is going away */
  napi_value callback = NULL;
  if (w->callback_ref != NULL) napi_get_reference_value(env, w->callback_ref, &callback);
  drop_refs(env, w);
  w->busy = false;
  napi_unref_threadsafe_function(env, w->tsfn);
  if (callback == NULL) return;
  napi_value argv[3], global;
  napi_create_int32(env, w->result_errno, &argv[0]);
  napi_create_double(env, (double)w->result_bytes, &argv[1]);
  napi_get_boolean(env, w->result_in_datasync, &argv[2]);
  napi_get_global(env, &global);
  napi_call_function(env, global, callback, 3, argv, NULL);
}

#define CHECK(env, call, msg)                                                                    \
  do {                                                                                           \
    if ((call) != napi_ok) {                                                                     \
      napi_throw_error((env), "RAFTWIRE_WAL_NATIVE", (msg));                                     \
      return NULL;                                                                               \
    }                                                                                            \
  } while (0)

static writer *get_writer(napi_env env, napi_value v) {
  writer *w = NULL;
  if (napi_get_value_external(env, v, (void **)&w) != napi_ok || w == NULL) {
    napi_throw_type_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal: not a writer");
    return NULL;
  }
  return w;
}

/*
 * The arguments of a call on a writer: at least `need` of them (up to `max`, into argv), the first
 * being the writer. NULL, with a TypeError thrown, when they are not.
 */
static writer *writer_arguments(napi_env env, napi_callback_info info, size_t need, size_t max, napi_value *argv,
                                size_t *argc, const char *message) {
  *argc = max;
  if (napi_get_cb_info(env, info, argc, argv, NULL, NULL) != napi_ok || *argc < need) {
    napi_throw_type_error(env, "RAFTWIRE_WAL_NATIVE", message);
    return NULL;
  }
  return get_writer(env, argv[0]);
}

/* The one file-descriptor argument of a call; -1, with a TypeError thrown, when it is not one. */
static int32_t fd_argument(napi_env env, napi_callback_info info, const char *message) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "RAFTWIRE_WAL_NATIVE", message);
    return -1;
  }
  return fd;
}

/* create(fd) -> writer */
static napi_value create(napi_env env, napi_callback_info info) {
  int32_t fd = fd_argument(env, info, "raftwire_wal.create: fd must be a non-negative integer");
  if (fd < 0) return NULL;
  writer *w = calloc(1, sizeof(writer));
  if (w == NULL) {
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal.create: out of memory");
    return NULL;
  }
  w->fd = fd;
  w->owners = 1; /* the thread-safe function; the external is the second */
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  napi_value name;
  napi_create_string_utf8(env, "raftwire_wal", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, w, tsfn_finalize, w, call_js, &w->tsfn) !=
      napi_ok) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal.create: cannot create the completion channel");
    return NULL;
  }
  napi_unref_threadsafe_function(env, w->tsfn);
  napi_add_env_cleanup_hook(env, cleanup_hook, w);
  napi_value ext;
  if (napi_create_external(env, w, external_finalize, NULL, &ext) != napi_ok) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, w);
    shutdown_writer(w); /* frees w through tsfn_finalize */
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal.create: cannot wrap the writer");
    return NULL;
  }
  w->owners = 2;
  return ext;
}

static bool start_if_needed(napi_env env, writer *w) {
  if (w->started) return true;
  int rc = pthread_create(&w->thread, NULL, run, w);
  if (rc != 0) {
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", strerror(rc));
    return false;
  }
  w->started = true;
  return true;
}

static napi_value submit(napi_env env, writer *w, enum op op, napi_value callback, napi_value buffer) {
  if (w->closed) {
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal: writer is closed");
    return NULL;
  }
  if (w->busy) {
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal: an operation is already in flight");
    return NULL;
  }
  if (!start_if_needed(env, w)) return NULL;
  CHECK(env, napi_create_reference(env, callback, 1, &w->callback_ref), "cannot keep the callback");
  if (buffer != NULL) CHECK(env, napi_create_reference(env, buffer, 1, &w->buffer_ref), "cannot keep the buffer");
  w->busy = true;
  napi_ref_threadsafe_function(env, w->tsfn);
  pthread_mutex_lock(&w->mu);
  w->op = op;
  pthread_mutex_unlock(&w->mu);
  pthread_cond_signal(&w->cv);
  return NULL;
}

/*
 * write(writer, uint8array, offset, length, position, callback[, datasync]): the whole range at
 * position; with datasync true, then fdatasync, in the same hand-off.
 */
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[7];
  writer *w = writer_arguments(env, info, 6, 7, argv, &argc, "raftwire_wal.write: at least 6 arguments expected");
  if (w == NULL) return NULL;
  bool is_ta = false;
  napi_is_typedarray(env, argv[1], &is_ta);
  napi_typedarray_type type;
  size_t count = 0;
  void *data = NULL;
  if (!is_ta || napi_get_typedarray_info(env, argv[1], &type, &count, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal.write: a Uint8Array is expected");
    return NULL;
  }
  int64_t offset = 0, length = 0, position = 0;
  napi_get_value_int64(env, argv[2], &offset);
  napi_get_value_int64(env, argv[3], &length);
  napi_get_value_int64(env, argv[4], &position);
  if (offset < 0 || length < 0 || position < 0 || (uint64_t)offset + (uint64_t)length > count) {
    napi_throw_range_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal.write: range outside the buffer");
    return NULL;
  }
  bool then_sync = false;
  if (argc >= 7) napi_get_value_bool(env, argv[6], &then_sync);
  enum op op = then_sync ? OP_WRITE_DATASYNC : OP_WRITE;
  if (w->busy || w->closed) return submit(env, w, op, argv[5], argv[1]); /* throws */
  w->data = (const uint8_t *)data + offset;
  w->length = (size_t)length;
  w->position = position;
  return submit(env, w, op, argv[5], argv[1]);
}

/* datasync(writer, callback) */
static napi_value js_datasync(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[2];
  writer *w = writer_arguments(env, info, 2, 2, argv, &argc, "raftwire_wal.datasync: 2 arguments expected");
  if (w == NULL) return NULL;
  return submit(env, w, OP_DATASYNC, argv[1], NULL);
}

/* close(writer): stops and joins the thread. Refused while an operation is in flight. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[1];
  writer *w = writer_arguments(env, info, 1, 1, argv, &argc, "raftwire_wal.close: a writer is expected");
  if (w == NULL) return NULL;
  if (w->closed) return NULL;
  if (w->busy) {
    napi_throw_error(env, "RAFTWIRE_WAL_NATIVE", "raftwire_wal.close: an operation is in flight");
    return NULL;
  }
  napi_remove_env_cleanup_hook(env, cleanup_hook, w);
  shutdown_writer(w);
  return NULL;
}

/*
 * lock(fd) -> 0 or an errno (EAGAIN when another holder has it): a non-blocking exclusive lock of
 * the whole file, as etcd's fileutil.TryLockFile takes on every WAL segment. Linux: an open file
 * description lock (F_OFD_SETLK), which is what etcd uses there, so Go and raftwire exclude each
 * other; kernels without OFD locks, and other systems, get flock(LOCK_EX|LOCK_NB), etcd's
 * fallback. The lock lasts until the descriptor is closed. It never blocks: a plain syscall.
 */
static napi_value js_lock(napi_env env, napi_callback_info info) {
  int32_t fd = fd_argument(env, info, "raftwire_wal.lock: fd must be a non-negative integer");
  if (fd < 0) return NULL;
  int err = 0;
#if defined(__linux__) && defined(F_OFD_SETLK)
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  if (fcntl(fd, F_OFD_SETLK, &fl) != 0) err = errno;
  if (err == EINVAL) err = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
#else
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) err = errno;
#endif
  if (err == EACCES || err == EWOULDBLOCK) err = EAGAIN;
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"datasync", NULL, js_datasync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lock", NULL, js_lock, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
