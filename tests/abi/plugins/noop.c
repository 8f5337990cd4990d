/* The smallest well-behaved SMI plugin: tags every image "noop" with score 1.
 * Thread-safe, no state, no allocation. Used by the ABI tests and by the
 * plugin-call overhead benchmarks. */
#include <stddef.h>

#include "imlage/smi.h"

static const smi_tag noop_tags[1] = {{"noop", 1.0f}};

static smi_status noop_initialize(void* ctx, const smi_host_api* host, const char* config_json) {
  (void)ctx;
  (void)config_json;
  if (SMI_HAS_MEMBER(host, smi_host_api, log)) host->log(host->host_ctx, SMI_LOG_DEBUG, "noop: initialized");
  return SMI_OK;
}

static void noop_cleanup(void* ctx) { (void)ctx; }

static void fill(smi_image_result* r) {
  r->status = SMI_OK;
  r->tags = noop_tags; /* static: nothing to release */
  r->tag_count = 1;
}

static smi_status noop_inference(void* ctx, const char* model_id, const smi_image* image,
                                 smi_image_result* result) {
  (void)ctx;
  (void)model_id;
  (void)image;
  fill(result);
  return SMI_OK;
}

static smi_status noop_batch(void* ctx, const char* model_id, const smi_image* const* images, size_t count,
                             smi_image_result* const* results) {
  size_t i;
  (void)ctx;
  (void)model_id;
  (void)images;
  for (i = 0; i < count; ++i) fill(results[i]);
  return SMI_OK;
}

static const char* noop_name(void* ctx) {
  (void)ctx;
  return "noop";
}

static const char* noop_version(void* ctx) {
  (void)ctx;
  return "1.0.0";
}

static void noop_release(void* ctx, smi_image_result* const* results, size_t count) {
  (void)ctx;
  (void)results;
  (void)count;
}

static const smi_plugin_interface noop_iface = {
    sizeof(smi_plugin_interface), 0, noop_initialize, noop_cleanup,
    NULL, NULL, NULL, NULL, /* register/unregister/load/unload: not needed */
    noop_inference, noop_batch,
    NULL, NULL, NULL, /* allocate/deallocate_resources, get_model_info */
    noop_name, noop_version,
    NULL, NULL, NULL, /* frameworks ("none"), smi version, last error */
    noop_release};

SMI_DEFINE_PLUGIN("noop", SMI_PLUGIN_THREAD_SAFE, &noop_iface, NULL)
