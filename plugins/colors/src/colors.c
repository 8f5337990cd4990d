/* colors: an SMI plugin in plain C99 with no dependencies. It names the
 * dominant colours of an image (a small named palette) and describes its
 * tones (dark, bright, high/low key, high/low contrast, black and white,
 * colorful). It is the worked example of docs/plugin-abi.md.
 *
 * Scores (all within [0,1]):
 *   <colour>         fraction of the (opaque) pixels whose colour is nearest
 *                    to that palette entry;
 *   dark / bright    fraction of pixels with luma < 0.25 / > 0.75
 *                    (tagged when >= 0.5);
 *   low key / high key  fraction of pixels with luma <= 0.4 / >= 0.6, tagged
 *                    when >= 0.75 and almost no pixels are at the other end;
 *   high contrast    luma standard deviation / 0.5 (tagged when std >= 0.25);
 *   low contrast     1 - luma standard deviation / 0.5 (tagged when std <= 0.1);
 *   black and white  fraction of pixels with chroma < 0.07 (tagged when >= 0.97);
 *   colorful         Hasler-Suesstrunk colourfulness / 109 ("extremely
 *                    colourful"), capped at 1 (tagged when >= 59/109).
 *
 * Thread safety: the configuration is written only by initialize() and read
 * by inference(); each result is its own malloc'ed block. The plugin is
 * therefore SMI_PLUGIN_THREAD_SAFE. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlage/smi.h"

/* ---- palette */

enum {
  C_RED, C_ORANGE, C_YELLOW, C_GREEN, C_CYAN, C_BLUE, C_PURPLE, C_PINK, C_BROWN,
  C_BLACK, C_WHITE, C_GRAY, C_COUNT
};

static const char* const colour_names[C_COUNT] = {
    "red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "brown", "black", "white", "gray"};

/* Nearest palette entry for one sRGB pixel (components in [0,1]). */
static int classify(float r, float g, float b) {
  const float mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const float mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
  const float chroma = mx - mn;
  const float sat = mx > 0.0f ? chroma / mx : 0.0f;
  float hue;
  if (mx < 0.16f) return C_BLACK;
  if (sat < 0.2f || chroma < 0.08f) return mx > 0.85f ? C_WHITE : (mx < 0.25f ? C_BLACK : C_GRAY);
  if (mx == r) {
    hue = 60.0f * fmodf((g - b) / chroma, 6.0f);
  } else if (mx == g) {
    hue = 60.0f * ((b - r) / chroma + 2.0f);
  } else {
    hue = 60.0f * ((r - g) / chroma + 4.0f);
  }
  if (hue < 0.0f) hue += 360.0f;
  /* Dark, warm and not too saturated: brown. */
  if (hue >= 8.0f && hue < 50.0f && mx < 0.62f) return C_BROWN;
  if (hue < 12.0f || hue >= 345.0f) return (sat < 0.5f && mx > 0.7f) ? C_PINK : C_RED;
  if (hue < 40.0f) return C_ORANGE;
  if (hue < 70.0f) return C_YELLOW;
  if (hue < 165.0f) return C_GREEN;
  if (hue < 195.0f) return C_CYAN;
  if (hue < 255.0f) return C_BLUE;
  if (hue < 290.0f) return C_PURPLE;
  return C_PINK;
}

/* ---- configuration (read-only after initialize) */

typedef struct colors_config {
  int max_colors;      /* 1..12, default 3 */
  double min_fraction; /* 0..1, default 0.08 */
} colors_config;

typedef struct colors_ctx {
  colors_config config;
  const smi_host_api* host;
} colors_ctx;

static colors_ctx g_ctx = {{3, 0.08}, NULL};

/* Last error: static messages only, so a relaxed pointer store is enough to
 * keep get_last_error() safe under concurrent calls. */
static const char* g_last_error = NULL;
static void set_error(const char* message) { __atomic_store_n(&g_last_error, message, __ATOMIC_RELAXED); }

/* Finds "key": <number> in a flat JSON object. Returns 1 and sets *out when
 * present, 0 when absent, -1 when present but not a number. */
static int json_number(const char* json, const char* key, double* out) {
  char quoted[64];
  const char* p;
  char* end;
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  p = strstr(json, quoted);
  if (p == NULL) return 0;
  p += strlen(quoted);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  if (*p != ':') return -1;
  ++p;
  *out = strtod(p, &end);
  return end == p ? -1 : 1;
}

static void log_msg(colors_ctx* c, int32_t level, const char* message) {
  if (c->host != NULL && SMI_HAS_MEMBER(c->host, smi_host_api, log)) c->host->log(c->host->host_ctx, level, message);
}

static smi_status colors_initialize(void* ctx, const smi_host_api* host, const char* config_json) {
  colors_ctx* c = (colors_ctx*)ctx;
  colors_config cfg = {3, 0.08};
  double v;
  int found;
  char line[128];
  found = json_number(config_json, "max_colors", &v);
  if (found < 0 || (found > 0 && (v != floor(v) || v < 1 || v > 12))) {
    set_error("config max_colors must be an integer within [1, 12]");
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  if (found > 0) cfg.max_colors = (int)v;
  found = json_number(config_json, "min_fraction", &v);
  if (found < 0 || (found > 0 && !(v >= 0 && v <= 1))) {
    set_error("config min_fraction must be a number within [0, 1]");
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  if (found > 0) cfg.min_fraction = v;
  c->config = cfg;
  c->host = host;
  snprintf(line, sizeof line, "colors: max_colors=%d min_fraction=%g", cfg.max_colors, cfg.min_fraction);
  log_msg(c, SMI_LOG_DEBUG, line);
  return SMI_OK;
}

static void colors_cleanup(void* ctx) {
  colors_ctx* c = (colors_ctx*)ctx;
  c->host = NULL;
}

/* ---- analysis */

#define MAX_TAGS (C_COUNT + 8)

typedef struct colors_result {
  smi_tag tags[MAX_TAGS];
} colors_result;

static void push(colors_result* r, uint64_t* n, const char* label, double score) {
  if (*n >= MAX_TAGS) return;
  if (score < 0) score = 0;
  if (score > 1) score = 1;
  r->tags[*n].label = label;
  r->tags[*n].score = (float)score;
  ++*n;
}

static smi_status analyse(const colors_config* cfg, const smi_image* im, smi_image_result* out) {
  size_t counts[C_COUNT] = {0};
  size_t total = 0, dark = 0, bright = 0, lowish = 0, highish = 0, very_dark = 0, very_bright = 0, neutral = 0;
  double sum_y = 0, sum_y2 = 0, sum_rg = 0, sum_rg2 = 0, sum_yb = 0, sum_yb2 = 0;
  uint32_t x, y;
  const uint32_t ch = im->channels;
  int order[C_COUNT];
  int i, j, emitted;
  uint64_t n = 0;
  colors_result* r;
  int gray = im->pixel_format == SMI_PIXEL_GRAY8 || im->pixel_format == SMI_PIXEL_GRAYA8;
  int alpha = im->pixel_format == SMI_PIXEL_RGBA8 || im->pixel_format == SMI_PIXEL_BGRA8 ||
              im->pixel_format == SMI_PIXEL_GRAYA8;
  int bgr = im->pixel_format == SMI_PIXEL_BGR8 || im->pixel_format == SMI_PIXEL_BGRA8;

  if (im->pixels == NULL || ch < 1 || ch > 4 || im->stride_bytes < (uint64_t)im->width * ch) {
    set_error("colors needs 8-bit pixels (gray, RGB or RGBA)");
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  for (y = 0; y < im->height; ++y) {
    const uint8_t* row = im->pixels + (size_t)y * (size_t)im->stride_bytes;
    for (x = 0; x < im->width; ++x) {
      const uint8_t* p = row + (size_t)x * ch;
      float rf, gf, bf, mx, mn, lum, rg, yb;
      if (alpha && p[ch - 1] < 128) continue; /* transparent: not part of the picture */
      if (gray) {
        rf = gf = bf = p[0] / 255.0f;
      } else {
        rf = p[bgr ? 2 : 0] / 255.0f;
        gf = p[1] / 255.0f;
        bf = p[bgr ? 0 : 2] / 255.0f;
      }
      ++counts[classify(rf, gf, bf)];
      ++total;
      lum = 0.2126f * rf + 0.7152f * gf + 0.0722f * bf;
      sum_y += lum;
      sum_y2 += (double)lum * lum;
      if (lum < 0.25f) ++dark;
      if (lum > 0.75f) ++bright;
      if (lum <= 0.4f) ++lowish;
      if (lum >= 0.6f) ++highish;
      if (lum < 0.1f) ++very_dark;
      if (lum > 0.9f) ++very_bright;
      mx = rf > gf ? (rf > bf ? rf : bf) : (gf > bf ? gf : bf);
      mn = rf < gf ? (rf < bf ? rf : bf) : (gf < bf ? gf : bf);
      if (mx - mn < 0.07f) ++neutral;
      rg = 255.0f * (rf - gf);
      yb = 255.0f * (0.5f * (rf + gf) - bf);
      sum_rg += rg;
      sum_rg2 += (double)rg * rg;
      sum_yb += yb;
      sum_yb2 += (double)yb * yb;
    }
  }

  r = (colors_result*)calloc(1, sizeof *r);
  if (r == NULL) {
    set_error("out of memory");
    return SMI_ERROR_OUT_OF_MEMORY;
  }
  out->plugin_data = r;
  out->tags = r->tags;
  out->status = SMI_OK;
  if (total == 0) { /* fully transparent: nothing to say */
    out->tag_count = 0;
    return SMI_OK;
  }

  /* Dominant colours, largest share first. */
  for (i = 0; i < C_COUNT; ++i) order[i] = i;
  for (i = 1; i < C_COUNT; ++i) {
    int k = order[i];
    for (j = i - 1; j >= 0 && counts[order[j]] < counts[k]; --j) order[j + 1] = order[j];
    order[j + 1] = k;
  }
  emitted = 0;
  for (i = 0; i < C_COUNT && emitted < cfg->max_colors; ++i) {
    double f = (double)counts[order[i]] / (double)total;
    if (f <= 0 || f < cfg->min_fraction) break;
    push(r, &n, colour_names[order[i]], f);
    ++emitted;
  }

  {
    const double t = (double)total;
    const double mean = sum_y / t;
    double var = sum_y2 / t - mean * mean;
    double sd, mrg, myb, srg, syb, colourfulness;
    if (var < 0) var = 0;
    sd = sqrt(var);
    if (dark / t >= 0.5) push(r, &n, "dark", dark / t);
    if (bright / t >= 0.5) push(r, &n, "bright", bright / t);
    if (lowish / t >= 0.75 && very_bright / t < 0.05) push(r, &n, "low key", lowish / t);
    if (highish / t >= 0.75 && very_dark / t < 0.05) push(r, &n, "high key", highish / t);
    if (sd >= 0.25) push(r, &n, "high contrast", sd / 0.5);
    if (sd <= 0.1) push(r, &n, "low contrast", 1.0 - sd / 0.5);
    if (neutral / t >= 0.97) push(r, &n, "black and white", neutral / t);
    mrg = sum_rg / t;
    myb = sum_yb / t;
    srg = sum_rg2 / t - mrg * mrg;
    syb = sum_yb2 / t - myb * myb;
    colourfulness = sqrt((srg > 0 ? srg : 0) + (syb > 0 ? syb : 0)) + 0.3 * sqrt(mrg * mrg + myb * myb);
    if (colourfulness >= 59.0) push(r, &n, "colorful", colourfulness / 109.0);
  }
  out->tag_count = n;
  return SMI_OK;
}

static int known_model(const char* id) { return id == NULL || id[0] == '\0' || strcmp(id, "palette") == 0; }

static smi_status colors_inference(void* ctx, const char* model_id, const smi_image* image, smi_image_result* result) {
  colors_ctx* c = (colors_ctx*)ctx;
  if (!known_model(model_id)) {
    set_error("colors has one model, 'palette'");
    return SMI_ERROR_NOT_FOUND;
  }
  return analyse(&c->config, image, result);
}

static void colors_release(void* ctx, smi_image_result* const* results, size_t count) {
  size_t i;
  (void)ctx;
  for (i = 0; i < count; ++i) {
    free(results[i]->plugin_data); /* NULL when inference failed early */
    results[i]->plugin_data = NULL;
  }
}

static smi_status colors_model_info(void* ctx, const char* model_id, char* buffer, size_t size, size_t* required) {
  static const char info[] =
      "{\"id\":\"palette\",\"labels\":[\"red\",\"orange\",\"yellow\",\"green\",\"cyan\",\"blue\","
      "\"purple\",\"pink\",\"brown\",\"black\",\"white\",\"gray\",\"dark\",\"bright\",\"low key\","
      "\"high key\",\"high contrast\",\"low contrast\",\"black and white\",\"colorful\"],"
      "\"score\":\"fraction of pixels (colours, tones) or a normalised statistic (contrast, colorful)\"}";
  (void)ctx;
  if (!known_model(model_id)) {
    set_error("colors has one model, 'palette'");
    return SMI_ERROR_NOT_FOUND;
  }
  *required = sizeof info;
  if (buffer == NULL || size < sizeof info) return SMI_ERROR_BUFFER_TOO_SMALL;
  memcpy(buffer, info, sizeof info);
  return SMI_OK;
}

static const char* colors_name(void* ctx) {
  (void)ctx;
  return "colors";
}

static const char* colors_version(void* ctx) {
  (void)ctx;
  return "1.0.0";
}

static const char* colors_frameworks(void* ctx) {
  (void)ctx;
  return "none";
}

static void colors_smi_version(void* ctx, uint32_t* major, uint32_t* minor) {
  (void)ctx;
  *major = SMI_VERSION_MAJOR;
  *minor = SMI_VERSION_MINOR;
}

static const char* colors_last_error(void* ctx) {
  (void)ctx;
  return __atomic_load_n(&g_last_error, __ATOMIC_RELAXED);
}

static const smi_plugin_interface colors_iface = {
    sizeof(smi_plugin_interface),
    0,
    colors_initialize,
    colors_cleanup,
    NULL, /* register_model: the one model needs no files */
    NULL, /* unregister_model */
    NULL, /* load_model: nothing to load */
    NULL, /* unload_model */
    colors_inference,
    NULL, /* batch_inference: the host calls inference per image */
    NULL, /* allocate_resources */
    NULL, /* deallocate_resources */
    colors_model_info,
    colors_name,
    colors_version,
    colors_frameworks,
    colors_smi_version,
    colors_last_error,
    colors_release,
};

SMI_DEFINE_PLUGIN("colors", SMI_PLUGIN_THREAD_SAFE, &colors_iface, &g_ctx)
