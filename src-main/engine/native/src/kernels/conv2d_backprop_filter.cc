// Kernel conv2dBackpropFilter: dW as a deterministic, group-ordered GEMM reduction over im2col(x)^T dy.
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

// Stride 1 without im2col: x zero-padded once (implicit_conv.h), dy widened to the padded row
// width with zeros in the dropped columns, so that for each filter row i
//   dW[i, :, :, :] (kw*ci rows) += xp[q + i*wp, kw*ci contiguous]^T * dyp[q, co]
// over the padded pixels q of an image, read in place. Same group-ordered reduction as below.
void backprop_filter_implicit(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int wp = s.ow + s.kw - 1;
  const int len = s.kw * s.ci;
  const Index image = padded_image_size(s);
  const Index q_end = static_cast<Index>(s.oh - 1) * wp + s.ow;  // the last kept pixel's q + 1
  const Index dy_image = static_cast<Index>(s.oh) * wp * s.co;
  // dy image n widened to [oh, wp, co]: its rows with kw - 1 zero pixels after each.
  auto widen = [&](Index n, float* out) {
    for (int oy = 0; oy < s.oh; oy++) {
      float* dst = out + static_cast<Index>(oy) * wp * s.co;
      std::copy_n(dy + ((n * s.oh + oy) * s.ow) * s.co, static_cast<Index>(s.ow) * s.co, dst);
      std::fill(dst + static_cast<Index>(s.ow) * s.co, dst + static_cast<Index>(wp) * s.co, 0.0f);
    }
  };
  // Either the whole batch padded and widened up front, or (per_image_padding) each image inside the
  // group that reads it, into per-thread buffers that stay in cache. Same values: same sums.
  const bool own = per_image_padding(s);
  const bool prefetch = own && prefetch_next_image();
  const float* xp = own ? nullptr : pad_images(s, x, 16);
  float* dyp = nullptr;
  if (!own) {
    thread_local std::vector<float> dy_buffer;
    dyp = scratch(dy_buffer, static_cast<std::size_t>(s.n) * dy_image);
    parallel_for(s.n, [&](int n, int) { widen(n, dyp + n * dy_image); });
  }
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
    thread_local std::vector<float> dyp_packed, x_own, dy_own;
    Index held = -1;  // the image in x_own / dy_own
    for (Index c = c0; c < c1; c++) {
      const Index n = c / per_image;
      const Index q0 = (c % per_image) * kChunk;
      const int rows = static_cast<int>(std::min<Index>(kChunk, q_end - q0));
      const float* x_img;
      const float* dy_img;
      if (own) {
        float* const xi = scratch(x_own, static_cast<std::size_t>(image) + 16);
        float* const di = scratch(dy_own, static_cast<std::size_t>(dy_image));
        if (held != n) {
          pad_image(s, x, static_cast<int>(n), xi);
          std::fill(xi + image, xi + image + 16, 0.0f);
          widen(n, di);
          held = n;
        }
        x_img = xi;
        dy_img = di;
      } else {
        x_img = xp + n * image;
        dy_img = dyp + n * dy_image;
      }
      const float* b_packed = dy_img + q0 * s.co;
      if (s.co != NR) {
        float* const packed = scratch(dyp_packed, packed_b_size(rows, s.co));
        pack_b(b_packed, rows, s.co, s.co, 1, packed);
        b_packed = packed;
      }
      // The next image's x and dy requested from memory a share per filter row (see implicit_conv2d).
      const bool fetch = prefetch && n + 1 < s.n;
      for (int i = 0; i < s.kh; i++) {
        if (fetch) {
          const Index part = (q0 / kChunk) * s.kh + i, parts = per_image * s.kh;
          const char* xn = reinterpret_cast<const char*>(x + (n + 1) * s.h * s.w * s.ci);
          const char* dn = reinterpret_cast<const char*>(dy + (n + 1) * s.oh * s.ow * s.co);
          const Index xb = static_cast<Index>(s.h) * s.w * s.ci * 4, db = static_cast<Index>(s.oh) * s.ow * s.co * 4;
          for (Index b = xb * part / parts / 64 * 64; b < xb * (part + 1) / parts; b += 64) __builtin_prefetch(xn + b, 0, 2);
          for (Index b = db * part / parts / 64 * 64; b < db * (part + 1) / parts; b += 64) __builtin_prefetch(dn + b, 0, 2);
        }
        gemm(len, s.co, rows, x_img + (q0 + static_cast<Index>(i) * wp) * s.ci, 1, s.ci, b_packed, acc + static_cast<Index>(i) * len * s.co,
             s.co, true);
      }
    }
  });
  for (int g = 1; g < groups; g++) {
    const float* p = partial.data() + (g - 1) * size;
    for (Index i = 0; i < size; i++) dw[i] += p[i];
  }
}

// Groups of the im2col path's reduction over M: a function of the shape only, never of the thread
// count (deterministic). Up to 8 (a descheduled worker's groups go to the others), but at least
// 512 rows each: every group zero-fills, accumulates into and finally sums a whole partial dW, and
// with few rows and a large dW (ResNet-50's 3x3 512->512 on 4x2 maps: 1024 rows, 9 MiB dW) the 8
// partials cost more memory traffic than the products. WORKBENCH_NATIVE_FILTER_GROUPS=0 (read per
// call) restores the former 8 groups of any size, for A/B timing (the sums then differ in order).
int reduction_groups(Index m, Index chunks) {
  constexpr Index kGroups = 8, kMinRows = 512;
  const bool by_rows = switch_on("WORKBENCH_NATIVE_FILTER_GROUPS");
  const Index cap = by_rows ? std::max<Index>(1, m / kMinRows) : kGroups;
  return static_cast<int>(std::max<Index>(1, std::min({kGroups, chunks, cap})));
}

// Row stride of the im2col chunk. The GEMM reads it down its columns (A(r, p) = col[p * ld + r]): one
// cache line per k step, ld floats apart. With ld a multiple of 4 lines those lines fall into at
// most 16 of L1's 64 sets, and a chunk's 128 of them (8 per set, L1's associativity) evict each
// other and the packed dy: one line of padding spreads them over every set. Measured on the AVX2
// 6 x 16 kernel for ResNet stage 3 (K = 576): 101-107 GFLOP/s -> 109-111 in the GEMM alone, x1.11 for
// the whole kernel; the AVX-512 kernel (14 rows per line read) gained nothing (x0.98-1.00), so it
// keeps ld = K. Only the row stride changes, not the sums.
// WORKBENCH_NATIVE_IM2COL_PAD=0 (read per call) keeps ld = K for A/B timing.
Index im2col_stride(int k) {
  static const bool avx2 = std::strcmp(microkernel().name, "avx2") == 0;
  if (!avx2 || !switch_on("WORKBENCH_NATIVE_IM2COL_PAD")) return k;
  const Index lines = (static_cast<Index>(k) + 15) / 16;
  return lines % 4 == 0 ? (lines + 1) * 16 : k;
}

// Backprop-filter without the im2col copy (WORKBENCH_NATIVE_FILTER_SEGMENTS=0, read per call, keeps
// im2col): the im2col row of output pixel (n, oy, ox) for filter row i is kw*ci contiguous floats of
// x zero-padded to [hp, wp] (its taps j, channels c), at pixel (oy*sh + i, ox*sw); consecutive pixels
// of an output row are sw*ci floats apart. So a chunk's product dW[i-th kw*ci rows] += col^T * dy runs
// with A read in place from the padded images, its k steps (the chunk's pixels, in the same order)
// in one segment per output row (gemm_k_segments). Same chunks, groups and k order as the im2col
// path, the same FMA per term (an out-of-image tap multiplies the padding's 0 as im2col's 0): the
// same bits. For ResNet stages 2 and 3 (K = 288 / 576) the im2col copy wrote 9 floats per x float
// per call and was read back from L2: stage 2 x1.13, stage 3 x1.03, the 16->32 stride-2 conv x1.24
// (kernel-bench, CPU time, AVX-512).
bool filter_segments_apply(const ConvShape& s) {
  if (!switch_on("WORKBENCH_NATIVE_FILTER_SEGMENTS")) return false;
  const int mr = k_segment_rows();
  // Rows of at least 8 pixels (few segments per chunk) and up to 64 channels: on ResNet-50's 3x3 512
  // convs (4x2 maps) the in-place reads, 512 floats apart, ran at 0.82x the im2col path.
  return mr > 0 && !is_pointwise(s) && s.pt >= 0 && s.pl >= 0 && (s.kw * s.ci) % mr == 0 && s.ow >= 8 && s.ci <= 64;
}

}  // namespace

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  refresh_gemm_switches();
  if (implicit_conv_applies(s, true)) {
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
  const Index chunks = (m + kChunk - 1) / kChunk;
  const int groups = reduction_groups(m, chunks);
  // Partial dWs in a per-thread buffer that only grows (a fresh vector page-faulted on every call).
  thread_local std::vector<float> partial_buffer;
  float* const partial = scratch(partial_buffer, static_cast<std::size_t>(groups - 1) * size);
  const bool pointwise = is_pointwise(s);
  const Index ld = im2col_stride(k);
  const bool segments = filter_segments_apply(s);
  const PaddedGeometry pg(s);
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  parallel_for(groups, [&](int g, int) {
    float* acc = g == 0 ? dw : partial + (g - 1) * size;
    std::fill(acc, acc + size, 0.0f);
    const Index c0 = chunks * g / groups, c1 = chunks * (g + 1) / groups;
    thread_local std::vector<float> col, dyp, padded;
    thread_local std::vector<const float*> seg_base;
    thread_local std::vector<int> seg_len;
    Index held_first = -1, held_count = 0;  // the images padded in `padded`
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
      if (segments) {
        // The chunk's images padded (kept while the next chunk reads the same ones), one segment per output row.
        const Index first = m0 / plane, last = (m0 + rows - 1) / plane;
        if (first < held_first || last >= held_first + held_count) {
          float* const buf = scratch(padded, static_cast<std::size_t>(last - first + 1) * pg.image() * s.ci);
          for (Index n = first; n <= last; n++) pad_image_for_taps(s, pg, x, n, buf + (n - first) * pg.image() * s.ci);
          held_first = first;
          held_count = last - first + 1;
        }
        seg_base.resize(static_cast<std::size_t>(rows) + 1);
        seg_len.resize(static_cast<std::size_t>(rows) + 1);
        int segs = 0;
        for (Index q = m0; q < m0 + rows;) {
          const Index n = q / plane, rem = q - n * plane;
          const int oy = static_cast<int>(rem / s.ow), ox = static_cast<int>(rem % s.ow);
          const int len = static_cast<int>(std::min<Index>(s.ow - ox, m0 + rows - q));
          seg_base[segs] = padded.data() + (n - held_first) * pg.image() * s.ci + (static_cast<Index>(oy) * s.sh * pg.wp + static_cast<Index>(ox) * s.sw) * s.ci;
          seg_len[segs++] = len;
          q += len;
        }
        const int row_len = s.kw * s.ci;
        for (int i = 0; i < s.kh; i++)
          gemm_k_segments(row_len, s.co, segs, seg_len.data(), seg_base.data(), static_cast<Index>(i) * pg.wp * s.ci,
                          static_cast<Index>(s.sw) * s.ci, b_packed, acc + static_cast<Index>(i) * row_len * s.co, s.co);
        continue;
      }
      const float* a;
      Index a_ks;
      if (pointwise) {
        a = x + m0 * s.ci;
        a_ks = s.ci;
      } else {
        float* const cols = scratch(col, static_cast<std::size_t>(rows) * ld);
        im2col_rows(s, x, m0, rows, cols, ld);
        a = cols;
        a_ks = ld;
      }
      // dW[K, co] += im2col^T [K, rows] * dy [rows, co]: A(r, p) = col[p*K + r].
      gemm(k, s.co, rows, a, 1, a_ks, b_packed, acc, s.co, true);
    }
  });
  // dW += partials in group order, each element on its own (threads split the elements, not the order).
  constexpr Index kBlock = 16384;
  parallel_for(static_cast<int>((size + kBlock - 1) / kBlock), [&](int b, int) {
    const Index i0 = b * kBlock, i1 = std::min(size, i0 + kBlock);
    for (int g = 1; g < groups; g++) {
      const float* p = partial + (g - 1) * size;
      for (Index i = i0; i < i1; i++) dw[i] += p[i];
    }
  });
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
