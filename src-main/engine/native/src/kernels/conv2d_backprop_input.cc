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

void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx, const float* addend) {
  refresh_gemm_switches();
  if (s.sh == 1 && s.sw == 1 && !is_pointwise(s)) {
    // Stride 1: dx[ih, iw, c] = sum_{i,j,o} dy[ih + pt - i, iw + pl - j, o] * w[i, j, c, o] is a forward
    // conv of dy with the flipped, in/out-swapped filter wf[i', j', o, c] = w[kh-1-i', kw-1-j', c, o]
    // and padding kh-1-pt: a long reduction (kh*kw*co) instead of a GEMM over co plus col2im.
    // One [ci, co] -> [co, ci] transpose per tap, in blocks of 16 input channels (the rows read stay
    // in cache while the writes run along ci), taps in parallel: a plain loop wrote with a stride of
    // ci floats, slow once the filter outgrows the caches (9 MiB for 3x3 512->512).
    std::vector<float> wf(static_cast<std::size_t>(s.kh) * s.kw * s.co * s.ci);
    parallel_for(s.kh * s.kw, [&](int tap, int) {
      const int i = tap / s.kw, j = tap % s.kw;
      float* dst = wf.data() + static_cast<Index>(tap) * s.co * s.ci;
      const float* src = w + ((static_cast<Index>(s.kh - 1 - i) * s.kw + (s.kw - 1 - j)) * s.ci) * s.co;
      for (int c0 = 0; c0 < s.ci; c0 += 16) {
        const int c1 = std::min(s.ci, c0 + 16);
        for (int o = 0; o < s.co; o++)
          for (int c = c0; c < c1; c++) dst[static_cast<Index>(o) * s.ci + c] = src[static_cast<Index>(c) * s.co + o];
      }
    });
    const ConvShape t{s.n, s.oh, s.ow, s.co, s.kh, s.kw, s.ci, s.h, s.w, 1, 1, s.kh - 1 - s.pt, s.kw - 1 - s.pl};
    // With an addend (another gradient of x), added by the conv's epilogue to each row it writes.
    Epilogue ep;
    ep.residual = addend;
    ep.channels = s.ci;
    conv2d(t, dy, wf.data(), dx, addend ? &ep : nullptr);
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
      if (addend)
        for (Index i = 0; i < image; i++) out[i] += addend[n * image + i];
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
    // Added once the image's sums are complete (as a separate Add would: the same bits).
    if (addend)
      for (Index i = 0; i < image; i++) out[i] += addend[n * image + i];
  });
}

// conv2dBackpropInput(dy, dyo, w, wo, dx, dxo, ...shape[, addend, ado]): dx (+ addend, x's shape)
napi_value Conv2dBackpropInputBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const ConvShape s = napi::conv_shape(a, 6);
    conv2d_backprop_input(s, a.tensor(0, napi::y_size(s), "dy"), a.tensor(2, napi::w_size(s), "filter"), a.tensor(4, napi::x_size(s), "dx"),
                          a.optional_tensor(19, napi::x_size(s), "addend"));
  });
}

}  // namespace wb
