// Kernel conv2dBackpropFilter: dW as a deterministic, group-ordered GEMM reduction over im2col(x)^T dy.
#include <algorithm>
#include <vector>

#include "../conv.h"
#include "../conv_im2col.h"
#include "../gemm.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int k = patch_size(s);
  const Index m = out_rows(s);
  const Index size = static_cast<Index>(k) * s.co;
  // Reduction over M split into a fixed number of contiguous ranges (groups); each group owns a
  // partial dW, summed in group order at the end, so the result depends neither on thread
  // scheduling nor on the thread count. More groups than threads: on a shared machine a
  // descheduled worker's groups are picked up by the others.
  constexpr int kChunk = 128;  // rows of im2col(x) and dy per GEMM (im2col chunk stays in L2)
  constexpr Index kGroups = 8;
  const Index chunks = (m + kChunk - 1) / kChunk;
  const int groups = static_cast<int>(std::max<Index>(1, std::min<Index>(kGroups, chunks)));
  std::vector<float> partial(static_cast<std::size_t>(groups - 1) * size);
  const bool pointwise = is_pointwise(s);
  parallel_for(groups, [&](int g, int) {
    float* acc = g == 0 ? dw : partial.data() + (g - 1) * size;
    std::fill(acc, acc + size, 0.0f);
    const Index c0 = chunks * g / groups, c1 = chunks * (g + 1) / groups;
    thread_local std::vector<float> col, dyp;
    for (Index c = c0; c < c1; c++) {
      const Index m0 = c * kChunk;
      const int rows = static_cast<int>(std::min<Index>(kChunk, m - m0));
      // With exactly one 16-wide panel, dy rows already are the packed layout.
      const float* b_packed = dy + m0 * s.co;
      if (s.co != NR) {
        float* const packed = scratch(dyp, packed_b_size(rows, s.co));
        pack_b(dy + m0 * s.co, rows, s.co, s.co, 1, packed);
        b_packed = packed;
      }
      const float* a;
      Index a_ks;
      if (pointwise) {
        a = x + m0 * s.ci;
        a_ks = s.ci;
      } else {
        float* const cols = scratch(col, static_cast<std::size_t>(rows) * k);
        im2col_rows(s, x, m0, rows, cols);
        a = cols;
        a_ks = k;
      }
      // dW[K, co] += im2col^T [K, rows] * dy [rows, co]: A(r, p) = col[p*K + r].
      gemm(k, s.co, rows, a, 1, a_ks, b_packed, acc, s.co, true);
    }
  });
  for (int g = 1; g < groups; g++) {
    const float* p = partial.data() + (g - 1) * size;
    for (Index i = 0; i < size; i++) dw[i] += p[i];
  }
}

// conv2dBackpropFilter(x, xo, dy, dyo, dw, dwo, ...shape)
napi_value Conv2dBackpropFilterBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const ConvShape s = napi::conv_shape(a, 6);
    conv2d_backprop_filter(s, a.tensor(0, napi::x_size(s), "x"), a.tensor(2, napi::y_size(s), "dy"), a.tensor(4, napi::w_size(s), "dw"));
  });
}

}  // namespace wb
