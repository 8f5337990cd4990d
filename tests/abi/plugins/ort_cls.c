/* Test plugin for the host's ONNX Runtime services: runs PaddleOCR's text
 * direction classifier (ch_ppocr_mobile_v2.0_cls_infer.onnx, input x
 * [-1,3,-1,-1], fed 48x192; output softmax [N,2]) through host->session_* without
 * linking ORT. Images must already be 192x48 RGB; value = (p/255 - 0.5)/0.5.
 * Tags: "0" and "180" with the model's probabilities. Not thread-safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlage/smi.h"

static const smi_host_api* g_host = NULL;
static smi_session* g_session = NULL;
static char g_model_path[4096] = "";
static char g_error[1024] = "";
static char g_input_name[256] = "";

static smi_status fail(smi_status status, const char* what) {
  snprintf(g_error, sizeof g_error, "%s: %s", what, g_host->get_last_error(g_host->host_ctx));
  return status;
}

static smi_status c_initialize(void* ctx, const smi_host_api* host, const char* config_json) {
  (void)ctx;
  (void)config_json;
  if (!SMI_HAS_MEMBER(host, smi_host_api, session_release)) {
    snprintf(g_error, sizeof g_error, "host has no ONNX Runtime services");
    return SMI_ERROR_NOT_SUPPORTED;
  }
  g_host = host;
  g_session = NULL;
  g_model_path[0] = '\0';
  return SMI_OK;
}

static void c_cleanup(void* ctx) {
  (void)ctx;
  g_host->session_release(g_host->host_ctx, g_session); /* NULL is fine */
  g_session = NULL;
}

static smi_status c_register(void* ctx, const smi_model_desc* desc) {
  (void)ctx;
  if (desc->file_count != 1) {
    snprintf(g_error, sizeof g_error, "expected one model file, got %u", desc->file_count);
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  snprintf(g_model_path, sizeof g_model_path, "%s", desc->files[0]);
  return SMI_OK;
}

static smi_status c_load(void* ctx, const char* id) {
  smi_status s;
  smi_tensor_info info;
  size_t n = 0;
  (void)ctx;
  (void)id;
  s = g_host->session_create(g_host->host_ctx, g_model_path, &g_session);
  if (s != SMI_OK) return fail(s, "session_create");
  s = g_host->session_input_count(g_host->host_ctx, g_session, &n);
  if (s != SMI_OK) return fail(s, "session_input_count");
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  s = g_host->session_input_info(g_host->host_ctx, g_session, 0, &info);
  if (s != SMI_OK) return fail(s, "session_input_info");
  snprintf(g_input_name, sizeof g_input_name, "%s", info.name);
  return SMI_OK;
}

static smi_status c_unload(void* ctx, const char* id) {
  (void)ctx;
  (void)id;
  g_host->session_release(g_host->host_ctx, g_session);
  g_session = NULL;
  return SMI_OK;
}

static smi_status c_info(void* ctx, const char* id, char* buffer, size_t size, size_t* required) {
  smi_tensor_info in, out;
  size_t n_in = 0, n_out = 0;
  int len;
  (void)ctx;
  (void)id;
  if (g_session == NULL) {
    snprintf(g_error, sizeof g_error, "model not loaded");
    return SMI_ERROR_NOT_LOADED;
  }
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  in.struct_size = out.struct_size = sizeof in;
  g_host->session_input_count(g_host->host_ctx, g_session, &n_in);
  g_host->session_output_count(g_host->host_ctx, g_session, &n_out);
  g_host->session_input_info(g_host->host_ctx, g_session, 0, &in);
  g_host->session_output_info(g_host->host_ctx, g_session, 0, &out);
  len = snprintf(buffer, size,
                 "{\"inputs\":%u,\"outputs\":%u,\"input\":{\"name\":\"%s\",\"dtype\":%d,\"shape\":[%lld,%lld,%lld,%lld]},"
                 "\"output\":{\"name\":\"%s\",\"rank\":%u}}",
                 (unsigned)n_in, (unsigned)n_out, in.name, in.dtype, (long long)in.shape[0], (long long)in.shape[1],
                 (long long)in.shape[2], (long long)in.shape[3], out.name, out.rank);
  *required = (size_t)len + 1;
  return (size_t)len < size ? SMI_OK : SMI_ERROR_BUFFER_TOO_SMALL;
}

typedef struct cls_result {
  smi_tag tags[2];
} cls_result;

static smi_status c_inference(void* ctx, const char* id, const smi_image* im, smi_image_result* result) {
  static float input[3 * 48 * 192];
  static const int64_t shape[4] = {1, 3, 48, 192};
  smi_tensor t;
  const smi_tensor* inputs[1];
  smi_tensor_list* outputs = NULL;
  const float* p;
  cls_result* r;
  uint32_t x, y, c;
  smi_status s;
  (void)ctx;
  (void)id;
  if (g_session == NULL) {
    snprintf(g_error, sizeof g_error, "model not loaded");
    return SMI_ERROR_NOT_LOADED;
  }
  if (im->width != 192 || im->height != 48 || im->channels != 3) {
    snprintf(g_error, sizeof g_error, "expected a 192x48 RGB image, got %ux%ux%u", im->width, im->height, im->channels);
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  for (c = 0; c < 3; ++c)
    for (y = 0; y < 48; ++y)
      for (x = 0; x < 192; ++x)
        input[(c * 48 + y) * 192 + x] = ((float)im->pixels[y * im->stride_bytes + x * 3 + c] / 255.0f - 0.5f) / 0.5f;
  memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  t.dtype = SMI_DTYPE_FLOAT32;
  t.name = g_input_name;
  t.data = input;
  t.shape = shape;
  t.rank = 4;
  t.byte_size = sizeof input;
  inputs[0] = &t;
  s = g_host->session_run(g_host->host_ctx, g_session, inputs, 1, NULL, 0, &outputs);
  if (s != SMI_OK) return fail(s, "session_run");
  if (outputs->count != 1 || outputs->tensors[0]->byte_size != 2 * sizeof(float)) {
    g_host->tensors_release(g_host->host_ctx, outputs);
    snprintf(g_error, sizeof g_error, "unexpected output");
    return SMI_ERROR;
  }
  p = (const float*)outputs->tensors[0]->data;
  r = (cls_result*)calloc(1, sizeof *r);
  if (r == NULL) {
    g_host->tensors_release(g_host->host_ctx, outputs);
    return SMI_ERROR_OUT_OF_MEMORY;
  }
  r->tags[0].label = "0";
  r->tags[0].score = p[0] < 0 ? 0 : (p[0] > 1 ? 1 : p[0]);
  r->tags[1].label = "180";
  r->tags[1].score = p[1] < 0 ? 0 : (p[1] > 1 ? 1 : p[1]);
  g_host->tensors_release(g_host->host_ctx, outputs);
  result->tags = r->tags;
  result->tag_count = 2;
  result->plugin_data = r;
  return SMI_OK;
}

static void c_release(void* ctx, smi_image_result* const* results, size_t count) {
  size_t i;
  (void)ctx;
  for (i = 0; i < count; ++i) free(results[i]->plugin_data);
}

static const char* c_name(void* ctx) {
  (void)ctx;
  return "ort-cls";
}
static const char* c_version(void* ctx) {
  (void)ctx;
  return "1.0.0";
}
static const char* c_frameworks(void* ctx) {
  (void)ctx;
  return "onnx";
}
static const char* c_last_error(void* ctx) {
  (void)ctx;
  return g_error;
}

static const smi_plugin_interface c_iface = {
    sizeof(smi_plugin_interface), 0, c_initialize, c_cleanup, c_register, NULL, c_load, c_unload, c_inference, NULL,
    NULL, NULL, c_info, c_name, c_version, c_frameworks, NULL, c_last_error, c_release};

SMI_DEFINE_PLUGIN("ort-cls", 0, &c_iface, NULL)
