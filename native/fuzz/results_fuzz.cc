// libFuzzer target: CopyResult (native/src/smi/results.cc), the check of
// what a plugin wrote into an smi_image_result. The input plays a hostile
// plugin: NULL or short arrays behind any count, NULL, overlong and invalid
// UTF-8 labels, any float score, tensors with lying struct_size, rank, shape
// and byte_size, regions (SMI 1.2) with NULL entries, short struct_size,
// any float confidence and box, and a result struct_size that may not
// cover them, for an image of any size and original size. The harness keeps the one promise the host cannot check
// (a pointer it hands over points at as many elements as the matching count
// says, once the count is within the limits), so every ASan report here is
// a host bug. Accepted results must hold only what smi.h allows.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "smi/results.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "results_fuzz: %s\n", what);
  std::abort();
}

// Everything a result points at, owned here so it outlives CopyResult.
struct Arena {
  std::vector<std::unique_ptr<std::string>> strings;
  std::vector<std::unique_ptr<std::vector<int64_t>>> shapes;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> buffers;
  std::vector<std::unique_ptr<smi_tensor>> tensors;
  std::vector<std::unique_ptr<smi_region>> regions;

  const char* String(FuzzedDataProvider& in) {
    if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return nullptr;
    // Mostly short; sometimes right at or past SMI_MAX_LABEL_BYTES.
    size_t len = in.ConsumeIntegralInRange<size_t>(0, 12);
    if (in.ConsumeIntegralInRange<int>(0, 31) == 0) len = SMI_MAX_LABEL_BYTES - 1 + in.ConsumeIntegralInRange<size_t>(0, 2);
    std::string s = in.ConsumeBytesAsString(len);
    s.resize(len, 'a');
    strings.push_back(std::make_unique<std::string>(std::move(s)));
    return strings.back()->c_str();  // NUL-terminated; may hold NULs earlier
  }
};

uint64_t PickCount(FuzzedDataProvider& in, uint64_t limit) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return limit + in.ConsumeIntegralInRange<uint64_t>(1, 3);
    case 1: return in.ConsumeIntegral<uint64_t>();
    default: return in.ConsumeIntegralInRange<uint64_t>(0, 6);
  }
}

smi_tensor* MakeTensor(FuzzedDataProvider& in, Arena& arena) {
  auto t = std::make_unique<smi_tensor>();
  t->struct_size = in.ConsumeBool() ? static_cast<uint32_t>(sizeof(smi_tensor)) : in.ConsumeIntegral<uint32_t>();
  t->dtype = in.ConsumeBool() ? SMI_DTYPE_FLOAT32 : in.ConsumeIntegralInRange<int32_t>(-2, 12);
  t->name = arena.String(in);
  t->rank = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, 4) : in.ConsumeIntegral<uint32_t>();
  // The host reads shape only for rank <= 16: give it rank entries then.
  if (t->rank <= 16 && in.ConsumeIntegralInRange<int>(0, 7) != 0) {
    auto shape = std::make_unique<std::vector<int64_t>>();
    uint64_t product = 1;
    for (uint32_t d = 0; d < t->rank; ++d) {
      const int64_t dim = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(0, 8) : in.ConsumeIntegral<int64_t>();
      shape->push_back(dim);
      product = dim >= 0 ? product * static_cast<uint64_t>(dim) : product;
    }
    t->shape = shape->empty() ? nullptr : shape->data();
    arena.shapes.push_back(std::move(shape));
    // byte_size: usually right, sometimes off; the buffer always holds it.
    uint64_t bytes = product * sizeof(float);
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0) bytes = in.ConsumeIntegralInRange<uint64_t>(0, 64);
    if (bytes > (uint64_t{1} << 16)) bytes = in.ConsumeIntegral<uint64_t>();  // too large to allocate: lie, data NULL
    t->byte_size = bytes;
    if (bytes <= (uint64_t{1} << 16) && in.ConsumeIntegralInRange<int>(0, 7) != 0) {
      auto buffer = std::make_unique<std::vector<uint8_t>>(static_cast<size_t>(bytes));
      for (uint8_t& b : *buffer) b = in.ConsumeIntegral<uint8_t>();
      t->data = buffer->empty() ? nullptr : buffer->data();
      arena.buffers.push_back(std::move(buffer));
    }
  }
  arena.tensors.push_back(std::move(t));
  return arena.tensors.back().get();
}

float AnyFloat(FuzzedDataProvider& in, float typical) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return in.ConsumeFloatingPoint<float>();
    case 1: return NAN;
    case 2: return in.ConsumeBool() ? INFINITY : -INFINITY;
    default: return typical * in.ConsumeFloatingPointInRange<float>(-0.25f, 1.25f);
  }
}

smi_region* MakeRegion(FuzzedDataProvider& in, Arena& arena, const smi_image& image) {
  auto g = std::make_unique<smi_region>();
  g->struct_size = in.ConsumeIntegralInRange<int>(0, 7) != 0 ? static_cast<uint32_t>(sizeof(smi_region))
                                                              : in.ConsumeIntegralInRange<uint32_t>(0, 64);
  g->label = arena.String(in);
  g->confidence = in.ConsumeIntegralInRange<int>(0, 3) == 0 ? AnyFloat(in, 1) : in.ConsumeProbability<float>();
  g->x = AnyFloat(in, static_cast<float>(image.width));
  g->y = AnyFloat(in, static_cast<float>(image.height));
  g->width = AnyFloat(in, static_cast<float>(image.width));
  g->height = AnyFloat(in, static_cast<float>(image.height));
  arena.regions.push_back(std::move(g));
  return arena.regions.back().get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Arena arena;
  smi_image_result r{};
  r.struct_size = sizeof r;
  r.status = SMI_OK;

  r.tag_count = PickCount(in, SMI_MAX_TAGS);
  std::vector<smi_tag> tags;
  if (r.tag_count <= 64 && in.ConsumeIntegralInRange<int>(0, 7) != 0) {
    tags.resize(static_cast<size_t>(r.tag_count));
    for (smi_tag& t : tags) {
      t.label = arena.String(in);
      const int kind = in.ConsumeIntegralInRange<int>(0, 3);
      t.score = kind == 0 ? in.ConsumeFloatingPoint<float>() : kind == 1 ? NAN : in.ConsumeProbability<float>();
    }
    r.tags = tags.empty() ? nullptr : tags.data();
  }  // else tags stays NULL whatever the count says

  r.output_count = PickCount(in, 1024);
  std::vector<const smi_tensor*> outputs;
  if (r.output_count <= 8 && in.ConsumeIntegralInRange<int>(0, 7) != 0) {
    for (uint64_t i = 0; i < r.output_count; ++i) {
      outputs.push_back(in.ConsumeIntegralInRange<int>(0, 15) == 0 ? nullptr : MakeTensor(in, arena));
    }
    r.outputs = outputs.empty() ? nullptr : outputs.data();
  }  // else outputs stays NULL whatever the count says

  // The image the plugin was given: any size the host passes (1..65535) and
  // an original size that may be unknown (0).
  smi_image image{};
  image.struct_size = sizeof image;
  image.width = in.ConsumeIntegralInRange<uint32_t>(1, 65535);
  image.height = in.ConsumeIntegralInRange<uint32_t>(1, 65535);
  image.original_width = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<uint32_t>(1, 65535);
  image.original_height = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<uint32_t>(1, 65535);

  r.region_count = PickCount(in, SMI_MAX_REGIONS);
  std::vector<const smi_region*> regions;
  if (r.region_count <= 16 && in.ConsumeIntegralInRange<int>(0, 7) != 0) {
    for (uint64_t i = 0; i < r.region_count; ++i) {
      regions.push_back(in.ConsumeIntegralInRange<int>(0, 15) == 0 ? nullptr : MakeRegion(in, arena, image));
    }
    r.regions = regions.empty() ? nullptr : regions.data();
  }  // else regions stays NULL whatever the count says
  // A plugin of an older minor may have written its own, smaller struct_size.
  const bool covered = in.ConsumeIntegralInRange<int>(0, 7) != 0;
  if (!covered) r.struct_size = SMI_IMAGE_RESULT_V1_0_SIZE;

  imlage::SmiImageOutcome out;
  imlage::CopyResult(r, image, out);
  if (!out.error.empty()) {
    if (!out.tags.empty() || !out.outputs.empty() || !out.regions.empty()) Fail("a failed result kept tags, outputs or regions");
    if (!imlage::IsValidUtf8(out.error.data(), out.error.size())) Fail("error message is not UTF-8");
    return 0;
  }
  if (out.tags.size() != r.tag_count || out.outputs.size() != r.output_count) Fail("counts differ");
  for (const imlage::SmiTagOut& t : out.tags) {
    if (t.label.size() > SMI_MAX_LABEL_BYTES || !imlage::IsValidUtf8(t.label.data(), t.label.size())) Fail("bad label accepted");
    if (!std::isfinite(t.score) || t.score < 0 || t.score > 1) Fail("bad score accepted");
  }
  for (const imlage::SmiTensorOut& o : out.outputs) {
    uint64_t count = 1;
    for (int64_t d : o.shape) count *= static_cast<uint64_t>(d);
    if (o.data.size() != count) Fail("tensor data does not match its shape");
  }
  if (out.regions.size() != (covered ? r.region_count : 0)) Fail("region count differs");
  // Every box lies inside the picture the caller sees.
  const double pw = image.original_width > 0 && image.original_height > 0 ? image.original_width : image.width;
  const double ph = image.original_width > 0 && image.original_height > 0 ? image.original_height : image.height;
  const double slack = 1e-6 * (pw + ph);
  for (size_t i = 0; i < out.regions.size(); ++i) {
    const imlage::SmiRegionOut& g = out.regions[i];
    if (g.label.size() > SMI_MAX_LABEL_BYTES || !imlage::IsValidUtf8(g.label.data(), g.label.size())) Fail("bad region label accepted");
    if (!std::isfinite(g.confidence) || g.confidence < 0 || g.confidence > 1) Fail("bad confidence accepted");
    if (!(g.x >= 0 && g.y >= 0 && g.width >= 0 && g.height >= 0)) Fail("a box with a negative or NaN value");
    if (g.x + g.width > pw + slack || g.y + g.height > ph + slack) Fail("a box outside the picture");
    if (i > 0 && out.regions[i - 1].confidence < g.confidence) Fail("regions not best first");
  }
  return 0;
}
