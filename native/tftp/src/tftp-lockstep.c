/*
 * fieldboot-tftp: the lock-step (windowsize 1) TFTP read transfer on a thread of its own.
 *
 * Why native: a lock-step transfer is one DATA/ACK round trip per block (71,000 of them for 100 MB at
 * blksize 1468), so its speed is the server's latency from an ACK arriving to the next DATA leaving. In
 * Node that path is epoll wake-up, libuv, the dgram callback scope, V8 and dgram's send wrapper: perf put
 * the JavaScript server at 32-35 us of CPU per round trip against dnsmasq's 23 (bench/tftp), and the TFTP
 * code itself under 2% of it. Here the round trip is two system calls on a blocking socket: recv() of the
 * ACK (woken directly by the kernel, SO_RCVTIMEO as the retransmission timer) and sendmsg() of the next
 * DATA, whose payload is already in memory (header and file bytes as two iovecs: nothing is copied).
 *
 * The protocol rules are the JavaScript transfer's (electron/engine/servers/tftp-transfer.ts), which stays
 * the path for windowed transfers, generated files and platforms without this addon:
 *   - OACK first when options were acknowledged (RFC 2347), resent until ACK 0.
 *   - Block numbers are absolute here and go out modulo 65536 (rollover past 65535: block 65536 is 0).
 *   - Retransmission on timeout with doubling backoff, capped at max(timeout x 8, 8 s); `retries` resends
 *     of one block (or the OACK) and the transfer ends with an ERROR to the client.
 *   - A repeated ACK of the previous block is answered at most once per block, only if that block went out
 *     exactly once and only if this block left longer ago than max(100 ms, 4 x smoothed RTT): a duplicate
 *     that echoes our own retransmission is never answered (Sorcerer's Apprentice, RFC 1123 4.2.3.1).
 *   - ICMP port unreachable (ECONNREFUSED on the connected socket): the client has gone. After the last
 *     block went out it is done and only its final ACK was lost (curl and atftp skip the dally): success.
 *   - An ERROR from the client ends the transfer; anything else that is not the expected ACK is ignored.
 *
 * The socket is the transfer's TID (RFC 1350 section 4): bound to the server's address on an ephemeral
 * port, connected to the client (the kernel drops other senders' packets and answers them with ICMP).
 * It is made in start() on the JavaScript thread, so the port is known and a failure is thrown at once.
 *
 * File bytes come from (offset, length) spans on one descriptor (a disk file, or a file's extents inside an
 * ISO image: OpenFile.span), read in chunks of `chunkBytes` into two buffers used in turn: block n's chunk
 * stays in memory while n is unacknowledged, and the next chunk is read right after the block before the
 * boundary went out, while the client is busy with it.
 *
 * JavaScript API (Node-API 8, one binary for Node and Electron):
 *   start(o, done) -> job
 *       o: { bindAddress, clientAddress, clientPort, fileFd, spans: [offset, length, ...], size, blksize,
 *            timeoutMs, retries, chunkBytes, oack: Buffer | null }
 *       done(errno, detail) runs on the JS thread once the thread has finished: errno 0 every block was
 *       acknowledged; ETIMEDOUT retries exhausted (the client was sent an ERROR); ECONNREFUSED the client
 *       closed its port before the end; EPROTO the client sent an ERROR (detail: its code and message);
 *       ECANCELED cancel(); ENODATA the file is shorter than `size`; other: a read error.
 *   port(job) -> the transfer's local port
 *   stats(job) -> [bytesAcked, dataSent, retransmits]
 *   cancel(job, message) -> the thread sends ERROR(0, message) to the client and ends; no-op once done.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fieldboot-napi.h"

/* RFC 1350 opcodes. */
enum { OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5 };
#define TFTP_HEADER 4
#define MAX_BLKSIZE 65464 /* RFC 2348 */
#define MAX_MESSAGE 200
/* The backoff rules of tftp-transfer.ts (MAX_BACKOFF_FACTOR, BACKOFF_CAP_FLOOR_MS, DUP_ACK_GUARD_MIN_MS). */
#define MAX_BACKOFF_FACTOR 8
#define BACKOFF_CAP_FLOOR_MS 8000
#define DUP_ACK_GUARD_MIN_MS 100

typedef FbSpan Span;

typedef struct {
  int sock, file;
  uint16_t port;
  Span *spans;
  size_t span_count;
  int64_t size, last_block;
  int blksize, timeout_ms, retries;
  int64_t chunk_bytes; /* a whole number of blocks */
  uint8_t *chunk[2];
  int64_t chunk_index[2]; /* which chunk each buffer holds, -1: none */
  uint8_t *oack;
  size_t oack_len;
  char cancel_message[MAX_MESSAGE];
  int cancelled;         /* __atomic */
  int64_t acked_bytes;   /* __atomic */
  int64_t data_sent;     /* __atomic */
  int64_t retransmits;   /* __atomic */
  int error;             /* set by the thread before done() is queued */
  char detail[MAX_MESSAGE + 40];
  int refs; /* JS thread only: the external and the pending done() */
  int done; /* JS thread only */
  napi_threadsafe_function tsfn;
} Job;

static void job_unref(Job *j) {
  if (--j->refs > 0) return;
  if (j->sock >= 0) close(j->sock);
  if (j->file >= 0) close(j->file);
  free(j->chunk[0]);
  free(j->chunk[1]);
  free(j->oack);
  free(j->spans);
  free(j);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads file bytes [pos, pos + len) through the spans. */
static int read_range(Job *j, uint8_t *out, int64_t pos, int64_t len) {
  size_t i = 0;
  int64_t span_start = 0;
  while (i < j->span_count && span_start + j->spans[i].length <= pos) span_start += j->spans[i++].length;
  while (len > 0) {
    if (i >= j->span_count) return ENODATA;
    int64_t within = pos - span_start;
    int64_t take = j->spans[i].length - within;
    if (take > len) take = len;
    ssize_t n = pread(j->file, out, (size_t)take, (off_t)(j->spans[i].offset + within));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return ENODATA; /* the file ended early (it shrank while being served) */
    out += n;
    pos += n;
    len -= n;
    if (n == take) span_start += j->spans[i++].length;
  }
  return 0;
}

/* Makes sure the chunk holding block `block` (absolute, 1-based) is in a buffer; returns that buffer. */
static int load_chunk_of(Job *j, int64_t block, uint8_t **out) {
  int64_t index = (block - 1) * j->blksize / j->chunk_bytes;
  int slot = (int)(index & 1);
  if (j->chunk_index[slot] != index) {
    int64_t start = index * j->chunk_bytes;
    int64_t len = j->size - start < j->chunk_bytes ? j->size - start : j->chunk_bytes;
    j->chunk_index[slot] = -1;
    if (len > 0) {
      int err = read_range(j, j->chunk[slot], start, len);
      if (err) return err;
    }
    j->chunk_index[slot] = index;
  }
  *out = j->chunk[slot];
  return 0;
}

static void set_rcvtimeo(Job *j, double ms, double *current) {
  if (ms < 1) ms = 1;
  if (*current > 0 && ms > *current - 1 && ms < *current + 1) return;
  struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)((ms - (double)(int64_t)(ms / 1000) * 1000) * 1000)};
  setsockopt(j->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  *current = ms;
}

static void send_error(Job *j, const char *message) {
  uint8_t packet[4 + MAX_MESSAGE + 1];
  size_t len = strnlen(message, MAX_MESSAGE);
  packet[0] = 0;
  packet[1] = OP_ERROR;
  packet[2] = 0;
  packet[3] = 0; /* 0: not defined, see the message */
  memcpy(packet + 4, message, len);
  packet[4 + len] = 0;
  send(j->sock, packet, 5 + len, MSG_NOSIGNAL);
}

/* Sends block `block` (absolute) as one datagram: header and payload as two iovecs, no copy. */
static int send_block(Job *j, int64_t block) {
  uint8_t *chunk;
  int err = load_chunk_of(j, block, &chunk);
  if (err) return err;
  int64_t pos = (block - 1) * (int64_t)j->blksize;
  int64_t len = j->size - pos < j->blksize ? j->size - pos : j->blksize;
  if (len < 0) len = 0;
  uint8_t header[TFTP_HEADER] = {0, OP_DATA, (uint8_t)((block >> 8) & 0xff), (uint8_t)(block & 0xff)};
  struct iovec iov[2] = {{.iov_base = header, .iov_len = TFTP_HEADER}, {.iov_base = chunk + pos % j->chunk_bytes, .iov_len = (size_t)len}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1};
  /* A refused send (ENOBUFS, ECONNREFUSED from an ICMP error) is a loss like any other: the timer covers it,
   * and a closed client port shows up again at the next recv(). */
  sendmsg(j->sock, &msg, MSG_NOSIGNAL);
  __atomic_add_fetch(&j->data_sent, 1, __ATOMIC_RELAXED);
  return 0;
}

typedef enum { GOT_ACK, GOT_DUP, GOT_TIMEOUT, GOT_END } Wait;

/*
 * Waits for the ACK of `expect` (16-bit wire number) until `deadline`. A repeated ACK of the block before
 * it is GOT_DUP. Sets j->error and returns GOT_END when the transfer must end (cancel, client error,
 * client gone, socket error).
 */
static Wait wait_ack(Job *j, uint16_t expect, double deadline, double *rcvtimeo) {
  uint8_t buf[4 + 512 + 64];
  for (;;) {
    if (__atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE)) {
      j->error = ECANCELED;
      return GOT_END;
    }
    double left = deadline - now_ms();
    if (left <= 0) return GOT_TIMEOUT;
    set_rcvtimeo(j, left, rcvtimeo);
    ssize_t n = recv(j->sock, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        /* SO_RCVTIMEO expired; the loop re-checks the deadline (the timeout is rounded to the tick). */
        if (deadline - now_ms() <= 1) return GOT_TIMEOUT;
        continue;
      }
      if (errno == EINTR) continue;
      j->error = errno; /* ECONNREFUSED: the client's port is closed */
      return GOT_END;
    }
    if (n == 0 && __atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE)) continue; /* woken by cancel()'s shutdown */
    if (n < 4 || buf[0] != 0) continue; /* malformed: dropped */
    uint16_t number = (uint16_t)(buf[2] << 8 | buf[3]);
    if (buf[1] == OP_ACK) {
      if (number == expect) return GOT_ACK;
      if (number == (uint16_t)(expect - 1)) return GOT_DUP;
      continue; /* acknowledges something never sent, or long past */
    }
    if (buf[1] == OP_ERROR) {
      size_t mlen = (size_t)n - 4;
      if (mlen > MAX_MESSAGE) mlen = MAX_MESSAGE;
      char message[MAX_MESSAGE + 1];
      memcpy(message, buf + 4, mlen);
      message[mlen] = 0;
      for (size_t k = 0; k < mlen && message[k]; k++)
        if ((unsigned char)message[k] < 0x20) message[k] = ' ';
      snprintf(j->detail, sizeof j->detail, "client sent error %u: %s", number, message);
      j->error = EPROTO;
      return GOT_END;
    }
    /* DATA, a repeated RRQ, an OACK: nothing a read transfer answers. */
  }
}

static double backoff_ms(Job *j, int attempts) {
  double cap = (double)j->timeout_ms * MAX_BACKOFF_FACTOR;
  if (cap < BACKOFF_CAP_FLOOR_MS) cap = BACKOFF_CAP_FLOOR_MS;
  double delay = (double)j->timeout_ms * (double)(1LL << (attempts > 30 ? 30 : attempts));
  return delay < cap ? delay : cap;
}

static int transfer(Job *j) {
  double rcvtimeo = 0;
  int attempts = 0;
  /* RFC 2347: the OACK is "block 0"; its acknowledgement is ACK 0. */
  if (j->oack) {
    for (;;) {
      send(j->sock, j->oack, j->oack_len, MSG_NOSIGNAL);
      double deadline = now_ms() + backoff_ms(j, attempts);
      Wait w;
      /* An ACK of 65535 (GOT_DUP: nothing acknowledges it before the OACK) is noise: keep waiting, do not resend. */
      while ((w = wait_ack(j, 0, deadline, &rcvtimeo)) == GOT_DUP) {}
      if (w == GOT_ACK) break;
      if (w == GOT_END) return j->error;
      if (++attempts > j->retries) {
        snprintf(j->detail, sizeof j->detail, "timed out after %d retransmissions", j->retries);
        return ETIMEDOUT;
      }
      __atomic_add_fetch(&j->retransmits, 1, __ATOMIC_RELAXED);
    }
  }
  double srtt = -1;
  int prev_sends = j->oack ? 1 : 0; /* transmissions of the block the client last acknowledged */
  for (int64_t block = 1; block <= j->last_block; block++) {
    int err = send_block(j, block);
    if (err) return err;
    double sent_at = now_ms();
    int sends = 1, dup_answered = 0;
    attempts = 0;
    double deadline = sent_at + backoff_ms(j, 0);
    /* The next block's chunk, read while the client handles this one (a no-op inside a chunk). */
    if (block < j->last_block && (err = load_chunk_of(j, block + 1, &(uint8_t *){0}))) return err;
    for (;;) {
      Wait w = wait_ack(j, (uint16_t)block, deadline, &rcvtimeo);
      if (w == GOT_ACK) break;
      if (w == GOT_END) {
        /* The client closed its port after the last block went out: only its final ACK was lost. */
        if (j->error == ECONNREFUSED && block == j->last_block) return 0;
        return j->error;
      }
      if (w == GOT_DUP) {
        double guard = srtt > 0 && 4 * srtt > DUP_ACK_GUARD_MIN_MS ? 4 * srtt : DUP_ACK_GUARD_MIN_MS;
        if (dup_answered || prev_sends != 1 || now_ms() - sent_at < guard) continue;
        dup_answered = 1;
      } else if (++attempts > j->retries) {
        snprintf(j->detail, sizeof j->detail, "timed out after %d retransmissions", j->retries);
        return ETIMEDOUT;
      }
      __atomic_add_fetch(&j->retransmits, 1, __ATOMIC_RELAXED);
      if ((err = send_block(j, block))) return err;
      sends++;
      sent_at = now_ms();
      deadline = sent_at + backoff_ms(j, attempts);
    }
    if (sends == 1) { /* Karn: only a block sent once gives an unambiguous round-trip sample */
      double sample = now_ms() - sent_at;
      srtt = srtt < 0 ? sample : srtt * 0.875 + sample * 0.125;
    }
    prev_sends = sends;
    int64_t acked = block * (int64_t)j->blksize;
    __atomic_store_n(&j->acked_bytes, acked < j->size ? acked : j->size, __ATOMIC_RELEASE);
  }
  return 0;
}

static void *run(void *arg) {
  Job *j = arg;
  napi_threadsafe_function tsfn = j->tsfn;
  int err = transfer(j);
  if (err == ECANCELED) send_error(j, j->cancel_message);
  else if (err == ETIMEDOUT) send_error(j, j->detail);
  else if (err && err != EPROTO && err != ECONNREFUSED) {
    snprintf(j->detail, sizeof j->detail, "read error: %s", strerror(err));
    send_error(j, j->detail);
  }
  if (err == ECONNREFUSED) snprintf(j->detail, sizeof j->detail, "the client closed its port (ICMP port unreachable)");
  if (err == ECANCELED) snprintf(j->detail, sizeof j->detail, "%s", j->cancel_message);
  j->error = err;
  fb_hand_back(tsfn, j);
  return NULL;
}

static void call_done(napi_env env, napi_value cb, void *context, void *data) {
  Job *j = data;
  (void)context;
  j->done = 1;
  /* The descriptors go now, not when the external is collected: the port is free for the next client. */
  close(j->sock);
  j->sock = -1;
  close(j->file);
  j->file = -1;
  if (env && cb) {
    napi_value argv[2];
    napi_create_int32(env, j->error, &argv[0]);
    napi_create_string_utf8(env, j->detail, NAPI_AUTO_LENGTH, &argv[1]);
    fb_call2(env, cb, argv);
  }
  job_unref(j);
}

static void finalize_external(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  job_unref(data);
}

static int get_number(napi_env env, napi_value obj, const char *name, double min, double max, double *out) {
  napi_value v;
  double d;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= min && d <= max) || d != (double)(int64_t)d) return 0;
  *out = d;
  return 1;
}

static int get_ipv4(napi_env env, napi_value obj, const char *name, struct in_addr *out) {
  napi_value v;
  char text[64];
  size_t len;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_string_utf8(env, v, text, sizeof text, &len) != napi_ok) return 0;
  return inet_pton(AF_INET, text, out) == 1;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object)
    return fb_throw_type(env, "start(options, done)");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return fb_throw_type(env, "done must be a function");
  napi_value o = argv[0];
  struct in_addr bind_addr, client_addr;
  double client_port, file_fd, size, blksize, timeout_ms, retries, chunk_bytes;
  if (!get_ipv4(env, o, "bindAddress", &bind_addr) || !get_ipv4(env, o, "clientAddress", &client_addr)) return fb_throw_type(env, "bindAddress and clientAddress must be IPv4 addresses");
  if (!get_number(env, o, "clientPort", 1, 65535, &client_port) || !get_number(env, o, "fileFd", 0, 2147483647, &file_fd) ||
      !get_number(env, o, "size", 0, 9007199254740991.0, &size) || !get_number(env, o, "blksize", 8, MAX_BLKSIZE, &blksize) ||
      !get_number(env, o, "timeoutMs", 1, 3600000, &timeout_ms) || !get_number(env, o, "retries", 0, 1000, &retries) ||
      !get_number(env, o, "chunkBytes", 1, 256 * 1024 * 1024, &chunk_bytes))
    return fb_throw_type(env, "clientPort, fileFd, size, blksize, timeoutMs, retries and chunkBytes must be integers in range");
  napi_value spans_v, oack_v;
  size_t count = 0;
  int64_t total = 0;
  Span *spans;
  if (napi_get_named_property(env, o, "spans", &spans_v) != napi_ok || !(spans = fb_get_spans(env, spans_v, &count, &total))) return NULL;
  Job *j = calloc(1, sizeof *j);
  if (!j) {
    free(spans);
    return fb_throw_errno(env, "start", ENOMEM);
  }
  j->sock = j->file = -1;
  j->refs = 1;
  j->chunk_index[0] = j->chunk_index[1] = -1;
  j->spans = spans;
  j->span_count = count;
  /* The spans must add up to exactly `size`. */
  if (total != (int64_t)size) {
    job_unref(j);
    return fb_throw_type(env, "the spans must add up to size");
  }
  j->size = (int64_t)size;
  j->blksize = (int)blksize;
  j->timeout_ms = (int)timeout_ms;
  j->retries = (int)retries;
  j->last_block = j->size / j->blksize + 1; /* the last block is short; an exact multiple ends with an empty one */
  int64_t blocks_per_chunk = (int64_t)chunk_bytes / j->blksize;
  if (blocks_per_chunk < 1) blocks_per_chunk = 1;
  j->chunk_bytes = blocks_per_chunk * j->blksize;
  int64_t capacity = j->size < j->chunk_bytes ? j->size : j->chunk_bytes;
  if (capacity < 1) capacity = 1;
  j->chunk[0] = malloc((size_t)capacity);
  j->chunk[1] = malloc((size_t)capacity);
  if (!j->chunk[0] || !j->chunk[1]) {
    job_unref(j);
    return fb_throw_errno(env, "start", ENOMEM);
  }
  if (napi_get_named_property(env, o, "oack", &oack_v) == napi_ok && napi_typeof(env, oack_v, &t) == napi_ok && t != napi_null && t != napi_undefined) {
    bool is_buffer = false;
    void *data;
    size_t len;
    if (napi_is_buffer(env, oack_v, &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, oack_v, &data, &len) != napi_ok || len < 2 || len > 65535) {
      job_unref(j);
      return fb_throw_type(env, "oack must be a Buffer or null");
    }
    j->oack = malloc(len);
    if (!j->oack) {
      job_unref(j);
      return fb_throw_errno(env, "start", ENOMEM);
    }
    memcpy(j->oack, data, len);
    j->oack_len = len;
  }
  snprintf(j->cancel_message, sizeof j->cancel_message, "Transfer cancelled");

  int err = 0;
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = bind_addr, .sin_port = 0};
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_addr = client_addr, .sin_port = htons((uint16_t)client_port)};
  socklen_t local_len = sizeof local;
  if ((j->file = fcntl((int)file_fd, F_DUPFD_CLOEXEC, 0)) < 0 || (j->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
      bind(j->sock, (struct sockaddr *)&local, sizeof local) < 0 || connect(j->sock, (struct sockaddr *)&peer, sizeof peer) < 0 ||
      getsockname(j->sock, (struct sockaddr *)&local, &local_len) < 0)
    err = errno;
  j->port = ntohs(local.sin_port);

  napi_value external;
  if (!err) {
    j->refs = 2; /* the external and the pending done() */
    err = fb_launch(env, argv[1], "fieldboot-tftp", call_done, &j->tsfn, run, j);
    if (err) j->refs = 1;
  }
  if (err) {
    j->refs = 1;
    job_unref(j);
    return fb_throw_errno(env, "start", err);
  }
  if (napi_create_external(env, j, finalize_external, NULL, &external) != napi_ok) {
    /* The thread runs on and done() still comes; only the external's reference is dropped. */
    __atomic_store_n(&j->cancelled, 1, __ATOMIC_RELEASE);
    shutdown(j->sock, SHUT_RD);
    job_unref(j);
    return NULL;
  }
  return external;
}

static napi_value port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], v;
  Job *j = fb_get_job(env, info, &argc, argv);
  if (!j) return NULL;
  napi_create_uint32(env, j->port, &v);
  return v;
}

static napi_value stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr, v;
  Job *j = fb_get_job(env, info, &argc, argv);
  if (!j) return NULL;
  napi_create_array_with_length(env, 3, &arr);
  napi_create_int64(env, __atomic_load_n(&j->acked_bytes, __ATOMIC_ACQUIRE), &v);
  napi_set_element(env, arr, 0, v);
  napi_create_int64(env, __atomic_load_n(&j->data_sent, __ATOMIC_RELAXED), &v);
  napi_set_element(env, arr, 1, v);
  napi_create_int64(env, __atomic_load_n(&j->retransmits, __ATOMIC_RELAXED), &v);
  napi_set_element(env, arr, 2, v);
  return arr;
}

static napi_value cancel(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Job *j = fb_get_job(env, info, &argc, argv);
  if (!j) return NULL;
  if (j->done || __atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE)) return NULL;
  size_t len;
  if (argc >= 2) napi_get_value_string_utf8(env, argv[1], j->cancel_message, sizeof j->cancel_message, &len);
  __atomic_store_n(&j->cancelled, 1, __ATOMIC_RELEASE);
  /* Wakes a recv() blocked in the thread (it returns 0); the socket stays open for the thread's ERROR. */
  shutdown(j->sock, SHUT_RD);
  return NULL;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"port", NULL, port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cancel", NULL, cancel, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
