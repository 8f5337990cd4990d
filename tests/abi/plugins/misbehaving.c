/* Test plugins for the host's defences, one behaviour per library: this file
 * is compiled once per SMI_TEST_<VARIANT> (native/smi_plugins.cmake builds
 * build/test-plugins/libsmi_test_<variant>.so). The base is a correct,
 * inference-only plugin tagging every image "ok" (0.5); each variant breaks
 * one rule. Image-level misbehaviour (bad score, bad UTF-8, NULL label, ...)
 * happens only for images whose first pixel byte is 255, so a test can mix
 * good and bad images in one run.
 *
 *   no_init          exports no smi_plugin_init
 *   init_null        smi_plugin_init returns NULL
 *   null_iface       descriptor.iface is NULL
 *   small_struct     descriptor.struct_size is 24 (< SMI 1.0's 40)
 *   major2           built for SMI 2.0
 *   minor7           built for SMI 1.7 with larger descriptor/interface (must load)
 *   missing_required release_results is NULL
 *   init_fails       initialize fails with a message
 *   bad_score / nan_score / bad_utf8 / null_label / too_many_tags
 *   crash_third      SIGSEGV (NULL write) on its third inference call
 *   hang             inference sleeps forever
 *   abort            inference calls abort()
 *   serial           not thread-safe; reports the most concurrent inference
 *                    calls it saw (must be 1)
 *   concurrent       same, but SMI_PLUGIN_THREAD_SAFE (may be > 1)
 *   full             every optional entry: models, batch, model info (large
 *                    JSON), raw outputs, logging, per-thread last error
 *   printf_out       writes to stdout from initialize and inference
 *   calls_exit       inference calls exit(3)
 *   wait_abort       inference waits until host->should_abort(), then fails
 *                    with SMI_ERROR_ABORTED
 *   bad_id / long_id plugin_id is not UTF-8 / is 200 bytes long
 *   minor0           claims SMI 1.0 (an older minor than the host's): must load
 *   set_error        SMI 1.1: tags "original WxH" from smi_image's original
 *                    size; a bad image fails through host->set_error() (no
 *                    get_last_error, no thread-local storage)
 *   regions          SMI 1.2: tags "thing" and returns four regions in the
 *                    pixels it got, not sorted by confidence, one of them
 *                    overhanging the image (make_regions below)
 *   bad_regions      the same through batch_inference, but the first pixel
 *                    byte picks one fault in the regions (246..255, see
 *                    bad_regions_batch); other images are fine
 *   regions_short    writes the regions, then sets the result's struct_size
 *                    to the SMI 1.0 size, as an older plugin that copies a
 *                    whole result of its own size would: the host must read
 *                    tags only
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imlage/smi.h"

/* Each variant uses a different subset of the helpers below. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif

static const smi_host_api* g_host = NULL;
static const char* g_last_error = NULL; /* static literals only */

static void set_error(const char* message) { __atomic_store_n(&g_last_error, message, __ATOMIC_RELAXED); }

static void log_msg(int32_t level, const char* message) {
  if (g_host != NULL && SMI_HAS_MEMBER(g_host, smi_host_api, log)) g_host->log(g_host->host_ctx, level, message);
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static smi_status t_initialize(void* ctx, const smi_host_api* host, const char* config_json) {
  (void)ctx;
  (void)config_json;
#if defined(SMI_TEST_INIT_FAILS)
  (void)host;
  set_error("cannot open weights file /nonexistent/weights.bin: No such file or directory");
  return SMI_ERROR_NOT_FOUND;
#elif defined(SMI_TEST_PRINTF_OUT)
  g_host = host;
  printf("printf_out: hello from initialize\n");
  fflush(stdout);
  return SMI_OK;
#else
  g_host = host;
  log_msg(SMI_LOG_INFO, "initialize: config received");
  return SMI_OK;
#endif
}

static void t_cleanup(void* ctx) {
  (void)ctx;
  log_msg(SMI_LOG_INFO, "cleanup");
  g_host = NULL;
}

static const char* t_name(void* ctx) {
  (void)ctx;
  return "misbehaving";
}
static const char* t_version(void* ctx) {
  (void)ctx;
  return "0.0.1";
}
static const char* t_last_error(void* ctx) {
  (void)ctx;
  return __atomic_load_n(&g_last_error, __ATOMIC_RELAXED);
}

static const smi_tag ok_tags[1] = {{"ok", 0.5f}};

#if defined(SMI_TEST_BAD_SCORE)
static const smi_tag bad_tags[2] = {{"fine", 0.25f}, {"x", 1.7f}};
#elif defined(SMI_TEST_BAD_UTF8)
static const smi_tag bad_tags[1] = {{"caf\xe9", 0.5f}};
#elif defined(SMI_TEST_NULL_LABEL)
static const smi_tag bad_tags[2] = {{"fine", 0.5f}, {NULL, 0.5f}};
#elif defined(SMI_TEST_NAN_SCORE)
static smi_tag bad_tags[1] = {{"nan", 0.0f}};
#endif

#if defined(SMI_TEST_SERIAL) || defined(SMI_TEST_CONCURRENT)
static int g_inside = 0;
static int g_max_inside = 0;
static char g_score_label[] = "max_concurrency";
#endif

#if defined(SMI_TEST_SET_ERROR)
static char g_size_label[64];
#endif

#if defined(SMI_TEST_REGIONS) || defined(SMI_TEST_BAD_REGIONS) || defined(SMI_TEST_REGIONS_SHORT)
/* One image's result, freed in release_results through plugin_data. */
typedef struct region_block {
  smi_tag tag;
  smi_region regions[4];
  const smi_region* ptrs[4];
} region_block;

/* Tag "thing" and four boxes in the pixels of im: "left half", "whole",
 * "small" (a quarter-size box at a quarter of the way in) and "overhang"
 * (2 pixels past the left and right edges and below the bottom half), in
 * that order, which is not by confidence. Regions only where the host's
 * result struct has room for them. */
static region_block* make_regions(const smi_image* im, smi_image_result* out) {
  static const char* const labels[4] = {"left half", "whole", "small", "overhang"};
  const float w = (float)im->width, h = (float)im->height;
  const float confidence[4] = {0.6f, 0.9f, 0.1f, 0.7f};
  const float boxes[4][4] = {{0, 0, w / 2, h}, {0, 0, w, h}, {w / 4, h / 4, w / 4, h / 4}, {-2, h / 2, w + 4, h}};
  int i;
  region_block* b = (region_block*)calloc(1, sizeof *b);
  if (b == NULL) return NULL;
  b->tag.label = "thing";
  b->tag.score = 0.9f;
  for (i = 0; i < 4; ++i) {
    b->regions[i].struct_size = sizeof(smi_region);
    b->regions[i].label = labels[i];
    b->regions[i].confidence = confidence[i];
    b->regions[i].x = boxes[i][0];
    b->regions[i].y = boxes[i][1];
    b->regions[i].width = boxes[i][2];
    b->regions[i].height = boxes[i][3];
    b->ptrs[i] = &b->regions[i];
  }
  out->tags = &b->tag;
  out->tag_count = 1;
  out->plugin_data = b;
  if (SMI_HAS_MEMBER(out, smi_image_result, region_count)) {
    out->regions = b->ptrs;
    out->region_count = 4;
  }
  return b;
}
#endif

#if defined(SMI_TEST_CRASH_THIRD)
static int g_calls = 0;
static int* volatile g_null = NULL;
#endif

static smi_status t_inference(void* ctx, const char* model_id, const smi_image* image, smi_image_result* result) {
  int bad;
  (void)ctx;
  (void)model_id;
  bad = image->pixels != NULL && image->pixels[0] == 255;
  (void)bad;
  result->status = SMI_OK;
  result->tags = ok_tags;
  result->tag_count = 1;
#if defined(SMI_TEST_BAD_SCORE) || defined(SMI_TEST_BAD_UTF8) || defined(SMI_TEST_NULL_LABEL)
  if (bad) {
    result->tags = bad_tags;
    result->tag_count = sizeof bad_tags / sizeof bad_tags[0];
  }
#elif defined(SMI_TEST_NAN_SCORE)
  if (bad) {
    bad_tags[0].score = (float)nan("");
    result->tags = bad_tags;
  }
#elif defined(SMI_TEST_TOO_MANY_TAGS)
  if (bad) result->tag_count = (uint64_t)1 << 40;
#elif defined(SMI_TEST_CRASH_THIRD)
  if (__atomic_add_fetch(&g_calls, 1, __ATOMIC_SEQ_CST) == 3) *g_null = 42;
#elif defined(SMI_TEST_HANG)
  for (;;) sleep_ms(1000);
#elif defined(SMI_TEST_ABORT)
  abort();
#elif defined(SMI_TEST_PRINTF_OUT)
  printf("printf_out: {\"not\": \"a result\"} from inference\n"); /* left in stdio's buffer */
#elif defined(SMI_TEST_CALLS_EXIT)
  exit(3);
#elif defined(SMI_TEST_WAIT_ABORT)
  while (!g_host->should_abort(g_host->host_ctx)) sleep_ms(5);
  set_error("stopped: the host asked to abort");
  return SMI_ERROR_ABORTED;
#elif defined(SMI_TEST_SET_ERROR)
  if (!SMI_HAS_MEMBER(g_host, smi_host_api, set_error) || !SMI_HAS_MEMBER(image, smi_image, original_height)) {
    return SMI_ERROR_NOT_SUPPORTED;
  }
  if (bad) {
    g_host->set_error(g_host->host_ctx, "first pixel is 255 (reported through host->set_error)");
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  /* Not thread-safe (serialised by the host), so one static label will do. */
  snprintf(g_size_label, sizeof g_size_label, "original %ux%u", image->original_width, image->original_height);
  result->tags = (const smi_tag*)malloc(sizeof(smi_tag));
  if (result->tags == NULL) return SMI_ERROR_OUT_OF_MEMORY;
  ((smi_tag*)result->tags)->label = g_size_label;
  ((smi_tag*)result->tags)->score = 0.5f;
  result->plugin_data = (void*)result->tags; /* freed in release_results */
#elif defined(SMI_TEST_REGIONS) || defined(SMI_TEST_REGIONS_SHORT)
  if (make_regions(image, result) == NULL) return SMI_ERROR_OUT_OF_MEMORY;
#if defined(SMI_TEST_REGIONS_SHORT)
  result->struct_size = SMI_IMAGE_RESULT_V1_0_SIZE;
#endif
#elif defined(SMI_TEST_SERIAL) || defined(SMI_TEST_CONCURRENT)
  {
    int now = __atomic_add_fetch(&g_inside, 1, __ATOMIC_SEQ_CST);
    int seen = __atomic_load_n(&g_max_inside, __ATOMIC_SEQ_CST);
    while (now > seen && !__atomic_compare_exchange_n(&g_max_inside, &seen, now, 0, __ATOMIC_SEQ_CST,
                                                      __ATOMIC_SEQ_CST)) {
    }
    sleep_ms(image->width == 2 ? 300 : 30); /* width 2: a slow call, for close() tests */
    __atomic_sub_fetch(&g_inside, 1, __ATOMIC_SEQ_CST);
    {
      smi_tag* tag = (smi_tag*)malloc(sizeof(smi_tag));
      if (tag == NULL) return SMI_ERROR_OUT_OF_MEMORY;
      tag->label = g_score_label;
      tag->score = (float)__atomic_load_n(&g_max_inside, __ATOMIC_SEQ_CST) / 16.0f;
      result->tags = tag;
      result->plugin_data = tag; /* freed in release_results */
    }
  }
#endif
  return SMI_OK;
}

static void t_release(void* ctx, smi_image_result* const* results, size_t count) {
  size_t i;
  (void)ctx;
  for (i = 0; i < count; ++i) {
    free(results[i]->plugin_data);
    results[i]->plugin_data = NULL;
  }
}

#if defined(SMI_TEST_BAD_REGIONS)
/* The regions of make_regions with one fault, chosen by the first pixel byte. */
static smi_status bad_regions_batch(void* ctx, const char* id, const smi_image* const* images, size_t count,
                                    smi_image_result* const* results) {
  size_t i;
  (void)ctx;
  (void)id;
  for (i = 0; i < count; ++i) {
    region_block* b = make_regions(images[i], results[i]);
    if (b == NULL) return SMI_ERROR_OUT_OF_MEMORY;
    results[i]->status = SMI_OK;
    /* An older host's result has no region members: writing them there would
     * corrupt its memory, which is not the fault under test. */
    if (!SMI_HAS_MEMBER(results[i], smi_image_result, region_count)) continue;
    switch (images[i]->pixels[0]) {
      case 246: b->regions[0].label = "caf\xe9"; break;
      case 247: b->regions[0].label = NULL; break;
      case 248: b->regions[1].confidence = 1.5f; break;
      case 249: b->regions[2].height = (float)INFINITY; break;
      case 250: results[i]->regions = NULL; break; /* region_count stays 4 */
      case 251: results[i]->region_count = (uint64_t)1 << 40; break;
      case 252: b->ptrs[2] = NULL; break;
      case 253: b->regions[1].struct_size = 16; break;
      case 254: b->regions[3].x = (float)nan(""); break;
      case 255: b->regions[0].width = -1.0f; break;
      default: break;
    }
  }
  return SMI_OK;
}
#endif

/* ---- full: every optional entry point */
#if defined(SMI_TEST_FULL)
static char g_model[64] = "";
static int g_loaded = 0;
static __thread const char* t_error = NULL; /* per-thread last error */

static const char* full_last_error(void* ctx) {
  (void)ctx;
  return t_error;
}

static smi_status full_register(void* ctx, const smi_model_desc* desc) {
  char line[160];
  (void)ctx;
  if (g_model[0] != '\0' && strcmp(g_model, desc->model_id) == 0) {
    t_error = "model already registered";
    return SMI_ERROR_ALREADY_EXISTS;
  }
  snprintf(g_model, sizeof g_model, "%s", desc->model_id);
  snprintf(line, sizeof line, "register_model %s files=%u config=%s", desc->model_id, desc->file_count,
           desc->config_json);
  log_msg(SMI_LOG_DEBUG, line);
  return SMI_OK;
}

static int known(const char* id) { return g_model[0] != '\0' && strcmp(g_model, id) == 0; }

static smi_status full_unregister(void* ctx, const char* id) {
  (void)ctx;
  if (!known(id)) {
    t_error = "unknown model";
    return SMI_ERROR_NOT_FOUND;
  }
  g_model[0] = '\0';
  g_loaded = 0;
  return SMI_OK;
}

static smi_status full_load(void* ctx, const char* id) {
  (void)ctx;
  if (!known(id)) {
    t_error = "no such model registered";
    return SMI_ERROR_NOT_FOUND;
  }
  g_loaded = 1;
  log_msg(SMI_LOG_WARN, "load_model: loaded");
  return SMI_OK;
}

static smi_status full_unload(void* ctx, const char* id) {
  (void)ctx;
  (void)id;
  g_loaded = 0;
  return SMI_OK;
}

static smi_status full_alloc(void* ctx, const char* id) {
  (void)ctx;
  (void)id;
  return SMI_OK;
}

static smi_status full_info(void* ctx, const char* id, char* buffer, size_t size, size_t* required) {
  /* A JSON object larger than the host's first 4096-byte buffer. */
  size_t need, used, i;
  char head[128];
  (void)ctx;
  if (!known(id)) {
    t_error = "no such model registered";
    return SMI_ERROR_NOT_FOUND;
  }
  used = (size_t)snprintf(head, sizeof head, "{\"id\":\"%s\",\"loaded\":%s,\"padding\":\"", id,
                          g_loaded ? "true" : "false");
  need = used + 5000 + 2 + 1;
  *required = need;
  if (buffer == NULL || size < need) return SMI_ERROR_BUFFER_TOO_SMALL;
  memcpy(buffer, head, used);
  for (i = 0; i < 5000; ++i) buffer[used + i] = 'x';
  memcpy(buffer + used + 5000, "\"}", 3);
  return SMI_OK;
}

typedef struct full_result {
  smi_tag tag;
  smi_tensor tensor;
  const smi_tensor* tensor_ptr;
  int64_t shape[2];
  float data[4];
} full_result;

static smi_status full_batch(void* ctx, const char* id, const smi_image* const* images, size_t count,
                             smi_image_result* const* results) {
  size_t i;
  (void)ctx;
  if (!known(id) || !g_loaded) {
    t_error = "model is not loaded";
    return SMI_ERROR_NOT_LOADED;
  }
  for (i = 0; i < count; ++i) {
    full_result* r;
    const smi_image* im = images[i];
    if (im->pixels[0] == 255) {
      results[i]->status = SMI_ERROR_INVALID_ARGUMENT;
      results[i]->error = "first pixel is 255";
      continue;
    }
    r = (full_result*)calloc(1, sizeof *r);
    if (r == NULL) return SMI_ERROR_OUT_OF_MEMORY;
    r->tag.label = "batched";
    r->tag.score = (float)im->pixels[0] / 255.0f;
    r->shape[0] = 1;
    r->shape[1] = 4;
    r->data[0] = (float)im->width;
    r->data[1] = (float)im->height;
    r->data[2] = (float)im->channels;
    r->data[3] = (float)im->stride_bytes;
    r->tensor.struct_size = sizeof(smi_tensor);
    r->tensor.dtype = SMI_DTYPE_FLOAT32;
    r->tensor.name = "dims";
    r->tensor.data = r->data;
    r->tensor.shape = r->shape;
    r->tensor.rank = 2;
    r->tensor.byte_size = sizeof r->data;
    r->tensor_ptr = &r->tensor;
    results[i]->status = SMI_OK;
    results[i]->tags = &r->tag;
    results[i]->tag_count = 1;
    if (SMI_HAS_MEMBER(results[i], smi_image_result, output_count)) {
      results[i]->outputs = &r->tensor_ptr;
      results[i]->output_count = 1;
    }
    results[i]->plugin_data = r;
  }
  return SMI_OK;
}

static const char* full_frameworks(void* ctx) {
  (void)ctx;
  return "none, test";
}

static void full_smi_version(void* ctx, uint32_t* major, uint32_t* minor) {
  (void)ctx;
  *major = SMI_VERSION_MAJOR;
  *minor = SMI_VERSION_MINOR;
}
#endif

/* ---- the interface table */
#if defined(SMI_TEST_MINOR7)
/* What a plugin built against a future SMI 1.7 header looks like: larger
 * structs with members this host does not know. */
typedef struct future_interface {
  smi_plugin_interface v1_0;
  smi_status (*some_future_entry)(void* ctx, int x);
  uint64_t more_future_state[4];
} future_interface;
typedef struct future_descriptor {
  smi_plugin_descriptor v1_0;
  const char* future_member;
  uint64_t more[2];
} future_descriptor;

static smi_status future_entry(void* ctx, int x) {
  (void)ctx;
  (void)x;
  return SMI_ERROR;
}
#endif

#if defined(SMI_TEST_FULL)
static const smi_plugin_interface t_iface = {
    sizeof(smi_plugin_interface), 0, t_initialize, t_cleanup, full_register, full_unregister, full_load,
    full_unload, NULL, full_batch, full_alloc, full_alloc, full_info, t_name, t_version, full_frameworks,
    full_smi_version, full_last_error, t_release};
#elif defined(SMI_TEST_MINOR7)
static const future_interface t_future_iface = {
    {sizeof(future_interface), 0, t_initialize, t_cleanup, NULL, NULL, NULL, NULL, t_inference, NULL, NULL,
     NULL, NULL, t_name, t_version, NULL, NULL, t_last_error, t_release},
    future_entry,
    {1, 2, 3, 4}};
#elif defined(SMI_TEST_SET_ERROR)
/* Designated initialisers, as docs/plugin-abi.md recommends; no
 * get_last_error: failures are explained through host->set_error. */
static const smi_plugin_interface t_iface = {
    .struct_size = sizeof(smi_plugin_interface),
    .initialize = t_initialize,
    .cleanup = t_cleanup,
    .inference = t_inference,
    .get_plugin_name = t_name,
    .get_plugin_version = t_version,
    .release_results = t_release,
};
#elif defined(SMI_TEST_BAD_REGIONS)
static const smi_plugin_interface t_iface = {
    .struct_size = sizeof(smi_plugin_interface),
    .initialize = t_initialize,
    .cleanup = t_cleanup,
    .batch_inference = bad_regions_batch,
    .get_plugin_name = t_name,
    .get_plugin_version = t_version,
    .release_results = t_release,
};
#else
static const smi_plugin_interface t_iface = {
    sizeof(smi_plugin_interface), 0, t_initialize, t_cleanup, NULL, NULL, NULL, NULL, t_inference, NULL, NULL,
    NULL, NULL, t_name, t_version, NULL, NULL, t_last_error,
#if defined(SMI_TEST_MISSING_REQUIRED)
    NULL
#else
    t_release
#endif
};
#endif

/* ---- the exported entry */
#if defined(SMI_TEST_NO_INIT)
/* A typo'd entry name: the library loads but has no smi_plugin_init. */
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_initialise(void);
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_initialise(void) { return NULL; }
#elif defined(SMI_TEST_INIT_NULL)
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void);
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void) { return NULL; }
#elif defined(SMI_TEST_NULL_IFACE)
SMI_DEFINE_PLUGIN("null-iface", 0, NULL, NULL)
#elif defined(SMI_TEST_SMALL_STRUCT)
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void);
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void) {
  static smi_plugin_descriptor d = {24, SMI_VERSION_MAJOR, SMI_VERSION_MINOR, 0, "small", &t_iface, NULL};
  return &d;
}
#elif defined(SMI_TEST_MAJOR2)
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void);
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void) {
  static smi_plugin_descriptor d = {sizeof(smi_plugin_descriptor), 2, 0, 0, "major2", &t_iface, NULL};
  return &d;
}
#elif defined(SMI_TEST_MINOR7)
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void);
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void) {
  static const future_descriptor d = {
      {sizeof(future_descriptor), 1, 7, 0, "minor7", &t_future_iface.v1_0, NULL}, "future", {7, 7}};
  return &d.v1_0;
}
#elif defined(SMI_TEST_BAD_ID)
SMI_DEFINE_PLUGIN("caf\xe9", 0, &t_iface, NULL)
#elif defined(SMI_TEST_LONG_ID)
SMI_DEFINE_PLUGIN("long-id-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-"
                  "0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789-"
                  "0123456789-0123456789-0123456789",
                  0, &t_iface, NULL)
#elif defined(SMI_TEST_MINOR0)
/* Built against SMI 1.0: the same v1.0 structs, an older minor. */
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void);
SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void) {
  static const smi_plugin_descriptor d = {SMI_PLUGIN_DESCRIPTOR_V1_0_SIZE, 1, 0, 0, "minor0", &t_iface, NULL};
  return &d;
}
#elif defined(SMI_TEST_CONCURRENT) || defined(SMI_TEST_FULL)
SMI_DEFINE_PLUGIN("test", SMI_PLUGIN_THREAD_SAFE, &t_iface, NULL)
#else
SMI_DEFINE_PLUGIN("test", 0, &t_iface, NULL)
#endif
