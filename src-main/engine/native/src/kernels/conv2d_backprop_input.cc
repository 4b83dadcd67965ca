// Kernel conv2dBackpropInput: dx as a forward conv with the flipped filter (stride 1) or GEMM + col2im.
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

void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  refresh_gemm_switches();
  if (s.sh == 1 && s.sw == 1 && !is_pointwise(s)) {
    // Stride 1: dx[ih, iw, c] = sum_{i,j,o} dy[ih + pt - i, iw + pl - j, o] * w[i, j, c, o] is a forward
    // conv of dy with the flipped, in/out-swapped filter wf[i', j', o, c] = w[kh-1-i', kw-1-j', c, o]
    // and padding kh-1-pt: a long reduction (kh*kw*co) instead of a GEMM over co plus col2im.
    std::vector<float> wf(static_cast<std::size_t>(s.kh) * s.kw * s.co * s.ci);
    for (int i = 0; i < s.kh; i++)
      for (int j = 0; j < s.kw; j++)
        for (int c = 0; c < s.ci; c++)
          for (int o = 0; o < s.co; o++)
            wf[((static_cast<Index>(i) * s.kw + j) * s.co + o) * s.ci + c] =
                w[((static_cast<Index>(s.kh - 1 - i) * s.kw + (s.kw - 1 - j)) * s.ci + c) * s.co + o];
    const ConvShape t{s.n, s.oh, s.ow, s.co, s.kh, s.kw, s.ci, s.h, s.w, 1, 1, s.kh - 1 - s.pt, s.kw - 1 - s.pl};
    conv2d(t, dy, wf.data(), dx);
    return;
  }
  const int k = patch_size(s);
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  const Index image = static_cast<Index>(s.h) * s.w * s.ci;
  // B = w^T [co, K]: B(c, p) = w[p*co + c].
  std::vector<float> bp(packed_b_size(s.co, k));
  pack_b(w, s.co, k, 1, s.co, bp.data());
  const int mr = microkernel().mr;
  const bool pointwise = is_pointwise(s);
  // One task per image: the col2im scatter of an image never crosses into another, so no atomics.
  parallel_for(s.n, [&](int n, int) {
    const Index m0 = n * plane;
    float* out = dx + n * image;
    if (pointwise) {
      gemm(static_cast<int>(plane), k, s.co, dy + m0 * s.co, s.co, 1, bp.data(), out, k, false);
      return;
    }
    std::fill(out, out + image, 0.0f);
    thread_local std::vector<float> tile;
    float* const tiles = scratch(tile, static_cast<std::size_t>(mr) * k);
    for (Index r0 = 0; r0 < plane; r0 += mr) {
      const int rows = static_cast<int>(std::min<Index>(mr, plane - r0));
      gemm(rows, k, s.co, dy + (m0 + r0) * s.co, s.co, 1, bp.data(), tiles, k, false);
      col2im_add_rows(s, tiles, m0 + r0, rows, dx);
    }
  });
}

// conv2dBackpropInput(dy, dyo, w, wo, dx, dxo, ...shape)
napi_value Conv2dBackpropInputBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const ConvShape s = napi::conv_shape(a, 6);
    conv2d_backprop_input(s, a.tensor(0, napi::y_size(s), "dy"), a.tensor(2, napi::w_size(s), "filter"), a.tensor(4, napi::x_size(s), "dx"));
  });
}

}  // namespace wb
