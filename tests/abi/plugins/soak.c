/* The soak test's plugin (bench/soak.mjs): tags each image with a
 * fingerprint of its pixels ("fp:<FNV-1a of width, height, channels and
 * every pixel byte>"), so a result that reached the wrong image is caught,
 * and crashes (a NULL write, SIGSEGV) on every Nth image this process has
 * seen, N being the setting crash_every in config_json (0: never). Meant to
 * run isolated; the host restarts it and the count starts again.
 * Built as build/test-plugins/libsmi_test_soak.so (native/smi_plugins.cmake). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlage/smi.h"

typedef struct {
  smi_tag tag;
  char label[24];
} soak_result;

static long g_crash_every = 0;
static unsigned long g_seen = 0; /* images this process has tagged, updated atomically */

static smi_status soak_initialize(void* ctx, const smi_host_api* host, const char* config_json) {
  const char* p;
  (void)ctx;
  (void)host;
  p = config_json != NULL ? strstr(config_json, "\"crash_every\":") : NULL;
  g_crash_every = p != NULL ? strtol(p + strlen("\"crash_every\":"), NULL, 10) : 0;
  return SMI_OK;
}

static void soak_cleanup(void* ctx) { (void)ctx; }

static uint32_t fingerprint(const smi_image* image) {
  uint32_t h = 2166136261u;
  uint32_t dims[3];
  uint32_t y;
  size_t i;
  const unsigned char* d = (const unsigned char*)dims;
  dims[0] = image->width;
  dims[1] = image->height;
  dims[2] = image->channels;
  for (i = 0; i < sizeof dims; ++i) h = (h ^ d[i]) * 16777619u;
  for (y = 0; y < image->height; ++y) {
    const uint8_t* row = image->pixels + (size_t)y * image->stride_bytes;
    for (i = 0; i < (size_t)image->width * image->channels; ++i) h = (h ^ row[i]) * 16777619u;
  }
  return h;
}

static smi_status soak_inference(void* ctx, const char* model_id, const smi_image* image, smi_image_result* result) {
  soak_result* r;
  unsigned long seen = __atomic_add_fetch(&g_seen, 1, __ATOMIC_RELAXED);
  (void)ctx;
  (void)model_id;
  if (g_crash_every > 0 && seen % (unsigned long)g_crash_every == 0) {
    volatile int* null_pointer = NULL;
    *null_pointer = 1; /* the crash the soak asks for */
  }
  if (image->pixels == NULL) return SMI_ERROR_INVALID_ARGUMENT;
  r = (soak_result*)malloc(sizeof *r);
  if (r == NULL) return SMI_ERROR_OUT_OF_MEMORY;
  snprintf(r->label, sizeof r->label, "fp:%08x", (unsigned)fingerprint(image));
  r->tag.label = r->label;
  r->tag.score = 1.0f;
  result->status = SMI_OK;
  result->tags = &r->tag;
  result->tag_count = 1;
  result->plugin_data = r;
  return SMI_OK;
}

static void soak_release(void* ctx, smi_image_result* const* results, size_t count) {
  size_t i;
  (void)ctx;
  for (i = 0; i < count; ++i) free(results[i]->plugin_data);
}

static const char* soak_name(void* ctx) {
  (void)ctx;
  return "soak";
}

static const char* soak_version(void* ctx) {
  (void)ctx;
  return "1.0.0";
}

static const smi_plugin_interface soak_iface = {
    .struct_size = sizeof(smi_plugin_interface),
    .initialize = soak_initialize,
    .cleanup = soak_cleanup,
    .inference = soak_inference,
    .get_plugin_name = soak_name,
    .get_plugin_version = soak_version,
    .release_results = soak_release,
};

SMI_DEFINE_PLUGIN("soak", SMI_PLUGIN_THREAD_SAFE, &soak_iface, NULL)
