/*
 * bench/http only, NOT shipped: the smallest Node-API addon that sends bytes of a file to a socket with
 * Linux sendfile(2), on the libuv thread pool. It answers "what would close the gap to nginx": Node has no
 * sendfile, so every byte FieldBoot serves is copied twice in user space (page cache -> buffer -> socket).
 *
 *   sendfile(socketFd, fileFd, offset, length) -> Promise<number>   bytes sent, or -errno
 *
 * The socket is non-blocking (libuv set O_NONBLOCK on it), so EAGAIN waits in poll() for room; the event
 * loop keeps the descriptor and must not write to it until the promise settles.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/sendfile.h>

/* A stalled client gives up the pool thread after this. */
#define STALL_MS 60000

typedef struct {
  int out_fd, in_fd;
  int64_t offset, length, sent;
  int error;
  napi_deferred deferred;
  napi_async_work work;
} Job;

static void run_job(napi_env env, void *data) {
  Job *j = data;
  off_t offset = (off_t)j->offset;
  (void)env;
  while (j->sent < j->length) {
    ssize_t n = sendfile(j->out_fd, j->in_fd, &offset, (size_t)(j->length - j->sent));
    if (n > 0) { j->sent += n; continue; }
    if (n == 0) break; /* the file ended early */
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd p = { j->out_fd, POLLOUT, 0 };
      if (poll(&p, 1, STALL_MS) <= 0 || (p.revents & (POLLERR | POLLHUP))) { j->error = ETIMEDOUT; break; }
      continue;
    }
    j->error = errno;
    break;
  }
}

static void settle(napi_env env, napi_status status, void *data) {
  Job *j = data;
  napi_value v;
  (void)status;
  napi_create_int64(env, j->error ? -j->error : j->sent, &v);
  napi_resolve_deferred(env, j->deferred, v);
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], promise, name;
  int32_t out_fd = -1, in_fd = -1;
  Job *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int32(env, argv[0], &out_fd);
  napi_get_value_int32(env, argv[1], &in_fd);
  j->out_fd = out_fd;
  j->in_fd = in_fd;
  napi_get_value_int64(env, argv[2], &j->offset);
  napi_get_value_int64(env, argv[3], &j->length);
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "sendfile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, run_job, settle, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "sendfile", NAPI_AUTO_LENGTH, start, NULL, &fn);
  napi_set_named_property(env, exports, "sendfile", fn);
  return exports;
}
