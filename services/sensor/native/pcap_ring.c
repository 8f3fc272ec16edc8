/*
 * pcap_ring: live capture for the sensor, one JavaScript call per batch of packets.
 *
 * Why not `cap`: cap calls into JavaScript once per packet (pcap_dispatch(1) → runInAsyncScope →
 * EventEmitter.emit), forces snaplen 65535 (so with immediate mode every kernel ring slot is
 * ~64 KiB), does not give the wire length nor the kernel timestamp, and has no pcap_stats.
 *
 * Here, on every readable event of the pcap fd, pcap_dispatch copies up to `maxPerWake` packets
 * into a ring Buffer owned by JavaScript, then JavaScript is called once: onBatch(count, bytes).
 * When the ring cannot hold the next packet, it is handed over early (a second call in the same
 * wake-up). Record layout in the ring, native endianness, every record 4-byte aligned:
 *
 *   u32 ts_sec | u32 ts_usec | u32 caplen | u32 wirelen | caplen bytes | pad to 4
 *
 * stats() returns pcap_stats: packets received, dropped by the kernel (PACKET_STATISTICS
 * tp_drops: the ring was full), dropped by the interface.
 *
 * JS API (class PcapRing):
 *   open(device, filter, snaplen, bufferBytes, immediate, timeoutMs, ring, onBatch, maxPerWake)
 *     → DLT number; throws an Error with pcap's message when the device cannot be opened.
 *   stats() → [received, dropped, ifDropped] (numbers)
 *   close() → true if it was open. Safe to call from inside onBatch.
 */
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REC_HDR 16u

typedef struct {
  napi_env env;
  napi_ref self;      /* strong while open: keeps the wrapper alive while the fd is polled */
  napi_ref on_batch;
  napi_ref ring_ref;
  napi_async_context async_ctx;
  pcap_t *pcap;
  uv_poll_t *poll;
  uint8_t *ring;
  size_t ring_len;
  size_t off;
  uint32_t count;
  int max_per_wake;
  int dispatching;
  int closing;
} ring_t;

static void on_poll_closed(uv_handle_t *h) { free(h); }

/* Stops polling and closes the pcap handle; never while pcap_dispatch runs. */
static void shutdown_capture(ring_t *r) {
  if (r->poll) {
    uv_poll_stop(r->poll);
    uv_close((uv_handle_t *)r->poll, on_poll_closed);
    r->poll = NULL;
  }
  if (r->pcap) {
    pcap_close(r->pcap);
    r->pcap = NULL;
  }
  napi_env env = r->env;
  if (r->on_batch) { napi_delete_reference(env, r->on_batch); r->on_batch = NULL; }
  if (r->ring_ref) { napi_delete_reference(env, r->ring_ref); r->ring_ref = NULL; }
  if (r->async_ctx) { napi_async_destroy(env, r->async_ctx); r->async_ctx = NULL; }
  if (r->self) { uint32_t n; napi_reference_unref(env, r->self, &n); }
  r->ring = NULL;
  r->ring_len = 0;
  r->closing = 0;
}

/* Hands the filled part of the ring to JavaScript. */
static void flush(ring_t *r) {
  if (r->count == 0) return;
  napi_env env = r->env;
  napi_value fn, self, argv[2], result;
  uint32_t count = r->count;
  size_t bytes = r->off;
  r->count = 0;
  r->off = 0;
  if (!r->on_batch || napi_get_reference_value(env, r->on_batch, &fn) != napi_ok) return;
  napi_get_reference_value(env, r->self, &self);
  napi_create_uint32(env, count, &argv[0]);
  napi_create_uint32(env, (uint32_t)bytes, &argv[1]);
  napi_status st = napi_make_callback(env, r->async_ctx, self, fn, 2, argv, &result);
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data) {
  ring_t *r = (ring_t *)user;
  if (r->closing) return;
  uint32_t cap = h->caplen;
  size_t need = REC_HDR + ((cap + 3u) & ~3u);
  if (need > r->ring_len) { /* cannot happen: the ring is sized from snaplen; keep the header only */
    cap = 0;
    need = REC_HDR;
  }
  if (r->off + need > r->ring_len) {
    flush(r);
    if (r->closing || !r->ring) { pcap_breakloop(r->pcap); return; }
  }
  uint32_t *hdr = (uint32_t *)(r->ring + r->off);
  hdr[0] = (uint32_t)h->ts.tv_sec;
  hdr[1] = (uint32_t)h->ts.tv_usec;
  hdr[2] = cap;
  hdr[3] = h->len;
  memcpy(r->ring + r->off + REC_HDR, data, cap);
  r->off += need;
  r->count++;
}

static void on_readable(uv_poll_t *p, int status, int events) {
  ring_t *r = (ring_t *)p->data;
  if (!r || !r->pcap || r->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(r->env, &scope);
  r->dispatching = 1;
  int total = 0;
  /* Bounded per wake-up so timers and the Kafka client get the event loop between bursts. */
  while (total < r->max_per_wake && !r->closing) {
    int n = pcap_dispatch(r->pcap, r->max_per_wake - total, on_packet, (u_char *)r);
    if (n <= 0) break;
    total += n;
  }
  if (!r->closing) flush(r);
  r->dispatching = 0;
  if (r->closing) shutdown_capture(r);
  napi_close_handle_scope(r->env, scope);
  (void)status;
  (void)events;
}

static ring_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  napi_unwrap(env, self, &data);
  return (ring_t *)data;
}

static char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, "CAPTURE.OPEN", msg);
  return NULL;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  ring_t *r = unwrap(env, info, &argc, argv);
  if (!r) return fail(env, "not a PcapRing");
  if (r->pcap) return fail(env, "already open");
  if (argc < 9) return fail(env, "open(device, filter, snaplen, bufferBytes, immediate, timeoutMs, ring, onBatch, maxPerWake)");
  int32_t snaplen = 0, buffer_bytes = 0, timeout_ms = 0, max_per_wake = 0;
  bool immediate = true, is_buf = false;
  napi_valuetype t;
  napi_typeof(env, argv[7], &t);
  napi_is_buffer(env, argv[6], &is_buf);
  if (t != napi_function || !is_buf ||
      napi_get_value_int32(env, argv[2], &snaplen) != napi_ok ||
      napi_get_value_int32(env, argv[3], &buffer_bytes) != napi_ok ||
      napi_get_value_bool(env, argv[4], &immediate) != napi_ok ||
      napi_get_value_int32(env, argv[5], &timeout_ms) != napi_ok ||
      napi_get_value_int32(env, argv[8], &max_per_wake) != napi_ok)
    return fail(env, "bad argument types");
  void *ring = NULL;
  size_t ring_len = 0;
  napi_get_buffer_info(env, argv[6], &ring, &ring_len);
  if (snaplen < 16 || buffer_bytes < 65536 || max_per_wake < 1 || timeout_ms < 1 ||
      ring_len < REC_HDR + (((size_t)snaplen + 3u) & ~(size_t)3u) || ((uintptr_t)ring & 3u) != 0)
    return fail(env, "bad argument values (ring must hold one snaplen record and be 4-byte aligned)");

  char *device = get_string(env, argv[0]);
  char *filter = get_string(env, argv[1]);
  char errbuf[PCAP_ERRBUF_SIZE];
  char msg[PCAP_ERRBUF_SIZE + 64];
  errbuf[0] = 0;
  pcap_t *p = device ? pcap_create(device, errbuf) : NULL;
  const char *err = NULL;
  if (!p) err = errbuf[0] ? errbuf : "pcap_create failed";
  else if (pcap_set_snaplen(p, snaplen) != 0) err = "cannot set snaplen";
  else if (pcap_set_promisc(p, 1) != 0) err = "cannot set promiscuous mode";
  else if (pcap_set_buffer_size(p, buffer_bytes) != 0) err = "cannot set buffer size";
  else if (pcap_set_timeout(p, timeout_ms) != 0) err = "cannot set timeout";
  else if (pcap_set_immediate_mode(p, immediate ? 1 : 0) != 0) err = "cannot set immediate mode";
  else {
    int a = pcap_activate(p);
    if (a < 0) {
      const char *ge = pcap_geterr(p);
      snprintf(msg, sizeof msg, "%s", ge && ge[0] ? ge : pcap_statustostr(a));
      err = msg;
    } else if (pcap_setnonblock(p, 1, errbuf) == -1) err = errbuf;
    else if (filter && filter[0]) {
      struct bpf_program fp;
      if (pcap_compile(p, &fp, filter, 1, PCAP_NETMASK_UNKNOWN) == -1 || pcap_setfilter(p, &fp) == -1) {
        snprintf(msg, sizeof msg, "BPF filter: %s", pcap_geterr(p));
        err = msg;
      } else pcap_freecode(&fp);
    }
  }
  free(device);
  free(filter);
  if (err) {
    napi_throw_error(env, "CAPTURE.OPEN", err);
    if (p) pcap_close(p);
    return NULL;
  }
  int fd = pcap_get_selectable_fd(p);
  uv_loop_t *loop = NULL;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_t *poll = calloc(1, sizeof(uv_poll_t));
  if (fd < 0 || !loop || !poll || uv_poll_init(loop, poll, fd) != 0) {
    free(poll);
    pcap_close(p);
    return fail(env, "cannot poll the capture descriptor");
  }
  napi_value self, name;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  napi_create_string_utf8(env, "netsentry:capture", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &r->async_ctx);
  napi_create_reference(env, argv[7], 1, &r->on_batch);
  napi_create_reference(env, argv[6], 1, &r->ring_ref);
  uint32_t n;
  napi_reference_ref(env, r->self, &n);
  r->pcap = p;
  r->poll = poll;
  r->ring = ring;
  r->ring_len = ring_len;
  r->off = 0;
  r->count = 0;
  r->max_per_wake = max_per_wake;
  r->closing = 0;
  poll->data = r;
  uv_poll_start(poll, UV_READABLE, on_readable);
  napi_value ret;
  napi_create_int32(env, pcap_datalink(p), &ret);
  return ret;
}

static napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  ring_t *r = unwrap(env, info, &argc, NULL);
  struct pcap_stat ps;
  memset(&ps, 0, sizeof ps);
  napi_value arr, v;
  napi_create_array_with_length(env, 3, &arr);
  int ok = r && r->pcap && !r->closing && pcap_stats(r->pcap, &ps) == 0;
  /* u_int counters: they wrap at 2^32; the caller accumulates differences modulo 2^32. */
  double vals[3] = {ok ? (double)ps.ps_recv : -1.0, ok ? (double)ps.ps_drop : -1.0, ok ? (double)ps.ps_ifdrop : -1.0};
  for (uint32_t i = 0; i < 3; i++) {
    napi_create_double(env, vals[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  ring_t *r = unwrap(env, info, &argc, NULL);
  napi_value ret;
  int was_open = r && r->pcap && !r->closing;
  if (was_open) {
    r->closing = 1;
    if (r->dispatching) pcap_breakloop(r->pcap); /* finished by on_readable */
    else shutdown_capture(r);
  }
  napi_get_boolean(env, was_open, &ret);
  return ret;
}

static void finalize(napi_env env, void *data, void *hint) {
  ring_t *r = (ring_t *)data;
  (void)hint;
  if (r->pcap) shutdown_capture(r); /* unreachable while open (self is a strong ref) */
  if (r->self) napi_delete_reference(env, r->self);
  free(r);
}

static napi_value New(napi_env env, napi_callback_info info) {
  napi_value self;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  ring_t *r = calloc(1, sizeof(ring_t));
  if (!r) return fail(env, "out of memory");
  r->env = env;
  napi_wrap(env, self, r, finalize, NULL, NULL);
  napi_create_reference(env, self, 0, &r->self);
  return self;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, Stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "PcapRing", NAPI_AUTO_LENGTH, New, NULL, 3, methods, &cls);
  napi_set_named_property(env, exports, "PcapRing", cls);
  napi_value v;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "libpcapVersion", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
