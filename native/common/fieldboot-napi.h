/*
 * What FieldBoot's Node-API addons (native/sendfile, native/tftp) share: errors thrown into JavaScript,
 * the [offset, length, ...] span list both take, a detached worker thread that leaves signals to Node, and
 * the job external every call after start() takes. Header-only: each addon is one compilation unit.
 */
#ifndef FIELDBOOT_NAPI_H
#define FIELDBOOT_NAPI_H

#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most spans one transfer takes (UDF files may have many extents; the JS side falls back beyond). */
#define FB_MAX_SPANS 65536
/* Number.MAX_SAFE_INTEGER: offsets and lengths arrive as JavaScript numbers. */
#define FB_MAX_SAFE_INTEGER 9007199254740991.0

typedef struct {
  int64_t offset, length;
} FbSpan;

static inline napi_value fb_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static inline napi_value fb_throw_errno(napi_env env, const char *what, int err) {
  char message[200];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

/*
 * Reads [offset, length, ...] into a new array (the caller frees it). Returns NULL with a TypeError thrown
 * when it is not a non-empty array of pairs of non-negative integers; *total is the sum of the lengths.
 */
static inline FbSpan *fb_get_spans(napi_env env, napi_value value, size_t *count, int64_t *total) {
  bool is_array = false;
  uint32_t n = 0;
  if (napi_is_array(env, value, &is_array) != napi_ok || !is_array || napi_get_array_length(env, value, &n) != napi_ok || n == 0 || n % 2 || n / 2 > FB_MAX_SPANS) {
    fb_throw_type(env, "spans must be [offset, length, ...]");
    return NULL;
  }
  FbSpan *spans = calloc(n / 2, sizeof *spans);
  if (!spans) {
    fb_throw_errno(env, "spans", ENOMEM);
    return NULL;
  }
  *total = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    double d;
    if (napi_get_element(env, value, i, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > FB_MAX_SAFE_INTEGER || d != (double)(int64_t)d) {
      free(spans);
      fb_throw_type(env, "span offsets and lengths must be non-negative integers");
      return NULL;
    }
    if (i % 2) {
      spans[i / 2].length = (int64_t)d;
      *total += (int64_t)d;
    } else spans[i / 2].offset = (int64_t)d;
  }
  *count = n / 2;
  return spans;
}

/* Starts `run(arg)` on a detached thread with every signal blocked (signals stay with Node's threads). */
static inline int fb_start_thread(void *(*run)(void *), void *arg) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  int err = pthread_create(&thread, &attr, run, arg);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return err;
}

/* The job external in argv[0] (up to *argc arguments are read), or NULL with a TypeError thrown. */
static inline void *fb_get_job(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_get_cb_info(env, info, argc, argv, NULL, NULL) != napi_ok || *argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a job from start()");
    return NULL;
  }
  return data;
}

/*
 * Makes the thread-safe function that will run `call_done` for `done` on the JavaScript thread, then starts
 * `run(job)` on a worker thread. Returns 0, or an errno with nothing left behind (no tsfn, no thread).
 */
static inline int fb_launch(napi_env env, napi_value done, const char *name, napi_threadsafe_function_call_js call_done, napi_threadsafe_function *tsfn,
                            void *(*run)(void *), void *job) {
  napi_value resource_name;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_threadsafe_function(env, done, NULL, resource_name, 0, 1, NULL, NULL, NULL, call_done, tsfn) != napi_ok) return EINVAL;
  int err = fb_start_thread(run, job);
  if (err) napi_release_threadsafe_function(*tsfn, napi_tsfn_abort);
  return err;
}

/*
 * The worker's last act: queues done() for `job` on the JavaScript thread and lets go of the tsfn. After this
 * the job belongs to the JavaScript thread (done() may free it), so the worker touches nothing of it again.
 */
static inline void fb_hand_back(napi_threadsafe_function tsfn, void *job) {
  napi_call_threadsafe_function(tsfn, job, napi_tsfn_blocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
}

/* Calls `cb(argv[0], argv[1])` with `this` undefined (an exception stays pending for Node to report). */
static inline void fb_call2(napi_env env, napi_value cb, napi_value argv[2]) {
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, cb, 2, argv, NULL);
}

#endif
