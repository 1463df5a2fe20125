/*
 * attestd-tun: the minimum native work for a userspace ESP data plane on Linux.
 *
 *   open(name)                      open /dev/net/tun, TUNSETIFF with IFF_TUN | IFF_NO_PI, O_NONBLOCK → {fd, name}
 *   startReader(fd, max, onBatch)   a thread polls the fd and reads packets until EAGAIN (or a batch is full), then
 *                                   hands the batch to JS through a thread-safe function: onBatch(data, lengths)
 *   stopReader(reader)              wakes the thread through a pipe, joins it
 *   writeBatch(fd, data, lengths)   one write(2) per packet, all in one call from JS
 *
 * Node-API only (ABI stable), so an addon built against one Node version's headers loads in another.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 32
#define BATCH_BYTES (512 * 1024)

#define CHECK(env, call)                                                        \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      napi_throw_error((env), "ERR_TUN", "Node-API call failed: " #call);      \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

typedef struct {
  uint32_t count;
  uint32_t used;
  uint32_t lengths[MAX_BATCH];
  uint8_t *data;
} batch_t;

typedef struct {
  int fd;
  int wake[2];
  uint32_t max_packet;
  volatile int stopping;
  int running;
  pthread_t thread;
  napi_threadsafe_function tsfn;
} reader_t;

static napi_value throw_errno(napi_env env, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, "ERR_TUN", msg);
  return NULL;
}

static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ] = {0};
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_TUN", "open(name): name must be a string");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, len < IFNAMSIZ - 1 ? len : IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return throw_errno(env, "ioctl TUNSETIFF");
  }
  napi_value out, vfd, vname;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_create_int32(env, fd, &vfd));
  CHECK(env, napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &vname));
  CHECK(env, napi_set_named_property(env, out, "fd", vfd));
  CHECK(env, napi_set_named_property(env, out, "name", vname));
  return out;
}

static void free_batch(batch_t *b) {
  if (!b) return;
  free(b->data);
  free(b);
}

/* Runs on the JS thread: copy the batch into a Buffer and a Uint32Array of lengths, call onBatch. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  batch_t *b = data;
  if (env != NULL && js_cb != NULL) {
    napi_value buf, ab, lens, argv[2], undef;
    void *dst = NULL;
    if (napi_create_buffer_copy(env, b->used, b->data, NULL, &buf) == napi_ok &&
        napi_create_arraybuffer(env, b->count * 4, &dst, &ab) == napi_ok) {
      memcpy(dst, b->lengths, b->count * 4);
      if (napi_create_typedarray(env, napi_uint32_array, b->count, ab, 0, &lens) == napi_ok) {
        argv[0] = buf;
        argv[1] = lens;
        napi_get_undefined(env, &undef);
        napi_call_function(env, undef, js_cb, 2, argv, NULL);
      }
    }
  }
  free_batch(b);
}

static void *reader_main(void *arg) {
  reader_t *r = arg;
  struct pollfd pfd[2] = {{.fd = r->fd, .events = POLLIN}, {.fd = r->wake[0], .events = POLLIN}};
  batch_t *b = NULL;
  while (!r->stopping) {
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pfd[1].revents) break;
    if (!(pfd[0].revents & POLLIN)) {
      if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) break;
      continue;
    }
    if (!b) {
      b = calloc(1, sizeof *b);
      if (!b) break;
      b->data = malloc(BATCH_BYTES);
      if (!b->data) break;
    }
    while (b->count < MAX_BATCH && BATCH_BYTES - b->used >= r->max_packet) {
      ssize_t n = read(r->fd, b->data + b->used, r->max_packet);
      if (n < 0) {
        if (errno == EINTR) continue;
        break; /* EAGAIN: drained */
      }
      if (n == 0) break;
      b->lengths[b->count++] = (uint32_t)n;
      b->used += (uint32_t)n;
    }
    if (b->count == 0) continue;
    /* Non-blocking call with a bounded queue: when JS falls behind, wait here and let the TUN queue fill up. */
    for (;;) {
      napi_status s = napi_call_threadsafe_function(r->tsfn, b, napi_tsfn_nonblocking);
      if (s == napi_ok) {
        b = NULL;
        break;
      }
      if (s != napi_queue_full || r->stopping) break;
      struct timespec ts = {0, 100000};
      nanosleep(&ts, NULL);
    }
    if (b) break;
  }
  free_batch(b);
  return NULL;
}

static void reader_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  reader_t *r = data;
  if (r->running) {
    r->stopping = 1;
    ssize_t w = write(r->wake[1], "x", 1);
    (void)w;
    pthread_join(r->thread, NULL);
    r->running = 0;
  }
  close(r->wake[0]);
  close(r->wake[1]);
  free(r);
}

static napi_value tun_start_reader(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  uint32_t max_packet = 0;
  napi_valuetype t;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &max_packet) != napi_ok || napi_typeof(env, argv[2], &t) != napi_ok ||
      t != napi_function || max_packet < 64 || max_packet > 65536) {
    napi_throw_type_error(env, "ERR_TUN", "startReader(fd, maxPacket 64..65536, onBatch)");
    return NULL;
  }
  reader_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "calloc");
  r->fd = fd;
  r->max_packet = max_packet;
  if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
    free(r);
    return throw_errno(env, "pipe2");
  }
  napi_value name;
  CHECK(env, napi_create_string_utf8(env, "attestd-tun-reader", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[2], NULL, name, 64, 1, NULL, NULL, NULL, call_js, &r->tsfn) !=
      napi_ok) {
    close(r->wake[0]);
    close(r->wake[1]);
    free(r);
    napi_throw_error(env, "ERR_TUN", "napi_create_threadsafe_function failed");
    return NULL;
  }
  if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
    close(r->wake[0]);
    close(r->wake[1]);
    free(r);
    return throw_errno(env, "pthread_create");
  }
  r->running = 1;
  napi_value handle;
  CHECK(env, napi_create_external(env, r, reader_finalize, NULL, &handle));
  return handle;
}

static napi_value tun_stop_reader(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || !p) {
    napi_throw_type_error(env, "ERR_TUN", "stopReader(reader)");
    return NULL;
  }
  reader_t *r = p;
  if (r->running) {
    r->stopping = 1;
    ssize_t w = write(r->wake[1], "x", 1);
    (void)w;
    pthread_join(r->thread, NULL);
    r->running = 0;
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
  }
  return NULL;
}

static napi_value tun_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  napi_typedarray_type ta;
  size_t dlen = 0, llen = 0, doff = 0, loff = 0;
  void *data = NULL, *lens = NULL;
  napi_value ab;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &ta, &dlen, &data, &ab, &doff) != napi_ok || ta != napi_uint8_array ||
      napi_get_typedarray_info(env, argv[2], &ta, &llen, &lens, &ab, &loff) != napi_ok || ta != napi_uint32_array) {
    napi_throw_type_error(env, "ERR_TUN", "writeBatch(fd, Uint8Array, Uint32Array)");
    return NULL;
  }
  const uint32_t *l = lens;
  size_t off = 0;
  uint32_t written = 0;
  for (size_t i = 0; i < llen; i++) {
    if (l[i] > dlen - off) break;
    ssize_t n = write(fd, (uint8_t *)data + off, l[i]);
    off += l[i];
    if (n < 0 && errno != EINVAL) break; /* EINVAL: a malformed packet the kernel refused; skip it */
    if (n >= 0) written++;
  }
  napi_value out;
  CHECK(env, napi_create_uint32(env, written, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
      {"startReader", NULL, tun_start_reader, NULL, NULL, NULL, napi_default, NULL},
      {"stopReader", NULL, tun_stop_reader, NULL, NULL, NULL, napi_default, NULL},
      {"writeBatch", NULL, tun_write_batch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
