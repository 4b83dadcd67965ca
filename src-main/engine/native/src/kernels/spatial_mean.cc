// Kernel spatialMean: TF.js's Mean over the middle axes of a float32 tensor read as [outer, mid, inner]
// (a ResNet's global average pool: [N,H,W,C] over H and W). The wasm kernel transposes the reduced
// axes innermost first (a full copy of the input) and then sums each output's values in order; here
// each output channel is summed over mid in that same order, in float32, vectorised across the inner
// axis, and divided by the count: the wasm kernel's operations in its order, so the same bits.
#include "../no_fp_contract.h"
#include <algorithm>

#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

void spatial_mean(const float* x, Index outer, Index mid, Index inner, float* y) {
  const float count = static_cast<float>(mid);
  parallel_for(static_cast<int>(outer), [&](int o, int) {
    const float* src = x + o * mid * inner;
    float* dst = y + o * inner;
    std::fill(dst, dst + inner, 0.0f);
    for (Index p = 0; p < mid; p++, src += inner)
      for (Index c = 0; c < inner; c++) dst[c] += src[c];
    for (Index c = 0; c < inner; c++) dst[c] = dst[c] / count;
  });
}

// spatialMean(x, o, y, o, outer, mid, inner)
napi_value SpatialMeanBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index outer = a.integer(4), mid = a.integer(5), inner = a.integer(6);
    if (outer < 1 || mid < 1 || inner < 1) throw napi::ArgError{"spatialMean: outer, mid and inner must be positive"};
    spatial_mean(a.tensor(0, outer * mid * inner, "x"), outer, mid, inner, a.tensor(2, outer * inner, "y"));
  });
}

}  // namespace wb
