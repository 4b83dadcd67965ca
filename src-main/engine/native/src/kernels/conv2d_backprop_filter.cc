// Kernel conv2dBackpropFilter: dW as a deterministic, group-ordered GEMM reduction over im2col(x)^T dy.
#include <algorithm>
#include <vector>

#include "../conv.h"
#include "../conv_im2col.h"
#include "../gemm.h"
#include "../implicit_conv.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

namespace {

// Stride 1 without im2col: x zero-padded once (implicit_conv.h), dy widened to the padded row
// width with zeros in the dropped columns, so that for each filter row i
//   dW[i, :, :, :] (kw*ci rows) += xp[q + i*wp, kw*ci contiguous]^T * dyp[q, co]
// over the padded pixels q of an image, read in place. Same group-ordered reduction as below.
void backprop_filter_implicit(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int wp = s.ow + s.kw - 1, hp = s.oh + s.kh - 1;
  const int len = s.kw * s.ci;
  const Index image = static_cast<Index>(hp) * wp * s.ci;
  const Index q_end = static_cast<Index>(s.oh - 1) * wp + s.ow;  // the last kept pixel's q + 1
  const float* xp = pad_images(s, x, 16);
  // dyp [n, oh, wp, co]: dy's rows with kw - 1 zero pixels after each.
  thread_local std::vector<float> dy_buffer;
  const Index dy_image = static_cast<Index>(s.oh) * wp * s.co;
  float* dyp = scratch(dy_buffer, static_cast<std::size_t>(s.n) * dy_image);
  parallel_for(s.n, [&](int n, int) {
    for (int oy = 0; oy < s.oh; oy++) {
      float* dst = dyp + n * dy_image + static_cast<Index>(oy) * wp * s.co;
      std::copy_n(dy + ((static_cast<Index>(n) * s.oh + oy) * s.ow) * s.co, static_cast<Index>(s.ow) * s.co, dst);
      std::fill(dst + static_cast<Index>(s.ow) * s.co, dst + static_cast<Index>(wp) * s.co, 0.0f);
    }
  });
  const Index size = static_cast<Index>(patch_size(s)) * s.co;
  constexpr int kChunk = 128;
  const Index per_image = (q_end + kChunk - 1) / kChunk;
  const Index chunks = per_image * s.n;
  constexpr Index kGroups = 8;
  const int groups = static_cast<int>(std::max<Index>(1, std::min<Index>(kGroups, chunks)));
  std::vector<float> partial(static_cast<std::size_t>(groups - 1) * size);
  parallel_for(groups, [&](int g, int) {
    float* acc = g == 0 ? dw : partial.data() + (g - 1) * size;
    std::fill(acc, acc + size, 0.0f);
    const Index c0 = chunks * g / groups, c1 = chunks * (g + 1) / groups;
    thread_local std::vector<float> dyp_packed;
    for (Index c = c0; c < c1; c++) {
      const Index n = c / per_image;
      const Index q0 = (c % per_image) * kChunk;
      const int rows = static_cast<int>(std::min<Index>(kChunk, q_end - q0));
      const float* b_packed = dyp + n * dy_image + q0 * s.co;
      if (s.co != NR) {
        float* const packed = scratch(dyp_packed, packed_b_size(rows, s.co));
        pack_b(b_packed, rows, s.co, s.co, 1, packed);
        b_packed = packed;
      }
      for (int i = 0; i < s.kh; i++)
        gemm(len, s.co, rows, xp + n * image + (q0 + static_cast<Index>(i) * wp) * s.ci, 1, s.ci, b_packed, acc + static_cast<Index>(i) * len * s.co,
             s.co, true);
    }
  });
  for (int g = 1; g < groups; g++) {
    const float* p = partial.data() + (g - 1) * size;
    for (Index i = 0; i < size; i++) dw[i] += p[i];
  }
}

}  // namespace

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  if (implicit_conv_applies(s)) {
    backprop_filter_implicit(s, x, dy, dw);
    return;
  }
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
