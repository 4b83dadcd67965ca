#include "direct_conv.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_X86 1
#include <immintrin.h>
#endif

namespace wb {
namespace {

using Index = std::ptrdiff_t;

// One segment of 16 output pixels x NC output channels:
//   out[p * ldo + t] = sum_{i, j, c} xt(i)[c * L + j + p] * w[((i0 + i) * kw + j) * ci + c][c0 + t]
// where xt(i) = xrow + i * tap_stride is the channel-planar input row of tap row i0 + i, already
// offset to the segment's first pixel. The NC accumulators stay in registers for the whole sum.
struct Segment {
  const float* xrow;
  Index tap_stride;  // floats between consecutive input rows in xt (ci * L)
  int taps;          // filter rows whose input row lies inside the image
  int i0;            // first such filter row
  int kw, ci;
  Index L;           // floats per channel row in xt
  const float* w;    // filter [kh, kw, ci, co], offset to channel c0
  int co;
};

// Computes one segment and writes its first `used` pixels as rows of NC channels (row stride ldo).
using SegmentFn = void (*)(const Segment&, float* out, Index ldo, int used);

#ifdef WB_X86
// In-register transpose of a 16 x 16 block: r[i] lane j <- r[j] lane i.
__attribute__((target("avx512f"))) inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 16; i += 8)
    for (int j = 0; j < 4; j++) {
      t[i + j] = _mm512_shuffle_f32x4(u[i + j], u[i + j + 4], 0x88);
      t[i + j + 4] = _mm512_shuffle_f32x4(u[i + j], u[i + j + 4], 0xdd);
    }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
  }
}

inline __mmask16 lanes(int n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1); }

template <int NC>
__attribute__((target("avx512f"))) void segment16(const Segment& g, float* out, Index ldo, int used) {
  __m512 acc[16];
  for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
  for (int i = 0; i < g.taps; i++) {
    const float* xr = g.xrow + i * g.tap_stride;
    const float* wi = g.w + static_cast<Index>(g.i0 + i) * g.kw * g.ci * g.co;
    for (int j = 0; j < g.kw; j++) {
      for (int c = 0; c < g.ci; c++) {
        const __m512 v = _mm512_loadu_ps(xr + c * g.L + j);
        const float* wk = wi + static_cast<Index>(j * g.ci + c) * g.co;
#pragma GCC unroll 16
        for (int t = 0; t < NC; t++) acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(wk[t]), v, acc[t]);
      }
    }
  }
  // acc[t] holds channel t of 16 pixels; transposed, acc[p] holds the NC channels of pixel p.
  transpose16(acc);
  const __mmask16 m = lanes(NC);
  for (int p = 0; p < used; p++) _mm512_mask_storeu_ps(out + p * ldo, m, acc[p]);
}

constexpr int kMaxTile = 16;

template <int... I>
constexpr std::array<SegmentFn, sizeof...(I)> segment_table(std::integer_sequence<int, I...>) {
  return {&segment16<I + 1>...};
}
const std::array<SegmentFn, kMaxTile> kSegment = segment_table(std::make_integer_sequence<int, kMaxTile>{});

// One input row [w][ci] -> ci rows of L floats, column ix at pl + ix, zeros elsewhere; 16 x 16
// blocks transposed in registers (any ci and w: partial blocks are masked).
__attribute__((target("avx512f"))) void planar_row(const float* src, int w, int ci, int pl, Index L, float* dst) {
  // Padding columns: a few floats per row, as masked vector stores (small memset calls cost more).
  const __m512 zero = _mm512_setzero_ps();
  for (int c = 0; c < ci; c++) {
    float* row = dst + c * L;
    for (int q = 0; q < pl; q += 16) _mm512_mask_storeu_ps(row + q, lanes(pl - q), zero);
    for (Index q = pl + w; q < L; q += 16) _mm512_mask_storeu_ps(row + q, lanes(static_cast<int>(L - q)), zero);
  }
  __m512 r[16];
  for (int c0 = 0; c0 < ci; c0 += 16) {
    const int nc = std::min(16, ci - c0);
    for (int x0 = 0; x0 < w; x0 += 16) {
      const int np = std::min(16, w - x0);
      for (int p = 0; p < 16; p++) r[p] = p < np ? _mm512_maskz_loadu_ps(lanes(nc), src + static_cast<Index>(x0 + p) * ci + c0) : _mm512_setzero_ps();
      transpose16(r);
      for (int t = 0; t < nc; t++) _mm512_mask_storeu_ps(dst + (c0 + t) * L + pl + x0, lanes(np), r[t]);
    }
  }
}
#endif

bool enabled() {
  const char* v = std::getenv("WORKBENCH_NATIVE_DIRECT");
  return v == nullptr || std::strcmp(v, "0") != 0;
}

}  // namespace

bool direct_conv_applies(const ConvShape& s) {
#ifdef WB_X86
  // The variable is read on every call so a benchmark can compare both paths in one process.
  static const bool avx512 = std::strcmp(microkernel().name, "avx512f") == 0;
  const bool on = avx512 && enabled();
  // Only where the GEMM path wastes lanes (filter counts off its 16-wide panels: measured faster
  // there, slower at 16/32/64 filters); rows narrower than 12 pixels would leave too much of
  // each 16-pixel vector idle.
  return on && s.co % 16 != 0 && s.sh == 1 && s.sw == 1 && s.kh * s.kw > 1 && s.ow >= 12;
#else
  (void)s;
  (void)enabled;
  return false;
#endif
}

void direct_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink) {
#ifdef WB_X86
  constexpr int V = 16;
  // xt[n][iy][c][q]: input column ix at q = ix + pl, zeros around; V spare columns so the last
  // segment's full-width loads stay inside the row (their extra lanes are never stored).
  const Index L = (std::max<Index>(s.ow + s.kw - 1, s.pl + s.w) + V + 15) / 16 * 16;  // whole cache lines per row
  const Index rows_in = static_cast<Index>(s.n) * s.h;
  // The calling thread's buffer; tasks use the pointer (a thread_local named inside a task would
  // be the worker's own).
  thread_local std::vector<float> xt_buffer;
  float* const xt = scratch(xt_buffer, static_cast<std::size_t>(rows_in * s.ci * L));
  const int rows_per_copy = 8;
  parallel_for(static_cast<int>((rows_in + rows_per_copy - 1) / rows_per_copy), [&](int t, int) {
    for (Index r = static_cast<Index>(t) * rows_per_copy; r < std::min<Index>(rows_in, (t + 1) * rows_per_copy); r++)
      planar_row(x + r * s.w * s.ci, s.w, s.ci, s.pl, L, xt + r * s.ci * L);
  });

  // Balanced channel tiles of at most 16.
  const int tiles = (s.co + kMaxTile - 1) / kMaxTile;
  std::vector<std::pair<int, int>> channel_tiles;  // (c0, nc)
  for (int t = 0, c0 = 0; t < tiles; t++) {
    const int nc = s.co / tiles + (t < s.co % tiles ? 1 : 0);
    channel_tiles.emplace_back(c0, nc);
    c0 += nc;
  }

  const Index out_rows = static_cast<Index>(s.n) * s.oh;
  const int rows_per_task = std::max(1, 64 / s.ow);
  const int tasks = static_cast<int>((out_rows + rows_per_task - 1) / rows_per_task);
  parallel_for(tasks, [&](int task, int) {
    const Index r1 = std::min<Index>(out_rows, static_cast<Index>(task + 1) * rows_per_task);
    for (Index r = static_cast<Index>(task) * rows_per_task; r < r1; r++) {
      const Index n = r / s.oh;
      const int oy = static_cast<int>(r - n * s.oh);
      const Index m0 = r * s.ow;
      float* out = sink.begin(m0, s.ow);
      // Filter rows whose input row iy = oy + i - pt is inside the image (the others add zeros).
      const int i_lo = std::max(0, s.pt - oy), i_hi = std::min(s.kh, s.h + s.pt - oy);
      const int taps = std::max(0, i_hi - i_lo);
      const float* xrow = taps > 0 ? xt + ((n * s.h + (oy + i_lo - s.pt)) * s.ci) * L : xt;
      for (int ox0 = 0; ox0 < s.ow; ox0 += V) {
        const int used = std::min(V, s.ow - ox0);
        for (const auto& [c0, nc] : channel_tiles) {
          const Segment g{xrow + ox0, s.ci * L, taps, i_lo, s.kw, s.ci, L, w + c0, s.co};
          kSegment[nc - 1](g, out + static_cast<Index>(ox0) * s.co + c0, s.co, used);
        }
      }
      sink.end(m0, s.ow, out);
    }
  });
  // Kept for the next call (no allocation per layer), unless a large input (ImageNet-size maps)
  // made it big: then it goes back to the allocator rather than staying with the thread.
  constexpr std::size_t kKeepFloats = std::size_t{16} << 20;  // 64 MB
  if (xt_buffer.size() > kKeepFloats) std::vector<float>().swap(xt_buffer);
#else
  (void)s;
  (void)x;
  (void)w;
  (void)sink;
#endif
}

}  // namespace wb
