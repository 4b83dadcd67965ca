// Kernel conv2dBackpropInput: dx as a forward conv with the flipped filter (stride 1) or GEMM + col2im.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../conv.h"
#include "../conv_im2col.h"
#include "../env_switch.h"
#include "../gemm.h"
#include "../implicit_conv.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

namespace {

// Stride 1 on AVX-512 where dx's rows are a multiple of 16 pixels and dy has 16 or 32 channels
// (ResNet stages 1 and 2): the transposed conv t run here in 16-pixel tiles that never cross a row
// end, each read in place from its image of dy zero-padded into a per-thread buffer (segments16:
// kh segments of kw*co contiguous floats). The general conv's 14-pixel tiles run along the padded
// rows and compute kw - 1 pixels per row that are dropped (stage 1: 34 for 32, stage 2: 18 for 16).
// Kernel-bench, CPU time: stage 2 x1.18; stage 1 x0.98 until the next image of dy was prefetched
// (8 MiB maps), then x1.05-1.08.
// Same k order and FMAs per element, and the addend added as the conv's epilogue adds it
// ((v + 0) + 0) + r: the same bits. WORKBENCH_NATIVE_INPUT_ROWS16=0 (read per call) runs the
// general conv, for A/B timing.
bool rows16_apply(const ConvShape& t) {
  if (!switch_on("WORKBENCH_NATIVE_INPUT_ROWS16")) return false;
  return k_segment_rows() == 16 && (t.ci == 16 || t.ci == 32) && t.ow % 16 == 0 && t.co % NR == 0 && t.pt >= 0 && t.pl >= 0 &&
         t.sh == 1 && t.sw == 1;
}

void transposed_rows16(const ConvShape& t, const float* dy, const float* wf, float* dx, const float* addend) {
  const int k = patch_size(t);
  std::vector<float> bp(packed_b_size(k, t.co));
  pack_b(wf, k, t.co, t.co, 1, bp.data());
  const PaddedGeometry pg(t);
  const Index out_image = static_cast<Index>(t.oh) * t.ow * t.co;
  const Index in_image = static_cast<Index>(t.h) * t.w * t.ci, in_bytes = in_image * static_cast<Index>(sizeof(float));
  const bool prefetch_on = prefetch_next_image();
  parallel_for(t.n, [&](int n, int) {
    thread_local std::vector<float> padded;
    float* const xp = scratch(padded, static_cast<std::size_t>(pg.image()) * t.ci);
    pad_image_for_taps(t, pg, dy, n, xp);
    float* const out = dx + n * out_image;
    const float* const add = addend ? addend + n * out_image : nullptr;
    // The next image of dy requested from memory a share per output row while this one is computed
    // (software prefetch, as the general conv does; no effect on results).
    const char* const next = n + 1 < t.n && prefetch_on ? reinterpret_cast<const char*>(dy + (n + 1) * in_image) : nullptr;
    for (int oy = 0; oy < t.oh; oy++) {
      if (next != nullptr)
        for (Index b = in_bytes * oy / t.oh / 64 * 64; b < in_bytes * (oy + 1) / t.oh; b += 64) __builtin_prefetch(next + b, 0, 2);
      for (int x0 = 0; x0 < t.ow; x0 += 16) {
        const float* a = xp + (static_cast<Index>(oy) * pg.wp + x0) * t.ci;
        const Index p0 = (static_cast<Index>(oy) * t.ow + x0) * t.co;
        for (int j0 = 0; j0 < t.co; j0 += NR)
          segments16(t.kh, t.kw * t.ci, static_cast<Index>(pg.wp) * t.ci, a, t.ci, bp.data() + static_cast<Index>(j0) * k, out + p0 + j0, t.co, NR);
        if (add) {
          float* o = out + p0;
          const float* r = add + p0;
          for (Index e = 0; e < 16 * static_cast<Index>(t.co); e++) o[e] = ((o[e] + 0.0f) + 0.0f) + r[e];
        }
      }
    }
  });
}

}  // namespace

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
    if (rows16_apply(t)) {
      transposed_rows16(t, dy, wf.data(), dx, addend);
      return;
    }
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
