/*
 * fieldboot-sendfile: sends byte ranges of a file to a TCP socket with Linux sendfile(2), so an HTTP body
 * leaves the page cache without being copied through Node's heap twice (read into a buffer, write from it).
 * Node has no sendfile: neither `fs` nor `net` reaches sendfile(2) or splice(2). bench/http measured the
 * user-space copy as the gap to nginx.
 *
 * One transfer = one thread of its own (not libuv's pool: four slow clients would hold all four pool threads
 * and stall every fs call of the process). The thread owns duplicates of the socket and file descriptors, so
 * Node closing its own (client gone, server stopped) can never make it write into a reused descriptor
 * number. The socket is non-blocking (libuv set O_NONBLOCK on the shared file description): on EAGAIN the
 * thread waits in poll() for room, or for the cancel eventfd, for at most the stall limit.
 *
 * JavaScript API (Node-API 8, one binary for Node and Electron):
 *   start(socketFd, fileFd, spans, stallMs, done) -> job
 *       spans: [offset, length, offset, length, ...] in the file, sent in order.
 *       done(errno, sent) runs on the JS thread once the thread has let go of both descriptors
 *       (errno 0: every byte sent; ECANCELED: cancel(); ETIMEDOUT: stalled; ENODATA: the file is shorter).
 *   sent(job) -> bytes sent so far (progress events while the thread runs)
 *   cancel(job) -> wakes the thread; done() follows with ECANCELED (no-op once done ran)
 *
 * TCP_CORK (nginx's tcp_nopush) is set on the socket while the body goes out and cleared at the end, so
 * every segment is full whatever size each sendfile() call happens to take: in bench/http (run F, load 2-7)
 * one client got 2171 MB/s corked vs 1257 MB/s uncorked (nginx 2321), 10 clients 1379 vs 1577 MB/s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "fieldboot-napi.h"

/* Largest sendfile(2) call: a cancel or a progress update is never further away than this. */
#define MAX_CALL_BYTES (4 * 1024 * 1024)
typedef FbSpan Span;

typedef struct {
  int sock, file, wake;
  Span *spans;
  size_t count;
  int stall_ms;
  int64_t sent;      /* written by the thread, read by sent(): __atomic */
  int cancelled;     /* __atomic */
  int error;         /* set by the thread before done() is queued */
  int refs;          /* JS thread only: the external and the pending done() */
  int done;          /* JS thread only */
  napi_threadsafe_function tsfn;
} Job;

static void job_unref(Job *j) {
  if (--j->refs > 0) return;
  if (j->wake >= 0) close(j->wake);
  free(j->spans);
  free(j);
}

static int send_span(Job *j, const Span *s) {
  off_t offset = (off_t)s->offset;
  int64_t left = s->length;
  while (left > 0) {
    if (__atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE)) return ECANCELED;
    size_t want = left > MAX_CALL_BYTES ? MAX_CALL_BYTES : (size_t)left;
    ssize_t n = sendfile(j->sock, j->file, &offset, want);
    if (n > 0) {
      left -= n;
      __atomic_add_fetch(&j->sent, (int64_t)n, __ATOMIC_RELEASE);
      continue;
    }
    if (n == 0) return ENODATA; /* the file ended before the span did (it shrank) */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return errno;
    struct pollfd p[2] = {{.fd = j->sock, .events = POLLOUT}, {.fd = j->wake, .events = POLLIN}};
    int r = poll(p, 2, j->stall_ms);
    if (r == 0) return ETIMEDOUT;
    if (r < 0 && errno != EINTR) return errno;
    if (p[1].revents) return ECANCELED;
    /* POLLERR / POLLHUP: the next sendfile() reports the socket's error (EPIPE, ECONNRESET). */
  }
  return 0;
}

static void *run(void *arg) {
  Job *j = arg;
  napi_threadsafe_function tsfn = j->tsfn;
  int err = 0, on = 1, off = 0;
  /* Cork after the headers are out (the caller flushed them): they leave at once, the body in full segments. */
  setsockopt(j->sock, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  for (size_t i = 0; i < j->count && !err; i++) err = send_span(j, &j->spans[i]);
  /* Uncorking pushes the last partial segment now instead of after the kernel's 200 ms cork limit. */
  setsockopt(j->sock, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  close(j->sock);
  close(j->file);
  j->error = err;
  fb_hand_back(tsfn, j);
  return NULL;
}

static void call_done(napi_env env, napi_value cb, void *context, void *data) {
  Job *j = data;
  (void)context;
  j->done = 1;
  /* Nothing can wake the thread any more: the eventfd goes now, not when the external is collected. */
  close(j->wake);
  j->wake = -1;
  if (env && cb) {
    napi_value argv[2];
    napi_create_int32(env, j->error, &argv[0]);
    napi_create_int64(env, __atomic_load_n(&j->sent, __ATOMIC_ACQUIRE), &argv[1]);
    fb_call2(env, cb, argv);
  }
  job_unref(j);
}

static void finalize_external(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  job_unref(data);
}

static int get_fd(napi_env env, napi_value v, int *out) {
  int32_t fd;
  if (napi_get_value_int32(env, v, &fd) != napi_ok || fd < 0) return 0;
  *out = fd;
  return 1;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return fb_throw_type(env, "start(socketFd, fileFd, spans, stallMs, done)");
  int sock_fd, file_fd;
  if (!get_fd(env, argv[0], &sock_fd) || !get_fd(env, argv[1], &file_fd)) return fb_throw_type(env, "descriptors must be non-negative integers");
  int32_t stall_ms;
  if (napi_get_value_int32(env, argv[3], &stall_ms) != napi_ok || stall_ms <= 0) return fb_throw_type(env, "stallMs must be a positive integer");
  napi_valuetype cb_type;
  if (napi_typeof(env, argv[4], &cb_type) != napi_ok || cb_type != napi_function) return fb_throw_type(env, "done must be a function");

  size_t count = 0;
  int64_t total = 0;
  Span *spans = fb_get_spans(env, argv[2], &count, &total);
  if (!spans) return NULL;

  Job *j = calloc(1, sizeof *j);
  if (!j) {
    free(spans);
    return fb_throw_errno(env, "start", ENOMEM);
  }
  j->spans = spans;
  j->count = count;
  j->stall_ms = stall_ms;
  j->sock = j->file = j->wake = -1;
  j->refs = 1; /* the external; the thread's reference is added once it runs */
  int err = 0;
  if ((j->sock = fcntl(sock_fd, F_DUPFD_CLOEXEC, 0)) < 0 || (j->file = fcntl(file_fd, F_DUPFD_CLOEXEC, 0)) < 0 || (j->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) err = errno;

  napi_value external;
  if (!err) {
    j->refs = 2; /* the external and the pending done() */
    err = fb_launch(env, argv[4], "fieldboot-sendfile", call_done, &j->tsfn, run, j);
    if (err) j->refs = 1;
  }
  if (err) {
    if (j->sock >= 0) close(j->sock);
    if (j->file >= 0) close(j->file);
    j->refs = 1;
    job_unref(j);
    return fb_throw_errno(env, "start", err);
  }
  if (napi_create_external(env, j, finalize_external, NULL, &external) != napi_ok) {
    /* The thread runs on and done() still comes; only the external's reference is dropped. */
    __atomic_store_n(&j->cancelled, 1, __ATOMIC_RELEASE);
    job_unref(j);
    return NULL;
  }
  return external;
}

static Job *get_job(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  return fb_get_job(env, info, &argc, argv);
}

static napi_value sent(napi_env env, napi_callback_info info) {
  Job *j = get_job(env, info);
  if (!j) return NULL;
  napi_value v;
  napi_create_int64(env, __atomic_load_n(&j->sent, __ATOMIC_ACQUIRE), &v);
  return v;
}

static napi_value cancel(napi_env env, napi_callback_info info) {
  Job *j = get_job(env, info);
  if (!j) return NULL;
  if (!j->done && !__atomic_exchange_n(&j->cancelled, 1, __ATOMIC_ACQ_REL)) {
    uint64_t one = 1;
    ssize_t w = write(j->wake, &one, sizeof one);
    (void)w; /* the eventfd cannot be full after one write; the flag alone stops the thread anyway */
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sent", NULL, sent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cancel", NULL, cancel, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
